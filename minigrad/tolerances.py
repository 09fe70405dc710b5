"""The one table of parity tolerances: ``(rtol, atol)`` per dtype name.

float64 exposes any wrong formula; float32 and float16 allow their rounding.
``minigrad.testing``, the divergence locator and the course's checker all read it.
"""
TOLERANCES = {"float64": (1e-9, 1e-10), "float32": (1e-5, 1e-5), "float16": (1e-2, 1e-2)}
