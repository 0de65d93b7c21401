/*
 * remote-signer-server.c - the test remote signer as a program, for the end-to-end tests and
 * the benchmark: serves the protocol of docs/remote-signer.md on 127.0.0.1 (a free port,
 * written to PORT-FILE once listening) until SIGTERM or SIGINT.
 *
 *   remote-signer-server --key K --cert C --port-file F [--key-name N] [--tls-cert C
 *                        --tls-key K] [--sm2-der]
 * --sm2-der answers sm2-sm3 requests with the DER signature instead of r||s (for the tests of
 * the client's refusal).
 * The bearer token, when wanted, comes from the environment (REMOTE_SIGNER_TOKEN).
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/init.h"
#include "tests/unit/remote-signer.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    stop = sig;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"key", required_argument, NULL, 'k'},       {"cert", required_argument, NULL, 'c'},
        {"port-file", required_argument, NULL, 'p'}, {"key-name", required_argument, NULL, 'n'},
        {"tls-cert", required_argument, NULL, 'T'},  {"tls-key", required_argument, NULL, 'K'},
        {"sm2-der", no_argument, NULL, 'D'},         {NULL, 0, NULL, 0},
    };
    struct rs_opts o;
    struct rs_server *s;
    struct sigaction sa;
    const char *port_file = NULL;
    char tmp[4096];
    unsigned port = 0;
    FILE *fp;
    int c;

    memset(&o, 0, sizeof(o));
    o.log_errors = 1;
    while ((c = getopt_long(argc, argv, "k:c:p:n:T:K:D", opts, NULL)) != -1) {
        switch (c) {
        case 'k': o.key_file = optarg; break;
        case 'c': o.cert_file = optarg; break;
        case 'p': port_file = optarg; break;
        case 'n': o.key_name = optarg; break;
        case 'T': o.tls_cert = optarg; break;
        case 'K': o.tls_key = optarg; break;
        case 'D': o.sm2_der = 1; break;
        default: return 2;
        }
    }
    if (o.key_file == NULL || o.cert_file == NULL || port_file == NULL) {
        fputs("usage: remote-signer-server --key K --cert C --port-file F [--key-name N] "
              "[--tls-cert C --tls-key K] [--sm2-der]\n",
              stderr);
        return 2;
    }
    o.token = getenv("REMOTE_SIGNER_TOKEN");
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    if (cg_lib_init(NULL) != 0)
        return 1;
    s = rs_start(&o, &port);
    if (s == NULL) {
        fputs("remote-signer-server: cannot start\n", stderr);
        cg_lib_cleanup();
        return 1;
    }
    /* Write the port atomically so a waiting test never reads half a number. */
    snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
    fp = fopen(tmp, "w");
    if (fp == NULL || fprintf(fp, "%u\n", port) < 0 || fclose(fp) != 0 ||
        rename(tmp, port_file) != 0) {
        rs_stop(s);
        cg_lib_cleanup();
        return 1;
    }
    while (!stop)
        sleep(1); /* a signal cuts the sleep short */
    rs_stop(s);
    cg_lib_cleanup();
    return 0;
}
