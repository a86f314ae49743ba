/* SPDX-License-Identifier: MIT */
/*
 * sdrt.h — the symdiff numeric runtime (libsymdiff_rt.a).
 *
 * Everything a program needs around a generated gradient kernel: optimisers
 * (gradient descent, momentum, Adam) and learning-rate schedules, minibatch
 * iteration, a finite-difference gradient check, a deterministic PRNG,
 * synthetic datasets, a CSV loader, a training-progress reporter and a few
 * linear-algebra helpers.
 *
 * Conventions, for every function below:
 *   - double precision; vectors are `double *` plus a length `size_t n`,
 *     matrices are row-major;
 *   - no allocation and no global state: optimiser state, scratch space and
 *     outputs live in memory the caller provides (the *_SCRATCH / *_LEN
 *     macros give the sizes).  The one exception is sdrt_csv_load, which
 *     allocates its result (free it with sdrt_csv_free);
 *   - every function is reentrant; objects may be used by one thread at a time;
 *   - functions that can fail return an SdrtStatus (SDRT_OK is 0).
 *
 * Generated kernels have the signature `double f_grad(const double *x,
 * double *grad)`.  The runtime calls user code through SdrtGradFn, which
 * carries an extra context pointer; a generated kernel is wrapped in three
 * lines:
 *
 *     static double f_fn(const double *x, double *grad, void *ctx) {
 *         (void)ctx;
 *         return f_grad(x, grad);
 *     }
 *
 * See docs/runtime.md for a complete training example.
 */
#ifndef SYMDIFF_SDRT_H
#define SYMDIFF_SDRT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Status codes                                                             */
/* ------------------------------------------------------------------------ */

typedef enum SdrtStatus {
    SDRT_OK = 0,
    SDRT_ERR_ARG,       /* an argument is out of its documented range */
    SDRT_ERR_IO,        /* a file could not be opened, read or written */
    SDRT_ERR_PARSE,     /* malformed input (CSV) */
    SDRT_ERR_SHAPE,     /* inconsistent number of fields / columns */
    SDRT_ERR_EMPTY,     /* input without any data */
    SDRT_ERR_NOMEM,     /* an allocation failed (CSV loader only) */
    SDRT_ERR_SINGULAR,  /* a linear system is singular to working precision */
    SDRT_ERR_NONFINITE, /* a loss or gradient became NaN or infinite */
    SDRT_ERR_MAXSTEPS   /* an iteration limit was reached before converging */
} SdrtStatus;

/* A short lowercase description of a status ("ok", "singular matrix", ...). */
const char *sdrt_strerror(int status);

/* ------------------------------------------------------------------------ */
/* Function types                                                           */
/* ------------------------------------------------------------------------ */

/* Fills grad[0..n) with the gradient at theta and returns the value. */
typedef double (*SdrtGradFn)(const double *theta, double *grad, void *ctx);
/* Returns the value at theta. */
typedef double (*SdrtFn)(const double *theta, void *ctx);
/* The same for kernels generated with `--type float`. */
typedef float (*SdrtGradFnF)(const float *theta, float *grad, void *ctx);
typedef float (*SdrtFnF)(const float *theta, void *ctx);
/*
 * The loss of one minibatch: fills grad with the gradient of the batch loss
 * with respect to theta and returns the loss.  idx[0..count) are the sample
 * indices of the batch.  Return the *mean* over the batch so that the step
 * size does not depend on the batch size (sdrt_minibatch_epoch assumes it).
 */
typedef double (*SdrtBatchFn)(const double *theta, double *grad,
                              const size_t *idx, size_t count, void *ctx);

/* ------------------------------------------------------------------------ */
/* Deterministic PRNG: xoshiro256** seeded through splitmix64               */
/* ------------------------------------------------------------------------ */

/*
 * The raw 64-bit stream, sdrt_rng_uniform, sdrt_rng_range and sdrt_rng_below
 * are bit-identical on every platform for a given seed.  sdrt_rng_normal uses
 * log() from libm, so its values can differ in the last bit between libms.
 * Copying the struct forks the stream.
 */
typedef struct SdrtRng {
    uint64_t s[4];   /* xoshiro256** state, never all zero */
    double spare;    /* the second normal of the last polar-method pair */
    int has_spare;   /* spare holds an unused value */
} SdrtRng;

/* Seeds the generator: the four state words are splitmix64(seed) outputs. */
void sdrt_rng_seed(SdrtRng *rng, uint64_t seed);
/* The next 64 random bits. */
uint64_t sdrt_rng_next(SdrtRng *rng);
/* Uniform in [0, 1), a multiple of 2^-53. */
double sdrt_rng_uniform(SdrtRng *rng);
/* Uniform in [a, b) for a < b (a + (b-a)u, never rounded up to b). */
double sdrt_rng_range(SdrtRng *rng, double a, double b);
/* Standard normal N(0, 1) (Marsaglia's polar method). */
double sdrt_rng_normal(SdrtRng *rng);
/* Uniform integer in [0, n) without modulo bias; 0 when n is 0. */
uint64_t sdrt_rng_below(SdrtRng *rng, uint64_t n);
/* Fisher-Yates: a uniformly random permutation of idx[0..n) in place. */
void sdrt_shuffle(SdrtRng *rng, size_t *idx, size_t n);

/* ------------------------------------------------------------------------ */
/* Learning-rate schedules                                                  */
/* ------------------------------------------------------------------------ */

typedef enum SdrtScheduleKind {
    SDRT_LR_CONSTANT, /* lr(t) = lr0 */
    SDRT_LR_STEP,     /* lr(t) = lr0 * gamma^floor(t / every) */
    SDRT_LR_EXP       /* lr(t) = lr0 * gamma^(t / every), t/every real */
} SdrtScheduleKind;

typedef struct SdrtSchedule {
    SdrtScheduleKind kind;
    double lr0;   /* the learning rate at step 0 */
    double gamma; /* decay factor per `every` steps (unused when constant) */
    long every;   /* period in steps; values below 1 are taken as 1 */
} SdrtSchedule;

SdrtSchedule sdrt_schedule_constant(double lr);
SdrtSchedule sdrt_schedule_step(double lr0, double gamma, long every);
SdrtSchedule sdrt_schedule_exp(double lr0, double gamma, long every);
/* The learning rate at 0-based step `step` (negative steps count as 0). */
double sdrt_schedule_lr(const SdrtSchedule *s, long step);

/* ------------------------------------------------------------------------ */
/* Optimisers                                                               */
/* ------------------------------------------------------------------------ */

/*
 * Each optimiser is a struct, an init function and a step function
 * step(opt, theta, grad, n) that updates theta[0..n) in place from the
 * gradient at theta.  `n` must be the length given to init.  `t` counts the
 * steps taken.  When `schedule` is set (init leaves it NULL), each step first
 * sets lr = sdrt_schedule_lr(schedule, t).  State arrays (velocity, moments)
 * are the caller's: n doubles each, zeroed by init.
 */

/* Plain gradient descent: theta <- theta - lr * g. */
typedef struct SdrtGD {
    double lr;
    long t;
    const SdrtSchedule *schedule;
} SdrtGD;

void sdrt_gd_init(SdrtGD *opt, double lr);
void sdrt_gd_step(SdrtGD *opt, double *theta, const double *grad, size_t n);

/*
 * Momentum, velocity form (Sutskever et al. 2013):
 *   v <- mu v - lr g
 *   classical: theta <- theta + v
 *   Nesterov:  theta <- theta + mu v - lr g   (look-ahead, rewritten so that
 *                                              g is taken at theta itself)
 */
#define SDRT_MOMENTUM_LEN(n) ((size_t)(n)) /* doubles of state: v */
typedef struct SdrtMomentum {
    double lr, mu;
    int nesterov;
    long t;
    double *v;
    size_t n;
    const SdrtSchedule *schedule;
} SdrtMomentum;

void sdrt_momentum_init(SdrtMomentum *opt, double *v, size_t n, double lr,
                        double mu, int nesterov);
void sdrt_momentum_step(SdrtMomentum *opt, double *theta, const double *grad,
                        size_t n);

/*
 * Adam (Kingma & Ba 2015) with bias correction; at step t = 1, 2, ...:
 *   m <- b1 m + (1-b1) g          v <- b2 v + (1-b2) g^2
 *   mhat = m / (1 - b1^t)         vhat = v / (1 - b2^t)
 *   theta <- theta - lr mhat / (sqrt(vhat) + eps)
 * The first step moves each component by lr * g/(|g| + eps) ~ lr * sign(g).
 * Usual values: lr 1e-3, b1 0.9, b2 0.999, eps 1e-8.
 */
#define SDRT_ADAM_LEN(n) ((size_t)(n)) /* doubles in each of m and v */
typedef struct SdrtAdam {
    double lr, beta1, beta2, eps;
    long t;
    double *m, *v;
    size_t n;
    const SdrtSchedule *schedule;
} SdrtAdam;

void sdrt_adam_init(SdrtAdam *opt, double *m, double *v, size_t n, double lr,
                    double beta1, double beta2, double eps);
void sdrt_adam_step(SdrtAdam *opt, double *theta, const double *grad,
                    size_t n);

/* Any of the optimisers above, for the loops that take "an optimiser". */
typedef enum SdrtOptimKind {
    SDRT_OPTIM_GD,
    SDRT_OPTIM_MOMENTUM,
    SDRT_OPTIM_ADAM
} SdrtOptimKind;

typedef struct SdrtOptim {
    SdrtOptimKind kind;
    union {
        SdrtGD *gd;             /* SDRT_OPTIM_GD */
        SdrtMomentum *momentum; /* SDRT_OPTIM_MOMENTUM */
        SdrtAdam *adam;         /* SDRT_OPTIM_ADAM */
    } as;
} SdrtOptim;

SdrtOptim sdrt_optim_gd(SdrtGD *opt);
SdrtOptim sdrt_optim_momentum(SdrtMomentum *opt);
SdrtOptim sdrt_optim_adam(SdrtAdam *opt);
/* Calls the step function of the wrapped optimiser. */
void sdrt_optim_step(SdrtOptim opt, double *theta, const double *grad,
                     size_t n);

/*
 * Full-batch minimisation: repeatedly evaluates fn at theta and steps, until
 * max_i |grad_i| <= gtol (SDRT_OK), after max_steps steps
 * (SDRT_ERR_MAXSTEPS), or when the loss or gradient is not finite
 * (SDRT_ERR_NONFINITE; theta is then the point that produced it).  grad is
 * caller scratch of n doubles; on return it holds the gradient at theta.
 * res (may be NULL) receives the steps taken and the final loss and max|g|.
 */
typedef struct SdrtMinimize {
    long steps;
    double loss;
    double gmax;
} SdrtMinimize;

int sdrt_minimize(SdrtGradFn fn, void *ctx, SdrtOptim opt, double *theta,
                  double *grad, size_t n, long max_steps, double gtol,
                  SdrtMinimize *res);

/* ------------------------------------------------------------------------ */
/* Minibatches                                                              */
/* ------------------------------------------------------------------------ */

/*
 * Iterates minibatches of `size` samples over `count` samples through a
 * permutation kept in the caller's idx[0..count).  Every index appears
 * exactly once per epoch; the last batch is short when size does not divide
 * count.
 *
 *     SdrtBatcher b;  const size_t *batch;  size_t m;
 *     sdrt_batcher_init(&b, idx, N, 32);
 *     sdrt_batcher_reset(&b, &rng);             // shuffle, start an epoch
 *     while ((m = sdrt_batcher_next(&b, &batch)) > 0) { ... batch[0..m) ... }
 */
typedef struct SdrtBatcher {
    size_t *idx;  /* a permutation of 0..count-1 */
    size_t count; /* samples */
    size_t size;  /* samples per batch */
    size_t pos;   /* next position in idx */
} SdrtBatcher;

/* idx gets 0..count-1 in order; size 0 means one batch of all samples. */
void sdrt_batcher_init(SdrtBatcher *b, size_t *idx, size_t count, size_t size);
/* Starts an epoch: reshuffles idx with rng (unless NULL) and rewinds. */
void sdrt_batcher_reset(SdrtBatcher *b, SdrtRng *rng);
/* Points *batch at the next batch and returns its length; 0 at epoch end. */
size_t sdrt_batcher_next(SdrtBatcher *b, const size_t **batch);
/* Batches per epoch: ceil(count / size). */
size_t sdrt_batcher_nbatches(const SdrtBatcher *b);

/*
 * One epoch of minibatch training: resets the batcher (shuffling with rng
 * unless NULL), then for each batch calls fn(theta, grad, batch, m, ctx) and
 * steps the optimiser.  *loss (may be NULL) receives the sample-weighted mean
 * of the batch losses, sum_k m_k loss_k / count, each measured before its
 * step.  Returns SDRT_OK, or SDRT_ERR_NONFINITE as soon as a batch loss is
 * not finite (that batch's step is not taken and *loss is that value).
 * grad is caller scratch of n doubles.
 */
int sdrt_minibatch_epoch(SdrtBatcher *b, SdrtRng *rng, SdrtBatchFn fn,
                         void *ctx, SdrtOptim opt, double *theta, double *grad,
                         size_t n, double *loss);

/* ------------------------------------------------------------------------ */
/* Finite-difference gradient check                                         */
/* ------------------------------------------------------------------------ */

/*
 * Compares the gradient fg computes at x with central differences of f:
 *   h_i = h * max(1, |x_i|)                  (h <= 0: cbrt(DBL_EPSILON))
 *   d_i = (f(x + h_i e_i) - f(x - h_i e_i)) / (x_i^+ - x_i^-)
 * where x_i^+ and x_i^- are the perturbed coordinates as actually stored.
 * The error of component i is
 *   err_i = |a_i - d_i| / max(err_floor, |a_i| + |d_i|)   (err_floor <= 0: 1)
 * with a_i the analytic gradient; +inf when a_i or d_i is not finite.  Hence
 * err_i is a relative error (at most 1) for components whose size exceeds
 * err_floor and an absolute one below it, so that components that are zero
 * up to rounding do not fail.  Lower err_floor for functions of small scale.
 * Typical results: < 1e-7 correct, > 1e-3 wrong.
 *
 * f may be NULL: values are then taken from fg.  scratch holds
 * SDRT_GRADCHECK_SCRATCH(n) elements.  Returns max_i err_i (0 when n is 0);
 * res (may be NULL) receives the details of the worst component.
 */
#define SDRT_GRADCHECK_SCRATCH(n) (3 * (size_t)(n))
typedef struct SdrtGradCheck {
    double max_err;  /* max_i err_i */
    size_t worst;    /* its index (the first one on ties) */
    double analytic; /* a_worst */
    double numeric;  /* d_worst */
} SdrtGradCheck;

double sdrt_gradcheck(SdrtFn f, SdrtGradFn fg, void *ctx, const double *x,
                      size_t n, double h, double err_floor, double *scratch,
                      SdrtGradCheck *res);
/*
 * The same for float kernels; h <= 0 means cbrt(FLT_EPSILON).  Differences
 * are formed in double from the float values, but expect errors around 1e-3
 * from float rounding alone.
 */
double sdrt_gradcheck_f(SdrtFnF f, SdrtGradFnF fg, void *ctx, const float *x,
                        size_t n, double h, double err_floor, float *scratch,
                        SdrtGradCheck *res);

/* ------------------------------------------------------------------------ */
/* Synthetic datasets (TensorFlow-playground style)                         */
/* ------------------------------------------------------------------------ */

/*
 * Points go to X (row-major n x 2), class labels to y (n ints).  Classes are
 * assigned round-robin (sample i has class i mod k), so class sizes differ by
 * at most one.  `noise` is the standard deviation of Gaussian noise added to
 * each coordinate after the label is fixed.  Outputs depend only on the rng
 * state (and libm's sin/cos/log for the last bits).
 */

/*
 * k interleaved spiral arms (k = 2: the classic two spirals).  Arm c, point j
 * of m: r = (j + 0.5)/m, angle = 2 pi c/k + 3.5 pi r (1.75 turns), point
 * r (cos angle, sin angle).  SDRT_ERR_ARG when k < 1.
 */
int sdrt_data_spirals(SdrtRng *rng, double *X, int *y, size_t n, int k,
                      double noise);
/* A disc of radius 0.5 (label 1, even i) inside a ring 0.7..1 (label 0). */
void sdrt_data_circles(SdrtRng *rng, double *X, int *y, size_t n,
                       double noise);
/*
 * Uniform points in the four quadrants of [-1,1]^2 (quadrant i mod 4, kept
 * 0.05 away from the axes); label 1 where x and y have different signs.
 */
void sdrt_data_xor(SdrtRng *rng, double *X, int *y, size_t n, double noise);
/*
 * k Gaussian blobs of standard deviation `stddev` around centers (k x 2,
 * row-major); centers NULL puts them evenly on the unit circle.
 * SDRT_ERR_ARG when k < 1.
 */
int sdrt_data_blobs(SdrtRng *rng, double *X, int *y, size_t n, int k,
                    const double *centers, double stddev);
/*
 * Linear regression data: X (n x d) uniform in [-1,1), y = X theta + noise
 * * N(0,1).  Put a column of ones in the model yourself for an intercept.
 */
void sdrt_data_linear(SdrtRng *rng, double *X, double *y, size_t n, size_t d,
                      const double *theta, double noise);
/*
 * One-hot rows: out (n x k) gets out[i][labels[i]] = 1, zeros elsewhere.
 * SDRT_ERR_ARG when a label is outside [0, k) (its row stays all zero).
 */
int sdrt_one_hot(const int *labels, size_t n, int k, double *out);

/* ------------------------------------------------------------------------ */
/* CSV loader                                                               */
/* ------------------------------------------------------------------------ */

/* A loaded table: rows x cols doubles, row-major, owned by the struct. */
typedef struct SdrtCsv {
    double *data;
    size_t rows, cols;
} SdrtCsv;

/*
 * Loads a numeric CSV file.  Fields are separated by ',', may be surrounded
 * by spaces or tabs, and must be decimal numbers ([+-]digits[.digits][e[+-]
 * digits], a leading or trailing '.' allowed; no nan, inf, hex or empty
 * fields).  With `header` set, the first non-blank line gives the column
 * count and is otherwise ignored.  LF and CRLF line ends, blank lines and a
 * missing final newline are accepted; every row must have the same number
 * of fields.  Numbers are converted with strtod, so LC_NUMERIC must be "C"
 * (the default).
 *
 * This function allocates: on SDRT_OK, free csv with sdrt_csv_free.  On
 * error csv is left empty (nothing to free) and err (may be NULL) receives
 * "<path>:<line>:<col>: error: <message>" (or "<path>: error: ..." when no
 * line applies), truncated to errlen bytes.  Errors: SDRT_ERR_IO,
 * SDRT_ERR_PARSE (malformed number, empty field), SDRT_ERR_SHAPE (field
 * count differs), SDRT_ERR_EMPTY (no data rows), SDRT_ERR_NOMEM.
 */
int sdrt_csv_load(const char *path, int header, SdrtCsv *csv, char *err,
                  size_t errlen);
/* Frees the table and empties the struct; safe on an empty struct. */
void sdrt_csv_free(SdrtCsv *csv);

/* ------------------------------------------------------------------------ */
/* Training progress and accuracy                                           */
/* ------------------------------------------------------------------------ */

/*
 * Writes one line "epoch 10/200  loss 0.123456  acc 97.50%\n": epochs are
 * 1-based, the loss is printed with "%#.6g", acc is a fraction in [0,1]
 * printed as a percentage, and the acc part is left out when acc is negative
 * or NaN.  Returns 0, or -1 when the stream reports a write error.
 */
int sdrt_report_epoch(FILE *out, long epoch, long total, double loss,
                      double acc);

/*
 * Progress over a training run.  On a terminal (isatty(fileno(out)) at init)
 * every update redraws one line, "\r[#####.....] epoch ...", padded to erase
 * the previous one; the line is ended when the last epoch is drawn or by
 * sdrt_progress_finish.  Otherwise an update prints a plain line
 * (sdrt_report_epoch) for every `every`-th epoch and for the last one.
 * Tests may set `tty` after init to force either mode.
 */
typedef struct SdrtProgress {
    FILE *out;
    long total; /* epochs planned */
    long every; /* plain mode: print epochs divisible by this (>= 1) */
    int tty;    /* redraw one line with '\r' */
    int width;  /* bar width in characters (default 20) */
    int drawn;  /* length of the current unfinished '\r' line, 0 if none */
} SdrtProgress;

void sdrt_progress_init(SdrtProgress *p, FILE *out, long total, long every);
/* Reports epoch (1-based); acc < 0 or NaN means no accuracy. 0 or -1. */
int sdrt_progress_update(SdrtProgress *p, long epoch, double loss, double acc);
/* Is this an epoch the plain report prints (every `every`-th, and the
 * last)?  What only the report needs, and costs (an accuracy), is computed
 * for these alone; a terminal's bar, redrawn every epoch, shows the last
 * one computed in between. */
int sdrt_progress_due(const SdrtProgress *p, long epoch);
/* Ends an unfinished terminal line with '\n'.  Returns 0, or -1. */
int sdrt_progress_finish(SdrtProgress *p);

/* ------------------------------------------------------------------------ */
/* The training program of symdiff --emit-main train                        */
/* ------------------------------------------------------------------------ */

/*
 * What a generated NAME_main.c knows about its model: the sizes, the names
 * of the parameters (printed with their trained values), the gradient
 * kernel NAME_grad(theta, row, grad) of the loss of one row of data, and
 * arrays of nparams doubles (at least 1) for the parameters, the gradient
 * of a batch, the gradient of one row and the optimiser's state.
 */
typedef double (*SdrtSampleGradFn)(const double *theta, const double *row,
                                   double *grad);

/*
 * A minibatch program's kernel (symdiff's `dim n <= ...;`): the loss of the
 * rows idx[0..count) of data (cols doubles a row) and its gradient, by one
 * call that accumulates the batch itself.
 */
typedef double (*SdrtBatchGradFn)(const double *theta, const double *rows,
                                  size_t cols, const size_t *idx, size_t count,
                                  double *grad, void *ctx);

/*
 * A classification's scores for the rows idx[0..count) of data (symdiff's
 * NAME_scores): count rows of nclasses (see SdrtTrainProgram) into scores.
 */
typedef void (*SdrtBatchScoresFn)(const double *theta, const double *rows,
                                  size_t cols, const size_t *idx, size_t count,
                                  double *scores, void *ctx);

typedef struct SdrtTrainProgram {
    const char *name;               /* the kernel, for messages            */
    size_t nparams, ninputs;        /* ninputs: the columns of the data    */
    const char *const *param_names; /* nparams names (see param_sizes)     */
    SdrtSampleGradFn grad;
    double *theta, *grad_sum, *sample_grad, *m, *v;
    /* a minibatch program (else zero): batch_grad instead of grad, for
     * batches of 1 to max_batch rows (the default batch is at most 32);
     * the parameters are nnames arrays, param_sizes[k] values each, one
     * line each with the final loss before them */
    SdrtBatchGradFn batch_grad;
    void *batch_ctx;
    size_t max_batch, nnames;
    const size_t *param_sizes;
    /* a classification (else zero): batch_scores gives nclasses scores a
     * row (the largest is the predicted class), or for nclasses == 1 the
     * logit of class 1 (predicted where >= 0); the label is column
     * label_column of a row of data (a class 0 .. nclasses-1; for two
     * classes 1 where >= 1/2).  The accuracy on the training data, in
     * batches of max_batch rows into scores[max_batch * nclasses] and
     * labels[max_batch], is reported beside the loss */
    SdrtBatchScoresFn batch_scores;
    size_t nclasses, label_column;
    double *scores;
    int *labels;
} SdrtTrainProgram;

/*
 * The whole program: `NAME_train DATA.csv [epochs] [learning-rate] [batch]
 * [adam|sgd|momentum] [seed]` (defaults 100, 0.01, 32, adam, 1).  Loads the
 * CSV file (a header line is skipped when its first field does not start
 * like a number; one column per input), starts the parameters at 0.1 times
 * normal deviates, minimises the mean loss over the rows by minibatch
 * training, reporting the loss per epoch on stdout (sdrt_progress_*), with
 * the accuracy on the data after the epoch for a classification, and
 * prints each parameter.  Returns the exit status: 0, 1 for bad data, a
 * loss that stopped being finite or no memory (messages on stderr), 2 for
 * a usage error.  Like sdrt_csv_load it allocates (the data and an index
 * array), and frees what it allocates.
 */
int sdrt_train_main(const SdrtTrainProgram *p, int argc, char **argv);

/* The index of the largest of v[0..k): the first on ties, NaNs skipped. */
size_t sdrt_argmax(const double *v, size_t k);
/* Fraction of i with (prob[i] >= 0.5) == (labels[i] != 0); 0 when n is 0. */
double sdrt_accuracy_binary(const double *prob, const int *labels, size_t n);
/* Fraction of rows of scores (n x k) whose argmax is labels[i]; 0 if n is 0. */
double sdrt_accuracy_argmax(const double *scores, const int *labels, size_t n,
                            size_t k);

/* ------------------------------------------------------------------------ */
/* Small dense linear algebra                                               */
/* ------------------------------------------------------------------------ */

/* sum_i a_i b_i */
double sdrt_dot(const double *a, const double *b, size_t n);
/* y <- y + alpha x */
void sdrt_axpy(double alpha, const double *x, double *y, size_t n);
/* sqrt(sum_i x_i^2), scaled so that it neither overflows nor underflows. */
double sdrt_nrm2(const double *x, size_t n);
/*
 * Solves A x = b (A: d x d row-major) by Gaussian elimination with partial
 * pivoting.  A is overwritten by its LU factors, b by x.
 * SDRT_ERR_SINGULAR when a pivot is below d * DBL_EPSILON * max|A_ij|.
 */
int sdrt_solve(double *A, double *b, size_t d);
/*
 * Solves A x = b for symmetric positive definite A by Cholesky, A = L L^T
 * (only the lower triangle is read; it is overwritten by L).  b becomes x.
 * SDRT_ERR_SINGULAR when A is not positive definite to working precision.
 */
int sdrt_cholesky_solve(double *A, double *b, size_t d);
/*
 * Least squares through the normal equations (X^T X + ridge I) theta =
 * X^T y, X: n x d row-major, solved by Cholesky.  scratch holds
 * SDRT_NORMAL_EQ_SCRATCH(d) doubles.  For small, well-conditioned d only
 * (the condition number is squared); SDRT_ERR_SINGULAR for rank-deficient X
 * and ridge 0.
 */
#define SDRT_NORMAL_EQ_SCRATCH(d) ((size_t)(d) * (size_t)(d))
int sdrt_normal_eq(const double *X, const double *y, size_t n, size_t d,
                   double ridge, double *theta, double *scratch);

#ifdef __cplusplus
}
#endif

#endif
