/*
 * cmd-dismiss.c - `cebgate dismiss [SELLER/]FILE --reason TEXT`: take a file refused whole off
 * the morning report's list of failed files (and its "Needs you today" item) without taking it
 * again under its name: its corrected copy came under another name, or it is not to be
 * declared or imported at all.
 *
 * Records who (the user running the command), when and why in the database (spool-dismiss.c);
 * the file stays in failed/. The dismissal covers the refusal listed now: a later refusal of
 * the same seller and name is listed again. Needs no lock: it writes one row in one
 * transaction, so it works while run or watch is busy. Exit 0 dismissed, 1 the name is not
 * listed as refused (or was dismissed already), 2 usage (a bare name listed for several
 * sellers included), 75 temporary (database).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli/cmd.h"
#include "spool/spool.h"

static int exec_dismiss(struct cg_cli *cli, int argc, char **argv)
{
    static const struct cg_cli_reasoned_words w = {
        "FILE",
        "why the file is not to be taken again under its name",
        "SELLER/FILE",
    };

    return cg_cli_reasoned(cli, &cg_cmd_dismiss, argc, argv, &w, cg_spool_dismiss);
}

const struct cg_cmd cg_cmd_dismiss = {
    "dismiss",
    "[SELLER/]FILE --reason TEXT",
    "take a file refused whole off the report's list without taking it again",
    "  FILE            a file the report lists as refused whole: as dropped, or SELLER/FILE as\n"
    "                  the report and run print it (/FILE: dropped into incoming/ itself)\n"
    "  --reason TEXT   why it is not taken again under its name (at most 1000 characters),\n"
    "                  shown by `cebgate status SELLER/FILE` with who dismissed it and when\n"
    "the file stays in failed/; a later refusal of the same name is listed again\n"
    "exit: 0 dismissed, 1 not listed as refused, 2 usage, 75 temporary failure\n",
    CG_CMD_NEEDS_CONF,
    exec_dismiss,
};
