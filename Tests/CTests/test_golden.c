/* test_golden.c -- the golden cases of Tests/Golden through the C ABI.
 *
 * Reads Tests/Golden/MANIFEST and every file it lists (paths relative to the repository root,
 * where `make ctest` runs the binary), runs each case through golden_ops (golden_ops.c) and
 * compares outputs, values changed in place and the gradients of sum(out * w) with the file:
 * |actual - expected| <= rtol * |expected| + atol, (rtol, atol) = (1e-3, 1e-4) for float16,
 * (1e-5, 1e-6) for float32 and (1e-10, 1e-12) for float64; integers and bools exactly; NaN and
 * infinities must be the same; dtypes must be equal. float16 and the integers narrower than
 * int64 are read as float64 and int64 values: their tensors are made in that type and cast
 * (gs_tensor_astype), and results are cast back to it to be compared. A
 * case whose op is not in golden_ops fails. A case with dir and hvp lines is differentiated
 * twice: gs_grad with create_graph (and retain_graph) gives the first gradients (compared with
 * the grad lines too), h2 = sum_i sum(grad_i * dir_i) is formed with gs_* ops and gs_grad
 * differentiates it again; the results must match the hvp lines. Each case is one check; the
 * per-op counts are printed, and per-case results written to .build/golden-results/c.tsv for
 * tools/parity_report.py.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "check.h"
#include "golden.h"

#define GOLDEN_DIR "Tests/Golden"
#define RESULTS_DIR ".build/golden-results"
#define RESULTS_FILE RESULTS_DIR "/c.tsv"
#define MAX_OPS 128

/* ---- reading ---------------------------------------------------------------------------- */

/* The whole file as a NUL-terminated string (NULL when it cannot be read). */
static char *read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        if (size >= 0 && fseek(f, 0, SEEK_SET) == 0 && (text = malloc((size_t)size + 1)) != NULL) {
            size_t got = fread(text, 1, (size_t)size, f);
            text[got] = '\0';
        }
    }
    fclose(f);
    return text;
}

/* The next space-separated token of *cursor, NUL-terminated in place; NULL at the end. */
static char *next_token(char **cursor) {
    char *p = *cursor;
    while (*p == ' ' || *p == '\t' || *p == '\r')
        p++;
    if (*p == '\0')
        return NULL;
    char *start = p;
    while (*p && *p != ' ' && *p != '\t' && *p != '\r')
        p++;
    if (*p)
        *p++ = '\0';
    *cursor = p;
    return start;
}

/* The dtype the values of a tensor of `dtype` are read into (golden_tensor.stored). */
static int32_t stored_dtype(int32_t dtype) {
    switch (dtype) {
    case GS_DTYPE_FLOAT16: return GS_DTYPE_FLOAT64;
    case GS_DTYPE_INT32: case GS_DTYPE_INT16: case GS_DTYPE_INT8: case GS_DTYPE_UINT8: return GS_DTYPE_INT64;
    default: return dtype;
    }
}

/* Bytes per element of a stored dtype (float32, float64, int64, bool). */
static size_t item_size(int32_t stored) {
    return stored == GS_DTYPE_FLOAT32 ? 4 : stored == GS_DTYPE_BOOL ? 1 : 8;
}

static bool is_float_dtype(int32_t dtype) {
    return dtype == GS_DTYPE_FLOAT16 || dtype == GS_DTYPE_FLOAT32 || dtype == GS_DTYPE_FLOAT64;
}

/* A new tensor holding t's values in t's dtype: made in its stored dtype, then cast. */
static int32_t golden_new(const golden_tensor *t, bool requires_grad, gs_tensor *result) {
    if (t->stored == t->dtype)
        return gs_tensor_new(t->data, t->dtype, t->shape, t->ndim, requires_grad, result);
    gs_tensor wide = {0};
    int32_t st = gs_tensor_new(t->data, t->stored, t->shape, t->ndim, false, &wide);
    if (st == GS_OK)
        st = gs_tensor_astype(wide, t->dtype, result);
    if (wide.id)
        gs_tensor_release(wide);
    if (st == GS_OK && requires_grad)
        st = gs_tensor_set_requires_grad(*result, true);
    return st;
}

/* Parses "<name> <dtype> (<d0>,<d1>,...) <values>" after the role; false on a malformed line. */
static bool parse_tensor(golden_tensor *t, const char *role, char **cursor) {
    memset(t, 0, sizeof *t);
    t->role = role;
    t->name = next_token(cursor);
    const char *dtype = next_token(cursor), *shape = next_token(cursor);
    if (!t->name || !dtype || !shape || shape[0] != '(' || (t->dtype = golden_dtype_code(dtype)) < 0)
        return false;
    t->stored = stored_dtype(t->dtype);
    t->count = 1;
    for (const char *p = shape + 1; *p && *p != ')';) {
        char *end;
        long long d = strtoll(p, &end, 10);
        if (end == p || d < 0 || t->ndim == GOLDEN_MAX_DIMS)
            return false;
        t->shape[t->ndim++] = d;
        t->count *= d;
        p = *end == ',' ? end + 1 : end;
    }
    t->data = malloc((size_t)t->count * item_size(t->stored) + 1);
    if (!t->data)
        return false;
    for (int64_t i = 0; i < t->count; i++) {
        const char *v = next_token(cursor);
        if (!v)
            return false;
        switch (t->stored) {
        case GS_DTYPE_FLOAT32: ((float *)t->data)[i] = strtof(v, NULL); break;
        case GS_DTYPE_FLOAT64: /* float16 values are the nearest half of the text, as the format says */
            ((double *)t->data)[i] = t->dtype == GS_DTYPE_FLOAT16 ? (double)(_Float16)strtod(v, NULL) : strtod(v, NULL);
            break;
        case GS_DTYPE_INT64: ((int64_t *)t->data)[i] = strtoll(v, NULL, 10); break;
        default: ((uint8_t *)t->data)[i] = v[0] == '1'; break;
        }
    }
    return next_token(cursor) == NULL;
}

static bool parse_attr(golden_attr *a, char **cursor) {
    a->name = next_token(cursor);
    a->type = next_token(cursor);
    a->count = 0;
    const char *v;
    while ((v = next_token(cursor)) != NULL) {
        if (a->count == GOLDEN_MAX_VALUES)
            return false;
        a->values[a->count++] = v;
    }
    return a->name && a->type;
}

static void free_case(golden_case *c) {
    for (int i = 0; i < c->ntensors; i++)
        free(c->tensors[i].data);
    c->ntensors = c->nattrs = 0;
}

/* ---- comparing -------------------------------------------------------------------------- */

typedef struct {
    double abs_error, rel_error;
    char problem[512]; /* the first problem, empty when the case passed */
} verdict;

static void fail(verdict *v, const char *fmt, const char *what, const char *detail) {
    if (v->problem[0] == '\0')
        snprintf(v->problem, sizeof v->problem, fmt, what, detail);
}

/* Compares the tensor behind `handle` (0: no gradient, taken as zeros) with `want`: its dtype
   and shape, then its values, cast to want's stored dtype. */
static void compare(verdict *v, const char *what, gs_tensor handle, const golden_tensor *want) {
    size_t size = item_size(want->stored);
    uint8_t *got = calloc((size_t)want->count + 1, size);
    if (!got) {
        fail(v, "%s: %s", what, "out of memory");
        return;
    }
    if (handle.id != 0) {
        int32_t dtype = -1, ndim = -1;
        int64_t shape[GOLDEN_MAX_DIMS] = {0};
        bool same = gs_tensor_describe(handle, &dtype, &ndim, shape, GOLDEN_MAX_DIMS) == GS_OK &&
                    dtype == want->dtype && ndim == want->ndim;
        for (int i = 0; same && i < ndim; i++)
            same = shape[i] == want->shape[i];
        gs_tensor wide = {0};
        if (same && want->stored != want->dtype)
            same = gs_tensor_astype(handle, want->stored, &wide) == GS_OK;
        same = same && gs_tensor_copy_data(wide.id ? wide : handle, got, want->count * (int64_t)size) == GS_OK;
        if (wide.id)
            gs_tensor_release(wide);
        if (!same) {
            fail(v, "%s: %s", what, "wrong dtype or shape");
            v->abs_error = v->rel_error = INFINITY;
            free(got);
            return;
        }
    }
    bool is_float = is_float_dtype(want->dtype);
    double rtol = want->dtype == GS_DTYPE_FLOAT16 ? 1e-3 : want->dtype == GS_DTYPE_FLOAT32 ? 1e-5 : 1e-10;
    double atol = want->dtype == GS_DTYPE_FLOAT16 ? 1e-4 : want->dtype == GS_DTYPE_FLOAT32 ? 1e-6 : 1e-12;
    int64_t bad = 0;
    for (int64_t i = 0; i < want->count; i++) {
        if (!is_float) {
            bad += memcmp(got + i * size, (const uint8_t *)want->data + i * size, size) != 0;
            continue;
        }
        double a = size == 4 ? ((float *)got)[i] : ((double *)got)[i];
        double e = size == 4 ? ((const float *)want->data)[i] : ((const double *)want->data)[i];
        if (!isfinite(e)) {
            bad += isnan(e) ? !isnan(a) : a != e;
            continue;
        }
        double error = fabs(a - e);
        if (!(error <= rtol * fabs(e) + atol))
            bad++;
        double rel = error / fmax(fabs(e), atol / rtol);
        v->abs_error = isnan(error) || error > v->abs_error ? error : v->abs_error;
        v->rel_error = isnan(rel) || rel > v->rel_error ? rel : v->rel_error;
    }
    if (bad) {
        char detail[64];
        snprintf(detail, sizeof detail, "%lld of %lld elements off", (long long)bad, (long long)want->count);
        fail(v, "%s: %s", what, detail);
        if (!is_float)
            v->abs_error = v->rel_error = 1;
    }
    free(got);
}

/* ---- running a case --------------------------------------------------------------------- */

static bool role_is(const golden_tensor *t, const char *role) { return strcmp(t->role, role) == 0; }

/* Creates the handles of the input, const, param and state tensors. */
static int32_t make_handles(golden_case *c) {
    for (int i = 0; i < c->ntensors; i++) {
        golden_tensor *t = &c->tensors[i];
        if (role_is(t, "input") || role_is(t, "const") || role_is(t, "param") || role_is(t, "state")) {
            bool grad = is_float_dtype(t->dtype) && (role_is(t, "input") || role_is(t, "param"));
            int32_t st = golden_new(t, grad, &t->handle);
            if (st != GS_OK)
                return st;
        }
    }
    return GS_OK;
}

/* Index of the expected output called `name` among the outputs (file order), -1 if none. */
static int output_index(const golden_case *c, const char *name) {
    int k = 0;
    for (int i = 0; i < c->ntensors; i++) {
        if (role_is(&c->tensors[i], "output")) {
            if (strcmp(c->tensors[i].name, name) == 0)
                return k;
            k++;
        }
    }
    return -1;
}

/* Adds `term` into *total (a new handle, or `term` itself when *total is empty); releases the
   handles it replaces. */
static int32_t accumulate(gs_tensor *total, gs_tensor term) {
    if (total->id == 0) {
        *total = term;
        return GS_OK;
    }
    gs_tensor sum = {0};
    int32_t st = gs_add(*total, term, &sum);
    gs_tensor_release(*total);
    gs_tensor_release(term);
    *total = sum;
    return st;
}

/* sum(a * b) of a tensor and the values of an expected-only golden tensor, into *result. */
static int32_t weighted_sum(gs_tensor a, const golden_tensor *b, gs_tensor *result) {
    gs_tensor bh = {0}, product = {0};
    int32_t st = golden_new(b, false, &bh);
    if (st == GS_OK)
        st = gs_mul(a, bh, &product);
    if (st == GS_OK)
        st = gs_sum(product, NULL, -1, false, result);
    if (bh.id)
        gs_tensor_release(bh);
    if (product.id)
        gs_tensor_release(product);
    return st;
}

static int count_role(const golden_case *c, const char *role) {
    int n = 0;
    for (int i = 0; i < c->ntensors; i++)
        n += role_is(&c->tensors[i], role);
    return n;
}

/* The expected tensor of `role` called `name`, NULL if none. */
static const golden_tensor *expected(const golden_case *c, const char *role, const char *name) {
    for (int i = 0; i < c->ntensors; i++)
        if (role_is(&c->tensors[i], role) && strcmp(c->tensors[i].name, name) == 0)
            return &c->tensors[i];
    return NULL;
}

/* Checks the hvp lines: the gradients of h2 = sum over the dir lines of sum(grad_i * dir_i),
   grad_i the gradients of `loss` recorded by gs_grad with create_graph (compared with the grad
   lines too). Both gs_grad calls retain the graph, so that the backward of the loss can run
   after. A gradient that is not recorded (id 0, or not requiring grad) adds nothing to h2, and
   an input h2 does not reach gets zeros: an op whose backward cannot be differentiated fails on
   its nonzero expected values. Returns the status of the first failing call. */
static int32_t second_derivatives(golden_case *c, verdict *v, gs_tensor loss) {
    const golden_tensor *dirs[GOLDEN_MAX_TENSORS];
    gs_tensor inputs[GOLDEN_MAX_TENSORS], firsts[GOLDEN_MAX_TENSORS] = {{0}}, seconds[GOLDEN_MAX_TENSORS] = {{0}};
    int32_t n = 0;
    for (int i = 0; i < c->ntensors; i++) {
        const golden_tensor *t = &c->tensors[i];
        if (!role_is(t, "dir"))
            continue;
        if (!expected(c, "hvp", t->name) || golden_handle(c, t->name).id == 0) {
            fail(v, "%s: %s", t->name, "a dir line without its hvp line or its tensor");
            return GS_OK;
        }
        dirs[n] = t;
        inputs[n++] = golden_handle(c, t->name);
    }
    if (n == 0 || n != count_role(c, "hvp")) {
        fail(v, "%s%s", "the hvp lines do not match the dir lines", "");
        return GS_OK;
    }
    int32_t st = gs_grad(&loss, 1, NULL, inputs, n, true, true, true, firsts);
    gs_tensor h2 = {0};
    for (int32_t k = 0; k < n && st == GS_OK; k++) {
        char what[96];
        snprintf(what, sizeof what, "grad (create_graph) %s", dirs[k]->name);
        const golden_tensor *want = expected(c, "grad", dirs[k]->name);
        if (want)
            compare(v, what, firsts[k], want);
        gs_tensor term = {0};
        if (firsts[k].id != 0 && (st = weighted_sum(firsts[k], dirs[k], &term)) == GS_OK)
            st = accumulate(&h2, term);
    }
    bool recorded = false;
    if (st == GS_OK && h2.id != 0)
        st = gs_tensor_requires_grad(h2, &recorded);
    if (st == GS_OK && recorded)
        st = gs_grad(&h2, 1, NULL, inputs, n, true, false, true, seconds);
    for (int32_t k = 0; k < n && st == GS_OK; k++) {
        char what[96];
        snprintf(what, sizeof what, "hvp %s", dirs[k]->name);
        compare(v, what, seconds[k], expected(c, "hvp", dirs[k]->name));
    }
    for (int32_t k = 0; k < n; k++) {
        if (firsts[k].id)
            gs_tensor_release(firsts[k]);
        if (seconds[k].id)
            gs_tensor_release(seconds[k]);
    }
    if (h2.id)
        gs_tensor_release(h2);
    if (st != GS_OK)
        fail(v, "%s: %s", "second derivatives: a gs call failed", gs_last_error());
    return st;
}

/* Back-propagates sum over the w lines of sum(output * w), after checking the hvp lines (if
   any) on the same graph. */
static int32_t backward(golden_case *c, const golden_result *r, verdict *v) {
    gs_tensor total = {0};
    int32_t st = GS_OK;
    for (int i = 0; i < c->ntensors && st == GS_OK; i++) {
        const golden_tensor *w = &c->tensors[i];
        int k = role_is(w, "w") ? output_index(c, w->name) : -1;
        if (k < 0 || k >= r->count)
            continue;
        gs_tensor term = {0};
        st = weighted_sum(r->outputs[k], w, &term);
        if (st == GS_OK)
            st = accumulate(&total, term);
    }
    if (st == GS_OK && (count_role(c, "dir") || count_role(c, "hvp"))) {
        if (total.id == 0)
            fail(v, "%s%s", "dir and hvp lines without a weighted output", "");
        else
            st = second_derivatives(c, v, total);
    }
    if (st == GS_OK && total.id != 0)
        st = gs_backward(total, false);
    if (total.id)
        gs_tensor_release(total);
    return st;
}

/* Runs one case and fills its verdict. */
static void run_case(golden_case *c, verdict *v) {
    memset(v, 0, sizeof *v);
    golden_result r = {{{0}}, 0, {0}};
    const golden_op *op = golden_find(c->op);
    int32_t st = GS_OK;
    if (!op) {
        fail(v, "%s%s", "op is neither an elementwise function of the header nor in golden_ops (golden_ops.c)", "");
    } else if ((st = make_handles(c)) != GS_OK || (st = op->run(c, &r)) != GS_OK) {
        fail(v, "%s: %s", "gs call failed", gs_last_error());
    } else if (c->problem) {
        fail(v, "%s%s", c->problem, "");
    } else {
        int k = 0;
        for (int i = 0; i < c->ntensors; i++) {
            const golden_tensor *t = &c->tensors[i];
            if (!role_is(t, "output"))
                continue;
            char what[96];
            snprintf(what, sizeof what, "output %s", t->name);
            if (k < r.count)
                compare(v, what, r.outputs[k], t);
            k++;
        }
        if (k != r.count)
            fail(v, "%s%s", "the op made another number of outputs", "");
        for (int i = 0; i < c->ntensors; i++)
            if (role_is(&c->tensors[i], "final"))
                compare(v, "final", golden_handle(c, c->tensors[i].name), &c->tensors[i]);
        bool differentiated = v->problem[0] == '\0' && (st = backward(c, &r, v)) == GS_OK;
        if (v->problem[0] == '\0' && !differentiated)
            fail(v, "%s: %s", "backward failed", gs_last_error());
        for (int i = 0; i < c->ntensors && differentiated; i++) {
            const golden_tensor *t = &c->tensors[i];
            if (!role_is(t, "grad"))
                continue;
            gs_tensor grad = {0};
            if (gs_tensor_grad(golden_handle(c, t->name), &grad) != GS_OK)
                fail(v, "%s: %s", t->name, gs_last_error());
            char what[96];
            snprintf(what, sizeof what, "grad %s", t->name);
            compare(v, what, grad, t);
            if (grad.id)
                gs_tensor_release(grad);
        }
    }
    if (v->problem[0] != '\0' && v->abs_error == 0)
        v->abs_error = v->rel_error = INFINITY;
    for (int32_t i = 0; i < r.count; i++)
        gs_tensor_release(r.outputs[i]);
    if (r.module.id)
        gs_module_release(r.module);
    for (int i = 0; i < c->ntensors; i++)
        if (c->tensors[i].handle.id)
            gs_tensor_release(c->tensors[i].handle);
}

/* ---- the driver ------------------------------------------------------------------------- */

typedef struct {
    const char *op; /* the table's string (find_op), so it outlives the file text */
    int cases, failed;
} op_count;

static op_count counts[MAX_OPS];
static int ncounts;

static void count(const char *op, bool ok) {
    const char *name = golden_find(op) ? op : "(unknown op)";
    int i = 0;
    while (i < ncounts && strcmp(counts[i].op, name) != 0)
        i++;
    if (i == ncounts && ncounts < MAX_OPS)
        counts[ncounts++] = (op_count){strdup(name), 0, 0}; /* the case's strings are freed */
    if (i < ncounts) {
        counts[i].cases++;
        counts[i].failed += !ok;
    }
}

/* Runs every case of Tests/Golden/<name>; returns the number of cases read. */
static int run_file(const char *name, FILE *results, int *failed, double *seconds) {
    char path[256];
    snprintf(path, sizeof path, GOLDEN_DIR "/%s", name);
    char *text = read_text(path);
    if (!CHECK(text != NULL)) {
        fprintf(stderr, "golden: cannot read %s (run from the repository root)\n", path);
        return 0;
    }
    static golden_case c; /* large: kept out of the stack */
    bool in_case = false, malformed = false;
    int cases = 0;
    for (char *line = text, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *cursor = line, *kind = next_token(&cursor);
        if (!kind || kind[0] == '#')
            continue;
        if (strcmp(kind, "case") == 0) {
            memset(&c, 0, sizeof c);
            c.file = name;
            c.id = next_token(&cursor);
            in_case = true;
            malformed = false;
        } else if (!in_case) {
            malformed = true;
        } else if (strcmp(kind, "op") == 0) {
            c.op = next_token(&cursor);
        } else if (strcmp(kind, "ref") == 0) {
            c.ref = cursor;
        } else if (strcmp(kind, "attr") == 0) {
            malformed |= c.nattrs == GOLDEN_MAX_ATTRS || !parse_attr(&c.attrs[c.nattrs++], &cursor);
        } else if (strcmp(kind, "end") == 0) {
            verdict v;
            struct timespec t0, t1;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            if (malformed || !c.id || !c.op) {
                memset(&v, 0, sizeof v);
                fail(&v, "%s%s", "malformed case", "");
                v.abs_error = v.rel_error = INFINITY;
            } else {
                run_case(&c, &v);
            }
            clock_gettime(CLOCK_MONOTONIC, &t1);
            double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
            *seconds += s;
            bool ok = v.problem[0] == '\0';
            if (!ok) {
                fprintf(stderr, "golden: %s %s (%s): %s\n", name, c.id ? c.id : "?", c.op ? c.op : "?", v.problem);
                (*failed)++;
            }
            check_(ok, "golden case", __FILE__, __LINE__);
            count(c.op ? c.op : "", ok);
            if (results)
                fprintf(results, "%s\t%s\t%s\t%s\t%.3g\t%.3g\n", c.id ? c.id : "?", c.op ? c.op : "?", name,
                        ok ? "ok" : "FAIL", v.abs_error, v.rel_error);
            free_case(&c);
            in_case = false;
            cases++;
        } else {
            malformed |= c.ntensors == GOLDEN_MAX_TENSORS || !parse_tensor(&c.tensors[c.ntensors++], kind, &cursor);
        }
    }
    if (in_case)
        free_case(&c);
    CHECK(!in_case);
    free(text);
    return cases;
}

void test_golden(void) {
    char *manifest = read_text(GOLDEN_DIR "/MANIFEST");
    if (!CHECK(manifest != NULL)) {
        fprintf(stderr, "golden: cannot read " GOLDEN_DIR "/MANIFEST (run from the repository root)\n");
        return;
    }
    if (mkdir(".build", 0755) != 0 && errno != EEXIST)
        fprintf(stderr, "golden: cannot create .build\n");
    if (mkdir(RESULTS_DIR, 0755) != 0 && errno != EEXIST)
        fprintf(stderr, "golden: cannot create " RESULTS_DIR "\n");
    /* the header line is written last, once the totals are known: keep the rows aside */
    FILE *rows = tmpfile();
    int total = 0, failed = 0;
    double seconds = 0;
    ncounts = 0;
    for (char *line = manifest, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *cursor = line, *name = next_token(&cursor), *expected = next_token(&cursor);
        if (!name || name[0] == '#')
            continue;
        int cases = run_file(name, rows, &failed, &seconds);
        if (!CHECK(expected && cases == atoi(expected)))
            fprintf(stderr, "golden: %s has %d cases, MANIFEST says %s\n", name, cases, expected ? expected : "?");
        total += cases;
    }
    free(manifest);
    FILE *results = fopen(RESULTS_FILE, "w");
    if (results) {
        fprintf(results, "# reader c; cases %d; failed %d; seconds %.3f\n", total, failed, seconds);
        fprintf(results, "# case\top\tfile\tstatus\tmax_abs_error\tmax_rel_error\n");
        if (rows) {
            rewind(rows);
            char buffer[4096];
            size_t n;
            while ((n = fread(buffer, 1, sizeof buffer, rows)) > 0)
                fwrite(buffer, 1, n, results);
        }
        fclose(results);
    }
    if (rows)
        fclose(rows);
    printf("golden cases checked through the C ABI: %d (%d failed) in %.2f s; per op:", total, failed, seconds);
    for (int i = 0; i < ncounts; i++)
        printf("%s %s %d", i ? "," : "", counts[i].op, counts[i].cases);
    printf("\n");
}
