/* SPDX-License-Identifier: MIT */
/*
 * api_emit.c — C code for a result: the kernels, their header, and the
 * optional test and training programs, into memory.
 *
 * Consumes an SdResult and SdEmitOptions; produces the texts of
 * SdEmitted.  The variables differentiated by are the kernel's x[] (their
 * elements one variable after another, as in a point), every other
 * variable is data in input[].  Programs without vectors and matrices go
 * to codegen.c (or the AD emitters of emit_ad.c), the others to
 * codegen_tensor.c; both share the header conventions and the helpers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "codegen.h"
#include "codegen_common.h"
#include "emit_ad.h"

const char *sd_c_name_problem(const char *name) {
    if (!name || !*name)
        return "is empty";
    return codegen_name_problem(name);
}

/* The variables that are not differentiated: input[], in variable order
 * (marked first: a program may declare 10^5 parameters, and a test of
 * each against every one differentiated was quadratic). */
static int *data_vars(const SdResult *r, int *n) {
    const Graph *g = r->p->g;
    int *inputs = malloc((size_t)(g->nvars + 1) * sizeof *inputs);
    unsigned char *wrt = calloc((size_t)g->nvars + 1, 1);
    *n = 0;
    if (!inputs || !wrt) {
        free(inputs);
        free(wrt);
        return NULL;
    }
    for (int j = 0; j < r->nwrt; j++)
        if (r->wrt[j] >= 0 && r->wrt[j] < g->nvars)
            wrt[r->wrt[j]] = 1;
    for (int v = 0; v < g->nvars; v++)
        if (!wrt[v])
            inputs[(*n)++] = v;
    free(wrt);
    return inputs;
}

/* The program text as generated headers quote it: NUL bytes as spaces. */
static char *quoted_source(const SdProgram *p) {
    char *s = malloc(p->src.len + 1);
    if (!s)
        return NULL;
    memcpy(s, p->src.text, p->src.len);
    s[p->src.len] = '\0';
    for (size_t i = 0; i < p->src.len; i++)
        if (s[i] == '\0')
            s[i] = ' ';
    return s;
}

/* --type float cannot write a constant a float does not hold: an error
 * rather than a kernel that does not compile (inf) or computes with 0. */
static SdStatus float_misfit(SdResult *r) {
    long nb = r->rows * r->nwrt;
    Node *const *lists[3] = {r->f, r->blocks, r->grad};
    long counts[3] = {r->nf, nb, r->what == SD_HESSIAN ? r->nwrt : 0};
    for (int i = 0; i < 3; i++) {
        const Node *c = counts[i] ? codegen_float_misfit(r->p->g, lists[i], (int)counts[i]) : NULL;
        if (c)
            return api_fail(r->p, SD_ERR_INPUT, "--type float: the constant %.9g %s; generate double code",
                            num_value(c->num[0]), codegen_float_misfit_reason(num_value(c->num[0])));
    }
    return SD_OK;
}

static SdStatus emit_scalar(SdResult *r, const SdEmitOptions *o, const CodegenOptions *copt,
                            const int *inputs, int ninputs, StrBuf *src, StrBuf *hdr, StrBuf *test,
                            StrBuf *main_prog) {
    SdProgram *p = r->p;
    int hess = r->what == SD_HESSIAN;
    CodegenInput in = {.params = r->wrt, .nparams = r->nwrt, .inputs = inputs, .ninputs = ninputs,
                       .outputs = r->f, .noutputs = r->nf, .is_vector = p->prog.is_vector,
                       .grad = hess ? r->grad : r->blocks, .hess = hess ? r->blocks : NULL};
    if (o->train_program && (p->prog.is_vector || ninputs == 0))
        return api_fail(p, SD_ERR_REQUEST,
                        "--emit-main train needs a scalar program with input variables "
                        "(declare the data with 'input')");
    if (o->kind != SD_EMIT_SYMBOLIC && hess)
        return api_fail(p, SD_ERR_REQUEST,
                        "--hessian needs the symbolic kernel (--emit c), not an AD one");
    DerivOptions dopt = api_deriv_options(r); /* the AD emitters build local partials */
    int failed = o->kind != SD_EMIT_SYMBOLIC
                     ? emit_ad_c(p->g, &in,
                                 o->kind == SD_EMIT_FORWARD_AD ? EMIT_AD_FORWARD : EMIT_AD_REVERSE, copt,
                                 &dopt, src, hdr)
                     : codegen_c(p->g, &in, copt, src, hdr);
    if (!failed && o->test_program)
        failed = codegen_test_program(p->g, &in, copt, test);
    if (!failed && o->train_program)
        failed = codegen_train_program(p->g, &in, copt, main_prog);
    return failed ? api_nomem(p) : SD_OK;
}

/* The twin's data variables and its CodegenInput (a scalar program). */
static SdStatus twin_input(SdResult *r, const char *what, SdResult **t, int **inputs, int *ninputs,
                           CodegenInput *in) {
    SdStatus st = api_twin(r, what, t);
    if (st != SD_OK)
        return st;
    if (!(*inputs = data_vars(*t, ninputs)))
        return api_nomem(r->p);
    int hess = (*t)->what == SD_HESSIAN;
    *in = (CodegenInput){.params = (*t)->wrt, .nparams = (*t)->nwrt, .inputs = *inputs,
                         .ninputs = *ninputs, .outputs = (*t)->f, .noutputs = (*t)->nf,
                         .is_vector = (*t)->p->prog.is_vector,
                         .grad = hess ? (*t)->grad : (*t)->blocks, .hess = hess ? (*t)->blocks : NULL};
    return SD_OK;
}

/* Per entry of a tensor program's input[] (nentries in all): the number of
 * classes of a label (an input onehot reads, which cross_entropy's labels
 * are), 0 for data.  NULL when there is none, when out of memory, or when
 * the entries do not add up to nentries. */
static int *input_classes(const Graph *g, const int *inputs, int ninputs, int nentries) {
    int *classes = calloc((size_t)(nentries > 0 ? nentries : 1), sizeof *classes), any = 0;
    long at = 0;
    for (int k = 0; classes && k < ninputs; k++) {
        const Var *v = &g->vars[inputs[k]];
        long n = (long)shape_numel(v->shape), kc = 0;
        for (size_t id = 0; id < g->nnodes; id++) {
            const Node *h = g->nodes[id];
            if (h->kind == EX_ONEHOT && h->args[0]->kind == EX_VAR && h->args[0]->u.var == inputs[k])
                kc = h->shape.dim[h->shape.rank - 1];
        }
        for (long e = 0; e < n && at + e < nentries; e++)
            classes[at + e] = (int)kc;
        any |= kc > 0;
        at += n;
    }
    if (classes && (!any || at != nentries)) {
        free(classes);
        classes = NULL;
    }
    return classes;
}

static SdStatus emit_tensor(SdResult *r, const SdEmitOptions *o, const CodegenOptions *copt,
                            const int *inputs, int ninputs, StrBuf *src, StrBuf *hdr, StrBuf *test,
                            StrBuf *main_prog) {
    SdProgram *p = r->p;
    if (o->unroll && p->g->ndims > 0)
        return api_fail(p, SD_ERR_REQUEST, "--unroll writes every loop out, which needs fixed shapes: give the "
                                           "run-time dimension '%s' a size (-D %s=...)",
                        p->g->dims[0].name, p->g->dims[0].name);
    SdResult *t = NULL;
    int *tinputs = NULL, ntinputs = 0;
    CodegenInput tin;
    SdStatus st = SD_OK;
    if (o->kind != SD_EMIT_SYMBOLIC || r->what == SD_HESSIAN) {
        /* AD of the program's own code, and the Hessian: the program written
         * out element by element, as straight-line scalar code with the same
         * arrays */
        st = twin_input(r, o->kind == SD_EMIT_FORWARD_AD   ? "--emit forward-ad"
                           : o->kind == SD_EMIT_REVERSE_AD ? "--emit reverse-ad"
                                                           : "--hessian",
                        &t, &tinputs, &ntinputs, &tin);
        if (st == SD_OK)
            st = emit_scalar(t, o, copt, tinputs, ntinputs, src, hdr, test, main_prog);
        free(tinputs);
        if (st != SD_OK && t && t->p->error[0]) /* the twin's message is the program's */
            return api_fail(p, st, "%s", t->p->error);
        return st;
    }
    long n = r->col[r->nwrt];
    size_t *offsets = malloc((size_t)(r->rows * r->nwrt + 1) * sizeof *offsets);
    if (!offsets)
        return api_nomem(p);
    /* row i: d y[i] / d var j at out[i * NVARS + offset of j] */
    for (long i = 0; i < r->rows; i++)
        for (int j = 0; j < r->nwrt; j++)
            offsets[i * r->nwrt + j] = (size_t)(i * n + r->col[j]);
    TensorCodegenInput in = {.params = r->wrt, .nparams = r->nwrt, .inputs = inputs,
                             .ninputs = ninputs, .output = r->f[0], .derivs = r->blocks,
                             .nderivs = (int)(r->nwrt * r->rows), .root_offset = offsets,
                             .out_name = r->f[0]->shape.rank ? "J" : "grad"};
    /* a classification loss: its scores, an entry point of their own */
    CodegenStatus failed = r->f[0]->shape.rank == 0 && codegen_batch_classifier(p->g, r->f[0], &in.scores) != 0
                               ? CODEGEN_NO_MEMORY
                               : CODEGEN_OK;
    if (!failed)
        failed = codegen_tensor_c(p->g, &in, copt, src, hdr);
    /* a minibatch program's training program calls the kernel itself, one
     * batch a call (codegen_batch.c) */
    int batch_main = o->train_program && p->g->ndims > 0;
    const char *misfit = !failed && batch_main ? codegen_batch_train_misfit(p->g, &in) : NULL;
    if (!failed && batch_main && !misfit)
        failed = codegen_batch_train_program(p->g, &in, copt, main_prog);
    /* a program with run-time dimensions is tested at sizes its test
     * program picks, through the kernels themselves (codegen_batch.c) */
    int batch_test = o->test_program && p->g->ndims > 0;
    if (!failed && !misfit && batch_test) {
        int nentries = 0;
        for (int k = 0; k < ninputs; k++)
            nentries += (int)shape_numel(p->g->vars[inputs[k]].shape);
        int *classes = input_classes(p->g, inputs, ninputs, nentries);
        failed = codegen_batch_test_program(p->g, &in, copt, classes, test);
        free(classes);
    }
    free(offsets);
    if (misfit)
        return api_fail(p, SD_ERR_REQUEST, "%s", misfit);
    if (failed == CODEGEN_TOO_LARGE)
        return api_fail(p, SD_ERR_LIMIT,
                        "--unroll: the straight-line code would exceed %zu MiB; leave out --unroll to "
                        "keep the loops",
                        CODEGEN_UNROLL_LIMIT >> 20);
    if (failed)
        return api_nomem(p);
    /* the test and training programs call the kernels through their plain
     * entry points, which take the flat arrays a scalar kernel takes: they
     * are made from the program written out element by element */
    int twin_main = o->train_program && !batch_main;
    int twin_test = o->test_program && !batch_test;
    if (twin_test || twin_main)
        st = twin_input(r, twin_test ? "--emit-test" : "--emit-main", &t, &tinputs, &ntinputs, &tin);
    if (st == SD_OK && twin_main && (t->p->prog.is_vector || ntinputs == 0))
        st = api_fail(p, SD_ERR_REQUEST,
                      "--emit-main train needs a scalar program with input variables "
                      "(declare the data with 'input')");
    int *classes = st == SD_OK && twin_test ? input_classes(p->g, inputs, ninputs, tin.ninputs) : NULL;
    tin.input_classes = classes;
    if (st == SD_OK && twin_test && codegen_test_program(t->p->g, &tin, copt, test) != 0)
        st = api_nomem(p);
    free(classes);
    if (st == SD_OK && twin_main && codegen_train_program(t->p->g, &tin, copt, main_prog) != 0)
        st = api_nomem(p);
    free(tinputs);
    return st;
}

/* Every text sd_emit_c returns opens with this comment (README.md,
 * "Licence"): what symdiff writes from a user's program is the user's. */
static const char generated_notice[] =
    "/* Generated code: it belongs to the user and carries no licence obligation\n"
    " * (symdiff's MIT licence does not extend to the code it generates). */\n";

/* The text of sb behind the notice, malloc'd (NULL when out of memory);
 * frees sb.  The notice is put in front within sb's own buffer (grown by
 * realloc, which moves no pages of a large block): a kernel's text is
 * megabytes, and a fresh buffer for it would be written twice. */
static char *take_noticed(StrBuf *sb) {
    sb_insert(sb, 0, generated_notice, sizeof generated_notice - 1);
    return sb_take(sb);
}

SdStatus sd_emit_c(SdResult *r, const SdEmitOptions *o, SdEmitted *out) {
    static const SdEmitOptions defaults = {0};
    SdProgram *p = r->p;
    memset(out, 0, sizeof *out);
    if (!o)
        o = &defaults;
    const char *name = o->name ? o->name : "f";
    const char *problem = sd_c_name_problem(name);
    if (problem)
        return api_fail(p, SD_ERR_REQUEST, "--name: '%.80s' %s; choose another name", name, problem);
    if (o->blas == SD_BLAS_CBLAS && o->unroll)
        return api_fail(p, SD_ERR_REQUEST,
                        "--blas calls a BLAS for the loops of matrix products, which --unroll writes out: give one");
    if (r->what == SD_FUNCTION || r->what == SD_NTH)
        return api_fail(p, SD_ERR_REQUEST,
                        "C output is for gradients, Jacobians and Hessians (not with --simplify or "
                        "--order)");
    if (o->train_program && o->type == SD_FLOAT)
        return api_fail(p, SD_ERR_REQUEST, "--emit-main train writes a double program (the runtime's "
                                           "optimisers are double); leave out --type float");
    SdStatus st = o->type == SD_FLOAT ? float_misfit(r) : SD_OK;
    if (st != SD_OK)
        return st;
    int ninputs = 0;
    int *inputs = data_vars(r, &ninputs);
    char *source_text = quoted_source(p);
    char header_name[300];
    snprintf(header_name, sizeof header_name, "%s", o->header_name ? o->header_name : "");
    if (!o->header_name)
        snprintf(header_name, sizeof header_name, "%s.h", name);
    CodegenOptions copt = {.name = name, .use_float = o->type == SD_FLOAT,
                           .header_file = header_name, .source_text = source_text,
                           .command_line = o->command_line ? o->command_line : "",
                           .version = sd_version(), .unroll = o->unroll, .blas = o->blas == SD_BLAS_CBLAS,
                           .inline_header = o->self_contained};
    StrBuf src, hdr, test, main_prog;
    sb_init(&src);
    sb_init(&hdr);
    sb_init(&test);
    sb_init(&main_prog);
    if (!inputs || !source_text)
        st = api_nomem(p);
    else if (p->has_tensors)
        st = emit_tensor(r, o, &copt, inputs, ninputs, &src, &hdr, &test, &main_prog);
    else
        st = emit_scalar(r, o, &copt, inputs, ninputs, &src, &hdr, &test, &main_prog);
    if (st == SD_OK) {
        out->source = take_noticed(&src);
        out->header = take_noticed(&hdr);
        out->test = o->test_program ? take_noticed(&test) : NULL;
        out->main = o->train_program ? take_noticed(&main_prog) : NULL;
        if (!out->source || !out->header || (o->test_program && !out->test) ||
            (o->train_program && !out->main)) {
            sd_emitted_free(out);
            st = api_nomem(p);
        }
    }
    sb_free(&src);
    sb_free(&hdr);
    sb_free(&test);
    sb_free(&main_prog);
    free(inputs);
    free(source_text);
    return st;
}

void sd_emitted_free(SdEmitted *e) {
    if (!e)
        return;
    free(e->source);
    free(e->header);
    free(e->test);
    free(e->main);
    memset(e, 0, sizeof *e);
}
