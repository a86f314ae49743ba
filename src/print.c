/* SPDX-License-Identifier: MIT */
/*
 * print.c — infix and LaTeX printers (see print.h).
 *
 * Consumes DAG nodes, produces text.  Sums and products are stored as flat
 * lists with a coefficient; printing turns them back into what people
 * write: subtraction for negative terms, division for negative exponents,
 * sqrt for the power 1/2, constants first and terms by degree
 * (1 - 42*x + 504*x^2).  Parentheses are printed only where the grammar's
 * precedence needs them, so the text parses back to the same node.
 */
#include "print.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Precedence of printed forms, loosest first (same as the grammar). */
enum { P_SUM = 1, P_PROD, P_NEG, P_POW, P_ATOM };

typedef struct Printer {
    StrBuf *out;
    const Graph *g;
    int latex;
    int *temp;          /* temp[id] > 0: printed as a named temporary */
    const char *prefix; /* temporaries' name prefix                    */
    const Node *bcast;  /* the elementwise node whose arguments are being
                           printed, when a vector repeated in its rows or
                           columns prints as the bare vector (see
                           prints_bare); else NULL                       */
} Printer;

static void print_node(Printer *p, const Node *n, int ctx);

/* --- classification ------------------------------------------------------ */

static int is_negative_const(const Node *n) {
    return n->kind == EX_CONST && num_is_negative(n->num[0]);
}

static int is_euler(const Node *n) {
    return n->kind == EX_CALL && n->u.fn == BI_EXP && dag_is_num(n->args[0], 1);
}

static int is_half(const Node *n) {
    return n->kind == EX_CONST && n->num[0].is_rat && n->num[0].p == 1 && n->num[0].q == 2;
}

/* A factor printed in a denominator: b^e with a negative constant e. */
static int is_reciprocal(const Node *n) {
    return n->kind == EX_POW && is_negative_const(n->args[1]);
}

/* An exact rational p/q prints as a quotient, with a quotient's
 * precedence (also as \frac in LaTeX, so that (1/3)^x keeps its
 * parentheses there as (x/3)^x does). */
static int const_prec(Num v) {
    int prec = v.is_rat && v.q != 1 ? P_PROD : P_ATOM;
    if (num_is_negative(v))
        prec = prec == P_PROD ? P_PROD : P_NEG;
    return prec;
}

static int node_prec(const Printer *p, const Node *n) {
    if (p->temp && p->temp[n->id] > 0)
        return P_ATOM;
    switch ((NodeKind)n->kind) {
    case EX_CONST:
        return const_prec(n->num[0]);
    case EX_VAR:
    case EX_CALL:
        return P_ATOM;
    case EX_ADD:
        return P_SUM;
    case EX_MUL:
        if (n->args[0]->kind == EX_CONST && n->nargs == 2 && num_is_minus_one(n->args[0]->num[0]) &&
            !is_reciprocal(n->args[1]))
            return P_NEG; /* -x */
        return P_PROD;
    case EX_POW:
        if (is_reciprocal(n))
            return P_PROD; /* 1/x */
        if (is_half(n->args[1]))
            return P_ATOM; /* sqrt(x) */
        return p->latex ? P_POW : P_POW;
    case EX_MATMUL:
    case EX_OUTER:
    case EX_ROWS: /* ones(m) b' */
    case EX_COLS: /* v ones(k)' */
        return P_PROD;
    case EX_FILL:
        return dag_is_num(n->args[0], 0) || dag_is_num(n->args[0], 1) ? P_ATOM : P_PROD;
    case EX_TRANSPOSE:
    case EX_INDEX:
    case EX_SCATTER:
    case EX_PACK:
    case EX_SUM:
    case EX_SOFTMAX:
    case EX_LOGSUMEXP:
    case EX_ROWSUM:
    case EX_COLSUM:
    case EX_ONEHOT:
    case EX_DIM:
    case EX_COUNT:
        break;
    }
    return P_ATOM;
}

/* --- vectors repeated in rows ------------------------------------------------ *
 * X @ W' + b holds ROWS(b), b in every row.  Where the reader sees the
 * matrix it is added to, it prints as b, which lowering repeats the same
 * way: as a term of a sum, or an argument of a function, beside a matrix
 * that is no repetition itself (possibly scaled: X - 2*b).  Elsewhere it
 * prints as ones(m) b', and COLS(v), v in every column, as v ones(k)'. */

/* A matrix that is not a repeated vector or constant. */
static int real_matrix(const Node *n) {
    if (n->shape.rank != 2 || n->kind == EX_ROWS || n->kind == EX_COLS || n->kind == EX_FILL)
        return 0;
    if (n->kind != EX_MUL)
        return 1;
    for (int k = 0; k < n->nargs; k++)
        if (real_matrix(n->args[k]))
            return 1;
    return 0;
}

/* Is n a repetition that prints bare here? */
static int prints_bare(const Printer *p, const Node *n) {
    return n->kind == EX_ROWS && p->bcast && shape_equal(p->bcast->shape, n->shape);
}

/* The context n's arguments are printed in: n itself for a sum or call of
 * matrices with a real matrix among its arguments; the context it was
 * printed in for a product of scalars and rows (2*b in X - 2*b); else
 * none. */
static const Node *bare_context(const Node *n, const Node *outer) {
    if (n->shape.rank != 2)
        return NULL;
    if (n->kind == EX_ADD || n->kind == EX_CALL) {
        for (int k = 0; k < n->nargs; k++)
            if (real_matrix(n->args[k]))
                return n;
        return NULL;
    }
    if (n->kind != EX_MUL || !outer || !shape_equal(outer->shape, n->shape))
        return NULL;
    for (int k = 0; k < n->nargs; k++)
        if (n->args[k]->shape.rank != 0 && n->args[k]->kind != EX_ROWS)
            return NULL;
    return outer;
}

/* Degree of a term as a polynomial in the variables (other factors count
 * 0), used to print polynomials in ascending order. */
static long term_degree(const Node *t) {
    int n = t->kind == EX_MUL ? t->nargs : 1;
    long d = 0;
    for (int i = 0; i < n; i++) {
        const Node *f = t->kind == EX_MUL ? t->args[i] : t;
        if (f->kind == EX_VAR)
            d += 1;
        else if (f->kind == EX_POW && f->args[0]->kind == EX_VAR && num_is_int(f->args[1]->num[0]) &&
                 f->args[1]->kind == EX_CONST)
            d += (long)f->args[1]->num[0].p;
    }
    return d;
}

static int term_order(const void *a, const void *b) {
    const Node *x = *(const Node *const *)a, *y = *(const Node *const *)b;
    /* positive constants first (1 - x), negative ones last (2*x - 1) */
    int cx = x->kind == EX_CONST ? (num_is_negative(x->num[0]) ? 2 : 0) : 1;
    int cy = y->kind == EX_CONST ? (num_is_negative(y->num[0]) ? 2 : 0) : 1;
    if (cx != cy)
        return cx - cy;
    long dx = term_degree(x), dy = term_degree(y);
    if (dx != dy)
        return dx < dy ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int negative_term(const Printer *p, const Node *t);

/* --- pieces ----------------------------------------------------------------- */

void print_latex_name(StrBuf *out, const char *name) {
    static const char *const greek[] = {"alpha", "beta",  "gamma", "delta", "epsilon", "zeta",
                                        "eta",   "theta", "iota",  "kappa", "lambda",  "mu",
                                        "nu",    "xi",    "rho",   "sigma", "tau",     "phi",
                                        "chi",   "psi",   "omega", "Gamma", "Delta",   "Theta",
                                        "Lambda", "Sigma", "Phi",  "Psi",   "Omega",   NULL};
    size_t len = strlen(name), stem = len;
    while (stem > 0 && isdigit((unsigned char)name[stem - 1]))
        stem--;
    const char *us = strchr(name, '_');
    if (us && (size_t)(us - name) < stem)
        stem = (size_t)(us - name);
    if (stem == 0)
        stem = len;
    int is_greek = 0;
    for (int i = 0; greek[i]; i++)
        if (strlen(greek[i]) == stem && strncmp(greek[i], name, stem) == 0)
            is_greek = 1;
    if (is_greek) {
        sb_putc(out, '\\');
        sb_putn(out, name, stem);
    } else if (stem == 1) {
        sb_putn(out, name, 1);
    } else {
        sb_puts(out, "\\mathrm{");
        for (size_t i = 0; i < stem; i++) {
            if (name[i] == '_')
                sb_putc(out, '\\');
            sb_putc(out, name[i]);
        }
        sb_putc(out, '}');
    }
    if (stem < len) {
        const char *sub = name + stem + (name[stem] == '_');
        sb_puts(out, "_{");
        for (; *sub; sub++) {
            if (*sub == '_')
                sb_putc(out, '\\');
            sb_putc(out, *sub);
        }
        sb_putc(out, '}');
    }
}

static void print_const(Printer *p, Num v) {
    if (!p->latex) {
        num_print(p->out, v);
        return;
    }
    StrBuf sb;
    sb_init(&sb);
    num_print(&sb, v);
    if (sb.failed)
        p->out->failed = 1;
    const char *s = sb_str(&sb);
    const char *slash = strchr(s, '/');
    const char *e = strpbrk(s, "eE");
    if (slash) {
        if (*s == '-') {
            sb_putc(p->out, '-');
            s++;
        }
        sb_puts(p->out, "\\frac{");
        sb_putn(p->out, s, (size_t)(slash - s));
        sb_puts(p->out, "}{");
        sb_puts(p->out, slash + 1);
        sb_putc(p->out, '}');
    } else if (e && !v.is_rat) {
        sb_putn(p->out, s, (size_t)(e - s));
        sb_printf(p->out, " \\cdot 10^{%d}", atoi(e + 1));
    } else {
        sb_puts(p->out, s);
    }
    sb_free(&sb);
}

static void open_paren(Printer *p) { sb_puts(p->out, p->latex ? "\\left(" : "("); }
static void close_paren(Printer *p) { sb_puts(p->out, p->latex ? "\\right)" : ")"); }

/* The LaTeX operator of fn (builtins.def: "\sin"), or NULL when fn is
 * written as a form ("e^{$0}") or as \operatorname{name}. */
static const char *latex_operator(Builtin fn) {
    const char *lx = builtin_info[fn].latex;
    return lx && !strchr(lx, '$') ? lx : NULL;
}

/* Arguments a call prints: an optional argument equal to the default that
 * lowering fills in is left out. */
static int printed_args(const Node *n) {
    Num dflt;
    const Node *last = n->args[n->nargs - 1];
    if (n->nargs > builtin_info[n->u.fn].min_args && builtin_default((Builtin)n->u.fn, &dflt) &&
        last->kind == EX_CONST && num_equal(last->num[0], dflt))
        return n->nargs - 1;
    return n->nargs;
}

/* A LaTeX form of builtins.def ("\left|$0\right|"): $k is argument k. */
static void print_latex_form(Printer *p, const char *form, const Node *n) {
    for (const char *s = form; *s; s++) {
        if (*s == '$' && s[1] >= '0' && s[1] - '0' < n->nargs)
            print_node(p, n->args[*++s - '0'], 0);
        else
            sb_putc(p->out, *s);
    }
}

static void print_call(Printer *p, const Node *n) {
    Builtin fn = (Builtin)n->u.fn;
    if (fn == BI_PI) {
        sb_puts(p->out, p->latex ? "\\pi" : "pi");
        return;
    }
    if (is_euler(n)) {
        sb_puts(p->out, "e");
        return;
    }
    const char *lx = p->latex ? builtin_info[fn].latex : NULL;
    if (lx && strchr(lx, '$')) {
        print_latex_form(p, lx, n);
        return;
    }
    if (lx) {
        sb_puts(p->out, lx);
    } else if (p->latex) {
        sb_puts(p->out, "\\operatorname{");
        for (const char *s = builtin_info[fn].name; *s; s++) {
            if (*s == '_')
                sb_putc(p->out, '\\');
            sb_putc(p->out, *s);
        }
        sb_putc(p->out, '}');
    } else {
        /* the natural logarithm prints as ln, as in the course material */
        sb_puts(p->out, fn == BI_LOG ? "ln" : builtin_info[fn].name);
    }
    int k = printed_args(n);
    open_paren(p);
    for (int i = 0; i < k; i++) {
        if (i)
            sb_puts(p->out, ", ");
        print_node(p, n->args[i], 0);
    }
    close_paren(p);
}

static void print_pow(Printer *p, const Node *base, const Node *e) {
    if (is_half(e)) {
        sb_puts(p->out, p->latex ? "\\sqrt{" : "sqrt(");
        print_node(p, base, 0);
        sb_puts(p->out, p->latex ? "}" : ")");
        return;
    }
    if (p->latex && base->kind == EX_CALL && latex_operator((Builtin)base->u.fn) && base->nargs == 1) {
        /* \sin^{2}\left(x\right) */
        sb_puts(p->out, latex_operator((Builtin)base->u.fn));
        sb_puts(p->out, "^{");
        print_node(p, e, 0);
        sb_putc(p->out, '}');
        open_paren(p);
        print_node(p, base->args[0], 0);
        close_paren(p);
        return;
    }
    print_node(p, base, P_ATOM);
    if (p->latex) {
        sb_puts(p->out, "^{");
        print_node(p, e, 0);
        sb_putc(p->out, '}');
    } else {
        sb_putc(p->out, '^');
        print_node(p, e, P_POW);
    }
}

/* Numerator and denominator lists of a product (coefficient separate). */
typedef struct Fraction {
    Num coef;
    const Node **num, **den;
    Num *den_exp;
    int nnum, nden;
} Fraction;

/* Collects the factors of a product into f; nested products that are not
 * named temporaries print as part of this one (a*(b*c) is a*b*c). */
static void collect_factors(const Printer *p, const Node *n, Fraction *f, int depth) {
    int count = n->kind == EX_MUL ? n->nargs : 1;
    for (int i = 0; i < count; i++) {
        const Node *a = n->kind == EX_MUL ? n->args[i] : n;
        if (a->kind == EX_CONST) {
            Num r;
            if (num_mul(f->coef, a->num[0], &r) == NUM_OK)
                f->coef = r;
            else
                f->num[f->nnum++] = a; /* does not fold (overflow): printed apart */
        } else if (a->kind == EX_MUL && depth < 8 && !(p->temp && p->temp[a->id] > 0)) {
            collect_factors(p, a, f, depth + 1);
        } else if (is_reciprocal(a)) {
            f->den[f->nden] = a->args[0];
            f->den_exp[f->nden++] = num_neg(a->args[1]->num[0]);
        } else {
            f->num[f->nnum++] = a;
        }
    }
}

static int count_factors(const Printer *p, const Node *n, int depth) {
    if (n->kind != EX_MUL)
        return 1;
    int c = 0;
    for (int i = 0; i < n->nargs; i++) {
        const Node *a = n->args[i];
        c += a->kind == EX_MUL && depth < 8 && !(p->temp && p->temp[a->id] > 0) ? count_factors(p, a, depth + 1) : 1;
    }
    return c;
}

static void split_fraction(const Printer *p, const Node *n, Fraction *f) {
    int count = count_factors(p, n, 0);
    f->num = malloc((size_t)count * sizeof *f->num);
    f->den = malloc((size_t)count * sizeof *f->den);
    f->den_exp = malloc((size_t)count * sizeof *f->den_exp);
    f->nnum = f->nden = 0;
    f->coef = num_int(1);
    if (!f->num || !f->den || !f->den_exp) {
        p->out->failed = 1; /* the caller prints nothing, the output is void */
        return;
    }
    collect_factors(p, n, f, 0);
}

static void free_fraction(Fraction *f) {
    free(f->num);
    free(f->den);
    free(f->den_exp);
}

/* Prints factors joined by '*'; a factor repeated k times (which happens
 * when a shared product is multiplied by one of its own factors) prints
 * once as f^k. */
/* A factor and its place, for counting repeated factors. */
typedef struct FactorAt {
    const Node *f;
    int i;
} FactorAt;

static int factor_at_order(const void *a, const void *b) {
    const FactorAt *x = a, *y = b;
    if (x->f != y->f)
        return x->f->id < y->f->id ? -1 : 1;
    return x->i - y->i;
}

/* times[i]: how often f[i] occurs, at its first occurrence, 0 at the
 * others; by sorting, so that a product of 10^5 factors is not compared
 * pairwise.  Returns 0 when out of memory. */
static int count_repeats(const Node **f, int n, int *times) {
    FactorAt *s = malloc((size_t)(n ? n : 1) * sizeof *s);
    if (!s)
        return 0;
    for (int i = 0; i < n; i++) {
        s[i].f = f[i];
        s[i].i = i;
        times[i] = 0;
    }
    qsort(s, (size_t)n, sizeof *s, factor_at_order);
    for (int a = 0, b; a < n; a = b) {
        for (b = a; b < n && s[b].f == s[a].f; b++)
            ;
        times[s[a].i] = b - a;
    }
    free(s);
    return 1;
}

static void print_factor_list(Printer *p, const Node **f, int n, Num coef, int with_coef) {
    int first = 1;
    if (with_coef) {
        print_const(p, coef);
        first = 0;
    }
    int *times = malloc((size_t)(n ? n : 1) * sizeof *times);
    if (!times || !count_repeats(f, n, times)) {
        p->out->failed = 1; /* reported as out of memory */
        free(times);
        return;
    }
    for (int i = 0; i < n; i++) {
        if (!times[i])
            continue; /* printed with its first occurrence */
        if (!first)
            sb_puts(p->out, p->latex ? " " : "*");
        if (times[i] > 1) {
            print_node(p, f[i], P_ATOM);
            sb_printf(p->out, p->latex ? "^{%d}" : "^%d", times[i]);
        } else {
            print_node(p, f[i], P_NEG);
        }
        first = 0;
    }
    free(times);
}

static void print_den_factor(Printer *p, const Node *b, Num e, int ctx) {
    if (num_is_one(e)) {
        print_node(p, b, ctx);
        return;
    }
    /* b^e printed through a temporary POW-like path */
    if (e.is_rat && e.p == 1 && e.q == 2) {
        sb_puts(p->out, p->latex ? "\\sqrt{" : "sqrt(");
        print_node(p, b, 0);
        sb_puts(p->out, p->latex ? "}" : ")");
        return;
    }
    int paren = !p->latex && ctx > P_POW;
    if (paren)
        open_paren(p);
    print_node(p, b, P_ATOM);
    if (p->latex) {
        sb_puts(p->out, "^{");
        print_const(p, e);
        sb_putc(p->out, '}');
    } else {
        sb_putc(p->out, '^');
        int pe = const_prec(e);
        if (pe < P_POW)
            open_paren(p);
        print_const(p, e);
        if (pe < P_POW)
            close_paren(p);
    }
    if (paren)
        close_paren(p);
}

/* A product (or a lone reciprocal power) as sign, numerator, denominator. */
static void print_product(Printer *p, const Node *n) {
    Fraction f;
    split_fraction(p, n, &f);
    if (!f.num || !f.den || !f.den_exp) {
        free_fraction(&f);
        return;
    }
    Num c = f.coef;
    if (num_is_negative(c)) {
        sb_putc(p->out, '-');
        c = num_neg(c);
    }
    /* a rational coefficient p/q: p joins the numerator, q the denominator */
    Num cnum = c, cden = num_int(1);
    if (c.is_rat && c.q != 1 && f.nden + f.nnum > 0) {
        cnum = num_int(c.p);
        cden = num_int(c.q);
    }
    int with_coef = !num_is_one(cnum) || f.nnum == 0;
    int has_den = f.nden > 0 || !num_is_one(cden);
    if (p->latex && has_den) {
        /* the braces of \frac group: a lone factor needs no parentheses */
        sb_puts(p->out, "\\frac{");
        if (f.nnum == 1 && !with_coef)
            print_node(p, f.num[0], 0);
        else
            print_factor_list(p, f.num, f.nnum, cnum, with_coef);
        sb_puts(p->out, "}{");
        int first = 1;
        if (!num_is_one(cden)) {
            print_const(p, cden);
            first = 0;
        }
        int lone = f.nden == 1 && first;
        for (int i = 0; i < f.nden; i++) {
            if (!first)
                sb_puts(p->out, " ");
            print_den_factor(p, f.den[i], f.den_exp[i], lone ? 0 : P_NEG);
            first = 0;
        }
        sb_putc(p->out, '}');
        free_fraction(&f);
        return;
    }
    print_factor_list(p, f.num, f.nnum, cnum, with_coef);
    if (has_den) {
        /* a reciprocal inside the denominator, a/(b*(1/c)), prints as the
         * quotient it came from: a/(b/c) */
        int ninv = 0;
        for (int i = 0; i < f.nden; i++)
            ninv += num_is_one(f.den_exp[i]) && is_reciprocal(f.den[i]) && !(p->temp && p->temp[f.den[i]->id] > 0);
        sb_putc(p->out, '/');
        int nd = f.nden + !num_is_one(cden);
        int group = nd > 1 || ninv;
        if (group)
            open_paren(p);
        int first = 1;
        if (!num_is_one(cden)) {
            print_const(p, cden);
            first = 0;
        }
        for (int i = 0; i < f.nden; i++) {
            int inv = ninv && num_is_one(f.den_exp[i]) && is_reciprocal(f.den[i]) &&
                      !(p->temp && p->temp[f.den[i]->id] > 0);
            if (inv)
                continue;
            if (!first)
                sb_putc(p->out, '*');
            print_den_factor(p, f.den[i], f.den_exp[i], nd > 1 ? P_NEG : P_POW);
            first = 0;
        }
        if (first)
            sb_putc(p->out, '1');
        if (ninv) {
            sb_putc(p->out, '/');
            if (ninv > 1)
                open_paren(p);
            int k = 0;
            for (int i = 0; i < f.nden; i++)
                if (num_is_one(f.den_exp[i]) && is_reciprocal(f.den[i]) && !(p->temp && p->temp[f.den[i]->id] > 0)) {
                    if (k++)
                        sb_putc(p->out, '*');
                    print_den_factor(p, f.den[i]->args[0], num_neg(f.den[i]->args[1]->num[0]),
                                     ninv > 1 ? P_NEG : P_POW);
                }
            if (ninv > 1)
                close_paren(p);
        }
        if (group)
            close_paren(p);
    }
    free_fraction(&f);
}

/* A term of a sum with its sign removed, or NULL if it is not negative. */
/* Is the term printed with a leading minus?  That is the sign of its
 * coefficient once nested products are merged, as print_product does. */
static int negative_term(const Printer *p, const Node *t) {
    if (t->kind == EX_CONST)
        return num_is_negative(t->num[0]);
    if (t->kind != EX_MUL)
        return 0;
    Fraction f;
    split_fraction(p, t, &f);
    int neg = f.num && f.den && f.den_exp && num_is_negative(f.coef);
    free_fraction(&f);
    return neg;
}

static void print_abs_term(Printer *p, const Node *t) {
    /* prints -t for a negative term t */
    if (t->kind == EX_CONST) {
        print_const(p, num_neg(t->num[0]));
        return;
    }
    Fraction f;
    split_fraction(p, t, &f);
    int simple = f.nden == 0 && num_is_minus_one(f.coef) && f.nnum == 1;
    const Node *only = simple ? f.num[0] : NULL;
    free_fraction(&f);
    if (only) {
        /* -(A @ B) prints as - A @ B: the product binds tighter than '-' */
        print_node(p, only, only->kind > EX_CALL ? P_PROD : P_PROD + 1);
        return;
    }
    /* print the product without its leading '-' */
    StrBuf tmp;
    sb_init(&tmp);
    StrBuf *saved = p->out;
    p->out = &tmp;
    print_product(p, t);
    p->out = saved;
    const char *s = sb_str(&tmp);
    sb_puts(p->out, s[0] == '-' ? s + 1 : s);
    if (tmp.failed)
        p->out->failed = 1;
    sb_free(&tmp);
}

static void print_sum(Printer *p, const Node *n) {
    const Node **terms = malloc((size_t)n->nargs * sizeof *terms);
    if (!terms) {
        p->out->failed = 1;
        return;
    }
    memcpy(terms, n->args, (size_t)n->nargs * sizeof *terms);
    qsort(terms, (size_t)n->nargs, sizeof *terms, term_order);
    /* start with a positive term when there is one: a - b/c, not -b/c + a */
    if (negative_term(p, terms[0]) && !(p->temp && p->temp[terms[0]->id] > 0)) {
        for (int i = 1; i < n->nargs; i++)
            if ((p->temp && p->temp[terms[i]->id] > 0) || !negative_term(p, terms[i])) {
                const Node *t = terms[i];
                memmove(terms + 1, terms, (size_t)i * sizeof *terms);
                terms[0] = t;
                break;
            }
    }
    for (int i = 0; i < n->nargs; i++) {
        const Node *t = terms[i];
        if (i == 0) {
            print_node(p, t, P_SUM);
        } else if (!(p->temp && p->temp[t->id] > 0) && negative_term(p, t)) {
            sb_puts(p->out, " - ");
            print_abs_term(p, t);
        } else {
            sb_puts(p->out, " + ");
            print_node(p, t, P_SUM + 1);
        }
    }
    free(terms);
}

static void print_temp_name(Printer *p, int index) {
    if (p->latex)
        sb_printf(p->out, "%s_{%d}", p->prefix, index);
    else
        sb_printf(p->out, "%s%d", p->prefix, index);
}

static void print_function_name(Printer *p, const char *name) {
    if (p->latex) {
        sb_puts(p->out, "\\operatorname{");
        for (; *name; name++) {
            if (*name == '_')
                sb_putc(p->out, '\\');
            sb_putc(p->out, *name);
        }
        sb_putc(p->out, '}');
    } else {
        sb_puts(p->out, name);
    }
}

static void print_function(Printer *p, const char *name, const Node *arg) {
    print_function_name(p, name);
    open_paren(p);
    print_node(p, arg, 0);
    close_paren(p);
}

/* A variable's or a run-time dimension's name. */
static void print_name(Printer *p, const char *name) {
    if (p->latex)
        print_latex_name(p->out, name);
    else
        sb_puts(p->out, name);
}

/* One axis: its number, or a run-time dimension's name. */
static void print_axis(Printer *p, Shape s, int k) {
    if (!s.dyn[k])
        sb_printf(p->out, "%d", s.dim[k]);
    else
        print_name(p, p->g->dims[s.dyn[k] - 1].name);
}

static void print_dims(Printer *p, Shape s) {
    print_axis(p, s, 0);
    if (s.rank == 2) {
        sb_puts(p->out, ", ");
        print_axis(p, s, 1);
    }
}

/* A literal of zeros with `value` at element or row `index`. */
static void print_scatter(Printer *p, const Node *n) {
    const Node *v = n->args[0];
    int rows = n->shape.dim[0], cols = n->shape.rank == 2 ? n->shape.dim[1] : 0;
    const char *open = p->latex ? "\\begin{bmatrix}" : "[", *close = p->latex ? "\\end{bmatrix}" : "]";
    sb_puts(p->out, open);
    for (int i = 0; i < rows; i++) {
        if (i)
            sb_puts(p->out, p->latex ? (cols ? " \\\\ " : " \\\\ ") : ", ");
        if (cols == 0 || (v->shape.rank == 1 && i == n->u.index)) {
            if (i == n->u.index)
                print_node(p, v, 0);
            else
                sb_putc(p->out, '0');
            continue;
        }
        if (!p->latex)
            sb_putc(p->out, '[');
        for (int j = 0; j < cols; j++) {
            if (j)
                sb_puts(p->out, p->latex ? " & " : ", ");
            if (v->shape.rank == 0 && i * cols + j == n->u.index)
                print_node(p, v, 0);
            else
                sb_putc(p->out, '0');
        }
        if (!p->latex)
            sb_putc(p->out, ']');
    }
    sb_puts(p->out, close);
}

/* The kinds of vectors and matrices, in the notation of the language:
 * A @ B, a b' (outer product), A', x[i], [a, b], sum(u), ...; LaTeX writes
 * products by juxtaposition and transposes as ^\top. */
static void print_tensor(Printer *p, const Node *n) {
    switch ((NodeKind)n->kind) {
    case EX_MATMUL:
        print_node(p, n->args[0], P_PROD);
        sb_puts(p->out, p->latex ? " " : " @ ");
        print_node(p, n->args[1], P_NEG);
        break;
    case EX_OUTER:
        print_node(p, n->args[0], P_PROD);
        sb_putc(p->out, ' ');
        print_node(p, n->args[1], P_ATOM);
        sb_puts(p->out, p->latex ? "^\\top" : "'");
        break;
    case EX_TRANSPOSE:
        print_node(p, n->args[0], P_ATOM);
        sb_puts(p->out, p->latex ? "^\\top" : "'");
        break;
    case EX_INDEX: {
        int i = n->u.index, element = n->shape.rank == 0 && n->args[0]->shape.rank == 2;
        int cols = element ? n->args[0]->shape.dim[1] : 1;
        print_node(p, n->args[0], P_ATOM);
        if (p->latex)
            sb_puts(p->out, "_{");
        else
            sb_putc(p->out, '[');
        if (element)
            sb_printf(p->out, "%d, %d", i / cols, i % cols);
        else
            sb_printf(p->out, "%d", i);
        sb_puts(p->out, p->latex ? "}" : "]");
        break;
    }
    case EX_SCATTER:
        print_scatter(p, n);
        break;
    case EX_PACK:
        sb_puts(p->out, p->latex ? "\\begin{bmatrix}" : "[");
        for (int k = 0; k < n->nargs; k++) {
            if (k)
                sb_puts(p->out, p->latex ? " \\\\ " : ", ");
            print_node(p, n->args[k], 0);
        }
        sb_puts(p->out, p->latex ? "\\end{bmatrix}" : "]");
        break;
    case EX_FILL: {
        const Node *c = n->args[0];
        int zero = dag_is_num(c, 0);
        if (!zero && !dag_is_num(c, 1)) {
            print_node(p, c, P_PROD);
            sb_puts(p->out, p->latex ? " " : "*");
        }
        sb_puts(p->out, zero ? "zeros(" : "ones(");
        print_dims(p, n->shape);
        sb_putc(p->out, ')');
        break;
    }
    case EX_SUM:
        print_function(p, "sum", n->args[0]);
        break;
    case EX_SOFTMAX:
        print_function(p, "softmax", n->args[0]);
        break;
    case EX_LOGSUMEXP:
        print_function(p, "logsumexp", n->args[0]);
        break;
    case EX_ROWSUM: /* sum(A, 1): along each row */
    case EX_COLSUM: /* sum(A, 0): down each column */
    case EX_ONEHOT: /* onehot(y, k) */
        print_function_name(p, n->kind == EX_ONEHOT ? "onehot" : "sum");
        open_paren(p);
        print_node(p, n->args[0], 0);
        sb_puts(p->out, ", ");
        if (n->kind == EX_ONEHOT)
            print_axis(p, n->shape, n->shape.rank - 1);
        else
            sb_puts(p->out, n->kind == EX_ROWSUM ? "1" : "0");
        close_paren(p);
        break;
    case EX_ROWS: /* ones(m) b': b in every row */
        sb_puts(p->out, p->latex ? "\\mathbf{1}_{" : "ones(");
        print_axis(p, n->shape, 0);
        sb_puts(p->out, p->latex ? "} " : ") ");
        print_node(p, n->args[0], P_ATOM);
        sb_puts(p->out, p->latex ? "^\\top" : "'");
        break;
    case EX_COLS: /* v ones(k)': v in every column */
        print_node(p, n->args[0], P_PROD);
        sb_puts(p->out, p->latex ? " \\mathbf{1}_{" : " ones(");
        print_axis(p, n->shape, 1);
        sb_puts(p->out, p->latex ? "}^\\top" : ")'");
        break;
    case EX_DIM:
        print_name(p, p->g->dims[n->u.dim].name);
        break;
    default:
        break;
    }
}

static void print_body(Printer *p, const Node *n) {
    switch ((NodeKind)n->kind) {
    case EX_CONST:
        print_const(p, n->num[0]);
        break;
    case EX_VAR:
        print_name(p, p->g->vars[n->u.var].name);
        break;
    case EX_ADD:
        print_sum(p, n);
        break;
    case EX_MUL:
        print_product(p, n);
        break;
    case EX_POW:
        if (is_reciprocal(n))
            print_product(p, n);
        else
            print_pow(p, n->args[0], n->args[1]);
        break;
    case EX_CALL:
        print_call(p, n);
        break;
    CASE_TENSOR_KINDS:
        print_tensor(p, n);
        break;
    case EX_COUNT:
        break;
    }
}

static void print_node(Printer *p, const Node *n, int ctx) {
    if (p->temp && p->temp[n->id] > 0) {
        print_temp_name(p, p->temp[n->id]);
        return;
    }
    const Node *outer = p->bcast;
    if (prints_bare(p, n)) { /* b in X @ W' + b */
        p->bcast = NULL;
        print_node(p, n->args[0], ctx);
        p->bcast = outer;
        return;
    }
    int paren = node_prec(p, n) < ctx;
    if (paren)
        open_paren(p);
    p->bcast = bare_context(n, outer);
    print_body(p, n);
    p->bcast = outer;
    if (paren)
        close_paren(p);
}

void print_expr(StrBuf *out, const Graph *g, const Node *n, PrintStyle style) {
    Printer p = {out, g, style == PRINT_LATEX, NULL, "t", NULL};
    print_node(&p, n, 0);
}

/* --- temporaries ------------------------------------------------------------ */

/* A prefix for temporaries that no variable name can be confused with. */
static const char *temp_prefix(const Graph *g) {
    static const char *const prefixes[] = {"t", "tmp", "_t", "_tmp_"};
    for (size_t k = 0; k < sizeof prefixes / sizeof *prefixes; k++) {
        size_t len = strlen(prefixes[k]);
        int clash = 0;
        for (int i = 0; i < g->nvars && !clash; i++) {
            const char *v = g->vars[i].name;
            if (strncmp(v, prefixes[k], len) == 0 && v[len] && strspn(v + len, "0123456789") == strlen(v + len))
                clash = 1;
        }
        if (!clash)
            return prefixes[k];
    }
    return "_tmp_";
}

/* Chooses temporaries: nothing when the trees are small; otherwise every
 * shared non-leaf node, and any node whose inline text would nest deeper
 * than a few dozen levels.  Returns the number of temporaries, or -1 when
 * out of memory (printing inline could take exponential time). */
static int choose_temps(const Graph *g, Node *const *roots, int nroots, int *temp) {
    size_t nn = g->nnodes ? g->nnodes : 1;
    unsigned char *mark = malloc(nn);
    int *uses = calloc(nn, sizeof *uses);
    int *depth = calloc(nn, sizeof *depth);
    double tree = 0;
    int count = 0;
    if (!mark || !uses || !depth) {
        count = -1;
        goto done;
    }
    tree = dag_tree_size(g, roots, nroots);
    if (isnan(tree)) {
        count = -1;
        goto done;
    }
    if (tree <= PRINT_INLINE_LIMIT)
        goto done;
    dag_mark_reachable(g, roots, nroots, mark);
    for (size_t id = 0; id < g->nnodes; id++)
        if (mark[id])
            for (int k = 0; k < g->nodes[id]->nargs; k++)
                uses[g->nodes[id]->args[k]->id]++;
    for (int i = 0; i < nroots; i++)
        if (roots[i]) {
            uses[roots[i]->id]++;
            mark[roots[i]->id] |= 2; /* a root: printed where it is used */
        }
    for (size_t id = 0; id < g->nnodes; id++) {
        if (!mark[id])
            continue;
        const Node *n = g->nodes[id];
        if (n->kind == EX_CONST || n->kind == EX_VAR || (n->kind == EX_CALL && n->nargs == 0))
            continue;
        int d = 0;
        for (int k = 0; k < n->nargs; k++) {
            int dk = temp[n->args[k]->id] ? 0 : depth[n->args[k]->id];
            if (dk > d)
                d = dk;
        }
        depth[id] = d + 1;
        if (!(mark[id] & 2) && (uses[id] >= 2 || depth[id] > 40)) {
            temp[id] = ++count;
            depth[id] = 0;
        }
    }
done:
    free(mark);
    free(uses);
    free(depth);
    return count;
}

struct PrintSession {
    Printer p;
};

PrintSession *print_begin(const Graph *g, Node *const *roots, int nroots, PrintStyle style,
                          StrBuf *defs) {
    PrintSession *s = malloc(sizeof *s);
    /* small trees print inline, without temporaries: found in time
     * proportional to the tree, so that printing many small roots of a
     * large graph (a wide Jacobian's entries) costs no pass over the graph */
    double small = dag_tree_size_at_most(g, roots, nroots, PRINT_INLINE_LIMIT);
    if (s && small <= PRINT_INLINE_LIMIT) {
        Printer p = {defs, g, style == PRINT_LATEX, NULL, temp_prefix(g), NULL};
        s->p = p;
        return s;
    }
    int *temp = calloc(g->nnodes ? g->nnodes : 1, sizeof *temp);
    if (!s || !temp) {
        free(s);
        free(temp);
        defs->failed = 1;
        return NULL;
    }
    Printer p = {defs, g, style == PRINT_LATEX, temp, temp_prefix(g), NULL};
    s->p = p;
    int ntemps = choose_temps(g, roots, nroots, temp);
    if (ntemps < 0) {
        print_end(s);
        defs->failed = 1;
        return NULL;
    }
    for (size_t id = 0; ntemps && id < g->nnodes; id++) {
        if (!temp[id])
            continue;
        print_temp_name(&s->p, temp[id]);
        sb_puts(defs, s->p.latex ? " &= " : " = ");
        int t = temp[id];
        temp[id] = 0; /* print the definition itself, not its name */
        print_node(&s->p, g->nodes[id], 0);
        temp[id] = t;
        sb_puts(defs, s->p.latex ? " \\\\\n" : ";\n");
    }
    return s;
}

void print_root(PrintSession *s, const Node *root, StrBuf *out) {
    if (!s || !root)
        return;
    s->p.out = out;
    print_node(&s->p, root, 0);
}

void print_end(PrintSession *s) {
    if (!s)
        return;
    free(s->p.temp);
    free(s);
}

void print_roots(StrBuf *out, const Graph *g, Node *const *roots, const char *const *labels,
                 int nroots, PrintStyle style) {
    PrintSession *s = print_begin(g, roots, nroots, style, out);
    if (!s)
        return;
    const char *assign = style == PRINT_LATEX ? " &= " : " = ";
    for (int i = 0; i < nroots; i++) {
        if (!roots[i])
            continue;
        if (labels) {
            sb_puts(out, labels[i]);
            sb_puts(out, assign);
        }
        print_root(s, roots[i], out);
        sb_puts(out, style == PRINT_LATEX && labels && i + 1 < nroots ? " \\\\\n" : "\n");
    }
    print_end(s);
}
