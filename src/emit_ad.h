/* SPDX-License-Identifier: MIT */
/*
 * emit_ad.h — C for automatic differentiation of the program's own code.
 *
 * Where codegen_c writes the symbolic derivative as C, these emitters write
 * what an AD tool would make of the program itself: its straight-line code,
 * one statement per DAG node in id (topological) order, differentiated
 * either forward (dual numbers, one pass per parameter) or in reverse (a
 * forward sweep that keeps every intermediate, then an adjoint sweep).  The
 * files have the same entry points, sizes and conventions as codegen_c's,
 * so the three kernels are interchangeable and can be timed against each
 * other on the same input.
 */
#ifndef SYMDIFF_EMIT_AD_H
#define SYMDIFF_EMIT_AD_H

#include "codegen.h"
#include "deriv.h"

typedef enum EmitAdMode {
    EMIT_AD_FORWARD, /* dual numbers: value and tangent per statement     */
    EMIT_AD_REVERSE  /* forward sweep to locals, then the adjoint sweep    */
} EmitAdMode;

/* Writes the source and the header for the program in->outputs (in->grad
 * and in->hess are not used: the derivative comes from the program's code,
 * not from the symbolic engine).  Entry points: NAME and NAME_grad for a
 * scalar program, NAME and NAME_jac for a vector one, with input[] as in
 * codegen_c.  Builds the local partial derivatives as nodes of g (with
 * deriv_partial, under the request's settings dopt: its kink, and its
 * assumptions of the outputs' domain, like the symbolic engines).  Returns
 * 0, or -1 when out of memory. */
int emit_ad_c(Graph *g, const CodegenInput *in, EmitAdMode mode, const CodegenOptions *opt,
              const DerivOptions *dopt, StrBuf *source, StrBuf *header);

#endif
