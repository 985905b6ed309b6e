"""Optimizers and learning-rate schedulers, as in `torch.optim`.

>>> import autocompyute as ac
>>> from autocompyute import optim
>>> w = ac.tensor([1.0, 2.0], req_grad=True)
>>> optimizer = optim.SGD([{"params": [w], "lr": 0.5}], lr=0.1)
>>> optimizer.param_groups[0]["lr"]
0.5
"""

from autocompyute.optim import lr_scheduler
from autocompyute.optim.adadelta import Adadelta
from autocompyute.optim.adagrad import Adagrad
from autocompyute.optim.adam import Adam, AdamW
from autocompyute.optim.optimizer import Optimizer
from autocompyute.optim.rmsprop import RMSprop
from autocompyute.optim.sgd import SGD

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
