/*
 * cmd-report.c - `cebgate report [--as-of DAY] [--seller NAME] --html FILE | --format FMT`, the
 * morning report (report/), and `cebgate report SECTION KIND [--format table|csv|json]`.
 *
 * The overview is built by report/ and rendered there; cg_cli_report_html() is also what
 * `cebgate run` calls at the end of a batch when [report] html is set.
 *
 * A section report is a table of text cells produced by a domain module; this file only renders it:
 * an aligned table for people, CSV (libcsv quoting) and JSON (jansson, an array of objects
 * keyed by column) for programs. Sections are rows of the table below (fx, from settle/;
 * refund, from refund/), so another module's reports are one more row. Reads the database
 * only. Standard output that cannot be written is a temporary failure (exit 75), saying so.
 */
#include "config.h"

#include <csv.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "core/text.h"
#include "refund/refund.h"
#include "report/report.h"
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

/*
 * A table's parts (fx unmatched: the bank's charges) after its rows, each only when it has rows:
 * in the text table under its title, in CSV as a block of its own after an empty line, its
 * header and each row led by a "section" column naming it (as the morning report's CSV).
 */
static void print_parts(const struct cg_table *t, int fmt, FILE *fp)
{
    const struct cg_table *p;
    size_t r, c;

    for (p = t->part; p != NULL; p = p->part) {
        if (p->nrows == 0)
            continue;
        if (fmt == FMT_TABLE) {
            fprintf(fp, "\n%s\n", p->title);
            print_table(p, fp);
            continue;
        }
        fputc('\n', fp);
        csv_fwrite(fp, "section", 7);
        for (c = 0; c < p->ncols; c++) {
            fputc(',', fp);
            csv_fwrite(fp, p->cols[c], strlen(p->cols[c]));
        }
        fputc('\n', fp);
        for (r = 0; r < p->nrows; r++) {
            csv_fwrite(fp, p->id, strlen(p->id));
            for (c = 0; c < p->ncols; c++) {
                const char *v = p->cells[r * p->ncols + c];
                fputc(',', fp);
                csv_fwrite(fp, v, strlen(v));
            }
            fputc('\n', fp);
        }
    }
}

/* The rows as an array of objects keyed by column; NULL when out of memory. */
static json_t *json_rows(const struct cg_table *t)
{
    json_t *a = json_array();
    size_t r, c;

    for (r = 0; a != NULL && r < t->nrows; r++) {
        json_t *o = json_object();
        if (o == NULL || json_array_append_new(a, o) != 0) {
            json_decref(a);
            return NULL;
        }
        for (c = 0; c < t->ncols; c++) {
            if (json_object_set_new(o, t->cols[c], json_string(t->cells[r * t->ncols + c])) != 0) {
                json_decref(a);
                return NULL;
            }
        }
    }
    return a;
}

/*
 * JSON: a table alone is the array of its rows; one with parts is an object holding its rows
 * and each part's, by their ids ({"receipts": [...], "bank_charges": [...]}).
 */
static int print_json(const struct cg_table *t, FILE *fp)
{
    json_t *doc = json_rows(t);
    const struct cg_table *p;
    int rc = -1;

    if (doc != NULL && t->part != NULL) {
        json_t *o = json_object();
        if (o == NULL || json_object_set_new(o, t->id, doc) != 0) {
            json_decref(o);
            json_decref(doc);
            return -1;
        }
        doc = o;
        for (p = t->part; p != NULL; p = p->part) {
            if (json_object_set_new(doc, p->id, json_rows(p)) != 0)
                goto done;
        }
    }
    if (doc != NULL) {
        rc = json_dumpf(doc, fp, JSON_INDENT(2));
        fputc('\n', fp);
    }
done:
    json_decref(doc);
    return rc;
}

/*
 * Cells that are not UTF-8 (text a cebgate from before stored as a bank file had it, GBK bytes)
 * are shown with those bytes as \xNN (core/text.h), in every format: a JSON string must be
 * UTF-8, and a terminal would show them as garbage. CG_ENOMEM only when memory runs out.
 */
static int cells_shown(struct cg_table *t)
{
    for (; t != NULL; t = t->part) {
        size_t i;

        for (i = 0; i < t->nrows * t->ncols; i++) {
            size_t n = strlen(t->cells[i]);
            char *shown;

            if (cg_text_invalid(t->cells[i], n, NULL, NULL) == n)
                continue;
            /* \xNN for a byte, \u{XXXX} (8) for a character of at least 2 bytes */
            shown = malloc(4 * n + 1);
            if (shown == NULL)
                return CG_ENOMEM;
            cg_text_show(t->cells[i], shown, 4 * n + 1);
            free(t->cells[i]);
            t->cells[i] = shown;
        }
    }
    return CG_OK;
}

/*
 * Standard output flushed after a report was written to it, errno set to 0 before the writing
 * began. A write that failed (a full disk, /dev/full) is CG_EIO, a temporary failure, naming
 * standard output and the system's reason (of the write that failed first, else of the flush),
 * whatever rc was: a JSON writer that could not write is not out of memory. rc otherwise.
 */
static int stdout_flushed(int rc, struct cg_err *err)
{
    int e = errno;

    if (!ferror(stdout))
        e = 0;
    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout))
        return rc;
    if (e == 0)
        e = errno != 0 ? errno : EIO;
    cg_err_clear(err);
    return CG_ERR_SET(err, CG_EIO, "report: writing to standard output failed: %s", strerror(e));
}

static int render(struct cg_table *t, int fmt, struct cg_err *err)
{
    if (cells_shown(t) != CG_OK)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    errno = 0;
    if (fmt == FMT_JSON && print_json(t, stdout) != 0) {
        int rc = stdout_flushed(CG_OK, err);
        return rc != CG_OK ? rc : CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    if (fmt == FMT_CSV)
        print_csv(t, stdout);
    else if (fmt == FMT_TABLE)
        print_table(t, stdout);
    if (fmt != FMT_JSON)
        print_parts(t, fmt, stdout);
    return stdout_flushed(CG_OK, err);
}

static int fx_section(struct cg_cli *cli, const char *kind, const char *as_of, const char *seller,
                      int fmt)
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
                                  "fx: '%s' is not aging, reconcile, unmatched, charges, "
                                  "credit, settlement, orders or gains",
                                  kind);
    if (seller != NULL && !cg_fx_report_by_seller(report))
        return cg_cmd_usage_error(&cg_cmd_report,
                                  "--seller: fx %s is over the accounts, not one seller's orders "
                                  "(fx aging, credit, orders and gains take --seller)",
                                  kind);
    rc = cg_cli_settle_open(cli, &db, &s, &err);
    if (rc == CG_OK && seller != NULL && (rc = cg_cli_seller_known(cli, db, seller, &err)) == CG_OK)
        cg_settle_set_report_seller(s, seller);
    if (rc == CG_OK)
        rc = cg_settle_report(s, report, as_of, &t, &err);
    if (rc == CG_OK)
        rc = render(t, fmt, &err);
    cg_table_free(t);
    cg_settle_free(s);
    cg_store_close(db);
    return cg_cli_settle_exit(rc, &err);
}

static int refund_section(struct cg_cli *cli, const char *kind, const char *as_of,
                          const char *seller, int fmt)
{
    struct cg_store *db = NULL;
    struct cg_refund *r = NULL;
    struct cg_table *t = NULL;
    struct cg_err err;
    int report = cg_refund_report_parse(kind);
    int rc;

    cg_err_clear(&err);
    if (seller != NULL)
        return cg_cmd_usage_error(&cg_cmd_report, "--seller: the refund reports are not per "
                                                  "seller");
    if (report < 0)
        return cg_cmd_usage_error(&cg_cmd_report,
                                  "refund: '%s' is not pipeline, calendar, risk, invoices, "
                                  "clawbacks, units or archive",
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
    int (*run)(struct cg_cli *cli, const char *kind, const char *as_of, const char *seller,
               int fmt);
} sections[] = {
    {"fx", fx_section},
    {"refund", refund_section},
};

/* Build the overview with the working directory's database and settle/'s and refund/'s views. */
static int overview(struct cg_cli *cli, const struct cg_report_opts *o, struct cg_report **out,
                    struct cg_err *err)
{
    struct cg_store *db = NULL;
    struct cg_settle *s = NULL;
    struct cg_refund *rf = NULL;
    int rc = cg_cli_settle_open(cli, &db, &s, err);

    if (rc == CG_OK && o->seller != NULL)
        rc = cg_cli_seller_known(cli, db, o->seller, err);
    if (rc == CG_OK)
        rc = cg_refund_new(cli->conf, db, &rf, err);
    if (rc == CG_OK)
        rc = cg_report_build(db, s, rf, o, out, err);
    cg_refund_free(rf);
    cg_settle_free(s);
    cg_store_close(db);
    return rc;
}

int cg_cli_report_html(struct cg_cli *cli, const char *path, struct cg_err *err)
{
    struct cg_report_opts o;
    struct cg_report *r = NULL;
    int rc;

    cg_report_opts_init(&o, cli->conf);
    rc = overview(cli, &o, &r, err);
    if (rc != CG_OK)
        cg_err_prefix(err, "report page %s", path);
    else
        rc = cg_report_write_html(r, path, err);
    cg_report_free(r);
    return rc;
}

static int run_overview(struct cg_cli *cli, struct cg_report_opts *o, const char *html, int fmt)
{
    struct cg_report *r = NULL;
    struct cg_err err;
    int rc;

    cg_err_clear(&err);
    rc = overview(cli, o, &r, &err);
    errno = 0;
    if (rc == CG_OK && html != NULL)
        rc = cg_report_write_html(r, html, &err);
    else if (rc == CG_OK && fmt == FMT_JSON)
        rc = cg_report_write_json(r, stdout, &err);
    else if (rc == CG_OK && fmt == FMT_CSV)
        rc = cg_report_write_csv(r, stdout, &err);
    else if (rc == CG_OK)
        rc = cg_report_write_table(r, stdout, &err);
    if (html == NULL && rc != CG_EINVAL)
        rc = stdout_flushed(rc, &err);
    cg_report_free(r);
    if (rc == CG_EINVAL)
        return cg_cmd_usage_error(&cg_cmd_report, "%s", err.msg);
    return cg_cli_settle_exit(rc, &err);
}

/* What an option of report takes, by the usage's name; NULL for an option that is not one. */
static const char *value_name(const char *opt)
{
    static const char *const names[][2] = {
        {"--format", "table, csv or json"},
        {"--as-of", "DAY"},
        {"--seller", "NAME"},
        {"--html", "FILE"},
    };
    size_t k;

    for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        if (strcmp(opt, names[k][0]) == 0)
            return names[k][1];
    }
    return NULL;
}

static int exec_report(struct cg_cli *cli, int argc, char **argv)
{
    const char *pos[2] = {NULL, NULL};
    const char *html = NULL;
    struct cg_report_opts o;
    int npos = 0, fmt = FMT_TABLE, fmt_given = 0;
    size_t k;
    int i;

    cg_report_opts_init(&o, cli->conf);
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            const char *f = argv[++i];
            fmt_given = 1;
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
            o.as_of = argv[++i];
        } else if (strcmp(argv[i], "--seller") == 0 && i + 1 < argc) {
            o.seller = argv[++i];
        } else if (strcmp(argv[i], "--html") == 0 && i + 1 < argc) {
            html = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            const char *what = value_name(argv[i]);
            if (what != NULL)
                return cg_cmd_usage_error(&cg_cmd_report, "%s: %s expected", argv[i], what);
            return cg_cmd_usage_error(&cg_cmd_report, "unknown option %s", argv[i]);
        } else if (npos < 2) {
            pos[npos++] = argv[i];
        } else {
            return cg_cmd_usage_error(&cg_cmd_report, "too many arguments");
        }
    }
    if (npos == 0) {
        if (html != NULL && fmt_given)
            return cg_cmd_usage_error(&cg_cmd_report, "--html and --format exclude each other");
        return run_overview(cli, &o, html, fmt);
    }
    if (html != NULL)
        return cg_cmd_usage_error(&cg_cmd_report, "--html is for the overview");
    if (npos != 2)
        return cg_cmd_usage_error(&cg_cmd_report, "SECTION and KIND expected");
    for (k = 0; k < sizeof(sections) / sizeof(sections[0]); k++) {
        if (strcmp(sections[k].name, pos[0]) == 0)
            return sections[k].run(cli, pos[1], o.as_of, o.seller, fmt);
    }
    return cg_cmd_usage_error(&cg_cmd_report, "unknown section '%s'", pos[0]);
}

const struct cg_cmd cg_cmd_report = {
    "report",
    "[--as-of DAY] [--seller NAME] --html FILE | --format table|csv|json\n"
    "       cebgate report fx|refund KIND [--format table|csv|json] [--as-of DAY] [--seller "
    "NAME]",
    "the morning report; fx: foreign-exchange collection and settlement; refund: export VAT "
    "refund",
    "  (no KIND)      what needs you today, last run, documents by state, rejected, stuck,\n"
    "                 unknown receipts, cancellations, FX aging, refunds, per seller\n"
    "  --html FILE    the same as one self-contained HTML page with charts\n"
    "  --seller NAME  only this seller's files, orders and documents\n"
    "  fx aging       open amounts per currency by days since release (0-30 ... >180)\n"
    "  fx reconcile   declared vs received per currency and month, cross-currency rows\n"
    "  fx unmatched   receipts with money not allocated to an order, then apart the bank's\n"
    "                 own charges (not for orders): their count and amount per currency\n"
    "  fx charges     the bank's own charges not allocated, each with how it became one\n"
    "  fx credit      orders needing a deferred-receipt report, with the due day\n"
    "  fx settlement  held, settled, CNY obtained and average bank rate per currency\n"
    "  fx orders      every declared order with its collection state and CNY values\n"
    "  fx gains       CNY at the customs rate vs at the bank rates per month and currency\n"
    "  refund pipeline   units and amounts by export month and state\n"
    "  refund calendar   deadlines within [refund] calendar_days, with the amounts at risk\n"
    "  refund risk       lapsed or soon-lapsing units: refund at risk, VAT if sold at home\n"
    "  refund invoices   invoice lines: quantity and amount allocated, units served\n"
    "  refund clawbacks  returned goods: clawback due and repaid\n"
    "  refund units      every refund unit with its regime, state and amounts\n"
    "  refund archive    filed units: supporting documents due, archived, kept until\n",
    CG_CMD_NEEDS_CONF | CG_CMD_READS_DB,
    exec_report,
};
