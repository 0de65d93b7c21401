/*
 * spool-int.h - private to spool/: the spool object, the worker pool and the helpers the
 * spool-*.c files share.
 */
#ifndef CG_SPOOL_INT_H
#define CG_SPOOL_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/conf.h"
#include "core/err.h"
#include "declare/declare.h"
#include "mapping/mapping.h"
#include "spool/spool.h"
#include "store/store.h"

enum { D_INCOMING = 0, D_ACTIVE, D_DONE, D_FAILED, D_OUTBOX, D_INBOX, D_ARCHIVE, D_TMP, D_N };
extern const char *const cg_spool_dir_names[D_N];

/* One seller as the spool uses it: profile, mapping context, signing options. */
struct spool_seller {
    char *name; /* "" for files directly in incoming/ */
    struct cg_seller *seller;
    struct cg_map_ctx *map;
    /* Set when the seller's configuration cannot be used (no section for its folder, a bad
     * value, a catalogue that cannot be read), or when an order needed a setting it lacks
     * (config_hold): the seller's files wait where they are until the configuration is
     * fixed, and the run ends with exit 2 (spool_seller_waits). */
    char *problem;
    char *config_hold;
    bool held_said; /* the run said so and counted it */
    /* The pass of intake (cg_spool.intake_pass) that last found the seller held, and how many
     * of its files waited in that pass: what the pass records for the morning report. */
    unsigned long held_pass;
    long held_files;
    int index;
    /* Signing: the seller's own key, else [declare]. */
    char *key_file, *cert_file, *pass_file, *pass_env, *key_name;
};

/* One message to build: filled by the spool thread, completed by a worker. */
struct spool_job {
    const struct cg_order *order;
    const struct spool_seller *sel;
    int msg_type; /* enum cg_msg_kind */
    int app_type; /* 1 add, 2 modify */
    int version;
    char guid[37];
    char cop_no[32];
    char content_hash[65];  /* of what this document carries (its kind's content_hash) */
    char *pre_no, *invt_no; /* owned, may be NULL */
    const char *reason;     /* CEB605 (order is NULL): the cancellation's reason, borrowed */
    const struct cg_invt_refund *refund;  /* CEB213 (order is NULL): the return, borrowed */
    const struct cg_waybill *waybill;     /* CEB607 (order is NULL), borrowed */
    const struct cg_departure *departure; /* CEB509 (order is NULL), borrowed */
    const struct cg_summary *summary;     /* CEB701 (order is NULL), borrowed */
    /* Results. */
    int rc;
    char name[96]; /* file name in tmp/ then outbox/ */
    char sha256[65];
    size_t size;
    char *error;   /* owned, set when rc != CG_OK */
    bool no_space; /* writing it to tmp/ failed for want of space (ENOSPC, EDQUOT) */
};

/* A kind of document planned per order (spool-plan.c): one entry per message type. */
struct spool_doc_kind {
    int msg_type;                                           /* enum cg_msg_kind */
    bool (*needed)(const struct cg_order *o);               /* the order needs it now */
    void (*content_hash)(struct cg_order *o, char out[65]); /* of what the message carries */
    const char *(*business_key)(const struct spool_job *j); /* borrowed from the job */
    /* Whether the seller's settings let cebgate declare it; NULL: always. */
    bool (*seller_wants)(const struct cg_seller *s);
};
/* Most kinds an order can have: the planner keeps this many documents per order. */
#define SPOOL_KINDS_MAX 8
extern const struct spool_doc_kind spool_doc_kinds[];
extern const size_t spool_ndoc_kinds;
/* The kind of a message type; NULL when the spool does not declare it. */
const struct spool_doc_kind *spool_doc_kind_of(int msg_type);
/* The enterprise's own inventory number of an order (CEB603 copNo): "C" + 20 hex digits. */
void spool_cop_no(const struct cg_order *o, char out[32]);

struct spool_pool;

/*
 * Start n workers; each loads the schema once. Each signing key is loaded once for the pool
 * (on first use) and every worker signs with its own clone of it.
 */
int spool_pool_new(struct cg_spool *sp, int n, struct spool_pool **out, struct cg_err *err);
/* Run jobs[0..n) on the workers and wait for all of them. */
void spool_pool_run(struct spool_pool *p, struct spool_job *jobs, size_t n);
/* The same in two steps: hand jobs over (one set at a time), later wait until all are done. */
void spool_pool_start(struct spool_pool *p, struct spool_job *jobs, size_t n);
void spool_pool_wait(struct spool_pool *p);
void spool_pool_free(struct spool_pool *p);
/*
 * Whether a key file, certificate file or passphrase file of a key the pool loaded is not what
 * it was just before it was loaded (device, inode, size, modification or change time; a file
 * that appeared or went away). A few stat calls; false for a NULL pool. Between batches only.
 */
bool spool_pool_keys_changed(struct spool_pool *p);
/*
 * Load every key the pool loaded so far again, dropping the signers loaded before (also the
 * workers' clones and the failures they kept). CG_OK, or the first failure with err saying
 * which file and why (never key material): then the keys that failed hold that failure and
 * nothing of the old key is used. Between batches only; NULL: nothing to do.
 */
int spool_pool_keys_reload(struct spool_pool *p, struct cg_err *err);

struct cg_spool {
    const struct cg_conf *conf;
    struct cg_spool_opts opts;
    struct cg_transport *t; /* borrowed */
    struct cg_spool_lock *lock;
    struct cg_store *store;
    char *workdir;
    char *data_dir;
    int dfd[D_N];
    struct cg_codes *codes;
    struct spool_seller **sellers;
    size_t nsellers;
    struct spool_pool *pool;
    char schema_version[8];
    struct cg_base_transfer bt;
    bool dxp_wrap;
    const char *dxp_sender, *dxp_receiver;
    bool transport_down; /* a submit said retry: stop submitting in this pass */
    bool receipts_down;  /* receipts could not be fetched in this pass (sending goes on) */
    /* Receipts for unknown guids named in the log in this pass of inbox/, and those not named
     * (spool-inbox.c): the first few are named, the rest counted in one line. */
    long unknown_named, unknown_unnamed;
    struct cg_spool_stats st;
    unsigned long intake_pass; /* the passes over incoming/ so far, this one included */
    int64_t last_event_ms;
    /* The last message recorded before this process (in `watch`: this generation, which a
     * reload of the signing keys or SIGHUP starts) first declared payment receipts, bills or
     * summaries: a CEB403, CEB607, CEB509 or CEB701 refused before the port stored it is
     * declared again when it is older (spool_refused_mark). pay_mark_set false: taken again
     * when one of those steps next runs. */
    int64_t pay_mark;
    bool pay_mark_set;
    /* `watch`: the last reload of the signing keys failed; every pass tries again first and
     * stops (temporary) while it fails (spool-run.c). */
    bool keys_bad;
    /* The order files this run (in `watch`: since the counters were last reset) read orders
     * from, new or resumed: an order one of them took already is a later file's copy and is
     * counted once (docs/spool.md, "Operator view"). A few per file, not per order. */
    int64_t *run_files;
    size_t nrun_files, run_files_cap;
    /* A file of this run rejected an order or held one for its status: from then on a taken
     * order is looked up too, to move it out of those counts (spool-file.c). */
    bool run_aside;
};

/* Note that the run reads orders from input file id (spool-core.c). */
int spool_run_file_add(struct cg_spool *sp, int64_t id, struct cg_err *err);
/* Whether input file id is one the run read orders from. */
bool spool_run_file_has(const struct cg_spool *sp, int64_t id);

/* Milliseconds of a monotonic clock. */
int64_t spool_now_ms(void);
/* Report progress (rate limited) or an event. */
void spool_progress(struct cg_spool *sp, bool force);
void spool_event(struct cg_spool *sp, int ev, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Count an order rejection under its kind. */
void spool_reason_add(struct cg_spool_stats *st, const char *msg);
/* Count an order that is not declared because of its status, under its status and reason. */
void spool_held_add(struct cg_spool_stats *st, const struct cg_order *o);

/* Seller by folder name (NULL or "" for the default); created on first use. */
struct spool_seller *spool_seller_get(struct cg_spool *sp, const char *name);

/*
 * name, taken again from incoming/[sub/], finished done or duplicate: remove the
 * failed/[sub/]name.reason an earlier refusal left, unless failed/[sub/]name is still there (the
 * reason is its). Best effort: a reason left by a crash or an error before is only stale.
 */
void spool_drop_stale_reason(struct cg_spool *sp, const char *sub, const char *name);
/* Write failed/<sub>/NAME.reason (sub "" for the top). */
int spool_write_reason(struct cg_spool *sp, int subfd, const char *name, const char *reason,
                       struct cg_err *err);
/* Open (creating) the folder <sub> under dfd[which]; sub "" returns a dup of it. */
int spool_subdir(struct cg_spool *sp, int which, const char *sub, struct cg_err *err);
/*
 * Move fromfd/name to tofd keeping the name when free, else NAME.1, NAME.2, ...; the name
 * used is written to out (size outsz).
 */
int spool_move_unique(int fromfd, const char *name, int tofd, char *out, size_t outsz,
                      struct cg_err *err);
/* The same, moved under base (base, base.1, ...) instead of its own name. */
int spool_move_unique_as(int fromfd, const char *name, int tofd, const char *base, char *out,
                         size_t outsz, struct cg_err *err);

/* Process one file in active/<sub>/name for seller sel; fresh: just taken from incoming/ (not
 * found in active/ by a resume). */
/*
 * The message of version `version` of document doc_id as it was sent, read from archive/ (or
 * outbox/) and parsed, without its DXP envelope: *out (the caller frees it). Its file name into
 * name (name_size 0: not wanted; "" when no message of that version is recorded). CG_ENOTFOUND
 * when none is recorded or archive/ no longer holds it.
 */
int spool_sent_load(struct cg_spool *sp, int64_t doc_id, int version, xmlDocPtr *out, char *name,
                    size_t name_size, struct cg_err *err);
/* The same, from the database st and the folders archive/ and outbox/ (-1: not looked in). */
int spool_sent_load_at(struct cg_store *st, int archive_fd, int outbox_fd, int64_t doc_id,
                       int version, xmlDocPtr *out, char *name, size_t name_size,
                       struct cg_err *err);
/* What order order_no declared in doc, a CEB303 as sent: its currency, goods value and freight,
 * then each item (number, SKU, name, quantity, unit, price, total), values shown escaped. */
void spool_sent_order_lines(xmlDocPtr doc, const char *order_no, FILE *fp);
/*
 * What differs between order o's entity in that version of its msg_type document and the
 * message o would be declared with now: up to three elements, "price of item 1 from '3.75' to
 * '4.25', ...", into out (empty when the sent message cannot be read back).
 */
void spool_sent_changes(struct cg_spool *sp, const struct spool_seller *sel,
                        const struct cg_order *o, int msg_type, int64_t doc_id, int version,
                        char *out, size_t size);
/*
 * Whether sel's files wait for its configuration (problem or config_hold set): said and counted
 * once per seller and run, so that the other sellers' files go on.
 */
bool spool_seller_waits(struct cg_spool *sp, struct spool_seller *sel);
/* rc of spool_process_file() for sel: CG_ECONFIG once the seller waits for its configuration
 * becomes CG_OK (spool_seller_waits); any other rc is returned as it is. */
int spool_seller_held(struct cg_spool *sp, struct spool_seller *sel, int rc);
int spool_process_file(struct cg_spool *sp, struct spool_seller *sel, int subfd, const char *name,
                       bool fresh, struct cg_err *err);
/* Take every complete file from incoming/ into active/ and process active/. */
int spool_intake(struct cg_spool *sp, struct cg_err *err);
/* Apply every receipt file in inbox/. */
int spool_inbox(struct cg_spool *sp, struct cg_err *err);
/*
 * Record the transport's answer for n messages (by guid): CG_OK sent, CG_ERETRY still queued,
 * CG_EREJECT refused (details[i] says why); also clears their staged flag. One transaction.
 */
int spool_mark_sent(struct cg_spool *sp, const char *const *guids, const int *results,
                    const char *const *details, size_t n, struct cg_err *err);
/* Move a finished input file out of active/ and record the outcome. */
int spool_file_out(struct cg_spool *sp, struct spool_seller *sel, int subfd, const char *name,
                   int64_t id, const char *outcome, const char *reason, struct cg_err *err);
/*
 * Hand n committed message files over: tmp/ -> outbox/, then flush outbox/. When the
 * exchange client takes files out of outbox/ (the directory transport), each is first linked
 * into archive/ and archive/ flushed, so a file the client took at once is still there for the
 * audit and for recovery after a crash.
 */
int spool_hand_over(struct cg_spool *sp, char *const *names, size_t n, struct cg_err *err);
/* Move (or, when the transport keeps outbox/, link) a handed-over message into archive/. */
int spool_archive_sent(struct cg_spool *sp, const char *name, struct cg_err *err);
/* Archive and record as sent the messages a receipt proves the port has. */
int spool_settle_received(struct cg_spool *sp, struct cg_err *err);
/* Submit n committed message files (guid, outbox name) and record the answers. */
int spool_submit_names(struct cg_spool *sp, char **guids, char **names, size_t n,
                       struct cg_err *err);
/*
 * Record n messages spool_hand_over has just handed over. With the directory transport that
 * hand-over is the submit itself (each file in outbox/, or already taken from there, and
 * linked in archive/, both directories flushed): every one is recorded as sent without looking
 * at the directories again. Other transports submit them (spool_submit_names).
 */
int spool_submit_handed(struct cg_spool *sp, char **guids, char **names, size_t n,
                        struct cg_err *err);
/* Hand queued messages to the transport. */
int spool_submit_queued(struct cg_spool *sp, struct cg_err *err);
/* Finish what a crash left in tmp/ and the database. */
int spool_recover(struct cg_spool *sp, struct cg_err *err);
/* Remove archive/ files older than [spool] archive_days. */
void spool_prune_archive(struct cg_spool *sp);

/*
 * Cancellations (spool-cancel.c): after a pass's intake, declare the CEB605 of every order a
 * shop file showed cancelled whose seller says `cancel = auto`; a refusal (rule named) is
 * reported and the order stays listed.
 */
int spool_cancel_auto(struct cg_spool *sp, struct cg_err *err);
/* Manifests (spool-manifest.c, docs/manifest-format.md). True when a file's first line is a
 * manifest's header. */
bool spool_is_manifest(const char *first_line);
/*
 * Read the manifest on fd (taken: closed here) and record its bills and parcels in one unit of
 * work. A file refused for its content gets reason (every bad line) and CG_OK, nothing
 * recorded; other codes are failures of the machine (database, I/O).
 */
int spool_manifest_file(struct cg_spool *sp, const char *seller, int fd, const char *display,
                        int64_t file_id, char *reason, size_t rsize, struct cg_err *err);
/* After intake: declare the CEB607 of each bill whose parcels are all released, the CEB509 of
 * each bill whose CEB607 customs accepted; name the parcels a bill waits for. */
int spool_manifest_step(struct cg_spool *sp, struct cg_err *err);
/* The country of arrival of an inventory and its statistics flag (A or B), as its CEB603 was
 * sent (spool-return.c). */
int spool_inventory_country(struct cg_spool *sp, const char *order_no, int64_t inv_id,
                            int inv_version, char *out, size_t size, char *flag, size_t fsize,
                            struct cg_err *err);
/* At the end of a pass: the previous month's summaries when today (China time) is between the
 * 1st and [spool] summary_day (0: never). */
int spool_summary_auto(struct cg_spool *sp, struct cg_err *err);
/* Declare the CEB403 of every changed payment record of a seller whose payments come from
 * collections (spool-payments.c). */
int spool_payments_step(struct cg_spool *sp, struct cg_err *err);
/*
 * *mark: the greatest message id when this process or `watch` generation first asked (taken
 * then, kept in sp). A document refused before the port stored it by a message up to the mark
 * is declared again once; one declared after it waits for the next process or generation.
 */
int spool_refused_mark(struct cg_spool *sp, int64_t *mark, struct cg_err *err);
/*
 * Whether an operator marked the current version of the order's document msg_type, refused, to
 * go out again (cebgate resend): CG_OK, after printing what fmt names followed by who marked it
 * and when; CG_ENOTFOUND when no mark is open; else a database error (spool-resend.c).
 */
int spool_resend_open(struct cg_spool *sp, int64_t order_id, int msg_type, struct cg_err *err,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The one seller that declared order_no, into out; CG_ENOTFOUND, or CG_EEXIST when several. */
int spool_order_seller(struct cg_spool *sp, const char *order_no, char *out, size_t size,
                       struct cg_err *err);
/*
 * Write, record and hand over one message built from a job that is not an order's (CEB605,
 * CEB213): the workers build and sign it into tmp/, it is flushed, then record(st, ctx, err)
 * runs in one unit of work with the document and message rows (the document's id in
 * *doc_id), and only then is the file moved into outbox/ and submitted. The job's business
 * key is key. On any error before the commit nothing is left behind.
 */
int spool_declare_one(struct cg_spool *sp, struct spool_job *j, int64_t order_id, const char *key,
                      int (*record)(struct cg_store *st, int64_t doc_id, void *ctx,
                                    struct cg_err *err),
                      void *ctx, struct cg_err *err);

/* Message type word used in file names and the DXP envelope ("CEB303Message"). */
void spool_msg_type_name(int msg_type, char *out, size_t size);

#endif
