/*
 * spool-http-transport.c - the HTTP transport behind the spool's transport interface
 * (struct cg_transport_ops): submit_many POSTs a batch of outbox files in parallel and says
 * per file whether the port acknowledged or refused it (submit: one file), fetch polls the
 * receipts endpoint into inbox/.
 *
 * Owns the struct cg_http and a descriptor of the working directory, where the receipts
 * cursor is kept. The spool's stop flag reaches the struct cg_http through set_stop, so a
 * stop request cuts retries short; what was not acknowledged stays queued. Never acknowledges what
 * the port did not acknowledge: every answer other than an acknowledgement or a final rejection is
 * a temporary failure for the spool.
 */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/err.h"
#include "core/log.h"
#include "spool/spool-http-int.h"
#include "spool/spool.h"

#define CURSOR_NAME "http-receipts.cursor"

struct http_transport {
    struct cg_http *h;
    int state_fd; /* the working directory */
};

static int http_submit_many(void *impl, int outbox_fd, const char *const *names, size_t n,
                            int *results, char **details, struct cg_err *err)
{
    struct http_transport *t = impl;

    return cg_http_send_files(t->h, outbox_fd, names, NULL, n, results, details, err);
}

static int http_submit(void *impl, int outbox_fd, const char *name, struct cg_err *err)
{
    const char *names[1] = {name};
    char *detail = NULL;
    int result = CG_ERETRY;
    int rc;

    rc = http_submit_many(impl, outbox_fd, names, 1, &result, &detail, err);
    if (result == CG_OK)
        rc = CG_OK;
    else
        /* The outcome's words; a transport that gave up (untrusted port, wrong URL) keeps
         * its own code, which the spool treats as "kept queued". */
        rc = CG_ERR_SET(err, result == CG_ERETRY && rc != CG_OK ? rc : result, "%s",
                        detail != NULL ? detail : cg_strerror(result));
    free(detail);
    return rc;
}

static int http_fetch(void *impl, int inbox_fd, size_t *count, struct cg_err *err)
{
    struct http_transport *t = impl;

    *count = 0;
    if (t->h->receipts_url == NULL)
        return CG_OK; /* receipts come into inbox/ some other way */
    return cg_http_fetch_to_dir(t->h, inbox_fd, t->state_fd, CURSOR_NAME, count, err);
}

static void http_free(void *impl)
{
    struct http_transport *t = impl;

    if (t == NULL)
        return;
    cg_http_free(t->h);
    if (t->state_fd >= 0)
        close(t->state_fd);
    free(t);
}

static void http_set_stop(void *impl, volatile sig_atomic_t *stop)
{
    struct http_transport *t = impl;

    cg_http_set_stop(t->h, stop);
}

static const struct cg_transport_ops http_ops = {
    "http", false, http_submit, http_submit_many, http_fetch, http_free, http_set_stop,
};

int cg_transport_http_new(const struct cg_conf *conf, struct cg_transport **out, struct cg_err *err)
{
    struct cg_http_opts o;
    struct cg_http_opts_paths paths;
    struct http_transport *impl = NULL;
    struct cg_transport *t = NULL;
    char *workdir = NULL;
    int rc;

    memset(&paths, 0, sizeof(paths));
    impl = calloc(1, sizeof(*impl));
    t = calloc(1, sizeof(*t));
    if (impl == NULL || t == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    impl->state_fd = -1;
    if ((rc = cg_http_opts_from_conf(conf, &o, &paths, err)) != CG_OK)
        goto done;
    if (o.url == NULL) {
        rc = CG_ERR_SET(err, CG_ECONFIG, "[transport] mode = http needs [transport] url");
        goto done;
    }
    if ((rc = cg_http_new(&o, &impl->h, err)) != CG_OK)
        goto done;
    workdir = cg_conf_workdir(conf);
    if (workdir == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    impl->state_fd = open(workdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (impl->state_fd < 0) {
        rc = CG_ERR_SET(err, CG_EIO, "%s: cannot open the working directory", workdir);
        goto done;
    }
    t->ops = &http_ops;
    t->impl = impl;
    *out = t;
    t = NULL;
    impl = NULL;
    rc = CG_OK;
done:
    http_free(impl);
    free(t);
    free(workdir);
    cg_http_opts_paths_free(&paths);
    return rc;
}

int cg_transport_http_submit_many(struct cg_transport *t, int outbox_fd, const char *const *names,
                                  size_t n, int *results, char **details, struct cg_err *err)
{
    if (t == NULL || t->ops != &http_ops)
        return CG_ERR_SET(err, CG_EINVAL, "not an HTTP transport");
    return http_submit_many(t->impl, outbox_fd, names, n, results, details, err);
}
