"""The statements a fuzz program is made of.  Each template takes the generator ``g``
(its random source and the torch values made so far) and returns ``(tag, source,
result name)`` or None when nothing fits; it may add leaves (new inputs) first."""
from __future__ import annotations

import numpy

BINARY_OPERATORS = ["+", "-", "*", "/", "//", "%", "**", "<", "<=", "==", "!=", "&", "|", "^"]
BINARY_FUNCTIONS = ["lib.maximum", "lib.minimum", "lib.atan2", "lib.logaddexp", "lib.hypot", "lib.fmod",
                    "lib.remainder", "lib.floor_divide", "lib.pow", "lib.true_divide", "lib.logical_and",
                    "lib.logical_xor", "lib.eq", "lib.isclose", "lib.float_power", "lib.fmax", "lib.fmin",
                    "lib.copysign", "lib.nextafter"]
UNARY = ["neg", "abs", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "floor", "ceil", "round",
         "trunc", "sign", "reciprocal", "rsqrt", "expm1", "log1p", "erf", "square", "logical_not", "isnan",
         "isinf", "nan_to_num", "frac", "log2", "atan", "asin", "sinh"]
ACTIVATIONS = ["F.relu({})", "F.gelu({})", "F.silu({})", "F.elu({})", "F.leaky_relu({}, 0.1)", "F.softplus({})",
               "F.hardtanh({})", "F.logsigmoid({})", "F.relu6({})", "F.mish({})", "F.softsign({})",
               "F.hardswish({})", "F.selu({})", "F.tanhshrink({})", "F.threshold({}, 0.5, -1.0)"]


def binary(g):
    a = g.pick()
    if a is None:
        return None
    b = g.operand(a)
    if g.chance(0.75):
        op = g.choice(BINARY_OPERATORS)
        left, right = (b, a) if g.chance(0.3) else (a, b)
        expression = f"{left} {op} {right}"
    else:
        op = g.choice(BINARY_FUNCTIONS)
        expression = f"{op}({a}, {b})"
    if g.chance(0.08):
        mode = g.choice(["'trunc'", "'floor'"])
        if mode == "'trunc'" and _crashes_torch_trunc_division(g, a, b):
            return None   # torch dies of SIGFPE there (known.py: KNOWN_TORCH_BUGS)
        op, expression = f"div:{mode}", f"lib.div({a}, {b}, rounding_mode={mode})"
    name = g.fresh()
    return f"binary:{op}", f"{name} = {expression}", name


def _crashes_torch_trunc_division(g, a, b):
    """torch.div(x, y, rounding_mode='trunc') kills the process (SIGFPE) where an integer x is its
    type's minimum and y is -1 (pytorch/pytorch#138425): never run that in torch."""
    import torch
    left = g.value(a)
    right = g.ns[b] if b in g.ns else eval(b, {"inf": float("inf"), "nan": float("nan")})
    try:
        dtype = torch.result_type(left, right)
        if dtype.is_floating_point or dtype == torch.bool:
            return False
        smallest = torch.iinfo(dtype).min
        right = torch.as_tensor(right).to(dtype)
        return bool(((left.to(dtype) == smallest) & (right == -1)).any())
    except Exception:   # torch will refuse these operands anyway
        return False


def unary(g):
    a = g.pick()
    if a is None:
        return None
    name = g.fresh()
    if g.chance(0.25):
        template = g.choice(ACTIVATIONS)
        return f"act:{template.split('(')[0]}", f"{name} = {template.format(a)}", name
    op = g.choice(UNARY)
    if g.chance(0.15):
        low, high = sorted(numpy.round(g.rng.normal(0, 2, 2), 1))
        return "unary:clamp", f"{name} = {a}.clamp({low}, {high})", name
    if g.chance(0.05):
        return "unary:~", f"{name} = ~{a}", name
    return f"unary:{op}", f"{name} = lib.{op}({a})", name


def reduction(g):
    a = g.pick()
    if a is None:
        return None
    t = g.value(a)
    name = g.fresh()
    d = g.dim(t)
    keep = g.choice(["", ", keepdim=True", ", keepdim=False"])
    op = g.choice(["sum", "mean", "prod", "amax", "amin", "max", "min", "argmax", "var", "std", "logsumexp",
                   "cumsum", "cumprod", "median", "norm", "all", "any", "count_nonzero", "nansum", "maxdim",
                   "mindim", "mediandim", "sumdims", "kthvalue", "sort", "topk", "unique", "argsort"])
    if op in ("sum", "mean", "prod", "amax", "amin", "argmax", "all", "any", "logsumexp", "nansum"):
        if op == "nansum":
            return None
        whole = op != "logsumexp" and g.chance(0.3)
        source = f"{a}.{op}()" if whole else f"{a}.{op}({d}{keep})"
    elif op in ("max", "min", "median", "norm"):
        source = f"{a}.{op}()"
    elif op in ("maxdim", "mindim", "mediandim"):
        source = f"{a}.{op[:-3]}({d}{keep}).{g.choice(['values', 'indices'])}"
    elif op in ("var", "std"):
        correction = g.choice([0, 1, 2])
        source = f"{a}.{op}({d if g.chance(0.7) else None}, correction={correction}{keep})"
    elif op in ("cumsum", "cumprod"):
        source = f"lib.{op}({a}, {d})"
    elif op == "count_nonzero":
        source = f"lib.count_nonzero({a})"
    elif op == "sumdims":
        if t.dim() < 2:
            return None
        dims = tuple(int(x) for x in g.rng.choice(t.dim(), 2, replace=False))
        source = f"{a}.sum({dims}{keep})"
    elif op == "kthvalue":
        size = t.shape[d] if t.dim() else 1
        source = f"{a}.kthvalue({int(g.rng.integers(1, max(size, 1) + 1))}, {d}).values"
    elif op == "sort":
        source = f"lib.sort({a}, {d}, descending={g.choice([True, False])}).{g.choice(['values', 'indices'])}"
    elif op == "topk":
        size = t.shape[d] if t.dim() else 1
        source = f"lib.topk({a}, {int(g.rng.integers(0, size + 1))}, {d}).values"
    elif op == "argsort":
        source = f"lib.argsort({a}, {d})"
    else:
        source = f"lib.unique({a}, sorted=True)" if g.chance(0.5) else \
            f"lib.unique({a}, return_counts=True)[1]"
    return f"reduce:{op}", f"{name} = {source}", name


def view(g):
    a = g.pick()
    if a is None:
        return None
    t = g.value(a)
    n = t.dim()
    name = g.fresh()
    op = g.choice(["reshape", "view", "transpose", "permute", "unsqueeze", "squeeze", "flatten", "t", "narrow",
                   "select", "expand", "split", "chunk", "unbind", "flip", "roll", "movedim", "contiguous",
                   "clone", "detach", "slice", "T", "diagonal"])
    if op in ("reshape", "view"):
        shape = list(t.shape)
        numpy_order = g.rng.permutation(len(shape)) if shape else []
        shape = [shape[i] for i in numpy_order]
        if shape and g.chance(0.5):
            shape[int(g.rng.integers(len(shape)))] = -1
        source = f"{a}.{op}({tuple(shape) if g.chance(0.5) else -1})"
    elif op == "transpose":
        source = f"{a}.transpose({g.dim(t)}, {g.dim(t)})"
    elif op == "permute":
        source = f"{a}.permute({tuple(int(i) for i in g.rng.permutation(n))})"
    elif op == "unsqueeze":
        source = f"{a}.unsqueeze({int(g.rng.integers(-n - 1, n + 1))})"
    elif op == "squeeze":
        source = f"{a}.squeeze()" if g.chance(0.4) else f"{a}.squeeze({g.dim(t)})"
    elif op == "flatten":
        source = f"{a}.flatten()" if g.chance(0.5) else f"lib.flatten({a}, {g.dim(t)})"
    elif op == "t":
        source = f"{a}.t()"
    elif op == "narrow":
        d = g.dim(t)
        size = t.shape[d] if n else 1
        start = int(g.rng.integers(0, size + 1))
        source = f"{a}.narrow({d}, {start}, {int(g.rng.integers(0, size - start + 1))})"
    elif op == "select":
        d = g.dim(t)
        size = t.shape[d] if n else 1
        source = f"{a}.select({d}, {int(g.rng.integers(-size, size)) if size else 0})"
    elif op == "expand":
        shape = [2] + [s if s != 1 or g.chance(0.5) else 3 for s in t.shape]
        source = f"{a}.expand({tuple(shape)})"
    elif op in ("split", "chunk"):
        d = g.dim(t)
        source = f"{a}.{op}({int(g.rng.integers(1, 4))}, {d})[{int(g.choice([0, -1]))}]"
    elif op == "unbind":
        source = f"{a}.unbind({g.dim(t)})[0]"
    elif op == "flip":
        source = f"{a}.flip({g.dim(t)})" if g.chance(0.7) else f"lib.flip({a}, ({g.dim(t)},))"
    elif op == "roll":
        source = f"{a}.roll({int(g.rng.integers(-3, 4))}, {g.dim(t)})"
    elif op == "movedim":
        source = f"{a}.movedim({g.dim(t)}, {g.dim(t)})"
    elif op == "slice":
        return index_get(g, basic_only=True, source_name=(a, name))
    elif op == "T":
        source = f"{a}.mT" if n >= 2 else f"{a}.t()"
    elif op == "diagonal":     # (a writable view) or unfold's windows, which may overlap
        if not g.surface:      # (added after the other views were pinned: in the --surface run only)
            return None
        if n >= 2 and g.chance(0.5):
            first = g.dim(t)
            second = (first + int(g.rng.integers(1, n))) % n
            source = f"{a}.diagonal({int(g.rng.integers(-2, 3))}, {first}, {second})"
        else:
            d = g.dim(t)
            size = t.shape[d] if n else 1
            source = f"{a}.unfold({d}, {int(g.rng.integers(0, size + 1))}, {int(g.rng.integers(1, 4))})"
    else:
        source = f"{a}.{op}()"
    return f"view:{op}", f"{name} = {source}", name


def _basic_index(g, t):
    parts = []
    dims_left = t.dim()
    for _ in range(int(g.rng.integers(1, max(t.dim(), 1) + 2))):
        kind = g.choice(["int", "slice", "none", "ellipsis", "full"], p=[0.25, 0.35, 0.1, 0.1, 0.2])
        if kind == "ellipsis" and "..." not in parts:
            parts.append("...")
        elif kind == "none":
            parts.append("None")
        elif dims_left > 0:
            size = t.shape[t.dim() - dims_left]
            dims_left -= 1
            if kind == "int":
                parts.append(str(int(g.rng.integers(-size, size)) if size else 0))
            elif kind == "slice":
                start, stop = sorted(int(x) for x in g.rng.integers(-size - 1, size + 2, 2))
                step = int(g.choice([1, 1, 2, 3]))
                parts.append(f"{start}:{stop}" + (f":{step}" if step != 1 else ""))
            else:
                parts.append(":")
    return parts


def index_get(g, basic_only=False, source_name=None):
    a, name = source_name or (g.pick(), None)
    if a is None:
        return None
    name = name or g.fresh()
    t = g.value(a)
    parts = _basic_index(g, t)
    kind = "basic"
    if not basic_only and t.dim() and g.chance(0.7):
        kind = g.choice(["tensor", "list", "mask", "mixed"])
        position = int(g.rng.integers(0, len(parts) + 1))
        # the advanced index stands for dimension `position` counted among the real dims before it
        real_before = sum(1 for p in parts[:position] if p not in ("None", "..."))
        dim = min(real_before, t.dim() - 1)
        size = t.shape[dim]
        if kind == "mask":
            mask = g.leaf(dtype="bool", shape=(size,), requires_grad=False)
            parts.insert(position, mask)
        else:
            index = g.index_leaf(size, g.shape(int(g.choice([0, 1, 1, 2]))))
            parts.insert(position, index)
            if kind in ("list", "mixed") and len(parts) > 1:
                other = g.index_leaf(size, (int(g.choice([1, 2])),))
                parts.insert(int(g.rng.integers(0, len(parts) + 1)), other)
    source = f"{name} = {a}[{', '.join(parts) if parts else '...'}]"
    return f"index:{kind}", source, name


def index_set(g):
    target = g.pick(lambda t: not (t.is_leaf and t.requires_grad)) or g.pick()
    if target is None:
        return None
    made = index_get(g, source_name=(target, None))
    if made is None:
        return None
    tag, source, picked = made
    index = source.split("[", 1)[1].rsplit("]", 1)[0]
    # rebuild the index on `target`
    t = g.value(target)
    try:
        g.run(f"__probe = {target}[{index}]")
        shape = tuple(g.ns["__probe"].shape)
    except Exception:
        shape = ()
    if g.chance(0.4):
        value = g.scalar()
    else:
        value = g.leaf(dtype=str(t.dtype).replace("torch.", "") if g.chance(0.6) else None,
                       shape=g.broadcastable_shape(shape))
    return f"setitem:{tag.split(':')[1]}", f"{target}[{index}] = {value}", None


INPLACE_METHODS = ["add_", "sub_", "mul_", "div_", "clamp_", "zero_", "fill_", "relu_", "exp_", "copy_",
                   "sigmoid_", "tanh_", "neg_", "abs_", "pow_", "masked_fill_", "floor_", "sqrt_", "log_"]
AUGMENTED = ["+=", "-=", "*=", "/=", "//=", "%=", "|=", "&=", "^=", "**="]


def inplace(g):
    # prefer views of non-leaves, where in-place meets autograd
    target = g.pick(lambda t: t._base is not None) if g.chance(0.5) else None
    target = target or g.pick(lambda t: not t.is_leaf) or g.pick()
    if target is None:
        return None
    if g.chance(0.35):
        op = g.choice(AUGMENTED)
        return f"inplace:{op}", f"{target} {op} {g.operand(target)}", None
    op = g.choice(INPLACE_METHODS)
    if op in ("add_", "sub_", "mul_", "div_", "copy_", "pow_"):
        args = g.operand(target)
    elif op == "clamp_":
        args = f"min={g.scalar('float')}"
    elif op == "fill_":
        args = g.scalar()
    elif op == "masked_fill_":
        args = f"{target} > 0, {g.scalar()}"
    else:
        args = ""
    name = g.fresh()
    return f"inplace:{op}", f"{name} = {target}.{op}({args})", name


def join(g):
    a = g.pick()
    if a is None:
        return None
    t = g.value(a)
    name = g.fresh()
    op = g.choice(["cat", "stack", "hstack", "vstack"])
    if op == "cat" and t.dim():
        d = g.dim(t)
        shape = list(t.shape)
        shape[d] = int(g.choice([0, 1, 2]))
        other = g.leaf(dtype=str(t.dtype).replace("torch.", "") if g.chance(0.7) else None, shape=shape)
        return "join:cat", f"{name} = lib.cat([{a}, {other}], {d})", name
    if op == "stack":
        other = g.leaf(dtype=str(t.dtype).replace("torch.", "") if g.chance(0.7) else None, shape=t.shape)
        return "join:stack", f"{name} = lib.stack([{a}, {other}], {int(g.rng.integers(-t.dim() - 1, t.dim() + 1))})", name
    return f"join:{op}", f"{name} = lib.{op}([{a}, {a}])", name


def softmax(g):
    a = g.pick()
    if a is None:
        return None
    t = g.value(a)
    name = g.fresh()
    op = g.choice(["lib.softmax", "lib.log_softmax", "F.softmin", "F.log_softmax", "F.softmax"])
    dtype = ", dtype=lib.float64" if g.chance(0.15) else ""
    return f"softmax:{op.split('.')[-1]}", f"{name} = {op}({a}, {g.dim(t)}{dtype})", name


def selection(g):
    a = g.pick()
    if a is None:
        return None
    t = g.value(a)
    name = g.fresh()
    op = g.choice(["where", "gather", "scatter", "scatter_add", "masked_fill", "index_select", "masked_select",
                   "nonzero", "where_scalar"])
    if op == "where":
        b = g.operand(a)
        return "select:where", f"{name} = lib.where({a} > 0, {a}, {b})", name
    if op == "where_scalar":
        return "select:where", f"{name} = lib.where({a} != 0, {a}, {g.scalar()})", name
    if op == "masked_fill":
        return "select:masked_fill", f"{name} = {a}.masked_fill({a} < 1, {g.scalar()})", name
    if op == "masked_select":
        return "select:masked_select", f"{name} = lib.masked_select({a}, {a} > 0)", name
    if op == "nonzero":
        return "select:nonzero", f"{name} = lib.nonzero({a})", name
    d = g.dim(t)
    size = t.shape[d] if t.dim() else 1
    if op == "index_select":
        index = g.index_leaf(size, (int(g.rng.integers(0, 4)),))
        return "select:index_select", f"{name} = lib.index_select({a}, {d}, {index})", name
    shape = tuple(int(g.rng.integers(0, s + 1)) if g.chance(0.5) else s for s in t.shape)
    index = g.index_leaf(size, shape)
    if op == "gather":
        return "select:gather", f"{name} = lib.gather({a}, {d}, {index})", name
    src = g.leaf(dtype=str(t.dtype).replace("torch.", ""), shape=shape) if g.chance(0.7) else g.scalar("float")
    if op == "scatter_add" and src[0].isalpha():
        return "select:scatter_add", f"{name} = lib.scatter_add({a}, {d}, {index}, {src})", name
    return "select:scatter", f"{name} = lib.scatter({a}, {d}, {index}, {src})", name


INDEX_WRITES = ["index_add", "index_put", "masked_scatter", "put"]


def index_write(g):
    """index_add, index_put (accumulate=True), masked_scatter or put (accumulate=True), out of
    place or in place (preferring a view of a non-leaf, as ``inplace``), with a source of the
    target's dtype; no index_copy or overwriting index_put/put, whose repeated indices torch
    leaves undefined.  (Not among TEMPLATES: a new template would change the programs of every
    seed that test_fuzz.py pins; ``generate(seed, index_writes=True)`` adds it.)"""
    in_place = g.chance(0.5)
    if in_place:
        target = g.pick(lambda t: t._base is not None) if g.chance(0.5) else None
        target = target or g.pick(lambda t: not t.is_leaf) or g.pick()
    else:
        target = g.pick()
    if target is None:
        return None
    t = g.value(target)
    op = g.choice(INDEX_WRITES)
    method = op + "_" if in_place else op
    name = g.fresh()
    dtype = str(t.dtype).replace("torch.", "")
    count = int(g.rng.integers(0, 4))
    if op == "masked_scatter":
        source = g.leaf(dtype=dtype, shape=t.shape)
        return f"write:{method}", f"{name} = {target}.{method}({target} > 0, {source})", name
    if op == "put":
        index = g.index_leaf(t.numel(), (count,))
        source = g.leaf(dtype=dtype, shape=(count,))
        return f"write:{method}", f"{name} = {target}.{method}({index}, {source}, accumulate=True)", name
    if op == "index_put":
        if t.dim() == 0:
            return None
        index = g.index_leaf(t.shape[0], (count,))
        source = g.leaf(dtype=dtype, shape=(count,) + tuple(t.shape[1:]))
        return f"write:{method}", f"{name} = {target}.{method}(({index},), {source}, accumulate=True)", name
    d = g.dim(t)
    shape = list(t.shape) or [1]
    shape[d] = count
    index = g.index_leaf(t.shape[d] if t.dim() else 1, (count,))
    source = g.leaf(dtype=dtype, shape=shape if t.dim() else ())
    alpha = g.choice([1, 2])
    return f"write:{method}", f"{name} = {target}.{method}({d}, {index}, {source}, alpha={alpha})", name


def loss(g):
    a = g.pick(lambda t: t.is_floating_point())
    if a is None:
        return None
    t = g.value(a)
    name = g.fresh()
    reduction = g.choice(["'mean'", "'sum'", "'none'"])
    op = g.choice(["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss",
                   "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div"])
    if op in ("cross_entropy", "nll_loss"):
        if t.dim() == 0:
            return None
        classes = t.shape[1] if t.dim() > 1 else t.shape[0]
        target_shape = (t.shape[0],) + tuple(t.shape[2:]) if t.dim() > 1 else ()
        target = g.index_leaf(classes, target_shape)
        options = f"reduction={reduction}"
        if g.chance(0.4):
            options += f", ignore_index={int(g.choice([-100, 0, 1]))}"
        if op == "cross_entropy" and g.chance(0.3):
            options += f", label_smoothing={g.choice([0.1, 0.5])}"
        if g.chance(0.2):
            weight = g.leaf(dtype=str(t.dtype).replace("torch.", ""), shape=(classes,), requires_grad=False)
            options += f", weight={weight}.abs()"
        input_source = a if op == "cross_entropy" or g.chance(0.3) else f"F.log_softmax({a}, {1 if t.dim() > 1 else 0})"
        return f"loss:{op}", f"{name} = F.{op}({input_source}, {target}, {options})", name
    other = g.leaf(dtype=str(t.dtype).replace("torch.", ""),
                   shape=t.shape if g.chance(0.85) else g.broadcastable_shape(t.shape), requires_grad=g.chance(0.3))
    if op == "binary_cross_entropy":
        return f"loss:{op}", f"{name} = F.{op}(lib.sigmoid({a}), lib.sigmoid({other}), reduction={reduction})", name
    if op == "kl_div":
        log_target = g.choice([True, False])
        return f"loss:{op}", f"{name} = F.kl_div({a}, {other}, reduction={reduction}, log_target={log_target})", name
    return f"loss:{op}", f"{name} = F.{op}({a}, {other}, reduction={reduction})", name


def _float_operand(g):
    """A floating-point tensor of the program to apply a layer to: (its name, its value, its dtype's
    name, the result's name), or None where there is none."""
    a = g.pick(lambda t: t.is_floating_point())
    if a is None:
        return None
    t = g.value(a)
    return a, t, str(t.dtype).replace("torch.", ""), g.fresh()


def module(g):
    operand = _float_operand(g)
    if operand is None:
        return None
    a, t, dtype, name = operand
    op = g.choice(["linear", "layer_norm", "embedding", "conv1d", "LayerNorm", "BatchNorm1d", "normalize",
                   "activation", "pad", "dropout0"])
    if op == "linear" and t.dim():
        w = g.leaf(dtype=dtype, shape=(int(g.rng.integers(0, 4)), t.shape[-1]))
        b = g.leaf(dtype=dtype, shape=(g.value(w).shape[0],)) if g.chance(0.5) else "None"
        return "module:linear", f"{name} = F.linear({a}, {w}, {b})", name
    if op in ("layer_norm", "LayerNorm") and t.dim():
        k = int(g.rng.integers(1, t.dim() + 1))
        shape = tuple(t.shape[-k:])
        if op == "LayerNorm":
            return "module:LayerNorm", f"{name} = lib.nn.LayerNorm({shape}, dtype=lib.{dtype})({a})", name
        w = g.leaf(dtype=dtype, shape=shape)
        b = g.leaf(dtype=dtype, shape=shape)
        return "module:layer_norm", f"{name} = F.layer_norm({a}, {shape}, {w}, {b})", name
    if op == "embedding":
        weight = g.leaf(dtype=dtype, shape=(int(g.rng.integers(1, 6)), int(g.rng.integers(1, 4))))
        index = g.index_leaf(g.value(weight).shape[0], g.shape(int(g.choice([0, 1, 2]))))
        return "module:embedding", f"{name} = F.embedding({index}, {weight})", name
    if op == "conv1d" and t.dim() in (2, 3):
        channels = t.shape[-2]
        w = g.leaf(dtype=dtype, shape=(int(g.rng.integers(1, 3)), channels, int(g.rng.integers(1, 3))))
        padding = int(g.choice([0, 1]))
        return "module:conv1d", f"{name} = F.conv1d({a}, {w}, padding={padding})", name
    if op == "BatchNorm1d" and t.dim() in (2, 3):
        return "module:BatchNorm1d", f"{name} = lib.nn.BatchNorm1d({t.shape[1]}, dtype=lib.{dtype})({a})", name
    if op == "normalize":
        return "module:normalize", f"{name} = F.normalize({a}, dim={g.dim(t)})", name
    if op == "pad" and t.dim():
        return "module:pad", f"{name} = F.pad({a}, ({int(g.rng.integers(0, 3))}, {int(g.rng.integers(0, 2))}))", name
    if op == "dropout0":
        return "module:dropout", f"{name} = F.dropout({a}, 0.0)", name
    template = g.choice(ACTIVATIONS)
    return f"act:{template.split('(')[0]}", f"{name} = {template.format(a)}", name


def layer(g):
    """Attention and the normalisations over groups and instances, and cosine similarity: a template of its
    own (``generate(seed, layers=True)``), so that the programs of the seeds test_fuzz.py pins stay."""
    operand = _float_operand(g)
    if operand is None:
        return None
    a, t, dtype, name = operand
    op = g.choice(["attention", "instance_norm", "group_norm", "cosine_similarity"])
    if op == "attention" and t.dim() >= 2:
        batch, width = tuple(t.shape[:-2]), t.shape[-1]
        length = int(g.rng.integers(1, 4))
        key = g.leaf(dtype=dtype, shape=batch + (length, width), requires_grad=g.chance(0.5))
        value = g.leaf(dtype=dtype, shape=batch + (length, int(g.choice([width, 1, 3]))), requires_grad=g.chance(0.5))
        causal = g.chance(0.3)
        return "module:attention", (f"{name} = F.scaled_dot_product_attention({a}, {key}, {value}, "
                                    f"is_causal={causal})"), name
    if op == "instance_norm" and t.dim() in (3, 4):
        channels = t.shape[1]
        w, b = (g.leaf(dtype=dtype, shape=(channels,)), g.leaf(dtype=dtype, shape=(channels,))) if g.chance(0.5) \
            else ("None", "None")
        return "module:instance_norm", f"{name} = F.instance_norm({a}, weight={w}, bias={b})", name
    if op == "group_norm" and t.dim() >= 2 and t.shape[1]:
        channels = t.shape[1]
        groups = int(g.choice([d for d in range(1, channels + 1) if channels % d == 0]))
        w, b = (g.leaf(dtype=dtype, shape=(channels,)), g.leaf(dtype=dtype, shape=(channels,))) if g.chance(0.5) \
            else ("None", "None")
        return "module:group_norm", f"{name} = F.group_norm({a}, {groups}, {w}, {b})", name
    if op == "cosine_similarity" and t.dim():
        other = g.leaf(dtype=dtype, shape=t.shape if g.chance(0.8) else g.broadcastable_shape(t.shape),
                       requires_grad=g.chance(0.5))
        return "module:cosine_similarity", f"{name} = F.cosine_similarity({a}, {other}, dim={g.dim(t)})", name
    return None


def conversion(g):
    a = g.pick()
    if a is None:
        return None
    name = g.fresh()
    dtype = g.dtype()
    op = g.choice(["to", "type_method", "float", "long", "bool", "requires_grad_"])
    if op == "to":
        return "convert:to", f"{name} = {a}.to(lib.{dtype})", name
    if op == "type_method":
        return "convert:method", f"{name} = {a}.{g.choice(['double', 'half', 'int', 'short', 'byte', 'char'])}()", name
    if op == "requires_grad_":
        return None
    return f"convert:{op}", f"{name} = {a}.{op}()", name


def clone(g):
    a = g.pick(lambda t: t.is_leaf)
    if a is None:
        return None
    name = g.fresh()
    return "view:clone", f"{name} = {a}.clone()", name


SURFACE_UNARY = ["log10", "exp2", "sgn", "erfc", "erfinv", "signbit", "deg2rad", "rad2deg", "sinc", "logit"]
SURFACE_BINARY = ["lib.xlogy", "lib.logaddexp2", "lib.heaviside"]
SURFACE_LOSSES = ["margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss", "cosine_embedding_loss",
                  "triplet_margin_loss", "poisson_nll_loss", "gaussian_nll_loss", "multilabel_soft_margin_loss"]


def surface(g):
    """The ops added after the other templates were pinned (a separate run, ``--surface``): the newer
    unary and binary maths, scans, shape and index ops, and the margin and likelihood losses (tagged
    ``loss:``, so that the classifier takes their sums and means as a loss's)."""
    a = g.pick()
    if a is None:
        return None
    t = g.value(a)
    name = g.fresh()
    d = g.dim(t)
    kind = g.choice(["unary", "binary", "scan", "shape", "index", "loss"], p=[0.25, 0.15, 0.15, 0.2, 0.1, 0.15])
    if kind == "unary":
        op = g.choice(SURFACE_UNARY)
        if op == "logit" and g.chance(0.5):
            return "surface:logit", f"{name} = lib.logit({a}, eps={g.choice([1e-6, 0.1, 0.3])})", name
        return f"surface:{op}", f"{name} = lib.{op}({a})", name
    if kind == "binary":
        op = g.choice(SURFACE_BINARY)
        b = g.operand(a)
        left, right = (b, a) if g.chance(0.3) else (a, b)
        return f"surface:{op[4:]}", f"{name} = {op}({left}, {right})", name
    if kind == "scan":
        op = g.choice(["cummax", "cummin", "logcumsumexp", "nansum", "nanmean", "aminmax"])
        if op in ("cummax", "cummin"):
            return f"surface:{op}", f"{name} = lib.{op}({a}, {d}).{g.choice(['values', 'indices'])}", name
        if op == "aminmax":
            part = g.choice(["min", "max"])
            dim = f"dim={d}, " if g.chance(0.6) else ""
            return "surface:aminmax", f"{name} = lib.aminmax({a}, {dim}keepdim={g.choice([True, False])}).{part}", name
        if op in ("nansum", "nanmean") and g.chance(0.4):
            return f"surface:{op}", f"{name} = lib.{op}({a})", name
        return f"surface:{op}", f"{name} = lib.{op}({a}, {d})", name
    if kind == "shape":
        op = g.choice(["tensor_split", "hsplit", "vsplit", "dsplit", "atleast_1d", "atleast_2d", "atleast_3d",
                       "column_stack", "row_stack", "dstack", "broadcast_tensors", "rot90"])
        if op == "tensor_split":
            pieces = g.choice([1, 2, 3, [1], [0, 2], [1, -1]])
            return "surface:tensor_split", f"{name} = lib.tensor_split({a}, {pieces}, {d})[{g.choice([0, -1])}]", name
        if op in ("hsplit", "vsplit", "dsplit"):
            return f"surface:{op}", f"{name} = lib.{op}({a}, {g.choice([1, 2, [1], [0, 2]])})[0]", name
        if op.startswith("atleast"):
            return f"surface:{op}", f"{name} = lib.{op}({a})", name
        if op in ("column_stack", "row_stack", "dstack"):
            return f"surface:{op}", f"{name} = lib.{op}([{a}, {a}])", name
        if op == "broadcast_tensors":
            b = g.leaf(shape=g.broadcastable_shape(t.shape))
            return "surface:broadcast_tensors", f"{name} = lib.broadcast_tensors({a}, {b})[{g.choice([0, 1])}]", name
        dims = [int(x) for x in g.rng.choice(max(t.dim(), 2), 2, replace=False)]
        return "surface:rot90", f"{name} = lib.rot90({a}, {int(g.rng.integers(-2, 4))}, {dims})", name
    if kind == "index":
        op = g.choice(["take", "take_along_dim", "isin"])
        if op == "take":
            index = g.index_leaf(max(t.numel(), 1), tuple(int(s) for s in g.rng.integers(0, 3, int(g.rng.integers(0, 3)))))
            return "surface:take", f"{name} = lib.take({a}, {index})", name
        if op == "take_along_dim":
            if t.dim() == 0:
                return None
            shape = list(t.shape)
            shape[d] = int(g.rng.integers(0, 3))
            index = g.index_leaf(max(t.shape[d], 1), tuple(shape))
            return "surface:take_along_dim", f"{name} = lib.take_along_dim({a}, {index}, {d})", name
        b = g.operand(a)
        return "surface:isin", f"{name} = lib.isin({a}, {b})", name
    if not t.is_floating_point():
        return None
    op = g.choice(SURFACE_LOSSES)
    reduction = g.choice(["'mean'", "'sum'", "'none'"])
    dtype = str(t.dtype).replace("torch.", "")
    other = g.leaf(dtype=dtype, shape=t.shape, requires_grad=g.chance(0.3))
    if op == "margin_ranking_loss":
        third = g.leaf(dtype=dtype, shape=t.shape, requires_grad=False)
        return f"loss:{op}", f"{name} = F.{op}({a}, {other}, {third}.sign(), margin={g.choice([0.0, 0.5])}, reduction={reduction})", name
    if op == "hinge_embedding_loss":
        return f"loss:{op}", f"{name} = F.{op}({a}, {other}.sign(), reduction={reduction})", name
    if op == "soft_margin_loss":
        return f"loss:{op}", f"{name} = F.{op}({a}, {other}, reduction={reduction})", name
    if op == "cosine_embedding_loss":
        if t.dim() not in (1, 2):
            return None
        target = g.leaf(dtype=dtype, shape=t.shape[:1] if t.dim() == 2 else (), requires_grad=False)
        return f"loss:{op}", f"{name} = F.{op}({a}, {other}, {target}.sign(), reduction={reduction})", name
    if op == "triplet_margin_loss":
        if t.dim() not in (1, 2):
            return None
        third = g.leaf(dtype=dtype, shape=t.shape, requires_grad=g.chance(0.3))
        return f"loss:{op}", f"{name} = F.{op}({a}, {other}, {third}, swap={g.choice([True, False])}, reduction={reduction})", name
    if op == "poisson_nll_loss":
        log_input = g.choice([True, False])
        source = a if log_input else f"{a}.abs()"
        return f"loss:{op}", f"{name} = F.{op}({source}, {other}.abs(), log_input={log_input}, full={g.choice([True, False])}, reduction={reduction})", name
    if op == "gaussian_nll_loss":
        return f"loss:{op}", f"{name} = F.{op}({a}, {other}, {other}.abs() + 0.1, full={g.choice([True, False])}, reduction={reduction})", name
    return f"loss:{op}", f"{name} = F.{op}({a}, {other}.sigmoid(), reduction={reduction})", name


TEMPLATES = [binary, unary, reduction, view, index_get, index_set, inplace, join, softmax, selection, loss,
             module, conversion, clone]
TEMPLATE_WEIGHTS = [6, 4, 4, 4, 3, 2, 3, 1.5, 1.5, 2, 2, 2, 1, 1.5]
INDEX_WRITE_WEIGHT = 2
LAYER_WEIGHT = 2
SURFACE_WEIGHT = 12
