/* fuzz_zeek_tsv.c -- libFuzzer target: the input is a whole Zeek TSV log named conn.log,
 * read whole, then with a projection (the fields hunt reads: the list is
 * vigil__agg_fields in lib/agg_pairs.c; targets use the public API only),
 * then projected with a conn_early call taking some records. */
#include <stdlib.h>
#include "touch.h"

static const char *const hunt_fields[] = {
    "id.resp_p", "proto", "duration", "orig_bytes", "resp_bytes", "conn_state",
    "local_orig", "local_resp", "query", "qtype", "rcode", "answers",
    "server_name", "host", NULL,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A small line limit so the too-long-line path is reachable too. */
    uint64_t whole = fuzz_read_fields("conn.log", data, size, 8192, NULL);
    /* Reading fewer fields never loses a record: a line good whole is good
     * projected (a bad value outside the projection no longer skips it). */
    uint64_t projected = fuzz_read_fields("conn.log", data, size, 8192, hunt_fields);
    if (projected < whole) abort();
    /* A caller done with some conn records after their keys (hunt's
     * conn_early): those are not returned, the others exactly as in the
     * projected read; a taken record may be one the projected read skips
     * (the columns after its keys are not checked), never one fewer. */
    uint64_t taken = 0;
    uint64_t returned = fuzz_read_early("conn.log", data, size, 8192, hunt_fields, &taken);
    if (returned > projected || returned + taken < projected) abort();
    return 0;
}
