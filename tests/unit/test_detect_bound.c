/* test_detect_bound.c -- the detectors' "applies" tests and the beacon's
 * branch and bound never lose a finding.
 *
 * hunt decides on a view's head (no points) whether to decode it at all,
 * and the beacon detector skips its burst-gap ladder when an upper bound
 * of its score is below min_score.  Both must be exact: on every pair and
 * name group of a generated world, each finding a detector emits at
 * min_score 0 must be emitted again, with the same score, at min_score
 * equal to that score, and its detector must "apply" to the head there. */
#include <stdlib.h>
#include "test.h"
#include "agg.h"

typedef int (*applies_fn)(const vigil__pair_view *, const vigil__detect_cfg *);
typedef vigil_status (*detect_fn)(const vigil__pair_view *, const vigil__detect_cfg *,
                                  vigil_findings *);

static const struct {
    vigil_finding_kind kind;
    applies_fn applies;
    detect_fn detect;
} detectors[] = {
    { VIGIL_FIND_BEACON, vigil__detect_beacon_applies, vigil__detect_beacon },
    { VIGIL_FIND_LONG_CONN, vigil__detect_longconn_applies, vigil__detect_longconn },
    { VIGIL_FIND_STROBE, vigil__detect_strobe_applies, vigil__detect_strobe },
    { VIGIL_FIND_RARE_DEST, vigil__detect_rare_applies, vigil__detect_rare },
};

/* Reads every file of a generated world into one finished aggregate. */
static vigil__agg *world_agg(vigil_netset **nets)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/bound-world", test_tmpdir());
    vigil_sim_opts so;
    memset(&so, 0, sizeof so);
    so.out_dir = dir;
    so.hosts = 60;
    so.days = 6;
    so.seed = 11;
    vigil_sim_report rep;
    vigil__agg *a = NULL;
    vigil_pathlist pl;
    memset(&pl, 0, sizeof pl);
    const char *argv[1] = { dir };
    if (vigil_simulate(&so, &rep) != VIGIL_OK || vigil_paths_expand(&pl, argv, 1, NULL, NULL, NULL) != VIGIL_OK ||
        vigil_netset_new(nets, NULL) != VIGIL_OK || vigil_netset_add_private(*nets) != VIGIL_OK ||
        vigil__agg_new(&a, *nets, NULL) != VIGIL_OK) {
        vigil_test_failures++;
        vigil_pathlist_free(&pl);
        return a;
    }
    for (size_t i = 0; i < pl.count; i++) {
        vigil_reader *r = NULL;
        if (vigil_reader_open(&r, pl.files[i], NULL) != VIGIL_OK) continue;
        const vigil_record *rec;
        while (vigil_reader_next(r, &rec) == VIGIL_OK && rec) CHECK(vigil__agg_add(a, rec) == VIGIL_OK);
        vigil_reader_free(r);
    }
    vigil_pathlist_free(&pl);
    CHECK(vigil__agg_finish(a) == VIGIL_OK);
    return a;
}

/* The head agrees with the full view on everything it fills. */
static void check_head(const vigil__pair_view *h, const vigil__pair_view *v)
{
    CHECK(h->pts == NULL && h->n == v->n);
    CHECK(!memcmp(h->src.b, v->src.b, 16) && !memcmp(h->dst.b, v->dst.b, 16));
    CHECK(h->name == v->name && h->dst_count == v->dst_count && h->dport == v->dport &&
          h->proto == v->proto && h->is_group == v->is_group);
    CHECK(h->dur_sum == v->dur_sum && h->dur_max == v->dur_max && h->open_dur == v->open_dur);
    CHECK(h->bytes_out == v->bytes_out && h->bytes_in == v->bytes_in);
    CHECK(h->n_rej == v->n_rej && h->n_s0 == v->n_s0 && h->n_ok == v->n_ok);
    CHECK(h->prevalence == v->prevalence && h->internal_hosts == v->internal_hosts);
    CHECK(h->dst_first_seen == v->dst_first_seen);
    CHECK(h->input_first_ts == v->input_first_ts && h->input_last_ts == v->input_last_ts);
}

/* Every finding of the view at min_score 0 survives at its own score. */
static size_t check_view(const vigil__pair_view *head, const vigil__pair_view *v)
{
    size_t checked = 0;
    check_head(head, v);
    for (size_t d = 0; d < sizeof detectors / sizeof detectors[0]; d++) {
        vigil__detect_cfg cfg = { .min_score = 0, .min_conns = 4 };
        vigil_findings all = { 0 };
        CHECK(detectors[d].detect(v, &cfg, &all) == VIGIL_OK);
        for (size_t k = 0; k < all.n; k++) {
            if (all.v[k].kind != detectors[d].kind) continue;
            double s = all.v[k].score;
            cfg.min_score = s;
            CHECK(detectors[d].applies(head, &cfg));
            vigil_findings again = { 0 };
            CHECK(detectors[d].detect(v, &cfg, &again) == VIGIL_OK);
            int found = 0;
            for (size_t j = 0; j < again.n; j++)
                found |= again.v[j].kind == detectors[d].kind && again.v[j].score == s;
            if (!found)
                fprintf(stderr, "  kind %d lost at its own score %.17g (n=%zu)\n", (int)detectors[d].kind,
                        s, v->n);
            CHECK(found);
            vigil_findings_free(&again);
            checked++;
        }
        vigil_findings_free(&all);
    }
    return checked;
}

TEST(detect_bound_never_loses_a_finding)
{
    vigil_netset *nets = NULL;
    vigil__agg *a = world_agg(&nets);
    size_t checked = 0, skipped = 0, views = 0;
    vigil__pair_view head, v;
    for (size_t i = 0; a && i < vigil__agg_pair_count(a); i++) {
        CHECK(vigil__agg_pair_head(a, i, &head) == VIGIL_OK);
        CHECK(vigil__agg_pair(a, i, &v) == VIGIL_OK);
        checked += check_view(&head, &v);
        vigil__detect_cfg half = { .min_score = 0.5, .min_conns = 4 };
        skipped += !vigil__detect_beacon_applies(&head, &half);
        views++;
    }
    for (size_t i = 0; a && i < vigil__agg_group_count(a); i++) {
        CHECK(vigil__agg_group_head(a, i, &head) == VIGIL_OK);
        CHECK(vigil__agg_group(a, i, &v) == VIGIL_OK);
        checked += check_view(&head, &v);
        views++;
    }
    /* DNS views: what the head rules out never had a finding. */
    size_t dns_out = 0;
    for (size_t i = 0; a && i < vigil__agg_dns_count(a); i++) {
        vigil__dns_view dh, dv;
        CHECK(vigil__agg_dns_head(a, i, &dh) == VIGIL_OK);
        CHECK(vigil__agg_dns(a, i, &dv) == VIGIL_OK);
        CHECK(dh.ts == NULL && dh.nts == dv.nts && dh.queries == dv.queries &&
              dh.unique_names == dv.unique_names && dh.prevalence == dv.prevalence);
        vigil__detect_cfg cfg = { .min_score = 0, .min_conns = 4 };
        if (vigil__detect_dns_applies(&dh, &cfg)) continue;
        dns_out++;
        vigil_findings fs = { 0 };
        CHECK(vigil__detect_dns(&dv, &cfg, &fs) == VIGIL_OK);
        CHECK(fs.n == 0);
        vigil_findings_free(&fs);
    }
    CHECK(dns_out > 0);
    /* The world has findings of every pair kind to check, and the bound
     * does prune: most pairs are few connections or popular places. */
    CHECK(checked > 100);
    CHECK(skipped > views / 2);
    vigil__agg_free(a);
    vigil_netset_free(nets);
}
