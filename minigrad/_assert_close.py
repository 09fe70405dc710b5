"""``minigrad.testing.assert_close``: torch.testing.assert_close for minigrad tensors, with torch's messages.

``actual`` and ``expected`` may be tensors, Python numbers, bools, None, or
sequences and mappings of these (compared item by item; a failure names the
item, ``The failure occurred for item [0]['weight']``).  Two tensors must have
the same shape (and, unless ``check_dtype=False`` / ``check_device=False``, the
same dtype and device); values are close when
``|actual - expected| <= atol + rtol * |expected|``, with torch's default
tolerances per dtype (float32: ``rtol=1.3e-6, atol=1e-5``; float64:
``1e-7, 1e-7``; integers and bools: equal).  NaN equals NaN only with
``equal_nan=True``.  ``msg`` (a string, or a function of the generated message)
replaces the message.
"""
from __future__ import annotations

import collections.abc
import numbers

import numpy

# torch's _DTYPE_PRECISIONS: (rtol, atol)
_PRECISIONS = {"float16": (0.001, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7),
               "complex64": (1.3e-6, 1e-5), "complex128": (1e-7, 1e-7)}
_NUMBER_PRECISIONS = {int: (0.0, 0.0), float: _PRECISIONS["float64"], complex: _PRECISIONS["complex128"]}


class _Mismatch(Exception):
    def __init__(self, kind, message, path=()):
        super().__init__(message)
        self.kind, self.message, self.path = kind, message, path


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None, equal_nan=False,
                 check_device=True, check_dtype=True, check_layout=True, check_stride=False, msg=None):
    """Raise AssertionError (torch's wording) unless ``actual`` and ``expected`` are close."""
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                         f"{'rtol' if rtol is None else 'atol'}.")
    options = dict(rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=check_device, check_dtype=check_dtype)
    try:
        _compare(actual, expected, (), options)
    except _Mismatch as mismatch:
        message = mismatch.message
        if callable(msg):
            message = msg(message)
        elif msg is not None:
            message = msg
        elif mismatch.path:
            message += f"\n\nThe failure occurred for item {''.join(f'[{key!r}]' for key in mismatch.path)}"
        raise mismatch.kind(message) from None


def _is_tensor(value):
    from .core.tensor import Tensor
    return isinstance(value, Tensor)


def _compare(actual, expected, path, options):
    if _is_tensor(actual) or _is_tensor(expected):
        if not (_is_tensor(actual) and _is_tensor(expected)):
            raise _Mismatch(TypeError, f"No comparison pair was able to handle inputs of type {type(actual)} and "
                                       f"{type(expected)}.", path)
        return _compare_tensors(actual, expected, path, options)
    if isinstance(actual, collections.abc.Mapping) and isinstance(expected, collections.abc.Mapping):
        if set(actual) != set(expected):
            missing, extra = set(expected) - set(actual), set(actual) - set(expected)
            raise _Mismatch(AssertionError, "The keys of the mappings do not match:\n"
                            + (f"Missing keys in the actual mapping: {sorted(missing)}\n" if missing else "")
                            + (f"Extra keys in the actual mapping: {sorted(extra)}\n" if extra else ""), path)
        for key in expected:
            _compare(actual[key], expected[key], path + (key,), options)
        return
    if _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            raise _Mismatch(AssertionError, f"The length of the sequences mismatch: {len(actual)} != "
                                            f"{len(expected)}", path)
        for index, (mine, reference) in enumerate(zip(actual, expected)):
            _compare(mine, reference, path + (index,), options)
        return
    if actual is None or expected is None:
        if not (actual is None and expected is None):
            raise _Mismatch(AssertionError, f"None mismatch: {actual} is not {expected}", path)
        return
    if isinstance(actual, (bool, numpy.bool_)) and isinstance(expected, (bool, numpy.bool_)):
        if bool(actual) is not bool(expected):
            raise _Mismatch(AssertionError, f"Booleans mismatch: {bool(actual)} is not {bool(expected)}", path)
        return
    if isinstance(actual, numbers.Number) and isinstance(expected, numbers.Number):
        return _compare_numbers(actual, expected, path, options)
    if actual != expected:
        raise _Mismatch(AssertionError, f"{actual} != {expected}", path)


def _is_sequence(value):
    return isinstance(value, collections.abc.Sequence) and not isinstance(value, str)


def _compare_numbers(actual, expected, path, options):
    kinds = [complex if isinstance(x, complex) else float if isinstance(x, float) else int
             for x in (actual, expected)]
    rtol, atol = options["rtol"], options["atol"]
    if rtol is None:
        rtol, atol = (max(tolerances) for tolerances in zip(*(_NUMBER_PRECISIONS[kind] for kind in kinds)))
    if _close(actual, expected, rtol, atol, options["equal_nan"]):
        return
    difference = abs(actual - expected)
    relative = float("inf") if expected == 0 else difference / abs(expected)
    raise _Mismatch(AssertionError, _message("Scalars", f"Expected {expected} but got {actual}.", difference, None,
                                             atol, relative, None, rtol), path)


def _close(actual, expected, rtol, atol, equal_nan):
    return bool(numpy.isclose(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan))


def _compare_tensors(actual, expected, path, options):
    def attribute_mismatch(name, mine, reference):
        raise _Mismatch(AssertionError, f"The values for attribute '{name}' do not match: {mine} != {reference}.",
                        path)

    if actual.shape != expected.shape:
        attribute_mismatch("shape", actual.shape, expected.shape)
    if options["check_device"] and actual.device != expected.device:
        attribute_mismatch("device", actual.device, expected.device)
    if options["check_dtype"] and actual.dtype != expected.dtype:
        attribute_mismatch("dtype", actual.dtype, expected.dtype)
    mine = actual.detach().numpy(force=True)
    reference = expected.detach().numpy(force=True)
    if mine.dtype != reference.dtype:          # check_dtype=False: compare in the promoted dtype
        from .core import dtypes
        common = dtypes.result_type(actual, expected)
        mine, reference = mine.astype(common), reference.astype(common)
    rtol, atol = options["rtol"], options["atol"]
    if rtol is None:
        rtol, atol = (max(pair) for pair in zip(_PRECISIONS.get(actual.dtype.name, (0.0, 0.0)),
                                                _PRECISIONS.get(expected.dtype.name, (0.0, 0.0))))
    if mine.dtype.kind == "b":
        mine, reference = mine.astype(numpy.int64), reference.astype(numpy.int64)
    matches = numpy.isclose(mine, reference, rtol=rtol, atol=atol, equal_nan=options["equal_nan"])
    if matches.all():
        return
    if mine.ndim == 0:
        actual_value, expected_value = mine.item(), reference.item()
        difference = abs(actual_value - expected_value)
        relative = float("inf") if expected_value == 0 else difference / abs(expected_value)
        raise _Mismatch(AssertionError, _message("Scalars", f"Expected {expected_value} but got {actual_value}.",
                                                 difference, None, atol, relative, None, rtol), path)
    if mine.dtype.kind in "biu":                     # torch upcasts integers to int64 for the differences
        mine, reference = mine.astype(numpy.int64), reference.astype(numpy.int64)
    differences = numpy.abs(mine - reference).reshape(-1)
    differences[matches.reshape(-1)] = 0
    # int64 / int64 is a float32 division in torch (the default dtype)
    relative = (differences.astype(numpy.float32) / numpy.abs(reference.reshape(-1)).astype(numpy.float32)
                if differences.dtype.kind in "iu" else differences / numpy.abs(reference.reshape(-1)))
    relative[matches.reshape(-1)] = 0
    count, total = int((~matches).sum()), matches.size
    where_absolute, where_relative = _argmax(differences), _argmax(relative)
    extra = f"Mismatched elements: {count} / {total} ({count / total:.1%})"
    raise _Mismatch(AssertionError, _message(
        "Tensor-likes", extra, differences[where_absolute].item(), numpy.unravel_index(where_absolute, mine.shape),
        atol, relative[where_relative].item(), numpy.unravel_index(where_relative, mine.shape), rtol), path)


def _argmax(values):
    """torch.max's index: the first NaN if there is one, else the first maximum."""
    nans = numpy.isnan(values) if values.dtype.kind in "fc" else numpy.zeros(values.shape, bool)
    return int(numpy.argmax(nans)) if nans.any() else int(numpy.argmax(values))


def _message(identifier, extra, absolute, absolute_index, atol, relative, relative_index, rtol):
    """torch's _make_mismatch_msg."""
    equality = rtol == 0 and atol == 0

    def difference(kind, value, index, tolerance):
        text = (f"{kind.title()} difference: {value}" if index is None
                else f"Greatest {kind} difference: {value} at index {tuple(int(i) for i in index)}")
        return text + ("" if equality else f" (up to {tolerance} allowed)") + "\n"

    message = f"{identifier} are not {'equal' if equality else 'close'}!\n\n{extra.strip()}\n"
    message += difference("absolute", absolute, absolute_index, atol)
    message += difference("relative", relative, relative_index, rtol)
    return message.strip()
