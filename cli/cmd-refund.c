/*
 * cmd-refund.c - `cebgate refund VERB ...`: import declaration items, refund rates, invoices
 * and results; allocate invoices; record clearance, collection, outcomes, returns and
 * clawbacks; prepare filing batches; apply the deadlines; explain a unit or an order's units.
 *
 * Each verb is one transaction in refund/. Exit 0 ok, 1 input refused (a bad file row, a
 * transition the rules forbid, an invoice line used twice, an unknown unit or batch), 2 usage,
 * 75 temporary failure (database, disk: nothing was written, run it again).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "core/buf.h"
#include "core/fsutil.h"
#include "refund/refund.h"
#include "settle/settle.h"
#include "store/store.h"

int cg_cli_refund_open(struct cg_cli *cli, struct cg_store **db, struct cg_refund **r,
                       struct cg_err *err)
{
    int rc = cg_cli_store_open(cli, db, err);

    if (rc == CG_OK) {
        rc = cg_refund_new(cli->conf, *db, r, err);
        if (rc != CG_OK) {
            cg_store_close(*db);
            *db = NULL;
        }
    }
    return rc;
}

struct opts {
    const char *note, *as_of, *date, *amount, *period, *outdir;
    int override;
    char *pos[8];
    int npos;
};

static int parse(int argc, char **argv, struct opts *o)
{
    int i;

    memset(o, 0, sizeof(*o));
    for (i = 2; i < argc; i++) {
        const char **slot = NULL;
        if (strcmp(argv[i], "--note") == 0)
            slot = &o->note;
        else if (strcmp(argv[i], "--as-of") == 0)
            slot = &o->as_of;
        else if (strcmp(argv[i], "--date") == 0)
            slot = &o->date;
        else if (strcmp(argv[i], "--amount") == 0)
            slot = &o->amount;
        else if (strcmp(argv[i], "--period") == 0)
            slot = &o->period;
        else if (strcmp(argv[i], "--out") == 0)
            slot = &o->outdir;
        else if (strcmp(argv[i], "--override") == 0)
            o->override = 1;
        else if (argv[i][0] == '-' && argv[i][1] == '-')
            return cg_cmd_usage_error(&cg_cmd_refund, "unknown option %s", argv[i]);
        if (o->override && strcmp(argv[i], "--override") == 0)
            continue;
        if (slot != NULL) {
            if (i + 1 >= argc)
                return cg_cmd_usage_error(&cg_cmd_refund, "%s needs a value", argv[i]);
            *slot = argv[++i];
        } else if (o->npos < 8) {
            o->pos[o->npos++] = argv[i];
        } else {
            return cg_cmd_usage_error(&cg_cmd_refund, "too many arguments");
        }
    }
    return -1;
}

static void show_problem(void *ctx, const char *text)
{
    (void)ctx;
    fprintf(stderr, "%s\n", text);
}

/* A batch mark's skipped members, kept until the transaction is committed. */
static void keep_line(void *ctx, const char *text)
{
    struct cg_buf *b = ctx;

    cg_buf_addf(b, "%s\n", text);
}

/*
 * Print a batch's two files, each on a line of its own, as normalised absolute paths (no "./"
 * or "../" from the working directory and --out joined): the path itself when it cannot be
 * resolved.
 */
static void print_files(const struct cg_refund_batch *b)
{
    const char *files[2] = {b->export_csv, b->purchase_csv};
    int i;

    for (i = 0; i < 2; i++) {
        char *real = realpath(files[i], NULL);
        printf("%s\n", real != NULL ? real : files[i]);
        free(real);
    }
}

static const char *const kind_names[] = {"-", "declaration items", "refund rates", "invoices",
                                         "results"};

static int do_import(const struct cg_cli *cli, struct cg_refund *r, int kind, struct opts *o,
                     struct cg_err *err)
{
    int i, rc = CG_OK, worst = CG_OK;

    if (o->npos < 1)
        return CG_ERR_SET(err, CG_EINVAL, "refund import: FILE expected");
    for (i = 0; i < o->npos; i++) {
        struct cg_refund_import res;
        rc = cg_refund_import(r, kind, o->pos[i], show_problem, NULL, &res, err);
        if (rc == CG_OK)
            rc = cg_refund_note_imported(r, kind, o->pos[i], err);
        if (rc == CG_OK && cli->quiet)
            ; /* errors only */
        else if (rc == CG_OK && res.duplicate)
            printf("%s: imported before, nothing to do\n", o->pos[i]);
        else if (rc == CG_OK)
            printf("%s: %s, %ld row%s: %ld recorded, %ld known, %ld allocation%s made\n", o->pos[i],
                   kind_names[res.kind], res.rows, res.rows == 1 ? "" : "s", res.added, res.known,
                   res.matched, res.matched == 1 ? "" : "s");
        if (rc == CG_EREJECT) {
            fprintf(stderr, "cebgate: %s\n", err->msg);
            cg_err_clear(err);
            worst = CG_EREJECT;
            continue;
        }
        if (rc != CG_OK)
            return rc;
    }
    if (worst != CG_OK)
        return CG_ERR_SET(err, worst, "some files were refused");
    return CG_OK;
}

static int do_prepare(struct cg_cli *cli, struct cg_refund *r, struct opts *o, struct cg_err *err)
{
    struct cg_refund_batch b;
    const char *dir = o->outdir != NULL ? o->outdir : cg_conf_get(cli->conf, "refund", "outdir");
    char *workdir = NULL, *path = NULL;
    char a[32], inv[32];
    int rc;

    if (o->period == NULL)
        return CG_ERR_SET(err, CG_EINVAL, "refund prepare --period YYYYMM expected");
    if (dir == NULL)
        dir = "refund";
    if (dir[0] == '/') {
        path = cg_strdup(dir);
    } else {
        workdir = cg_conf_workdir(cli->conf);
        path = workdir != NULL ? cg_fs_join(workdir, dir) : NULL;
    }
    if (path == NULL) {
        free(workdir);
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    rc = cg_refund_prepare(r, o->period, path, &b, err);
    if (rc == CG_OK && !cli->quiet) {
        cg_refund_fen_format(b.refund_fen, a, sizeof(a));
        cg_refund_fen_format(b.invoice_fen, inv, sizeof(inv));
        printf("batch B%lld: %ld %s, invoices CNY %s, refund CNY %s\n", b.id, b.units,
               b.units == 1 ? "unit" : "units", inv, a);
        print_files(&b);
    }
    free(path);
    free(workdir);
    return rc;
}

/*
 * Collection from settle/, then clearance and returns from what customs said. always: print
 * the counts even when nothing changed (the `refund sync` command).
 */
static int do_sync(struct cg_cli *cli, struct cg_store *db, struct cg_refund *r, int always,
                   struct cg_err *err)
{
    struct cg_refund_sync y;
    struct cg_settle *s = NULL;
    long n = 0, back = 0, amb = 0;
    int rc = cg_settle_new(cli->conf, db, &s, err);

    if (rc == CG_OK)
        rc = cg_refund_sync_collection(r, s, &n, &back, &amb, err);
    cg_settle_free(s);
    if (rc == CG_OK)
        rc = cg_refund_sync_customs(r, &y, err);
    if (rc == CG_OK && !cli->quiet &&
        (always || n > 0 || back > 0 || amb > 0 || y.cleared > 0 || y.returns > 0 || y.refused > 0))
        printf("%ld %s collected according to settle, %ld reversed, %ld not taken: order "
               "number of several sellers (fx_note in report refund units); %ld %s cleared "
               "by customs; %ld returned %s applied, %ld waiting for their unit, %ld "
               "refused\n",
               n, n == 1 ? "unit" : "units", back, amb, y.cleared,
               y.cleared == 1 ? "unit" : "units", y.returns, y.returns == 1 ? "line" : "lines",
               y.unresolved, y.refused);
    return rc;
}

/*
 * The line saying what a verb recorded (the unit, its state, the amounts), unless -q: the verbs
 * that record an operator's action and have no count or file of their own to print.
 */
static void say_done(const struct cg_cli *cli, const struct cg_refund *r)
{
    if (!cli->quiet)
        printf("%s\n", cg_refund_done(r));
}

/* refund regime and fix: say what was recorded, then which batch the unit left, and its files
 * written again without it. regime NULL: a fix. */
static int do_leave(struct cg_cli *cli, struct cg_refund *r, const char *unit, const char *regime,
                    const char *note, struct cg_err *err)
{
    struct cg_refund_batch b;
    char a[32], inv[32];
    int rc = regime != NULL ? cg_refund_regime(r, unit, regime, note, &b, err)
                            : cg_refund_fix(r, unit, note, &b, err);

    if (rc == CG_OK)
        say_done(cli, r);
    if (rc != CG_OK || cli->quiet || b.id == 0)
        return rc;
    if (b.filed) {
        printf("unit %s left batch B%lld, which is filed: its files are kept as filed\n", unit,
               b.id);
        return rc;
    }
    cg_refund_fen_format(b.refund_fen, a, sizeof(a));
    cg_refund_fen_format(b.invoice_fen, inv, sizeof(inv));
    printf("unit %s left batch B%lld; its files were written again without it: %ld %s, "
           "invoices CNY %s, refund CNY %s (upload them again)\n",
           unit, b.id, b.units, b.units == 1 ? "unit" : "units", inv, a);
    print_files(&b);
    return rc;
}

/*
 * refund explain NAME: a unit (#ID, or ENTRY/ITEM when such a unit exists), else an order
 * ([SELLER/]ORDER-NO) with its units or why it has none.
 */
static int do_explain(struct cg_refund *r, const char *name, char **text, struct cg_err *err)
{
    int rc;

    if (name[0] == '#')
        return cg_refund_explain(r, name, text, err);
    rc = cg_refund_explain(r, name, text, err);
    if (rc != CG_EINVAL && rc != CG_ENOTFOUND)
        return rc;
    cg_err_clear(err);
    rc = cg_refund_explain_order(r, name, text, err);
    if (rc == CG_ENOTFOUND)
        rc = CG_ERR_SET(err, CG_ENOTFOUND,
                        "'%s': no refund unit (ENTRY/ITEM or #ID) and no order "
                        "([SELLER/]ORDER-NO) of that name",
                        name);
    return rc;
}

static int exec_refund(struct cg_cli *cli, int argc, char **argv)
{
    struct cg_store *db = NULL;
    struct cg_refund *r = NULL;
    struct cg_err err;
    struct opts o;
    const char *verb;
    int rc;

    cg_err_clear(&err);
    if (argc < 2)
        return cg_cmd_usage_error(&cg_cmd_refund, "a verb is expected");
    verb = argv[1];
    if ((rc = parse(argc, argv, &o)) >= 0)
        return rc;
    /* explain only reads: it must not leave an empty database behind */
    if (strcmp(verb, "explain") == 0)
        cli->db_existing = 1;
    rc = cg_cli_refund_open(cli, &db, &r, &err);
    if (rc == CG_OK && o.as_of != NULL && strcmp(verb, "tick") != 0)
        rc = cg_refund_set_today(r, o.as_of, &err);
    if (rc != CG_OK)
        goto done;
    if (strcmp(verb, "entries") == 0) {
        rc = do_import(cli, r, CG_RF_ENTRIES, &o, &err);
    } else if (strcmp(verb, "rates") == 0) {
        rc = do_import(cli, r, CG_RF_RATES, &o, &err);
    } else if (strcmp(verb, "invoices") == 0) {
        rc = do_import(cli, r, CG_RF_INVOICES, &o, &err);
    } else if (strcmp(verb, "results") == 0) {
        rc = do_import(cli, r, CG_RF_RESULTS, &o, &err);
    } else if (strcmp(verb, "sync") == 0) {
        rc = do_sync(cli, db, r, 1, &err);
    } else if (strcmp(verb, "archived") == 0) {
        long n = 0;
        if (o.npos != 1)
            rc = CG_ERR_SET(&err, CG_EINVAL,
                            "refund archived BATCH|UNIT --note WHERE [--date DAY] expected");
        else
            rc = cg_refund_archived(r, o.pos[0], o.date, o.note, &n, &err);
        if (rc == CG_OK && !cli->quiet)
            printf("%ld %s: supporting documents archived\n", n, n == 1 ? "unit" : "units");
    } else if (strcmp(verb, "match") == 0) {
        long made = 0;
        rc = cg_refund_match(r, &made, &err);
        if (rc == CG_OK && !cli->quiet)
            printf("%ld allocation%s made\n", made, made == 1 ? "" : "s");
    } else if (strcmp(verb, "allocate") == 0) {
        if (o.npos < 2 || o.npos > 3)
            rc =
                CG_ERR_SET(&err, CG_EINVAL, "refund allocate UNIT CODE/NUMBER/LINE [QTY] expected");
        else
            rc = cg_refund_allocate(r, o.pos[0], o.pos[1], o.npos > 2 ? o.pos[2] : NULL, o.note,
                                    &err);
        if (rc == CG_OK)
            say_done(cli, r);
    } else if (strcmp(verb, "cleared") == 0) {
        if (o.npos != 2)
            rc = CG_ERR_SET(&err, CG_EINVAL, "refund cleared ENTRY DAY expected");
        else
            rc = cg_refund_cleared(r, o.pos[0], o.pos[1], &err);
        if (rc == CG_OK)
            say_done(cli, r);
    } else if (strcmp(verb, "collected") == 0 || strcmp(verb, "late") == 0 ||
               strcmp(verb, "fix") == 0) {
        if (o.npos != 1)
            rc = CG_ERR_SET(&err, CG_EINVAL, "refund %s UNIT --note TEXT expected", verb);
        else if (verb[0] == 'c')
            rc = cg_refund_collected(r, o.pos[0], o.note, &err);
        else if (verb[0] == 'l')
            rc = cg_refund_late(r, o.pos[0], o.note, &err);
        else
            rc = do_leave(cli, r, o.pos[0], NULL, o.note, &err);
        if (rc == CG_OK && verb[0] != 'f')
            say_done(cli, r);
    } else if (strcmp(verb, "regime") == 0) {
        if (o.npos != 2)
            rc = CG_ERR_SET(&err, CG_EINVAL, "refund regime UNIT REGIME --note TEXT expected");
        else
            rc = do_leave(cli, r, o.pos[0], o.pos[1], o.note, &err);
    } else if (strcmp(verb, "return") == 0) {
        char done[700];
        if (o.npos != 2)
            rc = CG_ERR_SET(&err, CG_EINVAL, "refund return UNIT QTY [--date DAY] expected");
        else
            rc = cg_refund_return(r, o.pos[0], o.pos[1], o.date, o.note, done, sizeof(done), &err);
        if (rc == CG_OK && !cli->quiet)
            printf("%s\n", done);
    } else if (strcmp(verb, "clawback") == 0) {
        if (o.npos != 1)
            rc = CG_ERR_SET(&err, CG_EINVAL, "refund clawback UNIT [--amount A] expected");
        else
            rc = cg_refund_clawback_paid(r, o.pos[0], o.amount, o.date, &err);
        if (rc == CG_OK)
            say_done(cli, r);
    } else if (strcmp(verb, "reclaimed") == 0) {
        if (o.npos != 1)
            rc = CG_ERR_SET(&err, CG_EINVAL, "refund reclaimed UNIT [--amount A] expected");
        else
            rc = cg_refund_reclaimed(r, o.pos[0], o.amount, o.date, &err);
        if (rc == CG_OK)
            say_done(cli, r);
    } else if (strcmp(verb, "prepare") == 0) {
        rc = do_prepare(cli, r, &o, &err);
    } else if (strncmp(verb, "mark-", 5) == 0) {
        int outcome = cg_refund_outcome_parse(verb + 5);
        struct cg_buf skipped;
        long moved = 0;
        int i;
        cg_buf_init(&skipped, 1u << 20);
        if (outcome < 0 || o.npos < 1)
            rc = CG_ERR_SET(&err, CG_EINVAL,
                            "refund mark-prechecked|incomplete|mismatch|filed|approved|paid|"
                            "rejected|final BATCH|UNIT... expected");
        for (i = 0; rc == CG_OK && i < o.npos; i++)
            rc = cg_refund_mark(r, o.pos[i], outcome, o.amount, o.date, o.note, o.override,
                                keep_line, &skipped, &moved, &err);
        if (rc == CG_OK && !cli->quiet)
            printf("%s: %ld %s moved\n%s", verb + 5, moved, moved == 1 ? "unit" : "units",
                   cg_buf_str(&skipped));
        cg_buf_free(&skipped);
    } else if (strcmp(verb, "tick") == 0) {
        struct cg_refund_tick t;
        char a[32], v[32];
        rc = cg_refund_tick(r, o.as_of, &t, &err);
        if (rc == CG_OK && !cli->quiet) {
            cg_refund_fen_format(t.at_risk_fen, a, sizeof(a));
            cg_refund_fen_format(t.vat_due_fen, v, sizeof(v));
            printf("tick: %ld past the soft deadline, %ld past the hard deadline; refund at risk "
                   "CNY %s, VAT if sold at home CNY %s; %ld with supporting documents late\n",
                   t.lapsed_soft, t.lapsed_hard, a, v, t.archive_late);
        }
    } else if (strcmp(verb, "explain") == 0) {
        char *text = NULL;
        if (o.npos != 1)
            rc = CG_ERR_SET(&err, CG_EINVAL, "refund explain UNIT|[SELLER/]ORDER-NO expected");
        else
            rc = do_explain(r, o.pos[0], &text, &err);
        if (rc == CG_OK)
            fputs(text, stdout);
        free(text);
    } else {
        rc = CG_ERR_SET(&err, CG_EINVAL, "refund: unknown verb '%s'", verb);
    }
done:
    cg_refund_free(r);
    cg_store_close(db);
    if (rc == CG_EINVAL && strncmp(err.msg, "refund", 6) == 0)
        return cg_cmd_usage_error(&cg_cmd_refund, "%s", err.msg);
    return cg_cli_settle_exit(rc, &err);
}

const struct cg_cmd cg_cmd_refund = {
    "refund",
    "VERB [ARGS] [--as-of DAY]",
    "export VAT refund: declaration items, invoices, batches, outcomes, deadlines",
    "  entries FILE...       customs declaration items (refund units)\n"
    "  rates FILE...         refund-rate table by HS code and validity dates\n"
    "  invoices FILE...      purchase invoices, then matching\n"
    "  results FILE...       the tax office's outcomes per unit\n"
    "  sync                  collection from settle; clearance (CEB792 decState) and\n"
    "                        accepted returns (CEB214) from customs\n"
    "  match                 match invoice lines to units waiting for documents\n"
    "  allocate UNIT CODE/NUMBER/LINE [QTY] [--note TEXT]\n"
    "  cleared ENTRY DAY     the declaration was cleared (结关) on DAY\n"
    "  collected UNIT --note EVIDENCE   proceeds collected or deemed collected\n"
    "  prepare --period YYYYMM [--out DIR]   filing batch and its two CSV files\n"
    "  mark-prechecked|incomplete|mismatch|filed|approved|paid|rejected BATCH|UNIT...\n"
    "        [--amount A] [--date DAY] [--note REASON] [--override]\n"
    "  mark-final BATCH|UNIT... --note REASON [--date DAY]   the tax office pays no more of\n"
    "        an approved refund paid in part: refunded is what was paid, the rest a shortfall;\n"
    "        dated on the last instalment's day, or DAY (not before it)\n"
    "  late UNIT --note EVIDENCE        file after the soft deadline\n"
    "  fix UNIT --note TEXT             a mismatch or rejection was corrected\n"
    "  regime UNIT REGIME --note TEXT   REFUND, EXEMPT_WITH_DOCS, EXEMPT_NO_INVOICE_103, TAXABLE\n"
    "  return UNIT QTY [--date DAY] [--note TEXT]   goods came back: clawback after a refund\n"
    "  clawback UNIT [--amount A] [--date DAY]      the clawback was repaid\n"
    "  reclaimed UNIT [--amount A] [--date DAY]     an overpaid clawback was paid back\n"
    "  archived BATCH|UNIT --note WHERE [--date DAY] supporting documents archived\n"
    "  tick [--as-of DAY]    apply the soft and hard deadlines\n"
    "  explain UNIT          state, amounts, invoices and events of a unit\n"
    "  explain [SELLER/]ORDER-NO   the units of an order's goods, each explained, or why it\n"
    "                        has none (route A, not released, no declaration or unit yet)\n"
    "UNIT is ENTRY/ITEM (declaration number and item) or #ID; BATCH is B<ID>; an order is\n"
    "ORDER-NO (every seller's order with it) or SELLER/ORDER-NO, as cebgate status names it.\n",
    CG_CMD_NEEDS_CONF,
    exec_refund,
};

/* ------------------------------------------------------------------ cebgate run */

static void intake_line(void *ctx, int what, const char *text, const struct cg_refund_import *res)
{
    struct cg_cli_settle_ctx *c = ctx;

    switch (what) {
    case CG_RF_INTAKE_DONE:
        printf("done refund file %s: %s, %ld row%s, %ld recorded\n", text, kind_names[res->kind],
               res->rows, res->rows == 1 ? "" : "s", res->added);
        c->done++;
        break;
    case CG_RF_INTAKE_DUPLICATE:
        printf("duplicate refund file %s: imported before\n", text);
        c->duplicate++;
        break;
    case CG_RF_INTAKE_FAILED:
        printf("failed refund file: %s\n", text);
        c->rejected = 1;
        c->failed++;
        break;
    default: fprintf(stderr, "%s\n", text); break;
    }
}

const char *cg_cli_file_kind(const char *head, size_t len)
{
    return cg_cli_file_import(head, len, NULL);
}

const char *cg_cli_file_import(const char *head, size_t len, const char **command)
{
    int kind = cg_refund_sniff(head, len);
    const char *what = NULL, *cmd = NULL;

    if (kind == CG_RF_INVOICES) {
        what = "a purchase invoice file (docs/invoices-format.md)";
        cmd = "cebgate refund invoices";
    } else if (kind == CG_RF_RESULTS) {
        what = "a refund results file (docs/refund.md)";
        cmd = "cebgate refund results";
    } else if (cg_settle_sniff(NULL, head, len) != CG_STMT_NONE) {
        what = "a collection statement (docs/collections-format.md)";
        cmd = "cebgate settle import";
    }
    if (command != NULL)
        *command = cmd;
    return what;
}

int cg_cli_refund_intake(struct cg_cli_settle_ctx *c, struct cg_err *err)
{
    struct cg_cli *cli = c->cli;
    struct cg_store *db = NULL;
    struct cg_refund *r = NULL;
    char *workdir = NULL;
    int rc = cg_cli_refund_open(cli, &db, &r, err);

    if (rc == CG_OK) {
        workdir = cg_conf_workdir(cli->conf);
        rc = workdir != NULL ? cg_refund_intake(r, workdir, intake_line, c, err)
                             : CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    free(workdir);
    cg_refund_free(r);
    cg_store_close(db);
    return rc;
}

/*
 * The end of `cebgate run`: [refund] run_sync takes collection, clearance and returns,
 * [refund] run_tick applies the deadlines and the archive reminder as of today. A database
 * failure is temporary (the caller exits 75).
 */
int cg_cli_refund_run(struct cg_cli *cli, struct cg_err *err)
{
    struct cg_store *db = NULL;
    struct cg_refund *r = NULL;
    int rc;

    if (!cg_conf_get_bool(cli->conf, "refund", "run_sync") &&
        !cg_conf_get_bool(cli->conf, "refund", "run_tick"))
        return CG_OK;
    rc = cg_cli_refund_open(cli, &db, &r, err);
    if (rc == CG_OK && cg_conf_get_bool(cli->conf, "refund", "run_sync"))
        rc = do_sync(cli, db, r, 0, err);
    if (rc == CG_OK && cg_conf_get_bool(cli->conf, "refund", "run_tick")) {
        struct cg_refund_tick t;
        rc = cg_refund_tick(r, NULL, &t, err);
        if (rc == CG_OK && !cli->quiet && (t.lapsed_soft || t.lapsed_hard || t.archive_late)) {
            char a[32], v[32];
            cg_refund_fen_format(t.at_risk_fen, a, sizeof(a));
            cg_refund_fen_format(t.vat_due_fen, v, sizeof(v));
            printf("refund: %ld past the soft deadline, %ld past the hard deadline; refund at "
                   "risk CNY %s, VAT if sold at home CNY %s; %ld with supporting documents "
                   "late\n",
                   t.lapsed_soft, t.lapsed_hard, a, v, t.archive_late);
        }
    }
    cg_refund_free(r);
    cg_store_close(db);
    return rc;
}
