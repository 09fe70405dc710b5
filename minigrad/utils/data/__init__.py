"""``minigrad.utils.data``: torch's path to the data tools, which live in ``minigrad/data/``."""
from ...data.dataset import *  # noqa: F401,F403
from ...data.dataloader import *  # noqa: F401,F403
