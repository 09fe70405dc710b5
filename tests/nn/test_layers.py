"""Layers and nn.functional against torch: forward values, input and parameter gradients
(torch's weights copied in through load_state_dict), every option, float64 and float32, errors."""
import math
import warnings

import numpy
import pytest
import torch

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.testing import assert_matches_torch
from _nn_parity import assert_same_error, check_module, make_pair
from _op_parity import assert_same

DTYPES = ["float64", "float32"]


def _inputs(*shapes, dtype="float64", low=-2.0, high=2.0, seed=0):
    rng = numpy.random.default_rng(seed)
    return [rng.uniform(low, high, size=shape).astype(dtype) for shape in shapes]


def check_functional(name, shapes, *args, dtype="float64", low=-2.0, high=2.0, **kwargs):
    """``F.name(x, *args, **kwargs)`` in both libraries: values and gradients."""
    ours, theirs = getattr(F, name), getattr(torch.nn.functional, name)
    assert_matches_torch(lambda *x: ours(*x, *args, **kwargs), shapes, dtype=dtype, low=low, high=high,
                         torch_fn=lambda *x: theirs(*x, *args, **kwargs), **_tolerance(name, dtype))


def _tolerance(name, dtype):
    """Every activation at the dtype's own tolerance: torch's float64 backward of celu and hardsigmoid
    takes float32 constants (1 / float(alpha), 1.0f / 6.0f), and minigrad's takes the same."""
    return {}


# ---- Linear, Bilinear, Identity -----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batch", [(), (4,), (2, 3)])
def test_linear_matches_torch(dtype, bias, batch):
    ours, theirs = make_pair("Linear", 5, 3, bias=bias, dtype=dtype)
    check_module(ours, theirs, _inputs((*batch, 5), dtype=dtype))


@pytest.mark.parametrize("x_shape, w_shape, x_dtype", [((4, 3), (2, 5), "float32"), ((2, 4, 3), (2, 5), "float32"),
                                                        ((3,), (2, 5), "float32"), ((4, 3), (2, 3), "float64")])
def test_linear_shape_and_dtype_errors_match_torch(x_shape, w_shape, x_dtype):
    x, w = numpy.zeros(x_shape, x_dtype), numpy.zeros(w_shape, "float32")
    assert_same_error(lambda: F.linear(minigrad.tensor(x), minigrad.tensor(w)),
                      lambda: torch.nn.functional.linear(torch.tensor(x), torch.tensor(w)))


@pytest.mark.parametrize("shape", [(3,), (4, 2, 3), (2, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_output_is_a_view_where_torchs_is(shape, bias):
    # torch's linear of a 1-d or 3-d+ input with a bias is addmm on rows viewed back: a view, so
    # an in-place write into a piece of it goes to that matrix, and the output's own retained
    # gradient is only what reaches it as a view (fuzz seed 171284: 2x torch's there)
    def action(lib):
        x = lib.tensor(numpy.linspace(-1, 1, math.prod(shape)).reshape(shape), requires_grad=True)
        w = lib.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype=lib.float64, requires_grad=True)
        b = lib.tensor([0.1, -0.2], dtype=lib.float64, requires_grad=True) if bias else None
        y = lib.nn.functional.linear(x, w, b)
        piece = y.select(-1, 1)
        piece.zero_()
        y.retain_grad()
        weights = lib.tensor(numpy.arange(1.0, 1 + math.prod(y.shape)).reshape(tuple(y.shape)))
        ((y * weights).sum() + (piece * 3).sum()).backward()
        return (y.grad.tolist(), x.grad.tolist(), w.grad.tolist(), y.grad_fn.name(),
                y._is_view() if lib is torch else y.__dict__.get("_base") is not None)
    ours, theirs = action(minigrad), action(torch)
    assert ours[3:] == theirs[3:]
    for mine, expected in zip(ours[:3], theirs[:3]):   # (w.grad's sum: in each BLAS's own order)
        numpy.testing.assert_allclose(mine, expected, rtol=1e-14)


@pytest.mark.parametrize("layout", ["transposed 4-d", "transposed 3-d", "strided 1-d", "expanded 3-d", "contiguous 3-d"])
def test_linear_of_an_input_it_cannot_fold_adds_the_bias_in_place_as_torch(layout):
    """fuzz seed 44060: torch folds a contiguous input to rows for addmm (a view back); one it cannot
    fold without a copy (transposed, strided, expanded) goes through matmul, then ``add_(bias)``:
    version 1 (2 for a 1-d input: matmul's squeeze_ wrote once), AddBackward0, no view; so a later
    in-place write on the output is judged as torch's."""
    def action(lib):
        ones = lambda *shape: lib.ones(*shape, dtype=lib.float64)   # noqa: E731
        x = {"transposed 4-d": lambda: ones(3, 2, 4, 5).transpose(0, 1),
             "transposed 3-d": lambda: ones(3, 2, 5).transpose(0, 1),
             "strided 1-d": lambda: ones(10)[::2], "expanded 3-d": lambda: ones(1, 1, 5).expand(2, 3, 5),
             "contiguous 3-d": lambda: ones(2, 3, 5)}[layout]().requires_grad_()
        w = lib.tensor(numpy.linspace(-1, 1, 10).reshape(2, 5), requires_grad=True)
        b = lib.tensor([0.5, -0.25], dtype=lib.float64, requires_grad=True)
        y = lib.nn.functional.linear(x, w, b)
        node = type(y.grad_fn).__name__ if lib is torch else y.grad_fn.name()
        view = y._is_view() if lib is torch else y.__dict__.get("_base") is not None
        y.sum().backward()
        return y._version, node, view, y.stride(), w.grad.tolist(), b.grad.tolist()
    assert action(minigrad) == action(torch)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batch", [(5,), (2, 3)])
def test_bilinear_matches_torch(dtype, bias, batch):
    ours, theirs = make_pair("Bilinear", 2, 3, 4, bias=bias, dtype=dtype)
    check_module(ours, theirs, _inputs((*batch, 2), (*batch, 3), dtype=dtype))


@pytest.mark.parametrize("shape1, shape2", [((5, 2), (4, 3)), ((5, 3), (5, 3)), ((5, 2), (5, 4))])
def test_bilinear_errors_match_torch(shape1, shape2):
    ours, theirs = make_pair("Bilinear", 2, 3, 4)
    a, b = numpy.zeros(shape1), numpy.zeros(shape2)
    assert_same_error(lambda: ours(minigrad.tensor(a), minigrad.tensor(b)),
                      lambda: theirs(torch.tensor(a), torch.tensor(b)))


def test_identity_returns_its_input():
    x = minigrad.randn(3)
    assert nn.Identity(54, unused="x")(x) is x


# ---- Embedding ----------------------------------------------------------------------------------------------------
INDICES = numpy.array([[1, 0, 3, 3], [9, 2, 0, 3]])


@pytest.mark.parametrize("options", [{}, {"padding_idx": 0}, {"padding_idx": -1}, {"scale_grad_by_freq": True},
                                     {"padding_idx": 3, "scale_grad_by_freq": True}])
@pytest.mark.parametrize("dtype", DTYPES)
def test_embedding_matches_torch(options, dtype):
    ours, theirs = make_pair("Embedding", 10, 4, dtype=dtype, **options)
    check_module(ours, theirs, [INDICES], requires_grad=[False])
    if options.get("padding_idx") is not None:
        row = options["padding_idx"] % 10
        assert not ours.weight.grad.array[row].any()


def test_embedding_takes_int32_indices_and_any_shape():
    ours, theirs = make_pair("Embedding", 10, 4)
    for indices in (INDICES.astype("int32"), numpy.array(7), numpy.arange(10).reshape(2, 5, 1)):
        check_module(ours, theirs, [indices], requires_grad=[False])


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0])
def test_embedding_max_norm_renormalises_used_rows_in_place_as_torch(norm_type):
    ours, theirs = make_pair("Embedding", 10, 4, max_norm=1.0, norm_type=norm_type)
    check_module(ours, theirs, [INDICES], requires_grad=[False])
    numpy.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-12)
    unused = [4, 5, 6, 7, 8]
    assert (numpy.abs(ours.weight.array[unused]).sum(1) > 1.0).any()   # rows not looked up keep their norm


def test_embedding_from_pretrained_freezes_and_shares():
    table = minigrad.randn(5, 3)
    frozen = nn.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad and numpy.shares_memory(frozen.weight.array, table.array)
    trainable = nn.Embedding.from_pretrained(table, freeze=False, padding_idx=1)
    out = trainable(minigrad.tensor([1, 2, 2]))
    out.sum().backward()
    assert trainable.weight.grad.array[1].tolist() == [0, 0, 0] and trainable.weight.grad.array[2].tolist() == [2, 2, 2]
    assert str(trainable) == "Embedding(5, 3, padding_idx=1)"


@pytest.mark.parametrize("action", [
    lambda lib, w: lib.nn.functional.embedding(lib.tensor([1.0, 2.0]), w),
    # an index out of range: torch's words plus the index and size (tests/nn/test_special_cases.py)
    lambda lib, w: lib.nn.functional.embedding(lib.tensor([1, 2]).to(lib.uint8), w),
    lambda lib, w: lib.nn.Embedding(5, 3, padding_idx=7),
    lambda lib, w: lib.nn.Embedding(5, 3, padding_idx=-7),
    lambda lib, w: lib.nn.Embedding.from_pretrained(lib.zeros(3)),
])
def test_embedding_errors_match_torch(action):
    assert_same_error(lambda: action(minigrad, minigrad.zeros(5, 3)), lambda: action(torch, torch.zeros(5, 3)))


# ---- Dropout ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_zeroes_a_fraction_p_and_scales_the_rest(p):
    x = minigrad.ones(400, 500, dtype=minigrad.float64, requires_grad=True)
    layer = nn.Dropout(p)
    out = layer(x)
    values = out.detach().numpy()
    kept = values != 0
    assert abs(1 - kept.mean() - p) < 0.01
    numpy.testing.assert_allclose(values[kept], 1 / (1 - p))
    out.sum().backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), values)   # the gradient is the same scaled mask
    layer.eval()
    assert layer(x) is x


def test_dropout_edge_cases():
    x = minigrad.randn(10, 10)
    assert F.dropout(x, 0.0) is x and F.dropout(x, 0.7, training=False) is x
    assert not F.dropout(x, 1.0).array.any()
    leaf = minigrad.randn(6, 6, dtype=minigrad.float64, requires_grad=True)
    hidden = leaf * 1
    before = hidden.detach().numpy().copy()
    result = F.dropout(hidden, 0.5, inplace=True)
    kept = hidden.array != 0
    assert result is hidden and 0 < kept.sum() < 36
    numpy.testing.assert_allclose(hidden.array[kept], 2 * before[kept])
    hidden.sum().backward()
    numpy.testing.assert_array_equal(leaf.grad.numpy(), 2.0 * kept)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        F.dropout(leaf, 0.5, inplace=True)
    assert str(nn.Dropout(0.2, inplace=True)) == "Dropout(p=0.2, inplace=True)"


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_probability_errors_match_torch(p):
    assert_same_error(lambda: nn.Dropout(p), lambda: torch.nn.Dropout(p))
    assert_same_error(lambda: F.dropout(minigrad.ones(2), p), lambda: torch.nn.functional.dropout(torch.ones(2), p))


def test_dropout_follows_the_global_seed():
    minigrad.manual_seed(5)
    first = F.dropout(minigrad.ones(50)).numpy()
    minigrad.manual_seed(5)
    numpy.testing.assert_array_equal(first, F.dropout(minigrad.ones(50)).numpy())


# ---- LayerNorm, RMSNorm ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, normalized, options", [
    ((4, 6), 6, {}), ((2, 3, 6), (6,), {"eps": 1e-3}), ((2, 3, 4), (3, 4), {}),
    ((5, 6), 6, {"elementwise_affine": False}), ((3, 2, 6), 6, {"bias": False}), ((6,), 6, {})])
def test_layer_norm_matches_torch(dtype, shape, normalized, options):
    ours, theirs = make_pair("LayerNorm", normalized, dtype=dtype, **options)
    with torch.no_grad():   # non-trivial affine parameters, so their gradients are tested
        for param in theirs.parameters():
            param.uniform_(0.5, 1.5)
    ours.load_state_dict(theirs.state_dict())
    check_module(ours, theirs, _inputs(shape, dtype=dtype, low=-3, high=5))


@pytest.mark.parametrize("with_weight, with_bias", [(True, False), (False, True), (False, False)])
def test_functional_layer_norm_with_some_affine_parameters(with_weight, with_bias):
    def run(lib, x, w, b):
        return lib.nn.functional.layer_norm(x, (4,), w if with_weight else None, b if with_bias else None, 1e-4)
    assert_matches_torch(lambda x, w, b: run(minigrad, x, w, b), [(3, 4), (4,), (4,)],
                         torch_fn=lambda x, w, b: run(torch, x, w, b))


@pytest.mark.parametrize("action", [
    lambda lib: lib.nn.functional.layer_norm(lib.rand(2, 3), (4,)),
    lambda lib: lib.nn.functional.layer_norm(lib.rand(2, 3), (2, 2, 3)),
    lambda lib: lib.nn.functional.layer_norm(lib.rand(2, 3), (3,), weight=lib.ones(4)),
    lambda lib: lib.nn.functional.layer_norm(lib.rand(2, 3), (3,), bias=lib.ones(2)),
])
def test_layer_norm_errors_match_torch(action):
    assert_same_error(lambda: action(minigrad), lambda: action(torch))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, normalized, options", [
    ((4, 6), 6, {}), ((2, 3, 4), (3, 4), {"eps": 1e-3}), ((5, 6), 6, {"elementwise_affine": False})])
def test_rms_norm_matches_torch(dtype, shape, normalized, options):
    ours, theirs = make_pair("RMSNorm", normalized, dtype=dtype, **options)
    with torch.no_grad():
        for param in theirs.parameters():
            param.uniform_(0.5, 1.5)
    ours.load_state_dict(theirs.state_dict())
    check_module(ours, theirs, _inputs(shape, dtype=dtype))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("layout", ["transposed", "channels-last", "C order"])
def test_rms_norm_is_laid_out_and_rounded_as_torchs_composition(dtype, layout):
    """torch composes rms_norm (``_fused_rms_norm``'s decomposition): half precision in float32 with
    float32's epsilon, rounded once (``ToCopyBackward0``); the result made contiguous (``CloneBackward0``)
    unless the input is channels-last.  minigrad's float16 took float16's epsilon (0.26 for torch's 0.46
    on values of 0.01) and its transposed output followed the input (fuzz seed 8977516's class)."""
    values = numpy.random.default_rng(5).standard_normal((2, 3, 3, 4)) * 0.02
    outcomes = []
    for lib in (torch, minigrad):
        x = lib.tensor(values).to(getattr(lib, dtype)).requires_grad_()
        given = {"transposed": x[:, 0].transpose(1, 2), "channels-last": x.permute(0, 3, 1, 2),
                 "C order": x}[layout]
        weight = lib.linspace(0.5, 2, given.shape[-1], dtype=x.dtype).requires_grad_()
        out = lib.nn.functional.rms_norm(given, given.shape[-1:], weight)
        (out * out).sum().backward()
        outcomes.append([out.grad_fn.name(), out.stride(), out.dtype == x.dtype,
                         out.detach().double().numpy(), x.grad.double().numpy(), weight.grad.double().numpy()])
    assert outcomes[1][:3] == outcomes[0][:3]
    tolerance = {"float16": 2e-3, "float32": 1e-5, "float64": 1e-9}[dtype]
    for ours, theirs in zip(outcomes[1][3:], outcomes[0][3:]):
        numpy.testing.assert_allclose(ours, theirs, rtol=tolerance, atol=tolerance)


def test_layer_norm_backward_is_one_node():
    x = minigrad.randn(3, 4, requires_grad=True)
    out = nn.LayerNorm(4)(x)
    assert type(out.grad_fn).__name__ == "LayerNorm"
    assert all(edge is None or type(edge[0]).__name__ == "AccumulateGrad" for edge in out.grad_fn.next_edges)


# ---- activations ------------------------------------------------------------------------------------------------------
ACTIVATIONS = [
    ("relu", {}), ("relu6", {}), ("hardtanh", {}), ("hardtanh", {"min_val": -0.5, "max_val": 1.5}),
    ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.3}), ("elu", {}), ("elu", {"alpha": 0.4}),
    ("selu", {}), ("celu", {"alpha": 0.7}), ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}),
    ("mish", {}), ("softplus", {}), ("softplus", {"beta": 2.0, "threshold": 3.0}), ("sigmoid", {}),
    ("tanh", {}), ("logsigmoid", {}), ("hardsigmoid", {}), ("hardswish", {}), ("softsign", {}),
    ("tanhshrink", {}), ("threshold", {"threshold": 0.3, "value": -2.0}),
    ("softmax", {"dim": 1}), ("softmax", {"dim": 0}), ("log_softmax", {"dim": -1}), ("softmin", {"dim": 1}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, options", ACTIVATIONS, ids=[f"{n}-{o}" for n, o in ACTIVATIONS])
def test_functional_activation_matches_torch(name, options, dtype):
    check_functional(name, [(4, 7)], dtype=dtype, low=-5, high=5, **options)


MODULES = [("ReLU", ()), ("ReLU6", ()), ("Hardtanh", (-0.5, 1.5)), ("LeakyReLU", (0.2,)), ("ELU", (0.5,)),
           ("SELU", ()), ("CELU", (1.5,)), ("GELU", ()), ("GELU", ("tanh",)), ("SiLU", ()), ("Mish", ()),
           ("Softplus", (2.0, 5.0)), ("Sigmoid", ()), ("Tanh", ()), ("LogSigmoid", ()), ("Hardsigmoid", ()),
           ("Hardswish", ()), ("Softsign", ()), ("Tanhshrink", ()), ("Threshold", (0.1, 20.0)),
           ("Softmax", (1,)), ("LogSoftmax", (-1,)), ("Softmin", (0,)), ("Flatten", ()), ("Flatten", (0, 1)),
           ("Unflatten", (1, (2, 3))), ("Identity", ())]


@pytest.mark.parametrize("name, args", MODULES, ids=[f"{n}{a}" for n, a in MODULES])
def test_activation_and_shape_modules_match_torch(name, args):
    ours, theirs = make_pair(name, *args)
    check_module(ours, theirs, _inputs((4, 6, 2), low=-4, high=4), **_tolerance(name, "float64"))
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name, options", [("relu", {}), ("leaky_relu", {"negative_slope": 0.2}), ("elu", {}),
                                           ("hardtanh", {}), ("relu6", {}), ("silu", {}), ("selu", {}),
                                           ("celu", {}), ("mish", {}), ("hardswish", {}), ("hardsigmoid", {}),
                                           ("threshold", {"threshold": 0.0, "value": 1.0})])
def test_inplace_activations_change_the_input_and_keep_gradients(name, options):
    def run(lib, x):
        hidden = x * 1.5            # a non-leaf, which may be changed in place
        result = getattr(lib.nn.functional, name)(hidden, inplace=True, **options)
        assert result is hidden
        return hidden * 2
    assert_matches_torch(lambda x: run(minigrad, x), [(3, 5)], torch_fn=lambda x: run(torch, x), low=-4, high=4,
                         **_tolerance(name, "float64"))


def test_activations_are_stable_for_huge_inputs():
    x = minigrad.tensor([-1e4, -50.0, 0.0, 50.0, 1e4], dtype=minigrad.float64, requires_grad=True)
    xt = torch.tensor([-1e4, -50.0, 0.0, 50.0, 1e4], dtype=torch.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # no overflow warnings from NumPy either
        for name in ("silu", "softplus", "logsigmoid", "mish", "elu", "gelu", "sigmoid", "selu"):
            ours = getattr(F, name)(x)
            theirs = getattr(torch.nn.functional, name)(xt)
            numpy.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12, err_msg=name)
            g, = minigrad.autograd.grad(ours.sum(), x)
            gt, = torch.autograd.grad(theirs.sum(), xt)
            numpy.testing.assert_allclose(g.numpy(), gt.numpy(), rtol=1e-12, atol=1e-300, err_msg=name)


EDGE_VALUES = {"float64": [0.0, -0.0, 1e308, -745.0, -800.0, float("inf"), -30.0, 0.5, -3.0],
               "float32": [0.0, -0.0, 3e38, -104.0, -88.0, float("inf"), -30.0, 0.5, -3.0],
               "float16": [0.0, -0.0, 6e4, -17.0, -20.0, float("inf"), -30.0, 30.0, -1.0]}


@pytest.mark.parametrize("dtype", sorted(EDGE_VALUES))
@pytest.mark.parametrize("name", ["silu", "mish", "logsigmoid", "elu", "selu"])
def test_activations_at_edges_as_torchs_kernels(name, dtype):
    """torch's formulas: silu ``x / (1 + exp(-x))`` (-0.0, not a subnormal, from -745 down), logsigmoid
    ``min(x, 0) - log1p(exp(-|x|))`` (+0.0 at inf), elu's expm1 keeps -0.0; float16 computed in float32
    and rounded once (silu(-17) is -7.15e-7 there, -1.01e-6 in float16 steps).  Values with their sign
    of zero, and gradients."""
    def outcome(lib):
        x = lib.tensor(EDGE_VALUES[dtype], dtype=getattr(lib, dtype), requires_grad=True)
        y = getattr(lib.nn.functional, name)(x)
        grad, = lib.autograd.grad((y * 1.5).sum(), x)
        return [numpy.array(t.detach().numpy(), dtype=numpy.float64) for t in (y, grad)]
    for ours, theirs in zip(outcome(minigrad), outcome(torch)):
        numpy.testing.assert_allclose(ours, theirs, rtol=2e-7 if dtype == "float32" else 1e-13)
        numpy.testing.assert_array_equal(numpy.signbit(ours), numpy.signbit(theirs))


def test_logsigmoid_float16_gradient_reads_its_float16_buffer():
    """torch keeps logsigmoid's ``exp(-|x|)`` in a float16 buffer for backward: from |x| about 17.3 it
    is 0 there, so an infinite gradient gives NaN (fuzz seed 899597: ``/= 0.0`` after it), and the
    other gradients round as the buffer does; every float16 value, bit for bit."""
    bits = numpy.arange(65536, dtype=numpy.uint16).view(numpy.float16).tolist()
    def grads(lib):
        x = lib.tensor(bits, dtype=lib.float16, requires_grad=True)
        y = lib.nn.functional.logsigmoid(x)
        y.backward(lib.tensor([float("inf"), 3.7] * 32768, dtype=lib.float16))
        return x.grad.numpy()
    ours, theirs = grads(minigrad), grads(torch)
    numpy.testing.assert_array_equal(ours, theirs)     # NaN where NaN
    numbers = ~numpy.isnan(theirs)
    numpy.testing.assert_array_equal(numpy.signbit(ours[numbers]), numpy.signbit(theirs[numbers]))
    assert_same(_logsigmoid_then_divide_by_zero)


def _logsigmoid_then_divide_by_zero(lib):
    x = lib.tensor([38.6, 90.4, -3.0], dtype=lib.float16, requires_grad=True)
    y = lib.nn.functional.logsigmoid(x)
    y /= 0.0
    (y.double() * lib.tensor([0.153, 0.093, 1.0], dtype=lib.float64)).sum().backward()
    return x.grad


@pytest.mark.parametrize("name", ["softsign", "tanhshrink"])
@pytest.mark.parametrize("dtype", ["int8", "int64", "float32"])
def test_composite_activations_take_torchs_dtype_and_gradient(name, dtype):
    """softsign and tanhshrink are torch composites (x / (1 + |x|), x - tanh(x)): integers give float32,
    and the gradient at an infinite input is NaN, as those ops give it."""
    values = [-3, 0, 5] if dtype != "float32" else [-float("inf"), 0.0, 2.0]
    ours = getattr(F, name)(minigrad.tensor(values, dtype=getattr(minigrad, dtype)))
    theirs = getattr(torch.nn.functional, name)(torch.tensor(values, dtype=getattr(torch, dtype)))
    assert ours.numpy().dtype == theirs.numpy().dtype
    numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    if dtype == "float32":
        x, xt = minigrad.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
        getattr(F, name)(x).sum().backward()
        getattr(torch.nn.functional, name)(xt).sum().backward()
        numpy.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["softsign", "tanhshrink"])
def test_composite_activations_reject_bool_as_torch(name):
    assert_same_error(lambda: getattr(F, name)(minigrad.tensor([True, False])),
                      lambda: getattr(torch.nn.functional, name)(torch.tensor([True, False])))


def test_gelu_rejects_unknown_approximation_as_torch():
    assert_same_error(lambda: F.gelu(minigrad.zeros(2), approximate="x"),
                      lambda: torch.nn.functional.gelu(torch.zeros(2), approximate="x"))


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), (2, 3, 4, 5)])
def test_softmax_without_dim_warns_and_picks_torchs_dim(shape):
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        assert_matches_torch(lambda x: nn.Softmax()(x), [shape], torch_fn=lambda x: torch.nn.Softmax()(x))


# ---- one_hot, normalize, pad --------------------------------------------------------------------------------------
@pytest.mark.parametrize("values, num_classes", [([0, 2, 1], -1), ([[0, 2], [3, 3]], 5), ([], 3), (1, 4)])
def test_one_hot_matches_torch(values, num_classes):
    ours = F.one_hot(minigrad.tensor(values, dtype=minigrad.int64), num_classes)
    theirs = torch.nn.functional.one_hot(torch.tensor(values, dtype=torch.int64), num_classes)
    assert ours.dtype == minigrad.int64
    numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours.shape == theirs.shape


@pytest.mark.parametrize("values, num_classes", [([1.0, 2.0], -1), ([1, -2], -1), ([1, 5], 3), ([], -1)])
def test_one_hot_errors_match_torch(values, num_classes):
    def run(lib):
        tensor = lib.tensor(values, dtype=lib.float32 if isinstance(values[0] if values else 0, float) else lib.int64)
        return lib.nn.functional.one_hot(tensor, num_classes)
    assert_same_error(lambda: run(minigrad), lambda: run(torch))


@pytest.mark.parametrize("options", [{}, {"p": 1.0}, {"p": 3.0, "dim": 0}, {"dim": -1, "eps": 0.5}])
def test_normalize_matches_torch(options):
    check_functional("normalize", [(4, 5)], **options)


PADS = [((2, 3), "constant", 0.0), ((1, 0, 2, 2), "constant", 1.5), ((-1, 2), "constant", 0.0),
        ((1, -2, 0, 1, 2, 0), "constant", -1.0), ((2, 1), "reflect", None), ((2, 3, 1, 2), "reflect", None),
        ((3, 1), "replicate", None), ((1, 2, 2, 0), "replicate", None), ((2, 4), "circular", None),
        ((1, 1, 3, 2), "circular", None)]


@pytest.mark.parametrize("pad, mode, value", PADS)
def test_pad_matches_torch(pad, mode, value):
    options = {"mode": mode} if value is None else {"mode": mode, "value": value}
    shape = (2, 3, 4, 5, 6)[:len(pad) // 2 + 2]   # a batched input, as torch's non-constant modes want
    check_functional("pad", [shape], pad, **options)


@pytest.mark.parametrize("shape, pad, mode", [
    ((3,), (1, 2, 3), "constant"), ((3,), (1, 2, 3, 4), "constant"), ((3,), (-2, -2), "constant"),
    ((2, 3), (1, 1, -3, 0), "constant"), ((2, 3, 5), (5, 1), "reflect"), ((1, 2, 3, 5), (1, 2, 3, 1), "reflect"),
    ((2, 3, 5), (6, 1), "circular"), ((5,), (1, 2), "reflect"), ((2, 3, 4, 5, 6), (1, 1), "replicate"),
    ((2, 3, 5), (1, 2), "bad")])
def test_pad_errors_match_torch(shape, pad, mode):
    assert_same_error(lambda: F.pad(minigrad.zeros(*shape), pad, mode),
                      lambda: torch.nn.functional.pad(torch.zeros(*shape), pad, mode))


# ---- a whole model -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_mlp_with_every_layer_kind_matches_torch(dtype):
    def build(lib):
        n = lib.nn
        return n.Sequential(n.Flatten(), n.Linear(12, 16), n.LayerNorm(16), n.GELU(), n.Linear(16, 16),
                            n.SiLU(), n.Dropout(0.0), n.Linear(16, 5), n.LogSoftmax(dim=1))
    theirs = build(torch).to(getattr(torch, dtype))
    ours = build(minigrad).to(getattr(minigrad, dtype))
    ours.load_state_dict(theirs.state_dict())
    check_module(ours, theirs, _inputs((8, 3, 4), dtype=dtype))


# ---- PReLU -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("num_parameters, shape", [(1, (2, 4, 3)), (4, (2, 4, 3)), (4, (5, 4)), (1, (3,)),
                                                   (3, (2, 3, 2, 2))])
def test_prelu_matches_torch(num_parameters, shape, dtype):
    ours, theirs = make_pair("PReLU", num_parameters, init=0.1, dtype=dtype)
    with torch.no_grad():
        theirs.weight.uniform_(-0.5, 0.5)
    ours.load_state_dict(theirs.state_dict())
    check_module(ours, theirs, _inputs(shape, dtype=dtype))
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("shape, weights", [((2, 4, 3), 3), ((4,), 3), ((4,), 4)])
def test_prelu_errors_match_torch(shape, weights):
    assert_same_error(lambda: F.prelu(minigrad.randn(*shape), minigrad.ones(weights, requires_grad=True)),
                      lambda: torch.nn.functional.prelu(torch.randn(*shape), torch.ones(weights, requires_grad=True)))


@pytest.mark.parametrize("dtype, threshold, value", [
    ("int64", -0.5, 7), ("int64", 0.5, 7.9), ("int8", 300.0, 1), ("int32", 0.5, 1e10), ("uint8", 0.5, -1),
    ("float32", 0.5, 1e39), ("float16", 0.5, float("inf")), ("int64", float("nan"), 1), ("bool", 0.5, -1.0),
    ("uint8", 0.5, -1.0)])
def test_threshold_converts_its_numbers_to_the_input_dtype_as_torch(dtype, threshold, value):
    """torch casts threshold and value to the input's type (integers truncated, out of range refused),
    so big int64 values stay exact and bools are refused."""
    values = [9007199254740993, 0, 1, -1] if dtype == "int64" else [0, 1, 0] if dtype == "bool" else [0, 1, 2]
    assert_same(lambda m: m.nn.functional.threshold(m.tensor(values, dtype=getattr(m, dtype)), threshold, value))


@pytest.mark.parametrize("name, args", [("threshold", (0.5, -1.0)), ("hardtanh", ()), ("relu6", ())])
def test_masked_activation_gradients_keep_a_nan_gradient_out_as_torch(name, args):
    """torch's threshold/hardtanh backward is where(mask, grad, 0): a NaN arriving where the input was
    cut off gives 0, not NaN."""
    grads = []
    for module in (minigrad, torch):
        x = module.tensor([-1e308, -77.4, 69.7, 0.2], dtype=module.float64, requires_grad=True)
        getattr(module.nn.functional, name)(x, *args).sqrt().sum().backward()
        grads.append(x.grad.numpy())
    numpy.testing.assert_array_equal(*grads)


def test_hardswish_gradient_is_exactly_zero_below_minus_three_as_torch():
    grads = []
    for module in (minigrad, torch):
        x = module.tensor([46.8, -42.8, 88.8, -200.3], requires_grad=True)
        module.nn.functional.hardswish(x).backward(module.tensor([0.5, float("nan"), 1.0, float("inf")]))
        grads.append(x.grad.numpy())
    numpy.testing.assert_array_equal(*grads)


def test_half_precision_gelu_is_computed_in_float32_as_torch():
    values = [60000.0, -60000.0, 0.3, 5.5, 2.0, -1.0, -2.5, float("nan")]
    ours = F.gelu(minigrad.tensor(values, dtype=minigrad.float16)).numpy()
    theirs = torch.nn.functional.gelu(torch.tensor(values, dtype=torch.float16)).numpy()
    numpy.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_layer_norm_of_a_row_of_one_value_has_torchs_gradient_bit_for_bit(dtype):
    """A row of one value repeated (-900 each): its gradient is the rounding left where ``b x + c``
    cancels, so the last bits of the row's ``ds`` and ``db`` decide it; torch sums them in lanes
    (``lane_sums``).  100 random layers with such a row: the row's gradient bit for bit (30 of 100
    in float64 and 40 in float32 before; fuzz seed 5395943: -42868 for torch's -42870)."""
    rng = numpy.random.default_rng(3)
    for _ in range(100):
        rows, length = int(rng.integers(1, 4)), int(rng.integers(2, 30))
        x = (rng.standard_normal((rows, length)) * rng.choice([1, 30])).astype(dtype)
        x[0] = rng.choice([-900.0, 4.5, 1e5, -3.3])
        grad_output = rng.standard_normal((rows, length)).astype(dtype)
        gamma = rng.standard_normal(length).astype(dtype) if rng.random() < 0.6 else None
        grads = []
        for lib in (torch, minigrad):
            tensor = lib.tensor(x, requires_grad=True)
            lib.nn.functional.layer_norm(tensor, (length,), None if gamma is None else lib.tensor(gamma)).backward(
                lib.tensor(grad_output))
            grads.append(tensor.grad.numpy()[0])
        assert grads[1].tobytes() == grads[0].tobytes()


def test_embedding_gradients_of_a_repeated_index_add_one_after_another_as_torchs():
    """torch's embedding backward adds each index's rows in order (``grad_weight[k].add_(grad[i])``); a
    pairwise sum of ten gradients that cancel (a BatchNorm of equal values: terms of 600 summing to 0)
    gave 1.2e-4 for torch's 4.6e-5 (fuzz seed 30140187, index-write template).  Long rows and many
    indices take the rank-by-rank path, a few rows add.at: both in torch's order."""
    rng = numpy.random.default_rng(3)
    cases = [(numpy.zeros((5, 2), numpy.int64), 1, 1),
             (rng.integers(0, 7, (64, 28)), 7, 96),
             (numpy.where(rng.random((64, 30)) < 0.6, 0, rng.integers(0, 50, (64, 30))), 50, 64)]
    for indices, rows, width in cases:
        grad = (rng.standard_normal(indices.shape + (width,)) * 600).astype(numpy.float32)
        results = []
        for lib in (torch, minigrad):
            weight = lib.zeros(rows, width, requires_grad=True)
            lib.nn.functional.embedding(lib.tensor(indices), weight).backward(lib.tensor(grad))
            results.append(weight.grad.numpy())
        numpy.testing.assert_array_equal(results[1], results[0])
