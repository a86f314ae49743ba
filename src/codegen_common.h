/* SPDX-License-Identifier: MIT */
/*
 * codegen_common.h — what every emitter of C shares (codegen.c,
 * codegen_tensor.c, emit_ad.c): one record per C type, one table of the
 * generated helper functions, the names a kernel may be given, the text
 * echoed into comments, and the pieces every header has.
 *
 * The conventions the generated files promise, and where each is made:
 *   - Types.  Every literal, libm call and helper of a kernel is in its
 *     type (CodegenType): float kernels compile under -Wdouble-promotion.
 *   - Helpers.  sd_<name> for double and sd_<name>f for float, each in
 *     its own #ifndef SD_<NAME>_DEFINED guard, so that two kernels' .c
 *     files can share one translation unit (a unity build), and every
 *     emitter writes the same definition (codegen_helpers).
 *   - Names.  For --name N: the functions N, N_grad, N_hess, N_jac, N_ws,
 *     N_grad_ws and N_jac_ws; the macros U_NVARS, U_NINPUTS, U_NOUT,
 *     U_WORK and U_STACK_BYTES (U is N in capitals), U_OFFSET_<variable>
 *     for the offsets (the variable's exact spelling), and the include
 *     guard N_H (N's exact spelling).  No two of them can be equal,
 *     whatever the variables are called; codegen_name_problem refuses the
 *     names N that collide with the C library, the keywords of C and C++
 *     and the generated files' own names.
 *   - C++.  Declarations inside extern "C", pointers qualified with
 *     SD_RESTRICT: C99's restrict, or the compiler's __restrict in C++.
 *   - Comments.  Program text, command lines and names go into comments
 *     only through codegen_comment, which keeps every byte sequence from
 *     ending or nesting the comment or splicing lines.
 */
#ifndef SYMDIFF_CODEGEN_COMMON_H
#define SYMDIFF_CODEGEN_COMMON_H

#include <stddef.h>

#include "dag.h"
#include "strbuf.h"

/* --- C types ----------------------------------------------------------------------- */

typedef struct CodegenType {
    const char *name;    /* "double", "float"                                  */
    const char *suffix;  /* of libm functions, literals and sd_ helpers: "", "f" */
    int size;            /* sizeof                                              */
    int digits;          /* significant digits that read back exactly: 17, 9   */
    double min_normal;   /* the smallest normal number                          */
    double max;          /* the largest finite number                           */
} CodegenType;

/* The record of double (use_float 0) or float. */
const CodegenType *codegen_type(int use_float);
/* v rounded to the type, as a literal that reads back exactly: 0.5, 3.0f. */
void codegen_literal(StrBuf *sb, const CodegenType *t, double v);
/* Why a float kernel cannot hold the constant v as it is, as the end of a
 * sentence ("is beyond the range of float ..."), or NULL when it can: v
 * beyond float's range, or below float's normal range and not exactly a
 * float (7.1e-46 would become 1.4e-45, and 1e-50 would become 0). */
const char *codegen_float_misfit_reason(double v);

/* --- helper functions of generated files ------------------------------------------- */

typedef enum CodegenHelper {
    CH_SIGMOID,    /* 1 / (1 + e^-x), no overflow                         */
    CH_SOFTPLUS,   /* log(1 + e^x), no overflow                           */
    CH_RELU,
    CH_LEAKY_RELU,
    CH_ELU,
    CH_SIGN,
    CH_STEP,
    CH_MIN,
    CH_MAX,
    CH_IFPOS,
    CH_SIGMOID_E,  /* sigmoid(x) given e = exp(-|x|)                      */
    CH_SOFTPLUS_E, /* softplus(x) given e = exp(-|x|)                     */
    CH_SOFTPLUS_L, /* softplus(x) given l = log1p(exp(-|x|))              */
    CH_LOG1P_E,    /* log1p(e) for 0 <= e <= 1, through log, no branch    */
    CH_EXP_BELOW,  /* exp(min(x, 64)): never overflows                   */
    CH_SIGMOID_R,  /* sigmoid(x) given e = exp(min(x, 64)), r = 1/(1 + e) */
    CH_SOFTPLUS_R, /* softplus(x) given the same e and r                  */
    CH_SIGMOID_1,  /* sd_sigmoid_r with its own e and r: one element      */
    CH_SOFTPLUS_1, /* sd_softplus_r with its own e and r: one element     */
    CH_POW_LESS1,  /* b^(y - 1) from b^y                                  */
    /* the functions of builtins.def that <math.h> lacks */
    CH_SEC,
    CH_CSC,
    CH_COT,
    CH_ACOT,
    CH_ASEC,
    CH_ACSC,
    CH_SECH,
    CH_CSCH,
    CH_COTH,
    CH_ASECH,
    CH_ACSCH,
    CH_ACOTH,
    CH_LOG_BASE,
    CH_GELU,
    CH_SILU,
    CH_SOFTSIGN,
    CH_MISH,
    CH_HARDTANH,
    CH_HUBER,
    /* minibatch programs */
    CH_ONEHOT,     /* 1 where a label is a class, 0 elsewhere, NaN for no class */
    CH_GEMM,       /* C = op(A) op(B), blocked (codegen_tensor.c's products) */
    CH_COUNT
} CodegenHelper;

/* A set of helpers: bit 1 << h for helper h. */
typedef uint64_t CodegenHelperSet;
/* The heading of the entry-point list in every generated header: what a
 * kernel needs from its surroundings. */
#define CODEGEN_ENTRY_POINTS_HEADING                                                               \
    " *\n * Entry points (no allocation, no globals, reentrant;\n * standard headers only: <math.h>, " \
    "and <stdint.h> and <string.h> where a\n * helper copies the bits of a number):\n"

#define CODEGEN_HELPER_BIT(h) ((CodegenHelperSet)1 << (h))

/* The helper computing builtin fn (sigmoid, relu, ..., ifpos), or
 * CH_COUNT when fn is a libm function or a constant. */
CodegenHelper codegen_helper_of(Builtin fn);
/* The <math.h> function computing fn in type t ("exp", "fabsf": the c and
 * cf columns of builtins.def), or NULL when a helper computes it. */
const char *codegen_libm_name(Builtin fn, const CodegenType *t);
/* Writes the helper's C name in type t: sd_relu, sd_reluf. */
void codegen_helper_name(StrBuf *sb, CodegenHelper h, const CodegenType *t);
/* Writes the definitions of the helpers in `used` (bit 1 << h), each in
 * its include-once guard. */
void codegen_helpers(StrBuf *sb, CodegenHelperSet used, const CodegenType *t);
/* sd_gemm's block sizes (codegen_tensor.c sizes its packing panel by
 * them): MR rows of C by NR columns, over panels of KC rows of op(B). */
#define CODEGEN_GEMM_MR 4
#define CODEGEN_GEMM_NR 16
#define CODEGEN_GEMM_KC 256

/* --- names ------------------------------------------------------------------------- */

/* Why `name` cannot be the --name of a kernel, as the end of a sentence
 * ("is a keyword of C"), or NULL when it can.  The longest name allowed. */
const char *codegen_name_problem(const char *name);
#define CODEGEN_MAX_NAME 63
/* Entry i of the table of names the C library, C and C++ and the
 * generated files reserve (sorted), or NULL past the end: for tests. */
const char *codegen_reserved_name(size_t i);

/* The macro prefix of a kernel: its name in capitals (at most
 * CODEGEN_MAX_NAME characters). */
void codegen_macro_prefix(char *buf, size_t size, const char *name);

/* --- comments and headers ---------------------------------------------------------- */

/* Writes text into a C block comment, each line after `indent`: "*" "/"
 * and "/" "*" are kept apart, "??" never forms a trigraph, a backslash
 * never ends a line, and control bytes and invalid UTF-8 become '?'. */
void codegen_comment(StrBuf *sb, const char *text, const char *indent);

/* The header's opening comment, left open: the file, the command and the
 * program (NULL: empty), as codegen_comment writes them. */
void codegen_header_begin(StrBuf *h, const char *header_file, const char *version, const char *command,
                          const char *program);
/* The include guard of kernel `name`: #ifndef name_H ... */
void codegen_header_open(StrBuf *h, const char *name);
/* Before the declarations: SD_RESTRICT's definition, then `extern "C" {`
 * for C++. */
void codegen_header_declarations(StrBuf *h);
/* Closes the extern "C" block and the guard. */
void codegen_header_close(StrBuf *h, const char *name);
/* `[static ]ret name<suffix>(const T *SD_RESTRICT x[, const T *SD_RESTRICT
 * input][, T *SD_RESTRICT out][, T *SD_RESTRICT work])`: the one form of
 * every entry point. */
void codegen_prototype(StrBuf *sb, const CodegenType *t, int is_static, const char *ret, const char *name,
                       const char *suffix, int has_input, const char *out_arg, int has_work);
/* The same with `sizes`, more parameters after input (", size_t dim_n"),
 * or NULL. */
void codegen_prototype_sizes(StrBuf *sb, const CodegenType *t, int is_static, const char *ret, const char *name,
                             const char *suffix, int has_input, const char *sizes, const char *out_arg,
                             int has_work);
/* The header's paragraph on the arrays: which may overlap which.
 * `outputs` names the arrays the entry points write ("grad and H"); the
 * example call is name<deriv>(x, x). */
void codegen_header_aliasing(StrBuf *h, const char *name, const char *deriv, const char *outputs);

/* --- the stack --------------------------------------------------------------------- */

/* Entry points whose stack frame would exceed this many bytes are not
 * written (tensor kernels: only the _ws variants, which take the
 * workspace from the caller) or are flagged in the header: 128 KiB, the
 * smallest default thread stack of the common C libraries (musl's). */
#define CODEGEN_STACK_BUDGET ((size_t)128 << 10)

/* What bounds the stack frame of one entry point that keeps `kept` values
 * (its named temporaries or locals), computes at most `statement` more
 * values in one statement (the intermediate results of an expression),
 * calls helpers or libm functions `calls` times, and declares
 * `array_bytes` of arrays.  Every value is given a 16-byte slot (a
 * spilled vector register), the frame its fixed part (return address,
 * saved registers, alignment, outgoing arguments), and a call the frame
 * of an sd_ helper the compiler did not inline; the C library's own
 * frames (exp, log, ...) are not counted.  tests/check_kernels.c holds
 * the bound against gcc's and clang's -fstack-usage, -O0 to -O3 and -Os,
 * on x86-64. */
size_t codegen_stack_bound(long kept, long statement, long calls, size_t array_bytes);
/* The header's paragraph on NAME_STACK_BYTES, which is stack_bytes. */
void codegen_header_stack(StrBuf *h, const char *name, size_t stack_bytes);

#endif
