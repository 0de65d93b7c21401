/*
 * spool-recover.c - finish what a crash left, before anything new is taken.
 *
 * Invariants kept by the writer (spool-file.c): a message file is complete on disk in tmp/
 * before its row is committed (staged = 1), and it appears in outbox/ only after the commit.
 * With the directory transport a file is linked into archive/ (and archive/ flushed) before
 * it is renamed into outbox/, so once it has left tmp/ archive/ keeps it whatever the exchange
 * client does with outbox/. So on start, for every staged row:
 *   file in tmp/                  -> finish it: hand it over (spool_hand_over), clear staged;
 *                                    it may already be linked into archive/;
 *   file in outbox/ or archive/   -> the publish step was done: clear staged;
 *   file nowhere (disk lost it)   -> no one ever saw that guid: the message row is dropped and
 *                                    the document goes back to its previous version (or away),
 *                                    and the order's hash is cleared so the input file, still
 *                                    in active/, declares it again when it is resumed.
 * Every file left in tmp/ after that belongs to an uncommitted batch and is removed; those
 * orders are not recorded and are declared when their file is resumed.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/log.h"
#include "spool/spool-int.h"

struct staged {
    int64_t id, doc;
    int version;
    char *name;
    int action; /* 0 clear, 1 lost */
};

struct rec_ctx {
    struct staged *v;
    size_t n;
};

static int rec_tx(struct cg_store *st, void *vctx, struct cg_err *err)
{
    struct rec_ctx *c = vctx;
    size_t i;
    int rc = CG_OK;

    for (i = 0; i < c->n && rc == CG_OK; i++) {
        struct staged *s = &c->v[i];
        if (s->action == 0)
            rc = cg_store_msg_unstage(st, s->id, err);
        else
            /* Back to the previous version of the document, or no document at all. */
            rc = cg_store_msg_forget(st, s->id, s->doc, s->version, err);
    }
    return rc;
}

struct staged_list {
    struct rec_ctx *c;
    size_t cap;
};

static int staged_add(const struct cg_store_msg *m, void *vctx)
{
    struct staged_list *l = vctx;
    struct rec_ctx *c = l->c;

    if (c->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        struct staged *g = realloc(c->v, cap * sizeof(*g));
        if (g == NULL)
            return CG_ENOMEM;
        c->v = g;
        l->cap = cap;
    }
    memset(&c->v[c->n], 0, sizeof(c->v[0]));
    c->v[c->n].id = m->id;
    c->v[c->n].doc = m->doc_id;
    c->v[c->n].version = m->version;
    c->v[c->n].name = cg_strdup(m->file_name);
    c->n++;
    return CG_OK;
}

static bool exists_in(int dfd, const char *name)
{
    return faccessat(dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static void clean_tmp(struct cg_spool *sp)
{
    int fd = openat(sp->dfd[D_TMP], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d;
    struct dirent *de;
    long n = 0;

    if (fd < 0)
        return;
    d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return;
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (unlinkat(sp->dfd[D_TMP], de->d_name, 0) == 0)
            n++;
    }
    closedir(d);
    if (n > 0) {
        cg_info("tmp/: removed %ld message files of an unfinished unit of work", n);
        fsync(sp->dfd[D_TMP]);
    }
}

int spool_recover(struct cg_spool *sp, struct cg_err *err)
{
    struct rec_ctx c;
    struct staged_list l;
    char **names = NULL;
    size_t i;
    long moved = 0, lost = 0;
    int rc = CG_OK;

    memset(&c, 0, sizeof(c));
    l.c = &c;
    l.cap = 0;
    rc = cg_store_msgs_staged(sp->store, staged_add, &l, err);
    if (rc == CG_ENOMEM)
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    if (rc != CG_OK)
        goto done;
    names = calloc(c.n + 1, sizeof(*names));
    if (names == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    for (i = 0; i < c.n; i++) {
        struct staged *s = &c.v[i];
        if (s->name == NULL || !cg_fs_name_ok(s->name)) {
            s->action = 1;
        } else if (exists_in(sp->dfd[D_TMP], s->name)) {
            /* Checked first: a crash between the archive link and the move into outbox/
             * leaves the file in tmp/ and archive/, and it was never handed over. */
            names[moved++] = s->name;
        } else if (exists_in(sp->dfd[D_OUTBOX], s->name) ||
                   exists_in(sp->dfd[D_ARCHIVE], s->name)) {
            s->action = 0;
        } else {
            cg_warn("recovery: message file %s was recorded but is gone: its order is "
                    "declared again with a new guid",
                    s->name);
            s->action = 1;
            lost++;
        }
    }
    if (c.n > 0) {
        rc = spool_hand_over(sp, names, (size_t)moved, err);
        if (rc != CG_OK) {
            cg_err_prefix(err, "recovery");
            goto done;
        }
        rc = cg_store_tx(sp->store, rec_tx, &c, err);
        if (rc != CG_OK)
            goto done;
    }
    clean_tmp(sp);
    sp->st.recovered += moved + lost;
    if (moved + lost > 0)
        cg_info("recovery: %ld message files finished, %ld to be declared again", moved, lost);
done:
    for (i = 0; i < c.n; i++)
        free(c.v[i].name);
    free(c.v);
    free(names);
    return rc;
}
