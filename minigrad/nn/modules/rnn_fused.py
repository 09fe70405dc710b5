"""The fused recurrent layers: one autograd node per layer and direction.

``nn.RNN``, ``nn.LSTM`` and ``nn.GRU`` run through these by default (see
``minigrad.backends.fused_rnn``).  Each Function runs a whole sequence for one
layer and one direction:

* the input projection ``x @ W_ih^T + biases`` of every time step is one
  matmul, written into a preallocated gate buffer of shape ``(N, G*H)``;
* the Python loop runs only the recurrence: per step one ``h_prev @ W_hh^T``
  and a handful of NumPy calls that write into preallocated buffers (``out=``);
* the backward walks the steps in reverse with hand-derived gate gradients;
  the weight gradients are whole-sequence matmuls after the loop
  (``dW_hh = dgates^T @ h_prev`` over all steps at once).

The composed, one-op-per-equation version of the same maths, to read first, is
``rnn_readable.py``; the parity tests check both against torch.

Layout.  A batch of sequences is stored time-major as ``N = sum(batch_sizes)``
rows, torch's packed layout: the rows of step ``t`` are
``[offset_t, offset_t + batch_sizes[t])``, the first ``batch_sizes[t]``
sequences of a batch sorted longest first.  A padded ``(T, B, I)`` input is
the special case ``batch_sizes = [B] * T``, so one kernel serves both.  A
sequence that has ended simply drops out of the batch (the batch shrinks), so
every sequence's ``h_n`` is its state at its own last step, as in torch.

Two tricks keep the step short.  All gates are activated by one ``exp`` call:
``sigmoid(z) = 1 / (1 + exp(-z))`` and ``tanh(z) = 2 sigmoid(2 z) - 1``, with the
factors ``-1`` and ``-2`` folded into (copies of) the weights, which is exact
in binary floating point (``exp`` is also about twice as fast as NumPy's
``tanh``).  The LSTM gate columns are reordered internally from torch's
``i, f, g, o`` to ``o, f, i, g`` so that the sigmoid gates are one contiguous
slice and the gates that multiply ``dc`` in backward are neighbours; gradients are put back in torch's order.
"""
from __future__ import annotations

import numpy

from ...autograd.function import Function
from ...backend import array_module

__all__ = []   # internal: nn.RNN / nn.LSTM / nn.GRU call these


# ---- where each step's rows live ------------------------------------------------
class TimeLayout:
    """The rows of each time step in the packed layout, and the order to visit them.

    ``hidden`` buffers hold ``N + B`` rows: the initial state ``h0`` and the
    ``N`` outputs, so that the previous state of every step is a contiguous
    slice of the same buffer.  Going forward in time ``h0`` sits first (rows
    ``[0, B)``, step ``t`` at ``B + offset_t``); a reverse direction over
    equal-length sequences walks the steps backwards with ``h0`` last (rows
    ``[N, N + B)``, step ``t`` at ``offset_t``).  A reverse direction over
    sequences of different lengths first reverses each sequence in place
    (``flip``, a row permutation) and then runs forward in time.
    """

    def __init__(self, batch_sizes, reverse, xp):
        sizes = [int(size) for size in batch_sizes]
        self.batch_sizes = sizes
        self.steps = len(sizes)
        self.batch = sizes[0]
        self.offsets = numpy.concatenate([[0], numpy.cumsum(sizes)]).tolist()
        self.rows = self.offsets[-1]
        uniform = all(size == self.batch for size in sizes)
        self.flip = None
        if reverse and not uniform:
            self.flip = xp.asarray(_reversal_permutation(sizes, self.offsets))
        self.backwards_in_time = reverse and uniform
        self._plan(uniform, xp)

    def _plan(self, uniform, xp):
        B, N, T, offsets = self.batch, self.rows, self.steps, self.offsets
        if self.backwards_in_time:
            self.shift, self.h0_start = 0, N
            self.order = [(t, offsets[t], offsets[t + 1] if t + 1 < T else N, B)
                          for t in range(T - 1, -1, -1)]
            self.prev_rows = slice(B, N + B)
            self.last_rows = slice(0, B)
            return
        self.shift, self.h0_start = B, 0
        sizes = self.batch_sizes
        self.order = [(t, offsets[t], B + offsets[t - 1] if t else 0, sizes[t]) for t in range(T)]
        if uniform:
            self.prev_rows = slice(0, N)
            self.last_rows = slice(N - B, N)
        else:   # a gather: each row's previous state, and each sequence's last row
            prev = [numpy.arange(sizes[0])] + [B + offsets[t - 1] + numpy.arange(sizes[t])
                                               for t in range(1, T)]
            self.prev_rows = xp.asarray(numpy.concatenate(prev))
            lengths = _lengths(sizes)
            self.last_rows = xp.asarray(numpy.asarray(offsets)[lengths - 1] + numpy.arange(B))

    def to_sequence_order(self, array):
        """Undo ``flip`` (it is its own inverse); identity otherwise."""
        return array if self.flip is None else array[self.flip]

    from_sequence_order = to_sequence_order


def _lengths(batch_sizes):
    """Each sequence's length from the per-step batch sizes (longest first)."""
    sizes = numpy.asarray(batch_sizes)
    return (sizes[None, :] > numpy.arange(sizes[0])[:, None]).sum(axis=1)


def _reversal_permutation(batch_sizes, offsets):
    """Row permutation that reverses every sequence in time: (t, b) <-> (len_b - 1 - t, b)."""
    lengths = _lengths(batch_sizes)
    rows = []
    for t, size in enumerate(batch_sizes):
        b = numpy.arange(size)
        rows.append(numpy.asarray(offsets)[lengths[b] - 1 - t] + b)
    return numpy.concatenate(rows)


def _as_rows(array, rows):
    """``array`` as a C-contiguous ``(rows, features)`` matrix (a view when possible)."""
    xp = array_module(array)
    return xp.ascontiguousarray(array.reshape(rows, array.shape[-1]))


def _blocks(weight, order, hidden_size):
    """Reorder the gate blocks of a ``(G*H, ...)`` weight or ``(G*H,)`` bias (a copy)."""
    xp = array_module(weight)
    blocks = weight.reshape((len(order), hidden_size) + weight.shape[1:])
    return xp.ascontiguousarray(blocks[list(order)]).reshape(weight.shape)


def _for_exp(weight, sigmoid_rows):
    """A copy of a gate weight or bias ready for ``_activate``.

    Its first ``sigmoid_rows`` rows are multiplied by -1 (sigmoid gates) and the
    others by -2 (tanh gates), so the matmul yields ``-z`` and ``-2 z`` directly.
    """
    scaled = weight * -2
    scaled[:sigmoid_rows] *= 0.5
    return scaled


def _activate(pre, sigmoid_cols):
    """In place: sigmoid of ``pre[:, :sigmoid_cols]``, tanh of the other columns.

    ``pre`` holds ``-z`` for the sigmoid columns and ``-2 z`` for the tanh ones
    (see ``_for_exp``): ``sigmoid(z) = 1 / (1 + exp(-z))`` and
    ``tanh(z) = 2 sigmoid(2 z) - 1``, so one ``exp`` serves both.
    """
    xp = array_module(pre)
    xp.exp(pre, out=pre)
    pre += 1
    if sigmoid_cols:
        xp.reciprocal(pre, out=pre)
        tanh_part = pre[:, sigmoid_cols:]
        tanh_part *= 2
        tanh_part -= 1
    else:
        xp.divide(2, pre, out=pre)
        pre -= 1


def _tanh(x, out):
    """``tanh(x) = 2 / (1 + exp(-2 x)) - 1`` into ``out`` (NumPy's exp is faster than its tanh)."""
    xp = array_module(x)
    xp.multiply(x, -2, out=out)
    _activate(out, 0)
    return out


def _exp_may_overflow(forward):
    """``exp(-z)`` overflows to inf for very negative ``z``, and ``1 / (1 + inf) = 0`` is right."""
    def quiet_forward(*args, **kwargs):
        with numpy.errstate(over="ignore"):   # NumPy's warning only: CuPy does not warn
            return forward(*args, **kwargs)
    quiet_forward.__doc__ = forward.__doc__
    return quiet_forward


class _RecurrentLayer(Function):
    """Shared unpacking of a fused layer's inputs: ``x, h0, [c0], w_ih, w_hh, [b_ih, b_hh], [w_hr]``."""

    def _unpack(self, arrays, has_bias, has_cell, has_proj):
        arrays = list(arrays)
        x, h0 = arrays.pop(0), arrays.pop(0)
        c0 = arrays.pop(0) if has_cell else None
        w_ih, w_hh = arrays.pop(0), arrays.pop(0)
        b_ih, b_hh = (arrays.pop(0), arrays.pop(0)) if has_bias else (None, None)
        w_hr = arrays.pop(0) if has_proj else None
        return x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr

    def _start(self, x, h0, batch_sizes, reverse):
        """The layout and the input as ``(N, I)`` rows in processing order."""
        xp = array_module(x)
        self.input_shape = x.shape
        self.has_batch_sizes = batch_sizes is not None
        if batch_sizes is None:                       # padded (T, B, I)
            batch_sizes = (x.shape[1],) * x.shape[0]
        layout = TimeLayout(batch_sizes, reverse, xp)
        rows = layout.to_sequence_order(_as_rows(x, layout.rows))
        return xp, layout, rows

    def _hidden_buffer(self, xp, layout, state, dtype):
        """``(N + B, F)``: the initial state and one row per output, see ``TimeLayout``."""
        buffer = xp.empty((layout.rows + layout.batch, state.shape[-1]), dtype)
        buffer[layout.h0_start:layout.h0_start + layout.batch] = state
        return buffer

    def _output(self, layout, buffer):
        """The outputs in sequence order, shaped like the input but with the buffer's features."""
        rows = layout.from_sequence_order(buffer[layout.shift:layout.shift + layout.rows])
        return rows.reshape(self.input_shape[:-1] + (buffer.shape[-1],))

    def _final(self, layout, buffer):
        """Each sequence's state after its last step, ``(B, F)`` (a copy)."""
        rows = buffer[layout.shift:layout.shift + layout.rows][layout.last_rows]
        return rows.copy() if isinstance(layout.last_rows, slice) else rows

    def _grad_rows(self, layout, grad_output):
        return layout.to_sequence_order(_as_rows(grad_output, layout.rows))

    def _grad_input(self, layout, grad_rows):
        return layout.from_sequence_order(grad_rows).reshape(self.input_shape)


# ---- Elman RNN -----------------------------------------------------------------
class RNNLayer(_RecurrentLayer):
    """``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``, act = tanh or relu.

    Inputs ``x (T, B, I)`` (or packed ``(N, I)`` with ``batch_sizes``), ``h0 (B, H)``,
    ``w_ih (H, I)``, ``w_hh (H, H)``, optional ``b_ih, b_hh (H,)``.
    Outputs ``output (T, B, H)`` (or ``(N, H)``) and ``h_n (B, H)``.
    """

    @_exp_may_overflow
    def forward(self, *arrays, batch_sizes=None, reverse=False, has_bias=True, nonlinearity="tanh"):
        x, h0, _, w_ih, w_hh, b_ih, b_hh, _ = self._unpack(arrays, has_bias, False, False)
        xp, layout, x_rows = self._start(x, h0, batch_sizes, reverse)
        self.layout, self.has_bias, self.nonlinearity = layout, has_bias, nonlinearity
        tanh = nonlinearity == "tanh"
        prepare = (lambda w: _for_exp(w, 0)) if tanh else (lambda w: w)   # tanh: weights * -2
        projected = xp.matmul(x_rows, prepare(w_ih).T)             # (N, H), all steps at once
        if has_bias:
            projected += prepare(b_ih + b_hh)
        hidden = self._hidden_buffer(xp, layout, h0, x.dtype)
        w_hh_t, shift = prepare(w_hh).T, layout.shift
        for _, row, prev, size in layout.order:
            h = hidden[shift + row:shift + row + size]
            xp.matmul(hidden[prev:prev + size], w_hh_t, out=h)
            h += projected[row:row + size]
            if tanh:
                _activate(h, 0)
            else:
                xp.maximum(h, 0, out=h)
        self.save_for_backward(x, w_ih, w_hh, x_rows, hidden)
        return self._output(layout, hidden), self._final(layout, hidden)

    def backward(self, grad_output, grad_hn):
        x, w_ih, w_hh, x_rows, hidden = self.saved_tensors
        xp, layout, shift = array_module(hidden), self.layout, self.layout.shift
        outputs = hidden[shift:shift + layout.rows]
        if self.nonlinearity == "tanh":                             # d act / d z for all steps
            slope = 1 - outputs * outputs
        else:
            slope = (outputs > 0).astype(outputs.dtype)
        grad_pre = self._grad_rows(layout, grad_output).copy()      # becomes d loss / d z
        grad_h = grad_hn.copy()                                     # d loss / d h carried back
        for _, row, _, size in reversed(layout.order):
            dz = grad_pre[row:row + size]
            dz += grad_h[:size]
            dz *= slope[row:row + size]
            xp.matmul(dz, w_hh, out=grad_h[:size])
        grads = [self._grad_input(layout, grad_pre @ w_ih) if self.needs_input_grad[0] else None,
                 grad_h, grad_pre.T @ x_rows, grad_pre.T @ hidden[layout.prev_rows]]
        if self.has_bias:
            grad_bias = grad_pre.sum(axis=0)
            grads += [grad_bias, grad_bias.copy()]
        return tuple(grads)


# ---- LSTM ----------------------------------------------------------------------
LSTM_ORDER = (3, 1, 0, 2)         # internal gate blocks o, f, i, g taken from torch's i, f, g, o
LSTM_UNORDER = (2, 1, 3, 0)       # and back


class LSTMLayer(_RecurrentLayer):
    """One LSTM layer and direction over a whole sequence (torch's gate order i, f, g, o).

    ``i, f, o = sigmoid(.)``, ``g = tanh(.)`` of ``x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh``;
    ``c_t = f * c_{t-1} + i * g``; ``h_t = o * tanh(c_t)``, then ``h_t = h_t W_hr^T`` with a
    projection.  Inputs ``x (T, B, I)`` (or packed ``(N, I)``), ``h0 (B, P)``, ``c0 (B, H)``,
    ``w_ih (4H, I)``, ``w_hh (4H, P)``, optional ``b_ih, b_hh (4H,)``, optional ``w_hr (P, H)``
    (P = H without projection).  Outputs ``output (T, B, P)``, ``h_n (B, P)``, ``c_n (B, H)``.
    Internally the gate columns are ordered o, f, i, g.
    """

    @_exp_may_overflow
    def forward(self, *arrays, batch_sizes=None, reverse=False, has_bias=True, has_proj=False):
        x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr = self._unpack(arrays, has_bias, True, has_proj)
        xp, layout, x_rows = self._start(x, h0, batch_sizes, reverse)
        self.layout, self.has_bias, self.has_proj = layout, has_bias, has_proj
        H, dtype = w_ih.shape[0] // 4, x.dtype
        B, shift = layout.batch, layout.shift
        prepare = lambda weight: _for_exp(_blocks(weight, LSTM_ORDER, H), 3 * H)  # noqa: E731
        gates = xp.matmul(x_rows, prepare(w_ih).T)                  # (N, 4H): o, f, i, g
        if has_bias:
            gates += prepare(b_ih + b_hh)
        w_hh_t = prepare(w_hh).T
        hidden = self._hidden_buffer(xp, layout, h0, dtype)         # (N + B, P)
        cell = self._hidden_buffer(xp, layout, c0, dtype)           # (N + B, H)
        tanh_cell = xp.empty((layout.rows, H), dtype)
        gated = xp.empty((layout.rows, H), dtype) if has_proj else None   # o * tanh(c)
        recurrent = xp.empty((B, 4 * H), dtype)
        input_gate = xp.empty((B, H), dtype)
        for _, row, prev, size in layout.order:
            here, now = slice(row, row + size), slice(shift + row, shift + row + size)
            step = gates[here]
            step += xp.matmul(hidden[prev:prev + size], w_hh_t, out=recurrent[:size])
            _activate(step, 3 * H)
            c = cell[now]
            xp.multiply(step[:, H:2 * H], cell[prev:prev + size], out=c)                # f * c_prev
            c += xp.multiply(step[:, 2 * H:3 * H], step[:, 3 * H:], out=input_gate[:size])  # + i * g
            _tanh(c, tanh_cell[here])
            if has_proj:
                xp.multiply(step[:, :H], tanh_cell[here], out=gated[here])
                xp.matmul(gated[here], w_hr.T, out=hidden[now])
            else:
                xp.multiply(step[:, :H], tanh_cell[here], out=hidden[now])              # o * tanh(c)
        self.save_for_backward(x, w_ih, w_hh, w_hr, x_rows, gates, hidden, cell, tanh_cell, gated)
        return self._output(layout, hidden), self._final(layout, hidden), self._final(layout, cell)

    def backward(self, grad_output, grad_hn, grad_cn):
        x, w_ih, w_hh, w_hr, x_rows, gates, hidden, cell, tanh_cell, gated = self.saved_tensors
        xp, layout = array_module(gates), self.layout
        H = w_ih.shape[0] // 4
        w_hh_bwd = _blocks(w_hh, LSTM_ORDER, H)
        factors, cell_slope = _lstm_factors(gates, tanh_cell, cell[layout.prev_rows], H)
        grad_output = self._grad_rows(layout, grad_output)
        grad_gates = xp.empty_like(gates)                           # (N, 4H): o, f, i, g
        grad_hidden = xp.empty_like(grad_output) if self.has_proj else None   # (N, P)
        grad_h, grad_c = grad_hn.copy(), grad_cn.copy()             # carried back in time
        dh_buffer = xp.empty((layout.batch, H), gates.dtype)
        scratch = xp.empty((layout.batch, H), gates.dtype)
        for _, row, _, size in reversed(layout.order):
            here = slice(row, row + size)
            if self.has_proj:
                dh_out = xp.add(grad_output[here], grad_h[:size], out=grad_hidden[here])
                dh = xp.matmul(dh_out, w_hr, out=dh_buffer[:size])
            else:
                dh = xp.add(grad_output[here], grad_h[:size], out=dh_buffer[:size])
            dc = grad_c[:size]
            dc += xp.multiply(dh, cell_slope[here], out=scratch[:size])
            dgates = grad_gates[here]
            xp.multiply(dh, factors[here, :H], out=dgates[:, :H])                       # o
            xp.multiply(dc[:, None, :], factors[here, H:].reshape(size, 3, H),
                        out=dgates[:, H:].reshape(size, 3, H))                          # f, i, g
            dc *= gates[here, H:2 * H]                               # dc_{t-1} = dc_t * f
            xp.matmul(dgates, w_hh_bwd, out=grad_h[:size])
        grad_x = None
        if self.needs_input_grad[0]:
            grad_x = self._grad_input(layout, grad_gates @ _blocks(w_ih, LSTM_ORDER, H))
        grads = [grad_x, grad_h, grad_c,
                 _blocks(grad_gates.T @ x_rows, LSTM_UNORDER, H),
                 _blocks(grad_gates.T @ hidden[layout.prev_rows], LSTM_UNORDER, H)]
        if self.has_bias:
            grad_bias = _blocks(grad_gates.sum(axis=0), LSTM_UNORDER, H)
            grads += [grad_bias, grad_bias.copy()]
        if self.has_proj:
            grads.append(grad_hidden.T @ gated)
        return tuple(grads)


def _lstm_factors(gates, tanh_cell, cell_prev, H):
    """What the step gradients multiply by, for all steps at once (columns o, f, i, g).

    ``d o_pre = dh * tanh(c) o (1 - o)``, ``d f_pre = dc * c_prev f (1 - f)``,
    ``d i_pre = dc * g i (1 - i)``, ``d g_pre = dc * i (1 - g^2)``, and
    ``dc += dh * o (1 - tanh(c)^2)`` (the returned ``cell_slope``).
    """
    o, f, i, g = (gates[:, k * H:(k + 1) * H] for k in range(4))
    factors = 1 - gates
    factors[:, :3 * H] *= gates[:, :3 * H]                          # s (1 - s)
    factors[:, 3 * H:] *= 1 + g                                      # 1 - g^2
    factors[:, :H] *= tanh_cell
    factors[:, H:2 * H] *= cell_prev
    factors[:, 2 * H:3 * H] *= g
    factors[:, 3 * H:] *= i
    cell_slope = 1 - tanh_cell * tanh_cell
    cell_slope *= o
    return factors, cell_slope


# ---- GRU -----------------------------------------------------------------------
class GRULayer(_RecurrentLayer):
    """One GRU layer and direction over a whole sequence (torch's gate order r, z, n).

    ``r, z = sigmoid(x_t W_i^T + b_i + h_{t-1} W_h^T + b_h)``,
    ``n = tanh(x_t W_in^T + b_in + r * (h_{t-1} W_hn^T + b_hn))``,
    ``h_t = (1 - z) * n + z * h_{t-1}``.  Inputs ``x (T, B, I)`` (or packed ``(N, I)``),
    ``h0 (B, H)``, ``w_ih (3H, I)``, ``w_hh (3H, H)``, optional ``b_ih, b_hh (3H,)``.
    Outputs ``output (T, B, H)`` and ``h_n (B, H)``.
    """

    @_exp_may_overflow
    def forward(self, *arrays, batch_sizes=None, reverse=False, has_bias=True):
        x, h0, _, w_ih, w_hh, b_ih, b_hh, _ = self._unpack(arrays, has_bias, False, False)
        xp, layout, x_rows = self._start(x, h0, batch_sizes, reverse)
        self.layout, self.has_bias = layout, has_bias
        H, shift = w_ih.shape[0] // 3, layout.shift
        gates = xp.matmul(x_rows, _for_exp(w_ih, 2 * H).T)          # (N, 3H): -r, -z, -2n parts
        if has_bias:                                                 # b_hn stays inside r * (.)
            b_hh = _for_exp(b_hh, 2 * H)
            gates += _for_exp(b_ih, 2 * H)
            gates[:, :2 * H] += b_hh[:2 * H]
        recurrent = xp.empty((layout.rows, 3 * H), x.dtype)         # -(h W_hh^T + b_hh) (n: * 2)
        hidden = self._hidden_buffer(xp, layout, h0, x.dtype)
        w_hh_t = _for_exp(w_hh, 2 * H).T
        scratch = xp.empty((layout.batch, H), x.dtype)
        for _, row, prev, size in layout.order:
            here = slice(row, row + size)
            h_prev, step, rec = hidden[prev:prev + size], gates[here], recurrent[here]
            xp.matmul(h_prev, w_hh_t, out=rec)
            if has_bias:
                rec[:, 2 * H:] += b_hh[2 * H:]
            reset_update = step[:, :2 * H]
            reset_update += rec[:, :2 * H]
            _activate(reset_update, 2 * H)
            new = step[:, 2 * H:]
            new += xp.multiply(step[:, :H], rec[:, 2 * H:], out=scratch[:size])   # + r * (W_hn h + b_hn)
            _activate(new, 0)
            h = hidden[shift + row:shift + row + size]
            xp.subtract(h_prev, new, out=h)                         # h = n + z * (h_prev - n)
            h *= step[:, H:2 * H]
            h += new
        self.save_for_backward(x, w_ih, w_hh, x_rows, gates, recurrent, hidden)
        return self._output(layout, hidden), self._final(layout, hidden)

    def backward(self, grad_output, grad_hn):
        x, w_ih, w_hh, x_rows, gates, recurrent, hidden = self.saved_tensors
        xp, layout = array_module(gates), self.layout
        H = w_ih.shape[0] // 3
        h_prev = hidden[layout.prev_rows]
        reset, update = gates[:, :H], gates[:, H:2 * H]
        new_factor, reset_factor, update_factor = _gru_factors(gates, recurrent, h_prev, H)
        grad_output = self._grad_rows(layout, grad_output)
        grad_input_gates = xp.empty_like(gates)                     # d loss / d (x W_ih^T + b_ih)
        grad_hidden_gates = xp.empty_like(gates)                    # d loss / d (h W_hh^T + b_hh)
        grad_h = grad_hn.copy()
        dh_buffer = xp.empty((layout.batch, H), gates.dtype)
        carried = xp.empty((layout.batch, H), gates.dtype)
        for _, row, _, size in reversed(layout.order):
            here = slice(row, row + size)
            dh = xp.add(grad_output[here], grad_h[:size], out=dh_buffer[:size])
            d_new = xp.multiply(dh, new_factor[here], out=grad_input_gates[here, 2 * H:])
            dgates = grad_hidden_gates[here]
            xp.multiply(d_new, reset_factor[here], out=dgates[:, :H])                  # r
            xp.multiply(dh, update_factor[here], out=dgates[:, H:2 * H])               # z
            xp.multiply(d_new, reset[here], out=dgates[:, 2 * H:])                     # W_hn h + b_hn
            xp.matmul(dgates, w_hh, out=grad_h[:size])
            grad_h[:size] += xp.multiply(dh, update[here], out=carried[:size])         # + z * dh
        grad_input_gates[:, :2 * H] = grad_hidden_gates[:, :2 * H]
        grad_x = None
        if self.needs_input_grad[0]:
            grad_x = self._grad_input(layout, grad_input_gates @ w_ih)
        grads = [grad_x, grad_h, grad_input_gates.T @ x_rows, grad_hidden_gates.T @ h_prev]
        if self.has_bias:
            grads += [grad_input_gates.sum(axis=0), grad_hidden_gates.sum(axis=0)]
        return tuple(grads)


def _gru_factors(gates, recurrent, h_prev, H):
    """What the step gradients multiply by, for all steps at once.

    ``d n_pre = dh (1 - z) (1 - n^2)``, ``d r_pre = d n_pre (W_hn h + b_hn) r (1 - r)``,
    ``d z_pre = dh (h_prev - n) z (1 - z)``; ``recurrent[:, 2H:]`` holds
    ``-2 (W_hn h + b_hn)`` (see ``_for_exp``).
    """
    reset, update, new = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:]
    new_factor = 1 - new * new
    new_factor *= 1 - update
    reset_factor = recurrent[:, 2 * H:] * -0.5
    reset_factor *= reset
    reset_factor *= 1 - reset
    update_factor = h_prev - new
    update_factor *= update
    update_factor *= 1 - update
    return new_factor, reset_factor, update_factor
