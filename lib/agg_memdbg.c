/* TEMP memory accounting (to be removed) */
#include <stdio.h>
#include "agg_impl.h"
static size_t hsz(const vigil__hidx *h) { return h->mask ? (h->mask + 1) * 8 : 0; }
void vigil__agg_memdbg(const vigil__agg *a, const char *tag);
void vigil__agg_memdbg(const vigil__agg *a, const char *tag)
{
    size_t pts_used = 0, pts_cap = 0, dts_used = 0, dts_cap = 0, nxev = 0, nnonempty = 0;
    for (size_t i = 0; i < a->npairs; i++) { pts_used += a->pairs[i].n; pts_cap += a->pairs[i].cap; if (a->pairs[i].cap) nnonempty++; }
    for (size_t i = 0; i < a->ndns; i++) { dts_used += a->dns[i].nts; dts_cap += a->dns[i].cap; }
    for (size_t i = 0; i < a->nnx; i++) nxev += a->nx[i].cap;
    size_t strb = 0; for (vigil__strblock *b = a->names.blocks; b; b = b->next) strb += b->cap;
    fprintf(stderr, "MEM %s: addrs %zu (cap %zu, %zu MB + idx %zu MB) names %zu (%zu MB) pairs %zu (cap %zu: %zu MB + idx %zu MB, %zu arrays) "
        "pts %zu used, cap %zu (%zu MB) hints %zu (%zu MB + %zu) dns %zu (cap %zu: %zu MB + idx %zu) dts %zu cap %zu (%zu MB) qnames %zu (%zu MB + idx %zu MB) nxev %zu (%zu MB) answers %zu big %zu\n",
        tag, a->naddrs, a->addrs_cap, a->addrs_cap * sizeof *a->addrs >> 20, hsz(&a->addr_idx) >> 20,
        a->names.n, (strb + a->names.cap * 12 + hsz(&a->names.idx)) >> 20,
        a->npairs, a->pairs_cap, a->pairs_cap * sizeof *a->pairs >> 20, hsz(&a->pair_idx) >> 20, nnonempty,
        pts_used, pts_cap, pts_cap * 16 >> 20, a->nhints, a->hints_cap * sizeof *a->hints >> 20, hsz(&a->hint_idx) >> 20,
        a->ndns, a->dns_cap, a->dns_cap * sizeof *a->dns >> 20, hsz(&a->dns_idx) >> 20, dts_used, dts_cap, dts_cap * 8 >> 20,
        a->nqnames, a->qnames_cap * sizeof *a->qnames >> 20, hsz(&a->qname_idx) >> 20, nxev, nxev * sizeof(vigil__ag_nxev) >> 20, a->nanswers, a->nbig);
    FILE *f = fopen("/proc/self/status", "r"); char line[256];
    while (f && fgets(line, sizeof line, f)) if (!strncmp(line, "VmHWM", 5) || !strncmp(line, "VmRSS", 5)) fprintf(stderr, "   %s", line);
    if (f) fclose(f);
}
