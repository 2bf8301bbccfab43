/*
 * The handle types of the gradswift C ABI, one per kind of object, and its callback types. Each is a struct with one
 * field, so a C compiler rejects a handle of one kind where another is expected (a module
 * passed as a tensor), at no cost: such a struct is passed and returned exactly as its
 * uint64_t. `id` 0 is never a live handle; where a function accepts "none" (an optional bias),
 * a handle with id 0 means none. The library still checks every handle it receives at run
 * time (released, stale, forged or of the wrong kind: GS_ERR_INVALID_HANDLE).
 *
 * tools/gen_header.py copies these declarations into include/gradswift.h.
 */
#ifndef GRADSWIFT_HANDLES_H
#define GRADSWIFT_HANDLES_H

#include <stdint.h>

/// A tensor: an n-dimensional array of one dtype, possibly part of an autograd graph.
typedef struct gs_tensor {
    uint64_t id;
} gs_tensor;

/// A module: a layer, a loss or a container of modules (gs_sequential_new).
typedef struct gs_module {
    uint64_t id;
} gs_module;

/// An optimizer over a set of parameter tensors.
typedef struct gs_optimizer {
    uint64_t id;
} gs_optimizer;

/// A learning-rate schedule driving an optimizer.
typedef struct gs_scheduler {
    uint64_t id;
} gs_scheduler;

/// The named arrays of a checkpoint file read by gs_checkpoint_load.
typedef struct gs_checkpoint {
    uint64_t id;
} gs_checkpoint;

/*
 * Callbacks: functions of the caller that the library calls back, each with the `user_data`
 * pointer given when it was registered. A callback returns 0 on success; any other value makes
 * the library call that invoked it fail with GS_ERR_INVALID_STATE.
 */

/// Releases `user_data` once the library no longer needs it (called exactly once, also when
/// the registering call fails). May be NULL when there is nothing to release.
typedef void (*gs_release_fn)(void *user_data);

/// The backward of a custom function (gs_function_apply): reads the gradient of each of its
/// `output_count` outputs (handles borrowed for the call) and writes into `grad_inputs` one new
/// handle per input (id 0 for no gradient), which the library takes over and releases.
typedef int32_t (*gs_function_backward_fn)(void *user_data, const gs_tensor *grad_outputs, int32_t output_count,
                                           gs_tensor *grad_inputs, int32_t input_count);

/// A gradient hook (gs_tensor_register_hook): reads a tensor's gradient (a handle borrowed for
/// the call) and may write into `replacement` a new handle to a gradient of the same shape to
/// use instead, which the library takes over and releases (id 0 keeps the gradient).
typedef int32_t (*gs_hook_fn)(void *user_data, gs_tensor gradient, gs_tensor *replacement);

#endif
