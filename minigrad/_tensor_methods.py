"""The table that makes ``x.exp()`` call ``minigrad.ops.unary.exp(x)``.

torch offers most ops both as functions and as tensor methods; here each op is
written once, as a function in its family's file under ``minigrad/ops/``, and
this table binds it to ``Tensor`` under torch's method names.
"""
from __future__ import annotations

from .ops import (arithmetic, comparison, indexing, join, linalg, reduction, sampling, set_ops, shape,
                  softmax, sorting, unary)

METHODS = {
    arithmetic: {
        "__add__": "add", "__radd__": "radd", "__sub__": "sub", "__rsub__": "rsub",
        "__mul__": "mul", "__rmul__": "rmul", "__truediv__": "div", "__rtruediv__": "rdiv",
        "__floordiv__": "floor_divide", "__rfloordiv__": "rfloor_divide",
        "__mod__": "remainder", "__rmod__": "rremainder", "__pow__": "pow", "__rpow__": "rpow",
        "__neg__": "neg", "__pos__": "positive",
        "add": "add", "sub": "sub", "subtract": "sub", "mul": "mul", "multiply": "mul",
        "div": "div", "divide": "div", "true_divide": "div", "floor_divide": "floor_divide",
        "remainder": "remainder", "fmod": "fmod", "pow": "pow", "neg": "neg", "negative": "neg",
        "__iadd__": "add_", "__isub__": "sub_", "__imul__": "mul_", "__itruediv__": "div_",
        "__ipow__": "pow_",
        "add_": "add_", "sub_": "sub_", "mul_": "mul_", "div_": "div_", "pow_": "pow_",
        "neg_": "neg_", "copy_": "copy_", "zero_": "zero_", "fill_": "fill_",
        "uniform_": "uniform_", "normal_": "normal_",
    },
    unary: {
        "exp": "exp", "log": "log", "log1p": "log1p", "log2": "log2", "expm1": "expm1",
        "sqrt": "sqrt", "rsqrt": "rsqrt", "square": "square", "reciprocal": "reciprocal",
        "tanh": "tanh", "sigmoid": "sigmoid", "relu": "relu", "abs": "abs", "__abs__": "abs",
        "sign": "sign", "sin": "sin", "cos": "cos", "erf": "erf",
        "floor": "floor", "ceil": "ceil", "round": "round",
        "clamp": "clamp", "clip": "clamp", "clamp_min": "clamp_min", "clamp_max": "clamp_max",
        "maximum": "maximum", "minimum": "minimum",
        "exp_": "exp_", "tanh_": "tanh_", "sigmoid_": "sigmoid_", "relu_": "relu_",
        "clamp_": "clamp_", "clip_": "clamp_",
        "tan": "tan", "atan": "atan", "asin": "asin", "acos": "acos", "sinh": "sinh", "cosh": "cosh",
        "arctan": "atan", "arcsin": "asin", "arccos": "acos", "trunc": "trunc", "fix": "trunc",
        "frac": "frac", "atan2": "atan2", "arctan2": "atan2", "logaddexp": "logaddexp",
        "hypot": "hypot", "lerp": "lerp", "addcmul": "addcmul", "addcdiv": "addcdiv",
        "nan_to_num": "nan_to_num", "sqrt_": "sqrt_", "abs_": "abs_", "absolute_": "abs_",
        "log_": "log_", "trunc_": "trunc_", "fix_": "trunc_", "frac_": "frac_",
        "nan_to_num_": "nan_to_num_", "lerp_": "lerp_", "addcmul_": "addcmul_", "addcdiv_": "addcdiv_",
    },
    softmax: {"softmax": "softmax", "log_softmax": "log_softmax", "logsumexp": "logsumexp"},
    reduction: {
        "sum": "sum", "mean": "mean", "var": "var", "std": "std", "prod": "prod",
        "max": "max", "min": "min", "amax": "amax", "amin": "amin",
        "argmax": "argmax", "argmin": "argmin", "norm": "norm", "cumsum": "cumsum",
        "cumprod": "cumprod", "count_nonzero": "count_nonzero", "diff": "diff",
    },
    linalg: {"matmul": "matmul", "__matmul__": "matmul", "__rmatmul__": "rmatmul",
             "mm": "mm", "bmm": "bmm", "outer": "outer", "dot": "dot", "mv": "mv", "addmm": "addmm",
             "baddbmm": "baddbmm", "addmv": "addmv", "diag": "diag", "trace": "trace", "cross": "cross"},
    shape: {
        "view": "view", "view_as": "view_as", "reshape": "reshape", "reshape_as": "reshape_as",
        "flatten": "flatten", "unflatten": "unflatten", "squeeze": "squeeze",
        "unsqueeze": "unsqueeze", "transpose": "transpose", "swapaxes": "transpose",
        "permute": "permute", "t": "t", "expand": "expand", "expand_as": "expand_as",
        "repeat": "repeat", "contiguous": "contiguous", "flip": "flip", "tile": "tile",
        "movedim": "movedim", "moveaxis": "movedim", "swapdims": "transpose", "ravel": "ravel",
        "broadcast_to": "broadcast_to", "roll": "roll",
        "repeat_interleave": "repeat_interleave",
        "unsqueeze_": "unsqueeze_", "squeeze_": "squeeze_", "t_": "t_", "transpose_": "transpose_",
    },
    indexing: {
        "__getitem__": "getitem", "__setitem__": "setitem", "gather": "gather",
        "scatter": "scatter", "scatter_add": "scatter_add", "index_select": "index_select",
        "masked_fill": "masked_fill", "masked_fill_": "masked_fill_", "where": "where_method",
        "narrow": "narrow", "tril": "tril", "triu": "triu", "masked_select": "masked_select",
        "scatter_": "scatter_", "index_fill_": "index_fill_", "index_fill": "index_fill",
        "scatter_add_": "scatter_add_", "nonzero": "nonzero", "select": "select",
    },
    join: {"split": "split", "chunk": "chunk", "unbind": "unbind"},
    comparison: {
        "__eq__": "eq", "__ne__": "ne", "__lt__": "lt", "__le__": "le", "__gt__": "gt",
        "__ge__": "ge", "eq": "eq", "ne": "ne", "lt": "lt", "le": "le", "gt": "gt", "ge": "ge",
        "greater": "gt", "greater_equal": "ge", "less": "lt", "less_equal": "le", "not_equal": "ne",
        "equal": "equal", "allclose": "allclose", "isclose": "isclose", "isnan": "isnan",
        "isinf": "isinf", "isfinite": "isfinite", "any": "any", "all": "all",
        "logical_not": "logical_not", "logical_and": "logical_and", "logical_or": "logical_or",
        "__invert__": "bitwise_not", "__and__": "bitwise_and", "__or__": "bitwise_or",
        "__xor__": "bitwise_xor", "__rand__": "bitwise_and", "__ror__": "bitwise_or",
        "__rxor__": "bitwise_xor", "logical_xor": "logical_xor", "bitwise_not": "bitwise_not",
        "bitwise_and": "bitwise_and", "bitwise_or": "bitwise_or", "bitwise_xor": "bitwise_xor",
    },
    sorting: {"sort": "sort", "argsort": "argsort", "msort": "msort", "topk": "topk",
              "kthvalue": "kthvalue", "median": "median"},
    set_ops: {"unique": "unique", "bincount": "bincount"},
    sampling: {"multinomial": "multinomial", "bernoulli": "bernoulli", "bernoulli_": "bernoulli_"},
}

PROPERTIES = {shape: {"T": "T", "mT": "mT"}}


def bind_methods(tensor_class):
    """Attach every op above to ``tensor_class``; a name the op module lacks is reported."""
    missing = []
    for module, names in METHODS.items():
        for method_name, function_name in names.items():
            function = getattr(module, function_name, None)
            if function is None:
                missing.append(f"{module.__name__}.{function_name}")
            else:
                setattr(tensor_class, method_name, function)
    for module, names in PROPERTIES.items():
        for property_name, function_name in names.items():
            function = getattr(module, function_name, None)
            if function is None:
                missing.append(f"{module.__name__}.{function_name}")
            else:
                setattr(tensor_class, property_name, property(function))
    return missing
