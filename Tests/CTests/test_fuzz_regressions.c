/* Regression tests for the bugs found by the C ABI fuzzer (Tests/Fuzz/fuzz_abi.c): each test
 * repeats the call that crashed, hung or went wrong, and checks the value or the error now
 * returned. The comment of each test names the fuzz run that found it.
 */
#include <stdint.h>

#include "check.h"

/* seed 10, iteration 34905: gs_avg_pool1d(x (1, 1, 4), kernel 3, stride INT64_MAX, padding 1)
   trapped on an integer overflow while finding the output columns a window column covers
   (ceil(pad / stride) computed as (pad + stride - 1) / stride). One window remains, over
   [pad, x0, x1]. The same computation serves convolution (im2col and col2im) and max pooling,
   forward and backward. */
static void huge_stride_with_padding(void) {
    gs_tensor x = make_f32((const float[]){1, 2, 3, 4}, INTS(1, 1, 4), 3, true);
    gs_tensor out = {0}, total = {0};

    CHECK_OK(gs_avg_pool1d(x, 3, INT64_MAX, 1, &out));
    CHECK_F32(out, INTS(1, 1, 1), 3, (const float[]){1});
    CHECK_OK(gs_sum(out, NULL, -1, false, &total));
    CHECK_OK(gs_backward(total, false));
    CHECK_GRAD(x, INTS(1, 1, 4), 3, (const float[]){1.0f / 3, 1.0f / 3, 0, 0});
    release(total);
    release(out);
    CHECK_OK(gs_tensor_zero_grad(x));

    CHECK_OK(gs_max_pool1d(x, 3, INT64_MAX, 1, &out));
    CHECK_F32(out, INTS(1, 1, 1), 3, (const float[]){2});
    release(out);

    gs_tensor w = make_f32((const float[]){1, 10, 100}, INTS(1, 1, 3), 3, true);
    CHECK_OK(gs_conv1d(x, w, (gs_tensor){0}, INT64_MAX, 1, &out));
    CHECK_F32(out, INTS(1, 1, 1), 3, (const float[]){10 * 1 + 100 * 2});
    CHECK_OK(gs_sum(out, NULL, -1, false, &total));
    CHECK_OK(gs_backward(total, false));
    CHECK_GRAD(x, INTS(1, 1, 4), 3, (const float[]){10, 100, 0, 0});
    CHECK_GRAD(w, INTS(1, 1, 3), 3, (const float[]){0, 1, 2});
    release(total);
    release(out);
    release(w);
    release(x);

    gs_tensor x2 = make_f32((const float[]){1, 2, 3, 4}, INTS(1, 1, 2, 2), 4, false);
    CHECK_OK(gs_avg_pool2d(x2, 2, INT64_MAX, 1, &out));
    CHECK_F32(out, INTS(1, 1, 1, 1), 4, (const float[]){0.25f});
    release(out);
    CHECK_OK(gs_max_pool2d(x2, 2, INT64_MAX, 1, &out));
    CHECK_F32(out, INTS(1, 1, 1, 1), 4, (const float[]){1});
    release(out);
    release(x2);
}

/* seed 300, iteration 62332 (release build): an Embedding whose weight was rebound by
   gs_tensor_set_data to a smaller tensor; gs_module_reset_parameters zeroed "row padding_idx"
   with the constructor's row size, past the end of the new buffer (heap-buffer-overflow). Now
   the padding row is row padding_idx of the weight's first axis, whatever its shape, and a
   weight without that row is an index error that leaves it untouched. */
static void embedding_reset_after_rebinding(void) {
    gs_module m = {0};
    gs_tensor w = {0};
    CHECK_OK(gs_embedding_new(8, 16, 6, true, GS_DTYPE_FLOAT32, &m));
    CHECK_OK(gs_module_parameter(m, "weight", &w));

    const float two[2] = {7, 8};
    CHECK_OK(gs_tensor_set_data(w, two, GS_DTYPE_FLOAT32, INTS(2), 1));
    CHECK_ERROR(gs_module_reset_parameters(m), GS_ERR_INDEX);
    CHECK_F32(w, INTS(2), 1, two);

    /* a (7, 2) table: row 6 zeroed, the others drawn */
    const float fourteen[14] = {0};
    CHECK_OK(gs_tensor_set_data(w, fourteen, GS_DTYPE_FLOAT32, INTS(7, 2), 2));
    CHECK_OK(gs_module_reset_parameters(m));
    float got[14];
    CHECK_OK(gs_tensor_copy_data(w, got, sizeof got));
    CHECK(got[12] == 0 && got[13] == 0);
    CHECK(got[0] != 0 && got[11] != 0);

    release(w);
    CHECK_OK(gs_module_release(m));
}

/* gs_tensor_randperm(n = INT64_MAX) built its permutation before checking that the tensor could
   exist, and crashed allocating it; now the tensor's allocation refuses n first. */
static void randperm_of_a_huge_n(void) {
    gs_tensor t = {0};
    CHECK_ERROR(gs_tensor_randperm(GS_DTYPE_INT64, INT64_MAX, &t), GS_ERR_OUT_OF_MEMORY);
    CHECK_ERROR(gs_tensor_randperm(GS_DTYPE_FLOAT64, INT64_C(1) << 62, &t), GS_ERR_OUT_OF_MEMORY);
}

/* seed 1, iteration 13354: gs_tensordot of 0-d tensors with dims [0] and [-1] indexed their
   (empty) shapes: a 0-d tensor has no dimension to contract. */
static void tensordot_of_scalars(void) {
    gs_tensor a = make_f32((const float[]){2}, NULL, 0, false), b = make_f32((const float[]){3}, NULL, 0, false);
    gs_tensor out = {0};
    CHECK_ERROR(gs_tensordot(a, b, INTS(0), 1, INTS(-1), 1, &out), GS_ERR_INDEX);
    CHECK_OK(gs_tensordot(a, b, NULL, 0, NULL, 0, &out)); /* no contraction: the product */
    CHECK_F32(out, NULL, 0, (const float[]){6});
    release(out);
    release(b);
    release(a);
}

void test_fuzz_regressions(void) {
    tensordot_of_scalars();
    huge_stride_with_padding();
    embedding_reset_after_rebinding();
    randperm_of_a_huge_n();
}
