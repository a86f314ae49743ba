/* SPDX-License-Identifier: MIT */
/*
 * check_textbook.c — derivatives as textbooks print them (--together).
 *
 *  - the corpus tests/data/textbook.txt ("function ; derivative" lines,
 *    standard exercises with the simplified answers textbooks give):
 *    symdiff's derivative, in the default form and with --together, equals
 *    the textbook's answer at random points where both are defined; the
 *    test reports how often each printed form is longer than the
 *    textbook's (spaces not counted) and holds --together to at most 2% of
 *    the corpus, and never longer than the default form;
 *  - --together changes no value where the derivative is defined: random
 *    programs of the fuzz generator, their gradients with and without it,
 *    at random points;
 *  - --together keeps sharing: a deep shared program (the logistic map
 *    repeated) is left as it is, at once, and a derivative with a shared
 *    fraction keeps it shared.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/exprgen.h"
#include "symdiff.h"
#include "testrun.h"
#include "testutil.h"

static SdProgram *compile_x(const char *text) {
    static const char *const x[] = {"x"};
    SdCompileOptions opt = {.vars = x, .nvars = 1};
    SdProgram *p = NULL;
    SdStatus st = sd_compile(text, strlen(text), &opt, &p);
    ck_assert_msg(st == SD_OK, "%s: %s", text, p ? sd_diagnostics_text(p) : "out of memory");
    return p;
}

static SdResult *derive(SdProgram *p, SdWhat what, int together) {
    SdRequest req = {.what = what, .together = together};
    SdResult *r = NULL;
    ck_assert_msg(sd_derive(p, &req, &r) == SD_OK, "%s", sd_error_message(p));
    return r;
}

/* The printed derivative without spaces and without "d/dx=" if it has
 * one; its length. */
static size_t printed(const SdResult *r, char *buf, size_t size) {
    char *s = NULL;
    ck_assert(sd_print(r, NULL, NULL, SD_TEXT, &s) == SD_OK);
    size_t n = 0;
    for (const char *t = s; *t; t++)
        if (*t != ' ' && *t != '\n') {
            ck_assert_msg(n + 1 < size, "%s: too long for the test's buffer", s);
            buf[n++] = *t;
        }
    buf[n] = '\0';
    sd_free(s);
    if (strncmp(buf, "d/dx=", 5) == 0) {
        memmove(buf, buf + 5, n - 5 + 1);
        n -= 5;
    }
    return n;
}

static double value_of(SdResult *r, double x, int deriv) {
    SdValues v;
    ck_assert(sd_eval(r, &x, &v) == SD_OK);
    double d = deriv ? v.deriv[0] : v.value[0];
    sd_values_free(&v);
    return d;
}

static int close_enough(double a, double b) { return fabs(a - b) <= 1e-9 * fmax(1, fmax(fabs(a), fabs(b))); }

START_TEST(test_textbook_corpus) {
    char *text = read_file("tests/data/textbook.txt");
    ck_assert_msg(text != NULL, "cannot read tests/data/textbook.txt (the suite runs from the repository)");
    int cases = 0, longer_default = 0, longer_together = 0;
    StrBuf report;
    sb_init(&report);
    uint64_t s = 88172645463325252ull;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#' || !strchr(line, ';'))
            continue;
        char *semi = strchr(line, ';');
        *semi = '\0';
        const char *f = line, *answer = semi + 1;
        cases++;
        SdProgram *p = compile_x(f), *q = compile_x(answer);
        SdResult *d = derive(p, SD_GRADIENT, 0), *t = derive(p, SD_GRADIENT, 1), *a = derive(q, SD_FUNCTION, 0);
        char pd[512], pt[512], pa[512];
        size_t ld = printed(d, pd, sizeof pd), lt = printed(t, pt, sizeof pt), la = 0;
        for (const char *c = answer; *c && la + 1 < sizeof pa; c++)
            if (*c != ' ')
                pa[la++] = *c;
        pa[la] = '\0';
        ck_assert_msg(lt <= ld, "%s: --together %s is longer than %s", f, pt, pd);
        if (ld > la)
            longer_default++;
        if (lt > la) {
            longer_together++;
            sb_printf(&report, "\n  %s: %s, the textbook %s", f, pt, pa);
        }
        /* equal to the textbook's answer where both are defined: points
         * of [-4, 4], [-1, 1] and [-1/4, 1/4] in turn (acos(2x) lives on
         * [-1/2, 1/2]) until 20 are compared */
        int compared = 0;
        for (int i = 0; i < 240 && compared < 20; i++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            double w = i % 3 == 0 ? 4 : i % 3 == 1 ? 1 : 0.25;
            double x = w * (-1 + 2 * (double)(s >> 11) / 9007199254740992.0);
            double want = value_of(a, x, 0), vd = value_of(d, x, 1), vt = value_of(t, x, 1);
            if (!isfinite(want) || !isfinite(vd) || fabs(want) > 1e8)
                continue;
            ck_assert_msg(close_enough(vd, want), "d/dx %s at %.17g: %.17g, the textbook %.17g", f, x, vd, want);
            ck_assert_msg(close_enough(vt, want), "d/dx %s at %.17g with --together (%s): %.17g, the textbook %.17g",
                          f, x, pt, vt, want);
            compared++;
        }
        ck_assert_msg(compared >= 10, "%s: compared at %d points only", f, compared);
        sd_result_free(a);
        sd_result_free(t);
        sd_result_free(d);
        sd_program_free(q);
        sd_program_free(p);
    }
    free(text);
    ck_assert_int_ge(cases, 100);
    printf("textbook corpus: %d derivatives; printed longer than the textbook: default %d (%.1f%%), "
           "--together %d (%.1f%%)%s\n",
           cases, longer_default, 100.0 * longer_default / cases, longer_together, 100.0 * longer_together / cases,
           sb_str(&report));
    ck_assert_msg(longer_together * 50 <= cases, "--together is longer than the textbook in %d of %d cases:%s",
                  longer_together, cases, sb_str(&report));
    sb_free(&report);
}
END_TEST

/* Random programs: the gradient with --together has the values of the
 * gradient without it wherever those are defined. */
START_TEST(test_together_keeps_values) {
    static Gen gen;
    int programs = 0, compared = 0, changed = 0;
    for (int p = 0; p < 400; p++) {
        uint8_t bytes[120];
        random_bytes(0x70ae7e0000ull + (uint64_t)p, bytes, sizeof bytes);
        gen_program(&gen, bytes, sizeof bytes, 4);
        StrBuf text;
        sb_init(&text);
        gen_print(&gen, &text);
        SdCompileOptions opt = {.vars = gen_var_names, .nvars = GEN_NVARS};
        SdProgram *prog = NULL;
        if (sd_compile(sb_str(&text), text.len, &opt, &prog) != SD_OK) {
            sd_program_free(prog);
            sb_free(&text);
            continue;
        }
        programs++;
        SdResult *d = derive(prog, SD_GRADIENT, 0), *t = derive(prog, SD_GRADIENT, 1);
        char *pd = NULL, *pt = NULL;
        ck_assert(sd_print(d, NULL, NULL, SD_TEXT, &pd) == SD_OK && sd_print(t, NULL, NULL, SD_TEXT, &pt) == SD_OK);
        changed += strcmp(pd, pt) != 0;
        ck_assert_msg(strlen(pt) <= strlen(pd), "%s: --together is longer:\n%s\n%s", sb_str(&text), pt, pd);
        uint64_t s = 0x2545F4914F6CDD1Dull + (uint64_t)p;
        for (int i = 0; i < 12; i++) {
            double x[GEN_NVARS];
            for (int v = 0; v < GEN_NVARS; v++) {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                x[v] = -3 + 6 * (double)(s >> 11) / 9007199254740992.0;
            }
            SdValues vd, vt;
            ck_assert(sd_eval(d, x, &vd) == SD_OK && sd_eval(t, x, &vt) == SD_OK);
            for (int v = 0; v < GEN_NVARS; v++) {
                double a = vd.deriv[v], b = vt.deriv[v];
                if (!isfinite(a) || fabs(a) > 1e6 || !isfinite(vd.value[0]))
                    continue;
                /* rewritten forms round differently: within the rounding
                 * of terms as large as the function's scale */
                ck_assert_msg(fabs(a - b) <= 1e-7 * fmax(1, fmax(fabs(a), fabs(vd.value[0]))),
                              "%s at (%g, %g, %g): d/d%s %.17g, with --together %.17g\n%s\n%s", sb_str(&text), x[0],
                              x[1], x[2], gen_var_names[v], a, b, pd, pt);
                compared++;
            }
            sd_values_free(&vd);
            sd_values_free(&vt);
        }
        sd_free(pd);
        sd_free(pt);
        sd_result_free(t);
        sd_result_free(d);
        sd_program_free(prog);
        sb_free(&text);
    }
    ck_assert_int_ge(programs, 200);
    ck_assert_int_ge(compared, 1000);
    ck_assert_int_ge(changed, 10);
}
END_TEST

/* Programs where --together once changed a value, each at its point: the
 * class is exponents that are doubles (a whole number past 64 bits),
 * whose sums and differences round (y^(e - 2) was y^e). */
START_TEST(test_together_findings) {
    static const struct {
        const char *text;
        double x[GEN_NVARS];
    } findings[] = {
        {"((silu(z)/(100 + pi))/(-(y/e))) - erfc(0.1/(y^12345678901234567890))", {-0.0135354, -2.89977, 1.70069}},
        {"1/y^2 + 1/y^12345678901234567890", {0.5, -1, 2}},
        {"x^2*y^12345678901234567890 + x/y^3", {1.5, -1, 2}},
        {"(x/y^2)*y^18446744073709551617 - sin(x)/y", {0.7, -1, 0.3}},
    };
    for (size_t i = 0; i < sizeof findings / sizeof *findings; i++) {
        SdCompileOptions opt = {.vars = gen_var_names, .nvars = GEN_NVARS};
        SdProgram *prog = NULL;
        ck_assert_msg(sd_compile(findings[i].text, strlen(findings[i].text), &opt, &prog) == SD_OK, "%s",
                      findings[i].text);
        SdResult *d = derive(prog, SD_GRADIENT, 0), *t = derive(prog, SD_GRADIENT, 1);
        SdValues vd, vt;
        ck_assert(sd_eval(d, findings[i].x, &vd) == SD_OK && sd_eval(t, findings[i].x, &vt) == SD_OK);
        for (int v = 0; v < GEN_NVARS; v++)
            ck_assert_msg(vd.deriv[v] == vt.deriv[v] || close_enough(vd.deriv[v], vt.deriv[v]) ||
                              (isnan(vd.deriv[v]) && isnan(vt.deriv[v])),
                          "%s: d/d%s %.17g, with --together %.17g", findings[i].text, gen_var_names[v], vd.deriv[v],
                          vt.deriv[v]);
        sd_values_free(&vd);
        sd_values_free(&vt);
        sd_result_free(t);
        sd_result_free(d);
        sd_program_free(prog);
    }
}
END_TEST

/* Forms the simplifier keeps for the sake of a domain or of stability,
 * and their textbook form: powers of one base merge where the simplifier
 * keeps (u^-k)^-1 and u^k u^-k (undefined at 0), sigmoid(u) is the
 * fraction 1/(1 + exp(-u)) that the stable rewrites made of it, and powers
 * of one exponent gather into the power of a polynomial (the simplifier
 * factors x out of x^3 - 2x).  Each with the default derivative's values. */
START_TEST(test_together_forms) {
    static const char *const cases[][2] = {
        {"atan(1/x)", "-1/(1+x^2)"},
        {"atan(2/x)", "-2/(4+x^2)"},
        {"atan(1/x^2)", "-2*x/(1+x^4)"},
        {"(x^2 + 1)/x", "1-1/x^2"},
        {"(x^3 + 1)/x", "2*x-1/x^2"},
        {"(x^2 + 1)/x^2", "-2/x^3"},
        {"x^2*(1 + 1/x^2)", "2*x"},
        {"exp(x)/(1 + exp(x))", "exp(x)/(1+exp(x))^2"},
        {"exp(3*x)/(1 + exp(3*x))", "3*exp(3*x)/(1+exp(3*x))^2"},
        {"exp(x)/(2 + exp(x))", "2*exp(x)/(2+exp(x))^2"},
        {"(x^3 - 2*x)^4", "4*(3*x^2-2)*(x^3-2*x)^3"},
        {"(x^2 - x)^3", "3*(2*x-1)*(x^2-x)^2"},
        {"(x^2 + x)^5", "5*(1+2*x)*(x+x^2)^4"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        SdProgram *p = compile_x(cases[i][0]);
        SdResult *d = derive(p, SD_GRADIENT, 0), *t = derive(p, SD_GRADIENT, 1);
        char pd[512], pt[512];
        size_t ld = printed(d, pd, sizeof pd), lt = printed(t, pt, sizeof pt);
        ck_assert_msg(strcmp(pt, cases[i][1]) == 0, "%s: --together %s, not %s", cases[i][0], pt, cases[i][1]);
        ck_assert_msg(lt <= ld, "%s: %s is longer than %s", cases[i][0], pt, pd);
        for (double x = -2.95; x < 3; x += 0.1) {
            double a = value_of(d, x, 1), b = value_of(t, x, 1);
            ck_assert_msg(close_enough(a, b), "%s at %g: %.17g, with --together %.17g", cases[i][0], x, a, b);
        }
        sd_result_free(t);
        sd_result_free(d);
        sd_program_free(p);
    }
}
END_TEST

/* Sharing: deep shared programs are left as they are, and quickly; a
 * fraction used twice stays one value. */
START_TEST(test_together_sharing) {
    SdProgram *p = compile_x("l = x; repeat 60 { l = 4*l*(1-l) } l");
    SdResult *d = derive(p, SD_GRADIENT, 0), *t = derive(p, SD_GRADIENT, 1);
    ck_assert_int_le(sd_result_stats(t).derivative_nodes, sd_result_stats(d).derivative_nodes);
    sd_result_free(t);
    sd_result_free(d);
    sd_program_free(p);
    /* u = 1/(1 + x) + 1/(1 - x) is used twice: its common denominator is
     * built once */
    p = compile_x("u = 1/(1 + x) + 1/(1 - x); u*sin(u)");
    d = derive(p, SD_GRADIENT, 0);
    t = derive(p, SD_GRADIENT, 1);
    SdStats sd = sd_result_stats(d), st = sd_result_stats(t);
    ck_assert_msg(st.derivative_nodes <= sd.derivative_nodes + 8, "%ld nodes with --together, %ld without",
                  (long)st.derivative_nodes, (long)sd.derivative_nodes);
    for (double x = -0.9; x < 0.9; x += 0.13)
        ck_assert(close_enough(value_of(d, x, 1), value_of(t, x, 1)));
    sd_result_free(t);
    sd_result_free(d);
    sd_program_free(p);
}
END_TEST

/* The command line: --together, its combinations and its refusals. */
START_TEST(test_together_cli) {
    static const struct {
        const char *const args[5]; /* NULL-terminated */
        int status;
        const char *out;
    } cases[] = {
        {{"--together", "(2*x)/(3*x + 2)", NULL}, 0, "4/(2 + 3*x)^2\n"},
        {{"--together", "x/(x^2 + y)", NULL}, 0, "d/dx = (y - x^2)/(y + x^2)^2\nd/dy = -x/(y + x^2)^2\n"},
        {{"--together", "--expand", "x/(1 + x)", NULL}, 2, ""},
        {{"--together", "--emit", "c", "x/(1 + x)"}, 2, ""},
        {{"--together", "param w[2]; sum(w/(1 + w))", NULL}, 2, ""}, /* as --expand */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        Run r;
        run(cases[i].args, NULL, &r);
        ck_assert_msg(r.status == cases[i].status, "%s %s: status %d: %s", cases[i].args[0], cases[i].args[1],
                      r.status, r.err);
        ck_assert_msg(strcmp(r.out, cases[i].out) == 0, "%s: %s", cases[i].args[1], r.out);
        run_free(&r);
    }
}
END_TEST

Suite *textbook_suite(void); /* called by tests/runner.c */

Suite *textbook_suite(void) {
    Suite *s = suite_create("textbook");
    TCase *tc = tcase_create("together");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_textbook_corpus);
    tcase_add_test(tc, test_together_keeps_values);
    tcase_add_test(tc, test_together_findings);
    tcase_add_test(tc, test_together_forms);
    tcase_add_test(tc, test_together_sharing);
    tcase_add_test(tc, test_together_cli);
    suite_add_tcase(s, tc);
    return s;
}
