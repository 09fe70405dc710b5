"""``minigrad.utils.data.dataloader``: torch's path (``torch.utils.data.dataloader``) to ``minigrad/data/dataloader.py``."""
from ...data.dataloader import DataLoader, default_collate, default_convert  # noqa: F401
from ...data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler  # noqa: F401  (torch's has them)

__all__ = ["DataLoader", "default_collate", "default_convert"]
