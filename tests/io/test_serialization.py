"""minigrad.save / minigrad.load (no pickle, atomic writes, clear errors) and torch interop."""
import collections
import io
import json
import math
import os
import pickle
import zipfile

import numpy
import pytest
import torch

import minigrad
from minigrad import nn, optim, serialization
from minigrad.interop import from_torch, load_torch, save_torch, to_torch


def make_model():
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))


def train(model, optimizer, steps, seed=0):
    rng = numpy.random.default_rng(seed)
    for _ in range(steps):
        inputs = minigrad.tensor(rng.standard_normal((5, 4)), dtype=minigrad.float32)
        targets = minigrad.tensor(rng.integers(0, 3, 5))
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(inputs), targets).backward()
        optimizer.step()


def assert_same_tensors(first, second):
    assert type(first) is type(second)
    if isinstance(first, dict):
        assert list(first) == list(second)
        for key in first:
            assert_same_tensors(first[key], second[key])
    elif isinstance(first, (list, tuple)):
        assert len(first) == len(second)
        for a, b in zip(first, second):
            assert_same_tensors(a, b)
    elif isinstance(first, minigrad.Tensor):
        assert first.dtype == second.dtype and first.shape == second.shape
        numpy.testing.assert_array_equal(first.detach().numpy(), second.detach().numpy())
    else:
        assert first == second or (isinstance(first, float) and math.isnan(first) and math.isnan(second))


# ---- round trips ---------------------------------------------------------------------

def test_model_and_optimizer_checkpoint_round_trip_resumes_training_exactly(tmp_path):
    model = make_model()
    optimizer = optim.Adam(model.parameters(), lr=0.01, amsgrad=True)
    scheduler = optim.lr_scheduler.MultiStepLR(optimizer, milestones=[2, 4], gamma=0.5)
    train(model, optimizer, 3)
    scheduler.step()
    path = tmp_path / "checkpoint.pt"
    minigrad.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                   "scheduler": scheduler.state_dict(), "epoch": 3}, path)

    checkpoint = minigrad.load(path)
    assert checkpoint["epoch"] == 3
    assert_same_tensors(checkpoint["model"], model.state_dict())
    assert_same_tensors(checkpoint["optimizer"], optimizer.state_dict())
    assert checkpoint["scheduler"] == scheduler.state_dict()
    assert isinstance(checkpoint["model"], collections.OrderedDict)
    assert sorted(checkpoint["optimizer"]["state"]) == [0, 1, 2, 3]      # int keys stay ints
    assert checkpoint["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)   # tuples stay tuples

    restored = make_model()
    restored_optimizer = optim.Adam(restored.parameters(), lr=0.01, amsgrad=True)
    restored_scheduler = optim.lr_scheduler.MultiStepLR(restored_optimizer, milestones=[2, 4], gamma=0.5)
    restored.load_state_dict(checkpoint["model"])
    restored_optimizer.load_state_dict(checkpoint["optimizer"])
    restored_scheduler.load_state_dict(checkpoint["scheduler"])
    for pair in ((model, optimizer, scheduler), (restored, restored_optimizer, restored_scheduler)):
        train(pair[0], pair[1], 4, seed=1)
        pair[2].step()
    assert_same_tensors(restored.state_dict(), model.state_dict())
    assert restored_scheduler.get_last_lr() == scheduler.get_last_lr()


def test_every_supported_value_round_trips():
    parameter = nn.Parameter(minigrad.randn(2, 3))
    shared = minigrad.arange(6)
    value = {
        "floats": minigrad.randn(3, 2, dtype=minigrad.float64),
        "half": minigrad.ones(4, dtype=minigrad.float16),
        "ints": [minigrad.tensor([1, 2], dtype=minigrad.int32), minigrad.tensor([7], dtype=minigrad.uint8)],
        "bools": minigrad.tensor([True, False]),
        "scalar": minigrad.tensor(3.5),
        "empty": minigrad.zeros(0, 4),
        "parameter": parameter,
        "grad": minigrad.ones(2, requires_grad=True),
        "numbers": (1, -2.5, float("inf"), float("-inf"), float("nan"), 10 ** 30, True, None),
        "text": "καλημέρα",
        "numpy": numpy.arange(4.0).reshape(2, 2),
        "numpy_scalar": numpy.float32(1.5),
        "nested": {1: {"a": [shared, shared]}, (2, "b"): [], 0.5: (), None: "none", False: 0},
        "dtype": minigrad.float16,
        "device": minigrad.device("cpu"),
        "counter": collections.Counter({3: 2, 5: 1}),
    }
    buffer = io.BytesIO()
    minigrad.save(value, buffer)
    buffer.seek(0)
    loaded = minigrad.load(buffer)
    assert list(loaded) == list(value)
    for key in ("floats", "half", "ints", "bools", "scalar", "empty"):
        assert_same_tensors(loaded[key], value[key])
    assert isinstance(loaded["parameter"], nn.Parameter) and loaded["parameter"].requires_grad
    assert_same_tensors(loaded["parameter"], parameter)
    assert loaded["grad"].requires_grad and not loaded["scalar"].requires_grad
    assert loaded["numbers"][:4] == (1, -2.5, float("inf"), float("-inf"))
    assert math.isnan(loaded["numbers"][4]) and loaded["numbers"][5:] == (10 ** 30, True, None)
    assert type(loaded["numbers"][6]) is bool
    assert loaded["text"] == "καλημέρα"
    assert isinstance(loaded["numpy"], numpy.ndarray)
    numpy.testing.assert_array_equal(loaded["numpy"], value["numpy"])
    assert loaded["numpy_scalar"] == 1.5
    assert loaded["nested"][(2, "b")] == [] and loaded["nested"][0.5] == ()
    assert loaded["nested"][None] == "none" and loaded["nested"][False] == 0
    first, second = loaded["nested"][1]["a"]
    assert first is second, "the same tensor saved twice loads as one object"
    assert loaded["dtype"] is minigrad.float16 and loaded["device"] == minigrad.device("cpu")
    assert loaded["counter"] == value["counter"] and isinstance(loaded["counter"], collections.Counter)


def test_tensors_sharing_an_array_share_it_after_loading(tmp_path):
    weight = nn.Parameter(minigrad.randn(3, 3))
    state = {"encoder.weight": weight.detach(), "decoder.weight": weight.detach()}   # tied weights
    minigrad.save(state, tmp_path / "tied.pt")
    loaded = minigrad.load(tmp_path / "tied.pt")
    assert loaded["encoder.weight"] is not loaded["decoder.weight"]
    assert loaded["encoder.weight"].array is loaded["decoder.weight"].array


def test_loaded_tensors_are_writable_and_independent_of_the_file(tmp_path):
    minigrad.save({"w": minigrad.zeros(3)}, tmp_path / "w.pt")
    loaded = minigrad.load(tmp_path / "w.pt")["w"]
    loaded.add_(1.0)
    assert minigrad.load(tmp_path / "w.pt")["w"].tolist() == [0.0, 0.0, 0.0]


def test_views_and_non_contiguous_tensors_are_saved_by_value(tmp_path):
    base = minigrad.arange(12.0).reshape(3, 4)
    minigrad.save({"t": base.t(), "row": base[1]}, tmp_path / "views.pt")
    loaded = minigrad.load(tmp_path / "views.pt")
    assert loaded["t"].tolist() == base.t().tolist()
    assert loaded["row"].tolist() == [4.0, 5.0, 6.0, 7.0]


def test_the_file_holds_json_and_raw_bytes_only(tmp_path):
    minigrad.save({"w": minigrad.tensor([1.0, 2.0]), "n": 3}, tmp_path / "plain.pt")
    with zipfile.ZipFile(tmp_path / "plain.pt") as archive:
        names = archive.namelist()
        structure = json.loads(archive.read("minigrad_checkpoint/structure.json"))
        raw = archive.read("minigrad_checkpoint/arrays/0")
    assert not any(name.endswith(".pkl") for name in names)
    assert structure["format"] == "minigrad.checkpoint"
    assert structure["arrays"][0]["dtype"] == "float32" and structure["arrays"][0]["shape"] == [2]
    assert numpy.frombuffer(raw, "<f4").tolist() == [1.0, 2.0]


def test_unpicklable_objects_raise_before_touching_the_file(tmp_path):
    """What JSON cannot hold is pickled (test_serialization_pickle.py); what pickle cannot hold
    (a lambda, as in torch) raises before the file is touched."""
    path = tmp_path / "keep.pt"
    minigrad.save({"w": minigrad.ones(2)}, path)
    before = path.read_bytes()
    with pytest.raises((pickle.PicklingError, AttributeError)):
        minigrad.save({"w": minigrad.ones(2), "bad": [1, lambda: 0]}, path)
    with pytest.raises((pickle.PicklingError, AttributeError)):
        minigrad.save(lambda: 0, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["keep.pt"]


# ---- atomic writes --------------------------------------------------------------------

def test_crash_mid_save_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    minigrad.save({"step": 1, "w": minigrad.ones(1000)}, path)
    original_write = serialization._write_archive

    def write_half_then_crash(handle, structure, arrays, pickled=None):
        original_write(handle, structure, arrays[:0])
        handle.write(b"partial array bytes")
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(serialization, "_write_archive", write_half_then_crash)
    with pytest.raises(KeyboardInterrupt):
        minigrad.save({"step": 2, "w": minigrad.zeros(1000)}, path)
    monkeypatch.undo()
    assert minigrad.load(path)["step"] == 1
    assert os.listdir(tmp_path) == ["model.pt"], "the temporary file is removed"


def test_save_replaces_by_rename_after_fsync(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (events.append(("replace", os.path.dirname(a))),
                                                      real_replace(a, b))[1])
    path = tmp_path / "sub.pt"
    minigrad.save([1, 2], path)
    assert events[0] == "fsync" and events[1] == ("replace", str(tmp_path))
    assert minigrad.load(path) == [1, 2]


def test_saved_file_gets_ordinary_permissions(tmp_path):
    path = tmp_path / "perm.pt"
    minigrad.save(1, path)
    plain = tmp_path / "plain"
    plain.write_bytes(b"")
    assert os.stat(path).st_mode & 0o777 == os.stat(plain).st_mode & 0o777


def test_save_and_load_with_file_objects_and_str_paths(tmp_path):
    with open(tmp_path / "f.pt", "wb") as handle:
        minigrad.save({"a": minigrad.ones(2)}, handle)
    with open(tmp_path / "f.pt", "rb") as handle:
        assert minigrad.load(handle)["a"].tolist() == [1.0, 1.0]
    minigrad.save(5, str(tmp_path / "g.pt"))
    assert minigrad.load(str(tmp_path / "g.pt")) == 5


# ---- damaged files ---------------------------------------------------------------------

def write_checkpoint(tmp_path):
    path = tmp_path / "ckpt.pt"
    minigrad.save({"w": minigrad.randn(64, 64), "b": minigrad.randn(64)}, path)
    return path


def test_truncated_file_gives_an_error_naming_it(tmp_path):
    path = write_checkpoint(tmp_path)
    data = path.read_bytes()
    for size in (len(data) // 2, len(data) - 10, 10, 0):
        path.write_bytes(data[:size])
        with pytest.raises(RuntimeError, match=r"ckpt.pt' is not a readable minigrad checkpoint"):
            minigrad.load(path)


def test_flipped_byte_in_the_array_data_is_caught(tmp_path):
    path = write_checkpoint(tmp_path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("minigrad_checkpoint/arrays/0")
    data[info.header_offset + 30 + len(info.filename) + len(info.extra) + 100] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match=r"ckpt.pt.*(CRC|corrupted)"):
        minigrad.load(path)


def test_garbage_and_foreign_files_give_clear_errors(tmp_path):
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(os.urandom(1000))
    with pytest.raises(RuntimeError, match="garbage.pt' is not a readable minigrad checkpoint"):
        minigrad.load(garbage)
    other_zip = tmp_path / "other.zip"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(RuntimeError, match="other.zip' is a ZIP archive but not a minigrad checkpoint"):
        minigrad.load(other_zip)
    torch_file = tmp_path / "torch.pt"
    torch.save({"w": torch.ones(2)}, torch_file)
    with pytest.raises(RuntimeError, match="written by torch.save.*load_torch"):
        minigrad.load(torch_file)
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        minigrad.load(tmp_path / "missing.pt")


def test_tampered_structure_cannot_do_more_than_fail(tmp_path):
    path = tmp_path / "evil.pt"
    evil = {"format": "minigrad.checkpoint", "version": 1, "arrays": [],
            "object": {"__reduce__": ["os.system", ["echo hacked"]]}}
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("minigrad_checkpoint/structure.json", json.dumps(evil))
    with pytest.raises(RuntimeError, match="not a readable minigrad checkpoint.*unknown entry"):
        minigrad.load(path)
    evil["object"] = {"tensor": 0, "requires_grad": False, "parameter": False, "memo": 0}
    evil["arrays"] = [{"file": "minigrad_checkpoint/arrays/0", "dtype": "object", "shape": [1], "device": "cpu"}]
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("minigrad_checkpoint/structure.json", json.dumps(evil))
        archive.writestr("minigrad_checkpoint/arrays/0", b"\0" * 8)
    with pytest.raises(RuntimeError, match="not a readable minigrad checkpoint"):
        minigrad.load(path)


def test_a_shape_that_disagrees_with_the_stored_bytes_is_refused_before_allocating(tmp_path):
    path = tmp_path / "huge.pt"
    structure = {"format": "minigrad.checkpoint", "version": 1,
                 "object": {"tensor": 0, "requires_grad": False, "parameter": False, "memo": 0},
                 "arrays": [{"file": "minigrad_checkpoint/arrays/0", "dtype": "float64",
                             "shape": [10 ** 6, 10 ** 6], "device": "cpu"}]}
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("minigrad_checkpoint/structure.json", json.dumps(structure))
        archive.writestr("minigrad_checkpoint/arrays/0", b"\0" * 16)
    with pytest.raises(RuntimeError, match=r"holds 16 bytes, but float64 \[1000000, 1000000\] needs"):
        minigrad.load(path)


def test_newer_format_version_is_refused(tmp_path):
    path = tmp_path / "future.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("minigrad_checkpoint/structure.json",
                         json.dumps({"format": "minigrad.checkpoint", "version": 99, "arrays": [], "object": 1}))
    with pytest.raises(RuntimeError, match="version 99 minigrad checkpoint"):
        minigrad.load(path)


# ---- map_location ------------------------------------------------------------------------

def relabel_as_cuda(path):
    """Rewrite a CPU checkpoint as if its tensors had been saved from cuda:0."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    structure = json.loads(members["minigrad_checkpoint/structure.json"])
    for record in structure["arrays"]:
        record["device"] = "cuda:0"
    members["minigrad_checkpoint/structure.json"] = json.dumps(structure).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def test_map_location_moves_tensors_saved_on_a_gpu_to_the_cpu(tmp_path):
    path = tmp_path / "gpu.pt"
    minigrad.save({"w": minigrad.ones(3)}, path)
    relabel_as_cuda(path)
    for location in ("cpu", minigrad.device("cpu"), {"cuda:0": "cpu"}, lambda storage, loc: storage):
        loaded = minigrad.load(path, map_location=location)
        assert loaded["w"].device == minigrad.device("cpu") and loaded["w"].tolist() == [1.0] * 3
    if not minigrad.cuda.is_available():
        with pytest.raises(RuntimeError, match="map_location='cpu'"):
            minigrad.load(path)


def test_weights_only_and_torch_arguments_are_accepted(tmp_path):
    minigrad.save([1], tmp_path / "a.pt", pickle_protocol=2)
    assert minigrad.load(tmp_path / "a.pt", weights_only=True) == [1]
    assert minigrad.load(tmp_path / "a.pt", weights_only=False, mmap=False) == [1]


@pytest.mark.cuda
def test_cuda_tensors_round_trip_to_their_device(tmp_path):
    minigrad.save({"w": minigrad.ones(3, device="cuda")}, tmp_path / "c.pt")
    assert minigrad.load(tmp_path / "c.pt")["w"].device == minigrad.device("cuda:0")
    assert minigrad.load(tmp_path / "c.pt", map_location="cpu")["w"].device == minigrad.device("cpu")


# ---- torch interop ------------------------------------------------------------------------

def torch_model():
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))


def test_torch_state_dict_round_trips_through_minigrad():
    theirs = torch_model()
    state = from_torch(theirs.state_dict())
    assert isinstance(state, collections.OrderedDict) and list(state) == list(theirs.state_dict())
    assert all(isinstance(value, minigrad.Tensor) for value in state.values())
    ours = make_model()
    ours.load_state_dict(state)
    inputs = numpy.random.default_rng(0).standard_normal((5, 4)).astype("float32")
    numpy.testing.assert_allclose(ours(minigrad.tensor(inputs)).detach().numpy(),
                                  theirs(torch.from_numpy(inputs)).detach().numpy(), rtol=1e-6, atol=1e-6)
    back = to_torch(ours.state_dict())
    fresh = torch_model()
    fresh.load_state_dict(back)
    for key, value in theirs.state_dict().items():
        assert torch.equal(fresh.state_dict()[key], value)
        assert back[key].dtype == value.dtype


def test_torch_checkpoint_with_optimizer_round_trips(tmp_path):
    model = torch_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for param in model.parameters():      # gradients by hand: torch's first backward is slow to start
        param.grad = torch.randn_like(param)
    optimizer.step()
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 7}, tmp_path / "t.pt")
    checkpoint = load_torch(tmp_path / "t.pt")
    assert checkpoint["epoch"] == 7
    assert checkpoint["optimizer"]["state"][0]["step"].dtype == minigrad.float32
    ours = make_model()
    our_optimizer = optim.Adam(ours.parameters(), lr=0.01)
    ours.load_state_dict(checkpoint["model"])
    our_optimizer.load_state_dict(checkpoint["optimizer"])
    minigrad.save(checkpoint, tmp_path / "m.pt")        # and through a minigrad checkpoint
    save_torch(minigrad.load(tmp_path / "m.pt"), tmp_path / "back.pt")
    back = torch.load(tmp_path / "back.pt", weights_only=True)
    fresh_optimizer = torch.optim.Adam(torch_model().parameters(), lr=0.01)
    fresh_optimizer.load_state_dict(back["optimizer"])
    for index, state in optimizer.state_dict()["state"].items():
        for key, value in state.items():
            assert torch.equal(back["optimizer"]["state"][index][key], value)
    assert back["optimizer"]["param_groups"] == optimizer.state_dict()["param_groups"]


def test_from_torch_keeps_parameters_dtypes_devices_and_plain_values():
    value = {"p": torch.nn.Parameter(torch.ones(2, dtype=torch.float64)), "i": torch.arange(3),
             "d": torch.float16, "dev": torch.device("cpu"), "list": [1, "x", None], "t": (torch.zeros(1),)}
    converted = from_torch(value)
    assert isinstance(converted["p"], nn.Parameter) and converted["p"].dtype == minigrad.float64
    assert converted["i"].dtype == minigrad.int64 and converted["d"] is minigrad.float16
    assert converted["dev"] == minigrad.device("cpu") and converted["list"] == [1, "x", None]
    assert isinstance(converted["t"], tuple)
    back = to_torch(converted)
    assert isinstance(back["p"], torch.nn.Parameter) and back["d"] is torch.float16
    assert back["i"].dtype == torch.int64 and not back["i"].requires_grad


def test_from_torch_copies_memory():
    source = torch.zeros(3)
    converted = from_torch(source)
    source += 1
    assert converted.tolist() == [0.0, 0.0, 0.0]


def test_from_torch_refuses_bfloat16_with_advice():
    with pytest.raises(TypeError, match=r"bfloat16.*\.float\(\)"):
        from_torch(torch.ones(2, dtype=torch.bfloat16))
