/* SPDX-License-Identifier: MIT */
/*
 * api_print.c — the one writer of results: derivatives as text, LaTeX or
 * JSON, with their values at a point and a gradient check when given.
 *
 * Consumes an SdResult (and optionally its SdValues and SdCheckReport);
 * produces what the command line prints.  Every program shape goes
 * through the same code; the rules are:
 *   - a first derivative of a program without vectors or matrices, by one
 *     variable, prints bare (`2*x`); otherwise each derivative is labelled
 *     (`d/dx = ...`, LaTeX `\frac{\partial f}{\partial x} &= ...`, preceded
 *     by `f &= ...`);
 *   - the Jacobian and the Hessian of scalar variables print as matrices
 *     (`J = [[...]]`, `H = [[...]]`); with vectors and matrices each
 *     variable's block prints on its own (`d/dW = ...`);
 *   - numbers keep the shape of what they belong to: a value or a gradient
 *     block shaped like its variable, a Jacobian or Hessian as rows x the
 *     flattened variables;
 *   - JSON: {"vars", "value", the numbers of the result ("gradient",
 *     "jacobian", "hessian", "derivative_value"), the expressions
 *     ("derivatives", "hessian_expressions", "function"), "check"}.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "print.h"

/* --- atoms -------------------------------------------------------------------------------- */

static void api_json_string(StrBuf *sb, const char *s) {
    sb_putc(sb, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            sb_printf(sb, "\\%c", c);
        else if (c == '\n')
            sb_puts(sb, "\\n");
        else if (c < 0x20)
            sb_printf(sb, "\\u%04x", c);
        else
            sb_putc(sb, (char)c);
    }
    sb_putc(sb, '"');
}

static void number(StrBuf *sb, double v, int json) {
    if (isfinite(v))
        num_print_value(sb, v);
    else if (json)
        sb_puts(sb, "null");
    else
        sb_puts(sb, isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
}

/* Numbers shaped as `s`: a number, [...] or [[...], [...]].  Along a
 * run-time dimension the size at the point (dims), the numbers being laid
 * out at the largest shape. */
static void shaped(StrBuf *out, const double *v, Shape s, const long *dims, int json) {
    if (s.rank == 0) {
        number(out, v[0], json);
        return;
    }
    long size[2] = {1, 1};
    for (int k = 0; k < s.rank; k++)
        size[k] = s.dyn[k] && dims ? dims[s.dyn[k] - 1] : s.dim[k];
    long rows = s.rank == 2 ? size[0] : 1, cols = s.rank == 2 ? size[1] : size[0];
    long stride = s.rank == 2 ? s.dim[1] : 0;
    if (s.rank == 2)
        sb_putc(out, '[');
    for (long i = 0; i < rows; i++) {
        sb_puts(out, i ? ", [" : "[");
        for (long j = 0; j < cols; j++) {
            if (j)
                sb_puts(out, ", ");
            number(out, v[i * stride + j], json);
        }
        sb_putc(out, ']');
    }
    if (s.rank == 2)
        sb_putc(out, ']');
}

/* A rows x cols matrix of numbers: JSON nested arrays, or text
 * `NAME = [[a, b],\n     [c, d]]`. */
static void matrix_numbers(StrBuf *out, const char *name, const double *v, long rows, long cols, int json) {
    if (!json)
        sb_printf(out, "%s = ", name);
    sb_putc(out, '[');
    for (long i = 0; i < rows; i++) {
        sb_puts(out, i ? (json ? ", [" : ",\n     [") : "[");
        for (long j = 0; j < cols; j++) {
            if (j)
                sb_puts(out, ", ");
            number(out, v[i * cols + j], json);
        }
        sb_putc(out, ']');
    }
    sb_puts(out, json ? "]" : "]\n");
}

/* An expression as one line (temporaries as leading statements). */
static void expr_line(StrBuf *out, const Graph *g, Node *n, PrintStyle style) {
    StrBuf sb;
    sb_init(&sb);
    print_roots(&sb, g, &n, NULL, 1, style);
    if (sb.failed)
        out->failed = 1;
    size_t len = sb.len;
    while (len && sb.data[len - 1] == '\n')
        len--;
    for (size_t i = 0; i < len; i++)
        sb_putc(out, sb.data[i] == '\n' ? ' ' : sb.data[i]);
    sb_free(&sb);
}

static void json_expr(StrBuf *out, const Graph *g, Node *n, PrintStyle style) {
    StrBuf sb;
    sb_init(&sb);
    expr_line(&sb, g, n, style);
    if (sb.failed)
        out->failed = 1;
    api_json_string(out, sb_str(&sb));
    sb_free(&sb);
}

static void json_exprs(StrBuf *out, const Graph *g, Node *const *nodes, long n, PrintStyle style) {
    sb_putc(out, '[');
    for (long i = 0; i < n; i++) {
        if (i)
            sb_puts(out, ", ");
        json_expr(out, g, nodes[i], style);
    }
    sb_putc(out, ']');
}

static void json_expr_matrix(StrBuf *out, const Graph *g, Node *const *nodes, long rows, long cols,
                             PrintStyle style) {
    sb_putc(out, '[');
    for (long i = 0; i < rows; i++) {
        if (i)
            sb_puts(out, ", ");
        json_exprs(out, g, nodes + i * cols, cols, style);
    }
    sb_putc(out, ']');
}

/* --- labels --------------------------------------------------------------------------------- */

static const char *var_name(const SdResult *r, int j) { return r->p->g->vars[r->wrt[j]].name; }

static void label(StrBuf *out, const SdResult *r, int j, PrintStyle style) {
    if (style == PRINT_LATEX) {
        if (r->what == SD_NTH) {
            sb_printf(out, "\\frac{\\partial^{%d} f}{\\partial ", r->order);
            print_latex_name(out, var_name(r, j));
            sb_printf(out, "^{%d}}", r->order);
        } else {
            sb_puts(out, "\\frac{\\partial f}{\\partial ");
            print_latex_name(out, var_name(r, j));
            sb_putc(out, '}');
        }
    } else if (r->what == SD_NTH) {
        sb_printf(out, "d%d/d%s%d", r->order, var_name(r, j), r->order);
    } else {
        sb_printf(out, "d/d%s", var_name(r, j));
    }
}

/* A block of a tensor program's Jacobian as one expression: the rows of
 * variable j stacked ([m] for a scalar variable, [m, n] for a vector);
 * NULL for a matrix variable (the block would be a 3-tensor). */
static Node *stacked_block(const SdResult *r, int j) {
    Graph *g = r->p->g;
    if (r->p->out_shape.rank == 0)
        return r->blocks[j];
    if (g->vars[r->wrt[j]].shape.rank == 2)
        return NULL;
    Node **col = malloc((size_t)r->rows * sizeof *col);
    if (!col)
        return NULL;
    for (long i = 0; i < r->rows; i++)
        col[i] = r->blocks[i * r->nwrt + j];
    Node *b = dag_pack(g, col, (int)r->rows);
    free(col);
    return b;
}

/* --- expressions ---------------------------------------------------------------------------- */

static void print_matrix(StrBuf *out, const Graph *g, const char *name, Node *const *roots, long rows,
                         long cols, PrintStyle style) {
    PrintSession *s = print_begin(g, roots, (int)(rows * cols), style, out);
    if (!s) {
        out->failed = 1;
        return;
    }
    if (style == PRINT_LATEX) {
        sb_printf(out, "%s = \\begin{pmatrix}\n", name);
        for (long i = 0; i < rows; i++) {
            for (long j = 0; j < cols; j++) {
                sb_puts(out, j ? " & " : "  ");
                print_root(s, roots[i * cols + j], out);
            }
            sb_puts(out, i + 1 < rows ? " \\\\\n" : "\n");
        }
        sb_puts(out, "\\end{pmatrix}\n");
    } else {
        sb_printf(out, "%s = [", name);
        for (long i = 0; i < rows; i++) {
            sb_puts(out, i ? ",\n     [" : "[");
            for (long j = 0; j < cols; j++) {
                if (j)
                    sb_puts(out, ", ");
                print_root(s, roots[i * cols + j], out);
            }
            sb_putc(out, ']');
        }
        sb_puts(out, "]\n");
    }
    print_end(s);
}

static const char *matrix_name(const SdResult *r) {
    return r->what == SD_HESSIAN ? "H" : r->what == SD_FUNCTION ? "f" : "J";
}

/* LaTeX: the function first, then the derivatives, in one printing
 * session: with temporaries (shared by all) when large or deep, for
 * written out inline the function can be exponentially long or nest past
 * the stack. */
static void latex_with_function(StrBuf *out, const Graph *g, Node *f, Node *const *roots,
                                const char *const *labels, int n) {
    Node **all = malloc((size_t)(n + 1) * sizeof *all);
    PrintSession *ps = NULL;
    if (all) {
        all[0] = f;
        memcpy(all + 1, roots, (size_t)n * sizeof *all);
        ps = print_begin(g, all, n + 1, PRINT_LATEX, out);
    }
    if (!ps) {
        out->failed = 1;
        free(all);
        return;
    }
    sb_puts(out, "f &= ");
    print_root(ps, f, out);
    for (int i = 0; i < n; i++) {
        sb_printf(out, " \\\\\n%s &= ", labels[i]);
        print_root(ps, roots[i], out);
    }
    sb_putc(out, '\n');
    print_end(ps);
    free(all);
}

/* The derivatives as expressions; 0, or -1 when a block cannot be printed
 * (a tensor program's Hessian, a Jacobian block by a matrix). */
static int write_expressions(StrBuf *out, const SdResult *r, PrintStyle style) {
    const Graph *g = r->p->g;
    if (r->what == SD_FUNCTION) {
        if (r->p->prog.is_vector)
            print_matrix(out, g, "f", r->f, r->nf, 1, style);
        else
            print_roots(out, g, r->f, NULL, r->nf, style);
        return 0;
    }
    if (r->as_matrix) {
        print_matrix(out, g, matrix_name(r), r->blocks, r->rows, r->nwrt, style);
        return 0;
    }
    if (r->what == SD_HESSIAN)
        return -1;
    if (r->nwrt == 1 && style != PRINT_LATEX && !r->p->has_tensors) {
        print_roots(out, g, r->blocks, NULL, 1, style);
        return 0;
    }
    Node **roots = malloc((size_t)(r->nwrt ? r->nwrt : 1) * sizeof *roots);
    char **labels = calloc((size_t)(r->nwrt ? r->nwrt : 1), sizeof *labels);
    int status = roots && labels ? 0 : (out->failed = 1, 0);
    for (int j = 0; roots && labels && j < r->nwrt && status == 0; j++) {
        if (!(roots[j] = stacked_block(r, j)))
            status = -1;
        StrBuf lb;
        sb_init(&lb);
        label(&lb, r, j, style);
        labels[j] = sb_take(&lb);
        if (!labels[j])
            out->failed = 1;
    }
    if (status == 0 && roots && labels && !out->failed) {
        if (style == PRINT_LATEX)
            latex_with_function(out, g, r->f[0], roots, (const char *const *)labels, r->nwrt);
        else
            print_roots(out, g, roots, (const char *const *)labels, r->nwrt, style);
    }
    for (int j = 0; labels && j < r->nwrt; j++)
        free(labels[j]);
    free(labels);
    free(roots);
    return status;
}

/* --- numbers ---------------------------------------------------------------------------------- */

static Shape var_shape(const SdResult *r, int j) { return r->p->g->vars[r->wrt[j]].shape; }

static void value_numbers(StrBuf *out, const SdResult *r, const SdValues *v, int json) {
    if (r->p->prog.is_vector) {
        Shape s = shape_vec(axis_fixed(r->nf));
        shaped(out, v->value, s, NULL, json);
    } else {
        shaped(out, v->value, r->p->out_shape, v->dims, json);
    }
}

/* Per variable, its block of a one-row result, shaped like it. */
static void gradient_numbers(StrBuf *out, const SdResult *r, const double *d, int json) {
    if (json)
        sb_putc(out, '[');
    for (int j = 0; j < r->nwrt; j++) {
        if (json) {
            if (j)
                sb_puts(out, ", ");
        } else {
            label(out, r, j, PRINT_INFIX);
            sb_puts(out, " = ");
        }
        shaped(out, d + r->col[j], var_shape(r, j), NULL, json);
        if (!json)
            sb_putc(out, '\n');
    }
    if (json)
        sb_putc(out, ']');
}

/* A tensor program's Jacobian in text: per variable its rows x elements. */
static void jacobian_blocks_text(StrBuf *out, const SdResult *r, const double *d) {
    long n = r->col[r->nwrt];
    for (int j = 0; j < r->nwrt; j++) {
        long numel = r->col[j + 1] - r->col[j];
        label(out, r, j, PRINT_INFIX);
        sb_puts(out, " = ");
        sb_putc(out, '[');
        for (long i = 0; i < r->rows; i++) {
            if (i)
                sb_puts(out, ", ");
            if (numel == 1 && var_shape(r, j).rank == 0) {
                number(out, d[i * n + r->col[j]], 0);
                continue;
            }
            sb_putc(out, '[');
            for (long e = 0; e < numel; e++) {
                if (e)
                    sb_puts(out, ", ");
                number(out, d[i * n + r->col[j] + e], 0);
            }
            sb_putc(out, ']');
        }
        sb_puts(out, "]\n");
    }
}

static void write_values_text(StrBuf *out, const SdResult *r, const SdValues *v) {
    sb_puts(out, "value = ");
    value_numbers(out, r, v, 0);
    sb_putc(out, '\n');
    long rows = r->rows, cols = r->col[r->nwrt];
    switch (r->what) {
    case SD_FUNCTION:
        break;
    case SD_NTH:
        label(out, r, 0, PRINT_INFIX);
        sb_puts(out, " = ");
        number(out, v->deriv[0], 0);
        sb_putc(out, '\n');
        break;
    case SD_HESSIAN:
        matrix_numbers(out, "H", v->deriv, rows, cols, 0);
        break;
    case SD_GRADIENT:
        if (r->p->out_shape.rank == 0)
            gradient_numbers(out, r, v->deriv, 0);
        else if (r->as_matrix)
            matrix_numbers(out, "J", v->deriv, rows, cols, 0);
        else
            jacobian_blocks_text(out, r, v->deriv);
        break;
    }
}

/* --- the JSON object -------------------------------------------------------------------------- */

static void write_json(StrBuf *out, const SdResult *r, const SdValues *v, const SdCheckReport *c,
                       PrintStyle style) {
    const Graph *g = r->p->g;
    long rows = r->rows, cols = r->col[r->nwrt];
    sb_puts(out, "{\"vars\": [");
    for (int j = 0; j < r->nwrt; j++) {
        if (j)
            sb_puts(out, ", ");
        api_json_string(out, var_name(r, j));
    }
    sb_putc(out, ']');
    if (v) {
        sb_puts(out, ", \"value\": ");
        value_numbers(out, r, v, 1);
    }
    switch (r->what) {
    case SD_FUNCTION:
        sb_puts(out, ", \"function\": ");
        if (r->p->prog.is_vector)
            json_exprs(out, g, r->f, r->nf, style);
        else
            json_expr(out, g, r->f[0], style);
        break;
    case SD_NTH:
        sb_printf(out, ", \"derivative_order\": %d", r->order);
        if (v) {
            sb_puts(out, ", \"derivative_value\": ");
            number(out, v->deriv[0], 1);
        }
        sb_puts(out, ", \"derivatives\": ");
        json_exprs(out, g, r->blocks, 1, style);
        break;
    case SD_GRADIENT:
        if (r->p->out_shape.rank == 0) {
            if (v) {
                sb_puts(out, ", \"gradient\": ");
                gradient_numbers(out, r, v->deriv, 1);
            }
            sb_puts(out, ", \"derivatives\": ");
            json_exprs(out, g, r->blocks, r->nwrt, style);
            break;
        }
        if (v) {
            sb_puts(out, ", \"jacobian\": ");
            matrix_numbers(out, "J", v->deriv, rows, cols, 1);
        }
        sb_puts(out, ", \"derivatives\": ");
        if (r->as_matrix) {
            json_expr_matrix(out, g, r->blocks, rows, r->nwrt, style);
        } else {
            sb_putc(out, '[');
            for (int j = 0; j < r->nwrt; j++) {
                Node *b = stacked_block(r, j);
                if (j)
                    sb_puts(out, ", ");
                if (b)
                    json_expr(out, g, b, style);
                else
                    sb_puts(out, "null");
            }
            sb_putc(out, ']');
        }
        break;
    case SD_HESSIAN:
        if (v) {
            sb_puts(out, ", \"gradient\": ");
            gradient_numbers(out, r, v->gradient, 1);
        }
        sb_puts(out, ", \"derivatives\": ");
        json_exprs(out, g, r->grad, r->nwrt, style);
        if (v) {
            sb_puts(out, ", \"hessian\": ");
            matrix_numbers(out, "H", v->deriv, rows, cols, 1);
        }
        if (r->as_matrix) {
            sb_puts(out, ", \"hessian_expressions\": ");
            json_expr_matrix(out, g, r->blocks, rows, r->nwrt, style);
        }
        break;
    }
    if (c) {
        sb_printf(out, ", \"check\": {\"points\": %d, \"max_error\": ", c->tested);
        number(out, c->max_error, 1);
        sb_puts(out, ", \"tolerance\": ");
        number(out, c->tol, 1);
        sb_printf(out, ", \"skipped\": %d, \"ok\": %s}", c->skipped, c->ok ? "true" : "false");
    }
    sb_puts(out, "}\n");
}

/* --- entry points ----------------------------------------------------------------------------- */

static char *api_check_line(const SdResult *r, const SdCheckReport *c) {
    (void)r;
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "gradient check: %d points, max relative error %.3g (tolerance %g)%s%s", c->tested,
              c->max_error, c->tol, c->worst[0] ? " at d/d" : "", c->worst);
    if (c->skipped)
        sb_printf(&sb, ", %d comparisons skipped (differences did not converge)", c->skipped);
    sb_printf(&sb, ": %s\n", c->ok ? "ok" : "FAILED");
    return sb_take(&sb);
}

SdStatus sd_print(const SdResult *r, const SdValues *v, const SdCheckReport *c, SdFormat fmt,
                  char **text) {
    StrBuf out;
    sb_init(&out);
    *text = NULL;
    PrintStyle style = fmt == SD_LATEX ? PRINT_LATEX : PRINT_INFIX;
    if (fmt == SD_JSON) {
        write_json(&out, r, v, c, PRINT_INFIX);
    } else {
        if (v) {
            write_values_text(&out, r, v);
        } else if (write_expressions(&out, r, style) != 0) {
            sb_free(&out);
            return api_fail(r->p, SD_ERR_REQUEST,
                            r->what == SD_HESSIAN
                                ? "the Hessian of a program with vectors and matrices is given as "
                                  "numbers (--at) and as C (-o), not as expressions"
                                : "the Jacobian with respect to a matrix is given as numbers (--at) "
                                  "and as C (-o), not as expressions; differentiate a scalar, or use "
                                  "--wrt");
        }
        if (c) {
            char *line = api_check_line(r, c);
            if (line)
                sb_puts(&out, line);
            else
                out.failed = 1;
            free(line);
        }
    }
    *text = sb_take(&out);
    return *text ? SD_OK : api_nomem(r->p);
}
