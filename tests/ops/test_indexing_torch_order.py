"""x[key] and x[key] = value against torch where torch's two stages decide: which error comes
first, how it is worded, and what passes unchecked (an index nothing reads, a mask's one value)."""
import warnings

import numpy
import pytest
import torch

import minigrad
from minigrad.testing import assert_matches_torch
from _op_parity import assert_same


def _same_error(fn):
    """``fn(torch)`` and ``fn(minigrad)`` raise the same error type and message (a type's name
    spelled ``torch.FloatTensor`` in both)."""
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(type(theirs.value)) as ours:
        fn(minigrad)
    assert str(ours.value).replace("minigrad.", "torch.") == str(theirs.value)


def _assign(x, key, value):
    x[key] = value
    return x


def _leaf(lib, *shape):
    return lib.zeros(*shape, requires_grad=True)


# ---- errors: torch's words and torch's order ----------------------------------------------
GETITEM_ERRORS = [
    # an int's bounds error names the int's place in the key, not the dimension it selects
    ("int_after_nones", lambda m: m.zeros(2, 3)[None, None, 5]),
    ("int_after_ellipsis", lambda m: m.zeros(2, 3, 4)[..., 5]),
    ("int_after_mask", lambda m: m.zeros(2, 3, 4)[m.ones(2, 3, dtype=m.bool), 5]),
    ("int_into_empty_dim", lambda m: m.zeros(2, 0)[:, None, 0]),
    ("zero_d_tensor_int", lambda m: m.zeros(2, 3)[m.tensor(1), 3]),
    ("zero_d_tensor_0", lambda m: m.tensor(1.0)[0]),
    ("zero_d_tensor_1", lambda m: m.tensor(1.0)[1]),
    ("zero_d_tensor_tuple", lambda m: m.tensor(1.0)[(0,)]),
    ("int_before_bad_step", lambda m: m.zeros(2, 3)[5, ::-1]),
    ("bad_step_before_int", lambda m: m.zeros(2, 3)[::-1, 5]),
    # the index tensors: broadcast shapes, a dim of size 0, the mask against the sliced shape
    ("broadcast_shapes", lambda m: m.zeros(3, 4, 5)[:, m.zeros(2, 3, dtype=m.int64), m.zeros(2, dtype=m.int64)]),
    ("index_into_size_0", lambda m: m.zeros(2, 0)[:, [1]]),
    ("index_into_size_0_first", lambda m: m.zeros(0, 3)[[0, 0]]),
    ("mask_after_none", lambda m: m.zeros(1, 1, 2, 2)[..., -1:2, m.tensor([False]), :, None]),
    # the first element with a bad index, and its first bad index (torch's kernel order)
    ("first_bad_element", lambda m: m.zeros(3, 4)[[0, 5], [9, 0]]),
    ("first_bad_index", lambda m: m.zeros(3, 4)[[5, 0], [9, 0]]),
]


@pytest.mark.parametrize("name,fn", GETITEM_ERRORS, ids=[case[0] for case in GETITEM_ERRORS])
def test_getitem_error_matches_torch(name, fn):
    _same_error(fn)


SETITEM_ERRORS = [
    # the key's dims are counted before the in-place checks
    ("too_many_on_a_leaf", lambda m: _assign(_leaf(m, 3), (m.tensor([0]), m.tensor([0])), 1.0)),
    ("too_many_mixed_on_a_leaf", lambda m: _assign(_leaf(m, 2, 3), (0, m.tensor([0]), m.tensor([0])), 1.0)),
    ("int_on_a_leaf", lambda m: _assign(_leaf(m, 2, 3), (0, m.tensor([5])), 1.0)),
    # then autograd's, before the index tensors, the value's shape and dtype, and the bounds
    ("leaf_before_bounds", lambda m: _assign(_leaf(m, 2, 3), m.tensor([5]), m.ones(1, dtype=m.float64))),
    ("leaf_before_broadcast", lambda m: _assign(_leaf(m, 2, 3), (m.tensor([0, 1]), m.tensor([0, 1, 2])), 1.0)),
    ("view_of_a_leaf", lambda m: _assign(_leaf(m, 2, 3), (None, m.tensor([True, False])), 1.0)),
    # the value's shape, then its dtype, then the bounds
    ("shape_before_dtype", lambda m: _assign(m.zeros(2, 3), m.tensor([1]), m.ones(2, 2, dtype=m.float64))),
    ("dtype_before_bounds", lambda m: _assign(m.zeros(2, 3), m.tensor([5]), m.ones(1, dtype=m.float64))),
    ("dtype_zero_d_value", lambda m: _assign(m.zeros(2, 3), m.tensor([1]), m.tensor(1.0, dtype=m.float64))),
    ("dtype_into_empty", lambda m: _assign(m.zeros(2, 0, 1, 2), (Ellipsis, m.tensor([0, 1]), m.tensor([0, 0])),
                                           m.zeros(2, 0, 1, dtype=m.float64))),
    ("dtype_int_value", lambda m: _assign(m.zeros(3, 2, dtype=m.int64), m.tensor([2, 0]), m.tensor(2.5, dtype=m.float64))),
    ("value_shape_drops_leading_ones", lambda m: _assign(m.zeros(3, 4), m.tensor([0, 1]), m.ones(1, 1, 3, 4))),
    ("index_into_size_0", lambda m: _assign(m.zeros(2, 0, 3), (m.tensor([0]), m.tensor([1])), 1.0)),
    ("mixed_into_size_0", lambda m: _assign(m.zeros(0, 2, 2, 1), (m.tensor([0, 0]), m.tensor([0]), 0),
                                            m.tensor([1.0]))),
    # outside a graph NumPy writes first; where it refuses, torch's checks word the error
    ("broadcast_outside_a_graph", lambda m: _assign(m.zeros(3, 4), (m.tensor([0, 1]), m.tensor([0, 1, 2])), 1.0)),
    ("bounds_outside_a_graph", lambda m: _assign(m.zeros(2, 3), m.tensor([0, 7]), m.ones(3))),
    ("value_shape_outside_a_graph", lambda m: _assign(m.zeros(2, 3), m.tensor([0, 1]), m.ones(3, 3))),
    ("int_before_dtype", lambda m: _assign(m.zeros(2, 3), (5, m.tensor([0])), m.ones(1, dtype=m.float64))),
    ("number_before_mask_shape", lambda m: _assign(m.zeros(2, 3, dtype=m.uint8), m.tensor([True, False, True]),
                                                        -300)),
    # one value through one mask: written as a number (masked_fill_), so its range is checked
    ("mask_value_overflow", lambda m: _assign(m.zeros(4, 3, dtype=m.int64), (m.tensor([False, True, True, False]),
                                                                             Ellipsis, slice(-2, 2, 2)),
                                              m.tensor([[3e38]]))),
    ("mask_shape", lambda m: _assign(m.zeros(2, 3), m.tensor([True, False, True]), 1.0)),
    ("empty_mask_of_another_shape", lambda m: m.zeros(3, 0, 4)[..., :, m.zeros(0, dtype=m.bool)]),
    ("empty_mask_of_another_shape_set", lambda m: _assign(m.zeros(3, 2, 4), (Ellipsis, m.zeros(0, dtype=m.bool)),
                                                          1.0)),
    ("empty_value_of_more_dims", lambda m: _assign(m.zeros(2, 3), (m.zeros(2, dtype=m.bool), 1),
                                                   m.zeros(2, 0, 3))),
    ("two_dim_value_through_a_mask", lambda m: _assign(m.zeros(3), (Ellipsis, m.tensor([True, False, True])),
                                                       m.ones(2, 2))),
    ("one_value_through_a_uint8_mask", lambda m: _assign(m.zeros(2, 3), m.tensor([0, 1], dtype=m.uint8), 4.0)),
    # a number is made a tensor of the target's dtype before anything else
    ("number_overflows_float32", lambda m: _assign(m.zeros(3), slice(None), 1e300)),
    ("number_overflows_first", lambda m: _assign(m.zeros(2), (slice(-3, -2, 3), m.tensor([True, True])), 1e300)),
    ("number_overflows_uint8", lambda m: _assign(m.zeros(3, dtype=m.uint8), 0, -256)),
    # a 0-d integer tensor is an int: the key stays basic and the value is expanded as copy_ does
    ("zero_d_tensor_key_expands", lambda m: _assign(m.zeros(3, 2, 4), (m.tensor(0), slice(None)),
                                                    m.ones(2, 1, 1))),
]


@pytest.mark.parametrize("name,fn", SETITEM_ERRORS, ids=[case[0] for case in SETITEM_ERRORS])
def test_setitem_error_matches_torch(name, fn):
    _same_error(fn)


MASKED_ERRORS = [
    ("masked_fill_overflow", lambda m: m.zeros(2).masked_fill(m.tensor([True, False]), 1e300)),
    ("masked_fill_tensor_overflow", lambda m: m.zeros(2, dtype=m.int8).masked_fill(m.tensor([True, False]),
                                                                                   m.tensor(300))),
    ("masked_fill_negative_float_uint8", lambda m: m.zeros(2, dtype=m.uint8).masked_fill(m.tensor([True, False]),
                                                                                         m.tensor(-1.5))),
    ("masked_fill_inf_int", lambda m: m.zeros(2, dtype=m.int16).masked_fill_(m.tensor([True, False]), float("inf"))),
    ("masked_fill_leaf_first", lambda m: _leaf(m, 2).masked_fill_(m.tensor([1, 0]), 1.0)),
    ("masked_fill_leaf_before_value", lambda m: _leaf(m, 2).masked_fill_(m.tensor([True, False]), 1e300)),
    ("index_fill_overflow", lambda m: m.zeros(2, dtype=m.uint8).index_fill(0, m.tensor([0]), 1e300)),
    ("scatter_bounds_before_value", lambda m: m.zeros(2, dtype=m.uint8).scatter(0, m.tensor([5]), -300)),
    ("scatter_overflow", lambda m: m.zeros(2, dtype=m.uint8).scatter(0, m.tensor([0]), -300)),
    # torch checks an element's index, then writes the number: the first element decides
    ("scatter_value_before_later_bounds", lambda m: m.zeros(2, 2, dtype=m.uint8).scatter(
        1, m.tensor([[0], [-3]]), -300)),
    ("scatter_bounds_of_the_first_element", lambda m: m.zeros(2, 2, dtype=m.uint8).scatter(
        0, m.tensor([[-3, 0]]), -300)),
    ("index_fill_empty_index_overflow", lambda m: m.zeros(2, dtype=m.uint8).index_fill(
        0, m.zeros(0, dtype=m.int64), -3.3)),
    # where makes a number a tensor of the result's dtype (float32 for an int tensor and a float)
    ("where_number_overflows_float", lambda m: m.where(m.tensor([True, False]), m.zeros(2, dtype=m.int64), 1e300)),
    ("where_number_overflows_bool_result", lambda m: m.where(m.tensor([True, False]), 1e300,
                                                             m.zeros(2, dtype=m.bool))),
    ("where_number_overflows_uint8", lambda m: m.where(m.tensor([True, False]), m.zeros(2, dtype=m.uint8), -300)),
]


@pytest.mark.parametrize("name,fn", MASKED_ERRORS, ids=[case[0] for case in MASKED_ERRORS])
def test_masked_fill_and_scatter_errors_match_torch(name, fn):
    _same_error(fn)


# ---- gather/scatter: the first bad index torch's kernel checks ---------------------------------
def _with_gaps(lib, dtype):
    """A (2, 2, 2) index whose rows lie apart in memory (its dims 1 and 2 cannot merge)."""
    big = lib.zeros(2, 4, 2, dtype=dtype)
    big[:, ::2] = lib.tensor([[[0, 0], [-1, 0]], [[-2, 0], [0, 0]]], dtype=dtype)
    return big[:, ::2]


_SEED_364932_INDEX = [[[[[2], [-2], [0]], [[-3], [1], [-2]]], [[[1], [-3], [-1]], [[-3], [-3], [0]]],
                       [[[2], [-2], [-3]], [[1], [-3], [2]]]],
                      [[[[0], [-1], [-3]], [[-1], [0], [0]]], [[[-1], [-2], [-3]], [[-3], [-3], [-3]]],
                       [[[-1], [2], [2]], [[0], [-3], [-2]]]]]
_PERMUTED_INDEX = [[[0, 0], [-3, -2]], [[-1, 0], [0, 0]]]

KERNEL_ORDER_ERRORS = [
    # fuzz seed 364932: the dims before dim 3 merge into one row (the dim after it has size 1), and
    # the kernel checks dim 3's first index of every row before its second: -3, where row-major says -2
    ("seed_364932", lambda m: m.zeros(2, 3, 2, 3, 1, dtype=m.int64).scatter(
        -2, m.tensor(_SEED_364932_INDEX), m.ones(2, 3, 2, 3, 1, dtype=m.int64))),
    ("scatter_merged_rows", lambda m: m.zeros(2, 3, 1).scatter(1, m.tensor([[[0], [-1], [0]], [[-2], [0], [0]]]), 1.0)),
    ("gather_merged_rows", lambda m: m.zeros(2, 3, 1).gather(1, m.tensor([[[0], [3], [0]], [[4], [0], [0]]]))),
    ("scatter_add_merged_rows", lambda m: m.zeros(2, 3, 1).scatter_add(
        1, m.tensor([[[0], [5], [0]], [[-1], [0], [0]]]), m.ones(2, 3, 1))),
    # scatter_ loops in self's own layout; scatter (and float16, through a float32 buffer) in a contiguous one
    ("scatter_in_place_permuted", lambda m: m.zeros(2, 2, 2).permute(2, 1, 0).scatter_(1, m.tensor(_PERMUTED_INDEX), 1.0)),
    ("scatter_add_in_place_permuted", lambda m: m.zeros(2, 2, 2).permute(2, 1, 0).scatter_add_(
        1, m.tensor(_PERMUTED_INDEX), m.ones(2, 2, 2))),
    ("scatter_permuted", lambda m: m.zeros(2, 2, 2).permute(2, 1, 0).scatter(1, m.tensor(_PERMUTED_INDEX), 1.0)),
    ("scatter_in_place_permuted_half", lambda m: m.zeros(2, 2, 2, dtype=m.float16).permute(2, 1, 0).scatter_(
        1, m.tensor(_PERMUTED_INDEX), 1.0)),
    # an index with gaps keeps its rows apart; an int32 one is read from a contiguous int64 copy
    ("gather_index_with_gaps", lambda m: m.zeros(2, 2, 2).gather(0, _with_gaps(m, m.int64))),
    ("gather_int32_index_with_gaps", lambda m: m.zeros(2, 2, 2).gather(0, _with_gaps(m, m.int32))),
]


@pytest.mark.parametrize("name,fn", KERNEL_ORDER_ERRORS, ids=[case[0] for case in KERNEL_ORDER_ERRORS])
def test_gather_and_scatter_name_the_first_bad_index_their_kernel_checks(name, fn):
    """torch's CPU gather/scatter kernel checks the index in its TensorIterator's order (the rows
    it merges by the tensors' strides, dim's loop around each row unless dim is the last), not
    row-major order (``indexing._kernel_order``)."""
    _same_error(fn)


# ---- what torch lets through ------------------------------------------------------------------
def _values(lib, action):
    """``action(lib)``'s result as (shape, dtype name, values)."""
    result = action(lib)
    return tuple(result.shape), str(result.dtype).split(".")[-1], result.tolist()


ACCEPTED = [
    # an index nothing reads is not checked: the result is empty
    ("empty_other_dim", lambda m: m.zeros(2, 0)[m.tensor([3])]),
    ("empty_slice_after", lambda m: m.ones(2, 1, 1)[m.tensor([1, -2]), m.tensor([0, 1]), 1:3]),
    ("empty_slice_before", lambda m: m.ones(3, 3, 1)[1:1:2, m.tensor([2]), m.tensor([0, 1, 2, 0, 2]), None]),
    ("empty_set", lambda m: _assign(m.ones(5, 2, 1), (m.tensor([2]), m.tensor([3, 0]), slice(3, 5)), -0.5)),
    ("empty_set_tensor", lambda m: _assign(m.ones(0, 10, 2), (Ellipsis, 0, m.tensor([[1, 0], [8, 5]])), -1.0)),
    # one value through one mask: any dtype, any number of leading 1s
    ("mask_value_of_another_dtype", lambda m: _assign(m.zeros(2, 3), m.tensor([True, False]),
                                                      m.tensor(1.5, dtype=m.float64))),
    ("mask_value_2d", lambda m: _assign(m.zeros(2, 4, dtype=m.int64), (-1, m.tensor([True, False, True, False])),
                                        m.tensor([[0, 9223372036854775806]]))),
    ("mask_value_1x1_int_from_float", lambda m: _assign(m.zeros(4, 3, dtype=m.int64),
                                                        (m.tensor([False, True, True, False]), Ellipsis),
                                                        m.tensor([[2.9]]))),
    # a number as torch converts it: negative ints wrap into unsigned types, floats truncate
    ("number_wraps_uint8", lambda m: _assign(m.zeros(3, dtype=m.uint8), m.tensor([0, 2]), -3)),
    ("number_rounds_to_inf_in_half", lambda m: _assign(m.zeros(3, dtype=m.float16), m.tensor([0]), 70000)),
    ("masked_fill_wraps_uint8", lambda m: m.zeros(3, dtype=m.uint8).masked_fill(m.tensor([True, False, True]), -1)),
    ("masked_fill_truncates", lambda m: m.zeros(3, dtype=m.int8).masked_fill(m.tensor([True, False, True]),
                                                                             m.tensor(-2.9))),
    ("scatter_wraps_uint8", lambda m: m.zeros(3, dtype=m.uint8).scatter(0, m.tensor([1]), -1)),
    ("index_fill_wraps_uint8", lambda m: m.zeros(3, dtype=m.uint8).index_fill(0, m.tensor([2]), -1)),
    ("scatter_empty_index_converts_nothing", lambda m: m.zeros(0, 0, dtype=m.uint8).scatter(
        -1, m.zeros(0, 0, dtype=m.int64), -3.39)),
    ("where_number_rounds_to_inf_in_half", lambda m: m.where(m.tensor([True, False]), m.zeros(2, dtype=m.float16),
                                                             1e10)),
    ("where_number_wraps_uint8", lambda m: m.where(m.tensor([True, False]), m.zeros(2, dtype=m.uint8), -1)),
]


@pytest.mark.parametrize("name,action", ACCEPTED, ids=[case[0] for case in ACCEPTED])
def test_accepted_keys_match_torch(name, action):
    assert _values(minigrad, action) == _values(torch, action)


def test_masked_fill_into_an_expanded_tensor_writes_the_masked_places_as_torch():
    for rows, mask in [((3,), [[True, False, False], [False, False, True]]), ((1,), [False, False, True])]:
        def action(lib):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")    # torch and minigrad both warn: deprecated
                base = lib.zeros(*rows)
                expanded = base.expand(2, 3) if rows == (3,) else base.expand(3)
                expanded.masked_fill_(lib.tensor(mask), 5.0)
                return base
        assert _values(minigrad, action) == _values(torch, action)


@pytest.mark.filterwarnings("ignore:Use of masked_fill_ on expanded tensors")
def test_masked_fill_into_an_expanded_tensor_in_a_graph_writes_as_torch():
    def action(lib):
        x = lib.tensor([-1.5, 2.0], dtype=lib.float64, requires_grad=True)
        expanded = (x + 3).expand(2, 2)
        expanded.masked_fill_(lib.tensor([[True, False], [False, False]]), 0.25)
        return expanded.detach()
    assert _values(minigrad, action) == _values(torch, action)


def test_masked_fill_into_an_expanded_tensor_warns_as_torch():
    with pytest.warns(UserWarning, match="Use of masked_fill_ on expanded tensors is deprecated"):
        minigrad.zeros(3).expand(2, 3).masked_fill_(minigrad.tensor([[True, False, False]] * 2), 1.0)


# ---- gradients through the new paths -------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_one_value_through_a_mask_gets_the_gradient_of_its_places(dtype):
    def fn(x, value):
        y = x * 1
        y[y > 0] = value           # value is (1, 1): written as one number
        return y * y
    rng = numpy.random.default_rng(3)
    assert_matches_torch(fn, inputs=[rng.uniform(-2, 2, (3, 4)).astype(dtype),
                                     rng.uniform(-2, 2, (1, 1)).astype(dtype)])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_write_that_reaches_nothing_keeps_the_gradient(dtype):
    def fn(x, value):
        y = x * 1
        y[[1, 7], 2:2] = value     # the 7 reads nothing: no error, nothing written
        return y * y
    rng = numpy.random.default_rng(4)
    assert_matches_torch(fn, inputs=[rng.uniform(-2, 2, (3, 4)).astype(dtype),
                                     rng.uniform(-2, 2, (1,)).astype(dtype)])


def test_a_read_that_reaches_nothing_has_a_zero_gradient():
    def fn(x):
        return x[[5, 0], 3:3] * 2
    assert_matches_torch(fn, [(3, 4)], dtype="float64")


def test_torch_names_the_index_place_where_minigrad_names_the_dimension():
    # pytorch/pytorch#38202 (tests/fuzz/known.py): the same error otherwise
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 1 with size 2"):
        torch.zeros(3, 4, 2)[:, [0], [5]]
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 2 with size 2"):
        minigrad.zeros(3, 4, 2)[:, [0], [5]]


def test_setitem_results_match_torch_for_each_key_kind():
    def action(lib):
        x = lib.zeros(3, 4, dtype=lib.int64)
        x[lib.tensor(1), 1:3] = lib.tensor([7, 8])            # a 0-d tensor key: basic
        x[lib.tensor([True, False, True]), 0] = -1            # a mask and an int
        x[[0, 2], lib.tensor([[3], [2]])] = lib.tensor([4, 5])   # broadcast index tensors
        x[None, 2, lib.tensor([True, False, False, True])] = 9
        return x
    assert_same(action)


def test_nonzero_is_column_major_as_torch():
    def action(lib):
        x = lib.tensor([[1.0, 0.0, 2.0], [0.0, 3.0, 4.0]])
        indices = lib.nonzero(x)
        indices.contiguous().neg_()      # a copy in torch: the indices stay as they are
        return indices.stride(), indices.is_contiguous(), indices.tolist()
    assert_same(action)
