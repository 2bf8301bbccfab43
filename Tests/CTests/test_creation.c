/* Creation functions beyond full/uniform/normal: arange, linspace, eye, randint, randperm. */
#include "check.h"

static void arange_counts_like_torch(void) {
    gs_tensor t = {0};
    CHECK_OK(gs_tensor_arange(GS_DTYPE_INT64, 0, 5, 1, false, &t));
    CHECK_I64(t, ((const int64_t[]){5}), 1, (const int64_t[]){0, 1, 2, 3, 4});
    release(t);
    CHECK_OK(gs_tensor_arange(GS_DTYPE_INT64, 10, 0, -3, false, &t));
    CHECK_I64(t, ((const int64_t[]){4}), 1, (const int64_t[]){10, 7, 4, 1});
    release(t);
    CHECK_OK(gs_tensor_arange(GS_DTYPE_FLOAT64, 0.5, 2, 0.5, true, &t));
    CHECK_F64(t, ((const int64_t[]){3}), 1, (const double[]){0.5, 1.0, 1.5});
    bool requires = false;
    CHECK_OK(gs_tensor_requires_grad(t, &requires));
    CHECK(requires);
    release(t);
    CHECK_OK(gs_tensor_arange(GS_DTYPE_FLOAT32, 3, 3, 1, false, &t)); /* empty */
    CHECK_F32(t, ((const int64_t[]){0}), 1, (const float[]){0});
    release(t);

    CHECK_ERROR(gs_tensor_arange(GS_DTYPE_INT64, 0, 5, 0, false, &t), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_tensor_arange(GS_DTYPE_INT64, 5, 0, 1, false, &t), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_tensor_arange(GS_DTYPE_FLOAT64, 0, INFINITY, 1, false, &t), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_tensor_arange(GS_DTYPE_FLOAT64, 0, 1, NAN, false, &t), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_tensor_arange(GS_DTYPE_FLOAT64, 0, 1e30, 1e-30, false, &t), GS_ERR_OUT_OF_MEMORY);
    CHECK_ERROR(gs_tensor_arange(GS_DTYPE_INT64, -1e30, 0, 1e25, false, &t), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_tensor_arange(GS_DTYPE_BOOL, 0, 2, 1, false, &t), GS_ERR_DTYPE);
    CHECK_ERROR(gs_tensor_arange(GS_DTYPE_INT64, 0, 2, 1, true, &t), GS_ERR_DTYPE);
    CHECK_ERROR(gs_tensor_arange(GS_DTYPE_INT64, 0, 2, 1, false, NULL), GS_ERR_INVALID_ARGUMENT);
}

static void linspace_includes_both_ends(void) {
    gs_tensor t = {0};
    CHECK_OK(gs_tensor_linspace(GS_DTYPE_FLOAT64, -1, 1, 5, false, &t));
    CHECK_F64(t, ((const int64_t[]){5}), 1, (const double[]){-1, -0.5, 0, 0.5, 1});
    release(t);
    CHECK_OK(gs_tensor_linspace(GS_DTYPE_FLOAT32, 2, 9, 1, false, &t));
    CHECK_F32(t, ((const int64_t[]){1}), 1, (const float[]){2});
    release(t);
    CHECK_ERROR(gs_tensor_linspace(GS_DTYPE_FLOAT32, 0, 1, -1, false, &t), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_tensor_linspace(9, 0, 1, 3, false, &t), GS_ERR_DTYPE);
}

static void eye_is_rectangular(void) {
    gs_tensor t = {0};
    CHECK_OK(gs_tensor_eye(GS_DTYPE_FLOAT32, 2, 3, false, &t));
    CHECK_F32(t, ((const int64_t[]){2, 3}), 2, (const float[]){1, 0, 0, 0, 1, 0});
    release(t);
    CHECK_OK(gs_tensor_eye(GS_DTYPE_BOOL, 3, 2, false, &t));
    CHECK_BOOL(t, ((const int64_t[]){3, 2}), 2, (const uint8_t[]){1, 0, 0, 1, 0, 0});
    release(t);
    CHECK_ERROR(gs_tensor_eye(GS_DTYPE_FLOAT32, -1, 2, false, &t), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_tensor_eye(GS_DTYPE_FLOAT32, INT64_MAX, INT64_MAX, false, &t), GS_ERR_OUT_OF_MEMORY);
}

static void randint_stays_in_range_and_repeats_with_the_seed(void) {
    enum { N = 4000 };
    static int64_t a[N], b[N];
    const int64_t shape[] = {N};
    gs_tensor t = {0};
    CHECK_OK(gs_manual_seed(3));
    CHECK_OK(gs_tensor_randint(GS_DTYPE_INT64, shape, 1, -2, 3, &t));
    CHECK_OK(gs_tensor_copy_data(t, a, sizeof a));
    release(t);
    CHECK_OK(gs_manual_seed(3));
    CHECK_OK(gs_tensor_randint(GS_DTYPE_INT64, shape, 1, -2, 3, &t));
    CHECK_OK(gs_tensor_copy_data(t, b, sizeof b));
    release(t);
    CHECK(memcmp(a, b, sizeof a) == 0);
    int seen[5] = {0};
    bool in_range = true;
    for (int i = 0; i < N; i++) {
        in_range = in_range && a[i] >= -2 && a[i] < 3;
        if (a[i] >= -2 && a[i] < 3)
            seen[a[i] + 2]++;
    }
    CHECK(in_range);
    for (int v = 0; v < 5; v++) /* each value about N / 5 = 800 times */
        CHECK(seen[v] > 650 && seen[v] < 950);

    /* the whole int64 range is one valid (and unbiased) draw */
    CHECK_OK(gs_tensor_randint(GS_DTYPE_INT64, shape, 1, INT64_MIN, INT64_MAX, &t));
    release(t);
    CHECK_ERROR(gs_tensor_randint(GS_DTYPE_INT64, shape, 1, 3, 3, &t), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_tensor_randint(GS_DTYPE_BOOL, shape, 1, 0, 2, &t), GS_ERR_DTYPE);
    CHECK_ERROR(gs_tensor_randint(GS_DTYPE_INT64, NULL, 1, 0, 2, &t), GS_ERR_INVALID_ARGUMENT);
}

static void randperm_is_a_permutation(void) {
    enum { N = 257 };
    int64_t p[N];
    bool seen[N] = {false}, every = true;
    gs_tensor t = {0};
    CHECK_OK(gs_tensor_randperm(GS_DTYPE_INT64, N, &t));
    CHECK_OK(gs_tensor_copy_data(t, p, sizeof p));
    release(t);
    for (int i = 0; i < N; i++)
        if (p[i] >= 0 && p[i] < N)
            seen[p[i]] = true;
    for (int i = 0; i < N; i++)
        every = every && seen[i];
    CHECK(every);
    CHECK_OK(gs_tensor_randperm(GS_DTYPE_FLOAT64, 0, &t));
    release(t);
    CHECK_ERROR(gs_tensor_randperm(GS_DTYPE_INT64, -1, &t), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_tensor_randperm(GS_DTYPE_FLOAT32, (int64_t)1 << 25, &t), GS_ERR_INVALID_ARGUMENT);
    /* a size no allocation can satisfy is an error before any memory is touched (the fuzzer
       found randperm allocating its working array first, which trapped) */
    CHECK_ERROR(gs_tensor_randperm(GS_DTYPE_FLOAT64, (int64_t)1 << 36, &t), GS_ERR_OUT_OF_MEMORY);
}

/* Counts the releases of lent memory in the int that user_data points to. */
static void count_release(void *user_data) { *(int *)user_data += 1; }

static void external_memory_is_used_in_place_and_released_once(void) {
    double buffer[6] = {1, 2, 3, 4, 5, 6};
    int released = 0;
    const int64_t shape[] = {2, 3}, flat[] = {6};
    gs_tensor t = {0}, view = {0};
    if (!CHECK_OK(gs_tensor_from_external(buffer, GS_DTYPE_FLOAT64, shape, 2, &released, count_release, &t)))
        return;
    void *data = NULL;
    CHECK_OK(gs_tensor_data_ptr(t, &data));
    CHECK(data == (void *)buffer);
    CHECK_F64(t, shape, 2, (const double[]){1, 2, 3, 4, 5, 6});
    CHECK_OK(gs_reshape(t, flat, 1, &view)); /* shares the memory */
    buffer[5] = 60;
    CHECK_F64(view, flat, 1, (const double[]){1, 2, 3, 4, 5, 60});
    release(t);
    CHECK(released == 0); /* the view still uses it */
    release(view);
    CHECK(released == 1);

    /* failures leave the memory with the caller: release is not called */
    CHECK_ERROR(gs_tensor_from_external(NULL, GS_DTYPE_FLOAT64, shape, 2, &released, count_release, &t),
                GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_tensor_from_external((char *)buffer + 1, GS_DTYPE_FLOAT64, shape, 2, &released, count_release, &t),
                GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_tensor_from_external(buffer, GS_DTYPE_FLOAT64, shape, 2, &released, NULL, &t), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_tensor_from_external(buffer, 9, shape, 2, &released, count_release, &t), GS_ERR_DTYPE);
    CHECK_ERROR(gs_tensor_from_external(buffer, GS_DTYPE_FLOAT64, (const int64_t[]){-1}, 1, &released, count_release, &t),
                GS_ERR_INVALID_ARGUMENT);
    CHECK(released == 1);
}

/* The large-block cache's statistics and empty_cache (under GRADSWIFT_PLAIN_MALLOC, as in the
   valgrind run, no block is large: the figures stay consistent, at zero). */
static void memory_stats_and_empty_cache(void) {
    CHECK_OK(gs_memory_stats(NULL, NULL, NULL, NULL, NULL));
    const int64_t shape[] = {1 << 20}; /* 8 MiB of float64 */
    gs_tensor big = make_full(GS_DTYPE_FLOAT64, shape, 1, 1.0);
    int64_t in_use = -1, cached = -1, peak = -1, hits = -1, misses = -1, freed = -1;
    CHECK_OK(gs_memory_stats(&in_use, &cached, &peak, &hits, &misses));
    CHECK(in_use >= 0 && cached >= 0 && peak >= in_use && hits >= 0 && misses >= 0);
    release(big);
    CHECK_OK(gs_empty_cache(&freed));
    CHECK(freed >= 0);
    CHECK_OK(gs_memory_stats(NULL, &cached, NULL, NULL, NULL));
    CHECK(cached == 0);
    CHECK_OK(gs_empty_cache(NULL));
}

/* The cache's byte limit: set, read back, refused when negative, restored. */
static void cache_limit_is_set_and_read(void) {
    int64_t before = -1, now = -1, cached = -1;
    CHECK_OK(gs_get_cache_limit(&before));
    CHECK(before >= 0);
    CHECK_OK(gs_set_cache_limit(0)); /* nothing kept: a freed large block goes back at once */
    const int64_t shape[] = {1 << 20};
    release(make_full(GS_DTYPE_FLOAT64, shape, 1, 2.0));
    CHECK_OK(gs_memory_stats(NULL, &cached, NULL, NULL, NULL));
    CHECK(cached == 0);
    CHECK_OK(gs_set_cache_limit(48 << 20));
    CHECK_OK(gs_get_cache_limit(&now));
    CHECK(now == 48 << 20);
    CHECK_ERROR(gs_set_cache_limit(-1), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_get_cache_limit(NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_OK(gs_get_cache_limit(&now));
    CHECK(now == 48 << 20);
    CHECK_OK(gs_set_cache_limit(before));
}

void test_creation(void) {
    memory_stats_and_empty_cache();
    cache_limit_is_set_and_read();
    external_memory_is_used_in_place_and_released_once();
    arange_counts_like_torch();
    linspace_includes_both_ends();
    eye_is_rectangular();
    randint_stays_in_range_and_repeats_with_the_seed();
    randperm_is_a_permutation();
}
