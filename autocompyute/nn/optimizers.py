"""The original AutoCompyute's home of the optimizers: the same classes as `autocompyute.optim`."""

from autocompyute.optim import SGD, Adadelta, Adagrad, Adam, AdamW, Optimizer, RMSprop

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop"]
