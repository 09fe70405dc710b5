"""Found by the differential fuzzer's review: default_collate's number batches as torch, and the
IDX reader on headers whose sizes overflow or declare more than the file holds."""
import gzip

import numpy
import pytest
import torch.utils.data

import minigrad
from minigrad.data import mnist
from minigrad.utils.data import default_collate


@pytest.mark.parametrize("batch", [[1, 2.5], [2.5, 1], [True, 2], [1, True], [1, 2], [True, False], [1.5, 2.5],
                                   [(1, 2.5), (2, 3.5)], [{"a": 1}, {"a": 2.5}]])
def test_default_collate_of_python_numbers_matches_torch(batch):
    expected = torch.utils.data.default_collate(batch)
    assert repr(default_collate(batch)).replace("minigrad.", "torch.") == repr(expected)


def idx_bytes(shape, values=b""):
    return bytes([0, 0, 8, len(shape)]) + b"".join(size.to_bytes(4, "big") for size in shape) + values


def test_sizes_whose_product_overflows_int64_fail_the_size_check(tmp_path):
    # 2**32 - 1 cubed wraps around in int64 arithmetic; the check must use the true product
    path = tmp_path / "overflow-idx3-ubyte"
    path.write_bytes(idx_bytes([2 ** 32 - 1] * 3, b"\0" * 16))
    with pytest.raises(RuntimeError, match=r"overflow-idx3-ubyte: truncated IDX file: 32 bytes, but its header"):
        mnist.read_idx(path)


def test_a_gzip_header_declaring_far_more_than_the_file_is_refused(tmp_path):
    path = tmp_path / "bomb-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes([60000, 28, 28 * 200])))   # 9.4 GB declared, a few dozen bytes
    with pytest.raises(RuntimeError, match=r"bomb-idx3-ubyte.gz: its header \[60000, 28, 5600\] declares .* refused"):
        mnist.read_idx(path)


@pytest.mark.parametrize("gzipped", [False, True])
def test_a_well_formed_file_still_reads_and_a_long_one_is_refused(tmp_path, gzipped):
    values = numpy.arange(24, dtype=numpy.uint8)
    data = idx_bytes([2, 3, 4], values.tobytes())
    path = tmp_path / ("good-idx3-ubyte" + (".gz" if gzipped else ""))
    path.write_bytes(gzip.compress(data) if gzipped else data)
    array = mnist.read_idx(path)
    assert array.shape == (2, 3, 4) and array.tolist() == values.reshape(2, 3, 4).tolist()
    array[0, 0, 0] = 7    # writable
    path.write_bytes(gzip.compress(data + b"\0") if gzipped else data + b"\0")
    with pytest.raises(RuntimeError, match="too long IDX file"):
        mnist.read_idx(path)
    assert minigrad  # the package imports mnist through minigrad.data
