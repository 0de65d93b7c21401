/*
 * cmd-port.c - `cebgate port`: run the receiving side in the foreground, or report on its
 * database (--stats, --documents).
 *
 * The server prints "listening on URL" once it is bound (with port = 0 the kernel's choice),
 * optionally writes the port number and the process id into files for scripts, and stops
 * cleanly on SIGTERM or SIGINT (no new connection, the requests in flight are answered for
 * drain_timeout seconds at most or until a second signal, the database is closed, the pid
 * and port files it wrote removed). SIGHUP is logged and changes nothing: the configuration is
 * read at start. Before anything else it takes the database's lock (cg_port_lock_take): one
 * port per database. Exit codes: 0 clean stop, 1 runtime error, 2 configuration or usage
 * error, 75 temporary (another port holds the database, I/O).
 */
#include "config.h"

#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "core/fsutil.h"
#include "port/port.h"

/* SIGTERM and SIGINT: 1 at the first (a graceful stop), 2 at the next (stop at once). */
static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    if (stop_flag < 2)
        stop_flag++;
}

/* SIGHUP: the port logs that it reloads nothing, and goes on. */
static volatile sig_atomic_t hup_flag;

static void on_hup(int sig)
{
    (void)sig;
    hup_flag = 1;
}

/* Write text into path atomically (temporary file in the same folder, then rename). */
static int write_small(const char *path, const char *text, struct cg_err *err)
{
    char *d = cg_strdup(path);
    char *b = cg_strdup(path);
    int rc;

    if (d == NULL || b == NULL) {
        free(d);
        free(b);
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    rc = cg_fs_write_atomic(dirname(d), basename(b), text, strlen(text), err);
    free(d);
    free(b);
    return rc;
}

/* The folder an option's file goes into must exist: checked before anything starts, so the
 * port does not listen only to stop again. Returns an exit code, or -1 to go on. */
static int out_folder_ok(const char *opt, const char *path)
{
    char *d = cg_strdup(path);
    struct stat st;
    int status = -1;

    if (d == NULL) {
        fprintf(stderr, "cebgate: out of memory\n");
        return CG_EXIT_TEMPFAIL;
    }
    if (stat(dirname(d), &st) != 0 || !S_ISDIR(st.st_mode))
        status =
            cg_cmd_usage_error(&cg_cmd_port, "%s %s: the folder %s does not exist", opt, path, d);
    free(d);
    return status;
}

static int show_stats(const char *db)
{
    struct cg_port_stats st;
    struct cg_err err;
    size_t i;

    cg_err_clear(&err);
    if (cg_port_stats_read(db, &st, &err) != CG_OK)
        return cg_cmd_fail(&err);
    printf("database          %s\n"
           "received          %ld\n"
           "accepted          %ld\n"
           "accepted again    %ld\n"
           "rejected          %ld\n",
           db, st.received, st.accepted, st.accepted_again, st.rejected);
    for (i = 0; i < st.ncodes; i++)
        printf("  code %s        %ld\n", st.by_code[i].code, st.by_code[i].n);
    printf("documents         %ld\n"
           "documents final   %ld\n"
           "receipts          %ld\n"
           "receipts pending  %ld\n",
           st.documents, st.documents_final, st.receipts, st.receipts_pending);
    /* A failed login is counted in memory only: writing each one to the database would let
     * anybody without a token make the port write to its disk at every request. */
    printf("failed logins     not stored: counted since the port started, in GET /metrics "
           "(cebgate_port_logins_refused_total)\n");
    return CG_EXIT_OK;
}

static int exec_port(struct cg_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"stats", no_argument, NULL, 's'},
        {"documents", no_argument, NULL, 'd'},
        {"port-file", required_argument, NULL, 'P'},
        {"pid-file", required_argument, NULL, 'p'},
        {NULL, 0, NULL, 0},
    };
    struct cg_port *port = NULL;
    struct cg_port_lock *lock = NULL;
    struct cg_err err;
    struct sigaction sa;
    const char *port_file = NULL;
    const char *pid_file = NULL;
    char *db = NULL;
    char num[32];
    bool pid_written = false;
    bool port_written = false;
    int stats = 0;
    int documents = 0;
    int status = CG_EXIT_ERROR;
    int c;

    cg_err_clear(&err);
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's': stats = 1; break;
        case 'd': documents = 1; break;
        case 'P': port_file = optarg; break;
        case 'p': pid_file = optarg; break;
        default: return cg_cmd_usage_error(&cg_cmd_port, "unknown option");
        }
    }
    if (optind != argc)
        return cg_cmd_usage_error(&cg_cmd_port, "no arguments expected");
    if (stats || documents) {
        db = cg_conf_get_path(cli->conf, "port", "database");
        if (db == NULL)
            return cg_cmd_usage_error(&cg_cmd_port, "[port] database is not set");
        if (stats)
            status = show_stats(db);
        else if (cg_port_dump_documents(db, stdout, &err) != CG_OK)
            status = cg_cmd_fail(&err);
        else
            status = CG_EXIT_OK;
        free(db);
        return status;
    }
    if (pid_file != NULL && (status = out_folder_ok("--pid-file", pid_file)) >= 0)
        return status;
    if (port_file != NULL && (status = out_folder_ok("--port-file", port_file)) >= 0)
        return status;
    status = CG_EXIT_ERROR;
    db = cg_conf_get_path(cli->conf, "port", "database");
    if (db == NULL) {
        status = cg_cmd_usage_error(&cg_cmd_port, "[port] database is not set");
        goto done;
    }
    /* the lock first: a second port neither opens the database nor listens */
    if (cg_port_lock_take(db, &lock, &err) != CG_OK) {
        cg_port_err_at(cli->conf, "port", "database", &err);
        status = cg_cmd_fail(&err);
        goto done;
    }
    if (cg_port_new(cli->conf, &port, &err) != CG_OK || cg_port_listen(port, &err) != CG_OK) {
        status = cg_cmd_fail(&err);
        goto done;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGTERM); /* one handler at a time counts the signals */
    sigaddset(&sa.sa_mask, SIGINT);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_hup; /* its default action would end the port without a clean stop */
    sa.sa_flags = SA_RESTART;
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_flags = 0;
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    /* The pid file and the "listening" line come first: the port file is the signal that the
     * port is ready, so whoever waits for it finds the other two already there. */
    snprintf(num, sizeof(num), "%ld\n", (long)getpid());
    if (pid_file != NULL && write_small(pid_file, num, &err) != CG_OK) {
        cg_err_prefix(&err, "--pid-file %s", pid_file);
        status = cg_cmd_fail(&err);
        goto done;
    }
    pid_written = pid_file != NULL;
    if (!cli->quiet) {
        const char *host = cg_conf_get(cli->conf, "port", "listen");
        bool v6 = strchr(host, ':') != NULL;

        printf("cebgate port: listening on %s://%s%s%s:%u/ (POST /messages, GET /receipts)\n",
               cg_port_tls(port) ? "https" : "http", v6 ? "[" : "", host, v6 ? "]" : "",
               cg_port_bound_port(port));
    }
    fflush(stdout);
    snprintf(num, sizeof(num), "%u\n", cg_port_bound_port(port));
    if (port_file != NULL && write_small(port_file, num, &err) != CG_OK) {
        cg_err_prefix(&err, "--port-file %s", port_file);
        status = cg_cmd_fail(&err);
        goto done;
    }
    port_written = port_file != NULL;
    if (cg_port_run(port, &stop_flag, &hup_flag, &err) != CG_OK) {
        status = cg_cmd_fail(&err);
        goto done;
    }
    if (!cli->quiet)
        printf("cebgate port: stopped\n");
    status = CG_EXIT_OK;
done:
    /* only the files this process wrote: another port's are not ours to remove */
    if (port_written)
        unlink(port_file);
    if (pid_written)
        unlink(pid_file);
    cg_port_free(port);
    cg_port_lock_release(lock);
    free(db);
    return status;
}

const struct cg_cmd cg_cmd_port = {
    "port",
    "[--stats | --documents] [--port-file FILE] [--pid-file FILE]",
    "run the receiving side (electronic port): verify, validate, answer with receipts",
    "  --stats           print the counts kept in the port database and exit\n"
    "  --documents       print every accepted document (type, guid, key, preNo, invtNo,\n"
    "                    status, final) tab-separated and exit\n"
    "  --port-file FILE  write the bound TCP port into FILE once the port is ready (last,\n"
    "                    after the pid file; useful with port = 0)\n"
    "  --pid-file FILE   write the process id into FILE; removed on a clean stop, as the port\n"
    "                    file is\n"
    "Configured by [port] (see cebgate config); SIGTERM or SIGINT stop it once the requests\n"
    "in flight are answered (drain_timeout), a second one at once; SIGHUP is logged and\n"
    "ignored (the configuration is read at start: restart the port to apply a change).\n",
    CG_CMD_NEEDS_CONF,
    exec_port,
};
