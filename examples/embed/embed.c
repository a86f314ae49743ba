/* SPDX-License-Identifier: MIT */
/*
 * embed.c — symdiff inside another program, through symdiff.h only:
 * differentiate a string, print the derivative, evaluate it at a point,
 * and write a C kernel for it.
 *
 *   cc -Isrc examples/embed/embed.c build/libsymdiff.a -lm -o embed
 *   ./embed 'x^2*ln(x^2)' 'x=0.5' [kernel.c]
 */
#include <stdio.h>
#include <string.h>

#include "symdiff.h"

int main(int argc, char **argv) {
    const char *text = argc > 1 ? argv[1] : "x^2*ln(x^2)";
    const char *at = argc > 2 ? argv[2] : "x=0.5";
    SdProgram *p = NULL;
    SdResult *r = NULL;
    SdValues v = {0};
    SdEmitted code = {0};
    char *printed = NULL;
    double point[64];

    SdStatus st = sd_compile(text, strlen(text), &(SdCompileOptions){.file = "<arg>"}, &p);
    if (st == SD_OK)
        st = sd_derive(p, &(SdRequest){.what = SD_GRADIENT}, &r);
    if (st == SD_OK)
        st = sd_print(r, NULL, NULL, SD_TEXT, &printed); /* "2*x*(1 + ln(x^2))" */
    if (st == SD_OK) {
        fputs(printed, stdout);
        sd_free(printed);
        st = sd_point_size(p) <= 64 ? sd_point_parse(p, at, point) : SD_ERR_LIMIT;
    }
    if (st == SD_OK)
        st = sd_eval(r, point, &v);
    if (st == SD_OK)
        printf("at %s: value %.17g, first derivative %.17g\n", at, v.value[0], v.deriv[0]);
    if (st == SD_OK && argc > 3)
        st = sd_emit_c(r, &(SdEmitOptions){.name = "f", .self_contained = 1}, &code);
    if (st == SD_OK && argc > 3) {
        FILE *f = fopen(argv[3], "w");
        if (!f || fputs(code.source, f) < 0 || fclose(f) != 0)
            st = SD_ERR_INPUT;
    }
    if (st != SD_OK)
        fprintf(stderr, "%s%s\n", sd_diagnostics_text(p), sd_error_message(p));
    sd_emitted_free(&code);
    sd_values_free(&v);
    sd_result_free(r);
    sd_program_free(p);
    return st == SD_OK ? 0 : 1;
}
