/* Minimal test harness: CHECK macros that count, and a summary line in the
 * form CI reads ("N passed, N failed"). */
#ifndef BITNET_TEST_UTIL_H
#define BITNET_TEST_UTIL_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bitnet/bitnet.h"

extern int bt_passed;
extern int bt_failed;

void bt_fail(const char *file, int line, const char *what);

#define CHECK(cond)                                                 \
    do {                                                            \
        if (cond) bt_passed++;                                      \
        else bt_fail(__FILE__, __LINE__, #cond);                    \
    } while (0)

/* A call expected to succeed; prints bn_last_error() when it does not. */
#define CHECK_OK(call)                                                        \
    do {                                                                      \
        bn_status bt_st_ = (call);                                            \
        if (bt_st_ == BN_OK) bt_passed++;                                     \
        else {                                                                \
            char bt_msg_[512];                                                \
            snprintf(bt_msg_, sizeof bt_msg_, "%s -> %s: %s", #call,          \
                     bn_status_str(bt_st_), bn_last_error());                 \
            bt_fail(__FILE__, __LINE__, bt_msg_);                             \
        }                                                                     \
    } while (0)

/* A call expected to fail with `status` and a message containing `needle`. */
#define CHECK_ERR(call, status, needle)                                       \
    do {                                                                      \
        bn_status bt_st_ = (call);                                            \
        if (bt_st_ == (status) && strstr(bn_last_error(), (needle)) != NULL)  \
            bt_passed++;                                                      \
        else {                                                                \
            char bt_msg_[512];                                                \
            snprintf(bt_msg_, sizeof bt_msg_, "%s -> %s (%s), wanted %s with \"%s\"", \
                     #call, bn_status_str(bt_st_), bn_last_error(),            \
                     bn_status_str(status), (needle));                        \
            bt_fail(__FILE__, __LINE__, bt_msg_);                             \
        }                                                                     \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                 \
    do {                                                                      \
        double bt_a_ = (double)(a), bt_b_ = (double)(b);                      \
        if (fabs(bt_a_ - bt_b_) <= (tol)) bt_passed++;                        \
        else {                                                                \
            char bt_msg_[512];                                                \
            snprintf(bt_msg_, sizeof bt_msg_, "%s = %.17g, %s = %.17g, tol %g", \
                     #a, bt_a_, #b, bt_b_, (double)(tol));                    \
            bt_fail(__FILE__, __LINE__, bt_msg_);                             \
        }                                                                     \
    } while (0)

/* Print the summary and return the process exit code. */
int bt_summary(const char *name);

#endif
