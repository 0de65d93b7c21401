/*
 * store-customs.h - what customs said about the declarations behind the inventories: the
 * customs declaration (entryId) each inventory line was summarised into by a CEB792 summary
 * result, and the export-return receipts (CEB214, answering a CEB213 return request).
 *
 * Written only by the receipt ingestion (spool/spool-inbox.c) in the same transaction as the
 * receipt log; read by refund/ and the declaration reports. Every function returns CG_OK,
 * CG_ENOTFOUND for a missing row (a soft answer), or CG_EDB / CG_EBUSY with err filled
 * (temporary: roll back, keep the input, try again). Strings handed to callbacks are borrowed
 * for the call only.
 */
#ifndef CG_STORE_CUSTOMS_H
#define CG_STORE_CUSTOMS_H

#include <stddef.h>

#include "core/err.h"

struct cg_store;

/* One inventory line of a summary result. */
struct cg_customs_line {
    const char *invt_no;
    const char *logistics_no; /* may be NULL */
    long gnum;                /* item number within the inventory */
    const char *gcode;        /* HS code, may be NULL */
};

/* A CEB792 summary result: the customs declaration and the inventory lines merged into it. */
struct cg_customs_entry {
    const char *entry_id; /* 报关单编号 */
    const char *sum_no, *decl_seq_no, *dec_state;
    const char *op_date;      /* yyyyMMddHHmmss[fff] as sent */
    const char *receipt_guid; /* root guid of the CEB792 */
    const struct cg_customs_line *lines;
    size_t nlines;
};
/*
 * Record a summary result: the entry row (its state and date replaced by a later result) and
 * every line's link to it (an inventory line summarised again points at the newer entry).
 */
int cg_store_customs_entry_put(struct cg_store *st, const struct cg_customs_entry *e,
                               struct cg_err *err);

/* The entry an inventory line belongs to. entry_id has room for size bytes. */
int cg_store_customs_entry_of(struct cg_store *st, const char *invt_no, long gnum, char *entry_id,
                              size_t size, struct cg_err *err);

/* An export-return receipt (CEB214); the same guid, status and time again is ignored. */
struct cg_customs_return {
    const char *receipt_guid, *guid, *cop_no, *invt_no, *status, *return_time, *return_info;
};
int cg_store_customs_return_add(struct cg_store *st, const struct cg_customs_return *r,
                                struct cg_err *err);
/* The return receipts of an inventory, oldest first. A non-zero fn result stops and is returned. */
typedef int (*cg_customs_return_fn)(void *ctx, const struct cg_customs_return *r);
int cg_store_customs_returns_each(struct cg_store *st, const char *invt_no, cg_customs_return_fn fn,
                                  void *ctx, struct cg_err *err);

/* The entry row and HS code of an inventory line. entry_id, gcode have room for their sizes. */
int cg_store_customs_line_get(struct cg_store *st, const char *invt_no, long gnum, char *entry_id,
                              size_t esize, char *gcode, size_t gsize, struct cg_err *err);

/*
 * The seller of the order declared with inventory invt_no, when that order's number is
 * order_no (seller has room for size bytes; "" for the files directly in incoming/).
 * CG_ENOTFOUND when the spool has no such inventory of such an order.
 */
int cg_store_customs_seller_of(struct cg_store *st, const char *invt_no, const char *order_no,
                               char *seller, size_t size, struct cg_err *err);

/* The customs declarations known, by entryId, with the state of their last summary result. */
typedef int (*cg_customs_entry_fn)(void *ctx, const char *entry_id, const char *dec_state,
                                   const char *op_date);
int cg_store_customs_entries_each(struct cg_store *st, cg_customs_entry_fn fn, void *ctx,
                                  struct cg_err *err);

/*
 * Each return receipt (CEB214) of a return cebgate declared (CEB213), oldest first, with the
 * order and the lines the return declared ("gnum:qty,...", qty as declared).
 */
struct cg_customs_returned {
    const char *guid; /* the CEB213 message's guid */
    const char *invt_no, *status, *return_time;
    const char *seller, *order_no, *lines;
};
typedef int (*cg_customs_returned_fn)(void *ctx, const struct cg_customs_returned *r);
int cg_store_customs_returned_each(struct cg_store *st, cg_customs_returned_fn fn, void *ctx,
                                   struct cg_err *err);

#endif
