/*
 * store-int.h - private to store/: the store object and its statement table.
 *
 * Every statement the spool's functions run is one entry of enum store_stmt with its SQL in
 * store-sql.c; it is prepared on first use, kept for the life of the connection, and reset after
 * each use (a statement left stepping would hold a read snapshot open across units of work).
 * The modules' functions write their SQL where they run it: store_prep for one operation, or
 * store_keep, which keeps it prepared the same way, found again by its text.
 */
#ifndef CG_STORE_INT_H
#define CG_STORE_INT_H

#include <sqlite3.h>
#include <stdbool.h>

#include "store/store-db.h"
#include "store/store.h"

enum store_stmt {
    S_FILE_RESUMABLE,
    S_FILE_SAME_CONTENT,
    S_FILE_ADD,
    S_FILE_FINISH,
    S_FILE_COUNT,
    S_FILE_COUNT_HELD,
    S_FILE_RESET,
    S_FILE_ORDER_ADD,
    S_ORDER_FILES,
    S_FILE_COUNTS,
    S_FILE_HELD,
    S_FILES_NAMED,
    S_FILE_MESSAGES,
    S_ORDER_FIND,
    S_WAYBILL_HOLDER,
    S_ORDER_DOCS,
    S_ORDER_PUT,
    S_DOC_PUT,
    S_MSG_ADD,
    S_REJ_ADD,
    S_FILE_REJECTIONS,
    S_CANCEL_ADD,
    S_ORDER_CANCEL,
    S_CANCELS_OPEN,
    S_CANCELS_OPEN_COUNT,
    S_MSGS_STAGED,
    S_MSG_UNSTAGE,
    S_MSG_DELETE,
    S_ORDER_HASH_CLEAR,
    S_DOC_BACK,
    S_DOC_DROP,
    S_MSGS_QUEUED,
    S_MSGS_QUEUED_COUNT,
    S_MSG_ANSWER,
    S_MSGS_RECEIVED_UNSENT,
    S_MSG_DELIVERED,
    S_DOC_ANSWER,
    S_RECEIPT_TARGET,
    S_RECEIPT_SEEN,
    S_MSG_STATE,
    S_DOC_STATE,
    S_DOC_NUMBERS,
    S_RECEIPT_LOG,
    S_MSG_RECEIPTS,
    S_RFILE_ADD,
    S_RFILE_KNOWN,
    S_ORDERS_NAMED,
    S_DOC_MSGS,
    S_ORDER_REJECTIONS,
    S_ORDER_HELD,
    S_LIST_PENDING,
    S_LIST_REJECTED,
    S_LIST_UNKNOWN,
    S_LIST_INCOMPLETE,
    S_LIST_HELD,
    S_RECEIPT_KEYS,
    S_N
};

/* The spool's tables, the main cebgate database (store-spool-schema.c). */
extern const struct cg_store_schema cg_store_schema_spool;
/* The fx_* tables of settle/ (store-settle-schema.c). */
extern const struct cg_store_schema cg_store_schema_settle;
/* The business keys of receipts kept as unknown or mismatched (store-receipts-schema.c). */
extern const struct cg_store_schema cg_store_schema_receipts;

/* The tables of the export flow after the declaration (store-flow-schema.c). */
extern const struct cg_store_schema cg_store_schema_flow;
/* The customs_* tables: declarations from CEB792, return receipts (store-customs.c). */
extern const struct cg_store_schema cg_store_schema_customs;
/* The rf_* tables of refund/ (store-refund-schema.c). */
extern const struct cg_store_schema cg_store_schema_refund;

/*
 * The rejections still open, as a subquery with the columns of rejections: of each order
 * (seller, order_no) only its latest rejection, and none when the order was taken (declared or
 * found unchanged) from a file taken after it, nor when its file was refused whole and that
 * refusal dismissed (`cebgate dismiss`: its orders are not to be declared). A rejection without
 * an order number (none or empty: the line had none) stays, each on its own.
 */
#define STORE_OPEN_REJECTIONS                                                                      \
    "(SELECT r.* FROM (SELECT *, row_number() OVER (PARTITION BY seller, order_no ORDER BY id "    \
    "DESC) AS latest FROM rejections) r WHERE (r.latest = 1 OR nullif(r.order_no, '') IS NULL) "   \
    "AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.seller = r.seller AND o.order_no = "           \
    "r.order_no AND o.last_file > r.input_file) AND NOT EXISTS (SELECT 1 FROM input_files f "      \
    "JOIN refusal_dismissals x ON x.seller = f.seller AND x.name = f.name AND x.refused_at = "     \
    "f.taken_at WHERE f.id = r.input_file))"

/*
 * Whether the goods of order o have left the country, as `cebgate cancel` decides it
 * (spool-cancel.c): its inventory (CEB603) closed (899), a waybill list (CEB607) or departure
 * (CEB509) of its own not rejected, or its waybill in a bill past 'waiting'. Customs no longer
 * cancels such an inventory: the order needs a return (CEB213). 1 or 0.
 */
#define STORE_ORDER_DEPARTED                                                                       \
    "(EXISTS (SELECT 1 FROM documents i WHERE i.order_id = o.id AND ((i.msg_type = 603 AND "       \
    "i.state = 'closed') OR (i.msg_type IN (607, 509) AND i.state <> 'rejected'))) OR EXISTS "     \
    "(SELECT 1 FROM documents w JOIN flow_parcels p ON p.logistics_no = w.business_key JOIN "      \
    "flow_bills b ON b.id = p.bill_id AND b.seller = o.seller WHERE w.order_id = o.id AND "        \
    "w.msg_type = 505 AND b.state <> 'waiting'))"

/*
 * A document d still waiting for a final receipt: an inventory (CEB603) until released, closed,
 * cancelled, returned or rejected; any other document also ends when customs accepted (120) or
 * concluded (399) it, the last receipts those documents get.
 */
#define STORE_DOC_PENDING                                                                          \
    "NOT (d.state IN ('released', 'closed', 'cancelled', 'returned', 'rejected') OR "              \
    "(d.msg_type <> 603 AND d.state IN ('accepted', 'concluded')))"

/*
 * A document d whose current version the electronic port refused before storing it: rejected by
 * the transport, a CEB900 or a negative code, and no receipt with a positive status (stored,
 * declaring, ..., customs' own 100) for that version. Nothing of it is at the port, so the same
 * content may go out again; a refusal by customs after storing is not this.
 */
#define STORE_DOC_REFUSED                                                                          \
    "(d.state = 'rejected' AND NOT EXISTS (SELECT 1 FROM messages m JOIN receipts r ON "           \
    "r.message_id = m.id WHERE m.document_id = d.id AND m.version = d.version AND "                \
    "r.msg_type <> 900 AND CAST(r.status AS INTEGER) > 0 AND "                                     \
    "r.outcome IN ('applied', 'duplicate', 'late')))"

/*
 * Whether the current version of document d, refused, was marked to go out again by an operator
 * (`cebgate resend`, table resend_marks): a refusal by customs after the E-Port stored it, whose
 * cause was fixed outside the document. Open until the next version is declared.
 */
#define STORE_DOC_RESEND                                                                           \
    "(d.state = 'rejected' AND EXISTS (SELECT 1 FROM resend_marks k WHERE k.document_id = d.id "   \
    "AND k.version = d.version))"

/*
 * The same as either, for a document an order file declares: its current version came from an
 * input file (a payment receipt from collections, a cancellation or a bill state has none). Only
 * such a document makes a file that holds its order worth reading again.
 */
#define STORE_DOC_REFUSED_FROM_FILE                                                                \
    "((" STORE_DOC_REFUSED " OR " STORE_DOC_RESEND ") AND EXISTS (SELECT 1 FROM messages m WHERE " \
    "m.document_id = d.id AND m.version = d.version AND coalesce(m.input_file, 0) <> 0))"

/*
 * The common table lf: each seller and name of a file taken from incoming/ by its latest outcome
 * (latest = 1), over both kinds of file: the order files of input_files (the latest row of each
 * seller and name) and the statements, invoice and result files of intake_files (one row each),
 * the later of the two by time (at) when a name was both. A file refused whole and then put back
 * under its name and taken is so no longer 'failed'. Parameter ?1 is the seller filter.
 */
#define STORE_LATEST_FILES                                                                         \
    "lf AS (SELECT *, row_number() OVER (PARTITION BY seller, name ORDER BY at DESC, src DESC, "   \
    "id DESC) AS latest FROM (SELECT 0 AS src, id, seller, name, 'order file' AS kind, "           \
    "outcome, reason, taken_at AS at FROM (SELECT *, row_number() OVER (PARTITION BY seller, "     \
    "name ORDER BY id DESC) AS n FROM input_files WHERE (?1 IS NULL OR seller = ?1)) WHERE "       \
    "n = 1 UNION ALL SELECT 1, rowid, seller, name, kind, outcome, reason, at FROM "               \
    "intake_files WHERE (?1 IS NULL OR seller = ?1)))"

/*
 * The common tables lf and rf: rf holds each seller and name whose latest outcome is a refusal
 * (the columns of lf), with the dismissal that covers that refusal (refusal_dismissals of the
 * same seller, name and time: dismissed_at, dismissed_by, dismissed_why; NULL when none). The
 * files refused whole that the report lists are those with dismissed_at NULL.
 */
#define STORE_REFUSED_FILES                                                                        \
    STORE_LATEST_FILES                                                                             \
    ", rf AS (SELECT lf.*, d.dismissed_at, d.dismissed_by, d.reason AS dismissed_why FROM lf "     \
    "LEFT JOIN refusal_dismissals d ON d.seller = lf.seller AND d.name = lf.name AND "             \
    "d.refused_at = lf.at WHERE lf.latest = 1 AND lf.outcome = 'failed')"

/* SQL of each statement (store-sql.c). */
extern const char *const store_sql[S_N];

/* How many statements of the modules' own SQL (store_keep) a store keeps prepared. */
#define STORE_KEPT_MAX 96

/* A statement store_keep prepared once and hands out again for the same SQL text. */
struct store_kept {
    sqlite3_stmt *st;
    size_t len; /* of its SQL text */
    int now;    /* the number of its :now parameter, 0 when none */
    bool busy;  /* handed out, not given back yet */
};

struct cg_store {
    struct cg_db *db;
    const char *main_name; /* the schema whose version is the database's own */
    sqlite3_stmt *st[S_N];
    struct store_kept kept[STORE_KEPT_MAX];
    int nkept;
    char now[32]; /* the unit of work's time; "" outside one */
};

/* The statement into *out, reset and with its bindings cleared, ready to bind. */
int store_stmt(struct cg_store *st, enum store_stmt id, sqlite3_stmt **out, struct cg_err *err);
/* Fill err from a failed call on statement id: CG_EBUSY or CG_EDB. Resets the statement. */
int store_fail(struct cg_store *st, enum store_stmt id, int sqlite_rc, struct cg_err *err);
/* Step a statement that returns no rows; resets it. */
int store_run(struct cg_store *st, sqlite3_stmt *s, enum store_stmt id, struct cg_err *err);
/* The time rows written now carry: the unit of work's, else the clock's. Borrowed. */
const char *store_now(struct cg_store *st);
/* A time as the database stores times, UTC to the millisecond: 2026-11-29T00:59:31.123Z. */
void store_time(const struct timespec *ts, char *out, size_t size);
/* Prepare sql for one operation, :now bound (store-adhoc.c); the caller finalizes *out. */
int store_prep(struct cg_store *st, const char *sql, sqlite3_stmt **out, struct cg_err *err);
/*
 * As store_prep, for a statement run again and again (once per entry of a statement file): the
 * statement prepared for the same SQL text before is handed out again, its bindings cleared and
 * :now bound anew, so SQLite parses each text once per connection. A statement still handed
 * out (a query run inside the callback of the same query) or a full table gives a fresh one.
 * Give it back with store_unkeep, never sqlite3_finalize.
 */
int store_keep(struct cg_store *st, const char *sql, sqlite3_stmt **out, struct cg_err *err);
/* Give back a statement of store_keep: reset for its next use (a fresh one is finalized). */
void store_unkeep(struct cg_store *st, sqlite3_stmt *s);
/* Reset every kept statement (after a rolled-back unit of work); finalize them all (close). */
void store_kept_reset(struct cg_store *st);
void store_kept_free(struct cg_store *st);
/* Step once: CG_OK, CG_EREJECT (a trigger refused), CG_EEXIST (UNIQUE), CG_EDB / CG_EBUSY. */
int store_done(struct cg_store *st, sqlite3_stmt *s, const char *what, struct cg_err *err);
/* Text column or NULL. */
const char *store_col(sqlite3_stmt *s, int i);
/* Bind text or NULL. */
void store_bind_text(sqlite3_stmt *s, int i, const char *v);

#endif
