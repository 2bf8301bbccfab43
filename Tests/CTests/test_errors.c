/* Error paths: every bad input gives a status and a message, never a crash. */
#define _POSIX_C_SOURCE 200809L /* pthreads under -std=c11 */
#include <pthread.h>
#include <stdlib.h>

#include "check.h"

static const int64_t s23[] = {2, 3};
static const float v6[] = {1, 2, 3, 4, 5, 6};

static void bad_handles(void) {
    gs_tensor a = make_f32(v6, s23, 2, false);
    gs_tensor out = {0};

    /* zero handle */
    CHECK_ERROR(gs_tensor_release((gs_tensor){0}), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_add((gs_tensor){0}, a, &out), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_add(a, (gs_tensor){0}, &out), GS_ERR_INVALID_HANDLE);

    /* forged handles: never issued */
    const gs_tensor forged[] = {{0xDEADBEEFull}, {UINT64_MAX}, {a.id ^ (1ull << 63)}, {a.id ^ (1ull << 40)}};
    for (size_t i = 0; i < sizeof forged / sizeof forged[0]; i++) {
        int32_t dtype, ndim;
        CHECK_ERROR(gs_tensor_describe(forged[i], &dtype, &ndim, NULL, 0), GS_ERR_INVALID_HANDLE);
        CHECK_ERROR(gs_mul(a, forged[i], &out), GS_ERR_INVALID_HANDLE);
    }

    /* double release: the second one fails, nothing crashes */
    gs_tensor b = make_f32(v6, s23, 2, false);
    CHECK_OK(gs_tensor_release(b));
    CHECK_ERROR(gs_tensor_release(b), GS_ERR_INVALID_HANDLE);

    /* stale handle: a released handle stays invalid, also once its slot is reused */
    CHECK_ERROR(gs_add(a, b, &out), GS_ERR_INVALID_HANDLE);
    gs_tensor c = make_f32(v6, s23, 2, false);
    CHECK(c.id != b.id);
    CHECK_ERROR(gs_tensor_copy_data(b, (float[6]){0}, 6 * sizeof(float)), GS_ERR_INVALID_HANDLE);
    CHECK_OK(gs_add(a, c, &out));
    release(out);
    release(c);
    release(a);
}

static void shape_mismatch(void) {
    const int64_t s4[] = {4}, s42[] = {4, 2};
    gs_tensor a = make_f32(v6, s23, 2, false);
    gs_tensor b = make_full(GS_DTYPE_FLOAT32, s4, 1, 1.0);
    gs_tensor m = make_full(GS_DTYPE_FLOAT32, s42, 2, 1.0);
    gs_tensor out = {12345};

    CHECK_ERROR(gs_add(a, b, &out), GS_ERR_SHAPE_MISMATCH); /* (2,3) + (4,) */
    CHECK(mentions_shape(gs_last_error(), s23, 2));
    CHECK(mentions_shape(gs_last_error(), s4, 1));
    CHECK(out.id == 12345); /* out is untouched on failure */

    CHECK_ERROR(gs_matmul(a, m, &out), GS_ERR_SHAPE_MISMATCH); /* (2,3) @ (4,2) */
    CHECK(mentions_shape(gs_last_error(), s23, 2));
    CHECK(mentions_shape(gs_last_error(), s42, 2));

    release(a);
    release(b);
    release(m);
}

static void bad_arguments(void) {
    gs_tensor a = make_f32(v6, s23, 2, true);
    gs_tensor out = {0};

    /* backward needs a scalar */
    CHECK_ERROR(gs_backward(a, false), GS_ERR_INVALID_ARGUMENT);

    /* null pointers where a pointer is required */
    CHECK_ERROR(gs_add(a, a, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_tensor_new(v6, GS_DTYPE_FLOAT32, s23, 2, false, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_tensor_new(NULL, GS_DTYPE_FLOAT32, s23, 2, false, &out),
                GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_tensor_new(v6, GS_DTYPE_FLOAT32, NULL, 2, false, &out),
                GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_live_handles(NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_tensor_copy_data(a, NULL, 6 * sizeof(float)), GS_ERR_INVALID_ARGUMENT);

    /* negative dimension, negative ndim */
    const int64_t neg[] = {2, -3};
    CHECK_ERROR(gs_tensor_full(GS_DTYPE_FLOAT32, neg, 2, 0.0, false, &out),
                GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_tensor_new(v6, GS_DTYPE_FLOAT32, neg, 2, false, &out),
                GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_tensor_full(GS_DTYPE_FLOAT32, s23, -1, 0.0, false, &out),
                GS_ERR_INVALID_ARGUMENT);

    /* wrong byte count for copy_data */
    float buf[6];
    CHECK_ERROR(gs_tensor_copy_data(a, buf, 5 * sizeof(float)), GS_ERR_INVALID_ARGUMENT);

    /* bad and duplicate axes */
    const int64_t axis5[] = {5}, dup[] = {0, -2};
    CHECK_ERROR(gs_sum(a, axis5, 1, false, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_sum(a, dup, 2, false, &out), GS_ERR_INVALID_ARGUMENT);

    release(a);
}

static void bad_dtypes(void) {
    gs_tensor out = {0};
    /* invalid dtype codes (the last valid one is GS_DTYPE_UINT8, 8) */
    CHECK_ERROR(gs_tensor_full(9, s23, 2, 0.0, false, &out), GS_ERR_DTYPE);
    CHECK_ERROR(gs_tensor_full(-1, s23, 2, 0.0, false, &out), GS_ERR_DTYPE);
    CHECK_ERROR(gs_tensor_new(v6, 42, s23, 2, false, &out), GS_ERR_DTYPE);
    /* requires_grad on an int tensor */
    CHECK_ERROR(gs_tensor_full(GS_DTYPE_INT64, s23, 2, 0.0, true, &out), GS_ERR_DTYPE);
}

/* The last error belongs to the thread, and successful calls do not clear it. */
static void *other_thread(void *arg) {
    (void)arg;
    int64_t neg[] = {-1};
    gs_tensor out;
    int32_t status = gs_tensor_full(GS_DTYPE_FLOAT32, neg, 1, 0.0, false, &out);
    const char *msg = gs_last_error();
    return (status == GS_ERR_INVALID_ARGUMENT && msg && msg[0]) ? strdup(msg) : NULL;
}

static void last_error(void) {
    CHECK_ERROR(gs_tensor_release((gs_tensor){0}), GS_ERR_INVALID_HANDLE);
    char mine[512];
    snprintf(mine, sizeof mine, "%s", gs_last_error());

    int64_t n;
    CHECK_OK(gs_live_handles(&n)); /* success does not clear it */
    CHECK(strcmp(gs_last_error(), mine) == 0);

    pthread_t th;
    void *theirs = NULL;
    CHECK(pthread_create(&th, NULL, other_thread, NULL) == 0);
    CHECK(pthread_join(th, &theirs) == 0);
    CHECK(theirs != NULL);                     /* that thread saw its own error */
    CHECK(theirs && strcmp(theirs, mine) != 0); /* ... which differs from ours */
    CHECK(strcmp(gs_last_error(), mine) == 0); /* and ours is unchanged */
    free(theirs);
}

/* gs_tensor_release_many releases all of its handles, or none when one is bad or repeated; the
   top bit of a tensor handle marks a large storage (bindings release those at once). */
static void release_many(void) {
    int64_t before = live_handles();
    gs_tensor small[3] = {make_f32(v6, s23, 2, false), make_f32(v6, s23, 2, true), make_f32(v6, s23, 2, false)};
    for (int i = 0; i < 3; i++)
        CHECK((small[i].id >> 63) == 0);
    const int64_t big_shape[] = {64, 64}; /* 16 KiB of float32: large */
    gs_tensor big = make_full(GS_DTYPE_FLOAT32, big_shape, 2, 1.0);
    CHECK((big.id >> 63) == 1);
    CHECK(live_handles() == before + 4);

    CHECK_OK(gs_tensor_release_many(NULL, 0));
    CHECK_ERROR(gs_tensor_release_many(NULL, 2), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_tensor_release_many(small, -1), GS_ERR_INVALID_ARGUMENT);
    gs_tensor repeated[3] = {small[0], small[1], small[0]};
    CHECK_ERROR(gs_tensor_release_many(repeated, 3), GS_ERR_INVALID_HANDLE);
    gs_tensor flipped[2] = {small[0], {big.id ^ (1ull << 63)}};
    CHECK_ERROR(gs_tensor_release_many(flipped, 2), GS_ERR_INVALID_HANDLE);
    CHECK(live_handles() == before + 4); /* nothing released by the failed calls */

    gs_tensor all[4] = {small[0], small[1], small[2], big};
    CHECK_OK(gs_tensor_release_many(all, 4));
    CHECK(live_handles() == before);
    CHECK_ERROR(gs_tensor_release_many(all, 1), GS_ERR_INVALID_HANDLE); /* released already */
}

void test_errors(void) {
    bad_handles();
    release_many();
    shape_mismatch();
    bad_arguments();
    bad_dtypes();
    last_error();
}
