/*
 * cmd-help.c - `cebgate help [COMMAND]`: the command list or one command's usage.
 */
#include "config.h"

#include <stdio.h>

#include "cli/cmd.h"

static int exec_help(struct cg_cli *cli, int argc, char **argv)
{
    const struct cg_cmd *cmd;
    int ambiguous;
    size_t i;

    if (argc > 2)
        return cg_cmd_usage_error(&cg_cmd_help, "too many arguments");
    if (argc == 2) {
        cmd = cg_cmd_find(argv[1], &ambiguous);
        if (cmd == NULL)
            return cg_cmd_usage_error(&cg_cmd_help, "%s command '%s'",
                                      ambiguous ? "ambiguous" : "unknown", argv[1]);
        cg_cmd_usage(cmd, stdout);
        return CG_EXIT_OK;
    }
    fputs("usage: cebgate [-v] [-q] [-c FILE] COMMAND [ARGS]\n"
          "cross-border e-commerce export declarations for China Customs (CEB messages)\n\n"
          "commands:\n",
          stdout);
    for (i = 0; cg_cmds[i] != NULL; i++)
        printf("  %-10s %s\n", cg_cmds[i]->name, cg_cmds[i]->summary);
    fputs("\nglobal options:\n"
          "  -c, --config FILE  configuration file (default $CEBGATE_CONF, then ./cebgate.conf)\n"
          "  -v, --verbose      more messages (twice for debug)\n"
          "  -q, --quiet        errors only\n"
          "exit codes: 0 ok, 1 error or rejected input, 2 usage or configuration, 75 retry later\n",
          stdout);
    return CG_EXIT_OK;
}

const struct cg_cmd cg_cmd_help = {
    "help", "[COMMAND]", "list the commands, or show how to use one", NULL, 0, exec_help,
};
