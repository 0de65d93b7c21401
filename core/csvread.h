/*
 * csvread.h - reading text files of unknown origin: decoding (UTF-8 or GB18030) and CSV or
 * tab-separated records, streamed with bounded memory. Used for order files, catalogues and
 * code tables today, and by anything that reads bank statements or invoices later.
 *
 * Layers:
 *   cg_src  a line source over a file descriptor: drops a UTF-8 byte order mark, decodes
 *           GB18030 (which includes GBK) to UTF-8 with iconv, and hands out one physical line
 *           at a time. In CG_ENC_AUTO mode the encoding is decided at the first non-ASCII
 *           byte: UTF-8 when the bytes from there to the end of the chunk are valid UTF-8,
 *           else GB18030. Bytes GB18030 cannot decode are passed on as 0xFF, so a field check
 *           rejects the record holding them instead of losing it.
 *   cg_csv  records parsed by libcsv on top of cg_src: every record knows the line it starts
 *           on; a record longer than max_line (an unclosed quote swallowing the file) stops
 *           with CG_EPARSE instead of eating memory.
 *
 * Memory is one 64 KiB chunk plus the longest line, capped by max_line, whatever the file
 * size. Errors (CG_EPARSE, CG_EIO, CG_ENOMEM) name the file and line in struct cg_err. The
 * caller owns the descriptor until an open succeeds; from then on close() is the reader's.
 * Records and lines handed out are borrowed until the next call.
 *
 * Example:
 *     struct cg_csv c;
 *     struct cg_row *row;
 *     if (cg_csv_open(&c, fd, "orders.csv", CG_ENC_AUTO, ',', '"', false, 1 << 20, &err) == 0)
 *         while ((rc = cg_csv_next(&c, &row, &err)) == CG_OK)
 *             use(cg_row_field(row, 0), row->line);
 *     cg_csv_close(&c);       (rc is CG_ENOTFOUND at the end, another code on error)
 */
#ifndef CG_CSVREAD_H
#define CG_CSVREAD_H

#include <iconv.h>
#include <stdbool.h>
#include <stddef.h>

#include <csv.h>

#include "core/err.h"

/* The encoding of a text file: decided from its bytes, or fixed. */
enum cg_enc { CG_ENC_AUTO, CG_ENC_UTF8, CG_ENC_GB18030 };

/* "auto", "utf-8" or "gb18030" (case-insensitive) into *out; CG_EINVAL otherwise. */
int cg_enc_parse(const char *s, enum cg_enc *out);

/*
 * Reads a file descriptor in fixed chunks, drops a UTF-8 BOM, converts GB18030 to UTF-8 (in
 * auto mode: UTF-8 while the bytes are valid UTF-8, decided at the first non-ASCII byte),
 * and hands out one physical line at a time. Memory is the chunk plus the longest line,
 * which is bounded by max_line. Bytes GB18030 cannot decode are passed on as 0xFF so the
 * field check rejects the order that holds them instead of losing them.
 */
struct cg_src {
    int fd;          /* -1 for a source over memory */
    const char *mem; /* the bytes of a source over memory (borrowed), else NULL */
    size_t mem_len, mem_off;
    char *name;
    enum cg_enc enc;
    bool decided;
    bool bom_checked;
    bool eof;
    iconv_t cd;
    char *raw; /* raw bytes not yet converted */
    size_t raw_len;
    char *dec;      /* decoded UTF-8 */
    size_t dec_off; /* start of unread data */
    size_t dec_len;
    size_t dec_cap;
    size_t max_line;
    long line; /* number of the last line handed out */
    char eol;  /* what ends a line: '\n', or '\r' in a file whose lines end with CR alone (Excel's
                * "CSV (Macintosh)"); 0 until the first line end is seen */
};

/* Start a line source on fd; lines (and records above) longer than max_line are CG_EPARSE. */
int cg_src_open(struct cg_src *s, int fd, const char *name, enum cg_enc enc, size_t max_line,
                struct cg_err *err);
/* The same over the len bytes at data (borrowed until close), which are read as a file is. */
int cg_src_open_mem(struct cg_src *s, const char *data, size_t len, const char *name,
                    enum cg_enc enc, size_t max_line, struct cg_err *err);
void cg_src_close(struct cg_src *s);
/*
 * The whole of the len bytes at data as UTF-8 text, decoded as cg_src reads a file (a BOM
 * dropped, GB18030 converted, undecodable bytes escaped as U+DC00 + byte, line ends as they
 * are), into *out (NUL-terminated, the caller's; *out_len without the NUL). CG_EPARSE names the
 * file (a UTF-16 file), CG_ENOMEM.
 */
int cg_src_decode(const char *data, size_t len, const char *name, enum cg_enc enc, char **out,
                  size_t *out_len, struct cg_err *err);
/*
 * The n bytes of UTF-8 text at s as GB18030, the reverse of cg_src_decode for a GB18030 file,
 * into *out (NUL-terminated, the caller's). CG_EINVAL when s holds what GB18030 cannot write
 * (a byte cg_src_decode could not convert), CG_ENOMEM, CG_EUNSUPPORTED without iconv's GB18030.
 */
int cg_text_to_gb18030(const char *s, size_t n, char **out, size_t *out_len);
/* Next line including its '\n' (not NUL-terminated): CG_OK, CG_ENOTFOUND at the end. A file
 * whose first line ends with CR alone has its lines split at CR, so that line numbers and the
 * max_line bound count its lines, not the whole file as one. */
int cg_src_line(struct cg_src *s, const char **p, size_t *len, struct cg_err *err);

/* One CSV record: fields are NUL-terminated strings inside data. */
struct cg_row {
    char *data;
    size_t len, cap;
    size_t *off;
    size_t nfields, capfields;
    long line; /* first physical line */
};

struct cg_csv {
    struct cg_src src;
    struct csv_parser p;
    bool comments;     /* skip lines starting with '#' between records */
    bool no_quote;     /* quoting off (tab-separated reports) */
    struct cg_row cur; /* record being parsed */
    bool in_record;
    size_t rec_bytes;
    struct cg_row *ready; /* complete records not yet handed out */
    size_t nready, capready, next_ready;
    bool done;
    int perr; /* field or record too long */
};

/*
 * Start reading records from fd (named name in errors). delim: ',' or '\t'; quote: '"' or 0 for
 * none; comments: lines starting with '#' between records are skipped; max_line: longest line
 * and longest record in bytes. Blank lines between records are skipped.
 */
int cg_csv_open(struct cg_csv *c, int fd, const char *name, enum cg_enc enc, char delim, char quote,
                bool comments, size_t max_line, struct cg_err *err);
/* Next record (borrowed until the next call): CG_OK, CG_ENOTFOUND at the end, else error. */
int cg_csv_next(struct cg_csv *c, struct cg_row **row, struct cg_err *err);
void cg_csv_close(struct cg_csv *c);
/* Field i of a record, "" past the last. */
static inline const char *cg_row_field(const struct cg_row *r, size_t i)
{
    return i < r->nfields ? r->data + r->off[i] : "";
}

#endif
