"""A 2-layer LSTM character language model, written as one writes it in PyTorch.

Truncated backpropagation through time as in PyTorch's word_language_model example: the text is
cut into `bsz` parallel streams, each batch is `bptt` steps of them, and the hidden state is
carried from batch to batch, detached so that gradients stop at the batch boundary.

tests/test_program_lstm_language_model.py runs this file twice, as it is and with only its import
lines switched to autocompyute, and compares the loss curves.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class RNNModel(nn.Module):
    def __init__(self, ntoken, ninp, nhid, nlayers):
        super().__init__()
        self.ntoken, self.nhid, self.nlayers = ntoken, nhid, nlayers
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers)
        self.decoder = nn.Linear(nhid, ntoken)

    def forward(self, input, hidden):
        emb = self.encoder(input)
        output, hidden = self.rnn(emb, hidden)
        decoded = self.decoder(output).view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        shape = (self.nlayers, bsz, self.nhid)
        return (torch.zeros(*shape), torch.zeros(*shape))


def repackage_hidden(h):
    """Wraps hidden states in new tensors, to detach them from their history."""
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def batchify(ids, bsz):
    nbatch = len(ids) // bsz
    data = torch.tensor(ids[: nbatch * bsz], dtype=torch.int64)
    return data.view(bsz, -1).transpose(0, 1).contiguous()


def get_batch(source, i, bptt):
    seq_len = min(bptt, source.shape[0] - 1 - i)
    data = source[i : i + seq_len]
    target = source[i + 1 : i + 1 + seq_len].reshape(-1)
    return data, target


def nll_loss(log_probs, targets):
    return -log_probs[torch.arange(targets.shape[0]), targets].mean()


def train(model, ids, epochs=2, bsz=8, bptt=16, lr=2.0, clip=0.25):
    train_data = batchify(ids, bsz)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        hidden = model.init_hidden(bsz)
        for i in range(0, train_data.shape[0] - 1, bptt):
            data, targets = get_batch(train_data, i, bptt)
            hidden = repackage_hidden(hidden)
            optimizer.zero_grad()
            output, hidden = model(data, hidden)
            loss = nll_loss(output, targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            losses.append(loss.item())
    return losses
