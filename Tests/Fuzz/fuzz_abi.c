/* fuzz_abi.c -- a seeded random driver for the gradswift C ABI.
 *
 *   fuzz_abi [--seed S] [--iterations N] [--trace-from I] [--timeout SECONDS] [--quiet]
 *
 * Each iteration is one action: most often one gs_ function with arguments drawn at random
 * (fuzz_calls.inc, generated from include/gradswift.h by gen_calls.py, has a wrapper for every
 * function), otherwise a short scenario: a module run on inputs that fit it, a few training
 * steps with an optimizer and a schedule (a parameter sometimes rebound to another shape between
 * steps), a graph differentiated and then used after backward freed it (now and then a chain of
 * thousands of ops), a graph with hooks and a custom function differentiated by backward and
 * gs_grad (to second order), one op on operands large enough for the parallel kernels, a
 * checkpoint saved then loaded back damaged, or a sanity check of known values.
 * Callback parameters get the driver's own hooks and custom backwards, which exercise the
 * library from inside its calls (correct, wrong, forged and failing results) and count the
 * releases of their user data.
 * Arguments mix valid values (live handles of tensors, modules, optimizers, schedulers and
 * checkpoints kept in a pool; shapes and axes that fit) with invalid ones: zero, released,
 * stale, forged and wrong-kind handles, NULL and misaligned pointers, wrong counts, negative,
 * zero and huge dimensions, out-of-range axes and indices, NaN and infinity, unknown codes.
 *
 * After every call the driver checks that the status is a known code, that a failure left a
 * non-empty gs_last_error() message and is not GS_ERR_INTERNAL, that produced handles are new
 * and describe tensors whose bytes can all be read, and that gs_live_handles() equals the
 * number of handles in the pool (no handle leaked by an error path, none lost), that a call whose
 * callback failed fails, and at the end that every callback registration was released exactly
 * once. A sanity check of known values (gradients, also through a hook and a custom function, a
 * matrix product) runs every 500 iterations and at the end.
 * The first violation, crash (with the sanitizers' report), Swift trap or hang (--timeout per
 * call) prints the seed, the iteration and the call, and the command that replays the run up to
 * that iteration with a trace of its calls. The run is deterministic for a given seed.
 *
 * At the end it prints the iterations, calls per function with the statuses seen, and the
 * functions that were never called or never succeeded.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gradswift.h"
#include "fuzz_ids.inc" /* id_gs_*: the functions on raw handle ids (gen_calls.py) */

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FZ_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define FZ_ASAN 1
#endif
#ifdef FZ_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

/* ---- limits ------------------------------------------------------------------------------ */

#define POOL_MAX 400       /* entries kept in the pool... */
#define POOL_TRIM 300      /* ...trimmed back to this many at the end of an iteration */
#define MAX_NUMEL 4096     /* produced tensors larger than this are released at once */
#define DEAD_MAX 64        /* released handles remembered for stale use */
#define MAX_RANK 32        /* Shape.maxRank */
#define NOTES_MAX 16
#define SANITY_EVERY 500

enum { FZ_TENSOR, FZ_MODULE, FZ_OPTIM, FZ_SCHED, FZ_CKPT, FZ_NKINDS };
static const char *const kind_names[FZ_NKINDS] = {"tensor", "module", "optimizer", "scheduler",
                                                  "checkpoint"};

/* Roles of the generated argument generators (see gen_calls.py). */
enum {
    FZ_I_AXIS, FZ_I_SIZE, FZ_I_KERNEL, FZ_I_STRIDE, FZ_I_PADDING, FZ_I_INDEX, FZ_I_EPOCH,
    FZ_I_HOOK, FZ_I_FN_INPUT, FZ_I_GROUP, FZ_I_OUT_SIZE, FZ_I_OUT_SIZE_H, FZ_I_OUT_PADDING,
};
/* Roles of fz_graph_array: gs_grad's outputs and inputs, gs_function_apply's. */
enum { FZ_G_OUTPUTS, FZ_G_INPUTS, FZ_G_FN_INPUTS, FZ_G_FN_OUTPUTS };
enum { FZ_D_ANY, FZ_D_POS, FZ_D_RATE, FZ_D_EPS, FZ_D_SCALE };
enum {
    FZ_A_SHAPE, FZ_A_RESHAPE, FZ_A_PERM, FZ_A_UNSQUEEZE, FZ_A_AXES, FZ_A_NORMSHAPE,
    FZ_A_BOUNDARIES, FZ_A_KEY, FZ_A_MILESTONES, FZ_A_SIZES, FZ_A_UNFLATTEN, FZ_A_REPS, FZ_A_SHIFTS,
    FZ_A_PADS,
};

/* ---- random numbers (splitmix64) --------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void) {
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static int below(int n) { return n <= 0 ? 0 : (int)(rnd() % (uint64_t)n); }
static int between(int lo, int hi) { return lo + below(hi - lo + 1); }
static bool chance(int percent) { return below(100) < percent; }
static double uniform(double lo, double hi) { return lo + (hi - lo) * (double)(rnd() >> 11) / 9007199254740992.0; }

static const int64_t extreme_ints[] = {
    -1, INT64_MIN, INT64_MAX, (int64_t)1 << 36, (int64_t)1 << 40, (int64_t)1 << 62,
    -((int64_t)1 << 40), (int64_t)INT32_MAX + 1, (int64_t)INT32_MIN - 1, INT64_MIN + 1,
};
static int64_t extreme_int(void) {
    return extreme_ints[below((int)(sizeof extreme_ints / sizeof *extreme_ints))];
}
static double special_double(void) {
    static const double v[] = {0.0, -0.0, 1.0, -1.0, NAN, INFINITY, -INFINITY, 1e308, -1e308,
                               5e-324, 1e-300, 0.5, 1e30, -1e30, 2.0, 100.0};
    return v[below((int)(sizeof v / sizeof *v))];
}

/* ---- the pool of live handles ------------------------------------------------------------ */

typedef struct {
    const char *name;
    int64_t value;
} fz_note;

/* A live handle; modules remember how they were made (their recipe) to get fitting inputs. */
typedef struct {
    uint64_t h;
    int kind;
    char ctor[48];
    int nnotes;
    fz_note notes[NOTES_MAX];
    int narray;
    int64_t array[8];
} fz_entry;

static fz_entry pool[POOL_MAX + 64];
static int npool;
static int kind_count[FZ_NKINDS];
static uint64_t dead[DEAD_MAX];
static int ndead, dead_next;

static int pool_find(uint64_t h) {
    for (int i = 0; i < npool; i++)
        if (pool[i].h == h)
            return i;
    return -1;
}

static int pool_pick(int kind) {
    if (kind_count[kind] == 0)
        return -1;
    int k = below(kind_count[kind]);
    for (int i = 0; i < npool; i++)
        if (pool[i].kind == kind && k-- == 0)
            return i;
    return -1;
}

static int64_t note(const fz_entry *e, const char *name, int64_t otherwise) {
    for (int i = 0; i < e->nnotes; i++)
        if (strcmp(e->notes[i].name, name) == 0)
            return e->notes[i].value;
    return otherwise;
}

/* ---- the call records -------------------------------------------------------------------- */

typedef struct {
    const char *name;
    void (*call)(void);
} fz_function;

typedef struct {
    unsigned char *ptr;
    int count;
    int kind;
    void *count_ptr; /* gs_module_forward, gs_nonzero_tuple: the count is *noutputs (maybe misaligned) */
} fz_out_slot;

/* One call being prepared or made; a stack, as drawing an argument may make another call. */
typedef struct {
    const char *fn;
    char args[3072];
    size_t argslen;
    void *allocs[48];
    int nallocs;
    fz_out_slot outs[4];
    int nouts;
    uint64_t handles[8];
    int nhandles;
    fz_note notes[NOTES_MAX];
    int nnotes;
    int64_t arr[MAX_RANK + 8]; /* the last int array drawn, as passed */
    int arr_n;                 /* its count, -1000 when the pointer was NULL */
    char *buffer;              /* snprintf-style output buffer and its capacity */
    int64_t buffer_cap;
    void *length;              /* out-parameters, maybe misaligned: read with memcpy */
    void *data_out;            /* gs_tensor_data_ptr's out-parameter */
    void *describe_dtype, *describe_ndim;
    char set_param[64];        /* the name argument of gs_module_set_parameter */
    const char *equation;      /* the equation argument of gs_einsum (a static string), or NULL */
    uint64_t garr[2][16];      /* handle arrays drawn by fz_graph_array, as passed */
    int32_t garr_n[2];         /* their counts (-1000 when the pointer was NULL) */
    const char *garr_name[2];
    int ngarr;
    uint64_t plan_in[8];       /* gs_grad: the inputs planned with the outputs */
    int plan_nin;
    struct fz_reg *reg;        /* the callback registration the call makes */
    void *hook_id_out, *removed_out;               /* register / remove_hook out-parameters */
    void *gf_present, *gf_inputs, *gf_index;       /* gs_tensor_grad_fn's */
    bool has_primary;          /* the first live tensor argument, described */
    int32_t p_dtype, p_ndim;
    int64_t p_shape[MAX_RANK];
    int64_t p_numel;
    long cb_fail_mark;         /* cb_failures when the call began */
    struct fz_lent *lent;      /* memory lent by gs_tensor_from_external, until the call ends */
} fz_call;

static fz_call stack[6];
static int depth;
#define C (&stack[depth])

static struct {
    const char *program; /* argv[0], for the replay command */
    uint64_t seed;
    long iterations, iteration, trace_from;
    unsigned timeout;
    bool quiet;
    bool valid_only;     /* draw only valid arguments (making modules for scenarios) */
    bool grad_enabled;   /* what gs_set_grad_enabled last set */
    int64_t baseline;    /* live handles before the run */
    uint64_t calls;
    char dir[64];        /* scratch directory for checkpoint files */
    int nbad;            /* corrupted files written */
} F;

typedef struct {
    uint64_t calls, ok, status[9];
} fz_stat;

static void fz_prepare(const char *fn);
static void fz_begin(void);
static void fz_end(int32_t status);
static void fz_end_pointer(const char *p);
static uint64_t fz_handle(const char *name, int kind, bool optional);
static uint64_t fz_u64(const char *name);
static int64_t fz_i64(const char *name, int role);
static int32_t fz_enum(const char *name, int lo, int hi);
static double fz_double(const char *name, int role);
static bool fz_bool(const char *name);
static const char *fz_string(const char *name);
static void *fz_out(const char *name, size_t size);
static uint64_t *fz_out_handles(const char *name, int count, int kind);
static void fz_int_array(const char *name, const char *cname, int role, const int64_t **p,
                         int32_t *n);
static void fz_handle_array(const char *name, const char *cname, int kind, const uint64_t **p,
                            int32_t *n);
static void fz_out_handle_array(const char *name, const char *cname, int kind, uint64_t **p,
                                int32_t *n);
static void fz_names_handles(const char *const **names, const uint64_t **tensors, int32_t *n);
static void fz_char_buffer(const char *name, const char *cname, char **p, int64_t *n);
static void fz_out_int_array(const char *name, const char *cname, int64_t **p, int32_t *n);
static void fz_double_array(const char *name, const char *cname, const double **p, int32_t *n);
static void fz_out_double_array(const char *name, const char *cname, double **p, int32_t *n);
static void fz_destination(const char *name, const char *cname, void **p, int64_t *n);
static const void *fz_data(const char *name, int32_t dtype, const int64_t *shape, int32_t ndim);
static void fz_lent_release(const char *name, void **user_data, gs_release_fn *release);
static void *fz_lent_data(const char *name, int32_t dtype, const int64_t *shape, int32_t ndim);
static int32_t fz_i32(const char *name, int role);
static void fz_graph_array(const char *name, const char *cname, int role, const uint64_t **p,
                           int32_t *n);
static const uint64_t *fz_grad_seeds(const char *name, int32_t count);
static gs_hook_fn fz_hook_fn(const char *name, void **user_data, gs_release_fn *release);
static gs_function_backward_fn fz_backward_fn(const char *name, void **user_data,
                                              gs_release_fn *release);
/* The length of an out-handle array sized by a count argument (0 when out of range). */
static int fz_count(int32_t n) { return n >= 0 && n <= 64 ? n : 0; }

#include "fuzz_calls.inc"

static fz_stat stats[FZ_NFUNCTIONS];

static int function_index(const char *fn) {
    for (int i = 0; i < FZ_NFUNCTIONS; i++)
        if (strcmp(fz_functions[i].name, fn) == 0)
            return i;
    return -1;
}

/* ---- failure reports --------------------------------------------------------------------- */

static char crash_note[4096]; /* what is running, for the crash handlers */
static char cb_note[256];     /* the callback running inside the current call, if any */
static long cb_failures;      /* callbacks that must have made their call fail (by their status
                                 or what they wrote) */

static void repro_line(char *out, size_t size) {
    snprintf(out, size,
             "  seed %" PRIu64 ", iteration %ld, call #%" PRIu64 "\n"
             "  replay: %s --seed %" PRIu64 " --iterations %ld --trace-from %ld\n",
             F.seed, F.iteration, F.calls, F.program, F.seed, F.iteration + 1, F.iteration);
}

static void set_crash_note(void) {
    char repro[512];
    repro_line(repro, sizeof repro);
    snprintf(crash_note, sizeof crash_note, "  during %s(%s)\n%s", C->fn ? C->fn : "?", C->args,
             repro);
}

static struct sigaction previous[32]; /* the handlers replaced (Swift's backtracer's) */

/* Prints what was running, then lets the previous handler (the Swift runtime's backtracer,
   which names the failed check and prints the stack) run, or exits. */
static void on_signal(int sig) {
    const char *what = sig == SIGALRM ? "\nFUZZ HANG: a call did not return in time\n"
                                      : "\nFUZZ CRASH: fatal signal (a Swift runtime trap when SIGILL "
                                        "or SIGTRAP)\n";
    ssize_t r = write(2, what, strlen(what));
    r = write(2, crash_note, strlen(crash_note));
    (void)r;
    if (sig != SIGALRM && (previous[sig].sa_flags & SA_SIGINFO) && previous[sig].sa_sigaction) {
        sigaction(sig, &previous[sig], NULL);
        return; /* the faulting instruction runs again, under the previous handler */
    }
    _exit(sig == SIGALRM ? 4 : 3);
}

#ifdef FZ_ASAN
static void on_sanitizer_death(void) {
    const char *what = "\nFUZZ CRASH: sanitizer report above\n";
    ssize_t r = write(2, what, strlen(what));
    r = write(2, crash_note, strlen(crash_note));
    (void)r;
}
#endif

__attribute__((noreturn, format(printf, 1, 2))) static void fz_fail(const char *fmt, ...) {
    char repro[512];
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "\nFUZZ FAILURE: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    repro_line(repro, sizeof repro);
    fprintf(stderr, "\n  during %s(%s)\n%s%s", C->fn ? C->fn : "?", C->args, cb_note, repro);
    snprintf(crash_note, sizeof crash_note, "  at exit, after the failure above\n");
    exit(1);
}

/* ---- argument text (traces and reports) -------------------------------------------------- */

static void arg_text(const char *fmt, ...) {
    if (C->argslen >= sizeof C->args - 64)
        return;
    va_list ap;
    if (C->argslen > 0)
        C->argslen += (size_t)snprintf(C->args + C->argslen, sizeof C->args - C->argslen, ", ");
    va_start(ap, fmt);
    int n = vsnprintf(C->args + C->argslen, sizeof C->args - C->argslen, fmt, ap);
    va_end(ap);
    if (n > 0)
        C->argslen = C->argslen + (size_t)n < sizeof C->args ? C->argslen + (size_t)n
                                                             : sizeof C->args - 1;
}

static void record_note(const char *name, int64_t value) {
    if (C->nnotes < NOTES_MAX)
        C->notes[C->nnotes++] = (fz_note){name, value};
}

/* Memory handed to the call; freed when it returns. */
static void *call_alloc(size_t size) {
    void *p = malloc(size ? size : 1);
    if (!p) {
        fprintf(stderr, "fuzz_abi: out of memory\n");
        exit(2);
    }
    if (C->nallocs < (int)(sizeof C->allocs / sizeof *C->allocs))
        C->allocs[C->nallocs++] = p;
    else
        fz_fail("harness: too many allocations in one call");
    return p;
}

/* ---- uncounted queries (hints for drawing arguments) ------------------------------------- */

static int64_t numel_of(const int64_t *shape, int ndim) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0 || (shape[i] > 0 && n > INT64_MAX / shape[i]))
            return -1;
        n *= shape[i];
    }
    return n;
}

/* The dtype codes of the header: GS_DTYPE_FLOAT32 (0) to GS_DTYPE_UINT8 (8). */
#define NDTYPES 9

static bool valid_dtype(int32_t dtype) { return dtype >= 0 && dtype < NDTYPES; }

static size_t item_size(int32_t dtype) {
    switch (dtype) {
    case GS_DTYPE_BOOL: case GS_DTYPE_INT8: case GS_DTYPE_UINT8: return 1;
    case GS_DTYPE_FLOAT16: case GS_DTYPE_INT16: return 2;
    case GS_DTYPE_FLOAT32: case GS_DTYPE_INT32: return 4;
    default: return 8;
    }
}

static bool describe(uint64_t h, int32_t *dtype, int32_t *ndim, int64_t shape[MAX_RANK]) {
    return id_gs_tensor_describe(h, dtype, ndim, shape, MAX_RANK) == GS_OK;
}

/* ---- pool bookkeeping -------------------------------------------------------------------- */

static int64_t live_now(void) {
    int64_t n = -1;
    if (gs_live_handles(&n) != GS_OK)
        fz_fail("gs_live_handles failed: %s", gs_last_error());
    return n;
}

static void check_live(void) {
    int64_t n = live_now();
    if (n != F.baseline + npool)
        fz_fail("gs_live_handles is %" PRId64 " but the pool holds %d handles (+%" PRId64
                " at start): a handle leaked or was lost",
                n, npool, F.baseline);
}

static void remember_dead(uint64_t h) {
    dead[dead_next] = h;
    dead_next = (dead_next + 1) % DEAD_MAX;
    if (ndead < DEAD_MAX)
        ndead++;
}

static void pool_remove_at(int i) {
    remember_dead(pool[i].h);
    kind_count[pool[i].kind]--;
    pool[i] = pool[--npool];
}

static fz_entry *pool_add(uint64_t h, int kind) {
    if (h == 0)
        fz_fail("a call succeeded but produced the handle 0");
    if (pool_find(h) >= 0)
        fz_fail("produced handle 0x%" PRIx64 " is already live in the pool", h);
    if (npool >= (int)(sizeof pool / sizeof *pool))
        fz_fail("harness: pool overflow");
    fz_entry *e = &pool[npool++];
    memset(e, 0, sizeof *e);
    e->h = h;
    e->kind = kind;
    kind_count[kind]++;
    return e;
}

static void stat_call(const char *fn, int32_t status) {
    int i = function_index(fn);
    if (i < 0)
        return;
    stats[i].calls++;
    if (status == 0)
        stats[i].ok++;
    else if (status < 0 && status >= -8)
        stats[i].status[-status]++;
}

/* Checks a status and its message. */
static void check_status(int32_t status) {
    if (status > 0 || status < GS_ERR_INTERNAL)
        fz_fail("returned %d, which is not a gs_status code", (int)status);
    if (status == GS_OK)
        return;
    const char *msg = gs_last_error();
    if (!msg || !msg[0])
        fz_fail("returned %d with an empty gs_last_error()", (int)status);
    (void)strlen(msg);
    if (status == GS_ERR_INTERNAL)
        fz_fail("returned GS_ERR_INTERNAL: %s", msg);
}

static const char *release_function(int kind) {
    static const char *const names[FZ_NKINDS] = {"gs_tensor_release", "gs_module_release",
                                                 "gs_optim_release", "gs_scheduler_release",
                                                 "gs_checkpoint_release"};
    return names[kind];
}

static int32_t release_handle(uint64_t h, int kind) {
    switch (kind) {
    case FZ_TENSOR: return id_gs_tensor_release(h);
    case FZ_MODULE: return id_gs_module_release(h);
    case FZ_OPTIM: return id_gs_optim_release(h);
    case FZ_SCHED: return id_gs_scheduler_release(h);
    default: return id_gs_checkpoint_release(h);
    }
}

/* Releases pool entry i with a counted call that must succeed. */
static void pool_release(int i) {
    const char *fn = release_function(pool[i].kind);
    int32_t st = release_handle(pool[i].h, pool[i].kind);
    F.calls++;
    stat_call(fn, st);
    if (st != GS_OK)
        fz_fail("%s of live handle 0x%" PRIx64 " failed: %s", fn, pool[i].h, gs_last_error());
    pool_remove_at(i);
}

/* A produced tensor: its description must be sane and all its bytes readable; bool elements
   must be 0 or 1. Too large ones are released at once. */
static void inspect_tensor(uint64_t h) {
    int32_t dtype = -1, ndim = -1;
    int64_t shape[MAX_RANK];
    if (!describe(h, &dtype, &ndim, shape))
        fz_fail("gs_tensor_describe of produced tensor 0x%" PRIx64 " failed: %s", h,
                gs_last_error());
    if (!valid_dtype(dtype) || ndim < 0 || ndim > MAX_RANK)
        fz_fail("produced tensor 0x%" PRIx64 " has dtype %d and rank %d", h, dtype, ndim);
    int64_t n = numel_of(shape, ndim);
    if (n < 0)
        fz_fail("produced tensor 0x%" PRIx64 " has a negative or overflowing shape", h);
    if (n > MAX_NUMEL) {
        pool_release(pool_find(h));
        return;
    }
    int64_t bytes = n * (int64_t)item_size(dtype);
    unsigned char *buf = malloc((size_t)bytes + 1);
    if (id_gs_tensor_copy_data(h, bytes ? buf : NULL, bytes) != GS_OK)
        fz_fail("gs_tensor_copy_data of produced tensor 0x%" PRIx64 " (%" PRId64
                " bytes) failed: %s",
                h, bytes, gs_last_error());
    if (dtype == GS_DTYPE_BOOL)
        for (int64_t i = 0; i < n; i++)
            if (buf[i] > 1)
                fz_fail("bool tensor 0x%" PRIx64 " holds the byte %d", h, buf[i]);
    free(buf);
}

/* Adds a tensor produced by a call to the pool, then inspects it. */
static void adopt_tensor(uint64_t h) {
    pool_add(h, FZ_TENSOR);
    inspect_tensor(h);
}

/* ---- making valid tensors for arguments -------------------------------------------------- */

static bool is_float(int32_t dtype) {
    return dtype == GS_DTYPE_FLOAT16 || dtype == GS_DTYPE_FLOAT32 || dtype == GS_DTYPE_FLOAT64;
}

/* A float16 element: a value of uniform(-2, 2) rounded to half, or now and then a special bit
   pattern (zeros, infinities, NaNs, the largest finite values, subnormals, 1). */
static uint16_t random_half(void) {
    static const uint16_t special[] = {0x0000, 0x8000, 0x7C00, 0xFC00, 0x7E00, 0xFE01, 0x7BFF,
                                       0xFBFF, 0x0001, 0x83FF, 0x0400, 0x3C00};
    if (!chance(97))
        return special[below((int)(sizeof special / sizeof *special))];
    _Float16 h = (_Float16)uniform(-2, 2);
    uint16_t bits;
    memcpy(&bits, &h, sizeof bits);
    return bits;
}

/* A narrow integer element: one of [lo, hi], wrapped to the type as a C cast does (so negative
   values of uint8 are large ones); in ranges of values (lo < 0, at least 9 wide: not the
   ranges of indices, which span one dimension) now and then the type's least or largest. */
static int64_t random_narrow(int32_t dtype, int64_t lo, int64_t hi) {
    int64_t v = lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
    if (lo < 0 && hi - lo >= 8 && chance(3)) {
        bool top = chance(50);
        switch (dtype) {
        case GS_DTYPE_INT32: v = top ? INT32_MAX : INT32_MIN; break;
        case GS_DTYPE_INT16: v = top ? INT16_MAX : INT16_MIN; break;
        case GS_DTYPE_INT8: v = top ? INT8_MAX : INT8_MIN; break;
        default: v = top ? UINT8_MAX : 0; break;
        }
    }
    return v;
}

static void fill_random(void *data, int32_t dtype, int64_t n, int64_t lo, int64_t hi) {
    for (int64_t i = 0; i < n; i++) {
        switch (dtype) {
        case GS_DTYPE_FLOAT16: { uint16_t h = random_half(); memcpy((uint16_t *)data + i, &h, 2); break; }
        case GS_DTYPE_FLOAT32: ((float *)data)[i] = chance(97) ? (float)uniform(-2, 2) : (float)special_double(); break;
        case GS_DTYPE_FLOAT64: ((double *)data)[i] = chance(97) ? uniform(-2, 2) : special_double(); break;
        case GS_DTYPE_INT64: ((int64_t *)data)[i] = lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1)); break;
        case GS_DTYPE_INT32: ((int32_t *)data)[i] = (int32_t)random_narrow(dtype, lo, hi); break;
        case GS_DTYPE_INT16: ((int16_t *)data)[i] = (int16_t)random_narrow(dtype, lo, hi); break;
        case GS_DTYPE_INT8: ((int8_t *)data)[i] = (int8_t)random_narrow(dtype, lo, hi); break;
        case GS_DTYPE_UINT8: ((uint8_t *)data)[i] = (uint8_t)random_narrow(dtype, lo, hi); break;
        default: ((unsigned char *)data)[i] = (unsigned char)below(2); break;
        }
    }
}

/* A new valid tensor (int64 elements in [lo, hi]), added to the pool; the call must succeed.
   0 (an invalid handle) when the shape is too large for the harness to fill. */
static uint64_t make_tensor(int32_t dtype, const int64_t *shape, int ndim, bool requires_grad,
                            int64_t lo, int64_t hi) {
    int64_t n = numel_of(shape, ndim);
    if (n < 0 || n > MAX_NUMEL || ndim < 0 || ndim > MAX_RANK || hi < lo)
        return 0;
    char repro[512];
    repro_line(repro, sizeof repro);
    snprintf(crash_note, sizeof crash_note,
             "  during gs_tensor_new of a valid dtype-%d rank-%d tensor, drawing arguments of %s(%s)\n%s",
             (int)dtype, ndim, C->fn ? C->fn : "?", C->args, repro);
    void *data = malloc((size_t)n * item_size(dtype) + 1);
    fill_random(data, dtype, n, lo, hi);
    uint64_t h = 0;
    int32_t st = id_gs_tensor_new(data, dtype, shape, ndim, requires_grad && is_float(dtype), &h);
    free(data);
    F.calls++;
    stat_call("gs_tensor_new", st);
    if (st != GS_OK)
        fz_fail("gs_tensor_new of a valid rank-%d tensor failed: %s", ndim, gs_last_error());
    adopt_tensor(h);
    return h;
}

/* A live tensor of this dtype and shape: one from the pool, or a new one (always new for the
   integer types, whose values must lie in [lo, hi]). */
static uint64_t tensor_like(int32_t dtype, const int64_t *shape, int ndim, int64_t lo, int64_t hi) {
    if ((is_float(dtype) || dtype == GS_DTYPE_BOOL) && chance(60)) {
        for (int tries = 0; tries < 20; tries++) {
            int i = pool_pick(FZ_TENSOR);
            if (i < 0)
                break;
            int32_t d, r;
            int64_t s[MAX_RANK];
            if (describe(pool[i].h, &d, &r, s) && d == dtype && r == ndim &&
                memcmp(s, shape, sizeof(int64_t) * (size_t)ndim) == 0)
                return pool[i].h;
        }
    }
    return make_tensor(dtype, shape, ndim, chance(50), lo, hi);
}

static int32_t random_float_dtype(void) {
    return chance(15) ? GS_DTYPE_FLOAT16 : chance(60) ? GS_DTYPE_FLOAT32 : GS_DTYPE_FLOAT64;
}

/* Any of the nine dtypes. */
static int32_t random_dtype(void) { return (int32_t)below(NDTYPES); }

/* The dtype of an index or count tensor: mostly int64, else one of the narrower integers
   (every index argument takes any integer type). */
static int32_t random_index_dtype(void) {
    static const int32_t narrow[] = {GS_DTYPE_INT32, GS_DTYPE_INT16, GS_DTYPE_INT8, GS_DTYPE_UINT8};
    return chance(70) ? GS_DTYPE_INT64 : narrow[below(4)];
}

static int random_shape(int64_t *shape, int min_rank, int max_rank) {
    int r = between(min_rank, max_rank);
    for (int i = 0; i < r; i++)
        shape[i] = chance(4) ? 0 : between(1, 4);
    return r;
}

/* ---- argument generators used by the generated wrappers ---------------------------------- */

static void fz_prepare(const char *fn) {
    if (depth + 1 >= (int)(sizeof stack / sizeof *stack))
        fz_fail("harness: calls nested too deep");
    depth++;
    memset(C, 0, sizeof *C);
    C->fn = fn;
    set_crash_note();
}

static void set_primary(uint64_t h) {
    if (C->has_primary)
        return;
    if (describe(h, &C->p_dtype, &C->p_ndim, C->p_shape)) {
        C->has_primary = true;
        C->p_numel = numel_of(C->p_shape, C->p_ndim);
    }
}

/* An invalid handle: zero, released, stale, forged or of another kind. */
static uint64_t bad_handle(int kind, const char **how) {
    int r = below(5);
    if (r == 0) {
        *how = "zero";
        return 0;
    }
    if (r == 1 && ndead > 0) {
        *how = "released";
        return dead[below(ndead)];
    }
    if (r == 2 && npool > 0) {
        *how = "stale";
        uint64_t h = pool[below(npool)].h;
        return chance(50) ? h + ((uint64_t)1 << 32) : (h & 0xFFFFFFFFu) | ((uint64_t)0xFFFF << 32);
    }
    if (r == 3) {
        for (int tries = 0; tries < 4; tries++) {
            int k = below(FZ_NKINDS);
            int i = k == kind ? -1 : pool_pick(k);
            if (i >= 0) {
                *how = kind_names[k];
                return pool[i].h;
            }
        }
    }
    *how = "forged";
    static const uint64_t forged[] = {1, 0xFFFFFFFFFFFFFFFFULL, 0x100000000ULL, 0x1FFFFFFFFULL,
                                      0x0000000100100000ULL, 0x8000000000000001ULL};
    return chance(50) ? rnd() : forged[below((int)(sizeof forged / sizeof *forged))];
}

static void fit_shape(const char *name, int32_t *dtype, int64_t *shape, int *ndim, int64_t *lo,
                      int64_t *hi);
static bool fn_is(const char *name);
static uint64_t graph_tensor(void);
static void check_autograd(int32_t status);

/* The functions whose first tensor is best one of a live graph (gs_backward_with, hooks...). */
static bool takes_graph_tensor(void) {
    static const char *const fns[] = {"gs_backward_with", "gs_tensor_share", "gs_tensor_grad_fn",
                                      "gs_tensor_grad_fn_input", "gs_tensor_retain_grad",
                                      "gs_tensor_retains_grad", "gs_tensor_register_hook",
                                      "gs_tensor_remove_hook"};
    for (size_t i = 0; i < sizeof fns / sizeof *fns; i++)
        if (fn_is(fns[i]))
            return true;
    return false;
}

/* A first tensor argument that fits the current function (0 when it has no special needs). */
static uint64_t fit_primary(void) {
    /* (each draw in its own statement: the order of evaluation of initialisers and arguments
       is unspecified, and a run must replay the same way whatever the compiler) */
    int64_t s[5] = {0};
    s[0] = between(1, 3);
    s[1] = between(1, 3);
    s[2] = between(3, 6);
    s[3] = between(3, 5);
    int32_t dtype = random_float_dtype();
    bool rg = chance(50);
    if (fn_is("gs_conv1d") || fn_is("gs_max_pool1d") || fn_is("gs_avg_pool1d"))
        return make_tensor(dtype, s, 3, rg, 0, 0);
    if (fn_is("gs_conv2d") || fn_is("gs_max_pool2d") || fn_is("gs_avg_pool2d"))
        return make_tensor(dtype, s, 4, rg, 0, 0);
    if (fn_is("gs_conv_transpose1d") || fn_is("gs_adaptive_max_pool1d") || fn_is("gs_adaptive_avg_pool1d"))
        return make_tensor(dtype, s, fn_is("gs_conv_transpose1d") || chance(70) ? 3 : 2, rg, 0, 0);
    if (fn_is("gs_conv_transpose2d") || fn_is("gs_adaptive_max_pool2d") || fn_is("gs_adaptive_avg_pool2d"))
        return make_tensor(dtype, s, fn_is("gs_conv_transpose2d") || chance(70) ? 4 : 3, rg, 0, 0);
    if (fn_is("gs_interpolate"))
        return make_tensor(dtype, s, between(3, 4), rg, 0, 0);
    if (fn_is("gs_multi_head_attention") || fn_is("gs_scaled_dot_product_attention")) {
        s[0] = between(1, 3); s[1] = between(1, 2); s[2] = 6; /* embed 6: divisible by 1 to 3 heads */
        return make_tensor(dtype, s, between(2, 3), rg, 0, 0);
    }
    if (fn_is("gs_batch_norm") || fn_is("gs_group_norm") || fn_is("gs_instance_norm")) {
        s[0] = between(2, 3);
        if (fn_is("gs_group_norm") && chance(70))
            s[1] = 12; /* divisible by every group count the fuzzer draws (1 to 4) */
        return make_tensor(dtype, s, between(fn_is("gs_instance_norm") ? 3 : 2, 4), rg, 0, 0);
    }
    if (fn_is("gs_nll_loss") || fn_is("gs_cross_entropy") || fn_is("gs_mse_loss") || fn_is("gs_l1_loss") ||
        fn_is("gs_linear") || fn_is("gs_matmul"))
        return make_tensor(dtype, s, 2, rg, 0, 0);
    if (fn_is("gs_bmm"))
        return make_tensor(dtype, s, 3, rg, 0, 0);
    if (fn_is("gs_dot") || fn_is("gs_outer"))
        return make_tensor(dtype, s + 2, 1, rg, 0, 0);
    if (fn_is("gs_trace") || fn_is("gs_diag"))
        return make_tensor(dtype, s + 2, fn_is("gs_diag") && chance(50) ? 1 : 2, rg, 0, 0);
    if (takes_graph_tensor())
        return graph_tensor();
    if (fn_is("gs_embedding")) {
        int nd = between(1, 2);
        int64_t lo = chance(90) ? 0 : -7;
        return make_tensor(random_index_dtype(), s, nd, false, lo, chance(90) ? 5 : 6);
    }
    if (strncmp(C->fn, "gs_inplace", 10) == 0 || strncmp(C->fn, "gs_index_put", 12) == 0 ||
        strncmp(C->fn, "gs_init_", 8) == 0) {
        int32_t type = chance(80) ? dtype : random_dtype();
        return make_tensor(type, s, between(1, 3), false, -3, 5);
    }
    return 0;
}

/* A tensor like the parameter named by the current call's name argument, for
   gs_module_set_parameter (0 when there is no such parameter). */
static uint64_t like_parameter(void) {
    uint64_t p = 0;
    int32_t dtype, ndim;
    int64_t shape[MAX_RANK];
    if (id_gs_module_parameter(C->handles[0], C->set_param, &p) != GS_OK)
        return 0;
    bool ok = describe(p, &dtype, &ndim, shape);
    if (id_gs_tensor_release(p) != GS_OK || !ok)
        fz_fail("harness: cannot inspect parameter '%s'", C->set_param);
    return make_tensor(dtype, shape, ndim, chance(80), 0, 0);
}

static int make_module_with(const char *ctor);
static int pick_module(bool with_parameters);

/* A module of the kind the current function needs: a pool index, or -1. */
static int fit_module(void) {
    if (fn_is("gs_module_set_parameter") || fn_is("gs_module_parameter"))
        return pick_module(true); /* one that has parameters to name */
    if (!fn_is("gs_recurrent_cell"))
        return -1;
    for (int i = 0; i < npool; i++)
        if (pool[i].kind == FZ_MODULE && (!strcmp(pool[i].ctor, "gs_rnn_new") ||
                                          !strcmp(pool[i].ctor, "gs_lstm_new") ||
                                          !strcmp(pool[i].ctor, "gs_gru_new")) && chance(50))
            return i;
    /* none picked: often make one, so the function sometimes gets a layer with cells */
    static const char *const layers[] = {"gs_rnn_new", "gs_lstm_new", "gs_gru_new"};
    return chance(50) ? make_module_with(layers[below(3)]) : -1;
}

/* A tensor for argument `name` that fits the primary tensor and the current function. */
static uint64_t fit_operand(const char *name) {
    int32_t dtype = C->p_dtype;
    int64_t shape[MAX_RANK], lo = 0, hi = 3;
    int ndim = C->p_ndim;
    memcpy(shape, C->p_shape, sizeof shape);
    fit_shape(name, &dtype, shape, &ndim, &lo, &hi);
    return ndim >= 0 ? tensor_like(dtype, shape, ndim, lo, hi) : 0;
}

/* The pool index of a live handle of `kind` for argument `name`, made to fit the current
   function when a rule applies and the dice say so; -1 when there is none of that kind. */
static int live_handle(const char *name, int kind) {
    int i = -1;
    if (kind == FZ_TENSOR && strcmp(name, "condition") == 0 && chance(70)) {
        /* gs_where's condition: mostly a bool tensor, whose shape the operands then fit */
        int64_t shape[4];
        int nd = random_shape(shape, 0, 3);
        i = pool_find(make_tensor(GS_DTYPE_BOOL, shape, nd, false, 0, 1));
    } else if (kind == FZ_TENSOR && !C->has_primary && chance(55))
        i = pool_find(fit_primary());
    else if (kind == FZ_TENSOR && C->set_param[0] && chance(70))
        i = pool_find(like_parameter());
    else if (kind == FZ_TENSOR && C->has_primary && chance(60))
        i = pool_find(fit_operand(name));
    else if (kind == FZ_MODULE && chance(60))
        i = fit_module();
    if (i < 0)
        i = pool_pick(kind);
    if (i < 0 && kind == FZ_TENSOR) {
        int64_t shape[4];
        int nd = random_shape(shape, 0, 3);
        int32_t dtype = random_float_dtype();
        i = pool_find(make_tensor(dtype, shape, nd, chance(50), 0, 3));
    }
    return i;
}

/* A handle argument: mostly a live one of `kind`, else zero, released, stale, forged or of
   another kind; `optional` handles are 0 ("none") a quarter of the time. */
static uint64_t fz_handle(const char *name, int kind, bool optional) {
    uint64_t h = 0;
    const char *how = NULL;
    int i = -1;
    if (optional && chance(25))
        how = "none";
    else if ((F.valid_only || chance(84)) && (i = live_handle(name, kind)) >= 0)
        h = pool[i].h;
    else
        h = bad_handle(kind, &how);
    if (C->nhandles < 8)
        C->handles[C->nhandles++] = h;
    if (kind == FZ_TENSOR && h && !how)
        set_primary(h);
    if (how)
        arg_text("%s=0x%" PRIx64 " (%s)", name, h, how);
    else
        arg_text("%s=0x%" PRIx64, name, h);
    return h;
}

static uint64_t fz_u64(const char *name) {
    uint64_t v = chance(80) ? (uint64_t)below(1000) : rnd();
    arg_text("%s=%" PRIu64, name, v);
    return v;
}

static int64_t hook_id_for(uint64_t tensor);

static int64_t fz_i64(const char *name, int role) {
    int64_t v;
    if (role == FZ_I_HOOK) {
        v = hook_id_for(C->nhandles > 0 ? C->handles[0] : 0);
        record_note(name, v);
        arg_text("%s=%" PRId64, name, v);
        return v;
    }
    bool extreme = !F.valid_only && chance(role == FZ_I_EPOCH ? 15 : 8);
    int rank = C->has_primary ? C->p_ndim : 2;
    if (extreme) {
        v = chance(20) ? between(-3, 0) : extreme_int();
        /* sizes: only values that no allocation can satisfy, or that overflow (a size of
           2^31 would be a valid 16 GB request, slow rather than wrong) */
        if (role != FZ_I_AXIS && role != FZ_I_INDEX && role != FZ_I_GROUP && role != FZ_I_EPOCH && v > 0 && v < ((int64_t)1 << 36))
            v = (int64_t)1 << 36;
    } else {
        switch (role) {
        case FZ_I_AXIS: v = rank > 0 ? between(-rank, rank - 1) : between(-1, 0); break;
        case FZ_I_SIZE: v = chance(97) || F.valid_only ? between(1, 4) : 0; break;
        case FZ_I_KERNEL: v = between(1, 3); break;
        case FZ_I_STRIDE: v = between(1, 2); break;
        case FZ_I_PADDING: v = chance(70) ? 0 : 1; break;
        case FZ_I_INDEX: v = between(-3, 5); break;
        case FZ_I_GROUP: v = chance(75) ? 0 : between(-1, 2); break; /* mostly the first group */
        /* resampling sizes: -1 keeps a size (adaptive pooling), 0 means none (interpolate) */
        case FZ_I_OUT_SIZE: v = chance(8) ? -1 : chance(25) ? 0 : between(1, 5); break;
        /* interpolate's height size: 0 (one size for every axis, the only form in 1-D) half the time */
        case FZ_I_OUT_SIZE_H: v = chance(8) ? -1 : chance(50) ? 0 : between(1, 5); break;
        case FZ_I_OUT_PADDING: v = chance(85) ? 0 : 1; break; /* must stay below the stride */
        default: v = between(-1, 10); break;
        }
    }
    record_note(name, v);
    arg_text("%s=%" PRId64, name, v);
    return v;
}

static int32_t fz_enum(const char *name, int lo, int hi) {
    int32_t v;
    if (F.valid_only || chance(92)) {
        v = between(lo, hi);
        if (strcmp(name, "dtype") == 0 && (F.valid_only || chance(60)))
            v = random_float_dtype();
    } else {
        static const int32_t bad[] = {-1, 9, 100, INT32_MIN, INT32_MAX};
        v = chance(50) ? (chance(50) ? lo - 1 : hi + 1) : bad[below(5)];
    }
    record_note(name, v);
    arg_text("%s=%d", name, (int)v);
    return v;
}

static double fz_double(const char *name, int role) {
    double v;
    if (!F.valid_only && chance(12)) {
        v = special_double();
    } else {
        switch (role) {
        case FZ_D_ANY: v = uniform(-3, 3); break;
        case FZ_D_POS: v = uniform(0.01, 2); break;
        case FZ_D_RATE: v = uniform(0, 0.99); break;
        case FZ_D_SCALE: v = chance(75) ? 0 : uniform(0.5, 3); break; /* 0: no scale factor */
        default: v = 1e-5; break;
        }
    }
    arg_text("%s=%.17g", name, v);
    return v;
}

static bool fz_bool(const char *name) {
    bool v = strcmp(name, "enabled") == 0 ? chance(80) : strcmp(name, "align_corners") == 0 ? chance(25) : chance(50);
    record_note(name, v);
    arg_text("%s=%s", name, v ? "true" : "false");
    return v;
}

/* Pointer choices for out-parameters: mostly a fresh buffer of the exact size. */
static void *out_buffer(size_t size, const char **how) {
    int r = F.valid_only ? 99 : below(100);
    if (r < 3) {
        *how = "NULL";
        return NULL;
    }
    if (r < 6 && size > 1) {
        *how = "misaligned";
        unsigned char *p = call_alloc(size + 1);
        memset(p, 0xAB, size + 1);
        return p + 1;
    }
    *how = "buffer";
    void *p = call_alloc(size);
    memset(p, 0xAB, size);
    return p;
}

static void *fz_out(const char *name, size_t size) {
    const char *how;
    void *p = out_buffer(size, &how);
    arg_text("%s=%s", name, how);
    if (strcmp(name, "noutputs") == 0 && C->nouts > 0)
        C->outs[C->nouts - 1].count_ptr = p;
    if (strcmp(name, "length") == 0)
        C->length = p;
    if (strcmp(name, "data") == 0)
        C->data_out = p;
    if (strcmp(C->fn, "gs_tensor_describe") == 0) {
        if (strcmp(name, "dtype") == 0)
            C->describe_dtype = p;
        if (strcmp(name, "ndim") == 0)
            C->describe_ndim = p;
    }
    if (strcmp(name, "hook_id") == 0)
        C->hook_id_out = p;
    if (strcmp(name, "removed") == 0)
        C->removed_out = p;
    if (fn_is("gs_tensor_grad_fn")) {
        if (strcmp(name, "present") == 0)
            C->gf_present = p;
        if (strcmp(name, "input_count") == 0)
            C->gf_inputs = p;
        if (strcmp(name, "output_index") == 0)
            C->gf_index = p;
    }
    return p;
}

static uint64_t *fz_out_handles(const char *name, int count, int kind) {
    const char *how;
    void *p = out_buffer(sizeof(uint64_t) * (size_t)count, &how);
    arg_text("%s=%s[%d]", name, how, count);
    if (p && C->nouts < 4)
        C->outs[C->nouts++] = (fz_out_slot){p, count, kind, NULL};
    return p;
}

static void fz_out_handle_array(const char *name, const char *cname, int kind, uint64_t **p,
                                int32_t *n) {
    static const int32_t caps[] = {3, 3, 3, 2, 1, 0, -1, 4};
    int32_t cap = F.valid_only ? 3 : caps[below(8)];
    const char *how = "buffer";
    uint64_t *buf = call_alloc(sizeof(uint64_t) * (size_t)(cap > 0 ? cap : 1));
    if (!F.valid_only && chance(4)) {
        buf = NULL;
        how = "NULL";
    }
    *p = buf;
    *n = cap;
    arg_text("%s=%s, %s=%d", name, how, cname, (int)cap);
    if (buf && C->nouts < 4) /* (count: the capacity, bounding the *noutputs reported) */
        C->outs[C->nouts++] = (fz_out_slot){(unsigned char *)buf, cap > 0 ? cap : 0, kind, NULL};
}

static void fz_char_buffer(const char *name, const char *cname, char **p, int64_t *n) {
    static const int64_t caps[] = {0, 1, 4, 64, 256, 256, 256};
    int64_t cap = caps[below(7)];
    char *buf = call_alloc((size_t)(cap > 0 ? cap : 1));
    memset(buf, 'Z', (size_t)(cap > 0 ? cap : 1));
    const char *how = "buffer";
    if (!F.valid_only && chance(6)) {
        int r = below(3);
        if (r == 0) { buf = NULL; how = "NULL"; }
        else if (r == 1) { buf = NULL; cap = 0; how = "NULL"; }
        else cap = chance(50) ? -1 : INT64_MIN;
    }
    *p = buf;
    *n = cap;
    C->buffer = buf;
    C->buffer_cap = cap;
    arg_text("%s=%s, %s=%" PRId64, name, how, cname, cap);
}

static void fz_out_int_array(const char *name, const char *cname, int64_t **p, int32_t *n) {
    static const int32_t caps[] = {0, 1, 2, 4, 32, 32};
    int32_t cap = caps[below(6)];
    int64_t *buf = call_alloc(sizeof(int64_t) * (size_t)(cap > 0 ? cap : 1));
    const char *how = "buffer";
    if (!F.valid_only && chance(6)) {
        if (chance(50)) { buf = NULL; how = "NULL"; }
        else cap = -1;
    }
    *p = buf;
    *n = cap;
    arg_text("%s=%s, %s=%d", name, how, cname, (int)cap);
}

/* An optimizer's settings: mostly as many as the call's optimizer has (else 3 to 6, the
   lengths of the rules' option lists), all zero (valid for every rule) or drawn from values
   valid for some settings and not others; at times a wrong count, NULL or non-finite values. */
static void fz_double_array(const char *name, const char *cname, const double **p, int32_t *n) {
    static const double values[] = {0, 0, 0.5, 1, 0.9, 2};
    int32_t count = (int32_t)between(3, 6);
    int64_t own = 0;
    if (C->nhandles > 0 && chance(85) && id_gs_optim_option_count(C->handles[0], &own) == GS_OK)
        count = (int32_t)own;
    double *buf = call_alloc(sizeof(double) * 64);
    bool zeros = chance(50);
    for (int i = 0; i < 64; i++)
        buf[i] = zeros ? 0 : values[below(6)];
    const char *how = zeros ? "zeros" : "values";
    if (!F.valid_only && chance(12)) {
        int r = below(4);
        if (r == 0) { *p = NULL; how = "NULL"; }
        else if (r == 1) count = chance(50) ? -1 : 65;
        else if (r == 2) buf[below(6)] = special_double();
        else count = 0;
    }
    if (strcmp(how, "NULL") != 0)
        *p = buf;
    *n = count;
    arg_text("%s=%s, %s=%d", name, how, cname, (int)count);
}

static void fz_out_double_array(const char *name, const char *cname, double **p, int32_t *n) {
    static const int32_t caps[] = {0, 3, 6, 6, 8, 8};
    int32_t cap = caps[below(6)];
    double *buf = call_alloc(sizeof(double) * (size_t)(cap > 0 ? cap : 1));
    const char *how = "buffer";
    if (!F.valid_only && chance(6)) {
        if (chance(50)) { buf = NULL; how = "NULL"; }
        else cap = -1;
    }
    *p = buf;
    *n = cap;
    arg_text("%s=%s, %s=%d", name, how, cname, (int)cap);
}

static void fz_destination(const char *name, const char *cname, void **p, int64_t *n) {
    int64_t bytes = C->has_primary ? C->p_numel * (int64_t)item_size(C->p_dtype) : between(0, 64);
    int r = below(100);
    if (r < 8)
        bytes += chance(50) ? 1 : -1;
    else if (r < 12)
        bytes = chance(50) ? -1 : INT64_MAX;
    void *buf = call_alloc(bytes > 0 && bytes <= (1 << 20) ? (size_t)bytes : 8);
    const char *how = "buffer";
    if (chance(5)) {
        buf = NULL;
        how = "NULL";
    } else if (chance(4) && bytes > 0 && bytes <= (1 << 20)) {
        buf = (unsigned char *)call_alloc((size_t)bytes + 1) + 1;
        how = "misaligned";
    }
    *p = buf;
    *n = bytes;
    arg_text("%s=%s, %s=%" PRId64, name, how, cname, bytes);
}

/* File names in the scratch directory: saved checkpoints, and corrupted copies. */
static const char *scratch_path(const char *stem, int index) {
    char *p = call_alloc(128);
    snprintf(p, 128, "%s/%s%d.npz", F.dir, stem, index);
    return p;
}

/* A name for gs_module_parameter / gs_module_set_parameter / gs_optim_state /
   gs_checkpoint_tensor: a real one of the object, or junk. */
static const char *object_name(void) {
    uint64_t h = C->nhandles > 0 ? C->handles[0] : 0;
    char *buf = call_alloc(256);
    int64_t count = 0, len = 0;
    if (strstr(C->fn, "gs_module_")) {
        if (id_gs_module_parameter_count(h, &count) == GS_OK && count > 0 &&
            id_gs_module_parameter_name(h, below((int)count), buf, 256, &len) == GS_OK)
            return buf;
    } else if (strstr(C->fn, "gs_optim_")) {
        if (id_gs_optim_state_count(h, &count) == GS_OK && count > 0 &&
            id_gs_optim_state_name(h, below((int)count), buf, 256, &len) == GS_OK)
            return buf;
    } else if (id_gs_checkpoint_count(h, &count) == GS_OK && count > 0 &&
               id_gs_checkpoint_name(h, below((int)count), buf, 256, &len) == GS_OK) {
        return buf;
    }
    return "weight";
}

static const char *junk_string(void) {
    static const char *const junk[] = {"", "weight", "bias", "0.weight", "x.y.z", "\xff\xfe\xfd",
                                       "weight\n", "..", ".", "0", "__gradswift__",
                                       "0.m", "99.v", "a\xc3"};
    if (chance(10)) {
        char *s = call_alloc(1025);
        memset(s, 'w', 1024);
        s[1024] = 0;
        return s;
    }
    return junk[below((int)(sizeof junk / sizeof *junk))];
}

static const char *fz_string(const char *name) {
    const char *s;
    bool is_path = strcmp(name, "path") == 0;
    bool loading = strstr(C->fn, "load") != NULL;
    int r = F.valid_only ? 99 : below(100);
    if (r < 4) {
        s = NULL;
    } else if (!is_path && strcmp(name, "equation") == 0) {
        /* gs_einsum: mostly well-formed equations, whose operands fz_handle_array then fits */
        static const char *const equations[] = {"...", "...->", "...,...->...", "...i,...i->...", "ij,jk->ik",
                                                "ii->i", "i...->...", "ba", "", "i,i", "ij->ji", "bij,bjk",
                                                "ij,jk,kl->il", "iij,j", "i,j->ij", "ij->k", "i..j", "a-b"};
        s = r < 85 ? equations[below((int)(sizeof equations / sizeof *equations))] : junk_string();
        C->equation = s;
    } else if (!is_path && fn_is("gs_function_apply")) {
        static const char *const labels[] = {"FzCustom", "CubeBackward", "f", "MulBackward0"};
        s = r < 75 ? labels[below(4)] : junk_string();
    } else if (!is_path) {
        s = r < 75 ? object_name() : junk_string();
        if (fn_is("gs_module_set_parameter"))
            snprintf(C->set_param, sizeof C->set_param, "%s", s);
    } else if (r < 80) {
        s = scratch_path("ck", below(6));
    } else if (r < 88 && loading && F.nbad > 0) {
        s = scratch_path("bad", below(F.nbad < 16 ? F.nbad : 16));
    } else {
        static const char *const paths[] = {"", "/nonexistent-dir/x.npz", "/", ".", "/dev/null",
                                            "/proc/self/status"};
        s = paths[below(loading ? 6 : 3)];
        if (chance(30))
            s = F.dir;
    }
    if (s)
        arg_text("%s=\"%.60s\"", name, s);
    else
        arg_text("%s=NULL", name);
    return s;
}

/* ---- int arrays ------------------------------------------------------------------------- */

static int valid_shape(int64_t *v) {
    if (chance(12) && kind_count[FZ_TENSOR] > 0) {
        int32_t d, r;
        if (describe(pool[pool_pick(FZ_TENSOR)].h, &d, &r, v))
            return r;
    }
    return random_shape(v, 0, 4);
}

static int invalid_shape(int64_t *v) {
    switch (below(9)) {
    case 0: v[0] = 2; v[1] = -1; return 2;
    case 1: v[0] = (int64_t)1 << 40; return 1;
    case 2: v[0] = INT64_MAX; return 1;
    case 3: v[0] = (int64_t)1 << 32; v[1] = (int64_t)1 << 32; return 2;
    case 4: v[0] = 0; v[1] = INT64_MAX; return 2;
    case 5: v[0] = 0; v[1] = (int64_t)1 << 62; v[2] = 4; return 3;
    case 6: v[0] = INT64_MIN; return 1;
    case 7: for (int i = 0; i < MAX_RANK + 1; i++) v[i] = 1; return MAX_RANK + 1;
    default: v[0] = 3; v[1] = (int64_t)1 << 31; v[2] = (int64_t)1 << 31; return 3;
    }
}

/* A shape with the same element count as the primary tensor, maybe with one -1. */
static int reshape_of(int64_t *v) {
    int64_t n = C->has_primary ? C->p_numel : 6;
    int k = 0;
    if (n == 0) {
        v[k++] = 0;
        if (chance(50))
            v[k++] = between(1, 3);
    } else {
        while (n > 1 && k < 5) {
            int64_t d = 1;
            for (int tries = 0; tries < 6; tries++) {
                int64_t c = between(2, 6);
                if (n % c == 0) {
                    d = c;
                    break;
                }
            }
            if (d == 1 || k == 4)
                d = n;
            v[k++] = d;
            n /= d;
        }
        if (chance(30))
            v[k++] = 1;
    }
    if (k > 0 && chance(40))
        v[below(k)] = -1;
    return k;
}

static int key_items(int64_t *v) {
    int rank = C->has_primary ? C->p_ndim : 1;
    int items = between(1, rank + 1 > 4 ? 4 : rank + 1);
    int k = 0;
    for (int i = 0; i < items; i++) {
        int64_t dim = C->has_primary && i < C->p_ndim ? C->p_shape[i] : 3;
        int r = below(100);
        int64_t *it = v + 4 * k++;
        it[1] = it[2] = it[3] = 0;
        if (r < 35) {
            it[0] = 0;
            it[1] = chance(90) ? between((int)-dim, (int)dim - 1) : extreme_int();
        } else if (r < 65) {
            it[0] = 1;
            it[1] = chance(30) ? INT64_MIN : between(-4, 4);
            it[2] = chance(30) ? INT64_MIN : between(-4, 4);
            it[3] = chance(50) ? INT64_MIN : chance(90) ? (chance(70) ? between(1, 2) : -1) : (chance(50) ? 0 : extreme_int());
        } else if (r < 72) {
            it[0] = 2;
        } else if (r < 78) {
            it[0] = 3;
        } else if (r < 97) {
            it[0] = 4;
            uint64_t h;
            if (chance(60)) {
                int64_t shape[2] = {between(1, 3), 2};
                int nd = chance(70) ? 1 : 2;
                h = make_tensor(GS_DTYPE_INT64, shape, nd, false, -dim, dim > 0 ? dim - 1 : 0);
            } else if (chance(50) && C->has_primary && C->p_ndim > 0 && C->p_numel <= 64) {
                h = make_tensor(GS_DTYPE_BOOL, C->p_shape, C->p_ndim, false, 0, 1);
            } else {
                const char *how;
                int j = pool_pick(FZ_TENSOR);
                h = chance(80) && j >= 0 ? pool[j].h : bad_handle(FZ_TENSOR, &how);
            }
            it[1] = (int64_t)h;
        } else {
            it[0] = chance(50) ? 5 : -1;
        }
    }
    return k;
}

static void fz_int_array(const char *name, const char *cname, int role, const int64_t **p,
                         int32_t *n) {
    int64_t v[4 * 64 + 8];
    int k = 0, rank = C->has_primary ? C->p_ndim : 2;
    int32_t count;
    bool corrupt = !F.valid_only && chance(12);
    switch (role) {
    case FZ_A_SHAPE:
        k = corrupt ? invalid_shape(v) : valid_shape(v);
        break;
    case FZ_A_RESHAPE:
        k = chance(85) ? reshape_of(v) : (chance(50) ? valid_shape(v) : invalid_shape(v));
        break;
    case FZ_A_PERM:
        k = rank;
        for (int i = 0; i < k; i++)
            v[i] = i;
        for (int i = k - 1; i > 0; i--) {
            int j = below(i + 1);
            int64_t t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        break;
    case FZ_A_UNSQUEEZE:
        k = between(1, 2);
        for (int i = 0; i < k; i++)
            v[i] = between(-(rank + k), rank + k - 1);
        break;
    case FZ_A_AXES:
        k = chance(25) ? -1 : between(0, rank < 2 ? rank : 2);
        for (int i = 0; i < k; i++)
            v[i] = between(-rank, rank > 0 ? rank - 1 : 0);
        break;
    case FZ_A_NORMSHAPE:
        if (C->has_primary && C->p_ndim > 0 && chance(75)) {
            k = between(1, C->p_ndim < 2 ? C->p_ndim : 2);
            memcpy(v, C->p_shape + C->p_ndim - k, sizeof(int64_t) * (size_t)k);
        } else {
            k = random_shape(v, 1, 2);
        }
        break;
    case FZ_A_BOUNDARIES: {
        int64_t dim = C->has_primary && C->p_ndim > 0 ? C->p_shape[below(C->p_ndim)] : 4;
        k = between(0, 3);
        for (int i = 0; i < k; i++)
            v[i] = between(0, (int)dim);
        for (int i = 1; i < k; i++)
            for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
                int64_t t = v[j];
                v[j] = v[j - 1];
                v[j - 1] = t;
            }
        break;
    }
    case FZ_A_KEY:
        k = key_items(v);
        break;
    case FZ_A_SIZES: /* gs_expand: the primary's shape, some sizes -1, maybe leading sizes */
        k = 0;
        if (chance(40))
            for (int lead = between(1, 2); k < lead; k++)
                v[k] = between(1, 3);
        for (int i = 0; i < rank && k < MAX_RANK; i++, k++) {
            int64_t size = C->has_primary ? C->p_shape[i] : 2;
            v[k] = chance(30) ? -1 : size == 1 && chance(50) ? between(0, 3) : size;
        }
        break;
    case FZ_A_UNFLATTEN: { /* gs_unflatten: sizes that fit any axis (with a -1), or a guess */
        static const int64_t choices[][2] = {{-1, 1}, {1, -1}, {2, -1}, {-1, 3}};
        k = chance(20) ? 1 : 2;
        if (k == 1)
            v[0] = chance(70) ? -1 : between(1, 4);
        else
            memcpy(v, choices[below(4)], sizeof choices[0]);
        break;
    }
    case FZ_A_REPS: /* gs_tile, gs_repeat: a count per axis, maybe more or fewer */
        k = between(rank > 0 ? rank - 1 : 0, rank + 1);
        if (k > MAX_RANK)
            k = MAX_RANK;
        for (int i = 0; i < k; i++)
            v[i] = chance(90) ? between(1, 3) : 0;
        break;
    case FZ_A_SHIFTS: /* gs_roll */
        k = between(1, rank < 2 ? 1 : 2);
        for (int i = 0; i < k; i++)
            v[i] = between(-5, 5);
        break;
    case FZ_A_PADS: /* gs_pad: (before, after) pairs, a few negative */
        k = 2 * between(0, rank < 3 ? rank : 3);
        for (int i = 0; i < k; i++)
            v[i] = chance(85) ? between(0, 2) : between(-2, -1);
        break;
    default: /* milestones */
        k = between(0, 3);
        for (int i = 0; i < k; i++)
            v[i] = (i ? v[i - 1] : 0) + between(1, 4);
        break;
    }
    int per_item = role == FZ_A_KEY ? 4 : 1;
    count = k; /* k == -1: "all axes" */
    const char *how = "array";
    bool null = false, misaligned = false;
    if (corrupt) {
        int r = below(8);
        if (r == 0 && k > 0) { null = true; how = "NULL"; }
        else if (r == 1 && k > 0) { misaligned = true; how = "misaligned"; }
        else if (r == 2) count = chance(50) ? -2 : INT32_MIN;
        else if (r == 3) { count = chance(50) ? INT32_MAX : 1 << 30; null = true; how = "NULL"; }
        else if (r == 4 && k > 0) { int at = below(k * per_item); v[at] = extreme_int(); }
        else if (r == 5 && k >= 0) { v[k * per_item] = between(-2, 2); count = k + 1;
            for (int i = 1; i < per_item; i++) v[k * per_item + i] = 0; }
        else if (r == 6 && k > 0) count = k - 1;
        else if (r == 7 && k >= 0) { /* past the rank limit */
            int m = role == FZ_A_KEY ? 65 : MAX_RANK + 1 + below(3);
            for (int i = k * per_item; i < m * per_item; i++) v[i] = role == FZ_A_KEY ? (i % 4 == 0 ? 2 : 0) : 1;
            count = m;
        }
    }
    if ((role == FZ_A_SHAPE || role == FZ_A_NORMSHAPE) && count > 0 && count <= MAX_RANK) {
        /* a valid shape too large to fill here but small enough to allocate would only be
           slow (and with the small data buffer given for it, the caller's error): make it
           impossible to allocate instead */
        int64_t n = numel_of(v, count);
        if (n > MAX_NUMEL * 64)
            v[0] = (int64_t)1 << 40;
    }
    if (role == FZ_A_REPS && count > 0 && count <= MAX_RANK && C->has_primary && C->p_numel > 0) {
        /* the same for repetition counts (an extreme one times a small tensor): a result too
           large to fill quickly but small enough to allocate is made impossible to allocate */
        int64_t n = numel_of(v, count);
        if (n > MAX_NUMEL * 64 / C->p_numel) {
            int largest = 0;
            for (int i = 1; i < count; i++)
                largest = v[i] > v[largest] ? i : largest;
            v[largest] = (int64_t)1 << 40;
        }
    }
    int32_t elems = count > 0 && !null ? count * per_item : 0;
    int64_t *buf = NULL;
    if (!null) {
        unsigned char *raw = call_alloc(sizeof(int64_t) * (size_t)elems + (misaligned ? 1 : 0));
        memcpy(raw + (misaligned ? 1 : 0), v, sizeof(int64_t) * (size_t)elems);
        buf = (int64_t *)(void *)(raw + (misaligned ? 1 : 0));
    }
    *p = buf;
    *n = count;
    C->arr_n = null ? -1000 : count;
    memcpy(C->arr, v, sizeof(int64_t) * (size_t)(elems < MAX_RANK + 8 ? elems : MAX_RANK + 8));
    char text[600];
    size_t len = (size_t)snprintf(text, sizeof text, "[");
    for (int i = 0; i < elems && len < sizeof text - 40; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%s%" PRId64, i ? " " : "", v[i]);
    snprintf(text + len, sizeof text - len, "]");
    arg_text("%s=%s%s, %s=%d", name, null ? "" : how, null ? "NULL" : text, cname, (int)count);
}

static const void *fz_data(const char *name, int32_t dtype, const int64_t *shape, int32_t ndim) {
    (void)shape;
    int64_t n = -1;
    if (valid_dtype(dtype) && C->arr_n == ndim && ndim >= 0 && ndim <= MAX_RANK)
        n = numel_of(C->arr, ndim);
    int r = F.valid_only ? 99 : below(100);
    if (r < 6) {
        arg_text("%s=NULL", name);
        return NULL;
    }
    if (n < 0 || n > (1 << 20)) {
        arg_text("%s=small buffer", name);
        return memset(call_alloc(64), 0, 64);
    }
    size_t bytes = (size_t)n * item_size(dtype);
    unsigned char *p = call_alloc(bytes + 1);
    fill_random(p, dtype, n, -3, 5);
    if (dtype == GS_DTYPE_BOOL && chance(20) && n > 0) {
        int at = below((int)n);
        p[at] = (unsigned char)between(2, 255);
    }
    if (r < 10 && bytes > 0) {
        unsigned char *q = call_alloc(bytes + 1);
        memcpy(q + 1, p, bytes);
        p = q + 1;
    }
    arg_text("%s=%s[%zu bytes]", name, r < 10 && bytes > 0 ? "misaligned" : "buffer", bytes);
    return p;
}

/* ---- memory lent to the library (gs_tensor_from_external) --------------------------------- */

/* A block lent to the library; user_data of fz_lent_free, which gives it back. */
typedef struct fz_lent {
    void *block;
} fz_lent;
static long lent_live; /* blocks the library has taken and not yet given back */

static void fz_lent_free(void *user_data) {
    fz_lent *lent = user_data;
    free(lent->block);
    free(lent);
    lent_live--;
}

/* The user_data and release function of a lending call (release NULL now and then); the block
   comes with the data argument (fz_lent_data). */
static void fz_lent_release(const char *name, void **user_data, gs_release_fn *release) {
    fz_lent *lent = calloc(1, sizeof *lent);
    if (!lent)
        fz_fail("out of memory");
    C->lent = lent;
    *user_data = lent;
    *release = F.valid_only || chance(97) ? fz_lent_free : NULL;
    arg_text("%s=lent block, release=%s", name, *release ? "fz_lent_free" : "NULL");
}

/* The data of a lending call: as fz_data's (NULL, a small block for sizes it cannot hold,
   misaligned now and then), but from malloc, kept until the library gives it back, and bools
   0 or 1 (lent memory is used as it is). */
static void *fz_lent_data(const char *name, int32_t dtype, const int64_t *shape, int32_t ndim) {
    (void)shape;
    int64_t n = -1;
    if (valid_dtype(dtype) && C->arr_n == ndim && ndim >= 0 && ndim <= MAX_RANK)
        n = numel_of(C->arr, ndim);
    int r = F.valid_only ? 99 : below(100);
    size_t bytes = n >= 0 && n <= (1 << 20) ? (size_t)n * item_size(dtype) : 64;
    unsigned char *block = calloc(1, bytes + 1);
    if (!block)
        fz_fail("out of memory");
    C->lent->block = block;
    if (r < 6) {
        arg_text("%s=NULL", name);
        return NULL;
    }
    if (n >= 0 && n <= (1 << 20))
        fill_random(block, dtype, n, dtype == GS_DTYPE_BOOL ? 0 : -3, dtype == GS_DTYPE_BOOL ? 1 : 5);
    bool misaligned = r < 10 && bytes > 1;
    arg_text("%s=%s[%zu bytes]", name, misaligned ? "misaligned lent" : "lent", bytes);
    return misaligned ? block + 1 : block;
}

/* Ends a lending call: the block is the library's when it succeeded, else still the fuzzer's. */
static void settle_lent(int32_t status) {
    if (!C->lent)
        return;
    if (status == GS_OK) {
        lent_live++;
    } else {
        free(C->lent->block);
        free(C->lent);
    }
    C->lent = NULL;
}

/* ---- handle arrays ----------------------------------------------------------------------- */

/* Records a handle array argument: `name=[ids...], cname=count` (or NULL / misaligned). */
static void handle_array_text(const char *name, const char *cname, const uint64_t *v, int32_t count,
                              bool null, bool misaligned) {
    char text[400];
    size_t len = (size_t)snprintf(text, sizeof text, "[");
    for (int i = 0; i < count && i < 16; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%s0x%" PRIx64, i ? " " : "", v[i]);
    snprintf(text + len, sizeof text - len, "]");
    arg_text("%s=%s%s, %s=%d", name, misaligned ? "misaligned" : "", null ? "NULL" : text, cname,
             (int)count);
}


static void fit_module_inputs(uint64_t module, uint64_t *inputs, int32_t *count);

/* Operands for an einsum equation: one per term (at most 8), of one dtype, every dimension of
   one size (so repeated and shared subscripts agree), '...' standing for 0 to 2 dimensions. */
static bool einsum_operands(const char *equation, uint64_t *v, int32_t *count) {
    int32_t dtype = random_float_dtype();
    int64_t size = between(1, 3), shape[MAX_RANK];
    int n = 0, rank = 0;
    bool ellipsis = false;
    for (const char *c = equation;; c++) {
        if (*c == ',' || *c == '\0' || *c == '-') {
            if (n >= 8)
                return false;
            if (ellipsis)
                rank += between(0, 2);
            for (int i = 0; i < rank && i < MAX_RANK; i++)
                shape[i] = size;
            v[n++] = make_tensor(dtype, shape, rank < MAX_RANK ? rank : MAX_RANK, chance(50), 0, 3);
            rank = 0;
            ellipsis = false;
            if (*c != ',')
                break;
        } else if (*c == '.') {
            ellipsis = true;
        } else {
            rank++;
        }
    }
    *count = n;
    return true;
}

static void fz_handle_array(const char *name, const char *cname, int kind, const uint64_t **p,
                            int32_t *n) {
    uint64_t v[16];
    int32_t count = between(kind == FZ_MODULE || strcmp(name, "params") == 0 ? 1 : 0, 4);
    bool fitted = false;
    if (strcmp(name, "inputs") == 0 && C->nhandles > 0 && chance(70)) {
        fit_module_inputs(C->handles[0], v, &count);
        fitted = count >= 0;
    }
    if (strcmp(name, "operands") == 0 && C->equation && chance(75))
        fitted = einsum_operands(C->equation, v, &count);
    if (!fitted) {
        if (count < 0)
            count = 1;
        int64_t shape[MAX_RANK];
        int32_t dtype = random_float_dtype();
        int nd = -1;
        if (strcmp(name, "tensors") == 0 && chance(60))
            nd = random_shape(shape, 1, 3);
        for (int i = 0; i < count; i++) {
            if (nd >= 0 && chance(85)) {
                int64_t s[MAX_RANK];
                memcpy(s, shape, sizeof s);
                if (chance(50))
                    s[0] = between(0, 3); /* concat axis 0 may differ */
                v[i] = make_tensor(dtype, s, nd, chance(50), 0, 3);
            } else {
                v[i] = fz_handle(name, kind, false);
            }
        }
    }
    bool null = false, misaligned = false;
    if (!F.valid_only && chance(10)) {
        int r = below(5);
        if (r == 0 && count > 0) null = true;
        else if (r == 1) count = chance(50) ? -1 : INT32_MIN;
        else if (r == 2) { null = true; count = INT32_MAX; }
        else if (r == 3 && count > 0) misaligned = true;
        else if (r == 4 && count > 1) v[1] = v[0]; /* a duplicate */
    }
    uint64_t *buf = NULL;
    if (!null) {
        size_t bytes = sizeof(uint64_t) * (size_t)(count > 0 ? count : 0);
        unsigned char *raw = call_alloc(bytes + (misaligned ? 1 : 0));
        memcpy(raw + (misaligned ? 1 : 0), v, bytes);
        buf = (uint64_t *)(void *)(raw + (misaligned ? 1 : 0));
    }
    *p = buf;
    *n = count;
    if (count > 0 && C->nhandles < 8 && kind == FZ_MODULE)
        C->handles[C->nhandles++] = v[0];
    handle_array_text(name, cname, v, count, null, misaligned);
}

static void fz_names_handles(const char *const **names, const uint64_t **tensors, int32_t *n) {
    static const char *const good[] = {"w", "b", "layer.0.weight", "x", "y", "z"};
    int32_t count = between(0, 4);
    const char **nm = call_alloc(sizeof(char *) * (size_t)(count > 0 ? count : 1));
    uint64_t *ts = call_alloc(sizeof(uint64_t) * (size_t)(count > 0 ? count : 1));
    int start = below(6);
    for (int i = 0; i < count; i++) {
        nm[i] = chance(90) ? good[(start + i) % 6] : (chance(20) ? NULL : junk_string());
        ts[i] = fz_handle("tensors[i]", FZ_TENSOR, false);
    }
    C->argslen = 0; /* the element handles were appended above; describe the arrays instead */
    C->args[0] = 0;
    if (!F.valid_only && chance(8)) {
        int r = below(3);
        if (r == 0 && count > 0) nm = NULL;
        else if (r == 1 && count > 0) ts = NULL;
        else count = -1;
    }
    *names = nm;
    *tensors = ts;
    *n = count;
    arg_text("names=%s, tensors=%s, count=%d", nm ? "array" : "NULL", ts ? "array" : "NULL",
             (int)count);
    for (int i = 0; i < count && nm && ts; i++)
        arg_text("[%d]=\"%.20s\":0x%" PRIx64, i, nm[i] ? nm[i] : "(NULL)", ts[i]);
}

/* ---- fitting shapes to ops and modules ----------------------------------------------------- */

static bool fn_is(const char *name) { return strcmp(C->fn, name) == 0; }

/* Adjusts (dtype, shape) from the primary tensor's to what argument `name` of the current
   function needs to fit; ndim -1 when nothing fits. */
static void fit_shape(const char *name, int32_t *dtype, int64_t *shape, int *ndim, int64_t *lo,
                      int64_t *hi) {
    int nd = *ndim;
    int64_t last = nd > 0 ? shape[nd - 1] : 1;
    if (!is_float(*dtype) && !fn_is("gs_embedding"))
        *dtype = random_float_dtype();
    if (fn_is("gs_matmul")) {
        if (nd == 0) { *ndim = -1; return; }
        if (nd == 1) { shape[0] = last; shape[1] = between(1, 3); *ndim = chance(50) ? 1 : 2; }
        else { shape[nd - 2] = last; shape[nd - 1] = between(1, 3); }
        if (nd > 2 && chance(50)) { /* no batch dims on b */
            shape[0] = last; shape[1] = between(1, 3); *ndim = 2;
        }
    } else if (fn_is("gs_linear")) {
        int64_t out = between(1, 3);
        if (strcmp(name, "weight") == 0) { shape[0] = last; shape[1] = out; *ndim = 2; }
        else { shape[0] = out; *ndim = 1; }
    } else if (fn_is("gs_conv1d") || fn_is("gs_conv2d")) {
        int spatial = fn_is("gs_conv1d") ? 1 : 2;
        if (nd != 2 + spatial) { *ndim = -1; return; }
        int64_t cin = shape[1], k = between(1, 2);
        if (strcmp(name, "weight") == 0) {
            shape[0] = between(1, 3); shape[1] = cin; shape[2] = k; shape[3] = k;
            *ndim = 2 + spatial;
        } else {
            shape[0] = between(1, 3); *ndim = 1;
        }
    } else if (fn_is("gs_conv_transpose1d") || fn_is("gs_conv_transpose2d")) {
        /* weight (in, out, k[, k]), bias (out) */
        int spatial = fn_is("gs_conv_transpose1d") ? 1 : 2;
        if (nd != 2 + spatial) { *ndim = -1; return; }
        int64_t cin = shape[1], k = between(1, 3);
        if (strcmp(name, "weight") == 0) {
            shape[0] = cin; shape[1] = between(1, 3); shape[2] = k; shape[3] = between(1, 3);
            *ndim = 2 + spatial;
        } else {
            shape[0] = between(1, 3); *ndim = 1;
        }
    } else if (fn_is("gs_embedding")) {
        if (strcmp(name, "weight") == 0) {
            shape[0] = 6; shape[1] = between(1, 3); *ndim = 2;
            *dtype = random_float_dtype();
        }
    } else if (fn_is("gs_nll_loss") || fn_is("gs_cross_entropy")) {
        if (nd != 2) { *ndim = -1; return; }
        if (chance(60)) { *dtype = random_index_dtype(); *ndim = 1; *lo = 0; *hi = last - 1;
            if (last == 0) *ndim = -1; }
    } else if (fn_is("gs_layer_norm") || fn_is("gs_rms_norm")) {
        int k = C->arr_n > 0 && C->arr_n <= nd ? C->arr_n : 1;
        if (nd == 0) { *ndim = -1; return; }
        memmove(shape, shape + nd - k, sizeof(int64_t) * (size_t)k);
        *ndim = k;
    } else if (fn_is("gs_batch_norm") || fn_is("gs_group_norm") || fn_is("gs_instance_norm")) {
        if (nd < 2) { *ndim = -1; return; }
        shape[0] = shape[1];
        *ndim = 1;
    } else if (fn_is("gs_multi_head_attention") || fn_is("gs_scaled_dot_product_attention")) {
        /* key and value keep the query's shape; projections and masks fit its dims */
        if (nd < 2) { *ndim = -1; return; }
        int64_t length = shape[0], batch = nd == 3 ? shape[1] : 1;
        if (!strcmp(name, "in_proj_weight")) { shape[0] = 3 * last; shape[1] = last; *ndim = 2; }
        else if (!strcmp(name, "in_proj_bias")) { shape[0] = 3 * last; *ndim = 1; }
        else if (!strcmp(name, "out_proj_weight")) { shape[0] = last; shape[1] = last; *ndim = 2; }
        else if (!strcmp(name, "out_proj_bias")) { shape[0] = last; *ndim = 1; }
        else if (!strcmp(name, "key_padding_mask")) {
            shape[0] = batch; shape[1] = length; *ndim = nd == 3 ? 2 : 1;
            if (nd == 2) shape[0] = length;
            *dtype = GS_DTYPE_BOOL; *lo = 0; *hi = 1;
        } else if (!strcmp(name, "attn_mask")) {
            int64_t side = fn_is("gs_scaled_dot_product_attention") ? shape[nd - 2] : length;
            shape[0] = side; shape[1] = side; *ndim = 2;
            if (chance(50)) { *dtype = GS_DTYPE_BOOL; *lo = 0; *hi = 1; }
        }
    } else if (fn_is("gs_repeat_interleave_tensor")) {
        /* integer counts: one for all, or one per entry of the last axis */
        *dtype = chance(85) ? random_index_dtype() : *dtype;
        shape[0] = chance(40) ? 1 : last;
        *ndim = chance(10) ? 0 : 1;
        *lo = chance(90) ? 0 : -1;
        *hi = 3;
    } else if (fn_is("gs_bmm")) {
        if (nd != 3) { *ndim = -1; return; }
        shape[1] = shape[2]; shape[2] = between(1, 3);
        if (chance(5)) shape[0] += 1; /* batch sizes differ */
    } else if (fn_is("gs_dot")) {
        if (chance(5) && nd == 1) shape[0] += 1;
    } else if (strcmp(name, "index") == 0 || strcmp(name, "indices") == 0) {
        /* integer positions below the primary's smallest size (so valid along any dim; now and
           then one past it or negative), each size at most the primary's */
        int64_t least = nd > 0 ? shape[0] : 1;
        for (int i = 0; i < nd; i++) {
            least = shape[i] < least ? shape[i] : least;
            shape[i] = chance(70) ? shape[i] : between(0, shape[i]);
        }
        if (fn_is("gs_index_select")) {
            shape[0] = between(0, 4);
            *ndim = chance(85) ? 1 : 0;
        }
        *dtype = chance(95) ? random_index_dtype() : random_float_dtype();
        *lo = chance(95) ? 0 : -1;
        *hi = least - (chance(95) ? 1 : 0);
        if (*hi < *lo) *ndim = -1;
    } else if (strcmp(name, "mask") == 0) {
        *dtype = chance(95) ? GS_DTYPE_BOOL : GS_DTYPE_INT64;
        *lo = 0; *hi = 1;
        if (chance(25) && nd > 0) { memmove(shape, shape + 1, sizeof(int64_t) * (size_t)(nd - 1)); *ndim = nd - 1; }
    } else if (strcmp(name, "value") == 0 && fn_is("gs_masked_fill")) {
        *ndim = chance(90) ? 0 : 1;
        shape[0] = 1;
    } else if (strcmp(name, "src") == 0) {
        /* as large as the primary (scatter's index fits both), sometimes larger */
        if (chance(20)) for (int i = 0; i < nd; i++) shape[i] += 1;
    } else if (fn_is("gs_index_put") || fn_is("gs_inplace")) {
        if (chance(40)) *ndim = 0;
    } else if (chance(25) && nd > 0) {
        /* broadcasting: a trailing part, or size-1 dims */
        if (chance(50)) {
            int k = between(0, nd);
            memmove(shape, shape + nd - k, sizeof(int64_t) * (size_t)k);
            *ndim = k;
        } else {
            shape[below(nd)] = 1;
        }
    }
}

static const fz_entry *module_entry(uint64_t module) {
    int i = pool_find(module);
    return i >= 0 && pool[i].kind == FZ_MODULE && pool[i].ctor[0] ? &pool[i] : NULL;
}


/* Inputs that fit the module's recipe (count -1 when it has none). */
static void fit_module_inputs(uint64_t module, uint64_t *in, int32_t *count) {
    const fz_entry *e = module_entry(module);
    *count = -1;
    if (!e)
        return;
    for (int i = 0; i < e->nnotes; i++)
        if (e->notes[i].value > 64 || e->notes[i].value < -64)
            return; /* sizes no input of the harness's could fit */
    int32_t dtype = (int32_t)note(e, "dtype", random_float_dtype());
    int64_t s[MAX_RANK], n = between(1, 3);
    bool bad = chance(8); /* off by one in some dim */
    int nd = 0, k = 0;
    const char *c = e->ctor;
    if (!strncmp(c, "cell:", 5))
        c += 5;
    if (!strcmp(c, "gs_linear_new")) {
        s[0] = n; s[1] = note(e, "in_features", 2); nd = 2;
        if (chance(20)) { s[0] = s[1]; nd = 1; }
    } else if (!strcmp(c, "gs_embedding_new")) {
        s[0] = n; s[1] = between(1, 3); nd = chance(50) ? 1 : 2;
        int64_t num = note(e, "num", 2);
        int64_t lo = chance(90) ? 0 : -num;
        in[k++] = make_tensor(GS_DTYPE_INT64, s, nd, false, lo, chance(90) ? num - 1 : num);
        *count = k;
        return;
    } else if (!strcmp(c, "gs_conv1d_new") || !strcmp(c, "gs_conv2d_new") ||
               strstr(c, "pool")) {
        int spatial = strstr(c, "1d") ? 1 : 2;
        int64_t kern = note(e, "kernel", 2);
        s[0] = n; s[1] = note(e, "in_channels", between(1, 3)); nd = 2 + spatial;
        for (int i = 0; i < spatial; i++) s[2 + i] = kern + between(0, 3);
    } else if (!strcmp(c, "gs_conv_transpose1d_new") || !strcmp(c, "gs_conv_transpose2d_new")) {
        int spatial = strstr(c, "1d") ? 1 : 2;
        s[0] = n; s[1] = note(e, "in_channels", between(1, 3)); nd = 2 + spatial;
        for (int i = 0; i < spatial; i++) s[2 + i] = between(1, 4);
    } else if (!strcmp(c, "gs_upsample_new")) {
        s[0] = n; s[1] = between(1, 3); nd = chance(50) ? 3 : 4;
        for (int i = 2; i < nd; i++) s[i] = between(1, 4);
    } else if (strstr(c, "batch_norm")) {
        s[0] = between(2, 3); s[1] = note(e, "num_features", 2);
        nd = strstr(c, "2d") ? 4 : (chance(50) ? 2 : 3);
        for (int i = 2; i < nd; i++) s[i] = between(1, 3);
    } else if (!strcmp(c, "gs_group_norm_new") || !strcmp(c, "gs_instance_norm_new") ||
               !strcmp(c, "gs_channel_dropout_new")) {
        s[0] = n; s[1] = note(e, "num_channels", note(e, "num_features", 2));
        nd = 2 + (int)note(e, "spatial_dims", between(0, 2));
        for (int i = 2; i < nd; i++) s[i] = between(1, 3);
    } else if (!strcmp(c, "gs_layer_norm_new") || !strcmp(c, "gs_rms_norm_new")) {
        s[0] = n; nd = 1;
        for (int i = 0; i < e->narray && i < 8; i++) s[nd++] = e->array[i];
    } else if (strstr(c, "_cell_new") || !strncmp(e->ctor, "cell:", 5)) {
        int64_t in_size = note(e, "input_size", 2), H = note(e, "hidden_size", 2);
        if (!strncmp(e->ctor, "cell:", 5) && note(e, "layer", 0) > 0)
            in_size = H * (note(e, "bidirectional", 0) ? 2 : 1);
        bool unbatched = chance(20);
        s[0] = unbatched ? in_size : n; s[1] = in_size; nd = unbatched ? 1 : 2;
        if (bad) s[nd - 1]++;
        in[k++] = make_tensor(dtype, s, nd, chance(50), 0, 0);
        if (chance(40)) {
            int64_t h[2] = {unbatched ? H : n, H};
            in[k++] = make_tensor(dtype, h, unbatched ? 1 : 2, false, 0, 0);
            if (strstr(c, "lstm"))
                in[k++] = make_tensor(dtype, h, unbatched ? 1 : 2, false, 0, 0);
        }
        *count = k;
        return;
    } else if (!strcmp(c, "gs_rnn_new") || !strcmp(c, "gs_lstm_new") || !strcmp(c, "gs_gru_new")) {
        int64_t T = between(1, 3), in_size = note(e, "input_size", 2);
        int64_t L = note(e, "num_layers", 1), D = note(e, "bidirectional", 0) ? 2 : 1;
        int64_t H = note(e, "hidden_size", 2);
        bool unbatched = chance(20), bf = note(e, "batch_first", 0);
        if (unbatched) { s[0] = T; s[1] = in_size; nd = 2; }
        else { s[0] = bf ? n : T; s[1] = bf ? T : n; s[2] = in_size; nd = 3; }
        if (bad) s[nd - 1]++;
        in[k++] = make_tensor(dtype, s, nd, chance(50), 0, 0);
        if (chance(30)) {
            int64_t h[3] = {L * D, n, H};
            int hn = unbatched ? 2 : 3;
            if (unbatched) h[1] = H;
            in[k++] = make_tensor(dtype, h, hn, false, 0, 0);
            if (!strcmp(c, "gs_lstm_new"))
                in[k++] = make_tensor(dtype, h, hn, false, 0, 0);
        }
        *count = k;
        return;
    } else if (strstr(c, "loss")) {
        int64_t classes = between(1, 4);
        s[0] = n; s[1] = classes; nd = 2;
        dtype = random_float_dtype();
        in[k++] = make_tensor(dtype, s, nd, chance(60), 0, 0);
        if (strstr(c, "mse") || chance(30))
            in[k++] = make_tensor(dtype, s, nd, false, 0, 0);
        else
            in[k++] = make_tensor(GS_DTYPE_INT64, s, 1, false, 0, classes - 1);
        *count = k;
        return;
    } else {
        nd = random_shape(s, 1, 3);
        if (!is_float(dtype)) dtype = random_float_dtype();
    }
    if (bad && nd > 0) s[below(nd)]++;
    in[k++] = make_tensor(is_float(dtype) ? dtype : GS_DTYPE_FLOAT32, s, nd, chance(50), 0, 0);
    *count = k;
}

/* ---- calls ------------------------------------------------------------------------------- */

static void fz_begin(void) {
    F.calls++;
    C->cb_fail_mark = cb_failures;
    set_crash_note();
    if (F.iteration >= F.trace_from) {
        printf("  #%" PRIu64 " %s(%s)\n", F.calls, C->fn, C->args);
        fflush(stdout);
    }
    alarm(F.timeout);
}

/* Registers the handles the call produced. */
static void collect_outputs(void) {
    for (int s = 0; s < C->nouts; s++) {
        fz_out_slot *o = &C->outs[s];
        int count = o->count;
        if (o->count_ptr) {
            int32_t got;
            memcpy(&got, o->count_ptr, sizeof got);
            if (got < 0 || got > (o->count > 0 ? o->count : 3))
                fz_fail("noutputs is %d", (int)got);
            count = got;
        }
        for (int i = 0; i < count; i++) {
            uint64_t h;
            memcpy(&h, o->ptr + 8 * (size_t)i, sizeof h);
            if (h == 0 && (fn_is("gs_tensor_grad") || fn_is("gs_grad")))
                continue; /* no gradient (gs_grad: an unused input) */
            fz_entry *e = pool_add(h, o->kind);
            if (o->kind == FZ_TENSOR) {
                inspect_tensor(h);
            } else if (o->kind == FZ_MODULE) {
                /* the recipe, for inputs that fit it */
                const fz_entry *from = NULL;
                if (fn_is("gs_sequential_new") || fn_is("gs_recurrent_cell"))
                    from = C->nhandles > 0 ? module_entry(C->handles[0]) : NULL;
                if (from) {
                    e->nnotes = from->nnotes;
                    memcpy(e->notes, from->notes, sizeof e->notes);
                    e->narray = from->narray;
                    memcpy(e->array, from->array, sizeof e->array);
                    snprintf(e->ctor, sizeof e->ctor, "%s%s",
                             fn_is("gs_recurrent_cell") && strncmp(from->ctor, "cell:", 5) ? "cell:" : "",
                             from->ctor);
                    for (int j = 0; j < C->nnotes && e->nnotes < NOTES_MAX; j++)
                        e->notes[e->nnotes++] = C->notes[j];
                } else if (!fn_is("gs_sequential_new") && !fn_is("gs_recurrent_cell")) {
                    snprintf(e->ctor, sizeof e->ctor, "%s", C->fn);
                    e->nnotes = C->nnotes;
                    memcpy(e->notes, C->notes, sizeof e->notes);
                    if (C->arr_n > 0 && C->arr_n <= 8) {
                        e->narray = C->arr_n;
                        memcpy(e->array, C->arr, sizeof(int64_t) * (size_t)C->arr_n);
                    }
                }
            }
        }
    }
}

/* Checks what a successful call left in its out-parameters, per function. */
static void check_success(void) {
    if (fn_is("gs_tensor_release_many")) {
        /* all or nothing: every handle of the array (as drawn) was a live tensor and is gone */
        for (int k = 0; k < C->nhandles; k++) {
            int i = pool_find(C->handles[k]);
            if (i < 0 || pool[i].kind != FZ_TENSOR)
                fz_fail("gs_tensor_release_many succeeded with handle 0x%" PRIx64 ", not a live tensor",
                        C->handles[k]);
            pool_remove_at(i);
        }
    } else if (strstr(C->fn, "_release")) {
        uint64_t h = C->handles[0];
        int i = pool_find(h);
        if (i < 0)
            fz_fail("released handle 0x%" PRIx64 ", which is not live", h);
        if (strcmp(release_function(pool[i].kind), C->fn) != 0)
            fz_fail("%s released a %s handle", C->fn, kind_names[pool[i].kind]);
        pool_remove_at(i);
    }
    if (fn_is("gs_set_grad_enabled"))
        F.grad_enabled = C->notes[0].value != 0;
    if (C->length) {
        int64_t len;
        memcpy(&len, C->length, sizeof len);
        bool absent = len == -1 && fn_is("gs_checkpoint_structure"); /* no structure member */
        if (len < 0 && !absent)
            fz_fail("length %" PRId64 " is negative", len);
        if (C->buffer && C->buffer_cap > 0 && !absent) {
            int64_t want = len < C->buffer_cap - 1 ? len : C->buffer_cap - 1;
            if (strnlen(C->buffer, (size_t)C->buffer_cap) != (size_t)want)
                fz_fail("the name written has %zu bytes, expected %" PRId64,
                        strnlen(C->buffer, (size_t)C->buffer_cap), want);
        }
    }
    if (C->describe_dtype && C->describe_ndim) {
        int32_t d, r;
        memcpy(&d, C->describe_dtype, sizeof d);
        memcpy(&r, C->describe_ndim, sizeof r);
        if (!valid_dtype(d) || r < 0 || r > MAX_RANK)
            fz_fail("described dtype %d, rank %d", d, r);
    }
    if (C->data_out && fn_is("gs_tensor_data_ptr")) {
        /* read every byte through the borrowed pointer, and sometimes write valid values */
        void *p;
        memcpy(&p, C->data_out, sizeof p);
        int32_t d, r;
        int64_t s[MAX_RANK];
        if (!describe(C->handles[0], &d, &r, s))
            fz_fail("gs_tensor_describe after gs_tensor_data_ptr failed");
        int64_t n = numel_of(s, r);
        size_t bytes = (size_t)n * item_size(d);
        if (bytes > 0 && !p)
            fz_fail("gs_tensor_data_ptr gave NULL for %zu bytes", bytes);
        volatile unsigned char sum = 0;
        for (size_t i = 0; i < bytes; i++)
            sum ^= ((unsigned char *)p)[i];
        if (chance(30) && bytes > 0) {
            unsigned char *tmp = malloc(bytes);
            fill_random(tmp, d, n, -3, 5);
            memcpy(p, tmp, bytes);
            free(tmp);
        }
    }
}

/* Bookkeeping common to every finished call: stop the watchdog, count the status, trace it,
   check that it is a known status with a message. */
static void record_status(int32_t status) {
    alarm(0);
    stat_call(C->fn, status);
    if (F.iteration >= F.trace_from) {
        printf("    -> %d%s%s\n", (int)status, status ? " " : "", status ? gs_last_error() : "");
        fflush(stdout);
    }
    check_status(status);
    if (status == GS_OK && cb_failures != C->cb_fail_mark)
        fz_fail("succeeded although a callback it called failed or wrote a handle it must refuse");
}

static void fz_finish(int32_t status) {
    settle_lent(status);
    record_status(status);
    check_autograd(status);
    if (status == GS_OK) {
        collect_outputs();
        check_success();
    }
    for (int i = 0; i < C->nallocs; i++)
        free(C->allocs[i]);
    check_live();
    depth--;
}

static void fz_end(int32_t status) { fz_finish(status); }

static void fz_end_pointer(const char *p) {
    if (!p)
        fz_fail("gs_last_error() returned NULL");
    (void)strlen(p);
    fz_finish(GS_OK);
}

/* ---- scenario calls ---------------------------------------------------------------------- */

/* SC(gs_f, args...): a counted, checked call made by a scenario (the caller registers what it
   produces). */
static void sc_begin(const char *fn, const char *args) {
    fz_prepare(fn);
    snprintf(C->args, sizeof C->args, "%s", args);
    C->argslen = strlen(C->args);
    fz_begin();
}

static int32_t sc_end(int32_t status) {
    record_status(status);
    depth--;
    return status;
}
#define SC(fn, ...) (sc_begin(#fn, #__VA_ARGS__), sc_end(id_##fn(__VA_ARGS__)))
/* MUST(...): an SC call that has to succeed. */
#define MUST(fn, ...)                                                                         \
    do {                                                                                      \
        if (SC(fn, __VA_ARGS__) != GS_OK)                                                     \
            fz_fail(#fn " failed in a scenario: %s", gs_last_error());                        \
    } while (0)

/* ---- autograd: graphs, callbacks and their registrations ---------------------------------- */

/* A counted op on graph tensors (0: mul, 1: add, 2: tanh, 3: sin, 4: square, 5: sigmoid,
   6: sum of all elements); the result joins the pool. 0 when the call failed. */
static uint64_t graph_op(int which, uint64_t a, uint64_t b) {
    uint64_t r = 0;
    int32_t st;
    switch (which) {
    case 0: st = SC(gs_mul, a, b, &r); break;
    case 1: st = SC(gs_add, a, b, &r); break;
    case 2: st = SC(gs_tanh, a, &r); break;
    case 3: st = SC(gs_sin, a, &r); break;
    case 4: st = SC(gs_square, a, &r); break;
    case 5: st = SC(gs_sigmoid, a, &r); break;
    default: st = SC(gs_sum, a, NULL, -1, false, &r); break;
    }
    if (st != GS_OK)
        return 0;
    adopt_tensor(r);
    return pool_find(r) >= 0 ? r : 0;
}

static bool requires_grad_of(uint64_t h) {
    bool rg = false;
    return id_gs_tensor_requires_grad(h, &rg) == GS_OK && rg;
}

/* The grad_fn of h (uncounted): whether it has one, and its number of inputs (0 once freed). */
static bool grad_fn_of(uint64_t h, bool *present, int32_t *ninputs) {
    int32_t index = 0;
    *present = false;
    *ninputs = 0;
    return id_gs_tensor_grad_fn(h, present, NULL, 0, ninputs, &index) == GS_OK;
}

/* A new small graph: one or two float leaves of one shape (the first requiring grad) and 1 to
   3 ops on them (a reduction only last). The leaves go to leaves[0..*nleaves), the results to
   made[0..*nmade); returns the last tensor made (the first leaf when every op failed). */
static uint64_t new_graph(uint64_t leaves[2], int *nleaves, uint64_t made[4], int *nmade) {
    int64_t shape[MAX_RANK];
    int nd = random_shape(shape, 0, 2);
    int32_t dtype = random_float_dtype();
    int nl = between(1, 2), k = 0;
    for (int i = 0; i < nl; i++)
        leaves[i] = make_tensor(dtype, shape, nd, i == 0 || chance(80), 0, 0);
    *nleaves = nl;
    uint64_t t = leaves[0];
    for (int n = between(1, 3); n > 0; n--) {
        int which = below(7);
        if (which == 6 && n > 1)
            which = 0;
        uint64_t r = graph_op(which, t, leaves[below(nl)]);
        if (!r)
            break;
        t = r;
        if (k < 4)
            made[k++] = r;
    }
    *nmade = k;
    return t;
}

/* A tensor of a live graph for the autograd functions: mostly a pool tensor that requires
   grad and was made by a recorded op whose graph was not freed, else a new small graph. */
static uint64_t graph_tensor(void) {
    if (chance(55)) {
        for (int tries = 0; tries < 24; tries++) {
            int i = pool_pick(FZ_TENSOR);
            bool present;
            int32_t nin;
            if (i < 0)
                break;
            if (requires_grad_of(pool[i].h) && grad_fn_of(pool[i].h, &present, &nin) &&
                ((present && nin > 0) || chance(15)))
                return pool[i].h;
        }
    }
    uint64_t leaves[2], made[4];
    int nl, nm;
    return new_graph(leaves, &nl, made, &nm);
}

/* ---- callback registrations (hooks, custom functions) ---- */

typedef struct {
    bool valid;
    int32_t dtype, ndim;
    int64_t shape[MAX_RANK];
} fz_layout;

static bool read_layout(uint64_t h, fz_layout *l) {
    memset(l, 0, sizeof *l);
    l->valid = describe(h, &l->dtype, &l->ndim, l->shape);
    return l->valid;
}

static bool same_shape(const fz_layout *a, const fz_layout *b) {
    return a->valid && b->valid && a->ndim == b->ndim &&
           memcmp(a->shape, b->shape, sizeof(int64_t) * (size_t)a->ndim) == 0;
}

static bool same_layout(const fz_layout *a, const fz_layout *b) {
    return same_shape(a, b) && a->dtype == b->dtype;
}

static const char *layout_text(const fz_layout *l, char *buf, size_t size) {
    if (!l->valid) {
        snprintf(buf, size, "(no tensor)");
        return buf;
    }
    size_t n = (size_t)snprintf(buf, size, "dtype %d (", (int)l->dtype);
    for (int i = 0; i < l->ndim && n < size - 24; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%" PRId64, i ? ", " : "", l->shape[i]);
    snprintf(buf + n, size - n, ")");
    return buf;
}

enum { FZ_REG_HOOK, FZ_REG_BACKWARD };
/* What a callback does: a fixed behaviour, or (mixed) one drawn at each call. */
enum {
    CB_MIXED, CB_KEEP, CB_SHARE, CB_SCALE, CB_WRONG_SHAPE, CB_WRONG_DTYPE, CB_BORROWED,
    CB_FORGED, CB_FAIL, CB_RELEASE_BORROWED, CB_PARTIAL, CB_DUP, CB_NMODES
};
static const char *const cb_mode_names[CB_NMODES] = {
    "mixed", "keep", "share", "scale", "wrong-shape", "wrong-dtype", "borrowed", "forged",
    "fail", "release-borrowed", "partial", "dup"};
#define REG_MAGIC 0x46a2c0deu
#define REG_MAX_IO 4

/* One registration of a callback: the user_data given with it (NULL when null_data). The
   records live to the end of the run, so that the checks can count the releases. */
typedef struct fz_reg {
    uint32_t magic;
    int serial, kind, mode;
    double scale;          /* the factor of the share/scale gradients */
    bool has_release;      /* a release function was given */
    bool null_data;        /* the user_data was NULL (its releases are counted apart) */
    int released;          /* calls of the release function */
    long calls;            /* calls of the callback */
    uint64_t state;        /* the callback's own random numbers (it may not use rnd()) */
    const char *fn;        /* the registering function */
    long iteration;
    bool returned;         /* the registering call returned... */
    int32_t status;        /* ...with this status */
    uint64_t tensor;       /* hooks: the handle registered on, the id given */
    int64_t hook_id;
    bool removed, removal_unknown;
    int32_t nin, nout;     /* custom functions: the inputs and outputs, as they were */
    fz_layout in[REG_MAX_IO], out[REG_MAX_IO];
} fz_reg;

static fz_reg **regs;
static int nregs, regs_cap;
static long null_releases;   /* release calls with NULL user_data */
static long cb_calls;        /* callback calls, for the summary */
static int cb_active;        /* callbacks running */

static int random_cb_mode(int kind) {
    static const int hook_weights[CB_NMODES] = {30, 14, 10, 14, 6, 5, 4, 6, 6, 2, 0, 0};
    static const int backward_weights[CB_NMODES] = {26, 4, 10, 14, 7, 5, 4, 6, 7, 2, 8, 5};
    const int *w = kind == FZ_REG_HOOK ? hook_weights : backward_weights;
    int total = 0;
    for (int i = 0; i < CB_NMODES; i++)
        total += w[i];
    int r = below(total);
    for (int i = 0; i < CB_NMODES; i++)
        if ((r -= w[i]) < 0)
            return i;
    return CB_KEEP;
}

static fz_reg *new_reg(int kind, int mode, const char *fn) {
    if (nregs == regs_cap) {
        regs_cap = regs_cap ? 2 * regs_cap : 256;
        regs = realloc(regs, sizeof *regs * (size_t)regs_cap);
        if (!regs) {
            fprintf(stderr, "fuzz_abi: out of memory\n");
            exit(2);
        }
    }
    fz_reg *r = calloc(1, sizeof *r);
    if (!r) {
        fprintf(stderr, "fuzz_abi: out of memory\n");
        exit(2);
    }
    r->magic = REG_MAGIC;
    r->serial = nregs;
    r->kind = kind;
    r->mode = mode;
    r->scale = 2.0;
    r->has_release = true;
    r->state = rnd();
    r->fn = fn;
    r->iteration = F.iteration;
    r->status = 1;
    regs[nregs++] = r;
    return r;
}

static fz_reg *reg_of_hook(int64_t id) {
    for (int i = nregs - 1; i >= 0; i--)
        if (regs[i]->kind == FZ_REG_HOOK && regs[i]->returned && regs[i]->status == GS_OK &&
            regs[i]->hook_id == id)
            return regs[i];
    return NULL;
}

/* A hook id for gs_tensor_remove_hook: mostly one registered on `tensor`, or on any tensor;
   else 0, negative, extreme or never given. */
static int64_t hook_id_for(uint64_t tensor) {
    int64_t mine = 0, any = 0, last = 0;
    int nmine = 0, nany = 0;
    for (int i = 0; i < nregs; i++) {
        const fz_reg *r = regs[i];
        if (r->kind != FZ_REG_HOOK || !r->returned || r->status != GS_OK)
            continue;
        last = r->hook_id > last ? r->hook_id : last;
        if (below(++nany) == 0)
            any = r->hook_id;
        if (r->tensor == tensor && below(++nmine) == 0)
            mine = r->hook_id;
    }
    int r = below(100);
    if (r < 65 && nmine > 0)
        return mine;
    if (r < 85 && nany > 0)
        return any;
    static const int64_t special[] = {0, -1, INT64_MIN, INT64_MAX, 1};
    if (r < 95)
        return special[below(5)];
    return chance(50) ? last + 1 : (int64_t)rnd();
}

static void fz_release_cb(void *user_data) {
    if (!user_data) {
        null_releases++;
        return;
    }
    fz_reg *r = user_data;
    if (r->magic != REG_MAGIC)
        fz_fail("a release function got user_data %p, which no registration gave", user_data);
    if (++r->released > 1)
        fz_fail("the user_data of registration #%d (a %s made by %s in iteration %ld) was released "
                "%d times",
                r->serial, r->kind == FZ_REG_HOOK ? "hook" : "custom function", r->fn, r->iteration,
                r->released);
}

/* ---- inside callbacks: no rnd(), no SC (the call record and its watchdog are the caller's) */

static uint64_t cb_rnd(fz_reg *r) {
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static int cb_below(fz_reg *r, int n) { return n <= 0 ? 0 : (int)(cb_rnd(r) % (uint64_t)n); }

/* Counts a call a callback made and checks its status. */
static int32_t cb_check(const char *fn, int32_t st) {
    stat_call(fn, st);
    if (F.iteration >= F.trace_from) {
        printf("        %s -> %d%s%s\n", fn, (int)st, st ? " " : "", st ? gs_last_error() : "");
        fflush(stdout);
    }
    if (st > 0 || st < GS_ERR_INTERNAL)
        fz_fail("%s, called by a callback, returned %d, which is not a gs_status code", fn, (int)st);
    if (st != GS_OK && !gs_last_error()[0])
        fz_fail("%s, called by a callback, returned %d with an empty gs_last_error()", fn, (int)st);
    if (st == GS_ERR_INTERNAL)
        fz_fail("%s, called by a callback, returned GS_ERR_INTERNAL: %s", fn, gs_last_error());
    return st;
}
#define CB(fn, ...) cb_check(#fn, id_##fn(__VA_ARGS__))

static uint64_t cb_share(uint64_t g) {
    uint64_t h = 0;
    if (CB(gs_tensor_share, g, &h) != GS_OK)
        fz_fail("gs_tensor_share of the borrowed handle 0x%" PRIx64 " failed in a callback: %s", g,
                gs_last_error());
    return h;
}

static uint64_t cb_scale(uint64_t g, double c) {
    uint64_t h = 0;
    return CB(gs_binary_scalar, GS_BINARY_OP_MUL, g, c, GS_SCALAR_KIND_FLOAT, false, &h) == GS_OK ? h : 0;
}

static uint64_t cb_full(int32_t dtype, const int64_t *shape, int ndim, double value) {
    uint64_t h = 0;
    return CB(gs_tensor_full, dtype, shape, ndim, value, false, &h) == GS_OK ? h : 0;
}

static void cb_release(uint64_t h) {
    if (h && CB(gs_tensor_release, h) != GS_OK)
        fz_fail("a callback could not release its tensor 0x%" PRIx64 ": %s", h, gs_last_error());
}

/* Reads every byte of a borrowed tensor. */
static void cb_read(uint64_t h, const fz_layout *l) {
    int64_t n = numel_of(l->shape, l->ndim);
    if (n < 0 || n > MAX_NUMEL)
        return;
    int64_t bytes = n * (int64_t)item_size(l->dtype);
    unsigned char *buf = malloc((size_t)bytes + 1);
    if (CB(gs_tensor_copy_data, h, bytes ? buf : NULL, bytes) != GS_OK)
        fz_fail("the bytes of the borrowed tensor 0x%" PRIx64 " cannot be read: %s", h, gs_last_error());
    free(buf);
}

/* A tensor of a shape other than l's. */
static uint64_t cb_wrong_shape(fz_reg *r, const fz_layout *l) {
    int64_t s[MAX_RANK];
    int nd = l->ndim;
    memcpy(s, l->shape, sizeof s);
    if (nd > 0 && cb_below(r, 2)) {
        s[cb_below(r, nd)] += 1;
    } else if (nd < MAX_RANK) {
        s[nd++] = 2;
    } else {
        nd = 1;
        s[0] = 2;
    }
    return cb_full(is_float(l->dtype) ? l->dtype : GS_DTYPE_FLOAT32, s, nd, 1.0);
}

/* An id the library must refuse to take over: a released, stale or forged handle, or a live
   handle of another kind (which it must leave alone). Never a live tensor of the pool. */
static uint64_t cb_forged(fz_reg *r, uint64_t borrowed) {
    int how = cb_below(r, 5);
    if (how == 0 && ndead > 0)
        return dead[cb_below(r, ndead)]; /* released */
    if (how <= 1)
        for (int k = 1; k < FZ_NKINDS; k++) /* a live module, optimizer... */
            for (int i = 0; i < npool && kind_count[k] > 0; i++)
                if (pool[i].kind == k)
                    return pool[i].h;
    if (how <= 2) { /* made and released here */
        uint64_t h = cb_full(GS_DTYPE_FLOAT32, NULL, 0, 1.0);
        cb_release(h);
        if (h)
            return h;
    }
    if (how <= 3)
        return borrowed + ((uint64_t)1 << 32); /* the borrowed slot's next generation */
    return cb_rnd(r) | 0x8000000080000000ULL;  /* forged: a slot past any table */
}

static int32_t cb_fail_status(fz_reg *r) {
    static const int32_t v[] = {1, -1, GS_ERR_INVALID_STATE, GS_ERR_INTERNAL, INT32_MIN, INT32_MAX};
    return v[cb_below(r, 6)];
}

/* Starts a callback: checks its user data, notes it for failure reports. NULL for NULL
   user_data (then the callback does nothing). */
static fz_reg *cb_enter(void *user_data, int kind) {
    const char *what = kind == FZ_REG_HOOK ? "hook" : "custom backward";
    cb_calls++;
    if (!user_data)
        return NULL;
    fz_reg *r = user_data;
    if (r->magic != REG_MAGIC || r->kind != kind)
        fz_fail("a %s got user_data %p, which no %s registration gave", what, user_data, what);
    if (r->released)
        fz_fail("the %s of registration #%d (made by %s in iteration %ld) was called after the "
                "release of its user_data",
                what, r->serial, r->fn, r->iteration);
    if (r->removed)
        fz_fail("hook #%d (id %" PRId64 ", made in iteration %ld) was called after "
                "gs_tensor_remove_hook removed it",
                r->serial, r->hook_id, r->iteration);
    if (cb_active)
        fz_fail("a %s was called while another callback was running", what);
    cb_active++;
    r->calls++;
    snprintf(cb_note, sizeof cb_note,
             "  in the %s of registration #%d (mode %s, made by %s in iteration %ld), its call %ld\n",
             what, r->serial, cb_mode_names[r->mode], r->fn, r->iteration, r->calls);
    char repro[512];
    repro_line(repro, sizeof repro);
    snprintf(crash_note, sizeof crash_note, "  during %s(%s)\n%s%s", C->fn ? C->fn : "?", C->args,
             cb_note, repro);
    if (F.iteration >= F.trace_from) {
        printf("      [%s of #%d, mode %s, call %ld]\n", what, r->serial, cb_mode_names[r->mode],
               r->calls);
        fflush(stdout);
    }
    return r;
}

static void cb_leave(void) {
    cb_active--;
    cb_note[0] = 0;
    set_crash_note();
}

static int32_t fz_hook(void *user_data, gs_tensor gradient, gs_tensor *replacement) {
    fz_reg *r = cb_enter(user_data, FZ_REG_HOOK);
    if (!replacement)
        fz_fail("a hook got a NULL replacement pointer");
    if (replacement->id != 0)
        fz_fail("a hook's replacement holds 0x%" PRIx64 " on entry, not 0", replacement->id);
    fz_layout g;
    if (!read_layout(gradient.id, &g))
        fz_fail("the gradient handed to a hook, 0x%" PRIx64 ", is not a live tensor: %s",
                gradient.id, gs_last_error());
    if (!r)
        return 0;
    int mode = r->mode == CB_MIXED ? 1 + cb_below(r, CB_FAIL) : r->mode;
    uint64_t out = 0;
    int32_t status = 0;
    bool must_fail = false;
    cb_read(gradient.id, &g);
    switch (mode) {
    case CB_SHARE: out = cb_share(gradient.id); break;
    case CB_SCALE: out = cb_scale(gradient.id, r->scale); break;
    case CB_WRONG_SHAPE: out = cb_wrong_shape(r, &g); must_fail = out != 0; break;
    case CB_WRONG_DTYPE: { /* converted to the tensor's dtype */
        static const int32_t to[] = {GS_DTYPE_FLOAT32, GS_DTYPE_FLOAT64, GS_DTYPE_INT64, GS_DTYPE_BOOL};
        if (CB(gs_tensor_astype, gradient.id, to[cb_below(r, 4)], &out) != GS_OK)
            out = 0;
        break;
    }
    case CB_BORROWED: out = gradient.id; must_fail = true; break;
    case CB_FORGED: out = cb_forged(r, gradient.id); must_fail = true; break;
    case CB_FAIL:
        if (cb_below(r, 2))
            out = cb_share(gradient.id);
        status = cb_fail_status(r);
        must_fail = true;
        break;
    case CB_RELEASE_BORROWED: /* misuse the library survives: it releases it again, quietly */
        if (CB(gs_tensor_release, gradient.id) != GS_OK)
            fz_fail("a hook could not release its borrowed gradient 0x%" PRIx64 ": %s", gradient.id,
                    gs_last_error());
        break;
    default: break; /* keep */
    }
    replacement->id = out;
    if (must_fail)
        cb_failures++;
    if (F.iteration >= F.trace_from) {
        printf("      [hook #%d: %s, wrote 0x%" PRIx64 ", returns %d]\n", r->serial,
               cb_mode_names[mode], out, (int)status);
        fflush(stdout);
    }
    cb_leave();
    return status;
}

/* A correct gradient for input k: a share or multiple of an output gradient of its shape, or
   a constant of its shape. */
static uint64_t cb_gradient(fz_reg *r, int k, const gs_tensor *grads, int32_t ngrads, bool share) {
    if (k >= REG_MAX_IO || !r->in[k].valid)
        return 0;
    for (int j = 0; j < ngrads; j++) {
        fz_layout l;
        if (read_layout(grads[j].id, &l) && same_shape(&l, &r->in[k]) && is_float(l.dtype))
            return share ? cb_share(grads[j].id) : cb_scale(grads[j].id, r->scale);
    }
    int32_t dtype = is_float(r->in[k].dtype) ? r->in[k].dtype : GS_DTYPE_FLOAT64;
    return cb_full(dtype, r->in[k].shape, r->in[k].ndim, r->scale);
}

static int32_t fz_backward(void *user_data, const gs_tensor *grad_outputs, int32_t output_count,
                           gs_tensor *grad_inputs, int32_t input_count) {
    fz_reg *r = cb_enter(user_data, FZ_REG_BACKWARD);
    if (!grad_outputs || !grad_inputs || output_count < 1 || input_count < 1)
        fz_fail("a custom backward got grad_outputs %p (%d), grad_inputs %p (%d)",
                (const void *)grad_outputs, (int)output_count, (void *)grad_inputs, (int)input_count);
    if (r && (output_count != r->nout || input_count != r->nin))
        fz_fail("a custom backward got %d output gradients and room for %d input gradients; "
                "gs_function_apply had %d outputs and %d inputs",
                (int)output_count, (int)input_count, (int)r->nout, (int)r->nin);
    for (int k = 0; k < output_count; k++) {
        fz_layout l;
        char a[160], b[160];
        if (!read_layout(grad_outputs[k].id, &l))
            fz_fail("the gradient of output %d handed to a custom backward, 0x%" PRIx64
                    ", is not a live tensor: %s",
                    k, grad_outputs[k].id, gs_last_error());
        if (r && k < REG_MAX_IO && r->out[k].valid && !same_layout(&l, &r->out[k]))
            fz_fail("the gradient of output %d handed to a custom backward is %s, the output was %s",
                    k, layout_text(&l, a, sizeof a), layout_text(&r->out[k], b, sizeof b));
        if (r)
            cb_read(grad_outputs[k].id, &l);
    }
    for (int k = 0; k < input_count; k++)
        if (grad_inputs[k].id != 0)
            fz_fail("a custom backward's grad_inputs[%d] holds 0x%" PRIx64 " on entry, not 0", k,
                    grad_inputs[k].id);
    if (!r)
        return 0;
    int mode = r->mode == CB_MIXED ? 1 + cb_below(r, CB_NMODES - 1) : r->mode;
    int spoil = cb_below(r, input_count); /* the entry a bad mode spoils */
    bool must_fail = false;
    for (int k = 0; k < input_count; k++) {
        uint64_t h = 0;
        const fz_layout *l = k < REG_MAX_IO ? &r->in[k] : NULL;
        bool none = mode == CB_KEEP || (mode == CB_PARTIAL && k > spoil) ||
                    (r->mode == CB_MIXED && cb_below(r, 100) < 12);
        if (k == spoil && mode == CB_WRONG_SHAPE && l && l->valid) {
            h = cb_wrong_shape(r, l);
            must_fail |= h != 0;
        } else if (k == spoil && mode == CB_WRONG_DTYPE && l && l->valid) {
            h = cb_full(cb_below(r, 2) ? GS_DTYPE_INT64 : GS_DTYPE_BOOL, l->shape, l->ndim, 1.0);
            must_fail |= h != 0;
        } else if (k == spoil && mode == CB_BORROWED) {
            h = grad_outputs[0].id;
            must_fail = true;
        } else if (k == spoil && mode == CB_FORGED) {
            h = cb_forged(r, grad_outputs[0].id);
            must_fail = true;
        } else if (!none) {
            h = cb_gradient(r, k, grad_outputs, output_count, mode == CB_SHARE);
        }
        grad_inputs[k].id = h;
    }
    if (mode == CB_DUP && input_count >= 2) {
        if (!grad_inputs[0].id)
            grad_inputs[0].id = cb_gradient(r, 0, grad_outputs, output_count, false);
        if (grad_inputs[0].id) {
            cb_release(grad_inputs[1].id);
            grad_inputs[1].id = grad_inputs[0].id; /* the library takes it over once only */
            must_fail = true;
        }
    }
    if (mode == CB_RELEASE_BORROWED && CB(gs_tensor_release, grad_outputs[0].id) != GS_OK)
        fz_fail("a custom backward could not release its borrowed gradient 0x%" PRIx64 ": %s",
                grad_outputs[0].id, gs_last_error());
    int32_t status = 0;
    if (mode == CB_FAIL) {
        status = cb_fail_status(r);
        must_fail = true;
    }
    if (must_fail)
        cb_failures++;
    if (F.iteration >= F.trace_from) {
        printf("      [custom backward #%d: %s, wrote", r->serial, cb_mode_names[mode]);
        for (int k = 0; k < input_count; k++)
            printf(" 0x%" PRIx64, grad_inputs[k].id);
        printf(", returns %d]\n", (int)status);
        fflush(stdout);
    }
    cb_leave();
    return status;
}

/* ---- registering: the generators, and the checks after the call ---- */

static void draw_callback(const char *name, fz_reg *r, const char *fn_name, bool *null_fn,
                          void **user_data, gs_release_fn *release) {
    *null_fn = !F.valid_only && chance(4);
    r->null_data = !F.valid_only && chance(3);
    r->has_release = F.valid_only || !chance(5);
    *user_data = r->null_data ? NULL : r;
    *release = r->has_release ? fz_release_cb : NULL;
    C->reg = r;
    arg_text("%s=%s, user_data=%s#%d (%s), release=%s", name, *null_fn ? "NULL" : fn_name,
             r->null_data ? "NULL, " : "", r->serial, cb_mode_names[r->mode],
             r->has_release ? "fz_release_cb" : "NULL");
}

static gs_hook_fn fz_hook_fn(const char *name, void **user_data, gs_release_fn *release) {
    fz_reg *r = new_reg(FZ_REG_HOOK, random_cb_mode(FZ_REG_HOOK), C->fn);
    r->scale = chance(70) ? 2.0 : uniform(-2, 2);
    r->tensor = C->nhandles > 0 ? C->handles[0] : 0;
    bool null_fn;
    draw_callback(name, r, "fz_hook", &null_fn, user_data, release);
    return null_fn ? NULL : fz_hook;
}

/* The handle array `name` drawn for the current call (NULL when it was not drawn or NULL). */
static const uint64_t *drawn_array(const char *name, int32_t *count) {
    for (int i = 0; i < C->ngarr; i++)
        if (strcmp(C->garr_name[i], name) == 0 && C->garr_n[i] != -1000) {
            *count = C->garr_n[i];
            return C->garr[i];
        }
    *count = 0;
    return NULL;
}

static void capture_layouts(fz_layout *dst, int32_t *n, const uint64_t *h, int32_t count) {
    *n = count;
    for (int k = 0; k < REG_MAX_IO; k++)
        if (!h || k >= count || !read_layout(h[k], &dst[k]))
            memset(&dst[k], 0, sizeof dst[k]);
}

static gs_function_backward_fn fz_backward_fn(const char *name, void **user_data,
                                              gs_release_fn *release) {
    fz_reg *r = new_reg(FZ_REG_BACKWARD, random_cb_mode(FZ_REG_BACKWARD), C->fn);
    r->scale = chance(70) ? 1.0 : uniform(-2, 2);
    int32_t n;
    const uint64_t *h = drawn_array("inputs", &n);
    capture_layouts(r->in, &r->nin, h, n);
    h = drawn_array("outputs", &n);
    capture_layouts(r->out, &r->nout, h, n);
    bool null_fn;
    draw_callback(name, r, "fz_backward", &null_fn, user_data, release);
    return null_fn ? NULL : fz_backward;
}

/* After the registering call: a failed one released the user data at once. */
static void reg_returned(fz_reg *r, int32_t status) {
    r->returned = true;
    r->status = status;
    if (status != GS_OK && r->has_release && !r->null_data && r->released != 1)
        fz_fail("%s failed (%d) and released the user_data of registration #%d %d times, not "
                "once at once",
                r->fn, (int)status, r->serial, r->released);
}

/* After a successful gs_tensor_register_hook: the id is new, the user data kept. */
static void hook_registered(fz_reg *r, uint64_t tensor, const void *id_out) {
    int64_t id;
    memcpy(&id, id_out, sizeof id);
    fz_reg *other = reg_of_hook(id);
    if (other && other != r)
        fz_fail("gs_tensor_register_hook gave the id %" PRId64 ", already given to registration #%d",
                id, other->serial);
    r->hook_id = id;
    r->tensor = tensor;
    if (r->released)
        fz_fail("gs_tensor_register_hook succeeded but released the user_data of its hook");
}

/* After a successful gs_tensor_remove_hook(tensor, id, removed). */
static void hook_removed(uint64_t tensor, int64_t id, const void *removed_out) {
    fz_reg *r = reg_of_hook(id);
    if (!removed_out) {
        if (r && r->tensor == tensor)
            r->removed = true;
        else if (r)
            r->removal_unknown = true; /* maybe through another handle of the same tensor */
        return;
    }
    bool removed;
    memcpy(&removed, removed_out, sizeof removed);
    if (removed) {
        if (!r)
            fz_fail("gs_tensor_remove_hook removed the hook id %" PRId64 ", which was never given", id);
        if (r->removed)
            fz_fail("gs_tensor_remove_hook removed hook id %" PRId64 " a second time", id);
        r->removed = true;
    } else if (r && r->tensor == tensor && !r->removed && !r->removal_unknown) {
        fz_fail("gs_tensor_remove_hook did not find hook id %" PRId64 " on the handle it was "
                "registered on (registration #%d)",
                id, r->serial);
    }
}

/* The tensor data pointer of h (uncounted); NULL when there is none. */
static void *data_of(uint64_t h) {
    void *p = NULL;
    return id_gs_tensor_data_ptr(h, &p) == GS_OK ? p : NULL;
}

/* After a successful gs_function_apply: each result shares its output's memory, layout and
   data; the user data is kept exactly when a node was recorded. */
static void check_apply(fz_reg *r, const uint64_t *outputs, int32_t nout, const unsigned char *results) {
    bool recorded = false;
    for (int k = 0; k < nout; k++) {
        uint64_t res;
        memcpy(&res, results + 8 * (size_t)k, sizeof res);
        fz_layout a, b;
        char ta[160], tb[160];
        if (!read_layout(res, &a))
            fz_fail("result %d of gs_function_apply, 0x%" PRIx64 ", is not a live tensor", k, res);
        read_layout(outputs[k], &b);
        if (!same_layout(&a, &b))
            fz_fail("result %d of gs_function_apply is %s, its output %s", k,
                    layout_text(&a, ta, sizeof ta), layout_text(&b, tb, sizeof tb));
        if (numel_of(a.shape, a.ndim) > 0 && data_of(res) != data_of(outputs[k]))
            fz_fail("result %d of gs_function_apply does not share its output's memory", k);
        bool present;
        int32_t nin;
        if (grad_fn_of(res, &present, &nin) && present)
            recorded = true;
    }
    if (r->has_release && !r->null_data && recorded == (r->released != 0))
        fz_fail(recorded ? "gs_function_apply recorded a node but released its user_data"
                         : "gs_function_apply recorded nothing but did not release its user_data "
                           "at once");
}

static int64_t call_note(const char *name, int64_t otherwise) {
    for (int i = 0; i < C->nnotes; i++)
        if (strcmp(C->notes[i].name, name) == 0)
            return C->notes[i].value;
    return otherwise;
}

/* After a successful gs_grad: one gradient per input, of its layout; 0 only when allowed. */
static void check_grad_results(const uint64_t *inputs, int32_t n, const unsigned char *results,
                               bool allow_unused) {
    for (int k = 0; k < n; k++) {
        uint64_t res;
        memcpy(&res, results + 8 * (size_t)k, sizeof res);
        if (res == 0) {
            if (!allow_unused)
                fz_fail("gs_grad without allow_unused gave no gradient for input %d", k);
            continue;
        }
        fz_layout a, b;
        char ta[160], tb[160];
        read_layout(res, &a);
        read_layout(inputs[k], &b);
        if (!same_layout(&a, &b))
            fz_fail("gs_grad's gradient %d is %s, its input %s", k, layout_text(&a, ta, sizeof ta),
                    layout_text(&b, tb, sizeof tb));
    }
}

static const fz_out_slot *out_slot(void) { return C->nouts > 0 ? &C->outs[0] : NULL; }

/* Checks of the autograd functions made by the generated wrappers, before their results join
   the pool (which may release the large ones). */
static void check_autograd(int32_t status) {
    const fz_out_slot *o = out_slot();
    int32_t n;
    if (C->reg) {
        reg_returned(C->reg, status);
        if (status == GS_OK && C->reg->kind == FZ_REG_HOOK)
            hook_registered(C->reg, C->handles[0], C->hook_id_out);
        const uint64_t *outputs = drawn_array("outputs", &n);
        if (status == GS_OK && C->reg->kind == FZ_REG_BACKWARD && outputs && o)
            check_apply(C->reg, outputs, n, o->ptr);
    }
    if (status != GS_OK)
        return;
    if (fn_is("gs_grad")) {
        const uint64_t *inputs = drawn_array("inputs", &n);
        if (inputs && o)
            check_grad_results(inputs, n, o->ptr, call_note("allow_unused", 0) != 0);
    } else if (fn_is("gs_tensor_share") && o) {
        uint64_t res;
        memcpy(&res, o->ptr, sizeof res);
        fz_layout a, b;
        read_layout(res, &a);
        read_layout(C->handles[0], &b);
        if (!same_layout(&a, &b) || requires_grad_of(res) != requires_grad_of(C->handles[0]) ||
            (numel_of(a.shape, a.ndim) > 0 && data_of(res) != data_of(C->handles[0])))
            fz_fail("the handle gs_tensor_share made is not of the same tensor");
    } else if (fn_is("gs_tensor_grad_fn")) {
        bool present;
        int32_t nin, index;
        memcpy(&present, C->gf_present, sizeof present);
        memcpy(&nin, C->gf_inputs, sizeof nin);
        memcpy(&index, C->gf_index, sizeof index);
        if (nin < 0 || index < 0 || (!present && (nin != 0 || index != 0)))
            fz_fail("gs_tensor_grad_fn wrote present %d, input_count %d, output_index %d",
                    (int)present, (int)nin, (int)index);
        if (C->buffer && C->buffer_cap > 0) {
            size_t len = strnlen(C->buffer, (size_t)C->buffer_cap);
            if (len >= (size_t)C->buffer_cap)
                fz_fail("the grad_fn name is not NUL-terminated within its capacity %" PRId64,
                        C->buffer_cap);
            if (!present && len > 0)
                fz_fail("a tensor without grad_fn got the name \"%s\"", C->buffer);
        }
    } else if (fn_is("gs_tensor_remove_hook")) {
        hook_removed(C->handles[0], call_note("hook_id", 0), C->removed_out);
    }
}

/* Every registration made (with a release function) was released exactly once: at the end,
   once every handle is gone, or for the registrations of a scenario once its handles are. */
static void check_released(int from, const char *when) {
    long expected_null = 0;
    for (int i = from; i < nregs; i++) {
        const fz_reg *r = regs[i];
        if (!r->has_release)
            continue;
        if (r->null_data) {
            expected_null++;
            continue;
        }
        if (r->released != 1)
            fz_fail("%s, the user_data of registration #%d (a %s of mode %s made by %s in iteration "
                    "%ld, status %d, callback called %ld times) was released %d times, not once",
                    when, r->serial, r->kind == FZ_REG_HOOK ? "hook" : "custom function",
                    cb_mode_names[r->mode], r->fn, r->iteration, (int)r->status, r->calls,
                    r->released);
    }
    if (from == 0 && null_releases != expected_null)
        fz_fail("%s, release was called %ld times with NULL user_data for %ld registrations", when,
                null_releases, expected_null);
}

/* ---- the graph-shaped arguments of gs_grad and gs_function_apply ---- */

/* gs_grad's outputs and, in C->plan_in, inputs that fit them: a new graph, or one in the
   pool walked back with gs_tensor_grad_fn_input. Returns the number of outputs. */
static int plan_grad(uint64_t *v) {
    int nout = 0;
    C->plan_nin = 0;
    if (chance(35)) { /* a graph of the pool */
        for (int tries = 0; tries < 24 && nout < 2; tries++) {
            int i = pool_pick(FZ_TENSOR);
            bool present;
            int32_t nin;
            if (i < 0)
                break;
            uint64_t t = pool[i].h;
            if (!requires_grad_of(t) || !grad_fn_of(t, &present, &nin) || !present || nin <= 0)
                continue;
            v[nout++] = t;
            for (int depth = between(1, 3); depth > 0 && C->plan_nin < 3; depth--) {
                uint64_t in = 0;
                if (SC(gs_tensor_grad_fn_input, t, below(nin), &in) != GS_OK)
                    break;
                adopt_tensor(in);
                if (pool_find(in) < 0)
                    break;
                if (chance(60) || depth == 1)
                    C->plan_in[C->plan_nin++] = in;
                t = in;
                if (!grad_fn_of(t, &present, &nin) || !present || nin <= 0)
                    break;
            }
            if (chance(50))
                break;
        }
        if (nout > 0 && C->plan_nin > 0)
            return nout;
        nout = 0;
        C->plan_nin = 0;
    }
    uint64_t leaves[2], made[4];
    int nl, nm;
    uint64_t top = new_graph(leaves, &nl, made, &nm);
    v[nout++] = top;
    if (nm > 1 && chance(30))
        v[nout++] = made[below(nm - 1)]; /* an intermediate as a second output */
    for (int i = 0; i < nl; i++)
        if (i == 0 || chance(70))
            C->plan_in[C->plan_nin++] = leaves[i];
    if (nm > 1 && chance(30))
        C->plan_in[C->plan_nin++] = made[below(nm - 1)]; /* through an intermediate */
    if (chance(15)) { /* one the outputs do not use (allow_unused) */
        int64_t s[1] = {2};
        C->plan_in[C->plan_nin++] = make_tensor(random_float_dtype(), s, 1, true, 0, 0);
    }
    return nout;
}

static void fz_graph_array(const char *name, const char *cname, int role, const uint64_t **p,
                           int32_t *n) {
    uint64_t v[16];
    int32_t count = 0;
    int32_t nin = 0;
    const uint64_t *ins = role == FZ_G_FN_OUTPUTS ? drawn_array("inputs", &nin) : NULL;
    if (role == FZ_G_OUTPUTS && chance(85)) {
        count = plan_grad(v);
    } else if (role == FZ_G_INPUTS && C->plan_nin > 0 && chance(90)) {
        count = C->plan_nin;
        memcpy(v, C->plan_in, sizeof(uint64_t) * (size_t)count);
        if (count > 1 && chance(15)) { /* another order */
            uint64_t t = v[0];
            v[0] = v[count - 1];
            v[count - 1] = t;
        }
    } else if (role == FZ_G_FN_INPUTS) {
        count = chance(6) ? 0 : between(1, 3);
        for (int i = 0; i < count; i++) {
            int r = below(100);
            if (r < 65) {
                v[i] = graph_tensor();
            } else if (r < 80) {
                int64_t s[MAX_RANK];
                int nd = random_shape(s, 0, 2);
                int32_t dtype = chance(70) ? random_float_dtype() : random_dtype();
                v[i] = make_tensor(dtype, s, nd, false, -3, 5);
            } else {
                v[i] = fz_handle(name, FZ_TENSOR, false);
            }
        }
    } else if (role == FZ_G_FN_OUTPUTS) {
        count = chance(4) ? 0 : between(1, 3);
        for (int i = 0; i < count; i++) {
            int r = below(100);
            fz_layout l;
            if (r < 60 && ins && nin > 0 && read_layout(ins[i % nin], &l)) {
                /* computed from the input outside the graph: a new tensor of its shape */
                v[i] = make_tensor(is_float(l.dtype) ? l.dtype : random_float_dtype(), l.shape,
                                   l.ndim, false, 0, 0);
            } else if (r < 70 && ins && nin > 0) {
                v[i] = ins[i % nin]; /* an input itself */
            } else if (r < 85) {
                int64_t s[MAX_RANK];
                int nd = random_shape(s, 0, 2);
                v[i] = make_tensor(chance(80) ? random_float_dtype() : random_dtype(), s, nd,
                                   chance(20), -3, 5);
            } else {
                v[i] = fz_handle(name, FZ_TENSOR, false);
            }
        }
    } else {
        count = between(0, 3);
        for (int i = 0; i < count; i++)
            v[i] = fz_handle(name, FZ_TENSOR, false);
    }
    for (int i = 0; i < count; i++)
        if (v[i] == 0 && role != FZ_G_FN_OUTPUTS && role != FZ_G_FN_INPUTS)
            v[i] = fz_handle(name, FZ_TENSOR, false); /* make_tensor found no room */
    bool null = false, misaligned = false;
    if (!F.valid_only && chance(8)) {
        const char *how;
        int r = below(6);
        if (r == 0 && count > 0) null = true;
        else if (r == 1) count = chance(50) ? -1 : INT32_MIN;
        else if (r == 2) { null = true; count = INT32_MAX; }
        else if (r == 3 && count > 0) misaligned = true;
        else if (r == 4 && count > 1) v[1] = v[0]; /* a duplicate */
        else if (count > 0) v[below(count)] = bad_handle(FZ_TENSOR, &how);
    }
    uint64_t *buf = NULL;
    if (!null) {
        size_t bytes = sizeof(uint64_t) * (size_t)(count > 0 ? count : 0);
        unsigned char *raw = call_alloc(bytes + (misaligned ? 1 : 0));
        memcpy(raw + (misaligned ? 1 : 0), v, bytes);
        buf = (uint64_t *)(void *)(raw + (misaligned ? 1 : 0));
    }
    *p = buf;
    *n = count;
    if (C->ngarr < 2) {
        int g = C->ngarr++;
        C->garr_name[g] = name;
        C->garr_n[g] = null ? -1000 : count;
        memcpy(C->garr[g], v, sizeof(uint64_t) * (size_t)(count > 0 && count <= 16 ? count : 0));
    }
    handle_array_text(name, cname, v, count, null, misaligned);
}

/* gs_grad's grad_outputs, one per output: NULL (all implied), or per output 0 (implied), a
   tensor of its shape, or a wrong one. */
static const uint64_t *fz_grad_seeds(const char *name, int32_t count) {
    int32_t nout;
    const uint64_t *outs = drawn_array("outputs", &nout);
    if (chance(30)) {
        arg_text("%s=NULL", name);
        return NULL;
    }
    int len = count >= 0 && count <= 16 ? count : 0;
    uint64_t *buf = call_alloc(sizeof(uint64_t) * (size_t)(len > 0 ? len : 1));
    char text[400];
    size_t tl = (size_t)snprintf(text, sizeof text, "[");
    for (int k = 0; k < len; k++) {
        fz_layout l;
        int r = below(100);
        bool have = outs && k < nout && read_layout(outs[k], &l);
        uint64_t h = 0;
        const char *how = NULL;
        if (r < 30 || !have) {
            h = 0;
        } else if (r < 88 || F.valid_only) {
            int32_t dtype = chance(80) && is_float(l.dtype) ? l.dtype : random_float_dtype();
            h = tensor_like(dtype, l.shape, l.ndim, 0, 0);
        } else if (r < 93) {
            if (l.ndim < MAX_RANK)
                l.shape[l.ndim++] = 2;
            h = make_tensor(random_float_dtype(), l.shape, l.ndim, false, 0, 0);
        } else if (r < 96) {
            h = make_tensor(GS_DTYPE_INT64, l.shape, l.ndim, false, 0, 3);
        } else {
            h = bad_handle(FZ_TENSOR, &how);
        }
        buf[k] = h;
        tl += (size_t)snprintf(text + tl, sizeof text - tl, "%s0x%" PRIx64 "%s", k ? " " : "", h,
                               how ? "?" : "");
    }
    snprintf(text + tl, sizeof text - tl, "]");
    arg_text("%s=%s", name, text);
    return buf;
}

/* gs_tensor_grad_fn_input's index: mostly one of the tensor's grad_fn inputs. */
static int32_t fz_i32(const char *name, int role) {
    int32_t v, count = 0;
    bool present = false;
    (void)role; /* FZ_I_FN_INPUT, the only int32 role */
    if (C->nhandles > 0)
        grad_fn_of(C->handles[0], &present, &count);
    if (F.valid_only || chance(88)) {
        v = count > 0 ? (int32_t)below(count) : (int32_t)between(-1, 1);
    } else {
        static const int32_t bad[] = {-1, INT32_MIN, INT32_MAX};
        v = chance(50) ? count + (int32_t)below(2) : bad[below(3)];
    }
    record_note(name, v);
    arg_text("%s=%d", name, (int)v);
    return v;
}

static const char *const module_ctors[] = {
    "gs_linear_new", "gs_embedding_new", "gs_dropout_new", "gs_conv1d_new", "gs_conv2d_new",
    "gs_max_pool1d_new", "gs_max_pool2d_new", "gs_avg_pool1d_new", "gs_avg_pool2d_new",
    "gs_batch_norm1d_new", "gs_batch_norm2d_new", "gs_layer_norm_new", "gs_rms_norm_new",
    "gs_rnn_new", "gs_lstm_new", "gs_gru_new", "gs_rnn_cell_new", "gs_lstm_cell_new",
    "gs_gru_cell_new", "gs_sigmoid_new", "gs_tanh_new", "gs_relu_new", "gs_leaky_relu_new",
    "gs_softmax_new", "gs_mse_loss_new", "gs_nll_loss_new", "gs_cross_entropy_loss_new",
    "gs_gelu_new", "gs_elu_new", "gs_selu_new", "gs_celu_new", "gs_softplus_new", "gs_mish_new",
    "gs_hardtanh_new", "gs_relu6_new", "gs_hardsigmoid_new", "gs_hardswish_new", "gs_logsigmoid_new",
    "gs_silu_new", "gs_l1_loss_new", "gs_smooth_l1_loss_new", "gs_huber_loss_new", "gs_bce_loss_new",
    "gs_bce_with_logits_loss_new", "gs_kl_div_loss_new", "gs_group_norm_new", "gs_instance_norm_new",
    "gs_channel_dropout_new",
    "gs_bce_with_logits_loss_new", "gs_kl_div_loss_new", "gs_adaptive_max_pool1d_new",
    "gs_adaptive_max_pool2d_new", "gs_adaptive_avg_pool1d_new", "gs_adaptive_avg_pool2d_new",
    "gs_upsample_new", "gs_conv_transpose1d_new", "gs_conv_transpose2d_new",
};

/* A module made by the constructor `ctor`'s generated wrapper with valid arguments only: its
   pool index, or -1 when none was made. */
static int make_module_with(const char *ctor) {
    int before = kind_count[FZ_MODULE];
    bool saved = F.valid_only;
    F.valid_only = true;
    fz_functions[function_index(ctor)].call();
    F.valid_only = saved;
    if (kind_count[FZ_MODULE] > before)
        for (int i = npool - 1; i >= 0; i--)
            if (pool[i].kind == FZ_MODULE)
                return i;
    return -1;
}

/* A module made by its generated wrapper with valid arguments only; -1 when none was made. */
static int make_module(bool with_parameters) {
    int n = (int)(sizeof module_ctors / sizeof *module_ctors);
    for (int tries = 0; tries < 8; tries++) {
        int j = below(with_parameters ? 19 : n);
        if (strstr(module_ctors[j], "dropout_new") || strstr(module_ctors[j], "pool"))
            if (with_parameters)
                continue;
        int i = make_module_with(module_ctors[j]);
        if (i >= 0)
            return i;
    }
    return -1;
}

static int pick_module(bool with_parameters) {
    for (int tries = 0; tries < 6 && kind_count[FZ_MODULE] > 0; tries++) {
        int i = pool_pick(FZ_MODULE);
        int64_t count = 0;
        if (pool[i].ctor[0] && (!with_parameters || (id_gs_module_parameter_count(pool[i].h, &count) == GS_OK && count > 0)))
            return i;
    }
    return make_module(with_parameters);
}

/* Forward on fitting inputs; the outputs join the pool. Returns the first output or 0. */
static uint64_t forward(uint64_t module) {
    uint64_t in[4], out[3];
    int32_t nin = -1, nout = 0;
    fit_module_inputs(module, in, &nin);
    if (nin < 0)
        return 0;
    if (SC(gs_module_forward, module, in, nin, out, 3, &nout) != GS_OK)
        return 0;
    for (int i = 0; i < nout; i++)
        adopt_tensor(out[i]);
    for (int i = 0; i < nout; i++)
        if (pool_find(out[i]) >= 0)
            return out[i];
    return 0;
}

/* A scalar loss of t (mean, through a counted call), or 0 when t is not a float tensor. */
static uint64_t loss_of(uint64_t t) {
    int32_t d, r;
    int64_t s[MAX_RANK];
    uint64_t loss = 0;
    if (!t || !describe(t, &d, &r, s) || !is_float(d))
        return 0;
    if (SC(gs_mean, t, NULL, -1, false, &loss) != GS_OK)
        return 0;
    adopt_tensor(loss);
    return pool_find(loss) >= 0 ? loss : 0;
}

static void sc_forward(void) {
    int i = pick_module(false);
    if (i < 0)
        return;
    uint64_t m = pool[i].h;
    if (chance(30))
        SC(gs_module_train, m, chance(70));
    uint64_t out = forward(m);
    uint64_t loss = chance(60) ? loss_of(out) : 0;
    if (loss)
        SC(gs_backward, loss, chance(30));
}

/* A few training steps: parameters, an optimizer, maybe a schedule. */
static void sc_train(void) {
    int i = pick_module(true);
    if (i < 0)
        return;
    uint64_t m = pool[i].h;
    int64_t count = 0;
    MUST(gs_module_parameter_count, m, &count);
    uint64_t params[64];
    int np = 0;
    for (int64_t j = 0; j < count && np < 64; j++) {
        char name[256];
        int64_t len;
        uint64_t p;
        MUST(gs_module_parameter_name, m, j, name, sizeof name, &len);
        MUST(gs_module_parameter, m, name, &p);
        pool_add(p, FZ_TENSOR);
        bool rg = false;
        MUST(gs_tensor_requires_grad, p, &rg);
        if (rg || chance(10))
            params[np++] = p;
    }
    uint64_t opt = 0;
    double lr = chance(95) ? uniform(0.001, 0.5) : special_double();
    int32_t st;
    switch (below(4)) {
    case 0: {
        double momentum = chance(50) ? 0.9 : 0;
        st = SC(gs_sgd_new, params, np, lr, momentum, 0, chance(30), &opt);
        break;
    }
    case 1: st = SC(gs_adam_new, params, np, lr, 0.9, 0.999, 1e-8, chance(30) ? 0.01 : 0, &opt); break;
    case 2: st = SC(gs_adagrad_new, params, np, lr, 0, 1e-10, &opt); break;
    default: st = SC(gs_adadelta_new, params, np, lr, 0.9, 0, 1e-6, &opt); break;
    }
    if (st != GS_OK)
        return;
    pool_add(opt, FZ_OPTIM);
    uint64_t sched = 0;
    if (chance(50)) {
        int64_t milestones[2] = {1, 3};
        switch (below(4)) {
        case 0: st = SC(gs_exponential_lr_new, opt, 0.9, -1, &sched); break;
        case 1: st = SC(gs_step_lr_new, opt, 2, 0.5, -1, &sched); break;
        case 2: st = SC(gs_multistep_lr_new, opt, milestones, 2, 0.1, -1, &sched); break;
        default: st = SC(gs_cosine_annealing_lr_new, opt, 5, 0.0, -1, &sched); break;
        }
        if (st == GS_OK)
            pool_add(sched, FZ_SCHED);
        else
            sched = 0;
    }
    bool saved = F.grad_enabled;
    if (chance(90) && !F.grad_enabled) {
        MUST(gs_set_grad_enabled, true);
        F.grad_enabled = true;
    }
    /* Sometimes, between two steps, a parameter is rebound to data of another shape or dtype
       (gs_tensor_set_data), after the optimizer made state buffers for the old one and while
       a graph built on it may still be differentiated. */
    int rebind_at = np > 0 && chance(30) ? between(1, 2) : -1;
    uint64_t pending = 0; /* a loss computed before the rebinding */
    for (int step = 0; step < 3; step++) {
        if (step == rebind_at) {
            int64_t shape[MAX_RANK];
            int nd = random_shape(shape, 0, 3);
            int32_t dtype = chance(70) ? random_float_dtype() : random_dtype();
            size_t bytes = (size_t)numel_of(shape, nd) * item_size(dtype);
            void *data = malloc(bytes + 1);
            fill_random(data, dtype, numel_of(shape, nd), -3, 5);
            if (chance(50))
                pending = loss_of(forward(m));
            SC(gs_tensor_set_data, params[below(np)], data, dtype, shape, nd);
            free(data);
            if (pending)
                SC(gs_backward, pending, false);
        }
        SC(gs_optim_zero_grad, opt);
        uint64_t loss = loss_of(forward(m));
        if (loss && SC(gs_backward, loss, false) == GS_OK)
            SC(gs_optim_step, opt);
        else if (chance(50))
            SC(gs_optim_step, opt);
        if (sched)
            SC(gs_scheduler_step, sched);
        if (step >= rebind_at && chance(50))
            break;
    }
    if (saved != F.grad_enabled && chance(50)) {
        MUST(gs_set_grad_enabled, saved);
        F.grad_enabled = saved;
    }
}

/* A graph of float leaves, differentiated, then used after backward freed it. */
static void sc_graph(void) {
    int64_t shape[MAX_RANK];
    int nd = random_shape(shape, 0, 3);
    int32_t dtype = random_float_dtype();
    uint64_t x = make_tensor(dtype, shape, nd, true, 0, 0);
    uint64_t y = make_tensor(dtype, shape, nd, chance(50), 0, 0);
    uint64_t t = x, r;
    /* now and then a chain of thousands of ops held by the graph alone (its intermediate
       handles released), which backward and the release of the graph walk without recursion */
    bool deep = chance(1);
    for (int k = deep ? 3000 : between(1, 4); k > 0; k--) {
        int32_t st;
        switch (below(6)) {
        case 0: st = SC(gs_mul, t, y, &r); break;
        case 1: st = SC(gs_add, t, x, &r); break;
        case 2: st = SC(gs_tanh, t, &r); break;
        case 3: st = SC(gs_exp, t, &r); break;
        case 4: st = SC(gs_sigmoid, t, &r); break;
        default: st = SC(gs_binary_scalar, GS_BINARY_OP_POW, t, 2.0, GS_SCALAR_KIND_FLOAT, false, &r); break;
        }
        if (st != GS_OK)
            return;
        pool_add(r, FZ_TENSOR);
        if (deep && t != x)
            pool_release(pool_find(t));
        t = r;
    }
    uint64_t s = 0;
    if (SC(gs_sum, t, NULL, -1, false, &s) != GS_OK)
        return;
    adopt_tensor(s);
    bool retain = chance(40);
    int32_t st = SC(gs_backward, s, retain);
    if (st != GS_OK)
        return; /* e.g. grad mode was off */
    /* A second backward: fine when the graph was retained, GS_ERR_INVALID_STATE otherwise
       (when the chain was recorded at all: t may be x itself). */
    st = SC(gs_backward, s, false);
    if (!retain && t != x && st != GS_ERR_INVALID_STATE && F.grad_enabled)
        fz_fail("a second backward through a freed graph returned %d, not GS_ERR_INVALID_STATE",
                (int)st);
    /* the intermediates stay usable as values */
    if (SC(gs_add, t, t, &r) == GS_OK) {
        adopt_tensor(r);
        uint64_t s2 = 0;
        if (pool_find(r) >= 0 && SC(gs_sum, r, NULL, -1, false, &s2) == GS_OK) {
            adopt_tensor(s2);
            if (pool_find(s2) >= 0)
                SC(gs_backward, s2, false);
        }
    }
    uint64_t g = 0;
    if (SC(gs_tensor_grad, x, &g) == GS_OK && g)
        adopt_tensor(g);
}

/* ---- hooks, custom functions, higher-order gradients ---------------------------------------- */

/* Registers a hook of `mode` (random when negative) on t with a counted call; its id or -1. */
static int64_t sc_hook(uint64_t t, int mode, double scale, fz_reg **made) {
    fz_reg *r = new_reg(FZ_REG_HOOK, mode < 0 ? random_cb_mode(FZ_REG_HOOK) : mode,
                        "gs_tensor_register_hook");
    r->scale = scale;
    r->tensor = t;
    if (made)
        *made = r;
    int64_t id = -1;
    int32_t st = SC(gs_tensor_register_hook, t, fz_hook, r, fz_release_cb, &id);
    reg_returned(r, st);
    if (st != GS_OK)
        return -1;
    hook_registered(r, t, &id);
    return id;
}

/* Makes outputs out[0..nout) of inputs in[0..nin) one custom op whose backward has `mode`
   (random when negative), with a counted call; the results join the pool. The first result,
   or 0. */
static uint64_t sc_custom(const char *name, const uint64_t *in, int nin, const uint64_t *out,
                          int nout, int mode, double scale, fz_reg **made) {
    fz_reg *r = new_reg(FZ_REG_BACKWARD, mode < 0 ? random_cb_mode(FZ_REG_BACKWARD) : mode,
                        "gs_function_apply");
    r->scale = scale;
    capture_layouts(r->in, &r->nin, in, nin);
    capture_layouts(r->out, &r->nout, out, nout);
    if (made)
        *made = r;
    uint64_t res[REG_MAX_IO] = {0};
    int32_t st = SC(gs_function_apply, name, in, nin, out, nout, fz_backward, r, fz_release_cb, res);
    reg_returned(r, st);
    if (st != GS_OK)
        return 0;
    check_apply(r, out, nout, (const unsigned char *)res);
    for (int k = 0; k < nout; k++)
        adopt_tensor(res[k]);
    return pool_find(res[0]) >= 0 ? res[0] : 0;
}

/* A gradient of h, else 0; adopted. */
static uint64_t grad_of(uint64_t h) {
    uint64_t g = 0;
    if (SC(gs_tensor_grad, h, &g) != GS_OK || !g)
        return 0;
    adopt_tensor(g);
    return pool_find(g) >= 0 ? g : 0;
}

/* A small graph with hooks (of every behaviour), a retained gradient and a custom function,
   differentiated by backward with a gradient, by gs_grad (to intermediates, unused inputs),
   twice, and to second order through create_graph. */
static void sc_autograd(void) {
    bool saved = F.grad_enabled;
    if (chance(90) && !F.grad_enabled) {
        MUST(gs_set_grad_enabled, true);
        F.grad_enabled = true;
    }
    int64_t shape[MAX_RANK];
    int nd = random_shape(shape, 0, 2);
    int32_t dtype = random_float_dtype();
    uint64_t x = make_tensor(dtype, shape, nd, true, 0, 0);
    uint64_t w = make_tensor(dtype, shape, nd, chance(60), 0, 0);
    uint64_t y = graph_op(below(6), x, w);
    int32_t st;
    if (!y)
        goto done;
    int64_t hy = chance(60) ? sc_hook(y, -1, chance(70) ? 2.0 : uniform(-2, 2), NULL) : -1;
    if (chance(30))
        sc_hook(x, -1, chance(70) ? 2.0 : uniform(-2, 2), NULL);
    if (chance(40))
        SC(gs_tensor_retain_grad, y);
    uint64_t top = y;
    if (chance(50)) {
        /* a custom op on y (and w), its outputs computed outside the graph */
        uint64_t d = 0;
        if (SC(gs_tensor_detach, y, &d) == GS_OK) {
            adopt_tensor(d);
            uint64_t v = pool_find(d) >= 0 ? graph_op(chance(50) ? 3 : 4, d, d) : 0;
            if (v) {
                uint64_t in[2] = {y, w}, out[2] = {v, d};
                uint64_t z = sc_custom("FzCustom", in, chance(60) ? 1 : 2, out, chance(70) ? 1 : 2,
                                       -1, chance(70) ? 1.0 : uniform(-2, 2), NULL);
                if (z)
                    top = z;
            }
        }
    }
    bool retain = chance(50), create = chance(40);
    uint64_t s = top, seed = 0;
    if (chance(60)) {
        if (!(s = graph_op(6, top, 0)))
            goto done;
    } else {
        fz_layout l;
        if (read_layout(s, &l) && chance(90))
            seed = tensor_like(is_float(l.dtype) ? l.dtype : GS_DTYPE_FLOAT64, l.shape, l.ndim, 0, 0);
    }
    switch (below(4)) {
    case 0:
        SC(gs_backward_with, s, seed, retain, create);
        break;
    case 1: {
        uint64_t ins[2] = {x, y}, res[2] = {0};
        int nin = between(1, 2);
        bool unused = chance(50);
        st = SC(gs_grad, &s, 1, seed ? &seed : NULL, ins, nin, retain, create, unused, res);
        if (st != GS_OK)
            break;
        check_grad_results(ins, nin, (const unsigned char *)res, unused);
        for (int k = 0; k < nin; k++)
            if (res[k])
                adopt_tensor(res[k]);
        if (create && res[0] && pool_find(res[0]) >= 0 && requires_grad_of(res[0])) {
            uint64_t s2 = graph_op(6, res[0], 0), second = 0; /* second order */
            if (s2 && SC(gs_grad, &s2, 1, NULL, &x, 1, false, false, true, &second) == GS_OK) {
                check_grad_results(&x, 1, (const unsigned char *)&second, true);
                if (second)
                    adopt_tensor(second);
            }
        }
        break;
    }
    case 2:
        if (SC(gs_backward_with, s, seed, true, false) == GS_OK)
            SC(gs_backward_with, s, seed, retain, create);
        break;
    default:
        /* through .grad: after a create_graph backward, x's gradient is differentiable */
        if (SC(gs_backward_with, s, seed, retain, true) == GS_OK) {
            uint64_t g = grad_of(x), s2 = g ? graph_op(6, g, 0) : 0;
            if (s2 && requires_grad_of(s2))
                SC(gs_backward, s2, false);
        }
        break;
    }
    grad_of(x);
    grad_of(y);
    if (hy >= 0 && chance(40)) {
        bool removed = false;
        if (SC(gs_tensor_remove_hook, y, hy, &removed) == GS_OK) {
            hook_removed(y, hy, &removed);
            if (!removed)
                fz_fail("gs_tensor_remove_hook did not find the hook %" PRId64 " just registered", hy);
        }
        if (retain && chance(50))
            SC(gs_backward_with, s, seed, false, false);
    }
done:
    if (saved != F.grad_enabled && chance(50)) {
        MUST(gs_set_grad_enabled, saved);
        F.grad_enabled = saved;
    }
}

/* ---- large tensors ------------------------------------------------------------------------ */

/* Tensors made by sc_large, released at its end (they never join the pool's random picks). */
static uint64_t large[32];
static int nlarge;

/* Counts a scenario result made in sc_large; false when the call failed. */
static bool keep_large(int32_t status, uint64_t h) {
    if (status != GS_OK)
        return false;
    pool_add(h, FZ_TENSOR);
    large[nlarge++] = h;
    return true;
}

/* One op on operands of 30,000 to 70,000 elements, where the kernels split their loops over
   the cores (Parallel.minimumElements is 2^15), forward and backward; everything made is
   released at the end, so no later broadcast can multiply two of them. */
static void sc_large(void) {
    static const int64_t shapes[4][4] = {{256, 256}, {4, 3, 64, 64}, {40000}, {8, 64, 96}};
    static const int ranks[4] = {2, 4, 1, 3};
    int which = below(4), nd = ranks[which];
    const int64_t *shape = shapes[which];
    int64_t n = numel_of(shape, nd);
    int32_t dtype = random_float_dtype();
    size_t bytes = (size_t)n * item_size(dtype);
    void *data = malloc(bytes);
    fill_random(data, dtype, n, 0, 0);
    uint64_t x = 0, y = 0, w = 0, r = 0, s = 0;
    nlarge = 0;
    if (!keep_large(SC(gs_tensor_new, data, dtype, shape, nd, chance(70), &x), x))
        fz_fail("gs_tensor_new of a large tensor failed: %s", gs_last_error());
    free(data);
    int64_t last = shape[nd - 1], axis = between(-nd, nd - 1);
    int32_t st = GS_OK;
    switch (below(12)) {
    case 0: st = SC(gs_tanh, x, &r); break;
    case 1: st = SC(gs_sigmoid, x, &r); break;
    case 2:
        if (keep_large(SC(gs_tensor_uniform, dtype, &last, 1, -1.0, 1.0, true, &y), y))
            st = SC(gs_mul, x, y, &r);
        break;
    case 3: st = SC(gs_max, x, &axis, 1, chance(50), &r); break;
    case 4: st = SC(gs_log_softmax, x, axis, false, &r); break;
    case 5:
        if (keep_large(SC(gs_tensor_uniform, dtype, (const int64_t[]){last, 32}, 2, -1.0, 1.0, true, &w), w))
            st = SC(gs_matmul, x, w, &r);
        break;
    case 6:
        if (nd == 4 && keep_large(SC(gs_tensor_uniform, dtype, (const int64_t[]){4, 3, 3, 3}, 4, -1.0, 1.0, true, &w), w))
            st = SC(gs_conv2d, x, w, 0, between(1, 2), 1, &r);
        else if (nd == 3)
            st = SC(gs_max_pool1d, x, 3, 2, 1, &r);
        break;
    case 7:
        st = nd == 4 ? SC(gs_avg_pool2d, x, 2, 2, 1, &r) : SC(gs_transpose, x, NULL, -1, &r);
        if (st == GS_OK && keep_large(st, r))
            st = SC(gs_exp, r, &r);
        break;
    case 8: st = SC(gs_layer_norm, x, &last, 1, 0, 0, 1e-5, &r); break;
    case 9: st = nd >= 2 ? SC(gs_batch_norm, x, 0, 0, 0, 0, true, 0.1, 1e-5, &r) : SC(gs_sum, x, NULL, -1, false, &r); break;
    case 10: {
        const int64_t key[8] = {1, INT64_MIN, INT64_MIN, 2, 1, 1, INT64_MIN, -1};
        st = SC(gs_index, x, key, nd >= 2 ? 2 : 1, &r);
        break;
    }
    default:
        if (nd == 2) {
            int64_t targets[256];
            for (int i = 0; i < 256; i++)
                targets[i] = below(256);
            if (keep_large(SC(gs_tensor_new, targets, GS_DTYPE_INT64, (const int64_t[]){256}, 1, false, &y), y))
                st = SC(gs_cross_entropy, x, y, GS_REDUCTION_MEAN, &r);
        } else {
            st = SC(gs_dropout, x, 0.5, true, &r);
        }
        break;
    }
    if (st == GS_OK && r && keep_large(st, r) && keep_large(SC(gs_sum, r, NULL, -1, false, &s), s))
        SC(gs_backward, s, false);
    while (nlarge > 0)
        pool_release(pool_find(large[--nlarge]));
}

/* ---- checkpoint corruption ---------------------------------------------------------------- */

static uint32_t crc32_of(const unsigned char *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
    }
    return ~c;
}

static uint32_t rd32(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t rd16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static void wr32(unsigned char *p, uint32_t v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24); }

/* Mutates an archive in place: bytes anywhere (the CRCs then catch data damage), or bytes of
   one member's .npy header with the CRCs fixed up (so that the .npy parser sees them). */
static size_t mutate_archive(unsigned char *buf, size_t n, size_t cap) {
    int r = below(6);
    if (r == 0 && n > 0)
        return (size_t)below((int)n); /* truncated */
    if (r == 1) {                     /* garbage appended */
        size_t extra = (size_t)between(1, 64);
        if (n + extra > cap) extra = cap - n;
        for (size_t i = 0; i < extra; i++) buf[n + i] = (unsigned char)rnd();
        return n + extra;
    }
    if (r == 2) { /* random bytes flipped */
        for (int k = between(1, 8); k > 0 && n > 0; k--) {
            int at = below((int)n);
            buf[at] ^= (unsigned char)(1 << below(8));
        }
        return n;
    }
    if (r == 3 && n >= 22) { /* an extreme value in a 16- or 32-bit field */
        static const uint32_t v[] = {0, 0xFFFFFFFFu, 0x7FFFFFFFu, 0x80000000u, 0xFFFF, 1};
        size_t at = (size_t)below((int)n - 4);
        wr32(buf + at, v[below(6)]);
        return n;
    }
    /* a member's .npy header, CRCs fixed */
    size_t members[64], nm = 0;
    for (size_t at = 0; at + 30 <= n && nm < 64;) {
        if (rd32(buf + at) != 0x04034b50u)
            break;
        size_t data = at + 30 + rd16(buf + at + 26) + rd16(buf + at + 28);
        size_t size = rd32(buf + at + 18);
        if (data + size > n)
            break;
        members[nm++] = at;
        at = data + size;
    }
    if (nm == 0)
        return n;
    size_t at = members[below((int)nm)];
    size_t data = at + 30 + rd16(buf + at + 26) + rd16(buf + at + 28);
    size_t size = rd32(buf + at + 18);
    if (size < 12)
        return n;
    size_t hdr = 10 + rd16(buf + data + 8);
    if (hdr > size) hdr = size;
    if (r == 4) {
        for (int k = between(1, 3); k > 0; k--) {
            size_t pos = data + (size_t)below((int)hdr);
            static const char repl[] = "0123456789-(),' :<>|fiub8421{}TrueFalse\n";
            buf[pos] = chance(70) ? (unsigned char)repl[below((int)sizeof repl - 1)] : (unsigned char)rnd();
        }
    } else {
        /* the shape tuple rewritten: find "(" after 'shape' and put a new number there */
        unsigned char *q = memchr(buf + data + 10, '(', hdr > 10 ? hdr - 10 : 0);
        if (q) {
            static const char *const nums[] = {"99999999999999999999", "-1", "4294967296",
                                               "9223372036854775807", "0", "3, 3, 3, 3"};
            const char *s = nums[below(6)];
            size_t room = (size_t)(buf + data + hdr - 1 - (q + 1));
            size_t len = strlen(s) < room ? strlen(s) : room;
            memcpy(q + 1, s, len);
        }
    }
    uint32_t crc = crc32_of(buf + data, size);
    wr32(buf + at + 14, crc);
    for (size_t c = 0; c + 46 <= n; c++)
        if (rd32(buf + c) == 0x02014b50u && rd32(buf + c + 42) == (uint32_t)at)
            wr32(buf + c + 16, crc);
    return n;
}

/* The bytes of all the module's parameters, concatenated (malloc'ed; *size gets the size). */
static unsigned char *snapshot(uint64_t module, size_t *size) {
    int64_t count = 0;
    size_t used = 0, cap = 1024;
    unsigned char *all = malloc(cap);
    if (id_gs_module_parameter_count(module, &count) != GS_OK)
        fz_fail("harness: gs_module_parameter_count failed: %s", gs_last_error());
    for (int64_t i = 0; i < count; i++) {
        char name[256];
        int64_t len;
        uint64_t p = 0;
        int32_t dtype, ndim;
        int64_t shape[MAX_RANK];
        if (id_gs_module_parameter_name(module, i, name, sizeof name, &len) != GS_OK ||
            id_gs_module_parameter(module, name, &p) != GS_OK || !describe(p, &dtype, &ndim, shape))
            fz_fail("harness: cannot read parameter %" PRId64 ": %s", i, gs_last_error());
        size_t bytes = (size_t)numel_of(shape, ndim) * item_size(dtype);
        while (used + bytes > cap)
            all = realloc(all, cap *= 2);
        if (id_gs_tensor_copy_data(p, all + used, (int64_t)bytes) != GS_OK || id_gs_tensor_release(p) != GS_OK)
            fz_fail("harness: cannot copy parameter '%s': %s", name, gs_last_error());
        used += bytes;
    }
    *size = used;
    return all;
}

static void sc_checkpoint(void) {
    int slot = below(6);
    char path[128], bad[128];
    snprintf(path, sizeof path, "%s/ck%d.npz", F.dir, slot);
    int32_t st;
    int mi = -1;
    if (chance(60) && (mi = pick_module(true)) >= 0) {
        st = SC(gs_module_save, pool[mi].h, path);
    } else {
        const char *names[3] = {"a", "b.c", "d"};
        uint64_t ts[3];
        int n = between(1, 3);
        for (int i = 0; i < n; i++) {
            int64_t shape[MAX_RANK];
            int nd = random_shape(shape, 0, 3);
            ts[i] = make_tensor(random_dtype(), shape, nd, false, -5, 5);
        }
        st = SC(gs_checkpoint_save, names, ts, n, path);
    }
    if (st != GS_OK)
        return;
    FILE *f = fopen(path, "rb");
    if (!f)
        fz_fail("harness: cannot read back %s", path);
    size_t cap = 1 << 20;
    unsigned char *buf = malloc(cap);
    size_t n = fread(buf, 1, cap - 128, f);
    fclose(f);
    n = mutate_archive(buf, n, cap);
    int index = F.nbad % 16;
    snprintf(bad, sizeof bad, "%s/bad%d.npz", F.dir, index);
    f = fopen(bad, "wb");
    if (!f || fwrite(buf, 1, n, f) != n)
        fz_fail("harness: cannot write %s", bad);
    fclose(f);
    free(buf);
    F.nbad++;
    uint64_t ck = 0;
    if (SC(gs_checkpoint_load, bad, &ck) == GS_OK) {
        pool_add(ck, FZ_CKPT);
        int64_t count = 0;
        MUST(gs_checkpoint_count, ck, &count);
        for (int64_t i = 0; i < count && i < 8; i++) {
            char name[256];
            int64_t len;
            uint64_t t;
            MUST(gs_checkpoint_name, ck, i, name, sizeof name, &len);
            MUST(gs_checkpoint_tensor, ck, name, &t);
            adopt_tensor(t);
        }
    }
    if (mi >= 0) {
        /* the file just saved loads back; a failed load of the damaged copy changes nothing */
        uint64_t m = pool[mi].h;
        MUST(gs_module_load, m, path);
        size_t before_size, after_size;
        unsigned char *before = snapshot(m, &before_size);
        if (SC(gs_module_load, m, bad) != GS_OK) {
            unsigned char *after = snapshot(m, &after_size);
            if (after_size != before_size || memcmp(before, after, before_size) != 0)
                fz_fail("a failed gs_module_load changed the module's parameters");
            free(after);
        }
        free(before);
    }
}

/* ---- sanity check of known values --------------------------------------------------------- */

/* A hook doubling the gradient of y = x*x, and a custom function f(x) = 3x whose backward
   triples: exact gradients, then each user_data released once its handles are gone. */
static void sanity_callbacks(void) {
    const double xs[3] = {1, 2, 3};
    const int64_t s3[1] = {3};
    int first = nregs;
    uint64_t x = 0, y = 0, s = 0, g = 0, x2 = 0, d = 0, v = 0, z = 0, s2 = 0, g2 = 0;
    MUST(gs_tensor_new, xs, GS_DTYPE_FLOAT64, s3, 1, true, &x);
    pool_add(x, FZ_TENSOR);
    MUST(gs_mul, x, x, &y);
    pool_add(y, FZ_TENSOR);
    fz_reg *hook = NULL, *fn = NULL;
    if (sc_hook(y, CB_SCALE, 2.0, &hook) < 0)
        fz_fail("sanity: gs_tensor_register_hook failed: %s", gs_last_error());
    MUST(gs_sum, y, NULL, -1, false, &s);
    pool_add(s, FZ_TENSOR);
    MUST(gs_backward, s, false);
    MUST(gs_tensor_grad, x, &g);
    pool_add(g, FZ_TENSOR);
    double grad[3] = {0};
    MUST(gs_tensor_copy_data, g, grad, 24);
    if (grad[0] != 4 || grad[1] != 8 || grad[2] != 12 || hook->calls != 1)
        fz_fail("sanity: with a hook doubling y's gradient, d sum(x*x)/dx = (%g, %g, %g) after "
                "%ld hook calls; expected (4, 8, 12) after 1",
                grad[0], grad[1], grad[2], hook->calls);

    MUST(gs_tensor_new, xs, GS_DTYPE_FLOAT64, s3, 1, true, &x2);
    pool_add(x2, FZ_TENSOR);
    MUST(gs_tensor_detach, x2, &d);
    pool_add(d, FZ_TENSOR);
    MUST(gs_binary_scalar, GS_BINARY_OP_MUL, d, 3.0, GS_SCALAR_KIND_FLOAT, false, &v);
    pool_add(v, FZ_TENSOR);
    z = sc_custom("FzTriple", &x2, 1, &v, 1, CB_SCALE, 3.0, &fn);
    if (!z)
        fz_fail("sanity: gs_function_apply failed: %s", gs_last_error());
    bool present = false;
    char name[16];
    int32_t nin = -1, index = -1;
    MUST(gs_tensor_grad_fn, z, &present, name, sizeof name, &nin, &index);
    if (!present || strcmp(name, "FzTriple") != 0 || nin != 1 || index != 0)
        fz_fail("sanity: the custom op's grad_fn is present %d, \"%s\", %d inputs, output %d",
                (int)present, name, (int)nin, (int)index);
    MUST(gs_sum, z, NULL, -1, false, &s2);
    pool_add(s2, FZ_TENSOR);
    MUST(gs_backward, s2, false);
    MUST(gs_tensor_grad, x2, &g2);
    pool_add(g2, FZ_TENSOR);
    MUST(gs_tensor_copy_data, g2, grad, 24);
    if (grad[0] != 3 || grad[1] != 3 || grad[2] != 3 || fn->calls != 1)
        fz_fail("sanity: d sum(f(x))/dx = (%g, %g, %g) for f(x) = 3x after %ld backward calls; "
                "expected (3, 3, 3) after 1",
                grad[0], grad[1], grad[2], fn->calls);
    uint64_t made[] = {g2, s2, z, v, d, x2, g, s, y, x};
    for (int i = 0; i < 10; i++)
        pool_release(pool_find(made[i]));
    check_released(first, "sanity: once the handles of the hook's and custom op's graphs were released");
}

static void sanity(void) {
    bool was = F.grad_enabled;
    MUST(gs_set_grad_enabled, true);
    F.grad_enabled = true;
    bool on = false;
    MUST(gs_is_grad_enabled, &on);
    if (!on)
        fz_fail("sanity: grad mode is off right after gs_set_grad_enabled(true)");
    const double xs[3] = {1, 2, 3};
    uint64_t x = 0, y = 0, s = 0, g = 0;
    MUST(gs_tensor_new, xs, GS_DTYPE_FLOAT64, (const int64_t[]){3}, 1, true, &x);
    pool_add(x, FZ_TENSOR);
    MUST(gs_mul, x, x, &y);
    pool_add(y, FZ_TENSOR);
    MUST(gs_sum, y, NULL, -1, false, &s);
    pool_add(s, FZ_TENSOR);
    MUST(gs_backward, s, false);
    MUST(gs_tensor_grad, x, &g);
    pool_add(g, FZ_TENSOR);
    double sum = 0, grad[3] = {0};
    MUST(gs_tensor_copy_data, s, &sum, 8);
    MUST(gs_tensor_copy_data, g, grad, 24);
    if (sum != 14 || grad[0] != 2 || grad[1] != 4 || grad[2] != 6)
        fz_fail("sanity: sum(x*x) = %g, grad = (%g, %g, %g); expected 14 and (2, 4, 6)", sum,
                grad[0], grad[1], grad[2]);
    const float a[4] = {1, 2, 3, 4}, b[2] = {5, 6};
    uint64_t ta = 0, tb = 0, tc = 0;
    MUST(gs_tensor_new, a, GS_DTYPE_FLOAT32, (const int64_t[]){2, 2}, 2, false, &ta);
    pool_add(ta, FZ_TENSOR);
    MUST(gs_tensor_new, b, GS_DTYPE_FLOAT32, (const int64_t[]){2, 1}, 2, false, &tb);
    pool_add(tb, FZ_TENSOR);
    MUST(gs_matmul, ta, tb, &tc);
    pool_add(tc, FZ_TENSOR);
    float c[2] = {0};
    MUST(gs_tensor_copy_data, tc, c, 8);
    if (c[0] != 17 || c[1] != 39)
        fz_fail("sanity: [[1,2],[3,4]] @ [[5],[6]] = [[%g],[%g]]", c[0], c[1]);
    int32_t major = -1, minor = -1, patch = -1;
    MUST(gs_version, &major, &minor, &patch);
    if (major < 0 || minor < 0 || patch < 0)
        fz_fail("sanity: version %d.%d.%d", major, minor, patch);
    uint64_t made[] = {tc, tb, ta, g, s, y, x};
    for (int i = 0; i < 7; i++)
        pool_release(pool_find(made[i]));
    sanity_callbacks();
    check_live();
    if (!was) {
        MUST(gs_set_grad_enabled, false);
        F.grad_enabled = false;
    }
}

/* ---- the run ----------------------------------------------------------------------------- */

static void iteration(void) {
    int r = below(100);
    C->fn = "(between calls)";
    C->args[0] = 0;
    set_crash_note();
    if (kind_count[FZ_TENSOR] < 8) {
        int64_t shape[MAX_RANK];
        int nd = random_shape(shape, 0, 4);
        int32_t dtype = random_dtype();
        make_tensor(dtype, shape, nd, chance(50), -3, 5);
    } else if (r < 70) {
        fz_functions[below(FZ_NFUNCTIONS)].call();
    } else if (r < 72) {
        sc_autograd();
    } else if (r < 82) {
        sc_forward();
    } else if (r < 87) {
        sc_train();
    } else if (r < 92) {
        sc_graph();
    } else if (r < 93) {
        sc_large();
    } else if (r < 96) {
        sc_checkpoint();
    } else if (r < 99) {
        make_module(false);
    } else {
        sanity();
    }
    /* trim the pool, releasing at random */
    while (npool > POOL_TRIM)
        pool_release(below(npool));
    check_live();
}

static void print_summary(double seconds) {
    uint64_t total[9] = {0}, ok = 0;
    int never = 0, never_ok = 0;
    for (int i = 0; i < FZ_NFUNCTIONS; i++) {
        ok += stats[i].ok;
        for (int s = 1; s < 9; s++)
            total[s] += stats[i].status[s];
        never += stats[i].calls == 0;
        never_ok += stats[i].calls > 0 && stats[i].ok == 0;
    }
    if (!F.quiet) {
        printf("\n%-28s %8s %8s  %s\n", "function", "calls", "ok", "errors by status");
        for (int i = 0; i < FZ_NFUNCTIONS; i++) {
            printf("%-28s %8" PRIu64 " %8" PRIu64 " ", fz_functions[i].name, stats[i].calls,
                   stats[i].ok);
            for (int s = 1; s < 9; s++)
                if (stats[i].status[s])
                    printf(" %d:%" PRIu64, -s, stats[i].status[s]);
            printf("\n");
        }
    }
    printf("\nfuzz_abi: seed %" PRIu64 ", %ld iterations, %" PRIu64 " calls in %.1f s; "
           "%d of %d functions called\n",
           F.seed, F.iterations, F.calls, seconds, FZ_NFUNCTIONS - never, FZ_NFUNCTIONS);
    printf("statuses: ok %" PRIu64, ok);
    static const char *const names[9] = {"", "invalid handle", "invalid argument",
                                         "shape mismatch", "dtype", "index", "out of memory",
                                         "invalid state", "internal"};
    for (int s = 1; s < 9; s++)
        printf(", %s %" PRIu64, names[s], total[s]);
    printf("\n");
    int hooks = 0;
    long released = 0;
    for (int i = 0; i < nregs; i++) {
        hooks += regs[i]->kind == FZ_REG_HOOK;
        released += regs[i]->released;
    }
    printf("callbacks: %d registrations (%d hooks, %d custom functions), %ld callback calls, %ld "
           "releases (+%ld of NULL user data)\n",
           nregs, hooks, nregs - hooks, cb_calls, released, null_releases);
    if (never) {
        printf("never called:");
        for (int i = 0; i < FZ_NFUNCTIONS; i++)
            if (stats[i].calls == 0)
                printf(" %s", fz_functions[i].name);
        printf("\n");
    }
    if (never_ok) {
        printf("never succeeded:");
        for (int i = 0; i < FZ_NFUNCTIONS; i++)
            if (stats[i].calls > 0 && stats[i].ok == 0)
                printf(" %s", fz_functions[i].name);
        printf("\n");
    }
}

static void remove_scratch(void) {
    char path[128];
    for (int i = 0; i < 6; i++) {
        snprintf(path, sizeof path, "%s/ck%d.npz", F.dir, i);
        unlink(path);
    }
    for (int i = 0; i < 16; i++) {
        snprintf(path, sizeof path, "%s/bad%d.npz", F.dir, i);
        unlink(path);
    }
    rmdir(F.dir);
}

static void usage(void) {
    fprintf(stderr, "usage: fuzz_abi [--seed S] [--iterations N] [--trace-from I] "
                    "[--timeout SECONDS] [--quiet]\n");
    exit(2);
}

int main(int argc, char **argv) {
    F.program = argv[0];
    F.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
    F.iterations = 10000;
    F.trace_from = -1;
    F.timeout = 60;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seed") && i + 1 < argc) F.seed = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--iterations") && i + 1 < argc) F.iterations = strtol(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--trace-from") && i + 1 < argc) F.trace_from = strtol(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) F.timeout = (unsigned)strtoul(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--quiet")) F.quiet = true;
        else usage();
    }
    if (F.trace_from < 0)
        F.trace_from = F.iterations + 1;
    rng_state = F.seed;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGALRM, &sa, NULL);
    sigaction(SIGILL, &sa, &previous[SIGILL]);
    sigaction(SIGTRAP, &sa, &previous[SIGTRAP]);
    sigaction(SIGABRT, &sa, &previous[SIGABRT]);
#ifdef FZ_ASAN
    __sanitizer_set_death_callback(on_sanitizer_death);
#else
    sigaction(SIGSEGV, &sa, &previous[SIGSEGV]);
    sigaction(SIGBUS, &sa, &previous[SIGBUS]);
    sigaction(SIGFPE, &sa, &previous[SIGFPE]);
#endif

    snprintf(F.dir, sizeof F.dir, "/tmp/gs-fuzz-XXXXXX");
    if (!mkdtemp(F.dir)) {
        perror("fuzz_abi: mkdtemp");
        return 2;
    }
    printf("fuzz_abi: seed %" PRIu64 ", %ld iterations\n", F.seed, F.iterations);
    fflush(stdout);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    depth = 0;
    C->fn = "(start)";
    if (gs_manual_seed(F.seed) != GS_OK || gs_set_grad_enabled(true) != GS_OK)
        fz_fail("cannot seed the engine");
    F.grad_enabled = true;
    F.baseline = live_now();
    for (F.iteration = 0; F.iteration < F.iterations; F.iteration++) {
        if (F.iteration >= F.trace_from) {
            printf("iteration %ld:\n", F.iteration);
            fflush(stdout);
        }
        iteration();
        if (F.iteration % SANITY_EVERY == SANITY_EVERY - 1)
            sanity();
    }
    C->fn = "(end)";
    sanity();
    while (npool > 0)
        pool_release(npool - 1);
    check_live();
    check_released(0, "at the end, every handle released");
    if (lent_live != 0)
        fz_fail("%ld blocks lent through gs_tensor_from_external were not given back (or given back twice)", lent_live);
    snprintf(crash_note, sizeof crash_note,
             "  at exit: memory still allocated after every handle was released (seed %" PRIu64
             ", %ld iterations)\n",
             F.seed, F.iterations);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    remove_scratch();
    print_summary((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    for (int i = 0; i < nregs; i++)
        free(regs[i]);
    free(regs);
    return 0;
}
