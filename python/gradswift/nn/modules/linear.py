"""Linear and Embedding: engine layers with PyDyNet 1.1's constructors and attributes."""

from ..._convert import dtype_code, int64_argument
from ..._lib import lib
from ...cuda import Device
from ._engine import EngineModule, engine_new

__all__ = ["Linear", "Embedding"]

class Linear(EngineModule):
    """``y = x @ weight + bias`` with ``weight`` of shape (in_features, out_features) (PyDyNet's
    layout, the transpose of PyTorch's) and ``bias`` (out_features,) or None.

    Initialised as PyDyNet: Kaiming uniform weight (a = sqrt(5)), bias U(-1/sqrt(in), 1/sqrt(in)).
    ``dtype`` None means float64.
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        Device(device)
        self.in_features = in_features
        self.out_features = out_features
        self._bind(engine_new(lib.gs_linear_new, int64_argument("Linear in_features", in_features),
                              int64_argument("Linear out_features", out_features), bool(bias),
                              dtype_code(dtype)))
        if not bias:
            self.bias = None

    reset_paramters = EngineModule.reset_parameters  # PyDyNet 1.1's spelling


class Embedding(EngineModule):
    """A table ``weight`` of shape (num_embeddings, embedding_dim) looked up by int indices.

    As PyTorch (PyDyNet 1.1 leaves the table uninitialised): ``weight`` is N(0, 1) with the row
    ``padding_idx`` zeroed, and that row receives no gradient. A negative ``padding_idx`` counts
    from the end and is stored normalised.
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, device=None, dtype=None):
        super().__init__()
        Device(device)
        num = int64_argument("Embedding num_embeddings", num_embeddings)
        padding = 0 if padding_idx is None else int64_argument("Embedding padding_idx", padding_idx)
        self.num_embeddings = num_embeddings
        self.num_embedding = num_embeddings  # PyDyNet's spelling
        self.embedding_dim = embedding_dim
        self._bind(engine_new(lib.gs_embedding_new, num,
                              int64_argument("Embedding embedding_dim", embedding_dim),
                              padding, padding_idx is not None, dtype_code(dtype)))
        self.padding_idx = None if padding_idx is None else (padding + num if padding < 0 else padding)
