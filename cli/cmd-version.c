/*
 * cmd-version.c - `cebgate version`: program and library versions.
 */
#include "config.h"

#include <stdio.h>

#include "cli/cmd.h"
#include "core/init.h"
#include "store/store.h"

static int exec_version(struct cg_cli *cli, int argc, char **argv)
{
    if (argc > 1)
        return cg_cmd_usage_error(&cg_cmd_version, "no arguments expected");
    printf("cebgate %s\n%s, SQLite %s\n", PACKAGE_VERSION, cg_lib_versions(),
           cg_store_lib_version());
    return CG_EXIT_OK;
}

const struct cg_cmd cg_cmd_version = {
    "version", "", "print the version of cebgate and of its libraries", NULL, 0, exec_version,
};
