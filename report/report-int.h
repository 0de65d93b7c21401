/*
 * report-int.h - private to report/: the report is one JSON document (jansson) that every
 * renderer reads.
 */
#ifndef CG_REPORT_INT_H
#define CG_REPORT_INT_H

#include <jansson.h>

#include "core/money.h"
#include "report/report.h"

struct cg_report {
    json_t *doc; /* owned */
};

/*
 * A copy of s with invalid UTF-8 and control characters (but tab and newline) replaced by
 * U+FFFD; the caller frees it. NULL when out of memory.
 */
char *report_clean(const char *s);

#endif
