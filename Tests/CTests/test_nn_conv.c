/* Convolution and pooling: gs_conv1d/2d, gs_max_pool1d/2d, gs_avg_pool1d/2d (values and
 * gradients worked out by hand, PyTorch semantics), their layer constructors, and every error
 * path of these functions.
 */
#include "check.h"

static const int64_t s1133[] = {1, 1, 3, 3}, s1122[] = {1, 1, 2, 2}, s1124[] = {1, 1, 2, 4},
                     s1115[] = {1, 1, 1, 5}, s115[] = {1, 1, 5}, s116[] = {1, 1, 6},
                     s124[] = {1, 2, 4}, s122[] = {1, 2, 2}, s113[] = {1, 1, 3};
static const float x33[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
static const float diagonal[] = {1, 0, 0, 1};

/* Sums `t` and back-propagates (checked). */
static void backward_of_sum(gs_tensor t) {
    gs_tensor total = {0};
    CHECK_OK(gs_sum(t, NULL, -1, false, &total));
    CHECK_OK(gs_backward(total, false));
    release(total);
}

/* ---- convolution ------------------------------------------------------------------------- */

static void conv2d_values_and_gradients(void) {
    gs_tensor x = make_f32(x33, s1133, 4, true);
    gs_tensor w = make_f32(diagonal, s1122, 4, true);
    const float half = 0.5f;
    gs_tensor b = make_f32(&half, INTS(1), 1, true);
    gs_tensor out = {0};

    /* each output is x[i][j] + x[i+1][j+1], plus the bias */
    CHECK_OK(gs_conv2d(x, w, b, 1, 0, &out));
    CHECK_F32(out, s1122, 4, (const float[]){6.5f, 8.5f, 12.5f, 14.5f});
    backward_of_sum(out);
    CHECK_GRAD(x, s1133, 4, (const float[]){1, 1, 0, 1, 2, 1, 0, 1, 1});
    CHECK_GRAD(w, s1122, 4, (const float[]){12, 16, 24, 28});
    CHECK_GRAD(b, INTS(1), 1, (const float[]){4});
    release(out);

    /* padding 1, stride 2: windows start at (-1,-1), (-1,1), (1,-1), (1,1); no bias */
    CHECK_OK(gs_conv2d(x, w, (gs_tensor){0}, 2, 1, &out));
    CHECK_F32(out, s1122, 4, (const float[]){1, 3, 7, 14});
    release(out);

    release(x);
    release(w);
    release(b);
}

static void conv1d_values_and_gradients(void) {
    /* channel 0: 1 2 3 4 with kernel [1 1]; channel 1: 0 1 0 1 with kernel [2 0] */
    gs_tensor x = make_f64((const double[]){1, 2, 3, 4, 0, 1, 0, 1}, s124, 3, true);
    gs_tensor w = make_f64((const double[]){1, 1, 2, 0}, s122, 3, true);
    gs_tensor b = make_f64((const double[]){-1}, INTS(1, 1, 1), 3, false);
    gs_tensor out = {0};
    CHECK_OK(gs_conv1d(x, w, (gs_tensor){0}, 1, 0, &out));
    CHECK_F64(out, s113, 3, (const double[]){3, 7, 7});
    release(out);
    CHECK_OK(gs_conv1d(x, w, b, 1, 0, &out));
    CHECK_F64(out, s113, 3, (const double[]){2, 6, 6});
    backward_of_sum(out);
    gs_tensor g = {0};
    CHECK_OK(gs_tensor_grad(w, &g)); /* sums of the inputs each tap sees */
    CHECK_F64(g, s122, 3, (const double[]){6, 9, 1, 2});
    release(g);
    CHECK_OK(gs_tensor_grad(x, &g));
    CHECK_F64(g, s124, 3, (const double[]){1, 2, 2, 1, 2, 2, 2, 0});
    release(g);
    release(out);
    release(x);
    release(w);
    release(b);
}

static void conv_errors(void) {
    gs_tensor x4 = make_f32(x33, s1133, 4, false), w4 = make_f32(diagonal, s1122, 4, false);
    gs_tensor x3 = make_full(GS_DTYPE_FLOAT32, s115, 3, 1), w3 = make_full(GS_DTYPE_FLOAT32, s122, 3, 1);
    gs_tensor w64 = make_full(GS_DTYPE_FLOAT64, s1122, 4, 1);
    gs_tensor xi = make_full(GS_DTYPE_INT64, s1133, 4, 1), wi = make_full(GS_DTYPE_INT64, s1122, 4, 1);
    gs_tensor w2ch = make_full(GS_DTYPE_FLOAT32, INTS(1, 2, 2, 2), 4, 1);
    gs_tensor big = make_full(GS_DTYPE_FLOAT32, INTS(1, 1, 5, 5), 4, 1);
    gs_tensor b2 = make_full(GS_DTYPE_FLOAT32, INTS(2), 1, 0), bi = make_full(GS_DTYPE_INT64, INTS(1), 1, 0);
    gs_tensor stale = make_full(GS_DTYPE_FLOAT32, s1133, 4, 1);
    release(stale);
    gs_tensor out = {0};

    CHECK_ERROR(gs_conv2d(x4, w4, (gs_tensor){0}, 1, 0, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_conv2d((gs_tensor){0}, w4, (gs_tensor){0}, 1, 0, &out), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_conv2d(x4, stale, (gs_tensor){0}, 1, 0, &out), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_conv2d(x4, w4, stale, 1, 0, &out), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_conv2d(x3, w4, (gs_tensor){0}, 1, 0, &out), GS_ERR_INVALID_ARGUMENT);      /* rank of x */
    CHECK_ERROR(gs_conv2d(x4, w3, (gs_tensor){0}, 1, 0, &out), GS_ERR_INVALID_ARGUMENT);      /* rank of w */
    CHECK_ERROR(gs_conv2d(x4, w2ch, (gs_tensor){0}, 1, 0, &out), GS_ERR_SHAPE_MISMATCH);      /* channels */
    CHECK(strstr(gs_last_error(), "input has 1 channels, weight expects 2") != NULL);
    CHECK_ERROR(gs_conv2d(x4, big, (gs_tensor){0}, 1, 0, &out), GS_ERR_INVALID_ARGUMENT);     /* kernel > input */
    CHECK(strstr(gs_last_error(), "larger than the padded input") != NULL);
    CHECK_OK(gs_conv2d(x4, big, (gs_tensor){0}, 1, 1, &out));                                /* fits once padded */
    CHECK_META(out, GS_DTYPE_FLOAT32, INTS(1, 1, 1, 1), 4);
    release(out);
    CHECK_ERROR(gs_conv2d(x4, w4, (gs_tensor){0}, 0, 0, &out), GS_ERR_INVALID_ARGUMENT);      /* stride 0 */
    CHECK_ERROR(gs_conv2d(x4, w4, (gs_tensor){0}, -2, 0, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_conv2d(x4, w4, (gs_tensor){0}, 1, -1, &out), GS_ERR_INVALID_ARGUMENT);     /* padding < 0 */
    CHECK_ERROR(gs_conv2d(x4, w4, (gs_tensor){0}, 1, INT64_C(1) << 62, &out), GS_ERR_OUT_OF_MEMORY);
    CHECK_ERROR(gs_conv2d(x4, w4, (gs_tensor){0}, 1, INT64_MAX, &out), GS_ERR_OUT_OF_MEMORY);
    CHECK_OK(gs_conv2d(x4, w64, (gs_tensor){0}, 1, 0, &out));                               /* promoted */
    CHECK_META(out, GS_DTYPE_FLOAT64, INTS(1, 1, 2, 2), 4);
    release(out);
    CHECK_ERROR(gs_conv2d(xi, wi, (gs_tensor){0}, 1, 0, &out), GS_ERR_DTYPE);                 /* int input */
    CHECK_ERROR(gs_conv2d(x4, w4, b2, 1, 0, &out), GS_ERR_SHAPE_MISMATCH);       /* bias size */
    CHECK_ERROR(gs_conv2d(x4, w4, bi, 1, 0, &out), GS_ERR_DTYPE);                /* int bias */

    CHECK_ERROR(gs_conv1d(x3, w3, (gs_tensor){0}, 1, 0, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_conv1d((gs_tensor){0}, w3, (gs_tensor){0}, 1, 0, &out), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_conv1d(x3, (gs_tensor){0}, (gs_tensor){0}, 1, 0, &out), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_conv1d(x4, w3, (gs_tensor){0}, 1, 0, &out), GS_ERR_INVALID_ARGUMENT);      /* rank */
    CHECK_ERROR(gs_conv1d(x3, w3, (gs_tensor){0}, 1, 0, &out), GS_ERR_SHAPE_MISMATCH);        /* 1 vs 2 channels */
    gs_tensor w1 = make_full(GS_DTYPE_FLOAT32, INTS(1, 1, 7), 3, 1);
    CHECK_ERROR(gs_conv1d(x3, w1, (gs_tensor){0}, 1, 0, &out), GS_ERR_INVALID_ARGUMENT);      /* kernel 7 > 5 */
    CHECK_ERROR(gs_conv1d(x3, w1, (gs_tensor){0}, 0, 1, &out), GS_ERR_INVALID_ARGUMENT);      /* stride 0 */
    CHECK_OK(gs_conv1d(x3, w1, (gs_tensor){0}, 2, 1, &out));                                 /* 7 of 7, stride 2 */
    CHECK_F32(out, INTS(1, 1, 1), 3, (const float[]){5});
    release(out);

    gs_tensor all[] = {x4, w4, x3, w3, w64, xi, wi, w2ch, big, b2, bi, w1};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) release(all[i]);
}

/* ---- pooling ----------------------------------------------------------------------------- */

static void pool2d_values_and_gradients(void) {
    gs_tensor x = make_f32((const float[]){1, -3, 3, 0, -2, 2, 5, 5}, s1124, 4, true);
    gs_tensor out = {0};
    CHECK_OK(gs_max_pool2d(x, 2, 2, 0, &out));
    CHECK_F32(out, INTS(1, 1, 1, 2), 4, (const float[]){2, 5});
    backward_of_sum(out); /* the first of the tied 5s takes the gradient */
    CHECK_GRAD(x, s1124, 4, (const float[]){0, 0, 0, 0, 0, 1, 1, 0});
    release(out);
    CHECK_OK(gs_avg_pool2d(x, 2, 2, 0, &out));
    CHECK_F32(out, INTS(1, 1, 1, 2), 4, (const float[]){-0.5f, 3.25f});
    release(out);
    release(x);

    /* negative inputs with padding: the padding never wins a max (it is -inf), and counts in
       the average */
    gs_tensor n = make_f32((const float[]){-1, -2, -3, -4}, s1122, 4, false);
    CHECK_OK(gs_max_pool2d(n, 2, 2, 1, &out));
    CHECK_F32(out, s1122, 4, (const float[]){-1, -2, -3, -4});
    release(out);
    CHECK_OK(gs_avg_pool2d(n, 2, 2, 1, &out));
    CHECK_F32(out, s1122, 4, (const float[]){-0.25f, -0.5f, -0.75f, -1});
    release(out);
    release(n);
}

static void pool1d_values_and_gradients(void) {
    gs_tensor x = make_f32((const float[]){1, 5, 2, 2, 0}, s115, 3, true);
    gs_tensor out = {0};
    CHECK_OK(gs_max_pool1d(x, 2, 1, 1, &out));
    CHECK_F32(out, s116, 3, (const float[]){1, 5, 5, 2, 2, 0});
    backward_of_sum(out);
    CHECK_GRAD(x, s115, 3, (const float[]){1, 2, 1, 1, 1});
    release(out);
    CHECK_OK(gs_avg_pool1d(x, 2, 1, 1, &out));
    CHECK_F32(out, s116, 3, (const float[]){0.5f, 3, 3.5f, 2, 1, 0});
    backward_of_sum(out);
    CHECK_GRAD(x, s115, 3, (const float[]){2, 3, 2, 2, 2}); /* the max gradients + 1 each */
    release(out);
    release(x);
}

typedef int32_t (*pool_fn)(gs_tensor, int64_t, int64_t, int64_t, gs_tensor *);

static void pool_errors(void) {
    gs_tensor x4 = make_full(GS_DTYPE_FLOAT32, INTS(1, 1, 4, 4), 4, 1);
    gs_tensor x3 = make_full(GS_DTYPE_FLOAT32, INTS(1, 1, 4), 3, 1);
    gs_tensor xi = make_full(GS_DTYPE_INT64, INTS(1, 1, 4, 4), 4, 1);
    gs_tensor xi3 = make_full(GS_DTYPE_INT64, INTS(1, 1, 4), 3, 1);
    gs_tensor flat = make_full(GS_DTYPE_FLOAT32, s1115, 4, 1);
    pool_fn two_d[] = {gs_max_pool2d, gs_avg_pool2d}, one_d[] = {gs_max_pool1d, gs_avg_pool1d};
    gs_tensor out = {0};
    for (int i = 0; i < 2; i++) {
        pool_fn f = two_d[i], g = one_d[i];
        CHECK_ERROR(f(x4, 2, 2, 0, NULL), GS_ERR_INVALID_ARGUMENT);
        CHECK_ERROR(f((gs_tensor){0}, 2, 2, 0, &out), GS_ERR_INVALID_HANDLE);
        CHECK_ERROR(f(x3, 2, 2, 0, &out), GS_ERR_INVALID_ARGUMENT);   /* rank */
        CHECK_ERROR(f(x4, 0, 1, 0, &out), GS_ERR_INVALID_ARGUMENT);   /* kernel 0 */
        CHECK_ERROR(f(x4, 2, 0, 0, &out), GS_ERR_INVALID_ARGUMENT);   /* stride 0 */
        CHECK_ERROR(f(x4, 2, 2, -1, &out), GS_ERR_INVALID_ARGUMENT);  /* padding < 0 */
        CHECK_ERROR(f(x4, 3, 1, 2, &out), GS_ERR_INVALID_ARGUMENT);   /* padding > kernel / 2 */
        CHECK_ERROR(f(x4, 5, 1, 0, &out), GS_ERR_INVALID_ARGUMENT);   /* kernel > input */
        CHECK_ERROR(f(flat, 2, 1, 0, &out), GS_ERR_INVALID_ARGUMENT); /* height 1 < kernel 2 */
        CHECK_ERROR(f(x4, 2, 2, INT64_MAX, &out), GS_ERR_OUT_OF_MEMORY);
        CHECK_ERROR(f(xi, 2, 2, 0, &out), GS_ERR_DTYPE);
        CHECK_ERROR(g(x3, 2, 2, 0, NULL), GS_ERR_INVALID_ARGUMENT);
        CHECK_ERROR(g((gs_tensor){0}, 2, 2, 0, &out), GS_ERR_INVALID_HANDLE);
        CHECK_ERROR(g(x4, 2, 2, 0, &out), GS_ERR_INVALID_ARGUMENT);   /* rank */
        CHECK_ERROR(g(x3, 0, 1, 0, &out), GS_ERR_INVALID_ARGUMENT);
        CHECK_ERROR(g(x3, 2, 0, 0, &out), GS_ERR_INVALID_ARGUMENT);
        CHECK_ERROR(g(x3, 2, 1, 2, &out), GS_ERR_INVALID_ARGUMENT);
        CHECK_ERROR(g(x3, 6, 1, 0, &out), GS_ERR_INVALID_ARGUMENT);
        CHECK_ERROR(g(xi3, 2, 2, 0, &out), GS_ERR_DTYPE);
        CHECK_OK(g(x3, 4, 4, 2, &out));                                /* padding = kernel / 2 */
        CHECK_META(out, GS_DTYPE_FLOAT32, INTS(1, 1, 2), 3);
        release(out);
    }
    release(x4);
    release(x3);
    release(xi);
    release(xi3);
    release(flat);
}

/* ---- layers ------------------------------------------------------------------------------ */

/* The module's description equals `want`. */
static void check_describe(gs_module m, const char *want) {
    char buffer[160];
    int64_t length = 0;
    CHECK_OK(gs_module_describe(m, buffer, sizeof buffer, &length));
    if (!CHECK(strcmp(buffer, want) == 0)) fprintf(stderr, "  got '%s', want '%s'\n", buffer, want);
}

static void conv_layers(void) {
    gs_module m = {0};
    gs_tensor p = {0}, out = {0};
    int64_t count = 0;
    CHECK_OK(gs_manual_seed(3));
    CHECK_OK(gs_conv2d_new(1, 2, 3, 1, 1, true, GS_DTYPE_FLOAT32, &m));
    check_describe(m, "Conv2d(in_channels=1, out_channels=2, kernel_size=3, padding=1, stride=1, bias=True)");
    CHECK_OK(gs_module_parameter_count(m, &count));
    CHECK(count == 2);
    CHECK_OK(gs_module_parameter(m, "weight", &p));
    CHECK_META(p, GS_DTYPE_FLOAT32, INTS(2, 1, 3, 3), 4);
    float w[18];
    CHECK_OK(gs_tensor_copy_data(p, w, sizeof w));
    /* PyDyNet's bound: sqrt(2) * sqrt(3 / fan_in), fan_in = 2 * 3 * 3 */
    for (int i = 0; i < 18; i++) CHECK(fabsf(w[i]) <= sqrtf(6.0f / 18.0f));
    release(p);
    CHECK_OK(gs_module_parameter(m, "bias", &p));
    CHECK_META(p, GS_DTYPE_FLOAT32, INTS(1, 2, 1, 1), 4);
    release(p);
    gs_tensor x = make_full(GS_DTYPE_FLOAT32, INTS(3, 1, 5, 4), 4, 1);
    int32_t nout = 0;
    CHECK_OK(gs_module_forward(m, &x, 1, &out, 1, &nout));
    CHECK(nout == 1);
    CHECK_META(out, GS_DTYPE_FLOAT32, INTS(3, 2, 5, 4), 4);
    release(out);
    gs_tensor wrong = make_full(GS_DTYPE_FLOAT32, INTS(3, 2, 5, 4), 4, 1);
    CHECK_ERROR(gs_module_forward(m, &wrong, 1, &out, 1, &nout), GS_ERR_SHAPE_MISMATCH);
    release(wrong);
    release(x);
    CHECK_OK(gs_module_release(m));

    CHECK_OK(gs_conv1d_new(3, 4, 2, 2, 0, false, GS_DTYPE_FLOAT64, &m));
    check_describe(m, "Conv1d(in_channels=3, out_channels=4, kernel_size=2, padding=0, stride=2, bias=False)");
    CHECK_OK(gs_module_parameter_count(m, &count));
    CHECK(count == 1);
    CHECK_OK(gs_module_parameter(m, "weight", &p));
    CHECK_META(p, GS_DTYPE_FLOAT64, INTS(4, 3, 2), 3);
    release(p);
    CHECK_OK(gs_module_release(m));

    CHECK_ERROR(gs_conv2d_new(1, 2, 3, 1, 0, true, GS_DTYPE_FLOAT32, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_conv1d_new(1, 2, 3, 1, 0, true, GS_DTYPE_FLOAT32, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_conv2d_new(1, 2, 3, 1, 0, true, 99, &m), GS_ERR_DTYPE);
    CHECK_ERROR(gs_conv1d_new(1, 2, 3, 1, 0, true, GS_DTYPE_INT64, &m), GS_ERR_DTYPE);
    CHECK_ERROR(gs_conv2d_new(0, 2, 3, 1, 0, true, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_conv2d_new(1, -2, 3, 1, 0, true, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_conv1d_new(1, 2, 0, 1, 0, true, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_conv2d_new(1, 2, 3, 0, 0, true, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_conv1d_new(1, 2, 3, 1, -1, true, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_conv2d_new(INT64_C(1) << 40, INT64_C(1) << 40, 3, 1, 0, true, GS_DTYPE_FLOAT32, &m),
                GS_ERR_OUT_OF_MEMORY);
}

typedef int32_t (*pool_new_fn)(int64_t, int64_t, int64_t, gs_module *);

static void pool_layers(void) {
    pool_new_fn makers[] = {gs_max_pool1d_new, gs_max_pool2d_new, gs_avg_pool1d_new, gs_avg_pool2d_new};
    const char *names[] = {"MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d"};
    gs_module m = {0};
    gs_tensor out = {0};
    int32_t nout = 0;
    char want[80];
    for (int i = 0; i < 4; i++) {
        CHECK_OK(makers[i](3, 2, 1, &m));
        snprintf(want, sizeof want, "%s(kernel_size=3, stride=2, padding=1)", names[i]);
        check_describe(m, want);
        bool two_d = i % 2 == 1;
        gs_tensor x = two_d ? make_full(GS_DTYPE_FLOAT64, INTS(2, 3, 5, 5), 4, -2)
                           : make_full(GS_DTYPE_FLOAT64, INTS(2, 3, 5), 3, -2);
        CHECK_OK(gs_module_forward(m, &x, 1, &out, 1, &nout));
        /* -2 everywhere: the max ignores the padding, the average counts it (a corner window
           of the 2-D case holds 4 of 9 inputs, the 1-D one 2 of 3) */
        void *data = NULL; /* borrowed, valid while `out` lives */
        CHECK_OK(gs_tensor_data_ptr(out, &data));
        CHECK_CLOSE(((const double *)data)[0], i < 2 ? -2.0 : (two_d ? -8.0 / 9 : -4.0 / 3));
        release(out);
        release(x);
        CHECK_OK(gs_module_release(m));
        CHECK_ERROR(makers[i](3, 2, 1, NULL), GS_ERR_INVALID_ARGUMENT);
        CHECK_ERROR(makers[i](0, 1, 0, &m), GS_ERR_INVALID_ARGUMENT);
        CHECK_ERROR(makers[i](2, 0, 0, &m), GS_ERR_INVALID_ARGUMENT);
        CHECK_ERROR(makers[i](3, 1, 2, &m), GS_ERR_INVALID_ARGUMENT);
        CHECK_ERROR(makers[i](3, 1, -1, &m), GS_ERR_INVALID_ARGUMENT);
    }
}

void test_nn_conv(void) {
    conv2d_values_and_gradients();
    conv1d_values_and_gradients();
    conv_errors();
    pool2d_values_and_gradients();
    pool1d_values_and_gradients();
    pool_errors();
    conv_layers();
    pool_layers();
}
