/*
 * store.h - the lifecycle database behind one interface: one function per entity and
 * operation. The only code that speaks SQL is in store/; no caller sees a database handle, a
 * statement or an SQL dialect.
 *
 * Results. Every function returns CG_OK, CG_ENOTFOUND when the thing asked for is not there
 * (a lookup only), CG_EBUSY when the database is held by somebody else past the busy timeout,
 * or CG_EDB for any other database failure (I/O error, disk full, corruption, a constraint).
 * CG_EBUSY and CG_EDB are temporary for the caller: roll the unit of work back, keep the
 * input, try again later (exit 75). A failed read is never reported as "no rows".
 *
 * Units of work. cg_store_tx() runs a function inside one transaction: everything it writes is
 * committed together or not at all; a failing commit is rolled back and reported. Reads
 * outside cg_store_tx() see the last committed state.
 *
 * Times are chosen by the store (UTC ISO-8601 with milliseconds, "2026-11-29T00:59:31.123Z")
 * when a row is written; callers never pass SQL expressions.
 *
 * Modules and migrations. Each module that keeps tables owns a struct cg_store_schema: a name
 * and numbered steps, step i taking that module's version from i to i + 1; released steps are
 * never edited, only appended. store/store-modules.c lists the schemas a database is opened
 * with; a new module (settle/, refund/) adds its own store-<module>.c with its schema and one
 * line to that list, without touching core/ or another module's steps. The spool's schema
 * ("cebgate") keeps its version in the database's own version number, as every release did;
 * every other module's version is a row of the store's bookkeeping table. All pending steps of
 * all modules run in one transaction at open; a database newer than this program is refused
 * with CG_EVERSION and left untouched.
 *
 * A second implementation. The interface carries only C values (strings, integers, the
 * structs below), so a PostgreSQL store is another set of store-*.c files behind this same
 * header (libpq, one connection per struct cg_store, cg_store_tx as BEGIN ... COMMIT with
 * SERIALIZABLE or row locks, upserts as INSERT ... ON CONFLICT, the migrations as the same
 * numbered steps in that dialect); callers would not change. SQLite-only forms (RETURNING,
 * ON CONFLICT, ?N parameters, BEGIN IMMEDIATE, WAL, user_version) stay inside store-sql.c,
 * store-db.c and the schema steps.
 *
 * Claiming work. Today a process claims an input file by renaming it into active/ under the
 * spool lock file (one process per working directory). With a shared networked database
 * several processes could claim instead in the database: a claim function would run
 * "UPDATE input_files SET claimed_by = $me, claimed_at = now() WHERE id = (SELECT id FROM
 * input_files WHERE claimed_by IS NULL ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING
 * id" and return CG_ENOTFOUND when nothing is left to claim; an expired claim (claimed_at too
 * old) would be taken over. cg_store_file_add() is the point where such a claim would be
 * recorded; the lock file would then guard only the local folders.
 */
#ifndef CG_STORE_H
#define CG_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "core/err.h"

struct cg_store;

/* ------------------------------------------------------------------ opening, units of work */

struct cg_store_schema {
    const char *name;         /* "cebgate" (the spool), "settle", ... */
    const char *const *steps; /* steps[i]: from version i to i + 1 */
    int nsteps;               /* newest version */
};

/* Once per process before any store is opened: route the database's own log into ours. */
void cg_store_lib_init(void);
/* Version of the database library, for `cebgate version`. Static text. */
const char *cg_store_lib_version(void);

/* Open (creating if needed) with every registered module's schema, migrating forward. */
int cg_store_open(const char *path, struct cg_store **out, struct cg_err *err);
/* The same with an explicit list of n schemas; schemas[0] is the one kept in the database's
 * own version number. */
int cg_store_open_with(const char *path, const struct cg_store_schema *const *schemas, int n,
                       struct cg_store **out, struct cg_err *err);
void cg_store_close(struct cg_store *st);
/* Version a module's tables are at (0 when the module has none yet). */
int cg_store_module_version(struct cg_store *st, const char *module, int *out, struct cg_err *err);

typedef int (*cg_store_work_fn)(struct cg_store *st, void *ctx, struct cg_err *err);
/*
 * Run fn as one unit of work. fn's non-zero result rolls everything back and is returned; a
 * failing commit (busy, I/O error, disk full) is rolled back and returned as CG_EBUSY/CG_EDB.
 */
int cg_store_tx(struct cg_store *st, cg_store_work_fn fn, void *ctx, struct cg_err *err);

/* ------------------------------------------------------------------ input files */

struct cg_store_file {
    int64_t id;
    const char *seller, *name, *active_name, *sha256, *outcome, *reason;
    const char *taken_at, *finished_at;
    int64_t size;
    long orders_new, orders_modified, orders_unchanged, orders_rejected;
    long orders_waiting, orders_skipped, orders_cancelled; /* not declared for their status */
};

/*
 * The row of a file being resumed: same seller, name in active/, content and inode, with
 * outcome active, or done or failed at or after changed (the file's last change, to the
 * millisecond): a file moved since it finished (an operator putting a failed file
 * back) is new input, not that row. *id and outcome (size outsz) are written when found.
 */
int cg_store_file_resumable(struct cg_store *st, const char *seller, const char *active_name,
                            const char *sha256, int64_t inode, const struct timespec *changed,
                            int64_t *id, char *outcome, size_t outsz, struct cg_err *err);
/*
 * The first file of this seller with this content that was done without rejected orders: its
 * name and time into out. A copy of a file some of whose orders were rejected is not one.
 */
int cg_store_file_same_content(struct cg_store *st, const char *seller, const char *sha256,
                               char *out, size_t outsz, struct cg_err *err);
/*
 * Record a file taken: outcome "active", or "duplicate" (finished now) with reason. size and
 * sha256 may be 0 and "" for a file refused before it was read (outcome "failed").
 */
int cg_store_file_add(struct cg_store *st, const char *seller, const char *name,
                      const char *active_name, int64_t size, const char *sha256, int64_t inode,
                      const char *outcome, const char *reason, int64_t *id, struct cg_err *err);
/* Record a file's outcome (done, failed, duplicate) and reason (may be NULL). */
int cg_store_file_finish(struct cg_store *st, int64_t id, const char *outcome, const char *reason,
                         struct cg_err *err);
/* Add to a file's order counters (inside the batch's unit of work). */
int cg_store_file_count(struct cg_store *st, int64_t id, long n_new, long n_mod, long n_unch,
                        long n_rej, struct cg_err *err);
/*
 * Add to a file's counters of orders not declared because of their status: waiting, skipped,
 * cancelled (inside the batch's unit of work).
 */
int cg_store_file_count_held(struct cg_store *st, int64_t id, long n_wait, long n_skip,
                             long n_cancel, struct cg_err *err);
/*
 * Reset a resumed file's counters, those of held orders too: it is read again from the start
 * (and lists its orders from then on, if it was taken before files listed them).
 */
int cg_store_file_reset_counts(struct cg_store *st, int64_t id, struct cg_err *err);
/*
 * Note that a file held an order: taken (declared or found unchanged; held_status 0) or not
 * declared for its status (held_status: enum cg_order_status, not 0), inside the batch's unit of
 * work. Kept once per file, kind and order.
 */
int cg_store_file_order_add(struct cg_store *st, int64_t id, const char *seller,
                            const char *order_no, int held_status, struct cg_err *err);
/* What each file did with seller's order_no: fn(file, what, held_status) per file_orders or
 * rejections row, what 0 taken, 1 held for its status (held_status as recorded, 0 before schema
 * version 10), 2 rejected. Unordered; fn's non-CG_OK return stops the walk and is returned. */
int cg_store_order_files(struct cg_store *st, const char *seller, const char *order_no,
                         int (*fn)(int64_t file, int what, int held_status, void *ctx), void *ctx,
                         struct cg_err *err);
/* Orders taken (new + modified + unchanged) and rejected so far. CG_ENOTFOUND: no such file. */
int cg_store_file_counts(struct cg_store *st, int64_t id, long *taken, long *rejected,
                         struct cg_err *err);
/* Orders of a file held for their status so far. CG_ENOTFOUND: no such file. */
int cg_store_file_held(struct cg_store *st, int64_t id, long *waiting, long *skipped,
                       long *cancelled, struct cg_err *err);
/*
 * Every file recorded under name (as dropped or in active/), oldest first; only the seller's
 * when seller is not NULL ("" is the default seller).
 */
int cg_store_files_named(struct cg_store *st, const char *seller, const char *name,
                         int (*fn)(const struct cg_store_file *f, void *ctx), void *ctx,
                         struct cg_err *err);
/* Messages recorded for a file and how many are still queued. */
int cg_store_file_messages(struct cg_store *st, int64_t id, long *total, long *queued,
                           struct cg_err *err);

/* ------------------------------------------------------------------ orders and documents */

/* An order's id and content hash (hash: 65 bytes); "" when a document of it was refused by the
 * electronic port before it stored it, so that a planner looks at each document again. */
int cg_store_order_find(struct cg_store *st, const char *seller, const char *order_no, int64_t *id,
                        char hash[65], struct cg_err *err);
/* The same, and the input file that took the order last (declared it or found it unchanged)
 * into *last_file (0: none, such as a monthly summary's row). */
int cg_store_order_find_last(struct cg_store *st, const char *seller, const char *order_no,
                             int64_t *id, char hash[65], int64_t *last_file, struct cg_err *err);

/*
 * The order, other than seller's order_no, whose waybill (CEB505) has logistics_no as its
 * business key, was declared with the carrier logistics_code, and was not refused before the
 * electronic port stored it: the port holds that waybill (carrier and number) for it, and
 * refuses another order's add of it (4002). A waybill declared before its carrier was kept
 * (schema step 11) holds nothing here. Its seller and number are copied into holder_seller and
 * holder_no (sizes given; cut to fit). CG_ENOTFOUND when no other order holds it.
 */
int cg_store_waybill_holder(struct cg_store *st, const char *logistics_code,
                            const char *logistics_no, const char *seller, const char *order_no,
                            char *holder_seller, size_t seller_size, char *holder_no,
                            size_t no_size, struct cg_err *err);

struct cg_store_doc {
    int64_t id, order_id;
    int msg_type;
    const char *business_key;
    int version;
    const char *guid;
    int app_type;
    const char *content_hash;
    const char *state;                                   /* a cg_doc_state name */
    const char *status, *status_info, *pre_no, *invt_no; /* NULL when unset */
    const char *updated_at;
    /* Whether a version may be stored at the electronic port: one that was not refused, or
     * one that a receipt with a positive status answered. False when every version was
     * refused at the port (CEB900, a negative code) or by the transport: the next is an add. */
    bool ep_stored;
    /* Whether the current version was refused before the electronic port stored it (by the
     * transport, a CEB900 or a negative code, no positive receipt): the port has nothing of it,
     * so the same content is declared again. Not set for a refusal by customs (100), unless an
     * operator marked that version to go out again (cebgate resend, cg_store_resend_mark). */
    bool refused;
    int64_t input_file; /* the input file the current version was declared from; 0: none */
};
/* ------------------------------------------------------------------ resend marks */

/*
 * A document as `cebgate resend` looks at it: its order's seller and number, its id, type,
 * current version and state, whether that version was refused before the electronic port stored
 * it (STORE_DOC_REFUSED: declared again by itself), the name of the input file it was declared
 * from (NULL: none, such as a bill's, a summary's or a payment receipt from collections), and the
 * open resend mark of that version (mark_at NULL when none). Strings borrowed for the call.
 */
struct cg_store_resend_doc {
    const char *seller, *order_no;
    int64_t id;
    int msg_type, version;
    const char *state;
    bool unstored;
    const char *file;
    const char *mark_at, *mark_by, *mark_reason;
};
/* The documents of order_no (of seller; NULL: any seller), by seller and type, to fn.
 * CG_ENOTFOUND when no order has that number. */
int cg_store_resend_docs(struct cg_store *st, const char *seller, const char *order_no,
                         int (*fn)(const struct cg_store_resend_doc *d, void *ctx), void *ctx,
                         struct cg_err *err);
/* Mark version of document doc_id to go out again, by by for reason, at the store's time.
 * CG_EEXIST when that version was marked already. */
int cg_store_resend_mark(struct cg_store *st, int64_t doc_id, int version, const char *by,
                         const char *reason, struct cg_err *err);
/*
 * The open resend mark of the order's document msg_type (its current version, rejected), into
 * by and at (each at least 64 bytes, written on success); CG_ENOTFOUND when there is none.
 */
int cg_store_resend_open(struct cg_store *st, int64_t order_id, int msg_type, char *by,
                         size_t bysize, char *at, size_t atsize, struct cg_err *err);

/* Every resend mark of document doc_id (version, when, by whom, why), oldest first, to fn
 * (strings borrowed for the call). CG_OK when there is none. */
int cg_store_resend_marks(struct cg_store *st, int64_t doc_id,
                          int (*fn)(int version, const char *at, const char *by, const char *reason,
                                    void *ctx),
                          void *ctx, struct cg_err *err);

/* The documents of an order, by message type. */
int cg_store_order_docs(struct cg_store *st, int64_t order_id,
                        int (*fn)(const struct cg_store_doc *d, void *ctx), void *ctx,
                        struct cg_err *err);

/* Insert or update an order (the file and line it came from last, file_id 0: none); its id
 * into *id. */
int cg_store_order_put(struct cg_store *st, const char *seller, const char *order_no,
                       const char *hash, int64_t file_id, long line, int64_t *id,
                       struct cg_err *err);
/* A new current version of a document (state queued, status cleared), with the carrier of a
 * waybill and the route (statistics flag) of an inventory it was declared with (NULL for other
 * kinds); its id into *id. */
int cg_store_doc_put(struct cg_store *st, int64_t order_id, int msg_type, const char *business_key,
                     int version, const char *guid, int app_type, const char *content_hash,
                     const char *carrier, const char *route, int64_t *id, struct cg_err *err);
/* A message written for a document version (staged, queued). */
int cg_store_msg_add(struct cg_store *st, int64_t doc_id, int version, const char *guid,
                     int msg_type, int app_type, const char *file_name, const char *sha256,
                     int64_t size, int64_t file_id, struct cg_err *err);
/* An order rejected from a file (kept once per file, line and order number). */
int cg_store_rejection_add(struct cg_store *st, int64_t file_id, const char *seller,
                           const char *order_no, long line, const char *reason, struct cg_err *err);
/* The reasons orders of a file were rejected, by line, at most limit (-1: all). */
int cg_store_file_rejections(struct cg_store *st, int64_t file_id, int limit,
                             int (*fn)(long line, const char *order_no, const char *reason,
                                       void *ctx),
                             void *ctx, struct cg_err *err);

/* ------------------------------------------------------------------ cancellations needed */

/*
 * A declared order that a later file shows cancelled or skipped (its documents went out): it
 * needs a cancellation (CEB605). done_at is set once the cancellation is declared.
 */
struct cg_store_cancel {
    const char *seller, *order_no;
    const char *status;    /* "cancelled" or "skipped" */
    const char *reason;    /* why, from the order file */
    const char *noted_at;  /* when the file showed it */
    const char *file_name; /* the file that showed it, as dropped ("" when unknown) */
    long line;
    const char *done_at; /* NULL while the cancellation is still needed */
    /* cg_store_cancels_open: the goods have left the country (inventory closed, or departed):
     * customs no longer cancels the inventory, a return (CEB213) is needed instead */
    bool departed;
};
/*
 * Record that order order_id needs a cancellation (status "cancelled" or "skipped"), seen in
 * file file_id at line. An order recorded before keeps its first record.
 */
int cg_store_cancel_add(struct cg_store *st, int64_t order_id, int64_t file_id, long line,
                        const char *status, const char *reason, struct cg_err *err);
/* The cancellation record of an order. CG_ENOTFOUND: the order needs none. */
int cg_store_order_cancel(struct cg_store *st, int64_t order_id,
                          int (*fn)(const struct cg_store_cancel *c, void *ctx), void *ctx,
                          struct cg_err *err);
/* Orders whose cancellation (or, once the goods left, return) is still needed, in the order
 * they were noted. */
int cg_store_cancels_open(struct cg_store *st,
                          int (*fn)(const struct cg_store_cancel *c, void *ctx), void *ctx,
                          struct cg_err *err);
/* How many orders still need a cancellation. */
int cg_store_cancels_open_count(struct cg_store *st, long *n, struct cg_err *err);

/* ------------------------------------------------------------------ messages and transport */

struct cg_store_msg {
    int64_t id, doc_id;
    int version, msg_type, app_type;
    const char *guid, *file_name, *state, *status, *created_at, *sent_at;
};
/* Messages recorded but perhaps still in tmp/ (a crash between commit and publish). */
int cg_store_msgs_staged(struct cg_store *st, int (*fn)(const struct cg_store_msg *m, void *ctx),
                         void *ctx, struct cg_err *err);
/* The staged message's file is in outbox/ or archive/. */
int cg_store_msg_unstage(struct cg_store *st, int64_t msg_id, struct cg_err *err);
/*
 * The staged message's file is lost: forget the message, put its document back to the previous
 * version (or remove it) and clear the order's hash so the order is declared again.
 */
int cg_store_msg_forget(struct cg_store *st, int64_t msg_id, int64_t doc_id, int version,
                        struct cg_err *err);
/* Up to max queued messages after id *after, by id; *after advances. */
int cg_store_msgs_queued(struct cg_store *st, int64_t *after, int max,
                         int (*fn)(const struct cg_store_msg *m, void *ctx), void *ctx,
                         struct cg_err *err);
/* How many messages are queued. */
int cg_store_msgs_queued_count(struct cg_store *st, long *n, struct cg_err *err);

enum cg_store_answer { CG_STORE_SENT = 1, CG_STORE_RETRY = 2, CG_STORE_REFUSED = 3 };
/* Record a transport's answer for a message (and its document when it is the current one). */
int cg_store_msg_answer(struct cg_store *st, const char *guid, int answer, const char *detail,
                        struct cg_err *err);

/*
 * Messages the port has answered with a receipt but that were never marked sent (a run
 * stopped between the transport's acknowledgement and its record): the receipt proves the
 * hand-over.
 */
int cg_store_msgs_received_unsent(struct cg_store *st,
                                  int (*fn)(const struct cg_store_msg *m, void *ctx), void *ctx,
                                  struct cg_err *err);
/* Record such a message as handed over now. */
int cg_store_msg_delivered(struct cg_store *st, int64_t msg_id, struct cg_err *err);

/* ------------------------------------------------------------------ receipts */

struct cg_store_target {
    int64_t msg_id, doc_id;
    int msg_version, doc_version;
    char msg_state[24], doc_state[24];
    int msg_type;                 /* 303, 505, 603, ... */
    char business_key[128];       /* the document's orderNo, logisticsNo or copNo */
    char order_no[128];           /* the order's number */
    char pre_no[32], invt_no[32]; /* "" until a receipt gave them */
};
/*
 * The message a receipt's guid names and its document. cebgate writes guids in upper case;
 * a receipt's guid is matched whatever its case. CG_ENOTFOUND: no such guid.
 */
int cg_store_receipt_target(struct cg_store *st, const char *guid, struct cg_store_target *t,
                            struct cg_err *err);
/* Whether the same receipt (status, return time) was already logged for the message. */
int cg_store_receipt_seen(struct cg_store *st, int64_t msg_id, const char *status,
                          const char *return_time, bool *seen, struct cg_err *err);
/* Move a message, and optionally its document, to state with the receipt's status. */
int cg_store_msg_set_state(struct cg_store *st, int64_t msg_id, const char *state,
                           const char *status, struct cg_err *err);
int cg_store_doc_set_state(struct cg_store *st, int64_t doc_id, const char *state,
                           const char *status, const char *info, struct cg_err *err);
/* Set the numbers customs gave (NULL keeps the present value). */
int cg_store_doc_set_numbers(struct cg_store *st, int64_t doc_id, const char *pre_no,
                             const char *invt_no, struct cg_err *err);

struct cg_store_receipt {
    const char *file_name;
    int msg_type;
    const char *receipt_guid, *guid, *order_no, *status, *return_time, *return_info;
    int64_t msg_id;          /* 0: unknown guid */
    const char *outcome;     /* applied, duplicate, late, unknown, mismatch, no-state */
    const char *received_at; /* filled on reads */
    /* Business keys the receipt carried, kept for unknown and mismatched receipts (written
     * only; NULL when absent). */
    const char *logistics_no, *cop_no, *pre_no, *invt_no, *sum_no;
};
/* Append a receipt to the log (the log is never updated or deleted). */
int cg_store_receipt_log(struct cg_store *st, const struct cg_store_receipt *r, struct cg_err *err);
/* The receipts logged for a message, in order. */
int cg_store_msg_receipts(struct cg_store *st, int64_t msg_id,
                          int (*fn)(const struct cg_store_receipt *r, void *ctx), void *ctx,
                          struct cg_err *err);
/* A receipt file applied (its SHA-256 and number of entities). */
int cg_store_receipt_file_add(struct cg_store *st, const char *sha256, const char *name,
                              long events, struct cg_err *err);
/* Whether a receipt file with this SHA-256 was applied. */
int cg_store_receipt_file_known(struct cg_store *st, const char *sha256, bool *known,
                                struct cg_err *err);

/* ------------------------------------------------------------------ timelines and lists */

struct cg_store_order {
    int64_t id;
    const char *seller, *order_no, *created_at, *updated_at, *last_file;
};
/* Every order with this number (any seller). */
int cg_store_orders_named(struct cg_store *st, const char *order_no,
                          int (*fn)(const struct cg_store_order *o, void *ctx), void *ctx,
                          struct cg_err *err);
/* The versions of a document, oldest first. */
int cg_store_doc_msgs(struct cg_store *st, int64_t doc_id,
                      int (*fn)(const struct cg_store_msg *m, void *ctx), void *ctx,
                      struct cg_err *err);
/* Rejections of an order number of seller (NULL: any seller), from any file: time and reason. */
int cg_store_order_rejections(struct cg_store *st, const char *seller, const char *order_no,
                              int (*fn)(const char *at, const char *reason, void *ctx), void *ctx,
                              struct cg_err *err);
/*
 * The input files that held an order number of seller (NULL: any seller) back for its status
 * (waiting, skipped, cancelled: not declared), oldest first: the file's seller, name as dropped,
 * when it was taken, and the status it was held for (enum cg_order_status of mapping.h; -1 for
 * a file taken before the database kept it, schema version 10). The shop's own words for the
 * status are not kept. Files taken before the database kept each file's orders (schema version
 * 6) name none.
 */
int cg_store_order_held(struct cg_store *st, const char *seller, const char *order_no,
                        int (*fn)(const char *seller, const char *file, const char *at, int status,
                                  void *ctx),
                        void *ctx, struct cg_err *err);

enum cg_store_list_kind {
    CG_STORE_LIST_PENDING = 1, /* documents without a final state, oldest change first */
    /* rejected documents, and rejected orders not declared since (the latest rejection of
     * each), by time */
    CG_STORE_LIST_REJECTED,
    CG_STORE_LIST_UNKNOWN, /* receipts for guids never sent */
    /*
     * orders whose declaration is incomplete: a CEB303 not rejected and no inventory (CEB603),
     * as an order without shipment data is declared, and no cancellation needed; each by its
     * CEB303 (state, last change; detail: the file the order was last taken from), oldest first
     */
    CG_STORE_LIST_INCOMPLETE,
    /*
     * orders held back as waiting for their shop status (or for a status not known, files taken
     * before schema version 10) by the latest file that held them, never declared and not
     * rejected by a later file; at: when that file was taken, detail: its name; oldest first
     */
    CG_STORE_LIST_HELD,
};
struct cg_store_item {
    const char *seller, *order_no;
    int msg_type; /* 0: a rejected order (no document) */
    /* CG_STORE_LIST_UNKNOWN: 1 for a receipt kept as 'mismatch', 0 'unknown'; CG_STORE_LIST_HELD:
     * the status held for (enum cg_order_status of mapping.h, -1 not known) */
    int version;
    const char *state, *at, *detail;
    /* CG_STORE_LIST_UNKNOWN: the business keys the receipt carried ("orderNo X, copNo Y"),
     * "" when it carried none */
    const char *keys;
};
int cg_store_list(struct cg_store *st, int kind,
                  int (*fn)(const struct cg_store_item *it, void *ctx), void *ctx,
                  struct cg_err *err);

#endif
