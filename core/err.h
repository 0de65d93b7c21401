/*
 * err.h - return codes and the error record every fallible function can fill.
 *
 * A fallible function returns an int from enum cg_rc (CG_OK or a negative code) and, when the
 * caller passes a struct cg_err, writes the words a person needs into it. Library code never
 * prints or exits; cli/ decides what to show and which exit code to use.
 */
#ifndef CG_ERR_H
#define CG_ERR_H

#include <stdbool.h>
#include <stddef.h>

enum cg_rc {
    CG_OK = 0,
    CG_ERR = -1,           /* unspecified hard error */
    CG_ENOMEM = -2,        /* out of memory, or a bounded buffer hit its ceiling */
    CG_EINVAL = -3,        /* bad argument or bad input value */
    CG_ERANGE = -4,        /* number out of range, overflow, too long */
    CG_EIO = -5,           /* file system or stream I/O failed */
    CG_ENOTFOUND = -6,     /* soft: the thing asked for is not there */
    CG_EEXIST = -7,        /* the thing to create is already there */
    CG_ERETRY = -8,        /* temporary failure: try the same again later */
    CG_EREJECT = -9,       /* permanent rejection of this input; others may go on */
    CG_EPARSE = -10,       /* malformed input (CSV, JSON, XML, INI) */
    CG_ESCHEMA = -11,      /* XML fails the schema */
    CG_ESIG = -12,         /* signature missing, invalid or untrusted */
    CG_EVERSION = -13,     /* data from a newer version than this program */
    CG_EBUSY = -14,        /* resource held by somebody else (lock, SQLITE_BUSY) */
    CG_EDB = -15,          /* database error */
    CG_ECONFIG = -16,      /* configuration error */
    CG_EUNSUPPORTED = -17, /* valid request this build or setup cannot do */
    CG_ECRYPTO = -18,      /* key, certificate or crypto library failure */
    CG_ENET = -19,         /* network failure (may be retried, see CG_ERETRY) */
};

#define CG_ERR_MSG_MAX 1024

struct cg_err {
    int code;         /* enum cg_rc */
    const char *func; /* function that set it (static string) */
    char msg[CG_ERR_MSG_MAX];
};

/* Static text for a return code; never NULL. */
const char *cg_strerror(int rc);

/*
 * Fill *err (if not NULL) with code and a printf-style message; returns code so a caller can
 * write `return cg_err_set(err, CG_EINVAL, "...")`. Use the CG_ERR_SET macro to record the
 * calling function.
 */
int cg_err_setf(struct cg_err *err, int code, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define CG_ERR_SET(err, code, ...) cg_err_setf((err), (code), __func__, __VA_ARGS__)

/* Put "prefix: " in front of an existing message (for adding file:line context). A result
 * longer than the message buffer is cut and ends in "...". */
void cg_err_prefix(struct cg_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reset to CG_OK with an empty message. */
void cg_err_clear(struct cg_err *err);

/*
 * The one classification of failures. Temporary: I/O (a full disk included), out of memory or
 * another resource, the database, the network, a busy resource, a peer that asked to retry (an
 * unreachable remote signer or port). A unit of work that meets one is rolled back, its input
 * is kept where the next run takes it again, and the run exits 75. Every other code is about
 * the input itself (a field, the catalogue, the schema, a signature) or the configuration: only
 * those may reject an order or a file.
 */
bool cg_rc_temporary(int rc);
/* The code for a file that could not be opened with errno e: CG_EIO when the system is short
 * of something or the device failed (EMFILE, ENFILE, ENOMEM, EIO: try again later), else
 * otherwise (a missing or unreadable file is the caller's kind of error). */
int cg_rc_of_open_errno(int e, int otherwise);

/* Map an enum cg_rc to a process exit code: 0 ok, 1 error, 2 usage/config, 75 temporary. */
int cg_rc_exit_code(int rc);

#endif
