/*
 * lifecycle.c - the document state machine: receipt codes to states, forward-only steps,
 * final states per document type.
 *
 * Pure functions without I/O. Receipt codes follow the CEB receipt table (returnStatus):
 * 1 stored, 2 declaring, 3 sent to customs, 120 accepted, 300 review, 399 concluded,
 * 500 inspection, 501-599 detained, 700 returned, 800 released, 899 closed; 100, 4, every
 * negative code and any CEB900 reject. A code outside the table carries no state.
 */
#include "config.h"

#include <string.h>

#include "lifecycle/lifecycle.h"

static const char *const state_names[CG_DOC_NSTATES] = {
    "none",      "prepared",   "validated", "signed",    "queued",    "sent",       "stored",
    "declaring", "to-customs", "accepted",  "review",    "concluded", "inspection", "detained",
    "returned",  "released",   "closed",    "cancelled", "rejected",
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
        state == CG_DOC_CANCELLED || state == CG_DOC_REJECTED)
        return true;
    /* Only the inventory goes on to release; 120 or 399 end an order or a waybill. */
    return msg_type != CG_MSG_INVENTORY && (state == CG_DOC_ACCEPTED || state == CG_DOC_CONCLUDED);
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

bool cg_receipt_eport_refusal(int receipt_type, long status)
{
    return receipt_type == 900 || status < 0;
}

bool cg_doc_refusal_too_late(int cur, int receipt_type, long status)
{
    return cg_receipt_eport_refusal(receipt_type, status) && cur >= CG_DOC_ACCEPTED &&
           cur != CG_DOC_REJECTED;
}
