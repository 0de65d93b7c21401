/*
 * cmd-config.c - `cebgate config`: print the effective configuration, secrets masked, and check
 * that each seller's section can be used as `cebgate run` uses it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli/cmd.h"
#include "mapping/mapping.h"

struct check_ctx {
    const struct cg_conf *conf;
    struct cg_codes *codes;
    int bad;
};

/* Load seller name (its section over [seller]) and its mapping (profile, catalogue, codes) as a
 * run does; a failure is printed on standard error. */
static int check_seller(const char *name, void *vctx)
{
    struct check_ctx *c = vctx;
    struct cg_seller *s = NULL;
    struct cg_map_ctx *m = NULL;
    struct cg_err e;

    cg_err_clear(&e);
    if (cg_seller_load(c->conf, name, &s, &e) != CG_OK ||
        cg_map_ctx_new(c->conf, s, c->codes, &m, &e) != CG_OK) {
        if (name[0] != '\0')
            fprintf(stderr, "cebgate: seller %s: %s\n", name,
                    e.msg[0] ? e.msg : cg_strerror(e.code));
        else
            fprintf(stderr, "cebgate: %s\n", e.msg[0] ? e.msg : cg_strerror(e.code));
        c->bad++;
    }
    cg_map_ctx_free(m);
    cg_seller_free(s);
    return 0;
}

static int count_named(const char *name, void *vctx)
{
    (void)name;
    (*(int *)vctx)++;
    return 0;
}

static int exec_config(struct cg_cli *cli, int argc, char **argv)
{
    struct check_ctx c = {cli->conf, NULL, 0};
    char *data_dir;
    struct cg_err e;
    int named = 0;

    if (argc > 1)
        return cg_cmd_usage_error(&cg_cmd_config, "no arguments expected");
    cg_conf_dump(cli->conf, stdout);
    fflush(stdout);
    cg_err_clear(&e);
    data_dir = cg_conf_data_dir(cli->conf);
    if (data_dir == NULL || cg_codes_load(data_dir, &c.codes, &e) != CG_OK) {
        fprintf(stderr, "cebgate: %s\n", e.msg[0] ? e.msg : "out of memory");
        free(data_dir);
        return CG_EXIT_USAGE;
    }
    free(data_dir);
    /* Each seller's section; [seller] alone when there is none (it then reads incoming/); none
     * in a file without sellers (a port's). */
    cg_conf_each_named(cli->conf, "seller", count_named, &named);
    if (named > 0)
        cg_conf_each_named(cli->conf, "seller", check_seller, &c);
    else if (cg_conf_has_section(cli->conf, "seller"))
        check_seller("", &c);
    cg_codes_free(c.codes);
    return c.bad > 0 ? CG_EXIT_USAGE : CG_EXIT_OK;
}

const struct cg_cmd cg_cmd_config = {
    "config",          "",          "print the effective configuration (secrets masked)", NULL,
    CG_CMD_NEEDS_CONF, exec_config,
};
