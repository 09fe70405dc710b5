"""tensor_split and h/v/dsplit, atleast_1d/2d/3d, column_stack/row_stack/dstack, broadcast_tensors,
take, take_along_dim, tril_indices/triu_indices, isin, aminmax and rot90 against torch: values,
dtypes, shapes, grad_fn names, gradients under a random weighting, second derivatives, views
and errors."""
import numpy
import pytest
import torch

import minigrad
from minigrad.testing import assert_matches_torch
from _higher_order import assert_second_order_matches_torch
from _op_parity import assert_same, assert_same_module_error

DTYPES = ["float64", "float32"]


def lib(tensor):
    return torch if isinstance(tensor, torch.Tensor) else minigrad


def long(tensor, values):
    """An int64 index tensor of the library ``tensor`` belongs to."""
    return lib(tensor).tensor(values, dtype=lib(tensor).int64)


def _outputs(value):
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in _outputs(item)]
    return [value]


def grad_fn_names(value):
    return [None if out.grad_fn is None else
            (type(out.grad_fn).__name__ if isinstance(out, torch.Tensor) else out.grad_fn.name())
            for out in _outputs(value)]


def assert_same_grad_fn_names(fn, shapes, dtype="float64"):
    """``fn`` on leaves that require grad: the same grad_fn name for every output as torch's."""
    rng = numpy.random.default_rng(1)
    arrays = [rng.standard_normal(shape).astype(dtype) for shape in shapes]
    ours = fn(*[minigrad.tensor(a, requires_grad=True) for a in arrays])
    theirs = fn(*[torch.tensor(a, requires_grad=True) for a in arrays])
    assert grad_fn_names(ours) == grad_fn_names(theirs)


# ---- differentiable ops: values, gradients, grad_fn names -----------------------------------
CASES = [
    ("tensor_split_sections", [(7, 3)], lambda a: a.tensor_split(3)),
    ("tensor_split_more_sections_than_rows", [(2, 3)], lambda a: lib(a).tensor_split(a, 4)),
    ("tensor_split_indices", [(7, 3)], lambda a: a.tensor_split([1, 5])),
    ("tensor_split_indices_clamped_and_negative", [(3, 4)], lambda a: a.tensor_split([5, 1, -1])),
    ("tensor_split_dim1", [(2, 7)], lambda a: lib(a).tensor_split(a, (2, 3), dim=1)),
    ("tensor_split_negative_dim", [(2, 3, 5)], lambda a: a.tensor_split(2, -1)),
    ("tensor_split_tensor_sections", [(5, 2)], lambda a: a.tensor_split(long(a, 2))),
    ("tensor_split_tensor_indices", [(2, 6)], lambda a: a.tensor_split(long(a, [1, 3]), 1)),
    ("tensor_split_keyword_sections", [(5, 2)], lambda a: lib(a).tensor_split(a, sections=2)),
    ("tensor_split_keyword_indices", [(5, 2)], lambda a: lib(a).tensor_split(a, indices=[3])),
    ("tensor_split_empty_dim", [(0, 3)], lambda a: a.tensor_split(2)),
    ("hsplit_2d", [(3, 4)], lambda a: a.hsplit(2)),
    ("hsplit_1d", [(6,)], lambda a: lib(a).hsplit(a, [1, 4])),
    ("vsplit", [(4, 3)], lambda a: a.vsplit([1])),
    ("dsplit", [(2, 2, 6)], lambda a: lib(a).dsplit(a, 3)),
    ("atleast_1d_scalar", [()], lambda a: lib(a).atleast_1d(a)),
    ("atleast_1d_many", [(), (3,)], lambda a, b: lib(a).atleast_1d(a, b)),
    ("atleast_2d_list", [(), (3,), (2, 3)], lambda a, b, c: lib(a).atleast_2d([a, b, c])),
    ("atleast_3d_all", [(), (3,), (2, 3), (2, 1, 3, 1)], lambda *xs: lib(xs[0]).atleast_3d(xs)),
    ("column_stack", [(3,), (3, 2), ()], lambda a, b, c: lib(a).column_stack([a, b, c.expand(3)])),
    ("column_stack_scalars", [(), ()], lambda a, b: lib(a).column_stack((a, b))),
    ("row_stack", [(3,), (2, 3)], lambda a, b: lib(a).row_stack([a, b])),
    ("dstack", [(3,), (1, 3), (1, 3, 2)], lambda a, b, c: lib(a).dstack([a, b, c])),
    ("dstack_scalars", [(), ()], lambda a, b: lib(a).dstack([a, b])),
    ("broadcast_tensors", [(3, 1), (4,), ()], lambda *xs: lib(xs[0]).broadcast_tensors(*xs)),
    ("broadcast_tensors_high_rank", [(1, 3, 1, 7, 1), (2, 1, 5, 1, 8)],
     lambda *xs: lib(xs[0]).broadcast_tensors(*xs)),
    ("broadcast_tensors_same_shape", [(2, 3), (2, 3)], lambda *xs: lib(xs[0]).broadcast_tensors(*xs)),
    ("take", [(3, 4)], lambda a: lib(a).take(a, long(a, [[0, 5, -1], [5, 5, 11]]))),
    ("take_method_scalar_index", [(2, 3)], lambda a: a.take(long(a, 4))),
    ("take_from_scalar", [()], lambda a: a.take(long(a, [0, -1, 0]))),
    ("take_empty_index", [(2, 3)], lambda a: a.take(long(a, [[], []]))),
    ("take_along_dim", [(3, 4)], lambda a: lib(a).take_along_dim(a, long(a, [[0, 0], [3, 1], [2, 2]]), 1)),
    ("take_along_dim_broadcast", [(3, 4)], lambda a: a.take_along_dim(long(a, [[2, 0, 1, 2]]), dim=0)),
    ("take_along_dim_broadcast_both", [(3, 1, 4)], lambda a: a.take_along_dim(long(a, [[[0], [3]]]), 2)),
    ("take_along_dim_flat", [(3, 4)], lambda a: lib(a).take_along_dim(a, long(a, [7, 0, 7, 11]))),
    # torch 2.13 reads indices along a dim modulo its size (not so without a dim: see the errors)
    ("take_along_dim_wraps_indices", [(3, 4)], lambda a: a.take_along_dim(long(a, [[5, -1, -4, 3]]), 0)),
    ("take_along_dim_argsort", [(3, 5)], lambda a: a.take_along_dim(a.argsort(1), 1)),
    ("aminmax_all", [(3, 4)], lambda a: lib(a).aminmax(a)),
    ("aminmax_dim", [(3, 4)], lambda a: a.aminmax(dim=1)),
    ("aminmax_dim_keepdim", [(3, 4, 2)], lambda a: lib(a).aminmax(a, dim=-2, keepdim=True)),
    ("aminmax_all_keepdim", [(3, 4)], lambda a: a.aminmax(keepdim=True)),
    ("aminmax_scalar", [()], lambda a: a.aminmax(dim=0)),
    ("aminmax_ties", [(3, 4)], lambda a: lib(a).aminmax(a.round().clamp(-1, 1), dim=0)),
    ("aminmax_min_only", [(3, 4)], lambda a: a.aminmax(dim=1).min * 2),
    ("rot90", [(3, 4)], lambda a: lib(a).rot90(a)),
    ("rot90_k2", [(3, 4)], lambda a: a.rot90(2)),
    ("rot90_k3", [(3, 4)], lambda a: a.rot90(3)),
    ("rot90_k0", [(3, 4)], lambda a: a.rot90(0)),
    ("rot90_negative_k", [(3, 4)], lambda a: a.rot90(-5)),
    ("rot90_dims", [(2, 3, 4)], lambda a: lib(a).rot90(a, 1, [2, 0])),
    ("rot90_negative_dims", [(2, 3, 4)], lambda a: a.rot90(3, (-1, -2))),
    ("rot90_transposed_input", [(3, 4)], lambda a: a.t().rot90(1)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,shapes,fn", CASES, ids=[case[0] for case in CASES])
def test_op_matches_torch(name, shapes, fn, dtype):
    assert_matches_torch(fn, shapes, dtype=dtype)


@pytest.mark.parametrize("name,shapes,fn", CASES, ids=[case[0] for case in CASES])
def test_grad_fn_names_match_torch(name, shapes, fn):
    assert_same_grad_fn_names(fn, shapes)


SECOND_ORDER = ["tensor_split_indices", "hsplit_2d", "atleast_3d_all", "column_stack", "dstack",
                "broadcast_tensors", "take", "take_along_dim", "take_along_dim_flat", "aminmax_dim",
                "aminmax_all", "rot90", "rot90_k3", "rot90_dims"]


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_derivatives_match_torch(name):
    shapes, fn = {case[0]: case[1:] for case in CASES}[name]
    # each output times itself, so that the second derivative is not zero
    assert_second_order_matches_torch(lambda library, *xs: [out * out for out in _outputs(fn(*xs))], shapes)


def test_layouts_match_torch():
    """Strides and contiguity: rot90 is a flip, transposed for odd turns (not contiguous)."""
    for make in (lambda m: m.arange(12.0).reshape(3, 4).rot90(1), lambda m: m.arange(12.0).reshape(3, 4).rot90(2),
                 lambda m: m.arange(12.0).reshape(3, 4).t().rot90(0), lambda m: m.arange(12.0).reshape(3, 4).t().rot90(1),
                 lambda m: m.arange(24.0).reshape(2, 3, 4).rot90(3, [2, 0]),
                 lambda m: m.take_along_dim(m.arange(12.0).reshape(3, 4), m.tensor([[1], [0], [2]]), 1),
                 lambda m: m.column_stack([m.arange(3.0), m.arange(3.0)]),
                 lambda m: m.dstack([m.arange(3.0), m.arange(3.0)])):
        ours, theirs = make(minigrad), make(torch)
        assert ours.stride() == theirs.stride() and ours.is_contiguous() == theirs.is_contiguous()


# ---- views ----------------------------------------------------------------------------------
def test_split_pieces_are_views_of_the_input():
    for lib_ in (torch, minigrad):
        base = lib_.zeros(6, 4)
        pieces = base.tensor_split([1, 4]) + base.hsplit(2) + base.vsplit(3)
        base.add_(1)
        assert all(piece.min().item() == 1.0 for piece in pieces)
        pieces[0].mul_(5)              # and a write through a piece reaches the base
        assert base[0, 0].item() == 5.0


def test_atleast_and_broadcast_tensors_are_views_or_the_input_itself():
    for lib_ in (torch, minigrad):
        scalar, row, matrix = lib_.tensor(2.0), lib_.zeros(3), lib_.zeros(2, 3)
        assert lib_.atleast_1d(row) is row and lib_.atleast_2d(matrix) is matrix
        assert lib_.atleast_3d(lib_.zeros(1, 2, 3)).shape == (1, 2, 3)
        viewed = lib_.atleast_3d(row)
        row.add_(1)
        assert viewed.sum().item() == 3.0
        lib_.atleast_1d(scalar).mul_(3)
        assert scalar.item() == 6.0
        expanded, same = lib_.broadcast_tensors(row, matrix)
        assert same is matrix
        row.add_(1)
        assert expanded.sum().item() == 12.0


def test_rot90_take_and_aminmax_results_are_new_tensors():
    for lib_ in (torch, minigrad):
        base = lib_.arange(12.0).reshape(3, 4)
        results = [base.rot90(k) for k in range(4)] + [base.take(lib_.tensor([0, 1])),
                                                       base.take_along_dim(lib_.tensor([0, 1]))]
        base.add_(100)
        assert all(result.max().item() < 100 for result in results)


def test_the_result_types_match_torch():
    ours, theirs = minigrad.arange(6.0).reshape(2, 3).aminmax(dim=1), torch.arange(6.0).reshape(2, 3).aminmax(dim=1)
    assert type(ours).__name__ == type(theirs).__name__ == "aminmax" and ours.min is ours[0] and theirs.min is theirs[0]
    assert repr(ours).replace("minigrad.", "torch.") == repr(theirs)
    for make in (lambda m: m.atleast_1d(m.zeros(2), m.zeros(())), lambda m: m.atleast_2d([m.zeros(2)]),
                 lambda m: m.tensor_split(m.zeros(3), 2), lambda m: m.broadcast_tensors(m.zeros(2))):
        assert type(make(minigrad)) is type(make(torch)) is tuple


WRITES_AFTER = [
    ("take", lambda lib, x: x.take(lib.tensor([0, 5]))),
    ("take_along_dim", lambda lib, x: x.take_along_dim(lib.tensor([[0], [1], [2]]), 1)),
    ("aminmax", lambda lib, x: x.aminmax(dim=1)[0]),
    ("rot90", lambda lib, x: x.rot90()),
    ("tensor_split", lambda lib, x: x.tensor_split(2)[0] * 1),
]


@pytest.mark.parametrize("name,op", WRITES_AFTER, ids=[case[0] for case in WRITES_AFTER])
def test_writing_the_input_before_backward_as_torch(name, op):
    """The nodes save what torch's save (take, take_along_dim and aminmax their input: the write
    stops backward with torch's error; rot90 and the split pieces nothing)."""
    def action(lib):
        x = lib.ones(3, 4, dtype=lib.float64, requires_grad=True) * 1
        result = op(lib, x)
        x.add_(1)
        result.sum().backward()
        return "backward ran"
    assert_same(action)


# ---- ops without gradients ------------------------------------------------------------------
@pytest.mark.parametrize("args", [(3, 3), (3, 4, 1), (4, 3, -1), (3, 3, -5), (3, 3, 7), (0, 0), (0, 3),
                                  (1, 1), (5, 2, 1)])
@pytest.mark.parametrize("name", ["tril_indices", "triu_indices"])
def test_triangle_indices_match_torch(name, args):
    ours, theirs = getattr(minigrad, name)(*args), getattr(torch, name)(*args)
    assert str(ours.dtype)[9:] == str(theirs.dtype)[6:] == "int64"
    assert tuple(ours.shape) == tuple(theirs.shape)
    numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_triangle_indices_dtype_as_torch():
    for name in ("tril_indices", "triu_indices"):
        ours = getattr(minigrad, name)(4, 3, 1, dtype=minigrad.int32)
        theirs = getattr(torch, name)(4, 3, 1, dtype=torch.int32)
        assert str(ours.dtype)[9:] == str(theirs.dtype)[6:] == "int32"
        numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())


ISIN_CASES = [
    ("ints", lambda m: m.isin(m.tensor([[1, 2, 3], [4, 2, 0]]), m.tensor([2, 4]))),
    ("floats_nan", lambda m: m.isin(m.tensor([1.0, float("nan"), 2.5]), m.tensor([float("nan"), 2.5]))),
    ("promoted", lambda m: m.isin(m.tensor([1, 2]), m.tensor([1.5, 2.0]))),
    ("promoted_other_way", lambda m: m.isin(m.tensor([1.5, 2.0]), m.tensor([1, 2]))),
    ("number_test", lambda m: m.isin(m.tensor([1.0, 2.0]), 2)),
    ("number_element", lambda m: m.isin(2, m.tensor([1.0, 2.0]))),
    ("invert", lambda m: m.isin(m.tensor([1, 2, 3]), m.tensor([2]), invert=True)),
    ("assume_unique", lambda m: m.isin(m.tensor([1, 2, 3]), m.tensor([3, 1]), assume_unique=True)),
    ("empty_elements", lambda m: m.isin(m.zeros(0, 2), m.tensor([1.0]))),
    ("empty_test", lambda m: m.isin(m.tensor([1.0, 2.0]), m.zeros(0))),
    ("scalar_elements", lambda m: m.isin(m.tensor(3), m.tensor([[3, 4]]))),
    ("float32", lambda m: m.isin(m.tensor([0.1, 0.2], dtype=m.float32), m.tensor([0.1], dtype=m.float64))),
]


@pytest.mark.parametrize("name,fn", ISIN_CASES, ids=[case[0] for case in ISIN_CASES])
def test_isin_matches_torch(name, fn):
    ours, theirs = fn(minigrad), fn(torch)
    assert str(ours.dtype)[9:] == str(theirs.dtype)[6:] == "bool"
    assert tuple(ours.shape) == tuple(theirs.shape)
    numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_integer_and_bool_aminmax_match_torch():
    for make in (lambda m: m.aminmax(m.tensor([[3, -1], [2, 7]])), lambda m: m.tensor([[3, -1], [2, 7]]).aminmax(dim=0),
                 lambda m: m.aminmax(m.tensor([True, False])), lambda m: m.aminmax(m.zeros(0, 3), dim=1),
                 lambda m: m.aminmax(m.tensor([1.0, float("nan"), 3.0]))):
        ours, theirs = make(minigrad), make(torch)
        for mine, reference in zip(ours, theirs):
            assert str(mine.dtype)[9:] == str(reference.dtype)[6:]
            assert tuple(mine.shape) == tuple(reference.shape)
            numpy.testing.assert_array_equal(mine.numpy(), reference.numpy())


@pytest.mark.parametrize("dtype", DTYPES)
def test_aminmax_ties_share_the_gradient_as_torch(dtype):
    tied = numpy.array([[1.0, 3.0, 3.0, -2.0], [-2.0, 0.5, 3.0, -2.0], [0.0, 0.0, 0.0, 0.0]], dtype=dtype)
    for fn in (lambda a: a.aminmax(), lambda a: a.aminmax(dim=1), lambda a: a.aminmax(dim=0, keepdim=True),
               lambda a: a.aminmax().max * 3):
        assert_matches_torch(fn, inputs=[tied], dtype=dtype)
    assert_second_order_matches_torch(lambda lib, a: [out * out for out in a.aminmax(dim=1)], None,
                                      arrays=[tied.astype("float64")])


def test_take_with_repeated_indices_adds_their_gradients():
    ours, theirs = assert_matches_torch(lambda a: a.take(long(a, [1, 1, 1, 4])), [(2, 3)])
    assert ours.grad_fn.name() == type(theirs.grad_fn).__name__ == "TakeBackward0"


# ---- errors ---------------------------------------------------------------------------------
BAD_INPUTS = [
    ("tensor_split_scalar", lambda m: m.tensor_split(m.tensor(1.0), 2)),
    ("tensor_split_zero_sections", lambda m: m.tensor_split(m.zeros(3, 4), 0)),
    ("tensor_split_negative_sections", lambda m: m.zeros(3, 4).tensor_split(-1)),
    ("tensor_split_float_tensor", lambda m: m.zeros(3, 4).tensor_split(m.tensor([1.0]))),
    ("tensor_split_2d_tensor", lambda m: m.zeros(3, 4).tensor_split(m.tensor([[1]]))),
    ("tensor_split_dim_range", lambda m: m.zeros(3, 4).tensor_split(2, dim=2)),
    ("tensor_split_float_indices", lambda m: m.tensor_split(m.zeros(3, 4), [1.5])),
    ("tensor_split_float_sections", lambda m: m.tensor_split(m.zeros(3, 4), 1.5)),
    ("tensor_split_bool_sections", lambda m: m.tensor_split(m.zeros(3, 4), True)),
    ("tensor_split_method_float_indices", lambda m: m.zeros(3, 4).tensor_split([1.5])),
    ("hsplit_float", lambda m: m.hsplit(m.zeros(3, 4), 1.5)),
    ("broadcast_tensors_list", lambda m: m.broadcast_tensors([m.zeros(2), m.zeros(2)])),
    ("broadcast_tensors_number", lambda m: m.broadcast_tensors(m.zeros(2), 1)),
    ("hsplit_scalar", lambda m: m.hsplit(m.tensor(1.0), 2)),
    ("hsplit_not_divisible", lambda m: m.zeros(3, 4).hsplit(3)),
    ("hsplit_1d_not_divisible", lambda m: m.hsplit(m.zeros(5), 2)),
    ("hsplit_zero", lambda m: m.zeros(3, 4).hsplit(0)),
    ("vsplit_1d", lambda m: m.vsplit(m.zeros(5), 2)),
    ("vsplit_not_divisible", lambda m: m.zeros(3, 4).vsplit(2)),
    ("dsplit_2d", lambda m: m.dsplit(m.zeros(3, 4), 2)),
    ("dsplit_not_divisible", lambda m: m.zeros(2, 2, 6).dsplit(4)),
    ("column_stack_empty", lambda m: m.column_stack([])),
    ("column_stack_sizes", lambda m: m.column_stack([m.zeros(3), m.zeros(2)])),
    ("column_stack_scalar_with_rows", lambda m: m.column_stack([m.zeros(3), m.zeros(3, 2), m.tensor(1.0)])),
    ("dstack_empty", lambda m: m.dstack([])),
    ("dstack_sizes", lambda m: m.dstack([m.zeros(2, 3), m.zeros(3, 3)])),
    ("row_stack_empty", lambda m: m.row_stack([])),
    ("broadcast_tensors_mismatch", lambda m: m.broadcast_tensors(m.zeros(2), m.zeros(3))),
    ("broadcast_tensors_mismatch_2d", lambda m: m.broadcast_tensors(m.zeros(2, 1), m.zeros(3, 2))),
    ("take_float_index", lambda m: m.take(m.zeros(3, 4), m.tensor([1.0]))),
    ("take_int32_index", lambda m: m.take(m.zeros(3, 4), m.tensor([1], dtype=m.int32))),
    ("take_out_of_range", lambda m: m.zeros(3, 4).take(m.tensor([3, 12]))),
    ("take_out_of_range_negative", lambda m: m.zeros(3, 4).take(m.tensor([-13]))),
    ("take_from_empty", lambda m: m.zeros(0).take(m.tensor([0]))),
    ("take_along_dim_float_index", lambda m: m.take_along_dim(m.zeros(3, 4), m.tensor([1.0]))),
    ("take_along_dim_ndim", lambda m: m.take_along_dim(m.zeros(3, 4), m.tensor([1]), dim=0)),
    ("take_along_dim_int32", lambda m: m.take_along_dim(m.zeros(3, 4), m.tensor([[1]], dtype=m.int32), 1)),
    ("take_along_dim_dim_range", lambda m: m.take_along_dim(m.zeros(3, 4), m.tensor([[1]]), dim=2)),
    ("take_along_dim_flat_negative", lambda m: m.take_along_dim(m.zeros(3, 4), m.tensor([3, -1]))),
    ("take_along_dim_flat_out_of_range", lambda m: m.take_along_dim(m.zeros(3, 4), m.tensor([12]))),
    ("take_along_dim_broadcast", lambda m: m.take_along_dim(m.zeros(3, 4), m.tensor([[1], [2]]), dim=1)),
    ("take_along_dim_scalar_dim", lambda m: m.take_along_dim(m.tensor(3.0), m.tensor(0), 0)),
    ("take_along_dim_non_contiguous_flat", lambda m: m.take_along_dim(m.zeros(3, 4).t(), m.tensor([1]))),
    ("tril_indices_negative_row", lambda m: m.tril_indices(-1, 2)),
    ("triu_indices_negative_col", lambda m: m.triu_indices(2, -1)),
    ("tril_indices_float", lambda m: m.tril_indices(3, 3, dtype=m.float32)),
    ("isin_bool", lambda m: m.isin(m.tensor([True]), m.tensor([1]))),
    ("isin_bool_test", lambda m: m.isin(m.tensor([1, 2]), m.tensor([True]))),
    ("aminmax_empty", lambda m: m.aminmax(m.zeros(0))),
    ("aminmax_empty_dim", lambda m: m.zeros(2, 0).aminmax(dim=1)),
    ("aminmax_dim_range", lambda m: m.zeros(2, 3).aminmax(dim=2)),
    ("rot90_three_dims", lambda m: m.zeros(3, 4).rot90(1, [0, 1, 2])),
    ("rot90_one_dim", lambda m: m.rot90(m.zeros(3, 4), 1, (0,))),
    ("rot90_same_dims", lambda m: m.zeros(3, 4).rot90(1, [0, 0])),
    ("rot90_same_dims_wrapped", lambda m: m.zeros(3, 4).rot90(1, [0, -2])),
    ("rot90_dim_range", lambda m: m.zeros(3, 4).rot90(1, [0, 2])),
    ("rot90_1d", lambda m: m.zeros(3).rot90()),
    ("rot90_scalar", lambda m: m.rot90(m.tensor(1.0), 1)),
]


@pytest.mark.parametrize("name,fn", BAD_INPUTS, ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_raises_torch_error(name, fn):
    assert_same_module_error(fn)


# ---- found by the surface fuzz template (tests/fuzz/run.py --surface) --------------------------------
@pytest.mark.parametrize("shapes", [((0,), (2,)), ((2, 0), (2, 3)), ((2, 0), (2, 0)), ((0, 2), (0, 1))], ids=str)
def test_take_along_dim_over_a_dim_of_size_zero_is_torchs(shapes):
    """torch reads the indices modulo the size of ``dim``: of 0, its integer division check raises
    RuntimeError('ZeroDivisionError') where there is an index (fuzz seed 50000000)."""
    input_shape, index_shape = shapes
    dim = 0 if len(input_shape) == 1 or input_shape[0] == 0 else 1
    assert_same(lambda lib: lib.take_along_dim(lib.zeros(input_shape), lib.zeros(index_shape, dtype=lib.int64), dim))


@pytest.mark.parametrize("arguments", ["x, True", "True, x", "x, False", "x.float(), 1"])
def test_isin_refuses_a_bool_number_as_torch(arguments):
    """fuzz seed 50000538: ``isin(x, True)`` is torch's 'Unsupported input type ...: Bool', like a bool tensor."""
    assert_same(lambda lib: eval(f"lib.isin({arguments})", {"lib": lib, "x": lib.tensor([1, 2], dtype=lib.int8)}))
