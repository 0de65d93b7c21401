/*
 * spool-intake.c - take complete files from incoming/ (and incoming/<seller>/) into active/
 * and process them one by one; resume what a previous run left in active/.
 *
 * Only directory entries are looked at, never paths: each folder is opened with O_NOFOLLOW and
 * every name is used relative to its descriptor. "*.part" and hidden names are left alone
 * (still being written). A symbolic link, a name that looks like a path ("..", a backslash, a
 * control character), a nested folder or anything that is not a regular file is moved to
 * failed/ as it is (a link is moved, not followed) with a .reason file; its name in failed/ is
 * made safe when it was not. Files are taken in name order.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/log.h"
#include "spool/spool-int.h"
#include "store/store-holds.h"

struct entry {
    char *name;
    int type; /* 'f' file, 'd' folder, 'l' link, 'o' other */
    off_t size;
};

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static void entries_free(struct entry *e, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        free(e[i].name);
    free(e);
}

/* List a folder (names only, by descriptor), sorted. */
static int list_dir(int dfd, struct entry **out, size_t *n, struct cg_err *err)
{
    struct entry *v = NULL;
    size_t cap = 0;
    int fd;
    DIR *d;
    struct dirent *de;

    *n = 0;
    fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || (d = fdopendir(fd)) == NULL) {
        if (fd >= 0)
            close(fd);
        return CG_ERR_SET(err, CG_EIO, "cannot list folder: %s", strerror(errno));
    }
    while ((de = readdir(d)) != NULL) {
        struct stat st;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (cg_spool_name_ignored(de->d_name))
            continue;
        if (*n == cap) {
            struct entry *g = realloc(v, (cap ? cap * 2 : 64) * sizeof(*v));
            if (g == NULL)
                break;
            v = g;
            cap = cap ? cap * 2 : 64;
        }
        memset(&v[*n], 0, sizeof(v[0]));
        v[*n].name = cg_strdup(de->d_name);
        if (v[*n].name == NULL)
            break;
        if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            free(v[*n].name);
            continue; /* gone meanwhile */
        }
        v[*n].type = S_ISLNK(st.st_mode)   ? 'l'
                     : S_ISDIR(st.st_mode) ? 'd'
                     : S_ISREG(st.st_mode) ? 'f'
                                           : 'o';
        v[*n].size = st.st_size;
        (*n)++;
    }
    closedir(d);
    if (*n > 0)
        qsort(v, *n, sizeof(*v), cmp_entry);
    *out = v;
    return CG_OK;
}

/* A safe name for failed/ from an unsafe one, and the original written printable. */
static void safe_name(const char *name, char *out, size_t size, char *shown, size_t shsize)
{
    size_t i, k = 0, s = 0;
    char h[65];

    cg_sha256_hex(name, strlen(name), h);
    for (i = 0; name[i] != '\0' && s + 5 < shsize; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c == 0x7f)
            s += (size_t)snprintf(shown + s, shsize - s, "\\x%02x", c);
        else
            shown[s++] = (char)c;
    }
    shown[s] = '\0';
    k = (size_t)snprintf(out, size, "unsafe-name-%.12s", h);
    (void)k;
}

static void fail_entry(struct cg_spool *sp, int fromfd, const char *sub, const struct entry *e,
                       const char *why)
{
    struct cg_err err;
    char used[CG_FS_NAME_MAX + 16];
    char target[CG_FS_NAME_MAX + 16];
    char shown[4 * CG_FS_NAME_MAX + 16];
    char reason[8 * CG_FS_NAME_MAX];
    int tofd;

    cg_err_clear(&err);
    if (cg_spool_name_problem(e->name) != NULL) {
        safe_name(e->name, target, sizeof(target), shown, sizeof(shown));
    } else {
        cg_strlcpy(target, e->name, sizeof(target));
        cg_strlcpy(shown, e->name, sizeof(shown));
    }
    snprintf(reason, sizeof(reason), "incoming/%s%s'%s': %s", sub, sub[0] ? "/" : "", shown, why);
    tofd = spool_subdir(sp, D_FAILED, sub, &err);
    if (tofd < 0) {
        cg_error("%s", err.msg);
        return;
    }
    if (cg_fs_move_at(fromfd, e->name, tofd, target, &err) == CG_EEXIST) {
        cg_err_clear(&err);
        spool_move_unique(fromfd, e->name, tofd, used, sizeof(used), &err);
        cg_strlcpy(target, used, sizeof(target));
    }
    if (err.code == CG_OK && spool_write_reason(sp, tofd, target, reason, &err) == CG_OK) {
        /* Recorded for cebgate status FILE and the summary. */
        sp->st.files_taken++;
        sp->st.files_failed++;
        spool_event(sp, CG_SPOOL_EV_FILE, "failed %s", reason);
        if (cg_store_file_add(sp->store, sub, shown, target, 0, "", 0, "failed", reason, NULL,
                              &err) != CG_OK)
            cg_error("%s", err.msg);
    } else {
        cg_error("%s", err.msg);
    }
    close(tofd);
}

static bool stopped(struct cg_spool *sp)
{
    return sp->opts.stop != NULL && *sp->opts.stop;
}

/* Process every file in active/<sub>/ (left there by a crash or a stop). */
static int resume_active(struct cg_spool *sp, int subfd, const char *sub, struct cg_err *err)
{
    struct entry *v = NULL;
    size_t n = 0, i;
    int rc;

    rc = list_dir(subfd, &v, &n, err);
    if (rc != CG_OK)
        return rc;
    for (i = 0; i < n && rc == CG_OK && !stopped(sp); i++) {
        struct spool_seller *sel;

        if (v[i].type == 'd' && sub[0] == '\0') {
            int fd = openat(subfd, v[i].name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd >= 0) {
                rc = resume_active(sp, fd, v[i].name, err);
                close(fd);
            }
            continue;
        }
        if (v[i].type == 'd')
            continue;
        sel = spool_seller_get(sp, sub);
        if (spool_seller_waits(sp, sel))
            continue; /* stays in active/ */
        rc = spool_process_file(sp, sel, subfd, v[i].name, false, err);
        rc = spool_seller_held(sp, sel, rc);
    }
    entries_free(v, n);
    return rc;
}

/* Take and process the files of incoming/<sub>/ (sub "" for the top). */
static int take_dir(struct cg_spool *sp, int infd, const char *sub, struct cg_err *err)
{
    struct entry *v = NULL;
    size_t n = 0, i;
    int actfd = -1;
    int rc;

    rc = list_dir(infd, &v, &n, err);
    if (rc != CG_OK)
        return rc;
    for (i = 0; i < n && rc == CG_OK && !stopped(sp); i++) {
        struct spool_seller *sel;
        struct entry *e = &v[i];
        const char *prob = cg_spool_name_problem(e->name);
        char used[CG_FS_NAME_MAX + 16];
        if (e->type == 'l') {
            char target[256] = "";
            ssize_t k = readlinkat(infd, e->name, target, sizeof(target) - 1);
            char why[512];
            if (k > 0)
                target[k] = '\0';
            snprintf(why, sizeof(why), "symbolic link to '%s': links are never followed", target);
            fail_entry(sp, infd, sub, e, why);
            continue;
        }
        if (prob != NULL) {
            fail_entry(sp, infd, sub, e, prob);
            continue;
        }
        if (e->type == 'd') {
            int fd;
            if (sub[0] != '\0') {
                fail_entry(sp, infd, sub, e, "folder inside a seller folder");
                continue;
            }
            fd = openat(infd, e->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) {
                cg_warn("incoming/%s: cannot open: %s", e->name, strerror(errno));
                continue;
            }
            rc = take_dir(sp, fd, e->name, err);
            close(fd);
            continue;
        }
        if (e->type != 'f') {
            fail_entry(sp, infd, sub, e, "not a regular file");
            continue;
        }
        sel = spool_seller_get(sp, sub);
        if (spool_seller_waits(sp, sel))
            continue; /* stays in incoming/ */
        if (actfd < 0) {
            actfd = spool_subdir(sp, D_ACTIVE, sub, err);
            if (actfd < 0) {
                rc = actfd;
                break;
            }
        }
        rc = spool_move_unique(infd, e->name, actfd, used, sizeof(used), err);
        if (rc == CG_ENOTFOUND) {
            rc = CG_OK; /* taken away meanwhile */
            continue;
        }
        if (rc != CG_OK)
            break;
        rc = spool_process_file(sp, sel, actfd, used, true, err);
        rc = spool_seller_held(sp, sel, rc);
    }
    if (actfd >= 0)
        close(actfd);
    entries_free(v, n);
    return rc;
}

/*
 * Count the files (and bytes) of a folder and, at the top, of its seller folders, so that the
 * progress shows the whole number of files from the start.
 */
static void count_files(struct cg_spool *sp, int dfd, bool top)
{
    struct entry *v = NULL;
    struct cg_err e;
    size_t n = 0, i;

    cg_err_clear(&e);
    if (list_dir(dfd, &v, &n, &e) != CG_OK)
        return;
    for (i = 0; i < n; i++) {
        if (v[i].type == 'f') {
            sp->st.files_seen++;
            sp->st.bytes_total += v[i].size;
        } else if (v[i].type == 'd' && top) {
            int fd = openat(dfd, v[i].name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd >= 0) {
                count_files(sp, fd, false);
                close(fd);
            }
        }
    }
    entries_free(v, n);
}

struct holds {
    struct cg_store_hold *h;
    size_t n;
};

static int holds_write(struct cg_store *st, void *vctx, struct cg_err *err)
{
    const struct holds *hs = vctx;

    return cg_store_holds_set(st, hs->h, hs->n, err);
}

/*
 * After a complete pass over active/ and incoming/: the sellers it held, with their reason and
 * how many of their files wait, replace those the database had (a seller whose configuration
 * was fixed, or whose files were taken away, is no longer listed). The morning report reads
 * them. A database that cannot be written is a temporary failure, as for any other step.
 */
static int holds_record(struct cg_spool *sp, struct cg_err *err)
{
    struct holds hs = {NULL, 0};
    size_t i;
    int rc;

    hs.h = calloc(sp->nsellers > 0 ? sp->nsellers : 1, sizeof(*hs.h));
    if (hs.h == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    for (i = 0; i < sp->nsellers; i++) {
        const struct spool_seller *sel = sp->sellers[i];

        if (sel->held_pass != sp->intake_pass || sel->held_files == 0)
            continue;
        hs.h[hs.n].seller = sel->name;
        hs.h[hs.n].reason = sel->problem != NULL ? sel->problem : sel->config_hold;
        hs.h[hs.n].files = sel->held_files;
        hs.n++;
    }
    rc = cg_store_tx(sp->store, holds_write, &hs, err);
    free(hs.h);
    return rc;
}

int spool_intake(struct cg_spool *sp, struct cg_err *err)
{
    int rc;

    sp->intake_pass++;
    count_files(sp, sp->dfd[D_ACTIVE], true);
    count_files(sp, sp->dfd[D_INCOMING], true);
    spool_progress(sp, true);

    rc = resume_active(sp, sp->dfd[D_ACTIVE], "", err);
    if (rc != CG_OK || stopped(sp))
        return rc;
    if (sp->opts.intake != NULL && (rc = sp->opts.intake(sp->opts.intake_ctx, err)) != CG_OK)
        return rc;
    rc = take_dir(sp, sp->dfd[D_INCOMING], "", err);
    if (rc != CG_OK || stopped(sp))
        return rc;
    return holds_record(sp, err);
}
