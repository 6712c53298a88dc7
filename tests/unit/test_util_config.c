/* test_util_config.c -- the allow/ignore configuration (util_config.c). */
#include <stdlib.h>
#include "test.h"
#include <vigil/config.h>

static vigil_finding F(vigil_finding_kind k, const char *src, const char *dst, uint16_t dport,
                       const char *name)
{
    vigil_finding f;
    memset(&f, 0, sizeof f);
    f.kind = k;
    f.score = 0.9;
    vigil_addr_parse(src, strlen(src), &f.src);
    if (dst) vigil_addr_parse(dst, strlen(dst), &f.dst);
    f.dport = dport;
    f.proto = VIGIL_PROTO_TCP;
    snprintf(f.dst_name, sizeof f.dst_name, "%s", name ? name : "");
    return f;
}

static vigil_config *parse(const char *text, vigil_status *rc, char *err, size_t cap)
{
    vigil_config *c = NULL;
    if (vigil_config_new(&c, NULL) != VIGIL_OK) return NULL;
    *rc = vigil_config_parse(c, "test.conf", text, strlen(text), err, cap);
    return c;
}

TEST(cfg_every_rule)
{
    const char *text =
        "# vigil hunt rules\n"
        "\n"
        "allow cidr 203.0.113.0/24   # a partner network\n"
        "allow domain Updates.Example.com\n"
        "allow pair 10.1.2.3 198.51.100.7:443\n"
        "allow pair 10.1.2.0/24 [2001:db8::7]:8443\r\n"
        "allow pair 10.1.2.4 198.51.100.8\n"
        "\tignore src 10.9.9.9\n"
        "ignore dst 192.0.2.0/28\n"
        "ignore kind strobe\n"
        "internal 147.32.0.0/16\n";
    vigil_status rc;
    char err[256];
    vigil_config *c = parse(text, &rc, err, sizeof err);
    CHECK(c != NULL && rc == VIGIL_OK);
    if (!c) return;
    CHECK_EQ_U(vigil_config_rule_count(c), 9);
    vigil_finding f;
    f = F(VIGIL_FIND_BEACON, "10.0.0.1", "203.0.113.77", 443, NULL);
    CHECK(vigil_config_drops(c, &f));
    f = F(VIGIL_FIND_BEACON, "10.0.0.1", "203.0.114.1", 443, NULL);
    CHECK(!vigil_config_drops(c, &f));
    f = F(VIGIL_FIND_BEACON, "10.0.0.1", "198.51.100.1", 443, "updates.example.com");
    CHECK(vigil_config_drops(c, &f));
    f = F(VIGIL_FIND_BEACON, "10.0.0.1", "198.51.100.1", 443, "eu.UPDATES.example.com");
    CHECK(vigil_config_drops(c, &f));
    f = F(VIGIL_FIND_BEACON, "10.0.0.1", "198.51.100.1", 443, "notupdates.example.com");
    CHECK(!vigil_config_drops(c, &f));
    f = F(VIGIL_FIND_DNS, "10.0.0.1", NULL, 53, "updates.example.com"); /* a dns finding's domain */
    CHECK(vigil_config_drops(c, &f));
    f = F(VIGIL_FIND_BEACON, "10.1.2.3", "198.51.100.7", 443, NULL);
    CHECK(vigil_config_drops(c, &f));
    f = F(VIGIL_FIND_BEACON, "10.1.2.3", "198.51.100.7", 80, NULL);
    CHECK(!vigil_config_drops(c, &f));
    f = F(VIGIL_FIND_BEACON, "10.1.2.5", "198.51.100.7", 443, NULL);
    CHECK(!vigil_config_drops(c, &f));
    f = F(VIGIL_FIND_BEACON, "10.1.2.200", "2001:db8::7", 8443, NULL);
    CHECK(vigil_config_drops(c, &f));
    f = F(VIGIL_FIND_LONG_CONN, "10.1.2.4", "198.51.100.8", 22, NULL); /* any port */
    CHECK(vigil_config_drops(c, &f));
    f = F(VIGIL_FIND_EXFIL, "10.9.9.9", "198.51.100.1", 443, NULL);
    CHECK(vigil_config_drops(c, &f));
    f = F(VIGIL_FIND_BEACON, "10.0.0.1", "192.0.2.15", 443, NULL);
    CHECK(vigil_config_drops(c, &f));
    f = F(VIGIL_FIND_BEACON, "10.0.0.1", "192.0.2.16", 443, NULL);
    CHECK(!vigil_config_drops(c, &f));
    f = F(VIGIL_FIND_STROBE, "10.0.0.1", "198.51.100.1", 443, NULL);
    CHECK(vigil_config_drops(c, &f));
    vigil_netset *nets = NULL;
    CHECK(vigil_netset_new(&nets, NULL) == VIGIL_OK);
    CHECK(vigil_config_add_internal(c, nets) == 1);
    vigil_addr x;
    vigil_addr_parse("147.32.83.234", 13, &x);
    CHECK(vigil_netset_contains(nets, &x));
    vigil_netset_free(nets);
    vigil_config_free(c);
    vigil_config_free(NULL);
}

TEST(cfg_bad_lines_name_file_and_line)
{
    static const struct { const char *text, *want; } cases[] = {
        { "allow cidr 203.0.113.0/24\nallow cidr 300.1.1.1\n", "test.conf:2: bad address or CIDR '300.1.1.1'" },
        { "allow cidr 10.0.0.0/33\n", "test.conf:1: bad address or CIDR" },
        { "\n\nallow host 1.2.3.4\n", "test.conf:3: unknown rule 'allow host'" },
        { "permit cidr 1.2.3.4\n", "test.conf:1: unknown rule 'permit'" },
        { "allow\n", "test.conf:1: 'allow' needs a rule kind" },
        { "allow domain\n", "test.conf:1: 'allow domain' takes 1 argument, 0 given" },
        { "allow domain a.com b.com\n", "test.conf:1: 'allow domain' takes 1 argument, 2 given" },
        { "allow domain bad/name\n", "test.conf:1: bad domain 'bad/name'" },
        { "allow pair 10.0.0.1\n", "test.conf:1: 'allow pair' takes 2 arguments, 1 given" },
        { "allow pair 10.0.0.1 1.2.3.4:99999\n", "test.conf:1: bad destination '1.2.3.4:99999'" },
        { "allow pair x 1.2.3.4\n", "test.conf:1: bad source address 'x'" },
        { "ignore src\n", "test.conf:1: 'ignore src' takes 1 argument, 0 given" },
        { "ignore kind phish\n", "test.conf:1: unknown kind 'phish'" },
        { "ignore domain a.com\n", "test.conf:1: unknown rule 'ignore domain'" },
        { "internal\n", "test.conf:1: 'internal' takes one CIDR" },
        { "a b c d e f\n", "test.conf:1: too many words" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vigil_status rc = VIGIL_OK;
        char err[256] = "";
        vigil_config *c = parse(cases[i].text, &rc, err, sizeof err);
        CHECK(rc == VIGIL_EINVAL);
        if (strncmp(err, cases[i].want, strlen(cases[i].want)) != 0) {
            fprintf(stderr, "  case %zu: error \"%s\", expected \"%s...\"\n", i, err, cases[i].want);
            vigil_test_failures++;
        }
        vigil_config_free(c);
    }
}

TEST(cfg_load_file)
{
    const char *p = test_write_file("rules.conf", "allow domain example.org\n", 25);
    vigil_config *c = NULL;
    char err[512];
    CHECK(vigil_config_new(&c, NULL) == VIGIL_OK);
    CHECK(vigil_config_load(c, p, err, sizeof err) == VIGIL_OK);
    CHECK_EQ_U(vigil_config_rule_count(c), 1);
    char missing[600];
    snprintf(missing, sizeof missing, "%s/none.conf", test_tmpdir());
    CHECK(vigil_config_load(c, missing, err, sizeof err) == VIGIL_ENOENT);
    CHECK(strstr(err, "none.conf: No such file") != NULL);
    p = test_write_file("bad.conf", "# ok\nallow cidr nope\n", 21);
    CHECK(vigil_config_load(c, p, err, sizeof err) == VIGIL_EINVAL);
    CHECK(strstr(err, "bad.conf:2: bad address or CIDR 'nope'") != NULL);
    vigil_config_free(c);
}
