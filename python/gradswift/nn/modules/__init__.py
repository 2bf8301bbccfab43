"""The layers of ``gradswift.nn``: PyDyNet 1.1's names, and PyTorch's beyond them. Each file's
``__all__`` lists its layers."""
from . import activation, conv, dropout, linear, loss, module, norm, padding, pool, rnn, shape, transformer, upsampling
from .activation import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .module import *  # noqa: F401,F403
from .norm import *  # noqa: F401,F403
from .pool import *  # noqa: F401,F403
from .padding import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .transformer import *  # noqa: F401,F403
from .upsampling import *  # noqa: F401,F403

__all__ = [name for part in (module, activation, loss, linear, dropout, norm, rnn, conv, pool, shape, padding, transformer,
                              upsampling)
           for name in part.__all__]
