/* isal_gzip.c -- baseline for bench_sim.sh: gzip stdin to stdout with ISA-L
 * at level 1 in 1 MiB blocks, the compressor and settings sim_writer.c
 * uses, so the simulator's rate can be read as a ratio to compression
 * alone on the same bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <isa-l/igzip_lib.h>

int main(void)
{
    enum { BLOCK = 1 << 20 };
    static unsigned char in[BLOCK], out[BLOCK + 65536];
    unsigned char *level_buf = malloc(ISAL_DEF_LVL1_DEFAULT);
    if (!level_buf) return 1;
    struct isal_zstream zs;
    isal_deflate_init(&zs);
    zs.level = 1;
    zs.level_buf = level_buf;
    zs.level_buf_size = ISAL_DEF_LVL1_DEFAULT;
    zs.gzip_flag = IGZIP_GZIP;
    for (;;) {
        size_t n = fread(in, 1, BLOCK, stdin);
        zs.next_in = in;
        zs.avail_in = (uint32_t)n;
        zs.end_of_stream = n < BLOCK;
        zs.flush = NO_FLUSH;
        do {
            zs.next_out = out;
            zs.avail_out = sizeof out;
            if (isal_deflate(&zs) != COMP_OK) return 1;
            size_t got = sizeof out - zs.avail_out;
            if (got && fwrite(out, 1, got, stdout) != got) return 1;
        } while (zs.avail_in || (zs.end_of_stream && zs.internal_state.state != ZSTATE_END));
        if (n < BLOCK) break;
    }
    free(level_buf);
    return ferror(stdin) || fflush(stdout) ? 1 : 0;
}
