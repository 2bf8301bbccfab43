/* Reductions, scans and sorting through the C ABI: a few values (the golden cases cover the
 * rest), the two-result calls (sort, topk, max/min along a dim) with their gradients, and every
 * argument these calls check before touching memory. */
#include "check.h"

#include <math.h>

static const int64_t s23[] = {2, 3};

static void values_and_gradients(void) {
    gs_tensor x = make_f32((const float[]){3, 1, 2, 0, 5, 0}, s23, 2, true);
    gs_tensor values = {0}, indices = {0}, out = {0}, total = {0};

    CHECK_OK(gs_sort(x, 1, true, &values, &indices));
    CHECK_F32(values, s23, 2, (const float[]){3, 2, 1, 5, 0, 0});
    CHECK_I64(indices, s23, 2, (const int64_t[]){0, 2, 1, 1, 0, 2}); /* stable: equal zeros keep their order */
    release(indices);
    gs_tensor w = make_f32((const float[]){1, 2, 3, 4, 5, 6}, s23, 2, false), weighted = {0};
    CHECK_OK(gs_mul(values, w, &weighted));
    CHECK_OK(gs_sum(weighted, NULL, -1, false, &total));
    CHECK_OK(gs_backward(total, false));
    CHECK_GRAD(x, s23, 2, (const float[]){1, 3, 2, 5, 4, 6}); /* each value's weight goes back to its position */
    release(total);
    release(weighted);
    release(w);
    release(values);

    const int64_t s2[] = {2}, s21[] = {2, 1};
    CHECK_OK(gs_topk(x, 1, -1, false, &values, &indices));
    CHECK_F32(values, s21, 2, (const float[]){1, 0});
    CHECK_I64(indices, s21, 2, (const int64_t[]){1, 0});
    release(values);
    release(indices);
    CHECK_OK(gs_max_dim(x, 1, false, &values, &indices));
    CHECK_F32(values, s2, 1, (const float[]){3, 5});
    CHECK_I64(indices, s2, 1, (const int64_t[]){0, 1});
    release(values);
    release(indices);

    /* cumprod with zeros: d/dx of sum(cumprod(row)) = sum over j >= i of the products without x_i */
    gs_tensor row = make_f32((const float[]){2, 0, 3}, (const int64_t[]){3}, 1, true);
    CHECK_OK(gs_cumprod(row, 0, &out));
    CHECK_F32(out, ((const int64_t[]){3}), 1, (const float[]){2, 0, 0});
    CHECK_OK(gs_sum(out, NULL, -1, false, &total));
    CHECK_OK(gs_backward(total, false));
    CHECK_GRAD(row, ((const int64_t[]){3}), 1, (const float[]){1, 8, 0});
    release(total);
    release(out);
    release(row);

    const int64_t axis1[] = {1};
    CHECK_OK(gs_var(x, axis1, 1, 1.0, false, &out));
    CHECK_F32(out, s2, 1, (const float[]){1, 25.0f / 3});
    release(out);
    CHECK_OK(gs_norm(x, INFINITY, NULL, -1, false, &out));
    CHECK_F32(out, NULL, 0, (const float[]){5});
    release(out);
    CHECK_OK(gs_all(x, axis1, 1, false, &out));
    CHECK_BOOL(out, s2, 1, (const uint8_t[]){1, 0});
    release(out);
    release(x);
}

static void argument_errors(void) {
    gs_tensor x = make_f32((const float[]){1, 2, 3, 4, 5, 6}, s23, 2, false);
    gs_tensor a = {0}, b = {0}, stale = make_f32((const float[]){1}, NULL, 0, false);
    release(stale);
    const int64_t axis5[] = {5}, dup[] = {1, -1};

    /* NULL results, one of two included */
    CHECK_ERROR(gs_sort(x, 0, false, NULL, &b), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_sort(x, 0, false, &a, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_topk(x, 1, 0, true, &a, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_max_dim(x, 0, false, NULL, &b), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_prod(x, NULL, -1, false, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_cumsum(x, 0, NULL), GS_ERR_INVALID_ARGUMENT);
    /* released and zero handles */
    CHECK_ERROR(gs_cumprod(stale, 0, &a), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_min_dim((gs_tensor){0}, 0, false, &a, &b), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_argsort(stale, 0, false, &a), GS_ERR_INVALID_HANDLE);
    /* axes: out of range (also the extremes of int64), repeated, a bad count, NULL with a count */
    CHECK_ERROR(gs_cumsum(x, 2, &a), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_sort(x, INT64_MIN, false, &a, &b), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_topk(x, 1, INT64_MAX, true, &a, &b), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_max_dim(x, -3, true, &a, &b), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_var(x, axis5, 1, 1.0, false, &a), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_logsumexp(x, dup, 2, false, &a), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_norm(x, 2.0, NULL, 1, false, &a), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_any(x, axis5, -2, false, &a), GS_ERR_INVALID_ARGUMENT);
    /* k outside 0...length, an order that is NaN, a correction that is not finite */
    CHECK_ERROR(gs_topk(x, 4, 1, true, &a, &b), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_topk(x, -1, 1, true, &a, &b), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_topk(x, INT64_MIN, 1, true, &a, &b), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_norm(x, NAN, NULL, -1, false, &a), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_std(x, NULL, -1, INFINITY, false, &a), GS_ERR_INVALID_ARGUMENT);
    /* the maximum of an empty axis */
    const int64_t s02[] = {0, 2};
    gs_tensor empty = make_full(GS_DTYPE_FLOAT32, s02, 2, 0.0);
    CHECK_ERROR(gs_max_dim(empty, 0, false, &a, &b), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_norm(empty, -INFINITY, NULL, -1, false, &a), GS_ERR_INVALID_ARGUMENT);
    release(empty);
    release(x);
}

void test_statistics(void) {
    int64_t before = live_handles();
    values_and_gradients();
    argument_errors();
    CHECK(live_handles() == before);
}
