"""``minigrad.utils.data``: torch's path to the data tools, which live in ``minigrad/data/``.

The submodules ``dataset``, ``dataloader`` and ``sampler`` are at torch's paths too
(``from torch.utils.data import dataset``, ``torch.utils.data.sampler.RandomSampler``).
"""
from ...data.dataset import *  # noqa: F401,F403
from ...data.dataloader import *  # noqa: F401,F403
from . import dataloader, dataset, sampler  # noqa: F401
