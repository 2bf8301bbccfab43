/* Elementwise binary ops (values, broadcasting, result dtypes, gradients), in-place ops and the
 * reductions mean, max, min, argmax and argmin. Expected values are NumPy's.
 */
#include "check.h"

typedef int32_t (*binary_fn)(gs_tensor, gs_tensor, gs_tensor *);

static const int64_t s2[] = {2}, s3[] = {3}, s4[] = {4}, s21[] = {2, 1}, s23[] = {2, 3},
                     s13[] = {1, 3}, s234[] = {2, 3, 4};
static const float a23[] = {1, 2, 3, 4, 5, 6};

/* ---- elementwise binary ops ---------------------------------------------------------------- */

static void sub_div_pow_broadcast(void) {
    gs_tensor a = make_f32(a23, s23, 2, false);
    gs_tensor row = make_f32((const float[]){10, 20, 30}, s3, 1, false);
    gs_tensor col = make_f32((const float[]){1, 2}, s21, 2, false);
    const float two = 2;
    gs_tensor scalar = make_f32(&two, NULL, 0, false);
    gs_tensor out = {0};

    CHECK_OK(gs_sub(a, row, &out)); /* (2,3) - (3,) */
    CHECK_F32(out, s23, 2, (const float[]){-9, -18, -27, -6, -15, -24});
    release(out);
    CHECK_OK(gs_sub(row, col, &out)); /* (3,) - (2,1) -> (2,3) */
    CHECK_F32(out, s23, 2, (const float[]){9, 19, 29, 8, 18, 28});
    release(out);

    CHECK_OK(gs_div(a, col, &out)); /* (2,3) / (2,1) */
    CHECK_F32(out, s23, 2, (const float[]){1, 2, 3, 2, 2.5f, 3});
    release(out);
    CHECK_OK(gs_div(row, a, &out)); /* (3,) / (2,3) */
    CHECK_F32(out, s23, 2, (const float[]){10, 10, 10, 2.5f, 4, 5});
    release(out);

    CHECK_OK(gs_pow(a, col, &out)); /* (2,3) ** (2,1) */
    CHECK_F32(out, s23, 2, (const float[]){1, 2, 3, 16, 25, 36});
    release(out);
    CHECK_OK(gs_pow(a, scalar, &out)); /* (2,3) ** () */
    CHECK_F32(out, s23, 2, (const float[]){1, 4, 9, 16, 25, 36});
    release(out);
    gs_tensor exps = make_f32((const float[]){0, 1, 0.5f}, s3, 1, false);
    CHECK_OK(gs_pow(col, exps, &out)); /* (2,1) ** (3,) */
    CHECK_F32(out, s23, 2, (const float[]){1, 1, 1, 1, 2, (float)sqrt(2.0)});
    release(out);

    release(exps);
    release(a);
    release(row);
    release(col);
    release(scalar);
}

static void div_of_ints_gives_float64(void) {
    gs_tensor i = make_i64(INTS(7, -7, 1, 0), s4, 1);
    gs_tensor j = make_i64(INTS(2, 2, 0, 0), s4, 1);
    gs_tensor out = {0};
    CHECK_OK(gs_div(i, j, &out)); /* true division; x/0 is inf and 0/0 NaN, as NumPy */
    CHECK_F64(out, s4, 1, (const double[]){3.5, -3.5, INFINITY, NAN});
    release(out);

    gs_tensor b = make_bool((const uint8_t[]){1, 0}, s2, 1);
    gs_tensor t = make_bool((const uint8_t[]){1, 1}, s2, 1);
    CHECK_OK(gs_div(b, t, &out)); /* bool / bool -> float64 */
    CHECK_F64(out, s2, 1, (const double[]){1, 0});
    release(out);

    /* int64 with float32 gives float64 (NumPy 2); float32 with float32 stays float32 */
    gs_tensor f = make_f32((const float[]){4, 0.5f}, s2, 1, false);
    gs_tensor i2 = make_i64(INTS(1, 3), s2, 1);
    CHECK_OK(gs_div(i2, f, &out));
    CHECK_F64(out, s2, 1, (const double[]){0.25, 6});
    release(out);
    CHECK_OK(gs_div(f, f, &out));
    CHECK_F32(out, s2, 1, (const float[]){1, 1});
    release(out);

    release(i);
    release(j);
    release(b);
    release(t);
    release(f);
    release(i2);
}

static void pow_dtypes(void) {
    gs_tensor base = make_i64(INTS(2, 3, -2), s3, 1);
    gs_tensor exps = make_i64(INTS(3, 2, 3), s3, 1);
    gs_tensor out = {0};
    CHECK_OK(gs_pow(base, exps, &out)); /* int ** int stays int64 */
    CHECK_I64(out, s3, 1, INTS(8, 9, -8));
    release(out);

    const double half = 0.5;
    gs_tensor h = make_f64(&half, NULL, 0, false);
    CHECK_OK(gs_pow(base, h, &out)); /* int ** float64 -> float64 (NaN for a negative base) */
    CHECK_F64(out, s3, 1, (const double[]){sqrt(2.0), sqrt(3.0), NAN});
    release(out);

    /* integers to negative integer powers are not allowed (NumPy ValueError) */
    gs_tensor neg = make_i64(INTS(1, -1, 2), s3, 1);
    CHECK_ERROR(gs_pow(base, neg, &out), GS_ERR_INVALID_ARGUMENT);

    release(base);
    release(exps);
    release(h);
    release(neg);
}

static void maximum_minimum_broadcast(void) {
    gs_tensor a = make_f32(a23, s23, 2, false);
    gs_tensor row = make_f32((const float[]){3, 0, 7}, s3, 1, false);
    gs_tensor col = make_f32((const float[]){2, 5}, s21, 2, false);
    gs_tensor out = {0};

    CHECK_OK(gs_maximum(a, row, &out));
    CHECK_F32(out, s23, 2, (const float[]){3, 2, 7, 4, 5, 7});
    release(out);
    CHECK_OK(gs_minimum(a, row, &out));
    CHECK_F32(out, s23, 2, (const float[]){1, 0, 3, 3, 0, 6});
    release(out);
    CHECK_OK(gs_maximum(col, row, &out)); /* (2,1) with (3,) -> (2,3) */
    CHECK_F32(out, s23, 2, (const float[]){3, 2, 7, 5, 5, 7});
    release(out);
    CHECK_OK(gs_minimum(row, col, &out));
    CHECK_F32(out, s23, 2, (const float[]){2, 0, 2, 3, 0, 5});
    release(out);

    release(a);
    release(row);
    release(col);
}

static void maximum_minimum_nan_and_dtypes(void) {
    gs_tensor x = make_f64((const double[]){1, NAN, 3}, s3, 1, false);
    gs_tensor y = make_f64((const double[]){NAN, 2, 0}, s3, 1, false);
    gs_tensor out = {0};
    CHECK_OK(gs_maximum(x, y, &out)); /* NaN propagates from either side */
    CHECK_F64(out, s3, 1, (const double[]){NAN, NAN, 3});
    release(out);
    CHECK_OK(gs_minimum(x, y, &out));
    CHECK_F64(out, s3, 1, (const double[]){NAN, NAN, 0});
    release(out);

    gs_tensor i = make_i64(INTS(3, -1), s2, 1);
    gs_tensor j = make_i64(INTS(2, 5), s2, 1);
    CHECK_OK(gs_maximum(i, j, &out)); /* int stays int64 */
    CHECK_I64(out, s2, 1, INTS(3, 5));
    release(out);
    gs_tensor f = make_f32((const float[]){2.5f, -4}, s2, 1, false);
    CHECK_OK(gs_minimum(i, f, &out)); /* int64 with float32 -> float64 */
    CHECK_F64(out, s2, 1, (const double[]){2.5, -4});
    release(out);

    release(x);
    release(y);
    release(i);
    release(j);
    release(f);
}

struct comparison_case {
    const char *name;
    binary_fn fn;
    uint8_t want[6];     /* a (2,3) against row (3,) */
    uint8_t want_nan[3]; /* {1, NaN, NaN} against {1, 1, NaN} */
};

static void comparisons_broadcast_to_bool(void) {
    static const struct comparison_case cases[] = {
        {"eq", gs_eq, {0, 1, 0, 0, 0, 1}, {1, 0, 0}},
        {"ne", gs_ne, {1, 0, 1, 1, 1, 0}, {0, 1, 1}},
        {"le", gs_le, {1, 1, 1, 0, 0, 1}, {1, 0, 0}},
        {"gt", gs_gt, {0, 0, 0, 1, 1, 0}, {0, 0, 0}},
        {"ge", gs_ge, {0, 1, 0, 1, 1, 1}, {1, 0, 0}},
    };
    gs_tensor a = make_f32(a23, s23, 2, false);
    gs_tensor row = make_i64(INTS(2, 2, 6), s3, 1); /* float32 vs int64 */
    gs_tensor x = make_f64((const double[]){1, NAN, NAN}, s3, 1, false);
    gs_tensor y = make_f64((const double[]){1, 1, NAN}, s3, 1, false);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const struct comparison_case *c = &cases[k];
        gs_tensor out = {0};
        int failed = checks_failed;
        CHECK_OK(c->fn(a, row, &out));
        CHECK_BOOL(out, s23, 2, c->want);
        release(out);
        CHECK_OK(c->fn(x, y, &out));
        CHECK_BOOL(out, s3, 1, c->want_nan);
        release(out);
        if (checks_failed != failed)
            fprintf(stderr, "  in gs_%s\n", c->name);
    }

    /* (2,1) against (1,3) broadcasts to (2,3); bools compare as numbers */
    gs_tensor col = make_bool((const uint8_t[]){0, 1}, s21, 2);
    gs_tensor r13 = make_bool((const uint8_t[]){0, 1, 1}, s13, 2);
    gs_tensor out = {0};
    CHECK_OK(gs_ge(col, r13, &out));
    CHECK_BOOL(out, s23, 2, (const uint8_t[]){1, 0, 0, 1, 1, 1});
    release(out);
    CHECK_OK(gs_ne(col, r13, &out));
    CHECK_BOOL(out, s23, 2, (const uint8_t[]){0, 1, 1, 1, 0, 0});
    release(out);

    release(a);
    release(row);
    release(x);
    release(y);
    release(col);
    release(r13);
}

static void binary_errors(void) {
    gs_tensor a = make_f32(a23, s23, 2, false);
    gs_tensor b2 = make_f32((const float[]){1, 2}, s2, 1, false);
    gs_tensor t = make_bool((const uint8_t[]){1, 0}, s2, 1);
    gs_tensor out = {12345};
    CHECK_ERROR(gs_sub(a, b2, &out), GS_ERR_SHAPE_MISMATCH); /* (2,3) with (2,) */
    CHECK_ERROR(gs_div(a, b2, &out), GS_ERR_SHAPE_MISMATCH);
    CHECK_ERROR(gs_pow(b2, a, &out), GS_ERR_SHAPE_MISMATCH);
    CHECK_ERROR(gs_maximum(a, b2, &out), GS_ERR_SHAPE_MISMATCH);
    CHECK_ERROR(gs_eq(a, b2, &out), GS_ERR_SHAPE_MISMATCH);
    CHECK_ERROR(gs_ge(b2, a, &out), GS_ERR_SHAPE_MISMATCH);
    CHECK_ERROR(gs_sub(t, t, &out), GS_ERR_DTYPE); /* NumPy: boolean subtract is a TypeError */
    CHECK(out.id == 12345);
    release(a);
    release(b2);
    release(t);
}

static void binary_gradients(void) {
    gs_tensor x = make_f32((const float[]){1, 2, 4}, s3, 1, true);
    gs_tensor w = make_f32((const float[]){2, 4, 0.5f}, s3, 1, true);
    gs_tensor z = {0}, s = {0};

    /* d(x/w)/dx = 1/w, d(x/w)/dw = -x/w^2 */
    CHECK_OK(gs_div(x, w, &z));
    CHECK_OK(gs_sum(z, NULL, -1, false, &s));
    CHECK_OK(gs_backward(s, false));
    CHECK_GRAD(x, s3, 1, (const float[]){0.5f, 0.25f, 2});
    CHECK_GRAD(w, s3, 1, (const float[]){-0.25f, -0.125f, -16});
    release(z);
    release(s);

    /* d(x**w)/dx = w x^(w-1), d(x**w)/dw = x^w ln x */
    CHECK_OK(gs_tensor_zero_grad(x));
    CHECK_OK(gs_tensor_zero_grad(w));
    CHECK_OK(gs_pow(x, w, &z));
    CHECK_OK(gs_sum(z, NULL, -1, false, &s));
    CHECK_OK(gs_backward(s, false));
    CHECK_GRAD(x, s3, 1, (const float[]){2, 32, 0.25f});
    CHECK_GRAD(w, s3, 1, (const float[]){0, (float)(16 * log(2.0)), (float)(2 * log(4.0))});
    release(z);
    release(s);

    /* maximum/minimum: the gradient goes to the winner, split in half on a tie */
    gs_tensor p = make_f32((const float[]){1, 5, 3}, s3, 1, true);
    gs_tensor q = make_f32((const float[]){2, 5, 1}, s3, 1, true);
    CHECK_OK(gs_maximum(p, q, &z));
    CHECK_OK(gs_sum(z, NULL, -1, false, &s));
    CHECK_OK(gs_backward(s, false));
    CHECK_GRAD(p, s3, 1, (const float[]){0, 0.5f, 1});
    CHECK_GRAD(q, s3, 1, (const float[]){1, 0.5f, 0});
    release(z);
    release(s);
    CHECK_OK(gs_tensor_zero_grad(p));
    CHECK_OK(gs_tensor_zero_grad(q));
    CHECK_OK(gs_minimum(p, q, &z));
    CHECK_OK(gs_sum(z, NULL, -1, false, &s));
    CHECK_OK(gs_backward(s, false));
    CHECK_GRAD(p, s3, 1, (const float[]){1, 0.5f, 0});
    CHECK_GRAD(q, s3, 1, (const float[]){0, 0.5f, 1});
    release(z);
    release(s);

    /* a broadcast operand's gradient is summed back: d sum(a - row) / d row = -2 */
    gs_tensor a = make_f32(a23, s23, 2, false);
    gs_tensor row = make_f32((const float[]){1, 2, 3}, s3, 1, true);
    CHECK_OK(gs_sub(a, row, &z));
    CHECK_OK(gs_sum(z, NULL, -1, false, &s));
    CHECK_OK(gs_backward(s, false));
    CHECK_GRAD(row, s3, 1, (const float[]){-2, -2, -2});
    release(z);
    release(s);

    release(x);
    release(w);
    release(p);
    release(q);
    release(a);
    release(row);
}

/* ---- in-place ops ---------------------------------------------------------------------------- */

static void inplace_tensor_values(void) {
    gs_tensor t = make_f32(a23, s23, 2, false);
    gs_tensor row = make_f32((const float[]){10, 20, 30}, s3, 1, false);
    gs_tensor col = make_f32((const float[]){1, 2}, s21, 2, false);
    const float two = 2;
    gs_tensor scalar = make_f32(&two, NULL, 0, false);
    void *before = NULL, *after = NULL;
    CHECK_OK(gs_tensor_data_ptr(t, &before));

    CHECK_OK(gs_inplace(GS_BINARY_OP_ADD, t, row));
    CHECK_F32(t, s23, 2, (const float[]){11, 22, 33, 14, 25, 36});
    CHECK_OK(gs_inplace(GS_BINARY_OP_SUB, t, col));
    CHECK_F32(t, s23, 2, (const float[]){10, 21, 32, 12, 23, 34});
    CHECK_OK(gs_inplace(GS_BINARY_OP_MUL, t, col));
    CHECK_F32(t, s23, 2, (const float[]){10, 21, 32, 24, 46, 68});
    CHECK_OK(gs_inplace(GS_BINARY_OP_DIV, t, scalar));
    CHECK_F32(t, s23, 2, (const float[]){5, 10.5f, 16, 12, 23, 34});
    CHECK_OK(gs_tensor_data_ptr(t, &after));
    CHECK(before == after); /* in place: same memory */

    /* int64 target with int64 and bool values stays int64 */
    gs_tensor i = make_i64(INTS(1, 2, 3), s3, 1);
    gs_tensor j = make_i64(INTS(10, 20, 30), s3, 1);
    gs_tensor mask = make_bool((const uint8_t[]){1, 0, 1}, s3, 1);
    CHECK_OK(gs_inplace(GS_BINARY_OP_ADD, i, j));
    CHECK_OK(gs_inplace(GS_BINARY_OP_MUL, i, mask));
    CHECK_I64(i, s3, 1, INTS(11, 0, 33));

    /* float32 target with a float64 value stays float32 */
    gs_tensor f = make_f32((const float[]){1, 2, 3}, s3, 1, false);
    gs_tensor d = make_f64((const double[]){0.5, 0.25, 0.125}, s3, 1, false);
    CHECK_OK(gs_inplace(GS_BINARY_OP_SUB, f, d));
    CHECK_F32(f, s3, 1, (const float[]){0.5f, 1.75f, 2.875f});

    release(t);
    release(row);
    release(col);
    release(scalar);
    release(i);
    release(j);
    release(mask);
    release(f);
    release(d);
}

static void inplace_scalar_values(void) {
    gs_tensor f = make_f32((const float[]){1, 2, 3}, s3, 1, false);
    CHECK_OK(gs_inplace_scalar(GS_BINARY_OP_ADD, f, 1, GS_SCALAR_KIND_INT));
    CHECK_F32(f, s3, 1, (const float[]){2, 3, 4});
    CHECK_OK(gs_inplace_scalar(GS_BINARY_OP_MUL, f, 2.5, GS_SCALAR_KIND_FLOAT));
    CHECK_F32(f, s3, 1, (const float[]){5, 7.5f, 10});
    CHECK_OK(gs_inplace_scalar(GS_BINARY_OP_SUB, f, 0.5, GS_SCALAR_KIND_FLOAT));
    CHECK_F32(f, s3, 1, (const float[]){4.5f, 7, 9.5f});
    CHECK_OK(gs_inplace_scalar(GS_BINARY_OP_DIV, f, 2, GS_SCALAR_KIND_INT));
    CHECK_F32(f, s3, 1, (const float[]){2.25f, 3.5f, 4.75f});

    gs_tensor i = make_i64(INTS(5, -6, 7), s3, 1);
    CHECK_OK(gs_inplace_scalar(GS_BINARY_OP_ADD, i, 3, GS_SCALAR_KIND_INT));
    CHECK_OK(gs_inplace_scalar(GS_BINARY_OP_MUL, i, 2, GS_SCALAR_KIND_INT));
    CHECK_OK(gs_inplace_scalar(GS_BINARY_OP_SUB, i, 1, GS_SCALAR_KIND_BOOL)); /* i -= True */
    CHECK_I64(i, s3, 1, INTS(15, -7, 19));

    release(f);
    release(i);
}

static void inplace_updates_views(void) {
    /* reshape shares memory, so writing through the reshaped handle changes the original */
    gs_tensor t = make_f32(a23, s23, 2, false);
    const int64_t s6[] = {6};
    gs_tensor flat = {0};
    CHECK_OK(gs_reshape(t, s6, 1, &flat));
    CHECK_OK(gs_inplace_scalar(GS_BINARY_OP_MUL, flat, 10, GS_SCALAR_KIND_INT));
    CHECK_F32(t, s23, 2, (const float[]){10, 20, 30, 40, 50, 60});
    release(flat);
    release(t);
}

static void inplace_on_requires_grad_fails_in_grad_mode(void) {
    gs_tensor x = make_f32((const float[]){1, 2, 3}, s3, 1, true);
    gs_tensor v = make_f32((const float[]){1, 1, 1}, s3, 1, false);
    CHECK_ERROR(gs_inplace(GS_BINARY_OP_ADD, x, v), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_inplace_scalar(GS_BINARY_OP_MUL, x, 2, GS_SCALAR_KIND_INT),
                GS_ERR_INVALID_ARGUMENT);
    CHECK_F32(x, s3, 1, (const float[]){1, 2, 3});

    /* allowed under no_grad, as an optimiser step does */
    CHECK_OK(gs_set_grad_enabled(false));
    CHECK_OK(gs_inplace(GS_BINARY_OP_SUB, x, v));
    CHECK_OK(gs_inplace_scalar(GS_BINARY_OP_MUL, x, 3, GS_SCALAR_KIND_INT));
    CHECK_OK(gs_set_grad_enabled(true));
    CHECK_F32(x, s3, 1, (const float[]){0, 3, 6});
    release(x);
    release(v);
}

static void inplace_int_target_rejects_float_result(void) {
    gs_tensor i = make_i64(INTS(4, 5, 6), s3, 1);
    gs_tensor f = make_f32((const float[]){1, 1, 1}, s3, 1, false);
    CHECK_ERROR(gs_inplace(GS_BINARY_OP_ADD, i, f), GS_ERR_DTYPE);
    CHECK_ERROR(gs_inplace(GS_BINARY_OP_DIV, i, i), GS_ERR_DTYPE); /* int / int is float64 */
    CHECK_ERROR(gs_inplace_scalar(GS_BINARY_OP_ADD, i, 1.5, GS_SCALAR_KIND_FLOAT), GS_ERR_DTYPE);
    CHECK_ERROR(gs_inplace_scalar(GS_BINARY_OP_DIV, i, 2, GS_SCALAR_KIND_INT), GS_ERR_DTYPE);
    CHECK_I64(i, s3, 1, INTS(4, 5, 6));

    /* a bool target takes no numbers */
    gs_tensor b = make_bool((const uint8_t[]){1, 0, 1}, s3, 1);
    CHECK_ERROR(gs_inplace(GS_BINARY_OP_ADD, b, i), GS_ERR_DTYPE);
    CHECK_BOOL(b, s3, 1, (const uint8_t[]){1, 0, 1});
    release(i);
    release(f);
    release(b);
}

static void inplace_cannot_grow_target(void) {
    gs_tensor t = make_f32((const float[]){1, 2, 3}, s3, 1, false);
    gs_tensor col = make_f32((const float[]){1, 2}, s21, 2, false);
    gs_tensor big = make_f32(a23, s23, 2, false);
    gs_tensor four = make_full(GS_DTYPE_FLOAT32, s4, 1, 1.0);
    CHECK_ERROR(gs_inplace(GS_BINARY_OP_ADD, t, big), GS_ERR_SHAPE_MISMATCH);  /* (3,) += (2,3) */
    CHECK_ERROR(gs_inplace(GS_BINARY_OP_MUL, col, big), GS_ERR_SHAPE_MISMATCH); /* (2,1) *= (2,3) */
    CHECK_ERROR(gs_inplace(GS_BINARY_OP_SUB, t, four), GS_ERR_SHAPE_MISMATCH); /* (3,) -= (4,) */
    CHECK_F32(t, s3, 1, (const float[]){1, 2, 3});
    CHECK_F32(col, s21, 2, (const float[]){1, 2});
    release(t);
    release(col);
    release(big);
    release(four);
}

static void inplace_rejects_other_ops(void) {
    gs_tensor t = make_f32((const float[]){1, 2, 3}, s3, 1, false);
    CHECK_ERROR(gs_inplace(GS_BINARY_OP_POW, t, t), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_inplace(99, t, t), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_inplace_scalar(GS_BINARY_OP_MAXIMUM, t, 2, GS_SCALAR_KIND_INT),
                GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_inplace_scalar(GS_BINARY_OP_ADD, t, 2, 7), GS_ERR_INVALID_ARGUMENT);
    CHECK_F32(t, s3, 1, (const float[]){1, 2, 3});
    release(t);
}

/* ---- reductions ------------------------------------------------------------------------------ */

/* The (2,3,4) float32 tensor holding 0, 1, ..., 23. */
static gs_tensor make_iota234(bool requires_grad) {
    float v[24];
    for (int i = 0; i < 24; i++)
        v[i] = (float)i;
    return make_f32(v, s234, 3, requires_grad);
}

static void mean_over_axes(void) {
    gs_tensor a = make_iota234(false);
    gs_tensor out = {0};

    CHECK_OK(gs_mean(a, NULL, -1, false, &out)); /* all axes */
    CHECK_F32(out, NULL, 0, (const float[]){11.5f});
    release(out);
    CHECK_OK(gs_mean(a, NULL, -1, true, &out));
    CHECK_F32(out, INTS(1, 1, 1), 3, (const float[]){11.5f});
    release(out);

    /* axis 0: a[0] + a[1] = 2j + 12 (j the flat index of the (3,4) rest) */
    float want[12];
    for (int j = 0; j < 12; j++)
        want[j] = (float)j + 6;
    CHECK_OK(gs_mean(a, INTS(0), 1, false, &out));
    CHECK_F32(out, INTS(3, 4), 2, want);
    release(out);

    /* non-adjacent axes {0, 2}: mean of 12i + 4j + k over i, k is 4j + 7.5 */
    CHECK_OK(gs_mean(a, INTS(0, 2), 2, false, &out));
    CHECK_F32(out, s3, 1, (const float[]){7.5f, 11.5f, 15.5f});
    release(out);
    CHECK_OK(gs_mean(a, INTS(2, -3), 2, true, &out));
    CHECK_F32(out, INTS(1, 3, 1), 3, (const float[]){7.5f, 11.5f, 15.5f});
    release(out);

    /* last axis with keepdims: (2,3,1) */
    CHECK_OK(gs_mean(a, INTS(-1), 1, true, &out));
    CHECK_F32(out, INTS(2, 3, 1), 3,
              (const float[]){1.5f, 5.5f, 9.5f, 13.5f, 17.5f, 21.5f});
    release(out);
    release(a);

    /* ints and bools give float64 */
    gs_tensor i = make_i64(INTS(1, 2, 4, 4), s4, 1);
    CHECK_OK(gs_mean(i, NULL, -1, false, &out));
    CHECK_F64(out, NULL, 0, (const double[]){2.75});
    release(out);
    gs_tensor b = make_bool((const uint8_t[]){1, 0, 1, 1}, s4, 1);
    CHECK_OK(gs_mean(b, NULL, -1, false, &out));
    CHECK_F64(out, NULL, 0, (const double[]){0.75});
    release(out);
    release(i);
    release(b);

    /* mean of nothing is NaN (NumPy warns and returns nan) */
    const int64_t s0[] = {0};
    gs_tensor empty = make_full(GS_DTYPE_FLOAT64, s0, 1, 0.0);
    CHECK_OK(gs_mean(empty, NULL, -1, false, &out));
    CHECK_F64(out, NULL, 0, (const double[]){NAN});
    release(out);
    release(empty);
}

/* m = [[3, -1, 7], [2, 8, 8]] */
static const float mv[] = {3, -1, 7, 2, 8, 8};

static void max_min_over_axes(void) {
    gs_tensor m = make_f32(mv, s23, 2, false);
    gs_tensor out = {0};

    CHECK_OK(gs_max(m, NULL, -1, false, &out));
    CHECK_F32(out, NULL, 0, (const float[]){8});
    release(out);
    CHECK_OK(gs_max(m, INTS(0), 1, false, &out));
    CHECK_F32(out, s3, 1, (const float[]){3, 8, 8});
    release(out);
    CHECK_OK(gs_max(m, INTS(1), 1, true, &out));
    CHECK_F32(out, s21, 2, (const float[]){7, 8});
    release(out);
    CHECK_OK(gs_max(m, INTS(0, 1), 2, true, &out));
    CHECK_F32(out, INTS(1, 1), 2, (const float[]){8});
    release(out);

    CHECK_OK(gs_min(m, NULL, -1, false, &out));
    CHECK_F32(out, NULL, 0, (const float[]){-1});
    release(out);
    CHECK_OK(gs_min(m, INTS(-1), 1, false, &out));
    CHECK_F32(out, s2, 1, (const float[]){-1, 2});
    release(out);
    CHECK_OK(gs_min(m, INTS(0), 1, true, &out));
    CHECK_F32(out, s13, 2, (const float[]){2, -1, 7});
    release(out);
    release(m);

    /* ints stay int64; NaN propagates */
    gs_tensor i = make_i64(INTS(4, -9, 2, 7), INTS(2, 2), 2);
    CHECK_OK(gs_max(i, INTS(1), 1, false, &out));
    CHECK_I64(out, s2, 1, INTS(4, 7));
    release(out);
    CHECK_OK(gs_min(i, NULL, -1, false, &out));
    CHECK_I64(out, NULL, 0, INTS(-9));
    release(out);
    release(i);
    gs_tensor n = make_f64((const double[]){1, NAN, 3}, s3, 1, false);
    CHECK_OK(gs_max(n, NULL, -1, false, &out));
    CHECK_F64(out, NULL, 0, (const double[]){NAN});
    release(out);
    CHECK_OK(gs_min(n, NULL, -1, false, &out));
    CHECK_F64(out, NULL, 0, (const double[]){NAN});
    release(out);
    release(n);
}

static void argmax_argmin_first_index(void) {
    gs_tensor m = make_f32(mv, s23, 2, false);
    gs_tensor out = {0};

    CHECK_OK(gs_argmax(m, NULL, -1, false, &out)); /* into the flattened tensor; first of ties */
    CHECK_I64(out, NULL, 0, INTS(4));
    release(out);
    CHECK_OK(gs_argmax(m, NULL, -1, true, &out));
    CHECK_I64(out, INTS(1, 1), 2, INTS(4));
    release(out);
    CHECK_OK(gs_argmax(m, INTS(0), 1, false, &out));
    CHECK_I64(out, s3, 1, INTS(0, 1, 1));
    release(out);
    CHECK_OK(gs_argmax(m, INTS(1), 1, true, &out));
    CHECK_I64(out, s21, 2, INTS(2, 1));
    release(out);

    CHECK_OK(gs_argmin(m, NULL, -1, false, &out));
    CHECK_I64(out, NULL, 0, INTS(1));
    release(out);
    CHECK_OK(gs_argmin(m, INTS(0), 1, true, &out));
    CHECK_I64(out, s13, 2, INTS(1, 0, 0));
    release(out);
    CHECK_OK(gs_argmin(m, INTS(-1), 1, false, &out));
    CHECK_I64(out, s2, 1, INTS(1, 0));
    release(out);
    release(m);

    /* a NaN wins both (NumPy); ints work too */
    gs_tensor n = make_f64((const double[]){1, NAN, 3}, s3, 1, false);
    CHECK_OK(gs_argmax(n, NULL, -1, false, &out));
    CHECK_I64(out, NULL, 0, INTS(1));
    release(out);
    CHECK_OK(gs_argmin(n, NULL, -1, false, &out));
    CHECK_I64(out, NULL, 0, INTS(1));
    release(out);
    release(n);
    gs_tensor i = make_i64(INTS(5, -2, 9, -2), s4, 1);
    CHECK_OK(gs_argmin(i, INTS(0), 1, false, &out));
    CHECK_I64(out, NULL, 0, INTS(1));
    release(out);
    release(i);
}

/* sum(reduce(x)) backward; the caller checks x's gradient. */
typedef int32_t (*reduce_fn)(gs_tensor, const int64_t *, int32_t, bool, gs_tensor *);

static void backward_through(reduce_fn fn, gs_tensor x, const int64_t *axes, int32_t naxes,
                             bool keepdims) {
    gs_tensor r = {0}, s = {0};
    CHECK_OK(gs_tensor_zero_grad(x));
    CHECK_OK(fn(x, axes, naxes, keepdims, &r));
    CHECK_OK(gs_sum(r, NULL, -1, false, &s));
    CHECK_OK(gs_backward(s, false));
    release(r);
    release(s);
}

static void mean_max_min_gradients(void) {
    gs_tensor x = make_f32(mv, s23, 2, true);
    const float third = 1.0f / 3;

    backward_through(gs_mean, x, INTS(1), 1, false);
    CHECK_GRAD(x, s23, 2, (const float[]){third, third, third, third, third, third});
    backward_through(gs_mean, x, NULL, -1, true);
    CHECK_GRAD(x, s23, 2, (const float[]){1 / 6.f, 1 / 6.f, 1 / 6.f, 1 / 6.f, 1 / 6.f, 1 / 6.f});

    /* max along axis 1: row 0 has one winner, row 1 a tie that shares the gradient */
    backward_through(gs_max, x, INTS(1), 1, false);
    CHECK_GRAD(x, s23, 2, (const float[]){0, 0, 1, 0, 0.5f, 0.5f});
    backward_through(gs_max, x, INTS(0), 1, true);
    CHECK_GRAD(x, s23, 2, (const float[]){1, 0, 0, 0, 1, 1});
    backward_through(gs_max, x, NULL, -1, false);
    CHECK_GRAD(x, s23, 2, (const float[]){0, 0, 0, 0, 0.5f, 0.5f});
    backward_through(gs_min, x, NULL, -1, false);
    CHECK_GRAD(x, s23, 2, (const float[]){0, 1, 0, 0, 0, 0});
    backward_through(gs_min, x, INTS(0), 1, false);
    CHECK_GRAD(x, s23, 2, (const float[]){0, 1, 1, 1, 0, 0});
    release(x);

    /* mean over non-adjacent axes of a 3-D tensor: 1/8 everywhere */
    gs_tensor a = make_iota234(true);
    backward_through(gs_mean, a, INTS(0, 2), 2, true);
    float eighth[24];
    for (int i = 0; i < 24; i++)
        eighth[i] = 0.125f;
    CHECK_GRAD(a, s234, 3, eighth);
    release(a);
}

static void reductions_reject_bad_axes(void) {
    gs_tensor m = make_f32(mv, s23, 2, false);
    gs_tensor out = {12345};
    CHECK_ERROR(gs_mean(m, INTS(2), 1, false, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_max(m, INTS(-3), 1, false, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_min(m, INTS(1, -1), 2, false, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_argmax(m, INTS(5), 1, false, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_argmax(m, INTS(0, 1), 2, false, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_argmin(m, INTS(-3), 1, false, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_mean(m, NULL, 1, false, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK(out.id == 12345);

    /* max, min, argmax of nothing have no identity (NumPy ValueError) */
    const int64_t s0[] = {0};
    gs_tensor empty = make_full(GS_DTYPE_FLOAT32, s0, 1, 0.0);
    CHECK_ERROR(gs_max(empty, NULL, -1, false, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_argmin(empty, NULL, -1, false, &out), GS_ERR_INVALID_ARGUMENT);
    release(empty);
    release(m);
}

void test_ops(void) {
    sub_div_pow_broadcast();
    div_of_ints_gives_float64();
    pow_dtypes();
    maximum_minimum_broadcast();
    maximum_minimum_nan_and_dtypes();
    comparisons_broadcast_to_bool();
    binary_errors();
    binary_gradients();
    inplace_tensor_values();
    inplace_scalar_values();
    inplace_updates_views();
    inplace_on_requires_grad_fails_in_grad_mode();
    inplace_int_target_rejects_float_result();
    inplace_cannot_grow_target();
    inplace_rejects_other_ops();
    mean_over_axes();
    max_min_over_axes();
    argmax_argmin_first_index();
    mean_max_min_gradients();
    reductions_reject_bad_axes();
}
