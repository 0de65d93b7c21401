/*
 * store-settle.h - the SQL of foreign-exchange collection and settlement (settle/).
 *
 * One function per operation on the fx_* tables, plus read-only queries over the declaration
 * tables (orders, documents, messages, receipts) for what settle/ needs to know about an
 * order: its declared amount and currency and the date customs released it. Nothing here
 * writes a declaration table. Every function returns CG_OK, CG_ENOTFOUND when the row asked
 * for is not there (a soft answer, never a database error), CG_EEXIST when a row that must be
 * unique is already there, or CG_EDB / CG_EBUSY with err filled (temporary: roll back, keep
 * the input, try again). Amounts are int64 minor units of the currency beside them; rates are
 * decimal strings. Strings in the row structs are borrowed and valid during the callback only.
 */
#ifndef CG_STORE_SETTLE_H
#define CG_STORE_SETTLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

struct cg_store;

/* ------------------------------------------------------------------ declared orders */

struct cg_fx_order {
    long long id;       /* orders.id */
    const char *seller; /* '' for the default seller */
    const char *order_no;
    char currency[4];         /* ISO letters of the declared amount */
    int64_t declared;         /* goods + freight + insurance as declared, minor units */
    char export_on[11];       /* YYYY-MM-DD customs released the inventory, "" when not yet */
    char released_utc_on[11]; /* the UTC day of that release (returnTime is China time) */
    bool has_charge;          /* the order file gave the buyer's payment (pay_time) */
    int64_t charge;           /* what the buyer was charged (pay_charge), minor units */
    int64_t refunded;         /* what the shop gave back of the charge (pay_refunded), 0: none */
};

struct cg_fx_declared {
    long long order_id;
    const char *currency; /* ISO letters */
    int64_t amount;       /* minor units */
    const char *pay_no;   /* the order file's payment number (payNo), NULL when none */
    bool has_charge;      /* the order file gave the buyer's payment (pay_time) */
    int64_t charge;       /* what the buyer was charged (pay_charge), minor units */
    int64_t refunded;     /* what the shop refunded of the charge (pay_refunded), minor units */
};
/*
 * Record the declared amounts of n orders, one statement for all (the spool's commit). An order
 * recorded again takes the new amounts, but keeps the larger of the shop's refunded amount
 * recorded before and the new one (shop refunds only grow; never added up), no more than the new
 * charge; without has_charge its charge becomes NULL (the refunded amount is then not used).
 */
int cg_store_fx_declared_put(struct cg_store *st, const struct cg_fx_declared *d, size_t n,
                             struct cg_err *err);

/*
 * The payment record of an order as collected (settle/ writes it in the transaction that
 * changes the order's allocations; the spool declares a CEB403 from it). amount is what the
 * order holds now in its currency (minor units, never below zero); pay_no (the entry's own
 * identity in its statement: the last part of its entry key) and paid_on (its value day) come
 * from the receipt of its latest confirmed principal allocation (NULL when none). Each change
 * of content raises the record's revision; an order that never held money gets no record.
 */
int cg_store_fx_payment_put(struct cg_store *st, long long order_id, const char *currency,
                            int64_t amount, struct cg_err *err);
struct cg_fx_payment {
    long long order_id;
    const char *seller, *order_no;
    char currency[4];    /* ISO letters */
    int64_t amount;      /* minor units */
    const char *pay_no;  /* NULL when none */
    const char *paid_on; /* YYYY-MM-DD, NULL when none */
    long long rev;       /* revision of the record */
    bool refused;        /* its CEB403's current version, declared up to the mark, was refused
                          * before the E-Port stored it (transport, CEB900, negative code) */
};
typedef int (*cg_fx_payment_fn)(void *ctx, const struct cg_fx_payment *p);
/*
 * The payment records changed since the spool last declared them, and those whose CEB403's
 * current version was refused before the E-Port stored it (no positive receipt for it) and
 * declared by a message up to mark (cg_store_fx_payments_mark), by order id. A non-zero fn
 * result stops and is returned.
 */
int cg_store_fx_payments_due(struct cg_store *st, int64_t mark, cg_fx_payment_fn fn, void *ctx,
                             struct cg_err *err);
/* The mark of the messages recorded so far (the greatest message id, 0 when none). */
int cg_store_fx_payments_mark(struct cg_store *st, int64_t *mark, struct cg_err *err);
/* The spool declared (or decided not to declare) revision rev of an order's payment record. */
int cg_store_fx_payment_declared(struct cg_store *st, long long order_id, long long rev,
                                 struct cg_err *err);
/*
 * The order with this number (seller NULL: any seller). CG_ENOTFOUND when there is none or it
 * has no declared amount; CG_EEXIST when several sellers have it and seller is NULL.
 */
typedef int (*cg_fx_order_fn)(void *ctx, const struct cg_fx_order *o);
int cg_store_fx_order_find(struct cg_store *st, const char *seller, const char *order_no,
                           cg_fx_order_fn fn, void *ctx, struct cg_err *err);
/*
 * The orders whose payment number (payNo of the order file) is pay_no, by id (seller NULL: any
 * seller). CG_ENOTFOUND when there is none. A non-zero fn result stops and is returned.
 */
int cg_store_fx_order_find_pay(struct cg_store *st, const char *seller, const char *pay_no,
                               cg_fx_order_fn fn, void *ctx, struct cg_err *err);
int cg_store_fx_order_get(struct cg_store *st, long long id, cg_fx_order_fn fn, void *ctx,
                          struct cg_err *err);
/* Every order with a declared amount, by id. A non-zero fn result stops and is returned. */
int cg_store_fx_orders_each(struct cg_store *st, cg_fx_order_fn fn, void *ctx, struct cg_err *err);

/* What the fx_* tables say about one order, in the order's currency unless said otherwise. */
struct cg_fx_sums {
    int64_t principal; /* confirmed money received for it (net of platform fees) */
    int64_t fees;      /* fees netted before the money came in (platform or bank) */
    int64_t refunds;   /* paid back to the buyer, chargebacks */
    int64_t returned;  /* declared value of goods returned (lowers what is expected) */
    int64_t explained; /* over-collection explained by the operator (FX_DIFF, FREIGHT) */
    int pending_cross; /* cross-currency allocations waiting for rates */
    int cross;         /* cross-currency allocations in all */
    int deemed;        /* deemed collected, with evidence */
    int uncollectible; /* cannot be collected, with evidence */
    int credit_filed;  /* deferred-receipt report filed */
};
int cg_store_fx_order_sums(struct cg_store *st, long long order_id, struct cg_fx_sums *out,
                           struct cg_err *err);
/*
 * Every order with a declared amount and its sums, by id, from one statement (what the reports
 * read instead of cg_store_fx_order_sums per order). A non-zero fn result stops and is returned.
 */
typedef int (*cg_fx_order_sums_fn)(void *ctx, const struct cg_fx_order *o,
                                   const struct cg_fx_sums *sums);
int cg_store_fx_orders_sums_each(struct cg_store *st, cg_fx_order_sums_fn fn, void *ctx,
                                 struct cg_err *err);

/* ------------------------------------------------------------------ statements, receipts */

int cg_store_fx_statement_find(struct cg_store *st, const char *sha256, long long *id,
                               struct cg_err *err);
/*
 * The seller statement id was imported for ("" without one), the name it was imported under and
 * the UTC day it was (each cut to its buffer's size). CG_ENOTFOUND when there is no such
 * statement.
 */
int cg_store_fx_statement_get(struct cg_store *st, long long id, char *seller, size_t seller_size,
                              char *name, size_t name_size, char day[11], struct cg_err *err);
int cg_store_fx_statement_add(struct cg_store *st, const char *seller, const char *kind,
                              const char *name, const char *sha256, const char *stmt_id,
                              long entries, long long *id, struct cg_err *err);

struct cg_fx_receipt {
    long long id;
    long long statement_id;
    const char *seller;
    const char *entry_key; /* unique: "<kind>:<account>:<entry reference>" */
    long line;             /* line in the statement file */
    int out;               /* 1: money paid out (refund to a buyer, chargeback) */
    int charge;            /* 1: an outgoing entry that is the bank's own charge: coded or found
                            * so at import, or recorded so by the operator (below) */
    /* the operator's record of it as a charge (cg_store_fx_charge_mark); NULL when none */
    const char *charge_by, *charge_reason, *charge_on;
    char currency[4];
    int64_t gross, fee, net; /* net = gross - fee */
    char booked_on[11], value_on[11];
    const char *reference; /* order number, end-to-end id or remittance text */
    const char *remitter;
    /* filled by the queries: what is allocated of it */
    int64_t used_principal, used_fees, used_refunds;
    /* a bank credit that is the arrival of a payout (cg_store_fx_transfer_add): the payout's id
     * and seller, the rule or "manual", and for the operator's who recorded it and the day;
     * NULL when it is none (transfer_by and transfer_on for an automatic one too) */
    const char *transfer_payout, *transfer_seller, *transfer_cause, *transfer_by, *transfer_on;
    int64_t transfer_amount; /* what the payout transferred when recorded (the net before) */
    int transfer_undone;     /* an arrival of it was taken back (cg_store_fx_transfer_undo) */
};
/* CG_EEXIST when entry_key is already known. */
int cg_store_fx_receipt_add(struct cg_store *st, const struct cg_fx_receipt *r, long long *id,
                            struct cg_err *err);
/* CG_OK and *id (may be NULL) when entry_key is recorded; CG_ENOTFOUND when not. */
int cg_store_fx_receipt_known(struct cg_store *st, const char *entry_key, long long *id,
                              struct cg_err *err);
/*
 * CG_OK and *id (may be NULL) when an entry of kind ("camt", "csv" or "payout"; entry_key
 * "KIND:SELLER:ACCOUNT:REF", the seller's part ending at its first colon) with account (NULL:
 * none) and ref is recorded, for any seller or none; CG_ENOTFOUND when not.
 */
int cg_store_fx_entry_known_any(struct cg_store *st, const char *kind, const char *account,
                                const char *ref, long long *id, struct cg_err *err);
typedef int (*cg_fx_receipt_fn)(void *ctx, const struct cg_fx_receipt *r);
int cg_store_fx_receipt_get(struct cg_store *st, long long id, cg_fx_receipt_fn fn, void *ctx,
                            struct cg_err *err);
/* Every receipt by id (open_only: those with money not yet allocated, not a payout's arrival). */
int cg_store_fx_receipts_each(struct cg_store *st, int open_only, cg_fx_receipt_fn fn, void *ctx,
                              struct cg_err *err);

/*
 * Record that outgoing bank entry receipt_id (nothing of it allocated) is the bank's own charge:
 * by whom (the user), why, and the day it counts from (YYYY-MM-DD); the time of the record is
 * the store's. The database refuses (CG_EREJECT) a receipt that is money in, not a bank entry,
 * a charge from its import, or has a live allocation; CG_EEXIST when it was recorded so before.
 */
int cg_store_fx_charge_mark(struct cg_store *st, long long receipt_id, const char *by,
                            const char *reason, const char *on, struct cg_err *err);

/*
 * A payout imported from a payout report, not yet arrived in a bank statement: its receipts (the
 * sales, its refunds and adjustments, settle/'s keys "payout:SELLER::ID[ refund ...| adjustment
 * ...]") added up: what it transferred (incoming nets less outgoing ones), its currency and day.
 */
struct cg_fx_payout {
    const char *seller; /* "" without one */
    const char *id;
    char currency[4];
    char day[11];
    int64_t transfer;
    long long arrived_in;      /* the bank credit that is its arrival, 0 when none */
    const char *arrival_cause; /* that arrival's rule or "manual", NULL when none */
};
typedef int (*cg_fx_payout_fn)(void *ctx, const struct cg_fx_payout *p);
/* Every payout not arrived yet, by seller and id. A non-zero fn result stops and is returned. */
int cg_store_fx_payouts_each(struct cg_store *st, cg_fx_payout_fn fn, void *ctx,
                             struct cg_err *err);
/*
 * The payouts with id id, arrived or not, of seller (NULL: any seller), by seller and currency
 * (none: fn is not called). A non-zero fn result stops and is returned.
 */
int cg_store_fx_payout_find(struct cg_store *st, const char *seller, const char *id,
                            cg_fx_payout_fn fn, void *ctx, struct cg_err *err);
/* A payout's arrival: which bank credit, which payout, by which rule, for how much. */
struct cg_fx_transfer {
    long long receipt_id;
    const char *seller, *payout;
    const char *cause;   /* "auto:payout id", "auto:payout day", "manual" */
    int64_t transferred; /* what the payout transferred, minor units of the credit's currency */
    const char *by, *on; /* the operator and the day (YYYY-MM-DD); NULL for an automatic one */
    const char *note;    /* the operator's note, NULL when none */
};
/*
 * Record that bank credit t->receipt_id is the arrival of payout t->payout of t->seller; what is
 * held of its currency drops by t->transferred. The database refuses (CG_EREJECT) a receipt that
 * is no bank credit or has a live allocation, and (CG_EEXIST) a receipt or payout recorded so
 * before.
 */
int cg_store_fx_transfer_add(struct cg_store *st, const struct cg_fx_transfer *t,
                             struct cg_err *err);
/*
 * Take back the arrival bank credit receipt_id is: the undoing is kept (by whom, the day, the
 * note), the arrival removed, and what is held gets back what it took off. CG_ENOTFOUND when the
 * receipt is no payout's arrival.
 */
int cg_store_fx_transfer_undo(struct cg_store *st, long long receipt_id, const char *by,
                              const char *on, const char *note, struct cg_err *err);

/* One order's part of a payout (several per receipt). */
struct cg_fx_line {
    long long receipt_id;
    long line_no;
    const char *order_ref;
    const char *pay_ref;
    int64_t gross, fee, net;
};
int cg_store_fx_line_add(struct cg_store *st, const struct cg_fx_line *l, struct cg_err *err);
typedef int (*cg_fx_line_fn)(void *ctx, const struct cg_fx_line *l);
int cg_store_fx_lines_each(struct cg_store *st, long long receipt_id, cg_fx_line_fn fn, void *ctx,
                           struct cg_err *err);

/* ------------------------------------------------------------------ allocations */

struct cg_fx_alloc {
    long long id, receipt_id, order_id;
    const char *kind;        /* PRINCIPAL, FEE_NETTED, REFUND_OUT, FEE_REVERSED */
    int64_t amount_rcpt;     /* in the receipt's currency, > 0 */
    int has_order_amount;    /* 0 while a cross-currency allocation waits for rates */
    int64_t amount_order;    /* in the order's currency */
    int64_t cny;             /* CNY basis of a cross-currency allocation (fen), else 0 */
    const char *rate_rcpt;   /* CNY per unit of the receipt currency, or NULL */
    const char *rate_order;  /* CNY per unit of the order currency, or NULL */
    const char *rate_source; /* where the rates came from, or NULL */
    const char *rate_date;   /* the day of the rates, or NULL */
    int cross;               /* receipt and order currencies differ */
    const char *cause;       /* statement line, "operator", "auto:<rule>" */
    const char *order_no;    /* filled by cg_store_fx_allocs_each */
    const char *currency;    /* receipt currency, filled by cg_store_fx_allocs_each */
    const char *value_on;    /* the receipt's value day, filled by cg_store_fx_allocs_each */
};
/*
 * Insert an allocation. The database refuses (CG_EREJECT) one that would take more of the
 * receipt than it has: principal over its net, fees over its fee, refunds over an outgoing net.
 */
int cg_store_fx_alloc_add(struct cg_store *st, const struct cg_fx_alloc *a, long long *id,
                          struct cg_err *err);
/* Mark every live allocation of receipt to order removed; *n how many. */
int cg_store_fx_alloc_remove(struct cg_store *st, long long receipt_id, long long order_id, long *n,
                             struct cg_err *err);
/* Give a waiting cross-currency allocation its rates and converted amounts. */
int cg_store_fx_alloc_confirm(struct cg_store *st, long long id, int64_t amount_order, int64_t cny,
                              const char *rate_rcpt, const char *rate_order, const char *source,
                              const char *rate_date, struct cg_err *err);
/* Live allocations of an order (order_id > 0) or of a receipt (receipt_id > 0). */
typedef int (*cg_fx_alloc_fn)(void *ctx, const struct cg_fx_alloc *a);
int cg_store_fx_allocs_each(struct cg_store *st, long long order_id, long long receipt_id,
                            cg_fx_alloc_fn fn, void *ctx, struct cg_err *err);

/* ------------------------------------------------------------------ operator records */

/* kind: RETURNED, FX_DIFF, FREIGHT, DEEMED, UNCOLLECTIBLE, TRADE_CREDIT_FILED. */
int cg_store_fx_adjust_add(struct cg_store *st, long long order_id, const char *kind,
                           int64_t amount, const char *note, struct cg_err *err);

struct cg_fx_event {
    long long order_id;   /* 0: none */
    long long receipt_id; /* 0: none */
    const char *from_state, *to_state;
    const char *cause_kind; /* BANKFILE, OPERATOR, TIMER */
    const char *cause_ref;
    const char *detail;
    const char *occurred_on; /* YYYY-MM-DD */
};
int cg_store_fx_event_add(struct cg_store *st, const struct cg_fx_event *e, struct cg_err *err);
typedef int (*cg_fx_event_fn)(void *ctx, const struct cg_fx_event *e, const char *recorded_at);
int cg_store_fx_events_each(struct cg_store *st, long long order_id, cg_fx_event_fn fn, void *ctx,
                            struct cg_err *err);

/* A timer fires once per order and kind: CG_EEXIST when it already has. */
int cg_store_fx_timer_fire(struct cg_store *st, long long order_id, const char *kind,
                           const char *on, struct cg_err *err);

/* ------------------------------------------------------------------ rates, settlements */

int cg_store_fx_rate_put(struct cg_store *st, const char *currency, const char *on,
                         const char *rate, const char *source, struct cg_err *err);
/* rate and source have room for 32 and 64 bytes. */
int cg_store_fx_rate_get(struct cg_store *st, const char *currency, const char *on, char *rate,
                         char *source, struct cg_err *err);

struct cg_fx_holding {
    char currency[4];
    int64_t received; /* net of incoming receipts */
    int64_t paid_out; /* outgoing receipts */
    int64_t settled;  /* converted to CNY */
    int64_t cny;      /* CNY (fen) obtained for it */
    long settlements;
};
typedef int (*cg_fx_holding_fn)(void *ctx, const struct cg_fx_holding *h);
/* Per currency (currency NULL: every currency, alphabetical), read from the balance the database
 * keeps of each currency (settle step 14), not added up from the receipts and settlements. */
int cg_store_fx_holdings_each(struct cg_store *st, const char *currency, cg_fx_holding_fn fn,
                              void *ctx, struct cg_err *err);
/* CG_OK when a settlement with this reference is recorded, else CG_ENOTFOUND. */
int cg_store_fx_settlement_known(struct cg_store *st, const char *reference, struct cg_err *err);
/* CG_EEXIST when reference (if not NULL) is already recorded. */
int cg_store_fx_settlement_add(struct cg_store *st, const char *currency, int64_t amount,
                               int64_t cny, const char *rate, const char *on, const char *reference,
                               struct cg_err *err);
/*
 * The receipts with a live allocation in another currency than its order's waiting for the
 * bank's rates (amount_order NULL), counted once each, of one seller's orders (NULL: every
 * seller).
 */
int cg_store_fx_cross_pending(struct cg_store *st, const char *seller, long *n, struct cg_err *err);

#endif
