/*
 * spool-http-files.c - the HTTP transport on the spool's folders: send message files from
 * outbox/ in parallel, and write polled receipts into inbox/ as complete files with the cursor
 * kept beside them.
 *
 * Names are checked with cg_fs_name_ok() and opened relative to the caller's directory
 * descriptors without following symlinks. A file that cannot be read gets its own error and
 * the rest go on. A page's receipts are written under hidden temporary names without an fsync
 * each, made durable together (one syncfs() of inbox/'s file system), renamed to their names
 * and inbox/ fsync'ed once, all before the cursor that skips them is stored: the cursor never
 * moves past a receipt the disk may still lose, and no partial file ever shows in inbox/. A
 * crash before that fetches the page again and writes the same files under the same names;
 * the spool applies a receipt file once (by SHA-256) and each receipt once.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "spool/spool-http-int.h"
#include "spool/spool.h"

/* Largest message file sent (the declare module's largest XML document). */
#define FILE_MAX (64u * 1024u * 1024u)

struct files_ctx {
    int *results;
    char **details;
};

static int on_file_outcome(const struct cg_http_msg *m, const struct cg_http_outcome *o, void *vctx)
{
    struct files_ctx *c = vctx;
    size_t i = (size_t)(uintptr_t)m->user;
    struct cg_buf b;

    switch (o->result) {
    case CG_HTTP_ACKED: c->results[i] = CG_OK; return CG_OK;
    case CG_HTTP_REJECTED: c->results[i] = CG_EREJECT; break;
    case CG_HTTP_RETRY_LATER: c->results[i] = CG_ERETRY; break;
    }
    cg_buf_init(&b, CG_HTTP_TEXT_MAX + 64);
    if (o->result == CG_HTTP_REJECTED)
        cg_buf_addf(&b, "%s: %s", o->code, o->text);
    else
        cg_buf_adds(&b, o->text);
    free(c->details[i]);
    c->details[i] = cg_buf_take(&b);
    return c->details[i] != NULL ? CG_OK : CG_ENOMEM;
}

int cg_http_send_files(struct cg_http *h, int dirfd, const char *const *names,
                       const char *const *guids, size_t n, int *results, char **details,
                       struct cg_err *err)
{
    struct cg_http_msg *msgs = NULL;
    struct cg_buf *bufs = NULL;
    size_t k = 0;
    struct files_ctx c = {results, details};
    int rc = CG_OK;

    for (size_t i = 0; i < n; i++) {
        results[i] = CG_ERETRY;
        details[i] = NULL;
    }
    if (n == 0)
        return CG_OK;
    msgs = calloc(n, sizeof(*msgs));
    bufs = calloc(n, sizeof(*bufs));
    if (msgs == NULL || bufs == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        struct cg_err e;

        cg_err_clear(&e);
        cg_buf_init(&bufs[i], FILE_MAX);
        if (!cg_fs_name_ok(names[i]))
            CG_ERR_SET(&e, CG_EINVAL, "not a safe file name");
        else
            cg_fs_read_at(dirfd, names[i], FILE_MAX, &bufs[i], &e);
        if (e.code != CG_OK) {
            /* Only the port rejects; a file we cannot read is our problem. */
            results[i] = e.code == CG_ENOTFOUND ? CG_ENOTFOUND : CG_EIO;
            details[i] = cg_strdup(e.msg);
            cg_warn("%s: not sent: %s", names[i], e.msg);
            continue;
        }
        msgs[k].guid = guids != NULL && guids[i] != NULL ? guids[i] : names[i];
        msgs[k].body = cg_buf_str(&bufs[i]);
        msgs[k].len = bufs[i].len;
        msgs[k].user = (void *)(uintptr_t)i;
        k++;
    }
    rc = cg_http_send(h, msgs, k, on_file_outcome, &c, err);
done:
    for (size_t i = 0; bufs != NULL && i < n; i++)
        cg_buf_free(&bufs[i]);
    free(bufs);
    free(msgs);
    return rc;
}

/* ------------------------------------------------------------------ receipts into a folder */

/* A receipt written under its temporary name, to be renamed once the page is durable. */
struct pending {
    char tmp[CG_FS_TMP_MAX];
    char name[96];
};

struct fetch_ctx {
    int inbox_fd;
    size_t written;    /* files put into inbox/ under their names */
    struct pending *p; /* written since inbox/ was last made durable */
    size_t np, cap;
    struct cg_err *err;
};

/* Receipt ids come from the network: only letters, digits, '-' and '_' go into a file name. */
static bool id_ok(const char *id)
{
    size_t n = strlen(id);

    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = id[i];

        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              ch == '-' || ch == '_'))
            return false;
    }
    return true;
}

static int write_receipt(const struct cg_http_receipt *r, void *vctx)
{
    struct fetch_ctx *c = vctx;
    struct pending *q;
    int rc;

    if (!id_ok(r->id))
        return CG_ERR_SET(c->err, CG_EPARSE, "receipt id \"%.80s\" cannot name a file", r->id);
    if (c->np == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        struct pending *g = realloc(c->p, cap * sizeof(*g));

        if (g == NULL)
            return CG_ERR_SET(c->err, CG_ENOMEM, "out of memory");
        c->p = g;
        c->cap = cap;
    }
    q = &c->p[c->np];
    /* Numeric ids are zero-padded so that name order is arrival order. */
    if (strspn(r->id, "0123456789") == strlen(r->id) && strlen(r->id) < 12)
        snprintf(q->name, sizeof(q->name), "http-receipt-%012lld.xml", strtoll(r->id, NULL, 10));
    else
        snprintf(q->name, sizeof(q->name), "http-receipt-%s.xml", r->id);
    rc = cg_fs_write_temp_at(c->inbox_fd, q->name, r->xml, r->len, q->tmp, sizeof(q->tmp), c->err);
    if (rc != CG_OK)
        return rc;
    c->np++;
    return CG_OK;
}

/* Remove the temporary files not put into inbox/ (a failure before they were durable). */
static void inbox_discard(struct fetch_ctx *c)
{
    for (size_t i = 0; i < c->np; i++)
        unlinkat(c->inbox_fd, c->p[i].tmp, 0);
    c->np = 0;
}

/*
 * Temporary receipt files a crash left in inbox/ (hidden, so the spool never reads them):
 * removed before a fetch writes new ones, as the page they belong to is fetched again.
 */
static void inbox_sweep(int inbox_fd)
{
    int fd = openat(inbox_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct dirent *de;
    DIR *d;

    if (fd < 0)
        return;
    if ((d = fdopendir(fd)) == NULL) {
        close(fd);
        return;
    }
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, ".http-receipt-", 14) == 0 && strstr(de->d_name, ".tmp.") != NULL &&
            unlinkat(inbox_fd, de->d_name, 0) != 0 && errno != ENOENT)
            cg_warn("inbox/%s: cannot remove: %s", de->d_name, strerror(errno));
    }
    closedir(d);
}

/*
 * The receipt files written so far on disk (one syncfs() for all of them, as an fsync of each
 * would), then under their names in inbox/ (renames, one fsync of inbox/). Before any cursor is
 * stored. A file there from a page fetched again after a crash is replaced by the same bytes.
 */
static int inbox_durable(struct fetch_ctx *c, struct cg_err *err)
{
    size_t i;
    int rc;

    if (c->np == 0)
        return CG_OK;
    if (syncfs(c->inbox_fd) != 0) {
        rc = CG_ERR_SET(err, CG_EIO, "inbox/: syncfs: %s", strerror(errno));
        inbox_discard(c);
        return rc;
    }
    for (i = 0; i < c->np; i++) {
        if (renameat(c->inbox_fd, c->p[i].tmp, c->inbox_fd, c->p[i].name) != 0) {
            rc = CG_ERR_SET(err, CG_EIO, "inbox/%s: rename failed: %s", c->p[i].name,
                            strerror(errno));
            /* the ones renamed stay (their bytes are on disk); the rest are removed */
            memmove(c->p, c->p + i, (c->np - i) * sizeof(*c->p));
            c->np -= i;
            inbox_discard(c);
            return rc;
        }
        c->written++;
    }
    c->np = 0;
    return cg_fs_fsync_dir_at(c->inbox_fd, err);
}

/*
 * The page after since cannot be read even one receipt at a time: count the runs that failed
 * there (name.bad holds "cursor count"), and after CG_HTTP_BAD_PAGE_TRIES move a numeric
 * cursor one past it. Reported at error level; returns CG_OK unless the state cannot be written.
 */
static int bad_page(int state_fd, const char *cursor_name, const char *since, const char *why,
                    struct cg_err *err)
{
    char name[256];
    char line[256];
    char next[32];
    struct cg_buf b;
    long tries = 0;
    long long n;
    char *end = NULL;
    int rc;

    snprintf(name, sizeof(name), "%s.bad", cursor_name);
    cg_buf_init(&b, 256);
    if (cg_fs_read_at(state_fd, name, 200, &b, err) == CG_OK) {
        const char *s = cg_buf_str(&b);
        size_t k = strlen(since);

        if (strncmp(s, since, k) == 0 && s[k] == ' ')
            tries = strtol(s + k + 1, NULL, 10);
    }
    cg_buf_free(&b);
    cg_err_clear(err);
    tries++;
    n = strtoll(since, &end, 10);
    if (tries >= CG_HTTP_BAD_PAGE_TRIES && end != since && *end == '\0' && n >= 0) {
        snprintf(next, sizeof(next), "%lld", n + 1);
        cg_error("receipts after %s could not be read in %ld runs (%s): receipt %s is skipped; "
                 "ask the port for it",
                 since, tries, why, next);
        rc = cg_fs_write_atomic_at(state_fd, cursor_name, next, strlen(next), err);
        if (rc == CG_OK && unlinkat(state_fd, name, 0) != 0 && errno != ENOENT)
            cg_warn("removing %s: %s", name, strerror(errno));
        return rc;
    }
    cg_error("receipts after %s could not be read (run %ld of %d before it is skipped): %s", since,
             tries, CG_HTTP_BAD_PAGE_TRIES, why);
    snprintf(line, sizeof(line), "%s %ld", since, tries);
    return cg_fs_write_atomic_at(state_fd, name, line, strlen(line), err);
}

int cg_http_fetch_to_dir(struct cg_http *h, int inbox_fd, int state_fd, const char *cursor_name,
                         size_t *count, struct cg_err *err)
{
    struct fetch_ctx c = {inbox_fd, 0, NULL, 0, 0, err};
    struct cg_buf cur;
    char *since = NULL;
    int rc;

    *count = 0;
    cg_buf_init(&cur, 256);
    if (!cg_fs_name_ok(cursor_name)) {
        rc = CG_ERR_SET(err, CG_EINVAL, "cursor file name \"%s\" is not safe", cursor_name);
        goto done;
    }
    inbox_sweep(inbox_fd);
    rc = cg_fs_read_at(state_fd, cursor_name, 200, &cur, err);
    if (rc == CG_ENOTFOUND) {
        /* First poll: from the start. */
        cg_buf_reset(&cur);
        cg_err_clear(err);
        rc = CG_OK;
    }
    if (rc != CG_OK)
        goto done;
    since = cg_strdup(cg_buf_str(&cur));
    if (since == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    since[strcspn(since, "\r\n")] = '\0';

    for (;;) {
        char *next = NULL;
        size_t n = 0;
        bool more = false;

        rc = cg_http_receipts_page(h, since, write_receipt, &c, &next, &n, &more, err);
        if (rc == CG_EPARSE || rc == CG_ERANGE) {
            /* a page that cannot be read: once more, one receipt at a time */
            cg_warn("%s; asking for one receipt at a time", err->msg);
            cg_err_clear(err);
            h->receipts_limit = 1;
            rc = cg_http_receipts_page(h, since, write_receipt, &c, &next, &n, &more, err);
            h->receipts_limit = 0;
            if (rc == CG_EPARSE || rc == CG_ERANGE) {
                char why[CG_ERR_MSG_MAX];

                cg_strlcpy(why, err->msg, sizeof(why));
                cg_err_clear(err);
                /* bad_page may move the cursor: what was written is durable first */
                rc = inbox_durable(&c, err);
                if (rc == CG_OK)
                    rc = bad_page(state_fd, cursor_name, since, why, err);
                goto done;
            }
        }
        if (rc != CG_OK)
            goto done;
        if (strcmp(next, since) != 0) {
            /* The page's files are durable before the cursor moves past them. */
            rc = inbox_durable(&c, err);
            if (rc == CG_OK)
                rc = cg_fs_write_atomic_at(state_fd, cursor_name, next, strlen(next), err);
            if (rc != CG_OK) {
                free(next);
                goto done;
            }
        }
        if (!more || n == 0 || strcmp(next, since) == 0) {
            free(next);
            break;
        }
        free(since);
        since = next;
    }
done:
    /* What a page whose cursor did not move (or that failed part way) brought goes into inbox/
     * as before, once durable; after a failure to make it so, nothing of it does. */
    if (c.np > 0) {
        struct cg_err e;

        cg_err_clear(&e);
        if (inbox_durable(&c, &e) != CG_OK && rc == CG_OK) {
            *err = e;
            rc = e.code;
        }
    }
    free(c.p);
    *count = c.written;
    free(since);
    cg_buf_free(&cur);
    return rc;
}
