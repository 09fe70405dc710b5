"""``Function``: one node of the graph, a forward and a backward on raw arrays.

An op subclasses ``Function`` and writes two methods::

    class Exp(Function):
        def forward(self, x):                 # arrays in, array(s) out
            y = array_module(x).exp(x)
            self.save_for_backward(y)
            return y

        def backward(self, grad_output):      # d loss / d output in,
            (y,) = self.saved_tensors          # d loss / d input(s) out
            return grad_output * y

``Exp.apply(tensor)`` runs forward on the tensors' arrays, wraps the result in
a Tensor and, when a gradient is needed, links the node into the graph.  The
node points at the nodes that made its inputs (``next_edges``) and never at its
outputs, so tensors and nodes form no reference cycle and a graph is freed as
soon as its last tensor goes.
"""
from __future__ import annotations

import itertools
import sys
import weakref
from collections import OrderedDict

import numpy

from . import dtypes, grad_mode, observe
from .device import array_module, device_of, gpu_in_use
from .hooks import add_hook
from .layout import elementwise_result, is_row_major, relayout
from .tensor import Tensor, _VersionCounter

FREED_GRAPH_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward.")


class Function:
    """Base class of every differentiable op (and of users' own ops).

    A node's attributes start as these class-level defaults (immutable, so shared
    safely); ``apply`` sets them on the nodes that join a graph.
    """

    next_edges = ()          # per input: (node, output_nr) or None when no grad flows
    needs_input_grad = ()    # per input: does it need a gradient?
    output_meta = ()         # per output: (shape, dtype, array module), for zero gradients
    output_hooks = None      # {output_nr: {handle id: hook}} from register_hook / retain_grad
    # torch's sequence number: the order in which nodes joined a graph (``_link``); the engine runs
    # the ready node with the highest first, as torch's, which decides the first error met
    sequence_nr = 0
    _saved = ()
    _saved_versions = ()     # per saved input/output: (version counter, version, array, whose, slot)
    # {input index: array}: a copy of that input saved in its place, as torch's node saves a copy
    # where it cannot view the input (``save_copy_of_input``): a later write to the input is no error
    _saved_input_copies = None
    # True where ``backward``'s formula also runs on Tensors (operators and ``array_module``
    # functions only): then create_graph=True records it as a graph (a second derivative)
    differentiable_backward = False
    # or, for a fused op: ``composite(self, *inputs)`` recomputes its outputs from its input
    # tensors with differentiable ops; create_graph=True then differentiates that instead
    # (such a node keeps its input arrays, ``_composite_inputs``, until it is released)
    composite = None
    _composite_inputs = None
    released = False         # True once torch would have freed this node (views.rebase_view_base)
    replaced_by = ()         # weak references to the in-place writes through a view that replaced it
    # True for such a write until a backward without retain_graph runs it: torch's CopySlices keeps
    # the write (its ``fn``), whose edge holds the view's old node, until then (release_variables)
    holds_replaced_node = False
    released_holders = 0     # edges to it from released nodes (views._release_unless_torch_holds)
    # weak references to the writes whose holding (``holds_replaced_node``) keeps a released node
    # alive in torch: its own replacing writes, and those its released holders were held under
    released_under = ()
    # True where torch's formula uses ``self`` as it is, not cast to the result's dtype (mul's
    # ``grad * self``): an in-place write of a wider result keeps self's dtype (_output_written_as)
    uses_self_uncast = False
    _graph_mode = False      # True while backward runs on Tensors (create_graph=True)
    # torch's result is a new tensor in its default, row-major layout (reductions, cat, softmax,
    # advanced indexing), where NumPy may hand back a transposed or Fortran-ordered array: set
    # True and apply makes the outputs C-contiguous, so .view() and stride() agree with torch
    dense_output = False
    # torch computes it with TensorIterator, element by element over several broadcast tensors
    # (add, mul, lerp): set True and apply gives the output the layout torch derives from the
    # inputs' strides (layout.elementwise_strides), where NumPy's ufunc chose another
    elementwise = False
    # the names of torch's arguments for the inputs (``("self", "other")``), where torch's node saves
    # several: it unpacks them in the order of their names, and the first written since is the one
    # its error names (None: in the inputs' order)
    argument_names = None

    # ---- what an op writes -------------------------------------------------
    def forward(self, *arrays, **options):
        raise NotImplementedError

    def backward(self, *grad_outputs):
        raise NotImplementedError

    def save_for_backward(self, *arrays):
        """Keep ``arrays`` (``None`` for one backward will not need) until backward runs."""
        self._saved = arrays

    def save_copy_of_input(self, index, copy):
        """Mark ``copy`` (to be saved) as input ``index``'s own copy: it stands for the input in a
        recorded backward, and no write to the input since makes it stale."""
        self._saved_input_copies = {**(self._saved_input_copies or {}), index: copy}

    @property
    def saved_tensors(self):
        """The saved arrays (Tensors when the backward is recorded); the engine has checked
        their versions before it ran this node (``check_saved``)."""
        if self._saved is None:
            raise RuntimeError(FREED_GRAPH_MESSAGE)
        if self._graph_mode:
            return self._saved_as_tensors()
        return self._saved

    def check_saved(self):
        """torch's unpacking of a node's saved variables, before its formula runs: none freed, none
        written in place since it was saved.  The engine calls it for every node that saved
        something, so that a node whose formula reads none of it (a zero gradient, an error of its
        own) or whose graph is recorded anew (``composite``) still refuses, in torch's order."""
        if self._saved is None:
            raise RuntimeError(FREED_GRAPH_MESSAGE)
        for counter, version, _, _, _ in self._saved_versions:
            if counter.value != version:
                raise RuntimeError(self._written_saved_error())

    def _written_saved_error(self):
        """torch's error for the first saved tensor written since that its node unpacks: the saved
        inputs in the order of their argument names (``argument_names``), then the outputs."""
        written = [record for record in self._saved_versions if record[0].value != record[1]]
        if self.argument_names is not None:
            written.sort(key=lambda record: (0, self.argument_names[record[4][1]])
                         if record[4] is not None and record[4][0] == "input" else (1, ""))
        counter, version, array, whose, slot = written[0]
        if observe.traces_forward():
            hint = ("the backtrace further above shows the operation that failed to compute its gradient. "
                    "The variable in question was changed in there or anywhere later. Good luck!")
        else:
            hint = ("enable anomaly detection to find the operation that failed to compute its gradient, "
                    "with minigrad.autograd.set_detect_anomaly(True, check_nan=False).")
        return ("one of the variables needed for gradient computation has been modified by an inplace "
                f"operation: {self._describe_saved(array, whose, slot)} is at version {counter.value}; "
                f"expected version {version} instead. Hint: {hint}")

    def _saved_as_tensors(self):
        """The saved arrays as Tensors that sit where they sat in the graph (create_graph=True).

        A saved input is the input's tensor again (its node and output number, from
        ``next_edges``; a leaf is the leaf itself), a saved output a tensor made by this
        node, so a formula that uses them is differentiated through them.  Anything
        else this node saved (masks, indices) is a constant.
        """
        slots = {id(record[2]): record[4] for record in self._saved_versions}
        return tuple(None if array is None else self._graph_tensor(array, slots.get(id(array)))
                     for array in self._saved)

    def _graph_tensor(self, array, slot):
        maker = None
        if slot is not None:
            kind, index = slot
            maker = (self, index) if kind == "output" else self.next_edges[index]
        if maker is None:
            return Tensor._wrap(array)
        node, output_nr = maker
        if isinstance(node, AccumulateGrad):
            leaf = node.leaf      # (cast, recorded, where the op read it promoted: _promoted)
            return leaf if leaf.array.dtype == array.dtype else leaf.to(dtypes.from_numpy_dtype(array.dtype))
        tensor = Tensor._wrap(array, requires_grad=True)
        tensor.grad_fn, tensor._output_nr = node, output_nr
        return tensor

    def _differentiable_backward(self, grad_outputs):
        """``backward`` on Tensors, recorded as a graph (the engine calls it with create_graph=True)."""
        if not self.differentiable_backward:
            raise NotImplementedError(
                f"minigrad cannot differentiate {self.name()} twice yet (create_graph=True): its "
                "backward is written for arrays only")
        # the node's other arrays (masks, class weights) meet Tensors in the formula: as constants
        constants = {name: value for name, value in vars(self).items() if _is_array(value)}
        for name, value in constants.items():
            setattr(self, name, Tensor._wrap(_as_array(value)))
        self._graph_mode = True
        try:
            return self.backward(*grad_outputs)
        finally:
            self._graph_mode = False
            for name, value in constants.items():
                setattr(self, name, value)

    def saved_view_shape(self, index, array):
        """The shape of the view of input ``index`` (saved as ``array``) that torch's node saves,
        where it saves a view (``weight.t()``, an input folded to rows, an operand broadcast), else
        None: torch's error names that view.  Read only when the error is raised."""
        return None

    def _describe_saved(self, array, whose, slot=None):
        """torch's ``[minigrad.FloatTensor [3]], which is output 0 of Exp,`` (names the tensor's maker).
        A view torch saved of an input is named by its own shape and, once its base was written,
        by its regenerated node (``AsStrided``), or by none where the input needs no gradient."""
        shape = self.saved_view_shape(slot[1], array) if slot is not None and slot[0] == "input" else None
        if shape is not None:
            tensor = whose() if callable(whose) else None
            if tensor is None and isinstance(whose, _SavedViewRef):
                tensor = whose.base()    # (a view gone since, which torch's node keeps: its base's history)
            xp = array_module(array)     # (only its dtype, device and shape are read: one element repeated)
            view = Tensor._wrap(xp.broadcast_to(xp.zeros((), array.dtype), shape))
            maker = ", which is output 0 of AsStrided," if tensor is not None and tensor.requires_grad else ""
            return f"[{view._type_description()}]{maker}"
        description = f"[{Tensor._wrap(array)._type_description()}]"
        if isinstance(whose, int):       # an output of this node (an integer one, indices, has none)
            maker, output_nr = (self if array.dtype.kind in "fc" else None), whose
        elif isinstance(whose, _ViewNodeRef):    # an output written into a view: the view's node (or, gone, this)
            maker = whose()
            gone = maker is None or maker.released and not _held_by_a_write(maker)
            maker, output_nr = (self if gone else maker), 0
        else:                            # an input: whatever made it, as of now (in-place ops change it)
            tensor = whose()
            if tensor is None and isinstance(whose, _SavedViewRef):
                # torch's node keeps the view it saved, whose base was written since: where the base has a
                # history now, the view's node is made anew from it
                base = whose.base()
                return f"{description}, which is output 0 of AsStrided," if base is not None and \
                    base.requires_grad else description
            maker, output_nr = (tensor.grad_fn, tensor._output_nr) if tensor is not None else (None, 0)
            if tensor is not None:       # itself, not the copy cast to the op's dtype
                description = f"[{tensor._type_description()}]"
        if maker is None:                # a leaf
            return description
        name = maker.name()
        # torch drops "Backward0" ("ExpBackward0" is "Exp", "PowBackward1" is "Pow1"); its
        # nodes written in C++ (CopySlices) are named with their namespace
        if name.startswith("torch::autograd::"):
            pass
        elif "Backward" in name:
            name = name.removesuffix("Backward0").replace("Backward", "")
        else:
            name = f"torch::autograd::{name}"
        return f"{description}, which is output {output_nr} of {name},"

    def save_constants(self, *tensors):
        """torch's node also saves these tensors of the op's, through which no gradient flows
        (indices, masks, conditions; the op reads their arrays from its options): remember their
        versions, so an in-place write to one stops backward (``check_saved``), as torch's.
        Call on the node of the op's result (``result.grad_fn``, None outside a graph)."""
        records = tuple((tensor._version_counter, tensor._version_counter.value, tensor.array,
                         weakref.ref(tensor), None) for tensor in tensors if isinstance(tensor, Tensor))
        if records:
            self._saved_versions += records

    def release(self):
        """Free the saved arrays (after a backward without ``retain_graph``)."""
        self._saved = None
        self._saved_versions = ()
        self._composite_inputs = None

    def name(self) -> str:
        return f"{type(self).__name__}Backward0"

    def __repr__(self):     # torch's repr drops the C++ namespace its name() keeps (torch::autograd::CopySlices)
        return f"<{self.name().removeprefix('torch::autograd::')} object at {hex(id(self))}>"

    @property
    def next_functions(self):
        """torch's view of the edges: ((node, output_nr), ...)."""
        return tuple(edge if edge is not None else (None, 0) for edge in self.next_edges)

    def register_hook(self, output_nr, hook, before_last=False):
        """Run ``hook(grad)`` on output ``output_nr``'s gradient; ``before_last`` keeps the
        last hook (``retain_grad``'s) last."""
        if self.output_hooks is None:
            self.output_hooks = {}
        hooks = self.output_hooks.setdefault(output_nr, OrderedDict())
        last = next(reversed(hooks)) if before_last and hooks else None
        handle = add_hook(hooks, hook)
        if last is not None:
            hooks.move_to_end(last)
        return handle

    # ---- running it ------------------------------------------------------
    @classmethod
    def apply(cls, *inputs, **options):
        """Run the op on tensors; return a Tensor (or a tuple for several outputs)."""
        node = cls()
        if len(inputs) == 1:     # most ops: one tensor in (the loops below, without the loops)
            # (the constant tuples: no new object for the garbage collector, see _link)
            arrays, needs_input_grad = (inputs[0].array,), ((True,) if inputs[0]._requires_grad else (False,))
        else:
            arrays = [tensor.array for tensor in inputs]
            if gpu_in_use():
                _check_same_device(arrays)
            needs_input_grad = tuple([tensor._requires_grad for tensor in inputs])
        requires_grad = True in needs_input_grad and grad_mode._enabled    # (is_grad_enabled, without a call)
        # known before forward, so forward can save only what backward will use (as torch does)
        node.needs_input_grad = needs_input_grad if requires_grad else (False,) * len(inputs)
        if observe.active:     # anomaly mode, the profiler or a recorder is on (off: this check only)
            outputs = observe.forward(node, inputs, arrays, options)
        else:
            outputs = node.forward(*arrays, **options)
        if cls.dense_output:
            outputs = node._dense(outputs)
        elif cls.elementwise:
            relaid = elementwise_result(outputs, arrays)    # (outputs itself for row-major inputs)
            if relaid is not outputs:
                outputs = node._relaid(outputs, relaid)
        # without a graph nothing refers to the node afterwards: it goes, with what it saved
        if not isinstance(outputs, tuple):
            if isinstance(outputs, numpy.generic):   # a NumPy scalar from a 0-d op: the saved one too
                outputs = node._saved_scalar_as_array(outputs)
            result = Tensor._wrap(outputs)
            if requires_grad:
                node._link(inputs, (result,))
            return result
        results = tuple([Tensor._wrap(node._saved_scalar_as_array(output)
                                      if isinstance(output, numpy.generic) else output)
                         for output in outputs])
        if requires_grad:
            node._link(inputs, results)
        return results

    def __lt__(self, other):
        """The engine's heap order: the newer node (higher ``sequence_nr``) first."""
        return self.sequence_nr > other.sequence_nr

    def _link(self, inputs, results):
        """Join the graph: edges to the inputs' nodes, and the results' ``grad_fn``."""
        self.sequence_nr = next_sequence_nr()
        if len(inputs) == 1:     # (one input, which requires grad, as the node is linked: no loop)
            maker = inputs[0].grad_fn      # (gradient_edge inlined: once per op)
            self.next_edges = ((maker, inputs[0]._output_nr),) if maker is not None else \
                ((AccumulateGrad.of(inputs[0]), 0),)
        else:
            self.next_edges = tuple([gradient_edge(tensor) if tensor._requires_grad else None
                                     for tensor in inputs])
        if len(results) == 1:    # (one result: the loop below, without the loop; one_output_meta inlined)
            result = results[0]
            array = result.array
            meta = _one_output_metas.get((array.shape, array.dtype, type(array)))
            self.output_meta = meta if meta is not None else one_output_meta(array)
            if array.dtype.kind in "fc":    # integer outputs (indices) carry no gradient
                result._requires_grad = True
                result.grad_fn = self       # (its _output_nr: _wrap's 0)
        else:
            self.output_meta = tuple([output_meta(result.array) for result in results])
            for output_nr, result in enumerate(results):
                if result.array.dtype.kind in "fc":
                    result._requires_grad = True
                    result.grad_fn = self
                    result._output_nr = output_nr
        if self._saved:
            self._remember_saved_versions(inputs, results)
        if self.composite is not None:
            self._composite_inputs = tuple([tensor.array for tensor in inputs])

    def _remember_saved_versions(self, inputs, outputs):
        """Note the versions of saved tensors so backward can spot in-place changes.

        Inputs are remembered weakly (for the error message only); outputs by number.
        The slot (``("input", i)`` or ``("output", j)``) says where a saved array sits in
        the graph, for a backward recorded with create_graph=True.
        """
        saved = self._saved      # (identity, not ``in``: that compares arrays element by element)
        if len(saved) == 1 and len(outputs) == 1 and saved[0] is outputs[0].array and \
                len(inputs) == 1 and inputs[0].array is not saved[0]:
            # (an op that saves its result alone, tanh's, exp's, sigmoid's: the loops below, without them)
            counter = outputs[0]._version_counter
            self._saved_versions = ((counter, counter.value, saved[0], 0, _FIRST_OUTPUT_SLOT),)
            return
        records = []
        claimed = _claimed_inputs(saved, inputs) if len(inputs) > 1 else None
        for index, tensor in enumerate(inputs):
            array = tensor.array
            if claimed is not None and index not in claimed:
                continue
            copy = self._saved_input_copies.get(index) if self._saved_input_copies else None
            if copy is not None and any(item is copy for item in saved):
                records.append((_VersionCounter(), 0, copy, weakref.ref(tensor), ("input", index)))
                continue
            for item in saved:
                if item is array:
                    # an input cast to the op's dtype (``int_tensor * float_tensor``) stands for the tensor
                    # it was cast from: torch casts inside the kernel and saves that tensor itself
                    source = tensor if tensor.promoted_from is None else tensor.promoted_from
                    counter = source._version_counter
                    whose = _SavedViewRef(source) if "_view" in source.__dict__ else weakref.ref(source)
                    records.append((counter, counter.value, array, whose, ("input", index)))
                    break
        for output_nr, tensor in enumerate(outputs):
            array = tensor.array
            for item in saved:
                if item is array:
                    counter = tensor._version_counter
                    records.append((counter, counter.value, array, output_nr, ("output", output_nr)))
                    break
        self._saved_versions = tuple(records)

    def _dense(self, outputs):
        """``outputs`` (an array or a tuple) in C order, copied only where they are not, with torch's
        strides for dims of size 1 too (a view: NumPy's ``take`` along a dim of one index left it the
        source's row length, which ``stride()`` shows and fused attention's choice reads; fuzz seed
        8054690); a saved output is replaced by its copy, so the version check still recognises it."""
        if isinstance(outputs, tuple):
            return tuple([self._dense(output) for output in outputs])
        if is_row_major(outputs):
            return outputs
        return self._relaid(outputs, relayout(outputs, None))

    def _relaid(self, output, copy):
        """``copy``, ``output`` in another layout, which also replaces it among the saved values
        (the version check finds a saved output by identity)."""
        if self._saved:
            self._saved = tuple(copy if saved is output else saved for saved in self._saved)
        return copy

    def _saved_scalar_as_array(self, scalar):
        """``scalar`` as a 0-d array, which also replaces it among the saved values: the
        version check finds a saved output by identity (``y = x.sum().exp(); y.add_(1)``)."""
        return self._relaid(scalar, numpy.asarray(scalar))

    def _keep_own_copy(self, target):
        """An in-place op is about to overwrite ``target``, which this node saved: keep a copy.

        ``x.mul_(y)`` computes ``x * y`` (saving ``x`` for ``y``'s gradient) and then
        writes the product into ``x``; torch saves a clone of ``x`` there too.
        """
        array = target.array
        first = next((slot for _, _, saved_array, whose, slot in self._saved_versions
                      if _saved_as(whose, target)
                      or (saved_array is array and not _saved_as_another(whose, target))), None)
        if first is None:
            return
        copy = array.copy() if any(saved is array for saved in self._saved) else None
        if copy is not None:
            self._saved = tuple(copy if saved is array else saved for saved in self._saved)
        # the copy keeps the saved value's place in the graph (its slot: for create_graph=True)
        # and, being this node's own, can no longer be changed in place (a fresh counter).
        # Only the first input's is copied: ``x.mul_(x)`` saved ``x`` as the other factor
        # too, and that one the write does change, so backward refuses, as torch's
        self._saved_versions = tuple(
            (_VersionCounter(), 0, saved_array if copy is None else copy, whose, slot) if slot == first
            else (counter, version, saved_array, whose, slot)
            for counter, version, saved_array, whose, slot in self._saved_versions)

    def _output_written_as(self, output_nr, target):
        """Output ``output_nr`` was written into ``target``, of a narrower dtype (an in-place op with
        type promotion, ``x16.mul_(y64)``): the gradient that reaches it has target's dtype.  Where
        torch's formula uses ``self`` uncast (``uses_self_uncast``) and this node saved target cast
        to the wider dtype, it keeps target's own values instead, as torch saves ``self`` itself:
        the other factor's gradient, ``grad * self``, is then computed in target's dtype, as torch's
        (target is about to be overwritten: a copy)."""
        dtype = target.array.dtype
        meta = list(self.output_meta)
        shape, _, module = meta[output_nr]
        meta[output_nr] = (shape, dtype, module)
        self.output_meta = tuple(meta)
        if not self.uses_self_uncast:
            return
        cast = next((saved_array for _, _, saved_array, whose, _ in self._saved_versions
                     if not isinstance(whose, int) and whose() is target and saved_array.dtype != dtype), None)
        if cast is not None:
            own = target.array.copy()
            self._saved = tuple(own if saved is cast else saved for saved in self._saved)
            self._saved_versions = tuple(
                (counter, version, own if saved_array is cast else saved_array, whose, slot)
                for counter, version, saved_array, whose, slot in self._saved_versions)

    def _saved_output_written(self, array, target):
        """An in-place op wrote its output ``array`` into ``target`` (and ``target`` took its new
        history): where this node saved that output (``x.exp_()`` saves the result) it saved
        ``target``, as it is now, so writing ``target`` again stops backward, as in torch.  A view
        written in place has a node of its own now (torch's regenerated ``AsStrided``), which
        torch's error names, held weakly (``_ViewNodeRef``)."""
        if not self._saved or not any(saved is array for saved in self._saved):
            return
        self._saved = tuple(target.array if saved is array else saved for saved in self._saved)
        maker = target.grad_fn
        view_node = None if maker is self else _ViewNodeRef(maker)
        self._saved_versions = tuple(
            (target._version_counter, target._version_counter.value, target.array,
             whose if view_node is None else view_node, slot)
            if saved_array is array else (counter, version, saved_array, whose, slot)
            for counter, version, saved_array, whose, slot in self._saved_versions)


def _saved_as(whose, target):
    """Was ``target`` itself the input that a saved record stands for (``whose``: its weak
    reference, or an output's number)?"""
    return not isinstance(whose, int) and whose() is target


def _saved_as_another(whose, target):
    """Does a saved record stand for another live tensor than ``target``, though it may hold
    target's array (``d = x.detach()``: ``x.mul_(d)`` saves d, for x's gradient; d shares x's
    version counter, so the write changes it and backward refuses, as torch's; fuzz seed 1824938)?"""
    if isinstance(whose, int):
        return False
    tensor = whose()
    return tensor is not None and tensor is not target


def _claimed_inputs(saved, inputs):
    """The inputs that the arrays in ``saved`` stand for, where two inputs hold one array (``d =
    x.detach()``: ``d.mul_(x)`` saves d, for x's gradient, not x, which d's write changes; fuzz seed
    1354022); None where each input has an array of its own (all that hold a saved array).  A saved
    array stands for as many inputs as it is saved times: first the input at its own place among
    the saved (save_for_backward's order), then the first that holds it."""
    if len(inputs) == 2 and inputs[0].array is not inputs[1].array:
        return None         # (the common case, a binary op, without building a set)
    arrays = [tensor.array for tensor in inputs]
    if len({id(array) for array in arrays}) == len(arrays):
        return None
    unclaimed = [id(item) for item in saved if item is not None]
    claimed = set()
    for index, array in enumerate(arrays):
        if index < len(saved) and saved[index] is array:
            claimed.add(index)
            unclaimed.remove(id(array))
    for index, array in enumerate(arrays):
        if index not in claimed and id(array) in unclaimed:
            claimed.add(index)
            unclaimed.remove(id(array))
    return claimed


def _held_by_a_write(node):
    """Does an in-place write still hold ``node`` in torch, itself or through the nodes that held it
    (``released_under``: writes no backward has run yet; fuzz seed 630983: the error of a backward
    from a value computed before the second write names the view's node, AsStrided, not the node
    that saved it; seed 30813423: a view's node held by the node of a view of it, which a later
    write through that second view replaced)?"""
    for ref in node.released_under:
        write = ref()
        if write is not None and write.holds_replaced_node:
            return True
    return False


# the slot of an op's one saved result, one shared tuple (an object fewer per op: see one_output_meta)
_FIRST_OUTPUT_SLOT = ("output", 0)


class _ViewNodeRef(weakref.ref):
    """A weak reference to the node of a view an in-place op wrote (see ``_saved_output_written``)."""

    __slots__ = ()


class _SavedViewRef(weakref.ref):
    """A weak reference to a saved input that is a view (``x[0]``, the unsqueezed input of an unbatched
    conv1d), and one to its base: torch's node keeps such a view alive, so where minigrad's is gone by
    the time its base's write is found, torch's error still names the view's node, made anew from the
    base's history, if the base has one by then (fuzz seeds 340935, 322851: a view of a tensor that
    needed no gradient, written in place with one that does)."""

    __slots__ = ("base",)

    def __init__(self, view):
        super().__init__(view)
        self.base = weakref.ref(view.__dict__.get("_base", view))


class AccumulateGrad(Function):
    """The node behind a leaf tensor: adds the incoming gradient into ``leaf.grad``."""

    def __init__(self, leaf):     # (Function has no __init__ of its own to call)
        self.leaf = leaf
        self.sequence_nr = largest_sequence_nr()
        self.output_meta = one_output_meta(leaf.array)

    def name(self):
        return "torch::autograd::AccumulateGrad"

    def accumulate(self, grad):
        """Add ``grad`` (an array, or a Tensor with its graph under create_graph=True) into ``.grad``."""
        leaf = self.leaf
        for hook in list((leaf._hooks or {}).values()):
            grad = run_hook(hook, grad)
        if isinstance(grad, Tensor):             # create_graph: .grad keeps the graph, as torch's
            leaf._grad = grad if leaf._grad is None else leaf._grad + grad
            return
        if leaf._grad is None:
            leaf._grad = Tensor._wrap(grad if _unshared(grad) else _as_array(grad).copy())
        else:
            leaf._grad.array += grad

    @staticmethod
    def of(leaf):
        """The leaf's one accumulator, shared by every use of the leaf in a graph (and by its
        values cast by an op's dtype promotion, which torch does inside the kernel)."""
        if leaf.promoted_from is not None:
            leaf = leaf.promoted_from
        node = leaf._accumulator() if leaf._accumulator is not None else None
        if node is None:
            node = AccumulateGrad(leaf)
            leaf._accumulator = weakref.ref(node)   # weak: the leaf must not keep its graph alive
        return node


next_sequence_nr = itertools.count(1).__next__    # one counter for every node, as torch's per thread


LARGEST_SEQUENCE_NR = (1 << 64) - 1


def largest_sequence_nr():
    """torch's UINT64_MAX, the sequence number of AccumulateGrad and of the NotImplemented nodes
    (ops without a derivative): such a node runs as soon as it is ready.  One number for all of
    them (and none taken from the counter), as in torch: of two such nodes ready at once the engine's
    heap, which breaks ties as torch's ``std::priority_queue`` does, runs the one pushed first
    (``0 % x * (x // 2)``: remainder's error, not floor_divide's; fuzz seed 1432937)."""
    return LARGEST_SEQUENCE_NR


def sequence_nr_unless_derivative_missing(missing):
    """A ``sequence_nr`` for a node class where ``missing(node)`` tells, once forward has run, that
    the node is torch's NotImplemented (``x // y``, ``2 % x``): then torch's largest number."""
    def number(node, counted):
        node._sequence_nr = largest_sequence_nr() if missing(node) else counted
    return property(lambda node: node._sequence_nr, number)


def run_hook(hook, grad):
    """``hook(grad)``'s replacement for ``grad`` (or ``grad``); torch refuses another size or dtype.

    ``grad`` is an array, or a Tensor when the backward is recorded (create_graph=True).
    """
    recorded = isinstance(grad, Tensor)
    replaced = hook(grad if recorded else Tensor._wrap(grad))
    if replaced is None:
        return grad
    array = grad.array if recorded else grad
    name = getattr(hook, "__name__", type(hook).__name__)
    if replaced.array.shape != array.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value")
    if replaced.array.dtype != array.dtype:
        raise RuntimeError(f"hook '{name}' has changed the type of value (was "
                           f"{Tensor._wrap(array).type()} got {replaced.type()})")
    return replaced if recorded else replaced.array


def gradient_edge(tensor):
    """Where a gradient for ``tensor`` goes: ``(node, output_nr)``, a leaf's being its accumulator."""
    if tensor.grad_fn is not None:
        return (tensor.grad_fn, tensor._output_nr)
    return (AccumulateGrad.of(tensor), 0)


# the references to a gradient that the engine alone holds when ``_unshared`` looks at it: the
# engine's list of gradients, accumulate's argument, _unshared's own and getrefcount's argument
_ENGINE_REFERENCES = 4


def _unshared(grad):
    """Can ``.grad`` take ``grad`` itself rather than a copy?  torch's AccumulateGrad "steals" a new
    gradient that nothing else uses (its use_count) and that has the leaf's layout; CPython's
    reference count tells the same here: a writable NumPy array in C order, held by the engine only
    (not by a hook, a retained ``.grad``, ``autograd.grad``'s results or another input's gradient),
    that owns its memory or is a view of the whole of an array nothing else holds (a weight used
    as ``w.T`` gets ``(x.T @ g).T.T``).  A 400 KB weight gradient is then not copied every step."""
    if (type(grad) is not numpy.ndarray or not grad.flags.c_contiguous or not grad.flags.writeable
            or sys.getrefcount(grad) > _ENGINE_REFERENCES):
        return False
    owner = grad.base
    # the owner's references: the view's .base, the name ``owner`` and getrefcount's argument
    return owner is None or (type(owner) is numpy.ndarray and owner.base is None
                             and owner.nbytes == grad.nbytes and sys.getrefcount(owner) <= 3)


def output_meta(array):
    """What a node keeps of an output: shape, dtype and array module (for its zero gradient)."""
    return array.shape, array.dtype, numpy if type(array) is numpy.ndarray else array_module(array)


# The ``output_meta`` of one-output nodes, one shared tuple per (shape, dtype, array type).
# Every object an op leaves in the graph is one more for Python's cyclic garbage collector to
# scan, again and again while the graph lives (the graph itself is freed by reference counting:
# it has no cycles).  A chain of small ops spent half its forward time in the collector, which
# scanned about eight tuples an op; the meta is three of them.  (Cleared when it grows large: a
# program of ever-new shapes.)
_one_output_metas = {}


def one_output_meta(array):
    """``(output_meta(array),)``, shared by every node with one such output."""
    key = (array.shape, array.dtype, type(array))
    meta = _one_output_metas.get(key)
    if meta is None:
        if len(_one_output_metas) >= 4096:
            _one_output_metas.clear()
        meta = _one_output_metas[key] = (output_meta(array),)
    return meta


def _is_array(value):
    """A NumPy or CuPy array (not a tensor, not a number)."""
    return hasattr(value, "__array_interface__") or hasattr(value, "__cuda_array_interface__")


def _as_array(value):
    """NumPy ufuncs on 0-d arrays return NumPy scalars; a tensor always holds an array."""
    return numpy.asarray(value) if isinstance(value, numpy.generic) else value


def _check_same_device(arrays):
    first = device_of(arrays[0])
    for array in arrays[1:]:
        other = device_of(array)
        if other != first:
            raise RuntimeError("Expected all tensors to be on the same device, but found at least "
                               f"two devices, {other} and {first}!")
