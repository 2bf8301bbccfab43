/* Helpers shared by the C ABI tests (declared in check.h). */
#include <ctype.h>
#include <stdlib.h>

#include "check.h"

int checks_passed = 0;
int checks_failed = 0;

gs_tensor make_f32(const float *data, const int64_t *shape, int32_t ndim, bool requires_grad) {
    gs_tensor t = {0};
    CHECK_OK(gs_tensor_new(data, GS_DTYPE_FLOAT32, shape, ndim, requires_grad, &t));
    CHECK(t.id != 0);
    return t;
}

gs_tensor make_full(int32_t dtype, const int64_t *shape, int32_t ndim, double value) {
    gs_tensor t = {0};
    CHECK_OK(gs_tensor_full(dtype, shape, ndim, value, false, &t));
    CHECK(t.id != 0);
    return t;
}

bool check_meta_(gs_tensor t, int32_t dtype, const int64_t *shape, int32_t ndim, const char *file,
                 int line) {
    int32_t got_dtype = -1, got_ndim = -1;
    int64_t got_shape[8] = {0};
    if (!check_status_(gs_tensor_describe(t, &got_dtype, &got_ndim, got_shape, 8), GS_OK,
                       "gs_tensor_describe", file, line))
        return false;
    bool ok = check_(got_dtype == dtype, "dtype", file, line);
    if (!check_(got_ndim == ndim, "ndim", file, line))
        return false;
    for (int i = 0; i < ndim; i++)
        ok &= check_(got_shape[i] == shape[i], "shape", file, line);
    return ok;
}

void check_f32_(gs_tensor t, const int64_t *shape, int32_t ndim, const float *want,
                const char *file, int line) {
    if (!check_meta_(t, GS_DTYPE_FLOAT32, shape, ndim, file, line))
        return;
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= shape[i];
    float *got = calloc((size_t)n + 1, sizeof(float));
    if (check_status_(gs_tensor_copy_data(t, got, n * (int64_t)sizeof(float)), GS_OK,
                      "gs_tensor_copy_data", file, line)) {
        for (int64_t i = 0; i < n; i++) {
            char what[32];
            snprintf(what, sizeof what, "element %lld", (long long)i);
            check_close_(got[i], want[i], what, file, line);
        }
    }
    free(got);
}

gs_tensor make_f64(const double *data, const int64_t *shape, int32_t ndim, bool requires_grad) {
    gs_tensor t = {0};
    CHECK_OK(gs_tensor_new(data, GS_DTYPE_FLOAT64, shape, ndim, requires_grad, &t));
    CHECK(t.id != 0);
    return t;
}

gs_tensor make_i64(const int64_t *data, const int64_t *shape, int32_t ndim) {
    gs_tensor t = {0};
    CHECK_OK(gs_tensor_new(data, GS_DTYPE_INT64, shape, ndim, false, &t));
    CHECK(t.id != 0);
    return t;
}

gs_tensor make_bool(const uint8_t *data, const int64_t *shape, int32_t ndim) {
    gs_tensor t = {0};
    CHECK_OK(gs_tensor_new(data, GS_DTYPE_BOOL, shape, ndim, false, &t));
    CHECK(t.id != 0);
    return t;
}

/* Checks t's dtype and shape, then copies its elements (itemsize bytes each) into a fresh
   buffer; NULL (and a failed check) on any mismatch. The caller frees the buffer. */
static void *copy_checked(gs_tensor t, int32_t dtype, size_t itemsize, const int64_t *shape,
                          int32_t ndim, int64_t *count, const char *file, int line) {
    if (!check_meta_(t, dtype, shape, ndim, file, line))
        return NULL;
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= shape[i];
    void *got = calloc((size_t)n + 1, itemsize);
    if (!check_status_(gs_tensor_copy_data(t, got, n * (int64_t)itemsize), GS_OK,
                       "gs_tensor_copy_data", file, line)) {
        free(got);
        return NULL;
    }
    *count = n;
    return got;
}

void check_f64_(gs_tensor t, const int64_t *shape, int32_t ndim, const double *want,
                const char *file, int line) {
    int64_t n = 0;
    double *got = copy_checked(t, GS_DTYPE_FLOAT64, sizeof(double), shape, ndim, &n, file, line);
    for (int64_t i = 0; got && i < n; i++) {
        char what[32];
        snprintf(what, sizeof what, "element %lld", (long long)i);
        if (isnan(want[i]) || isinf(want[i])) {
            if (!check_(isnan(want[i]) ? isnan(got[i]) : got[i] == want[i], what, file, line))
                fprintf(stderr, "  got %.9g, expected %.9g\n", got[i], want[i]);
        } else {
            check_close_(got[i], want[i], what, file, line);
        }
    }
    free(got);
}

void check_i64_(gs_tensor t, const int64_t *shape, int32_t ndim, const int64_t *want,
                const char *file, int line) {
    int64_t n = 0;
    int64_t *got = copy_checked(t, GS_DTYPE_INT64, sizeof(int64_t), shape, ndim, &n, file, line);
    for (int64_t i = 0; got && i < n; i++) {
        char what[32];
        snprintf(what, sizeof what, "element %lld", (long long)i);
        if (!check_(got[i] == want[i], what, file, line))
            fprintf(stderr, "  got %lld, expected %lld\n", (long long)got[i], (long long)want[i]);
    }
    free(got);
}

void check_bool_(gs_tensor t, const int64_t *shape, int32_t ndim, const uint8_t *want,
                 const char *file, int line) {
    int64_t n = 0;
    uint8_t *got = copy_checked(t, GS_DTYPE_BOOL, 1, shape, ndim, &n, file, line);
    for (int64_t i = 0; got && i < n; i++) {
        char what[32];
        snprintf(what, sizeof what, "element %lld", (long long)i);
        if (!check_(got[i] == want[i], what, file, line))
            fprintf(stderr, "  got %d, expected %d\n", got[i], want[i]);
    }
    free(got);
}

void check_grad_(gs_tensor t, const int64_t *shape, int32_t ndim, const float *want,
                 const char *file, int line) {
    gs_tensor g = {0};
    check_status_(gs_tensor_grad(t, &g), GS_OK, "gs_tensor_grad", file, line);
    if (check_(g.id != 0, "grad handle != 0", file, line)) {
        check_f32_(g, shape, ndim, want, file, line);
        release(g);
    }
}

int64_t live_handles(void) {
    int64_t n = -1;
    CHECK_OK(gs_live_handles(&n));
    return n;
}

void release(gs_tensor t) { CHECK_OK(gs_tensor_release(t)); }

float train_step(gs_module net, gs_module loss_fn, gs_optimizer optimizer, gs_tensor x, gs_tensor y) {
    gs_tensor out[3] = {0}, loss[3] = {0}, pair[2];
    int32_t n = 0;
    float value = -1;
    CHECK_OK(gs_module_forward(net, &x, 1, out, 3, &n));
    pair[0] = out[0];
    pair[1] = y;
    CHECK_OK(gs_module_forward(loss_fn, pair, 2, loss, 3, &n));
    CHECK_OK(gs_optim_zero_grad(optimizer));
    CHECK_OK(gs_backward(loss[0], false));
    CHECK_OK(gs_optim_step(optimizer));
    CHECK_OK(gs_tensor_copy_data(loss[0], &value, sizeof value));
    release(out[0]);
    release(loss[0]);
    return value;
}

bool mentions_shape(const char *msg, const int64_t *dims, int n) {
    int64_t nums[64];
    int count = 0;
    for (const char *p = msg; *p && count < 64;) {
        if (isdigit((unsigned char)*p)) {
            char *end;
            nums[count++] = strtoll(p, &end, 10);
            p = end;
        } else {
            p++;
        }
    }
    for (int start = 0; start + n <= count; start++) {
        int k = 0;
        while (k < n && nums[start + k] == dims[k])
            k++;
        if (k == n)
            return true;
    }
    return false;
}
