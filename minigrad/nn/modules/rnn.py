"""torch's path ``torch.nn.modules.rnn``: the recurrent modules live in ``minigrad/nn/recurrent/``."""
from ..recurrent.modules import *  # noqa: F401,F403
from ..recurrent.modules import __all__  # noqa: F401
