/* util_json.c -- placeholder, replaced by the real scanner. */
#include "internal.h"

int vigil__json_each(char *s, size_t n, int flatten, vigil__json_fn fn, void *user)
{
    (void)s; (void)n; (void)flatten; (void)fn; (void)user;
    return -1;
}

long vigil__json_join_array(char *p, size_t n, char sep) { (void)p; (void)n; (void)sep; return -1; }
