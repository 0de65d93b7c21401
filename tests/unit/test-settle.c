/*
 * test-settle.c - settle/: the rounding rules of conversions, the database's own refusal of an
 * over-allocation, and random sequences of imports (payments and refunds), matches, unmatches,
 * rates, confirmations and settlements checked after every step against the invariants: no
 * receipt allocated beyond its amount, no currency settled beyond what is held, and each
 * order's state equal to what its allocations imply (the rule of docs/settlement.md computed
 * here from the raw rows, not by settle/).
 *
 * Orders are fixture rows written straight into the declaration tables (an order, its CEB603
 * document and message, and a release receipt 800), as the spool would have left them.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/conf.h"
#include "core/csvread.h"
#include "core/fsutil.h"
#include "settle/settle.h"
/* The MT940 field readers are settle/'s own; their edge cases are tested here. */
#include "settle/settle-int.h"
/* The test sets up rows and checks the triggers with its own SQL on the store's connection. */
#include "store/store-int.h"
#include "store/store-settle.h"

#define NORDERS 8

struct fix {
    char dir[64];
    struct cg_store *db;
    struct cg_conf *conf;
    struct cg_settle *s;
};

static void exec(struct cg_store *db, const char *sql)
{
    char *msg = NULL;
    int r = sqlite3_exec(cg_db_handle(db->db), sql, NULL, NULL, &msg);
    if (r != SQLITE_OK)
        fail_msg("%s: %s", sql, msg ? msg : "?");
}

static long long scalar(struct cg_store *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long long v;
    assert_int_equal(sqlite3_prepare_v2(cg_db_handle(db->db), sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* An order declared in cur for amount (minor units), released at return_time (China time). */
static void add_order_at(struct cg_store *db, int i, const char *cur, long long amount,
                         const char *return_time)
{
    char sql[2048];
    snprintf(sql, sizeof(sql),
             "INSERT INTO orders(id, seller, order_no, hash, created_at, updated_at) VALUES "
             "(%d, '', 'T%d', 'h', 'x', 'x');"
             "INSERT INTO fx_declared(order_id, currency, amount, updated_at) VALUES "
             "(%d, '%s', %lld, 'x');"
             "INSERT INTO documents(id, order_id, msg_type, business_key, version, guid, "
             "app_type, content_hash, state, updated_at) VALUES (%d, %d, 603, 'C%d', 1, 'G%d', "
             "1, 'h', 'released', 'x');"
             "INSERT INTO messages(id, document_id, version, guid, msg_type, app_type, "
             "file_name, sha256, size, state, created_at) VALUES (%d, %d, 1, 'G%d', 603, 1, "
             "'f%d', 's', 1, 'released', 'x');"
             "INSERT INTO receipts(received_at, file_name, msg_type, guid, status, return_time, "
             "message_id, outcome) VALUES ('x', 'r', 604, 'G%d', '800', '%s', %d, 'applied');",
             i, i, i, cur, amount, i, i, i, i, i, i, i, i, i, return_time, i);
    exec(db, sql);
}

/* An order declared in cur for amount (minor units), released on day (YYYYMMDD) at noon. */
static void add_order(struct cg_store *db, int i, const char *cur, long long amount,
                      const char *day)
{
    char rt[32];
    snprintf(rt, sizeof(rt), "%s120000000", day);
    add_order_at(db, i, cur, amount, rt);
}

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof(*f));
    struct cg_err err;
    char *path;

    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/cg-test-settle.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    path = cg_fs_join(f->dir, "t.db");
    assert_int_equal(cg_store_open(path, &f->db, &err), CG_OK);
    free(path);
    assert_int_equal(cg_conf_register(cg_settle_conf_keys), CG_OK);
    assert_int_equal(cg_conf_new_defaults(f->dir, &f->conf, &err), CG_OK);
    assert_int_equal(cg_settle_new(f->conf, f->db, &f->s, &err), CG_OK);
    assert_int_equal(cg_settle_set_today(f->s, "2025-12-31", &err), CG_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    char cmd[128];

    cg_settle_free(f->s);
    cg_conf_free(f->conf);
    cg_store_close(f->db);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static int import(struct fix *f, const char *name, const char *csv)
{
    struct cg_settle_import res;
    struct cg_err err;

    cg_err_clear(&err);
    return cg_settle_import(f->s, "", name, csv, strlen(csv), NULL, NULL, &res, &err);
}

static long long convert(struct fix *f, const char *cur, const char *amount, const char *rate)
{
    struct cg_err err;
    int64_t cny = -1;
    int rc = cg_settle_convert(f->s, cur, amount, rate, "2025-03-10", NULL, &cny, &err);
    return rc == CG_OK ? (long long)cny : rc;
}

/* ------------------------------------------------------------------ MT940 fields */

static long long mt_amount(const char *s, const char *cur, char *msg, size_t size)
{
    struct cg_err err;
    int64_t v = -1;
    int rc;

    cg_err_clear(&err);
    rc = fx_mt940_amount(s, strlen(s), cur, &v, &err);
    if (msg != NULL)
        cg_strlcpy(msg, rc == CG_OK ? "" : err.msg, size);
    return rc == CG_OK ? (long long)v : rc;
}

/* Amounts: a decimal comma always, up to the currency's decimals, at most 15 characters. */
static void test_mt940_amounts(void **state)
{
    char msg[256];

    (void)state;
    assert_int_equal(mt_amount("1234,56", "USD", NULL, 0), 123456);
    assert_int_equal(mt_amount("100,", "USD", NULL, 0), 10000);
    assert_int_equal(mt_amount("0,5", "USD", NULL, 0), 50);
    assert_int_equal(mt_amount("0,05", "USD", NULL, 0), 5);
    assert_int_equal(mt_amount("5000,", "JPY", NULL, 0), 5000);
    assert_int_equal(mt_amount("1,234", "KWD", NULL, 0), 1234);
    assert_int_equal(mt_amount("999999999999,99", "USD", NULL, 0), 99999999999999LL);
    assert_int_equal(mt_amount("5000,5", "JPY", msg, sizeof(msg)), CG_EREJECT);
    assert_string_equal(msg, "'5000,5' has more than 0 decimals for JPY");
    assert_int_equal(mt_amount("12,345", "USD", msg, sizeof(msg)), CG_EREJECT);
    assert_string_equal(msg, "'12,345' has more than 2 decimals for USD");
    assert_int_equal(mt_amount("1234", "USD", msg, sizeof(msg)), CG_EREJECT);
    assert_string_equal(msg, "'1234' is not an amount: digits with one decimal comma, as 1234,56");
    assert_int_equal(mt_amount("12.34", "USD", NULL, 0), CG_EREJECT);
    assert_int_equal(mt_amount(",50", "USD", NULL, 0), CG_EREJECT);
    assert_int_equal(mt_amount("1,2,3", "USD", NULL, 0), CG_EREJECT);
    assert_int_equal(mt_amount("-1,00", "USD", NULL, 0), CG_EREJECT);
    assert_int_equal(mt_amount("", "USD", NULL, 0), CG_EREJECT);
    assert_int_equal(mt_amount("1000000000000,00", "USD", msg, sizeof(msg)), CG_EREJECT);
    assert_string_equal(msg, "'1000000000000,00' is not an amount of 1 to 15 characters");
    assert_int_equal(mt_amount("1,00", "XYZ", msg, sizeof(msg)), CG_EREJECT);
    assert_string_equal(msg, "unknown currency 'XYZ'");
}

static const char *mt_date(const char *s)
{
    static char out[CG_DAY_LEN];

    return fx_mt940_date(s, out) == CG_OK ? out : "bad";
}

static const char *mt_entry(const char *value_on, const char *mmdd)
{
    static char out[CG_DAY_LEN];

    return fx_mt940_entry_date(value_on, mmdd, out) == CG_OK ? out : "bad";
}

/* Dates: YYMMDD with 80-99 the 1900s; an entry date MMDD in the year nearest its value date. */
static void test_mt940_dates(void **state)
{
    (void)state;
    assert_string_equal(mt_date("261102"), "2026-11-02");
    assert_string_equal(mt_date("000101"), "2000-01-01");
    assert_string_equal(mt_date("791231"), "2079-12-31");
    assert_string_equal(mt_date("800101"), "1980-01-01");
    assert_string_equal(mt_date("240229"), "2024-02-29");
    assert_string_equal(mt_date("250229"), "bad");
    assert_string_equal(mt_date("251301"), "bad");
    assert_string_equal(mt_date("250100"), "bad");
    assert_string_equal(mt_date("2511a2"), "bad");
    assert_string_equal(mt_entry("2026-07-10", "0710"), "2026-07-10");
    assert_string_equal(mt_entry("2026-07-10", "0711"), "2026-07-11");
    assert_string_equal(mt_entry("2026-12-31", "0102"), "2027-01-02");
    assert_string_equal(mt_entry("2027-01-02", "1231"), "2026-12-31");
    assert_string_equal(mt_entry("2024-03-01", "0229"), "2024-02-29");
    assert_string_equal(mt_entry("2025-03-01", "0229"), "bad");
    assert_string_equal(mt_entry("2026-07-10", "1301"), "bad");
    assert_string_equal(mt_entry("2026-07-10", "07x0"), "bad");
}

static void keep_problem(void *ctx, const char *text)
{
    struct cg_buf *b = ctx;

    cg_buf_adds(b, text);
    cg_buf_addc(b, '\n');
}

/* An empty parse of file name, its problems kept in probs one a line. */
static void parsed_init(struct fx_parsed *p, const char *name, struct cg_buf *probs)
{
    memset(p, 0, sizeof(*p));
    p->name = name;
    p->problem = keep_problem;
    p->pctx = probs;
}

/* A line outside every field is quoted by its own bytes only, never past its end or the end of
 * the data (not NUL-terminated here, as a file read into memory need not be), and the file's
 * bytes in a problem are shown escaped: an escape sequence cannot reach the terminal. */
static void test_mt940_stray_lines(void **state)
{
    static const char text[] = ":20:X\n:25:1\n:60F:C261101EUR1,00\n:62F:C261101EUR1,00\n-\n"
                               "\033[31mRED\n:20:Y\n-\nab";
    struct fx_parsed p;
    struct cg_buf probs;
    struct cg_err err;
    char *data = malloc(sizeof(text) - 1);

    (void)state;
    assert_non_null(data);
    memcpy(data, text, sizeof(text) - 1);
    cg_buf_init(&probs, 1u << 16);
    parsed_init(&p, "s.sta", &probs);
    assert_int_equal(fx_parse_mt940(&p, data, sizeof(text) - 1, &err), CG_OK);
    assert_string_equal(cg_buf_str(&probs),
                        "s.sta:6: entry -: '\\x1B[31mRED' is not in a field (:20:, :61:, ...)\n"
                        "s.sta:7: entry Y: field 25: the statement names no account\n"
                        "s.sta:7: entry Y: field 60F: the statement has no opening balance\n"
                        "s.sta:9: entry -: 'ab' is not in a field (:20:, :61:, ...)\n");
    fx_parsed_free(&p);
    cg_buf_free(&probs);
    free(data);
}

/*
 * A bank reference given twice in a long statement is found whatever its place: the entries are
 * looked up by key (fx_parsed_find), whose table grows as the statement is read. 600 lines of
 * EUR 1.00 from line 4, two lines each, references R0..R599; then R5 again (line 4 + 2 * 600 =
 * 1204; the first at 4 + 2 * 5 = 14), then R599 again (line 1206; the first, the last entry
 * added, at 1202).
 */
static void test_mt940_reference_twice(void **state)
{
    struct cg_buf data, probs;
    struct fx_parsed p;
    struct cg_err err;
    int i;

    (void)state;
    cg_buf_init(&data, 1u << 20);
    cg_buf_init(&probs, 1u << 16);
    cg_buf_adds(&data, ":20:ST1\n:25:ACCT\n:60F:C261101EUR0,00\n");
    for (i = 0; i < 600; i++)
        cg_buf_addf(&data, ":61:261101C1,00NTRFNONREF//R%d\n:86:PAYMENT\n", i);
    cg_buf_adds(&data, ":61:261101C1,00NTRFNONREF//R5\n:86:PAYMENT\n");
    cg_buf_adds(&data, ":61:261101C1,00NTRFNONREF//R599\n:86:PAYMENT\n");
    cg_buf_adds(&data, ":62F:C261101EUR602,00\n-\n");
    parsed_init(&p, "s.sta", &probs);
    assert_int_equal(fx_parse_mt940(&p, data.data, data.len, &err), CG_OK);
    assert_string_equal(
        cg_buf_str(&probs),
        "s.sta:1204: entry R5: field 61: the same bank reference appears again (line 14)\n"
        "s.sta:1206: entry R599: field 61: the same bank reference appears again (line 1202)\n");
    assert_int_equal(p.n, 600);
    fx_parsed_free(&p);
    cg_buf_free(&probs);
    cg_buf_free(&data);
}

/* strcmp is wrapped (-Wl,--wrap=strcmp): the calls from cebgate's own code are counted. */
int __real_strcmp(const char *a, const char *b);
int __wrap_strcmp(const char *a, const char *b);
static long strcmp_calls;

int __wrap_strcmp(const char *a, const char *b)
{
    strcmp_calls++;
    return __real_strcmp(a, b);
}

/* cg_settle_convert_file on data: its return code, its problems in probs one a line. */
static int convert_file(struct fix *f, const char *data, struct cg_buf *probs)
{
    struct cg_err err;
    long added = 0, known = 0;

    cg_err_clear(&err);
    return cg_settle_convert_file(f->s, "s.csv", data, strlen(data), keep_problem, probs, &added,
                                  &known, &err);
}

/*
 * A settlement file's reference given again is reported on each later row, once for each row
 * before it with that reference, in the file's order: A on lines 2, 4 and 7 (line 7: lines 2
 * and 4), B on lines 3 and 8; a row without one is reported as such; "A1" and "a" are other
 * references. Nothing is recorded.
 */
static void test_settlement_file_references(void **state)
{
    struct fix *f = *state;
    struct cg_buf probs;

    cg_buf_init(&probs, 1u << 16);
    assert_int_equal(convert_file(f,
                                  "reference,date,currency,amount,rate\n"
                                  "A,2025-09-06,USD,1.00,7.1\n"
                                  "B,2025-09-06,USD,1.00,7.1\n"
                                  "A,2025-09-06,USD,2.00,7.1\n"
                                  ",2025-09-06,USD,1.00,7.1\n"
                                  "C,2025-09-06,USD,1.00,7.1\n"
                                  "A,2025-09-07,USD,1.00,7.1\n"
                                  "B,2025-09-06,USD,1.00,7.1\n"
                                  "A1,2025-09-06,USD,1.00,7.1\n"
                                  "a,2025-09-06,USD,1.00,7.1\n",
                                  &probs),
                     CG_EREJECT);
    assert_string_equal(cg_buf_str(&probs),
                        "s.csv:4: entry A: field reference: appears again (line 2)\n"
                        "s.csv:5: entry -: field reference: missing\n"
                        "s.csv:7: entry A: field reference: appears again (line 2)\n"
                        "s.csv:7: entry A: field reference: appears again (line 4)\n"
                        "s.csv:8: entry B: field reference: appears again (line 3)\n");
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM fx_settlement"), 0);
    cg_buf_free(&probs);
}

/* strcmp calls of reading a settlement file of n rows, each reference once; the last row's day
   is bad, so nothing is recorded and the file is read to its end. */
static long convert_file_compares(struct fix *f, int n)
{
    struct cg_buf data, probs;
    long calls;
    int i;

    cg_buf_init(&data, 1u << 24);
    cg_buf_init(&probs, 1u << 16);
    cg_buf_adds(&data, "reference,date,currency,amount,rate\n");
    for (i = 0; i < n; i++)
        cg_buf_addf(&data, "FX-%07d,%s,USD,1.00,7.1\n", (i * 7919) % n,
                    i == n - 1 ? "2025-09-32" : "2025-09-06");
    strcmp_calls = 0;
    assert_int_equal(convert_file(f, cg_buf_str(&data), &probs), CG_EREJECT);
    calls = strcmp_calls;
    assert_non_null(strstr(cg_buf_str(&probs), "field date: not YYYY-MM-DD"));
    cg_buf_free(&probs);
    cg_buf_free(&data);
    return calls;
}

/*
 * Reading a settlement file does not compare each row's reference with every row before it:
 * twice the rows cost a little more than twice the comparisons, not four times.
 */
static void test_settlement_file_compares(void **state)
{
    struct fix *f = *state;
    long small = convert_file_compares(f, 2000), big = convert_file_compares(f, 4000);

    if (big > small * 5 / 2)
        fail_msg("2000 rows: %ld string comparisons, 4000 rows: %ld", small, big);
}

/* sqlite3_progress_handler: counts the virtual machine's steps, in hundreds. */
static int count_steps(void *ctx)
{
    (*(long *)ctx)++;
    return 0;
}

/*
 * The virtual machine steps (hundreds) of recording a settlement file of n rows (USD 1.00 each,
 * references S<tag>-0 on) once n more USD receipts of 1.00 are recorded, beside one of
 * 100,000.00 recorded the first time.
 */
static long convert_file_steps(struct fix *f, const char *tag, int n)
{
    struct cg_buf data, probs;
    struct cg_err err;
    long added = 0, known = 0, steps = 0;
    char sql[512];
    int i;

    exec(f->db, "INSERT OR IGNORE INTO fx_statement(id, seller, kind, name, sha256, entries, "
                "imported_at) VALUES (1, '', 'csv', 's.csv', 'x', 1, 'x');"
                "INSERT OR IGNORE INTO fx_receipt(id, statement_id, seller, entry_key, line, "
                "direction, currency, gross, fee, net, booked_on, value_on, created_at) VALUES "
                "(1, 1, '', 'K', 1, 'in', 'USD', 10000000, 0, 10000000, '2025-03-10', "
                "'2025-03-10', 'x')");
    for (i = 0; i < n; i++) {
        snprintf(sql, sizeof(sql),
                 "INSERT INTO fx_receipt(statement_id, seller, entry_key, line, direction, "
                 "currency, gross, fee, net, booked_on, value_on, created_at) VALUES (1, '', "
                 "'K%s-%d', %d, 'in', 'USD', 100, 0, 100, '2025-03-10', '2025-03-10', 'x')",
                 tag, i, i + 2);
        exec(f->db, sql);
    }
    cg_buf_init(&data, 1u << 24);
    cg_buf_init(&probs, 1u << 16);
    cg_buf_adds(&data, "reference,date,currency,amount,rate\n");
    for (i = 0; i < n; i++)
        cg_buf_addf(&data, "S%s-%d,2025-09-06,USD,1.00,7.1\n", tag, i);
    cg_err_clear(&err);
    sqlite3_progress_handler(cg_db_handle(f->db->db), 100, count_steps, &steps);
    assert_int_equal(cg_settle_convert_file(f->s, "s.csv", cg_buf_str(&data), data.len,
                                            keep_problem, &probs, &added, &known, &err),
                     CG_OK);
    sqlite3_progress_handler(cg_db_handle(f->db->db), 0, NULL, NULL);
    assert_int_equal(added, n);
    assert_int_equal(known, 0);
    assert_string_equal(cg_buf_str(&probs), "");
    cg_buf_free(&probs);
    cg_buf_free(&data);
    return steps;
}

/*
 * Recording a settlement file reads what is held of the currency from the balance the database
 * keeps (settle step 14), in the program and in the trigger that bounds a settlement: twice the
 * rows on twice the receipts take twice the work and a little more, not four times. Before,
 * each row added up every receipt and settlement of its currency twice. The holding after both
 * files: 100,000.00 + 1,800 receipts of 1.00 - 1,800 settlements of 1.00 = 100,000.00; 1,800
 * settlements of CNY 7.10 each (12,780.00).
 */
static void test_settlement_file_grows_with_rows(void **state)
{
    struct fix *f = *state;
    struct cg_err err;
    long small = convert_file_steps(f, "a", 600), big = convert_file_steps(f, "b", 1200);

    if (big > small * 5 / 2)
        fail_msg("600 rows: %ld00 steps, 1200 rows: %ld00", small, big);
    assert_int_equal(scalar(f->db, "SELECT (SELECT sum(net) FROM fx_receipt) - (SELECT "
                                   "sum(amount) FROM fx_settlement)"),
                     10000000);
    assert_int_equal(scalar(f->db, "SELECT sum(cny) FROM fx_settlement"), 1278000);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM fx_settlement"), 1800);
    /* one more cent than is held is refused, by settle/ and by the database */
    assert_int_equal(
        cg_settle_convert(f->s, "USD", "100000.01", "7.1", "2025-09-07", NULL, NULL, &err),
        CG_EREJECT);
    assert_string_equal(err.msg, "settling USD 100000.01 needs more than the USD 100000.00 held");
    assert_int_not_equal(sqlite3_exec(cg_db_handle(f->db->db),
                                      "INSERT INTO fx_settlement(currency, amount, cny, rate, "
                                      "settled_on, created_at) VALUES ('USD', 10000001, 1, '1', "
                                      "'2025-09-07', 'x')",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
    assert_int_equal(
        cg_settle_convert(f->s, "USD", "100000.00", "7.1", "2025-09-07", NULL, NULL, &err), CG_OK);
}

#define PO_HEADER                                                                                  \
    "Payout ID,Payout Date,Currency,Order ID,Transaction ID,Gross Amount,Fee,Net Amount\n"

/* cg_settle_import of payout report data (data/profiles/payout.ini), its problems in probs. */
static int import_payout(struct fix *f, const char *data, size_t len, struct cg_buf *probs)
{
    struct cg_settle_import res;
    struct cg_err err;

    cg_err_clear(&err);
    return cg_settle_import(f->s, "", "p.csv", data, len, keep_problem, probs, &res, &err);
}

/*
 * An order given again in a payout's sale lines is reported on each later line, in the file's
 * order among the other problems: A on lines 2, 4 and 9 (its refund on line 8 is no sale), C on
 * lines 7 and 12 (line 6, of a bad day, was not taken); A in payout PO-2, "a", and B on a line
 * of another day (reported as such) are not the same. Nothing is recorded.
 */
static void test_payout_order_twice(void **state)
{
    static const char data[] = PO_HEADER "PO-1,2025-07-01,USD,A,,10.00,-0.30,9.70\n"
                                         "PO-1,2025-07-01,USD,B,,5.00,0,5.00\n"
                                         "PO-1,2025-07-01,USD,A,,10.00,-0.30,9.70\n"
                                         "PO-2,2025-07-01,USD,A,,10.00,-0.30,9.70\n"
                                         "PO-1,x,USD,C,,1.00,0,1.00\n"
                                         "PO-1,2025-07-01,USD,C,,1.00,0,1.00\n"
                                         "PO-1,2025-07-01,USD,A,,-10.00,0.30,-9.70\n"
                                         "PO-1,2025-07-01,USD,A,,3.00,0,3.00\n"
                                         "PO-1,2025-07-02,USD,B,,5.00,0,5.00\n"
                                         "PO-1,2025-07-01,USD,a,,1.00,0,1.00\n"
                                         "PO-1,2025-07-01,USD,C,,1.00,0,1.00\n";
    struct fix *f = *state;
    struct cg_buf probs;

    cg_buf_init(&probs, 1u << 16);
    assert_int_equal(import_payout(f, data, strlen(data), &probs), CG_EREJECT);
    assert_string_equal(
        cg_buf_str(&probs),
        "p.csv:4: entry PO-1: field Order ID: order A appears twice in payout PO-1\n"
        "p.csv:6: entry PO-1: field Payout Date: 'x' is not YYYY-MM-DD\n"
        "p.csv:9: entry PO-1: field Order ID: order A appears twice in payout PO-1\n"
        "p.csv:10: entry PO-1: field Currency: payout PO-1 has another currency or date on line 2\n"
        "p.csv:12: entry PO-1: field Order ID: order C appears twice in payout PO-1\n");
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM fx_receipt"), 0);
    cg_buf_free(&probs);
}

/*
 * strcmp calls of reading a payout report of n lines of one payout, each of another order, sales
 * (gross 1.00) or refunds (-1.00); the last line's day is bad, so nothing is recorded and the
 * file is read to its end.
 */
static long payout_compares(struct fix *f, int n, const char *gross)
{
    struct cg_buf data, probs;
    long calls;
    int i;

    cg_buf_init(&data, 1u << 24);
    cg_buf_init(&probs, 1u << 16);
    cg_buf_adds(&data, PO_HEADER);
    for (i = 0; i < n; i++)
        cg_buf_addf(&data, "PO-1,%s,USD,SO-%07d,,%s,0,%s\n",
                    i == n - 1 ? "2025-07-32" : "2025-07-01", (i * 7919) % n, gross, gross);
    strcmp_calls = 0;
    assert_int_equal(import_payout(f, cg_buf_str(&data), data.len, &probs), CG_EREJECT);
    calls = strcmp_calls;
    assert_non_null(strstr(cg_buf_str(&probs), "'2025-07-32' is not YYYY-MM-DD"));
    assert_null(strstr(cg_buf_str(&probs), "appears twice"));
    cg_buf_free(&probs);
    cg_buf_free(&data);
    return calls;
}

/*
 * Reading a payout report does not compare each sale line with every sale line of its payout
 * before it: twice the lines cost a little more than twice the comparisons, not four times.
 */
static void test_payout_lines_compares(void **state)
{
    struct fix *f = *state;
    long small = payout_compares(f, 2000, "1.00"), big = payout_compares(f, 4000, "1.00");

    if (big > small * 5 / 2)
        fail_msg("2000 lines: %ld string comparisons, 4000 lines: %ld", small, big);
}

static const char *text_of(struct cg_store *db, const char *sql, char *buf, size_t size);

/*
 * Each refund line of a payout is a receipt of its own, keyed by the payout, "refund" and the
 * order, "#2" on for the order's second refund line in that payout on: R1's lines 3, 5 and 7 of
 * PO-1 (its sale on line 8 is no refund), R1's refund in PO-2 the first of that payout.
 */
static void test_payout_refund_keys(void **state)
{
    static const char data[] = PO_HEADER "PO-1,2025-07-01,USD,S1,,10.00,0,10.00\n"
                                         "PO-1,2025-07-01,USD,R1,,-1.00,0,-1.00\n"
                                         "PO-1,2025-07-01,USD,R2,,-2.00,0,-2.00\n"
                                         "PO-1,2025-07-01,USD,R1,,-3.00,0,-3.00\n"
                                         "PO-2,2025-07-01,USD,R1,,-4.00,0,-4.00\n"
                                         "PO-1,2025-07-01,USD,R1,,-5.00,0,-5.00\n"
                                         "PO-1,2025-07-01,USD,R1,,7.00,0,7.00\n";
    struct fix *f = *state;
    struct cg_buf probs;
    char got[512];

    cg_buf_init(&probs, 1u << 16);
    assert_int_equal(import_payout(f, data, strlen(data), &probs), CG_OK);
    assert_string_equal(cg_buf_str(&probs), "");
    text_of(f->db,
            "SELECT group_concat(k, '|') FROM (SELECT line || ' ' || direction || ' ' || net || "
            "' ' || substr(entry_key, instr(entry_key, 'PO-')) AS k FROM fx_receipt ORDER BY line)",
            got, sizeof(got));
    assert_string_equal(got, "2 in 1700 PO-1|3 out 100 PO-1 refund R1|4 out 200 PO-1 refund R2|"
                             "5 out 300 PO-1 refund R1 #2|6 out 400 PO-2 refund R1|"
                             "7 out 500 PO-1 refund R1 #3");
    cg_buf_free(&probs);
}

/*
 * Reading a payout report does not compare each refund line with every refund line of its
 * payout before it to number the refunds of an order: twice the refund lines cost a little more
 * than twice the comparisons, not four times.
 */
static void test_payout_refunds_compares(void **state)
{
    struct fix *f = *state;
    long small = payout_compares(f, 2000, "-1.00"), big = payout_compares(f, 4000, "-1.00");

    if (big > small * 5 / 2)
        fail_msg("2000 refund lines: %ld string comparisons, 4000: %ld", small, big);
}

/* C and RD are money in, D and RC money out, in the balance as in the entries. */
static void test_mt940_marks(void **state)
{
    static const char stmt[] = ":20:S1\n:25:ACC\n:28C:1/1\n:60F:D250701EUR10,00\n"
                               ":61:250701C100,NTRFNONREF//B1\n"
                               ":61:250701RD5,NTRFNONREF//B2\n"
                               ":61:250701D20,50NTRFNONREF//B3\n"
                               ":61:250701RC1,25NTRFNONREF//B4\n"
                               ":62F:C250701EUR73,25\n-\n";
    static const char bad[] = ":20:S2\n:25:ACC\n:60F:C250701EUR0,00\n"
                              ":61:250701EC1,00NTRFNONREF//B1\n:62F:C250701EUR1,00\n";
    static const char noacct[] = ":20:S3\n:60F:C250701EUR0,00\n"
                                 ":61:250701C1,NTRFNONREF//B1\n:62F:C250701EUR1,00\n";
    struct fx_parsed p;
    struct cg_buf probs;
    struct cg_err err;

    (void)state;
    cg_buf_init(&probs, 1u << 16);
    parsed_init(&p, "m.sta", &probs);
    assert_int_equal(fx_parse_mt940(&p, stmt, strlen(stmt), &err), CG_OK);
    assert_string_equal(cg_buf_str(&probs), "");
    assert_int_equal(p.n, 4);
    assert_int_equal(p.e[0].out, 0);
    assert_int_equal(p.e[0].net, 10000);
    assert_int_equal(p.e[1].out, 0);
    assert_int_equal(p.e[1].net, 500);
    assert_int_equal(p.e[2].out, 1);
    assert_int_equal(p.e[2].net, 2050);
    assert_int_equal(p.e[3].out, 1);
    assert_int_equal(p.e[3].net, 125);
    assert_string_equal(p.e[3].currency, "EUR");
    fx_parsed_free(&p);

    parsed_init(&p, "m.sta", &probs);
    assert_int_equal(fx_parse_mt940(&p, bad, strlen(bad), &err), CG_OK);
    assert_string_equal(cg_buf_str(&probs),
                        "m.sta:4: entry -: field 61: debit/credit mark 'EC' is none of C, D, RC "
                        "(reversal of a credit) and RD (reversal of a debit)\n");
    assert_int_equal(p.n, 0);
    fx_parsed_free(&p);

    /* A German bank's structured :86: gives its remittance text, joined over subfields and
     * lines, without the SEPA keywords, and the payer's name: the order numbers in it are
     * words. A plain :86: is its lines joined by spaces. */
    {
        static const char s86[] = ":20:S4\n:25:ACC\n:28C:1/1\n:60F:C250701EUR0,00\n"
                                  ":61:250701C10,00NTRFNONREF//B1\n"
                                  ":86:166?00GUTSCHRIFT?109075?20EREF+A-1?21SVWZ+Order B-\n"
                                  "?222 thanks?30BYLADEM1001?31DE02120300000000202051\n"
                                  "?32MUELLER HANS\n"
                                  ":61:250701C5,00NTRFREF-9//B2\n"
                                  ":86:PAYMENT C-3\nFROM SMITH\n"
                                  ":62F:C250701EUR15,00\n-\n";

        cg_buf_reset(&probs);
        parsed_init(&p, "m.sta", &probs);
        assert_int_equal(fx_parse_mt940(&p, s86, strlen(s86), &err), CG_OK);
        assert_string_equal(cg_buf_str(&probs), "");
        assert_int_equal(p.n, 2);
        assert_string_equal(p.e[0].reference, "A-1 Order B-2 thanks MUELLER HANS");
        assert_string_equal(p.e[1].reference, "REF-9 PAYMENT C-3 FROM SMITH");
        fx_parsed_free(&p);
    }

    /* Without :25: the entries would belong to no account: refused. */
    cg_buf_reset(&probs);
    parsed_init(&p, "m.sta", &probs);
    assert_int_equal(fx_parse_mt940(&p, noacct, strlen(noacct), &err), CG_OK);
    assert_string_equal(cg_buf_str(&probs),
                        "m.sta:1: entry S3: field 25: the statement names no account\n");
    fx_parsed_free(&p);
    cg_buf_free(&probs);
}

/*
 * A camt file with the statements of two accounts: each entry is its statement's account's, so
 * one bank reference in both is two entries. A statement without an account is refused.
 */
static void test_camt_accounts(void **state)
{
    static const char two[] =
        "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt>\n"
        "<Stmt><Id>S1</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>\n"
        "<Ntry><Amt Ccy=\"USD\">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>"
        "<BookgDt><Dt>2025-07-01</Dt></BookgDt><AcctSvcrRef>R1</AcctSvcrRef></Ntry></Stmt>\n"
        "<Stmt><Id>S2</Id><Acct><Id><Othr><Id>400123456838</Id></Othr></Id></Acct>\n"
        "<Ntry><Amt Ccy=\"EUR\">2.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>"
        "<BookgDt><Dt>2025-07-01</Dt></BookgDt><AcctSvcrRef>R1</AcctSvcrRef></Ntry></Stmt>\n"
        "</BkToCstmrStmt></Document>\n";
    static const char noacct[] =
        "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.054.001.02\">"
        "<BkToCstmrDbtCdtNtfctn>\n<Ntfctn><Id>N1</Id>\n"
        "<Ntry><Amt Ccy=\"USD\">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>"
        "<BookgDt><Dt>2025-07-01</Dt></BookgDt><AcctSvcrRef>R1</AcctSvcrRef></Ntry></Ntfctn>\n"
        "</BkToCstmrDbtCdtNtfctn></Document>\n";
    struct fx_parsed p;
    struct cg_buf probs;
    struct cg_err err;

    (void)state;
    cg_buf_init(&probs, 1u << 16);
    parsed_init(&p, "c.xml", &probs);
    assert_int_equal(fx_parse_camt(&p, two, strlen(two), &err), CG_OK);
    assert_string_equal(cg_buf_str(&probs), "");
    assert_int_equal(p.n, 2);
    assert_string_equal(p.e[0].key, "R1");
    assert_string_equal(fx_entry_account(&p, &p.e[0]), "DE89370400440532013000");
    assert_string_equal(p.e[0].currency, "USD");
    assert_string_equal(p.e[1].key, "R1");
    assert_string_equal(fx_entry_account(&p, &p.e[1]), "400123456838");
    assert_string_equal(p.e[1].currency, "EUR");
    assert_string_equal(p.stmt_id, "S1");
    fx_parsed_free(&p);

    cg_buf_reset(&probs);
    parsed_init(&p, "c.xml", &probs);
    assert_int_equal(fx_parse_camt(&p, noacct, strlen(noacct), &err), CG_OK);
    assert_string_equal(cg_buf_str(&probs), "c.xml:2: entry N1: field Acct/Id: the notification "
                                            "names no account (IBAN or Othr/Id)\n");
    fx_parsed_free(&p);
    cg_buf_free(&probs);
}

/* ------------------------------------------------------------------ bank charges by words */

static struct fx_words *default_words;

/* The first word of the default charge words in text, "-" when none. */
static const char *charge_word(const char *text)
{
    const char *found = NULL;

    assert_int_equal(fx_words_find(default_words, text, &found), CG_OK);
    return found != NULL ? found : "-";
}

/*
 * Latin words match whole words, whatever their case and the accents of Latin-1 letters; a '*'
 * lets a compound go on at that end; a word without Latin letters matches anywhere.
 */
static void test_charge_words(void **state)
{
    struct fx_words *w = NULL;
    struct cg_err err;
    const char *found = NULL;

    (void)state;
    assert_int_equal(fx_words_parse(CG_SETTLE_CHARGE_WORDS, &default_words, &err), CG_OK);
    assert_string_equal(charge_word("SERVICE CHARGE"), "CHARGE");
    assert_string_equal(charge_word("handling fee/USD"), "FEE");
    assert_string_equal(charge_word("COFFEE MACHINE"), "-");
    assert_string_equal(charge_word("FEEDBACK BONUS"), "-");
    assert_string_equal(charge_word("DISCHARGED GOODS"), "-");
    /* a chargeback is the buyer's money taken back, no charge of the bank */
    assert_string_equal(charge_word("CHARGEBACK ORDER 77"), "-");
    assert_string_equal(charge_word("汇款手续费"), "手续费");
    assert_string_equal(charge_word("账户管理费2025年"), "管理费");
    /* the first word of the list that the text has: *ENTGELT comes before KONTOFÜHRUNG* */
    assert_string_equal(charge_word("Kontoführungsentgelt"), "*ENTGELT");
    assert_string_equal(charge_word("KONTOFÜHRUNG"), "KONTOFÜHRUNG*");
    /* an umlaut is the same as its spelling with E, as SWIFT's character set writes it */
    assert_string_equal(charge_word("Kontofuehrung 11/2025"), "KONTOFÜHRUNG*");
    assert_string_equal(charge_word("Buchungsentgelte"), "*ENTGELTE");
    assert_string_equal(charge_word("unentgeltlich"), "-");
    assert_string_equal(charge_word("Gebühren"), "GEBÜHR*");
    assert_string_equal(charge_word("KONTOFUEHRUNGSGEBUEHR"), "*GEBÜHR");
    assert_string_equal(charge_word("frais de tenue de compte"), "FRAIS");
    /* accents dropped: COMISIÓN is COMISION */
    assert_string_equal(charge_word("Comisión mantenimiento"), "COMISION*");
    assert_string_equal(charge_word("COMISIONES"), "COMISION*");
    assert_string_equal(charge_word("COMMISSIONI BANCARIE"), "COMMISSION*");
    fx_words_free(default_words);

    /* a list of its own replaces the default; empty, no debit counts as a charge by its text */
    assert_int_equal(fx_words_parse("spese, *kosten", &w, &err), CG_OK);
    assert_int_equal(fx_words_find(w, "SPESE TENUTA CONTO", &found), CG_OK);
    assert_string_equal(found, "spese");
    assert_int_equal(fx_words_find(w, "Kontoführungskosten", &found), CG_OK);
    assert_string_equal(found, "*kosten");
    assert_int_equal(fx_words_find(w, "SERVICE CHARGE", &found), CG_OK);
    assert_null(found);
    fx_words_free(w);
    assert_int_equal(fx_words_parse("", &w, &err), CG_OK);
    assert_int_equal(fx_words_find(w, "SERVICE CHARGE", &found), CG_OK);
    assert_null(found);
    fx_words_free(w);

    /* what is not a word */
    assert_int_equal(fx_words_parse("FEE FE*E", &w, &err), CG_EINVAL);
    assert_string_equal(err.msg, "'FE*E': '*' may only begin or end a word");
    assert_int_equal(fx_words_parse("A/C", &w, &err), CG_EINVAL);
    assert_string_equal(err.msg, "'A/C' is neither one Latin word (letters and digits) nor a word "
                                 "without Latin letters");
    assert_int_equal(fx_words_parse("*手续费", &w, &err), CG_EINVAL);
    assert_int_equal(fx_words_parse("**", &w, &err), CG_EINVAL);
    assert_string_equal(err.msg, "'**' has nothing but '*'");
}

/* A malformed [settle] or [settle.NAME] charge_words is a configuration error naming it. */
static void test_charge_words_config(void **state)
{
    struct fix *f = *state;
    struct cg_settle *s = NULL;
    struct cg_err err;

    assert_int_equal(cg_conf_set(f->conf, "settle.acme", "charge_words", "spese *kosten*x", &err),
                     CG_OK);
    assert_int_equal(cg_settle_new(f->conf, f->db, &s, &err), CG_ECONFIG);
    assert_string_equal(
        err.msg, "[settle.acme] charge_words: '*kosten*x': '*' may only begin or end a word");
    assert_int_equal(cg_conf_set(f->conf, "settle", "charge_words", "FEE FE*E", &err), CG_OK);
    assert_int_equal(cg_settle_new(f->conf, f->db, &s, &err), CG_ECONFIG);
    assert_string_equal(err.msg, "[settle] charge_words: 'FE*E': '*' may only begin or end a word");
}

/* "declared received fees refunds net difference ratio" of reconcile's row cur/month. */
static void reconcile_row(struct fix *f, const char *cur, const char *month, const char *want)
{
    static const char *const cols[] = {"declared", "received",   "fees", "refunds",
                                       "net",      "difference", "ratio"};
    struct cg_table *t = NULL;
    struct cg_err err;
    char got[256] = "";
    size_t r, c, k;

    assert_int_equal(cg_settle_report(f->s, CG_FXR_RECONCILE, "2025-12-31", &t, &err), CG_OK);
    for (r = 0; r < t->nrows; r++) {
        if (strcmp(t->cells[r * t->ncols], cur) != 0 ||
            strcmp(t->cells[r * t->ncols + 1], month) != 0)
            continue;
        for (k = 0; k < sizeof(cols) / sizeof(cols[0]); k++) {
            for (c = 0; c < t->ncols && strcmp(t->cols[c], cols[k]) != 0; c++)
                ;
            assert_true(c < t->ncols);
            snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", k ? " " : "",
                     t->cells[r * t->ncols + c]);
        }
    }
    cg_table_free(t);
    assert_string_equal(got, want);
}

static int import_as(struct fix *f, const char *name, const char *data,
                     struct cg_settle_import *res)
{
    struct cg_err err;

    cg_err_clear(&err);
    return cg_settle_import(f->s, "", name, data, strlen(data), NULL, NULL, res, &err);
}

/* The charge flag of the outgoing receipt whose bank reference is ref. */
static long long charges_of(struct fix *f, const char *ref)
{
    char sql[256];

    snprintf(sql, sizeof(sql),
             "SELECT charge FROM fx_receipt WHERE direction = 'out' AND entry_key LIKE '%%:%s'",
             ref);
    return scalar(f->db, sql);
}

/*
 * Debits the bank did not code as its charge (NMSC, a camt entry without BkTxCd) whose text has a
 * charge word and that name no order count with the fees in reconcile, not as refunds; a debit
 * naming an order stays a refund of that order whatever its words.
 */
static void test_charges_by_words(void **state)
{
    /* Bank of China's layout: the service charge and the 手续费 of the month, NMSC */
    static const char boc_jul[] = ":20:BOC2507310001\n:25:BKCHCNBJ/4561234567890\n"
                                  ":28C:00123/1\n:60F:C250701USD0,00\n"
                                  ":61:2507100710C100,00NTRFNONREF//BOC250710001\n"
                                  ":86:PAYMENT LB-240914-003 FROM BUYER ONE\n"
                                  ":61:2507200720D15,00NMSCNONREF//BOC250720002\n"
                                  ":86:SERVICE CHARGE\n"
                                  ":61:2507210721D3,50NMSCNONREF//BOC250721003\n"
                                  ":86:汇款手续费\n"
                                  ":62F:C250731USD81,50\n-\n";
    /* a refund naming the order, its text with FEE in it, and a debit whose word only holds FEE */
    static const char boc_aug[] = ":20:BOC2508310001\n:25:BKCHCNBJ/4561234567890\n"
                                  ":28C:00124/1\n:60F:C250731USD81,50\n"
                                  ":61:2508050805D20,00NMSCNONREF//BOC250805001\n"
                                  ":86:REFUND LB-240914-003 SHIPPING FEE\n"
                                  ":61:2508060806D8,00NMSCNONREF//BOC250806002\n"
                                  ":86:COFFEE MACHINE\n"
                                  ":62F:C250831USD53,50\n-\n";
    /* a German bank's structured :86:: posting text ?00, the fee's name in ?20 */
    static const char de_nov[] =
        ":20:STARTUMS\n:25:10020030/1234567890\n:28C:00011/001\n:60F:C251101EUR100,00\n"
        ":61:2511301130D9,90NMSCNONREF//DE251130001\n"
        ":86:805?00ABSCHLUSS?106666?20Kontoführungsentgelt?2111/2025?30BYLADEM1001\n"
        "?31DE02120300000000202051?32SPARKASSE\n"
        ":62F:C251130EUR90,10\n-\n";
    /* camt.053 without BkTxCd: the fee named in AddtlNtryInf, and in AddtlTxInf */
    static const char camt_sep[] =
        "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt>\n"
        "<Stmt><Id>S9</Id><Acct><Id><IBAN>GB29NWBK60161331926819</IBAN></Id></Acct>\n"
        "<Ntry><Amt Ccy=\"GBP\">12.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>"
        "<BookgDt><Dt>2025-09-30</Dt></BookgDt><AcctSvcrRef>GB0930A</AcctSvcrRef>"
        "<AddtlNtryInf>ACCOUNT MAINTENANCE FEE</AddtlNtryInf></Ntry>\n"
        "<Ntry><Amt Ccy=\"GBP\">2.50</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>"
        "<BookgDt><Dt>2025-09-30</Dt></BookgDt><AcctSvcrRef>GB0930B</AcctSvcrRef>"
        "<NtryDtls><TxDtls><AddtlTxInf>Commission</AddtlTxInf></TxDtls></NtryDtls></Ntry>\n"
        "</Stmt></BkToCstmrStmt></Document>\n";
    struct fix *f = *state;
    struct cg_settle_import res;
    struct cg_err err;
    char again[sizeof(boc_jul) + 32];

    add_order(f->db, 1, "USD", 10000, "20250702");
    exec(f->db, "UPDATE orders SET order_no = 'LB-240914-003' WHERE id = 1");

    assert_int_equal(import_as(f, "boc-jul.sta", boc_jul, &res), CG_OK);
    assert_int_equal(res.added, 3);
    assert_int_equal(res.charges, 2);
    /* received 100.00; fees 15.00 + 3.50 = 18.50; refunds 0.00; net 100.00 - 18.50 = 81.50;
     * difference 100.00 - 0.00 - 100.00 = 0.00; ratio 100.00 / 100.00 = 100.00 % */
    reconcile_row(f, "USD", "2025-07", "100.00 100.00 18.50 0.00 81.50 0.00 100.00");

    assert_int_equal(import_as(f, "boc-aug.sta", boc_aug, &res), CG_OK);
    assert_int_equal(res.charges, 0);
    /* the refund names LB-240914-003: a refund of it; COFFEE has no charge word in it */
    assert_int_equal(charges_of(f, "BOC250805001"), 0);
    assert_int_equal(charges_of(f, "BOC250806002"), 0);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM fx_allocation a JOIN fx_receipt r ON "
                                   "r.id = a.receipt_id WHERE a.kind = 'REFUND_OUT' AND "
                                   "a.order_id = 1 AND a.amount_rcpt = 2000 AND r.entry_key LIKE "
                                   "'%:BOC250805001'"),
                     1);
    /* nothing declared in August; refunds 20.00 + 8.00 = 28.00 */
    reconcile_row(f, "USD", "2025-08", "0.00 0.00 0.00 28.00 -28.00 -28.00 ");
    /* USD over both months: declared 100.00, received 100.00, fees 18.50, refunds 28.00; net
     * 100.00 - 18.50 - 28.00 = 53.50; difference 100.00 - 28.00 - 100.00 = -28.00; ratio
     * 72.00 / 100.00 */
    reconcile_row(f, "USD", "total", "100.00 100.00 18.50 28.00 53.50 -28.00 72.00");

    assert_int_equal(import_as(f, "de-nov.sta", de_nov, &res), CG_OK);
    reconcile_row(f, "EUR", "2025-11", "0.00 0.00 9.90 0.00 -9.90 0.00 ");
    /* one month of EUR: no total row */
    reconcile_row(f, "EUR", "total", "");

    assert_int_equal(import_as(f, "sep.xml", camt_sep, &res), CG_OK);
    /* 12.00 + 2.50 */
    reconcile_row(f, "GBP", "2025-09", "0.00 0.00 14.50 0.00 -14.50 0.00 ");

    /* The July statement downloaded again (another :28C: line, so other bytes): its entries are
     * known and skipped, nothing counts twice. */
    snprintf(again, sizeof(again), "%s", boc_jul);
    memcpy(strstr(again, ":28C:00123/1"), ":28C:00123/2", 12);
    assert_int_equal(import_as(f, "boc-jul-again.sta", again, &res), CG_OK);
    assert_int_equal(res.duplicate, 0);
    assert_int_equal(res.added, 0);
    assert_int_equal(res.known, 3);
    assert_int_equal(res.charges, 0);
    reconcile_row(f, "USD", "2025-07", "100.00 100.00 18.50 0.00 81.50 0.00 100.00");

    /* The operator says the 3.50 was a refund of LB-240914-003 after all: fees 15.00, refunds
     * 3.50, net 100.00 - 15.00 - 3.50 = 81.50, difference -3.50, ratio 96.50 / 100.00 */
    assert_int_equal(cg_settle_match(f->s,
                                     scalar(f->db, "SELECT id FROM fx_receipt WHERE entry_key "
                                                   "LIKE '%:BOC250721003'"),
                                     "LB-240914-003", NULL, "a refund after all", &err),
                     CG_OK);
    reconcile_row(f, "USD", "2025-07", "100.00 100.00 15.00 3.50 81.50 -3.50 96.50");
    /* and over both months: refunds 3.50 + 28.00 = 31.50, net 53.50, difference -31.50, ratio
     * 68.50 */
    reconcile_row(f, "USD", "total", "100.00 100.00 15.00 31.50 53.50 -31.50 68.50");
}

static const char *table_cell(const struct cg_table *t, const char *key, const char *col);

/* The receipt numbers of t's rows, "3 5", and the rows of its part, "EUR 1 12.00; USD ...". */
static void table_rows(const struct cg_table *t, char *ids, char *part, size_t size)
{
    size_t r;

    ids[0] = part[0] = '\0';
    for (r = 0; r < t->nrows; r++)
        snprintf(ids + strlen(ids), size - strlen(ids), "%s%s", r ? " " : "",
                 t->cells[r * t->ncols]);
    assert_non_null(t->part);
    assert_int_equal(t->part->ncols, 3);
    for (r = 0; r < t->part->nrows; r++) {
        char **c = t->part->cells + r * 3;
        snprintf(part + strlen(part), size - strlen(part), "%s%s %s %s", r ? "; " : "", c[0], c[1],
                 c[2]);
    }
}

/*
 * report fx unmatched: the receipts to act on, without the bank's charges, which are counted
 * apart per currency with what is left of them (a charge partly matched by the operator to an
 * order as a refund shows the rest).
 */
static void test_unmatched_charges_apart(void **state)
{
    /* 100.00 for T1, charges of 15.00 and 3.50 by their words, 2.00 out to someone, 7.00 in
     * from a payer no order names: 0.00 + 100.00 - 15.00 - 3.50 - 2.00 + 7.00 = 86.50 */
    static const char usd[] = ":20:BOC2507310001\n:25:BKCHCNBJ/4561234567890\n"
                              ":28C:00123/1\n:60F:C250701USD0,00\n"
                              ":61:2507100710C100,00NTRFNONREF//BOC250710001\n"
                              ":86:PAYMENT T1 FROM BUYER ONE\n"
                              ":61:2507200720D15,00NMSCNONREF//BOC250720002\n"
                              ":86:SERVICE CHARGE\n"
                              ":61:2507210721D3,50NMSCNONREF//BOC250721003\n"
                              ":86:汇款手续费\n"
                              ":61:2507220722D2,00NMSCNONREF//BOC250722004\n"
                              ":86:COFFEE MACHINE\n"
                              ":61:2507230723C7,00NTRFNONREF//BOC250723005\n"
                              ":86:UNKNOWN PAYER\n"
                              ":62F:C250731USD86,50\n-\n";
    static const char eur[] =
        "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt>\n"
        "<Stmt><Id>S9</Id><Acct><Id><IBAN>GB29NWBK60161331926819</IBAN></Id></Acct>\n"
        "<Ntry><Amt Ccy=\"EUR\">12.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>"
        "<BookgDt><Dt>2025-09-30</Dt></BookgDt><AcctSvcrRef>GB0930A</AcctSvcrRef>"
        "<AddtlNtryInf>ACCOUNT MAINTENANCE FEE</AddtlNtryInf></Ntry>\n"
        "</Stmt></BkToCstmrStmt></Document>\n";
    struct fix *f = *state;
    struct cg_settle_import res;
    struct cg_table *t = NULL;
    struct cg_err err;
    char ids[200], part[200];

    add_order(f->db, 1, "USD", 10000, "20250702");
    assert_int_equal(import_as(f, "usd.sta", usd, &res), CG_OK);
    assert_int_equal(res.charges, 2);
    assert_int_equal(import_as(f, "eur.xml", eur, &res), CG_OK);
    assert_int_equal(res.charges, 1);
    assert_int_equal(cg_settle_report(f->s, CG_FXR_UNMATCHED, "2025-12-31", &t, &err), CG_OK);
    table_rows(t, ids, part, sizeof(ids));
    /* receipts 1 to 5 from the MT940 (1 paid T1; 2, 3 charges), 6 the EUR fee */
    assert_string_equal(ids, "4 5");
    assert_string_equal(t->id, "receipts");
    assert_string_equal(t->part->id, "bank_charges");
    assert_string_equal(t->part->cols[0], "currency");
    assert_string_equal(t->part->cols[1], "receipts");
    assert_string_equal(t->part->cols[2], "amount");
    /* EUR: 12.00; USD: 15.00 + 3.50 = 18.50 */
    assert_string_equal(part, "EUR 1 12.00; USD 2 18.50");
    cg_table_free(t);

    /* 5.00 of the service charge recorded as T1's refund: 10.00 of it left, 13.50 in all */
    assert_int_equal(cg_settle_match(f->s, 2, "T1", "5.00", "a refund in part", &err), CG_OK);
    assert_int_equal(cg_settle_report(f->s, CG_FXR_UNMATCHED, "2025-12-31", &t, &err), CG_OK);
    table_rows(t, ids, part, sizeof(ids));
    assert_string_equal(ids, "4 5");
    assert_string_equal(part, "EUR 1 12.00; USD 2 13.50");
    cg_table_free(t);

    /* every charge matched in full: none apart, the part has no row */
    assert_int_equal(cg_settle_match(f->s, 3, "T1", NULL, "a refund", &err), CG_OK);
    assert_int_equal(cg_settle_match(f->s, 2, "T1", NULL, "a refund", &err), CG_OK);
    assert_int_equal(cg_settle_report(f->s, CG_FXR_UNMATCHED, "2025-12-31", &t, &err), CG_OK);
    table_rows(t, ids, part, sizeof(ids));
    assert_string_equal(part, "EUR 1 12.00");
    cg_table_free(t);
}

/*
 * settle charge: an outgoing bank entry nothing of which is allocated becomes the bank's charge,
 * with who, the day and why; refused for money in, a collections CSV's refund, an allocated
 * debit (by settle/ and by the database itself) and a charge already. Then reconcile counts it
 * with the fees, matching never gives it to the order its text names, and report fx charges
 * lists it with its record.
 */
static void test_operator_charge(void **state)
{
    /* 100.00 for T1; 4.00 out "BANK INVOICE T1", no charge word: a refund of T1 at import */
    static const char usd[] = ":20:HK2507310001\n:25:HSBCHKHH/400123456777\n"
                              ":28C:7/1\n:60F:C250701USD0,00\n"
                              ":61:2507100710C100,00NTRFNONREF//HK250710001\n"
                              ":86:PAYMENT T1\n"
                              ":61:2507200720D4,00NMSCNONREF//HK250720002\n"
                              ":86:BANK INVOICE T1\n"
                              ":62F:C250731USD96,00\n-\n";
    struct fix *f = *state;
    struct cg_settle_import res;
    struct cg_table *t = NULL;
    struct cg_err err;
    long made = -1;

    add_order(f->db, 1, "USD", 10000, "20250702");
    assert_int_equal(import_as(f, "usd.sta", usd, &res), CG_OK);
    assert_int_equal(res.charges, 0);
    assert_int_equal(import(f, "out.csv",
                            "receipt_id,date,currency,amount,direction\n"
                            "X1,2025-07-05,USD,1.00,out\n"),
                     CG_OK);
    /* refunds 4.00 (T1's) + 1.00 (the CSV's): net 100.00 - 5.00 = 95.00, ratio 95.00 */
    reconcile_row(f, "USD", "2025-07", "100.00 100.00 0.00 5.00 95.00 -5.00 95.00");

    assert_int_equal(cg_settle_charge(f->s, 1, "ann", "invoice", &err), CG_EREJECT);
    assert_string_equal(err.msg, "receipt 1 is money in (USD 100.00 received): only money out "
                                 "can be the bank's charge");
    assert_int_equal(cg_settle_charge(f->s, 3, "ann", "invoice", &err), CG_EREJECT);
    assert_string_equal(err.msg, "receipt 3 is a refund of a payout report or collections CSV, "
                                 "not a bank entry: only a bank's debit can be the bank's charge");
    assert_int_equal(cg_settle_charge(f->s, 2, "ann", "invoice", &err), CG_EREJECT);
    assert_string_equal(err.msg, "receipt 2 is allocated (USD 4.00 to T1 of its USD 4.00): a "
                                 "charge is no order's money; take it back first (settle unmatch "
                                 "2 T1)");
    /* the database refuses it too, whoever asks */
    assert_int_equal(cg_store_fx_charge_mark(f->db, 2, "ann", "invoice", "2025-12-31", &err),
                     CG_EREJECT);
    assert_int_equal(cg_settle_charge(f->s, 9, "ann", "invoice", &err), CG_ENOTFOUND);
    assert_string_equal(err.msg, "receipt 9: no such receipt");
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM fx_receipt_charge"), 0);

    assert_int_equal(cg_settle_unmatch(f->s, 2, "T1", "the bank's invoice", &err), CG_OK);
    assert_int_equal(cg_settle_charge(f->s, 2, "ann", "invoice", &err), CG_OK);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM fx_receipt_charge WHERE receipt_id = 2 "
                                   "AND marked_by = 'ann' AND reason = 'invoice' AND marked_on = "
                                   "'2025-12-31'"),
                     1);
    assert_int_equal(cg_settle_charge(f->s, 2, "bob", "again", &err), CG_EREJECT);
    assert_string_equal(err.msg, "receipt 2 is the bank's charge already (recorded so by ann on "
                                 "2025-12-31: invoice)");
    /* fees 4.00, refunds 1.00: net 95.00, difference -1.00, ratio 99.00 */
    reconcile_row(f, "USD", "2025-07", "100.00 100.00 4.00 1.00 95.00 -1.00 99.00");
    /* matching passes it by, though its text names T1 */
    assert_int_equal(cg_settle_auto_match(f->s, &made, &err), CG_OK);
    assert_int_equal(made, 0);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM fx_allocation WHERE receipt_id = 2 AND "
                                   "removed_at IS NULL"),
                     0);
    assert_int_equal(cg_settle_report(f->s, CG_FXR_CHARGES, "2025-12-31", &t, &err), CG_OK);
    assert_int_equal(t->nrows, 1);
    assert_string_equal(table_cell(t, "2", "amount"), "4.00");
    assert_string_equal(table_cell(t, "2", "recorded"), "by ann on 2025-12-31: invoice");
    cg_table_free(t);
    /* records are never changed */
    assert_int_equal(sqlite3_exec(cg_db_handle(f->db->db),
                                  "UPDATE fx_receipt_charge SET reason = 'x'", NULL, NULL, NULL) &
                         0xff,
                     SQLITE_CONSTRAINT);
}

/* A statement imported for a seller is read with the seller's charge words, which replace the
 * default list. */
static void test_charge_words_seller(void **state)
{
    static const char st[] = ":20:IT2507310001\n:25:IT60X0542811101000000123456\n"
                             ":28C:00007/1\n:60F:C250701EUR50,00\n"
                             ":61:2507310731D4,00NMSCNONREF//IT250731001\n"
                             ":86:SPESE TENUTA CONTO\n"
                             ":61:2507310731D1,00NMSCNONREF//IT250731002\n"
                             ":86:SERVICE CHARGE\n"
                             ":62F:C250731EUR45,00\n-\n";
    struct fix *f = *state;
    struct cg_settle_import res;
    struct cg_err err;

    assert_int_equal(cg_conf_set(f->conf, "settle.acme", "charge_words", "SPESE", &err), CG_OK);
    cg_err_clear(&err);
    assert_int_equal(
        cg_settle_import(f->s, "acme", "it.sta", st, strlen(st), NULL, NULL, &res, &err), CG_OK);
    assert_int_equal(res.charges, 1);
    assert_int_equal(charges_of(f, "IT250731001"), 1);
    assert_int_equal(charges_of(f, "IT250731002"), 0);
    /* fees: the SPESE 4.00; refunds: the SERVICE CHARGE 1.00, a word acme's list does not have */
    reconcile_row(f, "EUR", "2025-07", "0.00 0.00 4.00 1.00 -5.00 -1.00 ");
}

/*
 * With [settle] charge_words empty a debit's text makes no charge: it stays money out. So was an
 * entry recorded by a cebgate from before the charge words: the statement imported again with
 * them finds it known, and the receipt stays as it was recorded.
 */
static void test_charge_words_off(void **state)
{
    static const char st[] = ":20:BOC2507310001\n:25:BKCHCNBJ/4561234567890\n"
                             ":28C:00123/1\n:60F:C250701USD0,00\n"
                             ":61:2507200720D15,00NMSCNONREF//BOC250720002\n"
                             ":86:SERVICE CHARGE\n"
                             ":62F:D250731USD15,00\n-\n";
    struct fix *f = *state;
    struct cg_settle_import res;
    struct cg_err err;

    char again[sizeof(st) + 8];

    assert_int_equal(cg_conf_set(f->conf, "settle", "charge_words", "", &err), CG_OK);
    assert_int_equal(import_as(f, "boc.sta", st, &res), CG_OK);
    reconcile_row(f, "USD", "2025-07", "0.00 0.00 0.00 15.00 -15.00 -15.00 ");

    assert_int_equal(cg_conf_set(f->conf, "settle", "charge_words", CG_SETTLE_CHARGE_WORDS, &err),
                     CG_OK);
    snprintf(again, sizeof(again), "%s", st);
    memcpy(strstr(again, ":28C:00123/1"), ":28C:00123/2", 12);
    assert_int_equal(import_as(f, "boc-again.sta", again, &res), CG_OK);
    assert_int_equal(res.added, 0);
    assert_int_equal(res.known, 1);
    assert_int_equal(charges_of(f, "BOC250720002"), 0);
    reconcile_row(f, "USD", "2025-07", "0.00 0.00 0.00 15.00 -15.00 -15.00 ");
}

/* ------------------------------------------------------------------ what an order expects */

/* The cells of order key in the orders report: "STATE DECLARED EXPECTED COLLECTED OPEN CHARGED". */
static void order_money(struct fix *f, const char *key, const char *want)
{
    static const char *const cols[] = {"state",     "declared", "expected",
                                       "collected", "open",     "charged"};
    struct cg_table *t = NULL;
    struct cg_err err;
    char got[256] = "";
    size_t k;

    assert_int_equal(cg_settle_report(f->s, CG_FXR_ORDERS, "2025-12-31", &t, &err), CG_OK);
    for (k = 0; k < sizeof(cols) / sizeof(cols[0]); k++)
        snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", k ? " " : "",
                 table_cell(t, key, cols[k]));
    cg_table_free(t);
    assert_string_equal(got, want);
}

/*
 * The rule of fx_expected (docs/settlement.md, "What an order is expected to bring"): without a
 * charge, declared - returned; with one and a refund the shop recorded, the charge less it; with
 * one and no such refund, the charge in the proportion of the declared value kept, rounded
 * half-up to the minor unit.
 */
static void test_expected_rule(void **state)
{
    (void)state;
    /* no charge: as before */
    assert_int_equal(fx_expected(false, 0, 0, 5500, 0), 5500);
    assert_int_equal(fx_expected(false, 0, 0, 5500, 2500), 3000);
    /* 2 x 25.00 less 10% (5.00), shipping 5.00, tax 4.00: declared 55.00, charged 54.00 */
    assert_int_equal(fx_expected(true, 5400, 0, 5500, 0), 5400);
    /* one shirt of 25.00 back: 54.00 x 30.00 / 55.00 = 29.4545... -> 29.45 */
    assert_int_equal(fx_expected(true, 5400, 0, 5500, 2500), 2945);
    /* 59.00 charged (4.00 tax) for 55.00, 5.00 back: 59.00 x 50.00 / 55.00 = 53.6363... -> 53.64 */
    assert_int_equal(fx_expected(true, 5900, 0, 5500, 500), 5364);
    /* half a cent goes up: 1.01 x 0.01 / 0.02 = 0.505 -> 0.51 */
    assert_int_equal(fx_expected(true, 101, 0, 2, 1), 51);
    /* everything back: nothing expected, whatever the tax or the discount */
    assert_int_equal(fx_expected(true, 5900, 0, 5500, 5500), 0);
    assert_int_equal(fx_expected(true, 5400, 0, 5500, 5500), 0);
    /* a charge for an order declared at 0.00 (nothing can be returned of it) */
    assert_int_equal(fx_expected(true, 700, 0, 0, 0), 700);
    /* a shirt at 25.00 + a gift card at 20.00 (not goods, not declared): declared 25.00,
     * charged 45.00; the shop refunds the gift card: 45.00 - 20.00 = 25.00 */
    assert_int_equal(fx_expected(true, 4500, 2000, 2500, 0), 2500);
    /* the shop's refund counts whatever was returned: 54.00 charged, one shirt of 25.00 back and
     * refunded by the shop at 24.50 (25.00 less its 2.50 of the discount, with its 2.00 of the
     * tax): 54.00 - 24.50 = 29.50, the shirt not taken off again in proportion (that would be
     * 29.50 x 30.00 / 55.00 = 16.09) */
    assert_int_equal(fx_expected(true, 5400, 2450, 5500, 2500), 2950);
    /* a refund of the shipping (5.00) with a return nobody refunded yet: the shop's figure */
    assert_int_equal(fx_expected(true, 5400, 500, 5500, 2500), 4900);
    /* all of it refunded: nothing expected */
    assert_int_equal(fx_expected(true, 5400, 5400, 5500, 0), 0);
    /* without a charge there is nothing the shop's refund is of: declared - returned */
    assert_int_equal(fx_expected(false, 0, 500, 5500, 2500), 3000);
}

/*
 * An order whose file gave the buyer's payment expects the charge, not the declared amount;
 * the declared amount stays what reconcile compares with (docs/settlement.md). Shopify-like
 * orders of USD, released 2025-07-02, tolerance 1.00:
 * T1: 2 x 25.00 less a 10% code (5.00) + 5.00 shipping + 4.00 tax: declared 55.00, charged
 *     54.00; 54.00 paid: COLLECTED.
 * T2: 1 x 80.00 less 20.00 + 10.00 shipping: declared 90.00, charged 70.00; 70.00 paid:
 *     COLLECTED (by the declared amount: 70.00 < 89.00, PARTIAL).
 * T3: 2 x 30.00 + 5.00 shipping + 13.00 tax: declared 65.00, charged 78.00; 78.00 paid:
 *     COLLECTED (by the declared amount: 78.00 > 66.00, OVER_COLLECTED).
 * T4: no payment in its file: declared 90.00, 70.00 paid: PARTIAL as before, charged empty.
 * Reconcile, July: declared 55 + 90 + 65 + 90 = 300.00, received 54 + 70 + 78 + 70 = 272.00,
 * ratio 272 / 300 = 90.666... -> 90.67 (the declared amounts, not the charges).
 * Returns: T1 one shirt back (25.00): expects 54.00 x 30.00 / 55.00 = 29.45, 54.00 got is over
 * 29.45 + 1.00; T3 all back (65.00, more than it would expect by charge minus returned but no
 * more than declared): expects 0.00; returns come off the declared in reconcile:
 * 300.00 - 25.00 - 65.00 = 210.00, ratio 272 / 210 = 129.5238... -> 129.52.
 */
static void test_expected_charge(void **state)
{
    struct fix *f = *state;
    struct cg_err err;
    char *text = NULL;

    add_order(f->db, 1, "USD", 5500, "20250702");
    add_order(f->db, 2, "USD", 9000, "20250702");
    add_order(f->db, 3, "USD", 6500, "20250702");
    add_order(f->db, 4, "USD", 9000, "20250702");
    exec(f->db, "UPDATE fx_declared SET pay_charge = 5400 WHERE order_id = 1;"
                "UPDATE fx_declared SET pay_charge = 7000 WHERE order_id = 2;"
                "UPDATE fx_declared SET pay_charge = 7800 WHERE order_id = 3;");
    order_money(f, "T1", "AWAITING 55.00 54.00 0.00 54.00 54.00");
    order_money(f, "T4", "AWAITING 90.00 90.00 0.00 90.00 ");
    assert_int_equal(import(f, "paid.csv",
                            "receipt_id,date,currency,amount,order_no\n"
                            "P1,2025-07-05,USD,54.00,T1\n"
                            "P2,2025-07-05,USD,70.00,T2\n"
                            "P3,2025-07-05,USD,78.00,T3\n"
                            "P4,2025-07-05,USD,70.00,T4\n"),
                     CG_OK);
    order_money(f, "T1", "COLLECTED 55.00 54.00 54.00 0.00 54.00");
    order_money(f, "T2", "COLLECTED 90.00 70.00 70.00 0.00 70.00");
    order_money(f, "T3", "COLLECTED 65.00 78.00 78.00 0.00 78.00");
    order_money(f, "T4", "PARTIAL 90.00 90.00 70.00 20.00 ");
    reconcile_row(f, "USD", "2025-07", "300.00 272.00 0.00 0.00 272.00 -28.00 90.67");

    assert_int_equal(cg_settle_explain(f->s, "T1", NULL, &text, &err), CG_OK);
    assert_non_null(strstr(text, "declared USD 55.00, released 2025-07-02"));
    assert_non_null(strstr(text, "\ncharged USD 54.00 (what the buyer paid, from the order "
                                 "file's payment)\nexpected USD 54.00 (the charge, in proportion "
                                 "to the declared value kept; returned goods 0.00)\n"));
    free(text);
    assert_int_equal(cg_settle_explain(f->s, "T4", NULL, &text, &err), CG_OK);
    assert_null(strstr(text, "charged"));
    assert_non_null(strstr(text, "\nexpected USD 90.00 (returned goods 0.00)\n"));
    free(text);

    assert_int_equal(cg_settle_mark(f->s, "T1", CG_MARK_RETURNED, "25.00", "one shirt", &err),
                     CG_OK);
    order_money(f, "T1", "OVER_COLLECTED 55.00 29.45 54.00 0.00 54.00");
    assert_int_equal(cg_settle_mark(f->s, "T3", CG_MARK_RETURNED, "65.01", "all", &err),
                     CG_EREJECT);
    assert_string_equal(err.msg,
                        "returned value is more than the USD declared and not returned yet");
    assert_int_equal(cg_settle_mark(f->s, "T3", CG_MARK_RETURNED, "65.00", "all", &err), CG_OK);
    order_money(f, "T3", "OVER_COLLECTED 65.00 0.00 78.00 0.00 78.00");
    assert_int_equal(cg_settle_mark(f->s, "T4", CG_MARK_RETURNED, "90.01", "more", &err),
                     CG_EREJECT);
    assert_string_equal(err.msg, "returned value is more than the USD expected");
    reconcile_row(f, "USD", "2025-07", "210.00 272.00 0.00 0.00 272.00 62.00 129.52");
}

/* ------------------------------------------------------------------ rounding */

static void test_conversion_rounding(void **state)
{
    struct fix *f = *state;

    assert_int_equal(import(f, "hold.csv",
                            "receipt_id,date,currency,amount\n"
                            "H1,2025-03-01,USD,1000.00\n"
                            "H2,2025-03-01,JPY,1000\n"
                            "H3,2025-03-01,KWD,10.000\n"),
                     CG_OK);
    /* T1 of the worked scenarios: 102.00 x 7.1500 = 729.30 exactly */
    assert_int_equal(convert(f, "USD", "102.00", "7.1500"), 72930);
    /* 0.01 x 0.5 = 0.005 CNY: half away from zero gives 0.01 */
    assert_int_equal(convert(f, "USD", "0.01", "0.5"), 1);
    /* 0.01 x 0.49999 = 0.0049999: 0.00 */
    assert_int_equal(convert(f, "USD", "0.01", "0.49999"), 0);
    /* a currency without decimals: JPY 1 x 0.04925 = 0.04925 CNY -> 0.05 */
    assert_int_equal(convert(f, "JPY", "1", "0.04925"), 5);
    /* three decimals: KWD 1.234 x 23.45678 = 28.94566652 -> 28.95 */
    assert_int_equal(convert(f, "KWD", "1.234", "23.45678"), 2895);
    /* more than 5 rate decimals is refused, not rounded: the argument's form (usage) */
    assert_int_equal(convert(f, "USD", "1.00", "7.123456"), CG_EINVAL);
    /* more decimals than the currency has */
    assert_int_equal(convert(f, "JPY", "1.5", "0.05"), CG_EINVAL);
    /* beyond the holding: 1000.00 - 102.00 - 0.01 - 0.01 = 897.98 held */
    assert_int_equal(convert(f, "USD", "897.99", "7"), CG_EREJECT);
    assert_int_equal(convert(f, "USD", "897.98", "7"), 628586);
    assert_int_equal(convert(f, "USD", "0.01", "7"), CG_EREJECT);
}

/* The text of a one-value query, "" for NULL, into buf. */
static const char *text_of(struct cg_store *db, const char *sql, char *buf, size_t size)
{
    sqlite3_stmt *st = NULL;
    const unsigned char *v;

    assert_int_equal(sqlite3_prepare_v2(cg_db_handle(db->db), sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    v = sqlite3_column_text(st, 0);
    snprintf(buf, size, "%s", v != NULL ? (const char *)v : "");
    sqlite3_finalize(st);
    return buf;
}

/*
 * Rule 4 of docs/settlement.md, "Matching": a receipt naming no order goes to the one released
 * order of its currency that nothing was received for yet, expecting its gross or its net, and
 * released at most match_window_days (120) before its value day; two such orders or none: it
 * stays unmatched.
 */
static void test_match_amount_date(void **state)
{
    struct fix *f = *state;
    char got[512];

    add_order(f->db, 1, "USD", 5000, "20250301");
    add_order(f->db, 2, "USD", 6000, "20250301");
    add_order(f->db, 3, "USD", 6000, "20250302");
    add_order(f->db, 4, "USD", 7000, "20241010"); /* 151 days before 2025-03-10 */
    add_order(f->db, 5, "EUR", 8000, "20250301");
    add_order(f->db, 6, "USD", 9000, "20250301");
    add_order(f->db, 7, "USD", 4000, "20250301");
    add_order(f->db, 8, "USD", 3000, "20250301");
    add_order(f->db, 9, "USD", 2000, "20250309");
    add_order(f->db, 10, "USD", 2000, "20250312"); /* released after the value day */
    assert_int_equal(import(f, "pay.csv",
                            "receipt_id,date,currency,amount,fee,order_no\n"
                            "R0,2025-03-10,USD,10.00,,T6\n"   /* line 2: T6 by reference */
                            "R1,2025-03-10,USD,50.00,,\n"     /* 3: T1, the one of 50.00 */
                            "R2,2025-03-10,USD,60.00,,\n"     /* 4: T2 and T3: none */
                            "R3,2025-03-10,USD,70.00,,\n"     /* 5: T4 outside the window */
                            "R4,2025-03-10,USD,80.00,,\n"     /* 6: T5 is in EUR */
                            "R5,2025-03-10,EUR,80.00,,\n"     /* 7: T5 */
                            "R6,2025-03-10,USD,40.00,1.50,\n" /* 8: T7 by gross */
                            "R7,2025-03-10,USD,31.00,1.00,\n" /* 9: T8 by net */
                            "R8,2025-03-10,USD,90.00,,\n"     /* 10: T6 was paid in part */
                            "R9,2025-03-10,USD,20.00,,\n"),   /* 11: T9, T10 not released yet */
                     CG_OK);
    assert_string_equal(
        text_of(f->db,
                "SELECT group_concat(x, ' ') FROM (SELECT r.line || '>' || o.order_no || ' ' || "
                "a.kind || ' ' || a.amount_rcpt || ' ' || a.cause AS x FROM fx_allocation a "
                "JOIN fx_receipt r ON r.id = a.receipt_id JOIN orders o ON o.id = a.order_id "
                "ORDER BY r.line, a.kind)",
                got, sizeof(got)),
        "2>T6 PRINCIPAL 1000 auto:reference "
        "3>T1 PRINCIPAL 5000 auto:amount and date "
        "7>T5 PRINCIPAL 8000 auto:amount and date "
        "8>T7 FEE_NETTED 150 auto:amount and date 8>T7 PRINCIPAL 3850 auto:amount and date "
        "9>T8 FEE_NETTED 100 auto:amount and date 9>T8 PRINCIPAL 3000 auto:amount and date "
        "11>T9 PRINCIPAL 2000 auto:amount and date");
}

struct nest_ctx {
    struct cg_store *db;
    int outer, inner;
};

static int nest_inner(void *vctx, const struct cg_fx_order *o)
{
    struct nest_ctx *c = vctx;

    (void)o;
    c->inner++;
    return 0;
}

static int nest_outer(void *vctx, const struct cg_fx_order *o)
{
    struct nest_ctx *c = vctx;
    struct cg_err err;

    (void)o;
    if (++c->outer > 3)
        return -1; /* the outer query started again: it lost its place */
    return cg_store_fx_orders_each(c->db, nest_inner, c, &err);
}

static int add_statement(struct cg_store *db, void *ctx, struct cg_err *err)
{
    long long id;

    return cg_store_fx_statement_add(db, "", "csv", ctx, ctx, NULL, 0, &id, err);
}

/*
 * The store keeps the statements of settle/ prepared (store_keep): a query run inside the
 * callback of the same query gets a statement of its own, and a statement writing the time of
 * its unit of work (:now) writes each unit's own, not the time it was prepared in.
 */
static void test_kept_statements(void **state)
{
    struct fix *f = *state;
    struct nest_ctx c = {f->db, 0, 0};
    struct cg_err err;
    struct timespec ts;
    char first[32], now[32], got[64], s1[] = "s1", s2[] = "s2";

    add_order(f->db, 1, "USD", 5000, "20250301");
    add_order(f->db, 2, "USD", 6000, "20250301");
    add_order(f->db, 3, "USD", 7000, "20250301");
    assert_int_equal(cg_store_fx_orders_each(f->db, nest_outer, &c, &err), CG_OK);
    assert_int_equal(c.outer, 3);
    assert_int_equal(c.inner, 9);

    assert_int_equal(cg_store_tx(f->db, add_statement, s1, &err), CG_OK);
    text_of(f->db, "SELECT imported_at FROM fx_statement WHERE sha256 = 's1'", first,
            sizeof(first));
    do { /* until the clock shows another millisecond */
        clock_gettime(CLOCK_REALTIME, &ts);
        store_time(&ts, now, sizeof(now));
    } while (strcmp(now, first) <= 0);
    assert_int_equal(cg_store_tx(f->db, add_statement, s2, &err), CG_OK);
    text_of(f->db, "SELECT imported_at FROM fx_statement WHERE sha256 = 's2'", got, sizeof(got));
    assert_true(strcmp(got, now) >= 0);
}

static void test_cross_currency_rounding(void **state)
{
    struct fix *f = *state;
    struct cg_err err;
    long long r;

    add_order(f->db, 1, "USD", 500000, "20250602");
    add_order(f->db, 2, "USD", 100, "20250602");
    assert_int_equal(import(f, "x.csv",
                            "receipt_id,date,currency,amount,order_no\n"
                            "X1,2025-06-20,EUR,4600.00,T1\n"
                            "X2,2025-06-20,GBP,0.03,T2\n"),
                     CG_OK);
    assert_int_equal(cg_settle_rate_set(f->s, "EUR", "2025-06-20", "7.8000", "bank", &err), CG_OK);
    assert_int_equal(cg_settle_rate_set(f->s, "USD", "2025-06-20", "7.1000", "bank", &err), CG_OK);
    assert_int_equal(cg_settle_rate_set(f->s, "GBP", "2025-06-20", "1", "bank", &err), CG_OK);
    r = scalar(f->db, "SELECT id FROM fx_receipt WHERE entry_key LIKE '%:X1'");
    assert_int_equal(cg_settle_confirm(f->s, r, NULL, &err), CG_OK);
    /* 4600.00 x 7.8 / 7.1 = 5053.5211...: USD 5053.52, CNY 35880.00 */
    assert_int_equal(scalar(f->db, "SELECT amount_order FROM fx_allocation WHERE receipt_id = "
                                   "(SELECT id FROM fx_receipt WHERE entry_key LIKE '%:X1')"),
                     505352);
    assert_int_equal(scalar(f->db, "SELECT cny FROM fx_allocation WHERE receipt_id = "
                                   "(SELECT id FROM fx_receipt WHERE entry_key LIKE '%:X1')"),
                     3588000);
    /* GBP 0.03 at 1 CNY, USD at 2 CNY: 0.015 -> 0.02 (half away from zero, once) */
    assert_int_equal(cg_settle_rate_set(f->s, "USD", "2025-06-20", "2", "bank", &err), CG_OK);
    r = scalar(f->db, "SELECT id FROM fx_receipt WHERE entry_key LIKE '%:X2'");
    assert_int_equal(cg_settle_confirm(f->s, r, "T2", &err), CG_OK);
    assert_int_equal(scalar(f->db, "SELECT amount_order FROM fx_allocation WHERE receipt_id = "
                                   "(SELECT id FROM fx_receipt WHERE entry_key LIKE '%:X2')"),
                     2);
    /* confirming again: nothing waits */
    assert_int_equal(cg_settle_confirm(f->s, r, NULL, &err), CG_ENOTFOUND);
}

/* The trigger refuses what settle/ would never write: the database keeps the invariant. */
static void test_database_refuses_over_allocation(void **state)
{
    struct fix *f = *state;
    struct cg_fx_alloc a;
    struct cg_err err;
    long long id;

    add_order(f->db, 1, "USD", 20000, "20250301");
    assert_int_equal(
        import(f, "r.csv", "receipt_id,date,currency,amount,fee\nR1,2025-03-10,USD,100.00,2.00\n"),
        CG_OK);
    id = scalar(f->db, "SELECT id FROM fx_receipt");
    memset(&a, 0, sizeof(a));
    a.receipt_id = id;
    a.order_id = 1;
    a.kind = "PRINCIPAL";
    a.amount_rcpt = 9801; /* net is 98.00 */
    a.has_order_amount = 1;
    a.amount_order = 9801;
    a.cause = "test";
    assert_int_equal(cg_store_fx_alloc_add(f->db, &a, NULL, &err), CG_EREJECT);
    a.amount_rcpt = a.amount_order = 9800;
    assert_int_equal(cg_store_fx_alloc_add(f->db, &a, NULL, &err), CG_OK);
    a.kind = "FEE_NETTED";
    a.amount_rcpt = a.amount_order = 201;
    assert_int_equal(cg_store_fx_alloc_add(f->db, &a, NULL, &err), CG_EREJECT);
    a.kind = "REFUND_OUT"; /* an incoming receipt cannot pay a refund */
    a.amount_rcpt = a.amount_order = 1;
    assert_int_equal(cg_store_fx_alloc_add(f->db, &a, NULL, &err), CG_EREJECT);
    exec(f->db, "INSERT INTO fx_settlement(currency, amount, cny, rate, settled_on, created_at) "
                "VALUES ('USD', 9800, 1, '1', '2025-03-10', 'x')");
    assert_int_not_equal(sqlite3_exec(cg_db_handle(f->db->db),
                                      "INSERT INTO fx_settlement(currency, amount, cny, rate, "
                                      "settled_on, created_at) VALUES ('USD', 1, 1, '1', "
                                      "'2025-03-10', 'x')",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
    /* receipts and events cannot be changed afterwards */
    assert_int_not_equal(
        sqlite3_exec(cg_db_handle(f->db->db), "UPDATE fx_receipt SET net = 1", NULL, NULL, NULL),
        SQLITE_OK);
}

/* ------------------------------------------------------------------ random sequences */

static unsigned long rnd_state;
/* What the sequences did, so a run that exercises nothing fails. */
static long seen_refused, seen_ok, seen_cross, seen_partial, seen_over, seen_collected;

static unsigned long rnd(unsigned long n)
{
    rnd_state = rnd_state * 6364136223846793005UL + 1442695040888963407UL;
    return (unsigned long)(rnd_state >> 33) % n;
}

static const char *const curs[] = {"USD", "EUR", "GBP"};

/* The state docs/settlement.md defines, from the raw rows (tolerance 1.00, no deadline). */
static const char *expected_state(struct cg_store *db, int id)
{
    char sql[1024];
    long long declared, principal, fees, refunds, returned, explained, deemed, unc, tol = 100;
    long long got, expected;

#define Q(...) (snprintf(sql, sizeof(sql), __VA_ARGS__), scalar(db, sql))
    declared = Q("SELECT amount FROM fx_declared WHERE order_id = %d", id);
    principal = Q("SELECT coalesce(sum(amount_order), 0) FROM fx_allocation WHERE order_id = %d "
                  "AND removed_at IS NULL AND kind = 'PRINCIPAL'",
                  id);
    fees = Q("SELECT coalesce(sum(amount_order), 0) FROM fx_allocation WHERE order_id = %d AND "
             "removed_at IS NULL AND kind = 'FEE_NETTED'",
             id);
    refunds = Q("SELECT coalesce(sum(amount_order), 0) FROM fx_allocation WHERE order_id = %d "
                "AND removed_at IS NULL AND kind = 'REFUND_OUT'",
                id);
    returned = Q("SELECT coalesce(sum(amount), 0) FROM fx_adjust WHERE order_id = %d AND kind = "
                 "'RETURNED'",
                 id);
    explained = Q("SELECT coalesce(sum(amount), 0) FROM fx_adjust WHERE order_id = %d AND kind "
                  "IN ('FX_DIFF', 'FREIGHT')",
                  id);
    deemed = Q("SELECT count(*) FROM fx_adjust WHERE order_id = %d AND kind = 'DEEMED'", id);
    unc = Q("SELECT count(*) FROM fx_adjust WHERE order_id = %d AND kind = 'UNCOLLECTIBLE'", id);
#undef Q
    expected = declared - returned;
    got = principal + fees - refunds - explained;
    if (unc > 0)
        return "UNCOLLECTIBLE";
    if (deemed > 0)
        return "DEEMED_COLLECTED";
    if (got > expected + tol)
        return "OVER_COLLECTED";
    if (got >= expected - tol)
        return "COLLECTED";
    return got <= 0 ? "AWAITING" : "PARTIAL";
}

static void check_invariants(struct fix *f, int step)
{
    struct cg_table *t = NULL;
    struct cg_err err;
    size_t r;

    /* no receipt allocated beyond its amount */
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM fx_receipt r WHERE r.net < (SELECT "
                                   "coalesce(sum(amount_rcpt), 0) FROM fx_allocation WHERE "
                                   "receipt_id = r.id AND removed_at IS NULL AND kind <> "
                                   "'FEE_NETTED') OR r.fee < (SELECT coalesce(sum(amount_rcpt), "
                                   "0) FROM fx_allocation WHERE receipt_id = r.id AND removed_at "
                                   "IS NULL AND kind = 'FEE_NETTED')"),
                     0);
    /* refunds only from money paid out, principal and fees only from money received */
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM fx_allocation a JOIN fx_receipt r ON "
                                   "r.id = a.receipt_id WHERE (a.kind = 'REFUND_OUT') <> "
                                   "(r.direction = 'out')"),
                     0);
    /* the payment record (what a CEB403 declares) is what the allocations imply: principal
     * and fees netted minus refunds, never below zero; every order holding money has one */
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM fx_declared d LEFT JOIN fx_payment p ON "
                                   "p.order_id = d.order_id WHERE coalesce(p.amount, 0) <> max(0, "
                                   "(SELECT coalesce(sum(CASE kind WHEN 'REFUND_OUT' THEN "
                                   "-amount_order ELSE amount_order END), 0) FROM fx_allocation a "
                                   "WHERE a.order_id = d.order_id AND a.removed_at IS NULL AND "
                                   "a.amount_order IS NOT NULL))"),
                     0);
    /* a refund never takes an order's collected amount below zero */
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM fx_declared d WHERE (SELECT "
                                   "coalesce(sum(CASE kind WHEN 'REFUND_OUT' THEN -amount_order "
                                   "ELSE amount_order END), 0) FROM fx_allocation a WHERE "
                                   "a.order_id = d.order_id AND a.removed_at IS NULL AND "
                                   "a.amount_order IS NOT NULL) < 0"),
                     0);
    /* the balance kept per currency (settle step 14) is what the receipts and settlements add
     * up to, a currency for each that has any */
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM (SELECT currency FROM fx_receipt UNION "
                                   "SELECT currency FROM fx_settlement) c LEFT JOIN fx_holding h "
                                   "USING (currency) WHERE h.currency IS NULL OR h.received <> "
                                   "(SELECT coalesce(sum(net), 0) FROM fx_receipt WHERE currency "
                                   "= c.currency AND direction = 'in') OR h.paid_out <> (SELECT "
                                   "coalesce(sum(net), 0) FROM fx_receipt WHERE currency = "
                                   "c.currency AND direction = 'out') OR h.settled <> (SELECT "
                                   "coalesce(sum(amount), 0) FROM fx_settlement WHERE currency = "
                                   "c.currency) OR h.cny <> (SELECT coalesce(sum(cny), 0) FROM "
                                   "fx_settlement WHERE currency = c.currency) OR h.settlements "
                                   "<> (SELECT count(*) FROM fx_settlement WHERE currency = "
                                   "c.currency)"),
                     0);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM fx_holding"),
                     scalar(f->db, "SELECT count(*) FROM (SELECT currency FROM fx_receipt UNION "
                                   "SELECT currency FROM fx_settlement)"));
    /* each order's state is what its allocations imply */
    assert_int_equal(cg_settle_report(f->s, CG_FXR_ORDERS, "2025-12-31", &t, &err), CG_OK);
    assert_int_equal(t->nrows, NORDERS);
    for (r = 0; r < t->nrows; r++) {
        int id = (int)strtol(t->cells[r * t->ncols] + 1, NULL, 10);
        const char *want = expected_state(f->db, id);
        seen_partial += strcmp(want, "PARTIAL") == 0;
        seen_over += strcmp(want, "OVER_COLLECTED") == 0;
        seen_collected += strcmp(want, "COLLECTED") == 0;
        if (strcmp(t->cells[r * t->ncols + 4], want) != 0)
            fail_msg("step %d: order T%d is %s, its allocations say %s", step, id,
                     t->cells[r * t->ncols + 4], want);
    }
    cg_table_free(t);
}

/* The cell of column col in the row whose first cell is key ("" when there is none). */
static const char *table_cell(const struct cg_table *t, const char *key, const char *col)
{
    size_t r, c;

    for (c = 0; c < t->ncols && strcmp(t->cols[c], col) != 0; c++)
        ;
    for (r = 0; c < t->ncols && r < t->nrows; r++) {
        if (strcmp(t->cells[r * t->ncols], key) == 0)
            return t->cells[r * t->ncols + c];
    }
    return "";
}

/*
 * Aging as of a UTC day counts an order released by the end of that day, though its China
 * release date is the next day, and ages it from its release instant in UTC days:
 * T1 released 2026-03-10 02:00 China = 2026-03-09 18:00 UTC: 0 days on 2026-03-09;
 * T2 released 2026-01-08 03:00 China = 2026-01-07 19:00 UTC: 24 + 28 + 9 = 61 days (61-90);
 * T3 released 2026-03-10 10:00 China = 2026-03-10 02:00 UTC: after 2026-03-09, not counted.
 */
static void test_aging_release_china_time(void **state)
{
    struct fix *f = *state;
    struct cg_table *t = NULL;
    struct cg_err err;

    add_order_at(f->db, 1, "USD", 12345, "20260310020000");
    add_order_at(f->db, 2, "USD", 5000, "20260108030000000");
    add_order_at(f->db, 3, "USD", 700, "20260310100000");
    assert_int_equal(cg_settle_report(f->s, CG_FXR_AGING, "2026-03-09", &t, &err), CG_OK);
    assert_int_equal(t->nrows, 1);
    assert_string_equal(table_cell(t, "USD", "0-30"), "123.45");
    assert_string_equal(table_cell(t, "USD", "31-60"), "0.00");
    assert_string_equal(table_cell(t, "USD", "61-90"), "50.00");
    assert_string_equal(table_cell(t, "USD", "total"), "173.45");
    assert_string_equal(table_cell(t, "USD", "orders"), "2");
    cg_table_free(t);
    /* the release day shown and the deadlines stay the China date */
    assert_int_equal(cg_settle_report(f->s, CG_FXR_ORDERS, "2026-03-09", &t, &err), CG_OK);
    assert_string_equal(table_cell(t, "T1", "released"), "2026-03-10");
    assert_string_equal(table_cell(t, "T1", "tax_deadline"), "2027-04-30");
    assert_string_equal(table_cell(t, "T2", "released"), "2026-01-08");
    cg_table_free(t);
}

/* Orders from + 1 to to, USD 10.00 + i cents, each paid in full by receipt 1 (value day
   2025-03-10), order 1 partly by receipt 2 too (2025-03-11). */
static void add_paid_orders(struct fix *f, int from, int to)
{
    char sql[512];
    int i;

    exec(f->db, "INSERT OR IGNORE INTO fx_statement(id, seller, kind, name, sha256, entries, "
                "imported_at) VALUES (1, '', 'csv', 's.csv', 'x', 2, 'x');"
                "INSERT OR IGNORE INTO fx_receipt(id, statement_id, seller, entry_key, line, "
                "direction, currency, gross, fee, net, booked_on, value_on, created_at) VALUES "
                "(1, 1, '', 'K1', 2, 'in', 'USD', 100000000, 0, 100000000, '2025-03-10', "
                "'2025-03-10', 'x'), (2, 1, '', 'K2', 3, 'in', 'USD', 500, 0, 500, '2025-03-11', "
                "'2025-03-11', 'x')");
    for (i = from + 1; i <= to; i++) {
        add_order(f->db, i, "USD", 1000 + i, "20250301");
        snprintf(sql, sizeof(sql),
                 "INSERT INTO fx_allocation(receipt_id, order_id, kind, amount_rcpt, amount_order, "
                 "cause, created_at) VALUES (1, %d, 'PRINCIPAL', %d, %d, 'test', 'x')",
                 i, 1000 + i, 1000 + i);
        exec(f->db, sql);
    }
}

/* The virtual machine steps (hundreds) of the orders report as of 2025-12-31. */
static long orders_report_steps(struct fix *f, size_t want_rows, struct cg_table **out)
{
    struct cg_err err;
    long steps = 0;

    sqlite3_progress_handler(cg_db_handle(f->db->db), 100, count_steps, &steps);
    assert_int_equal(cg_settle_report(f->s, CG_FXR_ORDERS, "2025-12-31", out, &err), CG_OK);
    sqlite3_progress_handler(cg_db_handle(f->db->db), 0, NULL, NULL);
    assert_int_equal((*out)->nrows, want_rows);
    return steps;
}

/*
 * The orders report reads each order's allocations by the order and the day of each receipt's
 * bank rate with the allocation: its work grows with the orders. Before, each order read every
 * allocation (the order-or-any filter kept the index out) and each allocation's receipt with the
 * sum of all the receipt's allocations, so twice the orders paid by one receipt took four times
 * the work. The figures: USD 10.05 at the bank's 7.1 is CNY 71.355, CNY 71.36 rounded half up;
 * T1's second receipt has no rate for its day, which is named.
 */
static void test_orders_report_grows_with_orders(void **state)
{
    struct fix *f = *state;
    struct cg_table *t = NULL;
    struct cg_err err;
    long small, big;

    add_paid_orders(f, 0, 300);
    exec(f->db, "INSERT INTO fx_allocation(receipt_id, order_id, kind, amount_rcpt, amount_order, "
                "cause, created_at) VALUES (2, 1, 'PRINCIPAL', 500, 500, 'test', 'x')");
    assert_int_equal(cg_settle_rate_set(f->s, "USD", "2025-03-10", "7.1", "bank", &err), CG_OK);
    small = orders_report_steps(f, 300, &t);
    assert_string_equal(table_cell(t, "T5", "collected"), "10.05");
    assert_string_equal(table_cell(t, "T5", "collected_cny_bank"), "71.36");
    assert_string_equal(table_cell(t, "T5", "flags"), "");
    assert_string_equal(table_cell(t, "T1", "collected"), "15.01");
    assert_string_equal(table_cell(t, "T1", "collected_cny_bank"), "");
    assert_string_equal(table_cell(t, "T1", "flags"), "no bank rate USD 2025-03-11");
    cg_table_free(t);
    add_paid_orders(f, 300, 600);
    big = orders_report_steps(f, 600, &t);
    assert_string_equal(table_cell(t, "T600", "collected_cny_bank"), "113.60");
    cg_table_free(t);
    /* in proportion: twice the work and a little more, not four times */
    if (big > small * 5 / 2)
        fail_msg("300 orders: %ld00 steps, 600 orders: %ld00", small, big);
}

/* The state and tax deadline of order key in the orders report as of day, as "STATE DEADLINE". */
static void order_state(struct fix *f, const char *key, const char *day, const char *want)
{
    struct cg_table *t = NULL;
    struct cg_err err;
    char got[64];

    assert_int_equal(cg_settle_report(f->s, CG_FXR_ORDERS, day, &t, &err), CG_OK);
    snprintf(got, sizeof(got), "%s %s", table_cell(t, key, "state"),
             table_cell(t, key, "tax_deadline"));
    cg_table_free(t);
    assert_string_equal(got, want);
}

/* The tick as of day: "overdue credit_due credit_late late". */
static void tick_counts(struct fix *f, const char *day, const char *want)
{
    struct cg_settle_tick res;
    struct cg_err err;
    char got[64];

    assert_int_equal(cg_settle_tick(f->s, day, &res, &err), CG_OK);
    snprintf(got, sizeof(got), "%ld %ld %ld %ld", res.overdue, res.credit_due, res.credit_late,
             res.late);
    assert_string_equal(got, want);
}

/*
 * A deadline is a China date D; it passes at the end of D in China time (16:00 UTC on D). A
 * report or tick as of a UTC day A is as at the end of A, when the China date is A + 1: the
 * deadline has passed as of A when A + 1 > D.
 * T3 released 2025-12-31 23:30 China (15:30 UTC): tax deadline 2026-04-30, 60 days end 2026-03-01;
 * T4 released 2026-01-01 00:30 China (2025-12-31 16:30 UTC): deadline 2027-04-30, 2026-03-02.
 * As of 2026-04-29 (China 2026-04-30 at its end) T3 is in time; as of 2026-04-30 (China
 * 2026-05-01) it is OVERDUE, AWAITING before; T4 one year later. Not collected 60 days after
 * release (overdue_days): China date - release day > 60, i.e. as of 2026-03-01 for T3 (China
 * 03-02 - 12-31 = 61), 2026-03-02 for T4 (03-03 - 01-01 = 61); as of 2026-02-28 neither (60).
 */
static void test_tax_deadline_china_date(void **state)
{
    struct fix *f = *state;

    add_order_at(f->db, 3, "USD", 10000, "20251231233000");
    add_order_at(f->db, 4, "USD", 10000, "20260101003000");
    tick_counts(f, "2026-02-28", "0 0 0 0");
    tick_counts(f, "2026-03-01", "0 0 0 1");
    tick_counts(f, "2026-03-02", "0 0 0 1");
    order_state(f, "T3", "2026-04-29", "AWAITING 2026-04-30");
    order_state(f, "T4", "2026-04-29", "AWAITING 2027-04-30");
    order_state(f, "T3", "2026-04-30", "OVERDUE 2026-04-30");
    order_state(f, "T4", "2026-04-30", "AWAITING 2027-04-30");
    tick_counts(f, "2026-04-29", "0 0 0 0");
    tick_counts(f, "2026-04-30", "1 0 0 0");
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM fx_event e JOIN orders o ON o.id = "
                                   "e.order_id WHERE o.order_no = 'T3' AND cause_ref = "
                                   "'tax-deadline' AND from_state = 'AWAITING' AND to_state = "
                                   "'OVERDUE' AND occurred_on = '2026-04-30'"),
                     1);
    order_state(f, "T4", "2027-04-29", "AWAITING 2027-04-30");
    order_state(f, "T4", "2027-04-30", "OVERDUE 2027-04-30");
    tick_counts(f, "2027-04-29", "0 0 0 0");
    tick_counts(f, "2027-04-30", "1 0 0 0");
}

/*
 * The deferred-receipt report (terms 120 > credit 90 days) is due 30 days after the China
 * release day and late once the China date at the end of the as-of day is past it:
 * T1 released 2026-03-10 23:30 China (15:30 UTC), due 2026-04-09;
 * T2 released 2026-03-11 00:30 China (2026-03-10 16:30 UTC), due 2026-04-10.
 * As of 2026-04-08 (China 04-09 at its end) both are due; as of 2026-04-09 (China 04-10) T1 is
 * OVERDUE, T2 due; as of 2026-04-10 (China 04-11) both OVERDUE. The tick agrees.
 */
static void test_credit_report_china_date(void **state)
{
    struct fix *f = *state;
    struct cg_table *t = NULL;
    struct cg_err err;
    static const struct {
        const char *day, *t1, *t2;
    } want[] = {
        {"2026-04-08", "due", "due"},
        {"2026-04-09", "OVERDUE", "due"},
        {"2026-04-10", "OVERDUE", "OVERDUE"},
    };
    size_t i;

    assert_int_equal(cg_conf_set(f->conf, "settle", "terms_days", "120", &err), CG_OK);
    add_order_at(f->db, 1, "USD", 10000, "20260310233000");
    add_order_at(f->db, 2, "USD", 10000, "20260311003000");
    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_int_equal(cg_settle_report(f->s, CG_FXR_CREDIT, want[i].day, &t, &err), CG_OK);
        assert_int_equal(t->nrows, 2);
        assert_string_equal(table_cell(t, "T1", "released"), "2026-03-10");
        assert_string_equal(table_cell(t, "T1", "report_due"), "2026-04-09");
        assert_string_equal(table_cell(t, "T2", "released"), "2026-03-11");
        assert_string_equal(table_cell(t, "T2", "report_due"), "2026-04-10");
        assert_string_equal(table_cell(t, "T1", "status"), want[i].t1);
        assert_string_equal(table_cell(t, "T2", "status"), want[i].t2);
        cg_table_free(t);
    }
    tick_counts(f, "2026-04-08", "0 2 0 0");
    tick_counts(f, "2026-04-09", "0 0 1 0");
    tick_counts(f, "2026-04-10", "0 0 1 0");
}

/* The China date (UTC+8) days before now, as YYYYMMDD. */
static void china_day_before(long days, char *out, size_t size)
{
    time_t t = time(NULL) + 8 * 3600 - (time_t)days * 86400;
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, size, "%Y%m%d", &tm);
}

/*
 * Without an as-of day the report is as at now, not at the end of the UTC day: a report due on
 * today's China date is due (it may still be filed today in China), one due on yesterday's China
 * date is OVERDUE, at whatever hour this runs. T1 released 30 days before today's China date,
 * due today in China; T2 released 31 days before, due yesterday. (At the end of the UTC day, as
 * with an as-of day given, T1 would be late already before 16:00 UTC; the UTC day compared as a
 * China date would leave T2 due after 16:00 UTC.)
 */
static void test_credit_report_now(void **state)
{
    struct fix *f = *state;
    struct cg_settle *now = NULL;
    struct cg_table *t = NULL;
    struct cg_err err;
    char d1[16], d2[16], rt[32];

    assert_int_equal(cg_conf_set(f->conf, "settle", "terms_days", "120", &err), CG_OK);
    china_day_before(30, d1, sizeof(d1));
    china_day_before(31, d2, sizeof(d2));
    snprintf(rt, sizeof(rt), "%s120000", d1);
    add_order_at(f->db, 1, "USD", 10000, rt);
    snprintf(rt, sizeof(rt), "%s120000", d2);
    add_order_at(f->db, 2, "USD", 10000, rt);
    assert_int_equal(cg_settle_new(f->conf, f->db, &now, &err), CG_OK);
    assert_int_equal(cg_settle_report(now, CG_FXR_CREDIT, NULL, &t, &err), CG_OK);
    assert_int_equal(t->nrows, 2);
    assert_string_equal(table_cell(t, "T1", "status"), "due");
    assert_string_equal(table_cell(t, "T2", "status"), "OVERDUE");
    cg_table_free(t);
    cg_settle_free(now);
}

static long long held(struct fix *f, const char *cur)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT (SELECT coalesce(sum(CASE direction WHEN 'in' THEN net ELSE -net END), 0) "
             "FROM fx_receipt WHERE currency = '%s') - (SELECT coalesce(sum(amount), 0) FROM "
             "fx_settlement WHERE currency = '%s')",
             cur, cur);
    return scalar(f->db, sql);
}

static void money_text(long long minor, char *buf, size_t size)
{
    snprintf(buf, size, "%lld.%02lld", minor / 100, minor % 100);
}

static void one_run(struct fix *f, unsigned long seed)
{
    struct cg_err err;
    int next_receipt = 1;
    int step;
    int i;

    rnd_state = seed;
    for (i = 1; i <= NORDERS; i++)
        add_order(f->db, i, curs[i % 2], 1000 + (long long)rnd(50000), "20250301");
    for (step = 0; step < 60; step++) {
        unsigned long op = rnd(10);
        char amt[32], fee[32], csv[1024], name[32];
        int rc;
        cg_err_clear(&err);
        if (op < 4) {
            /* a statement of 1-3 rows: payments of an order (or of nobody), fees, refunds */
            int rows = 1 + (int)rnd(3), k;
            size_t len;
            len = (size_t)snprintf(csv, sizeof(csv),
                                   "receipt_id,date,currency,amount,fee,order_no,direction\n");
            for (k = 0; k < rows; k++) {
                long long a = 100 + (long long)rnd(40000);
                int o = (int)rnd(NORDERS + 2); /* NORDERS+1..: nobody */
                int out = rnd(7) == 0;
                const char *cur = curs[rnd(3)];
                if (o >= 1 && o <= NORDERS && !out && rnd(3) == 0) {
                    /* exactly what the order still expects, in its currency */
                    char sql[512];
                    snprintf(sql, sizeof(sql),
                             "SELECT amount - (SELECT coalesce(sum(CASE kind WHEN 'REFUND_OUT' "
                             "THEN -amount_order ELSE amount_order END), 0) FROM fx_allocation "
                             "WHERE order_id = %d AND removed_at IS NULL) FROM fx_declared "
                             "WHERE order_id = %d",
                             o, o);
                    if (scalar(f->db, sql) > 0) {
                        a = scalar(f->db, sql);
                        cur = curs[o % 2];
                    }
                }
                money_text(a, amt, sizeof(amt));
                money_text(out ? 0 : (long long)rnd((unsigned long)a / 10 + 1), fee, sizeof(fee));
                len += (size_t)snprintf(csv + len, sizeof(csv) - len,
                                        "P%d,2025-03-%02d,%s,%s,%s,T%d,%s\n", next_receipt++,
                                        2 + (int)rnd(27), cur, amt, fee, o, out ? "out" : "in");
            }
            snprintf(name, sizeof(name), "s%d.csv", step);
            assert_int_equal(import(f, name, csv), CG_OK);
        } else if (op < 6 && next_receipt > 1) {
            /* the operator allocates (part of) a receipt; beyond what is left is refused */
            long long r =
                1 + (long long)rnd((unsigned long)scalar(f->db, "SELECT count(*) FROM fx_receipt"));
            char order[16], sql[256];
            long long left;
            snprintf(order, sizeof(order), "T%d", 1 + (int)rnd(NORDERS));
            snprintf(sql, sizeof(sql),
                     "SELECT net - (SELECT coalesce(sum(amount_rcpt), 0) FROM fx_allocation "
                     "WHERE receipt_id = %lld AND removed_at IS NULL AND kind <> 'FEE_NETTED') "
                     "FROM fx_receipt WHERE id = %lld",
                     r, r);
            left = scalar(f->db, sql);
            if (rnd(2) == 0) {
                long long a = 1 + (long long)rnd(20000);
                money_text(a, amt, sizeof(amt));
                rc = cg_settle_match(f->s, r, order, amt, "test", &err);
                if (a > left)
                    assert_int_equal(rc, CG_EREJECT);
            } else {
                rc = cg_settle_match(f->s, r, order, NULL, "test", &err);
            }
            assert_true(rc == CG_OK || rc == CG_EREJECT);
            if (rc == CG_OK)
                seen_ok++;
            else
                seen_refused++;
        } else if (op < 8 && next_receipt > 1) {
            /* take an allocation back */
            long long r =
                1 + (long long)rnd((unsigned long)scalar(f->db, "SELECT count(*) FROM fx_receipt"));
            char order[16];
            snprintf(order, sizeof(order), "T%d", 1 + (int)rnd(NORDERS));
            rc = cg_settle_unmatch(f->s, r, order, "test", &err);
            /* refused when it would leave the order's refunds above what it collected */
            assert_true(rc == CG_OK || rc == CG_ENOTFOUND || rc == CG_EREJECT);
        } else if (op < 9) {
            /* the bank's rates on a waiting receipt's value day, then the confirmation */
            long long r = scalar(f->db, "SELECT coalesce(min(receipt_id), 0) FROM fx_allocation "
                                        "WHERE amount_order IS NULL AND removed_at IS NULL");
            int k;
            if (r > 0) {
                char sql[128], day[16];
                long long d;
                snprintf(sql, sizeof(sql),
                         "SELECT CAST(substr(value_on, 9, 2) AS INTEGER) FROM fx_receipt WHERE "
                         "id = %lld",
                         r);
                d = scalar(f->db, sql);
                snprintf(day, sizeof(day), "2025-03-%02lld", d);
                for (k = 0; k < 3; k++) {
                    char rate[16];
                    snprintf(rate, sizeof(rate), "%d.%04d", 1 + (int)rnd(9), (int)rnd(10000));
                    assert_int_equal(cg_settle_rate_set(f->s, curs[k], day, rate, "test", &err),
                                     CG_OK);
                }
                rc = cg_settle_confirm(f->s, r, NULL, &err);
                if (rc == CG_EREJECT) {
                    /* only a refund worth more than its order collected; the operator takes
                     * it back */
                    char sql2[256], order[16];
                    snprintf(sql2, sizeof(sql2),
                             "SELECT count(*) FROM fx_receipt WHERE id = %lld AND direction = "
                             "'out'",
                             r);
                    assert_int_equal(scalar(f->db, sql2), 1);
                    snprintf(sql2, sizeof(sql2),
                             "SELECT min(order_id) FROM fx_allocation WHERE receipt_id = %lld "
                             "AND amount_order IS NULL AND removed_at IS NULL",
                             r);
                    snprintf(order, sizeof(order), "T%lld", scalar(f->db, sql2));
                    assert_int_equal(cg_settle_unmatch(f->s, r, order, "test", &err), CG_OK);
                    seen_refused++;
                } else {
                    assert_int_equal(rc, CG_OK);
                    seen_cross++;
                }
            }
        } else {
            /* a settlement: refused exactly when it is more than is held */
            const char *cur = curs[rnd(3)];
            long long h = held(f, cur), a = 1 + (long long)rnd(30000);
            money_text(a, amt, sizeof(amt));
            rc = cg_settle_convert(f->s, cur, amt, "7.1", "2025-03-20", NULL, NULL, &err);
            assert_int_equal(rc, a > h ? CG_EREJECT : CG_OK);
            if (rc == CG_OK)
                seen_ok++;
            else
                seen_refused++;
        }
        check_invariants(f, step);
    }
}

/* The text of a one-value query ("" for NULL); static, overwritten by the next call. */
static const char *text1(struct cg_store *db, const char *sql)
{
    static char out[4096];
    sqlite3_stmt *st = NULL;
    const unsigned char *v;

    assert_int_equal(sqlite3_prepare_v2(cg_db_handle(db->db), sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    v = sqlite3_column_text(st, 0);
    snprintf(out, sizeof(out), "%s", v != NULL ? (const char *)v : "");
    sqlite3_finalize(st);
    return out;
}

/* Every live allocation as "RECEIPT-REF>ORDER KIND AMOUNT CAUSE", by receipt then order. */
static const char *allocations(struct fix *f)
{
    return text1(f->db, "SELECT group_concat(x, '; ') FROM (SELECT "
                        "replace(r.entry_key, rtrim(r.entry_key, replace(r.entry_key, ':', '')), "
                        "'') || '>' || o.order_no || ' ' || a.kind || ' ' || a.amount_rcpt || "
                        "' ' || a.cause AS x FROM fx_allocation a JOIN fx_receipt r ON r.id = "
                        "a.receipt_id JOIN orders o ON o.id = a.order_id WHERE a.removed_at IS "
                        "NULL ORDER BY r.id, a.id)");
}

/*
 * Order numbers in the layouts banks really write: SWIFT's structured :86: (/ORDP/ the payer,
 * /REMI/ the remittance text, its lines run on), '/' around a number, Chinese full-width
 * punctuation; an order number holding a '/' is found whole, and its parts are looked at only
 * when the whole names nothing.
 */
static void test_references_bank_layouts(void **state)
{
    static const char boc[] =
        "{1:F01BKCHCNBJA300000000000}{2:O9401530261201BKCHCNBJA3000000000002612011530N}{4:\r\n"
        ":20:940S2612010001\r\n:25:BKCHCNBJ300/766666666666\r\n:28C:00334/00001\r\n"
        ":60F:C261130USD1000,00\r\n"
        ":61:2612011201C62,87NTRFNONREF//2612010000123\r\n"
        ":86:/ORDP/ANNA MILLER/REMI/SHOPIFY ORDER #1001/\r\n"
        ":61:2612011201C46,96NTRF113-1234567-12//2612010000124\r\n/CHGS/USD0,50/\r\n"
        ":86:/ORDP/AMAZON PAYMENTS EUROPE S.C.A./REMI/113-1234567-1234567/\r\n"
        ":61:2612011201D15,00NCHGNONREF//2612010000125\r\n"
        ":86:/REMI/INWARD REMITTANCE CHARGES/\r\n"
        ":61:2612011201D0,80NMSCNONREF//2612010000126\r\n"
        ":86:\xe6\xb1\x87\xe6\xac\xbe\xe6\x89\x8b\xe7\xbb\xad\xe8\xb4\xb9\r\n"
        ":61:2612011201C10,00NTRFNONREF//2612010000127\r\n"
        ":86:/ORDP//NAME/LI LEI/ADDR/SHANGHAI/REMI/PAYMENT ORDER A/7 AND 30\r\n1/302/\r\n"
        ":62F:C261201USD1104,03\r\n:64:C261201USD1104,03\r\n-}\r\n";
    /* 订单号：113-2222222-2222222 / 货款，204-7654321-7654321，谢谢 / （订单【401】） */
    static const char cn[] =
        "receipt_id,date,currency,amount,fee,order_no,reference,remitter\n"
        "CN-0001,2026-12-05,USD,47.46,0.00,,\xe8\xae\xa2\xe5\x8d\x95\xe5\x8f\xb7\xef\xbc\x9a"
        "113-2222222-2222222,\xe5\xbc\xa0\xe4\xb8\x89\n"
        "CN-0002,2026-12-05,GBP,55.98,0.00,,\xe8\xb4\xa7\xe6\xac\xbe\xef\xbc\x8c"
        "204-7654321-7654321\xef\xbc\x8c\xe8\xb0\xa2\xe8\xb0\xa2,\n"
        "CN-0003,2026-12-05,USD,5.00,0.00,,\xef\xbc\x88\xe8\xae\xa2\xe5\x8d\x95\xe3\x80\x90"
        "401\xe3\x80\x91\xef\xbc\x89,\n";
    static const struct {
        const char *no, *cur;
        long long amount;
    } orders[] = {
        {"1001", "USD", 6287},
        {"113-1234567-1234567", "USD", 4746},
        {"A/7", "USD", 300},
        {"7", "USD", 100}, /* a part of A/7: not named, as A/7 is an order */
        {"301", "USD", 300},
        {"302", "USD", 400},
        {"113-2222222-2222222", "USD", 4746},
        {"204-7654321-7654321", "GBP", 5598},
        {"401", "USD", 500},
    };
    struct fix *f = *state;
    struct cg_settle_import res;
    char sql[256];
    size_t i;

    for (i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
        add_order(f->db, (int)i + 1, orders[i].cur, orders[i].amount, "20261128");
        snprintf(sql, sizeof(sql), "UPDATE orders SET order_no = '%s' WHERE id = %zu", orders[i].no,
                 i + 1);
        exec(f->db, sql);
    }
    assert_int_equal(import_as(f, "BOC MT940 20261201.sta", boc, &res), CG_OK);
    assert_int_equal(res.added, 5);
    /* the coded NCHG, and 汇款手续费 by its word */
    assert_int_equal(res.charges, 1);
    assert_string_equal(
        text1(f->db, "SELECT group_concat(coalesce(remitter, '-') || '|' || "
                     "coalesce(reference, '-'), '; ') FROM (SELECT * FROM fx_receipt ORDER BY id)"),
        "ANNA MILLER|SHOPIFY ORDER #1001; "
        "AMAZON PAYMENTS EUROPE S.C.A.|113-1234567-12 113-1234567-1234567; "
        "-|INWARD REMITTANCE CHARGES; "
        "-|\xe6\xb1\x87\xe6\xac\xbe\xe6\x89\x8b\xe7\xbb\xad\xe8\xb4\xb9; "
        "LI LEI|PAYMENT ORDER A/7 AND 301/302");
    assert_int_equal(import_as(f, "collections-cn.csv", cn, &res), CG_OK);
    /*
     * #1001/ names 1001; 113-1234567-1234567 takes 46.96 and the fee 0.50; A/7 is named whole
     * (7 is not), 301/302 by its parts: A/7 3.00 and 301 3.00, what each expects, the last, 302,
     * the rest, 4.00. The Chinese punctuation parts the numbers from the words around them.
     */
    assert_string_equal(allocations(f),
                        "2612010000123>1001 PRINCIPAL 6287 auto:reference; "
                        "2612010000124>113-1234567-1234567 PRINCIPAL 4696 auto:reference; "
                        "2612010000124>113-1234567-1234567 FEE_NETTED 50 auto:reference; "
                        "2612010000127>A/7 PRINCIPAL 300 auto:reference; "
                        "2612010000127>301 PRINCIPAL 300 auto:reference; "
                        "2612010000127>302 PRINCIPAL 400 auto:reference; "
                        "CN-0001>113-2222222-2222222 PRINCIPAL 4746 auto:reference; "
                        "CN-0002>204-7654321-7654321 PRINCIPAL 5598 auto:reference; "
                        "CN-0003>401 PRINCIPAL 500 auto:reference");
}

/*
 * A date in the remittance text is no list of order numbers: 28/11/2026 does not name order 2026,
 * nor 11/28 order 28; the order the text names takes the money.
 */
static void test_references_dates(void **state)
{
    static const char sta[] = ":20:S1\n:25:ACC\n:60F:C261130USD0,00\n"
                              ":61:2612011201C62,87NTRFNONREF//B1\n"
                              ":86:PAYMENT OF 28/11/2026 ORDER 1001\n"
                              ":61:2612011201C5,00NTRFNONREF//B2\n"
                              ":86:PAID 11/28 FOR 301/302\n"
                              ":62F:C261201USD67,87\n-\n";
    static const struct {
        const char *no;
        long long amount;
    } orders[] = {{"2026", 6287}, {"1001", 6287}, {"28", 500}, {"301", 200}, {"302", 300}};
    struct fix *f = *state;
    struct cg_settle_import res;
    char sql[128];
    size_t i;

    for (i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
        add_order(f->db, (int)i + 1, "USD", orders[i].amount, "20261128");
        snprintf(sql, sizeof(sql), "UPDATE orders SET order_no = '%s' WHERE id = %zu", orders[i].no,
                 i + 1);
        exec(f->db, sql);
    }
    assert_int_equal(import_as(f, "d.sta", sta, &res), CG_OK);
    assert_int_equal(res.added, 2);
    assert_string_equal(allocations(f), "B1>1001 PRINCIPAL 6287 auto:reference; "
                                        "B2>301 PRINCIPAL 200 auto:reference; "
                                        "B2>302 PRINCIPAL 300 auto:reference");
}

/*
 * A line without the bank's reference is known by its content and its :86: text as written, so
 * reading the SWIFT subfields of its :86: does not change the key it was recorded under before.
 */
static void test_mt940_noref_key_swift86(void **state)
{
    static const char stmt[] = ":20:S1\n:25:ACC\n:60F:C250701EUR0,00\n"
                               ":61:250701C5,NTRFNONREF\n"
                               ":86:/ORDP/ANNA MILLER/REMI/ORDER\n 1001/\n"
                               ":62F:C250701EUR5,00\n-\n";
    static const char hashed[] = "250701C5,NTRFNONREF\n/ORDP/ANNA MILLER/REMI/ORDER 1001/";
    struct fx_parsed p;
    struct cg_buf probs;
    struct cg_err err;
    char hex[65], want[64];

    (void)state;
    cg_buf_init(&probs, 1u << 16);
    parsed_init(&p, "k.sta", &probs);
    assert_int_equal(fx_parse_mt940(&p, stmt, strlen(stmt), &err), CG_OK);
    assert_string_equal(cg_buf_str(&probs), "");
    assert_int_equal(p.n, 1);
    cg_sha256_hex(hashed, strlen(hashed), hex);
    snprintf(want, sizeof(want), "noref-%.32s-1", hex);
    assert_string_equal(p.e[0].key, want);
    /* the lines run on: the wrapped " 1001/" continues ORDER */
    assert_string_equal(p.e[0].reference, "ORDER 1001");
    assert_string_equal(p.e[0].remitter, "ANNA MILLER");
    fx_parsed_free(&p);
    cg_buf_free(&probs);
}

/*
 * The key of a line without the bank's reference in a GB18030 (GBK) statement is taken of the
 * bytes as the file has them, not of the UTF-8 the text is read as: a cebgate from before the
 * decoding recorded such lines under that key, and a later overlapping statement must find them.
 * The statement is decoded as the import does (cg_src_decode) and marked as GB18030.
 */
static void test_mt940_noref_key_gbk(void **state)
{
    /* :86: is "汇款 ORDER 1001" in GBK: 0xBB 0xE3 0xBF 0xEE are 汇款 */
    static const char gbk[] = ":20:S1\n:25:ACC\n:60F:C250701EUR0,00\n"
                              ":61:250701C5,NTRFNONREF\n"
                              ":86:\xBB\xE3\xBF\xEE ORDER 1001\n"
                              ":62F:C250701EUR5,00\n-\n";
    static const char hashed[] = "250701C5,NTRFNONREF\n\xBB\xE3\xBF\xEE ORDER 1001";
    struct fx_parsed p;
    struct cg_buf probs;
    struct cg_err err;
    char hex[65], want[64], *text = NULL;
    size_t tlen = 0;

    (void)state;
    assert_int_equal(cg_src_decode(gbk, strlen(gbk), "g.sta", CG_ENC_AUTO, &text, &tlen, &err),
                     CG_OK);
    assert_non_null(strstr(text, "\xE6\xB1\x87\xE6\xAC\xBE ORDER 1001")); /* 汇款 in UTF-8 */
    cg_buf_init(&probs, 1u << 16);
    parsed_init(&p, "g.sta", &probs);
    p.from_gb18030 = true;
    assert_int_equal(fx_parse_mt940(&p, text, tlen, &err), CG_OK);
    assert_string_equal(cg_buf_str(&probs), "");
    assert_int_equal(p.n, 1);
    cg_sha256_hex(hashed, strlen(hashed), hex);
    snprintf(want, sizeof(want), "noref-%.32s-1", hex);
    assert_string_equal(p.e[0].key, want);
    fx_parsed_free(&p);
    cg_buf_free(&probs);
    free(text);
}

/*
 * Amounts written as a spreadsheet or another country writes them are refused saying what is
 * wrong: an MT940 amount with a thousands separator (on its :61: line, in the file's words), a
 * thousands separator in a collections CSV or on the command line (the order files' words), a
 * currency in small letters, a negative amount where the direction column says money out.
 */
static void test_amount_hints(void **state)
{
    static const char sta[] = ":20:S1\n:25:ACC\n:60F:C261202USD1156,90\n"
                              ":61:2612031203C1.234,50NTRFNONREF//B2\n"
                              ":86:ORDER 1002\n:62F:C261203USD2391,40\n-\n";
    static const char csv[] = "receipt_id,date,currency,amount,fee,order_no\n"
                              "X-1,2026-12-05,USD,\"1,234.50\",0.00,1001\n"
                              "X-2,2026-12-05,USD,-5.00,,1001\n"
                              "X-3,2026-12-05,usd,5,,1001\n"
                              "X-4,2026-12-05,usdx,5,,1001\n";
    struct fix *f = *state;
    struct cg_settle_import res;
    struct cg_buf probs;
    struct cg_err err;
    struct fx_parsed p;
    int64_t v;
    char msg[256];

    assert_int_equal(mt_amount("1.234,50", "USD", msg, sizeof(msg)), CG_EREJECT);
    assert_string_equal(msg, "'1.234,50' is not an MT940 amount: the decimals follow a comma "
                             "and there is no thousands separator, as 1234,56");
    assert_int_equal(mt_amount("1,00", "usd", msg, sizeof(msg)), CG_EREJECT);
    assert_string_equal(msg, "unknown currency 'usd': a currency is its ISO 4217 code in capital "
                             "letters, USD");

    cg_buf_init(&probs, 1u << 16);
    parsed_init(&p, "boc.sta", &probs);
    assert_int_equal(fx_parse_mt940(&p, sta, strlen(sta), &err), CG_OK);
    assert_string_equal(cg_buf_str(&probs),
                        "boc.sta:4: entry B2: field 61: '1.234,50' is not an MT940 amount: the "
                        "decimals follow a comma and there is no thousands separator, as "
                        "1234,56\n");
    fx_parsed_free(&p);

    cg_err_clear(&err);
    assert_int_equal(fx_amount_parse("1,000.00", "GBP", &v, &err), CG_EREJECT);
    assert_string_equal(err.msg, "'1,000.00' is not an amount (a number has no ',': no thousands "
                                 "separators, and a point before the decimals: 1024.50)");
    cg_err_clear(&err);
    assert_int_equal(
        cg_settle_convert(f->s, "GBP", "1,000.00", "9.0512", "2025-12-01", "FX-1", NULL, &err),
        CG_EINVAL);
    assert_string_equal(err.msg, "'1,000.00' is not an amount (a number has no ',': no thousands "
                                 "separators, and a point before the decimals: 1024.50)");

    cg_buf_reset(&probs);
    cg_err_clear(&err);
    assert_int_equal(cg_settle_import(f->s, "", "collections-bad.csv", csv, strlen(csv),
                                      keep_problem, &probs, &res, &err),
                     CG_EREJECT);
    assert_string_equal(
        cg_buf_str(&probs),
        "collections-bad.csv:2: entry X-1: field amount: '1,234.50' is not an amount (a number "
        "has no ',': no thousands separators, and a point before the decimals: 1024.50)\n"
        "collections-bad.csv:3: entry X-2: field amount: negative amount -5.00: the amount is "
        "written positive, and a refund or chargeback (money out) is a row with direction out\n"
        "collections-bad.csv:4: entry X-3: field currency: unknown currency 'usd': a currency is "
        "its ISO 4217 code in capital letters, USD\n"
        "collections-bad.csv:5: entry X-4: field currency: unknown currency 'usdx'\n");
    cg_buf_free(&probs);
}

/* Each seed on a fresh database: 12 sequences of 60 steps. */
static void test_random_sequences(void **state)
{
    unsigned long seed;

    (void)state;
    for (seed = 1; seed <= 12; seed++) {
        void *st = NULL;
        setup(&st);
        one_run(st, seed);
        teardown(&st);
    }
    fprintf(stderr, "ok %ld refused %ld cross %ld partial %ld over %ld collected %ld\n", seen_ok,
            seen_refused, seen_cross, seen_partial, seen_over, seen_collected);
    assert_true(seen_ok > 20 && seen_refused > 20 && seen_cross > 5);
    assert_true(seen_partial > 50 && seen_over > 50 && seen_collected > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_conversion_rounding, setup, teardown),
        cmocka_unit_test(test_expected_rule),
        cmocka_unit_test_setup_teardown(test_expected_charge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aging_release_china_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_orders_report_grows_with_orders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_settlement_file_grows_with_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_payout_order_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_payout_lines_compares, setup, teardown),
        cmocka_unit_test_setup_teardown(test_payout_refund_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_payout_refunds_compares, setup, teardown),
        cmocka_unit_test_setup_teardown(test_credit_report_china_date, setup, teardown),
        cmocka_unit_test_setup_teardown(test_credit_report_now, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tax_deadline_china_date, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cross_currency_rounding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_match_amount_date, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kept_statements, setup, teardown),
        cmocka_unit_test_setup_teardown(test_database_refuses_over_allocation, setup, teardown),
        cmocka_unit_test(test_mt940_amounts),
        cmocka_unit_test(test_mt940_dates),
        cmocka_unit_test(test_mt940_marks),
        cmocka_unit_test(test_mt940_stray_lines),
        cmocka_unit_test(test_mt940_reference_twice),
        cmocka_unit_test_setup_teardown(test_settlement_file_references, setup, teardown),
        cmocka_unit_test_setup_teardown(test_settlement_file_compares, setup, teardown),
        cmocka_unit_test(test_camt_accounts),
        cmocka_unit_test(test_charge_words),
        cmocka_unit_test_setup_teardown(test_charge_words_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_charges_by_words, setup, teardown),
        cmocka_unit_test_setup_teardown(test_charge_words_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_charge_words_seller, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unmatched_charges_apart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_operator_charge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_references_bank_layouts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_references_dates, setup, teardown),
        cmocka_unit_test(test_mt940_noref_key_swift86),
        cmocka_unit_test(test_mt940_noref_key_gbk),
        cmocka_unit_test_setup_teardown(test_amount_hints, setup, teardown),
        cmocka_unit_test(test_random_sequences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
