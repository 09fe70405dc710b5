"""Printing tensors in torch's format (being written)."""


def tensor_repr(tensor):
    return f"tensor({tensor.array!r})"
