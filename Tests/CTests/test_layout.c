/* PyTorch's layout functions through the C ABI (gs_stack ... gs_pad): values, a gradient, and
 * every error path the ABI adds (null pointers, counts, codes, room for the results).
 */
#include "check.h"

static const int64_t s23[] = {2, 3};
static const float a23[] = {0, 1, 2, 3, 4, 5};

static void layout_values(void) {
    gs_tensor a = make_f32(a23, s23, 2, false), out = {0};
    gs_tensor parts[2] = {a, a};
    CHECK_OK(gs_stack(parts, 2, -1, &out));
    CHECK_F32(out, INTS(2, 3, 2), 3, (const float[]){0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5});
    release(out);
    CHECK_OK(gs_flatten(a, 0, -1, &out));
    CHECK_F32(out, INTS(6), 1, a23);
    release(out);
    CHECK_OK(gs_unflatten(a, 1, INTS(3, -1), 2, &out));
    CHECK_META(out, GS_DTYPE_FLOAT32, INTS(2, 3, 1), 3);
    release(out);
    CHECK_OK(gs_expand(a, INTS(2, -1, -1), 3, &out));
    CHECK_META(out, GS_DTYPE_FLOAT32, INTS(2, 2, 3), 3);
    release(out);
    CHECK_OK(gs_movedim(a, INTS(0), 1, INTS(1), 1, &out));
    CHECK_F32(out, INTS(3, 2), 2, (const float[]){0, 3, 1, 4, 2, 5});
    release(out);
    CHECK_OK(gs_repeat(a, INTS(1, 2), 2, &out));
    CHECK_F32(out, INTS(2, 6), 2, (const float[]){0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5});
    release(out);
    CHECK_OK(gs_repeat_interleave(a, 2, 0, true, &out));
    CHECK_F32(out, INTS(12), 1, (const float[]){0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5});
    release(out);
    CHECK_OK(gs_flip(a, INTS(1), 1, &out));
    CHECK_F32(out, s23, 2, (const float[]){2, 1, 0, 5, 4, 3});
    release(out);
    CHECK_OK(gs_roll(a, INTS(1), 1, NULL, 0, &out));
    CHECK_F32(out, s23, 2, (const float[]){5, 0, 1, 2, 3, 4});
    release(out);
    CHECK_OK(gs_triu(a, 1, &out));
    CHECK_F32(out, s23, 2, (const float[]){0, 1, 2, 0, 0, 5});
    release(out);
    CHECK_OK(gs_pad(a, INTS(2, 1), 2, GS_PAD_MODE_REFLECT, 0, &out));
    CHECK_F32(out, INTS(2, 6), 2, (const float[]){2, 1, 0, 1, 2, 1, 5, 4, 3, 4, 5, 4});
    release(out);
    gs_tensor pieces[3] = {{0}};
    int32_t n = 0;
    CHECK_OK(gs_chunk(a, 2, 1, pieces, 3, &n));
    CHECK(n == 2);
    CHECK_F32(pieces[0], INTS(2, 2), 2, (const float[]){0, 1, 3, 4});
    CHECK_F32(pieces[1], INTS(2, 1), 2, (const float[]){2, 5});
    release(pieces[0]);
    release(pieces[1]);
    release(a);
}

static void pad_gradient(void) {
    /* replicate: each edge entry gets the weights of its copies */
    gs_tensor a = make_f32(a23, s23, 2, true), out = {0}, s = {0};
    CHECK_OK(gs_pad(a, INTS(1, 2), 2, GS_PAD_MODE_REPLICATE, 0, &out));
    CHECK_OK(gs_sum(out, NULL, -1, false, &s));
    CHECK_OK(gs_backward(s, false));
    CHECK_GRAD(a, s23, 2, (const float[]){2, 1, 3, 2, 1, 3});
    release(s);
    release(out);
    release(a);
}

static void layout_errors(void) {
    gs_tensor a = make_f32(a23, s23, 2, false), out = {0}, pieces[2] = {{0}};
    gs_tensor ints = make_i64(INTS(1, 2), INTS(2), 1);
    int32_t n = -7;
    CHECK_ERROR(gs_stack(NULL, 2, 0, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_stack(&a, 0, 0, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_flatten(a, 1, 0, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_flatten(a, 0, -1, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_unflatten(a, 1, NULL, 2, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_unflatten(a, 1, INTS(2, 2), 2, &out), GS_ERR_SHAPE_MISMATCH);
    CHECK_ERROR(gs_expand(a, INTS(4, 3), 2, &out), GS_ERR_SHAPE_MISMATCH);
    CHECK_ERROR(gs_expand(a, INTS(1), -1, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_broadcast_to(a, INTS(3), 1, &out), GS_ERR_SHAPE_MISMATCH);
    CHECK_ERROR(gs_movedim(a, INTS(0, 1), 2, INTS(1), 1, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_tile(a, INTS(-1), 1, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_tile(a, INTS(INT64_MAX, 2), 2, &out), GS_ERR_OUT_OF_MEMORY);
    CHECK_ERROR(gs_repeat(a, INTS(2), 1, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_repeat_interleave(a, -1, 0, false, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_repeat_interleave(a, INT64_MAX, 0, false, &out), GS_ERR_OUT_OF_MEMORY);
    CHECK_ERROR(gs_repeat_interleave_tensor(a, a, 0, false, &out), GS_ERR_DTYPE);
    CHECK_ERROR(gs_repeat_interleave_tensor(a, ints, 1, false, &out), GS_ERR_SHAPE_MISMATCH);
    CHECK_ERROR(gs_repeat_interleave_tensor(a, (gs_tensor){0}, 0, false, &out), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_flip(a, INTS(0, 0), 2, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_roll(a, INTS(1), 1, INTS(0, 1), 2, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_OK(gs_roll(a, INTS(INT64_MIN), 1, INTS(1), 1, &out)); /* any shift, reduced modulo the size */
    release(out);
    CHECK_ERROR(gs_tril(ints, 0, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_chunk(a, 0, 0, pieces, 2, &n), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_chunk(a, 3, 1, pieces, 2, &n), GS_ERR_INVALID_ARGUMENT); /* 3 pieces, room for 2 */
    CHECK(n == -7 && pieces[0].id == 0);
    CHECK_ERROR(gs_chunk(a, 2, 1, NULL, 2, &n), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_chunk(a, 2, 1, pieces, 2, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_pad(a, INTS(1, 1), 2, 7, 0, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_pad(a, INTS(1), 1, GS_PAD_MODE_CONSTANT, 0, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_pad(a, INTS(3, 0), 2, GS_PAD_MODE_REFLECT, 0, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_pad(a, INTS(INT64_MIN, 0), 2, GS_PAD_MODE_CONSTANT, 0, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_pad(a, INTS(INT64_MAX, INT64_MAX), 2, GS_PAD_MODE_CONSTANT, 0, &out), GS_ERR_OUT_OF_MEMORY);
    CHECK_ERROR(gs_pad(a, NULL, 66, GS_PAD_MODE_CONSTANT, 0, &out), GS_ERR_INVALID_ARGUMENT);
    release(ints);
    release(a);
}

void test_layout(void) {
    layout_values();
    pad_gradient();
    layout_errors();
}
