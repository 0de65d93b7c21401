/*
 * store-dismiss.h - files refused whole that an operator dismissed (`cebgate dismiss`): a
 * refused order file, statement, payout report, invoice or result file whose refusal is no
 * longer to be acted on (a corrected copy came under another name, or the file is not to be
 * declared at all). The report lists each seller and name whose latest outcome is a refusal
 * (store-report.h) unless that refusal was dismissed; a dismissal covers the one refusal it was
 * made for, known by its time, so a later refusal of the same seller and name is listed again.
 *
 * seller is "" for incoming/ itself. Strings handed to callbacks are borrowed for the call only;
 * a non-zero callback result stops the query and is returned. Failures: CG_ENOTFOUND and
 * CG_EEXIST (soft answers, said per function), CG_EDB / CG_EBUSY with err filled (temporary).
 */
#ifndef CG_STORE_DISMISS_H
#define CG_STORE_DISMISS_H

#include "core/err.h"

struct cg_store;

/* A dismissal: when, by whom (the user who ran the command), and the operator's reason. */
struct cg_store_dismissal {
    const char *at, *by, *reason;
};

/*
 * A refusal that is its seller and name's latest outcome: what the file is ("order file", or
 * the kind settle/ or refund/ recorded), the reason it was refused whole, its time, and the
 * dismissal covering it (dismissed.at NULL when there is none: the report lists it).
 */
struct cg_store_refusal {
    const char *seller, *name, *kind, *reason, *refused_at;
    struct cg_store_dismissal dismissed;
};

/*
 * The refusals of name of seller (NULL: of any seller) that are their seller and name's latest
 * outcome, dismissed or not, by seller. CG_ENOTFOUND when there is none.
 */
int cg_store_refusals_named(struct cg_store *st, const char *seller, const char *name,
                            int (*fn)(const struct cg_store_refusal *r, void *ctx), void *ctx,
                            struct cg_err *err);

/*
 * Record the dismissal of the refusal of seller/name made at refused_at (of the given kind), by
 * by and for reason, at the store's time (the unit of work's). CG_EEXIST when that refusal was
 * dismissed already.
 */
int cg_store_refusal_dismiss(struct cg_store *st, const char *seller, const char *name,
                             const char *refused_at, const char *kind, const char *by,
                             const char *reason, struct cg_err *err);

/*
 * The dismissal of the refusal of seller/name made at refused_at, to fn. CG_ENOTFOUND when that
 * refusal was not dismissed.
 */
int cg_store_refusal_dismissal(struct cg_store *st, const char *seller, const char *name,
                               const char *refused_at,
                               int (*fn)(const struct cg_store_dismissal *d, void *ctx), void *ctx,
                               struct cg_err *err);

/*
 * Record the dismissal of every receipt for an unknown or mismatched message listed now (those
 * after the last dismissal), by by and for reason, at the store's time; *n how many, first and
 * last (at most 40 bytes each) when the first and the last of them were received.
 * CG_ENOTFOUND when none is listed.
 */
int cg_store_unknown_dismiss(struct cg_store *st, const char *by, const char *reason, long *n,
                             char first[40], char last[40], struct cg_err *err);

#endif
