/*
 * spool.h - the crash-safe spool: dropped order files in, signed declarations out, receipts
 * followed through the declaration lifecycle in SQLite.
 *
 * Working directory (docs/spool.md has the whole story):
 *   incoming/          files dropped by sellers; incoming/<seller>/ selects [seller.<seller>]
 *   active/            files being processed (same <seller>/ layout)
 *   done/ failed/      finished input, kept as is; failed/NAME.reason says why
 *   outbox/ inbox/     signed messages for the port, receipts from the port
 *   archive/           what was sent and received, kept [spool] archive_days
 *   tmp/               messages being written (not yet committed); cleaned on start
 *   cebgate.lock       one process per working directory (holds the PID)
 *
 * Unit of work: a batch of orders from one file. Its messages are built, validated, signed and
 * written to tmp/ by worker threads, flushed to disk, then recorded in ONE SQLite transaction,
 * then renamed into outbox/. A message file is in outbox/ only once its row is committed, and a
 * committed row whose file is still in tmp/ is finished on the next start (cg_spool_open).
 * So a crash at any instant leaves every order either not started or declared exactly once.
 *
 * Transport interface. A transport hands the files in outbox/ to the port and brings receipts
 * into inbox/. It is a table of functions (struct cg_transport_ops) and a pointer to its own
 * state; cg_spool_run() calls:
 *   submit_many(impl, outbox_fd, names, n, results, details, err)  with the queued message
 *       files outbox/<names[0..n)> of a unit of work (or of the queue left by earlier runs), all
 *       at once so a transport can send them in parallel. results[i] per message:
 *       CG_OK      the port acknowledged it (document state becomes "sent");
 *       CG_EREJECT the port refused it for good: document state "rejected", details[i]
 *                  (caller frees) says why, "code: text" as the port put it;
 *       anything else: not acknowledged; the message stays queued and the same file (same
 *                  guid, same bytes) is handed over again later; details[i] may say why.
 *       The return value says whether the transport can go on: CG_OK; CG_ERETRY the port is
 *       unavailable for now (timeouts, unreachable, 5xx until the retries ran out: the run
 *       ends with exit 75); CG_ECRYPTO or CG_ECONFIG no retry can help (the port's certificate
 *       is not trusted, a wrong URL, a refused or missing client certificate): the run stops
 *       and fails, and no message is marked rejected for it. err says why.
 *   submit(impl, outbox_fd, name, err)  the same for one file (CG_OK, CG_EREJECT with err
 *       saying why, CG_ERETRY, CG_ECRYPTO, CG_ECONFIG); used when submit_many is NULL.
 *   fetch(impl, inbox_fd, &count, err)  before and after submitting: store every new receipt
 *       as a complete file in inbox/ (cg_fs_write_atomic_at) and count them; CG_ERETRY when
 *       the port could not be reached; CG_ECONFIG when it refused the credentials (the run
 *       stops: its messages would be refused too). Any other failure is reported and the run
 *       goes on sending, then ends with CG_ERETRY.
 *   free(impl)
 *   set_stop(impl, stop)  (may be NULL) cg_spool_open hands over opts->stop: once it is set, a
 *       transport that waits for the port returns soon, everything not acknowledged as not
 *       acknowledged, and CG_ERETRY; the run then ends as stopped (cg_spool_run: CG_OK).
 * keeps_outbox says whether the outbox file itself is the hand-over (directory transport: an
 * exchange client collects it; the spool links a copy into archive/), or a staging copy the
 * spool moves to archive/ after the acknowledgement (HTTP transport).
 * The directory transport (cg_transport_dir_new) is the default: submit acknowledges at once,
 * since a complete file in outbox/ is what the exchange client takes; fetch has nothing to do,
 * since the client drops receipts into inbox/ itself.
 * The HTTP transport lives in spool/spool-http*.c; its block below declares
 * cg_transport_http_new() and defines CG_HAVE_TRANSPORT_HTTP, which switches on
 * `[transport] mode = http` in cg_transport_new().
 */
#ifndef CG_SPOOL_H
#define CG_SPOOL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "core/conf.h"
#include "store/store.h"
#include "core/err.h"
#include "lifecycle/lifecycle.h"

/* ------------------------------------------------------------------ transport */

struct cg_transport_ops {
    const char *name;  /* "dir", "http" */
    bool keeps_outbox; /* true: the outbox file is the hand-over itself */
    int (*submit)(void *impl, int outbox_fd, const char *name, struct cg_err *err);
    /* May be NULL: then submit is called once per file. */
    int (*submit_many)(void *impl, int outbox_fd, const char *const *names, size_t n, int *results,
                       char **details, struct cg_err *err);
    int (*fetch)(void *impl, int inbox_fd, size_t *count, struct cg_err *err);
    void (*free)(void *impl);
    /* May be NULL: a transport that never waits. Otherwise it keeps the flag and, once it is
     * set, ends a submit_many, submit or fetch within a fraction of a second (see
     * cg_transport_set_stop). */
    void (*set_stop)(void *impl, volatile sig_atomic_t *stop);
};

struct cg_transport {
    const struct cg_transport_ops *ops;
    void *impl;
};

/* The directory transport. *out is the caller's (cg_transport_free). */
int cg_transport_dir_new(const struct cg_conf *conf, struct cg_transport **out, struct cg_err *err);
/* The transport [transport] mode names. CG_EUNSUPPORTED when this build lacks it. */
int cg_transport_new(const struct cg_conf *conf, struct cg_transport **out, struct cg_err *err);
void cg_transport_free(struct cg_transport *t);
/*
 * Give the transport the stop flag (cg_spool_open does it with opts->stop; NULL: none). While
 * the flag is set, a transport that waits (HTTP: backoff, Retry-After, a slow port) stops
 * waiting: what the port acknowledged already is reported as acknowledged, everything else
 * as not acknowledged (kept queued, sent again by the next run), and the call returns
 * CG_ERETRY. The flag is read, never written; it must outlive the transport's use.
 */
void cg_transport_set_stop(struct cg_transport *t, volatile sig_atomic_t *stop);

/* ------------------------------------------------------------------ receipts */

/* What the spool knows about the message a receipt's guid names (borrowed strings). */
struct cg_receipt_target {
    int msg_type;             /* 303, 505, 603, ... */
    const char *business_key; /* orderNo (303, 403), logisticsNo (505), copNo (the others) */
    const char *order_no;     /* the order's number */
};
/*
 * Whether a receipt entity belongs to the message its guid names. The receipt type must answer
 * the message type (CEB304 for CEB303, CEB506 for CEB505, CEB604 for CEB603, ...; CEB702 or
 * CEB792 for CEB701; a CEB900 for any), it must carry the document's business key (orderNo,
 * logisticsNo or copNo as above), an orderNo it carries must be the order's, and a preNo
 * (at most 18) or invtNo (at most 20 letters and digits) must be well formed. Returns true when
 * it matches; else false with the reason in why.
 */
struct cg_receipt_event;
bool cg_receipt_matches(const struct cg_receipt_event *e, const struct cg_receipt_target *t,
                        char *why, size_t size);

/* ------------------------------------------------------------------ names and lock */

/*
 * Why a spool directory entry cannot be taken as an input file name, or NULL when it can.
 * Besides cg_fs_name_ok() this refuses names that look like path parts ("..", "..\x") and
 * names longer than 188 bytes.
 */
const char *cg_spool_name_problem(const char *name);
/* True for entries the spool leaves alone: "*.part" (still being written) and hidden names. */
bool cg_spool_name_ignored(const char *name);

struct cg_spool_lock;

/*
 * Take dir/cebgate.lock: an flock'ed file holding our PID. Held by a live process: CG_EBUSY
 * naming its PID. A lock file left by a dead process is taken over (*stale_pid set, else 0).
 */
int cg_spool_lock_take(const char *dir, struct cg_spool_lock **out, long *stale_pid,
                       struct cg_err *err);
void cg_spool_lock_release(struct cg_spool_lock *l);
/*
 * CG_OK while DIR/cebgate.lock is still the file this lock holds; CG_EBUSY when it was removed
 * or replaced (another process may have taken a new lock): the holder must stop.
 */
int cg_spool_lock_check(const struct cg_spool_lock *l, struct cg_err *err);

/* ------------------------------------------------------------------ the spool */

struct cg_spool;

/*
 * The kind of a rejection message "file:line: order <no>: reason" into out (size bytes, always
 * terminated), by which like rejections are grouped: the reason with each quoted value written
 * '…', each hexadecimal code 0xN or U+N, and each number where the reason gives a value ("on
 * line N", "at position N", "given total N") written N. The fixed wording stays as written,
 * digits included: a parenthesised explanation ("(… or ISO 8601)", "(qty, N19,5)", "(a number
 * has no ',': … 1024.50)") is copied whole, and a number after any other word ("ISO 3166",
 * "from 1 to 999999999") is kept. A message of another shape is taken whole (spool-kind.c).
 */
void cg_spool_reason_kind(const char *msg, char *out, size_t size);

/*
 * The words of the rejection of an order changed after customs concluded one of its documents
 * (399 and later): no corrected file can declare the change; it needs a cancellation or, once
 * the goods have left, a return.
 */
#define CG_SPOOL_CONCLUDED_CHANGE "changed after customs reached state"

/* Counters of one run (or of one watch pass), for the summary and the progress bar. */
#define CG_SPOOL_REASONS 16
/* One group of like reasons and how many there were. */
struct cg_spool_group {
    char text[160];
    long count;
};
struct cg_spool_stats {
    long files_seen;  /* files found in incoming/ at the start */
    long files_taken; /* files moved to active/ and processed */
    long files_done, files_failed, files_duplicate;
    /* Taken and still in active/ (a temporary failure or a stop): the next run, or the next
     * pass of watch, resumes them; one this process resumes is counted as taken once. */
    long files_left;
    /* Sellers whose files wait because an order needed a setting their configuration lacks
     * (spool_seller_held): any makes the run's exit status 2. */
    long sellers_held;
    long orders_read; /* orders read from files (accepted + rejected + unchanged) */
    long orders_new, orders_modified, orders_unchanged, orders_rejected;
    /*
     * Later copies: orders a file took (found unchanged, or changed and declared again) that
     * an earlier file of the run took already. Each order counts once above, by the first file
     * of the run that took it; its later files' copies count here (each file's own counts, in
     * its line and `cebgate status FILE`, still hold them).
     */
    long orders_again_unchanged, orders_again_modified;
    /* Rejected by a later file after an earlier file of the run took the order: counted here,
     * not in orders_rejected (an order counts once, in one state; docs/spool.md). */
    long orders_again_rejected;
    /* Orders rejected, each time a file rejected one (however the counts above count it): any
     * makes the run's exit status 1. */
    long rejections;
    long msgs_signed, msgs_queued, msgs_sent, msgs_retry, msgs_refused;
    long receipts_applied, receipts_duplicate, receipts_late, receipts_unknown;
    long receipts_mismatch; /* type or business keys differ from the guid's message */
    long receipt_files, receipt_files_failed;
    long recovered;                  /* messages finished or rebuilt by recovery at start */
    int64_t bytes_total, bytes_done; /* input bytes, for the ETA */
    int64_t started_ms, elapsed_ms;
    /*
     * Order rejections grouped by their kind (cg_spool_reason_kind): the reason after "order
     * <no>: " with its values masked ("field sku: '…' is not in the product catalogue ...").
     */
    int nreasons;
    struct cg_spool_group reasons[CG_SPOOL_REASONS];
    long reasons_other;
    /* Orders not declared because of their status (docs/order-format.md, "Order status"). */
    long orders_waiting, orders_skipped, orders_cancelled;
    /* Orders cancelled or skipped after their documents were sent: a cancellation is needed
     * (recorded in the database; cebgate status --cancel). Also counted above. */
    long orders_cancel_needed;
    long orders_return_needed; /* cancelled or skipped after their goods left: a return */
    long cancels_declared;     /* cancellations (CEB605) declared for shop-cancelled orders */
    long summaries_declared;   /* monthly summaries (CEB701) declared */
    /* The same grouped by status and reason ("waiting: Financial Status 'pending'"). */
    int nheld;
    struct cg_spool_group held[CG_SPOOL_REASONS];
    long held_other;
};

enum cg_spool_event {
    CG_SPOOL_EV_PROGRESS = 1, /* counters changed (called at most a few times a second) */
    CG_SPOOL_EV_FILE,         /* a file finished; text is a one-line report */
    CG_SPOOL_EV_RECEIPTS,     /* an inbox file was applied; text is a one-line report */
    CG_SPOOL_EV_ORDER,        /* one order rejected or needing a cancellation; one line */
};

struct cg_spool_opts {
    int workers; /* build+sign threads; 0: one per CPU */
    int batch;   /* orders per unit of work; 0: 500 */
    /* Called on the spool's thread; st is borrowed for the call. May be NULL. */
    void (*event)(void *ctx, int ev, const struct cg_spool_stats *st, const char *text);
    void *ctx;
    volatile sig_atomic_t *stop; /* set (e.g. by SIGTERM): finish the current unit and return */
    /* cg_spool_watch: set (by SIGHUP) to load the signing keys again and start a new
     * generation before the next pass; cleared when seen. May be NULL. */
    volatile sig_atomic_t *reload;
    bool sync_per_file; /* fsync each message file instead of one syncfs per batch */
    /*
     * Called at the start of each intake pass, before incoming/ is read, so that another
     * module takes the files that are its own (collection statements). A non-zero result ends
     * the pass with that code. May be NULL.
     */
    int (*intake)(void *ctx, struct cg_err *err);
    void *intake_ctx;
    /*
     * What a file in a seller's folder is when another module takes it from incoming/ itself,
     * from its first bytes ("a purchase invoice file"); NULL when it is none of those. Asked
     * about a file refused before its first order, so that the reason says where it belongs.
     * May be NULL.
     */
    const char *(*file_kind)(const char *head, size_t len);
    /*
     * Called with intake_ctx about a file refused before its first order: a sentence added to
     * its reason when intake could not tell such files apart in this pass (the payout profile
     * could not be loaded); NULL when none. May be NULL.
     */
    const char *(*refused_note)(void *ctx);
};

/*
 * Open the working directory of conf: create missing folders, take the lock, open and migrate
 * the database, load the code tables, and recover what a crash left (tmp/ files, committed
 * messages not yet in outbox/). *out is the caller's.
 */
int cg_spool_open(const struct cg_conf *conf, const struct cg_spool_opts *opts,
                  struct cg_transport *t, struct cg_spool **out, struct cg_err *err);
void cg_spool_close(struct cg_spool *sp);
/* Counters since open (reset with cg_spool_stats_reset). Borrowed. */
const struct cg_spool_stats *cg_spool_stats(const struct cg_spool *sp);
void cg_spool_stats_reset(struct cg_spool *sp);
/* The store (for status queries). Borrowed. */
struct cg_store *cg_spool_store(struct cg_spool *sp);

/*
 * One pass: fetch receipts, apply inbox/, take and process every complete file in incoming/,
 * submit queued messages, apply inbox/ again, prune archive/. CG_OK when everything was
 * processed (some input may still have been rejected: see the stats), CG_ERETRY when messages
 * remain queued or the transport failed, another code when the pass had to stop.
 */
int cg_spool_run(struct cg_spool *sp, struct cg_err *err);
/* Only the receipts: fetch them from the transport and apply inbox/ (before a command that
 * decides on documents' states, such as cebgate cancel). */
int cg_spool_receipts(struct cg_spool *sp, struct cg_err *err);
/*
 * Keep running: a pass at start, then one whenever inotify reports a complete file in
 * incoming/ (or a seller folder) or inbox/, and every retry_secs for the transport. Returns
 * CG_OK when *opts->stop is set, after the current unit of work.
 *
 * Before each pass, and once a second while waiting, it looks whether a signing key,
 * certificate or passphrase file it loaded changed (stat); so does *opts->reload set (SIGHUP),
 * which it clears. Either way every key loaded is loaded again before the next pass and a new
 * generation starts: payment receipts (CEB403) the E-Port refused before storing them, declared
 * before, are declared again once, as by a new process. A key that fails to load then is
 * reported and the pass stops (temporary, logged); nothing is signed with the key it replaced,
 * and every later pass tries again (a key file half copied loads at the next pass).
 */
int cg_spool_watch(struct cg_spool *sp, int retry_secs, struct cg_err *err);

/* ------------------------------------------------------------------ cancellation */

/*
 * Declare the cancellation (CEB605) of order order_no's export inventory with reason and hand
 * it to the transport (seller NULL: the one seller that has the order; CG_EEXIST when several
 * do). Customs' rules, each refused with CG_EREJECT and the rule in err: the order has a
 * CEB603, released (800, its invtNo known), not closed, no departure (CEB607/509) declared,
 * not cancelled already and no cancellation pending (a refused one may be declared again).
 * confirm: the order must be listed as cancelled by its shop (cg_store_cancels_open) and
 * reason may be NULL (the shop's status and reason are sent). CG_OK once it is recorded and
 * queued (sent when the transport took it: the stats say); CG_ENOTFOUND for an unknown order;
 * CG_EBUSY, CG_EDB, CG_EIO, CG_ERETRY and the transport's codes as cg_spool_run().
 */
int cg_spool_cancel(struct cg_spool *sp, const char *seller, const char *order_no,
                    const char *reason, bool confirm, struct cg_err *err);

/* ------------------------------------------------------------------ return */

/* A return of exported goods (CEB213). Strings are borrowed; NULL or "" means not given. */
struct cg_spool_return_req {
    const char *reason;         /* required */
    const char *lines;          /* "GNUM[:QTY],..."; NULL: every line, whole quantity */
    const char *traf_name;      /* required: vessel, flight or vehicle bringing them back */
    const char *voyage_no;      /* required: its voyage or flight number */
    const char *bill_no;        /* NULL: the return parcel's logisticsNo (table 2-59) */
    const char *traf_mode;      /* NULL: the seller's */
    const char *port_code;      /* NULL: the seller's */
    const char *logistics_no;   /* the return parcel; NULL: the export's waybill */
    const char *logistics_code; /* NULL: the export's carrier */
    const char *logistics_name; /* NULL: the export's carrier */
};
/*
 * Declare the return (CEB213) of order order_no's exported goods and hand it to the transport
 * (seller NULL as in cg_spool_cancel). The lines are the inventory's as sent (read back from
 * its CEB603 message); tradeMode 9661, or 1261 for a seller exporting from a special area
 * (1210). Refused with CG_EREJECT and the rule: no CEB603, inventory not released or closed,
 * cancelled, a return already declared and not refused, the inventory message no longer kept;
 * CG_EINVAL for bad lines (unknown gnum, twice, a quantity above the inventory's). Recorded
 * for cg_store_returned(). Other codes as cg_spool_cancel().
 */
int cg_spool_return(struct cg_spool *sp, const char *seller, const char *order_no,
                    const struct cg_spool_return_req *rq, struct cg_err *err);

/* ------------------------------------------------------------------ monthly summary */

/*
 * Declare the CEB701 summaries of month (YYYYMM, China time): route-B inventories closed that
 * month that no live summary holds, one summary per seller and country of arrival
 * (spool-summary.c). dry_run: report each group as an event, record and send nothing.
 * *declared: summaries declared (or that would be). Codes as cg_spool_cancel().
 */
int cg_spool_summary(struct cg_spool *sp, const char *month, bool dry_run, long *declared,
                     struct cg_err *err);
/* The month before now's, China time: "YYYYMM". */
void cg_spool_prev_month(time_t now, char out[7]);

/* ------------------------------------------------------------------ collections */

/*
 * Declare the payment receipt (CEB403) of every order of a seller with payments = collections
 * whose payment record (what settle/ matched to it) changed since it was last declared, and
 * hand the messages to the transport (spool-payments.c); cg_spool_run does this after taking
 * files. Codes as cg_spool_cancel().
 */
int cg_spool_payments(struct cg_spool *sp, struct cg_err *err);

/* ------------------------------------------------------------------ status */

enum cg_spool_status_kind {
    CG_STATUS_ORDER = 1,  /* arg: order number (all sellers) */
    CG_STATUS_FILE,       /* arg: input file name (as dropped) */
    CG_STATUS_PENDING,    /* documents waiting for a final receipt, queued messages */
    CG_STATUS_REJECTED,   /* rejected orders and documents */
    CG_STATUS_UNKNOWN,    /* receipts for guids cebgate never sent */
    CG_STATUS_CANCEL,     /* orders cancelled after their documents were sent */
    CG_STATUS_SUMMARIES,  /* monthly summaries (CEB701) and their declarations */
    CG_STATUS_INCOMPLETE, /* orders declared without shipment data: CEB303 only */
    CG_STATUS_HELD,       /* orders held as waiting for their shop status, never declared */
};
/*
 * Write a report to fp from the database (no lock needed). For the lists (pending, rejected,
 * unknown, cancel, summaries, incomplete, held) arg names the one seller whose items are listed
 * and counted ("" the default seller), NULL every seller's. CG_ENOTFOUND when the order or file
 * is unknown. workdir_fd, the working directory (-1: none), is where an order's report reads
 * what it declared, from its CEB303 as sent (archive/, outbox/).
 */
int cg_spool_status(struct cg_store *st, int workdir_fd, int kind, const char *arg, FILE *fp,
                    struct cg_err *err);

/*
 * Dismiss the refusal of a file refused whole that the morning report lists (spool-dismiss.c):
 * arg names it as dropped, or as SELLER/FILE ("/FILE" for incoming/ itself); by is the user and
 * reason the operator's words, recorded with the time. That refusal is listed no more; a later
 * one of the same seller and name is. The file stays in failed/. Prints what was dismissed to
 * fp. CG_ENOTFOUND (err says why) when the name is not listed as refused (or its refusal was
 * dismissed already), CG_EINVAL when a bare name is listed for several sellers.
 */
int cg_spool_dismiss(struct cg_store *st, const char *arg, const char *by, const char *reason,
                     FILE *fp, struct cg_err *err);

/*
 * Dismiss every receipt for an unknown or mismatched message the report and `status --unknown`
 * list now (spool-dismiss.c), by by for reason: they are listed no more and stay in the receipts
 * log; receipts kept so later are listed. Prints how many to fp. CG_ENOTFOUND (err says so) when
 * none is listed.
 */
int cg_spool_dismiss_unknown(struct cg_store *st, const char *by, const char *reason, FILE *fp,
                             struct cg_err *err);

/*
 * Mark the documents of an order, bill or summary that customs refused after the E-Port stored
 * them (100) to go out again, once, as their next version (spool-resend.c): arg names it as
 * `cebgate status` does ([SELLER/]ORDER-NO, BILL:NUMBER, SUM:MONTH:COUNTRY:N); by is the user and
 * reason the operator's words, recorded with the time. A bill's or summary's document goes out
 * at the next pass that looks at it; an order's from the next file that holds the order. Prints
 * each document marked to fp. CG_ENOTFOUND (err says why) when it is not known or none of its
 * documents is refused by customs and not marked yet; CG_EINVAL when several sellers have it
 * and none is named.
 */
int cg_spool_resend(struct cg_store *st, const char *arg, const char *by, const char *reason,
                    FILE *fp, struct cg_err *err);

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
    const char *token_file;    /* file whose first line is the sender's token (Bearer) */
    long parallel;             /* transfers in flight, 1..64 (0: 4) */
    long connect_timeout_ms;   /* 0: 10000 */
    long timeout_ms;           /* whole transfer; 0: 60000 */
    long max_retries;          /* retries after the first attempt; -1: 8 */
    long retry_deadline_ms;    /* per message, from its first attempt; 0: 600000 */
    long retry_base_ms;        /* first backoff delay; 0: 500 */
    long retry_max_delay_ms;   /* ceiling of one backoff delay; 0: 60000 */
    /* Stop flag (e.g. set by SIGTERM), read at least every 200 ms while sending or polling
     * receipts; NULL: none. See cg_http_set_stop(). */
    volatile sig_atomic_t *stop;
};

/* Settings from [transport] of conf. Path strings point into *paths (free with
 * cg_http_opts_paths_free() after cg_http_new()). */
struct cg_http_opts_paths {
    char *ca_file, *client_cert, *client_key, *key_pass_file, *token_file;
};
int cg_http_opts_from_conf(const struct cg_conf *conf, struct cg_http_opts *o,
                           struct cg_http_opts_paths *paths, struct cg_err *err);
void cg_http_opts_paths_free(struct cg_http_opts_paths *paths);

/* Check the options, read the key passphrase, set up the curl multi handle. *out: caller's. */
int cg_http_new(const struct cg_http_opts *o, struct cg_http **out, struct cg_err *err);
void cg_http_free(struct cg_http *h);
/*
 * Replace the stop flag (NULL: none). Once *stop is set, cg_http_send() starts no transfer,
 * reports the transfers already answered as usual, abandons those still in flight and
 * reports them, the messages waiting for a retry and those never tried as
 * CG_HTTP_RETRY_LATER ("stopped"), and returns CG_ERETRY; receipts polling stops before
 * handing over a page it has not fully received and returns CG_ERETRY. Waits (backoff,
 * Retry-After, a slow answer) are cut within about 200 ms of the flag being set.
 */
void cg_http_set_stop(struct cg_http *h, volatile sig_atomic_t *stop);

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
 * Send n messages. Returns CG_OK when every message got an outcome (whatever it was); CG_ERETRY
 * when the transport gave up on an unavailable port or was stopped (cg_http_set_stop), and
 * CG_ECRYPTO or CG_ECONFIG when no retry can help, in these cases too after every message got
 * its outcome; the callback's non-zero value; or a hard error (CG_ENOMEM, CG_ECONFIG: no url)
 * before or while sending; the messages reported before a hard error keep their outcome.
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
 * each receipt as a complete file inbox_fd/"http-receipt-<id>.xml" (a numeric id zero-padded
 * to 12 digits, so name order is arrival order; the same id always gives the same name; an id
 * that cannot be a file name fails the page). After a page's files are
 * flushed, the new cursor is written atomically. *count: receipt files written. Errors as
 * cg_http_receipts_page(), except a page that cannot be read (not the receipts format, too
 * large): it is asked for again one receipt at a time, and when that fails too the failure is
 * logged, counted in state_fd/"<cursor_name>.bad" and CG_OK returned, so receipts never stop
 * the sending side; after CG_HTTP_BAD_PAGE_TRIES runs failing at the same numeric cursor the
 * cursor moves one id past it (the receipt there is reported as skipped).
 */
#define CG_HTTP_BAD_PAGE_TRIES 3
int cg_http_fetch_to_dir(struct cg_http *h, int inbox_fd, int state_fd, const char *cursor_name,
                         size_t *count, struct cg_err *err);
/*
 * The HTTP transport behind the spool's transport interface ([transport] mode = http):
 * submit_many POSTs a batch of outbox files in parallel (submit one), fetch polls receipts_url
 * into inbox/ (cursor in the working
 * directory, file "http-receipts.cursor"). keeps_outbox is false. *out is the caller's
 * (cg_transport_free).
 */
#define CG_HAVE_TRANSPORT_HTTP 1
int cg_transport_http_new(const struct cg_conf *conf, struct cg_transport **out,
                          struct cg_err *err);
/*
 * Submit n outbox files in one parallel batch, for a spool that hands over several at once:
 * results[i] as submit() would return it (CG_OK, CG_EREJECT, CG_ERETRY, ...), details[i] the
 * reason (caller frees; NULL for CG_OK). t must come from cg_transport_http_new().
 */
int cg_transport_http_submit_many(struct cg_transport *t, int outbox_fd, const char *const *names,
                                  size_t n, int *results, char **details, struct cg_err *err);
/* ------------------------------------------------------------------ end HTTP transport */

/* The [transport] and [spool] configuration keys (spool-keys.c), for cg_conf_register(). */
extern const struct cg_conf_key cg_spool_conf_keys[];

#endif
