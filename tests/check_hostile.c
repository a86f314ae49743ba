/* SPDX-License-Identifier: MIT */
/*
 * check_hostile.c — hostile input, through the real binary ($SYMDIFF).
 *
 * Every case is a broken, binary, absurd or huge program (or option) and
 * the exact stderr it must give: the "<name>:line:col: error: message"
 * line, the source line echoed with control bytes escaped, the caret line,
 * and any note; stdout stays empty and the status is 1 (input) or 2
 * (usage).  Each case runs three ways — as an argument, on stdin (-f -)
 * and from a file (-f FILE) — and the name in the messages follows:
 * "<expr>", "<stdin>", the file's path.  Programs holding NUL bytes cannot
 * be arguments and run the other two ways.
 *
 * Then: inputs too large for a table (100000 nested brackets, very long
 * names, numbers and lines, input beyond the size limit) with their exact
 * messages built here; -o in every way a write can fail (a FIFO, /proc, a
 * read-only directory, `ulimit -f` part-way, the input file as output);
 * and the engine bugs found by fuzzing and by these tests, as value checks.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deriv.h"
#include "diag.h"
#include "eval.h"
#include "lower.h"
#include "parse.h"
#include "print.h"
#include "testrun.h"
#include "testutil.h"

/* --- the golden cases ------------------------------------------------------ */

typedef struct Hostile {
    const char *opts[5]; /* options before the program                 */
    const char *text;    /* the program; may hold NUL bytes            */
    size_t len;
    const char *err;     /* exact stderr, "<expr>" naming the source   */
    int status;
} Hostile;

#define P(s) s, sizeof s - 1

static const Hostile cases[] = {

    /* --- unbalanced brackets --- */
    {{NULL}, P("("),
     "<expr>:1:2: error: unexpected end of input\n"
     "    (\n"
     "     ^\n"
     "<expr>:1:1: note: unclosed '(' opened here\n"
     "    (\n"
     "    ^\n",
     1},
    {{NULL}, P(")"),
     "<expr>:1:1: error: unmatched ')'\n"
     "    )\n"
     "    ^\n",
     1},
    {{NULL}, P("((x)"),
     "<expr>:1:5: error: unexpected end of input\n"
     "    ((x)\n"
     "        ^\n"
     "<expr>:1:1: note: unclosed '(' opened here\n"
     "    ((x)\n"
     "    ^\n",
     1},
    {{NULL}, P("(x))"),
     "<expr>:1:4: error: unmatched ')'\n"
     "    (x))\n"
     "       ^\n",
     1},
    {{NULL}, P("[x"),
     "<expr>:1:3: error: unexpected end of input\n"
     "    [x\n"
     "      ^\n"
     "<expr>:1:1: note: unclosed '[' opened here\n"
     "    [x\n"
     "    ^\n",
     1},
    {{NULL}, P("x]"),
     "<expr>:1:2: error: unmatched ']'\n"
     "    x]\n"
     "     ^\n",
     1},
    {{NULL}, P("{"),
     "<expr>:1:1: error: unexpected '{', expected an expression\n"
     "    {\n"
     "    ^\n",
     1},
    {{NULL}, P("}"),
     "<expr>:1:1: error: unmatched '}'\n"
     "    }\n"
     "    ^\n",
     1},
    {{NULL}, P("x}"),
     "<expr>:1:2: error: unmatched '}'\n"
     "    x}\n"
     "     ^\n",
     1},
    {{NULL}, P("sin(x"),
     "<expr>:1:6: error: unexpected end of input\n"
     "    sin(x\n"
     "         ^\n"
     "<expr>:1:4: note: unclosed '(' opened here\n"
     "    sin(x\n"
     "       ^\n",
     1},
    {{NULL}, P("sin(x))"),
     "<expr>:1:7: error: unmatched ')'\n"
     "    sin(x))\n"
     "          ^\n",
     1},
    {{NULL}, P("(x]"),
     "<expr>:1:3: error: unexpected ']'\n"
     "    (x]\n"
     "      ^\n"
     "<expr>:1:1: note: unclosed '(' opened here\n"
     "    (x]\n"
     "    ^\n",
     1},
    {{NULL}, P("[x)"),
     "<expr>:1:3: error: unexpected ')'\n"
     "    [x)\n"
     "      ^\n"
     "<expr>:1:1: note: unclosed '[' opened here\n"
     "    [x)\n"
     "    ^\n",
     1},
    {{NULL}, P("f(x, (y)"),
     "<expr>:1:9: error: unexpected end of input\n"
     "    f(x, (y)\n"
     "            ^\n"
     "<expr>:1:2: note: unclosed '(' opened here\n"
     "    f(x, (y)\n"
     "     ^\n",
     1},
    {{NULL}, P("(x + (y)"),
     "<expr>:1:9: error: unexpected end of input\n"
     "    (x + (y)\n"
     "            ^\n"
     "<expr>:1:1: note: unclosed '(' opened here\n"
     "    (x + (y)\n"
     "    ^\n",
     1},
    {{NULL}, P("x + )"),
     "<expr>:1:5: error: unmatched ')'\n"
     "    x + )\n"
     "        ^\n",
     1},
    {{NULL}, P("l = x; repeat 2 { l = l*l"),
     "<expr>:1:26: error: unexpected end of input\n"
     "    l = x; repeat 2 { l = l*l\n"
     "                             ^\n"
     "<expr>:1:17: note: unclosed '{' opened here\n"
     "    l = x; repeat 2 { l = l*l\n"
     "                    ^\n",
     1},
    {{NULL}, P("l = x; repeat 2 l = l*l }"),
     "<expr>:1:19: error: unexpected '=', expected '{' after the repeat count\n"
     "    l = x; repeat 2 l = l*l }\n"
     "                      ^\n",
     1},
    {{NULL}, P("(\n(\nx"),
     "<expr>:3:2: error: unexpected end of input\n"
     "    x\n"
     "     ^\n"
     "<expr>:2:1: note: unclosed '(' opened here\n"
     "    (\n"
     "    ^\n",
     1},
    {{NULL}, P("[1, 2"),
     "<expr>:1:6: error: unexpected end of input\n"
     "    [1, 2\n"
     "         ^\n"
     "<expr>:1:1: note: unclosed '[' opened here\n"
     "    [1, 2\n"
     "    ^\n",
     1},
    {{NULL}, P("max(x, y"),
     "<expr>:1:9: error: unexpected end of input\n"
     "    max(x, y\n"
     "            ^\n"
     "<expr>:1:4: note: unclosed '(' opened here\n"
     "    max(x, y\n"
     "       ^\n",
     1},
    {{NULL}, P("sin x)"),
     "<expr>:1:6: error: unmatched ')'\n"
     "    sin x)\n"
     "         ^\n",
     1},
    {{NULL}, P("x)(y"),
     "<expr>:1:2: error: unmatched ')'\n"
     "    x)(y\n"
     "     ^\n",
     1},
    {{NULL}, P("((((x)))"),
     "<expr>:1:9: error: unexpected end of input\n"
     "    ((((x)))\n"
     "            ^\n"
     "<expr>:1:1: note: unclosed '(' opened here\n"
     "    ((((x)))\n"
     "    ^\n",
     1},
    {{NULL}, P("{x}"),
     "<expr>:1:1: error: unexpected '{', expected an expression\n"
     "    {x}\n"
     "    ^\n",
     1},
    {{NULL}, P("(]"),
     "<expr>:1:2: error: unexpected ']', expected an expression\n"
     "    (]\n"
     "     ^\n"
     "<expr>:1:1: note: unclosed '(' opened here\n"
     "    (]\n"
     "    ^\n",
     1},
    {{NULL}, P("sin(x]"),
     "<expr>:1:6: error: unexpected ']'\n"
     "    sin(x]\n"
     "         ^\n"
     "<expr>:1:4: note: unclosed '(' opened here\n"
     "    sin(x]\n"
     "       ^\n",
     1},
    {{NULL}, P("[(x])"),
     "<expr>:1:4: error: unexpected ']'\n"
     "    [(x])\n"
     "       ^\n"
     "<expr>:1:2: note: unclosed '(' opened here\n"
     "    [(x])\n"
     "     ^\n",
     1},

    /* --- stray and doubled operators --- */
    {{NULL}, P("x**y"),
     "<expr>:1:2: error: '**' is not an operator: write x^2 for a power\n"
     "    x**y\n"
     "     ^~\n",
     1},
    {{NULL}, P("x^^y"),
     "<expr>:1:3: error: unexpected '^', expected an expression\n"
     "    x^^y\n"
     "      ^\n",
     1},
    {{NULL}, P("*x"),
     "<expr>:1:1: error: unexpected '*', expected an expression\n"
     "    *x\n"
     "    ^\n",
     1},
    {{NULL}, P("x*"),
     "<expr>:1:3: error: unexpected end of input\n"
     "    x*\n"
     "      ^\n",
     1},
    {{NULL}, P("/x"),
     "<expr>:1:1: error: unexpected '/', expected an expression\n"
     "    /x\n"
     "    ^\n",
     1},
    {{NULL}, P("x/"),
     "<expr>:1:3: error: unexpected end of input\n"
     "    x/\n"
     "      ^\n",
     1},
    {{NULL}, P("x +"),
     "<expr>:1:4: error: unexpected end of input\n"
     "    x +\n"
     "       ^\n",
     1},
    {{NULL}, P("^x"),
     "<expr>:1:1: error: unexpected '^', expected an expression\n"
     "    ^x\n"
     "    ^\n",
     1},
    {{NULL}, P("x^"),
     "<expr>:1:3: error: unexpected end of input\n"
     "    x^\n"
     "      ^\n",
     1},
    {{NULL}, P("x ,y"),
     "<expr>:1:3: error: unexpected ','\n"
     "    x ,y\n"
     "      ^\n",
     1},
    {{NULL}, P(","),
     "<expr>:1:1: error: unexpected ',', expected an expression\n"
     "    ,\n"
     "    ^\n",
     1},
    {{NULL}, P(";"),
     "<expr>:1:1: error: unexpected ';', expected an expression\n"
     "    ;\n"
     "    ^\n",
     1},
    {{NULL}, P("x;;"),
     "<expr>:1:3: error: unexpected ';'\n"
     "    x;;\n"
     "      ^\n",
     1},
    {{NULL}, P("= x"),
     "<expr>:1:1: error: unexpected '=', expected an expression\n"
     "    = x\n"
     "    ^\n",
     1},
    {{NULL}, P("x ="),
     "<expr>:1:4: error: unexpected end of input\n"
     "    x =\n"
     "       ^\n",
     1},
    {{NULL}, P("x == y"),
     "<expr>:1:3: error: symdiff has no comparisons: ifpos(c, a, b) is a where c > 0, else b\n"
     "    x == y\n"
     "      ^~\n",
     1},
    {{NULL}, P("x @"),
     "<expr>:1:4: error: unexpected end of input\n"
     "    x @\n"
     "       ^\n",
     1},
    {{NULL}, P("'x"),
     "<expr>:1:1: error: unexpected \"'\", expected an expression\n"
     "    'x\n"
     "    ^\n",
     1},
    {{NULL}, P("x++"),
     "<expr>:1:4: error: unexpected end of input\n"
     "    x++\n"
     "       ^\n",
     1},
    {{NULL}, P("x + * y"),
     "<expr>:1:5: error: unexpected '*', expected an expression\n"
     "    x + * y\n"
     "        ^\n",
     1},
    {{NULL}, P("x */ y"),
     "<expr>:1:4: error: unexpected '/', expected an expression\n"
     "    x */ y\n"
     "       ^\n",
     1},
    {{NULL}, P("2 3"),
     "<expr>:1:3: error: unexpected number '3'\n"
     "    2 3\n"
     "      ^\n",
     1},
    {{NULL}, P("x 2"),
     "<expr>:1:3: error: unexpected number '2'\n"
     "    x 2\n"
     "      ^\n",
     1},
    {{NULL}, P("sin(,x)"),
     "<expr>:1:5: error: unexpected ',', expected an expression\n"
     "    sin(,x)\n"
     "        ^\n",
     1},
    {{NULL}, P("sin(x,)"),
     "<expr>:1:7: error: unexpected ')', expected an expression\n"
     "    sin(x,)\n"
     "          ^\n",
     1},
    {{NULL}, P("max(x,,y)"),
     "<expr>:1:7: error: unexpected ',', expected an expression\n"
     "    max(x,,y)\n"
     "          ^\n",
     1},
    {{NULL}, P("x = = 1; x"),
     "<expr>:1:5: error: unexpected '=', expected an expression\n"
     "    x = = 1; x\n"
     "        ^\n",
     1},
    {{NULL}, P("x; = y"),
     "<expr>:1:4: error: unexpected '='\n"
     "    x; = y\n"
     "       ^\n",
     1},
    {{NULL}, P("1/2x"),
     "<expr>:1:4: error: ambiguous implicit multiplication after '/': write (a/b)*c or a/(b*c)\n"
     "    1/2x\n"
     "       ^\n",
     1},
    {{NULL}, P("x/y z"),
     "<expr>:1:5: error: ambiguous implicit multiplication after '/': write (a/b)*c or a/(b*c)\n"
     "    x/y z\n"
     "        ^\n",
     1},
    {{NULL}, P("a = 1 b = 2; a"),
     "<expr>:1:9: error: unexpected '='\n"
     "    a = 1 b = 2; a\n"
     "            ^\n"
     "<expr>:1:7: note: is a ';' missing before 'b'?\n"
     "    a = 1 b = 2; a\n"
     "          ^\n",
     1},

    /* --- malformed and out-of-range numbers --- */
    {{NULL}, P("1.2.3"),
     "<expr>:1:1: error: malformed number '1.2.3'\n"
     "    1.2.3\n"
     "    ^~~~~\n",
     1},
    {{NULL}, P("1..2"),
     "<expr>:1:1: error: malformed number '1..2'\n"
     "    1..2\n"
     "    ^~~~\n",
     1},
    {{NULL}, P("."),
     "<expr>:1:1: error: malformed number '.'\n"
     "    .\n"
     "    ^\n",
     1},
    {{NULL}, P(".."),
     "<expr>:1:1: error: malformed number '..'\n"
     "    ..\n"
     "    ^~\n",
     1},
    {{NULL}, P("1e+"),
     "<expr>:1:4: error: unexpected end of input\n"
     "    1e+\n"
     "       ^\n",
     1},
    {{NULL}, P("1e5.5"),
     "<expr>:1:1: error: malformed number '1e5.5'\n"
     "    1e5.5\n"
     "    ^~~~~\n",
     1},
    {{NULL}, P("1.5e3.2"),
     "<expr>:1:1: error: malformed number '1.5e3.2'\n"
     "    1.5e3.2\n"
     "    ^~~~~~~\n",
     1},
    {{NULL}, P("0x1F"),
     "<expr>:1:1: error: malformed number '0x1F'\n"
     "    0x1F\n"
     "    ^~~~\n",
     1},
    {{NULL}, P("1_000"),
     "<expr>:1:1: error: malformed number '1_000'\n"
     "    1_000\n"
     "    ^~~~~\n",
     1},
    {{NULL}, P("2*0xff"),
     "<expr>:1:3: error: malformed number '0xff'\n"
     "    2*0xff\n"
     "      ^~~~\n",
     1},
    {{NULL}, P("1e400"),
     "<expr>:1:1: error: number out of range '1e400'\n"
     "    1e400\n"
     "    ^~~~~\n",
     1},
    {{NULL}, P("1e-400"),
     "<expr>:1:1: error: number out of range '1e-400'\n"
     "    1e-400\n"
     "    ^~~~~~\n",
     1},
    {{NULL}, P("x*1e99999"),
     "<expr>:1:3: error: number out of range '1e99999'\n"
     "    x*1e99999\n"
     "      ^~~~~~~\n",
     1},
    {{NULL}, P("x + 1e308*10"),
     "<expr>:1:5: error: domain error in a constant: the value is too large for a double\n"
     "    x + 1e308*10\n"
     "        ^~~~~~~~\n",
     1},
    {{NULL}, P("1e308*10*x"),
     "<expr>:1:1: error: domain error in a constant: the value is too large for a double\n"
     "    1e308*10*x\n"
     "    ^~~~~~~~~~\n",
     1},
    {{NULL}, P("x + 1e308 + 1e308"),
     "<expr>:1:1: error: domain error in a constant: the value is too large for a double\n"
     "    x + 1e308 + 1e308\n"
     "    ^~~~~~~~~~~~~~~~~\n",
     1},
    {{NULL}, P("x^.5."),
     "<expr>:1:3: error: malformed number '.5.'\n"
     "    x^.5.\n"
     "      ^~~\n",
     1},
    {{NULL}, P("1.2.3.4.5.6"),
     "<expr>:1:1: error: malformed number '1.2.3.4.5.6'\n"
     "    1.2.3.4.5.6\n"
     "    ^~~~~~~~~~~\n",
     1},

    /* --- unknown names and functions, with suggestions --- */
    {{NULL}, P("sinn(x)"),
     "<expr>:1:1: error: unknown function 'sinn'; did you mean 'sin'?\n"
     "    sinn(x)\n"
     "    ^~~~\n",
     1},
    {{NULL}, P("sqr(x)"),
     "<expr>:1:1: error: unknown function 'sqr'; did you mean 'sqrt'?\n"
     "    sqr(x)\n"
     "    ^~~\n",
     1},
    {{NULL}, P("exp2(x)"),
     "<expr>:1:1: error: unknown function 'exp2': symdiff does not have it; for exp2(u) write 2^u\n"
     "    exp2(x)\n"
     "    ^~~~\n",
     1},
    {{NULL}, P("foo(x)"),
     "<expr>:1:1: error: unknown function 'foo'; to multiply, write foo*(...)\n"
     "    foo(x)\n"
     "    ^~~\n",
     1},
    {{NULL}, P("x(y)"),
     "<expr>:1:1: error: unknown function 'x'; to multiply, write x*(...)\n"
     "    x(y)\n"
     "    ^\n",
     1},
    {{NULL}, P("pi(x)"),
     "<expr>:1:1: error: 'pi' is a constant, not a function\n"
     "    pi(x)\n"
     "    ^~\n",
     1},
    {{NULL}, P("e(2)"),
     "<expr>:1:1: error: 'e' is a constant, not a function\n"
     "    e(2)\n"
     "    ^\n",
     1},
    {{NULL}, P("logg(x)"),
     "<expr>:1:1: error: unknown function 'logg'; did you mean 'log'?\n"
     "    logg(x)\n"
     "    ^~~~\n",
     1},
    {{NULL}, P("Sin(x)"),
     "<expr>:1:1: error: unknown function 'Sin'; did you mean 'sin'?\n"
     "    Sin(x)\n"
     "    ^~~\n",
     1},
    {{NULL}, P("sigmod(x)"),
     "<expr>:1:1: error: unknown function 'sigmod'; did you mean 'sigmoid'?\n"
     "    sigmod(x)\n"
     "    ^~~~~~\n",
     1},
    {{NULL}, P("relu6(x)"),
     "<expr>:1:1: error: unknown function 'relu6'; did you mean 'relu'?\n"
     "    relu6(x)\n"
     "    ^~~~~\n",
     1},
    {{NULL}, P("tanhh(x)"),
     "<expr>:1:1: error: unknown function 'tanhh'; did you mean 'tanh'?\n"
     "    tanhh(x)\n"
     "    ^~~~~\n",
     1},
    {{NULL}, P("x = 1; x(2)"),
     "<expr>:1:8: error: 'x' is not a function; write x*(...) to multiply\n"
     "    x = 1; x(2)\n"
     "           ^\n",
     1},
    {{NULL}, P("sin"),
     "<expr>:1:1: error: 'sin' is a function; call it as sin(...)\n"
     "    sin\n"
     "    ^~~\n",
     1},
    {{NULL}, P("sin + 1"),
     "<expr>:1:1: error: 'sin' is a function; call it as sin(...)\n"
     "    sin + 1\n"
     "    ^~~\n",
     1},
    /* a function's name with a space before '(' is a call; when the name is
     * also a value (only the functions of vectors can be), it is refused */
    {{NULL}, P("param sum, x; sum (x)"),
     "<expr>:1:15: error: 'sum' is a variable and a function: write sum*(...) to multiply, or "
     "sum(...) with no space to call the function\n"
     "    param sum, x; sum (x)\n"
     "                  ^~~\n",
     1},
    {{"-D", "dot=2"}, P("dot # the weight\n\t(x + 1)"),
     "<expr>:1:1: error: 'dot' is a variable and a function: write dot*(...) to multiply, or "
     "dot(...) with no space to call the function\n"
     "    dot # the weight\n"
     "    ^~~\n",
     1},
    {{NULL}, P("pi = 3; pi"),
     "<expr>:1:1: error: cannot assign to 'pi': it is a built-in name\n"
     "    pi = 3; pi\n"
     "    ^~\n",
     1},
    {{NULL}, P("param sin; sin"),
     "<expr>:1:7: error: cannot declare 'sin': it is a built-in name\n"
     "    param sin; sin\n"
     "          ^~~\n",
     1},
    {{NULL}, P("ln = 2; ln"),
     "<expr>:1:1: error: cannot assign to 'ln': it is a built-in name\n"
     "    ln = 2; ln\n"
     "    ^~\n",
     1},
    {{NULL}, P("a = b; b = 1; a"),
     "<expr>:1:5: error: 'b' is used before it is assigned\n"
     "    a = b; b = 1; a\n"
     "        ^\n",
     1},
    {{NULL}, P("param alpha; alpah"),
     "<expr>:1:14: error: undefined name 'alpah'; did you mean 'alpha'?\n"
     "    param alpha; alpah\n"
     "                 ^~~~~\n",
     1},
    {{NULL}, P("input data; param w; w*dta"),
     "<expr>:1:24: error: undefined name 'dta'; did you mean 'data'?\n"
     "    input data; param w; w*dta\n"
     "                           ^~~\n",
     1},
    {{NULL}, P("param a, b; a*c"),
     "<expr>:1:15: error: undefined name 'c'; did you mean 'a'?\n"
     "    param a, b; a*c\n"
     "                  ^\n",
     1},
    {{"--vars", "y"}, P("x*y^2"),
     "<expr>:1:1: error: undefined name 'x'; did you mean 'y'?\n"
     "    x*y^2\n"
     "    ^\n",
     1},
    {{"--vars", "w,zz"}, P("z*w"),
     "<expr>:1:1: error: undefined name 'z'; did you mean 'zz'?\n"
     "    z*w\n"
     "    ^\n",
     1},

    /* --- wrong number of arguments --- */
    {{NULL}, P("sin()"),
     "<expr>:1:1: error: 'sin' expects 1 argument, got 0\n"
     "    sin()\n"
     "    ^~~\n",
     1},
    {{NULL}, P("sin(x, y)"),
     "<expr>:1:1: error: 'sin' expects 1 argument, got 2\n"
     "    sin(x, y)\n"
     "    ^~~\n",
     1},
    {{NULL}, P("max(x)"),
     "<expr>:1:1: error: 'max' expects at least 2 arguments, got 1\n"
     "    max(x)\n"
     "    ^~~\n",
     1},
    {{NULL}, P("min()"),
     "<expr>:1:1: error: 'min' expects at least 2 arguments, got 0\n"
     "    min()\n"
     "    ^~~\n",
     1},
    {{NULL}, P("ifpos(x, y)"),
     "<expr>:1:1: error: 'ifpos' expects 3 arguments, got 2\n"
     "    ifpos(x, y)\n"
     "    ^~~~~\n",
     1},
    {{NULL}, P("ifpos(x, y, z, w)"),
     "<expr>:1:1: error: 'ifpos' expects 3 arguments, got 4\n"
     "    ifpos(x, y, z, w)\n"
     "    ^~~~~\n",
     1},
    {{NULL}, P("pow(x)"),
     "<expr>:1:1: error: 'pow' expects 2 arguments, got 1; pow(x, y) is x^y: give the exponent too\n"
     "    pow(x)\n"
     "    ^~~\n",
     1},
    {{NULL}, P("pow(x, y, z)"),
     "<expr>:1:1: error: 'pow' expects 2 arguments, got 3\n"
     "    pow(x, y, z)\n"
     "    ^~~\n",
     1},
    {{NULL}, P("sqrt(x, y)"),
     "<expr>:1:1: error: 'sqrt' expects 1 argument, got 2; for the n-th root of x write x^(1/n)\n"
     "    sqrt(x, y)\n"
     "    ^~~~\n",
     1},
    {{NULL}, P("leaky_relu(x, 0.1, 2)"),
     "<expr>:1:1: error: 'leaky_relu' expects 1 to 2 arguments, got 3\n"
     "    leaky_relu(x, 0.1, 2)\n"
     "    ^~~~~~~~~~\n",
     1},
    {{NULL}, P("step()"),
     "<expr>:1:1: error: 'step' expects 1 to 2 arguments, got 0\n"
     "    step()\n"
     "    ^~~~\n",
     1},
    {{NULL}, P("exp(x, 2)"),
     "<expr>:1:1: error: 'exp' expects 1 argument, got 2\n"
     "    exp(x, 2)\n"
     "    ^~~\n",
     1},
    {{NULL}, P("atan(y, x)"),
     "<expr>:1:1: error: 'atan' expects 1 argument, got 2; for atan2(y, x) write atan(y/x) (equal where x > 0)\n"
     "    atan(y, x)\n"
     "    ^~~~\n",
     1},
    {{NULL}, P("leaky_relu(x, a)"),
     "<expr>:1:15: error: the second argument of 'leaky_relu' must be a constant\n"
     "    leaky_relu(x, a)\n"
     "                  ^\n",
     1},
    {{NULL}, P("elu(x, y)"),
     "<expr>:1:8: error: the second argument of 'elu' must be a constant\n"
     "    elu(x, y)\n"
     "           ^\n",
     1},
    {{NULL}, P("step(x, x)"),
     "<expr>:1:9: error: the second argument of 'step' must be a constant\n"
     "    step(x, x)\n"
     "            ^\n",
     1},

    /* --- domain errors in constants --- */
    {{NULL}, P("1/0"),
     "<expr>:1:3: error: domain error in a constant: division by zero\n"
     "    1/0\n"
     "      ^\n",
     1},
    {{NULL}, P("x/0"),
     "<expr>:1:3: error: domain error in a constant: division by zero\n"
     "    x/0\n"
     "      ^\n",
     1},
    {{NULL}, P("log(0)"),
     "<expr>:1:1: error: domain error in a constant: logarithm of a number that is not positive\n"
     "    log(0)\n"
     "    ^~~~~~\n",
     1},
    {{NULL}, P("log(-1)"),
     "<expr>:1:1: error: domain error in a constant: logarithm of a number that is not positive\n"
     "    log(-1)\n"
     "    ^~~~~~~\n",
     1},
    {{NULL}, P("ln(0)*x"),
     "<expr>:1:1: error: domain error in a constant: logarithm of a number that is not positive\n"
     "    ln(0)*x\n"
     "    ^~~~~\n",
     1},
    {{NULL}, P("log2(0)"),
     "<expr>:1:1: error: domain error in a constant: logarithm of a number that is not positive\n"
     "    log2(0)\n"
     "    ^~~~~~~\n",
     1},
    {{NULL}, P("log10(-1)"),
     "<expr>:1:1: error: domain error in a constant: logarithm of a number that is not positive\n"
     "    log10(-1)\n"
     "    ^~~~~~~~~\n",
     1},
    {{NULL}, P("sqrt(-1)"),
     "<expr>:1:1: error: domain error in a constant: square root of a negative number\n"
     "    sqrt(-1)\n"
     "    ^~~~~~~~\n",
     1},
    {{NULL}, P("sqrt(-4)*x"),
     "<expr>:1:1: error: domain error in a constant: square root of a negative number\n"
     "    sqrt(-4)*x\n"
     "    ^~~~~~~~\n",
     1},
    {{NULL}, P("0^-1"),
     "<expr>:1:1: error: domain error in a constant: division by zero\n"
     "    0^-1\n"
     "    ^~~~\n",
     1},
    {{NULL}, P("0^-2*x"),
     "<expr>:1:1: error: domain error in a constant: division by zero\n"
     "    0^-2*x\n"
     "    ^~~~\n",
     1},
    {{NULL}, P("(-8)^(1/3)"),
     "<expr>:1:1: error: domain error in a constant: fractional power of a negative number\n"
     "    (-8)^(1/3)\n"
     "    ^~~~~~~~~~\n",
     1},
    {{NULL}, P("(-1)^0.5"),
     "<expr>:1:1: error: domain error in a constant: square root of a negative number\n"
     "    (-1)^0.5\n"
     "    ^~~~~~~~\n",
     1},
    {{NULL}, P("asin(2)"),
     "<expr>:1:1: error: domain error in a constant: argument outside [-1, 1]\n"
     "    asin(2)\n"
     "    ^~~~~~~\n",
     1},
    {{NULL}, P("acos(-1.5)*x"),
     "<expr>:1:1: error: domain error in a constant: argument outside [-1, 1]\n"
     "    acos(-1.5)*x\n"
     "    ^~~~~~~~~~\n",
     1},
    {{NULL}, P("exp(1000)"),
     "<expr>:1:1: error: domain error in a constant: the value is too large for a double\n"
     "    exp(1000)\n"
     "    ^~~~~~~~~\n",
     1},
    {{NULL}, P("1e308*10"),
     "<expr>:1:1: error: domain error in a constant: the value is too large for a double\n"
     "    1e308*10\n"
     "    ^~~~~~~~\n",
     1},
    {{NULL}, P("10^400"),
     "<expr>:1:1: error: domain error in a constant: the value is too large for a double\n"
     "    10^400\n"
     "    ^~~~~~\n",
     1},
    {{NULL}, P("2^2000*x"),
     "<expr>:1:1: error: domain error in a constant: the value is too large for a double\n"
     "    2^2000*x\n"
     "    ^~~~~~\n",
     1},
    {{NULL}, P("sinh(1000) + x"),
     "<expr>:1:1: error: domain error in a constant: the value is too large for a double\n"
     "    sinh(1000) + x\n"
     "    ^~~~~~~~~~\n",
     1},
    {{NULL}, P("cosh(-800)"),
     "<expr>:1:1: error: domain error in a constant: the value is too large for a double\n"
     "    cosh(-800)\n"
     "    ^~~~~~~~~~\n",
     1},
    {{NULL}, P("0/0"),
     "<expr>:1:3: error: domain error in a constant: division by zero\n"
     "    0/0\n"
     "      ^\n",
     1},
    {{NULL}, P("x^(1/0)"),
     "<expr>:1:6: error: domain error in a constant: division by zero\n"
     "    x^(1/0)\n"
     "         ^\n",
     1},
    {{NULL}, P("log(1 - 1)"),
     "<expr>:1:1: error: domain error in a constant: logarithm of a number that is not positive\n"
     "    log(1 - 1)\n"
     "    ^~~~~~~~~~\n",
     1},
    {{NULL}, P("sqrt(2 - 3)"),
     "<expr>:1:1: error: domain error in a constant: square root of a negative number\n"
     "    sqrt(2 - 3)\n"
     "    ^~~~~~~~~~~\n",
     1},
    {{NULL}, P("1/(2 - 2)"),
     "<expr>:1:4: error: domain error in a constant: division by zero\n"
     "    1/(2 - 2)\n"
     "       ^~~~~\n",
     1},
    {{NULL}, P("x*0^-1"),
     "<expr>:1:3: error: domain error in a constant: division by zero\n"
     "    x*0^-1\n"
     "      ^~~~\n",
     1},
    {{NULL}, P("1/(x - x)"),
     "<expr>:1:4: error: domain error in a constant: division by zero\n"
     "    1/(x - x)\n"
     "       ^~~~~\n",
     1},
    {{NULL}, P("log(x*0)"),
     "<expr>:1:1: error: domain error in a constant: logarithm of a number that is not positive\n"
     "    log(x*0)\n"
     "    ^~~~~~~~\n",
     1},
    {{NULL}, P("a = 1/0; x"),
     "<expr>:1:7: error: domain error in a constant: division by zero\n"
     "    a = 1/0; x\n"
     "          ^\n",
     1},
    {{NULL}, P("l = 2; repeat 11 { l = l^2 } l*x"),
     "<expr>:1:24: error: domain error in a constant: the value is too large for a double\n"
     "    l = 2; repeat 11 { l = l^2 } l*x\n"
     "                           ^~~\n",
     1},
    {{NULL}, P("tan(pi/2)^400"),
     "<expr>:1:1: error: domain error in a constant: the value is too large for a double\n"
     "    tan(pi/2)^400\n"
     "    ^~~~~~~~~~~~~\n",
     1},

    /* --- control bytes, NUL, UTF-8 and invalid UTF-8, CRLF, tabs (escaped when echoed) --- */
    {{NULL}, P("x\x00+y"),
     "<expr>:1:2: error: invalid character '\\x00'\n"
     "    x\\x00+y\n"
     "     ^\n",
     1},
    {{NULL}, P("x + \x01"),
     "<expr>:1:5: error: invalid character '\\x01'\n"
     "    x + \\x01\n"
     "        ^\n",
     1},
    {{NULL}, P("\x7f"),
     "<expr>:1:1: error: invalid character '\\x7F'\n"
     "    \\x7F\n"
     "    ^\n",
     1},
    {{NULL}, P("x\x1b[31m"),
     "<expr>:1:2: error: invalid character '\\x1B'\n"
     "    x\\x1B[31m\n"
     "     ^\n",
     1},
    {{NULL}, P("\x08"),
     "<expr>:1:1: error: invalid character '\\x08'\n"
     "    \\x08\n"
     "    ^\n",
     1},
    {{NULL}, P("\x00"),
     "<expr>:1:1: error: invalid character '\\x00'\n"
     "    \\x00\n"
     "    ^\n",
     1},
    {{NULL}, P("\x00\x00\x00"),
     "<expr>:1:1: error: invalid character '\\x00'\n"
     "    \\x00\\x00\\x00\n"
     "    ^\n",
     1},
    {{NULL}, P("# comment\x00\nx +"),
     "<expr>:2:4: error: unexpected end of input\n"
     "    x +\n"
     "       ^\n",
     1},
    {{NULL}, P("x\x0b+\x0c"),
     "<expr>:1:4: error: unexpected end of input\n"
     "    x\\x0B+\\x0C\n"
     "          ^\n",
     1},
    {{NULL}, P("x +\r\ny +\r\n"),
     "<expr>:2:4: error: unexpected end of input\n"
     "    y +\n"
     "       ^\n",
     1},
    {{NULL}, P("a = 1;\r\nb = (2\r\n"),
     "<expr>:2:7: error: unexpected end of input\n"
     "    b = (2\n"
     "          ^\n"
     "<expr>:2:5: note: unclosed '(' opened here\n"
     "    b = (2\n"
     "        ^\n",
     1},
    {{NULL}, P("\r"),
     "<expr>:1:1: error: empty program: expected an expression\n"
     "    \\x0D\n"
     "    ^\n",
     1},
    {{NULL}, P("x\ry +"),
     "<expr>:1:6: error: unexpected end of input\n"
     "    x\\x0Dy +\n"
     "            ^\n",
     1},
    {{NULL}, P("\t\tx +\t$"),
     "<expr>:1:7: error: invalid character '$'\n"
     "    \t\tx +\t$\n"
     "    \t\t   \t^\n",
     1},
    {{NULL}, P("x +\r\n\r\n"),
     "<expr>:1:4: error: unexpected end of input\n"
     "    x +\n"
     "       ^\n",
     1},
    {{NULL}, P("a = x;\r\nb = sinn(a);\r\nb\r\n"),
     "<expr>:2:5: error: unknown function 'sinn'; did you mean 'sin'?\n"
     "    b = sinn(a);\n"
     "        ^~~~\n",
     1},
    {{NULL}, P("\xc3\xa9"),
     "<expr>:1:1: error: non-ASCII character U+00E9\n"
     "    \\xC3\\xA9\n"
     "    ^~\n",
     1},
    {{NULL}, P("caf\xc3\xa9"),
     "<expr>:1:4: error: non-ASCII character U+00E9\n"
     "    caf\\xC3\\xA9\n"
     "       ^~\n",
     1},
    {{NULL}, P("\xe2\x88\x92x"),
     "<expr>:1:1: error: non-ASCII character U+2212; did you mean '-'?\n"
     "    \\xE2\\x88\\x92x\n"
     "    ^~~\n",
     1},
    {{NULL}, P("x \xe2\x88\x92 y"),
     "<expr>:1:3: error: non-ASCII character U+2212; did you mean '-'?\n"
     "    x \\xE2\\x88\\x92 y\n"
     "      ^~~\n",
     1},
    {{NULL}, P("2\xc3\x97x"),
     "<expr>:1:2: error: non-ASCII character U+00D7; did you mean '*'?\n"
     "    2\\xC3\\x97x\n"
     "     ^~\n",
     1},
    {{NULL}, P("\xef\xbb\xbfx"),
     "<expr>:1:1: error: non-ASCII character U+FEFF, a byte order mark; save the file without it\n"
     "    \\xEF\\xBB\\xBFx\n"
     "    ^~~\n",
     1},
    {{NULL}, P("\xff"),
     "<expr>:1:1: error: invalid character '\\xFF' (the text is not UTF-8)\n"
     "    \\xFF\n"
     "    ^\n",
     1},
    {{NULL}, P("\xff\xfe"),
     "<expr>:1:1: error: invalid character '\\xFF' (the text is not UTF-8)\n"
     "    \\xFF\\xFE\n"
     "    ^\n",
     1},
    {{NULL}, P("\xc3"),
     "<expr>:1:1: error: invalid character '\\xC3' (the text is not UTF-8)\n"
     "    \\xC3\n"
     "    ^\n",
     1},
    {{NULL}, P("\xc3("),
     "<expr>:1:1: error: invalid character '\\xC3' (the text is not UTF-8)\n"
     "    \\xC3(\n"
     "    ^\n",
     1},
    {{NULL}, P("\xed\xa0\x80"),
     "<expr>:1:1: error: invalid character '\\xED' (the text is not UTF-8)\n"
     "    \\xED\\xA0\\x80\n"
     "    ^\n",
     1},
    {{NULL}, P("\xf4\x90\x80\x80"),
     "<expr>:1:1: error: invalid character '\\xF4' (the text is not UTF-8)\n"
     "    \\xF4\\x90\\x80\\x80\n"
     "    ^\n",
     1},
    {{NULL}, P("\xc0\xaf"),
     "<expr>:1:1: error: invalid character '\\xC0' (the text is not UTF-8)\n"
     "    \\xC0\\xAF\n"
     "    ^\n",
     1},
    {{NULL}, P("x\xc2\xa0+ y"),
     "<expr>:1:2: error: non-ASCII character U+00A0; did you mean a space?\n"
     "    x\\xC2\\xA0+ y\n"
     "     ^~\n",
     1},
    {{NULL}, P("\xe2\x80\x98x"),
     "<expr>:1:1: error: non-ASCII character U+2018; did you mean \"'\"?\n"
     "    \\xE2\\x80\\x98x\n"
     "    ^~~\n",
     1},
    {{NULL}, P("\xcf\x80 x"),
     "<expr>:1:1: error: non-ASCII character U+03C0; did you mean 'pi'?\n"
     "    \\xCF\\x80 x\n"
     "    ^~\n",
     1},
    {{NULL}, P("x\xc2\xb2"),
     "<expr>:1:2: error: non-ASCII character U+00B2; did you mean '^2'?\n"
     "    x\\xC2\\xB2\n"
     "     ^~\n",
     1},
    {{NULL}, P("\xe2\x88\x9ax"),
     "<expr>:1:1: error: non-ASCII character U+221A; did you mean 'sqrt'?\n"
     "    \\xE2\\x88\\x9Ax\n"
     "    ^~~\n",
     1},
    {{NULL}, P("x \xc3\xb7 2"),
     "<expr>:1:3: error: non-ASCII character U+00F7; did you mean '/'?\n"
     "    x \\xC3\\xB7 2\n"
     "      ^~\n",
     1},
    {{NULL}, P("\x01\x02\x03"),
     "<expr>:1:1: error: invalid character '\\x01'\n"
     "    \\x01\\x02\\x03\n"
     "    ^\n",
     1},
    {{NULL}, P("x\x00"),
     "<expr>:1:2: error: invalid character '\\x00'\n"
     "    x\\x00\n"
     "     ^\n",
     1},

    /* --- empty, whitespace-only and comment-only input --- */
    {{NULL}, P(""),
     "<expr>:1:1: error: empty program: expected an expression\n"
     "    \n"
     "    ^\n",
     1},
    {{NULL}, P(" "),
     "<expr>:1:1: error: empty program: expected an expression\n"
     "     \n"
     "    ^\n",
     1},
    {{NULL}, P("\t\n "),
     "<expr>:1:1: error: empty program: expected an expression\n"
     "    \t\n"
     "    ^\n",
     1},
    {{NULL}, P("\n\n\n"),
     "<expr>:1:1: error: empty program: expected an expression\n"
     "    \n"
     "    ^\n",
     1},
    {{NULL}, P("# c"),
     "<expr>:1:1: error: empty program: expected an expression\n"
     "    # c\n"
     "    ^\n",
     1},
    {{NULL}, P("# c\n# d\n"),
     "<expr>:1:1: error: empty program: expected an expression\n"
     "    # c\n"
     "    ^\n",
     1},
    {{NULL}, P("\r\n"),
     "<expr>:1:1: error: empty program: expected an expression\n"
     "    \n"
     "    ^\n",
     1},
    {{NULL}, P("   # x\n   "),
     "<expr>:1:1: error: empty program: expected an expression\n"
     "       # x\n"
     "    ^\n",
     1},
    {{NULL}, P("a = 1;"),
     "<expr>:1:7: error: expected a final expression after the last statement\n"
     "    a = 1;\n"
     "          ^\n",
     1},
    {{NULL}, P("a = 1; # then nothing\n"),
     "<expr>:1:7: error: expected a final expression after the last statement\n"
     "    a = 1; # then nothing\n"
     "          ^\n",
     1},
    {{NULL}, P("\x0c\x0b"),
     "<expr>:1:1: error: empty program: expected an expression\n"
     "    \\x0C\\x0B\n"
     "    ^\n",
     1},

    /* --- repeat: work limits and bad counts --- */
    {{NULL}, P("repeat 1000000000 { } x"),
     "<expr>:1:1: error: program does too much work (more than 10000000 steps); reduce the repeat counts\n"
     "    repeat 1000000000 { } x\n"
     "    ^~~~~~\n",
     1},
    {{NULL}, P("repeat 1000000 { repeat 1000000 { } } x"),
     "<expr>:1:18: error: program does too much work (more than 10000000 steps); reduce the repeat counts\n"
     "    repeat 1000000 { repeat 1000000 { } } x\n"
     "                     ^~~~~~\n",
     1},
    {{NULL}, P("l = x; repeat 100000000 { l = l } l"),
     "<expr>:1:8: error: program does too much work (more than 10000000 steps); reduce the repeat counts\n"
     "    l = x; repeat 100000000 { l = l } l\n"
     "           ^~~~~~\n",
     1},
    {{NULL}, P("l = x; repeat 9223372036854775807 { l = l; l = x } l"),
     "<expr>:1:48: error: program does too much work (more than 10000000 steps); reduce the repeat counts\n"
     "    l = x; repeat 9223372036854775807 { l = l; l = x } l\n"
     "                                                   ^\n",
     1},
    {{NULL}, P("repeat 3000 { repeat 3000 { repeat 3000 { } } } x"),
     "<expr>:1:29: error: program does too much work (more than 10000000 steps); reduce the repeat counts\n"
     "    repeat 3000 { repeat 3000 { repeat 3000 { } } } x\n"
     "                                ^~~~~~\n",
     1},
    {{NULL}, P("l = x; repeat 99999999999999999999 { l = l } l"),
     "<expr>:1:15: error: repeat count must be a non-negative integer constant\n"
     "    l = x; repeat 99999999999999999999 { l = l } l\n"
     "                  ^~~~~~~~~~~~~~~~~~~~\n",
     1},
    {{NULL}, P("repeat -1 { } x"),
     "<expr>:1:8: error: repeat count must be a non-negative integer constant\n"
     "    repeat -1 { } x\n"
     "           ^~\n",
     1},
    {{NULL}, P("repeat 2.5 { } x"),
     "<expr>:1:8: error: repeat count must be a non-negative integer constant\n"
     "    repeat 2.5 { } x\n"
     "           ^~~\n",
     1},
    {{NULL}, P("repeat x { } x"),
     "<expr>:1:8: error: repeat count must be a non-negative integer constant\n"
     "    repeat x { } x\n"
     "           ^\n",
     1},
    {{NULL}, P("repeat 1/0 { } x"),
     "<expr>:1:8: error: repeat count must be a non-negative integer constant\n"
     "    repeat 1/0 { } x\n"
     "           ^~~\n",
     1},
    {{NULL}, P("repeat 1e400 { } x"),
     "<expr>:1:8: error: number out of range '1e400'\n"
     "    repeat 1e400 { } x\n"
     "           ^~~~~\n",
     1},

    /* --- shapes of vectors and matrices --- */
    {{NULL}, P("param W[3,4]; input x[5]; sum(W @ x)"),
     "<expr>:1:31: error: shape mismatch in 'W @ x': [3,4] @ [5]\n"
     "    param W[3,4]; input x[5]; sum(W @ x)\n"
     "                                  ^~~~~\n",
     1},
    {{NULL}, P("param a[3], b[4]; sum(a + b)"),
     "<expr>:1:23: error: shape mismatch in 'a + b': [3] + [4]\n"
     "    param a[3], b[4]; sum(a + b)\n"
     "                          ^~~~~\n",
     1},
    {{NULL}, P("param W[2,3]; sum(W @ W)"),
     "<expr>:1:19: error: shape mismatch in 'W @ W': [2,3] @ [2,3]\n"
     "    param W[2,3]; sum(W @ W)\n"
     "                      ^~~~~\n",
     1},
    {{NULL}, P("param a[3]; a[3]"),
     "<expr>:1:15: error: subscript 3 is out of range: the dimension has 3 elements, numbered from 0\n"
     "    param a[3]; a[3]\n"
     "                  ^\n",
     1},
    {{NULL}, P("param a[3]; a[-1]"),
     "<expr>:1:15: error: subscript -1 is out of range: the dimension has 3 elements, numbered from 0\n"
     "    param a[3]; a[-1]\n"
     "                  ^~\n",
     1},
    {{NULL}, P("param W[2,2]; W[0,0,0]"),
     "<expr>:1:15: error: 3 subscripts for a value of shape [2,2]\n"
     "    param W[2,2]; W[0,0,0]\n"
     "                  ^~~~~~~~\n",
     1},
    {{NULL}, P("param a[0]; sum(a)"),
     "<expr>:1:9: error: a dimension must be a positive integer (at most 1000000)\n"
     "    param a[0]; sum(a)\n"
     "            ^\n",
     1},
    {{NULL}, P("param a[3]; param a[2]; sum(a)"),
     "<expr>:1:19: error: 'a' is declared twice\n"
     "    param a[3]; param a[2]; sum(a)\n"
     "                      ^\n",
     1},
    {{NULL}, P("param a[3]; dot(a, [1, 2])"),
     "<expr>:1:13: error: shape mismatch in 'dot(a, [1, 2])': [3], [2]\n"
     "    param a[3]; dot(a, [1, 2])\n"
     "                ^~~~~~~~~~~~~~\n"
     "<expr>:1:13: note: 'dot' needs two vectors of one length\n"
     "    param a[3]; dot(a, [1, 2])\n"
     "                ^~~\n",
     1},
    {{NULL}, P("param W[2,3]; sum(transpose(W) + W)"),
     "<expr>:1:19: error: shape mismatch in 'transpose(W) + W': [3,2] + [2,3]\n"
     "    param W[2,3]; sum(transpose(W) + W)\n"
     "                      ^~~~~~~~~~~~~~~~\n",
     1},
    {{NULL}, P("param a[3]; [a, 1]"),
     "<expr>:1:13: error: shape mismatch in '[a, 1]': [3] beside scalar\n"
     "    param a[3]; [a, 1]\n"
     "                ^~~~~~\n"
     "<expr>:1:17: note: the elements of a literal are scalars, or vectors of one length\n"
     "    param a[3]; [a, 1]\n"
     "                    ^\n",
     1},
    {{NULL}, P("param W[1000000,1000000]; sum(W)"),
     "<expr>:1:7: error: 'W' is too large\n"
     "    param W[1000000,1000000]; sum(W)\n"
     "          ^~~~~~~~~~~~~~~~~~\n",
     1},
    {{NULL}, P("param a[3]; logsumexp(3)"),
     "<expr>:1:23: error: a vector or a matrix is needed here, got scalar\n"
     "    param a[3]; logsumexp(3)\n"
     "                          ^\n",
     1},
    {{NULL}, P("param a[2,2,2]; sum(a)"),
     "<expr>:1:7: error: 'a' has 3 dimensions; vectors [n] and matrices [m,n] are supported\n"
     "    param a[2,2,2]; sum(a)\n"
     "          ^~~~~~~~\n",
     1},
    {{NULL}, P("param W[2,3]; input x[2]; sum(W @ x)"),
     "<expr>:1:31: error: shape mismatch in 'W @ x': [2,3] @ [2]\n"
     "    param W[2,3]; input x[2]; sum(W @ x)\n"
     "                                  ^~~~~\n",
     1},
    {{NULL}, P("param a[3]; input y[2]; sum(a - y)"),
     "<expr>:1:29: error: shape mismatch in 'a - y': [3] - [2]\n"
     "    param a[3]; input y[2]; sum(a - y)\n"
     "                                ^~~~~\n",
     1},
    {{NULL}, P("param a[3], b[2]; sum(a * b)"),
     "<expr>:1:23: error: shape mismatch in 'a * b': [3] * [2]\n"
     "    param a[3], b[2]; sum(a * b)\n"
     "                          ^~~~~\n"
     "<expr>:1:27: note: '*' and juxtaposition multiply element by element: write a b' for the outer product\n"
     "    param a[3], b[2]; sum(a * b)\n"
     "                              ^\n",
     1},
    {{NULL}, P("param W[2,3]; sum(W * transpose(W))"),
     "<expr>:1:19: error: shape mismatch in 'W * transpose(W)': [2,3] * [3,2]\n"
     "    param W[2,3]; sum(W * transpose(W))\n"
     "                      ^~~~~~~~~~~~~~~~\n"
     "<expr>:1:23: note: '*' and juxtaposition multiply element by element: write W @ transpose(W) for the matrix product\n"
     "    param W[2,3]; sum(W * transpose(W))\n"
     "                          ^~~~~~~~~~~~\n",
     1},
    {{NULL}, P("param a[3]; sum(softmax(a) / [1, 2])"),
     "<expr>:1:17: error: shape mismatch in 'softmax(a) / [1, 2]': [3] / [2]\n"
     "    param a[3]; sum(softmax(a) / [1, 2])\n"
     "                    ^~~~~~~~~~~~~~~~~~~\n",
     1},
    {{NULL}, P("param a[2]; a[0.5]"),
     "<expr>:1:15: error: a subscript must be an integer constant\n"
     "    param a[2]; a[0.5]\n"
     "                  ^~~\n",
     1},

    /* --- usage errors of --at, --vars and --wrt: exit status 2 --- */
    {{"--at"}, P("x"),
     "symdiff: error: option '--at' needs a value\n"
     "Try 'symdiff --help' for more information.\n",
     2},
    {{"--at", "x"}, P("x"),
     "symdiff: error: --at needs NAME=VALUE pairs, got 'x'\n"
     "Try 'symdiff --help' for more information.\n",
     2},
    {{"--at", "x="}, P("x"),
     "symdiff: error: --at: not a number: ''\n"
     "Try 'symdiff --help' for more information.\n",
     2},
    {{"--at", "=1"}, P("x"),
     "symdiff: error: --at needs NAME=VALUE pairs, got '=1'\n"
     "Try 'symdiff --help' for more information.\n",
     2},
    {{"--at", "x=abc"}, P("x"),
     "symdiff: error: --at: not a number: 'abc'\n"
     "Try 'symdiff --help' for more information.\n",
     2},
    {{"--at", "x=nan"}, P("x"),
     "symdiff: error: --at: not a number: 'nan'\n"
     "Try 'symdiff --help' for more information.\n",
     2},
    {{"--at", "x=inf"}, P("x"),
     "symdiff: error: --at: not a number: 'inf'\n"
     "Try 'symdiff --help' for more information.\n",
     2},
    {{"--at", "x=1e400"}, P("x"),
     "symdiff: error: --at: not a number: '1e400'\n"
     "Try 'symdiff --help' for more information.\n",
     2},
    {{"--at", "x=1,x=2"}, P("x"),
     "symdiff: error: --at: 'x' is given twice\n"
     "Try 'symdiff --help' for more information.\n",
     2},
    {{"--at", ","}, P("x"),
     "symdiff: error: --at: an empty item in ','\n"
     "Try 'symdiff --help' for more information.\n",
     2},
    {{"--at", "y=1"}, P("x"),
     "symdiff: error: --at: 'y' is not a variable of the program\n"
     "Try 'symdiff --help' for more information.\n",
     2},
    {{"--at", "x=1"}, P("x*y"),
     "symdiff: error: --at: no value for 'y'\n"
     "Try 'symdiff --help' for more information.\n",
     2},
    {{"--at", "x=1,"}, P("x"),
     "symdiff: error: --at: an empty item in 'x=1,'\n"
     "Try 'symdiff --help' for more information.\n",
     2},
    {{"--at", "x=1;y=2"}, P("x"),
     "symdiff: error: --at: not a number: '1;y=2'\n"
     "Try 'symdiff --help' for more information.\n",
     2},
    {{"--vars"}, P("x"),
     "symdiff: error: option '--vars' needs a value\n"
     "Try 'symdiff --help' for more information.\n",
     2},
    {{"--vars", ""}, P("x"),
     "symdiff: error: --vars needs a list of names, got ''\n"
     "Try 'symdiff --help' for more information.\n",
     2},
    {{"--vars", ","}, P("x"),
     "symdiff: error: --vars: an empty item in ','\n"
     "Try 'symdiff --help' for more information.\n",
     2},
    {{"--vars", "1a"}, P("x"),
     "symdiff: error: --vars: not a variable name: '1a'\n"
     "Try 'symdiff --help' for more information.\n",
     2},
    {{"--vars", "x,x"}, P("x"),
     "symdiff: error: --vars: 'x' is given twice\n"
     "Try 'symdiff --help' for more information.\n",
     2},
    {{"--vars", "x-y"}, P("x"),
     "symdiff: error: --vars: not a variable name: 'x-y'\n"
     "Try 'symdiff --help' for more information.\n",
     2},
    {{"--vars", "x.y"}, P("x"),
     "symdiff: error: --vars: not a variable name: 'x.y'\n"
     "Try 'symdiff --help' for more information.\n",
     2},
    {{"--wrt"}, P("x"),
     "symdiff: error: option '--wrt' needs a value\n"
     "Try 'symdiff --help' for more information.\n",
     2},
    {{"--wrt", ""}, P("x"),
     "symdiff: error: --wrt needs a list of names, got ''\n"
     "Try 'symdiff --help' for more information.\n",
     2},
    {{"--wrt", "x,x"}, P("x"),
     "symdiff: error: --wrt: 'x' is given twice\n"
     "Try 'symdiff --help' for more information.\n",
     2},
    {{"--wrt", "1"}, P("x"),
     "symdiff: error: --wrt: not a variable name: '1'\n"
     "Try 'symdiff --help' for more information.\n",
     2},
    {{"--wrt", "z"}, P("x"),
     "symdiff: error: --wrt: 'z' is not a variable of the program\n"
     "Try 'symdiff --help' for more information.\n",
     2},
    {{"--vars", "x", "--wrt", "y"}, P("x"),
     "symdiff: error: --wrt: 'y' is not a variable of the program\n"
     "Try 'symdiff --help' for more information.\n",
     2},
    {{"--wrt", "c"}, P("param a; input b; a*b"),
     "symdiff: error: --wrt: 'c' is not a variable of the program\n"
     "Try 'symdiff --help' for more information.\n",
     2},
};
#define NCASES ((int)(sizeof cases / sizeof cases[0]))

/* `text` with every "<expr>:" at the start of a line (and "<expr>: ")
 * replaced by `name`. */
static char *renamed(const char *text, const char *name) {
    char *out = NULL;
    size_t len = 0, cap = 0;
    buf_append(&out, &len, &cap, "", 0);
    int bol = 1;
    while (*text) {
        if (bol && strncmp(text, "<expr>:", 7) == 0) {
            buf_append(&out, &len, &cap, name, strlen(name));
            text += 6;
        }
        bol = *text == '\n';
        buf_append(&out, &len, &cap, text, 1);
        text++;
    }
    return out;
}

static void expect(const Hostile *c, int index, const char *how, const Run *r, const char *name) {
    char *want = renamed(c->err, name);
    ck_assert_msg(r->status == c->status, "case %d (%s): status %d, expected %d; stderr:\n%s", index, how,
                  r->status, c->status, r->err);
    ck_assert_msg(r->outlen == 0, "case %d (%s): output on an error: %s", index, how, r->out);
    ck_assert_msg(strcmp(r->err, want) == 0, "case %d (%s): stderr\n%s\nexpected\n%s", index, how, r->err, want);
    free(want);
}

/* The options of a case, then `extra` (NULL-terminated). */
static void with_options(const Hostile *c, const char **args, const char *const *extra) {
    int k = 0;
    for (int i = 0; i < 5 && c->opts[i]; i++)
        args[k++] = c->opts[i];
    for (int i = 0; extra[i]; i++)
        args[k++] = extra[i];
    args[k] = NULL;
}

START_TEST(test_hostile_stdin) {
    const Hostile *c = &cases[_i];
    const char *args[12];
    with_options(c, args, (const char *const[]){"-f", "-", NULL});
    Run r;
    run_input(args, c->text, c->len, &r);
    expect(c, _i, "stdin", &r, "<stdin>");
    run_free(&r);
}
END_TEST

/* The cases a command-line argument can carry (no NUL byte), by index. */
static int argv_cases[NCASES], nargv_cases;

START_TEST(test_hostile_argv) {
    int i = argv_cases[_i];
    const Hostile *c = &cases[i];
    const char *args[12];
    with_options(c, args, (const char *const[]){"--", c->text, NULL});
    Run r;
    run(args, NULL, &r);
    expect(c, i, "argument", &r, "<expr>");
    run_free(&r);
}
END_TEST

static char *make_dir(void) {
    char *d = malloc(64);
    ck_assert_ptr_nonnull(d);
    make_temp_dir(d, 64, "hostile");
    return d;
}

static void write_bytes(const char *path, const char *text, size_t len) {
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create %s", path);
    ck_assert_uint_eq(fwrite(text, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}


/* Entries of a directory, "." and ".." aside. */
static int count_entries(const char *dir) {
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

START_TEST(test_hostile_file) {
    const Hostile *c = &cases[_i];
    char *dir = make_dir();
    char *file = path_join(dir, "prog.sd");
    write_bytes(file, c->text, c->len);
    const char *args[12];
    with_options(c, args, (const char *const[]){"-f", file, NULL});
    Run r;
    run(args, NULL, &r);
    expect(c, _i, "file", &r, file);
    run_free(&r);
    free(file);
    remove_tree(dir);
    free(dir);
}
END_TEST

/* --- huge inputs --------------------------------------------------------------- */

/* The block a message shows for a one-line source, with the rules of
 * diag.c written out again: the line as is when it has at most 1024
 * bytes, else 1024 bytes around the caret with "..." where it is cut; a
 * caret under the first byte of the span and '~' under the rest of it. */
static char *shown(const char *line, size_t len, size_t start, size_t end) {
    size_t from = 0, to = len;
    int cut_before = 0, cut_after = 0;
    if (len > DIAG_MAX_LINE) {
        if (start > DIAG_MAX_LINE / 2) {
            from = start - DIAG_MAX_LINE / 2;
            cut_before = 1;
        }
        if (to - from > DIAG_MAX_LINE) {
            to = from + DIAG_MAX_LINE;
            cut_after = 1;
        }
    }
    char *out = NULL;
    size_t n = 0, cap = 0;
    buf_append(&out, &n, &cap, cut_before ? "    ..." : "    ", cut_before ? 7 : 4);
    buf_append(&out, &n, &cap, line + from, to - from);
    buf_append(&out, &n, &cap, cut_after ? "...\n" : "\n", cut_after ? 4 : 1);
    buf_append(&out, &n, &cap, cut_before ? "       " : "    ", cut_before ? 7 : 4);
    for (size_t i = from; i < start; i++)
        buf_append(&out, &n, &cap, " ", 1);
    buf_append(&out, &n, &cap, "^", 1);
    for (size_t i = start + 1; i < end && i < to; i++)
        buf_append(&out, &n, &cap, "~", 1);
    buf_append(&out, &n, &cap, "\n", 1);
    return out;
}

/* A program made of `count` copies of `unit` between `head` and `tail`. */
static char *repeated(const char *head, const char *unit, int count, const char *tail, size_t *len) {
    char *out = NULL;
    size_t n = 0, cap = 0;
    buf_append(&out, &n, &cap, head, strlen(head));
    for (int i = 0; i < count; i++)
        buf_append(&out, &n, &cap, unit, strlen(unit));
    buf_append(&out, &n, &cap, tail, strlen(tail));
    *len = n;
    return out;
}

typedef struct Huge {
    const char *head, *unit;
    int count;
    const char *tail;
    size_t start, end; /* the span of the error (bytes)             */
    const char *message; /* NULL: "number out of range" and the token */
} Huge;

static const Huge huge[] = {
    /* nesting: the first bracket beyond 1000 */
    {"", "(", 100000, "x", 1000, 1001, "expression nested too deeply"},
    {"", "[", 100000, "x", 1000, 1001, "expression nested too deeply"},
    {"", "sin(", 100000, "x", 4003, 4004, "expression nested too deeply"},
    {"", "repeat 1 { ", 100000, "x", 11009, 11010, "expression nested too deeply"},
    {"x + ", "(", 5000, "", 1004, 1005, "expression nested too deeply"},
    /* chains without brackets fill the parser's stack (20000 entries) */
    {"", "-", 100000, "x", 19997, 19998, "expression nested too deeply"},
    {"", "x^", 100000, "x", 19997, 19998, "expression nested too deeply"},
    /* names and numbers */
    {"", "a", 100000, "", 0, 100000, "name too long (100000 characters, at most 256)"},
    {"x + ", "a", 257, "", 4, 261, "name too long (257 characters, at most 256)"},
    {"", "9", 1025, "*x", 0, 1025, "number too long (1025 characters, at most 1024)"},
    {"x*", "1", 300000, "", 2, 300002, "number too long (300000 characters, at most 1024)"},
    {"", "7.", 600, "", 0, 1200, "number too long (1200 characters, at most 1024)"},
    /* a long number within the limit is quoted whole (NULL: the token) */
    {"x*", "1", 400, "", 2, 402, NULL},
    {"", "x+", 100000, "", 200000, 200000, "unexpected end of input"},
    {"", "x*", 100000, ")", 200000, 200001, "unmatched ')'"},
    {"", "sin(x)+", 50000, "$", 350000, 350001, "invalid character '$'"},
    {"x + ", "1.2", 500, "", 4, 1504, "number too long (1500 characters, at most 1024)"},
};

START_TEST(test_hostile_huge) {
    const Huge *h = &huge[_i];
    size_t len;
    char *text = repeated(h->head, h->unit, h->count, h->tail, &len);
    char *block = shown(text, len, h->start, h->end);
    char *want = NULL;
    size_t n = 0, cap = 0;
    char head[256];
    snprintf(head, sizeof head, "<stdin>:1:%zu: error: ", h->start + 1);
    buf_append(&want, &n, &cap, head, strlen(head));
    if (h->message) {
        buf_append(&want, &n, &cap, h->message, strlen(h->message));
    } else {
        buf_append(&want, &n, &cap, "number out of range '", 21);
        buf_append(&want, &n, &cap, text + h->start, h->end - h->start);
        buf_append(&want, &n, &cap, "'", 1);
    }
    buf_append(&want, &n, &cap, "\n", 1);
    buf_append(&want, &n, &cap, block, strlen(block));
    Run r;
    run_input((const char *const[]){"-f", "-", NULL}, text, len, &r);
    ck_assert_msg(r.status == 1, "huge %d: status %d", _i, r.status);
    ck_assert_int_eq(r.outlen, 0);
    ck_assert_msg(strcmp(r.err, want) == 0, "huge %d: stderr (%zu bytes)\n%.3000s\nexpected (%zu bytes)\n%.3000s", _i,
                  r.errlen, r.err, n, want);
    run_free(&r);
    free(want);
    free(block);
    free(text);
}
END_TEST

/* The limits are not off by one: a name of 256 characters and a number of
 * 1024 are fine, and so is a flat sum of 100000 terms. */
START_TEST(test_hostile_at_the_limits) {
    size_t len;
    char *name = repeated("", "v", 256, "", &len);
    Run r;
    run((const char *const[]){name, NULL}, NULL, &r);
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_str_eq(r.out, "1\n");
    run_free(&r);
    free(name);

    char *number = repeated("x*1.", "0", 1022, "", &len);
    ck_assert_uint_eq(len, 1026);
    run((const char *const[]){number, NULL}, NULL, &r);
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_str_eq(r.out, "1\n");
    run_free(&r);
    free(number);

    char *sum = repeated("", "x + ", 100000, "x", &len);
    run_input((const char *const[]){"-f", "-", NULL}, sum, len, &r);
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_str_eq(r.out, "100001\n");
    run_free(&r);
    free(sum);

    /* 1000 brackets deep is allowed, 1001 is not */
    char *deep = repeated("", "(", 1000, "", &len);
    char *text = malloc(2 * len + 2);
    ck_assert_ptr_nonnull(text);
    memcpy(text, deep, len);
    text[len] = 'x';
    memset(text + len + 1, ')', len);
    text[2 * len + 1] = '\0';
    run((const char *const[]){text, NULL}, NULL, &r);
    ck_assert_msg(r.status == 0, "%.200s", r.err);
    ck_assert_str_eq(r.out, "1\n");
    run_free(&r);
    free(text);
    free(deep);
}
END_TEST

/* More than 16 MiB is refused before it is parsed, from stdin (which is
 * not read to the end: `yes | symdiff -f -` stops) and from a file. */
START_TEST(test_hostile_input_too_large) {
    size_t len = PARSE_MAX_INPUT + 1;
    char *text = malloc(len);
    ck_assert_ptr_nonnull(text);
    for (size_t i = 0; i < len; i++)
        text[i] = i % 2 ? '+' : 'x';
    Run r;
    run_input((const char *const[]){"-f", "-", NULL}, text, len, &r);
    ck_assert_int_eq(r.status, 1);
    ck_assert_int_eq(r.outlen, 0);
    ck_assert_str_eq(r.err, "<stdin>: error: input too large (more than 16 MiB)\n");
    run_free(&r);

    char *dir = make_dir();
    char *file = path_join(dir, "big.sd");
    write_bytes(file, text, len);
    run((const char *const[]){"-f", file, NULL}, NULL, &r);
    ck_assert_int_eq(r.status, 1);
    char want[256];
    snprintf(want, sizeof want, "%s: error: input too large (more than 16 MiB)\n", file);
    ck_assert_str_eq(r.err, want);
    run_free(&r);
    free(file);
    remove_tree(dir);
    free(dir);
    free(text);
}
END_TEST

/* --- -o: complete or untouched ------------------------------------------------------ */

static const char *const previous = "previous\n\x01\xff contents";

/* Runs symdiff with `args` and checks that it failed (status 1, or 2 for
 * a usage error) with a message holding `says`, wrote nothing to stdout,
 * and left `dir` with `entries` entries and `kept` (when not NULL) byte for
 * byte as `previous`. */
static void expect_failure(const char *const *args, int status, const char *says, const char *dir, int entries,
                           const char *kept) {
    Run r;
    run(args, NULL, &r);
    ck_assert_msg(r.status == status, "status %d: %s", r.status, r.err);
    ck_assert_int_eq(r.outlen, 0);
    ck_assert_msg(strstr(r.err, says) != NULL, "stderr lacks \"%s\": %s", says, r.err);
    run_free(&r);
    ck_assert_int_eq(count_entries(dir), entries);
    if (kept) {
        size_t len;
        char *got = read_file_n(kept, &len);
        ck_assert_msg(got && len == strlen(previous) && memcmp(got, previous, len) == 0, "%s was changed",
                      kept);
        free(got);
    }
}

/* A FIFO or a device is not replaced by a regular file (as root, renaming
 * over /dev/null would have replaced the device). */
START_TEST(test_output_not_regular) {
    char *dir = make_dir();
    char *fifo = path_join(dir, "pipe");
    ck_assert_int_eq(mkfifo(fifo, 0644), 0);
    expect_failure((const char *const[]){"-o", fifo, "x^2", NULL}, 1, "not a regular file", dir, 1, NULL);
    struct stat st;
    ck_assert_int_eq(lstat(fifo, &st), 0);
    ck_assert(S_ISFIFO(st.st_mode));
    /* a link to it is followed, and refused the same way */
    char *link = path_join(dir, "link.c");
    ck_assert_int_eq(symlink(fifo, link), 0);
    expect_failure((const char *const[]){"-o", link, "x^2", NULL}, 1, "not a regular file", dir, 2, NULL);
    free(link);
    free(fifo);
    remove_tree(dir);
    free(dir);
}
END_TEST

/* A directory symdiff may not write into: read-only (for users other
 * than root, whom permissions do not stop) and /proc (for everyone). */
START_TEST(test_output_unwritable_directory) {
    if (access("/proc/version", F_OK) == 0) {
        Run r;
        run((const char *const[]){"-o", "/proc/version", "x^2", NULL}, NULL, &r);
        ck_assert_int_eq(r.status, 1);
        ck_assert_int_eq(r.outlen, 0);
        ck_assert_msg(strncmp(r.err, "symdiff: error: cannot write '/proc/version': ", 46) == 0, "%s", r.err);
        run_free(&r);
        run((const char *const[]){"-o", "/proc/symdiff-k.c", "x^2", NULL}, NULL, &r);
        ck_assert_int_eq(r.status, 1);
        ck_assert_msg(strncmp(r.err, "symdiff: error: cannot write '/proc/symdiff-k.c': ", 50) == 0, "%s", r.err);
        ck_assert_int_eq(access("/proc/symdiff-k.h", F_OK), -1);
        run_free(&r);
    }
    char *dir = make_dir();
    char *sub = path_join(dir, "ro");
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    char *out = path_join(sub, "k.c");
    write_bytes(out, previous, strlen(previous));
    ck_assert_int_eq(chmod(sub, 0555), 0);
    if (geteuid() != 0)
        expect_failure((const char *const[]){"-o", out, "x^2", NULL}, 1, "Permission denied", sub, 1, out);
    else
        ck_assert_int_eq(access(sub, W_OK), 0); /* root writes anyway: nothing to check here */
    ck_assert_int_eq(chmod(sub, 0755), 0);
    free(out);
    free(sub);
    remove_tree(dir);
    free(dir);
}
END_TEST

/* A write that fails part-way (`ulimit -f` in a child shell): the file
 * size limit makes write() fail with EFBIG, not kill symdiff with SIGXFSZ;
 * the temporary is removed and the existing file left alone. */
START_TEST(test_output_write_fails_part_way) {
    char *dir = make_dir();
    char *prog = path_join(dir, "big.sd");
    FILE *f = fopen(prog, "wb");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 3000; i++)
        fprintf(f, "%ssin(x%d*y)", i ? " + " : "", i);
    ck_assert_int_eq(fclose(f), 0);
    static const char *const targets[] = {"out.txt", "k.c"};
    for (int t = 0; t < 2; t++) {
        char *out = path_join(dir, targets[t]);
        write_bytes(out, previous, strlen(previous));
        const char *args[] = {"-c", "ulimit -f 16 && exec \"$0\" -o \"$1\" -f \"$2\"", symdiff_path(), out, prog,
                              NULL};
        Run r;
        run_program("/bin/sh", args, NULL, 0, &r);
        ck_assert_msg(r.status == 1, "%s: status %d: %s", targets[t], r.status, r.err);
        ck_assert_msg(strstr(r.err, "File too large") != NULL, "%s", r.err);
        run_free(&r);
        size_t len;
        char *got = read_file_n(out, &len);
        ck_assert_msg(got && len == strlen(previous) && memcmp(got, previous, len) == 0, "%s changed",
                      targets[t]);
        free(got);
        ck_assert_int_eq(count_entries(dir), 2); /* big.sd and the target: no temporary, no header */
        unlink(out);
        free(out);
    }
    free(prog);
    remove_tree(dir);
    free(dir);
}
END_TEST

/* C output: a source never appears without its header, nor a header
 * without its source, whatever fails. */
START_TEST(test_output_c_pair) {
    char *dir = make_dir();
    char *c = path_join(dir, "k.c"), *h = path_join(dir, "k.h");
    /* the header's place is taken by a directory: neither file is written */
    ck_assert_int_eq(mkdir(h, 0755), 0);
    expect_failure((const char *const[]){"-o", c, "x^2", NULL}, 1, "it is a directory", dir, 1, NULL);
    ck_assert_int_eq(rmdir(h), 0);
    /* ... by a FIFO */
    ck_assert_int_eq(mkfifo(h, 0644), 0);
    expect_failure((const char *const[]){"-o", c, "x^2", NULL}, 1, "not a regular file", dir, 1, NULL);
    ck_assert_int_eq(unlink(h), 0);
    /* an error in the program: existing files are kept */
    write_bytes(c, previous, strlen(previous));
    expect_failure((const char *const[]){"-o", c, "sin(x", NULL}, 1, "unexpected end of input", dir, 1, c);
    /* errors found late: once the program is read and lowered */
    expect_failure((const char *const[]){"-o", c, "1/0 + x", NULL}, 1, "division by zero", dir, 1, c);
    expect_failure((const char *const[]){"-o", c, "--emit-main", "train", "x^2", NULL}, 2, "--emit-main", dir, 1,
                   c);
    /* into a missing directory */
    char *missing = path_join(dir, "no/such/k.c");
    expect_failure((const char *const[]){"-o", missing, "x^2", NULL}, 1, "cannot write", dir, 1, c);
    free(missing);
    free(c);
    free(h);
    remove_tree(dir);
    free(dir);
}
END_TEST

/* The program file as the output: refused before anything is read or
 * written, whatever the program (tests/check_cli.c covers every derived
 * output), and the file stays byte for byte as it was. */
START_TEST(test_output_is_input) {
    char *dir = make_dir();
    char *same = path_join(dir, "same.sd");
    static const char *const programs[] = {"x^3", "x^2 +", "sinn(x)", "1/0 + x", "x\x01"};
    for (size_t i = 0; i < sizeof programs / sizeof *programs; i++) {
        write_bytes(same, programs[i], strlen(programs[i]));
        Run r;
        run((const char *const[]){"-f", same, "-o", same, NULL}, NULL, &r);
        ck_assert_int_eq(r.status, 2);
        ck_assert_int_eq(r.outlen, 0);
        ck_assert_msg(strstr(r.err, "is the input file") != NULL, "%s", r.err);
        run_free(&r);
        size_t len;
        char *got = read_file_n(same, &len);
        ck_assert_msg(got && len == strlen(programs[i]) && memcmp(got, programs[i], len) == 0,
                      "case %zu: changed", i);
        free(got);
        ck_assert_int_eq(count_entries(dir), 1);
    }
    free(same);
    remove_tree(dir);
    free(dir);
}
END_TEST

/* --- engine bugs found by fuzzing and by this suite -------------------------------- */

/* The value of a scalar program at x, y, z (NAN when it is rejected). */
static double value_at(const char *text, double x, double y, double z) {
    Source src = {"<regress>", text, strlen(text)};
    Diag diag;
    diag_init(&diag, &src);
    AstArena arena = {NULL};
    Ast *ast = parse_program(&arena, &diag);
    double v = NAN;
    if (ast) {
        Graph *g = graph_new();
        ck_assert_ptr_nonnull(g);
        Program prog;
        static const char *const vars[] = {"x", "y", "z"};
        LowerOptions opt = {vars, 3, NULL, 0, 0};
        if (lower_program(g, ast, &diag, &opt, &prog) == 0) {
            const double point[3] = {x, y, z};
            v = eval_node(g, prog.outputs[0], point);
            program_free(&prog);
        }
        graph_free(g);
    }
    ast_arena_free(&arena);
    diag_free(&diag);
    return v;
}

START_TEST(test_regress_values) {
    /* (a b)^k = a^k b^k made 200^-1000 (0 in a double) a factor: the
     * product folded to 0 */
    ck_assert_close(value_at("(200*z)^-1000", 0, 0, 0.005), 1, 1e-12);
    /* ... and 200^1000, an overflowing constant: a domain error */
    ck_assert_close(value_at("(200*z)^1000", 0, 0, 0.005), 1, 1e-12);
    /* a product of constants that underflows folded to 0 */
    ck_assert_close(value_at("1e-200*x*(1e-200*y)", 1e200, 1e200, 0), 1, 1e-12);
    /* y^1000 z^1000 is inf * 0 where (y z)^1000 is finite */
    ck_assert_close(value_at("(y*z)^1000", 0, -3, -0.35), pow(1.05, 1000), 1e-9);
    ck_assert_close(value_at("(2*x)^3", 1.5, 0, 0), 27, 1e-15); /* small powers still distribute */
    /* constants that overflow together are a domain error, like 1e308*10 */
    ck_assert(isnan(value_at("1e308*10*x", 1, 0, 0)));
    ck_assert(isnan(value_at("x + 1e308 + 1e308", 1, 0, 0)));
    ck_assert_close(value_at("x + 1e308 + 1e308 - 1e308", 1, 0, 0), 1e308, 1e-15);
}
END_TEST

/* A product with more constants that do not fold than the simplifier
 * keeps apart dropped the rest; the printer dropped every one it could
 * not fold into the coefficient. */
START_TEST(test_regress_constants_kept) {
    Run r;
    run((const char *const[]){"exp(1e200*x)*1e200", NULL}, NULL, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "1e+200*1e+200*exp(1e+200*x)\n");
    run_free(&r);
    /* six factors of 1e300: no longer folded to a wrong value, but a
     * domain error (their product overflows, in any order) */
    ck_assert(isnan(value_at("1e300*x*1e300*1e300*1e300*1e300*1e300", 2, 0, 0)));
}
END_TEST

/* Constants that do not fold into one (their product overflows) are kept
 * apart, four at most; the fifth and later were dropped. */
START_TEST(test_regress_constants_not_dropped) {
    Graph *g = graph_new();
    ck_assert_ptr_nonnull(g);
    int v = graph_add_var(g, "x", VAR_PARAM, (Shape){.rank = 0});
    Node *x = graph_var_node(g, v);
    Node *f[7];
    for (int kind = 0; kind < 2; kind++) {
        /* six constants c: c*c overflows (products), c + c does (sums) */
        double c = kind ? 1e308 : 1e300;
        for (int i = 0; i < 6; i++)
            f[i] = dag_num(g, num_double(c));
        f[6] = x;
        Node *r = kind ? dag_add_n(g, f, 7) : dag_mul_n(g, f, 7);
        ck_assert_ptr_nonnull(r);
        ck_assert_int_eq(r->kind, kind ? EX_ADD : EX_MUL);
        /* c six times over, however the node groups them: the constants
         * add up to 6c (sums), their logarithms to 6 log c (products) */
        double total = 0;
        for (int k = 0; k < r->nargs; k++)
            if (r->args[k]->kind == EX_CONST) {
                double a = num_value(r->args[k]->num[0]);
                total += kind ? a / c : log(a) / log(c);
            }
        ck_assert_close(total, 6, 1e-12);
    }
    graph_free(g);
}
END_TEST

/* Pulling a common factor out of a sum and distributing the product back
 * (to cancel a denominator) undid each other for ever where the domain
 * rule keeps z/z apart: a stack overflow in the reverse engine. */
START_TEST(test_regress_factor_distribute_loop) {
    Run r;
    run((const char *const[]){"--mode", "reverse", "--at", "x=2,z=3",
                              "u = 1/(z*x); 1/(z/z)/((z + u)/u^u)/u/(1/(z/z)/z/(x*(u^u + 1)))/x", NULL},
        NULL, &r);
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    ck_assert_int_eq(strncmp(r.out, "value = ", 8), 0);
    run_free(&r);
}
END_TEST

/* repeat with an empty body never spent work: nested ones ran for ever */
START_TEST(test_regress_empty_repeat) {
    Run r;
    run((const char *const[]){"repeat 1000000 { repeat 1000000 { repeat 1000000 { } } } x", NULL}, NULL, &r);
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "program does too much work"));
    run_free(&r);
}
END_TEST

Suite *hostile_suite(void); /* called by tests/runner.c */

Suite *hostile_suite(void) {
    Suite *s = suite_create("hostile");
    nargv_cases = 0;
    for (int i = 0; i < NCASES; i++)
        if (strlen(cases[i].text) == cases[i].len)
            argv_cases[nargv_cases++] = i;

    TCase *tc = tcase_create("golden");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_hostile_stdin, 0, NCASES);
    tcase_add_loop_test(tc, test_hostile_argv, 0, nargv_cases);
    tcase_add_loop_test(tc, test_hostile_file, 0, NCASES);
    suite_add_tcase(s, tc);

    tc = tcase_create("huge");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_hostile_huge, 0, (int)(sizeof huge / sizeof huge[0]));
    tcase_add_test(tc, test_hostile_at_the_limits);
    tcase_add_test(tc, test_hostile_input_too_large);
    suite_add_tcase(s, tc);

    tc = tcase_create("files");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_output_not_regular);
    tcase_add_test(tc, test_output_unwritable_directory);
    tcase_add_test(tc, test_output_write_fails_part_way);
    tcase_add_test(tc, test_output_c_pair);
    tcase_add_test(tc, test_output_is_input);
    suite_add_tcase(s, tc);

    tc = tcase_create("regress");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_regress_values);
    tcase_add_test(tc, test_regress_constants_kept);
    tcase_add_test(tc, test_regress_constants_not_dropped);
    tcase_add_test(tc, test_regress_empty_repeat);
    tcase_add_test(tc, test_regress_factor_distribute_loop);
    suite_add_tcase(s, tc);
    return s;
}
