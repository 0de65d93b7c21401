/*
 * cmd.c - the command table and its lookup by exact name or unique prefix.
 */
#include "config.h"

#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "core/err.h"
#include "store/store-report.h"
#include "store/store.h"

/* One entry per line, alphabetical. */
/* clang-format off */
const struct cg_cmd *const cg_cmds[] = {
    &cg_cmd_cancel,
    &cg_cmd_config,
    &cg_cmd_dismiss,
    &cg_cmd_help,
    &cg_cmd_init,
    &cg_cmd_map,
    &cg_cmd_port,
    &cg_cmd_refund,
    &cg_cmd_report,
    &cg_cmd_resend,
    &cg_cmd_return,
    &cg_cmd_run,
    &cg_cmd_settle,
    &cg_cmd_sign,
    &cg_cmd_status,
    &cg_cmd_summary,
    &cg_cmd_verify,
    &cg_cmd_version,
    &cg_cmd_watch,
    NULL,
};
/* clang-format on */

const struct cg_cmd *cg_cmd_find(const char *name, int *ambiguous)
{
    const struct cg_cmd *found = NULL;
    size_t n = strlen(name);
    size_t i;

    *ambiguous = 0;
    for (i = 0; cg_cmds[i] != NULL; i++) {
        if (strcmp(cg_cmds[i]->name, name) == 0)
            return cg_cmds[i];
    }
    if (n == 0)
        return NULL;
    for (i = 0; cg_cmds[i] != NULL; i++) {
        if (strncmp(cg_cmds[i]->name, name, n) == 0) {
            if (found != NULL) {
                *ambiguous = 1;
                return NULL;
            }
            found = cg_cmds[i];
        }
    }
    return found;
}

void cg_cmd_usage(const struct cg_cmd *cmd, FILE *fp)
{
    fprintf(fp, "usage: cebgate [-v] [-c FILE] %s%s%s\n%s\n", cmd->name, *cmd->args ? " " : "",
            cmd->args, cmd->summary);
    if (cmd->help != NULL)
        fprintf(fp, "\n%s", cmd->help);
}

int cg_cmd_usage_error(const struct cg_cmd *cmd, const char *fmt, ...)
{
    va_list ap;

    fputs("cebgate: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: cebgate %s %s\n", cmd->name, cmd->args);
    return CG_EXIT_USAGE;
}

int cg_cmd_fail(const struct cg_err *err)
{
    fprintf(stderr, "cebgate: %s\n", err->msg[0] != '\0' ? err->msg : cg_strerror(err->code));
    return cg_rc_exit_code(err->code);
}

void cg_cli_user_name(char *out, size_t size)
{
    const struct passwd *pw = getpwuid(getuid());

    if (pw != NULL && pw->pw_name != NULL && pw->pw_name[0] != '\0')
        snprintf(out, size, "%s", pw->pw_name);
    else
        snprintf(out, size, "uid %ld", (long)getuid());
}

int cg_cli_reasoned(struct cg_cli *cli, const struct cg_cmd *cmd, int argc, char **argv,
                    const struct cg_cli_reasoned_words *w,
                    int (*fn)(struct cg_store *st, const char *arg, const char *by,
                              const char *reason, FILE *fp, struct cg_err *err))
{
    struct option opts[] = {
        {"reason", required_argument, NULL, 'r'},
        {w->flag, no_argument, NULL, 'f'}, /* the end of the list when there is no flag */
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
        case 'f': break;
        default: return cg_cmd_usage_error(cmd, "unknown option");
        }
    }
    if (w->what == NULL && optind != argc)
        return cg_cmd_usage_error(cmd, "--%s takes no other argument", w->flag);
    if (w->what != NULL && optind + 1 != argc)
        return cg_cmd_usage_error(cmd, "one %s expected", w->what);
    if (reason == NULL || reason[strspn(reason, " \t")] == '\0')
        return cg_cmd_usage_error(cmd, "--reason TEXT is required: %s", w->why);
    if (strlen(reason) > 1000)
        return cg_cmd_usage_error(cmd, "--reason: at most 1000 characters");
    if (w->what != NULL &&
        (argv[optind][0] == '\0' || argv[optind][strlen(argv[optind]) - 1] == '/'))
        return cg_cmd_usage_error(cmd, "%s expected, as %s", w->what, w->form);
    cg_cli_user_name(by, sizeof(by));
    rc = cg_cli_store_open(cli, &db, &err);
    if (rc == CG_OK)
        rc = fn(db, w->what != NULL ? argv[optind] : NULL, by, reason, stdout, &err);
    if (rc == CG_EINVAL) {
        fprintf(stderr, "cebgate: %s\n", err.msg);
        status = CG_EXIT_USAGE;
    } else if (rc != CG_OK) {
        /* Not applicable is an answer; a database that cannot be read or written is worth
         * another try. */
        fprintf(stderr, "cebgate: %s\n", err.msg[0] ? err.msg : cg_strerror(rc));
        status = rc == CG_ENOTFOUND ? CG_EXIT_ERROR : cg_rc_exit_code(rc);
    }
    cg_store_close(db);
    return status;
}

static int count_seller(void *ctx, const char *seller, long orders, long rejected, long cancels,
                        long pending, long failed_files)
{
    long *n = ctx;

    (void)seller;
    (void)orders;
    (void)rejected;
    (void)cancels;
    (void)pending;
    (void)failed_files;
    (*n)++;
    return CG_OK;
}

int cg_cli_seller_known(struct cg_cli *cli, struct cg_store *db, const char *seller,
                        struct cg_err *err)
{
    char section[256];
    long n = 0;
    int rc;

    snprintf(section, sizeof(section), "seller%s%s", seller[0] ? "." : "", seller);
    /* '' is the default seller, of the files dropped into incoming/ itself; its section
     * [seller] holds every seller's shared settings, so only the database tells it is used. */
    if (seller[0] && cg_conf_has_section(cli->conf, section))
        return CG_OK;
    rc = cg_store_report_sellers(db, seller, count_seller, &n, err);
    if (rc == CG_OK && n == 0 && !seller[0])
        rc = CG_ERR_SET(err, CG_EINVAL,
                        "--seller '': an empty name is the default seller (files dropped into "
                        "incoming/ itself), and the database has no order, rejection or refused "
                        "file of it");
    else if (rc == CG_OK && n == 0)
        rc = CG_ERR_SET(err, CG_EINVAL,
                        "--seller %s: no section [%s] in the configuration and no order of it in "
                        "the database",
                        seller, section);
    return rc;
}
