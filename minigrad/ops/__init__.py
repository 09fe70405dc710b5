"""The differentiable ops, one family per file (the second floor, on ``minigrad.core``).

Each op is a ``Function`` subclass (a forward and a backward on raw arrays) and
a public function with torch's name and signature that checks its arguments and
calls ``Op.apply``.  ``_methods.py`` binds them to ``Tensor`` as methods, once,
when this package is imported.
"""
from . import _methods  # noqa: F401  (binds the Tensor methods)
