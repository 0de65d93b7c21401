/*
 * log.h - the process-wide logger.
 *
 * Messages go to stderr (or a file set by the caller) with a level. The level comes from -v on
 * the command line or the CEBGATE_LOG environment variable (error, warn, info, debug). Errors
 * from libxml2, xmlsec, curl and SQLite are routed here by cg_log_route_libraries().
 */
#ifndef CG_LOG_H
#define CG_LOG_H

#include <stdio.h>

enum cg_log_level { CG_LOG_ERROR = 0, CG_LOG_WARN = 1, CG_LOG_INFO = 2, CG_LOG_DEBUG = 3 };

void cg_log_set_level(enum cg_log_level level);
enum cg_log_level cg_log_get_level(void);
/* Parse "error", "warn", "info", "debug" (or 0-3); returns CG_EINVAL on anything else. */
int cg_log_parse_level(const char *s, enum cg_log_level *out);
/* Read CEBGATE_LOG if set; a bad value is ignored with a warning. */
void cg_log_from_env(void);
/* Send output to fp (borrowed; default stderr). */
void cg_log_set_stream(FILE *fp);
/*
 * Call fn(ctx) before each message is written (NULL: nothing), e.g. to clear a progress bar on
 * the terminal so a message never lands inside its line.
 */
void cg_log_set_before(void (*fn)(void *ctx), void *ctx);

void cg_log(enum cg_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define cg_error(...) cg_log(CG_LOG_ERROR, __VA_ARGS__)
#define cg_warn(...) cg_log(CG_LOG_WARN, __VA_ARGS__)
#define cg_info(...) cg_log(CG_LOG_INFO, __VA_ARGS__)
#define cg_debug(...) cg_log(CG_LOG_DEBUG, __VA_ARGS__)

/* Install the libxml2 and xmlsec error callbacks that forward into cg_log at debug level, each
 * message escaped by cg_text_show() (core/text.h): they quote untrusted documents. */
void cg_log_route_libraries(void);

#endif
