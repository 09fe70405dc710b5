"""New tensors in torch's layout: strides of dims of size 1 included, and ops whose torch kernel
writes a fresh contiguous result whatever the input's layout."""
import numpy
import pytest
import torch

import minigrad
from _op_parity import assert_same


def test_an_index_select_of_one_index_has_torchs_strides():
    """NumPy's ``take`` of one index leaves that dim the source's row length as its stride; torch's
    new tensor is row-major there too (``Function._dense``), which ``stride()`` shows and fused
    attention's choice of kernel reads (fuzz seed 8054690: a query [4, 3, 3, 1] went the composite way)."""
    x = numpy.random.default_rng(0).standard_normal((4, 3, 3, 2))
    for dim in range(4):
        strides = [lib.index_select(lib.tensor(x), dim, lib.tensor([0])).stride() for lib in (torch, minigrad)]
        assert strides[1] == strides[0]


def test_logsigmoid_of_a_transposed_input_is_contiguous_as_torchs():
    """torch's ``log_sigmoid_forward`` writes a new contiguous tensor (no TensorIterator layout): its
    reshape is a view (ViewBackward0), not a copy (fuzz seed 8065156)."""
    results = []
    for lib in (torch, minigrad):
        x = lib.tensor(numpy.arange(15.0).reshape(5, 3) - 7, requires_grad=True)
        out = lib.nn.functional.logsigmoid(x.t())
        results.append((out.stride(), out.reshape(3, -1).grad_fn.name()))
    assert results[1] == results[0]


UNARY_METHODS = ["exp", "expm1", "log", "log1p", "log2", "sqrt", "rsqrt", "square", "reciprocal", "tanh",
                 "sigmoid", "relu", "abs", "sign", "floor", "ceil", "trunc", "round", "frac", "sin", "cos",
                 "tan", "atan", "asin", "acos", "sinh", "cosh", "erf", "nan_to_num", "neg", "isnan", "isfinite",
                 "logical_not", "clone", "log10", "exp2", "logit", "erfc", "erfinv", "sgn", "signbit", "deg2rad",
                 "rad2deg", "sinc"]
WITH_NUMBERS = {
    "x * 2": lambda x: x * 2, "x * 2.5": lambda x: x * 2.5, "x / 3": lambda x: x / 3, "x + 1": lambda x: x + 1,
    "1 - x": lambda x: 1 - x, "x ** 2": lambda x: x ** 2, "x ** 1.5": lambda x: x ** 1.5, "2 ** x": lambda x: 2 ** x,
    "x % 2": lambda x: x % 2, "clamp": lambda x: x.clamp(0.2, 0.7), "lerp": lambda x: x.lerp(x * 1, 0.5),
    "x > 0.5": lambda x: x > 0.5, "pow": lambda x: x.pow(x), "double": lambda x: x.double(),
    "half": lambda x: x.half(),
}
EXPANDED_LAYOUTS = {     # a (3, 4) grid of values, viewed so
    "expanded, transposed": lambda x: x.t()[None].expand(2, 4, 3),
    "expanded in the middle": lambda x: x[:, None, :].expand(3, 2, 4),
    "expanded in front": lambda x: x[None].expand(2, 3, 4),
    "transposed": lambda x: x.t(),
}


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("layout", EXPANDED_LAYOUTS)
@pytest.mark.parametrize("op", UNARY_METHODS + list(WITH_NUMBERS))
def test_an_element_wise_ops_result_of_an_expanded_or_transposed_input_is_laid_out_as_torchs(op, layout, dtype):
    """TensorIterator's layout: an expanded dim (stride 0) keeps its place, where NumPy's order for a
    copy (``astype``) puts it innermost: float32 ``exp`` (computed in float64), ``erf``, ``nan_to_num``
    and a float16 ``x * number`` (in float32) of an expanded input had strides (1, 2, 8) for torch's
    (12, 1, 4) (found beside fuzz seed 9283274, whose attention took such a float32 copy); and torch's
    ``number ** x`` is C-contiguous whatever x's layout."""
    values = numpy.random.default_rng(0).uniform(0.1, 0.9, (3, 4))
    strides = []
    for lib in (torch, minigrad):
        x = EXPANDED_LAYOUTS[layout](lib.tensor(values).to(getattr(lib, dtype)))
        result = getattr(x, op)() if op in UNARY_METHODS else WITH_NUMBERS[op](x)
        strides.append(result.stride())
    assert strides[1] == strides[0]


CLONE_THEN_WRITE = {     # torch's out-of-place form: self.clone(preserve_format), then the in-place write
    "index_put": lambda lib, x: x.index_put((lib.tensor([0, 1]),), lib.tensor(1.0, dtype=lib.float64)),
    "index_put, accumulating": lambda lib, x: x.index_put((lib.tensor([0, 0]),), lib.tensor(1.0, dtype=lib.float64),
                                                         accumulate=True),
    "index_fill": lambda lib, x: x.index_fill(0, lib.tensor([0, 1]), 2.0),
    "put": lambda lib, x: x.put(lib.tensor([0, 5]), lib.tensor([1.0, 2.0], dtype=lib.float64)),
    "put, accumulating": lambda lib, x: x.put(lib.tensor([0, 5]), lib.tensor([1.0, 2.0], dtype=lib.float64),
                                              accumulate=True),
}
WRITTEN_LAYOUTS = {
    "permuted": lambda x: x.permute(2, 0, 1), "expanded": lambda x: x[0].expand(2, 3, 2),
    "transposed": lambda x: x[::2, :, 0].t(),
}


@pytest.mark.parametrize("layout", WRITTEN_LAYOUTS)
@pytest.mark.parametrize("op", CLONE_THEN_WRITE)
def test_an_out_of_place_index_write_keeps_the_inputs_layout_as_torchs(op, layout):
    """torch's index_put, index_fill and put clone their input format-preserving, then write: a permuted
    input's result is permuted (minigrad's was row-major), which decides, downstream, which of a
    backward kernel's loops meets a NaN (fuzz seed 30028521, index-write template: selu's gradient at a
    NaN of such a result, torch's scalar loop passing it, minigrad's vector loop NaN)."""
    def action(lib):
        result = CLONE_THEN_WRITE[op](lib, WRITTEN_LAYOUTS[layout](lib.tensor(numpy.arange(24.0).reshape(4, 3, 2))))
        return result.stride(), result
    assert_same(action)


def test_selu_of_an_index_put_result_lets_a_nans_gradient_through_as_torchs():
    """The fuzzer's program (seed 30028521), cut down: selu of a permuted index_put's result, a NaN in it."""
    def action(lib):
        x = lib.tensor(numpy.where(numpy.arange(80) == 76, numpy.nan, numpy.arange(80.0) - 40).reshape(4, 4, 5))
        values = lib.ones(4, 4, dtype=lib.float64, requires_grad=True)
        put = x.permute(2, 0, 1).index_put((lib.tensor([0, 0]),), values, accumulate=True)
        put.retain_grad()
        lib.nn.functional.selu(put).backward(lib.full((5, 4, 4), 0.5, dtype=lib.float64))
        return put.grad, values.grad
    assert_same(action)


def test_a_reductions_stretched_gradient_is_broadcast_tos_view():
    """``device.expanded``, the view a sum's or mean's backward stretches its gradient into, is NumPy's
    ``broadcast_to`` built without its Python checks: the same shape, strides (0 along every dim of
    size 1) and values, read-only, for C-ordered and other arrays, empty ones included."""
    from minigrad.core.device import expanded
    rng = numpy.random.default_rng(0)
    for _ in range(500):
        shape = tuple(int(size) for size in rng.integers(0, 3, rng.integers(0, 4)))
        target = tuple(int(size) for size in rng.integers(0, 4, rng.integers(0, 3))) + \
            tuple(int(rng.integers(0, 4)) if size == 1 else size for size in shape)
        array = numpy.arange(float(numpy.prod(shape))).reshape(shape)
        for source in (array, array.T):
            wanted = target if source is array else target[:len(target) - len(shape)] + source.shape
            ours, numpys = expanded(source, wanted), numpy.broadcast_to(source, wanted)
            assert (ours.shape, ours.strides) == (numpys.shape, numpys.strides)
            assert not ours.flags.writeable and numpy.array_equal(ours, numpys)


def test_a_mean_gradient_is_dense_and_a_sum_gradient_is_as_torchs():
    """Through the faster stretched view the reductions' gradients keep their values against torch."""
    x = numpy.random.default_rng(1).standard_normal((5, 4, 3))
    def action(lib):
        t = lib.tensor(x, requires_grad=True)
        (t.mean(dim=1, keepdim=False).exp().sum() + t.sum(dim=(0, 2)).tanh().sum() + t.mean()).backward()
        return t.grad
    assert_same(action)
