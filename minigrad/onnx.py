"""``minigrad.onnx``: importable, as ``torch.onnx``, so scripts that import it run; export is not there."""
from __future__ import annotations

__all__ = ["export", "is_in_onnx_export"]


def export(model, args=(), f=None, **kwargs):
    """Not implemented: minigrad records no graph that could be written as ONNX."""
    raise NotImplementedError("minigrad.onnx.export: minigrad cannot export to ONNX (it has no tracer or "
                              "graph compiler); copy the weights into the same model built with torch "
                              "(minigrad.interop.to_torch(model.state_dict())) and call torch.onnx.export")


def is_in_onnx_export() -> bool:
    return False
