/*
 * db-schema.c - numbered migrations of the main cebgate database.
 *
 * Step i takes PRAGMA user_version from i to i + 1. Steps are only ever appended: a released
 * step is never edited, so every database reaches the same shape whatever version it started at.
 */
#include "config.h"

#include "core/db.h"

static const char *const main_steps[] = {
    /* 1: bookkeeping about the database itself. */
    "CREATE TABLE meta ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL"
    ");"
    "INSERT INTO meta(key, value) VALUES ('created', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));",
};

const struct cg_db_schema cg_db_schema_main = {
    "cebgate",
    main_steps,
    (int)(sizeof(main_steps) / sizeof(main_steps[0])),
};
