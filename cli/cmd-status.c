/*
 * cmd-status.c - `cebgate status [SELLER/]ORDER-NO | FILE | --pending | --rejected | --unknown`.
 *
 * The timeline of an order (each document, each version sent, each receipt, with times), the
 * history of an input file, or the lists of pending documents, rejections and receipts for
 * unknown guids. Reads the database only; works while run or watch is busy. An argument that
 * names a known input file is taken as a file, else as an order number. Exit 1 when unknown,
 * 2 for a --seller neither the configuration nor the database knows (cg_cli_seller_known).
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "spool/spool.h"
#include "store/store.h"

static int exec_status(struct cg_cli *cli, int argc, char **argv)
{
    struct cg_store *db = NULL;
    struct cg_err err;
    const char *seller = NULL, *what = NULL;
    int kind = 0;
    int rc;
    int status = CG_EXIT_OK;
    int wfd = -1;
    char *workdir;

    cg_err_clear(&err);
    /* --seller NAME, before or after a list option: that seller's items only */
    if (argc == 2)
        what = argv[1];
    else if (argc == 4 && strcmp(argv[1], "--seller") == 0) {
        seller = argv[2];
        what = argv[3];
    } else if (argc == 4 && strcmp(argv[2], "--seller") == 0) {
        seller = argv[3];
        what = argv[1];
    }
    if (what == NULL)
        return cg_cmd_usage_error(&cg_cmd_status, "one ORDER-NO, FILE or list option expected");
    if (strcmp(what, "--pending") == 0)
        kind = CG_STATUS_PENDING;
    else if (strcmp(what, "--rejected") == 0)
        kind = CG_STATUS_REJECTED;
    else if (strcmp(what, "--unknown") == 0)
        kind = CG_STATUS_UNKNOWN;
    else if (strcmp(what, "--cancel") == 0)
        kind = CG_STATUS_CANCEL;
    else if (strcmp(what, "--summaries") == 0)
        kind = CG_STATUS_SUMMARIES;
    else if (strcmp(what, "--incomplete") == 0)
        kind = CG_STATUS_INCOMPLETE;
    else if (strcmp(what, "--held") == 0)
        kind = CG_STATUS_HELD;
    else if (what[0] == '-' && what[1] == '-')
        return cg_cmd_usage_error(&cg_cmd_status, "unknown option %s", what);
    if (seller != NULL && kind == 0)
        return cg_cmd_usage_error(&cg_cmd_status,
                                  "--seller goes with a list option; name one seller's order or "
                                  "file as SELLER/ORDER-NO or SELLER/FILE");
    /* The working directory: an order's report reads what it declared from archive/. */
    workdir = cg_conf_workdir(cli->conf);
    if (workdir != NULL)
        wfd = open(workdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(workdir);
    rc = cg_cli_store_open(cli, &db, &err);
    if (rc != CG_OK) {
        status = cg_cmd_fail(&err);
        goto done;
    }
    /* A seller neither the configuration nor the database knows (a typo) would list nothing. */
    if (seller != NULL)
        rc = cg_cli_seller_known(cli, db, seller, &err);
    if (rc == CG_EINVAL) {
        status = cg_cmd_usage_error(&cg_cmd_status, "%s", err.msg);
        goto done;
    }
    if (rc == CG_OK && kind == 0) {
        /* A file name first (names of input files are distinctive), then an order number. */
        rc = cg_spool_status(db, wfd, CG_STATUS_FILE, what, stdout, &err);
        if (rc == CG_ENOTFOUND) {
            cg_err_clear(&err);
            rc = cg_spool_status(db, wfd, CG_STATUS_ORDER, what, stdout, &err);
        }
        if (rc == CG_ENOTFOUND)
            snprintf(err.msg, sizeof(err.msg), "%s: no such order or input file", what);
    } else if (rc == CG_OK) {
        rc = cg_spool_status(db, wfd, kind, seller, stdout, &err);
    }
    if (rc != CG_OK) {
        fprintf(stderr, "cebgate: %s\n", err.msg[0] ? err.msg : cg_strerror(rc));
        /* Not known is an answer; a database that cannot be read is worth another try. */
        status = rc == CG_ENOTFOUND ? CG_EXIT_ERROR : cg_rc_exit_code(rc);
    }
done:
    cg_store_close(db);
    if (wfd >= 0)
        close(wfd);
    return status;
}

const struct cg_cmd cg_cmd_status = {
    "status",
    "[SELLER/]ORDER-NO | [SELLER/]FILE | --pending | --rejected | --unknown | --cancel | "
    "--summaries | --incomplete | --held [--seller NAME]",
    "the timeline of an order or input file, or the pending and rejected lists",
    "  ORDER-NO    each document of the order, each version sent, each receipt, with times\n"
    "              (SELLER/ORDER-NO, as the lists print it: that seller's order only;\n"
    "              a bill as BILL:NUMBER or \"bill NUMBER\", a monthly summary as\n"
    "              SUM:MONTH:COUNTRY:N or \"summary MONTH country COUNTRY #N\")\n"
    "  FILE        what became of an input file (as dropped, or SELLER/FILE as run prints it)\n"
    "  --pending   documents still waiting for a final receipt\n"
    "  --rejected  rejected orders and documents with the reasons\n"
    "  --unknown   receipts for guids cebgate never sent\n"
    "  --cancel    orders cancelled after their documents were sent (a CEB605 is needed,\n"
    "              or a return once their goods have left the country)\n"
    "  --summaries monthly summaries (CEB701), their state, sumNo and entryId\n"
    "  --incomplete orders declared without shipment data (CEB303 only, no waybill or\n"
    "              inventory): add their shipment data and drop a file with them again\n"
    "  --held      orders held back as waiting for their shop status, never declared\n"
    "  --seller NAME  with a list option: that seller's items only (receipts for unknown\n"
    "              guids belong to no seller); a NAME neither the configuration nor the\n"
    "              database knows is a usage error\n",
    CG_CMD_NEEDS_CONF | CG_CMD_READS_DB,
    exec_status,
};
