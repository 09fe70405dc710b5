"""Views and in-place writes, against torch: a write to a base or to any of its views changes
what every other view of that base shows, in values and in gradients (torch regenerates the
views' histories); the errors torch raises around views and in-place writes.

Each program gets the library (``lib``), a (3, 4) input ``x`` and a (3, 4) input ``w``, both
float64 and requiring grad, and returns the tensors to compare; gradients are compared under a
random weighting of the outputs (``assert_matches_torch``).
"""
import warnings

import pytest
import torch

import minigrad
from minigrad.testing import assert_matches_torch

from _op_parity import assert_same


def library(tensor):
    return torch if isinstance(tensor, torch.Tensor) else minigrad


def check(program):
    assert_matches_torch(lambda x, w: program(library(x), x, w), [(3, 4), (3, 4)])


def torch_message(action):
    """torch's error message for ``action(torch)``, worded for minigrad (its hint too)."""
    with pytest.raises(Exception) as caught:
        action(torch)
    return type(caught.value), str(caught.value).replace("torch.", "minigrad.")


def assert_raises_like_torch(action):
    kind, expected = torch_message(action)
    with pytest.raises(kind) as caught:
        action(minigrad)
    assert str(caught.value) == expected


# ---- a write to the base reaches the views taken before it ------------------------------
VIEWS = {
    "slice": lambda b: b[0:2],
    "select": lambda b: b[1],
    "select_method": lambda b: b.select(1, 2),
    "column": lambda b: b[:, 1],
    "step_slice": lambda b: b[::2, 1::2],
    "narrow": lambda b: b.narrow(1, 1, 2),
    "view": lambda b: b.view(12),
    "view_split_dim": lambda b: b.view(3, 2, 2),
    "reshape_view": lambda b: b.reshape(2, 6),
    "flatten": lambda b: b.flatten(),
    "transpose": lambda b: b.transpose(0, 1),
    "t": lambda b: b.t(),
    "T": lambda b: b.T,
    "permute": lambda b: b.permute(1, 0),
    "unsqueeze": lambda b: b.unsqueeze(1),
    "squeeze": lambda b: b.unsqueeze(0).squeeze(0),
    "expand": lambda b: b[0:1].expand(3, 4),
    "expand_new_dim": lambda b: b.expand(2, 3, 4),
    "chain": lambda b: b.unsqueeze(0).transpose(1, 2)[0, 1:].t()[1],
    "movedim": lambda b: b.movedim(0, 1)[1:3],
    "none_index": lambda b: b[None, 1:, None],
}

WRITES = {
    "mul_": lambda lib, b, w: b.mul_(w),
    "add_scalar": lambda lib, b, w: b.add_(2.0),
    "setitem_row": lambda lib, b, w: b.__setitem__(0, w[1] * 3),
    "setitem_column": lambda lib, b, w: b.__setitem__((slice(None), 2), w[:, 0]),
    "copy_": lambda lib, b, w: b.copy_(w.sin()),
    "zero_": lambda lib, b, w: b.zero_(),
    "exp_": lambda lib, b, w: b.exp_(),
    "fill_": lambda lib, b, w: b.fill_(1.5),
    "row_mul_": lambda lib, b, w: b[2].mul_(w[0]),
    "column_add_": lambda lib, b, w: b[:, 0].add_(w[:, 3]),
    "transposed_mul_": lambda lib, b, w: b.t().mul_(w.t()),
    "clamp_": lambda lib, b, w: b.clamp_(-0.5, 0.5),
}


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize("make_view", VIEWS)
def test_view_taken_before_an_inplace_write_matches_torch(make_view, write):
    def program(lib, x, w):
        base = x * 1.5
        view = VIEWS[make_view](base)
        WRITES[write](lib, base, w)
        return view, base
    check(program)


@pytest.mark.parametrize("make_view", VIEWS)
def test_view_used_in_a_sum_after_the_base_changed_matches_torch(make_view):
    # the issue's program: b = x.clone(); v = b[0:2]; b.mul_(2); v.sum().backward()
    def program(lib, x, w):
        base = x.clone()
        view = VIEWS[make_view](base)
        base.mul_(2)
        return view.sum() * w.sum()
    check(program)


def test_issue_program_gives_torch_gradient():
    x = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    base = x.clone()
    view = base[0:2]
    base.mul_(2)
    view.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 0.0]


def test_sibling_view_sees_a_write_through_another_view():
    def program(lib, x, w):
        base = x.clone()
        row, column = base[1], base[:, 0]
        column.mul_(w[:, 0])
        return row, column, base
    check(program)


def test_sibling_views_written_in_turn_match_torch():
    def program(lib, x, w):
        base = x * 2
        first, second, block = base[0], base[1], base[1:, 1:3]
        first.add_(w[2])
        second.add_(first)
        block.sub_(w[:2, :2])
        return first, second, block, base
    check(program)


def test_view_of_a_view_sees_writes_through_the_middle_view():
    def program(lib, x, w):
        base = x.clone()
        row = base[1]
        part = row[1:3]
        row.mul_(w[0])
        return part, row, base
    check(program)


def test_view_of_a_base_that_gets_its_history_from_a_write():
    # the base requires no grad until the write: the view must start requiring it too
    def program(lib, x, w):
        base = lib.zeros(3, 4, dtype=lib.float64)
        view = base[0]
        base.add_(x)
        assert view.requires_grad
        return view
    check(program)


def test_regenerated_view_history_is_torchs_node():
    base = minigrad.randn(3, 4, requires_grad=True).clone()
    view = base[0:2]
    assert view.grad_fn.name() == "SliceBackward0"
    base.mul_(2)
    assert view.grad_fn.name() == "AsStridedBackward0"


def test_write_under_no_grad_keeps_views_usable():
    def program(lib, x, w):
        base = x * 1
        view = base[1]
        with lib.no_grad():
            base.mul_(2)
        return view * w[0]
    check(program)


def test_retain_grad_on_a_view_follows_its_regenerated_history():
    results = {}
    for lib in (torch, minigrad):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        base = x.clone()
        view = base[1]
        view.retain_grad()
        base.mul_(3)
        (view * lib.tensor([5.0, 7.0])).sum().backward()
        results[lib] = (view.grad.tolist(), x.grad.tolist())
    assert results[minigrad] == results[torch]


def test_retain_grad_follows_an_inplace_write():
    # torch: .grad of a tensor that retains grad is the gradient of its newest value
    results = {}
    for lib in (torch, minigrad):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 1
        y.retain_grad()
        y.mul_(2)
        (y * lib.tensor([5.0, 7.0, 9.0])).sum().backward()
        results[lib] = (y.grad.tolist(), x.grad.tolist())
    assert results[minigrad] == results[torch]


# ---- saved tensors changed through a view or its base -------------------------------------
def test_saved_view_changed_through_its_base_raises_like_torch():
    def action(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        base = x.clone()
        view = base[0:2]
        result = view.sin()
        base.mul_(2)
        result.sum().backward()
    assert_raises_like_torch(action)


def test_saved_base_changed_through_a_view_raises_like_torch():
    def action(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        base = x.clone()
        result = base.sin()
        base[1:].mul_(2)
        result.sum().backward()
    assert_raises_like_torch(action)


def test_saved_zero_dim_output_changed_in_place_raises_like_torch():
    def action(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        result = x.sum().exp()        # exp saves its 0-d output
        result.add_(1)
        result.backward()
    assert_raises_like_torch(action)


def test_saved_zero_dim_output_of_a_two_output_op_is_checked():
    def action(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        result = x.sum().tanh()
        result.mul_(2)
        result.backward()
    assert_raises_like_torch(action)


@pytest.mark.parametrize("op", [
    lambda lib, a, b: a * b, lambda lib, a, b: a / b, lambda lib, a, b: a ** b, lambda lib, a, b: a % b,
    lambda lib, a, b: lib.fmod(a, b), lambda lib, a, b: lib.atan2(a, b), lambda lib, a, b: lib.maximum(a, b),
    lambda lib, a, b: lib.minimum(a, b), lambda lib, a, b: lib.logaddexp(a, b), lambda lib, a, b: lib.hypot(a, b),
    lambda lib, a, b: lib.div(a, b, rounding_mode="floor"), lambda lib, a, b: lib.div(a, b, rounding_mode="trunc"),
], ids=["mul", "div", "pow", "remainder", "fmod", "atan2", "maximum", "minimum", "logaddexp", "hypot", "div_floor",
        "div_trunc"])
def test_of_two_saved_inputs_written_the_error_names_the_one_torch_unpacks_first(op):
    """torch's node unpacks its saved inputs in the order of their argument names: ``other`` (or
    ``exponent``) before ``self``, and names the first written since (fuzz seeds 114721, 120472,
    where both are views of one base, told apart by their shape and node; 979330 for a rounding div)."""
    def action(lib):
        x = lib.tensor([1.5, 2.0, 2.5], dtype=lib.float64, requires_grad=True)
        base = x * 1
        row, element = base.view(1, 3), base[0]
        result = op(lib, row, element)
        element.mul_(2)
        result.sum().backward()
    assert_raises_like_torch(action)


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_along_dim_of_a_zero_dim_tensor_is_no_view(name):
    """(fuzz seed 122825) a 0-d tensor's min(dim) is MinBackward0's own output, not a view of it:
    writing it (``v[...] = t``, torch's copy_) names its CopyBackwards node, as torch's."""
    def action(lib):
        x = lib.tensor(-0.8, dtype=lib.float64, requires_grad=True)
        values = getattr(x, name)(-1).values
        result = values.cos()
        values[...] = lib.tensor(2.0, dtype=lib.float64)
        (result + values).backward()
    assert_raises_like_torch(action)


@pytest.mark.parametrize("data", [0.5, [0.5, -1.0, 2.0]])
@pytest.mark.parametrize("name", ["max", "min", "sort"])
def test_indices_written_in_place_stop_backward_as_torch(name, data):
    """max(dim)/min(dim) save their indices as torch's nodes do; an integer output has no node to
    name in the error."""
    def action(lib):
        x = lib.tensor(data, dtype=lib.float64, requires_grad=True)
        values, indices = getattr(x, name)(0)
        indices.add_(0)
        values.sum().backward()
    assert_raises_like_torch(action)


WRITES_OF_SAVED_TENSORS = {
    # an in-place op that saves its output saves the written tensor: writing it again is refused
    "exp_ then relu_": lambda x: x.clone().exp_().relu_(),
    "sigmoid_ twice": lambda x: x.clone().sigmoid_().sigmoid_(),
    # of a view: torch names the view's node then, its regenerated AsStrided, while an op that
    # read the view holds it (fuzz seed 105411), else (gone) the op's own
    "exp_ of a view then relu_": lambda x: x.clone()[1:].exp_().relu_(),
    "exp_ of a view, read, then relu_": lambda x: _read_between(x.clone()[1:]),
    "sigmoid_ of a view, then of its base": lambda x: _written_twice(x.clone()),
    "pow_ into a float32 tensor, then mul_": lambda x: x.float().pow_(x).mul_(2),
    # ``x.mul_(x)`` saves a copy of x as ``self`` but x itself as ``other``, which the write changes
    "mul_ by itself": lambda x: _itself(x, "mul_"),
    "pow_ by itself": lambda x: _itself(x, "pow_"),
    # cumprod and prod save their result too
    "cumprod then log_": lambda x: x.cumprod(0).log_(),
    # a 0-d cumprod saves the 0-d tensor itself (fuzz seed 100214: a write through x[None] names it)
    "cumprod of a 0-d tensor written through a view": lambda x: _cumprod_of_written(x[0] * 1),
    "prod over a dim of a 0-d tensor, then written": lambda x: x.prod().prod(0).mul_(2),
    # an int tensor cast for ``int * float`` is saved as itself: writing it stops backward
    "int factor written": lambda x: _int_factor_written(x),
    # floor_divide has no derivative; in place, torch names floor_divide_
    "//= then backward": lambda x: _floor_divided(x),
    # a number % a tensor has no derivative in torch
    "number % tensor": lambda x: 2.5 % x,
}


def _int_factor_written(x):
    factor = x.detach().long()
    KEPT.append(factor)
    product = factor * x
    factor.add_(1)
    return product


def _cumprod_of_written(element):
    product = element.cumprod(-1)
    element[None] = 2.0
    KEPT.append(element)
    return product


def _read_between(view):
    view.exp_()
    KEPT.append(view * 2)
    return view.relu_()


def _written_twice(base):
    base[1:].sigmoid_()
    return base.mul_(2)


def _floor_divided(x):
    y = x.clone()
    y //= 2
    return y
KEPT = []


def _itself(x, op):
    """``y.op(y)``; ``y`` kept alive, as torch's message names its maker (minigrad's, weakly held)."""
    y = x.clone()
    KEPT.append(y)
    return getattr(y, op)(y)


@pytest.mark.parametrize("write", WRITES_OF_SAVED_TENSORS.values(), ids=WRITES_OF_SAVED_TENSORS.keys())
def test_in_place_write_of_a_saved_tensor_raises_like_torch(write):
    def action(lib):
        x = lib.tensor([0.5, 1.5, 2.5], dtype=lib.float64, requires_grad=True)
        write(x).sum().backward()
    assert_raises_like_torch(action)


def test_an_input_no_gradient_needs_is_not_saved_as_torch():
    """hypot's gradient for ``x`` needs ``x`` and the result only: writing the other input is fine."""
    def run(lib):
        other = lib.tensor([3], dtype=lib.int16)
        x = lib.tensor([4.0], dtype=lib.float64, requires_grad=True)
        y = lib.hypot(other, x)
        other.add_(1)
        y.sum().backward()
        return x.grad.tolist()
    assert run(minigrad) == run(torch)


@pytest.mark.parametrize("input_shape", [(2,), (3, 2), (2, 3, 2)])
def test_linear_saves_only_what_the_gradients_asked_for_need_as_torch(input_shape):
    """fuzz seeds 158937, 174681: torch's mm saves the input for the weight's gradient only, the
    weight for the input's only: a write to the one no gradient needs leaves backward working."""
    def run(lib, needs_input):
        x = lib.ones(input_shape, dtype=lib.float64, requires_grad=needs_input)
        weight = lib.tensor([[0.5, -2.0], [1.5, 3.0]], dtype=lib.float64, requires_grad=not needs_input)
        inputs = [x * 1, weight * 1]
        result = lib.nn.functional.linear(*inputs)
        inputs[0 if needs_input else 1].mul_(2)     # the side whose gradient is asked for: not saved
        result.sum().backward()
        return (x if needs_input else weight).grad.tolist()
    for needs_input in (True, False):
        assert run(minigrad, needs_input) == run(torch, needs_input)


# inputs torch's node saves though minigrad's formula does not read them (the gradient is zeros,
# or other arrays stand for them): a write to one stops backward all the same, before the formula
def _written_after(op, *inputs):
    """``op(*inputs)``, then every input that is no leaf written in place (a leaf needing a
    gradient may not be); the inputs kept alive, as torch's message names their makers."""
    KEPT.append(inputs)
    result = op(*inputs)
    for tensor in inputs:
        if not (tensor.requires_grad and tensor.is_leaf):
            tensor.mul_(2)
    return result


def _through_constant(x, op, *others):
    """``op(constant, *others)`` with a constant input (no gradient) that torch saves all the same."""
    return _written_after(op, x.detach() + 1, *others)


SAVED_BUT_UNREAD = {
    "layer_norm input": lambda lib, x: _written_after(
        lambda a: lib.nn.functional.layer_norm(a, (3,)), x.clone()),
    "layer_norm input of the weight's gradient": lambda lib, x: _through_constant(
        x, lambda a, w: lib.nn.functional.layer_norm(a, (3,), w), x),
    "layer_norm bias": lambda lib, x: _written_after(
        lambda w, b: lib.nn.functional.layer_norm(w.detach(), (3,), w, b), x, x.clone()),
    "div trunc other": lambda lib, x: _through_constant(
        x, lambda b, a: lib.div(a, b, rounding_mode="trunc"), x),
    "div floor self, other needing a gradient": lambda lib, x: _through_constant(
        x, lambda a, b: lib.div(a, b, rounding_mode="floor"), x),
    "masked_select self": lambda lib, x: _written_after(
        lambda a: lib.masked_select(a, a > 1), x.clone()),
    "gather self": lambda lib, x: _written_after(
        lambda a: lib.gather(a, 0, lib.tensor([2, 0])), x.clone()),
    "conv1d input": lambda lib, x: _through_constant(
        x, lambda a, w: lib.nn.functional.conv1d(a.view(1, 1, 3), w.view(1, 1, 3)), x),
    "conv_transpose1d input": lambda lib, x: _through_constant(
        x, lambda a, w: lib.nn.functional.conv_transpose1d(a.view(1, 1, 3), w.view(1, 1, 3)), x),
}


def _index_written(lib, x, op, index):
    """``op(x * 1, index)``, then ``index`` written in place: torch's node saved it."""
    KEPT.append(index)
    result = op(x * 1, index)
    index.fill_(0)
    return result


# the indices, masks and conditions torch's nodes save (no gradient flows to them)
SAVED_CONSTANTS = {
    "bool mask index": lambda lib, x: _index_written(
        lib, x, lambda a, m: a[m], lib.tensor([True, False, True])),
    "int index": lambda lib, x: _index_written(lib, x, lambda a, i: a[i], lib.tensor([2, 0])),
    "index_put": lambda lib, x: _index_written(lib, x, _index_put, lib.tensor([True, False, True])),
    "gather index": lambda lib, x: _index_written(
        lib, x, lambda a, i: lib.gather(a, 0, i), lib.tensor([2, 1])),
    "scatter index": lambda lib, x: _index_written(
        lib, x, lambda a, i: a.scatter(0, i, 1.0), lib.tensor([2, 1])),
    "index_select index": lambda lib, x: _index_written(
        lib, x, lambda a, i: a.index_select(0, i), lib.tensor([2, 1])),
    "masked_fill mask": lambda lib, x: _index_written(
        lib, x, lambda a, m: a.masked_fill(m, 1.0), lib.tensor([True, False, False])),
    "masked_select mask": lambda lib, x: _index_written(
        lib, x, lambda a, m: lib.masked_select(a, m), lib.tensor([True, False, True])),
    "where condition": lambda lib, x: _index_written(
        lib, x, lambda a, c: lib.where(c, a, 0.0), lib.tensor([True, False, True])),
}


def _index_put(a, mask):
    a[mask] = 5.0
    return a


def test_saved_versions_are_checked_before_the_formula_runs_as_torch():
    """floor_divide's node raises "not implemented"; a later node that saved its result is
    unpacked first, so torch names the in-place write (layer_norm saved the quotient)."""
    def action(lib):
        x = lib.tensor([-0.6, -0.2, -0.5], dtype=lib.float64, requires_grad=True)
        quotient = lib.tensor([7, 3, 9]) // x
        KEPT.append(quotient)
        normalized = lib.nn.functional.layer_norm(quotient, (3,))
        quotient.fill_(0.5)
        normalized.amin().backward()
    assert_raises_like_torch(action)


def test_a_node_that_saved_only_an_index_frees_it_after_backward_as_torch():
    def action(lib):
        x = lib.tensor([0.5, 1.5, 2.5], dtype=lib.float64, requires_grad=True)
        y = (x * 1)[lib.tensor([2, 0])]
        y.sum().backward(retain_graph=False)
        y.sum().backward()
    assert_raises_like_torch(action)


SAVED_BY_TORCH = {**SAVED_BUT_UNREAD, **SAVED_CONSTANTS}


@pytest.mark.parametrize("write", SAVED_BY_TORCH.values(), ids=SAVED_BY_TORCH.keys())
def test_in_place_write_of_an_input_or_index_torch_saves_raises_like_torch(write):
    def action(lib):
        x = lib.tensor([0.5, 1.5, 2.5], dtype=lib.float64, requires_grad=True)
        write(lib, x).sum().backward()
    assert_raises_like_torch(action)


def test_rounding_div_saves_self_only_for_the_divisors_gradient_as_torch():
    def run(lib):
        x = lib.tensor([4.0, 5.0], dtype=lib.float64, requires_grad=True)
        numerator = x * 1
        quotient = lib.div(numerator, lib.tensor([2.0, 3.0], dtype=lib.float64), rounding_mode="floor")
        numerator.add_(1)          # not saved: the divisor needs no gradient
        quotient.sum().backward()
        return x.grad.tolist()
    assert run(minigrad) == run(torch)


def test_logaddexp_does_not_save_its_result_as_torch():
    def run(lib):
        x = lib.tensor([0.5, -1.0], dtype=lib.float64, requires_grad=True)
        y = lib.logaddexp(x, lib.tensor([1.0, 2.0], dtype=lib.float64))
        y[0:1] = 0.8          # torch's node saved the inputs only
        y.sum().backward()
        return x.grad.tolist()
    assert run(minigrad) == run(torch)


# ---- views torch refuses to write ----------------------------------------------------------
@pytest.mark.parametrize("split", ["split", "split_sizes", "chunk", "unbind"])
def test_inplace_on_an_output_of_a_multi_view_op_raises_like_torch(split):
    makers = {"split": lambda b: b.split(2), "split_sizes": lambda b: b.split([2, 4]),
              "chunk": lambda b: b.chunk(3), "unbind": lambda b: b.view(3, 2).unbind(0)}

    def action(lib):
        base = lib.ones(6, requires_grad=True).clone()
        makers[split](base)[1].mul_(2)
    assert_raises_like_torch(action)


@pytest.mark.parametrize("view", ["select", "slice", "view", "t", "unsqueeze", "setitem"])
def test_inplace_on_a_view_of_an_output_of_a_multi_view_op_raises_like_torch(view):
    makers = {"select": lambda u: u[0].mul_(2), "slice": lambda u: u[0:1].mul_(2),
              "view": lambda u: u.view(3).mul_(2), "t": lambda u: u.t().mul_(2),
              "unsqueeze": lambda u: u.unsqueeze(0).mul_(2),
              "setitem": lambda u: u.__setitem__((None, 0), 5.0)}

    def action(lib):
        piece = lib.ones(2, 3, requires_grad=True).clone().unbind(0)[0]
        makers[view](piece)
    assert_raises_like_torch(action)


@pytest.mark.parametrize("key", ["slice and mask", "slice and list", "slice", "int"])
@pytest.mark.parametrize("base_requires_grad", [False, True])
def test_setitem_of_a_value_needing_grad_into_a_piece_of_chunk_raises_like_torch(key, base_requires_grad):
    """torch writes into a view of the piece (``piece[0:1]``): one with no node, as the piece needs
    no gradient, is "created in no_grad mode"; one with a node is named by it (fuzz seed 107982)."""
    keys = {"slice and mask": (slice(-1, 0, 3), minigrad.tensor([False, False, False])),
            "slice and list": (slice(0, 1), [0, 2]), "slice": (slice(0, 1), slice(None)), "int": 0}

    def action(lib):
        key = keys[key_name]
        if isinstance(key, tuple):
            key = tuple(lib.tensor(item.tolist()) if isinstance(item, minigrad.Tensor) else item for item in key)
        base = lib.tensor([[1.0, -0.5, 0.6]], requires_grad=base_requires_grad) * 1
        piece = base.chunk(1, -2)[-1]
        piece[key] = lib.tensor([0.25], requires_grad=True)
    key_name = key
    assert_raises_like_torch(action)


@pytest.mark.parametrize("key", ["unsqueeze", "slice", "select"])
@pytest.mark.parametrize("then", ["sigmoid_", "read"])
def test_a_view_written_through_a_view_of_it_keeps_its_own_stale_node_as_torch(key, then):
    """``view[key] = value`` writes into a view of ``view``: the base takes the write, ``view`` keeps
    its node, None for a view made while nothing needed a gradient: torch's in-place check then
    sees a leaf that requires grad (fuzz seed 170796); read, its history is made anew."""
    keys = {"unsqueeze": (Ellipsis, None, None), "slice": slice(0, 2), "select": 1}

    def action(lib):
        base = lib.tensor([[2.5, -1.0, 0.5]], dtype=lib.float64)
        view = base.transpose(0, 1)
        value = lib.tensor([[0.25]], dtype=lib.float64, requires_grad=True)
        view[keys[key]] = value if key != "select" else value[0]
        if then == "sigmoid_":
            view.sigmoid_()
            return None
        (view * lib.tensor([[1.0], [2.0], [3.0]], dtype=lib.float64)).sum().backward()
        return value.grad.tolist(), view.grad_fn.name(), view.is_leaf
    if then == "sigmoid_":
        assert_raises_like_torch(action)
    else:
        assert action(minigrad) == action(torch)


def test_an_integer_view_written_through_a_view_of_it_with_a_value_needing_grad_needs_none():
    """(fuzz seeds 102677, 101321) an integer tensor takes no gradient: nothing goes stale."""
    def run(lib):
        view = lib.tensor([[2, 0, -1, 4]], dtype=lib.int32).t()
        view[..., 2, 1:1:2] = lib.zeros((0,), dtype=lib.float64, requires_grad=True)
        view.mul_(2)
        return view.requires_grad, view.is_leaf, view.grad_fn, view.tolist()
    assert run(minigrad) == run(torch)


def test_setitem_of_a_value_needing_grad_into_a_bool_piece_of_chunk_is_fine():
    def run(lib):
        piece = lib.tensor([[True, False], [False, True]]).chunk(2, -1)[0]
        piece[1, 0] = lib.tensor(2.0, requires_grad=True)
        return piece.tolist()
    assert run(minigrad) == run(torch)


def test_output_of_split_after_its_base_changed_raises_like_torch():
    def action(lib):
        base = lib.ones(6, requires_grad=True).clone()
        pieces = base.split(2)
        base.mul_(2)
        pieces[1].sum().backward()
    assert_raises_like_torch(action)


REFLECTED_OPERATORS = {
    "+": lambda y, v: y + v, "-": lambda y, v: y - v, "*": lambda y, v: y * v, "/": lambda y, v: y / v,
    "//": lambda y, v: y // v, "%": lambda y, v: y % v, "**": lambda y, v: y ** v,
    # of floats too: torch checks the broadcast before the dtype
    "&": lambda y, v: y & v, "|": lambda y, v: y | v, "^": lambda y, v: y ^ v,
}


@pytest.mark.parametrize("restricted", [False, True], ids=["slice", "unbind"])
@pytest.mark.parametrize("operator", REFLECTED_OPERATORS)
def test_a_stale_view_on_the_right_of_an_operator_keeps_torchs_operand_order(operator, restricted):
    """A stale view is a subclass to Python, whose reflected method is asked first (fuzz seed
    3049796: ``y ^ view`` named the operands of the broadcast error swapped); a view that may not
    be made anew still raises its own error first, as torch's."""
    def action(lib):
        base = lib.ones(2, 3, requires_grad=True).clone()
        view = base.unbind(0)[0] if restricted else base[:, 0:2]
        base.mul_(2)
        REFLECTED_OPERATORS[operator](lib.ones(4), view)
    assert_raises_like_torch(action)


COMPARISONS = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
               "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


@pytest.mark.parametrize("view_on_the_right", [True, False], ids=["y-op-view", "view-op-y"])
@pytest.mark.parametrize("operator", COMPARISONS)
def test_a_stale_view_in_a_comparison_keeps_torchs_operand_order(operator, view_on_the_right):
    """CPython asks a subclass's reflected comparison first whatever the operands' order (``y <= view``
    and ``view >= y`` are both ``view.__ge__(y)``): the broadcast error names the operands as written
    (fuzz seeds 2431278, 4082431), and a comparison that broadcasts gives torch's values."""
    def action(lib):
        base = lib.ones(2, 3, requires_grad=True).clone()
        view = base[:, 0:2]
        base.mul_(2)
        y = lib.ones(4)
        return COMPARISONS[operator](y, view) if view_on_the_right else COMPARISONS[operator](view, y)
    assert_raises_like_torch(action)

    def program(lib):
        base = lib.arange(6.0, requires_grad=True).reshape(2, 3).clone()
        view = base[:, 0:2]
        base.mul_(2)
        y = lib.tensor([2.0, 3.0])
        result = COMPARISONS[operator](y, view) if view_on_the_right else COMPARISONS[operator](view, y)
        return result.tolist(), len({view, y})       # (a stale view hashes as a tensor)
    assert_same(program)


def test_a_stale_view_on_the_right_of_an_operator_with_a_number_is_reflected():
    def program(lib):
        x = lib.arange(6.0, dtype=lib.float64, requires_grad=True)
        base = x.clone()
        view = base[1:4]
        base.mul_(2)
        out = (2 - view) * (3 / view) + 2 ** view
        out.sum().backward()
        return out.tolist(), x.grad.tolist()
    assert_same(program)


def test_outputs_of_split_without_a_graph_may_be_written():
    for lib in (torch, minigrad):
        base = lib.arange(6.0)
        pieces = base.split(2)
        pieces[1].mul_(10)
        assert base.tolist() == [0.0, 1.0, 20.0, 30.0, 4.0, 5.0]
        with lib.no_grad():
            graph_base = lib.ones(4, requires_grad=True).clone()
            graph_base.split(2)[0].add_(1)
        assert graph_base.tolist() == [2.0, 2.0, 1.0, 1.0]


EXPANDED_WRITES = {
    "mul_": lambda lib, e: e.mul_(2), "add_": lambda lib, e: e.add_(1),
    "exp_": lambda lib, e: e.exp_(), "clamp_": lambda lib, e: e.clamp_(0, 1),
    "copy_": lambda lib, e: e.copy_(lib.ones(3, 2)), "uniform_": lambda lib, e: e.uniform_(),
    "setitem_column": lambda lib, e: e.__setitem__((slice(None), 1), 5.0),
    # fill_ with a tensor (and x[...] = number, which is that) refuses; with a number it writes
    "fill_tensor": lambda lib, e: e.fill_(lib.tensor(7.0)),
    "setitem_all": lambda lib, e: e.__setitem__(Ellipsis, 5.0),
    # torch writes these through to the expanded tensor's memory
    "fill_": lambda lib, e: e.fill_(7.0), "zero_": lambda lib, e: e.zero_(),
    "setitem_row": lambda lib, e: e.__setitem__(0, 5.0),
    "setitem_row_tensor": lambda lib, e: e.__setitem__(1, lib.tensor([8.0, 9.0])),
}


@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("write", EXPANDED_WRITES)
def test_inplace_on_an_expanded_tensor_matches_torch(write, requires_grad):
    def action(lib):
        base = lib.tensor([[1.0, 2.0]], requires_grad=requires_grad).clone()
        EXPANDED_WRITES[write](lib, base.expand(3, 2))
        return base.tolist()
    outcomes = []
    for lib in (torch, minigrad):
        try:
            outcomes.append(action(lib))
        except RuntimeError as error:
            outcomes.append(str(error))
    assert outcomes[1] == outcomes[0]


def test_detach_in_place_on_a_view_raises_like_torch():
    def action(lib):
        base = lib.ones(3, requires_grad=True).clone()
        base[:2].detach_()
    assert_raises_like_torch(action)


def test_view_of_a_leaf_written_in_place_raises_like_torch():
    def action(lib):
        leaf = lib.ones(3, requires_grad=True)
        leaf[1:].mul_(2)
    assert_raises_like_torch(action)


# ---- fill_ with a tensor ----------------------------------------------------------------
def test_fill_with_a_tensor_that_has_dims_raises_like_torch():
    assert_raises_like_torch(lambda lib: lib.zeros(3).fill_(lib.tensor([1.0])))
    assert_raises_like_torch(lambda lib: lib.zeros(3).fill_(lib.tensor([[1.0]])))


def test_fill_with_a_zero_dim_tensor_passes_its_gradient():
    def program(lib, x, w):
        base = x * 1
        base.fill_(w[1, 2])
        return base
    check(program)


# ---- hooks may not change a gradient's size or dtype ----------------------------------------
@pytest.mark.parametrize("on", ["leaf", "non_leaf"])
@pytest.mark.parametrize("change", ["size", "dtype"])
def test_hook_that_changes_the_gradient_raises_like_torch(on, change):
    def replace_grad(grad):
        return grad[:2] if change == "size" else grad.float()

    def action(lib):
        x = lib.ones(3, dtype=lib.float64, requires_grad=True)
        watched = x if on == "leaf" else x * 2
        watched.register_hook(replace_grad)
        (watched * 3).sum().backward()
    assert_raises_like_torch(action)


def test_hook_that_returns_the_same_size_and_dtype_is_used():
    results = {}
    for lib in (torch, minigrad):
        x = lib.ones(3, dtype=lib.float64, requires_grad=True)
        x.register_hook(lambda grad: grad * 10)
        (x * 3).sum().backward()
        results[lib] = x.grad.tolist()
    assert results[minigrad] == results[torch]


# ---- views made in no_grad mode ------------------------------------------------------------
def test_inplace_on_a_view_made_in_no_grad_mode_raises_like_torch():
    def action(lib):
        base = lib.ones(3, requires_grad=True).clone()
        with lib.no_grad():
            view = base[0:2]
        view.mul_(2)
    assert_raises_like_torch(action)


def test_view_made_in_no_grad_mode_after_its_base_changed_raises_like_torch():
    def action(lib):
        base = lib.ones(3, requires_grad=True).clone()
        with lib.no_grad():
            view = base[0:2]
        base.mul_(2)
        (view * 3).sum().backward()
    assert_raises_like_torch(action)


def test_views_made_and_written_in_no_grad_mode_are_fine():
    results = {}
    for lib in (torch, minigrad):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        base = x * 1
        with lib.no_grad():
            base[0:2].mul_(10)
        (base * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        results[lib] = (base.tolist(), x.grad.tolist())
    assert results[minigrad] == results[torch]


# ---- an in-place op may not read part of the memory it writes -----------------------------
OVERLAPPING_READS = {
    "add_transposed": lambda lib, b: b.add_(b.t()),
    "add_row": lambda lib, b: b.add_(b[0]),
    "add_element": lambda lib, b: b.add_(b[0, 0]),
    "mul_shifted": lambda lib, b: b.view(9)[1:].mul_(b.view(9)[:-1]),
    "copy_shifted": lambda lib, b: b.view(9)[1:].copy_(b.view(9)[:-1]),
    "copy_transposed": lambda lib, b: b.copy_(b.t()),
    "clamp_min_tensor": lambda lib, b: b.clamp_(min=b[0]),
    "addcmul_": lambda lib, b: b.addcmul_(b[1], b[2]),
    "lerp_": lambda lib, b: b.lerp_(b.t(), 0.5),
    "remainder_": lambda lib, b: b.remainder_(b[2] + 0).add_(b.t()),
    "add_same_memory_other_strides": lambda lib, b: b.view(1, 9).add_(b.view(9)),
    # torch tells only for dense layouts: a strided read it lets through, so its shape error shows
    "mul_strided_column": lambda lib, b: b[:, :2].mul_(b[:, 2]),
    "add_strided_columns": lambda lib, b: b[:, :2].add_(b[:, 1:]),
    # reading exactly what is written, or a disjoint part, is fine
    "add_self": lambda lib, b: b.add_(b),
    "add_same_memory_other_tensor": lambda lib, b: b.add_(b.view(9).view(3, 3)),
    "add_disjoint_rows": lambda lib, b: b[:1].add_(b[1:2]),
}


@pytest.mark.parametrize("write", OVERLAPPING_READS)
def test_inplace_op_reading_part_of_its_target_matches_torch(write):
    outcomes = []
    for lib in (torch, minigrad):
        base = lib.arange(9.0).view(3, 3) + 1
        try:
            OVERLAPPING_READS[write](lib, base)
            outcomes.append(base.tolist())
        except RuntimeError as error:
            outcomes.append(str(error))
    assert outcomes[1] == outcomes[0]


# ---- regeneration is lazy, as torch's ------------------------------------------------------
STALE_VIEW_WRITES = {
    "neg_": lambda lib, row: row.neg_(),
    "sigmoid_": lambda lib, row: row.sigmoid_(),
    "relu inplace": lambda lib, row: lib.nn.functional.relu6(row, inplace=True),
    "mul_": lambda lib, row: row.mul_(2),
    "*=": lambda lib, row: row.__imul__(2),
    "setitem": lambda lib, row: row.__setitem__(Ellipsis, 2.0),
    "fill_": lambda lib, row: row.fill_(2.0),
    "scatter_": lambda lib, row: row.scatter_(0, lib.tensor([0]), 2.0),
}


@pytest.mark.parametrize("asked", [False, True])
@pytest.mark.parametrize("write", STALE_VIEW_WRITES)
def test_a_view_whose_base_took_a_history_later_is_a_leaf_until_its_own_is_asked_as_torch(write, asked):
    """fuzz seeds 104535, 106474: torch's in-place check reads the view's node as it is, not made anew:
    a view taken before its base (a leaf needing no gradient) was written with a value that needs
    one is a leaf that requires grad, refused, until something asks for its history."""
    outcomes = []
    for lib in (torch, minigrad):
        base = lib.zeros(2, 3)
        row = base[1]
        base[0] += lib.ones(3, requires_grad=True)
        if asked:
            row.grad_fn
        try:
            STALE_VIEW_WRITES[write](lib, row)
            outcomes.append(("ok", row.grad_fn.name()))
        except RuntimeError as error:
            outcomes.append(str(error))
    assert outcomes[1] == outcomes[0]


def test_views_are_regenerated_only_when_used(monkeypatch):
    from minigrad.ops import views
    made = []
    original = views.ViewOf.apply.__func__

    def counting_apply(cls, *args, **kwargs):
        made.append(1)
        return original(cls, *args, **kwargs)
    monkeypatch.setattr(views.ViewOf, "apply", classmethod(counting_apply))
    x = minigrad.randn(100, 4, requires_grad=True)
    base = x * 1
    rows = [base[i] for i in range(100)]
    for i in range(100):
        base[i] = x[i] * i          # each write would otherwise remake all 100 rows' histories
    assert len(made) == 0
    (rows[3] * 2).sum().backward()
    assert len(made) == 1
    assert x.grad[3].tolist() == [6.0] * 4 and x.grad.sum().item() == 6.0 * 4
    assert rows[3].grad_fn.name() == "AsStridedBackward0"


# ---- restricted views (outputs of split/unbind, views made in no_grad mode) ----------------
# torch has no history to regenerate for them: asking for one raises, wherever it is asked
RESTRICTED_USES = {
    "grad_fn": lambda lib, piece: piece.grad_fn,
    "is_leaf": lambda lib, piece: piece.is_leaf,
    "retain_grad": lambda lib, piece: piece.retain_grad(),
    "an op in a graph": lambda lib, piece: piece + 1,
    "grad_fn under no_grad": lambda lib, piece: _under_no_grad(lib, lambda: piece.grad_fn),
}


def _under_no_grad(lib, action):
    with lib.no_grad():
        return action()


@pytest.mark.parametrize("use", RESTRICTED_USES)
@pytest.mark.parametrize("split", ["split", "unbind"])
def test_restricted_view_after_its_base_changed_raises_when_its_history_is_asked(split, use):
    def action(lib):
        base = lib.ones(2, 3, requires_grad=True) * 1
        piece = base.split(1)[0] if split == "split" else base.unbind(0)[1]
        base.mul_(2)
        RESTRICTED_USES[use](lib, piece)
    assert_raises_like_torch(action)


# torch's autograd kernel asks for the piece's history before the op checks its arguments (fuzz
# seed 2641: roll of a 0-d piece); ops torch composes of others check theirs first
BAD_ARGUMENTS = {
    "roll": lambda piece: piece.roll(1, 0),
    "sum": lambda piece: piece.sum(5),
    "unsqueeze": lambda piece: piece.unsqueeze(4),
    "transpose": lambda piece: piece.transpose(3, 4),
    "view": lambda piece: piece.view(5),
    "softmax": lambda piece: piece.softmax(3),
    "std": lambda piece: piece.std(5),
    "movedim (composite)": lambda piece: piece.movedim(3, 0),
    "index (composite)": lambda piece: piece[3],
    "matmul (composite)": lambda piece: piece.matmul(piece),
}


@pytest.mark.parametrize("op", BAD_ARGUMENTS)
def test_restricted_view_after_its_base_changed_given_bad_arguments_raises_like_torch(op):
    def action(lib):
        base = lib.ones(3, requires_grad=True) * 1
        piece = base.unbind(0)[0]
        base[1] = 5
        BAD_ARGUMENTS[op](piece)
    assert_raises_like_torch(action)


def test_restricted_view_after_its_base_changed_given_bad_arguments_without_a_graph_raises_like_torch():
    def action(lib):
        base = lib.ones(3, requires_grad=True) * 1
        piece = base.unbind(0)[0]
        base[1] = 5
        with lib.no_grad():
            piece.roll(1, 0)
    assert_raises_like_torch(action)


def test_restricted_view_after_its_base_changed_still_works_without_a_graph():
    for lib in (torch, minigrad):
        base = lib.ones(2, 3, requires_grad=True) * 1
        piece = base.split(1)[0]
        base.mul_(2)
        with lib.no_grad():
            assert (piece + 1).tolist() == [[3.0, 3.0, 3.0]]
        assert piece.requires_grad and piece.detach().tolist() == [[2.0, 2.0, 2.0]]
        assert repr(piece) == "tensor([[2., 2., 2.]], grad_fn=<Invalid>)"


RESTRICTED_WRITES = {
    # the restriction comes before "a view of a leaf"
    "split of a leaf": lambda lib, w: lib.ones(2, 3, requires_grad=True).split(1)[0].mul_(2),
    "unbind of a leaf": lambda lib, w: lib.ones(2, 3, requires_grad=True).unbind(0)[0].zero_(),
    # a piece of a tensor that needs no gradient, written with one that does (torch's check
    # looks at all the op's inputs): named as a view made in no_grad mode, before the dtype check
    "piece of a constant": lambda lib, w: lib.ones(2, 3).split(1)[0].add_(w),
    "int piece of a constant": lambda lib, w: lib.ones(2, 3, dtype=lib.int8).split(1)[0].pow_(w),
    # a view of such a piece is restricted too (torch propagates the creation meta)
    "view of a piece": lambda lib, w: lib.ones(2, 3).chunk(1, 1)[0].permute(1, 0).add_(w.t()),
}


def test_copy_into_an_integer_piece_is_not_recorded_so_not_refused_as_torch():
    """torch's copy_ records no write into integers, so the restriction does not apply (its other
    in-place ops, ``int_piece.pow_(w)`` above, ask the inputs only)."""
    for lib in (torch, minigrad):
        base = lib.tensor([[1, 2], [3, 4]])
        piece = base.split(1)[0]
        piece.copy_(lib.tensor([[1.5, 2.5]], requires_grad=True))
        piece[0:1, :] = lib.tensor([[7.0, 8.0]], requires_grad=True)
        assert base.tolist() == [[7, 8], [3, 4]] and not piece.requires_grad


@pytest.mark.parametrize("write", RESTRICTED_WRITES)
def test_write_to_a_restricted_view_raises_like_torch(write):
    assert_raises_like_torch(lambda lib: RESTRICTED_WRITES[write](
        lib, lib.ones(1, 3, requires_grad=True)))


@pytest.mark.parametrize("write", [
    lambda view, w: view.__setitem__(slice(1, 1), w[0, 0]),               # nothing written (seed 128134)
    lambda view, w: view.__setitem__((1, 0), w[0, 1:3]),                  # one copy of a row (154669)
    lambda view, w: view.__setitem__((0, slice(0, 2), 0), w[1, 0:2]),
])
def test_a_write_into_a_view_that_repeats_elements_reads_each_element_once(write):
    # expand's copies of an element are one element: the written ones take their gradient from the
    # value written, the others pass theirs to the base once (torch's CopySlices), where adding
    # the copies' gradients up (as a plain expand does) gave twice torch's
    def program(lib, x, w):
        base = (x * 2).clone()
        view = base.expand(2, 3, 4)[..., 1:3]
        write(view, w)
        return view * 3, base
    check(program)


@pytest.mark.parametrize("key", [(None, slice(1, 1)), (slice(0, 1),)])
def test_a_saved_view_written_through_a_view_of_it_then_read_names_the_op_as_torch(key):
    """(fuzz seed 118806) pow_ saved the view it wrote; a write through a view of that view leaves
    it stale, and reading it drops its old node: torch's error then names Pow, not AsStrided."""
    def action(lib):
        x = lib.tensor([0.5, 1.5, 2.5], dtype=lib.float64, requires_grad=True)
        view = (x * 1)[1:]
        view **= lib.tensor([-3], dtype=lib.int8)
        view[key] = -1.5
        (view * 2).sum().backward()
    assert_raises_like_torch(action)


@pytest.mark.parametrize("key", [slice(1, 1), slice(0, 1), 0], ids=["empty", "slice", "select"])
@pytest.mark.parametrize("write", [
    lambda lib, view: view.masked_fill_(view > 0, 0.0),
    lambda lib, view: view.mul_(2),
    lambda lib, view: view.fill_(3.0),
    lambda lib, view: view.__setitem__(0, 1.0),
    lambda lib, view: view.add_(lib.ones((), dtype=lib.float64, requires_grad=True)),
], ids=["masked_fill_", "mul_", "fill_", "setitem", "add_"])
def test_an_expanded_view_written_through_a_view_of_it_is_no_leaf_to_the_next_write_as_torch(key, write):
    """(fuzz seed 1742352) ``view[key] = v`` into an ``expand`` view writes into a view of it: the
    write reads the base, not the view's ExpandBackward node, yet torch's view keeps that node
    (stale), so it is no leaf: the next in-place write is allowed (minigrad had let the node go,
    and refused it: "a leaf Variable that requires grad is being used in an in-place operation")."""
    def action(lib):
        x = lib.tensor([[0.5, -1.0, 2.0], [1.5, -0.5, 0.25]], dtype=lib.float64, requires_grad=True)
        view = (x * 1).expand(2, 2, 3)
        view[key] = lib.zeros(view[key].shape, dtype=lib.float64, requires_grad=True)
        write(lib, view)      # (nothing may read view's history before: that would make it anew)
        (view * lib.arange(12, dtype=lib.float64).reshape(2, 2, 3)).sum().backward()
        return view.grad_fn.name(), view.tolist(), x.grad.tolist()
    assert_same(action)


def test_a_piece_of_chunk_read_after_its_base_was_written_raises_as_torch():
    # the rest of fuzz seed 1742352: torch refuses only when the piece's history is read
    def action(lib):
        x = lib.tensor([[0.5, -1.0, 2.0], [1.5, -0.5, 0.25]], dtype=lib.float64, requires_grad=True)
        base = x * 1
        view = base.expand(2, 2, 3)
        view[1:1] = lib.zeros((0, 2, 3), dtype=lib.float64, requires_grad=True)
        view.masked_fill_(view > 0, 0.0)
        piece = base.chunk(1, 1)[-1]
        base.zero_()
        piece.grad_fn
    assert_raises_like_torch(action)


@pytest.mark.parametrize("write", [
    lambda view: view.masked_fill_(view > 100, 0.0),          # the whole view: torch refuses in backward
    lambda view: view.__setitem__(view > 100, 0.0),
])
def test_backward_through_a_write_into_a_whole_view_that_repeats_elements_raises_as_torch(write):
    # torch's CopySlices copies the write's gradient back into the view, whose copies of an element
    # are one memory location: "more than one element of the written-to tensor refers to a single
    # memory location" (fuzz seeds 156104, 158239), not a version error met later
    def action(lib):
        x = lib.tensor([0.5, -1.5, 2.0], dtype=lib.float64, requires_grad=True)
        view = (x ** 2).expand(2, 3)
        write(view)
        (view * lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=lib.float64)).sum().backward()
    assert_raises_like_torch(action)


@pytest.mark.parametrize("key", [
    lambda lib: (Ellipsis, None, lib.tensor([False, False, False])),   # writes nothing (fuzz seed 121733)
    lambda lib: (lib.tensor([0]), slice(1, None)),                    # writes one copy of each element
    lambda lib: (slice(0, 1), lib.tensor([0, 2])),                    # a view of one row: no repeats
    lambda lib: (lib.tensor(1), lib.tensor([1])),
], ids=["empty mask", "index then slice", "one row", "0-d index"])
def test_backward_through_x_key_assignment_into_a_view_of_an_expanded_view_raises_as_torch(key):
    """torch's ``x[key] = v`` writes into the key's view of x (its slices, ints and Nones, the dims
    its index tensors index kept whole): its CopySlices refuses in backward where that view repeats
    elements, whatever the write changed, before the saved tensor it changed is checked."""
    def action(lib):
        x = lib.tensor([0.5, -1.5, 2.0], dtype=lib.float64, requires_grad=True)
        base = x.exp()                                 # saves its output, which the write changes
        view = base[None].expand(2, 3)
        view[key(lib)] = 0.25
        (view * lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=lib.float64)).sum().backward()
    assert_raises_like_torch(action)


def test_a_write_into_an_empty_expanded_view_repeats_nothing():
    # expand to a size-0 dim: no element is repeated, so backward goes on (fuzz seed 129113)
    def program(lib, x, w):
        base = (x * 2)[:, :1]
        view = base.expand(3, 0)
        view.exp_()
        return base * w[:, :1], view
    check(program)


@pytest.mark.parametrize("variant", ["piece used", "no piece", "piece unused", "view"])
def test_the_saved_tensor_error_names_the_views_old_node_only_while_torchs_lives(variant):
    """fuzz seed 104142: a view written twice in place (sigmoid_, then neg_) whose first write saved
    its output.  torch's error names the view's node of the first write (AsStrided) while something
    other than the second write refers to it (a piece taken of the view in between, not used again),
    else the node that saved it (Sigmoid): the piece used again makes its own history anew and lets
    go.  minigrad's second write passes its gradient on through that node, so it is not counted."""
    def action(lib):
        x = lib.tensor([1.211, -0.402, 2.942], dtype=lib.float64, requires_grad=True)
        base = lib.softmax(x, -1)
        view = base.view(3) if variant == "view" else base.movedim(0, 0)
        view.sigmoid_()
        piece = None if variant == "no piece" else view[1]
        view.neg_()
        loss = (view * 0.7).sum()
        if variant in ("piece used", "view"):
            loss = loss + (piece * -0.809).sum()
        loss.backward()
    expected_type, expected = torch_message(action)
    with pytest.raises(expected_type) as caught:
        action(minigrad)
    assert str(caught.value) == expected


def test_a_write_through_a_detached_alias_makes_the_views_history_anew():
    """fuzz seed 315059: ``x.detach()`` shares x's memory and version; writing through it makes torch's
    views of x make their history anew, so a view's retained gradient is that of its new node (None:
    the loss was built from the old one), and its node is AsStrided."""
    def action(lib):
        x = lib.ones(2, 3, dtype=lib.float64, requires_grad=True)
        row = x[lib.tensor(1)]
        doubled = row * 2
        alias = x.detach()
        alias[0] = 5.0
        row.retain_grad()
        doubled.sum().backward()
        return row.grad, type(row.grad_fn).__name__ if lib is torch else row.grad_fn.name(), x.grad.tolist()
    assert action(minigrad) == action(torch)


@pytest.mark.parametrize("alias", ["x.detach().detach()", "view.detach().detach()", "view.detach()[1:].detach()",
                                   "x.detach()[:, 1:].detach().detach()"])
def test_a_write_through_a_detached_aliass_detach_makes_the_views_history_anew(alias):
    """fuzz seed 4700533: a detach of a detached alias shares the memory too; a write through it
    left minigrad's views of x their old history (ViewBackward0 over the slice, which then got a
    retained gradient) where torch's make theirs anew (AsStridedBackward0 onto x)."""
    def action(lib):
        x = lib.ones(3, 2, dtype=lib.float64, requires_grad=True)
        sliced = x[1:]
        view = sliced.reshape(2, 2)
        written = eval(alias, {"x": x, "view": view})
        written.fill_(-3.0)
        median = view.median()
        sliced.retain_grad()
        median.backward()
        return sliced.grad, median.grad_fn.next_functions[0][0].name(), x.grad.tolist()
    assert action(minigrad) == action(torch)


@pytest.mark.parametrize("op", ["conv1d", "mul"])
def test_a_saved_view_gone_from_sight_is_named_by_its_new_node_as_torchs(op):
    """fuzz seed 340935: an op saved a view that the program holds no name for (the unsqueezed input
    of an unbatched conv1d, a temporary ``base.unsqueeze(0)``); then the base is written in place.
    torch's node keeps that view alive, and its error names the view's node, made anew: AsStrided."""
    def action(lib):
        x = lib.tensor([0.802, 0.476], dtype=lib.float64, requires_grad=True)
        base = lib.stack([x, x * 2], -2)
        w = lib.tensor([[[-1.5], [2.0]]], dtype=lib.float64, requires_grad=True)
        out = lib.nn.functional.conv1d(base, w, padding=1) if op == "conv1d" else base.unsqueeze(0) * w[0, 0]
        base.sub_(x)
        out.sum().backward()
    expected_type, expected = torch_message(action)
    with pytest.raises(expected_type) as caught:
        action(minigrad)
    assert str(caught.value) == expected
    assert "which is output 0 of AsStrided" in expected


@pytest.mark.parametrize("other_dtype", ["float64", "float16"])
def test_a_views_old_node_read_through_a_promotion_cast_is_gone_as_torchs(other_dtype):
    """fuzz seed 89057: ``v.exp_()`` on a view, then ``v %= y64``: minigrad reads v through a cast to
    float64 (torch casts inside its kernel), and that cast's edge held the view's old node; torch's
    error names Exp, the node that saved the output, as without the cast."""
    def action(lib):
        x = lib.tensor([0.5, 0.25], dtype=lib.float16, requires_grad=True)
        view = x.sum().view(())
        view.exp_()
        view %= lib.tensor(-106.5, dtype=getattr(lib, other_dtype), requires_grad=True)
        (view.double() * 0.4).sum().backward()
    expected_type, expected = torch_message(action)
    with pytest.raises(expected_type) as caught:
        action(minigrad)
    assert str(caught.value) == expected


def test_a_view_of_a_view_written_in_place_lets_go_of_the_first_views_node_as_torchs():
    """fuzz seed 235675: ``v = base.squeeze(); v.relu_(); w = v.squeeze(-1); w.pow_(6)``: the write
    on w replaces w's node, the only holder (in torch) of v's node after relu_; once v, stale, is read
    again and made anew, nothing in torch holds v's node: its error names Relu, not AsStrided."""
    def action(lib):
        x = lib.tensor(2.014, dtype=lib.float64, requires_grad=True)
        base = x.clone()
        view = base.squeeze()
        view.relu_()
        inner = view.squeeze(-1)
        inner.pow_(lib.tensor(6, dtype=lib.int32))
        picked = lib.masked_select(view, view > 0)
        ((picked * 0.093).sum() + (base * 0.523).sum()).backward()
    expected_type, expected = torch_message(action)
    with pytest.raises(expected_type) as caught:
        action(minigrad)
    assert str(caught.value) == expected


@pytest.mark.parametrize("views_made_anew", [True, False])
def test_the_first_views_old_node_goes_once_the_views_of_views_holding_it_are_made_anew(views_made_anew):
    """fuzz seed 8288379: ``v **= w`` on a view v saves v; ``t = v.t()`` and ``u = t[None]`` hold v's node
    after the write (t's node points at it, u's at t's); ``v.fill_(3)`` replaces it.  Once v, t and u,
    stale, are made anew (``retain_grad``), nothing in torch holds v's old node, two edges below u's
    old one: the error names the node that saved v, Pow1.  Without the reads, t and u still hold it
    and the error names it, AsStrided."""
    def action(lib):
        x = lib.tensor([1.7], dtype=lib.float32)
        view = x[...]
        view **= lib.tensor(0.6, dtype=lib.float32, requires_grad=True)
        turned = view.t()
        widened = turned[None]
        view.fill_(3)
        if views_made_anew:
            for each in (view, turned, widened):
                each.retain_grad()
        ((widened * 1).sum() + (view * 2).sum()).backward()
    expected_type, expected = torch_message(action)
    assert ("Pow1" if views_made_anew else "AsStrided") in expected
    with pytest.raises(expected_type) as caught:
        action(minigrad)
    assert str(caught.value) == expected


@pytest.mark.parametrize("written_with_grad", [True, False])
def test_a_saved_view_of_a_tensor_without_history_is_named_once_its_base_has_one(written_with_grad):
    """fuzz seed 322851: conv1d saved the unsqueezed view of a view of a tensor that needed no
    gradient; ``view *= w`` with a ``w`` that requires grad gives the base a history (CopySlices), and
    torch's error names the saved view's node, made anew from it: AsStrided.  Written with a ``w``
    that needs none, the base has no history, and torch's error names no node."""
    def action(lib):
        x = lib.tensor([[-0.305]], dtype=lib.float64)
        view = x.movedim(0, 0)
        weight = lib.tensor([[[-0.2]], [[-1.069]]], dtype=lib.float64, requires_grad=True)
        out = lib.nn.functional.conv1d(view, weight, padding=1)
        view *= lib.tensor([[50.2]], dtype=lib.float64, requires_grad=written_with_grad)
        out.sum().backward()
    expected_type, expected = torch_message(action)
    with pytest.raises(expected_type) as caught:
        action(minigrad)
    assert str(caught.value) == expected


@pytest.mark.parametrize("second", ["neg_", "add_", "setitem"])
@pytest.mark.parametrize("loss_from", ["before", "after", "both"])
@pytest.mark.parametrize("retain", [False, True])
def test_a_views_old_node_lives_while_the_write_that_replaced_it_has_not_run_as_torchs(second, loss_from, retain):
    """fuzz seed 630983: ``v = base[...]; v.relu_()`` saves v, whose node (AsStrided) a second write
    replaces; torch's CopySlices keeps that write, and the write's edge keeps v's old node, until a
    backward without retain_graph runs it.  A backward from a value computed before the second write
    reaches relu's saved v first: torch's error names AsStrided (minigrad named Relu); from one
    computed after it, the write has run and let go: Relu."""
    def action(lib):
        x = lib.tensor([[-0.79], [1.05]], dtype=lib.float64, requires_grad=True)
        base = x.amax(-1).max()
        view = base[...]
        view.relu_()
        before = base / False
        if second == "setitem":
            view[None] = lib.tensor(9007199254740993, dtype=lib.int64)
        else:
            getattr(view, second)(*([1] if second == "add_" else []))
        after = base * 3
        loss = {"before": before, "after": after, "both": before + after}[loss_from].sum()
        if retain:
            loss.backward(retain_graph=True)
        loss.backward()
    expected_type, expected = torch_message(action)
    with pytest.raises(expected_type) as caught:
        action(minigrad)
    assert str(caught.value) == expected


@pytest.mark.parametrize("read", [None, "v4.grad_fn", "0.8 * v4", "v8.grad_fn", "v2.grad_fn"])
@pytest.mark.parametrize("loss_from", ["before", "v4"])
@pytest.mark.parametrize("shape", [(), (2, 3)])
def test_a_views_node_held_by_a_view_of_it_lives_while_the_write_through_that_holds_it(read, loss_from, shape):
    """fuzz seed 30813423: ``v4 = v2.transpose(-1, 0); v4.sqrt_()`` saves v4, whose node (AsStrided)
    the node of ``v8 = v4.transpose(-1, 0)`` holds; ``v8.masked_fill_`` replaces v8's node, and
    torch's CopySlices keeps the write, whose edge keeps v8's old node and, through it, v4's.  Once
    v4 is read again (its node made anew), that node is held by nothing but the chain from the
    write, until a backward runs the write: the error names AsStrided before it (minigrad named Sqrt
    where v4 was read), Sqrt after."""
    def action(lib):
        x = lib.full(shape, 2.0, dtype=lib.float64, requires_grad=True)
        v2 = x * 3
        v4 = v2.transpose(-1, 0)
        v4.sqrt_()
        before = (v2 - 1).abs()
        v8 = v4.transpose(-1, 0)
        v8.masked_fill_(v8 > 0, 3)
        if read is not None:
            eval(read, {}, {"v2": v2, "v4": v4, "v8": v8})
        (before if loss_from == "before" else v4).sum().backward()
    expected_type, expected = torch_message(action)
    with pytest.raises(expected_type) as caught:
        action(minigrad)
    assert str(caught.value) == expected


# ---- pieces of split/unbind/chunk made in no_grad mode, int and bool pieces (fuzz seeds 921247,
# 995817, 1053483) ----------------------------------------------------------------------------
PIECES = {      # of a (3, 4) base: a (3,) piece, a (3, 2) one, a (1, 4) one
    "unbind": lambda base: base.unbind(1)[0],
    "chunk": lambda base: base.chunk(2, 1)[0],
    "split": lambda base: base.split(1, 0)[1],
}
PIECE_WRITES = {     # of a 0-d float64 value that requires grad
    "mul_": lambda lib, piece, value: piece.mul_(value),
    "copy_": lambda lib, piece, value: piece.copy_(value),
    "fill_": lambda lib, piece, value: piece.fill_(value),
    "masked_fill_": lambda lib, piece, value: piece.masked_fill_(lib.ones(piece.shape, dtype=lib.bool), value),
    # torch's copy_to: copy_ into a 0-d region (the unbind piece's), else fill_
    "setitem int": lambda lib, piece, value: piece.__setitem__(0, value),
    "setitem int, ...": lambda lib, piece, value: piece.__setitem__((0, Ellipsis), value),
    "setitem slice": lambda lib, piece, value: piece.__setitem__(slice(0, 1), value),
    "setitem None": lambda lib, piece, value: piece.__setitem__(None, value),
    # index_put_
    "setitem mask": lambda lib, piece, value: piece.__setitem__(
        lib.tensor([True, False, True][:piece.shape[0]]), value),
    "setitem index": lambda lib, piece, value: piece.__setitem__(lib.tensor([0]), value),
}


def _by_copy(op, write):
    """Does torch write by copy_ (a value of the region's shape: the unbind piece's 0-d element)?"""
    return write == "copy_" or op == "unbind" and write in ("setitem int", "setitem int, ...")


def _write_into_piece(lib, op, dtype, made_in_no_grad, base_requires_grad, write):
    if not base_requires_grad:
        base = lib.ones(3, 4, dtype=getattr(lib, dtype))
    else:
        base = lib.ones(3, 4, dtype=lib.float64, requires_grad=True) * 1
        base = base if dtype == "float64" else base.to(getattr(lib, dtype))
    if made_in_no_grad:
        with lib.no_grad():
            piece = PIECES[op](base)
    else:
        piece = PIECES[op](base)
    PIECE_WRITES[write](lib, piece, lib.tensor(2.0, dtype=lib.float64, requires_grad=True))
    return base.tolist()


@pytest.mark.parametrize("op, dtype, base_requires_grad, write", [
    pytest.param(op, dtype, base_requires_grad, write, id=f"{op}-{dtype}-{base_requires_grad}-{write}")
    for op in PIECES for dtype in ["float64", "int32", "bool"] for base_requires_grad in [False, True]
    for write in PIECE_WRITES if dtype == "float64" or not _by_copy(op, write)])
def test_write_into_a_piece_made_in_no_grad_mode_is_refused_as_torch(op, dtype, base_requires_grad, write):
    """A piece of split/chunk/unbind made in no_grad mode has torch's creation meta NO_GRAD_MODE
    (not MULTI_OUTPUT_NODE): a refused write says "Given that this use case is ambiguous ...".
    Where its base requires grad, the view torch writes into (``piece[0] = v``: ``piece[0]``,
    made in grad mode) has a node: "Output 0 of Select is a view of a view which was created in
    no_grad mode ..."."""
    assert_same(lambda lib: _write_into_piece(lib, op, dtype, True, base_requires_grad, write))


@pytest.mark.parametrize("op, dtype, base_requires_grad, write", [
    pytest.param(op, dtype, base_requires_grad, write, id=f"{op}-{dtype}-{base_requires_grad}-{write}")
    for op in PIECES for dtype in ["int32", "bool"] for base_requires_grad in [False, True]
    for write in PIECE_WRITES if write != "mul_" and not _by_copy(op, write)])
def test_fill_or_index_put_into_an_integer_piece_is_refused_as_torch(op, dtype, base_requires_grad, write):
    """An int or bool piece (made in grad mode) written with a value that requires grad by one of
    torch's generated in-place ops (fill_, masked_fill_, index_put_, and setitem through them) is
    refused: their kernels ask compute_requires_grad(self, value), whatever self's dtype, before
    their own dtype checks ("Index put requires the source and destination dtypes match").
    copy_, hand-written, asks isDifferentiableType(self) and is not (see above)."""
    assert_same(lambda lib: _write_into_piece(lib, op, dtype, False, base_requires_grad, write))


@pytest.mark.parametrize("op", PIECES)
def test_piece_made_in_no_grad_mode_after_its_base_changed_raises_as_torch(op):
    """The "its base ... has been modified inplace" message of a no_grad piece is no_grad's too."""
    def action(lib):
        base = lib.ones(3, 4, dtype=lib.float64, requires_grad=True) * 1
        with lib.no_grad():
            piece = PIECES[op](base)
        base.mul_(2)
        return piece.grad_fn
    assert_raises_like_torch(action)


VIEW_OF_NO_GRAD_VIEW_KEYS = {"Select": 0, "Slice": slice(0, 1), "Unsqueeze": None}


@pytest.mark.parametrize("leaf", [False, True], ids=["base in a graph", "leaf base"])
@pytest.mark.parametrize("value", ["number", "tensor requiring grad"])
@pytest.mark.parametrize("key", VIEW_OF_NO_GRAD_VIEW_KEYS)
def test_setitem_into_a_view_made_in_no_grad_mode_names_the_view_torch_writes(key, value, leaf):
    """torch writes ``view[key] = v`` into the view ``view[key]``, made in grad mode: a view of a
    view made in no_grad mode which (its base requiring grad) has a node, named in the message
    (before "a view of a leaf Variable")."""
    def action(lib):
        base = lib.ones(3, 2, dtype=lib.float64, requires_grad=True)
        base = base if leaf else base * 1
        with lib.no_grad():
            view = base[:, 0]
        view[VIEW_OF_NO_GRAD_VIEW_KEYS[key]] = 2.0 if value == "number" else \
            lib.tensor(2.0, dtype=lib.float64, requires_grad=True)
    assert_raises_like_torch(action)


@pytest.mark.parametrize("op", ["squeeze(1)", "squeeze((1,))"])
def test_view_of_a_piece_is_named_by_its_node_as_torch(op):
    """torch names SqueezeBackward1 "Squeeze1" (SqueezeBackward2 "Squeeze2"): only "Backward0" is
    dropped whole."""
    def action(lib):
        base = lib.ones(3, 4, 1, dtype=lib.float64, requires_grad=True) * 1
        piece = base.split(1, 1)[1]
        view = piece.squeeze(1) if op == "squeeze(1)" else piece.squeeze((1,))
        view.fill_(lib.tensor(2.0, dtype=lib.float64, requires_grad=True))
    assert_raises_like_torch(action)


DETACHED_WRITES = {
    "d.mul_(x)": lambda lib, x, d: d.mul_(x),
    "d.mul_(x) * x": lambda lib, x, d: d.mul_(x) * x,
    "d.div_(x)": lambda lib, x, d: d.div_(x),
    "d.lerp_(x, 0.3)": lambda lib, x, d: d.lerp_(x, 0.3),
    "d.lerp_(x, w)": lambda lib, x, d: d.lerp_(x, lib.tensor([0.2, 0.9], dtype=lib.float64)),
    "d.lerp_(x, w) w grad": lambda lib, x, d: d.lerp_(x, lib.tensor([0.2, 0.9], dtype=lib.float64,
                                                                    requires_grad=True)),
}


@pytest.mark.parametrize("name", DETACHED_WRITES)
def test_a_write_into_a_detached_alias_stops_backward_only_where_torch_saved_the_tensor(name):
    """fuzz seed 1354022: ``d = x.detach(); d.mul_(x)`` saves (a clone of) d for x's gradient, not x,
    though d and x hold one array and one version counter: backward runs in torch.  minigrad took
    the saved array for both inputs, so d's write stopped it; and ``lerp_`` by a number saves
    nothing in torch, by a tensor weight only that weight unless the weight needs a gradient."""
    def action(lib):
        x = lib.tensor([[1.5, 0.4], [0.7, 2.5]], dtype=lib.float64, requires_grad=True)
        try:
            DETACHED_WRITES[name](lib, x, x.detach()).sum().backward()
        except RuntimeError as error:
            return str(error).replace("torch.", "minigrad.")
        return x.grad
    assert_same(action)


WRITES_BY_A_DETACHED_ALIAS = {
    "y *= y.detach()": lambda lib, y: y.mul_(y.detach()),
    "y /= y.detach()": lambda lib, y: y.div_(y.detach()),
    "0-d int % y, then *=": None,
}


@pytest.mark.parametrize("name", WRITES_BY_A_DETACHED_ALIAS)
def test_a_write_by_a_detached_alias_of_itself_stops_backward_as_torch(name):
    """fuzz seed 1824938: ``y *= y.detach()`` saves the detached alias (the other factor, for y's
    gradient); it shares y's version counter, so the write changes it and torch's backward refuses.
    minigrad's in-place write took that saved record, found by its array, for y's own and gave it
    a copy with a fresh counter, so backward ran."""
    def action(lib):
        x = lib.tensor([2.0, -3.0], dtype=lib.float32, requires_grad=True)
        if name == "0-d int % y, then *=":
            y = lib.tensor(0, dtype=lib.int8) % x[0]
            y *= y.detach()
        else:
            y = x * 1
            WRITES_BY_A_DETACHED_ALIAS[name](lib, y)
        y.sum().backward()
    assert_raises_like_torch(action)


@pytest.mark.parametrize("fold", ["linear", "linear_no_bias", "matmul"])
@pytest.mark.parametrize("contiguous", [False, True])
def test_a_write_after_a_fold_is_an_error_only_where_the_fold_was_a_view(fold, contiguous):
    """fuzz seed 1959729: linear (or matmul) of a batch folds it to rows; where that takes a copy (a
    strided view), torch saves the copy, and zeroing the input afterwards changes nothing its
    backward reads; where the rows are a view, the write is torch's version error."""
    def action(lib):
        base = lib.arange(24.0, dtype=lib.float64).reshape(2, 2, 3, 2)
        batch = base[:, 1].contiguous() if contiguous else base[:, 1]
        weight = lib.tensor([[1.5, -2.0]], dtype=lib.float64, requires_grad=True)
        bias = lib.tensor([0.5], dtype=lib.float64, requires_grad=True) if fold == "linear" else None
        if fold == "matmul":
            out = batch @ weight.t()
        else:
            out = lib.nn.functional.linear(batch, weight, bias)
        batch.zero_()
        (out * lib.tensor([[0.3], [-1.2], [0.7]], dtype=lib.float64)).sum().backward()
        return out, weight.grad
    assert_same(action)


@pytest.mark.parametrize("compare", ["le", "eq", "ne", "logical_and", "__gt__"])
def test_a_stale_split_view_compared_with_a_wrong_shape_is_torchs_broadcast_error(compare):
    """fuzz seed 2124543: a chunk's output whose base was written since, compared with a tensor of
    the wrong shape: comparisons record no gradient, so torch never asks for the view's history and
    its broadcast error comes; minigrad gave the view's refusal."""
    def action(lib):
        base = lib.ones(3, 4, dtype=lib.float64, requires_grad=True) * 2
        piece = base.chunk(1, -2)[0]
        base[0, 0] = 5.0
        return getattr(piece, compare)(lib.ones(3, dtype=lib.float64))
    assert_raises_like_torch(action)


@pytest.mark.parametrize("grad_enabled", [True, False])
def test_argsort_of_a_stale_view_makes_its_history_as_torchs_sort(grad_enabled):
    """fuzz seed 2201336: a view taken before its base was written in place (with a value that
    requires grad) is a leaf to torch's in-place check until its history is asked for; torch's
    argsort is sort's indices, whose node asks, so ``abs_`` after it works (under no_grad it does not
    ask, and abs_ raises)."""
    def action(lib):
        base = lib.tensor([0.5, 0.25], dtype=lib.float32)
        view = base[0:2]
        base.mul_(lib.tensor([0.5, -1.0], dtype=lib.float64, requires_grad=True))
        with lib.set_grad_enabled(grad_enabled):
            order = lib.argsort(view)
        view.abs_()
        return order, view.grad_fn.name()
    assert_same(action)


def _expanded_detached(lib):
    """An expanded tensor cut from its source: a tensor (no view) whose elements repeat."""
    return lib.zeros(1, 3, dtype=lib.float64).expand(2, 3).detach()


WRITES_INTO_REPEATS = {
    # torch's CopySlices copies the gradient into memory laid out as its base: refused in backward
    "index and slice": lambda lib, e, v: e.__setitem__((lib.tensor([1, 1]), slice(0, 2)), v),
    "int and slice": lambda lib, e, v: e.__setitem__((0, slice(0, 2)), v),
    "slice and index": lambda lib, e, v: e.__setitem__((slice(0, 1), lib.tensor([0, 1])), v),
    "through a row": lambda lib, e, v: e[0].__setitem__(slice(0, 2), v),
    "through a slice, indexed": lambda lib, e, v: e[0:2].__setitem__((lib.tensor([1, 1]), slice(0, 2)), v),
    "mul_ through a row": lambda lib, e, v: e[0].mul_(lib.cat([v, v[:1]])),
    # allowed: index_put_ writes the tensor itself (IndexPutBackward0)
    "index only": lambda lib, e, v: e.__setitem__(lib.tensor([1]), lib.cat([v, v[:1]])),
}


@pytest.mark.parametrize("write", WRITES_INTO_REPEATS)
def test_a_write_into_a_tensor_whose_elements_repeat_is_refused_in_backward_as_torchs(write):
    """fuzz seed 3249414: ``v9 = v8.detach()`` of an expanded ``v8``, then ``v9[i, :, s] = x``: torch
    warns, and its backward raises where CopySlices copies the gradient into a tensor laid out as
    ``v9``; minigrad computed a gradient."""
    def action(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expanded, value = _expanded_detached(lib), lib.ones(2, dtype=lib.float64, requires_grad=True)
            WRITES_INTO_REPEATS[write](lib, expanded, value)
            expanded.sum().backward()
        return value.grad
    assert_same(action)


@pytest.mark.parametrize("key", ["row", "rows"])
def test_a_write_into_an_expanded_view_of_a_dense_base_reads_torchs_view(key):
    """The base is no expanded tensor here: torch's CopySlices refuses only where the view it
    writes repeats elements (``rows``), not a row of it."""
    def action(lib):
        base = lib.zeros(1, 3, dtype=lib.float64)
        expanded, value = base.expand(2, 3), lib.ones(3, dtype=lib.float64, requires_grad=True)
        if key == "row":
            expanded[0, lib.tensor([0, 1, 2])] = value
        else:
            expanded[lib.tensor([1, 1]), 0:3] = value
        expanded.sum().backward()
        return value.grad
    assert_same(action)


OPERANDS_SAVED_FOR_THE_OTHERS_GRADIENT = {
    "mm": lambda lib, a, b: lib.mm(a, b.t()),
    "matmul of a batch": lambda lib, a, b: a.expand(2, 4, 4) @ b.t(),
    "matmul of batches": lambda lib, a, b: a.expand(3, 2, 4, 4) @ b.expand(2, 4, 4),
    "bmm": lambda lib, a, b: lib.bmm(a[None], b.t()[None]),
    "mv": lambda lib, a, b: lib.mv(a, b[0]),
    "dot": lambda lib, a, b: lib.dot(a[0], b[0]),
    "vector @ matrix": lambda lib, a, b: a[0] @ b,
    "cosine_similarity": lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b),
}


@pytest.mark.parametrize("needs_grad", ["a", "b"])
@pytest.mark.parametrize("op", OPERANDS_SAVED_FOR_THE_OTHERS_GRADIENT)
def test_an_operand_saved_only_for_the_others_gradient_may_be_written_after(op, needs_grad):
    """fuzz seed 3698773: torch's mm, bmm, mv and dot save each operand only for the other's
    gradient (cosine_similarity reads an operand that needs no gradient only through ``x / |x|``), so
    writing the operand that needs no gradient after the op leaves its backward alone; minigrad's
    matmul node saved both and refused with a version error."""
    def action(lib):
        values = [[0.5, -1.2, 2.0, 0.3], [1.1, 0.7, -0.4, 2.2], [0.9, -0.6, 1.3, -1.7], [0.2, 1.4, -2.1, 0.8]]
        leaves = [lib.tensor(values, dtype=lib.float64, requires_grad=needs_grad == "a"),
                  lib.tensor(values[::-1], dtype=lib.float64, requires_grad=needs_grad == "b")]
        a, b = leaves[0] * 1, leaves[1] * 0.5
        out = OPERANDS_SAVED_FOR_THE_OTHERS_GRADIENT[op](lib, a, b)
        (b if needs_grad == "a" else a).add_(0.5)
        (out * 0.7).sum().backward()
        return out, leaves[0].grad, leaves[1].grad
    assert_same(action)


STALE_PIECE_AS_AN_ARGUMENT = {
    "index_select": lambda lib, piece: lib.index_select(piece, 0, lib.tensor([0, -2, 0])),
    "roll": lambda lib, piece: lib.roll(piece, 1, 5),
    "add": lambda lib, piece: lib.add(lib.ones(3, 3), piece),
    "cat": lambda lib, piece: lib.cat([piece, lib.ones(1, 3)], 0),
}


@pytest.mark.parametrize("call", STALE_PIECE_AS_AN_ARGUMENT)
def test_a_namespace_function_given_a_stale_piece_raises_the_views_error_first(call):
    """fuzz seed 3705801: ``minigrad.index_select(piece.permute(1, 0), ...)`` of a split's piece whose
    base was written since, with an index out of range: torch's autograd kernel asks the piece for
    its history before the op checks its index, so the view's error comes, as for the method."""
    def action(lib):
        base = lib.ones(2, 3, dtype=lib.float64, requires_grad=True) * 2
        piece = base.split(1, 0)[0].permute(1, 0)
        base[-1] = lib.tensor([0.2, 0.3, 0.4], dtype=lib.float64, requires_grad=True)
        return STALE_PIECE_AS_AN_ARGUMENT[call](lib, piece)
    assert_raises_like_torch(action)


STALE_PIECE_CHECKED_BY_THE_KERNEL = {      # torch's autograd asks the piece first: the view's error
    "advanced index out of range": lambda lib, piece: piece[lib.tensor([1, 0]), lib.tensor([0, 1])],
    "float index": lambda lib, piece: piece[lib.tensor([0.5])],
    "index shapes": lambda lib, piece: piece[lib.tensor([0, 1]), lib.tensor([0, 0, 0])],
    "mask shape": lambda lib, piece: piece[lib.tensor([True, False, True])],
    "slice then index": lambda lib, piece: piece[:, lib.tensor([3])],
    "matmul sizes": lambda lib, piece: piece @ lib.ones(3, dtype=lib.float64),
    "matmul dtypes": lambda lib, piece: piece @ lib.ones(1, 2, dtype=lib.float32),
    "linear sizes": lambda lib, piece: lib.nn.functional.linear(piece, lib.ones(3, 3, dtype=lib.float64)),
    "linear of a batch": lambda lib, piece: lib.nn.functional.linear(piece[None], lib.ones(3, 2, dtype=lib.float64)),
    # torch's own argument reading comes first: its error
    "too many indices": lambda lib, piece: piece[lib.tensor([0]), 0, 0],
    "a backward step": lambda lib, piece: piece[::-1, lib.tensor([0])],
    "matmul of a 0-d": lambda lib, piece: piece @ lib.tensor(2.0, dtype=lib.float64),
    "reshape's size": lambda lib, piece: piece.reshape(7),
    "reshape's two -1": lambda lib, piece: piece.reshape(-1, -1),
}


@pytest.mark.parametrize("call", STALE_PIECE_CHECKED_BY_THE_KERNEL)
def test_a_stale_piece_raises_the_views_error_where_torchs_kernel_checks_after_its_autograd(call):
    """fuzz seed 6377719: ``piece[rows, columns]`` of a chunk's piece whose base was written since,
    a column out of range: torch's index kernel checks the indices after its autograd asked the
    piece for its history (the view's error); minigrad checked the key first (IndexError).  The same
    for matmul's and linear's sizes; where torch reads its arguments first (too many indices, a
    step below 1, matmul of a 0-d, reshape's shape) its error comes."""
    def action(lib):
        base = lib.ones(2, 2, dtype=lib.float64, requires_grad=True) * 1
        piece = base.chunk(2, -1)[0]
        base[0:1] = 3.0
        return STALE_PIECE_CHECKED_BY_THE_KERNEL[call](lib, piece)
    assert_raises_like_torch(action)
