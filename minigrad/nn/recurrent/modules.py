"""Recurrent layers as torch's: ``RNN``, ``LSTM``, ``GRU`` and their one-step cells.

Inputs and outputs (``D = 2`` if bidirectional else 1, ``P`` = ``proj_size`` or
``hidden_size``)::

    input   (T, B, input_size)  or (B, T, input_size) with batch_first, or (T, input_size)
            unbatched, or a PackedSequence (nn.utils.rnn)
    h0      (D * num_layers, B, P)  - never affected by batch_first; zeros if omitted
    c0      (D * num_layers, B, hidden_size)   LSTM only, passed as (h0, c0)
    output  (T, B, D * P), the last layer's h_t for every t (batch_first: (B, T, D * P))
    h_n     (D * num_layers, B, P): every layer's and direction's final state

Layer ``k + 1`` reads layer ``k``'s output (both directions concatenated);
dropout, in training mode only, is applied to every layer's output but the
last.  ``output[-1, :, :P]`` is the last layer's forward ``h_n`` and
``output[0, :, P:]`` its reverse ``h_n``.

Each layer and direction runs either fused (one graph node, ``fused.py``,
the default) or step by step from tensor ops (``readable.py``); the switch
is ``minigrad.backends.fused_rnn.enabled``, and ``cells.py`` holds the one
registry of cell kinds both are reached through.  Parameter names, shapes, gate
order (LSTM ``i, f, g, o``, GRU ``r, z, n``) and the initialisation
``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))`` are torch's, so
``load_state_dict`` takes a torch checkpoint as it is.
"""
from __future__ import annotations

import math
import numbers
import warnings


from ...ops import factories
from ...core.dtypes import scalar_type_name
from ...ops.join import cat, stack
from .. import init
from .._functional.dropout import dropout as _dropout
from .._functional.linear import check_linear_dtypes
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from ..modules.module import Module
from .cells import cell_kind, run_layer, run_step

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

def _new_parameter(*shape, device=None, dtype=None):
    return Parameter(factories.empty(*shape, device=device, dtype=dtype))


class RNNBase(Module):
    """What ``RNN``, ``LSTM`` and ``GRU`` share: parameters, checks, the layer stack."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        _check_arguments(input_size, hidden_size, num_layers, bias, batch_first, dropout, proj_size)
        cell_kind(mode)                 # an unknown mode is a ValueError naming the known ones
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(self._directions):
                names = self._make_layer_parameters(layer, direction, device, dtype)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def _make_layer_parameters(self, layer, direction, device, dtype):
        """Register layer ``layer``'s parameters for one direction; return their names."""
        gate_size = cell_kind(self.mode).gates * self.hidden_size
        output_size = self.proj_size or self.hidden_size
        layer_input_size = self.input_size if layer == 0 else output_size * self._directions
        suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
        shapes = {"weight_ih": (gate_size, layer_input_size), "weight_hh": (gate_size, output_size)}
        if self.bias:
            shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
        if self.proj_size > 0:
            shapes["weight_hr"] = (self.proj_size, self.hidden_size)
        for name, shape in shapes.items():
            setattr(self, name + suffix, _new_parameter(*shape, device=device, dtype=dtype))
        return [name + suffix for name in shapes]

    @property
    def _directions(self):
        return 2 if self.bidirectional else 1

    @property
    def _flat_weights(self):
        """Every parameter in torch's order: per layer and direction w_ih, w_hh, b_ih, b_hh, w_hr."""
        return [getattr(self, name, None) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        """The parameters grouped per layer and direction, as torch's ``all_weights``."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self):
        """A no-op, as torch's on the CPU (it repacks weights for cuDNN there)."""

    def reset_parameters(self):
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def extra_repr(self):
        text = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            text += ", proj_size={proj_size}"
        if self.num_layers != 1:
            text += ", num_layers={num_layers}"
        if self.bias is not True:
            text += ", bias={bias}"
        if self.batch_first is not False:
            text += ", batch_first={batch_first}"
        if self.dropout != 0:
            text += ", dropout={dropout}"
        if self.bidirectional is not False:
            text += ", bidirectional={bidirectional}"
        return text.format(**self.__dict__)

    # ---- torch's checks, with torch's messages ------------------------------------
    def check_input(self, input, batch_sizes):
        weight_dtype = self._flat_weights[0].dtype
        if input.dtype != weight_dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({weight_dtype}). Convert input: input.to({weight_dtype}), or "
                             f"convert model: model.to({input.dtype})")
        expected_input_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_input_dim:
            raise RuntimeError(f"input must have {expected_input_dim} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.size(-1)}")

    def get_expected_hidden_size(self, input, batch_sizes):
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        return (self.num_layers * self._directions, mini_batch, self.proj_size or self.hidden_size)

    def check_hidden_size(self, hx, expected_hidden_size, msg="Expected hidden size {}, got {}"):
        if tuple(hx.size()) != expected_hidden_size:
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return hx.index_select(1, permutation)

    # ---- the forward pass shared by RNN, LSTM and GRU ----------------------------------
    def forward(self, input, hx=None):
        packed = isinstance(input, PackedSequence)
        if packed:
            input, batch_sizes, sorted_indices, unsorted_indices = input
            batched, batch_size = True, int(batch_sizes[0])
        else:
            batch_sizes = sorted_indices = unsorted_indices = None
            batched = self._check_dims(input, hx)
            batch_dim = 0 if self.batch_first else 1
            if not batched:
                input = input.unsqueeze(batch_dim)
                hx = None if hx is None else self._unsqueeze_state(hx)
            batch_size = input.size(batch_dim)
        self.check_input(input, batch_sizes)
        if input.size(0 if packed or not self.batch_first else 1) == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        if hx is None:
            hx = self._zero_state(input, batch_size)
        else:
            hx = self.permute_hidden(hx, sorted_indices)
            self._check_state(input, hx, batch_sizes)
            _check_same_dtype_and_device(input, hx if isinstance(hx, tuple) else (hx,))
        time_major = input.transpose(0, 1) if self.batch_first and not packed else input
        output, hidden = self._run_layers(time_major, hx, batch_sizes)
        if packed:
            return PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices), \
                self.permute_hidden(hidden, unsorted_indices)
        if self.batch_first:
            output = output.transpose(0, 1)
        if not batched:
            output, hidden = output.squeeze(batch_dim), self._squeeze_state(hidden)
        return output, hidden

    def _run_layers(self, input, hx, batch_sizes):
        """The stack of layers over time-major ``input``; returns ``(output, h_n)``."""
        kind = cell_kind(self.mode)     # read again: a user may have changed .mode
        states = self._state_parts(hx)                          # per part: D*L tensors (B, F)
        weights = self._flat_weights
        per_layer = len(self._flat_weights_names) // (self.num_layers * self._directions)
        finals = []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self._directions):
                index = layer * self._directions + direction
                output, final = run_layer(
                    kind, input, tuple(part[index] for part in states),
                    weights[index * per_layer:(index + 1) * per_layer], bias=self.bias,
                    proj=self.proj_size > 0, batch_sizes=batch_sizes, reverse=direction == 1)
                outputs.append(output)
                finals.append(final)
            input = outputs[0] if len(outputs) == 1 else cat(outputs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                input = _dropout(input, self.dropout, True)
        hidden = tuple(stack([final[k] for final in finals], 0) for k in range(len(states)))
        return input, self._as_state(hidden)

    # ---- state handling: a tensor for RNN and GRU, a pair for LSTM ----------------------
    def _check_dims(self, input, hx):
        """Input must be 2-D (unbatched) or 3-D; ``hx`` must match. Returns ``batched``."""
        if input.dim() not in (2, 3):
            raise ValueError(f"{self._name_in_errors()}: Expected input to be 2D or 3D, got "
                             f"{input.dim()}D {'tensor ' if self.mode.startswith('RNN') else ''}instead")
        batched = input.dim() == 3
        if hx is not None:
            expected = 3 if batched else 2
            if hx.dim() != expected:
                kind = "batched 3-D" if batched else "unbatched 2-D"
                raise RuntimeError(f"For {kind} input, hx should also be {expected}-D but got "
                                   f"{hx.dim()}-D tensor")
        return batched

    def _name_in_errors(self):
        return "RNN" if self.mode.startswith("RNN") else self.mode

    def _zero_state(self, input, batch_size):
        size = (self.num_layers * self._directions, batch_size, self.proj_size or self.hidden_size)
        return factories.zeros(*size, dtype=input.dtype, device=input.device)

    def _check_state(self, input, hx, batch_sizes):
        self.check_hidden_size(hx, self.get_expected_hidden_size(input, batch_sizes))

    def _unsqueeze_state(self, hx):
        return hx.unsqueeze(1)

    def _squeeze_state(self, hidden):
        return hidden.squeeze(1)

    def _state_parts(self, hx):
        return (hx.unbind(0),)

    def _as_state(self, parts):
        return parts[0]


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu), per layer.

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None)``;
    ``rnn(input, h0=None)`` returns ``(output, h_n)`` (shapes in the module docstring).
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__("RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU", *args, **kwargs)


class LSTM(RNNBase):
    """Long short-term memory, per layer (gates i, f, g, o)::

        i, f, o = sigmoid(x_t W_i*^T + b_i* + h_{t-1} W_h*^T + b_h*),  g = tanh(...)
        c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t)    (h_t = h_t W_hr^T with proj_size)

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None)``;
    ``lstm(input, (h0, c0)=None)`` returns ``(output, (h_n, c_n))``.
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input, batch_sizes):
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        return (self.num_layers * self._directions, mini_batch, self.hidden_size)

    def _check_state(self, input, hx, batch_sizes):
        if isinstance(hx, (tuple, list)) and len(hx) != 2:
            raise RuntimeError("lstm expects two hidden states")
        self.check_hidden_size(hx[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hx[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return hx[0].index_select(1, permutation), hx[1].index_select(1, permutation)

    def _check_dims(self, input, hx):
        if input.dim() not in (2, 3):
            raise ValueError(f"LSTM: Expected input to be 2D or 3D, got {input.dim()}D instead")
        batched = input.dim() == 3
        if hx is not None:
            # a bare tensor is read as torch reads it: hx[0] and hx[1] are its first two slices
            expected = 3 if batched else 2
            if hx[0].dim() != expected or hx[1].dim() != expected:
                kind = "batched 3-D" if batched else "unbatched 2-D"
                raise RuntimeError(f"For {kind} input, hx and cx should also be {expected}-D but "
                                   f"got ({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
        return batched

    def _zero_state(self, input, batch_size):
        cell_size = (self.num_layers * self._directions, batch_size, self.hidden_size)
        return (super()._zero_state(input, batch_size),
                factories.zeros(*cell_size, dtype=input.dtype, device=input.device))

    def _unsqueeze_state(self, hx):
        return hx[0].unsqueeze(1), hx[1].unsqueeze(1)

    def _squeeze_state(self, hidden):
        return hidden[0].squeeze(1), hidden[1].squeeze(1)

    def _state_parts(self, hx):
        return (hx[0].unbind(0), hx[1].unbind(0))

    def _as_state(self, parts):
        return parts


class GRU(RNNBase):
    """Gated recurrent unit, per layer (gates r, z, n)::

        r, z = sigmoid(x_t W_i*^T + b_i* + h_{t-1} W_h*^T + b_h*)
        n = tanh(x_t W_in^T + b_in + r * (h_{t-1} W_hn^T + b_hn)),  h_t = (1 - z) * n + z * h_{t-1}

    ``GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False, device=None, dtype=None)``;
    ``gru(input, h0=None)`` returns ``(output, h_n)``.
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


def _check_same_dtype_and_device(input, states):
    """The states must match the input's dtype and device (torch's wording)."""
    for state in states:
        if state.dtype != input.dtype:
            raise RuntimeError("Input and hidden tensors are not the same dtype, found input tensor "
                               f"with {scalar_type_name(input.array.dtype)} and hidden tensor with "
                               f"{scalar_type_name(state.array.dtype)}")
        if state.device != input.device:
            raise RuntimeError("Input and hidden tensors are not at the same device, found input "
                               f"tensor at {input.device} and hidden tensor at {state.device}")


def _check_arguments(input_size, hidden_size, num_layers, bias, batch_first, dropout, proj_size):
    """torch's constructor checks, in torch's order and words."""
    if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
        raise ValueError("dropout should be a number in range [0, 1] representing the probability "
                         "of an element being zeroed")
    if not isinstance(bias, bool):
        raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
    if not isinstance(batch_first, bool):
        raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
    if not isinstance(input_size, int):
        raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
    if input_size <= 0:
        raise ValueError("input_size must be greater than zero")
    if not isinstance(hidden_size, int):
        raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
    if hidden_size <= 0:
        raise ValueError("hidden_size must be greater than zero")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")


# ---- cells: one time step -------------------------------------------------------------
class RNNCellBase(Module):
    """What the cells share: ``weight_ih (G*H, I)``, ``weight_hh (G*H, H)``, optional biases."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = _new_parameter(num_chunks * hidden_size, input_size, device=device, dtype=dtype)
        self.weight_hh = _new_parameter(num_chunks * hidden_size, hidden_size, device=device, dtype=dtype)
        if bias:
            self.bias_ih = _new_parameter(num_chunks * hidden_size, device=device, dtype=dtype)
            self.bias_hh = _new_parameter(num_chunks * hidden_size, device=device, dtype=dtype)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        text = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            text += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            text += ", nonlinearity={nonlinearity}"
        return text.format(**self.__dict__)

    def reset_parameters(self):
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def _weights(self):
        if self.bias:
            return [self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh]
        return [self.weight_ih, self.weight_hh]

    def _check_step(self, input, states):
        """torch's cell checks: feature sizes and batch sizes of input and states, then the
        dtypes as torch's cell meets them: in ``linear(input, W_ih, b_ih)`` and
        ``linear(h, W_hh, b_hh)``."""
        if len(states) > 2:
            raise RuntimeError("lstm_cell expects two hidden states")
        if input.size(1) != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} expected "
                               f"{self.input_size}")
        for index, state in enumerate(states):
            if input.size(0) != state.size(0):
                raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden{index} "
                                   f"batch size {state.size(0)}")
            if state.size(1) != self.hidden_size:
                raise RuntimeError(f"hidden{index} has inconsistent hidden_size: got {state.size(1)}, "
                                   f"expected {self.hidden_size}")
        check_linear_dtypes(input, self.weight_ih, self.bias_ih if self.bias else None)
        check_linear_dtypes(states[0], self.weight_hh, self.bias_hh if self.bias else None)
        _check_same_dtype_and_device(input, states)

    def _step(self, mode, input, states):
        """One step: the fused layer over a length-1 sequence, or the readable cell."""
        return run_step(cell_kind(mode), input, states, self._weights(), bias=self.bias)


class RNNCell(RNNCellBase):
    """One Elman RNN step: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu).

    ``input (B, I)`` or ``(I,)``, ``hx (B, H)`` or ``(H,)`` (zeros if omitted) -> ``h'``.
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        batched, input, hx = _prepare_single(self, input, hx, "hidden")
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        self._check_step(input, (hx,))
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        (h_next,) = self._step(mode, input, (hx,))
        return h_next if batched else h_next.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step (gates i, f, g, o): ``(h', c') = cell(x, (h, c))``.

    ``input (B, I)`` or ``(I,)``, ``hx = (h (B, H), c (B, H))`` (zeros if omitted).
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        if input.dim() not in (1, 2):
            raise ValueError(f"LSTMCell: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None:
            for index, value in enumerate(hx):
                if value.dim() not in (1, 2):
                    raise ValueError(f"LSTMCell: Expected hx[{index}] to be 1D or 2D, got "
                                     f"{value.dim()}D instead")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            zeros = factories.zeros(input.size(0), self.hidden_size, dtype=input.dtype, device=input.device)
            hx = (zeros, zeros)
        elif not batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        hx = tuple(hx)
        self._check_step(input, hx)
        h_next, c_next = self._step("LSTM", input, hx)
        return (h_next, c_next) if batched else (h_next.squeeze(0), c_next.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step (gates r, z, n): ``h' = (1 - z) * n + z * h``.

    ``input (B, I)`` or ``(I,)``, ``hx (B, H)`` or ``(H,)`` (zeros if omitted) -> ``h'``.
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        batched, input, hx = _prepare_single(self, input, hx, "hidden")
        self._check_step(input, (hx,))
        (h_next,) = self._step("GRU", input, (hx,))
        return h_next if batched else h_next.squeeze(0)


def _prepare_single(cell, input, hx, what):
    """RNNCell / GRUCell: check dims, add the batch dim, default ``hx`` to zeros."""
    name = type(cell).__name__
    if input.dim() not in (1, 2):
        raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
    if hx is not None and hx.dim() not in (1, 2):
        raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {hx.dim()}D instead")
    batched = input.dim() == 2
    if not batched:
        input = input.unsqueeze(0)
    if hx is None:
        hx = factories.zeros(input.size(0), cell.hidden_size, dtype=input.dtype, device=input.device)
    elif not batched:
        hx = hx.unsqueeze(0)
    return batched, input, hx
