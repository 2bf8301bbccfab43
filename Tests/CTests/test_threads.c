/* Four threads use the library at once: each builds and differentiates its own graphs, and
 * provokes its own errors. Results must equal a plain-C reference, error messages must be the
 * calling thread's own, and every handle must come back. */
#include <pthread.h>
#include <stdlib.h>

#include "check.h"

enum { THREADS = 4, N = 48, ROUNDS = 40 };

typedef struct {
    int id;
    int failures; /* counted here, checked by the main thread after joining */
} Worker;

static double input_value(int id, int i) { return sin(0.37 * i + id) * 0.5; }
static double weight_value(int id, int i) { return cos(0.11 * i - id) * 0.3; }

/* value = sum(tanh(x @ w)) and dvalue/dx = (1 - tanh^2) @ w^T, computed directly */
static double reference(int id, double *grad) {
    static __thread double t[N * N];
    double value = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < N; k++) s += input_value(id, i * N + k) * weight_value(id, k * N + j);
            t[i * N + j] = tanh(s);
            value += t[i * N + j];
        }
    for (int i = 0; i < N; i++)
        for (int k = 0; k < N; k++) {
            double s = 0;
            for (int j = 0; j < N; j++) s += (1 - t[i * N + j] * t[i * N + j]) * weight_value(id, k * N + j);
            grad[i * N + k] = s;
        }
    return value;
}

static bool close_enough(double x, double want) { return fabs(x - want) <= 1e-10 * (1 + fabs(want)); }

static void *work(void *argument) {
    Worker *w = argument;
    static __thread double x_data[N * N], w_data[N * N], grad[N * N], want_grad[N * N];
    for (int i = 0; i < N * N; i++) {
        x_data[i] = input_value(w->id, i);
        w_data[i] = weight_value(w->id, i);
    }
    double want = reference(w->id, want_grad);
    const int64_t shape[2] = {N, N};
    char expected_message[64];
    snprintf(expected_message, sizeof expected_message, "(2, %d)", w->id + 1);

    for (int round = 0; round < ROUNDS; round++) {
        gs_tensor x = {0}, weight = {0}, product = {0}, activated = {0}, total = {0}, x_grad = {0};
        if (gs_tensor_new(x_data, GS_DTYPE_FLOAT64, shape, 2, true, &x) ||
            gs_tensor_new(w_data, GS_DTYPE_FLOAT64, shape, 2, false, &weight) ||
            gs_matmul(x, weight, &product) || gs_tanh(product, &activated) ||
            gs_sum(activated, NULL, -1, false, &total) || gs_backward(total, false) ||
            gs_tensor_grad(x, &x_grad) || gs_tensor_copy_data(x_grad, grad, sizeof grad)) {
            w->failures++;
        } else {
            double value = 0;
            gs_tensor_copy_data(total, &value, sizeof value);
            if (!close_enough(value, want)) w->failures++;
            for (int i = 0; i < N * N; i++)
                if (!close_enough(grad[i], want_grad[i])) {
                    w->failures++;
                    break;
                }
        }
        gs_tensor handles[] = {x, weight, product, activated, total, x_grad};
        for (size_t i = 0; i < sizeof handles / sizeof *handles; i++)
            if (handles[i].id) gs_tensor_release(handles[i]);

        /* an error of this thread's own shape: the message read back must be this thread's */
        gs_tensor a = {0}, b = {0}, bad = {0};
        gs_tensor_full(GS_DTYPE_FLOAT64, INTS(2, w->id + 1), 2, 1.0, false, &a);
        gs_tensor_full(GS_DTYPE_FLOAT64, INTS(w->id + 3, 2), 2, 1.0, false, &b);
        if (gs_matmul(a, b, &bad) != GS_ERR_SHAPE_MISMATCH || bad.id != 0 ||
            strstr(gs_last_error(), expected_message) == NULL)
            w->failures++;
        gs_tensor_release(a);
        gs_tensor_release(b);
    }
    return NULL;
}

/* The thread budget: set, read back, bad values refused, the old value restored. */
static void thread_budget(void) {
    int64_t before = 0, now = 0;
    CHECK_OK(gs_get_num_threads(&before));
    CHECK(before >= 1);
    CHECK_OK(gs_set_num_threads(1));
    CHECK_OK(gs_get_num_threads(&now));
    CHECK(now == 1);
    CHECK_ERROR(gs_set_num_threads(0), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_set_num_threads(INT64_MAX), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_get_num_threads(NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_OK(gs_set_num_threads(before));
}

void test_threads(void) {
    thread_budget();
    int64_t live_before = live_handles();
    pthread_t threads[THREADS];
    Worker workers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (Worker){.id = i, .failures = 0};
        CHECK(pthread_create(&threads[i], NULL, work, &workers[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
        if (!CHECK(workers[i].failures == 0))
            fprintf(stderr, "thread %d: %d failed rounds or values\n", i, workers[i].failures);
    }
    CHECK(live_handles() == live_before);
}
