"""``minigrad.nn.functional`` (``F``): the layers as functions, as ``torch.nn.functional``.

Each family lives in its own file under ``nn/_functional/``.
"""
from ._functional.activation import *  # noqa: F401,F403
from ._functional.linear import *  # noqa: F401,F403
from ._functional.sparse import *  # noqa: F401,F403
from ._functional.dropout import *  # noqa: F401,F403
from ._functional.normalization import *  # noqa: F401,F403
from ._functional.padding import *  # noqa: F401,F403
from ._functional.loss import *  # noqa: F401,F403
from ._functional.attention import *  # noqa: F401,F403
from ._functional.distance import *  # noqa: F401,F403
from ._functional.batchnorm import *  # noqa: F401,F403
from ._functional.conv import *  # noqa: F401,F403
from ._functional.pooling import *  # noqa: F401,F403
from ._functional.fold import *  # noqa: F401,F403
from ._functional.instancenorm import *  # noqa: F401,F403
from ._functional.upsampling import *  # noqa: F401,F403
from ._functional.gating import *  # noqa: F401,F403
