"""BatchNorm1d/2d and F.batch_norm against torch: outputs, input and parameter gradients and the
running buffers over several training steps (every momentum/affine/tracking option), eval mode,
state_dict names, reprs and errors."""
import math
import warnings

import numpy
import pytest
import torch

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from _nn_parity import assert_close, assert_same_error, check_module, make_pair, torch_error
from _op_parity import assert_equal_where_torch_rounds_correctly


def _batches(shape, count, dtype="float64", seed=0):
    rng = numpy.random.default_rng(seed)
    return [(rng.standard_normal(shape) * 3 + rng.uniform(-2, 2)).astype(dtype) for _ in range(count)]


def assert_buffers_match(ours, theirs):
    their_buffers = dict(theirs.named_buffers())
    our_buffers = dict(ours.named_buffers())
    assert list(our_buffers) == list(their_buffers)
    for name, buffer in our_buffers.items():
        assert_close(buffer, their_buffers[name], name)


@pytest.mark.parametrize("name, shape", [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (4, 3, 5)),
                                         ("BatchNorm2d", (2, 3, 4, 5))])
@pytest.mark.parametrize("options", [{}, {"momentum": None}, {"momentum": 0.3, "eps": 1e-3},
                                     {"affine": False}, {"bias": False}, {"track_running_stats": False}])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_training_steps_then_eval_match_torch(name, shape, options, dtype):
    ours, theirs = make_pair(name, 3, dtype=dtype, **options)
    for batch in _batches(shape, 3, dtype):          # outputs, gradients, buffers after each step
        check_module(ours, theirs, [batch])
        assert_buffers_match(ours, theirs)
    ours.eval()
    theirs.eval()
    check_module(ours, theirs, _batches(shape, 1, dtype, seed=1))
    assert_buffers_match(ours, theirs)


def test_state_dict_keys_and_buffer_dtypes_match_torch():
    ours, theirs = nn.BatchNorm1d(4), torch.nn.BatchNorm1d(4)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.num_batches_tracked.dtype == minigrad.int64
    assert list(nn.BatchNorm1d(4, track_running_stats=False).state_dict()) == \
        list(torch.nn.BatchNorm1d(4, track_running_stats=False).state_dict())


@pytest.mark.parametrize("args, kwargs", [((4,), {}), ((4,), {"momentum": None, "affine": False}), ((3,), {"bias": False}),
                                          ((2,), {"eps": 1e-3, "track_running_stats": False})])
def test_repr_matches_torch(args, kwargs):
    assert repr(nn.BatchNorm1d(*args, **kwargs)) == repr(torch.nn.BatchNorm1d(*args, **kwargs))
    assert repr(nn.BatchNorm2d(*args, **kwargs)) == repr(torch.nn.BatchNorm2d(*args, **kwargs))


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_functional_batch_norm_matches_torch(training, affine):
    rng = numpy.random.default_rng(3)
    x = rng.standard_normal((5, 3, 4))
    stats = [rng.standard_normal(3), rng.uniform(0.5, 2, 3)]
    params = [rng.standard_normal(3), rng.standard_normal(3)] if affine else [None, None]
    ours_x, theirs_x = minigrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours_stats, theirs_stats = [minigrad.tensor(s) for s in stats], [torch.tensor(s) for s in stats]
    ours_p = [None if p is None else minigrad.tensor(p, requires_grad=True) for p in params]
    theirs_p = [None if p is None else torch.tensor(p, requires_grad=True) for p in params]
    out = F.batch_norm(ours_x, *ours_stats, *ours_p, training=training, momentum=0.2, eps=1e-4)
    ref = torch.nn.functional.batch_norm(theirs_x, *theirs_stats, *theirs_p, training=training, momentum=0.2,
                                         eps=1e-4)
    assert_close(out, ref, "output")
    weights = rng.standard_normal(x.shape)
    (out * minigrad.tensor(weights)).sum().backward()
    (ref * torch.tensor(weights)).sum().backward()
    assert_close(ours_x.grad, theirs_x.grad, "grad input")
    for mine, reference in zip(ours_p + ours_stats, theirs_p + theirs_stats):
        if mine is not None:
            assert_close(mine.grad if mine.requires_grad else mine, reference.grad if reference.requires_grad
                         else reference, "parameter or running stat")


@pytest.mark.parametrize("name, shape", [("BatchNorm1d", (4,)), ("BatchNorm1d", (2, 3, 4, 5)),
                                         ("BatchNorm2d", (2, 3, 4)), ("BatchNorm1d", (1, 3))])
def test_errors_match_torch(name, shape):
    ours, theirs = getattr(nn, name)(3), getattr(torch.nn, name)(3)
    x = numpy.zeros(shape, "float32")
    assert_same_error(lambda: ours(minigrad.tensor(x)), lambda: theirs(torch.tensor(x)))


def test_single_sample_is_fine_in_eval():
    ours, theirs = make_pair("BatchNorm1d", 3)
    ours.eval()
    theirs.eval()
    check_module(ours, theirs, _batches((1, 3), 1))


@pytest.mark.parametrize("training", [True, False])
def test_float32_output_is_torchs_fused_multiply_add(training):
    # torch's kernel computes x * alpha + beta with both multiply-adds fused: a channel of equal
    # values keeps the rounding of beta (not an exact 0), and relu after it sees its sign
    x = numpy.array([[0.2, -0.8], [0.5, -0.8]], "float32")
    ours, theirs = make_pair("BatchNorm1d", 2, dtype="float32")
    ours.train(training)
    theirs.train(training)
    out, ref = ours(minigrad.tensor(x)), theirs(torch.tensor(x))
    numpy.testing.assert_array_equal(out.detach().numpy(), ref.detach().numpy())


@pytest.mark.parametrize("value", [1e300, -0.6931471805599453, 3.7, 2.6346273e301, -1.6e308])
def test_float64_output_of_a_constant_channel_is_torchs_fused_rounding(value):
    """fuzz seeds 102037, 168212: a float64 channel of equal values comes out as the rounding error
    of x * alpha (torch's FMA: 1.36e285 for 1e300, 1.35e-15 for -log 2), not an exact 0, which a
    later division turns into a finite quotient where 0 would give inf; fuzz seed 54992: also
    for values past 2^995 (-4.8e287 for 2.6e301), too large for the exact product's split."""
    x = numpy.full((2, 3), value)
    x[:, 1] = [0.25, -1.5]            # a channel that is not constant, in the same batch
    ours, theirs = make_pair("BatchNorm1d", 3, dtype="float64")
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # (no NumPy overflow warning from the statistics)
        out, ref = ours(minigrad.tensor(x)), theirs(torch.tensor(x))
    numpy.testing.assert_array_equal(out.detach().numpy(), ref.detach().numpy())


@pytest.mark.parametrize("shape", [(2, 2, 2), (2, 2, 1, 2), (4, 2)])
def test_a_float32_mean_is_summed_in_float64_where_torchs_contiguous_kernel_sums_it(shape):
    """fuzz seed 276700: torch sums each channel of contiguous planes in float64, so two values of
    3e38 give a finite mean, an overflowing variance and a channel of zeros, not NaN (a float32 sum
    overflows); planes of one value ((N, C) and (N, C, 1, 1)) take its float32 sum."""
    x = numpy.ones(shape, "float32")
    x[(0, 0) + (0,) * (len(shape) - 2)] = x[(1, 0) + (0,) * (len(shape) - 2)] = 3e38
    ours, theirs = make_pair("BatchNorm1d" if len(shape) < 4 else "BatchNorm2d", 2, dtype="float32")
    out, ref = ours(minigrad.tensor(x)), theirs(torch.tensor(x))
    numpy.testing.assert_array_equal(out.detach().numpy(), ref.detach().numpy())
    assert_buffers_match(ours, theirs)


def test_float16_statistics_are_taken_in_float32():
    # the variance overflows float16; torch takes it in float32 and keeps mean and rstd as float16
    x = numpy.array([[[-60000.0], [-0.1]], [[-0.2], [-0.5]]], "float16")
    ours, theirs = make_pair("BatchNorm1d", 2, dtype="float16")
    out, ref = ours(minigrad.tensor(x)), theirs(torch.tensor(x))
    numpy.testing.assert_array_equal(out.detach().numpy(), ref.detach().numpy())
    assert_buffers_match(ours, theirs)


@pytest.mark.parametrize("training", [True, False])
def test_zero_channels_with_weight_or_bias_raise_as_torch(training):
    ours, theirs = nn.BatchNorm1d(0), torch.nn.BatchNorm1d(0)
    ours.train(training)
    theirs.train(training)
    x = numpy.zeros((2, 0, 3), "float32")
    assert_same_error(lambda: ours(minigrad.tensor(x)).shape, lambda: theirs(torch.tensor(x)).shape)


def test_an_overflowing_variance_gives_torchs_nan_gradient():
    # rstd is 0 and sum((x - mean) * dy) inf: torch's k = dotp * rstd^2 / N is NaN, so is the gradient
    x = numpy.array([[[1.0, 3e38, -2.0, 5.0]], [[-3e38, 1.5, 2.5, 0.5]]], "float32")
    ours, theirs = make_pair("BatchNorm1d", 1, dtype="float32")
    check_module(ours, theirs, [x])


def test_writing_the_input_in_place_stops_backward_as_torch():
    # torch's node saves the input (minigrad has no anomaly mode, so no hint about it)
    def run(lib):
        h = lib.tensor([[1.0, 2.0], [3.0, 5.0]], requires_grad=True) * 1
        out = lib.nn.BatchNorm1d(2)(h)
        h.add_(1)
        out.sum().backward()
    kind, message = torch_error(lambda: run(torch))
    with pytest.raises(kind) as raised:
        run(minigrad)
    assert str(raised.value).replace("minigrad.", "torch.") == message


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("training", [True, False])
def test_an_empty_batch_is_a_clone_scaled_and_shifted_as_torch(affine, training):
    """torch's batch norm of an empty batch is ``input.clone() * weight[0] + bias[0]``: it saves
    nothing of the input, so writing the input afterwards leaves backward working (fuzz seed
    186907), and its node is the Add's (the Clone's without affine)."""
    def run(lib):
        x = lib.zeros((0, 2), dtype=lib.float32, requires_grad=True)
        hidden = x * 1
        norm = lib.nn.BatchNorm1d(2, affine=affine)
        norm.train(training)
        output = norm(hidden)
        hidden.floor_()
        output.sum().backward()
        grads = [x.grad.shape] + ([norm.weight.grad.tolist(), norm.bias.grad.tolist()] if affine else [])
        return (output.shape, str(output.dtype).split(".")[-1], output.grad_fn.name(), grads,
                norm.running_mean.tolist(), norm.running_var.tolist())
    assert run(minigrad) == run(torch)


def _strided_batch_norm(lib, rows, dtype, layout, training):
    """BatchNorm1d on ``rows`` (N, C) given as a transpose or an expand (neither contiguous):
    the output, the input's gradient and the weight's."""
    x = lib.tensor(rows, dtype=getattr(lib, dtype), requires_grad=True)
    if layout == "transpose":
        leaf = lib.tensor(list(map(list, zip(*rows))), dtype=getattr(lib, dtype), requires_grad=True)
        x = leaf.t()
    else:
        leaf = lib.tensor(rows[0], dtype=getattr(lib, dtype), requires_grad=True)
        x = leaf.expand(len(rows), len(rows[0]))
    assert not x.is_contiguous()
    layer = lib.nn.BatchNorm1d(len(rows[0]), dtype=getattr(lib, dtype))
    with lib.no_grad():
        layer.weight.copy_(lib.tensor([0.7, -1.3], dtype=getattr(lib, dtype)))
        layer.running_var.fill_(2.5)
    layer.train(training)
    out = layer(x)
    upstream = [[-3.107, -0.111], [0.589, -2.042], [-0.74, -1.532], [0.579, 0.11]][:len(rows)]
    (out.double() * lib.tensor(upstream, dtype=lib.float64)).sum().backward()
    return [t.detach().double().numpy() for t in (out, leaf.grad, layer.weight.grad, layer.running_var)]


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("dtype, big", [("float32", 3e38), ("float64", 1e308), ("float16", 6e4)])
@pytest.mark.parametrize("layout, rows", [
    ("expand", [[4.8, 0.6], [4.8, 0.6]]),
    ("transpose", [[0.586567, 1.115611], [0.386378, -0.821789], [-0.296865, "big"], ["big", 1.097909]]),
    ("transpose", [["big", 1.1], ["-big", -0.8], ["big", 0.3], [1.0, 2.0]]),
    ("transpose", [[0.5, 1.1], [-0.25, -0.8], [float("inf"), 0.3], [1.0, 2.0]])], ids=str)
def test_an_input_in_neither_kernel_layout_takes_torchs_per_element_path(layout, rows, dtype, big, training):
    """fuzz seeds 144930, 168304: an input neither contiguous nor channels-last goes down torch's
    per-element CPU path: ((x - mean) * rstd) * weight + bias in the input's dtype (an expand of
    equal rows gives exact zeros, not the rounding of a fused x * alpha + beta), the variance and
    the backward's dot product accumulated in float64 (float32 for float16: a float32 column with
    3e38 has a finite variance there, so finite gradients, not NaN)."""
    rows = [[{"big": big, "-big": -big}.get(value, value) for value in row] for row in rows]
    ours = _strided_batch_norm(minigrad, rows, dtype, layout, training)
    theirs = _strided_batch_norm(torch, rows, dtype, layout, training)
    if dtype == "float16":      # (the running variance's update rounds otherwise: not this path's)
        ours, theirs = ours[:-1], theirs[:-1]
    for mine, expected in zip(ours, theirs):
        if dtype == "float64":      # (the variance's sum in its own order: within an ulp)
            numpy.testing.assert_allclose(mine, expected, rtol=1e-14)
        elif dtype == "float32":    # (rstd is torch's sqrt: not IEEE's on every CPU)
            assert_equal_where_torch_rounds_correctly(mine, expected, dtype=numpy.float32)
        else:
            numpy.testing.assert_array_equal(mine, expected)


@pytest.mark.parametrize("layout", ["transpose", "permute", "channels_last", "expand"])
@pytest.mark.parametrize("training", [True, False])
def test_the_output_is_row_major_or_channels_last_as_torchs(layout, training):
    """torch's batch norm allocates its output row-major (``.view(-1)`` works on it), channels-last
    for a channels-last input."""
    results = []
    for lib in (torch, minigrad):
        x = {"transpose": lambda: lib.ones(3, 4).t(), "permute": lambda: lib.ones(2, 3, 4).permute(2, 1, 0),
             "channels_last": lambda: lib.ones(2, 4, 5, 3).permute(0, 3, 1, 2),
             "expand": lambda: lib.ones(3)[None].expand(4, 3)}[layout]()
        norm = (lib.nn.BatchNorm2d if x.dim() == 4 else lib.nn.BatchNorm1d)(x.shape[1]).train(training)
        y = norm(x)
        results.append((y.stride(), y.is_contiguous()))
    assert results[1] == results[0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_an_overflowing_product_in_the_gradients_dot_product_is_fused_as_torchs(dtype):
    """fuzz seed 168304: torch's kernel for (N, C) inputs sums (x - mean) * dy row after row, each
    product fused into the sum: a product past the float maximum that the sum brings back stays
    finite (torch on one thread, as the suite runs it: conftest sets OMP_NUM_THREADS=1)."""
    big = 3e38 if dtype == "float32" else 1.5e308
    rows = [[0.586567, -0.8], [0.386378, 1.1], [-math.inf, big], [big, 2.1]]
    grad = [[-3.107, -0.111], [0.589, -2.042], [-0.74, -1.532 if dtype == "float32" else -1.9], [0.579, 0.11]]
    results = []
    for lib in (torch, minigrad):
        x = lib.tensor(rows, dtype=getattr(lib, dtype), requires_grad=True)
        norm = lib.nn.BatchNorm1d(2, dtype=getattr(lib, dtype))
        norm(x).backward(lib.tensor(grad, dtype=getattr(lib, dtype)))
        results.append([x.grad.numpy(), norm.weight.grad.numpy(), norm.bias.grad.numpy()])
    for mine, theirs in zip(results[1], results[0]):
        numpy.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("shape", [(2, 4), (3, 5), (2, 3, 1), (7, 17), (16, 3)])
def test_a_few_rows_normalise_bit_for_bit_as_torchs_kernel(shape, seed):
    """Up to 16 rows of channels (EXACT_ROWS) the statistics are torch's one-thread kernel's, its rows
    added one after another, ``var_sum / N`` in float32, and the output's multiply-adds fused: a batch
    of 2 normalises to +-1 within an ulp, and hardtanh's corner there takes the gradient or not (fuzz
    seed 3306066: NumPy's variance was an ulp apart, 1.0 for torch's 0.99999994, the gradient 0)."""
    values = numpy.random.default_rng(seed).uniform(-100, 100, shape).astype(numpy.float32)
    def run(lib):
        x = lib.tensor(values, requires_grad=True)
        normalised = lib.nn.BatchNorm1d(shape[1])(x)
        out = lib.nn.functional.hardtanh(normalised)
        out.backward(lib.ones_like(out))
        return [numpy.array(t.tolist(), dtype=numpy.float32) for t in (normalised, x.grad)]
    (ours, our_grad), (theirs, their_grad) = run(minigrad), run(torch)
    assert ours.view(numpy.int32).tolist() == theirs.view(numpy.int32).tolist()
    # the gradient's sums over the batch keep NumPy's order (an ulp or a few), but where hardtanh
    # passes it on is torch's
    assert ((our_grad == 0) == (their_grad == 0)).all()
    numpy.testing.assert_allclose(our_grad, their_grad, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("norm", ["batch_norm", "instance_norm"])
def test_a_channel_far_from_zero_gives_torchs_fused_output_bit_for_bit(norm, dtype):
    """torch's kernel computes ``x * alpha + beta`` fused: where a channel's mean lies far from 0
    against its spread, the product's rounding alone is many ulps of the output (fuzz seed 8692796: an
    instance norm of 255 and 254.69, 0.9997449 in torch and 4095/4096 from the rounded product)."""
    rng = numpy.random.default_rng(5)
    # eighths about the offsets, 16 (4 for instance_norm) a channel: the statistics exact in any order
    x = (rng.integers(-8, 9, (4, 3, 4)) / 8 + numpy.array([1000.0, 0.0, -300.0])[:, None]).astype(dtype)
    outputs = []
    for lib in (torch, minigrad):
        F = lib.nn.functional
        t = lib.tensor(x)
        outputs.append((F.batch_norm(t, None, None, training=True) if norm == "batch_norm"
                        else F.instance_norm(t)).numpy())
    numpy.testing.assert_array_equal(outputs[1], outputs[0])


def test_a_strided_channel_of_equal_values_normalises_to_zero_as_torchs():
    """torch's BatchNorm of a strided input takes the mean with at::mean (each channel summed in its
    order, then divided), which for ten equal values of 1.317e9 is the value itself: variance 0,
    output 0; NumPy's mean was an ulp off, the variance 18204, the output 1 (fuzz seed 30153730,
    index-write template)."""
    outcomes = []
    for lib in (torch, minigrad):
        x = lib.ones(5, 2, 3, dtype=lib.int32).mT
        x.copy_(float("inf"))              # int32's INT_MIN, in both
        norm = lib.nn.BatchNorm1d(3)
        out = norm(x / -1.63)
        outcomes.append([out.detach().numpy(), norm.running_mean.numpy(), norm.running_var.numpy()])
    for ours, theirs in zip(*outcomes[::-1]):
        numpy.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("channels", [2, 4, 5, 7, 8, 12, 16, 33, 40])
@pytest.mark.parametrize("batch, length", [(3, 5), (6, 2), (4, 8)])
def test_channels_innermost_in_memory_are_summed_in_torchs_order(channels, batch, length):
    """A transposed (N, L, C) float32 batch: torch's at::mean sums across the channels (SumKernel's outer
    reduction: blocks of four channels, or of four vectors of 8, in one cascade each, the rest with four
    accumulators), and for a channel of equal values only that order gives the value itself as the mean,
    variance 0 and output 0 (before, 38 of 100 random such batches agreed with torch, 51 with the
    whole-tensor order; 4 to 7 channels, 33 and 40 failed)."""
    rng = numpy.random.default_rng(channels * 100 + batch * 10 + length)
    values = (rng.standard_normal(channels) * 10.0 ** rng.integers(2, 9, channels)).astype(numpy.float32)
    array = numpy.broadcast_to(values, (batch, length, channels)).copy()
    ours = F.batch_norm(minigrad.tensor(array).transpose(1, 2), None, None, training=True)
    theirs = torch.nn.functional.batch_norm(torch.tensor(array).transpose(1, 2), None, None, training=True)
    numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("shape", [(3, 5, 6), (6, 4, 6, 5), (5, 1, 6)])
def test_a_contiguous_float64_channel_of_equal_values_is_summed_in_order_as_torchs(shape):
    """torch's kernel for contiguous planes sums each channel value after value; NumPy's pairwise mean of
    equal values can be an ulp off, which leaves a variance of that ulp and an output of other noise
    (a (3, 5, 6) batch of 774.36: -1.3e-12 for torch's -1.2e-10)."""
    value = numpy.random.default_rng(len(shape)).uniform(1e2, 1e7)
    array = numpy.full(shape, value)
    ours = F.batch_norm(minigrad.tensor(array), None, None, training=True)
    theirs = torch.nn.functional.batch_norm(torch.tensor(array), None, None, training=True)
    numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())
