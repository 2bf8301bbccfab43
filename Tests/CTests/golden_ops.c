/* golden_ops.c -- the golden op names mapped to the C ABI: the elementwise ops by name through
 * the tables generated from the header (golden_table.inc), every other op through golden_ops
 * at the end.
 *
 * Each entry takes the case's tensors (already handles) and attributes and makes the outputs
 * with gs_* calls alone. Layers are built by their gs_*_new constructor, given the case's
 * parameters with gs_module_set_parameter and run by gs_module_forward.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gradswift.h"
#include "golden.h"
#include "golden_table.inc" /* generated from the header by gen_golden_table.py */

/* ---- accessors -------------------------------------------------------------------------- */

const golden_tensor *golden_tensor_named(golden_case *c, const char *name) {
    for (int i = 0; i < c->ntensors; i++) {
        const golden_tensor *t = &c->tensors[i];
        if (t->handle.id != 0 && strcmp(t->name, name) == 0)
            return t;
    }
    return NULL;
}

gs_tensor golden_handle(golden_case *c, const char *name) {
    const golden_tensor *t = golden_tensor_named(c, name);
    return t ? t->handle : (gs_tensor){0};
}

/* A tensor the op cannot do without. */
static gs_tensor need(golden_case *c, const char *name) {
    gs_tensor h = golden_handle(c, name);
    if (h.id == 0)
        c->problem = "a tensor the op needs is missing";
    return h;
}

const golden_attr *golden_attr_named(golden_case *c, const char *name) {
    for (int i = 0; i < c->nattrs; i++)
        if (strcmp(c->attrs[i].name, name) == 0)
            return &c->attrs[i];
    return NULL;
}

bool golden_has_attr(golden_case *c, const char *name) { return golden_attr_named(c, name) != NULL; }

/* The attribute's first value, or NULL (and a problem) when it is missing or has another type. */
static const char *value_of(golden_case *c, const char *name, const char *type) {
    const golden_attr *a = golden_attr_named(c, name);
    if (!a || strcmp(a->type, type) != 0 || a->count < 1) {
        c->problem = "an attribute is missing or has the wrong type";
        return NULL;
    }
    return a->values[0];
}

int64_t golden_int(golden_case *c, const char *name) {
    const char *v = value_of(c, name, "int");
    return v ? strtoll(v, NULL, 10) : 0;
}

double golden_float(golden_case *c, const char *name) {
    const golden_attr *a = golden_attr_named(c, name);
    if (a && strcmp(a->type, "int") == 0)
        return (double)golden_int(c, name);
    const char *v = value_of(c, name, "float");
    return v ? strtod(v, NULL) : 0;
}

bool golden_bool(golden_case *c, const char *name) {
    const char *v = value_of(c, name, "bool");
    return v && strcmp(v, "1") == 0;
}

const char *golden_str(golden_case *c, const char *name) {
    const char *v = value_of(c, name, "str");
    return v ? v : "";
}

int32_t golden_ints(golden_case *c, const char *name, int64_t *out, int32_t capacity) {
    const golden_attr *a = golden_attr_named(c, name);
    if (a && strcmp(a->type, "none") == 0)
        return -1;
    if (!a || (strcmp(a->type, "int") != 0 && strcmp(a->type, "ints") != 0) || a->count > capacity) {
        c->problem = "an int or ints attribute is missing";
        return 0;
    }
    for (int i = 0; i < a->count; i++)
        out[i] = strtoll(a->values[i], NULL, 10);
    return a->count;
}

int32_t golden_dtype_code(const char *name) {
    static const char *const names[] = {"float32", "float64", "int64", "bool", "float16", "int32", "int16", "int8", "uint8"};
    static const int32_t codes[] = {GS_DTYPE_FLOAT32, GS_DTYPE_FLOAT64, GS_DTYPE_INT64, GS_DTYPE_BOOL, GS_DTYPE_FLOAT16,
                                    GS_DTYPE_INT32, GS_DTYPE_INT16, GS_DTYPE_INT8, GS_DTYPE_UINT8};
    for (int i = 0; i < (int)(sizeof codes / sizeof *codes); i++)
        if (strcmp(name, names[i]) == 0)
            return codes[i];
    return -1;
}

/* Whether the attribute is None (or absent). */
static bool is_none(golden_case *c, const char *name) {
    const golden_attr *a = golden_attr_named(c, name);
    return !a || strcmp(a->type, "none") == 0;
}

/* The case's dtype attribute (layers' parameter dtype). */
static int32_t dtype_attr(golden_case *c) { return golden_dtype_code(golden_str(c, "dtype")); }

/* The handles of the input and const tensors, in file order. */
static int32_t arguments(golden_case *c, gs_tensor *handles, int32_t capacity) {
    int32_t n = 0;
    for (int i = 0; i < c->ntensors && n < capacity; i++) {
        const golden_tensor *t = &c->tensors[i];
        if (strcmp(t->role, "input") == 0 || strcmp(t->role, "const") == 0)
            handles[n++] = t->handle;
    }
    return n;
}

static int32_t one(golden_result *r, int32_t status) {
    r->count = status == GS_OK ? 1 : 0;
    return status;
}

/* ---- elementwise ops by name, reductions --------------------------------------------------- */

/* An op of the generated tables (golden_table.inc): gs_<op> of the case's input tensors. */
static int32_t op_elementwise(golden_case *c, golden_result *r) {
    gs_tensor in[2];
    int32_t n = arguments(c, in, 2);
    for (size_t i = 0; i < sizeof golden_unary_fns / sizeof *golden_unary_fns; i++)
        if (n == 1 && strcmp(c->op, golden_unary_fns[i].name) == 0)
            return one(r, golden_unary_fns[i].fn(in[0], r->outputs));
    for (size_t i = 0; i < sizeof golden_binary_fns / sizeof *golden_binary_fns; i++)
        if (n == 2 && strcmp(c->op, golden_binary_fns[i].name) == 0)
            return one(r, golden_binary_fns[i].fn(in[0], in[1], r->outputs));
    c->problem = "the elementwise op got another number of input tensors";
    return GS_OK;
}

static int32_t op_binary_scalar(golden_case *c, golden_result *r) {
    const char *name = golden_str(c, "op");
    int32_t code = -1;
    for (size_t i = 0; i < sizeof golden_binary_codes / sizeof *golden_binary_codes; i++)
        if (strcmp(name, golden_binary_codes[i].name) == 0)
            code = golden_binary_codes[i].code;
    int32_t kind = strcmp(golden_str(c, "kind"), "int") == 0 ? GS_SCALAR_KIND_INT : GS_SCALAR_KIND_FLOAT;
    return one(r, gs_binary_scalar(code, need(c, "x"), golden_float(c, "scalar"), kind,
                                   golden_bool(c, "reverse"), r->outputs));
}

#define UNARY_OP(fn)                                                                          \
    static int32_t op_##fn(golden_case *c, golden_result *r) { return one(r, fn(need(c, "x"), r->outputs)); }
UNARY_OP(gs_sigmoid)
UNARY_OP(gs_tanh)
UNARY_OP(gs_relu)
UNARY_OP(gs_silu)
UNARY_OP(gs_selu)
UNARY_OP(gs_mish)
UNARY_OP(gs_relu6)
UNARY_OP(gs_hardsigmoid)
UNARY_OP(gs_hardswish)
UNARY_OP(gs_logsigmoid)

/* round, with the decimals attribute (0 when absent). */
static int32_t op_round(golden_case *c, golden_result *r) {
    int64_t decimals = golden_has_attr(c, "decimals") ? golden_int(c, "decimals") : 0;
    return one(r, gs_round(need(c, "x"), decimals, r->outputs));
}

/* clamp with tensor bounds (either may be missing). */
static int32_t op_clamp(golden_case *c, golden_result *r) {
    return one(r, gs_clamp(need(c, "x"), golden_handle(c, "min"), golden_handle(c, "max"), r->outputs));
}

/* clamp with scalar bounds (none: no bound); int bounds when every given bound is an int. */
static int32_t op_clamp_scalar(golden_case *c, golden_result *r) {
    bool has_min = !is_none(c, "min"), has_max = !is_none(c, "max");
    bool integral = (!has_min || strcmp(golden_attr_named(c, "min")->type, "int") == 0) &&
                    (!has_max || strcmp(golden_attr_named(c, "max")->type, "int") == 0);
    return one(r, gs_clamp_scalar(need(c, "x"), has_min ? golden_float(c, "min") : 0, has_min,
                                  has_max ? golden_float(c, "max") : 0, has_max,
                                  integral ? GS_SCALAR_KIND_INT : GS_SCALAR_KIND_FLOAT, r->outputs));
}

static int32_t op_where(golden_case *c, golden_result *r) {
    return one(r, gs_where(need(c, "condition"), need(c, "a"), need(c, "b"), r->outputs));
}

static int32_t op_lerp(golden_case *c, golden_result *r) {
    return one(r, gs_lerp(need(c, "start"), need(c, "end"), need(c, "weight"), r->outputs));
}

static int32_t op_astype(golden_case *c, golden_result *r) {
    return one(r, gs_tensor_astype(need(c, "x"), golden_dtype_code(golden_str(c, "dtype")), r->outputs));
}

#define REDUCE_OP(fn)                                                                         \
    static int32_t op_##fn(golden_case *c, golden_result *r) {                                \
        int64_t axes[GOLDEN_MAX_DIMS];                                                        \
        int32_t n = golden_ints(c, "axis", axes, GOLDEN_MAX_DIMS);                            \
        return one(r, fn(need(c, "x"), axes, n, golden_bool(c, "keepdims"), r->outputs));     \
    }
REDUCE_OP(gs_sum)
REDUCE_OP(gs_mean)
REDUCE_OP(gs_max)
REDUCE_OP(gs_min)
REDUCE_OP(gs_argmax)
REDUCE_OP(gs_argmin)
REDUCE_OP(gs_prod)
REDUCE_OP(gs_logsumexp)
REDUCE_OP(gs_all)
REDUCE_OP(gs_any)

/* var and std take the divisor correction between the axes and keepdims. */
#define VARIANCE_OP(fn)                                                                       \
    static int32_t op_##fn(golden_case *c, golden_result *r) {                                \
        int64_t axes[GOLDEN_MAX_DIMS];                                                        \
        int32_t n = golden_ints(c, "axis", axes, GOLDEN_MAX_DIMS);                            \
        return one(r, fn(need(c, "x"), axes, n, golden_float(c, "correction"), golden_bool(c, "keepdims"), r->outputs)); \
    }
VARIANCE_OP(gs_var)
VARIANCE_OP(gs_std)

static int32_t op_norm(golden_case *c, golden_result *r) {
    int64_t axes[GOLDEN_MAX_DIMS];
    int32_t n = golden_ints(c, "axis", axes, GOLDEN_MAX_DIMS);
    return one(r, gs_norm(need(c, "x"), golden_float(c, "p"), axes, n, golden_bool(c, "keepdims"), r->outputs));
}

static int32_t op_cumsum(golden_case *c, golden_result *r) {
    return one(r, gs_cumsum(need(c, "x"), golden_int(c, "axis"), r->outputs));
}

static int32_t op_cumprod(golden_case *c, golden_result *r) {
    return one(r, gs_cumprod(need(c, "x"), golden_int(c, "axis"), r->outputs));
}

/* Ops returning values and indices. */
static int32_t two(golden_result *r, int32_t status) {
    r->count = status == GS_OK ? 2 : 0;
    return status;
}

static int32_t op_sort(golden_case *c, golden_result *r) {
    return two(r, gs_sort(need(c, "x"), golden_int(c, "axis"), golden_bool(c, "descending"), &r->outputs[0], &r->outputs[1]));
}

static int32_t op_argsort(golden_case *c, golden_result *r) {
    return one(r, gs_argsort(need(c, "x"), golden_int(c, "axis"), golden_bool(c, "descending"), r->outputs));
}

static int32_t op_topk(golden_case *c, golden_result *r) {
    return two(r, gs_topk(need(c, "x"), golden_int(c, "k"), golden_int(c, "axis"), golden_bool(c, "largest"),
                          &r->outputs[0], &r->outputs[1]));
}

static int32_t op_max_dim(golden_case *c, golden_result *r) {
    return two(r, gs_max_dim(need(c, "x"), golden_int(c, "axis"), golden_bool(c, "keepdims"), &r->outputs[0], &r->outputs[1]));
}

static int32_t op_min_dim(golden_case *c, golden_result *r) {
    return two(r, gs_min_dim(need(c, "x"), golden_int(c, "axis"), golden_bool(c, "keepdims"), &r->outputs[0], &r->outputs[1]));
}

/* ---- shape ops -------------------------------------------------------------------------- */

/* A shape op taking x and one int list (shape or axes) stored under `key`. */
#define INT_LIST_OP(name, fn, key)                                                             \
    static int32_t op_##name(golden_case *c, golden_result *r) {                              \
        int64_t list[GOLDEN_MAX_DIMS];                                                        \
        int32_t n = golden_ints(c, key, list, GOLDEN_MAX_DIMS);                               \
        return one(r, fn(need(c, "x"), list, n, r->outputs));                                 \
    }
INT_LIST_OP(reshape, gs_reshape, "shape")
INT_LIST_OP(transpose, gs_transpose, "axes")
INT_LIST_OP(squeeze, gs_squeeze, "axis")
INT_LIST_OP(unsqueeze, gs_unsqueeze, "axis")

static int32_t op_swapaxes(golden_case *c, golden_result *r) {
    return one(r, gs_swapaxes(need(c, "x"), golden_int(c, "axis1"), golden_int(c, "axis2"), r->outputs));
}

static int32_t op_concat(golden_case *c, golden_result *r) {
    gs_tensor inputs[GOLDEN_MAX_TENSORS];
    int32_t n = arguments(c, inputs, GOLDEN_MAX_TENSORS);
    return one(r, gs_concat(inputs, n, golden_int(c, "axis"), r->outputs));
}

/* numpy.split's rule: sections (an int) give equal parts, a list gives the split points. The
   C ABI takes the points; `axis` < 0 counts from the end. */
static int32_t split_along(golden_case *c, golden_result *r, int64_t axis) {
    const golden_tensor *x = golden_tensor_named(c, "x");
    if (!x)
        return GS_ERR_INVALID_ARGUMENT;
    if (axis < 0)
        axis += x->ndim;
    if (axis < 0 || axis >= x->ndim)
        return GS_ERR_INVALID_ARGUMENT;
    int64_t n = x->shape[axis], points[GOLDEN_MAX_OUTPUTS];
    int32_t count = golden_ints(c, "indices_or_sections", points, GOLDEN_MAX_OUTPUTS - 1);
    const golden_attr *a = golden_attr_named(c, "indices_or_sections");
    if (a && strcmp(a->type, "int") == 0) {
        int64_t sections = points[0];
        if (sections <= 0 || sections > GOLDEN_MAX_OUTPUTS || n % sections != 0)
            return GS_ERR_INVALID_ARGUMENT;
        count = (int32_t)sections - 1;
        for (int32_t i = 0; i < count; i++)
            points[i] = (i + 1) * (n / sections);
    }
    r->count = count + 1;
    int32_t st = gs_split(x->handle, points, count, axis, r->outputs);
    if (st != GS_OK)
        r->count = 0;
    return st;
}

static int32_t op_split(golden_case *c, golden_result *r) { return split_along(c, r, golden_int(c, "axis")); }
static int32_t op_vsplit(golden_case *c, golden_result *r) { return split_along(c, r, 0); }
static int32_t op_dsplit(golden_case *c, golden_result *r) { return split_along(c, r, 2); }

/* numpy.hsplit: axis 1, or axis 0 of a 1-D tensor. */
static int32_t op_hsplit(golden_case *c, golden_result *r) {
    const golden_tensor *x = golden_tensor_named(c, "x");
    return split_along(c, r, x && x->ndim == 1 ? 0 : 1);
}

/* ---- layout (PyTorch's stack ... pad) ------------------------------------------------------ */

INT_LIST_OP(permute, gs_transpose, "dims")
INT_LIST_OP(expand, gs_expand, "sizes")
INT_LIST_OP(broadcast_to, gs_broadcast_to, "shape")
INT_LIST_OP(tile, gs_tile, "dims")
INT_LIST_OP(repeat, gs_repeat, "sizes")
INT_LIST_OP(flip, gs_flip, "dims")

static int32_t op_stack(golden_case *c, golden_result *r) {
    gs_tensor inputs[GOLDEN_MAX_TENSORS];
    int32_t n = arguments(c, inputs, GOLDEN_MAX_TENSORS);
    return one(r, gs_stack(inputs, n, golden_int(c, "dim"), r->outputs));
}

static int32_t op_flatten(golden_case *c, golden_result *r) {
    return one(r, gs_flatten(need(c, "x"), golden_int(c, "start_dim"), golden_int(c, "end_dim"), r->outputs));
}

static int32_t op_unflatten(golden_case *c, golden_result *r) {
    int64_t sizes[GOLDEN_MAX_DIMS];
    int32_t n = golden_ints(c, "sizes", sizes, GOLDEN_MAX_DIMS);
    return one(r, gs_unflatten(need(c, "x"), golden_int(c, "dim"), sizes, n, r->outputs));
}

static int32_t op_movedim(golden_case *c, golden_result *r) {
    int64_t source[GOLDEN_MAX_DIMS], destination[GOLDEN_MAX_DIMS];
    int32_t ns = golden_ints(c, "source", source, GOLDEN_MAX_DIMS);
    int32_t nd = golden_ints(c, "destination", destination, GOLDEN_MAX_DIMS);
    return one(r, gs_movedim(need(c, "x"), source, ns, destination, nd, r->outputs));
}

/* repeat_interleave: an int `repeats` attribute or an int64 `repeats` tensor; dim none: flattened. */
static int32_t op_repeat_interleave(golden_case *c, golden_result *r) {
    bool all = is_none(c, "dim");
    int64_t dim = all ? 0 : golden_int(c, "dim");
    if (golden_tensor_named(c, "repeats"))
        return one(r, gs_repeat_interleave_tensor(need(c, "x"), golden_handle(c, "repeats"), dim, all, r->outputs));
    return one(r, gs_repeat_interleave(need(c, "x"), golden_int(c, "repeats"), dim, all, r->outputs));
}

/* roll: dims none (count -1 from golden_ints) rolls the flattened tensor. */
static int32_t op_roll(golden_case *c, golden_result *r) {
    int64_t shifts[GOLDEN_MAX_DIMS], dims[GOLDEN_MAX_DIMS];
    int32_t ns = golden_ints(c, "shifts", shifts, GOLDEN_MAX_DIMS);
    int32_t nd = golden_ints(c, "dims", dims, GOLDEN_MAX_DIMS);
    return one(r, gs_roll(need(c, "x"), shifts, ns, dims, nd < 0 ? 0 : nd, r->outputs));
}

static int32_t op_chunk(golden_case *c, golden_result *r) {
    int32_t count = 0;
    int32_t st = gs_chunk(need(c, "x"), golden_int(c, "chunks"), golden_int(c, "dim"), r->outputs, GOLDEN_MAX_OUTPUTS, &count);
    r->count = st == GS_OK ? count : 0;
    return st;
}

static int32_t op_tril(golden_case *c, golden_result *r) {
    return one(r, gs_tril(need(c, "x"), golden_int(c, "diagonal"), r->outputs));
}

static int32_t op_triu(golden_case *c, golden_result *r) {
    return one(r, gs_triu(need(c, "x"), golden_int(c, "diagonal"), r->outputs));
}

static int32_t op_pad(golden_case *c, golden_result *r) {
    static const golden_code modes[] = {{"constant", GS_PAD_MODE_CONSTANT}, {"reflect", GS_PAD_MODE_REFLECT},
                                        {"replicate", GS_PAD_MODE_REPLICATE}, {"circular", GS_PAD_MODE_CIRCULAR}};
    const char *name = golden_str(c, "mode");
    int32_t mode = -1;
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++)
        if (strcmp(name, modes[i].name) == 0)
            mode = modes[i].code;
    int64_t pad[2 * GOLDEN_MAX_DIMS];
    int32_t n = golden_ints(c, "pad", pad, 2 * GOLDEN_MAX_DIMS);
    double value = is_none(c, "value") ? 0 : golden_float(c, "value");
    return one(r, gs_pad(need(c, "x"), pad, n, mode, value, r->outputs));
}

/* ---- indexing --------------------------------------------------------------------------- */

/* Encodes the key attribute for gs_index: four int64 per item (kind, v0, v1, v2). */
static int32_t encode_key(golden_case *c, int64_t *key) {
    const golden_attr *a = golden_attr_named(c, "key");
    if (!a || strcmp(a->type, "index") != 0) {
        c->problem = "the key attribute is missing";
        return 0;
    }
    for (int i = 0; i < a->count; i++) {
        const char *token = a->values[i];
        int64_t *item = key + 4 * i;
        item[0] = item[1] = item[2] = item[3] = 0;
        if (strcmp(token, "new") == 0) {
            item[0] = 2;
        } else if (strcmp(token, "...") == 0) {
            item[0] = 3;
        } else if (token[0] == '@') {
            item[0] = 4;
            item[1] = (int64_t)need(c, token + 1).id;
        } else if (token[0] == 'i') {
            item[1] = strtoll(token + 1, NULL, 10);
        } else { /* s<start>:<stop>:<step>, empty parts are None */
            item[0] = 1;
            const char *p = token + 1;
            for (int part = 0; part < 3; part++) {
                char *end;
                long long v = strtoll(p, &end, 10);
                item[1 + part] = end == p ? INT64_MIN : v;
                p = *end == ':' ? end + 1 : end;
            }
        }
    }
    return a->count;
}

static int32_t op_getitem(golden_case *c, golden_result *r) {
    int64_t key[4 * GOLDEN_MAX_VALUES];
    int32_t n = encode_key(c, key);
    return one(r, gs_index(need(c, "x"), key, n, r->outputs));
}

/* x[key] = value (a tensor or a scalar attribute); the output is x itself (a new handle). */
static int32_t op_setitem(golden_case *c, golden_result *r) {
    int64_t key[4 * GOLDEN_MAX_VALUES];
    int32_t n = encode_key(c, key);
    gs_tensor x = need(c, "x"), value = golden_handle(c, "value");
    int32_t st = value.id ? gs_index_put(x, key, n, value)
                       : gs_index_put_scalar(x, key, n, golden_float(c, "value"));
    return st != GS_OK ? st : one(r, gs_tensor_detach(x, r->outputs));
}

/* ---- functional layers ------------------------------------------------------------------ */

/* ---- indexing along a dimension, linear algebra ---------------------------------------------- */

static int32_t scatter_reduce_code(golden_case *c) {
    if (!golden_has_attr(c, "reduce"))
        return GS_SCATTER_REDUCE_NONE;
    return strcmp(golden_str(c, "reduce"), "add") == 0 ? GS_SCATTER_REDUCE_ADD : GS_SCATTER_REDUCE_MULTIPLY;
}

static int32_t op_gather(golden_case *c, golden_result *r) {
    return one(r, gs_gather(need(c, "x"), golden_int(c, "dim"), need(c, "index"), r->outputs));
}

static int32_t op_scatter(golden_case *c, golden_result *r) {
    return one(r, gs_scatter(need(c, "x"), golden_int(c, "dim"), need(c, "index"), need(c, "src"), scatter_reduce_code(c),
                             r->outputs));
}

static int32_t op_scatter_value(golden_case *c, golden_result *r) {
    return one(r, gs_scatter_value(need(c, "x"), golden_int(c, "dim"), need(c, "index"), golden_float(c, "value"),
                                   scatter_reduce_code(c), r->outputs));
}

static int32_t op_scatter_add(golden_case *c, golden_result *r) {
    return one(r, gs_scatter_add(need(c, "x"), golden_int(c, "dim"), need(c, "index"), need(c, "src"), r->outputs));
}

static int32_t op_index_select(golden_case *c, golden_result *r) {
    return one(r, gs_index_select(need(c, "x"), golden_int(c, "dim"), need(c, "index"), r->outputs));
}

static int32_t op_masked_fill(golden_case *c, golden_result *r) {
    return one(r, gs_masked_fill(need(c, "x"), need(c, "mask"), need(c, "value"), r->outputs));
}

static int32_t op_take_along_dim(golden_case *c, golden_result *r) {
    bool flatten = is_none(c, "dim");
    return one(r, gs_take_along_dim(need(c, "x"), need(c, "indices"), flatten ? 0 : golden_int(c, "dim"), flatten, r->outputs));
}

static int32_t op_einsum(golden_case *c, golden_result *r) {
    gs_tensor operands[GOLDEN_MAX_TENSORS];
    int32_t n = arguments(c, operands, GOLDEN_MAX_TENSORS);
    return one(r, gs_einsum(golden_str(c, "equation"), operands, n, r->outputs));
}

/* tensordot's `dims` n means the last n dimensions of a with the first n of b. */
static int32_t op_tensordot(golden_case *c, golden_result *r) {
    int64_t da[GOLDEN_MAX_DIMS], db[GOLDEN_MAX_DIMS];
    int32_t na, nb;
    if (golden_has_attr(c, "dims")) {
        int32_t ndim = 0;
        int64_t n = golden_int(c, "dims");
        for (int i = 0; i < c->ntensors; i++)
            if (strcmp(c->tensors[i].name, "a") == 0)
                ndim = c->tensors[i].ndim;
        for (int32_t i = 0; i < n && i < GOLDEN_MAX_DIMS; i++) {
            da[i] = ndim - n + i;
            db[i] = i;
        }
        na = nb = (int32_t)n;
    } else {
        na = golden_ints(c, "dims_a", da, GOLDEN_MAX_DIMS);
        nb = golden_ints(c, "dims_b", db, GOLDEN_MAX_DIMS);
    }
    return one(r, gs_tensordot(need(c, "a"), need(c, "b"), da, na, db, nb, r->outputs));
}

static int32_t op_diag(golden_case *c, golden_result *r) {
    return one(r, gs_diag(need(c, "x"), golden_int(c, "diagonal"), r->outputs));
}

static int32_t op_diagonal(golden_case *c, golden_result *r) {
    return one(r, gs_diagonal(need(c, "x"), golden_int(c, "offset"), golden_int(c, "dim1"), golden_int(c, "dim2"), r->outputs));
}

static int32_t reduction_code(golden_case *c) {
    const char *name = golden_str(c, "reduction");
    return strcmp(name, "sum") == 0         ? GS_REDUCTION_SUM
           : strcmp(name, "none") == 0      ? GS_REDUCTION_NONE
           : strcmp(name, "batchmean") == 0 ? GS_REDUCTION_BATCHMEAN
                                            : GS_REDUCTION_MEAN;
}

static int32_t op_leaky_relu(golden_case *c, golden_result *r) {
    return one(r, gs_leaky_relu(need(c, "x"), golden_float(c, "alpha"), r->outputs));
}

static int32_t op_gelu(golden_case *c, golden_result *r) {
    return one(r, gs_gelu(need(c, "x"), strcmp(golden_str(c, "approximate"), "tanh") == 0, r->outputs));
}

static int32_t op_elu(golden_case *c, golden_result *r) {
    return one(r, gs_elu(need(c, "x"), golden_float(c, "alpha"), r->outputs));
}

static int32_t op_celu(golden_case *c, golden_result *r) {
    return one(r, gs_celu(need(c, "x"), golden_float(c, "alpha"), r->outputs));
}

static int32_t op_softplus(golden_case *c, golden_result *r) {
    return one(r, gs_softplus(need(c, "x"), golden_float(c, "beta"), golden_float(c, "threshold"), r->outputs));
}

static int32_t op_hardtanh(golden_case *c, golden_result *r) {
    return one(r, gs_hardtanh(need(c, "x"), golden_float(c, "min_val"), golden_float(c, "max_val"), r->outputs));
}

static int32_t op_softmax(golden_case *c, golden_result *r) {
    bool all = is_none(c, "axis");
    return one(r, gs_softmax(need(c, "x"), all ? 0 : golden_int(c, "axis"), all, r->outputs));
}

static int32_t op_log_softmax(golden_case *c, golden_result *r) {
    bool all = is_none(c, "axis");
    return one(r, gs_log_softmax(need(c, "x"), all ? 0 : golden_int(c, "axis"), all, r->outputs));
}

#define LOSS_OP(fn)                                                                           \
    static int32_t op_##fn(golden_case *c, golden_result *r) {                                \
        return one(r, fn(need(c, "pred"), need(c, "target"), reduction_code(c), r->outputs)); \
    }
LOSS_OP(gs_mse_loss)
LOSS_OP(gs_nll_loss)
LOSS_OP(gs_cross_entropy)

/* The pointwise losses take (input, target) and their settings; weights are optional. */
static int32_t op_l1_loss(golden_case *c, golden_result *r) {
    return one(r, gs_l1_loss(need(c, "input"), need(c, "target"), reduction_code(c), r->outputs));
}

static int32_t op_smooth_l1_loss(golden_case *c, golden_result *r) {
    return one(r, gs_smooth_l1_loss(need(c, "input"), need(c, "target"), reduction_code(c), golden_float(c, "beta"), r->outputs));
}

static int32_t op_huber_loss(golden_case *c, golden_result *r) {
    return one(r, gs_huber_loss(need(c, "input"), need(c, "target"), reduction_code(c), golden_float(c, "delta"), r->outputs));
}

static int32_t op_binary_cross_entropy(golden_case *c, golden_result *r) {
    return one(r, gs_binary_cross_entropy(need(c, "input"), need(c, "target"), golden_handle(c, "weight"),
                                          reduction_code(c), r->outputs));
}

static int32_t op_binary_cross_entropy_with_logits(golden_case *c, golden_result *r) {
    return one(r, gs_binary_cross_entropy_with_logits(need(c, "input"), need(c, "target"), golden_handle(c, "weight"),
                                                      golden_handle(c, "pos_weight"), reduction_code(c), r->outputs));
}

static int32_t op_kl_div(golden_case *c, golden_result *r) {
    return one(r, gs_kl_div(need(c, "input"), need(c, "target"), reduction_code(c), golden_bool(c, "log_target"), r->outputs));
}

static int32_t op_linear(golden_case *c, golden_result *r) {
    return one(r, gs_linear(need(c, "x"), need(c, "weight"), golden_handle(c, "bias"), r->outputs));
}

static int32_t op_embedding(golden_case *c, golden_result *r) {
    bool padded = !is_none(c, "padding_idx");
    return one(r, gs_embedding(need(c, "indices"), need(c, "weight"), padded ? golden_int(c, "padding_idx") : 0,
                               padded, r->outputs));
}

static int32_t op_dropout(golden_case *c, golden_result *r) {
    return one(r, gs_dropout(need(c, "x"), golden_float(c, "p"), golden_bool(c, "training"), r->outputs));
}

#define CONV_OP(fn)                                                                           \
    static int32_t op_##fn(golden_case *c, golden_result *r) {                                \
        return one(r, fn(need(c, "x"), need(c, "weight"), golden_handle(c, "bias"),           \
                         golden_int(c, "stride"), golden_int(c, "padding"), r->outputs));      \
    }
CONV_OP(gs_conv1d)
CONV_OP(gs_conv2d)

#define POOL_OP(fn)                                                                           \
    static int32_t op_##fn(golden_case *c, golden_result *r) {                                \
        return one(r, fn(need(c, "x"), golden_int(c, "kernel_size"), golden_int(c, "stride"), \
                         golden_int(c, "padding"), r->outputs));                               \
    }
POOL_OP(gs_max_pool1d)
POOL_OP(gs_max_pool2d)
POOL_OP(gs_avg_pool1d)
POOL_OP(gs_avg_pool2d)

/* Adaptive pooling sizes: "output_size" is an int or a pair, -1 keeping the input's size. */
static void adaptive_sizes(golden_case *c, int64_t sizes[2]) {
    int32_t n = golden_ints(c, "output_size", sizes, 2);
    if (n == 1) sizes[1] = sizes[0];
}

#define ADAPTIVE_OP(fn)                                                                        \
    static int32_t op_##fn(golden_case *c, golden_result *r) {                                \
        int64_t s[2];                                                                         \
        adaptive_sizes(c, s);                                                                 \
        return one(r, fn##2d(need(c, "x"), s[0], s[1], r->outputs));                          \
    }                                                                                         \
    static int32_t op_##fn##1(golden_case *c, golden_result *r) {                             \
        int64_t s[2];                                                                         \
        adaptive_sizes(c, s);                                                                 \
        return one(r, fn##1d(need(c, "x"), s[0], r->outputs));                                \
    }
ADAPTIVE_OP(gs_adaptive_max_pool)
ADAPTIVE_OP(gs_adaptive_avg_pool)

/* An int or ints attribute as a (height, width) pair; one int means both, none gives 0 0. */
static void attr_pair(golden_case *c, const char *name, int64_t v[2]) {
    int32_t n = golden_ints(c, name, v, 2);
    if (n < 1) v[0] = v[1] = 0;
    else if (n == 1) v[1] = v[0];
}

/* interpolate's and Upsample's C arguments: one size or factor goes to the width slot. */
typedef struct { int64_t size_h, size_w; double scale_h, scale_w; int32_t mode; bool align; } resample_args;

static resample_args resample_of(golden_case *c) {
    resample_args a = {0};
    int64_t s[2];
    int32_t n = golden_ints(c, "size", s, 2);
    if (n == 1) a.size_w = s[0];
    else if (n == 2) { a.size_h = s[0]; a.size_w = s[1]; }
    const golden_attr *f = golden_attr_named(c, "scale_factor");
    if (f && strcmp(f->type, "none") != 0) a.scale_w = golden_float(c, "scale_factor");
    const char *mode = golden_str(c, "mode");
    a.mode = strcmp(mode, "nearest") == 0 ? 0 : strcmp(mode, "linear") == 0 ? 1 : 2;
    const golden_attr *al = golden_attr_named(c, "align_corners");
    a.align = al && strcmp(al->type, "bool") == 0 && golden_bool(c, "align_corners");
    return a;
}

static int32_t op_interpolate(golden_case *c, golden_result *r) {
    resample_args a = resample_of(c);
    return one(r, gs_interpolate(need(c, "x"), a.size_h, a.size_w, a.scale_h, a.scale_w, a.mode, a.align, r->outputs));
}

static int32_t op_conv_transpose1d(golden_case *c, golden_result *r) {
    return one(r, gs_conv_transpose1d(need(c, "x"), need(c, "weight"), golden_handle(c, "bias"), golden_int(c, "stride"),
                                      golden_int(c, "padding"), golden_int(c, "output_padding"), r->outputs));
}

static int32_t op_conv_transpose2d(golden_case *c, golden_result *r) {
    int64_t s[2], p[2], o[2];
    attr_pair(c, "stride", s);
    attr_pair(c, "padding", p);
    attr_pair(c, "output_padding", o);
    return one(r, gs_conv_transpose2d(need(c, "x"), need(c, "weight"), golden_handle(c, "bias"), s[0], s[1], p[0], p[1],
                                      o[0], o[1], r->outputs));
}

static int32_t op_layer_norm(golden_case *c, golden_result *r) {
    int64_t shape[GOLDEN_MAX_DIMS];
    int32_t n = golden_ints(c, "normalized_shape", shape, GOLDEN_MAX_DIMS);
    return one(r, gs_layer_norm(need(c, "x"), shape, n, golden_handle(c, "weight"), golden_handle(c, "bias"),
                                golden_float(c, "eps"), r->outputs));
}

static int32_t op_rms_norm(golden_case *c, golden_result *r) {
    int64_t shape[GOLDEN_MAX_DIMS];
    int32_t n = golden_ints(c, "normalized_shape", shape, GOLDEN_MAX_DIMS);
    return one(r, gs_rms_norm(need(c, "x"), shape, n, golden_handle(c, "weight"), golden_float(c, "eps"), r->outputs));
}

static int32_t op_batch_norm(golden_case *c, golden_result *r) {
    return one(r, gs_batch_norm(need(c, "x"), golden_handle(c, "running_mean"), golden_handle(c, "running_var"),
                                golden_handle(c, "weight"), golden_handle(c, "bias"), golden_bool(c, "training"),
                                golden_float(c, "momentum"), golden_float(c, "eps"), r->outputs));
}

static int32_t op_group_norm(golden_case *c, golden_result *r) {
    return one(r, gs_group_norm(need(c, "x"), golden_int(c, "num_groups"), golden_handle(c, "weight"),
                                golden_handle(c, "bias"), golden_float(c, "eps"), r->outputs));
}

static int32_t op_instance_norm(golden_case *c, golden_result *r) {
    return one(r, gs_instance_norm(need(c, "x"), golden_handle(c, "running_mean"), golden_handle(c, "running_var"),
                                   golden_handle(c, "weight"), golden_handle(c, "bias"), golden_bool(c, "use_input_stats"),
                                   golden_float(c, "momentum"), golden_float(c, "eps"), r->outputs));
}

/* A float attribute, NaN when it is none. */
static double float_or_nan(golden_case *c, const char *name) {
    for (int i = 0; i < c->nattrs; i++)
        if (strcmp(c->attrs[i].name, name) == 0 && strcmp(c->attrs[i].type, "none") == 0)
            return NAN;
    return golden_float(c, name);
}

static int32_t op_scaled_dot_product_attention(golden_case *c, golden_result *r) {
    return one(r, gs_scaled_dot_product_attention(need(c, "query"), need(c, "key"), need(c, "value"),
                                                  golden_handle(c, "attn_mask"), 0.0, golden_bool(c, "is_causal"),
                                                  float_or_nan(c, "scale"), r->outputs));
}

/* nn.MultiheadAttention through its functional export: the output and the weights. */
static int32_t op_multihead_attention(golden_case *c, golden_result *r) {
    int32_t st = gs_multi_head_attention(
        need(c, "query"), need(c, "key"), need(c, "value"), golden_int(c, "num_heads"), need(c, "in_proj_weight"),
        golden_handle(c, "in_proj_bias"), need(c, "out_proj.weight"), golden_handle(c, "out_proj.bias"),
        golden_handle(c, "key_padding_mask"), golden_handle(c, "attn_mask"), true, golden_bool(c, "average_attn_weights"),
        false, 0.0, false, golden_bool(c, "batch_first"), &r->outputs[0], &r->outputs[1]);
    r->count = st == GS_OK ? 2 : 0;
    return st;
}

/* ---- layers ----------------------------------------------------------------------------- */

/* Gives the module made by `made` (its status) the case's parameters and mode, then runs it on
   the input and const tensors. */
static int32_t forward(golden_case *c, golden_result *r, int32_t made) {
    if (made != GS_OK)
        return made;
    for (int i = 0; i < c->ntensors; i++) {
        golden_tensor *t = &c->tensors[i];
        if (strcmp(t->role, "param") == 0 || strcmp(t->role, "state") == 0) {
            int32_t st = gs_module_set_parameter(r->module, t->name, t->handle);
            if (st != GS_OK)
                return st;
        }
    }
    if (golden_has_attr(c, "training")) {
        int32_t st = gs_module_train(r->module, golden_bool(c, "training"));
        if (st != GS_OK)
            return st;
    }
    gs_tensor inputs[GOLDEN_MAX_TENSORS];
    int32_t n = arguments(c, inputs, GOLDEN_MAX_TENSORS);
    return gs_module_forward(r->module, inputs, n, r->outputs, GOLDEN_MAX_OUTPUTS, &r->count);
}

#define LAYER(name, constructor_call)                                                        \
    static int32_t op_##name(golden_case *c, golden_result *r) { return forward(c, r, constructor_call); }

LAYER(relu_layer, gs_relu_new(&r->module))
LAYER(sigmoid_layer, gs_sigmoid_new(&r->module))
LAYER(tanh_layer, gs_tanh_new(&r->module))
LAYER(leaky_relu_layer, gs_leaky_relu_new(golden_float(c, "alpha"), &r->module))
LAYER(gelu_layer, gs_gelu_new(strcmp(golden_str(c, "approximate"), "tanh") == 0, &r->module))
LAYER(silu_layer, gs_silu_new(&r->module))
LAYER(elu_layer, gs_elu_new(golden_float(c, "alpha"), &r->module))
LAYER(selu_layer, gs_selu_new(&r->module))
LAYER(celu_layer, gs_celu_new(golden_float(c, "alpha"), &r->module))
LAYER(softplus_layer, gs_softplus_new(golden_float(c, "beta"), golden_float(c, "threshold"), &r->module))
LAYER(mish_layer, gs_mish_new(&r->module))
LAYER(hardtanh_layer, gs_hardtanh_new(golden_float(c, "min_val"), golden_float(c, "max_val"), &r->module))
LAYER(relu6_layer, gs_relu6_new(&r->module))
LAYER(hardsigmoid_layer, gs_hardsigmoid_new(&r->module))
LAYER(hardswish_layer, gs_hardswish_new(&r->module))
LAYER(logsigmoid_layer, gs_logsigmoid_new(&r->module))
LAYER(mse_loss_layer, gs_mse_loss_new(reduction_code(c), &r->module))
LAYER(nll_loss_layer, gs_nll_loss_new(reduction_code(c), &r->module))
LAYER(cross_entropy_loss_layer, gs_cross_entropy_loss_new(reduction_code(c), &r->module))
LAYER(l1_loss_layer, gs_l1_loss_new(reduction_code(c), &r->module))
LAYER(smooth_l1_loss_layer, gs_smooth_l1_loss_new(reduction_code(c), golden_float(c, "beta"), &r->module))
LAYER(huber_loss_layer, gs_huber_loss_new(reduction_code(c), golden_float(c, "delta"), &r->module))
LAYER(bce_loss_layer, gs_bce_loss_new((gs_tensor){0}, reduction_code(c), &r->module))
LAYER(bce_with_logits_loss_layer, gs_bce_with_logits_loss_new((gs_tensor){0}, (gs_tensor){0}, reduction_code(c), &r->module))
LAYER(kl_div_loss_layer, gs_kl_div_loss_new(reduction_code(c), golden_bool(c, "log_target"), &r->module))
LAYER(linear_layer, gs_linear_new(golden_int(c, "in_features"), golden_int(c, "out_features"),
                                  golden_bool(c, "bias"), dtype_attr(c), &r->module))
LAYER(dropout_layer, gs_dropout_new(golden_float(c, "p"), &r->module))
LAYER(conv1d_layer, gs_conv1d_new(golden_int(c, "in_channels"), golden_int(c, "out_channels"),
                                  golden_int(c, "kernel_size"), golden_int(c, "stride"), golden_int(c, "padding"),
                                  golden_bool(c, "bias"), dtype_attr(c), &r->module))
LAYER(conv2d_layer, gs_conv2d_new(golden_int(c, "in_channels"), golden_int(c, "out_channels"),
                                  golden_int(c, "kernel_size"), golden_int(c, "stride"), golden_int(c, "padding"),
                                  golden_bool(c, "bias"), dtype_attr(c), &r->module))
LAYER(max_pool1d_layer, gs_max_pool1d_new(golden_int(c, "kernel_size"), golden_int(c, "stride"),
                                          golden_int(c, "padding"), &r->module))
LAYER(max_pool2d_layer, gs_max_pool2d_new(golden_int(c, "kernel_size"), golden_int(c, "stride"),
                                          golden_int(c, "padding"), &r->module))
LAYER(avg_pool1d_layer, gs_avg_pool1d_new(golden_int(c, "kernel_size"), golden_int(c, "stride"),
                                          golden_int(c, "padding"), &r->module))
LAYER(avg_pool2d_layer, gs_avg_pool2d_new(golden_int(c, "kernel_size"), golden_int(c, "stride"),
                                          golden_int(c, "padding"), &r->module))
LAYER(adaptive_max_pool1d_layer, gs_adaptive_max_pool1d_new(golden_int(c, "output_size"), &r->module))
LAYER(adaptive_avg_pool1d_layer, gs_adaptive_avg_pool1d_new(golden_int(c, "output_size"), &r->module))
#define ADAPTIVE_LAYER(name, constructor)                                                     \
    static int32_t op_##name(golden_case *c, golden_result *r) {                              \
        int64_t s[2];                                                                         \
        adaptive_sizes(c, s);                                                                 \
        return forward(c, r, constructor(s[0], s[1], &r->module));                            \
    }
ADAPTIVE_LAYER(adaptive_max_pool2d_layer, gs_adaptive_max_pool2d_new)
ADAPTIVE_LAYER(adaptive_avg_pool2d_layer, gs_adaptive_avg_pool2d_new)

static int32_t op_upsample_layer(golden_case *c, golden_result *r) {
    resample_args a = resample_of(c);
    return forward(c, r, gs_upsample_new(a.size_h, a.size_w, a.scale_h, a.scale_w, a.mode, a.align, &r->module));
}

LAYER(conv_transpose1d_layer, gs_conv_transpose1d_new(golden_int(c, "in_channels"), golden_int(c, "out_channels"),
                                                      golden_int(c, "kernel_size"), golden_int(c, "stride"),
                                                      golden_int(c, "padding"), golden_int(c, "output_padding"),
                                                      golden_bool(c, "bias"), dtype_attr(c), &r->module))

static int32_t op_conv_transpose2d_layer(golden_case *c, golden_result *r) {
    int64_t k[2], s[2], p[2], o[2];
    attr_pair(c, "kernel_size", k);
    attr_pair(c, "stride", s);
    attr_pair(c, "padding", p);
    attr_pair(c, "output_padding", o);
    return forward(c, r, gs_conv_transpose2d_new(golden_int(c, "in_channels"), golden_int(c, "out_channels"), k[0], k[1],
                                                 s[0], s[1], p[0], p[1], o[0], o[1], golden_bool(c, "bias"), dtype_attr(c),
                                                 &r->module));
}
LAYER(batch_norm1d_layer, gs_batch_norm1d_new(golden_int(c, "num_features"), golden_float(c, "eps"),
                                              golden_float(c, "momentum"), dtype_attr(c), &r->module))
LAYER(batch_norm2d_layer, gs_batch_norm2d_new(golden_int(c, "num_features"), golden_float(c, "eps"),
                                              golden_float(c, "momentum"), dtype_attr(c), &r->module))
LAYER(lstm_cell_layer, gs_lstm_cell_new(golden_int(c, "input_size"), golden_int(c, "hidden_size"),
                                        golden_bool(c, "bias"), dtype_attr(c), &r->module))
LAYER(gru_cell_layer, gs_gru_cell_new(golden_int(c, "input_size"), golden_int(c, "hidden_size"),
                                      golden_bool(c, "bias"), dtype_attr(c), &r->module))
LAYER(lstm_layer, gs_lstm_new(golden_int(c, "input_size"), golden_int(c, "hidden_size"), golden_int(c, "num_layers"),
                              golden_bool(c, "bias"), golden_bool(c, "batch_first"), golden_bool(c, "bidirectional"),
                              dtype_attr(c), &r->module))
LAYER(gru_layer, gs_gru_new(golden_int(c, "input_size"), golden_int(c, "hidden_size"), golden_int(c, "num_layers"),
                            golden_bool(c, "bias"), golden_bool(c, "batch_first"), golden_bool(c, "bidirectional"),
                            dtype_attr(c), &r->module))

static int32_t op_softmax_layer(golden_case *c, golden_result *r) {
    bool all = is_none(c, "axis");
    return forward(c, r, gs_softmax_new(all ? 0 : golden_int(c, "axis"), all, &r->module));
}

static int32_t op_embedding_layer(golden_case *c, golden_result *r) {
    bool padded = !is_none(c, "padding_idx");
    return forward(c, r, gs_embedding_new(golden_int(c, "num_embeddings"), golden_int(c, "embedding_dim"),
                                          padded ? golden_int(c, "padding_idx") : 0, padded, dtype_attr(c), &r->module));
}

/* The normalized_shape attribute as a gs_*_norm_new argument. */
#define NORM_LAYER(name, fn)                                                                  \
    static int32_t op_##name(golden_case *c, golden_result *r) {                              \
        int64_t shape[GOLDEN_MAX_DIMS];                                                       \
        int32_t n = golden_ints(c, "normalized_shape", shape, GOLDEN_MAX_DIMS);               \
        return forward(c, r, fn(shape, n, golden_float(c, "eps"), dtype_attr(c), &r->module)); \
    }
NORM_LAYER(layer_norm_layer, gs_layer_norm_new)
NORM_LAYER(rms_norm_layer, gs_rms_norm_new)

static int32_t nonlinearity_code(golden_case *c) { return strcmp(golden_str(c, "nonlinearity"), "relu") == 0 ? 1 : 0; }

LAYER(rnn_cell_layer, gs_rnn_cell_new(golden_int(c, "input_size"), golden_int(c, "hidden_size"), golden_bool(c, "bias"),
                                      nonlinearity_code(c), dtype_attr(c), &r->module))
LAYER(rnn_layer, gs_rnn_new(golden_int(c, "input_size"), golden_int(c, "hidden_size"), golden_int(c, "num_layers"),
                            nonlinearity_code(c), golden_bool(c, "bias"), golden_bool(c, "batch_first"),
                            golden_bool(c, "bidirectional"), dtype_attr(c), &r->module))

/* ---- the table -------------------------------------------------------------------------- */

const golden_op golden_ops[] = {
    {"binary_scalar", op_binary_scalar},
    {"astype", op_astype},
    {"sum", op_gs_sum}, {"mean", op_gs_mean}, {"max", op_gs_max}, {"min", op_gs_min},
    {"argmax", op_gs_argmax}, {"argmin", op_gs_argmin},
    {"prod", op_gs_prod}, {"var", op_gs_var}, {"std", op_gs_std}, {"logsumexp", op_gs_logsumexp}, {"norm", op_norm},
    {"all", op_gs_all}, {"any", op_gs_any}, {"cumsum", op_cumsum}, {"cumprod", op_cumprod}, {"sort", op_sort},
    {"argsort", op_argsort}, {"topk", op_topk}, {"max_dim", op_max_dim}, {"min_dim", op_min_dim},
    {"reshape", op_reshape}, {"transpose", op_transpose}, {"swapaxes", op_swapaxes}, {"squeeze", op_squeeze},
    {"unsqueeze", op_unsqueeze}, {"concat", op_concat}, {"split", op_split}, {"vsplit", op_vsplit},
    {"hsplit", op_hsplit}, {"dsplit", op_dsplit},
    {"getitem", op_getitem}, {"setitem", op_setitem},
    {"stack", op_stack}, {"flatten", op_flatten}, {"unflatten", op_unflatten}, {"permute", op_permute},
    {"expand", op_expand}, {"broadcast_to", op_broadcast_to}, {"movedim", op_movedim}, {"tile", op_tile},
    {"repeat", op_repeat}, {"repeat_interleave", op_repeat_interleave}, {"flip", op_flip}, {"roll", op_roll},
    {"chunk", op_chunk}, {"tril", op_tril}, {"triu", op_triu}, {"F.pad", op_pad},
    {"gather", op_gather}, {"scatter", op_scatter}, {"scatter_value", op_scatter_value}, {"scatter_add", op_scatter_add},
    {"index_select", op_index_select}, {"masked_fill", op_masked_fill}, {"take_along_dim", op_take_along_dim},
    {"einsum", op_einsum}, {"tensordot", op_tensordot}, {"diag", op_diag}, {"diagonal", op_diagonal},
    {"F.relu", op_gs_relu}, {"F.leaky_relu", op_leaky_relu}, {"F.silu", op_gs_silu}, {"F.sigmoid", op_gs_sigmoid},
    {"F.tanh", op_gs_tanh}, {"F.softmax", op_softmax}, {"F.log_softmax", op_log_softmax},
    {"nn.ReLU", op_relu_layer}, {"nn.Sigmoid", op_sigmoid_layer}, {"nn.Tanh", op_tanh_layer},
    {"nn.LeakyReLU", op_leaky_relu_layer}, {"nn.Softmax", op_softmax_layer},
    {"round", op_round}, {"clamp", op_clamp}, {"clamp_scalar", op_clamp_scalar}, {"where", op_where},
    {"lerp", op_lerp},
    {"F.gelu", op_gelu}, {"F.elu", op_elu}, {"F.selu", op_gs_selu}, {"F.celu", op_celu}, {"F.softplus", op_softplus},
    {"F.mish", op_gs_mish}, {"F.hardtanh", op_hardtanh}, {"F.relu6", op_gs_relu6},
    {"F.hardsigmoid", op_gs_hardsigmoid}, {"F.hardswish", op_gs_hardswish}, {"F.logsigmoid", op_gs_logsigmoid},
    {"nn.GELU", op_gelu_layer}, {"nn.SiLU", op_silu_layer}, {"nn.ELU", op_elu_layer}, {"nn.SELU", op_selu_layer},
    {"nn.CELU", op_celu_layer}, {"nn.Softplus", op_softplus_layer}, {"nn.Mish", op_mish_layer},
    {"nn.Hardtanh", op_hardtanh_layer}, {"nn.ReLU6", op_relu6_layer}, {"nn.Hardsigmoid", op_hardsigmoid_layer},
    {"nn.Hardswish", op_hardswish_layer}, {"nn.LogSigmoid", op_logsigmoid_layer},
    {"F.mse_loss", op_gs_mse_loss}, {"F.nll_loss", op_gs_nll_loss}, {"F.cross_entropy_loss", op_gs_cross_entropy},
    {"F.l1_loss", op_l1_loss}, {"F.smooth_l1_loss", op_smooth_l1_loss}, {"F.huber_loss", op_huber_loss},
    {"F.binary_cross_entropy", op_binary_cross_entropy},
    {"F.binary_cross_entropy_with_logits", op_binary_cross_entropy_with_logits}, {"F.kl_div", op_kl_div},
    {"nn.L1Loss", op_l1_loss_layer}, {"nn.SmoothL1Loss", op_smooth_l1_loss_layer}, {"nn.HuberLoss", op_huber_loss_layer},
    {"nn.BCELoss", op_bce_loss_layer}, {"nn.BCEWithLogitsLoss", op_bce_with_logits_loss_layer},
    {"nn.KLDivLoss", op_kl_div_loss_layer},
    {"nn.MSELoss", op_mse_loss_layer}, {"nn.NLLLoss", op_nll_loss_layer},
    {"nn.CrossEntropyLoss", op_cross_entropy_loss_layer},
    {"F.linear", op_linear}, {"nn.Linear", op_linear_layer}, {"F.embedding", op_embedding},
    {"nn.Embedding", op_embedding_layer}, {"F.dropout", op_dropout}, {"nn.Dropout", op_dropout_layer},
    {"F.conv1d", op_gs_conv1d}, {"F.conv2d", op_gs_conv2d}, {"nn.Conv1d", op_conv1d_layer},
    {"nn.Conv2d", op_conv2d_layer},
    {"F.max_pool1d", op_gs_max_pool1d}, {"F.max_pool2d", op_gs_max_pool2d}, {"F.avg_pool1d", op_gs_avg_pool1d},
    {"F.avg_pool2d", op_gs_avg_pool2d}, {"nn.MaxPool1d", op_max_pool1d_layer}, {"nn.MaxPool2d", op_max_pool2d_layer},
    {"nn.AvgPool1d", op_avg_pool1d_layer}, {"nn.AvgPool2d", op_avg_pool2d_layer},
    {"F.adaptive_max_pool1d", op_gs_adaptive_max_pool1}, {"F.adaptive_max_pool2d", op_gs_adaptive_max_pool},
    {"F.adaptive_avg_pool1d", op_gs_adaptive_avg_pool1}, {"F.adaptive_avg_pool2d", op_gs_adaptive_avg_pool},
    {"nn.AdaptiveMaxPool1d", op_adaptive_max_pool1d_layer}, {"nn.AdaptiveMaxPool2d", op_adaptive_max_pool2d_layer},
    {"nn.AdaptiveAvgPool1d", op_adaptive_avg_pool1d_layer}, {"nn.AdaptiveAvgPool2d", op_adaptive_avg_pool2d_layer},
    {"F.interpolate", op_interpolate}, {"nn.Upsample", op_upsample_layer},
    {"F.conv_transpose1d", op_conv_transpose1d}, {"F.conv_transpose2d", op_conv_transpose2d},
    {"nn.ConvTranspose1d", op_conv_transpose1d_layer}, {"nn.ConvTranspose2d", op_conv_transpose2d_layer},
    {"F.layer_norm", op_layer_norm}, {"F.rms_norm", op_rms_norm}, {"F.batch_norm", op_batch_norm},
    {"F.group_norm", op_group_norm}, {"F.instance_norm", op_instance_norm},
    {"F.scaled_dot_product_attention", op_scaled_dot_product_attention},
    {"nn.MultiheadAttention", op_multihead_attention},
    {"nn.LayerNorm", op_layer_norm_layer}, {"nn.RMSNorm", op_rms_norm_layer},
    {"nn.BatchNorm1d", op_batch_norm1d_layer}, {"nn.BatchNorm2d", op_batch_norm2d_layer},
    {"nn.RNNCell", op_rnn_cell_layer}, {"nn.LSTMCell", op_lstm_cell_layer}, {"nn.GRUCell", op_gru_cell_layer},
    {"nn.RNN", op_rnn_layer}, {"nn.LSTM", op_lstm_layer}, {"nn.GRU", op_gru_layer},
};
const int golden_op_count = (int)(sizeof golden_ops / sizeof golden_ops[0]);

const golden_op *golden_find(const char *name) {
    for (int i = 0; i < golden_op_count; i++)
        if (strcmp(golden_ops[i].op, name) == 0)
            return &golden_ops[i];
    static const golden_op elementwise = {"elementwise", op_elementwise};
    for (size_t i = 0; i < sizeof golden_unary_fns / sizeof *golden_unary_fns; i++)
        if (strcmp(name, golden_unary_fns[i].name) == 0)
            return &elementwise;
    for (size_t i = 0; i < sizeof golden_binary_fns / sizeof *golden_binary_fns; i++)
        if (strcmp(name, golden_binary_fns[i].name) == 0)
            return &elementwise;
    return NULL;
}
