/* Resampling: gs_adaptive_{max,avg}_pool{1,2}d, gs_interpolate, gs_conv_transpose{1,2}d (a
 * value and gradient worked out by hand for each; the golden file resample.txt checks many
 * more), their layer constructors, and every error path of these functions.
 */
#include "check.h"

/* Sums `t` and back-propagates (checked). */
static void backward_of_sum(gs_tensor t) {
    gs_tensor total = {0};
    CHECK_OK(gs_sum(t, NULL, -1, false, &total));
    CHECK_OK(gs_backward(total, false));
    release(total);
}

static void adaptive_pooling(void) {
    /* L = 5 into 3 windows: [0, 2), [1, 4), [3, 5) */
    gs_tensor x = make_f32((const float[]){1, 5, 2, 4, 3}, INTS(1, 5), 2, true);
    gs_tensor out = {0};
    CHECK_OK(gs_adaptive_max_pool1d(x, 3, &out));
    CHECK_F32(out, INTS(1, 3), 2, (const float[]){5, 5, 4});
    backward_of_sum(out);
    CHECK_GRAD(x, INTS(1, 5), 2, (const float[]){0, 2, 0, 1, 0});
    release(out);
    CHECK_OK(gs_adaptive_avg_pool1d(x, 3, &out));
    CHECK_F32(out, INTS(1, 3), 2, (const float[]){3, 11.0f / 3, 3.5f});
    release(out);
    CHECK_OK(gs_adaptive_avg_pool1d(x, -1, &out)); /* -1 keeps the size: the identity */
    CHECK_F32(out, INTS(1, 5), 2, (const float[]){1, 5, 2, 4, 3});
    release(out);
    gs_tensor image = make_f32((const float[]){1, 2, 3, 4, 5, 6}, INTS(1, 1, 2, 3), 4, false);
    CHECK_OK(gs_adaptive_avg_pool2d(image, 1, -1, &out)); /* column means */
    CHECK_F32(out, INTS(1, 1, 1, 3), 4, (const float[]){2.5f, 3.5f, 4.5f});
    release(out);

    gs_tensor stale = make_full(GS_DTYPE_FLOAT64, INTS(1, 1), 2, 1);
    release(stale);
    gs_tensor ints = make_full(GS_DTYPE_INT64, INTS(1, 5), 2, 1);
    CHECK_ERROR(gs_adaptive_max_pool1d(x, 3, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_adaptive_max_pool1d((gs_tensor){0}, 3, &out), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_adaptive_avg_pool1d(stale, 3, &out), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_adaptive_avg_pool1d(x, -2, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_adaptive_avg_pool1d(x, INT64_MAX, &out), GS_ERR_OUT_OF_MEMORY);
    CHECK_ERROR(gs_adaptive_avg_pool1d(ints, 2, &out), GS_ERR_DTYPE);
    CHECK_ERROR(gs_adaptive_max_pool2d(x, 2, 2, &out), GS_ERR_INVALID_ARGUMENT); /* rank 2 */
    CHECK_ERROR(gs_adaptive_avg_pool1d(image, 2, &out), GS_ERR_INVALID_ARGUMENT); /* rank 4 */
    CHECK_ERROR(gs_adaptive_avg_pool2d(image, 2, -3, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_adaptive_max_pool2d(image, INT64_C(1) << 62, 1, &out), GS_ERR_OUT_OF_MEMORY);
    /* an empty output with a huge other size: nothing is allocated for it (a fuzzer find) */
    CHECK_OK(gs_adaptive_max_pool2d(image, 0, INT64_C(1) << 36, &out));
    CHECK(out.id != 0);
    release(out);
    gs_tensor none = make_full(GS_DTYPE_FLOAT32, INTS(0, 1, 2), 3, 1);
    CHECK_OK(gs_interpolate(none, 0, INT64_C(1) << 40, 0, 0, 1, false, &out));
    release(out);
    release(none);

    gs_module m = {0};
    CHECK_ERROR(gs_adaptive_max_pool2d_new(-2, 1, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_adaptive_avg_pool1d_new(3, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_OK(gs_adaptive_avg_pool2d_new(-1, 2, &m));
    CHECK_OK(gs_module_release(m));
    release(x);
    release(image);
    release(ints);
}

static void interpolation(void) {
    /* 'linear' from 2 to 4 samples, half-pixel centres: 1, 1.25, 1.75, 2 */
    gs_tensor x = make_f32((const float[]){1, 2}, INTS(1, 1, 2), 3, true);
    gs_tensor out = {0};
    CHECK_OK(gs_interpolate(x, 0, 4, 0, 0, 1, false, &out));
    CHECK_F32(out, INTS(1, 1, 4), 3, (const float[]){1, 1.25f, 1.75f, 2});
    backward_of_sum(out);
    CHECK_GRAD(x, INTS(1, 1, 2), 3, (const float[]){2, 2});
    release(out);
    CHECK_OK(gs_interpolate(x, 0, 0, 0, 1.5, 0, false, &out)); /* nearest, factor 1.5: 1 1 2 */
    CHECK_F32(out, INTS(1, 1, 3), 3, (const float[]){1, 1, 2});
    release(out);
    CHECK_OK(gs_interpolate(x, 0, 3, 0, 0, 1, true, &out)); /* corners aligned: 1 1.5 2 */
    CHECK_F32(out, INTS(1, 1, 3), 3, (const float[]){1, 1.5f, 2});
    release(out);

    gs_tensor image = make_f32((const float[]){1, 2, 3, 4}, INTS(1, 1, 2, 2), 4, false);
    CHECK_OK(gs_interpolate(image, 0, 0, 1, 2, 0, false, &out)); /* (1, 2) scale: columns doubled */
    CHECK_F32(out, INTS(1, 1, 2, 4), 4, (const float[]){1, 1, 2, 2, 3, 3, 4, 4});
    release(out);
    CHECK_ERROR(gs_interpolate(image, 0, 4, 0, 0, 0, false, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_interpolate((gs_tensor){0}, 0, 4, 0, 0, 0, false, &out), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_interpolate(image, 0, 0, 0, 0, 0, false, &out), GS_ERR_INVALID_ARGUMENT); /* neither */
    CHECK_ERROR(gs_interpolate(image, 0, 4, 0, 2, 0, false, &out), GS_ERR_INVALID_ARGUMENT); /* both */
    CHECK_ERROR(gs_interpolate(image, 0, 4, 0, 0, 3, false, &out), GS_ERR_INVALID_ARGUMENT); /* mode */
    CHECK_ERROR(gs_interpolate(image, 0, 4, 0, 0, 1, false, &out), GS_ERR_INVALID_ARGUMENT); /* linear on 4-D */
    CHECK_ERROR(gs_interpolate(x, 0, 4, 0, 0, 2, false, &out), GS_ERR_INVALID_ARGUMENT);     /* bilinear on 3-D */
    CHECK_ERROR(gs_interpolate(image, 0, 4, 0, 0, 0, true, &out), GS_ERR_INVALID_ARGUMENT);  /* align, nearest */
    CHECK_ERROR(gs_interpolate(image, 0, -4, 0, 0, 0, false, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_interpolate(x, 3, 4, 0, 0, 0, false, &out), GS_ERR_INVALID_ARGUMENT);     /* 2 sizes, 1 axis */
    CHECK_ERROR(gs_interpolate(image, 0, 0, 0, -1, 0, false, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_interpolate(image, 0, 0, 0, 0.1, 0, false, &out), GS_ERR_INVALID_ARGUMENT); /* empty */
    CHECK_ERROR(gs_interpolate(image, 0, 0, 0, NAN, 0, false, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_interpolate(image, 0, 0, 0, INFINITY, 0, false, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_interpolate(image, 0, 0, 0, 1e300, 0, false, &out), GS_ERR_OUT_OF_MEMORY);

    gs_module m = {0};
    CHECK_ERROR(gs_upsample_new(0, 0, 0, 0, 0, false, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_upsample_new(0, 2, 0, 0, 0, true, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_upsample_new(0, 2, 0, 0, -1, false, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_upsample_new(0, 0, 0, -2, 0, false, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_OK(gs_upsample_new(0, 0, 0, 2, 2, true, &m));
    CHECK_OK(gs_module_release(m));
    release(x);
    release(image);
}

static void transposed_convolution(void) {
    /* one input pixel per position, stride 2: the kernel [1 2 3] placed at 0 and 2, overlapping */
    gs_tensor x = make_f32((const float[]){1, 10}, INTS(1, 1, 2), 3, true);
    gs_tensor w = make_f32((const float[]){1, 2, 3}, INTS(1, 1, 3), 3, true);
    gs_tensor b = make_f32((const float[]){0.5f}, INTS(1), 1, true);
    gs_tensor out = {0};
    CHECK_OK(gs_conv_transpose1d(x, w, b, 2, 0, 0, &out));
    CHECK_F32(out, INTS(1, 1, 5), 3, (const float[]){1.5f, 2.5f, 13.5f, 20.5f, 30.5f});
    backward_of_sum(out);
    CHECK_GRAD(x, INTS(1, 1, 2), 3, (const float[]){6, 6});
    CHECK_GRAD(w, INTS(1, 1, 3), 3, (const float[]){11, 11, 11});
    CHECK_GRAD(b, INTS(1), 1, (const float[]){5});
    release(out);
    CHECK_OK(gs_conv_transpose1d(x, w, (gs_tensor){0}, 2, 1, 1, &out)); /* cropped by 1, one extra at the end */
    CHECK_F32(out, INTS(1, 1, 4), 3, (const float[]){2, 13, 20, 30});
    release(out);

    gs_tensor x4 = make_full(GS_DTYPE_FLOAT32, INTS(1, 2, 3, 3), 4, 1);
    gs_tensor w4 = make_full(GS_DTYPE_FLOAT32, INTS(2, 3, 2, 2), 4, 1);
    gs_tensor xi = make_full(GS_DTYPE_INT64, INTS(1, 2, 3, 3), 4, 1);
    gs_tensor b2 = make_full(GS_DTYPE_FLOAT32, INTS(2), 1, 0);
    CHECK_OK(gs_conv_transpose2d(x4, w4, (gs_tensor){0}, 2, 1, 0, 0, 1, 0, &out));
    CHECK(out.id != 0);
    release(out);
    CHECK_ERROR(gs_conv_transpose2d(x4, w4, (gs_tensor){0}, 1, 1, 0, 0, 0, 0, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_conv_transpose2d((gs_tensor){0}, w4, (gs_tensor){0}, 1, 1, 0, 0, 0, 0, &out), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_conv_transpose2d(x, w4, (gs_tensor){0}, 1, 1, 0, 0, 0, 0, &out), GS_ERR_INVALID_ARGUMENT);   /* rank */
    CHECK_ERROR(gs_conv_transpose2d(x4, w, (gs_tensor){0}, 1, 1, 0, 0, 0, 0, &out), GS_ERR_INVALID_ARGUMENT);   /* rank */
    CHECK_ERROR(gs_conv_transpose2d(w4, w4, (gs_tensor){0}, 1, 1, 0, 0, 0, 0, &out), GS_ERR_SHAPE_MISMATCH);    /* channels */
    CHECK_ERROR(gs_conv_transpose2d(x4, w4, b2, 1, 1, 0, 0, 0, 0, &out), GS_ERR_SHAPE_MISMATCH);                /* bias */
    CHECK_ERROR(gs_conv_transpose2d(xi, w4, (gs_tensor){0}, 1, 1, 0, 0, 0, 0, &out), GS_ERR_DTYPE);
    CHECK_ERROR(gs_conv_transpose2d(x4, w4, (gs_tensor){0}, 0, 1, 0, 0, 0, 0, &out), GS_ERR_INVALID_ARGUMENT);  /* stride */
    CHECK_ERROR(gs_conv_transpose2d(x4, w4, (gs_tensor){0}, 1, 1, -1, 0, 0, 0, &out), GS_ERR_INVALID_ARGUMENT); /* padding */
    CHECK_ERROR(gs_conv_transpose2d(x4, w4, (gs_tensor){0}, 2, 2, 0, 0, 2, 0, &out), GS_ERR_INVALID_ARGUMENT);  /* output_padding */
    CHECK_ERROR(gs_conv_transpose2d(x4, w4, (gs_tensor){0}, 1, 1, 3, 0, 0, 0, &out), GS_ERR_INVALID_ARGUMENT);  /* empty */
    CHECK_ERROR(gs_conv_transpose2d(x4, w4, (gs_tensor){0}, INT64_MAX, 1, 0, 0, 0, 0, &out), GS_ERR_OUT_OF_MEMORY);
    CHECK_ERROR(gs_conv_transpose2d(x4, w4, (gs_tensor){0}, 1, 1, INT64_MAX, 0, 0, 0, &out), GS_ERR_OUT_OF_MEMORY);
    CHECK_ERROR(gs_conv_transpose2d(x4, w4, (gs_tensor){0}, INT64_MAX, 1, 0, 0, INT64_MAX - 1, 0, &out), GS_ERR_OUT_OF_MEMORY);
    CHECK_ERROR(gs_conv_transpose1d(x, w, (gs_tensor){0}, 1, 0, 1, &out), GS_ERR_INVALID_ARGUMENT);

    gs_module m = {0};
    CHECK_ERROR(gs_conv_transpose2d_new(2, 3, 3, 3, 1, 1, 0, 0, 1, 0, true, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_conv_transpose2d_new(0, 3, 3, 3, 1, 1, 0, 0, 0, 0, true, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_conv_transpose1d_new(2, 3, 3, 1, 0, 0, true, GS_DTYPE_INT64, &m), GS_ERR_DTYPE);
    CHECK_ERROR(gs_conv_transpose1d_new(2, 3, 0, 1, 0, 0, true, GS_DTYPE_FLOAT64, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_conv_transpose1d_new(INT64_C(1) << 40, INT64_C(1) << 40, 3, 1, 0, 0, true, GS_DTYPE_FLOAT64, &m),
                GS_ERR_OUT_OF_MEMORY);
    CHECK_OK(gs_conv_transpose2d_new(2, 3, 3, 2, 2, 1, 1, 0, 1, 0, false, GS_DTYPE_FLOAT64, &m));
    int64_t count = 0;
    CHECK_OK(gs_module_parameter_count(m, &count));
    CHECK(count == 1);
    CHECK_OK(gs_module_release(m));
    release(x);
    release(w);
    release(b);
    release(x4);
    release(w4);
    release(xi);
    release(b2);
}

void test_nn_resample(void) {
    adaptive_pooling();
    interpolation();
    transposed_convolution();
}
