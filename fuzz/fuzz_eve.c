/* fuzz_eve.c -- libFuzzer target: the input is Suricata EVE JSON lines, named eve.json. */
#include "touch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_read_all("eve.json", data, size, 0);
    return 0;
}
