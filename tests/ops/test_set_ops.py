"""unique and bincount against torch."""
import numpy
import pytest

from minigrad.testing import assert_matches_torch
from _op_parity import assert_same_error, both

DTYPES = ["float64", "float32"]


@pytest.mark.parametrize("values", [numpy.array([3, 1, 3, 2, 1]), numpy.array([[2.5, -1.0], [2.5, 0.0]]),
                                    numpy.array([True, False, True])])
def test_unique_matches_torch(values):
    for inverse in (False, True):
        for counts in (False, True):
            assert_matches_torch(**both("unique", return_inverse=inverse, return_counts=counts),
                                 inputs=[values], grad=False)


@pytest.mark.parametrize("weights", [None, numpy.array([0.5, 1.0, 2.0, 3.0]),
                                     numpy.array([0.5, 1.0, 2.0, 3.0], dtype="float32"),
                                     numpy.array([1, 2, 3, 4])])
def test_bincount_matches_torch(weights):
    values = numpy.array([0, 3, 3, 1])
    if weights is None:
        assert_matches_torch(**both("bincount"), inputs=[values], grad=False)
        assert_matches_torch(**both("bincount", minlength=7), inputs=[values], grad=False)
    else:
        assert_matches_torch(lambda x, w: x.bincount(w, 6), inputs=[values, weights], grad=False)


def test_bincount_bad_input_like_torch():
    assert_same_error(lambda x: x.bincount(), numpy.array([-1, 2]))
    assert_same_error(lambda x: x.bincount(), numpy.array([1.0]))
    assert_same_error(lambda x: x.bincount(minlength=-1), numpy.array([1]))
