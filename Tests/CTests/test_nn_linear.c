/* Linear, embedding and dropout through the C ABI: functional ops (values, gradients, every
 * error path) and the layer constructors with the generic module functions. */
#include <stdlib.h>

#include "check.h"

static const float x6[] = {1, 2, 3, 4, 5, 6};
static const float w32[] = {1, 0, 0, 1, 1, 1}; /* (3, 2) */

/* Backward of sum(t). */
static void backward_sum(gs_tensor t) {
    gs_tensor s = {0};
    CHECK_OK(gs_sum(t, NULL, -1, false, &s));
    CHECK_OK(gs_backward(s, false));
    release(s);
}

/* Runs a one-input module and returns its single output (0 on failure). */
static gs_tensor forward1(gs_module module, gs_tensor input) {
    gs_tensor out[3] = {0};
    int32_t n = 0;
    CHECK_OK(gs_module_forward(module, &input, 1, out, 3, &n));
    CHECK(n == 1);
    return out[0];
}

/* Whether the module's description is exactly `want`. */
static bool describes(gs_module module, const char *want) {
    char buffer[128];
    int64_t length = 0;
    CHECK_OK(gs_module_describe(module, buffer, sizeof buffer, &length));
    return CHECK(strcmp(buffer, want) == 0) && CHECK(length == (int64_t)strlen(want));
}

static void linear_values(void) {
    gs_tensor x = make_f32(x6, INTS(2, 3), 2, true);
    gs_tensor w = make_f32(w32, INTS(3, 2), 2, true);
    gs_tensor b = make_f32((const float[]){0.5f, -1}, INTS(2), 1, true);
    gs_tensor y = {0};
    CHECK_OK(gs_linear(x, w, b, &y));
    CHECK_F32(y, INTS(2, 2), 2, (const float[]){4.5f, 4, 10.5f, 10});
    backward_sum(y);
    CHECK_GRAD(x, INTS(2, 3), 2, (const float[]){1, 1, 2, 1, 1, 2}); /* ones @ W^T */
    CHECK_GRAD(w, INTS(3, 2), 2, (const float[]){5, 5, 7, 7, 9, 9}); /* X^T @ ones */
    CHECK_GRAD(b, INTS(2), 1, (const float[]){2, 2});
    release(y);

    /* no bias; a 1-D input; a (1, out) bias */
    CHECK_OK(gs_linear(x, w, (gs_tensor){0}, &y));
    CHECK_F32(y, INTS(2, 2), 2, (const float[]){4, 5, 10, 11});
    release(y);
    gs_tensor v = make_f32(x6, INTS(3), 1, false);
    CHECK_OK(gs_linear(v, w, b, &y));
    CHECK_F32(y, INTS(2), 1, (const float[]){4.5f, 4});
    release(y);
    gs_tensor row = make_f32((const float[]){1, 2}, INTS(1, 2), 2, false);
    CHECK_OK(gs_linear(x, w, row, &y));
    CHECK_F32(y, INTS(2, 2), 2, (const float[]){5, 7, 11, 13});
    release(y);
    release(row);
    release(v);
    release(x);
    release(w);
    release(b);
}

static void linear_errors(void) {
    gs_tensor x = make_f32(x6, INTS(2, 3), 2, false);
    gs_tensor w = make_f32(w32, INTS(3, 2), 2, false);
    gs_tensor b = make_f32((const float[]){0, 0}, INTS(2), 1, false);
    gs_tensor out = {777};

    CHECK_ERROR(gs_linear(x, w, b, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_linear((gs_tensor){0}, w, b, &out), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_linear(x, (gs_tensor){0}, b, &out), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_linear(x, w, (gs_tensor){0xDEADBEEFull}, &out), GS_ERR_INVALID_HANDLE);
    CHECK(out.id == 777);

    /* in-features mismatch: (3, 2) input against a (3, 2) weight */
    gs_tensor x32 = make_f32(x6, INTS(3, 2), 2, false);
    CHECK_ERROR(gs_linear(x32, w, b, &out), GS_ERR_SHAPE_MISMATCH);
    CHECK(strstr(gs_last_error(), "in_features = 3") != NULL);
    /* a bias of the wrong size or rank */
    gs_tensor b3 = make_f32(x6, INTS(3), 1, false);
    CHECK_ERROR(gs_linear(x, w, b3, &out), GS_ERR_SHAPE_MISMATCH);
    gs_tensor b22 = make_f32(x6, INTS(2, 2), 2, false);
    CHECK_ERROR(gs_linear(x, w, b22, &out), GS_ERR_SHAPE_MISMATCH);
    /* ranks */
    gs_tensor w1 = make_f32(x6, INTS(3), 1, false);
    CHECK_ERROR(gs_linear(x, w1, (gs_tensor){0}, &out), GS_ERR_INVALID_ARGUMENT);
    gs_tensor scalar = make_full(GS_DTYPE_FLOAT32, NULL, 0, 1.0);
    CHECK_ERROR(gs_linear(scalar, w, (gs_tensor){0}, &out), GS_ERR_INVALID_ARGUMENT);
    /* dtypes: int input, int or bool weight */
    gs_tensor xi = make_full(GS_DTYPE_INT64, INTS(2, 3), 2, 1.0);
    CHECK_ERROR(gs_linear(xi, w, (gs_tensor){0}, &out), GS_ERR_DTYPE);
    gs_tensor wb = make_full(GS_DTYPE_BOOL, INTS(3, 2), 2, 1.0);
    CHECK_ERROR(gs_linear(x, wb, (gs_tensor){0}, &out), GS_ERR_DTYPE);
    CHECK(out.id == 777);
    /* float32 meeting a float64 weight or bias computes in float64 */
    gs_tensor w64 = make_full(GS_DTYPE_FLOAT64, INTS(3, 2), 2, 1.0);
    CHECK_OK(gs_linear(x, w64, (gs_tensor){0}, &out));
    CHECK_META(out, GS_DTYPE_FLOAT64, INTS(2, 2), 2);
    release(out);
    gs_tensor b64 = make_full(GS_DTYPE_FLOAT64, INTS(2), 1, 1.0);
    CHECK_OK(gs_linear(x, w, b64, &out));
    CHECK_META(out, GS_DTYPE_FLOAT64, INTS(2, 2), 2);
    release(out);

    gs_tensor all[] = {x, w, b, x32, b3, b22, w1, scalar, xi, w64, b64, wb};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        release(all[i]);
}

static void embedding_values(void) {
    gs_tensor table = make_f32((const float[]){0, 1, 2, 3, 4, 5, 6, 7}, INTS(4, 2), 2, true);
    gs_tensor idx = make_i64(INTS(3, 1, 3), INTS(3), 1);
    gs_tensor y = {0};
    CHECK_OK(gs_embedding(idx, table, 0, false, &y));
    CHECK_F32(y, INTS(3, 2), 2, (const float[]){6, 7, 2, 3, 6, 7});
    backward_sum(y);
    CHECK_GRAD(table, INTS(4, 2), 2, (const float[]){0, 0, 1, 1, 0, 0, 2, 2});
    release(y);
    CHECK_OK(gs_tensor_zero_grad(table));

    /* padding row 3 (given as -1): the output keeps the row, the gradient skips it */
    gs_tensor idx2 = make_i64(INTS(3, 1, 3, 0), INTS(2, 2), 2);
    CHECK_OK(gs_embedding(idx2, table, -1, true, &y));
    CHECK_F32(y, INTS(2, 2, 2), 3, (const float[]){6, 7, 2, 3, 6, 7, 0, 1});
    backward_sum(y);
    CHECK_GRAD(table, INTS(4, 2), 2, (const float[]){1, 1, 1, 1, 0, 0, 0, 0});
    release(y);
    release(idx2);
    release(idx);
    release(table);
}

static void embedding_errors(void) {
    gs_tensor table = make_f32(x6, INTS(3, 2), 2, false);
    gs_tensor out = {777};
    gs_tensor bad = make_i64(INTS(0, 3), INTS(2), 1);
    CHECK_ERROR(gs_embedding(bad, table, 0, false, &out), GS_ERR_INDEX);
    CHECK(strstr(gs_last_error(), "index 3 is out of range for 3 embeddings") != NULL);
    gs_tensor negative = make_i64(INTS(-1), INTS(1), 1);
    CHECK_ERROR(gs_embedding(negative, table, 0, false, &out), GS_ERR_INDEX);

    gs_tensor idx = make_i64(INTS(0, 2), INTS(2), 1);
    CHECK_ERROR(gs_embedding(idx, table, 0, false, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_embedding((gs_tensor){0}, table, 0, false, &out), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_embedding(idx, (gs_tensor){0}, 0, false, &out), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_embedding(idx, table, 3, true, &out), GS_ERR_INVALID_ARGUMENT); /* padding */
    CHECK_ERROR(gs_embedding(idx, table, -4, true, &out), GS_ERR_INVALID_ARGUMENT);
    gs_tensor fidx = make_f32((const float[]){0, 1}, INTS(2), 1, false);
    CHECK_ERROR(gs_embedding(fidx, table, 0, false, &out), GS_ERR_DTYPE);
    gs_tensor itable = make_full(GS_DTYPE_INT64, INTS(3, 2), 2, 1.0);
    CHECK_ERROR(gs_embedding(idx, itable, 0, false, &out), GS_ERR_DTYPE);
    gs_tensor table3 = make_full(GS_DTYPE_FLOAT32, INTS(3, 2, 1), 3, 1.0);
    CHECK_ERROR(gs_embedding(idx, table3, 0, false, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK(out.id == 777);

    /* a padding index is ignored without has_padding */
    CHECK_OK(gs_embedding(idx, table, 99, false, &out));
    release(out);
    gs_tensor all[] = {table, bad, negative, idx, fidx, itable, table3};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        release(all[i]);
}

/* Copies n float64 elements of t. */
static void read_f64(gs_tensor t, double *dst, int64_t n) {
    CHECK_OK(gs_tensor_copy_data(t, dst, n * (int64_t)sizeof(double)));
}

static void dropout_values(void) {
    enum { N = 2000 };
    static double first[N], second[N], grad[N];
    gs_tensor x = make_full(GS_DTYPE_FLOAT64, INTS(N), 1, 1.0);
    CHECK_OK(gs_tensor_set_requires_grad(x, true));
    gs_tensor y = {0};

    CHECK_OK(gs_manual_seed(9));
    CHECK_OK(gs_dropout(x, 0.25, true, &y));
    read_f64(y, first, N);
    backward_sum(y);
    gs_tensor g = {0};
    CHECK_OK(gs_tensor_grad(x, &g));
    read_f64(g, grad, N);
    release(g);
    release(y);
    int zeros = 0, scaled = 0, same_grad = 0;
    for (int i = 0; i < N; i++) {
        zeros += first[i] == 0;
        scaled += first[i] == 1 / 0.75;
        same_grad += grad[i] == first[i]; /* d(sum)/dx = mask * scale */
    }
    CHECK(zeros + scaled == N);
    CHECK(zeros > 400 && zeros < 600);
    CHECK(same_grad == N);

    /* the same seed gives the same mask */
    CHECK_OK(gs_manual_seed(9));
    CHECK_OK(gs_dropout(x, 0.25, true, &y));
    read_f64(y, second, N);
    CHECK(memcmp(first, second, sizeof first) == 0);
    release(y);

    /* identity when not training or p == 0; zeros for p == 1 */
    CHECK_OK(gs_dropout(x, 0.9, false, &y));
    read_f64(y, second, N);
    int ones = 0;
    for (int i = 0; i < N; i++)
        ones += second[i] == 1;
    CHECK(ones == N);
    release(y);
    gs_tensor small = make_f32(x6, INTS(6), 1, false);
    CHECK_OK(gs_dropout(small, 0.0, true, &y));
    CHECK_F32(y, INTS(6), 1, x6);
    release(y);
    CHECK_OK(gs_dropout(small, 1.0, true, &y));
    CHECK_F32(y, INTS(6), 1, (const float[]){0, 0, 0, 0, 0, 0});
    release(y);
    release(small);
    release(x);
}

static void dropout_errors(void) {
    gs_tensor x = make_f32(x6, INTS(6), 1, false);
    gs_tensor out = {777};
    CHECK_ERROR(gs_dropout(x, -0.1, true, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_dropout(x, 1.5, false, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_dropout(x, NAN, true, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_dropout(x, 0.5, true, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_dropout((gs_tensor){0}, 0.5, true, &out), GS_ERR_INVALID_HANDLE);
    gs_tensor xi = make_full(GS_DTYPE_INT64, INTS(6), 1, 1.0);
    CHECK_ERROR(gs_dropout(xi, 0.5, true, &out), GS_ERR_DTYPE);
    CHECK(out.id == 777);
    release(xi);
    release(x);
}

static void linear_module(void) {
    gs_module m = {0};
    CHECK_OK(gs_linear_new(3, 2, true, GS_DTYPE_FLOAT32, &m));
    CHECK(describes(m, "Linear(in_features=3, out_features=2, bias=True)"));
    int64_t count = 0;
    CHECK_OK(gs_module_parameter_count(m, &count));
    CHECK(count == 2);
    char name[16];
    int64_t length = 0;
    CHECK_OK(gs_module_parameter_name(m, 1, name, sizeof name, &length));
    CHECK(strcmp(name, "bias") == 0);

    /* default init: |w| <= sqrt(6 / in), |b| <= 1 / sqrt(in) */
    gs_tensor w = {0}, b = {0};
    CHECK_OK(gs_module_parameter(m, "weight", &w));
    CHECK_OK(gs_module_parameter(m, "bias", &b));
    CHECK_META(w, GS_DTYPE_FLOAT32, INTS(3, 2), 2);
    CHECK_META(b, GS_DTYPE_FLOAT32, INTS(2), 1);
    float wv[6], bv[2];
    CHECK_OK(gs_tensor_copy_data(w, wv, sizeof wv));
    CHECK_OK(gs_tensor_copy_data(b, bv, sizeof bv));
    for (int i = 0; i < 6; i++)
        CHECK(fabsf(wv[i]) <= sqrtf(2.0f) && wv[i] != 0);
    for (int i = 0; i < 2; i++)
        CHECK(fabsf(bv[i]) <= 1 / sqrtf(3.0f));

    /* known parameters, a forward and the parameters' gradients */
    gs_tensor w2 = make_f32(w32, INTS(3, 2), 2, false);
    gs_tensor b2 = make_f32((const float[]){0.5f, -1}, INTS(2), 1, false);
    CHECK_OK(gs_module_set_parameter(m, "weight", w2));
    CHECK_OK(gs_module_set_parameter(m, "bias", b2));
    gs_tensor x = make_f32(x6, INTS(2, 3), 2, false);
    gs_tensor y = forward1(m, x);
    CHECK_F32(y, INTS(2, 2), 2, (const float[]){4.5f, 4, 10.5f, 10});
    backward_sum(y);
    CHECK_GRAD(w2, INTS(3, 2), 2, (const float[]){5, 5, 7, 7, 9, 9});
    CHECK_GRAD(b2, INTS(2), 1, (const float[]){2, 2});
    release(y);

    /* the input's feature count is checked */
    gs_tensor out[3];
    int32_t n = 0;
    gs_tensor x2 = make_f32(x6, INTS(3, 2), 2, false);
    CHECK_ERROR(gs_module_forward(m, &x2, 1, out, 3, &n), GS_ERR_SHAPE_MISMATCH);
    gs_tensor pair[] = {x, x};
    CHECK_ERROR(gs_module_forward(m, pair, 2, out, 3, &n), GS_ERR_INVALID_ARGUMENT);

    gs_module nb = {0};
    CHECK_OK(gs_linear_new(4, 5, false, GS_DTYPE_FLOAT64, &nb));
    CHECK_OK(gs_module_parameter_count(nb, &count));
    CHECK(count == 1);
    CHECK(describes(nb, "Linear(in_features=4, out_features=5, bias=False)"));

    gs_tensor all[] = {w, b, w2, b2, x, x2};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        release(all[i]);
    CHECK_OK(gs_module_release(nb));
    CHECK_OK(gs_module_release(m));
}

static void embedding_and_dropout_modules(void) {
    gs_module e = {0};
    CHECK_OK(gs_embedding_new(5, 3, -1, true, GS_DTYPE_FLOAT64, &e));
    CHECK(describes(e, "Embedding(5, 3, padding_idx=4)"));
    gs_tensor w = {0};
    CHECK_OK(gs_module_parameter(e, "weight", &w));
    CHECK_META(w, GS_DTYPE_FLOAT64, INTS(5, 3), 2);
    double table[15];
    read_f64(w, table, 15);
    CHECK(table[12] == 0 && table[13] == 0 && table[14] == 0); /* the padding row */
    CHECK(table[0] != 0);
    gs_tensor idx = make_i64(INTS(4, 0), INTS(2), 1);
    gs_tensor y = forward1(e, idx);
    double got[6];
    read_f64(y, got, 6);
    CHECK(got[0] == 0 && got[3] == table[0] && got[5] == table[2]);
    release(y);
    gs_module nopad = {0};
    CHECK_OK(gs_embedding_new(2, 4, 7, false, GS_DTYPE_FLOAT32, &nopad));
    CHECK(describes(nopad, "Embedding(2, 4)"));

    gs_module d = {0};
    CHECK_OK(gs_dropout_new(0.25, &d));
    CHECK(describes(d, "Dropout(p=0.25)"));
    int64_t count = -1;
    CHECK_OK(gs_module_parameter_count(d, &count));
    CHECK(count == 0);
    gs_tensor x = make_full(GS_DTYPE_FLOAT32, INTS(1000), 1, 1.0);
    gs_tensor yd = forward1(d, x);
    float v[1000];
    CHECK_OK(gs_tensor_copy_data(yd, v, sizeof v));
    int zeros = 0;
    for (int i = 0; i < 1000; i++)
        zeros += v[i] == 0;
    CHECK(zeros > 150 && zeros < 350);
    release(yd);
    CHECK_OK(gs_module_train(d, false));
    yd = forward1(d, x);
    CHECK_OK(gs_tensor_copy_data(yd, v, sizeof v));
    zeros = 0;
    for (int i = 0; i < 1000; i++)
        zeros += v[i] != 1;
    CHECK(zeros == 0); /* evaluation mode: the identity */
    release(yd);

    release(x);
    release(idx);
    release(w);
    CHECK_OK(gs_module_release(nopad));
    CHECK_OK(gs_module_release(e));
    CHECK_OK(gs_module_release(d));
}

static void constructor_errors(void) {
    gs_module m = {777};
    CHECK_ERROR(gs_linear_new(-1, 2, true, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_linear_new(2, -1, false, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_linear_new(2, 2, true, GS_DTYPE_INT64, &m), GS_ERR_DTYPE);
    CHECK_ERROR(gs_linear_new(2, 2, true, 99, &m), GS_ERR_DTYPE);
    CHECK_ERROR(gs_linear_new(INT64_MAX, INT64_MAX, true, GS_DTYPE_FLOAT32, &m),
                GS_ERR_OUT_OF_MEMORY);
    CHECK_ERROR(gs_linear_new(2, 2, true, GS_DTYPE_FLOAT32, NULL), GS_ERR_INVALID_ARGUMENT);

    CHECK_ERROR(gs_embedding_new(-3, 2, 0, false, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_embedding_new(3, -2, 0, false, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_embedding_new(3, 2, 3, true, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK(strstr(gs_last_error(), "padding_idx 3") != NULL);
    CHECK_ERROR(gs_embedding_new(3, 2, INT64_MIN, true, GS_DTYPE_FLOAT32, &m),
                GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_embedding_new(3, 2, 0, false, GS_DTYPE_BOOL, &m), GS_ERR_DTYPE);
    CHECK_ERROR(gs_embedding_new(INT64_MAX, 2, 0, false, GS_DTYPE_FLOAT64, &m),
                GS_ERR_OUT_OF_MEMORY);
    CHECK_ERROR(gs_embedding_new(3, 2, 0, false, GS_DTYPE_FLOAT32, NULL), GS_ERR_INVALID_ARGUMENT);

    CHECK_ERROR(gs_dropout_new(-0.5, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_dropout_new(1.01, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_dropout_new(NAN, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_dropout_new(0.5, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK(m.id == 777);

    /* a module handle is not a tensor, and a tensor is not a module */
    gs_module d = {0};
    gs_tensor x = make_f32(x6, INTS(2, 3), 2, false), out = {0};
    CHECK_OK(gs_dropout_new(0.5, &d));
    CHECK_ERROR(gs_linear((gs_tensor){d.id}, x, (gs_tensor){0}, &out), GS_ERR_INVALID_HANDLE);
    int32_t n = 0;
    CHECK_ERROR(gs_module_forward((gs_module){x.id}, &x, 1, &out, 1, &n), GS_ERR_INVALID_HANDLE);
    CHECK_OK(gs_module_release(d));
    release(x);
}

void test_nn_linear(void) {
    linear_values();
    linear_errors();
    embedding_values();
    embedding_errors();
    dropout_values();
    dropout_errors();
    linear_module();
    embedding_and_dropout_modules();
    constructor_errors();
}
