/*
 * store-holds.h - the sellers whose files wait for their configuration (docs/spool.md, "A seller
 * held for its configuration"): what the last complete pass over incoming/ found, for the
 * morning report. seller is "" for the files directly in incoming/.
 *
 * Strings handed to callbacks are borrowed for the call only; a non-zero callback result stops
 * the query and is returned. Failures: CG_EDB / CG_EBUSY with err filled (temporary).
 */
#ifndef CG_STORE_HOLDS_H
#define CG_STORE_HOLDS_H

#include <stddef.h>

#include "core/err.h"

struct cg_store;

/* A held seller: the reason the run gave, when a pass first and last held it, its files. */
struct cg_store_hold {
    const char *seller, *reason, *since, *seen;
    long files;
};

/*
 * Make the n holds h (seller, reason, files) the whole list, at the store's time: a seller held
 * before keeps its since, a seller not in h is no longer held. Call it inside cg_store_tx().
 */
int cg_store_holds_set(struct cg_store *st, const struct cg_store_hold *h, size_t n,
                       struct cg_err *err);

/* The held sellers (seller NULL: all; else that one), by seller. */
int cg_store_holds_list(struct cg_store *st, const char *seller,
                        int (*fn)(const struct cg_store_hold *h, void *ctx), void *ctx,
                        struct cg_err *err);

#endif
