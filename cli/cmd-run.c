/*
 * cmd-run.c - `cebgate run`: process everything in the working directory once and exit; also
 * the operator view shared with `cebgate watch` (progress bar, per-file lines, summary; a line
 * per receipt file only at -v).
 *
 * Exit 0 when nothing failed, 1 when some input was rejected (a file in failed/, a rejected
 * order, an unreadable receipt, a message refused by the port, or the port's TLS certificate not
 * trusted / the client key unusable), 75 when the run could not finish (the port unreachable,
 * the working directory in use, a disk or database error) and should be retried, 2 on usage or
 * configuration errors (also a transport endpoint that refuses as misconfigured: a wrong URL,
 * a missing client certificate). SIGTERM and SIGINT finish the current unit of work and exit 0.
 */
#include "config.h"

#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "core/buf.h"
#include "core/log.h"
#include "spool/spool.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

void cg_run_signals(volatile sig_atomic_t **flag)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    *flag = &stop_flag;
}

/*
 * A pass frees most of what one batch allocated before the next batch allocates it again. By
 * default glibc gives the freed top of the heap back to the kernel (more than 128 KiB free) and
 * takes it again moments later: about three brk calls and their page faults per order. Keeping
 * up to 16 MiB (1 MiB more at each growth) ends that churn; peak memory is unchanged, as what is
 * kept was in use at the peak.
 */
void cg_run_malloc_setup(void)
{
#ifdef M_TRIM_THRESHOLD
    mallopt(M_TRIM_THRESHOLD, 16 << 20);
    mallopt(M_TOP_PAD, 1 << 20);
#endif
}

static void fmt_dur(int64_t ms, char *out, size_t size)
{
    long s = (long)(ms / 1000);

    if (s >= 3600)
        snprintf(out, size, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
    else
        snprintf(out, size, "%ld:%02ld", s / 60, s % 60);
}

/* Before a log message: take the progress bar off its line so the message stands alone. */
void cg_run_clear_bar(void *ctx)
{
    struct cg_run_view *v = ctx;

    if (v->tty && v->bar_shown) {
        fputs("\r\033[K", stderr);
        v->bar_shown = 0;
    }
}

void cg_run_event(void *ctx, int ev, const struct cg_spool_stats *st, const char *text)
{
    struct cg_run_view *v = ctx;

    if (ev == CG_SPOOL_EV_PROGRESS) {
        char eta[32] = "-";
        long secs10 = (long)(st->elapsed_ms / 100);
        long rate = secs10 > 0 ? st->msgs_signed * 10 / secs10 : 0;
        int pct = st->bytes_total > 0 ? (int)(st->bytes_done * 100 / st->bytes_total) : 0;
        char bar[21];
        int i;
        if (!v->tty)
            return;
        if (pct > 100)
            pct = 100;
        if (st->bytes_done > 0 && st->bytes_total > st->bytes_done)
            fmt_dur(st->elapsed_ms * (st->bytes_total - st->bytes_done) / st->bytes_done, eta,
                    sizeof(eta));
        for (i = 0; i < 20; i++)
            bar[i] = i < pct / 5 ? '#' : '.';
        bar[20] = '\0';
        fprintf(stderr, "\r[%s] %3d%%  files %ld/%ld  orders %ld  %ld msg/s  ETA %s   ", bar, pct,
                st->files_taken,
                st->files_seen > st->files_taken ? st->files_seen : st->files_taken,
                st->orders_read, rate, eta);
        fflush(stderr);
        v->bar_shown = 1;
        return;
    }
    /* A line per receipt file only at -v (info): a batch brings tens of thousands of them, and
     * the summary counts them. */
    if (ev == CG_SPOOL_EV_RECEIPTS && cg_log_get_level() < CG_LOG_INFO)
        return;
    if (v->tty) {
        if (v->bar_shown)
            fputs("\r\033[K", stderr);
        fprintf(stderr, "%s\n", text);
        v->bar_shown = 0;
    } else {
        printf("%s\n", text);
        fflush(stdout);
    }
}

void cg_run_summary(struct cg_run_view *v, const struct cg_spool_stats *st, FILE *fp)
{
    long taken = st->files_taken, done = st->files_done, failed = st->files_failed;
    long duplicate = st->files_duplicate;
    long again;
    char dur[32];
    int i;

    if (v->tty && v->bar_shown) {
        fputs("\r\033[K", stderr);
        v->bar_shown = 0;
    }
    fmt_dur(st->elapsed_ms, dur, sizeof(dur));
    /* Statements and refund files count as files taken, beside the order files. */
    if (v->intake != NULL) {
        taken += v->intake->done + v->intake->failed + v->intake->duplicate;
        done += v->intake->done;
        failed += v->intake->failed;
        duplicate += v->intake->duplicate;
    }
    /* Every file taken is accounted for: one a temporary failure or a stop left in active/ is
     * said to be there, for the next run. */
    fprintf(fp, "summary: %ld file%s taken (%ld done, %ld failed, %ld duplicate", taken,
            taken == 1 ? "" : "s", done, failed, duplicate);
    if (st->files_left > 0)
        fprintf(fp, ", %ld left in active/ for the next run", st->files_left);
    fprintf(fp, ")\n");
    fprintf(fp,
            "  orders: %ld accepted (%ld new, %ld modified), %ld unchanged, %ld rejected, %ld "
            "waiting, %ld skipped, %ld cancelled\n",
            st->orders_new + st->orders_modified, st->orders_new, st->orders_modified,
            st->orders_unchanged, st->orders_rejected, st->orders_waiting, st->orders_skipped,
            st->orders_cancelled);
    /* An order is one order: a later file's copy of one this run took is said apart (rejected:
     * only when one was). */
    again = st->orders_again_unchanged + st->orders_again_modified + st->orders_again_rejected;
    if (again > 0) {
        fprintf(fp,
                "  copies in later files: %ld %s an earlier file of this run took (%ld "
                "unchanged, %ld changed and declared again",
                again, again == 1 ? "order" : "orders", st->orders_again_unchanged,
                st->orders_again_modified);
        if (st->orders_again_rejected > 0)
            fprintf(fp, ", %ld rejected", st->orders_again_rejected);
        fprintf(fp, ")\n");
    }
    for (i = 0; i < st->nreasons; i++)
        fprintf(fp, "    %6ld x rejected: %s\n", st->reasons[i].count, st->reasons[i].text);
    if (st->reasons_other > 0)
        fprintf(fp, "    %6ld x rejected for other kinds of reason (cebgate status --rejected)\n",
                st->reasons_other);
    for (i = 0; i < st->nheld; i++)
        fprintf(fp, "    %6ld x %s\n", st->held[i].count, st->held[i].text);
    if (st->held_other > 0)
        fprintf(fp, "    %6ld x not declared for other reasons of their status\n", st->held_other);
    if (st->orders_cancel_needed > 0)
        fprintf(fp,
                "  needing a cancellation: %ld %s cancelled or skipped after %s documents were "
                "sent (cebgate status --cancel)\n",
                st->orders_cancel_needed, st->orders_cancel_needed == 1 ? "order" : "orders",
                st->orders_cancel_needed == 1 ? "its" : "their");
    if (st->orders_return_needed > 0)
        fprintf(fp,
                "  needing a return: %ld %s cancelled or skipped after %s goods left the "
                "country (cebgate status --cancel)\n",
                st->orders_return_needed, st->orders_return_needed == 1 ? "order" : "orders",
                st->orders_return_needed == 1 ? "its" : "their");
    if (st->summaries_declared > 0)
        fprintf(fp, "  summaries declared (CEB701): %ld\n", st->summaries_declared);
    if (st->cancels_declared > 0)
        fprintf(fp, "  cancellations declared (CEB605): %ld (cancel = auto)\n",
                st->cancels_declared);
    fprintf(fp,
            "  messages: %ld signed, %ld queued, %ld sent, %ld waiting to be sent, "
            "%ld refused\n",
            st->msgs_signed, st->msgs_queued, st->msgs_sent, st->msgs_retry, st->msgs_refused);
    fprintf(fp,
            "  receipts: %ld file%s, %ld applied, %ld duplicate, %ld late, %ld unknown guid, "
            "%ld mismatched, %ld unreadable file%s\n",
            st->receipt_files, st->receipt_files == 1 ? "" : "s", st->receipts_applied,
            st->receipts_duplicate, st->receipts_late, st->receipts_unknown, st->receipts_mismatch,
            st->receipt_files_failed, st->receipt_files_failed == 1 ? "" : "s");
    if (st->recovered > 0)
        fprintf(fp, "  recovered after a crash: %ld message%s\n", st->recovered,
                st->recovered == 1 ? "" : "s");
    fprintf(fp, "  duration: %s (%lld ms)\n", dur, (long long)st->elapsed_ms);
}

int cg_run_exit(int rc, const struct cg_err *err, const struct cg_spool_stats *st)
{
    if (rc == CG_ECONFIG) {
        fprintf(stderr, "cebgate: %s\n", err->msg);
        return CG_EXIT_USAGE;
    }
    if (rc == CG_ECRYPTO) {
        /* An untrusted port certificate or an unusable client key: running again will not
         * help until someone looks. */
        fprintf(stderr, "cebgate: %s\n", err->msg[0] ? err->msg : cg_strerror(rc));
        return CG_EXIT_ERROR;
    }
    if (rc != CG_OK) {
        fprintf(stderr, "cebgate: %s\n", err->msg[0] ? err->msg : cg_strerror(rc));
        return CG_EXIT_TEMPFAIL;
    }
    if (st != NULL && st->sellers_held > 0) {
        fprintf(stderr,
                "cebgate: the configuration of %ld seller%s is incomplete (named above); %s "
                "files wait for a run after it is fixed\n",
                st->sellers_held, st->sellers_held == 1 ? "" : "s",
                st->sellers_held == 1 ? "its" : "their");
        return CG_EXIT_USAGE;
    }
    if (st != NULL && (st->files_failed > 0 || st->rejections > 0 || st->receipt_files_failed > 0 ||
                       st->msgs_refused > 0))
        return CG_EXIT_ERROR;
    return CG_EXIT_OK;
}

int cg_run_parse(const struct cg_cmd *cmd, int argc, char **argv, struct cg_spool_opts *o,
                 struct cg_run_view *v)
{
    static const struct option opts[] = {
        {"workers", required_argument, NULL, 'w'},
        {"batch", required_argument, NULL, 'b'},
        {"no-progress", no_argument, NULL, 'P'},
        {"fsync-each", no_argument, NULL, 'F'},
        {NULL, 0, NULL, 0},
    };
    long n;
    int c;

    memset(o, 0, sizeof(*o));
    memset(v, 0, sizeof(*v));
    v->tty = isatty(STDERR_FILENO);
    while ((c = getopt_long(argc, argv, "+w:b:", opts, NULL)) != -1) {
        switch (c) {
        case 'w':
            if (cg_parse_long(optarg, 1, 64, &n) != CG_OK)
                return cg_cmd_usage_error(cmd, "--workers: '%s' is not 1..64", optarg);
            o->workers = (int)n;
            break;
        case 'b':
            if (cg_parse_long(optarg, 1, 100000, &n) != CG_OK)
                return cg_cmd_usage_error(cmd, "--batch: '%s' is not 1..100000", optarg);
            o->batch = (int)n;
            break;
        case 'P': v->tty = 0; break;
        case 'F': o->sync_per_file = true; break;
        default: return cg_cmd_usage_error(cmd, "unknown option");
        }
    }
    o->event = cg_run_event;
    o->ctx = v;
    return -1;
}

/*
 * [report] html: the morning report after the batch, once the spool is closed. A report that
 * cannot be written leaves the batch as it is. A page path that cannot work (its directory
 * missing, not a directory, not writable) makes the exit 2, a configuration error; a temporary
 * failure (disk full, database busy) makes it 75, so the scheduler runs again. A run that
 * already failed with 75 or 2 keeps its own status.
 */
static int write_report(struct cg_cli *cli, int status)
{
    char *path = cg_conf_get_path(cli->conf, "report", "html");
    struct cg_err err;
    int rc;

    if (path == NULL)
        return status;
    cg_err_clear(&err);
    rc = cg_cli_report_html(cli, path, &err);
    if (rc != CG_OK) {
        if (err.msg[0])
            fprintf(stderr, "cebgate: %s\n", err.msg);
        else
            fprintf(stderr, "cebgate: report page %s: %s\n", path, cg_strerror(rc));
        if (status == CG_EXIT_OK || status == CG_EXIT_ERROR)
            status = cg_rc_exit_code(rc) == 2 ? CG_EXIT_USAGE : CG_EXIT_TEMPFAIL;
    } else if (!cli->quiet) {
        printf("report: %s\n", path);
    }
    free(path);
    return status;
}

const char *cg_cli_refused_note(void *ctx)
{
    const struct cg_cli_settle_ctx *c = ctx;

    return c->payout_note[0] != '\0' ? c->payout_note : NULL;
}

static int exec_run(struct cg_cli *cli, int argc, char **argv)
{
    struct cg_spool_opts o;
    struct cg_run_view v;
    struct cg_transport *t = NULL;
    struct cg_spool *sp = NULL;
    struct cg_err err;
    struct cg_cli_settle_ctx sctx = {NULL, 0, 0, 0, 0};
    int status;
    int rc;

    cg_err_clear(&err);
    status = cg_run_parse(&cg_cmd_run, argc, argv, &o, &v);
    if (status >= 0)
        return status;
    if (optind != argc)
        return cg_cmd_usage_error(&cg_cmd_run, "no arguments expected");
    cg_run_signals(&o.stop);
    cg_run_malloc_setup();
    cg_log_set_before(cg_run_clear_bar, &v);
    rc = cg_transport_new(cli->conf, &t, &err);
    /* Statements in incoming/ are taken first, so the spool never reads one as orders. */
    sctx.cli = cli;
    o.intake = cg_cli_settle_intake;
    o.intake_ctx = &sctx;
    o.file_kind = cg_cli_file_kind;
    o.refused_note = cg_cli_refused_note;
    v.intake = &sctx;
    if (rc == CG_OK)
        rc = cg_spool_open(cli->conf, &o, t, &sp, &err);
    if (rc == CG_OK)
        rc = cg_spool_run(sp, &err);
    /* Orders released by this run's receipts can be matched; then the deadlines. */
    if (rc == CG_OK)
        rc = cg_cli_settle_run(&sctx, 1, &err);
    /* What that matching collected goes out as payment receipts in this run. */
    if (rc == CG_OK)
        rc = cg_spool_payments(sp, &err);
    /* Then refund/: collection, clearance and returns this run recorded; its deadlines. */
    if (rc == CG_OK)
        rc = cg_cli_refund_run(cli, &err);
    if (sp != NULL && !cli->quiet)
        cg_run_summary(&v, cg_spool_stats(sp), stdout);
    status = cg_run_exit(rc, &err, sp != NULL ? cg_spool_stats(sp) : NULL);
    if (status == CG_EXIT_OK && sctx.rejected)
        status = CG_EXIT_ERROR;
    if (stop_flag && rc == CG_OK)
        status = CG_EXIT_OK;
    cg_spool_close(sp);
    cg_transport_free(t);
    cg_log_set_before(NULL, NULL);
    if (sp != NULL)
        status = write_report(cli, status);
    return status;
}

const struct cg_cmd cg_cmd_run = {
    "run",
    "[--workers N] [--batch N] [--no-progress]",
    "process every file in incoming/ and every receipt in inbox/, then exit",
    "  --workers N     threads that build, validate and sign (default: one per CPU)\n"
    "  --batch N       orders per unit of work (default 500)\n"
    "  --no-progress   no progress bar even on a terminal\n"
    "  --fsync-each    flush each message file by itself instead of once per batch\n"
    "exit: 0 ok, 1 some input rejected or the port's certificate not trusted, 2 usage or\n"
    "      configuration error (also a wrong transport URL), 75 could not finish (run again)\n",
    CG_CMD_NEEDS_CONF,
    exec_run,
};
