/* SPDX-License-Identifier: MIT */
/*
 * api_internal.h — what the files of the façade (api*.c) share: the
 * objects behind symdiff.h's opaque types.  Not installed, not for
 * clients.
 */
#ifndef SYMDIFF_API_INTERNAL_H
#define SYMDIFF_API_INTERNAL_H

#include "ast.h"
#include "dag.h"
#include "deriv.h"
#include "diag.h"
#include "eval.h"
#include "lower.h"
#include "strbuf.h"
#include "symdiff.h"

/* The default node limit (--max-nodes); docs/limits.md. */
#define SD_DEFAULT_MAX_NODES 50000000L

struct SdProgram {
    char *name;           /* the file name diagnostics use                     */
    char *text;           /* the source, NUL-terminated (may hold NUL bytes)   */
    Source src;
    Diag diag;
    int diag_ready;
    SdDiagnostic *diags;  /* diag's records as public structs, made on demand  */
    AstArena arena;
    Ast *ast;             /* kept only with parse_only                          */
    Graph *g;
    Program prog;         /* outputs: m scalars of [f1, ...], or one node      */
    int ok;               /* compiled without errors                            */
    int has_tensors;      /* a variable or a node is a vector or a matrix      */
    Shape out_shape;      /* the shape of the program's value                  */
    long *offset;         /* by variable: its first element in a flat point    */
    long dims_at;         /* where a point holds the run-time dimensions' sizes */
    long point_size;
    long max_nodes;
    char error[600];      /* the last failure, one line                        */
};

/* Block (i, j) of a result is the derivative of row i with respect to the
 * j-th variable differentiated by, shaped like that variable: rows are the
 * one function (gradient), the function's elements (Jacobian) or the
 * gradient's flattened elements (Hessian). */
struct SdResult {
    SdProgram *p;
    SdWhat what;
    int order;
    int *wrt;             /* variable indices                                   */
    int nwrt;
    long *col;            /* by j: the first column of variable wrt[j]; [nwrt] the total */
    Node **f;             /* the function: nf nodes (see SdProgram.prog)       */
    int nf;
    Node **blocks;        /* rows x nwrt                                        */
    long rows;
    Node **grad;          /* SD_HESSIAN: the gradient's nwrt blocks             */
    int as_matrix;        /* printed as a matrix J = [[...]] or H = [[...]]     */
    DerivMode used;
    char worst[300];      /* sd_check's worst variable (its element)            */
    double kink;          /* the request's settings, for what is built later    */
    int literal;          /*   (api_deriv_options)                              */
    int expand;
    SdProgram *twin_p;    /* the program written out element by element, and   */
    SdResult *twin_r;     /* the same request on it (api_twin), made on demand */
};

/* The settings of r's request as the engine takes them, for every stage
 * that builds derivative nodes for it later (the AD emitters, the trace,
 * the swell measures): its kink, and unless it is literal the domain of
 * the program's outputs assumed. */
DerivOptions api_deriv_options(const SdResult *r);

SdStatus api_fail(SdProgram *p, SdStatus st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* The status of a failed graph (out of memory, or the node limit). */
SdStatus api_graph_status(SdProgram *p);
SdStatus api_nomem(SdProgram *p);
/* In test builds (SD_VERIFY), checks the graph's invariants after a stage
 * and stops the program with a message when one is broken: a bug. */
void api_verify(const SdProgram *p, const char *stage);
/* The result's program written out element by element (scalarize.c), with
 * the same request: what the stages made for scalars work on.  The twin
 * belongs to r.  `what` names the feature in the message when the program
 * is too large to write out. */
SdStatus api_twin(SdResult *r, const char *what, SdResult **twin);
char *api_strdup(const char *s);

/* The sizes of the run-time dimensions a point holds, into dims (room for
 * GRAPH_MAX_DIMS): SD_OK, or SD_ERR_REQUEST when one is not an integer
 * from 1 to its maximum. */
SdStatus api_point_dims(SdProgram *p, const double *point, int *dims);
/* Values of nodes at a flat point (sd_point_size doubles) with those
 * sizes: see eval_tensors_at.  Returns 0 or -1 (out of memory). */
int api_eval(const SdProgram *p, Node *const *roots, int nroots, const double *point, const int *dims,
             TensorValues *out);

#endif
