/*
 * cmd-sign.c - `cebgate sign [--seller NAME] [--replace] [-o OUT] FILE`: sign one XML message
 * with the configured signer ([declare] signer and key settings, or the key of [seller.NAME]).
 *
 * The file is read with the safe parser's rules and signed in memory (cg_sign_xml: the usual
 * message with a local key from its bytes, with its ds:Signature inserted before the root's end
 * tag and every other byte kept; anything else through a tree), then written to OUT
 * atomically (or to standard output). A file that is already signed is refused unless --replace is
 * given, which removes the old ds:Signature first. Exit 0 signed, 1 failed, 2 usage or
 * configuration, 75 remote signer temporarily unavailable.
 */
#include "config.h"

#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "core/buf.h"
#include "core/fsutil.h"
#include "declare/declare.h"

static int write_out(const char *out, const char *xml, size_t len, struct cg_err *err)
{
    char *d = NULL, *b = NULL;
    int rc;

    d = strdup(out);
    b = strdup(out);
    if (d == NULL || b == NULL) {
        free(d);
        free(b);
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    rc = cg_fs_write_atomic(dirname(d), basename(b), xml, len, err);
    free(d);
    free(b);
    return rc;
}

static int exec_sign(struct cg_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"seller", required_argument, NULL, 's'},
        {"replace", no_argument, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    struct cg_err err;
    struct cg_signer *signer = NULL;
    struct cg_buf in;
    const char *out = NULL, *seller = NULL;
    char *xml = NULL;
    size_t len = 0;
    int replace = 0;
    int status = CG_EXIT_ERROR;
    int c, n;

    cg_err_clear(&err);
    cg_buf_init(&in, CG_XML_MAX);
    while ((c = getopt_long(argc, argv, "o:s:r", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 's': seller = optarg; break;
        case 'r': replace = 1; break;
        default: return cg_cmd_usage_error(&cg_cmd_sign, "unknown option");
        }
    }
    if (optind != argc - 1)
        return cg_cmd_usage_error(&cg_cmd_sign, "one FILE expected");
    if (cg_fs_read(argv[optind], CG_XML_MAX, &in, &err) != CG_OK)
        goto fail;
    if (cg_signer_new_conf(cli->conf, seller, &signer, &err) != CG_OK)
        goto fail;
    if (cg_sign_xml(signer, cg_buf_str(&in), in.len, argv[optind], replace, &xml, &len, &n, &err) !=
        CG_OK) {
        if (err.code == CG_EEXIST)
            cg_err_prefix(&err, "%s (use --replace to sign it again)", argv[optind]);
        else if (err.code != CG_EPARSE)
            cg_err_prefix(&err, "%s", argv[optind]);
        goto fail;
    }
    if (n > 0 && !cli->quiet)
        fprintf(stderr, "cebgate: %s: removed %d old signature%s\n", argv[optind], n,
                n > 1 ? "s" : "");
    if (out != NULL) {
        if (write_out(out, xml, len, &err) != CG_OK)
            goto fail;
    } else if (fwrite(xml, 1, len, stdout) != len || fflush(stdout) != 0) {
        fprintf(stderr, "cebgate: sign: cannot write to standard output\n");
        goto done;
    }
    status = CG_EXIT_OK;
    goto done;
fail:
    status = cg_cmd_fail(&err);
done:
    free(xml);
    cg_buf_free(&in);
    cg_signer_free(signer);
    return status;
}

const struct cg_cmd cg_cmd_sign = {
    "sign",
    "[--seller NAME] [--replace] [-o OUT] FILE",
    "sign an XML message (enveloped XML-DSig) with the configured key or signer",
    "  -o, --output OUT   write the signed message to OUT (atomically) instead of stdout\n"
    "  -s, --seller NAME  use the key of [seller.NAME] instead of [declare] key_file\n"
    "  -r, --replace      remove an existing ds:Signature and sign again\n"
    "The passphrase comes from key_pass_file or key_pass_env, never from the command line.\n",
    CG_CMD_NEEDS_CONF,
    exec_sign,
};
