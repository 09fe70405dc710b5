"""The differentiable ops, one family per file.

Each op is a ``Function`` subclass (a forward and a backward on raw arrays) and
a public function with torch's name and signature that checks its arguments and
calls ``Op.apply``.  ``minigrad/_tensor_methods.py`` binds them to ``Tensor``.
"""
