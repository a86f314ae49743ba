/* SPDX-License-Identifier: MIT */
/*
 * symdiff.h — the public interface of the symdiff engine (libsymdiff).
 *
 * symdiff turns a program (an expression, or statements ending in one)
 * into its exact, simplified derivatives, their values at a point, printed
 * forms (infix, LaTeX, JSON), C code, and teaching measures.  This header
 * is the only one a client needs; the command-line tool, the tests, the
 * fuzzers, the benchmarks and the browser build use nothing else.
 *
 * The life of a computation is a list of calls:
 *
 *     SdProgram *p;
 *     if (sd_compile(text, len, &(SdCompileOptions){0}, &p) != SD_OK)
 *         fputs(sd_diagnostics_text(p), stderr);        // located errors
 *     SdResult *r;
 *     sd_derive(p, &(SdRequest){.what = SD_GRADIENT}, &r);
 *     char *s;
 *     sd_print(r, NULL, NULL, SD_TEXT, &s);              // "2*x*(1 + ln(x^2))"
 *     ...
 *     sd_free(s); sd_result_free(r); sd_program_free(p);
 *
 * Conventions:
 *   - Every call that can fail returns an SdStatus.  After a failure,
 *     sd_error_message(p) says what went wrong in one line (for
 *     SD_ERR_INPUT the located diagnostics are in sd_diagnostics_text).
 *   - Shapes: a scalar is a rank-0 tensor.  Vectors [n] and matrices
 *     [m, n] are row-major.  Every number array crossing this interface is
 *     flat: a point holds every variable's elements one variable after
 *     another, in variable order; derivative arrays are rows x columns,
 *     the columns being the flattened elements of the variables
 *     differentiated by (the layout of the generated C's grad, J and H).
 *   - Strings returned as `char *` are the caller's, freed with sd_free.
 *     `const char *` results belong to the object they come from.
 *   - Reentrant: no global or static mutable state.  Distinct programs may
 *     be used from distinct threads at the same time; one program and its
 *     results must not be used by two threads at once.
 *   - Option structs are meant for designated initializers: a zero field
 *     means the default.
 *
 * The language is described in docs/language.md, the limits in
 * docs/limits.md, and the generated C in README.md ("Generated C").
 */
#ifndef SYMDIFF_H
#define SYMDIFF_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version, "MAJOR.MINOR.PATCH" (plus "+g<commit>" when built
 * from a git checkout). */
const char *sd_version(void);

/* --- status ---------------------------------------------------------------------------- */

typedef enum SdStatus {
    SD_OK = 0,
    SD_ERR_INPUT,   /* the program has errors; sd_diagnostics_text locates them      */
    SD_ERR_REQUEST, /* the request does not apply to this program (a usage error)   */
    SD_ERR_LIMIT,   /* a documented limit was reached (nodes, work, sizes)          */
    SD_ERR_NOMEM    /* an allocation failed; nothing was half-done                   */
} SdStatus;

/* A word for each status ("ok", "error in the input", ...). */
const char *sd_status_name(SdStatus s);

/* Frees a string (or any buffer) returned by this library; NULL is ignored. */
void sd_free(void *p);

/* --- compiling a program -------------------------------------------------------------- */

typedef struct SdProgram SdProgram;

typedef struct SdDefine {
    const char *name; /* a name bound to a constant before the program runs (-D)     */
    double value;
} SdDefine;

typedef struct SdCompileOptions {
    const char *file;         /* the name used in diagnostics; NULL: "<expr>"          */
    const char *const *vars;  /* the variables in this order (NULL: first appearance)  */
    int nvars;
    const SdDefine *defines;  /* constants bound before the program runs                 */
    int ndefines;
    long max_nodes;           /* limit on the graph's nodes; 0: the default (5e7)       */
    int parse_only;           /* stop after parsing (sd_dump(p, SD_STAGE_PARSE))         */
} SdCompileOptions;

/* Compiles `len` bytes of program text (which may hold NUL bytes: they are
 * reported as errors).  *out receives a program in every case but when
 * memory runs out before one exists (then *out is NULL): after
 * SD_ERR_INPUT it holds the diagnostics, and sd_program_free frees it. */
SdStatus sd_compile(const char *text, size_t len, const SdCompileOptions *opt, SdProgram **out);
void sd_program_free(SdProgram *p);

/* One located message.  Errors may be followed by notes (where an
 * unclosed bracket was opened, ...). */
typedef enum SdSeverity { SD_SEVERITY_ERROR, SD_SEVERITY_NOTE } SdSeverity;

typedef struct SdDiagnostic {
    SdSeverity severity;
    const char *file;    /* as given in SdCompileOptions.file                          */
    int line, column;    /* 1-based, column in bytes; 0 when the message has no place  */
    size_t offset;       /* byte offset of the span in the text                         */
    size_t length;       /* bytes in the span (at least 1 when located)                 */
    const char *message; /* lowercase, tokens in quotes, no position                    */
} SdDiagnostic;

int sd_diagnostic_count(const SdProgram *p);
const SdDiagnostic *sd_diagnostic(const SdProgram *p, int i);
/* Every diagnostic as the command line prints it:
 *   <file>:<line>:<col>: error: <message>
 *       <source line>
 *       ^~~~
 * ("" when there are none). */
const char *sd_diagnostics_text(const SdProgram *p);
/* The last failure's message, one line without "error:" ("" after success). */
const char *sd_error_message(const SdProgram *p);

/* --- the program's variables and output ----------------------------------------------- */

typedef enum SdRole {
    SD_PARAM, /* differentiated (a parameter)                                  */
    SD_INPUT  /* data: never differentiated                                     */
} SdRole;

typedef struct SdShape {
    int rank;    /* 0 scalar, 1 vector, 2 matrix                              */
    long dim[2]; /* dim[0] rows (or length), dim[1] columns                   */
    int dyn[2];  /* 0, or 1 + the run-time dimension (sd_dim) that axis k is;
                    dim[k] is then its largest size                          */
} SdShape;

/* Number of elements of a shape (1 for a scalar). */
long sd_shape_numel(SdShape s);

typedef struct SdVar {
    const char *name;
    SdRole role;
    SdShape shape;
    long offset;      /* position of its first element in a point             */
} SdVar;

int sd_var_count(const SdProgram *p);
/* Variable i, 0 <= i < sd_var_count(p). */
SdVar sd_var(const SdProgram *p, int i);
/* The index of the variable called `name`, or -1. */
int sd_var_find(const SdProgram *p, const char *name);
/* The number of doubles in a point: every variable's elements, then the
 * size of each run-time dimension. */
long sd_point_size(const SdProgram *p);

/* Run-time dimensions (`dim n <= 256;`): sizes a program gets when it
 * runs, such as a batch of n rows.  A point holds a variable with a
 * run-time dimension at its largest shape (row-major with the largest
 * shape's strides; only the first n entries along the dimension take
 * part), and after all the variables one double per run-time dimension
 * with its size, an integer from 1 to max: the layout of the generated
 * kernels' arrays. */
typedef struct SdDim {
    const char *name;
    long max;         /* the largest size the program allows                    */
    long offset;      /* where a point holds the size                            */
} SdDim;

int sd_dim_count(const SdProgram *p);
/* Run-time dimension i, 0 <= i < sd_dim_count(p). */
SdDim sd_dim(const SdProgram *p, int i);
/* The shape of the program's value: a scalar, or a vector for a program
 * ending in [f1, f2, ...] or in a vector expression. */
SdShape sd_output_shape(const SdProgram *p);

/* One value as points take it: a number, [a, b, ...] or [[a, b], [c, d]]
 * (rows of one length; blanks anywhere between the parts).  Writes up to
 * cap numbers, row-major, to vals (which may be NULL), their count to *n
 * and the nesting to *shape.  Returns the bytes read (blanks after the
 * value included; a number ends at ',', ']' or the end), or -1 when the
 * text does not start with such a value. */
long sd_value_parse(const char *text, double *vals, long cap, long *n, SdShape *shape);

/* Parses a point written as the command line's --at takes it:
 * "x=0.5, y=2, W=[[1,2],[3,4]], b=[0,1]": NAME=VALUE items separated by
 * commas outside brackets, every variable given once, into point[0 ..
 * sd_point_size(p)).  A run-time dimension takes its size from the values
 * given (X=[[1,2],[3,4],[5,6]] for X[n,2] means n = 3; every variable
 * with n must agree), or from an item n=3.  SD_ERR_REQUEST with a message
 * for a malformed text, an unknown, repeated or missing variable, a wrong
 * shape, or a run-time dimension that is unknown, disagrees or exceeds
 * its maximum. */
SdStatus sd_point_parse(SdProgram *p, const char *text, double *point);

/* --- asking for derivatives ----------------------------------------------------------- */

typedef enum SdWhat {
    SD_FUNCTION, /* the simplified program itself                                   */
    SD_GRADIENT, /* first derivatives: the gradient of a scalar program, the
                    Jacobian (numerator layout) of a vector one                   */
    SD_HESSIAN,  /* second derivatives of a scalar program over the flattened
                    variables (the gradient comes with it)                         */
    SD_NTH       /* d^order f / dx^order in one scalar variable                     */
} SdWhat;

typedef enum SdMode {
    SD_MODE_AUTO,    /* the smaller result of both engines, within a budget        */
    SD_MODE_FORWARD, /* forward accumulation, one pass per variable                */
    SD_MODE_REVERSE  /* adjoints, the whole gradient in one pass                   */
} SdMode;

typedef struct SdRequest {
    SdWhat what;
    int order;               /* SD_NTH: the order (>= 1)                             */
    const char *const *wrt;  /* differentiate by these (NULL: every parameter)       */
    int nwrt;
    SdMode mode;
    double kink;             /* the derivative taken at kinks: relu'(0), ties of
                                max and min (0 by default; 0.5 splits ties)      */
    int literal;             /* do not use what must hold where the function is
                                defined (x != 0 in ln(x^2)) to simplify           */
    int expand;              /* expand polynomials fully (teaching)                 */
    int together;            /* the textbook form (teaching): sums of fractions over
                                a common denominator, common factors cancelled, the
                                shortest of the forms tried (never longer); equal
                                wherever the derivative as computed is defined    */
} SdRequest;

typedef struct SdResult SdResult;

/* Builds what the request asks for.  The result shares the program's
 * graph: free results before their program.  SD_ERR_REQUEST for a
 * request the program cannot satisfy (a Hessian of a vector program, an
 * unknown --wrt name, ...), with the reason in sd_error_message. */
SdStatus sd_derive(SdProgram *p, const SdRequest *req, SdResult **out);
void sd_result_free(SdResult *r);

/* The layout of a result's numbers: `rows` x `cols`, row-major.
 *   SD_FUNCTION  1 x 0 (no derivatives)
 *   SD_GRADIENT  1 x n for a scalar program, m x n for a vector of m
 *   SD_HESSIAN   n x n (and the gradient, 1 x n)
 *   SD_NTH       1 x 1
 * where n is the number of elements of the variables differentiated by. */
typedef struct SdLayout {
    SdWhat what;
    long rows, cols;
    int nwrt;            /* variables differentiated by                          */
    long value_size;     /* elements of the function's value                     */
    const char *name;    /* "gradient", "jacobian", "hessian", "derivative"      */
} SdLayout;

SdLayout sd_result_layout(const SdResult *r);
/* Variable index (into sd_var) of the j-th variable differentiated by. */
int sd_result_wrt(const SdResult *r, int j);

typedef enum SdFormat { SD_TEXT, SD_LATEX, SD_JSON } SdFormat;

/* --- numbers ---------------------------------------------------------------------------- */

typedef struct SdValues {
    double *value;       /* layout.value_size numbers: the function              */
    double *deriv;       /* layout.rows * layout.cols numbers                     */
    double *gradient;    /* SD_HESSIAN only: the gradient (layout.cols numbers)   */
    long *dims;          /* the run-time dimensions' sizes at the point
                            (sd_dim_count numbers; NULL when there are none);
                            a value with one is laid out at its largest shape */
} SdValues;

/* Evaluates the function and the result at a point (sd_point_size(p)
 * doubles).  Non-finite values are returned as they are.
 * SD_ERR_REQUEST when the point's size of a run-time dimension is not an
 * integer from 1 to its maximum.  Free with sd_values_free. */
SdStatus sd_eval(SdResult *r, const double *point, SdValues *out);
void sd_values_free(SdValues *v);

/* --- the gradient check ------------------------------------------------------------------ */

typedef struct SdCheckOptions {
    int samples;         /* random points (0: 20)                                 */
    unsigned long seed;  /* 0: 1                                                  */
    double tol;          /* 0: 1e-6                                               */
    const double *base;  /* a point: values of the variables not checked (or NULL) */
} SdCheckOptions;

typedef struct SdCheckReport {
    int tested;          /* points where the function was defined                 */
    int skipped;         /* comparisons where the differences did not converge    */
    double max_error;    /* largest relative error                                 */
    const char *worst;   /* the variable of the largest error ("" if none)         */
    int ok;              /* max_error <= tol                                       */
    double tol;
} SdCheckReport;

/* Compares the result's first derivatives with Ridders' extrapolated
 * central differences at random points where the function is defined.
 * SD_ERR_INPUT when no point tried was defined. */
SdStatus sd_check(SdResult *r, const SdCheckOptions *opt, SdCheckReport *out);
/* --- printing --------------------------------------------------------------------------- */

/* The result as the command line prints it.  Without values: the
 * derivatives (SD_TEXT, SD_LATEX: "d/dx = ..." lines, or a matrix
 * "J = [[...]]"; SD_JSON: the --json object with "vars" and
 * "derivatives").  With values (from sd_eval): "value = ..." and the
 * numbers of each derivative, or the --json object with "value",
 * "gradient" / "jacobian" / "hessian".  With a check report, its line (or
 * its "check" object).  SD_ERR_REQUEST for what has no printed form (the
 * expressions of a tensor program's Hessian). */
SdStatus sd_print(const SdResult *r, const SdValues *v, const SdCheckReport *c, SdFormat fmt,
                  char **out);

/* --- C code -------------------------------------------------------------------------------- */

typedef enum SdCType { SD_DOUBLE, SD_FLOAT } SdCType;

/* Where products of matrices are computed: in the generated loops (the
 * default, no dependency), or by the CBLAS interface's cblas_dgemm and
 * cblas_sgemm (link with a CBLAS, such as OpenBLAS: -lopenblas, or
 * Debian's -lblas, which the installed BLAS provides). */
typedef enum SdBlas { SD_BLAS_NONE, SD_BLAS_CBLAS } SdBlas;

typedef enum SdEmitKind {
    SD_EMIT_SYMBOLIC,   /* the simplified derivatives as straight-line C            */
    SD_EMIT_FORWARD_AD, /* forward-mode AD (dual numbers) of the program's own code  */
    SD_EMIT_REVERSE_AD  /* reverse-mode AD (an adjoint sweep) of the program's code  */
} SdEmitKind;

typedef struct SdEmitOptions {
    const char *name;          /* prefix of the entry points; NULL: "f"               */
    SdCType type;
    SdEmitKind kind;
    int unroll;                /* vectors and matrices as straight-line code          */
    SdBlas blas;               /* products of matrices by a BLAS (not with unroll)    */
    int test_program;          /* also a standalone gradient check (SdEmitted.test)   */
    int train_program;         /* also a training program (SdEmitted.main)            */
    int self_contained;        /* one text: the source holds the header's declarations */
    const char *header_name;   /* how the source includes its header; NULL: "<name>.h" */
    const char *source_name;   /* the input's name as the header records it (or NULL) */
    const char *command_line;  /* the command, recorded in the header (or NULL)        */
} SdEmitOptions;

typedef struct SdEmitted {
    char *source, *header;     /* always                                               */
    char *test, *main;         /* when asked for, else NULL                            */
} SdEmitted;

/* C99 for the result: NAME and NAME_grad (gradient), NAME_jac (vector
 * programs), NAME_hess (SD_HESSIAN).  SD_ERR_REQUEST when the name is not
 * usable in C or the options do not apply (with the reason).  Every text
 * opens with a comment saying that the code belongs to the user and carries
 * no licence obligation. */
SdStatus sd_emit_c(SdResult *r, const SdEmitOptions *opt, SdEmitted *out);
void sd_emitted_free(SdEmitted *e);
/* Is `name` usable as the prefix of generated functions?  NULL, or the
 * reason it is not, as the end of a sentence about it ("is a C keyword",
 * "is declared by <math.h>", ...). */
const char *sd_c_name_problem(const char *name);

/* --- teaching views ------------------------------------------------------------------------ */

/* The derivation rule by rule (SD_TEXT or SD_LATEX) of each first
 * derivative of a small scalar function. */
SdStatus sd_trace(SdResult *r, SdFormat fmt, char **out);
/* Graphviz DOT of the function and its derivatives: the shared DAG, or
 * (SD_DOT_TREE) the same expressions written out as trees.  In the DAG
 * each use of a constant is a small leaf of its own, so that the shared
 * nodes drawn are the program's; SD_DOT_SHARED_CONSTANTS draws one node
 * per distinct constant, as the graph holds them. */
enum { SD_DOT_TREE = 1, SD_DOT_SHARED_CONSTANTS = 2 };
SdStatus sd_dot(SdResult *r, int flags, char **out);
/* The derivatives of a polynomial in one variable, factored. */
SdStatus sd_factor(SdResult *r, SdFormat fmt, char **out);

/* Expression swell: the derivative's size by every method (naive tree,
 * simplified, shared DAG, forward and reverse AD, finite differences),
 * with values at `point` when it is not NULL.  One report, or a sweep of
 * reports over the values of a name (`name`, NULL for a single report).
 * The programs of a sweep share one program's work limit: a sweep whose
 * measurements together take more is refused (SD_ERR_REQUEST). */
typedef struct SdSwell SdSwell;
SdSwell *sd_swell_new(const char *name);
void sd_swell_free(SdSwell *s);
/* Measures the result (a gradient) and appends a row for x. */
SdStatus sd_swell_add(SdSwell *s, SdResult *r, double x, const double *point);
/* One report (SD_TEXT: a table; SD_JSON: an array of rows), or the sweep
 * (a column per method, a line per value). */
char *sd_swell_text(const SdSwell *s, SdFormat fmt);

typedef struct SdPlotOptions {
    const char *title;   /* NULL: "Size of the derivative by method, ..."         */
    int width, height;   /* pixels (each clamped to 200 .. 10000; the layout is
                            scaled to fit, type included); 0 x 0: a 560 x 380
                            plot area with the legend beside it (about 910 x 490) */
} SdPlotOptions;
/* The sweep as a standalone SVG line chart on a log scale.  Methods whose
 * counts coincide (forward- and reverse-mode AD of one variable) are both
 * drawn, and the legend says so. */
char *sd_swell_svg(const SdSwell *s, const SdPlotOptions *opt);

/* Baydin et al.'s Table 1 for the logistic map (n rows, 0: 4), and the
 * numeric pitfalls of expanded forms and finite differences. */
SdStatus sd_demo_baydin(int n, SdFormat fmt, char **out);
SdStatus sd_demo_pitfalls(char **out);

/* --- inspecting the stages ------------------------------------------------------------------ */

typedef enum SdStage {
    SD_STAGE_PARSE,  /* the program as parsed, printed back                       */
    SD_STAGE_LOWER,  /* the DAG after lowering (one line per node)                */
    SD_STAGE_DERIVE  /* the DAG of the function and its derivatives               */
} SdStage;

/* The program (SD_STAGE_PARSE, SD_STAGE_LOWER) or the result's graph
 * (SD_STAGE_DERIVE) as text; NULL when out of memory. */
char *sd_dump_program(const SdProgram *p, SdStage stage);
char *sd_dump_result(const SdResult *r);

typedef struct SdStats {
    long function_nodes, derivative_nodes, graph_nodes;
    double function_tree, derivative_tree; /* written-out sizes (may be huge)          */
    SdMode engine;                         /* the engine whose result was kept          */
} SdStats;
SdStats sd_result_stats(const SdResult *r);

#ifdef __cplusplus
}
#endif

#endif
