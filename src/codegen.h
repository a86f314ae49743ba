/* SPDX-License-Identifier: MIT */
/*
 * codegen.h — C code generation: DAG roots -> a C99 source file and header.
 *
 * The generated code depends only on <math.h>: no allocation, no globals,
 * no I/O, reentrant.  Every node a kernel needs is computed once, in id
 * (topological) order; shared nodes become `const` temporaries.
 */
#ifndef SYMDIFF_CODEGEN_H
#define SYMDIFF_CODEGEN_H

#include "dag.h"
#include "strbuf.h"

typedef struct CodegenInput {
    const int *params;   /* variables differentiated, in order (x[])   */
    int nparams;
    const int *inputs;   /* data variables, in order (input[])           */
    int ninputs;
    Node *const *outputs; /* the function: 1 root, or m for a vector     */
    int noutputs;
    int is_vector;
    Node *const *grad;    /* scalar: nparams roots; vector: Jacobian m*n  */
    Node *const *hess;    /* scalar with --hessian: nparams^2 roots       */
    const int *input_classes; /* NULL, or per entry of input[]: k > 0 for a
                                 class label of k classes (the test program
                                 draws 0 .. k-1 there), 0 for data         */
} CodegenInput;

typedef struct CodegenOptions {
    const char *name;         /* entry point prefix, a C identifier        */
    int use_float;            /* float instead of double, everywhere       */
    const char *header_file;  /* name used in #include (basename of .h)    */
    const char *source_text;  /* the program, quoted in the header         */
    const char *command_line; /* the exact command, quoted in the header   */
    const char *version;
    int embedded;             /* static functions for inclusion in another
                                 file: no #include of the header            */
    int unroll;               /* tensor kernels as straight-line code      */
    int inline_header;        /* the header's text in the source where its
                                 #include would be: one self-contained file
                                 (C on standard output)                     */
    int blas;                 /* matrix products call cblas_?gemm         */
} CodegenOptions;

/* For --type float: the first constant reachable from the roots that a
 * float cannot hold (beyond about 3.4e38, or below the normal range,
 * about 1.2e-38, and not exactly a float: codegen_float_misfit_reason),
 * else NULL (also when out of memory: the check is then skipped). */
const Node *codegen_float_misfit(const Graph *g, Node *const *roots, int nroots);

/* Writes the C source and the header.  Returns 0, or -1 when out of
 * memory. */
int codegen_c(Graph *g, const CodegenInput *in, const CodegenOptions *opt, StrBuf *source,
              StrBuf *header);

/* A standalone test program (for --emit-test) that checks the kernel
 * against central finite differences at random points and exits non-zero
 * on a mismatch. */
int codegen_test_program(const Graph *g, const CodegenInput *in, const CodegenOptions *opt,
                         StrBuf *out);
/* Its parts, which the test of a minibatch program shares
 * (codegen_batch_test_program): the opening comment, the includes, the
 * macros SDT_NV, SDT_NI, SDT_NO, ... of n parameters, nin inputs and m
 * outputs, and the classes of the labels (NULL: none); `sized` adds to
 * the comment's last sentence.  Then a wrapper of one signature, `static
 * void wrapper(const T *sdt_x, const T *sdt_i[, T *out1][, T *out2])`
 * calling `assign kernel(sdt_x[, sdt_i], kernel_out)`; then the fixed part
 * (src/templates/emit_test.c). */
void codegen_test_head(StrBuf *out, const CodegenOptions *opt, long n, long nin, long m, int is_vector, int hess,
                       const int *classes, const char *sized);
void codegen_test_wrapper(StrBuf *out, const char *T, const char *wrapper, const char *out1, const char *out2,
                          int has_input, const char *assign, const char *kernel, const char *kernel_out);
void codegen_test_tail(StrBuf *out);

/* A complete training program (for --emit-main train): loads a CSV file
 * whose columns are the inputs, in order, and minimises the mean of the
 * scalar program over its rows with minibatch Adam, SGD or momentum from
 * the runtime, reporting the loss per epoch.  Needs a scalar program with
 * input variables. */
int codegen_train_program(const Graph *g, const CodegenInput *in, const CodegenOptions *opt,
                          StrBuf *out);

/* The classification a loss makes (codegen_batch.c): the scores whose
 * largest entry in a row is the predicted class, the labels and the number
 * of classes.  classes > 1: S[rows, classes] (or [classes]) with onehot of
 * integer labels in a softmax cross-entropy; classes == 1: logits s[rows]
 * of a sigmoid cross-entropy with 0/1 labels (class 1 where s >= 0).
 * scores is NULL when the loss is no classification, or when it could be
 * more than one. */
typedef struct Classifier {
    const Node *scores;
    int labels; /* the labels' variable; -1 without scores */
    int classes;
} Classifier;

/* Finds it in the graph of loss.  0, or -1 when out of memory. */
int codegen_batch_classifier(const Graph *g, const Node *loss, Classifier *c);

/* Programs with vectors and matrices (codegen_tensor.c).  Variables are
 * flat row-major blocks: parameters in x[], data in input[]. */
typedef struct TensorCodegenInput {
    const int *params;       /* differentiated variables, in x[] order     */
    int nparams;
    const int *inputs;       /* data variables, in input[] order           */
    int ninputs;
    Node *output;            /* the function: a scalar or a vector         */
    Node *const *derivs;     /* gradient per parameter (shaped like it); for
                                a vector program, d y[i] / d param j at
                                derivs[i*nparams + j]                       */
    int nderivs;
    const size_t *root_offset; /* per deriv: its offset in grad[] or J[]  */
    const char *out_name;    /* "grad" or "J"                              */
    Classifier scores;       /* a classification: NAME_scores (no scores:
                                none)                                       */
} TensorCodegenInput;

typedef enum CodegenStatus {
    CODEGEN_OK = 0,
    CODEGEN_NO_MEMORY = -1,
    CODEGEN_TOO_LARGE = -2 /* the unrolled code would exceed its limit */
} CodegenStatus;

/* --emit-main train for a minibatch program (codegen_batch.c): NULL when
 * the program fits (one run-time dimension, the first of every input; a
 * scalar loss), else why not.  (The C type is checked for every program
 * by sd_emit_c: the runtime's optimisers are double.) */
const char *codegen_batch_train_misfit(const Graph *g, const TensorCodegenInput *in);
/* Its NAME_main.c, which calls the kernels of codegen_tensor_c: a batch of
 * CSV rows copied into the inputs' first rows, one NAME_grad_ws call with
 * dim_n = the batch's size.  CODEGEN_OK, or CODEGEN_NO_MEMORY. */
CodegenStatus codegen_batch_train_program(const Graph *g, const TensorCodegenInput *in, const CodegenOptions *opt,
                                          StrBuf *out);

/* NAME_test.c for a program with run-time dimensions (codegen_batch.c):
 * the kernels of codegen_tensor_c, called at sizes it picks (1, a short
 * batch, the maximum), against a double reference copy of them, which is
 * compared with finite differences (src/templates/emit_test.c); classes:
 * per entry of input[], the classes of a label (NULL: none).
 * CODEGEN_OK, or CODEGEN_NO_MEMORY. */
CodegenStatus codegen_batch_test_program(Graph *g, const TensorCodegenInput *in, const CodegenOptions *opt,
                                         const int *classes, StrBuf *out);

/* Writes the C source and header of a tensor program: value and gradient
 * (scalar program) or value and Jacobian (vector program), loops over
 * arrays (straight-line code with opt->unroll), a workspace whose size is
 * a macro.  CODEGEN_TOO_LARGE when the unrolled code would exceed
 * CODEGEN_UNROLL_LIMIT. */
CodegenStatus codegen_tensor_c(Graph *g, const TensorCodegenInput *in, const CodegenOptions *opt,
                               StrBuf *source, StrBuf *header);

/* The most C that --unroll writes for one kernel. */
#define CODEGEN_UNROLL_LIMIT ((size_t)8 << 20)

/* --- pieces for other emitters of C (emit_ad.c) ----------------------------
 *
 * A CodegenWriter writes single DAG nodes as C expressions exactly as the
 * kernels do: literals and libm calls in the chosen precision, the sd_
 * helper functions, and the careful forms.  A node bound to a number k is
 * referred to as the local `t<k>`, which the caller declares; every other
 * node is written inline, down to bound nodes and leaves. */
typedef struct CodegenWriter CodegenWriter;

typedef struct CodegenCounts {
    long add, mul, div, call;
} CodegenCounts;

CodegenWriter *codegen_writer_new(Graph *g, const CodegenInput *in, const CodegenOptions *opt);
void codegen_writer_free(CodegenWriter *w);
/* From now on, n is the local t<k> (k >= 0), or written inline (k < 0).
 * A writer knows the nodes that existed when it was made: build every node
 * to be written first. */
void codegen_writer_bind(CodegenWriter *w, const Node *n, int k);
/* The statements' nodes, each written on its own: sigmoids and softplus
 * whose magnitude they all take with one sign are written in the
 * one-sided form the kernels share (plan_exps), so that the values equal
 * the symbolic kernels' bit for bit.  out: where an allocation failure is
 * recorded. */
void codegen_writer_plan_exps(CodegenWriter *w, const Node *const *nodes, int n, StrBuf *out);
/* The right-hand side of n's own definition: n's operation on its
 * arguments (n itself is not replaced by its name). */
void codegen_writer_define(CodegenWriter *w, const Node *n, StrBuf *out);
/* n where it is used: its name when bound, else inline.  as_factor: n
 * is parenthesised as needed to be the left operand of `*`. */
void codegen_writer_ref(CodegenWriter *w, const Node *n, int as_factor, StrBuf *out);
/* The operations written since the last call (which starts a new count). */
CodegenCounts codegen_writer_take_counts(CodegenWriter *w);
/* The ids of the nodes referred to by name (bound nodes, variables)
 * since the last call, with repeats; *ids stays valid until the next
 * write.  The call starts a new record. */
size_t codegen_writer_take_reads(CodegenWriter *w, const uint32_t **ids);
/* Definitions of the sd_ helpers the written expressions used. */
void codegen_writer_helpers(CodegenWriter *w, StrBuf *out);

/* Leaves are written inline, never as statements: constants, variables,
 * pi and e. */
int codegen_is_leaf(const Node *n);
/* The arguments n's C form reads: log(sigmoid(v)) and log(1 - sigmoid(v))
 * are written -softplus(-v) and -softplus(v), and read only v. */
int codegen_written_args(const Node *n, Node *const **args);
/* Does user's C form, with arg not bound, compute arg's operands directly
 * instead of arg's value: log(1 + w) as log1p(w), exp(u) - 1 in a sum as
 * expm1(u), and the DAG's a + (-1)b and a b^-1 as a - b and a / b?
 * Straight-line code keeps such an arg inside its user. */
int codegen_fuses(const Node *user, const Node *arg);

/* The header's opening comment, left open: the file, the command, the
 * program, the meaning of x[] and input[]. */
void codegen_header_intro(StrBuf *h, const Graph *g, const CodegenInput *in,
                          const CodegenOptions *opt);
/* The include guard, the size macros NAME_NVARS, NAME_NINPUTS, NAME_NOUT
 * and NAME_STACK_BYTES, and what opens the declarations (SD_RESTRICT,
 * extern "C"); codegen_header_end closes them and the guard. */
void codegen_header_macros(StrBuf *h, const CodegenInput *in, const CodegenOptions *opt,
                           size_t stack_bytes);
void codegen_header_end(StrBuf *h, const CodegenOptions *opt);
/* Where a source file includes its header: `#include "NAME.h"`, or with
 * opt->inline_header the finished header's text itself. */
void codegen_include_header(StrBuf *source, const StrBuf *header, const CodegenOptions *opt);
/* `ret name<suffix>(const T *SD_RESTRICT x[, const T *SD_RESTRICT
 * input][, T *SD_RESTRICT out_arg])`; static when opt->embedded and this
 * is the definition. */
void codegen_signature(StrBuf *sb, const CodegenInput *in, const CodegenOptions *opt,
                       const char *ret, const char *suffix, const char *out_arg, int definition);

#endif
