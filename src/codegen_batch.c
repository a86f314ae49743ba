/* SPDX-License-Identifier: MIT */
/*
 * codegen_batch.c — the training program of a minibatch program
 * (`--emit-main train` with a run-time dimension, `dim n <= 256;`).
 *
 * Consumes the graph of a tensor program whose one run-time dimension is
 * the first axis of every input (`input X[n,784], y[n]`) and whose value is
 * the loss of the n rows, and the kernels codegen_tensor_c wrote for it
 * (NAME_grad_ws and the header's NAME_OFFSET_, NAME_MAX_ and NAME_WORK).
 * Produces NAME_main.c: one sample per CSV row (the inputs' entries of one
 * row, one after another), shuffled minibatches copied into the rows of
 * input[], one call of the kernel per batch with dim_n = the batch's size
 * (the last batch of an epoch may be shorter), and the runtime's Adam, SGD
 * or momentum, with the runtime's progress line.  Nothing is written per
 * sample: the kernel accumulates the batch's gradient itself.  The file
 * holds what depends on the model (the copy of a batch into the inputs, the
 * kernel's call, the sizes and names); the program itself is
 * sdrt_train_main in the runtime (runtime/train.c), as for --emit-main
 * train of other programs.
 *
 * NAME_test.c of a minibatch program (--emit-test without -D) calls the
 * kernels at sizes it picks, 1, a short batch and the maximum, against a
 * double copy of them written here, which finite differences check at
 * each (src/templates/emit_test.c).
 *
 * It also finds the classification a loss makes (codegen_batch_classifier),
 * for the kernels' NAME_scores entry point and the training program's
 * accuracy: the scores S whose rows a softmax, log_softmax, logsumexp or
 * cross_entropy reads beside onehot of integer labels (every written-out
 * form lowers to these), or the logits s of a sigmoid cross-entropy
 * (softplus(s) or softplus(-s), which log(sigmoid(s)) lowers to, times a
 * label vector).
 */
#include "codegen.h"
#include "codegen_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the classification a loss makes ----------------------------------- */

/* u for -1 * u, else n. */
static const Node *negated(const Node *n) {
    if (n->kind == EX_MUL && n->nargs == 2)
        for (int k = 0; k < 2; k++)
            if (n->args[k]->kind == EX_CONST && num_is_minus_one(n->args[k]->num[0]))
                return n->args[1 - k];
    return n;
}

/* The variable of a term made of one data vector and constants (t, -t,
 * 1 - t: the factors a label vector is in a cross-entropy), or -1. */
static int label_term(const Graph *g, const Node *n) {
    if (n->kind == EX_VAR)
        return g->vars[n->u.var].role == VAR_INPUT && n->shape.rank == 1 ? n->u.var : -1;
    if ((n->kind == EX_MUL || n->kind == EX_ADD) && n->nargs == 2) {
        for (int k = 0; k < 2; k++)
            if (n->args[k]->kind == EX_CONST)
                return label_term(g, n->args[1 - k]);
    }
    return -1;
}

/* One candidate more: the first is kept, a different one makes the
 * classification ambiguous (none). */
static void candidate(Classifier *c, int *ambiguous, const Node *scores, int labels, int classes) {
    if (c->scores && (c->scores != scores || c->labels != labels))
        *ambiguous = 1;
    c->scores = scores;
    c->labels = labels;
    c->classes = classes;
}

int codegen_batch_classifier(const Graph *g, const Node *loss, Classifier *c) {
    memset(c, 0, sizeof *c);
    c->labels = -1;
    size_t nn = loss->id + 1;
    unsigned char *mark = malloc(nn), *param = malloc(nn), *logit = calloc(nn, 1);
    uint32_t *hots = malloc(nn * sizeof *hots); /* the onehot nodes of labels */
    size_t nhots = 0;
    int ambiguous = 0;
    if (!mark || !param || !logit || !hots) {
        free(mark);
        free(param);
        free(logit);
        free(hots);
        return -1;
    }
    Node *root = (Node *)loss;
    dag_mark_cone(g, &root, 1, mark, nn);
    /* param[id]: the node depends on a parameter (ids are topological) */
    for (size_t id = 0; id < nn; id++) {
        const Node *n = g->nodes[id];
        param[id] = n->kind == EX_VAR && g->vars[n->u.var].role == VAR_PARAM;
        for (int k = 0; k < n->nargs && !param[id]; k++)
            param[id] = param[n->args[k]->id];
    }
    /* several classes: scores S of a row-wise softmax or logsumexp (the
     * lowered form of log_softmax and cross_entropy too) and onehot of
     * labels of S's shape, one label per row */
    for (size_t id = 0; id < nn; id++) {
        const Node *o = g->nodes[id];
        if (mark[id] && o->kind == EX_ONEHOT && o->args[0]->kind == EX_VAR &&
            g->vars[o->args[0]->u.var].role == VAR_INPUT)
            hots[nhots++] = (uint32_t)id;
    }
    for (size_t id = 0; id < nn && nhots; id++) {
        const Node *n = g->nodes[id];
        if (!mark[id] || (n->kind != EX_LOGSUMEXP && n->kind != EX_SOFTMAX))
            continue;
        const Node *s = n->args[0];
        if (!param[s->id] || s->shape.rank < 1)
            continue;
        for (size_t h = 0; h < nhots; h++) {
            const Node *o = g->nodes[hots[h]];
            if (shape_equal(o->shape, s->shape))
                candidate(c, &ambiguous, s, o->args[0]->u.var, s->shape.dim[s->shape.rank - 1]);
        }
    }
    /* two classes: logits s of softplus(s) or softplus(-s) (log sigmoid(s)
     * is -softplus(-s)), in a product with a label term of s's shape (t,
     * 1 - t) and softplus(+-s) or s itself */
    if (!c->scores) {
        for (size_t id = 0; id < nn; id++) {
            const Node *n = g->nodes[id];
            if (mark[id] && n->kind == EX_CALL && n->u.fn == BI_SOFTPLUS)
                logit[negated(n->args[0])->id] = 1;
        }
        for (size_t id = 0; id < nn; id++) {
            const Node *n = g->nodes[id];
            if (!mark[id] || n->kind != EX_MUL)
                continue;
            const Node *s = NULL;
            int labels = -1;
            for (int k = 0; k < n->nargs; k++) {
                const Node *a = n->args[k];
                const Node *u = a->kind == EX_CALL && a->u.fn == BI_SOFTPLUS ? negated(a->args[0]) : a;
                int t = label_term(g, a);
                if (logit[u->id] && param[u->id] && u->shape.rank == 1)
                    s = u;
                else if (t >= 0)
                    labels = t;
            }
            if (s && labels >= 0 && shape_equal(g->vars[labels].shape, s->shape))
                candidate(c, &ambiguous, s, labels, 1);
        }
    }
    if (ambiguous)
        memset(c, 0, sizeof *c);
    if (!c->scores)
        c->labels = -1;
    free(mark);
    free(param);
    free(logit);
    free(hots);
    return 0;
}

/* ---- the training program ----------------------------------------------- */

static long row_count(const Shape *s) { return s->rank > 1 ? s->dim[1] : 1; }

const char *codegen_batch_train_misfit(const Graph *g, const TensorCodegenInput *in) {
    if (g->ndims != 1)
        return "--emit-main train takes a program with one run-time dimension, the batch";
    if (in->output->shape.rank != 0)
        return "--emit-main train needs a scalar loss";
    if (in->ninputs == 0)
        return "--emit-main train needs the data as inputs (declare them with 'input')";
    for (int k = 0; k < in->ninputs; k++) {
        const Shape *s = &g->vars[in->inputs[k]].shape;
        if (s->rank < 1 || s->dyn[0] != 1 || (s->rank > 1 && s->dyn[1]))
            return "--emit-main train needs every input to have the batch as its first dimension "
                   "(input X[n,784], y[n]): one sample per row";
    }
    return NULL;
}

CodegenStatus codegen_batch_train_program(const Graph *g, const TensorCodegenInput *in, const CodegenOptions *opt,
                                          StrBuf *out) {
    const char *name = opt->name, *dim = g->dims[0].name;
    char NAME[CODEGEN_MAX_NAME + 1];
    codegen_macro_prefix(NAME, sizeof NAME, name);
    long cols = 0, label_col = -1;
    /* a classification of the rows of the batch: its labels' column, for
     * the accuracy */
    const Classifier *cl = &in->scores;
    int rows_scored = cl->scores && cl->scores->shape.rank >= 1 && cl->scores->shape.dyn[0] == 1;
    for (int k = 0; k < in->ninputs; k++) {
        if (rows_scored && in->inputs[k] == cl->labels)
            label_col = cols;
        cols += row_count(&g->vars[in->inputs[k]].shape);
    }
    char accuracy_note[2 * CODEGEN_MAX_NAME + 160] = "";
    if (label_col >= 0)
        snprintf(accuracy_note, sizeof accuracy_note,
                 "\n * The loss is a classification: its accuracy on the data (%s_scores\n"
                 " * against %s) is printed beside it.",
                 name, g->vars[cl->labels].name);
    char accuracy_buffers[3 * CODEGEN_MAX_NAME + 160];
    snprintf(accuracy_buffers, sizeof accuracy_buffers,
             "    static double sdt_scores_buf[%s_NSCORES];\n    static int sdt_labels[%s_MAX_%s];\n", NAME, NAME,
             dim);
    sb_printf(out,
              "/* %s_main.c — generated by symdiff %s: trains the parameters of %s.h on\n"
              " * minibatches.\n"
              " *\n"
              " *   usage: %s_train DATA.csv [epochs] [learning-rate] [batch] [adam|sgd|momentum] [seed]\n"
              " *\n"
              " * Each row of DATA.csv is one sample, the inputs' entries of one row one\n"
              " * after another (a header line is skipped when the first field is not a\n"
              " * number):\n",
              name, opt->version, name, name);
    long col = 1;
    for (int k = 0; k < in->ninputs; k++) {
        const Var *v = &g->vars[in->inputs[k]];
        long c = row_count(&v->shape);
        if (c == 1)
            sb_printf(out, " *   column %ld: %s\n", col, v->name);
        else
            sb_printf(out, " *   columns %ld to %ld: a row of %s\n", col, col + c - 1, v->name);
        col += c;
    }
    sb_printf(out,
              " * A batch (at most %s_MAX_%s rows; the last of an epoch may be shorter)\n"
              " * fills the first rows of the inputs, and one call of %s_grad_ws with\n"
              " * dim_%s = its size gives its loss and gradient: the program's value, the\n"
              " * mean over the rows when it is written as one (mean(...) or .../%s), which\n"
              " * the optimisers assume.  The parameters",
              NAME, dim, name, dim, dim);
    for (int i = 0; i < in->nparams; i++)
        sb_printf(out, "%s %s", i ? "," : "", g->vars[in->params[i]].name);
    sb_printf(out,
              "\n * start at small random values and are printed at the end, a line each,\n"
              " * row-major.  The training itself is sdrt_train_main, in the symdiff\n"
              " * runtime (sdrt.h).%s */\n"
              "#include <string.h>\n\n"
              "#include \"%s\"\n#include \"sdrt.h\"\n\n"
              "static double sdt_input[%s_NINPUTS], sdt_work[%s_WORK + 1];\n\n"
              "/* The samples of a minibatch copied into the first rows of the inputs. */\n"
              "static void sdt_fill(const double *rows, size_t cols, const size_t *idx, size_t count)\n{\n"
              "    for (size_t k = 0; k < count; k++) {\n"
              "        const double *r = rows + idx[k] * cols;\n",
              accuracy_note, opt->header_file, NAME, NAME);
    col = 0;
    for (int k = 0; k < in->ninputs; k++) {
        const Var *v = &g->vars[in->inputs[k]];
        long c = row_count(&v->shape);
        if (c == 1)
            sb_printf(out, "        sdt_input[%s_OFFSET_%s + k] = r[%ld];\n", NAME, v->name, col);
        else
            sb_printf(out, "        memcpy(sdt_input + %s_OFFSET_%s + k * %ld, r + %ld, %ld * sizeof *r);\n", NAME,
                      v->name, c, col, c);
        col += c;
    }
    sb_printf(out,
              "    }\n}\n\n"
              "/* The loss of a minibatch and its gradient: one call of the kernel. */\n"
              "static double sdt_batch(const double *theta, const double *rows, size_t cols, const size_t *idx,\n"
              "                        size_t count, double *grad, void *ctx)\n{\n"
              "    (void)ctx;\n"
              "    sdt_fill(rows, cols, idx, count);\n"
              "    return %s_grad_ws(theta, sdt_input, count, grad, sdt_work);\n}\n\n",
              name);
    if (label_col >= 0)
        sb_printf(out,
                  "/* The scores of a minibatch's classification, %s_NCLASSES a row. */\n"
                  "static void sdt_scores(const double *theta, const double *rows, size_t cols, const size_t *idx,\n"
                  "                       size_t count, double *scores, void *ctx)\n{\n"
                  "    (void)ctx;\n"
                  "    sdt_fill(rows, cols, idx, count);\n"
                  "    %s_scores_ws(theta, sdt_input, count, scores, sdt_work);\n}\n\n",
                  NAME, name);
    sb_puts(out, "int main(int argc, char **argv)\n{\n"
                 "    static const char *const sdt_names[] = {");
    for (int i = 0; i < in->nparams; i++)
        sb_printf(out, "%s\"%s\"", i ? ", " : "", g->vars[in->params[i]].name);
    if (in->nparams == 0)
        sb_puts(out, "\"\"");
    sb_puts(out, "};\n    static const size_t sdt_sizes[] = {");
    for (int i = 0; i < in->nparams; i++)
        sb_printf(out, "%s%lld", i ? ", " : "", (long long)shape_numel(g->vars[in->params[i]].shape));
    if (in->nparams == 0)
        sb_puts(out, "0");
    sb_printf(out,
              "};\n"
              "    static double sdt_theta[%s_NVARS + 1], sdt_grad[%s_NVARS + 1], sdt_m[%s_NVARS + 1],\n"
              "        sdt_v[%s_NVARS + 1];\n"
              "%s"
              "    const SdrtTrainProgram sdt_program = {\n"
              "        .name = \"%s\", .nparams = %s_NVARS, .ninputs = %ld, .param_names = sdt_names,\n"
              "        .theta = sdt_theta, .grad_sum = sdt_grad, .m = sdt_m, .v = sdt_v, .batch_grad = sdt_batch,\n"
              "        .max_batch = %s_MAX_%s, .nnames = %d, .param_sizes = sdt_sizes",
              NAME, NAME, NAME, NAME, label_col >= 0 ? accuracy_buffers : "", name, NAME, cols, NAME, dim,
              in->nparams);
    if (label_col >= 0)
        sb_printf(out,
                  ",\n        .batch_scores = sdt_scores, .nclasses = %s_NCLASSES, .label_column = %ld,\n"
                  "        .scores = sdt_scores_buf, .labels = sdt_labels",
                  NAME, label_col);
    sb_puts(out, "};\n    return sdrt_train_main(&sdt_program, argc, argv);\n}\n");
    return out->failed ? CODEGEN_NO_MEMORY : CODEGEN_OK;
}

/* ---- the test program ---------------------------------------------------- */

CodegenStatus codegen_batch_test_program(Graph *g, const TensorCodegenInput *in, const CodegenOptions *opt,
                                         const int *classes, StrBuf *out) {
    const char *name = opt->name;
    char NAME[CODEGEN_MAX_NAME + 1];
    codegen_macro_prefix(NAME, sizeof NAME, name);
    int vec = in->output->shape.rank > 0, nd = g->ndims;
    long nv = 0, ni = 0, no = vec ? (long)shape_numel(in->output->shape) : 1;
    for (int k = 0; k < in->nparams; k++)
        nv += (long)shape_numel(g->vars[in->params[k]].shape);
    for (int k = 0; k < in->ninputs; k++)
        ni += (long)shape_numel(g->vars[in->inputs[k]].shape);
    /* the reference: the same kernels in double, written without BLAS and
     * with their header in the test's text */
    CodegenOptions ref = *opt;
    ref.name = "sdt_ref";
    ref.use_float = 0;
    ref.blas = 0;
    ref.inline_header = 1;
    TensorCodegenInput rin = *in;
    memset(&rin.scores, 0, sizeof rin.scores);
    StrBuf ref_src, ref_hdr;
    sb_init(&ref_src);
    sb_init(&ref_hdr);
    CodegenStatus st = codegen_tensor_c(g, &rin, &ref, &ref_src, &ref_hdr);
    /* the sizes: every dimension at 1, at half its maximum plus one (a
     * short batch) and at its maximum, the sets that differ */
    long sizes[3][GRAPH_MAX_DIMS];
    int nsizes = 0;
    for (int s = 0; s < 3; s++) {
        for (int d = 0; d < nd; d++) {
            long max = g->dims[d].max;
            sizes[nsizes][d] = s == 0 ? 1 : s == 1 ? max / 2 + 1 : max;
        }
        int same = nsizes > 0;
        for (int d = 0; d < nd && same; d++)
            same = sizes[nsizes][d] == sizes[nsizes - 1][d];
        nsizes += !same;
    }
    /* "n = 1", ... for each set, and all of them */
    StrBuf text, each, sized;
    sb_init(&text);
    sb_init(&each);
    sb_init(&sized);
    for (int s = 0; s < nsizes; s++) {
        sb_puts(&each, s ? ", \"" : "\"");
        for (int d = 0; d < nd; d++) {
            sb_printf(&text, "%s%s = %ld", s || d ? (d ? " " : ", ") : "", g->dims[d].name, sizes[s][d]);
            sb_printf(&each, "%s%s = %ld", d ? " " : "", g->dims[d].name, sizes[s][d]);
        }
        sb_puts(&each, "\"");
    }
    sb_printf(&sized, ",\n * at each of the sizes %s", sb_str(&text));
    codegen_test_head(out, opt, nv, ni, no, vec, 0, classes, sb_str(&sized));
    sb_printf(out, "#define SDT_NSIZES %d\n#define SDT_SIZES_TEXT \"%s\"\n#ifndef SDT_POINTS\n#define SDT_POINTS 4\n#endif\n",
              nsizes, sb_str(&text));
    sb_printf(out, "static size_t sdt_dims[%d];\nstatic const size_t sdt_sizes[%d][%d] = {", nd, nsizes, nd);
    for (int s = 0; s < nsizes; s++) {
        sb_printf(out, "%s{", s ? ", " : "");
        for (int d = 0; d < nd; d++)
            sb_printf(out, "%s%ld", d ? ", " : "", sizes[s][d]);
        sb_puts(out, "}");
    }
    sb_puts(out, "};\n\n/* the sizes the kernels are called with */\n"
                 "static void sdt_set_size(int s)\n{\n");
    sb_printf(out, "    for (int d = 0; d < %d; d++)\n        sdt_dims[d] = sdt_sizes[s][d];\n}\n\n", nd);
    sb_printf(out, "static const char *sdt_size_text(int s)\n{\n    static const char *const text[] = {%s};\n"
                   "    return text[s];\n}\n\n",
              sb_str(&each));
    /* the parameters' blocks, for the coordinates finite differences check */
    sb_printf(out, "#define SDT_NBLOCKS %d\nstatic const long sdt_blocks[%d][2] = {", in->nparams > 0 ? in->nparams : 1,
              in->nparams > 0 ? in->nparams : 1);
    long at = 0;
    for (int k = 0; k < in->nparams; k++) {
        long size = (long)shape_numel(g->vars[in->params[k]].shape);
        sb_printf(out, "%s{%ld, %ld}", k ? ", " : "", at, size);
        at += size;
    }
    if (in->nparams == 0)
        sb_puts(out, "{0, 0}");
    sb_puts(out, "};\n\n");
    sb_puts(out, sb_str(&ref_src));
    /* the kernels through wrappers of one signature, the sizes and a
     * workspace after the arrays */
    sb_printf(out, "static double sdt_ref_work[SDT_REF_WORK + 1];\nstatic sdt_real sdt_work[%s_WORK + 1];\n\n", NAME);
    StrBuf args;
    sb_init(&args);
    for (int d = 0; d < nd; d++)
        sb_printf(&args, "%ssdt_dims[%d]", d ? ", " : "", d);
    const char *dims = sb_str(&args);
    char call[4][160], kernel[4][CODEGEN_MAX_NAME + 16];
    const char *outs[2] = {vec ? "sdt_y, " : "", vec ? "sdt_d, " : "sdt_d, "};
    snprintf(call[0], sizeof call[0], "%s, %ssdt_ref_work", dims, outs[0]);
    snprintf(call[1], sizeof call[1], "%s, %ssdt_ref_work", dims, outs[1]);
    snprintf(call[2], sizeof call[2], "%s, %ssdt_work", dims, outs[0]);
    snprintf(call[3], sizeof call[3], "%s, %ssdt_work", dims, outs[1]);
    snprintf(kernel[0], sizeof kernel[0], "sdt_ref_ws");
    snprintf(kernel[1], sizeof kernel[1], "sdt_ref_%s_ws", vec ? "jac" : "grad");
    snprintf(kernel[2], sizeof kernel[2], "%s_ws", name);
    snprintf(kernel[3], sizeof kernel[3], "%s_%s_ws", name, vec ? "jac" : "grad");
    const char *value_assign = vec ? "" : "sdt_y[0] = ";
    codegen_test_wrapper(out, "double", "sdt_ref_value", "sdt_y", NULL, in->ninputs > 0, value_assign, kernel[0],
                         call[0]);
    codegen_test_wrapper(out, "double", "sdt_ref_derivative", "sdt_d", NULL, in->ninputs > 0, vec ? "" : "(void)",
                         kernel[1], call[1]);
    codegen_test_wrapper(out, "sdt_real", "sdt_value_t", "sdt_y", NULL, in->ninputs > 0, value_assign, kernel[2],
                         call[2]);
    codegen_test_wrapper(out, "sdt_real", "sdt_derivative_t", "sdt_d", "sdt_y", in->ninputs > 0, value_assign,
                         kernel[3], call[3]);
    codegen_test_tail(out);
    if (args.failed || text.failed || each.failed || sized.failed || ref_src.failed)
        out->failed = 1;
    sb_free(&args);
    sb_free(&text);
    sb_free(&each);
    sb_free(&sized);
    sb_free(&ref_src);
    sb_free(&ref_hdr);
    if (st != CODEGEN_OK)
        return st;
    return out->failed ? CODEGEN_NO_MEMORY : CODEGEN_OK;
}
