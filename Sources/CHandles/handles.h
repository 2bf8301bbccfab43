/*
 * The handle types of the gradswift C ABI, one per kind of object. Each is a struct with one
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

#endif
