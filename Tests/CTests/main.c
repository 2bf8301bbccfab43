/* The C ABI tests: values, autograd and error paths through include/gradswift.h alone.
 * Built and run by `make ctest`; prints "<n> passed, <m> failed" and exits non-zero on failure.
 */
#include "check.h"

int main(void) {
    int64_t live_at_start = live_handles();

    test_values();
    test_autograd();
    test_unary();
    test_errors();
    test_random();
    test_creation();
    test_attention();
    test_ops();
    test_shape_index();
    test_layout();
    test_nn_activation_loss();
    test_gather_linalg();
    test_statistics();
    test_dtypes();
    test_optim();
    test_nn_linear();
    test_checkpoint();
    test_nn_norm();
    test_xor();
    test_nn_rnn();
    test_nn_conv();
    test_nn_resample();
    test_threads();
    test_anomaly();
    test_profiler();
    test_higher_order();
    test_golden();
    test_fuzz_regressions();

    /* every test released what it created */
    int64_t live_at_end = live_handles();
    if (!CHECK(live_at_end == live_at_start))
        fprintf(stderr, "live handles: %lld at start, %lld at the end\n",
                (long long)live_at_start, (long long)live_at_end);

    printf("%d passed, %d failed\n", checks_passed, checks_failed);
    return checks_failed == 0 ? 0 : 1;
}
