/* SPDX-License-Identifier: MIT */
/*
 * codegen_core.h — the emitter core (codegen.c) that every kernel of
 * codegen.c and codegen_tensor.c is written through.
 *
 * One Emitter writes any node as a C expression: a scalar, or one element
 * of a vector or matrix.  How a node it does not compute is referred to is
 * the only thing that differs between kernels, and the Emitter knows every
 * case itself:
 *   - a variable: x[k] or input[k], k its offset (plus the element's
 *     position for a vector or matrix variable);
 *   - a scalar the kernel names: the local t<k>;
 *   - a vector or matrix the kernel materialises: work[off + i*cols + j]
 *     or its place in the output array;
 *   - a scalar inside an element expression: broadcast (its name);
 *   - views (transposes, rows, elements, outer products, fills, scatters,
 *     a vector repeated along rows or columns):
 *     index arithmetic on their argument.
 * The element being written is the binding (row, col): loop counters or,
 * in unrolled code, constants, so that constant subscripts are folded as
 * they are written.  Every careful form of codegen.c (log1p, expm1,
 * -softplus for the logarithm of a sigmoid, powers by squaring, square
 * roots shared, exponentials shared, fused sums and products) applies to
 * scalars and to elements alike.
 *
 * The plan (codegen_plan) decides which nodes are named: shared nodes,
 * roots, bases of repeated multiplications, deep chains, and for vectors
 * and matrices what needs a loop of its own (matrix products, packs,
 * softmax, sums, logsumexp, the sums of rows and of columns) or is read
 * several times per element (the operands of products, softmax and
 * logsumexp, and what rows(b) and cols(v) repeat).  A product that equals
 * a product the kernel computes anyway times one more factor is written
 * as that product (named) times the factor.  Everything else is written
 * inline, inside its one user.  A run-time dimension's size is the
 * kernel's argument dim_<name>; a one-hot matrix of labels is
 * sd_onehot(label, class, classes) at each element.
 */
#ifndef SYMDIFF_CODEGEN_CORE_H
#define SYMDIFF_CODEGEN_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "codegen.h"
#include "codegen_common.h"

/* Precedence of emitted C expressions, loosest first. */
enum { C_SUM = 1, C_PROD, C_UNARY, C_ATOM };

/* One subscript of the element being written: the loop counter `var`, or
 * (var NULL) the constant `at`. */
typedef struct CodegenIndex {
    const char *var;
    size_t at;
} CodegenIndex;

/* Where a named vector or matrix lives. */
typedef enum CodegenHome {
    HOME_WORK, /* work[offset ...]: the workspace                            */
    HOME_OUT   /* out_name[offset ...]: straight into the kernel's output    */
} CodegenHome;

/* One e<k> = exp(-|w|) shared by every sigmoid, softplus and logarithm
 * of a sigmoid of w or -w in a kernel, and l<k> = log1p(e<k>) when two
 * of them are softplus-like (codegen.c, plan_exps). */
typedef struct ExpGroup {
    const Node *w;
    unsigned char log1p;   /* l<k> is computed too                          */
    unsigned char defined; /* e<k> (and l<k>) are written                   */
    /* one-sided: every member's sigmoid or softplus takes the argument
     * side * a (side +1 or -1), and e<k> = exp(min(side a, 64)) with
     * r<k> = 1/(1 + e<k>); side 0: e<k> = exp(-|w|) */
    const Node *a;
    signed char side;
    /* the members are vectors or matrices: nothing is shared, each
     * element's helper computes its own e (and r where one-sided) with
     * the operations the scalar form shares */
    unsigned char elementwise;
} ExpGroup;

/* Products that lack one factor of a longer product `base` (the partial
 * derivatives of a product), written from prefix products P_k =
 * f[0]...f[k-1] and suffix products S_k = f[k]...f[n-1] of its factors
 * f[0..n): about 3n multiplications for all of them instead of n^2
 * (codegen.c, plan_products).  Chain values are the locals u<j>. */
typedef struct ProductGroup {
    const Node *base;
    Node *const *f; /* the base's factors other than its constant          */
    int n;
    const Node *coef; /* the base's constant, folded into P_1 = coef f[0]
                         (every product written from a prefix has it), or
                         NULL                                              */
    int *prefix;    /* by k: 1 + j of u<j> = P_k, 0 while not written       */
    int *suffix;    /* by k: 1 + j of u<j> = S_k                            */
} ProductGroup;

/* What the plan decided for one node (Emitter.form); zero: nothing. */
typedef struct NodeForm {
    int exp_group;          /* 1 + the ExpGroup the node is written from      */
    int group_of;           /* 1 + the ProductGroup a product is written from */
    int group_missing;      /* the index of the base's factor it lacks (n:
                               the base itself)                              */
    uint32_t via;           /* 1 + id of M when the product is written M * f
                               (codegen.c, plan_cofactors)                   */
    int via_factor;         /* the index of f among its arguments             */
} NodeForm;

typedef struct Emitter {
    Graph *g;
    const CodegenOptions *opt;
    StrBuf *out;
    const CodegenType *ty;
    const char *T;          /* ty->name: "double" or "float"                 */
    const char *fs;         /* ty->suffix, of libm and helpers: "" or "f"     */
    size_t nn;              /* the arrays below have nn entries (the nodes
                               that existed when the emitter was made)        */
    int *temp;              /* by id: nonzero when the kernel names the node:
                               1 + temporary number for a scalar             */
    unsigned char *mark;    /* by id: needed by the current kernel           */
    int *uses;              /* by id: readers within the current kernel      */
    /* variables */
    size_t *var_offset;     /* by variable: offset in x[] or input[]          */
    signed char *var_array; /* by variable: 0 x[], 1 input[], -1 neither      */
    unsigned char reads_x;     /* the planned kernel reads x[] (mark_written) */
    unsigned char reads_input; /* ... and input[]                            */
    /* vectors and matrices */
    int tensor;             /* the kernel may hold vectors and matrices       */
    unsigned char *home;    /* by id, named vectors and matrices: CodegenHome */
    size_t *offset;         /* by id: offset in work[] or the output          */
    const char *out_name;   /* the output array of HOME_OUT                   */
    CodegenIndex row, col;  /* the element being written                      */
    /* what was written */
    uint32_t *reads;        /* ids referred to by name, when recording       */
    size_t nreads, reads_cap;
    int record_reads;
    CodegenCounts counts;
    long stmt_start;        /* operations counted before this statement      */
    long max_stmt;          /* the most operations of one statement          */
    int ntemps;
    CodegenHelperSet helpers; /* the sd_ helpers used (CODEGEN_HELPER_BIT)  */
    uint32_t defining;      /* id of the node being defined (those below it
                               are defined), or UINT32_MAX                   */
    /* the planned forms of the few nodes that have one (shared
     * exponentials, products from prefix and suffix products or from
     * another product less one factor): by id, 1 + the node's NodeForm,
     * 0 for none (4 bytes a node where five arrays by id took 20) */
    uint32_t *form;
    NodeForm *forms;
    size_t nforms, forms_cap;
    /* exponentials shared by magnitude */
    ExpGroup *exps;
    int nexps, exps_cap;
    /* by id of a sigmoid, softplus or logarithm of a sigmoid: 1 when its
     * magnitude is one-sided over every kernel of the program
     * (codegen_plan_sides), so that each kernel computes it by the same
     * operations; NULL: decided per kernel */
    unsigned char *onesided;
    /* products from prefix and suffix products */
    ProductGroup *groups;
    int ngroups, groups_cap;
    int nchain;             /* the chain values u<j> written so far           */
    unsigned char *stated;  /* by id: the scalar's statement is written (M
                               may be written ahead of its turn)             */
    int *count;             /* by id: scratch counts, zero between uses       */
} Emitter;

/* Sets E up for graph g with x[] = params and input[] = inputs, each
 * variable a flat block of its elements in order; tensor: the kernels may
 * hold vectors and matrices.  Returns 0, or -1 when out of memory (E is
 * then freed).  Every node to be written must exist by then. */
int codegen_emitter_init(Emitter *E, Graph *g, const int *params, int nparams, const int *inputs, int ninputs,
                         const CodegenOptions *opt, int tensor);
void codegen_emitter_free(Emitter *E);

/* Plans one kernel computing roots[0..nroots): which nodes it needs (mark)
 * and which are named (temp); numbers the scalar temporaries in id order.
 * E->out must be set (a failure marks it failed). */
void codegen_plan(Emitter *E, Node *const *roots, int nroots);

/* Decides, once for the program whose kernels together compute
 * roots[0..nroots), which magnitudes are one-sided (E->onesided): every
 * kernel then writes each sigmoid, softplus and logarithm of a sigmoid by
 * the same operations, shared or alone, scalar or element, and the
 * kernels' values agree bit for bit.  E->out must be set. */
void codegen_plan_sides(Emitter *E, Node *const *roots, int nroots);

/* n where it is used, at the binding (row, col): its name, or inline. */
void codegen_ref(Emitter *E, const Node *n, int ctx);
/* The right-hand side of n's own definition at the binding: its operation
 * on its arguments. */
void codegen_define(Emitter *E, const Node *n);
/* The statements that define the named scalar n, `const T t<k> = ...;`
 * (after the shared values it is the first to need). */
void codegen_scalar_statement(Emitter *E, const Node *n, const char *indent);
/* The name of a named scalar: t<k>. */
void codegen_temp_name(Emitter *E, const Node *n);
/* The locals of the planned kernel: its temporaries, shared exponentials
 * and chain values. */
int codegen_locals(const Emitter *E);
/* Ends a statement (for the most operations of one, which bounds the
 * stack). */
void codegen_end_statement(Emitter *E);
/* Writes `base[off + r*cols + c]` with constant parts folded. */
void codegen_subscript(StrBuf *out, const char *base, size_t off, CodegenIndex r, CodegenIndex c, size_t cols,
                       int rank);

#endif
