#!/usr/bin/env python3
"""Generate the call table of the C ABI fuzzer from include/gradswift.h.

    Tests/Fuzz/gen_calls.py include/gradswift.h CALLS.inc IDS.inc

The fuzzer keeps handles as the raw ids of the handle table (uint64_t), so that it can forge,
stale and mix kinds at will. IDS.inc gets, for every function, `id_<name>`: the same function
taking ids where the header takes typed handles (gs_tensor, gs_module, ...), converting them
(a typed handle is one uint64_t, so arrays and out-parameters are the same memory).

For every function declared in the header, CALLS.inc gets a wrapper `fzw_<name>(void)` that
opens a call record (fz_prepare), draws each argument from a generator of Tests/Fuzz/fuzz_abi.c chosen by the parameter's type
and name (and, for a few, the function), makes the call between fz_begin() and fz_end(), and
registers the handles it produced; then a table `fz_functions[]` of all wrappers. A callback
parameter (a function-pointer type of CALLBACKS) and the `user_data` and `gs_release_fn` after
it are drawn together by one generator. A parameter that no rule below covers stops the
generation with an error naming it, so a function added to the header is either fuzzed or
breaks the build: nothing in the ABI is silently left out.

Standard library only; the output is deterministic.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

# The fuzzer's pool kind of each handle type of the header.
HANDLE_KINDS = {"gs_tensor": "FZ_TENSOR", "gs_module": "FZ_MODULE", "gs_optimizer": "FZ_OPTIM",
                "gs_scheduler": "FZ_SCHED", "gs_checkpoint": "FZ_CKPT"}
# Tensor parameters for which a handle with id 0 means "none" (so is valid).
OPTIONAL_TENSORS = {"bias", "running_mean", "running_var", "gradient", "min", "max", "pos_weight", "attn_mask",
                    "key_padding_mask", "in_proj_bias", "out_proj_bias"}
OPTIONAL_WEIGHT = {"gs_layer_norm", "gs_rms_norm", "gs_batch_norm", "gs_group_norm", "gs_instance_norm", "gs_binary_cross_entropy",
                   "gs_binary_cross_entropy_with_logits", "gs_bce_loss_new", "gs_bce_with_logits_loss_new"}

# int64_t scalar parameters -> generator role.
INT64_ROLES = {
    "axis": "FZ_I_AXIS", "axis1": "FZ_I_AXIS", "axis2": "FZ_I_AXIS",
    "in_channels": "FZ_I_SIZE", "out_channels": "FZ_I_SIZE", "in_features": "FZ_I_SIZE",
    "out_features": "FZ_I_SIZE", "num": "FZ_I_SIZE", "dim": "FZ_I_SIZE",
    "num_features": "FZ_I_SIZE", "hidden_size": "FZ_I_SIZE", "input_size": "FZ_I_SIZE",
    "num_layers": "FZ_I_SIZE",
    "kernel": "FZ_I_KERNEL", "stride": "FZ_I_STRIDE", "padding": "FZ_I_PADDING",
    "padding_idx": "FZ_I_INDEX", "index": "FZ_I_INDEX", "layer": "FZ_I_INDEX",
    "epoch": "FZ_I_EPOCH", "last_epoch": "FZ_I_EPOCH", "t_max": "FZ_I_EPOCH",
    "step_size": "FZ_I_EPOCH", "count": "FZ_I_EPOCH", "hook_id": "FZ_I_HOOK",
    "decimals": "FZ_I_INDEX", "group": "FZ_I_GROUP",
    "steps": "FZ_I_SIZE", "rows": "FZ_I_SIZE", "columns": "FZ_I_SIZE", "n": "FZ_I_SIZE",
    "low": "FZ_I_INDEX", "high": "FZ_I_INDEX",
    "groups": "FZ_I_SIZE", "num_groups": "FZ_I_SIZE", "num_channels": "FZ_I_SIZE", "spatial_dims": "FZ_I_KERNEL", "num_heads": "FZ_I_KERNEL",
    "threads": "FZ_I_KERNEL",
    ("gs_set_cache_limit", "bytes"): "FZ_I_INDEX",  # a byte count; negative ones are refused
    "start_axis": "FZ_I_AXIS", "end_axis": "FZ_I_AXIS", "chunks": "FZ_I_SIZE", "repeats": "FZ_I_SIZE",
    "diagonal": "FZ_I_INDEX",
    "dim1": "FZ_I_AXIS", "dim2": "FZ_I_AXIS", "offset": "FZ_I_INDEX", "k": "FZ_I_INDEX",
    # `dim` of the indexing-along-a-dimension ops is an axis (elsewhere a size)
    **{(fn, "dim"): "FZ_I_AXIS" for fn in ("gs_gather", "gs_scatter", "gs_scatter_value", "gs_scatter_add",
                                            "gs_index_select", "gs_take_along_dim")},
    "size": "FZ_I_OUT_SIZE", "height": "FZ_I_OUT_SIZE", "width": "FZ_I_OUT_SIZE",
    "size_h": "FZ_I_OUT_SIZE_H", "size_w": "FZ_I_OUT_SIZE",
    "kernel_h": "FZ_I_KERNEL", "kernel_w": "FZ_I_KERNEL", "stride_h": "FZ_I_STRIDE", "stride_w": "FZ_I_STRIDE",
    "padding_h": "FZ_I_PADDING", "padding_w": "FZ_I_PADDING", "output_padding": "FZ_I_OUT_PADDING",
    "output_padding_h": "FZ_I_OUT_PADDING", "output_padding_w": "FZ_I_OUT_PADDING",
}

# int32_t scalar parameters that are no enumeration -> generator role; (function, name) keys.
INT32_ROLES = {("gs_tensor_grad_fn_input", "index"): "FZ_I_FN_INPUT"}

# int32_t enum parameters -> the header's enumeration they take, by its constants' prefix; the
# valid codes are read from the header (enum_ranges).
ENUM_PREFIXES = {
    "dtype": "GS_DTYPE_", "op": "GS_BINARY_OP_", "scalar_kind": "GS_SCALAR_KIND_",
    "reduction": "GS_REDUCTION_", "nonlinearity": "GS_NONLINEARITY_", "mode": "GS_FAN_MODE_",
    "reduce": "GS_SCATTER_REDUCE_",
}
# (function, name) -> (lowest, highest) valid code, for parameters that take only part of an
# enumeration (in-place ops: add, sub, mul, div) or a code the header states in prose (an RNN's
# nonlinearity: 0 tanh, 1 relu).
ENUM_SUBSETS = {
    ("gs_rnn_new", "nonlinearity"): (0, 1), ("gs_rnn_cell_new", "nonlinearity"): (0, 1),
    ("gs_inplace", "op"): (0, 3), ("gs_inplace_scalar", "op"): (0, 3),
    ("gs_pad", "mode"): (0, 3),
    ("gs_interpolate", "mode"): (0, 2), ("gs_upsample_new", "mode"): (0, 2),
}

# double parameters -> role.
DOUBLE_ROLES = {
    "value": "FZ_D_ANY", "scalar": "FZ_D_ANY", "low": "FZ_D_ANY", "high": "FZ_D_ANY",
    "mean": "FZ_D_ANY", "a": "FZ_D_ANY", "slope": "FZ_D_ANY", "alpha": "FZ_D_ANY",
    "gain": "FZ_D_ANY", "std": "FZ_D_POS", "lr": "FZ_D_RATE", "eps": "FZ_D_EPS",
    "weight_decay": "FZ_D_RATE", "momentum": "FZ_D_RATE", "beta1": "FZ_D_RATE",
    "beta2": "FZ_D_RATE", "rho": "FZ_D_RATE", "gamma": "FZ_D_RATE", "eta_min": "FZ_D_RATE",
    "p": "FZ_D_RATE", "beta": "FZ_D_ANY", "threshold": "FZ_D_ANY", "min": "FZ_D_ANY", "max": "FZ_D_ANY",
    "min_val": "FZ_D_ANY", "max_val": "FZ_D_ANY", "delta": "FZ_D_ANY", "momentum_decay": "FZ_D_RATE",
    "start": "FZ_D_ANY", "end": "FZ_D_ANY", "step": "FZ_D_ANY", "dropout_p": "FZ_D_RATE", "scale": "FZ_D_POS",
    "correction": "FZ_D_ANY",
    "scale_h": "FZ_D_SCALE", "scale_w": "FZ_D_SCALE",
}

# (const int64_t *, int32_t count) arrays -> role; (function, name) entries first.
INT_ARRAYS = {
    ("gs_reshape", "shape"): "FZ_A_RESHAPE", ("gs_transpose", "axes"): "FZ_A_PERM",
    ("gs_unsqueeze", "axes"): "FZ_A_UNSQUEEZE",
    "shape": "FZ_A_SHAPE", "axes": "FZ_A_AXES", "normalized_shape": "FZ_A_NORMSHAPE",
    "boundaries": "FZ_A_BOUNDARIES", "key": "FZ_A_KEY", "milestones": "FZ_A_MILESTONES",
    ("gs_expand", "sizes"): "FZ_A_SIZES", ("gs_unflatten", "sizes"): "FZ_A_UNFLATTEN",
    "reps": "FZ_A_REPS", "shifts": "FZ_A_SHIFTS", "pads": "FZ_A_PADS",
    "source": "FZ_A_AXES", "destination": "FZ_A_AXES",
    "dims_a": "FZ_A_AXES", "dims_b": "FZ_A_AXES",
}
COUNT_NAMES = {"ndim", "naxes", "nitems", "count", "nboundaries", "ninputs", "capacity", "nbytes",
               "output_count", "input_count", "option_count", "nsizes", "nreps", "nshifts", "npads",
               "nsource", "ndestination", "ndims_a", "ndims_b"}

# (const gs_tensor *, int32_t count) arrays of the autograd functions -> role of fz_graph_array,
# which plans a graph so that outputs, inputs and their gradients fit together.
GRAPH_ARRAYS = {
    ("gs_grad", "outputs"): "FZ_G_OUTPUTS", ("gs_grad", "inputs"): "FZ_G_INPUTS",
    ("gs_function_apply", "inputs"): "FZ_G_FN_INPUTS",
    ("gs_function_apply", "outputs"): "FZ_G_FN_OUTPUTS",
}
# const handle arrays without a count of their own: the earlier count parameter giving their
# length (gs_grad's grad_outputs, one per output; NULL allowed).
SIZED_BY = {"grad_outputs": "output_count"}
# Out-handle arrays (`gs_tensor *results`) -> the C expression of their length.
OUT_COUNTS = {
    ("gs_split", "results"): "(nboundaries >= 0 && nboundaries < 64 ? nboundaries + 1 : 1)",
    ("gs_grad", "results"): "fz_count(input_count)",
    ("gs_function_apply", "results"): "fz_count(output_count)",
}
# Callback types -> the fuzz_abi.c generator drawing the callback, its user data and release
# function; a callback parameter must be followed by `void *user_data, gs_release_fn release`.
CALLBACKS = {"gs_hook_fn": "fz_hook_fn", "gs_function_backward_fn": "fz_backward_fn"}

# Parameters a generator must see after all others (their valid value depends on them).
LATE = {"data"}


class GenError(Exception):
    pass


def parse(header: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(name, return type, [(type, name)]) of every gs_ function, in header order."""
    out = []
    for ret, name, args in re.findall(r"^(int32_t|const char \*)\s*(gs_\w+)\((.*?)\);", header,
                                      re.S | re.M):
        params = []
        for a in " ".join(args.split()).split(","):
            a = a.strip()
            if a == "void":
                continue
            m = re.fullmatch(r"(.*?)\s*(\w+)", a)
            params.append((" ".join(m.group(1).replace("*", " * ").split()).replace("* *", "**"),
                           m.group(2)))
        out.append((name, ret.strip(), params))
    if not out:
        raise GenError("no gs_ function found in the header")
    return out


def enum_ranges(header: str) -> dict:
    """The valid (lowest, highest) code of each enum parameter: ENUM_SUBSETS, then the range of
    each ENUM_PREFIXES enumeration's constants in the header."""
    codes = [(m[1], int(m[2])) for m in re.finditer(r"^\s*(GS_[A-Z0-9_]+) = (-?\d+),", header, re.M)]
    ranges = dict(ENUM_SUBSETS)
    for name, prefix in ENUM_PREFIXES.items():
        values = [value for constant, value in codes if constant.startswith(prefix)]
        if not values:
            raise GenError(f"no enumeration with constants {prefix}* in the header (parameter '{name}')")
        ranges[name] = (min(values), max(values))
    return ranges


def lookup(table: dict, fn: str, name: str):
    return table.get((fn, name), table.get(name))


def handle_type(t: str) -> str | None:
    """The handle type a parameter type is or points to (`const gs_tensor *` -> gs_tensor)."""
    base = re.sub(r"\bconst\b|\*", " ", t).strip()
    return base if base in HANDLE_KINDS else None


def id_type(t: str) -> str:
    """The parameter type with handle types replaced by their ids (uint64_t)."""
    h = handle_type(t)
    return t.replace(h, "uint64_t") if h else t


def emit_id_shim(fn: str, ret: str, params: list[tuple[str, str]]) -> list[str]:
    """`id_<fn>`: `fn` taking handle ids (uint64_t) where it takes typed handles."""
    decl = ", ".join(f"{id_type(t)}{'' if id_type(t).endswith('*') else ' '}{name}" for t, name in params)
    args = []
    for t, name in params:
        h = handle_type(t)
        args.append(name if not h else f"({h}){{{name}}}" if t == h else f"({t}){name}")
    return [f"static inline {ret}{'' if ret.endswith('*') else ' '}id_{fn}({decl or 'void'}) {{",
            f"    return {fn}({', '.join(args)});", "}"]


def emit_function(fn: str, ret: str, params: list[tuple[str, str]], enums: dict) -> list[str]:
    """The wrapper's lines."""
    decls, draws, late = [], [], []
    params = [(id_type(t), name, HANDLE_KINDS.get(handle_type(t) or "")) for t, name in params]
    i, n = 0, len(params)

    def fail(t, name):
        raise GenError(f"{fn}: no generator for parameter '{t} {name}'; add a rule to "
                       f"Tests/Fuzz/gen_calls.py (and a generator to fuzz_abi.c if needed)")

    while i < n:
        t, name, kind = params[i]
        nxt = params[i + 1] if i + 1 < n else None
        pair = nxt is not None and nxt[1] in COUNT_NAMES and not nxt[0].endswith("*") and t.endswith("*")
        if t == "const char * const *" and nxt and nxt[0] == "const uint64_t *":
            # names and tensors sharing one count (gs_checkpoint_save)
            cnt = params[i + 2]
            decls += [f"const char *const *{name};", f"const uint64_t *{nxt[1]};",
                      f"{cnt[0]} {cnt[1]};"]
            draws.append(f'fz_names_handles(&{name}, &{nxt[1]}, &{cnt[1]});')
            i += 3
            continue
        if t in CALLBACKS:
            ud = params[i + 1] if i + 1 < n else None
            rel = params[i + 2] if i + 2 < n else None
            if ud != ("void *", "user_data", None) or rel is None or rel[0] != "gs_release_fn":
                fail(t, name)
            decls += [f"{t} {name};", f"void *{ud[1]};", f"gs_release_fn {rel[1]};"]
            draws.append(f'{name} = {CALLBACKS[t]}("{name}", &{ud[1]}, &{rel[1]});')
            i += 3
            continue
        if pair:
            ct, cn, _ = nxt
            if t == "const int64_t *":
                role = lookup(INT_ARRAYS, fn, name) or fail(t, name)
                decls += [f"const int64_t *{name};", f"{ct} {cn};"]
                draws.append(f'fz_int_array("{name}", "{cn}", {role}, &{name}, &{cn});')
            elif t == "const uint64_t *" and kind == "FZ_TENSOR" and (fn, name) in GRAPH_ARRAYS:
                decls += [f"const uint64_t *{name};", f"{ct} {cn};"]
                draws.append(f'fz_graph_array("{name}", "{cn}", {GRAPH_ARRAYS[(fn, name)]}, &{name}, &{cn});')
            elif t == "const uint64_t *" and kind:
                decls += [f"const uint64_t *{name};", f"{ct} {cn};"]
                draws.append(f'fz_handle_array("{name}", "{cn}", {kind}, &{name}, &{cn});')
            elif t == "uint64_t *" and name == "outputs":
                decls += [f"uint64_t *{name};", f"{ct} {cn};"]
                draws.append(f'fz_out_handle_array("{name}", "{cn}", {kind}, &{name}, &{cn});')
            elif t == "char *":
                decls += [f"char *{name};", f"{ct} {cn};"]
                draws.append(f'fz_char_buffer("{name}", "{cn}", &{name}, &{cn});')
            elif t == "int64_t *":
                decls += [f"int64_t *{name};", f"{ct} {cn};"]
                draws.append(f'fz_out_int_array("{name}", "{cn}", &{name}, &{cn});')
            elif t == "const double *":
                decls += [f"const double *{name};", f"{ct} {cn};"]
                draws.append(f'fz_double_array("{name}", "{cn}", &{name}, &{cn});')
            elif t == "double *":
                decls += [f"double *{name};", f"{ct} {cn};"]
                draws.append(f'fz_out_double_array("{name}", "{cn}", &{name}, &{cn});')
            elif t == "void *":
                decls += [f"void *{name};", f"{ct} {cn};"]
                draws.append(f'fz_destination("{name}", "{cn}", &{name}, &{cn});')
            else:
                fail(t, name)
            i += 2
            continue
        if t == "uint64_t" and kind:
            optional = kind == "FZ_TENSOR" and (name in OPTIONAL_TENSORS
                                                or (name == "weight" and fn in OPTIONAL_WEIGHT))
            expr = f'fz_handle("{name}", {kind}, {"true" if optional else "false"})'
        elif t == "uint64_t":
            expr = f'fz_u64("{name}")' if name == "seed" else fail(t, name)
        elif t == "int64_t":
            expr = f'fz_i64("{name}", {lookup(INT64_ROLES, fn, name) or fail(t, name)})'
        elif t == "int32_t" and (fn, name) in INT32_ROLES:
            expr = f'fz_i32("{name}", {INT32_ROLES[(fn, name)]})'
        elif t == "int32_t":
            rng = lookup(enums, fn, name) or fail(t, name)
            expr = f'fz_enum("{name}", {rng[0]}, {rng[1]})'
        elif t == "double":
            expr = f'fz_double("{name}", {DOUBLE_ROLES.get(name) or fail(t, name)})'
        elif t == "bool":
            expr = f'fz_bool("{name}")'
        elif t == "const char *":
            expr = f'fz_string("{name}")'
        elif t == "const void *" and name in LATE:
            decls.append(f"const void *{name};")
            late.append(f'{name} = fz_data("{name}", dtype, shape, ndim);')
            i += 1
            continue
        elif t == "void *" and name in LATE:
            # memory lent to the library, given back through the release drawn with it
            decls.append(f"void *{name};")
            late.append(f'{name} = fz_lent_data("{name}", dtype, shape, ndim);')
            i += 1
            continue
        elif (t, name) == ("void *", "user_data") and nxt and nxt[0] == "gs_release_fn":
            decls += [f"void *{name};", f"gs_release_fn {nxt[1]};"]
            draws.append(f'fz_lent_release("{name}", &{name}, &{nxt[1]});')
            i += 2
            continue
        elif t == "const uint64_t *" and kind == "FZ_TENSOR" and name in SIZED_BY:
            cn = SIZED_BY[name]
            if cn not in [p[1] for p in params[:i]]:
                fail(t, name)
            expr = f'fz_grad_seeds("{name}", {cn})'
        elif t == "uint64_t *" and kind:
            # one handle, or an array whose length OUT_COUNTS gives
            count = lookup(OUT_COUNTS, fn, name) or ("1" if name != "results" else fail(t, name))
            expr = f'fz_out_handles("{name}", {count}, {kind})'
        elif t in ("bool *", "int32_t *", "int64_t *", "double *", "void **"):
            base = t[:-1].strip()
            expr = f'({t})fz_out("{name}", sizeof({base}))'
        else:
            fail(t, name)
        decls.append(f"{t}{'' if t.endswith('*') else ' '}{name};")
        draws.append(f"{name} = {expr};")
        i += 1

    args = ", ".join(name for _, name, _ in params)
    lines = [f"static void fzw_{fn}(void) {{"]
    lines += ["    " + d for d in decls]
    lines.append(f'    fz_prepare("{fn}");')
    lines += ["    " + d for d in draws + late]
    lines.append("    fz_begin();")
    if ret == "int32_t":
        lines.append(f"    fz_end(id_{fn}({args}));")
    else:
        lines.append(f"    fz_end_pointer(id_{fn}({args}));")
    lines.append("}")
    return lines


def generate_ids(header_path: Path) -> str:
    functions = parse(header_path.read_text())
    out = ["/* Generated by Tests/Fuzz/gen_calls.py from include/gradswift.h: every gs_ function",
           " * as id_<name>, taking handle ids (uint64_t) for typed handles. Do not edit. */", ""]
    for fn, ret, params in functions:
        out += emit_id_shim(fn, ret, params)
        out.append("")
    return "\n".join(out)


def generate(header_path: Path) -> str:
    header = header_path.read_text()
    functions, enums = parse(header), enum_ranges(header)
    out = ["/* Generated by Tests/Fuzz/gen_calls.py from include/gradswift.h: one wrapper per",
           " * gs_ function, then the table the fuzzer draws from. Do not edit. */", ""]
    for fn, ret, params in functions:
        out += emit_function(fn, ret, params, enums)
        out.append("")
    out.append("static const fz_function fz_functions[] = {")
    out += [f'    {{"{fn}", fzw_{fn}}},' for fn, _, _ in functions]
    out.append("};")
    out.append(f"#define FZ_NFUNCTIONS {len(functions)}")
    return "\n".join(out) + "\n"


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        calls, ids = generate(Path(sys.argv[1])), generate_ids(Path(sys.argv[1]))
    except GenError as e:
        print(f"gen_calls.py: {e}", file=sys.stderr)
        return 1
    Path(sys.argv[2]).write_text(calls)
    Path(sys.argv[3]).write_text(ids)
    return 0


if __name__ == "__main__":
    sys.exit(main())
