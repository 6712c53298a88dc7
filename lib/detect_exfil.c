/* detect_exfil.c -- placeholder, replaced by the real detector. */
#include "agg.h"

vigil_status vigil__detect_exfil(const vigil__host_view *h, const vigil__peer_view *peers,
                                 const vigil__detect_cfg *cfg, vigil_findings *out)
{
    (void)h; (void)peers; (void)cfg; (void)out;
    return VIGIL_OK;
}
