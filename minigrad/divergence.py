"""Where does minigrad first part from torch?  Module by module, then op by op.

``locate_divergence(model, torch_model, inputs, loss_fn)`` runs one forward and
backward on each library and records, for every submodule call (in the order the
calls finished, so a child comes before its parent), its outputs, the gradients
that reached them ("grad out") and the gradients its backward sent to its inputs,
and every parameter's gradient.  The report is a table: module path, forward max
abs/rel difference, backward (input gradients) max abs/rel difference, and
whether each is within the dtype's tolerance (``minigrad.testing.TOLERANCES``);
the first module that diverges forward and the first that diverges backward
(the first, in backward order, whose input gradients differ) are marked.

Then it bisects inside that module, op by op: minigrad's ops were recorded with
their input arrays, options and the gradients the engine gave and took; each op
is replayed in torch on the very same arrays (a table below maps op classes to
torch functions), so an op is judged on its own, whatever came before it.  The
first op whose output, or whose gradient for an input, differs from torch's is
named with the line of Python that called it.  When every op inside a diverging
module agrees with torch, the ops are right and the module composes them
differently (a gate order, a mask): the report says so.

The recording goes through ``core/observe.py`` and is on only inside
``locate_divergence``.
"""
from __future__ import annotations

import os
import sys

import numpy

from .core import observe
from .core.tensor import Tensor
from .ops.factories import tensor as _tensor
from .tolerances import TOLERANCES

__all__ = ["locate_divergence", "DivergenceReport"]

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
# the op machinery; a frame in nn/ is a source line worth naming, one in core/ or ops/ is not
_MACHINERY = tuple(_PACKAGE + part + os.sep for part in ("core", "ops", "autograd")) + (
    os.path.abspath(__file__),)


def _torch():
    import torch
    return torch


def _tolerance(dtype_name):
    return TOLERANCES.get(dtype_name, (0.0, 0.0))


# ---- comparing arrays ----------------------------------------------------------------
class Difference:
    """Max abs and rel differences between minigrad's and torch's arrays, and the verdict."""

    def __init__(self, ours, theirs):
        self.max_abs = self.max_rel = 0.0
        self.within = True
        self.note = ""
        for mine, reference in zip(ours, theirs):
            if mine is None and reference is None:
                continue
            if mine is None or reference is None:
                self.within, self.note = False, "only one library has it"
                continue
            mine, reference = numpy.asarray(mine), numpy.asarray(reference)
            if mine.shape != reference.shape:
                self.within, self.note = False, f"shape {mine.shape} vs torch's {reference.shape}"
                continue
            if mine.dtype.kind not in "fc":
                if not numpy.array_equal(mine, reference):
                    self.within, self.max_abs = False, float("inf")
                continue
            rtol, atol = _tolerance(reference.dtype.name)
            mine64, reference64 = mine.astype(numpy.float64), reference.astype(numpy.float64)
            with numpy.errstate(invalid="ignore"):       # inf - inf: equal infinities differ by 0
                gap = numpy.where(mine64 == reference64, 0.0, numpy.abs(mine64 - reference64))
            if gap.size:
                finite = numpy.isfinite(gap)
                self.max_abs = max(self.max_abs, float(gap.max()) if finite.all() else float("inf"))
                scale = numpy.maximum(numpy.abs(reference64), numpy.finfo(numpy.float64).tiny)
                self.max_rel = max(self.max_rel, float((gap / scale).max()) if finite.all() else float("inf"))
            if not numpy.allclose(mine64, reference64, rtol=rtol, atol=atol, equal_nan=True):
                self.within = False
        if len(ours) != len(theirs):
            self.within, self.note = False, f"{len(ours)} outputs vs torch's {len(theirs)}"

    def cells(self):
        return f"{self.max_abs:.2e}", f"{self.max_rel:.2e}", "ok" if self.within else "DIFFERS"


# ---- recording module calls ----------------------------------------------------------
def _tensors(value, kind):
    """The tensors in a module's output, flattened (tuples, lists, PackedSequence-like objects)."""
    if isinstance(value, kind):
        return [value]
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in _tensors(item, kind)]
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _tensors(item, kind)]
    return []


class _ModuleRecorder:
    """Hooks on every submodule: each call's outputs, and the gradients its backward sent to its inputs.

    The inputs are passed through ``view_as`` before the module sees them, so the
    gradient a hook on that view receives is this call's alone, even where the
    same tensor also goes elsewhere (torch's full backward hooks do the same).
    """

    def __init__(self, model, tensor_kind, as_numpy):
        # per call: [path, call number, output arrays, input grads, backward stamp, output grads]
        self.calls = []
        self.stack = []            # the module calls running now, outermost first
        self.handles = []
        self.counts = {}
        self.backward_stamp = 0
        self.tensor_kind, self.as_numpy = tensor_kind, as_numpy
        for path, module in model.named_modules():
            self.handles.append(module.register_forward_pre_hook(self._enter(path or "(model)")))
            self.handles.append(module.register_forward_hook(self._leave()))

    def _enter(self, path):
        def hook(module, args):
            number = self.counts.get(path, 0)
            self.counts[path] = number + 1
            call = [path, number, None, [], None, []]
            self.stack.append((path, number, call))
            return self._watch_inputs(args, call)
        return hook

    def _watch_inputs(self, value, call):
        if isinstance(value, self.tensor_kind):
            if not value.requires_grad:
                return value
            slot = len(call[3])
            call[3].append(None)
            watched = value.view_as(value)
            watched.register_hook(self._input_grad_keeper(call, slot))
            return watched
        if isinstance(value, (tuple, list)) and type(value) in (tuple, list):
            return type(value)(self._watch_inputs(item, call) for item in value)
        return value

    def _input_grad_keeper(self, call, slot):
        def keep(grad):
            call[3][slot] = self.as_numpy(grad)
            if call[4] is None:
                call[4] = self.backward_stamp
                self.backward_stamp += 1
        return keep

    def _output_grad_keeper(self, call, slot):
        def keep(grad):
            call[5][slot] = self.as_numpy(grad)
        return keep

    def _leave(self):
        def hook(module, args, output):
            _, _, call = self.stack.pop()
            tensors = _tensors(output, self.tensor_kind)
            call[2] = [self.as_numpy(tensor) for tensor in tensors]
            call[5] = [None] * len(tensors)
            for slot, tensor in enumerate(tensors):
                if tensor.requires_grad:
                    tensor.register_hook(self._output_grad_keeper(call, slot))
            self.calls.append(call)
        return hook

    def remove(self):
        for handle in self.handles:
            handle.remove()


# ---- recording ops -------------------------------------------------------------------
class OpRecord:
    """One op as minigrad ran it: the arrays it got and gave, forward and backward."""

    def __init__(self, node, inputs, arrays, options, outputs, modules, frame):
        self.node = node
        self.op = type(node).__name__
        self.requires_grad = [tensor.requires_grad for tensor in inputs]
        self.arrays = [numpy.array(array) for array in arrays]
        self.options = dict(options)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        self.outputs = [numpy.array(output) for output in outputs]
        self.modules = tuple(modules)        # the module calls it ran inside, outermost first
        (self.filename, self.lineno, self.line), self.caller = frame
        self.grads = None                    # gradients that reached its outputs (backward)
        self.input_grads = None              # what its backward sent to its inputs
        self.backward_order = None
        self.forward_check = self.backward_check = None
        self.replayable = True
        self.replay_error = None

    @property
    def where(self):
        return f"{self.filename}:{self.lineno}"


class _OpRecorder:
    def __init__(self, module_stack):
        self.ops, self.by_node = [], {}
        self.module_stack = module_stack     # the module recorder's stack (a list it keeps current)
        self.backward_count = 0

    def after_forward(self, node, inputs, arrays, options, outputs):
        modules = [(path, number) for path, number, _ in self.module_stack]
        record = OpRecord(node, inputs, arrays, options, outputs, modules, _source_line())
        self.ops.append(record)
        self.by_node[id(node)] = record

    def after_backward(self, node, grads, input_grads, pending):
        record = self.by_node.get(id(node))
        if record is None or record.node is not node:
            return
        record.grads = [numpy.array(grad) for grad in grads]
        record.input_grads = [None if grad is None else numpy.array(grad) for grad in input_grads]
        record.backward_order = self.backward_count
        self.backward_count += 1


def _source_line():
    """((file, line, text) of the innermost frame outside minigrad's op machinery (an nn/ line
    is one), "file:line" of the innermost frame outside minigrad: the user's call)."""
    import linecache
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_MACHINERY):
        frame = frame.f_back
    if frame is None:
        return ("?", 0, ""), None
    filename, lineno = frame.f_code.co_filename, frame.f_lineno
    source = (filename, lineno, linecache.getline(filename, lineno).strip())
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
    caller = None if frame is None else f"{frame.f_code.co_filename}:{frame.f_lineno}"
    return source, caller


# ---- replaying an op in torch ----------------------------------------------------------
def _sum(torch, x, axes=None, keepdim=False, dtype=None):
    torch_dtype = getattr(torch, numpy.dtype(dtype).name) if dtype is not None else None
    if axes is None:
        result = x.sum(dtype=torch_dtype)
        return result.reshape((1,) * x.dim()) if keepdim else result
    return x.sum(dim=tuple(axes) if isinstance(axes, (tuple, list)) else axes, keepdim=keepdim, dtype=torch_dtype)


def _mean(torch, x, axes=None, keepdim=False):
    if axes is None:
        result = x.mean()
        return result.reshape((1,) * x.dim()) if keepdim else result
    return x.mean(dim=tuple(axes) if isinstance(axes, (tuple, list)) else axes, keepdim=keepdim)


def _as_torch(torch, value):
    return torch.from_numpy(numpy.asarray(value)) if isinstance(value, numpy.ndarray) else value


# op class name -> torch(tensors, options) -> tensor or tuple; options are the forward's keyword arguments
REPLAY = {
    "Add": lambda t, a, b, alpha=1: t.add(a, b, alpha=alpha),
    "Sub": lambda t, a, b, alpha=1: t.sub(a, b, alpha=alpha),
    "Mul": lambda t, a, b, singles=None: t.mul(a, b),      # (singles: how minigrad follows torch's float16)
    "Div": lambda t, a, b, singles=None: t.div(a, b),
    "Neg": lambda t, x: t.neg(x),
    "PowScalar": lambda t, x, exponent: t.pow(x, exponent),
    "Pow": lambda t, base, exponent: t.pow(base, exponent),
    "Matmul": lambda t, a, b: t.matmul(a, b),
    "Exp": lambda t, x: t.exp(x),
    "Log": lambda t, x: t.log(x),
    "Sqrt": lambda t, x: t.sqrt(x),
    "Square": lambda t, x: t.square(x),
    "Tanh": lambda t, x: t.tanh(x),
    "Sigmoid": lambda t, x: t.sigmoid(x),
    "Relu": lambda t, x: t.relu(x),
    "Abs": lambda t, x: t.abs(x),
    "Sin": lambda t, x: t.sin(x),
    "Cos": lambda t, x: t.cos(x),
    "Softmax": lambda t, x, axis: t.softmax(x, dim=axis),
    "LogSoftmax": lambda t, x, axis: t.log_softmax(x, dim=axis),
    "Sum": lambda t, x, axes=None, keepdim=False, dtype=None: _sum(t, x, axes, keepdim, dtype),
    "Mean": lambda t, x, axes=None, keepdim=False: _mean(t, x, axes, keepdim),
    "View": lambda t, x, shape: x.reshape(tuple(shape)),
    "Permute": lambda t, x, axes: x.permute(tuple(axes)),
    "Expand": lambda t, x, shape: x.expand(tuple(shape)),
    "Slice": lambda t, x, key: x[key],
    "Clone": lambda t, x: x.clone(),
    "Cat": lambda t, *xs, dim: t.cat(xs, dim=dim),
    "Stack": lambda t, *xs, dim: t.stack(xs, dim=dim),
    "Split": lambda t, x, offsets, dim, with_sizes=False: t.tensor_split(x, list(offsets), dim=dim),
    "Unbind": lambda t, x, dim: t.unbind(x, dim=dim),
    "Tril": lambda t, x, diagonal, upper: t.triu(x, diagonal) if upper else t.tril(x, diagonal),
    "Where": lambda t, input, other, condition: t.where(_as_torch(t, condition), input, other),
    "MaskedFill": lambda t, x, value=None, mask=None, fill=None: x.masked_fill(
        _as_torch(t, mask), value if value is not None else fill),
    "Maximum": lambda t, a, b, largest: t.maximum(a, b) if largest else t.minimum(a, b),
    "ClampMin": lambda t, x, low: t.clamp_min(x, low),
    "IndexSelect": lambda t, x, index, dim: t.index_select(x, dim, _as_torch(t, index)),
    "Gather": lambda t, x, index, dim: t.gather(x, dim, _as_torch(t, index)),
    # nn's fused ops
    "Linear": lambda t, x, weight, *bias, as_matrix=False: t.nn.functional.linear(x, weight, *bias).reshape(
        (-1, weight.shape[0]) if as_matrix else x.shape[:-1] + weight.shape[:1]),
    "Embedding": lambda t, weight, indices, padding_idx, scale_grad_by_freq: t.nn.functional.embedding(
        _as_torch(t, indices), weight, padding_idx, scale_grad_by_freq=scale_grad_by_freq),
    "LayerNorm": lambda t, x, *affine, normalized_ndim, eps, has_weight, has_bias: t.nn.functional.layer_norm(
        x, x.shape[x.dim() - normalized_ndim:], affine[0] if has_weight else None,
        affine[-1] if has_bias else None, eps),
}


def _replay_name(node_class):
    """The REPLAY key of an op class: its own name, or that of the op it subclasses (a planted copy)."""
    for klass in node_class.__mro__:
        if klass.__name__ in REPLAY:
            return klass.__name__
    return None


def _check_op(record, torch):
    """Replay one recorded op in torch: forward on the same inputs, backward from the same gradients."""
    name = _replay_name(type(record.node))
    if name is None:
        record.replayable = False
        return
    inputs = [torch.from_numpy(array.copy()).requires_grad_(needs and array.dtype.kind in "fc")
              for array, needs in zip(record.arrays, record.requires_grad)]
    try:
        result = REPLAY[name](torch, *inputs, **record.options)
    except Exception as error:         # torch refuses these inputs: report, do not guess
        record.replayable, record.replay_error = False, f"{type(error).__name__}: {error}"
        return
    results = list(result) if isinstance(result, (tuple, list)) else [result]
    record.forward_check = Difference(record.outputs, [r.detach().numpy() for r in results])
    if record.grads is None or record.input_grads is None:
        return
    wanted = [(index, tensor) for index, tensor in enumerate(inputs) if tensor.requires_grad]
    outputs = [(r, torch.from_numpy(g.copy())) for r, g in zip(results, record.grads) if r.requires_grad]
    if not wanted or not outputs:
        return
    theirs = torch.autograd.grad([r for r, _ in outputs], [t for _, t in wanted],
                                 grad_outputs=[g for _, g in outputs], allow_unused=True)
    ours = [record.input_grads[index] if index < len(record.input_grads) else None for index, _ in wanted]
    theirs = [None if grad is None else grad.numpy() for grad in theirs]
    # torch leaves an input it does not reach at None; minigrad may send zeros
    ours = [mine if not (reference is None and mine is not None and not numpy.any(mine)) else None
            for mine, reference in zip(ours, theirs)]
    record.backward_check = Difference(ours, theirs)


# ---- the report --------------------------------------------------------------------------
class ModuleRow:
    """One module call: its outputs against torch's (forward), and the gradients its backward
    sent to its inputs against torch's (backward; ``None`` when no input needs a gradient)."""

    def __init__(self, path, number, forward, backward, backward_stamp, output_grad=None):
        self.path, self.number, self.forward, self.backward = path, number, forward, backward
        self.output_grad = output_grad            # the gradients that reached its outputs
        self.backward_stamp = backward_stamp      # when its input gradients arrived (backward order)

    @property
    def name(self):
        return self.path if self.number == 0 else f"{self.path} (call {self.number + 1})"


class DivergenceReport:
    """What ``locate_divergence`` found; ``str(report)`` is the table."""

    def __init__(self, rows, parameter_rows, ops, loss_difference):
        self.rows = rows                       # ModuleRow per module call, in the order calls finished
        self.parameter_rows = parameter_rows   # (name, Difference) per parameter gradient
        self.ops = ops                         # OpRecord of the ops checked, in forward order
        self.loss = loss_difference
        self.first_forward = next((row for row in rows if not row.forward.within), None)
        # backward runs from the loss: the first module (in backward order) whose backward
        # sent its inputs gradients that differ is where the backward went wrong
        diverging = [row for row in rows if row.backward is not None and not row.backward.within]
        self.first_backward = min(diverging, key=lambda row: row.backward_stamp, default=None)
        checked = [op for op in ops if op.forward_check is not None]
        self.first_forward_op = next((op for op in checked if not op.forward_check.within), None)
        in_backward = sorted((op for op in ops if op.backward_check is not None),
                             key=lambda op: op.backward_order)
        self.first_backward_op = next((op for op in in_backward if not op.backward_check.within), None)
        self.unreplayed = sorted({op.op for op in ops if not op.replayable})

    @property
    def diverges(self):
        return (self.first_forward is not None or self.first_backward is not None
                or any(not difference.within for _, difference in self.parameter_rows))

    def table(self):
        header = ("module", "fwd max abs", "fwd max rel", "fwd", "grad out", "bwd max abs", "bwd max rel", "bwd", "")
        lines = []
        for row in self.rows:
            backward = row.backward.cells() if row.backward is not None else ("-", "-", "-")
            mark = []
            if row is self.first_forward:
                mark.append("<- first forward divergence")
            if row is self.first_backward:
                mark.append("<- first backward divergence")
            grad_out = "-" if row.output_grad is None else row.output_grad.cells()[2]
            lines.append((row.name, *row.forward.cells(), grad_out, *backward, " ".join(mark)))
        for name, difference in self.parameter_rows:
            lines.append((f"{name}.grad", "-", "-", "-", "-", *difference.cells(), ""))
        widths = [max(len(str(line[i])) for line in [header] + lines) for i in range(len(header))]
        text = ["  ".join(str(cell).ljust(width) for cell, width in zip(line, widths)).rstrip()
                for line in [header] + lines]
        text.insert(1, "  ".join("-" * width for width in widths).rstrip())
        return "\n".join(text)

    def op_summary(self):
        lines = []
        for label, op, check in (("forward", self.first_forward_op, "forward_check"),
                                 ("backward", self.first_backward_op, "backward_check")):
            if op is None:
                continue
            difference = getattr(op, check)
            called = f" (called from {op.caller})" if op.caller and op.caller != op.where else ""
            lines.append(f"first op whose {label} differs from torch: {op.op} at {op.where}{called}\n"
                         f"    {op.line}\n"
                         f"    max abs {difference.max_abs:.2e}, max rel {difference.max_rel:.2e}"
                         + (f" ({difference.note})" if difference.note else ""))
        if self.diverges and not lines and self.ops:
            where = self.first_forward or self.first_backward
            lines.append(f"every op inside {where.name if where else 'the model'} that could be replayed "
                         f"({sum(op.forward_check is not None for op in self.ops)} ops) agrees with torch on "
                         "its own inputs: the ops are right, the module composes them differently "
                         "from torch (an order of gates, a mask, a missing term)")
        if self.unreplayed:
            lines.append(f"not replayed (no torch mapping in minigrad.divergence.REPLAY, or torch refused "
                         f"the recorded inputs: see each op's replay_error): "
                         f"{', '.join(self.unreplayed)}")
        return "\n".join(lines)

    def __str__(self):
        text = self.table()
        summary = self.op_summary()
        if not self.diverges:
            text += "\nno divergence: every module and gradient is within tolerance"
        return text + ("\n" + summary if summary else "")

    def __repr__(self):
        return str(self)


def _run(model, inputs, loss_fn, tensor_kind, as_numpy, op_recorder=None):
    recorder = _ModuleRecorder(model, tensor_kind, as_numpy)
    if op_recorder is not None:
        op_recorder.module_stack = recorder.stack
        observe.attach(op_recorder)
    try:
        output = model(*inputs)
        loss = loss_fn(output)
        loss.backward()
    finally:
        if op_recorder is not None:
            observe.detach(op_recorder)
        recorder.remove()
    return recorder.calls, as_numpy(loss)


def locate_divergence(model, torch_model, inputs, loss_fn, *, torch_loss_fn=None, ops=True):
    """Run ``loss_fn(model(*inputs)).backward()`` in both libraries; report where they part.

    ``model`` is a minigrad module, ``torch_model`` a torch module with the same
    submodule names and the same weights (``torch_model.load_state_dict(
    minigrad.interop.to_torch(model.state_dict()))``).  ``inputs`` are NumPy arrays
    or minigrad tensors (floating ones are made to require grad in both).
    ``loss_fn(output)`` returns a scalar; it is used for both unless
    ``torch_loss_fn`` is given.  With ``ops=True`` the ops inside the first
    diverging module calls are replayed in torch one by one; ``ops="all"``
    replays every op of the run, diverging or not.  Returns a
    ``DivergenceReport``; ``print(report)`` shows the table.
    """
    torch = _torch()
    arrays = [numpy.array(value.detach().numpy() if isinstance(value, Tensor) else value) for value in inputs]
    ours = [_tensor(array.copy(), requires_grad=array.dtype.kind == "f") for array in arrays]
    theirs = [torch.from_numpy(array.copy()).requires_grad_(array.dtype.kind == "f") for array in arrays]
    recorder = _OpRecorder([]) if ops else None
    our_calls, our_loss = _run(model, ours, loss_fn, Tensor, lambda t: t.detach().numpy(), recorder)
    their_calls, their_loss = _run(torch_model, theirs, torch_loss_fn or loss_fn, torch.Tensor,
                                   lambda t: t.detach().cpu().numpy())
    theirs_by_call = {(path, number): (outputs, grads, output_grads)
                      for path, number, outputs, grads, _, output_grads in their_calls}
    rows = []
    for path, number, outputs, input_grads, stamp, output_grads in our_calls:
        their_outputs, their_grads, their_output_grads = theirs_by_call.get((path, number), ([], [], []))
        output_grad = None
        if any(grad is not None for grad in output_grads + their_output_grads):
            output_grad = Difference(output_grads, their_output_grads)
        backward = Difference(input_grads, their_grads) if input_grads or their_grads else None
        rows.append(ModuleRow(path, number, Difference(outputs, their_outputs), backward, stamp, output_grad))
    their_parameters = dict(torch_model.named_parameters())
    parameter_rows = []
    for name, parameter in model.named_parameters():
        reference = their_parameters.get(name)
        mine = None if parameter.grad is None else parameter.grad.detach().numpy()
        theirs_grad = None if reference is None or reference.grad is None else reference.grad.numpy()
        parameter_rows.append((name, Difference([mine], [theirs_grad])))
    report = DivergenceReport(rows, parameter_rows, [], Difference([our_loss], [their_loss]))
    if ops == "all" or (ops and report.diverges):
        suspects = {(row.path, row.number) for row in (report.first_forward, report.first_backward)
                    if row is not None and ops != "all"}
        for record in recorder.ops:
            # no module call diverges (only a parameter's gradient), or "all": every op is checked
            if not suspects or any(call in suspects for call in record.modules):
                _check_op(record, torch)
                report.ops.append(record)
        report = DivergenceReport(rows, parameter_rows, report.ops, report.loss)
    return report
