/*
 * fsutil.c - atomic writes, no-replace moves, directory fsync and safe reads.
 *
 * Atomic write: create ".NAME.tmp.XXXXXX" in the target directory with O_EXCL, write it all,
 * fsync, rename over NAME, fsync the directory. On any failure the temporary file is removed
 * and NAME is untouched, so a reader never sees a partial file. Moves use renameat2 with
 * RENAME_NOREPLACE (falling back to link + unlink) so an existing file is never overwritten.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/fsutil.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

bool cg_fs_name_ok(const char *name)
{
    size_t n;
    const unsigned char *p;

    if (name == NULL)
        return false;
    n = strlen(name);
    if (n == 0 || n > CG_FS_NAME_MAX || name[0] == '.')
        return false;
    for (p = (const unsigned char *)name; *p != '\0'; p++) {
        if (*p == '/' || *p == '\\' || *p < 0x20 || *p == 0x7f)
            return false;
    }
    return true;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;

    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (w == 0) {
            errno = EIO;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int cg_fs_fsync_dir_at(int dirfd, struct cg_err *err)
{
    if (fsync(dirfd) != 0)
        return CG_ERR_SET(err, CG_EIO, "fsync of directory: %s", strerror(errno));
    return CG_OK;
}

/* A new hidden temporary file in dirfd holding data, [fsync'ed]; its name into tmp. */
static int write_temp(int dirfd, const char *name, const void *data, size_t len, bool sync,
                      char *tmp, size_t tmpsz, struct cg_err *err)
{
    int fd = -1;
    int rc = CG_OK;
    int tries;

    if (!cg_fs_name_ok(name))
        return CG_ERR_SET(err, CG_EINVAL, "unsafe file name '%s'", name != NULL ? name : "");
    for (tries = 0; tries < 100; tries++) {
        snprintf(tmp, tmpsz, ".%s.tmp.%ld.%d", name, (long)getpid(), rand() % 1000000);
        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd >= 0 || errno != EEXIST)
            break;
    }
    if (fd < 0)
        return CG_ERR_SET(err, CG_EIO, "%s: cannot create temporary file: %s", name,
                          strerror(errno));
    if (write_all(fd, data, len) != 0) {
        rc = CG_ERR_SET(err, CG_EIO, "%s: write failed: %s", name, strerror(errno));
        goto done;
    }
    if (sync && fsync(fd) != 0) {
        rc = CG_ERR_SET(err, CG_EIO, "%s: fsync failed: %s", name, strerror(errno));
        goto done;
    }
    if (close(fd) != 0) {
        fd = -1;
        rc = CG_ERR_SET(err, CG_EIO, "%s: close failed: %s", name, strerror(errno));
        goto done;
    }
    return CG_OK;
done:
    if (fd >= 0)
        close(fd);
    unlinkat(dirfd, tmp, 0);
    return rc;
}

int cg_fs_write_atomic_at(int dirfd, const char *name, const void *data, size_t len,
                          struct cg_err *err)
{
    char tmp[CG_FS_NAME_MAX + 32];
    int rc;

    rc = write_temp(dirfd, name, data, len, true, tmp, sizeof(tmp), err);
    if (rc != CG_OK)
        return rc;
    if (renameat(dirfd, tmp, dirfd, name) != 0) {
        rc = CG_ERR_SET(err, CG_EIO, "%s: rename failed: %s", name, strerror(errno));
        unlinkat(dirfd, tmp, 0);
        return rc;
    }
    return cg_fs_fsync_dir_at(dirfd, err);
}

int cg_fs_write_temp_at(int dirfd, const char *name, const void *data, size_t len, char *tmp,
                        size_t tmpsz, struct cg_err *err)
{
    return write_temp(dirfd, name, data, len, false, tmp, tmpsz, err);
}

int cg_fs_write_atomic(const char *dir, const char *name, const void *data, size_t len,
                       struct cg_err *err)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc;

    if (dfd < 0)
        return CG_ERR_SET(err, CG_EIO, "%s: cannot open directory: %s", dir, strerror(errno));
    rc = cg_fs_write_atomic_at(dfd, name, data, len, err);
    close(dfd);
    return rc;
}

/* rename without replace; then, with sync, fsync of both directories. */
static int move_at(int from_dirfd, const char *name, int to_dirfd, const char *newname, bool sync,
                   struct cg_err *err)
{
    int r;

    r = (int)syscall(SYS_renameat2, from_dirfd, name, to_dirfd, newname, RENAME_NOREPLACE);
    if (r != 0 && (errno == ENOSYS || errno == EINVAL)) {
        /* File systems without RENAME_NOREPLACE: link fails on an existing target. */
        r = linkat(from_dirfd, name, to_dirfd, newname, 0);
        if (r == 0 && unlinkat(from_dirfd, name, 0) != 0)
            return CG_ERR_SET(err, CG_EIO, "%s: unlink after link failed: %s", name,
                              strerror(errno));
    }
    if (r != 0) {
        if (errno == EEXIST)
            return CG_ERR_SET(err, CG_EEXIST, "%s: target already exists", newname);
        if (errno == ENOENT)
            return CG_ERR_SET(err, CG_ENOTFOUND, "%s: no such file", name);
        return CG_ERR_SET(err, CG_EIO, "%s: rename failed: %s", name, strerror(errno));
    }
    if (!sync)
        return CG_OK;
    r = cg_fs_fsync_dir_at(to_dirfd, err);
    if (r != CG_OK)
        return r;
    if (from_dirfd != to_dirfd)
        r = cg_fs_fsync_dir_at(from_dirfd, err);
    return r;
}

int cg_fs_move_at(int from_dirfd, const char *name, int to_dirfd, const char *newname,
                  struct cg_err *err)
{
    return move_at(from_dirfd, name, to_dirfd, newname, true, err);
}

static int move_unique_at(int from_dirfd, const char *name, int to_dirfd, const char *base,
                          char *out, size_t outsz, bool sync, struct cg_err *err)
{
    char cand[CG_FS_NAME_MAX + 16];
    int rc;
    int i;

    for (i = 0; i < 10000; i++) {
        if (i == 0)
            cg_strlcpy(cand, base, sizeof(cand));
        else
            snprintf(cand, sizeof(cand), "%s.%d", base, i);
        rc = move_at(from_dirfd, name, to_dirfd, cand, sync, err);
        if (rc != CG_EEXIST) {
            if (rc == CG_OK && out != NULL)
                cg_strlcpy(out, cand, outsz);
            return rc;
        }
        cg_err_clear(err);
    }
    return CG_ERR_SET(err, CG_EEXIST, "%s: no free name in the target folder", name);
}

int cg_fs_move_unique_at(int from_dirfd, const char *name, int to_dirfd, const char *base,
                         char *out, size_t outsz, struct cg_err *err)
{
    return move_unique_at(from_dirfd, name, to_dirfd, base, out, outsz, true, err);
}

int cg_fs_move_unique_unsynced_at(int from_dirfd, const char *name, int to_dirfd, const char *base,
                                  char *out, size_t outsz, struct cg_err *err)
{
    return move_unique_at(from_dirfd, name, to_dirfd, base, out, outsz, false, err);
}

/* Open dirfd/name for reading: a regular file only, no symlink followed; its size in *size. */
static int open_regular(int dirfd, const char *name, int *fd, off_t *size, struct cg_err *err)
{
    struct stat st;

    *fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (*fd < 0) {
        if (errno == ELOOP)
            return CG_ERR_SET(err, CG_EREJECT, "%s: is a symbolic link", name);
        if (errno == ENOENT)
            return CG_ERR_SET(err, CG_ENOTFOUND, "%s: no such file", name);
        return CG_ERR_SET(err, CG_EIO, "%s: cannot open: %s", name, strerror(errno));
    }
    if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(*fd);
        *fd = -1;
        return CG_ERR_SET(err, CG_EREJECT, "%s: not a regular file", name);
    }
    *size = st.st_size;
    return CG_OK;
}

/* Append what fd holds to b, up to n bytes or the end of the file. */
static int read_fd(int fd, const char *name, size_t n, struct cg_buf *b, struct cg_err *err)
{
    char chunk[65536];
    size_t got = 0;

    while (got < n) {
        ssize_t r = read(fd, chunk, n - got < sizeof(chunk) ? n - got : sizeof(chunk));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return CG_ERR_SET(err, CG_EIO, "%s: read failed: %s", name, strerror(errno));
        }
        if (r == 0)
            break;
        if (cg_buf_add(b, chunk, (size_t)r) != CG_OK)
            return CG_ERR_SET(err, CG_ERANGE, "%s: larger than the limit of %zu bytes", name,
                              b->max);
        got += (size_t)r;
    }
    return CG_OK;
}

int cg_fs_read_at(int dirfd, const char *name, size_t max, struct cg_buf *b, struct cg_err *err)
{
    off_t size;
    int fd;
    int rc = open_regular(dirfd, name, &fd, &size, err);

    if (rc != CG_OK)
        return rc;
    if ((size_t)size > max)
        rc = CG_ERR_SET(err, CG_ERANGE, "%s: %lld bytes is over the limit of %zu", name,
                        (long long)size, max);
    else
        rc = read_fd(fd, name, SIZE_MAX, b, err);
    close(fd);
    return rc;
}

int cg_fs_read_head_at(int dirfd, const char *name, size_t n, struct cg_buf *b, struct cg_err *err)
{
    off_t size;
    int fd;
    int rc = open_regular(dirfd, name, &fd, &size, err);

    if (rc != CG_OK)
        return rc;
    rc = read_fd(fd, name, n, b, err);
    close(fd);
    return rc;
}

int cg_fs_read(const char *path, size_t max, struct cg_buf *b, struct cg_err *err)
{
    return cg_fs_read_at(AT_FDCWD, path, max, b, err);
}

int cg_fs_mkdir_p(const char *path, mode_t mode, struct cg_err *err)
{
    char *p = cg_strdup(path);
    char *s;
    int rc = CG_OK;

    if (p == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    for (s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, mode) != 0 && errno != EEXIST) {
                rc = CG_ERR_SET(err, CG_EIO, "%s: cannot create directory: %s", p, strerror(errno));
                break;
            }
            *s = c;
            if (c == '\0')
                break;
        }
    }
    free(p);
    return rc;
}

char *cg_fs_join(const char *dir, const char *name)
{
    size_t a = strlen(dir);
    size_t b = strlen(name);
    char *p = malloc(a + b + 2);

    if (p == NULL)
        return NULL;
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
    return p;
}

/*
 * SHA-256 as fetched once from OpenSSL's default provider: EVP_sha256() makes every digest look
 * the algorithm up again (a read lock and a property query per call, a few percent of mapping an
 * order). Kept for the life of the process; EVP_sha256() if the fetch fails.
 */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void cg_sha256_hex(const void *data, size_t len, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[32];
    unsigned int mdlen = 0;
    unsigned int i;

    pthread_once(&sha256_once, sha256_fetch);
    EVP_Digest(data, len, md, &mdlen, sha256_md != NULL ? sha256_md : EVP_sha256(), NULL);
    for (i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}
