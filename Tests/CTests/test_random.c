/* Random tensors (seed, uniform, normal) and rebinding a tensor's data (set_data,
 * set_requires_grad). */
#include <stdlib.h>

#include "check.h"

enum { SAMPLES = 10000 };
static const int64_t s_samples[] = {SAMPLES};

/* A float64 tensor of `n` uniform samples in [0, 1), copied into `out`. */
static void uniform_f64(int64_t n, double *out) {
    gs_tensor t = {0};
    CHECK_OK(gs_tensor_uniform(GS_DTYPE_FLOAT64, &n, 1, 0.0, 1.0, false, &t));
    CHECK_OK(gs_tensor_copy_data(t, out, n * (int64_t)sizeof(double)));
    release(t);
}

/* A float64 tensor of `n` standard normal samples, copied into `out`. */
static void normal_f64(int64_t n, double *out) {
    gs_tensor t = {0};
    CHECK_OK(gs_tensor_normal(GS_DTYPE_FLOAT64, &n, 1, 0.0, 1.0, false, &t));
    CHECK_OK(gs_tensor_copy_data(t, out, n * (int64_t)sizeof(double)));
    release(t);
}

/* Sample mean and standard deviation (population, as np.std) of `n` values. */
static void moments(const double *v, int n, double *mean, double *std) {
    double sum = 0, sq = 0;
    for (int i = 0; i < n; i++)
        sum += v[i];
    *mean = sum / n;
    for (int i = 0; i < n; i++)
        sq += (v[i] - *mean) * (v[i] - *mean);
    *std = sqrt(sq / n);
}

/* t's elements as float64 (through gs_tensor_astype); `n` elements. */
static void read_as_f64(gs_tensor t, double *dst, int64_t n) {
    gs_tensor d = {0};
    if (CHECK_OK(gs_tensor_astype(t, GS_DTYPE_FLOAT64, &d))) {
        CHECK_OK(gs_tensor_copy_data(d, dst, n * (int64_t)sizeof(double)));
        release(d);
    }
}

static void same_seed_gives_same_samples(void) {
    double a[8], b[8], c[8];
    CHECK_OK(gs_manual_seed(42));
    uniform_f64(8, a);
    CHECK_OK(gs_manual_seed(42));
    uniform_f64(8, b);
    CHECK(memcmp(a, b, sizeof a) == 0);

    /* the sequence goes on without a reseed */
    uniform_f64(8, c);
    CHECK(memcmp(a, c, sizeof a) != 0);

    /* normal samples come in Box-Muller pairs; an odd count leaves a spare, which a reseed
       must drop so the sequence restarts exactly */
    CHECK_OK(gs_manual_seed(7));
    normal_f64(3, a);
    CHECK_OK(gs_manual_seed(7));
    normal_f64(3, b);
    CHECK(memcmp(a, b, 3 * sizeof(double)) == 0);
}

static void different_seed_gives_different_samples(void) {
    double a[8], b[8];
    CHECK_OK(gs_manual_seed(1));
    uniform_f64(8, a);
    CHECK_OK(gs_manual_seed(2));
    uniform_f64(8, b);
    int same = 0;
    for (int i = 0; i < 8; i++)
        same += a[i] == b[i];
    CHECK(same == 0);

    CHECK_OK(gs_manual_seed(1));
    normal_f64(8, a);
    CHECK_OK(gs_manual_seed(2));
    normal_f64(8, b);
    CHECK(memcmp(a, b, sizeof a) != 0);
}

/* uniform(low, high) of `dtype`: the dtype and shape asked for, every sample in [low, high),
   and the samples spread over the range (min and max near the ends). */
static void check_uniform(int32_t dtype, double low, double high) {
    const int64_t shape[] = {100, 100};
    gs_tensor t = {0};
    CHECK_OK(gs_tensor_uniform(dtype, shape, 2, low, high, false, &t));
    CHECK_META(t, dtype, shape, 2);
    double *v = malloc(SAMPLES * sizeof(double));
    read_as_f64(t, v, SAMPLES);
    double lo = v[0], hi = v[0];
    int outside = 0;
    for (int i = 0; i < SAMPLES; i++) {
        outside += !(v[i] >= low && v[i] < high);
        lo = fmin(lo, v[i]);
        hi = fmax(hi, v[i]);
    }
    CHECK(outside == 0);
    double width = high - low;
    CHECK(lo < low + 0.01 * width);
    CHECK(hi > high - 0.01 * width);
    double mean, std;
    moments(v, SAMPLES, &mean, &std);
    CHECK(fabs(mean - (low + high) / 2) < 0.02 * width); /* standard error ~0.003 * width */
    free(v);
    release(t);
}

static void uniform_range_and_dtype(void) {
    CHECK_OK(gs_manual_seed(123));
    check_uniform(GS_DTYPE_FLOAT32, -2.0, 3.0);
    check_uniform(GS_DTYPE_FLOAT64, 10.0, 10.5);

    /* requires_grad is honoured */
    const int64_t s2[] = {2};
    gs_tensor t = {0};
    bool flag = false;
    CHECK_OK(gs_tensor_uniform(GS_DTYPE_FLOAT32, s2, 1, 0.0, 1.0, true, &t));
    CHECK_OK(gs_tensor_requires_grad(t, &flag));
    CHECK(flag);
    release(t);
}

static void uniform_rejects_bad_arguments(void) {
    const int64_t s2[] = {2};
    gs_tensor t = {0};
    CHECK_ERROR(gs_tensor_uniform(GS_DTYPE_INT64, s2, 1, 0.0, 1.0, false, &t), GS_ERR_DTYPE);
    CHECK_ERROR(gs_tensor_uniform(GS_DTYPE_BOOL, s2, 1, 0.0, 1.0, false, &t), GS_ERR_DTYPE);
    CHECK_ERROR(gs_tensor_uniform(GS_DTYPE_FLOAT32, s2, 1, 1.0, 0.0, false, &t),
                GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_tensor_uniform(GS_DTYPE_FLOAT64, s2, 1, NAN, 1.0, false, &t),
                GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_tensor_uniform(GS_DTYPE_FLOAT64, s2, 1, 0.0, INFINITY, false, &t),
                GS_ERR_INVALID_ARGUMENT);
}

/* normal(mean, std) on 10000 samples of `dtype`: the sample moments are close (the standard
   error of the mean is std / 100, of the std about std / 141). */
static void check_normal(int32_t dtype, double mean, double std) {
    gs_tensor t = {0};
    CHECK_OK(gs_tensor_normal(dtype, s_samples, 1, mean, std, false, &t));
    CHECK_META(t, dtype, s_samples, 1);
    double *v = malloc(SAMPLES * sizeof(double));
    read_as_f64(t, v, SAMPLES);
    double m, s;
    moments(v, SAMPLES, &m, &s);
    if (!CHECK(fabs(m - mean) < 0.05 * std) || !CHECK(fabs(s - std) < 0.05 * std))
        fprintf(stderr, "  normal(%g, %g) [dtype %d]: sample mean %g, std %g\n", mean, std,
                (int)dtype, m, s);
    /* roughly 68% within one std */
    int within = 0;
    for (int i = 0; i < SAMPLES; i++)
        within += fabs(v[i] - mean) < std;
    CHECK(within > 6500 && within < 7150);
    free(v);
    release(t);
}

static void normal_sample_moments(void) {
    CHECK_OK(gs_manual_seed(2024));
    check_normal(GS_DTYPE_FLOAT64, 2.0, 0.5);
    check_normal(GS_DTYPE_FLOAT32, -3.0, 4.0);

    /* std 0 is allowed (as NumPy's scale=0): every sample is the mean */
    const int64_t s3[] = {3};
    gs_tensor t = {0};
    CHECK_OK(gs_tensor_normal(GS_DTYPE_FLOAT64, s3, 1, 1.5, 0.0, false, &t));
    CHECK_F64(t, s3, 1, (const double[]){1.5, 1.5, 1.5});
    release(t);
}

static void normal_rejects_bad_std(void) {
    const int64_t s2[] = {2};
    gs_tensor t = {12345};
    CHECK_ERROR(gs_tensor_normal(GS_DTYPE_FLOAT32, s2, 1, 0.0, -1.0, false, &t),
                GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_tensor_normal(GS_DTYPE_FLOAT64, s2, 1, 0.0, NAN, false, &t),
                GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_tensor_normal(GS_DTYPE_FLOAT64, s2, 1, INFINITY, 1.0, false, &t),
                GS_ERR_INVALID_ARGUMENT);
    CHECK(t.id == 12345);
    CHECK_ERROR(gs_tensor_normal(GS_DTYPE_INT64, s2, 1, 0.0, 1.0, false, &t), GS_ERR_DTYPE);
}

static void set_data_rebinds_shape_and_dtype(void) {
    const int64_t s23[] = {2, 3}, s4[] = {4};
    gs_tensor x = make_f32((const float[]){1, 2, 3, 4, 5, 6}, s23, 2, false);
    gs_tensor old = {0};
    CHECK_OK(gs_tensor_detach(x, &old)); /* shares x's current memory */

    CHECK_OK(gs_tensor_set_data(x, INTS(7, -8, 9, 10), GS_DTYPE_INT64, s4, 1));
    CHECK_I64(x, s4, 1, INTS(7, -8, 9, 10));
    /* fresh memory: the handle that shared the old memory keeps the old values */
    CHECK_F32(old, s23, 2, (const float[]){1, 2, 3, 4, 5, 6});
    void *px = NULL, *pold = NULL;
    CHECK_OK(gs_tensor_data_ptr(x, &px));
    CHECK_OK(gs_tensor_data_ptr(old, &pold));
    CHECK(px != pold);

    /* ops see the new data */
    gs_tensor y = {0};
    CHECK_OK(gs_add(x, x, &y));
    CHECK_I64(y, s4, 1, INTS(14, -16, 18, 20));
    release(y);

    /* a 0-d float64 next */
    CHECK_OK(gs_tensor_set_data(x, (const double[]){2.5}, GS_DTYPE_FLOAT64, NULL, 0));
    CHECK_F64(x, NULL, 0, (const double[]){2.5});

    CHECK_ERROR(gs_tensor_set_data(x, NULL, GS_DTYPE_FLOAT32, s4, 1), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_tensor_set_data(x, (const float[]){1}, 9, NULL, 0), GS_ERR_DTYPE);
    CHECK_F64(x, NULL, 0, (const double[]){2.5}); /* unchanged by the failures */

    release(old);
    release(x);
}

static void set_data_keeps_grad_only_for_same_layout(void) {
    const int64_t s2[] = {2}, s3[] = {3};
    gs_tensor x = make_f32((const float[]){1, 2}, s2, 1, true);
    gs_tensor y = {0};
    CHECK_OK(gs_sum(x, NULL, -1, false, &y));
    CHECK_OK(gs_backward(y, false));
    release(y);
    CHECK_GRAD(x, s2, 1, (const float[]){1, 1});

    /* same shape and dtype: the gradient stays */
    CHECK_OK(gs_tensor_set_data(x, (const float[]){5, 6}, GS_DTYPE_FLOAT32, s2, 1));
    CHECK_GRAD(x, s2, 1, (const float[]){1, 1});

    /* another shape: the gradient is dropped (a new zero buffer of the new shape) */
    CHECK_OK(gs_tensor_set_data(x, (const float[]){1, 2, 3}, GS_DTYPE_FLOAT32, s3, 1));
    CHECK_GRAD(x, s3, 1, (const float[]){0, 0, 0});

    /* a tensor that requires grad cannot hold int data */
    CHECK_ERROR(gs_tensor_set_data(x, INTS(1, 2, 3), GS_DTYPE_INT64, s3, 1),
                GS_ERR_DTYPE);
    CHECK_F32(x, s3, 1, (const float[]){1, 2, 3});
    release(x);
}

static void backward_after_set_data_fails(void) {
    const int64_t s3[] = {3}, s2[] = {2};
    /* an input requiring grad rebound to another shape */
    gs_tensor x = make_f32((const float[]){1, 2, 3}, s3, 1, true);
    gs_tensor w = make_f32((const float[]){4, 5, 6}, s3, 1, false);
    gs_tensor xw = {0}, y = {0};
    CHECK_OK(gs_mul(x, w, &xw));
    CHECK_OK(gs_sum(xw, NULL, -1, false, &y));
    CHECK_OK(gs_tensor_set_data(x, (const float[]){1, 2}, GS_DTYPE_FLOAT32, s2, 1));
    CHECK_ERROR(gs_backward(y, false), GS_ERR_INVALID_STATE);
    release(xw);
    release(y);

    /* a constant input rebound to another dtype */
    CHECK_OK(gs_tensor_set_data(x, (const float[]){1, 2, 3}, GS_DTYPE_FLOAT32, s3, 1));
    CHECK_OK(gs_mul(x, w, &xw));
    CHECK_OK(gs_sum(xw, NULL, -1, false, &y));
    CHECK_OK(gs_tensor_set_data(w, (const double[]){4, 5, 6}, GS_DTYPE_FLOAT64, s3, 1));
    CHECK_ERROR(gs_backward(y, false), GS_ERR_INVALID_STATE);
    release(xw);
    release(y);

    release(x);
    release(w);
}

static void set_requires_grad_on_float_only(void) {
    const int64_t s2[] = {2};
    gs_tensor f = make_f32((const float[]){1, 2}, s2, 1, false);
    bool flag = false;
    CHECK_OK(gs_tensor_set_requires_grad(f, true));
    CHECK_OK(gs_tensor_requires_grad(f, &flag));
    CHECK(flag);
    CHECK_OK(gs_tensor_is_leaf(f, &flag));
    CHECK(flag);

    /* an op's result is not a leaf: its flag cannot be changed */
    gs_tensor y = {0};
    CHECK_OK(gs_mul(f, f, &y));
    CHECK_ERROR(gs_tensor_set_requires_grad(y, false), GS_ERR_INVALID_ARGUMENT);
    release(y);

    CHECK_OK(gs_tensor_set_requires_grad(f, false));
    CHECK_OK(gs_tensor_requires_grad(f, &flag));
    CHECK(!flag);
    release(f);

    gs_tensor i = make_i64(INTS(1, 2), s2, 1);
    CHECK_ERROR(gs_tensor_set_requires_grad(i, true), GS_ERR_DTYPE);
    CHECK_OK(gs_tensor_requires_grad(i, &flag));
    CHECK(!flag);
    CHECK_OK(gs_tensor_set_requires_grad(i, false)); /* turning it off is harmless */
    release(i);

    gs_tensor b = make_bool((const uint8_t[]){1, 0}, s2, 1);
    CHECK_ERROR(gs_tensor_set_requires_grad(b, true), GS_ERR_DTYPE);
    release(b);
}

void test_random(void) {
    same_seed_gives_same_samples();
    different_seed_gives_different_samples();
    uniform_range_and_dtype();
    uniform_rejects_bad_arguments();
    normal_sample_moments();
    normal_rejects_bad_std();
    set_data_rebinds_shape_and_dtype();
    set_data_keeps_grad_only_for_same_layout();
    backward_after_set_data_fails();
    set_requires_grad_on_float_only();
}
