/* Activations, softmax, losses and their layers through the C ABI: values, gradients, result
 * dtypes, descriptions and every error path of the gs_ functions in ActivationAPI and LossAPI.
 */
#include "check.h"

static const int64_t s3[] = {3}, s4[] = {4}, s23[] = {2, 3}, s2[] = {2};

/* the sum of t, back-propagated */
static void backward_sum(gs_tensor t) {
    gs_tensor s = {0};
    CHECK_OK(gs_sum(t, NULL, -1, false, &s));
    CHECK_OK(gs_backward(s, false));
    release(s);
}

/* a 0-d result's value as double */
static double scalar_value(gs_tensor t) {
    gs_tensor d = {0};
    double v = NAN;
    if (CHECK_OK(gs_tensor_astype(t, GS_DTYPE_FLOAT64, &d))) {
        CHECK_OK(gs_tensor_copy_data(d, &v, sizeof v));
        release(d);
    }
    return v;
}

/* the module's description is `want` */
static void check_describe(gs_module m, const char *want) {
    char buffer[64];
    int64_t length = 0;
    CHECK_OK(gs_module_describe(m, buffer, sizeof buffer, &length));
    if (!CHECK(strcmp(buffer, want) == 0))
        fprintf(stderr, "  description \"%s\", expected \"%s\"\n", buffer, want);
}

static double sigmoid(double x) { return 1 / (1 + exp(-x)); }

/* ---- activations --------------------------------------------------------------------------- */

static void activations(void) {
    const float xs[] = {-2, 0, 3, -0.5f};
    gs_tensor x = make_f32(xs, s4, 1, true), y = {0};

    CHECK_OK(gs_relu(x, &y)); /* the gradient at 0 is 0, as PyTorch */
    CHECK_F32(y, s4, 1, (const float[]){0, 0, 3, 0});
    backward_sum(y);
    CHECK_GRAD(x, s4, 1, (const float[]){0, 0, 1, 0});
    release(y);
    CHECK_OK(gs_tensor_zero_grad(x));

    CHECK_OK(gs_leaky_relu(x, 0.1, &y)); /* the gradient at 0 is the slope */
    CHECK_F32(y, s4, 1, (const float[]){-0.2f, 0, 3, -0.05f});
    backward_sum(y);
    CHECK_GRAD(x, s4, 1, (const float[]){0.1f, 0.1f, 1, 0.1f});
    release(y);
    CHECK_OK(gs_tensor_zero_grad(x));

    CHECK_OK(gs_leaky_relu(x, 2.0, &y)); /* PyTorch's definition for slopes above 1 */
    CHECK_F32(y, s4, 1, (const float[]){-4, 0, 3, -1});
    release(y);

    float want[4], dwant[4];
    for (int i = 0; i < 4; i++) {
        double s = sigmoid(xs[i]);
        want[i] = (float)(xs[i] * s);
        dwant[i] = (float)(s * (1 + xs[i] * (1 - s)));
    }
    CHECK_OK(gs_silu(x, &y));
    CHECK_F32(y, s4, 1, want);
    backward_sum(y);
    CHECK_GRAD(x, s4, 1, dwant);
    release(y);
    release(x);

    /* ints: relu keeps int64, leaky_relu and silu give float64 */
    gs_tensor i = make_i64((const int64_t[]){-2, 0, 3}, s3, 1);
    CHECK_OK(gs_relu(i, &y));
    CHECK_I64(y, s3, 1, (const int64_t[]){0, 0, 3});
    release(y);
    CHECK_OK(gs_leaky_relu(i, 0.5, &y));
    CHECK_F64(y, s3, 1, (const double[]){-1, 0, 3});
    release(y);
    CHECK_OK(gs_silu(i, &y));
    CHECK_F64(y, s3, 1, (const double[]){-2 * sigmoid(-2), 0, 3 * sigmoid(3)});
    release(y);
    release(i);
    gs_tensor b = make_bool((const uint8_t[]){1, 0}, s2, 1);
    CHECK_OK(gs_relu(b, &y));
    CHECK_BOOL(y, s2, 1, (const uint8_t[]){1, 0});
    release(y);
    release(b);
}

/* ---- softmax and log-softmax --------------------------------------------------------------- */

static void softmax(void) {
    const double xs[] = {1, 2, 3, 0, 0, 0};
    gs_tensor x = make_f64(xs, s23, 2, true), y = {0};
    double e = exp(1) + exp(2) + exp(3);

    CHECK_OK(gs_softmax(x, 1, false, &y));
    CHECK_F64(y, s23, 2, (const double[]){exp(1) / e, exp(2) / e, exp(3) / e, 1. / 3, 1. / 3, 1. / 3});
    backward_sum(y); /* rows sum to 1: zero gradient */
    gs_tensor g = {0};
    CHECK_OK(gs_tensor_grad(x, &g));
    CHECK_F64(g, s23, 2, (const double[]){0, 0, 0, 0, 0, 0});
    release(g);
    release(y);

    CHECK_OK(gs_softmax(x, -2, false, &y)); /* columns */
    double c0 = exp(1) + 1;
    CHECK_F64(y, s23, 2, (const double[]){exp(1) / c0, exp(2) / (exp(2) + 1), exp(3) / (exp(3) + 1),
                                          1 / c0, 1 / (exp(2) + 1), 1 / (exp(3) + 1)});
    release(y);

    CHECK_OK(gs_softmax(x, 99, true, &y)); /* every element; the axis is ignored */
    double all = e + 3;
    CHECK_F64(y, s23, 2, (const double[]){exp(1) / all, exp(2) / all, exp(3) / all, 1 / all, 1 / all, 1 / all});
    release(y);

    CHECK_OK(gs_tensor_zero_grad(x));
    CHECK_OK(gs_log_softmax(x, 1, false, &y));
    double lse = log(e);
    CHECK_F64(y, s23, 2, (const double[]){1 - lse, 2 - lse, 3 - lse, -log(3), -log(3), -log(3)});
    backward_sum(y); /* g - softmax * 3 */
    CHECK_OK(gs_tensor_grad(x, &g));
    CHECK_F64(g, s23, 2, (const double[]){1 - 3 * exp(1) / e, 1 - 3 * exp(2) / e, 1 - 3 * exp(3) / e, 0, 0, 0});
    release(g);
    release(y);
    release(x);

    /* huge logits stay finite */
    gs_tensor big = make_f32((const float[]){1e4f, 0, -1e4f}, s3, 1, false);
    CHECK_OK(gs_softmax(big, 0, false, &y));
    CHECK_F32(y, s3, 1, (const float[]){1, 0, 0});
    release(y);
    CHECK_OK(gs_log_softmax(big, 0, true, &y));
    CHECK_F32(y, s3, 1, (const float[]){0, -1e4f, -2e4f});
    release(y);
    release(big);
}

/* ---- losses -------------------------------------------------------------------------------- */

static void mse(void) {
    gs_tensor p = make_f32((const float[]){1, 2, 4}, s3, 1, true);
    gs_tensor t = make_f32((const float[]){0, 2, 2}, s3, 1, true), y = {0};

    CHECK_OK(gs_mse_loss(p, t, GS_REDUCTION_MEAN, &y));
    CHECK_META(y, GS_DTYPE_FLOAT32, NULL, 0);
    CHECK_CLOSE(scalar_value(y), 5.0 / 3);
    CHECK_OK(gs_backward(y, false));
    CHECK_GRAD(p, s3, 1, (const float[]){2.f / 3, 0, 4.f / 3});
    CHECK_GRAD(t, s3, 1, (const float[]){-2.f / 3, 0, -4.f / 3}); /* the target gets one too */
    release(y);

    CHECK_OK(gs_mse_loss(p, t, GS_REDUCTION_SUM, &y));
    CHECK_CLOSE(scalar_value(y), 5);
    release(y);
    CHECK_OK(gs_mse_loss(p, t, GS_REDUCTION_NONE, &y));
    CHECK_F32(y, s3, 1, (const float[]){1, 0, 4});
    release(y);

    gs_tensor row = make_f32((const float[]){1, 1, 1}, s3, 1, false);
    gs_tensor col = make_f32((const float[]){0, 2}, (const int64_t[]){2, 1}, 2, false);
    CHECK_OK(gs_mse_loss(row, col, GS_REDUCTION_NONE, &y)); /* broadcast to (2, 3) */
    CHECK_F32(y, s23, 2, (const float[]){1, 1, 1, 1, 1, 1});
    release(y);
    release(row);
    release(col);
    release(p);
    release(t);
}

static void classification(void) {
    const float lp[] = {-1, -2, -3, -0.5f, -1.5f, -2.5f};
    gs_tensor x = make_f32(lp, s23, 2, true), y = {0};
    gs_tensor labels = make_i64((const int64_t[]){2, 0}, s2, 1);

    CHECK_OK(gs_nll_loss(x, labels, GS_REDUCTION_MEAN, &y));
    CHECK_CLOSE(scalar_value(y), 1.75);
    CHECK_OK(gs_backward(y, false));
    CHECK_GRAD(x, s23, 2, (const float[]){0, 0, -0.5f, -0.5f, 0, 0});
    release(y);
    CHECK_OK(gs_tensor_zero_grad(x));
    CHECK_OK(gs_nll_loss(x, labels, GS_REDUCTION_SUM, &y));
    CHECK_CLOSE(scalar_value(y), 3.5);
    release(y);
    CHECK_OK(gs_nll_loss(x, labels, GS_REDUCTION_NONE, &y));
    CHECK_F32(y, s2, 1, (const float[]){3, 0.5f});
    release(y);
    release(x);

    /* cross-entropy with labels and with the equivalent one-hot rows */
    const float logits[] = {1, 2, 3, 0, 0, 0};
    double e = exp(1) + exp(2) + exp(3);
    const float grad[] = {(float)(exp(1) / e / 2), (float)(exp(2) / e / 2), (float)((exp(3) / e - 1) / 2),
                          (float)((1. / 3 - 1) / 2), (float)(1. / 6), (float)(1. / 6)};
    gs_tensor onehot = make_f32((const float[]){0, 0, 1, 1, 0, 0}, s23, 2, false);
    for (int k = 0; k < 2; k++) {
        x = make_f32(logits, s23, 2, true);
        CHECK_OK(gs_cross_entropy(x, k == 0 ? labels : onehot, GS_REDUCTION_MEAN, &y));
        CHECK_CLOSE(scalar_value(y), (log(e) - 3 + log(3)) / 2);
        CHECK_OK(gs_backward(y, false));
        CHECK_GRAD(x, s23, 2, grad);
        release(y);
        CHECK_OK(gs_cross_entropy(x, k == 0 ? labels : onehot, GS_REDUCTION_NONE, &y));
        CHECK_F32(y, s2, 1, (const float[]){(float)(log(e) - 3), (float)log(3)});
        release(y);
        release(x);
    }
    release(onehot);

    /* huge logits: finite */
    x = make_f32((const float[]){1e4f, 0, -1e4f, -1e4f, -1e4f, -1e4f}, s23, 2, false);
    CHECK_OK(gs_cross_entropy(x, labels, GS_REDUCTION_SUM, &y));
    CHECK_CLOSE(scalar_value(y), 2e4 + log(3));
    release(y);
    release(x);
    release(labels);
}

/* ---- layers -------------------------------------------------------------------------------- */

static void layers(void) {
    gs_module m = {0};
    gs_tensor out[3] = {0};
    int32_t n = 0;
    gs_tensor x = make_f32((const float[]){-1, 0, 2, 1, 1, 1}, s23, 2, false);

    CHECK_OK(gs_relu_new(&m));
    check_describe(m, "ReLU()");
    CHECK_OK(gs_module_forward(m, &x, 1, out, 3, &n));
    CHECK(n == 1);
    CHECK_F32(out[0], s23, 2, (const float[]){0, 0, 2, 1, 1, 1});
    release(out[0]);
    CHECK_ERROR(gs_module_forward(m, (const gs_tensor[]){x, x}, 2, out, 3, &n), GS_ERR_INVALID_ARGUMENT);
    CHECK_OK(gs_module_release(m));

    CHECK_OK(gs_sigmoid_new(&m));
    check_describe(m, "Sigmoid()");
    CHECK_OK(gs_module_forward(m, &x, 1, out, 3, &n));
    CHECK_F32(out[0], s23, 2, (const float[]){(float)sigmoid(-1), 0.5f, (float)sigmoid(2), (float)sigmoid(1),
                                              (float)sigmoid(1), (float)sigmoid(1)});
    release(out[0]);
    CHECK_OK(gs_module_release(m));

    CHECK_OK(gs_tanh_new(&m));
    check_describe(m, "Tanh()");
    CHECK_OK(gs_module_forward(m, &x, 1, out, 3, &n));
    CHECK_F32(out[0], s23, 2, (const float[]){(float)tanh(-1), 0, (float)tanh(2), (float)tanh(1),
                                              (float)tanh(1), (float)tanh(1)});
    release(out[0]);
    CHECK_OK(gs_module_release(m));

    CHECK_OK(gs_leaky_relu_new(0.1, &m));
    check_describe(m, "LeakyReLU(alpha=0.1)");
    CHECK_OK(gs_module_forward(m, &x, 1, out, 3, &n));
    CHECK_F32(out[0], s23, 2, (const float[]){-0.1f, 0, 2, 1, 1, 1});
    release(out[0]);
    CHECK_OK(gs_module_release(m));
    CHECK_OK(gs_leaky_relu_new(1, &m));
    check_describe(m, "LeakyReLU(alpha=1.0)");
    CHECK_OK(gs_module_release(m));

    CHECK_OK(gs_softmax_new(0, true, &m));
    check_describe(m, "Softmax(axis=None)");
    CHECK_OK(gs_module_release(m));
    CHECK_OK(gs_softmax_new(-1, false, &m));
    check_describe(m, "Softmax(axis=-1)");
    CHECK_OK(gs_module_forward(m, &x, 1, out, 3, &n));
    CHECK_F32(out[0], s23, 2,
              (const float[]){(float)(exp(-1) / (exp(-1) + 1 + exp(2))), (float)(1 / (exp(-1) + 1 + exp(2))),
                              (float)(exp(2) / (exp(-1) + 1 + exp(2))), 1.f / 3, 1.f / 3, 1.f / 3});
    release(out[0]);
    CHECK_OK(gs_module_release(m));
    CHECK_OK(gs_softmax_new(2, false, &m)); /* checked against the rank at forward time */
    CHECK_ERROR(gs_module_forward(m, &x, 1, out, 3, &n), GS_ERR_INVALID_ARGUMENT);
    CHECK_OK(gs_module_release(m));

    /* losses take (prediction, target) */
    gs_tensor labels = make_i64((const int64_t[]){2, 0}, s2, 1);
    CHECK_OK(gs_mse_loss_new(GS_REDUCTION_SUM, &m));
    check_describe(m, "MSELoss(\n\n)");
    CHECK_OK(gs_module_forward(m, (const gs_tensor[]){x, x}, 2, out, 3, &n));
    CHECK_CLOSE(scalar_value(out[0]), 0);
    release(out[0]);
    CHECK_ERROR(gs_module_forward(m, &x, 1, out, 3, &n), GS_ERR_INVALID_ARGUMENT);
    CHECK_OK(gs_module_release(m));

    CHECK_OK(gs_nll_loss_new(GS_REDUCTION_NONE, &m));
    check_describe(m, "NLLLoss(\n\n)");
    CHECK_OK(gs_module_forward(m, (const gs_tensor[]){x, labels}, 2, out, 3, &n));
    CHECK_F32(out[0], s2, 1, (const float[]){-2, -1});
    release(out[0]);
    CHECK_OK(gs_module_release(m));

    CHECK_OK(gs_cross_entropy_loss_new(GS_REDUCTION_MEAN, &m));
    check_describe(m, "CrossEntropyLoss(\n\n)");
    CHECK_OK(gs_module_forward(m, (const gs_tensor[]){x, labels}, 2, out, 3, &n));
    double e0 = exp(-1) + 1 + exp(2);
    CHECK_CLOSE(scalar_value(out[0]), (log(e0) - 2 + log(3)) / 2);
    release(out[0]);
    CHECK_OK(gs_module_release(m));

    release(labels);
    release(x);
}

/* ---- errors -------------------------------------------------------------------------------- */

static void errors(void) {
    gs_tensor x = make_f32((const float[]){1, 2, 3, 4, 5, 6}, s23, 2, false), y = {0};
    gs_module m = {0};
    gs_tensor stale = make_f32((const float[]){1}, NULL, 0, false);
    release(stale);

    /* handles and NULL results, for every function */
    typedef int32_t (*unary)(gs_tensor, gs_tensor *);
    const unary unaries[] = {gs_relu, gs_silu};
    for (int i = 0; i < 2; i++) {
        CHECK_ERROR(unaries[i]((gs_tensor){0}, &y), GS_ERR_INVALID_HANDLE);
        CHECK_ERROR(unaries[i](stale, &y), GS_ERR_INVALID_HANDLE);
        CHECK_ERROR(unaries[i](x, NULL), GS_ERR_INVALID_ARGUMENT);
    }
    CHECK_ERROR(gs_leaky_relu((gs_tensor){0}, 0.1, &y), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_leaky_relu(x, 0.1, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_softmax(stale, 0, false, &y), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_softmax(x, 0, false, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_log_softmax((gs_tensor){0}, 0, true, &y), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_log_softmax(x, 0, true, NULL), GS_ERR_INVALID_ARGUMENT);

    /* axes */
    CHECK_ERROR(gs_softmax(x, 2, false, &y), GS_ERR_INVALID_ARGUMENT);
    CHECK(strstr(gs_last_error(), "axis 2 is out of bounds") != NULL);
    CHECK_ERROR(gs_log_softmax(x, -3, false, &y), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_softmax(x, INT64_MIN, false, &y), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_softmax(x, INT64_MAX, false, &y), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_softmax_new(INT64_MIN, false, &m), GS_ERR_INVALID_ARGUMENT);
    gs_tensor scalar = make_f32((const float[]){1}, NULL, 0, false);
    CHECK_ERROR(gs_softmax(scalar, 0, false, &y), GS_ERR_INVALID_ARGUMENT); /* 0-d has no axis 0 */
    CHECK_OK(gs_softmax(scalar, 0, true, &y));
    CHECK_CLOSE(scalar_value(y), 1);
    release(y);
    release(scalar);

    /* constructors */
    typedef int32_t (*ctor)(gs_module *);
    const ctor ctors[] = {gs_sigmoid_new, gs_tanh_new, gs_relu_new};
    for (int i = 0; i < 3; i++)
        CHECK_ERROR(ctors[i](NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_leaky_relu_new(0.1, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_softmax_new(0, false, NULL), GS_ERR_INVALID_ARGUMENT);
    typedef int32_t (*loss_ctor)(int32_t, gs_module *);
    const loss_ctor loss_ctors[] = {gs_mse_loss_new, gs_nll_loss_new, gs_cross_entropy_loss_new};
    for (int i = 0; i < 3; i++) {
        CHECK_ERROR(loss_ctors[i](GS_REDUCTION_MEAN, NULL), GS_ERR_INVALID_ARGUMENT);
        CHECK_ERROR(loss_ctors[i](3, &m), GS_ERR_INVALID_ARGUMENT);
        CHECK(strstr(gs_last_error(), "unknown reduction code 3") != NULL);
        CHECK_ERROR(loss_ctors[i](-1, &m), GS_ERR_INVALID_ARGUMENT);
    }

    /* losses: handles, NULL, reduction codes */
    typedef int32_t (*loss)(gs_tensor, gs_tensor, int32_t, gs_tensor *);
    const loss losses[] = {gs_mse_loss, gs_nll_loss, gs_cross_entropy};
    gs_tensor labels = make_i64((const int64_t[]){0, 2}, s2, 1);
    CHECK_OK(gs_relu_new(&m));
    for (int i = 0; i < 3; i++) {
        gs_tensor target = i == 0 ? x : labels;
        CHECK_ERROR(losses[i]((gs_tensor){0}, target, GS_REDUCTION_MEAN, &y), GS_ERR_INVALID_HANDLE);
        CHECK_ERROR(losses[i](x, stale, GS_REDUCTION_MEAN, &y), GS_ERR_INVALID_HANDLE);
        CHECK_ERROR(losses[i]((gs_tensor){m.id}, target, GS_REDUCTION_MEAN, &y), GS_ERR_INVALID_HANDLE); /* a module */
        CHECK_ERROR(losses[i](x, target, GS_REDUCTION_MEAN, NULL), GS_ERR_INVALID_ARGUMENT);
        CHECK_ERROR(losses[i](x, target, 7, &y), GS_ERR_INVALID_ARGUMENT);
        CHECK_OK(losses[i](x, target, GS_REDUCTION_NONE, &y));
        release(y);
    }
    CHECK_ERROR(gs_relu((gs_tensor){m.id}, &y), GS_ERR_INVALID_HANDLE); /* a module */
    CHECK_OK(gs_module_release(m));

    /* mse: shapes that do not broadcast */
    gs_tensor four = make_f32((const float[]){1, 2, 3, 4}, s4, 1, false);
    CHECK_ERROR(gs_mse_loss(x, four, GS_REDUCTION_MEAN, &y), GS_ERR_SHAPE_MISMATCH);
    CHECK(mentions_shape(gs_last_error(), s23, 2));

    /* nll and cross-entropy: labels, batch sizes, ranks, dtypes */
    const loss classifiers[] = {gs_nll_loss, gs_cross_entropy};
    gs_tensor wide = make_f32((const float[]){0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
                             (const int64_t[]){2, 10}, 2, false);
    gs_tensor bad_label = make_i64((const int64_t[]){1, 12}, s2, 1);
    gs_tensor negative = make_i64((const int64_t[]){-1, 0}, s2, 1);
    gs_tensor three = make_i64((const int64_t[]){0, 1, 2}, s3, 1);
    gs_tensor float_labels = make_f32((const float[]){0, 1}, s2, 1, false);
    gs_tensor ints = make_i64((const int64_t[]){1, 2, 3, 4, 5, 6}, s23, 2);
    for (int i = 0; i < 2; i++) {
        const char *name = i == 0 ? "nll_loss" : "cross_entropy";
        char want[80];
        CHECK_ERROR(classifiers[i](wide, bad_label, GS_REDUCTION_MEAN, &y), GS_ERR_INDEX);
        snprintf(want, sizeof want, "%s: target 12 is out of range for 10 classes", name);
        if (!CHECK(strcmp(gs_last_error(), want) == 0))
            fprintf(stderr, "  message: %s\n", gs_last_error());
        CHECK_ERROR(classifiers[i](wide, negative, GS_REDUCTION_SUM, &y), GS_ERR_INDEX);
        CHECK_ERROR(classifiers[i](x, three, GS_REDUCTION_MEAN, &y), GS_ERR_SHAPE_MISMATCH);
        CHECK(strstr(gs_last_error(), "3 labels for a batch of 2") != NULL);
        CHECK_ERROR(classifiers[i](four, labels, GS_REDUCTION_MEAN, &y), GS_ERR_INVALID_ARGUMENT);
        CHECK(strstr(gs_last_error(), "must be 2-D") != NULL);
        CHECK_ERROR(classifiers[i](ints, labels, GS_REDUCTION_MEAN, &y), GS_ERR_DTYPE);
        CHECK_ERROR(classifiers[i](x, float_labels, GS_REDUCTION_MEAN, &y), GS_ERR_DTYPE);
        CHECK(strstr(gs_last_error(), "must be integers") != NULL);
        CHECK_ERROR(classifiers[i](x, four, GS_REDUCTION_MEAN, &y), GS_ERR_DTYPE); /* float (N,) */
        CHECK_ERROR(classifiers[i](x, wide, GS_REDUCTION_MEAN, &y), GS_ERR_SHAPE_MISMATCH);
    }
    release(wide);
    release(bad_label);
    release(negative);
    release(three);
    release(float_labels);
    release(ints);
    release(four);
    release(labels);
    release(x);
}

/* ---- pointwise losses: values of one case each (the golden files hold the rest), errors ---- */

static void pointwise_losses(void) {
    gs_tensor p = make_f32((const float[]){0.25f, 0.5f}, s2, 1, true);
    gs_tensor t = make_f32((const float[]){1, 0}, s2, 1, false);
    gs_tensor y = {0};
    CHECK_OK(gs_l1_loss(p, t, GS_REDUCTION_SUM, &y)); /* 0.75 + 0.5 */
    CHECK_F32(y, NULL, 0, (const float[]){1.25f});
    release(y);
    CHECK_OK(gs_binary_cross_entropy(p, t, (gs_tensor){0}, GS_REDUCTION_SUM, &y));
    CHECK_F32(y, NULL, 0, (const float[]){(float)(-log(0.25) - log(0.5))});
    release(y);
    CHECK_OK(gs_kl_div(p, t, GS_REDUCTION_BATCHMEAN, false, &y)); /* 1 (log 1 - 0.25) / 2 */
    CHECK_F32(y, NULL, 0, (const float[]){-0.125f});
    release(y);
    y = (gs_tensor){0}; /* failing calls below must leave it untouched */

    /* batchmean is KL divergence's only */
    CHECK_ERROR(gs_l1_loss(p, t, GS_REDUCTION_BATCHMEAN, &y), GS_ERR_INVALID_ARGUMENT);
    CHECK(strstr(gs_last_error(), "unknown reduction code 3") != NULL);
    CHECK_ERROR(gs_mse_loss(p, t, GS_REDUCTION_BATCHMEAN, &y), GS_ERR_INVALID_ARGUMENT);
    gs_module m = {0};
    CHECK_ERROR(gs_huber_loss_new(GS_REDUCTION_BATCHMEAN, 1.0, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_OK(gs_kl_div_loss_new(GS_REDUCTION_BATCHMEAN, true, &m));
    check_describe(m, "KLDivLoss()");
    CHECK_OK(gs_module_release(m));
    m = (gs_module){0};

    /* settings, probabilities, weights, handles, NULL */
    CHECK_ERROR(gs_smooth_l1_loss(p, t, GS_REDUCTION_MEAN, -0.5, &y), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_huber_loss(p, t, GS_REDUCTION_MEAN, 0, &y), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_smooth_l1_loss_new(GS_REDUCTION_MEAN, NAN, &m), GS_ERR_INVALID_ARGUMENT);
    gs_tensor above = make_f32((const float[]){0.5f, 1.5f}, s2, 1, false);
    CHECK_ERROR(gs_binary_cross_entropy(above, t, (gs_tensor){0}, GS_REDUCTION_MEAN, &y), GS_ERR_INVALID_ARGUMENT);
    CHECK(strstr(gs_last_error(), "between 0 and 1") != NULL);
    gs_tensor stale = make_f32((const float[]){1, 1}, s2, 1, false);
    release(stale);
    CHECK_ERROR(gs_binary_cross_entropy(p, t, stale, GS_REDUCTION_MEAN, &y), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_binary_cross_entropy_with_logits(p, t, (gs_tensor){0}, stale, GS_REDUCTION_MEAN, &y),
                GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_bce_with_logits_loss_new(stale, (gs_tensor){0}, GS_REDUCTION_MEAN, &m), GS_ERR_INVALID_HANDLE);
    gs_tensor three = make_f32((const float[]){1, 2, 3}, s3, 1, false);
    CHECK_ERROR(gs_binary_cross_entropy_with_logits(p, t, (gs_tensor){0}, three, GS_REDUCTION_MEAN, &y),
                GS_ERR_SHAPE_MISMATCH);
    CHECK_ERROR(gs_l1_loss(p, three, GS_REDUCTION_MEAN, &y), GS_ERR_SHAPE_MISMATCH);
    CHECK_ERROR(gs_kl_div(p, t, GS_REDUCTION_MEAN, false, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_l1_loss_new(GS_REDUCTION_MEAN, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK(y.id == 0 && m.id == 0);
    release(three);
    release(above);
    release(t);
    release(p);
}

void test_nn_activation_loss(void) {
    activations();
    softmax();
    mse();
    classification();
    layers();
    errors();
    pointwise_losses();
}
