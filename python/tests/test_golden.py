"""The golden cases of Tests/Golden (written by tools/make_golden.py from PyDyNet 1.1 and NumPy)
through the Python API: every case of every file in the MANIFEST runs as ``gradswift.<op>`` of
its input tensors (the elementwise ops) or through ``OPS`` (every other op), and its outputs,
in-place results and the gradients of ``sum(out * w)`` must match. A case whose op is neither
fails, so the golden coverage cannot drift from the Swift and C readers, which read the same
files. A case with ``dir`` and ``hvp`` lines is differentiated twice: the first gradients come
from ``autograd.grad(..., create_graph=True)`` (and must match the ``grad`` lines too),
h2 = sum_i sum(grad_i * dir_i) is formed with gradswift ops and differentiated again; the
results must match the ``hvp`` lines.

Tolerance: |actual - expected| <= rtol * |expected| + atol, with (rtol, atol) = (1e-3, 1e-4)
for float16, (1e-5, 1e-6) for float32 and (1e-10, 1e-12) for float64; integers of every width
and bools exactly; NaN and infinities must be the same; dtypes must be equal. Results per case go to .build/golden-results/python.tsv (read by
tools/parity_report.py) and the per-op counts are printed at the end of the pytest run.
"""
import operator
import time
from pathlib import Path

import numpy as np
import pytest

import gradswift as pdn
import gradswift.autograd as autograd
import gradswift.nn as nn
import gradswift.nn.functional as F

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "Tests" / "Golden"
RESULTS = ROOT / ".build" / "golden-results" / "python.tsv"
TOLERANCES = {np.dtype(np.float16): (1e-3, 1e-4), np.dtype(np.float32): (1e-5, 1e-6),
              np.dtype(np.float64): (1e-10, 1e-12)}
DTYPES = {name: np.dtype(name) for name in ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
                                            "bool")}


# ---- reading ---------------------------------------------------------------------------------

class Case:
    """One parsed case: attributes by name, tensors as (role, name, array) in file order."""

    def __init__(self, file, case_id):
        self.file, self.id, self.op, self.ref = file, case_id, None, None
        self.attrs, self.tensors = {}, []

    def named(self, role):
        return [(name, a) for r, name, a in self.tensors if r == role]


def parse_attr(tokens):
    name, kind, values = tokens[0], tokens[1], tokens[2:]
    if kind == "none":
        return name, None
    if kind == "int":
        return name, int(values[0])
    if kind == "float":
        return name, float(values[0])
    if kind == "bool":
        return name, values[0] == "1"
    if kind == "str":
        return name, values[0]
    if kind == "ints":
        return name, tuple(int(v) for v in values)
    if kind == "index":
        return name, tuple(values)
    raise ValueError(f"unknown attribute type {kind!r}")


def parse_tensor(tokens):
    role, name, dtype, shape = tokens[:4]
    dims = tuple(int(d) for d in shape.strip("()").split(",") if d)
    values = tokens[4:]
    if dtype == "bool":
        array = np.array([v == "1" for v in values], dtype=np.bool_)
    else:
        array = np.array([float(v) if dtype.startswith("float") else int(v) for v in values], dtype=DTYPES[dtype])
    assert array.size == int(np.prod(dims)), f"{name}: {array.size} values for shape {dims}"
    return role, name, array.reshape(dims)


def read_file(name):
    cases, case = [], None
    for number, line in enumerate((GOLDEN / name).read_text().splitlines(), 1):
        tokens = line.split()
        if not tokens or tokens[0].startswith("#"):
            continue
        where = f"{name}:{number}"
        if tokens[0] == "case":
            assert case is None, f"{where}: case inside case"
            case = Case(name, tokens[1])
        elif tokens[0] == "end":
            cases.append(case)
            case = None
        elif tokens[0] == "op":
            case.op = tokens[1]
        elif tokens[0] == "ref":
            case.ref = line[4:]
        elif tokens[0] == "attr":
            key, value = parse_attr(tokens[1:])
            case.attrs[key] = value
        else:
            assert tokens[0] in ("input", "const", "param", "state", "output", "final", "w", "grad", "dir", "hvp"), \
                f"{where}: {tokens[0]}"
            case.tensors.append(parse_tensor(tokens))
    assert case is None, f"{name}: unterminated case"
    return cases


def manifest():
    entries = []
    for line in (GOLDEN / "MANIFEST").read_text().splitlines():
        if line and not line.startswith("#"):
            name, count = line.split()
            entries.append((name, int(count)))
    return entries


# ---- running a case through the Python API ---------------------------------------------------

class Run:
    """A case's tensors as gradswift Tensors (inputs of float dtype require grad) and attributes."""

    def __init__(self, case):
        self.case, self.a = case, case.attrs
        self.t = {name: pdn.Tensor(a, requires_grad=role == "input" and a.dtype.kind == "f")
                  for role, name, a in case.tensors if role in ("input", "const", "param", "state")}
        self.inputs = [self.t[name] for role, name, a in case.tensors if role in ("input", "const")]

    def __getitem__(self, name):
        return self.t[name]

    def get(self, name):
        return self.t.get(name)

    def key(self):
        """The indexing key: '@name' items are the case's int64/bool arrays (as NumPy arrays)."""
        items = []
        for token in self.a["key"]:
            if token == "new":
                items.append(None)
            elif token == "...":
                items.append(Ellipsis)
            elif token.startswith("@"):
                items.append(self.t[token[1:]].numpy())
            elif token.startswith("i"):
                items.append(int(token[1:]))
            else:
                start, stop, step = (int(v) if v else None for v in token[1:].split(":"))
                items.append(slice(start, stop, step))
        return tuple(items)

    def dtype(self):
        return DTYPES[self.a["dtype"]]

    def layer(self, module):
        """Gives the module the case's parameters and mode; they become the tensors to check."""
        parameters = dict(module.named_parameters())
        for role, name, a in self.case.tensors:
            if role in ("param", "state"):
                parameters[name].data[...] = a
                self.t[name] = parameters[name]
        if "training" in self.a:
            module.train() if self.a["training"] else module.eval()
        return module


def binary_scalar(r):
    fn = SCALAR_OPS[r.a["op"]]
    scalar = int(r.a["scalar"]) if r.a["kind"] == "int" else float(r.a["scalar"])
    return fn(scalar, r["x"]) if r.a["reverse"] else fn(r["x"], scalar)


def setitem(r):
    x = r["x"]
    x[r.key()] = r["value"] if "value" in r.t else r.a["value"]
    return x


def recurrent(make):
    """A recurrent layer or cell called with its optional initial state(s)."""
    def run(r):
        layer = r.layer(make(r.a, r.dtype()))
        states = [r.t[n] for n in ("h0", "c0", "h", "c") if n in r.t]
        if isinstance(layer, (nn.LSTM, nn.LSTMCell)):
            return layer(r["x"], tuple(states) if states else None)
        return layer(r["x"], states[0] if states else None)
    return run


def layer(make):
    """A layer built by make(attrs, dtype), given the case's parameters, applied to the inputs."""
    return lambda r: r.layer(make(r.a, r.dtype() if "dtype" in r.a else None))(*r.inputs)


SCALAR_OPS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
              "pow": operator.pow, "maximum": pdn.maximum, "minimum": pdn.minimum}
COMPARE = {"eq": lambda a, b: a.eq(b), "ne": lambda a, b: a.ne(b), "lt": operator.lt, "le": operator.le,
           "gt": operator.gt, "ge": operator.ge}
REDUCE = {"sum": pdn.sum, "mean": pdn.mean, "max": pdn.max, "min": pdn.min, "argmax": pdn.argmax,
          "argmin": pdn.argmin}
ACTIVATIONS = {"F.relu": F.relu, "F.silu": F.silu, "F.sigmoid": F.sigmoid, "F.tanh": F.tanh}
# PyTorch's activations and their layers, called with the case's attributes as keyword arguments.
ACTIVATION_FUNCTIONS = ["F.gelu", "F.elu", "F.selu", "F.celu", "F.softplus", "F.mish", "F.hardtanh", "F.relu6",
                        "F.hardsigmoid", "F.hardswish", "F.logsigmoid"]
ACTIVATION_LAYERS = ["nn.GELU", "nn.SiLU", "nn.ELU", "nn.SELU", "nn.CELU", "nn.Softplus", "nn.Mish", "nn.Hardtanh",
                     "nn.ReLU6", "nn.Hardsigmoid", "nn.Hardswish", "nn.LogSigmoid"]
def adaptive_size(a):
    """An adaptive pooling's output_size as PyTorch takes it: -1 in the case is None."""
    size = a["output_size"]
    return None if size == -1 else tuple(None if v == -1 else v for v in size) if isinstance(size, tuple) else size


POOLS = {"max_pool1d": (F.max_pool1d, nn.MaxPool1d), "max_pool2d": (F.max_pool2d, nn.MaxPool2d),
         "avg_pool1d": (F.avg_pool1d, nn.AvgPool1d), "avg_pool2d": (F.avg_pool2d, nn.AvgPool2d)}
LOSSES = {"mse_loss": (F.mse_loss, nn.MSELoss), "nll_loss": (F.nll_loss, nn.NLLLoss),
          "cross_entropy_loss": (F.cross_entropy_loss, nn.CrossEntropyLoss)}
# PyTorch's pointwise losses, functional (weights passed when the case has them) and as layers,
# called with the case's attributes as keyword arguments.
POINTWISE_LOSSES = ["F.l1_loss", "F.smooth_l1_loss", "F.huber_loss", "F.binary_cross_entropy",
                    "F.binary_cross_entropy_with_logits", "F.kl_div"]
POINTWISE_LOSS_LAYERS = ["nn.L1Loss", "nn.SmoothL1Loss", "nn.HuberLoss", "nn.BCELoss", "nn.BCEWithLogitsLoss",
                         "nn.KLDivLoss"]
LOSS_WEIGHTS = ("weight", "pos_weight")


def rnn_settings(a):
    return dict(bias=a["bias"], batch_first=a["batch_first"], bidirectional=a["bidirectional"])


# The map from golden op names to the Python API, fn(run) returning the output(s), for the ops
# that are not a module-level function of the case's input tensors (see `runner`).
OPS = {
    **{op: (lambda r, fn=fn: fn(r["a"], r["b"])) for op, fn in COMPARE.items()},
    "binary_scalar": binary_scalar,
    "neg": lambda r: -r["x"],
    "astype": lambda r: r["x"].astype(DTYPES[r.a["dtype"]]),
    **{op: (lambda r, fn=fn: fn(r["x"], r.a["axis"], r.a["keepdims"])) for op, fn in REDUCE.items()},
    # PyTorch's reductions, scans and sorting, called with PyTorch's spellings (dim=, keepdim=)
    "prod": lambda r: pdn.prod(r["x"], dim=r.a["axis"], keepdim=r.a["keepdims"]),
    **{op: (lambda r, fn=getattr(pdn, op): fn(r["x"], dim=r.a["axis"], correction=r.a["correction"],
                                              keepdim=r.a["keepdims"])) for op in ("var", "std")},
    "logsumexp": lambda r: pdn.logsumexp(r["x"], dim=tuple(range(r["x"].ndim)) if r.a["axis"] is None else r.a["axis"],
                                         keepdim=r.a["keepdims"]),
    "norm": lambda r: pdn.norm(r["x"], r.a["p"], dim=r.a["axis"], keepdim=r.a["keepdims"]),
    **{op: (lambda r, op=op: getattr(r["x"], op)(dim=r.a["axis"], keepdim=r.a["keepdims"])) for op in ("all", "any")},
    **{op: (lambda r, fn=getattr(pdn, op): fn(r["x"], dim=r.a["axis"])) for op in ("cumsum", "cumprod")},
    "sort": lambda r: pdn.sort(r["x"], dim=r.a["axis"], descending=r.a["descending"]),
    "argsort": lambda r: pdn.argsort(r["x"], dim=r.a["axis"], descending=r.a["descending"]),
    "topk": lambda r: pdn.topk(r["x"], r.a["k"], dim=r.a["axis"], largest=r.a["largest"]),
    "max_dim": lambda r: pdn.max(r["x"], dim=r.a["axis"], keepdim=r.a["keepdims"]),
    "min_dim": lambda r: r["x"].min(dim=r.a["axis"], keepdim=r.a["keepdims"]),
    "matmul": lambda r: pdn.matmul(r["a"], r["b"]),
    "reshape": lambda r: pdn.reshape(r["x"], r.a["shape"]),
    "transpose": lambda r: pdn.transpose(r["x"], r.a["axes"]),
    "swapaxes": lambda r: pdn.swapaxes(r["x"], r.a["axis1"], r.a["axis2"]),
    "squeeze": lambda r: pdn.squeeze(r["x"], r.a["axis"]),
    "unsqueeze": lambda r: pdn.unsqueeze(r["x"], r.a["axis"]),
    "concat": lambda r: pdn.concat(r.inputs, axis=r.a["axis"]),
    "split": lambda r: pdn.split(r["x"], r.a["indices_or_sections"], r.a["axis"]),
    "vsplit": lambda r: pdn.vsplit(r["x"], r.a["indices_or_sections"]),
    "hsplit": lambda r: pdn.hsplit(r["x"], r.a["indices_or_sections"]),
    "dsplit": lambda r: pdn.dsplit(r["x"], r.a["indices_or_sections"]),
    "stack": lambda r: pdn.stack(r.inputs, r.a["dim"]),
    "flatten": lambda r: pdn.flatten(r["x"], r.a["start_dim"], r.a["end_dim"]),
    "unflatten": lambda r: pdn.unflatten(r["x"], r.a["dim"], r.a["sizes"]),
    "permute": lambda r: pdn.permute(r["x"], r.a["dims"]),
    "expand": lambda r: r["x"].expand(*r.a["sizes"]),
    "broadcast_to": lambda r: pdn.broadcast_to(r["x"], r.a["shape"]),
    "movedim": lambda r: pdn.movedim(r["x"], r.a["source"], r.a["destination"]),
    "tile": lambda r: pdn.tile(r["x"], r.a["dims"]),
    "repeat": lambda r: r["x"].repeat(*r.a["sizes"]),
    "repeat_interleave": lambda r: pdn.repeat_interleave(r["x"], r.get("repeats") if "repeats" in r.t else r.a["repeats"],
                                                         r.a["dim"]),
    "flip": lambda r: pdn.flip(r["x"], r.a["dims"]),
    "roll": lambda r: pdn.roll(r["x"], r.a["shifts"], r.a["dims"]),
    "chunk": lambda r: pdn.chunk(r["x"], r.a["chunks"], r.a["dim"]),
    "tril": lambda r: pdn.tril(r["x"], r.a["diagonal"]),
    "triu": lambda r: r["x"].triu(r.a["diagonal"]),
    "F.pad": lambda r: F.pad(r["x"], r.a["pad"], r.a["mode"], r.a["value"]),
    "getitem": lambda r: r["x"][r.key()],
    "gather": lambda r: pdn.gather(r["x"], r.a["dim"], r["index"]),
    "scatter": lambda r: pdn.scatter(r["x"], r.a["dim"], r["index"], r["src"], reduce=r.a.get("reduce")),
    "scatter_value": lambda r: r["x"].scatter(r.a["dim"], r["index"], value=r.a["value"], reduce=r.a.get("reduce")),
    "scatter_add": lambda r: pdn.scatter_add(r["x"], r.a["dim"], r["index"], r["src"]),
    "index_select": lambda r: pdn.index_select(r["x"], r.a["dim"], r["index"]),
    "masked_fill": lambda r: pdn.masked_fill(r["x"], r["mask"], r["value"]),
    "take_along_dim": lambda r: pdn.take_along_dim(r["x"], r["indices"], r.a["dim"]),
    "nonzero": lambda r: pdn.nonzero(r["x"]),
    "einsum": lambda r: pdn.einsum(r.a["equation"], *r.inputs),
    "tensordot": lambda r: pdn.tensordot(r["a"], r["b"], r.a["dims"] if "dims" in r.a else (r.a["dims_a"], r.a["dims_b"])),
    "outer": lambda r: pdn.outer(r["a"], r["b"]),
    "dot": lambda r: pdn.dot(r["a"], r["b"]),
    "bmm": lambda r: pdn.bmm(r["a"], r["b"]),
    "diag": lambda r: pdn.diag(r["x"], r.a["diagonal"]),
    "diagonal": lambda r: pdn.diagonal(r["x"], r.a["offset"], r.a["dim1"], r.a["dim2"]),
    "trace": lambda r: pdn.trace(r["x"]),
    "setitem": setitem,
    **{op: (lambda r, fn=fn: fn(r["x"])) for op, fn in ACTIVATIONS.items()},
    "F.leaky_relu": lambda r: F.leaky_relu(r["x"], r.a["alpha"]),
    "F.softmax": lambda r: F.softmax(r["x"], r.a["axis"]),
    "F.log_softmax": lambda r: F.log_softmax(r["x"], r.a["axis"]),
    **{op: (lambda r, fn=getattr(F, op[2:]): fn(r["x"], **r.a)) for op in ACTIVATION_FUNCTIONS},
    **{op: layer(lambda a, d, cls=getattr(nn, op[3:]): cls(**a)) for op in ACTIVATION_LAYERS},
    "round": lambda r: pdn.round(r["x"], r.a.get("decimals", 0)),
    "clamp": lambda r: pdn.clamp(r["x"], r.get("min"), r.get("max")),
    "clamp_scalar": lambda r: pdn.clamp(r["x"], r.a["min"], r.a["max"]),
    "nn.ReLU": layer(lambda a, d: nn.ReLU()),
    "nn.Sigmoid": layer(lambda a, d: nn.Sigmoid()),
    "nn.Tanh": layer(lambda a, d: nn.Tanh()),
    "nn.LeakyReLU": layer(lambda a, d: nn.LeakyReLU(a["alpha"])),
    "nn.Softmax": layer(lambda a, d: nn.Softmax(a["axis"])),
    **{f"F.{op}": (lambda r, fn=fn: fn(r["pred"], r["target"], reduction=r.a["reduction"]))
       for op, (fn, _) in LOSSES.items()},
    **{op: (lambda r, fn=getattr(F, op[2:]): fn(r["input"], r["target"], **r.a,
                                                 **{w: r.get(w) for w in LOSS_WEIGHTS if r.get(w) is not None}))
       for op in POINTWISE_LOSSES},
    **{op: layer(lambda a, d, cls=getattr(nn, op[3:]): cls(**a)) for op in POINTWISE_LOSS_LAYERS},
    "nn.MSELoss": layer(lambda a, d: nn.MSELoss(a["reduction"])),
    "nn.NLLLoss": layer(lambda a, d: nn.NLLLoss(a["reduction"])),
    "nn.CrossEntropyLoss": layer(lambda a, d: nn.CrossEntropyLoss(a["reduction"])),
    "F.linear": lambda r: F.linear(r["x"], r["weight"], r.get("bias")),
    "nn.Linear": layer(lambda a, d: nn.Linear(a["in_features"], a["out_features"], a["bias"], dtype=d)),
    "F.embedding": lambda r: F.embedding(r["indices"], r["weight"], r.a["padding_idx"]),
    "nn.Embedding": layer(lambda a, d: nn.Embedding(a["num_embeddings"], a["embedding_dim"], a["padding_idx"], dtype=d)),
    "F.dropout": lambda r: F.dropout(r["x"], r.a["p"], r.a["training"]),
    "nn.Dropout": layer(lambda a, d: nn.Dropout(a["p"])),
    "F.conv1d": lambda r: F.conv1d(r["x"], r["weight"], r.a["padding"], r.a["stride"], bias=r.get("bias")),
    "F.conv2d": lambda r: F.conv2d(r["x"], r["weight"], r.a["padding"], r.a["stride"], bias=r.get("bias")),
    "nn.Conv1d": layer(lambda a, d: nn.Conv1d(a["in_channels"], a["out_channels"], a["kernel_size"], a["stride"],
                                              a["padding"], a["bias"], dtype=d)),
    "nn.Conv2d": layer(lambda a, d: nn.Conv2d(a["in_channels"], a["out_channels"], a["kernel_size"], a["stride"],
                                              a["padding"], a["bias"], dtype=d)),
    **{f"F.{op}": (lambda r, fn=fn: fn(r["x"], r.a["kernel_size"], r.a["stride"], r.a["padding"]))
       for op, (fn, _) in POOLS.items()},
    "nn.MaxPool1d": layer(lambda a, d: nn.MaxPool1d(a["kernel_size"], a["stride"], a["padding"])),
    "nn.MaxPool2d": layer(lambda a, d: nn.MaxPool2d(a["kernel_size"], a["stride"], a["padding"])),
    "nn.AvgPool1d": layer(lambda a, d: nn.AvgPool1d(a["kernel_size"], a["stride"], a["padding"])),
    "nn.AvgPool2d": layer(lambda a, d: nn.AvgPool2d(a["kernel_size"], a["stride"], a["padding"])),
    **{f"F.adaptive_{kind}_pool{n}d": (lambda r, fn=getattr(F, f"adaptive_{kind}_pool{n}d"): fn(r["x"], adaptive_size(r.a)))
       for kind in ("max", "avg") for n in (1, 2)},
    **{f"nn.Adaptive{kind}Pool{n}d": layer(lambda a, d, cls=getattr(nn, f"Adaptive{kind}Pool{n}d"): cls(adaptive_size(a)))
       for kind in ("Max", "Avg") for n in (1, 2)},
    "F.interpolate": lambda r: F.interpolate(r["x"], **r.a),
    "nn.Upsample": layer(lambda a, d: nn.Upsample(**a)),
    "F.conv_transpose1d": lambda r: F.conv_transpose1d(r["x"], r["weight"], r.get("bias"), **r.a),
    "F.conv_transpose2d": lambda r: F.conv_transpose2d(r["x"], r["weight"], r.get("bias"), **r.a),
    "nn.ConvTranspose1d": layer(lambda a, d: nn.ConvTranspose1d(**{**a, "dtype": d})),
    "nn.ConvTranspose2d": layer(lambda a, d: nn.ConvTranspose2d(**{**a, "dtype": d})),
    "F.layer_norm": lambda r: F.layer_norm(r["x"], r.a["normalized_shape"], r.get("weight"), r.get("bias"), r.a["eps"]),
    "F.rms_norm": lambda r: F.rms_norm(r["x"], r.a["normalized_shape"], r.get("weight"), r.a["eps"]),
    "F.batch_norm": lambda r: F.batch_norm(r["x"], r.get("running_mean"), r.get("running_var"), r.get("weight"),
                                           r.get("bias"), r.a["training"], r.a["momentum"], r.a["eps"]),
    "F.group_norm": lambda r: F.group_norm(r["x"], r.a["num_groups"], r.get("weight"), r.get("bias"), r.a["eps"]),
    "F.instance_norm": lambda r: F.instance_norm(r["x"], r.get("running_mean"), r.get("running_var"), r.get("weight"),
                                                 r.get("bias"), r.a["use_input_stats"], r.a["momentum"], r.a["eps"]),
    "F.scaled_dot_product_attention": lambda r: F.scaled_dot_product_attention(
        r["query"], r["key"], r["value"], r.get("attn_mask"), is_causal=r.a["is_causal"], scale=r.a["scale"]),
    "nn.MultiheadAttention": lambda r: r.layer(nn.MultiheadAttention(r.a["embed_dim"], r.a["num_heads"],
                                                                     batch_first=r.a["batch_first"], dtype=r.dtype()))(
        r["query"], r["key"], r["value"], key_padding_mask=r.get("key_padding_mask"), attn_mask=r.get("attn_mask"),
        average_attn_weights=r.a["average_attn_weights"]),
    "nn.LayerNorm": layer(lambda a, d: nn.LayerNorm(a["normalized_shape"], a["eps"], dtype=d)),
    "nn.RMSNorm": layer(lambda a, d: nn.RMSNorm(a["normalized_shape"], a["eps"], dtype=d)),
    "nn.BatchNorm1d": layer(lambda a, d: nn.BatchNorm1d(a["num_features"], a["eps"], a["momentum"], dtype=d)),
    "nn.BatchNorm2d": layer(lambda a, d: nn.BatchNorm2d(a["num_features"], a["eps"], a["momentum"], dtype=d)),
    "nn.RNNCell": recurrent(lambda a, d: nn.RNNCell(a["input_size"], a["hidden_size"], a["bias"], a["nonlinearity"], dtype=d)),
    "nn.LSTMCell": recurrent(lambda a, d: nn.LSTMCell(a["input_size"], a["hidden_size"], a["bias"], dtype=d)),
    "nn.GRUCell": recurrent(lambda a, d: nn.GRUCell(a["input_size"], a["hidden_size"], a["bias"], dtype=d)),
    "nn.RNN": recurrent(lambda a, d: nn.RNN(a["input_size"], a["hidden_size"], a["num_layers"], a["nonlinearity"],
                                            dtype=d, **rnn_settings(a))),
    "nn.LSTM": recurrent(lambda a, d: nn.LSTM(a["input_size"], a["hidden_size"], a["num_layers"], dtype=d, **rnn_settings(a))),
    "nn.GRU": recurrent(lambda a, d: nn.GRU(a["input_size"], a["hidden_size"], a["num_layers"], dtype=d, **rnn_settings(a))),
}


def flatten(result):
    if isinstance(result, (tuple, list)):
        return [t for item in result for t in flatten(item)]
    return [result]


def compare(what, actual, expected):
    """(abs error, relative error, problem or None) of ``actual`` against ``expected``. The
    relative error is |a - e| / max(|e|, atol / rtol): the check passes when it is about rtol."""
    actual = np.asarray(actual)
    if actual.shape != expected.shape or actual.dtype != expected.dtype:
        return np.inf, np.inf, f"{what}: {actual.dtype}{actual.shape}, expected {expected.dtype}{expected.shape}"
    if expected.dtype.kind != "f":
        wrong = int(np.sum(actual != expected))
        return float(wrong > 0), float(wrong > 0), f"{what}: {wrong} elements differ" if wrong else None
    rtol, atol = TOLERANCES[expected.dtype]
    e, a = expected.astype(np.float64), actual.astype(np.float64)
    finite = np.isfinite(e)
    if not np.array_equal(np.isnan(a), np.isnan(e)) or np.any(a[np.isinf(e)] != e[np.isinf(e)]):
        return np.inf, np.inf, f"{what}: NaN or infinities differ"
    error = np.abs(a[finite] - e[finite])
    if not error.size:
        return 0.0, 0.0, None
    relative = error / np.maximum(np.abs(e[finite]), atol / rtol)
    bad = error > rtol * np.abs(e[finite]) + atol
    worst = int(np.argmax(error))
    problem = (f"{what}: {int(bad.sum())} of {error.size} elements off, largest |error| {error[worst]:.3g} "
               f"(got {a[finite][worst]!r}, expected {e[finite][worst]!r})") if bad.any() else None
    return float(error.max()), float(relative.max()), problem


def second_derivatives(case, r, loss):
    """Checks of the ``hvp`` lines: the gradients of h2 = sum_i sum(grad_i * dir_i), where
    grad_i are the gradients of ``loss`` recorded with create_graph=True (checked against the
    ``grad`` lines as well). The graph is retained, so that ``loss.backward()`` can run after.
    A gradient that is not recorded (None, or not requiring grad) contributes nothing to h2;
    an input h2 does not reach gets zeros, which fail wherever the expected values are not
    zero: an op whose backward is not differentiable fails here."""
    dirs = case.named("dir")
    names = [name for name, _ in dirs]
    hvps = case.named("hvp")
    assert sorted(name for name, _ in hvps) == sorted(names), "hvp lines must match the dir lines"
    inputs = [r[name] for name in names]
    firsts = autograd.grad(loss, inputs, create_graph=True, allow_unused=True)
    grads = dict(case.named("grad"))
    checks = [(f"grad (create_graph) {name}", np.zeros_like(grads[name]) if g is None else g.numpy(), grads[name])
              for name, g in zip(names, firsts) if name in grads]
    h2 = None
    for g, (name, direction) in zip(firsts, dirs):
        if g is not None:
            term = (g * pdn.Tensor(direction)).sum()
            h2 = term if h2 is None else h2 + term
    seconds = [None] * len(inputs)
    if h2 is not None and h2.requires_grad:
        seconds = autograd.grad(h2, inputs, retain_graph=True, allow_unused=True)
    found = dict(zip(names, seconds))
    for name, want in hvps:
        got = found[name]
        checks.append((f"hvp {name}", np.zeros_like(want) if got is None else got.numpy(), want))
    return checks


def runner(op):
    """How the golden op ``op`` runs: its entry in OPS, or else the module-level function
    ``gradswift.<op>`` applied to the case's input tensors in file order (the elementwise ops:
    ``pdn.exp(x)``, ``pdn.add(a, b)``, ...)."""
    if op in OPS:
        return OPS[op]
    fn = getattr(pdn, op, None)
    return None if fn is None or not callable(fn) else (lambda r: fn(*r.inputs))


def check_case(case):
    """Runs ``case`` (see `runner`); returns (abs error, relative error, problems)."""
    run = runner(case.op)
    if run is None:
        return np.inf, np.inf, [f"op {case.op!r} is neither gradswift.{case.op} nor in test_golden.OPS"]
    r = Run(case)
    outputs = flatten(run(r))
    expected = case.named("output")
    if len(outputs) != len(expected):
        return np.inf, np.inf, [f"{len(outputs)} outputs, expected {len(expected)}"]
    checks = [(f"output {name}", out.numpy(), want) for out, (name, want) in zip(outputs, expected)]
    checks += [(f"final {name}", r[name].numpy(), want) for name, want in case.named("final")]
    weights = dict(case.named("w"))
    second_order = bool(case.named("dir") or case.named("hvp"))
    assert weights or not second_order, "dir and hvp lines without w lines"
    if weights:
        loss = None
        for out, (name, _) in zip(outputs, expected):
            if name in weights:
                term = (out * pdn.Tensor(weights[name])).sum()
                loss = term if loss is None else loss + term
        if second_order:
            checks += second_derivatives(case, r, loss)
        loss.backward()
        for name, want in case.named("grad"):
            grad = r[name].grad
            checks.append((f"grad {name}", np.zeros_like(want) if grad is None else np.array(grad), want))
    worst_abs, worst_rel, problems = 0.0, 0.0, []
    for what, actual, want in checks:
        err_abs, err_rel, problem = compare(what, actual, want)
        worst_abs, worst_rel = max(worst_abs, err_abs), max(worst_rel, err_rel)
        if problem:
            problems.append(problem)
    return worst_abs, worst_rel, problems


# ---- the tests -------------------------------------------------------------------------------

RECORDED = {}  # case id -> (file, op, ok, abs error, relative error, seconds)


def test_manifest_lists_every_golden_file():
    assert sorted(name for name, _ in manifest()) == sorted(p.name for p in GOLDEN.glob("*.txt"))


@pytest.mark.parametrize("name,count", manifest(), ids=[name for name, _ in manifest()])
def test_golden_file(name, count):
    cases = read_file(name)
    assert len(cases) == count, f"{name}: {len(cases)} cases, MANIFEST says {count}"
    failures = []
    for case in cases:
        start = time.perf_counter()
        try:
            err_abs, err_rel, problems = check_case(case)
        except Exception as error:  # an exception is this case's failure, not the file's
            err_abs, err_rel, problems = np.inf, np.inf, [f"raised {type(error).__name__}: {error}"]
        RECORDED[case.id] = (name, case.op, not problems, err_abs, err_rel, time.perf_counter() - start)
        failures += [f"{case.id} ({case.op}): {p}" for p in problems]
    assert not failures, f"{len(failures)} problems in {name}:\n" + "\n".join(failures)


def report():
    """Writes RESULTS and returns the per-op summary (called by conftest's terminal summary)."""
    if not RECORDED:
        return ""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    failed = sum(not ok for _, _, ok, *_ in RECORDED.values())
    seconds = sum(s for *_, s in RECORDED.values())
    lines = [f"# reader python; cases {len(RECORDED)}; failed {failed}; seconds {seconds:.3f}",
             "# case\top\tfile\tstatus\tmax_abs_error\tmax_rel_error"]
    per_op = {}
    for case_id, (file, op, ok, err_abs, err_rel, _) in RECORDED.items():
        lines.append(f"{case_id}\t{op}\t{file}\t{'ok' if ok else 'FAIL'}\t{err_abs:.3g}\t{err_rel:.3g}")
        per_op[op] = per_op.get(op, 0) + 1
    RESULTS.write_text("\n".join(lines) + "\n")
    counts = ", ".join(f"{op} {n}" for op, n in sorted(per_op.items()))
    return (f"golden cases checked through the Python API: {len(RECORDED)} ({failed} failed) in {seconds:.2f} s; "
            f"per op: {counts}\n")
