# SPDX-License-Identifier: MIT
"""sdlang.py -- reads the benchmark corpus (a subset of symdiff's language)
for the peers: SymPy gets an expression, GiNaC a straight-line program.

The subset: `#` comments, `param a, b;` and `input x, y;` (scalars only,
required: every name must be declared or assigned), `name = expr;`,
`repeat N { ... }` with a literal N, and the final expression; numbers,
names, calls, `( )`, prefix `-`/`+`, binary `+ - * / ^` with symdiff's
precedence (`^` right-associative and tighter than prefix minus).  Writing
products with `*` is required: juxtaposition is not part of the subset.

A comment line `# bench-range: LO HI` sets the interval the kernel timings
draw every variable from (default 0.1 .. 0.9); the first comment line is
the case's title.
"""
import re
from fractions import Fraction

TOKEN = re.compile(r"\s*(?:(\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)"
                   r"|([A-Za-z_]\w*)|(.))")


class SdError(Exception):
    pass


def tokenize(text):
    toks = []
    pos = 0
    text = re.sub(r"#[^\n]*", "", text)
    while True:
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
        num, name, op = m.groups()
        if num is not None:
            toks.append(("num", num))
        elif name is not None:
            toks.append(("name", name))
        elif op is not None and not op.isspace():
            toks.append(("op", op))
    if text[pos:].strip():
        raise SdError("cannot read %r" % text[pos:pos + 20])
    toks.append(("end", None))
    return toks


class Parser:
    """Recursive descent over the subset; expressions become tuples:
    ("num", Fraction) ("name", s) ("call", f, [args]) ("neg", a)
    ("bin", op, a, b)."""

    def __init__(self, text):
        self.toks = tokenize(text)
        self.i = 0

    def peek(self, k=0):
        return self.toks[self.i + k]

    def take(self, kind=None, value=None):
        t = self.toks[self.i]
        if (kind and t[0] != kind) or (value and t[1] != value):
            raise SdError("expected %s, got %r" % (value or kind, t[1]))
        self.i += 1
        return t

    def at(self, value):
        return self.toks[self.i][0] == "op" and self.toks[self.i][1] == value

    # program = item* expr ";"?
    def program(self):
        params, inputs, body = [], [], []
        final = None
        while True:
            t = self.peek()
            if t == ("name", "param") or t == ("name", "input"):
                self.take()
                names = [self.take("name")[1]]
                while self.at(","):
                    self.take()
                    names.append(self.take("name")[1])
                self.take("op", ";")
                (params if t[1] == "param" else inputs).extend(names)
            elif t == ("name", "repeat") or (t[0] == "name" and self.peek(1) == ("op", "=")):
                body.append(self.statement())
                if self.at(";"):
                    self.take()
            else:
                final = self.expr()
                if self.at(";"):
                    self.take()
                self.take("end")
                return params, inputs, body, final

    def statement(self):
        if self.peek() == ("name", "repeat"):
            self.take()
            count = int(self.take("num")[1])
            self.take("op", "{")
            block = []
            while not self.at("}"):
                block.append(self.statement())
                if self.at(";"):
                    self.take()
            self.take("op", "}")
            return ("repeat", count, block)
        name = self.take("name")[1]
        self.take("op", "=")
        return ("assign", name, self.expr())

    def expr(self):
        a = self.product()
        while self.at("+") or self.at("-"):
            op = self.take()[1]
            a = ("bin", op, a, self.product())
        return a

    def product(self):
        a = self.unary()
        while self.at("*") or self.at("/"):
            op = self.take()[1]
            a = ("bin", op, a, self.unary())
        return a

    def unary(self):
        if self.at("-"):
            self.take()
            return ("neg", self.unary())
        if self.at("+"):
            self.take()
            return self.unary()
        return self.power()

    def power(self):
        a = self.primary()
        if self.at("^"):
            self.take()
            return ("bin", "^", a, self.unary())
        return a

    def primary(self):
        t = self.take()
        if t[0] == "num":
            return ("num", Fraction(t[1]))
        if t[0] == "name":
            if self.at("("):
                self.take()
                args = [self.expr()]
                while self.at(","):
                    self.take()
                    args.append(self.expr())
                self.take("op", ")")
                return ("call", t[1], args)
            return ("name", t[1])
        if t == ("op", "("):
            e = self.expr()
            self.take("op", ")")
            return e
        raise SdError("unexpected %r" % (t[1],))


class Case:
    """One corpus file: its parsed program and the directives in comments."""

    def __init__(self, path):
        with open(path) as f:
            self.text = f.read()
        comments = re.findall(r"^#\s?(.*)$", self.text, re.M)
        self.title = comments[0] if comments else path
        self.range = (0.1, 0.9)
        for c in comments:
            m = re.match(r"bench-range:\s*(\S+)\s+(\S+)", c)
            if m:
                self.range = (float(m.group(1)), float(m.group(2)))
        (self.params, self.inputs, self.body,
         self.final) = Parser(self.text).program()
        if not self.params:
            raise SdError("%s: the corpus needs explicit `param` lines" % path)

    def statements(self):
        """The assignments in execution order, repeat blocks unrolled."""
        def run(block):
            for s in block:
                if s[0] == "repeat":
                    for _ in range(s[1]):
                        yield from run(s[2])
                else:
                    yield s[1], s[2]
        return run(self.body)

    def unrolled_length(self):
        def count(block):
            return sum(s[1] * count(s[2]) if s[0] == "repeat" else 1
                       for s in block)
        return count(self.body)


# --- SymPy ---------------------------------------------------------------------

def to_sympy(case, sp):
    """(f, params, inputs) as SymPy objects; variables are real symbols, as
    a SymPy user generating C for real data declares them."""
    params = [sp.Symbol(n, real=True) for n in case.params]
    inputs = [sp.Symbol(n, real=True) for n in case.inputs]
    env = {s.name: s for s in params + inputs}
    env["pi"], env["e"] = sp.pi, sp.E

    def sigmoid(u):
        return 1 / (1 + sp.exp(-u))

    funcs = {
        "exp": sp.exp, "log": sp.log, "ln": sp.log, "sqrt": sp.sqrt,
        "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "asin": sp.asin,
        "acos": sp.acos, "atan": sp.atan, "sinh": sp.sinh, "cosh": sp.cosh,
        "tanh": sp.tanh, "abs": sp.Abs, "sign": sp.sign,
        "log2": lambda u: sp.log(u, 2), "log10": lambda u: sp.log(u, 10),
        "pow": lambda a, b: a ** b, "sigmoid": sigmoid,
        "softplus": lambda u: sp.log(1 + sp.exp(u)),
        "relu": lambda u: sp.Max(0, u), "max": sp.Max, "min": sp.Min,
    }

    def ev(e):
        k = e[0]
        if k == "num":
            return sp.Rational(e[1].numerator, e[1].denominator)
        if k == "name":
            if e[1] not in env:
                raise SdError("undeclared name %r" % e[1])
            return env[e[1]]
        if k == "neg":
            return -ev(e[1])
        if k == "call":
            if e[1] not in funcs:
                raise SdError("no SymPy translation for %s()" % e[1])
            return funcs[e[1]](*[ev(a) for a in e[2]])
        a, b = ev(e[2]), ev(e[3])
        return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
                "/": lambda: a / b, "^": lambda: a ** b}[e[1]]()

    for name, e in case.statements():
        env[name] = ev(e)
    return ev(case.final), params, inputs


# --- GiNaC -----------------------------------------------------------------------

def to_ginac(case):
    """A straight-line program for bench/ginac_diff.cc: a line `params ...`,
    a line `inputs ...`, then `name = expr` lines in GiNaC's parser syntax
    (repeat blocks unrolled), the last one named `result`.  Functions GiNaC
    lacks are written with ones it has: sigmoid(u) = 1/(1 + exp(-u)),
    softplus(u) = log(1 + exp(u)), max(a, b) = (a + b + abs(a - b))/2."""

    def g(e):
        k = e[0]
        if k == "num":
            q = e[1]
            return str(q.numerator) if q.denominator == 1 else "(%d/%d)" % (
                q.numerator, q.denominator)
        if k == "name":
            return {"pi": "Pi", "e": "exp(1)"}.get(e[1], e[1])
        if k == "neg":
            return "(-%s)" % g(e[1])
        if k == "bin":
            return "(%s%s%s)" % (g(e[2]), e[1], g(e[3]))
        f, a = e[1], [g(x) for x in e[2]]
        direct = {"exp", "log", "sqrt", "sin", "cos", "tan", "asin", "acos",
                  "atan", "sinh", "cosh", "tanh", "abs"}
        if f in direct:
            return "%s(%s)" % (f, a[0])
        table = {
            "ln": "log(%s)", "sign": "csgn(%s)", "pow": "((%s)^(%s))",
            "log2": "(log(%s)/log(2))", "log10": "(log(%s)/log(10))",
            "sigmoid": "(1/(1+exp(-(%s))))", "softplus": "log(1+exp(%s))",
            "relu": "((%s+abs(%s))/2)",
        }
        if f == "relu":
            return table[f] % (a[0], a[0])
        if f in ("max", "min"):
            acc = a[0]
            for b in a[1:]:
                sgn = "+" if f == "max" else "-"
                acc = "((%s+%s%sabs(%s-%s))/2)" % (acc, b, sgn, acc, b)
            return acc
        if f not in table:
            raise SdError("no GiNaC translation for %s()" % f)
        return table[f] % tuple(a)

    lines = ["params " + " ".join(case.params),
             "inputs " + " ".join(case.inputs)]
    for name, e in case.statements():
        lines.append("%s = %s" % (name, g(e)))
    lines.append("result = " + g(case.final))
    return "\n".join(lines) + "\n"
