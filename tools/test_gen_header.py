"""Tests of tools/gen_header.py on a small hand-made package (no Swift build needed).

    python3 -m pytest tools -q
"""
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_header as g  # noqa: E402

# What `swiftc -emit-clang-header-path` writes for the sources below (trimmed to the block the
# generator reads): sorted by name, Swift macros, nullability, doc comments as HTML.
COMPILER_HEADER = r'''
#if defined(__cplusplus)
extern "C" {
#endif

/// Element types.
typedef SWIFT_ENUM(int32_t, gs_dtype, closed) {
/// 32-bit float.
  gs_dtypeFloat32 = 0,
  gs_dtypeInt64 = 2,
};

typedef SWIFT_ENUM(int32_t, gs_status, closed) {
  gs_statusOk = 0,
  gs_statusInvalidHandle = -1,
  gs_statusDtypeError = -4,
};

/// Adds <code>a</code> and b.
SWIFT_EXTERN int32_t gs_add(uint64_t a, uint64_t b, uint64_t * _Nullable out_) SWIFT_NOEXCEPT SWIFT_WARN_UNUSED_RESULT;

SWIFT_EXTERN int32_t gs_astype(uint64_t t, SWIFT_ENUM_TAG gs_dtype dtype, uint64_t * _Nullable resultHandle) SWIFT_NOEXCEPT SWIFT_WARN_UNUSED_RESULT;

/// The last error.
SWIFT_EXTERN char const * _Nullable gs_last_error(void) SWIFT_NOEXCEPT SWIFT_WARN_UNUSED_RESULT;

SWIFT_EXTERN int32_t gs_names(char const * _Nullable * _Nullable names, void * _Nullable * _Nullable data, int32_t (* _Nullable callback)(int32_t, double)) SWIFT_NOEXCEPT SWIFT_WARN_UNUSED_RESULT;

#if defined(__cplusplus)
} // extern "C"
#endif
'''

TYPES_SWIFT = '''
/// Element types.
@c public enum gs_dtype: Int32 {
    /// 32-bit float.
    case float32 = 0
    case int64 = 2
}

/** Status codes. */
@c public enum gs_status: Int32 {
    case ok = 0, invalidHandle = -1
    case dtypeError = -4
}
'''

API_SWIFT = '''
let message = "not a declaration: @c(gs_fake) public func gs_fake() \\(f("x // y"))"
/* @c(gs_commented) public func gs_commented() */

/// The last error.
@c(gs_last_error) public func gs_last_error() -> UnsafePointer<CChar>? { nil }

/// Adds `a` and b.
@c(gs_add)
@inline(never)
public func gs_add(_ a: UInt64, _ b: UInt64, _ out: UnsafeMutablePointer<UInt64>?) -> Int32 { 0 }

@c public func gs_astype(_ t: UInt64, _ dtype: gs_dtype, _ resultHandle: UnsafeMutablePointer<UInt64>?) -> Int32 { 0 }

/// Callback test.
@c(gs_names) public func gs_names(_ names: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
    _ data: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
    _ callback: (@convention(c) (Int32, Double) -> Int32)?) -> Int32 { 0 }
'''


@pytest.mark.parametrize("swift_c, plain", [
    ("char const * _Nullable", "const char *"),
    ("char const * _Nullable * _Nullable", "const char **"),
    ("void * _Nullable * _Nullable", "void **"),
    ("int64_t const * _Nonnull", "const int64_t *"),
    ("SWIFT_ENUM_TAG gs_dtype", "gs_dtype"),
    ("uint64_t", "uint64_t"),
])
def test_normalise_type(swift_c, plain):
    assert g.normalise_type(swift_c) == plain


def test_names():
    assert g.restore_name("out_") == "out"
    assert g.restore_name("new_") == "new_"  # a C++ keyword keeps the compiler's underscore
    assert g.restore_name("retainGraph") == "retain_graph"
    assert g.enum_case_c_name("gs_dtype", "float32") == "GS_DTYPE_FLOAT32"
    assert g.enum_case_c_name("gs_binary_op", "maximum") == "GS_BINARY_OP_MAXIMUM"
    assert g.enum_case_c_name("gs_status", "ok") == "GS_OK"
    assert g.enum_case_c_name("gs_status", "outOfMemory") == "GS_ERR_OUT_OF_MEMORY"
    assert g.enum_case_c_name("gs_status", "dtypeError") == "GS_ERR_DTYPE"


def test_strip_swift_ignores_strings_and_comments():
    code, docs = g.strip_swift(API_SWIFT)
    assert "gs_fake" not in code and "gs_commented" not in code
    assert docs[0] == ["The last error."]
    assert g._block_doc(" Status codes.\n   Second line.\n ") == ["Status codes.", "Second line."]


def make_repo(tmp_path):
    src = tmp_path / "Sources" / g.MODULE
    src.mkdir(parents=True)
    (src / "Status.swift").write_text(TYPES_SWIFT)
    (src / "TensorAPI.swift").write_text(API_SWIFT)
    (tmp_path / "compiler.h").write_text(COMPILER_HEADER)
    handles = tmp_path / g.HANDLE_TYPES
    handles.parent.mkdir(parents=True)
    handles.write_text("#include <stdint.h>\n/// A tensor.\ntypedef struct gs_tensor {\n    uint64_t id;\n} gs_tensor;\n#endif\n")
    return tmp_path


def test_generate(tmp_path):
    root = make_repo(tmp_path)
    res = g.generate(root, root / ".build", "release", root / "compiler.h")
    h = res.header
    # source order within a file, sections in SECTION_ORDER, doc comments verbatim
    assert h.index("Status.swift") < h.index("typedef int32_t gs_dtype;") \
        < h.index("typedef int32_t gs_status;") < h.index("TensorAPI.swift") \
        < h.index("gs_last_error(void)") < h.index("int32_t gs_add(")
    assert "/// Adds `a` and b.\nint32_t gs_add(uint64_t a, uint64_t b, uint64_t *out);" in h
    assert "    /// 32-bit float.\n    GS_DTYPE_FLOAT32 = 0," in h
    assert "GS_ERR_DTYPE = -4," in h
    assert "int32_t gs_astype(uint64_t t, gs_dtype dtype, uint64_t *result_handle);" in h
    assert "int32_t gs_names(const char **names, void **data, int32_t (*callback)(int32_t, double));" in h
    assert not re.search(r"\bSWIFT_|_Nullable", h)
    assert "/// A tensor.\ntypedef struct gs_tensor {\n    uint64_t id;\n} gs_tensor;" in h
    assert res.undocumented == [f"Sources/{g.MODULE}/TensorAPI.swift: gs_astype has no doc comment"]
    assert res.prototypes.splitlines()[4:7] == [
        '    ("gs_last_error", "const char *", []),',
        '    ("gs_add", "int32_t", ["uint64_t", "uint64_t", "uint64_t *"]),',
        '    ("gs_astype", "int32_t", ["uint64_t", "int32_t", "uint64_t *"]),',
    ]
    assert "\nGS_DTYPE_FLOAT32 = 0\n" in res.prototypes and "\nGS_ERR_DTYPE = -4\n" in res.prototypes
    assert '"gs_status": {"ok": 0, ' in res.prototypes
    assert g.compile_check(h) == []
    # deterministic
    again = g.generate(root, root / ".build", "release", root / "compiler.h")
    assert (again.header, again.prototypes) == (res.header, res.prototypes)


def test_handle_types_are_ids_for_ctypes():
    body, names = g.handle_declarations("#include <stdint.h>\ntypedef struct gs_a {\n    uint64_t id;\n} gs_a;\n#endif\n")
    assert names == ["gs_a"] and body[0] == "typedef struct gs_a {"
    f = g.Function("gs_f", "int32_t", [g.Param("gs_a", "a", "gs_a a"), g.Param("const gs_a *", "v", "const gs_a *v"),
                                         g.Param("gs_a *", "out", "gs_a *out")])
    assert '("gs_f", "int32_t", ["uint64_t", "const uint64_t *", "uint64_t *"])' in g.render_prototypes([f], [], names)


def test_generate_reports_mismatches(tmp_path):
    root = make_repo(tmp_path)
    api = root / "Sources" / g.MODULE / "TensorAPI.swift"
    api.write_text(API_SWIFT.replace("@c(gs_add)", "@c(gs_plus)"))
    with pytest.raises(g.GenError) as err:
        g.generate(root, root / ".build", "release", root / "compiler.h")
    assert "gs_plus is not in the compiler's header" in str(err.value)
    assert "gs_add is in the compiler's header but no @c declaration" in str(err.value)


def test_unknown_declarations_are_an_error():
    text = COMPILER_HEADER.replace("#if defined(__cplusplus)\n}",
                                   "SWIFT_EXTERN int gs_x SWIFT_NOEXCEPT;\n#if defined(__cplusplus)\n}")
    with pytest.raises(g.GenError, match="does not understand"):
        g.parse_compiler_header(text)


def test_callback_typedefs_reach_the_python_abi():
    text = ("typedef struct gs_a {\n    uint64_t id;\n} gs_a;\n"
            "typedef void (*gs_free_fn)(void *user_data);\n"
            "typedef int32_t (*gs_cb_fn)(void *user_data, const gs_a *items, int32_t count,\n"
            "                            gs_a *out);\n")
    callbacks = g.callback_types(text)
    assert callbacks == [("gs_free_fn", "void", ["void *"]),
                         ("gs_cb_fn", "int32_t", ["void *", "const gs_a *", "int32_t", "gs_a *"])]
    module = g.render_prototypes([], [], ["gs_a"], callbacks)
    assert '"gs_cb_fn": ("int32_t", ["void *", "const uint64_t *", "int32_t", "uint64_t *"]),' in module
