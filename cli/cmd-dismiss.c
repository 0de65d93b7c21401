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

#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "spool/spool.h"
#include "store/store.h"

/* The user running the command, by login name (the uid when it has none). */
static void user_name(char *out, size_t size)
{
    const struct passwd *pw = getpwuid(getuid());

    if (pw != NULL && pw->pw_name != NULL && pw->pw_name[0] != '\0')
        snprintf(out, size, "%s", pw->pw_name);
    else
        snprintf(out, size, "uid %ld", (long)getuid());
}

static int exec_dismiss(struct cg_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"reason", required_argument, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    struct cg_store *db = NULL;
    struct cg_err err;
    const char *reason = NULL;
    char by[256];
    int status = CG_EXIT_OK;
    int rc, c;

    cg_err_clear(&err);
    while ((c = getopt_long(argc, argv, "r:", opts, NULL)) != -1) {
        switch (c) {
        case 'r': reason = optarg; break;
        default: return cg_cmd_usage_error(&cg_cmd_dismiss, "unknown option");
        }
    }
    if (optind + 1 != argc)
        return cg_cmd_usage_error(&cg_cmd_dismiss, "one FILE expected");
    if (reason == NULL || reason[strspn(reason, " \t")] == '\0')
        return cg_cmd_usage_error(&cg_cmd_dismiss, "--reason TEXT is required: why the file is "
                                                   "not to be taken again under its name");
    if (strlen(reason) > 1000)
        return cg_cmd_usage_error(&cg_cmd_dismiss, "--reason: at most 1000 characters");
    if (argv[optind][0] == '\0' || argv[optind][strlen(argv[optind]) - 1] == '/')
        return cg_cmd_usage_error(&cg_cmd_dismiss, "FILE expected, as SELLER/FILE");
    user_name(by, sizeof(by));
    rc = cg_cli_store_open(cli, &db, &err);
    if (rc == CG_OK)
        rc = cg_spool_dismiss(db, argv[optind], by, reason, stdout, &err);
    if (rc == CG_EINVAL) {
        fprintf(stderr, "cebgate: %s\n", err.msg);
        status = CG_EXIT_USAGE;
    } else if (rc != CG_OK) {
        /* Not listed is an answer; a database that cannot be read or written is worth another
         * try. */
        fprintf(stderr, "cebgate: %s\n", err.msg[0] ? err.msg : cg_strerror(rc));
        status = rc == CG_ENOTFOUND ? CG_EXIT_ERROR : cg_rc_exit_code(rc);
    }
    cg_store_close(db);
    return status;
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
