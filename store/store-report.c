/*
 * store-report.c - the read-only SQL of `cebgate report` (store-report.h): aggregates over the
 * declaration tables for the overview, one statement per question.
 *
 * Each function prepares its statement, steps it and finalizes it; nothing is written. The
 * seller filter is one parameter (NULL: every seller). Failures: CG_ENOTFOUND where the header
 * says so, CG_EDB / CG_EBUSY (with err) from the database, or a callback's own non-zero result.
 */
#include "config.h"

#include <string.h>

#include "core/buf.h"
#include "store/store-int.h"
#include "store/store-report.h"

/* What a query hands each row to: the caller's typed callback, through an adapter. */
struct q {
    union {
        cg_report_state_fn state; /* also (day, state, n) */
        cg_report_seller_fn seller;
        cg_report_file_fn file;
        cg_report_reason_fn reason;
    } fn;
    void *ctx;
};

static const char *txt(sqlite3_stmt *s, int i)
{
    const char *v = store_col(s, i);

    return v != NULL ? v : "";
}

static long num(sqlite3_stmt *s, int i)
{
    return (long)sqlite3_column_int64(s, i);
}

/*
 * Prepare sql, bind up to three text parameters (NULL binds NULL), hand each row to row and
 * finalize. A non-zero row result stops the query and is returned.
 */
static int query(struct cg_store *st, const char *sql, const char *p1, const char *p2,
                 const char *p3, int (*row)(sqlite3_stmt *s, const struct q *q), const struct q *q,
                 struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int r = sqlite3_prepare_v2(cg_db_handle(st->db), sql, -1, &s, NULL);
    int rc = CG_OK;

    if (r != SQLITE_OK)
        return cg_db_fail(st->db, r, "prepare report query", err);
    store_bind_text(s, 1, p1);
    if (sqlite3_bind_parameter_count(s) >= 2)
        store_bind_text(s, 2, p2);
    if (sqlite3_bind_parameter_count(s) >= 3)
        store_bind_text(s, 3, p3);
    while (rc == CG_OK && (r = sqlite3_step(s)) == SQLITE_ROW)
        rc = row(s, q);
    if (rc == CG_OK && r != SQLITE_DONE)
        rc = cg_db_fail(st->db, r, "report query", err);
    sqlite3_finalize(s);
    return rc;
}

static int row_state(sqlite3_stmt *s, const struct q *q)
{
    return q->fn.state(q->ctx, txt(s, 0), txt(s, 1), num(s, 2));
}

int cg_store_report_states(struct cg_store *st, const char *seller, cg_report_state_fn fn,
                           void *ctx, struct cg_err *err)
{
    struct q q = {.fn.state = fn, .ctx = ctx};

    return query(st,
                 "SELECT o.seller, d.state, count(*) FROM documents d JOIN orders o ON o.id = "
                 "d.order_id WHERE (?1 IS NULL OR o.seller = ?1) GROUP BY o.seller, d.state "
                 "ORDER BY o.seller, d.state",
                 seller, NULL, NULL, row_state, &q, err);
}

int cg_store_report_days(struct cg_store *st, const char *seller, const char *from, const char *to,
                         cg_report_day_fn fn, void *ctx, struct cg_err *err)
{
    struct q q = {.fn.state = fn, .ctx = ctx};

    /* Same row shape as the states: (day, state, n). */
    return query(st,
                 "SELECT substr(d.updated_at, 1, 10) AS day, d.state, count(*) FROM documents d "
                 "JOIN orders o ON o.id = d.order_id WHERE (?1 IS NULL OR o.seller = ?1) AND "
                 "day >= ?2 AND day <= ?3 GROUP BY day, d.state ORDER BY day, d.state",
                 seller, from, to, row_state, &q, err);
}

static int row_seller(sqlite3_stmt *s, const struct q *q)
{
    return q->fn.seller(q->ctx, txt(s, 0), num(s, 1), num(s, 2), num(s, 3), num(s, 4), num(s, 5));
}

int cg_store_report_sellers(struct cg_store *st, const char *seller, cg_report_seller_fn fn,
                            void *ctx, struct cg_err *err)
{
    struct q q = {.fn.seller = fn, .ctx = ctx};

    return query(
        st,
        "WITH o AS (SELECT seller, count(*) AS n FROM orders WHERE (?1 IS NULL OR "
        "seller = ?1) AND order_no NOT LIKE 'BILL:%' AND order_no NOT LIKE 'SUM:%' GROUP BY "
        "seller), r AS (SELECT seller, count(*) AS "
        "n FROM " STORE_OPEN_REJECTIONS " x WHERE (?1 IS NULL OR seller = ?1) GROUP BY "
        "seller), c AS "
        "(SELECT x.seller, count(*) AS n FROM cancel_needed k JOIN orders x ON x.id = "
        "k.order_id WHERE k.done_at IS NULL AND (?1 IS NULL OR x.seller = ?1) GROUP BY "
        "x.seller), p AS (SELECT o.seller, count(*) AS n FROM documents d JOIN orders o ON "
        "o.id = d.order_id WHERE (?1 IS NULL OR o.seller = ?1) AND " STORE_DOC_PENDING
        " GROUP BY o.seller), " STORE_REFUSED_FILES ", ff AS (SELECT seller, count(*) AS n FROM rf "
        "WHERE dismissed_at IS NULL GROUP BY seller), s AS (SELECT seller FROM o "
        "UNION SELECT seller FROM r UNION SELECT seller FROM ff) SELECT s.seller, coalesce(o.n, "
        "0), coalesce(r.n, 0), coalesce(c.n, 0), "
        "coalesce(p.n, 0), coalesce(ff.n, 0) FROM s LEFT JOIN o USING (seller) LEFT JOIN r "
        "USING (seller) LEFT JOIN c USING (seller) LEFT JOIN p USING (seller) LEFT JOIN ff "
        "USING (seller) ORDER BY s.seller",
        seller, NULL, NULL, row_seller, &q, err);
}

static int row_file(sqlite3_stmt *s, const struct q *q)
{
    return q->fn.file(q->ctx, txt(s, 0), txt(s, 1), txt(s, 2), txt(s, 3), txt(s, 4), num(s, 5));
}

int cg_store_report_failed_files(struct cg_store *st, const char *seller, cg_report_file_fn fn,
                                 void *ctx, struct cg_err *err)
{
    struct q q = {.fn.file = fn, .ctx = ctx};

    return query(st,
                 "WITH " STORE_REFUSED_FILES
                 ", orj AS (SELECT input_file, count(*) AS n FROM " STORE_OPEN_REJECTIONS
                 " x GROUP BY input_file) SELECT seller, name, kind, "
                 "coalesce(reason, ''), at, CASE WHEN src = 0 THEN coalesce((SELECT n FROM orj "
                 "WHERE orj.input_file = rf.id), 0) ELSE 0 END FROM rf WHERE dismissed_at IS NULL "
                 "ORDER BY at DESC, src DESC, id DESC",
                 seller, NULL, NULL, row_file, &q, err);
}

/*
 * The common table rj: the rejections of the input files f, each numbered within its order:
 * latest = 1 is the order's last rejection among those files. An order rejected by several of
 * them (in two files, or in a file dropped again) is one rejected order. A rejection with no
 * order number (order_no NULL) stands for the order on its line of its file.
 */
#define RUN_REJECTIONS                                                                             \
    "rj AS (SELECT r.reason, r.seller, nullif(r.order_no, '') AS order_no, r.input_file, "         \
    "row_number() OVER (PARTITION BY r.seller, nullif(r.order_no, ''), CASE WHEN "                 \
    "nullif(r.order_no, '') IS NULL THEN i.name END, CASE WHEN nullif(r.order_no, '') IS NULL "    \
    "THEN r.line END ORDER BY r.id DESC) AS latest FROM rejections r JOIN f i ON i.id = "          \
    "r.input_file)"

/*
 * The common table fo: the orders the input files f held, each once however many of them held
 * it (held = 1: not declared for its status; 0: declared or found unchanged).
 */
#define RUN_ORDERS                                                                                 \
    "fo AS (SELECT DISTINCT x.held, x.seller, x.order_no FROM file_orders x JOIN f i ON i.id = "   \
    "x.input_file)"

/*
 * RUN_O_IN_F: whether one of the input files f has a file_orders row for the order o (a row with
 * seller and order_no), to be completed with the row's held flag and any further condition on
 * the file x.input_file. A lookup by file_orders' key per file of the day.
 */
#define RUN_O_IN_F                                                                                 \
    "EXISTS (SELECT 1 FROM file_orders x WHERE x.input_file IN (SELECT id FROM f) AND x.seller = " \
    "o.seller AND x.order_no = o.order_no AND x.held = "
#define RUN_O_TAKEN RUN_O_IN_F "0)"
#define RUN_O_HELD RUN_O_IN_F "1)"

/*
 * The common table rn (after rj): the orders the last run counts as rejected, each by its latest
 * rejection: those no file of f taken after that rejection declared or found unchanged, as
 * `status --rejected` lists them. An order rejected in one file and declared from a later one
 * has nothing left to fix; one declared and then rejected in a later file (its change was not
 * declared) has; one rejected and held for its status in a later file stays rejected, since a
 * held order is not checked. A line rejected without an order number is never taken.
 */
#define RUN_REJECTED                                                                               \
    "rn AS (SELECT reason, seller, order_no, input_file FROM rj o WHERE latest = 1 AND "           \
    "NOT " RUN_O_IN_F "0 AND x.input_file > o.input_file))"

/*
 * RUN_DISMISSED: how many of the orders counted as rejected (rn) were rejected by a file whose
 * refusal an operator dismissed since (`cebgate dismiss`): what happened stays counted, and the
 * open lists leave them out.
 */
#define RUN_DISMISSED                                                                              \
    "SELECT count(*) FROM rn JOIN input_files i ON i.id = rn.input_file JOIN refusal_dismissals "  \
    "x ON x.seller = i.seller AND x.name = i.name AND x.refused_at = i.taken_at"

/*
 * The orders the last run counts as taken (after fo and rn): those one of the files f declared
 * or found unchanged, less those counted as rejected. Held (after fo and rn): those the files f
 * held for their status and none of them took, less those counted as rejected. So each order
 * counts once.
 */
#define RUN_TAKEN_COUNT                                                                            \
    "(SELECT count(*) FROM fo WHERE held = 0) - (SELECT count(*) FROM rn o WHERE " RUN_O_TAKEN ")"
#define RUN_HELD_COUNT                                                                             \
    "(SELECT count(*) FROM fo o WHERE held = 1 AND NOT " RUN_O_TAKEN ") - (SELECT count(*) FROM "  \
    "rn o WHERE " RUN_O_HELD " AND NOT " RUN_O_TAKEN ")"
/*
 * The common table hs (after fo and rn): the status (enum cg_order_status) of each order counted
 * as held, from the latest of the files f that held it; NULL for a row written before the status
 * was kept. RUN_HELD_AS(cond, col): how many were held with cond on that status, plus col
 * (orders_waiting, ...) of the files taken before files listed their orders.
 */
#define RUN_HELD_STATUS                                                                            \
    "hs AS (SELECT (SELECT x.status FROM file_orders x WHERE x.input_file IN (SELECT id FROM f) "  \
    "AND x.seller = o.seller AND x.order_no = o.order_no AND x.held = 1 ORDER BY x.input_file "    \
    "DESC LIMIT 1) AS status FROM fo o WHERE held = 1 AND NOT " RUN_O_TAKEN " AND NOT EXISTS "     \
    "(SELECT 1 FROM rn r WHERE r.seller = o.seller AND r.order_no = o.order_no))"
#define RUN_HELD_AS(cond, col)                                                                     \
    "(SELECT count(*) FROM hs WHERE " cond ") + (SELECT coalesce(sum(" col "), 0) FROM f WHERE "   \
    "orders_listed = 0)"
/* Held as waiting (1, or no status kept), skipped (2) and cancelled (3): enum cg_order_status. */
#define RUN_HELD_SPLIT                                                                             \
    RUN_HELD_AS("coalesce(status, 1) NOT IN (2, 3)", "orders_waiting")                             \
    ", " RUN_HELD_AS("status = 2", "orders_skipped") ", " RUN_HELD_AS("status = 3",                \
                                                                      "orders_cancelled")

static int row_run(sqlite3_stmt *s, const struct q *q)
{
    struct cg_report_run *out = q->ctx;

    memset(out, 0, sizeof(*out));
    cg_strlcpy(out->day, txt(s, 0), sizeof(out->day));
    out->files = num(s, 1);
    out->failed = num(s, 2);
    out->orders = num(s, 3);
    out->rejected = num(s, 4);
    out->held = num(s, 5);
    out->messages = num(s, 6);
    cg_strlcpy(out->started, txt(s, 7), sizeof(out->started));
    cg_strlcpy(out->finished, txt(s, 8), sizeof(out->finished));
    out->busy_ms = num(s, 9);
    out->dismissed = num(s, 10);
    out->held_waiting = num(s, 11);
    out->held_skipped = num(s, 12);
    out->held_cancelled = num(s, 13);
    return 1; /* found */
}

/* Milliseconds since the epoch of an ISO-8601 UTC time column. */
#define EPOCH_MS(col) "CAST(round((julianday(" col ") - 2440587.5) * 86400000.0) AS INTEGER)"
/*
 * RUN_BUSY_MS: the time spent on the files f, in milliseconds: the union of each file's time
 * from taken to finished, so that files worked on together count their common time once and
 * the time between runs (no file being worked on) not at all. Each interval counts what it
 * adds beyond the latest end of those that start before it.
 */
#define RUN_BUSY_MS                                                                                \
    "SELECT coalesce(sum(max(0, e - max(s, coalesce(pe, s)))), 0) FROM (SELECT s, e, max(e) "      \
    "OVER (ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS pe FROM "            \
    "(SELECT " EPOCH_MS("taken_at") " AS s, " EPOCH_MS(                                            \
        "coalesce(finished_at, taken_at)") " AS e FROM f))"

int cg_store_report_last_run(struct cg_store *st, const char *seller, const char *to,
                             struct cg_report_run *out, struct cg_err *err)
{
    struct q q = {.ctx = out};
    int rc = query(
        st,
        "WITH d AS (SELECT max(substr(taken_at, 1, 10)) AS day FROM input_files WHERE (?1 IS NULL "
        "OR seller = ?1) AND substr(taken_at, 1, 10) <= ?2), f AS (SELECT i.* FROM input_files i, "
        "d WHERE substr(i.taken_at, 1, 10) = d.day AND (?1 IS NULL OR i.seller = "
        "?1)), " RUN_REJECTIONS ", " RUN_ORDERS ", " RUN_REJECTED ", " RUN_HELD_STATUS
        " SELECT d.day, (SELECT count(*) FROM f), (SELECT count(*) FROM f WHERE "
        "outcome = 'failed'), " RUN_TAKEN_COUNT " + (SELECT "
        "coalesce(sum(orders_new + orders_modified + orders_unchanged), 0) FROM f WHERE "
        "orders_listed = 0), (SELECT count(*) FROM rn), " RUN_HELD_COUNT " + (SELECT "
        "coalesce(sum(orders_waiting + orders_skipped + orders_cancelled), 0) FROM f WHERE "
        "orders_listed = 0), (SELECT count(*) FROM messages WHERE input_file IN (SELECT id FROM "
        "f)), (SELECT min(taken_at) FROM f), (SELECT max(coalesce(finished_at, taken_at)) FROM f), "
        "(" RUN_BUSY_MS "), (" RUN_DISMISSED "), " RUN_HELD_SPLIT " FROM d WHERE d.day IS NOT NULL",
        seller, to, NULL, row_run, &q, err);

    return rc == 1 ? CG_OK : rc == CG_OK ? CG_ENOTFOUND : rc;
}

static int row_reason(sqlite3_stmt *s, const struct q *q)
{
    return q->fn.reason(q->ctx, txt(s, 0), num(s, 1));
}

int cg_store_report_run_reasons(struct cg_store *st, const char *seller, const char *day,
                                cg_report_reason_fn fn, void *ctx, struct cg_err *err)
{
    struct q q = {.fn.reason = fn, .ctx = ctx};

    return query(
        st,
        "WITH f AS (SELECT * FROM input_files WHERE substr(taken_at, 1, 10) = ?2 AND (?1 IS NULL "
        "OR seller = ?1)), " RUN_REJECTIONS ", " RUN_REJECTED
        " SELECT reason, count(*) AS n FROM rn GROUP BY reason ORDER BY n DESC, reason",
        seller, day, NULL, row_reason, &q, err);
}
