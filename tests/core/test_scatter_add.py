"""device.scatter_add, the repeated-index sum behind embedding and indexing gradients,
against NumPy's ``add.at`` and torch's ``index_add``."""
import numpy
import pytest
import torch

from minigrad.core.device import scatter_add


@pytest.mark.parametrize("rows, picks", [(5, 12), (1, 3), (7, 1)])
def test_rows_picked_by_one_index_vector_sum_as_add_at(rows, picks):
    rng = numpy.random.default_rng(rows)
    index = rng.integers(-rows, rows, picks)            # repeats, and -1 is the same row as rows - 1
    values = rng.standard_normal((picks, 3, 2))
    start = rng.standard_normal((rows, 3, 2))
    expected = start.copy()
    numpy.add.at(expected, index, values)
    numpy.testing.assert_allclose(scatter_add(start.copy(), index, values), expected, rtol=1e-13)
    reference = torch.tensor(start).index_add_(0, torch.tensor(index % rows), torch.tensor(values))
    numpy.testing.assert_allclose(scatter_add(start.copy(), index, values), reference.numpy(), rtol=1e-13)


def test_an_empty_index_or_other_keys_go_to_add_at():
    target = numpy.ones((3, 2))
    assert (scatter_add(target, numpy.array([], dtype=numpy.int64), numpy.zeros((0, 2))) == 1).all()
    scatter_add(target, (numpy.array([0, 0]), numpy.array([1, 1])), numpy.array([2.0, 3.0]))
    assert target[0, 1] == 6 and target.sum() == 11
    with pytest.raises(IndexError):
        scatter_add(numpy.zeros((3, 2)), numpy.array([3]), numpy.ones((1, 2)))
