"""EngineModule: the base of the built-in layers, each an engine module behind a handle.

A layer's forward is one library call (``gs_module_forward``); its parameters are Parameters
over the engine's own tensors, so ``layer.weight.data[...] = w`` changes what the engine uses,
and assigning a new Parameter to ``layer.weight`` replaces it in the engine.
"""
from ctypes import c_bool, c_int32, c_int64, c_uint64

from ..._convert import Owned, read_string
from ..._lib import check, error, lib
from ...tensor import Tensor, as_tensor, wrap
from ..parameter import Parameter
from .module import Module

__all__ = ["EngineModule", "engine_new"]

_MAX_OUTPUTS = 3


class _ModuleHandle(Owned):
    """Owns one module handle."""

    __slots__ = ()
    release = staticmethod(lib.gs_module_release)


def engine_new(cfn, *args):
    """Calls the constructor ``cfn(*args, &handle)`` and returns the owned handle."""
    out = c_uint64()
    st = cfn(*args, out)
    if st:
        raise error(st)
    return _ModuleHandle(out.value)


class EngineModule(Module):
    """A Module whose computation and parameters live in the engine.

    Subclasses call ``self._bind(engine_new(lib.gs_<layer>_new, ...))`` in ``__init__``: the
    engine's own parameters (those without a dot in their name) become Parameter attributes.
    """

    def _bind(self, handle):
        self._engine = handle
        count = c_int64()
        check(lib.gs_module_parameter_count(handle.handle, count))
        for i in range(count.value):
            name = read_string(lib.gs_module_parameter_name, handle.handle, c_int64(i))
            if "." in name:
                continue
            out = c_uint64()
            check(lib.gs_module_parameter(handle.handle, name.encode(), out))
            object.__setattr__(self, name, Parameter._adopt(out.value))

    def __setattr__(self, name, value):
        engine = self.__dict__.get("_engine")
        if engine is not None and isinstance(self.__dict__.get(name), Parameter):
            if not isinstance(value, Tensor):
                raise TypeError(f"{type(self).__name__}.{name} must be a Parameter, got {type(value).__name__}")
            if not isinstance(value, Parameter):
                value = Parameter(value)
            check(lib.gs_module_set_parameter(engine.handle, name.encode(), value._h))
        object.__setattr__(self, name, value)

    def forward(self, *inputs):
        tensors = [as_tensor(x) for x in inputs]
        handles = (c_uint64 * max(len(tensors), 1))(*[t._h for t in tensors])
        outputs = (c_uint64 * _MAX_OUTPUTS)()
        count = c_int32()
        st = lib.gs_module_forward(self._engine.handle, handles, len(tensors), outputs, _MAX_OUTPUTS, count)
        if st:
            raise error(st)
        results = [wrap(outputs[i]) for i in range(count.value)]
        return results[0] if len(results) == 1 else tuple(results)

    def reset_parameters(self):
        """Draws (or sets) the initial parameter values again, as the constructor did."""
        check(lib.gs_module_reset_parameters(self._engine.handle))

    def _set_mode(self, mode):
        Module._set_mode(self, mode)
        check(lib.gs_module_train(self._engine.handle, c_bool(mode)))

    def __repr__(self):
        return read_string(lib.gs_module_describe, self._engine.handle)
