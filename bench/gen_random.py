#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gen_random.py -- a random symdiff program of a given size, for the
scaling benchmark.

    python3 bench/gen_random.py --ops N --seed S [--vars V] > prog.sd

The program is a random DAG: statements `Name=expr;`, each a random
expression of one to four operations (+ - * /, sin, cos, tanh, sigmoid,
exp, ^2; a quotient is written a/(1+b^2), three operations) whose leaves
are earlier statements or the parameters x0 .. x{V-1}.  N operations in
all, constants not counted; the final expression adds up every value no
statement used, so the whole program is live (those additions are not
counted).  Leaves: the previous statement half of the time (long
dependency chains, as in iterated maps and deep networks), otherwise a
value nobody used yet or any earlier value or parameter; the two operands
of a binary operation differ (a - a would fold to 0 and a whole cone with
it).  The text is compact (four-character names, no spaces) so that a
million operations stay well below the parser's input limit.  The same N
and S always give the same text (Python's random.Random is stable across
versions for these calls).
"""
import argparse
import random
import sys

BINARY = [("+", 30), ("-", 10), ("*", 30), ("/", 5)]
UNARY = [("sin", 5), ("cos", 5), ("tanh", 5), ("sigmoid", 4), ("exp", 2),
         ("sq", 4)]
DIGITS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def pick(rng, table):
    total = sum(w for _, w in table)
    r = rng.uniform(0, total)
    for name, w in table:
        r -= w
        if r <= 0:
            return name
    return table[-1][0]


def temp_name(k):
    """An upper-case letter and three base-62 digits: never a keyword, a
    built-in function or a parameter, and 26 * 62^3 names in all."""
    tail = ""
    for _ in range(3):
        k, d = divmod(k, 62)
        tail = DIGITS[d] + tail
    if k >= 26:
        raise ValueError("more statements than names")
    return chr(ord("A") + k) + tail


def generate(ops, seed, nvars, out):
    rng = random.Random(seed)
    params = ["x%d" % i for i in range(nvars)]
    out.write("# random program: %d operations, seed %d, %d parameters "
              "(bench/gen_random.py)\n" % (ops, seed, nvars))
    out.write("param %s;\n" % ",".join(params))
    names = []           # every statement's name, in order
    unused = []          # statements no statement has read yet
    unused_at = {}       # name -> index in `unused`, for O(1) removal

    def take_unused(i):
        name = unused[i]
        last = unused.pop()
        if last != name:
            unused[i] = last
            unused_at[last] = i
        del unused_at[name]
        return name

    def leaf(k, avoid=None):
        while True:
            r = rng.random()
            if k > 0 and r < 0.5:
                name = names[k - 1]
            elif unused and r < 0.8:
                name = unused[rng.randrange(len(unused))]
            else:
                j = rng.randrange(k + nvars)
                name = params[j] if j < nvars else names[j - nvars]
            if name != avoid:
                break
        if name in unused_at:
            take_unused(unused_at[name])
        return name

    def expr(k, m):
        """Text of a random expression with m operations; returns (text,
        operations used, is it a bare leaf)."""
        if m <= 0:
            return leaf(k), 0, True
        if rng.random() < 0.75:
            op = pick(rng, BINARY)
            if op == "/" and m < 3:
                op = "*"
            cost = 3 if op == "/" else 1
            left = rng.randint(0, max(0, m - cost))
            a, na, a_leaf = expr(k, left)
            b, nb, b_leaf = expr(k, m - cost - left)
            if a_leaf and b_leaf and a == b:
                b = leaf(k, avoid=a)
            if op == "/":
                return "%s/(1+%s^2)" % (_paren(a, a_leaf), _paren(b, b_leaf)), na + nb + 3, False
            return "(%s%s%s)" % (a, op, b), na + nb + 1, False
        fn = pick(rng, UNARY)
        a, na, a_leaf = expr(k, m - 1)
        if fn == "sq":
            return "%s^2" % _paren(a, a_leaf), na + 1, False
        return "%s(%s)" % (fn, a), na + 1, False

    done = 0
    k = 0
    while done < ops:
        text, n, is_leaf = expr(k, min(rng.randint(1, 4), ops - done))
        if is_leaf:  # only when no operation was left to spend
            break
        name = temp_name(k)
        out.write("%s=%s;\n" % (name, text))
        names.append(name)
        unused_at[name] = len(unused)
        unused.append(name)
        done += n
        k += 1
    out.write("+".join(unused) if unused else "x0")
    out.write("\n")


def _paren(text, is_leaf):
    return text if is_leaf or text.startswith("(") and text.endswith(")") and \
        _balanced(text[1:-1]) else "(" + text + ")"


def _balanced(text):
    depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return False
    return depth == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ops", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--vars", type=int, default=16)
    args = ap.parse_args()
    generate(args.ops, args.seed, args.vars, sys.stdout)


if __name__ == "__main__":
    main()
