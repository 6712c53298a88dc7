/* fuzz_pcap.c -- libFuzzer target: the input is a pcap or pcapng capture, named capture.pcap (vigil's own flow table, DNS and TLS decoders behind libpcap). */
#include "touch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_read_all("capture.pcap", data, size, 0);
    return 0;
}
