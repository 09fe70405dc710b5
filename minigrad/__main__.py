"""``python -m minigrad SCRIPT [ARGS...]``: run a PyTorch script on minigrad, unchanged.

Every ``import torch``, ``import torch.X`` and ``from torch.X import Y`` in the
script (and in what it imports) resolves to minigrad (``minigrad/torch_alias.py``).
The script sees ``sys.argv == [SCRIPT, ARGS...]``, runs as ``__main__`` with its
directory first on ``sys.path``, as ``python SCRIPT`` would do, and its exit
code is the command's.
"""
import os
import runpy
import sys

from .torch_alias import install_as_torch

USAGE = "usage: python -m minigrad SCRIPT [ARGS...]\n  run a PyTorch script with `torch` resolved to minigrad"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr if not argv else sys.stdout)
        return 2 if not argv else 0
    script = argv[0]
    if not os.path.exists(script):
        print(f"python -m minigrad: can't open file {script!r}: [Errno 2] No such file or directory",
              file=sys.stderr)
        return 2
    sys.argv = list(argv)
    sys.path[0] = os.path.dirname(os.path.abspath(script))   # as `python SCRIPT` sets it
    install_as_torch()
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
