/* detect_dns.c -- placeholder, replaced by the real detector. */
#include "agg.h"

vigil_status vigil__detect_dns(const vigil__dns_view *d, const vigil__detect_cfg *cfg, vigil_findings *out)
{
    (void)d; (void)cfg; (void)out;
    return VIGIL_OK;
}

vigil_status vigil__detect_dga(const vigil__nx_view *x, const vigil__detect_cfg *cfg, vigil_findings *out)
{
    (void)x; (void)cfg; (void)out;
    return VIGIL_OK;
}
