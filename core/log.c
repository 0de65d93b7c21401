/*
 * log.c - process-wide logger and the bridges from libxml2 and xmlsec.
 *
 * Output is one line per message: "cebgate: level: text". The level is global; the stream is
 * borrowed. Library callbacks log at debug level because the caller reports the error that
 * matters through struct cg_err; the library text is the detail behind it.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlerror.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/errors.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"

static enum cg_log_level cur_level = CG_LOG_WARN;
static FILE *log_fp;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void cg_log_set_level(enum cg_log_level level)
{
    cur_level = level;
}

enum cg_log_level cg_log_get_level(void)
{
    return cur_level;
}

int cg_log_parse_level(const char *s, enum cg_log_level *out)
{
    size_t i;

    if (s == NULL)
        return CG_EINVAL;
    for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(s, level_names[i]) == 0 || (s[0] == (char)('0' + i) && s[1] == '\0')) {
            *out = (enum cg_log_level)i;
            return CG_OK;
        }
    }
    if (strcmp(s, "warning") == 0) {
        *out = CG_LOG_WARN;
        return CG_OK;
    }
    return CG_EINVAL;
}

void cg_log_from_env(void)
{
    const char *v = getenv("CEBGATE_LOG");
    enum cg_log_level l;

    if (v == NULL || *v == '\0')
        return;
    if (cg_log_parse_level(v, &l) == CG_OK)
        cur_level = l;
    else
        cg_warn("CEBGATE_LOG=%s is not one of error, warn, info, debug; ignored", v);
}

void cg_log_set_stream(FILE *fp)
{
    log_fp = fp;
}

static void (*before_fn)(void *ctx);
static void *before_ctx;

void cg_log_set_before(void (*fn)(void *ctx), void *ctx)
{
    before_fn = fn;
    before_ctx = ctx;
}

static void vlog(enum cg_log_level level, const char *fmt, va_list ap)
{
    FILE *fp = log_fp != NULL ? log_fp : stderr;
    char line[2048];

    if (level > cur_level)
        return;
    vsnprintf(line, sizeof(line), fmt, ap);
    if (before_fn != NULL)
        before_fn(before_ctx);
    fprintf(fp, "cebgate: %s: %s\n", level_names[level], line);
}

void cg_log(enum cg_log_level level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog(level, fmt, ap);
    va_end(ap);
}

static void xml_structured(void *ctx, xmlErrorPtr e)
{
    size_t n;
    char msg[512];

    if (e == NULL || e->message == NULL)
        return;
    cg_strlcpy(msg, e->message, sizeof(msg));
    n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    cg_debug("libxml2: %s:%d: %s", e->file != NULL ? e->file : "(memory)", e->line, msg);
}

static void xmlsec_cb(const char *file, int line, const char *func, const char *errorObject,
                      const char *errorSubject, int reason, const char *msg)
{
    cg_debug("xmlsec: %s: %s%s%s: reason %d: %s", func != NULL ? func : "?",
             errorObject != NULL ? errorObject : "", errorSubject != NULL ? "/" : "",
             errorSubject != NULL ? errorSubject : "", reason, msg != NULL ? msg : "");
}

void cg_log_route_libraries(void)
{
    xmlSetStructuredErrorFunc(NULL, xml_structured);
    xmlSecErrorsSetCallback(xmlsec_cb);
}
