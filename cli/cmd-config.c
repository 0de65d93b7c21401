/*
 * cmd-config.c - `cebgate config`: print the effective configuration, secrets masked.
 */
#include "config.h"

#include <stdio.h>

#include "cli/cmd.h"

static int exec_config(struct cg_cli *cli, int argc, char **argv)
{
    if (argc > 1)
        return cg_cmd_usage_error(&cg_cmd_config, "no arguments expected");
    cg_conf_dump(cli->conf, stdout);
    return CG_EXIT_OK;
}

const struct cg_cmd cg_cmd_config = {
    "config",          "",          "print the effective configuration (secrets masked)", NULL,
    CG_CMD_NEEDS_CONF, exec_config,
};
