"""Losses against torch: every option of every loss, module and functional forms, values and
gradients (of the input, and of the target where torch gives one), stability, errors."""
import math
import warnings

import numpy
import pytest
import torch

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from _nn_parity import torch_error
from _op_parity import assert_same

# every reduction in float64; float32 (rounding, not logic) with the mean only
REDUCTION_DTYPES = [("mean", "float64"), ("sum", "float64"), ("none", "float64"), ("mean", "float32")]
TOL = {"float64": (1e-9, 1e-10), "float32": (1e-5, 1e-6)}


def _tensor_pair(array, requires_grad):
    return (minigrad.tensor(array, requires_grad=requires_grad),
            torch.tensor(array, requires_grad=requires_grad))


def compare(our_fn, their_fn, arrays, grads, dtype="float64", seed=1, rtol=None, atol=None):
    """Run both libraries on ``arrays``; compare the loss and the gradients of the inputs flagged in ``grads``."""
    pairs = [_tensor_pair(a, g) for a, g in zip(arrays, grads)]
    ours = our_fn(*[p[0] for p in pairs])
    theirs = their_fn(*[p[1] for p in pairs])
    rtol, atol = (rtol or TOL[dtype][0]), (atol or TOL[dtype][1])
    assert ours.shape == tuple(theirs.shape) and ours.dtype.name == str(theirs.dtype)[6:]
    numpy.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol,
                                  err_msg="loss")
    if not any(grads):
        return ours, theirs
    weights = numpy.random.default_rng(seed).standard_normal(tuple(theirs.shape)).astype(dtype)
    (ours * minigrad.tensor(weights)).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    for index, (mine, reference) in enumerate(pairs):
        if grads[index]:
            assert mine.grad is not None, f"no gradient for input {index}"
            numpy.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=rtol, atol=atol,
                                          err_msg=f"gradient of input {index}")
    return ours, theirs


def both(name, **kwargs):
    """The functional loss ``name`` in both libraries, with ``kwargs`` made into each library's tensors."""
    def build(lib):
        converted = {k: lib.tensor(v) if isinstance(v, numpy.ndarray) else v for k, v in kwargs.items()}
        return lambda *tensors: getattr(lib.nn.functional, name)(*tensors, **converted)
    return build(minigrad), build(torch)


def assert_same_error(ours, theirs):
    kind, message = torch_error(theirs)
    message = message.replace("torch.Size", "minigrad.Size")
    with pytest.raises(kind) as raised:
        ours()
    assert str(raised.value) == message, f"minigrad: {raised.value!s}\ntorch:    {message}"


RNG = numpy.random.default_rng(0)


def logits(*shape, dtype="float64", scale=3.0):
    return (RNG.standard_normal(shape) * scale).astype(dtype)


def labels(shape, classes, ignore=None, ignore_index=-100):
    values = RNG.integers(0, classes, size=shape)
    if ignore is not None:
        values[ignore] = ignore_index
    return values


# ---- cross entropy ----------------------------------------------------------------------------------------------
CE_OPTIONS = [{}, {"weight": "w"}, {"ignore_index": 1}, {"label_smoothing": 0.1},
              {"weight": "w", "ignore_index": 2, "label_smoothing": 0.25}, {"weight": "w", "label_smoothing": 1.0}]


@pytest.mark.parametrize("reduction, dtype", REDUCTION_DTYPES)
@pytest.mark.parametrize("options", CE_OPTIONS, ids=str)
@pytest.mark.parametrize("input_shape", [(6, 5), (3, 5, 4), (2, 5, 3, 2), (5,)], ids=str)
def test_cross_entropy_with_class_indices(input_shape, options, reduction, dtype):
    classes = 5
    target_shape = (input_shape[0], *input_shape[2:]) if len(input_shape) > 1 else ()
    target = labels(target_shape, classes)
    if "ignore_index" in options and target.ndim:
        target.reshape(-1)[::3] = options["ignore_index"]
    kwargs = dict(options, reduction=reduction)
    if "weight" in kwargs:
        kwargs["weight"] = RNG.uniform(0.2, 2.0, classes).astype(dtype)
    ours, theirs = both("cross_entropy", **kwargs)
    compare(ours, theirs, [logits(*input_shape, dtype=dtype), target], [True, False], dtype)


@pytest.mark.parametrize("reduction, dtype", REDUCTION_DTYPES)
@pytest.mark.parametrize("options", [{}, {"weight": "w"}, {"label_smoothing": 0.2},
                                     {"weight": "w", "label_smoothing": 0.3}], ids=str)
@pytest.mark.parametrize("input_shape", [(6, 5), (3, 5, 4), (5,)], ids=str)
def test_cross_entropy_with_class_probabilities_including_target_gradient(input_shape, options, reduction, dtype):
    target = RNG.uniform(0, 1, input_shape)
    target = (target / target.sum(axis=0 if len(input_shape) == 1 else 1, keepdims=True)).astype(dtype)
    kwargs = dict(options, reduction=reduction)
    if "weight" in kwargs:
        kwargs["weight"] = RNG.uniform(0.2, 2.0, 5).astype(dtype)
    ours, theirs = both("cross_entropy", **kwargs)
    compare(ours, theirs, [logits(*input_shape, dtype=dtype), target], [True, True], dtype)


def test_cross_entropy_with_every_target_ignored_is_nan_with_zero_gradient():
    for smoothing in (0.0, 0.2):
        ours, theirs = both("cross_entropy", label_smoothing=smoothing)
        loss, _ = compare(ours, theirs, [logits(4, 5), numpy.full(4, -100)], [True, False])
        assert numpy.isnan(loss.item())


def test_cross_entropy_is_stable_for_huge_logits():
    x = numpy.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for target in (numpy.array([0, 2]), numpy.array([[0.5, 0.5, 0.0], [0.0, 0.1, 0.9]])):
            ours, theirs = both("cross_entropy", label_smoothing=0.1)
            loss, _ = compare(ours, theirs, [x, target], [True, target.dtype.kind == "f"])
            assert numpy.isfinite(loss.item())


def test_cross_entropy_is_one_node_with_a_closed_form_backward():
    x = minigrad.randn(4, 5, requires_grad=True)
    loss = F.cross_entropy(x, minigrad.tensor([0, 1, 2, 3]), label_smoothing=0.1)
    assert all(edge is None or type(edge[0]).__name__ == "AccumulateGrad" for edge in loss.grad_fn.next_edges)


CE_ERRORS = [
    lambda lib: lib.nn.functional.cross_entropy(lib.randn(4, 5), lib.rand(4)),
    lambda lib: lib.nn.functional.cross_entropy(lib.randn(4, 5), lib.tensor([1, 2, 3, 7])),
    lambda lib: lib.nn.functional.cross_entropy(lib.randn(4, 5), lib.tensor([1, 2, 3, -3])),
    lambda lib: lib.nn.functional.cross_entropy(lib.randn(4, 5), lib.tensor([1, 2, 3])),
    lambda lib: lib.nn.functional.cross_entropy(lib.randn(4, 5, 3), lib.zeros(4, 2, dtype=lib.int64)),
    lambda lib: lib.nn.functional.cross_entropy(lib.randn(4, 5, 3), lib.zeros(4, dtype=lib.int64)),
    lambda lib: lib.nn.functional.cross_entropy(lib.randn(4, 5, 3), lib.zeros(3, 3, dtype=lib.int64)),
    lambda lib: lib.nn.functional.cross_entropy(lib.randn(4, 5), lib.zeros(4, 5, 2, dtype=lib.int64)),
    lambda lib: lib.nn.functional.cross_entropy(lib.randn(4, 5), lib.tensor([1, 2, 3, 4]), weight=lib.ones(3)),
    lambda lib: lib.nn.functional.cross_entropy(lib.randn(4, 5), lib.tensor([1, 2, 3, 4]).int()),
    lambda lib: lib.nn.functional.cross_entropy(lib.randn(4, 5), lib.rand(4, 4)),
    lambda lib: lib.nn.functional.cross_entropy(lib.randn(4, 5), lib.tensor([1, 2, 3, 4]), reduction="bad"),
    lambda lib: lib.nn.functional.cross_entropy(lib.randn(4, 5), lib.tensor([1, 2, 3, 4]), label_smoothing=1.5),
    lambda lib: lib.nn.functional.cross_entropy(lib.randn(4, 5), lib.rand(4, 5), ignore_index=1),
    lambda lib: lib.nn.functional.cross_entropy(lib.randn(4, 5), lib.tensor([1, 2, 3, 4]), weight=lib.ones(5).double()),
    lambda lib: lib.nn.functional.nll_loss(lib.randn(4, 5).double(), lib.tensor([1, 2, 3, 4]), weight=lib.ones(5)),
    lambda lib: lib.nn.functional.cross_entropy(lib.randn(5), lib.tensor(7)),
    lambda lib: lib.nn.functional.nll_loss(lib.randn(4, 5), lib.tensor([1, 2, 3])),
    lambda lib: lib.nn.functional.nll_loss(lib.randn(4, 5), lib.rand(4, 5)),
    lambda lib: lib.nn.functional.nll_loss(lib.randn(4, 5), lib.tensor([0, 1, 9, 2])),
    # spatial inputs: nll_loss2d's checks, other ranks viewed as (N, C, 1, -1) or, empty, (N, C, 0, 0)
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(1, 0, 5), lib.zeros(1, 5, dtype=lib.int64), ignore_index=0),
    lambda lib: lib.nn.functional.nll_loss(lib.zeros(2, 0, 2, 2, 2), lib.zeros(2, 2, 2, 2, dtype=lib.int64)),
    lambda lib: lib.nn.functional.nll_loss(lib.zeros(1, 2, 1, 3), lib.zeros(1, 1, 2, dtype=lib.int64)),
    lambda lib: lib.nn.functional.nll_loss(lib.zeros(1, 2, 1, 3), lib.zeros(1, 3, dtype=lib.int64)),
]


@pytest.mark.parametrize("action", CE_ERRORS)
def test_cross_entropy_and_nll_errors_match_torch(action):
    assert_same_error(lambda: action(minigrad), lambda: action(torch))


@pytest.mark.parametrize("shape", [(0, 0, 2, 3), (2, 0), (1, 0, 1, 3)])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_label_smoothing_over_no_classes_is_nan_as_torch(shape, reduction):
    # torch scales the smoothing term by eps / C: with no classes that is inf, times 0 is nan
    def run(lib):
        x, target = lib.zeros(shape), lib.zeros((shape[0],) + shape[2:], dtype=lib.int64)
        loss = lib.nn.functional.cross_entropy(x, target, ignore_index=0, reduction=reduction, label_smoothing=0.5)
        return loss.tolist()
    numpy.testing.assert_array_equal(run(minigrad), run(torch))


@pytest.mark.parametrize("dtype, big", [("float64", 1e308), ("float32", 3e38), ("float16", 6e4)])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.1, 1.0])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_label_smoothing_reduces_its_two_terms_apart_as_torch(reduction, smoothing, weighted, dtype, big):
    """fuzz seed 430267: torch reduces the nll loss and the smoothing term each on its own, then
    adds (1 - eps) * nll + smooth * (eps / C); two samples' smoothing terms of 1e308 sum to inf
    (minigrad mixed the terms per sample first: 1e307), and with eps = 1, 0 * inf is NaN."""
    def run(lib):
        x = lib.tensor([[big, -2.3, 0.5], [7.4, -big, 1.0], [0.1, 0.2, 0.3], [-1.0, 2.0, 0.0]],
                       dtype=getattr(lib, dtype), requires_grad=True)
        weight = lib.tensor([0.5, 2.0, 1.5], dtype=getattr(lib, dtype)) if weighted else None
        loss = lib.nn.functional.cross_entropy(x, lib.tensor([1, 0, 2, 1]), weight=weight,
                                               reduction=reduction, label_smoothing=smoothing)
        loss.backward()
        return loss.detach().double().numpy(), x.grad.double().numpy()
    (loss, grad), (their_loss, their_grad) = run(minigrad), run(torch)
    numpy.testing.assert_array_equal(loss, their_loss)
    rtol, atol = {"float64": (1e-9, 0), "float32": (1e-5, 1e-7), "float16": (1e-2, 1e-3)}[dtype]   # rounding
    numpy.testing.assert_allclose(grad, their_grad, rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("scale", [0.0, 1.0])
def test_label_smoothing_gradient_sums_the_weighted_terms_as_torch(scale, reduction, dtype):
    """fuzz seed 838990: torch's smoothing gradient on log_p is -(g eps / C) w[c] per class, summed by
    log_softmax's backward; class weights whose sum overflows (the dtype's largest, twice) gave
    minigrad g * sum_c w[c] = 0 * inf = NaN where the incoming gradient is 0, torch's gradient 0."""
    big = {"float16": 6e4, "float32": 3e38, "float64": 1e308}[dtype]
    def run(lib):
        x = lib.tensor([[1.514093, -1.0, -1.0], [0.5, 2.0, -0.3]], dtype=getattr(lib, dtype), requires_grad=True)
        weight = lib.tensor([1.146, big, big], dtype=getattr(lib, dtype))
        loss = lib.nn.functional.cross_entropy(x, lib.tensor([1, 0]), weight=weight, reduction=reduction,
                                               label_smoothing=0.5)
        (loss * scale).sum().backward()
        return x.grad.double().numpy()
    ours, theirs = run(minigrad), run(torch)
    numpy.testing.assert_array_equal(numpy.isnan(ours), numpy.isnan(theirs))
    numpy.testing.assert_allclose(ours, theirs, rtol={"float64": 1e-12, "float32": 1e-6, "float16": 1e-3}[dtype])


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_no_classes_with_every_target_ignored_is_zero_loss_as_torch(reduction):
    def run(lib):
        x = lib.zeros(1, 0, 1, 3, requires_grad=True)
        loss = lib.nn.functional.cross_entropy(x, lib.zeros(1, 1, 3, dtype=lib.int64), ignore_index=0,
                                               reduction=reduction)
        return loss.shape, loss.tolist()
    ours, theirs = run(minigrad), run(torch)
    assert list(ours[0]) == list(theirs[0])
    numpy.testing.assert_array_equal(ours[1], theirs[1])


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("shape", [(1,), (1, 1), (2, 1, 3)])
@pytest.mark.parametrize("name", ["nll_loss", "cross_entropy"])
def test_a_zero_loss_is_a_positive_zero_as_torch(name, shape, reduction):
    """fuzz seed 175439: a zero loss is 0.0 (so rsqrt of it is inf), also for one unbatched sample,
    which torch's reducing kernel computes as 0 - w[y] log_p[y] where -w[y] log_p[y] would be -0.0."""
    def run(lib):
        x = lib.full(shape, 0.406, dtype=lib.float64) if name == "cross_entropy" else lib.zeros(shape, dtype=lib.float64)
        target = lib.zeros((shape[0], *shape[2:]) if len(shape) > 1 else (), dtype=lib.int64)
        losses = [getattr(lib.nn.functional, name)(x, target, reduction=reduction, **options).numpy()
                  for options in ({}, {"weight": lib.full(shape[-1:] if len(shape) == 1 else shape[1:2], 0.853,
                                                         dtype=lib.float64)})]
        return [(loss.tolist(), numpy.signbit(loss).tolist()) for loss in losses]
    assert run(minigrad) == run(torch)


@pytest.mark.parametrize("shape", [(2, 3, 2), (2, 3, 2, 1, 2), (2, 3, 2, 2), (2, 3), (0, 3, 2)])
@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_unreduced_losses_of_a_3d_or_5d_input_are_a_view_as_torchs(name, shape):
    """torch runs its 2-d kernel on such an input viewed as (N, C, 1, L) and views the (N, 1, L)
    losses back: a write into a piece of them gives the losses a new history, and their retained
    gradient stays None (fuzz seed 140903)."""
    results = []
    for lib in (torch, minigrad):
        x = lib.tensor(numpy.linspace(-2, 2, math.prod(shape)).reshape(shape), requires_grad=True)
        target = lib.tensor(numpy.arange(math.prod(shape[:1] + shape[2:])).reshape(shape[:1] + shape[2:]) % 3)
        losses = getattr(lib.nn.functional, name)(x, target, reduction="none")
        names = [losses.grad_fn.name(), losses.grad_fn.next_functions[0][0].name()]
        losses.retain_grad()
        piece = losses[:1]
        value = lib.tensor(0.5, dtype=lib.float64, requires_grad=True)
        piece[...] = value
        (losses * lib.ones(losses.shape, dtype=lib.float64)).sum().backward()
        results.append((names, losses.grad is None, x.grad.numpy(), value.grad.numpy()))
    (names, no_grad, x_grad, value_grad), (their_names, their_no_grad, their_x_grad, their_value_grad) = results[1], results[0]
    assert names[0] == their_names[0] and (names[0] != "ViewBackward0" or names == their_names)
    assert no_grad == their_no_grad
    numpy.testing.assert_allclose(x_grad, their_x_grad, rtol=1e-12)
    numpy.testing.assert_allclose(value_grad, their_value_grad, rtol=1e-12)


def test_byte_targets_are_accepted_as_in_torch():
    ours, theirs = both("cross_entropy")
    compare(ours, theirs, [logits(4, 5), numpy.array([0, 1, 4, 2], dtype=numpy.uint8)], [True, False])


# ---- NLL --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction, dtype", REDUCTION_DTYPES)
@pytest.mark.parametrize("options", [{}, {"weight": "w"}, {"ignore_index": 0}, {"weight": "w", "ignore_index": 3}],
                         ids=str)
@pytest.mark.parametrize("input_shape", [(6, 5), (2, 5, 3, 2), (5,)], ids=str)
def test_nll_loss(input_shape, options, reduction, dtype):
    target_shape = (input_shape[0], *input_shape[2:]) if len(input_shape) > 1 else ()
    target = labels(target_shape, 5)
    kwargs = dict(options, reduction=reduction)
    if "weight" in kwargs:
        kwargs["weight"] = RNG.uniform(0.2, 2.0, 5).astype(dtype)
    log_probs = torch.log_softmax(torch.tensor(logits(*input_shape)), dim=0 if len(input_shape) == 1 else 1)
    ours, theirs = both("nll_loss", **kwargs)
    compare(ours, theirs, [log_probs.numpy().astype(dtype), target], [True, False], dtype)


# ---- regression losses ------------------------------------------------------------------------------------------------
REGRESSION = [("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {}), ("smooth_l1_loss", {"beta": 0.5}),
              ("smooth_l1_loss", {"beta": 0.0}), ("huber_loss", {}), ("huber_loss", {"delta": 0.3}),
              ("huber_loss", {"delta": 2.5})]


@pytest.mark.parametrize("reduction, dtype", REDUCTION_DTYPES)
@pytest.mark.parametrize("name, options", REGRESSION, ids=str)
def test_regression_losses_with_input_and_target_gradients(name, options, reduction, dtype):
    ours, theirs = both(name, reduction=reduction, **options)
    compare(ours, theirs, [logits(4, 6, dtype=dtype), logits(4, 6, dtype=dtype)], [True, True], dtype)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_regression_losses_broadcast_a_different_target_shape_with_torchs_warning(name):
    ours, theirs = both(name)
    with pytest.warns(UserWarning, match="Using a target size"):
        compare(ours, theirs, [logits(3, 4), logits(4)], [True, True])
    assert_same_error(lambda: getattr(F, name)(minigrad.rand(3), minigrad.rand(4)),
                      lambda: getattr(torch.nn.functional, name)(torch.rand(3), torch.rand(4)))


def test_cross_entropy_with_probabilities_promotes_mixed_dtypes_as_torch():
    ours, theirs = both("cross_entropy")
    target = RNG.uniform(0, 1, (3, 4))
    # torch takes log_softmax in float32 before promoting, we promote first: float32 agreement
    # (an absolute tolerance too: a gradient element near 0 differs by float32 rounding, ~1e-8)
    loss, _ = compare(ours, theirs, [logits(3, 4, dtype="float32"), target / target.sum(1, keepdims=True)],
                      [True, True], rtol=1e-5, atol=1e-6)
    assert loss.dtype == minigrad.float64


def test_mse_loss_promotes_mixed_dtypes_as_torch():
    ours, theirs = both("mse_loss")
    loss, _ = compare(ours, theirs, [logits(3, 2, dtype="float32"), logits(3, 2)], [True, True])
    assert loss.dtype == minigrad.float64


# ---- binary cross entropy ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction, dtype", REDUCTION_DTYPES)
@pytest.mark.parametrize("weight_shape", [None, (4, 3), (3,)], ids=str)
def test_binary_cross_entropy(weight_shape, reduction, dtype):
    kwargs = {"reduction": reduction}
    if weight_shape:
        kwargs["weight"] = RNG.uniform(0.1, 2, weight_shape).astype(dtype)
    ours, theirs = both("binary_cross_entropy", **kwargs)
    probabilities = RNG.uniform(0.02, 0.98, (4, 3)).astype(dtype)
    compare(ours, theirs, [probabilities, RNG.uniform(0, 1, (4, 3)).astype(dtype)], [True, True], dtype)


def test_binary_cross_entropy_clamps_its_logs_at_minus_100_as_torch():
    ours, theirs = both("binary_cross_entropy", reduction="none")
    x, t = numpy.array([0.0, 1.0, 0.0, 1.0, 0.5]), numpy.array([1.0, 0.0, 0.0, 1.0, 0.5])
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=RuntimeWarning)   # log(0) before the clamp
        # the input gradient there is (x - t) / max(x (1 - x), 1e-12): torch's 1e-12 is a float32
        # constant, so at these 1e12-sized gradients the two agree to ~4e-9 only
        loss, _ = compare(ours, theirs, [x, t], [True, False], rtol=1e-8)
    assert loss.detach().numpy().tolist()[:4] == [100.0, 100.0, 0.0, 0.0]


@pytest.mark.parametrize("reduction, dtype", REDUCTION_DTYPES)
@pytest.mark.parametrize("options", [{}, {"weight": (4, 3)}, {"pos_weight": (3,)}, {"weight": (3,), "pos_weight": (3,)},
                                     {"pos_weight": (4, 1)}], ids=str)
def test_binary_cross_entropy_with_logits(options, reduction, dtype):
    kwargs = {"reduction": reduction}
    for key, shape in options.items():
        kwargs[key] = RNG.uniform(0.1, 3, shape).astype(dtype)
    ours, theirs = both("binary_cross_entropy_with_logits", **kwargs)
    compare(ours, theirs, [logits(4, 3, dtype=dtype), RNG.uniform(0, 1, (4, 3)).astype(dtype)], [True, True], dtype)


def test_binary_cross_entropy_with_logits_is_stable_for_huge_logits():
    x = numpy.array([1e4, -1e4, 50.0, -50.0, 0.0])
    t = numpy.array([0.0, 1.0, 1.0, 0.0, 0.5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours, theirs = both("binary_cross_entropy_with_logits", reduction="none", pos_weight=numpy.array(2.0))
        loss, _ = compare(ours, theirs, [x, t], [True, True])
    assert numpy.isfinite(loss.detach().numpy()).all() and loss.detach().numpy()[0] == 1e4


BCE_ERRORS = [
    lambda lib: lib.nn.functional.binary_cross_entropy(lib.rand(3), lib.rand(3, 1)),
    lambda lib: lib.nn.functional.binary_cross_entropy(lib.rand(3) + 1, lib.rand(3)),
    lambda lib: lib.nn.functional.binary_cross_entropy(lib.rand(3), lib.rand(3).double()),
    # element by element, the input before the target: the first bad element names one
    lambda lib: lib.nn.functional.binary_cross_entropy(lib.tensor([0.5, math.nan]), lib.tensor([math.nan, 0.5])),
    lambda lib: lib.nn.functional.binary_cross_entropy(lib.tensor([math.nan, 0.5]), lib.tensor([0.5, math.nan])),
    lambda lib: lib.nn.functional.binary_cross_entropy(lib.tensor([0.5, 2.0]), lib.tensor([0.5, 2.0])),
    lambda lib: lib.nn.functional.binary_cross_entropy_with_logits(lib.rand(3), lib.rand(3, 1)),
    lambda lib: lib.nn.functional.mse_loss(lib.rand(3), lib.rand(3), reduction="avg"),
]


@pytest.mark.parametrize("action", BCE_ERRORS)
def test_binary_and_regression_errors_match_torch(action):
    assert_same_error(lambda: action(minigrad), lambda: action(torch))


# ---- module forms -----------------------------------------------------------------------------------------------
def _module_cases():
    w = RNG.uniform(0.5, 2, 5)
    index_target = labels((6,), 5)
    return [
        ("CrossEntropyLoss", {}, (6, 5), index_target),
        ("CrossEntropyLoss", {"weight": w, "ignore_index": 1, "label_smoothing": 0.1, "reduction": "sum"}, (6, 5),
         index_target),
        ("NLLLoss", {"weight": w, "reduction": "none"}, (6, 5), index_target),
        ("MSELoss", {}, (6, 5), logits(6, 5)),
        ("L1Loss", {"reduction": "sum"}, (6, 5), logits(6, 5)),
        ("SmoothL1Loss", {"beta": 0.5}, (6, 5), logits(6, 5)),
        ("HuberLoss", {"delta": 0.7, "reduction": "none"}, (6, 5), logits(6, 5)),
        ("BCELoss", {"weight": w}, None, RNG.uniform(0, 1, (6, 5))),
        ("BCEWithLogitsLoss", {"pos_weight": w, "weight": w}, (6, 5), RNG.uniform(0, 1, (6, 5))),
    ]


@pytest.mark.parametrize("name, options, input_shape, target", _module_cases(), ids=lambda v: str(v)[:20])
def test_loss_modules_match_torch_and_keep_weights_as_buffers(name, options, input_shape, target):
    def build(lib):
        return getattr(lib.nn, name)(**{k: lib.tensor(v) if isinstance(v, numpy.ndarray) else v
                                        for k, v in options.items()})
    ours, theirs = build(minigrad), build(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    x = RNG.uniform(0.05, 0.95, (6, 5)) if input_shape is None else logits(*input_shape)
    compare(ours, theirs, [x, target], [True, target.dtype.kind == "f"])


def test_legacy_size_average_and_reduce_arguments():
    for size_average, reduce in ((False, None), (None, False), (True, True)):
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            ours = nn.MSELoss(size_average=size_average, reduce=reduce)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = torch.nn.MSELoss(size_average=size_average, reduce=reduce)
        assert ours.reduction == theirs.reduction


def test_weight_buffer_moves_with_the_module():
    loss = nn.CrossEntropyLoss(weight=minigrad.ones(3))
    loss.double()
    assert loss.weight.dtype == minigrad.float64


# ---- KL divergence ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none", "mean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_with_input_and_target_gradients(log_target, reduction, dtype):
    log_probs = torch.log_softmax(torch.tensor(logits(4, 5)), dim=1).numpy().astype(dtype)
    target = RNG.uniform(0.05, 1, (4, 5))
    target = target / target.sum(1, keepdims=True)
    target = (numpy.log(target) if log_target else target).astype(dtype)
    ours, theirs = both("kl_div", reduction=reduction, log_target=log_target)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # torch's and our warning about reduction='mean'
        compare(ours, theirs, [log_probs, target], [True, True], dtype)


@pytest.mark.parametrize("reduction", ["sum", "mean", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_broadcasts_a_smaller_target_in_its_gradients(log_target, reduction):
    """A 0-d (or smaller) target broadcast against the input: each gradient has its own shape."""
    log_probs = numpy.log(RNG.uniform(0.1, 1, (2, 3)))
    target = numpy.array(0.4 if not log_target else -0.9)
    ours, theirs = both("kl_div", reduction=reduction, log_target=log_target)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(ours, theirs, [log_probs, target], [True, True], "float64")


@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_saves_what_torchs_composite_saves(log_target):
    """``exp(t) * (t - x)`` saves new tensors (writing the target afterwards is fine); ``xlogy(t, t)
    - t * x`` saves the target (writing it stops backward), as torch."""
    def run(lib):
        x = lib.tensor([-1.0, -2.0], dtype=lib.float64, requires_grad=True)
        target = lib.tensor([0.25, 0.5], dtype=lib.float64)
        loss = lib.nn.functional.kl_div(x * 1, target, reduction="sum", log_target=log_target)
        target.mul_(2)
        try:
            loss.backward()
        except RuntimeError as error:
            return str(error).replace("torch.", "minigrad.")
        return x.grad.tolist()
    assert run(minigrad) == run(torch)


def test_kl_div_zero_target_contributes_zero_and_mean_warns():
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        loss = F.kl_div(minigrad.tensor([-1.0, -2.0]), minigrad.tensor([0.0, 0.5]), reduction="mean")
    assert numpy.isclose(loss.item(), 0.5 * (numpy.log(0.5) + 2.0) / 2)   # t (log t - x), averaged
    module = nn.KLDivLoss(reduction="batchmean", log_target=True)
    assert repr(module) == repr(torch.nn.KLDivLoss(reduction="batchmean", log_target=True))
    assert_same_error(lambda: F.kl_div(minigrad.zeros(2), minigrad.ones(2), reduction="x"),
                      lambda: torch.nn.functional.kl_div(torch.zeros(2), torch.ones(2), reduction="x"))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("beta", [None, 0.0])
def test_l1_loss_lets_the_target_be_written_after_it_as_torch(reduction, beta):
    """fuzz class 'error-only-minigrad @ backward': torch's l1_loss is (input - target).abs()
    reduced, whose backward saves the difference, so an in-place write to the target after the
    loss does not stop backward (mse_loss saves the target and does)."""
    results = []
    for lib in (torch, minigrad):
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        target = lib.tensor([2.0, 0.25, 2.0], dtype=lib.float64)
        loss = (lib.nn.functional.l1_loss(x, target, reduction=reduction) if beta is None else
                lib.nn.functional.smooth_l1_loss(x, target, reduction=reduction, beta=beta))
        target[...].neg_()
        loss.sum().backward()
        results.append((type(loss.grad_fn).__name__ if lib is torch else loss.grad_fn.name(), x.grad.tolist()))
    assert results[0] == results[1]


def _loss_and_grads(lib, fn, arrays):
    """``fn(F, *tensors)`` in ``lib``, its value and every input's gradient, as NumPy arrays."""
    tensors = [lib.tensor(a, requires_grad=i < 2) for i, a in enumerate(arrays)]    # input and target
    loss = fn(lib.nn.functional, *tensors)
    loss.backward(lib.ones_like(loss) * 1.5)
    return [loss.detach().numpy()] + [t.grad.numpy() for t in tensors[:2]]


inf = float("inf")
EXTREME_LOSSES = [   # each once overflowed or met 0 * inf where torch's formulas do not
    ("mse mean of huge differences", lambda F, x, t: F.mse_loss(x, t), [[1e308, -1e308, 1.0], [-1e307, 1e307, 0.0]]),
    ("mse mean in float16", lambda F, x, t: F.mse_loss(x, t),
     [numpy.array([200.0, -200.0, 2.0], "float16"), numpy.array([-20.0, 20.0, 1.0], "float16")]),
    ("huber mean in float16", lambda F, x, t: F.huber_loss(x, t),
     [numpy.array([30000.0, 30000.0, 1.0], "float16"), numpy.array([-20000.0, -20000.0, 1.0], "float16")]),
    ("bce with logits, infinite logits", lambda F, x, t: F.binary_cross_entropy_with_logits(x, t, reduction="sum"),
     [[-inf, inf, 3.0], [1.4, 0.5, 0.2]]),
    ("bce with logits and pos_weight", lambda F, x, t, p: F.binary_cross_entropy_with_logits(x, t, pos_weight=p),
     [[-inf, 50.0, -3.0], [0.3, 0.5, 1.0], [2.0, 0.5, 1.5]]),
    ("bce at 0 and 1", lambda F, x, t: F.binary_cross_entropy(x, t, reduction="sum"), [[0.0, 1.0, 0.25], [0.5, 0.5, 1.0]]),
    ("kl_div with log targets", lambda F, x, t: F.kl_div(x, t, reduction="none", log_target=True),
     [numpy.array([3e38, -1.0], "float32"), numpy.array([-146.5, -0.5], "float32")]),
    ("kl_div at zero targets", lambda F, x, t: F.kl_div(x, t, reduction="sum"), [[-inf, -1.0, -2.0], [0.0, 0.5, -0.5]]),
]


@pytest.mark.parametrize("name, fn, arrays", EXTREME_LOSSES, ids=[e[0] for e in EXTREME_LOSSES])
def test_loss_values_and_gradients_at_extremes_match_torch(name, fn, arrays):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = _loss_and_grads(minigrad, fn, arrays)
        theirs = _loss_and_grads(torch, fn, arrays)
    for mine, reference in zip(ours, theirs):
        assert mine.dtype == reference.dtype
        numpy.testing.assert_allclose(mine, reference, rtol=1e-6)     # NaN and infinities where torch has them


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("weighted", [True, False])
@pytest.mark.parametrize("shape", [(3, 2), (40, 3), (300, 4), (17, 3, 2), (1, 2, 2)])
def test_float16_class_index_cross_entropy_sums_in_float16_as_torch(shape, weighted, reduction):
    """torch's CPU nll_loss sums a float16 batch's weighted losses and weights in float16, in eight
    cascading partial sums (fuzz seed 240260: weights 60000 + 60000 give a total weight of inf and a
    mean of NaN, where a float32 sum gives a number); its log_softmax runs in float32, rounded once."""
    rng = numpy.random.default_rng(sum(shape))
    scores = (rng.standard_normal(shape) * 4).astype("float16")
    target = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    target[rng.random(target.shape) < 0.2] = -100
    weights = [numpy.array([0.4856, 60000.0] + [1.5] * (shape[1] - 2), "float16"),
               (rng.random(shape[1]) * 3e4).astype("float16")]
    for weight in weights if weighted else [None]:
        results = []
        for lib in (torch, minigrad):
            x = lib.tensor(scores, requires_grad=True)
            loss = lib.nn.functional.cross_entropy(x, lib.tensor(target), reduction=reduction,
                                                   weight=None if weight is None else lib.tensor(weight))
            loss.backward()
            results.append((loss.detach().numpy(), x.grad.numpy()))
        numpy.testing.assert_array_equal(results[0][0], results[1][0])     # the same float16, NaN and inf too
        scale = max(1.0, float(numpy.nanmax(numpy.abs(results[1][1]), initial=0)))
        numpy.testing.assert_allclose(results[0][1].astype(float), results[1][1].astype(float),
                                      rtol=2e-3, atol=2e-3 * scale)


@pytest.mark.parametrize("shape", [(3, 2, 5), (2, 3, 2, 2, 2), (3, 2, 2, 2), (4, 3), (0, 1, 1), (0, 3, 2),
                                   (2, 3, 0), (0, 2, 1, 1, 1)])
def test_nll_loss_input_written_in_place_names_the_view_torch_saved(shape):
    """fuzz seed 281449: torch's nll_loss of a 3-d (or more than 4-d) input saves it viewed as
    (N, C, 1, L), so its error for an in-place write names that view, by then AsStrided; an empty
    one as (N, C, 0, 0) (fuzz seed 587296)."""
    data = numpy.random.default_rng(0).standard_normal(shape).astype("float32")

    def backward_after_a_write(lib):
        def run():
            written = lib.tensor(data, requires_grad=True) * 1
            loss = lib.nn.functional.nll_loss(written, lib.zeros((shape[0],) + shape[2:], dtype=lib.int64))
            written.clamp_(min=-1)
            loss.backward()
        return run
    kind, message = torch_error(backward_after_a_write(torch))
    with pytest.raises(kind) as raised:
        backward_after_a_write(minigrad)()
    assert str(raised.value) == message.replace("torch.", "minigrad.")


def test_kl_div_target_gradient_is_zero_where_the_incoming_gradient_is():
    """torch's xlogy backward is xlogy(grad, t): 0 where grad is 0, even for a negative target."""
    grads = []
    for module in (minigrad, torch):
        x = module.tensor([-1.7, 0.3, 1.2], requires_grad=True)
        t = module.tensor([-50.9, 147.5, 0.5], requires_grad=True)
        module.nn.functional.kl_div(x, t, reduction="sum").backward(module.tensor(0.0))
        grads.append(t.grad.numpy())
    numpy.testing.assert_array_equal(*grads)


@pytest.mark.parametrize("log_target, target", [(True, [[2.6, float("inf")], [0.1, -4.4]]),
                                                (False, [[0.0, 0.5], [-1.0, 2.0]])])
def test_kl_div_target_gradient_sums_an_empty_broadcast_before_the_target_is_met(log_target, target):
    """fuzz seed 277787: an empty input broadcast against the target: torch sums the (empty) gradient
    to the target's shape first, and those zeros then meet exp(t) (NaN at t = inf) or t / t (NaN at 0)."""
    grads = []
    for module in (minigrad, torch):
        x = module.zeros((0, 2, 2))
        t = module.tensor(target, requires_grad=True)
        module.nn.functional.kl_div(x, t, reduction="none", log_target=log_target).sum().backward()
        grads.append(t.grad.numpy())
    numpy.testing.assert_array_equal(*grads)


@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_broadcast_error_names_the_target_first_as_torch(log_target):
    """fuzz seed 246126: torch's first broadcast is t * x (or t - x), so the target is tensor a."""
    assert_same_error(lambda: F.kl_div(minigrad.zeros(4, 6, 4), minigrad.zeros(2, 4), reduction="sum",
                                       log_target=log_target),
                      lambda: torch.nn.functional.kl_div(torch.zeros(4, 6, 4), torch.zeros(2, 4), reduction="sum",
                                                         log_target=log_target))


@pytest.mark.parametrize("name, options", [("nll_loss", {}), ("cross_entropy", {}),
                                           ("cross_entropy", {"label_smoothing": 0.5})])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("shape", [(0,), (4, 0)])
def test_class_losses_with_no_classes_and_every_target_ignored_match_torch(name, options, reduction, shape):
    results = []
    for module in (minigrad, torch):
        x = module.zeros(shape, dtype=module.float64, requires_grad=True)
        target = module.zeros(shape[:1] if len(shape) == 2 else (), dtype=module.int64)
        loss = getattr(module.nn.functional, name)(x, target, reduction=reduction, ignore_index=0, **options)
        loss.sum().backward()
        results.append((loss.detach().numpy(), x.grad.shape))
    numpy.testing.assert_equal(results[0], results[1])


@pytest.mark.parametrize("name, options", [("cross_entropy", {}), ("cross_entropy", {"label_smoothing": 0.2}),
                                           ("nll_loss", {}), ("nll_loss", {"weight": [float("nan"), 2.0]})])
def test_ignored_samples_get_a_zero_gradient_even_from_an_infinite_one(name, options):
    # torch's nll backward writes zeros for ignored samples (and masks the smoothing term): no 0 * inf,
    # nor 0 * the ignored class's NaN weight
    def run(lib):
        x = lib.tensor([[-118.9, 23.7], [-50.0, 15.5], [3e38, -0.0]], requires_grad=True)
        given = {key: lib.tensor(value) if key == "weight" else value for key, value in options.items()}
        loss = getattr(lib.nn.functional, name)(x, lib.tensor([0, 0, 1]), ignore_index=0, reduction="sum", **given)
        loss.backward(lib.tensor(float("inf")))
        return x.grad.tolist()
    numpy.testing.assert_array_equal(run(minigrad), run(torch))


@pytest.mark.parametrize("name, label_smoothing", [("cross_entropy", 0.0), ("cross_entropy", 0.5), ("nll_loss", 0.0)])
@pytest.mark.parametrize("ignore_index", [-100, 0])
def test_a_zero_total_weight_gives_torchs_nan_gradient_unless_every_target_is_ignored(name, label_smoothing,
                                                                                     ignore_index):
    # torch divides by the total weight: 0 * (1 / 0) is NaN at the targets; ignored targets stay 0
    def run(lib):
        x = lib.tensor([[1.0, 2.0, 0.5], [0.3, 0.2, 0.1]], requires_grad=True)
        options = {"label_smoothing": label_smoothing} if label_smoothing else {}
        loss = getattr(lib.nn.functional, name)(x, lib.tensor([0, 0]), weight=lib.tensor([0.0, 1.0, 2.0]),
                                                ignore_index=ignore_index, **options)
        loss.backward()
        return x.grad.tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        numpy.testing.assert_array_equal(run(minigrad), run(torch))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(2, 2), (1, 2, 3)])
def test_cross_entropy_gradient_at_a_label_near_certain_is_one_fused_multiply_add_as_torchs(dtype, shape):
    """fuzz seed 1127943: at the label torch's log_softmax backward gives -a - exp(y) * -a as one fused
    multiply-add; with p = 1 - 8.9e-16 the two roundings of exp(y) * a - a were 3% of the gradient
    (then 1 / loss made that 2.5 for torch's 2.421)."""
    def action(lib):
        x = lib.tensor(numpy.resize([57.606, 22.945, 16.13, 3.2, -8.0, 40.1], shape).tolist(),
                       dtype=getattr(lib, dtype), requires_grad=True)
        target = lib.tensor(numpy.zeros((shape[0],) + shape[2:], dtype=numpy.int64))
        loss = lib.nn.functional.cross_entropy(x, target, reduction="none")
        (lib.log(loss) * -2.421).sum().backward()
        return x.grad.tolist()
    assert_same(action)


@pytest.mark.parametrize("target", [0, 1])
def test_cross_entropy_of_one_float32_sample_near_certain_rounds_exp_once_as_torchs(target):
    """fuzz seed 3762715: an unbatched sample's label log-probability is picked as a NumPy scalar,
    which skipped the float32 exp rounded once: p = exp(-1.0728830e-06) came out an ulp low
    (NumPy's float32 exp), and the gradient at the label -1.0133e-06 for torch's -1.0729e-06."""
    def action(lib):
        x = lib.tensor([-6.462392, 7.267799] if target else [7.267799, -6.462392], requires_grad=True)
        loss = lib.nn.functional.cross_entropy(x, lib.tensor(target), reduction="none")
        loss.backward()
        return x.grad.tolist()
    assert_same(action)


LAYOUT_LOSSES = {
    "mse_loss": {}, "l1_loss": {}, "smooth_l1_loss": {}, "huber_loss": {}, "binary_cross_entropy": {},
    "binary_cross_entropy_with_logits": {}, "kl_div": {}, "kl_div-log_target": {"log_target": True},
}


def _laid_out(lib, array, layout):
    """``array`` as a tensor of its shape: row-major, transposed, with gaps, or broadcast from a
    (4, 1, 1) slice (a size-1 dim with a stride of its own)."""
    whole = lib.tensor(numpy.resize(array, (4, 3, 6)).tolist(), dtype=lib.float64)
    return {"row-major": whole.permute(2, 1, 0).contiguous(), "transposed": whole.permute(2, 1, 0),
            "gaps": whole[:, :, ::2].permute(2, 1, 0), "broadcast": whole[:, :1, :1].permute(2, 1, 0)}[layout]


@pytest.mark.parametrize("name", LAYOUT_LOSSES)
@pytest.mark.parametrize("input_layout", ["row-major", "transposed", "gaps", "broadcast"])
@pytest.mark.parametrize("target_layout", ["row-major", "transposed", "gaps", "broadcast"])
def test_an_unreduced_loss_has_torchs_layout(name, input_layout, target_layout):
    """fuzz seed 1386515: ``mse_loss(x.mT, t, reduction='none')`` is laid out as its input (one
    TensorIterator over input and target), so ``.view(-1)`` refuses it as torch's; binary_cross_entropy
    writes into ``empty_like(input)``, huber_loss too, the one with logits into ``empty_like(target)``
    (``1 - target``), kl_div's composite takes the target first.  (The BCEs refuse a target of
    another shape: the same error.)"""
    def action(lib):
        input = _laid_out(lib, [0.2, 0.7, 0.35, 0.9, 0.15], input_layout)
        target = _laid_out(lib, [0.6, 0.25, 0.8, 0.45], target_layout)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loss = getattr(lib.nn.functional, name.split("-")[0])(input, target, reduction="none",
                                                                  **LAYOUT_LOSSES[name])
        return loss.shape, loss.stride()     # (the values: the tests above; exp may be an ulp off)
    assert_same(action)


def test_an_unreduced_mse_loss_of_a_transposed_input_refuses_view_as_torchs():
    def action(lib):
        x = lib.tensor(numpy.arange(15.0).reshape(3, 5).tolist())
        return lib.nn.functional.mse_loss(x.mT, x.mT.contiguous() * 0.5, reduction="none").view(-1)
    assert_same(action)


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("shape", [(0, 3), (0, 3, 4), (0, 3, 3, 3), (0, 3, 4, 5, 6), (2, 3), (2, 3, 3, 3)])
def test_a_0d_target_of_a_batch_is_refused_as_torch_refuses_it(loss, shape):
    """torch counts a 0-d target's batch as 0: against a batch of 2 that is its batch-size ValueError,
    against an empty batch the check passes and the next one reads the target's sizes (an IndexError
    for a matrix, ArrayRef's RuntimeError for (N, C, d), nll_loss2d's for (N, C, H, W)); minigrad gave
    the batch-size error for all (found by the fuzzer's grad_fn names, seed 5828)."""
    def action(lib):
        return getattr(lib.nn.functional, loss)(lib.zeros(shape, dtype=lib.float64), lib.zeros((), dtype=lib.int64))
    assert_same(action)
