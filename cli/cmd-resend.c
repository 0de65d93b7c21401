/*
 * cmd-resend.c - `cebgate resend [SELLER/]ORDER-NO --reason TEXT`: mark a document customs
 * refused after the E-Port stored it (100) to go out again, once, as its next version (a modify
 * with a new guid), after the cause outside the document was fixed (the seller's configuration,
 * a code table, a registration at customs). Without the mark such a document is declared again
 * only when its content changes.
 *
 * ORDER-NO is an order number, BILL:NUMBER for a bill's waybill list (CEB607) or departure
 * (CEB509), or SUM:MONTH:COUNTRY:N for a monthly summary (CEB701), as `cebgate status` prints
 * them. Records who (the user running the command), when and why (spool-resend.c); declares
 * nothing itself: a bill goes out at the next run or watch pass, a summary at the next summary
 * step of its month, an order's documents from the next file that holds the order. Needs no
 * lock: one transaction. Where there is no database it refuses (exit 2) and creates none.
 * Exit 0 marked, 1 not known or nothing refused by customs to mark, 2
 * usage (several sellers with that number and none named included), 75 temporary (database).
 */
#include "config.h"

#include <stdio.h>

#include "cli/cmd.h"
#include "spool/spool.h"

static int exec_resend(struct cg_cli *cli, int argc, char **argv)
{
    static const struct cg_cli_reasoned_words w = {
        "ORDER-NO",
        "what was fixed since customs refused it",
        "[SELLER/]ORDER-NO",
        NULL,
    };

    return cg_cli_reasoned(cli, &cg_cmd_resend, argc, argv, &w, cg_spool_resend);
}

const struct cg_cmd cg_cmd_resend = {
    "resend",
    "[SELLER/]ORDER-NO --reason TEXT",
    "send a document customs refused again, once, after fixing the cause outside it",
    "  ORDER-NO        an order number, BILL:NUMBER (a bill's CEB607 or CEB509) or\n"
    "                  SUM:MONTH:COUNTRY:N (a monthly summary's CEB701), as cebgate status\n"
    "                  prints them; SELLER/ when several sellers have it\n"
    "  --reason TEXT   what was fixed since customs refused it (at most 1000 characters),\n"
    "                  recorded with who marked it and when\n"
    "each of its documents customs refused (100) after the E-Port stored it goes out again as\n"
    "its next version (a modify, new guid): a bill's at the next run, a summary's at the next\n"
    "summary of its month, an order's from the next file that holds the order (put its file\n"
    "back into incoming/)\n"
    "exit: 0 marked, 1 not known or nothing refused by customs, 2 usage or no database (nothing\n"
    "is created), 75 temporary failure\n",
    CG_CMD_NEEDS_CONF | CG_CMD_ACTS_ON_DB,
    exec_resend,
};
