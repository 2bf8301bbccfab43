/* The profiler through the ABI: start and stop, the records of a known sequence of calls
 * (names, counts, self within total), nothing recorded while off, and every error path. */
#include <string.h>

#include "check.h"

/* The index of the record named `name` in the last stopped profile of `count` records, or -1. */
static int64_t find_record(int64_t count, const char *name) {
    char buffer[64];
    int64_t length = 0;
    for (int64_t i = 0; i < count; i++) {
        CHECK_OK(gs_profiler_record_name(i, buffer, sizeof buffer, &length));
        if (strcmp(buffer, name) == 0) return i;
    }
    return -1;
}

/* The call count of record `name` (0 when absent); its self time must not pass its total. */
static int64_t calls_of(int64_t count, const char *name) {
    int64_t index = find_record(count, name);
    if (index < 0) return 0;
    int64_t calls = 0, self_ns = -1, total_ns = -1;
    CHECK_OK(gs_profiler_record_times(index, &calls, &self_ns, &total_ns));
    CHECK(self_ns >= 0 && self_ns <= total_ns);
    return calls;
}

static void test_records(void) {
    gs_tensor x = make_f32((const float[]){1, 2, 3, 4}, INTS(4), 1, true);
    gs_tensor y = {0}, z = {0}, s = {0};
    int64_t count = -1;

    CHECK_OK(gs_profiler_start());
    CHECK_OK(gs_mul(x, x, &y));
    CHECK_OK(gs_mul(y, x, &z));
    CHECK_OK(gs_sum(z, NULL, -1, false, &s));
    CHECK_OK(gs_backward(s, false));
    CHECK_OK(gs_profiler_stop(&count));
    CHECK(count >= 5);
    CHECK(calls_of(count, "gs_mul") == 2);
    CHECK(calls_of(count, "gs_sum") == 1);
    CHECK(calls_of(count, "gs_backward") == 1);
    CHECK(calls_of(count, "mul backward") == 2);
    CHECK(calls_of(count, "sum backward") == 1);
    CHECK(find_record(count, "gs_profiler_stop") < 0); /* the profiler's own calls are left out */

    /* off: calls change nothing; the last profile stays readable */
    release(y);
    CHECK_OK(gs_mul(x, x, &y));
    CHECK(calls_of(count, "gs_mul") == 2);
    CHECK_OK(gs_profiler_start());
    CHECK_OK(gs_profiler_stop(&count));
    CHECK(count == 0);

    release(x);
    release(y);
    release(z);
    release(s);
}

static void test_errors_of_profiler(void) {
    int64_t count = 0, calls = 0, self_ns = 0, total_ns = 0, length = 0;
    char buffer[8];
    CHECK_ERROR(gs_profiler_stop(&count), GS_ERR_INVALID_STATE); /* not running */
    CHECK_OK(gs_profiler_start());
    CHECK_ERROR(gs_profiler_start(), GS_ERR_INVALID_STATE);     /* already running */
    CHECK_ERROR(gs_profiler_stop(NULL), GS_ERR_INVALID_ARGUMENT);
    gs_tensor x = make_f32((const float[]){1}, INTS(1), 1, false), y = {0};
    CHECK_OK(gs_neg(x, &y));
    CHECK_OK(gs_profiler_stop(&count)); /* still running after the NULL */
    /* the failed calls count, as calls (a successful stop ends the profile before it ends) */
    CHECK(calls_of(count, "gs_profiler_start") == 1 && calls_of(count, "gs_profiler_stop") == 1);
    CHECK(calls_of(count, "gs_neg") == 1);
    int64_t neg = find_record(count, "gs_neg");
    CHECK(neg >= 0);
    CHECK_ERROR(gs_profiler_record_name(count, buffer, sizeof buffer, &length), GS_ERR_INDEX);
    CHECK_ERROR(gs_profiler_record_name(-1, buffer, sizeof buffer, &length), GS_ERR_INDEX);
    CHECK_ERROR(gs_profiler_record_name(neg, NULL, sizeof buffer, &length), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_profiler_record_name(neg, buffer, -1, &length), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_profiler_record_name(neg, buffer, sizeof buffer, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_OK(gs_profiler_record_name(neg, NULL, 0, &length)); /* the length alone */
    CHECK(length == (int64_t)strlen("gs_neg"));
    CHECK_OK(gs_profiler_record_name(neg, buffer, 4, &length)); /* cut, NUL-terminated */
    CHECK(strcmp(buffer, "gs_") == 0 && length == 6);
    CHECK_ERROR(gs_profiler_record_times(count, &calls, &self_ns, &total_ns), GS_ERR_INDEX);
    CHECK_ERROR(gs_profiler_record_times(-1, &calls, &self_ns, &total_ns), GS_ERR_INDEX);
    CHECK_ERROR(gs_profiler_record_times(neg, NULL, &self_ns, &total_ns), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_profiler_record_times(neg, &calls, NULL, &total_ns), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_profiler_record_times(neg, &calls, &self_ns, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_OK(gs_profiler_record_times(neg, &calls, &self_ns, &total_ns));
    CHECK(calls == 1 && self_ns == total_ns); /* nothing nested in gs_neg */
    release(x);
    release(y);
}

void test_profiler(void) {
    test_records();
    test_errors_of_profiler();
}
