"""create_graph=True through nn.functional and modules: second derivatives equal torch's (float64)."""
import math

import numpy
import pytest
import torch

import minigrad
from _higher_order import assert_second_order_matches_torch

ACTIVATIONS = {
    "gelu": {}, "gelu_tanh": {"approximate": "tanh"}, "silu": {}, "mish": {}, "softplus": {},
    "softplus_beta": {"beta": 2.0, "threshold": 1.0}, "logsigmoid": {}, "elu": {}, "selu": {}, "celu": {},
    "leaky_relu": {"negative_slope": 0.1}, "hardtanh": {}, "hardsigmoid": {}, "hardswish": {},
    "softsign": {}, "tanhshrink": {}, "relu6": {},
}
# torch 2.13 has no double backward for these ("derivative for aten::hardsigmoid_backward is not
# implemented"); minigrad's is checked against finite differences instead
TORCH_HAS_NO_DOUBLE_BACKWARD = {"hardsigmoid"}


@pytest.mark.parametrize("name", sorted(set(ACTIVATIONS) - TORCH_HAS_NO_DOUBLE_BACKWARD))
def test_activation_second_derivative_matches_torch(name):
    options = dict(ACTIVATIONS[name])
    function = name.replace("_tanh", "").replace("_beta", "")
    assert_second_order_matches_torch(
        lambda lib, x, w: getattr(lib.nn.functional, function)(x * w, **options), [(3, 5), (3, 5)], -2.5, 2.5)


@pytest.mark.parametrize("bias", [True, False])
def test_linear_second_derivative_matches_torch(bias):
    assert_second_order_matches_torch(
        lambda lib, x, w, b: lib.nn.functional.linear(x * x, w, b if bias else None), [(2, 3, 4), (5, 4), (5,)])


def test_composite_input_computed_from_another_input_matches_torch():
    """A fused node differentiated through its composite: the gradient reaching ``x * w`` must not be
    passed on to ``w`` a second time (the composite's inputs are aliased)."""
    assert_second_order_matches_torch(
        lambda lib, x, w, b: lib.nn.functional.layer_norm(x * w, (4,), w, b), [(2, 3, 4), (4,), (4,)])


@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_second_derivative_matches_torch(affine):
    assert_second_order_matches_torch(
        lambda lib, x, w, b: lib.nn.functional.layer_norm(x * x, (4,), w if affine else None,
                                                           b if affine else None),
        [(2, 3, 4), (4,), (4,)])


def test_rms_norm_second_derivative_matches_torch():
    assert_second_order_matches_torch(
        lambda lib, x, w: lib.nn.functional.rms_norm(x, (3, 4), w, eps=1e-6), [(2, 3, 4), (3, 4)])


def _copy(ours, theirs):
    ours.load_state_dict({key: value.detach().numpy() for key, value in theirs.state_dict().items()})


def _gradient_penalty(library, model, x):
    """WGAN-GP: the gradient of (|d model(x) / dx| - 1)^2 with respect to the parameters."""
    x = x.clone().requires_grad_(True)
    output = model(x).sum()
    (grad_x,) = library.autograd.grad(output, x, create_graph=True)
    penalty = ((grad_x.reshape(grad_x.shape[0], -1).norm(dim=1) - 1) ** 2).mean()
    penalty.backward()
    return penalty


def test_gradient_penalty_through_an_mlp_matches_torch():
    def build(library):
        nn = library.nn
        library.manual_seed(0)
        return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.GELU(), nn.LayerNorm(8),
                             nn.Linear(8, 1)).double()
    theirs, ours = build(torch), build(minigrad)
    _copy(ours, theirs)
    x = numpy.random.default_rng(0).standard_normal((5, 4))
    mine = _gradient_penalty(minigrad, ours, minigrad.tensor(x))
    reference = _gradient_penalty(torch, theirs, torch.tensor(x))
    numpy.testing.assert_allclose(mine.item(), reference.item(), rtol=1e-10)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert (p.grad is None) == (q.grad is None), name     # the last biases do not reach the penalty
        if q.grad is not None:
            numpy.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-9, atol=1e-11, err_msg=name)


def test_hardsigmoid_double_backward_where_torch_has_none():
    x = torch.tensor([0.5, -1.0], dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(torch.nn.functional.hardsigmoid(x).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="hardsigmoid_backward is not implemented"):
        grad.sum().backward()
    ours = minigrad.tensor([0.5, -1.0, 2.0, 3.5], dtype=minigrad.float64, requires_grad=True)
    assert minigrad.autograd.gradgradcheck(minigrad.nn.functional.hardsigmoid, [ours])


def _targets(lib, kind, shape):
    rng = numpy.random.default_rng(7)
    if kind == "index":
        return lib.tensor(rng.integers(0, shape[1], (shape[0],) + tuple(shape[2:])))
    if kind == "probability":
        return lib.tensor(rng.uniform(0.05, 0.95, shape))
    return lib.tensor(rng.standard_normal(shape))


LOSSES = {
    "cross_entropy": (lambda lib, x, t: lib.nn.functional.cross_entropy(x * x, t), "index", (4, 5)),
    "cross_entropy_weight_ignore_smooth": (
        lambda lib, x, t: lib.nn.functional.cross_entropy(
            x * x, t, weight=lib.tensor([1.0, 2.0, 0.5, 1.5, 1.0], dtype=lib.float64), ignore_index=2,
            label_smoothing=0.1), "index", (4, 5)),
    "cross_entropy_3d_sum": (lambda lib, x, t: lib.nn.functional.cross_entropy(x * x, t, reduction="sum"),
                             "index", (2, 5, 3)),
    "cross_entropy_probabilities": (lambda lib, x, t: lib.nn.functional.cross_entropy(x * x, t.softmax(1)),
                                    "real", (4, 5)),
    "nll": (lambda lib, x, t: lib.nn.functional.nll_loss((x * x).log_softmax(1), t, reduction="none"),
            "index", (4, 5)),
    "mse": (lambda lib, x, t: lib.nn.functional.mse_loss(x * x, t), "real", (4, 5)),
    "l1": (lambda lib, x, t: lib.nn.functional.l1_loss(x * x, t, reduction="sum"), "real", (4, 5)),
    "smooth_l1": (lambda lib, x, t: lib.nn.functional.smooth_l1_loss(x * x, t, beta=0.5), "real", (4, 5)),
    "huber": (lambda lib, x, t: lib.nn.functional.huber_loss(x * x, t, delta=0.7), "real", (4, 5)),
    "bce": (lambda lib, x, t: lib.nn.functional.binary_cross_entropy(x.sigmoid(), t), "probability", (4, 5)),
    "bce_with_logits": (lambda lib, x, t: lib.nn.functional.binary_cross_entropy_with_logits(
        x * x, t, pos_weight=lib.tensor([2.0] * 5, dtype=lib.float64)), "probability", (4, 5)),
    "kl_div": (lambda lib, x, t: lib.nn.functional.kl_div((x * x).log_softmax(1), t, reduction="batchmean"),
               "probability", (4, 5)),
    "kl_div_log_target": (lambda lib, x, t: lib.nn.functional.kl_div(x.log_softmax(1), t.log(),
                                                                       reduction="sum", log_target=True),
                          "probability", (4, 5)),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_second_derivative_matches_torch(name):
    fn, kind, shape = LOSSES[name]
    assert_second_order_matches_torch(lambda lib, x: fn(lib, x, _targets(lib, kind, shape)), [shape])


def _recurrent_penalty(library, model, x):
    x = x.clone().requires_grad_(True)
    output, _ = model(x)
    (grad_x,) = library.autograd.grad((output * output).sum(), x, create_graph=True)
    penalty = (grad_x * grad_x).sum()
    penalty.backward()
    return penalty


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "readable"])
@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_gradient_penalty_through_recurrent_layers_matches_torch(mode, fused):
    def build(library):
        library.manual_seed(0)
        return getattr(library.nn, mode)(3, 4, num_layers=2, bidirectional=True, batch_first=True).double()
    theirs, ours = build(torch), build(minigrad)
    _copy(ours, theirs)
    x = numpy.random.default_rng(1).standard_normal((2, 5, 3))
    with minigrad.backends.fused_rnn.flags(enabled=fused):
        mine = _recurrent_penalty(minigrad, ours, minigrad.tensor(x))
    reference = _recurrent_penalty(torch, theirs, torch.tensor(x))
    numpy.testing.assert_allclose(mine.item(), reference.item(), rtol=1e-9)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        numpy.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-8, atol=1e-11, err_msg=name)


def test_gradient_penalty_through_attention_and_a_transformer_layer_matches_torch():
    def build(library):
        library.manual_seed(0)
        return library.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0,
                                                  batch_first=True).double()
    theirs, ours = build(torch), build(minigrad)
    _copy(ours, theirs)
    x = numpy.random.default_rng(2).standard_normal((2, 5, 8))
    results = []
    # torch's fused CPU attention has no double backward ("derivative for
    # aten::_scaled_dot_product_flash_attention_for_cpu_backward is not implemented"):
    # its math backend is the reference; minigrad's fused node has one
    from torch.nn.attention import SDPBackend, sdpa_kernel
    for library, model in ((minigrad, ours), (torch, theirs)):
        inputs = library.tensor(x).requires_grad_(True)
        with sdpa_kernel(SDPBackend.MATH):
            (grad_x,) = library.autograd.grad((model(inputs) ** 2).sum(), inputs, create_graph=True)
            penalty = (grad_x ** 2).sum()
            penalty.backward()
        results.append(penalty.item())
    numpy.testing.assert_allclose(results[0], results[1], rtol=1e-9)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        numpy.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-8, atol=1e-11, err_msg=name)


@pytest.mark.parametrize("options", [{}, {"padding_idx": 1}], ids=str)
def test_embedding_second_derivative_matches_torch(options):
    def fn(lib, weight, scale):
        indices = lib.tensor([[0, 2, 1], [2, 2, 3]])
        return lib.nn.functional.embedding(indices, weight * scale, **options) ** 2
    assert_second_order_matches_torch(fn, [(4, 3), (4, 3)])


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_second_derivative_matches_torch(training, affine):
    def fn(lib, x, w, b):
        mean, var = lib.tensor([0.1, -0.2, 0.3], dtype=lib.float64), lib.tensor([1.5, 0.5, 2.0], dtype=lib.float64)
        return lib.nn.functional.batch_norm(x * x, mean, var, w if affine else None, b if affine else None,
                                            training=training, momentum=0.1, eps=1e-5)
    assert_second_order_matches_torch(fn, [(4, 3, 2), (3,), (3,)])


def test_glu_second_derivative_matches_torch():
    assert_second_order_matches_torch(lambda lib, x: lib.nn.functional.glu(x * x, 1), [(3, 4, 2)])


# ---- convolutions, fold / unfold, padding, pooling, prelu, cosine similarity, bilinear ----------------
def _F(lib):
    return lib.nn.functional


CONVOLUTIONS = {
    "conv1d_stride_padding_bias": (lambda lib, x, w, b: _F(lib).conv1d(x, w, b, stride=2, padding=1),
                                   [(2, 4, 9), (6, 4, 3), (6,)]),
    "conv1d_same_dilated": (lambda lib, x, w: _F(lib).conv1d(x, w, padding="same", dilation=2),
                            [(2, 2, 7), (3, 2, 4)]),
    "conv2d_groups_dilation": (lambda lib, x, w, b: _F(lib).conv2d(x, w, b, stride=(2, 1), padding=(1, 2),
                                                                  dilation=(1, 2), groups=2),
                               [(2, 4, 6, 7), (6, 2, 3, 2), (6,)]),
    "conv2d_unbatched": (lambda lib, x, w: _F(lib).conv2d(x * x, w), [(3, 5, 5), (2, 3, 2, 2)]),
    "conv3d_groups_bias": (lambda lib, x, w, b: _F(lib).conv3d(x, w, b, stride=2, padding=1, groups=2),
                           [(1, 4, 5, 4, 5), (4, 2, 2, 3, 2), (4,)]),
    "conv_transpose1d_output_padding": (
        lambda lib, x, w, b: _F(lib).conv_transpose1d(x, w, b, stride=3, padding=1, output_padding=2),
        [(2, 3, 4), (3, 2, 4), (2,)]),
    "conv_transpose1d_dilated": (   # output_padding 2 >= stride 1: allowed as it is under the dilation
        lambda lib, x, w: _F(lib).conv_transpose1d(x, w, output_padding=2, dilation=3), [(2, 2, 5), (2, 3, 2)]),
    "conv_transpose2d_groups": (
        lambda lib, x, w, b: _F(lib).conv_transpose2d(x, w, b, stride=2, padding=(1, 0), output_padding=(1, 0),
                                                      groups=2),
        [(2, 4, 3, 3), (4, 3, 3, 2), (6,)]),
}


@pytest.mark.parametrize("name", sorted(CONVOLUTIONS))
def test_convolution_second_derivative_matches_torch(name):
    fn, shapes = CONVOLUTIONS[name]
    assert_second_order_matches_torch(fn, shapes)


FOLDS = {
    "unfold": (lambda lib, x: _F(lib).unfold(x * x, (2, 3), dilation=(2, 1), padding=1, stride=(1, 2)),
               (2, 3, 6, 7)),
    "unfold_unbatched": (lambda lib, x: _F(lib).unfold(x * x, 2, stride=2), (3, 4, 4)),
    "fold": (lambda lib, x: _F(lib).fold(x * x, (5, 6), (2, 3), padding=1, stride=2), (2, 18, 9)),
    "fold_dilated": (lambda lib, x: _F(lib).fold(x * x, (5, 5), 2, dilation=2), (1, 8, 9)),
}


@pytest.mark.parametrize("name", sorted(FOLDS))
def test_fold_and_unfold_second_derivative_matches_torch(name):
    fn, shape = FOLDS[name]
    assert_second_order_matches_torch(fn, [shape])


PADS = {
    "constant_crop": ((1, -1, 2, 0), "constant", (2, 3, 4)),
    "reflect_1d": ((2, 1), "reflect", (2, 3, 5)),
    "reflect_2d": ((1, 2, 2, 1), "reflect", (2, 3, 4, 5)),
    "replicate_2d": ((1, 2, 2, 1), "replicate", (2, 3, 4, 5)),
    "replicate_3d": ((1, 1, 1, 0, 0, 1), "replicate", (1, 2, 3, 3, 3)),
    "circular_2d": ((1, 2, 2, 1), "circular", (2, 3, 4, 5)),
}


@pytest.mark.parametrize("name", sorted(PADS))
def test_pad_second_derivative_matches_torch(name):
    widths, mode, shape = PADS[name]
    value = {"value": 0.5} if mode == "constant" else {}
    assert_second_order_matches_torch(lambda lib, x: _F(lib).pad(x * x, widths, mode=mode, **value), [shape])


AVERAGE_POOLS = {
    "avg_pool1d_ceil": (lambda lib, x: _F(lib).avg_pool1d(x * x, 3, stride=2, padding=1, ceil_mode=True),
                        (2, 3, 8)),
    "avg_pool1d_exclude_pad": (lambda lib, x: _F(lib).avg_pool1d(x * x, 3, stride=2, padding=1,
                                                                 count_include_pad=False), (2, 3, 8)),
    "avg_pool2d_ceil": (lambda lib, x: _F(lib).avg_pool2d(x * x, 3, stride=2, padding=1, ceil_mode=True),
                        (2, 3, 7, 6)),
    "avg_pool2d_ceil_exclude_pad": (lambda lib, x: _F(lib).avg_pool2d(x * x, 3, stride=2, padding=1,
                                                                      ceil_mode=True, count_include_pad=False),
                                    (2, 3, 7, 6)),
    "avg_pool2d_divisor_override": (lambda lib, x: _F(lib).avg_pool2d(x * x, (2, 3), stride=(2, 1),
                                                                      divisor_override=3), (2, 3, 6, 6)),
    "adaptive_avg_pool1d": (lambda lib, x: _F(lib).adaptive_avg_pool1d(x * x, 3), (2, 3, 7)),
    "adaptive_avg_pool2d": (lambda lib, x: _F(lib).adaptive_avg_pool2d(x * x, (2, 3)), (2, 3, 5, 7)),
}


@pytest.mark.parametrize("name", sorted(AVERAGE_POOLS))
def test_average_pool_second_derivative_matches_torch(name):
    fn, shape = AVERAGE_POOLS[name]
    assert_second_order_matches_torch(fn, [shape])


def _without_ties(shape, seed=0):
    """Distinct positive values: each window has one maximum, and squaring keeps it so."""
    rng = numpy.random.default_rng(seed)
    return [rng.permutation(math.prod(shape)).reshape(shape) / 7.0 + 0.5]


def _max_unpool(dims):
    def fn(lib, x):
        pool, unpool = getattr(_F(lib), f"max_pool{dims}d"), getattr(_F(lib), f"max_unpool{dims}d")
        values, indices = pool(x, 2, stride=2, return_indices=True)
        return unpool(values * values, indices, 2, stride=2) ** 2
    return fn


MAX_POOLS = {
    "max_pool1d_dilation": (lambda lib, x: _F(lib).max_pool1d(x * x, 3, stride=2, padding=1, dilation=2),
                            (2, 3, 9)),
    "max_pool1d_ceil_last_window_dropped": (
        lambda lib, x: _F(lib).max_pool1d(x * x, 2, stride=2, padding=1, ceil_mode=True), (2, 3, 5)),
    "max_pool2d_ceil": (lambda lib, x: _F(lib).max_pool2d(x * x, 3, stride=2, padding=1, ceil_mode=True),
                        (2, 3, 7, 6)),
    "max_pool2d_dilation": (lambda lib, x: _F(lib).max_pool2d(x * x, (2, 3), stride=(1, 2), dilation=(2, 1)),
                            (2, 3, 7, 8)),
    "max_pool2d_unbatched_indices": (
        lambda lib, x: _F(lib).max_pool2d(x * x, 2, padding=1, return_indices=True)[0], (3, 5, 4)),
    "max_unpool1d": (_max_unpool(1), (2, 3, 8)),
    "max_unpool2d": (_max_unpool(2), (2, 3, 4, 6)),
    "adaptive_max_pool1d": (lambda lib, x: _F(lib).adaptive_max_pool1d(x * x, 3), (2, 3, 7)),
    "adaptive_max_pool2d": (lambda lib, x: _F(lib).adaptive_max_pool2d(x * x, (2, 3)), (2, 3, 5, 7)),
}


@pytest.mark.parametrize("name", sorted(MAX_POOLS))
def test_max_pool_second_derivative_matches_torch(name):
    fn, shape = MAX_POOLS[name]
    assert_second_order_matches_torch(fn, [shape], arrays=_without_ties(shape))


@pytest.mark.parametrize("slopes", [3, 1], ids=["per_channel", "shared"])
def test_prelu_second_derivative_matches_torch(slopes):
    assert_second_order_matches_torch(lambda lib, x, w: _F(lib).prelu(x * w[0], w), [(2, 3, 4), (slopes,)])


COSINES = {
    "dim1": (lambda lib, a, b: _F(lib).cosine_similarity(a, b, dim=1), [(3, 4, 2), (3, 4, 2)]),
    "broadcast": (lambda lib, a, b: _F(lib).cosine_similarity(a, b, dim=-1), [(3, 1, 5), (4, 5)]),
    "broadcast_along_dim": (lambda lib, a, b: _F(lib).cosine_similarity(a, b, dim=1), [(3, 1), (3, 4)]),
    # every norm under eps: clamped in value, differentiated unclamped (torch clamps under no_grad)
    "norms_clamped": (lambda lib, a, b: _F(lib).cosine_similarity(a, b, dim=1, eps=10.0), [(3, 4), (3, 4)]),
}


@pytest.mark.parametrize("name", sorted(COSINES))
def test_cosine_similarity_second_derivative_matches_torch(name):
    fn, shapes = COSINES[name]
    assert_second_order_matches_torch(fn, shapes)


@pytest.mark.parametrize("batch", [(2, 3), ()], ids=["batched", "unbatched"])
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_second_derivative_matches_torch(bias, batch):
    assert_second_order_matches_torch(
        lambda lib, a, b, w, c: _F(lib).bilinear(a, b, w, c if bias else None),
        [batch + (4,), batch + (5,), (6, 4, 5), (6,)])


def test_gradient_penalty_through_a_cnn_matches_torch():
    def build(library):
        nn = library.nn
        library.manual_seed(0)
        return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.PReLU(4), nn.MaxPool2d(2),
                             nn.ConvTranspose2d(4, 3, 2, stride=2), nn.ReflectionPad2d(1), nn.AvgPool2d(3, stride=2),
                             nn.Flatten(), nn.Linear(27, 1)).double()
    theirs, ours = build(torch), build(minigrad)
    _copy(ours, theirs)
    x = numpy.random.default_rng(3).standard_normal((2, 2, 6, 6))
    mine = _gradient_penalty(minigrad, ours, minigrad.tensor(x))
    reference = _gradient_penalty(torch, theirs, torch.tensor(x))
    numpy.testing.assert_allclose(mine.item(), reference.item(), rtol=1e-10)
    # the convolutions' biases do not change d model / dx (the first only picks PReLU's and max pooling's
    # branches): torch's recorded backward still reaches them (zero gradients), minigrad's does not (None)
    as_array = lambda p: numpy.zeros(tuple(p.shape)) if p.grad is None else p.grad.numpy()  # noqa: E731
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        numpy.testing.assert_allclose(as_array(p), as_array(q), rtol=1e-9, atol=1e-11, err_msg=name)


def _third_derivative(library, x, w):
    """A gradient of a gradient of a gradient through a convolution, a pad and a max pool."""
    F = _F(library)
    x, w = library.tensor(x, requires_grad=True), library.tensor(w, requires_grad=True)
    y = F.max_pool2d(F.pad(F.conv2d(x * x, w, stride=2, padding=1), (1, 0, 0, 1), mode="reflect"), 2) ** 2
    (grad_x,) = library.autograd.grad(y.sum(), x, create_graph=True)
    (second,) = library.autograd.grad((grad_x * grad_x).sum(), w, create_graph=True)
    (third,) = library.autograd.grad((second * second).sum(), x)
    return third.detach().numpy()


def test_third_derivative_through_conv_pad_and_pool_matches_torch():
    rng = numpy.random.default_rng(4)
    x, w = rng.standard_normal((2, 2, 6, 6)), rng.standard_normal((3, 2, 3, 3))
    numpy.testing.assert_allclose(_third_derivative(minigrad, x, w), _third_derivative(torch, x, w),
                                  rtol=1e-9, atol=1e-10)
