/*
 * store-adhoc.c - statements a module prepares for one operation and finalizes after it
 * (store-customs.c, store-refund.c), or keeps for the life of the connection (store_keep:
 * store-settle.c, whose statements run once per entry of a statement file), as opposed to the
 * spool's cached statement table.
 *
 * A statement of store_prep belongs to the caller, who finalizes it; one of store_keep to the
 * store, which resets it when given back (store_unkeep) and finalizes it on close. A named
 * parameter :now is bound to the unit of work's time; a statement where :now shares its number with
 * a ?N is refused. A failure raised by a module's own triggers (RAISE(ABORT, "... exceeds ...")) is
 * CG_EREJECT with the trigger's words, a UNIQUE or PRIMARY KEY violation is CG_EEXIST, anything
 * else CG_EDB / CG_EBUSY.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "store/store-int.h"

/* Whether the SQL text holds the numbered parameter ?N, outside quoted strings and names. */
static bool numbered_param(const char *sql, int n)
{
    const char *p = sql;

    while (*p != '\0') {
        if (*p == '\'' || *p == '"') {
            const char *q = strchr(p + 1, *p);

            if (q == NULL)
                return false;
            p = q + 1;
        } else if (*p == '?' && p[1] >= '0' && p[1] <= '9') {
            long v = 0;

            for (p++; *p >= '0' && *p <= '9' && v <= 999999; p++)
                v = v * 10 + (*p - '0');
            if (v == n)
                return true;
        } else {
            p++;
        }
    }
    return false;
}

/* The number of the :now parameter of statement s prepared from sql (0: none), or CG_EDB when
 * :now and a ?N are one parameter. */
static int now_param(const char *sql, sqlite3_stmt *s, int *now, struct cg_err *err)
{
    *now = sqlite3_bind_parameter_index(s, ":now");
    /* SQLite numbers :now one past the highest ?N written before it, so a ?N written after it
     * with that number is the same parameter: binding ?N would overwrite the time. */
    if (*now > 0 && numbered_param(sql, *now))
        return CG_ERR_SET(err, CG_EDB,
                          "statement uses :now and ?%d as one parameter; write :now after the "
                          "numbered parameters",
                          *now);
    return CG_OK;
}

int store_prep(struct cg_store *st, const char *sql, sqlite3_stmt **out, struct cg_err *err)
{
    int r = sqlite3_prepare_v2(cg_db_handle(st->db), sql, -1, out, NULL);
    int now, rc;

    if (r != SQLITE_OK) {
        *out = NULL;
        return cg_db_fail(st->db, r, "prepare", err);
    }
    rc = now_param(sql, *out, &now, err);
    if (rc != CG_OK) {
        sqlite3_finalize(*out);
        *out = NULL;
        return rc;
    }
    if (now > 0)
        sqlite3_bind_text(*out, now, store_now(st), -1, SQLITE_TRANSIENT);
    return CG_OK;
}

int store_keep(struct cg_store *st, const char *sql, sqlite3_stmt **out, struct cg_err *err)
{
    size_t len = strlen(sql);
    struct store_kept *k = NULL;
    int i, r, rc;

    /* By length first: the texts that share a long prefix (the order queries) differ in it. */
    for (i = 0; i < st->nkept; i++) {
        if (st->kept[i].len == len && strcmp(sqlite3_sql(st->kept[i].st), sql) == 0) {
            k = &st->kept[i];
            break;
        }
    }
    if (k != NULL && k->busy)
        return store_prep(st, sql, out, err);
    if (k == NULL) {
        if (st->nkept == STORE_KEPT_MAX)
            return store_prep(st, sql, out, err);
        k = &st->kept[st->nkept];
        r = sqlite3_prepare_v3(cg_db_handle(st->db), sql, -1, SQLITE_PREPARE_PERSISTENT, &k->st,
                               NULL);
        if (r != SQLITE_OK) {
            sqlite3_finalize(k->st);
            k->st = NULL;
            *out = NULL;
            return cg_db_fail(st->db, r, "prepare", err);
        }
        rc = now_param(sql, k->st, &k->now, err);
        if (rc != CG_OK) {
            sqlite3_finalize(k->st);
            k->st = NULL;
            *out = NULL;
            return rc;
        }
        k->len = len;
        st->nkept++;
    }
    k->busy = true;
    if (k->now > 0)
        sqlite3_bind_text(k->st, k->now, store_now(st), -1, SQLITE_TRANSIENT);
    *out = k->st;
    return CG_OK;
}

void store_unkeep(struct cg_store *st, sqlite3_stmt *s)
{
    int i;

    if (s == NULL)
        return;
    for (i = 0; i < st->nkept; i++) {
        if (st->kept[i].st == s) {
            sqlite3_reset(s);
            sqlite3_clear_bindings(s);
            st->kept[i].busy = false;
            return;
        }
    }
    sqlite3_finalize(s);
}

void store_kept_reset(struct cg_store *st)
{
    int i;

    for (i = 0; i < st->nkept; i++)
        sqlite3_reset(st->kept[i].st);
}

void store_kept_free(struct cg_store *st)
{
    int i;

    for (i = 0; i < st->nkept; i++)
        sqlite3_finalize(st->kept[i].st);
    st->nkept = 0;
}

int store_done(struct cg_store *st, sqlite3_stmt *s, const char *what, struct cg_err *err)
{
    int r = sqlite3_step(s);

    if (r == SQLITE_DONE || r == SQLITE_ROW)
        return CG_OK;
    /* By the extended code, not the message's words: SQLite's message for a UNIQUE violation
     * names the columns, and a column called refused_at is no trigger's refusal. */
    switch (sqlite3_extended_errcode(cg_db_handle(st->db))) {
    case SQLITE_CONSTRAINT_TRIGGER:
        return CG_ERR_SET(err, CG_EREJECT, "%s: %s", what, sqlite3_errmsg(cg_db_handle(st->db)));
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
        return CG_ERR_SET(err, CG_EEXIST, "%s: already recorded", what);
    default: break;
    }
    return cg_db_fail(st->db, r, what, err);
}
