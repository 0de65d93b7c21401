/*
 * fuzz-order-amazon.c - libFuzzer target: the Amazon order report profile.
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
    cg_fuzz_orders("amazon", "auto", data, size);
    return 0;
}
