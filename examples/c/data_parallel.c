/* Data-parallel training through the C ABI alone: every MPI rank builds the same 1-16-1 MLP
 * (same seed), fits y = sin(3x) on its own share of the points, and after each backward
 * averages every gradient over the ranks with MPI_Allreduce directly on the engine's gradient
 * memory (gs_tensor_data_ptr) before the optimizer step. The ranks end with identical weights.
 *
 *   make mpi-test builds and runs it: mpicc ... examples/c/data_parallel.c -lgradswift
 *   mpirun -n 2 .build/data_parallel
 */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#include <gradswift.h>

enum { POINTS = 64, PARAMS = 4, STEPS = 300 };

/* Stops the whole job with the library's message when a call fails. */
static void check(int32_t status, const char *what) {
    if (status != GS_OK) {
        fprintf(stderr, "%s failed: %s\n", what, gs_last_error());
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    /* the model, the same on every rank */
    check(gs_manual_seed(7), "gs_manual_seed");
    gs_module layers[3], net, loss_fn;
    check(gs_linear_new(1, 16, true, GS_DTYPE_FLOAT32, &layers[0]), "gs_linear_new");
    check(gs_tanh_new(&layers[1]), "gs_tanh_new");
    check(gs_linear_new(16, 1, true, GS_DTYPE_FLOAT32, &layers[2]), "gs_linear_new");
    check(gs_sequential_new(layers, 3, &net), "gs_sequential_new");
    for (int i = 0; i < 3; i++) check(gs_module_release(layers[i]), "gs_module_release");
    check(gs_mse_loss_new(GS_REDUCTION_MEAN, &loss_fn), "gs_mse_loss_new");
    gs_tensor params[PARAMS];
    const char *names[PARAMS] = {"0.weight", "0.bias", "2.weight", "2.bias"};
    for (int i = 0; i < PARAMS; i++) check(gs_module_parameter(net, names[i], &params[i]), "gs_module_parameter");
    gs_optimizer optimizer;
    check(gs_adam_new(params, PARAMS, 0.02, 0.9, 0.999, 1e-8, 0.0, &optimizer), "gs_adam_new");

    /* this rank's points: every size-th of POINTS on [-1, 1] */
    int mine = (POINTS - rank + size - 1) / size;
    float *xs = malloc(sizeof(float) * (size_t)mine), *ys = malloc(sizeof(float) * (size_t)mine);
    for (int i = 0; i < mine; i++) {
        xs[i] = -1.0f + 2.0f * (float)(rank + i * size) / (POINTS - 1);
        ys[i] = sinf(3 * xs[i]);
    }
    const int64_t shape[] = {mine, 1};
    gs_tensor x, y;
    check(gs_tensor_new(xs, GS_DTYPE_FLOAT32, shape, 2, false, &x), "gs_tensor_new");
    check(gs_tensor_new(ys, GS_DTYPE_FLOAT32, shape, 2, false, &y), "gs_tensor_new");

    float first = 0, loss_value = 0;
    for (int step = 0; step < STEPS; step++) {
        gs_tensor out, loss, pair[2];
        int32_t n;
        check(gs_module_forward(net, &x, 1, &out, 1, &n), "gs_module_forward");
        pair[0] = out;
        pair[1] = y;
        check(gs_module_forward(loss_fn, pair, 2, &loss, 1, &n), "gs_module_forward");
        check(gs_optim_zero_grad(optimizer), "gs_optim_zero_grad");
        check(gs_backward(loss, false), "gs_backward");
        for (int i = 0; i < PARAMS; i++) { /* average the gradient in place, in the engine's memory */
            gs_tensor grad;
            void *data;
            int32_t dtype, ndim;
            int64_t dims[8], count = 1;
            check(gs_tensor_grad(params[i], &grad), "gs_tensor_grad");
            check(gs_tensor_describe(grad, &dtype, &ndim, dims, 8), "gs_tensor_describe");
            for (int d = 0; d < ndim; d++) count *= dims[d];
            check(gs_tensor_data_ptr(grad, &data), "gs_tensor_data_ptr");
            MPI_Allreduce(MPI_IN_PLACE, data, (int)count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            for (int64_t k = 0; k < count; k++) ((float *)data)[k] /= (float)size;
            check(gs_tensor_release(grad), "gs_tensor_release");
        }
        check(gs_optim_step(optimizer), "gs_optim_step");
        check(gs_tensor_copy_data(loss, &loss_value, sizeof loss_value), "gs_tensor_copy_data");
        if (step == 0) first = loss_value;
        check(gs_tensor_release(out), "gs_tensor_release");
        check(gs_tensor_release(loss), "gs_tensor_release");
    }

    /* every rank must hold the same weights: the largest difference from rank 0's */
    float weights[16], root[16], gap = 0, worst;
    check(gs_tensor_copy_data(params[2], weights, sizeof weights), "gs_tensor_copy_data");
    for (int k = 0; k < 16; k++) root[k] = weights[k];
    MPI_Bcast(root, 16, MPI_FLOAT, 0, MPI_COMM_WORLD);
    for (int k = 0; k < 16; k++) gap = fmaxf(gap, fabsf(weights[k] - root[k]));
    MPI_Allreduce(&gap, &worst, 1, MPI_FLOAT, MPI_MAX, MPI_COMM_WORLD);
    float total_loss;
    MPI_Allreduce(&loss_value, &total_loss, 1, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    int ok = worst == 0 && total_loss / size < 0.1f * first;
    if (rank == 0)
        printf("data_parallel: %d ranks, loss %.4f -> %.4f (mean over ranks), weights %s across ranks: %s\n", size,
               first, total_loss / size, worst == 0 ? "identical" : "DIFFERENT", ok ? "ok" : "FAILED");

    for (int i = 0; i < PARAMS; i++) gs_tensor_release(params[i]);
    gs_tensor_release(x);
    gs_tensor_release(y);
    gs_optim_release(optimizer);
    gs_module_release(loss_fn);
    gs_module_release(net);
    free(xs);
    free(ys);
    MPI_Finalize();
    return ok ? 0 : 1;
}
