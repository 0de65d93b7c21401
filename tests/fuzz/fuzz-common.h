/*
 * fuzz-common.h - set-up shared by the libFuzzer targets in tests/fuzz/.
 *
 * Each target calls cg_fuzz_init() once: the libraries are started, logging is silenced and a
 * scratch directory is made (removed at exit). Files a target writes there are owned by the
 * target; nothing outside the scratch directory is written.
 */
#ifndef CG_FUZZ_COMMON_H
#define CG_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "core/conf.h"

/* Start the libraries and the scratch directory; aborts when that is impossible. */
void cg_fuzz_init(void);
/* The scratch directory (absolute). */
const char *cg_fuzz_dir(void);
/* Write data to NAME in the scratch directory; returns the path (static, overwritten). */
const char *cg_fuzz_write(const char *name, const uint8_t *data, size_t size);
/* A configuration with defaults, rooted in the scratch directory; aborts on failure. */
struct cg_conf *cg_fuzz_conf(void);
/* Path of a file under tests/data (static, overwritten). */
const char *cg_fuzz_testdata(const char *rel);
/* A seller from a default configuration with the [seller] keys of kv (NULL-terminated key,
 * value pairs; [mapping] encoding when the key is "encoding"), and the code tables. */
struct cg_seller;
struct cg_codes;
void cg_fuzz_seller(const char *const *kv, struct cg_conf **conf, struct cg_seller **seller,
                    struct cg_codes **codes);
/* Read every order of data with the given profile and encoding, as `cebgate map` would. */
void cg_fuzz_orders(const char *profile, const char *encoding, const uint8_t *data, size_t size);

/* The problems of an import (settle/, refund/): a problem callback that aborts on an empty text
 * and counts the others in cg_fuzz_problems, which cg_fuzz_import_check() reads and resets. */
extern long cg_fuzz_problems;
void cg_fuzz_problem(void *ctx, const char *text);
/* Abort when an import broke what its result promises: accepted (rc CG_OK) with a problem
 * (counted, or in reported, its result's count), or refused without a problem or a message. */
void cg_fuzz_import_check(int rc, long reported, const char *msg);
/* data with a line end added: the same content, another file by its SHA-256 (malloc'd). */
uint8_t *cg_fuzz_with_line_end(const uint8_t *data, size_t size);

#endif
