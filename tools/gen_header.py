#!/usr/bin/env python3
"""Generate include/gradswift.h, python/gradswift/_abi.py and docs/ops.md from the Swift C ABI.

The Swift compiler is the authority on the C types: this script compiles the GradSwiftCABI
module with the flags SwiftPM used for it (read from .build/release.yaml, so run
`swift build -c release` first) and asks for its Clang header (-emit-clang-header-path). That
header declares every `@c` function and `@c` enum, but sorted by name, wrapped in Swift macros and
nullability annotations, and with doc comments rewritten as HTML. So the Swift sources supply
the rest: the order of the declarations, the file each one belongs to (one section per file),
and the doc comments verbatim. The output is plain C: no Swift macros or nullability qualifiers,
`const T *` spelling, parameter names in snake_case, and each `@c` enum as a typedef of its raw
type plus UPPER_CASE constants (`gs_dtype.float32` -> GS_DTYPE_FLOAT32, `gs_status.ok` -> GS_OK,
`gs_status.invalidHandle` -> GS_ERR_INVALID_HANDLE).

    tools/gen_header.py            write include/gradswift.h, python/gradswift/_abi.py and docs/ops.md
    tools/gen_header.py --check    regenerate into a temporary directory; fail with a diff when
                                   the committed files differ, when an exported gs_* symbol of
                                   .build/release/libgradswift.so and the header disagree,
                                   when a function has no doc comment, or when the header does
                                   not compile on its own as C11 and C++

Standard library only; the output is deterministic (no dates, no absolute paths).
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

MODULE = "GradSwiftCABI"
HEADER = Path("include/gradswift.h")
PROTOTYPES = Path("python/gradswift/_abi.py")
# The reference of the elementwise ops, generated from the same declarations.
OPS_DOC = Path("docs/ops.md")
# The handle types (one-field structs), written in C; copied into the header as they are.
HANDLE_TYPES = Path("Sources/CHandles/handles.h")
LIBRARY = "libgradswift.so"
WIDTH = 100  # wrap function declarations longer than this

# Sections (one per Swift file) come in the order a reader needs them: these file stems first,
# in this order, then any other file by path.
SECTION_ORDER = ["Status", "LibraryAPI", "TensorAPI", "AutogradAPI", "OpsAPI", "ShapeAPI",
                 "IndexAPI", "ModuleAPI", "OptimAPI"]

# The compiler appends "_" to parameter names that are reserved words in C, C++ or Objective-C.
# These are reserved only in Objective-C, so plain C and C++ can have them back.
OBJC_ONLY_WORDS = {"out", "in", "inout"}


class GenError(Exception):
    pass


# --------------------------------------------------------------------------------------------
# Declarations
# --------------------------------------------------------------------------------------------

@dataclass
class Param:
    ctype: str  # normalised C type, e.g. "const int64_t *"; for function pointers the full type
    name: str
    decl: str   # how the parameter is written in the header, e.g. "const int64_t *shape"


@dataclass
class Function:
    name: str
    ret: str
    params: list[Param]
    doc: list[str] = field(default_factory=list)


@dataclass
class EnumCase:
    swift_name: str
    c_name: str
    value: str
    doc: list[str] = field(default_factory=list)


@dataclass
class Enum:
    name: str
    base: str
    cases: list[EnumCase]
    doc: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Running the compiler
# --------------------------------------------------------------------------------------------

# Options of SwiftPM's compile command that produce outputs or tune code generation; everything
# else (search paths, -D, -Xcc, language mode, features, package name) is kept.
_DROP_WITH_VALUE = {
    "-emit-module-path", "-output-file-map", "-num-threads", "-emit-objc-header-path",
    "-emit-clang-header-path", "-module-cache-path", "-index-store-path", "-o",
    "-emit-module-interface-path", "-emit-private-module-interface-path",
    "-emit-module-source-info-path", "-emit-dependencies-path", "-serialize-diagnostics-path",
    "-emit-package-module-interface-path", "-emit-tbd-path", "-emit-abi-descriptor-path",
}
_DROP = {
    "-emit-dependencies", "-emit-module", "-c", "-whole-module-optimization", "-wmo",
    "-serialize-diagnostics", "-O", "-Onone", "-Osize", "-Ounchecked", "-parseable-output",
    "-emit-objc-header", "-emit-clang-header", "-g", "-gnone", "-gline-tables-only",
    "-incremental", "-enable-batch-mode", "-emit-module-interface", "-color-diagnostics",
    "-index-ignore-system-modules", "-enable-library-evolution",
}


def swiftpm_compile_args(build_root: Path, config: str) -> list[str]:
    """The argument list SwiftPM used to compile MODULE, from <build_root>/<config>.yaml."""
    yaml = build_root / f"{config}.yaml"
    if not yaml.is_file():
        raise GenError(f"{yaml} not found: run `swift build -c {config}` first")
    want = f"Compiling Swift Module '{MODULE}'"
    description = None
    for line in yaml.read_text().splitlines():
        if line.startswith('  "'):  # a new command block
            description = None
        stripped = line.strip()
        if stripped.startswith("description:"):
            description = stripped
        elif stripped.startswith("args:") and description and want in description:
            return json.loads(stripped[len("args:"):])
    raise GenError(f"no compile command for module {MODULE} in {yaml}")


def emit_clang_header(root: Path, build_root: Path, config: str, sources: list[Path],
                      workdir: Path) -> str:
    args = swiftpm_compile_args(build_root, config)
    keep: list[str] = []
    it = iter(args[1:])
    for a in it:
        if a in ("-Xcc", "-Xfrontend", "-Xlinker", "-Xclang-linker"):
            keep += [a, next(it)]  # the value belongs to another tool: keep it as it is
        elif a in _DROP_WITH_VALUE:
            next(it, None)
        elif a in _DROP or re.fullmatch(r"-j\d+", a) or a.startswith("@"):
            continue  # @file is SwiftPM's list of sources; we pass the current ones below
        else:
            keep.append(a)
    out_h = workdir / f"{MODULE}-Swift.h"
    cmd = [args[0], *keep, "-Onone", "-emit-module",
           "-emit-module-path", str(workdir / f"{MODULE}.swiftmodule"),
           "-emit-clang-header-path", str(out_h),
           "-module-cache-path", str(workdir / "ModuleCache"),
           *[str(s) for s in sources]]
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    if proc.returncode != 0:
        raise GenError("swiftc failed:\n" + " ".join(cmd) + "\n" + proc.stdout + proc.stderr)
    return out_h.read_text()


# --------------------------------------------------------------------------------------------
# Parsing the compiler's header
# --------------------------------------------------------------------------------------------

_NOISE = re.compile(r"\b(_Nullable_result|_Nullable|_Nonnull|_Null_unspecified|SWIFT_ENUM_TAG|"
                    r"SWIFT_NOESCAPE|SWIFT_RELEASES_ARGUMENT|SWIFT_CONTEXT|SWIFT_ERROR_RESULT|"
                    r"SWIFT_INDIRECT_RESULT)\b")


def normalise_type(t: str) -> str:
    """`char const * _Nullable * _Nullable` -> `const char **`; `gs_dtype` stays `gs_dtype`."""
    t = _NOISE.sub(" ", t)
    tokens = re.findall(r"\*|\w+", t)
    if "*" in tokens:
        first = tokens.index("*")
        base, rest = tokens[:first], tokens[first:]
    else:
        base, rest = tokens, []
    if "const" in base:  # east const -> west const
        base = ["const"] + [x for x in base if x != "const"]
    text = " ".join(base)
    stars = "".join(" const " if x == "const" else x for x in rest).replace("  ", " ")
    return (text + " " + stars.strip()) if stars else text


def split_params(s: str) -> list[str]:
    """Split a parameter list at its top-level commas (not those inside a function pointer)."""
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
            continue
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def parse_param(p: str) -> Param:
    fp = re.fullmatch(r"(.*?)\(\s*\*\s*(.*?)(\w+)\s*\)\s*\((.*)\)", p)
    if fp:  # function pointer: ret (* _Nullable name)(args)
        ret = normalise_type(fp.group(1))
        args = ", ".join(normalise_type(a) for a in split_params(fp.group(4)))
        name = restore_name(fp.group(3))
        return Param(f"{ret} (*)({args})", name, f"{ret} (*{name})({args})")
    m = re.fullmatch(r"(.*?)(\w+)", p.strip())
    if not m or not m.group(1).strip():
        raise GenError(f"cannot parse parameter {p!r}")
    ctype = normalise_type(m.group(1))
    name = restore_name(m.group(2))
    sep = "" if ctype.endswith("*") else " "
    return Param(ctype, name, f"{ctype}{sep}{name}")


def restore_name(name: str) -> str:
    """The C spelling of a Swift parameter name: `out_` -> `out`, `scalarKind` -> `scalar_kind`."""
    if name.endswith("_") and name[:-1] in OBJC_ONLY_WORDS:
        name = name[:-1]
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def upper_snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper()


def enum_case_c_name(enum: str, case: str) -> str:
    """gs_dtype.float32 -> GS_DTYPE_FLOAT32; gs_binary_op.add -> GS_BINARY_OP_ADD.

    Status codes follow docs/abi-spec.md instead: gs_status.ok -> GS_OK and every other case
    -> GS_ERR_<case> without a redundant "error": invalidHandle -> GS_ERR_INVALID_HANDLE,
    dtypeError -> GS_ERR_DTYPE.
    """
    if enum == "gs_status":
        if case == "ok":
            return "GS_OK"
        case = re.sub(r"^err(or)?(?=[A-Z])", "", case)
        case = re.sub(r"(?<=[a-z0-9])Error$", "", case)
        return "GS_ERR_" + upper_snake(case)
    return enum.upper() + "_" + upper_snake(case)


def parse_compiler_header(text: str) -> tuple[dict[str, Function], dict[str, Enum]]:
    start = text.find('extern "C" {')
    end = text.find('} // extern "C"', start)
    if start < 0 or end < 0:
        raise GenError('no extern "C" block in the compiler header')
    body = text[start + len('extern "C" {'):end]
    body = re.sub(r"\A\s*#endif|#if defined\(__cplusplus\)\s*\Z", "", body)

    enums: dict[str, Enum] = {}
    enum_re = re.compile(r"typedef SWIFT_ENUM(?:_NAMED)?\((\w+), (\w+),[^)]*\)\s*\{(.*?)\};", re.S)
    for m in enum_re.finditer(body):
        base, name, cases_text = m.groups()
        cases = []
        for cm in re.finditer(r"^\s*(\w+)\s*=\s*(-?\w+)\s*,", cases_text, re.M):
            c_name, value = cm.groups()
            if not c_name.startswith(name):
                raise GenError(f"unexpected case {c_name} in enum {name}")
            swift = c_name[len(name):]
            swift = swift[:1].lower() + swift[1:]
            cases.append(EnumCase(swift, enum_case_c_name(name, swift), value))
        enums[name] = Enum(name, base, cases)
    body = enum_re.sub("", body)

    functions: dict[str, Function] = {}
    fn_re = re.compile(r"^SWIFT_EXTERN (.+?)\b(\w+)\((.*)\)((?: SWIFT_\w+)*);$", re.M)
    for m in fn_re.finditer(body):
        ret, name, params_text, _ = m.groups()
        params = [] if params_text.strip() == "void" else \
            [parse_param(p) for p in split_params(params_text)]
        functions[name] = Function(name, normalise_type(ret), params)
    body = fn_re.sub("", body)

    leftover = [ln for ln in body.splitlines() if ln.strip() and not ln.strip().startswith("//")]
    if leftover:
        raise GenError("declarations this generator does not understand:\n" + "\n".join(leftover))
    return functions, enums


# --------------------------------------------------------------------------------------------
# Reading the Swift sources: order, files and doc comments
# --------------------------------------------------------------------------------------------

def _skip_string(s: str, i: int) -> int:
    """i is at the opening quote (or the first '#' of a raw string); return the index after it."""
    hashes = 0
    while s[i] == "#":
        hashes += 1
        i += 1
    delim = '"""' if s.startswith('"""', i) else '"'
    close = delim + "#" * hashes
    escape = "\\" + "#" * hashes
    i += len(delim)
    while i < len(s):
        if s.startswith(escape, i):
            j = i + len(escape)
            if j < len(s) and s[j] == "(":
                i = _skip_parens(s, j)
            else:
                i = j + 1
        elif s.startswith(close, i):
            return i + len(close)
        else:
            i += 1
    raise GenError("unterminated string literal")


def _skip_parens(s: str, i: int) -> int:
    """i is at '('; return the index after the matching ')', skipping nested strings."""
    depth = 0
    while i < len(s):
        ch = s[i]
        if ch == '"' or (ch == "#" and re.match(r'#+"', s[i:])):
            i = _skip_string(s, i)
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise GenError("unbalanced parentheses in string interpolation")


def _skip_block_comment(s: str, i: int) -> int:
    depth = 0
    while i < len(s):
        if s.startswith("/*", i):
            depth += 1
            i += 2
        elif s.startswith("*/", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i
        else:
            i += 1
    raise GenError("unterminated block comment")


def strip_swift(text: str) -> tuple[str, list[list[str]]]:
    """Remove comments and blank string literals; each doc comment becomes a marker \\0N\\0."""
    out, docs, i = [], [], 0
    while i < len(text):
        if text.startswith("///", i) and not text.startswith("////", i):
            end = text.find("\n", i)
            end = len(text) if end < 0 else end
            line = text[i + 3:end]
            docs.append([line[1:] if line.startswith(" ") else line])
            out.append(f"\0{len(docs) - 1}\0")
            i = end
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
        elif text.startswith("/**", i) and not text.startswith("/**/", i):
            end = _skip_block_comment(text, i)
            docs.append(_block_doc(text[i + 3:end - 2]))
            out.append(f"\0{len(docs) - 1}\0")
            i = end
        elif text.startswith("/*", i):
            i = _skip_block_comment(text, i)
        elif text[i] == '"' or (text[i] == "#" and re.match(r'#+"', text[i:i + 20])):
            i = _skip_string(text, i)
            out.append('""')
        else:
            out.append(text[i])
            i += 1
    return "".join(out), docs


def _block_doc(inner: str) -> list[str]:
    """The lines of a /** ... */ comment, without the markers, leading stars and indentation."""
    lines = inner.split("\n")
    rest = lines[1:]
    if all(re.match(r"\s*\*", ln) for ln in rest if ln.strip()):
        rest = [re.sub(r"^\s*\* ?", "", ln) for ln in rest]
    indents = [len(ln) - len(ln.lstrip()) for ln in rest if ln.strip()]
    cut = min(indents) if indents else 0
    lines = [lines[0].strip()] + [ln[cut:].rstrip() for ln in rest]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


_DOCS = r"((?:\x00\d+\x00\s*)*)"
_DECL_RE = re.compile(
    _DOCS + r"((?:@\w+(?:\s*\([^()]*\))?\s+)+)"
    r"((?:(?:public|open|package|internal|final|static|nonisolated|indirect)\s+)*)"
    r"(func|enum)\s+`?(\w+)`?")
_CASE_RE = re.compile(_DOCS + r"\bcase\s+`?(\w+)`?")


def _docs_of(markers: str, docs: list[list[str]]) -> list[str]:
    lines: list[str] = []
    for n in re.findall(r"\x00(\d+)\x00", markers):
        lines.extend(docs[int(n)])
    return [ln.rstrip() for ln in lines]


@dataclass
class SourceDecl:
    kind: str  # "func" or "enum"
    name: str
    file: str  # path relative to the repository root
    doc: list[str]
    case_docs: dict[str, list[str]]


def scan_sources(root: Path, sources: list[Path]) -> list[SourceDecl]:
    found: list[SourceDecl] = []
    for path in sources:
        code, docs = strip_swift(path.read_text())
        for m in _DECL_RE.finditer(code):
            markers, attrs, _, kind, swift_name = m.groups()
            at_c = re.search(r"@c\b(?:\s*\(\s*(\w+)\s*\))?", attrs)
            if not at_c:
                continue
            name = at_c.group(1) or swift_name
            case_docs: dict[str, list[str]] = {}
            if kind == "enum":
                open_ = code.find("{", m.end())
                close = _matching_brace(code, open_)
                for cm in _CASE_RE.finditer(code[open_ + 1:close]):
                    case_docs[cm.group(2)] = _docs_of(cm.group(1), docs)
            rel = path.relative_to(root).as_posix()
            found.append(SourceDecl(kind, name, rel, _docs_of(markers, docs), case_docs))
    return found


def _matching_brace(code: str, i: int) -> int:
    depth = 0
    for j in range(i, len(code)):
        depth += {"{": 1, "}": -1}.get(code[j], 0)
        if depth == 0:
            return j
    raise GenError("unbalanced braces")


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------

def _doc_lines(doc: list[str], indent: str = "") -> list[str]:
    return [f"{indent}/// {ln}".rstrip() for ln in doc]


def _function_decl(f: Function) -> str:
    ret = f.ret if f.ret.endswith("*") else f.ret + " "
    head = f"{ret}{f.name}("
    params = [p.decl for p in f.params] or ["void"]
    one_line = head + ", ".join(params) + ");"
    if len(one_line) <= WIDTH:
        return one_line
    lines, cur = [], head
    for k, p in enumerate(params):
        piece = p + (");" if k == len(params) - 1 else ",")
        if cur != head and not cur.endswith("(") and len(cur) + 1 + len(piece) > WIDTH:
            lines.append(cur)
            cur = " " * len(head) + piece
        else:
            cur += ("" if cur.endswith("(") else " ") + piece
    lines.append(cur)
    return "\n".join(lines)


def handle_declarations(text: str) -> tuple[list[str], list[str]]:
    """The declarations of HANDLE_TYPES (the lines after its includes, before its final
    #endif) and the names of the struct types it defines."""
    lines = text.splitlines()
    start = max((i for i, line in enumerate(lines) if line.startswith("#include")), default=-1) + 1
    end = max((i for i, line in enumerate(lines) if line.startswith("#endif")), default=len(lines))
    body = lines[start:end]
    while body and not body[0].strip():
        body.pop(0)
    while body and not body[-1].strip():
        body.pop()
    names = re.findall(r"^\}\s*(\w+)\s*;", "\n".join(body), re.M)
    if not names:
        raise GenError(f"{HANDLE_TYPES}: no typedef struct found")
    return body, names


def render_header(ordered: list[tuple[str, list[object]]], handles: list[str]) -> str:
    uses_stddef = False
    out = [
        "/*",
        " * gradswift.h -- the C interface of libgradswift.so.",
        " *",
        " * Generated by tools/gen_header.py from the @c declarations in Sources/GradSwiftCABI;",
        " * do not edit: change the Swift sources and run `make header`.",
        " * Conventions (status codes, handles, ownership, encodings): docs/abi-spec.md.",
        " */",
        "#ifndef GRADSWIFT_H",
        "#define GRADSWIFT_H",
        "",
        "@INCLUDES@",
        "",
        "#ifdef __cplusplus",
        'extern "C" {',
        "#endif",
    ]
    title = f"/* ---- {HANDLE_TYPES.name} "
    out += ["", title + "-" * max(4, WIDTH - len(title) - 3) + " */", ""] + handles
    for file, decls in ordered:
        title = f"/* ---- {Path(file).name} "
        out += ["", title + "-" * max(4, WIDTH - len(title) - 3) + " */"]
        for d in decls:
            out.append("")
            if isinstance(d, Enum):
                out += _doc_lines(d.doc)
                out.append(f"typedef {d.base} {d.name};")
                out.append("enum {")
                for c in d.cases:
                    out += _doc_lines(c.doc, "    ")
                    out.append(f"    {c.c_name} = {c.value},")
                out.append("};")
            else:
                assert isinstance(d, Function)
                out += _doc_lines(d.doc)
                decl = _function_decl(d)
                uses_stddef |= bool(re.search(r"\b(size_t|ptrdiff_t)\b", decl))
                out.append(decl)
    out += ["", "#ifdef __cplusplus", '} /* extern "C" */', "#endif", "",
            "#endif /* GRADSWIFT_H */", ""]
    includes = ["#include <stdbool.h>"] + (["#include <stddef.h>"] if uses_stddef else []) \
        + ["#include <stdint.h>"]
    return "\n".join(out).replace("@INCLUDES@", "\n".join(includes))


def callback_types(text: str) -> list[tuple[str, str, list[str]]]:
    """The function pointer typedefs of HANDLE_TYPES, as (name, return type, argument types)."""
    found = []
    for ret, name, args in re.findall(r"^typedef\s+([\w\s*]+?)\s*\(\s*\*\s*(\w+)\s*\)\s*\(([^)]*)\)\s*;",
                                      text, re.M):
        types = [parse_param(a).ctype for a in split_params(args) if a.strip() != "void"]
        found.append((name, normalise_type(ret), types))
    return found


def render_prototypes(functions: list[Function], enums: list[Enum], handle_types: list[str],
                      callbacks: list[tuple[str, str, list[str]]] = ()) -> str:
    """The Python module of the ABI: the ctypes prototypes, the callback types, each
    enumeration's constants under their C names, and each enumeration as a map from its cases'
    snake_case names to codes.

    ctypes sees an enum as its integer type, and a handle type as uint64_t: a struct of one
    uint64_t is passed and returned exactly as the integer (in a register, on x86-64, AArch64
    and Windows x64 alike), and Python keeps handles as plain ints."""
    by_name = {e.name: e for e in enums}

    def py_type(t: str) -> str:
        base = re.sub(r"^const |\s*\*+$", "", t)
        if base in by_name:
            return t.replace(base, by_name[base].base)
        if base in handle_types:
            return t.replace(base, "uint64_t")
        return t
    out = [f"# generated by tools/gen_header.py from {HEADER.as_posix()}; do not edit",
           '"""The C ABI of libgradswift.so as Python data: prototypes and enumeration codes."""',
           "", "PROTOTYPES = ["]
    for f in functions:
        args = ", ".join(f'"{py_type(p.ctype)}"' for p in f.params)
        out.append(f'    ("{f.name}", "{py_type(f.ret)}", [{args}]),')
    out.append("]")
    out += ["", "# The callback types, by name: (return type, argument types).", "CALLBACKS = {"]
    for name, ret, args in callbacks:
        types = ", ".join(f'"{py_type(a)}"' for a in args)
        out.append(f'    "{name}": ("{py_type(ret)}", [{types}]),')
    out.append("}")
    for e in enums:
        out += ["", f"# {e.name}" + (f": {e.doc[0]}" if e.doc else "")]
        out += [f"{c.c_name} = {c.value}" for c in e.cases]
    out += ["", "# Each enumeration by its cases' names, for arguments given as strings.", "ENUMS = {"]
    for e in enums:
        cases = ", ".join(f'"{restore_name(c.swift_name)}": {c.value}' for c in e.cases)
        out.append(f'    "{e.name}": {{{cases}}},')
    out += ["}", ""]
    return "\n".join(out)


def render_ops(functions: list[Function]) -> str:
    """docs/ops.md: the elementwise ops, those of the form gs_<op>(a, &result) and
    gs_<op>(a, b, &result), with the doc comments of their declarations."""
    shapes = [("gs_tensor a, gs_tensor *result", "Functions of one tensor: `gs_<op>(gs_tensor a, gs_tensor *result)`"),
              ("gs_tensor a, gs_tensor b, gs_tensor *result",
               "Functions of two tensors, with broadcasting: `gs_<op>(gs_tensor a, gs_tensor b, gs_tensor *result)`")]
    out = ["# Elementwise ops", "",
           f"Generated by tools/gen_header.py from the declarations behind {HEADER.as_posix()}; do not",
           "edit (`make header` rewrites it). Each op is declared once in the engine",
           "(`Sources/GradSwift/Ops`, see [adding-an-op.md](adding-an-op.md)) and reached as `gs_<op>` in",
           "C and as `gradswift.<op>` in Python (`-x` for `neg`; activations such as `relu` in",
           "`gradswift.nn.functional`). Every other function is in the header."]
    for params, title in shapes:
        out += ["", f"## {title}", "", "| op | C | what it computes |", "|---|---|---|"]
        for f in functions:
            if ", ".join(p.decl for p in f.params) == params:
                what = " ".join(line.strip() for line in f.doc).replace("|", "\\|")
                out.append(f"| `{f.name[3:]}` | `{f.name}` | {what} |")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------

@dataclass
class Result:
    header: str
    prototypes: str
    ops: str
    functions: list[Function]
    undocumented: list[str]

    def outputs(self) -> list[tuple[Path, str]]:
        """The generated files and their contents."""
        return [(HEADER, self.header), (PROTOTYPES, self.prototypes), (OPS_DOC, self.ops)]


def generate(root: Path, build_root: Path, config: str, swift_header: Path | None) -> Result:
    src_dir = root / "Sources" / MODULE
    sources = sorted(src_dir.rglob("*.swift"), key=lambda p: p.relative_to(root).as_posix())
    if not sources:
        raise GenError(f"no Swift sources in {src_dir}")
    if swift_header is not None:
        text = swift_header.read_text()
    else:
        with tempfile.TemporaryDirectory(prefix="gen_header.") as tmp:
            text = emit_clang_header(root, build_root, config, sources, Path(tmp))
    functions, enums = parse_compiler_header(text)

    decls = scan_sources(root, sources)
    problems = []
    seen: dict[str, str] = {}
    for d in decls:
        if d.name in seen:
            problems.append(f"{d.name} is declared twice ({seen[d.name]}, {d.file})")
        seen[d.name] = d.file
        table = functions if d.kind == "func" else enums
        if d.name not in table:
            problems.append(f"{d.file}: @c {d.kind} {d.name} is not in the compiler's header "
                            "(not public? not the C name?)")
    for name in [*functions, *enums]:
        if name not in seen:
            problems.append(f"{name} is in the compiler's header but no @c declaration of it "
                            f"was found in Sources/{MODULE}")
    if problems:
        raise GenError("\n".join(problems))

    ordered: list[tuple[str, list[object]]] = []
    undocumented = []
    for d in decls:
        if not ordered or ordered[-1][0] != d.file:
            ordered.append((d.file, []))
        if d.kind == "enum":
            e = enums[d.name]
            e.doc = d.doc
            for c in e.cases:
                c.doc = d.case_docs.get(c.swift_name, [])
            ordered[-1][1].append(e)
        else:
            f = functions[d.name]
            f.doc = d.doc
            if not f.doc:
                undocumented.append(f"{d.file}: {d.name} has no doc comment")
            ordered[-1][1].append(f)
    def section_key(sec: tuple[str, list[object]]) -> tuple[int, str]:
        stem = Path(sec[0]).stem
        return (SECTION_ORDER.index(stem) if stem in SECTION_ORDER else len(SECTION_ORDER), sec[0])
    ordered.sort(key=section_key)
    ordered_functions = [x for _, ds in ordered for x in ds if isinstance(x, Function)]
    ordered_enums = [x for _, ds in ordered for x in ds if isinstance(x, Enum)]
    handle_text = (root / HANDLE_TYPES).read_text()
    handles, handle_types = handle_declarations(handle_text)
    prototypes = render_prototypes(ordered_functions, ordered_enums, handle_types, callback_types(handle_text))
    return Result(render_header(ordered, handles), prototypes,
                  render_ops(ordered_functions),
                  ordered_functions, undocumented)


def exported_symbols(lib: Path) -> set[str]:
    if not lib.is_file():
        raise GenError(f"{lib} not found: run `swift build -c release` first")
    proc = subprocess.run(["nm", "-D", "--defined-only", str(lib)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise GenError(f"nm failed on {lib}:\n{proc.stderr}")
    return {ln.split()[-1] for ln in proc.stdout.splitlines()
            if ln.split() and re.fullmatch(r"gs_\w+", ln.split()[-1])}


def compile_check(header: str) -> list[str]:
    """The header must compile on its own as C11 and as C++, warnings as errors."""
    problems = []
    with tempfile.TemporaryDirectory(prefix="gen_header.") as tmp:
        path = Path(tmp) / "gradswift.h"
        path.write_text(header)
        for compiler, flags in (("cc", ["-x", "c", "-std=c11"]), ("c++", ["-x", "c++"])):
            exe = shutil.which(compiler)
            if exe is None:
                continue
            cmd = [exe, *flags, "-Wall", "-Wextra", "-pedantic", "-Werror", "-fsyntax-only",
                   str(path)]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                problems.append(f"the generated header does not compile with {compiler}:\n"
                                + proc.stderr)
    return problems


def kind_check(header: str) -> list[str]:
    """A C compiler must reject a handle of one kind where another is expected (a module
    released as a tensor), and accept the right kind."""
    cc = shutil.which("cc")
    if cc is None:
        return []
    problems = []
    with tempfile.TemporaryDirectory(prefix="gen_header.") as tmp:
        (Path(tmp) / "gradswift.h").write_text(header)
        for handle, must_compile in (("gs_tensor", True), ("gs_module", False)):
            src = Path(tmp) / "use.c"
            src.write_text(f'#include "gradswift.h"\nint32_t use({handle} h) {{ return gs_tensor_release(h); }}\n')
            proc = subprocess.run([cc, "-std=c11", "-fsyntax-only", "-I", tmp, str(src)],
                                  capture_output=True, text=True)
            if (proc.returncode == 0) != must_compile:
                problems.append(f"gs_tensor_release({handle}) "
                                + ("does not compile" if must_compile else "compiles: handle kinds are not distinct C types")
                                + "\n" + proc.stderr)
    return problems


def _diff(committed: Path, fresh: str, label: str) -> list[str]:
    old = committed.read_text() if committed.is_file() else ""
    if old == fresh:
        return []
    if not committed.is_file():
        return [f"{label} does not exist: run `make header`\n"]
    return list(difflib.unified_diff(old.splitlines(True), fresh.splitlines(True),
                                     f"{label} (committed)", f"{label} (generated)"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="fail (with a diff) when the committed files are not current")
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                    help="repository root (default: the parent of tools/)")
    ap.add_argument("--build-path", type=Path, default=Path(".build"),
                    help="SwiftPM build directory, relative to the root (default: .build)")
    ap.add_argument("--configuration", default="release")
    ap.add_argument("--swift-header", type=Path,
                    help="use this compiler-emitted header instead of running swiftc")
    args = ap.parse_args(argv)

    root = args.root.resolve()
    build_root = root / args.build_path
    try:
        res = generate(root, build_root, args.configuration, args.swift_header)
        if not args.check:
            for rel, text in res.outputs():
                path = root / rel
                if not path.is_file() or path.read_text() != text:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(text)
                    print(f"wrote {rel.as_posix()}")
                else:
                    print(f"{rel.as_posix()} is up to date")
            for msg in res.undocumented:
                print(f"warning: {msg}", file=sys.stderr)
            print(f"{len(res.functions)} functions")
            return 0

        failures: list[str] = []
        diff = [line for rel, text in res.outputs() for line in _diff(root / rel, text, rel.as_posix())]
        if diff:
            failures.append("generated files are not current (run `make header`):\n"
                            + "".join(diff))
        failures += res.undocumented
        failures += compile_check(res.header)
        failures += kind_check(res.header)
        lib = build_root / args.configuration / LIBRARY
        exported = exported_symbols(lib)
        declared = {f.name for f in res.functions}
        for name in sorted(exported - declared):
            failures.append(f"{name} is exported by {LIBRARY} but not declared in the header")
        for name in sorted(declared - exported):
            failures.append(f"{name} is declared in the header but not exported by {LIBRARY}")
        if failures:
            print("\n".join(failures), file=sys.stderr)
            print("check-header: FAILED", file=sys.stderr)
            return 1
        print(f"check-header: {', '.join(rel.as_posix() for rel, _ in res.outputs())} are current; "
              f"{len(declared)} functions, all exported and documented; handle kinds are distinct C types")
        return 0
    except GenError as e:
        print(f"gen_header: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
