"""Chapter 7: LSTM and GRU, shapes, packed sequences, truncated BPTT (docs/course/07_lstm_gru.md).

The functions take minigrad tensors and use tensor ops (autograd differentiates
them).  Weights are laid out as torch's: the gates stacked as row blocks of
``weight_ih`` (G*H, I) and ``weight_hh`` (G*H, H), in the order i, f, g, o for
the LSTM and r, z, n for the GRU.  A bias may be None (a layer without bias).
Write the bodies marked "Exercise"; check them with ``python -m minigrad.course check 7``.
"""
import minigrad


def _affine(x, weight, bias):
    y = x @ weight.T
    return y if bias is None else y + bias


def lstm_cell(x, h, c, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """Exercise 7.1: one LSTM step: x (B, I), h and c (B, H) -> (h', c'), each (B, H).

    z = x W_ih^T + b_ih + h W_hh^T + b_hh (B, 4H), split in four (i, f, g, o);
    i, f, o = sigmoid; g = tanh; c' = f * c + i * g; h' = o * tanh(c').
    """
    raise NotImplementedError("exercise 7.1: one LSTM step: x (B, I), h and c (B, H) -> (h', c'), each (B, H)")


def gru_cell(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """Exercise 7.2: one GRU step: x (B, I), h (B, H) -> h' (B, H).

    With the gates r, z, n stacked in that order:
    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr), z likewise,
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h.
    """
    raise NotImplementedError("exercise 7.2: one GRU step: x (B, I), h (B, H) -> h' (B, H)")


def lstm(input, weights, num_layers=1, bidirectional=False, batch_first=False, hx=None):
    """Exercise 7.3: a stacked, optionally bidirectional LSTM, as ``nn.LSTM``, from ``lstm_cell``.

    input: (T, B, I), or (B, T, I) when batch_first.  weights: torch's names
    -> tensors: ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``,
    ``bias_hh_l{k}`` (absent without bias) and the same ending in
    ``_reverse`` for the backward direction.  hx: (h_0, c_0), each
    (D * L, B, H), or None for zeros.  Returns output (T, B, D * H) (batch
    first when batch_first) and (h_n, c_n), each (D * L, B, H), never batch first.
    Layer k > 0 reads layer k - 1's output; the reverse direction reads the
    sequence from the last step to the first.
    """
    raise NotImplementedError("exercise 7.3: a stacked, optionally bidirectional LSTM, as nn.LSTM, from lstm_cell")


def rnn_packed(input, lengths, weight_ih, weight_hh, bias_ih, bias_hh):
    """Exercise 7.4: a tanh RNN over a padded batch of sequences of different lengths.

    input: (T, B, I), sequence b real for its first lengths[b] steps (a list of
    ints, any order) and padding after.  Returns output (T, B, H), zero past each
    sequence's end (as pad_packed_sequence gives it), and h_n (1, B, H): each
    sequence's state at its *own* last step.  Start from zeros.
    """
    raise NotImplementedError("exercise 7.4: a tanh RNN over a padded batch of sequences of different lengths")


def truncated_bptt(cell, inputs, chunk_length):
    """Exercise 7.5: truncated backpropagation through time; return one weight_hh gradient per chunk.

    cell: an ``nn.RNNCell``; inputs: (T, B, I).  Run the cell over the steps in
    chunks of ``chunk_length`` (the last may be shorter), from a zero state
    that is carried from chunk to chunk.  For each chunk: zero the cell's
    gradients, loss = sum over the chunk's steps of (h_t ** 2).sum(),
    backward, and record ``cell.weight_hh.grad.numpy().copy()``.  The gradient
    must not flow into the previous chunk.
    """
    raise NotImplementedError("exercise 7.5: truncated backpropagation through time; return one weight_hh gradient per chunk")
