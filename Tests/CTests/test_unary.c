/* Unary functions: values and gradients of sum(f(x)) for float32 and float64.
 * Run under valgrind (make ctest does when it is installed) this also catches a kernel that
 * writes with the wrong element size.
 */
#include "check.h"

typedef int32_t (*unary_fn)(gs_tensor, gs_tensor *);

struct unary_case {
    const char *name;
    unary_fn fn;
    double (*f)(double);
    double (*df)(double);
};

static double neg(double x) { return -x; }
static double d_neg(double x) { (void)x; return -1; }
static double sign(double x) { return (x > 0) - (x < 0); }
static double d_abs(double x) { return sign(x); }
static double zero(double x) { (void)x; return 0; }
static double d_log(double x) { return 1 / x; }
static double d_sqrt(double x) { return 0.5 / sqrt(x); }
static double square(double x) { return x * x; }
static double d_square(double x) { return 2 * x; }
static double sigmoid(double x) { return 1 / (1 + exp(-x)); }
static double d_sigmoid(double x) { return sigmoid(x) * (1 - sigmoid(x)); }
static double d_tanh(double x) { return 1 - tanh(x) * tanh(x); }

static const struct unary_case cases[] = {
    {"neg", gs_neg, neg, d_neg},
    {"abs", gs_abs, fabs, d_abs},
    {"exp", gs_exp, exp, exp},
    {"log", gs_log, log, d_log},
    {"sqrt", gs_sqrt, sqrt, d_sqrt},
    {"square", gs_square, square, d_square},
    {"sign", gs_sign, sign, zero},
    {"sigmoid", gs_sigmoid, sigmoid, d_sigmoid},
    {"tanh", gs_tanh, tanh, d_tanh},
};

enum { N = 12 }; /* shape (3, 4) */
static const int64_t s34[] = {3, 4};

/* t's elements as float64 (through gs_tensor_astype). */
static void read_f64(gs_tensor t, double *dst) {
    gs_tensor d = {0};
    if (CHECK_OK(gs_tensor_astype(t, GS_DTYPE_FLOAT64, &d))) {
        CHECK_OK(gs_tensor_copy_data(d, dst, N * sizeof(double)));
        release(d);
    }
}

static void run_case(const struct unary_case *c, int32_t dtype, const double *xs) {
    float xf[N];
    for (int i = 0; i < N; i++)
        xf[i] = (float)xs[i];
    gs_tensor x = {0}, y = {0}, s = {0}, g = {0};
    CHECK_OK(gs_tensor_new(dtype == GS_DTYPE_FLOAT32 ? (const void *)xf : (const void *)xs, dtype,
                           s34, 2, true, &x));
    if (!CHECK_OK(c->fn(x, &y))) {
        fprintf(stderr, "  in gs_%s\n", c->name);
        release(x);
        return;
    }
    CHECK_META(y, dtype, s34, 2);
    CHECK_OK(gs_sum(y, NULL, -1, false, &s));
    CHECK_OK(gs_backward(s, false));
    CHECK_OK(gs_tensor_grad(x, &g));
    CHECK_META(g, dtype, s34, 2); /* the gradient has the tensor's dtype */

    double values[N], grads[N];
    read_f64(y, values);
    read_f64(g, grads);
    double tol = dtype == GS_DTYPE_FLOAT32 ? 1e-5 : 1e-12;
    for (int i = 0; i < N; i++) {
        double x64 = dtype == GS_DTYPE_FLOAT32 ? (double)xf[i] : xs[i];
        double want = c->f(x64), dwant = c->df(x64);
        if (!CHECK(fabs(values[i] - want) <= tol * (1 + fabs(want))) ||
            !CHECK(fabs(grads[i] - dwant) <= tol * (1 + fabs(dwant))))
            fprintf(stderr, "  gs_%s(%g) [dtype %d]: value %.9g (want %.9g), grad %.9g (want "
                            "%.9g)\n", c->name, x64, (int)dtype, values[i], want, grads[i], dwant);
    }
    release(g);
    release(s);
    release(y);
    release(x);
}

void test_unary(void) {
    double mixed[N], positive[N];
    for (int i = 0; i < N; i++) {
        mixed[i] = -1.375 + 0.25 * i; /* -1.375 ... 1.375, no zero */
        positive[i] = 0.5 + 0.25 * i;
    }
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const struct unary_case *c = &cases[k];
        bool needs_positive = c->fn == gs_log || c->fn == gs_sqrt;
        run_case(c, GS_DTYPE_FLOAT32, needs_positive ? positive : mixed);
        run_case(c, GS_DTYPE_FLOAT64, needs_positive ? positive : mixed);
    }
}
