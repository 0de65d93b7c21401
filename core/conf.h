/*
 * conf.h - the INI configuration with a table of known keys.
 *
 * The file is parsed with libinih. Every section and key must be in a registered key table,
 * which gives each key a type, a default and a one-line help. Each module owns its table
 * (mapping/mapping-keys.c, declare/declare-keys.c, spool/spool-keys.c, port/port-keys.c) and
 * the program registers them with cg_conf_register() at start-up; core/ itself knows only
 * [general] (core/conf-keys.c), which it reads for the working and data directories. An unknown
 * key or a bad value fails the load with "file:line: key: reason" (CG_ECONFIG), as does a key
 * given twice in one section (the same header may appear twice, not the same key). Sections
 * named "seller.NAME" (and other per-name kinds in the table) may repeat with different names;
 * a key left out of [seller.NAME] falls back to [seller], then to the default.
 * Relative paths are taken relative to the directory holding the configuration file.
 * A line may have up to 4095 bytes: a key line longer than inih's INI_MAX_LINE - 1 is handed to
 * inih in pieces and read as written.
 */
#ifndef CG_CONF_H
#define CG_CONF_H

#include <stdbool.h>
#include <stdio.h>

#include "core/err.h"

enum cg_conf_type {
    CG_CONF_STR,
    CG_CONF_INT,
    CG_CONF_BOOL,
    CG_CONF_ENUM,   /* one of the '|'-separated words in choices */
    CG_CONF_PATH,   /* relative to the config file's directory */
    CG_CONF_SECRET, /* string never printed by cebgate config */
};

struct cg_conf_key {
    const char
        *section; /* "general", "seller", "transport", ...; "seller" also covers seller.NAME */
    const char *key;
    enum cg_conf_type type;
    const char *def; /* default as text, NULL when unset */
    /* CG_CONF_ENUM: "a|b|c"; CG_CONF_INT: "min..max"; CG_CONF_STR: "..max", at most max
     * characters (UTF-8 characters, not bytes: a schema's maxLength counts characters) */
    const char *choices;
    const char *help;
};

/* The [general] keys, always known. */
extern const struct cg_conf_key cg_conf_general_keys[];
/*
 * Add a module's table (NULL-key terminated, static) to the known keys; registering the same
 * table again does nothing. Call at start-up, before loading a configuration and before any
 * thread starts. CG_ENOMEM when too many tables are registered.
 */
int cg_conf_register(const struct cg_conf_key *keys);
/* The n-th known key in registration order, NULL past the last. */
const struct cg_conf_key *cg_conf_key_at(size_t n);

struct cg_conf;

/* Load path. *out is written only on success. */
int cg_conf_load(const char *path, struct cg_conf **out, struct cg_err *err);
/* Defaults only (no file); dir is the base for relative paths (NULL: current directory). */
int cg_conf_new_defaults(const char *dir, struct cg_conf **out, struct cg_err *err);
void cg_conf_free(struct cg_conf *conf);

/* Path of the loaded file (NULL for defaults) and the directory relative paths use. */
const char *cg_conf_file(const struct cg_conf *conf);
const char *cg_conf_dir(const struct cg_conf *conf);

/*
 * Effective value of section.key (set value, else the [seller] value for seller.NAME, else
 * the default); NULL when unset with no default. Borrowed. section may be "seller.acme".
 */
const char *cg_conf_get(const struct cg_conf *conf, const char *section, const char *key);
/*
 * Whether section.key is set in that very section of the file (or by cg_conf_set), without the
 * fall-back to [seller] or the default: to name where an effective value comes from.
 */
bool cg_conf_is_set(const struct cg_conf *conf, const char *section, const char *key);
long cg_conf_get_int(const struct cg_conf *conf, const char *section, const char *key);
bool cg_conf_get_bool(const struct cg_conf *conf, const char *section, const char *key);
/* Path resolved against cg_conf_dir(); caller frees; NULL when unset. */
char *cg_conf_get_path(const struct cg_conf *conf, const char *section, const char *key);
/* Line of the file where section.key was written (as cg_conf_get finds it: the [seller] value
 * for seller.NAME too), 0 when it was not written in the file (a default, cg_conf_set). */
int cg_conf_line(const struct cg_conf *conf, const char *section, const char *key);

/*
 * fgets() for inih stream readers that refuses control characters: a NUL byte would silently
 * cut the line short. Returns str, or NULL at the end of the file and when the line holds a
 * byte below 0x20 other than tab, CR and LF (or 0x7F); why is then "KEY: control character
 * U+00XX at position N" (KEY is "line" before an '='), else "".
 *
 * A line longer than the buffer (num - 1 bytes, inih's INI_MAX_LINE) is refused too ("the line
 * is longer than N bytes ..."): inih would read its rest as the next line.
 */
char *cg_ini_line(char *str, int num, FILE *fp, char *why, size_t size);

/* Whether line (as cg_ini_line returned it) continues the value of the key above it for inih:
 * indented, with text that is not a comment. */
bool cg_ini_continues(const char *line);

/* Set a value (e.g. from a command-line option), checked like a file line. */
int cg_conf_set(struct cg_conf *conf, const char *section, const char *key, const char *value,
                struct cg_err *err);

/* Call fn for each section present in the file whose name starts with "kind." (name after
 * the dot). Returns the first non-zero fn result. */
int cg_conf_each_named(const struct cg_conf *conf, const char *kind,
                       int (*fn)(const char *name, void *ctx), void *ctx);
/* True when [section] appears in the file. */
bool cg_conf_has_section(const struct cg_conf *conf, const char *section);

/*
 * Directory of code tables and schemas: [general] data_dir, else $CEBGATE_DATADIR, else the
 * installed data directory. Caller frees.
 */
char *cg_conf_data_dir(const struct cg_conf *conf);
/* Working directory ([general] workdir resolved). Caller frees. */
char *cg_conf_workdir(const struct cg_conf *conf);

/* Print the effective configuration as INI, secrets masked. */
void cg_conf_dump(const struct cg_conf *conf, FILE *fp);
/* Print a commented template with every key at its default (for cebgate init). */
void cg_conf_write_template(FILE *fp);

#endif
