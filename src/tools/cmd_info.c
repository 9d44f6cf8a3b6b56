/* `bitnet info`: what this copy of bitnet is and what it found on this
 * machine, as text or (--json) one JSON object. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* One device kind as probed. */
typedef struct device_row {
    bn_device_kind kind;
    int usable;
    int count;
    bn_device_info info; /* of index 0 when usable */
    char reason[256];    /* why not usable */
} device_row;

/* Everything `info` reports. */
typedef struct info_facts {
    uint32_t features;
    bn_isa isa, best_isa;
    const char *kernels;
    device_row devices[BN_DEVICE_KIND_COUNT];
    bn_pool_config pool;
    int threads;
    bn_device ctx_device;
} info_facts;

static void probe_device(device_row *row, bn_device_kind kind) {
    memset(row, 0, sizeof *row);
    row->kind = kind;
    if (bn_device_available(kind) != BN_OK) {
        snprintf(row->reason, sizeof row->reason, "%s", bn_last_error());
        return;
    }
    bn_device dev = {kind, 0};
    if (bn_device_count(kind, &row->count) != BN_OK || bn_device_get_info(dev, &row->info) != BN_OK) {
        snprintf(row->reason, sizeof row->reason, "%s", bn_last_error());
        return;
    }
    row->usable = 1;
}

/* Fills facts; returns 0 or the exit code of a failed library call. */
static int gather(info_facts *facts) {
    memset(facts, 0, sizeof *facts);
    facts->features = bn_cpu_features();
    facts->isa = bn_cpu_isa();
    facts->best_isa = bn_cpu_best_isa();
    facts->kernels = bn_cpu_kernels_describe();
    for (int k = 0; k < BN_DEVICE_KIND_COUNT; k++) probe_device(&facts->devices[k], (bn_device_kind)k);
    bn_pool_config_default(&facts->pool);
    bn_ctx *ctx = NULL;
    bn_status st = bn_ctx_new(NULL, &ctx);
    if (st != BN_OK) return cli_lib_error("bn_ctx_new (the default context)", st);
    facts->threads = bn_ctx_num_threads(ctx);
    facts->ctx_device = bn_ctx_device(ctx);
    bn_ctx_free(ctx);
    return 0;
}

/* ---- text ------------------------------------------------------------ */

static void text_build(void) {
    printf("bitnet %s (headers %d.%d.%d)\n\nbuild:\n", bn_version(), BITNET_VERSION_MAJOR, BITNET_VERSION_MINOR,
           BITNET_VERSION_PATCH);
    const char *p = bn_build_info();
    while (*p) {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        if (len > 0) printf("  %.*s\n", len, p);
        p += len + (nl ? 1 : 0);
    }
}

static void text_cpu(const info_facts *f) {
    const device_row *cpu = &f->devices[BN_DEVICE_CPU];
    printf("\ncpu:\n  model: %s\n  features:", cpu->usable ? cpu->info.name : "unknown");
    int any = 0;
    for (int b = 0; b < BN_CPU_FEATURE_COUNT; b++) {
        if (!(f->features & (1u << b))) continue;
        printf(" %s", bn_cpu_feature_name((bn_cpu_feature)(1u << b)));
        any = 1;
    }
    printf("%s\n  isa: %s (best this cpu supports: %s)\n", any ? "" : " none", bn_isa_name(f->isa),
           bn_isa_name(f->best_isa));
    printf("  kernels:%s\n", f->kernels ? "" : " (not reported by this build)");
    for (const char *p = f->kernels; p && *p;) {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        if (len > 0 && strncmp(p, "isa ", 4) != 0) printf("    %.*s\n", len, p);
        p += len + (nl ? 1 : 0);
    }
}

static void text_devices(const info_facts *f) {
    printf("\ndevices:\n");
    for (int k = 0; k < BN_DEVICE_KIND_COUNT; k++) {
        const device_row *d = &f->devices[k];
        printf("  %-6s ", bn_device_kind_name(d->kind));
        if (!d->usable) {
            /* The message names the function and the kind; the row says both already. */
            const char *why = d->reason, *prefix = "bn_device_available: ";
            if (strncmp(why, prefix, strlen(prefix)) == 0) why += strlen(prefix);
            if (strncmp(why, bn_device_kind_name(d->kind), strlen(bn_device_kind_name(d->kind))) == 0 &&
                why[strlen(bn_device_kind_name(d->kind))] == ':')
                why += strlen(bn_device_kind_name(d->kind)) + 2;
            printf("unavailable: %s\n", why);
            continue;
        }
        printf("available: %d device%s; %s, %d compute units, %.1f GiB\n", d->count, d->count == 1 ? "" : "s",
               d->info.name, d->info.compute_units, (double)d->info.total_memory / (1024.0 * 1024.0 * 1024.0));
    }
    printf("  default context: %s:%d, %d thread%s\n", bn_device_kind_name(f->ctx_device.kind), f->ctx_device.index,
           f->threads, f->threads == 1 ? "" : "s");
}

/* "64 MiB", "512 bytes", or "none" for 0 when zero_is_none. */
static const char *fmt_bytes(char *buf, size_t size, size_t bytes, int zero_is_none) {
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    double v = (double)bytes;
    if (bytes == 0 && zero_is_none) return "none";
    while (v >= 1024.0 && u < 4) {
        v /= 1024.0;
        u++;
    }
    snprintf(buf, size, u == 0 ? "%.0f %s" : "%.4g %s", v, units[u]);
    return buf;
}

static void text_pool(const bn_pool_config *c) {
    char a[32], b[32];
    printf("\npool (defaults):\n");
    printf("  alignment: %zu bytes\n  small blocks: up to %s\n", c->alignment,
           fmt_bytes(a, sizeof a, BN_POOL_SMALL_MAX, 0));
    printf("  hard limit: %s\n  soft limit: %s\n", fmt_bytes(a, sizeof a, c->hard_limit, 1),
           fmt_bytes(b, sizeof b, c->soft_limit, 1));
    printf("  pressure thresholds: %.2f %.2f %.2f %.2f of the soft limit\n", c->thresholds[0], c->thresholds[1],
           c->thresholds[2], c->thresholds[3]);
    printf("  arena size: %s\n  direct map from: %s\n", fmt_bytes(a, sizeof a, c->arena_size, 0),
           fmt_bytes(b, sizeof b, c->direct_map_threshold, 0));
    printf("  track sites: %s\n  leak report: %s\n", c->track_sites ? "yes" : "no", c->report_leaks ? "yes" : "no");
}

static void print_text(const info_facts *f) {
    text_build();
    text_cpu(f);
    text_devices(f);
    text_pool(&f->pool);
}

/* ---- JSON ------------------------------------------------------------ */

/* The "family isa" lines of bn_cpu_kernels_describe() as an object. */
static void json_kernels(cli_json *j, const char *desc) {
    if (!desc) {
        cli_json_str(j, "kernels", NULL);
        return;
    }
    cli_json_open(j, "kernels", '{');
    for (const char *p = desc; *p;) {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        char line[128], family[64], isa[64];
        snprintf(line, sizeof line, "%.*s", len, p);
        if (sscanf(line, "%63s %63s", family, isa) == 2 && strcmp(family, "isa") != 0) cli_json_str(j, family, isa);
        p += len + (nl ? 1 : 0);
    }
    cli_json_close(j, '}');
}

static void json_cpu(cli_json *j, const info_facts *f) {
    const device_row *cpu = &f->devices[BN_DEVICE_CPU];
    cli_json_open(j, "cpu", '{');
    cli_json_str(j, "model", cpu->usable ? cpu->info.name : NULL);
    cli_json_open(j, "features", '{');
    for (int b = 0; b < BN_CPU_FEATURE_COUNT; b++)
        cli_json_bool(j, bn_cpu_feature_name((bn_cpu_feature)(1u << b)), (f->features >> b) & 1u);
    cli_json_close(j, '}');
    cli_json_str(j, "isa", bn_isa_name(f->isa));
    cli_json_str(j, "best_isa", bn_isa_name(f->best_isa));
    json_kernels(j, f->kernels);
    cli_json_close(j, '}');
}

static void json_devices(cli_json *j, const info_facts *f) {
    cli_json_open(j, "devices", '[');
    for (int k = 0; k < BN_DEVICE_KIND_COUNT; k++) {
        const device_row *d = &f->devices[k];
        cli_json_open(j, NULL, '{');
        cli_json_str(j, "kind", bn_device_kind_name(d->kind));
        cli_json_bool(j, "available", d->usable);
        if (d->usable) {
            cli_json_num(j, "count", d->count);
            cli_json_str(j, "name", d->info.name);
            cli_json_num(j, "compute_units", d->info.compute_units);
            cli_json_num(j, "total_memory", (double)d->info.total_memory);
        } else {
            cli_json_str(j, "reason", d->reason);
        }
        cli_json_close(j, '}');
    }
    cli_json_close(j, ']');
}

static void json_pool(cli_json *j, const bn_pool_config *c) {
    cli_json_open(j, "pool_defaults", '{');
    cli_json_num(j, "alignment", (double)c->alignment);
    cli_json_num(j, "small_max", (double)BN_POOL_SMALL_MAX);
    cli_json_num(j, "hard_limit", (double)c->hard_limit);
    cli_json_num(j, "soft_limit", (double)c->soft_limit);
    cli_json_open(j, "thresholds", '[');
    for (int i = 0; i < 4; i++) cli_json_num(j, NULL, c->thresholds[i]);
    cli_json_close(j, ']');
    cli_json_num(j, "arena_size", (double)c->arena_size);
    cli_json_num(j, "direct_map_threshold", (double)c->direct_map_threshold);
    cli_json_bool(j, "track_sites", c->track_sites);
    cli_json_bool(j, "report_leaks", c->report_leaks);
    cli_json_close(j, '}');
}

static void print_json(const info_facts *f) {
    cli_json j;
    cli_json_begin(&j, stdout);
    cli_json_str(&j, "version", bn_version());
    cli_json_str(&j, "build_info", bn_build_info());
    json_cpu(&j, f);
    json_devices(&j, f);
    cli_json_open(&j, "default_context", '{');
    cli_json_str(&j, "device", bn_device_kind_name(f->ctx_device.kind));
    cli_json_num(&j, "device_index", f->ctx_device.index);
    cli_json_num(&j, "threads", f->threads);
    cli_json_close(&j, '}');
    json_pool(&j, &f->pool);
    cli_json_end(&j);
}

int cmd_info(int argc, char **argv) {
    int json = 0;
    const cli_option opts[] = {{"--json", &json, NULL}, {NULL, NULL, NULL}};
    int rc = cli_parse(cli_find("info"), argc, argv, opts);
    if (rc >= 0) return rc;
    info_facts facts;
    rc = gather(&facts);
    if (rc) return rc;
    if (json) print_json(&facts);
    else print_text(&facts);
    return CLI_EXIT_OK;
}
