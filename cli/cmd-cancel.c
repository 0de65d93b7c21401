/*
 * cmd-cancel.c - `cebgate cancel [SELLER/]ORDER-NO --reason TEXT` and `cebgate cancel --confirm
 * [SELLER/]ORDER-NO`: declare the cancellation (CEB605) of an order's export inventory.
 *
 * Opens the working directory like run (lock, database, transport), applies the receipts
 * waiting in inbox/ first so the rules see the latest states, declares the cancellation and
 * hands it to the transport. Exit 0 declared (sent, or queued for the next run when the port
 * is unavailable), 1 refused (the rule is printed) or unknown order, 2 usage or configuration,
 * 75 temporary (database, disk, signer).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "core/buf.h"
#include "core/log.h"
#include "spool/spool.h"

/* Events of the spool (a summary's lines) as they come. */
static void declare_event(void *ctx, int ev, const struct cg_spool_stats *st, const char *text)
{
    (void)ctx;
    (void)st;
    /* A line per receipt file only at -v (info), as for run: docs/spool.md, "Operator view". */
    if (ev == CG_SPOOL_EV_RECEIPTS && cg_log_get_level() < CG_LOG_INFO)
        return;
    if (ev != CG_SPOOL_EV_PROGRESS)
        printf("%s\n", text);
}

int cg_cli_declare(struct cg_cli *cli, const char *what, const char *order_no, bool receipts,
                   int (*fn)(struct cg_spool *sp, void *ctx, struct cg_err *err), void *ctx)
{
    struct cg_spool_opts o;
    struct cg_transport *t = NULL;
    struct cg_spool *sp = NULL;
    struct cg_err err;
    int status = CG_EXIT_OK;
    int rc;

    cg_err_clear(&err);
    memset(&o, 0, sizeof(o));
    o.event = declare_event;
    /* A decision on declared orders: where there is no database there is nothing to decide on,
     * and none is made (cg_cli_store_open says where it looked). */
    if (cli->db_existing) {
        struct cg_store *db = NULL;

        rc = cg_cli_store_open(cli, &db, &err);
        cg_store_close(db);
        if (rc != CG_OK)
            return cg_cmd_fail(&err);
    }
    rc = cg_transport_new(cli->conf, &t, &err);
    if (rc == CG_OK)
        rc = cg_spool_open(cli->conf, &o, t, &sp, &err);
    if (rc == CG_OK && receipts)
        rc = cg_spool_receipts(sp, &err);
    if (rc == CG_OK)
        rc = fn(sp, ctx, &err);
    if (rc == CG_OK && order_no != NULL) {
        const struct cg_spool_stats *st = cg_spool_stats(sp);

        printf("order %s: %s declared: %s\n", order_no, what,
               st->msgs_sent > 0      ? "sent"
               : st->msgs_refused > 0 ? "refused by the port (cebgate status)"
                                      : "queued, sent by the next run");
        if (st->msgs_refused > 0)
            status = CG_EXIT_ERROR;
    } else if (rc == CG_EREJECT || rc == CG_ENOTFOUND || rc == CG_EEXIST || rc == CG_EINVAL) {
        fprintf(stderr, "cebgate: %s refused: %s\n", what, err.msg);
        status = CG_EXIT_ERROR;
    } else {
        status = cg_run_exit(rc, &err, NULL);
    }
    cg_spool_close(sp);
    cg_transport_free(t);
    return status;
}

struct cancel_args {
    const char *seller, *order_no, *reason;
    bool confirm;
};

static int do_cancel(struct cg_spool *sp, void *ctx, struct cg_err *err)
{
    struct cancel_args *a = ctx;

    return cg_spool_cancel(sp, a->seller, a->order_no, a->reason, a->confirm, err);
}

static int exec_cancel(struct cg_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"reason", required_argument, NULL, 'r'},
        {"confirm", no_argument, NULL, 'c'},
        {NULL, 0, NULL, 0},
    };
    struct cancel_args a;
    const char *reason = NULL;
    char *seller = NULL;
    const char *order_no;
    const char *slash;
    bool confirm = false;
    int status;
    int c;

    while ((c = getopt_long(argc, argv, "r:", opts, NULL)) != -1) {
        switch (c) {
        case 'r': reason = optarg; break;
        case 'c': confirm = true; break;
        default: return cg_cmd_usage_error(&cg_cmd_cancel, "unknown option");
        }
    }
    if (optind + 1 != argc)
        return cg_cmd_usage_error(&cg_cmd_cancel, "one ORDER-NO expected");
    if (!confirm && (reason == NULL || reason[0] == '\0'))
        return cg_cmd_usage_error(&cg_cmd_cancel, "--reason TEXT is required (or --confirm)");
    if (reason != NULL && strlen(reason) > 1000)
        return cg_cmd_usage_error(&cg_cmd_cancel, "--reason: at most 1000 characters");
    order_no = argv[optind];
    slash = strchr(order_no, '/');
    if (slash != NULL) {
        seller = cg_strdup(order_no);
        if (seller == NULL) {
            fprintf(stderr, "cebgate: out of memory\n");
            return CG_EXIT_ERROR;
        }
        seller[slash - order_no] = '\0';
        order_no = slash + 1;
    }
    a.seller = seller;
    a.order_no = order_no;
    a.reason = reason;
    a.confirm = confirm;
    status = cg_cli_declare(cli, "cancellation (CEB605)", order_no, true, do_cancel, &a);
    free(seller);
    return status;
}

const struct cg_cmd cg_cmd_cancel = {
    "cancel",
    "[SELLER/]ORDER-NO --reason TEXT | --confirm [SELLER/]ORDER-NO",
    "declare the cancellation (CEB605) of an order's released export inventory",
    "  --reason TEXT   why (sent to customs, at most 1000 characters)\n"
    "  --confirm       an order listed by `status --cancel` (cancelled by its shop): declare\n"
    "                  its cancellation with the shop's reason (or --reason)\n"
    "refused, with the rule, when customs does not allow it: no inventory, not released yet,\n"
    "the goods departed (closed or departure declared), already cancelled or pending\n"
    "exit: 0 declared, 1 refused or unknown order, 2 usage, 75 temporary failure\n",
    CG_CMD_NEEDS_CONF | CG_CMD_ACTS_ON_DB,
    exec_cancel,
};
