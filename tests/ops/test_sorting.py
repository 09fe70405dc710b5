"""sort argsort msort topk kthvalue median against torch: values, indices, gradients, errors."""
import numpy
import pytest
import torch

import minigrad
from minigrad.testing import assert_matches_torch
from _op_parity import assert_same, assert_same_module_error


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_matches_torch(dtype, dim, descending):
    assert_matches_torch(lambda x: tuple(x.sort(dim, descending=descending)), [(4, 6)], dtype=dtype)


def test_sort_stable_keeps_tie_order_both_directions():
    values = numpy.array([[3, 1, 2, 1, 3, 2, 1, 3]], dtype="float64")
    for descending in (False, True):
        ours = minigrad.sort(minigrad.tensor(values), dim=1, descending=descending, stable=True)
        theirs = torch.sort(torch.tensor(values), dim=1, descending=descending, stable=True)
        assert ours.indices.tolist() == theirs.indices.tolist()
        assert ours.values.tolist() == theirs.values.tolist()


def test_sort_nan_is_largest_and_return_type():
    values = numpy.array([1.0, numpy.nan, -2.0, 0.5])
    for descending in (False, True):
        ours = minigrad.sort(minigrad.tensor(values), descending=descending)
        theirs = torch.sort(torch.tensor(values), descending=descending)
        numpy.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        assert ours.indices.tolist() == theirs.indices.tolist()
    result = minigrad.sort(minigrad.tensor([2.0, 1.0]))
    assert type(result).__name__ == "sort" and result._fields == ("values", "indices")
    assert type(result) is minigrad.return_types.sort
    assert result.indices.dtype == minigrad.int64
    assert result.values.grad_fn is None


def test_sort_of_0d_and_ints():
    ours, theirs = minigrad.sort(minigrad.tensor(3.0)), torch.sort(torch.tensor(3.0))
    assert ours.values.shape == theirs.values.shape and ours.indices.item() == theirs.indices.item() == 0
    rng = numpy.random.default_rng(0)
    ints = rng.integers(0, 100, size=(3, 7))    # no ties needed: compare values only
    ours = minigrad.sort(minigrad.tensor(ints), dim=0, descending=True)
    theirs = torch.sort(torch.tensor(ints), dim=0, descending=True)
    assert ours.values.tolist() == theirs.values.tolist() and ours.values.dtype == minigrad.int64


@pytest.mark.parametrize("descending", [False, True])
def test_argsort_and_msort(descending):
    values = numpy.random.default_rng(1).permutation(24).reshape(4, 6).astype("float64")
    for dim in (0, 1):
        ours = minigrad.argsort(minigrad.tensor(values), dim=dim, descending=descending)
        theirs = torch.argsort(torch.tensor(values), dim=dim, descending=descending)
        assert ours.tolist() == theirs.tolist() and ours.dtype == minigrad.int64
    assert minigrad.tensor(values).argsort().tolist() == torch.tensor(values).argsort().tolist()
    assert_matches_torch(lambda x: torch_or_mini(x).msort(x), [(4, 3)])


def torch_or_mini(x):
    return torch if isinstance(x, torch.Tensor) else minigrad


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("k,dim,largest", [(1, -1, True), (3, 1, True), (2, 0, False), (6, 1, False), (0, 1, True)])
def test_topk_matches_torch(dtype, k, dim, largest):
    assert_matches_torch(lambda x: tuple(x.topk(k, dim=dim, largest=largest)), [(4, 6)], dtype=dtype)


def test_topk_function_form_and_type():
    assert_matches_torch(lambda x: tuple(torch_or_mini(x).topk(x, 2)), [(3, 2, 5)])
    result = minigrad.topk(minigrad.tensor([1.0, 5.0, 3.0]), 2)
    assert type(result) is minigrad.return_types.topk and result.values.tolist() == [5.0, 3.0]
    assert result.indices.tolist() == [1, 2]


def test_topk_ties_values_match_torch():
    values = numpy.array([[1.0, 3.0, 3.0, 2.0, 3.0]])
    ours = minigrad.tensor(values).topk(2).values
    assert ours.tolist() == torch.tensor(values).topk(2).values.tolist()


@pytest.mark.parametrize("k,dim,keepdim", [(1, 1, False), (3, 1, True), (4, 0, False), (2, -1, False)])
def test_kthvalue_matches_torch(k, dim, keepdim):
    assert_matches_torch(lambda x: tuple(x.kthvalue(k, dim, keepdim)), [(4, 5)])
    assert_matches_torch(lambda x: tuple(x.kthvalue(k, dim, keepdim)), [(4, 5)], dtype="float32")


@pytest.mark.parametrize("shape", [(7,), (4, 6), (2, 3, 4)])
def test_median_all_matches_torch(shape):
    assert_matches_torch(lambda x: x.median(), [shape])


def test_median_all_splits_gradient_among_ties():
    assert_matches_torch(lambda x: x.median(), inputs=[numpy.array([1.0, 2.0, 2.0, 3.0, 2.0, 0.0])])


@pytest.mark.parametrize("dim,keepdim", [(0, False), (1, True), (-1, False)])
def test_median_dim_matches_torch(dim, keepdim):
    assert_matches_torch(lambda x: tuple(x.median(dim, keepdim)), [(4, 6)])      # even: lower median
    assert_matches_torch(lambda x: tuple(torch_or_mini(x).median(x, dim=dim, keepdim=keepdim)), [(5, 3)],
                         dtype="float32")
    result = minigrad.median(minigrad.randn(3, 4), 1)
    assert type(result) is minigrad.return_types.median


def test_grad_fn_names():
    x = minigrad.randn(3, 4, requires_grad=True)
    assert x.sort().values.grad_fn.name() == "SortBackward0"
    assert x.topk(2).values.grad_fn.name() == "TopkBackward0"
    assert x.kthvalue(2).values.grad_fn.name() == "KthvalueBackward0"
    assert x.median().grad_fn.name() == "MedianBackward0"
    assert x.median(0).values.grad_fn.name() == "MedianBackward1"


def _errors(fn):
    messages = []
    for module in (minigrad, torch):
        with pytest.raises((RuntimeError, IndexError, TypeError)) as info:
            fn(module, module.zeros(3, 4))
        messages.append((type(info.value), str(info.value)))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("fn", [
    lambda m, x: m.topk(x, 5),
    lambda m, x: m.topk(x, 2, dim=3),
    lambda m, x: m.kthvalue(x, 0),
    lambda m, x: m.kthvalue(x, 5),
    lambda m, x: m.kthvalue(x, 4, 0),
    lambda m, x: m.sort(x, dim=2),
    lambda m, x: m.median(m.zeros(0, 3), 0),
])
def test_bad_input_errors_match_torch(fn):
    _errors(fn)


@pytest.mark.parametrize("fn", [
    lambda m: m.topk(m.zeros(2, 1, dtype=m.bool), 1),
    lambda m: m.topk(m.zeros(0, dtype=m.bool), 0),
    lambda m: m.topk(m.zeros(2, 1, dtype=m.bool), 3),          # k's range is checked first
    lambda m: m.kthvalue(m.zeros(2, 3, dtype=m.bool), 1),
    lambda m: m.kthvalue(m.zeros(0, 1, dtype=m.bool), 1),
    lambda m: m.kthvalue(m.zeros(2, 0), 1, -1),                  # an empty dim before k's range
    lambda m: m.kthvalue(m.zeros(2, 0, dtype=m.bool), 1),
    lambda m: m.median(m.tensor([True, False])),
    lambda m: m.median(m.tensor([True, False]), 0),
    lambda m: m.median(m.zeros((), dtype=m.bool), 0),
])
def test_order_statistics_of_bools_and_empty_dims_raise_torchs_errors(fn):
    assert_same_module_error(fn)


def test_order_statistics_of_0d_and_empty_inputs_match_torch():
    for fn in (lambda m: m.topk(m.tensor(1.5), 0, 0), lambda m: m.topk(m.tensor(1.5), 1),
               lambda m: m.kthvalue(m.zeros((), dtype=m.bool), 1), lambda m: m.median(m.zeros(0, dtype=m.bool)),
               lambda m: m.topk(m.zeros(2, 0), 1, 0)):
        assert_same(fn)
    for module in (minigrad, torch):     # median of nothing is NaN, still with a gradient (of zeros)
        x = module.zeros(0, requires_grad=True)
        result = module.median(x)
        result.backward()
        assert result.requires_grad and x.grad.shape == (0,)


def test_median_gradient_goes_only_to_the_nans():
    grads = []
    for module in (minigrad, torch):
        x = module.tensor([1.0, float("nan"), 2.0, float("nan")], requires_grad=True)
        module.median(x).backward(module.tensor(float("nan")))      # a NaN gradient stays on the NaNs
        grads.append(x.grad.numpy())
    numpy.testing.assert_array_equal(*grads)


def _tie_heavy_inputs():
    """Slices of few distinct values (ties), NaNs and signed zeros, long enough for introsort."""
    rng = numpy.random.default_rng(7)
    inputs = []
    for length in (5, 17, 40, 130):
        values = rng.integers(0, 4, (3, length)).astype("float64")
        values[rng.random(values.shape) < 0.15] = numpy.nan
        values[values == 0] = -0.0
        inputs.append(values)
    return inputs


@pytest.mark.parametrize("index", range(4))
@pytest.mark.parametrize("op", [
    lambda lib, x: lib.sort(x, -1).indices, lambda lib, x: lib.sort(x, -1, descending=True).indices,
    lambda lib, x: lib.argsort(x.T, 0), lambda lib, x: lib.topk(x, 3).indices,
    lambda lib, x: lib.topk(x, 1, largest=False).indices, lambda lib, x: lib.topk(x, x.shape[-1] - 1).indices,
    lambda lib, x: lib.kthvalue(x, 2).indices, lambda lib, x: lib.kthvalue(x, x.shape[-1] // 2 + 1).indices,
])
def test_ties_land_where_torchs_algorithms_leave_them(index, op):
    # torch's sort (stable=False) is libstdc++'s introsort, topk its nth_element/partial_sort,
    # kthvalue TH's quickselect: equal values come out in the order those leave them
    x = _tie_heavy_inputs()[index]
    assert_same(lambda lib: op(lib, lib.tensor(x)).tolist())


def test_topk_and_kthvalue_gradients_go_to_torchs_tied_element():
    def action(lib):
        x = lib.tensor([-0.1, 0.1, 0.1, 0.2, 0.4, 0.1], requires_grad=True)
        (lib.topk(x, 4).values * lib.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
        (x.kthvalue(3).values * 10).backward()
        return x.grad.tolist()
    assert_same(action)


# ---- searchsorted and bucketize -------------------------------------------------------------
SEARCHES = [
    "m.searchsorted(m.tensor([1., 3, 5, 7, 9]), m.tensor([[3., 6, 9], [3, 6, 10]]))",
    "m.searchsorted(m.tensor([1., 3, 5, 7, 9]), m.tensor([[3., 6, 9], [0, 6, 10]]), right=True)",
    "m.searchsorted(m.tensor([1., 3, 5, 7, 9]), m.tensor([3., 5, 9]), side='right', out_int32=True)",
    "m.searchsorted(m.tensor([1., 3, 5, 7, 9]), 5)", "m.searchsorted(m.tensor([1., 3, 5, 7, 9]), 5.5)",
    "m.searchsorted(m.tensor([[1., 3, 5], [2, 4, 6]]), m.tensor([[3., 6], [1, 7]]))",
    "m.searchsorted(m.tensor([[1., 3, 5], [2, 4, 6]]), m.tensor([[3., 6], [1, 7]]), right=True)",
    "m.searchsorted(m.tensor([1, 2, 3]), m.tensor([2.5, 0.5]))",
    "m.searchsorted(m.tensor([1., 2, 3], dtype=m.float64), m.tensor([2, 9]))",
    "m.searchsorted(m.tensor([3., 1, 2]), m.tensor([2.5, 1.0]), sorter=m.tensor([1, 2, 0]))",
    "m.searchsorted(m.tensor([1., 2]), m.tensor([float('nan'), -float('inf'), float('inf')]))",
    "m.searchsorted(m.ones(0), m.ones(2))", "m.searchsorted(m.tensor([1., 3]), m.ones(0, 2))",
    "m.bucketize(m.tensor([[3., 6, 9], [3, 6, 10]]), m.tensor([1., 3, 5, 7, 9]))",
    "m.bucketize(m.tensor([[3., 6, 9], [3, 6, 10]]), m.tensor([1., 3, 5, 7, 9]), right=True, out_int32=True)",
    "m.bucketize(3, m.tensor([1., 3, 5]))", "m.bucketize(m.ones(2), m.ones(0))",
]


@pytest.mark.parametrize("call", SEARCHES)
def test_searchsorted_and_bucketize_match_torch(call):
    results = [eval(call, {"m": m}) for m in (torch, minigrad)]
    assert results[1].tolist() == results[0].tolist()
    assert str(results[1].dtype).split(".")[-1] == str(results[0].dtype).split(".")[-1]
    assert tuple(results[1].shape) == tuple(results[0].shape)


def test_a_search_has_no_gradient_as_torch():
    x = minigrad.tensor([2.5], requires_grad=True)
    found = minigrad.searchsorted(minigrad.tensor([1.0, 3.0]), x)
    assert not found.requires_grad and found.grad_fn is None


@pytest.mark.parametrize("call", [
    "m.searchsorted(m.tensor([[1., 3, 5], [2, 4, 6]]), m.ones(3, 2))",
    "m.searchsorted(m.tensor([[1., 3, 5], [2, 4, 6]]), m.ones(2))",
    "m.searchsorted(m.tensor([[1., 3, 5], [2, 4, 6]]), m.tensor(1.))",
    "m.searchsorted(m.ones(2, 2, 3), m.ones(2, 3, 1))",
    "m.searchsorted(m.ones(3), m.ones(3), side='left', right=True)",
    "m.searchsorted(m.ones(3), m.ones(3), side='middle')",
    "m.searchsorted(m.tensor(1.), m.ones(3))",
    "m.searchsorted(m.ones(3), m.ones(3), sorter=m.ones(3))",
    "m.searchsorted(m.ones(3), m.ones(3), sorter=m.tensor([0, 1, 5]))",
    "m.searchsorted(m.ones(5), m.ones(3), sorter=m.tensor([0, 1]))",
    "m.searchsorted(m.tensor([True, False]), m.tensor([True]))",
    "m.bucketize(m.ones(3), m.ones(2, 3))",
])
def test_searchsorted_and_bucketize_errors_match_torch(call):
    assert_same_module_error(lambda m: eval(call, {"m": m}))
