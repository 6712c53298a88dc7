/* detect_longconn.c -- placeholder, replaced by the real detector. */
#include "agg.h"

vigil_status vigil__detect_longconn(const vigil__pair_view *p, const vigil__detect_cfg *cfg, vigil_findings *out)
{
    (void)p; (void)cfg; (void)out;
    return VIGIL_OK;
}
