/* SPDX-License-Identifier: MIT */
/*
 * parser.y — the grammar: tokens -> AST (see docs/language.md).
 *
 * Consumes the tokens of lexer.l, produces an AST_PROGRAM node whose nodes
 * all live in the caller's AstArena.  Central conventions:
 *
 *  - Pure parser, reentrant scanner, no global state: everything one parse
 *    needs travels in a ParseState threaded through %parse-param and
 *    %lex-param.  parse_program (at the bottom) owns the scanner.
 *  - Locations are byte spans {start, end}; a rule spans its first to its
 *    last symbol, an empty rule is zero-width where the previous symbol
 *    ended.
 *  - Errors go to the Diag (diag_error/diag_note) and the parse stops at the
 *    first one: one-line expressions gain nothing from error recovery.  All
 *    messages are ours (parse.error custom), so golden tests do not depend
 *    on Bison's wording.
 *  - Memory: semantic values are Ast nodes registered in the arena when
 *    they are made, so an aborted parse leaks nothing and no %destructor is
 *    needed.  List-shaped rules (arguments, statements, declarations) build
 *    their list in a scratch node of the same arena.
 *
 * Precedence is written as a ladder of nonterminals, one per level, instead
 * of %left/%right declarations: juxtaposition (implicit multiplication) has
 * no operator token to hang a precedence on, and the ladder states each
 * decision where it is made.  From loosest to tightest:
 *
 *   sum      + -          left-assoc, n-ary   a-b-c is (a-b)-c
 *   product  * / @ juxt   left-assoc, n-ary   a/b/c is (a/b)/c
 *   unary    - +          prefix              -a*b is (-a)*b
 *   power    ^            right-assoc         2^3^2 is 2^(3^2); -x^2 is -(x^2)
 *   postfix  ' [..]       left to right       x'[1] is (x')[1]
 *   primary  number, name, call, (expr), [vector]
 */

%require "3.8"

%define api.pure full
%define api.prefix {sd_yy}
%define api.token.prefix {TOK_}
%define api.value.type {Ast *}
%define api.location.type {Loc}
%define parse.error custom
/* LAC makes the expected-token set exact at the point of the error (without
 * it, default reductions can hide tokens); we use it to say "expected an
 * expression" only when that is true. */
%define parse.lac full
%locations

%parse-param {ParseState *ps}
%lex-param {ParseState *ps}

/* The grammar must stay free of conflicts.  A new conflict is fixed in the
 * grammar (or with precedence), never by raising this number: a conflict
 * means Bison silently picks one reading of some input. */
%expect 0

%code requires {
#include "ast.h"
#include "diag.h"

/* Spans the first to the last symbol of a rule; an empty rule is zero-width
 * at the end of the symbol before it. */
#define YYLLOC_DEFAULT(Cur, Rhs, N)                                            \
    do {                                                                       \
        if (N) {                                                               \
            (Cur).start = YYRHSLOC(Rhs, 1).start;                              \
            (Cur).end = YYRHSLOC(Rhs, N).end;                                  \
        } else {                                                               \
            (Cur).start = (Cur).end = YYRHSLOC(Rhs, 0).end;                    \
        }                                                                      \
    } while (0)

/* What the last closing bracket was, for "unmatched ')'" messages. */
enum { SCAN_MATCHED, SCAN_UNMATCHED, SCAN_MISMATCHED };

/* The scanner's extra data: the source and the running state of one scan.
 * The parser reads it when it reports an error (the scanner is at most one
 * token ahead, the lookahead). */
typedef struct ScanState {
    const Source *src;
    int offset;        /* bytes consumed so far                          */
    int ntokens;       /* tokens returned, end of input excluded         */
    int last_end;      /* end of the last token: where end of input is   */
    int last_kind;     /* the last token returned (the lookahead) ...    */
    Loc last_loc;
    int prev_kind[2];  /* ... and the two before it                      */
    Loc prev_loc[2];
    int close_status;  /* SCAN_*: how the last closing bracket matched   */
    int in_header;     /* between 'repeat' and its '{'                   */
    int assigns;       /* '=' seen since the last ';', '{' or '}'        */
    int depth;         /* open brackets                                  */
    char open_kind[AST_MAX_DEPTH];
    Loc open_loc[AST_MAX_DEPTH];
    /* Flex's own few allocations come from here (yyalloc in lexer.l), so
     * that they cannot fail once parse_program has allocated this. */
    size_t pool_used;
    union {
        void *align_p;
        long double align_d;
        long long align_l;
        unsigned char bytes[1024];
    } pool;
} ScanState;

/* Everything one parse needs; there is no global state. */
typedef struct ParseState {
    AstArena *arena;
    Diag *diag;
    void *scanner;     /* yyscan_t                                       */
    Ast *result;       /* the AST_PROGRAM node, once parsed              */
    int oom;           /* an allocation failed (already reported)        */
    ScanState scan;
} ParseState;
}

%code provides {
/* The scanning function Flex generates from lexer.l.  It is renamed so that
 * it does not collide with the parser's own yylex, which wraps it. */
#define YY_DECL                                                                \
    int sd_scan_token(SD_YYSTYPE *yylval_param, SD_YYLTYPE *yylloc_param,      \
                      void *yyscanner)
YY_DECL;
}

%code {
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "hints.h"

#include "parse.h"

#ifndef YYSTYPE
#define YYSTYPE SD_YYSTYPE
#endif
#ifndef YYLTYPE
#define YYLTYPE SD_YYLTYPE
#endif
#include "lexer.h"

/* The parser's stack grows on the heap up to this many entries; deeper
 * input is "expression nested too deeply" (see yyerror).  The scanner's
 * bracket limit and the AST depth limit stop realistic input long before;
 * this catches long prefix chains such as 100000 unary minuses. */
#define YYMAXDEPTH 20000

static int yylex(YYSTYPE *lval, YYLTYPE *lloc, ParseState *ps);
static void yyerror(const YYLTYPE *loc, ParseState *ps, const char *msg);

static Ast *mk(ParseState *ps, AstKind kind, Loc loc, Loc name_loc);
static Ast *mk_text(ParseState *ps, AstKind kind, Loc loc);
static int set_name(ParseState *ps, Ast *node, Loc loc);
static int add(ParseState *ps, Ast *parent, Ast *kid, char op);
static int add_all(ParseState *ps, Ast *parent, const Ast *list);
static Ast *checked(ParseState *ps, Ast *node);
static Ast *nary(ParseState *ps, AstKind kind, Ast *left, char op, Ast *right,
                 Loc loc, Loc op_loc);
static Ast *wrap(ParseState *ps, AstKind kind, Ast *kid, Loc loc, Loc op_loc);
static Ast *wrap2(ParseState *ps, AstKind kind, Ast *a, Ast *b, Loc loc,
                  Loc op_loc);
static Ast *retag(ParseState *ps, Ast *list, AstKind kind, Loc loc,
                  Loc name_loc);
static int after_division(const Ast *product);
static Loc at(int offset);

/* Every action that makes a node goes through TRY: the helpers report their
 * own errors (out of memory, nesting too deep) and return NULL. */
#define TRY(e)                                                                 \
    do {                                                                       \
        if (!(e))                                                              \
            YYABORT;                                                           \
    } while (0)
}

%initial-action {
    @$.start = @$.end = 0;
}

%token NUMBER  "number"
%token NAME    "name"
%token FUNC    "function name"
%token PARAM   "param"
%token INPUT   "input"
%token REPEAT  "repeat"
%token DIM     "dim"
%token LE      "<="
%token INVALID "invalid character"
%token BADNUM  "malformed number"
%token TOODEEP "too many nested brackets"
%token TOOLONG "name or number too long"

%%

/* program: item* expr ';'?
 * The last symbol must be an expression: the value being differentiated.
 * A program that ends after a statement parses (second alternative) so
 * that it gets its own message instead of "unexpected end of input". */
program
    : items expr opt_semi   { TRY(add(ps, $1, $2, 0));
                              $1->loc = @$;
                              ps->result = $1; }
    | stmts                 { if ($1->nkids == 0)
                                  diag_error(ps->diag, at(0),
                                             "empty program: expected an expression");
                              else
                                  diag_error(ps->diag, at(ps->scan.last_end),
                                             "expected a final expression after the last statement");
                              YYABORT; }
    ;

opt_semi
    : %empty
    | ';'
    ;

/* item: name '=' expr ';' | declaration ';' | repeat ';'?
 * A declaration of several names contributes one AST_DECL per name.  The
 * ';' after a repeat block is optional ("};" is a common habit). */
items
    : %empty                { TRY($$ = mk(ps, AST_PROGRAM, @$, @$)); }
    | items assign ';'      { TRY(add(ps, $1, $2, 0)); $$ = $1; }
    | items decls ';'       { TRY(add_all(ps, $1, $2)); $$ = $1; }
    | items dimdecls ';'    { TRY(add_all(ps, $1, $2)); $$ = $1; }
    | items repeat          { TRY(add(ps, $1, $2, 0)); $$ = $1; }
    | items repeat ';'      { TRY(add(ps, $1, $2, 0)); $$ = $1; }
    ;

/* The statements of a block (and of a program without a final expression):
 * the last assignment may omit its ';', as in { l = 4*l*(1 - l) }. */
stmts
    : items
    | items assign          { TRY(add(ps, $1, $2, 0)); $$ = $1; }
    ;

assign
    : NAME '=' expr         { TRY($$ = mk_text(ps, AST_ASSIGN, @1));
                              $$->loc = @$;
                              TRY(add(ps, $$, $3, 0)); }
    ;

/* repeat expr { stmts } */
repeat
    : REPEAT expr '{' stmts '}'
                            { TRY($$ = mk(ps, AST_REPEAT, @$, @1));
                              TRY(add(ps, $$, $2, 0));
                              TRY(add_all(ps, $$, $4)); }
    ;

/* param w[3], W[2,3], s   /   input x[3], y
 * The scratch list's flags carry AST_INPUT to every name in it.  Any number
 * of dimensions parses; lowering decides which shapes exist. */
decls
    : PARAM decl            { TRY($$ = mk(ps, AST_PROGRAM, @$, @1));
                              TRY(add(ps, $$, $2, 0)); }
    | INPUT decl            { TRY($$ = mk(ps, AST_PROGRAM, @$, @1));
                              $$->flags = $2->flags = AST_INPUT;
                              TRY(add(ps, $$, $2, 0)); }
    | decls ',' decl        { $3->flags |= $1->flags & AST_INPUT;
                              TRY(add(ps, $1, $3, 0)); $$ = $1; }
    ;

decl
    : NAME                  { TRY($$ = mk_text(ps, AST_DECL, @1)); }
    | NAME '[' dims ']'     { TRY($$ = mk_text(ps, AST_DECL, @1));
                              $$->loc = @$;
                              TRY(add_all(ps, $$, $3)); }
    ;

/* A dimension is a number, or the name of a run-time dimension. */
dims
    : dim                   { TRY($$ = mk(ps, AST_VECTOR, @$, @$));
                              TRY(add(ps, $$, $1, 0)); }
    | dims ',' dim          { TRY(add(ps, $1, $3, 0)); $$ = $1; }
    ;

dim
    : NUMBER                { TRY($$ = mk_text(ps, AST_NUM, @1)); }
    | NAME                  { TRY($$ = mk_text(ps, AST_NAME, @1)); }
    ;

/* dim n <= 256, m <= 10
 * Run-time dimensions: sizes given when the program runs (a batch), each
 * bounded by a maximum.  One AST_DECL with AST_DIM per name, its maximum
 * the one kid. */
dimdecls
    : DIM dimdecl           { TRY($$ = mk(ps, AST_PROGRAM, @$, @1));
                              TRY(add(ps, $$, $2, 0)); }
    | dimdecls ',' dimdecl  { TRY(add(ps, $1, $3, 0)); $$ = $1; }
    ;

dimdecl
    : NAME LE NUMBER        { TRY($$ = mk_text(ps, AST_DECL, @1));
                              $$->loc = @$;
                              $$->flags = AST_DIM;
                              Ast *n;
                              TRY(n = mk_text(ps, AST_NUM, @3));
                              TRY(add(ps, $$, n, 0)); }
    ;

expr
    : sum
    ;

/* sum: product (('+' | '-') product)*
 * Loosest level, left-associative, collected into one n-ary AST_SUM (a long
 * sum is a list, not a 100000-deep tree).  A parenthesised sum is never
 * merged: (a+b)+c keeps its inner node. */
sum
    : product
    | sum '+' product       { TRY($$ = nary(ps, AST_SUM, $1, '+', $3, @$, @2)); }
    | sum '-' product       { TRY($$ = nary(ps, AST_SUM, $1, '-', $3, @$, @2)); }
    ;

/* product: unary (('*' | '/' | '@') unary | jfactor)*
 * '*', '/', '@' and juxtaposition share one level, left-associative, as in
 * the usual reading of "2 pi x / 3".  Juxtaposition is only accepted where
 * it cannot be misread: its right factor must start with a name, a call or
 * '(' (never a number, a sign or '['), so "x 2", "x -y" and "x [1]" are
 * not products.  After a '/' it is rejected: 1/2x means 1/(2x) to many
 * readers and (1/2)x to others. */
product
    : unary
    | product '*' unary     { TRY($$ = nary(ps, AST_PRODUCT, $1, '*', $3, @$, @2)); }
    | product '/' unary     { TRY($$ = nary(ps, AST_PRODUCT, $1, '/', $3, @$, @2)); }
    | product '@' unary     { TRY($$ = nary(ps, AST_PRODUCT, $1, '@', $3, @$, @2)); }
    | product jpower        { if (after_division($1)) {
                                  diag_error(ps->diag, @2,
                                             "ambiguous implicit multiplication after '/': "
                                             "write (a/b)*c or a/(b*c)");
                                  YYABORT;
                              }
                              TRY($$ = nary(ps, AST_PRODUCT, $1, ' ', $2, @$, at(@2.start))); }
    ;

/* unary: ('-' | '+') unary | power
 * Prefix signs bind tighter than products ((-a)*b, which has the same
 * value) but looser than '^': -x^2 is -(x^2), as in mathematics.  Unary
 * plus leaves no node. */
unary
    : power
    | '-' unary             { TRY($$ = wrap(ps, AST_NEG, $2, @$, @1)); }
    | '+' unary             { $$ = $2; }
    ;

/* power: postfix ('^' unary)?
 * Right-associative because the exponent is a `unary`, which contains
 * `power` again: 2^3^2 is 2^(3^2) = 512.  The exponent may carry its own
 * sign: 2^-x is 2^(-x) and x^-2^2 is x^(-(2^2)). */
power
    : postfix
    | postfix '^' unary     { TRY($$ = wrap2(ps, AST_POW, $1, $3, @$, @2)); }
    ;

/* The same two levels for a juxtaposed factor, whose first token is
 * restricted (see product). */
jpower
    : jpostfix
    | jpostfix '^' unary    { TRY($$ = wrap2(ps, AST_POW, $1, $3, @$, @2)); }
    ;

/* postfix: primary ("'" | '[' exprs ']')*   — transpose and indexing. */
postfix
    : primary
    | postfix '\''          { TRY($$ = wrap(ps, AST_TRANSPOSE, $1, @$, @2)); }
    | postfix '[' exprs ']' { TRY($$ = wrap(ps, AST_INDEX, $1, @$, @2));
                              TRY(add_all(ps, $$, $3));
                              TRY(checked(ps, $$)); }
    ;

jpostfix
    : jprimary
    | jpostfix '\''         { TRY($$ = wrap(ps, AST_TRANSPOSE, $1, @$, @2)); }
    | jpostfix '[' exprs ']'
                            { TRY($$ = wrap(ps, AST_INDEX, $1, @$, @2));
                              TRY(add_all(ps, $$, $3));
                              TRY(checked(ps, $$)); }
    ;

primary
    : jprimary
    | NUMBER                { TRY($$ = mk_text(ps, AST_NUM, @1)); }
    | '[' exprs ']'         { TRY($$ = retag(ps, $2, AST_VECTOR, @$, @1)); }
    ;

/* The primaries that may start a juxtaposed factor.  A name written right
 * before '(' is a call whatever the name (the scanner makes it FUNC);
 * lowering says "x is not a function" when it is not one. */
jprimary
    : NAME                  { TRY($$ = mk_text(ps, AST_NAME, @1)); }
    | FUNC '(' ')'          { TRY($$ = mk_text(ps, AST_CALL, @1));
                              $$->loc = @$; }
    | FUNC '(' exprs ')'    { TRY($$ = retag(ps, $3, AST_CALL, @$, @1));
                              TRY(set_name(ps, $$, @1)); }
    | '(' expr ')'          { $$ = $2; $$->flags |= AST_PAREN; }
    ;

/* exprs: expr (',' expr)*   — arguments, subscripts, vector elements. */
exprs
    : expr                  { TRY($$ = mk(ps, AST_VECTOR, @$, @$));
                              TRY(add(ps, $$, $1, 0)); }
    | exprs ',' expr        { TRY(add(ps, $1, $3, 0)); $$ = $1; }
    ;

%%

/* ---- tokens ------------------------------------------------------------ */

static int yylex(YYSTYPE *lval, YYLTYPE *lloc, ParseState *ps) {
    *lval = NULL;
    return sd_scan_token(lval, lloc, ps->scanner);
}

static Loc at(int offset) {
    Loc loc = {offset, offset};
    return loc;
}

/* ---- building nodes ---------------------------------------------------- */

static void out_of_memory(ParseState *ps, Loc loc) {
    if (!ps->oom)
        diag_error(ps->diag, loc, "out of memory");
    ps->oom = 1;
}

static Ast *mk(ParseState *ps, AstKind kind, Loc loc, Loc name_loc) {
    Ast *n = ast_new(ps->arena, kind, loc);
    if (!n) {
        out_of_memory(ps, loc);
        return NULL;
    }
    n->name_loc = name_loc;
    return n;
}

/* Sets a node's text to the source text of `loc` (a name or a number). */
static int set_name(ParseState *ps, Ast *node, Loc loc) {
    ast_set_text(ps->arena, node, ps->scan.src->text + loc.start,
                 (size_t)(loc.end - loc.start));
    if (!node->text) {
        out_of_memory(ps, loc);
        return 0;
    }
    return 1;
}

/* A node named by the source text of `loc`. */
static Ast *mk_text(ParseState *ps, AstKind kind, Loc loc) {
    Ast *n = mk(ps, kind, loc, loc);
    if (!n || !set_name(ps, n, loc))
        return NULL;
    return n;
}

/* ast_push cannot return an error; a failed push leaves nkids unchanged. */
static int add(ParseState *ps, Ast *parent, Ast *kid, char op) {
    int before = parent->nkids;
    ast_push(ps->arena, parent, kid, op);
    if (parent->nkids == before) {
        out_of_memory(ps, kid->loc);
        return 0;
    }
    return 1;
}

static int add_all(ParseState *ps, Ast *parent, const Ast *list) {
    for (int i = 0; i < list->nkids; i++)
        if (!add(ps, parent, list->kids[i], 0))
            return 0;
    return 1;
}

/* The nesting limit, checked on every expression node as it is completed.
 * Statements are not checked: their nesting is that of the '{' brackets,
 * which the scanner limits. */
static Ast *checked(ParseState *ps, Ast *node) {
    if (node->depth > AST_MAX_DEPTH) {
        diag_error(ps->diag, node->loc, "expression nested too deeply");
        return NULL;
    }
    return node;
}

/* left op right for SUM/PRODUCT: appended to `left` when it is an open
 * (not parenthesised) node of the same kind, else a new two-operand node.
 * The first operand's op is '+' for a sum and '*' for a product. */
static Ast *nary(ParseState *ps, AstKind kind, Ast *left, char op, Ast *right,
                 Loc loc, Loc op_loc) {
    Ast *n = left;
    if (left->kind != kind || (left->flags & AST_PAREN)) {
        if (!(n = mk(ps, kind, loc, op_loc)) ||
            !add(ps, n, left, kind == AST_SUM ? '+' : '*'))
            return NULL;
    }
    if (!add(ps, n, right, op))
        return NULL;
    n->loc = loc;
    return checked(ps, n);
}

static Ast *wrap(ParseState *ps, AstKind kind, Ast *kid, Loc loc, Loc op_loc) {
    Ast *n = mk(ps, kind, loc, op_loc);
    if (!n || !add(ps, n, kid, 0))
        return NULL;
    return checked(ps, n);
}

static Ast *wrap2(ParseState *ps, AstKind kind, Ast *a, Ast *b, Loc loc,
                  Loc op_loc) {
    Ast *n = wrap(ps, kind, a, loc, op_loc);
    if (!n || !add(ps, n, b, 0))
        return NULL;
    return checked(ps, n);
}

/* Turns a scratch list of expressions into the node that owns them. */
static Ast *retag(ParseState *ps, Ast *list, AstKind kind, Loc loc,
                  Loc name_loc) {
    list->kind = kind;
    list->loc = loc;
    list->name_loc = name_loc;
    return checked(ps, list);
}

/* True when a juxtaposed factor would directly follow a '/' operand. */
static int after_division(const Ast *product) {
    return product->kind == AST_PRODUCT && !(product->flags & AST_PAREN) &&
           product->nkids > 1 && product->ops[product->nkids - 1] == '/';
}

/* ---- errors ------------------------------------------------------------ */

/* Bison calls this only when its stack is exhausted ("memory exhausted"):
 * input nested deeper than YYMAXDEPTH, or a failed allocation.  They are
 * told apart by counting tokens: every stack entry is a token or a
 * nonterminal, and the only ones that can cover no token are one `items`
 * per open block (at most AST_MAX_DEPTH of them) and a final `opt_semi`,
 * so a stack of YYMAXDEPTH entries needs nearly that many tokens. */
static void yyerror(const YYLTYPE *loc, ParseState *ps, const char *msg) {
    if (strcmp(msg, "memory exhausted") != 0)
        diag_error(ps->diag, *loc, "%s", msg);
    else if (ps->oom || ps->scan.ntokens + AST_MAX_DEPTH + 8 < YYMAXDEPTH)
        out_of_memory(ps, *loc);
    else
        diag_error(ps->diag, *loc, "expression nested too deeply");
}

/* A byte as it appears in messages: itself when printable, else \xNN. */
static void show_byte(unsigned char c, char out[5]) {
    static const char hex[] = "0123456789ABCDEF";
    if (c >= 0x20 && c < 0x7f) {
        out[0] = (char)c;
        out[1] = '\0';
    } else {
        out[0] = '\\';
        out[1] = 'x';
        out[2] = hex[c >> 4];
        out[3] = hex[c & 15];
        out[4] = '\0';
    }
}

/* The code point of a well-formed UTF-8 sequence of 2 to 4 bytes. */
static unsigned long utf8_code_point(const unsigned char *s, int len) {
    unsigned long cp = s[0] & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    for (int i = 1; i < len; i++)
        cp = cp << 6 | (s[i] & 0x3F);
    return cp;
}

/* What a character that looks like ASCII was probably meant to be (text
 * pasted from a word processor or typeset mathematics), or NULL. */
static const char *lookalike(unsigned long cp) {
    static const struct {
        unsigned long cp;
        const char *meant;
    } table[] = {
        {0x2212, "'-'"},   {0x2010, "'-'"},   {0x2011, "'-'"},   {0x2012, "'-'"},
        {0x2013, "'-'"},   {0x2014, "'-'"},   {0xFF0D, "'-'"},   {0xFF0B, "'+'"},
        {0x00D7, "'*'"},   {0x00B7, "'*'"},   {0x22C5, "'*'"},   {0x2219, "'*'"},
        {0x2217, "'*'"},   {0x00F7, "'/'"},   {0x2215, "'/'"},   {0x2044, "'/'"},
        {0x2018, "\"'\""}, {0x2019, "\"'\""}, {0x2032, "\"'\""}, {0xFF08, "'('"},
        {0xFF09, "')'"},   {0x00B2, "'^2'"},  {0x00B3, "'^3'"},  {0x03C0, "'pi'"},
        {0x221A, "'sqrt'"}, {0x00A0, "a space"}, {0x2009, "a space"}, {0x202F, "a space"},
        {0x3000, "a space"},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].cp == cp)
            return table[i].meant;
    return NULL;
}

/* Reports the `len` bytes at `loc` as an operator symdiff does not have,
 * when the hints know it; returns 0 when they do not. */
static int operator_hint(ParseState *ps, Loc loc, int len) {
    const char *text = ps->scan.src->text + loc.start;
    const char *hint = hint_operator(text, (size_t)len);
    if (hint)
        diag_error(ps->diag, (Loc){loc.start, loc.start + len}, "%s", hint);
    return hint != NULL;
}

static void note_unclosed(ParseState *ps) {
    const ScanState *s = &ps->scan;
    if (s->depth > 0)
        diag_note(ps->diag, s->open_loc[s->depth - 1], "unclosed '%c' opened here",
                  s->open_kind[s->depth - 1]);
}

/* What the parser wanted instead, when that is short to say: an
 * expression (a number, a name and '(' all fit), a number or a dimension's
 * name (the dimensions of a declaration), a number alone (a run-time
 * dimension's maximum), '<=' after `dim n`, or the '{' of a repeat.  ""
 * otherwise. */
static const char *expected_hint(const yypcontext_t *ctx, const ScanState *s) {
    yysymbol_kind_t expected[YYNTOKENS];
    int n = yypcontext_expected_tokens(ctx, expected, YYNTOKENS);
    int number = 0, name = 0, brace = 0, paren = 0;
    for (int i = 0; i < n; i++) {
        number |= expected[i] == YYSYMBOL_NUMBER;
        name |= expected[i] == YYSYMBOL_NAME;
        brace |= expected[i] == YYTRANSLATE('{');
        paren |= expected[i] == YYTRANSLATE('(');
    }
    if (number && name && paren)
        return ", expected an expression";
    if (number && name && n == 2)
        return ", expected a number or the name of a run-time dimension";
    if (number && n == 1)
        return ", expected a number";
    if (n == 1 && expected[0] == YYSYMBOL_LE)
        return ", expected '<=' and the dimension's largest size (dim n <= 256)";
    /* "repeat 2 l = l*l }": the count is complete, its block missing */
    if (brace && s->in_header)
        return ", expected '{' after the repeat count";
    return "";
}

/* A token that can end an operand, so that a name after it was taken as a
 * juxtaposed factor. */
static int ends_operand(int kind) {
    return kind == TOK_NUMBER || kind == TOK_NAME || kind == ')' ||
           kind == ']' || kind == '\'';
}

static int yyreport_syntax_error(const yypcontext_t *ctx, ParseState *ps) {
    const ScanState *s = &ps->scan;
    Loc loc = *yypcontext_location(ctx);
    const char *text = s->src->text + loc.start;
    int len = loc.end - loc.start;
    const char *what = "";
    int closer = 0;

    switch (yypcontext_token(ctx)) {
    case YYSYMBOL_YYEOF:
        diag_error(ps->diag, loc, "unexpected end of input");
        note_unclosed(ps);
        return 0;
    case YYSYMBOL_INVALID:
        if (len > 1) {
            /* a UTF-8 sequence (the scanner checked its form) */
            unsigned long cp = utf8_code_point((const unsigned char *)text, len);
            const char *hint = lookalike(cp);
            if (cp == 0xFEFF)
                diag_error(ps->diag, loc, "non-ASCII character U+FEFF, a byte order mark; "
                                          "save the file without it");
            else
                diag_error(ps->diag, loc, "non-ASCII character U+%04lX%s%s%s", cp,
                           hint ? "; did you mean " : "", hint ? hint : "",
                           hint ? "?" : "");
        } else {
            char shown[5];
            show_byte((unsigned char)text[0], shown);
            const char *hint = hint_operator(text, 1);
            diag_error(ps->diag, loc, "invalid character '%s'%s%s%s", shown,
                       (unsigned char)text[0] >= 0x80 ? " (the text is not UTF-8)" : "",
                       hint ? "; " : "", hint ? hint : "");
        }
        return 0;
    case YYSYMBOL_TOOLONG:
        diag_error(ps->diag, loc, "%s too long (%d characters, at most %d)",
                   strchr("0123456789.", text[0]) ? "number" : "name", len,
                   strchr("0123456789.", text[0]) ? AST_MAX_NUMBER : AST_MAX_NAME);
        return 0;
    case YYSYMBOL_BADNUM:
        /* MATLAB's x.^2: a lone '.' before an operator */
        if (len == 1 && text[0] == '.' && (size_t)loc.end < s->src->len &&
            operator_hint(ps, loc, 2))
            return 0;
        diag_error(ps->diag, loc, "malformed number '%.*s'", len, text);
        return 0;
    case YYSYMBOL_TOODEEP:
        diag_error(ps->diag, loc, "expression nested too deeply");
        return 0;
    case YYSYMBOL_NUMBER:
        what = "number ";
        break;
    case YYSYMBOL_NAME:
    case YYSYMBOL_FUNC:
        what = "name ";
        break;
    case YYSYMBOL_PARAM:
    case YYSYMBOL_INPUT:
    case YYSYMBOL_REPEAT:
    case YYSYMBOL_DIM:
        what = "keyword ";
        break;
    case YYSYMBOL_LE:
        /* a <= b: a comparison, which symdiff does not have */
        if (operator_hint(ps, loc, 1))
            return 0;
        break;
    default:
        closer = len == 1 && strchr(")]}", text[0]) != NULL;
        if (closer && s->close_status == SCAN_UNMATCHED) {
            diag_error(ps->diag, loc, "unmatched '%c'", text[0]);
            return 0;
        }
        /* x**2, a // b, a == b: an operator of another language, written
         * as two of ours */
        if (s->prev_kind[0] == s->last_kind && s->prev_loc[0].end == loc.start) {
            Loc both = {s->prev_loc[0].start, loc.end};
            if (operator_hint(ps, both, both.end - both.start))
                return 0;
        }
        break;
    }
    /* a quote is shown in double quotes: "unexpected "'"", not "'''" */
    const char *quote = len == 1 && text[0] == '\'' ? "\"" : "'";
    diag_error(ps->diag, loc, "unexpected %s%s%.*s%s%s", what, quote, len, text, quote,
               expected_hint(ctx, s));
    if (closer && s->close_status == SCAN_MISMATCHED)
        note_unclosed(ps);
    /* "a = 1 b = 2": the missing ';' made "1 b" a product.  Only after
     * another '=' in the same statement, and where a statement could
     * start: not inside '(' or '[', not in a repeat count. */
    if (s->last_kind == '=' && s->assigns > 1 && s->prev_kind[0] == TOK_NAME &&
        ends_operand(s->prev_kind[1]) && !s->in_header &&
        (s->depth == 0 || s->open_kind[s->depth - 1] == '{')) {
        Loc name = s->prev_loc[0];
        diag_note(ps->diag, name, "is a ';' missing before '%.*s'?",
                  name.end - name.start, s->src->text + name.start);
    }
    return 0;
}

/* ---- the entry point --------------------------------------------------- */

/* Owns the scanner for one parse: init (with the ScanState, which holds the
 * Source, as Flex's extra data), scan the bytes, parse, destroy.  Nothing
 * survives the call but the AST in `arena` and the messages in `diag`. */
Ast *parse_program(AstArena *arena, Diag *diag) {
    const Source *src = diag->src;
    static const Loc nowhere = {-1, -1};
    if (!src || (!src->text && src->len)) {
        diag_error(diag, nowhere, "no source text");
        return NULL;
    }
    if (src->len > PARSE_MAX_INPUT) { /* and Loc offsets are ints */
        diag_error(diag, nowhere, "input too large (more than %zu MiB)", PARSE_MAX_INPUT >> 20);
        return NULL;
    }

    /* The state lives on the heap: the bracket stack makes it ~10 KiB. */
    ParseState *ps = calloc(1, sizeof *ps);
    /* Flex scans in place and needs two NUL bytes after the text.  This is
     * what yy_scan_bytes does too, but it would stop the program if the
     * copy could not be allocated; here that is an ordinary error.  The
     * text itself may hold NULs: Flex goes by the length. */
    char *buf = malloc(src->len + 2);
    if (!ps || !buf) {
        free(ps);
        free(buf);
        diag_error(diag, nowhere, "out of memory");
        return NULL;
    }
    if (src->len)
        memcpy(buf, src->text, src->len);
    buf[src->len] = buf[src->len + 1] = '\0';
    ps->arena = arena;
    ps->diag = diag;
    ps->scan.src = src;

    Ast *result = NULL;
    if (sd_yylex_init_extra(&ps->scan, &ps->scanner) != 0) {
        diag_error(diag, nowhere, "out of memory");
    } else {
        YY_BUFFER_STATE b = sd_yy_scan_buffer(buf, src->len + 2, ps->scanner);
        if (sd_yyparse(ps) == 0 && !ps->oom)
            result = ps->result;
        sd_yy_delete_buffer(b, ps->scanner);
        sd_yylex_destroy(ps->scanner);
    }
    free(buf);
    free(ps);
    return result;
}
