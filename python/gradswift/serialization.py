"""``gradswift.save`` and ``gradswift.load``: checkpoints as NumPy ``.npz`` files.

A checkpoint is a ZIP archive of ``.npy`` arrays stored without compression, in the format of
``docs/checkpoint-format.md``. The engine writes and reads the files (``gs_checkpoint_save_structured``
and ``gs_checkpoint_load``: the archive, the checksums, the atomic replacement and every check
of a damaged file are there, once); this module only turns Python objects into named arrays and
back. Each array is one member named ``<key>.npy``, so ``numpy.load(path)["fc1.weight"]`` reads
a saved ``state_dict()``. ``__gradswift__.npy`` holds the format version;
``__gradswift_structure__.npy`` describes, as UTF-8 JSON, how the arrays and the Python values
(dicts with str or int keys, lists, tuples, str, int, float, bool, None) nest.

Unlike ``torch.load``, ``load`` gives NumPy arrays where ``save`` was given arrays or Tensors:
the file stays NumPy-native, ``Module.load_state_dict`` and optimizers accept arrays, and the
arrays share the memory the engine read them into. Arrays are stored in their own dtype when
the engine has it, else converted as ``Tensor`` converts them (uint16 becomes int32, uint32 and
uint64 int64); NumPy scalars (``np.float32(1.5)``) come back as NumPy scalars. A file-system
failure raises the matching ``OSError`` (``FileNotFoundError``...); a damaged, truncated or
foreign file raises ``ValueError`` ("... is not a valid gradswift checkpoint: ...").
"""
import json
import math
import os
from collections import OrderedDict
from ctypes import c_char_p, c_int32, c_int64, c_uint64

import numpy as np

from ._convert import Owned, as_engine_array, new_handle, read_string, view
from ._lib import check, error, lib
from .tensor import Tensor

__all__ = ["save", "load", "FORMAT_VERSION"]

FORMAT_VERSION = 1  # the version the engine writes, and the newest it reads
_RESERVED = "__gradswift"
_MAX_RANK = 32  # the engine's limit


def save(obj, path):
    """Write ``obj`` to the file ``path`` (a str or path-like), replacing it atomically.

    ``obj`` may be a ``state_dict()`` (names to arrays or Tensors), an optimizer state dict or
    any nesting of dicts (str or int keys), lists, tuples, arrays, Tensors, NumPy scalars, str,
    int, float, bool and None. Everything is checked before the file is touched: an object that
    cannot be saved raises TypeError and leaves an existing file as it was. The engine writes a
    temporary file in the same directory, syncs it and renames it over ``path``.
    """
    path = os.fsdecode(os.fspath(path))
    encoder = _Encoder()
    tree = encoder.encode(obj, ())
    text = json.dumps(tree, allow_nan=False, separators=(",", ":"))
    # Tensors are written from their own memory; arrays are copied into the engine first (the
    # C ABI copies what it keeps), so saving arrays briefly holds a second copy of them.
    tensors = [value if isinstance(value, Tensor) else Owned(new_handle(*value)) for value in encoder.arrays.values()]
    count = len(tensors)
    names = (c_char_p * max(count, 1))(*[key.encode("utf-8") for key in encoder.arrays])
    handles = (c_uint64 * max(count, 1))(*[t._h if isinstance(t, Tensor) else t.handle for t in tensors])
    status = lib.gs_checkpoint_save_structured(names, handles, count, text.encode("utf-8"), _c_path(path))
    if status:
        raise _failure(status, path)


def load(path):
    """Read a checkpoint written by ``save``, ``gs_checkpoint_save`` or ``gs_module_save``.

    Returns the saved structure with NumPy arrays for arrays and Tensors; a file without a
    structure description (written by the engine, or by ``numpy.savez``) gives an OrderedDict
    of name to array in file order. Raises FileNotFoundError for a missing file and ValueError
    ("... is not a valid gradswift checkpoint: ...") for a damaged, truncated or foreign one.
    """
    path = os.fsdecode(os.fspath(path))
    checkpoint = _Checkpoint(path)
    arrays = OrderedDict()
    count = c_int64()
    check(lib.gs_checkpoint_count(checkpoint.handle, count))
    for i in range(count.value):
        name = read_string(lib.gs_checkpoint_name, checkpoint.handle, c_int64(i))
        out = c_uint64()
        check(lib.gs_checkpoint_tensor(checkpoint.handle, name.encode("utf-8"), out))
        arrays[name] = view(out.value)
    text = checkpoint.structure()
    if text is None:
        return arrays
    try:
        used = set()
        result = _decode(json.loads(text), arrays, used)
        unused = [k for k in arrays if k not in used]
        if unused:
            raise ValueError(f"members {unused} are not part of the saved structure")
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        raise ValueError(f"{path} is not a valid gradswift checkpoint: {exc}") from None
    return result


class _Checkpoint(Owned):
    """A checkpoint read by the engine (released when collected)."""

    __slots__ = ()
    release = staticmethod(lib.gs_checkpoint_release)

    def __init__(self, path):
        handle = c_uint64()
        status = lib.gs_checkpoint_load(_c_path(path), handle)
        if status:
            failure = _failure(status, path)
            # An array of an unsupported dtype makes the file an invalid checkpoint too.
            raise ValueError(str(failure)) if isinstance(failure, TypeError) else failure
        super().__init__(handle.value)

    def structure(self):
        """The structure text, or None when the file has none."""
        length = c_int64()
        check(lib.gs_checkpoint_structure(self.handle, None, 0, length))
        if length.value < 0:
            return None
        return read_string(lib.gs_checkpoint_structure, self.handle)


def _c_path(path):
    """``path`` as the C string the engine takes (ValueError for an embedded NUL, as ``open``)."""
    encoded = os.fsencode(path)
    if b"\0" in encoded:
        raise ValueError("embedded null byte")
    return encoded


def _failure(status, path):
    """The exception of a failed checkpoint call: the OSError of the file-system failure behind
    it (FileNotFoundError...), else the library's error."""
    code = c_int32()
    lib.gs_last_errno(code)
    if code.value:
        return OSError(code.value, lib.gs_last_error().decode("utf-8", "replace"), path)
    return error(status)


# ---- writing ---------------------------------------------------------------------------------

class _Encoder:
    """Turns an object into a JSON tree, collecting its arrays (member key -> Tensor, or
    (array, dtype code) for the other arrays).

    Tree nodes: JSON null, booleans, numbers and strings stand for themselves; the other values
    are one-key objects: ``{"array": key}`` (``"scalar": true`` added for a NumPy scalar),
    ``{"float": "nan" | "inf" | "-inf"}``, ``{"list": [...]}``, ``{"tuple": [...]}``,
    ``{"dict": [[key, value], ...]}`` and ``{"odict": [[key, value], ...]}``.
    """

    def __init__(self):
        self.arrays = OrderedDict()

    def encode(self, obj, path):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            return float(obj) if math.isfinite(obj) else {"float": repr(float(obj))}
        if isinstance(obj, Tensor):
            return {"array": self._add(obj, path)}
        if isinstance(obj, np.ndarray):
            return {"array": self._add(obj, path)}
        if isinstance(obj, np.generic):
            return {"array": self._add(np.asarray(obj), path), "scalar": True}
        if isinstance(obj, dict):
            pairs = []
            for key, value in obj.items():
                if isinstance(key, bool) or not isinstance(key, (str, int)):
                    raise TypeError(f"gradswift.save: dict keys must be str or int, got {key!r} "
                                    f"at {_where(path)}")
                pairs.append([key, self.encode(value, path + (key,))])
            return {"odict" if isinstance(obj, OrderedDict) else "dict": pairs}
        if isinstance(obj, (list, tuple)):
            items = [self.encode(value, path + (i,)) for i, value in enumerate(obj)]
            return {"list" if isinstance(obj, list) else "tuple": items}
        raise TypeError(f"gradswift.save: cannot save an object of type {type(obj).__name__} "
                        f"at {_where(path)}")

    def _add(self, value, path):
        """Stores ``value`` (a Tensor, or an array converted to ``(array, dtype code)``) under a
        fresh member key (its dotted path when that is free)."""
        if not isinstance(value, Tensor):
            try:
                value = as_engine_array(value)
            except (TypeError, OverflowError) as exc:
                raise TypeError(f"gradswift.save: cannot save the array at {_where(path)}: {exc}") from None
            if value[0].ndim > _MAX_RANK:
                raise ValueError(f"gradswift.save: the array at {_where(path)} has {value[0].ndim} dimensions "
                                 f"(checkpoints hold at most {_MAX_RANK})")
        base = ".".join(str(part) for part in path)
        if not _valid_key(base):
            base = "array"
        key, n = base, 0
        while key in self.arrays:
            n += 1
            key = f"{base}~{n}"
        self.arrays[key] = value
        return key


def _valid_key(key):
    """Whether ``key`` can name a member as it is."""
    if not key or "\0" in key or key.startswith(_RESERVED):
        return False
    try:
        return len(key.encode("utf-8")) <= 60000
    except UnicodeError:  # lone surrogates
        return False


def _where(path):
    """The location of a value inside the saved object, for error messages."""
    return "the top level" if not path else "key path " + " -> ".join(repr(p) for p in path)


# ---- reading ---------------------------------------------------------------------------------

def _decode(node, arrays, used):
    """The object a JSON tree node stands for (see _Encoder)."""
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if not isinstance(node, dict):
        raise ValueError(f"unexpected structure node {node!r}")
    if "array" in node:
        key = node["array"]
        if (not isinstance(key, str) or key not in arrays or key in used
                or set(node) - {"array", "scalar"}):
            raise ValueError(f"bad or repeated array reference {node!r}")
        used.add(key)
        if node.get("scalar", False) is True:
            if arrays[key].ndim != 0:
                raise ValueError(f"scalar '{key}' is not 0-d")
            return arrays[key][()]
        return arrays[key]
    if len(node) != 1:
        raise ValueError(f"unexpected structure node {node!r}")
    (tag, value), = node.items()
    if tag == "float" and value in ("nan", "inf", "-inf"):
        return float(value)
    if tag in ("list", "tuple") and isinstance(value, list):
        items = [_decode(item, arrays, used) for item in value]
        return items if tag == "list" else tuple(items)
    if tag in ("dict", "odict") and isinstance(value, list):
        result = {} if tag == "dict" else OrderedDict()
        for pair in value:
            if (not isinstance(pair, list) or len(pair) != 2 or isinstance(pair[0], bool)
                    or not isinstance(pair[0], (str, int))):
                raise ValueError(f"bad dict entry {pair!r}")
            result[pair[0]] = _decode(pair[1], arrays, used)
        return result
    raise ValueError(f"unexpected structure node {node!r}")
