"""Random programs over minigrad's op surface, written as Python source against a
library name ``lib`` so that the same text runs with ``lib = torch`` and with
``lib = minigrad``.

A program is built one statement at a time from a seeded generator; each candidate
statement is run in torch at once, so the next one can be fitted to the shapes and
dtypes torch produced (a program made of errors tests nothing).  A candidate that
torch rejects is kept now and then as the program's last statement: then both
libraries must raise the same error.  The generator depends only on the seed (and
torch's behaviour), so ``generate(seed)`` is a reproduction.
"""
from __future__ import annotations

import dataclasses
import math
import re
import warnings

import numpy
import torch

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
DTYPE_WEIGHTS = numpy.array([1, 1, 1, 1, 1, 2, 1, 3, 5], dtype=float)
FLOATS = ("float16", "float32", "float64")

# special values per float dtype: signed zeros, infinities, NaN, huge and tiny numbers
SPECIALS = {
    "float16": [0.0, -0.0, math.inf, -math.inf, math.nan, 6.0e4, -6.0e4, 6.0e-8],
    "float32": [0.0, -0.0, math.inf, -math.inf, math.nan, 3.0e38, -3.0e38, 1.0e-45],
    "float64": [0.0, -0.0, math.inf, -math.inf, math.nan, 1.0e308, -1.0e308, 5.0e-324],
}


@dataclasses.dataclass
class Statement:
    source: str     # one line of Python over `lib`
    tag: str        # what kind of op it is, e.g. "binary:**" (used to group mismatches)


@dataclasses.dataclass
class Program:
    seed: int
    statements: list
    outputs: list          # names whose values are compared
    loss: str | None       # the weighted-sum statement whose backward is compared
    leaves: list           # leaf names whose .grad is compared

    @property
    def tags(self):
        return [s.tag for s in self.statements]

    def source(self):
        return "\n".join(s.source for s in self.statements)

    def behind(self, name):
        """The variables ``name`` was computed from (itself included) and the statements that wrote
        them (``v = ...``, ``v %= ...``, ``v[...] = ...``), followed back through every variable they
        read, and through aliases: ``v5 = v2.fill_(...)`` is v2 itself and ``v3 = v2.mT`` a view of
        it, so what is written through either (``v5 %= x6``) is written into v2."""
        writes, aliases = {}, self.aliases()
        for statement in self.statements:
            target = re.match(r"(\w+)\b[^=]*=", statement.source)
            if target:
                writes.setdefault(target.group(1), []).append(statement.source)
        names, seen, behind = [name], set(), []
        while names:
            current = names.pop()
            if current in seen:
                continue
            seen.add(current)
            names += aliases.get(current, [])
            for source in writes.get(current, ()):
                behind.append(source)
                names += re.findall(r"\b[xv]\d+\b", source)
        return seen, behind

    def aliases(self):
        """{name: the names made from it that are it or a view of it} (``v5 = v2.fill_(...)``,
        ``v3 = v2.mT``, ``v4 = v2[0]``)."""
        aliases = {}
        for statement in self.statements:
            alias = re.match(r"(\w+) = (\w+)(?:\.\w+_\(|\.mT\b|\.T\b|\[|\.(?:view|transpose|permute|squeeze|"
                             r"unsqueeze|narrow|select|expand|diagonal|unflatten|movedim)\()", statement.source)
            if alias:
                aliases.setdefault(alias.group(2), []).append(alias.group(1))
        return aliases

    def written(self):
        """The names whose tensor an in-place statement writes (``v %= x``, ``v[...] = x``,
        ``v.add_(x)``), with every name that shares it: a view of it, what it is a view of."""
        return set().union(*self._writes())

    def written_once(self, name):
        """Does one in-place statement alone write ``name``'s tensor, which no other name shares
        (then its retained gradient is that of the write's result)?"""
        writes = self._writes()
        return sum(name in group for group in writes) == 1 and {name} in writes

    def overwritten_whole(self, name):
        """Is ``name``'s one write ``name[...] = value``, all of it (its gradient before is then 0)?"""
        return self.written_once(name) and any(statement.source.startswith(f"{name}[...] = ")
                                               for statement in self.statements)

    def _writes(self):
        """For each in-place statement, the names that share the tensor it writes."""
        groups = {}
        for base, views in self.aliases().items():
            group = set().union([base, *views], *(groups.get(name, {name}) for name in [base, *views]))
            groups.update(dict.fromkeys(group, group))
        writes = []
        for statement in self.statements:
            in_place = re.match(r"(\w+)(?: = \w+\.\w+_\(|\[.*\] = | \S+= )", statement.source)
            if in_place:
                writes.append(set(groups.get(in_place.group(1), {in_place.group(1)})))
        return writes

    def reproduction(self, note=""):
        """A script a developer can paste: the program as a function of the library."""
        body = "\n".join("    " + s.source for s in self.statements)
        grads = ", ".join(f"{name}.grad" for name in self.leaves)
        loss = f"    {self.loss}\n    loss.backward()\n" if self.loss else ""
        returned = ", ".join(self.outputs + ([grads] if self.leaves and self.loss else []))
        return (f"# fuzz seed {self.seed}{': ' + note if note else ''}\n"
                "import torch\nimport minigrad\n"
                "nan, inf = float('nan'), float('inf')\n\n\n"
                "def program(lib):\n"
                "    F = lib.nn.functional\n"
                f"{body}\n{loss}    return [{returned}]\n\n\n"
                "for lib in (torch, minigrad):\n"
                "    try:\n        print(lib.__name__, program(lib))\n"
                "    except Exception as error:\n"
                "        print(lib.__name__, type(error).__name__, error)\n")


def namespace(lib):
    return {"lib": lib, "F": lib.nn.functional, "nan": math.nan, "inf": math.inf}


def literal(value):
    """Python source for a float or int, NaN and infinities by name."""
    if isinstance(value, (bool, numpy.bool_)):
        return repr(bool(value))
    if isinstance(value, (int, numpy.integer)):
        return repr(int(value))
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(value)


def nested(array):
    array = numpy.asarray(array)
    if array.ndim == 0:
        return literal(array.item())
    return "[" + ", ".join(nested(row) for row in array) + "]"


class Generator:
    """Builds one program from ``seed``."""

    def __init__(self, seed, index_writes=False, layers=False, surface=False):
        self.seed = seed
        self.index_writes, self.layers, self.surface = index_writes, layers, surface
        self.rng = numpy.random.default_rng(seed)
        self.ns = namespace(torch)
        self.statements = []
        self.names = []       # tensor-valued names, in order of creation
        self.leaves = []
        self.counter = 0

    # ---- random pieces -------------------------------------------------
    def choice(self, items, p=None):
        return items[self.rng.choice(len(items), p=p)]

    def chance(self, probability):
        return self.rng.random() < probability

    def dtype(self, floating=False):
        if floating:
            return self.choice(FLOATS, p=[0.1, 0.3, 0.6])
        return self.choice(DTYPES, p=DTYPE_WEIGHTS / DTYPE_WEIGHTS.sum())

    def shape(self, ndim=None):
        if ndim is None:
            ndim = int(self.choice([0, 1, 2, 3, 4], p=[0.12, 0.3, 0.33, 0.2, 0.05]))
        sizes = [0, 1, 2, 3, 4, 5]
        return tuple(int(self.choice(sizes, p=[0.05, 0.2, 0.3, 0.25, 0.12, 0.08])) for _ in range(ndim))

    def values(self, dtype, shape):
        size = int(numpy.prod(shape, dtype=numpy.int64))
        rng = self.rng
        if dtype == "bool":
            flat = rng.random(size) < 0.5
        elif dtype in FLOATS:
            scale = self.choice([1.0, 1.0, 3.0, 100.0])
            flat = numpy.round(rng.normal(0, scale, size), int(self.choice([1, 3, 6])))
            if self.chance(0.35):   # sprinkle special values
                specials = SPECIALS[dtype]
                for i in range(size):
                    if rng.random() < 0.2:
                        flat[i] = specials[rng.integers(len(specials))]
        else:
            info = numpy.iinfo(dtype)
            low, high = (0, 10) if dtype == "uint8" else (-6, 7)
            flat = rng.integers(low, high, size)
            if self.chance(0.25):
                edges = [0, info.min, info.max, info.max - 1] + ([2 ** 53 + 1, -2 ** 60 - 3] if dtype == "int64" else [])
                flat = flat.astype(object)
                for i in range(size):
                    if rng.random() < 0.25:
                        flat[i] = edges[rng.integers(len(edges))]
        return numpy.array(list(flat), dtype=object).reshape(shape) if size else None

    def scalar(self, kind=None):
        kind = kind or self.choice(["int", "float", "bool", "special", "negint"], p=[0.3, 0.35, 0.05, 0.15, 0.15])
        if kind == "int":
            return str(int(self.rng.integers(0, 5)))
        if kind == "negint":
            return str(int(self.choice([-1, -2, -3, -200])))
        if kind == "bool":
            return self.choice(["True", "False"])
        if kind == "special":
            return self.choice(["0.0", "-0.0", "inf", "-inf", "nan", "1e300", "1e-300"])
        return repr(float(numpy.round(self.rng.normal(0, 2), 2)))

    # ---- program state ---------------------------------------------------
    def fresh(self, prefix="v"):
        name = f"{prefix}{self.counter}"
        self.counter += 1
        return name

    def value(self, name):
        return self.ns[name]

    def tensors(self, predicate=lambda t: True):
        return [n for n in self.names if isinstance(self.ns.get(n), torch.Tensor) and predicate(self.ns[n])]

    def pick(self, predicate=lambda t: True):
        names = self.tensors(predicate)
        if not names:
            return None
        # favour recent results, so programs chain
        weights = numpy.arange(1, len(names) + 1, dtype=float) ** 1.5
        return names[self.rng.choice(len(names), p=weights / weights.sum())]

    def run(self, source):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(source, self.ns)

    def leaf(self, dtype=None, shape=None, requires_grad=None, prefix="x"):
        """Source for a new input tensor; run it and return its name."""
        dtype = dtype or self.dtype()
        shape = self.shape() if shape is None else tuple(shape)
        if requires_grad is None:
            requires_grad = dtype in FLOATS and self.chance(0.75)
        name = self.fresh(prefix)
        grad = ", requires_grad=True" if requires_grad else ""
        data = self.values(dtype, shape)
        if data is None:
            source = f"{name} = lib.zeros({shape}, dtype=lib.{dtype}{grad})"
        else:
            source = f"{name} = lib.tensor({nested(data)}, dtype=lib.{dtype}{grad})"
        self.run(source)
        self.statements.append(Statement(source, "leaf"))
        self.names.append(name)
        if requires_grad:
            self.leaves.append(name)
        return name

    def index_leaf(self, high, shape, allow_bad=True):
        """An int64 tensor of indices in [-high, high) (sometimes one out of range)."""
        name = self.fresh("i")
        size = int(numpy.prod(shape, dtype=numpy.int64))
        if high <= 0:
            data = numpy.zeros(size, dtype=numpy.int64)
        else:
            data = self.rng.integers(0 if self.chance(0.7) else -high, high, size)
        if allow_bad and size and self.chance(0.04):
            data[self.rng.integers(size)] = high + int(self.rng.integers(0, 3))
        if size:
            source = f"{name} = lib.tensor({nested(data.reshape(shape))})"
        else:
            source = f"{name} = lib.zeros({tuple(shape)}, dtype=lib.int64)"
        self.run(source)
        self.statements.append(Statement(source, "leaf"))
        return name

    def broadcastable_shape(self, shape):
        shape = list(shape)
        if self.chance(0.3) and shape:
            shape = shape[int(self.rng.integers(0, len(shape) + 1)):]
        shape = [1 if self.chance(0.25) else s for s in shape]
        if self.chance(0.15):
            shape = [int(self.choice([1, 2]))] + shape
        return tuple(shape)

    def operand(self, like):
        """The second operand of a binary op: a Python scalar, a tensor in the program, or a new one."""
        roll = self.rng.random()
        if roll < 0.3:
            return self.scalar()
        if roll < 0.5:
            other = self.pick()
            if other is not None:
                return other
        return self.leaf(shape=self.broadcastable_shape(self.value(like).shape))

    def dim(self, tensor, allow_none=False):
        ndim = max(tensor.dim(), 1) if tensor.dim() else 1
        if allow_none and self.chance(0.3):
            return None
        d = int(self.rng.integers(-ndim, ndim))
        if tensor.dim() == 0:
            d = int(self.choice([0, -1]))
        return d

    # ---- the program -----------------------------------------------------
    def build(self):
        from templates import (INDEX_WRITE_WEIGHT, LAYER_WEIGHT, SURFACE_WEIGHT, TEMPLATE_WEIGHTS, TEMPLATES,
                               index_write, layer, surface)
        if self.index_writes:
            TEMPLATES, TEMPLATE_WEIGHTS = TEMPLATES + [index_write], TEMPLATE_WEIGHTS + [INDEX_WRITE_WEIGHT]
        if self.layers:
            TEMPLATES, TEMPLATE_WEIGHTS = TEMPLATES + [layer], TEMPLATE_WEIGHTS + [LAYER_WEIGHT]
        if self.surface:
            TEMPLATES, TEMPLATE_WEIGHTS = TEMPLATES + [surface], TEMPLATE_WEIGHTS + [SURFACE_WEIGHT]
        for _ in range(int(self.rng.integers(1, 3))):
            self.leaf()
        target = int(self.rng.integers(3, 9))
        ops = 0
        attempts = 0
        ended_in_error = False
        weights = numpy.array(TEMPLATE_WEIGHTS, dtype=float)
        while ops < target and attempts < 40:
            attempts += 1
            template = TEMPLATES[self.rng.choice(len(TEMPLATES), p=weights / weights.sum())]
            mark = (len(self.statements), list(self.names), list(self.leaves))
            try:
                made = template(self)
            except Exception:   # a leaf the template needed was rejected by torch: try another
                made = None
            if made is None:
                del self.statements[mark[0]:]
                self.names, self.leaves = mark[1], mark[2]
                continue
            tag, source, result = made
            try:
                self.run(source)
            except Exception:
                if self.chance(0.12):   # keep some errors: both libraries must raise alike
                    self.statements.append(Statement(source, tag))
                    ended_in_error = True
                    break
                del self.statements[mark[0]:]
                self.names, self.leaves = mark[1], mark[2]
                continue
            self.statements.append(Statement(source, tag))
            if result is not None:
                self.names.append(result)
            ops += 1
        outputs = [n for n in self.names if n not in self.leaves]
        loss = None
        if not ended_in_error:
            loss = self.loss_statement(outputs)
        return Program(self.seed, self.statements, outputs or list(self.names), loss,
                       list(self.leaves) if loss else [])

    def loss_statement(self, outputs):
        """A random weighting of (up to two) outputs that require grad, summed to one number."""
        candidates = [n for n in outputs if isinstance(self.ns.get(n), torch.Tensor)
                      and self.ns[n].requires_grad and self.ns[n].is_floating_point()]
        if not candidates or not self.leaves:
            return None
        chosen = candidates[-1:] + ([self.choice(candidates)] if len(candidates) > 1 and self.chance(0.5) else [])
        terms = []
        for name in dict.fromkeys(chosen):
            shape = tuple(self.ns[name].shape)
            weight = numpy.asarray(numpy.round(self.rng.normal(0, 1, shape), 3))
            if weight.size == 0:
                terms.append(f"{name}.double().sum()")
            else:
                terms.append(f"({name}.double() * lib.tensor({nested(weight.astype(object))}, dtype=lib.float64)).sum()")
        return "loss = " + " + ".join(terms)


def generate(seed, index_writes=False, layers=False, surface=False):
    """The program of ``seed``; ``index_writes``, ``layers``, ``surface``: with the ``index_write``,
    ``layer``, ``surface`` template too."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Generator(seed, index_writes, layers, surface).build()
