"""Special cases the differential fuzzer (tests/fuzz) found in nn, each held against torch:
ignored rows in class losses, loss inputs outside their domain, dtype and size validation
of layers, the Embedding index message."""
import math

import numpy
import pytest
import torch

import minigrad
from _op_parity import assert_equal_where_torch_rounds_correctly, assert_same, run_both

NAN, INF = float("nan"), float("inf")


def _rows(lib):
    # row 1 is ignored (target 1 with ignore_index=1) and holds -inf and NaN
    return lib.tensor([[1.0, 2.0, 3.0], [-INF, 0.5, NAN], [0.5, -1.0, 2.0], [INF, -INF, 0.0]],
                      dtype=lib.float64, requires_grad=True)


CLASS_LOSS_OPTIONS = [{}, {"reduction": "sum"}, {"reduction": "none"}, {"weight": [1.0, 2.0, 0.5]},
                      {"weight": [1.0, 0.0, 0.5], "reduction": "sum"}]


@pytest.mark.parametrize("loss, options", [(loss, options) for loss in ("cross_entropy", "nll_loss")
                                           for options in CLASS_LOSS_OPTIONS] +
                         [("cross_entropy", {"label_smoothing": 0.2})])   # nll_loss has no smoothing
def test_ignored_rows_do_not_poison_the_loss_or_its_gradient(loss, options):

    def action(lib):
        kwargs = dict(options)
        if "weight" in kwargs:
            kwargs["weight"] = lib.tensor(kwargs["weight"], dtype=lib.float64)
        scores = _rows(lib)
        # rows 1 and 3 are ignored; row 3's -inf/inf would otherwise give inf or NaN
        value = getattr(lib.nn.functional, loss)(scores, lib.tensor([2, 1, 0, 1]), ignore_index=1, **kwargs)
        (value * lib.tensor(0.75, dtype=lib.float64)).sum().backward()
        return value.detach(), scores.grad
    assert_same(action)


@pytest.mark.parametrize("call", [
    "F.cross_entropy(lib.tensor([1.0, 2.0, 3.0]), lib.tensor([2]))",
    "F.cross_entropy(lib.tensor([1.0, 2.0, 3.0]), lib.tensor([2]), reduction='none')",
    "F.nll_loss(lib.tensor([1.0, 2.0, 3.0]), lib.tensor([1]))",
    "F.cross_entropy(lib.tensor([1.0, 2.0, 3.0]), lib.tensor([1, 2]))",
    "F.nll_loss(lib.tensor([1.0, 2.0, 3.0]), lib.tensor([1, 2, 0]))",
    "F.nll_loss(lib.tensor([1.0, 2.0, 3.0]), lib.tensor([], dtype=lib.int64))",
    "F.cross_entropy(lib.tensor([1.0, 2.0, 3.0]), lib.tensor([1, 2, 0]))",
    "F.cross_entropy(lib.tensor([[1.0, 2.0, 3.0]]), lib.tensor([[1, 2, 0]]))",
    # domains: NaN is not in [0, 1]; the target is checked first; KL with negative targets is NaN
    "F.binary_cross_entropy(lib.tensor([0.5, nan]), lib.tensor([1.0, 0.0]))",
    "F.binary_cross_entropy(lib.tensor([0.5, 0.2]), lib.tensor([nan, 0.0]))",
    "F.binary_cross_entropy(lib.tensor([0.5, nan]), lib.tensor([1.5, 0.0]))",
    "F.binary_cross_entropy(lib.tensor([0.5, 0.2]), lib.tensor([-0.5, 0.0]))",
    "F.kl_div(lib.tensor([-1.0, -2.0, 0.5, 1.0]), lib.tensor([-0.5, 0.0, 2.0, nan]), reduction='none')",
    "F.kl_div(lib.tensor([-1.0, -2.0]), lib.tensor([-0.5, 0.25]), reduction='sum')",
])
def test_loss_inputs_as_torch(call):
    assert_same(lambda lib: eval(call, {"lib": lib, "F": lib.nn.functional, "nan": NAN}))


def test_kl_div_gradients_with_negative_and_zero_targets():
    def action(lib):
        x = lib.tensor([-1.0, -2.0, 0.5, 1.0], dtype=lib.float64, requires_grad=True)
        t = lib.tensor([-0.5, 0.0, 2.0, 0.25], dtype=lib.float64, requires_grad=True)
        (lib.nn.functional.kl_div(x, t, reduction="none") * lib.tensor([1.0, 2.0, -1.0, 0.5], dtype=lib.float64)
         ).sum().backward()
        return x.grad, t.grad
    assert_same(action)


VALIDATION = [
    # float64 input into float32 layers: torch's errors, not a silent float64 result
    "lib.nn.RNNCell(3, 2)(lib.ones(4, 3, dtype=lib.float64))",
    "lib.nn.LSTMCell(3, 2)(lib.ones(4, 3, dtype=lib.float64))",
    "lib.nn.GRUCell(3, 2)(lib.ones(3, dtype=lib.float64))",
    "lib.nn.GRUCell(3, 2, bias=False)(lib.ones(4, 3, dtype=lib.float64))",
    "lib.nn.RNNCell(3, 2)(lib.ones(4, 3), lib.zeros(4, 2, dtype=lib.float64))",
    "lib.nn.LSTMCell(3, 2)(lib.ones(4, 3), (lib.zeros(4, 2, dtype=lib.float64), lib.zeros(4, 2)))",
    "lib.nn.LayerNorm(3)(lib.ones(4, 3, dtype=lib.float64))",
    "lib.nn.BatchNorm1d(3)(lib.ones(4, 3, dtype=lib.float64))",
    "lib.nn.BatchNorm1d(3).eval()(lib.ones(4, 3, dtype=lib.float64))",
    "lib.nn.Conv1d(3, 2, 1)(lib.ones(4, 3, 5, dtype=lib.float64))",
    "lib.nn.Conv1d(3, 2, 1, bias=False)(lib.ones(4, 3, 5, dtype=lib.float64))",
    "F.conv1d(lib.ones(4, 3, 5), lib.ones(2, 3, 1, dtype=lib.float64))",
    "F.conv1d(lib.ones(4, 3, 5, dtype=lib.float16), lib.ones(2, 3, 1), lib.ones(2))",
    "F.layer_norm(lib.ones(4, 3), (3,), lib.ones(3, dtype=lib.float64))",
    "F.layer_norm(lib.ones(4, 3, dtype=lib.float64), (3,), None, lib.ones(3))",
    "F.batch_norm(lib.ones(4, 3), None, None, lib.ones(3, dtype=lib.float64), training=True)",
    # float16 input with float32 parameters is torch's "mixed type": float16 out
    "F.layer_norm(lib.tensor([1.0, 2.0, 4.0], dtype=lib.float16), (3,), lib.ones(3))",
    "F.batch_norm(lib.tensor([[1.0, 2, 3], [3, 2, 1]], dtype=lib.float16), lib.zeros(3), lib.ones(3), lib.ones(3), training=True)",
    "F.linear(lib.ones(4, 3, dtype=lib.float64), lib.ones(2, 3), lib.ones(2))",
    "F.linear(lib.ones(4, 3), lib.ones(2, 3, dtype=lib.float64), lib.ones(2))",
    "F.linear(lib.ones(4, 3), lib.ones(2, 3, dtype=lib.float64), lib.ones(2, dtype=lib.float64))",
    # LSTM states are pairs
    "lib.nn.LSTM(3, 2)(lib.ones(4, 1, 3), (lib.zeros(1, 1, 2), lib.zeros(1, 1, 2), lib.zeros(1, 1, 2)))",
    "lib.nn.LSTMCell(3, 2)(lib.ones(4, 3), (lib.zeros(4, 2), lib.zeros(4, 2), lib.zeros(4, 2)))",
    # BatchNorm with the wrong number of features
    "lib.nn.BatchNorm1d(3)(lib.ones(4, 2))",
    "lib.nn.BatchNorm1d(3).eval()(lib.ones(4, 2, 5))",
    "lib.nn.BatchNorm1d(3, track_running_stats=False)(lib.ones(4, 2))",
    "F.batch_norm(lib.ones(4, 2), lib.zeros(2), lib.ones(3), lib.ones(2))",
    "F.batch_norm(lib.ones(4, 2), lib.zeros(2), lib.ones(2), lib.ones(2), lib.ones(3))",
]


@pytest.mark.parametrize("call", VALIDATION)
def test_layers_validate_as_torch(call):
    assert_same(lambda lib: eval(call, {"lib": lib, "F": lib.nn.functional}))


@pytest.mark.parametrize("index", [[1, 5], [-1, 0], [[0, 3]]])
def test_embedding_index_out_of_range_keeps_torch_words_then_names_index_and_size(index):
    with pytest.raises(IndexError) as theirs:
        torch.nn.functional.embedding(torch.tensor(index), torch.ones(3, 2))
    with pytest.raises(IndexError) as ours:
        minigrad.nn.functional.embedding(minigrad.tensor(index), minigrad.ones(3, 2))
    bad = [i for i in numpy.ravel(index) if not 0 <= i < 3][0]
    assert str(ours.value) == f"{theirs.value}: index {bad} is not in [0, 3) (num_embeddings=3)"


@pytest.mark.parametrize("rows, dtype", [
    ([[3e38, -3e38, 1e38], [1.0, 2.0, 3.0], [1e20, -1e20, 0.0]], "float32"),   # moments overflow: NaN
    ([[2e19, 2e19, 2e19]], "float32"),                                         # mean squared overflows
    ([[1e19, 1e19, -1e19]], "float32"),
    ([[1e300, -1e300, 1e100], [1e160, -1e160, 0.0]], "float64"),              # only the variance overflows
    # torch's Welford order decides: a late huge value overflows M2 (rstd 0, the bias), a lone
    # one overflows the merge of the empty vector lanes (NaN), a full vector's lanes merge last
    ([[36.28, -122.39, 141.78, -56.99, -89.09, -115.46, -52.12, 18.32, 3e38, 0.0]], "float32"),
    ([[1e308, -30.4, -104.8, -39.6, -109.1, -135.5]], "float64"),
    ([[0.0, 0.0, 0.0, 1.5e154], [0.0, 0.0, 1.5e154, 0.0], [1.5e154, 0.0, 0.0, 0.0]], "float64"),
    ([[-0.176565, 0.158337, 5e-324, 0.0, -0.182036, 1e+308, -0.041369, 0.385103, -1.213238, -1.012975]],
     "float64"),
    ([[2e19, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0]], "float32"),
    ([[9.2, 60000.0, 75.7, 12.8, 6e-08, 62.9], [60000.0, -60000.0, 1.0, 2.0, 3.0, 4.0]], "float16"),
    ([[60000.0] * 3 + [-60000.0] * 3 + [1.0] * 12] * 2, "float16"),         # a float16 vector is 16 wide
])
def test_layer_norm_on_overflowing_rows_matches_torch(rows, dtype):
    def action(lib):
        dt = getattr(lib, dtype)
        size = len(rows[0])
        return lib.nn.functional.layer_norm(lib.tensor(rows, dtype=dt), (size,), lib.ones(size, dtype=dt),
                                            lib.full((size,), 0.5, dtype=dt)).abs()   # abs: no -0.0
    assert_same(action)


@pytest.mark.parametrize("row, dtype", [([36.28, -122.39, 141.78, -56.99, 3e38, 0.0], "float32"),
                                        ([1e308, -30.4, -104.8, -39.6, -109.1, -135.5], "float64")])
def test_layer_norm_gradient_of_an_overflowing_row_is_nan_as_torchs(row, dtype):
    # rstd is 0 there (M2 overflowed) and sum(grad * x) inf: torch's dx = a*g + b*x + c is NaN, not 0
    def action(lib):
        x = lib.tensor([row, [1.0, 2.0, 4.0, 8.0, 0.5, 0.25]], dtype=getattr(lib, dtype), requires_grad=True)
        out = lib.nn.functional.layer_norm(x, (6,))
        (out * 2.0).sum().backward()
        return out.detach().abs(), [[round(v, 4) for v in r] for r in x.grad.tolist()]
    assert_same(action)


@pytest.mark.parametrize("dtype, big", [("float32", 3e38), ("float64", 1e308)])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("length", [3, 6, 7, 12, 14, 29])
def test_layer_norm_gradient_row_sums_overflow_where_torchs_do(length, weighted, dtype, big):
    """fuzz seed 854717: a row with values at the float maximum has rstd 0, and its gradient is 0
    where torch's row sums ds = sum(dy * x * w), db = sum(dy * w) stay finite, NaN where they
    overflow; NumPy's pairwise sum overflowed where torch's lane sums (4 float64 or 8 float32 lanes,
    the tail's products fused into them) do not, and the gradient was NaN for torch's 0."""
    rng = numpy.random.default_rng(length)
    x = rng.choice([0.5, big, -big, 1.0, 5e-324], size=(40, length), p=[0.4, 0.25, 0.25, 0.05, 0.05])
    dy = rng.uniform(-2, 2, (40, length))
    w = rng.uniform(-2, 2, length) if weighted else None
    def grad(lib):
        dt = getattr(lib, dtype)
        xt = lib.tensor(x.tolist(), dtype=dt, requires_grad=True)
        out = lib.nn.functional.layer_norm(xt, (length,), None if w is None else lib.tensor(w.tolist(), dtype=dt))
        out.backward(lib.tensor(dy.tolist(), dtype=dt))
        return numpy.array(xt.grad.tolist())
    ours, theirs = grad(minigrad), grad(torch)
    numpy.testing.assert_array_equal(numpy.isnan(ours), numpy.isnan(theirs))
    numpy.testing.assert_allclose(ours, theirs, rtol=1e-4 if dtype == "float32" else 1e-10, atol=1e-30)


def test_layer_norm_gradient_with_a_huge_weight_overflows_where_torchs_does():
    # torch multiplies (rstd * dy) * gamma: dy * gamma first overflows to inf where torch's stays
    # finite (fuzz seed 216130, where a reordering of those products gave NaN for torch's inf)
    def action(lib):
        x = lib.tensor([[0.2, -0.7, 0.8, 1.6, 0.8], [-2.7, 0.6, -2.6, -0.4, -0.6]], dtype=lib.float64,
                       requires_grad=True)
        weight = lib.tensor([[-58.8, 184.5, 5.9, 79.3, -81.7], [83.4, -1e308, 106.9, -67.9, -29.0]],
                            dtype=lib.float64, requires_grad=True)
        out = lib.nn.functional.layer_norm(x, (2, 5), weight)
        weighting = lib.tensor([[-0.8, 0.3, -0.7, -0.1, 0.6], [0.2, 1.9, 1.3, 1.4, 0.5]], dtype=lib.float64)
        (out * weighting).sum().backward()
        return out.detach(), x.grad, weight.grad
    assert_same(action)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("dtype, big", [("float32", -3e38), ("float64", -1e308)])
def test_layer_norm_of_a_zero_in_a_row_whose_mean_is_its_rounding_is_torchs(seed, dtype, big):
    """fuzz seed 4529822: a row of +-1s and zeros whose sum cancels: its mean is the rounding of
    the sum, so torch's order decides the x_hat of each 0, and a huge weight there shows it
    (-2.8e31 for torch's -2.3e31); such rows are recomputed in torch's order."""
    rng = numpy.random.default_rng(seed)
    ones = numpy.repeat(1 + rng.integers(-30, 30, (20, 1)) * 1e-7, 2, axis=1) * [1, -1]
    row = numpy.concatenate([ones.reshape(-1), numpy.zeros(20)])
    rows = numpy.stack([rng.permutation(row) for _ in range(3)])
    weights = numpy.where(rows == 0, big, 0.75)

    def action(lib):
        x = lib.tensor(rows, dtype=getattr(lib, dtype), requires_grad=True)
        weight = lib.tensor(weights, dtype=getattr(lib, dtype))
        out = lib.nn.functional.layer_norm(x, (60,), weight[0])
        return out.detach().tolist()
    assert_same(action)


@pytest.mark.parametrize("dtype, big", [("float32", 3e38), ("float64", 1e308)])
def test_layer_norm_multiply_adds_past_the_float_maximum_are_fused_as_torchs(dtype, big):
    """fuzz seed 125844: torch fuses b = (db * mean - ds) * a^3 / N, c = -b * mean - db * a / N and
    dx = a * dy * w + b * x + c, so a product past the maximum stays exact: db * mean - inf is -inf,
    where NumPy's rounded product is inf and gives NaN; likewise x_hat * w + bias with bias -inf."""
    def action(lib):
        dt = getattr(lib, dtype)
        x = lib.tensor([[25.728, -87.217, -38.683, 74.879, -238.232, 131.05],
                        [-93.628, 52.959, -54.294, -152.471, -238.725, -21.98]], dtype=dt, requires_grad=True)
        w = lib.tensor([-21.7, 0.97, big, 59.9, -35.2, 42.2], dtype=dt, requires_grad=True)
        b = lib.tensor([-54.4, 28.6, -INF, INF, -78.5, 0.0], dtype=dt, requires_grad=True)
        out = lib.nn.functional.layer_norm(x, (6,), w, b)
        (out * lib.tensor([[-2.2, 1.0, -1.2, 0.2, -0.6, -0.2], [1.9, -0.3, -0.2, 0.9, -1.8, -0.9]], dtype=dt)).sum().backward()
        return out.tolist(), x.grad.tolist()
    _assert_same_special_values(action, dtype)


@pytest.mark.parametrize("dtype, big", [("float32", 3e38), ("float64", 1e308)])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(1, 2, 11), (2, 2, 3), (3, 2, 8), (2, 2, 2, 3)])
def test_batch_norm_channel_sums_overflow_where_torchs_do(shape, weighted, dtype, big):
    """fuzz seed 872648: torch sums a contiguous channel one value after another (its mean), and
    each plane's dy and (x - mean) dy in lanes, plane after plane (float32's in float64); where
    values reach the float maximum the order decides between a finite sum and inf.  NumPy's mean
    of 1e308, -1e308, -1e308 and small values was -inf (torch's -1.67e307): the channel's output
    NaN for torch's 0; likewise gradients NaN where torch's are 0."""
    rng = numpy.random.default_rng(sum(shape))
    x = rng.choice([0.5, big, -big, 1.0, -2.0], size=(30,) + shape, p=[0.3, 0.2, 0.2, 0.15, 0.15])
    dy = rng.uniform(-2, 2, (30,) + shape)
    w = rng.uniform(-2, 2, (30, shape[1]))
    def run(lib, case):
        dt = getattr(lib, dtype)
        xt = lib.tensor(x[case].tolist(), dtype=dt, requires_grad=True)
        out = lib.nn.functional.batch_norm(xt, None, None, lib.tensor(w[case].tolist(), dtype=dt) if weighted
                                           else None, training=True)
        out.backward(lib.tensor(dy[case].tolist(), dtype=dt))
        return numpy.array(out.tolist()), numpy.array(xt.grad.tolist())
    for case in range(30):
        for ours, theirs in zip(run(minigrad, case), run(torch, case)):
            numpy.testing.assert_array_equal(numpy.isnan(ours), numpy.isnan(theirs))
            # (float32's gradients that cancel differ in their last digits: rounding, not this)
            numpy.testing.assert_allclose(ours, theirs, rtol=2e-2 if dtype == "float32" else 1e-9, atol=1e-6)


@pytest.mark.parametrize("dtype, big", [("float32", 3e38), ("float64", 1e308)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_multiply_adds_past_the_float_maximum_are_fused_as_torchs(dtype, big, training):
    # the same root cause in batch norm: x_hat * weight + bias, the product past the maximum
    def action(lib):
        dt = getattr(lib, dtype)
        x = lib.tensor([[2.5, -1.0, 3.0], [-4.0, 2.0, 1.0], [1.5, 0.5, -2.0]], dtype=dt, requires_grad=True)
        w = lib.tensor([big, -big, big], dtype=dt, requires_grad=True)
        b = lib.tensor([-INF, INF, 1.0], dtype=dt, requires_grad=True)
        out = lib.nn.functional.batch_norm(x, lib.zeros(3, dtype=dt), lib.ones(3, dtype=dt), w, b, training=training)
        (out * lib.tensor([[1.0, -2.0, 0.5], [0.3, 1.1, -0.7], [-1.2, 0.4, 2.0]], dtype=dt)).sum().backward()
        return out.tolist(), x.grad.tolist()
    _assert_same_special_values(action, dtype)


def _assert_same_special_values(action, dtype):
    """``action``'s results in minigrad and torch: the same infinities and NaNs, finite values to
    the dtype's rounding (the last bits of the finite values are another matter)."""
    for ours, theirs in zip(action(minigrad), action(torch)):
        numpy.testing.assert_allclose(ours, theirs, rtol={"float32": 1e-6, "float64": 1e-13}[dtype])


def test_float16_layer_norm_is_computed_in_float32_as_torchs():
    # 60000 squared overflows float16 but not float32, where torch takes the moments
    def action(lib):
        x = lib.tensor([[60000.0, -60000.0, 1.0, 2.0]], dtype=lib.float16, requires_grad=True)
        out = lib.nn.LayerNorm((4,), dtype=lib.float16)(x)
        out.sum().backward()
        return out.tolist(), out.dtype, x.grad.dtype
    assert_same(action)


@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_layer_norm_output_is_torchs_fused_multiply_adds(dtype):
    # float32: (x - mean) * rstd * weight + bias, the last multiply-add fused; float16 (in float32):
    # x * rstd + (-rstd * mean) fused, so one value a row keeps that rounding, not an exact 0
    def action(lib):
        dt = getattr(lib, dtype)
        x = lib.tensor([[1.08], [0.3]], dtype=dt)
        rows = lib.tensor([[0.3, -1.1, 2.5, 0.7], [5.1, 5.2, 4.9, 5.0]], dtype=dt)
        w, b = lib.tensor([1.7, -0.4, 0.9, 2.2], dtype=dt), lib.tensor([0.1, 0.2, -0.3, 0.05], dtype=dt)
        return lib.nn.functional.layer_norm(x, (1,)).tolist(), lib.nn.functional.layer_norm(rows, (4,), w, b).tolist()
    assert_same(action)


def test_layer_norm_of_a_row_whose_spread_is_its_rounding_takes_torchs_moments():
    # 9007199254740993 + small values: x - mean is all rounding, so torch's Welford mean decides it
    def action(lib):
        x = lib.tensor([[-0.680832, 0.255752, 0.361573, 0.202236, -1.188303, 1.383232, 1.825896, -0.507313]],
                       dtype=lib.float64) + 9007199254740993
        return lib.nn.functional.layer_norm(x, (8,)).tolist()
    assert_same(action)


def test_layer_norm_weight_gradient_of_one_value_a_row_is_torchs_rounding():
    # torch's dgamma is dy * (rstd * x - rstd * mean) fused: not an exact 0 for one value a row
    # (torch then adds the rows with its own fused steps: equal to float32 rounding, not bit for bit)
    def action(lib):
        w = lib.tensor([0.5], requires_grad=True)
        x = lib.tensor([[0.7], [-1.4], [0.3]])
        (lib.nn.functional.layer_norm(x, (1,), w) * lib.tensor([[1.3], [-1.2], [0.05]])).sum().backward()
        return w.grad.tolist()
    numpy.testing.assert_allclose(action(minigrad), action(torch), rtol=1e-6)


def test_float16_layer_norm_backward_reads_mean_and_rstd_rounded_to_float16_as_torchs():
    # torch keeps a float16 input's mean and rstd as float16: its backward reads them rounded
    def action(lib):
        x = lib.tensor([[1.2529296875, 1.0810546875], [0.82275390625, 1.2939453125]], dtype=lib.float16,
                       requires_grad=True)
        out = lib.nn.LayerNorm((2,), dtype=lib.float16)(x)
        (out * lib.tensor([[1.582, -1.056], [-0.219, -0.098]], dtype=lib.float16)).sum().backward()
        return out.tolist(), x.grad.tolist()
    assert_same(action)


@pytest.mark.parametrize("row, weight", [([-0.51, -1.57], [56.743, -183.961]),   # eps-sized gradient, 2 a row
                                         ([0.3, -1.1, 2.5, 0.7, -0.2, 1.9, -2.2], None)])
def test_float32_layer_norm_gradient_has_torchs_digits(row, weight):
    # for two values a row the true gradient is below the rounding of rstd * dy: only torch's
    # order (Welford moments, sums, fused multiply-adds) gives torch's digits (rows shorter
    # than a vector, where minigrad follows that order exactly)
    def action(lib):
        x = lib.tensor([row, [v * 0.5 + 1 for v in row]], requires_grad=True)
        w = None if weight is None else lib.tensor(weight)
        out = lib.nn.functional.layer_norm(x, (len(row),), w)
        (out * lib.tensor([[(-1.0) ** i * (i + 1) / 7 for i in range(len(row))]] * 2)).sum().backward()
        return out.tolist(), x.grad.tolist()
    assert_same(action)


ACTIVATIONS = ["relu", "gelu", "silu", "elu", "leaky_relu", "softplus", "hardtanh", "logsigmoid", "relu6", "mish",
               "hardswish", "selu", "celu", "hardsigmoid"]


@pytest.mark.parametrize("dtype", ["bool", "int8", "int16", "int64", "uint8"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_activations_on_integer_and_bool_tensors_as_torch(activation, dtype):
    assert_same(lambda lib: getattr(lib.nn.functional, activation)(lib.tensor([1, 0], dtype=getattr(lib, dtype))))


@pytest.mark.parametrize("size", [0, 1, 5, 8, 15, 16, 25, 33, 40])      # 0: a 0-d tensor
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("activation", ["relu6(x)", "hardtanh(x)", "hardtanh(x, -2.0, 0.5)"])
def test_hardtanh_gradient_at_nan_follows_torchs_vector_and_scalar_loops(activation, dtype, size):
    # torch's vector loop drops a NaN's gradient, its scalar tail (size % lanes) passes it
    def action(lib):
        values = numpy.linspace(-3.0, 7.0, size) if size else numpy.array(NAN)
        if size:
            values[::3] = NAN
        x = lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=True)
        eval(f"lib.nn.functional.{activation}", {"lib": lib, "x": x}).sum().backward()
        return x.grad.tolist()
    assert_same(action)


@pytest.mark.parametrize("reduction", ["mean(-1)", "mean()", "sum(-1)", "mean((0, 2))"])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("activation", ["hardtanh(x)", "elu(x)", "relu6(x)"])
def test_activation_gradient_at_nan_follows_the_layout_of_torchs_reduction_gradient(activation, dtype, reduction):
    """torch's mean backward divides the expanded gradient, a dense tensor, so the activation's backward
    runs its vectors over it; sum's stays expanded, rows of the last dim (fuzz seed 6910999: a NaN
    through hardtanh, then mean(-1) over a (2, 2, 2, 2) batch, has gradient 0 in torch's vectors;
    minigrad's expanded mean gradient made every row a scalar tail and passed -0.033)."""
    def action(lib):
        values = numpy.resize([0.5, NAN, -4.0, 2.5, NAN, 0.0, 0.25], 2 * 4 * 2 * 4).reshape(2, 4, 2, 4)
        x = lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=True)
        y = eval(f"lib.nn.functional.{activation}", {"lib": lib, "x": x})
        eval(f"y.{reduction}", {"y": y}).sum().backward()
        return x.grad
    assert_same(action)


@pytest.mark.parametrize("layout", ["expanded", "expanded rows of 20", "transposed", "every other", "contiguous"])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("activation", ["hardtanh(x)", "elu(x)", "selu(x)", "hardswish(x)", "relu6(x)"])
def test_activation_gradient_at_nan_follows_torchs_loops_over_a_strided_input(activation, dtype, layout):
    """fuzz seed 198607: TensorIterator runs its vector loop along each row of the trailing dims whose
    strides chain, and a scalar loop over each row's tail: an expanded (3, 1, 2) input has rows of 2,
    all scalar (where hardtanh passes a NaN's gradient); a row of non-adjacent elements is all scalar."""
    def action(lib):
        rows = 20 if layout == "expanded rows of 20" else 2
        values = numpy.resize([NAN, 0.5, -4.0, NAN, 2.5, 0.0, NAN], 3 * rows).reshape(3, 1, rows)
        base = lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=True)
        x = {"expanded": base.expand(2, 3, 3, rows), "expanded rows of 20": base.expand(2, 3, 3, rows),
             "transposed": base.expand(2, 3, 3, rows).transpose(0, 3), "every other": base.expand(2, 3, 3, rows)[..., ::2],
             "contiguous": base.expand(2, 3, 3, rows).contiguous()}[layout]
        x.retain_grad()
        eval(f"lib.nn.functional.{activation}", {"lib": lib, "x": x}).sum().backward()
        return x.grad.tolist()
    assert_same(action)


@pytest.mark.parametrize("upstream", ["transposed", "contiguous", "expanded"])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("activation", ["hardtanh(x)", "elu(x)", "selu(x)", "hardswish(x)", "relu6(x)"])
def test_activation_gradient_at_nan_follows_torchs_loops_over_the_gradients_layout(activation, dtype, upstream):
    """fuzz seed 1246259: the backward kernel's loop reads the gradient beside the input: a gradient
    that comes transposed (from a transpose after the activation) has no adjacent elements along the
    input's rows, so torch runs its scalar loop throughout (where relu6 passes a NaN's gradient)."""
    def action(lib):
        x = lib.tensor(numpy.resize([NAN, 0.5, -4.0, NAN, 2.5, 0.0, NAN], 2 * 5 * 3).reshape(2, 5, 3),
                       dtype=getattr(lib, dtype), requires_grad=True)
        y = eval(f"lib.nn.functional.{activation}", {"lib": lib, "x": x})
        weights = lib.tensor(numpy.linspace(-1, 1, 30).reshape(5, 2, 3), dtype=getattr(lib, dtype))
        if upstream == "transposed":
            (y.transpose(0, 1) * weights).sum().backward()
        elif upstream == "contiguous":
            (y * weights.transpose(0, 1).contiguous()).sum().backward()
        else:
            y.sum().backward()
        return x.grad.tolist()
    assert_same(action)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "one element"])
def test_gelu_overflow_and_infinity_as_torch_for_each_layout(dtype, layout):
    # torch gives a contiguous float32/float16 tensor of 2+ elements to oneDNN: x * (1 + erf)
    # overflows above half the float32 maximum and +inf becomes NaN; other layouts keep inf
    def action(lib):
        big = 6e4 if dtype == "float16" else 3e38
        x = lib.tensor([[INF, big, NAN, -INF, -big], [1.0, 1.7e38 if dtype != "float16" else 3e4, 0.5, -8.0, 0.0]],
                       dtype=getattr(lib, dtype))
        x = {"contiguous": x, "transposed": x.t(), "one element": x[0, :1]}[layout]
        return [f"{v:.4g}" for v in lib.nn.functional.gelu(x).reshape(-1).tolist()]
    assert_same(action)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "one element"])
def test_gelu_gradient_of_an_infinite_gradient_far_left_as_torch_for_each_layout(dtype, layout):
    """fuzz seed 132158: oneDNN's gelu backward (contiguous float32/float16, 2+ elements) is exactly 0
    from about x = -6 down, so an infinite incoming gradient gives NaN there; torch's own kernel (other
    layouts, float64) keeps Phi(x) + x phi(x), a tiny negative number, and gives an infinity."""
    def action(lib):
        values = [[-12.985, -10.866, -6.5, -6.0, -3.0], [-200.0, INF, NAN, 0.5, -0.0]]
        x = lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=True)
        view = {"contiguous": x, "transposed": x.t(), "one element": x[0, :1]}[layout]
        out = lib.nn.functional.gelu(view)
        out.backward(lib.full(out.shape, INF, dtype=getattr(lib, dtype)))
        return [f"{v:.3g}" for v in x.grad.reshape(-1).tolist()]
    assert_same(action)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_gelu_gradient_far_left_is_exactly_zero_where_torchs_is(dtype):
    # oneDNN's (r exp(-r^2) / sqrt(pi) + 0.5) + 0.5 erf(r) in float32: 0 from about -6.1 down
    def action(lib):
        x = lib.tensor(numpy.arange(-9.0, -4.0, 0.05), dtype=getattr(lib, dtype), requires_grad=True)
        lib.nn.functional.gelu(x).sum().backward()
        return [v == 0 for v in x.grad.tolist()], [v < 0 for v in x.grad.tolist()]
    assert_same(action)


@pytest.mark.parametrize("size", [3, 16, 17, 33, 40])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_hardswish_gradient_at_its_ends_and_at_nan_as_torch(dtype, size):
    # torch: 0 at -3, 1 at 3; NaN gives NaN in its vector loop (two vectors a step), passes the
    # gradient in its scalar tail; float16 computed in float32 (60000 does not overflow)
    def action(lib):
        values = numpy.resize([-3.0, 3.0, NAN, 60000.0, -2.5, 2.0, -4.0], size)
        x = lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=True)
        out = lib.nn.functional.hardswish(x)
        out.sum().backward()
        return out.tolist(), x.grad.tolist()
    assert_same(action)


@pytest.mark.parametrize("size", [3, 16, 17, 30, 70])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("name", ["elu", "selu", "celu"])
def test_elu_gradient_at_nan_as_torchs_vector_and_scalar_loops(name, dtype, size):
    """fuzz seeds 160137, 168333 (and 5 more): torch's elu_backward blends on x > 0 in its vector loop
    (two vectors a step), so NaN takes the negative branch and gives NaN; its scalar tail tests x <= 0,
    so NaN passes the gradient there."""
    def action(lib):
        values = numpy.resize([NAN, -1.5, 0.0, 2.0, -0.0, NAN, 0.7], size)
        x = lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=True)
        getattr(lib.nn.functional, name)(x).sum().backward()
        return numpy.isnan(x.grad.numpy()).tolist()
    assert_same(action)


@pytest.mark.parametrize("dtype, big", [("float16", 6e4), ("float32", 3e38), ("float64", 1e308)])
@pytest.mark.parametrize("name, options", [("elu", {"alpha": 1.3}), ("selu", {}), ("celu", {"alpha": 0.7})])
def test_elu_gradient_multiplies_left_to_right_as_torchs_kernel(name, options, dtype, big):
    """fuzz seed 990718: torch's elu_backward is grad * input_scale * (alpha * scale) * exp(x * input_scale)
    from the left, so a huge gradient overflows before exp(-12.8) brings it back; bit for bit elsewhere."""
    def action(lib):
        x = lib.tensor([-12.824, -0.37, -3.1, 0.0, 2.5, -1e-3], dtype=getattr(lib, dtype), requires_grad=True)
        weights = lib.tensor([big, 1.3, -0.77, 2.1, big, 0.31], dtype=getattr(lib, dtype))
        (getattr(lib.nn.functional, name)(x, **options) * weights).sum().backward()
        return x.grad.tolist()
    assert_same(action)


@pytest.mark.parametrize("dtype, big", [("float16", 6e4), ("float32", 6.6e37), ("float64", 1.7e308)])
@pytest.mark.parametrize("options", [{}, {"beta": 0.5, "threshold": 200.0}])
def test_softplus_gradient_is_grad_times_z_over_z_plus_one_as_torchs_kernel(options, dtype, big):
    """fuzz seed 1514274: torch's softplus_backward is grad * z / (z + 1), z = exp(beta x), from the
    left: a huge gradient overflows to -inf (not grad * sigmoid's finite -5.8e37), and past float32's
    exp range (a threshold above it) z / (z + 1) is inf / inf, NaN; bit for bit elsewhere."""
    def action(lib):
        x = lib.tensor([1.957, 0.276, -30.0, 25.0, 3.0, NAN, 95.0, -0.0], dtype=getattr(lib, dtype), requires_grad=True)
        lib.nn.functional.softplus(x, **options).backward(
            lib.tensor([-big, 1.3, 2.0, -0.7, 1e-3, 1.0, 1.0, 0.5], dtype=getattr(lib, dtype)))
        return x.grad.tolist()
    assert_same(action)


@pytest.mark.parametrize("length", [1, 80])
def test_float32_gelu_far_left_is_torchs_tiny_negative_not_zero(length):
    """fuzz seed 1562269: gelu(-5.501) in float32 is -1.64e-7 in torch (1 + erf is one ulp, 2**-24):
    minigrad's erf in float32 steps rounded twice to -1.0, a gelu of -0.0, whose sqrt's gradient is
    inf where torch's is NaN.  erf of float32 is now float64's rounded once (both of torch's paths
    on an AMD EPYC: its own kernel for one element, oneDNN's for a contiguous tensor; on an Intel
    Xeon torch's MKL erf is an ulp off in some values, its gelu still this one)."""
    values = numpy.resize([-5.501, -5.3, -5.45, -5.2], length)     # (oneDNN's erf is its own nearer 0)
    assert_same(lambda lib: lib.nn.functional.gelu(lib.tensor(values, dtype=lib.float32)).tolist())
    ours, theirs = (lib.erf(lib.tensor(values * 0.7071067811865476, dtype=lib.float32)).numpy()
                    for lib in (minigrad, torch))
    assert_equal_where_torch_rounds_correctly(ours, theirs, function="erf")


def test_layer_norm_over_an_empty_shape_backward_as_torch():
    # N = 0: torch's 1 / N is inf, and the (empty) gradients are computed without an error
    def action(lib):
        x, w, b = (lib.zeros((0,), requires_grad=True) for _ in range(3))
        out = lib.nn.functional.layer_norm(x, (0,), w, b)
        out.sum().backward()
        return out, x.grad, w.grad, b.grad
    assert_same(action)


@pytest.mark.parametrize("kind", ["layer_norm", "layer_norm without weight", "rms_norm", "rms_norm without weight"])
@pytest.mark.parametrize("written", ["input", "weight", "bias", "input and bias", "input and weight", "all"])
def test_an_input_of_a_norm_written_in_place_after_it_stops_backward_as_torchs(kind, written):
    """fuzz seed 253991: torch's layer_norm node unpacks its saved inputs by name (bias, input,
    weight), so with several written since, the first of those is the one its error names (the
    bias: a leaf, no node).  rms_norm, which torch composes, saves its input too (minigrad's fused
    node did not: a write to the input went unnoticed, a silently wrong gradient), the weight first."""
    def action(lib):
        x = lib.ones((4, 3), dtype=lib.float64, requires_grad=True)
        y = x * lib.tensor([[1.0, 2, 3], [2, 3, 1], [0.5, 1, 2], [3, 1, 0]], dtype=lib.float64)
        weight = None if "without" in kind else lib.ones(3, dtype=lib.float64, requires_grad=True) * 1.5
        bias = lib.zeros(3, dtype=lib.float64)
        F = lib.nn.functional
        out = F.layer_norm(y, (3,), weight, bias) if kind.startswith("layer") else F.rms_norm(y, (3,), weight)
        if written in ("input", "input and bias", "input and weight", "all"):
            y.neg_()
        if weight is not None and written in ("weight", "input and weight", "all"):
            weight.mul_(2)
        if written in ("bias", "input and bias", "all"):
            bias[:] = 1.0
        out.sum().backward()
        return "no error"      # (the values are the norms' own tests')
    theirs, ours = (outcome.split(" Hint:")[0] for outcome in run_both(action))   # (torch's anomaly hint)
    assert ours == theirs


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("row", [[0.0, 0.0, 2.0, 3.0, -3.0, -2.0], [-1.0, -2.0, 0.0, -3.0, -2.0, 2.0],
                                 [1.0, -2.0, 0.0, 3.0, -2.0, 2.0, 1.0, 5.0, 1.0]])
def test_layer_norm_of_a_value_at_its_rows_mean_keeps_torchs_rounding(row, dtype):
    # fuzz seed 1438199: torch's Welford mean of [0, 0, 2, 3, -3, -2] is 2**-52 / 60, not 0 (its compiled
    # AddMoments fuses c * delta into m1), so the normalized 0 is -2.6e-18, whose power to 0.96 is NaN
    def action(lib):
        x = lib.tensor([row, row[::-1]], dtype=getattr(lib, dtype), requires_grad=True)
        out = lib.nn.functional.layer_norm(x, (len(row),))
        powered = out ** lib.full_like(out, 0.75)
        powered.sum().backward()
        return out.tolist(), powered.isnan().tolist(), x.grad.isnan().tolist()
    assert_same(action)


def test_layer_norm_gradient_through_an_infinite_weight_takes_torchs_mean():
    # fuzz seed 1486545: the row sums to 0; torch's mean 5.6e-17 times db = inf is inf (dx -inf at the
    # last value), the two-pass mean 0 would make it NaN throughout
    def action(lib):
        x = lib.tensor([[2.5, -1.8, 0.4, -1.1], [0.5, 2.0, -1.0, 3.0]], dtype=lib.float64, requires_grad=True)
        weight = lib.tensor([0.373, -math.inf, -0.772, -0.117], dtype=lib.float64)
        out = lib.nn.functional.layer_norm(x, (4,), weight, lib.tensor([-1.3, 1.3, 0.5, 0.1], dtype=lib.float64))
        (out * lib.tensor([[-2.054, -1.466, 1.871, 0.358]] * 2, dtype=lib.float64)).sum().backward()
        return x.grad.tolist()
    assert_same(action)


@pytest.mark.parametrize("length", [2, 4, 8])
def test_an_activations_gradient_through_flip_at_nan_is_torchs(length):
    # fuzz seed 1371209: flip's backward is a copy in torch (grad.flip), not a view of negative strides,
    # so selu's backward runs its vector loop, where NaN takes the negative branch: NaN
    def action(lib):
        values = numpy.arange(4 * length, dtype=float).reshape(2, 2, length) / 7 - 1
        values[1, 1, 1 % length] = math.nan
        x = lib.tensor(values.tolist(), dtype=lib.float64, requires_grad=True)
        weight = lib.tensor((numpy.arange(4 * length).reshape(2, 2, length) % 5 - 2.0).tolist(), dtype=lib.float64)
        (lib.nn.functional.selu(x).flip(-2) * weight).sum().backward()
        return x.grad.isnan().tolist()
    assert_same(action)


@pytest.mark.parametrize("dtype, huge", [("float32", 5.25e35), ("float64", 5.25e300)])
@pytest.mark.parametrize("shape, channels_last", [((1, 3, 2), False), ((2, 3), False), ((2, 15), False),
                                                   ((2, 9, 1), False), ((1, 11, 1, 2), True)])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("eps", [1e-5, 1e-30])
def test_batch_norm_backward_that_cancels_is_fused_as_torchs(shape, channels_last, dtype, huge, weighted, eps):
    """fuzz seed 1764233: over two values a channel ``dy - grad_mean - (x - mean) k`` cancels to
    the rounding of its terms (5e35 to 3e27), and torch's compiler fuses the product into the
    difference: torch 3.12e27, NumPy's two roundings 3.92e27 (float64's exact value 2.53e27); its
    kernel along the channels (planes of one value, channels-last) fuses whole vectors of channels
    only, not the last ones (2 x 15 float32: channels 0-7).  (With eps 1e-30 the exact gradient is 0
    and both dtypes' is their rounding alone.)"""
    rng = numpy.random.default_rng(len(shape) + shape[1])
    x = rng.uniform(-30, 30, shape)
    dy = rng.uniform(-1e-3, 1e-3, shape)
    dy.reshape(2, -1)[0] = huge * rng.uniform(0.5, 1, dy.size // 2)   # one huge dy a channel
    w = rng.uniform(0.5, 2, shape[1])

    def action(lib):
        dt = getattr(lib, dtype)
        xt = lib.tensor(x.tolist(), dtype=dt, requires_grad=True)
        weight = lib.tensor(w.tolist(), dtype=dt) if weighted else None
        inputs = [xt, lib.tensor(dy.tolist(), dtype=dt)]
        if channels_last:       # (N, C, H, W) with strides of (N, H, W, C)
            inputs = [t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2) for t in inputs]
        lib.nn.functional.batch_norm(inputs[0], None, None, weight, training=True, eps=eps).backward(inputs[1])
        return xt.grad
    ours, theirs = action(minigrad), action(torch)
    numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol={"float32": 1e-6, "float64": 1e-13}[dtype])


@pytest.mark.parametrize("shape, target", [((0,), 0), ((2, 0), [0, 0]), ((2, 0, 3), [[0, 0, 0], [0, 0, 0]])])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("written", [False, True])
def test_nll_loss_over_no_classes_saves_its_input_as_torchs(shape, target, reduction, written):
    """fuzz seed 2351160: nll_loss over no classes (every target ignored) is torch's NllLossBackward0,
    which saves its input: a write to the input afterwards stops backward (minigrad's composite
    of a sum times 0 saved nothing)."""
    def action(lib):
        x = lib.zeros(shape, dtype=lib.float64, requires_grad=True)
        hidden = x.clamp(-3.5, 1.5)
        loss = lib.nn.functional.nll_loss(hidden, lib.tensor(target), ignore_index=0, reduction=reduction)
        if written:
            hidden -= hidden
        (loss * 0.5).sum().backward()
        return loss, loss.grad_fn.name(), x.grad
    assert_same(action)


def test_layer_norm_of_a_value_at_torchs_mean_times_an_infinite_weight_is_nan_as_torchs():
    """fuzz seed 2371416: -0.03 + [0, 1, 2] four times in float32: 0.97 is torch's Welford mean
    exactly (x_hat 0, times an infinite weight NaN), an ulp from NumPy's (x_hat -2e-8: -inf)."""
    def action(lib):
        x = -0.03 + lib.tensor([[[0, 1, 2], [0, 1, 2]], [[0, 1, 2], [0, 1, 2]]])
        weight = lib.tensor([[[1.8, math.inf, -0.4], [-0.0, 0.4, -0.0]], [[-0.0, 0.0, 0.2], [-0.8, 0.7, 0.2]]])
        bias = lib.tensor([[[0.1, 2.8, -0.2], [-1.4, -0.3, 4.1]], [[-1.3, -2.4, -1.3], [-0.8, 6.2, -1.0]]])
        return (lib.nn.functional.layer_norm(x, (2, 2, 3), weight, bias).tolist(),)
    _assert_same_special_values(action, "float32")


@pytest.mark.parametrize("shape, contiguous", [((2, 3, 4), False), ((2, 3, 4), True), ((2, 3, 2, 2), False),
                                               ((2, 3, 1, 2, 2), False)])
def test_nll_loss_of_a_strided_input_saves_torchs_contiguous_copy(shape, contiguous):
    """fuzz seed 2964140: nll_loss of a 3-d (or more than 4-d) input views it as (N, C, 1, L) through
    ``contiguous()``: for a strided input a copy, which torch saves, so writing the input afterwards
    is no error; a contiguous one, or a 4-d one (nll_loss2d as given), is saved itself: an error."""
    values = numpy.linspace(-2, 1, math.prod(shape)).reshape(shape)

    def action(lib):
        x = lib.tensor(values.tolist(), dtype=lib.float64, requires_grad=True)
        scores = x * 1 if contiguous else (x * 1).transpose(0, -1).contiguous().transpose(0, -1)
        target = lib.zeros((shape[0],) + shape[2:], dtype=lib.int64)
        loss = lib.nn.functional.nll_loss(scores, target)
        scores.mul_(2)
        loss.backward()
        return loss, x.grad
    assert_same(action)


@pytest.mark.parametrize("dtype", ["float16", "float32"])    # (float16: fuzz seed 713 of the suite's layer programs)
@pytest.mark.parametrize("shape, groups", [((1, 1, 0), 1), ((2, 4, 0), 2), ((0, 4, 3), 2), ((2, 4, 0, 3), 4)])
def test_group_norm_of_groups_of_no_values_has_torchs_nan_weight_gradient(shape, groups, dtype):
    """fuzz seed 7107525 (layer template): torch's kernel takes the weight's gradient as the sum over
    samples of (ds - db * mean) * rstd, whose statistics over no values are NaN: NaN, not the empty
    sum's 0 (the bias's is 0).  (NumPy's warning for the mean of an empty slice: test_numpy_warnings.)"""
    def action(lib):
        x = lib.zeros(shape, dtype=getattr(lib, dtype), requires_grad=True)
        weight, bias = (lib.full((shape[1],), value, dtype=getattr(lib, dtype), requires_grad=True) for value in (1, 0))
        out = lib.nn.functional.group_norm(x, groups, weight, bias)
        out.double().sum().backward()
        return out.shape, weight.grad, bias.grad, x.grad.shape
    assert_same(action)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_group_norm_without_weight_or_bias_is_x_minus_mean_times_rstd_as_torchs(dtype):
    """fuzz seed 368 (layer template): without weight and bias torch's kernel writes (x - mean) * rstd,
    not the fused x * scale + shift, which for groups of one value left the product's rounding
    (-1.4e-05) where torch's is 0."""
    def action(lib):
        x = lib.tensor([[0.9893582, 0.9092974, 0.14112], [-0.7568025, -0.2794155, -0.9589243]],
                       dtype=getattr(lib, dtype))
        return lib.nn.functional.group_norm(x, 3).tolist()
    assert_same(action)


@pytest.mark.parametrize("shape", [(3, 4), (0, 3, 1), (2, 3, 1), (2, 3, 0), (0, 3, 1, 1), (1, 3, 2), (0, 3, 0), (5,)])
def test_instance_norm_refuses_one_spatial_element_as_torchs_check(shape):
    """fuzz seed 7422646 (layer template): torch's F.instance_norm refuses inputs whose spatial dims
    multiply to exactly 1 (an empty batch (0, 3, 1) too, and a 2-d input), before its batch_norm's
    own check; 0 spatial elements pass."""
    def action(lib):
        return tuple(lib.nn.functional.instance_norm(lib.zeros(shape)).shape)
    assert_same(action)


@pytest.mark.parametrize("shape", [(0,), (3, 0), (4, 3, 0)])
def test_linear_of_no_input_features_is_its_bias_with_its_signed_zeros(shape):
    """fuzz seed 7406929 (layer template): with no input features torch's addmm adds no product, so
    the output is the bias itself, -0.0 included (whose sqrt's gradient is -inf): the zeros of an
    empty product added to it gave +0.0."""
    def action(lib):
        bias = lib.tensor([-0.0, 1.0, -2.5], dtype=lib.float64, requires_grad=True)
        out = lib.nn.functional.linear(lib.zeros(shape, dtype=lib.float64), lib.zeros(3, 0, dtype=lib.float64), bias)
        out.sqrt().sum().backward()
        return out.tolist(), bias.grad.tolist()
    assert_same(action)


@pytest.mark.parametrize("seed", range(8))
def test_half_precision_group_norm_backward_runs_in_float32_as_torchs(seed):
    """fuzz seed 7426602 (layer template): torch's float16 group_norm backward computes in float32 and
    rounds its results once: ``dy * weight`` for a weight of -60000 overflowed float16 (NaN input
    gradients), and the weight's gradient is its kernel's sum of (ds - db mean) rstd, not the sum
    of dy times the output rounded to float16 (bit for bit here)."""
    rng = numpy.random.default_rng(seed)
    x = (rng.standard_normal((3, 4, 5)) * rng.choice([1, 50, 300])).astype(numpy.float16)
    weight = (rng.standard_normal(4) * rng.choice([1, 100, 3000])).astype(numpy.float16)
    weight[seed % 4] = -60000.0
    weighting = rng.standard_normal((3, 4, 5)).astype(numpy.float32)

    def action(lib):
        inputs = [lib.tensor(array, requires_grad=True) for array in (x, weight, numpy.ones(4, numpy.float16))]
        out = lib.nn.functional.group_norm(inputs[0], 2, inputs[1], inputs[2])
        (out.float() * lib.tensor(weighting)).sum().backward()
        return [tensor.grad.tolist() for tensor in inputs]
    assert_same(action)


@pytest.mark.parametrize("seed", range(6))
def test_group_norm_rstd_adds_its_double_eps_in_double_as_torchs(seed):
    """fuzz seed 7502895 (layer template): torch's group_norm kernel takes 1 / sqrt(var + eps) with
    the float variance and the double eps added in double, rounded once; a group of one value,
    whose output is the bias plus the rounding of x * rstd * w, showed the ulp of a float32 eps."""
    rng = numpy.random.default_rng(seed)
    x = (rng.standard_normal((5, 2)) * 10.0 ** rng.uniform(0, 4, (5, 1))).astype(numpy.float32)
    weight, bias = rng.standard_normal(2).astype(numpy.float32), rng.standard_normal(2).astype(numpy.float32)

    def action(lib):
        return lib.nn.functional.group_norm(lib.tensor(x), 2, lib.tensor(weight), lib.tensor(bias)).tolist()
    assert_same(action)


def test_half_precision_group_norm_without_affine_of_one_value_groups_is_zero_as_torchs():
    """fuzz seed 7601687 (layer template): torch's float16 kernel without weight or bias computes
    (x - mean) * rstd in float32 from unrounded statistics and rounds once: a group of one value is 0,
    where the rows' half precision formula left -6.3e-06 (over 192 random float16 group norms, 1
    differs by an ulp of the mean now, 18 before)."""
    def action(lib):
        x = lib.tensor([[0.414576, 1.966442, -0.0], [0.927518, -60000.0, 0.753202]], dtype=lib.float16)
        return lib.nn.functional.group_norm(x, 3).tolist()
    assert_same(action)


@pytest.mark.parametrize("function", ["F.leaky_relu(x)", "F.leaky_relu(x, 0.3)", "F.softplus(x)",
                                      "F.softplus(x, 2.0, 5.0)", "F.hardsigmoid(x)", "x.exp2()", "x.sinc()"])
def test_half_precision_scalars_are_floats_as_in_torchs_kernels(function):
    """A float16 tensor times a Python number (a slope, beta, ln 2, pi) is computed in float32 with the
    number a float and rounded once, as torch's kernels and backward formulas do; NumPy's float16 loop
    would round the number to float16 first (fuzz seed 50318561: float16 -108.125 pi is -339.75 in
    torch, -339.5 so, and sinc's gradient there -8.79 against -9.60).  Values and gradients, bit for bit."""
    values = numpy.concatenate([numpy.random.default_rng(0).uniform(-5, 5, 400), [-108.125, 0.0, -0.0]])

    def action(lib):
        x = lib.tensor(values, dtype=lib.float16, requires_grad=True)
        out = eval(function, {"F": lib.nn.functional, "x": x})
        out.backward(lib.tensor(numpy.linspace(-1060.0, 3.0, out.numel()), dtype=lib.float16))
        return out.detach().numpy().tolist(), x.grad.numpy().tolist()
    assert_same(action)
