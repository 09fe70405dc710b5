"""Tutorial-style PyTorch scripts (``tests/tutorials/``, written for this project) run unchanged on
minigrad: each runs with real torch (``python script.py``) and with ``python -m minigrad script.py``
from the same initial weights (``tutorial_utils.sync_weights``), and every printed number agrees
to float32 tolerance, every printed word exactly."""
import os
import pathlib
import subprocess
import sys

import pytest

TUTORIALS = pathlib.Path(__file__).resolve().parent
SCRIPTS = sorted(path.name for path in TUTORIALS.glob("*.py") if path.name != "tutorial_utils.py" and not path.name.startswith("test_"))
REPO = TUTORIALS.parent.parent


def run(command, weights):
    environment = dict(os.environ, TUTORIAL_WEIGHTS=str(weights), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                       PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=TUTORIALS, timeout=300)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stderr[-3000:]}"
    return result.stdout


def as_number(token):
    try:
        return float(token.strip("(),"))
    except ValueError:
        return None


def assert_same_output(ours, theirs, rtol=2e-4, atol=2e-5):
    our_lines, their_lines = ours.splitlines(), theirs.splitlines()
    assert len(our_lines) == len(their_lines), f"minigrad printed\n{ours}\ntorch printed\n{theirs}"
    for number, (our_line, their_line) in enumerate(zip(our_lines, their_lines)):
        our_tokens, their_tokens = our_line.split(), their_line.split()
        assert len(our_tokens) == len(their_tokens), f"line {number}: {our_line!r} vs {their_line!r}"
        for mine, reference in zip(our_tokens, their_tokens):
            a, b = as_number(mine), as_number(reference)
            if a is None or b is None:
                assert mine == reference, f"line {number}: {our_line!r} vs {their_line!r}"
            else:
                assert abs(a - b) <= atol + rtol * abs(b), f"line {number}: {our_line!r} vs {their_line!r}"


def test_there_are_tutorial_scripts():
    assert {"names_rnn.py", "seq2seq_attention.py", "lstm_pos_tagger.py", "cbow_embeddings.py", "transformer_lm.py",
            "lstm_cells_lbfgs.py", "polynomial_fit.py", "bilstm_crf.py", "chatbot_packed.py", "char_name_generation.py",
            "polynomial_custom_function.py"} <= set(SCRIPTS)


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS)
def test_tutorial_runs_unchanged_and_prints_torchs_numbers(script, tmp_path):
    theirs = run([sys.executable, script], tmp_path)                      # writes the initial weights
    assert list(tmp_path.glob("*.npz")), "the script never called sync_weights"
    ours = run([sys.executable, "-m", "minigrad", script], tmp_path)       # reads them
    assert ours.strip(), "minigrad printed nothing"
    assert_same_output(ours, theirs)


def test_the_comparison_notices_a_different_number():
    with pytest.raises(AssertionError):
        assert_same_output("epoch 1 loss 1.23456", "epoch 1 loss 1.23556")
    with pytest.raises(AssertionError):
        assert_same_output("tags: NN V", "tags: NN NN")
    assert_same_output("loss 1.000001", "loss 1.000000")
