/*
 * cmd-return.c - `cebgate return [SELLER/]ORDER-NO [--lines GNUM[:QTY],...] --reason TEXT
 * --traf-name NAME --voyage NO [...]`: declare the return (CEB213) of exported goods.
 *
 * Opens the working directory like run, applies the receipts waiting in inbox/ first, declares
 * the return and hands it to the transport. Exit 0 declared, 1 refused (the rule is printed),
 * unknown order or bad lines, 2 usage or configuration, 75 temporary.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "core/buf.h"
#include "spool/spool.h"

struct return_args {
    const char *seller, *order_no;
    const struct cg_spool_return_req *rq;
};

static int do_return(struct cg_spool *sp, void *ctx, struct cg_err *err)
{
    struct return_args *a = ctx;

    return cg_spool_return(sp, a->seller, a->order_no, a->rq, err);
}

static int exec_return(struct cg_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"reason", required_argument, NULL, 'r'},
        {"lines", required_argument, NULL, 'l'},
        {"traf-name", required_argument, NULL, 't'},
        {"voyage", required_argument, NULL, 'v'},
        {"bill-no", required_argument, NULL, 'b'},
        {"traf-mode", required_argument, NULL, 'm'},
        {"port-code", required_argument, NULL, 'p'},
        {"logistics-no", required_argument, NULL, 'n'},
        {"logistics-code", required_argument, NULL, 'c'},
        {"logistics-name", required_argument, NULL, 'N'},
        {NULL, 0, NULL, 0},
    };
    struct cg_spool_return_req rq;
    struct return_args a;
    char *seller = NULL;
    const char *order_no;
    char *slash;
    int status;
    int c;

    memset(&rq, 0, sizeof(rq));
    while ((c = getopt_long(argc, argv, "r:l:", opts, NULL)) != -1) {
        switch (c) {
        case 'r': rq.reason = optarg; break;
        case 'l': rq.lines = optarg; break;
        case 't': rq.traf_name = optarg; break;
        case 'v': rq.voyage_no = optarg; break;
        case 'b': rq.bill_no = optarg; break;
        case 'm': rq.traf_mode = optarg; break;
        case 'p': rq.port_code = optarg; break;
        case 'n': rq.logistics_no = optarg; break;
        case 'c': rq.logistics_code = optarg; break;
        case 'N': rq.logistics_name = optarg; break;
        default: return cg_cmd_usage_error(&cg_cmd_return, "unknown option");
        }
    }
    if (optind + 1 != argc)
        return cg_cmd_usage_error(&cg_cmd_return, "one ORDER-NO expected");
    if (rq.reason == NULL || rq.reason[0] == '\0' || strlen(rq.reason) > 1000)
        return cg_cmd_usage_error(&cg_cmd_return,
                                  "--reason TEXT (1 to 1000 characters) is required");
    if (rq.traf_name == NULL || rq.voyage_no == NULL)
        return cg_cmd_usage_error(
            &cg_cmd_return, "--traf-name and --voyage (how the goods come back) are required");
    seller = cg_strdup(argv[optind]);
    if (seller == NULL) {
        fprintf(stderr, "cebgate: out of memory\n");
        return CG_EXIT_ERROR;
    }
    slash = strchr(seller, '/');
    if (slash != NULL) {
        *slash = '\0';
        order_no = slash + 1;
    } else {
        order_no = seller;
    }
    a.seller = slash != NULL ? seller : NULL;
    a.order_no = order_no;
    a.rq = &rq;
    status = cg_cli_declare(cli, "return (CEB213)", order_no, true, do_return, &a);
    /* What the order is still to bring is the operator's to record (docs/settlement.md). */
    if (status == CG_EXIT_OK)
        printf("order %s: once customs releases the return (800), record the declared value of "
               "the goods coming back for settlement: cebgate settle mark %s returned AMOUNT "
               "--note \"...\"\n",
               order_no, argv[optind]);
    free(seller);
    return status;
}

const struct cg_cmd cg_cmd_return = {
    "return",
    "[SELLER/]ORDER-NO [--lines GNUM[:QTY],...] --reason TEXT --traf-name NAME --voyage NO",
    "declare the return (CEB213) of an order's exported goods",
    "  --lines GNUM[:QTY],...  the inventory lines coming back (default: all, whole quantity)\n"
    "  --reason TEXT           why (sent to customs, at most 1000 characters)\n"
    "  --traf-name NAME        vessel, flight or vehicle bringing the goods back\n"
    "  --voyage NO             its voyage or flight number\n"
    "  --bill-no NO            bill of lading or master waybill (default: the parcel's number)\n"
    "  --traf-mode C, --port-code CODE       transport mode and entry port (default: seller's)\n"
    "  --logistics-no, --logistics-code, --logistics-name   the return parcel (default: the\n"
    "                          export's waybill and carrier)\n"
    "refused, with the rule, unless the inventory was released or closed and no return is\n"
    "pending; tradeMode 9661 (1261 for special-area exports, trade_mode 1210)\n"
    "exit: 0 declared, 1 refused, unknown order or bad lines, 2 usage, 75 temporary failure\n",
    CG_CMD_NEEDS_CONF | CG_CMD_ACTS_ON_DB,
    exec_return,
};
