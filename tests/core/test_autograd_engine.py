"""The autograd engine: graph walk, accumulation, freeing, grad modes, hooks, version counter."""
import gc
import time
import tracemalloc
import warnings
import weakref

import numpy
import pytest
import torch

import minigrad
from minigrad.core.function import Function
from minigrad.core.function import FREED_GRAPH_MESSAGE
from minigrad.testing import assert_matches_torch


def torch_message(action):
    """torch's error message for ``action(torch)``, worded for minigrad (its hint too)."""
    with pytest.raises(Exception) as caught:
        action(torch)
    return str(caught.value).replace("torch.", "minigrad.")


def assert_raises_like_torch(action, error=RuntimeError):
    """``action(minigrad)`` raises what ``action(torch)`` raises, with the same message."""
    expected = torch_message(action)
    with pytest.raises(error) as caught:
        action(minigrad)
    assert str(caught.value) == expected


# ---- graph size -----------------------------------------------------------------------
class Step(Function):
    """The cheapest possible op (identity), so a 100,000-node graph builds quickly."""

    def forward(self, x):
        return x

    def backward(self, grad_output):
        return grad_output


def test_chain_of_100000_ops_backward_without_recursion():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    y = x
    start = time.perf_counter()
    for _ in range(100_000):
        y = Step.apply(y)
    (y * 3.0).backward(minigrad.ones(2))
    assert x.grad.tolist() == [3.0, 3.0]
    node = weakref.ref(y.grad_fn)
    del y                       # a 100,000-node chain is freed without overflowing the C stack
    assert node() is None
    assert time.perf_counter() - start < 60


def test_chain_of_3000_arithmetic_ops_matches_torch():
    grads = []
    for library in (torch, minigrad):
        x = library.tensor([1.0, 2.0], dtype=library.float64, requires_grad=True)
        y = x
        for _ in range(3000):
            y = y * 1.0001 - 0.0001
        y.sum().backward()
        grads.append(x.grad.tolist())
    numpy.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)


def test_wide_graph_sums_every_path():
    x = minigrad.tensor([1.0, -2.0], requires_grad=True)
    total = x * 0.0
    for k in range(1, 301):
        total = total + x * float(k)
    total.backward(minigrad.ones(2))
    assert x.grad.tolist() == [sum(range(1, 301))] * 2


# ---- memory: no cycles, graphs die with their outputs -------------------------------------
def training_step(weight, inputs, targets, learning_rate=1e-3):
    loss = ((inputs * weight - targets) ** 2).sum()
    loss.backward()
    with minigrad.no_grad():
        weight -= learning_rate * weight.grad
    weight.grad = None
    return loss


def test_graph_is_freed_without_the_garbage_collector():
    weight = minigrad.randn(3, requires_grad=True)
    gc.disable()
    try:
        loss = training_step(weight, minigrad.randn(5, 3), minigrad.randn(5, 3))
        node = weakref.ref(loss.grad_fn)
        accumulator = weakref.ref(loss.grad_fn.next_functions[0][0])
        del loss
        assert node() is None and accumulator() is None   # freed by reference counting alone
    finally:
        gc.enable()


def test_training_loop_creates_no_reference_cycles():
    weight = minigrad.randn(3, requires_grad=True)
    inputs, targets = minigrad.randn(5, 3), minigrad.randn(5, 3)
    gc.collect()
    gc.disable()
    try:
        for _ in range(50):
            training_step(weight, inputs, targets)
        hidden = (inputs * weight).tanh() if hasattr(minigrad.Tensor, "tanh") else inputs * weight
        hidden.retain_grad()
        hidden.register_hook(lambda grad: grad * 2)
        (hidden * hidden).sum().backward()
        del hidden
        assert gc.collect() == 0, "minigrad objects formed reference cycles"
    finally:
        gc.enable()


def test_training_loop_memory_stays_flat():
    weight = minigrad.randn(16, requires_grad=True)
    inputs, targets = minigrad.randn(32, 16), minigrad.randn(32, 16)
    tracemalloc.start()
    try:
        for _ in range(600):        # warm up: Python's free lists fill up first
            training_step(weight, inputs, targets)
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(400):
            training_step(weight, inputs, targets)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # one leaked graph per step would be kilobytes a step
    assert grown < 16 * 1024, f"memory grew by {grown} bytes over 400 steps"


def test_memory_check_would_catch_a_leak():
    weight = minigrad.randn(16, requires_grad=True)
    inputs, targets = minigrad.randn(32, 16), minigrad.randn(32, 16)
    kept = []
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(50):
            kept.append(training_step(weight, inputs, targets))   # holds every graph
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown > 16 * 1024


def test_saved_arrays_are_released_by_backward():
    x = minigrad.randn(4, requires_grad=True)
    y = x * x
    node = y.grad_fn
    assert node._saved is not None
    y.backward(minigrad.ones(4))
    assert node._saved is None


# ---- accumulation and reuse ---------------------------------------------------------------
def test_gradients_accumulate_into_leaves_across_backward_calls():
    for library in (torch, minigrad):
        x = library.tensor([1.0, 2.0, 3.0], requires_grad=True)
        (x * x).sum().backward()
        (x * 3.0).sum().backward()
        grad = x.grad
        assert grad.tolist() == [5.0, 7.0, 9.0]


def test_accumulation_keeps_the_grad_tensor_object():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    (x * 2.0).sum().backward()
    first = x.grad
    (x * 3.0).sum().backward()
    assert x.grad is first and first.tolist() == [5.0, 5.0]


def test_grad_is_a_copy_not_the_engine_buffer():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    seed = minigrad.ones(2)
    x.backward(seed)
    seed.add_(5.0)
    assert x.grad.tolist() == [1.0, 1.0]


# .grad takes a gradient nothing else holds (no copy, as torch's AccumulateGrad); each case here
# holds it somewhere else too, and two backward passes (the second accumulates in place) must
# leave every holder as torch leaves it
def _shared_gradient_cases(library):
    results = {}
    a, b = (library.tensor([1.0, 2.0, 3.0], requires_grad=True) for _ in range(2))
    for _ in range(2):                       # one array for two leaves (add passes its gradient on)
        (a + b).sum().backward()
    results["two leaves"] = (a.grad, b.grad)
    x = library.tensor([1.0, 2.0, 3.0], requires_grad=True)
    kept = []
    x.register_hook(lambda grad: kept.append(grad))   # a hook that keeps the gradient
    first = x + 1.0
    first.retain_grad()                      # a retained non-leaf gradient, the same array
    first.sum().backward()
    (x * 2.0).sum().backward()
    results["hook and retain_grad"] = (x.grad, kept[0], first.grad)
    y = library.tensor([1.0, 2.0], requires_grad=True)
    (gradient,) = library.autograd.grad((y * 1.0).sum(), y, retain_graph=False)
    (y * 1.0).sum().backward()
    (y * 1.0).sum().backward()
    results["autograd.grad"] = (y.grad, gradient)
    return results


def test_grad_takes_a_gradient_only_when_nothing_else_holds_it_as_torch():
    ours, theirs = _shared_gradient_cases(minigrad), _shared_gradient_cases(torch)
    for case in theirs:
        for mine, expected in zip(ours[case], theirs[case]):
            assert mine.tolist() == expected.tolist(), case


def _gradient_from_its_own_array(library):
    """A Function whose backward returns a tensor it keeps (retain_graph: it runs again)."""
    class GradientFromItsOwnArray(library.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.constant = library.full(x.shape, 3.0)
            return x * 1.0

        @staticmethod
        def backward(ctx, grad):
            return ctx.constant
    return GradientFromItsOwnArray


def test_grad_copies_a_gradient_its_function_keeps_as_torch():
    results = []
    for library in (torch, minigrad):
        x = library.zeros(2, requires_grad=True)
        function = _gradient_from_its_own_array(library)
        y = function.apply(x)
        for _ in range(3):      # (were .grad the kept array, the passes would double it: 3, 6, 12)
            y.sum().backward(retain_graph=True)
        results.append(x.grad.tolist())
    assert results[0] == results[1] == [9.0, 9.0]


def test_a_weight_used_transposed_gets_a_row_major_gradient_without_a_copy(monkeypatch):
    """``x @ w.T``: matmul's backward gives w.T's gradient column-major (torch's mm_mat2_backward),
    so the gradient reaching ``w`` is row-major and ``.grad`` takes its memory as it is."""
    addresses = []                           # (addresses, not arrays: a reference would force a copy)
    original = minigrad.ops.linalg._product_laid_out_as

    def spy(operand, left, right):
        result = original(operand, left, right)
        addresses.append(result.__array_interface__["data"][0])
        return result
    monkeypatch.setattr(minigrad.ops.linalg, "_product_laid_out_as", spy)
    rng = numpy.random.default_rng(0)
    arrays = [rng.standard_normal((5, 4)), rng.standard_normal((3, 4))]
    grads = []
    for library in (minigrad, torch):
        x, w = (library.tensor(array, requires_grad=True) for array in arrays)
        for _ in range(2):
            (x @ w.T).tanh().sum().backward()
            if library is minigrad and len(addresses) == 2:   # after the first backward: no copy
                assert w.grad.array.__array_interface__["data"][0] == addresses[1]
                assert x.grad.array.__array_interface__["data"][0] == addresses[0]
                assert w.grad.is_contiguous()
        grads.append((x.grad.detach().numpy().copy(), w.grad.detach().numpy().copy()))
    assert len(addresses) == 4
    for mine, expected in zip(*grads):
        numpy.testing.assert_allclose(mine, expected, rtol=1e-12)


def test_reused_node_matches_torch():
    def reuse(a):
        b = a + a
        return b * b
    assert_matches_torch(reuse, [(3, 4)])
    assert_matches_torch(reuse, [(3, 4)], dtype="float32")


def test_diamond_graph_matches_torch():
    def diamond(a, w):
        h = a * w
        left, right = h * 2.0, h / (w + 3.0)
        return left * right + h
    assert_matches_torch(diamond, [(2, 3), (2, 3)], low=0.5)


def test_leaf_used_twice_in_one_op():
    x = minigrad.tensor([3.0], requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.tolist() == [6.0]
    node = (x * x).grad_fn
    assert node.next_functions[0][0] is node.next_functions[1][0]


# ---- backward's arguments ------------------------------------------------------------------
def test_backward_on_non_scalar_without_gradient_raises_as_torch():
    assert_raises_like_torch(lambda lib: (lib.ones(2, requires_grad=True) * 2).backward())


def test_backward_with_gradient_of_wrong_shape_raises_as_torch():
    assert_raises_like_torch(lambda lib: (lib.ones(2, requires_grad=True) * 2).backward(lib.ones(3)))


def test_backward_with_non_tensor_gradient_raises_as_torch():
    assert_raises_like_torch(lambda lib: (lib.ones(2, requires_grad=True) * 2).backward([1.0, 1.0]),
                             TypeError)


def test_backward_on_tensor_without_grad_raises_as_torch():
    assert_raises_like_torch(lambda lib: (lib.ones(2) * 2).sum().backward())


def test_backward_of_several_outputs_matches_torch():
    grads = []
    for library in (torch, minigrad):
        x = library.tensor([1.0, 2.0], requires_grad=True)
        library.autograd.backward([x * 2.0, x * x], [library.ones(2), library.tensor([1.0, 0.5])])
        grads.append(x.grad.tolist())
    assert grads[0] == grads[1]
    assert_raises_like_torch(lambda lib: lib.autograd.backward(
        [lib.ones(2, requires_grad=True) * 2, lib.ones(2, requires_grad=True) * 3], [lib.ones(2)]))


def test_second_backward_through_freed_graph_raises_torch_message():
    def twice(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        y.backward()
        y.backward()
    assert_raises_like_torch(twice)
    assert torch_message(twice) == FREED_GRAPH_MESSAGE


def test_retain_graph_allows_a_second_backward():
    for library in (torch, minigrad):
        x = library.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        assert x.grad.tolist() == [4.0, 8.0]


def test_graph_without_saved_arrays_can_run_backward_twice_as_torch():
    for library in (torch, minigrad):
        x = library.tensor([1.0, 2.0], requires_grad=True)
        y = x + x
        y.backward(library.ones(2))
        y.backward(library.ones(2))
        assert x.grad.tolist() == [4.0, 4.0]


# ---- grad modes -------------------------------------------------------------------------------
def test_no_grad_records_nothing():
    x = minigrad.ones(2, requires_grad=True)
    with minigrad.no_grad():
        assert not minigrad.is_grad_enabled()
        y = x * 2
    assert minigrad.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf


def test_enable_grad_inside_no_grad():
    x = minigrad.ones(2, requires_grad=True)
    with minigrad.no_grad():
        with minigrad.enable_grad():
            y = x * 2
        z = x * 2
    assert y.requires_grad and not z.requires_grad


def test_set_grad_enabled_as_context_and_as_function():
    x = minigrad.ones(2, requires_grad=True)
    with minigrad.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert minigrad.is_grad_enabled()
    minigrad.set_grad_enabled(False)
    try:
        assert not minigrad.is_grad_enabled() and not (x * 2).requires_grad
    finally:
        minigrad.set_grad_enabled(True)
    with minigrad.set_grad_enabled(True):
        assert (x * 2).requires_grad


def test_grad_modes_as_decorators():
    x = minigrad.ones(2, requires_grad=True)

    @minigrad.no_grad()
    def doubled(t):
        return t * 2

    @minigrad.no_grad
    def tripled(t):
        return t * 3

    @minigrad.enable_grad()
    def recorded(t):
        return t * 4

    @minigrad.set_grad_enabled(False)
    def halved(t):
        return t / 2

    assert minigrad.is_grad_enabled()       # set_grad_enabled(False) as a decorator leaves the mode
    assert not doubled(x).requires_grad and not tripled(x).requires_grad and not halved(x).requires_grad
    assert doubled.__name__ == "doubled"
    with minigrad.no_grad():
        assert recorded(x).requires_grad
        assert not minigrad.is_grad_enabled()
    assert minigrad.is_grad_enabled()


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ValueError):
        with minigrad.no_grad():
            raise ValueError
    assert minigrad.is_grad_enabled()

    @minigrad.no_grad()
    def fails():
        raise ValueError
    with pytest.raises(ValueError):
        fails()
    assert minigrad.is_grad_enabled()


def test_inference_mode_records_nothing():
    x = minigrad.ones(2, requires_grad=True)
    with minigrad.inference_mode():
        assert not (x * 2).requires_grad
    with minigrad.inference_mode(False):
        assert (x * 2).requires_grad


# ---- autograd.grad -------------------------------------------------------------------------------
def grad_in_both(build, **options):
    """Run ``build(lib) -> (outputs, inputs, grad_outputs)`` and ``lib.autograd.grad`` in both."""
    results = []
    for library in (torch, minigrad):
        outputs, inputs, grad_outputs = build(library)
        grads = library.autograd.grad(outputs, inputs, grad_outputs, **options)
        results.append([None if g is None else g.tolist() for g in grads])
        results.append([t.grad for t in inputs if t.is_leaf])
    assert results[0] == results[2]
    assert results[1] == results[3] == [None] * len(results[1])   # leaves' .grad untouched
    return results[2]


def test_autograd_grad_single_input():
    def build(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        return (x * x).sum(), x, None
    assert grad_in_both(build) == [[2.0, 4.0, 6.0]]


def test_autograd_grad_with_grad_outputs_and_several_inputs():
    def build(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, -1.0], requires_grad=True)
        return [x * w, x + w], [x, w], [lib.tensor([1.0, 2.0]), lib.tensor([0.5, 0.5])]
    grad_in_both(build)


def test_autograd_grad_of_a_non_leaf():
    def build(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        h = x * 3.0
        return (h * h).sum(), [h, x], None
    grad_in_both(build)


def test_autograd_grad_allow_unused():
    def build(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        unused = lib.tensor([1.0], requires_grad=True)
        return (x * x).sum(), [x, unused], None
    assert grad_in_both(build, allow_unused=True)[1] is None

    def unused_raises(lib):
        outputs, inputs, _ = build(lib)
        lib.autograd.grad(outputs, inputs)
    assert_raises_like_torch(unused_raises)


def test_autograd_grad_retain_graph():
    for library in (torch, minigrad):
        x = library.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        first = library.autograd.grad(y, x, retain_graph=True)[0]
        second = library.autograd.grad(y, x)[0]
        assert first.tolist() == second.tolist() == [2.0, 4.0]

    def without_retain(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        lib.autograd.grad(y, x)
        lib.autograd.grad(y, x)
    assert_raises_like_torch(without_retain)


def test_autograd_grad_input_without_grad_raises_as_torch():
    def action(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        lib.autograd.grad((x * 2).sum(), lib.ones(2))
    assert_raises_like_torch(action)


# ---- hooks and retain_grad ---------------------------------------------------------------------
def hooked_grads(library, register):
    x = library.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2.0
    register(x, h)
    (h * h).sum().backward()
    return x.grad.tolist(), h.grad.tolist() if h.retains_grad else None


@pytest.mark.parametrize("case", ["leaf_replace", "leaf_observe", "nonleaf_replace", "retain_grad",
                                  "hook_then_retain", "retain_then_hook", "two_hooks"])
def test_hooks_match_torch(case):
    seen = {}

    def register(x, h):
        if case == "leaf_replace":
            x.register_hook(lambda grad: grad * 10)
        elif case == "leaf_observe":
            x.register_hook(lambda grad: seen.setdefault(len(seen), grad.tolist()) and None)
        elif case == "nonleaf_replace":
            h.register_hook(lambda grad: grad + 1)
        elif case == "retain_grad":
            h.retain_grad()
        elif case == "hook_then_retain":
            h.register_hook(lambda grad: grad * 10)
            h.retain_grad()
        elif case == "retain_then_hook":
            h.retain_grad()
            h.register_hook(lambda grad: grad * 10)
        elif case == "two_hooks":
            h.register_hook(lambda grad: grad * 10)
            h.register_hook(lambda grad: grad + 1)
    expected = hooked_grads(torch, register)
    torch_seen = dict(seen)
    seen.clear()
    assert hooked_grads(minigrad, register) == expected
    assert seen == torch_seen


def test_hook_handle_removes_the_hook():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    handle = x.register_hook(lambda grad: grad * 10)
    h = x * 1.0
    node_handle = h.register_hook(lambda grad: grad * 100)
    handle.remove()
    node_handle.remove()
    h.backward(minigrad.ones(2))
    assert x.grad.tolist() == [1.0, 1.0]


def test_hook_on_tensor_without_grad_raises_as_torch():
    assert_raises_like_torch(lambda lib: lib.ones(2).register_hook(lambda grad: grad))
    assert_raises_like_torch(lambda lib: lib.ones(2).retain_grad())


def test_non_leaf_grad_is_none_without_retain_grad():
    x = minigrad.tensor([1.0], requires_grad=True)
    h = x * 2.0
    (h * h).sum().backward()
    assert h.grad is None and not h.retains_grad
    h2 = x * 2.0
    h2.retain_grad()
    assert h2.retains_grad


# ---- the version counter ----------------------------------------------------------------------
def modified_after_save_nonleaf(lib):
    a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = a * 2
    y = h * h
    h.add_(1)
    y.sum().backward()


def modified_after_save_leaf(lib):
    x = lib.ones(2, requires_grad=True)
    y = x * x
    x.detach().add_(1)
    y.sum().backward()


def modified_output(lib):
    x = lib.ones(2, requires_grad=True)
    y = x.exp()
    y.mul_(3)
    y.sum().backward()


@pytest.mark.parametrize("action", [modified_after_save_nonleaf, modified_after_save_leaf,
                                    modified_output])
def test_inplace_change_of_saved_tensor_raises_torch_message(action):
    assert_raises_like_torch(action)


def test_inplace_change_of_unsaved_tensor_is_fine_as_torch():
    grads = []
    for library in (torch, minigrad):
        a = library.tensor([1.0, 2.0, 3.0], requires_grad=True)
        h = a * 2
        y = h * 3 + h        # neither op keeps h: its gradient does not depend on h's values
        h.add_(1)
        y.sum().backward()
        grads.append(a.grad.tolist())
    assert grads[0] == grads[1] == [8.0, 8.0, 8.0]



# ---- the order of the walk: the newest ready node first, as torch's engine -----------------
def two_broken_branches(lib, summed_last):
    """Two branches that each raise in backward: ``k //= 2`` has no derivative (an error of its own
    node), and sin saved ``m``, which ``m.add_(1)`` then changed (a version error).  torch runs the
    ready node with the highest sequence number (made last) first, whatever the order of the
    operands: the branch summed last decides the error (fuzz seed 100728)."""
    x = lib.tensor([0.5, -1.5, 2.0], dtype=lib.float64, requires_grad=True)
    k = x * 1
    k //= 2
    m = x * 2
    sine = m.sin()
    m.add_(1)
    branches = {"floor_divide": lambda: (k * 3).sum(), "sin": lambda: sine.sum()}
    first = branches.pop("sin" if summed_last == "floor_divide" else "floor_divide")()
    last = branches.popitem()[1]()
    (last + first).backward()


def version_errors_in_two_branches(lib, summed_last):
    """Two saved inputs written in place (once, twice): the error names the one whose node torch
    runs first, the newer of the two."""
    x = lib.tensor([0.5, -1.5, 2.0], dtype=lib.float64, requires_grad=True)
    a, b = x * 1, x * 2
    sin_a, cos_b = a.sin(), b.cos()
    a.add_(1)
    b.add_(1).add_(1)
    first, last = (sin_a.sum(), cos_b.sum()) if summed_last == "cos" else (cos_b.sum(), sin_a.sum())
    (last + first).backward()


@pytest.mark.parametrize("summed_last", ["floor_divide", "sin"])
def test_backward_meets_the_error_of_the_newest_ready_node_first_as_torch(summed_last):
    assert_raises_like_torch(lambda lib: two_broken_branches(lib, summed_last))


@pytest.mark.parametrize("summed_last", ["sin", "cos"])
def test_backward_names_the_saved_tensor_torch_checks_first(summed_last):
    assert_raises_like_torch(lambda lib: version_errors_in_two_branches(lib, summed_last))


@pytest.mark.parametrize("written", ["divisor", "nothing"])
def test_a_number_modulo_a_tensor_has_torchs_missing_derivative_and_saves_nothing(written):
    # ``-1.5 % x`` is torch's NotImplemented node: it runs first and saves nothing, so a write to
    # x after it does not stop backward with a version error first (fuzz seeds 174967, 182005)
    def action(lib):
        x = lib.tensor([0.5, -1.5, 2.0], dtype=lib.float64, requires_grad=True)
        divisor = x * 1
        remainder = -1.5 % divisor
        if written == "divisor":
            divisor.clamp_(min=-1.0)
        (remainder.sum() + divisor.exp().sum()).backward()
    assert_raises_like_torch(action)


@pytest.mark.parametrize("combine", ["remainder * quotient", "quotient * remainder", "remainder.pow_(quotient)",
                                     "stack([remainder, quotient])", "stack([quotient, remainder])"])
def test_of_two_nodes_without_a_derivative_the_one_torch_pushed_first_raises(combine):
    # ``0 % x`` and ``x // -200`` are both torch's NotImplemented nodes, numbered UINT64_MAX alike:
    # of the two, ready at once, torch runs the one its heap holds first (the first operand's
    # here), not the one made last (fuzz seed 1432937)
    def action(lib):
        x = lib.tensor(0.641, requires_grad=True)
        remainder, quotient = 0 % x, x // -200
        combined = eval(combine, {"stack": lib.stack, "remainder": remainder, "quotient": quotient})
        combined.sum().backward()
    assert_raises_like_torch(action)


def test_leaves_ready_at_once_accumulate_in_torchs_heap_order():
    # AccumulateGrad's number is UINT64_MAX too: seven leaves stacked are ready together, and their
    # hooks run in the order torch's std::priority_queue pops equal keys (0, 2, 5, 6, 4, 1, 3)
    def order(lib):
        ran = []
        leaves = [lib.tensor(float(i), requires_grad=True) for i in range(7)]
        for i, leaf in enumerate(leaves):
            leaf.register_hook(lambda grad, i=i: ran.append(i))
        lib.stack(leaves).sum().backward()
        return ran
    assert order(minigrad) == order(torch)


@pytest.mark.parametrize("walk", ["backward", "autograd.grad"])
def test_interleaved_chains_run_in_torchs_order(walk):
    # a node whose one input's node is ready next runs it at once, skipping the heap (a chain of ops:
    # engine._next_in_line), but only where the heap would pop it next: two chains made step by step
    # in turn run in torch's order, the newest ready node first, with each node's gradient its own
    # (autograd.grad too, which captures the leaves' gradients instead of accumulating them)
    def order(lib):
        ran = []
        x, y = (lib.tensor([0.5, -1.5], dtype=lib.float64, requires_grad=True) for _ in range(2))
        a, b = x, y
        for step in range(3):
            a, b = (a * 1.5).sin(), (b + 0.25).tanh()
            a.register_hook(lambda grad, step=step: ran.append(("a", step, grad.tolist())))
            b.register_hook(lambda grad, step=step: ran.append(("b", step, grad.tolist())))
        shared = (a * b).exp()                # one node feeding two chains: its gradient summed once
        loss = (shared.sin() + shared.cos() * 2).sum()
        if walk == "backward":
            loss.backward()
            return ran, x.grad.tolist(), y.grad.tolist()
        return ran, [grad.tolist() for grad in lib.autograd.grad(loss, [x, y])]
    assert order(minigrad) == order(torch)


def test_version_counts_inplace_changes_and_is_shared_by_detach():
    x = minigrad.ones(3)
    assert x._version == 0
    x.add_(1)
    x.mul_(2)
    detached = x.detach()
    detached.zero_()
    assert x._version == 3 == detached._version


def test_inplace_on_leaf_requiring_grad_raises_as_torch():
    assert_raises_like_torch(lambda lib: lib.ones(2, requires_grad=True).add_(1))
    assert_raises_like_torch(lambda lib: lib.ones(2, requires_grad=True).mul_(2))


def test_sgd_update_under_no_grad_keeps_a_leaf():
    results = []
    for library in (torch, minigrad):
        w = library.tensor([1.0, -2.0], requires_grad=True)
        (w * w).sum().backward()
        with library.no_grad():
            w -= 0.1 * w.grad
        results.append((w.tolist(), w.is_leaf, w.requires_grad, w.grad_fn, w._version))
        w.grad.zero_()
        (w * 3).sum().backward()
        assert w.grad.tolist() == [3.0, 3.0]
    assert results[0] == results[1]


# ---- requires_grad -----------------------------------------------------------------------------
@pytest.mark.parametrize("action", [
    lambda lib: lib.tensor([1, 2], requires_grad=True),
    lambda lib: lib.zeros(2, dtype=lib.int32, requires_grad=True),
    lambda lib: lib.ones(2, dtype=lib.int64).requires_grad_(),
    lambda lib: setattr(lib.ones(2, dtype=lib.int64), "requires_grad", True),
    lambda lib: setattr(lib.ones(2, requires_grad=True) * 2, "requires_grad", False),
    lambda lib: (lib.ones(2, requires_grad=True) * 2).requires_grad_(False),
], ids=["tensor", "zeros", "requires_grad_", "setattr", "non_leaf_off", "non_leaf_off_"])
def test_requires_grad_errors_match_torch(action):
    assert_raises_like_torch(action)


def test_integer_results_do_not_require_grad():
    x = minigrad.tensor([1.5, 2.5], requires_grad=True)
    assert not x.long().requires_grad
    assert x.float().requires_grad


def test_requires_grad_propagates_and_is_leaf():
    x = minigrad.ones(2, requires_grad=True)
    c = minigrad.ones(2)
    y = x * c
    assert y.requires_grad and not y.is_leaf and x.is_leaf and c.is_leaf
    assert not (c * 2).requires_grad and (c * 2).is_leaf
    assert y.grad_fn.name() == "MulBackward0"
    assert y.grad_fn.next_functions[1] == (None, 0)


# ---- detach, detach_, .data ---------------------------------------------------------------------
def test_detach_shares_memory_and_version_but_not_history():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    assert d.array is y.array
    d.zero_()
    assert y.tolist() == [0.0, 0.0] and y._version == 1


def test_detach_in_place():
    for library in (torch, minigrad):
        x = library.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        same = y.detach_()
        assert same is y and not y.requires_grad and y.grad_fn is None and y.is_leaf


def test_data_is_untracked_and_assignable():
    for library in (torch, minigrad):
        x = library.tensor([1.0, 2.0], requires_grad=True)
        y = x * x
        data = x.data
        assert not data.requires_grad
        data.mul_(3)                     # not counted: backward uses the new values silently
        assert x._version == 0 and x.tolist() == [3.0, 6.0]
        y.sum().backward()
        assert x.grad.tolist() == [6.0, 12.0]
        x.data = library.zeros(3)
        assert x.shape == (3,) and x.requires_grad


# ---- Function: users' own ops ----------------------------------------------------------------
class Cube(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return x ** 3

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return grad_output * 3 * x ** 2


class SplitSigns(Function):
    """Two outputs: the positive and the negative part."""

    def forward(self, x):
        self.save_for_backward(x)
        return numpy.maximum(x, 0), numpy.minimum(x, 0)

    def backward(self, grad_positive, grad_negative):
        (x,) = self.saved_tensors
        return numpy.where(x > 0, grad_positive, grad_negative)


class WrongCount(Function):
    def forward(self, a, b):
        return a + b

    def backward(self, grad_output):
        return grad_output


class WrongShape(Function):
    def forward(self, x):
        return x * 2

    def backward(self, grad_output):
        return grad_output.sum(keepdims=True)


def test_custom_function_gradient():
    x = minigrad.tensor([1.0, -2.0], dtype=minigrad.float64, requires_grad=True)
    y = Cube.apply(x)
    assert y.grad_fn.name() == "CubeBackward0"
    y.backward(minigrad.ones(2, dtype=minigrad.float64))
    assert x.grad.tolist() == [3.0, 12.0]
    assert minigrad.autograd.gradcheck(Cube.apply, (x,))


def test_custom_function_with_two_outputs_fills_the_unused_gradient_with_zeros():
    x = minigrad.tensor([1.0, -2.0, 3.0], requires_grad=True)
    positive, negative = SplitSigns.apply(x)
    positive.backward(minigrad.ones(3))
    assert x.grad.tolist() == [1.0, 0.0, 1.0]


def test_backward_returning_wrong_number_of_gradients_raises():
    a, b = minigrad.ones(2, requires_grad=True), minigrad.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"returned an incorrect number of gradients \(expected 2, got 1\)"):
        WrongCount.apply(a, b).backward(minigrad.ones(2))


def test_backward_returning_wrong_shape_raises():
    x = minigrad.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"invalid gradient at index 0 - got \[1\] but expected shape "
                                           r"compatible with \[3\]"):
        WrongShape.apply(x).backward(minigrad.ones(3))


class StackedGradient(Function):
    def forward(self, x):
        return x * 2

    def backward(self, grad_output):
        return numpy.stack([grad_output * 2, grad_output * 3])     # of a shape x's broadcasts to


class TorchStackedGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad_output):
        return torch.stack([grad_output * 2, grad_output * 3])


@pytest.mark.parametrize("shape", [(3,), (1,), ()])
def test_backward_returning_a_gradient_the_input_broadcasts_to_is_summed_as_torch(shape):
    # torch's engine (validate_outputs) sums a gradient that the input's shape expands to down to
    # that shape, and rejects any other shape
    x = minigrad.ones(shape, dtype=minigrad.float64, requires_grad=True)
    t = torch.ones(shape, dtype=torch.float64, requires_grad=True)
    StackedGradient.apply(x).sum().backward()
    TorchStackedGradient.apply(t).sum().backward()
    assert x.grad.shape == t.grad.shape and x.grad.tolist() == t.grad.tolist()


def test_no_graph_is_recorded_for_inputs_without_grad():
    y = Cube.apply(minigrad.ones(2))
    assert y.grad_fn is None and not y.requires_grad


def test_backward_with_inputs_accumulates_only_into_those_tensors_as_torch():
    import torch
    results = []
    for lib in (minigrad, torch):
        a = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
        b = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        hidden = a * b
        hidden.retain_grad()
        loss = (hidden ** 2).sum() + b.sum()
        loss.backward(inputs=[b, hidden], retain_graph=True)
        assert a.grad is None
        first_b = b.grad.tolist()
        lib.autograd.backward(loss, inputs=b)          # accumulates a second time
        results.append((first_b, b.grad.tolist(), hidden.grad.tolist()))
    assert results[0] == results[1]


def test_backward_with_a_non_leaf_input_fills_its_grad_as_torch():
    import torch
    results = []
    for lib in (minigrad, torch):
        a = lib.tensor([1.0, -2.0], dtype=lib.float64, requires_grad=True)
        hidden = a.exp()
        (hidden * 3).sum().backward(inputs=[hidden])
        results.append((a.grad, hidden.grad.tolist()))
    assert results[0][0] is None and results[1][0] is None
    assert results[0][1] == results[1][1]


@pytest.mark.parametrize("shape", [(4, 3), (2, 4, 3), (3,)])
@pytest.mark.parametrize("written", ["weight", "input", "input without grad"])
def test_linear_names_the_views_torch_saved_when_one_was_written(shape, written):
    # the classic error of an optimizer step before backward: torch's addmm saved weight.t(), a
    # (3, 2) view whose node is regenerated once the weight is written ("AsStrided"), and an
    # input that is not a matrix as its rows, (8, 3) or (1, 3)
    def action(lib):
        lib.manual_seed(0)
        layer = lib.nn.Linear(3, 2)
        x = lib.ones(*shape) if written == "input without grad" else lib.ones(*shape, requires_grad=True) * 1
        y = layer(x).sum()
        with lib.no_grad():
            (layer.weight if written == "weight" else x).add_(1)
        y.backward()
    assert_raises_like_torch(action)


@pytest.mark.parametrize("requires_grad", [True, False])
def test_matmul_of_a_batch_by_a_matrix_names_the_rows_torch_saved(requires_grad):
    # torch folds (2, 4, 3) @ (3, 2) into one (8, 3) @ (3, 2) product and saves those rows (fuzz seed 185627)
    def action(lib):
        a = lib.ones(2, 4, 3, requires_grad=True) * 1 if requires_grad else lib.ones(2, 4, 3)
        y = (a @ lib.ones(3, 2, requires_grad=True)).sum()
        with lib.no_grad():
            a.add_(1)
        y.backward()
    assert_raises_like_torch(action)


@pytest.mark.parametrize("product", ["linear", "vector @ matrix", "linear with bias", "matrix @ vector"])
def test_a_product_of_a_vector_torch_squeezes_in_place_starts_at_version_1(product):
    # torch computes a row vector's product as mm then squeeze_, an in-place write: the result is
    # at version 1, and the error of a later write says so (fuzz seeds 155253, 164872)
    def make(lib):
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        w = lib.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.25]], dtype=lib.float64, requires_grad=True)
        return {"linear": lambda: lib.nn.functional.linear(x, w), "vector @ matrix": lambda: x @ w.T,
                "linear with bias": lambda: lib.nn.functional.linear(x, w, w[0, :2]),
                "matrix @ vector": lambda: w @ x}[product]()

    assert make(minigrad)._version == make(torch)._version

    def action(lib):
        y = make(lib)
        z = y * y
        y.mul_(2)
        z.sum().backward()
    assert_raises_like_torch(action)


@pytest.mark.parametrize("loss", ["mse_loss", "smooth_l1_loss", "huber_loss"])
@pytest.mark.parametrize("target_shape", [(2, 4), (2, 1)])
@pytest.mark.parametrize("written", ["input", "target"])
def test_a_loss_of_broadcast_operands_names_the_broadcast_tensor_torch_saved(loss, target_shape, written):
    # torch broadcasts input and target to one shape and saves those: a written (2, 1) target is
    # named as a (2, 4) tensor (fuzz seed 181269)
    def action(lib):
        x = lib.ones(2, 4, dtype=lib.float64, requires_grad=True) * 1
        target = lib.ones(*target_shape, dtype=lib.float64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")         # (the size warning of a broadcast target)
            y = getattr(lib.nn.functional, loss)(x, target)
        with lib.no_grad():
            (x if written == "input" else target).add_(1)
        y.backward()
    assert_raises_like_torch(action)


@pytest.mark.parametrize("anomaly", [False, True])
def test_the_saved_tensor_error_ends_with_torchs_hint(anomaly):
    """torch's version error ends with a hint: enable anomaly detection, or (with it on) look at
    the backtrace above."""
    def action(lib):
        with lib.autograd.set_detect_anomaly(anomaly), warnings.catch_warnings():
            warnings.simplefilter("ignore")      # (anomaly mode's traceback warning)
            x = lib.ones(3, requires_grad=True)
            y = x.exp()
            y.add_(1)
            y.sum().backward()
    assert_raises_like_torch(action)
