/*
 * spool-lock.c - one cebgate process per working directory.
 *
 * The lock is DIR/cebgate.lock, held with flock() for the life of the process and holding the
 * owner's PID as text. The kernel drops an flock when its process dies, so a lock file whose
 * flock can be taken is stale whatever PID it names: it is taken over and the old PID reported
 * for a warning. A lock held by a live process is CG_EBUSY naming that PID. Deleting the lock
 * file under a running process would let a second one in: the holder checks before every unit
 * of work that the file it holds is still the one in the directory (cg_spool_lock_check).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "spool/spool.h"

struct cg_spool_lock {
    int fd;
    int dfd;   /* the working directory, to look the lock file up again */
    char *dir; /* for messages */
};

static long read_pid(int fd)
{
    char buf[32];
    ssize_t r;
    long pid = 0;

    r = pread(fd, buf, sizeof(buf) - 1, 0);
    if (r <= 0)
        return 0;
    buf[r] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    if (cg_parse_long(buf, 1, 0x7fffffffL, &pid) != CG_OK)
        return 0;
    return pid;
}

int cg_spool_lock_take(const char *dir, struct cg_spool_lock **out, long *stale_pid,
                       struct cg_err *err)
{
    struct cg_spool_lock *l = NULL;
    char text[32];
    int dfd = -1;
    int fd = -1;
    int n;
    long old;
    int rc = CG_OK;

    if (stale_pid != NULL)
        *stale_pid = 0;
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return CG_ERR_SET(err, CG_EIO, "%s: cannot open working directory: %s", dir,
                          strerror(errno));
    fd = openat(dfd, "cebgate.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        rc = CG_ERR_SET(err, CG_EIO, "%s/cebgate.lock: cannot open: %s", dir, strerror(errno));
        goto done;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            rc = CG_ERR_SET(err, CG_EBUSY, "%s is in use by cebgate process %ld (%s/cebgate.lock)",
                            dir, read_pid(fd), dir);
        else
            rc = CG_ERR_SET(err, CG_EIO, "%s/cebgate.lock: cannot lock: %s", dir, strerror(errno));
        goto done;
    }
    old = read_pid(fd);
    if (old != 0 && old != (long)getpid() && stale_pid != NULL)
        *stale_pid = old;
    n = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)n, 0) != n || fsync(fd) != 0) {
        rc = CG_ERR_SET(err, CG_EIO, "%s/cebgate.lock: cannot write the PID: %s", dir,
                        strerror(errno));
        goto done;
    }
    l = calloc(1, sizeof(*l));
    if (l == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    l->dir = cg_strdup(dir);
    if (l->dir == NULL) {
        free(l);
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    l->fd = fd;
    l->dfd = dfd;
    fd = -1;
    dfd = -1;
    *out = l;
done:
    if (fd >= 0)
        close(fd);
    if (dfd >= 0)
        close(dfd);
    return rc;
}

void cg_spool_lock_release(struct cg_spool_lock *l)
{
    if (l == NULL)
        return;
    /* Empty the file while still holding it: a PID left behind means a process died. */
    if (ftruncate(l->fd, 0) != 0)
        (void)0; /* the free flock alone already marks the lock as not held */
    close(l->fd);
    close(l->dfd);
    free(l->dir);
    free(l);
}

int cg_spool_lock_check(const struct cg_spool_lock *l, struct cg_err *err)
{
    struct stat held, now;

    if (fstat(l->fd, &held) != 0)
        return CG_ERR_SET(err, CG_EIO, "%s/cebgate.lock: %s", l->dir, strerror(errno));
    if (fstatat(l->dfd, "cebgate.lock", &now, AT_SYMLINK_NOFOLLOW) != 0 ||
        now.st_dev != held.st_dev || now.st_ino != held.st_ino)
        return CG_ERR_SET(err, CG_EBUSY,
                          "%s/cebgate.lock was removed or replaced while this process held it: "
                          "stopping, since another cebgate process may now work here",
                          l->dir);
    return CG_OK;
}
