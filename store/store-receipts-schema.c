/*
 * store-receipts-schema.c - numbered migrations of the receipt_keys table: the business keys
 * (logisticsNo, copNo, preNo, invtNo, sumNo) of receipts the spool kept as unknown or
 * mismatched, so that `cebgate status --unknown` can say which document a receipt is about, and
 * the operator's dismissals of those receipts (unknown_dismissals).
 *
 * One row per such receipt, beside the append-only receipts log (whose shape is the spool's);
 * the rows are written in the same transaction as the log row and never changed. Steps are
 * only ever appended.
 */
#include "config.h"

#include "store/store-int.h"

static const char *const receipts_steps[] = {
    /* 1: the keys, one row per unknown or mismatched receipt. */
    "CREATE TABLE receipt_keys ("
    "  receipt_id INTEGER PRIMARY KEY REFERENCES receipts(id),"
    "  logistics_no TEXT,"
    "  cop_no TEXT,"
    "  pre_no TEXT,"
    "  invt_no TEXT,"
    "  sum_no TEXT"
    ");"
    "CREATE TRIGGER receipt_keys_append_only_u BEFORE UPDATE ON receipt_keys"
    "  BEGIN SELECT RAISE(ABORT, 'receipt keys are an append-only log'); END;"
    "CREATE TRIGGER receipt_keys_append_only_d BEFORE DELETE ON receipt_keys"
    "  BEGIN SELECT RAISE(ABORT, 'receipt keys are an append-only log'); END;",
    /* 2: dismissals of the receipts for unknown or mismatched messages (`cebgate dismiss
     * --unknown`): each covers the receipts kept so up to receipt up_to (their number), which
     * the report and `status --unknown` then no longer list; the receipts stay in the log. */
    "CREATE TABLE unknown_dismissals ("
    "  id INTEGER PRIMARY KEY,"
    "  up_to INTEGER NOT NULL,"
    "  receipts INTEGER NOT NULL,"
    "  dismissed_at TEXT NOT NULL,"
    "  dismissed_by TEXT NOT NULL,"
    "  reason TEXT NOT NULL"
    ");",
};

const struct cg_store_schema cg_store_schema_receipts = {
    "receipts",
    receipts_steps,
    (int)(sizeof(receipts_steps) / sizeof(receipts_steps[0])),
};
