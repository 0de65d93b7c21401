/*
 * store-port.h - the port's database (`cebgate port`): one function per operation, so that
 * port/ speaks no SQL.
 *
 * A struct cg_store_port is one connection with its prepared statements; the port opens one
 * for its writer and one for reading (GET /receipts, statistics). A connection is used by one
 * thread at a time (the port's locks see to it). Reads that look for one thing return
 * CG_ENOTFOUND when it is not there, apart from a database failure (CG_EDB, CG_EBUSY) with err
 * filled; a function that reads rows calls back once per row. Transactions are explicit
 * (begin / commit / abort) with named savepoints inside, as SQL has them; nothing of SQLite
 * shows through this header. Strings passed in are only read during the call; strings handed
 * to a callback are borrowed for that call.
 */
#ifndef CG_STORE_PORT_H
#define CG_STORE_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"

struct cg_store_port;

/* Open (creating and migrating) the port database. *out is written only on success. */
int cg_store_port_open(const char *path, struct cg_store_port **out, struct cg_err *err);
void cg_store_port_close(struct cg_store_port *s);

/* ------------------------------------------------------------------ transactions */

/* Start a write transaction (taking the write lock at once), commit it, or undo it. */
int cg_store_port_begin(struct cg_store_port *s, struct cg_err *err);
int cg_store_port_commit(struct cg_store_port *s, struct cg_err *err);
/* Roll back the open transaction, if there is one. */
int cg_store_port_abort(struct cg_store_port *s, struct cg_err *err);
/* Named savepoints inside a transaction. */
int cg_store_port_savepoint(struct cg_store_port *s, const char *name, struct cg_err *err);
int cg_store_port_release(struct cg_store_port *s, const char *name, struct cg_err *err);
int cg_store_port_rollback_to(struct cg_store_port *s, const char *name, struct cg_err *err);
/* Run fn in one transaction: committed when it returns CG_OK, rolled back otherwise. */
typedef int (*cg_store_port_work_fn)(struct cg_store_port *s, void *ctx, struct cg_err *err);
int cg_store_port_tx(struct cg_store_port *s, cg_store_port_work_fn fn, void *ctx,
                     struct cg_err *err);
/* Let go of every cached statement (no read keeps a snapshot open between units of work). */
void cg_store_port_reset(struct cg_store_port *s);
/* For tests: with on, every write fails as a database error would. */
int cg_store_port_read_only(struct cg_store_port *s, bool on, struct cg_err *err);

/* ------------------------------------------------------------------ messages and documents */

/* An accepted CEB message. */
struct cg_store_port_message {
    const char *guid;
    int msg_type;
    const char *sha256;
    const char *received_at; /* UTC ISO-8601 */
    const char *remote;      /* NULL when unknown */
    const char *sender;      /* [sender.NAME], NULL when none */
    const void *xml;
    size_t xml_len;
};

/* Message guid seen before: its id, SHA-256 and sender ("" for none); CG_ENOTFOUND if not. */
int cg_store_port_message_find(struct cg_store_port *s, const char *guid, int64_t *id,
                               char sha256[65], char *sender, size_t sender_size,
                               struct cg_err *err);
/* The documents of message id in order: fn(guid, pre_no, invt_no, ctx); fn's non-zero stops. */
typedef int (*cg_store_port_doc_fn)(const char *guid, const char *pre_no, const char *invt_no,
                                    void *ctx);
int cg_store_port_message_docs(struct cg_store_port *s, int64_t id, cg_store_port_doc_fn fn,
                               void *ctx, struct cg_err *err);
int cg_store_port_message_add(struct cg_store_port *s, const struct cg_store_port_message *m,
                              int64_t *id, struct cg_err *err);

/* An accepted document (one entity), with the numbers the port assigned ("" / NULL: none). */
struct cg_store_port_document {
    int64_t message_id;
    const char *guid;
    int msg_type;
    const char *app_type;
    const char *bkey; /* business key, "303|ebpCode|orderNo" */
    const char *pre_no;
    const char *invt_no;
    const char *sum_no;
    const char *doc_json; /* the document as the port keeps it */
    int64_t accepted_ms;
    const char *sender;
};

/* A document guid used before: CG_OK with the guid of its message in msg_guid and the sender
 * of its document in sender ("" when none); CG_ENOTFOUND. */
int cg_store_port_doc_guid_used(struct cg_store_port *s, const char *guid, char *msg_guid,
                                size_t size, char *sender, size_t sender_size, struct cg_err *err);
/* The add (appType 1) of business key bkey: CG_OK with its document guid and sender ("" for
 * none); CG_ENOTFOUND. */
int cg_store_port_bkey_added(struct cg_store_port *s, const char *bkey, char *guid, size_t size,
                             char *sender, size_t sender_size, struct cg_err *err);
int cg_store_port_document_add(struct cg_store_port *s, const struct cg_store_port_document *d,
                               int64_t *id, struct cg_err *err);
/* Next value (from 1) of counter name for key (a day, a year). Inside a transaction. */
int cg_store_port_counter_next(struct cg_store_port *s, const char *name, const char *key,
                               long *out, struct cg_err *err);
/* The newest inventory (CEB603) with invtNo of the same sender as document summary_id: its
 * document JSON (caller frees); CG_ENOTFOUND. */
int cg_store_port_inventory(struct cg_store_port *s, const char *invt_no, int64_t summary_id,
                            char **doc_json, struct cg_err *err);

/*
 * The inventories (CEB603, guid into fn) whose logisticsNo is logistics_no, added by the same
 * sender as document departure_id (a CEB509 naming the parcel), not closed yet.
 */
int cg_store_port_inventories_of(struct cg_store_port *s, const char *logistics_no,
                                 int64_t departure_id,
                                 int (*fn)(int64_t doc_id, const char *guid, void *ctx), void *ctx,
                                 struct cg_err *err);

/* ------------------------------------------------------------------ planned receipts */

int cg_store_port_schedule_add(struct cg_store_port *s, int64_t document_id, int64_t due_ms,
                               int receipt_type, int status, const char *info, bool last,
                               struct cg_err *err);
/* One planned receipt that is due, with its document. */
struct cg_store_port_due {
    int64_t sched_id;
    int64_t doc_id;
    int receipt_type;
    int status;
    bool last;
    const char *info;
    int req_type;
    const char *doc_json;
};
/* Receipts due at now_ms, earliest first, at most limit: fn per row (non-zero stops). */
typedef int (*cg_store_port_due_fn)(const struct cg_store_port_due *d, void *ctx);
int cg_store_port_due(struct cg_store_port *s, int64_t now_ms, int limit, cg_store_port_due_fn fn,
                      void *ctx, struct cg_err *err);
/* A receipt published: the document's status (status < 0: leave it) and final flag, and the
 * planned row removed. */
int cg_store_port_schedule_done(struct cg_store_port *s, int64_t sched_id, int64_t doc_id,
                                int status, bool final, struct cg_err *err);
/* Earliest due time of a planned receipt; CG_ENOTFOUND when none is planned. */
int cg_store_port_next_due(struct cg_store_port *s, int64_t *out, struct cg_err *err);

/* ------------------------------------------------------------------ receipts and submissions */

/* Store a published receipt; *id (may be NULL) its number among its sender's receipts (1, 2,
 * 3, ... for each sender), *row (may be NULL) its number among all receipts (unique across
 * senders). sender NULL: the document's sender. Inside a transaction. */
int cg_store_port_receipt_add(struct cg_store_port *s, int64_t document_id, const char *sender,
                              int type, const char *msg_guid, const char *doc_guid,
                              const char *status, const char *created_at, const void *xml,
                              size_t len, int64_t *id, int64_t *row, struct cg_err *err);
/* One receipt of a page. */
struct cg_store_port_receipt {
    int64_t id; /* its number among its sender's receipts */
    int type;
    const char *msg_guid;
    const char *doc_guid;
    const char *status;
    const void *xml;
    size_t len;
};
/* The sender's receipts numbered after since in order, at most limit: fn per receipt; fn returns
 * non-zero to stop (that value is returned). NULL sender: none. */
typedef int (*cg_store_port_receipt_fn)(const struct cg_store_port_receipt *r, void *ctx);
int cg_store_port_receipts(struct cg_store_port *s, const char *sender, int64_t since, int limit,
                           cg_store_port_receipt_fn fn, void *ctx, struct cg_err *err);

/* A checked POST and its answer. NULL/0 fields are unknown. */
struct cg_store_port_submission {
    const char *received_at;
    const char *guid;
    int msg_type;
    int64_t size;
    const char *sha256;
    const char *code;
    bool duplicate;
    const char *text;
    const char *remote;
    const char *sender;
};
int cg_store_port_submission_add(struct cg_store_port *s, const struct cg_store_port_submission *m,
                                 struct cg_err *err);
/* The submissions of each sender received at or after from and before to (UTC ISO-8601, as
 * received_at is written): fn(sender, count, ctx) per sender that has any; fn's non-zero stops
 * (and is returned). */
typedef int (*cg_store_port_count_fn)(const char *sender, long n, void *ctx);
int cg_store_port_submissions_between(struct cg_store_port *s, const char *from, const char *to,
                                      cg_store_port_count_fn fn, void *ctx, struct cg_err *err);

/* ------------------------------------------------------------------ views */

struct cg_store_port_stats {
    long received;
    long accepted;
    long accepted_again;
    long rejected;
    struct {
        char code[5];
        long n;
    } by_code[32];
    size_t ncodes;
    long documents;
    long documents_final;
    long receipts;
    long receipts_pending;
};
int cg_store_port_stats(struct cg_store_port *s, struct cg_store_port_stats *st,
                        struct cg_err *err);
/* One line per document, tab-separated: CEB<type>, guid, business key, preNo, invtNo,
 * status, final. */
int cg_store_port_dump_documents(struct cg_store_port *s, FILE *fp, struct cg_err *err);

#endif
