/* SPDX-License-Identifier: MIT */
/*
 * codegen_common.c — the types, helpers, names, comments and header pieces
 * that every emitter of C shares (see codegen_common.h).
 *
 * Consumes options and text; produces fragments of generated C.  Each
 * fact about generated code lives here once: a helper's definition is one
 * row of `helpers` written for either type, a type's spelling is one
 * CodegenType, and the names a kernel may not take are one sorted table.
 */
#include "codegen_common.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numtext.h"

/* --- C types ------------------------------------------------------------------------- */

static const CodegenType types[2] = {
    {"double", "", 8, 17, DBL_MIN, DBL_MAX},
    {"float", "f", 4, 9, FLT_MIN, FLT_MAX},
};

const CodegenType *codegen_type(int use_float) { return &types[use_float ? 1 : 0]; }

void codegen_literal(StrBuf *sb, const CodegenType *t, double v) {
    char buf[NUMTEXT_MAX];
    double r = t->size == 4 ? (double)(float)v : v;
    sb_putn(sb, buf, numtext_g(buf, r, t->digits)); /* "%.*g", without printf */
    if (!strpbrk(buf, ".eEn"))
        sb_puts(sb, ".0");
    sb_puts(sb, t->suffix);
}

const char *codegen_float_misfit_reason(double v) {
    float f = (float)v;
    if (isinf(f) && !isinf(v))
        return "is beyond the range of float (magnitudes up to about 3.4e+38)";
    /* below the normal range a float has fewer digits: a constant there
     * is kept only when it is a float exactly */
    if (fabs(v) < FLT_MIN && (double)f != v)
        return "is below the normal range of float (from about 1.2e-38) and is not a float exactly, "
               "which a float kernel would change";
    return NULL;
}

/* --- helpers ----------------------------------------------------------------------- */

/* sd_gemm: C = op(A) op(B), the matrix products of codegen_tensor.c at
 * cache speed.  op(B) is copied, KC rows by NR columns at a time, into a
 * panel (the caller's, KC x NR elements), and each block of MR rows of C
 * is accumulated over the panel in MR x NR local accumulators.  The
 * innermost loops run over the NR columns of a panel row, contiguous and
 * of fixed length, which gcc and clang vectorise at -O2 and -O3 without
 * reassociating any sum.  The micro-kernel is written out for MR = 4. */
#define GEMM_TEXT_(x) #x
#define GEMM_TEXT(x) GEMM_TEXT_(x)
#define GEMM_MR_S GEMM_TEXT(CODEGEN_GEMM_MR)
#define GEMM_NR_S GEMM_TEXT(CODEGEN_GEMM_NR)
#define GEMM_KC_S GEMM_TEXT(CODEGEN_GEMM_KC)
#if CODEGEN_GEMM_MR != 4
#error "sd_gemm's micro-kernel is written for CODEGEN_GEMM_MR = 4"
#endif
#define GEMM_COMMENT                                                                                          \
    "C = op(A) op(B): C is m x n with row stride ldc; op(A) is m x k, A[i*lda + q]\n"                            \
    " * (ta = 0) or A[q*lda + i] (ta = 1); op(B) is k x n, B[q*ldb + j] (tb = 0) or\n"                          \
    " * B[j*ldb + q] (tb = 1).  pack holds " GEMM_KC_S " x " GEMM_NR_S " elements: a panel of op(B), " GEMM_KC_S \
    " rows of\n"                                                                                                \
    " * " GEMM_NR_S " columns, copied once and read by every block of " GEMM_MR_S " rows of C.  The sums\n"       \
    " * run in order over q within each panel: nothing is reassociated.  The\n"                                 \
    " * arguments come in a struct (twelve would not all travel in registers)"
#define GEMM_ARGS                                                                                             \
    "typedef struct sd_gemm$F_args {\n"                                                                         \
    "    size_t m, n, k;\n"                                                                                     \
    "    const $T *a;\n    size_t lda;\n    int ta;\n"                                                          \
    "    const $T *b;\n    size_t ldb;\n    int tb;\n"                                                          \
    "    $T *c;\n    size_t ldc;\n"                                                                             \
    "    $T *pack;\n"                                                                                           \
    "} sd_gemm$F_args;\n\n"
#define GEMM_BODY                                                                                                   \
    "    const size_t m = g->m, n = g->n, k = g->k, lda = g->lda, ldb = g->ldb, ldc = g->ldc;\n"                     \
    "    const int ta = g->ta, tb = g->tb;\n"                                                                         \
    "    const $T *a = g->a, *b = g->b;\n"                                                                            \
    "    $T *SD_RESTRICT c = g->c, *SD_RESTRICT pack = g->pack;\n"                                                    \
    "    const size_t ai = ta ? 1 : lda, aq = ta ? lda : 1;\n"                                                        \
    "    for (size_t j0 = 0; j0 < n; j0 += " GEMM_NR_S ") {\n"                                                        \
    "        const size_t nr = n - j0 < " GEMM_NR_S " ? n - j0 : " GEMM_NR_S ";\n"                                    \
    "        for (size_t q0 = 0; q0 < k; q0 += " GEMM_KC_S ") {\n"                                                    \
    "            const size_t kc = k - q0 < " GEMM_KC_S " ? k - q0 : " GEMM_KC_S ";\n"                                \
    "            for (size_t q = 0; q < kc; q++)\n"                                                                   \
    "                for (size_t jj = 0; jj < " GEMM_NR_S "; jj++)\n"                                                 \
    "                    pack[q * " GEMM_NR_S " + jj] = jj >= nr ? $0 : tb ? b[(j0 + jj) * ldb + q0 + q] : b[(q0 + q) * ldb + j0 + jj];\n" \
    "            size_t i0 = 0;\n"                                                                                    \
    "            for (; i0 + " GEMM_MR_S " <= m; i0 += " GEMM_MR_S ") {\n"                                            \
    "                $T c0[" GEMM_NR_S "] = {$0}, c1[" GEMM_NR_S "] = {$0}, c2[" GEMM_NR_S "] = {$0}, c3[" GEMM_NR_S "] = {$0};\n" \
    "                const $T *ap = a + i0 * ai + q0 * aq;\n"                                                         \
    "                for (size_t q = 0; q < kc; q++) {\n"                                                             \
    "                    const $T *bq = pack + q * " GEMM_NR_S ";\n"                                                  \
    "                    const $T a0 = ap[q * aq], a1 = ap[ai + q * aq], a2 = ap[2 * ai + q * aq], a3 = ap[3 * ai + q * aq];\n" \
    "                    for (size_t jj = 0; jj < " GEMM_NR_S "; jj++) {\n"                                           \
    "                        c0[jj] += a0 * bq[jj];\n"                                                                \
    "                        c1[jj] += a1 * bq[jj];\n"                                                                \
    "                        c2[jj] += a2 * bq[jj];\n"                                                                \
    "                        c3[jj] += a3 * bq[jj];\n"                                                                \
    "                    }\n"                                                                                         \
    "                }\n"                                                                                             \
    "                $T *cp = c + i0 * ldc + j0;\n"                                                                   \
    "                for (size_t jj = 0; jj < nr; jj++) {\n"                                                          \
    "                    cp[jj] = (q0 ? cp[jj] : $0) + c0[jj];\n"                                                     \
    "                    cp[ldc + jj] = (q0 ? cp[ldc + jj] : $0) + c1[jj];\n"                                         \
    "                    cp[2 * ldc + jj] = (q0 ? cp[2 * ldc + jj] : $0) + c2[jj];\n"                                 \
    "                    cp[3 * ldc + jj] = (q0 ? cp[3 * ldc + jj] : $0) + c3[jj];\n"                                 \
    "                }\n"                                                                                             \
    "            }\n"                                                                                                 \
    "            for (; i0 < m; i0++) {\n"                                                                            \
    "                $T c0[" GEMM_NR_S "] = {$0};\n"                                                                  \
    "                const $T *ap = a + i0 * ai + q0 * aq;\n"                                                         \
    "                for (size_t q = 0; q < kc; q++)\n"                                                               \
    "                    for (size_t jj = 0; jj < " GEMM_NR_S "; jj++)\n"                                             \
    "                        c0[jj] += ap[q * aq] * pack[q * " GEMM_NR_S " + jj];\n"                                  \
    "                $T *cp = c + i0 * ldc + j0;\n"                                                                   \
    "                for (size_t jj = 0; jj < nr; jj++)\n"                                                            \
    "                    cp[jj] = (q0 ? cp[jj] : $0) + c0[jj];\n"                                                     \
    "            }\n"                                                                                                 \
    "        }\n"                                                                                                     \
    "    }\n"

/* One row per helper: its name (without sd_ and the type's suffix), its
 * parameters, a comment and its body (helper_shape below adds a return
 * type and a type of its own where they differ), written for either type
 * with
 *   $T the type, $F the suffix of libm functions, $U the unsigned integer
 *   of the type's width (<stdint.h>) and $S its top bit, $E an argument of
 *   exp below the largest with a finite value (709, 88), $0 and $1 the literals
 *   0 and 1, $m the smallest normal number, $M the largest finite one,
 *   $(c) the number c.
 * Every helper returns NaN for a NaN argument where the function it
 * computes would (relu(NaN) is NaN, as NaN > 0 and NaN <= 0 are both
 * false). */
/* The stable forms of sigmoid and softplus choose by the sign of x.  As
 * a conditional, gcc compiles that choice to a branch, which the sign of
 * random data mispredicts half of the time (about 15 cycles each, as
 * much as the rest of a small kernel); so they choose by masking the bits
 * of x, which is exact and costs a few integer instructions (the bits
 * copied by memcpy, which compilers reduce to a move and which, unlike a
 * union, is defined in C++ too, where the kernels compile as well):
 *   max(x, 0): x's bits, all cleared where x's sign bit is set (+0 for
 *     every negative x, -0 and -inf; NaN only meets the NaN of log1p);
 *   the numerator of sigmoid: 1 where the sign bit of x is clear, e where
 *     it is set (at -0, e = 1: the same 1/2 either way). */
#define BITS_NOTE "the choice by the sign of x is made on its bits, without a branch"
#define POSITIVE_PART                                                                          \
    "    $T p;\n    $U b;\n    memcpy(&b, &x, sizeof b);\n"                                 \
    "    b &= ($U)((b >> $S) - 1u); /* max(x, 0): cleared where the sign bit is set */\n"     \
    "    memcpy(&p, &b, sizeof p);\n"
#define SIGMOID_E_BODY                                                                         \
    "    const $T one = $1;\n    $T n;\n    $U xb, nb, ob;\n"                                \
    "    memcpy(&xb, &x, sizeof xb);\n    memcpy(&nb, &e, sizeof nb);\n"                     \
    "    memcpy(&ob, &one, sizeof ob);\n"                                                      \
    "    const $U neg = ($U)(($U)0 - (xb >> $S)); /* all ones where the sign bit of x is set */\n" \
    "    nb = (nb & neg) | (ob & ($U)~neg);\n    memcpy(&n, &nb, sizeof n);\n"               \
    "    return n / ($1 + e);\n"
#define STDINT "#include <stdint.h>\n#include <string.h>\n"
/* log1p(e) for e = exp(-|x|) in [0, 1], through log: libm's log1p takes
 * branches by the size of its argument that random data mispredicts, and
 * log does not.  With u = 1 + e rounded, u - 1 and d = e - (u - 1) (the
 * rounding error of 1 + e, |d| <= 2^-53) are exact, and log1p(e) = log(u)
 * + log1p(d/u) = log(u) + d/u to within d^2.  d/u is d (2 - u) plus
 * d (u - 1)^2/u, which is below 2^-53 e^2 where e is small and below 2^-54
 * where e is near 1: against log1p(e) >= e/(1 + e), under half an ulp, so
 * no division is needed (the result is within an ulp of libm's log1p;
 * e itself where 1 + e rounds to 1).  sd_log1p_e and every softplus write
 * it with the same operations, so a shared l<k> equals the helper's own
 * value. */
#define LOG1P_E_NOTE "log1p(e) for 0 <= e <= 1 as log(1 + e) plus the rounding error of 1 + e over 1 + e: no branch"
#define LOG1P_E_U "    const $T u = $1 + e;\n"
/* The kernels whose sigmoids and softplus of one magnitude all take the
 * same argument x (softplus(x) and its derivative sigmoid(x); log(sigmoid(z))
 * and its derivative sigmoid(-z), x = -z) need no choice by the sign of x:
 * e = exp(min(x, 64)) and r = 1/(1 + e), one exp and one division,
 * give
 *   sigmoid(x) = e r: for x <= 64 it is e/(1 + e) (e subnormal or 0 far
 *     below, where sigmoid(x) is e^x); above, both round to 1;
 *   softplus(x) = log1p(e) + (max(x, 64) - 64), log1p(e) = log(u) + d r
 *     with u = 1 + e rounded and d = e - (u - 1) its rounding error
 *     (exact for e < 2^53, and below ulp(u)/u beyond): the division by u
 *     that sd_log1p_e avoids for e <= 1 is r, which sigmoid needs anyway,
 *     and it holds for every e up to e^64.  Above 64, log(u) is 64 to
 *     within an ulp and the rest is x - 64, exact below 2^58.
 * The comparisons are with 64, far from ordinary data (no sign test,
 * which random data mispredicts); a NaN x stays NaN (64 < x is false,
 * and log(u) is NaN).  The terms besides log(u) are summed first: fewer
 * values live across the call of log. */
#define EXP_BELOW_NOTE "exp(min(x, 64)), NaN for NaN: e for sd_sigmoid_r and sd_softplus_r"
#define SOFTPLUS_R_NOTE                                                                        \
    "softplus(x) = log(1 + e^x) given e = sd_exp_below(x) and r = 1/(1 + e): log1p(e)\n"        \
    " * through log and r, plus x - 64 above 64; no sign test"
#define SOFTPLUS_R_BODY                                                                        \
    "    const $T u = $1 + e;\n    const $T m = x > $(64) ? x : $(64);\n"                       \
    "    const $T c = (e - (u - $1)) * r + (m - $(64));\n    return c + log$F(u);\n"
/* A vector's sigmoids and softplus are written element by element: where
 * the kernel's scalar form would share e and r (plan_exps: two or more of
 * them, all of one argument), each element computes them itself with the
 * same operations, so a vector kernel's elements equal the scalar
 * kernel's values bit for bit. */
#define ONE_SIDED_NOTE "the same operations, for an element whose kernel shares e and r where it is a scalar"
#define EXP_BELOW_R                                                                            \
    "    const $T e = exp$F($(64) < x ? $(64) : x);\n    const $T r = $1 / ($1 + e);\n"
#define LOG1P_E_EXPR "(log$F(u) + (e - (u - $1)) * ($(2) - u))"

static const struct {
    const char *name, *params, *comment, *body;
} helpers[CH_COUNT] = {
    [CH_SIGMOID] = {"sigmoid", "$T x",
                    "1/(1 + e^-x), whose exp is finite for x >= -$E; below, sigmoid(x) =\n"
                    " * e^x (1 - e^x + ...) is e^x to within e^x relative.  exp never overflows,\n"
                    " * and the test compares x with a constant far from ordinary data (no\n"
                    " * sign test, which random data mispredicts)",
                    "    return x < -$E ? exp$F(x) : $1 / ($1 + exp$F(-x));\n"},
    [CH_SOFTPLUS] = {"softplus", "$T x",
                     "log(1 + e^x) = max(x, 0) + log1p(e^-|x|): never overflows; " BITS_NOTE "; log1p as in\n * sd_log1p_e",
                     "    const $T e = exp$F(-fabs$F(x));\n" LOG1P_E_U POSITIVE_PART
                     "    return p + " LOG1P_E_EXPR ";\n"},
    [CH_RELU] = {"relu", "$T x", "max(x, 0); NaN stays NaN", "    return x > 0 ? x : (x <= 0 ? $0 : x);\n"},
    [CH_LEAKY_RELU] = {"leaky_relu", "$T x, $T a", "x for x > 0, else a x", "    return x > 0 ? x : a * x;\n"},
    [CH_ELU] = {"elu", "$T x, $T a", "x for x > 0, else a (e^x - 1)", "    return x > 0 ? x : a * expm1$F(x);\n"},
    [CH_SIGN] = {"sign", "$T x", "1, -1, or x itself for 0, -0 and NaN",
                 "    return x > 0 ? $1 : x < 0 ? -$1 : x;\n"},
    [CH_STEP] = {"step", "$T x, $T h", "1 for x > 0, 0 for x < 0, h at 0 (the convention at the kink)",
                 "    return x > 0 ? $1 : x < 0 ? $0 : x == 0 ? h : x;\n"},
    [CH_MIN] = {"min", "$T a, $T b", "NaN in either argument gives NaN",
                "    return a < b ? a : b <= a ? b : a + b;\n"},
    [CH_MAX] = {"max", "$T a, $T b", "NaN in either argument gives NaN",
                "    return a > b ? a : b >= a ? b : a + b;\n"},
    [CH_IFPOS] = {"ifpos", "$T c, $T a, $T b", "a where c > 0, b where c <= 0, NaN for a NaN c",
                  "    return c > 0 ? a : c <= 0 ? b : c;\n"},
    [CH_SIGMOID_E] = {"sigmoid_e", "$T x, $T e", "sd_sigmoid(x) given e = exp(-|x|); " BITS_NOTE,
                      SIGMOID_E_BODY},
    [CH_SOFTPLUS_E] = {"softplus_e", "$T x, $T e", "sd_softplus(x) given e = exp(-|x|); " BITS_NOTE "; log1p as in\n * sd_log1p_e",
                       LOG1P_E_U POSITIVE_PART "    return p + " LOG1P_E_EXPR ";\n"},
    [CH_SOFTPLUS_L] = {"softplus_l", "$T x, $T l", "sd_softplus(x) given l = sd_log1p_e(exp(-|x|)); " BITS_NOTE,
                       POSITIVE_PART "    return p + l;\n"},
    [CH_LOG1P_E] = {"log1p_e", "$T e", LOG1P_E_NOTE, LOG1P_E_U "    return " LOG1P_E_EXPR ";\n"},
    [CH_EXP_BELOW] = {"exp_below", "$T x", EXP_BELOW_NOTE, "    return exp$F($(64) < x ? $(64) : x);\n"},
    [CH_SIGMOID_R] = {"sigmoid_r", "$T e, $T r",
                      "sigmoid(x) = e/(1 + e) given e = sd_exp_below(x) and r = 1/(1 + e): 1 to\n"
                      " * within an ulp for x >= 64, where e/(1 + e) rounds to 1 too",
                      "    return e * r;\n"},
    [CH_SOFTPLUS_R] = {"softplus_r", "$T x, $T e, $T r", SOFTPLUS_R_NOTE, SOFTPLUS_R_BODY},
    [CH_SIGMOID_1] = {"sigmoid_1", "$T x", "sd_sigmoid_r(sd_exp_below(x), 1/(1 + e)): " ONE_SIDED_NOTE,
                      EXP_BELOW_R "    return e * r;\n"},
    [CH_SOFTPLUS_1] = {"softplus_1", "$T x", "sd_softplus_r(x, sd_exp_below(x), 1/(1 + e)): " ONE_SIDED_NOTE,
                       EXP_BELOW_R SOFTPLUS_R_BODY},
    [CH_POW_LESS1] = {"pow_less1", "$T b, $T e, $T by",
                      "b^e where e = y - 1 and by = b^y is known: by / b where b^y is a normal\n"
                      " * number (at b = 0 only for y = 0, where 1 / b is pow's infinity too),\n"
                      " * else pow: at 0, past the range and below the normal range the\n"
                      " * division would not give b^(y - 1)",
                      "    return isnormal(by) ? by / b : pow$F(b, e);\n"},
    /* the functions of builtins.def that <math.h> lacks, as eval.c computes them */
    [CH_SEC] = {"sec", "$T x", "1/cos(x)", "    return $1 / cos$F(x);\n"},
    [CH_CSC] = {"csc", "$T x", "1/sin(x)", "    return $1 / sin$F(x);\n"},
    [CH_COT] = {"cot", "$T x", "1/tan(x)", "    return $1 / tan$F(x);\n"},
    [CH_ACOT] = {"acot", "$T x", "atan(1/x), pi/2 at 0", "    return x == $0 ? $(1.57079632679489661923) : atan$F($1 / x);\n"},
    [CH_ASEC] = {"asec", "$T x", "acos(1/x)", "    return acos$F($1 / x);\n"},
    [CH_ACSC] = {"acsc", "$T x", "asin(1/x)", "    return asin$F($1 / x);\n"},
    [CH_SECH] = {"sech", "$T x", "1/cosh(x)", "    return $1 / cosh$F(x);\n"},
    [CH_CSCH] = {"csch", "$T x", "1/sinh(x)", "    return $1 / sinh$F(x);\n"},
    [CH_COTH] = {"coth", "$T x", "1/tanh(x)", "    return $1 / tanh$F(x);\n"},
    [CH_ASECH] = {"asech", "$T x", "acosh(1/x)", "    return acosh$F($1 / x);\n"},
    [CH_ACSCH] = {"acsch", "$T x", "asinh(1/x)", "    return asinh$F($1 / x);\n"},
    [CH_ACOTH] = {"acoth", "$T x", "atanh(1/x)", "    return atanh$F($1 / x);\n"},
    [CH_LOG_BASE] = {"log_base", "$T x, $T b", "the logarithm of x to base b", "    return log$F(x) / log$F(b);\n"},
    [CH_GELU] = {"gelu", "$T x", "x Phi(x) = x erfc(-x/sqrt(2))/2: no cancellation for x < 0; -0 at -inf",
                 "    return isinf(x) ? (x > 0 ? x : -$0) : $(0.5) * x * erfc$F(-x * $(0.70710678118654752440));\n"},
    [CH_SILU] = {"silu", "$T x", "x sigmoid(x), evaluated so that exp never overflows; -0 at -inf",
                 "    if (isinf(x)) {\n        return x > 0 ? x : -$0;\n    }\n"
                 "    if (x >= 0) {\n        return x / ($1 + exp$F(-x));\n    }\n"
                 "    return x * exp$F(x) / ($1 + exp$F(x));\n"},
    [CH_SOFTSIGN] = {"softsign", "$T x", "x/(1 + |x|), +-1 at +-inf",
                     "    return isinf(x) ? (x > 0 ? $1 : -$1) : x / ($1 + fabs$F(x));\n"},
    [CH_MISH] = {"mish", "$T x", "x tanh(softplus(x)); -0 at -inf",
                 "    return isinf(x) ? (x > 0 ? x : -$0) : x * tanh$F((x > 0 ? x : $0) + log1p$F(exp$F(-fabs$F(x))));\n"},
    [CH_HARDTANH] = {"hardtanh", "$T x", "x clamped to [-1, 1]; NaN stays NaN",
                     "    return x > $1 ? $1 : x < -$1 ? -$1 : x;\n"},
    [CH_HUBER] = {"huber", "$T x, $T d", "x^2/2 for |x| <= d, d (|x| - d/2) beyond (d > 0)",
                  "    const $T m = fabs$F(x);\n    return m <= d ? $(0.5) * x * x : d * (m - $(0.5) * d);\n"},
    /* minibatch programs */
    [CH_ONEHOT] = {"onehot", "$T y, size_t j, size_t k",
                   "1 where the label y is the class j, 0 where it is another class of 0 .. k-1,\n"
                   " * NaN where y is no class (the loss is then undefined, not quietly wrong)",
                   "    if (!(y >= $0 && y < ($T)k && y == ($T)(size_t)y)) {\n        return ($T)NAN;\n    }\n"
                   "    return y == ($T)j ? $1 : $0;\n"},
    [CH_GEMM] = {"gemm", "const sd_gemm$F_args *g", GEMM_COMMENT, GEMM_BODY},
};

/* The helpers that return something else than the type (ret), or take a
 * type of their own, written before them (before). */
static const struct {
    const char *ret, *before;
} helper_shape[CH_COUNT] = {
    [CH_GEMM] = {"void", GEMM_ARGS},
    [CH_SOFTPLUS] = {NULL, STDINT},
    [CH_SIGMOID_E] = {NULL, STDINT},
    [CH_SOFTPLUS_E] = {NULL, STDINT},
    [CH_SOFTPLUS_L] = {NULL, STDINT},
};

/* builtins.def names the C of each function: a <math.h> function, or
 * "sd_" and the name of a row of `helpers`. */
CodegenHelper codegen_helper_of(Builtin fn) {
    const char *c = builtin_info[fn].c_double;
    if (!c || strncmp(c, "sd_", 3) != 0)
        return CH_COUNT;
    for (int h = 0; h < CH_COUNT; h++)
        if (strcmp(helpers[h].name, c + 3) == 0)
            return (CodegenHelper)h;
    return CH_COUNT; /* a row names a helper that does not exist: see check_functions */
}

const char *codegen_libm_name(Builtin fn, const CodegenType *t) {
    const char *c = t->size == 4 ? builtin_info[fn].c_float : builtin_info[fn].c_double;
    return c && strncmp(c, "sd_", 3) != 0 ? c : NULL;
}

void codegen_helper_name(StrBuf *sb, CodegenHelper h, const CodegenType *t) {
    sb_printf(sb, "sd_%s%s", helpers[h].name, t->suffix);
}

static void codegen_expand(StrBuf *sb, const char *text, const CodegenType *t) {
    for (const char *s = text; *s; s++) {
        if (*s != '$') {
            sb_putc(sb, *s);
            continue;
        }
        switch (*++s) {
        case 'T':
            sb_puts(sb, t->name);
            break;
        case 'F':
            sb_puts(sb, t->suffix);
            break;
        case 'U': /* the unsigned integer of the type's width, and its top bit */
            sb_puts(sb, t->size == 4 ? "uint32_t" : "uint64_t");
            break;
        case 'S':
            sb_puts(sb, t->size == 4 ? "31" : "63");
            break;
        case 'E': /* an argument of exp below the largest whose value is finite */
            codegen_literal(sb, t, t->size == 4 ? 88 : 709);
            break;
        case '0':
            codegen_literal(sb, t, 0);
            break;
        case '1':
            codegen_literal(sb, t, 1);
            break;
        case 'm':
            codegen_literal(sb, t, t->min_normal);
            break;
        case 'M':
            codegen_literal(sb, t, t->max);
            break;
        case '(': { /* $(0.5): a number, as a literal of the type */
            char *end;
            codegen_literal(sb, t, strtod(s + 1, &end));
            s = *end == ')' ? end : s;
            break;
        }
        default: /* a row of the table is wrong */
            sb_putc(sb, '$');
            s--;
            break;
        }
    }
}

void codegen_helpers(StrBuf *sb, CodegenHelperSet used, const CodegenType *t) {
    for (int h = 0; h < CH_COUNT; h++) {
        if (!(used & CODEGEN_HELPER_BIT(h)))
            continue;
        /* the guard: SD_<NAME><SUFFIX>_DEFINED, e.g. SD_RELUF_DEFINED */
        char guard[64];
        snprintf(guard, sizeof guard, "SD_%s%s_DEFINED", helpers[h].name, t->suffix);
        for (char *g = guard; *g; g++)
            *g = (char)toupper((unsigned char)*g);
        sb_puts(sb, "/* ");
        codegen_expand(sb, helpers[h].comment, t);
        sb_printf(sb, " */\n#ifndef %s\n#define %s\n", guard, guard);
        if (helper_shape[h].before)
            codegen_expand(sb, helper_shape[h].before, t);
        sb_printf(sb, "static inline %s ", helper_shape[h].ret ? helper_shape[h].ret : t->name);
        codegen_helper_name(sb, (CodegenHelper)h, t);
        sb_putc(sb, '(');
        codegen_expand(sb, helpers[h].params, t);
        sb_puts(sb, ")\n{\n");
        codegen_expand(sb, helpers[h].body, t);
        sb_puts(sb, "}\n#endif\n\n");
    }
}

/* --- names ----------------------------------------------------------------------- */

/* Why a name of the table is taken. */
typedef enum NameKind {
    NAME_C_KEYWORD,
    NAME_CXX_KEYWORD,
    NAME_MATH,
    NAME_STDDEF,
    NAME_STDINT,
    NAME_STDIO,
    NAME_STDLIB,
    NAME_STRING,
    NAME_GENERATED,
    NAME_PREDEFINED
} NameKind;

static const char *const name_reason[] = {
    [NAME_C_KEYWORD] = "is a keyword of C",
    [NAME_CXX_KEYWORD] = "is a keyword of C++, where the header is used too",
    [NAME_MATH] = "is declared by <math.h>, which the kernel includes",
    [NAME_STDDEF] = "is declared by <stddef.h>, which the kernel includes",
    [NAME_STDINT] = "is declared by <stdint.h>, which the --emit-test program includes",
    [NAME_STDIO] = "is declared by <stdio.h>, which the --emit-test and --emit-main programs include",
    [NAME_STDLIB] = "is declared by <stdlib.h>, which the --emit-main program includes",
    [NAME_STRING] = "is declared by <string.h>, which the --emit-main program includes",
    [NAME_GENERATED] = "is a name the generated files use themselves",
    [NAME_PREDEFINED] = "is a macro that gcc and clang predefine in their GNU modes",
};

/* The names a kernel may not take, in strcmp order: the keywords of C
 * (to C23) and C++ (to C++20); what <math.h> declares in glibc with
 * _GNU_SOURCE (functions in their double form: the float, long double and
 * _FloatN forms are the name plus a suffix, see math_form below); what
 * <stddef.h>, <stdint.h>, <stdio.h>, <stdlib.h> and <string.h> declare in
 * glibc's default mode (functions, macros, types and objects), since the
 * generated test and training programs include them; the names of the
 * generated files themselves; and the macros gcc and clang predefine
 * without a leading underscore.  Names with a leading '_' or holding "__"
 * are refused by rule, and so are the prefixes sd_, sdt_ and sdrt. */
static const struct {
    const char *name;
    unsigned char kind;
} reserved[] = {
    {"BIG_ENDIAN", NAME_STDLIB}, {"BUFSIZ", NAME_STDIO}, {"BYTE_ORDER", NAME_STDLIB},
    {"Data", NAME_GENERATED}, {"EOF", NAME_STDIO}, {"EXIT_FAILURE", NAME_STDLIB},
    {"EXIT_SUCCESS", NAME_STDLIB}, {"FD_CLR", NAME_STDLIB}, {"FD_ISSET", NAME_STDLIB},
    {"FD_SET", NAME_STDLIB}, {"FD_SETSIZE", NAME_STDLIB}, {"FD_ZERO", NAME_STDLIB},
    {"FILE", NAME_STDIO}, {"FILENAME_MAX", NAME_STDIO}, {"FOPEN_MAX", NAME_STDIO},
    {"FP_ILOGB0", NAME_MATH}, {"FP_ILOGBNAN", NAME_MATH}, {"FP_INFINITE", NAME_MATH},
    {"FP_INT_DOWNWARD", NAME_MATH}, {"FP_INT_TONEAREST", NAME_MATH},
    {"FP_INT_TONEARESTFROMZERO", NAME_MATH}, {"FP_INT_TOWARDZERO", NAME_MATH},
    {"FP_INT_UPWARD", NAME_MATH}, {"FP_LLOGB0", NAME_MATH}, {"FP_LLOGBNAN", NAME_MATH},
    {"FP_NAN", NAME_MATH}, {"FP_NORMAL", NAME_MATH}, {"FP_SUBNORMAL", NAME_MATH},
    {"FP_ZERO", NAME_MATH}, {"HI", NAME_GENERATED}, {"HUGE_VAL", NAME_MATH},
    {"HUGE_VALF", NAME_MATH}, {"HUGE_VALL", NAME_MATH}, {"HUGE_VAL_F128", NAME_MATH},
    {"HUGE_VAL_F32", NAME_MATH}, {"HUGE_VAL_F32X", NAME_MATH}, {"HUGE_VAL_F64", NAME_MATH},
    {"HUGE_VAL_F64X", NAME_MATH}, {"INFINITY", NAME_MATH}, {"INT16_C", NAME_STDINT},
    {"INT16_MAX", NAME_STDINT}, {"INT16_MIN", NAME_STDINT}, {"INT32_C", NAME_STDINT},
    {"INT32_MAX", NAME_STDINT}, {"INT32_MIN", NAME_STDINT}, {"INT64_C", NAME_STDINT},
    {"INT64_MAX", NAME_STDINT}, {"INT64_MIN", NAME_STDINT}, {"INT8_C", NAME_STDINT},
    {"INT8_MAX", NAME_STDINT}, {"INT8_MIN", NAME_STDINT}, {"INTMAX_C", NAME_STDINT},
    {"INTMAX_MAX", NAME_STDINT}, {"INTMAX_MIN", NAME_STDINT}, {"INTPTR_MAX", NAME_STDINT},
    {"INTPTR_MIN", NAME_STDINT}, {"INT_FAST16_MAX", NAME_STDINT}, {"INT_FAST16_MIN", NAME_STDINT},
    {"INT_FAST32_MAX", NAME_STDINT}, {"INT_FAST32_MIN", NAME_STDINT},
    {"INT_FAST64_MAX", NAME_STDINT}, {"INT_FAST64_MIN", NAME_STDINT},
    {"INT_FAST8_MAX", NAME_STDINT}, {"INT_FAST8_MIN", NAME_STDINT},
    {"INT_LEAST16_MAX", NAME_STDINT}, {"INT_LEAST16_MIN", NAME_STDINT},
    {"INT_LEAST32_MAX", NAME_STDINT}, {"INT_LEAST32_MIN", NAME_STDINT},
    {"INT_LEAST64_MAX", NAME_STDINT}, {"INT_LEAST64_MIN", NAME_STDINT},
    {"INT_LEAST8_MAX", NAME_STDINT}, {"INT_LEAST8_MIN", NAME_STDINT},
    {"LITTLE_ENDIAN", NAME_STDLIB}, {"LO", NAME_GENERATED}, {"L_ctermid", NAME_STDIO},
    {"L_tmpnam", NAME_STDIO}, {"MATH_ERREXCEPT", NAME_MATH}, {"MATH_ERRNO", NAME_MATH},
    {"MAXFLOAT", NAME_MATH}, {"MB_CUR_MAX", NAME_STDLIB}, {"M_1_PI", NAME_MATH},
    {"M_2_PI", NAME_MATH}, {"M_2_SQRTPI", NAME_MATH}, {"M_E", NAME_MATH}, {"M_LN10", NAME_MATH},
    {"M_LN2", NAME_MATH}, {"M_LOG10E", NAME_MATH}, {"M_LOG2E", NAME_MATH}, {"M_PI", NAME_MATH},
    {"M_PI_2", NAME_MATH}, {"M_PI_4", NAME_MATH}, {"M_SQRT1_2", NAME_MATH}, {"M_SQRT2", NAME_MATH},
    {"NAN", NAME_MATH}, {"NFDBITS", NAME_STDLIB}, {"NULL", NAME_STDDEF},
    {"PDP_ENDIAN", NAME_STDLIB}, {"PTRDIFF_MAX", NAME_STDINT}, {"PTRDIFF_MIN", NAME_STDINT},
    {"P_tmpdir", NAME_STDIO}, {"RAND_MAX", NAME_STDLIB}, {"SEEK_CUR", NAME_STDIO},
    {"SEEK_END", NAME_STDIO}, {"SEEK_SET", NAME_STDIO}, {"SIG_ATOMIC_MAX", NAME_STDINT},
    {"SIG_ATOMIC_MIN", NAME_STDINT}, {"SIZE_MAX", NAME_STDINT}, {"SNAN", NAME_MATH},
    {"SNANF", NAME_MATH}, {"SNANF128", NAME_MATH}, {"SNANF32", NAME_MATH}, {"SNANF32X", NAME_MATH},
    {"SNANF64", NAME_MATH}, {"SNANF64X", NAME_MATH}, {"SNANL", NAME_MATH},
    {"SYMDIFF_SDRT_H", NAME_GENERATED}, {"TMP_MAX", NAME_STDIO}, {"UINT16_C", NAME_STDINT},
    {"UINT16_MAX", NAME_STDINT}, {"UINT32_C", NAME_STDINT}, {"UINT32_MAX", NAME_STDINT},
    {"UINT64_C", NAME_STDINT}, {"UINT64_MAX", NAME_STDINT}, {"UINT8_C", NAME_STDINT},
    {"UINT8_MAX", NAME_STDINT}, {"UINTMAX_C", NAME_STDINT}, {"UINTMAX_MAX", NAME_STDINT},
    {"UINTPTR_MAX", NAME_STDINT}, {"UINT_FAST16_MAX", NAME_STDINT},
    {"UINT_FAST32_MAX", NAME_STDINT}, {"UINT_FAST64_MAX", NAME_STDINT},
    {"UINT_FAST8_MAX", NAME_STDINT}, {"UINT_LEAST16_MAX", NAME_STDINT},
    {"UINT_LEAST32_MAX", NAME_STDINT}, {"UINT_LEAST64_MAX", NAME_STDINT},
    {"UINT_LEAST8_MAX", NAME_STDINT}, {"WCHAR_MAX", NAME_STDINT}, {"WCHAR_MIN", NAME_STDINT},
    {"WCONTINUED", NAME_STDLIB}, {"WEXITED", NAME_STDLIB}, {"WEXITSTATUS", NAME_STDLIB},
    {"WIFCONTINUED", NAME_STDLIB}, {"WIFEXITED", NAME_STDLIB}, {"WIFSIGNALED", NAME_STDLIB},
    {"WIFSTOPPED", NAME_STDLIB}, {"WINT_MAX", NAME_STDINT}, {"WINT_MIN", NAME_STDINT},
    {"WNOHANG", NAME_STDLIB}, {"WNOWAIT", NAME_STDLIB}, {"WSTOPPED", NAME_STDLIB},
    {"WSTOPSIG", NAME_STDLIB}, {"WTERMSIG", NAME_STDLIB}, {"WUNTRACED", NAME_STDLIB},
    {"a64l", NAME_STDLIB}, {"abort", NAME_STDLIB}, {"abs", NAME_STDLIB}, {"acos", NAME_MATH},
    {"acosh", NAME_MATH}, {"alignas", NAME_C_KEYWORD}, {"aligned_alloc", NAME_STDLIB},
    {"alignof", NAME_C_KEYWORD}, {"alloca", NAME_STDLIB}, {"and", NAME_CXX_KEYWORD},
    {"and_eq", NAME_CXX_KEYWORD}, {"arc4random", NAME_STDLIB}, {"arc4random_buf", NAME_STDLIB},
    {"arc4random_uniform", NAME_STDLIB}, {"asin", NAME_MATH}, {"asinh", NAME_MATH},
    {"asm", NAME_CXX_KEYWORD}, {"at_quick_exit", NAME_STDLIB}, {"atan", NAME_MATH},
    {"atan2", NAME_MATH}, {"atanh", NAME_MATH}, {"atexit", NAME_STDLIB}, {"atof", NAME_STDLIB},
    {"atoi", NAME_STDLIB}, {"atol", NAME_STDLIB}, {"atoll", NAME_STDLIB}, {"auto", NAME_C_KEYWORD},
    {"batch_loss", NAME_GENERATED}, {"bcmp", NAME_STRING}, {"bcopy", NAME_STRING},
    {"be16toh", NAME_STDLIB}, {"be32toh", NAME_STDLIB}, {"be64toh", NAME_STDLIB},
    {"bitand", NAME_CXX_KEYWORD}, {"bitor", NAME_CXX_KEYWORD}, {"blkcnt_t", NAME_STDLIB},
    {"blksize_t", NAME_STDLIB}, {"bool", NAME_C_KEYWORD}, {"break", NAME_C_KEYWORD},
    {"bsearch", NAME_STDLIB}, {"bzero", NAME_STRING}, {"caddr_t", NAME_STDLIB},
    {"calloc", NAME_STDLIB}, {"canonicalize", NAME_MATH}, {"case", NAME_C_KEYWORD},
    {"catch", NAME_CXX_KEYWORD}, {"cbrt", NAME_MATH}, {"ceil", NAME_MATH}, {"char", NAME_C_KEYWORD},
    {"char16_t", NAME_CXX_KEYWORD}, {"char32_t", NAME_CXX_KEYWORD}, {"char8_t", NAME_CXX_KEYWORD},
    {"class", NAME_CXX_KEYWORD}, {"clearenv", NAME_STDLIB}, {"clearerr", NAME_STDIO},
    {"clearerr_unlocked", NAME_STDIO}, {"clock_t", NAME_STDLIB}, {"clockid_t", NAME_STDLIB},
    {"co_await", NAME_CXX_KEYWORD}, {"co_return", NAME_CXX_KEYWORD}, {"co_yield", NAME_CXX_KEYWORD},
    {"compl", NAME_CXX_KEYWORD}, {"concept", NAME_CXX_KEYWORD}, {"const", NAME_C_KEYWORD},
    {"const_cast", NAME_CXX_KEYWORD}, {"consteval", NAME_CXX_KEYWORD},
    {"constexpr", NAME_C_KEYWORD}, {"constinit", NAME_CXX_KEYWORD}, {"continue", NAME_C_KEYWORD},
    {"copysign", NAME_MATH}, {"cos", NAME_MATH}, {"cosh", NAME_MATH}, {"ctermid", NAME_STDIO},
    {"dadd", NAME_MATH}, {"daddr_t", NAME_STDLIB}, {"ddiv", NAME_MATH},
    {"decltype", NAME_CXX_KEYWORD}, {"default", NAME_C_KEYWORD}, {"delete", NAME_CXX_KEYWORD},
    {"dev_t", NAME_STDLIB}, {"dfma", NAME_MATH}, {"div", NAME_STDLIB}, {"dmul", NAME_MATH},
    {"do", NAME_C_KEYWORD}, {"double", NAME_C_KEYWORD}, {"double_t", NAME_MATH},
    {"dprintf", NAME_STDIO}, {"drand48", NAME_STDLIB}, {"drand48_r", NAME_STDLIB},
    {"drem", NAME_MATH}, {"dsqrt", NAME_MATH}, {"dsub", NAME_MATH},
    {"dynamic_cast", NAME_CXX_KEYWORD}, {"ecvt", NAME_STDLIB}, {"ecvt_r", NAME_STDLIB},
    {"else", NAME_C_KEYWORD}, {"enum", NAME_C_KEYWORD}, {"erand48", NAME_STDLIB},
    {"erand48_r", NAME_STDLIB}, {"erf", NAME_MATH}, {"erfc", NAME_MATH}, {"exit", NAME_STDLIB},
    {"exp", NAME_MATH}, {"exp10", NAME_MATH}, {"exp2", NAME_MATH}, {"explicit", NAME_CXX_KEYWORD},
    {"explicit_bzero", NAME_STRING}, {"expm1", NAME_MATH}, {"export", NAME_CXX_KEYWORD},
    {"extern", NAME_C_KEYWORD}, {"fabs", NAME_MATH}, {"fadd", NAME_MATH}, {"false", NAME_C_KEYWORD},
    {"fclose", NAME_STDIO}, {"fcvt", NAME_STDLIB}, {"fcvt_r", NAME_STDLIB},
    {"fd_mask", NAME_STDLIB}, {"fdim", NAME_MATH}, {"fdiv", NAME_MATH}, {"fdopen", NAME_STDIO},
    {"feof", NAME_STDIO}, {"feof_unlocked", NAME_STDIO}, {"ferror", NAME_STDIO},
    {"ferror_unlocked", NAME_STDIO}, {"fflush", NAME_STDIO}, {"fflush_unlocked", NAME_STDIO},
    {"ffma", NAME_MATH}, {"ffs", NAME_STRING}, {"ffsl", NAME_STRING}, {"ffsll", NAME_STRING},
    {"fgetc", NAME_STDIO}, {"fgetc_unlocked", NAME_STDIO}, {"fgetpos", NAME_STDIO},
    {"fgets", NAME_STDIO}, {"fileno", NAME_STDIO}, {"fileno_unlocked", NAME_STDIO},
    {"finite", NAME_MATH}, {"float", NAME_C_KEYWORD}, {"float_t", NAME_MATH},
    {"flockfile", NAME_STDIO}, {"floor", NAME_MATH}, {"fma", NAME_MATH}, {"fmax", NAME_MATH},
    {"fmaximum", NAME_MATH}, {"fmaximum_mag", NAME_MATH}, {"fmaximum_mag_num", NAME_MATH},
    {"fmaximum_num", NAME_MATH}, {"fmaxmag", NAME_MATH}, {"fmemopen", NAME_STDIO},
    {"fmin", NAME_MATH}, {"fminimum", NAME_MATH}, {"fminimum_mag", NAME_MATH},
    {"fminimum_mag_num", NAME_MATH}, {"fminimum_num", NAME_MATH}, {"fminmag", NAME_MATH},
    {"fmod", NAME_MATH}, {"fmul", NAME_MATH}, {"fopen", NAME_STDIO}, {"for", NAME_C_KEYWORD},
    {"fpclassify", NAME_MATH}, {"fpos_t", NAME_STDIO}, {"fprintf", NAME_STDIO},
    {"fputc", NAME_STDIO}, {"fputc_unlocked", NAME_STDIO}, {"fputs", NAME_STDIO},
    {"fread", NAME_STDIO}, {"fread_unlocked", NAME_STDIO}, {"free", NAME_STDLIB},
    {"freopen", NAME_STDIO}, {"frexp", NAME_MATH}, {"friend", NAME_CXX_KEYWORD},
    {"fromfp", NAME_MATH}, {"fromfpx", NAME_MATH}, {"fsblkcnt_t", NAME_STDLIB},
    {"fscanf", NAME_STDIO}, {"fseek", NAME_STDIO}, {"fseeko", NAME_STDIO}, {"fsetpos", NAME_STDIO},
    {"fsfilcnt_t", NAME_STDLIB}, {"fsid_t", NAME_STDLIB}, {"fsqrt", NAME_MATH}, {"fsub", NAME_MATH},
    {"ftell", NAME_STDIO}, {"ftello", NAME_STDIO}, {"ftrylockfile", NAME_STDIO},
    {"funlockfile", NAME_STDIO}, {"fwrite", NAME_STDIO}, {"fwrite_unlocked", NAME_STDIO},
    {"gamma", NAME_MATH}, {"gcvt", NAME_STDLIB}, {"getc", NAME_STDIO},
    {"getc_unlocked", NAME_STDIO}, {"getchar", NAME_STDIO}, {"getchar_unlocked", NAME_STDIO},
    {"getdelim", NAME_STDIO}, {"getenv", NAME_STDLIB}, {"getline", NAME_STDIO},
    {"getloadavg", NAME_STDLIB}, {"getpayload", NAME_MATH}, {"getsubopt", NAME_STDLIB},
    {"getw", NAME_STDIO}, {"gid_t", NAME_STDLIB}, {"goto", NAME_C_KEYWORD},
    {"htobe16", NAME_STDLIB}, {"htobe32", NAME_STDLIB}, {"htobe64", NAME_STDLIB},
    {"htole16", NAME_STDLIB}, {"htole32", NAME_STDLIB}, {"htole64", NAME_STDLIB},
    {"hypot", NAME_MATH}, {"i386", NAME_PREDEFINED}, {"id_t", NAME_STDLIB}, {"if", NAME_C_KEYWORD},
    {"ilogb", NAME_MATH}, {"index", NAME_STRING}, {"initstate", NAME_STDLIB},
    {"initstate_r", NAME_STDLIB}, {"inline", NAME_C_KEYWORD}, {"ino_t", NAME_STDLIB},
    {"int", NAME_C_KEYWORD}, {"int16_t", NAME_STDINT}, {"int32_t", NAME_STDINT},
    {"int64_t", NAME_STDINT}, {"int8_t", NAME_STDINT}, {"int_fast16_t", NAME_STDINT},
    {"int_fast32_t", NAME_STDINT}, {"int_fast64_t", NAME_STDINT}, {"int_fast8_t", NAME_STDINT},
    {"int_least16_t", NAME_STDINT}, {"int_least32_t", NAME_STDINT}, {"int_least64_t", NAME_STDINT},
    {"int_least8_t", NAME_STDINT}, {"intmax_t", NAME_STDINT}, {"intptr_t", NAME_STDINT},
    {"iscanonical", NAME_MATH}, {"iseqsig", NAME_MATH}, {"isfinite", NAME_MATH},
    {"isgreater", NAME_MATH}, {"isgreaterequal", NAME_MATH}, {"isinf", NAME_MATH},
    {"isless", NAME_MATH}, {"islessequal", NAME_MATH}, {"islessgreater", NAME_MATH},
    {"isnan", NAME_MATH}, {"isnormal", NAME_MATH}, {"issignaling", NAME_MATH},
    {"issubnormal", NAME_MATH}, {"isunordered", NAME_MATH}, {"iszero", NAME_MATH},
    {"j0", NAME_MATH}, {"j1", NAME_MATH}, {"jn", NAME_MATH}, {"jrand48", NAME_STDLIB},
    {"jrand48_r", NAME_STDLIB}, {"key_t", NAME_STDLIB}, {"l64a", NAME_STDLIB},
    {"labs", NAME_STDLIB}, {"lcong48", NAME_STDLIB}, {"lcong48_r", NAME_STDLIB},
    {"ldexp", NAME_MATH}, {"ldiv", NAME_STDLIB}, {"le16toh", NAME_STDLIB}, {"le32toh", NAME_STDLIB},
    {"le64toh", NAME_STDLIB}, {"lgamma", NAME_MATH}, {"lgamma_r", NAME_MATH},
    {"linux", NAME_PREDEFINED}, {"llabs", NAME_STDLIB}, {"lldiv", NAME_STDLIB},
    {"llogb", NAME_MATH}, {"llrint", NAME_MATH}, {"llround", NAME_MATH}, {"locale_t", NAME_STRING},
    {"loff_t", NAME_STDLIB}, {"log", NAME_MATH}, {"log10", NAME_MATH}, {"log1p", NAME_MATH},
    {"log2", NAME_MATH}, {"logb", NAME_MATH}, {"long", NAME_C_KEYWORD}, {"lrand48", NAME_STDLIB},
    {"lrand48_r", NAME_STDLIB}, {"lrint", NAME_MATH}, {"lround", NAME_MATH},
    {"main", NAME_GENERATED}, {"malloc", NAME_STDLIB}, {"math_errhandling", NAME_MATH},
    {"mblen", NAME_STDLIB}, {"mbstowcs", NAME_STDLIB}, {"mbtowc", NAME_STDLIB},
    {"memccpy", NAME_STRING}, {"memchr", NAME_STRING}, {"memcmp", NAME_STRING},
    {"memcpy", NAME_STRING}, {"memmove", NAME_STRING}, {"memset", NAME_STRING},
    {"mkdtemp", NAME_STDLIB}, {"mkstemp", NAME_STDLIB}, {"mkstemps", NAME_STDLIB},
    {"mktemp", NAME_STDLIB}, {"mode_t", NAME_STDLIB}, {"modf", NAME_MATH}, {"mrand48", NAME_STDLIB},
    {"mrand48_r", NAME_STDLIB}, {"mutable", NAME_CXX_KEYWORD}, {"namespace", NAME_CXX_KEYWORD},
    {"nan", NAME_MATH}, {"nearbyint", NAME_MATH}, {"new", NAME_CXX_KEYWORD},
    {"nextafter", NAME_MATH}, {"nextdown", NAME_MATH}, {"nexttoward", NAME_MATH},
    {"nextup", NAME_MATH}, {"nlink_t", NAME_STDLIB}, {"noexcept", NAME_CXX_KEYWORD},
    {"not", NAME_CXX_KEYWORD}, {"not_eq", NAME_CXX_KEYWORD}, {"nrand48", NAME_STDLIB},
    {"nrand48_r", NAME_STDLIB}, {"nullptr", NAME_C_KEYWORD}, {"off_t", NAME_STDIO},
    {"offsetof", NAME_STDDEF}, {"on_exit", NAME_STDLIB}, {"open_memstream", NAME_STDIO},
    {"operator", NAME_CXX_KEYWORD}, {"or", NAME_CXX_KEYWORD}, {"or_eq", NAME_CXX_KEYWORD},
    {"pclose", NAME_STDIO}, {"perror", NAME_STDIO}, {"pid_t", NAME_STDLIB}, {"popen", NAME_STDIO},
    {"posix_memalign", NAME_STDLIB}, {"pow", NAME_MATH}, {"printf", NAME_STDIO},
    {"private", NAME_CXX_KEYWORD}, {"protected", NAME_CXX_KEYWORD}, {"pselect", NAME_STDLIB},
    {"pthread_attr_t", NAME_STDLIB}, {"pthread_key_t", NAME_STDLIB},
    {"pthread_once_t", NAME_STDLIB}, {"pthread_spinlock_t", NAME_STDLIB},
    {"pthread_t", NAME_STDLIB}, {"ptrdiff_t", NAME_STDDEF}, {"public", NAME_CXX_KEYWORD},
    {"putc", NAME_STDIO}, {"putc_unlocked", NAME_STDIO}, {"putchar", NAME_STDIO},
    {"putchar_unlocked", NAME_STDIO}, {"putenv", NAME_STDLIB}, {"puts", NAME_STDIO},
    {"putw", NAME_STDIO}, {"qecvt", NAME_STDLIB}, {"qecvt_r", NAME_STDLIB}, {"qfcvt", NAME_STDLIB},
    {"qfcvt_r", NAME_STDLIB}, {"qgcvt", NAME_STDLIB}, {"qsort", NAME_STDLIB},
    {"quad_t", NAME_STDLIB}, {"quick_exit", NAME_STDLIB}, {"rand", NAME_STDLIB},
    {"rand_r", NAME_STDLIB}, {"random", NAME_STDLIB}, {"random_r", NAME_STDLIB},
    {"realloc", NAME_STDLIB}, {"reallocarray", NAME_STDLIB}, {"realpath", NAME_STDLIB},
    {"register", NAME_C_KEYWORD}, {"reinterpret_cast", NAME_CXX_KEYWORD}, {"remainder", NAME_MATH},
    {"remove", NAME_STDIO}, {"remquo", NAME_MATH}, {"rename", NAME_STDIO}, {"renameat", NAME_STDIO},
    {"requires", NAME_CXX_KEYWORD}, {"restrict", NAME_C_KEYWORD}, {"return", NAME_C_KEYWORD},
    {"rewind", NAME_STDIO}, {"rindex", NAME_STRING}, {"rint", NAME_MATH}, {"round", NAME_MATH},
    {"roundeven", NAME_MATH}, {"rpmatch", NAME_STDLIB}, {"scalb", NAME_MATH},
    {"scalbln", NAME_MATH}, {"scalbn", NAME_MATH}, {"scanf", NAME_STDIO}, {"seed48", NAME_STDLIB},
    {"seed48_r", NAME_STDLIB}, {"select", NAME_STDLIB}, {"setbuf", NAME_STDIO},
    {"setbuffer", NAME_STDIO}, {"setenv", NAME_STDLIB}, {"setlinebuf", NAME_STDIO},
    {"setpayload", NAME_MATH}, {"setpayloadsig", NAME_MATH}, {"setstate", NAME_STDLIB},
    {"setstate_r", NAME_STDLIB}, {"setvbuf", NAME_STDIO}, {"short", NAME_C_KEYWORD},
    {"signbit", NAME_MATH}, {"signed", NAME_C_KEYWORD}, {"signgam", NAME_MATH},
    {"significand", NAME_MATH}, {"sigset_t", NAME_STDLIB}, {"sin", NAME_MATH},
    {"sincos", NAME_MATH}, {"sinh", NAME_MATH}, {"size_t", NAME_STDDEF}, {"sizeof", NAME_C_KEYWORD},
    {"snprintf", NAME_STDIO}, {"sprintf", NAME_STDIO}, {"sqrt", NAME_MATH}, {"srand", NAME_STDLIB},
    {"srand48", NAME_STDLIB}, {"srand48_r", NAME_STDLIB}, {"srandom", NAME_STDLIB},
    {"srandom_r", NAME_STDLIB}, {"sscanf", NAME_STDIO}, {"ssize_t", NAME_STDIO},
    {"static", NAME_C_KEYWORD}, {"static_assert", NAME_C_KEYWORD},
    {"static_cast", NAME_CXX_KEYWORD}, {"stderr", NAME_STDIO}, {"stdin", NAME_STDIO},
    {"stdout", NAME_STDIO}, {"stpcpy", NAME_STRING}, {"stpncpy", NAME_STRING},
    {"strcasecmp", NAME_STRING}, {"strcasecmp_l", NAME_STRING}, {"strcat", NAME_STRING},
    {"strchr", NAME_STRING}, {"strcmp", NAME_STRING}, {"strcoll", NAME_STRING},
    {"strcoll_l", NAME_STRING}, {"strcpy", NAME_STRING}, {"strcspn", NAME_STRING},
    {"strdup", NAME_STRING}, {"strerror", NAME_STRING}, {"strerror_l", NAME_STRING},
    {"strerror_r", NAME_STRING}, {"strlen", NAME_STRING}, {"strncasecmp", NAME_STRING},
    {"strncasecmp_l", NAME_STRING}, {"strncat", NAME_STRING}, {"strncmp", NAME_STRING},
    {"strncpy", NAME_STRING}, {"strndup", NAME_STRING}, {"strnlen", NAME_STRING},
    {"strpbrk", NAME_STRING}, {"strrchr", NAME_STRING}, {"strsep", NAME_STRING},
    {"strsignal", NAME_STRING}, {"strspn", NAME_STRING}, {"strstr", NAME_STRING},
    {"strtod", NAME_STDLIB}, {"strtof", NAME_STDLIB}, {"strtok", NAME_STRING},
    {"strtok_r", NAME_STRING}, {"strtol", NAME_STDLIB}, {"strtold", NAME_STDLIB},
    {"strtoll", NAME_STDLIB}, {"strtoq", NAME_STDLIB}, {"strtoul", NAME_STDLIB},
    {"strtoull", NAME_STDLIB}, {"strtouq", NAME_STDLIB}, {"struct", NAME_C_KEYWORD},
    {"strxfrm", NAME_STRING}, {"strxfrm_l", NAME_STRING}, {"suseconds_t", NAME_STDLIB},
    {"switch", NAME_C_KEYWORD}, {"system", NAME_STDLIB}, {"tan", NAME_MATH}, {"tanh", NAME_MATH},
    {"template", NAME_CXX_KEYWORD}, {"tempnam", NAME_STDIO}, {"tgamma", NAME_MATH},
    {"this", NAME_CXX_KEYWORD}, {"thread_local", NAME_C_KEYWORD}, {"throw", NAME_CXX_KEYWORD},
    {"time_t", NAME_STDLIB}, {"timer_t", NAME_STDLIB}, {"tmpfile", NAME_STDIO},
    {"tmpnam", NAME_STDIO}, {"tmpnam_r", NAME_STDIO}, {"totalorder", NAME_MATH},
    {"totalordermag", NAME_MATH}, {"true", NAME_C_KEYWORD}, {"trunc", NAME_MATH},
    {"try", NAME_CXX_KEYWORD}, {"typedef", NAME_C_KEYWORD}, {"typeid", NAME_CXX_KEYWORD},
    {"typename", NAME_CXX_KEYWORD}, {"typeof", NAME_C_KEYWORD}, {"typeof_unqual", NAME_C_KEYWORD},
    {"u_char", NAME_STDLIB}, {"u_int", NAME_STDLIB}, {"u_int16_t", NAME_STDLIB},
    {"u_int32_t", NAME_STDLIB}, {"u_int64_t", NAME_STDLIB}, {"u_int8_t", NAME_STDLIB},
    {"u_long", NAME_STDLIB}, {"u_quad_t", NAME_STDLIB}, {"u_short", NAME_STDLIB},
    {"ufromfp", NAME_MATH}, {"ufromfpx", NAME_MATH}, {"uid_t", NAME_STDLIB}, {"uint", NAME_STDLIB},
    {"uint16_t", NAME_STDINT}, {"uint32_t", NAME_STDINT}, {"uint64_t", NAME_STDINT},
    {"uint8_t", NAME_STDINT}, {"uint_fast16_t", NAME_STDINT}, {"uint_fast32_t", NAME_STDINT},
    {"uint_fast64_t", NAME_STDINT}, {"uint_fast8_t", NAME_STDINT}, {"uint_least16_t", NAME_STDINT},
    {"uint_least32_t", NAME_STDINT}, {"uint_least64_t", NAME_STDINT},
    {"uint_least8_t", NAME_STDINT}, {"uintmax_t", NAME_STDINT}, {"uintptr_t", NAME_STDINT},
    {"ulong", NAME_STDLIB}, {"ungetc", NAME_STDIO}, {"union", NAME_C_KEYWORD},
    {"unix", NAME_PREDEFINED}, {"unsetenv", NAME_STDLIB}, {"unsigned", NAME_C_KEYWORD},
    {"ushort", NAME_STDLIB}, {"using", NAME_CXX_KEYWORD}, {"va_list", NAME_STDIO},
    {"valloc", NAME_STDLIB}, {"vdprintf", NAME_STDIO}, {"vfprintf", NAME_STDIO},
    {"vfscanf", NAME_STDIO}, {"virtual", NAME_CXX_KEYWORD}, {"void", NAME_C_KEYWORD},
    {"volatile", NAME_C_KEYWORD}, {"vprintf", NAME_STDIO}, {"vscanf", NAME_STDIO},
    {"vsnprintf", NAME_STDIO}, {"vsprintf", NAME_STDIO}, {"vsscanf", NAME_STDIO},
    {"wchar_t", NAME_CXX_KEYWORD}, {"wcstombs", NAME_STDLIB}, {"wctomb", NAME_STDLIB},
    {"while", NAME_C_KEYWORD}, {"xor", NAME_CXX_KEYWORD}, {"xor_eq", NAME_CXX_KEYWORD},
    {"y0", NAME_MATH}, {"y1", NAME_MATH}, {"yn", NAME_MATH},
};

static int by_name(const void *key, const void *entry) {
    return strcmp((const char *)key, *(const char *const *)entry);
}

static int lookup(const char *name) {
    const void *e = bsearch(name, reserved, sizeof reserved / sizeof *reserved, sizeof *reserved, by_name);
    return e ? (int)((const char *)e - (const char *)reserved) / (int)sizeof *reserved : -1;
}

const char *codegen_reserved_name(size_t i) {
    return i < sizeof reserved / sizeof *reserved ? reserved[i].name : NULL;
}

/* Is name declared by <math.h>: in the table, or a form of a name there
 * with a type suffix (expf, cosl, sqrtf128, M_PIf, lgammaf_r), or, when
 * `narrowing`, an operation of fadd's family from another format
 * (f32addf64, f64xsqrtf128: faddf64, fsqrtf128)? */
static int math_name(const char *name, int narrowing) {
    static const char *const suffixes[] = {"f128x", "f32x", "f64x", "f128", "f16", "f32", "f64", "f", "l"};
    static const char *const formats[] = {"f128x", "f32x", "f64x", "f128", "f16", "f32", "f64"};
    int k = lookup(name);
    if (k >= 0)
        return reserved[k].kind == NAME_MATH;
    char buf[CODEGEN_MAX_NAME + 8];
    size_t len = strlen(name);
    if (len + 2 >= sizeof buf)
        return 0;
    /* the _r forms carry the suffix before the _r: lgammaf_r */
    int r = len > 2 && strcmp(name + len - 2, "_r") == 0;
    size_t stem = r ? len - 2 : len;
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        size_t n = strlen(suffixes[i]);
        if (stem > n && strncmp(name + stem - n, suffixes[i], n) == 0) {
            snprintf(buf, sizeof buf, "%.*s%s", (int)(stem - n), name, r ? "_r" : "");
            k = lookup(buf);
            if (k >= 0 && reserved[k].kind == NAME_MATH)
                return 1;
        }
    }
    for (size_t i = 0; narrowing && i < sizeof formats / sizeof *formats; i++) {
        size_t n = strlen(formats[i]);
        if (len > n && strncmp(name, formats[i], n) == 0 && islower((unsigned char)name[n])) {
            snprintf(buf, sizeof buf, "f%s", name + n);
            if (math_name(buf, 0))
                return 1;
        }
    }
    return 0;
}

const char *codegen_name_problem(const char *name) {
    if (!name || !*name)
        return "is empty";
    if (!(isalpha((unsigned char)*name) || *name == '_'))
        return "is not a C identifier (letters, digits and '_', not starting with a digit)";
    for (const char *s = name; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_') || (unsigned char)*s >= 0x80)
            return "is not a C identifier (letters, digits and '_', not starting with a digit)";
    if (strlen(name) > CODEGEN_MAX_NAME)
        return "is longer than 63 characters";
    if (name[0] == '_')
        return "is reserved for the C implementation (it starts with '_')";
    if (strstr(name, "__"))
        return "is reserved for the C++ implementation (it holds \"__\")";
    static const char *const prefixes[] = {"sd_", "sdt_", "sdrt"};
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
        size_t n = strlen(prefixes[i]), k = 0;
        while (k < n && tolower((unsigned char)name[k]) == prefixes[i][k])
            k++;
        if (k == n)
            return "starts like the names of symdiff's helpers (sd_, sdt_, in any case) or runtime (sdrt)";
    }
    int k = lookup(name);
    if (k >= 0)
        return name_reason[reserved[k].kind];
    if (math_name(name, 1))
        return name_reason[NAME_MATH];
    return NULL;
}

void codegen_macro_prefix(char *buf, size_t size, const char *name) {
    size_t i = 0;
    for (; name[i] && i + 1 < size; i++)
        buf[i] = (char)toupper((unsigned char)name[i]);
    buf[i] = '\0';
}

/* --- comments ------------------------------------------------------------------------ */

/* The length of the valid UTF-8 sequence at s (2 to 4), or 0. */
static int utf8_length(const unsigned char *s) {
    int n = s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 && s[0] < 0xE0 ? 2 : 0;
    if (s[0] >= 0xF5)
        n = 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    /* no overlong forms, surrogates or code points past U+10FFFF */
    if ((n == 3 && s[0] == 0xE0 && s[1] < 0xA0) || (n == 3 && s[0] == 0xED && s[1] >= 0xA0) ||
        (n == 4 && s[0] == 0xF0 && s[1] < 0x90) || (n == 4 && s[0] == 0xF4 && s[1] >= 0x90))
        return 0;
    return n;
}

/* Removes the blanks at the end of the line being written. */
static void trim_line(StrBuf *sb, size_t line_start) {
    while (sb->len > line_start && (sb->data[sb->len - 1] == ' ' || sb->data[sb->len - 1] == '\t'))
        sb->len--;
    if (sb->data)
        sb->data[sb->len] = '\0';
}

/* A printable ASCII character that codegen_comment writes as it is,
 * whatever surrounds it: not a line break, a backslash, or a character
 * of a comment's end, a nested comment or a trigraph. */
static int comment_plain(unsigned char c) {
    return c >= 0x20 && c < 0x7f && c != '\\' && c != '/' && c != '*' && c != '?';
}

void codegen_comment(StrBuf *sb, const char *text, const char *indent) {
    size_t line = sb->len;
    sb_puts(sb, indent);
    char prev = *indent ? indent[strlen(indent) - 1] : ' ';
    /* blank lines at the end are left out */
    const unsigned char *end = (const unsigned char *)text + strlen(text);
    while (end > (const unsigned char *)text && strchr(" \t\r\n", end[-1]))
        end--;
    for (const unsigned char *s = (const unsigned char *)text; s < end; s++) {
        unsigned char c = *s;
        if (comment_plain(c)) { /* a run that needs no care, copied whole */
            const unsigned char *r = s + 1;
            while (r < end && comment_plain(*r))
                r++;
            sb_putn(sb, (const char *)s, (size_t)(r - s));
            prev = (char)r[-1];
            s = r - 1;
            continue;
        }
        if (c == '\r' && s[1] == '\n')
            continue;
        if (c == '\n') {
            trim_line(sb, line);
            sb_putc(sb, '\n');
            line = sb->len;
            sb_puts(sb, indent);
            prev = *indent ? indent[strlen(indent) - 1] : ' ';
            continue;
        }
        if (c >= 0x80) {
            int n = utf8_length(s);
            if (n) {
                sb_putn(sb, (const char *)s, (size_t)n);
                s += n - 1;
                prev = 'a';
                continue;
            }
            c = '?';
        }
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            c = '?';
        if (c == '\\') {
            /* a backslash with only blanks after it on its line would
             * splice the next line into this one */
            const unsigned char *t = s + 1;
            while (*t == ' ' || *t == '\t' || *t == '\r')
                t++;
            if (*t == '\n' || *t == '\0')
                c = '?';
        }
        /* "*" "/" would end the comment, "/" "*" nest one (-Wcomment),
         * and "??" begin a trigraph */
        if ((c == '/' && prev == '*') || (c == '*' && prev == '/') || (c == '?' && prev == '?'))
            sb_putc(sb, ' ');
        sb_putc(sb, (char)c);
        prev = (char)c;
    }
    trim_line(sb, line);
    sb_putc(sb, '\n');
}

/* --- headers ------------------------------------------------------------------------ */

void codegen_header_begin(StrBuf *h, const char *header_file, const char *version, const char *command,
                          const char *program) {
    sb_puts(h, "/*\n");
    StrBuf line;
    sb_init(&line);
    sb_printf(&line, "%s — generated by symdiff %s. Do not edit.", header_file, version);
    codegen_comment(h, sb_str(&line), " * ");
    if (line.failed)
        h->failed = 1; /* the first line was cut short */
    sb_free(&line);
    sb_puts(h, " *\n * Command:\n");
    codegen_comment(h, command ? command : "", " *   ");
    sb_puts(h, " *\n * Program:\n");
    codegen_comment(h, program ? program : "", " *   ");
}

void codegen_header_open(StrBuf *h, const char *name) {
    sb_printf(h, "#ifndef %s_H\n#define %s_H\n\n", name, name);
}

/* The pointers of the entry points: C99's restrict, __restrict in C++
 * (gcc, clang, MSVC), nothing where neither exists. */
static const char *const restrict_block =
    "#ifndef SD_RESTRICT\n"
    "#if defined(__cplusplus)\n"
    "#if defined(__GNUC__) || defined(_MSC_VER)\n"
    "#define SD_RESTRICT __restrict\n"
    "#else\n"
    "#define SD_RESTRICT\n"
    "#endif\n"
    "#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 199901L\n"
    "#define SD_RESTRICT restrict\n"
    "#else\n"
    "#define SD_RESTRICT\n"
    "#endif\n"
    "#endif\n\n"
    "#ifdef __cplusplus\n"
    "extern \"C\" {\n"
    "#endif\n\n";

void codegen_header_declarations(StrBuf *h) { sb_puts(h, restrict_block); }

void codegen_header_close(StrBuf *h, const char *name) {
    sb_printf(h, "\n#ifdef __cplusplus\n}\n#endif\n\n#endif /* %s_H */\n", name);
}

void codegen_prototype(StrBuf *sb, const CodegenType *t, int is_static, const char *ret, const char *name,
                       const char *suffix, int has_input, const char *out_arg, int has_work) {
    codegen_prototype_sizes(sb, t, is_static, ret, name, suffix, has_input, NULL, out_arg, has_work);
}

void codegen_prototype_sizes(StrBuf *sb, const CodegenType *t, int is_static, const char *ret, const char *name,
                             const char *suffix, int has_input, const char *sizes, const char *out_arg,
                             int has_work) {
    sb_printf(sb, "%s%s %s%s(const %s *SD_RESTRICT x", is_static ? "static " : "", ret, name, suffix, t->name);
    if (has_input)
        sb_printf(sb, ", const %s *SD_RESTRICT input", t->name);
    if (sizes)
        sb_puts(sb, sizes);
    if (out_arg)
        sb_printf(sb, ", %s *SD_RESTRICT %s", t->name, out_arg);
    if (has_work)
        sb_printf(sb, ", %s *SD_RESTRICT work", t->name);
    sb_putc(sb, ')');
}

void codegen_header_aliasing(StrBuf *h, const char *name, const char *deriv, const char *outputs) {
    sb_printf(h,
              " *\n"
              " * Arrays: x and input are only read, and may be the same memory;\n"
              " * %s must not overlap x, input or each other: the pointers are\n"
              " * restrict (SD_RESTRICT), and a call such as %s%s(x, x) is undefined.\n",
              outputs, name, deriv);
}

/* --- the stack ------------------------------------------------------------------------- */

/* The fixed part of a frame (return address, saved registers, alignment
 * padding, outgoing arguments) and the frame of one sd_ helper that the
 * compiler did not inline: both measured well below these on x86-64. */
enum { FRAME_FIXED = 128, FRAME_HELPER = 96, SLOT = 16 };

size_t codegen_stack_bound(long kept, long statement, long calls, size_t array_bytes) {
    long values = (kept > 0 ? kept : 0) + (statement > 0 ? statement : 0);
    return (size_t)FRAME_FIXED + (calls > 0 ? (size_t)FRAME_HELPER : 0) + (size_t)SLOT * (size_t)values + array_bytes;
}

void codegen_header_stack(StrBuf *h, const char *name, size_t stack_bytes) {
    char upper[CODEGEN_MAX_NAME + 1];
    codegen_macro_prefix(upper, sizeof upper, name);
    sb_printf(h,
              " *\n"
              " * Stack: %s_STACK_BYTES (%zu) bounds the stack frame of each entry point\n"
              " * with that of an sd_ helper it calls: %d bytes for every temporary and\n"
              " * for every value of its longest statement, its arrays, and %zu bytes of\n"
              " * fixed parts (symdiff's tests compare it with gcc's and clang's\n"
              " * -fstack-usage on x86-64, -O0 to -O3 and -Os).  The C library's\n"
              " * functions (exp, log, ...) need their own stack besides.\n",
              upper, stack_bytes, (int)SLOT, codegen_stack_bound(0, 0, 1, 0));
    if (stack_bytes > CODEGEN_STACK_BUDGET)
        sb_printf(h, " * That is more than %zu bytes: give the calling thread a stack to match.\n",
                  CODEGEN_STACK_BUDGET);
}
