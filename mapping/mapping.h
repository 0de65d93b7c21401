/*
 * mapping.h - merchant order files, catalogue, shipments and code tables into one order model.
 *
 * The order model (struct cg_order) is a plain data record: every CEB field declare/ needs is
 * here already normalized (customs codes, not ISO letters; decs, not text), so declare/ never
 * looks at the input files. Strings are owned by the record and freed by cg_order_free().
 * Amounts, quantities and weights are decs (core/money.h: int64, 5 fraction digits).
 *
 * Reading is streamed: cg_reader_next() returns one order at a time and never holds the file.
 * Orders the layout's status columns mark as waiting, skipped or cancelled are returned too,
 * with their status and its reason only. A rejected order yields CG_EREJECT with
 * "file:line: order <no>: field <name>: reason" in the struct cg_err and the reader goes on
 * with the next order.
 */
#ifndef CG_MAPPING_H
#define CG_MAPPING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/conf.h"
#include "core/err.h"

/* ------------------------------------------------------------------ seller profile */

/* What the configuration says about one seller ([seller] or [seller.NAME]). All owned. */
struct cg_seller {
    char *name; /* "" for the default [seller] */
    char *ebp_code, *ebp_name;
    char *ebc_code, *ebc_name;
    char *agent_code, *agent_name;
    char *owner_code, *owner_name;
    char *customs_code;    /* 4 digits */
    char *port_code;       /* 4 digits */
    char *traf_mode;       /* 1 char */
    char *wrap_type;       /* 1 char */
    char *trade_mode;      /* 9610 9710 9810 1210 */
    char *statistics_flag; /* A or B */
    char *currency;        /* default ISO letters */
    char *profile;         /* own | jsonl | shopify | amazon | path of a profile file */
    char *catalog;         /* path or NULL */
    char *shipments;       /* path or NULL */
    char *key_file, *cert_file, *key_pass_file, *key_pass_env, *key_name; /* signing, may be NULL */
    char *country; /* default destination, ISO alpha-2, "" when unset */
    char *pod;     /* default destination port (POD), "" when unset */
    /* Destination port by destination country: "US=LAX, DE=HAM" as configured, "" when unset;
     * checked by cg_seller_load. */
    char *pod_by_country;
    /* Special-area export (trade_mode 1210): the warehouse enterprise inside the area and its
     * record book, written into the CEB603 as iacCode, iacName and emsNo; "" when unset
     * (cg_seller_load refuses 1210 without all three). */
    char *iac_code, *iac_name, *ems_no;
    /* Where the payment record (CEB403) comes from: "shop" (the order file's payment columns),
     * "collections" (the collections settle/ matched to the order) or "none" (no CEB403 is
     * declared). */
    char *payments;
    /* The payment company of a CEB403 declared from collections (payCode, payName); "" when
     * unset (cg_seller_load refuses payments = collections without pay_name). */
    char *pay_code, *pay_name;
};

/*
 * Load [seller.NAME] (NAME NULL or "" for [seller]) with fall-back to [seller]. A trade mode
 * whose messages would lack a field the specification requires is CG_ECONFIG with the reason.
 */
int cg_seller_load(const struct cg_conf *conf, const char *name, struct cg_seller **out,
                   struct cg_err *err);
void cg_seller_free(struct cg_seller *s);

/* ------------------------------------------------------------------ order model */

/* The strings of a line (sku, item_name, item_describe, bar_code, gname, gmodel) are one
 * allocation that starts at sku; cg_order_free() frees it. */
struct cg_order_line {
    int gnum;            /* 1-based, contiguous */
    char *sku;           /* itemNo (seller's SKU) */
    char *item_name;     /* itemName as sold */
    char *item_describe; /* optional, NULL */
    char *bar_code;      /* barCode; "无" when the catalogue has none */
    char unit[4];        /* customs unit code of the sold unit, e.g. "011" */
    int64_t qty;         /* dec */
    int64_t price;       /* dec, unit price */
    int64_t total;       /* dec, qty x price (checked or computed) */
    /* From the catalogue. */
    char gcode[11];       /* 10-digit HS code */
    char *gname;          /* declared Chinese name */
    char *gmodel;         /* brand / spec / model */
    char unit1[4];        /* first legal unit code */
    char unit2[4];        /* second legal unit code, "" when none */
    int64_t qty1;         /* dec, quantity in unit1 */
    int64_t qty2;         /* dec, quantity in unit2 (0 when none) */
    char origin[4];       /* origin country customs code, "" when unknown */
    int64_t net_weight;   /* dec kg for the whole line */
    int64_t gross_weight; /* dec kg for the whole line */
};

/* Shipment data; an order without it is valid and waits (has_shipment false). */
struct cg_shipment {
    char *logistics_code; /* carrier customs code */
    char *logistics_name;
    char *logistics_no;   /* tracking number, <= 32 */
    int64_t gross_weight; /* dec kg */
    int64_t net_weight;   /* dec kg (sum of lines when not given) */
    long pack_no;         /* packages */
    int64_t freight;      /* dec, in the order currency */
    int64_t insured_fee;  /* dec */
};

/* Payment receipt data for CEB403 (optional). */
struct cg_payment {
    char *pay_code;           /* payment company code, may be NULL */
    char *pay_name;           /* payment company name */
    char *pay_no;             /* payment transaction number, may be NULL */
    int64_t charge;           /* dec */
    int64_t refunded;         /* dec, what the shop refunded of the charge (not in CEB403) */
    char accounting_date[15]; /* YYYYMMDDhhmmss */
};

/*
 * Whether an order is to be declared, from the status columns of its layout (the profile's
 * [status] rules, docs/order-format.md). Only a LIVE order carries its content; the others
 * carry seller, order_no, source, line, status and status_reason only.
 */
enum cg_order_status {
    CG_ORDER_LIVE = 0,  /* declare it */
    CG_ORDER_WAIT,      /* not yet (unpaid, pending): declared when a later file shows it live */
    CG_ORDER_SKIP,      /* never (fully refunded before shipping, every item cancelled) */
    CG_ORDER_CANCELLED, /* cancelled by the shop */
};

/* "live", "waiting", "skipped", "cancelled". */
const char *cg_order_status_name(int status);

struct cg_order {
    enum cg_order_status status;
    char *status_reason;  /* what said so: "Financial Status 'pending'"; NULL when live */
    char *seller;         /* seller profile name, "" for the default */
    char *order_no;       /* orderNo, <= 60; seller and source share its allocation */
    char *source;         /* input file name (for messages) */
    long line;            /* first line of the order in the file */
    char currency[4];     /* customs numeric currency code, e.g. "502" */
    char currency_iso[4]; /* ISO letters, e.g. "USD" */
    char country[4];      /* destination country, customs code, e.g. "502" */
    char country_iso[3];  /* ISO alpha-2 */
    char *pod;            /* destination port code, NULL when unknown */
    int64_t goods_value;  /* dec, sum of line totals */
    int64_t freight;      /* dec */
    int64_t insured_fee;  /* dec */
    char *note;           /* may be NULL */
    bool has_shipment;
    struct cg_shipment ship;
    bool has_payment;
    struct cg_payment pay;
    size_t nlines;
    struct cg_order_line *lines;
    char hash[65]; /* SHA-256 of the normalized content: same content, same hash */
};

void cg_order_free(struct cg_order *o);
/* The order as one line of JSON (no newline); caller frees. NULL on allocation failure. */
char *cg_order_to_json(const struct cg_order *o);
struct cg_buf;
/*
 * Append the order's JSON to out: the line cg_order_to_json() gives, or with canonical the
 * text cg_order_canonical() gives. CG_OK, or CG_ENOMEM with out as it was.
 */
int cg_order_json_add(const struct cg_order *o, bool canonical, struct cg_buf *out);

/* ------------------------------------------------------------------ code tables */

struct cg_codes;

/* Load the CSV code tables from data_dir once. */
int cg_codes_load(const char *data_dir, struct cg_codes **out, struct cg_err *err);
void cg_codes_free(struct cg_codes *c);
/* ISO letters -> customs code (borrowed), NULL when unknown. */
const char *cg_codes_currency(const struct cg_codes *c, const char *iso);
const char *cg_codes_country(const struct cg_codes *c, const char *iso2);
/* True when a customs code is in the table ("currency", "country", "unit", "transport",
 * "package"). */
bool cg_codes_known(const struct cg_codes *c, const char *table, const char *code);
/* Customs code -> ISO letters (borrowed), NULL when the code has none. */
const char *cg_codes_currency_iso(const struct cg_codes *c, const char *code);
const char *cg_codes_country_iso(const struct cg_codes *c, const char *code);

/* ------------------------------------------------------------------ reading orders */

/* Everything loaded once per seller: code tables, catalogue, shipments, profile. */
struct cg_map_ctx;

int cg_map_ctx_new(const struct cg_conf *conf, const struct cg_seller *seller,
                   const struct cg_codes *codes, struct cg_map_ctx **out, struct cg_err *err);
void cg_map_ctx_free(struct cg_map_ctx *m);

struct cg_reader;

/*
 * Open an order file. fd is read from its current position and closed by cg_reader_close()
 * (or here, when opening fails); name is only used in messages. Use cg_reader_open_path() for
 * a path. The layout (own CSV, JSON lines, a shop export) comes from the context's profile.
 */
int cg_reader_open_fd(struct cg_map_ctx *m, int fd, const char *name, struct cg_reader **out,
                      struct cg_err *err);
int cg_reader_open_path(struct cg_map_ctx *m, const char *path, struct cg_reader **out,
                        struct cg_err *err);
/*
 * Open an order file to declare its orders (cebgate run): as cg_reader_open_fd(), after a first
 * pass over the file from fd's position that reads the order numbers alone, with the same
 * layout, and leaves fd where it was. An order whose rows are apart (another order between
 * them, or a second JSON line with its number) is then rejected whole: each group of its rows
 * gives CG_EREJECT, the first naming the line its rows come again on, the later ones the line
 * it began on, and none of it is returned. cg_reader_open_fd() returns the rows read first as
 * the order and rejects the later ones. The first pass keeps 8 bytes per order number (16 MiB
 * at a million orders) and the numbers in full only of the orders met twice or sharing a hash,
 * which it reads once more; it fails only for I/O or memory (temporary codes, fd closed). A
 * failure of the file's content is left to cg_reader_next(), where it comes.
 */
int cg_reader_open_whole(struct cg_map_ctx *m, int fd, const char *name, struct cg_reader **out,
                         struct cg_err *err);
/* Whether the CG_EREJECT cg_reader_next() returned last was a later group of rows of an order
 * cg_reader_open_whole()'s reader rejected already: the same order again, not another one
 * (cg_reader_counts() counts it once). */
bool cg_reader_again(const struct cg_reader *r);
/*
 * Next order: CG_OK with *out (caller frees; an order that is not live by its status comes
 * without content and is not checked: see (*out)->status), CG_ENOTFOUND at the end,
 * CG_EREJECT for one rejected order (err says file:line: order <no>: field <name>: reason;
 * call again for the next), any other code for a failure of the whole file (bad encoding,
 * I/O).
 */
int cg_reader_next(struct cg_reader *r, struct cg_order **out, struct cg_err *err);
void cg_reader_close(struct cg_reader *r);
/* Orders returned and rejected so far by this reader. */
void cg_reader_counts(const struct cg_reader *r, long *orders, long *rejected);

/* The canonical text the order hash is taken of (caller frees; NULL on allocation failure). */
char *cg_order_canonical(const struct cg_order *o);

/* The [seller] and [mapping] configuration keys (mapping-keys.c), for cg_conf_register(). */
extern const struct cg_conf_key cg_mapping_conf_keys[];

#endif
