"""GroupNorm and InstanceNorm1d/2d against torch: outputs and gradients (random weighting), running
statistics in training and their use in eval, unbatched input, float32, reprs and errors."""
import contextlib
import warnings

import numpy
import pytest
import torch

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.testing import gradcheck
from _nn_parity import assert_close, assert_same_error, check_module, make_pair
from _op_parity import assert_same, run_both


def _input(shape, dtype="float64", seed=0):
    return (numpy.random.default_rng(seed).standard_normal(shape) * 2 + 0.5).astype(dtype)


def _randomize_affine(ours, theirs):
    """Non-trivial weight and bias (the defaults are ones and zeros), the same in both."""
    rng = numpy.random.default_rng(7)
    for name, parameter in theirs.named_parameters():
        with torch.no_grad():
            parameter.copy_(torch.tensor(rng.standard_normal(tuple(parameter.shape))))
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


@pytest.mark.parametrize("args, kwargs, shape", [((1, 6), {}, (2, 6, 5, 4)), ((2, 6), {}, (2, 6, 5, 4)),
                                                 ((6, 6), {"eps": 1e-3}, (3, 6, 7)), ((3, 6), {"affine": False},
                                                                                       (2, 6, 3, 2, 2)),
                                                 ((2, 4), {}, (1, 4, 3)), ((2, 4), {}, (0, 4, 3))])
def test_group_norm_matches_torch(args, kwargs, shape):
    ours, theirs = make_pair("GroupNorm", *args, **kwargs)
    assert repr(ours) == repr(theirs)
    _randomize_affine(ours, theirs)
    check_module(ours, theirs, [_input(shape)])


def test_group_norm_float32_and_gradcheck():
    ours, theirs = make_pair("GroupNorm", 2, 4, dtype="float32")
    outputs, _ = check_module(ours, theirs, [_input((2, 4, 5, 5), "float32")])
    assert outputs[0].dtype == minigrad.float32
    x = minigrad.tensor(_input((2, 4, 3, 2)), requires_grad=True)
    w = minigrad.tensor(_input((4,), seed=1), requires_grad=True)
    b = minigrad.tensor(_input((4,), seed=2), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (x, w, b))


@pytest.mark.parametrize("name, kwargs, shape", [
    ("InstanceNorm2d", {}, (2, 3, 5, 4)), ("InstanceNorm2d", {"affine": True}, (2, 3, 5, 4)),
    ("InstanceNorm2d", {"affine": True}, (3, 5, 4)), ("InstanceNorm1d", {"affine": True, "eps": 1e-3}, (2, 3, 7)),
    ("InstanceNorm2d", {"affine": True, "track_running_stats": True}, (2, 3, 5, 4)),
    ("InstanceNorm1d", {"track_running_stats": True, "momentum": 0.3}, (3, 6))])
def test_instance_norm_matches_torch_in_training_and_eval(name, kwargs, shape):
    ours, theirs = make_pair(name, 3, **kwargs)
    assert repr(ours) == repr(theirs)
    if kwargs.get("affine"):
        _randomize_affine(ours, theirs)
    check_module(ours, theirs, [_input(shape)])
    for buffer in ("running_mean", "running_var"):
        if getattr(theirs, buffer) is not None:
            assert_close(getattr(ours, buffer), getattr(theirs, buffer), buffer)
    ours.eval(), theirs.eval()
    check_module(ours, theirs, [_input(shape, seed=1)])


def test_instance_norm_float32_matches_torch():
    ours, theirs = make_pair("InstanceNorm2d", 3, affine=True, dtype="float32")
    outputs, _ = check_module(ours, theirs, [_input((2, 3, 6, 5), "float32")])
    assert outputs[0].dtype == minigrad.float32


def test_group_and_instance_norm_errors_match_torch():
    assert_same_error(lambda: nn.GroupNorm(2, 5), lambda: torch.nn.GroupNorm(2, 5))
    cases = [((2, 5, 3), (2,), {}), ((5,), (1,), {}), ((2, 4, 3), (2,), {"weight": numpy.ones(3)})]
    for shape, args, kwargs in cases:
        x = numpy.zeros(shape)
        assert_same_error(
            lambda: F.group_norm(minigrad.tensor(x), *args, **{k: minigrad.tensor(v) for k, v in kwargs.items()}),
            lambda: torch.nn.functional.group_norm(torch.tensor(x), *args,
                                                   **{k: torch.tensor(v) for k, v in kwargs.items()}))
    for layer_args, shape in [((3,), (2, 3, 5, 5, 5)), ((3,), (2, 3, 1, 1)), ((3,), (3, 1, 1))]:
        ours, theirs = nn.InstanceNorm2d(*layer_args), torch.nn.InstanceNorm2d(*layer_args)
        assert_same_error(lambda: ours(minigrad.zeros(*shape)), lambda: theirs(torch.zeros(*shape)))
    ours, theirs = nn.InstanceNorm2d(3, affine=True), torch.nn.InstanceNorm2d(3, affine=True)
    assert_same_error(lambda: ours(minigrad.zeros(2, 4, 5, 5)), lambda: theirs(torch.zeros(2, 4, 5, 5)))
    with pytest.warns(UserWarning, match="does not match num_features"):
        nn.InstanceNorm2d(3)(minigrad.zeros(2, 4, 5, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.InstanceNorm2d(4)(minigrad.ones(2, 4, 5, 5))


@pytest.mark.parametrize("shape", [(1, 4, 3), (2, 4, 3)])
@pytest.mark.parametrize("running, weight, bias", [(None, 3, None), (None, 4, 3), (3, 3, 3), (4, 4, 2), (2, None, None)])
def test_instance_norm_size_errors_count_the_repeated_channels_as_torch(shape, running, weight, bias):
    """torch's instance_norm repeats its per-channel tensors once per sample and checks them as
    batch_norm of (1, N * C, *): 'weight should contain 8 elements not 6', running stats first;
    minigrad gave a broadcasting error instead.  Nothing is written before it raises."""
    def action(lib):
        make = lambda size: None if size is None else lib.ones(size, dtype=lib.float64)   # noqa: E731
        stats = make(running), make(running)
        lib.nn.functional.instance_norm(lib.ones(*shape, dtype=lib.float64), *stats, weight=make(weight),
                                        bias=make(bias))
        return [None if stat is None else stat.tolist() for stat in stats]
    theirs, ours = run_both(action)
    assert ours == theirs


@pytest.mark.parametrize("affine", ["weight and bias", "weight", "bias", "none"])
@pytest.mark.parametrize("written", ["nothing", "input", "weight", "bias", "input and weight", "all"])
@pytest.mark.parametrize("leaves", [True, False], ids=["leaves", "non-leaves"])
def test_group_norm_is_one_node_whose_in_place_errors_name_what_torch_saved(leaves, written, affine):
    # torch's group_norm is one node, NativeGroupNormBackward0, which saves the input and the
    # weight as given (not the bias), unpacking the input first: its error names that tensor,
    # a leaf by no node, else by the node that made it (after the write: Add, Mul).  minigrad's
    # composed LayerNorm, Mul and Add named reshaped views ("output 0 of AsStrided") and its
    # output's node was AddBackward0.  (torch's CPU kernel fails the bias's gradient without a
    # weight: "tensor does not have a device"; minigrad follows.)
    def action(lib):
        rng = numpy.random.default_rng(0)
        def make(shape):
            leaf = lib.tensor(rng.standard_normal(shape), requires_grad=True)
            return leaf if leaves else leaf * 1
        x = make((2, 4, 3))
        weight = make(4) if "weight" in affine else None
        bias = make(4) if "bias" in affine else None
        y = lib.nn.functional.group_norm(x, 2, weight, bias)
        for name, tensor in (("input", x), ("weight", weight), ("bias", bias)):
            if tensor is not None and (name in written or written == "all"):
                with lib.no_grad() if leaves else contextlib.nullcontext():
                    tensor.add_(1)
        (y * y).sum().backward()
        return y.grad_fn.name(), y.detach()
    theirs, ours = (outcome.split(" Hint:")[0] for outcome in run_both(action))   # (torch's anomaly hint)
    assert ours == theirs


@pytest.mark.parametrize("written", ["input", "weight", "none"])
@pytest.mark.parametrize("needs_grad", ["input", "weight"])
def test_instance_norm_is_torchs_batch_norm_of_the_samples_as_one(written, needs_grad):
    """torch composes instance_norm as batch_norm of the input viewed as (1, N * C, *) with the weight
    and bias repeated per sample, then a view back: its node is ViewBackward0 over
    NativeBatchNormBackward0, a write to the weight after it changes nothing saved (the repeat is a
    copy), and a write to the input stops a backward that needs it, even for the weight's gradient.
    minigrad composed it of layer norm rows, a product and a sum (AddBackward0), saved the weight
    itself and not the input."""
    def action(lib):
        x = lib.tensor(numpy.random.default_rng(3).standard_normal((2, 3, 5)), requires_grad=needs_grad == "input")
        weight = lib.tensor([0.5, -1.5, 2.0], dtype=lib.float64, requires_grad=needs_grad == "weight")
        bias = lib.tensor([0.1, 0.2, -0.3], dtype=lib.float64)
        a, w = x * 1, weight * 1
        out = lib.nn.functional.instance_norm(a, weight=w, bias=bias)
        names = (out.grad_fn.name(), out.grad_fn.next_functions[0][0].name())
        if written != "none":
            (a if written == "input" else w).add_(1.0)
        (out * lib.linspace(-1, 1, 30, dtype=lib.float64).reshape(2, 3, 5)).sum().backward()
        return names, out, x.grad, weight.grad
    assert_same(action)


@pytest.mark.parametrize("shape, groups", [((1, 2), 2), ((1, 4, 1), 4), ((1, 4, 2), 4), ((1, 2), 1)])
def test_group_norm_of_one_value_a_group_is_refused_as_torchs(shape, groups):
    """fuzz seed 7011539: torch's F.group_norm checks its (N * C / G, G, *) view as batch_norm checks a
    batch: one value per group is "Expected more than 1 value per channel when training"."""
    def action(lib):
        return lib.nn.functional.group_norm(lib.ones(*shape, dtype=lib.float64), groups)
    assert_same(action)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_group_norm_scales_and_shifts_as_torchs_kernel(dtype):
    """fuzz seed 7300057 (layer template): torch's kernel computes ``x * (rstd * w) + (b - rstd * w *
    mean)``, both multiply-adds fused, so a weight past the range gives NaN (inf - inf) where
    ``normalized * w + b`` gave the bias."""
    def action(lib):
        x = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [0.5, -2.0, 7.0]], dtype=getattr(lib, dtype))
        huge = -3e38 if dtype == "float32" else -1e308
        weight = lib.tensor([1.0, -0.5, huge], dtype=getattr(lib, dtype))
        bias = lib.tensor([48.7, 14.0, 5.8], dtype=getattr(lib, dtype))
        return lib.nn.functional.group_norm(x, 3, weight, bias), lib.nn.functional.group_norm(x, 1, weight, bias)
    assert_same(action)


@pytest.mark.parametrize("shape", [(0, 2, 4), (0, 3, 2, 2), (0, 0, 3)])
def test_instance_norm_of_an_empty_batch_is_torchs_composition_too(shape):
    """fuzz seed 7202096 (layer template): torch runs an empty batch through the same composition (the
    samples viewed as one, batch_norm of that, viewed back: ViewBackward0, and running statistics the
    mean of no repeats, NaN); minigrad handed it to batch_norm whole (CloneBackward0)."""
    def action(lib):
        x = lib.zeros(shape, dtype=lib.float64, requires_grad=True)
        running_mean, running_var = lib.zeros(shape[1], dtype=lib.float64), lib.ones(shape[1], dtype=lib.float64)
        out = lib.nn.functional.instance_norm(x, running_mean, running_var)
        out.sum().backward()
        return out.grad_fn.name(), out.shape, running_mean, running_var, x.grad.shape
    assert_same(action)


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
@pytest.mark.parametrize("affine", [False, True])
def test_groups_of_one_value_have_torchs_rounding_in_their_gradients(dtype, affine):
    """As many groups as channels and one position: the gradients are mathematically 0, and torch's
    kernel gives the roundings of its fused multiply-adds (``ds - db mean`` exact before it rounds):
    its weight gradient bit for bit, and its input gradient in float32 and float64 (fuzz seeds
    7802640, 7722278: minigrad gave 0 where torch's noise was 5e-05 and -3e-08)."""
    rng = numpy.random.default_rng(11)
    for _ in range(40):
        samples, channels = int(rng.integers(2, 5)), int(rng.integers(1, 4))
        x = rng.standard_normal((samples, channels)) * 10.0 ** rng.integers(-2, 3)
        weighting, gamma = rng.standard_normal((samples, channels)), rng.standard_normal(channels)
        grads = []
        for lib in (torch, minigrad):
            kind = getattr(lib, dtype)
            xt = lib.tensor(x, dtype=kind, requires_grad=True)
            weight = lib.tensor(gamma, dtype=kind, requires_grad=True) if affine else None
            lib.nn.functional.group_norm(xt, channels, weight).backward(lib.tensor(weighting, dtype=kind))
            grads.append([xt.grad.numpy()] + ([weight.grad.numpy()] if affine else []))
        (input_theirs, *weight_theirs), (input_ours, *weight_ours) = grads
        if weight_theirs:
            assert weight_ours[0].tobytes() == weight_theirs[0].tobytes()
        if dtype != "float16":
            assert input_ours.tobytes() == input_theirs.tobytes()
        else:
            numpy.testing.assert_allclose(input_ours, input_theirs, atol=1e-2)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_backward_kernel_is_torchs_given_its_statistics(dtype):
    """``_group_norm_kernel`` against torch's ``native_group_norm_backward`` on random shapes, with
    torch's own mean and rstd: the weight's and bias's gradients bit for bit, the input's bit for bit
    without a weight and within an ulp with one (its compiled contractions are not all known)."""
    from minigrad.nn._functional import _group_norm_kernel as kernel
    rng = numpy.random.default_rng(3)
    with_gamma = exact = 0
    for _ in range(60):
        samples, groups, per_group, positions = (int(rng.integers(1, 4)), int(rng.integers(1, 4)),
                                                 int(rng.integers(1, 20)), int(rng.integers(1, 40)))
        channels = groups * per_group
        x = (rng.standard_normal((samples, channels, positions)) * rng.choice([1, 30]) + rng.choice([0, 5])).astype(dtype)
        dy = rng.standard_normal(x.shape).astype(dtype)
        gamma = rng.standard_normal(channels).astype(dtype) if rng.random() < 0.7 else None
        tx, tgamma = torch.tensor(x), None if gamma is None else torch.tensor(gamma)
        _, mean, rstd = torch.native_group_norm(tx, tgamma, None, samples, channels, positions, groups, 1e-5)
        dx, dw, db = torch.ops.aten.native_group_norm_backward(
            torch.tensor(dy), tx, mean, rstd, tgamma, samples, channels, positions, groups,
            [True, gamma is not None, gamma is not None])
        ds, dbs = kernel.channel_sums(x, dy)
        ours = kernel.input_gradient(x, dy, mean.numpy(), rstd.numpy(), gamma, ds, dbs)
        if gamma is None:
            assert ours.tobytes() == dx.numpy().tobytes()
            continue
        with_gamma += 1
        exact += ours.tobytes() == dx.numpy().tobytes()
        # (an ulp of the terms, which cancel in the result)
        terms = numpy.abs(x * mean.numpy().repeat(per_group, 1)[..., None]).max() + numpy.abs(dx.numpy()).max()
        numpy.testing.assert_allclose(ours, dx.numpy(), rtol=0, atol=4 * numpy.finfo(dtype).eps * terms)
        per_channel = [numpy.repeat(stat.numpy(), per_group, axis=1) for stat in (mean, rstd)]
        assert kernel.weight_gradient(ds, dbs, *per_channel).tobytes() == dw.numpy().tobytes()
        assert kernel.bias_gradient(dbs).tobytes() == db.numpy().tobytes()
    assert exact >= 0.4 * with_gamma      # (measured here: 29 of 39 in float64, 20 of 39 in float32)


def test_a_gradient_whose_terms_cancel_is_torchs_in_float32():
    """fuzz seed 7852891: a group of two values whose gradient's terms (dy of 100s) cancel to 0.078:
    the rows' layer-norm backward gave -0.077881 and 0.078125 for torch's -0.078003 and 0.078003 in
    float32; the kernel's order gives torch's digits."""
    grads = []
    for lib in (torch, minigrad):
        x = lib.tensor([[0.274682, 0.763083]], requires_grad=True)
        lib.nn.functional.group_norm(x, 1).backward(lib.tensor([[-336.33212, -108.78477]]))
        grads.append(x.grad.numpy())
    assert grads[1].tobytes() == grads[0].tobytes()


def test_half_precision_with_affine_is_torchs_float32_kernel_bit_for_bit():
    """torch's half kernel computes ``x * scale + (beta - mean * scale)`` in float32, both multiply-adds
    fused, from unrounded statistics, and rounds once: of 300 random float16 group norms with weight
    and bias 296 bit for bit (30 before), the others an ulp apart in one element (the statistics of a
    larger group: Welford's in torch); fuzz seed 7707373, a group of one value 60000: -1.540 in
    torch, -1.633 from the half product and sum."""
    rng = numpy.random.default_rng(2)
    exact = 0
    for _ in range(100):
        samples, groups, per_group, positions = (int(rng.integers(2, 5)), int(rng.integers(1, 4)),
                                                 int(rng.integers(1, 6)), int(rng.integers(1, 6)))
        channels = groups * per_group
        x = (rng.standard_normal((samples, channels, positions)) * 10.0 ** rng.integers(-1, 4)).astype(numpy.float16)
        weight, bias = (rng.standard_normal(channels).astype(numpy.float16) for _ in range(2))
        outputs = [lib.nn.functional.group_norm(lib.tensor(x), groups, lib.tensor(weight), lib.tensor(bias)).numpy()
                   for lib in (torch, minigrad)]
        numpy.testing.assert_array_max_ulp(outputs[1], outputs[0], maxulp=1)
        exact += outputs[1].tobytes() == outputs[0].tobytes()
    assert exact >= 95


def test_a_write_to_a_non_contiguous_input_after_group_norm_is_no_error_as_torchs():
    """torch's group_norm saves ``input.contiguous()``: for a transposed input a copy, so a write to
    the tensor given (``relu_``) does not stop backward (fuzz seed 7924369); a contiguous input is
    saved itself, and the same write does."""
    for transposed in (True, False):
        outcomes = []
        for lib in (torch, minigrad):
            x = lib.tensor(numpy.arange(6.0).reshape(2, 3) - 2.5, requires_grad=True)
            given = x.clone().t() if transposed else x.clone().t().contiguous()
            out = lib.nn.functional.group_norm(given, 1, lib.ones(2, dtype=lib.float64) * 2)
            given.relu_()
            try:
                out.sum().backward()
                outcomes.append("ran")
            except RuntimeError as error:
                outcomes.append(str(error).split(" is at version")[0].replace("torch.", "minigrad."))
        assert outcomes[1] == outcomes[0]


def _laid_out(lib, dtype, layout):
    """An input of ``dtype`` in ``layout``: transposed 3-d, channels-last 4-d, or permuted 4-d."""
    values = numpy.random.default_rng(3).standard_normal((2, 3, 3, 4))
    x = lib.tensor(values).to(getattr(lib, dtype))
    if layout == "transposed":
        return x[:, :2, 0].transpose(-2, 2)
    return x.permute(0, 3, 1, 2) if layout == "channels-last" else x.permute(0, 3, 2, 1)


@pytest.mark.parametrize("layout", ["transposed", "channels-last", "permuted"])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("affine", [True, False])
def test_group_and_instance_norm_outputs_are_laid_out_as_torchs(layout, dtype, affine):
    """torch's group_norm output is ``input.contiguous(suggest_memory_format)``'s layout: C order for a
    transposed input, channels-last for a channels-last one; a reshape of it is then a view
    (``ViewBackward0``, fuzz seed 8977516: minigrad's affine output followed the transposed input)."""
    def action(lib):
        x = _laid_out(lib, dtype, layout).requires_grad_()
        channels = x.shape[1]
        weight = lib.linspace(0.5, 2, channels).to(x.dtype) if affine else None
        bias = lib.linspace(-1, 1, channels).to(x.dtype) if affine else None
        outputs = [lib.nn.functional.group_norm(x, 2 if channels % 2 == 0 else 1, weight, bias),
                   lib.nn.functional.instance_norm(x, weight=weight, bias=bias)]
        return [(out.stride(), out.is_contiguous(), out.reshape(-1).grad_fn.name()) for out in outputs]
    assert_same(action)


def test_the_fuzzers_group_norm_of_a_transposed_input_reshaped():
    """Fuzz seed 8977516, the program's group norm and reshape: values, grad_fn and gradients."""
    outcomes = []
    for lib in (torch, minigrad):
        x = lib.tensor([[[47.0, 133.9, -1e+308, 95.7], [-59.8, -176.0, -3.8, -19.1]],
                        [[91.5, -90.0, 77.4, 50.2], [10.3, 62.4, -61.3, 33.8]]], dtype=lib.float64, requires_grad=True)
        weight = lib.tensor([4.325, 3.338, 4.314, -2.003], dtype=lib.float64, requires_grad=True)
        bias = lib.tensor([-154.1, 194.7, 63.3, -53.7], dtype=lib.float64, requires_grad=True)
        flat = lib.nn.functional.group_norm(lib.round(x).transpose(-2, 2), 2, weight, bias).reshape(-1)
        (flat * lib.linspace(-1, 2, 16, dtype=lib.float64)).sum().backward()
        outcomes.append([flat.grad_fn.name(), flat.detach().numpy(), x.grad.numpy(), weight.grad.numpy(),
                         bias.grad.numpy()])
    assert outcomes[1][0] == outcomes[0][0] == "ViewBackward0"
    for ours, theirs in zip(outcomes[1][1:], outcomes[0][1:]):
        numpy.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-9)
