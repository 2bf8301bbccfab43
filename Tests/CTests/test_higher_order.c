/* Autograd beyond one backward through the ABI: gradients of gradients (gs_grad with
 * create_graph), backward with a gradient, a custom function whose backward is a C callback,
 * gradient hooks, retained gradients and grad_fn. */
#include "check.h"

static const int64_t s3[] = {3};
static const double xv[] = {-1.5, 0.5, 2};

/* out = a * b, a new handle. */
static gs_tensor mul(gs_tensor a, gs_tensor b) {
    gs_tensor out = {0};
    CHECK_OK(gs_mul(a, b, &out));
    return out;
}

/* The sum of all elements. */
static gs_tensor total(gs_tensor a) {
    gs_tensor out = {0};
    CHECK_OK(gs_sum(a, NULL, -1, false, &out));
    return out;
}

/* d/dx sum(x^3) = 3x^2, then d/dx sum(3x^2) = 6x. */
static void second_derivative_of_a_cube(void) {
    gs_tensor x = make_f64(xv, s3, 1, true);
    gs_tensor xx = mul(x, x), cube = mul(xx, x), y = total(cube);
    gs_tensor first = {0};
    CHECK_OK(gs_grad(&y, 1, NULL, &x, 1, true, true, false, &first));
    CHECK_F64(first, s3, 1, (const double[]){6.75, 0.75, 12});
    bool recorded = false;
    CHECK_OK(gs_tensor_requires_grad(first, &recorded));
    CHECK(recorded);
    /* an input the outputs do not use is an error unless allowed */
    gs_tensor other = make_f64(xv, s3, 1, true), none = {7};
    CHECK_ERROR(gs_grad(&y, 1, NULL, &other, 1, true, false, false, &none), GS_ERR_INVALID_STATE);
    CHECK_OK(gs_grad(&y, 1, NULL, &other, 1, true, false, true, &none));
    CHECK(none.id == 0);
    CHECK_ERROR(gs_grad(&y, 1, NULL, &x, 1, true, false, false, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_grad(NULL, 1, NULL, &x, 1, true, false, false, &none), GS_ERR_INVALID_ARGUMENT);
    gs_tensor results[3];
    CHECK_ERROR(gs_grad(&y, 1, NULL, &x, -1, true, false, false, results), GS_ERR_INVALID_ARGUMENT);

    gs_tensor s = total(first), second = {0};
    CHECK_OK(gs_grad(&s, 1, NULL, &x, 1, false, false, false, &second));
    CHECK_F64(second, s3, 1, (const double[]){-9, 3, 12}); /* 6x */
    gs_tensor grad = {1};
    /* grad does not touch .grad (a leaf gets a zero buffer when asked) */
    CHECK_OK(gs_tensor_grad(x, &grad));
    CHECK_F64(grad, s3, 1, (const double[]){0, 0, 0});
    release(grad);
    release(other);
    release(s);
    release(second);
    release(first);
    release(y);
    release(cube);
    release(xx);

    /* recorded without retaining the graph, the gradient refers to freed parts of it */
    xx = mul(x, x);
    cube = mul(xx, x);
    y = total(cube);
    gs_tensor dropped = {0}, fails = {0};
    CHECK_OK(gs_grad(&y, 1, NULL, &x, 1, false, true, false, &dropped));
    s = total(dropped);
    CHECK_ERROR(gs_grad(&s, 1, NULL, &x, 1, false, false, false, &fails), GS_ERR_INVALID_STATE);
    CHECK(strstr(gs_last_error(), "freed") != NULL);
    release(s);
    release(dropped);
    release(y);
    release(cube);
    release(xx);
    release(x);
}

/* backward on a non-scalar output takes a gradient of its shape. */
static void backward_with_a_gradient(void) {
    gs_tensor x = make_f64(xv, s3, 1, true), y = mul(x, x);
    gs_tensor wrong = make_f64(xv, (const int64_t[]){2}, 1, false), seed = make_f64((const double[]){1, 2, 3}, s3, 1, false);
    CHECK_ERROR(gs_backward(y, true), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_backward_with(y, wrong, true, false), GS_ERR_SHAPE_MISMATCH);
    CHECK_ERROR(gs_backward_with(y, (gs_tensor){12345}, true, false), GS_ERR_INVALID_HANDLE);
    char name[32];
    bool present = false;
    int32_t inputs = -1, index = -1;
    CHECK_OK(gs_tensor_grad_fn(y, &present, name, sizeof name, &inputs, &index));
    CHECK(present && strcmp(name, "mul") == 0 && inputs == 2 && index == 0);
    CHECK_OK(gs_tensor_grad_fn(x, &present, name, sizeof name, &inputs, &index));
    CHECK(!present && name[0] == '\0');
    CHECK_OK(gs_tensor_grad_fn(y, &present, name, 3, &inputs, &index));
    CHECK(strcmp(name, "mu") == 0);  /* cut to the capacity, terminated */
    gs_tensor first_input = {0};
    CHECK_OK(gs_tensor_grad_fn_input(y, 1, &first_input));
    CHECK_F64(first_input, s3, 1, xv);
    CHECK_ERROR(gs_tensor_grad_fn_input(y, 2, &first_input), GS_ERR_INDEX);
    release(first_input);
    CHECK_OK(gs_backward_with(y, seed, false, true));  /* 2x * seed, recorded */
    gs_tensor grad = {0};
    CHECK_OK(gs_tensor_grad(x, &grad));
    CHECK_F64(grad, s3, 1, (const double[]){-3, 2, 12});
    /* .grad holds the values, not the recorded graph (which would hold x: a cycle) */
    CHECK_OK(gs_tensor_grad_fn(grad, &present, name, sizeof name, &inputs, &index));
    CHECK(!present);
    release(grad);
    release(seed);
    release(wrong);
    release(y);
    release(x);
}

/* A custom cube: the forward is computed outside the graph, the backward is a C callback that
 * uses engine ops (so it is recorded under create_graph). */
typedef struct {
    gs_tensor saved; /* the input, kept for the backward */
    int calls, releases;
    bool fail;
} cube_context;

static int32_t cube_backward(void *user_data, const gs_tensor *grad_outputs, int32_t output_count,
                             gs_tensor *grad_inputs, int32_t input_count) {
    cube_context *ctx = user_data;
    ctx->calls++;
    if (ctx->fail || output_count != 1 || input_count != 1)
        return 1;
    gs_tensor three = make_f64((const double[]){3}, NULL, 0, false);
    gs_tensor xx = mul(ctx->saved, ctx->saved), scaled = mul(xx, three);
    grad_inputs[0] = mul(grad_outputs[0], scaled); /* taken over by the library */
    release(scaled);
    release(xx);
    release(three);
    return 0;
}

static void cube_release(void *user_data) {
    cube_context *ctx = user_data;
    ctx->releases++;
    release(ctx->saved);
}

/* cube(x) through gs_function_apply. */
static gs_tensor cube(cube_context *ctx, gs_tensor x) {
    CHECK_OK(gs_tensor_share(x, &ctx->saved));
    gs_tensor value = {0}, result = {0};
    CHECK_OK(gs_set_grad_enabled(false));
    gs_tensor xx = mul(x, x);
    value = mul(xx, x);
    CHECK_OK(gs_set_grad_enabled(true));
    CHECK_OK(gs_function_apply("CubeBackward", &x, 1, &value, 1, cube_backward, ctx, cube_release, &result));
    release(xx);
    release(value);
    return result;
}

static void custom_function(void) {
    gs_tensor x = make_f64(xv, s3, 1, true);
    cube_context ctx = {0};
    gs_tensor y = cube(&ctx, x), s = total(y);
    gs_tensor first = {0}, second = {0};
    CHECK_OK(gs_grad(&s, 1, NULL, &x, 1, true, true, false, &first));
    CHECK_F64(first, s3, 1, (const double[]){6.75, 0.75, 12});
    gs_tensor s1 = total(first);
    CHECK_OK(gs_grad(&s1, 1, NULL, &x, 1, false, false, false, &second));
    CHECK_F64(second, s3, 1, (const double[]){-9, 3, 12});
    CHECK(ctx.calls == 1 && ctx.releases == 0);
    release(s1);
    release(second);
    release(first);
    release(s);
    release(y);
    CHECK(ctx.releases == 1); /* the graph that held the callback is gone */

    /* a failing callback fails the backward and leaves .grad as it was */
    cube_context failing = {.fail = true};
    y = cube(&failing, x);
    s = total(y);
    CHECK_ERROR(gs_backward(s, false), GS_ERR_INVALID_STATE);
    CHECK(strstr(gs_last_error(), "CubeBackward") != NULL);
    gs_tensor grad = {0};
    CHECK_OK(gs_tensor_grad(x, &grad));
    CHECK_F64(grad, s3, 1, (const double[]){0, 0, 0});
    release(grad);
    release(s);
    release(y);
    CHECK(failing.releases == 1);

    /* bad arguments are errors, and user_data is released all the same */
    cube_context bad = {0};
    CHECK_OK(gs_tensor_share(x, &bad.saved));
    gs_tensor out = {0};
    CHECK_ERROR(gs_function_apply("Bad", &x, 1, &x, 1, NULL, &bad, cube_release, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK(bad.releases == 1);
    release(x);
}

/* A hook that doubles the gradient it sees and counts its calls. */
static int32_t doubling_hook(void *user_data, gs_tensor gradient, gs_tensor *replacement) {
    int *calls = user_data;
    ++*calls;
    gs_tensor two = make_f64((const double[]){2}, NULL, 0, false);
    *replacement = mul(gradient, two);
    release(two);
    return 0;
}

static void hooks_and_retained_gradients(void) {
    gs_tensor x = make_f64(xv, s3, 1, true), y = mul(x, x), s = total(y);
    int calls = 0;
    int64_t id = -1;
    CHECK_OK(gs_tensor_register_hook(y, doubling_hook, &calls, NULL, &id));
    CHECK_OK(gs_tensor_retain_grad(y));
    bool retains = false;
    CHECK_OK(gs_tensor_retains_grad(y, &retains));
    CHECK(retains);
    CHECK_OK(gs_backward(s, true));
    CHECK(calls == 1);
    gs_tensor grad = {0};
    CHECK_OK(gs_tensor_grad(x, &grad));
    CHECK_F64(grad, s3, 1, (const double[]){-6, 2, 8}); /* 2x, doubled */
    release(grad);
    CHECK_OK(gs_tensor_grad(y, &grad));
    CHECK_F64(grad, s3, 1, (const double[]){2, 2, 2});
    release(grad);
    bool removed = false;
    CHECK_OK(gs_tensor_remove_hook(y, id, &removed));
    CHECK(removed);
    CHECK_OK(gs_tensor_remove_hook(y, id, &removed));
    CHECK(!removed);
    CHECK_ERROR(gs_tensor_register_hook(y, NULL, NULL, NULL, &id), GS_ERR_INVALID_ARGUMENT);
    release(s);
    release(y);
    release(x);
}

void test_higher_order(void) {
    second_derivative_of_a_cube();
    backward_with_a_gradient();
    custom_function();
    hooks_and_retained_gradients();
}
