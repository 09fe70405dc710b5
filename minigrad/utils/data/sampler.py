"""``minigrad.utils.data.sampler``: torch's path (``torch.utils.data.sampler``) to ``minigrad/data/sampler.py``."""
from ...data.sampler import *  # noqa: F401,F403
from ...data.sampler import __all__  # noqa: F401
