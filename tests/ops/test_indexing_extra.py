"""index_add, index_copy, index_put, masked_scatter and put (and their in-place forms) against torch:
values, grad_fn names, gradients under a random weighting, writes through views, errors, second
derivatives."""
import numpy
import pytest
import torch

import minigrad
from _higher_order import assert_second_order_matches_torch
from _op_parity import assert_same, run_both

DTYPES = ["float64", "float32"]
GRAD_TOLERANCE = {"float64": 1e-12, "float32": 1e-5}


def _random(shape, dtype="float64", seed=0):
    return numpy.random.default_rng(seed).uniform(-2, 2, size=shape).astype(dtype)


def _outcome(library, fn, arrays, seed=1):
    """``fn(library, *leaves)`` on leaves that require grad: the result (values, dtype, grad_fn
    name) and the leaves' gradients of a random weighting of it, or the error."""
    leaves = [library.tensor(array.copy(), requires_grad=True) for array in arrays]
    try:
        out = fn(library, *leaves)
        weight = numpy.random.default_rng(seed).standard_normal(tuple(out.shape)).astype(arrays[0].dtype)
        (out * library.tensor(weight)).sum().backward()
    except Exception as error:      # the same error, of the same type, in both
        return f"{type(error).__name__}: {error}".replace("torch.", "minigrad."), None
    name = out.grad_fn.name() if out.grad_fn is not None else None
    result = (tuple(out.shape), str(out.dtype).replace("torch.", "").replace("minigrad.", ""), out.tolist(), name)
    grads = [None if leaf.grad is None else leaf.grad.numpy() for leaf in leaves]
    return result, grads


def assert_matches_torch(fn, *arrays):
    """Values, dtype, shape and grad_fn name as torch's (exactly); the gradients of a random
    weighting of the result to the dtype's rounding (a summed gradient may add in another order)."""
    ours, our_grads = _outcome(minigrad, fn, arrays)
    theirs, their_grads = _outcome(torch, fn, arrays)
    assert ours == theirs
    if their_grads is None:
        return
    tolerance = GRAD_TOLERANCE[str(arrays[0].dtype)]
    for index, (mine, reference) in enumerate(zip(our_grads, their_grads)):
        assert (mine is None) == (reference is None), f"gradient {index}"
        if reference is not None:
            assert mine.shape == reference.shape
            numpy.testing.assert_allclose(mine, reference, rtol=tolerance, atol=tolerance, err_msg=f"gradient {index}")


# ---- index_add -----------------------------------------------------------------------------
INDEX_ADD_CASES = {
    "dim0_repeated": ((3, 4), (4, 4), lambda L, x, s: L.index_add(x, 0, L.tensor([2, 0, 2, 2]), s)),
    "dim1_alpha": ((3, 4), (3, 2), lambda L, x, s: x.index_add(1, L.tensor([3, 3]), s, alpha=2.0)),
    "negative_dim_int32": ((2, 3, 4), (2, 3, 3), lambda L, x, s: x.index_add(-1, L.tensor([0, 1, 0], dtype=L.int32),
                                                                            s, alpha=-0.5)),
    "0d_index": ((3, 4), (1, 4), lambda L, x, s: x.index_add(0, L.tensor(1), s)),
    "empty_index": ((3, 4), (0, 4), lambda L, x, s: x.index_add(0, L.tensor([], dtype=L.int64), s)),
    "0d_self_and_source": ((), (), lambda L, x, s: x.index_add(0, L.tensor([0]), s, alpha=2)),
    # an empty input of more than one dim: torch's kernel returns before it checks an index
    "empty_self_unchecked_index": ((3, 0), (3, 1), lambda L, x, s: x.index_add(1, L.tensor([5]), s)),
    "vector": ((5,), (3,), lambda L, x, s: x.index_add(0, L.tensor([4, 4, 1]), s)),
    # torch's kernel adds alpha * source by a fused multiply-add, a repeated index in its turn
    "fused_alpha_repeated": ((4, 16), (24, 16), lambda L, x, s: x.index_add(0, L.tensor([3, 1, 3, 0] * 6), s,
                                                                          alpha=0.3)),
    "fused_alpha_middle_dim": ((2, 4, 8), (2, 12, 8), lambda L, x, s: x.index_add(1, L.tensor([2, 2, 2, 1] * 3), s,
                                                                                 alpha=-1.7)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", INDEX_ADD_CASES.values(), ids=INDEX_ADD_CASES.keys())
def test_index_add_matches_torch(case, dtype):
    self_shape, source_shape, fn = case
    assert_matches_torch(fn, _random(self_shape, dtype), _random(source_shape, dtype, 1))


@pytest.mark.parametrize("dim,index", [(0, [3, 1, 3, 0] * 10), (1, [5, 5, 0, 7] * 10)])
def test_index_add_of_half_precision_rounds_as_torch(dim, index):
    """Where torch runs scatter_add_ (alpha 1, an int64 index, the first or last dim), it sums
    half precision in float32 and rounds once."""
    def action(L):
        generator = numpy.random.default_rng(0)
        x = L.tensor(generator.standard_normal((4, 8)).astype(numpy.float16))
        shape = [4, 8]
        shape[dim] = len(index)
        source = L.tensor(generator.standard_normal(shape).astype(numpy.float16))
        return x.index_add(dim, L.tensor(index), source).tolist()
    assert_same(action)


# ---- index_copy ----------------------------------------------------------------------------
INDEX_COPY_CASES = {     # no repeated index: torch does not say which of its slices is written
    "dim0": ((3, 4), (2, 4), lambda L, x, s: L.index_copy(x, 0, L.tensor([2, 0]), s)),
    "negative_dim": ((2, 3, 4), (2, 3, 2), lambda L, x, s: x.index_copy(-1, L.tensor([3, 0]), s)),
    "0d_index": ((3, 4), (1, 4), lambda L, x, s: x.index_copy(0, L.tensor(1), s)),
    "empty_index": ((3, 4), (0, 4), lambda L, x, s: x.index_copy(0, L.tensor([], dtype=L.int64), s)),
    "0d_source": ((3,), (), lambda L, x, s: x.index_copy(0, L.tensor([1]), s)),
    "0d_self": ((), (), lambda L, x, s: x.index_copy(0, L.tensor([0]), s)),
    "empty_self_unchecked_index": ((3, 0), (1, 0), lambda L, x, s: x.index_copy(0, L.tensor([5]), s)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", INDEX_COPY_CASES.values(), ids=INDEX_COPY_CASES.keys())
def test_index_copy_matches_torch(case, dtype):
    self_shape, source_shape, fn = case
    assert_matches_torch(fn, _random(self_shape, dtype), _random(source_shape, dtype, 1))


# ---- index_put -----------------------------------------------------------------------------
def _put(indices, accumulate):
    return lambda L, x, v: L.index_put(x, tuple(L.tensor(index) for index in indices), v, accumulate)


INDEX_PUT_CASES = {
    # accumulate=True sums a repeated index; accumulate=False is tested without one (torch does
    # not say which value wins)
    "rows_accumulate_repeated": ((3, 4), (4,), _put([[2, 0, 2, -1]], True)),
    "rows": ((3, 4), (2, 4), _put([[2, 0]], False)),
    "elements_negative": ((3, 4), (3,), _put([[-1, 0, 1], [1, -4, 3]], False)),
    "elements_accumulate_repeated": ((3, 4), (1,), _put([[1, 1, 1], [2, 2, 0]], True)),
    "broadcast_indices": ((3, 4), (2, 3), _put([[[0], [2]], [1, 2, 3]], False)),
    "int32_index": ((3, 4), (4,), lambda L, x, v: x.index_put((L.tensor([1, 1], dtype=L.int32),), v, accumulate=True)),
    "0d_index": ((3,), (), lambda L, x, v: x.index_put((L.tensor(1),), v)),
    "mask": ((3, 4), (2, 4), _put([[True, False, True]], False)),
    "mask_accumulate": ((3, 4), (4,), _put([[True, False, True]], True)),
    "full_mask_one_value": ((3, 4), (1,), _put([[[True, False, True, True]] * 3], False)),
    "mask_and_index": ((3, 4), (2,), _put([[True, False, True], [3, 0]], True)),
    "two_of_three_dims": ((2, 3, 4), (2, 4), _put([[1, 0], [2, 2]], True)),
    "three_dims": ((2, 3, 4), (2,), _put([[1, 0], [2, 2], [0, -1]], False)),
    "empty_index": ((3, 4), (4,), _put([numpy.zeros(0, numpy.int64)], True)),
    "empty_index_values_empty": ((3, 4), (0, 4), _put([numpy.zeros(0, numpy.int64)], False)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", INDEX_PUT_CASES.values(), ids=INDEX_PUT_CASES.keys())
def test_index_put_matches_torch(case, dtype):
    self_shape, values_shape, fn = case
    assert_matches_torch(fn, _random(self_shape, dtype), _random(values_shape, dtype, 1))


# ---- masked_scatter ------------------------------------------------------------------------
MASKS = {
    "same_shape": ((3, 4), [[True, False, True, False], [False] * 4, [True] * 4], (12,)),
    "source_2d_larger": ((3, 4), [[True, False, True, False], [False] * 4, [True] * 4], (3, 5)),
    "row_mask_broadcast": ((3, 4), [[True], [False], [True]], (2, 4)),
    "column_mask_broadcast": ((3, 4), [True, False, True, True], (9,)),
    "self_broadcast": ((4,), [[True, False, True, False], [False] * 4, [True] * 4], (6,)),
    "all_false": ((3, 4), [[False] * 4] * 3, (0,)),
    "0d": ((), True, (2,)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", MASKS.values(), ids=MASKS.keys())
def test_masked_scatter_matches_torch(case, dtype):
    self_shape, mask, source_shape = case
    fn = lambda L, x, s: L.masked_scatter(x, L.tensor(mask), s)  # noqa: E731
    assert_matches_torch(fn, _random(self_shape, dtype), _random(source_shape, dtype, 1))


@pytest.mark.parametrize("dtype", DTYPES)
def test_masked_scatter_reads_a_transposed_source_in_row_major_order_as_torch(dtype):
    mask = [[True, True, False, True]] * 3
    assert_matches_torch(lambda L, x, s: x.masked_scatter(L.tensor(mask), s.t()),
                         _random((3, 4), dtype), _random((4, 3), dtype, 1))


# ---- put -------------------------------------------------------------------------------------
PUT_CASES = {
    "accumulate_repeated_negative": ((3, 4), (2, 2), lambda L, x, s: x.put(L.tensor([[1, -11], [1, 11]]), s,
                                                                           accumulate=True)),
    "overwrite": ((3, 4), (3,), lambda L, x, s: L.put(x, L.tensor([0, -1, 5]), s)),
    "transposed_self": ((4, 3), (2,), lambda L, x, s: x.t().put(L.tensor([1, 4]), s)),
    "empty_index": ((3, 4), (0,), lambda L, x, s: x.put(L.tensor([], dtype=L.int64), s, accumulate=True)),
    "0d": ((), (), lambda L, x, s: x.put(L.tensor(0), s)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", PUT_CASES.values(), ids=PUT_CASES.keys())
def test_put_matches_torch(case, dtype):
    self_shape, source_shape, fn = case
    assert_matches_torch(fn, _random(self_shape, dtype), _random(source_shape, dtype, 1))


# ---- in place ---------------------------------------------------------------------------------
IN_PLACE = {
    "index_add_": (lambda L, t, s: t.index_add_(1, L.tensor([0, 2, 0]), s, alpha=2.0), (2, 3)),
    "index_copy_": (lambda L, t, s: t.index_copy_(1, L.tensor([3, 0, 1]), s), (2, 3)),
    "index_put_": (lambda L, t, s: t.index_put_((L.tensor([1, 1, 0]), L.tensor([2, 2, -1])), s[0], accumulate=True),
                   (2, 3)),
    "index_put_overwrite": (lambda L, t, s: L.index_put_(t, (L.tensor([1, 0]),), s[:, :1]), (2, 3)),
    "masked_scatter_": (lambda L, t, s: t.masked_scatter_(L.tensor([True, False, True, True]), s), (2, 3)),
    "put_": (lambda L, t, s: t.put_(L.tensor([[7, 0, -1], [7, 2, 3]]), s, accumulate=True), (2, 3)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", IN_PLACE.values(), ids=IN_PLACE.keys())
def test_in_place_write_through_a_view_matches_torch(case, dtype):
    """Write into ``base[1:]``: ``base``, the earlier view ``base[:2]`` and the target see the
    write (the same versions), and the gradients flow back through the earlier view as torch's."""
    write, source_shape = case

    def fn(L, x, s):
        base = x * 1
        earlier = base[:2]
        target = base[1:]
        returned = write(L, target, s)
        assert returned is target
        versions = (base._version, earlier._version, target._version)
        return L.cat([earlier.reshape(-1), base.reshape(-1), target.reshape(-1) * 3,
                      L.tensor([float(v) for v in versions], dtype=x.dtype)])
    assert_matches_torch(fn, _random((3, 4), dtype), _random(source_shape, dtype, 1))


@pytest.mark.parametrize("case", IN_PLACE.values(), ids=IN_PLACE.keys())
def test_in_place_on_a_leaf_that_requires_grad_raises_as_torch(case):
    write, source_shape = case

    def action(L):
        x = L.zeros(2, 4, dtype=L.float64, requires_grad=True)
        return write(L, x, L.ones(source_shape, dtype=L.float64))
    assert_same(action)


@pytest.mark.parametrize("case", IN_PLACE.values(), ids=IN_PLACE.keys())
def test_in_place_without_grad_writes_the_tensor_and_its_views_as_torch(case):
    write, source_shape = case

    def action(L):
        base = L.arange(12, dtype=L.float64).reshape(3, 4)
        view = base.view(-1)
        write(L, base[1:], L.arange(1, 1 + numpy.prod(source_shape), dtype=L.float64).reshape(source_shape) * 10)
        return base.tolist(), view.tolist(), base._version, view._version
    assert_same(action)


PARTIAL_OVERLAP = {
    "index_add_": lambda L, x: x.index_add_(0, L.tensor([0]), x[1:2]),
    "index_copy_": lambda L, x: x.index_copy_(0, L.tensor([0]), x[1:2]),
    "index_put_": lambda L, x: x.index_put_((L.tensor([0]),), x[1:2]),
    "put_": lambda L, x: x.put_(L.tensor([0]), x[1:2]),
    "masked_scatter_itself": lambda L, x: x.masked_scatter_(x > -1, x),    # the same memory: allowed
}


@pytest.mark.parametrize("fn", PARTIAL_OVERLAP.values(), ids=PARTIAL_OVERLAP.keys())
def test_a_source_sharing_part_of_the_written_memory_is_refused_as_torch(fn):
    def action(L):
        x = L.arange(4, dtype=L.float64)
        return fn(L, x), x._version
    assert_same(action)


@pytest.mark.filterwarnings("ignore:Use of index_put_ on expanded tensors is deprecated")
@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put_into_an_expanded_tensor_writes_its_shared_memory_as_torch(accumulate):
    def action(L):
        x = L.zeros(1, 3, dtype=L.float64).expand(2, 3)
        x.index_put_((L.tensor([0, 1, 1]), L.tensor([0, 0, 2])), L.tensor([1.0, 2.0, 3.0], dtype=L.float64),
                     accumulate=accumulate)
        return x.tolist(), x._version
    assert_same(action)
    for library in (torch, minigrad):
        with pytest.warns(UserWarning, match="Use of index_put_ on expanded tensors is deprecated"):
            library.zeros(1, 3).expand(2, 3).index_put_((library.tensor([1]),), library.ones(3))


@pytest.mark.filterwarnings("ignore:Use of index_put_ on expanded tensors is deprecated")
def test_index_put_into_an_expanded_tensor_in_a_graph_is_refused_as_torch():
    def action(L):
        leaf = L.ones(1, 3, dtype=L.float64, requires_grad=True)
        return (leaf * 2).expand(2, 3).index_put_((L.tensor([1]),), L.ones(3, dtype=L.float64), accumulate=True)
    assert_same(action)


# ---- grad_fn names ----------------------------------------------------------------------------
GRAD_FN_NAMES = {
    "index_add": lambda L, x, s: x.index_add(0, L.tensor([0]), s),
    "index_add_": lambda L, x, s: x.clone().index_add_(0, L.tensor([0]), s),
    "index_copy": lambda L, x, s: x.index_copy(0, L.tensor([0]), s),
    "index_copy_": lambda L, x, s: x.clone().index_copy_(0, L.tensor([0]), s),
    "index_put": lambda L, x, s: x.index_put((L.tensor([0]),), s),
    "index_put_": lambda L, x, s: L.index_put_(x.clone(), (L.tensor([0]),), s, True),
    "index_put_mask": lambda L, x, s: x.index_put((L.tensor([True, False]),), s[0, :1]),
    "masked_scatter": lambda L, x, s: x.masked_scatter(L.tensor([True, False]), s),
    "masked_scatter_": lambda L, x, s: x.clone().masked_scatter_(L.tensor([True, False]), s),
    "put": lambda L, x, s: x.put(L.tensor([0, 1]), s[0]),
    "put_": lambda L, x, s: x.clone().put_(L.tensor([0, 1]), s[0]),
}


@pytest.mark.parametrize("fn", GRAD_FN_NAMES.values(), ids=GRAD_FN_NAMES.keys())
def test_grad_fn_names_match_torch(fn):
    def action(L):
        x = L.zeros(2, 2, dtype=L.float64, requires_grad=True)
        source = L.ones(1, 2, dtype=L.float64, requires_grad=True)
        out = fn(L, x, source)
        return out.grad_fn.name(), [None if node is None else node.name() for node, _ in out.grad_fn.next_functions]
    ours, theirs = run_both(action)
    assert ours == theirs


# ---- errors -------------------------------------------------------------------------------
def _f64(L, *shape):
    return L.ones(shape, dtype=L.float64)


ERRORS = {
    "index_add_source_dtype": lambda L, x: x.index_add(0, L.tensor([0]), L.ones(1, 4)),
    "index_add_index_dtype": lambda L, x: x.index_add(0, L.tensor([0.0]), _f64(L, 1, 4)),
    "index_add_index_matrix": lambda L, x: x.index_add(0, L.tensor([[0]]), _f64(L, 1, 4)),
    "index_add_count": lambda L, x: x.index_add(0, L.tensor([0, 1]), _f64(L, 3, 4)),
    "index_add_slice_shape": lambda L, x: x.index_add(0, L.tensor([0, 1]), _f64(L, 2, 3)),
    "index_add_source_dims": lambda L, x: x.index_add(1, L.tensor([0, 1]), _f64(L, 3)),
    "index_add_0d_source": lambda L, x: x[0].index_add(0, L.tensor([0, 1]), _f64(L)),
    "index_add_dim": lambda L, x: x.index_add(2, L.tensor([0]), _f64(L, 1, 4)),
    "index_add_out_of_range": lambda L, x: x.index_add(1, L.tensor([1, 4, -1]), _f64(L, 3, 3)),
    "index_add_negative": lambda L, x: x.index_add(0, L.tensor([-1]), _f64(L, 1, 4)),
    "index_add_first_bad_of_several": lambda L, x: x.index_add(0, L.tensor([1, 5, -4]), _f64(L, 3, 4)),
    # where alpha is not 1, the index int32 or dim a middle one, torch's kernel loops over the
    # index (not scatter_add_) and words an index out of range as index_select does
    "index_add_out_of_range_alpha": lambda L, x: x.index_add(0, L.tensor([3]), _f64(L, 1, 4), alpha=2),
    "index_add_out_of_range_int32": lambda L, x: x.index_add(1, L.tensor([4], dtype=L.int32), _f64(L, 3, 1)),
    "index_add_out_of_range_middle_dim": lambda L, x: x.reshape(3, 2, 2).index_add(1, L.tensor([2]), _f64(L, 3, 1, 2)),
    "index_add_vector_out_of_range": lambda L, x: x[0].index_add(0, L.tensor([-1]), _f64(L, 1)),
    "index_add_empty_vector_out_of_range": lambda L, x: x[0, :0].index_add(0, L.tensor([0]), _f64(L, 1)),
    "index_add__dtype": lambda L, x: x.index_add_(0, L.tensor([0]), L.ones(1, 4)),
    "index_copy_source_dtype": lambda L, x: x.index_copy(0, L.tensor([0]), L.ones(1, 4)),
    "index_copy_int32_index": lambda L, x: x.index_copy(0, L.tensor([0], dtype=L.int32), _f64(L, 1, 4)),
    "index_copy_index_matrix": lambda L, x: x.index_copy(0, L.tensor([[0]]), _f64(L, 1, 4)),
    "index_copy_count": lambda L, x: x.index_copy(0, L.tensor([0, 1]), _f64(L, 3, 4)),
    "index_copy_slice_shape": lambda L, x: x.index_copy(0, L.tensor([0, 1]), _f64(L, 2, 3)),
    "index_copy_dims": lambda L, x: x.index_copy(0, L.tensor([0, 1]), _f64(L, 2, 4, 1)),
    "index_copy_0d_source_count": lambda L, x: x.index_copy(0, L.tensor([0, 1]), _f64(L)),
    "index_copy_out_of_range": lambda L, x: x.index_copy(1, L.tensor([1, 4]), _f64(L, 3, 2)),
    "index_copy_negative": lambda L, x: x.index_copy(0, L.tensor([0, -1]), _f64(L, 2, 4)),
    "index_copy__dtype": lambda L, x: x.index_copy_(0, L.tensor([0]), L.ones(1, 4)),
    "index_put_values_dtype": lambda L, x: x.index_put((L.tensor([0]),), L.ones(4)),
    "index_put_values_dtype_accumulate": lambda L, x: x.index_put((L.tensor([0]),), L.ones(4), True),
    "index_put_index_dtype": lambda L, x: x.index_put((L.tensor([0.0]),), _f64(L, 4)),
    "index_put_values_shape": lambda L, x: x.index_put((L.tensor([0, 1]),), _f64(L, 3)),
    "index_put_values_leading_ones": lambda L, x: x.index_put((L.tensor([0, 1]),), _f64(L, 1, 1, 4), True),
    "index_put_out_of_range": lambda L, x: x.index_put((L.tensor([0, 3]),), _f64(L, 4), True),
    "index_put_negative_out_of_range": lambda L, x: x.index_put((L.tensor([1]), L.tensor([-5])), _f64(L, 1)),
    "index_put_index_shapes": lambda L, x: x.index_put((L.tensor([0, 1]), L.tensor([0, 1, 2])), _f64(L, 1)),
    "index_put_too_many": lambda L, x: x.index_put((L.tensor([0]),) * 3, _f64(L, 1)),
    "index_put_mask_shape": lambda L, x: x.index_put((L.tensor([True, False]),), _f64(L, 4), True),
    "index_put_values_number": lambda L, x: x.index_put((L.tensor([0]),), 1.0),
    "index_put_indices_tensor": lambda L, x: x.index_put(L.tensor([0]), _f64(L, 4)),
    "index_put_none": lambda L, x: x.index_put((L.tensor([0]), None), _f64(L, 4)),
    "index_put_dtype_before_bounds": lambda L, x: x.index_put((L.tensor([7]),), L.ones(4)),
    "index_put__dtype": lambda L, x: x.index_put_((L.tensor([0]),), L.ones(4)),
    "masked_scatter_mask_dtype": lambda L, x: x.masked_scatter(L.ones(3, 4, dtype=L.int32), _f64(L, 12)),
    "masked_scatter_source_dtype": lambda L, x: x.masked_scatter(L.ones(3, 4, dtype=L.bool), L.ones(12)),
    "masked_scatter_dtype_before_mask": lambda L, x: x.masked_scatter(L.ones(3, 4, dtype=L.int32), L.ones(12)),
    "masked_scatter_too_few": lambda L, x: x.masked_scatter(L.ones(3, 4, dtype=L.bool), _f64(L, 11)),
    "masked_scatter_shape": lambda L, x: x.masked_scatter(L.ones(3, 5, dtype=L.bool), _f64(L, 15)),
    "masked_scatter__expand": lambda L, x: x[0].masked_scatter_(L.ones(3, 4, dtype=L.bool), _f64(L, 12)),
    "masked_scatter__mask_dtype": lambda L, x: x.masked_scatter_(L.ones(4, dtype=L.uint8), _f64(L, 12)),
    "masked_scatter_source_number": lambda L, x: x.masked_scatter_(L.ones(4, dtype=L.bool), 1.0),
    "index_add_source_number": lambda L, x: x.index_add(0, L.tensor([0]), 1.0),
    "index_copy__source_number": lambda L, x: x.index_copy_(0, L.tensor([0]), 1.0),
    "put_source_number": lambda L, x: x.put(L.tensor([0]), 1.0),
    "index_put__values_number": lambda L, x: x.index_put_((L.tensor([0]),), 1.0),
    "put_index_dtype": lambda L, x: x.put(L.tensor([0], dtype=L.int32), _f64(L, 1)),
    "put_source_dtype": lambda L, x: x.put(L.tensor([0]), L.ones(1)),
    "put_count": lambda L, x: x.put(L.tensor([0, 1]), _f64(L, 1)),
    "put_empty_self": lambda L, x: x[:0].put(L.tensor([0]), _f64(L, 1)),
    "put_out_of_range": lambda L, x: x.put(L.tensor([3, 12, 13]), _f64(L, 3)),
    "put_negative_out_of_range": lambda L, x: x.put(L.tensor([-13]), _f64(L, 1)),
    "put__dtype": lambda L, x: x.put_(L.tensor([0]), L.ones(1)),
}


@pytest.mark.filterwarnings("ignore:masked_scatter_ received a mask with dtype torch.uint8")
@pytest.mark.parametrize("fn", ERRORS.values(), ids=ERRORS.keys())
def test_errors_match_torch_and_write_nothing(fn):
    def action(L):
        x = L.arange(12, dtype=L.float64).reshape(3, 4)
        try:
            fn(L, x)
        except Exception as error:
            return f"{type(error).__name__}: {error}", x.tolist(), x._version
        return "no error"
    ours, theirs = run_both(action)
    assert theirs != "no error"
    assert ours == theirs


def test_masked_scatter_warns_of_a_uint8_mask_as_torch():
    for library in (torch, minigrad):
        with pytest.warns(UserWarning, match="masked_scatter_ received a mask with dtype torch.uint8"):
            with pytest.raises(RuntimeError, match="only supports boolean masks"):
                library.zeros(2).masked_scatter_(library.ones(2, dtype=library.uint8), library.ones(2))


# ---- second derivatives -----------------------------------------------------------------------
SECOND_ORDER = {
    "index_add": ((3, 4), (3, 4), lambda L, x, s: (x * x).index_add(0, L.tensor([2, 0, 2]), s.tanh(), alpha=2.0)),
    "index_add_0d": ((), (), lambda L, x, s: (x * x).index_add(0, L.tensor([0]), s.exp())),
    "index_copy": ((3, 4), (2, 4), lambda L, x, s: (x * x).index_copy(0, L.tensor([2, 0]), s.tanh())),
    "index_put": ((3, 4), (4,), lambda L, x, v: (x * x).index_put((L.tensor([0, 2]),), v.tanh())),
    "index_put_accumulate": ((3, 4), (3,), lambda L, x, v: (x * x).index_put(
        (L.tensor([0, 0, 2]), L.tensor([1, 1, -1])), v.tanh(), accumulate=True)),
    "masked_scatter": ((3, 4), (3, 4), lambda L, x, s: (x * x).masked_scatter(
        L.tensor([[True], [False], [True]]), s.tanh())),
    "put": ((3, 4), (3,), lambda L, x, s: (x * x).put(L.tensor([1, -1, 5]), s.tanh())),
    "put_accumulate": ((3, 4), (3,), lambda L, x, s: (x * x).put(L.tensor([1, 1, 5]), s.tanh(), accumulate=True)),
    "index_add_in_place": ((3, 4), (3, 4), lambda L, x, s: (x * x).index_add_(0, L.tensor([2, 0, 2]), s.tanh())),
    "masked_scatter_in_place": ((3, 4), (3, 4), lambda L, x, s: (x * x)[1:].masked_scatter_(
        L.tensor([True, False, False, True]), s.tanh())),
}


@pytest.mark.parametrize("case", SECOND_ORDER.values(), ids=SECOND_ORDER.keys())
def test_second_derivatives_match_torch(case):
    self_shape, source_shape, fn = case
    assert_second_order_matches_torch(fn, [self_shape, source_shape])


SOURCE_SAVERS = {      # torch's node saves the source (its gradient's expand_as / reshape_as)
    "index_add": lambda lib, x, s: x.index_add(0, lib.tensor([0]), s),
    "index_add with alpha": lambda lib, x, s: x.index_add(0, lib.tensor([0]), s, alpha=2),
    "index_add_": lambda lib, x, s: x.index_add_(0, lib.tensor([0]), s),
    "index_add of nothing": lambda lib, x, s: x.index_add(0, lib.zeros(0, dtype=lib.int64), s[:0]),
    "index_add of a 0-d source": lambda lib, x, s: x[0].index_add(0, lib.tensor([0]), s[0]),
    "index_copy": lambda lib, x, s: x.index_copy(0, lib.tensor([0]), s),
    "index_copy_": lambda lib, x, s: x.index_copy_(0, lib.tensor([0]), s),
    "put": lambda lib, x, s: x.put(lib.tensor([0]), s.reshape(1)),
    "put, accumulating": lambda lib, x, s: x.put(lib.tensor([0]), s.reshape(1), accumulate=True),
    "put_": lambda lib, x, s: x.put_(lib.tensor([0]), s.reshape(1)),
}


@pytest.mark.parametrize("source_needs_grad", [True, False])
@pytest.mark.parametrize("op", SOURCE_SAVERS)
def test_a_write_to_the_source_after_an_index_write_stops_backward_as_torchs(op, source_needs_grad):
    """torch's index_add, index_copy and put save their source where it needs a gradient, so writing
    it in place after the op (through ``source.detach()``, its alias) is torch's version error at
    backward; minigrad read only its shape and ran (fuzz seed 30222884, index-write template: an
    empty source written through its detach)."""
    def action(lib):
        x = lib.zeros(2, requires_grad=True) * 1
        source = lib.ones(1, requires_grad=source_needs_grad)
        out = SOURCE_SAVERS[op](lib, x, source)
        source.detach().add_(1)
        out.sum().backward()
        return out.detach()
    assert_same(action)


@pytest.mark.parametrize("length", [1, 5, 31, 32, 40, 70])
@pytest.mark.parametrize("alpha", [2, 3.3, -1.7])
def test_half_index_add_rounds_the_product_in_the_scalar_tail_as_torch(length, alpha):
    """torch's float16 add with alpha runs ``self + alpha * other`` in c10::Half in its scalar loop (the
    product rounded: 2 * 60000 is inf, so -inf + inf is NaN; fuzz seed 30587128) and a float32
    fused multiply-add in its 32-byte vectors; alpha is rounded to float16 in both."""
    rng = numpy.random.default_rng(length)
    x = (rng.standard_normal((3, length)) * 100).astype(numpy.float16)
    x[0, ::3] = -numpy.inf
    source = numpy.concatenate([numpy.full((1, length), -60000.0), numpy.full((1, length), 60000.0),
                                rng.standard_normal((2, length)) * 900]).astype(numpy.float16)
    index = [0, 0, 1, 2]
    assert_same(lambda lib: lib.tensor(x).index_add(0, lib.tensor(index), lib.tensor(source), alpha=alpha))
    assert_same(lambda lib: lib.tensor(x[0]).index_add(0, lib.tensor([0, 0, 1]), lib.tensor(source[:3, 0]),
                                                       alpha=alpha))


@pytest.mark.parametrize("index_dtype", ["int64", "int32"])
@pytest.mark.parametrize("shape, dim", [((2, 2), 1), ((3, 2), 0), ((2, 3, 2), 1), ((4,), 0), ((2, 3, 2), 2)])
def test_half_index_select_gradient_sums_as_torchs_index_add(shape, dim, index_dtype):
    """torch's index_select backward is index_add_, which takes scatter_add_ (float16 summed in float32,
    rounded once) along the first or last dim of more than one, for an int64 index; elsewhere one
    float16 add after another (fuzz seed 9882692: 11376 + 15368 - 26736 is 8 in torch, 16 added in
    float16)."""
    grad = numpy.resize(numpy.array([11376.0, 15368.0, -26736.0, 4592.0, 34688.0, -39264.0], numpy.float16),
                        shape[:dim] + (3,) + shape[dim + 1:])

    def action(lib):
        x = lib.zeros(shape, dtype=lib.float16, requires_grad=True)
        lib.index_select(x, dim, lib.tensor([0, 0, 0], dtype=getattr(lib, index_dtype))).backward(lib.tensor(grad))
        return x.grad
    assert_same(action)
