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
    z = _affine(x, weight_ih, bias_ih) + _affine(h, weight_hh, bias_hh)
    i, f, g, o = z.chunk(4, dim=1)
    c_next = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c_next.tanh(), c_next


def gru_cell(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """Exercise 7.2: one GRU step: x (B, I), h (B, H) -> h' (B, H).

    With the gates r, z, n stacked in that order:
    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr), z likewise,
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h.
    """
    input_r, input_z, input_n = _affine(x, weight_ih, bias_ih).chunk(3, dim=1)
    hidden_r, hidden_z, hidden_n = _affine(h, weight_hh, bias_hh).chunk(3, dim=1)
    r, z = (input_r + hidden_r).sigmoid(), (input_z + hidden_z).sigmoid()
    n = (input_n + r * hidden_n).tanh()
    return (1 - z) * n + z * h


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
    if batch_first:
        input = input.transpose(0, 1)
    steps, batch = input.shape[0], input.shape[1]
    hidden = weights["weight_hh_l0"].shape[1]
    directions = 2 if bidirectional else 1
    if hx is None:
        zeros = minigrad.zeros(directions * num_layers, batch, hidden, dtype=input.dtype)
        hx = (zeros, zeros)
    layer_input, h_n, c_n = input, [], []
    for layer in range(num_layers):
        outputs = []
        for direction in range(directions):
            suffix = f"_l{layer}" + ("_reverse" if direction else "")
            parameters = [weights.get(f"{name}{suffix}") for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            index = layer * directions + direction
            h, c = hx[0][index], hx[1][index]
            order = range(steps - 1, -1, -1) if direction else range(steps)
            per_step = [None] * steps
            for t in order:
                h, c = lstm_cell(layer_input[t], h, c, *parameters)
                per_step[t] = h                          # the state after reading x[t] belongs at t
            outputs.append(minigrad.stack(per_step))
            h_n.append(h)
            c_n.append(c)
        layer_input = minigrad.cat(outputs, dim=2) if directions == 2 else outputs[0]
    output = layer_input.transpose(0, 1) if batch_first else layer_input
    return output, (minigrad.stack(h_n), minigrad.stack(c_n))


def rnn_packed(input, lengths, weight_ih, weight_hh, bias_ih, bias_hh):
    """Exercise 7.4: a tanh RNN over a padded batch of sequences of different lengths.

    input: (T, B, I), sequence b real for its first lengths[b] steps (a list of
    ints, any order) and padding after.  Returns output (T, B, H), zero past each
    sequence's end (as pad_packed_sequence gives it), and h_n (1, B, H): each
    sequence's state at its *own* last step.  Start from zeros.
    """
    steps, batch = input.shape[0], input.shape[1]
    hidden = weight_hh.shape[1]
    h = minigrad.zeros(batch, hidden, dtype=input.dtype)
    outputs = []
    for t in range(steps):
        alive = minigrad.tensor([[1.0] if t < length else [0.0] for length in lengths], dtype=input.dtype)  # (B, 1)
        h_new = (_affine(input[t], weight_ih, bias_ih) + _affine(h, weight_hh, bias_hh)).tanh()
        h = alive * h_new + (1 - alive) * h        # a finished sequence keeps its last state
        outputs.append(alive * h_new)
    return minigrad.stack(outputs), h.unsqueeze(0)


def truncated_bptt(cell, inputs, chunk_length):
    """Exercise 7.5: truncated backpropagation through time; return one weight_hh gradient per chunk.

    cell: an ``nn.RNNCell``; inputs: (T, B, I).  Run the cell over the steps in
    chunks of ``chunk_length`` (the last may be shorter), from a zero state
    that is carried from chunk to chunk.  For each chunk: zero the cell's
    gradients, loss = sum over the chunk's steps of (h_t ** 2).sum(),
    backward, and record ``cell.weight_hh.grad.numpy().copy()``.  The gradient
    must not flow into the previous chunk.
    """
    h = minigrad.zeros(inputs.shape[1], cell.hidden_size, dtype=inputs.dtype)
    gradients = []
    for start in range(0, inputs.shape[0], chunk_length):
        cell.zero_grad()
        h = h.detach()                        # cut the history: the previous chunk's graph is done
        loss = 0
        for x in inputs[start:start + chunk_length]:
            h = cell(x, h)
            loss = loss + (h ** 2).sum()
        loss.backward()
        gradients.append(cell.weight_hh.grad.numpy().copy())
    return gradients
