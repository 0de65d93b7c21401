/*
 * main.c - the cebgate program: global options, configuration, library set-up, dispatch.
 *
 * Global options come before the verb: -c/--config FILE (else $CEBGATE_CONF, else
 * ./cebgate.conf when present, else built-in defaults), -v (more logging, repeatable),
 * -q (errors only). `--help` after any verb prints that verb's usage. Only this file and the
 * cmd-*.c files decide exit codes.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "core/conf.h"
#include "core/err.h"
#include "core/init.h"
#include "core/log.h"
#include "declare/declare.h"
#include "mapping/mapping.h"
#include "port/port.h"
#include "refund/refund.h"
#include "report/report.h"
#include "settle/settle.h"
#include "spool/spool.h"
#include "store/store.h"

static void usage(FILE *fp)
{
    size_t i;

    fputs("usage: cebgate [-v] [-q] [-c FILE] COMMAND [ARGS]\n"
          "cross-border e-commerce export declarations for China Customs (CEB messages)\n\n"
          "commands:\n",
          fp);
    for (i = 0; cg_cmds[i] != NULL; i++)
        fprintf(fp, "  %-10s %s\n", cg_cmds[i]->name, cg_cmds[i]->summary);
    fputs("\n'cebgate help COMMAND' or 'cebgate COMMAND --help' tells more.\n", fp);
}

/*
 * Every module's configuration keys, in the order `cebgate config` and the template show them
 * ([general] is core's and always first).
 */
static int register_keys(struct cg_err *err)
{
    const struct cg_conf_key *const tables[] = {
        cg_mapping_conf_keys, /* [seller], [mapping] */
        cg_declare_conf_keys, /* [declare] */
        cg_spool_conf_keys,   /* [transport], [spool] */
        cg_port_conf_keys,    /* [port] */
        cg_settle_conf_keys,  /* [settle] */
        cg_refund_conf_keys,  /* [refund] */
        cg_report_conf_keys,  /* [report] */
    };
    size_t i;

    for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        if (cg_conf_register(tables[i]) != CG_OK)
            return CG_ERR_SET(err, CG_ENOMEM, "too many configuration key tables");
    }
    return CG_OK;
}

static int load_conf(struct cg_cli *cli, struct cg_err *err)
{
    const char *path = cli->conf_path;
    enum cg_log_level lvl;

    if (path == NULL)
        path = getenv("CEBGATE_CONF");
    if (path == NULL && access("cebgate.conf", F_OK) == 0)
        path = "cebgate.conf";
    if (path == NULL)
        return cg_conf_new_defaults(NULL, &cli->conf, err);
    if (cg_conf_load(path, &cli->conf, err) != CG_OK)
        return err->code;
    cli->conf_path = path;
    /* The file's log level applies unless -v/-q or CEBGATE_LOG said otherwise. */
    if (cli->verbose == 0 && !cli->quiet && getenv("CEBGATE_LOG") == NULL &&
        cg_log_parse_level(cg_conf_get(cli->conf, "general", "log_level"), &lvl) == CG_OK)
        cg_log_set_level(lvl);
    return CG_OK;
}

int main(int argc, char **argv)
{
    static char version_verb[] = "version";
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0},
    };
    struct cg_cli cli;
    struct cg_err err;
    const struct cg_cmd *cmd;
    int ambiguous = 0;
    int status = CG_EXIT_OK;
    int first;
    int c;
    int i;

    memset(&cli, 0, sizeof(cli));
    cg_err_clear(&err);
    cg_log_from_env();
    /* '+' stops at the verb so its own options are left for it. */
    while ((c = getopt_long(argc, argv, "+c:vqhV", opts, NULL)) != -1) {
        switch (c) {
        case 'c': cli.conf_path = optarg; break;
        case 'v': cli.verbose++; break;
        case 'q': cli.quiet = 1; break;
        case 'h': usage(stdout); return CG_EXIT_OK;
        case 'V':
            argv[optind - 1] = version_verb;
            optind--;
            goto dispatch;
        default: usage(stderr); return CG_EXIT_USAGE;
        }
    }
dispatch:
    if (cli.quiet)
        cg_log_set_level(CG_LOG_ERROR);
    else if (cli.verbose > 0)
        cg_log_set_level(cli.verbose >= 2 ? CG_LOG_DEBUG : CG_LOG_INFO);
    if (optind >= argc) {
        usage(stderr);
        return CG_EXIT_USAGE;
    }
    cmd = cg_cmd_find(argv[optind], &ambiguous);
    if (cmd == NULL) {
        fprintf(stderr, "cebgate: %s command '%s'; 'cebgate help' lists them\n",
                ambiguous ? "ambiguous" : "unknown", argv[optind]);
        return CG_EXIT_USAGE;
    }
    for (i = optind + 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--help") == 0) {
            cg_cmd_usage(cmd, stdout);
            return CG_EXIT_OK;
        }
    }
    cg_store_lib_init();
    if (register_keys(&err) != CG_OK || cg_lib_init(&err) != CG_OK) {
        status = cg_cmd_fail(&err);
        goto done;
    }
    if ((cmd->flags & CG_CMD_NEEDS_CONF) && load_conf(&cli, &err) != CG_OK) {
        status = cg_cmd_fail(&err);
        goto done;
    }
    /* Commands parse their own options with getopt from argv[0] = verb; reset it for them. */
    first = optind;
    optind = 0;
    cli.db_existing = (cmd->flags & (CG_CMD_READS_DB | CG_CMD_ACTS_ON_DB)) != 0;
    status = cmd->exec(&cli, argc - first, argv + first);
done:
    cg_conf_free(cli.conf);
    cg_lib_cleanup();
    return status;
}
