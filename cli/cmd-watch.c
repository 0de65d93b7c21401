/*
 * cmd-watch.c - `cebgate watch`: keep running, process files and receipts as they arrive.
 *
 * A pass at start, then one whenever a complete file lands in incoming/ (or a seller folder)
 * or inbox/ (inotify), and every --retry seconds for the transport. SIGTERM or SIGINT finish
 * the current unit of work and exit 0. SIGHUP loads the signing keys again before the next pass
 * and declares again the payment receipts the port refused before storing them (as a changed
 * key or certificate file does by itself: spool-run.c). The summary of everything done is
 * printed at the end.
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "core/buf.h"
#include "core/log.h"
#include "spool/spool.h"

static volatile sig_atomic_t reload_flag;

static void on_hup(int sig)
{
    (void)sig;
    reload_flag = 1;
}

static int exec_watch(struct cg_cli *cli, int argc, char **argv)
{
    struct cg_spool_opts o;
    struct cg_run_view v;
    struct cg_transport *t = NULL;
    struct cg_spool *sp = NULL;
    struct cg_err err;
    struct cg_cli_settle_ctx sctx = {NULL, 0, 0, 0, 0};
    long retry = 60;
    int status;
    int rc;
    int i;

    cg_err_clear(&err);
    /* --retry SECONDS is ours; the rest are the run options. */
    for (i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--retry") == 0) {
            if (cg_parse_long(argv[i + 1], 1, 86400, &retry) != CG_OK)
                return cg_cmd_usage_error(&cg_cmd_watch, "--retry: '%s' is not 1..86400",
                                          argv[i + 1]);
            memmove(&argv[i], &argv[i + 2], (size_t)(argc - i - 1) * sizeof(*argv));
            argc -= 2;
            break;
        }
    }
    status = cg_run_parse(&cg_cmd_watch, argc, argv, &o, &v);
    if (status >= 0)
        return status;
    if (optind != argc)
        return cg_cmd_usage_error(&cg_cmd_watch, "no arguments expected");
    v.tty = 0; /* a daemon logs lines, it draws no bar */
    cg_run_signals(&o.stop);
    {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_hup;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGHUP, &sa, NULL);
        o.reload = &reload_flag;
    }
    cg_run_malloc_setup();
    cg_log_set_before(cg_run_clear_bar, &v);
    /* Collection statements dropped while watching are imported, not read as orders. */
    sctx.cli = cli;
    o.intake = cg_cli_settle_intake;
    o.intake_ctx = &sctx;
    o.file_kind = cg_cli_file_kind;
    o.refused_note = cg_cli_refused_note;
    v.intake = &sctx;
    rc = cg_transport_new(cli->conf, &t, &err);
    if (rc == CG_OK)
        rc = cg_spool_open(cli->conf, &o, t, &sp, &err);
    if (rc == CG_OK)
        rc = cg_spool_watch(sp, (int)retry, &err);
    if (sp != NULL && !cli->quiet)
        cg_run_summary(&v, cg_spool_stats(sp), stdout);
    /* A daemon stopped on request has done its job; rejected input is in the summary. */
    status = rc == CG_OK ? CG_EXIT_OK : cg_run_exit(rc, &err, NULL);
    cg_spool_close(sp);
    cg_transport_free(t);
    cg_log_set_before(NULL, NULL);
    return status;
}

const struct cg_cmd cg_cmd_watch = {
    "watch",
    "[--retry SECONDS] [--workers N] [--batch N]",
    "keep running: take files and receipts as they arrive (inotify)",
    "  --retry SECONDS  pass interval for the transport (default 60)\n"
    "  --workers N      threads that build, validate and sign (default: one per CPU)\n"
    "  --batch N        orders per unit of work (default 500)\n"
    "SIGTERM finishes the current unit of work and exits 0. A changed signing key or\n"
    "certificate file, or SIGHUP, loads the keys again before the next pass and declares\n"
    "again the payment receipts the port refused before storing them.\n",
    CG_CMD_NEEDS_CONF,
    exec_watch,
};
