"""``minigrad.testing.assert_close`` against ``torch.testing.assert_close``: the same verdicts and the same
messages (with minigrad's type names where torch prints its own)."""
import math

import pytest
import torch

import minigrad
from minigrad.testing import assert_close


def outcome(lib, make):
    """(exception type, message) of ``lib.testing.assert_close(*make(lib))``, or None when it passes."""
    actual, expected, options = make(lib)
    try:
        lib.testing.assert_close(actual, expected, **options)
    except Exception as error:       # noqa: BLE001 - the exception is what is compared
        return type(error), str(error).replace("minigrad.", "torch.").replace("minigrad", "torch")
    return None


def t(lib, values, dtype="float32"):
    return lib.tensor(values, dtype=getattr(lib, dtype))


CASES = {
    "equal": lambda L: (t(L, [1.0, 2.0]), t(L, [1.0, 2.0]), {}),
    "within float32 tolerance": lambda L: (t(L, [1.0, 2.0]), t(L, [1.0, 2.0000019]), {}),
    "one element off": lambda L: (t(L, [1.0, 2.0, 3.0]), t(L, [1.0, 2.1, 3.0]), {}),
    "float64 tolerance": lambda L: (t(L, [1.0, 2.0], "float64"), t(L, [1.0, 2.000001], "float64"), {}),
    "2-d index": lambda L: (t(L, [[1.0, 2.0], [3.0, 4.0]]), t(L, [[1.0, 2.0], [3.5, 4.0]]), {}),
    "near zero": lambda L: (t(L, [0.0, 1.0]), t(L, [1e-3, 1.0]), {}),
    "shape": lambda L: (t(L, [1.0, 2.0, 3.0]), t(L, [1.0, 2.0, 3.0, 4.0]), {}),
    "dtype": lambda L: (t(L, [1.0, 2.0]), t(L, [1.0, 2.0], "float64"), {}),
    "dtype unchecked": lambda L: (t(L, [1.0, 2.0]), t(L, [1.0, 2.0], "float64"), {"check_dtype": False}),
    "nan": lambda L: (t(L, [[1.0, math.nan]]), t(L, [[1.0, math.nan]]), {}),
    "nan equal": lambda L: (t(L, [[1.0, math.nan]]), t(L, [[1.0, math.nan]]), {"equal_nan": True}),
    "inf": lambda L: (t(L, [math.inf, 1.0]), t(L, [math.inf, 1.0]), {}),
    "integers": lambda L: (t(L, [1, 2], "int64"), t(L, [1, 3], "int64"), {}),
    "bools": lambda L: (t(L, [True, False], "bool"), t(L, [True, True], "bool"), {}),
    "0-d": lambda L: (t(L, 2.0), t(L, 2.1), {}),
    "python floats": lambda L: (1.0, 1.1, {}),
    "python ints": lambda L: (1, 2, {}),
    "list item": lambda L: ([t(L, 1.0)], [t(L, 1.5)], {}),
    "dict item": lambda L: ({"a": t(L, 1.0)}, {"a": t(L, 1.5)}, {}),
    "nested": lambda L: ({"w": [t(L, [1.0]), t(L, [2.0])]}, {"w": [t(L, [1.0]), t(L, [2.5])]}, {}),
    "lengths": lambda L: ([1, 2], [1, 2, 3], {}),
    "explicit tolerances": lambda L: (t(L, [1.0, 2.0]), t(L, [1.0, 2.5]), {"rtol": 0.3, "atol": 0.0}),
    "rtol without atol": lambda L: (t(L, [1.0, 2.0]), t(L, [1.0, 2.5]), {"rtol": 0.1}),
    "custom message": lambda L: (t(L, [1.0, 2.0]), t(L, [1.0, 2.5]), {"msg": "custom"}),
    "callable message": lambda L: (t(L, [1.0, 2.0]), t(L, [1.0, 2.5]), {"msg": lambda text: "wrapped: " + text}),
    "tensor and list": lambda L: (t(L, [1.0, 2.0]), [1.0, 2.0], {}),
    "none": lambda L: (None, None, {}),
    "booleans": lambda L: (True, False, {}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_assert_close_matches_torch(case):
    ours, theirs = outcome(minigrad, CASES[case]), outcome(torch, CASES[case])
    if case == "tensor and list":      # the type names differ: torch.Tensor / minigrad.core.tensor.Tensor
        assert ours[0] is theirs[0] is TypeError and "No comparison pair was able to handle" in ours[1]
        return
    assert ours == theirs


def test_assert_close_is_torch_testing_under_the_alias():
    from minigrad.torch_alias import as_torch
    with as_torch():
        import torch.testing as aliased
        assert aliased.assert_close is assert_close
