/* Shape ops (reshape, transpose, swapaxes, unsqueeze, squeeze, concat, split) and NumPy
 * indexing (gs_index, gs_index_put, gs_index_put_scalar): values, gradients, error paths.
 */
#include "check.h"

static const int64_t s2[] = {2}, s3[] = {3}, s4[] = {4}, s6[] = {6}, s23[] = {2, 3},
                     s32[] = {3, 2}, s34[] = {3, 4}, s234[] = {2, 3, 4};
static const float a23[] = {1, 2, 3, 4, 5, 6};

/* Index key items ([kind, v0, v1, v2], see gs_index); NONE is a slice's None. */
#define NONE INT64_MIN
#define K_INT(i) GS_INDEX_ITEM_INTEGER, (i), 0, 0
#define K_SLICE(start, stop, step) GS_INDEX_ITEM_SLICE, (start), (stop), (step)
#define K_NEWAXIS GS_INDEX_ITEM_NEWAXIS, 0, 0, 0
#define K_ELLIPSIS GS_INDEX_ITEM_ELLIPSIS, 0, 0, 0
#define K_TENSOR(t) GS_INDEX_ITEM_TENSOR, (int64_t)(t).id, 0, 0
#define NITEMS(key) ((int32_t)(sizeof(key) / sizeof((key)[0]) / 4))

/* A float32 tensor of `shape` holding 0, 1, 2, ... (at most 24 elements). */
static gs_tensor make_iota(const int64_t *shape, int32_t ndim, bool requires_grad) {
    float v[24];
    for (int i = 0; i < 24; i++)
        v[i] = (float)i;
    return make_f32(v, shape, ndim, requires_grad);
}

/* a[key] (checked call); 0 on failure. */
static gs_tensor index_of(gs_tensor a, const int64_t *key, int32_t nitems) {
    gs_tensor out = {0};
    CHECK_OK(gs_index(a, key, nitems, &out));
    return out;
}

/* Backward of sum(t * w) for a float32 weight tensor w of t's shape. */
static void backward_weighted_sum(gs_tensor t, const float *w, const int64_t *shape, int32_t ndim) {
    gs_tensor wt = make_f32(w, shape, ndim, false), tw = {0}, s = {0};
    CHECK_OK(gs_mul(t, wt, &tw));
    CHECK_OK(gs_sum(tw, NULL, -1, false, &s));
    CHECK_OK(gs_backward(s, false));
    release(s);
    release(tw);
    release(wt);
}

/* ---- shape ops ------------------------------------------------------------------------------- */

static void reshape_infers_minus_one(void) {
    gs_tensor a = make_f32(a23, s23, 2, false);
    gs_tensor out = {0};
    CHECK_OK(gs_reshape(a, INTS(3, -1), 2, &out));
    CHECK_F32(out, s32, 2, a23);
    /* the result shares a's memory */
    void *pa = NULL, *po = NULL;
    CHECK_OK(gs_tensor_data_ptr(a, &pa));
    CHECK_OK(gs_tensor_data_ptr(out, &po));
    CHECK(pa == po);
    release(out);
    CHECK_OK(gs_reshape(a, INTS(-1), 1, &out));
    CHECK_F32(out, s6, 1, a23);
    release(out);
    CHECK_OK(gs_reshape(a, INTS(1, -1, 1), 3, &out));
    CHECK_F32(out, INTS(1, 6, 1), 3, a23);
    release(out);
    release(a);

    /* a one-element tensor reshapes to 0-d */
    const float seven = 7;
    gs_tensor one = make_f32(&seven, INTS(1, 1), 2, false);
    CHECK_OK(gs_reshape(one, NULL, 0, &out));
    CHECK_F32(out, NULL, 0, &seven);
    release(out);
    release(one);
}

static void reshape_rejects_bad_sizes(void) {
    gs_tensor a = make_f32(a23, s23, 2, false);
    gs_tensor out = {12345};
    CHECK_ERROR(gs_reshape(a, INTS(4, -1), 2, &out), GS_ERR_SHAPE_MISMATCH);
    CHECK_ERROR(gs_reshape(a, INTS(4, 2), 2, &out), GS_ERR_SHAPE_MISMATCH);
    CHECK_ERROR(gs_reshape(a, NULL, 0, &out), GS_ERR_SHAPE_MISMATCH); /* 6 elements into () */
    CHECK_ERROR(gs_reshape(a, INTS(-1, -1), 2, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_reshape(a, INTS(-2, -3), 2, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK(out.id == 12345);
    release(a);
}

static void reshape_gradient(void) {
    gs_tensor x = make_f32(a23, s23, 2, true);
    gs_tensor flat = {0};
    CHECK_OK(gs_reshape(x, s6, 1, &flat));
    backward_weighted_sum(flat, (const float[]){1, 2, 3, 4, 5, 6}, s6, 1);
    CHECK_GRAD(x, s23, 2, (const float[]){1, 2, 3, 4, 5, 6});
    release(flat);
    release(x);
}

static void transpose_values(void) {
    gs_tensor a = make_f32(a23, s23, 2, false);
    gs_tensor out = {0};
    CHECK_OK(gs_transpose(a, NULL, -1, &out)); /* reversed: (3,2) */
    CHECK_F32(out, s32, 2, (const float[]){1, 4, 2, 5, 3, 6});
    release(out);
    CHECK_OK(gs_transpose(a, INTS(0, 1), 2, &out)); /* identity */
    CHECK_F32(out, s23, 2, a23);
    release(out);
    release(a);

    /* (2,3,4) with axes (2,0,1): out[i][j][k] = a[j][k][i] = 12j + 4k + i */
    gs_tensor b = make_iota(s234, 3, false);
    float want[24];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 2; j++)
            for (int k = 0; k < 3; k++)
                want[(i * 2 + j) * 3 + k] = (float)(12 * j + 4 * k + i);
    const int64_t s423[] = {4, 2, 3};
    CHECK_OK(gs_transpose(b, INTS(2, 0, 1), 3, &out));
    CHECK_F32(out, s423, 3, want);
    release(out);
    CHECK_OK(gs_transpose(b, INTS(-1, 0, -2), 3, &out)); /* negative axes */
    CHECK_F32(out, s423, 3, want);
    release(out);

    /* reversed: out[i][j][k] = a[k][j][i] = 12k + 4j + i */
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 2; k++)
                want[(i * 3 + j) * 2 + k] = (float)(12 * k + 4 * j + i);
    CHECK_OK(gs_transpose(b, NULL, -1, &out));
    CHECK_F32(out, INTS(4, 3, 2), 3, want);
    release(out);
    release(b);
}

static void transpose_gradient_and_errors(void) {
    gs_tensor x = make_f32(a23, s23, 2, true);
    gs_tensor t = {0};
    CHECK_OK(gs_transpose(x, NULL, -1, &t));
    /* d sum(x.T * w) / dx = w.T */
    backward_weighted_sum(t, (const float[]){1, 2, 3, 4, 5, 6}, s32, 2);
    CHECK_GRAD(x, s23, 2, (const float[]){1, 3, 5, 2, 4, 6});
    release(t);

    /* a permutation that is not its own inverse: with axes (2,0,1), out[i][j][k] = b[j][k][i],
       so d sum(out * w) / db[j][k][i] = w[i][j][k] */
    gs_tensor b = make_iota(s234, 3, true);
    float w[24], want[24];
    for (int i = 0; i < 24; i++)
        w[i] = (float)(i % 7) - 3;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 2; j++)
            for (int k = 0; k < 3; k++)
                want[(j * 3 + k) * 4 + i] = w[(i * 2 + j) * 3 + k];
    CHECK_OK(gs_transpose(b, INTS(2, 0, 1), 3, &t));
    backward_weighted_sum(t, w, INTS(4, 2, 3), 3);
    CHECK_GRAD(b, s234, 3, want);
    release(t);
    release(b);

    gs_tensor out = {12345};
    CHECK_ERROR(gs_transpose(x, INTS(0, 0), 2, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_transpose(x, INTS(1, -1), 2, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_transpose(x, INTS(0), 1, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_transpose(x, INTS(0, 2), 2, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK(out.id == 12345);
    release(x);
}

static void swapaxes_values(void) {
    gs_tensor b = make_iota(s234, 3, false);
    gs_tensor out = {0};
    float want[24];
    /* swap 1 and 2: out[i][j][k] = a[i][k][j] = 12i + 4k + j, shape (2,4,3) */
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 4; j++)
            for (int k = 0; k < 3; k++)
                want[(i * 4 + j) * 3 + k] = (float)(12 * i + 4 * k + j);
    CHECK_OK(gs_swapaxes(b, 1, 2, &out));
    CHECK_F32(out, INTS(2, 4, 3), 3, want);
    release(out);
    CHECK_OK(gs_swapaxes(b, -1, -2, &out));
    CHECK_F32(out, INTS(2, 4, 3), 3, want);
    release(out);

    /* swap 0 and -1: the same as reversing three axes */
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 2; k++)
                want[(i * 3 + j) * 2 + k] = (float)(12 * k + 4 * j + i);
    CHECK_OK(gs_swapaxes(b, 0, -1, &out));
    CHECK_F32(out, INTS(4, 3, 2), 3, want);
    release(out);

    CHECK_ERROR(gs_swapaxes(b, 0, 3, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_swapaxes(b, -4, 1, &out), GS_ERR_INVALID_ARGUMENT);
    release(b);
}

static void unsqueeze_inserts_axes(void) {
    gs_tensor a = make_f32(a23, s23, 2, false);
    gs_tensor out = {0};
    CHECK_OK(gs_unsqueeze(a, INTS(0), 1, &out));
    CHECK_F32(out, INTS(1, 2, 3), 3, a23);
    release(out);
    CHECK_OK(gs_unsqueeze(a, INTS(1), 1, &out));
    CHECK_F32(out, INTS(2, 1, 3), 3, a23);
    release(out);
    CHECK_OK(gs_unsqueeze(a, INTS(-1), 1, &out));
    CHECK_F32(out, INTS(2, 3, 1), 3, a23);
    release(out);
    CHECK_OK(gs_unsqueeze(a, INTS(0, -1), 2, &out)); /* positions in the result */
    CHECK_F32(out, INTS(1, 2, 3, 1), 4, a23);
    release(out);

    CHECK_ERROR(gs_unsqueeze(a, INTS(3), 1, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_unsqueeze(a, INTS(1, 1), 2, &out), GS_ERR_INVALID_ARGUMENT);
    release(a);
}

static void squeeze_removes_size_one_axes(void) {
    const int64_t s1213[] = {1, 2, 1, 3};
    gs_tensor a = make_f32(a23, s1213, 4, false);
    gs_tensor out = {0};
    CHECK_OK(gs_squeeze(a, NULL, -1, &out));
    CHECK_F32(out, s23, 2, a23);
    release(out);
    CHECK_OK(gs_squeeze(a, INTS(2), 1, &out));
    CHECK_F32(out, INTS(1, 2, 3), 3, a23);
    release(out);
    CHECK_OK(gs_squeeze(a, INTS(-4), 1, &out));
    CHECK_F32(out, INTS(2, 1, 3), 3, a23);
    release(out);
    CHECK_OK(gs_squeeze(a, INTS(0, 2), 2, &out));
    CHECK_F32(out, s23, 2, a23);
    release(out);

    /* axis 1 has size 2 (NumPy ValueError); axis 4 does not exist */
    CHECK_ERROR(gs_squeeze(a, INTS(1), 1, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_squeeze(a, INTS(0, 3), 2, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_squeeze(a, INTS(4), 1, &out), GS_ERR_INVALID_ARGUMENT);
    release(a);
}

static void concat_values(void) {
    const int64_t s22[] = {2, 2}, s12[] = {1, 2};
    gs_tensor p = make_f32((const float[]){1, 2, 3, 4}, s22, 2, false);
    gs_tensor q = make_f32((const float[]){5, 6, 7, 8, 9, 10}, s23, 2, false);
    gs_tensor r = make_f32((const float[]){11, 12}, s12, 2, false);
    gs_tensor out = {0};

    CHECK_OK(gs_concat((const gs_tensor[]){p, q}, 2, 1, &out));
    CHECK_F32(out, INTS(2, 5), 2, (const float[]){1, 2, 5, 6, 7, 3, 4, 8, 9, 10});
    release(out);
    CHECK_OK(gs_concat((const gs_tensor[]){q, p, q}, 3, -1, &out));
    CHECK_F32(out, INTS(2, 8), 2,
              (const float[]){5, 6, 7, 1, 2, 5, 6, 7, 8, 9, 10, 3, 4, 8, 9, 10});
    release(out);
    CHECK_OK(gs_concat((const gs_tensor[]){p, r}, 2, 0, &out));
    CHECK_F32(out, s32, 2, (const float[]){1, 2, 3, 4, 11, 12});
    release(out);

    /* int64 with float32 promotes to float64 (NumPy 2) */
    gs_tensor i = make_i64(INTS(1, 2), s2, 1);
    gs_tensor f = make_f32((const float[]){0.5f}, INTS(1), 1, false);
    CHECK_OK(gs_concat((const gs_tensor[]){i, f}, 2, 0, &out));
    CHECK_F64(out, s3, 1, (const double[]){1, 2, 0.5});
    release(out);

    release(p);
    release(q);
    release(r);
    release(i);
    release(f);
}

static void concat_gradient_splits_back(void) {
    const int64_t s22[] = {2, 2}, s25[] = {2, 5};
    gs_tensor p = make_f32((const float[]){1, 2, 3, 4}, s22, 2, true);
    gs_tensor q = make_f32((const float[]){5, 6, 7, 8, 9, 10}, s23, 2, true);
    gs_tensor c = {0};
    CHECK_OK(gs_concat((const gs_tensor[]){p, q}, 2, 1, &c));
    backward_weighted_sum(c, (const float[]){1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, s25, 2);
    CHECK_GRAD(p, s22, 2, (const float[]){1, 2, 6, 7});
    CHECK_GRAD(q, s23, 2, (const float[]){3, 4, 5, 8, 9, 10});
    release(c);
    release(p);
    release(q);
}

static void concat_rejects_mismatched_shapes(void) {
    const int64_t s22[] = {2, 2};
    gs_tensor p = make_f32((const float[]){1, 2, 3, 4}, s22, 2, false);
    gs_tensor q = make_f32(a23, s32, 2, false);
    gs_tensor v = make_f32((const float[]){1, 2}, s2, 1, false);
    gs_tensor out = {12345};
    CHECK_ERROR(gs_concat((const gs_tensor[]){p, q}, 2, 1, &out), GS_ERR_SHAPE_MISMATCH);
    CHECK(mentions_shape(gs_last_error(), s32, 2));
    CHECK_ERROR(gs_concat((const gs_tensor[]){p, v}, 2, 0, &out), GS_ERR_SHAPE_MISMATCH);
    CHECK_ERROR(gs_concat((const gs_tensor[]){p, q}, 2, 2, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_concat((const gs_tensor[]){p}, 0, 0, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK(out.id == 12345);
    release(p);
    release(q);
    release(v);
}

/* Releases the `n` handles of a split. */
static void release_all(const gs_tensor *handles, int n) {
    for (int i = 0; i < n; i++)
        release(handles[i]);
}

static void split_at_boundaries(void) {
    const int64_t s25[] = {2, 5};
    gs_tensor x = make_iota(s25, 2, false);
    gs_tensor parts[4] = {{0}};

    CHECK_OK(gs_split(x, INTS(1, 3), 2, 1, parts));
    CHECK(parts[0].id && parts[1].id && parts[2].id && parts[0].id != parts[1].id && parts[1].id != parts[2].id);
    CHECK(parts[3].id == 0); /* only nboundaries + 1 results are written */
    CHECK_F32(parts[0], INTS(2, 1), 2, (const float[]){0, 5});
    CHECK_F32(parts[1], INTS(2, 2), 2, (const float[]){1, 2, 6, 7});
    CHECK_F32(parts[2], INTS(2, 2), 2, (const float[]){3, 4, 8, 9});
    release_all(parts, 3);

    CHECK_OK(gs_split(x, INTS(1), 1, 0, parts)); /* rows */
    CHECK_F32(parts[0], INTS(1, 5), 2, (const float[]){0, 1, 2, 3, 4});
    CHECK_F32(parts[1], INTS(1, 5), 2, (const float[]){5, 6, 7, 8, 9});
    release_all(parts, 2);

    /* a boundary past the end gives an empty piece; a negative one counts from the end */
    CHECK_OK(gs_split(x, INTS(2, 10), 2, -1, parts));
    CHECK_F32(parts[0], INTS(2, 2), 2, (const float[]){0, 1, 5, 6});
    CHECK_F32(parts[1], s23, 2, (const float[]){2, 3, 4, 7, 8, 9});
    CHECK_META(parts[2], GS_DTYPE_FLOAT32, INTS(2, 0), 2);
    release_all(parts, 3);
    CHECK_OK(gs_split(x, INTS(-2), 1, 1, parts));
    CHECK_F32(parts[0], s23, 2, (const float[]){0, 1, 2, 5, 6, 7});
    CHECK_F32(parts[1], INTS(2, 2), 2, (const float[]){3, 4, 8, 9});
    release_all(parts, 2);

    /* no boundaries: one piece, a copy of x */
    CHECK_OK(gs_split(x, NULL, 0, 0, parts));
    CHECK_F32(parts[0], s25, 2, (const float[]){0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    release_all(parts, 1);
    release(x);
}

static void split_gradient_and_errors(void) {
    const int64_t s25[] = {2, 5};
    gs_tensor x = make_iota(s25, 2, true);
    gs_tensor parts[3] = {{0}};
    CHECK_OK(gs_split(x, INTS(1, 3), 2, 1, parts));
    /* y = sum(parts[0]) + 2 * sum(parts[2]); parts[1] gets no gradient */
    gs_tensor s0 = {0}, s2v = {0}, twice = {0}, y = {0};
    CHECK_OK(gs_sum(parts[0], NULL, -1, false, &s0));
    CHECK_OK(gs_sum(parts[2], NULL, -1, false, &s2v));
    CHECK_OK(gs_binary_scalar(GS_BINARY_OP_MUL, s2v, 2, GS_SCALAR_KIND_INT, false, &twice));
    CHECK_OK(gs_add(s0, twice, &y));
    CHECK_OK(gs_backward(y, false));
    CHECK_GRAD(x, s25, 2, (const float[]){1, 0, 0, 2, 2, 1, 0, 0, 2, 2});
    release(s0);
    release(s2v);
    release(twice);
    release(y);
    release_all(parts, 3);

    CHECK_ERROR(gs_split(x, INTS(1), 1, 2, parts), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_split(x, INTS(1), 1, 0, NULL), GS_ERR_INVALID_ARGUMENT);
    const float one = 1;
    gs_tensor scalar = make_f32(&one, NULL, 0, false);
    CHECK_ERROR(gs_split(scalar, NULL, 0, 0, parts), GS_ERR_INVALID_ARGUMENT);
    release(scalar);
    release(x);
}

/* ---- indexing -------------------------------------------------------------------------------- */

static void index_integer(void) {
    gs_tensor a = make_iota(s34, 2, false);
    const int64_t k1[] = {K_INT(1)}, klast[] = {K_INT(-1)}, k12[] = {K_INT(1), K_INT(-2)};
    gs_tensor out = index_of(a, k1, NITEMS(k1));
    CHECK_F32(out, s4, 1, (const float[]){4, 5, 6, 7});
    release(out);
    out = index_of(a, klast, NITEMS(klast));
    CHECK_F32(out, s4, 1, (const float[]){8, 9, 10, 11});
    release(out);
    out = index_of(a, k12, NITEMS(k12)); /* a[1, -2] is 0-d */
    CHECK_F32(out, NULL, 0, (const float[]){6});
    release(out);
    out = index_of(a, NULL, 0); /* the empty key selects everything */
    CHECK_F32(out, s34, 2, (const float[]){0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
    release(out);
    release(a);
}

static void index_slice_negative_step(void) {
    gs_tensor a = make_iota(s34, 2, false);
    const int64_t rows_reversed[] = {K_SLICE(NONE, NONE, -1)};
    gs_tensor out = index_of(a, rows_reversed, NITEMS(rows_reversed)); /* a[::-1] */
    CHECK_F32(out, s34, 2, (const float[]){8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3});
    release(out);

    const int64_t cols[] = {K_SLICE(NONE, NONE, NONE), K_SLICE(3, 0, -2)}; /* a[:, 3:0:-2] */
    out = index_of(a, cols, NITEMS(cols));
    CHECK_F32(out, s32, 2, (const float[]){3, 1, 7, 5, 11, 9});
    release(out);

    const int64_t mixed[] = {K_SLICE(-1, NONE, -2), K_INT(0)}; /* a[-1::-2, 0] */
    out = index_of(a, mixed, NITEMS(mixed));
    CHECK_F32(out, s2, 1, (const float[]){8, 0});
    release(out);

    const int64_t empty[] = {K_SLICE(0, 3, -1)}; /* a[0:3:-1] selects nothing */
    out = index_of(a, empty, NITEMS(empty));
    CHECK_META(out, GS_DTYPE_FLOAT32, INTS(0, 4), 2);
    release(out);

    /* the gradient goes back to the selected positions: x[::-2] picks x[3], x[1] */
    gs_tensor x = make_iota(s4, 1, true);
    const int64_t every_other[] = {K_SLICE(NONE, NONE, -2)};
    out = index_of(x, every_other, NITEMS(every_other));
    CHECK_F32(out, s2, 1, (const float[]){3, 1});
    backward_weighted_sum(out, (const float[]){10, 20}, s2, 1);
    CHECK_GRAD(x, s4, 1, (const float[]){0, 20, 0, 10});
    release(out);
    release(x);
    release(a);
}

static void index_newaxis_and_ellipsis(void) {
    gs_tensor a = make_iota(s34, 2, false);
    const int64_t k1[] = {K_NEWAXIS, K_INT(1)}; /* a[None, 1] */
    gs_tensor out = index_of(a, k1, NITEMS(k1));
    CHECK_F32(out, INTS(1, 4), 2, (const float[]){4, 5, 6, 7});
    release(out);
    const int64_t k2[] = {K_SLICE(NONE, NONE, NONE), K_NEWAXIS}; /* a[:, None] */
    out = index_of(a, k2, NITEMS(k2));
    CHECK_META(out, GS_DTYPE_FLOAT32, INTS(3, 1, 4), 3);
    release(out);
    const int64_t k3[] = {K_ELLIPSIS, K_NEWAXIS}; /* a[..., None] */
    out = index_of(a, k3, NITEMS(k3));
    CHECK_F32(out, INTS(3, 4, 1), 3,
              (const float[]){0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
    release(out);
    release(a);

    gs_tensor b = make_iota(s234, 3, false);
    const int64_t k4[] = {K_ELLIPSIS, K_INT(1)}; /* b[..., 1]: 12i + 4j + 1 */
    out = index_of(b, k4, NITEMS(k4));
    CHECK_F32(out, s23, 2, (const float[]){1, 5, 9, 13, 17, 21});
    release(out);
    const int64_t k5[] = {K_INT(1), K_ELLIPSIS, K_INT(2)}; /* b[1, ..., 2] */
    out = index_of(b, k5, NITEMS(k5));
    CHECK_F32(out, s3, 1, (const float[]){14, 18, 22});
    release(out);
    const int64_t k6[] = {K_INT(0), K_ELLIPSIS}; /* b[0, ...] */
    out = index_of(b, k6, NITEMS(k6));
    CHECK_F32(out, s34, 2, (const float[]){0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
    release(out);
    const int64_t k7[] = {K_INT(1), K_INT(2), K_INT(3), K_ELLIPSIS}; /* ... for no axis */
    out = index_of(b, k7, NITEMS(k7));
    CHECK_F32(out, NULL, 0, (const float[]){23});
    release(out);
    release(b);
}

static void index_int_tensor_repeats_accumulate(void) {
    gs_tensor x = make_f32((const float[]){10, 20, 30, 40}, s4, 1, true);
    gs_tensor idx = make_i64(INTS(0, 2, 0), s3, 1);
    const int64_t key[] = {K_TENSOR(idx)};
    gs_tensor out = index_of(x, key, NITEMS(key));
    CHECK_F32(out, s3, 1, (const float[]){10, 30, 10});
    gs_tensor s = {0};
    CHECK_OK(gs_sum(out, NULL, -1, false, &s));
    CHECK_OK(gs_backward(s, false));
    CHECK_GRAD(x, s4, 1, (const float[]){2, 0, 1, 0}); /* index 0 was taken twice */
    release(s);
    release(out);

    /* negative positions count from the end; a 2-D index tensor picks rows into (2,2,4) */
    gs_tensor neg = make_i64(INTS(-1, -4), s2, 1);
    const int64_t kneg[] = {K_TENSOR(neg)};
    out = index_of(x, kneg, NITEMS(kneg));
    CHECK_F32(out, s2, 1, (const float[]){40, 10});
    release(out);
    gs_tensor a = make_iota(s34, 2, false);
    gs_tensor rows = make_i64(INTS(0, 2, 2, 1), INTS(2, 2), 2);
    const int64_t krows[] = {K_TENSOR(rows)};
    out = index_of(a, krows, NITEMS(krows));
    CHECK_F32(out, INTS(2, 2, 4), 3,
              (const float[]){0, 1, 2, 3, 8, 9, 10, 11, 8, 9, 10, 11, 4, 5, 6, 7});
    release(out);

    release(a);
    release(rows);
    release(neg);
    release(idx);
    release(x);
}

static void index_bool_mask(void) {
    gs_tensor a = make_f32(a23, s23, 2, true);
    gs_tensor mask = make_bool((const uint8_t[]){1, 0, 1, 0, 1, 0}, s23, 2);
    const int64_t key[] = {K_TENSOR(mask)};
    gs_tensor out = index_of(a, key, NITEMS(key)); /* a[mask] is 1-D */
    CHECK_F32(out, s3, 1, (const float[]){1, 3, 5});
    backward_weighted_sum(out, (const float[]){1, 2, 3}, s3, 1);
    CHECK_GRAD(a, s23, 2, (const float[]){1, 0, 2, 0, 3, 0});
    release(out);
    release(mask);
    release(a);

    gs_tensor b = make_iota(s34, 2, false);
    gs_tensor rows = make_bool((const uint8_t[]){1, 0, 1}, s3, 1);
    const int64_t krows[] = {K_TENSOR(rows)}; /* b[[True, False, True]] */
    out = index_of(b, krows, NITEMS(krows));
    CHECK_F32(out, INTS(2, 4), 2, (const float[]){0, 1, 2, 3, 8, 9, 10, 11});
    release(out);
    gs_tensor cols = make_bool((const uint8_t[]){0, 1, 1, 0}, s4, 1);
    const int64_t kcols[] = {K_SLICE(NONE, NONE, NONE), K_TENSOR(cols)}; /* b[:, mask] */
    out = index_of(b, kcols, NITEMS(kcols));
    CHECK_F32(out, s32, 2, (const float[]){1, 2, 5, 6, 9, 10});
    release(out);
    release(rows);
    release(cols);
    release(b);
}

static void index_advanced_placement(void) {
    /* NumPy: adjacent advanced indices replace their axes in place; separated ones go first */
    gs_tensor b = make_iota(s234, 3, false);
    gs_tensor i02 = make_i64(INTS(0, 2), s2, 1);
    gs_tensor i13 = make_i64(INTS(1, 3), s2, 1);
    gs_tensor i01 = make_i64(INTS(0, 1), s2, 1);
    gs_tensor i03 = make_i64(INTS(0, 3), s2, 1);

    const int64_t adjacent[] = {K_SLICE(NONE, NONE, NONE), K_TENSOR(i02), K_TENSOR(i13)};
    gs_tensor out = index_of(b, adjacent, NITEMS(adjacent)); /* b[:, [0,2], [1,3]] -> (2,2) */
    CHECK_F32(out, INTS(2, 2), 2, (const float[]){1, 11, 13, 23});
    release(out);

    const int64_t apart[] = {K_TENSOR(i01), K_SLICE(NONE, NONE, NONE), K_TENSOR(i13)};
    out = index_of(b, apart, NITEMS(apart)); /* b[[0,1], :, [1,3]] -> (2,3) */
    CHECK_F32(out, s23, 2, (const float[]){1, 5, 9, 15, 19, 23});
    release(out);

    const int64_t int_and_array[] = {K_INT(1), K_SLICE(NONE, NONE, NONE), K_TENSOR(i03)};
    out = index_of(b, int_and_array, NITEMS(int_and_array)); /* b[1, :, [0,3]] -> (2,3) */
    CHECK_F32(out, s23, 2, (const float[]){12, 16, 20, 15, 19, 23});
    release(out);

    release(i02);
    release(i13);
    release(i01);
    release(i03);
    release(b);
}

static void index_errors(void) {
    gs_tensor a = make_iota(s34, 2, false);
    gs_tensor out = {12345};
    const int64_t k3[] = {K_INT(3)}, kneg[] = {K_INT(0), K_INT(-5)};
    CHECK_ERROR(gs_index(a, k3, NITEMS(k3), &out), GS_ERR_INDEX);
    CHECK_ERROR(gs_index(a, kneg, NITEMS(kneg), &out), GS_ERR_INDEX);
    const int64_t too_many[] = {K_INT(0), K_INT(0), K_INT(0)};
    CHECK_ERROR(gs_index(a, too_many, NITEMS(too_many), &out), GS_ERR_INDEX);
    const int64_t two_ellipses[] = {K_ELLIPSIS, K_ELLIPSIS};
    CHECK_ERROR(gs_index(a, two_ellipses, NITEMS(two_ellipses), &out), GS_ERR_INDEX);

    gs_tensor idx = make_i64(INTS(0, 3), s2, 1);
    const int64_t kidx[] = {K_TENSOR(idx)};
    CHECK_ERROR(gs_index(a, kidx, NITEMS(kidx), &out), GS_ERR_INDEX);
    gs_tensor short_mask = make_bool((const uint8_t[]){1, 0}, s2, 1);
    const int64_t kmask[] = {K_TENSOR(short_mask)};
    CHECK_ERROR(gs_index(a, kmask, NITEMS(kmask), &out), GS_ERR_INDEX);
    gs_tensor fidx = make_f32((const float[]){0, 1}, s2, 1, false);
    const int64_t kf[] = {K_TENSOR(fidx)};
    CHECK_ERROR(gs_index(a, kf, NITEMS(kf), &out), GS_ERR_INDEX);

    const int64_t step0[] = {K_SLICE(NONE, NONE, 0)};
    CHECK_ERROR(gs_index(a, step0, NITEMS(step0), &out), GS_ERR_INVALID_ARGUMENT);
    const int64_t bad_kind[] = {9, 0, 0, 0};
    CHECK_ERROR(gs_index(a, bad_kind, 1, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK(out.id == 12345);

    release(idx);
    release(short_mask);
    release(fidx);
    release(a);
}

static void index_put_writes_values(void) {
    gs_tensor a = make_full(GS_DTYPE_FLOAT32, s34, 2, 0.0);
    gs_tensor row = make_f32((const float[]){1, 2, 3, 4}, s4, 1, false);
    const int64_t k1[] = {K_INT(1)}, kcol0[] = {K_SLICE(NONE, NONE, NONE), K_INT(0)};
    CHECK_OK(gs_index_put(a, k1, NITEMS(k1), row));             /* a[1] = row */
    CHECK_OK(gs_index_put_scalar(a, kcol0, NITEMS(kcol0), 7.0)); /* a[:, 0] = 7 */
    CHECK_F32(a, s34, 2, (const float[]){7, 0, 0, 0, 7, 2, 3, 4, 7, 0, 0, 0});

    /* a[::-1, 3] = [10, 20, 30] writes bottom-up */
    gs_tensor v3 = make_f32((const float[]){10, 20, 30}, s3, 1, false);
    const int64_t krev[] = {K_SLICE(NONE, NONE, -1), K_INT(3)};
    CHECK_OK(gs_index_put(a, krev, NITEMS(krev), v3));
    CHECK_F32(a, s34, 2, (const float[]){7, 0, 0, 30, 7, 2, 3, 20, 7, 0, 0, 10});

    /* a[[2, 0]] = [[-1], [-2]]: the value broadcasts over each selected row */
    gs_tensor idx = make_i64(INTS(2, 0), s2, 1);
    gs_tensor col = make_f32((const float[]){-1, -2}, INTS(2, 1), 2, false);
    const int64_t kidx[] = {K_TENSOR(idx)};
    CHECK_OK(gs_index_put(a, kidx, NITEMS(kidx), col));
    CHECK_F32(a, s34, 2, (const float[]){-2, -2, -2, -2, 7, 2, 3, 20, -1, -1, -1, -1});

    /* a[mask] = 0.5 */
    gs_tensor mask = make_bool((const uint8_t[]){1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1}, s34, 2);
    const int64_t kmask[] = {K_TENSOR(mask)};
    CHECK_OK(gs_index_put_scalar(a, kmask, NITEMS(kmask), 0.5));
    CHECK_F32(a, s34, 2, (const float[]){0.5f, -2, -2, -2, 7, 0.5f, 0.5f, 20, -1, -1, -1, 0.5f});

    /* NaN is fine in a float tensor */
    const int64_t k00[] = {K_INT(0), K_INT(0)};
    CHECK_OK(gs_index_put_scalar(a, k00, NITEMS(k00), NAN));
    float first = 0;
    gs_tensor e = index_of(a, k00, NITEMS(k00));
    CHECK_OK(gs_tensor_copy_data(e, &first, sizeof first));
    CHECK(isnan(first));
    release(e);

    release(a);
    release(row);
    release(v3);
    release(idx);
    release(col);
    release(mask);
}

static void index_put_into_int64(void) {
    gs_tensor i = make_full(GS_DTYPE_INT64, s4, 1, 0.0);
    /* repeated positions: the last write wins, as NumPy */
    gs_tensor idx = make_i64(INTS(0, 0), s2, 1);
    gs_tensor v = make_i64(INTS(1, 2), s2, 1);
    const int64_t kidx[] = {K_TENSOR(idx)};
    CHECK_OK(gs_index_put(i, kidx, NITEMS(kidx), v));
    CHECK_I64(i, s4, 1, INTS(2, 0, 0, 0));

    /* floats are truncated toward zero */
    const int64_t k1[] = {K_INT(1)}, k2[] = {K_INT(-2)}, ktail[] = {K_SLICE(2, NONE, NONE)};
    CHECK_OK(gs_index_put_scalar(i, k1, NITEMS(k1), 2.7));
    CHECK_OK(gs_index_put_scalar(i, k2, NITEMS(k2), -2.7));
    CHECK_I64(i, s4, 1, INTS(2, 2, -2, 0));
    gs_tensor f = make_f64((const double[]){1.9, -1.9}, s2, 1, false);
    CHECK_OK(gs_index_put(i, ktail, NITEMS(ktail), f));
    CHECK_I64(i, s4, 1, INTS(2, 2, 1, -1));

    release(i);
    release(idx);
    release(v);
    release(f);
}

static void index_put_errors(void) {
    gs_tensor i = make_i64(INTS(1, 2, 3, 4), s4, 1);
    const int64_t k0[] = {K_INT(0)}, kall[] = {K_SLICE(NONE, NONE, NONE)};
    /* NaN or infinity into int64 (NumPy: ValueError / OverflowError) */
    CHECK_ERROR(gs_index_put_scalar(i, k0, NITEMS(k0), NAN), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_index_put_scalar(i, k0, NITEMS(k0), -INFINITY), GS_ERR_INVALID_ARGUMENT);
    gs_tensor nan_values = make_f32((const float[]){1, NAN, 3, 4}, s4, 1, false);
    CHECK_ERROR(gs_index_put(i, kall, NITEMS(kall), nan_values), GS_ERR_INVALID_ARGUMENT);
    CHECK_I64(i, s4, 1, INTS(1, 2, 3, 4)); /* untouched */

    /* a value that does not broadcast to the selection; a position out of range */
    gs_tensor three = make_i64(INTS(1, 2, 3), s3, 1);
    CHECK_ERROR(gs_index_put(i, kall, NITEMS(kall), three), GS_ERR_SHAPE_MISMATCH);
    const int64_t k4[] = {K_INT(4)};
    CHECK_ERROR(gs_index_put_scalar(i, k4, NITEMS(k4), 1.0), GS_ERR_INDEX);
    CHECK_I64(i, s4, 1, INTS(1, 2, 3, 4));

    /* writing into a tensor that requires grad is refused while grad mode is on */
    gs_tensor x = make_f32((const float[]){1, 2}, s2, 1, true);
    CHECK_ERROR(gs_index_put_scalar(x, k0, NITEMS(k0), 5.0), GS_ERR_INVALID_ARGUMENT);
    CHECK_F32(x, s2, 1, (const float[]){1, 2});

    release(i);
    release(nan_values);
    release(three);
    release(x);
}

void test_shape_index(void) {
    reshape_infers_minus_one();
    reshape_rejects_bad_sizes();
    reshape_gradient();
    transpose_values();
    transpose_gradient_and_errors();
    swapaxes_values();
    unsqueeze_inserts_axes();
    squeeze_removes_size_one_axes();
    concat_values();
    concat_gradient_splits_back();
    concat_rejects_mismatched_shapes();
    split_at_boundaries();
    split_gradient_and_errors();
    index_integer();
    index_slice_negative_step();
    index_newaxis_and_ellipsis();
    index_int_tensor_repeats_accumulate();
    index_bool_mask();
    index_advanced_placement();
    index_errors();
    index_put_writes_values();
    index_put_into_int64();
    index_put_errors();
}
