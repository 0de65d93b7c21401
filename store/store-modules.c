/*
 * store-modules.c - the schemas a cebgate database is opened with, one line per module that
 * keeps tables. The first is the spool's ("cebgate"), whose version is the database's own
 * version number; a new module appends its struct cg_store_schema (defined, with its steps,
 * in its own store-<module>.c) to this list and edits nothing else. The port's tables are not
 * here: they live in a database of their own, with their steps in store-port.c.
 */
#include "config.h"

#include "store/store-int.h"

static const struct cg_store_schema *const modules[] = {
    &cg_store_schema_spool,   &cg_store_schema_settle, &cg_store_schema_flow,
    &cg_store_schema_customs, &cg_store_schema_refund, &cg_store_schema_receipts,
};

int cg_store_open(const char *path, struct cg_store **out, struct cg_err *err)
{
    return cg_store_open_with(path, modules, (int)(sizeof(modules) / sizeof(modules[0])), out, err);
}
