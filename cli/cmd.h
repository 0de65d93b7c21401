/*
 * cmd.h - the command table of the cebgate program.
 *
 * Each subcommand lives in cli/cmd-<verb>.c and exports one const struct cg_cmd. main.c parses
 * the global options, loads the configuration when the command needs it, and calls exec with
 * the arguments after the verb (argv[0] is the verb). exec returns the process exit code:
 * 0 ok, 1 error or rejected input, 2 usage or configuration error, 75 temporary failure.
 */
#ifndef CG_CMD_H
#define CG_CMD_H

#include <stdio.h>

#include <signal.h>

#include "core/conf.h"
#include "core/err.h"

enum { CG_EXIT_OK = 0, CG_EXIT_ERROR = 1, CG_EXIT_USAGE = 2, CG_EXIT_TEMPFAIL = 75 };

#define CG_CMD_NEEDS_CONF 0x1 /* load the configuration before exec */
#define CG_CMD_READS_DB 0x2   /* only reads the database: refuse when there is none (db_existing) */
/* records a decision on what the database holds (dismiss, resend): refuse as CG_CMD_READS_DB */
#define CG_CMD_ACTS_ON_DB 0x4

struct cg_cli {
    struct cg_conf *conf;  /* loaded configuration (defaults when no file), or NULL */
    const char *conf_path; /* from --config, CEBGATE_CONF or ./cebgate.conf; NULL: defaults */
    /* cg_cli_store_open refuses a database that does not exist rather than create it (commands
     * and verbs that only read it: an empty one would answer "nothing to do") */
    int db_existing;
    int verbose;
    int quiet;
};

struct cg_cmd {
    const char *name;
    const char *args;    /* synopsis after the name, e.g. "[--pending] ORDER-NO" */
    const char *summary; /* one line */
    const char *help;    /* option lines for --help, may be NULL */
    int flags;
    int (*exec)(struct cg_cli *cli, int argc, char **argv);
};

/* The table, NULL-terminated. */
extern const struct cg_cmd *const cg_cmds[];

/* Exact name, or a unique prefix. NULL with *ambiguous set when several match. */
const struct cg_cmd *cg_cmd_find(const char *name, int *ambiguous);
void cg_cmd_usage(const struct cg_cmd *cmd, FILE *fp);
/* Print an error about usage and return CG_EXIT_USAGE. */
int cg_cmd_usage_error(const struct cg_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Print an error from a struct cg_err and return the exit code for its code. */
int cg_cmd_fail(const struct cg_err *err);

extern const struct cg_cmd cg_cmd_cancel;
extern const struct cg_cmd cg_cmd_help;
extern const struct cg_cmd cg_cmd_version;
extern const struct cg_cmd cg_cmd_init;
extern const struct cg_cmd cg_cmd_config;
extern const struct cg_cmd cg_cmd_dismiss;
extern const struct cg_cmd cg_cmd_resend;
extern const struct cg_cmd cg_cmd_port;
extern const struct cg_cmd cg_cmd_map;
extern const struct cg_cmd cg_cmd_sign;
extern const struct cg_cmd cg_cmd_verify;
extern const struct cg_cmd cg_cmd_return;
extern const struct cg_cmd cg_cmd_run;
extern const struct cg_cmd cg_cmd_status;
extern const struct cg_cmd cg_cmd_summary;
extern const struct cg_cmd cg_cmd_watch;
extern const struct cg_cmd cg_cmd_settle;
extern const struct cg_cmd cg_cmd_report;
extern const struct cg_cmd cg_cmd_refund;

/* refund/ for the commands (cli/cmd-refund.c): open the database and a refund context. */
struct cg_store;
struct cg_refund;
int cg_cli_refund_open(struct cg_cli *cli, struct cg_store **db, struct cg_refund **r,
                       struct cg_err *err);
/* The invoice and result files in incoming/ (run, watch), counted in c (cg_cli_settle_ctx). */
struct cg_cli_settle_ctx;
int cg_cli_refund_intake(struct cg_cli_settle_ctx *c, struct cg_err *err);
/* The end of `cebgate run`: refund sync and tick as [refund] run_sync and run_tick say. */
int cg_cli_refund_run(struct cg_cli *cli, struct cg_err *err);

/* The user running the command, by login name (the uid when it has none): who an operator's
 * record (dismiss, resend) names. */
void cg_cli_user_name(char *out, size_t size);

/* The database of the working directory ([general] database), migrated (cli/cmd-settle.c).
 * Created when missing, unless cli->db_existing: then CG_ECONFIG, saying where the working
 * directory came from, and nothing is created. */
struct cg_store;
int cg_cli_store_open(struct cg_cli *cli, struct cg_store **db, struct cg_err *err);
/*
 * The body of a command recording an operator's decision on one thing it names, with a reason
 * (dismiss, resend): `cmd ARG --reason TEXT`, the reason required (at most 1000 characters), the
 * user running it as by; fn does it in the database and prints to fp. w words the usage errors:
 * what ARG is ("FILE"), why a reason is asked, the form ARG takes ("SELLER/FILE"). Exit 0 done,
 * 1 when fn answers CG_ENOTFOUND (err says why), 2 usage (CG_EINVAL included), 75 temporary.
 * w->what NULL: the command names no ARG (fn gets NULL), and flag, an option that takes no
 * value, is allowed (`dismiss --unknown`).
 */
struct cg_cli_reasoned_words {
    const char *what, *why, *form;
    const char *flag; /* with what NULL: the option naming what is decided on, e.g. "unknown" */
};
int cg_cli_reasoned(struct cg_cli *cli, const struct cg_cmd *cmd, int argc, char **argv,
                    const struct cg_cli_reasoned_words *w,
                    int (*fn)(struct cg_store *st, const char *arg, const char *by,
                              const char *reason, FILE *fp, struct cg_err *err));
/*
 * --seller NAME (report, status) must name a seller the configuration has a section for, or one
 * the database has orders of (a seller since removed from the configuration): a typo would
 * otherwise list nothing and say that nothing needs the broker. An empty NAME, the default
 * seller, must have orders, rejections or refused files in the database (its section [seller]
 * is every seller's shared one). CG_EINVAL (a usage error, err
 * says why) when neither knows it, the store's code when the database cannot be read.
 */
int cg_cli_seller_known(struct cg_cli *cli, struct cg_store *db, const char *seller,
                        struct cg_err *err);
/* settle/ for the commands (cli/cmd-settle.c): open the database and a settle context. */
struct cg_settle;
int cg_cli_settle_open(struct cg_cli *cli, struct cg_store **db, struct cg_settle **s,
                       struct cg_err *err);
/* Print err and map rc to an exit code (database and I/O failures are 75). */
int cg_cli_settle_exit(int rc, const struct cg_err *err);
/* Write the morning report (report/) as HTML to path, with [report] options. */
int cg_cli_report_html(struct cg_cli *cli, const char *path, struct cg_err *err);
/*
 * The spool's intake hook (run, watch): statements, invoice and result files taken from
 * incoming/ before the order files, counted for the run summary.
 */
struct cg_cli_settle_ctx {
    struct cg_cli *cli;
    int rejected;                 /* a statement or refund file was refused */
    long done, failed, duplicate; /* files taken, by outcome */
    /* set when the payout profile could not be loaded in this pass: the sentence the spool
     * adds to the reason of a file refused before its first order (cg_cli_refused_note) */
    char payout_note[1024];
};
/*
 * cebgate run: phase 0 imports statements from incoming/ (counted in c), 1 matches and applies
 * deadlines.
 */
int cg_cli_settle_run(struct cg_cli_settle_ctx *c, int phase, struct cg_err *err);
int cg_cli_settle_intake(void *ctx, struct cg_err *err);
/* The spool's file_kind hook (run, watch): what a file in incoming/SELLER/ is when run takes
 * files like it from incoming/ itself (invoices, refund results, statements); else NULL. */
const char *cg_cli_file_kind(const char *head, size_t len);
/* The spool's refused_note hook (run, watch; ctx: the cg_cli_settle_ctx): why a file refused
 * before its first order may be a payout report read as orders; else NULL. */
const char *cg_cli_refused_note(void *ctx);
/* The same, and in *command (may be NULL) the cebgate command that imports such a file. */
const char *cg_cli_file_import(const char *head, size_t len, const char **command);

/*
 * cancel, return and summary (cli/cmd-cancel.c): open the working directory (lock, database,
 * transport; the spool's event lines printed), apply the waiting receipts (fetched from the
 * port over HTTP) unless receipts is false (a dry run records nothing), run fn, print
 * "order NO: WHAT declared: sent" (or queued, or refused by the port; nothing when order_no is
 * NULL) or "WHAT refused: <rule>", and return the exit code: 0, 1 refused or unknown, 2
 * configuration, 75 temporary.
 */
struct cg_spool;
int cg_cli_declare(struct cg_cli *cli, const char *what, const char *order_no, bool receipts,
                   int (*fn)(struct cg_spool *sp, void *ctx, struct cg_err *err), void *ctx);

/* Operator view shared by run and watch (cli/cmd-run.c). */
struct cg_spool_opts;
struct cg_spool_stats;
struct cg_run_view {
    int tty;       /* progress bar on stderr */
    int bar_shown; /* the bar is on screen and must be cleared before a line */
    /* the files the intake hook took (statements, refund files), added to the summary's; NULL:
     * none */
    const struct cg_cli_settle_ctx *intake;
};
/* Parse run/watch options into o and v; returns an exit code, or -1 to go on. */
int cg_run_parse(const struct cg_cmd *cmd, int argc, char **argv, struct cg_spool_opts *o,
                 struct cg_run_view *v);
void cg_run_event(void *ctx, int ev, const struct cg_spool_stats *st, const char *text);
/* Take the progress bar of view ctx off the terminal line (before a log message). */
void cg_run_clear_bar(void *ctx);
void cg_run_summary(struct cg_run_view *v, const struct cg_spool_stats *st, FILE *fp);
int cg_run_exit(int rc, const struct cg_err *err, const struct cg_spool_stats *st);
/* SIGTERM and SIGINT set *flag (the stop flag of struct cg_spool_opts). */
void cg_run_signals(volatile sig_atomic_t **flag);
/* Keep freed heap memory for the next batch instead of returning it at once (run, watch). */
void cg_run_malloc_setup(void);

#endif
