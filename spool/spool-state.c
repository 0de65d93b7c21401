/*
 * spool-state.c - the document state machine: receipt codes to states, forward-only steps,
 * and the rules for spool entry names.
 *
 * Pure functions without I/O. Receipt codes follow the CEB receipt table (returnStatus):
 * 1 stored, 2 declaring, 3 sent to customs, 120 accepted, 300 review, 399 concluded,
 * 500 inspection, 501-599 detained, 700 returned, 800 released, 899 closed; 100, 4, every
 * negative code and any CEB900 reject. A code outside the table carries no state. A receipt
 * is applied only to the message it answers (cg_receipt_matches).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/text.h"
#include "declare/declare.h"
#include "spool/spool.h"

static const char *const state_names[CG_DOC_NSTATES] = {
    "none",       "prepared",  "validated",  "signed",   "queued", "sent",
    "stored",     "declaring", "to-customs", "accepted", "review", "concluded",
    "inspection", "detained",  "returned",   "released", "closed", "rejected",
};

const char *cg_doc_state_name(int state)
{
    if (state < 0 || state >= CG_DOC_NSTATES)
        return "?";
    return state_names[state];
}

int cg_doc_state_parse(const char *name)
{
    int i;

    if (name == NULL)
        return CG_DOC_NONE;
    for (i = 1; i < CG_DOC_NSTATES; i++) {
        if (strcmp(state_names[i], name) == 0)
            return i;
    }
    return CG_DOC_NONE;
}

int cg_doc_state_of_receipt(int receipt_type, long status)
{
    if (receipt_type == 900)
        return CG_DOC_REJECTED;
    if (status < 0)
        return CG_DOC_REJECTED;
    switch (status) {
    case 1: return CG_DOC_STORED;
    case 2: return CG_DOC_DECLARING;
    case 3: return CG_DOC_TO_CUSTOMS;
    case 4: return CG_DOC_REJECTED;
    case 100: return CG_DOC_REJECTED;
    case 120: return CG_DOC_ACCEPTED;
    case 300: return CG_DOC_REVIEW;
    case 399: return CG_DOC_CONCLUDED;
    case 500: return CG_DOC_INSPECTION;
    case 700: return CG_DOC_RETURNED;
    case 800: return CG_DOC_RELEASED;
    case 899: return CG_DOC_CLOSED;
    default: break;
    }
    if (status > 500 && status <= 599)
        return CG_DOC_DETAINED;
    return CG_DOC_NONE;
}

bool cg_doc_state_final(int msg_type, int state)
{
    if (state == CG_DOC_RELEASED || state == CG_DOC_RETURNED || state == CG_DOC_CLOSED ||
        state == CG_DOC_REJECTED)
        return true;
    /* Only the inventory goes on to release; 120 or 399 end an order or a waybill. */
    return msg_type != 603 && (state == CG_DOC_ACCEPTED || state == CG_DOC_CONCLUDED);
}

int cg_doc_state_step(int cur, int next)
{
    if (next <= CG_DOC_NONE || next >= CG_DOC_NSTATES)
        return CG_STEP_LATE;
    if (cur == next)
        return CG_STEP_SAME;
    /* A rejection is final for the version; nothing after it moves it again. */
    if (cur == CG_DOC_REJECTED)
        return CG_STEP_LATE;
    /* A rejection ends any version customs has not finished with. */
    if (next == CG_DOC_REJECTED)
        return cur < CG_DOC_RETURNED ? CG_STEP_MOVE : CG_STEP_LATE;
    return next > cur ? CG_STEP_MOVE : CG_STEP_LATE;
}

bool cg_spool_name_ignored(const char *name)
{
    size_t n = strlen(name);

    if (n == 0)
        return true;
    /* "..x" is not a hidden temporary file but a path-like name: it is refused, not ignored. */
    if (name[0] == '.' && !(name[1] == '.' && name[2] != '\0'))
        return true;
    return n >= 5 && strcmp(name + n - 5, ".part") == 0;
}

const char *cg_spool_name_problem(const char *name)
{
    const char *p;

    if (name == NULL || name[0] == '\0')
        return "empty name";
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return "name is a directory reference";
    if (strlen(name) > CG_FS_NAME_MAX)
        return "name longer than 200 bytes";
    for (p = name; *p != '\0'; p++) {
        if (p[0] == '.' && p[1] == '.' &&
            (p == name || p[-1] == '/' || p[-1] == '\\' || p[2] == '/' || p[2] == '\\' ||
             p[2] == '\0'))
            return "name contains a path part '..'";
    }
    for (p = name; *p != '\0'; p++) {
        if (*p == '/' || *p == '\\')
            return "name contains a path separator";
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return "name contains a control character";
    }
    if (!cg_fs_name_ok(name))
        return "name is not a plain file name";
    return NULL;
}

/* Letters and digits only, 1..max of them. */
static bool number_ok(const char *s, size_t max)
{
    size_t n = 0;

    for (; s[n] != '\0'; n++) {
        char c = s[n];

        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
            return false;
    }
    return n >= 1 && n <= max;
}

static bool same_key(const char *label, const char *got, const char *want, char *why, size_t size)
{
    char g[128], w[128];

    if (got != NULL && want != NULL && strcmp(got, want) == 0)
        return true;
    if (got == NULL)
        snprintf(why, size, "the receipt carries no %s (the document's is %s)", label,
                 cg_text_show(want, w, sizeof(w)));
    else
        snprintf(why, size, "the receipt's %s %s is not the document's %s", label,
                 cg_text_show(got, g, sizeof(g)), cg_text_show(want, w, sizeof(w)));
    return false;
}

bool cg_receipt_matches(const struct cg_receipt_event *e, const struct cg_receipt_target *t,
                        char *why, size_t size)
{
    int m = t->msg_type;
    char shown[128];

    if (e->msg_type == 900)
        return true;
    if (e->msg_type != m + 1 && !(m == 701 && e->msg_type == 792)) {
        snprintf(why, size, "a CEB%03d receipt does not answer a CEB%03d message", e->msg_type, m);
        return false;
    }
    if (m == 303 || m == 403) {
        if (!same_key("orderNo", e->order_no, t->business_key, why, size))
            return false;
    } else if (m == 505) {
        if (!same_key("logisticsNo", e->logistics_no, t->business_key, why, size))
            return false;
    } else if (!same_key("copNo", e->cop_no, t->business_key, why, size)) {
        return false;
    }
    if (e->order_no != NULL && !same_key("orderNo", e->order_no, t->order_no, why, size))
        return false;
    if (e->pre_no != NULL && !number_ok(e->pre_no, 18)) {
        snprintf(why, size, "preNo %s is not 1 to 18 letters and digits",
                 cg_text_show(e->pre_no, shown, sizeof(shown)));
        return false;
    }
    if (e->invt_no != NULL && !number_ok(e->invt_no, 20)) {
        snprintf(why, size, "invtNo %s is not 1 to 20 letters and digits",
                 cg_text_show(e->invt_no, shown, sizeof(shown)));
        return false;
    }
    if (e->pre_no != NULL && t->pre_no != NULL &&
        !same_key("preNo", e->pre_no, t->pre_no, why, size))
        return false;
    if (e->invt_no != NULL && t->invt_no != NULL &&
        !same_key("invtNo", e->invt_no, t->invt_no, why, size))
        return false;
    return true;
}
