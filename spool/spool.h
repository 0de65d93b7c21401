/*
 * spool.h - the spool: crash-safe order folders, the batch driver, and the transports that hand
 * signed messages to the electronic port (a folder, or HTTP(S)).
 *
 * Library code only: every function returns enum cg_rc and fills struct cg_err; nothing here
 * prints or exits.
 */
#ifndef CG_SPOOL_H
#define CG_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/conf.h"
#include "core/err.h"

/* ------------------------------------------------------------------ HTTP transport */
/*
 * The sender side of the HTTP(S) transport (spool/spool-http*.c, docs/http-transport.md).
 *
 * cg_http_send() POSTs a batch of messages (the caller's bytes: a signed CEB message, bare or
 * DXP-wrapped) to [transport] url, up to `parallel` at a time over reused keep-alive
 * connections, and reports one outcome per message through a callback as soon as it is final
 * for this call:
 *   CG_HTTP_ACKED       the port acknowledged the message: only now may it be marked sent;
 *   CG_HTTP_REJECTED    final rejection (a 4xx, or a 2xx whose body says "rejected"): code and
 *                       text come from the port's answer (or the HTTP status and body);
 *   CG_HTTP_RETRY_LATER not acknowledged: the port was unreachable, timed out, answered 429 or
 *                       5xx until max_retries or retry_deadline ran out, or the transport gave
 *                       up on the batch. Send it again later with the same guid.
 * A message that never got an outcome (the process died) is unacknowledged: re-send it with
 * the same guid; the port deduplicates by guid.
 *
 * Timeouts, connection errors, 408, 429 and 5xx are retried with exponential backoff and
 * jitter (retry_base_ms doubling up to retry_max_delay), never earlier than a Retry-After
 * (seconds or an HTTP date) allows. A message's retries stop after max_retries or when
 * retry_deadline seconds have passed since its first attempt; from then on the transport
 * treats the port as unavailable and returns the rest of the batch as CG_HTTP_RETRY_LATER
 * without trying it (the run ends with exit code 75 and is repeated later).
 *
 * TLS peer and host verification are always on; ca_file adds the CA that verifies the port.
 * A client certificate and key enable mutual TLS; the key's passphrase is read from a file or
 * an environment variable only, and never logged.
 *
 * A struct cg_http is used by one thread at a time.
 */
struct cg_http;

/* Settings; strings are borrowed for the duration of cg_http_new(). */
struct cg_http_opts {
    const char *url;           /* POST target; NULL when only receipts are polled */
    const char *receipts_url;  /* GET target of cg_http_receipts_*(); NULL: not used */
    const char *ca_file;       /* PEM CA bundle; NULL: the system's store */
    const char *client_cert;   /* PEM client certificate for mutual TLS, or NULL */
    const char *client_key;    /* PEM client key, or NULL (then client_cert holds the key) */
    const char *key_pass_file; /* file whose first line is the client key passphrase */
    const char *key_pass_env;  /* environment variable holding the passphrase */
    long parallel;             /* transfers in flight, 1..64 (0: 4) */
    long connect_timeout_ms;   /* 0: 10000 */
    long timeout_ms;           /* whole transfer; 0: 60000 */
    long max_retries;          /* retries after the first attempt; -1: 8 */
    long retry_deadline_ms;    /* per message, from its first attempt; 0: 600000 */
    long retry_base_ms;        /* first backoff delay; 0: 500 */
    long retry_max_delay_ms;   /* ceiling of one backoff delay; 0: 60000 */
};

/* Settings from [transport] of conf. Path strings point into *paths (free with
 * cg_http_opts_paths_free() after cg_http_new()). */
struct cg_http_opts_paths {
    char *ca_file, *client_cert, *client_key, *key_pass_file;
};
int cg_http_opts_from_conf(const struct cg_conf *conf, struct cg_http_opts *o,
                           struct cg_http_opts_paths *paths, struct cg_err *err);
void cg_http_opts_paths_free(struct cg_http_opts_paths *paths);

/* Check the options, read the key passphrase, set up the curl multi handle. *out: caller's. */
int cg_http_new(const struct cg_http_opts *o, struct cg_http **out, struct cg_err *err);
void cg_http_free(struct cg_http *h);

enum cg_http_result {
    CG_HTTP_ACKED = 1,
    CG_HTTP_REJECTED = 2,
    CG_HTTP_RETRY_LATER = 3,
};

/* One message to send; the bytes are borrowed until cg_http_send() returns. */
struct cg_http_msg {
    const char *guid; /* the message's guid (for logs and to check the port's answer) */
    const void *body;
    size_t len;
    const char *content_type; /* NULL: "application/xml" */
    void *user;               /* the caller's, handed back in the outcome */
};

/* What became of one message. Strings are borrowed for the duration of the callback. */
struct cg_http_outcome {
    enum cg_http_result result;
    long http_status;   /* last HTTP status; 0 when no answer came */
    const char *code;   /* REJECTED: the port's code ("0002", ...) or the HTTP status; else "" */
    const char *text;   /* REJECTED: the port's text or the response body; RETRY_LATER: why */
    int attempts;       /* requests made for it in this call */
    long retry_after_s; /* RETRY_LATER: the port's last Retry-After in seconds, else 0 */
    bool duplicate;     /* ACKED: the port had accepted this guid before (a re-send) */
    const char *answer; /* the port's last answer body as received (at most 64 KiB), or "" */
};

/*
 * Called once per message, in completion order. A non-zero return stops the batch: messages
 * not yet final get no outcome, and cg_http_send() returns that value.
 */
typedef int (*cg_http_outcome_fn)(const struct cg_http_msg *m, const struct cg_http_outcome *o,
                                  void *ctx);

/*
 * Send n messages. Returns CG_OK when every message got an outcome (whatever it was), the
 * callback's non-zero value, or a hard error (CG_ENOMEM, CG_ECONFIG: no url) before or while
 * sending; the messages reported before a hard error keep their outcome.
 */
int cg_http_send(struct cg_http *h, const struct cg_http_msg *msgs, size_t n, cg_http_outcome_fn fn,
                 void *ctx, struct cg_err *err);

/* Counters since cg_http_new(): requests made, connections opened (keep-alive reuse shows as
 * connections < requests), and retries scheduled. */
struct cg_http_stats {
    long requests;
    long connections;
    long retries;
};
void cg_http_get_stats(const struct cg_http *h, struct cg_http_stats *out);

/* One receipt from the port; strings borrowed for the duration of the callback, "" when the
 * port did not send the field. */
struct cg_http_receipt {
    const char *id;       /* the port's receipt id, as text; apply each id once */
    const char *type;     /* root element name, e.g. "CEB604Message" */
    const char *guid;     /* the receipt message's guid */
    const char *doc_guid; /* guid of the document it answers */
    const char *status;   /* returnStatus, e.g. "120" */
    const char *xml;      /* the receipt message (decoded from base64), NUL-terminated */
    size_t len;
};
typedef int (*cg_http_receipt_fn)(const struct cg_http_receipt *r, void *ctx);

/*
 * Fetch one page: GET receipts_url?since=<since> (since NULL or "": "0"). fn is called for each
 * receipt in order; then *next (caller frees) holds the cursor to store and pass next time and
 * *count the number of receipts on the page (0: nothing new); *more (may be NULL) is true when
 * the port said more receipts are waiting (or, without that field, when the page was not
 * empty). The same backoff rules as
 * sending apply; CG_ERETRY when the port stayed unavailable, CG_EREJECT for a 4xx, CG_EPARSE
 * for an answer that is not the receipts format, or fn's non-zero return (then *next is not
 * written: the page must be fetched again and the ids already applied skipped).
 */
int cg_http_receipts_page(struct cg_http *h, const char *since, cg_http_receipt_fn fn, void *ctx,
                          char **next, size_t *count, bool *more, struct cg_err *err);

/*
 * Fetch pages from since until the port has no more, calling fn per receipt and cursor_fn with the
 * new cursor after each page's receipts (the caller stores it in the same transaction as the page's
 * receipt ids). *total: receipts handed over. Errors as cg_http_receipts_page().
 */
int cg_http_receipts_poll(struct cg_http *h, const char *since, cg_http_receipt_fn fn,
                          int (*cursor_fn)(const char *next, void *ctx), void *ctx, size_t *total,
                          struct cg_err *err);
/*
 * The transport on the spool's folders. Send the message files dirfd/names[0..n) (regular
 * files, no symlinks, names checked) as one parallel batch; guids[i] (or NULL: the name) is
 * used in logs. results[i]: CG_OK acknowledged, CG_EREJECT refused for good, CG_ERETRY not
 * acknowledged, CG_ENOTFOUND / CG_EIO the file could not be read (not sent); details[i]
 * (caller frees, NULL for CG_OK) says why ("code: text" for a rejection). Returns as
 * cg_http_send().
 */
int cg_http_send_files(struct cg_http *h, int dirfd, const char *const *names,
                       const char *const *guids, size_t n, int *results, char **details,
                       struct cg_err *err);

/*
 * Poll receipts from the cursor stored in state_fd/cursor_name (none: from the start) and write
 * each receipt as a complete file inbox_fd/"http-receipt-<id>.xml" (the same id always gives
 * the same name; an id that cannot be a file name fails the page). After a page's files are
 * flushed, the new cursor is written atomically. *count: receipt files written. Errors as
 * cg_http_receipts_page().
 */
int cg_http_fetch_to_dir(struct cg_http *h, int inbox_fd, int state_fd, const char *cursor_name,
                         size_t *count, struct cg_err *err);
/* ------------------------------------------------------------------ end HTTP transport */

#endif
