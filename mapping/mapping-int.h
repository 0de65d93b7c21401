/*
 * mapping-int.h - what the files of mapping/ share and nobody else includes.
 *
 * The pieces: a small string hash map (code tables, catalogue, shipments), text checks
 * (UTF-8, characters XML can carry, lengths in characters), the mapping profile, and the order
 * builder every input format feeds. Files are read with core/csvread.h.
 */
#ifndef CG_MAPPING_INT_H
#define CG_MAPPING_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/csvread.h"
#include "core/err.h"
#include "mapping/mapping.h"

/* ------------------------------------------------------------------ hash map */

/* String keys (copied) to borrowed or owned values; open addressing, grows by doubling. */
struct cg_map {
    char **keys;
    void **vals;
    size_t n;
    size_t cap;
};

void cg_map_init(struct cg_map *m);
/* Free keys; values with free_val when not NULL. */
void cg_map_clear(struct cg_map *m, void (*free_val)(void *));
/* Insert or replace; CG_EEXIST (nothing changed) when the key is there and replace is false. */
int cg_map_put(struct cg_map *m, const char *key, void *val, bool replace);
void *cg_map_get(const struct cg_map *m, const char *key);

/*
 * A set of the order numbers a file held, each with the line it began on. Compact, for files
 * of millions of orders: each number is stored once in an arena, after its line, and the table
 * holds 32-bit offsets into the arena (about 21 + the number's length bytes per order).
 */
struct cg_seen {
    struct cg_buf arena; /* from offset 1: 8 bytes of line, the number, NUL */
    uint32_t *slots;     /* 0: empty */
    size_t n, cap;
};

void cg_seen_init(struct cg_seen *s);
void cg_seen_clear(struct cg_seen *s);
/* Add key begun at line: CG_OK when new; CG_EEXIST with *first, the line it was added with;
 * CG_ENOMEM (also when the arena would pass 4 GiB). */
int cg_seen_add(struct cg_seen *s, const char *key, long line, long *first);

/*
 * A set of 64-bit hashes of order numbers (8 bytes a slot, at most three quarters full: 16 MiB
 * for a million numbers). Two numbers may share a hash: a hash met twice says only that its
 * number may have been met twice (cg_reader_open_whole() then reads those numbers in full).
 */
struct cg_hset {
    uint64_t *slots; /* 0: empty; the hash 0 is kept as 1 */
    size_t n, cap;
};

/* The hash of an order number (FNV-1a, 64 bits). */
uint64_t cg_hash_order_no(const char *s);
void cg_hset_init(struct cg_hset *s);
void cg_hset_clear(struct cg_hset *s);
/* Add h: CG_OK when new, CG_EEXIST when there already, CG_ENOMEM. */
int cg_hset_add(struct cg_hset *s, uint64_t h);
bool cg_hset_has(const struct cg_hset *s, uint64_t h);

/* ------------------------------------------------------------------ text checks */

/* Number of characters in valid UTF-8 s. */
size_t cg_utf8_len(const char *s);
/*
 * NULL when s is valid UTF-8 made only of characters XML 1.0 can carry; otherwise a static
 * description of the first bad character ("control character U+0001", "invalid UTF-8 ...").
 * The description is written into why (size bytes).
 */
bool cg_text_ok(const char *s, char *why, size_t size);
/*
 * True when s is its own JSON string text, so json_dumps() would write it unchanged between
 * quotes: valid UTF-8 (only ASCII when ascii, as with JSON_ENSURE_ASCII) without '"', '\\'
 * or a control character below U+0020. *len is then strlen(s).
 */
bool cg_json_plain(const char *s, bool ascii, size_t *len);
/* Trim ASCII blanks at both ends in place; returns s. */
char *cg_trim(char *s);
/* True when s is n ASCII digits exactly. */
bool cg_is_digits(const char *s, size_t n);
/*
 * Date and time into a customs timestamp YYYYMMDDhhmmss in China time (UTC+8): accepts
 * "YYYYMMDDhhmmss" (taken as China time), "YYYY-MM-DD hh:mm:ss" optionally followed by
 * " +hhmm"/"-hhmm", and ISO 8601 "YYYY-MM-DDThh:mm:ss" with "Z" or "+hh:mm"; also the forms a
 * spreadsheet writes back: '/' in place of '-', month, day and hour of one digit, no seconds
 * ("2026/1/5 9:03"). A date without an offset is China time. CG_EINVAL when it is none of these.
 */
int cg_time_to_customs(const char *s, char out[15]);
/* True when s is a date with the year last ("28/11/2026 14:03", "11/28/26"): day and month
 * cannot be told apart. */
bool cg_time_year_last(const char *s);

/* Open path read-only without following a final symlink. */
int cg_open_read(const char *path, int *fd, struct cg_err *err);

/* ------------------------------------------------------------------ code tables */

struct cg_codes {
    struct cg_map currency;     /* ISO letters -> customs code */
    struct cg_map country;      /* ISO alpha-2 -> customs code */
    struct cg_map known[5];     /* customs code sets: currency country unit transport package */
    struct cg_map currency_iso; /* customs code -> ISO letters */
    struct cg_map country_iso;  /* customs code -> ISO alpha-2 */
};

/* ------------------------------------------------------------------ fields */

/* Every value an input row can carry, by its cebgate name (own CSV header, JSON keys). */
enum cg_fld {
    F_ORDER_NO,
    F_CURRENCY,
    F_COUNTRY,
    F_FREIGHT,
    F_INSURED_FEE,
    F_GOODS_VALUE,
    F_NOTE,
    F_POD,
    F_LOGISTICS_CODE,
    F_LOGISTICS_NAME,
    F_LOGISTICS_NO,
    F_GROSS_WEIGHT,
    F_NET_WEIGHT,
    F_PACK_NO,
    F_PAY_CODE,
    F_PAY_NAME,
    F_PAY_NO,
    F_PAY_CHARGE,
    F_PAY_REFUNDED,
    F_PAY_TIME,
    F_FIRST_LINE_FIELD,
    F_SKU = F_FIRST_LINE_FIELD,
    F_ITEM_NAME,
    F_ITEM_DESCRIBE,
    F_BAR_CODE,
    F_UNIT,
    F_QTY,
    F_PRICE,
    F_TOTAL,
    F_COUNT
};

extern const char *const cg_fld_names[F_COUNT];
int cg_fld_find(const char *name);

/* ------------------------------------------------------------------ order status */

/* What one value of a status column says (docs/order-format.md, "Order status"). */
enum cg_st {
    CG_ST_LIVE = 0,
    CG_ST_WAIT,
    CG_ST_SKIP,
    CG_ST_CANCELLED,
    CG_ST_SHIPPED, /* the goods left: declare it even if refunded or unpaid */
    CG_ST_DROP,    /* this row's item is not declared; the order goes on with the others */
    CG_ST_N
};

struct cg_status_rule {
    char *value; /* matched without regard to case; "*" is any non-empty value */
    int outcome; /* enum cg_st */
};

/* The rules of one status column, in the order written; the first match wins. */
struct cg_status_col {
    char *column;
    struct cg_status_rule *rules;
    size_t n;
};

struct cg_profile;
/*
 * Set the rules of a status column from "value=outcome, value=outcome, ..." (outcomes live,
 * wait, skip, cancelled, shipped, drop), replacing what the column had (append: adding to it,
 * for a continuation line); an empty text removes the column. false with why filled when the
 * text is not that.
 */
bool cg_status_set(struct cg_profile *p, const char *column, const char *rules, bool append,
                   char *why, size_t whysz);
void cg_status_free(struct cg_profile *p);
/* The status column named column, or NULL. */
const struct cg_status_col *cg_status_find(const struct cg_profile *p, const char *column);
/*
 * True when "US=LAX, DE=HAM" is a valid destination port table (ISO alpha-2 = 3-4 characters);
 * else why says what is wrong. cg_pod_lookup() copies the port of iso2 into out (size bytes).
 */
bool cg_pod_table_ok(const char *table, char *why, size_t whysz);
bool cg_pod_lookup(const char *table, const char *iso2, char *out, size_t size);

/* ------------------------------------------------------------------ profile */

struct cg_profile {
    char *name;
    bool jsonl;
    char delim;
    char quote; /* 0: none */
    bool enc_set;
    enum cg_enc enc;
    bool freight_sum;             /* freight column summed over an order's rows */
    bool strict_columns;          /* unknown header columns are an error */
    char *strip_prefix;           /* removed from order numbers, e.g. "#" */
    char *column[F_COUNT];        /* header name feeding each field, NULL when none */
    char *fixed[F_COUNT];         /* fixed value, NULL when none */
    struct cg_status_col *status; /* status columns ([status]) */
    size_t nstatus;
};

int cg_profile_load(const char *path, struct cg_profile **out, struct cg_err *err);
/* Built-in name (own, jsonl, shopify, amazon) from data_dir/profiles/, else a path. */
int cg_profile_find(const char *data_dir, const char *name, struct cg_profile **out,
                    struct cg_err *err);
void cg_profile_free(struct cg_profile *p);
/* Built-in own layout: every field under its own name, nothing fixed. */
int cg_profile_own(struct cg_profile **out, struct cg_err *err);

/* ------------------------------------------------------------------ catalogue, shipments */

struct cg_product {
    char *sku;
    char gcode[11];
    char *gname;
    char *gmodel;
    char *bar_code;
    char unit[4]; /* sold unit, "" when the order gives it */
    char unit1[4];
    int64_t per1; /* dec, unit1 per sold unit */
    char unit2[4];
    int64_t per2;
    int64_t net; /* dec kg per sold unit, -1 unknown */
    int64_t gross;
    char origin[4];
    char *bad; /* why this catalogue row cannot be used, NULL when fine */
};

struct cg_ship_rec {
    long line;
    long dup_line;    /* a second row for the same order, 0 when none */
    char *v[F_COUNT]; /* only shipment fields set */
};

int cg_catalog_load(const char *path, const struct cg_codes *codes, struct cg_map *out,
                    struct cg_err *err);
void cg_product_free(void *p);
/* strip_prefix (NULL: none) is removed from the front of each order number, as the order
 * file's are, so a carrier list that writes Shopify's "#1001" joins order 1001. */
int cg_shipments_load(const char *path, const char *strip_prefix, struct cg_map *out,
                      struct cg_err *err);
void cg_ship_rec_free(void *p);

/* ------------------------------------------------------------------ the context */

struct cg_map_ctx {
    const struct cg_seller *seller;
    const struct cg_codes *codes;
    struct cg_profile *profile;
    enum cg_enc enc;
    int64_t tolerance;
    size_t max_line;
    char *default_country; /* ISO alpha-2 or NULL */
    struct cg_map catalog;
    bool have_catalog;
    char *catalog_path;
    struct cg_map shipments;
    char *shipments_path;
};

/* ------------------------------------------------------------------ order builder */

/* The values of one input row (or JSON line item), each with the name it came under. */
struct cg_vals {
    const char *v[F_COUNT];
    const char *name[F_COUNT];
    long line;
};

/* What a reader keeps from order to order for the order hash: the canonical text, and the
 * canonical JSON of catalogue strings (names, models, bar codes) already encoded. */
struct cg_ob_scratch {
    struct cg_buf canon;
    struct cg_map jcache; /* values owned */
};

struct cg_ob {
    struct cg_map_ctx *m;
    struct cg_ob_scratch *scratch; /* the reader's */
    const char *source;
    struct cg_order *o;
    bool failed;
    bool reject_held;         /* the failure rejects the order even when its status holds it */
    char msg[CG_ERR_MSG_MAX]; /* "field <name>: reason" */
    const char *fail_file;    /* file the bad value is in (source, or the shipments file) */
    long fail_line;
    /* order-level values seen first, to catch rows that disagree */
    char *first[F_FIRST_LINE_FIELD];
    const char *first_name[F_FIRST_LINE_FIELD];
    long first_line[F_FIRST_LINE_FIELD];
    int64_t freight_sum;
    bool freight_seen;
    size_t cap;
    /* What the status columns said, and the first "column 'value'" for each outcome. */
    bool st_seen[CG_ST_N];
    char st_why[CG_ST_N][160];
};

/* Start an order from its first row; the builder owns a new struct cg_order. */
void cg_ob_begin(struct cg_ob *b, struct cg_map_ctx *m, struct cg_ob_scratch *scratch,
                 const char *source, const char *order_no, long line);
/* Add one row: order-level values (checked against the first row) and one order line. */
void cg_ob_row(struct cg_ob *b, const struct cg_vals *v, bool has_line);
/*
 * One status value of the order's row (column as the file names it): false, or true when the
 * row's item is dropped. A value no rule matches rejects the order.
 */
bool cg_ob_status(struct cg_ob *b, const char *column, const char *value, long line);
/*
 * The order's status from what cg_ob_status() saw; not CG_ORDER_LIVE: reason (size bytes)
 * says why. Called by cg_ob_finish(), which then hands out the order without content.
 */
int cg_ob_status_of(const struct cg_ob *b, char *reason, size_t size);
/* Finish: CG_OK with *out, CG_EREJECT with err filled; the builder is empty afterwards. */
int cg_ob_finish(struct cg_ob *b, struct cg_order **out, struct cg_err *err);
void cg_ob_discard(struct cg_ob *b);
/* Record the first error of the order: "field <name>: reason". */
void cg_ob_fail(struct cg_ob *b, long line, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Decimal as JSON text: amounts keep 2 fraction digits, quantities and weights none. */
void cg_dec_text(int64_t v, bool amount, char *buf, size_t size);

#endif
