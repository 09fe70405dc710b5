"""Shape ops against torch: values, gradients, views and their version counter, torch's errors."""
import numpy
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad
from minigrad.testing import assert_matches_torch
from _op_parity import assert_same, assert_same_error

DTYPES = ["float64", "float32"]

# (name, input shapes, fn) - fn runs unchanged on minigrad and torch tensors
CASES = [
    ("view", [(3, 4)], lambda x: x.view(2, 6)),
    ("view_tuple", [(3, 4)], lambda x: x.view((4, 3))),
    ("view_infer", [(3, 4)], lambda x: x.view(-1, 2)),
    ("view_scalar", [(1,)], lambda x: x.view(())),
    ("view_as", [(3, 4), (12,)], lambda x, y: x.view_as(y) * y),
    ("reshape", [(3, 4)], lambda x: x.reshape(2, 2, 3)),
    ("reshape_transposed", [(3, 4)], lambda x: x.t().reshape(-1)),
    ("reshape_as", [(3, 4), (6, 2)], lambda x, y: x.reshape_as(y) + y),
    ("flatten", [(2, 3, 4)], lambda x: x.flatten()),
    ("flatten_range", [(2, 3, 4, 5)], lambda x: x.flatten(1, 2)),
    ("flatten_negative", [(2, 3, 4)], lambda x: x.flatten(-2)),
    ("flatten_0d", [()], lambda x: x.flatten()),
    ("unflatten", [(2, 12)], lambda x: x.unflatten(1, (3, -1))),
    ("squeeze_all", [(1, 3, 1, 4)], lambda x: x.squeeze()),
    ("squeeze_dim", [(1, 3, 1, 4)], lambda x: x.squeeze(2)),
    ("squeeze_non_one", [(1, 3, 1, 4)], lambda x: x.squeeze(1)),
    ("squeeze_tuple", [(1, 3, 1, 4)], lambda x: x.squeeze((0, 2))),
    ("unsqueeze", [(3, 4)], lambda x: x.unsqueeze(1)),
    ("unsqueeze_end", [(3, 4)], lambda x: x.unsqueeze(-1)),
    ("transpose", [(2, 3, 4)], lambda x: x.transpose(0, 2)),
    ("transpose_negative", [(2, 3, 4)], lambda x: x.transpose(-1, -2)),
    ("swapaxes", [(2, 3, 4)], lambda x: x.swapaxes(0, 1)),
    ("permute", [(2, 3, 4)], lambda x: x.permute(2, 0, 1)),
    ("permute_tuple", [(2, 3, 4)], lambda x: x.permute((1, 2, 0))),
    ("t", [(3, 4)], lambda x: x.t()),
    ("t_1d", [(4,)], lambda x: x.t()),
    ("T", [(3, 4)], lambda x: x.T),
    ("mT", [(2, 3, 4)], lambda x: x.mT),
    ("movedim", [(2, 3, 4)], lambda x: x.movedim(0, -1)),
    ("expand", [(3, 1)], lambda x: x.expand(3, 4)),
    ("expand_new_dims", [(3, 1)], lambda x: x.expand(2, -1, 5)),
    ("expand_tuple", [(1,)], lambda x: x.expand((4,))),
    ("expand_as", [(1, 4), (3, 4)], lambda x, y: x.expand_as(y) * y),
    ("repeat", [(2, 3)], lambda x: x.repeat(2, 3)),
    ("repeat_new_dims", [(2, 3)], lambda x: x.repeat(4, 1, 2)),
    ("tile", [(2, 3)], lambda x: x.tile((2,))),
    ("contiguous", [(3, 4)], lambda x: x.t().contiguous().view(-1)),
    ("flip", [(2, 3, 4)], lambda x: x.flip(0, 2)),
    ("flip_list", [(2, 3, 4)], lambda x: x.flip([1])),
    ("roll", [(2, 3, 4)], lambda x: x.roll(1, 2)),
    ("roll_dims", [(2, 3, 4)], lambda x: x.roll((1, -2), (0, -1))),
    ("roll_flat", [(2, 3)], lambda x: x.roll(4)),
    ("view_chain", [(2, 3, 4)], lambda x: (x.permute(2, 1, 0).reshape(4, 6) * 2).unsqueeze(0).squeeze()),
    ("reused_view", [(3, 4)], lambda x: x.view(12) * x.view(12)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,shapes,fn", CASES, ids=[case[0] for case in CASES])
def test_shape_op_matches_torch(name, shapes, fn, dtype):
    assert_matches_torch(fn, shapes, dtype=dtype)


@pytest.mark.parametrize("name,fn", [
    ("reshape", lambda m, x: m.reshape(x, (4, 3))),
    ("flatten", lambda m, x: m.flatten(x, 0)),
    ("squeeze", lambda m, x: m.squeeze(x.view(1, 12))),
    ("unsqueeze", lambda m, x: m.unsqueeze(x, 0)),
    ("transpose", lambda m, x: m.transpose(x, 0, 1)),
    ("permute", lambda m, x: m.permute(x, (1, 0))),
    ("t", lambda m, x: m.t(x)),
    ("flip", lambda m, x: m.flip(x, (0,))),
    ("roll", lambda m, x: m.roll(x, 2, 1)),
    ("swapdims", lambda m, x: m.swapdims(x, 0, 1)),
    ("broadcast_to", lambda m, x: m.broadcast_to(x[:1], (5, 4))),
    ("ravel", lambda m, x: m.ravel(x.t())),
    ("tile", lambda m, x: m.tile(x, (2, 1, 1))),
    ("moveaxis", lambda m, x: m.moveaxis(x, 1, 0)),
])
def test_function_forms_match_torch(name, fn):
    assert_matches_torch(lambda x: fn(minigrad, x), [(3, 4)], torch_fn=lambda x: fn(torch, x))


# ---- views: shared memory and shared version counter ---------------------------------
@pytest.mark.parametrize("make_view", [
    lambda x: x.view(12), lambda x: x.reshape(4, 3), lambda x: x.t(), lambda x: x.T,
    lambda x: x.transpose(0, 1), lambda x: x.permute(1, 0), lambda x: x.unsqueeze(0),
    lambda x: x.squeeze(), lambda x: x.flatten(), lambda x: x.expand(2, 3, 4),
    lambda x: x.unflatten(1, (2, 2)),
])
def test_views_share_memory_and_version(make_view):
    base = minigrad.zeros(3, 4)
    view = make_view(base)
    base.add_(1)
    assert view.numpy().min() == 1.0, "a view must see the base's in-place change"
    assert view._version == base._version == 1


def test_reshape_that_copies_does_not_share_the_version():
    base = minigrad.zeros(3, 4)
    copied = base.t().reshape(-1)
    base.add_(1)
    assert copied.numpy().max() == 0.0
    assert copied._version == 0


def test_flip_is_a_copy_as_in_torch():
    base = minigrad.zeros(3)
    flipped = base.flip(0)
    base.add_(1)
    assert flipped.numpy().max() == 0.0


@pytest.mark.parametrize("make", [lambda x: x.t(), lambda x: x.t()[:, ::2], lambda x: x[None].expand(2, -1, -1)],
                         ids=["transposed", "transposed-sliced", "expanded"])
def test_flip_keeps_its_inputs_layout_as_torch(make):
    """fuzz seed 79905: torch's flip writes into ``empty_like(self, Preserve)``, so the flip of a
    transposed tensor is transposed, its ``contiguous()`` a new tensor, and the gradient retained
    on that unused copy None; where the input has gaps or repeats, its dims in stride order."""
    outcomes = []
    for lib in (torch, minigrad):
        x = lib.tensor(numpy.arange(12.0).reshape(3, 4), requires_grad=True)
        flipped = make(x * 2).flip(0)
        copy = flipped.contiguous()
        flipped.retain_grad()
        copy.retain_grad()
        flipped.sum().backward()
        outcomes.append((flipped.stride(), copy is flipped, copy.grad is None, flipped.tolist(), x.grad.tolist()))
    assert outcomes[1] == outcomes[0]


def test_contiguous_returns_self_when_already_contiguous():
    x = minigrad.randn(3, 4)
    assert x.contiguous() is x
    transposed = x.t()
    copy = transposed.contiguous()
    assert copy is not transposed and copy.array.flags.c_contiguous
    numpy.testing.assert_array_equal(copy.numpy(), x.numpy().T)


def test_in_place_change_through_a_view_is_caught_by_backward():
    x = minigrad.randn(3, 4, requires_grad=True)
    y = x * 1
    saved = y.exp()                       # exp saves its output ...
    saved.view(12).mul_(2)                # ... changed through a view
    with pytest.raises(RuntimeError, match="one of the variables needed for gradient computation has "
                                           "been modified by an inplace operation"):
        saved.sum().backward()


def test_in_place_change_of_the_base_is_caught_through_the_view():
    x = minigrad.randn(3, 4, requires_grad=True)
    y = x * 1
    z = y.t() * y.t()                     # mul saves the view y.t()
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


# ---- in-place shape changes ----------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,fn", [
    ("unsqueeze_", lambda x: (x * 1).unsqueeze_(0)),
    ("squeeze_", lambda x: (x * 1).unsqueeze(1).squeeze_(1)),
    ("t_", lambda x: (x * 1).t_()),
    ("transpose_", lambda x: (x * 1).transpose_(0, 1)),
])
def test_in_place_shape_ops_match_torch(name, fn, dtype):
    assert_matches_torch(fn, [(3, 4)], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_in_place_shape_op_on_a_view_then_a_write_matches_torch(dtype):
    def fn(x, h):
        y = x * 1
        row = y[1]
        row.unsqueeze_(0)
        row.mul_(h)
        return y * 2
    assert_matches_torch(fn, [(3, 4), (1, 4)], dtype=dtype)


def test_in_place_shape_op_changes_the_tensor_and_bumps_its_version():
    x = minigrad.zeros(3)
    assert x.unsqueeze_(0) is x
    assert x.shape == (1, 3) and x._version == 1
    x.t_()
    assert x.shape == (3, 1)


def test_in_place_shape_op_on_a_leaf_requiring_grad_raises():
    leaf = minigrad.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        leaf.unsqueeze_(0)


def test_view_to_dtype_reinterprets_bytes():
    x = minigrad.tensor([1.0], dtype=minigrad.float32)
    assert x.view(minigrad.int32).item() == torch.tensor([1.0]).view(torch.int32).item()


# ---- errors: torch's wording, naming the shapes ------------------------------------------
def _same_error(fn, shape=(3, 4)):
    """fn raises the same exception type with the same message in minigrad and torch."""
    with pytest.raises(Exception) as theirs:
        fn(torch.zeros(shape))
    with pytest.raises(type(theirs.value)) as ours:
        fn(minigrad.zeros(shape))
    assert str(ours.value) == str(theirs.value).replace("torch.", "minigrad.")
    return str(ours.value)


@pytest.mark.parametrize("name,fn", [
    ("view_numel", lambda x: x.view(3, 5)),
    ("view_infer", lambda x: x.view(-1, 5)),
    ("view_two_infer", lambda x: x.view(-1, -1)),
    ("view_negative", lambda x: x.view(-2, 6)),
    ("view_non_contiguous", lambda x: x.t().view(12)),
    ("reshape_numel", lambda x: x.reshape(5, 5)),
    ("expand_mismatch", lambda x: x.expand(2, 4)),
    ("expand_new_trailing", lambda x: x.expand(3, 4, 5)),
    ("expand_leading_minus_one", lambda x: x.expand(-1, 3, 4)),
    ("expand_too_few", lambda x: x.expand(3)),
    ("t_3d", lambda x: x.view(2, 3, 2).t()),
    ("mT_1d", lambda x: x.view(12).mT),
    ("repeat_too_few", lambda x: x.repeat(2)),
    ("permute_length", lambda x: x.permute(0)),
    ("permute_duplicate", lambda x: x.permute(0, 0)),
    ("transpose_range", lambda x: x.transpose(0, 2)),
    ("squeeze_range", lambda x: x.squeeze(3)),
    ("unsqueeze_range", lambda x: x.unsqueeze(3)),
    ("flip_duplicate", lambda x: x.flip(0, 0)),
    ("unflatten_sizes", lambda x: x.unflatten(1, (3, -1))),
    ("flatten_order", lambda x: x.flatten(1, 0)),
    ("roll_align", lambda x: x.roll(1, (0, 1))),
    ("roll_flat_tuple", lambda x: x.roll((1, 2))),
])
def test_bad_input_raises_torch_error(name, fn):
    _same_error(fn)


@pytest.mark.parametrize("dtype", ["bool", "float16", "int64"])
def test_expand_error_names_the_tensor_type_as_torch(dtype):
    """torch's legacy names (``torch.HalfTensor``) where there is one, else ``CPUBoolType``."""
    with pytest.raises(RuntimeError) as theirs:
        torch.zeros(2, dtype=getattr(torch, dtype)).expand(())
    with pytest.raises(RuntimeError) as ours:
        minigrad.zeros(2, dtype=getattr(minigrad, dtype)).expand(())
    assert str(ours.value) == str(theirs.value).replace("torch.", "minigrad.")


@pytest.mark.parametrize("dims", [-1, 2, (0, 0)])
def test_roll_of_a_scalar_along_a_dim_raises_torch_error(dims):
    shifts = (1,) * len(dims) if isinstance(dims, tuple) else 1
    _same_error(lambda x: x.roll(shifts, dims), shape=())


def test_view_error_names_the_shape_and_size():
    message = _same_error(lambda x: x.view(3, 5))
    assert "[3, 5]" in message and "12" in message


def test_expand_error_names_both_shapes():
    message = _same_error(lambda x: x.expand(2, 4))
    assert "[2, 4]" in message and "[3, 4]" in message


# ---- properties: random round trips against torch ------------------------------------------
@st.composite
def shapes_and_permutations(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    permutation = draw(st.permutations(range(len(shape))))
    return shape, tuple(permutation)


@settings(max_examples=30, deadline=None)
@given(shapes_and_permutations(), st.integers(0, 2 ** 16))
def test_permute_then_reshape_matches_torch(shape_and_permutation, seed):
    shape, permutation = shape_and_permutation
    numel = int(numpy.prod(shape))
    sizes = [size for size in range(1, numel + 1) if numel % size == 0]
    rows = sizes[seed % len(sizes)]

    def fn(x):
        return x.permute(*permutation).reshape(rows, -1).t().flatten()

    assert_matches_torch(fn, [shape], seed=seed)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 3), min_size=1, max_size=4), st.data())
def test_unsqueeze_expand_sum_round_trip_matches_torch(shape, data):
    dim = data.draw(st.integers(-len(shape) - 1, len(shape)))
    copies = data.draw(st.integers(1, 3))

    def fn(x):
        expanded = x.unsqueeze(dim)
        sizes = [-1] * expanded.dim()
        sizes[dim] = copies
        return expanded.expand(*sizes).reshape(-1)

    assert_matches_torch(fn, [tuple(shape)])


@pytest.mark.parametrize("dtype", DTYPES)
def test_repeat_interleave_matches_torch(dtype):
    assert_matches_torch(lambda x: x.repeat_interleave(2), [(2, 3)], dtype=dtype)
    assert_matches_torch(lambda x: x.repeat_interleave(3, dim=1), [(2, 3)], dtype=dtype)
    assert_matches_torch(lambda x: x.repeat_interleave(3, -2, output_size=6), [(2, 3)], dtype=dtype)


def test_repeat_interleave_with_tensor_repeats_and_counts_only():
    for repeats in ([1, 0, 3], [2]):
        assert_matches_torch(
            lambda x: x.repeat_interleave((minigrad if isinstance(x, minigrad.Tensor) else torch)
                                          .tensor(repeats), dim=1), [(2, 3)])
    assert_matches_torch(lambda c: (minigrad if isinstance(c, minigrad.Tensor) else torch).repeat_interleave(c),
                         inputs=[numpy.array([2, 0, 1])])


def test_repeat_interleave_bad_repeats_like_torch():
    assert_same_error(lambda x, r: x.repeat_interleave(r, dim=0), numpy.zeros((2, 3)), numpy.array([1, 2, 3]))
    assert_same_error(lambda x, r: x.repeat_interleave(r), numpy.zeros(2), numpy.array([1, -1]))


@pytest.mark.parametrize("indexing", ["ij", "xy"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_meshgrid_matches_torch(indexing, dtype):
    def fn(a, b, c):
        lib = minigrad if isinstance(a, minigrad.Tensor) else torch
        return lib.meshgrid(a, b, c, indexing=indexing)
    assert_matches_torch(fn, [(3,), (2,), (4,)], dtype=dtype)
    assert_matches_torch(lambda a, b: (minigrad if isinstance(a, minigrad.Tensor) else torch)
                         .meshgrid([a, b], indexing=indexing), [(3,), ()], dtype=dtype)


def test_meshgrid_bad_indexing_like_torch():
    assert_same_error(lambda a: torch.meshgrid(a, a, indexing="xx") if isinstance(a, torch.Tensor)
                      else minigrad.meshgrid(a, a, indexing="xx"), numpy.zeros(2))


@pytest.mark.parametrize("axes", [(1,), (0, 1)])
def test_flip_is_a_copy_even_where_it_moves_nothing(axes):
    """torch's flip always copies: a write into the flip of a size-1 dim leaves the input as it was."""
    results = []
    for lib in (torch, minigrad):
        x = lib.ones(3, 1)
        x.flip(axes).add_(1)
        results.append(x.tolist())
    assert results[0] == results[1]


def test_movedim_of_a_0d_tensor_is_an_alias_as_torch():
    """fuzz seed 698666: torch's movedim returns self.alias() for a 0-d tensor, so a write into it
    (a piece of unbind, selected) names 'Output 0 of Alias', not Permute; other inputs permute."""
    def node(lib, make):
        x = lib.ones(2, 3, dtype=lib.float64, requires_grad=True)
        return make(x * 1).grad_fn.name()
    for make in (lambda y: y[0, 0].movedim(-1, 0), lambda y: y[0, 0].moveaxis([0], [0]),
                 lambda y: y[0, 0].movedim((), ()), lambda y: y[0].movedim(0, -1), lambda y: y.movedim(0, 1),
                 lambda y: y.movedim((), ())):
        assert_same(lambda lib: node(lib, make))

    def write(lib):
        x = lib.tensor([[-0.27, 0.04], [-0.1, 0.9]], dtype=lib.float64, requires_grad=True)
        view = x.unbind(-2)[0][-1].movedim(-1, 0)
        view |= lib.tensor(-1.6, dtype=lib.float64, requires_grad=True)
    assert_same(write)


@pytest.mark.parametrize("name, call", [("t_", lambda y: y.t_()), ("unsqueeze_", lambda y: y.unsqueeze_(0)),
                                        ("squeeze_", lambda y: y.squeeze_()), ("squeeze_int", lambda y: y.squeeze_(0)),
                                        ("squeeze_tuple", lambda y: y.squeeze_((0,))),
                                        ("transpose_", lambda y: y.transpose_(0, 1))])
def test_in_place_shape_changes_name_their_overload_and_take_expanded_tensors_as_torch(name, call):
    """t_, unsqueeze_, squeeze_ and transpose_ change metadata only: torch lets an expanded tensor
    take them (minigrad raised the internal-overlap error of a write) and names the in-place
    overloads' nodes (TBackward1, UnsqueezeBackward1, SqueezeBackward3/4/5, TransposeBackward1)."""
    def node(lib):
        y = call(lib.ones(1, 3, dtype=lib.float64, requires_grad=True) * 1)
        return y.grad_fn.name(), tuple(y.shape)

    def expanded(lib):
        y = call(lib.ones(1, 3).expand(2, 3) if name != "squeeze_int" else lib.ones(1, 3).expand(1, 3))
        return tuple(y.shape), y.stride()
    assert_same(node)
    assert_same(expanded)
