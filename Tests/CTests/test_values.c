/* Values through the ABI: creation, elementwise ops with broadcasting, matmul, sum, dtypes. */
#include "check.h"

static void creation(void) {
    const float data[] = {1, 2, 3, 4, 5, 6};
    const int64_t shape[] = {2, 3};
    gs_tensor a = make_f32(data, shape, 2, false);
    CHECK_F32(a, shape, 2, data);

    /* describe with capacity 0 reports dtype and ndim only */
    int32_t dtype = -1, ndim = -1;
    CHECK_OK(gs_tensor_describe(a, &dtype, &ndim, NULL, 0));
    CHECK(dtype == GS_DTYPE_FLOAT32 && ndim == 2);

    /* the data pointer is borrowed and sees the same values */
    void *p = NULL;
    CHECK_OK(gs_tensor_data_ptr(a, &p));
    CHECK(p != NULL && ((const float *)p)[5] == 6.0f);

    /* the library copied the buffer: later changes to it do not reach the tensor */
    float mine[] = {1, 2};
    const int64_t two[] = {2};
    gs_tensor b = make_f32(mine, two, 1, false);
    mine[0] = 100;
    CHECK_F32(b, two, 1, (const float[]){1, 2});

    /* a 0-d tensor holds one element */
    const float seven = 7;
    gs_tensor s = make_f32(&seven, NULL, 0, false);
    CHECK_F32(s, NULL, 0, &seven);

    /* full: zeros and ones of each dtype */
    gs_tensor ones = make_full(GS_DTYPE_FLOAT64, shape, 2, 1.0);
    double d[6] = {0};
    CHECK_OK(gs_tensor_copy_data(ones, d, sizeof d));
    CHECK(d[0] == 1.0 && d[5] == 1.0);
    CHECK_META(ones, GS_DTYPE_FLOAT64, shape, 2);
    gs_tensor zi = make_full(GS_DTYPE_INT64, shape, 2, 0.0);
    int64_t z[6] = {1, 1, 1, 1, 1, 1};
    CHECK_OK(gs_tensor_copy_data(zi, z, sizeof z));
    CHECK(z[0] == 0 && z[5] == 0);

    int32_t major = -1, minor = -1, patch = -1;
    CHECK_OK(gs_version(&major, &minor, &patch));
    CHECK(major >= 0 && minor >= 0 && patch >= 0);

    release(a);
    release(b);
    release(s);
    release(ones);
    release(zi);
}

static void elementwise_broadcasting(void) {
    const int64_t s23[] = {2, 3}, s3[] = {3}, s21[] = {2, 1}, s13[] = {1, 3};
    gs_tensor a = make_f32((const float[]){1, 2, 3, 4, 5, 6}, s23, 2, false);
    gs_tensor row = make_f32((const float[]){10, 20, 30}, s3, 1, false);
    gs_tensor col = make_f32((const float[]){1, 2}, s21, 2, false);
    gs_tensor r13 = make_f32((const float[]){1, 10, 100}, s13, 2, false);
    const float two = 2;
    gs_tensor scalar = make_f32(&two, NULL, 0, false);
    gs_tensor out = {0};

    CHECK_OK(gs_add(a, row, &out)); /* (2,3) + (3,) */
    CHECK_F32(out, s23, 2, (const float[]){11, 22, 33, 14, 25, 36});
    release(out);

    CHECK_OK(gs_add(col, r13, &out)); /* (2,1) + (1,3) -> (2,3) */
    CHECK_F32(out, s23, 2, (const float[]){2, 11, 101, 3, 12, 102});
    release(out);

    CHECK_OK(gs_mul(a, scalar, &out)); /* (2,3) * () */
    CHECK_F32(out, s23, 2, (const float[]){2, 4, 6, 8, 10, 12});
    release(out);

    CHECK_OK(gs_mul(col, a, &out)); /* (2,1) * (2,3) */
    CHECK_F32(out, s23, 2, (const float[]){1, 2, 3, 8, 10, 12});
    release(out);

    /* tensor op Python scalar: a * 2.0 and 1 - a (scalar first) */
    CHECK_OK(gs_binary_scalar(GS_BINARY_OP_MUL, a, 2.0, 1, false, &out));
    CHECK_F32(out, s23, 2, (const float[]){2, 4, 6, 8, 10, 12});
    release(out);
    CHECK_OK(gs_binary_scalar(GS_BINARY_OP_SUB, a, 1.0, 1, true, &out));
    CHECK_F32(out, s23, 2, (const float[]){0, -1, -2, -3, -4, -5});
    release(out);

    release(a);
    release(row);
    release(col);
    release(r13);
    release(scalar);
}

static void matmul(void) {
    const int64_t s23[] = {2, 3}, s32[] = {3, 2}, s22[] = {2, 2};
    gs_tensor a = make_f32((const float[]){1, 2, 3, 4, 5, 6}, s23, 2, false);
    gs_tensor b = make_f32((const float[]){7, 8, 9, 10, 11, 12}, s32, 2, false);
    gs_tensor out = {0};
    CHECK_OK(gs_matmul(a, b, &out));
    CHECK_F32(out, s22, 2, (const float[]){58, 64, 139, 154});
    release(out);

    /* batched, with the 2-D operand broadcast over the batch: (2,2,3) @ (3,1) -> (2,2,1) */
    const int64_t s223[] = {2, 2, 3}, s31[] = {3, 1}, s221[] = {2, 2, 1};
    gs_tensor batch = make_f32((const float[]){1, 2, 3, 4, 5, 6, -1, 0, 1, 2, 2, 2}, s223, 3, false);
    gs_tensor v = make_f32((const float[]){1, 1, 2}, s31, 2, false);
    CHECK_OK(gs_matmul(batch, v, &out));
    CHECK_F32(out, s221, 3, (const float[]){9, 21, 1, 8});
    release(out);

    release(a);
    release(b);
    release(batch);
    release(v);
}

static void sum(void) {
    const int64_t s23[] = {2, 3}, s3[] = {3}, s21[] = {2, 1};
    gs_tensor a = make_f32((const float[]){1, 2, 3, 4, 5, 6}, s23, 2, false);
    gs_tensor out = {0};

    CHECK_OK(gs_sum(a, NULL, -1, false, &out)); /* all axes -> 0-d */
    CHECK_F32(out, NULL, 0, (const float[]){21});
    release(out);

    const int64_t axis0[] = {0}, axis_last[] = {-1}, both[] = {0, 1};
    CHECK_OK(gs_sum(a, axis0, 1, false, &out));
    CHECK_F32(out, s3, 1, (const float[]){5, 7, 9});
    release(out);

    CHECK_OK(gs_sum(a, axis_last, 1, true, &out)); /* keepdims */
    CHECK_F32(out, s21, 2, (const float[]){6, 15});
    release(out);

    CHECK_OK(gs_sum(a, both, 2, false, &out));
    CHECK_F32(out, NULL, 0, (const float[]){21});
    release(out);

    release(a);
}

static void dtypes(void) {
    const int64_t s2[] = {2};
    gs_tensor i = {0}, f64 = {0}, b = {0}, out = {0};
    CHECK_OK(gs_tensor_new((const int64_t[]){3, -4}, GS_DTYPE_INT64, s2, 1, false, &i));
    CHECK_OK(gs_tensor_new((const double[]){0.5, 0.25}, GS_DTYPE_FLOAT64, s2, 1, false, &f64));
    CHECK_OK(gs_tensor_new((const uint8_t[]){1, 0}, GS_DTYPE_BOOL, s2, 1, false, &b));
    gs_tensor f32 = make_f32((const float[]){1, 2}, s2, 1, false);

    CHECK_OK(gs_add(i, i, &out)); /* int64 + int64 stays int64 */
    CHECK_META(out, GS_DTYPE_INT64, s2, 1);
    int64_t iv[2] = {0};
    CHECK_OK(gs_tensor_copy_data(out, iv, sizeof iv));
    CHECK(iv[0] == 6 && iv[1] == -8);
    release(out);

    CHECK_OK(gs_add(f32, f64, &out)); /* float32 + float64 -> float64 */
    CHECK_META(out, GS_DTYPE_FLOAT64, s2, 1);
    double dv[2] = {0};
    CHECK_OK(gs_tensor_copy_data(out, dv, sizeof dv));
    CHECK_CLOSE(dv[0], 1.5);
    CHECK_CLOSE(dv[1], 2.25);
    release(out);

    CHECK_OK(gs_add(b, i, &out)); /* bool + int64 -> int64 */
    CHECK_META(out, GS_DTYPE_INT64, s2, 1);
    CHECK_OK(gs_tensor_copy_data(out, iv, sizeof iv));
    CHECK(iv[0] == 4 && iv[1] == -4);
    release(out);

    CHECK_OK(gs_lt(i, f32, &out)); /* comparisons give bool */
    CHECK_META(out, GS_DTYPE_BOOL, s2, 1);
    uint8_t bv[2] = {9, 9};
    CHECK_OK(gs_tensor_copy_data(out, bv, sizeof bv));
    CHECK(bv[0] == 0 && bv[1] == 1);
    release(out);

    CHECK_OK(gs_sum(i, NULL, -1, false, &out)); /* sum of int is int64 */
    CHECK_META(out, GS_DTYPE_INT64, NULL, 0);
    release(out);

    CHECK_OK(gs_tensor_astype(i, GS_DTYPE_FLOAT32, &out));
    CHECK_F32(out, s2, 1, (const float[]){3, -4});
    release(out);

    release(i);
    release(f64);
    release(b);
    release(f32);
}

void test_values(void) {
    creation();
    elementwise_broadcasting();
    matmul();
    sum();
    dtypes();
}
