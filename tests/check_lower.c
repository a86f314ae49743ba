/* SPDX-License-Identifier: MIT */
/*
 * check_lower.c — lowering (src/lower.c): the names a program uses, its
 * declarations and shapes, statements and rebinding, repeat, defines, the
 * located errors, and the limits.
 *
 * Through the public interface: sd_compile, the variables and the shape
 * of the output (sd_var, sd_output_shape), the values of the lowered
 * program (sd_derive(SD_FUNCTION) + sd_eval, compared at random points
 * with a program written out by hand), the lowered DAG as text
 * (sd_dump_program(p, SD_STAGE_LOWER)) and the diagnostics as data
 * (sd_diagnostic: the span must cover the very token the message is
 * about).  The limit on work, which the interface does not set, through
 * tu_compile (compile_source).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dag.h"
#include "lower.h"
#include "strbuf.h"
#include "symdiff.h"
#include "testutil.h"

/* --- helpers ------------------------------------------------------------------------------ */

/* "n=3,k=2.5" as defines (at most 4). */
static int parse_defines(const char *text, SdDefine *defs, char names[][16]) {
    int n = 0;
    while (text && *text) {
        const char *eq = strchr(text, '=');
        ck_assert_ptr_nonnull(eq);
        ck_assert_int_lt(n, 4);
        snprintf(names[n], 16, "%.*s", (int)(eq - text), text);
        char *end;
        defs[n].name = names[n];
        defs[n].value = strtod(eq + 1, &end);
        n++;
        text = *end == ',' ? end + 1 : end;
    }
    return n;
}

/* "y,x" as a list of names (at most 8). */
static int parse_names(const char *text, const char **names, char store[][16]) {
    int n = 0;
    while (text && *text) {
        size_t len = strcspn(text, ",");
        ck_assert_int_lt(n, 8);
        snprintf(store[n], 16, "%.*s", (int)len, text);
        names[n] = store[n];
        n++;
        text += len + (text[len] == ',');
    }
    return n;
}

/* Compiles `text` with the defines and variables given ("n=3", "y,x"),
 * which must succeed. */
static SdProgram *compile_ok(const char *text, const char *defines, const char *vars) {
    SdDefine defs[4];
    char dnames[4][16], vstore[8][16];
    const char *vnames[8];
    int ndefs = parse_defines(defines, defs, dnames), nvars = parse_names(vars, vnames, vstore);
    SdProgram *p;
    SdStatus st = sd_compile(text, strlen(text),
                             &(SdCompileOptions){.defines = defs, .ndefines = ndefs, .vars = nvars ? vnames : NULL,
                                                 .nvars = nvars},
                             &p);
    ck_assert_msg(st == SD_OK, "'%s' does not compile (%s):\n%s", text, sd_status_name(st),
                  p ? sd_diagnostics_text(p) : "");
    return p;
}

/* The variables as "name[:input][shape] ..." in their order. */
static void describe_vars(const SdProgram *p, char *buf, size_t size) {
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < sd_var_count(p) && at < size; i++) {
        SdVar v = sd_var(p, i);
        at += (size_t)snprintf(buf + at, size - at, "%s%s%s", i ? " " : "", v.name,
                               v.role == SD_INPUT ? ":input" : "");
        if (v.shape.rank == 1 && at < size)
            at += (size_t)snprintf(buf + at, size - at, "[%ld]", v.shape.dim[0]);
        else if (v.shape.rank == 2 && at < size)
            at += (size_t)snprintf(buf + at, size - at, "[%ld,%ld]", v.shape.dim[0], v.shape.dim[1]);
    }
}

/* The value of a scalar program at a point. */
static double value_at(SdProgram *p, const double *point) {
    SdResult *r;
    ck_assert_int_eq(sd_derive(p, &(SdRequest){.what = SD_FUNCTION}, &r), SD_OK);
    ck_assert_int_eq(sd_result_layout(r).value_size, 1);
    SdValues v;
    ck_assert_int_eq(sd_eval(r, point, &v), SD_OK);
    double y = v.value[0];
    sd_values_free(&v);
    sd_result_free(r);
    return y;
}

/* Lines of the lowered DAG that are nodes ("%k = ..."). */
static int lowered_nodes(SdProgram *p) {
    char *dump = sd_dump_program(p, SD_STAGE_LOWER);
    ck_assert_ptr_nonnull(dump);
    int n = dump[0] == '%';
    for (const char *s = dump; (s = strstr(s, "\n%")) != NULL; s++)
        n++;
    sd_free(dump);
    return n;
}

/* --- names, defines, statements, repeat: the same function as written out ------------------ */

typedef struct Same {
    const char *program;
    const char *defines; /* "name=value,..." or NULL                        */
    const char *vars;    /* its variables, in order                          */
    const char *same_as; /* a program of the same value over those variables */
} Same;

static const Same same[] = {
    /* variables in order of first appearance; assigned names, pi, e and
     * the functions are not variables */
    {"y*x + z", NULL, "y x z", "y*x + z"},
    {"a = y*x; a + z", NULL, "y x z", "y*x + z"},
    {"pi*x + e", NULL, "x", "3.141592653589793*x + 2.718281828459045"},
    {"e^x + ln(x^2)", NULL, "x", "exp(x) + log(x^2)"},
    {"sin (x) + sqrt(y)", NULL, "x y", "sin(x) + y^0.5"},
    /* resolution: the latest assignment, then a define, then pi and e, then
     * a variable */
    {"x*y", "x=3", "y", "3*y"},
    {"a = x; a*y", "a=2", "x y", "x*y"},
    {"e*x", "e=2", "x", "2*x"},
    {"k*x + k", "k=-0.5", "x", "-0.5*x - 0.5"},
    /* declarations fix the variables and their order */
    {"param b; input a; a*b + 1", NULL, "b a:input", "a*b + 1"},
    {"input y; param x; -(y*log(sigmoid(x)) + (1 - y)*log(1 - sigmoid(x)))", NULL, "y:input x",
     "y*log(1 + exp(-x)) + (1 - y)*log(1 + exp(x))"},
    /* statements rebind names; each statement sees the values before it */
    {"a = x; a = a*a; a = a*a; a", NULL, "x", "x^4"},
    {"a = x; b = a; a = y; a*b", NULL, "x y", "y*x"},
    {"a = x; b = a + 1; a = b*b; a - b", NULL, "x", "(x + 1)^2 - (x + 1)"},
    /* repeat runs its body that many times; counts are constants,
     * expressions of constants or defines */
    {"s = 0; k = 0; repeat 5 { k = k + 1; s = s + k*x } s", NULL, "x", "15*x"},
    {"s = x; repeat 3 { repeat 4 { s = s + 1 } } s", NULL, "x", "x + 12"},
    {"a = x; repeat 2 + 1 { a = 2*a } a", NULL, "x", "8*x"},
    {"l = x; repeat n { l = l*l } l", "n=3", "x", "x^8"},
    {"l = x; repeat n { l = l*l } l", "n=0", "x", "x"},
    {"repeat 0 { a = 1/0 } x", NULL, "x", "x"}, /* a body run no time has no errors */
    {"l = x; repeat 3 { l = 4*l*(1 - l) } l", NULL, "x",
     "64*x*(1 - x)*(1 - 2*x)^2*(1 - 8*x + 8*x^2)^2"},
};

START_TEST(test_lower_same_function) {
    const Same *c = &same[_i];
    SdProgram *p = compile_ok(c->program, c->defines, NULL);
    char vars[256];
    describe_vars(p, vars, sizeof vars);
    ck_assert_msg(strcmp(vars, c->vars) == 0, "'%s': variables '%s', expected '%s'", c->program, vars, c->vars);
    /* the hand-written program over the same variables, in the same order */
    char list[256] = "";
    for (int i = 0; i < sd_var_count(p); i++) {
        if (i)
            strcat(list, ",");
        strcat(list, sd_var(p, i).name);
    }
    SdProgram *q = compile_ok(c->same_as, NULL, list);
    ck_assert_int_eq(sd_point_size(q), sd_point_size(p));
    SdrtRng rng;
    sdrt_rng_seed(&rng, 1000 + (uint64_t)_i);
    for (int k = 0; k < 8; k++) {
        double pt[8];
        for (int v = 0; v < 8; v++)
            pt[v] = sdrt_rng_range(&rng, 0.1, 0.9); /* where every program here is defined */
        double a = value_at(p, pt), b = value_at(q, pt);
        ck_assert_msg(fabs(a - b) <= 1e-12 * (fabs(b) > 1 ? fabs(b) : 1),
                      "'%s' is %.17g at (%g, %g, %g), '%s' %.17g", c->program, a, pt[0], pt[1], pt[2], c->same_as,
                      b);
    }
    sd_program_free(q);
    sd_program_free(p);
}
END_TEST

/* --vars fixes the variables: unused ones stay (their derivative is 0),
 * the order is the one given, and a name outside it is an error. */
START_TEST(test_lower_vars_option) {
    SdProgram *p = compile_ok("x*y", NULL, "z,y,x");
    char vars[128];
    describe_vars(p, vars, sizeof vars);
    ck_assert_str_eq(vars, "z y x");
    sd_program_free(p);
    p = compile_ok("param w; input d; w*d", NULL, "w");
    describe_vars(p, vars, sizeof vars);
    ck_assert_str_eq(vars, "w d:input");
    sd_program_free(p);
}
END_TEST

/* --- declarations and shapes ---------------------------------------------------------------- */

typedef struct ShapeCase {
    const char *program;
    const char *vars;  /* name[:input][shape] in order                  */
    const char *out;   /* the output's shape: "" scalar, "[n]", "[m,n]" */
    long point;        /* numbers in a point                            */
} ShapeCase;

static const ShapeCase shapes[] = {
    {"x", "x", "", 1},
    {"param W[2,3], b[2]; input x[3]; sum(tanh(W @ x + b))", "W[2,3] b[2] x:input[3]", "", 11},
    {"input y; param x; x*y", "y:input x", "", 2},
    {"param a[3]; a", "a[3]", "[3]", 3},
    {"param a[3]; a[1]", "a[3]", "", 3},
    {"param A[2,3]; A'", "A[2,3]", "[3,2]", 6},
    {"param A[2,3]; input v[3]; A @ v", "A[2,3] v:input[3]", "[2]", 9},
    {"param u[2], v[2]; [u, v]", "u[2] v[2]", "[2,2]", 4},
    {"[x, x^2, y]", "x y", "[3]", 2},
    {"([x, y])", "x y", "[2]", 2},
    {"param a[1000000]; sum(a)", "a[1000000]", "", 1000000},
    {"param W[10000,10000]; W[0,0]", "W[10000,10000]", "", 100000000},
    {"param a[4]; softmax(a)", "a[4]", "[4]", 4},
    {"param u[3], v[3]; u v'", "u[3] v[3]", "[3,3]", 6},
    {"param u[3], v[3]; u' v", "u[3] v[3]", "", 6},
};

START_TEST(test_lower_shapes) {
    const ShapeCase *c = &shapes[_i];
    SdProgram *p = compile_ok(c->program, NULL, NULL);
    char vars[256], out[64] = "";
    describe_vars(p, vars, sizeof vars);
    ck_assert_msg(strcmp(vars, c->vars) == 0, "'%s': variables '%s', expected '%s'", c->program, vars, c->vars);
    SdShape s = sd_output_shape(p);
    if (s.rank == 1)
        snprintf(out, sizeof out, "[%ld]", s.dim[0]);
    else if (s.rank == 2)
        snprintf(out, sizeof out, "[%ld,%ld]", s.dim[0], s.dim[1]);
    ck_assert_msg(strcmp(out, c->out) == 0, "'%s': output '%s', expected '%s'", c->program, out, c->out);
    ck_assert_int_eq(sd_point_size(p), c->point);
    /* each variable's elements follow the previous one's in a point */
    long at = 0;
    for (int i = 0; i < sd_var_count(p); i++) {
        SdVar v = sd_var(p, i);
        ck_assert_int_eq(v.offset, at);
        ck_assert_int_eq(sd_var_find(p, v.name), i);
        at += sd_shape_numel(v.shape);
    }
    ck_assert_int_eq(at, c->point);
    sd_program_free(p);
}
END_TEST

/* --- the lowered DAG: chains, not trees ------------------------------------------------------ */

/* The logistic map l <- 4 l (1 - l) repeated n times is a chain of shared
 * nodes: a constant number of nodes a step, written with repeat or written
 * out (a subexpression written twice is shared like a named value). */
START_TEST(test_lower_chains_are_linear) {
    int repeat_nodes[41], inline_nodes[9];
    for (int n = 1; n <= 40; n++) {
        char def[16];
        snprintf(def, sizeof def, "n=%d", n);
        SdProgram *p = compile_ok("l = x; repeat n { l = 4*l*(1 - l) } l", def, NULL);
        repeat_nodes[n] = lowered_nodes(p);
        sd_program_free(p);
        if (n >= 3)
            ck_assert_msg(repeat_nodes[n] - repeat_nodes[n - 1] == repeat_nodes[n - 1] - repeat_nodes[n - 2],
                          "repeat %d: %d nodes after %d, %d", n, repeat_nodes[n], repeat_nodes[n - 1],
                          repeat_nodes[n - 2]);
    }
    ck_assert_int_le(repeat_nodes[2] - repeat_nodes[1], 5);
    /* l_{n+1} = 4*(l_n)*(1 - (l_n)), the text doubling at each step */
    char *text = malloc(2);
    ck_assert_ptr_nonnull(text);
    strcpy(text, "x");
    for (int n = 1; n <= 8; n++) {
        size_t len = strlen(text);
        char *next = malloc(2 * len + 32);
        ck_assert_ptr_nonnull(next);
        sprintf(next, "4*(%s)*(1 - (%s))", text, text);
        free(text);
        text = next;
        SdProgram *p = compile_ok(text, NULL, NULL);
        inline_nodes[n] = lowered_nodes(p);
        sd_program_free(p);
        if (n >= 3)
            ck_assert_msg(inline_nodes[n] - inline_nodes[n - 1] == inline_nodes[n - 1] - inline_nodes[n - 2],
                          "written out %d times: %d nodes after %d, %d", n, inline_nodes[n], inline_nodes[n - 1],
                          inline_nodes[n - 2]);
    }
    /* the two forms cost the same a step */
    ck_assert_int_eq(inline_nodes[8] - inline_nodes[7], repeat_nodes[8] - repeat_nodes[7]);
    free(text);
}
END_TEST

/* A named value is kept whole and shared: the DAG marks it. */
START_TEST(test_lower_named_values_shared) {
    SdProgram *p = compile_ok("a = x*y + 1; sin(a) + cos(a)", NULL, NULL);
    char *dump = sd_dump_program(p, SD_STAGE_LOWER);
    ck_assert_ptr_nonnull(dump);
    const char *add = strstr(dump, "= + ");
    ck_assert_msg(add != NULL, "%s", dump);
    const char *eol = strchr(add, '\n');
    ck_assert_msg(eol && eol - add > 6 && strncmp(eol - 6, "shared", 6) == 0, "x*y + 1 is not shared:\n%s", dump);
    sd_free(dump);
    sd_program_free(p);
}
END_TEST

/* --- located errors -------------------------------------------------------------------------- */

typedef struct Located {
    const char *program;
    const char *vars;    /* --vars, or NULL                                  */
    int line, column;    /* of the error                                     */
    const char *span;    /* the text under the caret                         */
    const char *message; /* the message starts with this                     */
} Located;

/* One program for each error lowering reports (the parser's are in
 * tests/golden/diag.test), with the place it must point at. */
static const Located located[] = {
    /* names */
    {"sin", NULL, 1, 1, "sin", "'sin' is a function; call it as sin(...)"},
    {"a = b; b = 1; a", NULL, 1, 5, "b", "'b' is used before it is assigned"},
    {"param alpha; alpah", NULL, 1, 14, "alpah", "undefined name 'alpah'; did you mean 'alpha'?"},
    {"x*y", "x", 1, 3, "y", "undefined name 'y'"},
    {"a = x;\nb = sinn(a);\nb", NULL, 2, 5, "sinn", "unknown function 'sinn'; did you mean 'sin'?"},
    /* calls */
    {"sin(x, y)", NULL, 1, 1, "sin", "'sin' expects 1 argument, got 2"},
    {"max(x)", NULL, 1, 1, "max", "'max' expects at least 2 arguments, got 1"},
    {"leaky_relu(x, 0.1, 2)", NULL, 1, 1, "leaky_relu", "'leaky_relu' expects 1 to 2 arguments, got 3"},
    {"param sum, x; sum (x)", NULL, 1, 15, "sum", "'sum' is a variable and a function"},
    {"pi(x)", NULL, 1, 1, "pi", "'pi' is a constant, not a function"},
    {"x = 1; x(2)", NULL, 1, 8, "x", "'x' is not a function; write x*(...) to multiply"},
    {"exp10(x)", NULL, 1, 1, "exp10", "unknown function 'exp10': symdiff does not have it"},
    {"foo(x)", NULL, 1, 1, "foo", "unknown function 'foo'"},
    {"leaky_relu(x, a)", NULL, 1, 15, "a", "the second argument of 'leaky_relu' must be a constant"},
    /* shapes */
    {"param a[3], b[4]; sum(a + b)", NULL, 1, 23, "a + b", "shape mismatch in 'a + b': [3] + [4]"},
    {"param W[2,3]; input x[2]; sum(W @ x)", NULL, 1, 31, "W @ x", "shape mismatch in 'W @ x': [2,3] @ [2]"},
    {"param a[3]; logsumexp(3)", NULL, 1, 23, "3", "a vector or a matrix is needed here, got scalar"},
    {"param a[3]; transpose(a)", NULL, 1, 23, "a", "'transpose' needs a matrix, got [3]"},
    {"x'", NULL, 1, 1, "x", "only a matrix has a transpose, got scalar"},
    {"param a[3]; sum(a')", NULL, 1, 17, "a'", "a vector has no transpose of its own"},
    {"param u[3]; u' u'", NULL, 1, 13, "u' u'", "two transposed vectors in a row"},
    {"param a[3]; sum(a^T)", NULL, 1, 17, "a^T", "'^T' is not a transpose: write a' for the transpose of a"},
    {"param a[3]; [a, 1]", NULL, 1, 13, "[a, 1]", "shape mismatch in '[a, 1]': [3] beside scalar"},
    /* subscripts */
    {"param W[2,2]; W[0,0,0]", NULL, 1, 15, "W[0,0,0]", "3 subscripts for a value of shape [2,2]"},
    {"param a[2]; a[0.5]", NULL, 1, 15, "0.5", "a subscript must be an integer constant"},
    {"param a[3]; a[3]", NULL, 1, 15, "3", "subscript 3 is out of range"},
    {"param a[3]; a[-1]", NULL, 1, 15, "-1", "subscript -1 is out of range"},
    /* statements and declarations */
    {"sin = 2; x", NULL, 1, 1, "sin", "cannot assign to 'sin': it is a built-in name"},
    {"pi = 3; pi", NULL, 1, 1, "pi", "cannot assign to 'pi': it is a built-in name"},
    {"param w; w = 2; w", NULL, 1, 10, "w", "cannot assign to 'w': it is a declared variable"},
    {"x = 2; x", "x", 1, 1, "x", "cannot assign to 'x': it is a declared variable"},
    {"param sin; sin", NULL, 1, 7, "sin", "cannot declare 'sin': it is a built-in name"},
    {"param a[3]; param a[2]; sum(a)", NULL, 1, 19, "a", "'a' is declared twice"},
    {"param a[2,2,2]; sum(a)", NULL, 1, 7, "a[2,2,2]", "'a' has 3 dimensions"},
    {"param a[0]; sum(a)", NULL, 1, 9, "0", "a dimension must be a positive integer (at most 1000000)"},
    {"param a[1000001]; sum(a)", NULL, 1, 9, "1000001", "a dimension must be a positive integer"},
    {"param W[10000,10001]; sum(W)", NULL, 1, 7, "W[10000,10001]", "'W' is too large"},
    {"param x[2]; sum(x)", "x", 1, 7, "x", "'x' is a vector or matrix: it cannot also be given in --vars"},
    /* repeat */
    {"repeat -1 { } x", NULL, 1, 8, "-1", "repeat count must be a non-negative integer constant"},
    {"repeat x { } x", NULL, 1, 8, "x", "repeat count must be a non-negative integer constant"},
    {"repeat 2.5 { } x", NULL, 1, 8, "2.5", "repeat count must be a non-negative integer constant"},
    {"repeat 1000000000 { } x", NULL, 1, 1, "repeat", "program does too much work (more than 10000000 steps)"},
    /* numbers and constants */
    {"1e400*x", NULL, 1, 1, "1e400", "number out of range '1e400'"},
    {"x + 1/0", NULL, 1, 7, "0", "domain error in a constant: division by zero"},
    {"a = 1/0; x + a", NULL, 1, 7, "0", "domain error in a constant: division by zero"},
    {"log(0)*x", NULL, 1, 1, "log(0)", "domain error in a constant: logarithm of a number that is not positive"},
    {"sqrt(-1) + x", NULL, 1, 1, "sqrt(-1)", "domain error in a constant: square root of a negative number"},
    {"(-8)^(1/3)*x", NULL, 1, 1, "(-8)^(1/3)", "domain error in a constant: fractional power of a negative number"},
    {"asin(2)*x", NULL, 1, 1, "asin(2)", "domain error in a constant: argument outside [-1, 1]"},
    {"x + 1e308*10", NULL, 1, 5, "1e308*10", "domain error in a constant: the value is too large for a double"},
};

START_TEST(test_lower_errors) {
    const Located *c = &located[_i];
    char vstore[8][16];
    const char *vnames[8];
    int nvars = parse_names(c->vars, vnames, vstore);
    SdProgram *p;
    size_t len = strlen(c->program);
    SdStatus st = sd_compile(c->program, len,
                             &(SdCompileOptions){.vars = nvars ? vnames : NULL, .nvars = nvars}, &p);
    ck_assert_ptr_nonnull(p);
    ck_assert_msg(st == SD_ERR_INPUT, "'%s': %s", c->program, sd_status_name(st));
    ck_assert_str_ne(sd_error_message(p), "");
    int errors = 0;
    const SdDiagnostic *first = NULL;
    for (int i = 0; i < sd_diagnostic_count(p); i++) {
        const SdDiagnostic *d = sd_diagnostic(p, i);
        ck_assert_ptr_nonnull(d);
        if (d->severity == SD_SEVERITY_ERROR && errors++ == 0)
            first = d;
    }
    ck_assert_msg(errors == 1 && first, "'%s': %d errors:\n%s", c->program, errors, sd_diagnostics_text(p));
    ck_assert_msg(strncmp(first->message, c->message, strlen(c->message)) == 0, "'%s': '%s', expected '%s...'",
                  c->program, first->message, c->message);
    ck_assert_str_eq(first->file, "<expr>");
    ck_assert_msg(first->line == c->line && first->column == c->column, "'%s': at %d:%d, expected %d:%d",
                  c->program, first->line, first->column, c->line, c->column);
    ck_assert_msg(first->offset + first->length <= len && first->length == strlen(c->span) &&
                      memcmp(c->program + first->offset, c->span, first->length) == 0,
                  "'%s': the span is '%.*s', expected '%s'", c->program, (int)first->length,
                  first->offset < len ? c->program + first->offset : "", c->span);
    /* line and column are those of the offset */
    int line = 1, col = 1;
    for (size_t i = 0; i < first->offset; i++, col++)
        if (c->program[i] == '\n')
            line++, col = 0;
    ck_assert_int_eq(line, first->line);
    ck_assert_int_eq(col, first->column);
    /* and the text the command line prints names the same place */
    char where[32];
    snprintf(where, sizeof where, "<expr>:%d:%d: error: ", c->line, c->column);
    ck_assert_ptr_nonnull(strstr(sd_diagnostics_text(p), where));
    sd_program_free(p);
}
END_TEST

/* The functions of any number of arguments take 64 at most: more are
 * refused at the function's name (64 are fine).  The others say how many
 * they take first. */
START_TEST(test_lower_too_many_arguments) {
    for (int n = 63; n <= 64; n++) {
        char text[512];
        int at = snprintf(text, sizeof text, "max(x");
        for (int i = 1; i < n; i++)
            at += snprintf(text + at, sizeof text - (size_t)at, ",x");
        snprintf(text + at, sizeof text - (size_t)at, ")");
        SdProgram *p = compile_ok(text, NULL, NULL);
        sd_program_free(p);
    }
    static const char *const functions[] = {"max", "min"};
    for (size_t f = 0; f < sizeof functions / sizeof *functions; f++) {
        char text[512];
        int at = snprintf(text, sizeof text, "y + %s(x", functions[f]);
        for (int i = 1; i < 65; i++)
            at += snprintf(text + at, sizeof text - (size_t)at, ",x");
        snprintf(text + at, sizeof text - (size_t)at, ")");
        SdProgram *p;
        ck_assert_int_eq(sd_compile(text, strlen(text), NULL, &p), SD_ERR_INPUT);
        const SdDiagnostic *d = sd_diagnostic(p, 0);
        ck_assert_ptr_nonnull(d);
        char want[64];
        snprintf(want, sizeof want, "too many arguments to '%s' (at most 64)", functions[f]);
        ck_assert_str_eq(d->message, want);
        ck_assert_int_eq(d->offset, 4);
        ck_assert_int_eq(d->length, strlen(functions[f]));
        sd_program_free(p);
    }
}
END_TEST

/* --- limits ------------------------------------------------------------------------------------ */

/* Does `text` lower within `work` steps?  When not, it must say why. */
static int lowers_within(const char *text, long work) {
    Graph *g = graph_new();
    ck_assert_ptr_nonnull(g);
    Program p;
    int ok = tu_compile(text, g, &(TuOptions){.max_work = work, .may_fail = 1}, &p) == 0;
    if (ok)
        program_free(&p);
    graph_free(g);
    ck_assert_msg(ok || strstr(tu_errors(), "program does too much work") != NULL, "%s", tu_errors());
    return ok;
}

/* The least limit on work that lets `text` lower: doubling, then
 * bisecting (below the need, lowering is refused). */
static long least_work(const char *text) {
    long lo = 1, hi = 1;
    while (!lowers_within(text, hi)) {
        lo = hi + 1;
        hi *= 2;
        ck_assert_int_lt(hi, 1L << 30);
    }
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (lowers_within(text, mid))
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Each pass of a repeat costs one step, its body's statements theirs: the
 * work is exactly linear in the count, nested counts multiply, and an
 * empty body still costs (nested empty repeats end). */
START_TEST(test_lower_work_limit) {
    long base = least_work("repeat 0 { } x");
    for (int k = 1; k <= 64; k *= 2) {
        char text[64];
        snprintf(text, sizeof text, "repeat %d { } x", k);
        ck_assert_int_eq(least_work(text), base + k);
        snprintf(text, sizeof text, "a = x; repeat %d { a = a } a", k);
        long body = least_work(text) - least_work("a = x; repeat 0 { a = a } a");
        ck_assert_msg(body == 2 * k, "repeat %d { a = a }: %ld steps", k, body);
    }
    long nested = least_work("repeat 30 { repeat 40 { } } x") - base;
    ck_assert_int_ge(nested, 30 * 40);
    ck_assert_int_le(nested, 30 * 40 + 2 * 30);
    /* one step short: one message, at the step that ran out (here the
     * final expression) */
    Graph *g = graph_new();
    Program p;
    const char *text = "a = x;\nrepeat 10 { a = a*a }\na";
    long need = least_work(text);
    ck_assert_int_eq(tu_compile(text, g, &(TuOptions){.max_work = need - 1, .may_fail = 1}, &p), -1);
    char want[128];
    snprintf(want, sizeof want, "<expr>:3:1: error: program does too much work (more than %ld steps)", need - 1);
    ck_assert_msg(strncmp(tu_errors(), want, strlen(want)) == 0, "%s", tu_errors());
    ck_assert_ptr_null(strstr(tu_errors() + 1, "<expr>:")); /* nothing after it */
    graph_free(g);
}
END_TEST

/* A graph at its node limit is a located error, not a crash: the limit
 * is exact (one node fewer than the program needs is refused). */
START_TEST(test_lower_node_limit) {
    const char *text = "l = x; repeat 30 { l = 4*l*(1 - l) } l";
    long lo = 1, hi = 4096;
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        SdProgram *p;
        SdStatus st = sd_compile(text, strlen(text), &(SdCompileOptions){.max_nodes = mid}, &p);
        ck_assert_msg(st == SD_OK || st == SD_ERR_INPUT, "%s", sd_status_name(st));
        sd_program_free(p);
        if (st == SD_OK)
            hi = mid;
        else
            lo = mid + 1;
    }
    ck_assert_int_gt(lo, 30);
    SdProgram *p;
    ck_assert_int_eq(sd_compile(text, strlen(text), &(SdCompileOptions){.max_nodes = lo}, &p), SD_OK);
    sd_program_free(p);
    ck_assert_int_eq(sd_compile(text, strlen(text), &(SdCompileOptions){.max_nodes = lo - 1}, &p), SD_ERR_INPUT);
    char want[96];
    snprintf(want, sizeof want, "expression too large: more than %ld nodes (see --max-nodes)", lo - 1);
    const SdDiagnostic *d = sd_diagnostic(p, 0);
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(d->message, want);
    ck_assert_int_eq(d->line, 1);
    ck_assert_int_gt(d->length, 0);
    sd_program_free(p);
}
END_TEST

/* Redeclaration among many names: for each size (around the growths of
 * the name index) and for a name early, in the middle and last, "param
 * n0, ..., n<n-1>, n<k>" is refused with "'n<k>' is declared twice",
 * located at the second declaration; and a use of an undeclared name
 * among them is located at the use. */
START_TEST(test_lower_many_names_redeclared) {
    static const int sizes[] = {1, 2, 31, 32, 33, 64, 65, 1000, 20000};
    for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
        int n = sizes[z];
        int picks[3] = {0, n / 2, n - 1};
        for (int w = 0; w < 4; w++) {
            StrBuf text;
            sb_init(&text);
            sb_puts(&text, "param ");
            for (int i = 0; i < n; i++)
                sb_printf(&text, "%sn%d", i ? ", " : "", i);
            char again[32];
            size_t at;
            if (w < 3) { /* declared twice */
                snprintf(again, sizeof again, "n%d", picks[w]);
                sb_puts(&text, ", ");
                at = text.len;
                sb_printf(&text, "%s;\nn0", again);
            } else { /* used, never declared */
                snprintf(again, sizeof again, "n%d", n);
                sb_puts(&text, ";\nn0 + ");
                at = text.len;
                sb_puts(&text, again);
            }
            SdProgram *p;
            SdStatus st = sd_compile(sb_str(&text), text.len, NULL, &p);
            ck_assert_ptr_nonnull(p);
            ck_assert_msg(st == SD_ERR_INPUT, "%d names, '%s': %s", n, again, sd_status_name(st));
            const SdDiagnostic *d = sd_diagnostic(p, 0);
            ck_assert_ptr_nonnull(d);
            char want[64];
            snprintf(want, sizeof want, w < 3 ? "'%s' is declared twice" : "undefined name '%s'", again);
            ck_assert_msg(strncmp(d->message, want, strlen(want)) == 0, "%d names: '%s', expected '%s'", n,
                          d->message, want);
            ck_assert_msg(d->offset == at && d->length == strlen(again), "%d names, '%s': at %zu+%zu, expected %zu",
                          n, again, (size_t)d->offset, (size_t)d->length, at);
            sd_program_free(p);
            sb_free(&text);
        }
    }
}
END_TEST

/* Many declared names, among them pairs whose hashes are equal (the name
 * index compares the names then), for each size around the growths of
 * the index: declared once, each is its own variable, in declaration
 * order, with its role (every third an input); the program sum (i+1)*v_i
 * has that value and gradient (i+1) at a point; the same names given in
 * --vars, in reverse, take that order and the declared roles; up to 1000
 * names, each name of two pairs declared again is refused, located at
 * the second declaration, with --vars as without, and one given in
 * --vars and declared a vector is refused at its declaration. */
START_TEST(test_lower_many_names_declared) {
    static const int sizes[] = {0, 1, 31, 32, 33, 64, 65, 1000, 20000};
    char pairs[16][16];
    int npairs = tu_equal_hash_names(pairs, 8);
    ck_assert_msg(npairs >= 2, "only %d pairs of names of equal hash", npairs);
    for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
        int n = 2 * npairs + sizes[z];
        char (*names)[24] = malloc((size_t)n * sizeof *names);
        const char **vars = malloc((size_t)n * sizeof *vars);
        double *point = malloc((size_t)n * sizeof *point);
        ck_assert(names && vars && point);
        for (int i = 0; i < n; i++) {
            if (i < 2 * npairs)
                snprintf(names[i], sizeof names[i], "%s", pairs[i]);
            else
                snprintf(names[i], sizeof names[i], "n%d", i);
            vars[i] = names[n - 1 - i];
            point[i] = 0.25 + (double)(i % 7);
        }
        /* param/input declarations, then the sum */
        StrBuf decls, body;
        sb_init(&decls);
        sb_init(&body);
        for (int i = 0; i < n; i++)
            sb_printf(&decls, "%s %s;\n", i % 3 == 2 ? "input" : "param", names[i]);
        for (int i = 0; i < n; i++)
            sb_printf(&body, "%s%d*%s", i ? " + " : "", i + 1, names[i]);
        for (int with_vars = 0; with_vars < 2; with_vars++) {
            StrBuf text;
            sb_init(&text);
            sb_printf(&text, "%s%s", sb_str(&decls), sb_str(&body));
            SdProgram *p;
            SdStatus st = sd_compile(sb_str(&text), text.len,
                                     &(SdCompileOptions){.vars = with_vars && n ? vars : NULL,
                                                         .nvars = with_vars ? n : 0},
                                     &p);
            ck_assert_msg(st == SD_OK, "%d names: %s", n, p ? sd_diagnostics_text(p) : "");
            ck_assert_int_eq(sd_var_count(p), n);
            double y = 0;
            for (int i = 0; i < n; i++) {
                int at = with_vars ? n - 1 - i : i; /* names[i]'s position */
                SdVar v = sd_var(p, at);
                ck_assert_str_eq(v.name, names[i]);
                ck_assert_int_eq(v.role, i % 3 == 2 ? SD_INPUT : SD_PARAM);
                y += (double)(i + 1) * point[at];
            }
            SdResult *r;
            ck_assert_int_eq(sd_derive(p, &(SdRequest){.what = SD_GRADIENT}, &r), SD_OK);
            SdValues v;
            ck_assert_int_eq(sd_eval(r, point, &v), SD_OK);
            ck_assert_close(v.value[0], y, 1e-12);
            /* a column per parameter, in the variables' order (an input
             * has none) */
            long col = 0;
            for (int at = 0; at < n; at++) {
                int i = with_vars ? n - 1 - at : at;
                if (i % 3 != 2)
                    ck_assert_close(v.deriv[col++], (double)(i + 1), 1e-12);
            }
            ck_assert_int_eq(sd_result_layout(r).cols, col);
            sd_values_free(&v);
            sd_result_free(r);
            sd_program_free(p);
            sb_free(&text);
        }
        /* the names of two pairs declared again; given in --vars, declared
         * a vector (the largest size as test_lower_many_names_redeclared) */
        for (int i = 0; i < 4 && sizes[z] <= 1000; i++)
            for (int w = 0; w < 3; w++) {
                /* w = 0: declared again; 1: given in --vars, declared (once)
                 * a vector; 2: given in --vars, declared again */
                StrBuf text;
                sb_init(&text);
                for (int j = 0; j < n; j++)
                    if (j != i || w != 1)
                        sb_printf(&text, "%s %s;\n", j % 3 == 2 ? "input" : "param", names[j]);
                sb_puts(&text, w == 1 ? "param " : "input ");
                size_t at = text.len;
                sb_printf(&text, "%s%s;\n%s", names[i], w == 1 ? "[2]" : "", sb_str(&body));
                SdProgram *p;
                SdStatus st = sd_compile(sb_str(&text), text.len,
                                         &(SdCompileOptions){.vars = w ? vars : NULL, .nvars = w ? n : 0}, &p);
                ck_assert_ptr_nonnull(p);
                ck_assert_msg(st == SD_ERR_INPUT, "%d names, '%s' again: %s", n, names[i], sd_status_name(st));
                const SdDiagnostic *d = sd_diagnostic(p, 0);
                ck_assert_ptr_nonnull(d);
                char want[96];
                snprintf(want, sizeof want,
                         w == 1 ? "'%s' is a vector or matrix: it cannot also be given in --vars"
                                : "'%s' is declared twice",
                         names[i]);
                ck_assert_msg(strcmp(d->message, want) == 0, "%d names: '%s', expected '%s'", n, d->message,
                              want);
                ck_assert_msg(d->offset == at && d->length == strlen(names[i]), "%d names, '%s': at %zu",
                              n, names[i], (size_t)d->offset);
                sd_program_free(p);
                sb_free(&text);
            }
        sb_free(&decls);
        sb_free(&body);
        free(names);
        free(vars);
        free(point);
    }
}
END_TEST

Suite *lower_suite(void); /* called by tests/runner.c */

Suite *lower_suite(void) {
    Suite *s = suite_create("lower");
    TCase *tc = tcase_create("names");
    tcase_add_loop_test(tc, test_lower_same_function, 0, (int)(sizeof same / sizeof *same));
    tcase_add_test(tc, test_lower_vars_option);
    suite_add_tcase(s, tc);

    tc = tcase_create("shapes");
    tcase_add_loop_test(tc, test_lower_shapes, 0, (int)(sizeof shapes / sizeof *shapes));
    suite_add_tcase(s, tc);

    tc = tcase_create("dag");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_lower_chains_are_linear);
    tcase_add_test(tc, test_lower_named_values_shared);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_loop_test(tc, test_lower_errors, 0, (int)(sizeof located / sizeof *located));
    tcase_add_test(tc, test_lower_many_names_redeclared);
    tcase_add_test(tc, test_lower_many_names_declared);
    tcase_add_test(tc, test_lower_too_many_arguments);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_lower_work_limit);
    tcase_add_test(tc, test_lower_node_limit);
    suite_add_tcase(s, tc);
    return s;
}
