"""benchmarks/bench_core.py runs minigrad, torch and the NumPy floor each in its own process."""
import pathlib
import re
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

import bench_core  # noqa: E402


def test_the_numpy_floor_computes_what_torch_computes():
    bench_core.check_same_results("cpu")     # (raises on the first disagreement)


def test_one_round_prints_three_contenders_and_their_ratios():
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench_core.py"), "--rounds", "1",
                           "--seconds", "0.05"], check=True, capture_output=True, text=True, timeout=300)
    lines = done.stdout.splitlines()
    for unit in ("ms", "us/op"):
        rows = [line.split() for line in lines if line.split()[-1:] != [] and f" {unit}" in line]
        assert [row[0] for row in rows] == ["minigrad", "torch", "numpy"], done.stdout
        assert all(float(row[1]) > 0 for row in rows)
    ratios = re.findall(r"(minigrad|numpy) / torch (\d+\.\d\d)x \((\d+\.\d\d)-(\d+\.\d\d)\)", done.stdout)
    assert len(ratios) == 4 and all(float(ratio) > 0 for _, ratio, _, _ in ratios)
