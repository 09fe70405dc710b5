"""``MNIST``: the handwritten digits, read from the four IDX files, as ``torchvision.datasets.MNIST``.

The IDX format (LeCun): a big-endian header ``0x00 0x00 <type> <ndim>``, then
``ndim`` 32-bit sizes, then the values.  Images are ``0x00000803`` (uint8,
3 dimensions: count, rows, columns), labels ``0x00000801`` (uint8, 1 dimension).
"""
from __future__ import annotations

import gzip
import hashlib
import math
import os
import urllib.error
import urllib.request
import zlib

import numpy

from ..core.tensor import Tensor
from .dataset import Dataset

__all__ = ["MNIST", "read_idx"]

# torchvision's mirrors, in its order
MIRRORS = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]

# SHA-256 of each file's decompressed bytes (shared/data/mnist/README.md)
SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801


def cache_directory() -> str:
    """Where downloads go: ``$MINIGRAD_DATA/MNIST/raw``, else ``~/.cache/minigrad/MNIST/raw``."""
    base = os.environ.get("MINIGRAD_DATA") or os.path.join(os.path.expanduser("~"), ".cache", "minigrad")
    return os.path.join(base, "MNIST", "raw")


# A gzipped IDX file may not declare more than this many times its own size: MNIST's files
# inflate about 5 times, and a header must not make read_idx allocate what the file cannot hold.
MAX_COMPRESSION_RATIO = 100


def _open(path):
    return gzip.open(path, "rb") if str(path).endswith(".gz") else open(path, "rb")


def read_idx(path, expected_magic=None):
    """The array stored in the IDX file ``path`` (gzipped or not), as writable uint8 NumPy data.

    Raises RuntimeError naming the file for a wrong magic number, a short or
    long file, a header declaring more than the file can hold, or a damaged
    gzip stream.  Memory is bounded by the header's sizes, which are checked
    against the file's size first: the values are read once, straight into
    their array.
    """
    try:
        with _open(path) as handle:
            head = handle.read(4)
            if len(head) < 4:
                raise RuntimeError(f"{path}: truncated IDX file ({len(head)} bytes, no header)")
            magic = int.from_bytes(head, "big")
            if (expected_magic is not None and magic != expected_magic) or head[0] or head[1] or head[2] != 0x08:
                wanted = f"{expected_magic:#010x}" if expected_magic is not None else "0x000008NN (unsigned bytes)"
                raise RuntimeError(f"{path}: wrong magic number {magic:#010x}, expected {wanted}: "
                                   "not an MNIST IDX file")
            ndim = head[3]
            header = 4 + 4 * ndim
            sizes = handle.read(4 * ndim)
            if len(sizes) < 4 * ndim:
                raise RuntimeError(f"{path}: truncated IDX file ({4 + len(sizes)} bytes, header needs {header})")
            shape = tuple(int.from_bytes(sizes[4 * i:4 * i + 4], "big") for i in range(ndim))
            count = math.prod(shape)            # Python ints: sizes that overflow int64 cannot wrap around
            expected = header + count
            on_disk = os.path.getsize(path)
            if str(path).endswith(".gz"):
                if count > max(on_disk, 1) * MAX_COMPRESSION_RATIO:
                    raise RuntimeError(f"{path}: its header {list(shape)} declares {expected} bytes, more than "
                                       f"{MAX_COMPRESSION_RATIO} times the {on_disk} bytes of the file: refused")
            elif on_disk != expected:
                _wrong_length(path, on_disk, shape, expected)
            values = numpy.empty(count, numpy.uint8)
            target, filled = memoryview(values), 0
            while filled < count:
                read = handle.readinto(target[filled:])
                if not read:
                    break
                filled += read
            extra = handle.read(1)
    except (OSError, EOFError, zlib.error) as error:
        raise RuntimeError(f"{path}: cannot decompress ({error}); the file is truncated or not gzip") from error
    if filled != count or extra:
        _wrong_length(path, header + filled + len(extra), shape, expected)
    return values.reshape(shape)


def _wrong_length(path, length, shape, expected):
    problem = "truncated" if length < expected else "too long"
    raise RuntimeError(f"{path}: {problem} IDX file: {length}{'+' if length > expected else ''} bytes, but its "
                       f"header {list(shape)} needs {expected}")


def _download(name, directory) -> str:
    """Fetch ``name``.gz from the mirrors into ``directory``, checking the decompressed SHA-256."""
    from ..serialization import atomic_write
    failures = []
    for mirror in MIRRORS:
        url = f"{mirror}{name}.gz"
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                compressed = response.read()
            raw = gzip.decompress(compressed)
        except (urllib.error.URLError, OSError, EOFError, zlib.error, ValueError) as error:
            failures.append(f"{url}: {error}")
            continue
        digest = hashlib.sha256(raw).hexdigest()
        if digest != SHA256[name]:
            failures.append(f"{url}: checksum mismatch for {name}: SHA-256 of the decompressed bytes is "
                            f"{digest}, expected {SHA256[name]}")
            continue
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, f"{name}.gz")
        atomic_write(path, lambda handle: handle.write(compressed))
        return path
    raise RuntimeError(f"could not download MNIST file {name}: " + "; ".join(failures)
                       + f". Without network access, put the four MNIST files ({', '.join(SHA256)}; "
                       f"gzipped or not) in {directory}")


class MNIST(Dataset):
    """MNIST digits: ``.data`` (uint8, N x 28 x 28) and ``.targets`` (int64, N), as torchvision's.

    ``root`` is searched for the IDX files ``train-images-idx3-ubyte``,
    ``train-labels-idx1-ubyte`` (``train=True``) or the ``t10k-`` pair, each
    plain or ``.gz``: first in ``root`` itself, then in ``root/MNIST/raw``
    (torchvision's layout), then in the download cache
    (``$MINIGRAD_DATA/MNIST/raw`` or ``~/.cache/minigrad/MNIST/raw``).  With
    ``download=True`` missing files are fetched into that cache from the public
    mirrors, and rejected unless their decompressed SHA-256 is the published one.

    ``dataset[i]`` is ``(image, target)`` with ``target`` a Python int.  torchvision
    hands a PIL image to ``transform``; minigrad has no PIL, so:

    * without ``transform`` the image is a float32 tensor ``(1, 28, 28)`` scaled to
      ``[0, 1]``, which is what torchvision's ``transforms.ToTensor()`` makes;
    * with ``transform`` the transform receives the raw uint8 tensor ``(28, 28)``
      and the image is whatever it returns.
    """

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]

    def __init__(self, root=None, train=True, transform=None, target_transform=None, download=False):
        self.root = None if root is None else os.fspath(root)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        prefix = "train" if train else "t10k"
        if download:
            self.download()
        images = read_idx(self._find(f"{prefix}-images-idx3-ubyte"), IMAGES_MAGIC)
        labels = read_idx(self._find(f"{prefix}-labels-idx1-ubyte"), LABELS_MAGIC)
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise RuntimeError(f"MNIST files in {self.root} disagree: images {list(images.shape)}, "
                               f"labels {list(labels.shape)}")
        self.data = Tensor._wrap(images)
        self.targets = Tensor._wrap(labels.astype(numpy.int64))

    @property
    def class_to_idx(self):
        return {name: index for index, name in enumerate(self.classes)}

    def _directories(self):
        found = [] if self.root is None else [self.root, os.path.join(self.root, "MNIST", "raw")]
        return found + [cache_directory()]

    def _locate(self, name):
        for directory in self._directories():
            for candidate in (name, f"{name}.gz"):
                path = os.path.join(directory, candidate)
                if os.path.isfile(path):
                    return path
        return None

    def _find(self, name):
        path = self._locate(name)
        if path is None:
            raise RuntimeError(f"MNIST file {name} (or {name}.gz) not found; looked in "
                               f"{', '.join(self._directories())}. Pass download=True to fetch it into "
                               f"{cache_directory()}, or put the four MNIST files ({', '.join(SHA256)}; "
                               f"gzipped or not) in {self.root or cache_directory()}")
        return path

    def download(self):
        """Fetch whichever of the four files is not found locally into the cache directory."""
        for name in SHA256:
            if self._locate(name) is None:
                _download(name, cache_directory())

    def __len__(self):
        return len(self.data.array)

    def __getitem__(self, index):
        image = self.data.array[index]
        target = int(self.targets.array[index])
        if self.transform is not None:
            image = self.transform(Tensor._wrap(image))
        else:
            image = Tensor._wrap(_to_unit_float(image)[None])
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def _get_batch(self, indices):
        """The default-collated batch ``[images (B, 1, 28, 28) float32, targets (B,) int64]`` at once."""
        if self.transform is not None or self.target_transform is not None:
            return None
        indices = numpy.asarray(indices, dtype=numpy.int64)
        return [Tensor._wrap(_to_unit_float(self.data.array[indices])[:, None]),
                Tensor._wrap(self.targets.array[indices])]

    def __repr__(self):
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}"]
        if self.root is not None:
            lines.append(f"    Root location: {self.root}")
        lines.append(f"    Split: {'Train' if self.train else 'Test'}")
        if self.transform is not None:
            lines.append(f"    StandardTransform\nTransform: {self.transform!r}")
        return "\n".join(lines)


def _to_unit_float(pixels):
    """uint8 pixels -> float32 in [0, 1] (torchvision's ``ToTensor`` divides by 255)."""
    values = pixels.astype(numpy.float32)
    values /= 255
    return values
