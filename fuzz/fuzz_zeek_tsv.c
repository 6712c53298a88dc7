/* fuzz_zeek_tsv.c -- libFuzzer target: the input is a whole Zeek TSV log named conn.log. */
#include "touch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A small line limit so the too-long-line path is reachable too. */
    fuzz_read_all("conn.log", data, size, 8192);
    return 0;
}
