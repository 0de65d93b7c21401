/*
 * refund-keys.c - the configuration keys of the export VAT refund: [refund]
 * (docs/refund.md).
 *
 * Registered with cg_conf_register() before a configuration is loaded; the order of
 * registration is the order of `cebgate config` and of the template `cebgate init` writes.
 */
#include "config.h"

#include <stddef.h>

#include "refund/refund.h"

const struct cg_conf_key cg_refund_conf_keys[] = {
    {"refund", "soft_deadline", CG_CONF_STR, "04-30", NULL,
     "filing deadline (MM-DD) in the year after export, plus soft_deadline_years - 1"},
    {"refund", "soft_deadline_years", CG_CONF_INT, "1", "0..10",
     "years after the export year the soft filing deadline falls in"},
    {"refund", "hard_deadline_months", CG_CONF_INT, "36", "1..120",
     "months after export after which a refund is lost (regime falls back)"},
    {"refund", "hard_fallback", CG_CONF_STR, "auto", NULL,
     "regime after the hard deadline: auto (EXEMPT_WITH_DOCS with invoices, else TAXABLE), "
     "TAXABLE or EXEMPT_WITH_DOCS"},
    {"refund", "require_collection", CG_CONF_BOOL, "yes", NULL,
     "a unit is ready only once its proceeds are collected"},
    {"refund", "regime_9610", CG_CONF_STR, "REFUND", NULL,
     "regime of route B 9610 items: REFUND, EXEMPT_WITH_DOCS, EXEMPT_NO_INVOICE_103 or TAXABLE"},
    {"refund", "regime_9710", CG_CONF_STR, "REFUND", NULL, "regime of 9710 items"},
    {"refund", "regime_9810", CG_CONF_STR, "REFUND", NULL, "regime of 9810 items"},
    {"refund", "calendar_days", CG_CONF_INT, "60", "1..3650",
     "the deadline calendar shows deadlines within this many days"},
    {"refund", "outdir", CG_CONF_STR, "refund", NULL,
     "folder (in the working directory unless absolute) for the filing batch CSV files"},
    {"refund", "cleared_dec_states", CG_CONF_STR, "", NULL,
     "decState codes of a CEB792 summary result meaning the customs declaration is cleared "
     "(结关), comma-separated; empty: clearance is entered, never taken from decState"},
    {"refund", "return_statuses", CG_CONF_STR, "120,800", NULL,
     "CEB214 returnStatus codes that make an export return count for the refund"},
    {"refund", "archive_days", CG_CONF_INT, "15", "0..365",
     "days after filing by which the supporting documents (备案单证) must be archived"},
    {"refund", "archive_keep_years", CG_CONF_INT, "10", "1..50",
     "years the supporting documents are kept after filing"},
    {"refund", "run_sync", CG_CONF_BOOL, "yes", NULL,
     "cebgate run ends with refund sync (collection, clearance, returns)"},
    {"refund", "run_tick", CG_CONF_BOOL, "yes", NULL,
     "cebgate run ends with refund tick as of today (deadlines, archive reminders)"},
    {NULL, NULL, CG_CONF_STR, NULL, NULL, NULL},
};
