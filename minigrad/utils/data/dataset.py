"""``minigrad.utils.data.dataset``: torch's path (``torch.utils.data.dataset``) to ``minigrad/data/dataset.py``."""
from ...data.dataset import *  # noqa: F401,F403
from ...data.dataset import __all__  # noqa: F401
