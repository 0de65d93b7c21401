/*
 * spool-transport.c - the transport interface: the directory transport, the choice by
 * [transport] mode, and recording what the transport answered.
 *
 * The directory transport acknowledges every submit at once (a complete file in outbox/ is
 * the hand-over to the port's exchange client) and fetches nothing (the client writes receipts
 * into inbox/). The spool keeps an audit copy in archive/: with the directory transport a hard
 * link made as the file is handed over (the client may take it from outbox/ at once), with a
 * transport that answers, the file itself moved there after the acknowledgement. Either way
 * the archive copy is there before the database says "sent", so the row never claims more
 * than the disk holds.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/log.h"
#include "spool/spool-int.h"

static int dir_submit(void *impl, int outbox_fd, const char *name, struct cg_err *err)
{
    (void)impl;
    if (faccessat(outbox_fd, name, F_OK, AT_SYMLINK_NOFOLLOW) != 0)
        return CG_ERR_SET(err, CG_ERETRY, "outbox/%s: %s", name, strerror(errno));
    return CG_OK;
}

static int dir_fetch(void *impl, int inbox_fd, size_t *count, struct cg_err *err)
{
    (void)impl;
    (void)inbox_fd;
    (void)err;
    *count = 0;
    return CG_OK;
}

static void dir_free(void *impl)
{
    (void)impl;
}

static const struct cg_transport_ops dir_ops = {
    "dir", true, dir_submit, NULL, dir_fetch, dir_free, NULL,
};

int cg_transport_dir_new(const struct cg_conf *conf, struct cg_transport **out, struct cg_err *err)
{
    struct cg_transport *t = calloc(1, sizeof(*t));

    (void)conf;
    if (t == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    t->ops = &dir_ops;
    *out = t;
    return CG_OK;
}

int cg_transport_new(const struct cg_conf *conf, struct cg_transport **out, struct cg_err *err)
{
    const char *mode = cg_conf_get(conf, "transport", "mode");

    if (mode == NULL || strcmp(mode, "dir") == 0)
        return cg_transport_dir_new(conf, out, err);
#ifdef CG_HAVE_TRANSPORT_HTTP
    if (strcmp(mode, "http") == 0)
        return cg_transport_http_new(conf, out, err);
#endif
    return CG_ERR_SET(err, CG_EUNSUPPORTED, "[transport] mode = %s is not in this build", mode);
}

void cg_transport_set_stop(struct cg_transport *t, volatile sig_atomic_t *stop)
{
    if (t != NULL && t->ops != NULL && t->ops->set_stop != NULL)
        t->ops->set_stop(t->impl, stop);
}

void cg_transport_free(struct cg_transport *t)
{
    if (t == NULL)
        return;
    if (t->ops != NULL && t->ops->free != NULL)
        t->ops->free(t->impl);
    free(t);
}

int spool_hand_over(struct cg_spool *sp, char *const *names, size_t n, struct cg_err *err)
{
    size_t i;
    int rc;

    if (n == 0)
        return CG_OK;
    if (sp->t->ops->keeps_outbox) {
        /* Linked first: the client may take the file from outbox/ the moment it is there. */
        for (i = 0; i < n; i++) {
            if (linkat(sp->dfd[D_TMP], names[i], sp->dfd[D_ARCHIVE], names[i], 0) != 0 &&
                errno != EEXIST)
                return CG_ERR_SET(err, CG_EIO, "archive/%s: %s", names[i], strerror(errno));
        }
        rc = cg_fs_fsync_dir_at(sp->dfd[D_ARCHIVE], err);
        if (rc != CG_OK)
            return rc;
    }
    for (i = 0; i < n; i++) {
        if (renameat(sp->dfd[D_TMP], names[i], sp->dfd[D_OUTBOX], names[i]) != 0)
            return CG_ERR_SET(err, CG_EIO, "moving tmp/%s to outbox/: %s", names[i],
                              strerror(errno));
    }
    return cg_fs_fsync_dir_at(sp->dfd[D_OUTBOX], err);
}

/* Audit copy in archive/ after an acknowledgement (already there when linked at hand-over). */
int spool_archive_sent(struct cg_spool *sp, const char *name, struct cg_err *err)
{
    if (sp->t->ops->keeps_outbox) {
        if (linkat(sp->dfd[D_OUTBOX], name, sp->dfd[D_ARCHIVE], name, 0) != 0 && errno != EEXIST &&
            errno != ENOENT)
            return CG_ERR_SET(err, CG_EIO, "archive/%s: %s", name, strerror(errno));
        return CG_OK;
    }
    if (renameat(sp->dfd[D_OUTBOX], name, sp->dfd[D_ARCHIVE], name) != 0 && errno != ENOENT)
        return CG_ERR_SET(err, CG_EIO, "archive/%s: %s", name, strerror(errno));
    return CG_OK;
}

struct mark_ctx {
    struct cg_spool *sp;
    const char *const *guids;
    const int *results;
    const char *const *details;
    size_t n;
};

static int mark_tx(struct cg_store *st, void *vctx, struct cg_err *err)
{
    struct mark_ctx *c = vctx;
    size_t i;
    int rc = CG_OK;

    for (i = 0; i < c->n && rc == CG_OK; i++) {
        int answer = c->results[i] == CG_OK        ? CG_STORE_SENT
                     : c->results[i] == CG_EREJECT ? CG_STORE_REFUSED
                                                   : CG_STORE_RETRY;
        rc = cg_store_msg_answer(st, c->guids[i], answer, c->details != NULL ? c->details[i] : NULL,
                                 err);
    }
    return rc;
}

/* The message file names of the guids with the given results need archiving first. */
int spool_mark_sent(struct cg_spool *sp, const char *const *guids, const int *results,
                    const char *const *details, size_t n, struct cg_err *err)
{
    struct mark_ctx c;
    size_t i;
    long sent = 0, retry = 0, refused = 0;
    int rc;

    for (i = 0; i < n; i++) {
        if (results[i] == CG_OK)
            sent++;
        else if (results[i] == CG_EREJECT)
            refused++;
        else
            retry++;
    }
    c.sp = sp;
    c.guids = guids;
    c.results = results;
    c.details = details;
    c.n = n;
    rc = cg_store_tx(sp->store, mark_tx, &c, err);
    if (rc != CG_OK)
        return rc;
    sp->st.msgs_sent += sent;
    sp->st.msgs_retry += retry;
    sp->st.msgs_refused += refused;
    return CG_OK;
}

/* Archive copies for the acknowledged ones, then one directory flush. */
static int archive_batch(struct cg_spool *sp, char **names, const int *results, size_t n,
                         struct cg_err *err)
{
    size_t i;
    int rc;

    for (i = 0; i < n; i++) {
        if (results[i] != CG_OK)
            continue;
        rc = spool_archive_sent(sp, names[i], err);
        if (rc != CG_OK)
            return rc;
    }
    rc = cg_fs_fsync_dir_at(sp->dfd[D_ARCHIVE], err);
    if (rc == CG_OK && !sp->t->ops->keeps_outbox)
        rc = cg_fs_fsync_dir_at(sp->dfd[D_OUTBOX], err);
    return rc;
}

/* Hand files over one by one, for a transport without submit_many. */
static int submit_each(struct cg_spool *sp, const char *const *names, size_t n, int *results,
                       char **details, struct cg_err *err)
{
    size_t i;

    for (i = 0; i < n; i++) {
        struct cg_err e;
        int r;

        cg_err_clear(&e);
        r = sp->t->ops->submit(sp->t->impl, sp->dfd[D_OUTBOX], names[i], &e);
        results[i] = r;
        if (r == CG_OK)
            continue;
        details[i] = cg_strdup(e.msg[0] ? e.msg : cg_strerror(r));
        if (r == CG_EREJECT || r == CG_ENOTFOUND)
            continue;
        /* The transport cannot go on: the rest is not tried in this pass. */
        for (i++; i < n; i++)
            results[i] = CG_ERETRY;
        if (err != NULL)
            *err = e;
        return r;
    }
    return CG_OK;
}

/* Whether a transport's return value means "no retry can help" (the run fails). */
static bool transport_fatal(int rc)
{
    return rc != CG_OK && rc != CG_ERETRY && rc != CG_ENET;
}

int spool_submit_names(struct cg_spool *sp, char **guids, char **names, size_t n,
                       struct cg_err *err)
{
    int *results = NULL, *sub_results = NULL;
    char **details = NULL, **sub_details = NULL;
    const char **sub_names = NULL;
    size_t *sub_index = NULL;
    size_t i, m = 0;
    struct cg_err te;
    int trc = CG_OK;
    int rc = CG_OK;

    if (n == 0)
        return CG_OK;
    cg_err_clear(&te);
    results = calloc(n, sizeof(*results));
    details = calloc(n, sizeof(*details));
    sub_results = calloc(n, sizeof(*sub_results));
    sub_details = calloc(n, sizeof(*sub_details));
    sub_names = calloc(n, sizeof(*sub_names));
    sub_index = calloc(n, sizeof(*sub_index));
    if (results == NULL || details == NULL || sub_results == NULL || sub_details == NULL ||
        sub_names == NULL || sub_index == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    for (i = 0; i < n; i++) {
        bool in_outbox;

        results[i] = CG_ERETRY;
        if (sp->transport_down)
            continue;
        in_outbox = faccessat(sp->dfd[D_OUTBOX], names[i], F_OK, AT_SYMLINK_NOFOLLOW) == 0;
        if (!in_outbox && faccessat(sp->dfd[D_ARCHIVE], names[i], F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
            /* Handed over and archived before a crash: it went out. */
            results[i] = CG_OK;
            continue;
        }
        if (!in_outbox && sp->t->ops->keeps_outbox) {
            /* The exchange client took it already. */
            results[i] = CG_OK;
            continue;
        }
        sub_names[m] = names[i];
        sub_index[m] = i;
        m++;
    }
    if (m > 0) {
        if (sp->t->ops->submit_many != NULL)
            trc = sp->t->ops->submit_many(sp->t->impl, sp->dfd[D_OUTBOX], sub_names, m, sub_results,
                                          sub_details, &te);
        else
            trc = submit_each(sp, sub_names, m, sub_results, sub_details, &te);
    }
    for (i = 0; i < m; i++) {
        size_t k = sub_index[i];

        details[k] = sub_details[i];
        sub_details[i] = NULL;
        if (sub_results[i] == CG_OK) {
            results[k] = CG_OK;
        } else if (sub_results[i] == CG_EREJECT) {
            results[k] = CG_EREJECT;
            cg_warn("%s: refused by the port: %s", names[k],
                    details[k] != NULL ? details[k] : "(no reason given)");
        } else {
            /* Not acknowledged: stays queued; the same file goes out again later. */
            results[k] = CG_ERETRY;
            if (trc == CG_OK)
                cg_warn("%s: not handed over (%s); kept queued", names[k],
                        details[k] != NULL ? details[k] : cg_strerror(sub_results[i]));
        }
    }
    if (trc != CG_OK) {
        sp->transport_down = true;
        if (!transport_fatal(trc))
            cg_warn("transport %s: %s; unacknowledged messages are kept queued for the next "
                    "run",
                    sp->t->ops->name, te.msg[0] ? te.msg : cg_strerror(trc));
    }
    rc = archive_batch(sp, names, results, n, err);
    if (rc == CG_OK)
        rc = spool_mark_sent(sp, (const char *const *)guids, results, (const char *const *)details,
                             n, err);
    if (rc == CG_OK && transport_fatal(trc)) {
        /* Configuration or security: the operator must act; nothing was marked rejected. */
        rc = trc;
        if (err != NULL) {
            char msg[sizeof(te.msg)];

            cg_strlcpy(msg, te.msg[0] ? te.msg : cg_strerror(trc), sizeof(msg));
            /* A refused answer's message names the setting to check itself (token_file for a
             * 401, the client certificate for a 403, the url otherwise). */
            if (trc == CG_ECRYPTO)
                CG_ERR_SET(err, trc,
                           "transport %s: %s (TLS: check [transport] ca_file, client_cert and "
                           "client_key); the messages stay queued",
                           sp->t->ops->name, msg);
            else
                CG_ERR_SET(err, trc, "transport %s: %s; the messages stay queued", sp->t->ops->name,
                           msg);
        }
    }
done:
    for (i = 0; details != NULL && i < n; i++)
        free(details[i]);
    for (i = 0; sub_details != NULL && i < n; i++)
        free(sub_details[i]);
    free(details);
    free(results);
    free(sub_results);
    free(sub_details);
    free(sub_names);
    free(sub_index);
    return rc;
}

int spool_submit_handed(struct cg_spool *sp, char **guids, char **names, size_t n,
                        struct cg_err *err)
{
    int *results;
    int rc;

    if (n == 0)
        return CG_OK;
    if (!sp->t->ops->keeps_outbox || sp->transport_down)
        return spool_submit_names(sp, guids, names, n, err);
    results = calloc(n, sizeof(*results)); /* all CG_OK */
    if (results == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    rc = spool_mark_sent(sp, (const char *const *)guids, results, NULL, n, err);
    free(results);
    return rc;
}

struct queued {
    char *guids[256], *names[256];
    size_t n;
};

static int queued_add(const struct cg_store_msg *m, void *vctx)
{
    struct queued *q = vctx;

    q->guids[q->n] = cg_strdup(m->guid);
    q->names[q->n] = cg_strdup(m->file_name);
    if (q->guids[q->n] == NULL || q->names[q->n] == NULL) {
        free(q->guids[q->n]);
        free(q->names[q->n]);
        return CG_ENOMEM;
    }
    q->n++;
    return CG_OK;
}

int spool_submit_queued(struct cg_spool *sp, struct cg_err *err)
{
    struct queued q;
    int64_t after = 0;
    size_t i;
    int rc = CG_OK;

    for (;;) {
        if (sp->transport_down || (sp->opts.stop != NULL && *sp->opts.stop))
            break;
        q.n = 0;
        rc = cg_store_msgs_queued(sp->store, &after, 256, queued_add, &q, err);
        if (rc == CG_OK && q.n > 0)
            rc = spool_submit_names(sp, q.guids, q.names, q.n, err);
        else if (rc == CG_ENOMEM)
            CG_ERR_SET(err, rc, "out of memory");
        for (i = 0; i < q.n; i++) {
            free(q.guids[i]);
            free(q.names[i]);
        }
        if (rc != CG_OK || q.n == 0)
            return rc;
        spool_progress(sp, false);
    }
    return rc;
}
