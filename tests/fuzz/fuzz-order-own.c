/*
 * fuzz-order-own.c - libFuzzer target: the own CSV order reader, UTF-8.
 *
 * Every order of the input is read, turned into JSON and hashed; rejections are expected,
 * crashes, leaks and sanitizer reports are not.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cg_fuzz_orders("own", "utf-8", data, size);
    return 0;
}
