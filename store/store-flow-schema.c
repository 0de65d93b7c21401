/*
 * store-flow-schema.c - the schema of the export flow after the declaration ("flow"): what
 * store-flow.c keeps beside the spool's documents, registered in store-modules.c after the
 * spool's (its rows refer to the spool's orders and documents).
 *
 * Data only. The module's version is its row in the store's bookkeeping table. Steps are only
 * ever appended. Quantities are decimal text as declared, times UTC ISO-8601.
 */
#include "config.h"

#include "store/store-int.h"

static const char *const flow_steps[] = {
    /* 1: returns (CEB213): one per order; the lines returned and why. The return's state is
     * its document's (documents.msg_type = 213). */
    "CREATE TABLE flow_returns ("
    "  order_id INTEGER PRIMARY KEY REFERENCES orders(id),"
    "  document_id INTEGER NOT NULL REFERENCES documents(id),"
    "  lines TEXT NOT NULL," /* "gnum:qty" comma-separated, qty as declared (decimal text) */
    "  reason TEXT NOT NULL,"
    "  declared_at TEXT NOT NULL"
    ");",
};

const struct cg_store_schema cg_store_schema_flow = {
    "flow",
    flow_steps,
    (int)(sizeof(flow_steps) / sizeof(flow_steps[0])),
};
