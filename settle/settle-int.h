/*
 * settle-int.h - what the files of settle/ share; nothing outside settle/ includes it.
 */
#ifndef CG_SETTLE_INT_H
#define CG_SETTLE_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "core/money.h"
#include "settle/settle.h"
#include "store/store-settle.h"

#define CG_DAY_LEN 11 /* "YYYY-MM-DD" and NUL */

/* Columns of a payout report, named by the payout profile ([payout] keys in that order). */
enum {
    FX_PO_ID,
    FX_PO_DATE,
    FX_PO_CURRENCY,
    FX_PO_ORDER,
    FX_PO_PAYNO,
    FX_PO_GROSS,
    FX_PO_FEE,
    FX_PO_NET,
    FX_PO_NCOLS
};

struct cg_settle {
    const struct cg_conf *conf; /* borrowed */
    struct cg_store *db;        /* borrowed */
    char today[CG_DAY_LEN];     /* "as of" day of operator actions and derived states */
    bool today_given;           /* today was set (cg_settle_set_today), not read off the clock */
    const char *report_seller;  /* borrowed; reports over the orders cover this seller's only */
    long china_now;             /* the China date (days since 1970-01-01) when s was made */
    char *po_col[FX_PO_NCOLS];  /* payout profile: header of each column, NULL when absent */
    int po_loaded;
    cg_settle_collected_fn on_collected;
    void *on_collected_ctx;
    long long *touched; /* orders whose collected amount changed in the current transaction */
    size_t ntouched, cap_touched;
    bool touch_failed; /* an order could not be noted in touched: the transaction fails */
    /* The sellers' configurations resolved during one unit of work (fx_tx: fx_pass_begin to
     * fx_pass_end), when the configuration cannot change: fx_view_load looks each up once. */
    struct fx_seller_conf *pass_conf;
    size_t npass_conf;
    bool pass_on;
    /* Automatic matching's state events, one per order, written once all of the order's
     * allocations of the pass are made (fx_auto_match_in_tx): NULL outside a pass. */
    struct fx_bank_event *bank_ev;
    size_t nbank_ev, cap_bank_ev;
    /* What the last operator action recorded, for the command to print (cg_settle_done). */
    char done[640];
};

/* One order with everything its state is derived from. */
struct fx_view {
    long long id;
    char seller[64];
    char order_no[64];
    char currency[4];
    int64_t declared;
    bool has_charge;                  /* the order file gave the buyer's payment */
    int64_t charge;                   /* what the buyer was charged (pay_charge) */
    int64_t refunded;                 /* what the shop gave back of it (pay_refunded) */
    char export_on[CG_DAY_LEN];       /* release day, China date */
    char released_utc_on[CG_DAY_LEN]; /* the UTC day of the release instant */
    struct cg_fx_sums sums;
    int64_t expected;          /* what it is to bring, from charge or declared (fx_expected) */
    int64_t collected;         /* principal + fees - refunds */
    int64_t open;              /* expected - collected + explained, never below 0 */
    char deadline[CG_DAY_LEN]; /* tax collection deadline, "" before export */
    int state;
};

/* settle.c */
int fx_day_parse(const char *s, long *days); /* days since 1970-01-01; CG_EINVAL if malformed */
void fx_day_format(long days, char out[CG_DAY_LEN]);
void fx_day_today(char out[CG_DAY_LEN]);
/* What a statement of a kind (CG_STMT_*) is, in the words of the report's list of files. */
const char *fx_kind_words(int kind);
/*
 * The China date (UTC+8, days since 1970-01-01) the deadlines, which are China dates, are
 * compared with as of the UTC day utc_day: that of the end of utc_day, or, for today when no
 * as-of day was given, that of now (a report or tick run now is as at now, not at the end of the
 * UTC day, which in a China morning is still to come). A deadline has passed when this is after
 * it; -1 stays -1 (no day: nothing has passed).
 */
long fx_china_day(const struct cg_settle *s, long utc_day);
int fx_rate_parse(const char *s, int64_t *rate, struct cg_err *err); /* dec, > 0 */
/* round_half_up(a * b / c), c > 0; CG_ERANGE on overflow. */
int fx_muldiv(int64_t a, int64_t b, int64_t c, int64_t *out);
int fx_pow10(int n, int64_t *out);
/* CNY (fen) for amount minor units of cur at rate (dec, CNY per unit), half away from zero. */
int fx_to_cny(int64_t amount, const char *cur, int64_t rate, int64_t *fen);
int fx_amount_parse(const char *s, const char *cur, int64_t *minor, struct cg_err *err);
/*
 * Why cur is no currency, in buf (returned): "unknown currency 'usd'", with the code to write
 * when it is a known one in small letters ("...: a currency is its ISO 4217 code in capital
 * letters, USD").
 */
const char *fx_currency_why(const char *cur, char *buf, size_t size);
/*
 * Read the payout profile ([settle] payout_profile) once, so that cg_settle_sniff knows payout
 * reports; CG_ECONFIG when it is unreadable or incomplete (the other kinds are still known).
 */
int fx_payout_profile_load(struct cg_settle *s, struct cg_err *err);
void fx_amount_format(int64_t minor, const char *cur, char *buf, size_t size);
const char *fx_conf(const struct cg_settle *s, const char *seller, const char *key);
long fx_conf_int(const struct cg_settle *s, const char *seller, const char *key);
/* A seller's [settle.NAME] keys (or the [settle] ones), looked up once; strings borrowed. */
struct fx_seller_conf {
    char seller[64];
    const char *tolerance;    /* NULL when unset */
    const char *tax_deadline; /* MM-DD, NULL when unset */
    long tax_deadline_years;
    long terms_days, credit_days, credit_report_days;
};
void fx_seller_conf_get(const struct cg_settle *s, const char *seller, struct fx_seller_conf *c);
/* Between these, fx_view_load resolves each seller's configuration once (fx_tx's unit of work). */
void fx_pass_begin(struct cg_settle *s);
void fx_pass_end(struct cg_settle *s);
/*
 * What an order expects. Without a charge: declared - returned (the declared value of goods
 * returned). With the buyer's charge from its order file's payment and a refund the shop records
 * in that file (refunded > 0): the charge less it, never below 0, whatever was returned: the
 * shop's refund covers what it gave back for goods returned as for a gift card, shipping or a
 * tip, so goods returned are not taken off again. With a charge and no such refund: the charge
 * in the proportion of the declared value kept, round_half_up(charge x (declared - returned) /
 * declared), so a discount or a tax is shared by the goods returned as by those kept and a full
 * return expects nothing; the charge itself when nothing was returned.
 */
int64_t fx_expected(bool has_charge, int64_t charge, int64_t refunded, int64_t declared,
                    int64_t returned);
/* Fill v for order id as of day. */
int fx_view_load(struct cg_settle *s, long long order_id, const char *as_of, struct fx_view *v,
                 struct cg_err *err);
/*
 * The view of every declared order as of day (NULL: s->today), by id, derived by the same rule
 * as fx_view_load from one pass over the store; conf is the order's seller's. A non-zero fn
 * result stops and is returned.
 */
typedef int (*fx_view_fn)(void *ctx, const struct fx_view *v, const struct fx_seller_conf *conf);
int fx_views_each(struct cg_settle *s, const char *as_of, fx_view_fn fn, void *ctx,
                  struct cg_err *err);
/* Resolve "NO" or "SELLER/NO". */
int fx_order_resolve(struct cg_settle *s, const char *spec, long long *id, struct cg_err *err);
/* An event for order (state before in before, recomputed after the change). */
int fx_event(struct cg_settle *s, long long order_id, long long receipt_id, int before,
             const char *as_of, const char *cause_kind, const char *cause_ref, const char *detail,
             struct cg_err *err);
/* The order's collected amount changed in this transaction (for the collected hook). */
void fx_touch(struct cg_settle *s, long long order_id);
/*
 * Run fn in a transaction that also writes the payment record (cg_store_fx_payment_put) of
 * each touched order; call the collected hook for them after commit.
 */
int fx_tx(struct cg_settle *s, int (*fn)(struct cg_store *, void *, struct cg_err *), void *ctx,
          struct cg_err *err);

/* settle-match.c */
/* What automatic matching made: allocations (an order taking some of a receipt), and the fee
 * allocations beside them (FEE_NETTED of money in, FEE_REVERSED of a refund). */
struct fx_made {
    long allocations, fees_netted, fees_back;
    long transfers; /* bank credits found to be the arrival of a payout (settle-transfer.c) */
};
int fx_auto_match_in_tx(struct cg_settle *s, struct fx_made *made, struct cg_err *err);
/*
 * *named: a word of text (split as matching splits references) is the order number or the
 * payment number of an order of any seller, even one several sellers use: text names an order.
 */
int fx_text_names_order(struct cg_settle *s, const char *text, int *named, struct cg_err *err);
/* A conversion inside the caller's transaction; bank_cny (text) is taken as the bank gives it. */
int fx_convert_in_tx(struct cg_settle *s, const char *cur, const char *amount, const char *rate,
                     const char *day, const char *reference, const char *bank_cny, int64_t *cny,
                     struct cg_err *err);

/* Receipt id to fn (cg_store_fx_receipt_get); CG_ENOTFOUND saying there is no such receipt. */
int fx_receipt_load(struct cg_settle *s, long long id, cg_fx_receipt_fn fn, void *ctx,
                    struct cg_err *err);
/*
 * A receipt's live allocations as text for a refusal (cg_store_fx_allocs_each callback, ctx a
 * struct fx_alloc_list zeroed before): "USD 15.00 to C2, USD 5.00 to C3", the order of the
 * first and how many.
 */
struct fx_alloc_list {
    char text[400];
    char first[140];
    size_t n;
};
int fx_alloc_list_take(void *ctx, const struct cg_fx_alloc *a);

/*
 * settle-transfer.c: record each open bank credit that is the arrival of a payout imported from a
 * payout report as such (*arrived: how many), in the caller's transaction; never one whose
 * arrival the operator took back (settle arrival --undo).
 */
int fx_transfers_in_tx(struct cg_settle *s, long *arrived, struct cg_err *err);

/* settle-camt.c: entries parsed from a statement before anything is written */
struct fx_line {
    char *order_ref; /* NULL: a payout's adjustment (its net signed), no order's */
    char *pay_ref;
    int64_t gross, fee, net;
    long at; /* line of the file (refund lines of a payout) */
    /* a payout's refund line: how many refund lines of its order the payout has up to it */
    size_t nth;
};
struct fx_entry {
    long line;
    char *key; /* entry reference: unique in the file, a bank entry's in its account */
    /* an MT940 line without the bank's reference: the key it was recorded under before it was
     * known by its content (statement reference, sequence number, place), and while it is read,
     * its :61: field as written (NULL for every other entry) */
    char *key_old;
    char *content;
    char *account; /* its statement's account (camt); NULL: the file's */
    /* the whole text of the statement's Acct/Id/Othr when it holds more than the Id (camt) */
    char *account_old;
    int out;
    int charge; /* out, and the bank codes it as its own charge (account fee, commission) */
    /* the text a bank gives the entry (:86:, AddtlNtryInf, Ustrd, AddtlTxInf): charge words */
    char *narrative;
    char currency[4];
    int64_t gross, fee, net;
    char booked_on[CG_DAY_LEN], value_on[CG_DAY_LEN];
    bool recorded; /* recorded by this import (not known from another file) */
    char *reference;
    /* MT940, while read: the references a line without the bank's reference is known by, as
     * they were before the subfields of a SWIFT :86: were read (NULL: reference) */
    char *keyed_ref;
    char *remitter;
    size_t nlines;
    struct fx_line *lines;
    /* a payout's refund lines, while it is read: each becomes an outgoing entry of its own */
    size_t nrefunds;
    struct fx_line *refunds;
};
struct fx_parsed {
    int kind;
    char *stmt_id;
    char *account; /* the file's one account (MT940); a camt entry names its own */
    size_t n, cap;
    struct fx_entry *e;
    long problems;
    cg_settle_problem_fn problem;
    void *pctx;
    const char *name;
    /* The text was decoded from GB18030: keys taken of its text are taken of the GB18030 bytes,
     * as the file had them and as a cebgate from before the decoding took them. */
    bool from_gb18030;
    /* The entries by key (fx_parsed_find): chains of entry numbers from kbucket[hash], knext[i]
     * the next entry of entry i's chain; entries from kindexed on are not in them yet. */
    size_t *kbucket, nkbucket, *knext, nknext, kindexed;
};
void fx_parsed_free(struct fx_parsed *p);
/* The reason for a byte that is not text (byte, then its position in characters from 1). */
#define FX_NOT_TEXT                                                                                \
    "byte 0x%02X at position %zu is not UTF-8/GB18030 text: save the file as UTF-8 (or GB18030)"

/*
 * The first entry of p (in the order added) whose key is key and, when same is not NULL, for
 * which same(entry, ctx) holds; NULL when none. Looks at the entries of that key only, so a
 * statement's check for a reference given twice does not compare each entry with every other.
 */
struct fx_entry *fx_parsed_find(struct fx_parsed *p, const char *key,
                                int (*same)(const struct fx_entry *, const void *),
                                const void *ctx);
/* The keys of p's entries were changed: fx_parsed_find reads them again. */
void fx_parsed_keys_changed(struct fx_parsed *p);
/* The account entry e of p belongs to, NULL when none (a collections CSV, a payout report). */
static inline const char *fx_entry_account(const struct fx_parsed *p, const struct fx_entry *e)
{
    return e->account != NULL ? e->account : p->account;
}
void fx_entry_free(struct fx_entry *e); /* what the entry holds, not e itself */
struct fx_entry *fx_parsed_add(struct fx_parsed *p);
void fx_problem(struct fx_parsed *p, long line, const char *ref, const char *field, const char *fmt,
                ...) __attribute__((format(printf, 5, 6)));
int fx_parse_camt(struct fx_parsed *p, const char *data, size_t len, struct cg_err *err);

/* settle-mt940.c: SWIFT MT940 statements into the same entries */
int fx_parse_mt940(struct fx_parsed *p, const char *data, size_t len, struct cg_err *err);
/* An MT940 amount ("1234,56", "100,"), n bytes, in minor units of cur; CG_EREJECT with why. */
int fx_mt940_amount(const char *s, size_t n, const char *cur, int64_t *minor, struct cg_err *err);
/* "YYMMDD" (80-99 as 19YY, else 20YY) as "YYYY-MM-DD"; CG_EINVAL when not a date. */
int fx_mt940_date(const char *s, char out[CG_DAY_LEN]);
/* An entry date "MMDD" in the year that puts it nearest value_on ("YYYY-MM-DD"). */
int fx_mt940_entry_date(const char *value_on, const char *mmdd, char out[CG_DAY_LEN]);

/*
 * settle-charge.c: the charge words ([settle] charge_words), which make an outgoing bank entry
 * naming no order the bank's charge though the bank did not code it as one.
 */
struct fx_words;
/* The list of words in text (separated by spaces or commas); CG_EINVAL says which word is bad. */
int fx_words_parse(const char *text, struct fx_words **out, struct cg_err *err);
void fx_words_free(struct fx_words *w);
/* *found: the first word of w in text, as the list writes it (borrowed from w); NULL: none. */
int fx_words_find(const struct fx_words *w, const char *text, const char **found);

/* settle-customs.c: the customs monthly rates and the FX gain or loss of an order */
struct fx_customs_rate {
    char month[8]; /* YYYY-MM */
    char currency[4];
    int64_t rate; /* dec: CNY for one unit */
    char text[CG_DEC_STRMAX];
};
struct fx_customs {
    struct fx_customs_rate *r;
    size_t n;
};
/* Read [settle] customs_rates (nothing when unset); CG_ECONFIG names file, line and field. */
int fx_customs_load(const struct cg_settle *s, struct fx_customs *t, struct cg_err *err);
void fx_customs_free(struct fx_customs *t);
/* The rate of month (YYYY-MM) and currency, NULL when the table has none. */
const struct fx_customs_rate *fx_customs_find(const struct fx_customs *t, const char *month,
                                              const char *cur);

struct fx_gain {
    const struct fx_customs_rate *rate; /* of the release month; NULL: none known */
    int64_t declared_cny;               /* declared x customs rate */
    int64_t collected_cny;              /* collected x customs rate */
    int priced;                         /* every allocation has a bank rate */
    int64_t bank_cny;                   /* the allocations at the bank rates */
    int64_t gain;                       /* bank_cny - collected_cny */
    char missing[48];                   /* "USD 2025-03-20": the first bank rate missing */
};
/* The customs (released orders only) and bank CNY values of order v. */
int fx_gain_of(struct cg_settle *s, const struct fx_customs *t, const struct fx_view *v,
               struct fx_gain *g, struct cg_err *err);

/*
 * Whether the fee of outgoing receipt r is a fee given back with the refund (FEE_REVERSED): the
 * fee of a payout's refund line or of a collections row `out` is what the platform or payment
 * institution returns of its fee (a payout's adjustment kept, a charge, has none), while the
 * charges of a bank's outgoing transfer (a camt DBIT entry, key "camt:...") are the bank's price
 * for sending it and never come back to the order.
 */
static inline int fx_fee_given_back(const struct cg_fx_receipt *r)
{
    return r->out && !r->charge && r->entry_key != NULL && strncmp(r->entry_key, "camt:", 5) != 0;
}

/*
 * Whether receipt r is an adjustment of a payout (a row of a payout report naming no order: a
 * reserve, a chargeback fee, a correction; key "payout:SELLER::ID adjustment[ #N]"): the
 * payout's money, no order's, which automatic matching never gives to an order.
 */
static inline int fx_payout_adjustment(const struct cg_fx_receipt *r)
{
    const char *k = r->entry_key, *a;
    size_t n;

    if (k == NULL || strncmp(k, "payout:", 7) != 0 || (a = strstr(k, " adjustment")) == NULL)
        return 0;
    a += 11;
    if (*a == '\0')
        return 1;
    if (a[0] != ' ' || a[1] != '#' || a[2] == '\0')
        return 0;
    n = strspn(a + 2, "0123456789");
    return a[2 + n] == '\0';
}

#endif
