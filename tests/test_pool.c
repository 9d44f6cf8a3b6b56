/* The memory pool against a model: random allocate/release sequences
 * (alignment, no overlap, contents kept, statistics), limits, pressure,
 * leak report, trim, invalid releases, bad configurations, failure
 * injection. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bitnet/memory.h"
#include "test_util.h"

/* ---- the model ----------------------------------------------------------------- */

#define NTAGS 4
static const char *const k_tags[NTAGS] = {NULL, "weights", "kv-cache", "activations"};

typedef struct blk {
    unsigned char *p;
    size_t size, bsize;
    uint32_t id;
    int tag;
} blk;

typedef struct model {
    blk *v;
    size_t n, cap;
    size_t requested, in_use;
    size_t tag_bytes[NTAGS], tag_blocks[NTAGS];
} model;

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static unsigned char pat(uint32_t id, size_t i) { return (unsigned char)(id * 131u + i * 7u + (i >> 8)); }

/* Small blocks are filled completely; big ones every 61 bytes plus the ends. */
static size_t fill_step(size_t size) { return size <= 4096 ? 1 : 61; }

static void fill(blk *b) {
    size_t step = fill_step(b->size);
    for (size_t i = 0; i < b->size; i += step) b->p[i] = pat(b->id, i);
    if (b->size > 0) b->p[b->size - 1] = pat(b->id, b->size - 1);
}

static int intact(const blk *b) {
    size_t step = fill_step(b->size);
    for (size_t i = 0; i < b->size; i += step)
        if (b->p[i] != pat(b->id, i)) return 0;
    return b->size == 0 || b->p[b->size - 1] == pat(b->id, b->size - 1);
}

static size_t random_size(size_t direct) {
    uint64_t r = rnd() % 1000;
    if (r < 600) return rnd() % 1025;
    if (r < 850) return rnd() % 16385;
    if (r < 950) return rnd() % (64 * 1024 + 1);
    if (r < 997) return 64 * 1024 + rnd() % (192 * 1024);
    return direct + rnd() % direct;
}

static int cmp_blk(const void *a, const void *b) {
    const blk *x = a, *y = b;
    return x->p < y->p ? -1 : x->p > y->p;
}

static int no_overlap(model *m) {
    blk *s = malloc((m->n + 1) * sizeof *s);
    memcpy(s, m->v, m->n * sizeof *s);
    qsort(s, m->n, sizeof *s, cmp_blk);
    int ok = 1;
    for (size_t i = 1; i < m->n; i++)
        if (s[i - 1].p + s[i - 1].bsize > s[i].p) ok = 0;
    free(s);
    return ok;
}

static void check_stats(bn_pool *pool, model *m) {
    bn_pool_stats st;
    CHECK_OK(bn_pool_get_stats(pool, &st));
    CHECK(st.live_blocks == m->n);
    CHECK(st.requested_bytes == m->requested);
    CHECK(st.in_use_bytes == m->in_use);
    CHECK(st.total_allocs - st.total_frees == m->n);
    CHECK(st.reserved_bytes >= st.in_use_bytes);
    CHECK(st.peak_in_use_bytes >= st.in_use_bytes);
    for (int t = 0; t < NTAGS; t++) {
        size_t bytes = 1, blocks = 1;
        CHECK_OK(bn_pool_tag_usage(pool, k_tags[t], &bytes, &blocks));
        CHECK(bytes == m->tag_bytes[t] && blocks == m->tag_blocks[t]);
    }
    /* per-class live counts */
    int nc = bn_pool_class_count(pool);
    for (int c = 0; c < nc; c++) {
        size_t bs = 0, live = 0, want = 0;
        CHECK_OK(bn_pool_class_info(pool, c, &bs, &live));
        for (size_t i = 0; i < m->n; i++)
            if (m->v[i].size <= BN_POOL_SMALL_MAX && m->v[i].bsize == bs) want++;
        if (live != want) {
            char msg[128];
            snprintf(msg, sizeof msg, "class %d (%zu bytes): %zu live, model %zu", c, bs, live, want);
            bt_fail(__FILE__, __LINE__, msg);
        } else {
            bt_passed++;
        }
    }
}

static void model_add(bn_pool *pool, model *m, size_t size, int tag, char *tagbuf, uint32_t id) {
    /* the tag goes through a reused buffer: the pool must compare contents */
    const char *t = NULL;
    if (k_tags[tag] != NULL) {
        strcpy(tagbuf, k_tags[tag]);
        t = tagbuf;
    }
    void *p = NULL;
    bn_status st = bn_pool_alloc(pool, size, t, &p);
    if (st != BN_OK) {
        CHECK_OK(st);
        return;
    }
    size_t bsize = 0;
    CHECK_OK(bn_pool_block_size(pool, p, &bsize));
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 1024;
        m->v = realloc(m->v, m->cap * sizeof *m->v);
    }
    blk b = {p, size, bsize, id, tag};
    if (bsize < size || bsize == 0) {
        char msg[128];
        snprintf(msg, sizeof msg, "block %p of %zu bytes: size %zu", p, size, bsize);
        bt_fail(__FILE__, __LINE__, msg);
    }
    fill(&b);
    m->v[m->n++] = b;
    m->requested += size;
    m->in_use += bsize;
    m->tag_bytes[tag] += bsize;
    m->tag_blocks[tag]++;
}

static void model_remove(bn_pool *pool, model *m, size_t i) {
    blk b = m->v[i];
    if (!intact(&b)) {
        char msg[128];
        snprintf(msg, sizeof msg, "block %u (%zu bytes at %p) was overwritten", b.id, b.size, (void *)b.p);
        bt_fail(__FILE__, __LINE__, msg);
    }
    CHECK_OK(bn_pool_release(pool, b.p));
    m->v[i] = m->v[--m->n];
    m->requested -= b.size;
    m->in_use -= b.bsize;
    m->tag_bytes[b.tag] -= b.bsize;
    m->tag_blocks[b.tag]--;
}

static void random_ops(size_t alignment, int ops) {
    bn_pool_config cfg;
    bn_pool_config_default(&cfg);
    cfg.alignment = alignment;
    cfg.direct_map_threshold = 512 * 1024;
    cfg.arena_size = 1 << 20;
    bn_pool *pool = NULL;
    CHECK_OK(bn_pool_new(&cfg, &pool));
    if (pool == NULL) return;
    model m;
    memset(&m, 0, sizeof m);
    char tagbuf[32];
    int bad_align = 0;
    for (int op = 0; op < ops; op++) {
        /* drift between growing and shrinking phases */
        int grow = ((op / 5000) % 2 == 0) ? 60 : 40;
        if (m.n == 0 || (int)(rnd() % 100) < grow) {
            model_add(pool, &m, random_size(cfg.direct_map_threshold), (int)(rnd() % NTAGS), tagbuf, (uint32_t)op);
            if (m.n > 0 && ((uintptr_t)m.v[m.n - 1].p & (alignment - 1)) != 0) bad_align++;
        } else {
            model_remove(pool, &m, rnd() % m.n);
        }
        if (op % 4999 == 0) {
            CHECK(no_overlap(&m));
            check_stats(pool, &m);
        }
    }
    CHECK(bad_align == 0);
    CHECK(no_overlap(&m));
    check_stats(pool, &m);
    while (m.n > 0) model_remove(pool, &m, m.n - 1);
    check_stats(pool, &m);
    bn_pool_stats st;
    CHECK_OK(bn_pool_get_stats(pool, &st));
    CHECK(st.in_use_bytes == 0 && st.live_blocks == 0);
    free(m.v);
    bn_pool_free(pool);
}

/* ---- size classes ------------------------------------------------------------------ */

static void test_classes(void) {
    bn_pool *pool = NULL;
    CHECK_OK(bn_pool_new(NULL, &pool));
    int n = bn_pool_class_count(pool);
    CHECK(n > 16 && n <= 96);
    size_t prev = 0, bs = 0;
    int ok = 1;
    for (int c = 0; c < n; c++) {
        CHECK_OK(bn_pool_class_info(pool, c, &bs, NULL));
        if (bs % 64 != 0 || bs <= prev) ok = 0;
        prev = bs;
    }
    CHECK(ok);
    CHECK(prev == BN_POOL_SMALL_MAX);
    CHECK_ERR(bn_pool_class_info(pool, n, &bs, NULL), BN_ERR_OUT_OF_RANGE, "index");
    /* rounding waste above 1 KiB stays under 25% */
    double worst = 0;
    for (size_t s = 1025; s <= BN_POOL_SMALL_MAX; s += 7) {
        void *p;
        size_t got;
        CHECK_OK(bn_pool_alloc(pool, s, NULL, &p));
        CHECK_OK(bn_pool_block_size(pool, p, &got));
        double w = (double)(got - s) / (double)s;
        if (w > worst) worst = w;
        CHECK_OK(bn_pool_release(pool, p));
    }
    CHECK(worst < 0.25);
    void *a, *b;
    CHECK_OK(bn_pool_alloc(pool, 0, NULL, &a));
    CHECK_OK(bn_pool_alloc(pool, 0, NULL, &b));
    CHECK(a != b);
    CHECK_OK(bn_pool_release(pool, a));
    CHECK_OK(bn_pool_release(pool, b));
    bn_pool_free(pool);
}

/* ---- limits -------------------------------------------------------------------------- */

static void test_hard_limit(void) {
    bn_pool_config cfg;
    bn_pool_config_default(&cfg);
    cfg.hard_limit = 4 << 20;
    bn_pool *pool = NULL;
    CHECK_OK(bn_pool_new(&cfg, &pool));
    void *big[5];
    for (int i = 0; i < 4; i++) CHECK_OK(bn_pool_alloc(pool, 1 << 20, "big", &big[i]));
    bn_pool_stats before, after;
    CHECK_OK(bn_pool_get_stats(pool, &before));
    CHECK_ERR(bn_pool_alloc(pool, 1 << 20, "big", &big[4]), BN_ERR_OUT_OF_MEMORY,
              "bn_pool_alloc: hard limit 4194304 bytes would be passed: 4194304 in use, 1048576 requested");
    CHECK_OK(bn_pool_get_stats(pool, &after));
    CHECK(after.live_blocks == before.live_blocks && after.in_use_bytes == before.in_use_bytes);
    CHECK(after.failed_allocs == before.failed_allocs + 1);
    CHECK(after.total_allocs == before.total_allocs);
    CHECK_OK(bn_pool_release(pool, big[3]));
    CHECK_OK(bn_pool_alloc(pool, 1 << 20, "big", &big[3]));
    for (int i = 0; i < 4; i++) CHECK_OK(bn_pool_release(pool, big[i]));

    /* small blocks: refused within 64 KiB of the limit (one thread) */
    CHECK_OK(bn_pool_set_hard_limit(pool, 1 << 20));
    enum { MAXB = 4096 };
    static void *p[MAXB];
    int n = 0;
    bn_status st = BN_OK;
    while (n < MAXB && (st = bn_pool_alloc(pool, 1000, NULL, &p[n])) == BN_OK) n++;
    CHECK(st == BN_ERR_OUT_OF_MEMORY);
    CHECK(strstr(bn_last_error(), "hard limit 1048576 bytes would be passed") != NULL);
    size_t used = (size_t)n * 1024;
    CHECK(used <= (1u << 20) + 64 * 1024 && used + 64 * 1024 >= (1u << 20));
    CHECK_OK(bn_pool_get_stats(pool, &after));
    CHECK(after.live_blocks == (size_t)n && after.in_use_bytes == used);
    CHECK_ERR(bn_pool_alloc(pool, 1000, NULL, &p[n]), BN_ERR_OUT_OF_MEMORY, "hard limit");
    CHECK_OK(bn_pool_get_stats(pool, &before));
    CHECK(before.live_blocks == (size_t)n);
    for (int i = 0; i < 200; i++) CHECK_OK(bn_pool_release(pool, p[--n]));
    CHECK_OK(bn_pool_alloc(pool, 1000, NULL, &p[n]));
    n++;
    while (n > 0) CHECK_OK(bn_pool_release(pool, p[--n]));
    CHECK_OK(bn_pool_set_hard_limit(pool, 0));
    bn_pool_free(pool);
}

typedef struct pressure_log {
    int n;
    bn_pressure from[32], to[32];
    size_t in_use[32];
} pressure_log;

static void on_pressure(bn_pool *pool, bn_pressure old_level, bn_pressure new_level, size_t in_use, void *user) {
    pressure_log *l = user;
    if (l->n < 32) {
        l->from[l->n] = old_level;
        l->to[l->n] = new_level;
        l->in_use[l->n] = in_use;
        l->n++;
    }
    (void)pool;
}

static void test_pressure(void) {
    bn_pool_config cfg;
    bn_pool_config_default(&cfg);
    cfg.soft_limit = (size_t)100 << 20;
    bn_pool *pool = NULL;
    CHECK_OK(bn_pool_new(&cfg, &pool));
    pressure_log log;
    memset(&log, 0, sizeof log);
    CHECK_OK(bn_pool_set_pressure_callback(pool, on_pressure, &log));
    void *b[20];
    for (int i = 0; i < 20; i++) CHECK_OK(bn_pool_alloc(pool, (size_t)5 << 20, "act", &b[i]));
    CHECK(bn_pool_pressure(pool) == BN_PRESSURE_CRITICAL);
    for (int i = 19; i >= 0; i--) CHECK_OK(bn_pool_release(pool, b[i]));
    CHECK(bn_pool_pressure(pool) == BN_PRESSURE_NONE);
    static const bn_pressure want_to[8] = {1, 2, 3, 4, 3, 2, 1, 0};
    static const size_t want_mib[8] = {50, 70, 85, 95, 90, 80, 65, 45};
    CHECK(log.n == 8);
    for (int i = 0; i < log.n && i < 8; i++) {
        CHECK(log.to[i] == want_to[i]);
        CHECK(log.from[i] == (i == 0 ? BN_PRESSURE_NONE : want_to[i - 1]));
        CHECK(log.in_use[i] == want_mib[i] << 20);
    }
    /* changing the soft limit re-evaluates */
    CHECK_OK(bn_pool_alloc(pool, (size_t)30 << 20, NULL, &b[0]));
    CHECK_OK(bn_pool_set_soft_limit(pool, (size_t)31 << 20));
    CHECK(bn_pool_pressure(pool) == BN_PRESSURE_CRITICAL);
    CHECK_OK(bn_pool_set_soft_limit(pool, 0));
    CHECK(bn_pool_pressure(pool) == BN_PRESSURE_NONE);
    CHECK_OK(bn_pool_release(pool, b[0]));
    CHECK(strcmp(bn_pressure_name(BN_PRESSURE_HIGH), "high") == 0);
    bn_pool_free(pool);
}

/* ---- leak report ------------------------------------------------------------------------ */

static char *read_all(FILE *f) {
    static char buf[8192];
    rewind(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    return buf;
}

static void test_leak_report(void) {
    bn_pool_config cfg;
    bn_pool_config_default(&cfg);
    cfg.track_sites = 1;
    FILE *f = tmpfile();
    cfg.leak_stream = f;
    bn_pool *pool = NULL;
    CHECK_OK(bn_pool_new(&cfg, &pool));
    void *a, *b, *c, *d;
    int la = __LINE__ + 1;
    CHECK_OK(BN_POOL_ALLOC(pool, 4096, "weights", &a));
    int lb = __LINE__ + 1;
    CHECK_OK(BN_POOL_ALLOC(pool, 100, "kv-cache", &b));
    int lc = __LINE__ + 1;
    CHECK_OK(BN_POOL_ALLOC(pool, 200000, NULL, &c));
    CHECK_OK(bn_pool_alloc(pool, 50, "gone", &d));
    CHECK_OK(bn_pool_release(pool, d));
    FILE *r = tmpfile();
    size_t live = 0;
    CHECK_OK(bn_pool_leak_report(pool, r, &live));
    CHECK(live == 3);
    char want[1024];
    snprintf(want, sizeof want,
             "leak: 200000 bytes (tag untagged) at %s:%d\n"
             "leak: 4096 bytes (tag weights) at %s:%d\n"
             "leak: 100 bytes (tag kv-cache) at %s:%d\n"
             "3 blocks, 204196 bytes live\n",
             __FILE__, lc, __FILE__, la, __FILE__, lb);
    char *got = read_all(r);
    CHECK(strcmp(got, want) == 0);
    if (strcmp(got, want) != 0) fprintf(stderr, "got:\n%swanted:\n%s", got, want);
    fclose(r);
    CHECK_OK(bn_pool_release(pool, a));
    CHECK_OK(bn_pool_release(pool, c));
    bn_pool_free(pool); /* one block live: reported to f */
    got = read_all(f);
    CHECK(strstr(got, "leak: 100 bytes (tag kv-cache) at ") != NULL);
    CHECK(strstr(got, "1 blocks, 100 bytes live") != NULL);
    fclose(f);

    /* nothing live: nothing written */
    f = tmpfile();
    cfg.leak_stream = f;
    cfg.track_sites = 0;
    CHECK_OK(bn_pool_new(&cfg, &pool));
    CHECK_OK(bn_pool_alloc(pool, 10, "x", &a));
    CHECK_OK(bn_pool_release(pool, a));
    bn_pool_free(pool);
    CHECK(strcmp(read_all(f), "") == 0);
    fclose(f);
}

/* ---- tags ------------------------------------------------------------------------------------ */

static void visit_tag(const char *tag, size_t bytes, size_t blocks, void *user) {
    char *out = user;
    char line[96];
    snprintf(line, sizeof line, "%s=%zu/%zu;", tag, bytes, blocks);
    strcat(out, line);
}

static void test_tags(void) {
    bn_pool *pool = NULL;
    CHECK_OK(bn_pool_new(NULL, &pool));
    void *p[80];
    char name[40];
    CHECK_OK(bn_pool_alloc(pool, 64, "b", &p[0]));
    CHECK_OK(bn_pool_alloc(pool, 64, NULL, &p[1]));
    CHECK_OK(bn_pool_alloc(pool, 128, "a", &p[2]));
    char out[8192] = "";
    CHECK_OK(bn_pool_for_each_tag(pool, visit_tag, out));
    CHECK(strcmp(out, "b=64/1;untagged=64/1;a=128/1;") == 0);
    /* more tags than the table holds: the rest count as "other" */
    for (int i = 3; i < 80; i++) {
        snprintf(name, sizeof name, "tag%d", i);
        CHECK_OK(bn_pool_alloc(pool, 64, name, &p[i]));
    }
    size_t bytes = 0, blocks = 0;
    CHECK_OK(bn_pool_tag_usage(pool, "other", &bytes, &blocks));
    CHECK(blocks == 80 - 3 - (BN_POOL_MAX_TAGS - 4) && bytes == blocks * 64);
    CHECK_OK(bn_pool_tag_usage(pool, "never-seen", &bytes, &blocks));
    CHECK(bytes == 0 && blocks == 0);
    memset(name, 'x', 39);
    name[39] = 0;
    CHECK_ERR(bn_pool_alloc(pool, 64, name, &p[0]), BN_ERR_INVALID_ARGUMENT, "longer than 31");
    for (int i = 0; i < 80; i++) CHECK_OK(bn_pool_release(pool, p[i]));
    bn_pool_free(pool);
}

/* ---- trim ---------------------------------------------------------------------------------------- */

static void test_trim(void) {
    bn_pool *pool = NULL;
    CHECK_OK(bn_pool_new(NULL, &pool));
    enum { NS = 20000, NL = 24 };
    static void *s[NS];
    void *l[NL];
    for (int i = 0; i < NS; i++) CHECK_OK(bn_pool_alloc(pool, 1 + (size_t)(i % 3000), NULL, &s[i]));
    for (int i = 0; i < NL; i++) CHECK_OK(bn_pool_alloc(pool, (size_t)(1 + i % 5) << 20, NULL, &l[i]));
    for (int i = 0; i < NS; i++) CHECK_OK(bn_pool_release(pool, s[i]));
    for (int i = 0; i < NL; i += 2) CHECK_OK(bn_pool_release(pool, l[i])); /* holes: pages inside free blocks */
    bn_pool_stats before, mid, after;
    CHECK_OK(bn_pool_get_stats(pool, &before));
    size_t released = 0;
    CHECK_OK(bn_pool_trim(pool, &released));
    CHECK_OK(bn_pool_get_stats(pool, &mid));
    CHECK(released > (size_t)10 << 20);
    CHECK(mid.reserved_bytes + released == before.reserved_bytes);
    for (int i = 1; i < NL; i += 2) CHECK_OK(bn_pool_release(pool, l[i]));
    CHECK_OK(bn_pool_trim(pool, &released));
    CHECK_OK(bn_pool_get_stats(pool, &after));
    CHECK(after.reserved_bytes < (size_t)4 << 20); /* only the current spans remain */
    CHECK(released > 0);
    /* still works, and reused memory is writable */
    for (int i = 0; i < NS; i += 7) {
        CHECK_OK(bn_pool_alloc(pool, 1 + (size_t)(i % 3000), NULL, &s[i]));
        memset(s[i], 0xAB, 1 + (size_t)(i % 3000));
    }
    for (int i = 0; i < NL; i++) {
        CHECK_OK(bn_pool_alloc(pool, (size_t)(1 + i % 5) << 20, NULL, &l[i]));
        memset(l[i], 0xCD, (size_t)(1 + i % 5) << 20);
    }
    for (int i = 0; i < NS; i += 7) CHECK_OK(bn_pool_release(pool, s[i]));
    for (int i = 0; i < NL; i++) CHECK_OK(bn_pool_release(pool, l[i]));
    CHECK_OK(bn_pool_get_stats(pool, &after));
    CHECK(after.live_blocks == 0 && after.in_use_bytes == 0);
    CHECK(after.large_free_bytes > 0 && after.fragmentation >= 0.0 && after.fragmentation < 1.0);
    bn_pool_free(pool);
}

/* ---- invalid releases ------------------------------------------------------------------------------ */

static void test_invalid(void) {
    bn_pool_config cfg;
    bn_pool_config_default(&cfg);
    cfg.direct_map_threshold = 1 << 20;
    bn_pool *pool = NULL, *other = NULL;
    CHECK_OK(bn_pool_new(&cfg, &pool));
    CHECK_OK(bn_pool_new(NULL, &other));
    void *s, *l, *d, *o, *t;
    CHECK_OK(bn_pool_alloc(pool, 100, NULL, &s));
    CHECK_OK(bn_pool_alloc(pool, 3000, NULL, &t));
    CHECK_OK(bn_pool_alloc(pool, 200000, NULL, &l));
    CHECK_OK(bn_pool_alloc(pool, 2 << 20, NULL, &d));
    CHECK_OK(bn_pool_alloc(other, 100, NULL, &o));
    bn_pool_stats before, after;
    CHECK_OK(bn_pool_get_stats(pool, &before));
    int local = 0;
    void *heap = malloc(100);
    CHECK_ERR(bn_pool_release(pool, &local), BN_ERR_INVALID_ARGUMENT, "not a live block");
    CHECK_ERR(bn_pool_release(pool, heap), BN_ERR_INVALID_ARGUMENT, "not a live block");
    CHECK_ERR(bn_pool_release(pool, (char *)s + 64), BN_ERR_INVALID_ARGUMENT, "not a live block");
    CHECK_ERR(bn_pool_release(pool, (char *)s + 16), BN_ERR_INVALID_ARGUMENT, "not a live block");
    CHECK_ERR(bn_pool_release(pool, (char *)s - 64), BN_ERR_INVALID_ARGUMENT, "not a live block");
    /* past the last slot of a span whose size is not a multiple of the class
     * (3072-byte slots: 21 in a 64 KiB span, then a 1 KiB tail) */
    char *tail = (char *)((uintptr_t)t & ~(uintptr_t)0xffff) + 21 * 3072;
    CHECK_ERR(bn_pool_release(pool, tail), BN_ERR_INVALID_ARGUMENT, "not a live block");
    CHECK_ERR(bn_pool_release(pool, tail + 64), BN_ERR_INVALID_ARGUMENT, "not a live block");
    /* inside the small reserve but past the spans carved so far */
    CHECK_ERR(bn_pool_release(pool, (char *)s + ((size_t)32 << 20)), BN_ERR_INVALID_ARGUMENT, "not a live block");
    CHECK_ERR(bn_pool_release(pool, (char *)l + 4096), BN_ERR_INVALID_ARGUMENT, "not a live block");
    CHECK_ERR(bn_pool_release(pool, (char *)d + 64), BN_ERR_INVALID_ARGUMENT, "not a live block");
    CHECK_ERR(bn_pool_release(pool, o), BN_ERR_INVALID_ARGUMENT, "not a live block");
    size_t bs;
    CHECK_ERR(bn_pool_block_size(pool, heap, &bs), BN_ERR_INVALID_ARGUMENT, "bn_pool_block_size");
    free(heap);
    CHECK_OK(bn_pool_get_stats(pool, &after));
    CHECK(memcmp(&before, &after, sizeof before) == 0);
    CHECK_OK(bn_pool_release(pool, s));
    CHECK_OK(bn_pool_release(pool, t));
    CHECK_OK(bn_pool_release(pool, l));
    CHECK_OK(bn_pool_release(pool, d));
    CHECK_OK(bn_pool_get_stats(pool, &before));
    CHECK_ERR(bn_pool_release(pool, s), BN_ERR_INVALID_ARGUMENT, "already released");
    CHECK_ERR(bn_pool_release(pool, l), BN_ERR_INVALID_ARGUMENT, "already released");
    CHECK_ERR(bn_pool_release(pool, d), BN_ERR_INVALID_ARGUMENT, "already released");
    CHECK_OK(bn_pool_get_stats(pool, &after));
    CHECK(memcmp(&before, &after, sizeof before) == 0);
    CHECK_OK(bn_pool_release(pool, NULL));
    CHECK_ERR(bn_pool_release(NULL, s), BN_ERR_INVALID_ARGUMENT, "pool");
    CHECK_ERR(bn_pool_alloc(pool, 10, NULL, NULL), BN_ERR_INVALID_ARGUMENT, "ptr is NULL");
    CHECK_OK(bn_pool_release(other, o));
    bn_pool_free(other);
    bn_pool_free(pool);
}

static void test_bad_configs(void) {
    bn_pool_config cfg;
    bn_pool *pool = NULL;
    bn_pool_config_default(&cfg);
    cfg.alignment = 48;
    CHECK_ERR(bn_pool_new(&cfg, &pool), BN_ERR_INVALID_ARGUMENT, "alignment 48 is not a power of two");
    cfg.alignment = 8192;
    CHECK_ERR(bn_pool_new(&cfg, &pool), BN_ERR_INVALID_ARGUMENT, "alignment 8192");
    cfg.alignment = 8;
    CHECK_ERR(bn_pool_new(&cfg, &pool), BN_ERR_INVALID_ARGUMENT, "alignment 8");
    bn_pool_config_default(&cfg);
    cfg.thresholds[2] = 0.6;
    CHECK_ERR(bn_pool_new(&cfg, &pool), BN_ERR_INVALID_ARGUMENT, "thresholds[2] = 0.6 after 0.7");
    bn_pool_config_default(&cfg);
    cfg.thresholds[3] = 1.5;
    CHECK_ERR(bn_pool_new(&cfg, &pool), BN_ERR_INVALID_ARGUMENT, "thresholds[3] = 1.5");
    bn_pool_config_default(&cfg);
    cfg.thresholds[0] = 0.0;
    CHECK_ERR(bn_pool_new(&cfg, &pool), BN_ERR_INVALID_ARGUMENT, "thresholds[0] = 0");
    bn_pool_config_default(&cfg);
    cfg.direct_map_threshold = 4096;
    CHECK_ERR(bn_pool_new(&cfg, &pool), BN_ERR_INVALID_ARGUMENT, "direct_map_threshold 4096");
    bn_pool_config_default(&cfg);
    cfg.arena_size = 1000;
    CHECK_ERR(bn_pool_new(&cfg, &pool), BN_ERR_INVALID_ARGUMENT, "arena_size 1000");
    CHECK(pool == NULL);
    CHECK_ERR(bn_pool_new(NULL, NULL), BN_ERR_INVALID_ARGUMENT, "bn_pool_new");
    bn_pool_free(NULL);
}

/* ---- failure injection ----------------------------------------------------------------------------- */

static void test_fail_nth(void) {
    bn_pool *pool = NULL;
    CHECK_OK(bn_pool_new(NULL, &pool));
    void *p[4];
    CHECK_OK(bn_pool_alloc(pool, 64, NULL, &p[0])); /* warm: heap and span exist */
    CHECK_OK(bn_pool_release(pool, p[0]));
    bn_pool_stats st;
    CHECK_OK(bn_pool_get_stats(pool, &st));
    uint64_t failed = st.failed_allocs;
    bn_debug_fail_nth_alloc(3);
    CHECK_OK(bn_pool_alloc(pool, 64, NULL, &p[0]));
    CHECK_OK(bn_pool_alloc(pool, 64, NULL, &p[1]));
    CHECK_ERR(bn_pool_alloc(pool, 64, NULL, &p[2]), BN_ERR_OUT_OF_MEMORY, "injection");
    CHECK_OK(bn_pool_alloc(pool, 64, NULL, &p[3]));
    CHECK(bn_debug_alloc_count() == 4);
    bn_debug_fail_nth_alloc(0);
    CHECK_OK(bn_pool_get_stats(pool, &st));
    CHECK(st.failed_allocs == failed + 1 && st.live_blocks == 3);
    CHECK_OK(bn_pool_release(pool, p[0]));
    CHECK_OK(bn_pool_release(pool, p[1]));
    CHECK_OK(bn_pool_release(pool, p[3]));
    bn_pool_free(pool);

    /* walk the failure through creation, bookkeeping and blocks: every
     * failure is a clean BN_ERR_OUT_OF_MEMORY and nothing is left behind */
    static const size_t sizes[6] = {10, 5000, 40000, 300000, 70 << 20, 100};
    int failures = 0;
    for (long n = 1; n <= 40; n++) {
        bn_debug_fail_nth_alloc(n);
        bn_status st0 = bn_pool_new(NULL, &pool);
        if (st0 != BN_OK) {
            CHECK(st0 == BN_ERR_OUT_OF_MEMORY);
            failures++;
            continue;
        }
        void *q[6] = {0};
        for (int i = 0; i < 6; i++) {
            bn_status s = bn_pool_alloc(pool, sizes[i], i % 2 ? "t" : NULL, &q[i]);
            if (s != BN_OK) {
                CHECK(s == BN_ERR_OUT_OF_MEMORY);
                q[i] = NULL;
                failures++;
            }
        }
        for (int i = 0; i < 6; i++) CHECK_OK(bn_pool_release(pool, q[i]));
        bn_debug_fail_nth_alloc(0);
        CHECK_OK(bn_pool_get_stats(pool, &st));
        CHECK(st.live_blocks == 0 && st.in_use_bytes == 0 && st.requested_bytes == 0);
        void *x;
        CHECK_OK(bn_pool_alloc(pool, 100, NULL, &x));
        CHECK_OK(bn_pool_release(pool, x));
        bn_pool_free(pool);
    }
    bn_debug_fail_nth_alloc(0);
    CHECK(failures >= 10);
}

int main(void) {
    test_classes();
    test_bad_configs();
    random_ops(64, 40000);
    random_ops(16, 15000);
    random_ops(4096, 8000);
    test_hard_limit();
    test_pressure();
    test_leak_report();
    test_tags();
    test_trim();
    test_invalid();
    test_fail_nth();
    return bt_summary("test_pool");
}
