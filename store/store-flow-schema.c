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
    /* 2: departures: one bill (master bill of lading or air waybill) per manifest, its parcels
     * by logisticsNo. The bill's CEB607 and CEB509 are documents of its own orders row
     * ("BILL:" + bill number). state: waiting (parcels not all released), listed (CEB607
     * declared), departed (CEB509 declared). */
    "CREATE TABLE flow_bills ("
    "  id INTEGER PRIMARY KEY,"
    "  seller TEXT NOT NULL,"
    "  bill_no TEXT NOT NULL,"
    "  traf_mode TEXT NOT NULL,"
    "  traf_name TEXT NOT NULL,"
    "  voyage_no TEXT NOT NULL,"
    "  leave_time INTEGER NOT NULL," /* UTC seconds */
    "  logistics_code TEXT NOT NULL,"
    "  logistics_name TEXT NOT NULL,"
    "  gross_weight INTEGER NOT NULL," /* dec (5 decimals) kg */
    "  file_name TEXT NOT NULL,"
    "  order_id INTEGER NOT NULL REFERENCES orders(id),"
    "  state TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'listed', 'departed')),"
    "  created_at TEXT NOT NULL,"
    "  UNIQUE (seller, bill_no)"
    ");"
    "CREATE TABLE flow_parcels ("
    "  bill_id INTEGER NOT NULL REFERENCES flow_bills(id),"
    "  line INTEGER NOT NULL,"
    "  logistics_no TEXT NOT NULL,"
    "  PRIMARY KEY (bill_id, logistics_no)"
    ");"
    "CREATE INDEX flow_parcels_no ON flow_parcels(logistics_no);",
    /* 3: monthly summaries (CEB701) of route-B inventories closed in a month, one per merge
     * key (seller, country of arrival) and serial; the CEB701 is a document of its own orders
     * row ("SUM:" + month + ":" + country + ":" + serial). */
    "CREATE TABLE flow_summaries ("
    "  id INTEGER PRIMARY KEY,"
    "  seller TEXT NOT NULL,"
    "  month TEXT NOT NULL," /* YYYYMM, China time */
    "  country TEXT NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  order_id INTEGER NOT NULL REFERENCES orders(id),"
    "  created_at TEXT NOT NULL,"
    "  UNIQUE (seller, month, country, seq)"
    ");"
    "CREATE TABLE flow_summary_invts ("
    "  summary_id INTEGER NOT NULL REFERENCES flow_summaries(id),"
    "  invt_no TEXT NOT NULL,"
    "  order_id INTEGER NOT NULL REFERENCES orders(id),"
    "  PRIMARY KEY (summary_id, invt_no)"
    ");"
    "CREATE INDEX flow_summary_invts_no ON flow_summary_invts(invt_no);",
};

const struct cg_store_schema cg_store_schema_flow = {
    "flow",
    flow_steps,
    (int)(sizeof(flow_steps) / sizeof(flow_steps[0])),
};
