/*
 * report-text.c - the report as JSON (the document itself), as aligned text tables and as CSV
 * (libcsv quoting): the needs list, the last run, then each section with its "N more" line.
 *
 * Writes only to the stream it is given. Failures: CG_EIO when the stream fails, CG_ENOMEM.
 */
#include "config.h"

#include <csv.h>
#include <stdlib.h>
#include <string.h>

#include "report/report-int.h"

int cg_report_write_json(const struct cg_report *r, FILE *fp, struct cg_err *err)
{
    if (json_dumpf(r->doc, fp, JSON_INDENT(2)) != 0 || fputc('\n', fp) == EOF)
        return CG_ERR_SET(err, CG_EIO, "writing the report failed");
    return CG_OK;
}

static const char *cell(json_t *a, size_t i)
{
    const char *s = json_string_value(json_array_get(a, i));

    return s != NULL ? s : "";
}

/*
 * A cell on one line of the text table: a line break and the indentation after it (a refused
 * file's reason lists its rejections one per line) print as "; ", a tab or carriage return as a
 * space, so that every row of the table starts at its column. Returns the bytes printed; with
 * fp NULL, only counts them.
 */
static size_t flat_put(FILE *fp, const char *s)
{
    size_t n = 0;

    while (*s != '\0') {
        if (*s == '\n') {
            while (s[1] == ' ' || s[1] == '\n')
                s++;
            if (fp != NULL)
                fputs("; ", fp);
            n += 2;
        } else {
            if (fp != NULL)
                fputc(*s == '\t' || *s == '\r' ? ' ' : *s, fp);
            n++;
        }
        s++;
    }
    return n;
}

/* The cell, then spaces up to width. */
static void flat_pad(FILE *fp, const char *s, size_t width)
{
    size_t n = flat_put(fp, s);

    for (; n < width; n++)
        fputc(' ', fp);
}

static void table(json_t *sec, FILE *fp)
{
    json_t *cols = json_object_get(sec, "columns"), *rows = json_object_get(sec, "rows"), *r;
    size_t nc = json_array_size(cols), c, i;
    long total = (long)json_integer_value(json_object_get(sec, "total"));
    size_t *w = calloc(nc ? nc : 1, sizeof(*w));
    const char *empty = json_string_value(json_object_get(sec, "empty"));

    if (w == NULL)
        return;
    fprintf(fp, "\n%s (%ld)\n", json_string_value(json_object_get(sec, "title")), total);
    if (empty != NULL)
        fprintf(fp, "  %s\n", empty);
    if (total == 0) {
        free(w);
        return;
    }
    for (c = 0; c < nc; c++)
        w[c] = flat_put(NULL, cell(cols, c));
    json_array_foreach(rows, i, r)
    {
        for (c = 0; c < nc; c++) {
            size_t n = flat_put(NULL, cell(r, c));

            w[c] = n > w[c] ? n : w[c];
        }
    }
    for (c = 0; c < nc; c++) {
        fputs("  ", fp);
        flat_pad(fp, cell(cols, c), c + 1 < nc ? w[c] : 0);
    }
    fputc('\n', fp);
    json_array_foreach(rows, i, r)
    {
        for (c = 0; c < nc; c++) {
            fputs("  ", fp);
            flat_pad(fp, cell(r, c), c + 1 < nc ? w[c] : 0);
        }
        fputc('\n', fp);
    }
    if ((size_t)total > json_array_size(rows))
        fprintf(fp, "  ... %ld more: %s\n", total - (long)json_array_size(rows),
                json_string_value(json_object_get(sec, "command")));
    free(w);
}

/* An integer of the report's JSON object o (0 when absent). */
static long long jnum(json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

int cg_report_write_table(const struct cg_report *r, FILE *fp, struct cg_err *err)
{
    json_t *needs = json_object_get(r->doc, "needs"), *run = json_object_get(r->doc, "last_run");
    json_t *secs = json_object_get(r->doc, "sections"), *v;
    size_t i;

    fprintf(fp, "cebgate report as of %s%s%s\n",
            json_string_value(json_object_get(r->doc, "as_of")),
            json_is_string(json_object_get(r->doc, "seller")) ? ", seller " : "",
            json_is_string(json_object_get(r->doc, "seller"))
                ? json_string_value(json_object_get(r->doc, "seller"))
                : "");
    fprintf(fp, "\nNeeds you today\n");
    if (json_array_size(needs) == 0)
        fprintf(fp, "  nothing\n");
    json_array_foreach(needs, i, v)
    {
        fprintf(fp, "  %lld  %s: %s\n", (long long)json_integer_value(json_object_get(v, "count")),
                json_string_value(json_object_get(v, "what")),
                json_string_value(json_object_get(v, "command")));
    }
    if (!json_is_object(run)) {
        fprintf(fp, "\nRuns\n  no input file was ever taken\n");
    } else {
        long long files = jnum(run, "files"), orders = jnum(run, "orders");
        long long messages = jnum(run, "messages"), busy = jnum(run, "busy_ms");
        long long pace = jnum(run, "orders_per_min");
        /* Every run of the latest day (UTC) a file was taken: the database keeps no record of a
         * run as such, so the section is named for the day it covers. */
        fprintf(fp, "\nRuns of %s (UTC: the input files taken that day)\n",
                json_string_value(json_object_get(run, "day")));
        fprintf(fp, "  %lld file%s (%lld failed), %lld order%s taken, %lld rejected", files,
                files == 1 ? "" : "s", jnum(run, "failed_files"), orders, orders == 1 ? "" : "s",
                jnum(run, "rejected"));
        /* what happened that day: the files' refusals dismissed since are still counted */
        if (jnum(run, "rejected_dismissed") > 0)
            fprintf(fp, " (%lld of them dismissed since)", jnum(run, "rejected_dismissed"));
        /* the held by status: only the waiting ones are listed below, as held back */
        fprintf(fp, ", %lld held for their shop status", jnum(run, "held"));
        if (jnum(run, "held") > 0)
            fprintf(fp, " (%lld waiting, %lld skipped, %lld cancelled)", jnum(run, "held_waiting"),
                    jnum(run, "held_skipped"), jnum(run, "held_cancelled"));
        fprintf(fp, ", %lld message%s\n", messages, messages == 1 ? "" : "s");
        fprintf(fp,
                "  processing: %lld.%03lld s in all (each file from taken to finished), %lld "
                "order%s per minute\n",
                busy / 1000, busy % 1000, pace, pace == 1 ? "" : "s");
        fprintf(fp, "  first taken %s, last finished %s",
                json_string_value(json_object_get(run, "started")),
                json_string_value(json_object_get(run, "finished")));
        if (json_object_get(run, "span_s") != NULL)
            fprintf(fp, ": %lld s apart, the time between runs included", jnum(run, "span_s"));
        fputc('\n', fp);
    }
    json_array_foreach(secs, i, v) table(v, fp);
    if (ferror(fp))
        return CG_ERR_SET(err, CG_EIO, "writing the report failed");
    return CG_OK;
}

static void csv_cell(FILE *fp, const char *s, int last)
{
    csv_fwrite(fp, s, strlen(s));
    fputc(last ? '\n' : ',', fp);
}

/*
 * The last run as a section of its own: a header naming each figure as the JSON does, then one
 * row (none when no file was ever taken); a figure the run lacks (its span) is empty.
 */
static void csv_last_run(FILE *fp, json_t *run)
{
    static const char *const keys[] = {"day",
                                       "files",
                                       "failed_files",
                                       "orders",
                                       "rejected",
                                       "held",
                                       "messages",
                                       "started",
                                       "finished",
                                       "span_s",
                                       "busy_ms",
                                       "orders_per_min",
                                       "rejected_dismissed",
                                       "held_waiting",
                                       "held_skipped",
                                       "held_cancelled"};
    size_t n = sizeof(keys) / sizeof(keys[0]), k;
    char num[24];

    fputc('\n', fp);
    csv_cell(fp, "section", 0);
    for (k = 0; k < n; k++)
        csv_cell(fp, keys[k], k + 1 == n);
    if (!json_is_object(run))
        return;
    csv_cell(fp, "last_run", 0);
    for (k = 0; k < n; k++) {
        json_t *v = json_object_get(run, keys[k]);
        const char *text = json_is_string(v) ? json_string_value(v) : "";
        if (json_is_integer(v)) {
            snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
            text = num;
        }
        csv_cell(fp, text, k + 1 == n);
    }
}

int cg_report_write_csv(const struct cg_report *r, FILE *fp, struct cg_err *err)
{
    json_t *secs = json_object_get(r->doc, "sections"), *needs = json_object_get(r->doc, "needs");
    json_t *sec, *row, *v;
    size_t i, j, c;
    char num[24];

    csv_cell(fp, "section", 0);
    csv_cell(fp, "count", 0);
    csv_cell(fp, "what", 0);
    csv_cell(fp, "command", 1);
    json_array_foreach(needs, i, v)
    {
        snprintf(num, sizeof(num), "%lld",
                 (long long)json_integer_value(json_object_get(v, "count")));
        csv_cell(fp, "needs", 0);
        csv_cell(fp, num, 0);
        csv_cell(fp, json_string_value(json_object_get(v, "what")), 0);
        csv_cell(fp, json_string_value(json_object_get(v, "command")), 1);
    }
    csv_last_run(fp, json_object_get(r->doc, "last_run"));
    json_array_foreach(secs, i, sec)
    {
        json_t *cols = json_object_get(sec, "columns");
        const char *id = json_string_value(json_object_get(sec, "id"));
        size_t nc = json_array_size(cols);
        long total = (long)json_integer_value(json_object_get(sec, "total"));
        fputc('\n', fp);
        csv_cell(fp, "section", 0);
        for (c = 0; c < nc; c++)
            csv_cell(fp, cell(cols, c), c + 1 == nc);
        json_array_foreach(json_object_get(sec, "rows"), j, row)
        {
            csv_cell(fp, id, 0);
            for (c = 0; c < nc; c++)
                csv_cell(fp, cell(row, c), c + 1 == nc);
        }
        if ((size_t)total > json_array_size(json_object_get(sec, "rows"))) {
            char more[200];
            snprintf(more, sizeof(more), "%ld more: %s",
                     total - (long)json_array_size(json_object_get(sec, "rows")),
                     json_string_value(json_object_get(sec, "command")));
            csv_cell(fp, id, 0);
            csv_cell(fp, more, 1);
        }
    }
    if (ferror(fp))
        return CG_ERR_SET(err, CG_EIO, "writing the report failed");
    return CG_OK;
}
