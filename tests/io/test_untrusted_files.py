"""minigrad.load on hostile or broken files: memory bounded by the file, nesting bounded,
one clear error naming the file for every malformed checkpoint."""
import json
import tracemalloc
import zipfile
import zlib

import pytest

import minigrad
from minigrad import serialization

TENSOR = {"tensor": 0, "requires_grad": False, "parameter": False, "memo": 0}


def structure_for(shape, dtype="float64", obj=None):
    return {"format": "minigrad.checkpoint", "version": 1, "object": TENSOR if obj is None else obj,
            "arrays": [{"file": "minigrad_checkpoint/arrays/0", "dtype": dtype, "shape": shape, "device": "cpu"}]}


def write_bomb(path, megabytes):
    """A checkpoint whose one array member is ``megabytes`` MiB of zeros, deflated to a few hundred KiB."""
    size = megabytes << 20
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("minigrad_checkpoint/structure.json", json.dumps(structure_for([size // 8])))
        with archive.open("minigrad_checkpoint/arrays/0", "w", force_zip64=True) as member:
            chunk = bytes(1 << 20)
            for _ in range(megabytes):
                member.write(chunk)
    return path


def test_a_highly_compressed_member_is_refused_before_allocating(tmp_path):
    path = write_bomb(tmp_path / "bomb.pt", 200)
    assert path.stat().st_size < 1 << 20          # 200 MiB declared in well under 1 MiB
    tracemalloc.start()
    try:
        with pytest.raises(RuntimeError, match=r"bomb.pt' is not a readable minigrad checkpoint.*inflates from"):
            minigrad.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20


def test_a_moderately_compressed_member_still_loads(tmp_path):
    path = tmp_path / "deflated.pt"
    values = minigrad.arange(1000, dtype=minigrad.float64)
    minigrad.save({"x": values}, tmp_path / "stored.pt")
    with zipfile.ZipFile(tmp_path / "stored.pt") as source, \
            zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            target.writestr(name, source.read(name))
    assert minigrad.load(path)["x"].tolist() == values.tolist()


def test_a_deeply_nested_structure_is_a_clear_error_not_a_recursion_error(tmp_path):
    path = tmp_path / "deep.pt"
    nested = '{"list": [' * 100_000 + "1" + "]}" * 100_000
    text = '{"format": "minigrad.checkpoint", "version": 1, "arrays": [], "object": ' + nested + "}"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("minigrad_checkpoint/structure.json", text)
    with pytest.raises(RuntimeError, match=r"deep.pt' is not a readable minigrad checkpoint.*deeper than"):
        minigrad.load(path)


def test_nesting_within_the_limit_still_loads(tmp_path):
    value = [1.5]
    for _ in range(serialization.MAX_JSON_DEPTH // 3 - 2):
        value = {"a": value}
    minigrad.save(value, tmp_path / "ok.pt")
    assert minigrad.load(tmp_path / "ok.pt") == value


def test_an_unknown_compression_method_is_a_clear_error(tmp_path):
    path = tmp_path / "method.pt"
    minigrad.save({"x": minigrad.ones(3)}, path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
    for info in infos:                                     # method 99 in every local header ...
        data[info.header_offset + 8:info.header_offset + 10] = (99).to_bytes(2, "little")
    central = data.find(b"PK\x01\x02")
    while central != -1:                                   # ... and in the central directory
        data[central + 10:central + 12] = (99).to_bytes(2, "little")
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match=r"method.pt' is not a readable minigrad checkpoint.*compression"):
        minigrad.load(path)


@pytest.mark.parametrize("structure, member", [
    ({"format": "minigrad.checkpoint", "version": 1, "arrays": 5, "object": TENSOR}, None),
    ({"format": "minigrad.checkpoint", "version": "1", "arrays": [], "object": None}, None),
    ({"format": "minigrad.checkpoint", "version": 1, "arrays": [], "object": {"dict": 3}}, None),
    ({"format": "minigrad.checkpoint", "version": 1, "arrays": [], "object": {"dict": [[1]]}}, None),
    ({"format": "minigrad.checkpoint", "version": 1, "arrays": [], "object": {"dtype": "__class__"}}, None),
    ({"format": "minigrad.checkpoint", "version": 1, "arrays": [], "object": {"float": "1e999999x"}}, None),
    (structure_for([2 ** 62, 2 ** 62]), b"\0" * 16),           # a size product past 2**64
    (structure_for([-1]), b""),
    (structure_for(["a"]), b""),
    (structure_for([2], dtype="<f8"), b"\0" * 16),
    ([1, 2], None),
    ("text", None),
])
def test_malformed_structures_give_one_error_naming_the_file(tmp_path, structure, member):
    path = tmp_path / "bad.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("minigrad_checkpoint/structure.json", json.dumps(structure))
        if member is not None:
            archive.writestr("minigrad_checkpoint/arrays/0", member)
    with pytest.raises(RuntimeError, match=r"bad.pt' is not a readable minigrad checkpoint"):
        minigrad.load(path)


def test_a_corrupt_deflate_stream_is_a_clear_error(tmp_path):
    path = tmp_path / "stream.pt"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("minigrad_checkpoint/structure.json", json.dumps(structure_for([4])))
        archive.writestr("minigrad_checkpoint/arrays/0", bytes(range(32)))
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("minigrad_checkpoint/arrays/0")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start:start + info.compress_size] = b"\xff" * info.compress_size
    path.write_bytes(bytes(data))
    assert zlib  # the stream no longer inflates
    with pytest.raises(RuntimeError, match=r"stream.pt' is not a readable minigrad checkpoint"):
        minigrad.load(path)


def test_batchnorm_state_dict_without_num_batches_tracked_loads_strictly_as_torch():
    import torch
    outcomes = []
    for lib in (torch, minigrad):
        model = lib.nn.Sequential(lib.nn.BatchNorm1d(3), lib.nn.BatchNorm1d(3, track_running_stats=False))
        model[0].num_batches_tracked += 5
        plain = {key: value for key, value in model.state_dict().items() if "num_batches" not in key}
        keys = model.load_state_dict(plain)                     # no metadata: an old checkpoint
        with_metadata = model.state_dict()
        del with_metadata["0.num_batches_tracked"]               # version 2 metadata: really missing
        try:
            model.load_state_dict(with_metadata)
            error = None
        except RuntimeError as raised:
            error = str(raised)
        outcomes.append((tuple(keys.missing_keys), int(model[0].num_batches_tracked), error,
                         dict(model.state_dict()._metadata)))
    assert outcomes[1] == outcomes[0]
