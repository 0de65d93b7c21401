/*
 * store-flow.h - the store's side of the export flow after the declaration: cancellations
 * (CEB605/606) and returns (CEB213/214).
 *
 * Same conventions as store.h: CG_OK, CG_ENOTFOUND for a lookup that finds nothing, CG_EBUSY
 * or CG_EDB for the database (temporary for the caller). The caller owns the transaction.
 */
#ifndef CG_STORE_FLOW_H
#define CG_STORE_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct cg_store;

/* The order's cancellation was declared: its cancel_needed record (if any) is done now. */
int cg_store_cancel_done(struct cg_store *st, int64_t order_id, struct cg_err *err);
/*
 * Customs concluded the cancellation document doc_id (CEB606 399): the export inventory
 * (CEB603) of the same order becomes "cancelled", with the receipt's status and info.
 */
int cg_store_cancel_concluded(struct cg_store *st, int64_t doc_id, const char *status,
                              const char *info, struct cg_err *err);

/* The return (CEB213) declared for an order, recorded with its document in one unit of work. */
int cg_store_return_put(struct cg_store *st, int64_t order_id, int64_t doc_id, const char *lines,
                        const char *reason, struct cg_err *err);

/* A returned order, as settle/ and refund/ read it. Strings valid during the callback. */
struct cg_store_return {
    const char *seller, *order_no;
    const char *state;  /* the CEB213 document's state: queued, sent, accepted, released, ... */
    const char *status; /* its last returnStatus, "" before any receipt */
    const char *lines;  /* "gnum:qty,..." returned, qty as declared */
    const char *reason, *declared_at;
};
/*
 * The return of an order (seller NULL: any seller): fn is called once. CG_ENOTFOUND when no
 * return was declared for it. A return whose CEB213 customs rejected is still reported (state
 * "rejected"): the caller decides what counts.
 */
int cg_store_returned(struct cg_store *st, const char *seller, const char *order_no,
                      int (*fn)(const struct cg_store_return *r, void *ctx), void *ctx,
                      struct cg_err *err);

/* ------------------------------------------------------------------ names */

/*
 * What an orders row holds, told by its name: an order from an order file, a bill's waybill
 * list and departure ("BILL:" + bill number), or a monthly summary ("SUM:" month ":" country
 * ":" serial).
 */
enum cg_store_owner { CG_STORE_OWNER_ORDER, CG_STORE_OWNER_BILL, CG_STORE_OWNER_SUMMARY };
/* "order", "bill" or "summary": the kind a report shows beside the name (docs/report.md). */
const char *cg_store_owner_word(enum cg_store_owner kind);
/*
 * The kind of the orders row named order_no, and its name as a broker reads it into out: an
 * order's number as it is ("SO-1"), "bill MB-2", "summary 202611 country US #1". A name too
 * long for out is cut. Pure, no database.
 */
enum cg_store_owner cg_store_owner_name(const char *order_no, char *out, size_t size);
/*
 * The reverse: the orders row's name of "bill B" ("BILL:B") or "summary YYYYMM country C #N"
 * ("SUM:YYYYMM:C:N") into out; false (out untouched) when name is neither.
 */
bool cg_store_owner_key(const char *name, char *out, size_t size);

/* ------------------------------------------------------------------ departures */

/* A bill of a manifest (docs/manifest-format.md). Strings borrowed. */
struct cg_store_bill {
    int64_t id, order_id; /* order_id: the "BILL:" row its CEB607 and CEB509 belong to */
    const char *seller, *bill_no, *traf_mode, *traf_name, *voyage_no;
    const char *logistics_code, *logistics_name, *file_name, *state;
    const char *hash;     /* cg_store_bill_add: the data's hash (cg_store_bill_again) */
    int64_t leave_time;   /* UTC seconds */
    int64_t gross_weight; /* dec kg */
};
/*
 * Record a bill and its orders row ("BILL:" + bill_no, hash b->hash, from file_id at line) in the
 * caller's unit of work; *id is the bill's. CG_EEXIST when the seller has that bill already.
 */
int cg_store_bill_add(struct cg_store *st, const struct cg_store_bill *b, int64_t file_id,
                      long line, int64_t *id, struct cg_err *err);
int cg_store_bill_parcel_add(struct cg_store *st, int64_t bill_id, long line,
                             const char *logistics_no, struct cg_err *err);
/*
 * A bill that comes again in a later manifest. Its data (head, parcels: the caller adds them
 * after CG_BILL_REPLACED) is replaced only while nothing of it is declared (no CEB607) or its
 * last document (the CEB509 when declared, else the CEB607) is refused, and only when hash
 * differs from the one recorded with the data (the orders row's hash: 32 hex digits of the
 * head, then 32 of the parcels; "" for a bill recorded before hashes were kept). A replaced bill
 * is 'waiting' (its CEB607 goes out once its parcels are released) or, when its CEB509 was
 * refused, 'listed' (the CEB509 goes out again); then its parcels must stay those of the CEB607
 * customs accepted. CG_ENOTFOUND when the seller has no such bill. *outcome says what was done;
 * state[] the last document's state, "" when none was declared.
 */
enum cg_bill_again { CG_BILL_REPLACED, CG_BILL_SAME, CG_BILL_IN_USE, CG_BILL_OTHER_PARCELS };
int cg_store_bill_again(struct cg_store *st, const struct cg_store_bill *b, const char *hash,
                        int64_t file_id, long line, int64_t *id, enum cg_bill_again *outcome,
                        char state[16], struct cg_err *err);
/*
 * Another bill of the seller than bill_id that holds the parcel logistics_no: one that waits
 * (nothing declared yet, or taken again after a refusal) or whose CEB607 is not refused (on its
 * way or accepted; so also a bill whose CEB509 was refused). Its number and the file it was
 * taken from are copied to bill_no and file_name (truncated to their sizes). CG_ENOTFOUND when
 * no such bill holds it. Uses the index on flow_parcels(logistics_no).
 */
int cg_store_parcel_on_bill(struct cg_store *st, const char *seller, const char *logistics_no,
                            int64_t bill_id, char *bill_no, size_t bsize, char *file_name,
                            size_t fsize, struct cg_err *err);
/*
 * Whether the current version of the order's document msg_type was refused by the electronic
 * port before it stored it (no positive receipt: the transport, a CEB900 or a negative code;
 * *unstored), and then whether a message up to mark declared it (*old: an earlier process or
 * `watch` generation, spool_refused_mark). A document customs refused after storing it (100)
 * has *unstored false.
 */
int cg_store_doc_refused(struct cg_store *st, int64_t order_id, int msg_type, int64_t mark,
                         bool *unstored, bool *old, struct cg_err *err);
/* Bills not departed yet (waiting or listed) or whose CEB509 was refused, oldest first. */
int cg_store_bills_open(struct cg_store *st, int (*fn)(const struct cg_store_bill *b, void *ctx),
                        void *ctx, struct cg_err *err);
int cg_store_bill_set_state(struct cg_store *st, int64_t bill_id, const char *state,
                            struct cg_err *err);

/* A parcel of a bill and the export inventory of its order (strings "" when unknown). */
struct cg_store_parcel {
    long line;
    const char *logistics_no;
    int64_t order_id; /* 0: no order of the seller has this waybill */
    const char *order_no, *inv_state, *invt_no;
};
int cg_store_bill_parcels(struct cg_store *st, int64_t bill_id,
                          int (*fn)(const struct cg_store_parcel *p, void *ctx), void *ctx,
                          struct cg_err *err);
/* Whether the order's parcel is on a bill whose CEB607 was declared (the goods are leaving). */
int cg_store_order_departing(struct cg_store *st, int64_t order_id, bool *yes, struct cg_err *err);

/* ------------------------------------------------------------------ monthly summaries */

/* An inventory that may go into a summary of month: closed (899) that month, China time. */
struct cg_store_sum_cand {
    const char *seller, *order_no, *invt_no;
    int64_t order_id, inv_id;
    int inv_version;
    const char *route; /* the statistics flag it was declared with; NULL: not kept (step 11) */
};
/*
 * Inventories closed in month (YYYYMM, the 899's returnTime) that no summary holds whose
 * CEB701 is not rejected (an inventory is never summarised twice), by seller and order.
 */
int cg_store_sum_candidates(struct cg_store *st, const char *month,
                            int (*fn)(const struct cg_store_sum_cand *c, void *ctx), void *ctx,
                            struct cg_err *err);
/*
 * The summary for (seller, month, country) to declare: the newest one whose CEB701 was
 * rejected or never declared (declared again), else a new one (next serial, with its orders row).
 * *id, *order_id; *again is true for a rejected one. Its inventory list is replaced by the caller.
 */
int cg_store_sum_open(struct cg_store *st, const char *seller, const char *month,
                      const char *country, int64_t *id, int64_t *order_id, bool *again,
                      struct cg_err *err);
/* Replace the summary's inventories: clear, then add each. */
int cg_store_sum_invts_clear(struct cg_store *st, int64_t summary_id, struct cg_err *err);
int cg_store_sum_invt_add(struct cg_store *st, int64_t summary_id, const char *invt_no,
                          int64_t order_id, struct cg_err *err);

/* One summary for `status --summaries`. */
struct cg_store_summary {
    const char *seller, *month, *country, *order_no;
    long ninvt;
    const char *state, *status;    /* its CEB701's ("" before it is declared) */
    const char *sum_no, *entry_id; /* from its CEB792, "" before it */
};
int cg_store_summaries(struct cg_store *st, int (*fn)(const struct cg_store_summary *s, void *ctx),
                       void *ctx, struct cg_err *err);
/* The customs declarations (entryId) of an inventory's lines, one call per line. */
int cg_store_invt_entries(struct cg_store *st, const char *invt_no,
                          int (*fn)(long gnum, const char *entry_id, void *ctx), void *ctx,
                          struct cg_err *err);

#endif
