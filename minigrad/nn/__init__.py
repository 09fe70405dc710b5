"""``minigrad.nn``: modules, parameters, initialisation and functional forms, as ``torch.nn``."""
from .parameter import *  # noqa: F401,F403
from .modules import *  # noqa: F401,F403
from . import functional, init, utils  # noqa: F401
