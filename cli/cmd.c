/*
 * cmd.c - the command table and its lookup by exact name or unique prefix.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "core/err.h"

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
