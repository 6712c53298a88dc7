/* read_eve.c -- placeholder backend, replaced by the real reader. */
#include "internal.h"

static vigil_status init(vigil_reader *r) { (void)r; return VIGIL_EUNSUPPORTED; }
static vigil_status next(vigil_reader *r, const vigil_record **rec) { (void)r; *rec = NULL; return VIGIL_OK; }

const vigil__backend vigil__backend_eve = { VIGIL_FORMAT_UNKNOWN, init, next, NULL, NULL };
