/* SPDX-License-Identifier: MIT */
/*
 * exprgen.c — random valid programs and their reference values (see
 * exprgen.h).
 */
#include "exprgen.h"

#include "dag.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const gen_var_names[GEN_NVARS] = {"x", "y", "z"};

/* The functions a program may call: every row of builtins.def under its
 * name and under its alias, then sqrt and pow (powers, not rows).
 * `konst`: the optional last argument must be a literal. */
enum { F_SQRT = BI_COUNT, F_POW };

typedef struct Function {
    const char *name;
    int fn; /* a Builtin, F_SQRT or F_POW */
    int min, max, konst;
} Function;

/* Function i of that list (0 <= i < nfunctions()). */
static Function function_at(int i) {
    Function f = {NULL, F_SQRT, 1, 1, 0};
    for (int b = 0; b < BI_COUNT; b++) {
        const BuiltinInfo *r = &builtin_info[b];
        if (b == BI_PI)
            continue; /* a constant: GEN_PI */
        for (int spelling = 0; spelling < 2; spelling++) {
            if (spelling == 1 && !r->alias)
                break;
            if (i-- == 0) {
                f.name = spelling ? r->alias : r->name;
                f.fn = b;
                f.min = r->min_args;
                /* min and max take any number of arguments */
                f.max = b == BI_MIN || b == BI_MAX ? 3 : r->max_args;
                f.konst = r->dflt != NULL;
                return f;
            }
        }
    }
    if (i == 0)
        return (Function){"sqrt", F_SQRT, 1, 1, 0};
    return (Function){"pow", F_POW, 2, 2, 0};
}

static unsigned nfunctions(void) {
    unsigned n = 2; /* sqrt, pow */
    for (int b = 0; b < BI_COUNT; b++)
        n += b != BI_PI ? 1 + (builtin_info[b].alias != NULL) : 0;
    return n;
}

/* Literals: small and exact, decimal, with exponents, and one integer too
 * large for 64 bits (it becomes a double). */
static const char *const literals[] = {
    "0", "1", "2", "3", "4", "0.5", "1.5", "0.25", "10", "100", "1e-3", "2.5e1", "7", "0.1",
    "1e3", "12345678901234567890", "3.14159", ".75", "2E2", "0.3",
};
#define NLITERALS (sizeof literals / sizeof literals[0])

/* Exponents of powers: mostly small constants, as people write them. */
static const char *const exponents[] = {"2", "3", "0.5", "4", "1", "0", "5", "0.25"};

unsigned gen_byte(GenBytes *b) { return b->pos < b->size ? b->data[b->pos++] : 0; }

unsigned gen_below(GenBytes *b, unsigned n) { return n ? gen_byte(b) % n : 0; }

static long double literal_value(const char *text) { return strtold(text, NULL); }

static GenExpr *new_node(Gen *gen, GenKind kind) {
    GenExpr *e = &gen->pool[gen->used++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    return e;
}

static GenExpr *new_literal(Gen *gen, const char *text) {
    GenExpr *e = new_node(gen, GEN_NUM);
    e->text = text;
    e->value = literal_value(text);
    return e;
}

static GenExpr *gen_leaf(Gen *gen) {
    unsigned r = gen_below(&gen->in, 12);
    if (r < 5) {
        if (gen->ndefs > 0 && r == 4) {
            GenExpr *e = new_node(gen, GEN_DEF);
            e->var = (int)gen_below(&gen->in, (unsigned)gen->ndefs);
            return e;
        }
        GenExpr *e = new_node(gen, GEN_VAR);
        e->var = (int)(r % GEN_NVARS);
        return e;
    }
    if (r < 10)
        return new_literal(gen, literals[gen_below(&gen->in, NLITERALS)]);
    return new_node(gen, r == 10 ? GEN_PI : GEN_E);
}

static GenExpr *gen_expr(Gen *gen, int depth);

/* Operand counts of wide nodes: mostly small, and at times around 2^16
 * (where 16-bit argument counts wrapped). */
static const long wide_counts[] = {2, 3, 8, 9, 17, 100, 1000};
static const long wide_huge[] = {65535, 65536, 65537};

/* A sum or product of `count` operands, each written out around one
 * small expression (it is printed count times). */
static GenExpr *gen_wide(Gen *gen, int depth) {
    GenExpr *e = new_node(gen, gen_below(&gen->in, 2) ? GEN_WIDE_PROD : GEN_WIDE_SUM);
    unsigned c = gen_below(&gen->in, 32);
    e->count = c < 29 ? wide_counts[c % 7] : wide_huge[c - 29];
    e->fn = (int)gen_below(&gen->in, 2); /* a sum written as sum([...]) */
    e->nargs = 1;
    /* no wide node inside: the text would be count^2 long */
    unsigned classes = gen->classes;
    gen->classes &= ~(unsigned)GEN_CLASS_WIDE;
    e->arg[0] = gen_expr(gen, depth > 1 ? 1 : 0);
    gen->classes = classes;
    return e;
}

/* Dimensions of ones() and zeros(): their products reach past
 * SHAPE_MAX_ELEMENTS (10^8), which symdiff must refuse. */
static const long fill_dims[] = {1, 2, 3, 10, 1000, 10000, 100000, 1000000};

static GenExpr *gen_fill(Gen *gen, int depth) {
    GenExpr *e = new_node(gen, GEN_FILL_SUM);
    e->count = fill_dims[gen_below(&gen->in, 8)];
    e->count2 = gen_below(&gen->in, 4) == 0 ? 0 : fill_dims[gen_below(&gen->in, 8)];
    e->fn = gen_below(&gen->in, 3) == 0; /* mean(zeros(...) + a) */
    e->nargs = 1;
    e->arg[0] = gen_expr(gen, depth - 1);
    return e;
}

static GenExpr *gen_expr(Gen *gen, int depth) {
    /* every operation below adds at most 4 nodes besides its operands */
    if (depth <= 0 || gen->used + 8 * (depth + 1) > GEN_MAX_NODES)
        return gen_leaf(gen);
    /* (without classes the bytes are read as they always were) */
    unsigned r = gen_below(&gen->in, gen->classes ? 24 : 20);
    GenExpr *e;
    switch (r) {
    case 0:
    case 1:
    case 2:
        e = new_node(gen, GEN_ADD);
        break;
    case 3:
        e = new_node(gen, GEN_SUB);
        break;
    case 4:
    case 5:
        e = new_node(gen, GEN_MUL);
        break;
    case 6:
        e = new_node(gen, GEN_DIV);
        break;
    case 7:
        e = new_node(gen, GEN_JUXT);
        break;
    case 8:
    case 9:
        e = new_node(gen, GEN_POW);
        e->nargs = 2;
        e->arg[0] = gen_expr(gen, depth - 1);
        if (gen_below(&gen->in, 4) == 0)
            e->arg[1] = gen_expr(gen, depth - 2);
        else if (gen_below(&gen->in, 3) == 0) {
            /* a negative exponent, written with a unary minus */
            GenExpr *n = new_node(gen, GEN_NEG);
            n->nargs = 1;
            n->arg[0] = new_literal(gen, exponents[gen_below(&gen->in, 8)]);
            e->arg[1] = n;
        } else {
            e->arg[1] = new_literal(gen, exponents[gen_below(&gen->in, 8)]);
        }
        return e;
    case 10:
        e = new_node(gen, GEN_NEG);
        e->nargs = 1;
        e->arg[0] = gen_expr(gen, depth - 1);
        return e;
    case 11:
    case 12:
    case 13:
    case 14:
    case 15: {
        unsigned f = gen_below(&gen->in, nfunctions());
        Function fn = function_at((int)f);
        e = new_node(gen, GEN_CALL);
        e->fn = (int)f;
        int span = fn.max - fn.min + 1;
        e->nargs = fn.min + (int)gen_below(&gen->in, (unsigned)span);
        for (int k = 0; k < e->nargs; k++) {
            if (k == fn.max - 1 && fn.konst) {
                static const char *const params[] = {"0.01", "0.2", "1", "0.5", "0", "2"};
                e->arg[k] = new_literal(gen, params[gen_below(&gen->in, 6)]);
            } else {
                e->arg[k] = gen_expr(gen, depth - 1);
            }
        }
        return e;
    }
    case 20:
    case 21:
        return gen->classes & GEN_CLASS_WIDE ? gen_wide(gen, depth) : gen_leaf(gen);
    case 22:
    case 23:
        return gen->classes & GEN_CLASS_SHAPES ? gen_fill(gen, depth) : gen_leaf(gen);
    default:
        return gen_leaf(gen);
    }
    e->nargs = 2;
    e->arg[0] = gen_expr(gen, depth - 1);
    e->arg[1] = gen_expr(gen, depth - 1);
    return e;
}

void gen_program(Gen *gen, const uint8_t *data, size_t size, int max_depth) {
    gen_program_classes(gen, data, size, max_depth, 0);
}

void gen_program_classes(Gen *gen, const uint8_t *data, size_t size, int max_depth, unsigned classes) {
    memset(gen, 0, sizeof *gen);
    gen->classes = classes;
    gen->in.data = data;
    gen->in.size = size;
    unsigned style = gen_byte(&gen->in);
    gen->minimal_parens = (style & 1) != 0;
    gen->noise = (style & 6) == 6;
    int ndefs = (int)((style >> 3) % (GEN_MAX_DEFS + 1));
    if (ndefs > 0 && (style & 0x80) == 0)
        ndefs = 0;
    for (int i = 0; i < ndefs; i++) {
        gen->defs[i] = gen_expr(gen, max_depth > 3 ? 3 : max_depth);
        gen->ndefs = i + 1;
    }
    gen->root = gen_expr(gen, max_depth);
}

/* --- printing ----------------------------------------------------------- */

/* Precedence of the printed forms, loosest first (as in the grammar). */
enum { P_SUM = 1, P_PROD, P_UNARY, P_POW, P_ATOM };

static int prec(const GenExpr *e) {
    switch (e->kind) {
    case GEN_ADD:
    case GEN_SUB:
        return P_SUM;
    case GEN_MUL:
    case GEN_DIV:
    case GEN_JUXT:
        return P_PROD;
    case GEN_NEG:
        return P_UNARY;
    case GEN_POW:
        return P_POW;
    default:
        return P_ATOM;
    }
}

/* Whitespace between tokens: none, or (with noise) spaces, tabs, line
 * ends of both kinds and comments. */
static void gap(Gen *gen, StrBuf *out) {
    if (!gen->noise)
        return;
    static const char *const gaps[] = {"", "", "", " ", "\t", "\n", "\r\n", " # note\n", "  ", "\f"};
    sb_puts(out, gaps[gen_below(&gen->in, 10)]);
}

/* Starts with a name, a call or '(' (may follow a juxtaposition). */
static int starts_juxtaposable(const GenExpr *e) {
    switch (e->kind) {
    case GEN_VAR:
    case GEN_DEF:
    case GEN_PI:
    case GEN_E:
    case GEN_CALL:
        return 1;
    case GEN_POW:
        return starts_juxtaposable(e->arg[0]) || prec(e->arg[0]) < P_ATOM;
    default:
        return 0;
    }
}

static void print_expr(Gen *gen, const GenExpr *e, int ctx, StrBuf *out);

static void print_operand(Gen *gen, const GenExpr *e, int ctx, StrBuf *out) {
    int paren = prec(e) < ctx || (!gen->minimal_parens && prec(e) < P_ATOM);
    if (paren) {
        sb_putc(out, '(');
        gap(gen, out);
    }
    print_expr(gen, e, paren ? P_SUM : ctx, out);
    if (paren) {
        gap(gen, out);
        sb_putc(out, ')');
    }
}

static void binary(Gen *gen, const GenExpr *e, const char *op, int lctx, int rctx, StrBuf *out) {
    print_operand(gen, e->arg[0], lctx, out);
    gap(gen, out);
    sb_puts(out, op);
    gap(gen, out);
    print_operand(gen, e->arg[1], rctx, out);
}

static void print_expr(Gen *gen, const GenExpr *e, int ctx, StrBuf *out) {
    (void)ctx;
    switch (e->kind) {
    case GEN_NUM:
        sb_puts(out, e->text);
        break;
    case GEN_VAR:
        sb_puts(out, gen_var_names[e->var]);
        break;
    case GEN_DEF:
        sb_printf(out, "u%d", e->var);
        break;
    case GEN_PI:
        sb_puts(out, "pi");
        break;
    case GEN_E:
        sb_puts(out, "e");
        break;
    case GEN_ADD:
        binary(gen, e, " + ", P_SUM, P_PROD, out);
        break;
    case GEN_SUB:
        binary(gen, e, " - ", P_SUM, P_PROD, out);
        break;
    case GEN_MUL:
        binary(gen, e, "*", P_PROD, P_UNARY, out);
        break;
    case GEN_DIV:
        binary(gen, e, "/", P_PROD, P_UNARY, out);
        break;
    case GEN_JUXT: {
        /* "a/b c" is rejected as ambiguous, so a quotient on the left is
         * parenthesised; the right factor must start with a name, a call
         * or '(' */
        const GenExpr *l = e->arg[0], *r = e->arg[1];
        if (l->kind == GEN_DIV) {
            sb_putc(out, '(');
            print_expr(gen, l, P_SUM, out);
            sb_putc(out, ')');
        } else {
            print_operand(gen, l, P_PROD, out);
        }
        sb_putc(out, ' '); /* never "x(": that would be a call */
        gap(gen, out);
        if (starts_juxtaposable(r) && (gen->minimal_parens || prec(r) == P_ATOM)) {
            print_operand(gen, r, P_POW, out);
        } else {
            sb_putc(out, '(');
            print_expr(gen, r, P_SUM, out);
            sb_putc(out, ')');
        }
        break;
    }
    case GEN_POW:
        /* right-associative: a power as the base needs parentheses */
        binary(gen, e, "^", P_ATOM, P_UNARY, out);
        break;
    case GEN_NEG:
        sb_putc(out, '-');
        gap(gen, out);
        print_operand(gen, e->arg[0], P_UNARY, out);
        break;
    case GEN_CALL:
        sb_puts(out, function_at(e->fn).name);
        sb_putc(out, '(');
        for (int k = 0; k < e->nargs; k++) {
            if (k)
                sb_puts(out, ", ");
            gap(gen, out);
            print_expr(gen, e->arg[k], P_SUM, out);
            gap(gen, out);
        }
        sb_putc(out, ')');
        break;
    case GEN_WIDE_SUM:
        sb_puts(out, e->fn ? "sum([" : "(");
        for (long k = 1; k <= e->count; k++) {
            sb_puts(out, k == 1 ? "sin(" : e->fn ? ", sin(" : " + sin(");
            print_expr(gen, e->arg[0], P_SUM, out);
            sb_printf(out, " + %ld)", k);
        }
        sb_puts(out, e->fn ? "])" : ")");
        break;
    case GEN_WIDE_PROD:
        sb_putc(out, '(');
        for (long k = 1; k <= e->count; k++) {
            sb_puts(out, k == 1 ? "(1 + (" : "*(1 + (");
            print_expr(gen, e->arg[0], P_SUM, out);
            sb_printf(out, ")/%lld)", (long long)k * k);
        }
        sb_putc(out, ')');
        break;
    case GEN_FILL_SUM:
        sb_puts(out, e->fn ? "mean(zeros(" : "sum(ones(");
        sb_printf(out, e->count2 ? "%ld, %ld" : "%ld", e->count, e->count2);
        sb_puts(out, e->fn ? ") + (" : ")*(");
        print_expr(gen, e->arg[0], P_SUM, out);
        sb_puts(out, "))");
        break;
    }
}

void gen_print(Gen *gen, StrBuf *out) {
    gap(gen, out);
    for (int i = 0; i < gen->ndefs; i++) {
        sb_printf(out, "u%d", i);
        gap(gen, out);
        sb_puts(out, " = ");
        print_expr(gen, gen->defs[i], P_SUM, out);
        gap(gen, out);
        sb_puts(out, ";\n");
        gap(gen, out);
    }
    print_expr(gen, gen->root, P_SUM, out);
    gap(gen, out);
}

/* --- the reference evaluator --------------------------------------------- */

typedef struct Eval {
    const Gen *gen;
    const long double *point;
    int at_kink, const_undefined, const_tiny, part_undefined, extreme, out_of_range, too_large;
} Eval;

static long double sigmoidl(long double x) {
    return x >= 0 ? 1 / (1 + expl(-x)) : expl(x) / (1 + expl(x));
}

#define PI_L 3.14159265358979323846264338327950288L

/* b^e: a fractional power of a negative base is undefined, -inf included
 * (where C's pow gives inf or 0: (-inf)^(1/2) is inf, but z^(1/2) z and
 * z^(3/2) then differ in sign at z = -inf). */
static long double power(long double b, long double e) {
    if (b < 0 && isfinite(e) && e != floorl(e))
        return NAN;
    return powl(b, e);
}

/* One function of the list on long double arguments, from its
 * definition (independent of eval.c): every row of builtins.def, so that
 * the compiler asks for a new one here. */
static long double apply(int fn, const long double *a, int nargs) {
    long double x = a[0];
    if (fn == F_SQRT)
        return power(x, 0.5L);
    if (fn == F_POW)
        return power(x, a[1]);
    switch ((Builtin)fn) {
    case BI_PI:
        return PI_L;
    case BI_EXP:
        return expl(x);
    case BI_LOG:
        return logl(x);
    case BI_LOG2:
        return log2l(x);
    case BI_LOG10:
        return log10l(x);
    case BI_SIN:
        return sinl(x);
    case BI_COS:
        return cosl(x);
    case BI_TAN:
        return tanl(x);
    case BI_ASIN:
        return asinl(x);
    case BI_ACOS:
        return acosl(x);
    case BI_ATAN:
        return atanl(x);
    case BI_SINH:
        return sinhl(x);
    case BI_COSH:
        return coshl(x);
    case BI_TANH:
        return tanhl(x);
    case BI_SIGMOID:
        return sigmoidl(x);
    case BI_SOFTPLUS:
        return (x > 0 ? x : 0) + log1pl(expl(-fabsl(x)));
    case BI_RELU:
        return isnan(x) ? x : x > 0 ? x : 0;
    case BI_LEAKY_RELU:
        return isnan(x) ? x : x > 0 ? x : (nargs > 1 ? a[1] : 0.01L) * x;
    case BI_ELU:
        return isnan(x) ? x : x > 0 ? x : (nargs > 1 ? a[1] : 1) * expm1l(x);
    case BI_ABS:
        return fabsl(x);
    case BI_SIGN: /* 0, -0 and NaN give themselves */
        return x > 0 ? 1 : x < 0 ? -1 : x;
    case BI_STEP:
        return isnan(x) ? x : x > 0 ? 1 : x < 0 ? 0 : (nargs > 1 ? a[1] : 0);
    case BI_MIN:
    case BI_MAX: {
        long double r = x;
        for (int k = 1; k < nargs; k++) {
            if (isnan(r) || isnan(a[k]))
                return NAN;
            /* a tie (0 and -0) gives the later argument, as eval.c and
             * the kernels do */
            r = fn == BI_MIN ? (r < a[k] ? r : a[k]) : (r > a[k] ? r : a[k]);
        }
        return r;
    }
    case BI_IFPOS:
        return isnan(x) ? x : x > 0 ? a[1] : a[2];
    case BI_SEC:
        return 1 / cosl(x);
    case BI_CSC:
        return 1 / sinl(x);
    case BI_COT:
        return 1 / tanl(x);
    case BI_ACOT:
        return x == 0 ? PI_L / 2 : atanl(1 / x);
    case BI_ASEC:
        return acosl(1 / x);
    case BI_ACSC:
        return asinl(1 / x);
    case BI_ASINH:
        return asinhl(x);
    case BI_ACOSH:
        return acoshl(x);
    case BI_ATANH:
        return atanhl(x);
    case BI_SECH:
        return 1 / coshl(x);
    case BI_CSCH:
        return 1 / sinhl(x);
    case BI_COTH: /* +-1 at +-inf (cosh/sinh would be inf/inf) */
        return 1 / tanhl(x);
    case BI_ASECH:
        return acoshl(1 / x);
    case BI_ACSCH:
        return asinhl(1 / x);
    case BI_ACOTH:
        return atanhl(1 / x);
    case BI_ATAN2:
        return atan2l(x, a[1]);
    case BI_HYPOT:
        return hypotl(x, a[1]);
    case BI_CBRT:
        return cbrtl(x);
    case BI_EXP2:
        return exp2l(x);
    case BI_EXPM1:
        return expm1l(x);
    case BI_LOG1P:
        return log1pl(x);
    case BI_LOG_BASE:
        return logl(x) / logl(a[1]);
    case BI_ERF:
        return erfl(x);
    case BI_ERFC:
        return erfcl(x);
    /* gelu, silu and mish at -inf: u < 0 times a factor tending to +0 */
    case BI_GELU:
        return isinf(x) ? (x > 0 ? x : -0.0L) : x * erfcl(-x / sqrtl(2)) / 2;
    case BI_SILU:
        return isinf(x) ? (x > 0 ? x : -0.0L) : x * sigmoidl(x);
    case BI_SOFTSIGN:
        return isinf(x) ? (x > 0 ? 1 : -1) : x / (1 + fabsl(x));
    case BI_MISH:
        return isinf(x) ? (x > 0 ? x : -0.0L) : x * tanhl((x > 0 ? x : 0) + log1pl(expl(-fabsl(x))));
    case BI_HARDTANH:
        return isnan(x) ? x : x > 1 ? 1 : x < -1 ? -1 : x;
    case BI_HUBER: {
        long double d = nargs > 1 ? a[1] : 1;
        if (!(d > 0))
            return NAN;
        return fabsl(x) <= d ? x * x / 2 : d * (fabsl(x) - d / 2);
    }
    case BI_COUNT:
        break;
    }
    return NAN;
}

long double gen_builtin_value(int fn, const long double *a, int nargs) { return apply(fn, a, nargs); }

/* Functions whose derivative jumps where their first argument is 0: the
 * piecewise rows of builtins.def, and abs (smooth in the table's sense,
 * as NaN propagates through it, but with a corner at 0). */
static int is_kink(int fn) {
    return fn < BI_COUNT && (builtin_info[fn].kind == BK_KINK || fn == BI_ABS);
}

/* The value of one operation on argument values; `fn` for calls. */
static long double operate(const GenExpr *e, const long double *a) {
    switch (e->kind) {
    case GEN_NEG:
        return -a[0];
    case GEN_ADD:
        return a[0] + a[1];
    case GEN_SUB:
        return a[0] - a[1];
    case GEN_MUL:
    case GEN_JUXT:
        return a[0] * a[1];
    case GEN_DIV:
        return a[0] / a[1];
    case GEN_POW:
        return power(a[0], a[1]);
    case GEN_CALL:
        return apply(function_at(e->fn).fn, a, e->nargs);
    case GEN_WIDE_SUM: {
        long double r = 0;
        for (long k = 1; k <= e->count; k++)
            r += sinl(a[0] + k);
        return r;
    }
    case GEN_WIDE_PROD: {
        long double r = 1;
        for (long k = 1; k <= e->count; k++)
            r *= 1 + a[0] / ((long double)k * k);
        return r;
    }
    case GEN_FILL_SUM:
        return e->fn ? a[0] : (long double)e->count * (e->count2 ? e->count2 : 1) * a[0];
    default:
        return NAN;
    }
}

/* Half an ulp of a double, and the smallest normal double as the
 * absolute error of a result that underflows. */
static long double rounding(long double v) {
    if (isinf(v))
        return 0; /* inf from inf (an input, or exp of one) is exact */
    long double r = fabsl(v) * 0x1p-53L;
    if (v != 0 && fabsl(v) < DBL_MIN)
        r += DBL_MIN;
    return r;
}

/* Is the operation singular, or at the edge of its domain, where its
 * argument k is 0?  (The two ends of an error interval around 0 do not
 * show a pole in its middle.) */
static int singular_at_zero(const GenExpr *e, int k, const long double *a) {
    if (e->kind == GEN_DIV)
        return k == 1;
    if (e->kind == GEN_POW)
        return k == 0 && !(a[1] >= 1 && a[1] == floorl(a[1]));
    if (e->kind != GEN_CALL)
        return 0;
    int fn = function_at(e->fn).fn;
    if (fn == F_SQRT || fn == F_POW)
        return k == 0 && (fn == F_SQRT || !(a[1] >= 1 && a[1] == floorl(a[1])));
    return 0; /* the functions of builtins.def: edge_near */
}

/* Is a boundary of domain d (builtins.def), where a function ends, has a
 * pole or an infinite slope, within err of x? */
static int domain_edge_near(ArgDomain d, long double x, long double err) {
    long double edges[2];
    int n = 0;
    switch (d) {
    case DOM_ALL:
    case DOM_COUNT:
        break;
    case DOM_POSITIVE:
    case DOM_NONZERO:
    case DOM_THRESHOLD:
        edges[n++] = 0;
        break;
    case DOM_UNIT:
    case DOM_OPEN_UNIT:
    case DOM_OUTSIDE_UNIT:
    case DOM_BEYOND_UNIT:
        edges[n++] = -1;
        edges[n++] = 1;
        break;
    case DOM_AT_LEAST_ONE:
        edges[n++] = 1;
        break;
    case DOM_UNIT_POSITIVE:
    case DOM_BASE:
        edges[n++] = 0;
        edges[n++] = 1;
        break;
    case DOM_ABOVE_MINUS_ONE:
        edges[n++] = -1;
        break;
    }
    for (int i = 0; i < n; i++)
        if (!(fabsl(x - edges[i]) > err))
            return 1;
    return 0;
}

/* Is argument k of call e, a[k] give or take ea[k], near a point where the
 * function ends, jumps or has a pole or an infinite slope?  Its domain's
 * edges, and the singular points inside its domain: a jump (acot at 0,
 * atan2 on its branch cut) is such a point, as the function is not
 * differentiable there and a rounding error or the sign of a zero
 * decides its value. */
static int edge_near(const GenExpr *e, int k, const long double *a, const long double *ea) {
    int fn = function_at(e->fn).fn;
    if (fn >= BI_COUNT || k >= 2)
        return 0;
    if (domain_edge_near(builtin_info[fn].domain[k], a[k], ea[k]))
        return 1;
    switch (fn) {
    case BI_ACOT: /* jumps from -pi/2 to pi/2 at 0 */
    case BI_CBRT: /* an infinite slope at 0 */
        return !(fabsl(a[0]) > ea[0]);
    case BI_ATAN2: /* jumps from pi to -pi across its branch cut, y = 0
                    * for x < 0 (the sign of a zero y decides), and has no
                    * slope at the origin */
        return !(fabsl(a[0]) > ea[0]) && !(a[1] > ea[1]);
    case BI_HYPOT: /* undefined slope at the origin */
        return !(fabsl(a[0]) > ea[0]) && !(fabsl(a[1]) > ea[1]);
    default:
        return 0;
    }
}

static long double eval_rec(Eval *ev, const GenExpr *e, long double *err, int *has_var) {
    long double a[3], ea[3];
    int var = 0;
    switch (e->kind) {
    case GEN_NUM:
        if (e->value > 1e15L)
            ev->extreme = 1;
        *err = rounding(e->value);
        *has_var = 0;
        return e->value;
    case GEN_VAR:
        *err = 0;
        *has_var = 1;
        return ev->point[e->var];
    case GEN_DEF:
        return eval_rec(ev, ev->gen->defs[e->var], err, has_var);
    case GEN_PI:
        *has_var = 0;
        *err = rounding(3.14159265358979323846264338327950288L);
        return 3.14159265358979323846264338327950288L;
    case GEN_E:
        *has_var = 0;
        *err = rounding(2.71828182845904523536028747135266250L);
        return 2.71828182845904523536028747135266250L;
    default:
        break;
    }
    int arg_var[3] = {0, 0, 0};
    for (int k = 0; k < e->nargs; k++) {
        a[k] = eval_rec(ev, e->arg[k], &ea[k], &arg_var[k]);
        var |= arg_var[k];
    }
    /* d(u^v)/dv = u^v ln(u) is NaN at u = 0, where 0^v is 0 for every
     * v > 0: the same convention as a kink */
    int is_pow = e->kind == GEN_POW || (e->kind == GEN_CALL && (function_at(e->fn).fn == F_POW ||
                                                                  function_at(e->fn).fn == F_SQRT));
    long double expo = e->kind == GEN_CALL && function_at(e->fn).fn == F_SQRT ? 0.5L : a[1];
    if (is_pow && a[0] == 0 && (arg_var[1] || expo < 1))
        ev->at_kink = 1;
    /* a negative base with a variable exponent is defined at isolated
     * points only (whole exponents), whatever rounding makes of them */
    if (is_pow && a[0] < 0 && arg_var[1])
        ev->at_kink = 1;
    /* likewise where the derivative is infinite (sqrt(u) at u = 0: the
     * chain rule gives inf * 0 = NaN even where u is constant) */
    if (e->kind == GEN_CALL) {
        const long double exact[3] = {0, 0, 0};
        for (int k = 0; k < e->nargs && k < 2; k++)
            if (edge_near(e, k, a, exact))
                ev->at_kink = 1;
    }
    if (e->kind == GEN_FILL_SUM && (long double)e->count * (e->count2 ? e->count2 : 1) > 1e8L)
        ev->too_large = 1; /* SHAPE_MAX_ELEMENTS */
    long double v = operate(e, a);
    *has_var = var;
    /* atan2 at the origin: no limit, and the signs of zeros decide
     * (atan2(0, -0) is pi, atan2(0, 0) is 0) */
    int atan2_origin = e->kind == GEN_CALL && function_at(e->fn).fn == BI_ATAN2 && !(fabsl(a[0]) > ea[0]) &&
                       !(fabsl(a[1]) > ea[1]);
    if (atan2_origin)
        ev->part_undefined = 1;
    if (!isfinite(v))
        ev->part_undefined = 1;
    if (fabsl(v) > 1e15L || (v != 0 && fabsl(v) < 1e-15L))
        ev->extreme = 1;
    if (fabsl(v) > 1e30L || (v != 0 && fabsl(v) < 1e-30L))
        ev->out_of_range = 1;
    /* 0 from non-zero arguments, other than by a sum or a kink: an
     * underflow (or log(1), where skipping a comparison costs little) */
    if (v == 0 && e->kind != GEN_ADD && e->kind != GEN_SUB && e->kind != GEN_NEG &&
        !(e->kind == GEN_CALL && is_kink(function_at(e->fn).fn))) {
        int nonzero = 1;
        for (int k = 0; k < e->nargs; k++)
            nonzero &= a[k] != 0;
        if (nonzero)
            ev->out_of_range = 1;
    }
    /* a double evaluation overflows or underflows where long double does
     * not: no meaningful comparison */
    int representable = !(isfinite(v) && (fabsl(v) > DBL_MAX));
    if (!var && v != 0 && fabsl(v) < DBL_MIN)
        ev->const_tiny = 1;
    if (!var && (!isfinite(v) || !representable)) {
        /* undefined from finite arguments, and still undefined with the
         * arguments moved by their error bounds (sqrt(sin(pi)) is sqrt of
         * a tiny negative number in long double, of a positive one in
         * double: no answer either way) */
        int robust = 1;
        /* a negative base with an exponent that is whole once rounded to
         * a double (every double above 2^52 is) has a power in double */
        int is_power = e->kind == GEN_POW || (e->kind == GEN_CALL && function_at(e->fn).fn == F_POW);
        if (is_power && a[0] < 0 && (double)a[1] == floor((double)a[1]))
            robust = 0;
        for (int k = 0; k < e->nargs && robust; k++) {
            /* (an interval around 0 holds values of both signs: a power or
             * a logarithm may be defined for some of them) */
            if (!isfinite(ea[k]) || (ea[k] > 0 && fabsl(a[k]) <= ea[k]))
                robust = 0;
            for (int s = -1; s <= 1 && robust && ea[k] > 0; s += 2) {
                long double save = a[k];
                a[k] = save + s * ea[k];
                long double w = operate(e, a);
                a[k] = save;
                if (isfinite(w) && fabsl(w) <= DBL_MAX)
                    robust = 0;
            }
        }
        if (robust)
            ev->const_undefined = 1;
    }
    if (e->kind == GEN_CALL && is_kink(function_at(e->fn).fn) && isfinite(v)) {
        int fn = function_at(e->fn).fn;
        /* at the kink, or so close that a double evaluation (whose
         * arguments are off by up to their error bounds) may be there */
        if (fn == BI_HUBER) {
            /* the derivative is continuous where |u| = d */
        } else if (fn == BI_HARDTANH) { /* corners at -1 and 1 */
            if (!(fabsl(fabsl(a[0]) - 1) > ea[0]))
                ev->at_kink = 1;
        } else if (fn == BI_MIN || fn == BI_MAX) {
            for (int i = 0; i < e->nargs; i++)
                for (int j = i + 1; j < e->nargs; j++)
                    if (!(fabsl(a[i] - a[j]) > ea[i] + ea[j]))
                        ev->at_kink = 1;
        } else if (!(fabsl(a[0]) > ea[0])) {
            ev->at_kink = 1;
        }
    }
    /* the operation's own rounding, and its arguments' errors as the
     * operation amplifies them */
    long double total = rounding(v);
    if (e->kind == GEN_WIDE_SUM) {
        /* per operand: a + k and sin rounded (sin's slope is at most 1),
         * and a running sum of at most n in magnitude rounded n times */
        long double n = (long double)e->count;
        total += (n * (fabsl(a[0]) + 1) + n * (n + 1) / 2 + n * n) * 0x1p-53L;
    } else if (e->kind == GEN_WIDE_PROD) {
        /* per factor: a/k^2, 1 + it and the running product rounded */
        total += 4 * (long double)e->count * 0x1p-53L * fabsl(v);
    }
    if (!representable || atan2_origin)
        total = INFINITY;
    for (int k = 0; k < e->nargs && isfinite(total); k++) {
        if (ea[k] == 0)
            continue;
        if (!isfinite(ea[k])) {
            total = INFINITY;
            break;
        }
        if (ea[k] > 0 && ((fabsl(a[k]) <= ea[k] && singular_at_zero(e, k, a)) ||
                          (e->kind == GEN_CALL && edge_near(e, k, a, ea)))) {
            total = INFINITY; /* a pole or a domain edge inside the interval */
            break;
        }
        if (e->kind == GEN_CALL && (function_at(e->fn).fn == BI_SIN || function_at(e->fn).fn == BI_COS)) {
            /* periodic: the two ends of the interval say nothing about
             * the middle, but the slope is at most 1 */
            total += ea[k] < 2 ? ea[k] : 2;
            continue;
        }
        int periodic_poles = e->kind == GEN_CALL && (function_at(e->fn).fn == BI_TAN ||
                                                     function_at(e->fn).fn == BI_SEC ||
                                                     function_at(e->fn).fn == BI_CSC ||
                                                     function_at(e->fn).fn == BI_COT);
        /* the nearest pole, pi/2 + k pi (tan, sec) or k pi (csc, cot),
         * within the error bound: the sign of the value is not known (in
         * double pi is below the true pi, in long double above it) */
        long double pole = 0;
        if (periodic_poles) {
            int fn = function_at(e->fn).fn;
            pole = fabsl(remainderl(a[k] - (fn == BI_TAN || fn == BI_SEC ? PI_L / 2 : 0), PI_L));
        }
        if (periodic_poles && (ea[k] > 1e-3L || pole <= ea[k])) {
            total = INFINITY; /* a pole may be in the interval */
            break;
        }
        long double save = a[k];
        for (int s = -1; s <= 1; s += 2) {
            a[k] = save + s * ea[k];
            long double w = operate(e, a);
            long double d = fabsl(w - v);
            if (isnan(d))
                d = INFINITY;
            if (isinf(v) && w == v)
                d = 0;
            total += d;
        }
        a[k] = save;
    }
    *err = total;
    return v;
}

GenValue gen_eval(const Gen *gen, const long double *point) {
    Eval ev = {gen, point, 0, 0, 0, 0, 0, 0, 0};
    GenValue r;
    int has_var;
    /* the statements are evaluated for their domain errors, as symdiff
     * does, even when the final expression does not use them */
    r.def_undefined = 0;
    for (int i = 0; i < gen->ndefs; i++) {
        long double e;
        if (!isfinite(eval_rec(&ev, gen->defs[i], &e, &has_var)))
            r.def_undefined = 1;
        if (!isfinite(e))
            r.def_undefined = 1; /* too close to undefined to tell */
    }
    ev.at_kink = ev.extreme = ev.out_of_range = 0; /* only what the result depends on */
    r.v = eval_rec(&ev, gen->root, &r.err, &has_var);
    r.at_kink = ev.at_kink;
    r.const_undefined = ev.const_undefined;
    r.part_undefined = ev.part_undefined;
    r.extreme = ev.extreme;
    r.out_of_range = ev.out_of_range;
    r.const_tiny = ev.const_tiny;
    r.too_large = ev.too_large;
    return r;
}

long double gen_ridders(const Gen *gen, const long double *point, int var, long double step,
                        long double *err) {
    enum { N = 10 };
    const long double shrink = 1.4L, shrink2 = shrink * shrink;
    long double a[N][N], best = NAN, p[GEN_NVARS];
    memcpy(p, point, sizeof p);
    long double x = point[var];
    long double h = step * (fabsl(x) > 1 ? fabsl(x) : 1);
    *err = INFINITY;
    for (int i = 0; i < N; i++, h /= shrink) {
        p[var] = x + h;
        long double fp = gen_eval(gen, p).v;
        p[var] = x - h;
        long double fm = gen_eval(gen, p).v;
        a[0][i] = (fp - fm) / (2 * h);
        long double fac = shrink2;
        for (int q = 1; q <= i; q++, fac *= shrink2) {
            a[q][i] = (a[q - 1][i] * fac - a[q - 1][i - 1]) / (fac - 1);
            long double e = fmaxl(fabsl(a[q][i] - a[q - 1][i]), fabsl(a[q][i] - a[q - 1][i - 1]));
            if (e <= *err) {
                *err = e;
                best = a[q][i];
            }
        }
        if (i > 0 && fabsl(a[i][i] - a[i - 1][i - 1]) >= 2 * *err)
            break;
    }
    if (isnan(*err))
        *err = INFINITY;
    return best;
}

static int uses_var(const Gen *gen, const GenExpr *e, int var) {
    if (e->kind == GEN_VAR)
        return e->var == var;
    if (e->kind == GEN_DEF)
        return uses_var(gen, gen->defs[e->var], var);
    for (int k = 0; k < e->nargs; k++)
        if (uses_var(gen, e->arg[k], var))
            return 1;
    return 0;
}

int gen_uses_var(const Gen *gen, int var) { return uses_var(gen, gen->root, var); }

static int uses_fn(const Gen *gen, const GenExpr *e, const char *name) {
    if (e->kind == GEN_DEF)
        return uses_fn(gen, gen->defs[e->var], name);
    if (e->kind == GEN_CALL && strcmp(function_at(e->fn).name, name) == 0)
        return 1;
    for (int k = 0; k < e->nargs; k++)
        if (uses_fn(gen, e->arg[k], name))
            return 1;
    return 0;
}

int gen_uses_fn(const Gen *gen, const char *name) { return uses_fn(gen, gen->root, name); }
