"""Mismatches the fuzzer knows about, each listed with its reason; nothing is skipped silently.

An entry is a predicate on the program and its mismatch.  ``python tests/fuzz/run.py``
prints how many programs each entry covered; the test fails only on mismatches no entry
covers.
"""
from __future__ import annotations

import dataclasses
import json
import pathlib
import re


@dataclasses.dataclass
class Known:
    name: str
    reason: str
    predicate: object       # (program, mismatch) -> bool
    link: str = ""


def torch_names_the_index_place(program, mismatch):
    """An out-of-bounds error for an index tensor where only the dimension differs and torch's is the
    smaller: torch names the index's place among the key's index tensors (0 for ``x[:, [5]]``),
    minigrad the input's dimension that the index reads (1 there)."""
    found = re.findall(r"index -?\d+ is out of bounds for dimension (\d+) with size \d+", mismatch.detail)
    if mismatch.kind != "error-message" or len(found) != 2 or int(found[1]) >= int(found[0]):
        return False
    mine, theirs = mismatch.detail.split(" vs torch ")
    return re.sub(r"dimension \d+", "", mine).strip("'") == re.sub(r"dimension \d+", "", theirs).strip("'")


def torch_drops_the_output_channels(program, mismatch):
    """A convolution whose weight has no input channels: torch's output has 0 channels where
    minigrad's has the weight's out_channels (all bias, as the sum over no channels is 0);
    the shapes differ in the channel dim only."""
    convolution = re.fullmatch(r"module:conv(\d)d", mismatch.key.split(" @ ")[-1])
    shapes = re.findall(r"\(([\d, ]*)\)", mismatch.detail)
    if mismatch.kind != "shape" or convolution is None or len(shapes) != 2:
        return False
    mine, theirs = ([int(size) for size in shape.split(",") if size.strip()] for shape in shapes)
    channel = len(mine) - int(convolution.group(1)) - 1     # (N,) C, then the spatial dims
    return channel >= 0 and (len(mine) == len(theirs) >= 2 and theirs[channel] == 0 and mine[channel] > 0
            and mine[:channel] + mine[channel + 1:] == theirs[:channel] + theirs[channel + 1:])


def _torch_run(program):
    """Rerun ``program`` in torch, statement by statement: ``(statement, namespace)`` before each one
    and ``(None, namespace)`` after the last (stopping at a statement that raises)."""
    import warnings

    import torch

    from programs import namespace
    ns = namespace(torch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for statement in program.statements:
            yield statement, ns
            try:
                exec(statement.source, ns)
            except Exception:
                return
        yield None, ns


def _convolves_no_channels_at(statement, ns):
    """Is ``statement`` a convolution with a weight of 0 input channels (``ns``: the names before it)?"""
    convolution = statement and re.search(r"F\.conv\dd\(\w+, (\w+)", statement.source)
    return bool(convolution) and convolution.group(1) in ns and ns[convolution.group(1)].shape[1] == 0


def _convolves_no_channels(program):
    """Does the program convolve with a weight of 0 input channels?"""
    return any(_convolves_no_channels_at(statement, ns) for statement, ns in _torch_run(program))


def _torch_fails_on_a_convolution_of_no_channels(program):
    """Does torch raise at a statement that reads the output of a convolution with a weight of 0
    input channels, or a value computed from it?"""
    convolutions, failing = set(), None
    for statement, ns in _torch_run(program):
        if statement is None:
            return False        # torch ran every statement
        if _convolves_no_channels_at(statement, ns):
            convolutions.add(statement.source)
        failing = statement
    read = re.findall(r"\b[xv]\d+\b", failing.source)
    return any(source in convolutions for name in read for source in program.behind(name)[1])


def after_torch_drops_the_output_channels(program, mismatch):
    """The same bug met later: an error minigrad alone (or first) raises (an op given torch's 0
    channels and minigrad's out_channels disagrees), an error both raise in other words (``pow_``
    of torch's ``[0, 3]`` output by a ``[2, 0, 3]`` tensor fails to broadcast in torch's
    in-place check, minigrad's ``[2, 3]`` in the broadcast itself), or of another type (fuzz seed
    1526832: ``v ^ x8`` of a float64 output and a ``[0, 4]`` int64 tensor is torch's dtype error on
    its ``[0, 4]``, minigrad's broadcast error on its ``[2, 4]``), an error torch alone raises
    reading the output (fuzz seeds 351267, 378220: ``v[0, :] = x`` and ``v[2, i] = x`` index
    torch's 0 channels, which minigrad's out_channels hold), or the output's shape itself."""
    if mismatch.kind == "shape":
        return torch_drops_the_output_channels(program, mismatch)
    if mismatch.kind == "error-only-torch":
        if mismatch.tag == "backward":   # torch's backward through its channel-less output (fuzz seed 30183636)
            return _convolves_no_channels(program)
        return _torch_fails_on_a_convolution_of_no_channels(program)
    return mismatch.kind in ("error-only-minigrad", "error-at-other-statement", "error-message", "error-type") \
        and _convolves_no_channels(program)


def torch_reads_an_expanded_dim_wrong(program, mismatch):
    """``median(dim)`` (or its indices) of a tensor made by ``expand``: torch's CPU kernel reads
    the wrong elements along a dim of stride 0 (other slices' values, or memory past them)."""
    if mismatch.kind != "value" or mismatch.tag != "reduce:mediandim":
        return False
    created = {s.source.split(" = ")[0]: s.source for s in program.statements if " = " in s.source}
    statement = created.get(mismatch.detail.split(":")[0], "")
    median_input = re.match(r"\w+ = (\w+)\.median\((-?\d+)", statement)
    if not median_input:
        return False
    # the input's stride along the dim in torch's run (a split or view of an expand has it too:
    # fuzz seed 1707376, ``x.expand(2, 2, 1).split(2, 2)[-1].median(-3)``)
    name, dim = median_input.group(1), int(median_input.group(2))
    for before, ns in _torch_run(program):
        if before is not None and before.source == statement:
            tensor = ns.get(name)
            return hasattr(tensor, "stride") and tensor.dim() > 0 and tensor.stride(dim) == 0
    return False


def after_torch_reads_an_expanded_dim_wrong(program, mismatch):
    """The same bug met later: an error one library alone raises (or both, otherwise), where the
    program cut before the failing statement differs first in such a median (fuzz seed 458896:
    minigrad's indices of 0 divided by themselves raise ZeroDivisionError, torch's wrong 1s do not;
    fuzz seed 3077037: at backward, the loss's weights sized by torch's ``unique`` of the wrong medians
    fit minigrad's values in no shape)."""
    if not mismatch.kind.startswith("error"):
        return False
    import minigrad
    import torch

    from differential import compare, execute
    failing = [outcome.error[0] for outcome in (execute(program, minigrad), execute(program, torch)) if outcome.error]
    if not failing:
        return False
    statements = program.statements[:min(failing)]
    created = [s.source.split(" = ")[0] for s in statements if re.match(r"\w+ = ", s.source)]
    before = dataclasses.replace(program, statements=statements, loss=None,
                                 outputs=[name for name in program.outputs if name in created])
    first = compare(before, execute(before, minigrad), execute(before, torch))
    return first is not None and torch_reads_an_expanded_dim_wrong(before, first)


def torch_fmod_gives_nan(program, mismatch):
    """A value where torch alone has NaNs, in a program that takes a remainder (``%``, ``fmod``,
    ``remainder``): torch's vectorized fmod, and remainder built on it, gives NaN where ``|a / b|``
    overflows (1e308 % 0.5) or ``b`` is subnormal (1.0 % 1e-45); on a tensor too short for its
    vector loop torch gives the right remainder, as minigrad (and Python's math.fmod) does.  The
    mismatched value must be a remainder, or computed from one."""
    name, _, detail = mismatch.detail.partition(": ")
    if mismatch.kind != "value" or not detail.startswith("NaN positions"):
        return False
    mine, theirs = detail.split(" vs torch ", 1)
    more_nans = theirs.count("nan") > mine.count("nan") if "..." not in detail else _more_nans_in_torch(program, name)
    return more_nans and any(
        re.search(r"%|\bfmod\b|\bremainder\b", source) for source in program.behind(name)[1])


def _more_nans_in_torch(program, name):
    """Has torch's value of ``name`` more NaNs than minigrad's (counted in full: a long value's
    brief in the detail leaves most of it out; fuzz seed 308210)?"""
    import minigrad
    import numpy
    import torch

    from differential import execute
    forward = dataclasses.replace(program, loss=None)
    counts = []
    for lib in (minigrad, torch):
        snapshot = execute(forward, lib).values.get(name)
        if snapshot is None or snapshot[0] != "tensor" or snapshot[4].dtype.kind != "f":
            return False
        counts.append(int(numpy.isnan(snapshot[4]).sum()))
    return counts[1] > counts[0]


def torch_drops_a_half_nans_sign(program, mismatch):
    """``copysign(a, b)`` with ``b`` a float16 holding a negative NaN (sqrt of a negative: x86's
    default NaN), whose values differ only in their signs: torch's scalar Half-to-float conversion
    (a broadcast or short operand) makes the NaN positive, its vectorized one keeps the sign (a
    float16 -NaN's ``.float()`` is +NaN for one element, -NaN for eight), as NumPy and minigrad do."""
    import minigrad
    import numpy
    import torch

    from differential import execute
    name = mismatch.detail.partition(": ")[0]
    written = [source for source in program.behind(name)[1] if source.startswith(f"{name} = ")]
    call = re.search(r"copysign\((\w+), (\w+)\)", written[0]) if mismatch.kind == "value" and written else None
    if call is None:
        return False
    forward = dataclasses.replace(program, loss=None, outputs=[name, call.group(2)])
    mine, theirs = (execute(forward, lib).values for lib in (minigrad, torch))
    sign = theirs.get(call.group(2))
    if sign is None or sign[0] != "tensor" or sign[4].dtype != numpy.float16 or None in (mine.get(name), theirs.get(name)):
        return False
    negative_nans = numpy.isnan(sign[4]) & numpy.signbit(sign[4])
    return bool(negative_nans.any()) and numpy.array_equal(numpy.abs(mine[name][4]), numpy.abs(theirs[name][4]),
                                                           equal_nan=True)


def after_torch_fmod_gives_nan(program, mismatch):
    """The same bug met later, at backward: the loss's weights were sized by torch's results, and a
    count made from a remainder (``unique`` of it) differs where torch's remainder has NaNs, so the
    two libraries fail differently there.  Covered only where the program run without its loss
    shows the remainder's NaNs (``torch_fmod_gives_nan``) as its first difference."""
    if not mismatch.kind.startswith("error") or mismatch.tag != "backward":
        return False
    import minigrad
    import torch

    from differential import compare, execute
    forward = dataclasses.replace(program, loss=None)
    first = compare(forward, execute(forward, minigrad), execute(forward, torch))
    return first is not None and torch_fmod_gives_nan(program, first)


def torch_fmod_gives_nan_in_a_gradient(program, mismatch):
    """The same bug met in a gradient alone: torch's NaN remainder is overwritten before the end,
    but a backward multiplies the gradient by a function of it (fuzz seed 50566949: fmod(3e38, -0.464)
    is NaN in torch's vectors, 0.0444 in its scalar loop and minigrad's; ``v3 **= -1.08`` then
    ``v3[None] = x6`` overwrite it, and pow's backward 0 * NaN ** -2.08 leaves a NaN in x0's gradient).
    Covered where torch's run with minigrad's remainders put in place of its own gives minigrad's
    values and gradients (``differential._agrees_with``): the remainders are the whole difference."""
    if mismatch.kind != "grad" or "NaN positions" not in mismatch.detail:
        return False
    remainders = {statement.source for statement in program.statements
                  if re.match(r"\w+ = .*(%|\bfmod\b|\bremainder\b)", statement.source)}
    if not remainders:
        return False
    import minigrad

    from differential import _agrees_with, execute
    return _agrees_with(program, execute(program, minigrad), remainders)


def _torch_integer_tensors_requiring_grad(program):
    """The names of the integer or bool tensors that require grad at some point of ``program`` run in torch."""
    import torch
    return {name for _, ns in _torch_run(program) for name, value in ns.items()
            if isinstance(value, torch.Tensor) and value.requires_grad
            and not (value.is_floating_point() or value.is_complex())}


BOOL_SUBTRACTION = "Subtraction, the `-` operator, with a bool tensor is not supported"
BOOL_NEGATION = "Negation, the `-` operator, on a bool tensor is not supported"
TAINT_ERRORS = ("isDifferentiableType", "Autograd not support dtype", "A view was created in no_grad mode")


def torch_lets_an_integer_tensor_require_grad(program, mismatch):
    """torch gave an integer (or bool) tensor a history, and the mismatch follows from it: a
    ``requires_grad`` True where minigrad's is False (the tensor itself, or what torch computed
    from it), or an error torch raises on such a tensor later (its internal assert in backward,
    its refusal of an op's history for the dtype, its view check on the history it gave the tensor, its
    leaf check on a view of it whose node is stale),
    where minigrad raises none or another."""
    tainted = _torch_integer_tensors_requiring_grad
    if mismatch.kind == "requires_grad":      # the tensor itself, or computed from one torch tainted
        name = mismatch.detail.partition(": ")[0]
        return mismatch.detail.endswith(": False vs torch True") and \
            bool(tainted(program) & program.behind(name)[0])
    if mismatch.kind == "error-at-other-statement":
        # torch's leaf check stops at the in-place write to such a tensor before minigrad's later
        # error (fuzz seed 2763612: ``v1.zero_()`` of a uint8 view written with a value, then
        # ``0.0 & v5``, minigrad's error)
        order = re.match(r"minigrad at (\d+) .*; torch at (\d+) ", mismatch.detail)
        return bool(order) and int(order.group(2)) < int(order.group(1)) and \
            mismatch.detail.endswith(LEAF_IN_PLACE) and _torch_writes_a_tainted_integer_tensor_in_place(program)
    if mismatch.kind not in ("error-only-torch", "error-message", "error-type"):
        return False
    message = mismatch.detail.split(" vs torch ")[-1]
    # (minigrad's own error there, of another type: fuzz seed 30101089, an index out of range of
    # the int64 tensor torch refuses with 'Autograd not support dtype')
    if any(text in message for text in TAINT_ERRORS):
        return bool(tainted(program))
    # a backward formula that subtracts from (or negates) the saved bool tensor torch gave a history
    # (fuzz seed 8498649: logsumexp's ``(self - result).exp()`` of a bool tensor written with a value;
    # seed 8110872: asin's ``(-self * self + 1).rsqrt()``), where minigrad's backward runs, or finds
    # nothing requiring grad (fuzz seed 30159155)
    if mismatch.kind in ("error-only-torch", "error-message") and mismatch.tag == "backward" \
            and (BOOL_SUBTRACTION in message or BOOL_NEGATION in message):
        return bool(tainted(program))
    # an in-place write to such a tensor, a view made before torch gave its base the history (fuzz
    # seed 469335): torch's in-place check finds the view's node stale and empty, a leaf's
    if mismatch.kind == "error-only-torch" and message.endswith(LEAF_IN_PLACE):
        return _torch_writes_a_tainted_integer_tensor_in_place(program)
    # the same leaf check, met where minigrad raises its own error at that write (fuzz seed 5013238:
    # ``v4.pow_(x15)`` of an int16 view torch tainted, minigrad's dtype error)
    if mismatch.kind == "error-message" and message.strip("'").endswith(LEAF_IN_PLACE):
        return _torch_writes_a_tainted_integer_tensor_in_place(program)
    # backward's version check on a saved integer tensor torch gave a history: its message names the
    # node of that history (``, which is output 0 of torch::autograd::CopySlices,``), minigrad's none
    ours = mismatch.detail.split(" vs torch ")[0]
    if mismatch.kind == "error-message" and INTEGER_TENSOR_NAMED.search(message) and \
            MADE_BY.sub("", message) == ours:
        return bool(tainted(program))
    # backward's version check on a float tensor that has a history only through a tainted one; in
    # minigrad no error, or none but that the loss has no graph at all (fuzz seed 545020); or, with no
    # graph in minigrad, torch's backward reaching an op without a derivative through a tainted
    # tensor (fuzz seed 60345: floor_divide of a view of a bool tensor written with a value)
    no_graph = mismatch.kind == "error-message" and NO_GRAPH in ours
    torch_backward_error = "modified by an inplace operation" in message or \
        no_graph and "derivative for " in message and message.strip("'").endswith(" is not implemented")
    return (mismatch.kind == "error-only-torch" or no_graph) and torch_backward_error \
        and bool(_torch_descendants_of_tainted(program, tainted(program)))


NO_GRAPH = "element 0 of tensors does not require grad and does not have a grad_fn"


# (torch names a saved tensor "torch.BoolTensor", or "CPUBoolType" where it was an index: fuzz seed 1255814)
INTEGER_TENSOR_NAMED = re.compile(
    r"modified by an inplace operation: \[(torch\.(Bool|Byte|Char|Short|Int|Long)Tensor|CPU(Bool|Byte|Char|Short|Int|Long)Type)")
MADE_BY = re.compile(r", which is output \d+ of [\w:]+,")


def _torch_descendants_of_tainted(program, tainted):
    """The float tensors that require grad at the end of ``program`` run in torch and were computed
    from a ``tainted`` integer tensor (``program.behind``)."""
    import torch
    *_, (_, ns) = _torch_run(program)
    return {name for name, value in ns.items() if isinstance(value, torch.Tensor) and value.requires_grad
            and value.is_floating_point() and name not in tainted and tainted & program.behind(name)[0]}


def torch_asserts_on_a_bool_base_power(program, mismatch):
    """torch's backward of ``bool_number ** tensor`` (``False ** x``) dies on an internal assert in
    Scalar::log ("unknown ivalue tag 4"), where minigrad gives the exponent its gradient (and may
    then meet an error of its own further back, another type: fuzz seed 30339314, unique's missing
    derivative)."""
    return mismatch.kind in ("error-only-torch", "error-message", "error-type") and \
        'Scalar.cpp":42' in mismatch.detail and "unknown ivalue tag 4" in mismatch.detail




def torch_refuses_its_own_nll_loss2d_gradient(program, mismatch):
    """torch's backward of ``nll_loss`` of a 4-d input that is not contiguous (a transposed or
    permuted view) raises "grad_input must be contiguous": its nll_loss2d backward allocates the
    gradient ``zeros_like(input)`` (the input's layout) and then checks that it is contiguous.  Only
    that error, at backward, in a program whose ``F.nll_loss`` takes such an input in torch."""
    if mismatch.kind != "error-only-torch" or mismatch.tag != "backward" or \
            not mismatch.detail.endswith("RuntimeError: grad_input must be contiguous"):
        return False
    for statement, ns in _torch_run(program):
        called = statement and re.search(r"\bF\.nll_loss\((\w+),", statement.source)
        if called and called.group(1) in ns:
            input = ns[called.group(1)]
            if input.dim() == 4 and input.requires_grad and not input.is_contiguous():
                return True
    return False


def _torch_isin_operands(program):
    """(elements, test_elements) of each ``lib.isin(a, b)`` of two tensors in torch's run of ``program``."""
    import torch
    for statement, ns in _torch_run(program):
        called = statement and re.search(r"\blib\.isin\((\w+), (\w+)\)", statement.source)
        if called and all(isinstance(ns.get(name), torch.Tensor) for name in called.groups()):
            yield tuple(ns[name] for name in called.groups())


def torch_cannot_flatten_isins_test_elements(program, mismatch):
    """torch's ``isin`` raises "view size is not compatible" where its test elements are a tensor of
    2 or more dims that no view flattens (a transpose, or ``nonzero``'s column-major output): its
    default kernel (a short test list against the elements) flattens them with a view.  Only that
    error, at an ``isin`` that computes in torch with the same values made contiguous."""
    import torch
    if mismatch.kind != "error-only-torch" or "view size is not compatible" not in mismatch.detail:
        return False
    for elements, test_elements in _torch_isin_operands(program):
        if test_elements.is_contiguous():
            continue
        try:
            torch.isin(elements, test_elements.contiguous())
        except RuntimeError:
            return False
        try:
            torch.isin(elements, test_elements)
        except RuntimeError as error:
            return "view size is not compatible" in str(error)
    return False


def torch_finds_elements_promotion_collapsed(program, mismatch):
    """torch's ``isin`` on its sorting path (a long test list) takes elements that promotion to the
    common dtype makes equal (int64 past float16's range all become inf) as found: it takes the unique
    elements before the promotion, and its sort then sees two equal values side by side, which it
    reads as an element and a test value.  Only a value mismatch at an ``isin`` whose torch result
    differs from the plain comparison in the common dtype where the promotion collapsed elements."""
    import torch
    if mismatch.kind != "value" or not mismatch.key.endswith("surface:isin"):
        return False
    for elements, test_elements in _torch_isin_operands(program):
        common = torch.result_type(elements, test_elements)
        promoted = elements.to(common)
        compared = (promoted.reshape(-1, 1) == test_elements.to(common).reshape(1, -1)).any(1)
        collapsed = promoted.unique().numel() < elements.unique().numel()
        if collapsed and not torch.equal(torch.isin(elements, test_elements).reshape(-1), compared):
            return True
    return False


LEAF_IN_PLACE = "a leaf Variable that requires grad is being used in an in-place operation."


def _torch_writes_a_tainted_integer_tensor_in_place(program):
    """Is the statement torch stops at an in-place write to an integer tensor that torch let
    require grad?"""
    failing = None
    for statement, _ in _torch_run(program):
        if statement is None:
            return False
        failing = statement
    written = re.match(r"(?:\w+ = )?(\w+)(?:\[.*\] = | \S+= |\.\w+_\()", failing.source)
    return bool(written) and written.group(1) in _torch_integer_tensors_requiring_grad(program)


def torch_mutates_a_zero_tensor(program, mismatch):
    """torch's backward raises 'ZeroTensors are immutable' where minigrad computes: sgn's gradient (and
    sign's under some paths) is an efficient ZeroTensor, which a later backward step writes in place;
    or where minigrad's backward goes on to a later node's error (fuzz seed 50794284: std's backward
    writes sgn's ZeroTensor, torch stops there; minigrad's backward reaches floor_divide's missing
    derivative)."""
    if mismatch.kind == "error-message" and mismatch.tag == "backward":
        return "ZeroTensors are immutable" in mismatch.detail.split(" vs torch ")[-1]
    return mismatch.kind == "error-only-torch" and "ZeroTensors are immutable" in mismatch.detail


# torch's own bugs: minigrad keeps the documented (or mathematically right) result
KNOWN_TORCH_BUGS = [
    Known("torch's backward writes in place into sgn's ZeroTensor gradient",
          "sgn_backward of a real tensor returns an efficient ZeroTensor; a later backward step that "
          "accumulates in place into it (a pow_ of an indexed view, seen with fuzz seed 50119622) raises "
          "'ZeroTensors are immutable' in torch 2.13; minigrad's gradient is an ordinary zero array and "
          "backward completes (or goes on to a later node's own error). The link is the same failure in forward AD, fixed there op by op",
          torch_mutates_a_zero_tensor, "https://github.com/pytorch/pytorch/issues/69855"),
    Known("a convolution with 0 input channels gives 0 output channels",
          "torch's eager convolution of an input with no channels returns no channels (its 'empty' "
          "path); the mathematically right output, which torch's own compiler produces, has the "
          "weight's out_channels, each the bias: minigrad gives that",
          after_torch_drops_the_output_channels, "https://github.com/pytorch/pytorch/issues/101356"),
    Known("fmod and remainder give NaN on torch's vectorized path",
          "Sleef's fmod, which torch's vector loop calls, is undefined once |a / b| overflows (and for a "
          "subnormal b): NaN for 1e308 % 0.5 on a tensor of 4 or more float64s (8 float32s), the right "
          "remainder on a shorter one; minigrad gives the right remainder",
          torch_fmod_gives_nan, "https://github.com/pytorch/pytorch/issues/193753"),
    Known("fmod and remainder give NaN on torch's vectorized path, met at backward",
          "the remainder's NaNs give a unique of it more values in torch, and the loss's weights take "
          "torch's count: minigrad's loss fails to broadcast where torch's backward reaches unique's "
          "missing derivative (the forward alone differs only by the remainder's NaNs)",
          after_torch_fmod_gives_nan, "https://github.com/pytorch/pytorch/issues/193753"),
    Known("fmod and remainder give NaN on torch's vectorized path, met in a gradient",
          "a NaN remainder of torch's, overwritten later, leaves its NaN in a gradient through a backward "
          "that reads it (pow's); torch's run with minigrad's remainders in their place agrees",
          torch_fmod_gives_nan_in_a_gradient, "https://github.com/pytorch/pytorch/issues/193753"),
    Known("torch's scalar Half-to-float conversion drops a NaN's sign",
          "copysign(a, b) with b a float16 -NaN, broadcast: torch converts it to float32 element by "
          "element, and c10's conversion gives +NaN (its vectorized one keeps the sign: a -NaN's .float() "
          "is +NaN for one element, -NaN for eight); minigrad keeps the sign, as NumPy. The link is the "
          "same conversion met by copysign on CUDA",
          torch_drops_a_half_nans_sign, "https://github.com/pytorch/pytorch/issues/181804"),
    Known("advanced index out of bounds names the index's place, not the dimension",
          "torch's IndexError for an index tensor names its place among the key's index tensors "
          "(x[:, [5]] says 'dimension 0', x[:, [0], [5]] 'dimension 1'); minigrad names the dimension indexed",
          torch_names_the_index_place, "https://github.com/pytorch/pytorch/issues/38202"),
    Known("median(dim) along an expanded (stride 0) dim reads the wrong elements",
          "torch's CPU median/nanmedian with dim, over a dim of stride 0, returns values that are not "
          "in the slice: torch.tensor([3., 1., 2.]).reshape(3, 1).expand(3, 4).median(1) gives "
          "values [1.0, 1.05e-05, 4.6e-41] (memory past the elements), where each row is one value "
          "repeated; on .contiguous() it is right. minigrad gives the right median. (The link is the "
          "same bug for discontiguous inputs on CUDA, fixed there; this CPU stride-0 case is unreported)",
          torch_reads_an_expanded_dim_wrong, "https://github.com/pytorch/pytorch/issues/46814"),
    Known("median(dim) along an expanded (stride 0) dim reads the wrong elements, met later",
          "torch's wrong median values or indices then make an op raise in one library alone (minigrad's "
          "indices of 0 divided by themselves raise ZeroDivisionError, torch's 1s do not); the program cut "
          "before that op differs first in the median",
          after_torch_reads_an_expanded_dim_wrong, "https://github.com/pytorch/pytorch/issues/46814"),
    Known("torch.div(INT_MIN, -1, rounding_mode='trunc') kills the process",
          "SIGFPE in torch's integer trunc division (int32/int64); the generator never runs it in torch "
          "(templates._crashes_torch_trunc_division), minigrad wraps to INT_MIN as the floor mode does",
          lambda program, mismatch: False, "https://github.com/pytorch/pytorch/issues/138425"),
    Known("an integer tensor written with a value that requires grad requires grad",
          "torch records x[mask] = v, x.fill_(v), x.masked_fill_(m, v) into an integer or bool x when v "
          "requires grad: x takes the write's node and requires_grad=True, which torch's own rule forbids "
          "('Only Tensors of floating point and complex dtype can require gradients'), and backward through "
          "it dies on 'isDifferentiableType(grad.scalar_type()) INTERNAL ASSERT FAILED ... please report a "
          "bug to PyTorch' (the same as index_fill's, which raises at once), and its in-place error names "
          "that node as the tensor's maker; minigrad's integer tensor needs no gradient, and v gets none "
          "through it",
          torch_lets_an_integer_tensor_require_grad, "https://github.com/pytorch/pytorch/issues/78443"),
    Known("the gradient of a bool number ** a tensor is an internal assert",
          "torch 2.13's pow_backward_exponent takes log of the bool base Scalar without promoting it: "
          "'false INTERNAL ASSERT FAILED at c10/core/Scalar.cpp:42 ... unknown ivalue tag 4' (fixed upstream "
          "by pytorch#182564, after 2.13); minigrad promotes the base as torch's tensor overload does",
          torch_asserts_on_a_bool_base_power, "https://github.com/pytorch/pytorch/issues/182283"),
    Known("nll_loss's backward of a 4-d input that is not contiguous refuses its own gradient",
          "torch 2.13's CPU nll_loss2d backward makes grad_input with zeros_like(input), so in the layout "
          "of a transposed or permuted input, then checks 'grad_input must be contiguous' and raises; the "
          "forward and every other rank (3-d, 5-d: reshaped contiguous first), and cross_entropy (its "
          "log_softmax output is contiguous), compute; minigrad computes the gradient (fixed upstream by "
          "pytorch#175246, after 2.13)",
          torch_refuses_its_own_nll_loss2d_gradient, "https://github.com/pytorch/pytorch/issues/175084"),
    Known("isin of test elements no view flattens raises a view error",
          "torch 2.13's default isin kernel (a short test list) flattens the test elements with a view, "
          "so torch.isin(a, b) with b a transposed 2-d tensor, or nonzero's column-major output, raises "
          "'view size is not compatible with input tensor's size and stride' (the same values made "
          "contiguous compute, and so does the sorting path for a long test list); minigrad computes. "
          "Unreported; the link is the same kernel's earlier non-contiguous bug, fixed for the elements",
          torch_cannot_flatten_isins_test_elements, "https://github.com/pytorch/pytorch/issues/67432"),
    Known("isin's sorting path finds elements that promotion made equal",
          "torch 2.13's isin with a long test list (its sorting path) takes the unique elements before "
          "promoting them to the common dtype, so elements that the promotion makes equal (int64 values "
          "past float16's range against float16 test values: all inf) sit side by side after its sort and "
          "are reported found although no test value equals them; its short-list path, and minigrad, "
          "compare in the common dtype and give False",
          torch_finds_elements_promotion_collapsed, "https://github.com/pytorch/pytorch/issues/194725"),
]

# Open minigrad mismatch classes: found by the 100,000-program run and not fixed yet on
# any branch.  Each line of open_mismatches.json is a class ("<kind> @ <op tag>") with its
# count and seed there; `python tests/fuzz/run.py --seed S --examples 1` reproduces it.  A class
# whose key covers other mismatches too (every error message at backward) names its own in
# "matches", a part of its detail (or a list of parts, one a seed).  Fix a class, then delete its
# line: the fuzz test then holds the fix.
OPEN_MISMATCHES_FILE = pathlib.Path(__file__).with_name("open_mismatches.json")
OPEN_MISMATCHES = json.loads(OPEN_MISMATCHES_FILE.read_text()) if OPEN_MISMATCHES_FILE.exists() else {}


def _open_matches(mismatch):
    """Is ``mismatch`` an open class's: its key listed, and its detail holds that class's "matches"
    (a part of the detail, or a list of such parts, one a seed)?"""
    if mismatch.key not in OPEN_MISMATCHES:
        return False
    matches = OPEN_MISMATCHES[mismatch.key].get("matches", "")
    return any(part in mismatch.detail for part in ([matches] if isinstance(matches, str) else matches))


OPEN = Known("open minigrad mismatch class", "listed in tests/fuzz/open_mismatches.json, not fixed yet",
             lambda program, mismatch: _open_matches(mismatch))


# Not a bug of either library: differential.py's float64 reference shows that minigrad's float32
# or float16 result is as close to the exact one as torch's (see differential.rounding_only).
ROUNDING = Known("float32/float16 rounding only",
                 "both libraries round at every op, torch's vectorised kernels differently from NumPy's "
                 "in the last bit, and a later op magnified it (into an error, too: a unique that counts "
                 "one value fewer); every op, run in torch on minigrad's inputs, agrees with minigrad's, "
                 "or against the same program carried on in float64, minigrad's error is no larger than torch's",
                 lambda program, mismatch: mismatch.kind == "rounding")


# Not a bug of either library: a sum's result depends on the order of its additions and on whether
# a multiply is fused with its add, which IEEE 754 leaves to the implementation, and torch (MKL, its
# vectorised reductions) and NumPy (OpenBLAS, pairwise sums) choose differently per shape and CPU:
# by up to (n - 1) eps/2 of the sum of its terms' magnitudes (far more than an ulp of the result where
# terms cancel), and inf, -inf, NaN or finite where its positive or negative terms alone overflow
# (see differential.order_dependent).
ORDER = Known("the order of a sum",
              "every op behind the differing value or gradient, run in torch on minigrad's inputs, gives "
              "minigrad's result to a few ulps, except a sum (sum, mean, cumsum, linear, conv1d and their "
              "backward, an elementwise binary op's backward to an operand it broadcast, expand's backward, a "
              "loss's sum or mean of its elements' losses), which differs within the "
              "rounding its terms allow in some order, or where its positive or negative terms alone overflow",
              lambda program, mismatch: mismatch.kind == "order")


def _summing_results(program, lib):
    """{source: array} of each summing statement's result (SUMMING_OPS) in ``program`` run in
    ``lib``, copied right after the statement (before any later in-place write)."""
    import warnings

    import numpy

    from differential import SUMMING_OPS
    from programs import namespace
    ns, results = namespace(lib), {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for statement in program.statements:
            try:
                exec(statement.source, ns)
            except Exception:
                break
            target = re.match(r"(\w+) = ", statement.source)
            value = ns.get(target.group(1)) if target and statement.tag in SUMMING_OPS else None
            if hasattr(value, "detach"):
                results[statement.source] = numpy.array(value.detach().numpy())
    return results


def a_zero_sum_has_another_sign(program, mismatch):
    """Infinities of another sign, in a value or a gradient computed from a summing op whose
    result, in both libraries, has the same values but zeros of the other sign: a sum that is
    exactly zero is -0 or +0 by the order of its additions and where its accumulator starts (the
    first term's -0, or +0: -0 + -0 is -0, +0 + -0 is +0), which IEEE 754 leaves to the
    implementation; torch's BLAS and oneDNN choose per shape (conv1d over several input channels
    with a bias of -0.0 starts from the bias in torch's gemm, from +0 in NumPy's matmul; of a single
    input channel and kernel element minigrad keeps torch's bare product).  A reciprocal or
    log downstream (log2's gradient 1 / (x ln 2)) turns the zero's sign into an infinity's."""
    import minigrad
    import numpy
    import torch
    if mismatch.kind not in ("value", "grad") or "infinities" not in mismatch.detail.split(" vs torch ")[0]:
        return False
    name = mismatch.detail.partition(":")[0].removesuffix(".grad")
    sources = set(program.behind(name)[1])
    mine, theirs = _summing_results(program, minigrad), _summing_results(program, torch)
    for source, array in mine.items():
        other = theirs.get(source)
        if source not in sources or other is None or other.shape != array.shape or array.dtype.kind != "f":
            continue
        with numpy.errstate(invalid="ignore"):
            same_values = ((array == other) | (numpy.isnan(array) & numpy.isnan(other))).all()
        if same_values and (numpy.signbit(array) != numpy.signbit(other))[array == 0].any():
            return True
    return False


ZERO_SIGN = Known("the sign of a sum that is exactly zero",
                  "a summing op's (conv1d, linear, sum, ...) result is the same in both libraries but for "
                  "the sign of some zeros, which the order of its additions and its accumulator's start "
                  "decide (IEEE 754 leaves both to the implementation); a reciprocal or log downstream "
                  "turns it into an infinity of the other sign",
                  a_zero_sum_has_another_sign)


def torch_differs_by_its_thread_count(program, mismatch):
    """A value or gradient that torch itself gives otherwise on two threads (the fuzzer runs torch on
    one, as the suite does), and there agrees with minigrad's in every output and gradient: torch's
    kernels order their sums by their thread count (fuzz seed 1239699: BatchNorm1d's backward of a
    batch of 2 whose terms of 2e5 cancel to 1.7 in float32, 1.687 on one thread, 1.6727 on two)."""
    if mismatch.kind not in ("value", "grad"):
        return False
    import minigrad
    import torch

    from differential import compare, execute
    threads = torch.get_num_threads()
    torch.set_num_threads(2 if threads == 1 else 1)
    try:
        theirs = execute(program, torch)
    finally:
        torch.set_num_threads(threads)
    return compare(program, execute(program, minigrad), theirs) is None


THREADS = Known("torch's own result depends on its thread count",
                "torch on another number of threads gives minigrad's values and gradients: its kernels "
                "split and order their sums by thread, which IEEE 754 leaves to the implementation",
                torch_differs_by_its_thread_count)


def batch_norm_fused_agrees(program, mismatch):
    """A value or gradient behind a BatchNorm that minigrad gives as torch's once BatchNorm's output
    multiply-add ``x * alpha + beta`` is fused as torch's compiled kernel's: minigrad fuses it only
    where a whole channel cancels (an FMA costs 4x NumPy's two roundings), so an element near its
    channel's mean keeps an ulp of ``x * alpha`` (fuzz seed 1320973: -3.6335e-4 for torch's
    -3.6342e-4), which a log or reciprocal downstream magnifies (and its gradient through the channel's sum)."""
    if mismatch.kind not in ("value", "grad") or not any(
            statement.tag.startswith("module:BatchNorm") for statement in program.statements):
        return False
    import minigrad
    import torch
    from minigrad.nn._functional import batchnorm

    from differential import compare, execute
    unfused = batchnorm.unfused_madd
    batchnorm.unfused_madd = batchnorm.fmadd
    try:
        mine = execute(program, minigrad)
    finally:
        batchnorm.unfused_madd = unfused
    return compare(program, mine, execute(program, torch)) is None


BATCH_NORM_FMA = Known("BatchNorm's output multiply-add, fused in torch",
                       "torch's kernel computes x * alpha + beta with one rounding (FMA), minigrad with two "
                       "(IEEE 754 leaves the contraction to the implementation) but where a channel cancels; "
                       "fused, minigrad gives torch's values and gradients",
                       batch_norm_fused_agrees)


# minigrad's deliberate differences: an error where torch's result is its kernel's order
OVERLAPPING_WINDOWS = Known(
    "an in-place write into overlapping unfold windows, or one recorded through them, is refused",
    "torch runs x.unfold(0, 3, 1).mul_(2), each shared element written once per window it is in, in its "
    "kernel's order (one in three windows is multiplied by 8), and a recorded write's gradient is copied "
    "back through the windows in that order too; minigrad raises 'the windows of this unfold() view "
    "overlap ... Please clone()' instead (outside a graph a fill, one value everywhere, is allowed)",
    lambda program, mismatch: "windows of this unfold" in mismatch.detail)


def known(program, mismatch):
    """The first known entry that covers this mismatch, or None."""
    for entry in KNOWN_TORCH_BUGS + [OVERLAPPING_WINDOWS, ROUNDING, ORDER, ZERO_SIGN, THREADS, BATCH_NORM_FMA,
                                     OPEN]:
        if entry.predicate(program, mismatch):
            return entry
    return None
