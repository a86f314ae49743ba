/* SPDX-License-Identifier: MIT */
/*
 * ast.h — the abstract syntax tree produced by the parser.
 *
 * The parser (grammar/parser.y) consumes tokens and produces an Ast; lowering
 * (lower.c) consumes the Ast and produces DAG nodes.  The AST is the only
 * place that keeps source locations: every node carries the byte span it was
 * parsed from, so later stages can point at the offending text.  All nodes of
 * one parse live in one AstArena and are freed together.
 */
#ifndef SYMDIFF_AST_H
#define SYMDIFF_AST_H

#include <stddef.h>

/* A span of source text as byte offsets [start, end).  Line and column are
 * computed only when a diagnostic is printed (diag.c). */
typedef struct Loc {
    int start, end;
} Loc;

typedef enum AstKind {
    AST_NUM,       /* text: the literal as written                          */
    AST_NAME,      /* text: identifier                                      */
    AST_CALL,      /* text: function name; kids: arguments                  */
    AST_NEG,       /* -kids[0]                                              */
    AST_SUM,       /* kids[0] ops[1] kids[1] ...; ops[i] is '+' or '-'      */
    AST_PRODUCT,   /* kids[0] ops[1] kids[1] ...; ops[i] is '*', '/', '@',
                      or ' ' for juxtaposition (implicit multiplication)   */
    AST_POW,       /* kids[0] ^ kids[1]                                     */
    AST_TRANSPOSE, /* kids[0]'                                              */
    AST_INDEX,     /* kids[0] [ kids[1], ... ]                              */
    AST_VECTOR,    /* [ kids[0], kids[1], ... ]                             */
    AST_ASSIGN,    /* text = kids[0]                                        */
    AST_REPEAT,    /* repeat kids[0] { kids[1] ... }                        */
    AST_DECL,      /* param/input text[kids...] (dims are AST_NUM, or
                      AST_NAME for a run-time dimension); flags has
                      AST_INPUT for `input`; with AST_DIM, `dim text <=
                      kids[0]` (a run-time dimension and its maximum)     */
    AST_PROGRAM    /* statements kids[0..n-2], final expression kids[n-1]   */
} AstKind;

enum AstFlags {
    AST_PAREN = 1, /* written inside parentheses                            */
    AST_INPUT = 2, /* a declaration of data (`input`), not a parameter      */
    AST_DIM = 4    /* a declaration of a run-time dimension (`dim n <= 256`) */
};

typedef struct Ast Ast;
/* The 4-byte members together, then the pointers: no padding between
 * them (56 bytes on 64-bit systems, not 64; a program of 10^5 names has
 * 4 * 10^5 nodes). */
struct Ast {
    AstKind kind;
    int flags;        /* AstFlags                                           */
    int depth;        /* nesting depth of expressions, for limits           */
    int nkids;
    Loc loc;          /* the whole construct                                */
    Loc name_loc;     /* the name (CALL, ASSIGN, DECL) or operator token    */
    const char *text; /* NUL-terminated, owned by the arena                 */
    Ast **kids;
    char *ops;        /* SUM/PRODUCT: ops[i] joins kids[i-1] and kids[i]    */
};

/* Nodes, texts and kids arrays are carved from large blocks, a few per
 * parse instead of four allocations per node (a program of 10^5 names
 * has 10^6 of them); a zeroed AstArena is empty. */
typedef struct AstBlock AstBlock;
typedef struct AstArena {
    AstBlock *blocks; /* newest first, freed by ast_arena_free */
} AstArena;

/* Nesting deeper than this is an error ("expression nested too deeply"). */
#define AST_MAX_DEPTH 1000

/* Longer names and numeric literals are errors ("name too long"): they
 * bound the cost of suggestions and the length of messages that quote
 * them (docs/limits.md). */
#define AST_MAX_NAME 256
#define AST_MAX_NUMBER 1024

Ast *ast_new(AstArena *arena, AstKind kind, Loc loc);
/* Appends a child (and for SUM/PRODUCT the operator joining it). */
void ast_push(AstArena *arena, Ast *parent, Ast *kid, char op);
void ast_set_text(AstArena *arena, Ast *node, const char *text, size_t len);
void ast_arena_free(AstArena *arena);

/* Prints the program back in source syntax (for --print).  The output parses
 * to the same tree. */
struct StrBuf;
void ast_print(struct StrBuf *out, const Ast *node);

#endif
