/*
 * spool-run.c - one pass over the working directory (cebgate run) and the watching loop
 * (cebgate watch, inotify).
 *
 * A pass: prune archive/ (at most once a day, see spool_prune_archive; first, so that the scan
 * never reads the files this pass adds, none of them old), fetch receipts from the transport,
 * apply inbox/, submit what earlier runs left queued, take and process incoming/, declare the
 * payment receipts of changed collections, cancellations, departures and summaries, fetch and
 * apply receipts again. A stop request (SIGTERM) is honoured between units
 * of work. The watcher reacts to complete files only (IN_CLOSE_WRITE, IN_MOVED_TO) in incoming/,
 * its seller folders (watched as they appear) and inbox/, and runs a pass at least every
 * retry_secs for the transport.
 *
 * The watcher also looks, once a second and before each pass, whether the files of a signing
 * key it loaded changed (spool_pool_keys_changed), and takes SIGHUP (opts.reload): it loads
 * every key again before the pass and starts a new generation (keys_check). A key that fails
 * to load then stops the pass with a temporary failure, and the next pass tries again: an
 * operator copying a key file in place is seen half written now and then. The key it replaced
 * is not used meanwhile: it was replaced for a reason (renewed, revoked), and what it signs
 * would only be refused again.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/log.h"
#include "spool/spool-int.h"

static bool stopped(struct cg_spool *sp)
{
    return sp->opts.stop != NULL && *sp->opts.stop;
}

static int fetch(struct cg_spool *sp, struct cg_err *err)
{
    size_t n = 0;
    struct cg_err e;
    int rc;

    if (sp->t == NULL || sp->t->ops->fetch == NULL || sp->transport_down)
        return CG_OK;
    cg_err_clear(&e);
    rc = sp->t->ops->fetch(sp->t->impl, sp->dfd[D_INBOX], &n, &e);
    if (rc == CG_OK) {
        sp->receipts_down = false; /* what an earlier fetch of this pass missed came now */
        return CG_OK;
    }
    /* Credentials the port refused (CG_ECONFIG: HTTP 401, 403) are the sender's configuration:
     * its POSTs would be refused too and no run helps until they are fixed, so the pass stops
     * here (exit 2). */
    if (rc == CG_ECONFIG)
        return CG_ERR_SET(err, rc, "transport %s: fetching receipts: %s; the run stops here",
                          sp->t->ops->name, e.msg[0] ? e.msg : cg_strerror(rc));
    /* Otherwise receipts and sending are independent: whatever keeps receipts from being
     * fetched (the port, its receipts URL, a page that cannot be read) is reported and the pass
     * goes on taking and sending files; only sending decides that the transport is down. The
     * run then ends with "temporary" so that it is run again. */
    sp->receipts_down = true;
    if (rc == CG_ERETRY || rc == CG_ENET)
        cg_warn("transport %s: fetching receipts: %s", sp->t->ops->name, e.msg);
    else
        cg_error("transport %s: fetching receipts: %s", sp->t->ops->name,
                 e.msg[0] ? e.msg : cg_strerror(rc));
    return CG_OK;
}

int cg_spool_receipts(struct cg_spool *sp, struct cg_err *err)
{
    int rc = cg_spool_lock_check(sp->lock, err);

    if (rc == CG_OK)
        rc = fetch(sp, err);
    if (rc == CG_OK)
        rc = spool_inbox(sp, err);
    return rc;
}

int cg_spool_run(struct cg_spool *sp, struct cg_err *err)
{
    long sent = sp->st.msgs_sent;
    int rc;

    sp->transport_down = false;
    sp->receipts_down = false;
    rc = cg_spool_lock_check(sp->lock, err);
    if (rc != CG_OK)
        return rc;
    spool_prune_archive(sp);
    rc = fetch(sp, err);
    if (rc == CG_OK && !stopped(sp))
        rc = spool_inbox(sp, err);
    if (rc == CG_OK && !stopped(sp))
        rc = spool_submit_queued(sp, err);
    if (rc == CG_OK && !stopped(sp))
        rc = spool_intake(sp, err);
    if (rc == CG_OK && !stopped(sp))
        rc = spool_payments_step(sp, err);
    if (rc == CG_OK && !stopped(sp))
        rc = spool_cancel_auto(sp, err);
    if (rc == CG_OK && !stopped(sp))
        rc = spool_manifest_step(sp, err);
    if (rc == CG_OK && !stopped(sp))
        rc = spool_summary_auto(sp, err);
    /* Receipts for what this pass sent; not again when the first fetch failed and nothing
     * reached the port since, which would only repeat the same retries and warning. */
    if (rc == CG_OK && !stopped(sp) && (!sp->receipts_down || sp->st.msgs_sent != sent))
        rc = fetch(sp, err);
    if (rc == CG_OK && !stopped(sp))
        rc = spool_inbox(sp, err);
    spool_progress(sp, true);
    if (rc != CG_OK)
        return rc;
    if (stopped(sp))
        return CG_OK;
    if (sp->transport_down) {
        long n = 0;
        rc = cg_store_msgs_queued_count(sp->store, &n, err);
        if (rc != CG_OK)
            return rc;
        if (n > 0)
            return CG_ERR_SET(err, CG_ERETRY,
                              "%ld messages could not be handed to the port; run again later", n);
    }
    /* Say how many messages this pass sent, which may be none. */
    if (sp->receipts_down && sp->st.msgs_sent > sent)
        return CG_ERR_SET(err, CG_ERETRY,
                          "receipts could not be fetched (see above); %ld message%s sent; run "
                          "again later",
                          sp->st.msgs_sent - sent, sp->st.msgs_sent - sent == 1 ? "" : "s");
    if (sp->receipts_down)
        return CG_ERR_SET(err, CG_ERETRY,
                          "receipts could not be fetched (see above); no message was sent; run "
                          "again later");
    return CG_OK;
}

/*
 * Before a pass of `watch`: after SIGHUP, or when a signing key's files changed, or when the
 * last reload failed, load the keys again. Then a new generation starts: the payment receipts
 * mark is taken again, so that a CEB403 the E-Port refused before storing it and declared
 * before now goes out once more, as a new process would send it (spool-payments.c). A key
 * that does not load is CG_ERETRY: the pass does not run.
 */
static int keys_check(struct cg_spool *sp, struct cg_err *err)
{
    bool hup = sp->opts.reload != NULL && *sp->opts.reload;
    bool changed;
    struct cg_err e;
    int rc;

    if (hup)
        *sp->opts.reload = 0;
    changed = spool_pool_keys_changed(sp->pool);
    if (!hup && !changed && !sp->keys_bad)
        return CG_OK;
    cg_err_clear(&e);
    rc = spool_pool_keys_reload(sp->pool, &e);
    if (rc != CG_OK) {
        sp->keys_bad = true;
        return CG_ERR_SET(err, CG_ERETRY,
                          "%s%s; nothing is signed until it loads (the key it replaced is not "
                          "used): tried again at the next pass",
                          changed ? "a signing key file changed: " : "",
                          e.msg[0] != '\0' ? e.msg : cg_strerror(rc));
    }
    spool_event(sp, CG_SPOOL_EV_FILE,
                "%s: signing keys loaded again; payment receipts (CEB403), bills (CEB607, "
                "CEB509) and summaries (CEB701) the port refused before storing them are "
                "declared again",
                hup       ? "SIGHUP"
                : changed ? "a signing key, certificate or passphrase file changed"
                          : "signing keys that failed to load");
    sp->keys_bad = false;
    sp->pay_mark_set = false; /* a new generation */
    return CG_OK;
}

struct watch {
    int fd;
    int incoming_wd, inbox_wd;
};

static void watch_sellers(struct cg_spool *sp, struct watch *w)
{
    char *in = cg_fs_join(sp->workdir, "incoming");
    int fd;
    DIR *d;
    struct dirent *de;

    if (in == NULL)
        return;
    fd = openat(sp->dfd[D_INCOMING], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        free(in);
        return;
    }
    while ((de = readdir(d)) != NULL) {
        char *p;
        if (de->d_type != DT_DIR || cg_spool_name_problem(de->d_name) != NULL ||
            de->d_name[0] == '.')
            continue;
        p = cg_fs_join(in, de->d_name);
        /* IN_DONT_FOLLOW: a symbolic link posing as a seller folder is not watched. */
        if (p != NULL)
            inotify_add_watch(w->fd, p, IN_CLOSE_WRITE | IN_MOVED_TO | IN_DONT_FOLLOW | IN_ONLYDIR);
        free(p);
    }
    closedir(d);
    free(in);
}

int cg_spool_watch(struct cg_spool *sp, int retry_secs, struct cg_err *err)
{
    struct watch w;
    char *p = NULL;
    int64_t next_pass;
    int rc = CG_OK;

    w.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (w.fd < 0)
        return CG_ERR_SET(err, CG_EIO, "inotify: %s", strerror(errno));
    p = cg_fs_join(sp->workdir, "incoming");
    w.incoming_wd = p != NULL ? inotify_add_watch(w.fd, p,
                                                  IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE |
                                                      IN_DONT_FOLLOW | IN_ONLYDIR)
                              : -1;
    free(p);
    p = cg_fs_join(sp->workdir, "inbox");
    w.inbox_wd =
        p != NULL
            ? inotify_add_watch(w.fd, p, IN_CLOSE_WRITE | IN_MOVED_TO | IN_DONT_FOLLOW | IN_ONLYDIR)
            : -1;
    free(p);
    if (w.incoming_wd < 0 || w.inbox_wd < 0) {
        rc = CG_ERR_SET(err, CG_EIO, "inotify_add_watch: %s", strerror(errno));
        goto done;
    }
    watch_sellers(sp, &w);
    if (retry_secs <= 0)
        retry_secs = 60;
    next_pass = 0; /* a pass at once */
    while (!stopped(sp)) {
        struct pollfd pfd;
        bool changed = false;
        int64_t now = spool_now_ms();
        int timeout;
        /* Every second: a lock file removed under us means another process may start here. */
        rc = cg_spool_lock_check(sp->lock, err);
        if (rc != CG_OK)
            goto done;
        /* A key file replaced or SIGHUP: a pass now, which loads the keys first. */
        if ((sp->opts.reload != NULL && *sp->opts.reload) || spool_pool_keys_changed(sp->pool))
            next_pass = 0;
        if (now >= next_pass) {
            struct cg_err e;
            cg_err_clear(&e);
            rc = keys_check(sp, &e);
            if (rc == CG_OK)
                rc = cg_spool_run(sp, &e);
            if (rc == CG_ERETRY) {
                cg_warn("%s", e.msg);
                rc = CG_OK;
            } else if (rc != CG_OK) {
                if (err != NULL)
                    *err = e;
                goto done;
            }
            next_pass = spool_now_ms() + (int64_t)retry_secs * 1000;
            continue;
        }
        /* Short waits so a stop request is seen within a second even without EINTR. */
        timeout = (int)(next_pass - now < 1000 ? next_pass - now : 1000);
        pfd.fd = w.fd;
        pfd.events = POLLIN;
        pfd.revents = 0;
        if (poll(&pfd, 1, timeout) <= 0)
            continue;
        for (;;) {
            char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
            ssize_t r = read(w.fd, buf, sizeof(buf));
            char *q;
            if (r <= 0)
                break;
            for (q = buf; q < buf + r;) {
                const struct inotify_event *ev = (const struct inotify_event *)(void *)q;
                /* A created file is not complete yet; a created folder is a new seller. */
                if (ev->len > 0 && !cg_spool_name_ignored(ev->name) &&
                    (!(ev->mask & IN_CREATE) || (ev->mask & IN_ISDIR))) {
                    changed = true;
                    if (ev->wd == w.incoming_wd && (ev->mask & IN_ISDIR))
                        watch_sellers(sp, &w);
                }
                if (ev->mask & IN_Q_OVERFLOW)
                    changed = true;
                q += sizeof(struct inotify_event) + ev->len;
            }
        }
        if (changed)
            next_pass = 0;
    }
done:
    close(w.fd);
    return rc;
}
