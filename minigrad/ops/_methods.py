"""Where ``Tensor`` gets its methods: ``x.exp()`` is ``minigrad.ops.unary.exp(x)``.

torch offers most ops both as functions and as tensor methods; here each op is
written once, as a function in its family's file under ``minigrad/ops/``, and
this module, the one place that adds methods to ``Tensor``, binds it under
torch's method names.  The table holds the functions themselves, not their
names, so a misspelt op fails the import instead of silently dropping a method,
and "find usages" on ``arithmetic.mul`` lands here.

``Tensor`` lives on the floor below (``core/tensor.py``) and knows no op; the
methods that need ops or the engine (``to``, ``clone``, ``new_*``, ``backward``)
are bound here too.
"""
from __future__ import annotations

import dis
import sys

from ..core.engine import tensor_backward
from ..core.tensor import Tensor
from .tensor_namespace import TensorNamespace
from . import (arithmetic, comparison, conversion, factories, gamma_functions, index_write, indexing, inverses, join, linalg, pointwise, reduction, sampling, set_ops, shape, softmax, sorting, unary, views)

METHODS = {
    # arithmetic.py
    "__add__": arithmetic.add, "__radd__": arithmetic.radd, "__sub__": arithmetic.sub,
    "__rsub__": arithmetic.rsub, "__mul__": arithmetic.mul, "__rmul__": arithmetic.rmul,
    "__truediv__": arithmetic.div, "__rtruediv__": arithmetic.rdiv,
    "__floordiv__": arithmetic.floor_divide, "__rfloordiv__": arithmetic.rfloor_divide,
    "__mod__": arithmetic.remainder, "__rmod__": arithmetic.rremainder, "__pow__": arithmetic.pow,
    "__rpow__": arithmetic.rpow, "__neg__": arithmetic.neg, "__pos__": arithmetic.positive,
    "add": arithmetic.add, "sub": arithmetic.sub, "subtract": arithmetic.sub, "mul": arithmetic.mul,
    "multiply": arithmetic.mul, "div": arithmetic.div, "divide": arithmetic.div,
    "true_divide": arithmetic.div, "floor_divide": arithmetic.floor_divide,
    "remainder": arithmetic.remainder, "fmod": arithmetic.fmod, "pow": arithmetic.pow,
    "neg": arithmetic.neg, "negative": arithmetic.neg, "__iadd__": arithmetic.add_,
    "__isub__": arithmetic.sub_, "__imul__": arithmetic.mul_, "__itruediv__": arithmetic.div_,
    "__ipow__": arithmetic.pow_, "add_": arithmetic.add_, "sub_": arithmetic.sub_,
    "mul_": arithmetic.mul_, "div_": arithmetic.div_, "pow_": arithmetic.pow_, "neg_": arithmetic.neg_,
    "__ifloordiv__": arithmetic.floor_divide_, "__imod__": arithmetic.remainder_,
    "floor_divide_": arithmetic.floor_divide_, "remainder_": arithmetic.remainder_,
    "fmod_": arithmetic.fmod_, "copy_": arithmetic.copy_, "zero_": arithmetic.zero_, "fill_": arithmetic.fill_,
    "uniform_": arithmetic.uniform_, "normal_": arithmetic.normal_,
    # unary.py
    "exp": unary.exp, "log": unary.log, "log1p": unary.log1p, "log2": unary.log2, "expm1": unary.expm1,
    "sqrt": unary.sqrt, "rsqrt": unary.rsqrt, "square": unary.square, "reciprocal": unary.reciprocal,
    "tanh": unary.tanh, "sigmoid": unary.sigmoid, "relu": unary.relu, "abs": unary.abs,
    "__abs__": unary.abs, "sign": unary.sign, "sin": unary.sin, "cos": unary.cos, "erf": unary.erf,
    "floor": unary.floor, "ceil": unary.ceil, "round": unary.round, "exp_": unary.exp_,
    "tanh_": unary.tanh_, "sigmoid_": unary.sigmoid_, "relu_": unary.relu_, "tan": unary.tan,
    "atan": unary.atan, "asin": unary.asin, "acos": unary.acos, "sinh": unary.sinh, "cosh": unary.cosh,
    "arctan": unary.atan, "arcsin": unary.asin, "arccos": unary.acos, "trunc": unary.trunc,
    "fix": unary.trunc, "frac": unary.frac, "nan_to_num": unary.nan_to_num, "sqrt_": unary.sqrt_,
    "abs_": unary.abs_, "absolute_": unary.abs_, "log_": unary.log_, "trunc_": unary.trunc_,
    "fix_": unary.trunc_, "frac_": unary.frac_, "nan_to_num_": unary.nan_to_num_,
    "floor_": unary.floor_, "ceil_": unary.ceil_, "round_": unary.round_, "sign_": unary.sign_,
    "reciprocal_": unary.reciprocal_, "sin_": unary.sin_, "cos_": unary.cos_,
    "log10": unary.log10, "exp2": unary.exp2, "logit": unary.logit, "erfc": unary.erfc,
    "erfinv": unary.erfinv, "sgn": unary.sgn, "signbit": unary.signbit, "deg2rad": unary.deg2rad,
    "rad2deg": unary.rad2deg, "sinc": unary.sinc, "log10_": unary.log10_, "exp2_": unary.exp2_,
    "logit_": unary.logit_, "erfc_": unary.erfc_, "erfinv_": unary.erfinv_, "sgn_": unary.sgn_,
    "deg2rad_": unary.deg2rad_, "rad2deg_": unary.rad2deg_, "sinc_": unary.sinc_,
    "asinh": unary.asinh, "acosh": unary.acosh, "atanh": unary.atanh, "arcsinh": unary.asinh,
    "arccosh": unary.acosh, "arctanh": unary.atanh, "asinh_": unary.asinh_, "acosh_": unary.acosh_,
    "atanh_": unary.atanh_, "arcsinh_": unary.asinh_, "arccosh_": unary.acosh_, "arctanh_": unary.atanh_,
    "asin_": unary.asin_, "acos_": unary.acos_, "atan_": unary.atan_, "arcsin_": unary.asin_,
    "arccos_": unary.acos_, "arctan_": unary.atan_, "sinh_": unary.sinh_, "cosh_": unary.cosh_,
    "tan_": unary.tan_, "erf_": unary.erf_, "expm1_": unary.expm1_, "log1p_": unary.log1p_,
    "log2_": unary.log2_, "rsqrt_": unary.rsqrt_, "square_": unary.square_, "absolute": unary.abs,
    # the in-place forms torch gives under other names, and of ops whose out-of-place form is elsewhere
    "divide_": arithmetic.div_, "true_divide_": arithmetic.div_, "multiply_": arithmetic.mul_,
    "subtract_": arithmetic.sub_, "negative_": arithmetic.neg_, "positive": arithmetic.positive,
    "atan2_": pointwise.atan2_, "arctan2_": pointwise.atan2_, "hypot_": pointwise.hypot_,
    "cumsum_": reduction.cumsum_, "cumprod_": reduction.cumprod_, "tril_": indexing.tril_,
    "triu_": indexing.triu_, "ger": linalg.ger,
    # pointwise.py
    "clamp": pointwise.clamp, "clip": pointwise.clamp, "clamp_min": pointwise.clamp_min,
    "clamp_max": pointwise.clamp_max, "maximum": pointwise.maximum, "minimum": pointwise.minimum,
    "clamp_": pointwise.clamp_, "clip_": pointwise.clamp_, "clamp_min_": pointwise.clamp_min_,
    "clamp_max_": pointwise.clamp_max_, "atan2": pointwise.atan2,
    "arctan2": pointwise.atan2, "logaddexp": pointwise.logaddexp, "hypot": pointwise.hypot,
    "lerp": pointwise.lerp, "addcmul": pointwise.addcmul, "addcdiv": pointwise.addcdiv,
    "lerp_": pointwise.lerp_, "addcmul_": pointwise.addcmul_, "addcdiv_": pointwise.addcdiv_,
    "fmax": pointwise.fmax_method, "fmin": pointwise.fmin_method, "copysign": pointwise.copysign_method,
    "nextafter": pointwise.nextafter_method, "float_power": pointwise.float_power_method,
    "copysign_": pointwise.copysign_, "nextafter_": pointwise.nextafter_, "float_power_": pointwise.float_power_,
    "xlogy": pointwise.xlogy_method, "xlogy_": pointwise.xlogy_, "logaddexp2": pointwise.logaddexp2_method,
    "heaviside": pointwise.heaviside_method, "heaviside_": pointwise.heaviside_,
    # softmax.py
    "softmax": softmax.softmax, "log_softmax": softmax.log_softmax, "logsumexp": softmax.logsumexp,
    # reduction.py
    "sum": reduction.sum, "mean": reduction.mean, "var": reduction.var, "std": reduction.std,
    "prod": reduction.prod, "max": reduction.max, "min": reduction.min, "amax": reduction.amax,
    "amin": reduction.amin, "aminmax": reduction.aminmax, "argmax": reduction.argmax, "argmin": reduction.argmin,
    "norm": reduction.norm, "cumsum": reduction.cumsum, "cumprod": reduction.cumprod,
    "count_nonzero": reduction.count_nonzero, "diff": reduction.diff, "nansum": reduction.nansum,
    "nanmean": reduction.nanmean, "cummax": reduction.cummax, "cummin": reduction.cummin,
    "logcumsumexp": reduction.logcumsumexp,
    # linalg.py
    "matmul": linalg.matmul, "__matmul__": linalg.matmul, "__rmatmul__": linalg.rmatmul,
    "mm": linalg.mm, "bmm": linalg.bmm, "outer": linalg.outer, "dot": linalg.dot, "mv": linalg.mv,
    "addmm": linalg.addmm, "baddbmm": linalg.baddbmm, "addmv": linalg.addmv, "diag": linalg.diag,
    "trace": linalg.trace, "cross": linalg.cross,
    # gamma_functions.py
    "lgamma": gamma_functions.lgamma, "digamma": gamma_functions.digamma, "polygamma": gamma_functions.polygamma_method,
    # inverses.py
    "inverse": inverses.inverse, "det": inverses.det, "slogdet": inverses.slogdet, "logdet": inverses.logdet,
    # shape.py
    "view": shape.view, "view_as": shape.view_as, "reshape": shape.reshape,
    "reshape_as": shape.reshape_as, "flatten": shape.flatten, "unflatten": shape.unflatten,
    "squeeze": shape.squeeze, "unsqueeze": shape.unsqueeze, "transpose": shape.transpose,
    "swapaxes": shape.transpose, "permute": shape.permute, "t": shape.t, "expand": shape.expand,
    "expand_as": shape.expand_as, "repeat": shape.repeat, "contiguous": shape.contiguous,
    "flip": shape.flip, "diagonal": shape.diagonal, "unfold": shape.unfold, "fliplr": shape.fliplr, "flipud": shape.flipud, "rot90": shape.rot90, "tile": shape.tile, "movedim": shape.movedim, "moveaxis": shape.movedim,
    "swapdims": shape.transpose, "ravel": shape.ravel, "broadcast_to": shape.broadcast_to,
    "roll": shape.roll, "repeat_interleave": shape.repeat_interleave, "unsqueeze_": shape.unsqueeze_,
    "squeeze_": shape.squeeze_, "t_": shape.t_, "transpose_": shape.transpose_,
    # indexing.py
    "__getitem__": indexing.getitem, "__setitem__": indexing.setitem, "gather": indexing.gather,
    "take": indexing.take, "take_along_dim": indexing.take_along_dim,
    "scatter": indexing.scatter, "scatter_add": indexing.scatter_add,
    "index_select": indexing.index_select, "masked_fill": indexing.masked_fill,
    "masked_fill_": indexing.masked_fill_, "where": indexing.where_method, "narrow": indexing.narrow,
    "tril": indexing.tril, "triu": indexing.triu, "masked_select": indexing.masked_select,
    "scatter_": indexing.scatter_, "index_fill_": indexing.index_fill_,
    "index_fill": indexing.index_fill, "scatter_add_": indexing.scatter_add_,
    "nonzero": indexing.nonzero, "select": indexing.select,
    # index_write.py
    "index_add": index_write.index_add, "index_add_": index_write.index_add_,
    "index_copy": index_write.index_copy, "index_copy_": index_write.index_copy_,
    "index_put": index_write.index_put, "index_put_": index_write.index_put_,
    "masked_scatter": index_write.masked_scatter, "masked_scatter_": index_write.masked_scatter_,
    "put": index_write.put, "put_": index_write.put_,
    # join.py
    "split": join.split, "chunk": join.chunk, "unbind": join.unbind, "tensor_split": join.tensor_split_method,
    "hsplit": join.hsplit, "vsplit": join.vsplit, "dsplit": join.dsplit,
    # comparison.py
    "__eq__": comparison.eq, "__ne__": comparison.ne, "__lt__": comparison.lt, "__le__": comparison.le,
    "__gt__": comparison.gt, "__ge__": comparison.ge, "eq": comparison.eq, "ne": comparison.ne,
    "lt": comparison.lt, "le": comparison.le, "gt": comparison.gt, "ge": comparison.ge,
    "greater": comparison.gt, "greater_equal": comparison.ge, "less": comparison.lt,
    "less_equal": comparison.le, "not_equal": comparison.ne, "equal": comparison.equal,
    "allclose": comparison.allclose, "isclose": comparison.isclose, "isnan": comparison.isnan,
    "isinf": comparison.isinf, "isfinite": comparison.isfinite, "any": comparison.any,
    "all": comparison.all, "logical_not": comparison.logical_not, "logical_and": comparison.logical_and,
    "logical_or": comparison.logical_or, "__invert__": comparison.invert,
    "__and__": comparison.bitwise_and, "__or__": comparison.bitwise_or,
    "__xor__": comparison.bitwise_xor, "__rand__": comparison.bitwise_and,
    "__ror__": comparison.bitwise_or, "__rxor__": comparison.bitwise_xor,
    "logical_xor": comparison.logical_xor, "bitwise_not": comparison.bitwise_not,
    "bitwise_and": comparison.bitwise_and, "bitwise_or": comparison.bitwise_or,
    "bitwise_xor": comparison.bitwise_xor, "bitwise_and_": comparison.bitwise_and_,
    "bitwise_or_": comparison.bitwise_or_, "bitwise_xor_": comparison.bitwise_xor_,
    "__iand__": comparison.bitwise_and_, "__ior__": comparison.bitwise_or_,
    "__ixor__": comparison.bitwise_xor_, "isposinf": comparison.isposinf, "isneginf": comparison.isneginf,
    "eq_": comparison.eq_, "ne_": comparison.ne_, "lt_": comparison.lt_, "le_": comparison.le_,
    "gt_": comparison.gt_, "ge_": comparison.ge_, "greater_": comparison.greater_,
    "greater_equal_": comparison.greater_equal_, "less_": comparison.less_, "less_equal_": comparison.less_equal_,
    "not_equal_": comparison.not_equal_, "logical_and_": comparison.logical_and_,
    "logical_or_": comparison.logical_or_, "logical_xor_": comparison.logical_xor_,
    "logical_not_": comparison.logical_not_, "bitwise_not_": comparison.bitwise_not_,
    # sorting.py
    "sort": sorting.sort, "argsort": sorting.argsort, "msort": sorting.msort, "topk": sorting.topk,
    "kthvalue": sorting.kthvalue, "median": sorting.median,
    # set_ops.py
    "unique": set_ops.unique, "bincount": set_ops.bincount,
    # sampling.py
    "multinomial": sampling.multinomial, "bernoulli": sampling.bernoulli,
    "bernoulli_": sampling.bernoulli_,
    # conversion.py, factories.py, and the engine
    "to": conversion.to, "clone": conversion.clone, "backward": tensor_backward,
    "new_tensor": factories.new_tensor, "new_zeros": factories.new_zeros, "new_ones": factories.new_ones,
    "new_full": factories.new_full, "new_empty": factories.new_empty,
}

PROPERTIES = {"T": shape.T, "mT": shape.mT}

# torch's ops that check their arguments before its autograd kernel asks for an input's history: the
# ops it composes of others (CompositeImplicitAutograd), those that record no gradient, and indexing
CHECK_ARGUMENTS_FIRST = {
    "__getitem__", "__setitem__", "__matmul__", "__rmatmul__", "matmul", "all", "any", "argmax", "argmin",
    "count_nonzero", "chunk", "cross", "diag", "diff", "flatten", "moveaxis", "movedim", "multinomial",
    "outer", "repeat_interleave", "to", "unflatten", "unique", "backward",
    "reshape",      # (torch's reshape infers the shape before it views or copies)
    # comparisons and logical ops record no gradient (fuzz seed 2124543: ``view <= mask`` of the wrong
    # shape is torch's broadcast error, not the stale view's)
    "lt", "le", "gt", "ge", "eq", "ne", "__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__",
    "less", "less_equal", "greater", "greater_equal", "not_equal", "logical_and", "logical_or",
    "logical_xor"}


def _is_inplace(method_name):
    return method_name.startswith("__i") or (method_name.endswith("_") and not method_name.startswith("__"))


def _as_stale_views_reflected(reflected, forward):
    """A stale view's ``__radd__`` and kin.  The stale view is a subclass of Tensor, so Python asks its
    reflected method before the left operand's own: ``y + view`` calls ``view.__radd__(y)``.  For a
    Tensor ``y`` that is ``y + view``, and is run as such, so that a broadcast error names the operands
    in torch's order (fuzz seed 3049796)."""
    def run(view, other):
        return forward(other, view) if isinstance(other, Tensor) else reflected(view, other)
    run.__name__, run.__doc__ = reflected.__name__, reflected.__doc__
    return run


# a comparison and the one CPython asks of the right operand in its place (``x <= y``: ``y.__ge__(x)``)
_REFLECTED_COMPARISONS = {"__eq__": "__eq__", "__ne__": "__ne__", "__lt__": "__gt__", "__le__": "__ge__",
                          "__gt__": "__lt__", "__ge__": "__le__"}


def _as_stale_views_comparison(method_name):
    """A stale view's ``__eq__`` and kin.  For a comparison CPython asks the right operand first whenever
    its class is a subclass of the left's, overridden or not, and under the reflected name: ``x <= view``
    calls ``view.__ge__(x)``, the same call as ``view >= x``, so a broadcast error would name the operands
    the other way round (fuzz seeds 2431278, 4082431).  Only the caller's code tells the two apart: where
    the comparison fails, the operand it loaded last (``_loaded_last``) is the right one, and if that is
    the view the comparison is run again as written, to raise torch's error."""
    method = METHODS[method_name]
    reflected = METHODS[_REFLECTED_COMPARISONS[method_name]]

    def compare(view, other):
        try:
            return method(view, other)
        except RuntimeError:
            if isinstance(other, Tensor) and _loaded_last(sys._getframe(1)) is view:
                return reflected(other, view)      # raises, naming other as tensor a
            raise
    compare.__name__, compare.__doc__ = method.__name__, method.__doc__
    return compare


def _loaded_last(frame):
    """The value the instruction before ``frame``'s current one loaded by name (a local, global or
    closure variable), or None where it loaded none that way (an expression's result)."""
    instructions = list(dis.get_instructions(frame.f_code))
    at = next((index for index, instruction in enumerate(instructions) if instruction.offset == frame.f_lasti), 0)
    loaded = instructions[at - 1] if at else None
    if loaded is None or loaded.opname not in ("LOAD_NAME", "LOAD_FAST", "LOAD_GLOBAL", "LOAD_DEREF"):
        return None
    for scope in (frame.f_locals, frame.f_globals, frame.f_builtins):
        if loaded.argval in scope:
            return scope[loaded.argval]
    return None


def bind_methods(tensor_class=Tensor):
    """Attach every function above to ``tensor_class`` under its method name, and the namespace
    that ``array_module(tensor)`` answers (numpy's spelling of the differentiable ops, so an op's
    backward formula given Tensors records a graph: create_graph=True)."""
    tensor_class.array_namespace = TensorNamespace()
    for method_name, function in METHODS.items():
        setattr(tensor_class, method_name, function)
    for property_name, function in PROPERTIES.items():
        setattr(tensor_class, property_name, property(function))
    # a stale view (views.refresh_views) refuses as torch's does when its base was written in place
    for method_name, function in METHODS.items():
        if method_name in CHECK_ARGUMENTS_FIRST or _is_inplace(method_name):
            continue
        forward_name = "__" + method_name[3:]       # __radd__ -> __add__
        if method_name.startswith("__r") and forward_name in METHODS:
            function = _as_stale_views_reflected(function, METHODS[forward_name])
        setattr(views._StaleView, method_name, views.history_checked_first(function))
    for method_name in _REFLECTED_COMPARISONS:
        setattr(views._StaleView, method_name, _as_stale_views_comparison(method_name))
    views._StaleView.__hash__ = tensor_class.__hash__


def stale_views_checked_first(namespace):
    """``minigrad.<op>`` for each op also bound as a method above: where it refuses its arguments and
    one of them is a stale view that may not be made anew, the view's error, as the method's
    (``views.history_checked_first``)."""
    for name, function in METHODS.items():
        if namespace.get(name) is function and name not in CHECK_ARGUMENTS_FIRST and not _is_inplace(name):
            namespace[name] = views.history_checked_first(function)
    for name in ("cat", "concat", "concatenate"):     # (stack checks the sizes before it views its inputs)
        namespace[name] = views.history_checked_first(namespace[name])


bind_methods()
