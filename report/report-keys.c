/*
 * report-keys.c - the configuration keys of the morning report: [report] (docs/report.md).
 *
 * Registered with cg_conf_register() before a configuration is loaded.
 */
#include "config.h"

#include <stddef.h>

#include "report/report.h"

const struct cg_conf_key cg_report_conf_keys[] = {
    {"report", "html", CG_CONF_PATH, NULL, NULL,
     "cebgate run writes the HTML report to this file at the end of each batch (unset: not)"},
    {"report", "stuck_hours", CG_CONF_INT, "24", "1..8760",
     "a pending document unchanged for this many hours is listed as stuck"},
    {"report", "unmatched_days", CG_CONF_INT, "7", "0..3650",
     "money received or paid out this many days ago (value day) or more that no order takes is "
     "counted under Needs you today"},
    {"report", "rows", CG_CONF_INT, "50", "1..100000",
     "items shown per list; the rest is counted, with the command listing them all"},
    {NULL, NULL, CG_CONF_STR, NULL, NULL, NULL},
};
