"""Every example runs in its fast mode and does what it says.

ohlol.py, the README's first command, runs as a user runs it (a subprocess);
the others run in-process through ``main(argv)``, which returns their numbers.
"""
import importlib.util
import math
import os
import pathlib
import subprocess
import sys

import pytest

from conftest import DEVICES

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
# every script in examples/ (the ones starting with _ are helpers)
NAMES = sorted(path.stem for path in EXAMPLES.glob("*.py") if not path.name.startswith("_"))


def load_example(name, monkeypatch):
    """Import examples/<name>.py as a module (its folder on sys.path, for _progress)."""
    monkeypatch.syspath_prepend(str(EXAMPLES))
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def has_matplotlib():
    return importlib.util.find_spec("matplotlib") is not None


def test_every_example_is_in_the_options_test():
    assert set(NAMES) >= {"ohlol", "rnn_shapes", "manual_rnn", "timeseries", "mnist_lstm",
                          "attention_blocks", "transformer_reverse"}


@pytest.mark.parametrize("name", NAMES)
def test_example_has_the_common_options(name, monkeypatch, capsys):
    module = load_example(name, monkeypatch)
    with pytest.raises(SystemExit) as exit:
        module.main(["--help"])
    assert exit.value.code == 0
    usage = capsys.readouterr().out
    for option in ("--device", "--seed", "--fast"):
        assert option in usage, f"{name} lacks {option}"


def test_ohlol_reaches_ohlol_all_three_ways():
    environment = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, str(EXAMPLES / "ohlol.py"), "--fast"], capture_output=True,
                            text=True, timeout=120, env=environment, cwd=REPO)
    assert result.returncode == 0, result.stderr
    finals = [line for line in result.stdout.splitlines() if "after 15 epochs" in line]
    assert len(finals) == 3, result.stdout
    assert all("'hello' -> 'ohlol'" in line for line in finals), result.stdout
    # every epoch prints its prediction
    assert sum(" hello -> " in line for line in result.stdout.splitlines()) == 3 * 15


@pytest.mark.parametrize("device", DEVICES)
def test_ohlol_in_process_returns_the_predictions(device, monkeypatch, capsys):
    results = load_example("ohlol", monkeypatch).main(["--quiet", "--device", device, "--seed", "1"])
    assert len(results) == 3
    for final, first_epoch in results.values():
        assert final == "ohlol" and first_epoch is not None and first_epoch <= 15


@pytest.mark.parametrize("device", DEVICES)
def test_rnn_shapes_tour(device, monkeypatch, capsys):
    shapes = load_example("rnn_shapes", monkeypatch).main(["--fast", "--device", device])
    assert len(shapes) == 12                      # 3 modules x 4 configurations
    assert shapes["LSTM", "stacked bidirectional"] == {"output": (4, 5, 6), "h_n": (4, 4, 3), "c_n": (4, 4, 3)}
    assert shapes["GRU", "bidirectional"] == {"output": (4, 5, 6), "h_n": (2, 4, 3)}
    assert shapes["RNN", "stacked"] == {"output": (4, 5, 3), "h_n": (2, 4, 3)}
    assert "all shape relations hold" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["--fast"], ["--unidirectional", "--layers", "3", "--seq-len", "2"],
                                  ["--layers", "1", "--batch", "1", "--seq-len", "1"]])
def test_manual_rnn_matches_nn_rnn(argv, monkeypatch, capsys):
    differences = load_example("manual_rnn", monkeypatch).main(argv)
    assert "grad input" in differences and any(name.endswith("_reverse") for name in differences) \
        == ("--unidirectional" not in argv)
    assert max(differences.values()) < 1e-12


def test_manual_rnn_catches_a_wrong_layer_order(monkeypatch, capsys):
    """Feeding layer k+1 from one direction only must fail the comparison (the check can fail)."""
    module = load_example("manual_rnn", monkeypatch)
    real = module.torch

    class ForwardOnlyCat:
        """minigrad, except that cat repeats the forward direction instead of appending the backward one."""
        def __getattr__(self, name):
            return getattr(real, name)

        @staticmethod
        def cat(tensors, dim):
            return real.cat([tensors[0]] * len(tensors), dim)

    monkeypatch.setattr(module, "torch", ForwardOnlyCat())    # only the example's own code sees it
    with pytest.raises(AssertionError, match="differs"):
        module.main(["--fast"])


def test_timeseries_learns_something(tmp_path, monkeypatch, capsys):
    plot = tmp_path / "forecast.png"
    errors = load_example("timeseries", monkeypatch).main(["--fast", "--plot", str(plot)])
    assert math.isfinite(errors["test_mse"])
    # a sine has variance 0.5: forecasting 0 scores about 0.51; two short epochs already do better
    assert errors["test_mse"] < 0.4
    assert plot.exists() == has_matplotlib()


def mnist_argv(mnist_dir, tmp_path, *extra):
    return ["--fast", "--data-dir", str(mnist_dir), "--checkpoint", str(tmp_path / "run.ckpt"),
            "--plot", str(tmp_path / "curves.png"), *extra]


def test_mnist_lstm_trains_saves_and_resumes(mnist_dir, tmp_path, monkeypatch, capsys):
    module = load_example("mnist_lstm", monkeypatch)
    history = module.main(mnist_argv(mnist_dir, tmp_path))
    assert len(history["test_accuracy"]) == 1 and math.isfinite(history["train_loss"][0])
    assert (tmp_path / "run.ckpt").exists()
    # one epoch is one point per curve: no plot, and the script says why
    assert not (tmp_path / "curves.png").exists()
    printed = capsys.readouterr().out
    assert "no curves: curves need two epochs or more" in printed
    # --fast says, before and after, that its accuracy is not the example's result
    assert printed.count("its accuracy means nothing") == 2
    resumed = module.main(mnist_argv(mnist_dir, tmp_path, "--resume", "--epochs", "2"))
    assert "resumed from" in capsys.readouterr().out
    assert len(resumed["test_accuracy"]) == 2
    assert resumed["train_loss"][0] == history["train_loss"][0]     # epoch 1 came from the checkpoint
    assert (tmp_path / "curves.png").exists() == has_matplotlib()


def test_mnist_lstm_resume_without_a_checkpoint_says_so(mnist_dir, tmp_path, monkeypatch):
    module = load_example("mnist_lstm", monkeypatch)
    with pytest.raises(SystemExit) as exit:
        module.main(mnist_argv(mnist_dir, tmp_path, "--resume"))
    assert f"--resume found no checkpoint at {tmp_path / 'run.ckpt'}" in str(exit.value.code)
    assert "Leave out --resume" in str(exit.value.code)


@pytest.mark.parametrize("folder_exists", [False, True])
def test_mnist_lstm_missing_data_names_the_scripts_option(folder_exists, tmp_path, monkeypatch):
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path / "cache"))      # an empty download cache
    data_dir = tmp_path / "mnist"
    if folder_exists:
        data_dir.mkdir()
    module = load_example("mnist_lstm", monkeypatch)
    with pytest.raises(SystemExit) as exit:
        module.main(["--fast", "--data-dir", str(data_dir), "--checkpoint", str(tmp_path / "x.ckpt")])
    message = str(exit.value.code)
    assert "--download" in message and "download=True" not in message
    assert str(tmp_path / "cache") in message            # where --download would put the files
    assert ("does not exist" in message) != folder_exists
    assert "train-images-idx3-ubyte" in message


def test_mnist_lstm_accuracy_axis_stays_within_0_and_100(monkeypatch):
    limits = load_example("mnist_lstm", monkeypatch).accuracy_limits
    assert limits([96.17, 98.05, 98.85]) == (95.67, 99.35)
    assert limits([99.6, 99.9])[1] == 100.0
    assert limits([0.2, 0.3])[0] == 0.0


@pytest.mark.parametrize("name", ["mnist_lstm", "timeseries"])
def test_examples_say_when_matplotlib_is_missing(name, mnist_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)              # import matplotlib fails
    module = load_example(name, monkeypatch)
    if name == "mnist_lstm":
        module.main(mnist_argv(mnist_dir, tmp_path, "--limit", "128", "--epochs", "2", "--hidden-size", "16"))
    else:
        module.main(["--fast", "--plot", str(tmp_path / "forecast.png")])
    assert "matplotlib is not installed (pip install -e '.[plot]'" in capsys.readouterr().out
    assert not list(tmp_path.glob("*.png"))


def test_mnist_lstm_resuming_a_finished_run_trains_nothing(mnist_dir, tmp_path, monkeypatch, capsys):
    module = load_example("mnist_lstm", monkeypatch)
    module.main(mnist_argv(mnist_dir, tmp_path, "--limit", "256"))
    history = module.main(mnist_argv(mnist_dir, tmp_path, "--limit", "256", "--resume"))
    assert len(history["test_accuracy"]) == 1


@pytest.mark.parametrize("variant", [["--model", "gru", "--bidirectional"], ["--model", "rnn"]])
def test_mnist_lstm_variants(variant, mnist_dir, tmp_path, monkeypatch, capsys):
    history = load_example("mnist_lstm", monkeypatch).main(
        mnist_argv(mnist_dir, tmp_path, "--limit", "256", "--hidden-size", "32", *variant))
    assert math.isfinite(history["test_loss"][0])
    assert variant[1].upper() in capsys.readouterr().out     # print(model) names the layer


def test_mnist_cnn_learns_saves_and_resumes(mnist_dir, tmp_path, monkeypatch, capsys):
    module = load_example("mnist_cnn", monkeypatch)
    history = module.main(mnist_argv(mnist_dir, tmp_path))
    # 8 batches of 64 already beat chance (10%) by far on the 512 test images
    assert len(history["test_accuracy"]) == 1 and history["test_accuracy"][0] > 30
    assert (tmp_path / "run.ckpt").exists()
    assert (tmp_path / "curves.png").exists() == has_matplotlib()
    output = capsys.readouterr().out
    assert "Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1))" in output and "MaxPool2d" in output
    resumed = module.main(mnist_argv(mnist_dir, tmp_path, "--resume", "--epochs", "2", "--limit", "256"))
    assert "resumed from" in capsys.readouterr().out
    assert len(resumed["test_accuracy"]) == 2
    assert resumed["train_loss"][0] == history["train_loss"][0]     # epoch 1 came from the checkpoint


def test_progress_without_tqdm_prints_plain_lines(monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(EXAMPLES))
    import _progress
    monkeypatch.setattr(_progress, "tqdm", None)
    bar = _progress.progress(range(3), desc="epoch 1")
    bar.every_seconds = 0.0
    bar.set_postfix(loss="0.5", refresh=False)
    assert list(bar) == [0, 1, 2]
    assert "epoch 1 3/3 loss=0.5" in capsys.readouterr().out


@pytest.mark.parametrize("device", DEVICES)
def test_attention_blocks_runs_on_the_device_it_is_given(device, monkeypatch, capsys):
    load_example("attention_blocks", monkeypatch).main(["--device", device, "--seed", "1"])
    printed = capsys.readouterr().out
    assert f"on minigrad, device {device}" in printed and "TransformerBlock: output (2, 5, 8)" in printed
