/*
 * cmd-summary.c - `cebgate summary [--month YYYYMM] [--dry-run]`: declare the monthly summaries
 * (CEB701) of route-B inventories closed in a month (default: the previous month, China time).
 *
 * Opens the working directory like run (cg_cli_declare), applies the waiting receipts first,
 * then groups and declares (spool-summary.c); each summary is one line on stdout. --dry-run prints
 * the groups and records nothing: it neither reads inbox/ nor polls the port for receipts. Exit 0
 * (also when there is nothing to summarise), 2 usage or configuration, 75 temporary.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cmd.h"
#include "spool/spool.h"

struct summary_args {
    const char *month;
    bool dry_run;
    long n;
};

static int do_summary(struct cg_spool *sp, void *ctx, struct cg_err *err)
{
    struct summary_args *a = ctx;

    return cg_spool_summary(sp, a->month, a->dry_run, &a->n, err);
}

static bool month_ok(const char *m)
{
    size_t i;

    if (strlen(m) != 6)
        return false;
    for (i = 0; i < 6; i++)
        if (m[i] < '0' || m[i] > '9')
            return false;
    return (m[4] == '0' && m[5] >= '1') || (m[4] == '1' && m[5] <= '2');
}

static int exec_summary(struct cg_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"month", required_argument, NULL, 'm'},
        {"dry-run", no_argument, NULL, 'n'},
        {NULL, 0, NULL, 0},
    };
    struct summary_args a = {NULL, false, 0};
    char prev[7];
    int status;
    int c;

    while ((c = getopt_long(argc, argv, "m:n", opts, NULL)) != -1) {
        switch (c) {
        case 'm': a.month = optarg; break;
        case 'n': a.dry_run = true; break;
        default: return cg_cmd_usage_error(&cg_cmd_summary, "unknown option");
        }
    }
    if (optind != argc)
        return cg_cmd_usage_error(&cg_cmd_summary, "no arguments expected");
    if (a.month != NULL && !month_ok(a.month))
        return cg_cmd_usage_error(&cg_cmd_summary, "--month: '%s' is not YYYYMM", a.month);
    if (a.month == NULL) {
        cg_spool_prev_month(time(NULL), prev);
        a.month = prev;
    }
    /* A dry run fetches and applies no receipt: it shows what the database holds now. */
    status = cg_cli_declare(cli, "summary", NULL, !a.dry_run, do_summary, &a);
    if (status == CG_EXIT_OK)
        printf("%s: %ld summar%s %s\n", a.month, a.n, a.n == 1 ? "y" : "ies",
               a.dry_run ? "would be declared (dry run: nothing recorded or sent)" : "declared");
    return status;
}

const struct cg_cmd cg_cmd_summary = {
    "summary",
    "[--month YYYYMM] [--dry-run]",
    "declare the monthly summaries (CEB701) of route-B inventories closed in a month",
    "  --month YYYYMM  the month the inventories were closed in (default: the previous month)\n"
    "  --dry-run       print the summaries that would be declared; record and send nothing\n"
    "one CEB701 per seller and country of arrival; an inventory is never summarised twice;\n"
    "a summary customs refused is declared again. `run` does this itself from the 1st to\n"
    "[spool] summary_day of each month.\n"
    "exit: 0 ok (also nothing to summarise), 2 usage, 75 temporary failure\n",
    CG_CMD_NEEDS_CONF | CG_CMD_ACTS_ON_DB,
    exec_summary,
};
