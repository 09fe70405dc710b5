"""Checkpoints: ``minigrad.save(obj, f)`` and ``minigrad.load(f)``, with torch's safety model.

``torch.save`` pickles, and unpickling can run any code the file names.  A
minigrad checkpoint of tensors and plain data is instead a ZIP archive (stored,
not compressed) of

* ``minigrad_checkpoint/structure.json``: the nest of dicts, lists and tuples
  with its numbers, strings, None and bools, and a reference for each tensor;
* ``minigrad_checkpoint/arrays/<n>``: the raw bytes of array ``n``
  (C order, little-endian), whose dtype, shape and device the JSON records.

Loading such a file only parses JSON and copies bytes into arrays, so a hostile
file can at worst fail to load.  ZIP's CRC-32 of every member catches
corruption, and ``save`` writes to a temporary file in the same directory,
flushes it to disk and renames it over the target, so a crash mid-save leaves
the previous checkpoint intact.

What JSON holds: minigrad tensors (``nn.Parameter`` stays a Parameter,
``requires_grad`` is kept, tensors sharing one array share it again after
loading, the same tensor twice is loaded as one object), NumPy arrays (loaded
as NumPy arrays), Python numbers (also inf and NaN), strings, None, bools,
minigrad dtypes and devices, and dicts (``OrderedDict`` and ``Counter`` kept),
lists and tuples of these, so a model's and an optimizer's ``state_dict`` (and
a scheduler's) fit in one file.  NumPy scalars are stored as Python numbers.
Dict keys may be strings, numbers, bools, None or tuples of these.

Anything else (a whole model, ``torch.save(model, f)``; sets; your own
classes) is pickled, as torch does: the archive then holds
``minigrad_checkpoint/data.pkl`` beside the arrays, and tensors, arrays, dtypes,
devices and sizes inside the pickle are persistent ids into the archive.  Such
a file loads as torch 2.6+ loads: ``load(f)`` (``weights_only=True``) accepts
only tensors, containers and primitives and refuses any other global with
torch's error and hint; ``serialization.add_safe_globals([MyClass])`` or
``with serialization.safe_globals([MyClass]):`` allowlists classes you trust;
``load(f, weights_only=False)`` unpickles everything and can run any code in
the file: only for files you trust (``_weights_only_unpickler.py``).
"""
from __future__ import annotations

import io
import json
import math
import os
import pickle
import pickletools
import re
import struct
import tempfile
import zipfile
import zlib
from collections import Counter, OrderedDict

import numpy

from . import _weights_only_unpickler
from .core import dtypes
from .core.device import CPU, Device, device_of, to_device
from .core.tensor import Size, Tensor

__all__ = ["save", "load"]

FORMAT = "minigrad.checkpoint"
VERSION = 1               # JSON checkpoints: older minigrads read them
PICKLE_VERSION = 2        # checkpoints with a pickle (older minigrads refuse them: "upgrade minigrad")
ROOT = "minigrad_checkpoint/"
STRUCTURE = ROOT + "structure.json"
PICKLE = ROOT + "data.pkl"
DEFAULT_PROTOCOL = 2      # torch's
_CHUNK = 1 << 24          # copy arrays in 16 MiB pieces, never the whole file twice in memory
# An untrusted file must not make load allocate much more than its own size: save stores
# members uncompressed, so a member that inflates more than this is refused before reading
# (a 398 KiB deflated member may declare 400 MiB), and the JSON may not nest deeper than
# MAX_JSON_DEPTH (json and the decoder recurse: a deeper nest would be a raw RecursionError).
MAX_COMPRESSION_RATIO = 100
MAX_JSON_DEPTH = 400
_DICT_TYPES = {"OrderedDict": OrderedDict, "Counter": Counter}


# ---- saving ----------------------------------------------------------------------

class _Encoder:
    """Turns an object into JSON-ready values plus the list of arrays to store beside it."""

    def __init__(self):
        self.arrays = []          # storage index -> (array, device)
        self.storage_of = {}      # id(array) -> storage index
        self.memo_of = {}         # id(tensor) -> memo number: one tensor saved twice loads as one
        self.keep_alive = []      # objects whose id() is a key above must not be freed meanwhile

    def storage(self, array):
        key = id(array)
        if key not in self.storage_of:
            self.storage_of[key] = len(self.arrays)
            self.arrays.append(array)
            self.keep_alive.append(array)
        return self.storage_of[key]

    def encode(self, value, where):
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return value if math.isfinite(value) else {"float": repr(value)}
        if isinstance(value, Tensor):
            return self.encode_tensor(value)
        if isinstance(value, numpy.ndarray):
            return {"ndarray": self.storage(value)}
        if isinstance(value, numpy.generic):
            return self.encode(value.item(), where)
        if isinstance(value, dict):
            return self.encode_dict(value, where)
        if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
            kind = "list" if isinstance(value, list) else "tuple"
            return {kind: [self.encode(item, f"{where}[{index}]") for index, item in enumerate(value)]}
        if isinstance(value, dtypes.dtype):
            return {"dtype": value.name}
        if isinstance(value, Device):
            return {"device": str(value)}
        raise TypeError(f"minigrad.save cannot store a {type(value).__module__}.{type(value).__qualname__} "
                        f"(at {where or 'the top level'}): a checkpoint holds tensors, NumPy arrays, numbers, "
                        "strings, None, bools, dtypes, devices and dicts, lists and tuples of them")

    def encode_tensor(self, tensor):
        from .nn.parameter import Parameter
        if id(tensor) not in self.memo_of:
            self.memo_of[id(tensor)] = len(self.memo_of)
            self.keep_alive.append(tensor)
        return {"tensor": self.storage(tensor.array), "requires_grad": bool(tensor.requires_grad),
                "parameter": isinstance(tensor, Parameter), "memo": self.memo_of[id(tensor)]}

    def encode_dict(self, value, where):
        items = []
        for key, item in value.items():
            if not (key is None or isinstance(key, (bool, int, float, str, tuple))):
                raise TypeError(f"minigrad.save cannot store a dict key of type {type(key).__name__} "
                                f"(at {where or 'the top level'}): keys must be strings, numbers, bools, "
                                "None or tuples")
            items.append([self.encode(key, where), self.encode(item, f"{where}[{key!r}]")])
        encoded = {"dict": items}
        kind = type(value).__name__
        if kind in _DICT_TYPES and isinstance(value, _DICT_TYPES[kind]):
            encoded["type"] = kind
        return encoded


class _CheckpointPickler(pickle.Pickler):
    """Pickles ``obj`` with tensors, number arrays, dtypes, devices and sizes as persistent ids:
    the arrays go to the archive through ``encoder``, and loading needs no global for them."""

    def __init__(self, file, protocol, encoder):
        super().__init__(file, protocol)
        self.encoder = encoder

    def persistent_id(self, obj):
        if isinstance(obj, Tensor):
            record = self.encoder.encode_tensor(obj)
            return ("tensor", record["tensor"], record["requires_grad"], record["parameter"], record["memo"])
        if isinstance(obj, numpy.ndarray) and obj.dtype.kind in "biufc":
            return ("ndarray", self.encoder.storage(obj))
        if isinstance(obj, dtypes.dtype):
            return ("dtype", obj.name)
        if isinstance(obj, Device):
            return ("device", str(obj))
        if isinstance(obj, Size):
            return ("size", tuple(int(size) for size in obj))
        return None


def _array_record(index, array):
    return {"file": f"{ROOT}arrays/{index}", "dtype": array.dtype.name, "shape": list(array.shape),
            "device": str(device_of(array))}


def _write_archive(handle, structure, arrays, pickled=None):
    """Write the ZIP archive to the open binary file ``handle``."""
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        archive.writestr(STRUCTURE, json.dumps(structure, allow_nan=False))
        if pickled is not None:
            archive.writestr(PICKLE, pickled)
        for index, array in enumerate(arrays):
            host = to_device(array, CPU)
            host = numpy.ascontiguousarray(host, dtype=host.dtype.newbyteorder("<"))
            with archive.open(f"{ROOT}arrays/{index}", "w", force_zip64=True) as member:
                member.write(memoryview(host.reshape(-1)).cast("B"))


def _fsync_directory(directory):
    """Make the rename itself durable (POSIX); harmless where directories cannot be opened."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _new_file_mode(path):
    """The permissions a plainly created file would get (mkstemp makes 0600)."""
    if os.path.exists(path):
        return os.stat(path).st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path, write):
    """Create or replace the file ``path`` all at once: ``write(handle)`` fills a temporary file in
    the same directory, which is flushed to disk and renamed over ``path``.  If anything fails
    (even a KeyboardInterrupt) the temporary file is removed and ``path`` keeps its old content."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp",
                                             dir=directory)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, _new_file_mode(path))
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    _fsync_directory(directory)


def save(obj, f, pickle_module=None, pickle_protocol=DEFAULT_PROTOCOL, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Write ``obj`` to ``f``: tensors and plain data as JSON + raw arrays, anything else pickled.

    ``f`` is a path (written atomically: a temporary file beside it, flushed
    and renamed over it) or a binary file object.  Tensors, numbers, strings
    ... in dicts, lists and tuples (state dicts) take the no-pickle format;
    other objects (a whole model) are pickled with ``pickle_module`` (default
    ``pickle``) and ``pickle_protocol`` (default 2, as torch).  Whatever cannot
    be stored raises before the file is touched.
    """
    encoder = _Encoder()
    pickled = None
    try:
        body = encoder.encode(obj, "")
        structure = {"format": FORMAT, "version": VERSION, "object": body}
    except TypeError:                   # not plain data: pickle it, as torch.save does
        encoder = _Encoder()
        buffer = io.BytesIO()
        pickler = _CheckpointPickler(buffer, pickle_protocol, encoder) if pickle_module in (None, pickle) \
            else _custom_pickler(pickle_module, buffer, pickle_protocol, encoder)
        pickler.dump(obj)
        pickled = buffer.getvalue()
        structure = {"format": FORMAT, "version": PICKLE_VERSION, "pickle": PICKLE}
    structure["arrays"] = [_array_record(index, array) for index, array in enumerate(encoder.arrays)]
    if isinstance(f, (str, os.PathLike)):
        atomic_write(f, lambda handle: _write_archive(handle, structure, encoder.arrays, pickled))
    else:
        _write_archive(f, structure, encoder.arrays, pickled)


def _custom_pickler(pickle_module, file, protocol, encoder):
    """A ``pickle_module.Pickler`` (dill, cloudpickle ...) with the persistent ids of ours."""
    pickler = pickle_module.Pickler(file, protocol)
    pickler.persistent_id = _CheckpointPickler(io.BytesIO(), protocol, encoder).persistent_id
    return pickler


# ---- loading -----------------------------------------------------------------------

class _Decoder:
    def __init__(self, arrays, map_location, records):
        self.arrays = arrays
        self.map_location = map_location
        self.records = records
        self.placed = {}          # storage index -> array on its target device
        self.tensors = {}         # memo number -> Tensor, so one tensor saved twice loads as one

    def placed_array(self, index):
        if index not in self.placed:
            self.placed[index] = _place(self.arrays[index], self.records[index]["device"], self.map_location)
        return self.placed[index]

    def decode(self, value):
        if not isinstance(value, (dict, list)):
            return value
        if isinstance(value, list):
            raise ValueError("a bare JSON list where a tagged value was expected")
        if "dict" in value:
            result = _DICT_TYPES.get(value.get("type"), dict)()
            for key, item in value["dict"]:
                result[self.decode(key)] = self.decode(item)
            return result
        if "list" in value:
            return [self.decode(item) for item in value["list"]]
        if "tuple" in value:
            return tuple(self.decode(item) for item in value["tuple"])
        if "tensor" in value:
            return self.decode_tensor(value)
        if "ndarray" in value:
            return self.arrays[value["ndarray"]]
        if "float" in value:
            return float(value["float"])
        if "dtype" in value:
            dtype = getattr(dtypes, str(value["dtype"]), None)
            if not isinstance(dtype, dtypes.dtype):   # only a dtype's name, never another attribute
                raise ValueError(f"unknown dtype {value['dtype']!r}")
            return dtype
        if "device" in value:
            return Device(value["device"])
        raise ValueError(f"unknown entry {sorted(value)!r}")

    def decode_tensor(self, value):
        memo = value.get("memo")
        if memo in self.tensors:
            return self.tensors[memo]
        array = self.placed_array(value["tensor"])
        if value.get("parameter"):
            from .nn.parameter import Parameter
            tensor = Parameter(Tensor._wrap(array), requires_grad=bool(value.get("requires_grad")))
        else:
            tensor = Tensor._wrap(array)
            if value.get("requires_grad"):
                tensor.requires_grad_(True)
        self.tensors[memo] = tensor
        return tensor

    def persistent_load(self, pid):
        """The object behind a persistent id that ``_CheckpointPickler`` wrote (nothing else)."""
        try:
            kind = pid[0]
            if kind == "tensor" and len(pid) == 5 and all(type(item) is int for item in (pid[1], pid[4])):
                if not 0 <= pid[1] < len(self.arrays):
                    raise IndexError(pid[1])
                return self.decode_tensor({"tensor": pid[1], "requires_grad": pid[2] is True,
                                           "parameter": pid[3] is True, "memo": pid[4]})
            if kind == "ndarray" and len(pid) == 2 and type(pid[1]) is int and 0 <= pid[1] < len(self.arrays):
                return self.arrays[pid[1]]
            if kind == "dtype" and len(pid) == 2 and isinstance(getattr(dtypes, str(pid[1]), None), dtypes.dtype):
                return getattr(dtypes, pid[1])
            if kind == "device" and len(pid) == 2 and type(pid[1]) is str:
                return Device(pid[1])
            if kind == "size" and len(pid) == 2 and all(type(size) is int for size in pid[1]):
                return Size(pid[1])
        except (TypeError, ValueError, IndexError, RuntimeError):
            pass
        raise pickle.UnpicklingError("unsupported persistent id encountered")


def _place(array, location, map_location):
    """Move a loaded CPU array to where ``map_location`` (or the saved ``location``) says."""
    if callable(map_location):
        result = map_location(Tensor._wrap(array), location)
        return result.array if isinstance(result, Tensor) else array
    if isinstance(map_location, dict):
        target = map_location.get(location, location)
    else:
        target = location if map_location is None else map_location
    device = Device(target)
    if device.type == "cuda":
        from .core.device import cuda_available
        if not cuda_available():
            raise RuntimeError("Attempting to deserialize object on a CUDA device but "
                               "minigrad.cuda.is_available() is False. If you are running on a CPU-only "
                               "machine, please use minigrad.load with map_location='cpu' to map your "
                               "storages to the CPU.")
    return to_device(array, device)


def _read_array(archive, record):
    dtype = numpy.dtype(record["dtype"])
    if dtype.kind not in "biufc" or dtype.name != record["dtype"]:   # never object arrays (pointers)
        raise ValueError(f"{record['file']}: dtype {record['dtype']!r} is not a plain number type")
    dtype = dtype.newbyteorder("<")
    shape = tuple(int(size) for size in record["shape"])
    if any(size < 0 for size in shape):
        raise ValueError(f"{record['file']}: negative size in shape {list(shape)}")
    expected = math.prod(shape) * dtype.itemsize     # Python ints: a huge shape cannot wrap around
    info = archive.getinfo(record["file"])
    if info.file_size != expected:   # checked before allocating, so a lying header cannot exhaust memory
        raise ValueError(f"{record['file']} holds {info.file_size} bytes, but {record['dtype']} {list(shape)} "
                         f"needs {expected}")
    _check_inflation(info)
    array = numpy.empty(shape, dtype)
    target = memoryview(array.reshape(-1)).cast("B")
    with archive.open(record["file"]) as member:
        filled = 0
        while filled < len(target):
            count = member.readinto(target[filled:filled + _CHUNK])
            if not count:
                raise ValueError(f"{record['file']} holds {filled} bytes, expected {len(target)}")
            filled += count
        if member.read(1):
            raise ValueError(f"{record['file']} holds more than the expected {len(target)} bytes")
    return array.astype(dtype.newbyteorder("="), copy=False)


def _check_inflation(info):
    """Refuse a member whose declared size is far beyond what its compressed bytes can honestly hold."""
    if info.file_size > max(info.compress_size, 1) * MAX_COMPRESSION_RATIO:
        raise ValueError(f"{info.filename} inflates from {info.compress_size} to {info.file_size} bytes, more "
                         f"than {MAX_COMPRESSION_RATIO} times: refused")


_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _check_json_depth(text):
    """Refuse JSON nested deeper than MAX_JSON_DEPTH, before json.loads recurses into it."""
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        bracket = token.group()
        if bracket in (b"[", b"{"):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise ValueError(f"structure.json nests deeper than {MAX_JSON_DEPTH} levels")
        elif bracket in (b"]", b"}"):
            depth -= 1


def _describe(f):
    if isinstance(f, (str, os.PathLike)):
        return f"'{os.fspath(f)}'"
    return f"'{getattr(f, 'name', None)}'" if getattr(f, "name", None) else "the file object"


def _read_structure(archive, name):
    names = set(archive.namelist())
    if STRUCTURE not in names:
        if any(member.endswith("data.pkl") for member in names):
            raise RuntimeError(f"{name} was written by torch.save, not minigrad.save: read it with "
                               "minigrad.interop.load_torch (needs torch), which uses torch.load("
                               "weights_only=True) and converts the tensors")
        raise RuntimeError(f"{name} is a ZIP archive but not a minigrad checkpoint (no {STRUCTURE})")
    _check_inflation(archive.getinfo(STRUCTURE))
    text = archive.read(STRUCTURE)
    _check_json_depth(text)
    structure = json.loads(text)
    if not isinstance(structure, dict) or structure.get("format") != FORMAT:
        raise ValueError("structure.json does not describe a minigrad checkpoint")
    if structure.get("version", 0) > PICKLE_VERSION:
        raise RuntimeError(f"{name} is a version {structure['version']} minigrad checkpoint; this minigrad "
                           f"reads up to version {PICKLE_VERSION}: upgrade minigrad")
    return structure


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Read what ``save`` wrote: the same nest of dicts, lists, tuples, tensors and values, or the object.

    ``map_location`` moves tensors: a device (``'cpu'``, ``'cuda:0'``), a dict
    from saved to wanted device names (``{'cuda:0': 'cpu'}``), or a function
    ``fn(tensor_on_cpu, saved_location)`` returning the tensor to use.  By
    default tensors return to the device they were saved from.  A missing,
    truncated or corrupted file raises an error that names it.

    A JSON checkpoint never runs code.  A pickled one (a whole model) loads
    with ``weights_only=True`` (the default, as torch 2.6+) only if it holds
    nothing but tensors, containers, primitives and allowlisted globals
    (``serialization.add_safe_globals``); ``weights_only=False`` unpickles
    anything, running whatever code the file names: only for trusted files.
    ``mmap`` is accepted for torch's signature.
    """
    if weights_only is None:
        weights_only = True
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    if pickle_load_args and weights_only:
        import warnings
        warnings.warn("pickle_load_args only works if `weights_only=False`.", stacklevel=2)
    name = _describe(f)
    if isinstance(f, (str, os.PathLike)) and not os.path.exists(f):
        raise FileNotFoundError(f"[Errno 2] No such file or directory: {name}")
    try:
        with zipfile.ZipFile(f) as archive:
            structure = _read_structure(archive, name)
            records = structure["arrays"]
            arrays = [_read_array(archive, record) for record in records]
            decoder = _Decoder(arrays, map_location, records)
            if "pickle" not in structure:
                return decoder.decode(structure["object"])
            pickled = archive.read(PICKLE)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, json.JSONDecodeError, KeyError, IndexError,
            ValueError, TypeError, AttributeError, OverflowError, UnicodeDecodeError, io.UnsupportedOperation,
            NotImplementedError, zlib.error, struct.error) as error:
        # every malformed file, whatever part of it is wrong, is this one error naming the file
        # (an unknown compression method is zipfile's NotImplementedError)
        raise RuntimeError(f"{name} is not a readable minigrad checkpoint (truncated or corrupted?): "
                           f"{type(error).__name__}: {error}") from error
    pickle_load_args.setdefault("encoding", "utf-8")
    if weights_only:
        unpickler = _weights_only_unpickler.Unpickler(io.BytesIO(pickled), decoder.persistent_load,
                                                      encoding="utf-8")
        try:
            return unpickler.load()
        except pickle.UnpicklingError as error:
            raise pickle.UnpicklingError(_weights_only_unpickler.weights_only_message(str(error))) from None
    unpickler = (pickle_module or pickle).Unpickler(io.BytesIO(pickled), **pickle_load_args)
    unpickler.persistent_load = decoder.persistent_load
    return unpickler.load()


# ---- torch.serialization's allowlist of globals for weights_only loads ------------------------------

def add_safe_globals(safe_globals) -> None:
    """Allow ``load(weights_only=True)`` to use these classes/functions (each an object, or a tuple
    ``(object, 'module.qualname')`` naming it as the file does).  Only for code you trust."""
    _weights_only_unpickler._add_safe_globals(safe_globals)


def get_safe_globals() -> list:
    """The globals added with ``add_safe_globals`` (or inside ``safe_globals``)."""
    return _weights_only_unpickler._get_safe_globals()


def clear_safe_globals() -> None:
    """Forget every global added with ``add_safe_globals``."""
    _weights_only_unpickler._clear_safe_globals()


class safe_globals(_weights_only_unpickler._safe_globals):
    """``with serialization.safe_globals([MyClass]): load(f)``: allowlist inside the block only."""


def get_unsafe_globals_in_checkpoint(f) -> list:
    """The globals a pickled checkpoint names that are not allowed by default (read, never run:
    the pickle's opcodes are listed, not executed); ``[]`` for a JSON checkpoint."""
    with zipfile.ZipFile(f) as archive:
        structure = _read_structure(archive, _describe(f))
        if "pickle" not in structure:
            return []
        pickled = archive.read(PICKLE)
    allowed = _weights_only_unpickler.allowed_globals()
    found, strings = set(), []
    for opcode, argument, _ in pickletools.genops(pickled):
        if opcode.name in ("GLOBAL", "INST"):
            module, _, qualname = argument.partition(" ")
            found.add(".".join(_weights_only_unpickler.resolve_name(module, qualname)))
        elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:    # protocol 4: the last two strings
            found.add(".".join(_weights_only_unpickler.resolve_name(strings[-2], strings[-1])))
        if isinstance(argument, str):
            strings.append(argument)
    return sorted(path for path in found if path not in allowed)
