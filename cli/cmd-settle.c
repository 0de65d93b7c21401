/*
 * cmd-settle.c - `cebgate settle VERB ...`: import statements, match receipts to orders, record
 * rates, evidence and settlements, apply the deadlines, explain an order.
 *
 * Each verb is one transaction in settle/. Exit 0 ok, 1 input refused (a bad statement entry, an
 * allocation beyond a receipt, a settlement beyond the holding, an unknown order or receipt),
 * 2 usage, 75 temporary failure (database, disk: nothing was written, run it again).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "core/buf.h"
#include "core/fsutil.h"
#include "core/text.h"
#include "mapping/mapping.h"
#include "settle/settle.h"
#include "store/store.h"

#define STMT_MAX (256u * 1024u * 1024u)

#define HINT ": not a working directory? run cebgate init DIR, or give -c FILE"

/* The error for a database that is not there: where it was looked for and why there. */
static int no_database(const struct cg_cli *cli, const char *workdir, const char *dbname,
                       struct cg_err *err)
{
    char *abs = realpath(workdir, NULL);
    char *path = dbname[0] == '/' ? NULL : cg_fs_join(abs != NULL ? abs : workdir, dbname);
    const char *p = path != NULL ? path : dbname;
    const char *w = abs != NULL ? abs : workdir;
    int rc;

    if (cli->conf_path != NULL)
        rc = CG_ERR_SET(err, CG_ECONFIG, "no database at %s (workdir %s, from %s)%s", p, w,
                        cli->conf_path, HINT);
    else
        rc = CG_ERR_SET(err, CG_ECONFIG,
                        "no database at %s (workdir %s, the current directory by default: no "
                        "-c FILE, no CEBGATE_CONF, no ./cebgate.conf)%s",
                        p, w, HINT);
    free(path);
    free(abs);
    return rc;
}

int cg_cli_store_open(struct cg_cli *cli, struct cg_store **db, struct cg_err *err)
{
    char *workdir = cg_conf_workdir(cli->conf);
    const char *dbname = cg_conf_get(cli->conf, "general", "database");
    char *path = NULL;
    int rc;

    if (dbname == NULL)
        dbname = "cebgate.db";
    path = workdir == NULL    ? NULL
           : dbname[0] == '/' ? cg_strdup(dbname)
                              : cg_fs_join(workdir, dbname);
    if (path == NULL)
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    else if (cli->db_existing && access(path, F_OK) != 0 && errno == ENOENT)
        rc = no_database(cli, workdir, dbname, err); /* other errors: cg_store_open words them */
    else
        rc = cg_store_open(path, db, err);
    free(path);
    free(workdir);
    return rc;
}

int cg_cli_settle_open(struct cg_cli *cli, struct cg_store **db, struct cg_settle **s,
                       struct cg_err *err)
{
    int rc = cg_cli_store_open(cli, db, err);

    if (rc == CG_OK) {
        rc = cg_settle_new(cli->conf, *db, s, err);
        if (rc != CG_OK) {
            cg_store_close(*db);
            *db = NULL;
        }
    }
    return rc;
}

int cg_cli_settle_exit(int rc, const struct cg_err *err)
{
    if (rc == CG_OK)
        return CG_EXIT_OK;
    fprintf(stderr, "cebgate: %s\n", err->msg[0] ? err->msg : cg_strerror(rc));
    /* Temporary failures (cg_rc_temporary) exit 75, usage and configuration 2, the rest 1. */
    return cg_rc_exit_code(rc);
}

/* Options every verb may take; the rest are positional. */
struct opts {
    const char *seller, *note, *as_of, *rate, *date, *ref, *source, *file, *reason;
    int undo; /* --undo, a flag without a value (settle arrival) */
    char *pos[8];
    int npos;
};

static int parse(int argc, char **argv, struct opts *o)
{
    int i;

    memset(o, 0, sizeof(*o));
    for (i = 2; i < argc; i++) {
        const char **slot = NULL;
        if (strcmp(argv[i], "--seller") == 0)
            slot = &o->seller;
        else if (strcmp(argv[i], "--note") == 0)
            slot = &o->note;
        else if (strcmp(argv[i], "--as-of") == 0)
            slot = &o->as_of;
        else if (strcmp(argv[i], "--rate") == 0)
            slot = &o->rate;
        else if (strcmp(argv[i], "--date") == 0)
            slot = &o->date;
        else if (strcmp(argv[i], "--ref") == 0)
            slot = &o->ref;
        else if (strcmp(argv[i], "--source") == 0)
            slot = &o->source;
        else if (strcmp(argv[i], "--file") == 0)
            slot = &o->file;
        else if (strcmp(argv[i], "--reason") == 0)
            slot = &o->reason;
        else if (strcmp(argv[i], "--undo") == 0) {
            o->undo = 1;
            continue;
        } else if (argv[i][0] == '-' && argv[i][1] == '-')
            return cg_cmd_usage_error(&cg_cmd_settle, "unknown option %s", argv[i]);
        if (slot != NULL) {
            if (i + 1 >= argc)
                return cg_cmd_usage_error(&cg_cmd_settle, "%s needs a value", argv[i]);
            *slot = argv[++i];
        } else if (o->npos < 8) {
            o->pos[o->npos++] = argv[i];
        } else {
            return cg_cmd_usage_error(&cg_cmd_settle, "too many arguments");
        }
    }
    return -1;
}

static void show_problem(void *ctx, const char *text)
{
    (void)ctx;
    fprintf(stderr, "%s\n", text);
}

/* The noun for a count of n: one for 1, else many (0 entries, 1 entry, 2 entries). */
static const char *noun(long n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/*
 * The fee allocations automatic matching made beside the others, " (and 1 fee netted)", so
 * that an import's count adds up to the allocations `settle explain` lists; "" when none.
 * Static storage: one call per line printed.
 */
static const char *fees_made(const struct cg_settle_import *res)
{
    static char out[96];

    if (res->fees_netted > 0 && res->fees_back > 0)
        snprintf(out, sizeof(out), " (and %ld %s netted, %ld given back)", res->fees_netted,
                 noun(res->fees_netted, "fee", "fees"), res->fees_back);
    else if (res->fees_netted > 0)
        snprintf(out, sizeof(out), " (and %ld %s netted)", res->fees_netted,
                 noun(res->fees_netted, "fee", "fees"));
    else if (res->fees_back > 0)
        snprintf(out, sizeof(out), " (and %ld %s given back)", res->fees_back,
                 noun(res->fees_back, "fee", "fees"));
    else
        out[0] = '\0';
    return out;
}

static const char *const kind_names[] = {"-",        "collections CSV", "camt.053",
                                         "camt.054", "payout report",   "MT940"};

static int do_import(const struct cg_cli *cli, struct cg_settle *s, struct opts *o,
                     struct cg_err *err)
{
    int i;
    int rc = CG_OK, worst = CG_OK;

    if (o->npos < 1)
        return CG_ERR_SET(err, CG_EINVAL, "settle import: FILE expected");
    for (i = 0; i < o->npos; i++) {
        struct cg_buf b;
        struct cg_settle_import res;
        cg_buf_init(&b, STMT_MAX);
        rc = cg_fs_read(o->pos[i], STMT_MAX, &b, err);
        if (rc == CG_OK)
            rc = cg_settle_import(s, o->seller != NULL ? o->seller : "", o->pos[i],
                                  b.data != NULL ? b.data : "", b.len, show_problem, NULL, &res,
                                  err);
        cg_buf_free(&b);
        if (rc == CG_OK)
            rc = cg_settle_note_imported(s, o->seller != NULL ? o->seller : "", o->pos[i], res.kind,
                                         err);
        if (rc == CG_OK && cli->quiet)
            ; /* errors only */
        else if (rc == CG_OK && res.duplicate)
            printf("%s: imported before%s, nothing to do%s%s\n", o->pos[i], res.dup_where,
                   res.dup_todo[0] ? ": " : "", res.dup_todo);
        else if (rc == CG_OK)
            printf("%s: %s, %ld %s: %ld %s recorded, %ld known from another file, %ld %s made%s\n",
                   o->pos[i], kind_names[res.kind], res.entries,
                   noun(res.entries, "entry", "entries"), res.added,
                   noun(res.added, "receipt", "receipts"), res.known, res.allocations,
                   noun(res.allocations, "allocation", "allocations"), fees_made(&res));
        if (rc == CG_OK && !cli->quiet && !res.duplicate && res.transfers > 0)
            printf("%s: %ld bank %s the arrival of %s imported from a payout report, not counted "
                   "again\n",
                   o->pos[i], res.transfers, noun(res.transfers, "credit is", "credits are"),
                   noun(res.transfers, "a payout", "payouts"));
        if (rc == CG_OK && !cli->quiet && !res.duplicate && res.charges > 0)
            printf("%s: %ld %s naming no order counted as the bank's %s by the charge words of %s "
                   "text ([settle] charge_words)\n",
                   o->pos[i], res.charges, noun(res.charges, "debit", "debits"),
                   noun(res.charges, "charge", "charges"), noun(res.charges, "its", "their"));
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
        return CG_ERR_SET(err, worst, "some statements were refused");
    return CG_OK;
}

static long long receipt_no(const char *s)
{
    char *end = NULL;
    long long v = strtoll(s, &end, 10);

    return end != NULL && *end == '\0' && v > 0 ? v : 0;
}

/* A mark records the operator's evidence: without --note it is a usage error (exit 2). */
static int note_given(const char *verb, const char *note, struct cg_err *err)
{
    if (note == NULL || note[strspn(note, " \t")] == '\0')
        return CG_ERR_SET(err, CG_EINVAL,
                          "settle %s: --note TEXT is required: a note with the evidence", verb);
    return CG_OK;
}

/*
 * settle charge RECEIPT --reason TEXT: the receipt is the bank's charge, recorded with the user
 * running the command (by login name, the uid when it has none), the day and the reason.
 */
static int do_charge(const struct cg_cli *cli, struct cg_settle *s, const struct opts *o,
                     struct cg_err *err)
{
    long long r = o->npos == 1 ? receipt_no(o->pos[0]) : 0;
    char by[256];
    int rc;

    if (r == 0)
        return CG_ERR_SET(err, CG_EINVAL, "settle charge RECEIPT --reason TEXT expected");
    if (o->reason == NULL || o->reason[strspn(o->reason, " \t")] == '\0')
        return CG_ERR_SET(err, CG_EINVAL,
                          "settle charge: --reason TEXT is required: why the "
                          "receipt is the bank's charge");
    if (strlen(o->reason) > 1000)
        return CG_ERR_SET(err, CG_EINVAL, "settle charge: --reason: at most 1000 characters");
    cg_cli_user_name(by, sizeof(by));
    rc = cg_settle_charge(s, r, by, o->reason, err);
    if (rc == CG_OK && !cli->quiet)
        printf("receipt %lld: recorded as the bank's charge by %s\n", r, by);
    return rc;
}

/*
 * settle arrival RECEIPT PAYOUT [--note TEXT]: the bank credit is the payout's arrival, recorded
 * with the user running the command (as settle charge) and the day; settle arrival --undo
 * RECEIPT [--note TEXT] takes an arrival back.
 */
static int do_arrival(const struct cg_cli *cli, struct cg_settle *s, const struct opts *o,
                      struct cg_err *err)
{
    long long r = o->npos >= 1 ? receipt_no(o->pos[0]) : 0;
    char by[256];
    int rc;

    if (r == 0 || o->npos != (o->undo ? 1 : 2))
        return CG_ERR_SET(err, CG_EINVAL,
                          o->undo ? "settle arrival --undo RECEIPT [--note TEXT] expected"
                                  : "settle arrival RECEIPT PAYOUT [--note TEXT] expected");
    if (o->note != NULL && strlen(o->note) > 1000)
        return CG_ERR_SET(err, CG_EINVAL, "settle arrival: --note: at most 1000 characters");
    cg_cli_user_name(by, sizeof(by));
    rc = o->undo ? cg_settle_arrival_undo(s, r, by, o->note, err)
                 : cg_settle_arrival(s, r, o->pos[1], by, o->note, err);
    if (rc == CG_OK && !cli->quiet)
        printf("%s\n", cg_settle_done(s));
    return rc;
}

/* What `settle explain` of an order settle/ does not know found out about it. */
struct not_here {
    const char *seller; /* NULL: any seller */
    const char *no;
    struct cg_buf held; /* the files that held it back, a line each */
    long nheld, nother; /* files that held it; orders of the spool or rejections of it */
};

static int held_file(const char *seller, const char *file, const char *at, int status, void *vctx)
{
    struct not_here *c = vctx;
    const char *why = status == CG_ORDER_WAIT
                          ? "waiting: not paid yet, payment only authorized, or pending in that "
                            "file; a later file of the shop that shows it live (paid) declares it"
                      : status == CG_ORDER_SKIP
                          ? "skipped: fully refunded or voided before shipping, or every item "
                            "cancelled, in that file; never declared unless a later file shows "
                            "it live"
                      : status == CG_ORDER_CANCELLED
                          ? "cancelled in that file; never declared unless a later file shows it "
                            "live"
                          : "waiting, skipped or cancelled (which one is not known for a file "
                            "taken before the database kept it); a later file that shows it live "
                            "declares it";

    char shown[1024];

    c->nheld++;
    /* the file's name is the seller's: shown escaped */
    return cg_buf_addf(&c->held, "  held back by %s%s%s, taken %s: %s\n", seller,
                       seller[0] ? "/" : "", cg_text_show(file, shown, sizeof(shown)), at,
                       why) == CG_OK
               ? CG_OK
               : CG_ENOMEM;
}

static int other_order(const struct cg_store_order *o, void *vctx)
{
    struct not_here *c = vctx;

    if (c->seller == NULL || strcmp(o->seller, c->seller) == 0)
        c->nother++;
    return CG_OK;
}

static int other_rejection(const char *at, const char *reason, void *vctx)
{
    (void)at;
    (void)reason;
    ((struct not_here *)vctx)->nother++;
    return CG_OK;
}

/*
 * settle explain of an order settle/ has no declared amount for: one held back for its shop
 * status is explained (held, by which files, why and what declares it; exit 0); a number
 * cebgate knows nothing of for that seller is no such order (CG_ENOTFOUND, exit 1, as status
 * and refund explain); one the spool knows otherwise (rejected, declared without an amount)
 * keeps settle's own refusal.
 */
static int explain_not_here(struct cg_store *db, const char *spec, struct cg_err *err)
{
    struct not_here c;
    char seller[64];
    const char *slash = strchr(spec, '/');
    int rc;

    memset(&c, 0, sizeof(c));
    c.no = spec;
    if (slash != NULL && (size_t)(slash - spec) < sizeof(seller)) {
        memcpy(seller, spec, (size_t)(slash - spec));
        seller[slash - spec] = '\0';
        c.seller = seller;
        c.no = slash + 1;
    }
    cg_buf_init(&c.held, 1u << 20);
    rc = cg_store_order_held(db, c.seller, c.no, held_file, &c, err);
    if (rc == CG_OK && c.nheld == 0)
        rc = cg_store_orders_named(db, c.no, other_order, &c, err);
    if (rc == CG_OK && c.nheld == 0 && c.nother == 0)
        rc = cg_store_order_rejections(db, c.seller, c.no, other_rejection, &c, err);
    if (rc == CG_ENOMEM)
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    if (rc == CG_OK && c.nheld > 0) {
        printf("order %s is held back for its shop status: not declared, so nothing is to be "
               "collected for it; settle follows it once a file declares it and customs "
               "releases it\n%s",
               spec, cg_buf_str(&c.held));
    } else if (rc == CG_OK && c.nother == 0) {
        if (c.seller != NULL)
            rc = CG_ERR_SET(err, CG_ENOTFOUND, "order %s: no such order of seller %s", spec,
                            c.seller);
        else
            rc = CG_ERR_SET(err, CG_ENOTFOUND, "order %s: no such order of any seller", spec);
    } else if (rc == CG_OK) {
        rc = CG_ENOTFOUND; /* settle's own words stand */
    }
    cg_buf_free(&c.held);
    return rc;
}

static int exec_settle(struct cg_cli *cli, int argc, char **argv)
{
    struct cg_store *db = NULL;
    struct cg_settle *s = NULL;
    struct cg_err err;
    struct opts o;
    const char *verb;
    int rc;

    cg_err_clear(&err);
    if (argc < 2)
        return cg_cmd_usage_error(&cg_cmd_settle, "a verb is expected");
    verb = argv[1];
    if ((rc = parse(argc, argv, &o)) >= 0)
        return rc;
    /* explain only reads: it must not leave an empty database behind */
    if (strcmp(verb, "explain") == 0)
        cli->db_existing = 1;
    rc = cg_cli_settle_open(cli, &db, &s, &err);
    if (rc == CG_OK && o.as_of != NULL)
        rc = cg_settle_set_today(s, o.as_of, &err);
    if (rc != CG_OK)
        goto done;
    if (o.undo && strcmp(verb, "arrival") != 0) {
        rc = CG_ERR_SET(&err, CG_EINVAL, "settle %s: --undo is for settle arrival only", verb);
    } else if (strcmp(verb, "import") == 0) {
        rc = do_import(cli, s, &o, &err);
    } else if (strcmp(verb, "match") == 0 || strcmp(verb, "unmatch") == 0 ||
               strcmp(verb, "confirm") == 0) {
        long long r = o.npos >= 1 ? receipt_no(o.pos[0]) : 0;
        if (r == 0 || (verb[0] != 'c' && o.npos < 2) || o.npos > 3) {
            rc = CG_ERR_SET(&err, CG_EINVAL, "settle %s RECEIPT %s expected", verb,
                            verb[0] == 'c' ? "[ORDER]" : "ORDER");
        } else if (verb[0] == 'm') {
            rc = cg_settle_match(s, r, o.pos[1], o.npos > 2 ? o.pos[2] : NULL, o.note, &err);
        } else if (verb[0] == 'u') {
            rc = cg_settle_unmatch(s, r, o.pos[1], o.note, &err);
        } else {
            rc = cg_settle_confirm(s, r, o.npos > 1 ? o.pos[1] : NULL, &err);
        }
        if (rc == CG_OK && !cli->quiet)
            printf("receipt %lld: %s done\n", r, verb);
    } else if (strcmp(verb, "charge") == 0) {
        rc = do_charge(cli, s, &o, &err);
    } else if (strcmp(verb, "arrival") == 0) {
        rc = do_arrival(cli, s, &o, &err);
    } else if (strcmp(verb, "rate") == 0) {
        if (o.npos != 3)
            rc = CG_ERR_SET(&err, CG_EINVAL, "settle rate CURRENCY DAY RATE expected");
        else
            rc = cg_settle_rate_set(s, o.pos[0], o.pos[1], o.pos[2], o.source, &err);
        if (rc == CG_OK && !cli->quiet)
            printf("%s\n", cg_settle_done(s));
    } else if (strcmp(verb, "deem") == 0 || strcmp(verb, "uncollectible") == 0 ||
               strcmp(verb, "filed") == 0) {
        int mark = verb[0] == 'd'   ? CG_MARK_DEEMED
                   : verb[0] == 'u' ? CG_MARK_UNCOLLECTIBLE
                                    : CG_MARK_CREDIT_FILED;
        if (o.npos != 1)
            rc = CG_ERR_SET(&err, CG_EINVAL, "settle %s ORDER --note EVIDENCE expected", verb);
        else if ((rc = note_given(verb, o.note, &err)) == CG_OK)
            rc = cg_settle_mark(s, o.pos[0], mark, NULL, o.note, &err);
        if (rc == CG_OK && !cli->quiet)
            printf("%s\n", cg_settle_done(s));
    } else if (strcmp(verb, "mark") == 0) {
        int mark = -1;
        if (o.npos == 3 && strcmp(o.pos[1], "fx-diff") == 0)
            mark = CG_MARK_FX_DIFF;
        else if (o.npos == 3 && strcmp(o.pos[1], "freight") == 0)
            mark = CG_MARK_FREIGHT;
        else if (o.npos == 3 && strcmp(o.pos[1], "returned") == 0)
            mark = CG_MARK_RETURNED;
        if (mark < 0)
            rc = CG_ERR_SET(
                &err, CG_EINVAL,
                "settle mark ORDER fx-diff|freight|returned AMOUNT --note TEXT expected");
        else if ((rc = note_given(verb, o.note, &err)) == CG_OK)
            rc = cg_settle_mark(s, o.pos[0], mark, o.pos[2], o.note, &err);
        if (rc == CG_OK && !cli->quiet)
            printf("%s\n", cg_settle_done(s));
    } else if (strcmp(verb, "explain") == 0) {
        char *text = NULL;
        if (o.npos != 1)
            rc = CG_ERR_SET(&err, CG_EINVAL, "settle explain ORDER expected");
        else
            rc = cg_settle_explain(s, o.pos[0], NULL, &text, &err);
        if (rc == CG_ENOTFOUND) {
            /* not in settle/: held for its status, or no such order at all */
            struct cg_err why;
            int r2;
            cg_err_clear(&why);
            r2 = explain_not_here(db, o.pos[0], &why);
            if (r2 != CG_ENOTFOUND || why.msg[0] != '\0') {
                rc = r2;
                err = why;
            }
        }
        if (rc == CG_OK && text != NULL)
            fputs(text, stdout);
        free(text);
    } else if (strcmp(verb, "convert") == 0 && o.file != NULL) {
        struct cg_buf b;
        long added = 0, known = 0;
        cg_buf_init(&b, STMT_MAX);
        rc = cg_fs_read(o.file, STMT_MAX, &b, &err);
        if (rc == CG_OK)
            rc = cg_settle_convert_file(s, o.file, b.data != NULL ? b.data : "", b.len,
                                        show_problem, NULL, &added, &known, &err);
        cg_buf_free(&b);
        if (rc == CG_OK && !cli->quiet)
            printf("%s: %ld %s recorded, %ld recorded before\n", o.file, added,
                   noun(added, "settlement", "settlements"), known);
    } else if (strcmp(verb, "convert") == 0) {
        int64_t cny = 0;
        if (o.npos != 2 || o.rate == NULL)
            rc = CG_ERR_SET(&err, CG_EINVAL,
                            "settle convert CURRENCY AMOUNT --rate RATE [--date DAY] [--ref REF] "
                            "expected");
        else
            rc = cg_settle_convert(s, o.pos[0], o.pos[1], o.rate, o.date, o.ref, &cny, &err);
        if (rc == CG_OK && !cli->quiet)
            printf("settled %s %s at %s: CNY %lld.%02lld\n", o.pos[0], o.pos[1], o.rate,
                   (long long)(cny / 100), (long long)(cny % 100));
    } else if (strcmp(verb, "tick") == 0) {
        struct cg_settle_tick t;
        rc = cg_settle_tick(s, o.as_of, &t, &err);
        if (rc == CG_OK && !cli->quiet)
            printf("tick: %ld past the tax collection deadline, %ld deferred-receipt %s due, "
                   "%ld not filed in time, %ld past the overdue threshold\n",
                   t.overdue, t.credit_due, noun(t.credit_due, "report", "reports"), t.credit_late,
                   t.late);
    } else {
        rc = CG_ERR_SET(&err, CG_EINVAL, "unknown verb '%s'", verb);
    }
done:
    cg_settle_free(s);
    cg_store_close(db);
    if (rc == CG_EINVAL && strncmp(err.msg, "settle", 6) == 0)
        return cg_cmd_usage_error(&cg_cmd_settle, "%s", err.msg);
    return cg_cli_settle_exit(rc, &err);
}

const struct cg_cmd cg_cmd_settle = {
    "settle",
    "VERB [ARGS] [--as-of DAY]",
    "foreign-exchange collection: statements, matching, evidence, settlement, deadlines",
    "  import FILE... [--seller NAME]   camt.053/054, MT940, collections CSV or payout report\n"
    "  match RECEIPT ORDER [AMOUNT] [--note TEXT]   allocate a receipt (or part) to an order\n"
    "  unmatch RECEIPT ORDER [--note TEXT]          take an allocation back\n"
    "  charge RECEIPT --reason TEXT     an unallocated bank debit is the bank's own charge\n"
    "  arrival RECEIPT PAYOUT [--note TEXT]   a bank credit is a payout's arrival, of any amount\n"
    "  arrival --undo RECEIPT [--note TEXT]   take an arrival back (never found again by itself)\n"
    "  rate CURRENCY DAY RATE [--source TEXT]       CNY per unit on a day (bank's rate)\n"
    "  confirm RECEIPT [ORDER]          convert a receipt in another currency with stored rates\n"
    "  explain ORDER                    state, amounts, allocations and events of an order\n"
    "  deem ORDER --note EVIDENCE       deemed collected\n"
    "  uncollectible ORDER --note EVIDENCE\n"
    "  mark ORDER fx-diff|freight|returned AMOUNT --note TEXT\n"
    "  filed ORDER --note TEXT          the deferred-receipt report was filed\n"
    "  convert CURRENCY AMOUNT --rate RATE [--date DAY] [--ref REF]   settle FX into CNY\n"
    "  convert --file FILE              the conversions of a bank's settlement file\n"
    "  tick [--as-of DAY]               apply the deadlines\n"
    "ORDER is an order number, or SELLER/NUMBER; RECEIPT the number `report fx unmatched`\n"
    "shows (`report fx charges` for a charge); PAYOUT the payout id of the payout report\n"
    "(Payout ID), or SELLER/ID. --as-of DAY records operator actions on that day instead of\n"
    "today.\n",
    CG_CMD_NEEDS_CONF,
    exec_settle,
};

/* ------------------------------------------------------------------ cebgate run */

static void intake_line(void *ctx, int what, const char *text, const struct cg_settle_import *res)
{
    struct cg_cli_settle_ctx *c = ctx;

    switch (what) {
    case CG_INTAKE_DONE:
        printf("done statement %s: %s, %ld %s, %ld %s recorded, %ld %s%s\n", text,
               kind_names[res->kind], res->entries, noun(res->entries, "entry", "entries"),
               res->added, noun(res->added, "receipt", "receipts"), res->allocations,
               noun(res->allocations, "allocation", "allocations"), fees_made(res));
        c->done++;
        break;
    case CG_INTAKE_DUPLICATE:
        printf("duplicate statement %s: imported before%s%s%s\n", text, res->dup_where,
               res->dup_todo[0] ? ": " : "", res->dup_todo);
        c->duplicate++;
        break;
    case CG_INTAKE_FAILED:
        printf("failed statement: %s\n", text);
        c->rejected = 1;
        c->failed++;
        break;
    case CG_INTAKE_PROFILE:
        snprintf(c->payout_note, sizeof(c->payout_note),
                 "if it is a payout report, it was read as an order file because the payout "
                 "profile could not be loaded: %s",
                 text);
        break;
    default: fprintf(stderr, "%s\n", text); break;
    }
}

int cg_cli_settle_run(struct cg_cli_settle_ctx *c, int phase, struct cg_err *err)
{
    struct cg_cli *cli = c->cli;
    struct cg_store *db = NULL;
    struct cg_settle *s = NULL;
    char *workdir = NULL;
    int rc = cg_cli_settle_open(cli, &db, &s, err);

    if (rc != CG_OK)
        goto done;
    if (phase == 0) {
        c->payout_note[0] = '\0';
        workdir = cg_conf_workdir(cli->conf);
        rc = workdir != NULL ? cg_settle_intake(s, workdir, intake_line, c, err)
                             : CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    } else if (cg_conf_get_bool(cli->conf, "settle", "run_tick")) {
        struct cg_settle_tick t;
        long made = 0;
        rc = cg_settle_auto_match(s, &made, err);
        if (rc == CG_OK)
            rc = cg_settle_tick(s, NULL, &t, err);
        if (rc == CG_OK && !cli->quiet && (made || t.overdue || t.credit_due || t.credit_late))
            printf("settle: %ld %s, %ld past the tax collection deadline, %ld "
                   "deferred-receipt %s due, %ld not filed in time\n",
                   made, noun(made, "allocation", "allocations"), t.overdue, t.credit_due,
                   noun(t.credit_due, "report", "reports"), t.credit_late);
    }
done:
    free(workdir);
    cg_settle_free(s);
    cg_store_close(db);
    return rc;
}

int cg_cli_settle_intake(void *ctx, struct cg_err *err)
{
    struct cg_cli_settle_ctx *c = ctx;
    int rc = cg_cli_settle_run(c, 0, err);

    /* Invoice and tax result files dropped beside the statements are refund/'s. */
    return rc == CG_OK ? cg_cli_refund_intake(c, err) : rc;
}
