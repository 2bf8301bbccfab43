/* check.h -- the tiny test harness of the C ABI tests.
 *
 * CHECK(cond)              counts a pass or prints file:line and the condition
 * CHECK_STATUS(call, code) the call returns `code`; on a mismatch also prints gs_last_error()
 * CHECK_OK(call)           CHECK_STATUS(call, GS_OK)
 * CHECK_CLOSE(x, want)     |x - want| <= 1e-5 * (1 + |want|)
 * CHECK_ERROR(call, code)  CHECK_STATUS, and gs_last_error() is a non-empty message
 */
#ifndef GS_CTESTS_CHECK_H
#define GS_CTESTS_CHECK_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gradswift.h"

extern int checks_passed;
extern int checks_failed;

#define CHECK(cond) check_((cond), #cond, __FILE__, __LINE__)
#define CHECK_STATUS(call, code) check_status_((call), (code), #call, __FILE__, __LINE__)
#define CHECK_OK(call) CHECK_STATUS(call, GS_OK)
#define CHECK_CLOSE(x, want) check_close_((double)(x), (double)(want), #x, __FILE__, __LINE__)
#define CHECK_ERROR(call, code)                                                               \
    do {                                                                                      \
        CHECK_STATUS(call, code);                                                             \
        CHECK(gs_last_error() != NULL && gs_last_error()[0] != '\0');                         \
    } while (0)

static inline bool check_(bool ok, const char *what, const char *file, int line) {
    if (ok) {
        checks_passed++;
    } else {
        checks_failed++;
        fprintf(stderr, "%s:%d: CHECK(%s) failed\n", file, line, what);
    }
    return ok;
}

static inline bool check_status_(int32_t got, int32_t want, const char *what, const char *file,
                                 int line) {
    if (got == want) {
        checks_passed++;
        return true;
    }
    checks_failed++;
    const char *msg = gs_last_error();
    fprintf(stderr, "%s:%d: %s returned %d, expected %d (last error: %s)\n", file, line, what,
            (int)got, (int)want, msg ? msg : "(null)");
    return false;
}

static inline bool check_close_(double x, double want, const char *what, const char *file,
                                int line) {
    if (fabs(x - want) <= 1e-5 * (1.0 + fabs(want))) {
        checks_passed++;
        return true;
    }
    checks_failed++;
    fprintf(stderr, "%s:%d: %s is %.9g, expected %.9g\n", file, line, what, x, want);
    return false;
}

/* INTS(1, 2): an int64_t array literal, for shapes, axes and data; also as a macro argument. */
#define INTS(...) ((const int64_t[]){__VA_ARGS__})

/* Helpers shared by the test files (helpers.c). They count as checks where they call the ABI. */

/* A float32 tensor with a copy of `data`; 0 (and a failed check) when creation fails. */
gs_tensor make_f32(const float *data, const int64_t *shape, int32_t ndim, bool requires_grad);
/* A tensor of the given dtype filled with `value`. */
gs_tensor make_full(int32_t dtype, const int64_t *shape, int32_t ndim, double value);
/* CHECK_F32(t, shape, ndim, want...): t is float32 with exactly this shape and these values
   (`want` may be a compound literal: (const float[]){1, 2}).
   CHECK_META(t, dtype, shape, ndim): t has this dtype and shape.
   Failures are reported at the caller's line. */
#define CHECK_F32(t, shape, ndim, ...)                                                        \
    check_f32_((t), (shape), (ndim), (__VA_ARGS__), __FILE__, __LINE__)
#define CHECK_META(t, dtype, shape, ndim)                                                     \
    check_meta_((t), (dtype), (shape), (ndim), __FILE__, __LINE__)
void check_f32_(gs_tensor t, const int64_t *shape, int32_t ndim, const float *want,
                const char *file, int line);
bool check_meta_(gs_tensor t, int32_t dtype, const int64_t *shape, int32_t ndim, const char *file,
                 int line);
/* One training step: loss_fn(net(x), y), zero_grad, backward, optimizer step; returns the loss
   value (-1 when it could not be read). Every failing call also fails a check. Releases what it
   creates. */
float train_step(gs_module net, gs_module loss_fn, gs_optimizer optimizer, gs_tensor x, gs_tensor y);
/* Tensors of the other dtypes: make_f64 (may require grad), make_i64, make_bool (bytes 0/1). */
gs_tensor make_f64(const double *data, const int64_t *shape, int32_t ndim, bool requires_grad);
gs_tensor make_i64(const int64_t *data, const int64_t *shape, int32_t ndim);
gs_tensor make_bool(const uint8_t *data, const int64_t *shape, int32_t ndim);
/* CHECK_F64, CHECK_I64, CHECK_BOOL: as CHECK_F32 for float64 (NaN and infinities must match
   exactly, other values as CHECK_CLOSE), int64 and bool (exact). */
#define CHECK_F64(t, shape, ndim, ...)                                                        \
    check_f64_((t), (shape), (ndim), (__VA_ARGS__), __FILE__, __LINE__)
#define CHECK_I64(t, shape, ndim, ...)                                                        \
    check_i64_((t), (shape), (ndim), (__VA_ARGS__), __FILE__, __LINE__)
#define CHECK_BOOL(t, shape, ndim, ...)                                                       \
    check_bool_((t), (shape), (ndim), (__VA_ARGS__), __FILE__, __LINE__)
void check_f64_(gs_tensor t, const int64_t *shape, int32_t ndim, const double *want,
                const char *file, int line);
void check_i64_(gs_tensor t, const int64_t *shape, int32_t ndim, const int64_t *want,
                const char *file, int line);
void check_bool_(gs_tensor t, const int64_t *shape, int32_t ndim, const uint8_t *want,
                 const char *file, int line);
/* CHECK_GRAD(t, shape, ndim, want...): t's float32 gradient has these values. gs_tensor_grad
   gives a new handle each time; it is released here. */
#define CHECK_GRAD(t, shape, ndim, ...)                                                       \
    check_grad_((t), (shape), (ndim), (__VA_ARGS__), __FILE__, __LINE__)
void check_grad_(gs_tensor t, const int64_t *shape, int32_t ndim, const float *want,
                 const char *file, int line);
/* The number of live handles (checked call). */
int64_t live_handles(void);
/* Releases t, checking the status. */
void release(gs_tensor t);
/* True when `msg` mentions the dims as consecutive numbers, whatever the format:
   "(2, 3)", "[2,3]" and "2x3" all mention {2, 3}. */
bool mentions_shape(const char *msg, const int64_t *dims, int n);

/* Test groups, one per file. */
void test_values(void);
void test_autograd(void);
void test_unary(void);
void test_errors(void);
void test_random(void);
void test_creation(void);
void test_attention(void);
void test_ops(void);
void test_shape_index(void);
void test_layout(void);
void test_optim(void);
void test_nn_linear(void);
void test_checkpoint(void);
void test_nn_norm(void);
void test_xor(void);
void test_nn_rnn(void);
void test_nn_activation_loss(void);
void test_nn_conv(void);
void test_nn_resample(void);
void test_threads(void);
void test_higher_order(void);
void test_anomaly(void);
void test_profiler(void);
void test_golden(void);
void test_fuzz_regressions(void);
void test_gather_linalg(void);
void test_statistics(void);
void test_dtypes(void);

#endif
