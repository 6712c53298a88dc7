/* fuzz_zeek_header.c -- libFuzzer target: fuzzed Zeek header lines followed by one fixed valid conn line. */
#include "touch.h"

/* A conn line that a default Zeek conn.log header (#fields ts uid id.orig_h
 * ... tunnel_parents) accepts, so the header parser's result is used. */
static const char data_line[] =
    "1515400000.123456\tCk3Fqz2u6cBjcmTHa\t10.10.3.7\t49152\t185.10.2.33\t443\t"
    "tcp\tssl\t0.250000\t517\t4420\tSF\tT\tF\t0\tShADadFf\t9\t889\t8\t4752\t(empty)\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t line_len = sizeof data_line - 1;
    int need_nl = size > 0 && data[size - 1] != '\n';
    size_t total = size + (size_t)need_nl + line_len;
    /* An exact-size heap copy, so reads past the end are caught. */
    uint8_t *buf = malloc(total);
    if (!buf) return 0;
    if (size) memcpy(buf, data, size);
    if (need_nl) buf[size] = '\n';
    memcpy(buf + size + need_nl, data_line, line_len);
    fuzz_read_all("conn.log", buf, total, 0);
    free(buf);
    return 0;
}
