"""Checkpoints: gradswift.save / gradswift.load, the engine's gs_checkpoint_* and gs_module_save /
gs_module_load on the same files, numpy.load on them, damaged files and atomic replacement.

PyDyNet 1.1 has no checkpoints, so the reference is PyTorch's behaviour (round trips of state
dicts and optimizer-like nested dicts) and NumPy (np.load reads every file; the engine's .npy
members are byte for byte what np.save writes).
"""
import ctypes
import io
import os
import subprocess
import sys
import textwrap
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import gradswift as gs
from gradswift._lib import check, lib
from gradswift.nn.modules.module import Module
from gradswift.nn.parameter import Parameter
from gradswift.tensor import wrap

ALL_DTYPES = (np.float32, np.float64, np.int64, np.bool_)


def sample_state():
    """A state dict with all four dtypes, a 0-d array, empty arrays and a Tensor."""
    rng = np.random.default_rng(7)
    return OrderedDict([
        ("fc1.weight", rng.standard_normal((3, 4)).astype(np.float32)),
        ("fc1.bias", rng.standard_normal(3)),
        ("bn.num_batches", np.array(17, dtype=np.int64)),
        ("mask", np.array([[True, False], [False, True]])),
        ("empty", np.zeros((0, 5), dtype=np.float32)),
        ("empty_int", np.zeros(0, dtype=np.int64)),
        ("tensor", gs.Tensor(np.arange(6.0).reshape(2, 3))),
    ])


def assert_same_array(got, want):
    want = np.asarray(want)
    assert isinstance(got, np.ndarray)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def assert_same_state(got, want):
    assert type(got) is type(want)
    assert list(got) == list(want)
    for key in want:
        assert_same_array(got[key], want[key])


# ---- engine access through ctypes --------------------------------------------------------

def engine_save(entries, path):
    """gs_checkpoint_save of (name, array) pairs."""
    tensors = [gs.Tensor(arr) for _, arr in entries]
    names = (ctypes.c_char_p * max(len(entries), 1))(*[name.encode() for name, _ in entries])
    handles = (ctypes.c_uint64 * max(len(entries), 1))(*[t._h for t in tensors])
    check(lib.gs_checkpoint_save(names, handles, len(entries), os.fsencode(path)))


def engine_load(path):
    """gs_checkpoint_load, read back as an OrderedDict of NumPy arrays."""
    ckpt = ctypes.c_uint64()
    check(lib.gs_checkpoint_load(os.fsencode(path), ckpt))
    try:
        count = ctypes.c_int64()
        check(lib.gs_checkpoint_count(ckpt.value, count))
        result = OrderedDict()
        for i in range(count.value):
            length = ctypes.c_int64()
            check(lib.gs_checkpoint_name(ckpt.value, i, None, 0, length))
            buffer = ctypes.create_string_buffer(length.value + 1)
            check(lib.gs_checkpoint_name(ckpt.value, i, buffer, len(buffer), length))
            out = ctypes.c_uint64()
            check(lib.gs_checkpoint_tensor(ckpt.value, buffer.value, out))
            result[buffer.value.decode()] = wrap(out.value).numpy()
        return result
    finally:
        check(lib.gs_checkpoint_release(ckpt.value))


def engine_error(path):
    """The error gs_checkpoint_load raises for ``path`` (fails the test when it succeeds)."""
    with pytest.raises((ValueError, TypeError)) as info:
        engine_load(path)
    return str(info.value)


# ---- round trips ---------------------------------------------------------------------------

def test_state_dict_round_trip(tmp_path):
    state = sample_state()
    path = tmp_path / "model.npz"
    gs.save(state, path)
    loaded = gs.load(path)
    want = OrderedDict((k, np.asarray(v.numpy() if isinstance(v, gs.Tensor) else v))
                       for k, v in state.items())
    assert_same_state(loaded, want)
    gs.save(state, os.fsencode(tmp_path / "bytes.npz"))  # str, bytes and path-like paths
    assert_same_state(gs.load(str(tmp_path / "bytes.npz")), want)
    # plain NumPy reads it, one key per parameter plus the format's two members
    with np.load(path) as npz:
        assert list(npz.keys()) == ["__gradswift__", "__gradswift_structure__", *state]
        assert_same_array(npz["fc1.weight"], state["fc1.weight"])
        assert_same_array(npz["__gradswift__"], np.array([1]))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (5,), (2, 0, 3), (2, 3, 4)])
def test_every_dtype_and_shape_round_trips(tmp_path, dtype, shape):
    arr = np.asarray(np.random.default_rng(3).standard_normal(shape) * 100).astype(dtype)
    gs.save({"x": arr}, tmp_path / "a.npz")
    assert_same_array(gs.load(tmp_path / "a.npz")["x"], arr)
    # the engine reads what Python wrote, and Python what the engine wrote
    assert_same_array(engine_load(tmp_path / "a.npz")["x"], arr)
    engine_save([("x", arr)], tmp_path / "b.npz")
    assert_same_array(gs.load(tmp_path / "b.npz")["x"], arr)


def test_nested_optimizer_state_round_trip(tmp_path):
    state = {
        "state": {0: {"step": 3, "exp_avg": np.full((2, 2), 0.5), "lr_scale": np.float32(0.25)},
                  1: {"step": 3, "exp_avg": np.zeros(3, np.float32), "flag": np.bool_(True)}},
        "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0,
                          "amsgrad": False, "params": [0, 1], "name": "körper", "none": None,
                          "nan": float("nan"), "inf": float("inf"), "ninf": float("-inf"),
                          "huge": 2 ** 80}],
        "tuple_of_arrays": (np.arange(3), np.array(2.5)),
    }
    gs.save(state, tmp_path / "opt.npz")
    got = gs.load(tmp_path / "opt.npz")
    assert type(got) is dict and list(got) == list(state)
    assert list(got["state"]) == [0, 1]  # int keys stay ints
    assert got["state"][0]["step"] == 3 and type(got["state"][0]["step"]) is int
    assert_same_array(got["state"][0]["exp_avg"], state["state"][0]["exp_avg"])
    assert type(got["state"][0]["lr_scale"]) is np.float32 and got["state"][0]["lr_scale"] == 0.25
    assert type(got["state"][1]["flag"]) is np.bool_ and got["state"][1]["flag"]
    group, want = got["param_groups"][0], state["param_groups"][0]
    assert isinstance(got["param_groups"], list) and group["betas"] == (0.9, 0.999)
    for key in ("lr", "eps", "weight_decay", "amsgrad", "params", "name", "none", "inf", "ninf", "huge"):
        assert group[key] == want[key] and type(group[key]) is type(want[key])
    assert np.isnan(group["nan"])
    assert isinstance(got["tuple_of_arrays"], tuple)
    assert_same_array(got["tuple_of_arrays"][1], np.array(2.5))
    # arrays are members named by their key path
    with np.load(tmp_path / "opt.npz") as npz:
        assert_same_array(npz["state.0.exp_avg"], state["state"][0]["exp_avg"])
        assert_same_array(npz["tuple_of_arrays.0"], np.arange(3))


def test_colliding_and_reserved_keys_round_trip(tmp_path):
    state = {"a.b": np.ones(2), "a": {"b": np.zeros(2)}, "__gradswift__": np.arange(2),
             "": np.array(1.0), "nul\0key": np.array(2.0)}
    gs.save(state, tmp_path / "c.npz")
    got = gs.load(tmp_path / "c.npz")
    assert list(got) == list(state)
    assert_same_array(got["a.b"], np.ones(2))
    assert_same_array(got["a"]["b"], np.zeros(2))
    assert_same_array(got["__gradswift__"], np.arange(2))
    assert_same_array(got[""], np.array(1.0))
    assert_same_array(got["nul\0key"], np.array(2.0))


def test_other_dtypes_convert_like_tensors(tmp_path):
    narrow = {name: np.arange(3, dtype=name) for name in ("float16", "int8", "uint8", "int16", "int32")}
    gs.save({**narrow, "u16": np.arange(3, dtype=np.uint16), "u32": np.arange(3, dtype=np.uint32),
             "f": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
             "be": np.arange(3, dtype=">f8")}, tmp_path / "d.npz")
    got = gs.load(tmp_path / "d.npz")
    for name, array in narrow.items():  # the engine's own dtypes are kept
        assert_same_array(got[name], array)
    assert got["u16"].dtype == np.int32 and got["u32"].dtype == np.int64
    assert np.load(tmp_path / "d.npz")["uint8"].dtype == np.uint8  # NumPy reads them back too
    assert_same_array(got["f"], np.arange(6.0).reshape(2, 3))
    assert_same_array(got["be"], np.arange(3.0))
    for bad in ({"c": np.ones(2, complex)}, {"o": np.array([object()])}, {"s": object()},
                {(1, 2): np.ones(1)}, {True: 1}, [np.ones((1,) * 33)]):
        with pytest.raises((TypeError, ValueError), match="gradswift.save"):
            gs.save(bad, tmp_path / "bad.npz")
    assert not (tmp_path / "bad.npz").exists()


def test_engine_members_match_numpy_save_byte_for_byte(tmp_path):
    entries = [("w", np.arange(12, dtype=np.float32).reshape(3, 4)), ("s", np.array(-1.5)),
               ("i", np.array([1, -2, 3], np.int64)), ("b", np.array([True, False])),
               ("e", np.zeros((0, 2), np.float64)), ("café", np.ones((1, 1, 1), np.float32))]
    engine_save(entries, tmp_path / "e.npz")
    with zipfile.ZipFile(tmp_path / "e.npz") as archive:
        assert archive.testzip() is None
        assert [i.filename for i in archive.infolist()] == ["__gradswift__.npy"] + [n + ".npy" for n, _ in entries]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in archive.infolist())
        for name, arr in entries:
            buf = io.BytesIO()
            np.save(buf, arr)
            assert archive.read(name + ".npy") == buf.getvalue()
    loaded = gs.load(tmp_path / "e.npz")
    assert_same_state(loaded, OrderedDict(entries))
    with np.load(tmp_path / "e.npz") as npz:
        for name, arr in entries:
            assert_same_array(npz[name], arr)


def test_engine_reads_nested_python_checkpoint_arrays(tmp_path):
    gs.save({"state": {0: {"m": np.ones(2)}}, "lr": 0.1}, tmp_path / "n.npz")
    got = engine_load(tmp_path / "n.npz")
    assert list(got) == ["state.0.m"]
    assert_same_array(got["state.0.m"], np.ones(2))


def test_engine_reads_numpy_savez(tmp_path):
    np.savez(tmp_path / "plain.npz", a=np.arange(4, dtype=np.int64), b=np.eye(2, dtype=np.float32))
    got = engine_load(tmp_path / "plain.npz")
    assert_same_state(got, OrderedDict(a=np.arange(4, dtype=np.int64), b=np.eye(2, dtype=np.float32)))
    assert_same_state(gs.load(tmp_path / "plain.npz"), got)


def test_engine_save_validates_names(tmp_path):
    for names, message in ((["a", "a"], "twice"), (["__gradswift__x"], "reserved"), ([""], "non-empty")):
        with pytest.raises(ValueError, match=message):
            engine_save([(n, np.ones(1)) for n in names], tmp_path / "x.npz")
    assert os.listdir(tmp_path) == []


# ---- modules ---------------------------------------------------------------------------------

class TwoParams(Module):
    """A user module with two parameters and a sub-module."""

    def __init__(self, seed):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.weight = Parameter(gs.Tensor(rng.standard_normal((2, 3)).astype(np.float32)))
        self.inner = Module()
        self.inner.bias = Parameter(gs.Tensor(rng.standard_normal(3)))


def test_module_state_dict_through_a_file(tmp_path):
    a, b = TwoParams(1), TwoParams(2)
    gs.save(a.state_dict(), tmp_path / "m.npz")
    b.load_state_dict(gs.load(tmp_path / "m.npz"))
    np.testing.assert_array_equal(b.weight.data, a.weight.data)
    np.testing.assert_array_equal(b.inner.bias.data, a.inner.bias.data)
    assert engine_load(tmp_path / "m.npz").keys() == a.state_dict().keys()


@pytest.mark.parametrize("damage", ["missing", "unexpected", "shape", "dtype"])
def test_failed_load_state_dict_changes_nothing(tmp_path, damage):
    model = TwoParams(1)
    before = {k: v.copy() for k, v in model.state_dict().items()}
    state = TwoParams(2).state_dict()
    if damage == "missing":
        del state["inner.bias"]
    elif damage == "unexpected":
        state["extra"] = np.ones(1)
    elif damage == "shape":
        state["inner.bias"] = np.ones(4)
    else:  # strings cannot be saved: the dict is given directly
        state["inner.bias"] = np.array(["a", "b", "c"])
    if damage != "dtype":
        gs.save(state, tmp_path / "s.npz")
        state = gs.load(tmp_path / "s.npz")
    with pytest.raises((KeyError, ValueError, TypeError), match="load_state_dict"):
        model.load_state_dict(state)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_engine_module_save_and_load(tmp_path):
    seq = ctypes.c_uint64()
    check(lib.gs_sequential_new(None, 0, seq))
    try:
        path = os.fsencode(tmp_path / "seq.npz")
        check(lib.gs_module_save(seq.value, path))  # no parameters: only the version member
        with np.load(tmp_path / "seq.npz") as npz:
            assert list(npz.keys()) == ["__gradswift__"]
        assert gs.load(tmp_path / "seq.npz") == OrderedDict()
        check(lib.gs_module_load(seq.value, path))
        gs.save({"w": np.ones(2)}, tmp_path / "other.npz")
        assert lib.gs_module_load(seq.value, os.fsencode(tmp_path / "other.npz")) != 0
        assert b"unexpected 'w'" in lib.gs_last_error()
    finally:
        check(lib.gs_module_release(seq.value))


# ---- damaged files ---------------------------------------------------------------------------

def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        gs.load(tmp_path / "nope.npz")
    assert "no such file" in engine_error(tmp_path / "nope.npz")


def not_valid(path):
    """Both readers reject ``path``; returns the two messages."""
    with pytest.raises(ValueError, match="is not a valid gradswift checkpoint") as info:
        gs.load(path)
    return str(info.value), engine_error(path)


def test_wrong_magic(tmp_path):
    (tmp_path / "text.npz").write_bytes(b"this is not a zip archive at all, just text" * 3)
    assert "end-of-central-directory" in not_valid(tmp_path / "text.npz")[1]
    (tmp_path / "empty.npz").write_bytes(b"")
    not_valid(tmp_path / "empty.npz")
    # a ZIP whose member is not a .npy array (CRC intact)
    with zipfile.ZipFile(tmp_path / "npy.npz", "w") as archive:
        archive.writestr("x.npy", b"\x93NUMPZ\x01\x00" + b"\0" * 100)
    py, engine = not_valid(tmp_path / "npy.npz")
    assert "x.npy" in py and "bad magic" in engine


def test_truncated_file(tmp_path):
    gs.save(sample_state(), tmp_path / "full.npz")
    data = (tmp_path / "full.npz").read_bytes()
    for size in sorted({0, 1, 21, 22, len(data) // 2, len(data) - 22, len(data) - 1}):
        (tmp_path / "cut.npz").write_bytes(data[:size])
        not_valid(tmp_path / "cut.npz")


def test_flipped_byte_is_a_crc_error(tmp_path):
    engine_save([("w", np.arange(64, dtype=np.float64))], tmp_path / "w.npz")
    data = bytearray((tmp_path / "w.npz").read_bytes())
    at = data.index(np.arange(64, dtype=np.float64)[10:12].tobytes())  # inside the array data
    data[at] ^= 0x01
    (tmp_path / "flip.npz").write_bytes(bytes(data))
    py, engine = not_valid(tmp_path / "flip.npz")
    assert "CRC" in py and "CRC-32 mismatch in member 'w.npy'" in engine


def test_every_truncation_and_byte_flip_is_caught_or_harmless(tmp_path):
    """No damage crashes either reader; a damaged file either fails cleanly or (for bytes
    no reader uses, such as timestamps) still gives exactly the saved values."""
    state = OrderedDict(a=np.array([1.5, -2.0], np.float32), b=np.array([True]), c=np.array(7))
    engine_save(list(state.items()), tmp_path / "small.npz")
    data = (tmp_path / "small.npz").read_bytes()
    damaged = tmp_path / "damaged.npz"
    for size in range(len(data)):
        damaged.write_bytes(data[:size])
        not_valid(damaged)
    for at in range(len(data)):
        flipped = bytearray(data)
        flipped[at] ^= 0x10
        damaged.write_bytes(bytes(flipped))
        for reader in (gs.load, engine_load):
            try:
                got = reader(damaged)
            except (ValueError, TypeError):
                continue
            assert_same_state(got, state)


def _zip_with(members, path, **kwargs):
    with zipfile.ZipFile(path, "w", **kwargs) as archive:
        for name, raw in members:
            archive.writestr(name, raw)


def _npy(arr):
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def test_unsupported_contents(tmp_path):
    cases = {
        "uint16": [("x.npy", _npy(np.arange(3, dtype=np.uint16)))],
        "bigendian": [("x.npy", _npy(np.arange(3, dtype=">f8")))],
        "fortran": [("x.npy", _npy(np.asfortranarray(np.ones((2, 3)))))],
        "notnpy": [("x.txt", b"hello")],
        "extra": [("x.npy", _npy(np.ones(2)) + b"\0")],
        "short": [("x.npy", _npy(np.ones(2))[:-1])],
        "badheader": [("x.npy", _npy(np.ones(2)).replace(b"'shape': (2,)", b"'shape': (2) "))],
        "reserved": [("__gradswift_other__.npy", _npy(np.ones(1)))],
    }
    for label, members in cases.items():
        _zip_with(members, tmp_path / f"{label}.npz")
        py, engine = not_valid(tmp_path / f"{label}.npz")
        assert "x.npy" in engine or label in ("notnpy", "reserved"), (label, engine)
    _zip_with([("x.npy", _npy(np.ones(2)))], tmp_path / "deflated.npz", compression=zipfile.ZIP_DEFLATED)
    py, engine = not_valid(tmp_path / "deflated.npz")
    assert "compressed" in py and "compressed member 'x.npy'" in engine
    assert "unsupported dtype '<u2'" in not_valid(tmp_path / "uint16.npz")[1]


def test_newer_format_version_is_refused(tmp_path):
    _zip_with([("__gradswift__.npy", _npy(np.array([2], np.int64))), ("x.npy", _npy(np.ones(1)))],
              tmp_path / "v2.npz")
    with pytest.raises(ValueError, match="newer gradswift.*format version 2"):
        gs.load(tmp_path / "v2.npz")
    assert "format version 2 is newer" in engine_error(tmp_path / "v2.npz")


# ---- atomic replacement ----------------------------------------------------------------------

def _only(tmp_path, *names):
    assert sorted(os.listdir(tmp_path)) == sorted(names)


def test_failed_encoding_leaves_previous_file(tmp_path):
    path = tmp_path / "ckpt.npz"
    gs.save({"w": np.ones(3)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match="cannot save an object of type object at key path 'x' -> 0"):
        gs.save({"w": np.zeros(3), "x": [object()]}, path)
    assert path.read_bytes() == before
    _only(tmp_path, "ckpt.npz")


@pytest.fixture(scope="module")
def fault_library(tmp_path_factory):
    """fault_injection.c built as a shared library, to be preloaded into a child process."""
    out = tmp_path_factory.mktemp("fault") / "fault_injection.so"
    source = os.path.join(os.path.dirname(__file__), "fault_injection.c")
    subprocess.run(["cc", "-shared", "-fPIC", "-O1", "-o", str(out), source, "-ldl"], check=True)
    return out


def save_with_fault(fault_library, fault, obj, path):
    """gs.save(obj, path) in a child process whose file-system calls on the temporary file fail
    as GS_FAULT says (see fault_injection.c); returns the exception it raised, as text."""
    script = textwrap.dedent(f"""
        import numpy as np
        import gradswift as gs
        try:
            gs.save({obj!r}, {str(path)!r})
            print("saved")
        except OSError as exc:
            print(type(exc).__name__, exc)
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), LD_PRELOAD=str(fault_library), GS_FAULT=fault)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_failure_while_writing_leaves_previous_file(tmp_path, fault_library):
    path = tmp_path / "ckpt.npz"
    gs.save({"w": np.ones(3)}, path)
    before = path.read_bytes()
    obj = {"w": [0.0, 0.0, 0.0], "v": [0.0, 0.0]}
    # the archive half written (a partial write, then an error), a failed sync, a failed rename
    for fault, message in [("write:2", "Input/output error"), ("fsync", "cannot sync"), ("rename", "cannot replace")]:
        outcome = save_with_fault(fault_library, fault, obj, path)
        assert outcome.startswith("OSError") and message in outcome, (fault, outcome)
        assert path.read_bytes() == before
        _only(tmp_path, "ckpt.npz")


def test_directory_that_disappears(tmp_path, fault_library):
    with pytest.raises(FileNotFoundError):
        gs.save({"w": np.ones(1)}, tmp_path / "missing" / "x.npz")
    with pytest.raises(ValueError, match="cannot create"):
        engine_save([("w", np.ones(1))], tmp_path / "missing" / "x.npz")
    # the directory is removed while the archive is being written
    gone = tmp_path / "gone"
    gone.mkdir()
    outcome = save_with_fault(fault_library, "vanish", {"w": [1.0]}, gone / "x.npz")
    assert outcome.startswith("FileNotFoundError"), outcome
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("writer", ["python", "engine"])
def test_write_error_mid_file_leaves_previous_file(tmp_path, writer):
    """A file-size limit (RLIMIT_FSIZE) makes write() fail halfway through a large save."""
    path = tmp_path / "big.npz"
    gs.save({"w": np.ones(4)}, path)
    before = path.read_bytes()
    script = textwrap.dedent(f"""
        import ctypes, resource, signal, sys
        import numpy as np
        import gradswift as gs
        from gradswift._lib import lib
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))
        big = np.ones(100_000)
        if {writer!r} == "python":
            try:
                gs.save({{"w": big}}, {str(path)!r})
            except OSError as exc:
                print("failed:", exc)
        else:
            t = gs.Tensor(big)
            st = lib.gs_checkpoint_save((ctypes.c_char_p * 1)(b"w"), (ctypes.c_uint64 * 1)(t._h), 1,
                                        {os.fsencode(path)!r})
            print("failed:" if st else "saved", lib.gs_last_error().decode())
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("failed:") and "too large" in out.stdout, out.stdout
    assert path.read_bytes() == before
    _only(tmp_path, "big.npz")


# ---- a writer killed mid-save ----------------------------------------------------------------

KILLED_WRITER = """
import sys, numpy as np, gradswift as gs
path = sys.argv[1]
versions = [{"w": np.full((1500, 1000), float(v)), "step": v} for v in (1, 2)]
print("ready", flush=True)
i = 0
while True:                       # rewrite the file forever, alternating the two versions
    gs.save(versions[i % 2], path)
    i += 1
"""


@pytest.mark.parametrize("delay", [0.05, 0.13, 0.29, 0.41, 0.6])
def test_writer_killed_mid_save_leaves_a_complete_file(tmp_path, delay):
    """SIGKILL at arbitrary moments of a loop of 12 MB saves: the file is always one whole
    version (the rename is atomic), never a torn mix."""
    path = tmp_path / "state.npz"
    gs.save({"w": np.full((1500, 1000), 0.0), "step": 0}, path)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    writer = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(path)], stdout=subprocess.PIPE, env=env)
    assert writer.stdout.readline().strip() == b"ready"
    import time
    time.sleep(delay)
    writer.kill()
    writer.wait()
    state = gs.load(path)
    step = int(state["step"])
    assert step in (0, 1, 2)
    # a killed writer may leave its temporary file, named apart from the checkpoint
    assert all(p.name == "state.npz" or p.name.startswith("state.npz.tmp-") for p in tmp_path.iterdir())
    np.testing.assert_array_equal(np.asarray(state["w"]), np.full((1500, 1000), float(step)))
