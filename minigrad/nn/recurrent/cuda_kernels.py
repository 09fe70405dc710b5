"""The fused recurrent step on the GPU: one CuPy elementwise kernel per time step.

``fused.py`` runs a layer's recurrence as a Python loop; per step it does one
matmul and then a dozen elementwise NumPy statements (add the recurrent term,
activate the gates, update the cell, ...).  On the GPU each of those statements
would be its own kernel launch, and at MNIST sizes a launch costs more than its
arithmetic.  Here each step's elementwise statements become ONE
``cupy.ElementwiseKernel`` per step and direction, forward and backward; the
matmuls stay cuBLAS (``xp.matmul`` in ``fused.py``).

Every kernel body below is a statement-by-statement transcription of the NumPy
statements it replaces (each kernel names them), on the same gate-major buffers
(``(G, N, H)``, LSTM gates o, f, i, g, weights pre-scaled by -1 / -2 so that
``sigmoid(z) = 1 / (exp(-z) + 1)`` and ``tanh(z) = 2 / (exp(-2 z) + 1) - 1``, see
``fused._for_exp``).  The kernels compile with ``--fmad=false`` so that
``a * b + c`` is rounded twice, as NumPy does, not fused into one FMA.

One text, two meanings.  A body is written in the common subset of CUDA C++ and
Python: one statement per line ending in ``;``, ``T name = expr;`` to declare a
local, numbers only as ``T(2)`` (a cast to the element type in both languages,
so float32 stays float32), ``exp`` and ``relu_of`` as the only functions.  On
the GPU it is the kernel body; on the CPU ``EmulatedKernel`` runs the same
statements on whole NumPy arrays (elementwise statements applied to every element
at once give what the kernel computes element by element).
``tests/test_cuda_kernels.py`` drives the fused layers through the emulated
kernels and checks that they reproduce the NumPy path exactly: that verifies
the maths and the wiring in ``fused.py`` (which buffers go in and out), not
the CUDA compilation or launch, which only a GPU run can check.

Nothing here imports CuPy until a CuPy array asks for a kernel.
"""
from __future__ import annotations

import functools
import re

import numpy

from ... import backends

__all__ = []   # internal: fused.py calls step_kernels

_COMPILE_OPTIONS = ("--fmad=false",)

_PREAMBLE = """
template <typename U> __device__ U relu_of(U v) {   // numpy.maximum(v, 0): NaN stays NaN
    return (v >= U(0) || v != v) ? v : U(0);
}
"""


class StepKernel:
    """One elementwise step: input and output names, and a body valid as CUDA C++ and as Python.

    Called as a CuPy kernel is: ``kernel(*inputs, *outputs)`` with arrays of one
    dtype; the outputs (written in place, read as well) fix the shape and the
    inputs broadcast to it.
    """

    def __init__(self, name, inputs, outputs, body):
        self.name, self.inputs, self.outputs = name, tuple(inputs), tuple(outputs)
        self.body = body.strip() + "\n"
        self.python = compile(_as_python(self.body), f"<{name}>", "exec")

    @functools.cached_property
    def cupy(self):
        """The compiled ``cupy.ElementwiseKernel`` (built on first use, on a GPU machine)."""
        from ...core.device import cupy_module
        cupy = cupy_module()
        return cupy.ElementwiseKernel(
            ", ".join(f"T {name}" for name in self.inputs),
            ", ".join(f"T {name}" for name in self.outputs),
            self.body, name=f"minigrad_{self.name}", preamble=_PREAMBLE,
            options=_COMPILE_OPTIONS, no_return=True)

    def emulate(self, *arrays):
        """The same statements on NumPy arrays: what the kernel computes, on the CPU."""
        _check_arguments(self, arrays)
        outputs = arrays[len(self.inputs):]
        dtype = outputs[0].dtype.type
        scope = dict(zip(self.inputs + self.outputs, arrays))
        helpers = dict(T=dtype, exp=numpy.exp, relu_of=lambda v: numpy.maximum(v, dtype(0)))
        with numpy.errstate(over="ignore"):      # exp(-z) = inf for very negative z is right
            exec(self.python, helpers, scope)
        for name, out in zip(self.outputs, outputs):
            out[...] = scope[name]


def _as_python(body):
    """The body as Python: drop ``;`` and the ``T`` of declarations; refuse what would differ."""
    lines = []
    for line in body.splitlines():
        code = line.split("//")[0].strip()
        if not code:
            continue
        if not code.endswith(";") or not re.match(r"^(T\s+)?\w+ = [^=]+;$", code):
            raise ValueError(f"kernel statement must be '[T] name = expression;': {line!r}")
        bare = re.sub(r"T\(-?\d+(\.\d+)?\)", "", code)
        if re.search(r"(?<![\w.])\d", bare):     # a bare literal is double in C, not in NumPy
            raise ValueError(f"numbers in kernel bodies are written T(...): {line!r}")
        lines.append(re.sub(r"^T\s+", "", code[:-1]))
    return "\n".join(lines) + "\n"


def _check_arguments(kernel, arrays):
    """What CuPy checks at a launch: the argument count, one dtype, broadcastable shapes."""
    if len(arrays) != len(kernel.inputs) + len(kernel.outputs):
        raise TypeError(f"{kernel.name} takes {len(kernel.inputs) + len(kernel.outputs)} arrays, "
                        f"got {len(arrays)}")
    outputs = arrays[len(kernel.inputs):]
    if len({array.dtype for array in arrays}) != 1:
        raise TypeError(f"{kernel.name}: arrays of several dtypes {[a.dtype for a in arrays]}")
    shape = outputs[0].shape
    if any(out.shape != shape for out in outputs) or \
            numpy.broadcast_shapes(*(array.shape for array in arrays)) != shape:
        raise ValueError(f"{kernel.name}: shapes {[a.shape for a in arrays]} do not broadcast "
                         f"to the outputs' {shape}")


# ---- LSTM (gates o, f, i, g; see fused.LSTMLayer) ----------------------------------------
# forward, fused.LSTMLayer.forward, the statements after the step's matmul:
#   step += recurrent;  _activate(step, 3);  c = f * c_prev;  c += i * g;
#   _tanh(c, tanh_cell);  h = o * tanh_cell  (into `gated` with a projection)
LSTM_FORWARD = StepKernel(
    "lstm_forward",
    ["recurrent_o", "recurrent_f", "recurrent_in", "recurrent_g", "cell_prev"],
    ["gate_o", "gate_f", "gate_in", "gate_g", "cell", "tanh_cell", "hidden"],
    """
    gate_o = gate_o + recurrent_o;                        // step += recurrent
    gate_f = gate_f + recurrent_f;
    gate_in = gate_in + recurrent_in;
    gate_g = gate_g + recurrent_g;
    gate_o = T(1) / (exp(gate_o) + T(1));                 // _activate: exp, += 1, reciprocal
    gate_f = T(1) / (exp(gate_f) + T(1));
    gate_in = T(1) / (exp(gate_in) + T(1));
    gate_g = T(1) / (exp(gate_g) + T(1)) * T(2) - T(1);   // tanh part: *= 2, -= 1
    cell = gate_f * cell_prev + gate_in * gate_g;         // f * c_prev, += i * g
    tanh_cell = T(2) / (exp(cell * T(-2)) + T(1)) - T(1); // _tanh: * -2, exp, += 1, 2 / ., -= 1
    hidden = gate_o * tanh_cell;                          // o * tanh(c)
    """)

# backward, fused.LSTMLayer.backward, the statements before the step's matmul:
#   dh = grad_output + grad_h  (without projection; with one dh = (.) @ w_hr comes in);
#   dc += dh * cell_slope;  dgates[0] = dh * factors[0];  dgates[1:] = dc * factors[1:];  dc *= f
_LSTM_BACKWARD_TAIL = """
    grad_c = grad_c + dh * cell_slope;                    // dc += dh * cell_slope
    grad_o = dh * factor_o;                               // dgates[0] = dh * factors[0]
    grad_f = grad_c * factor_f;                           // dgates[1:] = dc * factors[1:]
    grad_in = grad_c * factor_in;
    grad_g = grad_c * factor_g;
    grad_c = grad_c * gate_f;                             // dc *= f: dc_{t-1}
"""
_LSTM_BACKWARD_IN = ["cell_slope", "factor_o", "factor_f", "factor_in", "factor_g", "gate_f"]
_LSTM_BACKWARD_OUT = ["grad_c", "grad_o", "grad_f", "grad_in", "grad_g"]
LSTM_BACKWARD = StepKernel(
    "lstm_backward", ["grad_out", "grad_h"] + _LSTM_BACKWARD_IN, _LSTM_BACKWARD_OUT,
    "T dh = grad_out + grad_h;                            // dh = grad_output + grad_h\n"
    + _LSTM_BACKWARD_TAIL)
LSTM_BACKWARD_PROJ = StepKernel(   # dh = (grad_output + grad_h) @ w_hr, a matmul, comes in
    "lstm_backward_proj", ["dh"] + _LSTM_BACKWARD_IN, _LSTM_BACKWARD_OUT, _LSTM_BACKWARD_TAIL)


# ---- GRU (gates r, z, n; see fused.GRULayer) ---------------------------------------------
# forward, fused.GRULayer.forward, the statements after the step's matmul:
#   rec[2] += b_hh[2] (with bias);  step[:2] += rec[:2];  _activate(step[:2], 2);
#   n += r * rec[2];  _activate(n, 0);  h = h_prev - n;  h *= z;  h += n
_GRU_FORWARD_BODY = """
    gate_r = gate_r + recurrent_r;                        // step[:2] += rec[:2]
    gate_z = gate_z + recurrent_z;
    gate_r = T(1) / (exp(gate_r) + T(1));                 // _activate(., 2): exp, += 1, reciprocal
    gate_z = T(1) / (exp(gate_z) + T(1));
    gate_n = gate_n + gate_r * recurrent_n;               // n += r * (W_hn h + b_hn)
    gate_n = T(2) / (exp(gate_n) + T(1)) - T(1);          // _activate(., 0): exp, += 1, 2 / ., -= 1
    hidden = (hidden_prev - gate_n) * gate_z + gate_n;    // h = (h_prev - n) * z + n
"""
_GRU_FORWARD_OUT = ["recurrent_n", "gate_r", "gate_z", "gate_n", "hidden"]
GRU_FORWARD = StepKernel(
    "gru_forward", ["recurrent_r", "recurrent_z", "hidden_prev"], _GRU_FORWARD_OUT,
    _GRU_FORWARD_BODY)
GRU_FORWARD_BIAS = StepKernel(
    "gru_forward_bias", ["recurrent_r", "recurrent_z", "hidden_prev", "bias_n"], _GRU_FORWARD_OUT,
    "recurrent_n = recurrent_n + bias_n;                  // rec[2] += b_hh[2]\n"
    + _GRU_FORWARD_BODY)

# backward, fused.GRULayer.backward, the statements before the step's matmul:
#   dh = grad_output + grad_h;  d_new = dh * new_factor;  dgates[0] = d_new * reset_factor;
#   dgates[1] = dh * update_factor;  dgates[2] = d_new * r;  and z * dh for after the matmul
GRU_BACKWARD = StepKernel(
    "gru_backward",
    ["grad_out", "grad_h", "new_factor", "reset_factor", "update_factor", "gate_r", "gate_z"],
    ["grad_new", "grad_r", "grad_z", "grad_hn", "carried"],
    """
    T dh = grad_out + grad_h;                             // dh = grad_output + grad_h
    grad_new = dh * new_factor;                           // d_new
    grad_r = grad_new * reset_factor;                     // dgates[0]
    grad_z = dh * update_factor;                          // dgates[1]
    grad_hn = grad_new * gate_r;                          // dgates[2]: d (W_hn h + b_hn)
    carried = dh * gate_z;                                // z * dh, added after the matmul
    """)
# ... and after it:  per_gate.sum(axis=0, out=grad_h);  grad_h += z * dh
# (NumPy sums an outer axis in order, ((p0 + p1) + p2), so this is the same rounding)
GRU_BACKWARD_CARRY = StepKernel(
    "gru_backward_carry", ["per_gate_r", "per_gate_z", "per_gate_n", "carried"], ["grad_h"],
    "grad_h = per_gate_r + per_gate_z + per_gate_n + carried;")


# ---- Elman RNN (see fused.RNNLayer) -------------------------------------------------------
# forward: h += projected;  _activate(h, 0)  (tanh, weights * -2)  or  maximum(h, 0, out=h)  (relu)
RNN_TANH_FORWARD = StepKernel(
    "rnn_tanh_forward", ["projected"], ["hidden"],
    """
    hidden = hidden + projected;                          // h += projected
    hidden = T(2) / (exp(hidden) + T(1)) - T(1);          // _activate(h, 0)
    """)
RNN_RELU_FORWARD = StepKernel(
    "rnn_relu_forward", ["projected"], ["hidden"],
    """
    hidden = hidden + projected;                          // h += projected
    hidden = relu_of(hidden);                             // maximum(h, 0, out=h)
    """)
# backward: dz += grad_h;  dz *= slope
RNN_BACKWARD = StepKernel(
    "rnn_backward", ["grad_h", "slope"], ["grad_pre"],
    "grad_pre = (grad_pre + grad_h) * slope;              // dz += grad_h; dz *= slope")

KERNELS = (LSTM_FORWARD, LSTM_BACKWARD, LSTM_BACKWARD_PROJ, GRU_FORWARD, GRU_FORWARD_BIAS,
           GRU_BACKWARD, GRU_BACKWARD_CARRY, RNN_TANH_FORWARD, RNN_RELU_FORWARD, RNN_BACKWARD)


class StepKernels:
    """The kernels by name, each a callable ``kernel(*inputs, *outputs)``."""

    def __init__(self, launch):
        for kernel in KERNELS:
            setattr(self, kernel.name, launch(kernel))


@functools.lru_cache(maxsize=None)
def _cupy_kernels():
    return StepKernels(lambda kernel: kernel.cupy)


@functools.lru_cache(maxsize=None)
def emulated_kernels():
    """The kernels run on NumPy arrays (for the CPU tests of the kernel maths and wiring)."""
    return StepKernels(lambda kernel: kernel.emulate)


def step_kernels(xp):
    """The fused step kernels for arrays of module ``xp``: CuPy's, or None (NumPy statements)."""
    if xp is numpy or not backends.cuda_kernels.enabled:
        return None
    return _cupy_kernels()
