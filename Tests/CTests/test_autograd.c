/* Autograd through the ABI: y = sum(x * w + b) and its gradients. */
#include "check.h"

static const int64_t s23[] = {2, 3}, s3[] = {3}, s1[] = {1};
static const float xv[] = {1, 2, 3, 4, 5, 6};
static const float wv[] = {0.5f, -1, 2};
static const float bv[] = {0.25f};

/* Builds y = sum(x * w + b); the intermediates are released at once (the graph keeps them). */
static gs_tensor forward(gs_tensor x, gs_tensor w, gs_tensor b) {
    gs_tensor xw = {0}, z = {0}, y = {0};
    CHECK_OK(gs_mul(x, w, &xw));
    CHECK_OK(gs_add(xw, b, &z));
    CHECK_OK(gs_sum(z, NULL, -1, false, &y));
    bool flag = true;
    CHECK_OK(gs_tensor_is_leaf(xw, &flag));
    CHECK(!flag);
    CHECK_OK(gs_tensor_requires_grad(z, &flag));
    CHECK(flag);
    release(xw);
    release(z);
    return y;
}

void test_autograd(void) {
    gs_tensor x = make_f32(xv, s23, 2, true);
    gs_tensor w = make_f32(wv, s3, 1, true);
    gs_tensor b = make_f32(bv, s1, 1, true);
    bool flag = false;
    CHECK_OK(gs_tensor_is_leaf(x, &flag));
    CHECK(flag);

    gs_tensor y = forward(x, w, b);
    /* sum(x*w + b) = 0.5*(1+4) - (2+5) + 2*(3+6) + 6*0.25 = 2.5 - 7 + 18 + 1.5 */
    CHECK_F32(y, NULL, 0, (const float[]){15});

    CHECK_OK(gs_backward(y, true));
    CHECK_GRAD(x, s23, 2, (const float[]){0.5f, -1, 2, 0.5f, -1, 2}); /* dy/dx = w, broadcast */
    CHECK_GRAD(w, s3, 1, (const float[]){5, 7, 9});                   /* column sums of x */
    CHECK_GRAD(b, s1, 1, (const float[]){6});                         /* b was broadcast 6 times */

    /* a second backward through the retained graph accumulates */
    CHECK_OK(gs_backward(y, false));
    CHECK_GRAD(w, s3, 1, (const float[]){10, 14, 18});
    /* the graph is freed now */
    CHECK_ERROR(gs_backward(y, false), GS_ERR_INVALID_STATE);

    /* zero_grad */
    CHECK_OK(gs_tensor_zero_grad(w));
    CHECK_GRAD(w, s3, 1, (const float[]){0, 0, 0});
    release(y);

    /* only leaves keep .grad: an intermediate's grad is the 0 handle */
    gs_tensor xw = {0}, s = {0}, g = {1};
    CHECK_OK(gs_mul(x, w, &xw));
    CHECK_OK(gs_sum(xw, NULL, -1, false, &s));
    CHECK_OK(gs_backward(s, false));
    CHECK_OK(gs_tensor_grad(xw, &g));
    CHECK(g.id == 0);
    release(xw);
    release(s);

    /* no grad mode: results do not require grad */
    CHECK_OK(gs_set_grad_enabled(false));
    CHECK_OK(gs_is_grad_enabled(&flag));
    CHECK(!flag);
    CHECK_OK(gs_mul(x, w, &xw));
    CHECK_OK(gs_tensor_requires_grad(xw, &flag));
    CHECK(!flag);
    release(xw);
    CHECK_OK(gs_set_grad_enabled(true));
    CHECK_OK(gs_is_grad_enabled(&flag));
    CHECK(flag);

    /* detach shares storage and does not require grad */
    gs_tensor d = {0};
    CHECK_OK(gs_tensor_detach(x, &d));
    CHECK_OK(gs_tensor_requires_grad(d, &flag));
    CHECK(!flag);
    void *px = NULL, *pd = NULL;
    CHECK_OK(gs_tensor_data_ptr(x, &px));
    CHECK_OK(gs_tensor_data_ptr(d, &pd));
    CHECK(px == pd);
    release(d);

    release(x);
    release(w);
    release(b);
}
