/* Helpers shared by the C ABI tests (declared in check.h). */
#include <ctype.h>
#include <stdlib.h>

#include "check.h"

int checks_passed = 0;
int checks_failed = 0;

uint64_t make_f32(const float *data, const int64_t *shape, int32_t ndim, bool requires_grad) {
    uint64_t t = 0;
    CHECK_OK(gs_tensor_new(data, GS_DTYPE_FLOAT32, shape, ndim, requires_grad, &t));
    CHECK(t != 0);
    return t;
}

uint64_t make_full(int32_t dtype, const int64_t *shape, int32_t ndim, double value) {
    uint64_t t = 0;
    CHECK_OK(gs_tensor_full(dtype, shape, ndim, value, false, &t));
    CHECK(t != 0);
    return t;
}

bool check_meta_(uint64_t t, int32_t dtype, const int64_t *shape, int32_t ndim, const char *file,
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

void check_f32_(uint64_t t, const int64_t *shape, int32_t ndim, const float *want,
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

int64_t live_handles(void) {
    int64_t n = -1;
    CHECK_OK(gs_live_handles(&n));
    return n;
}

void release(uint64_t t) { CHECK_OK(gs_tensor_release(t)); }

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
