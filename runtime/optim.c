/* SPDX-License-Identifier: MIT */
/*
 * optim.c — learning-rate schedules, the three optimisers (gradient descent,
 * momentum, Adam), the SdrtOptim dispatcher and full-batch minimisation.
 *
 * An optimiser never allocates: its state arrays are the caller's, given to
 * init and zeroed there.  A step reads the gradient at the current theta and
 * updates theta in place; `t` counts the steps taken so far, and is the step
 * index a schedule sees.
 */
#include "sdrt.h"

#include <assert.h>
#include <math.h>

/* ---- schedules ---------------------------------------------------------- */

SdrtSchedule sdrt_schedule_constant(double lr) {
    SdrtSchedule s = {SDRT_LR_CONSTANT, lr, 1.0, 1};
    return s;
}

SdrtSchedule sdrt_schedule_step(double lr0, double gamma, long every) {
    SdrtSchedule s = {SDRT_LR_STEP, lr0, gamma, every};
    return s;
}

SdrtSchedule sdrt_schedule_exp(double lr0, double gamma, long every) {
    SdrtSchedule s = {SDRT_LR_EXP, lr0, gamma, every};
    return s;
}

/*
 *   constant:     lr(t) = lr0
 *   step decay:   lr(t) = lr0 * gamma^floor(t / every)   (integer division)
 *   exponential:  lr(t) = lr0 * gamma^(t / every)        (real division)
 * The exponential schedule agrees with step decay at multiples of `every`
 * and interpolates geometrically in between.
 */
double sdrt_schedule_lr(const SdrtSchedule *s, long step) {
    long every = s->every < 1 ? 1 : s->every;
    if (step < 0)
        step = 0;
    switch (s->kind) {
    case SDRT_LR_CONSTANT:
        break;
    case SDRT_LR_STEP:
        return s->lr0 * pow(s->gamma, (double)(step / every));
    case SDRT_LR_EXP:
        return s->lr0 * pow(s->gamma, (double)step / (double)every);
    }
    return s->lr0;
}

/* ---- gradient descent --------------------------------------------------- */

void sdrt_gd_init(SdrtGD *opt, double lr) {
    opt->lr = lr;
    opt->t = 0;
    opt->schedule = NULL;
}

/* theta_i <- theta_i - lr g_i */
void sdrt_gd_step(SdrtGD *opt, double *theta, const double *grad, size_t n) {
    if (opt->schedule)
        opt->lr = sdrt_schedule_lr(opt->schedule, opt->t);
    double lr = opt->lr;
    for (size_t i = 0; i < n; i++)
        theta[i] -= lr * grad[i];
    opt->t++;
}

/* ---- momentum ----------------------------------------------------------- */

void sdrt_momentum_init(SdrtMomentum *opt, double *v, size_t n, double lr,
                        double mu, int nesterov) {
    opt->lr = lr;
    opt->mu = mu;
    opt->nesterov = nesterov != 0;
    opt->t = 0;
    opt->v = v;
    opt->n = n;
    opt->schedule = NULL;
    for (size_t i = 0; i < n; i++)
        v[i] = 0.0;
}

/*
 * Velocity form, with the learning rate inside the velocity:
 *   v_i <- mu v_i - lr g_i
 *   classical:  theta_i <- theta_i + v_i
 *   Nesterov:   theta_i <- theta_i + mu v_i - lr g_i
 * Nesterov's method evaluates the gradient at the look-ahead point
 * phi = theta + mu v; tracking phi instead of theta (phi is what the caller
 * holds) turns phi' = theta + v' + mu v' into phi' = phi + mu v' - lr g(phi),
 * the update above.  With mu = 0 both reduce to gradient descent.
 */
void sdrt_momentum_step(SdrtMomentum *opt, double *theta, const double *grad,
                        size_t n) {
    assert(n <= opt->n);
    if (opt->schedule)
        opt->lr = sdrt_schedule_lr(opt->schedule, opt->t);
    double lr = opt->lr, mu = opt->mu;
    double *v = opt->v;
    for (size_t i = 0; i < n; i++) {
        v[i] = mu * v[i] - lr * grad[i];
        if (opt->nesterov)
            theta[i] += mu * v[i] - lr * grad[i];
        else
            theta[i] += v[i];
    }
    opt->t++;
}

/* ---- Adam --------------------------------------------------------------- */

void sdrt_adam_init(SdrtAdam *opt, double *m, double *v, size_t n, double lr,
                    double beta1, double beta2, double eps) {
    opt->lr = lr;
    opt->beta1 = beta1;
    opt->beta2 = beta2;
    opt->eps = eps;
    opt->t = 0;
    opt->m = m;
    opt->v = v;
    opt->n = n;
    opt->schedule = NULL;
    for (size_t i = 0; i < n; i++)
        m[i] = v[i] = 0.0;
}

/*
 * At step t = 1, 2, ... (t counted after the increment):
 *   m_i <- b1 m_i + (1 - b1) g_i            first-moment estimate
 *   v_i <- b2 v_i + (1 - b2) g_i^2          second (raw) moment estimate
 *   mhat_i = m_i / (1 - b1^t)               bias correction: m and v start
 *   vhat_i = v_i / (1 - b2^t)               at 0 and are biased toward it
 *   theta_i <- theta_i - lr mhat_i / (sqrt(vhat_i) + eps)
 * At t = 1, mhat = g and vhat = g^2, so the step is lr g/(|g| + eps).
 * b^t comes from pow() rather than a running product so that it is exact
 * to rounding at every t.
 */
void sdrt_adam_step(SdrtAdam *opt, double *theta, const double *grad,
                    size_t n) {
    assert(n <= opt->n);
    if (opt->schedule)
        opt->lr = sdrt_schedule_lr(opt->schedule, opt->t);
    opt->t++;
    double b1 = opt->beta1, b2 = opt->beta2;
    double c1 = 1.0 - pow(b1, (double)opt->t);
    double c2 = 1.0 - pow(b2, (double)opt->t);
    double lr = opt->lr, eps = opt->eps;
    double *m = opt->m, *v = opt->v;
    for (size_t i = 0; i < n; i++) {
        double g = grad[i];
        m[i] = b1 * m[i] + (1.0 - b1) * g;
        v[i] = b2 * v[i] + (1.0 - b2) * g * g;
        double mhat = m[i] / c1;
        double vhat = v[i] / c2;
        theta[i] -= lr * mhat / (sqrt(vhat) + eps);
    }
}

/* ---- dispatch ----------------------------------------------------------- */

SdrtOptim sdrt_optim_gd(SdrtGD *opt) {
    SdrtOptim o;
    o.kind = SDRT_OPTIM_GD;
    o.as.gd = opt;
    return o;
}

SdrtOptim sdrt_optim_momentum(SdrtMomentum *opt) {
    SdrtOptim o;
    o.kind = SDRT_OPTIM_MOMENTUM;
    o.as.momentum = opt;
    return o;
}

SdrtOptim sdrt_optim_adam(SdrtAdam *opt) {
    SdrtOptim o;
    o.kind = SDRT_OPTIM_ADAM;
    o.as.adam = opt;
    return o;
}

void sdrt_optim_step(SdrtOptim opt, double *theta, const double *grad,
                     size_t n) {
    switch (opt.kind) {
    case SDRT_OPTIM_GD:
        sdrt_gd_step(opt.as.gd, theta, grad, n);
        break;
    case SDRT_OPTIM_MOMENTUM:
        sdrt_momentum_step(opt.as.momentum, theta, grad, n);
        break;
    case SDRT_OPTIM_ADAM:
        sdrt_adam_step(opt.as.adam, theta, grad, n);
        break;
    }
}

/* ---- full-batch minimisation -------------------------------------------- */

/*
 * Evaluate, test, step: the loss and gradient reported on return belong to
 * the theta returned, so a converged result needs no extra evaluation.
 * The test is on max_i |g_i| (the infinity norm), which does not grow with n.
 */
int sdrt_minimize(SdrtGradFn fn, void *ctx, SdrtOptim opt, double *theta,
                  double *grad, size_t n, long max_steps, double gtol,
                  SdrtMinimize *res) {
    int status;
    long steps = 0;
    double loss, gmax;
    for (;;) {
        loss = fn(theta, grad, ctx);
        gmax = 0.0;
        int finite = isfinite(loss);
        for (size_t i = 0; i < n; i++) {
            double a = fabs(grad[i]);
            if (!isfinite(a))
                finite = 0;
            else if (a > gmax)
                gmax = a;
        }
        if (!finite) {
            status = SDRT_ERR_NONFINITE;
            break;
        }
        if (gmax <= gtol) {
            status = SDRT_OK;
            break;
        }
        if (steps >= max_steps) {
            status = SDRT_ERR_MAXSTEPS;
            break;
        }
        sdrt_optim_step(opt, theta, grad, n);
        steps++;
    }
    if (res) {
        res->steps = steps;
        res->loss = loss;
        res->gmax = gmax;
    }
    return status;
}
