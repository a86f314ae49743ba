/* SPDX-License-Identifier: MIT */
/*
 * dag.h — the expression DAG: interned, immutable, shared nodes.
 *
 * One Graph owns every node in an arena and an intern table: building a node
 * that is structurally equal to an existing one returns the existing node,
 * so equality is pointer equality and common subexpressions are shared for
 * free.  Nodes are numbered in creation order; since a node's arguments exist
 * before it, that numbering is a topological order, and passes over the DAG
 * (evaluation, differentiation, printing) are loops over ids, never deep
 * recursion.
 *
 * Nodes are built only through the smart constructors (simplify.c), which
 * return canonical, simplified nodes; dag_intern is their raw back end.
 */
#ifndef SYMDIFF_DAG_H
#define SYMDIFF_DAG_H

#include <stddef.h>
#include <stdint.h>

#include "num.h"

typedef enum NodeKind {
#define EX(id, name, arity, comm) EX_##id,
#include "ops.def"
#undef EX
    EX_COUNT
} NodeKind;

typedef enum Builtin {
#define BI(id, name, alias, lo, hi, dflt, kind, dom0, dom1, noun, c, cf, latex, rule) BI_##id,
#include "builtins.def"
#undef BI
    BI_COUNT
} Builtin;

typedef enum BuiltinKind { BK_SMOOTH, BK_KINK } BuiltinKind;

/* The sets of real numbers an argument of a function may take (the dom0
 * and dom1 columns of builtins.def). */
typedef enum ArgDomain {
    DOM_ALL,             /* every real                                     */
    DOM_POSITIVE,        /* u > 0                                          */
    DOM_NONZERO,         /* u != 0                                         */
    DOM_UNIT,            /* -1 <= u <= 1                                   */
    DOM_OPEN_UNIT,       /* -1 < u < 1                                     */
    DOM_OUTSIDE_UNIT,    /* |u| >= 1                                       */
    DOM_BEYOND_UNIT,     /* |u| > 1                                        */
    DOM_AT_LEAST_ONE,    /* u >= 1                                         */
    DOM_UNIT_POSITIVE,   /* 0 < u <= 1                                     */
    DOM_ABOVE_MINUS_ONE, /* u > -1                                         */
    DOM_BASE,            /* u > 0 and u != 1: the base of a logarithm      */
    DOM_THRESHOLD,       /* u > 0: a threshold (huber's)                   */
    DOM_COUNT
} ArgDomain;

/* One row of builtins.def (its legend says what each column means). */
typedef struct BuiltinInfo {
    const char *name, *alias;
    int min_args, max_args;
    const char *dflt;
    BuiltinKind kind;
    ArgDomain domain[2];
    const char *noun;
    const char *c_double, *c_float;
    const char *latex;
    const char *rule;
} BuiltinInfo;

extern const BuiltinInfo builtin_info[BI_COUNT];
extern const char *const node_kind_name[EX_COUNT];
/* The builtin called `name` (or its alias), or -1; the first row of that
 * name when several rows share it. */
int builtin_lookup(const char *name);
/* The row a call of `name` with nargs arguments means (log(x) and
 * log(x, b) are two rows); builtin_lookup's row when none takes nargs. */
int builtin_lookup_call(const char *name, int nargs);
/* The fewest and most arguments the rows called `name` take. */
void builtin_arity(const char *name, int *lo, int *hi);
/* Is x in the domain d? (NaN is in none.) */
int domain_contains(ArgDomain d, double x);
/* A point of d for 0 <= t <= 1, spread over the numbers people try
 * (-5 .. 5 for DOM_ALL), away from the domain's edges (for tests). */
double domain_point(ArgDomain d, double t);
/* The facts (FACT_*) an argument in domain d has. */
unsigned domain_facts(ArgDomain d);
/* Why argument k of fn cannot be x, for a domain error: "logarithm of a
 * number that is not positive"; written into buf. */
const char *builtin_domain_reason(Builtin fn, int k, char *buf, size_t size);
/* The value of fn's optional argument when it is left out; 0 when fn has
 * none. */
int builtin_default(Builtin fn, Num *out);

/* Shapes: rank 0 scalar, 1 vector [n], 2 matrix [m, n].  A dimension is a
 * number the program fixes, or a run-time dimension (`dim n <= 256;`):
 * dyn[k] = d + 1 names the graph's run-time dimension d (Graph.dims), and
 * dim[k] is then its maximum.  Values are stored at the maximum shape,
 * row-major with the maximum's strides; along a run-time dimension only
 * the first n entries (n its size when the program runs) take part.  Two
 * shapes are equal when their dimensions are the same numbers or the same
 * run-time dimensions.  Initialise with designated initializers
 * (shape_vec, shape_mat). */
typedef struct Shape {
    signed char rank;
    unsigned char dyn[2];
    int dim[2];
} Shape;

/* One dimension of a shape: its size (the maximum of a run-time one) and
 * its run-time dimension + 1, or 0. */
typedef struct Axis {
    int size;
    int dyn;
} Axis;

static inline Axis shape_axis(Shape s, int k) {
    Axis a = {s.dim[k], s.dyn[k]};
    return a;
}
static inline Axis axis_fixed(int size) {
    Axis a = {size, 0};
    return a;
}
static inline int axis_equal(Axis a, Axis b) { return a.size == b.size && a.dyn == b.dyn; }
static inline Shape shape_vec(Axis n) {
    Shape s = {.rank = 1, .dyn = {(unsigned char)n.dyn, 0}, .dim = {n.size, 0}};
    return s;
}
static inline Shape shape_mat(Axis m, Axis n) {
    Shape s = {.rank = 2, .dyn = {(unsigned char)m.dyn, (unsigned char)n.dyn}, .dim = {m.size, n.size}};
    return s;
}
/* Does the shape have a run-time dimension? */
static inline int shape_is_dynamic(Shape s) {
    return (s.rank > 0 && s.dyn[0]) || (s.rank > 1 && s.dyn[1]);
}

/* The most elements a vector or matrix may have (800 MB of doubles):
 * lowering refuses a larger shape where it is made (docs/limits.md), so
 * that element counts and flat positions of every node fit in an int. */
#define SHAPE_MAX_ELEMENTS 100000000

/* The number of elements, in 64 bits: dimensions up to INT_MAX cannot
 * overflow it, so a shape can be checked against the limit before use. */
static inline int64_t shape_numel(Shape s) {
    return s.rank == 0 ? 1 : s.rank == 1 ? s.dim[0] : (int64_t)s.dim[0] * s.dim[1];
}
static inline int shape_equal(Shape a, Shape b) {
    return a.rank == b.rank && (a.rank < 1 || (a.dim[0] == b.dim[0] && a.dyn[0] == b.dyn[0])) &&
           (a.rank < 2 || (a.dim[1] == b.dim[1] && a.dyn[1] == b.dyn[1]));
}

/* The node kinds that exist only for vectors and matrices (for switches in
 * the scalar-only stages).  DIM, a scalar, is among them: run-time
 * dimensions exist only in programs with vectors and matrices. */
#define CASE_TENSOR_KINDS                                                                          \
    case EX_MATMUL:                                                                                \
    case EX_OUTER:                                                                                 \
    case EX_TRANSPOSE:                                                                             \
    case EX_INDEX:                                                                                 \
    case EX_SCATTER:                                                                               \
    case EX_PACK:                                                                                  \
    case EX_SUM:                                                                                   \
    case EX_FILL:                                                                                  \
    case EX_SOFTMAX:                                                                               \
    case EX_LOGSUMEXP:                                                                             \
    case EX_ROWS:                                                                                  \
    case EX_COLS:                                                                                  \
    case EX_ROWSUM:                                                                                \
    case EX_COLSUM:                                                                                \
    case EX_ONEHOT:                                                                                \
    case EX_DIM

typedef struct Node Node;
struct Node {
    uint32_t id;     /* creation order: arguments have smaller ids      */
    uint32_t pins;   /* dag_pin's count: shared when > 0 (kept in the
                        node, whose header a constructor reads anyway) */
    int32_t nargs;   /* any count: a sum of 10^6 terms is one node       */
    uint16_t kind;   /* NodeKind                                         */
    uint16_t range;  /* what is known of its value: sign, bounds, whether
                        it is defined everywhere (range.h), derived when
                        the node is made                                 */
    Shape shape;
    union {
        int var;     /* EX_VAR                                           */
        int fn;      /* EX_CALL: Builtin                                 */
        int index;   /* EX_INDEX, EX_SCATTER: flat position or row       */
        int dim;     /* EX_DIM: index in the graph's run-time dimensions */
    } u;
    const Num *num;  /* EX_CONST: its value, stored after the arguments
                        (other nodes do not carry a Num); other kinds: a
                        zero that is not a rational, so that a test such
                        as num_is_int(n->num[0]) is simply false      */
    Node *args[];    /* nargs arguments                                  */
};

typedef enum VarRole {
    VAR_PARAM, /* differentiated                                          */
    VAR_INPUT  /* data: never differentiated                              */
} VarRole;

typedef struct Var {
    char *name;
    VarRole role;
    Shape shape;
    Node *node;
} Var;

/* A run-time dimension (`dim n <= 256;`): a size known when the program
 * runs, at least 1 and at most max.  Shapes name it (Shape.dyn), so the
 * graph that holds the shapes holds the dimensions. */
typedef struct RunDim {
    char *name;
    int max;
} RunDim;

/* The most run-time dimensions a program may declare (Shape.dyn is a
 * byte). */
#define GRAPH_MAX_DIMS 64

/* Facts the simplifier may assume about a node's value: they hold
 * wherever the node is defined.  Some are the node's own (its range), and
 * a derivative request assumes more for its duration (what must hold
 * wherever the function it differentiates is defined: see DerivScope in
 * deriv.h). */
enum { FACT_NONZERO = 1, FACT_POSITIVE = 2, FACT_NONNEG = 4 };

typedef struct Arena Arena;

/* A slot of the intern table: a node's hash beside its id + 1 (0: empty),
 * so that a probe reads one cache line and touches a node's memory only
 * when the hashes match. */
typedef struct InternSlot {
    uint32_t hash;
    uint32_t id1;
} InternSlot;

/* The intern table doubles when it would be more than 3/4 full.  With the
 * hash in the slot a probe compares 8-byte slots and touches a node only
 * when the 32-bit hashes match; linear probing at load a looks at about
 * (1 + 1/(1-a)^2)/2 slots to find a node absent, 8.5 at 3/4 (68 bytes:
 * one or two cache lines), so the higher load costs no more misses than
 * the one the first slot takes, and the table is half the size it has
 * at a load of 1/2 (134 MB less at 9 * 10^6 nodes). */
#define DAG_TABLE_MAX_LOAD_NUM 3
#define DAG_TABLE_MAX_LOAD_DEN 4

/* The young table.  The nodes made since young_from have their own
 * table of DAG_YOUNG_SLOTS slots (512 KB, in the processor's cache) until
 * it is 3/4 full; then they settle into the intern table, together.  A
 * node is newer than its arguments, so content with an argument of the
 * young generation is looked up in the young table alone: the
 * constructors, which mostly combine what they have just made, then find
 * it or learn that it is new without the miss the large table's random
 * slot costs.  Settling writes a generation's slots into the large table
 * independently of one another, and the processor overlaps those misses,
 * which it cannot do for lookups that each wait for the one before.  A
 * graph gets a young table once it has DAG_YOUNG_SLOTS nodes (below that
 * the intern table is as small). */
#define DAG_YOUNG_SLOTS 65536

/* The constants last interned, by the low bits of their value's hash
 * (num_hash): a constructor asks for the same few constants (-1, 1, 2, a
 * coefficient) over and over, about 20 times per step of the logistic
 * map's gradient, and each asked the intern table again (the content
 * hash, a probe of the young table and one of the large table).  A node
 * is never removed from its graph, so an entry stays right; one whose
 * value differs is simply replaced. */
#define DAG_CONST_CACHE 256

/* Nodes without arguments (constants, run-time dimensions, pi) have
 * their own intern table, the leaves': a program's names and constants
 * are few beside its operations, so that table stays in the processor's
 * cache where the large one (every node) costs a miss per lookup, and
 * nothing makes a leaf newer than the young generation, so it would
 * probe the young table and the large one both.  A variable's node is in
 * no table: graph_add_var makes it (the name is new, so is its node) and
 * a lookup answers it from the variable (Var.node). */
#define DAG_LEAF_SLOTS_MIN 64

typedef struct Graph {
    Arena *arena;
    InternSlot *table;     /* open addressing intern table               */
    InternSlot *young;     /* the nodes from young_from on, in
                              DAG_YOUNG_SLOTS slots; NULL: every node is
                              in table                                   */
    size_t young_used;
    uint32_t young_from;
    size_t table_cap, table_used;
    Node *consts[DAG_CONST_CACHE]; /* see DAG_CONST_CACHE; NULL: empty   */
    InternSlot *leaves;    /* nodes without arguments, but variables'
                              (see DAG_LEAF_SLOTS_MIN)                   */
    size_t leaves_cap, leaves_used;
    Node **nodes;          /* every node, indexed by id                  */
    size_t nnodes, nodes_cap;
    Var *vars;
    int nvars, vars_cap;
    InternSlot *var_index; /* names -> {hash, var + 1} (0: empty), open addressing */
    size_t var_index_cap;  /* a power of two, at least twice nvars         */
    /* FACT_* by node id that the derivative request being built assumes
     * (deriv.h's DerivScope sets them for the request's duration and
     * restores them); NULL outside a request */
    const unsigned char *assumed;
    size_t nassumed;
    RunDim dims[GRAPH_MAX_DIMS]; /* run-time dimensions, in declaration order */
    int ndims;
    size_t max_nodes;      /* 0: unlimited                               */
    uint64_t work;         /* units of work spent (see dag_spend)        */
    uint64_t max_work;     /* 0: unlimited; graph_new: GRAPH_MAX_WORK    */
    int failed;            /* GraphFailure: once set, results are NULL   */
    /* Tests of the constructors' quick refusals (a test before building
     * what would be thrown away): when check_refusals is set, what a
     * refusal skips is built all the same, and refusals_wrong counts the
     * ones whose result would have been kept (always 0), refusals the
     * others. */
    int check_refusals;
    unsigned long refusals, refusals_wrong;
    int scalars_only;      /* the graph holds no vectors or matrices (a
                              scalarised twin): rewrites keep to scalars   */
} Graph;

/* Why a graph stopped building (Graph.failed). */
typedef enum GraphFailure {
    GRAPH_OK,
    GRAPH_OUT_OF_MEMORY, /* an allocation failed                              */
    GRAPH_TOO_LARGE,     /* more than max_nodes nodes                         */
    GRAPH_TOO_MUCH_WORK  /* more than max_work units of work                  */
} GraphFailure;

/* The default bound on the work of building one graph: a unit per node
 * interned or looked up, per operand a sum or product constructor
 * examines, per node a differentiation pass visits and per entry of a
 * Jacobian or Hessian; 50 to 100 ns each, so that no request (an --order
 * 64 derivative, a Hessian, a Jacobian of many outputs) runs for more
 * than about half a minute.  docs/limits.md explains the choice. */
#define GRAPH_MAX_WORK 500000000ull

Graph *graph_new(void);
void graph_free(Graph *g);
/* Bytes the graph's arena holds in nodes, and bytes it has taken from the
 * system for them: a small graph takes little (its blocks start small and
 * double), a large one at most a block more than twice what it uses. */
void graph_arena_usage(const Graph *g, size_t *used, size_t *reserved);
/* The message for a failed graph ("out of memory", "expression too large:
 * more than N nodes (see --max-nodes)", ...), or NULL when it has not
 * failed; written into buf. */
const char *graph_failure_message(const Graph *g, char *buf, size_t size);
/* Spends n units of work; once past max_work the graph fails with
 * GRAPH_TOO_MUCH_WORK.  Returns 0 when the graph has failed. */
int dag_spend(Graph *g, uint64_t n);

/* Variables.  graph_find_var returns the index of `name` or -1, in
 * constant time (a hash index: programs may have 10^5 names);
 * graph_add_var returns it, adding the variable when it is new (-1 when
 * out of memory). */
int graph_find_var(const Graph *g, const char *name);
/* The hash of a name (FNV-1a), for tables of names. */
size_t graph_name_hash(const char *name);
int graph_add_var(Graph *g, const char *name, VarRole role, Shape shape);
/* graph_add_var with one lookup of the name for a caller that must know
 * whether it was there: *added receives 1 when the variable is new (then
 * with this role and shape), 0 when the name was declared already (its
 * variable unchanged). */
int graph_put_var(Graph *g, const char *name, VarRole role, Shape shape, int *added);
Node *graph_var_node(Graph *g, int var);
/* Run-time dimensions: graph_add_dim returns the new dimension's index
 * (-1 when out of memory or past GRAPH_MAX_DIMS); graph_find_dim the
 * index of `name`, or -1.  dag_dim is its size as a scalar node. */
int graph_add_dim(Graph *g, const char *name, int max);
int graph_find_dim(const Graph *g, const char *name);
Node *dag_dim(Graph *g, int dim);
/* Axis k of shape s as a scalar node: a constant, or the DIM node of a
 * run-time dimension. */
Node *dag_axis(Graph *g, Shape s, int k);
/* The number of elements of s as a node: a constant, or a product with
 * the run-time dimensions' sizes. */
Node *dag_numel(Graph *g, Shape s);

/* Raw interning, without simplification: returns the unique node with
 * this kind, payload and arguments.  NULL when the graph has failed. */
Node *dag_intern(Graph *g, NodeKind kind, const void *payload, Node *const *args,
                 int nargs, Shape shape);
/* The node dag_intern would return, if it exists already; never adds. */
Node *dag_lookup(const Graph *g, NodeKind kind, const void *payload, Node *const *args,
                 int nargs, Shape shape);

/* Marks a node as shared: the constructors then treat it as an atom and
 * never copy its operands into a new sum or product (which would repeat
 * its work wherever it is used).  Lowering pins every value bound to a
 * name; the derivative engines pin the values they reuse.  Pinning is
 * decided when a value is made, never later, so results do not depend on
 * the order in which nodes happen to be used. */
void dag_pin(Graph *g, Node *n);
static inline int dag_is_shared(const Graph *g, const Node *n) {
    (void)g;
    return n->pins > 0;
}

/* --- smart constructors (simplify.c): every result is canonical ---------- */
Node *dag_num(Graph *g, Num v);
Node *dag_int(Graph *g, int64_t v);
Node *dag_add(Graph *g, Node *a, Node *b);
Node *dag_sub(Graph *g, Node *a, Node *b);
Node *dag_mul(Graph *g, Node *a, Node *b);
Node *dag_div(Graph *g, Node *a, Node *b);
Node *dag_neg(Graph *g, Node *a);
Node *dag_pow(Graph *g, Node *base, Node *exponent);
Node *dag_add_n(Graph *g, Node *const *terms, int n);
Node *dag_mul_n(Graph *g, Node *const *factors, int n);
Node *dag_call(Graph *g, Builtin fn, Node *const *args, int nargs);
Node *dag_call1(Graph *g, Builtin fn, Node *a);

/* Products not built (simplify.c): dag_mul_lazy returns dag_mul_n's
 * result, except that a new product of at most 8 scalar operands is given
 * as its operand list in a node outside the graph (dag_is_lazy: no id, not
 * interned), which the caller frees with dag_lazy_free once it has been
 * used.  Such a node may be an operand of dag_mul_n, dag_mul, dag_add_n
 * and dag_mul_lazy only; they read it as the product it stands for and
 * build it only where it is kept whole (dag_lazy_build: the product,
 * built).  Reverse mode's contributions adj(n) dn/da are mostly taken
 * apart by the sum that collects them: built lazily, they cost no node. */
#define DAG_LAZY_ID UINT32_MAX
static inline int dag_is_lazy(const Node *n) { return n->id == DAG_LAZY_ID; }
Node *dag_mul_lazy(Graph *g, Node *const *factors, int n);
Node *dag_lazy_build(Graph *g, Node *n);
void dag_lazy_free(Node *n);

/* --- tensor constructors (tensor.c): shapes are checked by lowering; a
 * mismatch here is a programming error and gives NULL ---------------------- */
extern const Shape shape_scalar;
Node *dag_zeros(Graph *g, Shape s);
/* 0, or a tensor of zeros */
int dag_is_zero(const Node *n);
Node *dag_fill(Graph *g, Node *scalar, Shape s);
Node *dag_matmul(Graph *g, Node *a, Node *b);
Node *dag_outer(Graph *g, Node *a, Node *b);
Node *dag_transpose(Graph *g, Node *a);
/* Element i of a vector, row i of a matrix, or element (i, j) given as the
 * flat position i*n + j with `element` set. */
Node *dag_index(Graph *g, Node *a, int index, int element);
/* A tensor of shape s, zero except `value` at `index` (as dag_index). */
Node *dag_scatter(Graph *g, Node *value, int index, int element, Shape s);
Node *dag_pack(Graph *g, Node *const *items, int n);
Node *dag_sum(Graph *g, Node *a);
/* softmax and logsumexp of a vector, or of each row of a matrix
 * (logsumexp of [m,k] is [m]). */
Node *dag_softmax(Graph *g, Node *a);
Node *dag_logsumexp(Graph *g, Node *a);
/* ROWS: the vector a [k] as every row of an [m,k] matrix; COLS: a [m] as
 * every column of [m,k]. */
Node *dag_rows(Graph *g, Node *a, Axis m);
Node *dag_cols(Graph *g, Node *a, Axis k);
/* The sums of each row ([m,k] -> [m]) and of each column (-> [k]). */
Node *dag_rowsum(Graph *g, Node *a);
Node *dag_colsum(Graph *g, Node *a);
/* For each label of a (a vector [m], or a scalar) a row of k: 1 at the
 * label, 0 elsewhere ([m,k], or [k]). */
Node *dag_onehot(Graph *g, Node *a, Axis k);
/* sum(A) over the entries of each row (vector: all of them), spread back
 * over the row: the row-wise reductions' adjoints.  For a vector, a
 * scalar (which broadcasts); for a matrix, COLS(ROWSUM(A)). */
Node *dag_row_total(Graph *g, Node *a);
/* Does any node reachable from the roots have a vector or matrix shape? */
int dag_has_tensors(const Graph *g, Node *const *roots, int nroots);

/* The graph's invariants (verify.c): 0, or -1 with the first broken one
 * described in why. */
int dag_verify(const Graph *g, char *why, size_t size);

/* The facts (FACT_*) the constructors may use about n: its range's, and
 * those the request being built assumes. */
unsigned dag_facts(const Graph *g, const Node *n);

/* Sums of monomials without pulling out common factors (for --expand). */
Node *dag_add_flat(Graph *g, Node *const *terms, int n);

static inline int dag_is_const(const Node *n) { return n->kind == EX_CONST; }
int dag_is_num(const Node *n, int64_t v);

/* Number of nodes reachable from the roots (the DAG size); SIZE_MAX when
 * out of memory. */
size_t dag_count(const Graph *g, Node *const *roots, int nroots);
/* Size of the same expression written out as a tree, as a double so
 * that exponentially large counts stay representable (NaN when out of
 * memory: compare as !(size <= limit)). */
double dag_tree_size(const Graph *g, Node *const *roots, int nroots);
/* The same when it is at most `limit`, else some count above the limit;
 * in time proportional to the smaller of the two, whatever the graph's
 * size (NaN when out of memory). */
double dag_tree_size_at_most(const Graph *g, Node *const *roots, int nroots, double limit);
/* Marks (mark[id] = 1) the nodes reachable from the roots; the caller
 * provides g->nnodes bytes. */
void dag_mark_reachable(const Graph *g, Node *const *roots, int nroots, unsigned char *mark);
/* The same in `size` bytes, size > the id of every root: a pass over the
 * cone of roots made long ago costs their ids, not the graph's size. */
void dag_mark_cone(const Graph *g, Node *const *roots, int nroots, unsigned char *mark, size_t size);

#endif
