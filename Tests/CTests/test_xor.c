/* Trains a 2-8-1 MLP on XOR through the C API alone: Sequential(Linear, Tanh, Linear), MSE
 * loss, Adam with a step schedule. The loss must fall below 0.01 and all four points must be
 * classified right. */
#include "check.h"

static const float inputs[] = {0, 0, 0, 1, 1, 0, 1, 1};
static const float targets[] = {0, 1, 1, 0};

void test_xor(void) {
    CHECK_OK(gs_manual_seed(3));
    gs_module layers[3] = {0}, net = {0}, loss_fn = {0};
    CHECK_OK(gs_linear_new(2, 8, true, GS_DTYPE_FLOAT32, &layers[0]));
    CHECK_OK(gs_tanh_new(&layers[1]));
    CHECK_OK(gs_linear_new(8, 1, true, GS_DTYPE_FLOAT32, &layers[2]));
    CHECK_OK(gs_sequential_new(layers, 3, &net));
    for (int i = 0; i < 3; i++) CHECK_OK(gs_module_release(layers[i])); /* net keeps them */
    CHECK_OK(gs_mse_loss_new(GS_REDUCTION_MEAN, &loss_fn));

    int64_t count = 0;
    CHECK_OK(gs_module_parameter_count(net, &count));
    CHECK(count == 4);
    gs_tensor params[4] = {0};
    const char *names[4] = {"0.weight", "0.bias", "2.weight", "2.bias"};
    for (int i = 0; i < 4; i++) {
        char name[16];
        int64_t length = 0;
        CHECK_OK(gs_module_parameter_name(net, i, name, sizeof name, &length));
        CHECK(strcmp(name, names[i]) == 0);
        CHECK_OK(gs_module_parameter(net, name, &params[i]));
    }
    /* reset_parameters draws the same values again from the same seed */
    float before[16], after[16];
    CHECK_OK(gs_tensor_copy_data(params[0], before, sizeof before));
    CHECK_OK(gs_manual_seed(3));
    CHECK_OK(gs_module_reset_parameters(net));
    CHECK_OK(gs_tensor_copy_data(params[0], after, sizeof after));
    CHECK(memcmp(before, after, sizeof before) == 0);

    gs_optimizer optimizer = {0};
    gs_scheduler schedule = {0};
    CHECK_OK(gs_adam_new(params, 4, 0.05, 0.9, 0.999, 1e-8, 0.0, &optimizer));
    CHECK_OK(gs_step_lr_new(optimizer, 300, 0.5, -1, &schedule));

    gs_tensor x = make_f32(inputs, INTS(4, 2), 2, false);
    gs_tensor y = make_f32(targets, INTS(4, 1), 2, false);
    float first = -1, last = -1;
    for (int step = 0; step < 600; step++) {
        last = train_step(net, loss_fn, optimizer, x, y);
        CHECK_OK(gs_scheduler_step(schedule));
        if (step == 0) first = last;
    }
    CHECK(first > 0.1f);
    if (!CHECK(last < 0.01f)) fprintf(stderr, "XOR loss went from %g to %g\n", first, last);

    /* evaluation mode, no graph: every point on the right side of 0.5 */
    CHECK_OK(gs_module_train(net, false));
    CHECK_OK(gs_set_grad_enabled(false));
    gs_tensor out[3] = {0};
    int32_t n = 0;
    CHECK_OK(gs_module_forward(net, &x, 1, out, 3, &n));
    float predictions[4];
    CHECK_OK(gs_tensor_copy_data(out[0], predictions, sizeof predictions));
    for (int i = 0; i < 4; i++) CHECK((predictions[i] > 0.5f) == (targets[i] > 0.5f));
    CHECK_OK(gs_set_grad_enabled(true));
    release(out[0]);

    for (int i = 0; i < 4; i++) release(params[i]);
    release(x);
    release(y);
    CHECK_OK(gs_scheduler_release(schedule));
    CHECK_OK(gs_optim_release(optimizer));
    CHECK_OK(gs_module_release(loss_fn));
    CHECK_OK(gs_module_release(net));
}
