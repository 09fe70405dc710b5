"""The fused recurrent layers: one autograd node per layer and direction.

``nn.RNN``, ``nn.LSTM`` and ``nn.GRU`` run through these by default (see
``minigrad.backends.fused_rnn``).  Each Function runs a whole sequence for one
layer and one direction:

* the input projection ``x @ W_ih^T + biases`` of every time step is one
  (batched) matmul, written into a gate buffer of shape ``(G, N, H)``,
  gate-major so that every gate of every step is a contiguous block;
* the Python loop runs only the recurrence: per step one ``h_prev @ W_hh^T``
  and a handful of NumPy calls that write into preallocated buffers (``out=``);
* the backward walks the steps in reverse with hand-derived gate gradients;
  the weight gradients are whole-sequence matmuls after the loop
  (``dW_hh = dgates^T @ h_prev`` over all steps at once).

The whole-sequence products run on two cores when large (``threads.matmul``), and so
does the time loop of a large batch: its sequences are independent, so each loop is a
``run(first, last, matmul)`` over the sequences ``[first, last)``, which
``threads.in_two_parts`` runs as two halves on two threads (measured on 2 cores: 10-20%
off a hidden-128 batch-128 step; at the seed's hidden 64 batch 64 the two threads' NumPy
calls are too small, and waiting on each other for the GIL made the step 50% longer).
A layer of a padded batch with 2^24 multiply-adds or more (the seed's two layers have 42 and
59 million) runs instead as two halves of its batch, the second in a helper process that has
no GIL to share (``processes.py``; ``_RecurrentLayer.forward``): each half is
``forward_whole`` / ``backward_whole`` on its sequences.

The composed, one-op-per-equation version of the same maths, to read first, is
``readable.py``; the parity tests check both against torch.

Layout.  A batch of sequences is stored time-major as ``N = sum(batch_sizes)``
rows, torch's packed layout: the rows of step ``t`` are
``[offset_t, offset_t + batch_sizes[t])``, the first ``batch_sizes[t]``
sequences of a batch sorted longest first.  A padded ``(T, B, I)`` input is
the special case ``batch_sizes = [B] * T``, so one kernel serves both.  A
sequence that has ended simply drops out of the batch (the batch shrinks), so
every sequence's ``h_n`` is its state at its own last step, as in torch.

Three tricks keep the step short.  The sigmoid gates of a step are activated
by one ``exp`` call, ``sigmoid(z) = 1 / (1 + exp(-z))``, with the factor ``-1``
folded into (copies of) the weights, which is exact in binary floating point;
the tanh gates by one ``tanh`` call (NumPy's SIMD ``tanh`` is faster than any
``exp`` formula for it).  The gates are stored gate-major (NumPy runs several times slower
on column slices of a ``(N, G*H)`` matrix), and the LSTM gates are reordered
internally from torch's ``i, f, g, o`` to ``o, f, i, g``, so that the sigmoid
gates are ``[:3]`` and the gates that multiply ``dc`` in backward are ``[1:]``;
gradients are put back in torch's order.  The backward's per-step factors
(``s (1 - s)`` times the partner value) are computed for all steps at once
before the loop, so the loop itself is a few multiplies and one matmul a step.

NumPy appears here only for the host-side bookkeeping of the layout (index
arrays) and its floating-point warning switch; the array maths goes through
``xp`` and runs on CuPy unchanged.  On CuPy arrays the elementwise statements of
each step (forward and backward) run as one fused kernel instead, at the places
marked ``CUDA hook`` (``cuda_kernels.py``: the same statements, transcribed).
"""
from __future__ import annotations

import numpy

from ... import processes, threads
from ...core.function import Function
from ...core.device import array_module
from . import cuda_kernels, readable
from .layout import TimeLayout

__all__ = []   # internal: cells.py registers these for nn.RNN / nn.LSTM / nn.GRU


def lstm_layer(input, state, weights, *, bias, proj, batch_sizes=None, reverse=False):
    """One LSTM layer and direction over a sequence as one graph node.

    Same contract as ``readable.run_layer``: ``input`` ``(T, B, I)`` or packed
    ``(N, I)`` with ``batch_sizes``; ``state`` ``(h0, c0)``; ``weights`` in torch's
    order.  Returns ``output`` and the final state tuple.
    """
    output, h_n, c_n = LSTMLayer.apply(input, *state, *weights, has_proj=proj,
                                       **_layout_options(batch_sizes, reverse, bias))
    return output, (h_n, c_n)


def gru_layer(input, state, weights, *, bias, proj, batch_sizes=None, reverse=False):
    """One GRU layer and direction as one graph node (contract of ``lstm_layer``; state ``(h0,)``)."""
    output, h_n = GRULayer.apply(input, *state, *weights, **_layout_options(batch_sizes, reverse, bias))
    return output, (h_n,)


def rnn_layer(nonlinearity):
    """The Elman layer with ``nonlinearity`` ('tanh' or 'relu'), contract of ``lstm_layer``."""
    def run(input, state, weights, *, bias, proj, batch_sizes=None, reverse=False):
        output, h_n = RNNLayer.apply(input, *state, *weights, nonlinearity=nonlinearity,
                                     **_layout_options(batch_sizes, reverse, bias))
        return output, (h_n,)
    return run


def _layout_options(batch_sizes, reverse, bias):
    sizes = None if batch_sizes is None else tuple(int(size) for size in batch_sizes)
    return dict(batch_sizes=sizes, reverse=reverse, has_bias=bias)


def _as_rows(array, rows):
    """``array`` as a C-contiguous ``(rows, features)`` matrix (a view when possible)."""
    xp = array_module(array)
    return xp.ascontiguousarray(array.reshape(rows, array.shape[-1]))


def _gate_blocks(weight, order):
    """A ``(G*H, X)`` weight or ``(G*H,)`` bias as ``(G, H, X)`` / ``(G, H)`` in ``order`` (a copy)."""
    blocks = weight.reshape((len(order), -1) + weight.shape[1:])
    return blocks[list(order)]


def _torch_blocks(blocks, unorder):
    """Gate-major gradients ``(G, H, X)`` / ``(G, H)`` back to torch's ``(G*H, X)`` / ``(G*H,)``."""
    blocks = blocks[list(unorder)]
    return blocks.reshape((-1,) + blocks.shape[2:])


def _for_exp(blocks, sigmoid_gates):
    """Gate-major weights or biases (a fresh copy, scaled in place) ready for ``_sigmoid``:
    the first ``sigmoid_gates`` gates times -1, so that the matmul yields ``-z`` for them."""
    blocks[:sigmoid_gates] *= -1
    return blocks


def _sigmoid(negated):
    """In place: ``sigmoid(z) = 1 / (1 + exp(-z))`` of an array holding ``-z`` (see ``_for_exp``)."""
    xp = array_module(negated)
    xp.exp(negated, out=negated)
    negated += 1
    xp.reciprocal(negated, out=negated)


def _exp_may_overflow(forward):
    """``exp(-z)`` overflows to inf for very negative ``z``, and ``1 / (1 + inf) = 0`` is right."""
    def quiet_forward(*args, **kwargs):
        with numpy.errstate(over="ignore"):   # NumPy's warning only: CuPy does not warn
            return forward(*args, **kwargs)
    quiet_forward.__doc__ = forward.__doc__
    return quiet_forward


class _RecurrentLayer(Function):
    """What the fused layers share: unpacking their inputs ``x, h0, [c0], w_ih, w_hh, [b_ih, b_hh],
    [w_hr]``, and running a large padded batch in two halves, the second in a helper process
    (``processes.py``); each half runs ``forward_whole`` / ``backward_whole`` on its sequences."""

    _halves = None      # (the first half's node, the helper's key) where the batch ran in two halves

    def forward(self, *arrays, **options):
        x, w_ih, w_hh = arrays[0], arrays[2 + self.has_cell], arrays[3 + self.has_cell]
        work = x.shape[0] * x.shape[1] * w_ih.shape[0] * (w_ih.shape[1] + w_hh.shape[1]) if x.ndim == 3 else 0
        if options.get("batch_sizes") is not None or not processes.worth_splitting(x.shape[1], work, x):
            return self.forward_whole(*arrays, **options)
        outputs, self._halves = processes.in_two_halves(self, arrays, options, self._split, self._joined)
        part = self._halves[0]
        self.has_bias, self.has_proj = part.has_bias, getattr(part, "has_proj", False)
        self.batch_sizes, self.reverse = part.batch_sizes, part.reverse
        self.nonlinearity = getattr(part, "nonlinearity", None)
        # what the whole layer saves of its inputs and output: torch's check of in-place writes
        self.save_for_backward(x, w_ih, w_hh, arrays[-1] if self.has_proj else None, outputs[0])
        return outputs

    def backward(self, *grads):
        if self._halves is None:
            return self.backward_whole(*grads)
        return processes.backward_in_two_halves(self._halves, grads, self._split, self._joined)

    def release(self):
        super().release()
        processes.forget(self._halves)
        self._halves = None

    def _split(self, arrays):
        """The two halves of a batch's inputs (or of its outputs' gradients): the sequence
        ``(T, B, F)`` first, then the states ``(B, F)``, then weights (the same for both)."""
        states = 1 + self.has_cell
        half = arrays[0].shape[1] // 2
        first = [arrays[0][:, :half]] + [state[:half] for state in arrays[1:1 + states]]
        second = [arrays[0][:, half:]] + [state[half:] for state in arrays[1:1 + states]]
        rest = list(arrays[1 + states:])
        return first + rest, second + rest

    def _joined(self, first, second):
        """The two halves' results as one batch's: sequences and states joined, weight gradients summed."""
        states = 1 + self.has_cell
        joined = [None if first[0] is None else numpy.concatenate((first[0], second[0]), axis=1)]
        joined += [numpy.concatenate((a, b)) for a, b in zip(first[1:1 + states], second[1:1 + states])]
        joined += [None if a is None else a + b for a, b in zip(first[1 + states:], second[1 + states:])]
        return tuple(joined)

    def _unpack(self, arrays, has_bias, has_cell, has_proj):
        arrays = list(arrays)
        x, h0 = arrays.pop(0), arrays.pop(0)
        c0 = arrays.pop(0) if has_cell else None
        w_ih, w_hh = arrays.pop(0), arrays.pop(0)
        b_ih, b_hh = (arrays.pop(0), arrays.pop(0)) if has_bias else (None, None)
        w_hr = arrays.pop(0) if has_proj else None
        return x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr

    def composite(self, *inputs):
        """The readable layer (``readable.py``, tensor ops) on the same inputs: what a backward
        recorded as a graph (create_graph=True) differentiates, with the same numbers."""
        x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr = self._unpack(inputs, self.has_bias, self.has_cell,
                                                              self.has_proj)
        weights = (w_ih, w_hh, b_ih, b_hh)
        state = (h0,) if c0 is None else (h0, c0)
        output, final = readable.run_layer(self._readable_step(weights, w_hr), x, state,
                                           batch_sizes=self.batch_sizes, reverse=self.reverse)
        return (output, *final)

    def _start(self, x, batch_sizes, reverse):
        """The layout and the input as ``(N, I)`` rows in processing order."""
        xp = array_module(x)
        self.input_shape, self.batch_sizes, self.reverse = x.shape, batch_sizes, reverse
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

    has_cell = has_proj = False

    def _readable_step(self, weights, _):
        return lambda x, state: (readable.rnn_cell(x, state[0], *weights, nonlinearity=self.nonlinearity),)

    def forward_whole(self, *arrays, batch_sizes=None, reverse=False, has_bias=True, nonlinearity="tanh"):
        x, h0, _, w_ih, w_hh, b_ih, b_hh, _ = self._unpack(arrays, has_bias, False, False)
        xp, layout, x_rows = self._start(x, batch_sizes, reverse)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.layout, self.has_bias, self.nonlinearity = layout, has_bias, nonlinearity
        tanh = nonlinearity == "tanh"
        projected = threads.matmul(x_rows, w_ih.T)                  # (N, H), all steps at once
        if has_bias:
            projected += b_ih + b_hh
        hidden = self._hidden_buffer(xp, layout, h0, x.dtype)
        w_hh_t, shift = w_hh.T, layout.shift
        kernels = cuda_kernels.step_kernels(xp)

        def run(first, last, matmul):   # the sequences [first, last) of the batch, every step
            for row, prev, size in layout.part_order(first, last):
                h = hidden[shift + row:shift + row + size]
                matmul(hidden[prev:prev + size], w_hh_t, out=h)
                if kernels:   # CUDA hook: the three lines below as one kernel
                    step = kernels.rnn_tanh_forward if tanh else kernels.rnn_relu_forward
                    step(projected[row:row + size], h)
                    continue
                h += projected[row:row + size]
                if tanh:
                    xp.tanh(h, out=h)
                else:
                    xp.maximum(h, 0, out=h)
        threads.in_two_parts(run, layout.batch, w_hh)
        output = self._output(layout, hidden)
        self.save_for_backward(x, w_ih, w_hh, output, x_rows, hidden)
        return output, self._final(layout, hidden)

    def backward_whole(self, grad_output, grad_hn):
        x, w_ih, w_hh, _, x_rows, hidden = self.saved_tensors
        xp, layout, shift = array_module(hidden), self.layout, self.layout.shift
        outputs = hidden[shift:shift + layout.rows]
        if self.nonlinearity == "tanh":                             # d act / d z for all steps
            slope = 1 - outputs * outputs
        else:
            slope = (outputs > 0).astype(outputs.dtype)
        grad_pre = self._grad_rows(layout, grad_output).copy()      # becomes d loss / d z
        grad_h = grad_hn.copy()                                     # d loss / d h carried back
        kernels = cuda_kernels.step_kernels(xp)

        def run(first, last, matmul):   # the sequences [first, last) of the batch, every step back
            for row, _, size in reversed(layout.part_order(first, last)):
                dz, carried = grad_pre[row:row + size], grad_h[first:first + size]
                if kernels:   # CUDA hook: the two lines below as one kernel
                    kernels.rnn_backward(carried, slope[row:row + size], dz)
                else:
                    dz += carried
                    dz *= slope[row:row + size]
                matmul(dz, w_hh, out=carried)
        threads.in_two_parts(run, layout.batch, w_hh)
        grad_x = threads.matmul(grad_pre, w_ih) if self.needs_input_grad[0] else None
        grads = [None if grad_x is None else self._grad_input(layout, grad_x), grad_h,
                 threads.matmul(grad_pre.T, x_rows), threads.matmul(grad_pre.T, hidden[layout.prev_rows])]
        if self.has_bias:
            grad_bias = grad_pre.sum(axis=0)
            grads += [grad_bias, grad_bias.copy()]
        return tuple(grads)


# ---- LSTM ----------------------------------------------------------------------
LSTM_ORDER = (3, 1, 0, 2)         # internal gates o, f, i, g taken from torch's i, f, g, o
LSTM_UNORDER = (2, 1, 3, 0)       # and back


class LSTMLayer(_RecurrentLayer):
    """One LSTM layer and direction over a whole sequence (torch's gate order i, f, g, o).

    ``i, f, o = sigmoid(.)``, ``g = tanh(.)`` of ``x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh``;
    ``c_t = f * c_{t-1} + i * g``; ``h_t = o * tanh(c_t)``, then ``h_t = h_t W_hr^T`` with a
    projection.  Inputs ``x (T, B, I)`` (or packed ``(N, I)``), ``h0 (B, P)``, ``c0 (B, H)``,
    ``w_ih (4H, I)``, ``w_hh (4H, P)``, optional ``b_ih, b_hh (4H,)``, optional ``w_hr (P, H)``
    (P = H without projection).  Outputs ``output (T, B, P)``, ``h_n (B, P)``, ``c_n (B, H)``.

    Gates are kept gate-major, ``(4, N, H)`` in the order o, f, i, g: every gate of
    every step is then a contiguous block (NumPy is several times slower on
    column slices), the sigmoid gates are ``[:3]`` and the gates that multiply
    ``dc`` in backward are ``[1:]``.
    """

    has_cell = True

    def _readable_step(self, weights, w_hr):
        return lambda x, state: readable.lstm_cell(x, state, *weights, w_hr)

    @_exp_may_overflow
    def forward_whole(self, *arrays, batch_sizes=None, reverse=False, has_bias=True, has_proj=False):
        x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr = self._unpack(arrays, has_bias, True, has_proj)
        xp, layout, x_rows = self._start(x, batch_sizes, reverse)
        self.layout, self.has_bias, self.has_proj = layout, has_bias, has_proj
        H, dtype = w_ih.shape[0] // 4, x.dtype
        B, shift = layout.batch, layout.shift
        prepare = lambda weight: _for_exp(_gate_blocks(weight, LSTM_ORDER), 3)  # noqa: E731
        w_in = w_ih
        if has_bias:   # a column of ones carries the bias: x W^T + b = [x, 1] [W, b]^T, one product
            x_rows = xp.concatenate([x_rows, xp.ones((layout.rows, 1), dtype)], axis=1)
            w_in = xp.concatenate([w_ih, (b_ih + b_hh)[:, None]], axis=1)
        gates = threads.matmul(x_rows, prepare(w_in).transpose(0, 2, 1))  # (4, N, H): o, f, i, g
        # (4, P, H), contiguous: NumPy's batched matmul runs twice as long on a transposed view
        w_hh_t = xp.ascontiguousarray(prepare(w_hh).transpose(0, 2, 1))
        hidden = self._hidden_buffer(xp, layout, h0, dtype)         # (N + B, P)
        cell = self._hidden_buffer(xp, layout, c0, dtype)           # (N + B, H)
        tanh_cell = xp.empty((layout.rows, H), dtype)
        gated = xp.empty((layout.rows, H), dtype) if has_proj else None   # o * tanh(c)
        recurrent = xp.empty((4, B, H), dtype)
        input_gate = xp.empty((B, H), dtype)
        kernels = cuda_kernels.step_kernels(xp)

        def run(first, last, matmul):   # the sequences [first, last) of the batch, every step
            for row, prev, size in layout.part_order(first, last):
                part = slice(first, first + size)
                here, now = slice(row, row + size), slice(shift + row, shift + row + size)
                step = gates[:, here]
                matmul(hidden[prev:prev + size], w_hh_t, out=recurrent[:, part])
                if kernels:   # CUDA hook: the elementwise lines below as one kernel
                    kernels.lstm_forward(*recurrent[:, part], cell[prev:prev + size], *step,
                                         cell[now], tanh_cell[here], gated[here] if has_proj else hidden[now])
                    if has_proj:
                        xp.matmul(gated[here], w_hr.T, out=hidden[now])
                    continue
                step += recurrent[:, part]
                _sigmoid(step[:3])
                xp.tanh(step[3], out=step[3])
                output_gate, forget_gate, in_gate, candidate = step
                c = cell[now]
                xp.multiply(forget_gate, cell[prev:prev + size], out=c)                  # f * c_prev
                c += xp.multiply(in_gate, candidate, out=input_gate[part])               # + i * g
                xp.tanh(c, out=tanh_cell[here])
                if has_proj:
                    xp.multiply(output_gate, tanh_cell[here], out=gated[here])
                    xp.matmul(gated[here], w_hr.T, out=hidden[now])
                else:
                    xp.multiply(output_gate, tanh_cell[here], out=hidden[now])          # o * tanh(c)
        threads.in_two_parts(run, B, w_hh)
        output = self._output(layout, hidden)
        self.save_for_backward(x, w_ih, w_hh, w_hr, output, x_rows, gates, hidden, cell, tanh_cell, gated)
        return output, self._final(layout, hidden), self._final(layout, cell)

    def backward_whole(self, grad_output, grad_hn, grad_cn):
        x, w_ih, w_hh, w_hr, _, x_rows, gates, hidden, cell, tanh_cell, gated = self.saved_tensors
        xp, layout = array_module(gates), self.layout
        B, H = layout.batch, gates.shape[-1]
        w_hh_gates = _gate_blocks(w_hh, LSTM_ORDER)                  # (4, H, P)
        factors, cell_slope = _lstm_factors(gates, tanh_cell, cell[layout.prev_rows])
        grad_output = self._grad_rows(layout, grad_output)
        grad_gates = xp.empty_like(gates)                           # (4, N, H): o, f, i, g
        grad_hidden = xp.empty_like(grad_output) if self.has_proj else None   # (N, P)
        grad_h, grad_c = grad_hn.copy(), grad_cn.copy()             # carried back in time
        dh_buffer, scratch = xp.empty((B, H), gates.dtype), xp.empty((B, H), gates.dtype)
        per_gate = xp.empty((4, B, grad_h.shape[-1]), gates.dtype)
        kernels = cuda_kernels.step_kernels(xp)

        def run(first, last, matmul):   # the sequences [first, last) of the batch, every step back
            for row, _, size in reversed(layout.part_order(first, last)):
                here, part = slice(row, row + size), slice(first, first + size)
                dgates = grad_gates[:, here]
                if self.has_proj:
                    dh_out = xp.add(grad_output[here], grad_h[part], out=grad_hidden[here])
                    dh = xp.matmul(dh_out, w_hr, out=dh_buffer[part])
                if kernels:   # CUDA hook: the elementwise lines below as one kernel
                    rest = (cell_slope[here], *factors[:, here], gates[1, here])
                    if self.has_proj:
                        kernels.lstm_backward_proj(dh, *rest, grad_c[part], *dgates)
                    else:
                        kernels.lstm_backward(grad_output[here], grad_h[part], *rest, grad_c[part], *dgates)
                else:
                    if not self.has_proj:
                        dh = xp.add(grad_output[here], grad_h[part], out=dh_buffer[part])
                    dc = grad_c[part]
                    dc += xp.multiply(dh, cell_slope[here], out=scratch[part])
                    xp.multiply(dh, factors[0, here], out=dgates[0])                     # o
                    xp.multiply(dc, factors[1:, here], out=dgates[1:])                   # f, i, g
                    dc *= gates[1, here]                             # dc_{t-1} = dc_t * f
                matmul(dgates, w_hh_gates, out=per_gate[:, part]).sum(axis=0, out=grad_h[part])
        threads.in_two_parts(run, B, w_hh)
        grad_x = None
        if self.needs_input_grad[0]:
            grad_x = threads.matmul(grad_gates, _gate_blocks(w_ih, LSTM_ORDER)).sum(axis=0)
            grad_x = self._grad_input(layout, grad_x)
        grad_gates_t = grad_gates.transpose(0, 2, 1)                 # (4, H, N)
        grad_w_in = _torch_blocks(threads.matmul(grad_gates_t, x_rows), LSTM_UNORDER)  # (ones column: the bias's)
        grads = [grad_x, grad_h, grad_c, xp.ascontiguousarray(grad_w_in[:, :-1]) if self.has_bias else grad_w_in,
                 _torch_blocks(threads.matmul(grad_gates_t, hidden[layout.prev_rows]), LSTM_UNORDER)]
        if self.has_bias:
            grad_bias = grad_w_in[:, -1].copy()
            grads += [grad_bias, grad_bias.copy()]
        if self.has_proj:
            grads.append(grad_hidden.T @ gated)
        return tuple(grads)


def _lstm_factors(gates, tanh_cell, cell_prev):
    """What the step gradients multiply by, for all steps at once (gates o, f, i, g).

    ``d o_pre = dh * tanh(c) o (1 - o)``, ``d f_pre = dc * c_prev f (1 - f)``,
    ``d i_pre = dc * g i (1 - i)``, ``d g_pre = dc * i (1 - g^2)``, and
    ``dc += dh * o (1 - tanh(c)^2)`` (the returned ``cell_slope``).
    """
    xp = array_module(gates)
    output_gate, _, in_gate, candidate = gates
    factors = xp.empty_like(gates)
    xp.subtract(1, gates[:3], out=factors[:3])
    factors[:3] *= gates[:3]                                         # s (1 - s)
    xp.multiply(candidate, candidate, out=factors[3])
    xp.subtract(1, factors[3], out=factors[3])                       # 1 - g^2
    factors[0] *= tanh_cell
    factors[1] *= cell_prev
    factors[2] *= candidate
    factors[3] *= in_gate
    cell_slope = tanh_cell * tanh_cell
    xp.subtract(1, cell_slope, out=cell_slope)
    cell_slope *= output_gate
    return factors, cell_slope


# ---- GRU -----------------------------------------------------------------------
class GRULayer(_RecurrentLayer):
    """One GRU layer and direction over a whole sequence (torch's gate order r, z, n).

    ``r, z = sigmoid(x_t W_i^T + b_i + h_{t-1} W_h^T + b_h)``,
    ``n = tanh(x_t W_in^T + b_in + r * (h_{t-1} W_hn^T + b_hn))``,
    ``h_t = (1 - z) * n + z * h_{t-1}``.  Inputs ``x (T, B, I)`` (or packed ``(N, I)``),
    ``h0 (B, H)``, ``w_ih (3H, I)``, ``w_hh (3H, H)``, optional ``b_ih, b_hh (3H,)``.
    Outputs ``output (T, B, H)`` and ``h_n (B, H)``.  Gates are kept gate-major, ``(3, N, H)``.
    """

    has_cell = has_proj = False

    def _readable_step(self, weights, _):
        return lambda x, state: (readable.gru_cell(x, state[0], *weights),)

    @_exp_may_overflow
    def forward_whole(self, *arrays, batch_sizes=None, reverse=False, has_bias=True):
        x, h0, _, w_ih, w_hh, b_ih, b_hh, _ = self._unpack(arrays, has_bias, False, False)
        xp, layout, x_rows = self._start(x, batch_sizes, reverse)
        self.layout, self.has_bias = layout, has_bias
        shift, dtype = layout.shift, x.dtype
        prepare = lambda weight: _for_exp(_gate_blocks(weight, GRU_ORDER), 2)  # noqa: E731
        gates = threads.matmul(x_rows, prepare(w_ih).transpose(0, 2, 1))  # (3, N, H): -r, -z, n parts
        if has_bias:                                                 # b_hn stays inside r * (.)
            b_hh = prepare(b_hh)
            gates += prepare(b_ih)[:, None, :]
            gates[:2] += b_hh[:2, None, :]
        H = gates.shape[-1]
        recurrent = xp.empty((3, layout.rows, H), dtype)            # h W_hh^T + b_hh, r and z: * -1
        hidden = self._hidden_buffer(xp, layout, h0, dtype)
        w_hh_t = xp.ascontiguousarray(prepare(w_hh).transpose(0, 2, 1))   # (3, H, H), see LSTMLayer
        scratch = xp.empty((layout.batch, H), dtype)
        kernels = cuda_kernels.step_kernels(xp)

        def run(first, last, matmul):   # the sequences [first, last) of the batch, every step
            for row, prev, size in layout.part_order(first, last):
                here = slice(row, row + size)
                h_prev, step, rec = hidden[prev:prev + size], gates[:, here], recurrent[:, here]
                matmul(h_prev, w_hh_t, out=rec)
                if kernels:   # CUDA hook: the lines below as one kernel
                    h = hidden[shift + row:shift + row + size]
                    if has_bias:
                        kernels.gru_forward_bias(rec[0], rec[1], h_prev, b_hh[2], rec[2], *step, h)
                    else:
                        kernels.gru_forward(rec[0], rec[1], h_prev, rec[2], *step, h)
                    continue
                if has_bias:
                    rec[2] += b_hh[2]
                reset_update = step[:2]
                reset_update += rec[:2]
                _sigmoid(reset_update)
                new = step[2]
                new += xp.multiply(step[0], rec[2], out=scratch[first:first + size])   # + r * (W_hn h + b_hn)
                xp.tanh(new, out=new)
                h = hidden[shift + row:shift + row + size]
                xp.subtract(h_prev, new, out=h)                     # h = n + z * (h_prev - n)
                h *= step[1]
                h += new
        threads.in_two_parts(run, layout.batch, w_hh)
        output = self._output(layout, hidden)
        self.save_for_backward(x, w_ih, w_hh, output, x_rows, gates, recurrent, hidden)
        return output, self._final(layout, hidden)

    def backward_whole(self, grad_output, grad_hn):
        x, w_ih, w_hh, _, x_rows, gates, recurrent, hidden = self.saved_tensors
        xp, layout = array_module(gates), self.layout
        B, H = layout.batch, gates.shape[-1]
        h_prev = hidden[layout.prev_rows]
        reset, update = gates[0], gates[1]
        new_factor, reset_factor, update_factor = _gru_factors(gates, recurrent, h_prev)
        w_hh_gates = _gate_blocks(w_hh, GRU_ORDER)                   # (3, H, H)
        grad_output = self._grad_rows(layout, grad_output)
        grad_input_gates = xp.empty_like(gates)                     # d loss / d (x W_ih^T + b_ih)
        grad_hidden_gates = xp.empty_like(gates)                    # d loss / d (h W_hh^T + b_hh)
        grad_h = grad_hn.copy()
        dh_buffer, carried = xp.empty((B, H), gates.dtype), xp.empty((B, H), gates.dtype)
        per_gate = xp.empty((3, B, H), gates.dtype)
        kernels = cuda_kernels.step_kernels(xp)

        def run(first, last, matmul):   # the sequences [first, last) of the batch, every step back
            for row, _, size in reversed(layout.part_order(first, last)):
                here, part = slice(row, row + size), slice(first, first + size)
                if kernels:   # CUDA hook: the lines below as two kernels around the matmul
                    dgates = grad_hidden_gates[:, here]
                    kernels.gru_backward(grad_output[here], grad_h[part], new_factor[here],
                                         reset_factor[here], update_factor[here], reset[here], update[here],
                                         grad_input_gates[2, here], *dgates, carried[part])
                    xp.matmul(dgates, w_hh_gates, out=per_gate[:, part])
                    kernels.gru_backward_carry(*per_gate[:, part], carried[part], grad_h[part])
                    continue
                dh = xp.add(grad_output[here], grad_h[part], out=dh_buffer[part])
                d_new = xp.multiply(dh, new_factor[here], out=grad_input_gates[2, here])
                dgates = grad_hidden_gates[:, here]
                xp.multiply(d_new, reset_factor[here], out=dgates[0])                  # r
                xp.multiply(dh, update_factor[here], out=dgates[1])                    # z
                xp.multiply(d_new, reset[here], out=dgates[2])                         # W_hn h + b_hn
                matmul(dgates, w_hh_gates, out=per_gate[:, part]).sum(axis=0, out=grad_h[part])
                grad_h[part] += xp.multiply(dh, update[here], out=carried[part])       # + z * dh
        threads.in_two_parts(run, B, w_hh)
        grad_input_gates[:2] = grad_hidden_gates[:2]
        grad_x = None
        if self.needs_input_grad[0]:
            grad_x = threads.matmul(grad_input_gates, _gate_blocks(w_ih, GRU_ORDER)).sum(axis=0)
            grad_x = self._grad_input(layout, grad_x)
        grads = [grad_x, grad_h,
                 _torch_blocks(threads.matmul(grad_input_gates.transpose(0, 2, 1), x_rows), GRU_ORDER),
                 _torch_blocks(threads.matmul(grad_hidden_gates.transpose(0, 2, 1), h_prev), GRU_ORDER)]
        if self.has_bias:
            grads += [_torch_blocks(grad_input_gates.sum(axis=1), GRU_ORDER),
                      _torch_blocks(grad_hidden_gates.sum(axis=1), GRU_ORDER)]
        return tuple(grads)


GRU_ORDER = (0, 1, 2)             # torch's r, z, n as they are


def _gru_factors(gates, recurrent, h_prev):
    """What the step gradients multiply by, for all steps at once.

    ``d n_pre = dh (1 - z) (1 - n^2)``, ``d r_pre = d n_pre (W_hn h + b_hn) r (1 - r)``,
    ``d z_pre = dh (h_prev - n) z (1 - z)``; ``recurrent[2]`` holds ``W_hn h + b_hn``.
    """
    reset, update, new = gates
    new_factor = new * new
    new_factor -= 1
    new_factor *= update - 1                                         # (1 - n^2)(1 - z)
    reset_factor = recurrent[2] * reset
    reset_factor *= 1 - reset
    update_factor = h_prev - new
    update_factor *= update
    update_factor *= 1 - update
    return new_factor, reset_factor, update_factor
