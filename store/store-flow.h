/*
 * store-flow.h - the store's side of the export flow after the declaration: cancellations
 * (CEB605/606) and returns (CEB213/214).
 *
 * Same conventions as store.h: CG_OK, CG_ENOTFOUND for a lookup that finds nothing, CG_EBUSY
 * or CG_EDB for the database (temporary for the caller). The caller owns the transaction.
 */
#ifndef CG_STORE_FLOW_H
#define CG_STORE_FLOW_H

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

#endif
