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
beyond the tolerance (or a shape: a unique that counts a value more) is looked at twice more, and
reported as a ``rounding`` mismatch, which
known.py lists and counts and never fails on, where either holds:

* every op behind the value, run in torch on the inputs minigrad had there, gives minigrad's
  result to 8 ulps (``ops_agreeing``): each op matches, the difference came in below the
  tolerance and grew (also into an error only one library raises, or words otherwise, where torch
  raises minigrad's error on minigrad's inputs: ``error_agreeing``);
* against a float64 reference, the same program run in torch with its float32/float16 inputs,
  modules and conversions carried on in float64 (``in_float64``), minigrad's error is no
  larger than torch's plus the tolerance of the lowest precision the value was computed from
  (``rounding_only``); NaN, infinities and their signs, and integer results that torch gets
  right, are never excused by this rule.

A sum's result depends on the order of its additions and on whether a multiply is fused with
its add, which IEEE 754 leaves to the implementation (torch's MKL and vectorised reductions,
NumPy's OpenBLAS and pairwise sums choose differently): by up to (n - 1) eps/2 of the sum of its
terms' magnitudes, far more than an ulp of the result where terms cancel, and between inf, -inf,
NaN and a finite value where its positive or negative terms alone overflow.  Such a difference is
reported as ``order``, which known.py lists and never fails on, where every op behind the value,
run in torch on minigrad's inputs, gives minigrad's result to 8 ulps, or, for a summing op, within
those limits (``order_dependent``); for a gradient, where every op's backward, run in torch on
minigrad's values and minigrad's gradient of its result, gives minigrad's gradient so
(``backward_agreeing``).
"""
from __future__ import annotations

import dataclasses
import functools
import math
import re
import warnings

import numpy
import torch

import minigrad
from programs import Statement, namespace

# (rtol, atol) per dtype: looser than the op tests' because a program chains up to 8 ops,
# and the two libraries may sum in another order
TOLERANCE = {"float64": (1e-7, 1e-9), "float32": (1e-4, 1e-5), "float16": (1e-2, 1e-2)}
# one op on the same inputs (``ops_agreeing``): a few units in the last place
ONE_OP_TOLERANCE = {name: (8 * float(numpy.finfo(name).eps),) * 2 for name in TOLERANCE}
# bit for bit
EXACT = dict.fromkeys(TOLERANCE, (0.0, 0.0))


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
    nodes: dict = dataclasses.field(default_factory=dict)    # each output's grad_fn name, read last
    warning: tuple | None = None        # (statement index, message) of the first RuntimeWarning a user sees


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
        if isinstance(value, torch.Tensor) and value._is_zerotensor():
            # torch's ZeroTensor gradients (sgn's) refuse .numpy(), and numpy(force=True) crashed on one
            array = numpy.zeros(tuple(value.shape), dtype=torch.empty(0, dtype=value.dtype).numpy().dtype)
        else:
            array = numpy.asarray(value.detach().cpu() if isinstance(value, torch.Tensor) else value.detach().numpy())
        return ("tensor", tuple(value.shape), normalized(value.dtype), bool(value.requires_grad), array.copy())
    if isinstance(value, (tuple, list)):
        return ("sequence", tuple(_snapshot(v) for v in value))
    return ("other", normalized(repr(value)))


def _node_names(value):
    """The name of ``value``'s ``grad_fn`` (None for none; a tuple for a sequence); reading it makes a
    stale view's node anew, which may raise: then the error's type."""
    if isinstance(value, (tuple, list)):
        return tuple(_node_names(item) for item in value)
    if not isinstance(value, (torch.Tensor, minigrad.Tensor)):
        return None
    try:
        node = value.grad_fn
    except Exception as error:
        return f"error: {type(error).__name__}"
    return None if node is None else node.name()


def execute(program, lib, extra=None):
    """The program's ``Outcome`` in ``lib``; ``extra``: more names for its statements to read."""
    outcome = Outcome()
    ns = namespace(lib)
    ns.update(extra or {})
    with warnings.catch_warnings(record=True) as caught:
        # the RuntimeWarnings a user would see (NumPy's, past the filter ``import minigrad`` sets on its
        # modules): torch computes inf and NaN silently
        warnings.simplefilter("ignore")
        warnings.filterwarnings("always", category=RuntimeWarning)
        warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"minigrad(\.|$)")
        for index, statement in enumerate(program.statements):
            try:
                exec(statement.source, ns)
            except Exception as error:
                outcome.error = (index, type(error).__name__, normalized(error))
                return outcome
            _note_warning(outcome, caught, index)
        for name in program.outputs:
            outcome.values[name] = _snapshot(ns[name])
        if not program.loss:
            outcome.nodes = {name: _node_names(ns[name]) for name in program.outputs}
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
        _note_warning(outcome, caught, len(program.statements))
        for name, value in tensors.items():
            if value.requires_grad:
                outcome.grads[name] = None if value.grad is None else _snapshot(value.grad)
    outcome.nodes = {name: _node_names(ns[name]) for name in program.outputs}     # (after backward: no
    return outcome                                                                  # node read before it)


def _note_warning(outcome, caught, index):
    """The first RuntimeWarning recorded (at statement ``index``), if none was noted before."""
    if outcome.warning is None:
        for warning in caught:
            if issubclass(warning.category, RuntimeWarning):
                outcome.warning = (index, f"{warning.filename.split('site-packages/')[-1]}: {warning.message}")
                break
    caught.clear()


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
        torchs_error = numpy.abs(theirs - reference)
        allowed = torchs_error + atol * scale + rtol * numpy.abs(reference)
        # a float value that cancels to below torch's own noise on this tensor (its largest error here,
        # where that is rounding's size: up to the square root of the dtype's eps, scaled) is that noise
        # in both: a float32 gradient that sums terms of 1 to a true 1e-14 is 3e-5 in torch, -5e-5 in
        # minigrad (fuzz seed 31745832); a value above that noise keeps its own allowance, and an error
        # of torch's past rounding's size (a listed torch bug's wrong values) widens nothing
        measured = numpy.isfinite(reference) & both_finite
        noise = float(torchs_error[measured].max()) if measured.any() and "float" in dtype else 0.0
        if noise <= math.sqrt(numpy.finfo(lowest_precision([dtype, computed_in])).eps) * scale:
            allowed = numpy.where(numpy.abs(reference) <= noise, numpy.maximum(allowed, noise + atol * scale),
                                  allowed)
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


def compare(program, mine, theirs, reference=None, agreeing=None, grads_agreeing=None):
    """The mismatches between minigrad's outcome ``mine`` and torch's ``theirs`` (at most one).
    Differences that are rounding only give a ``rounding`` mismatch, and only where nothing else
    differs: against torch's float64 ``reference`` outcome (``rounding_only``), or, for a value,
    where it is among the names ``agreeing`` (``ops_agreeing``), for a gradient, among
    ``grads_agreeing`` (``backward_agreeing``); ``order`` where a sum's order decides."""
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
    if mine.warning and not theirs.warning:
        return Mismatch("warning", tags[mine.warning[0]], mine.warning[1])
    references = reference.values if reference is not None else {}
    agreeing = agreeing or {}
    rounded, value_kinds = None, {}
    for name in theirs.values:   # in creation order: the first difference names the op
        behind = program.behind(name)[0] if name in references else ()
        kind, detail = _compare_snapshots(mine.values[name], theirs.values[name], references.get(name),
                                          lowest_precision(d for n in behind for d in _dtypes(theirs.values.get(n))))
        if kind in ("value", "shape") and name in agreeing:     # (a unique counting a value fewer)
            kind = agreeing[name]
        if kind in ("rounding", "order"):
            value_kinds[name] = kind
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
            differing.append((name, "grad", f"grad {'None' if a is None else 'set'} vs torch {'None' if b is None else 'set'}"))
            continue
        if a is None:
            continue
        kind, detail = _compare_snapshots(a, b, references.get(name), program_precision)
        if kind == "value" and name in (grads_agreeing or {}):
            kind = grads_agreeing[name]
        if kind == "value" and name in value_kinds and \
                _differs_only_where_values_do(a, b, mine.values[name], theirs.values[name]):
            kind = value_kinds[name]
        elif kind == "value" and _differs_only_where_not_finite(a, b) and any(
                value_kinds[n] in ("order", "rounding") and _differs_where_not_finite(mine.values[n], theirs.values[n])
                for n in value_kinds):
            # an inf or NaN that a sum's order, or an ulp an op agreeing op by op rounded otherwise (the log10
            # of a logsumexp 0.0 in torch, -2.2e-16 here: fuzz seed 50997501), let into a value, spread by
            # the backward
            kind = "order" if any(value_kinds[n] == "order" and _differs_where_not_finite(mine.values[n],
                                                                                          theirs.values[n])
                                  for n in value_kinds) else "rounding"
        if kind:
            (rounded_grads if kind in ("rounding", "order") else differing).append((name, kind, f"{kind} {detail}"))
    for found in (differing, [] if rounded else rounded_grads):
        if found:
            # the culprit is where the gradient first goes wrong, walking back from the loss:
            # the op that reads the latest-created tensor whose gradient differs
            name, kind, detail = max(found, key=lambda item: _creator(program, item[0]))
            kind = "grad" if found is differing else kind
            return Mismatch(kind, _first_user(program, name), f"{name}.grad: {detail}")
    return rounded


def _differs_only_where_values_do(mine_grad, their_grad, mine_value, their_value):
    """Does a tensor's gradient differ only at elements where its value already differs, by rounding
    or a sum's order (``compare``)?  A gradient computed at a value that is NaN in one library and
    -inf in the other (a float64 matmul of inf and 1e308 terms, with a fused multiply-add in one BLAS
    only) differs there too: the difference came in with the value, not in a backward."""
    if any(snapshot[0] != "tensor" for snapshot in (mine_grad, their_grad, mine_value, their_value)) or \
            not mine_grad[4].shape == their_grad[4].shape == mine_value[4].shape == their_value[4].shape:
        return False

    def differing(a, b):
        with numpy.errstate(invalid="ignore", over="ignore"):
            a, b = a.astype(numpy.float64), b.astype(numpy.float64)
            return ~((a == b) | (numpy.isnan(a) & numpy.isnan(b)) | numpy.isclose(a, b, rtol=1e-4, atol=0))
    return bool((differing(mine_grad[4], their_grad[4]) <= differing(mine_value[4], their_value[4])).all())


def _finite_or_not(snapshot):
    """(finite mask, values in float64) of a tensor snapshot, or None for another kind."""
    if snapshot[0] != "tensor":
        return None
    values = snapshot[4].astype(numpy.float64)
    return numpy.isfinite(values), values


def _differs_only_where_not_finite(mine, theirs):
    """Do two tensor snapshots differ (beyond 1e-4) only at elements that are inf or NaN in one of them?"""
    a, b = _finite_or_not(mine), _finite_or_not(theirs)
    if a is None or b is None or a[1].shape != b[1].shape:
        return False
    finite = a[0] & b[0]
    return bool(numpy.isclose(a[1][finite], b[1][finite], rtol=1e-4, atol=0).all())


def _differs_where_not_finite(mine, theirs):
    """Does one tensor snapshot hold an inf or NaN where the other holds another value?"""
    a, b = _finite_or_not(mine), _finite_or_not(theirs)
    if a is None or b is None or a[1].shape != b[1].shape:
        return False
    with numpy.errstate(invalid="ignore"):
        same = (a[1] == b[1]) | (numpy.isnan(a[1]) & numpy.isnan(b[1]))
    return bool((~same & ~(a[0] & b[0])).any())


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
    """A minigrad value as torch's: a tensor's values and dtype (no history), sequences of them; an
    expanded dim (stride 0) stays one, as some of torch's kernels read it otherwise (fuzz seed 458896:
    median along it reads the wrong elements, and its indices, 1 for minigrad's 0, divided by
    themselves, no longer raise)."""
    if isinstance(value, minigrad.Tensor):
        array = value.detach().numpy()
        expanded = {axis for axis, (size, step) in enumerate(zip(array.shape, array.strides)) if step == 0 and size > 1}
        if expanded:
            compact = array[tuple(slice(0, 1) if axis in expanded else slice(None) for axis in range(array.ndim))]
            return torch.from_numpy(numpy.array(compact, copy=True)).expand(array.shape)
        return torch.from_numpy(numpy.array(array, copy=True))
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


# ops whose result is a sum of terms: the number of leading operands each term is a product of
# one element of (linear's bias, a further operand, is added once)
# (a product's backward to an operand it broadcast sums the products of the gradient output and the
# other factor: fuzz seed 275137, eight float32 terms of +-342 that cancel to -1.5e-5 in one order
# and to 0 or -3.1e-5 in others; expand's backward sums the gradient output over the expanded dims:
# fuzz seed 707026, float32 terms 1.5e38, 2.6e38, ... and -inf, -inf in torch's order, NaN where two
# positive ones overflow first; its forward copies, and agrees exactly, so is never bounded so)
SUMMING_OPS = {"reduce:sum": 1, "reduce:mean": 1, "reduce:sumdims": 1, "reduce:cumsum": 1,
               "module:linear": 2, "module:conv1d": 2, "binary:*": 2, "view:expand": 1,
               "surface:nansum": 1, "surface:nanmean": 1}


def _summing(statement):
    """Is ``statement`` a summing op (SUMMING_OPS), a loss that sums or averages its elements'
    losses (any ``loss:`` but ``reduction='none'``), or a var or std (whose mean is a sum)?"""
    return statement.tag in SUMMING_OPS or statement.tag in ("reduce:var", "reduce:std", "module:attention") or statement.tag in NORMALIZATION_CALLS or \
        statement.tag.startswith("loss:") and "reduction='none'" not in statement.source


def _moments_order_dependent(statement, operands):
    """``order_dependent`` of a var or std with one output of a float32 (or float64) tensor: torch's
    ``std_var_all_cpu`` takes the mean in the input's dtype first, a sum in its vectorised order (NumPy's is
    pairwise), which overflows in some orders where the positive or the negative elements alone sum
    past float32's range (fuzz seed 936862: -3e38, -3e38, 3e38 among 24 values, a std of inf in
    torch, 1.1e38 in minigrad); the squared deviations are then summed in float64."""
    expression = statement.source.split(" = ", 1)[1]
    names = re.findall(r"\b[xvi]\d+\b", expression)
    if len(names) != 1 or not isinstance(operands.get(names[0]), torch.Tensor) or \
            operands[names[0]].dtype not in (torch.float32, torch.float64):
        return None
    env = namespace(torch)
    env[names[0]] = operands[names[0]]
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            shape = eval(expression, env).shape
    except (RuntimeError, ValueError, TypeError, IndexError):
        return None
    if shape.numel() != 1:
        return None     # (over some dims: torch's Welford in float64, no float32 mean)
    x = operands[names[0]]
    finfo = torch.finfo(x.dtype)     # (float64's mean in float64: fuzz seed 2935281, 1e308s of both signs)
    overflowing = bool(_positive_part(x, 1).sum() > finfo.max) or bool(_positive_part(x, -1).sum() > finfo.max)
    return numpy.full(tuple(shape), overflowing), numpy.zeros(tuple(shape))


def _moments_grad_order_dependent(statement, operands, grad_of):
    """``order_dependent`` of a var's or std's gradient: ``2 (x - mean) / N`` times the gradient
    output, whose mean is a sum in an order of the library's choosing; where a row's positive or
    negative elements alone sum past the dtype's range it is finite in one order and inf in another
    (fuzz seed 2467482: [0.86, -1e308, -2.4, 1e308, -1e308], torch's mean -inf, NumPy's -2e307, and a
    gradient of 0 times ``x - mean`` NaN in torch, 0 in minigrad).  Overflowing there: every element
    of such a row (the rows found by the same expression with a sum in place of var or std)."""
    expression = statement.source.split(" = ", 1)[1]
    names = re.findall(r"\b[xvi]\d+\b", expression)
    x = operands.get(grad_of)
    if names != [grad_of] or not isinstance(x, torch.Tensor) or not x.is_floating_point():
        return None
    summed = re.sub(r",\s*(?:correction|unbiased)=[^,)]+", "", re.sub(r"\.(?:var|std)\(", ".sum(", expression))
    finfo = torch.finfo(x.dtype)
    overflowing = torch.zeros(x.shape, dtype=torch.bool)
    env = namespace(torch)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sums = []
            for sign in (1, -1):
                part = env[grad_of] = _positive_part(x, sign).requires_grad_()
                sums.append(eval(summed, env))
                rows = torch.autograd.grad(sums[-1], part, (sums[-1] > finfo.max).double())[0]
                overflowing |= rows > 0
            # where the mean cancels (seed 2682588: 1e308, -1e308, 5e-324, 1.27, -0.66, a mean of 0.12
            # in NumPy's order and -0.13 in torch's), its order's error, eps n sum |x|, passes the
            # spread of the row (a millionth of it): a gradient of 2 (x - mean) / N is then the order's
            part = env[grad_of] = x.double().nan_to_num(nan=0.0, posinf=0.0, neginf=0.0).requires_grad_()
            count = x.numel() // max(sums[0].numel(), 1)
            spread = eval(re.sub(r"\.std\(", ".var(", expression), env).detach().sqrt()
            doubtful = ~torch.isfinite(spread) | (finfo.eps * count * (sums[0] + sums[1]) > 1e-6 * spread)
            rows = torch.autograd.grad(eval(summed, env), part, doubtful.double())[0]
            overflowing |= rows > 0
    except (RuntimeError, ValueError, TypeError, IndexError, AttributeError):
        return None
    return overflowing.numpy(), numpy.zeros(tuple(x.shape))


def _loss_order_dependent(statement, operands):
    """``order_dependent`` of a loss reduced by a sum or a mean: its terms are the losses it
    gives with ``reduction='none'`` (in float64), summed in an order of the library's choosing
    (torch's vectorised sum, NumPy's pairwise one); a mean's bound is the sum's over its count."""
    expression = statement.source.split(" = ", 1)[1]
    if not expression.endswith(")") or "reduction='batchmean'" in expression:
        return None
    mean = "reduction='sum'" not in expression
    if "reduction=" in expression:
        expression = re.sub(r"reduction='(sum|mean)'", "reduction='none'", expression)
    else:
        expression = expression[:-1] + ", reduction='none')"
    names = re.findall(r"\b[xvi]\d+\b", expression)
    if not names or not all(isinstance(operands.get(name), torch.Tensor) for name in names):
        return None
    result_dtype = operands[names[0]].dtype
    if not result_dtype.is_floating_point:
        return None
    env = namespace(torch)
    env.update({name: operands[name].double() if operands[name].is_floating_point() else operands[name]
                for name in names})
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            terms = eval(expression, env)
    except (RuntimeError, ValueError, TypeError):
        return None
    if not isinstance(terms, torch.Tensor) or not terms.is_floating_point():
        return None
    finfo = torch.finfo(result_dtype)
    positive, negative = _positive_part(terms, 1).sum(), _positive_part(terms, -1).sum()
    overflowing = (positive > finfo.max) | (negative > finfo.max)
    bound = terms.numel() * (finfo.eps * positive + finfo.eps * negative)
    if mean and terms.numel():
        bound = bound / terms.numel()
    return overflowing.numpy(), bound.numpy()


def _group_norm_order_dependent(statement, operands):
    """``order_dependent`` of ``group_norm``'s output ``x * scale + (beta - scale * mean)``, ``scale =
    rstd * weight``: each group's mean and variance are sums in the library's order (torch's vectorised
    moments, NumPy's pairwise ones), within eps times their terms' magnitudes, which the output carries
    times ``|scale|``.  Where a weight is infinite that rounding decides the output outright: the mean of
    a group that cancels (fuzz seed 8485775: rows a LayerNorm made of mean 0, a group mean of +-1e-8)
    is positive in one order and negative in another, and ``x * -inf + inf * mean`` is -inf or NaN by
    its sign; so too where a group's positive or negative values alone pass the range."""
    call = re.fullmatch(r"\w+ = F\.group_norm\((\w+), (\d+), (\w+), (\w+)\)", statement.source)
    x = operands.get(call.group(1)) if call else None
    if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.dim() < 2 or not x.numel():
        return None
    weight = operands.get(call.group(3))
    n, channels, groups = x.shape[0], x.shape[1], int(call.group(2))
    finfo = torch.finfo(x.dtype)
    rows = x.detach().double().reshape(n, groups, -1)
    positive, negative = _positive_part(rows, 1).sum(-1), _positive_part(rows, -1).sum(-1)
    mean, _, rstd, mean_error, rstd_error = _row_moments_and_errors(rows, finfo.eps)
    centred = torch.where(torch.isfinite(rows), rows, 0.0) - mean
    # the output's rounding from the mean's (times scale) and rstd's (times the output), and its own
    bound = (mean_error * rstd + centred.abs() * rstd_error + 2 * finfo.eps * centred.abs() * rstd).reshape(x.shape)
    overflowing = ((positive > finfo.max) | (negative > finfo.max)).reshape(n, groups, 1).expand(rows.shape)
    overflowing = overflowing.reshape(x.shape).clone()
    if isinstance(weight, torch.Tensor) and weight.shape == (channels,):
        per_channel = weight.detach().double().abs().reshape((channels,) + (1,) * (x.dim() - 2))
        overflowing |= torch.isinf(per_channel)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bound = torch.where(overflowing, 0.0, bound * per_channel)
    return overflowing.numpy(), bound.numpy()


ATTENTION_CALL = re.compile(r"\w+ = F\.scaled_dot_product_attention\((\w+), (\w+), (\w+), is_causal=(True|False)\)")


def _attention_softmax(statement, operands):
    """(query, key, value, causal, scale, p, p_error, factor) of a ``scaled_dot_product_attention``
    statement, in float64: the softmax ``p`` of the scores and its rounding ``p_error`` (each score
    ``q . k`` is a sum within ``factor = n eps`` of its terms' magnitudes, and softmax carries a
    score's error into ``p`` relatively, through exp: ``dp = p (ds - sum p ds)``); None where it is not one."""
    call = ATTENTION_CALL.fullmatch(statement.source)
    if call is None or not all(isinstance(operands.get(name), torch.Tensor) for name in call.group(1, 2, 3)):
        return None
    query, key, value = (operands[name] for name in call.group(1, 2, 3))
    if not query.is_floating_point() or query.dim() < 2:
        return None
    q, k, v = (tensor.detach().double() for tensor in (query, key, value))
    causal = call.group(4) == "True"
    scale = 1 / math.sqrt(q.shape[-1]) if q.shape[-1] else 1.0
    factor = (q.shape[-1] + k.shape[-2] + v.shape[-1] + 2) * torch.finfo(query.dtype).eps
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = q @ k.transpose(-2, -1) * scale
        if causal:
            scores = scores.masked_fill(~torch.ones(scores.shape[-2:], dtype=torch.bool).tril(), -math.inf)
        p = scores.softmax(-1)
        score_error = factor * scale * (q.abs() @ k.abs().transpose(-2, -1))
        if causal:
            score_error = score_error.masked_fill(scores == -math.inf, 0.0)
        # |ds_j - sum_k p_k ds_k| <= (1 - p_j) ds_j + sum_(k != j) p_k ds_k: a shift of every score is none
        # (a query of one key has p = 1 whatever its score's rounding); an infinite one leaves p undetermined
        others = (p * score_error).sum(-1, keepdim=True) - p * score_error
        p_error = (p * ((1 - p) * score_error + others.clamp(min=0))).nan_to_num(nan=math.inf)
    return call, q, k, v, causal, scale, p, p_error, factor


def _attention_order_dependent(statement, operands):
    """``order_dependent`` of ``scaled_dot_product_attention``'s output ``p v``: each score ``q . k`` is
    a sum of products that the library's gemm adds in its own order (torch's fused CPU kernel: MKL's,
    whose multiply-adds are fused), and so is ``p v``; the bound carries the scores' rounding through
    softmax (``_attention_softmax``).  Where a score's positive or negative products alone pass the
    dtype's range it is inf, -inf, NaN or finite by that order (fuzz seed 7564171: -2.6 * 1e308 beside
    an inf), and with it the softmax of its query's row: every output element of that query overflows
    so.  A score the causal mask hides counts for nothing in torch's fused kernel, which fills those
    places; its composite (values of another width than the queries) adds the mask, so a hidden score
    that is NaN in one order and -inf in another (both its positive and negative products past the
    range) decides the row there (fuzz seed 9862306)."""
    found = _attention_softmax(statement, operands)
    if found is None:
        return None
    call, q, k, v, causal, scale, p, p_error, factor = found
    try:
        rows = _attention_rows_by_order(call, operands, causal, v)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bound = (p_error + factor * p) @ v.abs()
        overflowing = rows.expand(bound.shape) | ~torch.isfinite(bound)
    except (RuntimeError, ValueError, TypeError, IndexError):
        return None
    return overflowing.numpy(), torch.where(overflowing, 0.0, bound).numpy()


def _attention_rows_by_order(call, operands, causal, v):
    """The queries (``(..., L, 1)``, bool) with a score whose positive or negative products alone pass
    the range the scores are summed in: inf, -inf, NaN or finite by the gemm's order, and with it the
    query's whole softmax row (``_attention_order_dependent``)."""
    query = operands[call.group(1)]
    positive, negative = _term_sums(lambda factors, _: factors[0] @ factors[1],
                                    [query, operands[call.group(2)].transpose(-2, -1)], [])
    finfo = _accumulated_finfo(query.dtype)
    overflowing = (positive > finfo.max) | (negative > finfo.max)
    if causal:
        visible = torch.ones(overflowing.shape[-2:], dtype=torch.bool).tril()
        if v.shape[-1] == query.shape[-1]:      # the fused kernel: a hidden score is -inf
            overflowing &= visible
        else:       # the composite: -inf added to it, only inf against NaN (both sides past the range) shows
            both = (positive > finfo.max) & (negative > finfo.max)
            overflowing = (overflowing & visible) | (both & ~visible)
    return overflowing.any(-1, keepdim=True)


def _row_moments_and_errors(values, eps):
    """(mean, variance, rstd, mean_error, rstd_error) of each row of ``values`` (rows, n), in float64,
    with the rounding a library's float sums leave in the mean and in rstd: a sum of n terms is within
    (n - 1) eps of their magnitudes, and its division by n rounds once unless n is a power of two (a
    row of one value: its mean is the value, its variance 0, exactly)."""
    count = values.shape[-1]
    finite = torch.where(torch.isfinite(values), values, 0.0)
    mean = finite.mean(-1, keepdim=True)
    centred = finite - mean
    variance = (centred ** 2).mean(-1, keepdim=True)
    rstd = (variance + 1e-5).rsqrt()
    divided = 0 if count & (count - 1) == 0 else 1
    mean_error = (count - 1) * eps * finite.abs().mean(-1, keepdim=True) + divided * eps * mean.abs()
    variance_error = (count + 1) * eps * variance + 2 * centred.abs().mean(-1, keepdim=True) * mean_error
    return mean, variance, rstd, mean_error, rstd * variance_error / (variance + 1e-5) / 2


def _normalization_grad_bound(x, weight, grad_output, part, rows_of, to_parameter):
    """(overflowing, bound) of the gradient a normalisation over rows (``rows_of``: an x-shaped tensor as
    its (rows, n) groups; ``weight`` x-shaped, or None) passes back to its ``part``: "input", "weight" or
    "bias" (``to_parameter`` sums an x-shaped tensor to the parameter's shape).  torch's kernels sum
    ``ds = sum(dy x)`` and ``db = sum(dy)`` per row (``dy`` the output's gradient times the weight), then
    ``dx = rstd dy + c2 x + c3`` with ``c2 = (db mean - ds) rstd^3 / n`` and ``c3 = -c2 mean - db rstd / n``,
    which cancel where a row's values sit at its mean (a row of one value: dx is 0 but for the rounding
    of ds - db mean); the weight's gradient sums ``dy (x - mean) rstd``, the bias's ``dy``.  Each sum, and
    the mean and variance, is within eps times its terms' magnitudes, carried through."""
    xd, g = x.detach().double(), grad_output.detach().double()
    w = torch.ones_like(xd) if weight is None else weight.detach().double().expand(x.shape)
    shape = x.shape
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            values = rows_of(xd)
            count = values.shape[-1]

            def back(per_row):       # a (rows, 1) or (rows, n) tensor in x's shape
                return per_row.expand(values.shape).reshape(shape)
            eps = torch.finfo(x.dtype).eps
            mean, variance, rstd, mean_error, rstd_error = _row_moments_and_errors(values, eps)
            if part == "input":
                # sums of n terms: within (n - 1) eps of their magnitudes (a row of one value: exact)
                sum_eps = (count - 1) * eps
                dy = rows_of(g * w)
                ds, db = (dy * values).sum(-1, keepdim=True), dy.sum(-1, keepdim=True)
                ds_error, db_error = sum_eps * (dy * values).abs().sum(-1, keepdim=True), sum_eps * dy.abs().sum(-1, keepdim=True)
                c2 = (db * mean - ds) * rstd ** 3 / count
                c2_error = rstd ** 3 / count * (ds_error + mean.abs() * db_error + db.abs() * mean_error) + \
                    3 * c2.abs() * rstd_error / rstd
                c3 = -c2 * mean - db * rstd / count
                c3_error = mean.abs() * c2_error + c2.abs() * mean_error + (db_error * rstd + db.abs() * rstd_error) / count
                magnitude = back(dy.abs() * rstd + (c2 * values).abs() + c3.abs())
                bound = back(values.abs() * c2_error + c3_error + dy.abs() * rstd_error) + 4 * eps * magnitude
            else:
                # a parameter's gradient sums its terms over the rows and positions it meets
                terms = max(x.numel() // max(to_parameter(xd).numel(), 1), 1)
                if part == "weight":
                    centred = back((values - mean) * rstd)
                    magnitude = to_parameter((g * centred).abs())
                    bound = to_parameter(g.abs() * back(mean_error * rstd + (values - mean).abs() * rstd_error)) + \
                        (terms + 2) * eps * magnitude
                else:
                    magnitude = to_parameter(g.abs())
                    bound = (terms - 1) * eps * magnitude
        except (RuntimeError, ValueError, TypeError, IndexError):
            return None
    overflowing = ~torch.isfinite(bound) | ~torch.isfinite(magnitude) | (magnitude > torch.finfo(x.dtype).max)
    return overflowing.numpy(), torch.where(overflowing, 0.0, bound).numpy()


NORMALIZATION_CALLS = {
    "module:group_norm": re.compile(r"\w+ = F\.group_norm\((?P<x>\w+), (?P<groups>\d+), (?P<weight>\w+), (?P<bias>\w+)\)"),
    "module:instance_norm": re.compile(r"\w+ = F\.instance_norm\((?P<x>\w+), weight=(?P<weight>\w+), bias=(?P<bias>\w+)\)"),
    "module:layer_norm": re.compile(r"\w+ = F\.layer_norm\((?P<x>\w+), (?P<shape>\([\d, ]*\)), (?P<weight>\w+), (?P<bias>\w+)\)"),
    "module:LayerNorm": re.compile(r"\w+ = lib\.nn\.LayerNorm\((?P<shape>\([\d, ]*\)), dtype=lib\.\w+\)\((?P<x>\w+)\)"),
}


def _normalization_grad_order_dependent(statement, operands, grad_of, grad_output):
    """``order_dependent`` of the gradient ``group_norm``, ``instance_norm`` (a group norm of one
    channel a group) or ``layer_norm`` passes back to its input, weight or bias
    (``_normalization_grad_bound``; fuzz seeds 8068799: a float32 group of -1.8, -0.98 and 3e38, whose
    gradients of 1e-4 are that rounding in both libraries; 8516259: a layer norm's bias gradient, a
    sum of six terms of 236 cancelling to 7e-5; 8562107: an instance norm's bias gradient read through
    a group norm and a linear of weights of 140, 0.3% apart)."""
    call = NORMALIZATION_CALLS[statement.tag].fullmatch(statement.source)
    if call is None or grad_output is None:
        return None
    names = call.groupdict()
    x, operand = operands.get(names["x"]), operands.get(grad_of)
    if not isinstance(x, torch.Tensor) or not isinstance(operand, torch.Tensor) or not operand.is_floating_point() \
            or not x.numel():
        return None
    part = {names["x"]: "input", names.get("weight"): "weight", names.get("bias"): "bias"}.get(grad_of)
    weight = operands.get(names.get("weight"))
    if "shape" in names:        # layer_norm: the rows are the last dims, the parameters of their shape
        normalized = len(eval(names["shape"]))
        lead = x.dim() - normalized
        count = math.prod(x.shape[lead:])
        rows_of, to_parameter = (lambda t: t.reshape(-1, count)), (lambda t: t.sum(list(range(lead))))
        channel_weight = weight if isinstance(weight, torch.Tensor) else None
    elif x.dim() >= 2:          # group_norm, instance_norm: the rows are (sample, group), the parameters a channel's
        groups = int(names["groups"]) if "groups" in names else x.shape[1]
        rows_of = lambda t: t.reshape(x.shape[0], groups, -1)      # noqa: E731
        to_parameter = lambda t: t.sum([0] + list(range(2, x.dim())))      # noqa: E731
        channel_weight = weight.reshape((-1,) + (1,) * (x.dim() - 2)) if isinstance(weight, torch.Tensor) else None
    else:
        return None
    return _normalization_grad_bound(x, channel_weight, grad_output, part, rows_of, to_parameter) if part else None


def _attention_grad_order_dependent(statement, operands, grad_of, grad_output):
    """``order_dependent`` of the gradient ``scaled_dot_product_attention`` passes back to its query,
    key or value.  Its backward sums in each library's order: ``dP = dO V^T`` (torch's fused kernel:
    MKL's gemm) and ``D = rowsum(dO * O)``, then ``dS = P (dP - D)``, where the two cancel (a query of
    one key: dS is 0 but for their rounding), and ``dS K``, ``dS^T Q``, ``P^T dO``; ``P`` carries the
    scores' rounding (``_attention_softmax``).  Each sum is within eps times the sum of its terms'
    magnitudes, carried through (fuzz seeds 8206871, 8417693: a query's gradient of 1e-14 in one
    library and 0 in the other, 6.4e291 and -6.4e291 through a key of 1e308; 7987596: a value of
    -1e308 under a weight of 1e-26 whose score rounded otherwise, 650 ulps of the query's gradient).
    Where a term is not finite (a row of inf or NaN scores) the order decides the result outright."""
    found = _attention_softmax(statement, operands) if grad_output is not None else None
    if found is None or grad_of not in found[0].group(1, 2, 3):
        return None
    call, q, k, v, causal, scale, p, p_error, factor = found
    operand = operands[grad_of]
    if not operand.is_floating_point():
        return None
    g = grad_output.detach().double()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = p @ v
            out_error = (p_error + factor * p) @ v.abs()
            d_p = g @ v.transpose(-2, -1) - (g * out).sum(-1, keepdim=True)
            d_scores = p * d_p
            # the rounding of dS: P's times dP - D, and P times the magnitudes of dP's terms and D's
            d_scores_error = p_error * d_p.abs() + p * (factor * (g.abs() @ v.abs().transpose(-2, -1) +
                                                                  (g * out).abs().sum(-1, keepdim=True))
                                                        + (g.abs() * out_error).sum(-1, keepdim=True))
            d_scores_error = d_scores_error + factor * d_scores.abs()
            # the gradient's own terms (overflowing where they pass the range) and its bound
            if grad_of == call.group(1):
                magnitude, bound = (scale * d @ k.abs() for d in (d_scores.abs(), d_scores_error))
            elif grad_of == call.group(2):
                magnitude, bound = (scale * d.transpose(-2, -1) @ q.abs() for d in (d_scores.abs(), d_scores_error))
            else:
                magnitude = p.transpose(-2, -1) @ g.abs()
                bound = (p_error + factor * p).transpose(-2, -1) @ g.abs()
            # a row whose dP or D passes the range it is summed in is inf or NaN by the order
            accumulated = _accumulated_finfo(operand.dtype)
            spilled = ((g.abs() @ v.abs().transpose(-2, -1)).amax(-1, keepdim=True) > accumulated.max) | \
                ((g * out).abs().sum(-1, keepdim=True) > accumulated.max)
            # and a row whose scores the order made inf, -inf or NaN: its weights, and with them every
            # key's and value's gradient in its head (fuzz seed 9991476: a float32 score of -1.4 * 3e38
            # + 3e38 * 3e38, NaN in torch's order, -inf in OpenBLAS's; the query's row weighed its other key)
            spilled = spilled | _attention_rows_by_order(call, operands, causal, v)
            if grad_of == call.group(1):
                spilled = spilled.expand(magnitude.shape)
            else:
                spilled = spilled.any(-2, keepdim=True).expand(magnitude.shape)
            magnitude = torch.where(spilled, math.inf, magnitude)
            magnitude, bound = magnitude.sum_to_size(operand.shape), bound.sum_to_size(operand.shape)
        except (RuntimeError, ValueError, TypeError, IndexError):
            return None
    overflowing = ~torch.isfinite(bound) | ~torch.isfinite(magnitude) | (magnitude > torch.finfo(operand.dtype).max)
    return overflowing.numpy(), torch.where(overflowing, 0.0, bound).numpy()


def _accumulated_finfo(dtype):
    """The range attention's sums run in: torch's fused kernel accumulates half precision in float32."""
    return torch.finfo(torch.float32 if dtype.itemsize == 2 else dtype)


def _positive_part(value, sign):
    """float64 max(sign * value, 0), with the non-finite elements 0."""
    value = value.double()
    return torch.where(torch.isfinite(value), (sign * value).clamp(min=0), 0.0)


# the sign patterns of the factors of a term (one or two factors) that make it positive or negative
SIGN_PATTERNS = {1: {1: [(1,)], -1: [(-1,)]}, 2: {1: [(1, 1), (-1, -1)], -1: [(1, -1), (-1, 1)]}}


def _term_sums(evaluate, factors, addends):
    """(positive, negative): the sums of the positive terms and of the magnitudes of the negative
    terms of ``evaluate(factors, addends)`` (a sum of products of one element of each factor, plus
    the addends), per element, in float64."""
    parts = []
    for sign in (1, -1):
        total = 0.0
        for index, pattern in enumerate(SIGN_PATTERNS[len(factors)][sign]):
            total = total + evaluate([_positive_part(f, s) for f, s in zip(factors, pattern)],
                                     [_positive_part(a, sign) if index == 0 else
                                      torch.zeros_like(a, dtype=torch.float64) for a in addends])
        parts.append(total)
    return parts


def _summing_operands(statement, operands):
    """The operand names of a summing ``statement`` (SUMMING_OPS) and its expression with a mean
    summed (the sum overflows, not the mean), or None where it is no summing op on floats."""
    factors = SUMMING_OPS.get(statement.tag)
    expression = statement.source.split(" = ", 1)[1].replace(".mean(", ".sum(").replace(".nanmean(", ".nansum(")
    names = re.findall(r"\b[xvi]\d+\b", expression)
    if factors is None or not names or len(set(names)) < len(names) or \
            not all(isinstance(operands.get(name), torch.Tensor) for name in names):
        return None
    dtype = functools.reduce(torch.promote_types, [operands[name].dtype for name in names])  # the sum's
    return (names, factors, expression, dtype) if dtype.is_floating_point else None


def _evaluator(expression, names, grad_of=None):
    """``evaluate(values)`` of the expression with ``names`` bound to ``values`` (a float64 torch
    tensor each), or, with ``grad_of`` (a name and its value), the gradient of ``grad_of`` for the
    gradient output ``values[0]`` (the vector-Jacobian product, linear in it)."""
    def evaluate(values):
        env = namespace(torch)
        env.update(zip(names, values[1:] if grad_of else values))
        if not grad_of:
            return eval(expression, env)
        leaf = env[grad_of[0]] = grad_of[1].detach().double().requires_grad_()
        grad = torch.autograd.grad(eval(expression, env), leaf, values[0], allow_unused=True)[0]
        return torch.zeros_like(leaf) if grad is None else grad
    return evaluate


def order_dependent(statement, operands, grad_of=None, grad_output=None):
    """Where and by how much the result of a summing ``statement`` (SUMMING_OPS), run on
    ``operands`` (torch tensors by name), depends on the order of its additions, which IEEE 754
    leaves to the implementation (and on whether a multiply is fused with its add):

    * overflowing: where the sum of its positive terms or of its negative ones exceeds the dtype's
      range, an order that adds those first overflows and another does not (and a fused
      multiply-add absorbs an overflowing product that a separate multiply does not);
    * elsewhere, a sum of n terms in any order is within ``(n - 1) eps/2 sum |term|`` of the exact
      one: two orders within twice that (``bound``), which for terms that cancel is far more than
      an ulp of the result (3e38 - 3e38 + 0.1 is 0.1 in one order and 0 in another).

    With ``grad_of`` (a name) and ``grad_output``, the same for the gradient the statement passes
    back to ``grad_of``: a sum of products of the gradient output and the other factor.
    (overflowing, bound) as arrays of the result's shape, or None where it is no summing op.
    A loss's value (not its gradient) by ``_loss_order_dependent``."""
    if statement.tag.startswith("loss:"):
        if grad_of is not None:
            return _loss_grad_order_dependent(statement, operands, grad_of, grad_output)
        return _loss_order_dependent(statement, operands) if _summing(statement) else None
    if grad_of is not None and (statement.tag.startswith("binary:") or statement.tag == "select:where") \
            and statement.tag not in SUMMING_OPS:
        return _broadcast_order_dependent(statement, operands, grad_of, grad_output)
    if statement.tag == "module:attention":
        if grad_of is not None:
            return _attention_grad_order_dependent(statement, operands, grad_of, grad_output)
        return _attention_order_dependent(statement, operands)
    if statement.tag in NORMALIZATION_CALLS and grad_of is not None:
        return _normalization_grad_order_dependent(statement, operands, grad_of, grad_output)
    if statement.tag == "module:group_norm":
        return _group_norm_order_dependent(statement, operands)
    if statement.tag in ("reduce:var", "reduce:std"):
        if grad_of is not None:
            return _moments_grad_order_dependent(statement, operands, grad_of)
        return _moments_order_dependent(statement, operands)
    found = _summing_operands(statement, operands)
    if found is None:
        return None
    names, count, expression, dtype = found
    finfo = torch.finfo(dtype)
    if grad_of is None:
        evaluate = _evaluator(expression, names)
        sums = _term_sums(lambda f, a: evaluate(f + a), [operands[n] for n in names[:count]],
                          [operands[n] for n in names[count:]])
        terms = evaluate([torch.ones_like(operands[n], dtype=torch.float64) for n in names])
    else:
        evaluate = _evaluator(expression, names, (grad_of, operands[grad_of]))
        other = [n for n in names[:count] if n != grad_of] if grad_of in names[:count] else []

        def vjp(factors, _):
            values = {n: _positive_part(operands[n], 1) for n in names}     # no term depends on them
            values.update(zip(other, factors[1:]))
            values.update({n: torch.zeros_like(values[n]) for n in names[count:] if n != grad_of})
            return evaluate([factors[0]] + [values[n] for n in names])
        factors = [grad_output] + [operands[n] for n in other]
        sums = _term_sums(vjp, factors, [])
        terms = vjp([torch.ones_like(f, dtype=torch.float64) for f in factors], [])
    positive, negative = sums
    overflowing = (positive > finfo.max) | (negative > finfo.max)
    bound = terms * (finfo.eps * positive + finfo.eps * negative)     # (scaled first: no overflow)
    return overflowing.numpy(), bound.numpy()


def _broadcast_order_dependent(statement, operands, grad_of, grad_output, elements=None):
    """``order_dependent`` of the gradient an elementwise binary op (or ``where``) passes back to an
    operand it broadcast: the sum, over the broadcast positions, of each element's gradient (``grad_output``
    times the op's derivative there), in the dtype of the op's result, an order of the library's
    choosing (fuzz seed 833561: 5e-324 % a float32 tensor of 16 values, the 0-d float64 operand's
    gradient 0.89799988 in torch's order, 0.89799976 in NumPy's).  Its terms are computed in
    float64 with the operand expanded to the result's shape (or to the shape of the expression
    ``elements``: a reduced loss's unreduced form, each term then the reduced loss's own backward);
    None where it is not broadcast."""
    expression = statement.source.split(" = ", 1)[1]
    names = re.findall(r"\b[xvi]\d+\b", expression)
    operand = operands.get(grad_of)
    if grad_of not in names or not all(isinstance(operands.get(name), torch.Tensor) for name in names) or \
            not operand.is_floating_point():
        return None
    env = namespace(torch)
    env.update({name: operands[name] for name in names})
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = eval(expression, env)
            if not isinstance(result, torch.Tensor) or not result.is_floating_point() or result.numel() == 0:
                return None
            expanded = result.shape if elements is None else eval(elements, env).shape
            if expanded == operand.shape:
                return None
            env.update({name: operands[name].double() if operands[name].is_floating_point() else operands[name]
                        for name in names})
        leaf = env[grad_of] = operand.double().expand(expanded).clone().requires_grad_()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            terms = torch.autograd.grad(eval(expression, env), leaf, grad_output.double(), allow_unused=True)[0]
    except (RuntimeError, ValueError, TypeError):
        return None
    if terms is None:
        return None
    finfo = torch.finfo(result.dtype)
    positive = _positive_part(terms, 1).sum_to_size(operand.shape)
    negative = _positive_part(terms, -1).sum_to_size(operand.shape)
    count = math.prod(expanded) // max(operand.numel(), 1)
    overflowing = (positive > finfo.max) | (negative > finfo.max)
    bound = count * (finfo.eps * positive + finfo.eps * negative)
    return overflowing.numpy(), bound.numpy()


def _loss_grad_order_dependent(statement, operands, grad_of, grad_output):
    """``order_dependent`` of the gradient an element-wise loss (``reduction='none'``) passes back to
    an operand it broadcast: a binary op's (``_broadcast_order_dependent``), but kl_div's target
    gradient, where torch's composite sums the gradient output times one factor over the broadcast
    before it multiplies by the other: ``exp(t) * (t - x)`` sums ``g (t - x)``, then multiplies by
    ``exp(t)`` (fuzz seed 3275974: t = -1e308 under 9 weights, whose partial sums pass float64's
    range in NumPy's order, inf times exp(t) = 0 NaN, and not in torch's, 0); ``xlogy(t, t) - t * x``
    sums ``g`` (then times ``log t + 1``) and ``g x``.  A loss reduced by ``'mean'`` or ``'sum'``: its
    gradient to a broadcast operand sums its own backward's terms over the unreduced loss's elements
    (fuzz seed 31040157: an mse_loss's target of 1e308 against four inputs near -100 and an inf,
    terms 6e307 four times and -inf, inf + -inf = NaN in NumPy's order, -inf in torch's, which adds
    the -inf first).  None for other reductions."""
    if "reduction='none'" not in statement.source:
        reduced = re.search(r"reduction='(mean|sum)'", statement.source)
        if reduced is None or grad_output is None:
            return None
        unreduced = statement.source.split(" = ", 1)[1].replace(reduced.group(0), "reduction='none'")
        return _broadcast_order_dependent(statement, operands, grad_of, grad_output, elements=unreduced)
    call = re.fullmatch(r"(\w+) = F\.kl_div\((\w+), (\w+), reduction='none', log_target=(True|False)\)",
                        statement.source)
    if call is None or call.group(3) != grad_of or call.group(2) == grad_of:
        return _broadcast_order_dependent(statement, operands, grad_of, grad_output)
    target, x, t, log_target = call.group(1), call.group(2), call.group(3), call.group(4) == "True"
    # each sum's terms as the gradient of the broadcast target times a detached factor, and the
    # factor the sum is then multiplied by
    t64 = operands[t].double()
    sums = [(f"{t} * ({t} - {x}).detach()", t64.exp()), (f"{t} * {t}.exp().detach() + {x}.detach() * 0", 1.0)] \
        if log_target else [(f"{t} + {x}.detach() * 0", t64.log().abs() + 1), (f"{t} * {x}.detach()", 1.0)]
    overflowing = bound = None
    for expression, factor in sums:
        order = _broadcast_order_dependent(Statement(f"{target} = {expression}", statement.tag), operands,
                                           grad_of, grad_output)
        if order is None:
            return None
        with numpy.errstate(invalid="ignore", over="ignore"):     # (an exact sum times exp(t) = inf: 0)
            scaled = numpy.nan_to_num(order[1] * numpy.asarray(factor, dtype=numpy.float64), nan=0.0, posinf=numpy.inf)
        overflowing = order[0] if overflowing is None else overflowing | order[0]
        bound = scaled if bound is None else bound + scaled
    return overflowing, bound


def _agree_but_for_order(mine, theirs, order):
    """Do the snapshots of a summing op's result agree to a few ulps, or within the ``order``'s
    bound (``order_dependent``), at every element whose sum does not overflow?"""
    if order is None or mine[0] != "tensor" or theirs[0] != "tensor" or mine[4].shape != order[0].shape:
        return False
    overflowing, bound = order
    with numpy.errstate(invalid="ignore", over="ignore"):
        a, b = mine[4].astype(numpy.float64), theirs[4].astype(numpy.float64)
        if mine[4].dtype.kind == "f":
            # a bound past the result's range reaches its infinities too (fuzz seed 8770578: a float16
            # gradient summed in float32 from terms of 2e17 cancelling to 0, inf in torch's order)
            overflowing = overflowing | (bound > float(numpy.finfo(mine[4].dtype).max))
        rtol, atol = ONE_OP_TOLERANCE.get(mine[2].replace("torch.", ""), (0.0, 0.0))
        same = (a == b) | (numpy.isnan(a) & numpy.isnan(b))
        # finite values only: against an infinity the relative bound is inf, and would let -inf, NaN or
        # any number pass for it; an infinity or NaN that differs is excused only where a sum overflows
        close = numpy.isfinite(a) & numpy.isfinite(b) & (numpy.abs(a - b) <= bound + atol + rtol * numpy.abs(b))
    return bool((same | close | overflowing).all())


def _run_or_raise(source, ns):
    """None after running ``source`` in ``ns``, or the (type name, message) it raised."""
    try:
        exec(source, ns)
    except Exception as error:
        return type(error).__name__, normalized(error)
    return None


def _statements_agreeing(program):
    """(agreeing, order, raised, reordered, rounded): the sources of the statements that, run in torch
    on the inputs minigrad had there, give minigrad's result to a few ulps (or, for the statement where
    minigrad stops, torch's same error: ``raised``), those of them that are summing ops agreeing only
    within the order of their sums (``order_dependent``), ``reordered``: those and the summing ops
    that agree to a few ulps but not exactly, within that order too, whose difference a later op may
    yet magnify (``substituted``), and ``rounded``: the other ops that agree to a few ulps but not
    exactly (float64 ``exp`` an ulp apart).  The replay ends where either raises."""
    ns, agreeing, order, raised, reordered, rounded = namespace(minigrad), set(), set(), None, set(), set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for statement in program.statements:
            theirs = namespace(torch)
            operands = {name: _as_torch(ns[name]) for name in re.findall(r"\b[xvi]\d+\b", statement.source)
                        if name in ns}
            theirs.update(operands)
            mine_error, their_error = _run_or_raise(statement.source, ns), _run_or_raise(statement.source, theirs)
            if mine_error or their_error:
                if mine_error == their_error:
                    agreeing.add(statement.source)
                    raised = statement.source
                break
            target = re.match(r"(\w+)\b[^=]*=", statement.source).group(1)
            if target not in ns or target not in theirs:
                continue
            mine_result, their_result = _values(ns[target]), _values(theirs[target])
            if _compare_snapshots(mine_result, their_result, tolerance=ONE_OP_TOLERANCE)[0] is None:
                agreeing.add(statement.source)
                if _compare_snapshots(mine_result, their_result, tolerance=EXACT)[0]:
                    if _summing(statement) and \
                            _agree_but_for_order(mine_result, their_result, order_dependent(statement, operands)):
                        reordered.add(statement.source)
                    else:
                        rounded.add(statement.source)
            elif _summing(statement) and \
                    _agree_but_for_order(mine_result, their_result, order_dependent(statement, operands)):
                agreeing.add(statement.source)
                order.add(statement.source)
                reordered.add(statement.source)
    return agreeing, order, raised, reordered, rounded


def ops_agreeing(program):
    """{name: kind} for the names whose every op (each statement in ``program.behind``) gives,
    run in torch on the inputs minigrad had there, minigrad's result to a few units in the last
    place: where such a name's final values differ, the difference came in below the tolerance
    and a later op magnified it (the sine of a float32 sum that rounded otherwise), which is
    ``rounding``, not a wrong op.  A summing op may also differ where its result depends on the
    order of its additions (``order_dependent``): then the name's kind is ``order``."""
    agreeing_statements, order_statements, *_ = _statements_agreeing(program)
    agreeing = {}
    for name in program.outputs:
        sources = program.behind(name)[1]
        if all(source in agreeing_statements for source in sources):
            agreeing[name] = "order" if order_statements.intersection(sources) else "rounding"
    return agreeing


def error_agreeing(program, index):
    """The kind (``rounding`` or ``order``) of an error at statement ``index`` that only one library
    raises, or that they word otherwise, where minigrad is right op by op: the statement and every
    statement behind what it reads, run in torch on minigrad's inputs, agree with minigrad's (the
    error too: torch raises minigrad's where minigrad's inputs make it, e.g. a ``unique`` whose
    float32 input rounded otherwise and counts one value fewer); None where one does not.  At
    ``index`` past the statements, the loss: there only an error the loss's own expression raises
    (a weighting of the shape torch's outputs have), not one of the backward that follows it."""
    at_loss = index == len(program.statements)
    if at_loss:
        program = dataclasses.replace(program, statements=program.statements + [Statement(program.loss, "loss")])
    if not _inputs_differ(program, index):
        return None         # no rounding reached the statement: the libraries differ in the op itself
    agreeing_statements, order_statements, raised, *_ = _statements_agreeing(program)
    statement = program.statements[index]
    sources = {statement.source}.union(*(program.behind(name)[1] for name in
                                         set(re.findall(r"\b[xv]\d+\b", statement.source))))
    if not sources <= agreeing_statements or at_loss and raised != statement.source:
        return None
    return "order" if order_statements & sources else "rounding"


def _inputs_differ(program, index):
    """Does any tensor that statement ``index`` reads differ, in value, shape or dtype, between
    minigrad's run and torch's, when the statement comes?  Only then can a rounding have led to an
    error one library alone raises there (the replay on minigrad's inputs, ``_statements_agreeing``,
    carries values, not histories or views: fuzz seeds 419647 and 440282, errors about a history that
    torch alone gave a tensor, agreed there as if rounding had made them)."""
    values = []
    for lib in (minigrad, torch):
        ns = namespace(lib)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for statement in program.statements[:index]:
                if _run_or_raise(statement.source, ns):
                    return True         # one stops before: the inputs are not comparable
        source = program.statements[index].source
        values.append({name: _values(ns[name]) for name in re.findall(r"\b[xvi]\d+\b", source) if name in ns})
    mine, theirs = values
    if mine.keys() != theirs.keys():
        return True
    return any(_compare_snapshots(mine[name], theirs[name], tolerance=EXACT)[0] for name in mine)


def backward_agreeing(program, mine):
    """{name: kind} for the tensors whose gradient in ``mine`` is what torch's backward of each op
    that reads the tensor, run on the values minigrad had there and given minigrad's gradient of
    the op's result, passes back, summed, to a few ulps, except where that op's sum depends on its
    order (``order_dependent``; kind ``order``, else ``rounding``).  Only tensors that no in-place
    statement writes, read by statements that write none (``Program.written``): a retained
    gradient is that of a tensor's last version.  A reader that writes in place without a
    ``target = `` (``v6 %= x8``, ``v[...] = x``) ends the replay too: passed over, it left x8 of fuzz
    seed 1073739 compared with the sum of nothing, where a divisor's gradient wrongly 0 agreed."""
    statements = program.statements + [Statement(program.loss, "loss")]
    written = program.written()
    ns, operands_at = namespace(minigrad), []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for statement in statements:
            operands_at.append({name: _as_torch(ns[name]) for name in
                                re.findall(r"\b[xvi]\d+\b", statement.source.split(" = ", 1)[-1]) if name in ns})
            exec(statement.source, ns)
    grads = dict(mine.grads, loss=("tensor", (), "torch.float64", False, numpy.ones((), dtype=numpy.float64)))
    agreeing = {}
    for name, grad in mine.grads.items():
        if grad is None or name in written or not isinstance(ns.get(name), minigrad.Tensor):
            continue
        total = torch.zeros(grad[1], dtype=torch.float64)
        magnitude = torch.zeros(grad[1], dtype=torch.float64)     # of the readers' gradients, summed
        overflowing, bound = numpy.zeros(grad[1], dtype=bool), numpy.zeros(grad[1])
        for statement, operands in zip(statements, operands_at):
            target, _, expression = statement.source.partition(" = ")
            if name not in operands:
                continue
            augmented = re.fullmatch(r"(\w+) (\S+)= (.+)", statement.source)
            if augmented and augmented.group(1) != name and program.written_once(augmented.group(1)):
                # ``v4 *= x9``, the one write of v4: x9's gradient is that of ``v4 * x9`` on the values
                # before, given v4's retained gradient, that of the write's result (fuzz seed 1984920)
                target, op, other = augmented.groups()
                expression = f"{target} {op} {other}"
                statement = Statement(f"{target} = {expression}", f"binary:{op}")
            elif not target.isidentifier() or target in written and not program.overwritten_whole(target) \
                    or not isinstance(operands[name], torch.Tensor):
                break       # a write (``v %= x``, ``v[...] = x``): the gradient of what it wrote is unknown
            # a result overwritten whole (``v8[...] = x12``) passes back nothing (fuzz seed 1953490)
            overwritten = not augmented and target in written
            if grads.get(target) is None and not overwritten:
                continue
            env = namespace(torch)
            env.update(operands)
            leaf = env[name] = operands[name].clone().requires_grad_()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    result = eval(expression, env)
                    grad_output = torch.zeros_like(result) if overwritten else \
                        torch.from_numpy(grads[target][4].copy())
                    passed = torch.autograd.grad(result, leaf, grad_output, allow_unused=True)[0] \
                        if result.requires_grad else None
                except RuntimeError:
                    break
            if passed is not None:
                total = total + passed.double()
                magnitude = magnitude + passed.double().abs()
            order = order_dependent(statement, operands, name, grad_output)
            if order is not None and order[0].shape == overflowing.shape:
                overflowing, bound = overflowing | order[0], bound + order[1]
        else:
            replayed = ("tensor", grad[1], grad[2], False, total.to(getattr(torch, grad[2].split(".")[1])).numpy())
            mine_grad = grad[:3] + (False,) + grad[4:]
            # the readers' gradients are a sum too, which the two engines add in their own orders,
            # each term within a few ulps: where they cancel (fuzz seed 2300132: terms of 7e12 to 1.5)
            # that is far more than an ulp of the total
            if grad[2].startswith("torch.float"):
                eps = torch.finfo(getattr(torch, grad[2].split(".")[1])).eps
                with numpy.errstate(over="ignore", invalid="ignore"):
                    bound = bound + 8 * eps * numpy.nan_to_num(magnitude.numpy(), posinf=0.0)
            if _compare_snapshots(mine_grad, replayed, tolerance=ONE_OP_TOLERANCE)[0] is None:
                agreeing[name] = "rounding"
            elif _agree_but_for_order(mine_grad, replayed, (overflowing, bound)):
                agreeing[name] = "order"
    return agreeing


class _Substitute(torch.autograd.Function):
    """``value``'s place taken by ``replacement`` (its values, ``value``'s dtype); the gradient passed
    back to ``value`` as it comes."""

    @staticmethod
    def forward(ctx, value, replacement):
        return replacement.to(value.dtype).clone()

    @staticmethod
    def backward(ctx, grad):
        return grad, None


def _substitute(value, replacement):
    """``_Substitute.apply``, keeping ``value``'s place in torch's graph: a view (an unbatched
    conv1d's result, the squeeze of a batched one) stays a view of a base of its own, so that a later
    in-place write reaches the views taken of it as the original's would (fuzz seed 30592018:
    ``v10 = v5[1, ..., 0:4:3]`` before ``v11 = v5.log_()`` gives v11 no gradient of v10's)."""
    if value._is_view():
        return _Substitute.apply(value.unsqueeze(0), replacement.unsqueeze(0)).squeeze(0)
    return _Substitute.apply(value, replacement)


def substituted(program, mine):
    """``order`` or ``rounding`` where a difference in values or gradients is that and nothing else,
    else None.  The statements whose results, run in torch on minigrad's inputs, differ from minigrad's,
    but only within the order of their sums (``_statements_agreeing``'s ``reordered``), have minigrad's
    results put in their place in torch's run (the gradient passing through as it would): where torch's
    run then agrees with minigrad's, values and gradients, the difference came from those sums' order
    alone; failing that, the other statements that differ by a few ulps (``rounded``) too: then from
    those ulps, which later ops magnified.  This follows a difference through in-place writes, which
    ``backward_agreeing`` cannot.  (fuzz seed 447935: a float64 conv1d whose products overflow to -inf
    and inf is -inf in torch, whose BLAS fuses a multiply-add, and inf in minigrad; ``abs_`` writes
    both to inf, and the sign shows only in abs's gradient.  fuzz seed 1073739: a float32
    ``binary_cross_entropy_with_logits(..., reduction='sum')`` of the same 50 terms is 2656.4392 in
    torch's order and one ulp less in NumPy's; ``v6 %= x8`` by 0.857806 makes that ulp 1.6e-4 of the
    remainder, and x8's gradient 3e-4 off.  fuzz seed 3507558: a float64 ``kl_div`` whose exp(106) is
    an ulp apart in NumPy and SLEEF; a layer norm of that one value 1.8e48 keeps only its rounding, and
    the weight's gradient through ``v7.div_(x10)`` is that rounding's.)"""
    *_, reordered, rounded = _statements_agreeing(program)
    if reordered and _agrees_with(program, mine, reordered):
        return "order"
    if rounded and _agrees_with(program, mine, reordered | rounded):
        return "order" if reordered else "rounding"
    return None


def _fresh_results(program):
    """The sources of the statements ``target = expression`` whose result, run in torch, is a new
    floating tensor with a history (no leaf), sharing no memory with a tensor it reads (not a view, not an
    in-place write, not ``x.float()`` of a float ``x``): its place in torch's graph can take a node of
    its own without changing what a later write reaches; {source: None} for those, and {source:
    (target, base, out-of-place expression)} for an in-place method's write ``v = x.tanh_()`` or an
    augmented one ``x **= y`` of a float ``x`` with a history, which can take its result from such a
    node through ``x.copy_``."""
    fresh, ns = {}, namespace(torch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for statement in program.statements:
            plain = re.fullmatch(r"(\w+) = (.+)", statement.source)
            in_place = re.fullmatch(r"(\w+) = (\w+)\.(\w+)_\((.*)\)", statement.source)
            augmented = re.fullmatch(r"(\w+) (\*\*|\+|-|\*|/)= (.+)", statement.source)
            if in_place and not hasattr(torch.Tensor, in_place.group(3)):
                in_place = None
            written = in_place.group(2) if in_place else augmented.group(1) if augmented else None
            if written is not None and isinstance(ns.get(written), torch.Tensor) and ns[written].is_floating_point():
                # ``v = x.tanh_()``, ``x **= y``: as ``x.copy_(<x.tanh(), x ** y with minigrad's backward>)``,
                # the same write
                if _run_or_raise(statement.source, ns):
                    break
                if ns[written].grad_fn is not None:
                    fresh[statement.source] = (in_place.group(1), written, f"{written}.{in_place.group(3)}({in_place.group(4)})") \
                        if in_place else (written, written, f"{written} {augmented.group(2)} ({augmented.group(3)})")
                continue
            operands = [ns[name] for name in re.findall(r"\b[xvi]\d+\b", statement.source)
                        if isinstance(ns.get(name), torch.Tensor)]
            if _run_or_raise(statement.source, ns):
                break
            result = ns.get(plain.group(1)) if plain else None
            if isinstance(result, torch.Tensor) and result.grad_fn is not None and result.is_floating_point() and \
                    operands and not statement.tag.startswith("view:") and not any(
                        result.untyped_storage().data_ptr() == operand.untyped_storage().data_ptr()
                        for operand in operands):
                fresh[statement.source] = None
    return fresh


def _differing(program):
    """The sources of the statements whose results, run in torch on minigrad's inputs, differ from
    minigrad's within 8 ulps or within their sums' order (``_statements_agreeing``)."""
    *_, reordered, rounded = _statements_agreeing(program)
    return reordered | rounded


def _minigrad_run(program):
    """``(index, statement, namespace)`` after each statement of ``program`` run in minigrad."""
    ns = namespace(minigrad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for index, statement in enumerate(program.statements):
            exec(statement.source, ns)
            yield index, statement, ns


def _agrees_with(program, mine, replaced):
    """Does torch's run of ``program``, with minigrad's results put in place of the statements
    ``replaced`` (sources), agree with minigrad's run ``mine``?"""
    replacements, statements = {}, []
    for index, statement, ns in _minigrad_run(program):
        statements.append(statement)
        assigned = re.match(r"(\w+) = ", statement.source)
        if statement.source in replaced and assigned:     # (a written index or slice: no value to put in)
            target = assigned.group(1)
            replacements[index] = torch.from_numpy(numpy.array(ns[target].detach().numpy()))
            statements.append(Statement(f"{target} = __substitute__({target}, __replacements__[{index}])",
                                        statement.tag))
    return _torch_run_agrees(program, mine, statements,
                             {"__substitute__": _substitute, "__replacements__": replacements})


def _torch_run_agrees(program, mine, statements, names):
    """Does torch's run of ``program`` with ``statements`` for its own (the substitutions, which read
    ``names``) give minigrad's run ``mine``, values and gradients?"""
    theirs = execute(dataclasses.replace(program, statements=statements), torch, names)
    return theirs.error is None and compare(program, mine, theirs) is None


class _MinigradBackward(torch.autograd.Function):
    """A summing statement's result in torch's run, torch's values, whose backward is minigrad's: the
    statement's expression run in minigrad on the same inputs, given the same output gradient.  Where
    the two backward passes differ by more than the order of the op's sums allows (``order_dependent``)
    it notes the statement in ``failed``."""

    @staticmethod
    def forward(ctx, statement, names, failed, result, *inputs):
        ctx.statement, ctx.names, ctx.failed = statement, names, failed
        ctx.values = [value.detach().clone() for value in inputs]
        return result.detach().clone()

    @staticmethod
    def backward(ctx, grad):
        expression = ctx.statement.source.split(" = ", 1)[1]
        wanted = [index for index, value in enumerate(ctx.values)
                  if ctx.needs_input_grad[4 + index] and value.is_floating_point()]
        grads = [None] * len(ctx.values)
        mine_env, theirs_env = namespace(minigrad), namespace(torch)
        for index, (name, value) in enumerate(zip(ctx.names, ctx.values)):
            mine_env[name] = minigrad.tensor(value.numpy(), requires_grad=index in wanted)
            theirs_env[name] = value.clone().requires_grad_(index in wanted)
        with warnings.catch_warnings(), torch.enable_grad():      # (a backward runs without grad mode)
            warnings.simplefilter("ignore")
            mine_result = eval(expression, mine_env)
            mine_result.backward(minigrad.tensor(grad.detach().numpy()))
            their_grads = torch.autograd.grad(eval(expression, theirs_env), [theirs_env[ctx.names[i]] for i in wanted],
                                              grad, allow_unused=True)
        operands = {name: value for name, value in zip(ctx.names, ctx.values)}
        for index, their_grad in zip(wanted, their_grads):
            name = ctx.names[index]
            mine_grad = mine_env[name].grad
            if mine_grad is None:
                continue
            grads[index] = torch.from_numpy(numpy.array(mine_grad.numpy()))
            with torch.enable_grad():
                order = order_dependent(ctx.statement, operands, name, grad)
            if their_grad is None or not (
                    _compare_snapshots(_values(mine_grad), _values(their_grad), tolerance=ONE_OP_TOLERANCE)[0] is None
                    or _agree_but_for_order(_values(mine_grad), _values(their_grad), order)):
                ctx.failed.add(ctx.statement.source)
        return (None, None, None, None, *grads)


def backward_substituted(program, mine, replaced=frozenset(), every_op=False):
    """Is a difference in gradients the order of a sum in a summing op's backward, and nothing else?
    Every summing statement (SUMMING_OPS but views: ``v = F.linear(...)``) gets, in torch's run, minigrad's
    backward (``_MinigradBackward``), which must agree with torch's within the order of its sums; where
    torch's run then agrees with minigrad's, the difference was that order.  Unlike
    ``backward_agreeing`` this follows a gradient through in-place writes (fuzz seed 3539833: a
    float64 linear's input gradient ``dy @ W`` with W holding -inf and -1e308, inf in torch, whose BLAS
    fuses the multiply-add, NaN in NumPy's, read through ``v6 = v5.floor_()``; seeds 2469096 and
    2686321: conv1d's weight gradient, read through ``v4.mul_`` and ``v1[i4, i5, None] = x6``).
    The statements ``replaced`` (sources: those whose values differ within 8 ulps or their sums'
    order, ``_statements_agreeing``) also give minigrad's values, as in ``substituted`` (fuzz seed
    8068799: a float32 group_norm of 3e38 whose output rounds otherwise, read by ``masked_fill_``, and
    its backward's gradients of 1e-4, that rounding).  With ``every_op``, every statement whose result
    is a new floating tensor in torch (no view, no in-place write: ``_fresh_results``) gets minigrad's
    backward, each agreeing with torch's to 8 ulps or within its sums' order: a gradient an ulp apart
    (``sinh``'s cosh, ``tanh_``'s 1 - y^2) that a later backward's cancellation magnifies is rounding."""
    statements, failed, names_of, replacements = [], set(), {}, {}
    fresh = _fresh_results(program) if every_op else {}
    for index, statement, ns in _minigrad_run(program):
        statements.append(statement)
        plain = re.fullmatch(r"(\w+) = (.+)", statement.source)
        if not plain and not fresh.get(statement.source):
            continue
        target, expression = plain.groups() if plain else (None, None)
        value = target
        if fresh.get(statement.source):     # an in-place write: its out-of-place op, copied in
            target, base, expression = fresh[statement.source]
            names = tuple(dict.fromkeys(re.findall(r"\b[xvi]\d+\b", expression)))
            number = len(names_of)
            operator = re.fullmatch(r"\w+ (\S+)= .+", statement.source)    # (an augmented write: a binary op's sums)
            names_of[number] = (Statement(f"{target} = {expression}",
                                          f"binary:{operator.group(1)}" if operator else statement.tag), names)
            statements[-1] = Statement(
                f"{target} = {base}.copy_(__minigrad_backward__(__statements__[{number}][0], "
                f"__statements__[{number}][1], __failed__, ({expression}).detach(), {', '.join(names)}))", statement.tag)
            continue
        if statement.source in replaced:
            replacements[index] = torch.from_numpy(numpy.array(ns[target].detach().numpy()))
            value = f"__substitute__({target}, __replacements__[{index}])"
        if _summing(statement) and not statement.tag.startswith("view:") or statement.source in fresh:
            names = tuple(dict.fromkeys(re.findall(r"\b[xvi]\d+\b", expression)))
            number = len(names_of)
            names_of[number] = (statement, names)
            result = f"__replacements__[{index}]" if index in replacements else target
            statements.append(Statement(
                f"{target} = __minigrad_backward__(__statements__[{number}][0], __statements__[{number}][1], "
                f"__failed__, {result}, {', '.join(names)})", statement.tag))
        elif value != target:
            statements.append(Statement(f"{target} = {value}", statement.tag))
    if not names_of:
        return False
    agrees = _torch_run_agrees(program, mine, statements, {
        "__minigrad_backward__": _MinigradBackward.apply, "__statements__": names_of, "__failed__": failed,
        "__substitute__": _substitute, "__replacements__": replacements})
    return agrees and not failed     # (``failed`` is filled as torch's run calls the backwards)


def check(program):
    """(mismatch or None, torch's outcome, minigrad's outcome)."""
    theirs = execute(program, torch)
    try:
        mine = execute(program, minigrad)
    except Exception as error:   # something outside the statements broke: report, never crash the run
        return Mismatch("harness", "harness", f"{type(error).__name__}: {error}"), theirs, None
    mismatch = compare(program, mine, theirs)
    if mismatch is not None and mismatch.kind.startswith("error"):   # an op's error, or rounding's?
        kind = error_agreeing(program, min(outcome.error[0] for outcome in (mine, theirs) if outcome.error))
        if kind is not None:
            mismatch = Mismatch(kind, mismatch.tag, f"{mismatch.kind}: {mismatch.detail}")
    if mismatch is not None and mismatch.kind in ("value", "grad", "shape"):   # rounding, or a real difference?
        reference = float64_reference(program)
        reference, agreeing = None if reference.error else reference, ops_agreeing(program)
        mismatch = compare(program, mine, theirs, reference, agreeing)
        if mismatch is not None and mismatch.kind == "grad":
            mismatch = compare(program, mine, theirs, reference, agreeing, backward_agreeing(program, mine))
        kind = mismatch is not None and mismatch.kind in ("value", "grad") and substituted(program, mine)
        if kind:
            mismatch = Mismatch(kind, mismatch.tag, mismatch.detail)
        elif mismatch is not None and mismatch.kind == "grad":
            kind = "order" if backward_substituted(program, mine) or \
                backward_substituted(program, mine, _differing(program)) else \
                "rounding" if backward_substituted(program, mine, _differing(program), every_op=True) else None
            if kind:
                mismatch = Mismatch(kind, mismatch.tag, mismatch.detail)
    if mismatch is None and not mine.error and not theirs.error:
        mismatch = _node_mismatch(program, mine, theirs)
    return mismatch, theirs, mine


def _node_mismatch(program, mine, theirs):
    """A ``grad_fn`` mismatch: the first output whose node torch names otherwise (its maker's tag)."""
    for name in program.outputs:
        if mine.nodes.get(name) != theirs.nodes.get(name):
            return Mismatch("grad_fn", program.statements[_creator(program, name)].tag,
                            f"{name}: {mine.nodes.get(name)} vs torch {theirs.nodes.get(name)}")
    return None
