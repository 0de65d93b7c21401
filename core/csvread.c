/*
 * csvread.c - streamed reading of text files: decoding and CSV records (core/csvread.h).
 *
 * cg_src reads a descriptor (or bytes already in memory: cg_src_open_mem, and cg_src_decode for
 * a file read whole, such as a bank statement) in 64 KiB chunks, drops a UTF-8 byte order mark (a
 * UTF-16 one refuses the file, UTF-16 is not read; so does an Excel workbook, .xlsx or .xls, by
 * its first four bytes), converts GB18030 (which includes GBK) to UTF-8
 * with iconv, and hands out physical lines. Memory stays at one chunk plus the longest line, capped
 * by max_line, whatever the file size. In auto mode the encoding is decided at the first non-ASCII
 * byte: UTF-8 when the bytes from there to the end of the chunk are valid UTF-8, else GB18030
 * (ASCII is the same in both).
 *
 * cg_csv feeds those lines to libcsv one at a time, so every record knows the line it starts
 * on, and a record longer than max_line (an unclosed quote swallowing the file) stops with a
 * parse error instead of eating memory. Errors name the file and line; the caller owns the
 * descriptor until open succeeds, then close() is ours.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/csvread.h"

#define CHUNK 65536

int cg_enc_parse(const char *s, enum cg_enc *out)
{
    if (s == NULL || strcmp(s, "auto") == 0)
        *out = CG_ENC_AUTO;
    else if (strcasecmp(s, "utf-8") == 0 || strcasecmp(s, "utf8") == 0)
        *out = CG_ENC_UTF8;
    else if (strcasecmp(s, "gb18030") == 0 || strcasecmp(s, "gbk") == 0 ||
             strcasecmp(s, "gb2312") == 0)
        *out = CG_ENC_GB18030;
    else
        return CG_EINVAL;
    return CG_OK;
}

int cg_src_open(struct cg_src *s, int fd, const char *name, enum cg_enc enc, size_t max_line,
                struct cg_err *err)
{
    memset(s, 0, sizeof(*s));
    s->fd = fd;
    s->cd = (iconv_t)-1;
    s->enc = enc;
    s->decided = enc != CG_ENC_AUTO;
    s->max_line = max_line;
    s->name = strdup(name);
    s->raw = malloc(CHUNK + 8);
    if (s->name == NULL || s->raw == NULL) {
        free(s->name);
        free(s->raw);
        s->name = s->raw = NULL;
        return CG_ERR_SET(err, CG_ENOMEM, "%s: out of memory", name);
    }
    if (enc == CG_ENC_GB18030) {
        s->cd = iconv_open("UTF-8", "GB18030");
        if (s->cd == (iconv_t)-1) {
            free(s->name);
            free(s->raw);
            s->name = s->raw = NULL;
            return CG_ERR_SET(err, CG_EUNSUPPORTED, "%s: iconv has no GB18030: %s", name,
                              strerror(errno));
        }
    }
    return CG_OK;
}

int cg_src_open_mem(struct cg_src *s, const char *data, size_t len, const char *name,
                    enum cg_enc enc, size_t max_line, struct cg_err *err)
{
    int rc = cg_src_open(s, -1, name, enc, max_line, err);

    if (rc == CG_OK) {
        s->mem = data != NULL ? data : "";
        s->mem_len = len;
    }
    return rc;
}

void cg_src_close(struct cg_src *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    if (s->cd != (iconv_t)-1)
        iconv_close(s->cd);
    s->cd = (iconv_t)-1;
    free(s->name);
    free(s->raw);
    free(s->dec);
    s->name = s->raw = s->dec = NULL;
}

/* Valid UTF-8 from p for n bytes; a sequence cut by the end counts as valid unless at_eof. */
static bool utf8_valid(const unsigned char *p, size_t n, bool at_eof)
{
    size_t i = 0;

    while (i < n) {
        size_t len, k;

        if (p[i] < 0x80) {
            i++;
            continue;
        }
        if (p[i] >= 0xC2 && p[i] <= 0xDF)
            len = 2;
        else if (p[i] >= 0xE0 && p[i] <= 0xEF)
            len = 3;
        else if (p[i] >= 0xF0 && p[i] <= 0xF4)
            len = 4;
        else
            return false;
        for (k = 1; k < len; k++) {
            if (i + k >= n)
                return !at_eof;
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
        }
        i += len;
    }
    return true;
}

static int dec_reserve(struct cg_src *s, size_t extra, struct cg_err *err)
{
    size_t need;
    char *n;

    if (s->dec_off > 0) {
        memmove(s->dec, s->dec + s->dec_off, s->dec_len - s->dec_off);
        s->dec_len -= s->dec_off;
        s->dec_off = 0;
    }
    need = s->dec_len + extra + 1;
    if (need <= s->dec_cap)
        return CG_OK;
    n = realloc(s->dec, need);
    if (n == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "%s: out of memory", s->name);
    s->dec = n;
    s->dec_cap = need;
    return CG_OK;
}

/* The first bytes of an Excel workbook, and what the refusal says of it. */
static const struct {
    const char magic[4];
    const char *what;
} workbooks[] = {
    {{'P', 'K', 0x03, 0x04}, ".xlsx, a ZIP archive: it starts with PK 0x03 0x04"},
    {{(char)0xD0, (char)0xCF, 0x11, (char)0xE0},
     ".xls, Excel 97-2003: it starts with 0xD0 0xCF 0x11 0xE0"},
};

/* Convert what is in raw into dec. */
static int decode(struct cg_src *s, struct cg_err *err)
{
    size_t start = 0, k;
    int rc;

    if (!s->bom_checked && (s->raw_len >= 4 || s->eof)) {
        s->bom_checked = true;
        /* A workbook dropped as it is: its bytes would be read as a header of garbage. */
        for (k = 0; s->raw_len >= 4 && k < sizeof(workbooks) / sizeof(workbooks[0]); k++)
            if (memcmp(s->raw, workbooks[k].magic, 4) == 0)
                return CG_ERR_SET(err, CG_EPARSE,
                                  "%s:1: the file is an Excel workbook (%s), not CSV text: save it "
                                  "as CSV UTF-8 and drop that",
                                  s->name, workbooks[k].what);
        /* Excel's "Unicode text" is UTF-16: every other byte NUL, read as garbage otherwise */
        if (s->raw_len >= 2 &&
            (memcmp(s->raw, "\xFF\xFE", 2) == 0 || memcmp(s->raw, "\xFE\xFF", 2) == 0))
            return CG_ERR_SET(err, CG_EPARSE,
                              "%s:1: the file is UTF-16 (it starts with the byte order mark "
                              "0x%02X 0x%02X); cebgate reads UTF-8 or GB18030: save it as CSV "
                              "UTF-8",
                              s->name, (unsigned char)s->raw[0], (unsigned char)s->raw[1]);
        if (s->raw_len >= 3 && memcmp(s->raw, "\xEF\xBB\xBF", 3) == 0) {
            start = 3;
            if (!s->decided) {
                s->enc = CG_ENC_UTF8;
                s->decided = true;
            }
        }
    }
    if (!s->bom_checked)
        return CG_OK; /* fewer than 3 bytes so far: wait for more */
    if (!s->decided) {
        size_t i;

        for (i = start; i < s->raw_len && (unsigned char)s->raw[i] < 0x80; i++)
            ;
        if (i < s->raw_len) {
            s->decided = true;
            s->enc = utf8_valid((unsigned char *)s->raw + i, s->raw_len - i, s->eof)
                         ? CG_ENC_UTF8
                         : CG_ENC_GB18030;
            if (s->enc == CG_ENC_GB18030) {
                s->cd = iconv_open("UTF-8", "GB18030");
                if (s->cd == (iconv_t)-1)
                    return CG_ERR_SET(err, CG_EUNSUPPORTED, "%s: iconv has no GB18030: %s", s->name,
                                      strerror(errno));
            }
        }
    }
    rc = dec_reserve(s, (s->raw_len - start) * 3 + 16, err);
    if (rc != CG_OK)
        return rc;
    if (s->enc != CG_ENC_GB18030) {
        memcpy(s->dec + s->dec_len, s->raw + start, s->raw_len - start);
        s->dec_len += s->raw_len - start;
        s->raw_len = 0;
        return CG_OK;
    }
    {
        char *in = s->raw + start;
        size_t inleft = s->raw_len - start;
        char *out = s->dec + s->dec_len;
        size_t outleft = s->dec_cap - s->dec_len - 1;

        while (inleft > 0) {
            if (iconv(s->cd, &in, &inleft, &out, &outleft) != (size_t)-1)
                break;
            if (errno == EINVAL && !s->eof)
                break; /* a character cut by the chunk end: keep it for the next read */
            if (errno == EILSEQ || errno == EINVAL) {
                /*
                 * Not GB18030: pass the byte on escaped as the lone surrogate U+DC00 + byte
                 * (never valid UTF-8), so the order that holds it is refused and the message
                 * can still name the byte the file really has.
                 */
                if (outleft < 3)
                    return CG_ERR_SET(err, CG_ENOMEM, "%s: conversion buffer too small", s->name);
                *out++ = (char)0xED;
                *out++ = (char)(0xB0 | (((unsigned char)*in >> 6) & 0x03));
                *out++ = (char)(0x80 | ((unsigned char)*in & 0x3F));
                outleft -= 3;
                in++;
                inleft--;
                continue;
            }
            return CG_ERR_SET(err, CG_ENOMEM, "%s: conversion buffer too small", s->name);
        }
        s->dec_len = (size_t)(out - s->dec);
        memmove(s->raw, in, inleft);
        s->raw_len = inleft;
    }
    return CG_OK;
}

static int fill(struct cg_src *s, struct cg_err *err)
{
    ssize_t n;

    if (s->mem != NULL) {
        size_t k = s->mem_len - s->mem_off < CHUNK - s->raw_len ? s->mem_len - s->mem_off
                                                                : CHUNK - s->raw_len;
        memcpy(s->raw + s->raw_len, s->mem + s->mem_off, k);
        s->mem_off += k;
        n = (ssize_t)k;
    } else {
        do {
            n = read(s->fd, s->raw + s->raw_len, CHUNK - s->raw_len);
        } while (n < 0 && errno == EINTR);
    }
    if (n < 0)
        return CG_ERR_SET(err, CG_EIO, "%s: read: %s", s->name, strerror(errno));
    if (n == 0)
        s->eof = true;
    s->raw_len += (size_t)n;
    return decode(s, err);
}

int cg_src_line(struct cg_src *s, const char **p, size_t *len, struct cg_err *err)
{
    size_t scanned = 0;

    for (;;) {
        /* dec is NULL until the first chunk is decoded (NULL + 0 is undefined). */
        char *start = s->dec != NULL ? s->dec + s->dec_off : NULL;
        size_t avail = s->dec_len - s->dec_off;
        char *nl;
        int rc;

        if (s->eol == 0 && avail > 0) {
            /* The first line end decides: CR followed by LF, or LF, is '\n'; CR followed by
             * anything else, or CR at the end of the file, is '\r'. */
            const char *lf = memchr(start, '\n', avail);
            const char *cr = memchr(start, '\r', lf != NULL ? (size_t)(lf - start) : avail);

            if (cr == NULL && lf != NULL)
                s->eol = '\n';
            else if (cr != NULL && cr + 1 < start + avail)
                s->eol = cr[1] == '\n' ? '\n' : '\r';
            else if (s->eof && s->raw_len == 0)
                s->eol = cr != NULL ? '\r' : '\n';
        }
        nl = avail > scanned && s->eol != 0 ? memchr(start + scanned, s->eol, avail - scanned)
                                            : NULL;

        if (nl != NULL) {
            *p = start;
            *len = (size_t)(nl - start) + 1;
            s->dec_off += *len;
            s->line++;
            return CG_OK;
        }
        if (s->eol != 0)
            scanned = avail; /* else the line end is not known yet: all of it is looked at again */
        if (avail > s->max_line)
            return CG_ERR_SET(err, CG_EPARSE, "%s:%ld: line longer than %zu bytes", s->name,
                              s->line + 1, s->max_line);
        if (s->eof && s->raw_len == 0) {
            if (avail == 0)
                return CG_ENOTFOUND;
            *p = start;
            *len = avail;
            s->dec_off += avail;
            s->line++;
            return CG_OK;
        }
        rc = fill(s, err);
        if (rc != CG_OK)
            return rc;
    }
}

int cg_src_decode(const char *data, size_t len, const char *name, enum cg_enc enc, char **out,
                  size_t *out_len, struct cg_err *err)
{
    struct cg_src src;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    const char *p;
    size_t k;
    int rc;

    /* One line may be the whole file, decoded (a byte gives at most 3): the bytes are in memory
     * already, and this bounds nothing more. */
    rc = cg_src_open_mem(&src, data, len, name, enc, len * 3 + 16, err);
    while (rc == CG_OK && (rc = cg_src_line(&src, &p, &k, err)) == CG_OK) {
        if (n + k + 1 > cap) {
            size_t nc = cap == 0 ? len + 64 : cap * 2;
            char *b;

            while (nc < n + k + 1)
                nc *= 2;
            b = realloc(buf, nc);
            if (b == NULL) {
                rc = CG_ERR_SET(err, CG_ENOMEM, "%s: out of memory", name);
                break;
            }
            buf = b;
            cap = nc;
        }
        memcpy(buf + n, p, k);
        n += k;
    }
    if (rc == CG_ENOTFOUND && buf == NULL && (buf = malloc(1)) == NULL)
        rc = CG_ERR_SET(err, CG_ENOMEM, "%s: out of memory", name);
    else if (rc == CG_ENOTFOUND)
        rc = CG_OK;
    cg_src_close(&src); /* also after a failed open: it leaves nothing to free */
    if (rc != CG_OK) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    return CG_OK;
}

/* ------------------------------------------------------------------ CSV */

/*
 * A NUL byte inside a field would cut the C string short (two order numbers could become one),
 * so it is stored escaped as the lone surrogate U+DC00, the escape the GB18030 decoder uses for
 * bytes it cannot convert; cg_text_ok() then refuses the field as a control character.
 */
static const char nul_esc[3] = {'\xED', '\xB0', '\x80'};

static int row_add(struct cg_row *r, const void *p, size_t n)
{
    const char *in = p;
    size_t nuls = 0, i, need;

    for (i = 0; i < n; i++)
        nuls += in[i] == '\0';
    need = n + 2 * nuls;
    if (r->nfields == r->capfields) {
        size_t nc = r->capfields == 0 ? 32 : r->capfields * 2;
        size_t *o = realloc(r->off, nc * sizeof(*o));

        if (o == NULL)
            return CG_ENOMEM;
        r->off = o;
        r->capfields = nc;
    }
    if (r->len + need + 1 > r->cap) {
        size_t nc = r->cap == 0 ? 1024 : r->cap;
        char *d;

        while (nc < r->len + need + 1)
            nc *= 2;
        d = realloc(r->data, nc);
        if (d == NULL)
            return CG_ENOMEM;
        r->data = d;
        r->cap = nc;
    }
    r->off[r->nfields++] = r->len;
    if (nuls == 0 && n > 0) {
        memcpy(r->data + r->len, p, n);
        r->len += n;
    } else {
        for (i = 0; i < n; i++) {
            if (in[i] == '\0') {
                memcpy(r->data + r->len, nul_esc, sizeof(nul_esc));
                r->len += sizeof(nul_esc);
            } else {
                r->data[r->len++] = in[i];
            }
        }
    }
    r->data[r->len++] = '\0';
    return CG_OK;
}

static void row_free(struct cg_row *r)
{
    free(r->data);
    free(r->off);
    memset(r, 0, sizeof(*r));
}

static void on_field(void *s, size_t n, void *data)
{
    struct cg_csv *c = data;

    if (row_add(&c->cur, s, n) != CG_OK)
        c->perr = CG_ENOMEM;
}

static void on_record(int ch, void *data)
{
    struct cg_csv *c = data;
    struct cg_row tmp;

    (void)ch;
    if (c->nready == c->capready) {
        size_t nc = c->capready == 0 ? 4 : c->capready * 2;
        struct cg_row *r = realloc(c->ready, nc * sizeof(*r));

        if (r == NULL) {
            c->perr = CG_ENOMEM;
            return;
        }
        memset(r + c->capready, 0, (nc - c->capready) * sizeof(*r));
        c->ready = r;
        c->capready = nc;
    }
    tmp = c->ready[c->nready];
    c->ready[c->nready++] = c->cur;
    c->cur = tmp;
    c->cur.len = 0;
    c->cur.nfields = 0;
    c->in_record = false;
    c->rec_bytes = 0;
}

static int no_space(unsigned char ch)
{
    (void)ch;
    return 0;
}

static int is_term(unsigned char ch)
{
    return ch == CSV_CR || ch == CSV_LF;
}

int cg_csv_open(struct cg_csv *c, int fd, const char *name, enum cg_enc enc, char delim, char quote,
                bool comments, size_t max_line, struct cg_err *err)
{
    int rc;

    memset(c, 0, sizeof(*c));
    rc = cg_src_open(&c->src, fd, name, enc, max_line, err);
    if (rc != CG_OK)
        return rc;
    if (csv_init(&c->p, CSV_STRICT_FINI) != 0) {
        cg_src_close(&c->src);
        return CG_ERR_SET(err, CG_ENOMEM, "%s: out of memory", name);
    }
    csv_set_delim(&c->p, (unsigned char)delim);
    /* No quoting: 0xC0 never occurs in valid UTF-8 (a line holding it is refused below). */
    c->no_quote = quote == 0;
    csv_set_quote(&c->p, quote != 0 ? (unsigned char)quote : (unsigned char)0xC0);
    csv_set_space_func(&c->p, no_space);
    csv_set_term_func(&c->p, is_term);
    c->comments = comments;
    return CG_OK;
}

void cg_csv_close(struct cg_csv *c)
{
    size_t i;

    csv_free(&c->p);
    cg_src_close(&c->src);
    row_free(&c->cur);
    for (i = 0; i < c->capready; i++)
        row_free(&c->ready[i]);
    free(c->ready);
    c->ready = NULL;
}

static bool blank_line(const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (p[i] != '\r' && p[i] != '\n')
            return false;
    }
    return true;
}

int cg_csv_next(struct cg_csv *c, struct cg_row **row, struct cg_err *err)
{
    while (c->next_ready >= c->nready) {
        const char *p = NULL;
        size_t n = 0;
        int rc;

        c->nready = c->next_ready = 0;
        if (c->done)
            return CG_ENOTFOUND;
        rc = cg_src_line(&c->src, &p, &n, err);
        if (rc == CG_ENOTFOUND) {
            long start = c->cur.line;

            c->done = true;
            /* libcsv reports an open quote at the end only in strict mode, which would also
             * refuse stray quotes in unquoted fields; look at its state instead (pstate 2 is
             * "field begun" in libcsv 3). */
            if ((c->p.quoted && c->p.pstate == 2) || csv_fini(&c->p, on_field, on_record, c) != 0)
                return CG_ERR_SET(err, CG_EPARSE,
                                  "%s:%ld: a quoted field is never closed (missing '\"')",
                                  c->src.name, start);
            continue;
        }
        if (rc != CG_OK)
            return rc;
        if (!c->in_record) {
            if (blank_line(p, n) || (c->comments && p[0] == '#'))
                continue;
            c->in_record = true;
            c->cur.line = c->src.line;
        }
        if (c->no_quote && memchr(p, 0xC0, n) != NULL)
            return CG_ERR_SET(err, CG_EPARSE, "%s:%ld: byte 0xC0 is not valid UTF-8 text",
                              c->src.name, c->src.line);
        c->rec_bytes += n;
        if (c->rec_bytes > c->src.max_line)
            return CG_ERR_SET(err, CG_EPARSE,
                              "%s:%ld: record longer than %zu bytes (a quoted field that is "
                              "never closed?)",
                              c->src.name, c->cur.line, c->src.max_line);
        if (csv_parse(&c->p, p, n, on_field, on_record, c) != n)
            return CG_ERR_SET(err, CG_EPARSE, "%s:%ld: %s", c->src.name, c->src.line,
                              csv_strerror(csv_error(&c->p)));
        if (c->perr != CG_OK)
            return CG_ERR_SET(err, c->perr, "%s:%ld: out of memory", c->src.name, c->src.line);
    }
    *row = &c->ready[c->next_ready++];
    return CG_OK;
}

int cg_text_to_gb18030(const char *s, size_t n, char **out, size_t *out_len)
{
    iconv_t cd = iconv_open("GB18030", "UTF-8");
    size_t cap = n * 2 + 16, left_in = n, left_out = cap;
    char *buf, *copy, *in, *o;
    int rc = CG_OK;

    *out = NULL;
    *out_len = 0;
    if (cd == (iconv_t)-1)
        return CG_EUNSUPPORTED;
    /* GB18030 takes at most 4 bytes where UTF-8 takes 1 to 4: twice n is room enough. iconv
     * wants its input writable: a copy. */
    buf = malloc(cap + 1);
    copy = malloc(n + 1);
    if (buf == NULL || copy == NULL) {
        free(buf);
        free(copy);
        iconv_close(cd);
        return CG_ENOMEM;
    }
    memcpy(copy, s, n);
    in = copy;
    o = buf;
    if (iconv(cd, &in, &left_in, &o, &left_out) == (size_t)-1 ||
        iconv(cd, NULL, NULL, &o, &left_out) == (size_t)-1)
        rc = CG_EINVAL;
    iconv_close(cd);
    free(copy);
    if (rc != CG_OK) {
        free(buf);
        return rc;
    }
    *o = '\0';
    *out = buf;
    *out_len = (size_t)(o - buf);
    return CG_OK;
}
