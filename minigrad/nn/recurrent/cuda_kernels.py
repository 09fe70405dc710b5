"""The fused recurrent step on the GPU: one CuPy elementwise kernel per time step.

``fused.py`` runs a layer's recurrence as a Python loop; per step it does one
matmul and then a dozen elementwise NumPy statements (add the recurrent term,
activate the gates, update the cell, ...).  On the GPU each of those statements
would be its own kernel launch, and at MNIST sizes a launch costs more than its
arithmetic.  Here each step's elementwise statements become ONE
``cupy.ElementwiseKernel`` per step and direction, forward and backward; the
matmuls stay cuBLAS (``xp.matmul`` in ``fused.py``).

Every kernel below is a statement-by-statement transcription of the NumPy
statements it replaces (each kernel names them), on the same gate-major buffers
(``(G, N, H)``, LSTM gates o, f, i, g, the sigmoid gates' weights pre-scaled by -1
so that ``sigmoid(z) = 1 / (exp(-z) + 1)``, see ``fused._for_exp``).  The kernels compile with ``--fmad=false`` so that
``a * b + c`` is rounded twice, as NumPy does, not fused into one FMA.

One definition, two interpreters.  A kernel is a small Python function of one
argument ``k`` that reads and assigns the kernel's variables as attributes,
one assignment per statement, with ``k.T(2)`` for a number (a cast to the
element type, so float32 stays float32) and ``k.exp`` / ``k.tanh`` / ``k.relu_of``
as the only functions::

    def _rnn_backward(k):
        k.grad_pre = (k.grad_pre + k.grad_h) * k.slope

The same function is run twice, on two different ``k``:

* NumPy (``StepKernel.emulate``): ``k`` holds the whole arrays by name, ``T``
  is the dtype's scalar type and ``exp`` is ``numpy.exp`` (``tanh``: ``numpy.tanh``); each assignment is
  a NumPy statement on every element at once, which is what the kernel
  computes element by element.  The outputs are then written back in place.
* CUDA (``StepKernel.source``): ``k`` is a recorder (``_Recorder``).  Reading
  ``k.slope`` gives a symbolic expression (``_Expr``) that only knows its C
  text; ``+ - * /`` build bigger expressions, each binary operation in
  parentheses so that C evaluates in exactly Python's order; assigning
  ``k.grad_pre = ...`` writes one C statement.  The text is the body of the
  ``cupy.ElementwiseKernel`` (``print(kernel)`` shows it)::

      grad_pre = ((grad_pre + grad_h) * slope);

The recorder refuses what would compute differently in the two: a Python
number in an expression (a double in C, ``k.T(2)`` is the element type), a
name read before it exists, an assignment to an input (``const`` in CUDA).

``tests/recurrent/test_cuda_kernels.py`` drives the fused layers through the emulated
kernels and checks that they reproduce the NumPy path exactly: that verifies
the maths and the wiring in ``fused.py`` (which buffers go in and out), not
the CUDA compilation or launch, which only a GPU run can check.

Nothing here imports CuPy until a CuPy array asks for a kernel.
"""
from __future__ import annotations

import functools
import math
import numbers
import types

import numpy

from ... import backends

__all__ = []   # internal: fused.py calls step_kernels

_COMPILE_OPTIONS = ("--fmad=false",)

_PREAMBLE = """
template <typename U> __device__ U relu_of(U v) {   // numpy.maximum(v, 0): NaN stays NaN
    return (v >= U(0) || v != v) ? v : U(0);
}
"""

# what ``k`` provides besides the variables; ``i`` is CuPy's element index in a kernel body
_RESERVED = frozenset({"T", "exp", "tanh", "relu_of", "i"})


class StepKernel:
    """One elementwise step: input and output names, and a body run by NumPy or written as CUDA.

    ``body(k)`` assigns the outputs from the inputs (see the module docstring).
    Called as a CuPy kernel is: ``kernel(*inputs, *outputs)`` with arrays of one
    dtype; the outputs (written in place, read as well) fix the shape and the
    inputs broadcast to it.

    >>> def _axpy(k):
    ...     k.scaled = k.a * k.x
    ...     k.y = k.scaled + k.y * k.T(2)
    >>> axpy = StepKernel("axpy", ["a", "x"], ["y"], _axpy)
    >>> print(axpy)
    // minigrad_axpy(T a, T x -> T y)
    T scaled = (a * x);
    y = (scaled + (y * T(2)));
    >>> y = numpy.ones(3, numpy.float32)
    >>> axpy.emulate(numpy.float32([1, 2, 3]), numpy.float32(10), y)
    >>> y
    array([12., 22., 32.], dtype=float32)
    """

    def __init__(self, name, inputs, outputs, body):
        self.name, self.inputs, self.outputs = name, tuple(inputs), tuple(outputs)
        self.body = body
        names = self.inputs + self.outputs
        for variable in names:
            _check_name(variable, name)
        if len(set(names)) != len(names) or not self.outputs:
            raise ValueError(f"kernel {name}: inputs {self.inputs} and outputs {self.outputs} must be "
                             f"distinct names, with at least one output")
        self.source   # noqa: B018  (recording the body once checks it here, not on a GPU)

    def __repr__(self):
        return f"StepKernel({self.name!r}, inputs={list(self.inputs)}, outputs={list(self.outputs)})"

    def __str__(self):
        """The kernel as CUDA: its signature as a comment, then its body."""
        return (f"// minigrad_{self.name}({', '.join(f'T {n}' for n in self.inputs)} -> "
                f"{', '.join(f'T {n}' for n in self.outputs)})\n{self.source.rstrip()}")

    @functools.cached_property
    def source(self):
        """The body as CUDA C++, one statement a line: what ``body`` does, recorded."""
        recorder = _Recorder(self)
        self.body(recorder)
        return recorder._finish()

    @functools.cached_property
    def cupy(self):
        """The compiled ``cupy.ElementwiseKernel`` (built on first use, on a GPU machine)."""
        from ...core.device import cupy_module
        cupy = cupy_module()
        return cupy.ElementwiseKernel(
            ", ".join(f"T {name}" for name in self.inputs),
            ", ".join(f"T {name}" for name in self.outputs),
            self.source, name=f"minigrad_{self.name}", preamble=_PREAMBLE,
            options=_COMPILE_OPTIONS, no_return=True)

    def emulate(self, *arrays):
        """The body on NumPy arrays: what the kernel computes, on the CPU."""
        _check_arguments(self, arrays)
        outputs = arrays[len(self.inputs):]
        T = outputs[0].dtype.type
        k = types.SimpleNamespace(**dict(zip(self.inputs + self.outputs, arrays)),
                                  T=T, exp=numpy.exp, tanh=numpy.tanh, relu_of=lambda v: numpy.maximum(v, T(0)))
        with numpy.errstate(over="ignore"):      # exp(-z) = inf for very negative z is right
            self.body(k)
        for name, out in zip(self.outputs, outputs):
            out[...] = getattr(k, name)


def _check_name(name, kernel):
    if not (isinstance(name, str) and name.isidentifier() and name.isascii()) \
            or name.startswith("_") or name in _RESERVED:
        raise ValueError(f"kernel {kernel}: {name!r} cannot name a variable (ASCII identifiers, "
                         f"no leading '_', none of {sorted(_RESERVED)})")


class _Expr:
    """A symbolic kernel expression: its C text, every binary operation in parentheses."""

    __slots__ = ("text",)
    __array_ufunc__ = None     # numpy.float32(2) * expr comes to __rmul__ (and is refused there)

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return f"_Expr({self.text!r})"

    def __bool__(self):
        raise TypeError("a kernel body has no branches: a symbolic expression has no truth value")

    def _binary(self, op, other, reflected=False):
        other = _operand(other, op)
        left, right = (other, self) if reflected else (self, other)
        return _Expr(f"({left.text} {op} {right.text})")

    def __add__(self, other): return self._binary("+", other)
    def __radd__(self, other): return self._binary("+", other, reflected=True)
    def __sub__(self, other): return self._binary("-", other)
    def __rsub__(self, other): return self._binary("-", other, reflected=True)
    def __mul__(self, other): return self._binary("*", other)
    def __rmul__(self, other): return self._binary("*", other, reflected=True)
    def __truediv__(self, other): return self._binary("/", other)
    def __rtruediv__(self, other): return self._binary("/", other, reflected=True)
    def __neg__(self): return _Expr(f"(-{self.text})")


def _operand(value, where):
    if isinstance(value, _Expr):
        return value
    if isinstance(value, (numbers.Number, numpy.generic)):
        raise TypeError(f"a bare number {value!r} in a kernel expression ({where}) would be a double "
                        f"in C: write it k.T({_number_text(value)}), the element type in both "
                        f"interpreters")
    raise TypeError(f"a kernel expression takes kernel variables, k.T(number), k.exp(...) and "
                    f"k.relu_of(...), not {type(value).__name__} ({where})")


def _number_text(value):
    """A number as C and Python both read it (``2``, ``-2``, ``0.5``, ``1e-05``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise TypeError(f"k.T takes a finite real number, not {value!r}")
    return str(int(value)) if isinstance(value, numbers.Integral) else repr(float(value))


class _Recorder:
    """The ``k`` that writes CUDA: reads give ``_Expr``, each assignment emits one statement."""

    def __init__(self, kernel):
        object.__setattr__(self, "_kernel", kernel)
        object.__setattr__(self, "_locals", set())
        object.__setattr__(self, "_assigned", set())
        object.__setattr__(self, "_statements", [])

    # the helpers, as in the NumPy interpreter
    def T(self, value):     # noqa: N802  (the element type, as in the C text)
        return _Expr(f"T({_number_text(value)})")

    def exp(self, value):
        return _Expr(f"exp({_operand(value, 'exp').text})")

    def tanh(self, value):
        return _Expr(f"tanh({_operand(value, 'tanh').text})")

    def relu_of(self, value):
        return _Expr(f"relu_of({_operand(value, 'relu_of').text})")

    def __getattr__(self, name):        # only for names that are not the helpers above
        if name.startswith("_"):
            raise AttributeError(name)
        kernel = self._kernel
        if name in kernel.inputs or name in kernel.outputs or name in self._locals:
            return _Expr(name)
        raise NameError(f"kernel {kernel.name} reads {name!r}, which is not an input "
                        f"{kernel.inputs}, an output {kernel.outputs} or a local assigned before")

    def __setattr__(self, name, value):
        kernel = self._kernel
        _check_name(name, kernel.name)
        if name in kernel.inputs:
            raise TypeError(f"kernel {kernel.name} assigns its input {name!r} (const in CUDA)")
        if not isinstance(value, _Expr):
            _operand(value, f"k.{name} = ...")     # raises, saying what to write
        if name in kernel.outputs or name in self._locals:
            self._statements.append(f"{name} = {value.text};")
        else:
            self._locals.add(name)
            self._statements.append(f"T {name} = {value.text};")
        self._assigned.add(name)

    def __delattr__(self, name):
        raise TypeError(f"kernel {self._kernel.name}: variables cannot be deleted")

    def _finish(self):
        """The statements, one a line, once every output is assigned."""
        missing = [name for name in self._kernel.outputs if name not in self._assigned]
        if missing:
            raise ValueError(f"kernel {self._kernel.name} never assigns its outputs {missing}")
        return "\n".join(self._statements) + "\n"


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
#   step += recurrent;  _sigmoid(step[:3]);  tanh(step[3]);  c = f * c_prev;  c += i * g;
#   tanh(c, out=tanh_cell);  h = o * tanh_cell  (into `gated` with a projection)
def _lstm_forward(k):
    k.gate_o = k.gate_o + k.recurrent_o                      # step += recurrent
    k.gate_f = k.gate_f + k.recurrent_f
    k.gate_in = k.gate_in + k.recurrent_in
    k.gate_g = k.gate_g + k.recurrent_g
    k.gate_o = k.T(1) / (k.exp(k.gate_o) + k.T(1))           # _sigmoid: exp, += 1, reciprocal
    k.gate_f = k.T(1) / (k.exp(k.gate_f) + k.T(1))
    k.gate_in = k.T(1) / (k.exp(k.gate_in) + k.T(1))
    k.gate_g = k.tanh(k.gate_g)                              # tanh(step[3])
    k.cell = k.gate_f * k.cell_prev + k.gate_in * k.gate_g   # f * c_prev, += i * g
    k.tanh_cell = k.tanh(k.cell)                             # tanh(c, out=tanh_cell)
    k.hidden = k.gate_o * k.tanh_cell                        # o * tanh(c)


LSTM_FORWARD = StepKernel(
    "lstm_forward",
    ["recurrent_o", "recurrent_f", "recurrent_in", "recurrent_g", "cell_prev"],
    ["gate_o", "gate_f", "gate_in", "gate_g", "cell", "tanh_cell", "hidden"],
    _lstm_forward)


# backward, fused.LSTMLayer.backward, the statements before the step's matmul:
#   dh = grad_output + grad_h  (without projection; with one dh = (.) @ w_hr comes in);
#   dc += dh * cell_slope;  dgates[0] = dh * factors[0];  dgates[1:] = dc * factors[1:];  dc *= f
def _lstm_backward_tail(k):
    k.grad_c = k.grad_c + k.dh * k.cell_slope                # dc += dh * cell_slope
    k.grad_o = k.dh * k.factor_o                             # dgates[0] = dh * factors[0]
    k.grad_f = k.grad_c * k.factor_f                         # dgates[1:] = dc * factors[1:]
    k.grad_in = k.grad_c * k.factor_in
    k.grad_g = k.grad_c * k.factor_g
    k.grad_c = k.grad_c * k.gate_f                           # dc *= f: dc_{t-1}


def _lstm_backward(k):
    k.dh = k.grad_out + k.grad_h                             # dh = grad_output + grad_h
    _lstm_backward_tail(k)


_LSTM_BACKWARD_IN = ["cell_slope", "factor_o", "factor_f", "factor_in", "factor_g", "gate_f"]
_LSTM_BACKWARD_OUT = ["grad_c", "grad_o", "grad_f", "grad_in", "grad_g"]
LSTM_BACKWARD = StepKernel(
    "lstm_backward", ["grad_out", "grad_h"] + _LSTM_BACKWARD_IN, _LSTM_BACKWARD_OUT, _lstm_backward)
LSTM_BACKWARD_PROJ = StepKernel(   # dh = (grad_output + grad_h) @ w_hr, a matmul, comes in
    "lstm_backward_proj", ["dh"] + _LSTM_BACKWARD_IN, _LSTM_BACKWARD_OUT, _lstm_backward_tail)


# ---- GRU (gates r, z, n; see fused.GRULayer) ---------------------------------------------
# forward, fused.GRULayer.forward, the statements after the step's matmul:
#   rec[2] += b_hh[2] (with bias);  step[:2] += rec[:2];  _sigmoid(step[:2]);
#   n += r * rec[2];  tanh(n);  h = h_prev - n;  h *= z;  h += n
def _gru_forward(k):
    k.gate_r = k.gate_r + k.recurrent_r                      # step[:2] += rec[:2]
    k.gate_z = k.gate_z + k.recurrent_z
    k.gate_r = k.T(1) / (k.exp(k.gate_r) + k.T(1))           # _sigmoid: exp, += 1, reciprocal
    k.gate_z = k.T(1) / (k.exp(k.gate_z) + k.T(1))
    k.gate_n = k.gate_n + k.gate_r * k.recurrent_n           # n += r * (W_hn h + b_hn)
    k.gate_n = k.tanh(k.gate_n)                              # tanh(n)
    k.hidden = (k.hidden_prev - k.gate_n) * k.gate_z + k.gate_n   # h = (h_prev - n) * z + n


def _gru_forward_bias(k):
    k.recurrent_n = k.recurrent_n + k.bias_n                 # rec[2] += b_hh[2]
    _gru_forward(k)


# without a bias recurrent_n is only read, so it is the last input (const in CUDA) and the
# launch is the same sequence of arrays: (rec[0], rec[1], h_prev, rec[2], *step, h)
_GRU_FORWARD_OUT = ["gate_r", "gate_z", "gate_n", "hidden"]
GRU_FORWARD = StepKernel(
    "gru_forward", ["recurrent_r", "recurrent_z", "hidden_prev", "recurrent_n"], _GRU_FORWARD_OUT,
    _gru_forward)
GRU_FORWARD_BIAS = StepKernel(
    "gru_forward_bias", ["recurrent_r", "recurrent_z", "hidden_prev", "bias_n"],
    ["recurrent_n"] + _GRU_FORWARD_OUT, _gru_forward_bias)


# backward, fused.GRULayer.backward, the statements before the step's matmul:
#   dh = grad_output + grad_h;  d_new = dh * new_factor;  dgates[0] = d_new * reset_factor;
#   dgates[1] = dh * update_factor;  dgates[2] = d_new * r;  and z * dh for after the matmul
def _gru_backward(k):
    k.dh = k.grad_out + k.grad_h                             # dh = grad_output + grad_h
    k.grad_new = k.dh * k.new_factor                         # d_new
    k.grad_r = k.grad_new * k.reset_factor                   # dgates[0]
    k.grad_z = k.dh * k.update_factor                        # dgates[1]
    k.grad_hn = k.grad_new * k.gate_r                        # dgates[2]: d (W_hn h + b_hn)
    k.carried = k.dh * k.gate_z                              # z * dh, added after the matmul


GRU_BACKWARD = StepKernel(
    "gru_backward",
    ["grad_out", "grad_h", "new_factor", "reset_factor", "update_factor", "gate_r", "gate_z"],
    ["grad_new", "grad_r", "grad_z", "grad_hn", "carried"],
    _gru_backward)


# ... and after it:  per_gate.sum(axis=0, out=grad_h);  grad_h += z * dh
# (NumPy sums an outer axis in order, ((p0 + p1) + p2), so this is the same rounding)
def _gru_backward_carry(k):
    k.grad_h = k.per_gate_r + k.per_gate_z + k.per_gate_n + k.carried


GRU_BACKWARD_CARRY = StepKernel(
    "gru_backward_carry", ["per_gate_r", "per_gate_z", "per_gate_n", "carried"], ["grad_h"],
    _gru_backward_carry)


# ---- Elman RNN (see fused.RNNLayer) -------------------------------------------------------
# forward: h += projected;  tanh(h, out=h)  or  maximum(h, 0, out=h)  (relu)
def _rnn_tanh_forward(k):
    k.hidden = k.hidden + k.projected                        # h += projected
    k.hidden = k.tanh(k.hidden)                              # tanh(h, out=h)


def _rnn_relu_forward(k):
    k.hidden = k.hidden + k.projected                        # h += projected
    k.hidden = k.relu_of(k.hidden)                           # maximum(h, 0, out=h)


RNN_TANH_FORWARD = StepKernel("rnn_tanh_forward", ["projected"], ["hidden"], _rnn_tanh_forward)
RNN_RELU_FORWARD = StepKernel("rnn_relu_forward", ["projected"], ["hidden"], _rnn_relu_forward)


# backward: dz += grad_h;  dz *= slope
def _rnn_backward(k):
    k.grad_pre = (k.grad_pre + k.grad_h) * k.slope           # dz += grad_h; dz *= slope


RNN_BACKWARD = StepKernel("rnn_backward", ["grad_h", "slope"], ["grad_pre"], _rnn_backward)

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
