"""``minigrad.utils.data``: torch's path to the data tools, which live in ``minigrad/data/``.

``MNIST`` is here too (torch keeps it in torchvision), so that
``from minigrad.utils.data import DataLoader, MNIST`` works as the README shows.
The submodules ``dataset``, ``dataloader`` and ``sampler`` are at torch's paths too
(``from torch.utils.data import dataset``, ``torch.utils.data.sampler.RandomSampler``).
"""
from ...data.dataset import *  # noqa: F401,F403
from ...data.dataloader import *  # noqa: F401,F403
from ...data.mnist import *  # noqa: F401,F403
from . import dataloader, dataset, sampler  # noqa: F401
