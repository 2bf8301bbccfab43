/* Optimizers, learning-rate schedules, initialisers and the generic module functions through
 * the ABI: values of a few steps and every error path. */
#include "check.h"

static const int64_t s2[] = {2}, s22[] = {2, 2};

/* Sets x's gradient to d(sum(x * x * c))/dx = 2 c x by running backward. */
static void gradient_of_scaled_square(gs_tensor x, double c) {
    gs_tensor xx = {0}, y = {0}, s = {0};
    CHECK_OK(gs_mul(x, x, &xx));
    CHECK_OK(gs_binary_scalar(GS_BINARY_OP_MUL, xx, c, GS_SCALAR_KIND_FLOAT, false, &y));
    CHECK_OK(gs_sum(y, NULL, -1, false, &s));
    CHECK_OK(gs_backward(s, false));
    release(xx);
    release(y);
    release(s);
}

static void test_sgd_and_adam_values(void) {
    gs_tensor p = make_f32((const float[]){1, -2}, s2, 1, true);
    gs_optimizer opt = {0};
    /* SGD, momentum 0.5: b1 = g1, p1 = p0 - 0.1 g1; b2 = 0.5 b1 + g2, p2 = p1 - 0.1 b2 */
    CHECK_OK(gs_sgd_new(&p, 1, 0.1, 0.5, 0.0, false, &opt));
    gradient_of_scaled_square(p, 0.5); /* g = p */
    CHECK_OK(gs_optim_step(opt));
    CHECK_F32(p, s2, 1, (const float[]){0.9f, -1.8f});
    CHECK_OK(gs_optim_zero_grad(opt));
    CHECK_GRAD(p, s2, 1, (const float[]){0, 0});
    gradient_of_scaled_square(p, 0.5);
    CHECK_OK(gs_optim_step(opt));
    /* b2 = 0.5 * (1, -2) + (0.9, -1.8) = (1.4, -2.8) */
    CHECK_F32(p, s2, 1, (const float[]){0.9f - 0.14f, -1.8f + 0.28f});
    int64_t steps = 0;
    CHECK_OK(gs_optim_step_count(opt, &steps));
    CHECK(steps == 2);
    CHECK_OK(gs_optim_release(opt));
    release(p);

    /* Adam's first step moves every coordinate by lr * sign(g) (up to eps) */
    gs_tensor q = make_f64((const double[]){3, -4}, s2, 1, true);
    CHECK_OK(gs_adam_new(&q, 1, 0.01, 0.9, 0.999, 1e-8, 0.0, &opt));
    gradient_of_scaled_square(q, 1.0);
    CHECK_OK(gs_optim_step(opt));
    CHECK_F64(q, s2, 1, (const double[]){2.99, -3.99});
    int64_t count = 0;
    CHECK_OK(gs_optim_state_count(opt, &count));
    CHECK(count == 2);
    char name[8];
    int64_t length = 0;
    CHECK_OK(gs_optim_state_name(opt, 1, name, sizeof name, &length));
    CHECK(length == 3 && strcmp(name, "0.v") == 0);
    gs_tensor m = {0};
    CHECK_OK(gs_optim_state(opt, "0.m", &m));
    CHECK_F64(m, s2, 1, (const double[]){0.6, -0.8}); /* (1 - 0.9) * g, g = 2 q */
    release(m);
    CHECK_OK(gs_optim_set_step_count(opt, 10));
    CHECK_OK(gs_optim_step_count(opt, &steps));
    CHECK(steps == 10);
    CHECK_OK(gs_optim_release(opt));
    release(q);
}

static void test_other_rules(void) {
    gs_tensor p = make_f64((const double[]){1, 2}, s2, 1, true);
    gs_optimizer opt = {0};
    CHECK_OK(gs_adagrad_new(&p, 1, 0.5, 0.0, 0.0, &opt));
    gradient_of_scaled_square(p, 0.5); /* g = p; G = g^2; step = lr * sign(g) */
    CHECK_OK(gs_optim_step(opt));
    CHECK_F64(p, s2, 1, (const double[]){0.5, 1.5});
    CHECK_OK(gs_optim_release(opt));

    CHECK_OK(gs_adadelta_new(&p, 1, 1.0, 0.0, 0.0, 1e-6, &opt));
    gradient_of_scaled_square(p, 0.5);
    CHECK_OK(gs_optim_step(opt));
    /* v = g^2 (rho 0), delta = sqrt(eps) / sqrt(g^2 + eps) * g */
    CHECK_F64(p, s2, 1, (const double[]){0.5 - 1e-3 * 0.5 / sqrt(0.25 + 1e-6), 1.5 - 1e-3 * 1.5 / sqrt(2.25 + 1e-6)});
    CHECK_OK(gs_optim_release(opt));
    release(p);
}

static void test_schedules(void) {
    gs_tensor p = make_f32((const float[]){1, 1}, s2, 1, true);
    gs_optimizer opt = {0};
    gs_scheduler s = {0};
    CHECK_OK(gs_sgd_new(&p, 1, 0.8, 0.0, 0.0, false, &opt));
    CHECK_OK(gs_step_lr_new(opt, 2, 0.5, -1, &s));
    double lr = 0;
    int64_t epoch = -1;
    CHECK_OK(gs_scheduler_last_epoch(s, &epoch));
    CHECK(epoch == 0);
    for (int e = 1; e <= 4; e++) CHECK_OK(gs_scheduler_step(s));
    CHECK_OK(gs_optim_lr(opt, &lr));
    CHECK_CLOSE(lr, 0.2);
    CHECK_OK(gs_scheduler_rate(s, 7, &lr));
    CHECK_CLOSE(lr, 0.1);
    CHECK_OK(gs_scheduler_release(s));

    CHECK_OK(gs_multistep_lr_new(opt, INTS(1, 3), 2, 0.1, -1, &s)); /* starts from the initial 0.8 */
    CHECK_OK(gs_scheduler_rate(s, 3, &lr));
    CHECK_CLOSE(lr, 0.008);
    CHECK_OK(gs_scheduler_release(s));
    CHECK_OK(gs_cosine_annealing_lr_new(opt, 4, 0.0, -1, &s));
    CHECK_OK(gs_scheduler_rate(s, 2, &lr));
    CHECK_CLOSE(lr, 0.4);
    CHECK_OK(gs_scheduler_release(s));
    CHECK_OK(gs_exponential_lr_new(opt, 0.5, 1, &s)); /* resumes: epoch 2 */
    CHECK_OK(gs_optim_lr(opt, &lr));
    CHECK_CLOSE(lr, 0.2);

    CHECK_ERROR(gs_step_lr_new(opt, 0, 0.5, -1, &s), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_exponential_lr_new(opt, NAN, -1, &s), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_multistep_lr_new(opt, INTS(3, 1), 2, 0.1, -1, &s), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_multistep_lr_new(opt, NULL, 2, 0.1, -1, &s), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_cosine_annealing_lr_new(opt, 0, 0.0, -1, &s), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_cosine_annealing_lr_new(opt, 4, 0.0, -2, &s), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_step_lr_new((gs_optimizer){p.id}, 2, 0.5, -1, &s), GS_ERR_INVALID_HANDLE);     /* a tensor */
    CHECK_ERROR(gs_step_lr_new(opt, 2, 0.5, -1, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_scheduler_step((gs_scheduler){opt.id}), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_scheduler_rate(s, -1, &lr), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_scheduler_rate(s, 1, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_scheduler_last_epoch(s, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_OK(gs_scheduler_release(s));
    CHECK_ERROR(gs_scheduler_release(s), GS_ERR_INVALID_HANDLE);

    gs_optimizer fresh = {0};
    CHECK_OK(gs_sgd_new(&p, 1, 0.8, 0.0, 0.0, false, &fresh));
    CHECK_ERROR(gs_step_lr_new(fresh, 2, 0.5, 3, &s), GS_ERR_INVALID_ARGUMENT); /* nothing to resume */
    CHECK_OK(gs_optim_release(fresh));
    CHECK_OK(gs_optim_release(opt));
    release(p);
}

static void test_optimizer_errors(void) {
    gs_tensor p = make_f32((const float[]){1, 1}, s2, 1, true);
    gs_optimizer opt = {0};
    gs_tensor ints = make_full(GS_DTYPE_INT64, s2, 1, 1);
    CHECK_ERROR(gs_sgd_new(&p, 1, -0.1, 0, 0, false, &opt), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_sgd_new(&p, 1, 0.1, -1, 0, false, &opt), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_sgd_new(NULL, 1, 0.1, 0, 0, false, &opt), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_sgd_new(&p, -1, 0.1, 0, 0, false, &opt), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_sgd_new(&p, 1, 0.1, 0, 0, false, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_sgd_new(&ints, 1, 0.1, 0, 0, false, &opt), GS_ERR_DTYPE);
    gs_tensor twice[] = {p, p};
    CHECK_ERROR(gs_adam_new(twice, 2, 0.1, 0.9, 0.999, 1e-8, 0, &opt), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_adam_new(&p, 1, 0.1, 1.0, 0.999, 1e-8, 0, &opt), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_adam_new(&p, 1, 0.1, 0.9, 0.999, -1, 0, &opt), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_adagrad_new(&p, 1, 0.1, -1, 0, &opt), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_adadelta_new(&p, 1, 0.1, 1.5, 0, 1e-6, &opt), GS_ERR_INVALID_ARGUMENT);
    gs_tensor stale = {p.id + (1ull << 32)};
    CHECK_ERROR(gs_adam_new(&stale, 1, 0.1, 0.9, 0.999, 1e-8, 0, &opt), GS_ERR_INVALID_HANDLE);
    gs_tensor sum = {0};
    CHECK_OK(gs_sum(p, NULL, -1, false, &sum));
    CHECK_ERROR(gs_adam_new(&sum, 1, 0.1, 0.9, 0.999, 1e-8, 0, &opt), GS_ERR_INVALID_ARGUMENT); /* not a leaf */

    /* an optimizer with no parameters is valid and does nothing */
    CHECK_OK(gs_adam_new(NULL, 0, 0.1, 0.9, 0.999, 1e-8, 0, &opt));
    CHECK_OK(gs_optim_step(opt));
    CHECK_OK(gs_optim_release(opt));

    CHECK_OK(gs_adam_new(&p, 1, 0.1, 0.9, 0.999, 1e-8, 0, &opt));
    CHECK_OK(gs_optim_step(opt)); /* no gradient yet: skipped */
    CHECK_F32(p, s2, 1, (const float[]){1, 1});
    double lr = 0;
    CHECK_ERROR(gs_optim_set_lr(opt, INFINITY), GS_ERR_INVALID_ARGUMENT);
    CHECK_OK(gs_optim_lr(opt, &lr));
    CHECK_CLOSE(lr, 0.1);
    CHECK_ERROR(gs_optim_lr(opt, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_optim_step_count(opt, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_optim_set_step_count(opt, -1), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_optim_state_count(opt, NULL), GS_ERR_INVALID_ARGUMENT);
    int64_t length = 0;
    CHECK_ERROR(gs_optim_state_name(opt, 2, NULL, 0, &length), GS_ERR_INDEX);
    CHECK_ERROR(gs_optim_state_name(opt, 0, NULL, 4, &length), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_optim_state_name(opt, 0, NULL, 0, NULL), GS_ERR_INVALID_ARGUMENT);
    gs_tensor state = {0};
    CHECK_ERROR(gs_optim_state(opt, "0.w", &state), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_optim_state(opt, NULL, &state), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_optim_step((gs_optimizer){p.id}), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_optim_release((gs_optimizer){p.id}), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_tensor_release((gs_tensor){opt.id}), GS_ERR_INVALID_HANDLE);

    /* a parameter rebound to another shape: step refuses and writes nothing */
    CHECK_OK(gs_tensor_set_data(p, (const float[]){5, 5, 5, 5}, GS_DTYPE_FLOAT32, s22, 2));
    gradient_of_scaled_square(p, 0.5);
    CHECK_ERROR(gs_optim_step(opt), GS_ERR_INVALID_STATE);
    CHECK_F32(p, s22, 2, (const float[]){5, 5, 5, 5});
    CHECK_OK(gs_optim_release(opt));
    CHECK_ERROR(gs_optim_release(opt), GS_ERR_INVALID_HANDLE);
    release(sum);
    release(ints);
    release(p);
}

static void test_init(void) {
    gs_tensor w = make_full(GS_DTYPE_FLOAT64, INTS(40, 50), 2, 0);
    double gain = 0;
    CHECK_OK(gs_init_gain(GS_NONLINEARITY_TANH, NAN, &gain));
    CHECK_CLOSE(gain, 5.0 / 3);
    CHECK_OK(gs_init_gain(GS_NONLINEARITY_LEAKY_RELU, NAN, &gain));
    CHECK_CLOSE(gain, sqrt(2 / (1 + 1e-4)));
    CHECK_OK(gs_init_constant(w, 2.5));
    double *data = NULL;
    CHECK_OK(gs_tensor_data_ptr(w, (void **)&data));
    CHECK(data[0] == 2.5 && data[1999] == 2.5);
    /* kaiming uniform, relu, fan_in = 40 (PyDyNet counts dim 0): bound sqrt(2) * sqrt(3 / 40) */
    CHECK_OK(gs_init_kaiming_uniform(w, 0, GS_FAN_MODE_FAN_IN, GS_NONLINEARITY_RELU));
    double bound = sqrt(2.0) * sqrt(3.0 / 40), largest = 0;
    for (int i = 0; i < 2000; i++) largest = fmax(largest, fabs(data[i]));
    CHECK(largest <= bound && largest > 0.95 * bound);
    CHECK_OK(gs_init_xavier_uniform(w, 1.0));
    CHECK_OK(gs_init_xavier_normal(w, 1.0));
    CHECK_OK(gs_init_kaiming_normal(w, 0, GS_FAN_MODE_FAN_OUT, GS_NONLINEARITY_LINEAR));
    CHECK_OK(gs_init_uniform(w, -1, 1));
    CHECK_OK(gs_init_normal(w, 0, 1));

    gs_tensor v = make_full(GS_DTYPE_FLOAT32, s2, 1, 0), ints = make_full(GS_DTYPE_INT64, s22, 2, 0);
    CHECK_ERROR(gs_init_gain(7, NAN, &gain), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_init_gain(GS_NONLINEARITY_RELU, NAN, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_init_xavier_uniform(v, 1.0), GS_ERR_INVALID_ARGUMENT); /* rank 1 */
    CHECK_ERROR(gs_init_kaiming_uniform(w, 0, 2, GS_NONLINEARITY_RELU), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_init_kaiming_normal(w, 0, 0, -1), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_init_uniform(ints, 0, 1), GS_ERR_DTYPE);
    CHECK_ERROR(gs_init_uniform(v, 1, 0), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_init_normal(v, 0, -1), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_init_constant((gs_tensor){0}, 1), GS_ERR_INVALID_HANDLE);
    release(v);
    release(ints);
    release(w);
}

static void test_module_generic(void) {
    gs_module seq = {0}, inner = {0};
    CHECK_OK(gs_sequential_new(NULL, 0, &inner));
    CHECK_OK(gs_sequential_new(&inner, 1, &seq));
    char text[64];
    int64_t length = 0;
    CHECK_OK(gs_module_describe(seq, text, sizeof text, &length));
    CHECK(strcmp(text, "Sequential(\n         0 : Sequential()\n)") == 0 && length == (int64_t)strlen(text));
    CHECK_OK(gs_module_describe(seq, text, 5, &length)); /* truncated, NUL-terminated */
    CHECK(strcmp(text, "Sequ") == 0 && length > 5);
    int64_t count = -1;
    CHECK_OK(gs_module_parameter_count(seq, &count));
    CHECK(count == 0);
    bool training = false;
    CHECK_OK(gs_module_is_training(seq, &training));
    CHECK(training);
    CHECK_OK(gs_module_train(seq, false));
    CHECK_OK(gs_module_is_training(inner, &training));
    CHECK(!training); /* reaches sub-modules */

    gs_tensor x = make_f32((const float[]){1, 2}, s2, 1, false), out[3] = {0};
    int32_t n = 0;
    CHECK_OK(gs_module_forward(seq, &x, 1, out, 3, &n)); /* an empty Sequential is the identity */
    CHECK(n == 1);
    CHECK_F32(out[0], s2, 1, (const float[]){1, 2});
    release(out[0]);

    gs_tensor param = {0};
    gs_module made = {0};
    gs_tensor pair[] = {x, x};
    CHECK_ERROR(gs_module_forward(seq, pair, 2, out, 3, &n), GS_ERR_INVALID_ARGUMENT); /* arity */
    CHECK_ERROR(gs_module_forward(seq, NULL, 1, out, 3, &n), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_module_forward(seq, &x, 1, NULL, 3, &n), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_module_forward(seq, &x, 1, out, 0, &n), GS_ERR_INVALID_ARGUMENT); /* capacity */
    CHECK_ERROR(gs_module_forward((gs_module){x.id}, &x, 1, out, 3, &n), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_module_forward(seq, &(gs_tensor){seq.id}, 1, out, 3, &n), GS_ERR_INVALID_HANDLE); /* a module */
    CHECK_ERROR(gs_module_parameter(seq, "weight", &param), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_module_parameter(seq, NULL, &param), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_module_set_parameter(seq, "0.weight", x), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_module_set_parameter(seq, "1.weight", x), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_module_parameter_name(seq, 0, text, sizeof text, &length), GS_ERR_INDEX);
    CHECK_ERROR(gs_module_parameter_count(seq, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_module_is_training(seq, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_module_describe(seq, NULL, 8, &length), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_module_describe(seq, text, -1, &length), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_sequential_new(&(gs_module){x.id}, 1, &made), GS_ERR_INVALID_HANDLE); /* a tensor */
    CHECK_ERROR(gs_sequential_new(NULL, 1, &made), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_sequential_new(NULL, 0, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_module_release((gs_module){x.id}), GS_ERR_INVALID_HANDLE);
    CHECK_OK(gs_module_reset_parameters(seq)); /* no parameters: nothing to draw */
    CHECK_ERROR(gs_module_reset_parameters((gs_module){x.id}), GS_ERR_INVALID_HANDLE);
    CHECK_OK(gs_module_release(inner)); /* seq keeps its own reference */
    CHECK_OK(gs_module_forward(seq, &x, 1, out, 3, &n));
    release(out[0]);
    CHECK_OK(gs_module_release(seq));
    CHECK_ERROR(gs_module_release(seq), GS_ERR_INVALID_HANDLE);
    release(x);
}

/* Two parameter groups of one SGD: their own rates and settings in one step; the group
 * functions' values and error paths; the new optimizers' constructors. */
static void test_parameter_groups(void) {
    gs_tensor a = make_f64((const double[]){1, -2}, s2, 1, true);
    gs_tensor b = make_f64((const double[]){3, 4}, s2, 1, true);
    gs_optimizer opt = {0};
    CHECK_OK(gs_sgd_new(&a, 1, 0.1, 0.0, 0.0, false, &opt));
    int64_t count = 0;
    CHECK_OK(gs_optim_option_count(opt, &count));
    CHECK(count == 4);
    char name[16];
    int64_t length = 0;
    CHECK_OK(gs_optim_option_name(opt, 3, name, sizeof name, &length));
    CHECK(strcmp(name, "maximize") == 0 && length == 8);
    /* the second group ascends at rate 0.5: momentum 0, weight decay 0, nesterov 0, maximize 1 */
    const double ascend[] = {0, 0, 0, 1};
    CHECK_OK(gs_optim_add_group(opt, &b, 1, 0.5, ascend, 4));
    CHECK_OK(gs_optim_group_count(opt, &count));
    CHECK(count == 2);
    gradient_of_scaled_square(a, 0.5); /* g = p */
    gradient_of_scaled_square(b, 0.5);
    CHECK_OK(gs_optim_step(opt));
    CHECK_F64(a, s2, 1, (const double[]){0.9, -1.8});
    CHECK_F64(b, s2, 1, (const double[]){4.5, 6.0});
    double lr = 0, options[4] = {-1, -1, -1, -1};
    CHECK_OK(gs_optim_group_lr(opt, 1, &lr));
    CHECK(lr == 0.5);
    CHECK_OK(gs_optim_group_options(opt, 1, options, 4));
    CHECK(options[3] == 1 && options[0] == 0);
    CHECK_OK(gs_optim_set_group_lr(opt, 0, 0.2));
    CHECK_OK(gs_optim_lr(opt, &lr));
    CHECK(lr == 0.2);
    const double with_momentum[] = {0.9, 0, 0, 0};
    CHECK_OK(gs_optim_set_group_options(opt, 0, with_momentum, 4));
    CHECK_OK(gs_optim_state_count(opt, &count));
    CHECK(count == 1); /* group 0's new momentum buffer */

    CHECK_ERROR(gs_optim_group_lr(opt, 2, &lr), GS_ERR_INDEX);
    CHECK_ERROR(gs_optim_set_group_lr(opt, -1, 0.1), GS_ERR_INDEX);
    CHECK_ERROR(gs_optim_set_group_lr(opt, 0, -0.1), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_optim_group_options(opt, 0, options, 3), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_optim_group_options(opt, 0, NULL, 4), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_optim_set_group_options(opt, 0, with_momentum, 3), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_optim_set_group_options(opt, 0, NULL, 4), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_optim_set_group_options(opt, 0, (const double[]){0, 0, 0.5, 0}, 4), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_optim_add_group(opt, &a, 1, 0.1, ascend, 4), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_optim_add_group(opt, &a, 1, 0.1, ascend, 65), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_optim_option_name(opt, 4, name, sizeof name, &length), GS_ERR_INDEX);
    CHECK_ERROR(gs_optim_group_count((gs_optimizer){0}, &count), GS_ERR_INVALID_HANDLE);
    CHECK_OK(gs_optim_release(opt));

    gs_optimizer made[4] = {{0}};
    CHECK_OK(gs_adamw_new(&a, 1, 1e-3, 0.9, 0.999, 1e-8, 1e-2, true, false, &made[0]));
    CHECK_OK(gs_rmsprop_new(&a, 1, 1e-2, 0.99, 1e-8, 0, 0.9, true, false, &made[1]));
    CHECK_OK(gs_adamax_new(&a, 1, 2e-3, 0.9, 0.999, 1e-8, 0, true, &made[2]));
    CHECK_OK(gs_nadam_new(&a, 1, 2e-3, 0.9, 0.999, 1e-8, 0, 4e-3, false, &made[3]));
    for (int i = 0; i < 4; i++) {
        CHECK_OK(gs_optim_step(made[i]));
        CHECK_OK(gs_optim_release(made[i]));
    }
    gs_optimizer bad = {0};
    CHECK_ERROR(gs_adamw_new(&a, 1, 1e-3, 1.0, 0.999, 1e-8, 1e-2, false, false, &bad), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_rmsprop_new(&a, 1, 1e-2, -1, 1e-8, 0, 0, false, false, &bad), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_nadam_new(&a, 1, 2e-3, 0.9, 0.999, 1e-8, 0, -1, false, &bad), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_adamax_new(&a, 1, 2e-3, 0.9, 0.999, 1e-8, 0, false, NULL), GS_ERR_INVALID_ARGUMENT);
    release(a);
    release(b);
}

void test_optim(void) {
    test_parameter_groups();
    test_sgd_and_adam_values();
    test_other_rules();
    test_schedules();
    test_optimizer_errors();
    test_init();
    test_module_generic();
}
