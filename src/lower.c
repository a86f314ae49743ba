/* SPDX-License-Identifier: MIT */
/*
 * lower.c — checks names and lowers the AST into the DAG (see lower.h).
 *
 * Consumes AST nodes with locations; produces canonical DAG nodes through
 * the smart constructors.  Names resolve, in order, to: the latest
 * assignment, a --define, the constants pi and e, a declared or --vars
 * variable, and otherwise (when the program declares nothing) a new scalar
 * parameter in order of first appearance.  Constant subexpressions that are
 * undefined (1/0, log(-1), sqrt(-2), 10^400) are reported with their
 * location once the whole program is lowered.
 *
 * Shapes are checked as nodes are built.  In sums and the arguments of
 * functions a vector meets a matrix whose rows are as long by being
 * repeated in every row (NumPy's rule); lowering makes the repetition
 * explicit (ROWS), so that elementwise nodes only ever combine one shape
 * with scalars.  A run-time dimension (`dim n <= 256;`) is an axis of its
 * own: it equals itself only, never a number, and a -D n=5 turns it into
 * the number 5.
 */
#include "lower.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "hints.h"
#include "repeated.h"

/* Lowering recurses once per level of nesting (up to AST_MAX_DEPTH), so
 * the frames on that path are kept small enough for 1000 levels in a
 * 1 MiB stack (docs/limits.md): functions with large locals (messages,
 * hints, name tables) are kept out of line, where only the construct that
 * needs them pays for them. */
#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

typedef struct Binding {
    const char *name; /* points into the AST (lives as long as the lowering) */
    Node *node;
} Binding;

/* A slot of the table of assigned names (open addressing, at most half
 * full).  Programs can have a name per statement, so lookups must not scan
 * every name: linear scans made lowering quadratic in the number of names. */
typedef struct NameSlot {
    const char *name; /* NULL: an empty slot                                 */
    int binding;      /* index into env once the name has a value, else -1  */
} NameSlot;

typedef struct Lowerer {
    Graph *g;
    Diag *diag;
    const LowerOptions *opt;
    Binding *env;
    int nenv, env_cap;
    NameSlot *names; /* every name assigned somewhere in the program */
    size_t names_cap, names_used;
    int has_decls, vars_fixed;
    /* with --vars: the variables it names are 0 .. nfixed-1, and
     * fixed_declared[v] is set once a declaration has given v its role (a
     * second declaration is refused like any other) */
    unsigned char *fixed_declared;
    int nfixed;
    long work, max_work;
    AstSet repeated; /* subexpressions written twice: shared, as if named */
    Loc *loc_of; /* by node id: where the node was first written */
    size_t loc_cap;
    int failed;
} Lowerer;

static Node *lower_expr(Lowerer *L, const Ast *a);

/* --- helpers ------------------------------------------------------------- */

static void out_of_memory(Lowerer *L, Loc loc) {
    char why[128];
    if (!L->failed)
        diag_error(L->diag, loc, "%s",
                   L->g->failed ? graph_failure_message(L->g, why, sizeof why) : "out of memory");
    L->failed = 1;
}

/* Remembers where a node was first written (for domain errors). */
static Node *located(Lowerer *L, Node *n, Loc loc) {
    if (!n)
        return NULL;
    if (n->id >= L->loc_cap) {
        size_t cap = L->loc_cap ? L->loc_cap : 1024;
        while (cap <= n->id)
            cap *= 2;
        Loc *p = realloc(L->loc_of, cap * sizeof *p);
        if (!p)
            return n;
        for (size_t i = L->loc_cap; i < cap; i++)
            p[i].start = p[i].end = -1;
        L->loc_of = p;
        L->loc_cap = cap;
    }
    if (L->loc_of[n->id].start < 0)
        L->loc_of[n->id] = loc;
    return n;
}

/* The slot holding `name`, or the empty slot where it would go; NULL while
 * the table is empty. */
static NameSlot *name_slot(const Lowerer *L, const char *name) {
    if (L->names_cap == 0)
        return NULL;
    size_t mask = L->names_cap - 1;
    for (size_t i = graph_name_hash(name) & mask;; i = (i + 1) & mask)
        if (!L->names[i].name || strcmp(L->names[i].name, name) == 0)
            return &L->names[i];
}

/* The slot of `name`, added if missing; NULL when out of memory. */
static NameSlot *name_insert(Lowerer *L, const char *name) {
    if (2 * (L->names_used + 1) > L->names_cap) {
        size_t cap = L->names_cap ? 2 * L->names_cap : 64;
        NameSlot *old = L->names, *p = calloc(cap, sizeof *p);
        if (!p)
            return NULL;
        size_t old_cap = L->names_cap;
        L->names = p;
        L->names_cap = cap;
        for (size_t i = 0; i < old_cap; i++)
            if (old[i].name)
                *name_slot(L, old[i].name) = old[i];
        free(old);
    }
    NameSlot *s = name_slot(L, name);
    if (!s->name) {
        s->name = name;
        s->binding = -1;
        L->names_used++;
    }
    return s;
}

static int is_assigned(const Lowerer *L, const char *name) {
    NameSlot *s = name_slot(L, name);
    return s && s->name;
}

static void collect_assigned(Lowerer *L, const Ast *a) {
    for (int i = 0; i < a->nkids; i++) {
        const Ast *s = a->kids[i];
        if (s->kind == AST_REPEAT)
            collect_assigned(L, s);
        else if (s->kind == AST_DECL)
            L->has_decls = 1;
        else if (s->kind == AST_ASSIGN && !name_insert(L, s->text)) {
            out_of_memory(L, s->loc); /* a name missing here would become a variable */
            return;
        }
    }
}

static Binding *find_binding(Lowerer *L, const char *name) {
    NameSlot *s = name_slot(L, name);
    return s && s->name && s->binding >= 0 ? &L->env[s->binding] : NULL;
}

static int bind(Lowerer *L, const char *name, Node *node) {
    NameSlot *s = name_insert(L, name);
    if (!s)
        return -1;
    if (s->binding >= 0) {
        L->env[s->binding].node = node;
        return 0;
    }
    if (L->nenv == L->env_cap) {
        int cap = L->env_cap ? L->env_cap * 2 : 16;
        Binding *p = realloc(L->env, (size_t)cap * sizeof *p);
        if (!p)
            return -1;
        L->env = p;
        L->env_cap = cap;
    }
    s->binding = L->nenv;
    L->env[L->nenv].name = name;
    L->env[L->nenv++].node = node;
    return 0;
}

/* Functions that are not rows of builtins.def: sqrt(u) is u^(1/2) and
 * pow(u, v) is u^v. */
static const char *const special_functions[] = {"sqrt", "pow"};

/* Appends "; did you mean 'x'?" when a known name is close to `name`:
 * one edit away, or two for names of four or more characters (two edits
 * turn 'foo' into 'log').  Among equally close names, one that starts
 * with the same letter wins. */
static void suggest(char *buf, size_t size, const char *name, const char *const *cands, int n) {
    int best = 3, best_same_start = 0;
    const char *pick = NULL;
    size_t len = strlen(name);
    for (int i = 0; i < n; i++) {
        int d = diag_edit_distance(name, cands[i]);
        int same_start = cands[i][0] == name[0];
        if ((d == 1 || (d == 2 && len >= 4)) &&
            (d < best || (d == best && same_start && !best_same_start))) {
            best = d;
            best_same_start = same_start;
            pick = cands[i];
        }
    }
    buf[0] = '\0';
    if (pick)
        snprintf(buf, size, "; did you mean '%s'?", pick);
}

static int is_function_name(const char *name) {
    if (builtin_lookup(name) >= 0 && strcmp(name, "pi") != 0)
        return 1;
    for (size_t i = 0; i < sizeof special_functions / sizeof *special_functions; i++)
        if (strcmp(special_functions[i], name) == 0)
            return 1;
    return 0;
}

/* --- names -------------------------------------------------------------- */

static NOINLINE Node *lower_name(Lowerer *L, const Ast *a) {
    const char *name = a->text;
    Binding *b = find_binding(L, name);
    if (b)
        return b->node;
    for (int i = 0; L->opt && i < L->opt->ndefines; i++)
        if (strcmp(L->opt->defines[i].name, name) == 0)
            return dag_num(L->g, num_double(L->opt->defines[i].value));
    int var = graph_find_var(L->g, name);
    if (var >= 0)
        return graph_var_node(L->g, var);
    int dim = graph_find_dim(L->g, name);
    if (dim >= 0) /* the size of a run-time dimension, a scalar */
        return dag_dim(L->g, dim);
    if (strcmp(name, "pi") == 0)
        return dag_call(L->g, BI_PI, NULL, 0);
    if (strcmp(name, "e") == 0)
        return dag_call1(L->g, BI_EXP, dag_int(L->g, 1));
    if (is_function_name(name)) {
        diag_error(L->diag, a->loc, "'%s' is a function; call it as %s(...)", name, name);
        return NULL;
    }
    if (is_assigned(L, name)) {
        diag_error(L->diag, a->loc, "'%s' is used before it is assigned", name);
        return NULL;
    }
    if (L->vars_fixed || L->has_decls) {
        const char **cands = malloc(((size_t)L->g->nvars + (size_t)L->nenv + 1) * sizeof *cands);
        int n = 0;
        for (int i = 0; cands && i < L->g->nvars; i++)
            cands[n++] = L->g->vars[i].name;
        for (int i = 0; cands && i < L->nenv; i++)
            cands[n++] = L->env[i].name;
        char hint[128];
        suggest(hint, sizeof hint, name, cands, cands ? n : 0);
        free(cands);
        diag_error(L->diag, a->loc, "undefined name '%s'%s", name, hint);
        return NULL;
    }
    Shape scalar = {.rank = 0};
    var = graph_add_var(L->g, name, VAR_PARAM, scalar);
    if (var < 0) {
        out_of_memory(L, a->loc);
        return NULL;
    }
    return graph_var_node(L->g, var);
}

/* --- calls ------------------------------------------------------------------ */

static const char *plural(int n) { return n == 1 ? "" : "s"; }

/* --- shapes -------------------------------------------------------------------- */

/* One axis as written: "784", or a run-time dimension's name "n". */
static void axis_text(const Graph *g, Shape s, int k, char *buf, size_t size) {
    if (s.dyn[k])
        snprintf(buf, size, "%.40s", g->dims[s.dyn[k] - 1].name);
    else
        snprintf(buf, size, "%d", s.dim[k]);
}

/* "[3,4]", "[n,784]", "[5]" or "scalar" */
static const char *shape_text(const Graph *g, Shape s, char *buf, size_t size) {
    char a0[48], a1[48];
    if (s.rank == 0) {
        snprintf(buf, size, "scalar");
        return buf;
    }
    axis_text(g, s, 0, a0, sizeof a0);
    if (s.rank == 1) {
        snprintf(buf, size, "[%s]", a0);
        return buf;
    }
    axis_text(g, s, 1, a1, sizeof a1);
    snprintf(buf, size, "[%s,%s]", a0, a1);
    return buf;
}

/* Refuses a vector or matrix beyond SHAPE_MAX_ELEMENTS where it is made
 * (ones(1e6, 1e6), the outer product of two long vectors, a tall matrix
 * times a wide one): its values would not fit in memory, and counts of
 * its elements would overflow.  Returns n, or NULL after the error. */
static NOINLINE Node *within_size(Lowerer *L, Loc loc, Node *n) {
    if (!n || shape_numel(n->shape) <= SHAPE_MAX_ELEMENTS)
        return n;
    char sh[112];
    diag_error(L->diag, loc, "too many elements: a value of shape %s has %lld, at most %d",
               shape_text(L->g, n->shape, sh, sizeof sh), (long long)shape_numel(n->shape), SHAPE_MAX_ELEMENTS);
    return NULL;
}

/* The source text of a span, shortened, for messages. */
static void source_text(const Lowerer *L, Loc loc, char *buf, size_t size) {
    const Source *src = L->diag->src;
    int len = loc.end - loc.start;
    if (!src || !src->text || loc.start < 0 || loc.end > (int)src->len || len <= 0) {
        snprintf(buf, size, "the operands");
        return;
    }
    if ((size_t)len >= size || len > 40)
        snprintf(buf, size, "%.36s...", src->text + loc.start);
    else
        snprintf(buf, size, "%.*s", len, src->text + loc.start);
}

/* Reports operands whose shapes do not go together:
 *   shape mismatch in 'W @ x': [3,4] @ [5] */
static NOINLINE Node *shape_error(Lowerer *L, Loc loc, Shape a, const char *op, Shape b) {
    char text[64], sa[112], sb[112];
    source_text(L, loc, text, sizeof text);
    /* a comma separates arguments ("[3], [2]"); an operator stands between */
    diag_error(L->diag, loc, "shape mismatch in '%s': %s%s%s %s", text, shape_text(L->g, a, sa, sizeof sa),
               strcmp(op, ",") == 0 ? "" : " ", op, shape_text(L->g, b, sb, sizeof sb));
    return NULL;
}

/* After a shape mismatch in an elementwise product of two tensors (W x,
 * u * v): a note that says which product was probably meant. */
static void product_hint(Lowerer *L, Loc left, Loc right, Shape a, Shape b) {
    char lt[64], rt[64];
    source_text(L, left, lt, sizeof lt);
    source_text(L, right, rt, sizeof rt);
    if (a.rank == 1 && b.rank == 1)
        diag_note(L->diag, right, "'*' and juxtaposition multiply element by element: write %s %s' "
                  "for the outer product", lt, rt);
    else
        diag_note(L->diag, right, "'*' and juxtaposition multiply element by element: write %s @ %s "
                  "for the matrix product", lt, rt);
}

/* --- broadcasting ------------------------------------------------------------ */

/* Products and powers: scalars broadcast; tensors must agree.  (A vector
 * beside a matrix in a product is refused rather than repeated: `W x`
 * means W @ x to its writer far more often than W times x in every row.) */
static int same_or_scalar(Shape a, Shape b) { return a.rank == 0 || b.rank == 0 || shape_equal(a, b); }

/* Sums and the arguments of functions: how an operand of shape b meets
 * an elementwise operation of shape a (its largest operand).  As in
 * NumPy, a vector lines up with a matrix's last axis: it is repeated in
 * every row, and must be as long as a row. */
typedef enum Fit {
    FIT_SAME, /* a scalar, or a's own shape: as it is                       */
    FIT_ROWS, /* a vector as long as the rows of the matrix a: in every row */
    FIT_NONE  /* a shape mismatch                                           */
} Fit;

static Fit fit(Shape a, Shape b) {
    if (b.rank == 0 || shape_equal(a, b))
        return FIT_SAME;
    if (a.rank == 2 && b.rank == 1 && axis_equal(shape_axis(b, 0), shape_axis(a, 1)))
        return FIT_ROWS;
    return FIT_NONE;
}

/* The shape an elementwise operation of these operands has: the first
 * matrix's, else the first vector's, else a scalar. */
static Shape widest(Node *const *v, int n) {
    Shape s = shape_scalar;
    for (int i = 0; i < n; i++)
        if (v[i] && v[i]->shape.rank > s.rank)
            s = v[i]->shape;
    return s;
}

/* Operand *t of an elementwise operation of shape s, repeated in every
 * row where it is a vector as long as the rows of the matrix s.  Returns
 * 1, or 0 after reporting the mismatch (between `whole` and t, written at
 * t_loc, with the operator `op`); a vector as long as the matrix's
 * columns are high gets a note on how to repeat it in every column. */
static NOINLINE int broadcast(Lowerer *L, Node **t, Shape s, Loc whole, Loc t_loc, const char *op) {
    char k[48], text[64];
    switch (fit(s, (*t)->shape)) {
    case FIT_SAME:
        return 1;
    case FIT_ROWS:
        *t = located(L, dag_rows(L->g, *t, shape_axis(s, 0)), t_loc);
        return *t != NULL;
    case FIT_NONE:
        break;
    }
    shape_error(L, whole, s, op, (*t)->shape);
    if (s.rank == 2 && (*t)->shape.rank == 1 && axis_equal(shape_axis((*t)->shape, 0), shape_axis(s, 0))) {
        axis_text(L->g, s, 1, k, sizeof k);
        source_text(L, t_loc, text, sizeof text);
        diag_note(L->diag, t_loc, "a vector is repeated in every row of a matrix, so it must be as long as a row; "
                                  "to repeat it in every column, write %s ones(%s)'", text, k);
    }
    return 0;
}

static NOINLINE Node *need_rank(Lowerer *L, const Ast *a, Node *n, int lo, int hi, const char *what) {
    if (!n || (n->shape.rank >= lo && n->shape.rank <= hi))
        return n;
    char sh[112];
    diag_error(L->diag, a->loc, "%s, got %s", what, shape_text(L->g, n->shape, sh, sizeof sh));
    return NULL;
}

static NOINLINE int check_arity(Lowerer *L, const Ast *a, const char *name, int lo, int hi) {
    if (a->nkids >= lo && (hi < 0 || a->nkids <= hi))
        return 1;
    const char *hint = hint_arity(name, a->nkids), *sep = hint ? "; " : "";
    hint = hint ? hint : "";
    if (hi < 0)
        diag_error(L->diag, a->name_loc, "'%s' expects at least %d argument%s, got %d%s%s", name, lo,
                   plural(lo), a->nkids, sep, hint);
    else if (lo == hi)
        diag_error(L->diag, a->name_loc, "'%s' expects %d argument%s, got %d%s%s", name, lo, plural(lo),
                   a->nkids, sep, hint);
    else
        diag_error(L->diag, a->name_loc, "'%s' expects %d to %d arguments, got %d%s%s", name, lo, hi,
                   a->nkids, sep, hint);
    return 0;
}

/* Functions of whole vectors and matrices.  dot, mean, norm2,
 * log_softmax and cross_entropy are written with the others (a small set
 * of node kinds does everything): dot(u, v) = sum(u v), log_softmax(u) =
 * u - logsumexp(u), cross_entropy(s, y) = logsumexp(s) - sum(s onehot(y)).
 * The functions of a row (softmax, log_softmax, logsumexp, cross_entropy)
 * work on each row of a matrix; an axis argument picks the other axis. */
static const struct {
    const char *name;
    int lo, hi; /* the arguments it takes */
} tensor_functions[] = {{"sum", 1, 2},         {"mean", 1, 2},          {"dot", 2, 2},
                        {"norm2", 1, 1},       {"softmax", 1, 2},       {"log_softmax", 1, 2},
                        {"logsumexp", 1, 2},   {"transpose", 1, 1},     {"outer", 2, 2},
                        {"ones", 1, 2},        {"zeros", 1, 2},         {"onehot", 2, 2},
                        {"cross_entropy", 2, 2}};

static int tensor_function(const char *name) {
    for (size_t i = 0; i < sizeof tensor_functions / sizeof *tensor_functions; i++)
        if (strcmp(tensor_functions[i].name, name) == 0)
            return (int)i;
    return -1;
}

int lower_is_function(const char *name) { return is_function_name(name) || tensor_function(name) >= 0; }

/* Does `name` stand for a value here: assigned (now or later), a -D
 * constant, or a variable? */
static int names_value(Lowerer *L, const char *name) {
    if (find_binding(L, name) || graph_find_var(L->g, name) >= 0 || is_assigned(L, name))
        return 1;
    for (int i = 0; L->opt && i < L->opt->ndefines; i++)
        if (strcmp(L->opt->defines[i].name, name) == 0)
            return 1;
    return 0;
}

/* Was the call written with blanks or a comment between its name and
 * '(' ("sum (v)")?  The scanner makes that a call only for the names of
 * functions. */
static int spaced_call(const Lowerer *L, const Ast *a) {
    const Source *src = L->diag->src;
    int at = a->name_loc.end;
    return src && src->text && at >= 0 && (size_t)at < src->len && src->text[at] != '(';
}

/* ones(m), zeros(m, n), onehot(y, k): positive integer constants, or
 * (not for onehot's k) the size of a run-time dimension. */
static int constant_dim(Lowerer *L, const Ast *a, Node *n, int dynamic, Axis *axis) {
    if (dynamic && n->kind == EX_DIM) {
        axis->size = L->g->dims[n->u.dim].max;
        axis->dyn = n->u.dim + 1;
        return 1;
    }
    if (n->kind != EX_CONST || !num_is_int(n->num[0]) || n->num[0].p < 1 || n->num[0].p > 1000000) {
        diag_error(L->diag, a->loc, "a dimension must be a positive integer constant%s",
                   dynamic ? " or a run-time dimension" : "");
        return 0;
    }
    *axis = axis_fixed((int)n->num[0].p);
    return 1;
}

/* The axis argument of a reduction or a function of rows: an integer
 * constant, 0 or 1 (-1 the last axis, -2 the first), of a value of the
 * given rank.  Returns the axis, or -1 after the error. */
static int axis_argument(Lowerer *L, const Ast *a, Node *n, int rank) {
    if (n->kind != EX_CONST || !num_is_int(n->num[0]) || n->num[0].p < -rank || n->num[0].p >= rank) {
        diag_error(L->diag, a->loc, "the axis must be %s", rank == 2 ? "0 (down the columns) or 1 (along the rows)"
                                                                     : "0 (the vector has one axis)");
        return -1;
    }
    return (int)(n->num[0].p < 0 ? n->num[0].p + rank : n->num[0].p);
}

/* softmax, log_softmax, logsumexp, and cross entropy with the labels y,
 * of a vector or of each row of a matrix x. */
static Node *row_function(Graph *g, const char *name, Node *x, Node *y) {
    if (strcmp(name, "softmax") == 0)
        return dag_softmax(g, x);
    Node *l = dag_logsumexp(g, x);
    /* each row's logsumexp in every column of its row */
    Node *spread = x->shape.rank == 2 ? dag_cols(g, l, shape_axis(x->shape, 1)) : l;
    if (strcmp(name, "logsumexp") == 0)
        return l;
    /* log_softmax(u) = u - logsumexp(u): stable, and its gradient comes
     * out as the familiar softmax(u) */
    if (strcmp(name, "log_softmax") == 0)
        return dag_sub(g, x, spread);
    /* cross_entropy(s, y) = -log softmax(s)[y] = logsumexp(s) - s[y],
     * with s[y] written sum(s onehot(y)) */
    Node *hot = dag_mul(g, x, dag_onehot(g, y, shape_axis(x->shape, x->shape.rank - 1)));
    return dag_sub(g, l, x->shape.rank == 2 ? dag_rowsum(g, hot) : dag_sum(g, hot));
}

/* The labels of onehot and cross_entropy must not depend on a parameter:
 * onehot is piecewise constant in them, so their derivative would be
 * silently zero.  Returns 1, or 0 after the error. */
static NOINLINE int labels_are_data(Lowerer *L, const Ast *a, Node *y) {
    unsigned char *mark = malloc(L->g->nnodes ? L->g->nnodes : 1);
    if (!mark) {
        out_of_memory(L, a->loc);
        return 0;
    }
    dag_mark_reachable(L->g, &y, 1, mark);
    const char *param = NULL;
    for (int v = 0; v < L->g->nvars && !param; v++)
        if (L->g->vars[v].role == VAR_PARAM && mark[L->g->vars[v].node->id])
            param = L->g->vars[v].name;
    free(mark);
    if (param) {
        diag_error(L->diag, a->loc, "the labels depend on the parameter '%s'; labels are data: declare them "
                   "with 'input'", param);
        return 0;
    }
    return 1;
}

/* cross_entropy(S, labels): one label per row of scores (a scalar label
 * for a vector of scores), and data. */
static NOINLINE int check_labels(Lowerer *L, const Ast *a, Node *s, Node *y) {
    char ss[112], sy[112];
    int rows = s->shape.rank == 2;
    int fits = rows ? y->shape.rank == 1 && axis_equal(shape_axis(y->shape, 0), shape_axis(s->shape, 0))
                    : y->shape.rank == 0;
    if (!fits) {
        diag_error(L->diag, a->kids[1]->loc, "'%s' needs one label per %s: %s for scores of shape %s, got %s",
                   a->text, rows ? "row" : "vector", rows ? "a vector as long as the scores have rows" : "a scalar",
                   shape_text(L->g, s->shape, ss, sizeof ss), shape_text(L->g, y->shape, sy, sizeof sy));
        return 0;
    }
    return labels_are_data(L, a->kids[1], y);
}

static NOINLINE Node *lower_tensor_call(Lowerer *L, const Ast *a, int which) {
    const char *name = tensor_functions[which].name;
    if (!check_arity(L, a, name, tensor_functions[which].lo, tensor_functions[which].hi))
        return NULL;
    Node *x = lower_expr(L, a->kids[0]);
    Node *y = x && a->nkids > 1 ? lower_expr(L, a->kids[1]) : NULL;
    if (!x || (a->nkids > 1 && !y))
        return NULL;
    Graph *g = L->g;
    if (strcmp(name, "ones") == 0 || strcmp(name, "zeros") == 0) {
        Axis m, n = axis_fixed(0);
        if (!constant_dim(L, a->kids[0], x, 1, &m) || (y && !constant_dim(L, a->kids[1], y, 1, &n)))
            return NULL;
        return dag_fill(g, dag_int(g, name[0] == 'o'), y ? shape_mat(m, n) : shape_vec(m));
    }
    if (strcmp(name, "onehot") == 0) {
        Axis k;
        if (!need_rank(L, a->kids[0], x, 0, 1, "'onehot' needs a label or a vector of labels") ||
            !constant_dim(L, a->kids[1], y, 0, &k) || !labels_are_data(L, a->kids[0], x))
            return NULL;
        return dag_onehot(g, x, k);
    }
    /* an axis: sum(A, 0) sums down the columns, sum(A, 1) along the rows */
    int axis = -1;
    if (y && strcmp(name, "cross_entropy") != 0 && strcmp(name, "dot") != 0 && strcmp(name, "outer") != 0) {
        if (!need_rank(L, a->kids[0], x, 1, 2, "an axis needs a vector or a matrix") ||
            (axis = axis_argument(L, a->kids[1], y, x->shape.rank)) < 0)
            return NULL;
        if (x->shape.rank == 1)
            axis = -1; /* the vector's only axis: as without one */
    }
    if (strcmp(name, "sum") == 0 || strcmp(name, "mean") == 0) {
        Node *total = axis < 0 ? dag_sum(g, x) : axis == 0 ? dag_colsum(g, x) : dag_rowsum(g, x);
        if (name[0] == 's')
            return total;
        /* the number of entries summed: a constant, or with a run-time
         * dimension its size */
        Node *count = axis < 0 ? dag_numel(g, x->shape) : dag_axis(g, x->shape, axis);
        return dag_mul(g, dag_pow(g, count, dag_int(g, -1)), total);
    }
    if (strcmp(name, "norm2") == 0) /* the Euclidean norm sqrt(sum(u^2)) */
        return dag_pow(g, dag_sum(g, dag_pow(g, x, dag_int(g, 2))), dag_num(g, num_rat(1, 2)));
    if (strcmp(name, "dot") == 0 || strcmp(name, "outer") == 0) {
        const char *what = name[0] == 'd' ? "'dot' needs two vectors of one length"
                                          : "'outer' needs two vectors";
        if (x->shape.rank != 1 || y->shape.rank != 1 || (name[0] == 'd' && !shape_equal(x->shape, y->shape))) {
            shape_error(L, a->loc, x->shape, ",", y->shape);
            diag_note(L->diag, a->name_loc, "%s", what);
            return NULL;
        }
        return name[0] == 'd' ? dag_sum(g, dag_mul(g, x, y)) : dag_outer(g, x, y);
    }
    if (strcmp(name, "transpose") == 0)
        return dag_transpose(g, need_rank(L, a->kids[0], x, 2, 2, "'transpose' needs a matrix"));
    x = need_rank(L, a->kids[0], x, 1, 2, "a vector or a matrix is needed here");
    if (!x)
        return NULL;
    if (strcmp(name, "cross_entropy") == 0) {
        if (!check_labels(L, a, x, y))
            return NULL;
        return row_function(g, name, x, y);
    }
    if (axis == 0 && x->shape.rank == 2) { /* down the columns: the rows of the transpose */
        Node *r = row_function(g, name, dag_transpose(g, x), NULL);
        return r && r->shape.rank == 2 ? dag_transpose(g, r) : r;
    }
    return row_function(g, name, x, NULL);
}

/* The call of builtin fn (or sqrt, pow) named `name` in a, its arguments
 * lowered into args (a->nkids of them; room for two when fewer). */
static Node *build_builtin(Lowerer *L, const Ast *a, int fn, const char *name, Node **args);

static Node *lower_builtin(Lowerer *L, const Ast *a, int fn, const char *name, Node **args) {
    for (int i = 0; i < a->nkids; i++)
        if (!(args[i] = lower_expr(L, a->kids[i])))
            return NULL;
    return build_builtin(L, a, fn, name, args);
}

/* The call of builtin fn on its lowered arguments.  Not inlined: its
 * locals (shapes, a default, a message) would otherwise be in the frame
 * that lowering repeats at every level of nesting. */
static NOINLINE Node *build_builtin(Lowerer *L, const Ast *a, int fn, const char *name, Node **args) {
    Graph *g = L->g;
    Shape s = widest(args, a->nkids);
    for (int i = 0; i < a->nkids; i++)
        if (!broadcast(L, &args[i], s, a->loc, a->kids[i]->loc, ","))
            return NULL;
    if (strcmp(name, "sqrt") == 0)
        return dag_pow(g, args[0], dag_num(g, num_rat(1, 2)));
    if (strcmp(name, "pow") == 0)
        return dag_pow(g, args[0], args[1]);
    if (fn == BI_MIN || fn == BI_MAX) {
        Node *r = args[0];
        for (int i = 1; i < a->nkids && r; i++)
            r = located(L, dag_call(g, (Builtin)fn, (Node *[]){r, args[i]}, 2), a->loc);
        return r;
    }
    /* an optional last argument (builtins.def's dflt): a constant, or
     * its default */
    int nargs = a->nkids;
    Num dflt;
    if (builtin_default((Builtin)fn, &dflt)) {
        int last = builtin_info[fn].max_args - 1;
        if (nargs == last) {
            args[last] = dag_num(g, dflt);
            nargs++;
        } else if (args[last]->kind != EX_CONST || args[last]->shape.rank != 0) {
            diag_error(L->diag, a->kids[last]->loc, "the %s argument of '%s' must be a constant",
                       last == 1 ? "second" : "last", a->text);
            return NULL;
        }
    }
    /* a constant argument outside its domain makes the call undefined
     * wherever its other arguments are (log(x, 1), huber(x, -1)); calls
     * of constants alone are checked with every constant (check_constants) */
    int nconst = 0;
    for (int k = 0; k < nargs; k++)
        nconst += args[k]->kind == EX_CONST;
    for (int k = 0; k < nargs && k < 2 && nconst < nargs; k++)
        if (args[k]->kind == EX_CONST &&
            !domain_contains(builtin_info[fn].domain[k], num_value(args[k]->num[0]))) {
            char why[128];
            diag_error(L->diag, k < a->nkids ? a->kids[k]->loc : a->loc, "domain error in a constant: %s",
                       builtin_domain_reason((Builtin)fn, k, why, sizeof why));
            return NULL;
        }
    return dag_call(g, (Builtin)fn, args, nargs);
}

/* max(s) or min(s) of one argument: the largest element of a vector in
 * other languages, but symdiff's max compares its arguments element by
 * element.  Reports what to write for a vector or matrix and returns 0;
 * returns 1 for a scalar (the arity error follows). */
static NOINLINE int extremum_of_one(Lowerer *L, const Ast *a) {
    Node *x = lower_expr(L, a->kids[0]);
    if (!x)
        return 0;
    if (x->shape.rank == 0)
        return 1;
    /* the elements by name: s[0], s[1], ..., s[n-1] (a matrix's as s[i, j]) */
    const char *s = a->kids[0]->kind == AST_NAME ? a->kids[0]->text : "u";
    int64_t n = shape_numel(x->shape);
    int cols = x->shape.rank == 2 ? x->shape.dim[1] : 0;
    StrBuf e;
    sb_init(&e);
    for (int64_t i = 0; i < n; i++) {
        if (n > 4 && i == 2) {
            sb_puts(&e, ", ...");
            i = n - 1;
        }
        if (cols)
            sb_printf(&e, "%s%.40s[%lld, %lld]", i ? ", " : "", s, (long long)(i / cols), (long long)(i % cols));
        else
            sb_printf(&e, "%s%.40s[%lld]", i ? ", " : "", s, (long long)i);
    }
    diag_error(L->diag, a->name_loc, "'%s' of one %s: '%s' compares its arguments element by element; for the "
               "%s element of %s%.40s write %s(%s)", a->text, cols ? "matrix" : "vector", a->text,
               strcmp(a->text, "max") == 0 ? "largest" : "smallest", s == a->kids[0]->text ? "" : "a value ", s,
               a->text, sb_str(&e));
    sb_free(&e);
    return 0;
}

/* What a call names: a function of tensors, or a builtin (fn; -1 for
 * sqrt and pow) under its own name (aliases resolved). */
typedef struct CallTarget {
    int tensor;
    int fn;
    const char *name;
} CallTarget;

/* Resolves the function a names and checks its arguments' count.  Returns
 * 1, or 0 after reporting the error. */
static NOINLINE int resolve_call(Lowerer *L, const Ast *a, CallTarget *t) {
    const char *name = a->text;
    if (spaced_call(L, a) && names_value(L, name)) {
        /* "param sum; sum (x)": the variable times (x), or the function? */
        diag_error(L->diag, a->name_loc, "'%s' is a variable and a function: write %s*(...) to multiply, "
                   "or %s(...) with no space to call the function", name, name, name);
        return 0;
    }
    t->tensor = tensor_function(name);
    if (t->tensor >= 0)
        return 1;
    int fn = builtin_lookup_call(name, a->nkids);
    if (fn >= 0)
        name = builtin_info[fn].name; /* the alias resolved */
    int special = strcmp(name, "sqrt") == 0 || strcmp(name, "pow") == 0;
    if (fn == BI_PI || strcmp(name, "e") == 0) {
        diag_error(L->diag, a->name_loc, "'%s' is a constant, not a function", a->text);
        return 0;
    }
    if (fn < 0 && !special) {
        if (names_value(L, a->text)) {
            diag_error(L->diag, a->name_loc, "'%s' is not a function; write %s*(...) to multiply",
                       a->text, a->text);
            return 0;
        }
        /* another language's name for one of symdiff's functions (arcsinh,
         * ln1p), or one of them in capitals (Heaviside, ReLU, GELU) */
        const char *spelled = hint_spelling(a->text);
        char lower[32];
        size_t len = strlen(a->text);
        for (size_t i = 0; i < len && len < sizeof lower; i++)
            lower[i] = (char)tolower((unsigned char)a->text[i]);
        lower[len < sizeof lower ? len : 0] = '\0';
        if (!spelled && strcmp(lower, a->text) != 0 && is_function_name(lower))
            spelled = lower;
        if (spelled && spelled == lower) {
            diag_error(L->diag, a->name_loc, "unknown function '%s'; did you mean '%s'?", a->text, spelled);
            return 0;
        }
        if (spelled) {
            diag_error(L->diag, a->name_loc, "unknown function '%s': symdiff calls it '%s'", a->text, spelled);
            return 0;
        }
        const char *call, *instead;
        if (hint_missing_function(a->text, &call, &instead)) {
            if (instead)
                diag_error(L->diag, a->name_loc, "unknown function '%s': symdiff does not have it; "
                           "for %s write %s", a->text, call, instead);
            else
                diag_error(L->diag, a->name_loc, "unknown function '%s': symdiff does not have it, and "
                           "none of its functions computes it", a->text);
            return 0;
        }
        const char *cands[2 * BI_COUNT + 2];
        int n = 0;
        for (int i = 0; i < BI_COUNT; i++)
            if (i != BI_PI) {
                cands[n++] = builtin_info[i].name;
                if (builtin_info[i].alias)
                    cands[n++] = builtin_info[i].alias;
            }
        cands[n++] = "sqrt";
        cands[n++] = "pow";
        char hint[128];
        suggest(hint, sizeof hint, a->text, cands, n);
        if (!hint[0])
            snprintf(hint, sizeof hint, "; to multiply, write %.40s*(...)", a->text);
        diag_error(L->diag, a->name_loc, "unknown function '%s'%s", a->text, hint);
        return 0;
    }
    int lo = special ? (strcmp(name, "pow") == 0 ? 2 : 1) : 0, hi = lo;
    if (!special)
        builtin_arity(a->text, &lo, &hi); /* as written: ln(x, b) is no logarithm to a base */
    if (fn == BI_MIN || fn == BI_MAX)
        hi = -1; /* max(a, b, c) = max(max(a, b), c) */
    if ((fn == BI_MIN || fn == BI_MAX) && a->nkids == 1 && !extremum_of_one(L, a))
        return 0;
    if (!check_arity(L, a, a->text, lo, hi))
        return 0;
    if (a->nkids > 64) {
        diag_error(L->diag, a->name_loc, "too many arguments to '%s' (at most 64)", a->text);
        return 0;
    }
    t->fn = fn;
    t->name = name;
    return 1;
}

static Node *lower_call(Lowerer *L, const Ast *a) {
    CallTarget t;
    if (!resolve_call(L, a, &t))
        return NULL;
    if (t.tensor >= 0)
        return lower_tensor_call(L, a, t.tensor);
    /* room for three arguments (every builtin but min and max) in the
     * frame, which lowering repeats at every level of nesting */
    Node *small[3], **args = a->nkids <= 3 ? small : malloc((size_t)a->nkids * sizeof *args);
    if (!args) {
        out_of_memory(L, a->loc);
        return NULL;
    }
    Node *r = lower_builtin(L, a, t.fn, t.name, args);
    if (args != small)
        free(args);
    return r;
}

/* --- expressions ------------------------------------------------------------- */

/* a + b - c: terms are scalars or tensors of one shape, or vectors that
 * fit the rows or columns of the matrix terms. */
static Node *lower_sum(Lowerer *L, const Ast *a) {
    Graph *g = L->g;
    Node **v = malloc((size_t)a->nkids * sizeof *v);
    if (!v) {
        out_of_memory(L, a->loc);
        return NULL;
    }
    Node *r = NULL;
    int i = 0;
    for (; i < a->nkids; i++)
        if (!(v[i] = lower_expr(L, a->kids[i])))
            break;
    Shape s = widest(v, i);
    for (int k = 0; k < i; k++) {
        /* a term that does not fit is reported with what precedes it */
        Loc whole = {a->loc.start, k > 0 ? a->kids[k]->loc.end : a->loc.end};
        if (!broadcast(L, &v[k], s, whole, a->kids[k]->loc, k > 0 && a->ops[k] == '-' ? "-" : "+")) {
            i = -1;
            break;
        }
        if (k > 0 && a->ops[k] == '-')
            v[k] = located(L, dag_neg(g, v[k]), a->kids[k]->loc);
    }
    if (i == a->nkids)
        r = dag_add_n(g, v, a->nkids);
    free(v);
    return r;
}

/* a * b / c @ d e: one level, left-associative.  Runs of elementwise
 * factors are multiplied together (so that they collect, as for scalars);
 * '@' takes the product so far as its left operand.  A transposed vector
 * joins its neighbour as in the math: u v' is an outer product, u' v a dot
 * product (u' A is u @ A). */
static Node *lower_product(Lowerer *L, const Ast *a) {
    Graph *g = L->g;
    Node **run = malloc((size_t)a->nkids * sizeof *run);
    if (!run) {
        out_of_memory(L, a->loc);
        return NULL;
    }
    int nrun = 0, ok = 1;
    Shape run_shape = shape_scalar;
    Node *row = NULL; /* a transposed vector waiting for its right operand */
    for (int i = 0; i < a->nkids && ok; i++) {
        char op = i > 0 && a->ops ? a->ops[i] : '*';
        const Ast *k = a->kids[i];
        Loc upto = {a->loc.start, k->loc.end};
        int transposed = k->kind == AST_TRANSPOSE && op != '/' && op != '@';
        Node *t = lower_expr(L, transposed ? k->kids[0] : k);
        if (!t) {
            ok = 0;
            break;
        }
        if (transposed && t->shape.rank == 2) {
            t = located(L, dag_transpose(g, t), k->loc);
            transposed = 0;
        } else if (transposed && t->shape.rank == 0) {
            diag_error(L->diag, k->loc, "only a matrix has a transpose");
            ok = 0;
            break;
        }
        if (op == '/')
            t = located(L, dag_pow(g, t, dag_int(g, -1)), k->loc);
        if (row && (op == '/' || op == '@')) {
            diag_error(L->diag, upto, "write u' v or u @ v with a transposed vector u");
            ok = 0;
            break;
        }
        /* the product so far, built only when a matrix operation needs it
         * (building it early would change the order nodes are made in) */
        Node *left = NULL;
        if (nrun > 0 && (transposed || row || op == '@'))
            left = nrun == 1 ? run[0] : dag_mul_n(g, run, nrun);
        Node *r = NULL;
        if (transposed && left && left->shape.rank == 1) {
            r = dag_outer(g, left, t); /* u v' */
        } else if (transposed) {
            if (row) {
                diag_error(L->diag, upto, "two transposed vectors in a row");
                ok = 0;
                break;
            }
            row = t; /* u' v: wait for v */
            continue;
        } else if (row || op == '@') {
            Node *lhs = row ? row : left;
            if (lhs && lhs->shape.rank > 0 && t->shape.rank > 0)
                r = dag_matmul(g, lhs, t);
            if (r && row && left)
                r = dag_mul(g, left, r); /* c u' v */
            if (!r && !g->failed) {
                shape_error(L, upto, lhs ? lhs->shape : shape_scalar, "@", t->shape);
                ok = 0;
                break;
            }
            row = NULL;
        } else {
            if (!same_or_scalar(run_shape, t->shape)) {
                shape_error(L, upto, run_shape, op == '/' ? "/" : "*", t->shape);
                if (op != '/')
                    product_hint(L, (Loc){a->loc.start, a->kids[i - 1]->loc.end}, k->loc, run_shape,
                                 t->shape);
                ok = 0;
                break;
            }
            if (t->shape.rank > 0)
                run_shape = t->shape;
            run[nrun++] = t;
            continue;
        }
        if (!(r = within_size(L, upto, r))) {
            ok = 0;
            break;
        }
        run[0] = located(L, r, upto);
        nrun = 1;
        run_shape = r->shape;
    }
    if (ok && row) {
        diag_error(L->diag, a->loc, "a vector has no transpose of its own: write u v' for an "
                                    "outer product, u' v or dot(u, v) for a dot product");
        ok = 0;
    }
    Node *r = ok ? (nrun == 1 ? run[0] : dag_mul_n(g, run, nrun)) : NULL;
    free(run);
    return r;
}

/* x[i], A[i] (a row), A[i, j]: constant integer subscripts from 0. */
static NOINLINE Node *lower_index(Lowerer *L, const Ast *a) {
    Node *x = lower_expr(L, a->kids[0]);
    if (!x)
        return NULL;
    int nsub = a->nkids - 1;
    if (x->shape.rank == 0 || nsub > x->shape.rank) {
        char sh[112];
        diag_error(L->diag, a->loc, "%d subscript%s for a value of shape %s", nsub, plural(nsub),
                   shape_text(L->g, x->shape, sh, sizeof sh));
        return NULL;
    }
    int sub[2] = {0, 0};
    for (int k = 0; k < nsub; k++) {
        Node *i = lower_expr(L, a->kids[k + 1]);
        if (!i)
            return NULL;
        if (x->shape.dyn[k]) {
            diag_error(L->diag, a->kids[k + 1]->loc,
                       "a subscript along the run-time dimension '%s': its size is known only when the program "
                       "runs", L->g->dims[x->shape.dyn[k] - 1].name);
            return NULL;
        }
        if (i->kind != EX_CONST || !num_is_int(i->num[0])) {
            diag_error(L->diag, a->kids[k + 1]->loc, "a subscript must be an integer constant");
            return NULL;
        }
        if (num_is_negative(i->num[0]) || i->num[0].p >= x->shape.dim[k]) {
            diag_error(L->diag, a->kids[k + 1]->loc,
                       "subscript %lld is out of range: the dimension has %d elements, numbered from 0",
                       (long long)i->num[0].p, x->shape.dim[k]);
            return NULL;
        }
        sub[k] = (int)i->num[0].p;
    }
    if (nsub == 2)
        return dag_index(L->g, x, sub[0] * x->shape.dim[1] + sub[1], 1);
    return dag_index(L->g, x, sub[0], x->shape.rank == 1);
}

/* [a, b, c]: scalars make a vector, vectors of one length a matrix. */
static NOINLINE Node *lower_vector(Lowerer *L, const Ast *a) {
    Node **v = malloc((size_t)(a->nkids ? a->nkids : 1) * sizeof *v);
    if (!v) {
        out_of_memory(L, a->loc);
        return NULL;
    }
    Node *r = NULL;
    int i = 0;
    for (; i < a->nkids; i++) {
        if (!(v[i] = lower_expr(L, a->kids[i])))
            break;
        if (v[i]->shape.rank > 1 || !shape_equal(v[i]->shape, v[0]->shape)) {
            shape_error(L, a->loc, v[0]->shape, "beside", v[i]->shape);
            diag_note(L->diag, a->kids[i]->loc, "the elements of a literal are scalars, or vectors of one length");
            break;
        }
    }
    if (i == a->nkids && a->nkids > 0)
        r = dag_pack(L->g, v, a->nkids);
    free(v);
    return r;
}

/* One step of work: every expression lowered and every pass of a repeat
 * body (so that nested repeats of an empty body end too).  Returns 0 once
 * the limit is passed, after reporting it at `loc`. */
static int spend(Lowerer *L, Loc loc) {
    dag_spend(L->g, 1); /* the graph's count covers every stage */
    if (++L->work > L->max_work) {
        if (L->work == L->max_work + 1)
            diag_error(L->diag, loc, "program does too much work (more than %ld steps); "
                                     "reduce the repeat counts", L->max_work);
        return 0;
    }
    return 1;
}

/* y^T with a vector or matrix y and no value named T: the transpose of
 * other notations.  Reports it (and returns 1), or returns 0. */
static NOINLINE int transpose_hint(Lowerer *L, const Ast *pow, const Node *base) {
    const Ast *e = pow->kids[1];
    if (base->shape.rank == 0 || e->kind != AST_NAME || strcmp(e->text, "T") != 0 || names_value(L, "T"))
        return 0;
    char bt[64];
    source_text(L, pow->kids[0]->loc, bt, sizeof bt);
    diag_error(L->diag, pow->loc, "'^T' is not a transpose: write %s' for the transpose of %s", bt, bt);
    return 1;
}

/* A number as written.  Not inlined into lower_expr_inner: its Num would
 * be in the frame that lowering repeats at every level of nesting. */
static NOINLINE Node *lower_number(Lowerer *L, const Ast *a) {
    Num v;
    NumStatus s = num_parse(a->text, &v);
    if (s == NUM_OVERFLOW) {
        diag_error(L->diag, a->loc, "number out of range '%s'", a->text);
        return NULL;
    }
    if (s != NUM_OK) {
        diag_error(L->diag, a->loc, "malformed number '%s'", a->text);
        return NULL;
    }
    return dag_num(L->g, v);
}

static Node *lower_expr_inner(Lowerer *L, const Ast *a) {
    Graph *g = L->g;
    if (!spend(L, a->loc))
        return NULL;
    switch (a->kind) {
    case AST_NUM:
        return lower_number(L, a);
    case AST_NAME:
        return lower_name(L, a);
    case AST_CALL:
        return lower_call(L, a);
    case AST_NEG: {
        Node *u = lower_expr(L, a->kids[0]);
        return u ? dag_neg(g, u) : NULL;
    }
    case AST_SUM:
        return lower_sum(L, a);
    case AST_PRODUCT:
        return lower_product(L, a);
    case AST_POW: {
        Node *b = lower_expr(L, a->kids[0]);
        if (b && transpose_hint(L, a, b))
            return NULL;
        Node *e = b ? lower_expr(L, a->kids[1]) : NULL;
        if (e && !same_or_scalar(b->shape, e->shape))
            return shape_error(L, a->loc, b->shape, "^", e->shape);
        return e ? dag_pow(g, b, e) : NULL;
    }
    case AST_TRANSPOSE: {
        Node *m = lower_expr(L, a->kids[0]);
        if (m && m->shape.rank == 1) {
            diag_error(L->diag, a->loc, "a vector has no transpose of its own: write u v' for an "
                                        "outer product, u' v or dot(u, v) for a dot product");
            return NULL;
        }
        return dag_transpose(g, need_rank(L, a->kids[0], m, 2, 2, "only a matrix has a transpose"));
    }
    case AST_INDEX:
        return lower_index(L, a);
    case AST_VECTOR:
        return lower_vector(L, a);
    default:
        diag_error(L->diag, a->loc, "internal error: unexpected syntax in an expression");
        return NULL;
    }
}

static Node *lower_expr(Lowerer *L, const Ast *a) {
    Node *n = lower_expr_inner(L, a);
    if (!n && L->g->failed)
        out_of_memory(L, a->loc);
    n = within_size(L, a->loc, n);
    if (n && ast_set_has(&L->repeated, a))
        dag_pin(L->g, n); /* written twice: shared like a named value */
    return located(L, n, a->loc);
}

/* --- statements --------------------------------------------------------------- */

/* The value -D gives `name`, if it gives one. */
static const Define *defined(const Lowerer *L, const char *name) {
    for (int i = 0; L->opt && i < L->opt->ndefines; i++)
        if (strcmp(L->opt->defines[i].name, name) == 0)
            return &L->opt->defines[i];
    return NULL;
}

/* dim n <= 256: a run-time dimension, or with -D n=5 the number 5 (the
 * name then stands for it everywhere, as any -D constant does). */
static NOINLINE int lower_dim_decl(Lowerer *L, const Ast *s) {
    const char *name = s->text;
    Num d;
    if (num_parse(s->kids[0]->text, &d) != NUM_OK || !num_is_int(d) || d.p < 1 || d.p > 1000000) {
        diag_error(L->diag, s->kids[0]->loc,
                   "the largest size of a run-time dimension must be a positive integer (at most 1000000)");
        return -1;
    }
    if (is_function_name(name) || strcmp(name, "pi") == 0 || strcmp(name, "e") == 0) {
        diag_error(L->diag, s->name_loc, "cannot declare '%s': it is a built-in name", name);
        return -1;
    }
    if (graph_find_dim(L->g, name) >= 0 || graph_find_var(L->g, name) >= 0) {
        diag_error(L->diag, s->name_loc, "'%s' is declared twice", name);
        return -1;
    }
    if (is_assigned(L, name)) {
        diag_error(L->diag, s->name_loc, "cannot declare the dimension '%s': the program assigns to it", name);
        return -1;
    }
    const Define *def = defined(L, name);
    if (def) {
        if (!(def->value >= 1 && def->value <= (double)d.p && def->value == floor(def->value))) {
            diag_error(L->diag, s->loc, "-D %s=%g: the size of '%s' must be an integer from 1 to %lld", name,
                       def->value, name, (long long)d.p);
            return -1;
        }
        return 0;
    }
    if (graph_add_dim(L->g, name, (int)d.p) < 0) {
        if (L->g->failed)
            out_of_memory(L, s->loc);
        else
            diag_error(L->diag, s->name_loc, "too many run-time dimensions (at most %d)", GRAPH_MAX_DIMS);
        return -1;
    }
    return 0;
}

/* Dimension k of a declaration: a number, the name of a run-time
 * dimension, or a name -D binds to a number.  0, or -1 after the error. */
static int decl_axis(Lowerer *L, const Ast *k, Axis *axis) {
    if (k->kind == AST_NAME) {
        const Define *def = defined(L, k->text);
        int dim = graph_find_dim(L->g, k->text);
        if (def && def->value >= 1 && def->value <= 1000000 && def->value == floor(def->value)) {
            *axis = axis_fixed((int)def->value);
            return 0;
        }
        if (!def && dim >= 0) {
            *axis = (Axis){L->g->dims[dim].max, dim + 1};
            return 0;
        }
        diag_error(L->diag, k->loc, def ? "the dimension '%s' must be a positive integer (at most 1000000)"
                                        : "'%s' is not a dimension: declare it first, with its largest size "
                                          "(dim %s <= 256;)",
                   k->text, k->text);
        return -1;
    }
    Num d;
    if (num_parse(k->text, &d) != NUM_OK || !num_is_int(d) || d.p < 1 || d.p > 1000000) {
        diag_error(L->diag, k->loc, "a dimension must be a positive integer (at most 1000000)");
        return -1;
    }
    *axis = axis_fixed((int)d.p);
    return 0;
}

/* param W[3,4], b[3];  input X[n,784], y[n] */
static NOINLINE int lower_decl(Lowerer *L, const Ast *s) {
    Shape shape = shape_scalar;
    if (s->nkids > 2) {
        diag_error(L->diag, s->loc, "'%s' has %d dimensions; vectors [n] and matrices [m,n] are supported",
                   s->text, s->nkids);
        return -1;
    }
    Axis ax[2];
    for (int k = 0; k < s->nkids; k++)
        if (decl_axis(L, s->kids[k], &ax[k]) != 0)
            return -1;
    if (s->nkids == 1)
        shape = shape_vec(ax[0]);
    else if (s->nkids == 2)
        shape = shape_mat(ax[0], ax[1]);
    if (shape_numel(shape) > SHAPE_MAX_ELEMENTS) {
        diag_error(L->diag, s->loc, "'%s' is too large", s->text);
        return -1;
    }
    if (is_function_name(s->text) || strcmp(s->text, "pi") == 0 || strcmp(s->text, "e") == 0) {
        diag_error(L->diag, s->name_loc, "cannot declare '%s': it is a built-in name", s->text);
        return -1;
    }
    if (!(s->flags & AST_INPUT) && shape_is_dynamic(shape)) {
        diag_error(L->diag, s->loc, "the parameter '%s' has a run-time dimension: parameters have fixed shapes "
                   "(declare data with 'input')", s->text);
        return -1;
    }
    if (graph_find_dim(L->g, s->text) >= 0) {
        diag_error(L->diag, s->name_loc, "'%s' is declared twice", s->text);
        return -1;
    }
    /* one lookup of the name: it adds the variable when the name is new,
     * and a name declared already is refused below (or, given in --vars,
     * takes its role) */
    VarRole role = (s->flags & AST_INPUT) ? VAR_INPUT : VAR_PARAM;
    int added;
    int var = graph_put_var(L->g, s->text, role, shape, &added);
    if (var < 0) {
        out_of_memory(L, s->loc);
        return -1;
    }
    if (!added && (var >= L->nfixed || L->fixed_declared[var])) {
        diag_error(L->diag, s->name_loc, "'%s' is declared twice", s->text);
        return -1;
    }
    if (!added && shape.rank > 0) {
        diag_error(L->diag, s->name_loc, "'%s' is a vector or matrix: it cannot also be given in --vars",
                   s->text);
        return -1;
    }
    if (var < L->nfixed)
        L->fixed_declared[var] = 1;
    L->g->vars[var].role = role;
    return 0;
}

static int lower_statements(Lowerer *L, Ast *const *stmts, int n);

static int lower_statement(Lowerer *L, const Ast *s) {
    switch (s->kind) {
    case AST_ASSIGN: {
        if (strcmp(s->text, "pi") == 0 || strcmp(s->text, "e") == 0 || is_function_name(s->text)) {
            diag_error(L->diag, s->name_loc, "cannot assign to '%s': it is a built-in name", s->text);
            return -1;
        }
        int var = graph_find_var(L->g, s->text);
        if (var >= 0 && (L->has_decls || L->vars_fixed)) {
            diag_error(L->diag, s->name_loc, "cannot assign to '%s': it is a declared variable", s->text);
            return -1;
        }
        if (graph_find_dim(L->g, s->text) >= 0) {
            diag_error(L->diag, s->name_loc, "cannot assign to '%s': it is a run-time dimension", s->text);
            return -1;
        }
        Node *v = lower_expr(L, s->kids[0]);
        if (!v)
            return -1;
        dag_pin(L->g, v); /* a named value is shared: keep it whole */
        if (bind(L, s->text, v) != 0) {
            out_of_memory(L, s->loc);
            return -1;
        }
        return 0;
    }
    case AST_REPEAT: {
        Node *count = lower_expr(L, s->kids[0]);
        if (!count)
            return -1;
        if (count->kind != EX_CONST || !num_is_int(count->num[0]) || num_is_negative(count->num[0])) {
            diag_error(L->diag, s->kids[0]->loc, "repeat count must be a non-negative integer constant");
            return -1;
        }
        int64_t n = count->num[0].p;
        for (int64_t i = 0; i < n; i++) {
            if (!spend(L, s->name_loc) || lower_statements(L, s->kids + 1, s->nkids - 1) != 0)
                return -1;
            if (L->work > L->max_work)
                return -1;
        }
        return 0;
    }
    case AST_DECL:
        return (s->flags & AST_DIM) ? lower_dim_decl(L, s) : lower_decl(L, s);
    default: {
        /* an expression used as a statement is evaluated for its errors */
        Node *n = lower_expr(L, s);
        return n ? 0 : -1;
    }
    }
}

static int lower_statements(Lowerer *L, Ast *const *stmts, int n) {
    for (int i = 0; i < n; i++)
        if (lower_statement(L, stmts[i]) != 0)
            return -1;
    return 0;
}

/* --- constant domain errors ---------------------------------------------------- */

static const char *domain_reason(const Node *n, const double *val, char *buf, size_t size) {
    if (n->kind == EX_POW) {
        double b = val[n->args[0]->id], e = val[n->args[1]->id];
        if (b == 0 && e < 0)
            return "division by zero";
        if (b < 0 && e != floor(e))
            return e == 0.5 ? "square root of a negative number" : "fractional power of a negative number";
        return "the value is too large for a double";
    }
    if (n->kind == EX_CALL) /* an argument outside its domain (builtins.def) */
        for (int k = 0; k < n->nargs && k < 2; k++)
            if (!domain_contains(builtin_info[n->u.fn].domain[k], val[n->args[k]->id]))
                return builtin_domain_reason((Builtin)n->u.fn, k, buf, size);
    return isnan(val[n->id]) ? "the value is undefined" : "the value is too large for a double";
}

/* Is an argument of a call outside its domain (builtins.def)?  Most such
 * calls have no finite value, but some do (log(1, 0) = 0/-inf). */
static int outside_domain(const Node *n, const double *val) {
    for (int k = 0; n->kind == EX_CALL && k < n->nargs && k < 2; k++)
        if (!domain_contains(builtin_info[n->u.fn].domain[k], val[n->args[k]->id]))
            return 1;
    return 0;
}

/* The value of a node without variables, from its arguments' values. */
static double constant_value(const Node *n, const double *val) {
    double v = 0, argv[8];
    switch ((NodeKind)n->kind) {
    case EX_CONST:
        v = num_value(n->num[0]);
        break;
    case EX_ADD:
        for (int k = 0; k < n->nargs; k++)
            v += val[n->args[k]->id];
        break;
    case EX_MUL:
        v = 1;
        for (int k = 0; k < n->nargs; k++)
            v *= val[n->args[k]->id];
        break;
    case EX_POW:
        v = n->args[1]->kind == EX_CONST ? num_pow_value(val[n->args[0]->id], n->args[1]->num[0])
                                         : pow(val[n->args[0]->id], val[n->args[1]->id]);
        break;
    case EX_CALL:
        for (int k = 0; k < n->nargs && k < 8; k++)
            argv[k] = val[n->args[k]->id];
        v = eval_builtin((Builtin)n->u.fn, argv);
        break;
    default:
        break;
    }
    return v;
}

/* A sum or product with variables keeps its constants apart when they do
 * not fold (1e308*10*x); if together they overflow, its value is not
 * finite anywhere.  Sets *out to their total then. */
static int constants_overflow(const Node *n, double *out) {
    if (n->kind != EX_ADD && n->kind != EX_MUL)
        return 0;
    double c = n->kind == EX_MUL ? 1 : 0;
    int nconst = 0;
    for (int k = 0; k < n->nargs; k++)
        if (n->args[k]->kind == EX_CONST) {
            double a = num_value(n->args[k]->num[0]);
            c = n->kind == EX_MUL ? c * a : c + a;
            nconst++;
        }
    *out = c;
    return nconst >= 2 && !isfinite(c);
}

/* The exponent a nested power such as ((x^a)^b)^c, which a repeat builds
 * one level at a time, raises its innermost base to: a b c, through
 * products too ((x^a y)^b).  The constants are each in range, but their
 * product is the power's real exponent, and the derivative's coefficient:
 * it must be a finite double like any constant. */
static double power_gain(const Node *n, const double *gain) {
    double r = 1;
    if (n->kind == EX_POW && n->args[1]->kind == EX_CONST) {
        const Node *b = n->args[0];
        r = fabs(num_value(n->args[1]->num[0])) * (b->kind == EX_POW || b->kind == EX_MUL ? gain[b->id] : 1);
    } else if (n->kind == EX_MUL) {
        for (int k = 0; k < n->nargs; k++)
            if (gain[n->args[k]->id] > r)
                r = gain[n->args[k]->id];
    }
    return r;
}

static int check_constants(Lowerer *L) {
    Graph *g = L->g;
    size_t nn = g->nnodes;
    unsigned char *varfree = malloc(nn ? nn : 1);
    double *val = malloc((nn ? nn : 1) * sizeof *val);
    double *gain = malloc((nn ? nn : 1) * sizeof *gain);
    int status = 0;
    if (!varfree || !val || !gain) {
        free(gain);
        free(varfree);
        free(val);
        Loc nowhere = {-1, -1};
        out_of_memory(L, nowhere); /* unchecked constants may be undefined */
        return -1;
    }
    for (size_t id = 0; id < nn && status == 0; id++) {
        const Node *n = g->nodes[id];
        /* elementwise constants only: tensors of constants are checked
         * through their scalar elements */
        varfree[id] = n->kind != EX_VAR && n->kind <= EX_CALL && n->shape.rank == 0;
        int args_finite = 1;
        for (int k = 0; k < n->nargs; k++) {
            varfree[id] &= varfree[n->args[k]->id];
            if (varfree[id] && !isfinite(val[n->args[k]->id]))
                args_finite = 0;
        }
        const char *why = NULL;
        gain[id] = power_gain(n, gain);
        if (varfree[id]) {
            val[id] = constant_value(n, val);
            if ((isfinite(val[id]) && !outside_domain(n, val)) || !args_finite)
                continue;
        } else if (!isfinite(gain[id]) && n->kind == EX_POW) {
            why = "the exponents of nested powers multiply to more than a double holds";
        } else if (!constants_overflow(n, &val[id])) {
            continue;
        }
        /* the first undefined constant: report it where it was written */
        Loc loc = {-1, -1};
        char reason[128];
        if (!why)
            why = domain_reason(n, val, reason, sizeof reason);
        for (size_t j = id; j < nn && j < L->loc_cap; j++)
            if (L->loc_of[j].start >= 0) {
                loc = L->loc_of[j];
                break;
            }
        diag_error(L->diag, loc, "domain error in a constant: %s", why);
        status = -1;
    }
    free(gain);
    free(varfree);
    free(val);
    return status;
}

/* --- the program -------------------------------------------------------------- */

int lower_program(Graph *g, const Ast *ast, Diag *diag, const LowerOptions *opt, Program *out) {
    Lowerer L;
    memset(&L, 0, sizeof L);
    L.g = g;
    L.diag = diag;
    L.opt = opt;
    L.max_work = opt && opt->max_work > 0 ? opt->max_work : LOWER_MAX_WORK;
    memset(out, 0, sizeof *out);
    collect_assigned(&L, ast);
    if (ast_find_repeated(ast, &L.repeated) != 0)
        out_of_memory(&L, ast->loc);
    out->has_decls = L.has_decls;
    Shape scalar = {.rank = 0};
    if (opt && opt->vars) {
        L.vars_fixed = 1;
        for (int i = 0; i < opt->nvars; i++)
            if (graph_add_var(g, opt->vars[i], VAR_PARAM, scalar) < 0)
                out_of_memory(&L, ast->loc);
        L.fixed_declared = calloc((size_t)g->nvars + 1, 1);
        if (!L.fixed_declared)
            out_of_memory(&L, ast->loc);
        else
            L.nfixed = g->nvars;
    }
    int status = L.failed ? -1 : 0;
    int nstmts = ast->nkids - 1;
    if (status == 0)
        status = lower_statements(&L, ast->kids, nstmts);
    const Ast *final = ast->kids[ast->nkids - 1];
    if (status == 0) {
        int is_vector = final->kind == AST_VECTOR && !(final->flags & AST_PAREN);
        /* a final [a, b, ...] of scalars is a vector-valued program with
         * one output per element; any other vector or matrix value is one
         * output of that shape */
        for (int i = 0; is_vector && i < final->nkids; i++)
            if (final->kids[i]->kind == AST_VECTOR)
                is_vector = 0;
        int n = is_vector ? final->nkids : 1;
        out->outputs = calloc((size_t)(n ? n : 1), sizeof *out->outputs);
        out->noutputs = n;
        out->is_vector = is_vector;
        if (!out->outputs) {
            out_of_memory(&L, final->loc);
            status = -1;
        }
        for (int i = 0; i < n && status == 0; i++) {
            const Ast *e = is_vector ? final->kids[i] : final;
            if (!(out->outputs[i] = lower_expr(&L, e)))
                status = -1;
        }
        int tensor_items = 0;
        for (int i = 0; i < n && status == 0 && is_vector; i++)
            tensor_items |= out->outputs[i]->shape.rank > 0;
        if (tensor_items) { /* [u, v] of vectors: one matrix */
            out->outputs[0] = lower_expr(&L, final);
            out->noutputs = 1;
            out->is_vector = 0;
            if (!out->outputs[0])
                status = -1;
        }
        if (is_vector && n == 0) {
            diag_error(diag, final->loc, "the final vector is empty");
            status = -1;
        }
    }
    if (status == 0 && !L.failed)
        status = check_constants(&L);
    if (L.failed || diag->errors)
        status = -1;
    if (status != 0)
        program_free(out);
    free(L.env);
    free(L.names);
    free(L.loc_of);
    free(L.fixed_declared);
    ast_set_free(&L.repeated);
    return status;
}

void program_free(Program *p) {
    free(p->outputs);
    p->outputs = NULL;
    p->noutputs = 0;
}
