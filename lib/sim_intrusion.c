/* sim_intrusion.c -- placeholder: replaced by the intrusion model. */
#include "sim.h"

vigil_status vigil__sim_intrusion_plan(vigil__sim_world *w) { (void)w; return VIGIL_OK; }
void vigil__sim_intrusion_free(vigil__sim_world *w) { (void)w; }
vigil_status vigil__sim_intrusion_hour(const vigil__sim_world *w, vigil__sim_hour *h) { (void)w; (void)h; return VIGIL_OK; }
size_t vigil__sim_truth_count(const vigil__sim_world *w) { (void)w; return 0; }
vigil_status vigil__sim_truth_write(const vigil__sim_world *w, const char *dir, const uint64_t *c, size_t n)
{ (void)w; (void)dir; (void)c; (void)n; return VIGIL_OK; }
