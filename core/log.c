/*
 * log.c - process-wide logger and the bridges from libxml2 and xmlsec.
 *
 * Output is one line per message: "cebgate: level: text". The level is global; the stream is
 * borrowed. Library callbacks log at debug level because the caller reports the error that
 * matters through struct cg_err; the library text is the detail behind it, and is escaped
 * (core/text.h) because it quotes the documents it was given.
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
#include "core/text.h"

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

/*
 * Library messages quote what they were given: an element or attribute name, a namespace URI
 * (which may hold a newline as &#10;), a file name. For the port that is a document from the
 * network, so the whole line is escaped as other untrusted text is (cg_text_show: control
 * characters, C1 controls such as the 8-bit CSI, bidi and zero-width characters, bytes that are
 * not UTF-8): a message can neither forge a log line nor send a terminal escape. Nothing is
 * formatted below debug level, where these lines are not logged.
 */
static void debug_shown(const char *from, const char *raw)
{
    char shown[1536];

    cg_debug("%s: %s", from, cg_text_show(raw, shown, sizeof(shown)));
}

static void xml_structured(void *ctx, xmlErrorPtr e)
{
    size_t n;
    char raw[640];

    if (e == NULL || e->message == NULL || cg_log_get_level() < CG_LOG_DEBUG)
        return;
    snprintf(raw, sizeof(raw), "%.100s:%d: %.511s", e->file != NULL ? e->file : "(memory)", e->line,
             e->message);
    /* libxml2 ends its messages with a newline of its own */
    n = strlen(raw);
    while (n > 0 && (raw[n - 1] == '\n' || raw[n - 1] == '\r'))
        raw[--n] = '\0';
    debug_shown("libxml2", raw);
}

static void xmlsec_cb(const char *file, int line, const char *func, const char *errorObject,
                      const char *errorSubject, int reason, const char *msg)
{
    char raw[704];

    if (cg_log_get_level() < CG_LOG_DEBUG)
        return;
    snprintf(raw, sizeof(raw), "%.80s: %.80s%s%.80s: reason %d: %.380s", func != NULL ? func : "?",
             errorObject != NULL ? errorObject : "", errorSubject != NULL ? "/" : "",
             errorSubject != NULL ? errorSubject : "", reason, msg != NULL ? msg : "");
    debug_shown("xmlsec", raw);
}

void cg_log_route_libraries(void)
{
    xmlSetStructuredErrorFunc(NULL, xml_structured);
    xmlSecErrorsSetCallback(xmlsec_cb);
}
