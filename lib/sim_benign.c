/* sim_benign.c -- placeholder: replaced by the benign traffic model. */
#include "sim.h"

vigil_status vigil__sim_benign_plan(vigil__sim_world *w) { (void)w; return VIGIL_OK; }
void vigil__sim_benign_free(vigil__sim_world *w) { (void)w; }
vigil_status vigil__sim_benign_hour(const vigil__sim_world *w, vigil__sim_hour *h) { (void)w; (void)h; return VIGIL_OK; }
