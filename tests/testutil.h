/* SPDX-License-Identifier: MIT */
/*
 * testutil.h — shared helpers for the Check suites.
 */
#ifndef SYMDIFF_TESTUTIL_H
#define SYMDIFF_TESTUTIL_H

#include <check.h>
#include <math.h>

/* |a - b| <= tol * max(1, |a|, |b|) */
#define ck_assert_close(a, b, tol)                                             \
    do {                                                                       \
        double ck_a_ = (a), ck_b_ = (b), ck_t_ = (tol);                        \
        double ck_s_ = fabs(ck_a_) > fabs(ck_b_) ? fabs(ck_a_) : fabs(ck_b_);  \
        if (ck_s_ < 1)                                                         \
            ck_s_ = 1;                                                         \
        ck_assert_msg(fabs(ck_a_ - ck_b_) <= ck_t_ * ck_s_,                    \
                      "%s = %.17g, %s = %.17g differ by more than %g", #a,     \
                      ck_a_, #b, ck_b_, ck_t_);                                \
    } while (0)

#endif
