"""``gradswift.save`` and ``gradswift.load``: checkpoints as NumPy ``.npz`` files.

A checkpoint is a ZIP archive of ``.npy`` arrays stored without compression (the format of
``docs/checkpoint-format.md``, which the engine's ``gs_checkpoint_*`` and ``gs_module_save`` /
``gs_module_load`` functions read and write too). Each array is one member named ``<key>.npy``,
so ``numpy.load(path)["fc1.weight"]`` reads a saved ``state_dict()``. ``__gradswift__.npy`` holds
the format version; ``__gradswift_structure__.npy`` describes, as UTF-8 JSON, how the arrays and
the Python values (dicts with str or int keys, lists, tuples, str, int, float, bool, None) nest.

Unlike ``torch.load``, ``load`` gives NumPy arrays where ``save`` was given arrays or Tensors:
the file stays NumPy-native, ``Module.load_state_dict`` and optimizers accept arrays, and
nothing is allocated in the engine until it is needed. Arrays are stored as float32, float64,
int64 or bool, converted as ``Tensor`` converts them (other integer types become int64, float16
becomes float32); NumPy scalars (``np.float32(1.5)``) come back as NumPy scalars.
"""
import errno
import io
import json
import math
import os
import secrets
import struct
import tokenize
import zipfile
from collections import OrderedDict

import numpy as np

from ._convert import as_engine_array
from .tensor import Tensor

__all__ = ["save", "load", "FORMAT_VERSION"]

FORMAT_VERSION = 1  # the version written, and the newest read
_METADATA = "__gradswift__"
_STRUCTURE = "__gradswift_structure__"
_RESERVED = "__gradswift"
_NPY_MAGIC = b"\x93NUMPY\x01\x00"
_DTYPES = ("<f4", "<f8", "<i8", "|b1")
_MAX_RANK = 32  # the engine's limit
# What a damaged file can raise while it is parsed; each becomes "... is not a valid checkpoint".
_PARSE_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, KeyError,
                 IndexError, TypeError, struct.error, UnicodeError, NotImplementedError,
                 OverflowError, RecursionError, RuntimeError, SyntaxError, tokenize.TokenError)


def save(obj, path):
    """Write ``obj`` to the file ``path`` (a str or path-like), replacing it atomically.

    ``obj`` may be a ``state_dict()`` (names to arrays or Tensors), an optimizer state dict or
    any nesting of dicts (str or int keys), lists, tuples, arrays, Tensors, NumPy scalars, str,
    int, float, bool and None. Everything is checked before the file is touched: an object that
    cannot be saved raises TypeError and leaves an existing file as it was. The data go to a
    temporary file in the same directory, which is synced and renamed over ``path``.
    """
    path = os.fsdecode(os.fspath(path))
    encoder = _Encoder()
    tree = encoder.encode(obj, ())
    text = json.dumps(tree, allow_nan=False, separators=(",", ":"))
    members = [(_METADATA, np.array([FORMAT_VERSION], dtype="<i8")),
               (_STRUCTURE, np.frombuffer(text.encode("utf-8"), dtype=np.uint8))]
    members += encoder.arrays.items()
    _write_atomically(path, members)


def load(path):
    """Read a checkpoint written by ``save``, ``gs_checkpoint_save`` or ``gs_module_save``.

    Returns the saved structure with NumPy arrays for arrays and Tensors; a file without a
    structure description (written by the engine, or by ``numpy.savez``) gives an OrderedDict
    of name to array in file order. Raises FileNotFoundError for a missing file and ValueError
    ("... is not a valid gradswift checkpoint: ...") for a damaged, truncated or foreign one.
    """
    path = os.fsdecode(os.fspath(path))
    with open(path, "rb") as file:
        raw = file.read()
    try:
        return _read(raw)
    except _NewerFormat as exc:
        raise ValueError(f"{path} was written by a newer gradswift: {exc}") from None
    except _PARSE_ERRORS as exc:
        raise ValueError(f"{path} is not a valid gradswift checkpoint: {exc}") from None


# ---- writing ---------------------------------------------------------------------------------

class _Encoder:
    """Turns an object into a JSON tree, collecting its arrays (member key -> array).

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
            return {"array": self._add(obj.data, path)}
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
        """Stores ``value`` under a fresh member key (its dotted path when that is free)."""
        try:
            arr, _ = as_engine_array(value)
        except (TypeError, OverflowError) as exc:
            raise TypeError(f"gradswift.save: cannot save the array at {_where(path)}: {exc}") from None
        if arr.ndim > _MAX_RANK:
            raise ValueError(f"gradswift.save: the array at {_where(path)} has {arr.ndim} dimensions "
                             f"(checkpoints hold at most {_MAX_RANK})")
        arr = np.asarray(arr, dtype=arr.dtype.newbyteorder("<"))
        base = ".".join(str(part) for part in path)
        if not _valid_key(base):
            base = "array"
        key, n = base, 0
        while key in self.arrays:
            n += 1
            key = f"{base}~{n}"
        self.arrays[key] = arr
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


def _write_atomically(path, members):
    """Writes the archive to a temporary file next to ``path``, syncs it and renames it over
    ``path``, then syncs the directory; on failure the temporary file is removed."""
    temp = f"{path}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as file:
            # allowZip64=False: a member or archive beyond 4 GiB raises instead of using ZIP64.
            with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED, allowZip64=False) as archive:
                for key, arr in members:
                    info = zipfile.ZipInfo(key + ".npy")  # stored, dated 1980-01-01 as the engine
                    info.external_attr = 0o100644 << 16
                    with archive.open(info, "w") as member:
                        np.lib.format.write_array(member, arr, version=(1, 0), allow_pickle=False)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    directory = os.open(os.path.dirname(path) or ".", os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(directory)
    except OSError as exc:  # some file systems cannot sync a directory
        if exc.errno != errno.EINVAL:
            raise
    finally:
        os.close(directory)


# ---- reading ---------------------------------------------------------------------------------

class _NewerFormat(Exception):
    """The file's format version is newer than FORMAT_VERSION."""


def _read(raw):
    """Parses the bytes of a checkpoint file; damage raises one of _PARSE_ERRORS."""
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        members = OrderedDict()
        for info in archive.infolist():
            name = info.filename
            if info.flag_bits & 0x41:
                raise ValueError(f"member '{name}' is encrypted")
            if info.compress_type != zipfile.ZIP_STORED:
                raise ValueError(f"member '{name}' is compressed (method {info.compress_type}); "
                                 "only stored members are read")
            if not name.endswith(".npy") or name == ".npy":
                raise ValueError(f"member '{name}' is not a .npy array")
            if name[:-4] in members:
                raise ValueError(f"member '{name}' appears twice")
            members[name[:-4]] = info
        _check_layout(raw, archive.infolist())

        def array(key):
            return _parse_npy(archive.read(members[key]), key)  # read() checks the CRC-32

        if _METADATA in members:
            meta = array(_METADATA)
            if meta.dtype != np.int64 or meta.ndim != 1 or meta.size < 1:
                raise ValueError(f"'{_METADATA}.npy' must be a non-empty 1-D int64 array")
            version = int(meta[0])
            if version < 1:
                raise ValueError(f"format version {version} is invalid")
            if version > FORMAT_VERSION:
                raise _NewerFormat(f"format version {version}, this gradswift reads up to "
                                   f"{FORMAT_VERSION}; upgrade gradswift")
        arrays = OrderedDict()
        for key in members:
            if key in (_METADATA, _STRUCTURE):
                continue
            if key.startswith(_RESERVED):
                raise ValueError(f"unknown reserved member '{key}.npy'")
            arrays[key] = array(key)
        if _STRUCTURE not in members:
            return arrays
        text = _parse_npy(archive.read(members[_STRUCTURE]), _STRUCTURE, structure=True)
        used = set()
        result = _decode(json.loads(text.tobytes().decode("utf-8")), arrays, used)
        unused = [k for k in arrays if k not in used]
        if unused:
            raise ValueError(f"members {unused} are not part of the saved structure")
        return result


def _check_layout(raw, infos):
    """The checks of the engine's reader that zipfile skips (it stops quietly at a damaged
    directory entry, for one): the end record closes the file, the central directory ends where
    it begins and lists every member, no ZIP64, and the members lie one after the other before
    the directory without overlapping."""
    start = max(0, len(raw) - 22 - 0xFFFF)
    end = next((at for at in range(len(raw) - 22, start - 1, -1)
                if raw[at:at + 4] == b"PK\x05\x06"
                and struct.unpack_from("<H", raw, at + 20)[0] == len(raw) - 22 - at), None)
    if end is None:
        raise ValueError("no ZIP end-of-central-directory record (not a ZIP archive, or truncated)")
    if end >= 20 and raw[end - 20:end - 16] == b"PK\x06\x07":
        raise ValueError("ZIP64 archive (only archives below 4 GiB without ZIP64 are read)")
    disk, directory_disk, on_disk, total, size, offset = struct.unpack_from("<4H2L", raw, end + 4)
    if (disk, directory_disk) != (0, 0) or on_disk != total or total != len(infos):
        raise ValueError(f"the end record lists {total} members, the central directory {len(infos)}")
    if offset + size != end:
        raise ValueError("the central directory does not end where the end record begins: "
                         "truncated or damaged")
    previous_end = 0
    for info in sorted(infos, key=lambda i: i.header_offset):
        at = info.header_offset
        if at < previous_end or at + 30 > offset or info.compress_size != info.file_size:
            raise ValueError(f"member '{info.filename}' overlaps another one or the directory")
        extra = info.extra
        while len(extra) >= 4:
            block, length = struct.unpack_from("<2H", extra)
            if block == 1:
                raise ValueError(f"ZIP64 member '{info.filename}'")
            extra = extra[4 + length:]
        name_length, extra_length = struct.unpack_from("<2H", raw, at + 26)
        previous_end = at + 30 + name_length + extra_length + info.file_size
        if previous_end > offset:
            raise ValueError(f"member '{info.filename}' runs past the start of the central "
                             "directory: truncated or damaged")


def _parse_npy(raw, key, structure=False):
    """The array in the bytes ``raw`` of member ``key``: a version 1.0 ``.npy`` of an engine
    dtype (uint8 for the structure member), C order, with exactly the data its header implies."""
    if raw[:8] != _NPY_MAGIC:
        raise ValueError(f"member '{key}.npy' is not a version 1.0 .npy array")
    fp = io.BytesIO(raw)
    fp.seek(8)
    shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(fp)
    where = f"member '{key}.npy'"
    if fortran_order:
        raise ValueError(f"{where} is in Fortran order (only C order is read)")
    allowed = ("|u1",) if structure else _DTYPES
    if dtype.str not in allowed or (structure and len(shape) != 1):
        raise ValueError(f"{where} has an unsupported dtype or shape: {dtype.str} {shape}")
    if len(shape) > _MAX_RANK:
        raise ValueError(f"{where} has {len(shape)} dimensions (at most {_MAX_RANK} are read)")
    count = math.prod(shape)
    offset = fp.tell()
    if len(raw) - offset != count * dtype.itemsize:
        raise ValueError(f"{where}: a {dtype.str} array of shape {shape} needs "
                         f"{count * dtype.itemsize} data bytes, the member has {len(raw) - offset}")
    if dtype.str == "|b1":  # any nonzero byte is true
        return (np.frombuffer(raw, np.uint8, count, offset) != 0).reshape(shape)
    return np.frombuffer(raw, dtype, count, offset).reshape(shape).copy()


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
