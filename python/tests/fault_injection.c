/* fault_injection.c -- makes file-system calls on a checkpoint's temporary file fail, for the
 * tests of atomic saves (python/tests/test_checkpoint.py builds it and loads it with LD_PRELOAD
 * into a child process).
 *
 * GS_FAULT selects the fault, applied only to files whose path contains ".tmp-" (the temporary
 * file a save writes before renaming it over the checkpoint):
 *   write:<n>   the (n+1)-th write() to the temporary file writes a few bytes, the next fails with EIO
 *   fsync       fsync() of the temporary file fails with EIO
 *   rename      rename() of the temporary file fails with EXDEV
 *   vanish      at the first write() to the temporary file, the file and its directory are removed
 *               (the write itself goes on into the unlinked file; the rename then fails)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Whether `fd` is open on the temporary file; its path goes to `path` when given. */
static int is_temporary(int fd, char *path) {
    char link[64], target[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n <= 0)
        return 0;
    target[n] = '\0';
    if (path)
        strcpy(path, target);
    return strstr(target, ".tmp-") != NULL;
}

static const char *fault(void) {
    const char *f = getenv("GS_FAULT");
    return f ? f : "";
}

ssize_t write(int fd, const void *buffer, size_t count) {
    static ssize_t (*real)(int, const void *, size_t);
    static int writes;
    if (!real)
        real = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    char path[PATH_MAX];
    if (strncmp(fault(), "write:", 6) == 0 && is_temporary(fd, NULL)) {
        int allowed = atoi(fault() + 6);
        if (writes == allowed)
            count = count > 7 ? 7 : count; /* a partial write first */
        if (writes++ > allowed) {
            errno = EIO;
            return -1;
        }
    }
    if (strcmp(fault(), "vanish") == 0 && is_temporary(fd, path) && writes++ == 0) {
        unlink(path);
        char *slash = strrchr(path, '/');
        if (slash) {
            *slash = '\0';
            rmdir(path);
        }
    }
    return real(fd, buffer, count);
}

int fsync(int fd) {
    static int (*real)(int);
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    if (strcmp(fault(), "fsync") == 0 && is_temporary(fd, NULL)) {
        errno = EIO;
        return -1;
    }
    return real(fd);
}

int rename(const char *from, const char *to) {
    static int (*real)(const char *, const char *);
    if (!real)
        real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
    if (strcmp(fault(), "rename") == 0 && strstr(from, ".tmp-")) {
        errno = EXDEV;
        return -1;
    }
    return real(from, to);
}
