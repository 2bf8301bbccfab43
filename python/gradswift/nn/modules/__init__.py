"""The layers of ``gradswift.nn`` (PyDyNet 1.1's names)."""
from .module import Module, ModuleList, Sequential

__all__ = ["Module", "Sequential", "ModuleList"]
from .activation import LeakyReLU, ReLU, Sigmoid, Softmax, Tanh  # noqa: E402
__all__ += ["Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softmax"]
from .loss import CrossEntropyLoss, MSELoss, NLLLoss  # noqa: E402
__all__ += ["MSELoss", "NLLLoss", "CrossEntropyLoss"]

from .linear import Embedding, Linear  # noqa: E402
__all__ += ["Linear", "Embedding"]
from .dropout import Dropout  # noqa: E402
__all__ += ["Dropout"]
from .norm import BatchNorm1d, BatchNorm2d, LayerNorm, RMSNorm  # noqa: E402
__all__ += ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "RMSNorm"]
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell  # noqa: E402

__all__ += ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]
from .conv import Conv1d, Conv2d  # noqa: E402
from .pool import AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d  # noqa: E402

__all__ += ["Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d"]
