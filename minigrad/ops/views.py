"""Views and in-place writes: torch's semantics, in one place.

``row = out[0]`` shares ``out``'s memory, so ``row.add_(h)`` also changes
``out``, and ``out.mul_(2)`` changes ``row``; the graph must know both, or the
gradients would be silently wrong.  As torch, a view remembers its base and how
it was made from it: ``register_view`` records on the view
``tensor._view = (input, spec)`` (a spec is ``("index", key)``,
``("reshape", shape)``, ``("transpose", axes)``, ``("expand", shape)``, ``("diagonal", (offset,
dim1, dim2))`` or ``("unfold", (dim, size, step))``; a chain
of them leads to the base, ``tensor._base``, the one tensor that is no view) and
adds a weak reference to the view to the base's list of views.

* A write through a view (``rebase_view_base``): the base takes a new node,
  ``WriteThroughView`` (torch's ``CopySlices``): the region behind the view
  takes its gradient from the view's new history, the rest from the base's old
  one.
* Any in-place write to the base or to one of its views (``refresh_views``):
  every live view of the base becomes "the view of the base's new history"
  (``ViewOf``, torch's ``AsStridedBackward0``), lazily as torch: the write marks
  the views stale, and a stale view's history is made anew the first time it is
  read (``_StaleView``), with no check on the inputs of every other op.
* Outputs of an op that returns several views (``split``, ``chunk``,
  ``unbind``) and views made in no_grad mode may not be written in place while
  their base is in a graph, and they lose their history when the base is
  written (torch's errors).
"""
from __future__ import annotations

import functools

import sys
import weakref

import numpy

from ..core.device import array_module
from ..core.function import Function, gradient_edge
from ..core.grad_mode import enable_grad, is_grad_enabled
from ..core.layout import dense_strides, relayout
from ..core.tensor import Tensor
from .placement import _placed


OVERLAP_MESSAGE = ("unsupported operation: more than one element of the written-to tensor refers to a "
                   "single memory location. Please clone() the tensor before performing the operation.")


def apply_specs(array, specs):
    """The view that ``specs`` (outermost first) make of ``array``."""
    for kind, argument in specs:
        if kind == "index":
            viewed = array[argument]
            # NumPy gives a scalar for an all-int key; the trailing ``...`` keeps a 0-d array
            array = array[argument + (Ellipsis,)] if isinstance(viewed, numpy.generic) else viewed
        elif kind == "reshape":
            array = array.reshape(argument)
        elif kind == "expand":
            array = array_module(array).broadcast_to(array, argument)
        elif kind == "diagonal":
            array = diagonal_view(array, *argument)
        elif kind == "unfold":
            array = unfold_view(array, *argument)
        else:
            array = array.transpose(argument)
    return array


def diagonal_view(array, offset, dim1, dim2):
    """The diagonal of ``array`` along ``dim1`` and ``dim2`` (``offset`` above the main one, below it
    when negative), a writable view as torch's: the other dims in order, then the diagonal, whose
    stride is the two dims' strides added (NumPy's own ``diagonal`` view is read-only)."""
    start = [slice(None)] * array.ndim
    start[dim2 if offset >= 0 else dim1] = slice(abs(offset), None)
    shifted = array[tuple(start)]
    kept = [dim for dim in range(array.ndim) if dim not in (dim1, dim2)]
    shape = [array.shape[dim] for dim in kept] + [min(shifted.shape[dim1], shifted.shape[dim2])]
    strides = [array.strides[dim] for dim in kept] + [array.strides[dim1] + array.strides[dim2]]
    return array_module(array).lib.stride_tricks.as_strided(shifted, shape, strides)


def unfold_view(array, dim, size, step):
    """The windows of ``size`` elements, ``step`` apart, along ``dim`` of ``array``: a view as torch's
    ``unfold`` makes it, ``dim`` counting the windows (stride ``step`` times its own) and a last dim of
    ``size`` walking one window (``dim``'s stride; 1 for a 0-d array, whose one window is itself)."""
    if array.ndim == 0:
        shape, strides = (size,), (array.itemsize,)
    else:
        shape, strides = list(array.shape) + [size], list(array.strides) + [array.strides[dim]]
        shape[dim], strides[dim] = (array.shape[dim] - size) // step + 1, array.strides[dim] * step
    return array_module(array).lib.stride_tricks.as_strided(array, tuple(shape), tuple(strides))


def _overlapping_windows(specs):
    """Do ``specs`` take ``unfold`` windows that overlap (a step less than their size)?"""
    return any(kind == "unfold" and argument[2] < argument[1] for kind, argument in specs)


def repeats_elements(specs):
    """Does the view ``specs`` make show an element of its base at several places (an ``expand``,
    or ``unfold`` windows that overlap)?  Its gradient then adds up over those places."""
    return any(kind == "expand" for kind, _ in specs) or _overlapping_windows(specs)


WINDOWS_OVERLAP_MESSAGE = (
    "unsupported operation: the windows of this unfold() view overlap (its step is less than its "
    "size), so an in-place write into them, or one recorded for the gradient through them, would depend "
    "on the order in which torch's kernel writes the shared elements. Please clone() the tensor before "
    "performing the operation.")


def check_windows_apart(tensor, region=None, recorded=False, fill=False):
    """Refuse an in-place write into a view whose ``unfold`` windows overlap where the result would be
    torch's kernel's order: values written into shared elements (``region``: the part written, a
    function of an array shaped as the view, as ``x[key] = v`` picks it; a ``fill``, one value
    everywhere, is the same in any order), or any write ``recorded`` for the gradient (a bool, or a
    function asked only for such a view: torch's CopySlices copies the write's gradient back through
    the overlapping view, each shared element overwritten in its order).  torch lets such writes
    run: an element in three windows of ``x.unfold(0, 3, 1).mul_(2)`` is multiplied by 8.  minigrad
    does not mimic that order: it says so (a deliberate difference).  A write into one window, or
    into elements that do not repeat, of a view that is not in a graph, is an ordinary write."""
    found = view_base(tensor)
    if found is None or not _overlapping_windows(found[1]):
        return
    base, specs = found
    positions = _positions(base.array.shape, specs, numpy)
    if (recorded() if callable(recorded) else recorded) and positions.size != numpy.unique(positions).size:
        raise RuntimeError(WINDOWS_OVERLAP_MESSAGE)
    if region is not None:
        positions = numpy.asarray(region(positions))
    if not fill and positions.size != numpy.unique(positions).size:
        raise RuntimeError(WINDOWS_OVERLAP_MESSAGE)


def _positions(shape, specs, xp):
    """For each element of the view, its flat position in the base (``expand`` and overlapping
    ``unfold`` windows repeat one)."""
    flat = xp.arange(int(numpy.prod(shape, dtype=numpy.int64))).reshape(shape)
    return apply_specs(flat, specs)


class WriteThroughView(Function):
    """The base after an in-place write through its view: ``base`` with ``view`` in its region.
    Where torch's view of the write, or the base itself, repeats elements (``overlapping``), torch's
    CopySlices copies the write's gradient back into it in backward, which torch refuses: so does this."""

    differentiable_backward = True

    def forward(self, base, view, specs, overlapping=False):
        self.specs, self.base_shape, self.overlapping = specs, base.shape, overlapping
        self.base_strides = dense_strides(base)
        xp = array_module(base)
        positions = _positions(base.shape, specs, xp)
        kept = xp.ones(base.size, bool)
        kept[positions] = False         # the region's old values were overwritten
        self.key, self.kept = (positions,), kept
        return base        # the values are already there: the view shares the base's memory

    def backward(self, grad_output):
        if self.overlapping:
            raise RuntimeError(OVERLAP_MESSAGE)
        flat = grad_output.reshape(-1)
        grad_view = flat[self.key] if self.needs_input_grad[1] else None
        grad_base = array_module(grad_output).where(self.kept, flat, 0).reshape(self.base_shape)
        return laid_out_as_copy_slices(grad_base, self.base_strides), grad_view

    def name(self):
        return "torch::autograd::CopySlices"


def laid_out_as_copy_slices(grad, base_strides):
    """The base's gradient laid out as torch's CopySlices makes it, ``new_empty_strided`` with the
    base's strides (``base_strides``, dense), so that a backward after it whose kernel reads the
    gradient's layout (hardtanh's for a NaN: its vector loop cuts it, its scalar loop passes it)
    sees torch's (fuzz seed 31562870: relu6 of a transposed tensor, then written through an index).
    A Tensor (create_graph=True) keeps its own."""
    return grad if isinstance(grad, Tensor) else relayout(grad, base_strides)


class ReadOncePerElement(Function):
    """A view that repeats its base's elements (made by ``expand``), as the in-place write into it
    reads it: the base's old values come through once per element, and not at all for an element
    written through any of its copies.  (A plain view's gradient adds up over the copies; torch's
    CopySlices copies the write's gradient back into the base instead, once.)"""

    differentiable_backward = True

    def forward(self, base, specs, kept):
        self.base_shape, self.size = base.shape, base.size
        xp = array_module(base)
        positions = _positions(base.shape, specs, xp)
        self.key = (positions,)
        unwritten = xp.ones(base.size, bool)
        unwritten[positions[~kept]] = False
        self.unwritten = unwritten.reshape(base.shape)
        return apply_specs(base, specs)

    def backward(self, grad_output):
        # the copies of an unwritten element carry the same gradient: placing them leaves it once
        grad = _placed(grad_output, (self.size,), None, self.key, False, (self.size,))
        return array_module(grad_output).where(self.unwritten, grad.reshape(self.base_shape), 0)

    def name(self):
        return "AsStridedBackward0"


class ViewOf(Function):
    """The view, re-made from the base's new history."""

    differentiable_backward = True

    def forward(self, base, specs):
        self.specs, self.base_shape = specs, base.shape
        self.key = (_positions(base.shape, specs, array_module(base)),)
        return apply_specs(base, specs)

    def backward(self, grad_output):
        size = int(numpy.prod(self.base_shape, dtype=numpy.int64))
        repeated = repeats_elements(self.specs)     # repeated positions add up
        grad = _placed(grad_output, (size,), None, self.key, repeated, (size,))
        return grad.reshape(self.base_shape)

    def name(self):
        return "AsStridedBackward0"


MULTI_OUTPUT_MESSAGE = (
    "This view is the output of a function that returns multiple views. Such functions do not "
    "allow the output views to be modified inplace. You should replace the inplace operation by "
    "an out-of-place one.")
NO_GRAD_MESSAGE = (
    "Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your "
    "code by moving both the view and the inplace either both inside the no_grad block (if you "
    "don't want the inplace to be tracked) or both outside (if you want the inplace to be tracked).")
NO_GRAD_VIEW = ("no_grad",)   # the restriction of a view made in no_grad mode


def refused_write(restriction, written_itself, node=None):
    """torch's message for an in-place write to a restricted view (or to its base, then using it).

    ``node``: how torch names the view's node, ``(name, output number)`` (``view_node``), or None
    for a view with no history (made in no_grad mode, or a piece of a tensor that needed no
    gradient), which is "A view was created in no_grad mode and ..." whatever its restriction.
    A view with a node is "Output 0 of Split is a view and ..." (an output of split/unbind or a
    view of one), or, where its creation meta is no_grad's (a view made in grad mode of a view
    made in no_grad mode, ``v[0]``), "Output 0 of Select is a view of a view which was created
    in no_grad mode and ..." (torch's handle_view_on_rebase)."""
    what = ("is being modified inplace" if written_itself else
            "its base or another view of its base has been modified inplace")
    if node is None:
        header = f"A view was created in no_grad mode and {what} with grad mode enabled."
    elif restriction is NO_GRAD_VIEW:
        header = (f"Output {node[1]} of {node[0]} is a view of a view which was created in no_grad mode "
                  f"and {what} with grad mode enabled.")
    else:
        header = f"Output {node[1]} of {node[0]} is a view and {what}."
    return f"{header} {NO_GRAD_MESSAGE if restriction is NO_GRAD_VIEW else MULTI_OUTPUT_MESSAGE}"


def view_node(view, restriction):
    """``(name, output number)`` of a restricted view's node as torch's message names it (its
    "Backward0" dropped), read from its slot (a stale view's is not made anew); None if it has none.
    An output of split/unbind (or a view of one) is named by its restriction."""
    node = Tensor.grad_fn.__get__(view)
    if node is None:
        return None
    if restriction is not NO_GRAD_VIEW:
        return restriction
    return message_name(node), Tensor._output_nr.__get__(view)


def message_name(node):
    """A node's name as torch's messages give it: "Backward0" dropped ("SelectBackward0" is
    "Select"), other numbers kept ("SqueezeBackward1" is "Squeeze1")."""
    return node.name().removesuffix("Backward0").replace("Backward", "")


def has_internal_overlap(array):
    """Does some element sit at two places of ``array`` (a stride of 0 on a dim longer than 1)?
    An empty array has none, whatever strides NumPy gave it."""
    return array.size > 1 and 0 in array.strides and any(step == 0 and size > 1
                                      for step, size in zip(array.strides, array.shape))


def has_history(view):
    """Whether ``view`` has a node, read from its slot (a stale view's ``grad_fn`` would be made anew),
    as torch's C++ reads it (``is_leaf``, ``grad_fn_``), which regenerates nothing."""
    return Tensor.grad_fn.__get__(view) is not None


def requires_grad_as_torch(tensor):
    """torch's ``requires_grad`` of ``tensor``, which differs from minigrad's for a view made in
    no_grad mode (or a view of one) of a base that requires grad: it has no history, yet torch's
    ``DifferentiableViewMeta::requires_grad`` asks the base, so torch's in-place checks refuse a
    write into it (``v[0] = 2``), and the view torch writes (``v[0]``) has a node."""
    if tensor._requires_grad:
        return True
    return tensor.__dict__.get("_restriction") is NO_GRAD_VIEW and view_base(tensor)[0]._requires_grad


def register_view(view, input, spec, multi_output_of=None):
    """Mark ``view`` as made from ``input`` by ``spec``: shared version counter, shared history.

    ``multi_output_of`` = (op name, output number) for an op that returns several views
    (``("Split", 0)``).  Views are made often (``x.t()`` in every linear layer): this stays
    a few dict writes and one weak reference.
    """
    view._version_counter = input._version_counter
    base = input.__dict__.get("_base", input)
    attributes = view.__dict__
    attributes["_view"] = (input, spec)
    attributes["_base"] = base
    # torch forbids in-place writes that would need these views' histories regenerated
    restricted = input.__dict__.get("_restriction")
    if not is_grad_enabled():
        # torch's creation meta NO_GRAD_MODE, even for an output of split/unbind (whose
        # MULTI_OUTPUT_NODE is given only in grad mode)
        attributes["_restriction"] = NO_GRAD_VIEW
    elif multi_output_of is not None:
        attributes["_restriction"] = multi_output_of
    elif restricted is not None:
        # a view of a restricted view is refused too (torch propagates the creation meta); one of
        # an output of split/unbind is named by its own node ("Output 0 of Select is a view and ...")
        attributes["_restriction"] = restricted if restricted is NO_GRAD_VIEW or view.grad_fn is None \
            else (message_name(view.grad_fn), 0)
    views = base.__dict__.get("_views")
    if views is None:
        base._views = [weakref.ref(view)]   # weak: a view dies when its last user lets go
    else:
        views.append(weakref.ref(view))
        count = len(views)
        if count >= 32 and not count & (count - 1):     # at 32, 64, 128...: drop the dead ones
            views[:] = [ref for ref in views if ref() is not None]
    return view


def view_base(tensor):
    """``(base, specs)`` for a view (the root tensor and how to make the view of it), else None."""
    link = tensor.__dict__.get("_view")
    if link is None:
        return None
    specs = []
    while link is not None:
        tensor, spec = link
        specs.append(spec)
        link = tensor.__dict__.get("_view")
    specs.reverse()
    return tensor, tuple(specs)


def check_view_write(view, base, inputs_require_grad=False):
    """torch refuses in-place writes to an output of ``split``/``unbind``, or to a view made in
    no_grad mode, when the write is recorded: its base is in a graph, or so is what the op
    reads (``piece /= w``, torch's ``compute_requires_grad`` over all the op's inputs)."""
    restriction = view.__dict__.get("_restriction")
    if restriction is not None and is_grad_enabled() and (
            inputs_require_grad or view._requires_grad or base._requires_grad):
        raise RuntimeError(refused_write(restriction, written_itself=True, node=view_node(view, restriction)))


def rebase_view_base(view, base, specs):
    """After an in-place op on ``view``: the base takes the write into its history, the views follow."""
    # torch's CopySlices copies the gradient into memory laid out as the base: refused where the base
    # repeats elements (an expanded tensor detached, fuzz seed 3249414)
    write, overlapping = view.grad_fn, has_internal_overlap(base.array)
    if write is not None and write.next_edges and write.next_edges[0] is not None and \
            any(kind == "expand" for kind, _ in specs):
        # the write read a view that repeats elements: it reads the base's old values once each
        kept = getattr(write, "kept", None)      # (``x[key] = v``: the elements it did not write)
        kept = array_module(view.array).ones(view.array.shape, bool) if kept is None else kept
        read = ReadOncePerElement.apply(base, specs=specs, kept=kept)
        if read.grad_fn is not None:
            write.next_edges = (gradient_edge(read),) + tuple(write.next_edges[1:])
            # torch's view of the write (the key's view of this view for ``x[key] = v``, else the
            # view itself), into which its CopySlices copies the gradient back: refused where
            # elements of it share memory, whatever was written
            written_view = write.written_view(view.array) if getattr(write, "torch_name", None) == \
                "torch::autograd::CopySlices" else view.array
            overlapping = overlapping or has_internal_overlap(written_view)
    written = WriteThroughView.apply(base, view, specs=specs, overlapping=overlapping)
    if written.grad_fn is None:
        return
    # a view torch wrote through a view of it (``view[None] = x``, see leave_stale) keeps its old node
    # until it is next read: judged then (_regenerate), not now (fuzz seed 630983)
    _note_replaced_node(view.grad_fn, judge=not view.__dict__.pop("_left_stale", False))
    base._set_history(written.grad_fn)
    view._set_history(ViewOf.apply(base, specs=specs).grad_fn)
    refresh_views(base, written=view)


def _note_replaced_node(write, judge=True):
    """The view's node before the in-place op ``write`` (its input 0) lives on in torch only while
    something other than the write refers to it: torch's ``CopySlices`` keeps the write and routes
    its gradient to the base, where minigrad's write passes it on through that node.  Note the write
    on the node and mark the node gone (``released``, for the saved-tensor error that names it) where
    nothing else refers to it, now or once a stale view that did lets go (``_regenerate``)."""
    edge = write.next_edges[0] if write.next_edges else None
    previous = edge[0] if edge is not None else None
    if previous is not None:
        previous.replaced_by += (weakref.ref(write),)
        write.holds_replaced_node = True
        if judge:
            _release_unless_torch_holds(previous)


def _release_unless_torch_holds(node):
    """Mark ``node`` ``released`` where only holders torch's graph does not have still refer to it:
    the in-place writes that replaced it (``replaced_by``) and the nodes already released
    (``released_holders``).  CPython's reference count tells: the caller's name, this function's
    and getrefcount's argument hold it, and each such holder's edge; anything more is another
    holder.  A node released lets go of what it points at in torch too: those are judged the same
    way, in turn (fuzz seed 235675: a view of a view written in place, whose old node held the
    first view's)."""
    pending = [(node, 3)]     # (a node, its references besides those holders: see below)
    del node
    while pending:
        candidate, own = pending.pop()
        writes = ()
        for ref in candidate.replaced_by:
            write = ref()
            if write is not None and write.next_edges and write.next_edges[0] is not None \
                    and write.next_edges[0][0] is candidate:
                writes += (ref,)
            write = None     # (this name must not hold a node whose references are counted next)
        # the references besides: ``candidate``, getrefcount's argument and, for the first node,
        # the caller's name (a node pointed at is held by the released node's edge: a holder counted)
        if candidate.released or sys.getrefcount(candidate) > own + len(writes) + candidate.released_holders:
            continue
        # gone in torch, unless a write still holds it or a node it was held by (_held_by_a_write)
        candidate.released = True
        candidate.released_under += writes
        for edge in candidate.next_edges:
            if edge is not None:
                edge[0].released_holders += 1
                edge[0].released_under += candidate.released_under
                pending.append((edge[0], 2))


# how many nodes behind a stale view's old one are looked at for nodes torch may have dropped
_DROP_SEARCH_LIMIT = 32


def _nodes_torch_may_drop(node):
    """Weak references to ``node`` (a stale view's old one) and the nodes behind it, where torch may
    hold them no more (replaced by a write, or held by released nodes): once the view lets go of
    ``node``, the nodes that only it held go, and with them perhaps the last holder of such a node
    several edges down (fuzz seed 8288379: a view of a view of a view written in place, whose first
    view's old node was held by the second view's old node, itself held by the third's).  The
    nearest ``_DROP_SEARCH_LIMIT`` nodes are looked at: each is judged by its own references after."""
    if node is None:
        return []
    found, queue, seen = [], [node], {id(node)}
    while queue and len(seen) <= _DROP_SEARCH_LIMIT:
        each = queue.pop(0)
        if (each.replaced_by or each.released_holders) and not each.released:
            found.append(weakref.ref(each))
        for edge in each.next_edges:
            if edge is not None and id(edge[0]) not in seen:
                seen.add(id(edge[0]))
                queue.append(edge[0])
    return found


def count_write(target):
    """``target``'s memory was written in place: its version moves on.  Where it is (a view of) a tensor
    detached from one in a graph (``x.detach()[0] = 5``), x's memory changed too, and torch's views of
    x's base make their history anew (theirs is made at a version that has passed): so do these."""
    target._version_counter.value += 1
    link = view_base(target)
    source = (target if link is None else link[0]).__dict__.get("_detached_from")
    base = source() if source is not None else None
    if base is not None:
        refresh_views(base)


def refresh_views(base, written=None):
    """After an in-place write to ``base`` or one of its views: every other live view of ``base``
    is marked stale; its history is made anew, as the view of ``base``'s newest history (torch's
    regenerated ``AsStridedBackward0``), when it is next read.

    Lazily, as torch: a write costs one class change per live view, and only the views used
    again pay for a new node (200 writes to a tensor whose 200 rows are held stay linear).
    """
    views = base.__dict__.get("_views")
    if not views or not base._requires_grad or not is_grad_enabled():
        return
    for ref in views:
        view = ref()
        if view is not None and view is not written and type(view) is Tensor:
            view.__class__ = _StaleView


def history_of(view):
    """``view``'s own history as its slots hold it (a stale view's is not made anew), its node held
    strongly: torch's view keeps its ``grad_fn_`` through a write into a view of it, even where
    nothing else does (into an ``expand`` view the write reads the base, not that node), so the
    view is no leaf to torch's next in-place check (fuzz seed 1742352).  The write does not judge
    whether the node lives on (``_left_stale``): ``_regenerate`` does, once the view lets go."""
    return (Tensor.grad_fn.__get__(view), Tensor._output_nr.__get__(view), Tensor._requires_grad.__get__(view))


def leave_stale(view, history):
    """torch wrote into a view of ``view`` (``view[0:1] = value``), not into ``view``: the base took
    the write, and ``view`` keeps the node it had (``history``, from ``history_of``; None for a view
    made before its base needed a gradient, which is then a leaf to torch's in-place check), stale:
    made anew from the base's history when next read."""
    node, output_nr, requires_grad = history
    Tensor.grad_fn.__set__(view, node)
    Tensor._output_nr.__set__(view, output_nr)
    Tensor._requires_grad.__set__(view, requires_grad)
    if type(view) is Tensor:
        view.__class__ = _StaleView


def _regenerate(view):
    """Give a stale view its new history: the view (by its specs) of its base's current one.

    A restricted view (an output of ``split``/``unbind``, a view made in no_grad mode) has
    none to give: torch raises whenever its ``grad_fn`` is asked for (by any op that takes
    it in a graph, ``retain_grad``, ``is_leaf``), and the view stays stale, so it raises again.
    """
    restriction = view.__dict__.get("_restriction")
    if restriction is not None:
        raise RuntimeError(refused_write(restriction, written_itself=False, node=view_node(view, restriction)))
    view.__class__ = Tensor          # its attributes are plain slots again from here
    replaced = _nodes_torch_may_drop(view.grad_fn)
    base, specs = view_base(view)
    with enable_grad():              # the history is needed even when read under no_grad
        view._set_history(ViewOf.apply(base, specs=specs).grad_fn)
    for ref in replaced:             # the old node went, and with it perhaps the last other holder
        node = ref()
        if node is not None:
            _release_unless_torch_holds(node)


def _history_slot(name):
    """A property that regenerates a stale view before reading (or overwriting) slot ``name``."""
    slot = getattr(Tensor, name)

    def read(view):
        _regenerate(view)
        return slot.__get__(view)

    def overwrite(view, value):     # a new history replaces the stale one: nothing to make
        view.__class__ = Tensor
        slot.__set__(view, value)
    return property(read, overwrite)


def _restricted_requires_grad(view):
    """``_requires_grad`` of a stale view: a restricted one has no history to make (asking for its
    ``grad_fn`` raises), and answers as torch's view does, its own flag or its base's (so
    ``piece + 1`` raises in a graph and works under no_grad)."""
    # torch's view answers from its slots and its base's, making no node (fuzz seed 419647: after
    # v.detach() or v.requires_grad torch's in-place check still finds v's stale node empty, a leaf)
    return Tensor._requires_grad.__get__(view) or Tensor.grad_fn.__get__(view) is not None \
        or view_base(view)[0]._requires_grad


def history_checked_first(method):
    """``method`` for a stale view: where the op refuses its arguments and the view is one that may
    not be made anew (an output of ``unbind`` whose base was written since), torch's error is the
    view's, as torch's autograd kernel asks for the view's history before the op checks its
    arguments (``piece.roll(1, 0)`` of a 0-d piece).  Had the op accepted them, ``Function.apply``
    would ask and raise the same; an error of Python's own argument parsing (TypeError) comes first.
    The same for ``minigrad.<op>(..., view, ...)``, a stale view among its arguments or in a list of them
    (``cat``; fuzz seed 3705801:
    ``minigrad.index_select(piece.permute(1, 0), 0, out_of_range)``)."""
    @functools.wraps(method)
    def checked(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except TypeError:
            raise
        except Exception:
            for argument in args:
                history_asked(*(argument if type(argument) in (list, tuple) else (argument,)))
            raise
    return checked


def history_asked(*tensors):
    """Where an op checks its arguments after torch's autograd kernel asked its inputs for their
    histories (an advanced index's bounds, matmul's and linear's sizes: checked by the kernel torch
    reaches after ``collect_next_edges``), ask first: a stale view that may not be made anew (an
    output of split/unbind whose base was written since) raises its error here, before the op's own
    (fuzz seed 6377719: ``piece[rows, columns]`` with a column out of range).  Other arguments: none."""
    if not is_grad_enabled():
        return
    for view in tensors:
        if type(view) is _StaleView and "_restriction" in view.__dict__ and view._requires_grad:
            _regenerate(view)       # raises torch's error


class _StaleView(Tensor):
    """A view whose base changed in place since its history was made (see ``refresh_views``).

    Only the class changes, so the hot path (``Function.apply`` reading ``_requires_grad``
    and ``grad_fn`` of plain tensors) pays nothing; reading the history of a stale view
    regenerates it and turns the view back into a plain ``Tensor``.
    """

    __slots__ = ()
    grad_fn = _history_slot("grad_fn")
    _requires_grad = property(_restricted_requires_grad, _history_slot("_requires_grad").fset)
    _output_nr = _history_slot("_output_nr")
