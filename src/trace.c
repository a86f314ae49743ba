/* SPDX-License-Identifier: MIT */
/*
 * trace.c — step-by-step derivations (see trace.h).
 *
 * Consumes a function node; produces text.  Every dependent node n gets
 *   d/dx n = sum over its dependent arguments a_k of  dn/da_k * d/dx a_k
 * (the chain rule in its general form, the same sum deriv_forward builds),
 * with dn/da_k from deriv_partial, and a name for the rule that produced
 * dn/da_k.  The "substituted" line writes each d/dx a_k out in full, as a
 * tree (hence the size limit), before any simplification; the last line is
 * the forward engine's simplified derivative.
 */
#include "trace.h"

#include <stdlib.h>
#include <string.h>

#include "deriv.h"
#include "print.h"

/* Strings of the substituted derivative longer than this are not shown. */
#define TRACE_MAX_TEXT 4000

typedef struct Tracer {
    Graph *g;
    const DerivOptions *opt; /* the request's kink                         */
    int var, latex;
    PrintStyle style;
    const char *dx;  /* "d/dx " or "\frac{d}{dx} "                    */
    const char *mul; /* " * " or " \cdot "                             */
} Tracer;

static void put_open(const Tracer *t, StrBuf *sb) { sb_puts(sb, t->latex ? "\\left(" : "("); }
static void put_close(const Tracer *t, StrBuf *sb) { sb_puts(sb, t->latex ? "\\right)" : ")"); }

/* A node as an operand of d/dx or of a product: sums, products and
 * negative forms in parentheses. */
static void put_operand(const Tracer *t, StrBuf *sb, const Node *n) {
    StrBuf s;
    sb_init(&s);
    print_expr(&s, t->g, n, t->style);
    int wrap = n->kind == EX_ADD || n->kind == EX_MUL || sb_str(&s)[0] == '-';
    if (wrap)
        put_open(t, sb);
    sb_puts(sb, sb_str(&s));
    if (wrap)
        put_close(t, sb);
    sb_free(&s);
}

static void put_d(const Tracer *t, StrBuf *sb, const Node *n) {
    sb_puts(sb, t->dx);
    put_operand(t, sb, n);
}

/* The rule that gives the local factors of n. */
static void put_rule(const Tracer *t, StrBuf *sb, const Node *n, const unsigned char *dep) {
    int ndep = 0, direct = 0;
    for (int k = 0; k < n->nargs; k++)
        if (dep[n->args[k]->id]) {
            ndep++;
            direct = n->args[k]->kind == EX_VAR;
        }
    const char *name = "";
    switch ((NodeKind)n->kind) {
    case EX_ADD: /* d(a + b) = da + db */
        name = "sum rule";
        break;
    case EX_MUL: /* d(c u) = c du;  d(u v) = u' v + u v' */
        name = ndep == 1 ? "constant factor rule" : "product rule";
        break;
    case EX_POW:
        if (!dep[n->args[1]->id]) /* d u^c = c u^(c-1) du */
            name = "power rule";
        else if (!dep[n->args[0]->id]) /* d a^u = a^u ln(a) du */
            name = "exponential rule";
        else /* d u^v = v u^(v-1) du + u^v ln(u) dv */
            name = "general power rule";
        break;
    case EX_CALL: {
        const char *what = builtin_info[n->u.fn].rule; /* builtins.def */
        if (t->latex)
            sb_printf(sb, "\\text{%s%s}", (ndep == 1 && direct) ? "" : "chain rule: ",
                      builtin_info[n->u.fn].name);
        else
            sb_printf(sb, "%s%s", (ndep == 1 && direct) ? "" : "chain rule: ", what);
        return;
    }
    case EX_CONST:
    case EX_VAR:
    CASE_TENSOR_KINDS:
    case EX_COUNT:
        break;
    }
    if (t->latex)
        sb_printf(sb, "\\text{%s}", name);
    else
        sb_puts(sb, name);
}

/* Appends " + term" or " - term" (a leading '-' of term becomes the
 * operator), or just the term when first. */
static void join_term(StrBuf *sb, const char *term, int first) {
    if (first)
        sb_puts(sb, term);
    else if (term[0] == '-')
        sb_printf(sb, " - %s", term + 1);
    else
        sb_printf(sb, " + %s", term);
}

/* The right-hand side of n's line:  sum_k dn/da_k * d/dx a_k. */
static void put_step(const Tracer *t, StrBuf *sb, Node *n, const unsigned char *dep) {
    int first = 1;
    for (int k = 0; k < n->nargs; k++) {
        Node *a = n->args[k];
        if (!dep[a->id])
            continue;
        Node *p = deriv_partial(t->g, n, k, t->opt);
        StrBuf term;
        sb_init(&term);
        if (!p) {
            t->g->failed = 1;
        } else if (a->kind == EX_VAR) { /* d/dx x = 1 */
            print_expr(&term, t->g, p, t->style);
        } else if (dag_is_num(p, 1)) {
            put_d(t, &term, a);
        } else if (dag_is_num(p, -1)) {
            sb_putc(&term, '-');
            put_d(t, &term, a);
        } else {
            if (p->kind == EX_ADD)
                put_operand(t, &term, p);
            else
                print_expr(&term, t->g, p, t->style);
            sb_puts(&term, t->mul);
            put_d(t, &term, a);
        }
        join_term(sb, sb_str(&term), first);
        first = 0;
        sb_free(&term);
    }
}

/* Whether text has an operator or a space outside parentheses (it is then
 * shown in parentheses when substituted into a product, so the reader sees
 * what was substituted). */
static int compound(const char *s) {
    int depth = 0;
    for (; *s; s++) {
        if (*s == '(' || *s == '{')
            depth++;
        else if (*s == ')' || *s == '}')
            depth--;
        else if (depth == 0 && strchr(" *-/", *s))
            return 1;
    }
    return 0;
}

/* The derivative with every d/dx written out, by node id (a tree: shared
 * nodes are repeated).  sum[id]: the text is a sum or starts with '-', so
 * it needs parentheses as a factor.  NULL text: too long. */
static void substitute(const Tracer *t, Node *n, const unsigned char *dep, char **text,
                       unsigned char *sum) {
    StrBuf sb;
    sb_init(&sb);
    int nterms = 0, last_sum = 0;
    for (int k = 0; k < n->nargs; k++) {
        Node *a = n->args[k];
        if (!dep[a->id])
            continue;
        const char *da = a->kind == EX_VAR ? "1" : text[a->id];
        if (!da) {
            sb_free(&sb);
            text[n->id] = NULL;
            return;
        }
        Node *p = deriv_partial(t->g, n, k, t->opt);
        if (!p) {
            t->g->failed = 1;
            sb_free(&sb);
            return;
        }
        StrBuf term;
        sb_init(&term);
        int da_sum = a->kind != EX_VAR && sum[a->id];
        if (strcmp(da, "1") == 0) {
            print_expr(&term, t->g, p, t->style);
            last_sum = p->kind == EX_ADD;
        } else if (dag_is_num(p, 1)) {
            sb_puts(&term, da);
            last_sum = da_sum;
        } else {
            if (p->kind == EX_ADD)
                put_operand(t, &term, p);
            else
                print_expr(&term, t->g, p, t->style);
            sb_puts(&term, t->latex ? " \\cdot " : "*");
            int wrap = da_sum || compound(da);
            if (wrap)
                put_open(t, &term);
            sb_puts(&term, da);
            if (wrap)
                put_close(t, &term);
            last_sum = 0;
        }
        join_term(&sb, sb_str(&term), nterms == 0);
        nterms++;
        sb_free(&term);
    }
    if (sb.len > TRACE_MAX_TEXT || sb.failed) {
        sb_free(&sb);
        text[n->id] = NULL;
        return;
    }
    sum[n->id] = (unsigned char)(nterms > 1 || last_sum || sb_str(&sb)[0] == '-');
    text[n->id] = sb.data; /* owned by text[] from here on */
}

int trace_derivative(StrBuf *out, Graph *g, Node *f, int var, int latex, const DerivOptions *opt) {
    if (!f || var < 0 || var >= g->nvars || !(dag_tree_size(g, &f, 1) <= TRACE_LIMIT))
        return -1;
    /* the partials under the request's assumptions, as the engines build them */
    DerivScope scope;
    if (deriv_scope_begin(g, opt, &f, 1, &scope) != 0)
        return -1;
    Tracer t = {.g = g, .opt = opt, .var = var, .latex = latex, .style = latex ? PRINT_LATEX : PRINT_INFIX,
                .mul = latex ? " \\cdot " : " * "};
    const char *xname = g->vars[var].name;
    StrBuf dx;
    sb_init(&dx);
    if (latex) {
        sb_puts(&dx, "\\frac{d}{d");
        print_latex_name(&dx, xname);
        sb_puts(&dx, "} ");
    } else {
        sb_printf(&dx, "d/d%s ", xname);
    }
    t.dx = sb_str(&dx);
    size_t n0 = g->nnodes; /* nodes made below are not part of f */
    unsigned char *mark = malloc(n0 ? n0 : 1), *dep = calloc(n0 ? n0 : 1, 1);
    unsigned char *sum = calloc(n0 ? n0 : 1, 1);
    char **text = calloc(n0 ? n0 : 1, sizeof *text);
    StrBuf *lhs = NULL, *rhs = NULL, *rule = NULL;
    int nlines = 0, st = -1;
    if (!mark || !dep || !sum || !text)
        goto done;
    dag_mark_reachable(g, &f, 1, mark);
    for (size_t id = 0; id <= f->id; id++) {
        if (!mark[id])
            continue;
        const Node *n = g->nodes[id];
        dep[id] = n->kind == EX_VAR && n->u.var == var;
        for (int k = 0; k < n->nargs && !dep[id]; k++)
            dep[id] = dep[n->args[k]->id];
    }
    size_t cap = f->id + 1;
    lhs = calloc(cap, sizeof *lhs);
    rhs = calloc(cap, sizeof *rhs);
    rule = calloc(cap, sizeof *rule);
    if (!lhs || !rhs || !rule)
        goto done;

    /* the steps, from f down (ids descending) */
    for (size_t id = f->id + 1; id-- > 0;) {
        Node *n = g->nodes[id];
        if (!mark[id] || !dep[id] || n->kind == EX_VAR || n->kind == EX_CONST)
            continue;
        sb_init(&lhs[nlines]);
        sb_init(&rhs[nlines]);
        sb_init(&rule[nlines]);
        put_d(&t, &lhs[nlines], n);
        put_step(&t, &rhs[nlines], n, dep);
        put_rule(&t, &rule[nlines], n, dep);
        nlines++;
    }
    if (f->kind == EX_VAR && dep[f->id]) { /* f is the variable itself */
        sb_init(&lhs[0]);
        sb_init(&rhs[0]);
        sb_init(&rule[0]);
        put_d(&t, &lhs[0], f);
        sb_putc(&rhs[0], '1');
        sb_puts(&rule[0], latex ? "\\text{identity}" : "identity");
        nlines = 1;
    }
    /* the substituted derivative, bottom up */
    for (size_t id = 0; id <= f->id; id++) {
        Node *n = g->nodes[id];
        if (mark[id] && dep[id] && n->kind != EX_VAR && n->kind != EX_CONST)
            substitute(&t, n, dep, text, sum);
    }
    Node *d = deriv_forward(g, f, var, opt);
    if (!d || g->failed)
        goto done;

    if (latex) {
        sb_puts(out, "\\begin{align*}\nf &= ");
        print_expr(out, g, f, PRINT_LATEX);
        sb_puts(out, " \\\\\n");
        for (int i = 0; i < nlines; i++)
            sb_printf(out, "%s &= %s && %s \\\\\n", sb_str(&lhs[i]), sb_str(&rhs[i]),
                      sb_str(&rule[i]));
    } else {
        sb_puts(out, "f = ");
        print_expr(out, g, f, PRINT_INFIX);
        sb_puts(out, "\n\n");
        size_t width = 0;
        for (int i = 0; i < nlines; i++) {
            size_t w = lhs[i].len + 3 + rhs[i].len;
            if (w > width && w <= 72)
                width = w;
        }
        for (int i = 0; i < nlines; i++) {
            size_t w = lhs[i].len + 3 + rhs[i].len;
            sb_printf(out, "%s = %s", sb_str(&lhs[i]), sb_str(&rhs[i]));
            for (; w < width; w++)
                sb_putc(out, ' ');
            sb_printf(out, "   [%s]\n", sb_str(&rule[i]));
        }
        if (nlines == 0)
            sb_printf(out, "f does not depend on %s\n", xname);
        sb_putc(out, '\n');
    }
    const char *subst = dep[f->id] ? (f->kind == EX_VAR ? "1" : text[f->id]) : "0";
    if (latex) {
        if (subst)
            sb_printf(out, "%sf &= %s && \\text{substituted} \\\\\n", t.dx, subst);
        sb_printf(out, "%sf &= ", t.dx);
        print_expr(out, g, d, PRINT_LATEX);
        sb_puts(out, " && \\text{simplified}\n\\end{align*}\n");
    } else {
        sb_printf(out, "substituted:  %sf = %s\n", t.dx,
                  subst ? subst : "(too long to write out)");
        sb_printf(out, "simplified:   %sf = ", t.dx);
        print_expr(out, g, d, PRINT_INFIX);
        sb_putc(out, '\n');
    }
    st = out->failed ? -1 : 0;
done:
    for (int i = 0; i < nlines; i++) {
        sb_free(&lhs[i]);
        sb_free(&rhs[i]);
        sb_free(&rule[i]);
    }
    for (size_t id = 0; text && id < n0; id++)
        free(text[id]);
    free(text);
    free(lhs);
    free(rhs);
    free(rule);
    free(mark);
    free(dep);
    free(sum);
    sb_free(&dx);
    deriv_scope_end(g, &scope);
    return st;
}
