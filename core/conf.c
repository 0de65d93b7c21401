/*
 * conf.c - INI configuration parsed by libinih and checked against the registered key tables.
 *
 * The file is read through ini_parse_stream() with our own line reader, so the handler knows
 * the line number of every key it sees and can report "file:line: key: reason"; the reader
 * hands inih a key line longer than inih's buffer in pieces, joined again by the handler. Values
 * are kept as text in a small array (a configuration has tens of keys, so lookups are linear);
 * modules read what they need once, at start, into their own structures.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "core/buf.h"
#include "core/conf.h"
#include "core/fsutil.h"

struct entry {
    char *section;
    char *key;
    char *value;
    int line;
};

struct cg_conf {
    char *file;
    char *dir;
    struct entry *v;
    size_t n;
    size_t cap;
    char **sections; /* every [section] header seen, in order */
    size_t nsections;
};

/* The longest line of a configuration file, in bytes; longer than inih's INI_MAX_LINE - 1, so a
 * longer line is handed to inih in pieces (reader()). */
#define CONF_LINE_MAX 4095

struct parse_ctx {
    struct cg_conf *conf;
    FILE *fp;
    int line; /* of the file */
    struct cg_err *err;
    int failed;
    const char *last_section;
    bool continues; /* the line inih is on continues the value of the key above it */
    bool glued;     /* ... and is a piece of a line too long for inih: joined without a space */
    /* A line too long for inih, the rest of its value still to hand over in pieces. */
    char long_line[CONF_LINE_MAX + 2];
    const char *rest;
    /* inih counts the pieces as lines: its line number of each piece, to name the file's */
    int given;   /* lines handed to inih */
    int *pieces; /* inih's line numbers of the pieces, ascending */
    size_t npieces;
};

/* "seller.acme" -> kind "seller" when the table has keys for "seller". */
static void section_kind(const char *section, char *kind, size_t size)
{
    const char *dot = strchr(section, '.');
    size_t n = dot != NULL ? (size_t)(dot - section) : strlen(section);

    if (n >= size)
        n = size - 1;
    memcpy(kind, section, n);
    kind[n] = '\0';
}

/*
 * The key tables: [general] (read by this file) first, then each module's in the order it
 * registered. Registration happens at start-up, before any configuration is loaded and before
 * threads start; the tables are the modules' static data.
 */
#define MAX_TABLES 16
static const struct cg_conf_key *tables[MAX_TABLES] = {cg_conf_general_keys};
static int ntables = 1;

int cg_conf_register(const struct cg_conf_key *keys)
{
    int i;

    for (i = 0; i < ntables; i++) {
        if (tables[i] == keys)
            return CG_OK;
    }
    if (ntables == MAX_TABLES)
        return CG_ENOMEM;
    tables[ntables++] = keys;
    return CG_OK;
}

const struct cg_conf_key *cg_conf_key_at(size_t n)
{
    const struct cg_conf_key *k;
    int i;

    for (i = 0; i < ntables; i++) {
        for (k = tables[i]; k->key != NULL; k++) {
            if (n-- == 0)
                return k;
        }
    }
    return NULL;
}

static const struct cg_conf_key *find_key(const char *section, const char *key)
{
    char kind[64];
    const struct cg_conf_key *k;
    size_t i;

    section_kind(section, kind, sizeof(kind));
    for (i = 0; (k = cg_conf_key_at(i)) != NULL; i++) {
        if (strcmp(k->section, kind) == 0 && strcmp(k->key, key) == 0)
            return k;
    }
    return NULL;
}

static bool kind_known(const char *section)
{
    char kind[64];
    const struct cg_conf_key *k;
    size_t i;

    section_kind(section, kind, sizeof(kind));
    for (i = 0; (k = cg_conf_key_at(i)) != NULL; i++) {
        if (strcmp(k->section, kind) == 0)
            return true;
    }
    return false;
}

static int parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = {"1", "yes", "true", "on"};
    static const char *const no[] = {"0", "no", "false", "off"};
    size_t i;

    for (i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return CG_OK;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = false;
            return CG_OK;
        }
    }
    return CG_EINVAL;
}

/* Characters of UTF-8 text: the bytes that do not continue a character. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++) {
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    }
    return n;
}

/* Check value of section's key k against the key's type; fills why on failure. */
static int check_value(const char *section, const struct cg_conf_key *k, const char *value,
                       char *why, size_t size)
{
    bool b;
    long v;
    long lo = LONG_MIN;
    long hi = LONG_MAX;

    switch (k->type) {
    case CG_CONF_STR: {
        size_t n;

        if (k->choices == NULL || sscanf(k->choices, "..%ld", &hi) != 1)
            return CG_OK;
        n = utf8_chars(value);
        if (n > (size_t)hi) {
            snprintf(why, size, "the value is %zu characters long; at most %ld are allowed in [%s]",
                     n, hi, section);
            return CG_EINVAL;
        }
        return CG_OK;
    }
    case CG_CONF_INT:
        if (k->choices != NULL)
            sscanf(k->choices, "%ld..%ld", &lo, &hi);
        if (cg_parse_long(value, lo, hi, &v) != CG_OK) {
            if (k->choices != NULL)
                snprintf(why, size, "'%s' is not a whole number from %ld to %ld", value, lo, hi);
            else
                snprintf(why, size, "'%s' is not a whole number", value);
            return CG_EINVAL;
        }
        return CG_OK;
    case CG_CONF_BOOL:
        if (parse_bool(value, &b) != CG_OK) {
            snprintf(why, size, "'%s' is not yes or no (yes/no, true/false, on/off, 1/0)", value);
            return CG_EINVAL;
        }
        return CG_OK;
    case CG_CONF_ENUM: {
        const char *c = k->choices;
        size_t n = strlen(value);
        while (c != NULL && *c != '\0') {
            const char *bar = strchr(c, '|');
            size_t len = bar != NULL ? (size_t)(bar - c) : strlen(c);
            if (len == n && strncmp(c, value, n) == 0)
                return CG_OK;
            c = bar != NULL ? bar + 1 : NULL;
        }
        snprintf(why, size, "'%s' is not one of %s", value, k->choices);
        return CG_EINVAL;
    }
    default: return CG_OK;
    }
}

static struct entry *find_entry(const struct cg_conf *conf, const char *section, const char *key)
{
    size_t i;

    for (i = conf->n; i > 0; i--) {
        struct entry *e = &conf->v[i - 1];
        if (strcmp(e->section, section) == 0 && strcmp(e->key, key) == 0)
            return e;
    }
    return NULL;
}

static int put(struct cg_conf *conf, const char *section, const char *key, const char *value,
               int line)
{
    struct entry *e = find_entry(conf, section, key);
    char *nv;

    if (e != NULL) {
        nv = cg_strdup(value);
        if (nv == NULL)
            return CG_ENOMEM;
        free(e->value);
        e->value = nv;
        e->line = line;
        return CG_OK;
    }
    if (conf->n == conf->cap) {
        size_t cap = conf->cap != 0 ? conf->cap * 2 : 32;
        struct entry *p = realloc(conf->v, cap * sizeof(*p));
        if (p == NULL)
            return CG_ENOMEM;
        conf->v = p;
        conf->cap = cap;
    }
    e = &conf->v[conf->n];
    e->section = cg_strdup(section);
    e->key = cg_strdup(key);
    e->value = cg_strdup(value);
    e->line = line;
    if (e->section == NULL || e->key == NULL || e->value == NULL) {
        free(e->section);
        free(e->key);
        free(e->value);
        return CG_ENOMEM;
    }
    conf->n++;
    return CG_OK;
}

static int note_section(struct cg_conf *conf, const char *section)
{
    char **p;
    size_t i;

    for (i = 0; i < conf->nsections; i++) {
        if (strcmp(conf->sections[i], section) == 0)
            return CG_OK;
    }
    p = realloc(conf->sections, (conf->nsections + 1) * sizeof(*p));
    if (p == NULL)
        return CG_ENOMEM;
    conf->sections = p;
    conf->sections[conf->nsections] = cg_strdup(section);
    if (conf->sections[conf->nsections] == NULL)
        return CG_ENOMEM;
    conf->nsections++;
    return CG_OK;
}

char *cg_ini_line(char *str, int num, FILE *fp, char *why, size_t size)
{
    int i = 0, c = EOF;

    why[0] = '\0';
    while (i < num - 1 && (c = getc(fp)) != EOF) {
        if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7F) {
            char key[64];
            size_t k = 0;

            /* Name the key (the text before '=') when the line has one so far. */
            while (k < (size_t)i && k < sizeof(key) - 1 && str[k] != '=' && str[k] != ':')
                k++;
            memcpy(key, str, k);
            key[k] = '\0';
            while (k > 0 && (key[k - 1] == ' ' || key[k - 1] == '\t'))
                key[--k] = '\0';
            snprintf(why, size, "%s: control character U+%04X at position %d",
                     k > 0 && k < (size_t)i ? key : "line", (unsigned)c, i + 1);
            str[0] = '\0';
            return NULL;
        }
        str[i++] = (char)c;
        if (c == '\n')
            break;
    }
    str[i] = '\0';
    if (i == num - 1 && c != '\n' && c != EOF) {
        /* The buffer is full: only a line that ends right here fits (its newline is read as an
         * empty line). */
        c = getc(fp);
        if (c == '\r')
            c = getc(fp);
        if (c != '\n' && c != EOF) {
            snprintf(why, size,
                     "the line is longer than %d bytes, the most a configuration or profile line "
                     "may have",
                     num - 1);
            str[0] = '\0';
            return NULL;
        }
    }
    return i > 0 ? str : NULL;
}

bool cg_ini_continues(const char *line)
{
    size_t lead = strspn(line, " \t");

    return lead > 0 && line[lead] != '\0' && line[lead] != '\r' && line[lead] != '\n' &&
           line[lead] != ';' && line[lead] != '#';
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/*
 * Where the next piece of value v may end, at most max bytes in: not inside white space or a
 * UTF-8 character, nor before ';' or '#' (inih strips the white space around a piece and takes
 * an indented line starting with them for a comment). 0 when there is no such place (or v is
 * empty).
 */
static size_t piece_end(const char *v, size_t max)
{
    size_t len = strlen(v);
    size_t i;

    if (len <= max)
        return len;
    for (i = max; i > 0; i--) {
        unsigned char c = (unsigned char)v[i];

        if (!is_blank(v[i - 1]) && !is_blank(v[i]) && (c & 0xC0) != 0x80 && c != ';' && c != '#')
            return i;
    }
    return 0;
}

/*
 * A line longer than inih's buffer (ctx->long_line), handed over as a line inih can take: a key
 * line as "key = " and the start of its value, an indented line continuing the value above as
 * itself; the rest of the value then goes as indented pieces (ctx->rest) that the handler joins
 * without a space, so the value is read as written. A comment is handed over as ";". An inline
 * comment (';' after white space) ends the value, as inih would end it. Returns NULL with why
 * filled when the line cannot be read so: a section header, a line without '=' or ':', a value
 * with no place to cut it.
 */
static char *long_line(struct parse_ctx *ctx, char *str, int num, char *why, size_t size)
{
    char *l = ctx->long_line;
    size_t lead = strspn(l, " \t");
    size_t head = 0;
    char *v = NULL;
    char *scan = NULL; /* where inih looks for an inline comment */
    size_t n, end;

    n = strlen(l);
    if (n > 0 && l[n - 1] == '\n')
        l[--n] = '\0';
    if (n > 0 && l[n - 1] == '\r')
        l[--n] = '\0';
    /* A carriage return inside the line (old Mac line ends) would hide the rest of the file in
     * one line: refused, not cut. */
    if (strchr(l, '\r') != NULL) {
        snprintf(why, size,
                 "a carriage return (0x0D) inside the line: the file has old Mac line ends; "
                 "save it with LF or CR LF line ends");
        return NULL;
    }
    if (l[lead] == ';' || l[lead] == '#') {
        cg_strlcpy(str, ";", (size_t)num);
        return str;
    }
    if (lead > 0 && strchr(l, '=') == NULL) {
        head = lead; /* a continuation: its value starts after its indentation */
        v = scan = l + lead;
        lead = 0;
    } else if (l[lead] != '[') {
        char *sep = l + lead + strcspn(l + lead, "=:");

        if (*sep != '\0') {
            scan = sep + 1;
            v = scan + strspn(scan, " \t");
            head = (size_t)(v - l) - lead;
        }
    }
    if (v != NULL) {
        char *c;

        for (c = scan + 1; *c != '\0'; c++) {
            if (*c == ';' && is_blank(c[-1])) {
                *c = '\0';
                break;
            }
        }
        n = strlen(v);
        while (n > 0 && is_blank(v[n - 1]))
            v[--n] = '\0';
    }
    /* a piece is at most num - 1 bytes; the pieces after the first start with a space */
    /* (an empty value fits: the line was long for its comment or trailing blanks) */
    if (v == NULL || head + 1 >= (size_t)num - 1 ||
        ((end = piece_end(v, (size_t)num - 1 - head)) == 0 && v[0] != '\0')) {
        snprintf(why, size,
                 "the line is longer than %d bytes; only a key = value line may be, up to %d bytes",
                 num - 1, CONF_LINE_MAX);
        return NULL;
    }
    memcpy(str, l + lead, head + end);
    str[head + end] = '\0';
    ctx->rest = v[end] != '\0' ? v + end : NULL;
    return str;
}

/* The next piece of a long line's value, as an indented line; NULL when there is no place to cut
 * it (why filled). */
static char *next_piece(struct parse_ctx *ctx, char *str, int num, char *why, size_t size)
{
    size_t end = piece_end(ctx->rest, (size_t)num - 2);
    int *p;

    if (end == 0) {
        snprintf(why, size,
                 "the line is longer than %d bytes; only a key = value line may be, up to %d bytes",
                 num - 1, CONF_LINE_MAX);
        return NULL;
    }
    p = realloc(ctx->pieces, (ctx->npieces + 1) * sizeof(*p));
    if (p == NULL) {
        snprintf(why, size, "out of memory");
        return NULL;
    }
    ctx->pieces = p;
    ctx->pieces[ctx->npieces++] = ctx->given + 1;
    str[0] = ' ';
    memcpy(str + 1, ctx->rest, end);
    str[end + 1] = '\0';
    ctx->rest = ctx->rest[end] != '\0' ? ctx->rest + end : NULL;
    return str;
}

/* The line of the file of inih's line number n. */
static int file_line(const struct parse_ctx *ctx, int n)
{
    size_t i;
    int k = 0;

    for (i = 0; i < ctx->npieces && ctx->pieces[i] <= n; i++)
        k++;
    return n - k;
}

static char *reader(char *str, int num, void *stream)
{
    struct parse_ctx *ctx = stream;
    char why[160];
    char *r;

    why[0] = '\0';
    if (ctx->rest != NULL) {
        r = next_piece(ctx, str, num, why, sizeof(why));
        ctx->continues = r != NULL;
        ctx->glued = r != NULL;
        goto done;
    }
    ctx->glued = false;
    r = cg_ini_line(ctx->long_line, (int)sizeof(ctx->long_line), ctx->fp, why, sizeof(why));
    if (r != NULL || why[0] != '\0')
        ctx->line++;
    if (r == NULL && strncmp(why, "the line is longer", 18) == 0)
        snprintf(why, sizeof(why),
                 "the line is longer than %d bytes, the most a configuration line may have",
                 CONF_LINE_MAX);
    if (r != NULL) {
        size_t len = strlen(r), text = len;

        if (text > 0 && r[text - 1] == '\n')
            text--;
        if (text > 0 && r[text - 1] == '\r')
            text--;
        if (text > (size_t)num - 1) {
            r = long_line(ctx, str, num, why, sizeof(why));
        } else {
            /* the line ending too when it fits; inih strips it */
            len = len <= (size_t)num - 1 ? len : text;
            memcpy(str, r, len);
            str[len] = '\0';
            r = str;
        }
    }
    /* An indented line with an '=' is a key line: inih would take it for a continuation of the
     * key above ("  a = 1" under "  b = 2" made b's value "a = 1"), so it gets it unindented. */
    if (r != NULL && (r[0] == ' ' || r[0] == '\t') && strchr(r, '=') != NULL) {
        size_t lead = strspn(r, " \t");

        memmove(r, r + lead, strlen(r + lead) + 1);
    }
    ctx->continues = r != NULL && cg_ini_continues(r);
done:
    if (r != NULL)
        ctx->given++;
    if (why[0] != '\0' && !ctx->failed) {
        CG_ERR_SET(ctx->err, CG_ECONFIG, "%s:%d: %s", ctx->conf->file, ctx->line, why);
        ctx->failed = 1;
    }
    return r;
}

static int fail_line(struct parse_ctx *ctx, const char *key, const char *why)
{
    if (ctx->failed)
        return 0;
    CG_ERR_SET(ctx->err, CG_ECONFIG, "%s:%d: %s: %s", ctx->conf->file, ctx->line, key, why);
    ctx->failed = 1;
    return 0;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    struct parse_ctx *ctx = user;
    const struct cg_conf_key *k;
    const struct entry *prev;
    char why[512];

    if (name == NULL) {
        /* A section header alone (inih calls with name NULL when INI_CALL_HANDLER_ON_NEW_SECTION).
         */
        return 1;
    }
    if (section[0] == '\0')
        return fail_line(ctx, name, "key outside any [section]");
    if (!kind_known(section)) {
        snprintf(why, sizeof(why), "unknown section [%s]", section);
        return fail_line(ctx, name, why);
    }
    if (note_section(ctx->conf, section) != CG_OK)
        return fail_line(ctx, name, "out of memory");
    k = find_key(section, name);
    if (k == NULL) {
        snprintf(why, sizeof(why), "unknown key in [%s]", section);
        return fail_line(ctx, name, why);
    }
    if (ctx->continues) {
        /* An indented line after a key continues its value (a long list of files or words on
         * several lines): joined with a space, then checked as a whole. */
        const struct entry *e = find_entry(ctx->conf, section, name);
        struct cg_buf b;
        int ok;

        cg_buf_init(&b, 65536);
        ok = cg_buf_addf(&b, "%s%s%s", e != NULL ? e->value : "", ctx->glued ? "" : " ", value) ==
             CG_OK;
        if (ok && check_value(section, k, b.data, why, sizeof(why)) != CG_OK) {
            cg_buf_free(&b);
            return fail_line(ctx, name, why);
        }
        /* the entry keeps the line the key was given on */
        ok = ok && put(ctx->conf, section, name, b.data, e != NULL ? e->line : ctx->line) == CG_OK;
        cg_buf_free(&b);
        return ok ? 1 : fail_line(ctx, name, "out of memory");
    }
    /* A key given again in its section (or in the same section header given again) would
     * silently replace the first value: no key is meant to repeat (a long value goes on
     * indented lines below its key, above). */
    prev = find_entry(ctx->conf, section, name);
    if (prev != NULL && prev->line > 0) {
        snprintf(why, sizeof(why),
                 "given twice in [%s], on line %d and on line %d; a key is given once in its "
                 "section",
                 section, prev->line, ctx->line);
        return fail_line(ctx, name, why);
    }
    if (check_value(section, k, value, why, sizeof(why)) != CG_OK)
        return fail_line(ctx, name, why);
    if (put(ctx->conf, section, name, value, ctx->line) != CG_OK)
        return fail_line(ctx, name, "out of memory");
    return 1;
}

static struct cg_conf *conf_alloc(void)
{
    return calloc(1, sizeof(struct cg_conf));
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *d;

    if (slash == NULL)
        return cg_strdup(".");
    if (slash == path)
        return cg_strdup("/");
    d = malloc((size_t)(slash - path) + 1);
    if (d == NULL)
        return NULL;
    memcpy(d, path, (size_t)(slash - path));
    d[slash - path] = '\0';
    return d;
}

int cg_conf_load(const char *path, struct cg_conf **out, struct cg_err *err)
{
    struct parse_ctx ctx;
    struct cg_conf *conf;
    int r;

    conf = conf_alloc();
    if (conf == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    conf->file = cg_strdup(path);
    conf->dir = dir_of(path);
    if (conf->file == NULL || conf->dir == NULL) {
        cg_conf_free(conf);
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    memset(&ctx, 0, sizeof(ctx));
    ctx.conf = conf;
    ctx.err = err;
    ctx.fp = fopen(path, "r");
    if (ctx.fp == NULL) {
        r = CG_ERR_SET(err, CG_ECONFIG, "%s: cannot open configuration: %s", path, strerror(errno));
        cg_conf_free(conf);
        return r;
    }
    r = ini_parse_stream(reader, &ctx, handler, &ctx);
    fclose(ctx.fp);
    if (r != 0 && !ctx.failed)
        CG_ERR_SET(err, CG_ECONFIG, "%s:%d: syntax error (expected [section] or key = value)", path,
                   r > 0 ? file_line(&ctx, r) : ctx.line);
    free(ctx.pieces);
    if (r != 0 || ctx.failed) {
        cg_conf_free(conf);
        return CG_ECONFIG;
    }
    *out = conf;
    return CG_OK;
}

int cg_conf_new_defaults(const char *dir, struct cg_conf **out, struct cg_err *err)
{
    struct cg_conf *conf = conf_alloc();

    if (conf == NULL || (conf->dir = cg_strdup(dir != NULL ? dir : ".")) == NULL) {
        cg_conf_free(conf);
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    *out = conf;
    return CG_OK;
}

void cg_conf_free(struct cg_conf *conf)
{
    size_t i;

    if (conf == NULL)
        return;
    for (i = 0; i < conf->n; i++) {
        free(conf->v[i].section);
        free(conf->v[i].key);
        free(conf->v[i].value);
    }
    for (i = 0; i < conf->nsections; i++)
        free(conf->sections[i]);
    free(conf->sections);
    free(conf->v);
    free(conf->file);
    free(conf->dir);
    free(conf);
}

const char *cg_conf_file(const struct cg_conf *conf)
{
    return conf->file;
}

const char *cg_conf_dir(const struct cg_conf *conf)
{
    return conf->dir;
}

int cg_conf_line(const struct cg_conf *conf, const char *section, const char *key)
{
    const struct entry *e = find_entry(conf, section, key);
    char kind[64];

    if (e == NULL) {
        section_kind(section, kind, sizeof(kind));
        if (strcmp(kind, section) != 0)
            e = find_entry(conf, kind, key);
    }
    return e != NULL && conf->file != NULL ? e->line : 0;
}

const char *cg_conf_get(const struct cg_conf *conf, const char *section, const char *key)
{
    const struct cg_conf_key *k;
    struct entry *e;
    char kind[64];

    e = find_entry(conf, section, key);
    if (e != NULL)
        return e->value;
    section_kind(section, kind, sizeof(kind));
    if (strcmp(kind, section) != 0) {
        e = find_entry(conf, kind, key);
        if (e != NULL)
            return e->value;
    }
    k = find_key(section, key);
    return k != NULL ? k->def : NULL;
}

bool cg_conf_is_set(const struct cg_conf *conf, const char *section, const char *key)
{
    return find_entry(conf, section, key) != NULL;
}

long cg_conf_get_int(const struct cg_conf *conf, const char *section, const char *key)
{
    const char *v = cg_conf_get(conf, section, key);
    long n = 0;

    if (v != NULL)
        cg_parse_long(v, LONG_MIN, LONG_MAX, &n);
    return n;
}

bool cg_conf_get_bool(const struct cg_conf *conf, const char *section, const char *key)
{
    const char *v = cg_conf_get(conf, section, key);
    bool b = false;

    if (v != NULL)
        parse_bool(v, &b);
    return b;
}

char *cg_conf_get_path(const struct cg_conf *conf, const char *section, const char *key)
{
    const char *v = cg_conf_get(conf, section, key);

    if (v == NULL || *v == '\0')
        return NULL;
    if (v[0] == '/' || strcmp(conf->dir, ".") == 0)
        return cg_strdup(v);
    return cg_fs_join(conf->dir, v);
}

char *cg_conf_data_dir(const struct cg_conf *conf)
{
    const char *env = getenv("CEBGATE_DATADIR");
    char *p = cg_conf_get_path(conf, "general", "data_dir");

    if (p != NULL)
        return p;
    if (env != NULL && *env != '\0')
        return cg_strdup(env);
    return cg_strdup(CG_PKGDATADIR);
}

char *cg_conf_workdir(const struct cg_conf *conf)
{
    char *p = cg_conf_get_path(conf, "general", "workdir");

    return p != NULL ? p : cg_strdup(conf->dir);
}

int cg_conf_set(struct cg_conf *conf, const char *section, const char *key, const char *value,
                struct cg_err *err)
{
    const struct cg_conf_key *k = find_key(section, key);
    char why[512];

    if (!kind_known(section))
        return CG_ERR_SET(err, CG_ECONFIG, "%s: unknown section [%s]", key, section);
    if (k == NULL)
        return CG_ERR_SET(err, CG_ECONFIG, "%s: unknown key in [%s]", key, section);
    if (check_value(section, k, value, why, sizeof(why)) != CG_OK)
        return CG_ERR_SET(err, CG_ECONFIG, "%s.%s: %s", section, key, why);
    if (note_section(conf, section) != CG_OK || put(conf, section, key, value, 0) != CG_OK)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    return CG_OK;
}

int cg_conf_each_named(const struct cg_conf *conf, const char *kind,
                       int (*fn)(const char *name, void *ctx), void *ctx)
{
    size_t klen = strlen(kind);
    size_t i;
    int rc;

    for (i = 0; i < conf->nsections; i++) {
        const char *s = conf->sections[i];
        if (strncmp(s, kind, klen) == 0 && s[klen] == '.' && s[klen + 1] != '\0') {
            rc = fn(s + klen + 1, ctx);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

bool cg_conf_has_section(const struct cg_conf *conf, const char *section)
{
    size_t i;

    for (i = 0; i < conf->nsections; i++) {
        if (strcmp(conf->sections[i], section) == 0)
            return true;
    }
    return false;
}

/* Whether a key before position n is of section: the section was written already. */
static bool section_before(const char *section, size_t n)
{
    const struct cg_conf_key *k;
    size_t i;

    for (i = 0; i < n && (k = cg_conf_key_at(i)) != NULL; i++) {
        if (strcmp(k->section, section) == 0)
            return true;
    }
    return false;
}

static void dump_section(const struct cg_conf *conf, const char *section, const char *kind,
                         FILE *fp)
{
    const struct cg_conf_key *k;
    size_t n;

    fprintf(fp, "[%s]\n", section);
    for (n = 0; (k = cg_conf_key_at(n)) != NULL; n++) {
        const char *v;
        if (strcmp(k->section, kind) != 0)
            continue;
        v = cg_conf_get(conf, section, k->key);
        if (v == NULL)
            fprintf(fp, "# %s =\n", k->key);
        else if (k->type == CG_CONF_SECRET && *v != '\0')
            fprintf(fp, "%s = ********\n", k->key);
        else
            fprintf(fp, "%s = %s\n", k->key, v);
    }
    fputc('\n', fp);
}

void cg_conf_dump(const struct cg_conf *conf, FILE *fp)
{
    const struct cg_conf_key *k;
    size_t i, n;

    fprintf(fp, "# effective configuration%s%s\n", conf->file != NULL ? " of " : " (defaults)",
            conf->file != NULL ? conf->file : "");
    /* each kind of section once, though modules register keys of [seller] separately */
    for (n = 0; (k = cg_conf_key_at(n)) != NULL; n++) {
        if (section_before(k->section, n))
            continue;
        dump_section(conf, k->section, k->section, fp);
        for (i = 0; i < conf->nsections; i++) {
            char kind[64];
            section_kind(conf->sections[i], kind, sizeof(kind));
            if (strcmp(kind, k->section) == 0 && strcmp(conf->sections[i], kind) != 0)
                dump_section(conf, conf->sections[i], kind, fp);
        }
    }
}

/* A help text as comment lines of at most 90 columns, broken between words. */
static void write_comment(FILE *fp, const char *text)
{
    const char *p = text;
    size_t col = 0, n;

    while (*p != '\0') {
        n = strcspn(p, " ");
        if (col > 0 && col + 1 + n > 90) {
            fputc('\n', fp);
            col = 0;
        }
        col += (size_t)fprintf(fp, "%s%.*s", col == 0 ? "# " : " ", (int)n, p);
        p += n;
        while (*p == ' ')
            p++;
    }
    fputc('\n', fp);
}

/*
 * Each section once, in the order its first key was registered, with every key of it (modules
 * register keys of a shared section such as [seller] separately).
 */
void cg_conf_write_template(FILE *fp)
{
    const struct cg_conf_key *k, *m;
    size_t n, i;

    fputs("# cebgate configuration. Every key is shown at its default, commented out.\n"
          "# Relative paths are relative to the directory of this file.\n"
          "# A seller served by a broker gets its own [seller.NAME] section; keys left out\n"
          "# there are taken from [seller].\n",
          fp);
    for (n = 0; (k = cg_conf_key_at(n)) != NULL; n++) {
        if (section_before(k->section, n))
            continue;
        fprintf(fp, "\n[%s]\n", k->section);
        for (i = n; (m = cg_conf_key_at(i)) != NULL; i++) {
            if (strcmp(m->section, k->section) != 0)
                continue;
            write_comment(fp, m->help);
            if (m->type == CG_CONF_ENUM)
                fprintf(fp, "#   one of: %s\n", m->choices);
            fprintf(fp, "#%s = %s\n", m->key, m->def != NULL ? m->def : "");
        }
    }
}
