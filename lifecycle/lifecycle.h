/*
 * lifecycle.h - the life of a CEB document, shared by every module that declares or reports:
 * the message types (enum cg_msg_kind, the CEB numbers), the states a document goes through,
 * which receipt code means which state, and the rule that a document only moves forward.
 *
 * Pure functions without I/O or allocation; states are stored by name (cg_doc_state_name).
 */
#ifndef CG_LIFECYCLE_H
#define CG_LIFECYCLE_H

#include <stdbool.h>

/*
 * The CEB export messages a document can be, by their number in the standard (the number is
 * also what the database stores). The spool declares ORDER, WAYBILL and INVENTORY today; the
 * others are the rest of the export flow.
 */
enum cg_msg_kind {
    CG_MSG_RETURN = 213,      /* CEB213 export return request */
    CG_MSG_ORDER = 303,       /* CEB303 e-commerce order */
    CG_MSG_RECEIPTS = 403,    /* CEB403 receipt of payment */
    CG_MSG_WAYBILL = 505,     /* CEB505 logistics waybill */
    CG_MSG_DEPARTURE = 509,   /* CEB509 departure */
    CG_MSG_INVENTORY = 603,   /* CEB603 export inventory */
    CG_MSG_INVT_CANCEL = 605, /* CEB605 inventory cancellation */
    CG_MSG_BILL_LIST = 607,   /* CEB607 master/sub waybill list */
    CG_MSG_SUMMARY = 701,     /* CEB701 summary application */
};

/*
 * States of one CEB document (the current version). The order of the enum is the order of
 * progress: a receipt moves a document only forward (cg_doc_state_step). REJECTED is final
 * for a version; a corrected version starts again at PREPARED.
 */
enum cg_doc_state {
    CG_DOC_NONE = 0, /* no state (a receipt code that carries none) */
    CG_DOC_PREPARED,
    CG_DOC_VALIDATED,
    CG_DOC_SIGNED,
    CG_DOC_QUEUED,     /* the message file is in outbox/ and recorded */
    CG_DOC_SENT,       /* the transport acknowledged it */
    CG_DOC_STORED,     /* 1: stored at the electronic port */
    CG_DOC_DECLARING,  /* 2: being declared */
    CG_DOC_TO_CUSTOMS, /* 3: sent to customs */
    CG_DOC_ACCEPTED,   /* 120: accepted into the customs system */
    CG_DOC_REVIEW,     /* 300: manual review */
    CG_DOC_CONCLUDED,  /* 399: examination concluded */
    CG_DOC_INSPECTION, /* 500: physical inspection */
    CG_DOC_DETAINED,   /* 501-599: detained */
    CG_DOC_RETURNED,   /* 700: returned */
    CG_DOC_RELEASED,   /* 800: released */
    CG_DOC_CLOSED,     /* 899: closed */
    CG_DOC_CANCELLED,  /* the inventory's cancellation (CEB605) concluded: CEB606 399 */
    CG_DOC_REJECTED,   /* 100, 4, negative codes, CEB900, or refused by the transport */
    CG_DOC_NSTATES
};

/* Stable lower-case name ("queued", "released"); "?" for an unknown value. */
const char *cg_doc_state_name(int state);
/* The state a name stands for; CG_DOC_NONE when unknown. */
int cg_doc_state_parse(const char *name);
/* The state a receipt (its message type and returnStatus) reports; CG_DOC_NONE if none. */
int cg_doc_state_of_receipt(int receipt_type, long status);

enum cg_step {
    CG_STEP_MOVE = 0, /* apply: the document moves forward */
    CG_STEP_SAME = 1, /* duplicate: already in that state */
    CG_STEP_LATE = 2, /* late: the document is already further (or finally rejected) */
};
/* Whether a document in state cur takes state next. */
int cg_doc_state_step(int cur, int next);
/*
 * True when a refusal from the electronic port (a CEB900 format-error receipt or a negative
 * returnStatus) arrives for a document in state cur that customs has already accepted or gone
 * further with (accepted .. closed): the refusal cannot be about that document's stored
 * version, so it is logged and reported but does not move it to rejected.
 */
bool cg_doc_refusal_too_late(int cur, int receipt_type, long status);
/* True for a refusal at the electronic port (CEB900 or a negative code): the version was never
 * stored there, so the next version of the document is an add, not a modify. */
bool cg_receipt_eport_refusal(int receipt_type, long status);

/*
 * True for states after which nothing more is expected for a document of msg_type (303, 403,
 * 505, 603, ...): rejected, released, returned, closed or cancelled for any; for documents other
 * than the export inventory (CEB603) also accepted (120) and concluded (399), the last receipts
 * customs sends for an order, a payment receipt or a waybill.
 */
bool cg_doc_state_final(int msg_type, int state);

#endif
