/*
 * refund-import.c - the files refund/ reads: customs declaration items, the refund-rate table,
 * purchase invoices and the tax office's results; and their intake from the spool's incoming/.
 *
 * Columns are found by their header names (docs/refund.md, docs/invoices-format.md), in any
 * order. A file is imported all or nothing in one transaction: every bad row is reported as
 * "name:line: field F: reason" and then nothing is kept (CG_EREJECT). A file whose SHA-256 was
 * imported before does nothing. Read errors are CG_EIO (temporary); a file is never changed.
 * The intake records each invoice or result file's outcome by name (store-intake.h) before
 * moving it to done/ or failed/, so that a refused one is reported until one of the same name is
 * imported; a temporary failure records nothing.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/conf.h"
#include "core/csvread.h"
#include "core/fsutil.h"
#include "core/money.h"
#include "core/text.h"
#include "refund/refund-int.h"
#include "store/store-customs.h"
#include "store/store-intake.h"
#include "store/store.h"

#define FILE_MAX (64u * 1024u * 1024u)
#define LINE_MAX_BYTES (64u * 1024u)
#define SNIFF_MAX 4096u
#define MAXCOLS 20

static const char *const kind_names[] = {"", "entries", "rates", "invoices", "results"};

/* Column names per kind; those marked with '*' are required. */
static const char *const cols_entries[] = {
    "*entry_id",   "*item_no", "*trade_mode", "route",     "*export_date", "*hs_code",
    "*name",       "spec",     "*unit",       "*quantity", "*value_cny",   "expected_purchase",
    "inventories", "order_no", "cleared_on",  "collected", "seller",       NULL};
static const char *const cols_rates[] = {"*hs_code",  "*valid_from", "valid_to", "*refund_rate",
                                         "*vat_rate", "flag",        NULL};
static const char *const cols_invoices[] = {"*invoice_code",  "*invoice_number",
                                            "*line",          "*issued_on",
                                            "*seller_tax_id", "*item_name",
                                            "spec",           "*unit",
                                            "*quantity",      "*amount_ex_vat",
                                            "*vat_rate",      "*vat_amount",
                                            "hs_code",        NULL};
static const char *const cols_results[] = {"*entry_id", "*item_no", "*outcome", "amount",
                                           "date",      "reason",   NULL};

static const char *const *cols_of(int kind)
{
    return kind == CG_RF_ENTRIES    ? cols_entries
           : kind == CG_RF_RATES    ? cols_rates
           : kind == CG_RF_INVOICES ? cols_invoices
                                    : cols_results;
}

int cg_refund_sniff(const char *data, size_t len)
{
    char head[512];
    size_t n = 0;

    if (len >= 3 && (unsigned char)data[0] == 0xef && (unsigned char)data[1] == 0xbb &&
        (unsigned char)data[2] == 0xbf) {
        data += 3;
        len -= 3;
    }
    while (n < len && n + 1 < sizeof(head) && data[n] != '\n' && data[n] != '\r') {
        head[n] = data[n];
        n++;
    }
    head[n] = '\0';
    if (strncmp(head, "invoice_code,", 13) == 0)
        return CG_RF_INVOICES;
    if (strncmp(head, "hs_code,valid_from,", 19) == 0)
        return CG_RF_RATES;
    if (strncmp(head, "entry_id,item_no,outcome", 24) == 0)
        return CG_RF_RESULTS;
    if (strncmp(head, "entry_id,item_no,", 17) == 0 && strstr(head, "trade_mode") != NULL)
        return CG_RF_ENTRIES;
    return CG_RF_NONE;
}

struct imp {
    struct cg_refund *r;
    int kind;
    const char *path, *name; /* the file, and its last part (recorded with its rows) */
    const char *shown;       /* the file as the messages name it */
    long bad_line;           /* the last row reported bad: a row counts once */
    cg_refund_problem_fn problem;
    void *pctx;
    struct cg_refund_import *res;
    int idx[MAXCOLS]; /* column of each name, -1 when absent */
};

static void problem(struct imp *m, long line, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void problem(struct imp *m, long line, const char *field, const char *fmt, ...)
{
    char why[512], text[1024], shown[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    snprintf(text, sizeof(text), "%s:%ld: field %s: %s", m->shown, line, field, why);
    /* problems counts bad rows: a row with several bad fields is one */
    if (m->res->problems == 0 || line != m->bad_line)
        m->res->problems++;
    m->bad_line = line;
    /* the reason quotes the file's values: shown escaped, on one line */
    if (m->problem != NULL)
        m->problem(m->pctx, cg_text_show(text, shown, sizeof(shown)));
}

/*
 * A value that is not a number of at most decimals decimals (what says what it is: "an amount",
 * "a quantity > 0"). A spreadsheet's thousands separator, exponent or currency sign is named in
 * the words the order readers use (cg_dec_why); else the decimals allowed, when note.
 */
static void number_problem(struct imp *m, long line, const char *field, const char *value,
                           const char *what, int decimals)
{
    const char *why = cg_dec_why(value);

    if (why[0] != '\0')
        problem(m, line, field, "'%s' is not %s%s", value, what, why);
    else if (decimals > 0)
        problem(m, line, field, "'%s' is not %s (%d decimals at most)", value, what, decimals);
    else
        problem(m, line, field, "'%s' is not %s", value, what);
}

/* Field by column name ("" when the column is absent). */
static const char *fld(const struct imp *m, const struct cg_row *row, int i)
{
    return m->idx[i] >= 0 ? cg_row_field(row, (size_t)m->idx[i]) : "";
}

static int header(struct imp *m, const struct cg_row *row, struct cg_err *err)
{
    const char *const *cols = cols_of(m->kind);
    size_t i, j;

    for (i = 0; cols[i] != NULL; i++) {
        const char *want = cols[i][0] == '*' ? cols[i] + 1 : cols[i];
        m->idx[i] = -1;
        for (j = 0; j < row->nfields; j++)
            if (strcmp(cg_row_field(row, j), want) == 0)
                m->idx[i] = (int)j;
        if (m->idx[i] < 0 && cols[i][0] == '*')
            return CG_ERR_SET(err, CG_EREJECT, "%s:%ld: header: column %s is missing", m->shown,
                              row->line, want);
    }
    return CG_OK;
}

/* ------------------------------------------------------------------ rows */

enum {
    E_ENTRY,
    E_ITEM,
    E_MODE,
    E_ROUTE,
    E_DATE,
    E_HS,
    E_NAME,
    E_SPEC,
    E_UNIT,
    E_QTY,
    E_VALUE,
    E_EXPECTED,
    E_INVTS,
    E_ORDER,
    E_CLEARED,
    E_COLLECTED,
    E_SELLER
};

static int hs_ok(const char *s)
{
    size_t i;

    for (i = 0; s[i] != '\0'; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return i == 10;
}

/* The declaration the inventories were summarised into (CEB792), or "" with a problem. */
static int entry_of_inventories(struct imp *m, long line, const char *invts, char *entry,
                                size_t size, struct cg_err *err)
{
    char copy[512], *save = NULL, *tok;
    int rc;

    entry[0] = '\0';
    cg_strlcpy(copy, invts, sizeof(copy));
    for (tok = strtok_r(copy, ";", &save); tok != NULL; tok = strtok_r(NULL, ";", &save)) {
        char e[64];
        rc = cg_store_customs_entry_of(m->r->db, tok, 0, e, sizeof(e), err);
        if (rc == CG_ENOTFOUND) {
            problem(m, line, "inventories", "inventory %s is in no summary result (CEB792)", tok);
            return CG_OK;
        }
        if (rc != CG_OK)
            return rc;
        if (entry[0] != '\0' && strcmp(entry, e) != 0) {
            problem(m, line, "inventories", "inventory %s belongs to declaration %s, not %s", tok,
                    e, entry);
            return CG_OK;
        }
        cg_strlcpy(entry, e, size);
    }
    if (entry[0] == '\0')
        problem(m, line, "entry_id", "empty, and no inventories to find it by");
    return CG_OK;
}

/*
 * A row for a unit that exists already: a seller it names is given to the unit when the unit
 * has none yet and the order numbers agree (an event says so, and a note that the order number
 * was ambiguous goes); a seller other than the unit's is a problem. Nothing else changes.
 */
static int known_unit(struct imp *m, const struct cg_row *row, const char *entry, long item,
                      struct cg_err *err)
{
    const char *seller = fld(m, row, E_SELLER), *order_no = fld(m, row, E_ORDER);
    char name[96], detail[200];
    struct unit x;
    int rc;

    m->res->known++;
    if (seller[0] == '\0')
        return CG_OK;
    snprintf(name, sizeof(name), "%s/%ld", entry, item);
    rc = rf_unit_load(m->r, name, &x, err);
    if (rc != CG_OK || strcmp(x.seller, seller) == 0)
        return rc;
    if (x.seller[0] != '\0') {
        problem(m, row->line, "seller", "unit %s is of seller %s, not %s", name, x.seller, seller);
        return CG_OK;
    }
    if (strcmp(x.order_no, order_no) != 0) {
        problem(m, row->line, "order_no", "unit %s is of order '%s', not '%s'", name, x.order_no,
                order_no);
        return CG_OK;
    }
    RF_SET(&x, seller, seller);
    RF_SET(&x, fx_note, "");
    snprintf(detail, sizeof(detail), "seller %s given by %s: the order is %s/%s in settle", seller,
             m->name, seller, x.order_no);
    return rf_note(m->r, &x, "IMPORT", m->name, detail, err);
}

/*
 * The seller of a unit's order as the spool knows it: the seller of the order declared with
 * the unit's inventories, when that order has the unit's order number. "" when the spool
 * knows none of them, or they are of different sellers.
 */
static int seller_of_inventories(struct imp *m, const char *invts, const char *order_no,
                                 char *seller, size_t size, struct cg_err *err)
{
    char copy[512], *save = NULL, *tok;
    int rc, found = 0;

    seller[0] = '\0';
    cg_strlcpy(copy, invts, sizeof(copy));
    for (tok = strtok_r(copy, ";", &save); tok != NULL; tok = strtok_r(NULL, ";", &save)) {
        char s[64];
        rc = cg_store_customs_seller_of(m->r->db, tok, order_no, s, sizeof(s), err);
        if (rc == CG_ENOTFOUND)
            continue;
        if (rc != CG_OK)
            return rc;
        if (found && strcmp(seller, s) != 0) {
            seller[0] = '\0';
            return CG_OK;
        }
        cg_strlcpy(seller, s, size);
        found = 1;
    }
    return CG_OK;
}

/* Whether name is empty (the files directly in incoming/) or a configured [seller.NAME]. */
static int seller_known(const struct cg_refund *r, const char *name, size_t size)
{
    char section[80];

    if (name[0] == '\0')
        return 1;
    if (strlen(name) >= size || strchr(name, '/') != NULL ||
        (size_t)snprintf(section, sizeof(section), "seller.%s", name) >= sizeof(section))
        return 0;
    return r->conf == NULL || cg_conf_has_section(r->conf, section);
}

static int row_entry(struct imp *m, const struct cg_row *row, struct cg_err *err)
{
    struct cg_rf_unit u;
    char entry[64], soft[11], hard[11], seller[64];
    const char *mode = fld(m, row, E_MODE), *route = fld(m, row, E_ROUTE);
    const char *regime, *cleared = fld(m, row, E_CLEARED);
    long item = 0;
    long long id = 0;
    long before = m->res->problems;
    int rc;

    memset(&u, 0, sizeof(u));
    cg_strlcpy(entry, fld(m, row, E_ENTRY), sizeof(entry));
    if (entry[0] == '\0') {
        rc = entry_of_inventories(m, row->line, fld(m, row, E_INVTS), entry, sizeof(entry), err);
        if (rc != CG_OK)
            return rc;
    }
    if (cg_parse_long(fld(m, row, E_ITEM), 1, 99999, &item) != CG_OK)
        problem(m, row->line, "item_no", "'%s' is not an item number 1..99999",
                fld(m, row, E_ITEM));
    if (strcmp(mode, "9610") != 0 && strcmp(mode, "9710") != 0 && strcmp(mode, "9810") != 0)
        problem(m, row->line, "trade_mode", "'%s' is not 9610, 9710 or 9810", mode);
    if (strcmp(route, "A") != 0 && strcmp(route, "B") != 0 &&
        (route[0] != '\0' || strcmp(mode, "9610") == 0))
        problem(m, row->line, "route", "'%s' is not A or B%s", route,
                strcmp(mode, "9610") == 0 ? " (9610 needs the statistics flag)" : "");
    if (!rf_day_ok(fld(m, row, E_DATE)))
        problem(m, row->line, "export_date", "'%s' is not a day (YYYY-MM-DD)", fld(m, row, E_DATE));
    if (!hs_ok(fld(m, row, E_HS)))
        problem(m, row->line, "hs_code", "'%s' is not a 10-digit HS code", fld(m, row, E_HS));
    if (fld(m, row, E_NAME)[0] == '\0')
        problem(m, row->line, "name", "empty");
    if (fld(m, row, E_UNIT)[0] == '\0')
        problem(m, row->line, "unit", "empty");
    if (cg_refund_qty_parse(fld(m, row, E_QTY), &u.qty_m) != CG_OK || u.qty_m <= 0)
        number_problem(m, row->line, "quantity", fld(m, row, E_QTY), "a quantity > 0", 3);
    if (cg_refund_fen_parse(fld(m, row, E_VALUE), &u.value_fen) != CG_OK)
        number_problem(m, row->line, "value_cny", fld(m, row, E_VALUE), "an amount", 2);
    if (fld(m, row, E_EXPECTED)[0] != '\0' &&
        cg_refund_fen_parse(fld(m, row, E_EXPECTED), &u.expected_fen) != CG_OK)
        number_problem(m, row->line, "expected_purchase", fld(m, row, E_EXPECTED), "an amount", 0);
    if (cleared[0] != '\0' && !rf_day_ok(cleared))
        problem(m, row->line, "cleared_on", "'%s' is not a day (YYYY-MM-DD)", cleared);
    if (!seller_known(m->r, fld(m, row, E_SELLER), sizeof(seller)))
        problem(m, row->line, "seller",
                "'%s' is not a seller of the configuration (no [seller.%s] section)",
                fld(m, row, E_SELLER), fld(m, row, E_SELLER));
    if (m->res->problems != before)
        return CG_OK;
    if (strcmp(route, "A") == 0)
        regime = "NOT_ELIGIBLE_SIMPLIFIED";
    else
        regime = strcmp(mode, "9610") == 0   ? m->r->regime_9610
                 : strcmp(mode, "9710") == 0 ? m->r->regime_9710
                                             : m->r->regime_9810;
    rf_soft_deadline(m->r, fld(m, row, E_DATE), soft);
    rf_add_months(fld(m, row, E_DATE), m->r->hard_months, hard);
    u.entry_id = entry;
    u.item_no = item;
    u.invt_nos = fld(m, row, E_INVTS);
    cg_strlcpy(seller, fld(m, row, E_SELLER), sizeof(seller));
    if (seller[0] == '\0' && fld(m, row, E_ORDER)[0] != '\0') {
        rc = seller_of_inventories(m, fld(m, row, E_INVTS), fld(m, row, E_ORDER), seller,
                                   sizeof(seller), err);
        if (rc != CG_OK)
            return rc;
    }
    u.order_no = fld(m, row, E_ORDER);
    u.seller = seller;
    u.trade_mode = mode;
    u.route = route;
    u.export_on = fld(m, row, E_DATE);
    u.hs = fld(m, row, E_HS);
    u.name = fld(m, row, E_NAME);
    u.spec = fld(m, row, E_SPEC);
    u.unit = fld(m, row, E_UNIT);
    u.regime = regime;
    u.state = strcmp(regime, "NOT_ELIGIBLE_SIMPLIFIED") == 0 ? "NOT_ELIGIBLE"
              : strcmp(regime, "REFUND") == 0                ? "WAIT_CLEARANCE"
                                                             : "NO_REFUND";
    u.cleared_on = cleared;
    u.soft_deadline = soft;
    u.hard_deadline = hard;
    rc = cg_store_rf_unit_add(m->r->db, &u, &id, err);
    if (rc == CG_EEXIST) {
        cg_err_clear(err);
        return known_unit(m, row, entry, item, err);
    }
    if (rc == CG_OK) {
        struct unit x;
        m->res->added++;
        rc = rf_unit_load_id(m->r, id, &x, err);
        if (rc == CG_OK) {
            const char *c = fld(m, row, E_COLLECTED);
            x.u.fx_ok = c[0] == 'Y' || c[0] == 'y' || c[0] == '1';
            rc = rf_note(m->r, &x, "IMPORT", m->name, "unit recorded", err);
        }
        if (rc == CG_OK)
            rc = rf_evaluate(m->r, &x, "IMPORT", m->name, err);
    }
    return rc;
}

enum { R_HS, R_FROM, R_TO, R_REFUND, R_VAT, R_FLAG };

static int row_rate(struct imp *m, const struct cg_row *row, struct cg_err *err)
{
    int64_t rp = 0, vp = 0;
    const char *to = fld(m, row, R_TO);
    long before = m->res->problems;
    int rc;

    if (!hs_ok(fld(m, row, R_HS)))
        problem(m, row->line, "hs_code", "'%s' is not a 10-digit HS code", fld(m, row, R_HS));
    if (!rf_day_ok(fld(m, row, R_FROM)))
        problem(m, row->line, "valid_from", "'%s' is not a day", fld(m, row, R_FROM));
    if (to[0] != '\0' && (!rf_day_ok(to) || strcmp(to, fld(m, row, R_FROM)) < 0))
        problem(m, row->line, "valid_to", "'%s' is not a day on or after valid_from", to);
    if (cg_refund_rate_parse(fld(m, row, R_REFUND), &rp) != CG_OK)
        problem(m, row->line, "refund_rate", "'%s' is not a percentage 0..100, 4 decimals at most",
                fld(m, row, R_REFUND));
    if (cg_refund_rate_parse(fld(m, row, R_VAT), &vp) != CG_OK)
        problem(m, row->line, "vat_rate", "'%s' is not a percentage 0..100, 4 decimals at most",
                fld(m, row, R_VAT));
    if (m->res->problems == before && rp > vp)
        problem(m, row->line, "refund_rate", "%s %% is above the VAT rate %s %%",
                fld(m, row, R_REFUND), fld(m, row, R_VAT));
    if (m->res->problems != before)
        return CG_OK;
    rc = cg_store_rf_rate_put(m->r->db, fld(m, row, R_HS), fld(m, row, R_FROM), to, rp, vp,
                              fld(m, row, R_FLAG), err);
    if (rc == CG_EEXIST) {
        cg_err_clear(err);
        m->res->known++;
        return CG_OK;
    }
    if (rc == CG_OK)
        m->res->added++;
    return rc;
}

enum {
    I_CODE,
    I_NUMBER,
    I_LINE,
    I_DATE,
    I_SELLER,
    I_NAME,
    I_SPEC,
    I_UNIT,
    I_QTY,
    I_AMOUNT,
    I_VATRATE,
    I_VAT,
    I_HS
};

static int row_invoice(struct imp *m, const struct cg_row *row, struct cg_err *err)
{
    struct cg_rf_invline l;
    int64_t expect = 0;
    long line_no = 0;
    long before = m->res->problems;
    int rc;

    memset(&l, 0, sizeof(l));
    if (fld(m, row, I_CODE)[0] == '\0' && fld(m, row, I_NUMBER)[0] == '\0')
        problem(m, row->line, "invoice_number", "empty (and no invoice code)");
    if (cg_parse_long(fld(m, row, I_LINE), 1, 99999, &line_no) != CG_OK)
        problem(m, row->line, "line", "'%s' is not a line number 1..99999", fld(m, row, I_LINE));
    if (!rf_day_ok(fld(m, row, I_DATE)))
        problem(m, row->line, "issued_on", "'%s' is not a day (YYYY-MM-DD)", fld(m, row, I_DATE));
    if (fld(m, row, I_SELLER)[0] == '\0')
        problem(m, row->line, "seller_tax_id", "empty");
    if (fld(m, row, I_NAME)[0] == '\0')
        problem(m, row->line, "item_name", "empty");
    if (fld(m, row, I_UNIT)[0] == '\0')
        problem(m, row->line, "unit", "empty");
    if (cg_refund_qty_parse(fld(m, row, I_QTY), &l.qty_m) != CG_OK || l.qty_m <= 0)
        number_problem(m, row->line, "quantity", fld(m, row, I_QTY), "a quantity > 0", 3);
    if (cg_refund_fen_parse(fld(m, row, I_AMOUNT), &l.amount_fen) != CG_OK)
        number_problem(m, row->line, "amount_ex_vat", fld(m, row, I_AMOUNT), "an amount", 2);
    if (cg_refund_rate_parse(fld(m, row, I_VATRATE), &l.vat_ppm) != CG_OK)
        problem(m, row->line, "vat_rate", "'%s' is not a percentage", fld(m, row, I_VATRATE));
    if (cg_refund_fen_parse(fld(m, row, I_VAT), &l.vat_fen) != CG_OK)
        number_problem(m, row->line, "vat_amount", fld(m, row, I_VAT), "an amount", 0);
    if (fld(m, row, I_HS)[0] != '\0' && !hs_ok(fld(m, row, I_HS)))
        problem(m, row->line, "hs_code", "'%s' is not a 10-digit HS code", fld(m, row, I_HS));
    if (m->res->problems != before)
        return CG_OK;
    /* The VAT on the invoice is the amount times the rate, to the fen (half-up), +-0.01. */
    if (cg_refund_amount(l.amount_fen, l.vat_ppm, &expect) != CG_OK ||
        llabs(expect - l.vat_fen) > 1) {
        problem(m, row->line, "vat_amount", "%s is not %s x %s %% (%lld.%02lld)",
                fld(m, row, I_VAT), fld(m, row, I_AMOUNT), fld(m, row, I_VATRATE),
                (long long)(expect / 100), (long long)(expect % 100));
        return CG_OK;
    }
    l.code = fld(m, row, I_CODE);
    l.number = fld(m, row, I_NUMBER);
    l.line_no = line_no;
    l.issued_on = fld(m, row, I_DATE);
    l.seller_tax_id = fld(m, row, I_SELLER);
    l.name = fld(m, row, I_NAME);
    l.spec = fld(m, row, I_SPEC);
    l.unit = fld(m, row, I_UNIT);
    l.hs = fld(m, row, I_HS);
    rc = cg_store_rf_invline_add(m->r->db, &l, err);
    if (rc == CG_EEXIST) {
        cg_err_clear(err);
        m->res->known++;
        return CG_OK;
    }
    if (rc == CG_OK)
        m->res->added++;
    return rc;
}

enum { X_ENTRY, X_ITEM, X_OUTCOME, X_AMOUNT, X_DATE, X_REASON };

static int row_result(struct imp *m, const struct cg_row *row, struct cg_err *err)
{
    char unit[96];
    const char *day = fld(m, row, X_DATE), *amount = fld(m, row, X_AMOUNT);
    int outcome = cg_refund_outcome_parse(fld(m, row, X_OUTCOME));
    long moved = 0;
    int64_t dummy = 0;
    long item = 0;
    long before = m->res->problems;
    struct unit x;
    int rc;

    if (cg_parse_long(fld(m, row, X_ITEM), 1, 99999, &item) != CG_OK)
        problem(m, row->line, "item_no", "'%s' is not an item number", fld(m, row, X_ITEM));
    if (outcome < 0)
        problem(m, row->line, "outcome",
                "'%s' is not prechecked, incomplete, mismatch, filed, approved, paid, rejected "
                "or final",
                fld(m, row, X_OUTCOME));
    if (day[0] != '\0' && !rf_day_ok(day))
        problem(m, row->line, "date", "'%s' is not a day (YYYY-MM-DD)", day);
    if (amount[0] != '\0' && cg_refund_fen_parse(amount, &dummy) != CG_OK)
        number_problem(m, row->line, "amount", amount, "an amount", 0);
    else if (outcome == CG_RFO_PAID && amount[0] != '\0' && dummy == 0)
        problem(m, row->line, "amount", "'%s': a payment is an amount above 0", amount);
    /* the tax office says why it rejects a unit or finds a mismatch: the operator fixes that */
    if ((outcome == CG_RFO_REJECTED || outcome == CG_RFO_MISMATCH) &&
        rf_blank(fld(m, row, X_REASON)))
        problem(m, row->line, "reason", "empty: a %s row needs the tax office's reason",
                fld(m, row, X_OUTCOME));
    if (m->res->problems != before)
        return CG_OK;
    snprintf(unit, sizeof(unit), "%s/%ld", fld(m, row, X_ENTRY), item);
    rc = rf_unit_load(m->r, unit, &x, err);
    if (rc == CG_ENOTFOUND || rc == CG_EINVAL) {
        problem(m, row->line, "entry_id", "no refund unit %s", unit);
        cg_err_clear(err);
        return CG_OK;
    }
    if (rc == CG_OK)
        rc = rf_mark_unit(m->r, &x, outcome, amount[0] ? amount : NULL, day[0] ? day : NULL,
                          fld(m, row, X_REASON), 0, "TAXFILE", m->name, &moved, err);
    if (rc == CG_EREJECT) {
        problem(m, row->line, m->r->refused_field != NULL ? m->r->refused_field : "outcome", "%s",
                err->msg);
        cg_err_clear(err);
        return CG_OK;
    }
    if (rc == CG_OK && moved > 0)
        m->res->added++;
    else if (rc == CG_OK)
        m->res->known++;
    return rc;
}

/* ------------------------------------------------------------------ files */

static int import_tx(struct cg_store *db, void *ctx, struct cg_err *err)
{
    struct imp *m = ctx;
    struct cg_csv c;
    struct cg_row *row = NULL;
    char sha[65];
    struct cg_buf b;
    int fd, rc, first = 1;

    (void)db;
    cg_buf_init(&b, FILE_MAX);
    rc = cg_fs_read(m->path, FILE_MAX, &b, err);
    if (rc != CG_OK) {
        cg_buf_free(&b);
        if (rc == CG_ERANGE) {
            cg_err_clear(err);
            rc = CG_ERR_SET(err, CG_EREJECT, "%s: a file of more than %u bytes: split it", m->shown,
                            FILE_MAX);
        }
        return rc;
    }
    cg_sha256_hex(b.data != NULL ? b.data : "", b.len, sha);
    if (m->kind == CG_RF_NONE)
        m->kind = cg_refund_sniff(b.data != NULL ? b.data : "", b.len);
    cg_buf_free(&b);
    m->res->kind = m->kind;
    if (m->kind == CG_RF_NONE)
        return CG_ERR_SET(err, CG_EREJECT,
                          "%s: not a declaration items, refund rates, invoices or results file "
                          "(header not recognised)",
                          m->shown);
    rc = cg_store_rf_file_known(m->r->db, kind_names[m->kind], sha, err);
    if (rc == CG_OK) {
        m->res->duplicate = 1;
        return CG_OK;
    }
    if (rc != CG_ENOTFOUND)
        return rc;
    fd = open(m->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return CG_ERR_SET(err, CG_EIO, "%s: cannot open: %s", m->shown, strerror(errno));
    rc = cg_csv_open(&c, fd, m->shown, CG_ENC_AUTO, ',', '"', true, LINE_MAX_BYTES, err);
    if (rc != CG_OK) {
        close(fd);
        return rc;
    }
    while (rc == CG_OK && (rc = cg_csv_next(&c, &row, err)) == CG_OK) {
        if (first) {
            rc = header(m, row, err);
            first = 0;
            continue;
        }
        m->res->rows++;
        switch (m->kind) {
        case CG_RF_ENTRIES: rc = row_entry(m, row, err); break;
        case CG_RF_RATES: rc = row_rate(m, row, err); break;
        case CG_RF_INVOICES: rc = row_invoice(m, row, err); break;
        default: rc = row_result(m, row, err); break;
        }
    }
    cg_csv_close(&c);
    if (rc == CG_ENOTFOUND)
        rc = CG_OK;
    if (rc == CG_EPARSE)
        rc = CG_EREJECT;
    if (rc == CG_OK && m->res->problems > 0)
        rc = CG_ERR_SET(err, CG_EREJECT, "%s: %ld bad row%s: nothing imported", m->shown,
                        m->res->problems, m->res->problems == 1 ? "" : "s");
    if (rc == CG_OK)
        rc = cg_store_rf_file_add(m->r->db, kind_names[m->kind], sha, m->name, m->res->rows, err);
    return rc;
}

/* cg_refund_import, its messages naming the file shown. */
static int import_as(struct cg_refund *r, int kind, const char *path, const char *shown,
                     cg_refund_problem_fn fn, void *pctx, struct cg_refund_import *res,
                     struct cg_err *err)
{
    struct imp m;
    const char *slash = strrchr(path, '/');
    int rc;

    memset(&m, 0, sizeof(m));
    memset(res, 0, sizeof(*res));
    m.r = r;
    m.kind = kind;
    m.path = path;
    m.name = slash != NULL ? slash + 1 : path;
    m.shown = shown;
    m.problem = fn;
    m.pctx = pctx;
    m.res = res;
    rc = cg_store_tx(r->db, import_tx, &m, err);
    if (rc != CG_OK) {
        long problems = res->problems;
        int k = res->kind;
        memset(res, 0, sizeof(*res));
        res->problems = problems;
        res->kind = k;
        return rc;
    }
    if (res->kind == CG_RF_INVOICES && !res->duplicate)
        rc = cg_refund_match(r, &res->matched, err);
    return rc;
}

int cg_refund_import(struct cg_refund *r, int kind, const char *path, cg_refund_problem_fn fn,
                     void *pctx, struct cg_refund_import *res, struct cg_err *err)
{
    return import_as(r, kind, path, path, fn, pctx, res, err);
}

/* ------------------------------------------------------------------ intake */

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What an invoice or result file is, in the words of the report's list of files refused whole. */
static const char *kind_words(int kind)
{
    return kind == CG_RF_INVOICES ? "purchase invoice file" : "refund results file";
}

int cg_refund_note_imported(struct cg_refund *r, int kind, const char *path, struct cg_err *err)
{
    const char *name = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;

    if ((kind != CG_RF_INVOICES && kind != CG_RF_RESULTS) || !cg_fs_name_ok(name))
        return CG_OK; /* no file intake takes, or no name it could have refused */
    return cg_store_intake_file(r->db, "", name, kind_words(kind), NULL, err);
}

/* Move incoming/NAME to done/ or failed/ (with NAME.reason), as NAME.1, ... when NAME is there. */
static int settle_file(const char *workdir, const char *name, const char *to, const char *reason,
                       struct cg_err *err)
{
    char *from = cg_fs_join(workdir, "incoming");
    char *dst = cg_fs_join(workdir, to);
    char target[CG_FS_NAME_MAX + 16];
    int fromfd = -1, tofd = -1, rc;

    if (from == NULL || dst == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    rc = cg_fs_mkdir_p(dst, 0750, err);
    if (rc != CG_OK)
        goto done;
    fromfd = open(from, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    tofd = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fromfd < 0 || tofd < 0) {
        rc = CG_ERR_SET(err, CG_EIO, "%s: cannot open folder", fromfd < 0 ? from : dst);
        goto done;
    }
    rc = cg_fs_move_unique_at(fromfd, name, tofd, name, target, sizeof(target), err);
    if (rc == CG_OK && reason != NULL) {
        char rname[CG_FS_NAME_MAX + 32];
        snprintf(rname, sizeof(rname), "%s.reason", target);
        rc = cg_fs_write_atomic_at(tofd, rname, reason, strlen(reason), err);
    }
done:
    if (fromfd >= 0)
        close(fromfd);
    if (tofd >= 0)
        close(tofd);
    free(from);
    free(dst);
    return rc;
}

struct intake_problems {
    cg_refund_intake_fn fn;
    void *ctx;
    struct cg_buf why;
};

static void intake_problem(void *ctx, const char *text)
{
    struct intake_problems *p = ctx;

    p->fn(p->ctx, CG_RF_INTAKE_PROBLEM, text, NULL);
    cg_buf_addf(&p->why, "%s\n", text);
}

int cg_refund_intake(struct cg_refund *r, const char *workdir, cg_refund_intake_fn fn, void *ctx,
                     struct cg_err *err)
{
    char *dir = cg_fs_join(workdir, "incoming");
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    DIR *d = NULL;
    struct dirent *de;
    int rc = CG_OK;

    if (dir == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    d = opendir(dir);
    if (d == NULL) {
        free(dir);
        return CG_OK; /* no incoming/ yet: nothing to take */
    }
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || !cg_fs_name_ok(de->d_name) || strlen(de->d_name) < 5 ||
            strcmp(de->d_name + strlen(de->d_name) - 4, ".csv") != 0)
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **p = realloc(names, nc * sizeof(*p));
            if (p == NULL) {
                rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
                break;
            }
            names = p;
            cap = nc;
        }
        if ((names[n] = cg_strdup(de->d_name)) == NULL) {
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            break;
        }
        n++;
    }
    closedir(d);
    if (n > 0)
        qsort(names, n, sizeof(*names), name_cmp);
    for (i = 0; rc == CG_OK && i < n; i++) {
        char *path = cg_fs_join(dir, names[i]);
        struct cg_buf head;
        struct cg_refund_import res;
        struct intake_problems p = {fn, ctx, {NULL, 0, 0, 0}};
        int kind;
        if (path == NULL) {
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            break;
        }
        /* The kind is told by the first line: an order file is never read whole here. */
        cg_buf_init(&head, SNIFF_MAX);
        kind = cg_fs_read_head_at(AT_FDCWD, path, SNIFF_MAX, &head, err) == CG_OK
                   ? cg_refund_sniff(head.data != NULL ? head.data : "", head.len)
                   : CG_RF_NONE;
        cg_buf_free(&head);
        cg_err_clear(err);
        /* Only invoices and results are taken from incoming/; the rest (unreadable files
           included, with the reason) is the spool's. */
        if (kind != CG_RF_INVOICES && kind != CG_RF_RESULTS) {
            free(path);
            continue;
        }
        cg_buf_init(&p.why, 1u << 20);
        /* named as dropped, as the spool names the files it takes */
        rc = import_as(r, kind, path, names[i], intake_problem, &p, &res, err);
        free(path);
        /* The outcome is recorded before the move (a crash between takes the file again). */
        if (rc == CG_OK)
            rc = cg_store_intake_file(r->db, "", names[i], kind_words(kind), NULL, err);
        if (rc == CG_OK) {
            fn(ctx, res.duplicate ? CG_RF_INTAKE_DUPLICATE : CG_RF_INTAKE_DONE, names[i], &res);
            rc = settle_file(workdir, names[i], "done", NULL, err);
        } else if (rc == CG_EREJECT) {
            char text[1200];
            snprintf(text, sizeof(text), "%s: %s", names[i], err->msg);
            cg_buf_addf(&p.why, "%s\n", err->msg);
            cg_err_clear(err);
            rc = cg_store_intake_file(r->db, "", names[i], kind_words(kind), cg_buf_str(&p.why),
                                      err);
            if (rc == CG_OK) {
                fn(ctx, CG_RF_INTAKE_FAILED, text, NULL);
                rc = settle_file(workdir, names[i], "failed", cg_buf_str(&p.why), err);
            }
        }
        cg_buf_free(&p.why);
    }
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(dir);
    return rc;
}
