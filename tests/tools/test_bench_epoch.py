"""benchmarks/bench_epoch.py trains on MNIST in one process per library and prints the ratio."""
import os
import pathlib
import re
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

import bench_epoch  # noqa: E402


@pytest.mark.skipif(not any(bench_epoch.mnist_dir().glob("train-images-idx3-ubyte*")),
                    reason="no MNIST files in $MINIGRAD_MNIST_DIR or ../shared/data/mnist")
def test_a_few_steps_run_in_both_libraries_and_print_the_ratio():
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench_epoch.py"), "--pairs", "1",
                           "--limit", "3", "--threads", "1"], check=True, capture_output=True, text=True,
                          timeout=300, env=dict(os.environ))
    line = done.stdout.strip().splitlines()[-1]
    assert re.match(r"threads=1 +3 steps +minigrad +\d+\.\d\d s +torch +\d+\.\d\d s +wall \d+\.\d\dx", line), line


def test_a_file_that_is_not_idx_is_refused_by_name(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(b"\x00\x00\x08\x01" + bytes(8))
    with pytest.raises(ValueError, match="not an IDX file of 3-d unsigned bytes"):
        bench_epoch.read_idx(path, 3)
