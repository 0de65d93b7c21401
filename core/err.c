/*
 * err.c - return-code text and the struct cg_err helpers.
 *
 * Nothing here allocates; messages are truncated to CG_ERR_MSG_MAX.
 */
#include "config.h"

#include <errno.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

const char *cg_strerror(int rc)
{
    switch (rc) {
    case CG_OK: return "success";
    case CG_ERR: return "error";
    case CG_ENOMEM: return "out of memory or size limit reached";
    case CG_EINVAL: return "invalid value";
    case CG_ERANGE: return "value out of range";
    case CG_EIO: return "input/output error";
    case CG_ENOTFOUND: return "not found";
    case CG_EEXIST: return "already exists";
    case CG_ERETRY: return "temporary failure, try again later";
    case CG_EREJECT: return "rejected";
    case CG_EPARSE: return "malformed input";
    case CG_ESCHEMA: return "schema validation failed";
    case CG_ESIG: return "signature invalid or untrusted";
    case CG_EVERSION: return "made by a newer version";
    case CG_EBUSY: return "busy";
    case CG_EDB: return "database error";
    case CG_ECONFIG: return "configuration error";
    case CG_EUNSUPPORTED: return "not supported";
    case CG_ECRYPTO: return "cryptographic error";
    case CG_ENET: return "network error";
    default: return "unknown error";
    }
}

int cg_err_setf(struct cg_err *err, int code, const char *func, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return code;
    err->code = code;
    err->func = func;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}

void cg_err_prefix(struct cg_err *err, const char *fmt, ...)
{
    char head[CG_ERR_MSG_MAX];
    char old[CG_ERR_MSG_MAX];
    va_list ap;
    int n;

    if (err == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(head, sizeof(head), fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof(old));
    n = snprintf(err->msg, sizeof(err->msg), "%s: %s", head, old);
    if (n < 0 || (size_t)n >= sizeof(err->msg)) /* cut: the end says so */
        memcpy(err->msg + sizeof(err->msg) - 4, "...", 4);
}

void cg_err_clear(struct cg_err *err)
{
    if (err == NULL)
        return;
    err->code = CG_OK;
    err->func = NULL;
    err->msg[0] = '\0';
}

bool cg_rc_temporary(int rc)
{
    switch (rc) {
    case CG_EIO:
    case CG_ENOMEM:
    case CG_ERETRY:
    case CG_EBUSY:
    case CG_EDB:
    case CG_ENET: return true;
    default: return false;
    }
}

int cg_rc_of_open_errno(int e, int otherwise)
{
    return e == EMFILE || e == ENFILE || e == ENOMEM || e == EIO ? CG_EIO : otherwise;
}

int cg_rc_exit_code(int rc)
{
    if (rc == CG_OK)
        return 0;
    if (rc == CG_ECONFIG || rc == CG_EINVAL)
        return 2;
    return cg_rc_temporary(rc) ? 75 : 1;
}
