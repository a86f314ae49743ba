/* SPDX-License-Identifier: MIT */
/*
 * check_emit_alone.c — C emitted as one self-contained text
 * (SdEmitOptions.self_contained: what the command line prints without -o
 * and what the browser playground downloads) compiles by itself, in a
 * directory holding nothing else: the header's declarations come first and
 * the source never includes a header file.  Every emitter (symbolic,
 * forward AD, reverse AD; scalar, vector-valued and tensor programs;
 * gradients, Jacobians and Hessians), in double and float, and the
 * two-file form still includes its header.
 *
 * Only symdiff.h is included, as in every client.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symdiff.h"
#include "testrun.h"
#include "testutil.h"

typedef struct AloneCase {
    const char *program;
    SdWhat what;
    int kinds; /* bit k: SdEmitKind k applies */
} AloneCase;

#define ALL_KINDS 7
#define SYMBOLIC_ONLY 1

static const AloneCase alone_cases[] = {
    {"x^2 ln(x^2)", SD_GRADIENT, ALL_KINDS},
    {"x1^2 + x1 ln(x2) + e^(x2 x3) + 2 x3", SD_GRADIENT, ALL_KINDS},
    {"x1^2 + x1 ln(x2) + e^(x2 x3) + 2 x3", SD_HESSIAN, SYMBOLIC_ONLY},
    {"[r*cos(t), r*sin(t)]", SD_GRADIENT, ALL_KINDS},
    {"param a, b; input x, y; (a*x + b - y)^2", SD_GRADIENT, ALL_KINDS},
    {"l = x; repeat 4 { l = 4*l*(1 - l) } l", SD_GRADIENT, ALL_KINDS},
    {"param W[3,4], b[3]; input x[4], y[3]; s = W @ x + b; logsumexp(s) - dot(y, s)", SD_GRADIENT,
     ALL_KINDS},
    {"param w[3], b; input x[3], y; max(0, 1 - y*(dot(w, x) + b)) + 0.01*dot(w, w)", SD_GRADIENT,
     ALL_KINDS},
    {"param W[2,3]; input x[3]; tanh(W @ x)", SD_GRADIENT, SYMBOLIC_ONLY},
};

static const char *const kind_name[] = {"symbolic", "forward", "reverse"};

START_TEST(test_self_contained_compiles_alone) {
    if (!have_compiler("cc"))
        return;
    char dir[128];
    make_temp_dir(dir, sizeof dir, "alone");
    char files[8192] = "";
    size_t used = 0;
    int nfiles = 0;
    for (size_t i = 0; i < sizeof alone_cases / sizeof *alone_cases; i++) {
        const AloneCase *c = &alone_cases[i];
        SdProgram *p = NULL;
        ck_assert_msg(sd_compile(c->program, strlen(c->program), NULL, &p) == SD_OK, "%s: %s",
                      c->program, sd_diagnostics_text(p));
        SdResult *r = NULL;
        ck_assert_msg(sd_derive(p, &(SdRequest){.what = c->what}, &r) == SD_OK, "%s: %s", c->program,
                      sd_error_message(p));
        for (int kind = 0; kind < 3; kind++) {
            for (int type = 0; type < 2; type++) {
                char name[32];
                snprintf(name, sizeof name, "k%zu_%s_%s", i, kind_name[kind], type ? "float" : "double");
                SdEmitOptions eo = {.name = name, .type = type ? SD_FLOAT : SD_DOUBLE,
                                    .kind = (SdEmitKind)kind, .self_contained = 1};
                SdEmitted code;
                SdStatus st = sd_emit_c(r, &eo, &code);
                if (!(c->kinds & (1 << kind))) {
                    /* a request that does not apply is refused, with a reason */
                    ck_assert_msg(st == SD_ERR_REQUEST || st == SD_OK, "%s %s", c->program, name);
                    if (st != SD_OK)
                        continue;
                } else {
                    ck_assert_msg(st == SD_OK, "%s (%s): %s", c->program, name, sd_error_message(p));
                }
                /* nothing to include: the declarations are in the text */
                ck_assert_msg(!strstr(code.source, ".h\""), "%s: %s includes a header", c->program, name);
                ck_assert_ptr_nonnull(strstr(code.source, "#include <math.h>"));
                char file[64];
                snprintf(file, sizeof file, "%s.c", name);
                char *path = path_join(dir, file);
                write_file(path, code.source);
                free(path);
                used += (size_t)snprintf(files + used, sizeof files - used, " %s", file);
                ck_assert(used < sizeof files);
                nfiles++;
                sd_emitted_free(&code);
            }
        }
        /* the two-file form includes its header, by the name asked for */
        SdEmitted two;
        ck_assert(sd_emit_c(r, &(SdEmitOptions){.name = "g", .header_name = "kernel.h"}, &two) == SD_OK);
        ck_assert_ptr_nonnull(strstr(two.source, "#include \"kernel.h\""));
        sd_emitted_free(&two);
        sd_result_free(r);
        sd_program_free(p);
    }
    ck_assert_int_ge(nfiles, 40);
    /* one compiler run for every kernel, in a directory with no header */
    ck_assert_int_eq(sh("cd %s && cc -std=c99 -Wall -Wextra -Wpedantic -Werror -c%s", dir, files), 0);
    remove_tree(dir);
}
END_TEST

Suite *emit_alone_suite(void); /* called by tests/runner.c */

Suite *emit_alone_suite(void) {
    Suite *s = suite_create("emit_alone");
    TCase *tc = tcase_create("self-contained");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_self_contained_compiles_alone);
    suite_add_tcase(s, tc);
    return s;
}
