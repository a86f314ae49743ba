/* SPDX-License-Identifier: MIT */
/*
 * emit_ad.c — forward- and reverse-mode AD of the program's own
 * straight-line code, written as C (see emit_ad.h).
 *
 * Consumes the function's DAG; produces a C source and header.
 *
 * The straight-line code.  Every node the outputs need is one statement
 * `const T t<k> = ...;`, k in id (topological) order, except leaves
 * (constants and variables, written where they are used) and nodes that a
 * careful form writes inside their only user (1 + w under log is
 * log1p(w), exp(u) next to -1 in a sum is expm1(u), sigmoid(v) under log
 * is a softplus).  Subtraction and division, which the DAG holds as
 * a + (-1)b and a b^-1, are one statement each, as the program wrote them.
 * codegen's writer writes the statements, so values, literals and careful
 * forms are exactly the symbolic kernel's.
 *
 * Local partials.  For each statement and each of its operands (the
 * statements and parameters it reads) the partial d t_k / d operand is
 * deriv_partial's rule, the symbolic engines' own table (same kink
 * conventions), chained through the nodes kept inside the statement and
 * built by the simplifying constructors: log(sigmoid(v)) gets
 * 1 - sigmoid(v) for v, exactly as the symbolic derivative does.
 *
 * Only statements on a path from a parameter to an output whose partials
 * are not 0 get a tangent or an adjoint ("live" and "active" below), so
 * the generated code has no unused variable.
 */
#include "emit_ad.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen_common.h"
#include "deriv.h"

typedef struct Operand {
    const Node *node; /* a statement's node, or a parameter's variable node */
    Node *partial;    /* d statement / d node, never the constant 0          */
} Operand;

/* Generated text with what it costs and which names it reads. */
typedef struct Piece {
    char *text;
    uint32_t *reads; /* ids of the nodes referred to by name, with repeats */
    size_t nreads;
    CodegenCounts counts;
    long max_stmt;   /* the most operations of one of its statements      */
} Piece;

typedef struct Stmt {
    const Node *node;
    int first_op, nops; /* its operands: Ad.ops[first_op .. first_op + nops) */
    int live;           /* depends on a parameter through nonzero partials   */
    Piece value;        /* "const T t<k> = ...;\n"                           */
} Stmt;

typedef struct Ad {
    Graph *g;
    const CodegenInput *in;
    const CodegenOptions *opt;
    const DerivOptions *dopt; /* the request's kink (deriv_partial)       */
    CodegenWriter *w;
    size_t n0;         /* the function's nodes have ids below n0            */
    int *stmt_of;      /* by id < n0: statement number, or -1               */
    Stmt *stmts;
    int nstmts;
    Operand *ops;
    int nops, ops_cap;
    int *param_of;     /* by variable: position in x[], or -1               */
    const CodegenType *ty;
    const char *T;     /* ty->name                                          */
    char zero[16], one[16]; /* the literals 0 and 1 of the type             */
    StrBuf scratch;
    int failed;
} Ad;

/* What a kernel costs per call, for the header. */
typedef struct Cost {
    CodegenCounts ops;
    int locals;
    int passes;    /* forward mode's f_grad: ops is per pass        */
    long max_stmt; /* the most operations of one statement          */
} Cost;

/* --- statements and operands ------------------------------------------------------ */

static int stmt_index(const Ad *A, const Node *n) { return n->id < A->n0 ? A->stmt_of[n->id] : -1; }

static int param_index(const Ad *A, const Node *n) {
    return n->kind == EX_VAR ? A->param_of[n->u.var] : -1;
}

/* An operand carries a tangent or an adjoint: a parameter, or a live statement. */
static int live_operand(const Ad *A, const Node *n) {
    int k = stmt_index(A, n);
    return k >= 0 ? A->stmts[k].live : param_index(A, n) >= 0;
}

/* Which nodes become statements: those the outputs need as they are
 * written (codegen_written_args), less leaves and nodes fused into their
 * only user. */
static int find_statements(Ad *A) {
    Graph *g = A->g;
    size_t n0 = A->n0, cap = n0 ? n0 : 1;
    unsigned char *mark = calloc(cap, 1);
    int *uses = calloc(cap, sizeof *uses), *user = malloc(cap * sizeof *user);
    A->stmt_of = malloc(cap * sizeof *A->stmt_of);
    A->stmts = calloc(cap, sizeof *A->stmts);
    if (!mark || !uses || !user || !A->stmt_of || !A->stmts) {
        free(mark);
        free(uses);
        free(user);
        return -1;
    }
    for (size_t id = 0; id < n0; id++)
        user[id] = A->stmt_of[id] = -1;
    for (int i = 0; i < A->in->noutputs; i++) {
        mark[A->in->outputs[i]->id] = 1;
        uses[A->in->outputs[i]->id]++; /* a use with no user node */
    }
    for (size_t id = n0; id-- > 0;) {
        if (!mark[id])
            continue;
        Node *const *args;
        int nargs = codegen_written_args(g->nodes[id], &args);
        for (int k = 0; k < nargs; k++) {
            mark[args[k]->id] = 1;
            uses[args[k]->id]++;
            user[args[k]->id] = (int)id;
        }
    }
    for (size_t id = 0; id < n0; id++) {
        const Node *n = g->nodes[id];
        if (!mark[id] || codegen_is_leaf(n))
            continue;
        if (uses[id] == 1 && user[id] >= 0 && codegen_fuses(g->nodes[user[id]], n))
            continue;
        A->stmt_of[id] = A->nstmts;
        A->stmts[A->nstmts++].node = n;
    }
    free(mark);
    free(uses);
    free(user);
    return 0;
}

static int add_operand(Ad *A, Stmt *s, const Node *node, Node *partial) {
    for (int i = s->first_op; i < s->first_op + s->nops; i++)
        if (A->ops[i].node == node) {
            A->ops[i].partial = dag_add(A->g, A->ops[i].partial, partial);
            return A->ops[i].partial ? 0 : -1;
        }
    if (A->nops == A->ops_cap) {
        int cap = A->ops_cap ? 2 * A->ops_cap : 256;
        Operand *o = realloc(A->ops, (size_t)cap * sizeof *o);
        if (!o)
            return -1;
        A->ops = o;
        A->ops_cap = cap;
    }
    A->ops[A->nops].node = node;
    A->ops[A->nops++].partial = partial;
    s->nops++;
    return 0;
}

static int by_id_descending(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* The operands of every statement that depends on a parameter, with their
 * partials: a reverse pass over the statement's own nodes, from the
 * statement (partial 1) down through the nodes kept inside it,
 *   adj(arg) += adj(node) * d node / d arg   (deriv_partial),
 * stopping at other statements and at parameters. */
static int build_partials(Ad *A) {
    Graph *g = A->g;
    size_t n0 = A->n0, cap = n0 ? n0 : 1;
    unsigned char *depends = calloc(cap, 1);
    Node **adj = calloc(cap, sizeof *adj);
    uint32_t *seen = calloc(cap, sizeof *seen), *inner = malloc(cap * sizeof *inner);
    uint32_t *stack = malloc(cap * sizeof *stack);
    int status = -1;
    if (!depends || !adj || !seen || !inner || !stack)
        goto done;
    for (size_t id = 0; id < n0; id++) {
        const Node *n = g->nodes[id];
        if (n->kind == EX_VAR)
            depends[id] = A->param_of[n->u.var] >= 0;
        for (int k = 0; k < n->nargs && !depends[id]; k++)
            depends[id] = depends[n->args[k]->id];
    }
    for (int k = 0; k < A->nstmts; k++) {
        Stmt *s = &A->stmts[k];
        s->first_op = A->nops;
        if (!depends[s->node->id])
            continue;
        /* the nodes kept inside this statement, latest first */
        size_t ninner = 0, top = 0;
        stack[top++] = s->node->id;
        while (top) {
            const Node *p = g->nodes[stack[--top]];
            for (int i = 0; i < p->nargs; i++) {
                const Node *a = p->args[i];
                if (!depends[a->id] || stmt_index(A, a) >= 0 || codegen_is_leaf(a) ||
                    seen[a->id] == (uint32_t)k + 1)
                    continue;
                seen[a->id] = (uint32_t)k + 1;
                inner[ninner++] = stack[top++] = a->id;
            }
        }
        qsort(inner, ninner, sizeof *inner, by_id_descending);
        adj[s->node->id] = dag_int(g, 1);
        for (size_t i = 0; i <= ninner && !g->failed; i++) {
            Node *p = g->nodes[i == 0 ? s->node->id : inner[i - 1]];
            Node *ap = adj[p->id];
            adj[p->id] = NULL;
            if (!ap)
                continue;
            for (int j = 0; j < p->nargs; j++) {
                Node *a = p->args[j];
                if (!depends[a->id])
                    continue;
                Node *d = deriv_partial(g, p, j, A->dopt);
                Node *c = d ? dag_mul(g, ap, d) : NULL;
                if (!c)
                    goto done;
                if (dag_is_num(c, 0))
                    continue;
                if (stmt_index(A, a) < 0 && !codegen_is_leaf(a))
                    adj[a->id] = adj[a->id] ? dag_add(g, adj[a->id], c) : c;
                else if (add_operand(A, s, a, c) != 0)
                    goto done;
            }
        }
        if (g->failed)
            goto done;
        /* terms that cancelled */
        int kept = 0;
        for (int i = 0; i < s->nops; i++)
            if (!dag_is_num(A->ops[s->first_op + i].partial, 0))
                A->ops[s->first_op + kept++] = A->ops[s->first_op + i];
        A->nops -= s->nops - kept;
        s->nops = kept;
    }
    for (int k = 0; k < A->nstmts; k++) {
        Stmt *s = &A->stmts[k];
        for (int i = 0; i < s->nops && !s->live; i++)
            s->live = live_operand(A, A->ops[s->first_op + i].node);
    }
    status = g->failed ? -1 : 0;
done:
    free(depends);
    free(adj);
    free(seen);
    free(inner);
    free(stack);
    return status;
}

/* --- text ------------------------------------------------------------------------- */

static void counts_add(CodegenCounts *a, CodegenCounts b) {
    a->add += b.add;
    a->mul += b.mul;
    a->div += b.div;
    a->call += b.call;
}

static long counts_total(CodegenCounts c) { return c.add + c.mul + c.div + c.call; }

/* Adds a piece to a kernel's cost. */
static void cost_add(Cost *cost, const Piece *p) {
    counts_add(&cost->ops, p->counts);
    if (p->max_stmt > cost->max_stmt)
        cost->max_stmt = p->max_stmt;
}

/* Turns the scratch buffer, the writer's reads and counts into a piece
 * (plus the operations counted by the caller).  max_stmt: the most
 * operations of one of its statements, or -1 for a piece that is one
 * statement. */
static void take_piece(Ad *A, Piece *p, CodegenCounts extra, long max_stmt) {
    const uint32_t *ids;
    p->nreads = codegen_writer_take_reads(A->w, &ids);
    p->counts = codegen_writer_take_counts(A->w);
    counts_add(&p->counts, extra);
    p->max_stmt = max_stmt < 0 ? counts_total(p->counts) : max_stmt;
    p->text = malloc(A->scratch.len + 1);
    p->reads = malloc((p->nreads ? p->nreads : 1) * sizeof *p->reads);
    if (!p->text || !p->reads || A->scratch.failed) {
        A->failed = 1;
        p->nreads = 0;
    } else {
        memcpy(p->text, sb_str(&A->scratch), A->scratch.len + 1);
        memcpy(p->reads, ids, p->nreads * sizeof *ids);
    }
    sb_clear(&A->scratch);
}

static void piece_free(Piece *p) {
    free(p->text);
    free(p->reads);
    memset(p, 0, sizeof *p);
}

/* P * name as a term with its sign apart (name NULL: P alone): writes the
 * magnitude to out and returns 1 when the term is negative.  A C product
 * written with a leading minus is the negation of the rest. */
static int signed_term(Ad *A, const Node *P, const char *name, StrBuf *out, CodegenCounts *c) {
    if (name && (dag_is_num(P, 1) || dag_is_num(P, -1))) {
        sb_puts(out, name);
        return dag_is_num(P, -1);
    }
    StrBuf t;
    sb_init(&t);
    codegen_writer_ref(A->w, P, 1, &t);
    const char *s = sb_str(&t);
    int neg = s[0] == '-';
    sb_puts(out, s + neg);
    if (t.failed)
        out->failed = 1;
    sb_free(&t);
    if (name) {
        sb_printf(out, " * %s", name);
        c->mul++;
    }
    return neg;
}

/* The tangent (forward) or adjoint (reverse) of an operand. */
static void derivative_name(const Ad *A, const Node *n, char prefix, char *buf, size_t size) {
    int k = stmt_index(A, n);
    if (k >= 0)
        snprintf(buf, size, "%c%d", prefix, k);
    else
        snprintf(buf, size, "%cx%d", prefix, param_index(A, n));
}

/* Marks the statements with a tangent or adjoint for these outputs: live,
 * and read by an active user (or an output).  seeds[i]: parameter i is
 * read by one of them (or is an output). */
static void mark_active(const Ad *A, Node *const *roots, int nroots, unsigned char *active,
                        unsigned char *seeds) {
    memset(active, 0, (size_t)(A->nstmts ? A->nstmts : 1));
    memset(seeds, 0, (size_t)(A->in->nparams ? A->in->nparams : 1));
    for (int i = 0; i < nroots; i++) {
        int k = stmt_index(A, roots[i]), p = param_index(A, roots[i]);
        if (k >= 0 && A->stmts[k].live)
            active[k] = 1;
        if (p >= 0)
            seeds[p] = 1;
    }
    for (int k = A->nstmts; k-- > 0;) {
        if (!active[k])
            continue;
        const Stmt *s = &A->stmts[k];
        for (int i = 0; i < s->nops; i++) {
            const Node *o = A->ops[s->first_op + i].node;
            int j = stmt_index(A, o), p = param_index(A, o);
            if (j >= 0 && A->stmts[j].live)
                active[j] = 1;
            else if (j < 0 && p >= 0)
                seeds[p] = 1;
        }
    }
}

/* need[k]: statement k's value is read by the pieces (or is an output when
 * with_outputs), directly or through other statements. */
static void mark_needed(const Ad *A, const Piece *pieces, int npieces, int with_outputs,
                        unsigned char *need) {
    memset(need, 0, (size_t)(A->nstmts ? A->nstmts : 1));
    for (int i = 0; with_outputs && i < A->in->noutputs; i++) {
        int k = stmt_index(A, A->in->outputs[i]);
        if (k >= 0)
            need[k] = 1;
    }
    for (int i = 0; i < npieces; i++)
        for (size_t r = 0; r < pieces[i].nreads; r++) {
            int k = pieces[i].reads[r] < A->n0 ? A->stmt_of[pieces[i].reads[r]] : -1;
            if (k >= 0)
                need[k] = 1;
        }
    for (int k = A->nstmts; k-- > 0;) {
        if (!need[k])
            continue;
        const Piece *v = &A->stmts[k].value;
        for (size_t r = 0; r < v->nreads; r++) {
            int j = v->reads[r] < A->n0 ? A->stmt_of[v->reads[r]] : -1;
            if (j >= 0)
                need[j] = 1;
        }
    }
}

/* Which of x[] and input[] the pieces read (bits 1 and 2). */
static unsigned arrays_read(const Ad *A, const Piece *p) {
    unsigned bits = 0;
    for (size_t r = 0; r < p->nreads; r++) {
        const Node *n = A->g->nodes[p->reads[r]];
        if (n->kind == EX_VAR)
            bits |= A->param_of[n->u.var] >= 0 ? 1u : 2u;
    }
    return bits;
}

static void put_indented(StrBuf *out, const char *indent, const char *text) {
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) + 1 : strlen(line);
        if (len > 1)
            sb_puts(out, indent);
        sb_putn(out, line, len);
        line += len;
    }
}

/* (void) for the arrays a kernel does not read, so that it compiles under
 * -Wunused-parameter. */
static void void_unread(const Ad *A, StrBuf *out, unsigned bits, const char *indent) {
    if (!(bits & 1u))
        sb_printf(out, "%s(void)x;\n", indent);
    if (A->in->ninputs && !(bits & 2u))
        sb_printf(out, "%s(void)input;\n", indent);
}

/* A root where it is used: its statement, or the leaf itself. */
static void put_ref(Ad *A, const Node *n, StrBuf *out, unsigned *bits) {
    Piece p;
    memset(&p, 0, sizeof p);
    codegen_writer_ref(A->w, n, 0, &A->scratch);
    take_piece(A, &p, (CodegenCounts){0, 0, 0, 0}, -1);
    sb_puts(out, p.text ? p.text : "");
    *bits |= arrays_read(A, &p);
    piece_free(&p);
}

/* --- the value ------------------------------------------------------------------------ */

/* The program's statements and its value(s): NAME itself, or (suffix,
 * unused) a scalar NAME_grad with no parameter to differentiate by. */
static void value_function(Ad *A, StrBuf *out, Cost *cost, const char *suffix, const char *unused) {
    const CodegenInput *in = A->in;
    StrBuf body;
    sb_init(&body);
    unsigned bits = 0;
    memset(cost, 0, sizeof *cost);
    for (int k = 0; k < A->nstmts; k++) {
        put_indented(&body, "    ", A->stmts[k].value.text);
        bits |= arrays_read(A, &A->stmts[k].value);
        cost_add(cost, &A->stmts[k].value);
    }
    cost->locals = A->nstmts;
    for (int i = 0; i < in->noutputs; i++) {
        if (in->is_vector)
            sb_printf(&body, "    y[%d] = ", i);
        else
            sb_puts(&body, "    return ");
        put_ref(A, in->outputs[i], &body, &bits);
        sb_puts(&body, ";\n");
    }
    codegen_signature(out, in, A->opt, in->is_vector ? "void" : A->T, suffix,
                      unused ? unused : in->is_vector ? "y" : NULL, 1);
    sb_puts(out, "\n{\n");
    void_unread(A, out, bits, "    ");
    if (unused)
        sb_printf(out, "    (void)%s;\n", unused);
    sb_puts(out, sb_str(&body));
    sb_puts(out, "}\n\n");
    if (body.failed)
        out->failed = 1;
    sb_free(&body);
}

/* --- forward mode -------------------------------------------------------------------- */

/* const T d<k> = P1 * d(operand1) + P2 * d(operand2) ...; */
static void tangent_piece(Ad *A, int k, Piece *p) {
    const Stmt *s = &A->stmts[k];
    CodegenCounts extra = {0, 0, 0, 0};
    sb_printf(&A->scratch, "const %s d%d = ", A->T, k);
    int first = 1;
    for (int i = 0; i < s->nops; i++) {
        const Operand *o = &A->ops[s->first_op + i];
        if (!live_operand(A, o->node))
            continue;
        char name[32];
        derivative_name(A, o->node, 'd', name, sizeof name);
        StrBuf term;
        sb_init(&term);
        int neg = signed_term(A, o->partial, name, &term, &extra);
        if (first)
            sb_puts(&A->scratch, neg ? "-" : "");
        else {
            sb_puts(&A->scratch, neg ? " - " : " + ");
            extra.add++;
        }
        sb_puts(&A->scratch, sb_str(&term));
        if (term.failed)
            A->scratch.failed = 1;
        sb_free(&term);
        first = 0;
    }
    sb_puts(&A->scratch, ";\n");
    take_piece(A, p, extra, -1);
}

/* n passes, one per parameter, rather than one pass carrying a tangent
 * vector: the stack holds one tangent per statement whatever n is, and each
 * pass is the textbook evaluation on dual numbers t + d e (e^2 = 0).  The
 * values are recomputed in every pass, as such an evaluation does, which is
 * why the gradient costs about n times the function. */
static void forward_kernel(Ad *A, StrBuf *out, Cost *cost) {
    const CodegenInput *in = A->in;
    int n = in->nparams, ns = A->nstmts, vector = in->is_vector;
    if (!n) { /* nothing to differentiate by */
        if (vector) {
            codegen_signature(out, in, A->opt, "void", "_jac", "J", 1);
            sb_puts(out, "\n{\n");
            void_unread(A, out, 0, "    ");
            sb_puts(out, "    (void)J;\n}\n\n");
            memset(cost, 0, sizeof *cost);
        } else {
            value_function(A, out, cost, "_grad", "grad");
        }
        return;
    }
    size_t cap = (size_t)(ns ? ns : 1);
    unsigned char *active = calloc(cap, 1), *need = calloc(cap, 1);
    unsigned char *seeds = calloc((size_t)(n ? n : 1), 1);
    int *place = calloc(cap, sizeof *place), *first_at = malloc(cap * sizeof *first_at);
    int *next_at = malloc(cap * sizeof *next_at);
    Piece *tangent = calloc(cap, sizeof *tangent);
    memset(cost, 0, sizeof *cost);
    if (!active || !need || !seeds || !place || !first_at || !next_at || !tangent) {
        A->failed = 1;
        goto done;
    }
    mark_active(A, in->outputs, in->noutputs, active, seeds);
    for (int k = 0; k < ns; k++)
        if (active[k])
            tangent_piece(A, k, &tangent[k]);
    mark_needed(A, tangent, ns, !vector, need);
    /* a tangent goes after every value and tangent it reads: a partial may
     * name a later statement (the partial of sin(u) is cos(u), which the
     * program may compute after sin(u)) */
    for (int k = 0; k < ns; k++) {
        if (!active[k])
            continue;
        place[k] = k;
        for (size_t r = 0; r < tangent[k].nreads; r++) {
            int j = tangent[k].reads[r] < A->n0 ? A->stmt_of[tangent[k].reads[r]] : -1;
            if (j > place[k])
                place[k] = j;
        }
        const Stmt *s = &A->stmts[k];
        for (int i = 0; i < s->nops; i++) {
            int j = stmt_index(A, A->ops[s->first_op + i].node);
            if (j >= 0 && active[j] && place[j] > place[k])
                place[k] = place[j];
        }
    }
    /* the tangents to write after each value, in statement order */
    for (int k = 0; k < ns; k++)
        first_at[k] = -1;
    for (int k = ns; k-- > 0;)
        if (active[k]) {
            next_at[k] = first_at[place[k]];
            first_at[place[k]] = k;
        }

    unsigned bits = 0;
    StrBuf body;
    sb_init(&body);
    const char *ind = "        ";
    cost->passes = n;
    for (int i = 0; i < n; i++)
        if (seeds[i]) {
            sb_printf(&body, "%sconst %s dx%d = (%s)(j == %d);\n", ind, A->T, i, A->T, i);
            cost->locals++;
        }
    for (int k = 0; k < ns; k++) {
        if (need[k]) {
            put_indented(&body, ind, A->stmts[k].value.text);
            bits |= arrays_read(A, &A->stmts[k].value);
            cost_add(cost, &A->stmts[k].value);
            cost->locals++;
        }
        for (int j = first_at[k]; j >= 0; j = next_at[j]) {
            put_indented(&body, ind, tangent[j].text);
            bits |= arrays_read(A, &tangent[j]);
            cost_add(cost, &tangent[j]);
            cost->locals++;
        }
    }
    for (int i = 0; i < in->noutputs; i++) {
        const Node *r = in->outputs[i];
        int k = stmt_index(A, r), p = param_index(A, r);
        if (vector && i)
            sb_printf(&body, "%sJ[%d + j] = ", ind, i * n);
        else if (vector)
            sb_printf(&body, "%sJ[j] = ", ind);
        else
            sb_printf(&body, "%sgrad[j] = ", ind);
        if (k >= 0 && active[k])
            sb_printf(&body, "d%d;\n", k);
        else if (k < 0 && p >= 0)
            sb_printf(&body, "dx%d;\n", p);
        else
            sb_printf(&body, "%s;\n", A->zero);
    }
    if (!vector) {
        sb_puts(&body, "        value = ");
        put_ref(A, in->outputs[0], &body, &bits);
        sb_puts(&body, ";\n");
    }

    codegen_signature(out, in, A->opt, vector ? "void" : A->T, vector ? "_jac" : "_grad",
                      vector ? "J" : "grad", 1);
    sb_puts(out, "\n{\n");
    void_unread(A, out, bits, "    ");
    if (!vector)
        sb_printf(out, "    %s value = %s;\n", A->T, A->zero);
    sb_printf(out,
              "    /* pass j: the program on dual numbers t + d e (e^2 = 0), with\n"
              "     * dx<i> = d x[i] / d x[j] */\n"
              "    for (int j = 0; j < %d; j++) {\n",
              n);
    sb_puts(out, sb_str(&body));
    sb_puts(out, "    }\n");
    if (!vector)
        sb_puts(out, "    return value;\n");
    sb_puts(out, "}\n\n");
    if (body.failed)
        out->failed = 1;
    sb_free(&body);
done:
    for (int k = 0; tangent && k < ns; k++)
        piece_free(&tangent[k]);
    free(tangent);
    free(active);
    free(need);
    free(seeds);
    free(place);
    free(first_at);
    free(next_at);
}

/* --- reverse mode -------------------------------------------------------------------- */

/* The adjoint sweep of one output into a piece: statements from the output
 * down, each passing a(statement) * partial to its operands; the first
 * contribution to an adjoint declares it.  Then the row of derivatives:
 * `<target>[row + i] = ax<i>;`. */
static void sweep_piece(Ad *A, const Node *root, const char *indent, const char *target, int row,
                        Piece *p, int *locals) {
    int ns = A->nstmts, n = A->in->nparams;
    size_t cap = (size_t)(ns ? ns : 1), pcap = (size_t)(n ? n : 1);
    unsigned char *active = calloc(cap, 1), *seeds = calloc(pcap, 1);
    int *count = calloc(cap, sizeof *count), *pcount = calloc(pcap, sizeof *pcount);
    CodegenCounts extra = {0, 0, 0, 0};
    long max_stmt = 0;
    if (!active || !seeds || !count || !pcount) {
        A->failed = 1;
        goto done;
    }
    Node *roots[1] = {(Node *)root};
    mark_active(A, roots, 1, active, seeds);
    /* contributions per adjoint: a single one is a const */
    for (int k = 0; k < ns; k++) {
        if (!active[k])
            continue;
        const Stmt *s = &A->stmts[k];
        for (int i = 0; i < s->nops; i++) {
            const Node *o = A->ops[s->first_op + i].node;
            if (!live_operand(A, o))
                continue;
            int j = stmt_index(A, o);
            if (j >= 0)
                count[j]++;
            else
                pcount[param_index(A, o)]++;
        }
    }
    for (int k = ns; k-- > 0;) {
        if (!active[k])
            continue;
        const Stmt *s = &A->stmts[k];
        char self[32];
        snprintf(self, sizeof self, "a%d", k);
        for (int i = 0; i < s->nops; i++) {
            const Operand *o = &A->ops[s->first_op + i];
            if (!live_operand(A, o->node))
                continue;
            char name[32];
            derivative_name(A, o->node, 'a', name, sizeof name);
            int j = stmt_index(A, o->node);
            int *c = j >= 0 ? &count[j] : &pcount[param_index(A, o->node)];
            StrBuf term;
            sb_init(&term);
            /* the operations of this statement: the writer's and ours */
            CodegenCounts mine = {0, 0, 0, 0};
            int neg = signed_term(A, o->partial, s->node == root ? NULL : self, &term, &mine);
            if (*c <= 0)
                mine.add++;
            counts_add(&mine, codegen_writer_take_counts(A->w));
            counts_add(&extra, mine);
            if (counts_total(mine) > max_stmt)
                max_stmt = counts_total(mine);
            if (*c > 0) { /* the first contribution */
                sb_printf(&A->scratch, "%s%s%s %s = %s%s;\n", indent, *c == 1 ? "const " : "", A->T, name,
                          neg ? "-" : "", sb_str(&term));
                *c = -1;
                (*locals)++;
            } else {
                sb_printf(&A->scratch, "%s%s %c= %s;\n", indent, name, neg ? '-' : '+', sb_str(&term));
            }
            if (term.failed)
                A->scratch.failed = 1;
            sb_free(&term);
        }
    }
    for (int i = 0; i < n; i++) {
        sb_printf(&A->scratch, "%s%s[%d] = ", indent, target, row + i);
        if (pcount[i] < 0)
            sb_printf(&A->scratch, "ax%d;\n", i);
        else
            sb_printf(&A->scratch, "%s;\n", param_index(A, root) == i ? A->one : A->zero);
    }
    take_piece(A, p, extra, max_stmt);
done:
    free(active);
    free(seeds);
    free(count);
    free(pcount);
}

static void reverse_kernel(Ad *A, StrBuf *out, Cost *cost) {
    const CodegenInput *in = A->in;
    int m = in->is_vector ? in->noutputs : 1, n = in->nparams, ns = A->nstmts;
    Piece *sweep = calloc((size_t)m, sizeof *sweep);
    unsigned char *need = calloc((size_t)(ns ? ns : 1), 1);
    memset(cost, 0, sizeof *cost);
    if (!sweep || !need) {
        free(sweep);
        free(need);
        A->failed = 1;
        return;
    }
    for (int r = 0; r < m; r++) {
        sweep_piece(A, in->outputs[r], in->is_vector ? "        " : "    ", in->is_vector ? "J" : "grad",
                    r * n, &sweep[r], &cost->locals);
        cost_add(cost, &sweep[r]);
    }
    mark_needed(A, sweep, m, !in->is_vector, need);
    unsigned bits = 0;
    StrBuf body;
    sb_init(&body);
    if (ns)
        sb_puts(&body, "    /* forward sweep: the program, every intermediate kept (the tape is\n"
                       "     * the stack) */\n");
    for (int k = 0; k < ns; k++)
        if (need[k]) {
            put_indented(&body, "    ", A->stmts[k].value.text);
            bits |= arrays_read(A, &A->stmts[k].value);
            cost_add(cost, &A->stmts[k].value);
            cost->locals++;
        }
    for (int r = 0; r < m; r++) {
        bits |= arrays_read(A, &sweep[r]);
        if (in->is_vector)
            sb_printf(&body,
                      "    /* reverse sweep of y[%d]: a<k> = d y[%d] / d t<k>, ax<i> = d y[%d] / d x[i] */\n"
                             "    {\n%s    }\n",
                      r, r, r, sweep[r].text ? sweep[r].text : "");
        else
            sb_printf(&body, "    /* reverse sweep: a<k> = d f / d t<k>, ax<i> = d f / d x[i] */\n%s",
                      sweep[r].text ? sweep[r].text : "");
    }
    if (!in->is_vector) {
        sb_puts(&body, "    return ");
        put_ref(A, in->outputs[0], &body, &bits);
        sb_puts(&body, ";\n");
    }
    codegen_signature(out, in, A->opt, in->is_vector ? "void" : A->T, in->is_vector ? "_jac" : "_grad",
                      in->is_vector ? "J" : "grad", 1);
    sb_puts(out, "\n{\n");
    void_unread(A, out, bits, "    ");
    if (!n)
        sb_printf(out, "    (void)%s;\n", in->is_vector ? "J" : "grad");
    sb_puts(out, sb_str(&body));
    sb_puts(out, "}\n\n");
    if (body.failed)
        out->failed = 1;
    sb_free(&body);
    for (int r = 0; r < m; r++)
        piece_free(&sweep[r]);
    free(sweep);
    free(need);
}

/* --- the files ------------------------------------------------------------------------- */

static void describe_cost(StrBuf *h, const char *fn, int width, const Cost *c, int size) {
    int p = c->passes > 1 ? c->passes : 1;
    sb_printf(h, " *   %-*s  %ld add, %ld mul, %ld div, %ld call; %d locals (%d bytes)\n", width, fn,
              c->ops.add * p, c->ops.mul * p, c->ops.div * p, c->ops.call * p, c->locals, c->locals * size);
    if (c->passes > 1)
        sb_printf(h, " *   %-*s  (%d passes, each %ld add, %ld mul, %ld div, %ld call)\n", width, "",
                  c->passes, c->ops.add, c->ops.mul, c->ops.div, c->ops.call);
}

/* The stack bound of a kernel (codegen_stack_bound): its locals (of one
 * pass, in forward mode: the passes reuse the frame) and the values of its
 * longest statement. */
static size_t cost_stack(const Cost *c) { return codegen_stack_bound(c->locals, c->max_stmt, c->ops.call, 0); }

static void write_header(Ad *A, EmitAdMode mode, const Cost *value, const Cost *grad, StrBuf *h) {
    const CodegenInput *in = A->in;
    const CodegenOptions *opt = A->opt;
    const char *name = opt->name, *dname = in->is_vector ? "_jac" : "_grad";
    int n = in->nparams, m = in->noutputs, size = A->ty->size;
    codegen_header_intro(h, A->g, in, opt);
    sb_printf(h, " *\n * Method: %s-mode automatic differentiation of the program's own\n",
              mode == EMIT_AD_FORWARD ? "forward" : "reverse");
    sb_printf(h,
              " * straight-line code (not the symbolic derivative).  %s runs the program\n"
              " * one statement per operation, t0, t1, ... in topological order.\n",
              name);
    if (mode == EMIT_AD_FORWARD)
        sb_printf(h,
                  " * %s%s makes one pass per parameter: pass j runs the same statements on\n"
                  " * dual numbers t + d e (e^2 = 0), each statement's tangent d<k> from its\n"
                  " * operands' tangents and the local partial derivatives, seeded with\n"
                  " * dx<i> = 1 for i = j and 0 otherwise; the output's tangent is the\n"
                  " * derivative by x[j].  %d parameters cost %d passes: about %d times %s.\n",
                  name, dname, n, n, n, name);
    else
        sb_printf(h,
                  " * %s%s runs the same statements, keeping every intermediate in a local\n"
                  " * (the tape is the stack), then a reverse sweep from the output down:\n"
                  " * each statement passes its adjoint a<k> = d out / d t<k>, times the local\n"
                  " * partial derivative, on to its operands.  One sweep gives the derivatives\n"
                  " * by every parameter, for a small constant times the cost of %s%s.\n",
                  name, dname, name, in->is_vector ? " per output" : "");
    sb_printf(h,
              " * Local partials follow symdiff's conventions: at a kink (relu'(0), max\n"
              " * and min ties) the derivative is %g, abs'(0) = 0, sign' = step' = 0.\n",
              A->dopt ? A->dopt->kink : 0.0);
    sb_puts(h, CODEGEN_ENTRY_POINTS_HEADING);
    if (!in->is_vector) {
        sb_printf(h, " *   %s       the value\n", name);
        sb_printf(h, " *   %s_grad  fills grad[%d] (grad[i] = d f / d x[i]), returns the value\n", name, n);
    } else {
        sb_printf(h, " *   %s       fills y[%d], the value\n", name, m);
        sb_printf(h, " *   %s_jac   fills J[%d*%d], row-major: J[i*%d + j] = d y[i] / d x[j]\n", name, m, n,
                  n);
    }
    codegen_header_aliasing(h, name, dname, in->is_vector ? "y and J" : "grad");
    sb_printf(h, " *\n * Cost per call (operations; locals on the stack, %s):\n", A->T);
    int width = (int)strlen(name) + 5;
    char fname[160];
    snprintf(fname, sizeof fname, "%s", name);
    describe_cost(h, fname, width, value, size);
    snprintf(fname, sizeof fname, "%s%s", name, dname);
    describe_cost(h, fname, width, grad, size);
    size_t stack = cost_stack(value) > cost_stack(grad) ? cost_stack(value) : cost_stack(grad);
    codegen_header_stack(h, name, stack);
    sb_puts(h, " */\n");
    codegen_header_macros(h, in, opt, stack);
    StrBuf sig;
    sb_init(&sig);
    codegen_signature(&sig, in, opt, in->is_vector ? "void" : A->T, "", in->is_vector ? "y" : NULL, 0);
    sb_puts(&sig, ";\n");
    codegen_signature(&sig, in, opt, in->is_vector ? "void" : A->T, dname, in->is_vector ? "J" : "grad", 0);
    sb_puts(&sig, ";\n");
    sb_puts(h, sb_str(&sig));
    if (sig.failed)
        h->failed = 1;
    sb_free(&sig);
    codegen_header_end(h, opt);
}

static void ad_free(Ad *A) {
    for (int k = 0; A->stmts && k < A->nstmts; k++)
        piece_free(&A->stmts[k].value);
    free(A->stmts);
    free(A->stmt_of);
    free(A->ops);
    free(A->param_of);
    codegen_writer_free(A->w);
    sb_free(&A->scratch);
}

int emit_ad_c(Graph *g, const CodegenInput *in, EmitAdMode mode, const CodegenOptions *opt,
              const DerivOptions *dopt, StrBuf *source, StrBuf *header) {
    Ad A;
    memset(&A, 0, sizeof A);
    A.g = g;
    A.in = in;
    A.opt = opt;
    A.dopt = dopt;
    A.ty = codegen_type(opt->use_float);
    A.T = A.ty->name;
    sb_init(&A.scratch);
    codegen_literal(&A.scratch, A.ty, 0);
    snprintf(A.zero, sizeof A.zero, "%s", sb_str(&A.scratch));
    sb_clear(&A.scratch);
    codegen_literal(&A.scratch, A.ty, 1);
    snprintf(A.one, sizeof A.one, "%s", sb_str(&A.scratch));
    sb_clear(&A.scratch);
    int status = -1;
    /* the partials may use what holds wherever the program is defined, as
     * the symbolic derivatives do (unless the request is literal) */
    DerivScope scope;
    if (deriv_scope_begin(g, dopt, in->outputs, in->noutputs, &scope) != 0)
        goto out;
    A.n0 = g->nnodes;
    A.param_of = malloc((size_t)(g->nvars + 1) * sizeof *A.param_of);
    if (!A.param_of || g->failed)
        goto done;
    for (int v = 0; v < g->nvars; v++)
        A.param_of[v] = -1;
    for (int i = 0; i < in->nparams; i++)
        A.param_of[in->params[i]] = i;
    if (find_statements(&A) != 0 || build_partials(&A) != 0)
        goto done;
    /* every node to be written exists now */
    A.w = codegen_writer_new(g, in, opt);
    if (!A.w)
        goto done;
    for (int k = 0; k < A.nstmts; k++)
        codegen_writer_bind(A.w, A.stmts[k].node, k);
    {
        const Node **nodes = malloc((A.nstmts ? (size_t)A.nstmts : 1) * sizeof *nodes);
        if (!nodes)
            goto done;
        for (int k = 0; k < A.nstmts; k++)
            nodes[k] = A.stmts[k].node;
        codegen_writer_plan_exps(A.w, nodes, A.nstmts, &A.scratch);
        free(nodes);
    }
    for (int k = 0; k < A.nstmts; k++) {
        sb_printf(&A.scratch, "const %s t%d = ", A.T, k);
        codegen_writer_define(A.w, A.stmts[k].node, &A.scratch);
        sb_puts(&A.scratch, ";\n");
        take_piece(&A, &A.stmts[k].value, (CodegenCounts){0, 0, 0, 0}, -1);
    }
    StrBuf body;
    sb_init(&body);
    Cost value, grad;
    value_function(&A, &body, &value, "", NULL);
    if (mode == EMIT_AD_FORWARD)
        forward_kernel(&A, &body, &grad);
    else
        reverse_kernel(&A, &body, &grad);
    write_header(&A, mode, &value, &grad, header);
    if (!opt->embedded) {
        sb_printf(source, "/* Generated by symdiff %s from the program described in %s. Do not edit. */\n",
                  opt->version, opt->header_file);
        codegen_include_header(source, header, opt);
        sb_puts(source, "\n#include <math.h>\n\n");
    }
    codegen_writer_helpers(A.w, source);
    sb_puts(source, sb_str(&body));
    status = A.failed || body.failed || source->failed || header->failed ? -1 : 0;
    sb_free(&body);
done:
    deriv_scope_end(g, &scope);
out:
    ad_free(&A);
    return status;
}
