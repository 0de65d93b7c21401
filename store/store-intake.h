/*
 * store-intake.h - the files settle/ and refund/ take from the spool's incoming/ before it
 * looks for order files (bank statements, payout reports, purchase invoice and refund result
 * files): the latest outcome of each, by seller and name as dropped, so that one refused whole
 * is known to `cebgate status NAME` and listed by `cebgate report` until a file of the same
 * seller and name is imported. Order files are input files (store.h), not these.
 *
 * seller is "" for incoming/ itself. Strings handed to callbacks are borrowed for the call
 * only; a non-zero callback result stops the query and is returned. Failures: CG_ENOTFOUND (a
 * soft answer, said per function), CG_EDB / CG_EBUSY with err filled (temporary).
 */
#ifndef CG_STORE_INTAKE_H
#define CG_STORE_INTAKE_H

#include "core/err.h"

struct cg_store;

/*
 * Record the outcome of the file seller/name, of the given kind (what it is, in words: "bank
 * statement (camt.053)"), replacing any earlier one of the same seller and name: reason NULL
 * when it was imported (or found imported before), else the reason it was refused whole (its
 * lines as in failed/NAME.reason, without the last line break).
 */
int cg_store_intake_file(struct cg_store *st, const char *seller, const char *name,
                         const char *kind, const char *reason, struct cg_err *err);

/* A recorded outcome; outcome is "done" or "failed", reason NULL for a file imported. */
struct cg_store_intake {
    const char *seller, *name, *kind, *outcome, *reason, *at;
};

/*
 * The outcome recorded for name of seller (NULL: of any seller), each seller's once.
 * CG_ENOTFOUND when there is none.
 */
int cg_store_intake_named(struct cg_store *st, const char *seller, const char *name,
                          int (*fn)(const struct cg_store_intake *f, void *ctx), void *ctx,
                          struct cg_err *err);

#endif
