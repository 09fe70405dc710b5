"""Shared test setup: a fixed seed per test, the MNIST directory, GPU skips, one line about skips."""
import collections
import os
import pathlib
import sys

# One BLAS thread per test process: pytest -n auto already fills the cores, and
# oversubscribed BLAS threads made small matmuls 10x slower here.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy  # noqa: E402
import pytest  # noqa: E402

import torch  # noqa: E402

import minigrad  # noqa: E402

# Some torch error texts depend on its thread count (conv's dtype check takes the oneDNN
# path with several threads); minigrad gives the one-thread wording, so torch runs with one
# here whether or not something imported it before OMP_NUM_THREADS was set.
torch.set_num_threads(1)

REPO = pathlib.Path(__file__).resolve().parent.parent
# tests/ is laid out by floor (core/, ops/, nn/, ...); the private parity helpers
# (_op_parity, _nn_parity, _rnn_parity) sit in tests/ itself and are imported by name
sys.path.insert(0, str(REPO / "tests"))
# Tests read MNIST from the shared directory beside the checkout, never the network.
MNIST_DIR = pathlib.Path(os.environ.get("MINIGRAD_MNIST_DIR", REPO.parent / "shared" / "data" / "mnist"))


@pytest.fixture(autouse=True)
def _seed():
    minigrad.manual_seed(0)
    numpy.random.seed(0)
    try:
        import torch
        torch.manual_seed(0)
    except ImportError:  # pragma: no cover
        pass


@pytest.fixture
def mnist_dir():
    if not (MNIST_DIR / "train-images-idx3-ubyte.gz").exists() and \
            not (MNIST_DIR / "train-images-idx3-ubyte").exists():
        pytest.skip(f"MNIST files not found in {MNIST_DIR} (set MINIGRAD_MNIST_DIR)")
    return MNIST_DIR


def pytest_collection_modifyitems(config, items):
    if minigrad.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="no GPU with CuPy on this machine")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


# Parametrize a test over devices with `@pytest.mark.parametrize("device", DEVICES)`.
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.cuda)]


def pytest_terminal_summary(terminalreporter):
    """One line counting the skips by reason, instead of a line per skipped test (pytest's -rs)."""
    reasons = collections.Counter()
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reasons[reason.removeprefix("Skipped: ")] += 1
    if reasons:
        terminalreporter.write_line("skipped: " + "; ".join(f"{count} x {reason}"
                                                            for reason, count in reasons.most_common()))
