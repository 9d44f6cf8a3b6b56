/* pool_stats: a memory pool with tags, a soft limit with a pressure
 * callback, a hard limit, statistics, and the leak report.
 *
 * Build: see CMakeLists.txt or Makefile in this folder. */
#include <stdio.h>

#include <bitnet/bitnet.h>

#define KIB ((size_t)1024)
#define MIB (1024 * KIB)

#define TRY(call)                                                                  \
    do {                                                                           \
        bn_status st_ = (call);                                                    \
        if (st_ != BN_OK) {                                                        \
            fprintf(stderr, "%s failed: %s\n", #call, bn_last_error());            \
            return 1;                                                              \
        }                                                                          \
    } while (0)

static void on_pressure(bn_pool *pool, bn_pressure old_level, bn_pressure new_level, size_t in_use, void *user) {
    (void)pool;
    (void)user;
    printf("  pressure %s -> %s at %zu KiB in use\n", bn_pressure_name(old_level), bn_pressure_name(new_level),
           in_use / KIB);
}

static void print_tag(const char *tag, size_t bytes, size_t blocks, void *user) {
    (void)user;
    printf("  %-12s %8zu KiB in %zu block%s\n", tag, bytes / KIB, blocks, blocks == 1 ? "" : "s");
}

static int print_stats(bn_pool *pool) {
    bn_pool_stats s;
    TRY(bn_pool_get_stats(pool, &s));
    printf("in use %zu KiB (requested %zu KiB, peak %zu KiB), reserved %zu KiB, %zu live blocks, "
           "fragmentation %.2f, pressure %s\n",
           s.in_use_bytes / KIB, s.requested_bytes / KIB, s.peak_in_use_bytes / KIB, s.reserved_bytes / KIB,
           s.live_blocks, s.fragmentation, bn_pressure_name(s.pressure));
    TRY(bn_pool_for_each_tag(pool, print_tag, NULL));
    return 0;
}

int main(void) {
    bn_pool_config cfg;
    bn_pool_config_default(&cfg);
    cfg.soft_limit = 4 * MIB;  /* pressure levels at 50%, 70%, 85%, 95% of this */
    cfg.hard_limit = 5 * MIB;  /* allocations past this fail cleanly */
    cfg.track_sites = 1;       /* the leak report names file:line */
    cfg.leak_stream = stdout;
    bn_pool *pool = NULL;
    TRY(bn_pool_new(&cfg, &pool));
    TRY(bn_pool_set_pressure_callback(pool, on_pressure, NULL));

    printf("allocating weights, a kv-cache and activations:\n");
    void *weights[3], *kv = NULL, *act[64];
    for (int i = 0; i < 3; i++) TRY(BN_POOL_ALLOC(pool, 1 * MIB, "weights", &weights[i]));
    TRY(BN_POOL_ALLOC(pool, 512 * KIB, "kv-cache", &kv));
    for (int i = 0; i < 64; i++) TRY(BN_POOL_ALLOC(pool, 4 * KIB, "activations", &act[i]));
    if (print_stats(pool)) return 1;

    void *too_big = NULL;
    bn_status st = bn_pool_alloc(pool, 2 * MIB, "weights", &too_big);
    printf("one more 2 MiB block: %s\n  message: %s\n", bn_status_str(st), bn_last_error());

    printf("releasing the activations and two weight blocks, then trimming:\n");
    for (int i = 0; i < 64; i++) TRY(bn_pool_release(pool, act[i]));
    for (int i = 0; i < 2; i++) TRY(bn_pool_release(pool, weights[i]));
    size_t released = 0;
    TRY(bn_pool_trim(pool, &released));
    printf("trim returned %zu KiB to the OS\n", released / KIB);
    if (print_stats(pool)) return 1;

    /* The kv-cache is released; weights[2] is left live on purpose, so
     * bn_pool_free() prints the leak report. */
    TRY(bn_pool_release(pool, kv));
    printf("destroying the pool with one block still live:\n");
    bn_pool_free(pool);
    return 0;
}
