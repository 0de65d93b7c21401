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
 *   submit(impl, outbox_fd, name, err)  once per queued message file outbox/<name>:
 *       CG_OK      the port acknowledged it (document state becomes "sent");
 *       CG_ERETRY  temporary failure: the message stays queued, the run ends with exit 75;
 *       CG_EREJECT the port refused it for good (err says why): document state "rejected".
 *   fetch(impl, inbox_fd, &count, err)  before and after submitting: store every new receipt
 *       as a complete file in inbox/ (cg_fs_write_atomic_at) and count them; CG_ERETRY when
 *       the port could not be reached.
 *   free(impl)
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

#include "core/conf.h"
#include "core/db.h"
#include "core/err.h"

/* ------------------------------------------------------------------ transport */

struct cg_transport_ops {
    const char *name;  /* "dir", "http" */
    bool keeps_outbox; /* true: the outbox file is the hand-over itself */
    int (*submit)(void *impl, int outbox_fd, const char *name, struct cg_err *err);
    int (*fetch)(void *impl, int inbox_fd, size_t *count, struct cg_err *err);
    void (*free)(void *impl);
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

/* ------------------------------------------------------------------ document states */

/*
 * States of one CEB document (the current version). The order of the enum is the order of
 * progress: a receipt moves a document only forward (cg_doc_state_step). REJECTED is final
 * for a version; a corrected version starts again at PREPARED.
 */
enum cg_doc_state {
    CG_DOC_NONE = 0, /* no state (a receipt code that carries none) */
    CG_DOC_PREPARED,
    CG_DOC_VALIDATED,
    CG_DOC_SIGNED,
    CG_DOC_QUEUED,     /* the message file is in outbox/ and recorded */
    CG_DOC_SENT,       /* the transport acknowledged it */
    CG_DOC_STORED,     /* 1: stored at the electronic port */
    CG_DOC_DECLARING,  /* 2: being declared */
    CG_DOC_TO_CUSTOMS, /* 3: sent to customs */
    CG_DOC_ACCEPTED,   /* 120: accepted into the customs system */
    CG_DOC_REVIEW,     /* 300: manual review */
    CG_DOC_CONCLUDED,  /* 399: examination concluded */
    CG_DOC_INSPECTION, /* 500: physical inspection */
    CG_DOC_DETAINED,   /* 501-599: detained */
    CG_DOC_RETURNED,   /* 700: returned */
    CG_DOC_RELEASED,   /* 800: released */
    CG_DOC_CLOSED,     /* 899: closed */
    CG_DOC_REJECTED,   /* 100, 4, negative codes, CEB900, or refused by the transport */
    CG_DOC_NSTATES
};

/* Stable lower-case name ("queued", "released"); "?" for an unknown value. */
const char *cg_doc_state_name(int state);
/* The state a name stands for; CG_DOC_NONE when unknown. */
int cg_doc_state_parse(const char *name);
/* The state a receipt (its message type and returnStatus) reports; CG_DOC_NONE if none. */
int cg_doc_state_of_receipt(int receipt_type, long status);

enum cg_step {
    CG_STEP_MOVE = 0, /* apply: the document moves forward */
    CG_STEP_SAME = 1, /* duplicate: already in that state */
    CG_STEP_LATE = 2, /* late: the document is already further (or finally rejected) */
};
/* Whether a document in state cur takes state next. */
int cg_doc_state_step(int cur, int next);
/* True for states after which nothing more is expected (released, closed, returned, rejected). */
bool cg_doc_state_final(int state);

/* ------------------------------------------------------------------ names and lock */

/*
 * Why a spool directory entry cannot be taken as an input file name, or NULL when it can.
 * Besides cg_fs_name_ok() this refuses names that look like path parts ("..", "..\x").
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

/* ------------------------------------------------------------------ the spool */

struct cg_spool;

/* Counters of one run (or of one watch pass), for the summary and the progress bar. */
#define CG_SPOOL_REASONS 16
struct cg_spool_stats {
    long files_seen;  /* files found in incoming/ at the start */
    long files_taken; /* files moved to active/ and processed */
    long files_done, files_failed, files_duplicate;
    long orders_read; /* orders read from files (accepted + rejected + unchanged) */
    long orders_new, orders_modified, orders_unchanged, orders_rejected;
    long msgs_signed, msgs_queued, msgs_sent, msgs_retry, msgs_refused;
    long receipts_applied, receipts_duplicate, receipts_late, receipts_unknown;
    long receipt_files, receipt_files_failed;
    long recovered;                  /* messages finished or rebuilt by recovery at start */
    int64_t bytes_total, bytes_done; /* input bytes, for the ETA */
    int64_t started_ms, elapsed_ms;
    /* Order rejections grouped by reason (the text after "order <no>: "). */
    int nreasons;
    struct {
        char text[160];
        long count;
    } reasons[CG_SPOOL_REASONS];
    long reasons_other;
};

enum cg_spool_event {
    CG_SPOOL_EV_PROGRESS = 1, /* counters changed (called at most a few times a second) */
    CG_SPOOL_EV_FILE,         /* a file finished; text is a one-line report */
    CG_SPOOL_EV_RECEIPTS,     /* an inbox file was applied; text is a one-line report */
};

struct cg_spool_opts {
    int workers; /* build+sign threads; 0: one per CPU */
    int batch;   /* orders per unit of work; 0: 500 */
    /* Called on the spool's thread; st is borrowed for the call. May be NULL. */
    void (*event)(void *ctx, int ev, const struct cg_spool_stats *st, const char *text);
    void *ctx;
    volatile sig_atomic_t *stop; /* set (e.g. by SIGTERM): finish the current unit and return */
    bool sync_per_file;          /* fsync each message file instead of one syncfs per batch */
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
/* The database (for status queries). Borrowed. */
struct cg_db *cg_spool_db(struct cg_spool *sp);

/*
 * One pass: fetch receipts, apply inbox/, take and process every complete file in incoming/,
 * submit queued messages, apply inbox/ again, prune archive/. CG_OK when everything was
 * processed (some input may still have been rejected: see the stats), CG_ERETRY when messages
 * remain queued or the transport failed, another code when the pass had to stop.
 */
int cg_spool_run(struct cg_spool *sp, struct cg_err *err);
/*
 * Keep running: a pass at start, then one whenever inotify reports a complete file in
 * incoming/ (or a seller folder) or inbox/, and every retry_secs for the transport. Returns
 * CG_OK when *opts->stop is set, after the current unit of work.
 */
int cg_spool_watch(struct cg_spool *sp, int retry_secs, struct cg_err *err);

/* ------------------------------------------------------------------ status */

enum cg_spool_status_kind {
    CG_STATUS_ORDER = 1, /* arg: order number (all sellers) */
    CG_STATUS_FILE,      /* arg: input file name (as dropped) */
    CG_STATUS_PENDING,   /* documents waiting for a final receipt, queued messages */
    CG_STATUS_REJECTED,  /* rejected orders and documents */
    CG_STATUS_UNKNOWN,   /* receipts for guids cebgate never sent */
};
/*
 * Write a report to fp from the database (no lock needed). CG_ENOTFOUND when the order or
 * file is unknown.
 */
int cg_spool_status(struct cg_db *db, int kind, const char *arg, FILE *fp, struct cg_err *err);

/* ------------------------------------------------------------------ HTTP transport */

#endif
