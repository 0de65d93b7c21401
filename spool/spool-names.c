/*
 * spool-names.c - the rules for spool entry names: which entries are ignored (hidden, .part)
 * and which names are refused as input file names. Pure functions without I/O.
 */
#include "config.h"

#include <string.h>

#include "core/fsutil.h"
#include "spool/spool.h"

/* The longest name the spool takes in: CG_FS_NAME_MAX less what it may add, ".9999" when the
 * target folder has the name already, then ".reason" beside it. */
#define CG_SPOOL_NAME_MAX (CG_FS_NAME_MAX - 12)

bool cg_spool_name_ignored(const char *name)
{
    size_t n = strlen(name);

    if (n == 0)
        return true;
    /* "..x" is not a hidden temporary file but a path-like name: it is refused, not ignored. */
    if (name[0] == '.' && !(name[1] == '.' && name[2] != '\0'))
        return true;
    return n >= 5 && strcmp(name + n - 5, ".part") == 0;
}

const char *cg_spool_name_problem(const char *name)
{
    const char *p;

    if (name == NULL || name[0] == '\0')
        return "empty name";
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return "name is a directory reference";
    if (strlen(name) > CG_SPOOL_NAME_MAX)
        return "name longer than 188 bytes";
    for (p = name; *p != '\0'; p++) {
        if (p[0] == '.' && p[1] == '.' &&
            (p == name || p[-1] == '/' || p[-1] == '\\' || p[2] == '/' || p[2] == '\\' ||
             p[2] == '\0'))
            return "name contains a path part '..'";
    }
    for (p = name; *p != '\0'; p++) {
        if (*p == '/' || *p == '\\')
            return "name contains a path separator";
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return "name contains a control character";
    }
    if (!cg_fs_name_ok(name))
        return "name is not a plain file name";
    return NULL;
}
