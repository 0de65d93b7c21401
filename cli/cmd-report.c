/*
 * cmd-report.c - `cebgate report SECTION KIND [--format table|csv|json] [--as-of DAY]`.
 *
 * A report is a table of text cells produced by a domain module; this file only renders it:
 * an aligned table for people, CSV (libcsv quoting) and JSON (jansson, an array of objects
 * keyed by column) for programs. Sections are rows of the table below (fx, from settle/;
 * refund, from refund/), so another module's reports are one more row. Reads the database
 * only.
 */
#include "config.h"

#include <csv.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "refund/refund.h"
#include "settle/settle.h"
#include "store/store.h"

enum { FMT_TABLE, FMT_CSV, FMT_JSON };

static void print_table(const struct cg_table *t, FILE *fp)
{
    size_t *w = calloc(t->ncols ? t->ncols : 1, sizeof(*w));
    size_t r, c;

    if (w == NULL)
        return;
    for (c = 0; c < t->ncols; c++)
        w[c] = strlen(t->cols[c]);
    for (r = 0; r < t->nrows; r++) {
        for (c = 0; c < t->ncols; c++) {
            size_t n = strlen(t->cells[r * t->ncols + c]);
            w[c] = n > w[c] ? n : w[c];
        }
    }
    for (c = 0; c < t->ncols; c++)
        fprintf(fp, "%-*s%s", (int)w[c], t->cols[c], c + 1 < t->ncols ? "  " : "\n");
    for (r = 0; r < t->nrows; r++) {
        for (c = 0; c < t->ncols; c++)
            fprintf(fp, "%-*s%s", c + 1 < t->ncols ? (int)w[c] : 0, t->cells[r * t->ncols + c],
                    c + 1 < t->ncols ? "  " : "\n");
    }
    free(w);
}

static void print_csv(const struct cg_table *t, FILE *fp)
{
    size_t r, c;

    for (c = 0; c < t->ncols; c++) {
        csv_fwrite(fp, t->cols[c], strlen(t->cols[c]));
        fputc(c + 1 < t->ncols ? ',' : '\n', fp);
    }
    for (r = 0; r < t->nrows; r++) {
        for (c = 0; c < t->ncols; c++) {
            const char *v = t->cells[r * t->ncols + c];
            csv_fwrite(fp, v, strlen(v));
            fputc(c + 1 < t->ncols ? ',' : '\n', fp);
        }
    }
}

static int print_json(const struct cg_table *t, FILE *fp)
{
    json_t *a = json_array();
    size_t r, c;
    int rc = -1;

    if (a == NULL)
        return -1;
    for (r = 0; r < t->nrows; r++) {
        json_t *o = json_object();
        if (o == NULL || json_array_append_new(a, o) != 0)
            goto done;
        for (c = 0; c < t->ncols; c++) {
            if (json_object_set_new(o, t->cols[c], json_string(t->cells[r * t->ncols + c])) != 0)
                goto done;
        }
    }
    rc = json_dumpf(a, fp, JSON_INDENT(2));
    fputc('\n', fp);
done:
    json_decref(a);
    return rc;
}

static int render(const struct cg_table *t, int fmt, struct cg_err *err)
{
    if (fmt == FMT_CSV)
        print_csv(t, stdout);
    else if (fmt == FMT_JSON && print_json(t, stdout) != 0)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    else if (fmt == FMT_TABLE)
        print_table(t, stdout);
    return CG_OK;
}

static int fx_section(struct cg_cli *cli, const char *kind, const char *as_of, int fmt)
{
    struct cg_store *db = NULL;
    struct cg_settle *s = NULL;
    struct cg_table *t = NULL;
    struct cg_err err;
    int report = cg_fx_report_parse(kind);
    int rc;

    cg_err_clear(&err);
    if (report < 0)
        return cg_cmd_usage_error(&cg_cmd_report,
                                  "fx: '%s' is not aging, reconcile, unmatched, credit, "
                                  "settlement or orders",
                                  kind);
    rc = cg_cli_settle_open(cli, &db, &s, &err);
    if (rc == CG_OK)
        rc = cg_settle_report(s, report, as_of, &t, &err);
    if (rc == CG_OK)
        rc = render(t, fmt, &err);
    cg_table_free(t);
    cg_settle_free(s);
    cg_store_close(db);
    return cg_cli_settle_exit(rc, &err);
}

static int refund_section(struct cg_cli *cli, const char *kind, const char *as_of, int fmt)
{
    struct cg_store *db = NULL;
    struct cg_refund *r = NULL;
    struct cg_table *t = NULL;
    struct cg_err err;
    int report = cg_refund_report_parse(kind);
    int rc;

    cg_err_clear(&err);
    if (report < 0)
        return cg_cmd_usage_error(&cg_cmd_report,
                                  "refund: '%s' is not pipeline, calendar, risk, invoices, "
                                  "clawbacks or units",
                                  kind);
    rc = cg_cli_refund_open(cli, &db, &r, &err);
    if (rc == CG_OK)
        rc = cg_refund_report(r, report, as_of, &t, &err);
    if (rc == CG_OK)
        rc = render(t, fmt, &err);
    cg_table_free(t);
    cg_refund_free(r);
    cg_store_close(db);
    return cg_cli_settle_exit(rc, &err);
}

static const struct {
    const char *name;
    int (*run)(struct cg_cli *cli, const char *kind, const char *as_of, int fmt);
} sections[] = {
    {"fx", fx_section},
    {"refund", refund_section},
};

static int exec_report(struct cg_cli *cli, int argc, char **argv)
{
    const char *pos[2] = {NULL, NULL};
    const char *as_of = NULL;
    int npos = 0, fmt = FMT_TABLE;
    size_t k;
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            const char *f = argv[++i];
            if (strcmp(f, "table") == 0)
                fmt = FMT_TABLE;
            else if (strcmp(f, "csv") == 0)
                fmt = FMT_CSV;
            else if (strcmp(f, "json") == 0)
                fmt = FMT_JSON;
            else
                return cg_cmd_usage_error(&cg_cmd_report,
                                          "--format: '%s' is not table, csv "
                                          "or json",
                                          f);
        } else if (strcmp(argv[i], "--as-of") == 0 && i + 1 < argc) {
            as_of = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            return cg_cmd_usage_error(&cg_cmd_report, "unknown option %s", argv[i]);
        } else if (npos < 2) {
            pos[npos++] = argv[i];
        } else {
            return cg_cmd_usage_error(&cg_cmd_report, "too many arguments");
        }
    }
    if (npos != 2)
        return cg_cmd_usage_error(&cg_cmd_report, "SECTION and KIND expected");
    for (k = 0; k < sizeof(sections) / sizeof(sections[0]); k++) {
        if (strcmp(sections[k].name, pos[0]) == 0)
            return sections[k].run(cli, pos[1], as_of, fmt);
    }
    return cg_cmd_usage_error(&cg_cmd_report, "unknown section '%s'", pos[0]);
}

const struct cg_cmd cg_cmd_report = {
    "report",
    "fx|refund KIND [--format table|csv|json] [--as-of DAY]",
    "reports; fx: foreign-exchange collection and settlement; refund: export VAT refund",
    "  fx aging       open amounts per currency by days since release (0-30 ... >180)\n"
    "  fx reconcile   declared vs received per currency and month, cross-currency rows\n"
    "  fx unmatched   receipts with money not allocated to an order\n"
    "  fx credit      orders needing a deferred-receipt report, with the due day\n"
    "  fx settlement  held, settled, CNY obtained and average bank rate per currency\n"
    "  fx orders      every declared order with its collection state\n"
    "  refund pipeline   units and amounts by export month and state\n"
    "  refund calendar   deadlines within [refund] calendar_days, with the amounts at risk\n"
    "  refund risk       lapsed or soon-lapsing units: refund at risk, VAT if sold at home\n"
    "  refund invoices   invoice lines: quantity and amount allocated, units served\n"
    "  refund clawbacks  returned goods: clawback due and repaid\n"
    "  refund units      every refund unit with its regime, state and amounts\n",
    CG_CMD_NEEDS_CONF,
    exec_report,
};
