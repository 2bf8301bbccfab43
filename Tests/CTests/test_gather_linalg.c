/* The exports of indexing along a dimension (gather ... nonzero) and of linear algebra (einsum ...
   trace): a value of each (the golden files hold the rest), then every error path through the C
   ABI, including the ones that must not touch memory: NULL pointers, bad counts, bad codes,
   stale handles and out-of-range indices. */
#include "check.h"

#include <string.h>

static const int64_t s1[] = {1}, s2[] = {2}, s3[] = {3}, s22[] = {2, 2}, s23[] = {2, 3}, s13[] = {1, 3},
                     s33[] = {3, 3}, s21[] = {2, 1}, s222[] = {2, 2, 2}, zero_one[] = {0, 1};

static void gather_family(void) {
    gs_tensor x = make_f32((const float[]){1, 2, 3, 4, 5, 6}, s23, 2, true);
    gs_tensor index = make_i64((const int64_t[]){2, 0}, s21, 2);
    gs_tensor y = {0};
    CHECK_OK(gs_gather(x, 1, index, &y));
    CHECK_F32(y, s21, 2, (const float[]){3, 4});
    release(y);
    gs_tensor src = make_f32((const float[]){9, 8}, s21, 2, false);
    CHECK_OK(gs_scatter(x, 1, index, src, GS_SCATTER_REDUCE_NONE, &y));
    CHECK_F32(y, s23, 2, (const float[]){1, 2, 9, 8, 5, 6});
    release(y);
    CHECK_OK(gs_scatter_value(x, 1, index, 0.5, GS_SCATTER_REDUCE_MULTIPLY, &y));
    CHECK_F32(y, s23, 2, (const float[]){1, 2, 1.5f, 2, 5, 6});
    release(y);
    CHECK_OK(gs_scatter_add(x, 1, index, src, &y));
    CHECK_F32(y, s23, 2, (const float[]){1, 2, 12, 12, 5, 6});
    release(y);
    gs_tensor row = make_i64((const int64_t[]){1}, s1, 1);
    CHECK_OK(gs_index_select(x, 0, row, &y));
    CHECK_F32(y, s13, 2, (const float[]){4, 5, 6});
    release(y);
    gs_tensor mask = make_bool((const uint8_t[]){1, 0, 1}, s3, 1);
    gs_tensor zero = make_f32((const float[]){0}, NULL, 0, false);
    CHECK_OK(gs_masked_fill(x, mask, zero, &y));
    CHECK_F32(y, s23, 2, (const float[]){0, 2, 0, 0, 5, 0});
    release(y);
    CHECK_OK(gs_take_along_dim(x, index, 0, true, &y)); /* flattened: elements 2 and 0 */
    CHECK_F32(y, s2, 1, (const float[]){3, 1});
    release(y);
    gs_tensor ints = make_i64((const int64_t[]){0, 7, 0, 3}, s22, 2);
    CHECK_OK(gs_nonzero(ints, &y));
    CHECK_I64(y, s22, 2, (const int64_t[]){0, 1, 1, 1});
    release(y);
    gs_tensor columns[3] = {{0}, {0}, {0}};
    int32_t ncolumns = 0;
    CHECK_OK(gs_nonzero_tuple(ints, columns, 3, &ncolumns));
    CHECK(ncolumns == 2);
    CHECK_I64(columns[0], s2, 1, (const int64_t[]){0, 1});
    CHECK_I64(columns[1], s2, 1, (const int64_t[]){1, 1});
    CHECK(columns[2].id == 0);
    release(columns[0]);
    release(columns[1]);
    y = (gs_tensor){0}; /* failing calls below must leave it untouched */

    /* indices out of range, wrong dtypes and shapes, bad dims and codes */
    gs_tensor far = make_i64((const int64_t[]){3, 0}, s21, 2);
    CHECK_ERROR(gs_gather(x, 1, far, &y), GS_ERR_INDEX);
    CHECK(strstr(gs_last_error(), "index 3 is out of bounds for dimension 1 with size 3") != NULL);
    gs_tensor negative = make_i64((const int64_t[]){-1, 0}, s21, 2);
    CHECK_ERROR(gs_scatter_add(x, 1, negative, src, &y), GS_ERR_INDEX);
    CHECK_ERROR(gs_gather(x, 2, index, &y), GS_ERR_INDEX);
    CHECK_ERROR(gs_gather(x, INT64_MIN, index, &y), GS_ERR_INDEX);
    CHECK_ERROR(gs_gather(x, 1, src, &y), GS_ERR_DTYPE);
    CHECK_ERROR(gs_gather(x, 1, row, &y), GS_ERR_SHAPE_MISMATCH);
    gs_tensor wide = make_i64((const int64_t[]){0, 0, 0, 0, 0, 0, 0, 0}, (const int64_t[]){2, 4}, 2);
    CHECK_ERROR(gs_gather(x, 1, wide, &y), GS_OK); /* larger along dim is fine... */
    release(y);
    y = (gs_tensor){0};
    CHECK_ERROR(gs_gather(x, 0, wide, &y), GS_ERR_SHAPE_MISMATCH); /* ...but not elsewhere */
    CHECK_ERROR(gs_scatter(x, 1, wide, src, GS_SCATTER_REDUCE_NONE, &y), GS_ERR_SHAPE_MISMATCH);
    CHECK_ERROR(gs_scatter(x, 1, index, src, 3, &y), GS_ERR_INVALID_ARGUMENT);
    CHECK(strstr(gs_last_error(), "unknown reduce code 3") != NULL);
    CHECK_ERROR(gs_scatter_value(x, 1, index, 1.0, -1, &y), GS_ERR_INVALID_ARGUMENT);
    gs_tensor src64 = make_f64((const double[]){9, 8}, s21, 2, false);
    CHECK_ERROR(gs_scatter(x, 1, index, src64, GS_SCATTER_REDUCE_ADD, &y), GS_ERR_DTYPE);
    CHECK_ERROR(gs_index_select(x, 0, index, &y), GS_ERR_INDEX); /* not a vector */
    gs_tensor two = make_i64((const int64_t[]){2}, s1, 1);
    CHECK_ERROR(gs_index_select(x, 0, two, &y), GS_ERR_INDEX);
    release(two);
    CHECK_ERROR(gs_masked_fill(x, ints, zero, &y), GS_ERR_DTYPE);
    CHECK_ERROR(gs_masked_fill(x, mask, src, &y), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_take_along_dim(x, row, 0, false, &y), GS_ERR_SHAPE_MISMATCH);
    CHECK_ERROR(gs_nonzero_tuple(ints, columns, 1, &ncolumns), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_nonzero_tuple(ints, NULL, 2, &ncolumns), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_nonzero_tuple(ints, columns, 2, NULL), GS_ERR_INVALID_ARGUMENT);
    gs_tensor stale = make_i64((const int64_t[]){0}, s1, 1);
    release(stale);
    CHECK_ERROR(gs_gather(x, 0, stale, &y), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_scatter(x, 0, index, stale, GS_SCATTER_REDUCE_NONE, &y), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_masked_fill(stale, mask, zero, &y), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_nonzero(stale, &y), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_gather(x, 1, index, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_nonzero(ints, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK(y.id == 0);
    release(src64);
    release(wide);
    release(negative);
    release(far);
    release(ints);
    release(zero);
    release(mask);
    release(row);
    release(src);
    release(index);
    release(x);
}

static void linear_algebra(void) {
    gs_tensor a = make_f32((const float[]){1, 2, 3, 4}, s22, 2, true);
    gs_tensor v = make_f32((const float[]){1, -1}, s2, 1, false);
    gs_tensor y = {0};
    gs_tensor pair[2] = {a, v};
    CHECK_OK(gs_einsum("ij,j->i", pair, 2, &y));
    CHECK_F32(y, s2, 1, (const float[]){-1, -1});
    release(y);
    CHECK_OK(gs_einsum("ii", pair, 1, &y));
    CHECK_F32(y, NULL, 0, (const float[]){5});
    release(y);
    CHECK_OK(gs_tensordot(a, v, (const int64_t[]){0}, 1, (const int64_t[]){0}, 1, &y));
    CHECK_F32(y, s2, 1, (const float[]){-2, -2});
    release(y);
    CHECK_OK(gs_outer(v, v, &y));
    CHECK_F32(y, s22, 2, (const float[]){1, -1, -1, 1});
    release(y);
    CHECK_OK(gs_dot(v, v, &y));
    CHECK_F32(y, NULL, 0, (const float[]){2});
    release(y);
    gs_tensor batch = make_f32((const float[]){1, 2, 3, 4, 5, 6, 7, 8}, s222, 3, false);
    CHECK_OK(gs_bmm(batch, batch, &y));
    CHECK_F32(y, s222, 3, (const float[]){7, 10, 15, 22, 67, 78, 91, 106});
    release(y);
    CHECK_OK(gs_diag(v, 1, &y));
    CHECK_F32(y, s33, 2, (const float[]){0, 1, 0, 0, 0, -1, 0, 0, 0});
    release(y);
    CHECK_OK(gs_diagonal(batch, 0, 1, 2, &y));
    CHECK_F32(y, s22, 2, (const float[]){1, 4, 5, 8});
    release(y);
    CHECK_OK(gs_trace(a, &y));
    CHECK_F32(y, NULL, 0, (const float[]){5});
    release(y);
    y = (gs_tensor){0};

    /* equations, operand lists, dims lists, ranks, dtypes, sizes */
    CHECK_ERROR(gs_einsum(NULL, pair, 2, &y), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_einsum("ij,j", NULL, 2, &y), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_einsum("ij,j", pair, -1, &y), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_einsum("ij,j", pair, 1 << 20, &y), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_einsum("", pair, 0, &y), GS_ERR_INVALID_ARGUMENT);
    CHECK(strstr(gs_last_error(), "at least one operand") != NULL);
    CHECK_ERROR(gs_einsum("ij,jk", pair, 2, &y), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_einsum("i\xff", pair, 1, &y), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_einsum("ij,ij", pair, 2, &y), GS_ERR_INVALID_ARGUMENT);
    gs_tensor v64 = make_f64((const double[]){1, 2}, s2, 1, false);
    gs_tensor mixed[2] = {a, v64};
    CHECK_ERROR(gs_einsum("ij,j", mixed, 2, &y), GS_ERR_DTYPE);
    gs_tensor three = make_f32((const float[]){1, 2, 3}, s3, 1, false);
    gs_tensor misfit[2] = {a, three};
    CHECK_ERROR(gs_einsum("ij,j", misfit, 2, &y), GS_ERR_SHAPE_MISMATCH);
    CHECK_ERROR(gs_tensordot(a, v, NULL, 1, (const int64_t[]){0}, 1, &y), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_tensordot(a, v, (const int64_t[]){0}, -1, (const int64_t[]){0}, 1, &y), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_tensordot(a, v, zero_one, 2, (const int64_t[]){0}, 1, &y), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_tensordot(a, v, (const int64_t[]){5}, 1, (const int64_t[]){0}, 1, &y), GS_ERR_INDEX);
    CHECK_ERROR(gs_tensordot(a, three, (const int64_t[]){0}, 1, (const int64_t[]){0}, 1, &y), GS_ERR_SHAPE_MISMATCH);
    CHECK_ERROR(gs_dot(v, three, &y), GS_ERR_SHAPE_MISMATCH);
    CHECK_ERROR(gs_dot(v, v64, &y), GS_ERR_DTYPE);
    CHECK_ERROR(gs_dot(a, v, &y), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_outer(a, v, &y), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_bmm(a, batch, &y), GS_ERR_INVALID_ARGUMENT);
    gs_tensor other = make_f32((const float[]){1, 2, 3, 4, 5, 6}, (const int64_t[]){1, 2, 3}, 3, false);
    CHECK_ERROR(gs_bmm(batch, other, &y), GS_ERR_SHAPE_MISMATCH);
    CHECK_ERROR(gs_diag(batch, 0, &y), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_diag(v, INT64_MIN, &y), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_diag(v, INT64_MAX, &y), GS_ERR_INVALID_ARGUMENT);
    CHECK_OK(gs_diag(a, INT64_MIN, &y)); /* an empty diagonal far below */
    CHECK_META(y, GS_DTYPE_FLOAT32, (const int64_t[]){0}, 1);
    release(y);
    y = (gs_tensor){0};
    CHECK_ERROR(gs_diagonal(batch, 0, 1, 1, &y), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_diagonal(batch, 0, 1, 3, &y), GS_ERR_INDEX);
    CHECK_ERROR(gs_diagonal(v, 0, 0, 1, &y), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_trace(v, &y), GS_ERR_INVALID_ARGUMENT);
    gs_tensor stale = make_f32((const float[]){1}, s1, 1, false);
    release(stale);
    gs_tensor with_stale[2] = {a, stale};
    CHECK_ERROR(gs_einsum("ij,j", with_stale, 2, &y), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_trace(stale, &y), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_bmm(batch, batch, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK(y.id == 0);
    release(other);
    release(three);
    release(v64);
    release(batch);
    release(v);
    release(a);
}

void test_gather_linalg(void) {
    int64_t before = live_handles();
    gather_family();
    linear_algebra();
    CHECK(live_handles() == before);
}
