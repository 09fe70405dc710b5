"""Shared by the tutorial-style scripts: one hook that lets a test start two runs from the same weights.

The scripts are plain PyTorch code.  Run on torch and on minigrad (``python -m
minigrad script.py``) they draw different random initial weights, so
``sync_weights(model, name)`` does, when ``$TUTORIAL_WEIGHTS`` names a folder:
the first run (torch) writes the model's initial weights there as ``name.npz``
and the second (minigrad) reads them.  Without the variable it does nothing.
"""
import os

import numpy
import torch


def sync_weights(model, name):
    folder = os.environ.get("TUTORIAL_WEIGHTS")
    if not folder:
        return
    path = os.path.join(folder, f"{name}.npz")
    if os.path.exists(path):
        with numpy.load(path) as saved:
            model.load_state_dict({key: torch.from_numpy(saved[key]) for key in saved.files})
    else:
        numpy.savez(path, **{key: value.detach().numpy() for key, value in model.state_dict().items()})
