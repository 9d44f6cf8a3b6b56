/* jemalloc for bench_pool without replacing the process's malloc.
 *
 * Debian's libjemalloc exports plain malloc/free, so linking it would put
 * jemalloc under glibc's figures too, and dlopen() of it fails ("cannot
 * allocate memory in static TLS block": it uses initial-exec TLS). This
 * shared object links the static PIC archive with --exclude-libs=ALL, so
 * none of jemalloc's symbols leave it, and exports only these wrappers;
 * bench_pool links it normally, which gives it static TLS at start-up. */
#include <stddef.h>

void *mallocx(size_t size, int flags);
void dallocx(void *ptr, int flags);
int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen);

__attribute__((visibility("default"))) void *bnb_je_mallocx(size_t size, int flags) { return mallocx(size, flags); }
__attribute__((visibility("default"))) void bnb_je_dallocx(void *ptr, int flags) { dallocx(ptr, flags); }
__attribute__((visibility("default"))) int bnb_je_mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp,
                                                          size_t newlen) {
    return mallctl(name, oldp, oldlenp, newp, newlen);
}
