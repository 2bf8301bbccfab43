/* Attention through the C ABI: scaled dot-product attention and the multi-head attention
 * forward, their outputs, the optional weights and the error paths. */
#include "check.h"

/* Equal keys give equal scores, so each query attends uniformly: the mean of the values. */
static void sdpa_with_equal_keys_averages_the_values(void) {
    const int64_t sq[] = {2, 3}, sk[] = {3, 3}, sv[] = {3, 2};
    gs_tensor q = make_f32((const float[]){1, 2, 3, -1, 0, 1}, sq, 2, false);
    gs_tensor k = make_f32((const float[]){1, 1, 1, 1, 1, 1, 1, 1, 1}, sk, 2, false);
    gs_tensor v = make_f32((const float[]){1, 2, 3, 4, 5, 9}, sv, 2, false);
    gs_tensor out = {0};
    if (CHECK_OK(gs_scaled_dot_product_attention(q, k, v, (gs_tensor){0}, 0.0, false, NAN, &out))) {
        CHECK_F32(out, ((const int64_t[]){2, 2}), 2, (const float[]){3, 5, 3, 5});
        release(out);
    }
    /* causal: the first query sees the first key only */
    if (CHECK_OK(gs_scaled_dot_product_attention(k, k, v, (gs_tensor){0}, 0.0, true, NAN, &out))) {
        CHECK_F32(out, ((const int64_t[]){3, 2}), 2, (const float[]){1, 2, 2, 3, 3, 5});
        release(out);
    }
    CHECK_ERROR(gs_scaled_dot_product_attention(q, v, v, (gs_tensor){0}, 0.0, false, NAN, &out), GS_ERR_SHAPE_MISMATCH);
    CHECK_ERROR(gs_scaled_dot_product_attention(q, k, v, (gs_tensor){0}, 1.5, false, NAN, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_scaled_dot_product_attention(q, k, v, (gs_tensor){0}, 0.0, false, INFINITY, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_scaled_dot_product_attention(q, k, v, (gs_tensor){0}, 0.0, false, NAN, NULL), GS_ERR_INVALID_ARGUMENT);
    release(q);
    release(k);
    release(v);
}

static void multi_head_attention_outputs_and_errors(void) {
    enum { E = 4 };
    const int64_t sx[] = {3, 2, E}, sw[] = {3 * E, E}, so[] = {E, E};
    float xs[3 * 2 * E], ws[3 * E * E], os[E * E];
    for (int i = 0; i < 3 * 2 * E; i++) xs[i] = (float)((i * 7) % 5) / 5 - 0.4f;
    for (int i = 0; i < 3 * E * E; i++) ws[i] = (float)((i * 3) % 7) / 7 - 0.5f;
    for (int i = 0; i < E * E; i++) os[i] = (float)((i * 5) % 3) / 3 - 0.3f;
    gs_tensor x = make_f32(xs, sx, 3, true), w = make_f32(ws, sw, 2, true), o = make_f32(os, so, 2, true);
    gs_tensor out = {0}, weights = {0}, none = {0};
    if (CHECK_OK(gs_multi_head_attention(x, x, x, 2, w, none, o, none, none, none, true, true, false, 0.0, false, false,
                                         &out, &weights))) {
        CHECK_META(out, GS_DTYPE_FLOAT32, ((const int64_t[]){3, 2, E}), 3);
        CHECK_META(weights, GS_DTYPE_FLOAT32, ((const int64_t[]){2, 3, 3}), 3);
        gs_tensor total = {0};
        if (CHECK_OK(gs_sum(out, NULL, -1, false, &total))) {
            CHECK_OK(gs_backward(total, false));
            release(total);
        }
        release(out);
        release(weights);
    }
    weights.id = 99; /* overwritten with 0: no weights asked for */
    if (CHECK_OK(gs_multi_head_attention(x, x, x, 2, w, none, o, none, none, none, false, true, false, 0.0, false, false,
                                         &out, &weights))) {
        CHECK(weights.id == 0);
        release(out);
    }
    CHECK_ERROR(gs_multi_head_attention(x, x, x, 3, w, none, o, none, none, none, true, true, false, 0.0, false, false,
                                        &out, &weights), GS_ERR_INVALID_ARGUMENT); /* 4 not divisible by 3 */
    CHECK_ERROR(gs_multi_head_attention(x, x, x, 2, o, none, o, none, none, none, true, true, false, 0.0, false, false,
                                        &out, &weights), GS_ERR_SHAPE_MISMATCH); /* in_proj_weight (4, 4) */
    CHECK_ERROR(gs_multi_head_attention(x, x, x, 2, w, none, o, none, none, none, true, true, true, 0.0, false, false,
                                        &out, &weights), GS_ERR_INVALID_ARGUMENT); /* is_causal without a mask */
    CHECK_ERROR(gs_multi_head_attention(x, x, x, 2, w, none, o, none, none, none, true, true, false, 0.0, false, false,
                                        &out, NULL), GS_ERR_INVALID_ARGUMENT);
    release(x);
    release(w);
    release(o);
}

void test_attention(void) {
    sdpa_with_equal_keys_averages_the_values();
    multi_head_attention_outputs_and_errors();
}
