/* Normalization: gs_layer_norm, gs_rms_norm, gs_batch_norm (values, gradients, running
 * statistics) and the BatchNorm1d/2d, LayerNorm and RMSNorm modules, and every error path.
 * Expected values are NumPy's (PyTorch's definitions; running_var uses the unbiased variance).
 */
#include "check.h"

static const int64_t s2[] = {2}, s4[] = {4}, s24[] = {2, 4}, s32[] = {3, 2}, s1211[] = {1, 2, 1, 1};
static const float x24[] = {1, 2, 3, 4, 2, 4, 6, 10};
static const float g24[] = {1, 0, 2, 1, 0.5f, 1, 1, -1};
static const float x32[] = {1, -2, 3, 0, 8, 1};
static const float g32[] = {1, 2, 0, 1, -1, 0.5f};

/* Back-propagates sum(out * g) from `out` (released here). */
static void backward_weighted(gs_tensor out, const float *g, const int64_t *shape, int32_t ndim) {
    gs_tensor gt = make_f32(g, shape, ndim, false), prod = {0}, loss = {0};
    CHECK_OK(gs_mul(out, gt, &prod));
    CHECK_OK(gs_sum(prod, NULL, -1, false, &loss));
    CHECK_OK(gs_backward(loss, false));
    release(loss);
    release(prod);
    release(gt);
    release(out);
}

static void layer_norm_values_and_gradients(void) {
    gs_tensor x = make_f32(x24, s24, 2, true);
    gs_tensor w = make_f32((const float[]){1, 2, 0.5f, -1}, s4, 1, true);
    gs_tensor b = make_f32((const float[]){0, 1, 0, 0.5f}, s4, 1, true);
    gs_tensor out = {0};
    CHECK_OK(gs_layer_norm(x, s4, 1, w, b, 1e-5, &out));
    CHECK_F32(out, s24, 2, (const float[]){-1.3416354f, 0.10557639f, 0.2236059f, -0.84163542f,
                                           -1.1832153f, -0.014184526f, 0.084515377f, -1.0212768f});
    backward_weighted(out, g24, s24, 2);
    CHECK_GRAD(x, s24, 2, (const float[]){5.3664987e-06f, -0.44721002f, 0.89442182f, -0.44721717f,
                                          -0.16903075f, 0.33806151f, -0.16903075f, 0});
    CHECK_GRAD(w, s4, 1, (const float[]){-1.9332431f, -0.50709226f, 1.0634544f, -0.17964137f});
    CHECK_GRAD(b, s4, 1, (const float[]){1.5f, 1, 3, 0});

    /* no affine parameters; the whole (2, 4) shape normalized as one sample */
    CHECK_OK(gs_layer_norm(x, s24, 2, (gs_tensor){0}, (gs_tensor){0}, 0, &out));
    CHECK_META(out, GS_DTYPE_FLOAT32, s24, 2);
    float got[8];
    CHECK_OK(gs_tensor_copy_data(out, got, sizeof got));
    double mean = 0, square = 0;
    for (int i = 0; i < 8; i++) mean += got[i] / 8.0;
    for (int i = 0; i < 8; i++) square += got[i] * got[i] / 8.0;
    CHECK_CLOSE(mean, 0);
    CHECK_CLOSE(square, 1);
    release(out);
    release(x);
    release(w);
    release(b);
}

static void rms_norm_values_and_gradients(void) {
    gs_tensor x = make_f32(x24, s24, 2, true);
    gs_tensor w = make_f32((const float[]){1, 2, 0.5f, -1}, s4, 1, true);
    gs_tensor out = {0};
    CHECK_OK(gs_rms_norm(x, s4, 1, w, 1e-6, &out));
    CHECK_F32(out, s24, 2, (const float[]){0.36514835f, 1.4605934f, 0.54772252f, -1.4605934f,
                                           0.3202563f, 1.2810252f, 0.48038446f, -1.6012815f});
    backward_weighted(out, g24, s24, 2);
    CHECK_GRAD(x, s24, 2, (const float[]){0.36514835f, 0, 0.36514835f, -0.36514835f,
                                          0.034899727f, 0.2299276f, -0.055428972f, -0.065693595f});
    CHECK_GRAD(w, s4, 1, (const float[]){0.5252765f, 0.64051261f, 3.151659f, -0.14068813f});
    release(x);
    release(w);
}

static void batch_norm_training_then_evaluation(void) {
    gs_tensor x = make_f32(x32, s32, 2, true);
    gs_tensor w = make_f32((const float[]){2, 0.5f}, s2, 1, true);
    gs_tensor b = make_f32((const float[]){1, -1}, s2, 1, true);
    gs_tensor rm = make_full(GS_DTYPE_FLOAT32, s2, 1, 0), rv = make_full(GS_DTYPE_FLOAT32, s2, 1, 1);
    gs_tensor out = {0};
    CHECK_OK(gs_batch_norm(x, rm, rv, w, b, true, 0.1, 1e-5, &out));
    CHECK_F32(out, s32, 2, (const float[]){-1.0380975f, -1.668151f, 0.32063417f, -0.86636981f,
                                           3.7174633f, -0.46547923f});
    backward_weighted(out, g32, s32, 2);
    CHECK_GRAD(x, s32, 2, (const float[]){0.13064791f, 0, -0.18290597f, 0, 0.052258066f, 0});
    CHECK_GRAD(w, s2, 1, (const float[]){-2.3777804f, -1.8708227f});
    CHECK_GRAD(b, s2, 1, (const float[]){0, 3.5f});
    /* running statistics updated in place, with the unbiased variance */
    CHECK_F32(rm, s2, 1, (const float[]){0.4f, -0.033333333f});
    CHECK_F32(rv, s2, 1, (const float[]){2.2f, 1.1333333f});
    bool flag = true;
    CHECK_OK(gs_tensor_requires_grad(rm, &flag));
    CHECK(!flag);

    CHECK_OK(gs_tensor_zero_grad(x));
    CHECK_OK(gs_batch_norm(x, rm, rv, w, b, false, 0.1, 1e-5, &out));
    CHECK_F32(out, s32, 2, (const float[]){1.809038f, -1.9236768f, 4.5058313f, -0.98434446f,
                                           11.247815f, -0.51467832f});
    backward_weighted(out, g32, s32, 2);
    CHECK_GRAD(x, s32, 2, (const float[]){1.3483967f, 0.93933229f, 0, 0.46966615f, -1.3483967f,
                                          0.23483307f});
    CHECK_F32(rm, s2, 1, (const float[]){0.4f, -0.033333333f}); /* evaluation leaves them */

    /* training without running statistics or affine parameters; (1, C, 1, 1) statistics */
    CHECK_OK(gs_batch_norm(x, (gs_tensor){0}, (gs_tensor){0}, (gs_tensor){0}, (gs_tensor){0}, true, 0.1, 1e-6, &out));
    CHECK_F32(out, s32, 2, (const float[]){-1.0190493f, -1.3363058f, -0.33968309f, 0.26726116f,
                                           1.3587324f, 1.0690446f});
    release(out);
    gs_tensor rm4 = make_full(GS_DTYPE_FLOAT32, s1211, 4, 0), rv4 = make_full(GS_DTYPE_FLOAT32, s1211, 4, 1);
    CHECK_OK(gs_batch_norm(x, rm4, rv4, (gs_tensor){0}, (gs_tensor){0}, true, 1, 1e-6, &out));
    CHECK_F32(rm4, s1211, 4, (const float[]){4, -1.0f / 3});
    release(out);
    release(rm4);
    release(rv4);
    release(x);
    release(w);
    release(b);
    release(rm);
    release(rv);
}

static gs_tensor forward1(gs_module module, gs_tensor input) {
    gs_tensor out = {0};
    int32_t n = 0;
    CHECK_OK(gs_module_forward(module, &input, 1, &out, 1, &n));
    CHECK(n == 1);
    return out;
}

static void check_description(gs_module module, const char *want) {
    char text[96];
    int64_t length = 0;
    CHECK_OK(gs_module_describe(module, text, sizeof text, &length));
    CHECK(strcmp(text, want) == 0);
    CHECK(length == (int64_t)strlen(want));
}

static void modules(void) {
    gs_module m = {0};
    gs_tensor p = {0}, out = {0};
    CHECK_OK(gs_batch_norm1d_new(2, 1e-6, 0.1, GS_DTYPE_FLOAT32, &m));
    check_description(m, "BatchNorm1d(num_features=2, momentum=0.1)");
    int64_t count = 0;
    CHECK_OK(gs_module_parameter_count(m, &count));
    CHECK(count == 4);
    const char *names[] = {"running_mean", "running_var", "scale", "shift"};
    for (int64_t i = 0; i < 4; i++) {
        char name[32];
        int64_t length = 0;
        CHECK_OK(gs_module_parameter_name(m, i, name, sizeof name, &length));
        CHECK(strcmp(name, names[i]) == 0);
    }
    gs_tensor x = make_f32(x32, s32, 2, false);
    out = forward1(m, x);
    CHECK_F32(out, s32, 2, (const float[]){-1.0190493f, -1.3363058f, -0.33968309f, 0.26726116f,
                                           1.3587324f, 1.0690446f});
    release(out);
    CHECK_OK(gs_module_parameter(m, "running_var", &p));
    CHECK_F32(p, s2, 1, (const float[]){0.9f + 0.1f * 13, 0.9f + 0.1f * 7.0f / 3});
    bool flag = true;
    CHECK_OK(gs_tensor_requires_grad(p, &flag));
    CHECK(!flag);
    release(p);
    CHECK_OK(gs_module_train(m, false));
    out = forward1(m, x); /* (x - running_mean) / sqrt(running_var + eps) */
    CHECK_F32(out, s32, 2, (const float[]){0.40451983f, -1.8473608f, 1.7529192f, 0.031311201f,
                                           5.1239178f, 0.97064722f});
    release(out);
    CHECK_OK(gs_module_release(m));

    CHECK_OK(gs_batch_norm2d_new(2, 1e-6, 0.1, GS_DTYPE_FLOAT64, &m));
    check_description(m, "BatchNorm2d(num_features=2, momentum=0.1)");
    CHECK_OK(gs_module_parameter(m, "scale", &p));
    CHECK_META(p, GS_DTYPE_FLOAT64, s1211, 4);
    release(p);
    CHECK_OK(gs_module_release(m));

    CHECK_OK(gs_layer_norm_new(s4, 1, 1e-5, GS_DTYPE_FLOAT32, &m));
    check_description(m, "LayerNorm((4,), eps=1e-05)");
    gs_tensor x24t = make_f32(x24, s24, 2, false);
    out = forward1(m, x24t);
    CHECK_F32(out, s24, 2, (const float[]){-1.3416354f, -0.44721181f, 0.44721181f, 1.3416354f,
                                           -1.1832153f, -0.50709226f, 0.16903075f, 1.5212768f});
    release(out);
    CHECK_OK(gs_module_parameter(m, "shift", &p));
    CHECK_F32(p, s4, 1, (const float[]){0, 0, 0, 0});
    release(p);
    CHECK_OK(gs_module_release(m));

    CHECK_OK(gs_rms_norm_new(s4, 1, 1e-6, GS_DTYPE_FLOAT32, &m));
    check_description(m, "RMSNorm((4,), eps=1e-06)");
    out = forward1(m, x24t);
    CHECK_F32(out, s24, 2, (const float[]){0.36514835f, 0.7302967f, 1.0954451f, 1.4605934f,
                                           0.3202563f, 0.6405126f, 0.9607689f, 1.6012815f});
    release(out);
    CHECK_OK(gs_module_release(m));
    release(x24t);
    release(x);
}

static void errors(void) {
    gs_tensor x = make_f32(x24, s24, 2, false), out = {0};
    gs_tensor w4 = make_full(GS_DTYPE_FLOAT32, s4, 1, 1), w2 = make_full(GS_DTYPE_FLOAT32, s2, 1, 1);
    gs_tensor w64 = make_full(GS_DTYPE_FLOAT64, s4, 1, 1), xi = make_full(GS_DTYPE_INT64, s24, 2, 1);

    /* layer_norm / rms_norm */
    CHECK_ERROR(gs_layer_norm(x, s4, 1, (gs_tensor){0}, (gs_tensor){0}, 1e-5, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_layer_norm((gs_tensor){0}, s4, 1, (gs_tensor){0}, (gs_tensor){0}, 1e-5, &out), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_layer_norm(x, NULL, 1, (gs_tensor){0}, (gs_tensor){0}, 1e-5, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_layer_norm(x, s4, -1, (gs_tensor){0}, (gs_tensor){0}, 1e-5, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_layer_norm(x, s4, 100, (gs_tensor){0}, (gs_tensor){0}, 1e-5, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_layer_norm(x, s4, 0, (gs_tensor){0}, (gs_tensor){0}, 1e-5, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_layer_norm(x, s2, 1, (gs_tensor){0}, (gs_tensor){0}, 1e-5, &out), GS_ERR_SHAPE_MISMATCH);
    CHECK(mentions_shape(gs_last_error(), s24, 2));
    CHECK_ERROR(gs_layer_norm(x, INTS(3, 2, 4), 3, (gs_tensor){0}, (gs_tensor){0}, 1e-5, &out), GS_ERR_SHAPE_MISMATCH);
    CHECK_ERROR(gs_layer_norm(x, s4, 1, w2, (gs_tensor){0}, 1e-5, &out), GS_ERR_SHAPE_MISMATCH);
    CHECK_ERROR(gs_layer_norm(x, s4, 1, w4, w2, 1e-5, &out), GS_ERR_SHAPE_MISMATCH);
    CHECK_OK(gs_layer_norm(x, s4, 1, w64, (gs_tensor){0}, 1e-5, &out)); /* float32 input, float64 weight */
    CHECK_META(out, GS_DTYPE_FLOAT64, s24, 2);
    release(out);
    CHECK_ERROR(gs_layer_norm(x, s4, 1, (gs_tensor){12345}, (gs_tensor){0}, 1e-5, &out), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_layer_norm(x, s4, 1, (gs_tensor){0}, (gs_tensor){777}, 1e-5, &out), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_layer_norm(xi, s4, 1, (gs_tensor){0}, (gs_tensor){0}, 1e-5, &out), GS_ERR_DTYPE);
    CHECK_ERROR(gs_layer_norm(x, s4, 1, (gs_tensor){0}, (gs_tensor){0}, -1, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_layer_norm(x, s4, 1, (gs_tensor){0}, (gs_tensor){0}, NAN, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_rms_norm(x, s4, 1, (gs_tensor){0}, 1e-6, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_rms_norm((gs_tensor){0}, s4, 1, (gs_tensor){0}, 1e-6, &out), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_rms_norm(x, NULL, 2, (gs_tensor){0}, 1e-6, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_rms_norm(x, s2, 1, (gs_tensor){0}, 1e-6, &out), GS_ERR_SHAPE_MISMATCH);
    CHECK_ERROR(gs_rms_norm(x, s4, 1, w2, 1e-6, &out), GS_ERR_SHAPE_MISMATCH);
    CHECK_OK(gs_rms_norm(x, s4, 1, w64, 1e-6, &out));
    CHECK_META(out, GS_DTYPE_FLOAT64, s24, 2);
    release(out);
    CHECK_ERROR(gs_rms_norm(xi, s4, 1, (gs_tensor){0}, 1e-6, &out), GS_ERR_DTYPE);
    CHECK_ERROR(gs_rms_norm(x, s4, 1, (gs_tensor){0}, INFINITY, &out), GS_ERR_INVALID_ARGUMENT);

    /* batch_norm: x is (2, 4), so 4 channels */
    gs_tensor one = make_f32(x24, INTS(1, 4), 2, false), flat = make_f32(x24, s4, 1, false);
    gs_tensor grad4 = make_full(GS_DTYPE_FLOAT32, s4, 1, 0);
    CHECK_OK(gs_tensor_set_requires_grad(grad4, true));
    CHECK_ERROR(gs_batch_norm(x, w4, w4, (gs_tensor){0}, (gs_tensor){0}, true, 0.1, 1e-5, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_batch_norm((gs_tensor){0}, w4, w4, (gs_tensor){0}, (gs_tensor){0}, true, 0.1, 1e-5, &out), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_batch_norm(x, (gs_tensor){99}, w4, (gs_tensor){0}, (gs_tensor){0}, true, 0.1, 1e-5, &out), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_batch_norm(x, w4, (gs_tensor){99}, (gs_tensor){0}, (gs_tensor){0}, true, 0.1, 1e-5, &out), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_batch_norm(x, w4, w4, (gs_tensor){99}, (gs_tensor){0}, true, 0.1, 1e-5, &out), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_batch_norm(x, w4, w4, (gs_tensor){0}, (gs_tensor){99}, true, 0.1, 1e-5, &out), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_batch_norm(flat, w4, w4, (gs_tensor){0}, (gs_tensor){0}, false, 0.1, 1e-5, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_batch_norm(x, w2, w2, (gs_tensor){0}, (gs_tensor){0}, false, 0.1, 1e-5, &out), GS_ERR_SHAPE_MISMATCH);
    CHECK(strstr(gs_last_error(), "4 channels") != NULL);
    CHECK_ERROR(gs_batch_norm(x, w4, w4, w2, (gs_tensor){0}, false, 0.1, 1e-5, &out), GS_ERR_SHAPE_MISMATCH);
    CHECK_ERROR(gs_batch_norm(x, w4, w4, (gs_tensor){0}, w2, false, 0.1, 1e-5, &out), GS_ERR_SHAPE_MISMATCH);
    CHECK_ERROR(gs_batch_norm(x, w64, w4, (gs_tensor){0}, (gs_tensor){0}, false, 0.1, 1e-5, &out), GS_ERR_DTYPE);
    CHECK_ERROR(gs_batch_norm(xi, (gs_tensor){0}, (gs_tensor){0}, (gs_tensor){0}, (gs_tensor){0}, true, 0.1, 1e-5, &out), GS_ERR_DTYPE);
    CHECK_ERROR(gs_batch_norm(x, w4, (gs_tensor){0}, (gs_tensor){0}, (gs_tensor){0}, true, 0.1, 1e-5, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_batch_norm(x, (gs_tensor){0}, (gs_tensor){0}, (gs_tensor){0}, (gs_tensor){0}, false, 0.1, 1e-5, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_batch_norm(one, w4, w4, (gs_tensor){0}, (gs_tensor){0}, true, 0.1, 1e-5, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK(strstr(gs_last_error(), "expected more than 1 value per channel when training") != NULL);
    CHECK_OK(gs_batch_norm(one, w4, w4, (gs_tensor){0}, (gs_tensor){0}, false, 0.1, 1e-5, &out)); /* fine in evaluation */
    release(out);
    CHECK_ERROR(gs_batch_norm(x, w4, w4, (gs_tensor){0}, (gs_tensor){0}, true, INFINITY, 1e-5, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_batch_norm(x, w4, w4, (gs_tensor){0}, (gs_tensor){0}, true, 0.1, -1, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_batch_norm(x, grad4, w4, (gs_tensor){0}, (gs_tensor){0}, true, 0.1, 1e-5, &out), GS_ERR_INVALID_ARGUMENT);

    /* constructors */
    gs_module m = {0};
    CHECK_ERROR(gs_batch_norm1d_new(2, 1e-6, 0.1, GS_DTYPE_FLOAT32, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_batch_norm1d_new(0, 1e-6, 0.1, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_batch_norm1d_new(-3, 1e-6, 0.1, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_batch_norm1d_new(2, -1e-6, 0.1, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_batch_norm1d_new(2, 1e-6, NAN, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_batch_norm1d_new(2, 1e-6, 0.1, GS_DTYPE_INT64, &m), GS_ERR_DTYPE);
    CHECK_ERROR(gs_batch_norm1d_new(2, 1e-6, 0.1, 9, &m), GS_ERR_DTYPE);
    CHECK_ERROR(gs_batch_norm2d_new(2, 1e-6, 0.1, GS_DTYPE_FLOAT32, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_batch_norm2d_new(0, 1e-6, 0.1, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_batch_norm2d_new(2, INFINITY, 0.1, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_batch_norm2d_new(2, 1e-6, 0.1, GS_DTYPE_BOOL, &m), GS_ERR_DTYPE);
    CHECK_ERROR(gs_layer_norm_new(s4, 1, 1e-6, GS_DTYPE_FLOAT32, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_layer_norm_new(NULL, 1, 1e-6, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_layer_norm_new(s4, 0, 1e-6, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_layer_norm_new(s4, -2, 1e-6, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_layer_norm_new(INTS(-4), 1, 1e-6, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_layer_norm_new(s4, 1, -1, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_layer_norm_new(s4, 1, 1e-6, GS_DTYPE_INT64, &m), GS_ERR_DTYPE);
    CHECK_ERROR(gs_rms_norm_new(s4, 1, 1e-6, GS_DTYPE_FLOAT32, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_rms_norm_new(NULL, 3, 1e-6, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_rms_norm_new(s4, 0, 1e-6, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_rms_norm_new(INTS(2, -1), 2, 1e-6, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_rms_norm_new(s4, 1, NAN, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_rms_norm_new(s4, 1, 1e-6, -1, &m), GS_ERR_DTYPE);

    /* module forward: wrong rank, wrong channel count, one value per channel in training */
    gs_tensor out1[1];
    int32_t n = 0;
    CHECK_OK(gs_batch_norm2d_new(4, 1e-6, 0.1, GS_DTYPE_FLOAT32, &m));
    CHECK_ERROR(gs_module_forward(m, &x, 1, out1, 1, &n), GS_ERR_INVALID_ARGUMENT);
    CHECK(strstr(gs_last_error(), "BatchNorm2d: expected 4D input, got 2D") != NULL);
    CHECK_OK(gs_module_release(m));
    CHECK_OK(gs_batch_norm1d_new(3, 1e-6, 0.1, GS_DTYPE_FLOAT32, &m));
    CHECK_ERROR(gs_module_forward(m, &x, 1, out1, 1, &n), GS_ERR_SHAPE_MISMATCH);
    CHECK_OK(gs_module_release(m));
    CHECK_OK(gs_batch_norm1d_new(4, 1e-6, 0.1, GS_DTYPE_FLOAT32, &m));
    CHECK_ERROR(gs_module_forward(m, &one, 1, out1, 1, &n), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_module_forward(m, &flat, 1, out1, 1, &n), GS_ERR_INVALID_ARGUMENT);
    CHECK_OK(gs_module_release(m));
    CHECK_OK(gs_layer_norm_new(s2, 1, 1e-6, GS_DTYPE_FLOAT32, &m));
    CHECK_ERROR(gs_module_forward(m, &x, 1, out1, 1, &n), GS_ERR_SHAPE_MISMATCH);
    CHECK_OK(gs_module_release(m));
    CHECK_OK(gs_rms_norm_new(s4, 1, 1e-6, GS_DTYPE_FLOAT64, &m)); /* a float32 batch is promoted */
    CHECK_OK(gs_module_forward(m, &x, 1, out1, 1, &n));
    CHECK_META(out1[0], GS_DTYPE_FLOAT64, s24, 2);
    release(out1[0]);
    CHECK_OK(gs_module_release(m));

    release(one);
    release(flat);
    release(grad4);
    release(x);
    release(xi);
    release(w2);
    release(w4);
    release(w64);
}

void test_nn_norm(void) {
    layer_norm_values_and_gradients();
    rms_norm_values_and_gradients();
    batch_norm_training_then_evaluation();
    modules();
    errors();
}
