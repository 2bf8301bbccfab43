"""Module, Sequential and ModuleList, subclassable exactly like PyDyNet's, with PyTorch's module
API (sub-modules, buffers, ``apply``, ``zero_grad``, ``requires_grad_``) besides."""
from collections import OrderedDict

import numpy as np

from ..._release import pending, release_pending
from ...cuda import Device
from ...tensor import Tensor
from ..parameter import Parameter

__all__ = ["Module", "Sequential", "ModuleList"]


class Module:
    """Base class of layers and models.

    Parameters and sub-modules are the Parameter and Module attributes, in the order they were
    first assigned (as in PyDyNet): ``parameters()`` yields the trainable parameters of this
    module and of all its sub-modules, and ``train()``/``eval()`` reach every sub-module.
    Unlike PyDyNet, ``train()``/``eval()`` do not switch grad mode (as in PyTorch): use
    ``no_grad()`` for inference. Buffers are tensors registered with ``register_buffer``.
    """

    _train = True
    device = Device("cpu")
    # Names of Parameter attributes that PyTorch keeps as buffers (BatchNorm's running statistics,
    # frozen Parameters in PyDyNet): named_buffers() reports them, requires_grad_() skips them.
    _buffer_parameters = ()

    def __init__(self):
        self._train = True

    def __call__(self, *args, **kwargs):
        if pending:  # dead tensors of the previous layers, so that inference keeps few alive
            release_pending()
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

    # ---- walking the attributes ---------------------------------------------------------------
    def _walk(self, prefix, recurse, select):
        """(dotted name, value) of the attributes for which ``select(module, name, value)`` holds,
        in attribute order, with each sub-module's (when ``recurse``) where it is assigned."""
        for name, value in list(vars(self).items()):
            if select(self, name, value):
                yield _join(prefix, name), value
            elif recurse and isinstance(value, Module):
                yield from value._walk(_join(prefix, name), recurse, select)

    def _named_members(self, prefix, recurse, remove_duplicate, select):
        """``_walk`` without repeats of the same object (unless ``remove_duplicate`` is False)."""
        seen = set()
        for name, value in self._walk(prefix, recurse, select):
            if remove_duplicate:
                if id(value) in seen:
                    continue
                seen.add(id(value))
            yield name, value

    def _is_buffer(self, name, value):
        """Whether attribute ``name`` holding ``value`` is a buffer of this module."""
        return isinstance(value, Tensor) and (name in self.__dict__.get("_buffers", ())
                                              or name in self._buffer_parameters)

    def _in_state_dict(self, name, value):
        """Whether attribute ``name`` holding ``value`` is saved by ``state_dict()``: every
        Parameter, and the persistent buffers."""
        return isinstance(value, Parameter) or (self._is_buffer(name, value)
                                                and self.__dict__.get("_buffers", {}).get(name, True))

    # ---- parameters and buffers ---------------------------------------------------------------
    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, Parameter) for every parameter, trainable or not, each once (unless
        ``remove_duplicate`` is False); only this module's own when ``recurse`` is False."""
        return self._named_members(prefix, recurse, remove_duplicate, lambda m, n, v: isinstance(v, Parameter))

    def parameters(self, recurse=True):
        """The parameters that require grad (as PyDyNet: frozen ones are left out)."""
        for _, p in self.named_parameters(recurse=recurse):
            if p.requires_grad:
                yield p

    def register_buffer(self, name, tensor, persistent=True):
        """Registers ``tensor`` (a Tensor, or None for a placeholder) as the buffer ``name``: an
        attribute that is not a parameter, reported by ``buffers()`` and, when ``persistent``,
        saved by ``state_dict()``. Assigning ``self.<name>`` later replaces the buffer.

        Raises TypeError for a name that is not a str or a value that is neither a Tensor nor
        None, and KeyError for an empty or dotted name or one that is already another attribute.
        """
        buffers = self.__dict__.setdefault("_buffers", {})
        self._check_new_name("buffer", name, lambda: name in buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: cannot make a {type(tensor).__name__} the buffer "
                            f"'{name}' (a Tensor or None is required)")
        buffers[name] = bool(persistent)
        setattr(self, name, tensor)

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, Tensor) for every buffer (placeholders set to None are skipped),
        including BatchNorm's running statistics; arguments as ``named_parameters``."""
        return self._named_members(prefix, recurse, remove_duplicate, Module._is_buffer)

    def buffers(self, recurse=True):
        """The buffers of this module (and of its sub-modules when ``recurse``)."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ---- sub-modules --------------------------------------------------------------------------
    def add_module(self, name, module):
        """Registers ``module`` (a Module, or None for a placeholder) as the sub-module ``name``,
        like assigning ``self.<name> = module``.

        Raises TypeError for a value that is not a Module or None or a name that is not a str,
        and KeyError for an empty or dotted name or one that is already an attribute other than
        a sub-module.
        """
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {type(module).__name__} is not a Module subclass")
        self._check_new_name("module", name, lambda: name in vars(self)
                             and (vars(self)[name] is None or isinstance(vars(self)[name], Module)))
        setattr(self, name, module)

    register_module = add_module

    def _check_new_name(self, kind, name, registered):
        """Checks ``name`` for a ``kind`` ("module" or "buffer") attribute: an existing attribute
        of that name is an error unless ``registered()`` says it is one of that kind."""
        if not isinstance(name, str):
            raise TypeError(f"{kind} name must be a str, got {type(name).__name__}")
        if not name:
            raise KeyError(f"{kind} name cannot be empty")
        if "." in name:
            raise KeyError(f"{kind} name cannot contain '.', got '{name}'")
        if hasattr(self, name) and not registered():
            raise KeyError(f"attribute '{name}' already exists")

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(dotted name, Module) for this module (named ``prefix``) and every sub-module, parents
        before their children; a module reached twice is yielded once unless
        ``remove_duplicate`` is False (``memo`` is the set of modules already yielded)."""
        if remove_duplicate:
            memo = set() if memo is None else memo
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, child in self._members(Module):
            yield from child.named_modules(memo, _join(prefix, name), remove_duplicate)

    def modules(self):
        """This module and every sub-module, each once."""
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        """(attribute name, Module) for each direct sub-module, each once."""
        seen = set()
        for name, child in self._members(Module):
            if child not in seen:
                seen.add(child)
                yield name, child

    def children(self):
        """The direct sub-modules, each once."""
        for _, child in self.named_children():
            yield child

    def apply(self, fn):
        """Calls ``fn(module)`` on every sub-module, children before their parent, then on this
        module (as in PyTorch, e.g. to initialise weights); returns this module."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ---- gradients ----------------------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Zeroes the gradient of every parameter (one library call each).

        ``set_to_none`` is accepted for PyTorch's signature, but the engine keeps the gradient
        buffer of a leaf, so gradients become zeros either way (as PyDyNet's), never None.
        """
        for _, p in self.named_parameters():
            p.zero_grad()

    def requires_grad_(self, requires_grad=True):
        """Sets ``requires_grad`` on every parameter (BatchNorm's running statistics, buffers
        in PyTorch, stay frozen) and returns this module: ``requires_grad_(False)`` freezes it."""
        buffers = {id(b) for b in self.buffers()}
        for _, p in self.named_parameters():
            if id(p) not in buffers:
                p.requires_grad_(requires_grad)
        return self

    # ---- modes and devices ------------------------------------------------------------------
    def train(self, mode=True):
        """Training mode (``mode=True``) or evaluation mode for this module and its sub-modules."""
        for m in self.modules():
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
    def _named_state(self):
        """(dotted name, Tensor) of what ``state_dict()`` saves, in attribute order."""
        return self._named_members("", True, True, Module._in_state_dict)

    def state_dict(self):
        """An OrderedDict of dotted name to a NumPy copy of the data of every parameter and
        persistent buffer."""
        return OrderedDict((name, t.numpy().copy()) for name, t in self._named_state())

    def load_state_dict(self, state_dict, strict=True):
        """Copies the arrays of ``state_dict`` into the parameters and persistent buffers of the
        same names. Every name and shape is checked before anything is written, so a failure
        changes nothing."""
        own = OrderedDict(self._named_state())
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


def _join(prefix, name):
    """``prefix.name``, or ``name`` when the prefix is empty."""
    return f"{prefix}.{name}" if prefix else name


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: ``module_list`` (PyDyNet's attribute) holds the
    modules in order, each also registered as an attribute."""

    def __len__(self):
        return len(self.module_list)

    def __getitem__(self, index):
        return self.module_list[index]

    def __iter__(self):
        return iter(self.module_list)

    def add_module(self, name, module):
        """Registers ``module`` as ``name`` (``Module.add_module``'s rules) and keeps the order:
        a module under a new name goes at the end, one that replaces a sub-module takes its place
        (None removes it)."""
        replaced = vars(self).get(name) if isinstance(name, str) else None
        super().add_module(name, module)
        place = None
        if isinstance(replaced, Module):
            place = next((i for i, m in enumerate(self.module_list) if m is replaced), None)
        if place is None:
            if module is not None:
                self.module_list.append(module)
        elif module is None:
            del self.module_list[place]
        else:
            self.module_list[place] = module

    register_module = add_module


class Sequential(_ModuleSequence):
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


class ModuleList(_ModuleSequence):
    """A list of modules, each registered (``ModuleList([m0, m1])``)."""

    def __init__(self, module_list=()):
        super().__init__()
        self.module_list = []
        for module in module_list:
            self.append(module)

    def append(self, module):
        """Adds ``module`` (a Module) at the end."""
        self.add_module(str(len(self.module_list)), module)
        return self

    def index(self, module):
        """The position of ``module``."""
        return self.module_list.index(module)
