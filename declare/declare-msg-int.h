/*
 * declare-msg-int.h - helpers shared by the message builders (declare-build*.c) only.
 *
 * A struct bld carries the document under construction and the first error: every helper is
 * a no-op once an error is recorded, so a builder writes its element sequence straight down
 * and checks b->rc once at the end. The error names the entity ("order <no>") and the element.
 */
#ifndef CG_DECLARE_MSG_INT_H
#define CG_DECLARE_MSG_INT_H

#include <stdint.h>

#include <libxml/tree.h>

#include "declare/declare.h"

struct bld {
    xmlDocPtr doc;
    xmlNsPtr ns; /* ceb */
    struct cg_err *err;
    int rc;            /* first error, CG_OK while building */
    char who[128];     /* "order 123" or "copNo C1": the entity being built */
    char app_time[15]; /* appTime of this message, China time */
    bool v2018;        /* building for the 2018 edition */
};

/* Start a document with root <ceb:CEB<type>Message guid version="1.0">; returns the root. */
xmlNodePtr bld_start(struct bld *b, int msg_type, const char *msg_guid, const char *version,
                     size_t n, struct cg_err *err);
/* Set the entity name used in messages ("order 123"). */
void bld_who(struct bld *b, const char *kind, const char *key);
/* Record a build error for element name (only the first one is kept). */
void bld_fail(struct bld *b, int code, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
xmlNodePtr bld_el(struct bld *b, xmlNodePtr parent, const char *name);
/* Required text element: NULL or "" is an error naming it. */
void bld_req(struct bld *b, xmlNodePtr parent, const char *name, const char *value);
/* Optional text element: left out when NULL or "". */
void bld_opt(struct bld *b, xmlNodePtr parent, const char *name, const char *value);
/* Required decimal (dec) element. */
void bld_dec(struct bld *b, xmlNodePtr parent, const char *name, int64_t v);
/* Required integer element. */
void bld_long(struct bld *b, xmlNodePtr parent, const char *name, long v);
/* guid, appType, appTime, appStatus; preNo is written by the caller where the type has it. */
void bld_common_head(struct bld *b, xmlNodePtr parent, const char *guid, int app_type,
                     const char *app_status);
/* BaseTransfer after the entities. */
void bld_base_transfer(struct bld *b, xmlNodePtr root, const struct cg_base_transfer *bt);
/* A modify/delete key: written only for appType 2/3; required there when need is true. */
void bld_mod_key(struct bld *b, xmlNodePtr parent, const char *name, int app_type,
                 const char *value, bool need);
/* Finish: on success *out = doc, else free it and return the error. */
int bld_finish(struct bld *b, xmlDocPtr *out);

#endif
