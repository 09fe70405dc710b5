"""``python -m minigrad SCRIPT`` and ``install_as_torch``: every ``torch`` import resolves to minigrad."""
import importlib
import subprocess
import sys
import textwrap

import pytest
import torch as real_torch

import minigrad
from minigrad.torch_alias import MissingTorchModule, as_torch, install_as_torch, is_installed, uninstall_as_torch


def run_script(tmp_path, source, *args):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source))
    return subprocess.run([sys.executable, "-m", "minigrad", str(script), *args], capture_output=True,
                          text=True, cwd=tmp_path, timeout=120)


def test_script_imports_resolve_to_minigrad_modules(tmp_path):
    result = run_script(tmp_path, """
        import sys
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        import torch.optim as optim
        from torch.utils.data import DataLoader, TensorDataset
        from torch.nn.utils.rnn import pack_padded_sequence
        import minigrad
        assert torch is minigrad and nn is minigrad.nn and F is minigrad.nn.functional
        assert optim is minigrad.optim and DataLoader is minigrad.utils.data.DataLoader
        assert pack_padded_sequence is minigrad.nn.utils.rnn.pack_padded_sequence
        assert sys.modules["torch.nn.functional"] is minigrad.nn.functional
        print(__name__, sys.argv[1:])
    """, "--epochs", "3", "x")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "__main__ ['--epochs', '3', 'x']"


def test_script_argv0_and_path_are_as_if_run_directly(tmp_path):
    (tmp_path / "helper_module.py").write_text("VALUE = 42\n")
    result = run_script(tmp_path, """
        import os, sys
        import helper_module                     # found beside the script, as `python script.py` does
        print(os.path.basename(sys.argv[0]), helper_module.VALUE)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["script.py", "42"]


@pytest.mark.parametrize("ending, code", [("sys.exit(7)", 7), ("sys.exit(0)", 0), ("raise KeyError('boom')", 1)])
def test_exit_code_is_the_scripts(tmp_path, ending, code):
    result = run_script(tmp_path, f"import sys\nimport torch\n{ending}\n")
    assert result.returncode == code
    if code == 1:
        assert "KeyError: 'boom'" in result.stderr


def test_usage_and_missing_script(tmp_path):
    result = subprocess.run([sys.executable, "-m", "minigrad"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "usage: python -m minigrad SCRIPT" in result.stderr
    result = subprocess.run([sys.executable, "-m", "minigrad", str(tmp_path / "nope.py")], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2 and "can't open file" in result.stderr


def test_missing_torch_module_is_named(tmp_path):
    result = run_script(tmp_path, """
        try:
            import torch.fft
        except ModuleNotFoundError as error:
            print(type(error).__name__, error.name, "|", error)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("MissingTorchModule torch.fft | minigrad has no torch.fft")


def test_context_manager_swaps_real_torch_out_and_back():
    assert not is_installed()
    with as_torch():
        import torch
        import torch.nn.functional as F
        assert torch is minigrad and F is minigrad.nn.functional
        assert importlib.import_module("torch.utils.data") is minigrad.utils.data
        with pytest.raises(MissingTorchModule, match=r"minigrad has no torch\.fft"):
            importlib.import_module("torch.fft")
    import torch
    assert torch is real_torch and sys.modules["torch.nn"] is real_torch.nn
    assert not is_installed()


def test_install_and_uninstall_from_python():
    minigrad.install_as_torch()
    try:
        minigrad.install_as_torch()               # twice is harmless
        assert importlib.import_module("torch.nn") is minigrad.nn
    finally:
        minigrad.uninstall_as_torch()
        minigrad.uninstall_as_torch()
    assert importlib.import_module("torch.nn") is real_torch.nn
    assert install_as_torch is minigrad.install_as_torch and uninstall_as_torch is minigrad.uninstall_as_torch


def test_aliased_modules_keep_their_own_spec():
    with as_torch():
        import torch.nn.functional  # noqa: F401
        import torch.backends.cudnn  # noqa: F401
    assert minigrad.nn.__spec__.name == "minigrad.nn" and minigrad.nn.functional.__spec__.name == "minigrad.nn.functional"
    assert minigrad.backends.cudnn.__spec__.name == "minigrad.backends.cudnn"
