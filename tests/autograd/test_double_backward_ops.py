"""create_graph=True through the ops: second derivatives equal torch's (float64)."""
import numpy
import pytest

from _higher_order import assert_second_order_matches_torch

# name: (low, high) inside the function's domain
UNARY = {"exp": (-2, 2), "expm1": (-1, 1), "log": (0.2, 3), "log1p": (-0.5, 2), "log2": (0.2, 3),
         "sqrt": (0.2, 3), "rsqrt": (0.2, 3), "square": (-2, 2), "reciprocal": (0.3, 2),
         "tanh": (-2, 2), "sigmoid": (-3, 3), "relu": (-2, 2), "abs": (-2, 2), "sign": (-2, 2),
         "sin": (-3, 3), "cos": (-3, 3), "erf": (-2, 2), "floor": (-3, 3), "ceil": (-3, 3),
         "round": (-3, 3), "trunc": (-3, 3), "frac": (-3, 3), "tan": (-1, 1), "atan": (-2, 2),
         "asin": (-0.8, 0.8), "acos": (-0.8, 0.8), "sinh": (-2, 2), "cosh": (-2, 2), "nan_to_num": (-2, 2),
         "log10": (0.2, 3), "exp2": (-2, 2), "logit": (0.1, 0.9), "erfc": (-2, 2), "erfinv": (-0.9, 0.9),
         "sgn": (-2, 2), "deg2rad": (-90, 90), "rad2deg": (-2, 2), "sinc": (-2, 2)}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_second_derivative_matches_torch(name):
    low, high = UNARY[name]
    assert_second_order_matches_torch(lambda lib, x: getattr(lib, name)(x), [(3, 4)], low, high)


BINARY = {
    "add": lambda lib, a, b: a + b, "sub": lambda lib, a, b: a - b, "mul": lambda lib, a, b: a * b,
    "div": lambda lib, a, b: a / b, "pow": lambda lib, a, b: a ** b,
    "add_alpha": lambda lib, a, b: lib.add(a, b, alpha=0.5), "sub_alpha": lambda lib, a, b: lib.sub(a, b, alpha=2.0),
    "rsub_number": lambda lib, a, b: 2.0 - a * b, "rdiv_number": lambda lib, a, b: 3.0 / (a * b),
    "pow_number": lambda lib, a, b: (a * b) ** 3, "rpow_number": lambda lib, a, b: 2.0 ** (a * b),
    "neg": lambda lib, a, b: -(a * b),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4)], [(3, 1), (1, 4)], [(4,), (2, 3, 4)]], ids=str)
def test_arithmetic_second_derivative_matches_torch(name, shapes):
    assert_second_order_matches_torch(BINARY[name], shapes, 0.5, 2.0)


POINTWISE = {
    "clamp_numbers": (lambda lib, x, lo, hi: lib.clamp(x * lo * hi, -1.0, 1.5), [(3, 4), (3, 4), (3, 4)]),
    "clamp_tensors": (lambda lib, x, lo, hi: lib.clamp(x, lo - 1.0, hi + 0.5), [(3, 4), (1, 4), (3, 1)]),
    "clamp_min": (lambda lib, x, lo, hi: lib.clamp_min(x * hi, 1.2) * lo, [(3, 4), (3, 4), (3, 4)]),
    "clamp_min_tensor": (lambda lib, x, lo, hi: lib.clamp(x, min=lo), [(3, 4), (4,), (1,)]),
    "clamp_max_tensor": (lambda lib, x, lo, hi: lib.clamp(x, max=hi), [(3, 4), (1,), (4,)]),
    "maximum": (lambda lib, x, lo, hi: lib.maximum(x * hi, lo), [(3, 4), (4,), (3, 4)]),
    "minimum": (lambda lib, x, lo, hi: lib.minimum(x, lo) * hi, [(3, 4), (3, 1), (3, 4)]),
    "atan2": (lambda lib, x, lo, hi: lib.atan2(x * hi, lo), [(3, 4), (4,), (3, 4)]),
    "logaddexp": (lambda lib, x, lo, hi: lib.logaddexp(x * hi, lo), [(3, 4), (3, 1), (3, 4)]),
    "hypot": (lambda lib, x, lo, hi: lib.hypot(x * hi, lo), [(3, 4), (4,), (3, 4)]),
    "lerp": (lambda lib, x, lo, hi: lib.lerp(x, lo, hi), [(3, 4), (3, 4), (3, 4)]),
    "addcmul": (lambda lib, x, lo, hi: lib.addcmul(x, lo, hi, value=0.5), [(3, 4), (4,), (3, 1)]),
    "addcdiv": (lambda lib, x, lo, hi: lib.addcdiv(x, lo, hi + 3.0, value=2.0), [(3, 4), (4,), (3, 1)]),
    "xlogy": (lambda lib, x, lo, hi: lib.xlogy(x * hi, lo.abs() + 0.5), [(3, 4), (4,), (3, 4)]),
    "logaddexp2": (lambda lib, x, lo, hi: lib.logaddexp2(x * hi, lo), [(3, 4), (3, 1), (3, 4)]),
}


@pytest.mark.parametrize("name", sorted(POINTWISE))
def test_pointwise_second_derivative_matches_torch(name):
    fn, shapes = POINTWISE[name]
    assert_second_order_matches_torch(fn, shapes, -1.5, 2.0)


REDUCTIONS = {
    "sum": lambda lib, x: (x * x).sum(), "sum_dim": lambda lib, x: (x * x).sum(1),
    "sum_keepdim": lambda lib, x: (x * x).sum(0, keepdim=True), "mean": lambda lib, x: (x * x).mean(),
    "mean_dims": lambda lib, x: (x * x).mean((0, 2)), "cumsum": lambda lib, x: (x * x).cumsum(1),
    "var": lambda lib, x: (x * x).var(1), "std": lambda lib, x: (x * x).std(2, keepdim=True),
    "var_all": lambda lib, x: (x * x).var(), "max_all": lambda lib, x: (x * x).max(),
    "amax": lambda lib, x: (x * x).amax(1), "min_dim": lambda lib, x: (x * x).min(2)[0],
    "max_dim_keepdim": lambda lib, x: (x * x).max(1, keepdim=True)[0],
    "norm": lambda lib, x: (x * x).norm(), "norm_dim": lambda lib, x: x.norm(dim=1),
    "norm_1": lambda lib, x: x.norm(p=1, dim=0), "norm_3": lambda lib, x: x.norm(p=3),
    "norm_inf": lambda lib, x: x.norm(p=float("inf"), dim=2),
    "softmax": lambda lib, x: lib.softmax(x * x, 1), "log_softmax": lambda lib, x: lib.log_softmax(x * x, -1),
    "logsumexp": lambda lib, x: lib.logsumexp(x * x, 1),
    "nansum": lambda lib, x: (x * x).nansum(1), "nanmean": lambda lib, x: (x * x).nanmean((0, 2)),
    "cummax": lambda lib, x: (x * x).cummax(1)[0], "cummin": lambda lib, x: (x * x).cummin(2).values,
    "logcumsumexp": lambda lib, x: (x * x).logcumsumexp(1),
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_and_softmax_second_derivative_matches_torch(name):
    assert_second_order_matches_torch(REDUCTIONS[name], [(2, 3, 4)], -2.0, 2.0)


LINALG_AND_SHAPE = {
    "mm": (lambda lib, a, b: (a * a) @ b, [(3, 4), (4, 5)]),
    "mv": (lambda lib, a, b: (a * a) @ b[:, 0], [(3, 4), (4, 5)]),
    "vm": (lambda lib, a, b: (a[0] * a[0]) @ b, [(3, 4), (4, 5)]),
    "bmm_broadcast": (lambda lib, a, b: lib.matmul(a * a, b), [(2, 3, 4), (4, 5)]),
    "dot": (lambda lib, a, b: lib.dot(a[0] * a[0], b[:, 0]), [(3, 4), (4, 5)]),
    "outer": (lambda lib, a, b: lib.outer(a[0] * a[0], b[0]), [(3, 4), (4, 5)]),
    "reshape": (lambda lib, a, b: (a * a).reshape(2, 6) @ b.reshape(6, 2), [(3, 4), (2, 6)]),
    "transpose": (lambda lib, a, b: (a * a).t() @ b.transpose(0, 1), [(3, 4), (5, 3)]),
    "permute": (lambda lib, a, b: (a * b).permute(2, 0, 1) ** 2, [(2, 3, 4), (2, 3, 4)]),
    "expand": (lambda lib, a, b: (a * a).expand(2, 3, 4) * b, [(3, 1), (2, 3, 4)]),
    "squeeze_unsqueeze": (lambda lib, a, b: (a * a).unsqueeze(0).squeeze(0) * b, [(3, 4), (3, 4)]),
    "flatten": (lambda lib, a, b: (a * b).flatten() ** 2, [(2, 3, 4), (2, 3, 4)]),
    "repeat": (lambda lib, a, b: (a * a).repeat(2, 1, 3) * b, [(3, 4), (2, 3, 12)]),
    "flip": (lambda lib, a, b: (a * a).flip(0, 1) * b, [(3, 4), (3, 4)]),
    "roll": (lambda lib, a, b: (a * a).roll(1, 1) * b, [(3, 4), (3, 4)]),
}


@pytest.mark.parametrize("name", sorted(LINALG_AND_SHAPE))
def test_linalg_and_view_second_derivative_matches_torch(name):
    fn, shapes = LINALG_AND_SHAPE[name]
    assert_second_order_matches_torch(fn, shapes, -1.5, 1.5)


INDEXING = {
    "int": lambda lib, x: (x * x)[1],
    "slices": lambda lib, x: (x * x)[:, 1:3, ::2],
    "negative_step_free": lambda lib, x: (x * x)[..., 0],
    "int_array": lambda lib, x: (x * x)[lib.tensor([0, 1, 0])],
    "int_arrays_2d": lambda lib, x: (x * x)[lib.tensor([0, 1, 1]), :, lib.tensor([3, 0, 3])],
    "mask": lambda lib, x: (x * x)[x > 0.3],
    "mixed": lambda lib, x: (x * x)[1, lib.tensor([2, 0, 2])],
}


@pytest.mark.parametrize("name", sorted(INDEXING))
def test_indexing_second_derivative_matches_torch(name):
    assert_second_order_matches_torch(INDEXING[name], [(2, 3, 4)], -1.0, 1.0)


def _index(lib, values):
    return lib.tensor(values)


GATHER_AND_FRIENDS = {
    "gather": lambda lib, x, s: lib.gather(x * x, 1, _index(lib, [[0, 2, 2], [1, 0, 3]])),
    "scatter": lambda lib, x, s: lib.scatter(x * x, 1, _index(lib, [[0, 2], [1, 3]]), s[:, :2] * s[:, :2]),
    "scatter_add": lambda lib, x, s: lib.scatter_add(x * x, 1, _index(lib, [[0, 0], [1, 3]]), s[:, :2] ** 2),
    "index_select": lambda lib, x, s: lib.index_select(x * x, 1, _index(lib, [3, 0, 3])),
    "index_fill": lambda lib, x, s: (x * x).index_fill(1, _index(lib, [1, 2]), -1.0),
    "masked_fill": lambda lib, x, s: (x * x).masked_fill(s > 0, 2.0),
    "masked_select": lambda lib, x, s: lib.masked_select(x * s, x > 0),
    "where": lambda lib, x, s: lib.where(x > 0, x * x, s * x),
    "tril": lambda lib, x, s: lib.tril(x * s, -1), "triu": lambda lib, x, s: (x * x).triu(1),
    "cat": lambda lib, x, s: lib.cat([x * x, s * x], 1),
    "stack": lambda lib, x, s: lib.stack([x * x, s * x], 0),
    "split": lambda lib, x, s: [piece * piece for piece in (x * s).split([1, 3], 1)],
    "chunk": lambda lib, x, s: (x * s).chunk(2, 1)[1] ** 2,
    "unbind": lambda lib, x, s: [row * row for row in (x * s).unbind(0)],
    "to_float32_and_back": lambda lib, x, s: (x * s).float().double() * x,
    "clone": lambda lib, x, s: (x * s).clone() * x,
}


@pytest.mark.parametrize("name", sorted(GATHER_AND_FRIENDS))
def test_gather_scatter_join_second_derivative_matches_torch(name):
    assert_second_order_matches_torch(GATHER_AND_FRIENDS[name], [(2, 4), (2, 4)], -1.0, 1.0)


@pytest.mark.parametrize("name", ["lerp_number", "lerp", "addcmul", "addcdiv"])
def test_lerp_addcmul_addcdiv_are_one_node_each_with_torchs_second_derivative(name):
    functions = {
        "lerp_number": lambda lib, a, b, c: lib.lerp(a * c, b, 0.3),
        "lerp": lambda lib, a, b, c: lib.lerp(a, b * c, c),
        "addcmul": lambda lib, a, b, c: lib.addcmul(a * a, b, c, value=0.7),
        "addcdiv": lambda lib, a, b, c: lib.addcdiv(a, b * b, c + 3.0, value=-2.0),
    }
    assert_second_order_matches_torch(functions[name], [(3, 4), (4,), (3, 1)], 0.2, 1.5)


def _set_rows(lib, x, w):
    y = x * w
    y[1] = x[0] * x[0]            # index assignment: CopySlices
    return y


def _write_through_view(lib, x, w):
    y = x * w
    y[:, 1].mul_(x[:, 0])         # an in-place write through a view: the base's history is rebased
    return y


def _view_after_base_write(lib, x, w):
    y = x * w
    row = y[0]                    # a view taken before the write ...
    y.mul_(x)                     # ... sees it: its history is made again from the base's (AsStrided)
    return row * row


def _copy_into(lib, x, w):
    y = (x * w).clone()
    y[:, :2].copy_(x[:, 1:3] ** 2)
    return y


def _fill(lib, x, w):
    y = x * w
    y[0].fill_(2.0)
    return y * x


INPLACE_AND_MATRIX = {
    "set_rows": _set_rows, "write_through_view": _write_through_view,
    "view_after_base_write": _view_after_base_write, "copy_into": _copy_into, "fill": _fill,
    "addmm": lambda lib, x, w: lib.addmm(x[:, :3], x * w, (w * w).t()[:, :3], beta=0.5, alpha=2.0),
    "addmv": lambda lib, x, w: lib.addmv(x[:, 0], x * w, w[0] * w[0]),
    "trace": lambda lib, x, w: lib.trace(x * w * x),
}


@pytest.mark.parametrize("name", sorted(INPLACE_AND_MATRIX))
def test_in_place_writes_views_and_addmm_second_derivative_matches_torch(name):
    assert_second_order_matches_torch(INPLACE_AND_MATRIX[name], [(3, 4), (3, 4)], -1.5, 1.5)


SORTING = {
    "sort": lambda lib, x: lib.sort(x * x, 1).values,
    "sort_descending": lambda lib, x: lib.sort(x * x, 0, descending=True).values,
    "sort_stable": lambda lib, x: lib.sort(x * x, dim=-1, stable=True)[0],
    "msort": lambda lib, x: lib.msort(x * x),
    "topk": lambda lib, x: lib.topk(x * x, 2, 1).values,
    "topk_smallest": lambda lib, x: lib.topk(x * x, 3, 0, largest=False)[0],
    "kthvalue": lambda lib, x: lib.kthvalue(x * x, 2, 1).values,
    "kthvalue_keepdim": lambda lib, x: lib.kthvalue(x * x, 1, 0, keepdim=True)[0],
    "median_dim": lambda lib, x: lib.median(x * x, 1).values,
    "median_dim_keepdim": lambda lib, x: lib.median(x * x, 0, keepdim=True)[0],
    "median_all": lambda lib, x: lib.median(x * x),
    "sort_then_gather": lambda lib, x: lib.gather(x * x, 1, lib.sort(x, 1).indices) * x,
    "sort_1d": lambda lib, x: lib.sort((x * x).flatten(), descending=True).values * x.flatten(),
    "topk_1d": lambda lib, x: lib.topk(x.flatten() ** 3, 5).values,
    "kthvalue_0d": lambda lib, x: lib.kthvalue((x * x).sum(), 1, 0).values * x,
}


@pytest.mark.parametrize("name", sorted(SORTING))
def test_sorting_second_derivative_matches_torch(name):
    assert_second_order_matches_torch(SORTING[name], [(3, 4)], -2.0, 2.0)


def test_median_of_all_with_ties_shares_torchs_second_derivative():
    x = numpy.array([[1.0, -0.5, 2.0], [0.25, 0.25, 3.0]])    # (x * x) ties at 0.0625
    assert_second_order_matches_torch(lambda lib, x: lib.median(x * x) * x, None, arrays=[x])


@pytest.mark.parametrize("descending", [False, True])
def test_stable_sort_with_ties_sends_torchs_second_derivative_to_the_same_places(descending):
    x = numpy.array([[1.0, -1.0, 0.5, 1.0], [2.0, 0.5, -0.5, -2.0]])     # (x * x) ties
    assert_second_order_matches_torch(
        lambda lib, x: lib.sort(x * x, dim=1, descending=descending, stable=True).values * x, None, arrays=[x])


DIAG_AND_EINSUM = {
    "diag_vector": (lambda lib, v, m: lib.diag(v * v) * m[:3, :3], [(3,), (4, 5)]),
    "diag_vector_above": (lambda lib, v, m: lib.diag(v * v, 1) * m[:4, :4], [(3,), (4, 5)]),
    "diag_vector_below": (lambda lib, v, m: lib.diag(v * m[0, :3], -2) ** 2, [(3,), (4, 5)]),
    "diag_matrix": (lambda lib, v, m: lib.diag(m * m) * v[:1], [(3,), (4, 5)]),
    "diag_matrix_above": (lambda lib, v, m: lib.diag(m * m, 2) * v, [(3,), (4, 5)]),
    "diag_matrix_below": (lambda lib, v, m: lib.diag(m * m.sum(), -1) ** 2, [(3,), (4, 5)]),
    "einsum_matmul": (lambda lib, a, b: lib.einsum("ij,jk->ik", a * a, b), [(3, 4), (4, 2)]),
    "einsum_three": (lambda lib, a, b: lib.einsum("ij,jk,ik->i", a, b, a * a), [(3, 4), (4, 4)]),
    "einsum_batched": (lambda lib, a, b: lib.einsum("bij,bjk->bki", a * b.sum(), b), [(2, 3, 4), (2, 4, 4)]),
    "einsum_trace": (lambda lib, a, b: lib.einsum("ii->", a * a) * b, [(4, 4), (2,)]),
    "einsum_diagonal": (lambda lib, a, b: lib.einsum("ii,i->i", a * a, b), [(4, 4), (4,)]),
    "einsum_repeated_kept": (lambda lib, a, b: lib.einsum("iij->ij", a * a) * b, [(3, 3, 2), (3, 2)]),
    "einsum_summed_alone": (lambda lib, a, b: lib.einsum("ij,k->k", a * a, b), [(3, 4), (2,)]),
    "einsum_outer": (lambda lib, a, b: lib.einsum("i,j->ij", a * a, b), [(3,), (4,)]),
    "einsum_ellipsis": (lambda lib, a, b: lib.einsum("...j,jk->...k", a, b * b), [(2, 3, 4), (4, 2)]),
    "einsum_broadcast_one": (lambda lib, a, b: lib.einsum("ij,ij->i", a * a, b), [(3, 4), (1, 4)]),
    "einsum_scalar": (lambda lib, a, b: lib.einsum("i,i->", a, b) ** 2, [(4,), (4,)]),
}


@pytest.mark.parametrize("name", sorted(DIAG_AND_EINSUM))
def test_diag_and_einsum_second_derivative_matches_torch(name):
    fn, shapes = DIAG_AND_EINSUM[name]
    assert_second_order_matches_torch(fn, shapes, -1.5, 1.5)


ONE_ZERO = numpy.array([[0.5, -1.5, 2.0, 0.75], [1.25, 0.0, -0.5, 1.5], [2.0, 1.0, -1.0, 0.5]])
TWO_ZEROS_IN_A_ROW = numpy.array([[0.5, -1.5, 2.0, 0.75], [0.0, 1.25, 0.0, 1.5], [2.0, 1.0, -1.0, 0.5]])
THREE_ZEROS = numpy.array([[0.0, -1.5, 2.0, 0.75], [0.0, 1.25, 0.0, 1.5], [2.0, 1.0, -1.0, 0.5]])
PRODUCTS = {
    "prod": lambda lib, x: x.prod(), "prod_dim": lambda lib, x: x.prod(1),
    "prod_dim0_keepdim": lambda lib, x: x.prod(0, keepdim=True),
    "prod_negative_dim": lambda lib, x: lib.prod(x * x, -1) * x[:, 0],
    "cumprod": lambda lib, x: x.cumprod(1), "cumprod_dim0": lambda lib, x: lib.cumprod(x, 0) * x,
    "cumprod_dtype": lambda lib, x: lib.cumprod(x, 1, dtype=lib.float64) * x,
}


@pytest.mark.parametrize("values", ["random", "one_zero", "two_zeros_in_a_row", "three_zeros"])
@pytest.mark.parametrize("name", sorted(PRODUCTS))
def test_prod_and_cumprod_second_derivative_matches_torch_also_at_zeros(name, values):
    arrays = {"random": None, "one_zero": [ONE_ZERO], "two_zeros_in_a_row": [TWO_ZEROS_IN_A_ROW],
              "three_zeros": [THREE_ZEROS]}[values]
    assert_second_order_matches_torch(PRODUCTS[name], [(3, 4)], 0.5, 1.5, arrays=arrays)


@pytest.mark.parametrize("dim", [None, 0])
def test_prod_and_cumprod_of_one_element_and_of_0d_match_torch_twice(dim):
    prod = (lambda lib, x: x.prod()) if dim is None else (lambda lib, x: x.prod(dim))
    assert_second_order_matches_torch(lambda lib, x, s: prod(lib, x * s) + lib.cumprod(s, 0), [(1,), ()])


REPEAT_INTERLEAVE = {
    "int": lambda lib, x, w: lib.repeat_interleave(x * x, 2) * w.flatten(),
    "int_dim0": lambda lib, x, w: (x * x).repeat_interleave(2, dim=0) * w.reshape(6, 4),
    "int_dim_last": lambda lib, x, w: lib.repeat_interleave(x * x, 2, dim=-1) * w.reshape(3, 8),
    "tensor": lambda lib, x, w: lib.repeat_interleave(x * x, lib.tensor([2, 0, 1, 3]), dim=1) ** 2,
    "tensor_dim0": lambda lib, x, w: lib.repeat_interleave(x, lib.tensor([1, 3, 2]), dim=0) * x.sum(),
    "tensor_one_count": lambda lib, x, w: lib.repeat_interleave(x * x, lib.tensor([2]), dim=0) * w.reshape(6, 4),
}


@pytest.mark.parametrize("name", sorted(REPEAT_INTERLEAVE))
def test_repeat_interleave_second_derivative_matches_torch(name):
    assert_second_order_matches_torch(REPEAT_INTERLEAVE[name], [(3, 4), (24,)], -1.5, 1.5)


CONSTANT_ZERO_GRADIENTS = {
    "div_floor": (lambda lib, a, b: lib.div(a * b, b, rounding_mode="floor") + a * a, [(3, 4), (4,)]),
    "div_trunc": (lambda lib, a, b: lib.div(a, b * b, rounding_mode="trunc") * b, [(3, 4), (3, 4)]),
    "div_trunc_alone": (lambda lib, a, b: lib.div(a, b, rounding_mode="trunc"), [(3, 4), (1, 4)]),
    "normal": (lambda lib, a, b: lib.normal(a * a, b.abs()) + a * b, [(3, 4), (3, 4)]),
    "normal_alone": (lambda lib, a, b: lib.normal(a, b.abs()), [(3, 4), (4,)]),
    "normal_mean": (lambda lib, a, b: lib.normal(a * b, 1.0) + b * b, [(3, 4), (3, 4)]),
    "normal_std": (lambda lib, a, b: lib.normal(0.5, b.abs() + a.abs()) + a * b, [(3, 4), (3, 4)]),
}


@pytest.mark.parametrize("name", sorted(CONSTANT_ZERO_GRADIENTS))
def test_rounding_div_and_normal_give_torchs_constant_zero_gradients_twice(name):
    """torch's gradients of div(rounding_mode=...) and normal are zeros, with no graph of their own."""
    fn, shapes = CONSTANT_ZERO_GRADIENTS[name]
    assert_second_order_matches_torch(fn, shapes, 0.5, 2.0)


@pytest.mark.parametrize("name", ["rounding_div", "normal"])
def test_zero_gradients_recorded_with_create_graph_do_not_require_grad_as_torchs(name):
    import minigrad
    import torch
    results = []
    for lib in (minigrad, torch):
        a = lib.tensor([1.5, -2.5], dtype=lib.float64, requires_grad=True)
        out = lib.div(a, 0.7, rounding_mode="floor") if name == "rounding_div" else lib.normal(a, 1.0)
        (grad,) = lib.autograd.grad(out.sum(), a, create_graph=True)
        results.append((grad.tolist(), grad.requires_grad, grad.dtype == lib.float64))
    assert results[0] == results[1]


def _error_of(call):
    try:
        call()
    except Exception as error:   # noqa: BLE001  (the error itself is compared)
        return type(error).__name__, str(error)
    return None


NOT_DIFFERENTIABLE = {
    "floor_divide": lambda lib, a: a // 0.7,
    "floor_divide_function": lambda lib, a: lib.floor_divide(a * a, lib.tensor([0.5, 2.0, 3.0], dtype=lib.float64)),
    "unique": lambda lib, a: lib.unique(a * a),
    "unique_inverse": lambda lib, a: lib.unique(a, return_inverse=True)[0],
}


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("name", sorted(NOT_DIFFERENTIABLE))
def test_ops_torch_cannot_differentiate_raise_torchs_error_also_with_create_graph(name, create_graph):
    import minigrad
    import torch
    errors = []
    for lib in (minigrad, torch):
        a = lib.tensor([1.5, -2.5, 1.5], dtype=lib.float64, requires_grad=True)
        out = NOT_DIFFERENTIABLE[name](lib, a)
        errors.append(_error_of(lambda: lib.autograd.grad(out.sum(), a, create_graph=create_graph)))
    assert errors[0] is not None
    assert errors[0] == errors[1]
