/* eval_match.c -- scores `vigil hunt --format jsonl` output against a
 * simulated world's truth.json: per kind recall/precision, each planted
 * event's rank and score, and the benign findings that rank highest.
 *
 * usage: eval_match TRUTH.json FINDINGS.jsonl
 *
 * A finding matches a planted event when its source is the event's source
 * address and its destination is one of the event's addresses or names
 * (for dns findings: the event's domain), and its kind is the event's
 * expected kind or one of its "also" kinds.  Ranks count every finding,
 * all kinds together, in the order hunt printed them (score order). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define MAX_EVENTS 256
#define MAX_LIST 16

/* One planted event with an expected finding. */
typedef struct event {
    int id;                        /* truth id */
    char kind[32];                 /* truth kind ("beacon", "exfil"...) */
    char profile[32];              /* beacon profile, if any */
    char expect[32];               /* finding kind a detector should report */
    char also[4][64];              /* other acceptable kinds */
    int nalso;
    char src[64];                  /* source address */
    char dst[MAX_LIST][64];        /* destination addresses */
    int ndst;
    char names[MAX_LIST][128];     /* destination names */
    int nnames;
    char upstream[MAX_LIST][64];   /* addresses relays talk to for it */
    int nup;
    int best_rank;                 /* rank of the best matching finding, 0 none */
    double best_score;             /* its score */
    char best_kind[32];            /* its kind */
} event;

/* One finding line. */
typedef struct finding {
    char kind[32], src[64], dst[64], name[256];
    double score;
    int matched;                   /* matches some planted event */
    int related;                   /* another host's view of planted C2
                                      infrastructure (e.g. the resolver
                                      relaying DNS C2): neither a hit nor a
                                      false positive */
} finding;

static void copy(char *dst, size_t cap, const char *p, size_t n)
{
    if (n >= cap) n = cap - 1;
    memcpy(dst, p, n);
    dst[n] = 0;
}

static int key_is(const char *k, size_t kl, const char *lit)
{
    return kl == strlen(lit) && memcmp(k, lit, kl) == 0;
}

/* Array element collectors. */
typedef struct list_ctx {
    char (*items)[64];
    char (*items_long)[128];
    int *n;
    int cap;
} list_ctx;

static int list_item(void *user, const char *k, size_t kl, vigil__json_val *v)
{
    (void)k;
    (void)kl;
    list_ctx *c = user;
    if (v->kind != VIGIL__JSON_STRING || *c->n >= c->cap) return 0;
    if (c->items) copy(c->items[*c->n], 64, v->p, v->n);
    else copy(c->items_long[*c->n], 128, v->p, v->n);
    (*c->n)++;
    return 0;
}

static int event_member(void *user, const char *k, size_t kl, vigil__json_val *v)
{
    event *e = user;
    if (key_is(k, kl, "id") && v->kind == VIGIL__JSON_NUMBER) e->id = atoi(v->p);
    else if (key_is(k, kl, "kind") && v->kind == VIGIL__JSON_STRING) copy(e->kind, sizeof e->kind, v->p, v->n);
    else if (key_is(k, kl, "profile") && v->kind == VIGIL__JSON_STRING) copy(e->profile, sizeof e->profile, v->p, v->n);
    else if (key_is(k, kl, "expect") && v->kind == VIGIL__JSON_STRING) copy(e->expect, sizeof e->expect, v->p, v->n);
    else if (key_is(k, kl, "src") && v->kind == VIGIL__JSON_STRING) copy(e->src, sizeof e->src, v->p, v->n);
    else if (key_is(k, kl, "also") && v->kind == VIGIL__JSON_ARRAY) {
        list_ctx c = { e->also, NULL, &e->nalso, 4 };
        vigil__json_array_each(v->p, v->n, list_item, &c);
    } else if (key_is(k, kl, "dst") && v->kind == VIGIL__JSON_ARRAY) {
        list_ctx c = { e->dst, NULL, &e->ndst, MAX_LIST };
        vigil__json_array_each(v->p, v->n, list_item, &c);
    } else if (key_is(k, kl, "upstream") && v->kind == VIGIL__JSON_ARRAY) {
        list_ctx c = { e->upstream, NULL, &e->nup, MAX_LIST };
        vigil__json_array_each(v->p, v->n, list_item, &c);
    } else if (key_is(k, kl, "dst_names") && v->kind == VIGIL__JSON_ARRAY) {
        list_ctx c = { NULL, e->names, &e->nnames, MAX_LIST };
        vigil__json_array_each(v->p, v->n, list_item, &c);
    }
    return 0;
}

typedef struct truth_ctx {
    event *ev;
    int n;
} truth_ctx;

static int truth_event(void *user, const char *k, size_t kl, vigil__json_val *v)
{
    (void)k;
    (void)kl;
    truth_ctx *t = user;
    if (v->kind != VIGIL__JSON_OBJECT || t->n >= MAX_EVENTS) return 0;
    event e;
    memset(&e, 0, sizeof e);
    if (vigil__json_each(v->p, v->n, 0, event_member, &e) != 0) return 0;
    /* Only what network logs can show: phish (mail) and outflow (the
     * hot-wallet ledger) are judged once those readers exist. */
    static const char *const net[] = { "beacon", "long_conn", "exfil", "rare_dest", "dns", "strobe" };
    for (size_t i = 0; i < sizeof net / sizeof net[0]; i++)
        if (strcmp(e.expect, net[i]) == 0) t->ev[t->n++] = e;
    return 0;
}

static int truth_top(void *user, const char *k, size_t kl, vigil__json_val *v)
{
    if (key_is(k, kl, "events") && v->kind == VIGIL__JSON_ARRAY)
        vigil__json_array_each(v->p, v->n, truth_event, user);
    return 0;
}

static int finding_member(void *user, const char *k, size_t kl, vigil__json_val *v)
{
    finding *f = user;
    if (key_is(k, kl, "kind") && v->kind == VIGIL__JSON_STRING) copy(f->kind, sizeof f->kind, v->p, v->n);
    else if (key_is(k, kl, "src") && v->kind == VIGIL__JSON_STRING) copy(f->src, sizeof f->src, v->p, v->n);
    else if (key_is(k, kl, "dst") && v->kind == VIGIL__JSON_STRING) copy(f->dst, sizeof f->dst, v->p, v->n);
    else if (key_is(k, kl, "dst_name") && v->kind == VIGIL__JSON_STRING) copy(f->name, sizeof f->name, v->p, v->n);
    else if (key_is(k, kl, "score") && v->kind == VIGIL__JSON_NUMBER) f->score = atof(v->p);
    return 0;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap + 64);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(buf, cap * 2 + 64);
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf) { memset(buf + n, 0, 64); *len = n; }
    return buf;
}

static int kind_ok(const event *e, const char *kind)
{
    if (strcmp(e->expect, kind) == 0) return 1;
    for (int i = 0; i < e->nalso; i++)
        if (strcmp(e->also[i], kind) == 0) return 1;
    return 0;
}

/* Does finding f name one of the event's destinations? */
static int dst_ok(const event *e, const finding *f)
{
    for (int i = 0; i < e->ndst; i++)
        if (strcmp(e->dst[i], f->dst) == 0) return 1;
    for (int i = 0; i < e->nnames; i++) {
        size_t a = strlen(f->name), b = strlen(e->names[i]);
        if (!a) continue;
        /* The finding's name equals the event's name or is a subdomain of
         * it (dns findings report the registered domain or a label). */
        if (strcmp(f->name, e->names[i]) == 0) return 1;
        if (a > b && f->name[a - b - 1] == '.' && strcmp(f->name + a - b, e->names[i]) == 0) return 1;
        if (b > a && e->names[i][b - a - 1] == '.' && strcmp(e->names[i] + b - a, f->name) == 0) return 1;
    }
    /* Host-level findings (exfil, dga) name no destination address. */
    return f->dst[0] == 0 || strcmp(f->dst, "0.0.0.0") == 0 || strcmp(f->dst, "::") == 0;
}

/* Does f name one of the event's addresses (dst, upstream) or names? */
static int infra_ok(const event *e, const finding *f)
{
    for (int i = 0; i < e->ndst; i++)
        if (strcmp(e->dst[i], f->dst) == 0) return 1;
    for (int i = 0; i < e->nup; i++)
        if (strcmp(e->upstream[i], f->dst) == 0) return 1;
    if (!f->name[0]) return 0;
    event names_only = *e;
    names_only.ndst = 0;
    snprintf(names_only.dst[0], 64, "-");
    finding g = *f;
    snprintf(g.dst, sizeof g.dst, "-"); /* so dst_ok judges the name only */
    return dst_ok(&names_only, &g);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: eval_match TRUTH.json FINDINGS.jsonl\n");
        return 2;
    }
    size_t tl, fl;
    char *truth = slurp(argv[1], &tl);
    char *fnd = slurp(argv[2], &fl);
    if (!truth || !fnd) {
        fprintf(stderr, "eval_match: cannot read inputs\n");
        return 1;
    }
    static event ev[MAX_EVENTS];
    truth_ctx tc = { ev, 0 };
    if (vigil__json_each(truth, tl, 0, truth_top, &tc) != 0) {
        fprintf(stderr, "eval_match: %s is not valid JSON\n", argv[1]);
        return 1;
    }
    size_t nf = 0, capf = 1024;
    finding *fs = calloc(capf, sizeof *fs);
    for (char *line = fnd, *end = fnd + fl; line < end;) {
        char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
        if (n) {
            if (nf == capf) {
                capf *= 2;
                fs = realloc(fs, capf * sizeof *fs);
            }
            memset(&fs[nf], 0, sizeof fs[nf]);
            if (vigil__json_each(line, n, 0, finding_member, &fs[nf]) == 0) nf++;
        }
        line += n + 1;
    }
    /* Match. */
    for (int i = 0; i < tc.n; i++) {
        for (size_t j = 0; j < nf; j++) {
            if (strcmp(fs[j].src, ev[i].src) != 0 || !kind_ok(&ev[i], fs[j].kind) || !dst_ok(&ev[i], &fs[j]))
                continue;
            fs[j].matched = 1;
            if (!ev[i].best_rank) {
                ev[i].best_rank = (int)j + 1;
                ev[i].best_score = fs[j].score;
                snprintf(ev[i].best_kind, sizeof ev[i].best_kind, "%s", fs[j].kind);
            }
        }
    }
    /* Findings about planted infrastructure from other sources. */
    for (size_t j = 0; j < nf; j++)
        for (int i = 0; i < tc.n && !fs[j].matched && !fs[j].related; i++)
            fs[j].related = infra_ok(&ev[i], &fs[j]);
    /* Rank of the first unmatched (benign) finding. */
    size_t first_benign = 0;
    for (size_t j = 0; j < nf; j++)
        if (!fs[j].matched && !fs[j].related) { first_benign = j + 1; break; }
    printf("planted events (expected finding kinds):\n");
    printf("  %-4s %-10s %-13s %-16s %-10s %6s %6s  %s\n", "id", "kind", "profile", "src", "expect", "rank", "score", "found as");
    int found = 0, found07 = 0, above_benign = 0;
    for (int i = 0; i < tc.n; i++) {
        event *e = &ev[i];
        printf("  %-4d %-10s %-13s %-16s %-10s ", e->id, e->kind, e->profile[0] ? e->profile : "-", e->src, e->expect);
        if (e->best_rank) {
            printf("%6d %6.3f  %s\n", e->best_rank, e->best_score, e->best_kind);
            found++;
            if (e->best_score >= 0.7) found07++;
            if (!first_benign || (size_t)e->best_rank < first_benign) above_benign++;
        } else {
            printf("%6s %6s  -\n", "-", "-");
        }
    }
    size_t hi = 0, hi_tp = 0, benign_hi = 0, related_hi = 0;
    for (size_t j = 0; j < nf; j++) {
        if (fs[j].score < 0.5) continue;
        hi++;
        if (fs[j].matched) hi_tp++;
        else if (fs[j].related) related_hi++;
        else benign_hi++;
    }
    printf("\nrecall: %d of %d planted events found (%d at score >= 0.7; %d ranked above every benign finding)\n",
           found, tc.n, found07, above_benign);
    printf("precision at score >= 0.5: %zu of %zu findings are planted events (%.2f), %zu more are other hosts' view of\n"
           "  planted C2 infrastructure (e.g. a resolver relaying DNS C2); %zu benign findings >= 0.5\n",
           hi_tp, hi, hi ? (double)(hi_tp + related_hi) / (double)hi : 1.0, related_hi, benign_hi);
    if (first_benign) printf("highest benign finding: rank %zu\n", first_benign);
    int shown = 0;
    for (size_t j = 0; j < nf && shown < 8; j++) {
        if (fs[j].matched || fs[j].related || fs[j].score < 0.5) continue;
        if (!shown) printf("benign findings >= 0.5 (top 8):\n");
        printf("  rank %-5zu %.3f %-9s %s -> %s %s\n", j + 1, fs[j].score, fs[j].kind, fs[j].src, fs[j].dst, fs[j].name);
        shown++;
    }
    printf("EVAL recall=%d/%d strong=%d above_benign=%d benign_hi=%zu\n", found, tc.n, found07, above_benign, benign_hi);
    free(fs);
    free(truth);
    free(fnd);
    return 0;
}
