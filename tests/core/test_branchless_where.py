"""``core.device.branchless_where``: NumPy's ``where`` to the bit (dtype, shape, strides and bytes), whether it
chooses by bit masks (row-major float arrays, one dtype, or the number 0, from 1,024 elements) or
hands the call to ``where`` (anything else)."""
import itertools

import numpy
import pytest

from minigrad.core.device import branchless_where

DTYPES = (numpy.float16, numpy.float32, numpy.float64)


def _random_bits(rng, size, dtype):
    """Any bit patterns of ``dtype``: NaNs with payloads and signs, infinities, -0.0, subnormals."""
    unsigned = numpy.dtype(f"u{numpy.dtype(dtype).itemsize}")
    return rng.integers(0, numpy.iinfo(unsigned).max, size, dtype=unsigned, endpoint=True).view(dtype)


@pytest.mark.parametrize("dtype,size", list(itertools.product(DTYPES, (0, 5, 1023, 1024, 5001))))
def test_branchless_where_is_numpys_where_to_the_bit(dtype, size):
    rng = numpy.random.default_rng(size)
    a, b = _random_bits(rng, size, dtype), _random_bits(rng, size, dtype)
    condition = rng.random(size) > 0.5
    other_dtype = numpy.float64 if dtype != numpy.float64 else numpy.float32
    pairs = [(a, b), (a, 0), (0, b), (a, 0.0), (0.0, b), (a, -0.0), (-0.0, b), (a, 1), (0, 0),
             (a[::-1], b), (a, b.astype(other_dtype))]
    if size:
        pairs.append((a, b[:1]))          # broadcast
    conditions = [condition, condition[::-1], condition.astype(numpy.int8)]
    for (x, y), chosen_by in itertools.product(pairs, conditions):
        with numpy.errstate(all="ignore"):
            expected = numpy.where(chosen_by, x, y)
            result = branchless_where(numpy, chosen_by, x, y)
        assert (result.dtype, result.shape, result.strides) == (expected.dtype, expected.shape, expected.strides)
        assert result.tobytes() == expected.tobytes()
        assert result.flags.writeable


def test_branchless_where_leaves_its_operands_alone():
    rng = numpy.random.default_rng(1)
    a, b = rng.standard_normal(4096), rng.standard_normal(4096)
    condition = a > 0
    copies = a.copy(), b.copy(), condition.copy()
    result = branchless_where(numpy, condition, a, b)
    assert not any(numpy.shares_memory(result, operand) for operand in (a, b, condition))
    for operand, copy in zip((a, b, condition), copies):
        numpy.testing.assert_array_equal(operand, copy)
