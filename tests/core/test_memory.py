"""``import minigrad`` keeps freed memory for reuse on glibc (minigrad/memory.py says why)."""
import os
import platform
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# 16 MB written and freed: does the process keep it (resident), or give it back?
KEPT_AFTER_FREE = """
import os, numpy, minigrad
def resident():
    return int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
before = resident()
block = numpy.ones(2 * 2 ** 20)
del block
print((resident() - before) // 2 ** 20)
"""


def megabytes_kept(**environment):
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("MALLOC_") and name != "MINIGRAD_MALLOC_TUNING"}
    env.update(environment, PYTHONPATH=REPO)
    result = subprocess.run([sys.executable, "-c", KEPT_AFTER_FREE], capture_output=True, text=True,
                            env=env, timeout=120, check=True)
    return int(result.stdout)


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="the allocator is tuned on glibc only")
def test_freed_blocks_are_kept_unless_switched_off():
    assert megabytes_kept() >= 15                                   # kept for the next step
    assert megabytes_kept(MINIGRAD_MALLOC_TUNING="0") <= 1          # glibc's default: unmapped
    assert megabytes_kept(MALLOC_TRIM_THRESHOLD_="131072") <= 1     # the user's own setting wins


def test_a_bad_tuning_switch_names_the_variable():
    env = dict(os.environ, PYTHONPATH=REPO, MINIGRAD_MALLOC_TUNING="yes")
    result = subprocess.run([sys.executable, "-c", "import minigrad"], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode != 0
    assert "MINIGRAD_MALLOC_TUNING must be 0 or 1, got 'yes'" in result.stderr


def test_a_graph_leaves_few_objects_for_the_garbage_collector():
    """Python's cyclic collector scans every tracked object a live graph holds, again at every
    collection while the graph lives: a chain of small ops once spent half its forward time there,
    at about ten objects an op.  The graph has no cycles (reference counting frees it), so what it
    holds for the collector should stay few: the node, its edges and what it saved."""
    import gc
    import minigrad
    x = minigrad.ones(16, requires_grad=True)
    gc.collect()
    before = len(gc.get_objects())
    y = x
    for _ in range(100):
        y = (y * 0.999 + 0.001).tanh()       # 300 ops, each with one node
    per_op = (len(gc.get_objects()) - before) / 300
    assert per_op <= 5, f"{per_op:.1f} tracked objects per op"
    y.sum().backward()
    assert x.grad is not None
