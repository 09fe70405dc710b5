"""Tensor methods and functions torch has that minigrad lacked until 2026-12-06, each against torch:
the in-place forms under torch's other names (``divide_ multiply_ subtract_ true_divide_ negative_``)
and of ops whose out-of-place form was there (``atan2_ hypot_ cumsum_ cumprod_ tril_ triu_``, the
comparisons and logical ops), ``fliplr flipud``, methods of existing functions (``absolute positive
isposinf isneginf ger``) and the queries (``ndimension is_cpu get_device is_signed is_same_size
is_nonzero storage_offset data_ptr``)."""
import numpy
import pytest
import torch

import minigrad
from minigrad.testing import assert_matches_torch
from _op_parity import assert_same_error, assert_same_module_error


def _pair(seed=0):
    rng = numpy.random.default_rng(seed)
    return rng.uniform(-2, 2, (3, 4)), rng.uniform(0.5, 2, (3, 4))


# name: a write into ``x * 1`` (so it has a history) with ``y`` as the other operand where it takes one
DIFFERENTIABLE_WRITES = {
    "divide_": lambda x, y: (x * 1).divide_(y), "true_divide_": lambda x, y: (x * 1).true_divide_(y),
    "multiply_": lambda x, y: (x * 1).multiply_(y), "subtract_": lambda x, y: (x * 1).subtract_(y, alpha=2),
    "negative_": lambda x, y: (x * 1).negative_() * y, "atan2_": lambda x, y: (x * 1).atan2_(y),
    "arctan2_": lambda x, y: (x * 1).arctan2_(y), "hypot_": lambda x, y: (x * 1).hypot_(y),
    "cumsum_": lambda x, y: (x * 1).cumsum_(1) * y, "cumprod_": lambda x, y: (x * 1).cumprod_(0) * y,
    "tril_": lambda x, y: (x * y).tril_(1), "triu_": lambda x, y: (x * y).triu_(-1),
}


@pytest.mark.parametrize("name", sorted(DIFFERENTIABLE_WRITES))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_in_place_form_matches_torch_with_the_gradient_through_the_write(name, dtype):
    x, y = _pair()
    assert_matches_torch(DIFFERENTIABLE_WRITES[name], inputs=[x.astype(dtype), y.astype(dtype)])


@pytest.mark.parametrize("name", sorted(DIFFERENTIABLE_WRITES))
def test_in_place_form_records_torchs_node(name):
    x, y = _pair()
    names = []
    for lib in (torch, minigrad):
        a, b = lib.tensor(x, requires_grad=True), lib.tensor(y)
        written = a * 1
        getattr(written, name)(*{"negative_": (), "cumsum_": (1,), "cumprod_": (0,), "tril_": (),
                                 "triu_": ()}.get(name, (b,)))
        names.append(written.grad_fn.name())
    assert names[1] == names[0]


COMPARISONS = ["eq_", "ne_", "lt_", "le_", "gt_", "ge_", "greater_", "greater_equal_", "less_", "less_equal_",
               "not_equal_", "logical_and_", "logical_or_", "logical_xor_"]


@pytest.mark.parametrize("name", COMPARISONS + ["logical_not_"])
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "bool"])
def test_comparison_and_logical_in_place_write_in_the_tensors_dtype_as_torch(name, dtype):
    """``x.lt_(y)`` holds x < y in x's dtype: 1.0 and 0.0 in a float tensor, 1 and 0 in an integer one."""
    x, y = _pair(1)
    x[0, :2] = y[0, :2]          # some equal pairs
    x, y = (numpy.round(a).astype(dtype) for a in (x, y))
    results = []
    for lib in (torch, minigrad):
        target = lib.tensor(x.copy())
        returned = getattr(target, name)() if name == "logical_not_" else getattr(target, name)(lib.tensor(y))
        assert returned is target
        results.append(target.numpy())
    assert results[1].dtype == results[0].dtype
    numpy.testing.assert_array_equal(results[1], results[0])


@pytest.mark.parametrize("name", ["lt_", "eq_"])
def test_comparison_in_place_with_a_number_as_torch(name):
    x = numpy.array([[0.5, 1.0, 2.0], [1.0, -3.0, 1.5]])
    results = []
    for lib in (torch, minigrad):
        target = lib.tensor(x.copy())
        getattr(target, name)(1.0)
        results.append(target.numpy())
    numpy.testing.assert_array_equal(results[1], results[0])


def test_bitwise_not_in_place_as_torch():
    for values in (numpy.array([True, False, True]), numpy.array([0, 5, -3])):
        results = []
        for lib in (torch, minigrad):
            target = lib.tensor(values.copy())
            target.bitwise_not_()
            results.append(target.numpy())
        numpy.testing.assert_array_equal(results[1], results[0])
    assert_same_error(lambda t: t.bitwise_not_(), numpy.array([1.0, 2.0]))


@pytest.mark.parametrize("name", ["fliplr", "flipud"])
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4)])
def test_fliplr_flipud_match_torch(name, shape):
    assert_matches_torch(lambda x: getattr(x, name)(), [shape])
    assert_matches_torch(lambda x: getattr(minigrad, name)(x), [shape],
                         torch_fn=lambda x: getattr(torch, name)(x))
    written = {}
    for lib in (torch, minigrad):
        written[lib] = getattr(lib, name)(lib.ones(shape, requires_grad=True)).grad_fn.name()
    assert written[minigrad] == written[torch]


def test_flipud_of_a_vector_and_the_errors_below_the_dims_as_torch():
    assert_matches_torch(lambda x: x.flipud(), [(5,)])
    assert_same_error(lambda t: t.fliplr(), numpy.array([1.0, 2.0]))
    assert_same_error(lambda t: t.flipud(), numpy.array(1.0))


@pytest.mark.parametrize("expression", ["x.absolute()", "x.positive()", "x.isposinf()", "x.isneginf()",
                                        "x[0].ger(x[1])"])
def test_methods_of_existing_functions_match_torch(expression):
    values = numpy.array([[1.5, -numpy.inf, 0.0, numpy.inf], [-2.0, 3.0, numpy.nan, -0.5]])
    results = []
    for lib in (torch, minigrad):
        x = lib.tensor(values)
        results.append(eval(expression, {"x": x}).numpy())
    assert results[1].dtype == results[0].dtype
    numpy.testing.assert_array_equal(results[1], results[0])


VIEWS = ["x", "x[1]", "x[:, 1]", "x.t()", "x[1][1:]", "x.narrow(1, 1, 2)", "x.view(-1)[2:]", "x.reshape(3, 2)[1]",
         "x.T[1]", "x.unsqueeze(0).expand(2, 2, 3)[1]", "x[1:, ::2]", "x.select(1, 2)", "x.transpose(0, 1)[2]"]


@pytest.mark.parametrize("view", VIEWS)
def test_storage_offset_and_data_ptr_of_views_match_torch(view):
    """Where a view starts in the memory it shares: in elements (storage_offset) and, against its base,
    in bytes (data_ptr)."""
    answers = []
    for lib in (torch, minigrad):
        x = lib.arange(6.0).reshape(2, 3)
        viewed = eval(view, {"x": x})
        answers.append((viewed.storage_offset(), viewed.data_ptr() - x.data_ptr()))
    assert answers[1] == answers[0]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int8", "uint8", "bool"])
def test_queries_match_torch(dtype):
    answers = []
    for lib in (torch, minigrad):
        x = lib.zeros((2, 3), dtype=getattr(lib, dtype))
        answers.append((x.ndimension(), x.is_cpu, x.get_device(), lib.get_device(x), x.is_signed(), lib.is_signed(x),
                        x.is_same_size(lib.ones(2, 3)), lib.is_same_size(x, lib.ones(3, 2)),
                        x[1, 2].is_nonzero(), lib.is_nonzero(x[:1, :1] + 1)))
    assert answers[1] == answers[0]


@pytest.mark.parametrize("values", [numpy.array([1.0, 2.0]), numpy.zeros((0,))])
def test_is_nonzero_of_several_or_no_values_raises_like_torch(values):
    assert_same_error(lambda t: t.is_nonzero(), values)


@pytest.mark.parametrize("call", [lambda lib: lib.is_nonzero(2.0), lambda lib: lib.is_signed([1]),
                                  lambda lib: lib.get_device(1), lambda lib: lib.is_same_size(lib.ones(2), 3)])
def test_query_functions_of_a_non_tensor_raise_like_torch(call):
    assert "must be Tensor" in assert_same_module_error(call)


DIAGONALS = [(0, 0, 1), (1, 1, 2), (-1, 0, 2), (2, -1, -2), (-2, 2, 0), (5, 0, 1), (0, -1, 1)]


@pytest.mark.parametrize("offset, dim1, dim2", DIAGONALS)
def test_diagonal_matches_torch_as_a_view(offset, dim1, dim2):
    """Values, gradient, the view's shape, strides and offset in its base, and grad_fn's name."""
    assert_matches_torch(lambda x: x.diagonal(offset, dim1, dim2), [(2, 3, 4)])
    assert_matches_torch(lambda x: minigrad.diagonal(x, offset, dim1, dim2), [(3, 3, 2)],
                         torch_fn=lambda x: torch.diagonal(x, offset, dim1, dim2))
    layouts = []
    for lib in (torch, minigrad):
        x = lib.arange(24.0).reshape(2, 3, 4).requires_grad_()
        view = (x * 1).diagonal(offset, dim1, dim2)
        layouts.append((tuple(view.shape), view.stride(), x.diagonal(offset, dim1, dim2).storage_offset(),
                        view.grad_fn.name()))
    assert layouts[1] == layouts[0]


@pytest.mark.parametrize("write", ["d.fill_(0)", "d.add_(y)", "d.mul_(y)", "d.copy_(y * 3)", "d[1] = 7.0"])
def test_a_write_through_the_diagonal_reaches_the_base_with_torchs_gradients(write):
    """``x.diagonal().fill_(0)`` zeroes the base's diagonal (the view shares its memory), and the
    gradients flow through the write as torch's CopySlices."""
    def action(x, y):
        base = x * 2
        d = base.diagonal()
        exec(write, {"d": d, "y": y})
        return base * base
    assert_matches_torch(action, [(3, 3), (3,)])


def test_diagonal_second_derivative_matches_torch():
    from _higher_order import assert_second_order_matches_torch
    assert_second_order_matches_torch(lambda lib, x: (x.diagonal(1) ** 3).sum() * x.diagonal(-1, 0, 1).sum(),
                                      [(4, 4)], -2, 2)


@pytest.mark.parametrize("call", ["lib.tensor([1.0, 2.0]).diagonal()", "lib.ones(2, 3).diagonal(0, 1, 1)",
                                  "lib.ones(2, 3).diagonal(0, 0, 2)", "lib.tensor(1.0).diagonal()",
                                  "lib.ones(2, 3).diagonal(0, -2, 0)"])
def test_diagonal_errors_match_torch(call):
    assert_same_module_error(lambda lib: eval(call, {"lib": lib}))


# (dim, size, step) of Tensor.unfold on a (3, 7, 4) tensor: windows that overlap, touch, leave gaps
UNFOLDS = [(1, 3, 1), (1, 2, 2), (1, 2, 3), (-1, 4, 1), (0, 1, 2), (2, 0, 1), (1, 7, 5)]


@pytest.mark.parametrize("dim, size, step", UNFOLDS)
def test_unfold_matches_torch_as_a_view(dim, size, step):
    """Values, the gradient (summed over the windows an element is in), the view's shape, strides and
    grad_fn's name, and a float32 run."""
    assert_matches_torch(lambda x: x.unfold(dim, size, step), [(3, 7, 4)])
    assert_matches_torch(lambda x: x.unfold(dim, size, step) * 1.5, [(3, 7, 4)], dtype="float32")
    layouts = []
    for lib in (torch, minigrad):
        x = lib.arange(84.0).reshape(3, 7, 4).requires_grad_()
        view = (x * 1).unfold(dim, size, step)
        layouts.append((tuple(view.shape), view.stride(), view.grad_fn.name()))
    assert layouts[1] == layouts[0]


@pytest.mark.parametrize("make", ["lib.tensor(5.0).unfold(0, 1, 1)", "lib.tensor(5.0).unfold(-1, 0, 3)",
                                  "lib.zeros(0).unfold(0, 0, 1)", "lib.arange(6.0).t().unfold(0, 6, 1)",
                                  "lib.arange(12.0).reshape(3, 4)[:, 1:].unfold(1, 2, 1)"])
def test_unfold_of_scalars_empty_and_strided_tensors_matches_torch(make):
    shown = []
    for lib in (torch, minigrad):
        view = eval(make, {"lib": lib})
        shown.append((view.tolist(), tuple(view.shape), view.stride()))
    assert shown[1] == shown[0]


@pytest.mark.parametrize("write", ["u.fill_(0)", "u.add_(y)", "u.mul_(y)", "u[1] = 7.0", "u.copy_(y * 3)"])
def test_a_write_through_windows_apart_reaches_the_base_with_torchs_gradients(write):
    """Windows that do not overlap (step >= size) are a view like any other: a write reaches the base
    and the gradients go through torch's CopySlices."""
    def action(x, y):
        base = x * 2
        u = base.unfold(0, 2, 3)
        exec(write, {"u": u, "y": y})
        return base * base
    assert_matches_torch(action, [(8, 3), (3, 3, 2)])


def test_a_stale_unfold_view_is_made_anew_from_its_written_base_as_torch():
    def action(x):
        base = x * 1
        windows = base.unfold(0, 3, 1)
        base.mul_(x)
        return windows * windows
    assert_matches_torch(action, [(6,)])


def test_a_write_into_overlapping_windows_is_refused_and_changes_nothing():
    """torch runs it, with a result that is its kernel's order of writing (of values into shared
    elements, or of a recorded write's gradient copied back through the windows); minigrad refuses.
    Outside a graph a fill, one value everywhere (``windows[0:2] = 1.0`` too), and a write into one
    window are ordinary writes."""
    x = minigrad.arange(6.0)
    windows = x.unfold(0, 3, 1)
    with pytest.raises(RuntimeError, match="windows of this unfold"):
        windows.mul_(2)
    with pytest.raises(RuntimeError, match="windows of this unfold"):
        windows[0:2] = minigrad.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert x.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    windows.fill_(3.0)
    windows[0:2] = 1.0
    windows[3] = minigrad.tensor([7.0, 8.0, 9.0])
    assert x.tolist() == [1.0, 1.0, 1.0, 7.0, 8.0, 9.0]
    graph = minigrad.ones(6, requires_grad=True) * 2
    for write in (lambda w: w.fill_(0.0), lambda w: w.__setitem__(1, 7.0), lambda w: w[0:2].mul_(3)):
        with pytest.raises(RuntimeError, match="windows of this unfold"):
            write(graph.unfold(0, 3, 1))
    assert graph.tolist() == [2.0] * 6


def test_a_recorded_write_into_a_view_of_overlapping_windows_whose_elements_do_not_repeat_is_torchs():
    """``column = windows[:, 0]`` holds each element once: a write into it is an ordinary write
    through a view, with torch's values and gradients."""
    def action(x):
        base = x * 1
        column = base.unfold(0, 3, 1)[:, 0]
        column.mul_(x[:4])
        return base * base
    assert_matches_torch(action, [(6,)])


def test_unfold_second_derivative_matches_torch():
    from _higher_order import assert_second_order_matches_torch
    assert_second_order_matches_torch(lambda lib, x: (x.unfold(0, 3, 2) ** 3).sum() * x.unfold(1, 2, 1).sum(),
                                      [(5, 4)], -2, 2)


@pytest.mark.parametrize("call", ["lib.arange(6.0).unfold(0, 7, 1)", "lib.arange(6.0).unfold(0, -1, 1)",
                                  "lib.arange(6.0).unfold(0, 2, 0)", "lib.arange(6.0).unfold(0, 2, -1)",
                                  "lib.arange(6.0).unfold(1, 2, 1)", "lib.tensor(1.0).unfold(0, 2, 1)",
                                  "lib.zeros(2, 0).unfold(1, 1, 1)"])
def test_unfold_errors_match_torch(call):
    assert_same_module_error(lambda lib: eval(call, {"lib": lib}))
