"""Module, Sequential and ModuleList, subclassable exactly like PyDyNet's."""
from collections import OrderedDict

import numpy as np

from ...cuda import Device
from ..parameter import Parameter

__all__ = ["Module", "Sequential", "ModuleList"]


class Module:
    """Base class of layers and models.

    Parameters and sub-modules are the Parameter and Module attributes, in the order they were
    first assigned (as in PyDyNet): ``parameters()`` yields the trainable parameters of this
    module and of all its sub-modules, and ``train()``/``eval()`` reach every sub-module.
    Unlike PyDyNet, ``train()``/``eval()`` do not switch grad mode (as in PyTorch): use
    ``no_grad()`` for inference.
    """

    _train = True
    device = Device("cpu")

    def __init__(self):
        self._train = True

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args):
        """The computation; subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def _members(self, kind):
        """(attribute name, value) of the attributes that are instances of ``kind``."""
        return [(name, value) for name, value in vars(self).items() if isinstance(value, kind)]

    def __repr__(self):
        lines = "\n".join(f"{name:>10} : {module}" for name, module in self._members(Module))
        return f"{type(self).__name__}(\n{lines}\n)"

    # ---- parameters -------------------------------------------------------------------------
    def named_parameters(self, prefix=""):
        """(dotted name, Parameter) for every parameter, trainable or not, each once."""
        seen = set()
        for name, p in self._walk_parameters(prefix):
            if id(p) not in seen:
                seen.add(id(p))
                yield name, p

    def _walk_parameters(self, prefix):
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value
            elif isinstance(value, Module):
                yield from value._walk_parameters(prefix + name + ".")

    def parameters(self):
        """The parameters that require grad (as PyDyNet: frozen ones are left out)."""
        for _, p in self.named_parameters():
            if p.requires_grad:
                yield p

    def named_modules(self, prefix=""):
        """(dotted name, Module) for this module and every sub-module."""
        yield prefix.rstrip("."), self
        for name, m in self._members(Module):
            yield from m.named_modules(prefix + name + ".")

    def children(self):
        """The direct sub-modules."""
        return iter([m for _, m in self._members(Module)])

    # ---- modes and devices ------------------------------------------------------------------
    def train(self, mode=True):
        """Training mode (``mode=True``) or evaluation mode for this module and its sub-modules."""
        for _, m in self.named_modules():
            m._set_mode(bool(mode))
        return self

    def eval(self):
        """Evaluation mode: Dropout passes inputs through, BatchNorm uses its running statistics."""
        return self.train(False)

    def _set_mode(self, mode):
        self._train = mode

    @property
    def training(self):
        """True in training mode (PyTorch's name)."""
        return self._train

    def to(self, device):
        """Only the CPU exists: checks ``device`` and returns the module."""
        Device(device)
        return self

    def cpu(self):
        """Returns the module (it is on the CPU)."""
        return self

    def cuda(self, id=0):
        """Raises: gradswift has no CUDA device."""
        return self.to(Device(f"cuda:{id}"))

    # ---- checkpoints ------------------------------------------------------------------------
    def state_dict(self):
        """An OrderedDict of dotted parameter name to a NumPy copy of its data."""
        return OrderedDict((name, p.numpy().copy()) for name, p in self.named_parameters())

    def load_state_dict(self, state_dict, strict=True):
        """Copies the arrays of ``state_dict`` into the parameters of the same names. Every
        name and shape is checked before anything is written, so a failure changes nothing."""
        own = OrderedDict(self.named_parameters())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            raise KeyError(f"load_state_dict: missing keys {missing}, unexpected keys {unexpected}")
        staged = []
        for name, p in own.items():
            if name not in state_dict:
                continue
            value = np.asarray(state_dict[name])
            if value.dtype.kind not in "biuf":  # caught here, not halfway through the copies
                raise TypeError(f"load_state_dict: '{name}' must hold numbers, the checkpoint "
                                f"has dtype {value.dtype}")
            if value.shape != p.shape:
                raise ValueError(f"load_state_dict: '{name}' has shape {p.shape}, "
                                 f"the checkpoint has {value.shape}")
            staged.append((p, value))
        for p, value in staged:
            p.data[...] = value


class Sequential(Module):
    """Modules applied in order: ``Sequential(m0, m1, ...)`` or ``Sequential(OrderedDict)``."""

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            items = list(args[0].items())
        else:
            items = [(str(i), m) for i, m in enumerate(args)]
        self.module_list = []
        for name, module in items:
            setattr(self, name, module)
            self.module_list.append(module)

    def forward(self, x):
        for module in self.module_list:
            x = module(x)
        return x

    def __len__(self):
        return len(self.module_list)

    def __getitem__(self, index):
        return self.module_list[index]

    def __iter__(self):
        return iter(self.module_list)


class ModuleList(Module):
    """A list of modules, each registered (``ModuleList([m0, m1])``)."""

    def __init__(self, module_list=()):
        super().__init__()
        self.module_list = []
        for module in module_list:
            self.append(module)

    def __getitem__(self, index):
        return self.module_list[index]

    def __len__(self):
        return len(self.module_list)

    def __iter__(self):
        return iter(self.module_list)

    def append(self, module):
        """Adds ``module`` at the end."""
        setattr(self, str(len(self.module_list)), module)
        self.module_list.append(module)
        return self

    def index(self, module):
        """The position of ``module``."""
        return self.module_list.index(module)
