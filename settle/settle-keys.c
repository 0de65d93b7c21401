/*
 * settle-keys.c - the configuration keys of foreign-exchange collection: [settle], and
 * [settle.SELLER] for one seller's own values (docs/settlement.md).
 *
 * Registered with cg_conf_register() before a configuration is loaded; the order of
 * registration is the order of `cebgate config` and of the template `cebgate init` writes.
 */
#include "config.h"

#include <stddef.h>

#include "settle/settle.h"

const struct cg_conf_key cg_settle_conf_keys[] = {
    /* [settle] and [settle.SELLER] */
    {"settle", "tolerance", CG_CONF_STR, "1.00", NULL,
     "difference between expected and collected still counted as collected: AMOUNT (order "
     "currency), CUR=AMOUNT for one currency, P% of expected; the larger applies"},
    {"settle", "match_window_days", CG_CONF_INT, "120", "0..3650",
     "a receipt matched by amount alone must arrive within this many days after release"},
    {"settle", "terms_days", CG_CONF_INT, "30", "0..3650",
     "days after release the buyer's payment is expected (payment terms)"},
    {"settle", "credit_days", CG_CONF_INT, "90", "0..3650",
     "payment expected later than this after release needs a deferred-receipt report"},
    {"settle", "credit_report_days", CG_CONF_INT, "30", "0..3650",
     "the deferred-receipt report is due this many days after release"},
    {"settle", "tax_deadline", CG_CONF_STR, "04-30", NULL,
     "tax collection deadline (MM-DD) in the year after release, plus tax_deadline_years - 1"},
    {"settle", "tax_deadline_years", CG_CONF_INT, "1", "0..10",
     "years after the release year the tax collection deadline falls in"},
    {"settle", "overdue_days", CG_CONF_INT, "60", "0..3650",
     "internal threshold: orders not collected this many days after release are reported"},
    {"settle", "run_tick", CG_CONF_BOOL, "yes", NULL,
     "cebgate run matches receipts to newly released orders and applies the deadlines"},
    {"settle", "payout_profile", CG_CONF_STR, "payout", NULL,
     "payout report columns: a profile name in data/profiles, or a profile file (a value with "
     "a '/' or ending in .ini) relative to this file, as [seller] profile"},
    {"settle", "customs_rates", CG_CONF_PATH, NULL, NULL,
     "customs monthly rates (CSV: month,currency,rate) for the CNY values and FX gain or loss"},
    {"settle", "charge_words", CG_CONF_STR, CG_SETTLE_CHARGE_WORDS, NULL,
     "an outgoing bank entry not coded as a charge, naming no order, whose text has one of these "
     "words is the bank's own charge: Latin words whole (a '*' at an end for compounds), others "
     "anywhere; empty: none"},
    {NULL, NULL, CG_CONF_STR, NULL, NULL, NULL},
};
