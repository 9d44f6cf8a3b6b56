#include "test_util.h"

int bt_passed = 0;
int bt_failed = 0;

void bt_fail(const char *file, int line, const char *what) {
    bt_failed++;
    if (bt_failed <= 50) fprintf(stderr, "FAIL %s:%d: %s\n", file, line, what);
}

int bt_summary(const char *name) {
    printf("%s: %d passed, %d failed\n", name, bt_passed, bt_failed);
    return bt_failed == 0 && bt_passed > 0 ? 0 : 1;
}
