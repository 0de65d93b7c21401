/*
 * store-report.h - read-only queries behind `cebgate report` (report/): counts of documents
 * by seller and state, by day of their last change, orders per seller, and the input files,
 * messages and rejections of the last run. The item lists the report shows (rejected,
 * pending, unknown receipts, cancellations) come from the lists of store.h.
 *
 * seller NULL means every seller ("" is the default seller). Days are "YYYY-MM-DD" (UTC, the
 * day part of the times the store writes). Strings handed to callbacks are borrowed and valid
 * during the call only; a non-zero callback result stops the query and is returned. Failures:
 * CG_ENOTFOUND (a soft answer, said per function), CG_EDB / CG_EBUSY with err filled.
 */
#ifndef CG_STORE_REPORT_H
#define CG_STORE_REPORT_H

#include "core/err.h"
#include "store/store.h"

/* Documents per seller and state, by seller then state. */
typedef int (*cg_report_state_fn)(void *ctx, const char *seller, const char *state, long n);
int cg_store_report_states(struct cg_store *st, const char *seller, cg_report_state_fn fn,
                           void *ctx, struct cg_err *err);

/* Documents whose last change fell on a day from..to, per day and present state. */
typedef int (*cg_report_day_fn)(void *ctx, const char *day, const char *state, long n);
int cg_store_report_days(struct cg_store *st, const char *seller, const char *from, const char *to,
                         cg_report_day_fn fn, void *ctx, struct cg_err *err);

/*
 * Per seller: orders, orders rejected from a file and not declared since (distinct numbers, each
 * line without a number on its own, as CG_STORE_LIST_REJECTED lists them), cancellations open,
 * documents pending (those CG_STORE_LIST_PENDING lists), input files refused whole and not taken
 * again since (those cg_store_report_failed_files lists). A seller with failed files only has its
 * row.
 */
typedef int (*cg_report_seller_fn)(void *ctx, const char *seller, long orders, long rejected,
                                   long cancels, long pending, long failed_files);
int cg_store_report_sellers(struct cg_store *st, const char *seller, cg_report_seller_fn fn,
                            void *ctx, struct cg_err *err);

/*
 * Input files refused whole and not taken again since under the same seller and name (a file put
 * back from failed/ is listed by its latest outcome only), newest first: seller, name, what the
 * file is ("order file", or the kind settle/ or refund/ recorded for a statement, invoice or
 * result file: "bank statement (camt.053)"), reason, time taken (or refused), and for an order
 * file the rejections of its orders still open (as CG_STORE_LIST_REJECTED lists them): a file
 * refused because its orders were rejected has them, one refused for its own content none.
 */
typedef int (*cg_report_file_fn)(void *ctx, const char *seller, const char *name, const char *kind,
                                 const char *reason, const char *taken_at, long open_rejections);
int cg_store_report_failed_files(struct cg_store *st, const char *seller, cg_report_file_fn fn,
                                 void *ctx, struct cg_err *err);

/*
 * The last run: the input files taken on the latest day (not after day to) any file was taken.
 * Orders taken, rejected and held count each order once however many of those files held it,
 * and in one of the three only: taken from any of those files, else rejected by any, else held
 * for its status (a file taken before files listed their orders adds its own counts).
 * CG_ENOTFOUND when no file was ever taken.
 */
struct cg_report_run {
    char day[11];
    long files, failed, orders, rejected, held, messages;
    char started[32], finished[32]; /* first taken, last finished (or taken) */
    /* Time spent on those files: each from taken to finished, the time several were worked on
     * together once, the time between runs not at all. */
    long busy_ms;
    /* Of the rejected, those rejected by a file whose refusal was dismissed since: counted, as
     * they happened, though the open lists leave them out. */
    long dismissed;
    /* The held by the status they were held for, in the latest of those files that held them
     * (waiting: also an order held before the status was kept with it); they add up to held. */
    long held_waiting, held_skipped, held_cancelled;
};
int cg_store_report_last_run(struct cg_store *st, const char *seller, const char *to,
                             struct cg_report_run *out, struct cg_err *err);
/*
 * The reasons the orders of the files taken on day that the last run counts as rejected were
 * rejected, each order by its latest rejection, most frequent first: they add up to its count.
 */
typedef int (*cg_report_reason_fn)(void *ctx, const char *reason, long n);
int cg_store_report_run_reasons(struct cg_store *st, const char *seller, const char *day,
                                cg_report_reason_fn fn, void *ctx, struct cg_err *err);

#endif
