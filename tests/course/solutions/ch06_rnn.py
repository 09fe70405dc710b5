"""Chapter 6: an RNNCell, and "hello" -> "ohlol" (docs/course/06_rnn_cell.md).

Write the bodies marked "Exercise"; check them with ``python -m minigrad.course check 6``.
"""
import math

import minigrad
from minigrad import nn

CHARS = ["e", "h", "l", "o"]          # the vocabulary: each character is a class
SOURCE, TARGET = "hello", "ohlol"


def one_hot(text):
    """(len(text), 1, 4): step t holds the one-hot vector of character t, batch 1."""
    return minigrad.eye(len(CHARS))[[CHARS.index(char) for char in text]].view(len(text), 1, len(CHARS))


def labels(text):
    """(len(text), 1): the class of each character."""
    return minigrad.tensor([CHARS.index(char) for char in text]).view(len(text), 1)


class RNNCell(nn.Module):
    """One step of an Elman RNN: h' = tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)."""

    def __init__(self, input_size, hidden_size, bias=True):
        """Exercise 6.1: the parameters, named and shaped as torch's nn.RNNCell.

        ``weight_ih`` (hidden_size, input_size), ``weight_hh`` (hidden_size,
        hidden_size), ``bias_ih`` and ``bias_hh`` (hidden_size,) (registered as
        None when ``bias`` is False), all drawn from U(-1/sqrt(hidden_size),
        1/sqrt(hidden_size)).
        """
        super().__init__()
        self.hidden_size = hidden_size
        bound = 1 / math.sqrt(hidden_size)

        def parameter(*shape):
            return nn.Parameter(minigrad.empty(*shape).uniform_(-bound, bound))
        self.weight_ih = parameter(hidden_size, input_size)
        self.weight_hh = parameter(hidden_size, hidden_size)
        if bias:
            self.bias_ih, self.bias_hh = parameter(hidden_size), parameter(hidden_size)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)

    def forward(self, input, hx=None):
        """Exercise 6.1: input (B, I), hx (B, H) or None (zeros) -> the new hidden state (B, H)."""
        if hx is None:
            hx = minigrad.zeros(input.shape[0], self.hidden_size, dtype=input.dtype)
        pre = input @ self.weight_ih.T + hx @ self.weight_hh.T
        if self.bias_ih is not None:
            pre = pre + self.bias_ih + self.bias_hh
        return pre.tanh()


class OhlolModel(nn.Module):
    """Your RNNCell stepped over the input, and a Linear layer reading each hidden state as 4 scores."""

    def __init__(self, hidden_size=8):
        super().__init__()
        self.hidden_size = hidden_size
        self.cell = RNNCell(len(CHARS), hidden_size)
        self.linear = nn.Linear(hidden_size, len(CHARS))

    def forward(self, inputs):
        """Exercise 6.2: inputs (T, B, 4) -> scores (T, B, 4), from a zero hidden state.

        At each step t: h = self.cell(inputs[t], h); scores[t] = self.linear(h).
        ``minigrad.stack`` joins the steps.
        """
        hidden, scores = None, []
        for step in inputs:
            hidden = self.cell(step, hidden)
            scores.append(self.linear(hidden))
        return minigrad.stack(scores)


def predict(model):
    """The model's reading of "hello", as a string."""
    with minigrad.no_grad():
        return "".join(CHARS[index] for index in model(one_hot(SOURCE)).argmax(dim=2).view(-1).tolist())


def train_ohlol(model, epochs=30, lr=0.1):
    """Exercise 6.3: train ``model`` to read "hello" as "ohlol"; return the loss of each epoch (floats).

    Each epoch: scores = model(one_hot(SOURCE)); the loss is
    ``nn.CrossEntropyLoss()`` of scores (5, 4) against labels(TARGET) (5,),
    i.e. the mean over the 5 steps; backward; one ``minigrad.optim.Adam(lr=lr)`` step.
    """
    optimizer = minigrad.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        scores = model(one_hot(SOURCE))
        loss = criterion(scores.view(-1, len(CHARS)), labels(TARGET).view(-1))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
