"""benchmarks/bench_processes.py runs each library in its own process and writes its table."""
import pathlib
import re
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_one_cell_runs_both_libraries_and_writes_the_markdown_row(tmp_path):
    table = tmp_path / "speed.md"
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench_processes.py"), "--only", "mlp",
                    "--pairs", "1", "--seconds", "0.05", "--threads", "1", "--markdown", str(table)],
                   check=True, capture_output=True, text=True, timeout=300)
    header, rule, row = table.read_text().splitlines()
    assert header.startswith("| work | threads | minigrad ms/step | torch ms/step")
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[:2] == ["mlp batch 64", "1"]
    assert float(cells[2]) > 0 and float(cells[3]) > 0
    assert re.fullmatch(r"\d+\.\d\dx \(\d+\.\d\d-\d+\.\d\d\)", cells[4])
