"""minigrad.set_num_threads / get_num_threads: NumPy's BLAS thread count, one by default (threads.py says why)."""
import os
import subprocess
import sys

import pytest
import torch

import minigrad

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "MINIGRAD_NUM_THREADS")

needs_blas = pytest.mark.skipif(minigrad.get_num_threads() is None,
                                reason="no OpenBLAS/MKL found in this process (an Accelerate NumPy?)")


def threads_after_import(**environment):
    """``minigrad.get_num_threads()`` in a fresh process with only ``environment``'s BLAS variables set."""
    env = {name: value for name, value in os.environ.items() if name not in BLAS_VARIABLES}
    env.update(environment, PYTHONPATH=REPO)
    result = subprocess.run([sys.executable, "-c", "import minigrad; print(minigrad.get_num_threads())"],
                            capture_output=True, text=True, env=env, timeout=120, check=True)
    return result.stdout.strip()


@needs_blas
def test_import_sets_one_thread_unless_the_user_chose():
    assert threads_after_import() == "1"
    assert threads_after_import(MINIGRAD_NUM_THREADS="2") == "2"
    assert threads_after_import(OPENBLAS_NUM_THREADS="2") == "2"     # the BLAS's own choice is kept


def test_a_bad_minigrad_num_threads_names_the_variable():
    env = {name: value for name, value in os.environ.items() if name not in BLAS_VARIABLES}
    result = subprocess.run([sys.executable, "-c", "import minigrad"], capture_output=True, text=True,
                            env=dict(env, PYTHONPATH=REPO, MINIGRAD_NUM_THREADS="two"), timeout=120)
    assert result.returncode != 0
    assert "MINIGRAD_NUM_THREADS must be a positive integer, got 'two'" in result.stderr


@needs_blas
def test_set_and_get_round_trip_and_leave_torch_alone():
    before, torch_before = minigrad.get_num_threads(), torch.get_num_threads()
    try:
        minigrad.set_num_threads(2)
        assert minigrad.get_num_threads() == 2
        minigrad.set_num_threads(1)
        assert minigrad.get_num_threads() == 1
        assert torch.get_num_threads() == torch_before
    finally:
        minigrad.set_num_threads(before)


@pytest.mark.parametrize("value", [0, -1, 1.5, "2", True])
def test_bad_thread_counts_get_torchs_errors(value):
    with pytest.raises(Exception) as theirs:
        torch.set_num_threads(value)
    with pytest.raises(type(theirs.value)) as ours:
        minigrad.set_num_threads(value)
    assert str(ours.value) == str(theirs.value)


def test_exported_from_the_package():
    assert minigrad.set_num_threads is minigrad.threads.set_num_threads
    assert minigrad.get_num_threads is minigrad.threads.get_num_threads
