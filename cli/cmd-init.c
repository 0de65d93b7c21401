/*
 * cmd-init.c - `cebgate init DIR`: create a working directory.
 *
 * Creates DIR with cebgate.conf (every key commented at its default; an existing file is kept),
 * the spool folders and the database at the newest schema. Running it again is harmless.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "core/fsutil.h"
#include "store/store.h"

static const char *const spool_dirs[] = {
    "incoming", "active", "done", "failed", "outbox", "inbox", "archive", NULL,
};

static int exec_init(struct cg_cli *cli, int argc, char **argv)
{
    struct cg_err err;
    struct cg_store *db = NULL;
    char *path = NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *mem = NULL;
    int status = CG_EXIT_ERROR;
    size_t i;

    cg_err_clear(&err);
    if (argc != 2)
        return cg_cmd_usage_error(&cg_cmd_init, "DIR expected");
    if (cg_fs_mkdir_p(argv[1], 0755, &err) != CG_OK)
        goto fail;
    for (i = 0; spool_dirs[i] != NULL; i++) {
        free(path);
        path = cg_fs_join(argv[1], spool_dirs[i]);
        if (path == NULL || cg_fs_mkdir_p(path, 0750, &err) != CG_OK)
            goto fail;
    }
    free(path);
    path = cg_fs_join(argv[1], "cebgate.conf");
    if (path == NULL)
        goto fail;
    if (access(path, F_OK) != 0) {
        mem = open_memstream(&text, &len);
        if (mem == NULL)
            goto fail;
        cg_conf_write_template(mem);
        fclose(mem);
        mem = NULL;
        if (cg_fs_write_atomic(argv[1], "cebgate.conf", text, len, &err) != CG_OK)
            goto fail;
        printf("wrote %s\n", path);
    } else {
        printf("kept existing %s\n", path);
    }
    free(path);
    path = cg_fs_join(argv[1], "cebgate.db");
    if (path == NULL || cg_store_open(path, &db, &err) != CG_OK)
        goto fail;
    printf("database %s ready\nspool folders ready in %s\n", path, argv[1]);
    status = CG_EXIT_OK;
    goto done;
fail:
    if (err.msg[0] != '\0')
        status = cg_cmd_fail(&err);
    else
        fprintf(stderr, "cebgate: init %s: %s\n", argv[1], strerror(errno));
done:
    cg_store_close(db);
    free(text);
    free(path);
    return status;
}

const struct cg_cmd cg_cmd_init = {
    "init", "DIR", "create a working directory: configuration, spool folders, database",
    NULL,   0,     exec_init,
};
