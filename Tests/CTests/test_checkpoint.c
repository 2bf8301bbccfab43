/* Checkpoints through the C API: gs_checkpoint_save / load / count / name / tensor / release,
 * gs_module_save / gs_module_load, and every error path (NULL pointers, bad handles, missing,
 * foreign, truncated and corrupt files). Files live in a fresh directory under /tmp. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"

static char dir[64];

/* dir/name, in one of four rotating static buffers (enough for the calls of one statement). */
static const char *in_dir(const char *name) {
    static char path[4][160];
    static int which = 0;
    which = (which + 1) % 4;
    snprintf(path[which], sizeof path[which], "%s/%s", dir, name);
    return path[which];
}

static long read_file(const char *path, unsigned char *buffer, long capacity) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    long n = (long)fread(buffer, 1, (size_t)capacity, f);
    fclose(f);
    return n;
}

static void write_file(const char *path, const unsigned char *data, long size) {
    FILE *f = fopen(path, "wb");
    if (!CHECK(f != NULL))
        return;
    CHECK(fwrite(data, 1, (size_t)size, f) == (size_t)size);
    fclose(f);
}

/* The number of entries in dir (other than . and ..). */
static int files_in_dir(void) {
    DIR *d = opendir(dir);
    int n = 0;
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            fprintf(stderr, "left behind: %s/%s\n", dir, e->d_name);
            n++;
        }
    closedir(d);
    return n;
}

static void round_trip(void) {
    char path[160];
    snprintf(path, sizeof path, "%s", in_dir("three.npz"));
    gs_tensor w = make_f32((const float[]){1, 2, 3, 4, 5, 6}, INTS(2, 3), 2, true);
    gs_tensor step = make_i64(INTS(42), NULL, 0); /* 0-d */
    gs_tensor mask = make_bool((const uint8_t[]){1, 0, 1}, INTS(3), 1);
    const char *names[] = {"fc.weight", "step", "mask"};
    const gs_tensor tensors[] = {w, step, mask};
    CHECK_OK(gs_checkpoint_save(names, tensors, 3, path));

    gs_checkpoint ckpt = {0};
    CHECK_OK(gs_checkpoint_load(path, &ckpt));
    int64_t count = -1;
    CHECK_OK(gs_checkpoint_count(ckpt, &count));
    CHECK(count == 3);
    for (int64_t i = 0; i < 3 && i < count; i++) {
        char name[32];
        int64_t length = -1;
        CHECK_OK(gs_checkpoint_name(ckpt, i, name, sizeof name, &length));
        CHECK(strcmp(name, names[i]) == 0);
        CHECK(length == (int64_t)strlen(names[i]));
    }
    /* snprintf-style: the length alone, then a truncated copy */
    int64_t length = -1;
    CHECK_OK(gs_checkpoint_name(ckpt, 0, NULL, 0, &length));
    CHECK(length == 9);
    char small[4] = "xxx";
    CHECK_OK(gs_checkpoint_name(ckpt, 0, small, sizeof small, &length));
    CHECK(strcmp(small, "fc.") == 0 && length == 9);

    gs_tensor got = {0};
    CHECK_OK(gs_checkpoint_tensor(ckpt, "fc.weight", &got));
    CHECK_F32(got, INTS(2, 3), 2, (const float[]){1, 2, 3, 4, 5, 6});
    bool requires_grad = true;
    CHECK_OK(gs_tensor_requires_grad(got, &requires_grad));
    CHECK(!requires_grad); /* loaded tensors are plain leaves */
    release(got);
    CHECK_OK(gs_checkpoint_tensor(ckpt, "step", &got));
    CHECK_I64(got, NULL, 0, INTS(42));
    CHECK_OK(gs_checkpoint_release(ckpt));
    /* a tensor taken from the checkpoint outlives it */
    CHECK_BOOL(mask, INTS(3), 1, (const uint8_t[]){1, 0, 1});
    release(got);

    /* an empty checkpoint: NULL arrays are fine when count is 0 */
    CHECK_OK(gs_checkpoint_save(NULL, NULL, 0, in_dir("empty.npz")));
    CHECK_OK(gs_checkpoint_load(in_dir("empty.npz"), &ckpt));
    CHECK_OK(gs_checkpoint_count(ckpt, &count));
    CHECK(count == 0);
    CHECK_ERROR(gs_checkpoint_name(ckpt, 0, NULL, 0, &length), GS_ERR_INDEX);
    CHECK_OK(gs_checkpoint_release(ckpt));
    unlink(in_dir("empty.npz"));

    release(w);
    release(step);
    release(mask);
}

/* The structure text of gs_checkpoint_save_structured comes back from gs_checkpoint_structure;
   a file without one reports length -1. */
static void structure_text(void) {
    const char *path = in_dir("structured.npz");
    gs_tensor w = make_f32((const float[]){1, 2}, INTS(2), 1, false);
    const char *text = "{\"dict\":[[\"w\",{\"array\":\"w\"}],[\"\u00e9t\u00e9\",1]]}";
    CHECK_OK(gs_checkpoint_save_structured((const char *[]){"w"}, &w, 1, text, path));
    gs_checkpoint ckpt = {0};
    CHECK_OK(gs_checkpoint_load(path, &ckpt));
    int64_t length = 0, count = 0;
    CHECK_OK(gs_checkpoint_structure(ckpt, NULL, 0, &length));
    CHECK(length == (int64_t)strlen(text));
    char back[128];
    CHECK_OK(gs_checkpoint_structure(ckpt, back, sizeof back, &length));
    CHECK(strcmp(back, text) == 0);
    CHECK_OK(gs_checkpoint_count(ckpt, &count));
    CHECK(count == 1); /* the structure member is not a tensor */
    CHECK_ERROR(gs_checkpoint_structure(ckpt, back, -1, &length), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_checkpoint_structure(ckpt, back, sizeof back, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_OK(gs_checkpoint_release(ckpt));
    CHECK_ERROR(gs_checkpoint_save_structured((const char *[]){"w"}, &w, 1, NULL, path), GS_ERR_INVALID_ARGUMENT);

    CHECK_OK(gs_checkpoint_save((const char *[]){"w"}, &w, 1, path));
    CHECK_OK(gs_checkpoint_load(path, &ckpt));
    length = 0;
    CHECK_OK(gs_checkpoint_structure(ckpt, back, sizeof back, &length));
    CHECK(length == -1);
    CHECK_OK(gs_checkpoint_release(ckpt));
    unlink(path);
    release(w);
}

/* gs_last_errno: the errno behind a failed file-system call, 0 after other failures. */
static int32_t last_errno(void) {
    int32_t code = -1;
    CHECK_OK(gs_last_errno(&code));
    return code;
}

static void system_errors(void) {
    gs_checkpoint ckpt = {0};
    CHECK_ERROR(gs_checkpoint_load(in_dir("missing.npz"), &ckpt), GS_ERR_INVALID_ARGUMENT);
    CHECK(last_errno() == ENOENT);
    gs_tensor t = make_full(GS_DTYPE_FLOAT32, INTS(1), 1, 1.0);
    CHECK_ERROR(gs_checkpoint_save((const char *[]){"t"}, &t, 1, in_dir("no/such/dir.npz")), GS_ERR_INVALID_ARGUMENT);
    CHECK(last_errno() == ENOENT);
    CHECK_ERROR(gs_checkpoint_load(dir, &ckpt), GS_ERR_INVALID_ARGUMENT); /* a directory */
    CHECK(last_errno() == EISDIR);
    CHECK_ERROR(gs_checkpoint_load(in_dir("missing.npz"), &ckpt), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_tensor_release((gs_tensor){0}), GS_ERR_INVALID_HANDLE);
    CHECK(last_errno() == 0); /* each failure sets it, to 0 when no system call failed */
    CHECK_ERROR(gs_last_errno(NULL), GS_ERR_INVALID_ARGUMENT);
    release(t);
}

static void argument_errors(void) {
    char path[160];
    snprintf(path, sizeof path, "%s", in_dir("three.npz"));
    gs_tensor t = make_full(GS_DTYPE_FLOAT64, INTS(2), 1, 1.0);
    const char *names[] = {"a", "b"};
    const gs_tensor tensors[] = {t, t};

    /* gs_checkpoint_save */
    CHECK_ERROR(gs_checkpoint_save(names, tensors, 1, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_checkpoint_save(NULL, tensors, 1, path), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_checkpoint_save(names, NULL, 1, path), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_checkpoint_save(names, tensors, -1, path), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_checkpoint_save((const char *[]){"a", NULL}, tensors, 2, path), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_checkpoint_save(names, (const gs_tensor[]){t, {0}}, 2, path), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_checkpoint_save((const char *[]){"a", "a"}, tensors, 2, path), GS_ERR_INVALID_ARGUMENT);
    CHECK(strstr(gs_last_error(), "twice") != NULL);
    CHECK_ERROR(gs_checkpoint_save((const char *[]){"__gradswift__"}, tensors, 1, path), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_checkpoint_save((const char *[]){""}, tensors, 1, path), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_checkpoint_save(names, tensors, 1, ""), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_checkpoint_save(names, tensors, 1, in_dir("no/such/dir.npz")), GS_ERR_INVALID_ARGUMENT);

    /* gs_checkpoint_load and the accessors */
    gs_checkpoint ckpt = {0};
    gs_tensor out = {0};
    int64_t count = 0, length = 0;
    char buffer[8];
    CHECK_ERROR(gs_checkpoint_load(NULL, &ckpt), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_checkpoint_load(path, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_OK(gs_checkpoint_load(path, &ckpt));
    CHECK_ERROR(gs_checkpoint_count(ckpt, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_checkpoint_name(ckpt, -1, buffer, sizeof buffer, &length), GS_ERR_INDEX);
    CHECK_ERROR(gs_checkpoint_name(ckpt, 3, buffer, sizeof buffer, &length), GS_ERR_INDEX);
    CHECK_ERROR(gs_checkpoint_name(ckpt, 0, NULL, 8, &length), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_checkpoint_name(ckpt, 0, buffer, sizeof buffer, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_checkpoint_name(ckpt, 0, buffer, -1, &length), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_checkpoint_tensor(ckpt, NULL, &out), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_checkpoint_tensor(ckpt, "step", NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_checkpoint_tensor(ckpt, "nope", &out), GS_ERR_INVALID_ARGUMENT);
    CHECK(strstr(gs_last_error(), "'nope'") != NULL);

    /* handles of the wrong kind, zero, forged and released */
    CHECK_ERROR(gs_checkpoint_count((gs_checkpoint){t.id}, &count), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_checkpoint_count((gs_checkpoint){0}, &count), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_checkpoint_tensor((gs_checkpoint){0xDEADBEEFull}, "step", &out), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_checkpoint_release((gs_checkpoint){t.id}), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_tensor_release((gs_tensor){ckpt.id}), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_module_save((gs_module){ckpt.id}, path), GS_ERR_INVALID_HANDLE);
    CHECK_OK(gs_checkpoint_release(ckpt));
    CHECK_ERROR(gs_checkpoint_release(ckpt), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_checkpoint_name(ckpt, 0, buffer, sizeof buffer, &length), GS_ERR_INVALID_HANDLE);
    release(t);
}

/* Loading `path` fails with an invalid-argument error whose message contains `fragment`. */
static void check_load_fails(const char *path, const char *fragment) {
    gs_checkpoint ckpt = {12345};
    CHECK_ERROR(gs_checkpoint_load(path, &ckpt), GS_ERR_INVALID_ARGUMENT);
    CHECK(ckpt.id == 12345);
    if (!CHECK(strstr(gs_last_error(), fragment) != NULL))
        fprintf(stderr, "  message: %s\n", gs_last_error());
}

static void damaged_files(void) {
    static unsigned char data[4096], copy[4096];
    long size = read_file(in_dir("three.npz"), data, sizeof data);
    CHECK(size > 300 && size < (long)sizeof data);
    char bad[160];
    snprintf(bad, sizeof bad, "%s", in_dir("bad.npz"));

    check_load_fails(in_dir("missing.npz"), "no such file");
    check_load_fails(dir, "not a regular file");
    const char *text = "GIF89a: an image, certainly not a ZIP archive";
    write_file(bad, (const unsigned char *)text, (long)strlen(text));
    check_load_fails(bad, "end-of-central-directory");

    /* every truncation */
    for (long n = 0; n < size; n++) {
        write_file(bad, data, n);
        gs_checkpoint ckpt = {0};
        if (!CHECK(gs_checkpoint_load(bad, &ckpt) != GS_OK))
            gs_checkpoint_release(ckpt);
    }
    /* a flipped byte inside the float data (the value 3.0f) is a CRC error */
    const float three = 3;
    long at = -1;
    for (long i = 0; i + 4 <= size && at < 0; i++)
        if (memcmp(data + i, &three, 4) == 0)
            at = i;
    CHECK(at > 0);
    memcpy(copy, data, (size_t)size);
    copy[at] ^= 0x01;
    write_file(bad, copy, size);
    check_load_fails(bad, "CRC-32 mismatch in member 'fc.weight.npy'");
    /* every single-bit flip fails cleanly or changes nothing the reader uses */
    for (long i = 0; i < size; i++) {
        memcpy(copy, data, (size_t)size);
        copy[i] ^= 0x40;
        write_file(bad, copy, size);
        gs_checkpoint ckpt = {0};
        gs_tensor w = {0};
        if (gs_checkpoint_load(bad, &ckpt) == GS_OK) {
            CHECK_OK(gs_checkpoint_tensor(ckpt, "fc.weight", &w));
            CHECK_F32(w, INTS(2, 3), 2, (const float[]){1, 2, 3, 4, 5, 6});
            release(w);
            CHECK_OK(gs_checkpoint_release(ckpt));
        }
    }
    unlink(bad);
}

static void modules(void) {
    char path[160];
    snprintf(path, sizeof path, "%s", in_dir("seq.npz"));
    gs_module seq = {0};
    CHECK_OK(gs_sequential_new(NULL, 0, &seq));
    CHECK_OK(gs_module_save(seq, path)); /* no parameters: only the format's version member */
    CHECK_OK(gs_module_load(seq, path));
    gs_checkpoint ckpt = {0};
    int64_t count = -1;
    CHECK_OK(gs_checkpoint_load(path, &ckpt));
    CHECK_OK(gs_checkpoint_count(ckpt, &count));
    CHECK(count == 0);
    CHECK_OK(gs_checkpoint_release(ckpt));

    /* a checkpoint with tensors the module lacks is refused */
    CHECK_ERROR(gs_module_load(seq, in_dir("three.npz")), GS_ERR_INVALID_ARGUMENT);
    CHECK(strstr(gs_last_error(), "unexpected 'fc.weight'") != NULL);
    CHECK_ERROR(gs_module_load(seq, in_dir("missing.npz")), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_module_save(seq, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_module_load(seq, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_module_save((gs_module){0}, path), GS_ERR_INVALID_HANDLE);
    CHECK_ERROR(gs_module_load((gs_module){0xDEADBEEFull}, path), GS_ERR_INVALID_HANDLE);
    gs_tensor t = make_full(GS_DTYPE_FLOAT32, INTS(1), 1, 1.0);
    CHECK_ERROR(gs_module_load((gs_module){t.id}, path), GS_ERR_INVALID_HANDLE);
    release(t);
    CHECK_OK(gs_module_release(seq));
    unlink(path);
}

void test_checkpoint(void) {
    snprintf(dir, sizeof dir, "/tmp/gs-ctest-XXXXXX");
    if (!CHECK(mkdtemp(dir) != NULL))
        return;
    round_trip();
    structure_text();
    system_errors();
    argument_errors();
    damaged_files();
    modules();
    unlink(in_dir("three.npz"));
    CHECK(files_in_dir() == 0); /* no temporary file left behind */
    CHECK(rmdir(dir) == 0);
}
