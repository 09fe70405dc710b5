"""``minigrad.data``: datasets, the DataLoader and MNIST (also at ``minigrad.utils.data``)."""
from .dataset import *  # noqa: F401,F403
from .dataloader import *  # noqa: F401,F403
from .mnist import *  # noqa: F401,F403
