/*
 * cmd-dismiss.c - `cebgate dismiss [SELLER/]FILE --reason TEXT`: take a file refused whole off
 * the morning report's list of failed files (and its "Needs you today" item) without taking it
 * again under its name: its corrected copy came under another name, or it is not to be
 * declared or imported at all. `cebgate dismiss --unknown --reason TEXT` takes the receipts for
 * unknown or mismatched messages listed now off the report and `status --unknown`.
 *
 * Records who (the user running the command), when and why in the database (spool-dismiss.c);
 * the file stays in failed/. The dismissal covers the refusal listed now: a later refusal of
 * the same seller and name is listed again. Needs no lock: it writes one row in one
 * transaction, so it works while run or watch is busy. Where there is no database it refuses
 * (exit 2) and creates none: there is nothing to dismiss. Exit 0 dismissed, 1 the name is not
 * listed as refused (or was dismissed already), 2 usage (a bare name listed for several
 * sellers included), 75 temporary (database).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "spool/spool.h"

/* `dismiss --unknown --reason TEXT`: no FILE. */
static int dismiss_unknown(struct cg_store *st, const char *arg, const char *by, const char *reason,
                           FILE *fp, struct cg_err *err)
{
    (void)arg;
    return cg_spool_dismiss_unknown(st, by, reason, fp, err);
}

static int exec_dismiss(struct cg_cli *cli, int argc, char **argv)
{
    static const struct cg_cli_reasoned_words w = {
        "FILE",
        "why the file is not to be taken again under its name",
        "SELLER/FILE",
        NULL,
    };
    static const struct cg_cli_reasoned_words wu = {
        NULL,
        "why the receipts need nothing done",
        NULL,
        "unknown",
    };
    int i;

    for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--unknown") == 0)
            return cg_cli_reasoned(cli, &cg_cmd_dismiss, argc, argv, &wu, dismiss_unknown);
    return cg_cli_reasoned(cli, &cg_cmd_dismiss, argc, argv, &w, cg_spool_dismiss);
}

const struct cg_cmd cg_cmd_dismiss = {
    "dismiss",
    "[SELLER/]FILE --reason TEXT | --unknown --reason TEXT",
    "take a file refused whole, or the receipts for unknown messages, off the report's lists",
    "  FILE            a file the report lists as refused whole: as dropped, or SELLER/FILE as\n"
    "                  the report and run print it (/FILE: dropped into incoming/ itself)\n"
    "  --reason TEXT   why it is not taken again under its name (at most 1000 characters),\n"
    "                  shown by `cebgate status SELLER/FILE` with who dismissed it and when\n"
    "the file stays in failed/; a later refusal of the same name is listed again\n"
    "  --unknown       instead of a FILE: every receipt for an unknown or mismatched message\n"
    "                  listed now (cebgate status --unknown); they stay in the receipts log, and\n"
    "                  such receipts kept later are listed\n"
    "exit: 0 dismissed, 1 not listed as refused (or no such receipt listed), 2 usage or no\n"
    "database (nothing is created), 75 temporary failure\n",
    CG_CMD_NEEDS_CONF | CG_CMD_ACTS_ON_DB,
    exec_dismiss,
};
