/* fuzz_zeek_json.c -- libFuzzer target: the input is Zeek JSON lines, named conn.log. */
#include "touch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_read_all("conn.log", data, size, 0);
    return 0;
}
