"""Run one fuzz program in torch and in minigrad and list where they disagree.

Compared, in this order: errors (both raise at the same statement with the same
type and the same message modulo ``torch.``/``minigrad.``; one raising alone is a
mismatch), then every named result (shape, dtype, requires_grad, values NaN-aware
at a tolerance for its dtype), then the gradient of every leaf (and of every
intermediate result, through ``retain_grad``) under a random weighting of the
outputs.

float32 and float16 programs round at every op, and torch's vectorised kernels (Sleef, its
own reductions) round differently from NumPy's in the last bit; a later op can blow such a
bit up (a cancelling difference, a floor, a comparison).  So a value or gradient that differs
beyond the tolerance is looked at twice more, and reported as a ``rounding`` mismatch, which
known.py lists and counts and never fails on, where either holds:

* every op behind the value, run in torch on the inputs minigrad had there, gives minigrad's
  result to 8 ulps (``ops_agreeing``): each op matches, the difference came in below the
  tolerance and grew;
* against a float64 reference, the same program run in torch with its float32/float16 inputs,
  modules and conversions carried on in float64 (``in_float64``), minigrad's error is no
  larger than torch's plus the tolerance of the lowest precision the value was computed from
  (``rounding_only``); NaN, infinities and their signs, and integer results that torch gets
  right, are never excused by this rule.
"""
from __future__ import annotations

import dataclasses
import re
import warnings

import numpy
import torch

import minigrad
from programs import namespace

# (rtol, atol) per dtype: looser than the op tests' because a program chains up to 8 ops,
# and the two libraries may sum in another order
TOLERANCE = {"float64": (1e-7, 1e-9), "float32": (1e-4, 1e-5), "float16": (1e-2, 1e-2)}
# one op on the same inputs (``ops_agreeing``): a few units in the last place
ONE_OP_TOLERANCE = {name: (8 * float(numpy.finfo(name).eps),) * 2 for name in TOLERANCE}


@dataclasses.dataclass
class Mismatch:
    kind: str        # error-only-torch, error-only-minigrad, error-type, error-message, shape, dtype, ...
    tag: str         # the op where it shows (e.g. "binary://"), used to group mismatches into classes
    detail: str

    @property
    def area(self):
        return self.tag.split(":")[0]

    @property
    def key(self):
        return f"{self.kind} @ {self.tag}"


@dataclasses.dataclass
class Outcome:
    error: tuple | None = None          # (statement index, type name, message)
    values: dict = dataclasses.field(default_factory=dict)
    grads: dict = dataclasses.field(default_factory=dict)


# minigrad's own additions to torch's messages, stripped before comparing: the Embedding
# index error names the index and the table size after torch's words
MINIGRAD_ADDITIONS = [re.compile(r"(?<=^index out of range in self): index -?\d+ is not in \[0, \d+\) "
                                 r"\(num_embeddings=\d+\)$")]


def normalized(message):
    """A message as compared: ``minigrad.`` spelled ``torch.``, torch's anomaly-mode hint left out
    (minigrad has no anomaly mode, on purpose), minigrad's documented additions left out."""
    text = str(message).replace("minigrad.", "torch.").split(" Hint: enable anomaly detection")[0]
    for addition in MINIGRAD_ADDITIONS:
        text = addition.sub("", text)
    return text


def _snapshot(value):
    if isinstance(value, (torch.Tensor, minigrad.Tensor)):
        array = numpy.asarray(value.detach().cpu() if isinstance(value, torch.Tensor) else value.detach().numpy())
        return ("tensor", tuple(value.shape), normalized(value.dtype), bool(value.requires_grad), array.copy())
    if isinstance(value, (tuple, list)):
        return ("sequence", tuple(_snapshot(v) for v in value))
    return ("other", normalized(repr(value)))


def execute(program, lib):
    outcome = Outcome()
    ns = namespace(lib)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for index, statement in enumerate(program.statements):
            try:
                exec(statement.source, ns)
            except Exception as error:
                outcome.error = (index, type(error).__name__, normalized(error))
                return outcome
        for name in program.outputs:
            outcome.values[name] = _snapshot(ns[name])
        if not program.loss:
            return outcome
        tensors = {n: ns[n] for n in program.outputs + program.leaves if hasattr(ns.get(n), "requires_grad")}
        try:
            for name, value in tensors.items():
                if value.requires_grad and not value.is_leaf:
                    value.retain_grad()
            exec(program.loss, ns)
            ns["loss"].backward()
        except Exception as error:
            outcome.error = (len(program.statements), type(error).__name__, normalized(error))
            return outcome
        for name, value in tensors.items():
            if value.requires_grad:
                outcome.grads[name] = None if value.grad is None else _snapshot(value.grad)
    return outcome


def _compare_arrays(mine, theirs, dtype, tolerance=TOLERANCE):
    """None if equal at the dtype's tolerance, else a short description."""
    if mine.shape != theirs.shape:
        return f"shape {mine.shape} vs torch {theirs.shape}"
    if theirs.dtype.kind != "f":
        if mine.dtype.kind == "f" or not numpy.array_equal(mine, theirs):
            return f"values {_brief(mine)} vs torch {_brief(theirs)}"
        return None
    with numpy.errstate(invalid="ignore"):
        mine = mine.astype(numpy.float64)
        theirs = theirs.astype(numpy.float64)
    nan_mine, nan_theirs = numpy.isnan(mine), numpy.isnan(theirs)
    if not numpy.array_equal(nan_mine, nan_theirs):
        return f"NaN positions: {_brief(mine)} vs torch {_brief(theirs)}"
    finite = numpy.isfinite(theirs)
    if not numpy.array_equal(mine[~finite & ~nan_theirs], theirs[~finite & ~nan_theirs]):
        return f"infinities: {_brief(mine)} vs torch {_brief(theirs)}"
    rtol, atol = tolerance.get(dtype.replace("torch.", ""), (1e-7, 1e-9))
    a, b = mine[finite], theirs[finite]
    scale = max(1.0, float(numpy.abs(b).max())) if b.size else 1.0
    with numpy.errstate(all="ignore"):
        bad = ~(numpy.abs(a - b) <= atol * scale + rtol * numpy.abs(b))
    if bad.any():
        return f"values {_brief(mine)} vs torch {_brief(theirs)}"
    return None


def _brief(array):
    text = numpy.array2string(numpy.asarray(array), precision=6, threshold=12, edgeitems=3)
    return text.replace("\n", " ")


def rounding_only(mine, theirs, reference, dtype, computed_in="float64"):
    """Do minigrad's and torch's arrays differ only where both are finite (or integers), and
    there by no more than torch's own distance from the float64 ``reference`` plus the tolerance
    of the lowest precision the value was ``computed_in``?  (Then the difference is float32/float16
    rounding, not a bug: a float64 value computed from float32 ones carries float32's rounding.)"""
    if reference is None or not (mine.shape == theirs.shape == reference.shape):
        return False
    mine, theirs, reference = (numpy.asarray(array, dtype=numpy.float64) for array in (mine, theirs, reference))
    both_finite = numpy.isfinite(mine) & numpy.isfinite(theirs)
    same = (mine == theirs) | (numpy.isnan(mine) & numpy.isnan(theirs))
    if not (same | both_finite).all():
        return False                                  # NaN or an infinity where the other has none
    rtol, atol = (0.0, 0.0)                            # integers: no closer than torch's
    if "float" in dtype:
        rtol, atol = TOLERANCE[lowest_precision([dtype, computed_in])]
    scale = max(1.0, float(numpy.abs(theirs[both_finite]).max())) if both_finite.any() else 1.0
    with numpy.errstate(all="ignore"):
        allowed = numpy.abs(theirs - reference) + atol * scale + rtol * numpy.abs(reference)
        return bool((same | (numpy.isfinite(reference) & (numpy.abs(mine - reference) <= allowed))).all())


def lowest_precision(dtypes):
    """The lowest float precision among ``dtypes`` (names, ``torch.`` or not): float64 if none is lower."""
    names = {str(dtype).replace("torch.", "") for dtype in dtypes}
    return next((name for name in ("float16", "float32") if name in names), "float64")


def _dtypes(snapshot):
    if snapshot is None or snapshot[0] == "other":
        return []
    if snapshot[0] == "sequence":
        return [dtype for item in snapshot[1] for dtype in _dtypes(item)]
    return [snapshot[2]]


def _compare_snapshots(mine, theirs, reference=None, computed_in="float64", tolerance=TOLERANCE):
    """(kind, detail) of the first difference, (None, None) if none; kind ``rounding`` when the
    tensor differs only as ``rounding_only`` allows against ``reference``'s snapshot."""
    if mine[0] != theirs[0]:
        return "kind", f"{mine[0]} vs torch {theirs[0]}"
    if mine[0] == "other":
        return (None, None) if mine[1] == theirs[1] else ("value", f"{mine[1]} vs torch {theirs[1]}")
    if mine[0] == "sequence":
        if len(mine[1]) != len(theirs[1]):
            return "length", f"{len(mine[1])} vs torch {len(theirs[1])}"
        references = reference[1] if reference is not None and reference[0] == "sequence" \
            and len(reference[1]) == len(theirs[1]) else [None] * len(theirs[1])
        rounded = (None, None)
        for a, b, r in zip(mine[1], theirs[1], references):
            kind, detail = _compare_snapshots(a, b, r, computed_in, tolerance)
            if kind == "rounding":
                rounded = rounded if rounded[0] else (kind, detail)
            elif kind:
                return kind, detail
        return rounded
    _, shape, dtype, requires_grad, array = mine
    _, their_shape, their_dtype, their_requires_grad, their_array = theirs
    if shape != their_shape:
        return "shape", f"{shape} vs torch {their_shape}"
    if dtype != their_dtype:
        return "dtype", f"{dtype} vs torch {their_dtype}"
    if requires_grad != their_requires_grad:
        return "requires_grad", f"{requires_grad} vs torch {their_requires_grad}"
    detail = _compare_arrays(array, their_array, their_dtype, tolerance)
    if detail and reference is not None and reference[0] == "tensor" and \
            rounding_only(array, their_array, reference[4], their_dtype, computed_in):
        return "rounding", detail
    return ("value", detail) if detail else (None, None)


def _creator(program, name):
    pattern = re.compile(rf"^{re.escape(name)} = ")
    for index, statement in enumerate(program.statements):
        if pattern.match(statement.source):
            return index
    return -1


def _first_user(program, name):
    """The tag of the first statement after ``name``'s creation that reads it."""
    start = _creator(program, name)
    pattern = re.compile(rf"\b{re.escape(name)}\b")
    for statement in program.statements[start + 1:]:
        if pattern.search(statement.source):
            return statement.tag
    return program.statements[start].tag if start >= 0 else "loss"


def compare(program, mine, theirs, reference=None, agreeing=frozenset()):
    """The mismatches between minigrad's outcome ``mine`` and torch's ``theirs`` (at most one).
    Differences that are rounding only give a ``rounding`` mismatch, and only where nothing else
    differs: against torch's float64 ``reference`` outcome (``rounding_only``), or, for a value,
    where it is among the names ``agreeing`` (``ops_agreeing``)."""
    tags = program.tags + ["backward"]
    if mine.error or theirs.error:
        if not theirs.error:
            index = mine.error[0]
            return Mismatch("error-only-minigrad", tags[index], f"{mine.error[1]}: {mine.error[2]}")
        if not mine.error:
            index = theirs.error[0]
            return Mismatch("error-only-torch", tags[index], f"torch raised {theirs.error[1]}: {theirs.error[2]}")
        if mine.error[0] != theirs.error[0]:
            first = min(mine.error[0], theirs.error[0])
            return Mismatch("error-at-other-statement", tags[first],
                            f"minigrad at {mine.error[0]} {mine.error[1]}: {mine.error[2]}; "
                            f"torch at {theirs.error[0]} {theirs.error[1]}: {theirs.error[2]}")
        if mine.error[1] != theirs.error[1]:
            return Mismatch("error-type", tags[mine.error[0]],
                            f"{mine.error[1]}: {mine.error[2]} vs torch {theirs.error[1]}: {theirs.error[2]}")
        if mine.error[2] != theirs.error[2]:
            return Mismatch("error-message", tags[mine.error[0]],
                            f"{mine.error[2]!r} vs torch {theirs.error[2]!r}")
        return None
    references = reference.values if reference is not None else {}
    rounded = None
    for name in theirs.values:   # in creation order: the first difference names the op
        behind = program.behind(name)[0] if name in references else ()
        kind, detail = _compare_snapshots(mine.values[name], theirs.values[name], references.get(name),
                                          lowest_precision(d for n in behind for d in _dtypes(theirs.values.get(n))))
        if kind == "value" and name in agreeing:
            kind = "rounding"
        if kind == "rounding":
            rounded = rounded or Mismatch(kind, tags[_creator(program, name)], f"{name}: {detail}")
        elif kind:
            return Mismatch(kind, tags[_creator(program, name)], f"{name}: {detail}")
    references = reference.grads if reference is not None else {}
    # a gradient goes back through every op after its tensor: the program's lowest precision
    program_precision = lowest_precision(d for value in theirs.values.values() for d in _dtypes(value))
    differing, rounded_grads = [], []
    for name in set(theirs.grads) | set(mine.grads):
        a, b = mine.grads.get(name, "absent"), theirs.grads.get(name, "absent")
        if (a is None) != (b is None) or a == "absent" or b == "absent":
            differing.append((name, f"grad {'None' if a is None else 'set'} vs torch {'None' if b is None else 'set'}"))
            continue
        if a is None:
            continue
        kind, detail = _compare_snapshots(a, b, references.get(name), program_precision)
        if kind:
            (rounded_grads if kind == "rounding" else differing).append((name, f"{kind} {detail}"))
    for kind, found in (("grad", differing), ("rounding", [] if rounded else rounded_grads)):
        if found:
            # the culprit is where the gradient first goes wrong, walking back from the loss:
            # the op that reads the latest-created tensor whose gradient differs
            name, detail = max(found, key=lambda item: _creator(program, item[0]))
            return Mismatch(kind, _first_user(program, name), f"{name}.grad: {detail}")
    return rounded


# ---- the float64 reference ---------------------------------------------------------------------
_LOW_PRECISION_DTYPE = re.compile(r"dtype=lib\.(float32|float16)(, requires_grad=True)?\)")
_LOW_PRECISION_CONVERSION = re.compile(r"\.(?:float|half)\(\)|\.to\(lib\.float(?:32|16)\)")


def in_float64(program):
    """``program`` carried on in float64 after every rounding it asks for: a float32/float16
    input is made in its dtype (its literals rounded so) then converted, a module made in float32
    is converted, a ``.float()``/``.half()``/``.to(...)`` rounds then converts back; run with
    float64 as torch's default dtype (for integer division and the like)."""
    def made_then_converted(match):
        return f"dtype=lib.{match.group(1)}).double()" + (".requires_grad_()" if match.group(2) else "")
    statements = []
    for statement in program.statements:
        source = _LOW_PRECISION_DTYPE.sub(made_then_converted, statement.source)
        source = _LOW_PRECISION_CONVERSION.sub(lambda match: match.group(0) + ".double()", source)
        statements.append(dataclasses.replace(statement, source=source))
    return dataclasses.replace(program, statements=statements)


def float64_reference(program):
    """torch's outcome of ``in_float64(program)``."""
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        return execute(in_float64(program), torch)
    finally:
        torch.set_default_dtype(default)


def _as_torch(value):
    """A minigrad value as torch's: a tensor's values and dtype (no history), sequences of them."""
    if isinstance(value, minigrad.Tensor):
        return torch.from_numpy(numpy.array(value.detach().numpy(), copy=True))
    if isinstance(value, (tuple, list)):
        return type(value)(_as_torch(item) for item in value)
    return value


def _values(value):
    """``_snapshot`` without ``requires_grad`` (torch's side ran on inputs with no history)."""
    snapshot = _snapshot(value)
    if snapshot[0] == "tensor":
        return snapshot[:3] + (False,) + snapshot[4:]
    if snapshot[0] == "sequence":
        return ("sequence", tuple(item[:3] + (False,) + item[4:] if item[0] == "tensor" else item
                                  for item in snapshot[1]))
    return snapshot


def ops_agreeing(program):
    """The names whose every op (each statement in ``program.behind``) gives, run in torch on the
    inputs minigrad had there, minigrad's result to a few units in the last place: where such a name's final values
    differ, the difference came in below the tolerance and a later op magnified it (the sine of a
    float32 sum that rounded otherwise), which is rounding, not a wrong op."""
    ns, agreeing_statements = namespace(minigrad), set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for statement in program.statements:
            theirs = namespace(torch)
            theirs.update({name: _as_torch(ns[name]) for name in re.findall(r"\b[xvi]\d+\b", statement.source)
                           if name in ns})
            try:
                exec(statement.source, ns)
                exec(statement.source, theirs)
            except Exception:
                break
            target = re.match(r"(\w+)\b[^=]*=", statement.source).group(1)
            if target in ns and target in theirs and \
                    _compare_snapshots(_values(ns[target]), _values(theirs[target]), tolerance=ONE_OP_TOLERANCE)[0] is None:
                agreeing_statements.add(statement.source)
    return {name for name in program.outputs
            if all(source in agreeing_statements for source in program.behind(name)[1])}


def check(program):
    """(mismatch or None, torch's outcome, minigrad's outcome)."""
    theirs = execute(program, torch)
    try:
        mine = execute(program, minigrad)
    except Exception as error:   # something outside the statements broke: report, never crash the run
        return Mismatch("harness", "harness", f"{type(error).__name__}: {error}"), theirs, None
    mismatch = compare(program, mine, theirs)
    if mismatch is not None and mismatch.kind in ("value", "grad"):   # rounding, or a real difference?
        reference = float64_reference(program)
        mismatch = compare(program, mine, theirs, None if reference.error else reference, ops_agreeing(program))
    return mismatch, theirs, mine
