"""Printing tensors exactly as torch does: ``tensor([[0.1000, 2.0000]], requires_grad=True)``.

This is torch's ``torch/_tensor_str.py`` algorithm on a host NumPy array:

* one ``_Formatter`` looks at every value that will be shown and picks a mode
  (integers ``1.``, fixed ``0.1000`` or scientific ``1.0000e-05``) and a width,
  so all columns line up;
* a tensor of more than ``threshold`` elements is summarized: each dimension
  shows its first and last ``edgeitems`` entries around ``...``;
* rows wrap at ``linewidth``; the suffixes (``dtype=``, ``device=``,
  ``grad_fn=``/``requires_grad=``) follow, on a new line when they would not fit.
"""
from __future__ import annotations

import dataclasses
import math

import numpy

from . import dtypes

__all__ = ["tensor_repr", "set_printoptions", "get_printoptions", "printoptions"]


@dataclasses.dataclass
class _PrinterOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrinterOptions()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """torch's ``set_printoptions``: digits, summarization threshold, edge items, line width."""
    profiles = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80), "full": (4, math.inf, 3, 80)}
    if profile is not None:
        (PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems,
         PRINT_OPTS.linewidth) = profiles[profile]
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    return dataclasses.asdict(PRINT_OPTS)


class printoptions:
    """``with printoptions(precision=2): ...`` sets the options for the block only."""

    def __init__(self, **options):
        self.options = options

    def __enter__(self):
        self.saved = get_printoptions()
        set_printoptions(**self.options)

    def __exit__(self, *exc_info):
        set_printoptions(**self.saved)
        return False


class _Formatter:
    """Chooses how every shown value is written, so that they all share one width."""

    def __init__(self, values: numpy.ndarray):
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        precision = PRINT_OPTS.precision
        if not self.floating:
            for value in values.reshape(-1).tolist():
                self.max_width = max(self.max_width, len(f"{value}"))
            return
        flat = values.reshape(-1)
        shown = flat[numpy.isfinite(flat) & (flat != 0)]
        if shown.size == 0:
            return
        magnitudes = numpy.abs(shown).astype(numpy.float64)
        smallest, largest = magnitudes.min(), magnitudes.max()
        self.int_mode = bool(numpy.all(shown == numpy.ceil(shown)))
        if PRINT_OPTS.sci_mode is None:   # torch's rule: a wide range or extreme sizes go scientific
            self.sci_mode = bool(largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4)
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        for value in shown.tolist():
            if self.sci_mode:
                width = len(f"{value:.{precision}e}")
            elif self.int_mode:
                width = len(f"{value:.0f}") + 1      # the "." that marks a float
            else:
                width = len(f"{value:.{precision}f}")
            self.max_width = max(self.max_width, width)

    def format(self, value) -> str:
        if self.floating:
            if self.sci_mode:
                text = f"{value:{self.max_width}.{PRINT_OPTS.precision}e}"
            elif self.int_mode:
                text = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    text += "."
            else:
                text = f"{value:.{PRINT_OPTS.precision}f}"
        else:
            text = f"{value}"
        return (self.max_width - len(text)) * " " + text


def _edge_indices(size: int, summarize: bool):
    """Which indices of a dimension are shown; ``None`` marks the ``...``."""
    edge = PRINT_OPTS.edgeitems
    if summarize and size > 2 * edge:
        return list(range(edge)) + [None] + list(range(size - edge, size))
    return list(range(size))


def _summarized(array: numpy.ndarray) -> numpy.ndarray:
    """Only the values a summarized print shows (the formatter looks at nothing else)."""
    for axis, size in enumerate(array.shape):
        shown = [i for i in _edge_indices(size, True) if i is not None]
        if len(shown) < size:
            array = numpy.take(array, shown, axis=axis)
    return array


def _vector_str(vector, indent, summarize, formatter):
    element_length = formatter.max_width + 2   # each element is followed by ", "
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))
    if summarize and not PRINT_OPTS.edgeitems:
        data = ["..."]
    else:
        values = vector.tolist()
        data = [" ..." if i is None else formatter.format(values[i])
                for i in _edge_indices(len(values), summarize)]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _array_str(array, indent, summarize, formatter):
    """``array`` as nested brackets; sub-arrays separated by ``dim - 1`` blank lines."""
    if array.ndim == 0:
        return formatter.format(array.item())
    if array.ndim == 1:
        return _vector_str(array, indent, summarize, formatter)
    slices = ["..." if i is None else _array_str(array[i], indent + 1, summarize, formatter)
              for i in _edge_indices(array.shape[0], summarize)]
    return "[" + ("," + "\n" * (array.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _values_str(array, indent):
    if array.size == 0:
        return "[]"
    summarize = array.size > PRINT_OPTS.threshold
    formatter = _Formatter(_summarized(array) if summarize else array)
    return _array_str(array, indent, summarize, formatter)


_EXTRA_NAME_LENGTH = len("minigrad.") - len("torch.")


def _add_suffixes(text, suffixes, indent):
    """Append ``, suffix`` items, starting a new line when one would pass the line width."""
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1   # torch's count, off by one included
    for suffix in suffixes:
        # measured as torch's "torch.float64", so lines break where torch breaks them
        length = len(suffix) - _EXTRA_NAME_LENGTH * suffix.count("minigrad.")
        if last_line_len + length + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + length
        else:
            parts.append(", " + suffix)
            last_line_len += length + 2
    parts.append(")")
    return "".join(parts)


def _prefix(tensor) -> str:
    # torch prints both as tensor(...); _StaleView is a plain Tensor whose view history is out of date
    plain = type(tensor).__name__ in ("Tensor", "Parameter", "_StaleView")
    return "tensor(" if plain else f"{type(tensor).__name__}("


def tensor_repr(tensor) -> str:
    """torch's ``repr(tensor)``, with ``minigrad.`` where torch writes ``torch.``."""
    prefix = _prefix(tensor)
    indent = len(prefix)
    array = tensor.array if isinstance(tensor.array, numpy.ndarray) else tensor.array.get()
    dtype = tensor.dtype
    default_dtype = dtypes.get_default_dtype()
    suffixes = []
    if tensor.device.type != "cpu":
        suffixes.append(f"device='{tensor.device}'")
    if array.size == 0:
        if array.ndim != 1:   # an empty tensor shows its size unless it is (0,)
            suffixes.append(f"size={tuple(array.shape)}")
        if dtype is not default_dtype:   # nothing to infer the dtype from
            suffixes.append(f"dtype={dtype!r}")
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(array.shape)}")
        if dtype not in (default_dtype, dtypes.int64, dtypes.bool):
            suffixes.append(f"dtype={dtype!r}")
    text = prefix + _values_str(array, indent)
    try:
        grad_fn = tensor.grad_fn
    except RuntimeError:     # a split/unbind output whose base was written in place has none (as torch)
        suffixes.append("grad_fn=<Invalid>")
    else:
        if grad_fn is not None:
            # torch prints the node's class name: CopySlices, not name()'s torch::autograd::CopySlices
            suffixes.append(f"grad_fn=<{grad_fn.name().removeprefix('torch::autograd::')}>")
        elif tensor.requires_grad:
            suffixes.append("requires_grad=True")
    return _add_suffixes(text, suffixes, indent)
