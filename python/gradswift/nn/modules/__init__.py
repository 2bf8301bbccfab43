"""The layers of ``gradswift.nn`` (PyDyNet 1.1's names)."""
from .module import Module, ModuleList, Sequential

__all__ = ["Module", "Sequential", "ModuleList"]
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell  # noqa: E402

__all__ += ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]
