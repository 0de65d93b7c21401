/*
 * store-refund.h - the SQL of the export VAT refund (refund/): refund units (one customs
 * declaration item each), the refund-rate table, purchase invoices and their allocation to
 * units, filing batches, imported files and the append-only event log.
 *
 * One function per operation; the caller owns the transaction (cg_store_tx). Returns CG_OK,
 * CG_ENOTFOUND for a missing row (soft), CG_EEXIST for a row that must be unique and is
 * there, CG_EREJECT when the database's own checks refuse a write (an invoice line allocated
 * beyond its quantity or amount, an event that rewrites history), CG_EDB / CG_EBUSY with err
 * (temporary: roll back, keep the input, try again). Amounts are int64 fen (CNY), quantities
 * int64 thousandths of the unit, rates int64 millionths (9 % = 90000). Days are YYYY-MM-DD.
 * Strings in row structs handed to callbacks are borrowed for the call only.
 */
#ifndef CG_STORE_REFUND_H
#define CG_STORE_REFUND_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct cg_store;

/* ------------------------------------------------------------------ refund units */

struct cg_rf_unit {
    long long id;
    const char *entry_id;           /* customs declaration number */
    long item_no;                   /* item of the declaration */
    const char *invt_nos;           /* inventories merged into the item, ';'-separated, may be "" */
    const char *order_no;           /* may be "" */
    const char *trade_mode, *route; /* 9610/9710/9810; statistics flag A or B ("" otherwise) */
    const char *export_on;          /* export date of the declaration */
    const char *hs, *name, *spec, *unit;
    int64_t qty_m;        /* declared quantity */
    int64_t value_fen;    /* declared value in CNY */
    int64_t expected_fen; /* expected purchase amount excl. VAT (estimate), 0: none */
    const char *regime, *state;
    const char *cleared_on; /* "" until the declaration is cleared */
    int fx_ok;              /* proceeds: 0 not collected, 1 given (operator, file), 2 from settle/,
                               3 reversed in settle/ after filing */
    int has_rate;
    int64_t refund_ppm, vat_ppm;
    const char *rate_from;
    /* from the allocations (read only; filled by the queries) */
    int64_t inv_qty_m, inv_fen, inv_vat_fen;
    /* amounts */
    int64_t refund_fen, approved_fen, refunded_fen, clawback_fen, clawback_paid_fen;
    int64_t returned_qty_m;
    const char *period;  /* filing period YYYYMM, "" before filing */
    long long batch_id;  /* 0: in no batch */
    const char *reason;  /* last rejection or mismatch reason, "" */
    const char *missing; /* documents missing, "" */
    const char *refunded_on, *soft_deadline, *hard_deadline;
    int soft_fired, late_ok;
    /* supporting documents (备案单证): due by, archived on, kept until ("" before filing) */
    const char *archive_due, *archived_on, *keep_until;
    int archive_fired;    /* the archive deadline passed without the documents: reported once */
    int64_t filed_qty_m;  /* quantity filed: declared less returned before the batch; 0 before */
    const char *seller;   /* seller of the order ([seller.NAME]), "" when not known */
    const char *fx_note;  /* why settle/'s collection of the order is not taken, "" */
    int64_t overpaid_fen; /* of clawback_paid_fen, what the rule does not ask: to be reclaimed */
    int64_t paid_fen;     /* sum of the payments recorded (rf_payment; read only) */
};
/* Insert; CG_EEXIST when the declaration item is already a unit. */
int cg_store_rf_unit_add(struct cg_store *st, const struct cg_rf_unit *u, long long *id,
                         struct cg_err *err);
/* Write back every mutable column (regime ... fx_note) of the unit with u->id. */
int cg_store_rf_unit_save(struct cg_store *st, const struct cg_rf_unit *u, struct cg_err *err);
typedef int (*cg_rf_unit_fn)(void *ctx, const struct cg_rf_unit *u);
/* By id (id > 0) or by declaration item. CG_ENOTFOUND when there is none. */
int cg_store_rf_unit_get(struct cg_store *st, long long id, const char *entry_id, long item_no,
                         cg_rf_unit_fn fn, void *ctx, struct cg_err *err);
/* Units by id; batch_id > 0: that batch's; entry_id != NULL: that declaration's. */
int cg_store_rf_units_each(struct cg_store *st, long long batch_id, const char *entry_id,
                           cg_rf_unit_fn fn, void *ctx, struct cg_err *err);

/* How many units follow their order's collection in settle/ (an order number, proceeds not
 * given by hand, including proceeds reversed there that may be collected again). */
int cg_store_rf_units_fx_open(struct cg_store *st, long *n, struct cg_err *err);

/* ------------------------------------------------------------------ events */

struct cg_rf_event {
    long long unit_id, batch_id; /* 0: none */
    const char *from_state, *to_state;
    const char *cause_kind; /* RECEIPT, OPERATOR, TIMER, TAXFILE, IMPORT */
    const char *cause_ref, *detail;
    const char *occurred_on;
};
int cg_store_rf_event_add(struct cg_store *st, const struct cg_rf_event *e, struct cg_err *err);
typedef int (*cg_rf_event_fn)(void *ctx, const struct cg_rf_event *e);
int cg_store_rf_events_each(struct cg_store *st, long long unit_id, cg_rf_event_fn fn, void *ctx,
                            struct cg_err *err);

/* ------------------------------------------------------------------ refund rates */

/* One row of the rate table; valid_to "" for open-ended. CG_EEXIST for the same hs and from. */
int cg_store_rf_rate_put(struct cg_store *st, const char *hs, const char *valid_from,
                         const char *valid_to, int64_t refund_ppm, int64_t vat_ppm,
                         const char *flag, struct cg_err *err);
/* The rate in force for hs on day; rate_from has room for 11 bytes. */
int cg_store_rf_rate_find(struct cg_store *st, const char *hs, const char *day, int64_t *refund_ppm,
                          int64_t *vat_ppm, char *rate_from, struct cg_err *err);

/* ------------------------------------------------------------------ imported files */

/* CG_OK when a file of this kind and SHA-256 was imported, CG_ENOTFOUND otherwise. */
int cg_store_rf_file_known(struct cg_store *st, const char *kind, const char *sha256,
                           struct cg_err *err);
int cg_store_rf_file_add(struct cg_store *st, const char *kind, const char *sha256,
                         const char *name, long rows, struct cg_err *err);

/* ------------------------------------------------------------------ invoices */

struct cg_rf_invline {
    long long id;
    const char *code, *number; /* invoice code and number */
    long line_no;
    const char *issued_on, *seller_tax_id, *name, *spec, *unit, *hs;
    int64_t qty_m, amount_fen, vat_ppm, vat_fen;
    /* filled by the queries: what is allocated of it */
    int64_t used_qty_m, used_fen, used_vat_fen;
    long units; /* units it is allocated to */
};
/* CG_EEXIST when (code, number, line_no) is known. */
int cg_store_rf_invline_add(struct cg_store *st, const struct cg_rf_invline *l, struct cg_err *err);
typedef int (*cg_rf_invline_fn)(void *ctx, const struct cg_rf_invline *l);
/* Lines by id (open_only: those with quantity left). */
int cg_store_rf_invlines_each(struct cg_store *st, int open_only, cg_rf_invline_fn fn, void *ctx,
                              struct cg_err *err);
int cg_store_rf_invline_get(struct cg_store *st, const char *code, const char *number, long line_no,
                            cg_rf_invline_fn fn, void *ctx, struct cg_err *err);

/* Allocate part of an invoice line to a unit; CG_EREJECT beyond the line's quantity or amount. */
int cg_store_rf_alloc_add(struct cg_store *st, long long line_id, long long unit_id, int64_t qty_m,
                          int64_t amount_fen, int64_t vat_fen, const char *cause,
                          struct cg_err *err);
/* The allocations of a unit, with their invoice line (qty_m/amount_fen/vat_fen: allocated;
 * used_qty_m/used_fen/used_vat_fen: the whole line's). */
int cg_store_rf_allocs_each(struct cg_store *st, long long unit_id, cg_rf_invline_fn fn, void *ctx,
                            struct cg_err *err);

/* ------------------------------------------------------------------ returns applied */

/*
 * A line (gnum) of an export return (the CEB213's guid) applied to a unit, once: CG_OK when
 * it was applied before, CG_ENOTFOUND when not; add records it (CG_EEXIST never expected).
 */
int cg_store_rf_return_known(struct cg_store *st, const char *return_guid, long gnum,
                             struct cg_err *err);
int cg_store_rf_return_add(struct cg_store *st, const char *return_guid, long gnum,
                           long long unit_id, int64_t qty_m, const char *day, struct cg_err *err);

/* ------------------------------------------------------------------ payments */

/*
 * A payment of a unit's approved refund (day, amount, reference "" when none). add 0: CG_OK
 * when it is recorded already, CG_ENOTFOUND when not; add 1: record it.
 */
int cg_store_rf_payment(struct cg_store *st, int add, long long unit_id, const char *day,
                        int64_t amount_fen, const char *ref, struct cg_err *err);
/* The day of the latest payment recorded for a unit into day; CG_ENOTFOUND when it has none. */
int cg_store_rf_last_payment(struct cg_store *st, long long unit_id, char *day, size_t size,
                             struct cg_err *err);

/* ------------------------------------------------------------------ batches */

struct cg_rf_batch {
    long long id;
    const char *period, *state, *created_on;
    long units;
    int64_t refund_fen;
    const char *export_csv, *purchase_csv;
};
int cg_store_rf_batch_add(struct cg_store *st, const struct cg_rf_batch *b, long long *id,
                          struct cg_err *err);
int cg_store_rf_batch_save(struct cg_store *st, const struct cg_rf_batch *b, struct cg_err *err);
typedef int (*cg_rf_batch_fn)(void *ctx, const struct cg_rf_batch *b);
int cg_store_rf_batch_get(struct cg_store *st, long long id, cg_rf_batch_fn fn, void *ctx,
                          struct cg_err *err);

#endif
