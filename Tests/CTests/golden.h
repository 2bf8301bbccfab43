/* golden.h -- one golden case of Tests/Golden in memory, shared by the reader (test_golden.c)
 * and the op table (golden_ops.c). Format: Tests/Golden/README.md.
 *
 * Strings point into the file's text, which lives until the case has run. Tensors of roles
 * input, const, param and state get a handle before the op runs (inputs of float dtype and
 * params require grad); the others (output, final, w, grad, dir, hvp) hold expected values only.
 */
#ifndef GS_CTESTS_GOLDEN_H
#define GS_CTESTS_GOLDEN_H

#include <stdbool.h>
#include <stdint.h>

#define GOLDEN_MAX_DIMS 8
#define GOLDEN_MAX_TENSORS 160
#define GOLDEN_MAX_ATTRS 16
#define GOLDEN_MAX_VALUES 16
#define GOLDEN_MAX_OUTPUTS 8

typedef struct {
    const char *role, *name;
    int32_t dtype, ndim;
    int32_t stored; /* the dtype of data: float64 for float16, int64 for the narrower integers,
                       dtype for the others; tensors are made in it, then cast to dtype */
    int64_t shape[GOLDEN_MAX_DIMS];
    int64_t count;
    void *data;      /* count elements of stored (malloc'ed) */
    gs_tensor handle; /* 0 until created, and for expected-only roles */
} golden_tensor;

typedef struct {
    const char *name, *type; /* type: int ints float bool str none index */
    const char *values[GOLDEN_MAX_VALUES];
    int count;
} golden_attr;

typedef struct {
    const char *file, *id, *op, *ref;
    golden_attr attrs[GOLDEN_MAX_ATTRS];
    int nattrs;
    golden_tensor tensors[GOLDEN_MAX_TENSORS];
    int ntensors;
    const char *problem; /* set by an accessor that finds the case malformed */
} golden_case;

/* What an op produced: output handles (owned) and the module it built, if any (owned). */
typedef struct {
    gs_tensor outputs[GOLDEN_MAX_OUTPUTS];
    int32_t count;
    gs_module module;
} golden_result;

/* Runs a case's op through the C ABI; returns the status of the first failing call. */
typedef int32_t (*golden_fn)(golden_case *c, golden_result *r);

typedef struct {
    const char *op;
    golden_fn run;
} golden_op;

/* The map from golden op names to the C ABI (golden_ops.c), for the ops that are not elementwise
   functions of the header found by name (golden_table.inc). */
extern const golden_op golden_ops[];
extern const int golden_op_count;
/* How to run the golden op `name`: its golden_ops entry, or gs_<name> of the case's inputs when
   the header has such an elementwise function; NULL when neither. */
const golden_op *golden_find(const char *name);

/* Entries of the generated tables (golden_table.inc). */
typedef struct {
    const char *name;
    int32_t (*fn)(gs_tensor, gs_tensor *);
} golden_unary_fn;
typedef struct {
    const char *name;
    int32_t (*fn)(gs_tensor, gs_tensor, gs_tensor *);
} golden_binary_fn;
typedef struct {
    const char *name;
    int32_t code;
} golden_code;

/* Accessors (golden_ops.c). A missing attribute or tensor sets c->problem. */
const golden_tensor *golden_tensor_named(golden_case *c, const char *name);
gs_tensor golden_handle(golden_case *c, const char *name);        /* 0 when absent */
const golden_attr *golden_attr_named(golden_case *c, const char *name);
bool golden_has_attr(golden_case *c, const char *name);
int64_t golden_int(golden_case *c, const char *name);
double golden_float(golden_case *c, const char *name);
bool golden_bool(golden_case *c, const char *name);
const char *golden_str(golden_case *c, const char *name);
/* Ints of an int or ints attribute into out (at most capacity); -1 for none. */
int32_t golden_ints(golden_case *c, const char *name, int64_t *out, int32_t capacity);
/* A dtype name (float16 float32 float64 int8 int16 int32 int64 uint8 bool) as a GS_DTYPE code,
   -1 if unknown. */
int32_t golden_dtype_code(const char *name);

#endif
