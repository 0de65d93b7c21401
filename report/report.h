/*
 * report.h - the morning report: what needs the broker today, the last run, documents by
 * state, the lists needing action, FX aging, refunds and a table per seller, read from the
 * store's query functions and settle/'s reports (docs/report.md).
 *
 * The report is built once into a JSON document (jansson); every output is rendered from that
 * same document, so every number on the HTML page is in `--format json` too. Lists keep their
 * first `rows` items and the count of all, with the command that lists them all.
 *
 * Failures: CG_EDB / CG_EBUSY from the database (temporary), CG_ENOMEM, CG_EIO when the HTML
 * file cannot be written (err names it), CG_EINVAL for a bad option value.
 */
#ifndef CG_REPORT_H
#define CG_REPORT_H

#include <stdio.h>
#include <time.h>

#include "core/conf.h"
#include "core/err.h"

struct cg_store;
struct cg_settle;
struct cg_refund;
struct cg_report;

struct cg_report_opts {
    const char *as_of;   /* YYYY-MM-DD; NULL: now (UTC) */
    const char *seller;  /* NULL: every seller */
    long stuck_hours;    /* a pending document unchanged this long is stuck */
    long rows;           /* items kept per list */
    long unmatched_days; /* a receipt no order takes counts as a need from this age (days) */
    time_t now;          /* the clock when as_of is NULL (0: time(NULL)) */
    /* borrowed: the sellers' statistics_flag (route-B summaries); NULL: none is route B */
    const struct cg_conf *conf;
};

/* The options from [report] of conf (stuck_hours, rows, unmatched_days) and conf; as_of and
 * seller NULL. */
void cg_report_opts_init(struct cg_report_opts *o, const struct cg_conf *conf);

/*
 * Build the report. s may be NULL (no FX section), rf NULL (no refund sections); both over st.
 * *out belongs to the caller.
 */
int cg_report_build(struct cg_store *st, struct cg_settle *s, struct cg_refund *rf,
                    const struct cg_report_opts *o, struct cg_report **out, struct cg_err *err);
void cg_report_free(struct cg_report *r);

/* The report as JSON, an aligned table per section, or CSV (one section column first). */
int cg_report_write_json(const struct cg_report *r, FILE *fp, struct cg_err *err);
int cg_report_write_table(const struct cg_report *r, FILE *fp, struct cg_err *err);
int cg_report_write_csv(const struct cg_report *r, FILE *fp, struct cg_err *err);
/*
 * The report as one self-contained UTF-8 HTML page with inline SVG charts, written atomically
 * to path (temporary file, rename).
 */
int cg_report_write_html(const struct cg_report *r, const char *path, struct cg_err *err);

/* The [report] configuration keys (report-keys.c), for cg_conf_register(). */
extern const struct cg_conf_key cg_report_conf_keys[];

#endif
