/* config.h -- the allow/ignore configuration of `vigil hunt` (docs/config.md). */
#ifndef VIGIL_CONFIG_H
#define VIGIL_CONFIG_H

#include <stddef.h>
#include <vigil/addr.h>
#include <vigil/alloc.h>
#include <vigil/error.h>
#include <vigil/finding.h>

/* A list of rules, one per line of a config file:
 *   allow cidr 203.0.113.0/24          findings whose dst is inside
 *   allow domain updates.example.com   findings whose name is it or below
 *   allow pair 10.1.2.3 198.51.100.7:443   one src -> dst[:port]
 *   ignore src 10.9.9.9                findings whose src is inside
 *   ignore dst 192.0.2.0/24            same as allow cidr
 *   ignore kind strobe                 every finding of a kind
 *   internal 147.32.0.0/16             an internal network (added to the
 *                                      hunt's; replaces the default ones)
 * Rules drop findings after detection; the aggregates (prevalence...) still
 * see every record.  Nothing is built in: no names, no addresses. */
typedef struct vigil_config vigil_config;

/* An empty configuration; `alloc` may be NULL.  Free with vigil_config_free. */
vigil_status vigil_config_new(vigil_config **out, const vigil_allocator *alloc);
void vigil_config_free(vigil_config *c); /* NULL is a no-op */

/* Adds the rules in text[0..len) (`name` stands for the file in errors).
 * On a bad line: VIGIL_EINVAL, and "name:line: what is wrong" in err
 * (errcap bytes, may be 0); rules of earlier lines are kept. */
vigil_status vigil_config_parse(vigil_config *c, const char *name, const char *text, size_t len,
                                char *err, size_t errcap);
/* Reads and parses the file at path; VIGIL_ENOENT when it cannot be read
 * ("path: reason" in err). */
vigil_status vigil_config_load(vigil_config *c, const char *path, char *err, size_t errcap);

/* 1 when some rule drops the finding, else 0. */
int vigil_config_drops(const vigil_config *c, const vigil_finding *f);
/* Number of rules (internal lines included). */
size_t vigil_config_rule_count(const vigil_config *c);
/* Adds the config's `internal` networks to set; returns how many (0: the
 * config names none), or -1 when memory runs out. */
long vigil_config_add_internal(const vigil_config *c, vigil_netset *set);

#endif
