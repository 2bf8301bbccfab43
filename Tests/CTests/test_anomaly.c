/* Anomaly detection through the ABI: the switch, the op named in forward and in backward, a
 * failed backward leaving gradients and graph as they were, and training with the mode on. */
#include <stdlib.h>

#include "check.h"

/* The last error mentions `part`. */
static void check_message(const char *part) {
    if (!CHECK(strstr(gs_last_error(), part) != NULL))
        fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", gs_last_error(), part);
}

/* Copies the first three float32 elements of t (its gradient when `grad`) into v. */
static void read3(gs_tensor t, bool grad, float v[3]) {
    gs_tensor g = t;
    if (grad) CHECK_OK(gs_tensor_grad(t, &g));
    CHECK_OK(gs_tensor_copy_data(g, v, 3 * sizeof(float)));
    if (grad) release(g);
}

static void test_switch(void) {
    bool flag = true;
    CHECK_OK(gs_is_anomaly_enabled(&flag));
    CHECK(!flag); /* off at load */
    CHECK_OK(gs_set_detect_anomaly(true));
    CHECK_OK(gs_is_anomaly_enabled(&flag));
    CHECK(flag);
    CHECK_ERROR(gs_is_anomaly_enabled(NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_OK(gs_set_detect_anomaly(false));
    CHECK_OK(gs_is_anomaly_enabled(&flag));
    CHECK(!flag);
}

static void test_forward(void) {
    int64_t live = live_handles();
    gs_tensor x = make_f32((const float[]){1, 2, 3, -1, 1, 2, 3, 4}, INTS(2, 4), 2, true);
    gs_tensor z = make_f32((const float[]){2, 0, 1}, INTS(3), 1, true);
    gs_tensor r = {0};

    CHECK_OK(gs_set_detect_anomaly(true));
    CHECK_ERROR(gs_log(x, &r), GS_ERR_INVALID_STATE);
    check_message("anomaly: forward of 'log' produced nan at index 3 (output shape (2, 4))");
    CHECK(r.id == 0);
    CHECK_ERROR(gs_div(z, z, &r), GS_ERR_INVALID_STATE);
    check_message("anomaly: forward of 'div' produced nan at index 1 (output shape (3,))");
    CHECK(r.id == 0);
    CHECK(live_handles() == live + 2); /* no result handle was made */

    /* off: the same calls succeed and give NaN */
    CHECK_OK(gs_set_detect_anomaly(false));
    float v[3] = {0};
    CHECK_OK(gs_div(z, z, &r));
    read3(r, false, v);
    CHECK(v[0] == 1 && isnan(v[1]) && v[2] == 1);
    release(r);
    release(x);
    release(z);
    CHECK(live_handles() == live);
}

static void test_backward(void) {
    int64_t live = live_handles();
    gs_tensor x = make_f32((const float[]){0, 1, 4}, INTS(3), 1, true);
    gs_tensor w = make_f32((const float[]){2, 3, 4}, INTS(3), 1, true);
    gs_tensor root = {0}, s = {0}, p = {0}, q = {0};

    /* sqrt is finite at 0, its gradient is not; w gets its gradient before sqrt is reached */
    CHECK_OK(gs_set_detect_anomaly(true));
    CHECK_OK(gs_sqrt(x, &s));
    CHECK_OK(gs_mul(w, s, &p));
    CHECK_OK(gs_sum(p, NULL, -1, false, &root));
    release(s);
    release(p);
    CHECK_GRAD(w, INTS(3), 1, (const float[]){0, 0, 0});
    CHECK_ERROR(gs_backward(root, false), GS_ERR_INVALID_STATE);
    check_message("anomaly: backward of 'sqrt' produced inf in the gradient of input 0 at index 0");
    CHECK_GRAD(w, INTS(3), 1, (const float[]){0, 0, 0}); /* nothing was added */
    CHECK_ERROR(gs_backward(root, false), GS_ERR_INVALID_STATE); /* graph whole: same error */
    check_message("backward of 'sqrt'");

    /* off: backward goes through and gives the infinite gradient */
    CHECK_OK(gs_set_detect_anomaly(false));
    CHECK_OK(gs_backward(root, false));
    CHECK_GRAD(w, INTS(3), 1, (const float[]){0, 1, 2});
    float v[3] = {0};
    read3(x, true, v);
    CHECK(isinf(v[0]) && v[0] > 0 && v[1] == 1.5f && v[2] == 1);
    CHECK_ERROR(gs_backward(root, false), GS_ERR_INVALID_STATE); /* freed now */
    release(root);

    /* x ** 0.5 through pow, then a / b overflowing only in backward (1e20 / 1e-20 in float32) */
    CHECK_OK(gs_set_detect_anomaly(true));
    CHECK_OK(gs_binary_scalar(GS_BINARY_OP_POW, x, 0.5, GS_SCALAR_KIND_FLOAT, false, &p));
    CHECK_OK(gs_sum(p, NULL, -1, false, &root));
    CHECK_ERROR(gs_backward(root, false), GS_ERR_INVALID_STATE);
    check_message("anomaly: backward of 'pow' produced inf in the gradient of input 0");
    release(p);
    release(root);

    gs_tensor a = make_f32((const float[]){1e-20f, 1}, INTS(2), 1, false);
    gs_tensor b = make_f32((const float[]){1e-20f, 1}, INTS(2), 1, true);
    CHECK_OK(gs_div(a, b, &q));
    CHECK_OK(gs_binary_scalar(GS_BINARY_OP_MUL, q, 1e20, GS_SCALAR_KIND_FLOAT, false, &p));
    CHECK_OK(gs_sum(p, NULL, -1, false, &root));
    CHECK_ERROR(gs_backward(root, false), GS_ERR_INVALID_STATE);
    check_message("anomaly: backward of 'div' produced -inf in the gradient of input 1 at index 0");
    CHECK_OK(gs_set_detect_anomaly(false));
    release(q);
    release(p);
    release(root); /* an unfinished graph is freed with its last handle */
    release(a);
    release(b);
    release(x);
    release(w);
    CHECK(live_handles() == live);
}

/* A 2-8-1 MLP learns y = x0 - x1 with detection on. */
static void test_training(void) {
    int64_t live = live_handles();
    CHECK_OK(gs_manual_seed(5));
    gs_module layers[3] = {0}, net = {0}, loss_fn = {0};
    gs_optimizer optimizer = {0};
    gs_tensor params[4] = {0};
    CHECK_OK(gs_linear_new(2, 8, true, GS_DTYPE_FLOAT32, &layers[0]));
    CHECK_OK(gs_relu_new(&layers[1]));
    CHECK_OK(gs_linear_new(8, 1, true, GS_DTYPE_FLOAT32, &layers[2]));
    CHECK_OK(gs_sequential_new(layers, 3, &net));
    for (int i = 0; i < 3; i++) CHECK_OK(gs_module_release(layers[i]));
    CHECK_OK(gs_mse_loss_new(GS_REDUCTION_MEAN, &loss_fn));
    const char *names[4] = {"0.weight", "0.bias", "2.weight", "2.bias"};
    for (int i = 0; i < 4; i++) CHECK_OK(gs_module_parameter(net, names[i], &params[i]));
    CHECK_OK(gs_sgd_new(params, 4, 0.05, 0.9, 0.0, false, &optimizer));

    gs_tensor x = make_f32((const float[]){0, 0, 0, 1, 1, 0, 1, 1, 2, 1, 1, 2}, INTS(6, 2), 2, false);
    gs_tensor y = make_f32((const float[]){0, -1, 1, 0, 1, -1}, INTS(6, 1), 2, false);
    CHECK_OK(gs_set_detect_anomaly(true));
    float first = -1, last = -1;
    for (int step = 0; step < 200; step++) {
        last = train_step(net, loss_fn, optimizer, x, y);
        if (step == 0) first = last;
    }
    CHECK_OK(gs_set_detect_anomaly(false));
    if (!CHECK(last < first / 10)) fprintf(stderr, "  loss went from %g to %g\n", first, last);

    release(x);
    release(y);
    for (int i = 0; i < 4; i++) release(params[i]);
    CHECK_OK(gs_optim_release(optimizer));
    CHECK_OK(gs_module_release(net));
    CHECK_OK(gs_module_release(loss_fn));
    CHECK(live_handles() == live);
}

void test_anomaly(void) {
    test_switch();
    test_forward();
    test_backward();
    test_training();
}
