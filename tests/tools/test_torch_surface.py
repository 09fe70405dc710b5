"""The parts of torch's surface that scripts touch besides the maths: module paths, default device,
``utils.data`` submodules, ``jit``, ``accelerator``, ``onnx``, ``backends.cudnn`` / ``mps``."""
import importlib
import inspect
import warnings

import pytest
import torch

import minigrad
import minigrad.nn as mnn
from minigrad.torch_alias import as_torch


def minigrad_path(torch_path):
    return "minigrad" + torch_path[len("torch"):]


def module_classes():
    return [name for name, value in vars(mnn).items() if inspect.isclass(value) and issubclass(value, mnn.Module)]


@pytest.mark.parametrize("name", sorted(module_classes()))
def test_every_module_class_is_importable_from_torchs_module_path(name):
    ours = getattr(mnn, name)
    if name == "PositionalEncoding":        # a minigrad extra, not in torch
        assert not hasattr(torch.nn, name)
        return
    torch_module = getattr(torch.nn, name).__module__
    assert getattr(importlib.import_module(minigrad_path(torch_module)), name) is ours, torch_module


def test_module_class_walk_covers_the_layers():
    names = set(module_classes())
    assert {"MultiheadAttention", "LSTM", "Embedding", "CrossEntropyLoss", "TransformerEncoderLayer", "Sequential",
            "Dropout", "LayerNorm", "BatchNorm1d", "Conv1d", "MaxPool1d", "Flatten", "GLU"} <= names
    assert len(names) > 60


@pytest.mark.parametrize("torch_path, name", [
    ("torch.nn.modules.activation", "MultiheadAttention"), ("torch.nn.modules.rnn", "LSTM"),
    ("torch.nn.modules.sparse", "Embedding"), ("torch.nn.modules.loss", "CrossEntropyLoss"),
    ("torch.nn.modules.transformer", "TransformerEncoderLayer"), ("torch.nn.modules.container", "Sequential"),
    ("torch.nn.modules.dropout", "Dropout1d"), ("torch.nn.modules.module", "Module"),
    ("torch.nn.parameter", "Parameter"), ("torch.nn.utils.rnn", "PackedSequence"),
])
def test_named_paths_exist_in_both(torch_path, name):
    assert getattr(importlib.import_module(torch_path), name) is getattr(torch.nn, name, None) or \
        hasattr(importlib.import_module(torch_path), name)
    assert hasattr(importlib.import_module(minigrad_path(torch_path)), name)


def test_non_dynamically_quantizable_linear_is_the_attention_output_projection():
    from minigrad.nn.modules.linear import NonDynamicallyQuantizableLinear
    from torch.nn.modules.linear import NonDynamicallyQuantizableLinear as TorchNDQL
    assert issubclass(NonDynamicallyQuantizableLinear, mnn.Linear) and issubclass(TorchNDQL, torch.nn.Linear)
    assert type(mnn.MultiheadAttention(8, 2).out_proj) is NonDynamicallyQuantizableLinear
    assert type(torch.nn.MultiheadAttention(8, 2).out_proj) is TorchNDQL
    assert hasattr(mnn, "NonDynamicallyQuantizableLinear") == hasattr(torch.nn, "NonDynamicallyQuantizableLinear")


# ---- default device ------------------------------------------------------------------

@pytest.fixture
def restore_default_device():
    yield
    minigrad.set_default_device(None)
    torch.set_default_device(None)


def test_default_device_starts_at_cpu_and_none_resets_it(restore_default_device):
    assert repr(minigrad.get_default_device()) == repr(torch.get_default_device()) == "device(type='cpu')"
    minigrad.set_default_device("cpu")
    torch.set_default_device("cpu")
    assert repr(minigrad.get_default_device()) == repr(torch.get_default_device())
    minigrad.set_default_device(None)
    assert minigrad.get_default_device() == "cpu"


def test_factories_follow_the_default_device(restore_default_device):
    minigrad.set_default_device("cuda")
    assert repr(minigrad.get_default_device()) == "device(type='cuda', index=0)"
    if not minigrad.cuda.is_available():
        # with no GPU every factory without device= now fails, as torch's do; explicit device= still works
        for make in (lambda: minigrad.zeros(2), lambda: minigrad.randn(2), lambda: minigrad.tensor([1.0]),
                     lambda: minigrad.arange(3), lambda: mnn.Linear(2, 3)):
            with pytest.raises(Exception):
                make()
        assert minigrad.zeros(2, device="cpu").device == "cpu"
    minigrad.set_default_device(None)
    assert minigrad.tensor([1.0]).device == "cpu" and mnn.Linear(2, 3).weight.device == "cpu"


@pytest.mark.cuda
def test_default_cuda_device_puts_tensors_and_parameters_on_the_gpu(restore_default_device):
    minigrad.set_default_device("cuda")
    assert minigrad.zeros(2).is_cuda and minigrad.randn(3).is_cuda and minigrad.tensor([1.0]).is_cuda
    assert mnn.Linear(2, 3).weight.is_cuda and minigrad.arange(4).is_cuda
    assert not minigrad.from_numpy(minigrad.zeros(2, device="cpu").numpy()).is_cuda


# ---- utils.data submodules ---------------------------------------------------------

@pytest.mark.parametrize("submodule", ["dataset", "dataloader", "sampler"])
def test_utils_data_submodules_at_torchs_paths(submodule):
    ours = importlib.import_module(f"minigrad.utils.data.{submodule}")
    theirs = importlib.import_module(f"torch.utils.data.{submodule}")
    assert getattr(minigrad.utils.data, submodule) is ours
    for name in ours.__all__:
        assert hasattr(theirs, name), name                   # the same names live at the same paths
        assert getattr(ours, name) is getattr(minigrad.data, name, getattr(ours, name))


def test_from_utils_data_import_dataset_under_the_alias():
    with as_torch():
        from torch.utils.data import dataset, sampler  # noqa: F401
        import torch.utils.data.dataloader as dataloader
        assert dataset.Dataset is minigrad.data.Dataset and sampler.RandomSampler is minigrad.data.RandomSampler
        assert dataloader.DataLoader is minigrad.utils.data.DataLoader


# ---- jit, onnx, accelerator, backends ------------------------------------------------------

def test_jit_script_and_trace_return_their_argument_and_warn_once(monkeypatch):
    monkeypatch.setattr(minigrad.jit, "_warned", False)
    model = mnn.Linear(2, 2)
    with pytest.warns(UserWarning, match="jit.script returns its argument unchanged"):
        assert minigrad.jit.script(model) is model
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert minigrad.jit.trace(model, minigrad.randn(1, 2)) is model

        def f(x):
            return x * 2
        assert minigrad.jit.script(f) is f and minigrad.jit.ignore(f) is f and minigrad.jit.ignore()(f) is f
    assert minigrad.jit.is_scripting() is torch.jit.is_scripting() is False
    with pytest.raises(NotImplementedError, match="no TorchScript"):
        minigrad.jit.save(model, "model.pt")
    with as_torch():
        from torch.jit import script, trace  # noqa: F401
        assert script is minigrad.jit.script


def test_compile_returns_the_model_and_works_as_a_decorator(monkeypatch):
    monkeypatch.setattr(minigrad.jit, "_warned", False)
    model = mnn.Linear(2, 2)
    with pytest.warns(UserWarning, match=r"minigrad.compile returns its argument unchanged"):
        assert minigrad.compile(model) is model

    @minigrad.compile(mode="reduce-overhead")
    def double(x):
        return x * 2
    assert double(minigrad.ones(2)).tolist() == [2.0, 2.0]
    assert minigrad.compile(double, disable=True) is double


def test_onnx_is_importable_and_export_says_why_not():
    with as_torch():
        import torch.onnx as onnx
        assert onnx is minigrad.onnx
    with pytest.raises(NotImplementedError, match="cannot export to ONNX"):
        minigrad.onnx.export(mnn.Linear(2, 2), (minigrad.randn(1, 2),), "model.onnx")


def test_accelerator_reports_like_torch_here():
    if minigrad.cuda.is_available() or torch.accelerator.is_available():
        pytest.skip("compares the no-accelerator answers")
    assert minigrad.accelerator.is_available() is torch.accelerator.is_available() is False
    assert minigrad.accelerator.current_accelerator() is torch.accelerator.current_accelerator() is None
    assert minigrad.accelerator.device_count() == torch.accelerator.device_count() == 0
    with pytest.raises(RuntimeError) as theirs:
        torch.accelerator.current_device_index()
    with pytest.raises(RuntimeError, match=str(theirs.value)):
        minigrad.accelerator.current_device_index()


@pytest.mark.cuda
def test_accelerator_is_cuda_through_cupy():
    assert minigrad.accelerator.is_available()
    assert repr(minigrad.accelerator.current_accelerator()) == "device(type='cuda', index=0)"
    assert minigrad.accelerator.current_accelerator().type == "cuda"


def test_cudnn_flags_have_torchs_defaults_and_flags_restores_them():
    import torch.backends.cudnn as torch_cudnn
    cudnn = minigrad.backends.cudnn
    for flag in ("enabled", "benchmark", "deterministic", "allow_tf32"):
        assert getattr(cudnn, flag) == getattr(torch_cudnn, flag), flag
    with cudnn.flags(enabled=False, deterministic=True):
        assert not cudnn.enabled and cudnn.deterministic
    assert cudnn.enabled and not cudnn.deterministic
    cudnn.benchmark = True
    cudnn.benchmark = False
    assert minigrad.backends.mps.is_available() is torch.backends.mps.is_available() is False
    with as_torch():
        import torch.backends.cudnn as aliased
        assert aliased is cudnn and aliased.__name__ == "minigrad.backends.cudnn"


# ---- finfo / iinfo -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo_matches_torch(name):
    ours, theirs = minigrad.finfo(getattr(minigrad, name)), torch.finfo(getattr(torch, name))
    for attribute in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, attribute) == getattr(theirs, attribute), attribute
        assert type(getattr(ours, attribute)) is type(getattr(theirs, attribute)), attribute
    assert repr(ours) == repr(theirs)
    assert ours == minigrad.finfo(getattr(minigrad, name))


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_matches_torch(name):
    ours, theirs = minigrad.iinfo(getattr(minigrad, name)), torch.iinfo(getattr(torch, name))
    assert (ours.bits, ours.max, ours.min, ours.dtype) == (theirs.bits, theirs.max, theirs.min, theirs.dtype)
    assert repr(ours) == repr(theirs)


def test_finfo_default_and_errors_match_torch():
    assert repr(minigrad.finfo()) == repr(torch.finfo())
    for make in (lambda lib: lib.finfo(lib.int64), lambda lib: lib.iinfo(lib.float32), lambda lib: lib.iinfo(lib.bool)):
        with pytest.raises(TypeError) as ours:
            make(minigrad)
        with pytest.raises(TypeError) as theirs:
            make(torch)
        assert str(ours.value) == str(theirs.value)
