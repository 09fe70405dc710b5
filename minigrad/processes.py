"""A helper process for half of a large batch: the second core without the GIL.

A recurrent layer's sequences are independent, so its batch can run in two halves at once.
Two Python threads cannot do that for the seed model's small steps: each time step is a dozen
NumPy calls of a few microseconds, and the threads wait on each other for the GIL (measured:
the step took 50% longer, ``threads.py``).  Two processes do not share a GIL.  So where a
layer is large enough (``SPLIT_WORK``), its node runs its forward on the first half of the
batch here while a helper process runs the same forward on the second half, and the same for
the backward: each half is the unsplit code on its rows (``fused.py``), the outputs are joined
and the weight gradients of the two halves summed.

The helper is a Python process running ``serve``, started on the first large layer (until it has
imported minigrad, layers run whole here).  It keeps each half's saved arrays until the node's
backward no longer needs them: ``release`` (after a backward without ``retain_graph``) or the
node's garbage collection tells it to forget them.  Arrays go both ways through two files in
``/dev/shm`` that both processes map (one written by each side, replaced by a larger one when a
message needs more room, each copied out by its reader at once); the rest of a message is
pickled through a pipe.  Only while minigrad picks the threads (``threads._two_cores``), on
Linux; the helper itself runs on one core and splits nothing.
"""
from __future__ import annotations

import atexit
import builtins
import importlib
import itertools
import mmap
import os
import subprocess
import sys
import threading
import time
import weakref
from multiprocessing.connection import Connection

import numpy

from . import threads

SPLIT_WORK = 2 ** 24       # multiply-adds of a layer's products from which its batch is split (measured)
LATE = 0.5                 # the helper is late when this process waits longer than this times its own half
PAUSE = 200                # layers run whole once the helper came late (``_Helper.note_wait``)
_ALIGN = 64
_SHARED_FOLDER = "/dev/shm"
_IN_HELPER = "MINIGRAD_HELPER_PROCESS"
_helper = None             # the _Helper once started; False where it cannot run or has failed


def worth_splitting(batch, work, array):
    """Should a layer of ``batch`` sequences and ``work`` multiply-adds run in two processes?
    Starts the helper on the first such layer (then this layer still runs whole)."""
    global _helper
    if not threads._two_cores or batch < 2 or work < SPLIT_WORK or type(array) is not numpy.ndarray:
        return False
    if _helper is None:
        _helper = _Helper.start()
        return False
    return bool(_helper) and _helper.ready() and _helper.keeping_up()


def start_helper(timeout=10.0):
    """Start the helper now and wait until it is ready (else the first large layer starts it and
    runs whole until it is: a benchmark warms up with this).  Returns whether it is ready."""
    global _helper
    if _helper is None and threads._two_cores:
        _helper = _Helper.start()
    end = time.perf_counter() + timeout
    while _helper and not _helper.ready() and time.perf_counter() < end:
        time.sleep(0.01)
    return bool(_helper) and _helper.ready()


def helper_cpu_seconds():
    """The CPU seconds the helper process has used (0.0 where none runs): a benchmark adds them."""
    if not _helper:
        return 0.0
    try:
        with open(f"/proc/{_helper.process.pid}/stat") as file:
            fields = file.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")   # utime + stime


def in_two_halves(node, arrays, options, split, join):
    """``node``'s forward on the two halves of its batch, each by ``node.forward_whole``: the
    second half's in the helper.

    ``split(arrays)`` gives the (first, second) halves of the inputs; ``join(mine, theirs)`` the
    outputs.  Returns the outputs and the pair (the first half's node, the helper's key) that
    ``backward_in_two_halves`` takes."""
    mine, theirs = split(arrays)
    keep = any(node.needs_input_grad)
    key = _helper.send("forward", (_class_path(type(node)), options, node.needs_input_grad, keep), theirs)
    part = type(node)()
    part.needs_input_grad = node.needs_input_grad
    outputs = _with_reply(lambda: part.forward_whole(*mine, **options), key)
    if keep:
        weakref.finalize(node, _helper.forget, key)
    return join(outputs, _helper.result), (part, key)


def backward_in_two_halves(parts, grads, split, join):
    """The backward of a node run by ``in_two_halves`` (``parts``), on its outputs' gradients."""
    part, key = parts
    mine, theirs = split(grads)
    _helper.send("backward", key, theirs)
    return join(_with_reply(lambda: part.backward_whole(*mine), key), _helper.result)


def forget(parts):
    """The helper's half of a node is no longer needed (its graph is freed)."""
    if parts is not None and _helper:
        _helper.forget(parts[1])


def _with_reply(run_here, key):
    """``run_here()`` while the helper works; then the helper's reply (its error, if only it failed)."""
    two_cores, threads._two_cores = threads._two_cores, False   # the helper has the other core
    start = time.perf_counter()
    try:
        result = run_here()
    except BaseException:
        _helper.receive(raise_error=False)
        raise
    finally:
        threads._two_cores = two_cores
    here = time.perf_counter()
    _helper.receive()
    _helper.note_wait(here - start, time.perf_counter() - here)
    return result


def _class_path(cls):
    return f"{cls.__module__}:{cls.__qualname__}"


class _Shared:
    """Arrays through a file in /dev/shm that both processes map.  The writer copies arrays in and
    names the file; the reader maps it (then removes its name: the mapping stays) and copies them out."""

    def __init__(self):
        self.map, self.path, self.size = None, None, 0

    def write(self, arrays):
        """Copy ``arrays`` (None allowed) in; returns what ``read`` needs on the other side."""
        offsets, end = [], 0
        for array in arrays:
            offsets.append(end)
            end += 0 if array is None else -(-array.nbytes // _ALIGN) * _ALIGN
        if end > self.size:
            self._replace(max(end, 2 * self.size, 2 ** 20))
        specs = []
        for array, offset in zip(arrays, offsets):
            if array is None:
                specs.append(None)
                continue
            numpy.ndarray(array.shape, array.dtype, self.map, offset)[...] = array
            specs.append((offset, array.shape, array.dtype.str))
        return self.path, self.size, specs

    def read(self, path, size, specs):
        if path != self.path:
            with open(path, "r+b") as file:
                self.map, self.path, self.size = mmap.mmap(file.fileno(), size), path, size
            os.unlink(path)
        return [None if spec is None else
                numpy.ndarray(spec[1], numpy.dtype(spec[2]), self.map, spec[0]).copy() for spec in specs]

    def _replace(self, size):
        self.remove()
        name = os.path.join(_SHARED_FOLDER, f"minigrad-{os.getpid()}-{next(_names)}")
        with open(name, "w+b") as file:
            file.truncate(size)
            self.map = mmap.mmap(file.fileno(), size)
        self.path, self.size = name, size

    def remove(self):
        """Remove the file's name if the reader has not (it never mapped it)."""
        if self.path is not None:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass


_names = itertools.count()


class _Helper:
    """The main process's end: the helper process, its pipes and the two shared files."""

    @classmethod
    def start(cls):
        if not os.path.isdir(_SHARED_FOLDER) or os.environ.get(_IN_HELPER):
            return False
        try:
            return cls()
        except OSError:                        # pragma: no cover - no processes or pipes here
            return False

    def __init__(self):
        to_helper, from_here = os.pipe()
        to_here, from_helper = os.pipe()
        # (this minigrad, wherever it was imported from: a checkout put on sys.path too)
        package_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        paths = [package_parent] + [path for path in [os.environ.get("PYTHONPATH")] if path]
        environment = {**os.environ, _IN_HELPER: "1", "MINIGRAD_NUM_THREADS": "1",
                       "PYTHONPATH": os.pathsep.join(paths)}
        self.process = subprocess.Popen(
            [sys.executable, "-c", f"from minigrad.processes import serve; serve({to_helper}, {from_helper})"],
            pass_fds=(to_helper, from_helper), env=environment, stdin=subprocess.DEVNULL)
        os.close(to_helper)
        os.close(from_helper)
        self.requests, self.replies = Connection(from_here, readable=False), Connection(to_here, writable=False)
        self.outgoing, self.incoming = _Shared(), _Shared()
        self.keys, self.forgotten, self.started = itertools.count(), [], False
        self.lock, self.result = threading.Lock(), None
        self.late, self.paused = 0.0, 0
        atexit.register(self.close)

    def ready(self):
        """Has the helper imported minigrad?  (Never waits: until then, layers run whole.)"""
        if not self.started and self.replies.poll(0):
            try:
                self.started = self.replies.recv() == "ready"
            except (EOFError, OSError):          # it could not start: layers run whole from now on
                _ended(self.process)
        return self.started

    def keeping_up(self):
        """False while layers run whole after the helper fell behind (see ``note_wait``)."""
        if self.paused:
            self.paused -= 1
            return False
        return True

    def note_wait(self, working, waiting):
        """After a split: ``working`` seconds on this half, then ``waiting`` for the helper's.  Where
        the helper's half keeps coming late (its core busy with other work: measured beside one busy
        process, the seed's step took 30.5 ms split against 19.5 ms whole), the next ``PAUSE`` layers
        run whole, then the split is tried again.  Late is a running average of ``waiting / working``
        over about the last eight splits above ``LATE``: on a quiet machine one split in thirteen
        waits half as long as it worked (the garbage collector, another process's moment), in a row
        of them rarely; beside a busy process most do."""
        self.late += (waiting / working - self.late) / 8
        if self.late > LATE:
            self.late, self.paused = 0.0, PAUSE

    def send(self, kind, header, arrays):
        """Send a request; returns its key (a new one for a forward)."""
        self.lock.acquire()
        key = next(self.keys) if kind == "forward" else header
        forgotten, self.forgotten = self.forgotten, []
        try:
            self.requests.send((kind, key, header, forgotten, numpy.geterr(), self.outgoing.write(arrays)))
        except BaseException as error:
            self.lock.release()
            if isinstance(error, OSError):
                raise _ended(self.process) from None
            raise
        return key

    def receive(self, raise_error=True):
        """The reply to the request sent (the helper's outputs in ``self.result``)."""
        try:
            _spin(self.replies)
            status, payload = self.replies.recv()
        except (EOFError, OSError):
            self.lock.release()
            raise _ended(self.process) from None
        self.lock.release()
        if status == "error":
            self.result = None
            if raise_error:
                kind, message = payload
                error = getattr(builtins, kind, None)
                raise (error if isinstance(error, type) and issubclass(error, Exception) else RuntimeError)(message)
        else:
            self.result = self.incoming.read(*payload)

    def forget(self, key):
        """The helper may drop ``key``'s saved arrays (sent with the next request: no waiting here,
        and no lock, as this runs from the garbage collector too)."""
        self.forgotten.append(key)

    def close(self):
        self.outgoing.remove()
        try:
            self.requests.close()
        except OSError:
            pass


def _spin(connection, seconds=0.005):
    """Wait for a message up to ``seconds`` without sleeping (waking a sleeping CPU costs)."""
    end = time.perf_counter() + seconds
    while not connection.poll(0) and time.perf_counter() < end:
        pass


def _ended(process):
    global _helper
    _helper = False
    return RuntimeError(f"minigrad's helper process ended (exit code {process.poll()}): "
                        "the layer's second half is lost; later layers run in this process")


def _forget_helper():
    global _helper
    _helper = None     # a forked child (a DataLoader worker) starts its own helper if it needs one


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_helper)


# ---- the helper process's end -------------------------------------------------------------------
def serve(request_fd, reply_fd):
    """Run requests until the main process closes its pipe (or has ended)."""
    requests, replies = Connection(request_fd, writable=False), Connection(reply_fd, readable=False)
    incoming, outgoing = _Shared(), _Shared()
    atexit.register(outgoing.remove)
    nodes = {}
    try:
        replies.send("ready")
        while True:
            _spin(requests)
            kind, key, header, forgotten, settings, arrays = requests.recv()
            for old in forgotten:
                nodes.pop(old, None)
            replies.send(_run_request(nodes, kind, key, header, settings, incoming.read(*arrays), outgoing))
    except (EOFError, BrokenPipeError):
        return


def _run_request(nodes, kind, key, header, settings, arrays, outgoing):
    """The reply to one request: ("ok", the outputs written to ``outgoing``) or ("error", its words)."""
    try:
        with numpy.errstate(**settings):
            if kind == "forward":
                path, options, needs_input_grad, keep = header
                module, name = path.split(":")
                node = getattr(importlib.import_module(module), name)()
                node.needs_input_grad = needs_input_grad
                outputs = node.forward_whole(*arrays, **options)
                if keep:
                    nodes[key] = node
            else:
                outputs = nodes[key].backward_whole(*arrays)
    except Exception as error:      # handed to the main process, which raises it
        return "error", (type(error).__name__, str(error))
    return "ok", outgoing.write(list(outputs) if isinstance(outputs, tuple) else [outputs])
