"""RNN, LSTM, GRU and their cells: engine layers with PyDyNet 1.1's constructors, attributes,
parameter names and outputs.

Each forward is one library call running fused sequence kernels. A layer's cells are
attributes named as PyDyNet names them (``gru_0``, ``rgru_0``...), so ``named_parameters()``
and ``state_dict()`` give PyDyNet's keys (``gru_0.Wx1``...); they share their parameters with
the layer. As in PyDyNet, with ``batch_first`` and a 3-D input, ``h_n`` (and ``c_n``) come out
as (batch, num_layers * D, hidden) while initial states are given as (num_layers * D, batch,
hidden), and a bidirectional network is two independent stacks (one over the reversed
sequence), so layers after the first take ``hidden_size`` inputs.
"""
from ctypes import c_int64, c_uint64

from ..._convert import dtype_code, int64_argument
from ..._lib import check, lib
from ...cuda import Device
from ...special import zeros
from ._engine import EngineModule, _ModuleHandle, engine_new
from .module import Module

__all__ = ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]

_NONLINEARITIES = {"tanh": 0, "relu": 1}


def _nonlinearity(layer, value):
    try:
        return _NONLINEARITIES[value]
    except (KeyError, TypeError):
        raise ValueError(f"{layer}: unknown nonlinearity {value!r}; expected 'tanh' or 'relu'") from None


def _states(layer, hx):
    """The (h, c) pair an LSTM or LSTMCell takes, as a list (empty for None)."""
    if hx is None:
        return []
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        raise TypeError(f"{layer}: hx must be a tuple (h, c) or None, got {type(hx).__name__}")
    return list(hx)


class _Cell(EngineModule):
    """Shared attributes and methods of the three cells."""

    def _setup(self, input_size, hidden_size, bias, device, dtype):
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.kwargs = {"device": Device(device), "dtype": dtype}
        self.has_bias = bool(bias)

    @classmethod
    def _of_layer(cls, layer, index, reverse, input_size, **settings):
        """The cell ``index`` of ``layer``'s forward or reverse stack, sharing its parameters."""
        cell = cls.__new__(cls)
        Module.__init__(cell)
        cell._setup(input_size, layer.hidden_size, layer.has_bias, None, layer.kwargs["dtype"])
        for name, value in settings.items():
            setattr(cell, name, value)
        out = c_uint64()
        check(lib.gs_recurrent_cell(layer._engine.handle, c_int64(index), reverse, out))
        cell._bind(_ModuleHandle(out.value))
        return cell

    def init_hidden(self, x):
        """The zero state PyDyNet starts from: (hidden_size,) or (batch, hidden_size)."""
        shape = (self.hidden_size,) if x.ndim == 1 else (x.shape[0], self.hidden_size)
        return zeros(shape, dtype=self.kwargs["dtype"])


class RNNCell(_Cell):
    """One Elman step ``h' = f(x @ Wx + h @ Wh + bias)``, f = tanh or relu.

    Parameters ``Wx`` (input_size, hidden_size), ``Wh`` (hidden_size, hidden_size), ``bias``
    (hidden_size,), all U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) as in PyDyNet.
    ``x`` is (batch, input_size) or (input_size,); ``h`` defaults to zeros.
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__()
        self._setup(input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity
        self._bind(engine_new(lib.gs_rnn_cell_new, int64_argument("RNNCell input_size", input_size),
                              int64_argument("RNNCell hidden_size", hidden_size), bool(bias),
                              _nonlinearity("RNNCell", nonlinearity), dtype_code(dtype)))

    def forward(self, x, h=None):
        return EngineModule.forward(self, *([x] if h is None else [x, h]))

    reset_paramters = _Cell.reset_parameters  # PyDyNet's spelling


class LSTMCell(_Cell):
    """One LSTM step, returning ``(h', c')``: gates ``[f, i, o, g] = x @ Wx + h @ Wh + bias``
    (PyDyNet's order), ``c' = σ(f) c + σ(i) tanh(g)``, ``h' = σ(o) tanh(c')``.

    Parameters ``Wx`` (input_size, 4 hidden_size), ``Wh`` (hidden_size, 4 hidden_size),
    ``bias`` (4 hidden_size,). ``hx`` is ``(h, c)`` or None for zeros.
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        self._setup(input_size, hidden_size, bias, device, dtype)
        self._bind(engine_new(lib.gs_lstm_cell_new, int64_argument("LSTMCell input_size", input_size),
                              int64_argument("LSTMCell hidden_size", hidden_size), bool(bias), dtype_code(dtype)))

    def forward(self, x, hx=None):
        return EngineModule.forward(self, x, *_states("LSTMCell", hx))

    reset_paramters = _Cell.reset_parameters  # PyDyNet's spelling


class GRUCell(_Cell):
    """One GRU step in PyDyNet's form: ``[z, r] = σ(x @ Wx1 + h @ Wh1 + bias1)``,
    ``n = tanh(x @ Wx2 + (r h) @ Wh2 + bias2)``, ``h' = (1 - z) h + z n``.

    Parameters ``Wx1`` (input_size, 2 hidden_size), ``Wh1`` (hidden_size, 2 hidden_size),
    ``Wx2`` (input_size, hidden_size), ``Wh2`` (hidden_size, hidden_size), ``bias1``, ``bias2``.
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        self._setup(input_size, hidden_size, bias, device, dtype)
        self._bind(engine_new(lib.gs_gru_cell_new, int64_argument("GRUCell input_size", input_size),
                              int64_argument("GRUCell hidden_size", hidden_size), bool(bias), dtype_code(dtype)))

    def forward(self, x, h=None):
        return EngineModule.forward(self, *([x] if h is None else [x, h]))


class _Layer(EngineModule):
    """Shared attributes and methods of RNN, LSTM and GRU."""

    def _setup(self, input_size, hidden_size, num_layers, bias, batch_first, bidirectional, device, dtype):
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.has_bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.bidirectional = bool(bidirectional)
        self.kwargs = {"device": Device(device), "dtype": dtype}

    def _sizes(self, name):
        return (int64_argument(f"{name} input_size", self.input_size), int64_argument(f"{name} hidden_size", self.hidden_size),
                int64_argument(f"{name} num_layers", self.num_layers))

    def _attach_cells(self, cell_class, prefix, list_name, **settings):
        """Sets the cells as attributes ``<prefix>_l`` / ``r<prefix>_l`` and the lists PyDyNet keeps."""
        for reverse in ([False, True] if self.bidirectional else [False]):
            cells = []
            for layer in range(self.num_layers):
                size = self.input_size if layer == 0 else self.hidden_size
                cell = cell_class._of_layer(self, layer, reverse, size, **settings)
                setattr(self, f"{'r' if reverse else ''}{prefix}_{layer}", cell)
                cells.append(cell)
            setattr(self, ("r" if reverse else "") + list_name, cells)

    def init_hidden(self, x):
        """The zero initial state PyDyNet uses: (L * D, hidden_size) or (L * D, batch, hidden_size),
        for ``x`` as the cells see it (time-major)."""
        d = 2 if self.bidirectional else 1
        if x.ndim == 2:
            return zeros((d * self.num_layers, self.hidden_size), dtype=self.kwargs["dtype"])
        return zeros((d * self.num_layers, x.shape[1], self.hidden_size), dtype=self.kwargs["dtype"])


class RNN(_Layer):
    """A stack of Elman RNN layers over a whole sequence; returns ``(output, h_n)``.

    ``x`` is (seq_len, batch, input_size) ((batch, seq_len, input_size) with ``batch_first``)
    or unbatched (seq_len, input_size); ``h`` (num_layers * D, batch, hidden_size) defaults to
    zeros. ``output`` holds the last layer's states (D * hidden_size features), ``h_n`` the
    final state of every layer and direction (forward layers first).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 bidirectional=False, device=None, dtype=None):
        super().__init__()
        self._setup(input_size, hidden_size, num_layers, bias, batch_first, bidirectional, device, dtype)
        self.nonlinearity = nonlinearity
        self._bind(engine_new(lib.gs_rnn_new, *self._sizes("RNN"), _nonlinearity("RNN", nonlinearity), bool(bias),
                              self.batch_first, self.bidirectional, dtype_code(dtype)))
        self._attach_cells(RNNCell, "rnn", "RNNCells", nonlinearity=nonlinearity)

    def forward(self, x, h=None):
        return EngineModule.forward(self, *([x] if h is None else [x, h]))


class LSTM(_Layer):
    """A stack of LSTM layers; returns ``(output, (h_n, c_n))``. ``hx`` is ``(h_0, c_0)``
    ((num_layers * D, batch, hidden_size) each) or None for zeros; otherwise as RNN."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, bidirectional=False,
                 device=None, dtype=None):
        super().__init__()
        self._setup(input_size, hidden_size, num_layers, bias, batch_first, bidirectional, device, dtype)
        self._bind(engine_new(lib.gs_lstm_new, *self._sizes("LSTM"), bool(bias), self.batch_first,
                              self.bidirectional, dtype_code(dtype)))
        self._attach_cells(LSTMCell, "lstm", "LSTMCells")

    def forward(self, x, hx=None):
        output, h_n, c_n = EngineModule.forward(self, x, *_states("LSTM", hx))
        return output, (h_n, c_n)


class GRU(_Layer):
    """A stack of GRU layers (PyDyNet's GRU cell); returns ``(output, h_n)``; as RNN otherwise."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, bidirectional=False,
                 device=None, dtype=None):
        super().__init__()
        self._setup(input_size, hidden_size, num_layers, bias, batch_first, bidirectional, device, dtype)
        self._bind(engine_new(lib.gs_gru_new, *self._sizes("GRU"), bool(bias), self.batch_first,
                              self.bidirectional, dtype_code(dtype)))
        self._attach_cells(GRUCell, "gru", "GRUCells")

    def forward(self, x, h=None):
        return EngineModule.forward(self, *([x] if h is None else [x, h]))
