/*
 * cmd-map.c - `cebgate map FILE...`: the seller's dry run of order mapping.
 *
 * Reads each order file through the seller's mapping profile, catalogue and shipments, builds
 * every message `cebgate run` would declare for each live order and validates it against the
 * schema (no signing), and prints every order that passes as one line of JSON on stdout (or a
 * table with --table): what map accepts is what run declares. Each rejected order is one line
 * on stderr, "file:line: order <no>: field <name>: reason" (or "CEB603 schema: reason"), and
 * each order that is not declared because of its status one line "file:line: order <no>:
 * waiting|skipped|cancelled: why"; the other orders go on. Exit 0 when no order was rejected
 * (waiting and skipped orders are not errors), 1 when any order was rejected or a file could
 * not be read or held no order (run refuses such a file), 2 for usage or configuration errors.
 * Nothing is written anywhere.
 *
 * Reading and checking run side by side on two threads (below); the output is in file order.
 */
#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "core/buf.h"
#include "core/money.h"
#include "declare/declare.h"
#include "mapping/mapping.h"

static void table_row(const struct cg_order *o)
{
    char gv[CG_DEC_STRMAX], fr[CG_DEC_STRMAX];

    cg_dec_format(o->goods_value, 2, gv, sizeof(gv));
    cg_dec_format(o->freight, 2, fr, sizeof(fr));
    printf("%-24s %-4s %-4s %5zu %14s %10s  %-32s %.12s\n", o->order_no, o->currency_iso,
           o->country_iso, o->nlines, gv, fr, o->has_shipment ? o->ship.logistics_no : "-",
           o->hash);
}

static int replace(char **dst, const char *v)
{
    char *n = strdup(v);

    if (n == NULL)
        return -1;
    free(*dst);
    *dst = n;
    return 0;
}

/*
 * Two threads. The calling thread reads and maps the orders and writes each order's JSON line;
 * orders travel in batches of ITEMS_MAX, and each batch's messages are built and validated (the
 * check, the larger half of the work) by the checker thread or, when the reader would otherwise
 * wait for a free batch, by the reader itself: neither thread idles while the other has work.
 * Whoever finishes checking the next batch in file order prints it, and the batches ready after
 * it: each order's line or its rejection, and the reader's own rejections and waiting or skipped
 * orders, so the output is in file order. NBATCH batches in all keep memory flat however long
 * the file. Without the thread (pthread_create failed) the reader checks every batch itself;
 * the output is the same.
 */
enum { ITEMS_MAX = 256, NBATCH = 4 };

enum item_kind {
    IT_ORDER, /* o, with its JSON line (or nothing with --table) in text */
    IT_NOTE,  /* a line for stderr in text, not an error */
    IT_ERROR, /* a line for stderr in text that makes the exit status 1 */
};

struct item {
    enum item_kind kind;
    struct cg_order *o;
    struct cg_buf text;
    bool bad;      /* IT_ORDER: the check failed, text is the rejection (or empty: see msg_lost) */
    bool msg_lost; /* the rejection could not be written for want of memory */
};

enum batch_state {
    B_SPARE,    /* free; its orders are freed by the reader when it takes it */
    B_FILLING,  /* the reader's */
    B_FULL,     /* waiting for a check */
    B_CHECKING, /* one thread checks it */
    B_CHECKED,  /* waiting for its turn to print */
};

struct batch {
    enum batch_state st;
    unsigned long seq; /* order of hand-over: the order of printing */
    size_t n;
    struct item it[ITEMS_MAX];
};

struct pipe {
    pthread_mutex_t lock;
    pthread_cond_t cv; /* any change of state */
    struct batch pool[NBATCH];
    struct batch *cur;        /* the batch the reader fills, B_FILLING */
    unsigned long next_seq;   /* of the next batch handed over */
    unsigned long next_print; /* of the next batch to print */
    bool printing;            /* a thread prints; others leave it to that thread */
    bool stop;                /* no more batches */
    bool threaded;            /* the checker thread runs */
    pthread_t tid;
    /* what the check needs, read only */
    struct cg_schema *schema;
    const struct cg_seller *seller;
    const struct cg_base_transfer *bt;
    const char *version;
    bool table;
    /* counted while printing (one printer at a time); read by the reader after drain() */
    long n_bad;
    bool failed;
};

/* Check one order (bad and msg_lost are false on entry); the rejection, if any, goes into text.
 * Any thread. */
static void check_item(struct pipe *p, struct item *it)
{
    struct cg_order *o = it->o;
    struct cg_err err;

    if (it->kind != IT_ORDER)
        return;
    cg_err_clear(&err);
    if (cg_order_check(p->schema, o, p->seller, p->bt, p->version, &err) != CG_OK) {
        it->bad = true;
        cg_buf_reset(&it->text);
        if (cg_buf_addf(&it->text, "%s:%ld: order %s: %s\n", o->source, o->line, o->order_no,
                        err.msg) != CG_OK)
            it->msg_lost = true;
    }
}

/*
 * Check the items of b. Orders go GROUP at a time through cg_orders_pass() (one message per
 * kind for the group, validated once: most of a small message's cost is the message, not its
 * entities); only a group that does not pass is checked order by order, which gives each
 * order its own verdict and words. Any thread.
 */
enum { GROUP = 16 };

static void check_items(struct pipe *p, struct batch *b)
{
    const struct cg_order *o[GROUP];
    size_t i = 0, j, end, m;

    while (i < b->n) {
        for (end = i, m = 0; end < b->n && m < GROUP; end++) {
            b->it[end].bad = false;
            b->it[end].msg_lost = false;
            if (b->it[end].kind == IT_ORDER)
                o[m++] = b->it[end].o;
        }
        if (m > 0 && !cg_orders_pass(p->schema, o, m, p->seller, p->bt, p->version))
            for (j = i; j < end; j++)
                check_item(p, &b->it[j]);
        i = end;
    }
}

/* Print one checked item. Only the printing thread. */
static void print_item(struct pipe *p, struct item *it)
{
    const struct cg_order *o = it->o;

    if (it->kind != IT_ORDER) {
        fwrite(it->text.data, 1, it->text.len, stderr);
        if (it->kind == IT_ERROR)
            p->failed = true;
    } else if (it->bad) {
        if (it->msg_lost)
            fprintf(stderr, "%s:%ld: order %s: rejected (the reason was lost: out of memory)\n",
                    o->source, o->line, o->order_no);
        else
            fwrite(it->text.data, 1, it->text.len, stderr);
        p->n_bad++;
    } else if (p->table) {
        table_row(o);
    } else {
        fwrite(it->text.data, 1, it->text.len, stdout);
    }
}

/* Free the orders of a printed batch. Done by the reader, which allocated them: a free from the
 * checker thread would take the reader's malloc arena lock for every block, against the reader. */
static void batch_release(struct batch *b)
{
    size_t i;

    for (i = 0; i < b->n; i++) {
        cg_order_free(b->it[i].o);
        b->it[i].o = NULL;
    }
    b->n = 0;
}

/* The oldest batch waiting for a check, or NULL. Lock held. */
static struct batch *oldest_full(struct pipe *p)
{
    struct batch *best = NULL;
    size_t i;

    for (i = 0; i < NBATCH; i++)
        if (p->pool[i].st == B_FULL && (best == NULL || p->pool[i].seq < best->seq))
            best = &p->pool[i];
    return best;
}

/* Print every batch whose turn has come, unless another thread already does. Lock held. */
static void print_ready(struct pipe *p)
{
    size_t i;
    struct batch *b;

    while (!p->printing) {
        b = NULL;
        for (i = 0; i < NBATCH; i++)
            if (p->pool[i].st == B_CHECKED && p->pool[i].seq == p->next_print)
                b = &p->pool[i];
        if (b == NULL)
            return;
        p->printing = true;
        pthread_mutex_unlock(&p->lock);
        for (i = 0; i < b->n; i++)
            print_item(p, &b->it[i]);
        pthread_mutex_lock(&p->lock);
        p->printing = false;
        p->next_print++;
        b->st = B_SPARE;
        pthread_cond_broadcast(&p->cv);
    }
}

/* Check batch b (B_CHECKING, taken by this thread), then print what is ready. Lock held; it is
 * released while checking. */
static void check_and_print(struct pipe *p, struct batch *b)
{
    pthread_mutex_unlock(&p->lock);
    check_items(p, b);
    pthread_mutex_lock(&p->lock);
    b->st = B_CHECKED;
    print_ready(p);
    pthread_cond_broadcast(&p->cv);
}

/* Take the oldest batch waiting for a check, check it and print what is ready; false when no
 * batch waits. Lock held; it is released while checking. */
static bool check_oldest(struct pipe *p)
{
    struct batch *b = oldest_full(p);

    if (b == NULL)
        return false;
    b->st = B_CHECKING;
    check_and_print(p, b);
    return true;
}

static void *checker_main(void *arg)
{
    struct pipe *p = arg;

    pthread_mutex_lock(&p->lock);
    for (;;) {
        if (check_oldest(p))
            continue;
        if (p->stop)
            break;
        pthread_cond_wait(&p->cv, &p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static void pipe_init(struct pipe *p)
{
    size_t i, j;

    memset(p, 0, sizeof(*p));
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cv, NULL);
    for (i = 0; i < NBATCH; i++) {
        p->pool[i].st = B_SPARE;
        for (j = 0; j < ITEMS_MAX; j++)
            cg_buf_init(&p->pool[i].it[j].text, SIZE_MAX / 2);
    }
}

static void pipe_start(struct pipe *p)
{
    p->threaded = pthread_create(&p->tid, NULL, checker_main, p) == 0;
    if (p->threaded)
        pthread_setname_np(p->tid, "map-checker");
}

/* The batch the reader fills (cur): a spare one; while there is none, the reader checks the
 * oldest waiting batch itself, or waits for the checker. */
static struct batch *pipe_batch(struct pipe *p)
{
    struct batch *b;
    size_t i;

    if (p->cur != NULL)
        return p->cur;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        b = NULL;
        for (i = 0; i < NBATCH && b == NULL; i++)
            if (p->pool[i].st == B_SPARE)
                b = &p->pool[i];
        if (b != NULL)
            break;
        if (!check_oldest(p))
            pthread_cond_wait(&p->cv, &p->lock);
    }
    b->st = B_FILLING;
    pthread_mutex_unlock(&p->lock);
    batch_release(b);
    p->cur = b;
    return b;
}

/* Hand the reader's batch over to be checked. */
static void pipe_push(struct pipe *p)
{
    struct batch *b = p->cur;

    p->cur = NULL;
    if (b == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    b->seq = p->next_seq++;
    b->st = B_FULL;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->lock);
}

/* The next item to fill; hands the batch over first when it is full. */
static struct item *pipe_item(struct pipe *p)
{
    struct batch *b = pipe_batch(p);
    struct item *it;

    if (b->n == ITEMS_MAX) {
        pipe_push(p);
        b = pipe_batch(p);
    }
    it = &b->it[b->n++];
    it->kind = IT_ORDER;
    it->o = NULL;
    cg_buf_reset(&it->text);
    return it;
}

/* Hand over what is filled and help check it until all of it is printed; free its orders. */
static void pipe_drain(struct pipe *p)
{
    size_t i;

    if (p->cur != NULL) {
        if (p->cur->n > 0) {
            pipe_push(p);
        } else {
            p->cur->st = B_SPARE; /* empty: nothing to print */
            p->cur = NULL;
        }
    }
    pthread_mutex_lock(&p->lock);
    while (p->next_print != p->next_seq)
        if (!check_oldest(p))
            pthread_cond_wait(&p->cv, &p->lock);
    pthread_mutex_unlock(&p->lock);
    for (i = 0; i < NBATCH; i++)
        batch_release(&p->pool[i]);
}

static void pipe_free(struct pipe *p)
{
    size_t i, j;

    pipe_drain(p);
    if (p->threaded) {
        pthread_mutex_lock(&p->lock);
        p->stop = true;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->lock);
        pthread_join(p->tid, NULL);
    }
    for (i = 0; i < NBATCH; i++)
        for (j = 0; j < ITEMS_MAX; j++)
            cg_buf_free(&p->pool[i].it[j].text);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->lock);
}

/* A line for stderr, printed in its place among the orders. CG_OK or CG_ENOMEM. */
static int pipe_note(struct pipe *p, enum item_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int pipe_note(struct pipe *p, enum item_kind kind, const char *fmt, ...)
{
    struct item *it = pipe_item(p);
    va_list ap;
    int rc;

    it->kind = kind;
    va_start(ap, fmt);
    rc = cg_buf_vaddf(&it->text, fmt, ap);
    va_end(ap);
    return rc;
}

static char outbuf[256 * 1024];

/*
 * A file refused before its first order that is an invoice, results or statement file: say so
 * and name the command that imports it (run takes such files from incoming/ itself).
 */
static int other_kind(struct pipe *pp, struct cg_reader *r, const char *path)
{
    char head[4096];
    const char *kind, *command = NULL;
    long n = 0, bad = 0;
    ssize_t got;
    int fd;

    cg_reader_counts(r, &n, &bad);
    if (n != 0 || bad != 0)
        return CG_OK;
    fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return CG_OK;
    got = pread(fd, head, sizeof(head), 0);
    close(fd);
    if (got <= 0 || (kind = cg_cli_file_import(head, (size_t)got, &command)) == NULL)
        return CG_OK;
    return pipe_note(pp, IT_ERROR,
                     "cebgate: %s: this is %s, not an order file: import it with `%s FILE`, or "
                     "drop it in incoming/ for `cebgate run`\n",
                     path, kind, command);
}

struct seller_list {
    char text[200];
    size_t len;
};

static int add_seller(const char *name, void *ctx)
{
    struct seller_list *l = ctx;
    int n;

    if (l->len >= sizeof(l->text) - 1)
        return 0;
    n = snprintf(l->text + l->len, sizeof(l->text) - l->len, "%s%s", l->len > 0 ? ", " : "", name);
    if (n > 0)
        l->len = l->len + (size_t)n < sizeof(l->text) ? l->len + (size_t)n : sizeof(l->text) - 1;
    return 0;
}

/* Without --seller, map reads a file as the shared [seller] section says; when that lacks a
 * setting the sellers' own sections have, say which sections there are. */
static void hint_sellers(const struct cg_conf *conf, struct cg_err *err)
{
    struct seller_list l = {{0}, 0};
    char msg[sizeof(err->msg) + sizeof(l.text) + 80];

    cg_conf_each_named(conf, "seller", add_seller, &l);
    if (l.len == 0)
        return;
    snprintf(msg, sizeof(msg), "%s; no --seller given: try --seller NAME for one of %s", err->msg,
             l.text);
    cg_strlcpy(err->msg, msg, sizeof(err->msg));
}

static int exec_map(struct cg_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"seller", required_argument, NULL, 's'},  {"profile", required_argument, NULL, 'p'},
        {"catalog", required_argument, NULL, 'C'}, {"shipments", required_argument, NULL, 'S'},
        {"table", no_argument, NULL, 't'},         {NULL, 0, NULL, 0},
    };
    const char *seller_name = NULL, *profile = NULL, *catalog = NULL, *shipments = NULL;
    struct cg_seller *seller = NULL;
    struct cg_codes *codes = NULL;
    struct cg_map_ctx *m = NULL;
    struct cg_schema *schema = NULL;
    struct cg_base_transfer bt;
    const char *version = cg_conf_get(cli->conf, "declare", "schema_version");
    struct cg_err err;
    struct pipe pp;
    bool piped = false;
    char *data_dir = NULL;
    bool table = false;
    long total = 0, rejected = 0, held[4] = {0};
    int status = CG_EXIT_OK;
    int c, i;

    cg_err_clear(&err);
    while ((c = getopt_long(argc, argv, "s:p:C:S:t", opts, NULL)) != -1) {
        switch (c) {
        case 's': seller_name = optarg; break;
        case 'p': profile = optarg; break;
        case 'C': catalog = optarg; break;
        case 'S': shipments = optarg; break;
        case 't': table = true; break;
        default: return cg_cmd_usage_error(&cg_cmd_map, "unknown option");
        }
    }
    if (optind >= argc)
        return cg_cmd_usage_error(&cg_cmd_map, "FILE expected");
    if (cg_seller_load(cli->conf, seller_name, &seller, &err) != CG_OK)
        goto fail;
    if ((profile != NULL && replace(&seller->profile, profile) != 0) ||
        (catalog != NULL && replace(&seller->catalog, catalog) != 0) ||
        (shipments != NULL && replace(&seller->shipments, shipments) != 0)) {
        CG_ERR_SET(&err, CG_ENOMEM, "out of memory");
        goto fail;
    }
    data_dir = cg_conf_data_dir(cli->conf);
    if (data_dir == NULL) {
        CG_ERR_SET(&err, CG_ENOMEM, "out of memory");
        goto fail;
    }
    if (cg_codes_load(data_dir, &codes, &err) != CG_OK) {
        /* A code table missing means a wrong data directory: a configuration error (exit 2). */
        if (err.code == CG_ENOTFOUND)
            err.code = CG_ECONFIG;
        goto fail;
    }
    if (cg_map_ctx_new(cli->conf, seller, codes, &m, &err) != CG_OK) {
        if (seller_name == NULL && err.code == CG_ECONFIG)
            hint_sellers(cli->conf, &err);
        goto fail;
    }
    if (cg_schema_load(data_dir, version, &schema, &err) != CG_OK)
        goto fail;
    memset(&bt, 0, sizeof(bt));
    bt.cop_code = cg_conf_get(cli->conf, "declare", "cop_code");
    bt.cop_name = cg_conf_get(cli->conf, "declare", "cop_name");
    bt.dxp_id = cg_conf_get(cli->conf, "declare", "dxp_id");
    /* One write(2) per 256 KiB of output instead of one per 4 KiB when stdout is a file or a
     * pipe: with 26,000 writes for 100,000 orders, the system calls were a tenth of the
     * checker's time. A terminal keeps its line buffering. */
    if (!isatty(STDOUT_FILENO))
        setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
    if (table)
        printf("%-24s %-4s %-4s %5s %14s %10s  %-32s %s\n", "ORDER", "CUR", "DEST", "LINES",
               "GOODS VALUE", "FREIGHT", "WAYBILL", "HASH");
    pipe_init(&pp);
    pp.schema = schema;
    pp.seller = seller;
    pp.bt = &bt;
    pp.version = version;
    pp.table = table;
    piped = true;
    pipe_start(&pp);
    for (i = optind; i < argc; i++) {
        struct cg_reader *r = NULL;
        struct cg_order *o = NULL;
        long n = 0, bad = 0, n_held = 0, bad_before;
        int rc;

        if (cg_reader_open_path(m, argv[i], &r, &err) != CG_OK) {
            if (pipe_note(&pp, IT_ERROR, "cebgate: %s\n", err.msg) != CG_OK)
                goto nomem;
            continue;
        }
        bad_before = pp.n_bad;
        while ((rc = cg_reader_next(r, &o, &err)) != CG_ENOTFOUND) {
            struct item *it;

            if (rc == CG_EREJECT) {
                if (pipe_note(&pp, IT_NOTE, "%s\n", err.msg) != CG_OK)
                    goto nomem_file;
                continue;
            }
            if (rc != CG_OK) {
                if (pipe_note(&pp, IT_ERROR, "cebgate: %s\n", err.msg) != CG_OK ||
                    other_kind(&pp, r, argv[i]) != CG_OK)
                    goto nomem_file;
                break;
            }
            if (o->status != CG_ORDER_LIVE) {
                if (pipe_note(&pp, IT_NOTE, "%s:%ld: order %s: %s: %s\n", o->source, o->line,
                              o->order_no, cg_order_status_name(o->status),
                              o->status_reason) != CG_OK) {
                    cg_order_free(o);
                    goto nomem_file;
                }
                held[o->status]++;
                n_held++;
                cg_order_free(o);
                continue;
            }
            /* The line is written here, beside the reading; it is printed or, when the
             * order's messages fail, its rejection instead. */
            it = pipe_item(&pp);
            it->o = o;
            if (!table && (cg_order_json_add(o, false, &it->text) != CG_OK ||
                           cg_buf_addc(&it->text, '\n') != CG_OK)) {
                /* Nothing of this order is printed. */
                it->kind = IT_NOTE;
                it->o = NULL;
                cg_buf_reset(&it->text);
                cg_order_free(o);
                goto nomem_file;
            }
        }
        /* The orders may point into the reader: all of them are printed before it closes. */
        pipe_drain(&pp);
        cg_reader_counts(r, &n, &bad);
        /* run refuses a file that holds no order at all (failed/, "no orders in the file") */
        if (rc == CG_ENOTFOUND && n == 0 && bad == 0 &&
            pipe_note(&pp, IT_ERROR, "cebgate: %s: no orders in the file\n", argv[i]) != CG_OK)
            goto nomem_file;
        total += n - (pp.n_bad - bad_before) - n_held;
        rejected += bad + (pp.n_bad - bad_before);
        cg_reader_close(r);
        continue;
    nomem_file:
        pipe_drain(&pp);
        cg_reader_close(r);
        goto nomem;
    }
    pipe_drain(&pp);
    if (pp.failed)
        status = CG_EXIT_ERROR;
    if (fflush(stdout) != 0) {
        CG_ERR_SET(&err, CG_EIO, "writing the output failed");
        goto fail;
    }
    if (!cli->quiet)
        fprintf(stderr,
                "cebgate map: %ld order%s mapped, %ld rejected, %ld waiting, %ld skipped, %ld "
                "cancelled\n",
                total, total == 1 ? "" : "s", rejected, held[CG_ORDER_WAIT], held[CG_ORDER_SKIP],
                held[CG_ORDER_CANCELLED]);
    if (rejected > 0)
        status = CG_EXIT_ERROR;
    goto done;
nomem:
    CG_ERR_SET(&err, CG_ENOMEM, "out of memory");
fail:
    status = cg_cmd_fail(&err);
done:
    if (piped)
        pipe_free(&pp);
    cg_schema_free(schema);
    cg_map_ctx_free(m);
    cg_codes_free(codes);
    cg_seller_free(seller);
    free(data_dir);
    return status;
}

const struct cg_cmd cg_cmd_map = {
    "map",
    "FILE... [--seller NAME] [--profile NAME] [--catalog FILE] [--shipments FILE] [--table]",
    "map order files to normalized orders and check every message run would declare (JSON "
    "lines on stdout; rejected, waiting and skipped orders on stderr)",
    "  --seller NAME     use [seller.NAME] of the configuration (default: [seller])\n"
    "  --profile NAME    own, jsonl, shopify, amazon, or a profile file (default: [seller] "
    "profile)\n"
    "  --catalog FILE    product catalogue CSV (default: [seller] catalog)\n"
    "  --shipments FILE  shipments CSV joined by order number (default: [seller] shipments)\n"
    "  --table           print a table instead of JSON lines\n"
    "Each order is checked as `cebgate run` checks it: its messages are built and validated\n"
    "against the schema (not signed). Orders that wait or are skipped because of their status\n"
    "are listed on stderr and are not errors.\n"
    "Exit status: 0 no order rejected, 1 an order was rejected or a file failed or held no\n"
    "order, 2 usage or configuration error.\n",
    CG_CMD_NEEDS_CONF,
    exec_map,
};
