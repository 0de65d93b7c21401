/*
 * conf-keys.c - the [general] keys, the only ones core/ reads itself (cg_conf_workdir,
 * cg_conf_data_dir); every module registers its own table with cg_conf_register().
 */
#include "config.h"

#include <stddef.h>

#include "core/conf.h"

const struct cg_conf_key cg_conf_general_keys[] = {
    /* [general] */
    {"general", "workdir", CG_CONF_PATH, ".", NULL,
     "working directory holding the spool folders and the database"},
    {"general", "database", CG_CONF_PATH, "cebgate.db", NULL,
     "SQLite database, relative to workdir unless absolute"},
    {"general", "data_dir", CG_CONF_PATH, NULL, NULL,
     "code tables and schemas (default: the installed data, or CEBGATE_DATADIR)"},
    {"general", "log_level", CG_CONF_ENUM, "warn", "error|warn|info|debug",
     "least important messages that are logged"},
    {NULL, NULL, CG_CONF_STR, NULL, NULL, NULL},
};
