/* test_util_json.c -- the JSON scanner: members, escapes, strictness, depth. */
#include <stdlib.h>
#include "test.h"
#include "internal.h"

/* Members seen by collect(), as text. */
typedef struct seen {
    int count;               /* members seen */
    char keys[16][64];       /* their keys */
    char vals[16][64];       /* their values (decoded / raw) */
    size_t vlen[16];         /* value lengths (may hold NULs) */
    vigil__json_kind kinds[16];
    int stop_at;             /* return 7 at this member (1-based); 0 never */
} seen;

static int collect(void *user, const char *key, size_t keylen, vigil__json_val *v)
{
    seen *s = user;
    if (s->count < 16) {
        snprintf(s->keys[s->count], 64, "%.*s", (int)keylen, key);
        size_t n = v->n < 63 ? v->n : 63;
        memcpy(s->vals[s->count], v->p, n);
        s->vals[s->count][n] = 0;
        s->vlen[s->count] = v->n;
        s->kinds[s->count] = v->kind;
    }
    s->count++;
    return s->stop_at && s->count == s->stop_at ? 7 : 0;
}

/* Runs vigil__json_each over a writable copy of `text`. */
static int run(const char *text, int flatten, seen *s)
{
    char buf[4096];
    size_t n = strlen(text);
    memcpy(buf, text, n + 1);
    memset(s, 0, sizeof *s);
    return vigil__json_each(buf, n, flatten, collect, s);
}

TEST(json_flat_members)
{
    seen s;
    CHECK(run("{\"ts\":1.5,\"id\":{\"orig_h\":\"10.0.0.1\",\"p\":{\"x\":true}},"
              "\"n\":null,\"a\":[1,\"b\"],\"e\":\"\"}", 1, &s) == 0);
    CHECK_EQ_U(s.count, 6);
    CHECK_STR(s.keys[0], "ts");
    CHECK_STR(s.vals[0], "1.5");
    CHECK(s.kinds[0] == VIGIL__JSON_NUMBER);
    CHECK_STR(s.keys[1], "id.orig_h");
    CHECK_STR(s.vals[1], "10.0.0.1");
    CHECK(s.kinds[1] == VIGIL__JSON_STRING);
    CHECK_STR(s.keys[2], "id.p.x");
    CHECK_STR(s.vals[2], "true");
    CHECK(s.kinds[2] == VIGIL__JSON_BOOL);
    CHECK_STR(s.keys[3], "n");
    CHECK(s.kinds[3] == VIGIL__JSON_NULL);
    CHECK_STR(s.keys[4], "a");
    CHECK_STR(s.vals[4], "[1,\"b\"]");
    CHECK(s.kinds[4] == VIGIL__JSON_ARRAY);
    CHECK_STR(s.keys[5], "e");
    CHECK_EQ_U(s.vlen[5], 0);
}

TEST(json_nested_unflattened)
{
    seen s;
    CHECK(run("{ \"id\" : { \"a\" : [ 1 , 2 ] } , \"b\":-0.5e+3 }", 0, &s) == 0);
    CHECK_EQ_U(s.count, 2);
    CHECK_STR(s.keys[0], "id");
    CHECK(s.kinds[0] == VIGIL__JSON_OBJECT);
    CHECK_STR(s.vals[0], "{ \"a\" : [ 1 , 2 ] }");
    CHECK_STR(s.vals[1], "-0.5e+3");
}

TEST(json_escapes_decoded)
{
    seen s;
    CHECK(run("{\"k\\u0065y\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\","
              "\"u\":\"\\u00e9\\u20AC\\ud83d\\ude00\",\"z\":\"x\\u0000y\","
              "\"raw\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}", 1, &s) == 0);
    CHECK_EQ_U(s.count, 4);
    CHECK_STR(s.keys[0], "key");
    CHECK_STR(s.vals[0], "a\"b\\c/d\b\f\n\r\t");
    CHECK_STR(s.vals[1], "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    CHECK_EQ_U(s.vlen[2], 3);
    CHECK(memcmp(s.vals[2], "x\0y", 3) == 0);
    CHECK_STR(s.vals[3], "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

TEST(json_long_strings_swar)
{
    /* Escapes and stops at every offset of the 8-byte scan. */
    for (int off = 0; off < 17; off++) {
        char text[256], want[128];
        int n = snprintf(text, sizeof text, "{\"k\":\"%.*s\\n%.*s\"}", off,
                         "abcdefghijklmnopqrstuvwxyz", 9, "ABCDEFGHIJ");
        (void)n;
        snprintf(want, sizeof want, "%.*s\n%.*s", off, "abcdefghijklmnopqrstuvwxyz", 9,
                 "ABCDEFGHIJ");
        seen s;
        CHECK(run(text, 1, &s) == 0);
        CHECK_STR(s.vals[0], want);
        /* A raw control byte at the same offsets is refused. */
        snprintf(text, sizeof text, "{\"k\":\"%.*s\x01zzzzzzzzz\"}", off, "abcdefghijklmnopqrstuvwxyz");
        CHECK(run(text, 1, &s) == -1);
    }
}

TEST(json_valid_variants)
{
    static const char *const ok[] = {
        "{}", " \t\r\n{ }\r\n ", "{\"a\":0}", "{\"a\":-0}", "{\"a\":1e5}", "{\"a\":1E-5}",
        "{\"a\":12.50}", "{\"a\":[]}", "{\"a\":[[],{}]}", "{\"a\":{}}", "{\"\":1}",
        "{\"a\":\"\\u0041\"}", "{\"a\":1,\"a\":2}", "{\"a\":[true,false,null]}",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        seen s;
        int rc = run(ok[i], 1, &s);
        if (rc != 0) fprintf(stderr, "  refused: %s\n", ok[i]);
        CHECK(rc == 0);
    }
}

TEST(json_invalid_variants)
{
    static const char *const bad[] = {
        "", "   ", "[]", "[1]", "\"s\"", "1", "null",          /* not an object */
        "{", "{\"a\"", "{\"a\":", "{\"a\":1", "{\"a\":\"x",   /* truncated */
        "{\"a\":1}x", "{\"a\":1}{}", "{\"a\":1},", "{} 1",    /* trailing garbage */
        "{\"a\":1,}", "{,}", "{\"a\" 1}", "{\"a\":1 \"b\":2}", "{a:1}", "{'a':1}",
        "{\"a\":[1,]}", "{\"a\":[,1]}", "{\"a\":[1 2]}", "{\"a\":{\"b\"}}",
        "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":-}", "{\"a\":1e}", "{\"a\":+1}",
        "{\"a\":0x10}", "{\"a\":NaN}", "{\"a\":Infinity}", "{\"a\":tru}", "{\"a\":nul}",
        "{\"a\":truex}", "{\"a\":True}",
        "{\"a\":\"\\x41\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\u12g4\"}", "{\"a\":\"\\'\"}",
        "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}", "{\"a\":\"\\ud800\\u0041\"}",
        "{\"a\":\"\\ud800x\"}", "{\"a\":\"\\",
        "{\"a\":\"tab\there\"}", "{\"a\":\"nl\nhere\"}",
        "{\"a\":\"\xc0\x80\"}", "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\xf4\x90\x80\x80\"}",
        "{\"a\":\"\xe2\x82\"}", "{\"a\":\"\x80\"}", "{\"a\":\"\xff\"}",
        "{\"a\":1}\x01", "\xef\xbb\xbf{}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        seen s;
        int rc = run(bad[i], 1, &s);
        if (rc != -1) fprintf(stderr, "  accepted: %s\n", bad[i]);
        CHECK(rc == -1);
        CHECK(run(bad[i], 0, &s) == -1);
    }
    /* A NUL byte inside the text (length given, not strlen). */
    char nul[] = "{\"a\":\"x\0y\"}";
    CHECK(vigil__json_each(nul, sizeof nul - 1, 1, NULL, NULL) == -1);
}

/* Builds {"a": + depth opening brackets + 1 + closers + }. */
static char *nested(int depth, char open, char close, const char *inner)
{
    size_t cap = (size_t)depth * 8 + 64;
    char *b = malloc(cap);
    size_t n = 0;
    n += (size_t)snprintf(b + n, cap - n, "{\"a\":");
    for (int i = 0; i < depth; i++) {
        if (open == '{') n += (size_t)snprintf(b + n, cap - n, "{\"k\":");
        else b[n++] = open;
    }
    n += (size_t)snprintf(b + n, cap - n, "%s", inner);
    for (int i = 0; i < depth; i++) b[n++] = close;
    b[n++] = '}';
    b[n] = 0;
    return b;
}

TEST(json_deep_nesting)
{
    /* The top object is depth 1: 63 more levels are accepted, 64 not. */
    char *ok = nested(63, '[', ']', "1");
    CHECK(vigil__json_each(ok, strlen(ok), 1, NULL, NULL) == 0);
    free(ok);
    char *deep = nested(64, '[', ']', "1");
    CHECK(vigil__json_each(deep, strlen(deep), 1, NULL, NULL) == -1);
    free(deep);
    char *okobj = nested(63, '{', '}', "1");
    CHECK(vigil__json_each(okobj, strlen(okobj), 1, NULL, NULL) == 0);
    CHECK(vigil__json_each(okobj, strlen(okobj), 0, NULL, NULL) == 0);
    free(okobj);
    char *deepobj = nested(64, '{', '}', "1");
    CHECK(vigil__json_each(deepobj, strlen(deepobj), 1, NULL, NULL) == -1);
    CHECK(vigil__json_each(deepobj, strlen(deepobj), 0, NULL, NULL) == -1);
    free(deepobj);
    /* Hostile: a million brackets, refused without exhausting the stack. */
    char *hostile = nested(1000000, '[', ']', "1");
    CHECK(vigil__json_each(hostile, strlen(hostile), 1, NULL, NULL) == -1);
    free(hostile);
}

TEST(json_flat_key_limit)
{
    char buf[3000];
    char big[1100];
    memset(big, 'k', sizeof big - 1);
    big[sizeof big - 1] = 0;
    snprintf(buf, sizeof buf, "{\"%s\":{\"x\":1}}", big);
    CHECK(vigil__json_each(buf, strlen(buf), 1, NULL, NULL) == -1);
    snprintf(buf, sizeof buf, "{\"%s\":{\"x\":1}}", big);
    CHECK(vigil__json_each(buf, strlen(buf), 0, NULL, NULL) == 0); /* not flattened */
    snprintf(buf, sizeof buf, "{\"%s\":1}", big);
    CHECK(vigil__json_each(buf, strlen(buf), 1, NULL, NULL) == 0); /* top-level key */
}

TEST(json_callback_stops)
{
    seen s;
    memset(&s, 0, sizeof s);
    s.stop_at = 2;
    char buf[] = "{\"a\":1,\"b\":2,\"c\":3}";
    CHECK(vigil__json_each(buf, strlen(buf), 1, collect, &s) == 7);
    CHECK_EQ_U(s.count, 2);
}

TEST(json_join_array)
{
    char a[] = "[\"x\\ty\", 12, -1.5e3 ,\"\\u00e9\",true]";
    long n = vigil__json_join_array(a, strlen(a), ',');
    CHECK(n == (long)strlen("x\ty,12,-1.5e3,\xc3\xa9,true"));
    CHECK(n > 0 && memcmp(a, "x\ty,12,-1.5e3,\xc3\xa9,true", (size_t)n) == 0);
    char e[] = " [ ] ";
    CHECK(vigil__json_join_array(e, strlen(e), ',') == 0);
    char one[] = "[\"only\"]";
    CHECK(vigil__json_join_array(one, strlen(one), '|') == 4 && memcmp(one, "only", 4) == 0);
    char sep[] = "[1,2]";
    CHECK(vigil__json_join_array(sep, strlen(sep), ' ') == 3 && memcmp(sep, "1 2", 3) == 0);
    /* Refused arrays are left as they were. */
    static const char *const bad[] = {
        "[{\"a\":1}]", "[[1]]", "[null]", "[1,]", "[1", "{}", "[\"\\q\"]", "[1] x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char b[64];
        snprintf(b, sizeof b, "%s", bad[i]);
        CHECK(vigil__json_join_array(b, strlen(b), ',') == -1);
        CHECK_STR(b, bad[i]);
    }
}

TEST(json_array_each)
{
    seen s;
    memset(&s, 0, sizeof s);
    char a[] = "[ {\"r\":\"a\\nb\"}, \"s\\u0041\", 3, [1] ]";
    CHECK(vigil__json_array_each(a, strlen(a), collect, &s) == 0);
    CHECK_EQ_U(s.count, 4);
    CHECK(s.kinds[0] == VIGIL__JSON_OBJECT);
    CHECK_STR(s.vals[0], "{\"r\":\"a\\nb\"}");
    CHECK(s.kinds[1] == VIGIL__JSON_STRING);
    CHECK_STR(s.vals[1], "sA");
    CHECK_STR(s.vals[2], "3");
    CHECK(s.kinds[3] == VIGIL__JSON_ARRAY);
    char b[] = "[1,]";
    CHECK(vigil__json_array_each(b, strlen(b), NULL, NULL) == -1);
    char c[] = "[]";
    CHECK(vigil__json_array_each(c, strlen(c), NULL, NULL) == 0);
    char d[] = "[1] 2";
    CHECK(vigil__json_array_each(d, strlen(d), NULL, NULL) == -1);
}

TEST(json_line_table)
{
    vigil__json_line *jl = NULL;
    CHECK(vigil__json_line_new(&jl, NULL) == VIGIL_OK);
    char line[] = "{\"event_type\":\"flow\",\"flow\":{\"pkts\":3,\"tcp\":{\"flags\":\"1b\"}},"
                  "\"tags\":[\"a\",\"b\"],\"ans\":[{\"x\":1}],\"n\":null}";
    CHECK(vigil__json_line_parse(jl, line, strlen(line)) == VIGIL__JSON_LINE_OK);
    CHECK_EQ_U(vigil__json_line_count(jl), 6);
    const vigil__json_member *m = vigil__json_line_find(jl, "flow.tcp.flags", 14);
    CHECK(m && m->v.n == 2 && memcmp(m->v.p, "1b", 2) == 0);
    m = vigil__json_line_find(jl, "flow.pkts", 9);
    CHECK(m && m->v.kind == VIGIL__JSON_NUMBER && m->v.n == 1 && m->v.p[0] == '3');
    m = vigil__json_line_find(jl, "tags", 4);
    CHECK(m && !m->raw && m->v.n == 3 && memcmp(m->v.p, "a,b", 3) == 0);
    m = vigil__json_line_find(jl, "ans", 3);
    CHECK(m && m->raw && m->v.kind == VIGIL__JSON_ARRAY);
    CHECK(vigil__json_line_find(jl, "flow", 4) == NULL);
    CHECK(vigil__json_line_members(jl)[0].keylen == 10);

    char bad[] = "{\"a\":1,}";
    CHECK(vigil__json_line_parse(jl, bad, strlen(bad)) == VIGIL__JSON_LINE_BAD);
    CHECK_EQ_U(vigil__json_line_count(jl), 0);

    /* More than 8192 members: refused as too many; 8192 fit. */
    size_t cap = 9000 * 16 + 16;
    char *wide = malloc(cap);
    for (int lim = 8192; lim <= 8193; lim++) {
        size_t n = 0;
        wide[n++] = '{';
        for (int i = 0; i < lim; i++)
            n += (size_t)snprintf(wide + n, cap - n, "%s\"o.k%d\":%d", i ? "," : "", i, i);
        wide[n++] = '}';
        int rc = vigil__json_line_parse(jl, wide, n);
        CHECK(rc == (lim == 8192 ? VIGIL__JSON_LINE_OK : VIGIL__JSON_LINE_TOO_MANY));
    }
    /* Many flattened keys force the key store to grow. */
    size_t n = 0;
    n += (size_t)snprintf(wide + n, cap - n, "{\"deep\":{");
    for (int i = 0; i < 3000; i++)
        n += (size_t)snprintf(wide + n, cap - n, "%s\"key%d\":%d", i ? "," : "", i, i);
    n += (size_t)snprintf(wide + n, cap - n, "}}");
    CHECK(vigil__json_line_parse(jl, wide, n) == VIGIL__JSON_LINE_OK);
    m = vigil__json_line_find(jl, "deep.key2999", 12);
    CHECK(m && m->v.n == 4 && memcmp(m->v.p, "2999", 4) == 0);
    m = vigil__json_line_find(jl, "deep.key0", 9);
    CHECK(m && m->v.n == 1 && m->v.p[0] == '0');
    free(wide);
    vigil__json_line_free(jl);
    vigil__json_line_free(NULL);
}

/* An allocator that fails after `left` allocations. */
static int alloc_left;
static void *fail_malloc(void *u, size_t n) { (void)u; return alloc_left-- > 0 ? malloc(n) : NULL; }
static void *fail_realloc(void *u, void *p, size_t n) { (void)u; return alloc_left-- > 0 ? realloc(p, n) : NULL; }
static void fail_free(void *u, void *p) { (void)u; free(p); }

TEST(json_line_out_of_memory)
{
    vigil_allocator a = { fail_malloc, fail_realloc, fail_free, NULL };
    for (int k = 0; k < 3; k++) {
        alloc_left = k;
        vigil__json_line *jl = NULL;
        vigil_status st = vigil__json_line_new(&jl, &a);
        CHECK(st == VIGIL_ENOMEM); /* jl, members, keys: each failure is clean */
        vigil__json_line_free(jl);
    }
    alloc_left = 3;
    vigil__json_line *jl = NULL;
    CHECK(vigil__json_line_new(&jl, &a) == VIGIL_OK);
    alloc_left = 0; /* the next growth fails */
    char *wide = malloc(200 * 12 + 8);
    size_t n = 0;
    wide[n++] = '{';
    for (int i = 0; i < 200; i++) n += (size_t)sprintf(wide + n, "%s\"k%d\":1", i ? "," : "", i);
    wide[n++] = '}';
    CHECK(vigil__json_line_parse(jl, wide, n) == VIGIL__JSON_LINE_NOMEM);
    free(wide);
    vigil__json_line_free(jl);
}
