"""Whole-object checkpoints (``save(model, f)``) with torch 2.6's safety model: ``load`` refuses
anything but tensors, containers and primitives unless told (``weights_only=False`` or an allowlist),
with torch's errors, and never runs code from the file while refusing."""
import collections
import io
import json
import os
import pickle
import zipfile

import numpy
import pytest
import torch

import minigrad
from minigrad import nn, optim, serialization
from minigrad.torch_alias import as_torch


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(3, 4)
        self.out = nn.Linear(4, 2)
        self.note = {"epochs": 3, "tags": {"a", "b"}}

    def forward(self, x):
        return self.out(self.hidden(x).tanh())


def saved(obj, **options):
    buffer = io.BytesIO()
    minigrad.save(obj, buffer, **options)
    buffer.seek(0)
    return buffer


def torch_saved(obj):
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    return buffer


def members(buffer):
    with zipfile.ZipFile(buffer) as archive:
        names = archive.namelist()
    buffer.seek(0)
    return names


def error_of(load):
    with pytest.raises(Exception) as caught:
        load()
    return type(caught.value), str(caught.value)


# ---- whole objects round trip ---------------------------------------------------------------

def test_whole_model_round_trip_with_weights_only_false():
    model = TwoLayer()
    model.eval()
    loaded = minigrad.load(saved(model), weights_only=False)
    assert type(loaded) is TwoLayer and loaded.training is False
    assert loaded.note == {"epochs": 3, "tags": {"a", "b"}}
    for (name, mine), (_, original) in zip(loaded.named_parameters(), model.named_parameters()):
        assert type(mine) is nn.Parameter and mine.requires_grad, name
        numpy.testing.assert_array_equal(mine.detach().numpy(), original.detach().numpy())
    x = minigrad.randn(5, 3)
    numpy.testing.assert_array_equal(loaded(x).detach().numpy(), model(x).detach().numpy())


def test_pickled_tensors_keep_sharing_parameters_dtypes_devices_and_sizes():
    weight = nn.Parameter(minigrad.randn(2, 3))
    view = weight.detach()
    obj = {"w": weight, "again": weight, "view": view, "grads": minigrad.ones(2, requires_grad=True),
           "dtype": minigrad.float64, "device": minigrad.device("cpu"), "size": minigrad.Size([2, 3]),
           "array": numpy.arange(4), "set": {1, 2}, "complex": 1 + 2j, "bytes": b"\x00\x01", "od": collections.OrderedDict(a=1)}
    buffer = saved(obj)
    assert "minigrad_checkpoint/data.pkl" in members(buffer)          # a set: not JSON, so pickled
    loaded = minigrad.load(buffer)                                    # weights_only: all of it allowed
    assert loaded["w"] is loaded["again"] and type(loaded["w"]) is nn.Parameter
    assert loaded["grads"].requires_grad and not loaded["view"].requires_grad
    loaded["view"].add_(1)                                            # shared storage, as saved
    numpy.testing.assert_array_equal(loaded["w"].detach().numpy(), weight.detach().numpy() + 1)
    assert loaded["dtype"] is minigrad.float64 and loaded["device"] == minigrad.device("cpu")
    assert type(loaded["size"]) is minigrad.Size and loaded["size"] == (2, 3)
    assert loaded["array"].tolist() == [0, 1, 2, 3] and loaded["set"] == {1, 2}
    assert loaded["complex"] == 1 + 2j and loaded["bytes"] == b"\x00\x01" and type(loaded["od"]) is collections.OrderedDict


def test_state_dicts_keep_the_json_format_and_load_whatever_weights_only_says():
    buffer = saved(TwoLayer().state_dict())
    assert "minigrad_checkpoint/data.pkl" not in members(buffer)
    with zipfile.ZipFile(buffer) as archive:
        assert json.loads(archive.read("minigrad_checkpoint/structure.json"))["version"] == 1
    buffer.seek(0)
    for weights_only in (None, True, False):
        buffer.seek(0)
        assert list(minigrad.load(buffer, weights_only=weights_only)) == ["hidden.weight", "hidden.bias",
                                                                          "out.weight", "out.bias"]


def test_optimizer_saved_whole_resumes():
    model = TwoLayer()
    optimizer = optim.Adam(model.parameters(), lr=0.1)
    model(minigrad.randn(4, 3)).sum().backward()
    optimizer.step()
    model_copy, optimizer_copy = minigrad.load(saved((model, optimizer)), weights_only=False)
    assert optimizer_copy.param_groups[0]["params"][0] is model_copy.hidden.weight
    for pair in ((model, optimizer), (model_copy, optimizer_copy)):
        pair[1].zero_grad()
        pair[0](minigrad.ones(4, 3)).sum().backward()
        pair[1].step()
    numpy.testing.assert_array_equal(model_copy.out.weight.detach().numpy(), model.out.weight.detach().numpy())


def test_torch_save_and_load_of_a_whole_model_under_the_alias(tmp_path):
    with as_torch():
        import torch as aliased
        model = aliased.nn.Sequential(aliased.nn.Linear(2, 3), aliased.nn.ReLU())
        aliased.save(model, tmp_path / "model.pt")
        loaded = aliased.load(tmp_path / "model.pt", weights_only=False)
    assert type(loaded) is nn.Sequential and type(loaded[0]) is nn.Linear


# ---- weights_only refusals: torch's errors --------------------------------------------------------

def test_default_load_refuses_a_model_with_torchs_message():
    ours = error_of(lambda: minigrad.load(saved(nn.Sequential(nn.Linear(2, 3)))))
    theirs = error_of(lambda: torch.load(torch_saved(torch.nn.Sequential(torch.nn.Linear(2, 3)))))
    assert ours[0] is theirs[0] is pickle.UnpicklingError
    assert ours[1].replace("minigrad.nn.", "torch.nn.") == theirs[1]
    assert "GLOBAL minigrad.nn.modules.container.Sequential was not an allowed global" in ours[1]


def test_safe_globals_context_and_add_safe_globals_allowlist_classes():
    buffer = saved(nn.Sequential(nn.Linear(2, 3), nn.Tanh()))
    allowed = [nn.Sequential, nn.Linear, nn.Tanh]
    with serialization.safe_globals(allowed):
        assert set(serialization.get_safe_globals()) == set(allowed)
        assert type(minigrad.load(buffer)[1]) is nn.Tanh
    assert serialization.get_safe_globals() == []
    buffer.seek(0)
    with pytest.raises(pickle.UnpicklingError):
        minigrad.load(buffer)
    buffer.seek(0)
    assert serialization.get_unsafe_globals_in_checkpoint(buffer) == [
        "minigrad.nn.modules.activation.Tanh", "minigrad.nn.modules.container.Sequential",
        "minigrad.nn.modules.linear.Linear"]
    buffer.seek(0)
    serialization.add_safe_globals([(nn.Sequential, "minigrad.nn.modules.container.Sequential"), nn.Linear, nn.Tanh])
    try:
        assert type(minigrad.load(buffer)) is nn.Sequential
    finally:
        serialization.clear_safe_globals()
    assert serialization.get_safe_globals() == []


def test_pickle_module_with_weights_only_is_torchs_error():
    ours = error_of(lambda: minigrad.load(saved({1, 2}), pickle_module=pickle, weights_only=True))
    theirs = error_of(lambda: torch.load(torch_saved({1, 2}), pickle_module=pickle, weights_only=True))
    assert ours == theirs == (RuntimeError, "Can not safely load weights when explicit pickle_module is specified")


# ---- hostile files: refused, and nothing runs -----------------------------------------------------

class Hostile:
    """Unpickling calls ``function(*arguments)``: what an attacker's checkpoint does."""

    def __init__(self, function, *arguments):
        self.function, self.arguments = function, arguments

    def __reduce__(self):
        return self.function, self.arguments


def hostile_cases(marker):
    command = f"touch {marker}"
    return {
        "os.system": (os.system, command),
        "exec": (exec, f"open({str(marker)!r}, 'w').close()"),
        "eval": (eval, f"open({str(marker)!r}, 'w')"),
        "open": (open, str(marker), "w"),
        "numpy.save": (numpy.save, str(marker), numpy.zeros(1)),
    }


@pytest.mark.parametrize("case", ["os.system", "exec", "eval", "open", "numpy.save"])
def test_hostile_reduce_is_refused_with_torchs_error_and_runs_nothing(tmp_path, case):
    marker = tmp_path / "pwned"
    function, *arguments = hostile_cases(marker)[case]
    payload = {"weights": minigrad.ones(2), "payload": Hostile(function, *arguments)}
    ours = error_of(lambda: minigrad.load(saved(payload)))
    torch_payload = {"weights": torch.ones(2), "payload": Hostile(function, *arguments)}
    theirs = error_of(lambda: torch.load(torch_saved(torch_payload)))
    assert ours == theirs
    assert ours[0] is pickle.UnpicklingError
    assert not marker.exists()
    with serialization.safe_globals([os.system]):          # a blocked module stays blocked
        if case == "os.system":
            assert "whose module posix is blocked" in error_of(lambda: minigrad.load(saved(payload)))[1]
    assert not marker.exists()


def archive_with_pickle(pickled, arrays=()):
    buffer = io.BytesIO()
    structure = {"format": "minigrad.checkpoint", "version": 2, "pickle": "minigrad_checkpoint/data.pkl",
                 "arrays": []}
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("minigrad_checkpoint/structure.json", json.dumps(structure))
        archive.writestr("minigrad_checkpoint/data.pkl", pickled)
    buffer.seek(0)
    return buffer


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_hand_written_hostile_pickles_of_any_protocol_are_refused(tmp_path, protocol):
    import subprocess
    marker = tmp_path / "pwned"
    pickled = pickle.dumps(Hostile(subprocess.call, ["touch", str(marker)]), protocol=protocol)
    kind, message = error_of(lambda: minigrad.load(archive_with_pickle(pickled)))
    assert kind is pickle.UnpicklingError and "GLOBAL subprocess.call was not an allowed global" in message
    assert not marker.exists()
    # and with weights_only=False the same file does run its code: the opt-in is real
    minigrad.load(archive_with_pickle(pickled), weights_only=False)
    assert marker.exists()


@pytest.mark.parametrize("pid", [("tensor", 5, False, False, 0), ("ndarray", -1), ("dtype", "__builtins__"),
                                 ("module", "os"), "tensor"])
def test_forged_persistent_ids_are_refused(pid):
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=2)
    pickler.persistent_id = lambda obj: pid if obj == "x" else None
    pickler.dump(["x"])
    kind, message = error_of(lambda: minigrad.load(archive_with_pickle(buffer.getvalue())))
    assert kind is pickle.UnpicklingError and "unsupported persistent id encountered" in message
