/*
 * report-html.c - the report as one self-contained UTF-8 HTML page: the needs list, the last
 * run, each section as a table with its "N more" line, and SVG charts made here (documents by
 * state over 30 days as stacked bars, FX aging buckets, refund amounts by state).
 *
 * Markup is written with libxml2's xmlTextWriter, which escapes every text and attribute; text
 * from the database (receipt info, reasons) is untrusted and is also cleaned of invalid UTF-8
 * and control characters. Charts are SVG documents written the same way and embedded as
 * base64 data: images, so the page has no reference outside itself and needs no script. The
 * page is written to a temporary file and renamed (cg_fs_write_atomic). Failures: CG_ENOMEM,
 * CG_EIO (err names the file).
 */
#include "config.h"

#include <libxml/xmlstring.h>
#include <libxml/xmlwriter.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/fsutil.h"
#include "lifecycle/lifecycle.h"
#include "report/report-int.h"

#define FONTS                                                                                      \
    "system-ui, -apple-system, \"Segoe UI\", \"Noto Sans CJK SC\", \"Source Han Sans SC\", "       \
    "\"PingFang SC\", \"Hiragino Sans GB\", \"Microsoft YaHei\", \"WenQuanYi Micro Hei\", "        \
    "sans-serif"

/* No '<', '>' or '&' here: the style element is written raw. */
static const char css[] =
    "body{font-family:" FONTS ";margin:1.5em;color:#222;max-width:75em}"
    "h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.6em 0 .4em;"
    "border-bottom:1px solid #ccc}"
    "table{border-collapse:collapse;font-size:.9em}th,td{border:1px solid #ddd;padding:.2em .5em;"
    "text-align:left;vertical-align:top}th{background:#f3f3f3}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".meta{color:#666}.more{color:#444;font-style:italic}.empty{color:#666}"
    "ol.needs li{margin:.3em 0}ol.needs b{font-size:1.2em}code{background:#f3f3f3;padding:0 .3em}"
    ".ok{color:#2e7d32}";

/* ------------------------------------------------------------------ text */

struct w {
    xmlTextWriterPtr x;
    int bad;
};

static void text(struct w *w, const char *s)
{
    xmlChar *c = (xmlChar *)report_clean(s != NULL ? s : "");

    if (c == NULL || xmlTextWriterWriteString(w->x, c) < 0)
        w->bad = 1;
    free(c);
}

static void open_el(struct w *w, const char *name)
{
    if (xmlTextWriterStartElement(w->x, (const xmlChar *)name) < 0)
        w->bad = 1;
}

static void close_el(struct w *w)
{
    if (xmlTextWriterFullEndElement(w->x) < 0)
        w->bad = 1;
}

/* An empty element (<meta/>, <rect/>). */
static void void_end(struct w *w)
{
    if (xmlTextWriterEndElement(w->x) < 0)
        w->bad = 1;
}

static void attr(struct w *w, const char *name, const char *v)
{
    xmlChar *c = (xmlChar *)report_clean(v != NULL ? v : "");

    if (c == NULL || xmlTextWriterWriteAttribute(w->x, (const xmlChar *)name, c) < 0)
        w->bad = 1;
    free(c);
}

static void attr_l(struct w *w, const char *name, long v)
{
    char b[24];

    snprintf(b, sizeof(b), "%ld", v);
    attr(w, name, b);
}

static void el(struct w *w, const char *name, const char *cls, const char *s)
{
    open_el(w, name);
    if (cls != NULL)
        attr(w, "class", cls);
    text(w, s);
    close_el(w);
}

static void el_l(struct w *w, const char *name, const char *cls, long long v)
{
    char b[24];

    snprintf(b, sizeof(b), "%lld", v);
    el(w, name, cls, b);
}

static const char *jtext(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s != NULL ? s : "";
}

static long long jint(json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

/* ------------------------------------------------------------------ charts */

static const char *state_colour(const char *state)
{
    switch (cg_doc_state_parse(state)) {
    case CG_DOC_REJECTED: return "#c62828";
    case CG_DOC_RELEASED: return "#2e7d32";
    case CG_DOC_CLOSED: return "#1b5e20";
    case CG_DOC_RETURNED: return "#6d4c41";
    case CG_DOC_ACCEPTED:
    case CG_DOC_CONCLUDED: return "#66bb6a";
    case CG_DOC_REVIEW:
    case CG_DOC_INSPECTION:
    case CG_DOC_DETAINED: return "#ef6c00";
    case CG_DOC_SENT:
    case CG_DOC_STORED:
    case CG_DOC_DECLARING:
    case CG_DOC_TO_CUSTOMS: return "#1e88e5";
    case CG_DOC_QUEUED: return "#90caf9";
    default: return "#9e9e9e";
    }
}

/* v scaled to 0..px of max, in integers (amounts can be large). */
static long scale(int64_t v, int64_t max, long px)
{
    while (max > INT64_MAX / (px + 1)) {
        max /= 10;
        v /= 10;
    }
    if (max <= 0 || v <= 0)
        return 0;
    return (long)(v * px / max);
}

static void svg_begin(struct w *w, long width, long height, const char *title)
{
    open_el(w, "svg");
    attr(w, "xmlns", "http://www.w3.org/2000/svg");
    attr_l(w, "width", width);
    attr_l(w, "height", height);
    attr(w, "font-family", FONTS);
    attr(w, "font-size", "11");
    el(w, "title", NULL, title);
}

static void rect(struct w *w, long x, long y, long width, long height, const char *fill)
{
    open_el(w, "rect");
    attr_l(w, "x", x);
    attr_l(w, "y", y);
    attr_l(w, "width", width);
    attr_l(w, "height", height);
    attr(w, "fill", fill);
    void_end(w);
}

static void svg_text(struct w *w, long x, long y, const char *anchor, const char *s)
{
    open_el(w, "text");
    attr_l(w, "x", x);
    attr_l(w, "y", y);
    if (anchor != NULL)
        attr(w, "text-anchor", anchor);
    text(w, s);
    close_el(w);
}

/* Stacked bars: one per day, one colour per state, legend underneath. */
static void chart_days(struct w *w, json_t *days)
{
    const char *day, *k;
    json_t *d, *v, *states = json_object();
    long i = 0, max = 1, x, y, lx;
    const long H = 180, top = 20, left = 40, bw = 18, gap = 4;
    char lab[24];

    if (states == NULL) {
        w->bad = 1;
        return;
    }
    json_object_foreach(days, day, d)
    {
        long sum = 0;
        json_object_foreach(d, k, v)
        {
            sum += (long)json_integer_value(v);
            json_object_set_new(states, k, json_true());
        }
        max = sum > max ? sum : max;
    }
    svg_begin(w, left + 30 * (bw + gap) + 20,
              top + H + 40 + 16 * ((long)json_object_size(states) / 5 + 1),
              "Documents by state over the last 30 days, by the day of their last change");
    snprintf(lab, sizeof(lab), "%ld", max);
    svg_text(w, left - 4, top + 4, "end", lab);
    svg_text(w, left - 4, top + H, "end", "0");
    rect(w, left, top + H, 30 * (bw + gap), 1, "#999");
    json_object_foreach(days, day, d)
    {
        x = left + i * (bw + gap);
        y = top + H;
        /* Stack in the order of progress so the same state sits at the same height. */
        for (int s = CG_DOC_NONE; s < CG_DOC_NSTATES; s++) {
            const char *name = cg_doc_state_name(s);
            long n = (long)json_integer_value(json_object_get(d, name)), h;
            if (n <= 0)
                continue;
            h = scale(n, max, H);
            h = h < 1 ? 1 : h;
            y -= h;
            rect(w, x, y, bw, h, state_colour(name));
        }
        if (i % 5 == 0 || i == 29)
            svg_text(w, x + bw / 2, top + H + 14, "middle", day + 5);
        i++;
    }
    lx = left;
    i = 0;
    for (int s = CG_DOC_NONE; s < CG_DOC_NSTATES; s++) {
        const char *name = cg_doc_state_name(s);
        if (json_object_get(states, name) == NULL)
            continue;
        x = lx + (i % 5) * 120;
        y = top + H + 32 + (i / 5) * 16;
        rect(w, x, y - 9, 10, 10, state_colour(name));
        svg_text(w, x + 14, y, NULL, name);
        i++;
    }
    close_el(w);
    json_decref(states);
}

/* One panel per currency: five buckets, heights relative to that currency's largest. */
static void chart_aging(struct w *w, json_t *rows)
{
    static const char *const buckets[] = {"0-30", "31-60", "61-90", "91-180", ">180"};
    const long H = 120, pw = 260, top = 24, bw = 36;
    size_t n = json_array_size(rows), i;
    json_t *r;

    svg_begin(w, 10 + (long)n * pw, top + H + 50, "FX aging: open amounts by days since release");
    json_array_foreach(rows, i, r)
    {
        int64_t v[5], max = 0;
        long x0 = 10 + (long)i * pw;
        char title[80];
        int k;
        for (k = 0; k < 5; k++) {
            if (cg_dec_parse(json_string_value(json_array_get(r, (size_t)k + 1)), &v[k]) != CG_OK)
                v[k] = 0;
            max = v[k] > max ? v[k] : max;
        }
        snprintf(title, sizeof(title), "%s open %s", json_string_value(json_array_get(r, 0)),
                 json_string_value(json_array_get(r, 6)));
        svg_text(w, x0, 14, NULL, title);
        rect(w, x0, top + H, 5 * (bw + 10), 1, "#999");
        for (k = 0; k < 5; k++) {
            long h = scale(v[k], max, H);
            long x = x0 + k * (bw + 10);
            if (h > 0)
                rect(w, x, top + H - h, bw, h, k < 2 ? "#1e88e5" : k < 3 ? "#ef6c00" : "#c62828");
            svg_text(w, x + bw / 2, top + H + 14, "middle", buckets[k]);
            svg_text(w, x + bw / 2, top + H + 28, "middle",
                     json_string_value(json_array_get(r, (size_t)k + 1)));
        }
    }
    close_el(w);
}

/* Horizontal bars: refund amount per state. */
static void chart_refund(struct w *w, json_t *rows)
{
    const long W = 300, left = 160, bh = 18;
    size_t n = json_array_size(rows), i;
    int64_t max = 0, v;
    json_t *r;

    json_array_foreach(rows, i, r)
    {
        if (cg_dec_parse(json_string_value(json_array_get(r, 2)), &v) == CG_OK && v > max)
            max = v;
    }
    svg_begin(w, left + W + 120, 10 + (long)n * (bh + 6), "Refund amounts (CNY) by state");
    json_array_foreach(rows, i, r)
    {
        long y = 10 + (long)i * (bh + 6);
        if (cg_dec_parse(json_string_value(json_array_get(r, 2)), &v) != CG_OK)
            v = 0;
        svg_text(w, left - 6, y + 13, "end", json_string_value(json_array_get(r, 0)));
        rect(w, left, y, scale(v, max, W), bh, "#1e88e5");
        svg_text(w, left + scale(v, max, W) + 6, y + 13, NULL,
                 json_string_value(json_array_get(r, 2)));
    }
    close_el(w);
}

/* The chart drawn by fn into its own SVG document, as an <img> with a data: URI. */
static void chart_img(struct w *w, const char *alt, void (*fn)(struct w *, json_t *), json_t *arg)
{
    static const char prefix[] = "data:image/svg+xml;base64,";
    xmlBufferPtr buf = xmlBufferCreate();
    struct w sw = {NULL, 0};
    char *uri;
    size_t len;

    if (buf == NULL || (sw.x = xmlNewTextWriterMemory(buf, 0)) == NULL) {
        xmlBufferFree(buf);
        w->bad = 1;
        return;
    }
    fn(&sw, arg);
    if (xmlTextWriterEndDocument(sw.x) < 0)
        sw.bad = 1;
    xmlFreeTextWriter(sw.x);
    if (sw.bad) {
        xmlBufferFree(buf);
        w->bad = 1;
        return;
    }
    /* One base64 line (OpenSSL's encoder): no whitespace inside the data: URI. */
    len = (size_t)xmlBufferLength(buf);
    uri = malloc(sizeof(prefix) + 4 * ((len + 2) / 3) + 1);
    if (uri == NULL) {
        xmlBufferFree(buf);
        w->bad = 1;
        return;
    }
    memcpy(uri, prefix, sizeof(prefix) - 1);
    EVP_EncodeBlock((unsigned char *)uri + sizeof(prefix) - 1, xmlBufferContent(buf), (int)len);
    open_el(w, "p");
    open_el(w, "img");
    attr(w, "alt", alt);
    attr(w, "src", uri);
    void_end(w);
    close_el(w);
    free(uri);
    xmlBufferFree(buf);
}

/* ------------------------------------------------------------------ page */

static int numeric(const char *s)
{
    if (*s == '-')
        s++;
    if (*s == '\0')
        return 0;
    for (; *s != '\0'; s++) {
        if ((*s < '0' || *s > '9') && *s != '.')
            return 0;
    }
    return 1;
}

static void section_table(struct w *w, json_t *sec)
{
    json_t *cols = json_object_get(sec, "columns"), *rows = json_object_get(sec, "rows"), *r, *c;
    long long total = jint(sec, "total");
    size_t i, j;
    char h[400];

    open_el(w, "div");
    attr(w, "id", jtext(sec, "id"));
    snprintf(h, sizeof(h), "%s (%lld)", jtext(sec, "title"), total);
    el(w, "h2", NULL, h);
    if (json_object_get(sec, "empty") != NULL)
        el(w, "p", "empty", jtext(sec, "empty"));
    else if (total == 0)
        el(w, "p", "empty", "none");
    if (json_array_size(rows) > 0) {
        open_el(w, "table");
        open_el(w, "thead");
        open_el(w, "tr");
        json_array_foreach(cols, i, c) el(w, "th", NULL, json_string_value(c));
        close_el(w);
        close_el(w);
        open_el(w, "tbody");
        json_array_foreach(rows, i, r)
        {
            open_el(w, "tr");
            json_array_foreach(r, j, c)
            {
                const char *s = json_string_value(c);
                el(w, "td", numeric(s) ? "n" : NULL, s);
            }
            close_el(w);
        }
        close_el(w);
        close_el(w);
    }
    if (total > (long long)json_array_size(rows)) {
        open_el(w, "p");
        attr(w, "class", "more");
        snprintf(h, sizeof(h), "%lld more (%lld in all, the first %zu shown): ",
                 total - (long long)json_array_size(rows), total, json_array_size(rows));
        text(w, h);
        el(w, "code", NULL, jtext(sec, "command"));
        close_el(w);
    }
    if (strcmp(jtext(sec, "id"), "fx_aging") == 0 && json_array_size(rows) > 0)
        chart_img(w, "FX aging buckets per currency", chart_aging, rows);
    if (strcmp(jtext(sec, "id"), "refund") == 0 && json_array_size(rows) > 0)
        chart_img(w, "Refund amounts by state", chart_refund, rows);
    close_el(w);
}

static void kv(struct w *w, const char *k, const char *v)
{
    open_el(w, "tr");
    el(w, "th", NULL, k);
    el(w, "td", numeric(v) ? "n" : NULL, v);
    close_el(w);
}

static void kv_l(struct w *w, const char *k, long long v)
{
    char b[24];

    snprintf(b, sizeof(b), "%lld", v);
    kv(w, k, b);
}

static void page(struct w *w, json_t *doc)
{
    json_t *needs = json_object_get(doc, "needs"), *run = json_object_get(doc, "last_run"), *v;
    char t[200];
    size_t i;

    if (xmlTextWriterWriteRaw(w->x, (const xmlChar *)"<!DOCTYPE html>\n") < 0)
        w->bad = 1;
    open_el(w, "html");
    attr(w, "lang", "en");
    open_el(w, "head");
    open_el(w, "meta");
    attr(w, "charset", "utf-8");
    void_end(w);
    snprintf(t, sizeof(t), "cebgate report %s", jtext(doc, "as_of"));
    el(w, "title", NULL, t);
    open_el(w, "style");
    if (xmlTextWriterWriteRaw(w->x, (const xmlChar *)css) < 0)
        w->bad = 1;
    close_el(w);
    close_el(w);
    open_el(w, "body");
    el(w, "h1", NULL, t);
    snprintf(t, sizeof(t), "as of %s; seller %s; stuck after %lld h; %lld row%s per list",
             jtext(doc, "now"),
             json_is_string(json_object_get(doc, "seller")) ? jtext(doc, "seller") : "all",
             jint(doc, "stuck_hours"), jint(doc, "rows"), jint(doc, "rows") == 1 ? "" : "s");
    el(w, "p", "meta", t);

    open_el(w, "div");
    attr(w, "id", "needs");
    el(w, "h2", NULL, "Needs you today");
    if (json_array_size(needs) == 0)
        el(w, "p", "ok", "nothing needs you today");
    open_el(w, "ol");
    attr(w, "class", "needs");
    json_array_foreach(needs, i, v)
    {
        open_el(w, "li");
        el_l(w, "b", NULL, jint(v, "count"));
        text(w, " ");
        text(w, jtext(v, "what"));
        text(w, ": ");
        el(w, "code", NULL, jtext(v, "command"));
        close_el(w);
    }
    close_el(w);
    close_el(w);

    open_el(w, "div");
    attr(w, "id", "last_run");
    if (!json_is_object(run)) {
        el(w, "h2", NULL, "Runs");
        el(w, "p", "empty", "no input file was ever taken");
    } else {
        char busy[48], head[64];
        long long ms = (long long)jint(run, "busy_ms");
        snprintf(busy, sizeof(busy), "%lld.%03lld", ms / 1000, ms % 1000);
        /* Every run of the latest day (UTC) a file was taken: the database keeps no record of a
         * run as such, so the section is named for the day it covers. */
        snprintf(head, sizeof(head), "Runs of %s", jtext(run, "day"));
        el(w, "h2", NULL, head);
        el(w, "p", NULL,
           "The input files taken on the latest day (UTC) any file was taken, by every run of "
           "that day.");
        open_el(w, "table");
        kv(w, "day", jtext(run, "day"));
        kv_l(w, "files", jint(run, "files"));
        kv_l(w, "failed files", jint(run, "failed_files"));
        kv_l(w, "orders taken", jint(run, "orders"));
        kv_l(w, "orders rejected", jint(run, "rejected"));
        kv_l(w, "of them rejected by a file whose refusal was dismissed since",
             jint(run, "rejected_dismissed"));
        kv_l(w, "orders held for their status", jint(run, "held"));
        kv_l(w, "of them waiting (listed below as held back)", jint(run, "held_waiting"));
        kv_l(w, "of them skipped", jint(run, "held_skipped"));
        kv_l(w, "of them cancelled", jint(run, "held_cancelled"));
        kv_l(w, "messages", jint(run, "messages"));
        kv(w, "processing (s), each file from taken to finished", busy);
        kv_l(w, "orders per minute of processing", jint(run, "orders_per_min"));
        kv(w, "first taken", jtext(run, "started"));
        kv(w, "last finished", jtext(run, "finished"));
        if (json_object_get(run, "span_s") != NULL)
            kv_l(w, "first taken to last finished (s), the time between runs included",
                 jint(run, "span_s"));
        close_el(w);
    }
    close_el(w);

    open_el(w, "div");
    attr(w, "id", "chart_days");
    el(w, "h2", NULL, "Documents by state, last 30 days (day of last change)");
    chart_img(w, "Documents by state over the last 30 days", chart_days,
              json_object_get(doc, "days"));
    close_el(w);

    json_array_foreach(json_object_get(doc, "sections"), i, v) section_table(w, v);
    close_el(w);
    close_el(w);
    if (xmlTextWriterEndDocument(w->x) < 0)
        w->bad = 1;
}

/*
 * The directory of path, opened for the atomic write. A directory that does not exist, is not
 * one or may not be written, and a path that is itself a directory, are the configuration's
 * or the command line's fault: CG_ECONFIG, so nobody runs again hoping it mends itself. What
 * fails past this point (disk full, I/O) stays temporary.
 */
static int open_page_dir(const char *path, const char *dir, const char *name, int *dfd,
                         struct cg_err *err)
{
    struct stat st;
    int e;

    *dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (*dfd < 0) {
        e = errno;
        if (e == ENOENT)
            return CG_ERR_SET(err, CG_ECONFIG, "report page %s: directory %s does not exist", path,
                              dir);
        if (e == ENOTDIR)
            return CG_ERR_SET(err, CG_ECONFIG, "report page %s: %s is not a directory", path, dir);
        if (e == EACCES || e == EPERM)
            return CG_ERR_SET(err, CG_ECONFIG, "report page %s: directory %s: %s", path, dir,
                              strerror(e));
        return CG_ERR_SET(err, CG_EIO, "report page %s: cannot open directory %s: %s", path, dir,
                          strerror(e));
    }
    if (faccessat(*dfd, ".", W_OK | X_OK, AT_EACCESS) != 0 &&
        (errno == EACCES || errno == EPERM || errno == EROFS)) {
        e = errno;
        close(*dfd);
        *dfd = -1;
        return CG_ERR_SET(err, CG_ECONFIG, "report page %s: directory %s cannot be written: %s",
                          path, dir, strerror(e));
    }
    if (fstatat(*dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
        close(*dfd);
        *dfd = -1;
        return CG_ERR_SET(err, CG_ECONFIG, "report page %s: is a directory", path);
    }
    return CG_OK;
}

int cg_report_write_html(const struct cg_report *r, const char *path, struct cg_err *err)
{
    xmlBufferPtr buf = NULL;
    struct w w = {NULL, 0};
    char *dir = NULL;
    const char *slash = strrchr(path, '/');
    const char *name = slash == NULL ? path : slash + 1;
    int dfd = -1;
    int rc = CG_OK;

    dir = slash == NULL   ? cg_strdup(".")
          : slash == path ? cg_strdup("/")
                          : strndup(path, (size_t)(slash - path));
    if (dir == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    /* The path is checked before the page is built: a wrong one fails at once. */
    rc = open_page_dir(path, dir, name, &dfd, err);
    if (rc != CG_OK)
        goto done;
    buf = xmlBufferCreate();
    if (buf == NULL || (w.x = xmlNewTextWriterMemory(buf, 0)) == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    page(&w, r->doc);
    xmlFreeTextWriter(w.x);
    if (w.bad) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "report: writing the HTML page failed");
        goto done;
    }
    if (xmlBufferAdd(buf, (const xmlChar *)"\n", 1) != 0) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    rc = cg_fs_write_atomic_at(dfd, name, xmlBufferContent(buf), (size_t)xmlBufferLength(buf), err);
    if (rc != CG_OK)
        cg_err_prefix(err, "report page %s", path);
done:
    if (dfd >= 0)
        close(dfd);
    free(dir);
    if (buf != NULL)
        xmlBufferFree(buf);
    return rc;
}
