#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench.py -- symdiff measured against its peers; bench/run.sh calls it.

    python3 bench/bench.py [gen] [kernels] [calls] [scaling] [train] [minibatch] [report]

Without arguments every stage runs, in that order.  Each stage saves its
measurements to bench/out/json/<stage>.json; `report` turns them into
bench/RESULTS.md and the SVG charts, so a stage can be rerun alone.

  gen      generation time on bench/corpus/: symdiff's command line end to
           end, its differentiation alone (bench/sd_phases), SymPy's diff +
           cse + ccode (bench/sympy_worker.py), GiNaC's diff alone
           (bench/ginac_diff); repetitions interleaved
  kernels  time(gradient)/time(f) of symdiff's and SymPy's value + gradient
           kernels (bench/kernel_peers.c, linked in several layouts, rounds
           pooled), operation counts of both
  calls    the exp, log1p and log calls and the instructions (callgrind,
           where valgrind is installed) of the logistic-regression and
           3-class softmax gradients
  scaling  symdiff's time and peak memory on random programs
           (bench/gen_random.py) and the logistic map, ~10^3 .. 10^6
  train    training throughput, generated vs hand-written gradients:
           the scalar models of bench/corpus/ (bench/train.c) and the
           tensor network of examples/spiral_network.sd
           (bench/train_tensor.c), both through bench/training.c; the
           tensor network against PyTorch eager too when `import torch`
           works
  minibatch the training step of two minibatch networks (2-16-3, batch
           32; 784-128-10 ReLU, batch 64), float and double: symdiff
           portable, symdiff --blas cblas, hand-written C
           (bench/minibatch.c), PyTorch eager when `import torch` works
  report   RESULTS.md, gen_time.svg, scaling.svg

Settings come from the environment (bench/run.sh sets them): SYMDIFF,
SD_PHASES, RUNSTAT, GINAC_DIFF (empty: GiNaC not measured), CC, RTLIB, BENCH_QUICK
(1: a fast smoke run with fewer repetitions, shorter time limits and sizes
up to ~6*10^4).
"""
import glob
import json
import math
import os
import platform
import re
import select
import shutil
import signal
import subprocess
import sys
import time

# PyTorch and OpenBLAS single-threaded, as symdiff's kernels are; read when
# the libraries load, so set before anything imports torch.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import gen_random  # noqa: E402
import sdlang  # noqa: E402
import svg  # noqa: E402

OUT = os.path.join(HERE, "out")
JSON_DIR = os.path.join(OUT, "json")
GROUPS = ["course", "ml", "mix", "rat", "pow", "lmap_inline", "lmap_repeat"]
# Warm runs behind symdiff's in-process time (bench/sd_phases).
WARM_RUNS = 10

GROUP_TITLES = {
    "course": "course examples", "ml": "ML losses", "mix": "trig/exp/log mixes",
    "rat": "rational functions", "pow": "symbolic exponents",
    "lmap_inline": "logistic map, inlined", "lmap_repeat": "logistic map, repeat",
}
# M_PI, which SymPy's C uses, needs X/Open in strict C99
KFLAGS = ["-std=c99", "-O2", "-D_XOPEN_SOURCE=700", "-Wall", "-Wextra", "-Wpedantic"]
RANDOM_SEED = 1
RANDOM_VARS = 16
# Code placement: the kernel-cost harness is linked in these layouts (the
# order of its objects, and bench/pad.c with PAD blocks in front of some),
# and the rounds of all of them are pooled; each timing is the best of
# KERNEL_BEST runs.
KERNEL_LAYOUTS = [(("harness", "sd", "sp"), 1), (("pad", "harness", "sp", "sd"), 3),
                  (("harness", "pad", "sd", "sp"), 5), (("pad", "sp", "sd", "harness"), 11)]
KERNEL_BEST = 3
# The point sets every kernel is timed on: a few hundred points, which stay
# in the level-1 cache and whose branches the predictor learns, and a large
# random set, on which a branch that depends on the data costs what it
# costs on a real data set.  Keys of the large set's results start with
# "big_".
KERNEL_POINTS = [(256, ""), (65536, "big_")]


class Config:
    def __init__(self):
        self.quick = os.environ.get("BENCH_QUICK", "0") not in ("", "0")
        self.symdiff = os.path.abspath(os.environ.get("SYMDIFF", os.path.join(ROOT, "symdiff")))
        self.sd_phases = os.environ.get("SD_PHASES", os.path.join(OUT, "sd_phases"))
        self.runstat = os.environ.get("RUNSTAT", os.path.join(OUT, "runstat"))
        self.ginac = os.environ.get("GINAC_DIFF", "")
        self.cc = os.environ.get("CC", "cc")
        self.rtlib = os.environ.get("RTLIB", os.path.join(ROOT, "build", "libsymdiff_rt.a"))
        q = self.quick
        self.gen_reps = 2 if q else 5
        self.limit = 10.0 if q else 60.0        # one peer run, seconds
        self.tool_budget = 8.0 if q else 30.0   # one tool on one case, all reps
        self.kernel_rounds = 5 if q else 15
        self.kernel_ms = 1.0 if q else 2.0
        self.kernel_max_bytes = 400000          # gcc -O2 time grows fast beyond
        top = 4 if q else 0                     # 10^6 / 2^k for k = 10 .. top
        self.scale_sizes = [int(round(1e6 / 2 ** k)) for k in range(10, top - 1, -1)]
        self.scale_reps = 1 if q else 3
        self.scale_timeout = 30.0 if q else 180.0
        self.train_rounds = 5 if q else 11


def median(xs):
    s = sorted(xs)
    n = len(s)
    if not n:
        return None
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def stats(xs):
    xs = [x for x in xs if x is not None]
    return (median(xs), min(xs), max(xs)) if xs else (None, None, None)


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return f.read().split()[0]
    except OSError:
        return "?"


def save(stage, data):
    """Writes a stage's measurements, stamped with the time and the load
    average at its end (the report shows them, however often it is rerun)."""
    data["finished"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    data["load_after"] = loadavg()
    os.makedirs(JSON_DIR, exist_ok=True)
    with open(os.path.join(JSON_DIR, stage + ".json"), "w") as f:
        json.dump(data, f, indent=1)


def load(stage):
    try:
        with open(os.path.join(JSON_DIR, stage + ".json")) as f:
            return json.load(f)
    except OSError:
        return None


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def run(cmd, timeout=None, **kw):
    """(seconds, returncode, stdout, stderr); seconds is None on timeout
    (stdout then holds what the program wrote before it was stopped)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        return None, p.returncode, out.decode(errors="replace"), err.decode(errors="replace")
    return (time.perf_counter() - t0, p.returncode, out.decode(errors="replace"),
            err.decode(errors="replace"))


def run_stat(cfg, cmd, timeout):
    """A command through bench/runstat: {"cpu", "wall", "rss_kb", "code",
    "err"}, or None when it was stopped at the time limit."""
    p = subprocess.Popen([cfg.runstat] + cmd, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)  # runstat and the command under it
        p.communicate()
        return None
    f = out.split()
    if p.returncode != 0 or len(f) != 4:
        return {"cpu": 0, "wall": 0, "rss_kb": 0, "code": 127,
                "err": err.decode(errors="replace")}
    return {"cpu": float(f[0]), "wall": float(f[1]), "rss_kb": int(f[2]), "code": int(f[3]),
            "err": err.decode(errors="replace")}


# --- the corpus ----------------------------------------------------------------------

def natural_key(name):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def group_of(name):
    for g in sorted(GROUPS, key=len, reverse=True):
        if name.startswith(g + "_"):
            return g
    return "other"


def family_of(name):
    """Cases that differ only in a size: lmap_repeat_100 -> lmap_repeat_."""
    return re.sub(r"\d+$", "", name)


def size_of(name):
    m = re.search(r"(\d+)$", name)
    return int(m.group(1)) if m else 0


def load_corpus():
    cases = []
    for path in glob.glob(os.path.join(HERE, "corpus", "*.sd")):
        c = sdlang.Case(path)
        c.path = path
        c.name = os.path.basename(path)[:-3]
        c.group = group_of(c.name)
        cases.append(c)
    order = {g: i for i, g in enumerate(GROUPS)}
    cases.sort(key=lambda c: (order.get(c.group, 99), natural_key(c.name)))
    return cases


# --- SymPy, in a worker process --------------------------------------------------------

class SympyWorker:
    """bench/sympy_worker.py, restarted after a request it had to be
    stopped in."""

    def __init__(self, warmup):
        self.p = None
        self.version = None
        self.buf = b""
        self.warmup = warmup
        self.missing = None

    def _line(self, timeout):
        deadline = time.perf_counter() + timeout
        fd = self.p.stdout.fileno()
        while b"\n" not in self.buf:
            left = deadline - time.perf_counter()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def start(self):
        errlog = open(os.path.join(OUT, "sympy_worker.log"), "a")
        self.p = subprocess.Popen([sys.executable, os.path.join(HERE, "sympy_worker.py")],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=errlog)
        errlog.close()
        self.buf = b""
        hello = self._line(120)
        if not hello:
            self.stop()
            self.missing = "SymPy could not be imported by %s" % sys.executable
            return False
        self.version = hello["sympy"]
        # the first request pays for lazy imports inside SymPy: not timed
        self._send(self.warmup, os.path.join(OUT, "sympy_warmup.c"))
        self._line(120)
        return True

    def _send(self, case, out):
        self.p.stdin.write((json.dumps({"case": case, "out": out}) + "\n").encode())
        self.p.stdin.flush()

    def stop(self):
        if self.p:
            self.p.kill()
            self.p.wait()
            self.p = None

    def request(self, case, out, timeout):
        if not self.p and not self.start():
            return {"ok": False, "error": self.missing}
        self._send(case, out)
        reply = self._line(timeout)
        if reply is None:
            self.stop()
            return {"ok": False, "timeout": True}
        return reply


def sympy_available():
    try:
        import sympy  # noqa: F401
        return sympy.__version__
    except ImportError:
        return None


# --- stage: generation time -------------------------------------------------------------

def stage_gen(cfg):
    cases = load_corpus()
    log("generation time: %d corpus programs, %d repetitions, time limit %g s"
        % (len(cases), cfg.gen_reps, cfg.limit))
    have_sympy = sympy_available()
    have_ginac = bool(cfg.ginac) and os.access(cfg.ginac, os.X_OK)
    worker = SympyWorker(next(c.path for c in cases if c.name == "course_multi")) \
        if have_sympy else None

    res = {}
    for c in cases:
        d = os.path.join(OUT, "gen", c.name)
        os.makedirs(d, exist_ok=True)
        r = {"name": c.name, "title": c.title, "group": c.group,
             "params": len(c.params), "inputs": len(c.inputs), "dir": d,
             "sd": {}, "sd_phases": {}, "sp": {}, "gn": {}, "gn_built": {},
             "sp_parts": {}, "status": {}, "spent": {"sd": 0, "sp": 0, "gn": 0}}
        if have_ginac:
            with open(os.path.join(d, "g.slp"), "w") as f:
                f.write(sdlang.to_ginac(c))
        else:
            r["status"]["gn"] = "GiNaC not installed"
        if not have_sympy:
            r["status"]["sp"] = "SymPy not installed"
        res[c.name] = r

    def blocked(c, tool):
        """A tool stops on a case after a failure, after its time budget,
        and on a larger member of a family where it already hit the limit."""
        r = res[c.name]
        if tool in r["status"]:
            return True
        if r["spent"][tool] > cfg.tool_budget:
            return True
        fam = family_of(c.name)
        for o in cases:
            if (o is not c and family_of(o.name) == fam and size_of(o.name) < size_of(c.name)
                    and str(res[o.name]["status"].get(tool, "")).startswith("> ")):
                r["status"][tool] = "not run: %s already exceeded the limit" % o.name
                return True
        return False

    def run_sd(c, rep):
        r = res[c.name]
        st = run_stat(cfg, [cfg.symdiff, "--name", "f", "-o", os.path.join(r["dir"], "f.c"),
                            "-f", c.path], cfg.limit)
        if st is None or st["code"] != 0:
            r["status"]["sd"] = "> %g s" % cfg.limit if st is None else \
                "error: " + st["err"].strip()[:200]
            return
        r["sd"][rep] = st["cpu"]
        r["sd_wall"] = r.get("sd_wall", {})
        r["sd_wall"][rep] = st["wall"]
        r["spent"]["sd"] += st["cpu"]
        if os.access(cfg.sd_phases, os.X_OK):
            t2, rc, out, _ = run([cfg.sd_phases, c.path, str(WARM_RUNS)], timeout=cfg.limit)
            if t2 is not None and rc == 0:
                r["sd_phases"][rep] = json.loads(out)

    def run_sp(c, rep):
        r = res[c.name]
        rep_out = worker.request(c.path, os.path.join(r["dir"], "sp.c"), cfg.limit)
        if rep_out.get("timeout"):
            r["status"]["sp"] = "> %g s" % cfg.limit
            r["spent"]["sp"] += cfg.limit
        elif not rep_out.get("ok"):
            r["status"]["sp"] = "error: " + str(rep_out.get("error"))
        else:
            r["sp"][rep] = rep_out["seconds"]
            r["sp_parts"][rep] = {k: rep_out[k] for k in ("parse", "diff", "cse", "ccode")}
            r["spent"]["sp"] += rep_out["seconds"]

    def run_gn(c, rep):
        r = res[c.name]
        t, rc, out, err = run([cfg.ginac, os.path.join(r["dir"], "g.slp")], timeout=cfg.limit)
        built = re.search(r"^built (\S+)", out, re.M)
        diff = re.search(r"^diff (\S+)", out, re.M)
        if diff:  # (a run stopped while counting the result's nodes still counts)
            r["gn"][rep] = float(diff.group(1))
            r["gn_built"][rep] = float(built.group(1))
            r["spent"]["gn"] += cfg.limit if t is None else t
        elif t is None:
            r["status"]["gn"] = "> %g s" % cfg.limit + ("" if built else " (building the expression)")
            r["spent"]["gn"] += cfg.limit
        else:
            r["status"]["gn"] = "error: " + (err.strip() or "exit %d" % rc)[:200]

    runners = {"sd": run_sd, "sp": run_sp, "gn": run_gn}
    t_start = time.perf_counter()
    for rep in range(cfg.gen_reps):
        seq = cases if rep % 2 == 0 else list(reversed(cases))
        for i, c in enumerate(seq):
            tools = ["sd", "sp", "gn"]
            k = (rep + i) % 3
            for tool in tools[k:] + tools[:k]:
                if not blocked(c, tool):
                    runners[tool](c, rep)
        log("  repetition %d of %d done (%.0f s)" % (rep + 1, cfg.gen_reps,
                                                     time.perf_counter() - t_start))
    if worker:
        worker.stop()

    # process start alone, the floor under every command-line time; and what
    # a SymPy script pays before its first line of work
    floor = [run_stat(cfg, [cfg.symdiff, "--version"], 60)["cpu"] for _ in range(21)]
    floor_true = [run_stat(cfg, ["true"], 60)["cpu"] for _ in range(21)]
    sp_start = [run_stat(cfg, [sys.executable, "-c", "import sympy"], 120)["cpu"]
                for _ in range(3)] if have_sympy else []
    save("gen", {"cases": [res[c.name] for c in cases], "reps": cfg.gen_reps,
                 "limit": cfg.limit, "budget": cfg.tool_budget, "process_floor": floor,
                 "true_floor": floor_true,
                 "sympy_start": sp_start,
                 "sympy": worker.version if worker else None, "ginac": have_ginac})


# --- stage: kernels ----------------------------------------------------------------------

C_KEYWORDS = {"if", "for", "while", "return", "sizeof", "switch"}
TOK = re.compile(r"\s*(?:(\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)|([A-Za-z_]\w*)|(.))")


def c_function_body(text, name):
    m = re.search(r"^[A-Za-z].*\b%s\s*\([^;{]*\)\s*\{\s*$" % re.escape(name), text, re.M)
    if not m:
        return None
    end = text.find("\n}", m.end())
    return text[m.end():end if end >= 0 else len(text)]


def count_ops(body):
    """Arithmetic in a C function body, counted the same way for every
    generator: binary + and -, *, /, calls, and ?: selections."""
    n = {"add": 0, "mul": 0, "div": 0, "call": 0, "select": 0}
    prev = None  # kind of the previous token: "operand" or an operator
    toks = []
    pos = 0
    while pos < len(body):
        m = TOK.match(body, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
        num, ident, op = m.groups()
        if num:
            toks.append(("operand", num))
        elif ident:
            toks.append(("ident", ident))
        elif op and not op.isspace():
            toks.append(("op", op))
    for i, (kind, v) in enumerate(toks):
        nxt = toks[i + 1] if i + 1 < len(toks) else (None, None)
        if kind == "ident":
            if nxt == ("op", "(") and v not in C_KEYWORDS:
                n["call"] += 1
            prev = "operand"
        elif kind == "operand":
            prev = "operand"
        else:
            if v in "+-" and prev == "operand":
                n["add"] += 1
            elif v == "*" and prev == "operand":
                n["mul"] += 1
            elif v == "/" and prev == "operand":
                n["div"] += 1
            elif v == "?":
                n["select"] += 1
            prev = "operand" if v in ")]" else v
    return n


def stage_kernels(cfg):
    gen = load("gen")
    if not gen:
        log("kernels: no generation results; run the gen stage first")
        return
    log("kernel cost: %d layouts x %d rounds of best-of-%d %g ms timings per kernel"
        % (len(KERNEL_LAYOUTS), cfg.kernel_rounds, KERNEL_BEST, cfg.kernel_ms))
    cases = {c.name: c for c in load_corpus()}
    pads = {}
    for k in sorted({pad for _, pad in KERNEL_LAYOUTS}):
        pads[k] = os.path.join(OUT, "pad%d.o" % k)
        run([cfg.cc] + KFLAGS + ["-DPAD=%d" % k, "-c", os.path.join(HERE, "pad.c"), "-o", pads[k]],
            timeout=60)
    results = []
    for r in gen["cases"]:
        d, name = r["dir"], r["name"]
        row = {"name": name, "group": r["group"]}
        results.append(row)
        fc = os.path.join(d, "f.c")
        if not r["sd"] or not os.path.exists(fc):
            row["skip"] = "symdiff produced no kernel"
            continue
        size = os.path.getsize(fc)
        row["c_bytes"] = size
        with open(fc) as f:
            text = f.read()
        row["ops_sd"] = count_ops(c_function_body(text, "f_grad") or "")
        row["ops_sd_f"] = count_ops(c_function_body(text, "f") or "")
        spc = os.path.join(d, "sp.c")
        have_sp = bool(r["sp"]) and os.path.exists(spc)
        if have_sp:
            with open(spc) as f:
                sptext = f.read()
            row["ops_sp"] = count_ops(c_function_body(sptext, "sp_f_grad") or "")
            row["ops_sp_f"] = count_ops(c_function_body(sptext, "sp_f") or "")
            row["sp_bytes"] = os.path.getsize(spc)
        if size > cfg.kernel_max_bytes:
            row["skip"] = ("not timed: symdiff's C file has %.1f MB (limit %.1f MB: "
                           "gcc -O2 takes minutes on one function that long)"
                           % (size / 1e6, cfg.kernel_max_bytes / 1e6))
            continue
        objs, warnings = {}, {}
        for src, who in [(fc, "sd")] + ([(spc, "sp")] if have_sp else []):
            obj = os.path.join(d, who + ".o")
            t, rc, _, err = run([cfg.cc] + KFLAGS + ["-c", src, "-o", obj], timeout=600)
            warnings[who] = err.count("warning:")
            if t is None or rc != 0:
                row["skip"] = "%s kernel does not compile: %s" % (who, err.strip()[:200])
                break
            objs[who] = obj
        row["warnings"] = warnings
        if "skip" in row:
            continue
        harness = os.path.join(d, "kernel_peers.o")
        t, rc, _, err = run([cfg.cc] + KFLAGS + ["-Werror", "-D_POSIX_C_SOURCE=200809L",
                                                 "-I" + d, "-I" + os.path.join(ROOT, "runtime")]
                            + (["-DHAVE_SYMPY"] if have_sp else [])
                            + ["-c", "-o", harness, os.path.join(HERE, "kernel_peers.c")],
                            timeout=600)
        if t is None or rc != 0:
            row["skip"] = "harness does not build: " + err.strip()[:300]
            continue
        lo, hi = cases[name].range if name in cases else (0.1, 0.9)
        # the same program linked in several layouts (KERNEL_LAYOUTS), the
        # rounds of all of them pooled
        pooled, layout_medians = {}, []
        for li, (order, pad) in enumerate(KERNEL_LAYOUTS):
            files = []
            for part in order:
                if part == "pad":
                    files.append(pads[pad])
                elif part == "harness":
                    files.append(harness)
                elif part in objs:
                    files.append(objs[part])
            exe = os.path.join(d, "kernel_peers_%d" % li)
            t, rc, _, err = run([cfg.cc, "-o", exe] + files + [cfg.rtlib, "-lm"], timeout=600)
            if t is None or rc != 0:
                row["skip"] = "harness does not link: " + err.strip()[:300]
                break
            for npts, prefix in KERNEL_POINTS:
                t, rc, out, err = run([exe, repr(lo), repr(hi), str(cfg.kernel_rounds),
                                       str(cfg.kernel_ms), str(KERNEL_BEST), str(npts)],
                                      timeout=600)
                if t is None or rc != 0:
                    row["skip"] = "harness failed: " + err.strip()[:200]
                    break
                res = json.loads(out)
                for key, vals in res["per_round"].items():
                    if key != "layout":
                        pooled.setdefault(prefix + key, []).extend(vals)
                if "f_grad_over_sp_f_grad" in res["per_round"] and not prefix:
                    layout_medians.append(median(res["per_round"]["f_grad_over_sp_f_grad"]))
                if li == 0:
                    row[prefix + "check"] = res["check"]
                    row[prefix + "passes"] = res["passes"]
            if "skip" in row:
                break
        if "skip" in row:
            continue
        for key, vals in pooled.items():
            row[key] = list(stats(vals))
        row["layout_medians"] = layout_medians
        row["range"] = [lo, hi]
    save("kernels", {"rows": results, "rounds": cfg.kernel_rounds, "ms": cfg.kernel_ms,
                     "layouts": len(KERNEL_LAYOUTS), "best": KERNEL_BEST,
                     "points": [n for n, _ in KERNEL_POINTS],
                     "flags": " ".join(KFLAGS)})


# --- stage: calls ------------------------------------------------------------------------

# The kernels whose transcendental calls are counted, as a Cortex-M4F user
# would count them: the program, extra options, and how many distinct
# arguments their exponentials have (the goal: at most one exp per distinct
# argument, value and gradient together).
CALL_KERNELS = [
    ("logistic regression, BCE + L2 (examples/logistic_regression.sd)",
     os.path.join(ROOT, "examples", "logistic_regression.sd"), [], 1),
    ("3-class softmax cross-entropy in scalars (bench/corpus/ml_softmax3.sd)",
     os.path.join(HERE, "corpus", "ml_softmax3.sd"), [], 3),
    ("3-class softmax cross-entropy, tensor program (examples/blob_softmax.sd)",
     os.path.join(ROOT, "examples", "blob_softmax.sd"), [], 3),
    ("the same, --unroll", os.path.join(ROOT, "examples", "blob_softmax.sd"), ["--unroll"], 3),
]
# libm functions, and what each sd_ helper calls inside
CALL_NAMES = ["exp", "log1p", "log", "expm1"]
HELPER_CALLS = {"sd_sigmoid": {"exp": 1}, "sd_softplus": {"exp": 1, "log": 1},
                "sd_softplus_e": {"log": 1}, "sd_log1p_e": {"log": 1}, "sd_elu": {"expm1": 1}}
CALL_DRIVER = r"""
#include <stdio.h>
#include <stdlib.h>
#include "k.h"
static SDT x[K_NVARS + 1], in[K_NINPUTS + 1], g[K_NVARS + 1], w[K_WORK_ELEMS + 1];
int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 0;
    double s = 0;
    for (int i = 0; i < K_NVARS; i++)
        x[i] = (SDT)(0.1 * (i %% 7) - 0.3);
    for (int i = 0; i < K_NINPUTS; i++)
        in[i] = (SDT)(i %% 3 == 0 ? 1 : 0.25 * i);
    (void)in;
    (void)w;
    for (long k = 0; k < n; k++) {
        s += (double)%s;
        x[0] += (SDT)1e-7;
    }
    printf("%%g\n", s);
    return 0;
}
"""


def static_calls(body, use_float):
    """Calls of each libm function in a C body, those inside sd_ helpers
    included."""
    suffix = "f" if use_float else ""
    counts = {n: 0 for n in CALL_NAMES}
    for m in re.finditer(r"(?<![A-Za-z0-9_])([A-Za-z_]\w*)\(", body):
        name = m.group(1)
        if name.endswith(suffix) and name[:len(name) - len(suffix)] in CALL_NAMES:
            counts[name[:len(name) - len(suffix)]] += 1
        base = name[:len(name) - len(suffix)] if suffix and name.endswith(suffix) else name
        for k, v in HELPER_CALLS.get(base, {}).items():
            counts[k] += v
    return counts


def libm_base(name):
    """The libm function behind a symbol callgrind names: expf@@GLIBC_2.27,
    __expf_fma and __exp_finite are exp; None for others."""
    base = re.sub(r"@.*", "", name).lstrip("_")
    base = re.sub(r"_(fma4?|avx2?|sse2|finite)$", "", base)
    for k in CALL_NAMES:
        if base in (k, k + "f"):
            return k
    return None


def callgrind_counts(cfg, exe, n):
    """(instructions, {libm function: calls}) of `exe n` under callgrind:
    the calls the kernel and its sd_ helpers make (not those libm makes
    inside itself)."""
    out = exe + ".cg"
    t, rc, _, err = run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out, exe, str(n)],
                        timeout=600)
    if t is None or rc != 0:
        return None, None
    names, calls, total, fn, cfn = {}, {k: 0 for k in CALL_NAMES}, None, "", None
    with open(out) as f:
        for line in f:
            m = re.match(r"(c?fn)=\((\d+)\)(?: (.*))?", line)
            if m:
                if m.group(3):
                    names[m.group(2)] = m.group(3).strip()
                if m.group(1) == "cfn":
                    cfn = names.get(m.group(2))
                else:
                    fn = names.get(m.group(2), "")
                continue
            if line.startswith("calls=") and cfn is not None:
                k = libm_base(cfn)
                if k and (fn.startswith("k_") or fn.startswith("sd_")):
                    calls[k] += int(line.split()[0].split("=")[1])
                cfn = None
            elif line.startswith("summary:") or line.startswith("totals:"):
                total = int(line.split()[1])
    os.remove(out)
    return total, calls


def stage_calls(cfg):
    have_vg = shutil.which("valgrind") is not None
    log("calls: transcendental calls of %d kernels%s" % (len(CALL_KERNELS),
                                                         ", under callgrind" if have_vg else ""))
    d = os.path.join(OUT, "calls")
    os.makedirs(d, exist_ok=True)
    rows = []
    for title, path, opts, distinct in CALL_KERNELS:
        for use_float in (1, 0):
            row = {"title": title, "float": use_float, "distinct": distinct}
            rows.append(row)
            c = os.path.join(d, "k.c")
            t, rc, _, err = run([cfg.symdiff, "--name", "k", "-f", path, "-o", c]
                                + opts + (["--type", "float"] if use_float else []), timeout=60)
            if t is None or rc != 0:
                row["skip"] = "symdiff failed: " + err.strip()[:200]
                continue
            with open(c) as f:
                text = f.read()
            tensor = "k_grad_ws(" in text
            body = c_function_body(text, "k_grad_ws" if tensor else "k_grad") or ""
            row["static"] = static_calls(body, use_float)
            row["loops"] = "for (" in body
            if not have_vg:
                continue
            with open(os.path.join(d, "k.h")) as f:
                header = f.read()
            call = "k_grad_ws(x, %sg, w)" if tensor else "k_grad(x, %sg)"
            call = call % ("in, " if "K_NINPUTS 0" not in header else "")
            drv = CALL_DRIVER % call
            drv = drv.replace("K_WORK_ELEMS", "K_WORK" if tensor else "1")
            drv = drv.replace("SDT", "float" if use_float else "double")
            with open(os.path.join(d, "driver.c"), "w") as f:
                f.write(drv)
            exe = os.path.join(d, "driver")
            t, rc, _, err = run([cfg.cc] + KFLAGS + ["-I" + d, "-o", exe, os.path.join(d, "driver.c"), c,
                                                     "-lm"], timeout=300)
            if t is None or rc != 0:
                row["skip"] = "driver does not build: " + err.strip()[:200]
                continue
            n = 1000
            i0, _ = callgrind_counts(cfg, exe, 0)
            i1, calls = callgrind_counts(cfg, exe, n)
            if i0 is None or i1 is None:
                row["skip"] = "callgrind failed"
                continue
            row["instructions"] = (i1 - i0) / n
            row["dynamic"] = {k: v / n for k, v in calls.items()}
    save("calls", {"rows": rows, "valgrind": tool_version(["valgrind", "--version"]) if have_vg else ""})


# --- stage: scaling ----------------------------------------------------------------------

# The program families of the scaling stage: key, title, and the divisor
# of the sizes (declared parameters go up to 10^5, the others to 10^6).
SCALE_FAMILIES = (("random", "random programs", 1), ("lmap", "logistic map, repeat N", 1),
                  ("params", "declared parameters", 10))


def family_sizes(sizes, family):
    div = dict((f, d) for f, _, d in SCALE_FAMILIES)[family]
    return [n // div for n in sizes]


def scale_program(family, n):
    d = os.path.join(OUT, "scale")
    os.makedirs(d, exist_ok=True)
    # written afresh every run (deterministic), so a changed generator is
    # never measured through an old file
    if family == "random":
        path = os.path.join(d, "random_%d_s%d.sd" % (n, RANDOM_SEED))
        with open(path + ".tmp", "w") as f:
            gen_random.generate(n, RANDOM_SEED, RANDOM_VARS, f)
    elif family == "params":
        # n declared parameters, each used once: p0 + 2*p1 + ... + n*p{n-1}
        path = os.path.join(d, "params_%d.sd" % n)
        with open(path + ".tmp", "w") as f:
            f.write("param %s;\n" % ", ".join("p%d" % i for i in range(n)))
            f.write(" + ".join("%d*p%d" % (i + 1, i) if i else "p0" for i in range(n)) + "\n")
    else:
        path = os.path.join(d, "lmap_%d.sd" % n)
        with open(path + ".tmp", "w") as f:
            f.write("param x;\nl = x;\nrepeat %d { l = 4*l*(1 - l) }\nl\n" % n)
    os.replace(path + ".tmp", path)
    return path


def perf_profile(cmd, top=12):
    """Self time of the hottest functions of one run, from `perf record`
    (None when perf is missing or not permitted)."""
    if not shutil.which("perf"):
        return None
    data = os.path.join(OUT, "perf.data")
    t, rc, _, _ = run(["perf", "record", "-q", "-o", data, "--"] + cmd, timeout=300)
    if t is None or rc != 0:
        return None
    t, rc, out, _ = run(["perf", "report", "-i", data, "--stdio", "--no-children",
                         "--sort", "symbol", "-q"], timeout=300)
    rows = []
    for line in out.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+\[.\]\s+(\S+)", line)
        if m:
            rows.append((float(m.group(1)), m.group(2)))
    return rows[:top] or None


def stage_scaling(cfg):
    fams = [f for f, _, _ in SCALE_FAMILIES]
    fsizes = {f: family_sizes(cfg.scale_sizes, f) for f in fams}
    log("scaling: sizes %s, %d repetitions" % (fsizes, cfg.scale_reps))
    res = {f: {str(n): {"times": [], "rss_kb": [], "status": None} for n in fsizes[f]}
           for f in fams}
    progs = {(f, n): scale_program(f, n) for f in fams for n in fsizes[f]}
    for f in fams:  # node counts and the time per stage, once per size
        for n in fsizes[f]:
            t, rc, out, _ = run([cfg.sd_phases, progs[f, n]], timeout=cfg.scale_timeout)
            if t is not None and rc == 0:
                res[f][str(n)]["phases"] = json.loads(out)
    out_c = os.path.join(OUT, "scale", "f.c")
    nsizes = len(cfg.scale_sizes)
    for rep in range(cfg.scale_reps):
        order = range(nsizes) if rep % 2 == 0 else reversed(range(nsizes))
        for i in order:
            for f in (fams if (rep + i) % 2 else list(reversed(fams))):
                n = fsizes[f][i]
                cell = res[f][str(n)]
                if cell["status"]:
                    continue
                if any(res[f][str(m)]["status"] for m in fsizes[f] if m < n):
                    cell["status"] = "not run: a smaller size failed"
                    continue
                st = run_stat(cfg, [cfg.symdiff, "--name", "f", "-o", out_c, "-f",
                                    progs[f, n]], cfg.scale_timeout)
                if st is None:
                    cell["status"] = "> %g s" % cfg.scale_timeout
                elif st["code"] != 0:
                    cell["status"] = "error (exit %d)" % st["code"]
                else:
                    cell["times"].append(st["cpu"])
                    cell.setdefault("wall", []).append(st["wall"])
                    cell["rss_kb"].append(st["rss_kb"])
                for p in (out_c, out_c[:-2] + ".h"):
                    if os.path.exists(p):
                        os.remove(p)
        log("  repetition %d of %d done" % (rep + 1, cfg.scale_reps))
    # where the time goes at the largest size that takes a few seconds at most
    profiles = {}
    for f in fams:
        pick = None
        for n in fsizes[f]:
            ph = res[f][str(n)].get("phases")
            if ph and ph["total"] < 5:
                pick = n
        if pick:
            prof = perf_profile([cfg.sd_phases, progs[f, pick]])
            if prof:
                profiles[f] = {"size": pick, "top": prof}
    save("scaling", {"sizes": cfg.scale_sizes, "family_sizes": fsizes, "reps": cfg.scale_reps,
                     "results": res, "seed": RANDOM_SEED, "vars": RANDOM_VARS,
                     "timeout": cfg.scale_timeout, "profiles": profiles})


# --- stage: training -----------------------------------------------------------------------

TENSOR_NET = os.path.join(ROOT, "examples", "spiral_network.sd")


def build_training(cfg, exe, sources, kernels):
    """Generates each kernel (name, .sd file) into bench/out/train/ and
    compiles exe from the bench sources, bench/training.c and the kernels,
    each its own translation unit, with the kernel flags.  None, or what
    went wrong."""
    d = os.path.join(OUT, "train")
    os.makedirs(d, exist_ok=True)
    for name, src in kernels:
        t, rc, _, err = run([cfg.symdiff, "--name", name, "-o", os.path.join(d, name + ".c"),
                             "-f", src], timeout=60)
        if t is None or rc != 0:
            return "symdiff failed on %s: %s" % (os.path.relpath(src, ROOT),
                                                 err.strip()[:200] or "exit status %s" % rc)
    t, rc, _, err = run([cfg.cc] + KFLAGS + ["-Werror", "-D_POSIX_C_SOURCE=200809L", "-I" + d,
                                             "-I" + os.path.join(ROOT, "runtime"), "-o", exe]
                        + [os.path.join(HERE, f) for f in sources + ["training.c"]]
                        + [os.path.join(d, name + ".c") for name, _ in kernels]
                        + [cfg.rtlib, "-lm"], timeout=300)
    if t is None or rc != 0:
        return "bench/%s does not build: %s" % (sources[0], err.strip()[:300])
    return None


def run_training(cmd):
    """(rows, problem) of a training driver: its JSON lines."""
    t, rc, out, err = run(cmd, timeout=600)
    if t is None or rc != 0:
        return [], "bench/%s.c failed: %s" % (os.path.basename(cmd[0]),
                                               err.strip()[:300] or "exit status %s" % rc)
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")], None


def c_training_rows(cfg):
    """The scalar models of bench/corpus/: generated kernels and
    hand-written gradients in bench/train.c."""
    exe = os.path.join(OUT, "train", "train")
    problem = build_training(cfg, exe, ["train.c"], [
        ("logreg", os.path.join(HERE, "corpus", "ml_logreg_bce.sd")),
        ("mlp", os.path.join(HERE, "corpus", "ml_mlp_2_16_3.sd"))])
    if problem:
        return [], problem
    return run_training([exe, str(cfg.train_rounds), str(cfg.train_rounds)])


def tensor_training_rows(cfg):
    """The tensor 2-16-3 network of examples/spiral_network.sd (`param
    W1[16,2], ...` and `@`) against hand-written backpropagation
    (bench/train_tensor.c), on the data and start of the scalar network;
    then against PyTorch eager when `import torch` works.  (rows, note) in
    the format of c_training_rows."""
    exe = os.path.join(OUT, "train", "train_tensor")
    problem = build_training(cfg, exe, ["train_tensor.c"], [("spiral_net", TENSOR_NET)])
    if problem:
        return [], problem
    data = os.path.join(OUT, "train", "spirals.txt")
    rows, problem = run_training([exe, str(cfg.train_rounds), str(cfg.train_rounds), data])
    if problem or not rows:
        return rows, problem or "bench/train_tensor.c printed no row"
    if not torch_version():
        return rows, ("PyTorch is not installed here, so there is no PyTorch row "
                      "(`BENCH_TORCH=1 make bench` installs it)")
    try:
        rows.append(torch_training_row(cfg, data, rows[0]))
    except Exception as e:  # a broken installation must not cost the C rows
        return rows, "the PyTorch comparison failed: %s: %s" % (type(e).__name__, e)
    return rows, None


def torch_training_row(cfg, data, trow):
    """PyTorch eager, float64, one thread, on the data set and start that
    bench/train_tensor.c wrote: the mean loss of a minibatch of 32 and its
    gradient by autograd, per sample over the data set (train_rounds
    rounds); then Adam with the C run's settings for as many epochs as
    the C run trained (its own shuffles), samples/s per epoch.  Not
    interleaved with the C run (another process): the ratios divide the
    medians, the ranges the extremes.  A row of c_training_rows' format,
    PyTorch in the hand-written columns."""
    import torch
    torch.set_num_threads(1)
    batch = trow["batch"]
    with open(data) as f:
        n = int(f.readline().split()[0])
        theta0 = torch.tensor([float(v) for v in f.readline().split()], dtype=torch.float64)
        xy = torch.tensor([[float(v) for v in f.readline().split()] for _ in range(n)],
                          dtype=torch.float64)
    x, y = xy[:, :2], xy[:, 2:]
    layout = ((0, (16, 2)), (32, (16,)), (48, (3, 16)), (96, (3,)))  # W1, b1, W2, b2

    def start():
        return [theta0[o:o + math.prod(s)].reshape(s).clone().requires_grad_()
                for o, s in layout]

    def loss(p, xb, yb):  # examples/spiral_network.sd, averaged over the minibatch
        W1, b1, W2, b2 = p
        s = torch.tanh(xb @ W1.T + b1) @ W2.T + b2
        return ((torch.logsumexp(s, 1) - (yb * s).sum(1)).mean()
                + 1e-5 * ((W1 * W1).sum() + (W2 * W2).sum()))

    p = start()

    def grad_pass():
        t0 = time.process_time()
        for b in range(0, n, batch):
            torch.autograd.grad(loss(p, x[b:b + batch], y[b:b + batch]), p)
        return (time.process_time() - t0) / n
    grad_pass()  # warm-up
    grad_ns = [1e9 * grad_pass() for _ in range(cfg.train_rounds)]

    p = start()
    opt = torch.optim.Adam(p, lr=0.01, betas=(0.9, 0.999), eps=1e-8)
    shuffles = torch.Generator().manual_seed(1)
    sps, last = [], None
    for _ in range(trow["blocks"] * trow["epochs_per_block"]):
        t0 = time.process_time()
        perm, total = torch.randperm(n, generator=shuffles), 0.0
        for b in range(0, n, batch):
            i = perm[b:b + batch]
            opt.zero_grad()
            v = loss(p, x[i], y[i])
            v.backward()
            opt.step()
            total += v.item() * len(i)
        sps.append(n / (time.process_time() - t0))
        last = total / n

    def ratio(a, b):
        return [a[0] / b[0], a[1] / b[2], a[2] / b[1]]
    tg, ts = list(stats(grad_ns)), list(stats(sps))
    return {"model": "mlp_torch", "params": trow["params"], "samples": n, "batch": batch,
            "gen_grad_ns": trow["gen_grad_ns"], "hand_grad_ns": tg,
            "grad_ratio": ratio(trow["gen_grad_ns"], tg),
            "gen_samples_per_s": trow["gen_samples_per_s"], "hand_samples_per_s": ts,
            "throughput_ratio": ratio(trow["gen_samples_per_s"], ts),
            "loss_gen": trow["loss_gen"], "loss_hand": last, "epochs": len(sps)}


# --- stage: minibatch training step ------------------------------------------------------------

MB_NETS = (("2", "mlp_2_16_3_batch.sd"), ("7", "mlp_784_128_10_batch.sd"))
MB_SPECS = {"2-16-3": (2, 16, 3, "tanh", 32), "784-128-10": (784, 128, 10, "relu", 64)}


def build_minibatch(cfg, d):
    """The kernels of bench/minibatch.c (portable and --blas cblas, double
    and float, for both networks) and the driver, linked with OpenBLAS
    (-lopenblas, else Debian's -lblas).  (exe, blas library, problem)."""
    os.makedirs(d, exist_ok=True)
    srcs = []
    for k, sd in MB_NETS:
        for suffix, opts in (("_d", []), ("_f", ["--type", "float"]),
                             ("b_d", ["--blas", "cblas"]),
                             ("b_f", ["--blas", "cblas", "--type", "float"])):
            name = "mb%s%s" % (k, suffix)
            out = os.path.join(d, name + ".c")
            t, rc, _, err = run([cfg.symdiff, "--name", name] + opts
                                + ["-o", out, "-f", os.path.join(HERE, sd)], timeout=60)
            if t is None or rc != 0:
                return None, None, "symdiff failed on bench/%s: %s" % (sd, err.strip()[:200])
            srcs.append(out)
    exe = os.path.join(d, "minibatch")
    err = ""
    for lib in ("-lopenblas", "-lblas"):
        t, rc, _, err = run([cfg.cc] + KFLAGS + ["-Werror", "-D_POSIX_C_SOURCE=200809L",
                                                 "-I" + d, "-o", exe,
                                                 os.path.join(HERE, "minibatch.c")]
                            + srcs + [lib, "-lm"], timeout=300)
        if t is not None and rc == 0:
            _, _, ldd, _ = run(["ldd", exe], timeout=30)
            used = [ln.split("=>")[1].split()[0] for ln in ldd.splitlines()
                    if "blas" in ln and "=>" in ln]
            return exe, "%s (%s)" % (lib, ", ".join(used) or "?"), None
    return None, None, ("bench/minibatch.c does not build with a CBLAS (-lopenblas or "
                        "-lblas; `scripts/bootstrap.sh bench` installs OpenBLAS): %s"
                        % err.strip()[:300])


def torch_python():
    """A Python that imports torch: this one, else Debian's (python3-torch
    is installed for /usr/bin/python3, which need not be the Python that
    has SymPy), else None."""
    for py in (sys.executable, "/usr/bin/python3", "python3"):
        t, rc, _, _ = run([py, "-c", "import torch"], timeout=120) if shutil.which(py) else (
            None, 1, "", "")
        if t is not None and rc == 0:
            return py
    return None


def json_lines(cmd, what):
    t, rc, out, err = run(cmd, timeout=600)
    if t is None or rc != 0:
        raise RuntimeError("%s failed: %s" % (what, err.strip()[-300:] or "exit status %s" % rc))
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def stage_minibatch(cfg):
    """The training step of the two minibatch networks: bench/minibatch.c
    (symdiff portable, symdiff --blas cblas, hand-written C; float and
    double) and PyTorch eager (bench/torch_minibatch.py), interleaved:
    each round runs the C driver (its variants in rotating order) and
    PyTorch's four cases, C first in even rounds, PyTorch first in odd
    ones; ratios within a round."""
    log("minibatch training step")
    d = os.path.join(OUT, "minibatch")
    exe, blas, problem = build_minibatch(cfg, d)
    res = {"rounds": cfg.train_rounds, "blas": blas, "torch": None, "torch_blas": None,
           "problem": problem, "check": [], "times": []}
    if problem:
        save("minibatch", res)
        return
    tpy = torch_python()
    if not tpy:
        res["problem"] = ("PyTorch is not installed here, so there is no PyTorch column "
                          "(`BENCH_TORCH=1 make bench` installs it)")
    for r in range(cfg.train_rounds):
        def c_side():
            for row in json_lines([exe, "1"], "bench/minibatch.c"):
                if "check" in row:
                    if r == 0:
                        res["check"].append(row)
                else:
                    row["round"] = r
                    res["times"].append(row)

        def torch_side():
            if not tpy:
                return
            try:
                rows = json_lines([tpy, os.path.join(HERE, "torch_minibatch.py")],
                                  "bench/torch_minibatch.py")
            except RuntimeError as e:  # a broken installation must not cost the C rows
                res["problem"] = str(e)
                return
            for row in rows:
                if "torch" in row:
                    res["torch"], res["torch_blas"] = row["torch"], row["torch_blas"]
                else:
                    row["round"] = r
                    res["times"].append(row)
        for side in ((c_side, torch_side) if r % 2 == 0 else (torch_side, c_side)):
            side()
    save("minibatch", res)


def minibatch_ratio(mb, net, tname, num, den):
    """Median and range over rounds of time(num)/time(den)."""
    by = {}
    for t in mb["times"]:
        if t["net"] == net and t["type"] == tname:
            by.setdefault(t["round"], {})[t["impl"]] = t["ns"]
    rs = [v[num] / v[den] for v in by.values() if num in v and den in v]
    return stats(rs) if rs else None


def mb_r(st):
    """A ratio's (median, min, max), the median in bold."""
    return "–" if not st else "**%.3g** (%.3g – %.3g)" % st


def minibatch_report(mb, b, goals):
    """Section 5 of RESULTS.md and the goals of the minibatch benchmark."""
    b("")
    b("## 5. Minibatch training step")
    b("")
    b("One training step (the gradient of the mean cross-entropy of a minibatch with "
      "integer labels, then a plain SGD update) of two networks written as one minibatch "
      "program each: bench/mlp_2_16_3_batch.sd (tanh, batch 32) and "
      "bench/mlp_784_128_10_batch.sd (ReLU, batch 64), `dim n <= 256` and the batch size "
      "an argument of the kernel. **symdiff portable**: the generated C as it comes "
      "(blocked loops, `sd_gemm`), no dependency; **symdiff --blas**: generated with "
      "`--blas cblas`, linked with %s; **hand-written C**: backpropagation in plain loops "
      "(bench/minibatch.c); all compiled with the kernel flags. **PyTorch eager** %s "
      "(bench/torch_minibatch.py), one thread (`torch.set_num_threads(1)`, "
      "`OPENBLAS_NUM_THREADS=1`), BLAS loaded: %s; the same network, "
      "`torch.nn.functional.cross_entropy` and `torch.optim.SGD`. CPU time per step; %d "
      "rounds, each running the C variants (in rotating order, each timed over about "
      "20 ms of steps) and PyTorch's cases, which of the two first alternating; ratios "
      "formed within a round; median and range."
      % (mb.get("blas") or "?", mb.get("torch") or "(not installed)",
         mb.get("torch_blas") or "?", mb["rounds"]))
    if mb.get("problem"):
        b("")
        b("Problem: %s" % mb["problem"])
    if not mb["times"]:
        return
    b("")
    b("| network | type | symdiff portable | symdiff --blas | hand-written C | PyTorch eager "
      "| portable / PyTorch | --blas / PyTorch | portable / hand-written |")
    b("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")

    def med(net, tname, impl):
        xs = [t["ns"] for t in mb["times"]
              if t["net"] == net and t["type"] == tname and t["impl"] == impl]
        return stats(xs)

    def mb_t(st):
        return "–" if st[0] is None else "%s (%s – %s)" % tuple(fmt_t(1e-9 * x) for x in st)

    for net in MB_SPECS:
        for tname in ("float", "double"):
            b("| %s, batch %d | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                net, MB_SPECS[net][4], tname, mb_t(med(net, tname, "portable")),
                mb_t(med(net, tname, "blas")), mb_t(med(net, tname, "hand")),
                mb_t(med(net, tname, "torch")),
                mb_r(minibatch_ratio(mb, net, tname, "portable", "torch")),
                mb_r(minibatch_ratio(mb, net, tname, "blas", "torch")),
                mb_r(minibatch_ratio(mb, net, tname, "portable", "hand"))))
    if mb["check"]:
        b("")
        b("Checks before timing (bench/minibatch.c): n times the batch's gradient "
          "(double, portable) against the sum of the n per-sample gradients (the same "
          "kernel at n = 1 on each row), at the batch size and one less, largest "
          "difference relative to max(1, |sum|): %s. Every variant's first gradient "
          "against the double portable kernel's (relative to max(1e-3, |g|)): %s." % (
              ", ".join("%s %.2g" % (c["check"], c["per_sample_vs_batch"])
                        for c in mb["check"]),
              "; ".join("%s: %s" % (c["check"], ", ".join(
                  "%s %.2g" % (k.replace("_", " "), v) for k, v in c.items()
                  if k not in ("check", "batch", "params", "per_sample_vs_batch")))
                        for c in mb["check"])))

    big = minibatch_ratio(mb, "784-128-10", "float", "portable", "torch")
    goals.append(("784-128-10, batch 64, float: portable C within 3x of PyTorch eager + "
                  "OpenBLAS",
                  "portable / PyTorch %s" % (mb_r(big).replace("**", "") if big else
                                             "not measured"),
                  "not measured" if not big else "met" if big[0] <= 3 else "missed"))
    bl = minibatch_ratio(mb, "784-128-10", "float", "blas", "torch")
    goals.append(("784-128-10, batch 64, float: `--blas cblas` no slower than PyTorch eager",
                  "--blas / PyTorch %s" % (mb_r(bl).replace("**", "") if bl else
                                           "not measured"),
                  "not measured" if not bl else "met" if bl[0] <= 1 else "missed"))
    small = [(tname, minibatch_ratio(mb, "2-16-3", tname, "torch", "portable"))
             for tname in ("float", "double")]
    small = [(tname, r) for tname, r in small if r]
    goals.append(("2-16-3, batch 32: at least 10x faster than PyTorch eager",
                  "; ".join("%s: PyTorch / portable %s" % (tname, mb_r(r).replace("**", ""))
                            for tname, r in small) or "not measured",
                  "not measured" if not small else
                  "met" if min(r[0] for _, r in small) >= 10 else "missed"))
    if mb["check"]:
        worst = max(c["per_sample_vs_batch"] for c in mb["check"])
        goals.append(("Per-sample and whole-batch gradients equal to 1e-12 (double)",
                      "largest relative difference %.2g (%s)" % (worst, ", ".join(
                          "%s %.2g" % (c["check"], c["per_sample_vs_batch"])
                          for c in mb["check"])),
                      "met" if worst <= 1e-12 else "missed"))


def torch_version():
    try:
        import torch
        return torch.__version__
    except ImportError:
        return None


def stage_train(cfg):
    log("training throughput")
    rows, note = c_training_rows(cfg)
    trows, tnote = tensor_training_rows(cfg)
    save("train", {"rows": rows + trows, "note": note, "tensor_note": tnote,
                   "torch": torch_version(), "rounds": cfg.train_rounds})


# --- stage: report ---------------------------------------------------------------------------

def fmt_t(s):
    """Seconds, in a readable unit."""
    if s is None:
        return "–"
    if s >= 1:
        return "%.2f s" % s
    if s >= 1e-3:
        return "%.3g ms" % (s * 1e3)
    return "%.3g µs" % (s * 1e6)


def fmt_r(x, digits=3):
    if x is None:
        return "–"
    if x >= 1000:
        return "%.0f" % x
    return ("%." + str(digits) + "g") % x


def fmt_range(lo, hi, f=fmt_r):
    return "%s – %s" % (f(lo), f(hi)) if lo is not None else "–"


def paired(a, b):
    """Per-repetition ratios a[rep] / b[rep] over the repetitions both have."""
    return [a[k] / b[k] for k in a if k in b and b[k] > 0]


def machine_info():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s %s, %s, %d logical CPUs" % (platform.system(), platform.machine(), cpu,
                                           os.cpu_count() or 0)


def tool_version(cmd):
    try:
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             timeout=30).stdout.decode(errors="replace")
        return out.strip().splitlines()[0] if out.strip() else None
    except (OSError, subprocess.TimeoutExpired):
        return None


def growth(points):
    """[(n, value)] ascending -> [(n_from, n_to, factor per doubling)]."""
    out = []
    for (n1, v1), (n2, v2) in zip(points, points[1:]):
        if v1 and v2 and n2 > n1:
            out.append((n1, n2, (v2 / v1) ** (math.log(2) / math.log(n2 / n1))))
    return out


def stage_report(cfg):
    gen, ker, sca, tra = load("gen"), load("kernels"), load("scaling"), load("train")
    cal = load("calls")
    mb = load("minibatch")
    env = load("env") or {}
    L = []
    w = L.append
    w("# Benchmarks: symdiff against SymPy, GiNaC and hand-written code")
    w("")
    w("Generated by `make bench` (bench/run.sh, bench/bench.py); do not edit by hand. "
      "Every number below was measured by the run that wrote this file.")
    if cfg.quick:
        w("")
        w("**Quick run (`BENCH_QUICK=1`)**: fewer repetitions, shorter time limits and "
          "sizes only up to %d; the goals below are judged on this partial data."
          % cfg.scale_sizes[-1])
    w("")
    w("| | |")
    w("| --- | --- |")
    stages = [x for x in (gen, ker, sca, tra, mb) if x]
    w("| measured | %s |" % (", ".join("%s %s" % (n, x["finished"]) for n, x in
                                      zip(("generation", "kernels", "scaling", "training",
                                           "minibatch"),
                                          (gen, ker, sca, tra, mb)) if x and "finished" in x)
                             or "–"))
    w("| machine | %s |" % machine_info())
    if env.get("load_before"):
        w("| load average (1 min) | %s before the run; at the end of each stage: %s (the "
          "machine is shared) |" % (env.get("load_before"),
                                    ", ".join(x.get("load_after", "?") for x in stages)))
    w("| C compiler | %s |" % (tool_version([cfg.cc, "--version"]) or cfg.cc))
    w("| kernel flags | `%s` (same for symdiff's and SymPy's kernels) |" % " ".join(KFLAGS))
    w("| symdiff | %s, commit %s |" % (tool_version([cfg.symdiff, "--version"]) or "?",
                                        env.get("commit", "?")))
    w("| Python | %s (%s) |" % (platform.python_version(), sys.executable))
    w("| SymPy | %s |" % ((gen or {}).get("sympy") or sympy_available() or "not installed"))
    w("| GiNaC | %s |" % (env.get("ginac") or "not installed"))
    w("| PyTorch | %s |" % ((tra or {}).get("torch") or (mb or {}).get("torch")
                            or "not installed (optional: `BENCH_TORCH=1 make bench` installs it)"))
    w("")

    goals = []  # (goal, measured, verdict)
    body = []
    b = body.append

    # --- generation ---
    gen_rows = []
    if gen:
        limit = gen["limit"]
        b("## 1. Generation time")
        b("")
        b("All times are CPU time (user + system) of the work described, because the "
          "machine is shared. **symdiff command**: `symdiff --name f -o f.c -f CASE.sd` "
          "as a process (bench/runstat): process start, parse, gradient, simplification, "
          "C for `f` and `f_grad`, both files written. **symdiff in process**: the same "
          "stages from parse to the C text in memory, timed inside one process "
          "(bench/sd_phases), warm: the median of %d runs after a first one, a fresh "
          "graph each (the first run of a process pays once for touching its code and "
          "libraries, as SymPy's import does, which its times exclude). **symdiff "
          "diff**: its differentiation alone (every node built simplified), in the first "
          "run, as GiNaC's is (a repeated GiNaC diff of the same expression starts from "
          "the hashes and evaluation flags the first one left on it). **SymPy**: inside a running Python (interpreter start and "
          "`import sympy` excluded, SymPy's cache cleared before each run): building the "
          "expression from the same program (bench/sdlang.py), `diff` by every parameter, "
          "`cse`, `ccode`, the C file written (bench/sympy_worker.py). **GiNaC diff**: "
          "`diff` by every parameter alone, the expression already built "
          "(bench/ginac_diff.cc). Both peers get the program as written: statements "
          "become shared subexpressions, and a `repeat` block is unrolled into the same "
          "shared expression the inlined text would give (written out, its text would "
          "double with every step); variables are real symbols. Functions a peer lacks "
          "are spelled with ones it has (sigmoid as 1/(1 + exp(-u)), softplus as "
          "log(1 + exp(u)), relu and max through Max or abs)." % WARM_RUNS)
        b("")
        floor = median(gen["process_floor"])
        b("%d repetitions, interleaved (each repetition runs every case, the tools in "
          "rotating order, the case order reversed every other repetition); each ratio "
          "is formed within a repetition; median and range over repetitions. A tool "
          "stops on a case at the time limit of %g s (wall clock; shown as \"> %g s\") "
          "and after %g s spent on it in all (then fewer repetitions, their count in "
          "brackets). Starting the symdiff process alone (`symdiff --version`) takes %s "
          "(median of 21; `true`, a process that does nothing, %s)%s."
          % (gen["reps"], limit, limit, gen["budget"], fmt_t(floor),
             fmt_t(median(gen.get("true_floor") or [])),
             "; starting Python and importing SymPy, which a SymPy script pays on top of "
             "the times below, takes %s (median of 3)" % fmt_t(median(gen["sympy_start"]))
             if gen.get("sympy_start") else ""))
        b("")
        b("| case | vars | symdiff command | symdiff in process | symdiff diff | SymPy | "
          "SymPy / symdiff command | SymPy / symdiff in process | GiNaC diff | "
          "GiNaC / symdiff diff | GiNaC / symdiff command |")
        b("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        group = None
        sp_cmd, sp_proc, sp_bounds, gn_cmd, gn_diff = [], [], [], [], []
        for r in gen["cases"]:
            if r["group"] != group:
                group = r["group"]
                b("| *%s* |" % GROUP_TITLES.get(group, group) + " |" * 10)
            sd = {int(k): v for k, v in r["sd"].items()}
            sdp = {int(k): v.get("warm_total", v["total"]) for k, v in r["sd_phases"].items()}
            sdd = {int(k): v["deriv"] for k, v in r["sd_phases"].items()}
            sp = {int(k): v for k, v in r["sp"].items()}
            gn = {int(k): v for k, v in r["gn"].items()}
            sd_m, sd_lo, sd_hi = stats(sd.values())
            sdp_m, sdd_m = median(list(sdp.values())), median(list(sdd.values()))
            cells = ["%s [%s]" % (r["name"], r["title"].split(":", 1)[-1].strip()[:44]),
                     "%d+%d" % (r["params"], r["inputs"]) if r["inputs"] else str(r["params"])]
            if sd_m is None:
                cells += [r["status"].get("sd", "–")] + ["–"] * 9
                b("| " + " | ".join(cells) + " |")
                continue
            cells += ["%s (%s)" % (fmt_t(sd_m), fmt_range(sd_lo, sd_hi, fmt_t)),
                      fmt_t(sdp_m), fmt_t(sdd_m)]
            row = {"name": r["name"], "sd": sd_m, "sdp": sdp_m, "sdd": sdd_m, "sp": None,
                   "gn": None, "sp_mark": "", "gn_mark": ""}
            if sp:
                m, lo, hi = stats(sp.values())
                note = "" if len(sp) == gen["reps"] else " [%d]" % len(sp)
                rc, rp = stats(paired(sp, sd)), stats(paired(sp, sdp))
                cells += ["%s (%s)%s" % (fmt_t(m), fmt_range(lo, hi, fmt_t), note),
                          "**%s** (%s)" % (fmt_r(rc[0]), fmt_range(rc[1], rc[2])),
                          "**%s** (%s)" % (fmt_r(rp[0]), fmt_range(rp[1], rp[2]))]
                sp_cmd.append((rc[0], r["name"]))
                sp_proc.append((rp[0], r["name"]))
                row["sp"] = m
            else:
                st = r["status"].get("sp", "–")
                if st.startswith("> ") or st.startswith("not run"):
                    cells += [st, "**> %s**" % fmt_r(limit / sd_m),
                              "**> %s**" % fmt_r(limit / sdp_m) if sdp_m else "–"]
                    sp_bounds.append(limit / sd_m)
                    if st.startswith("> "):
                        row["sp"], row["sp_mark"] = limit, "> limit"
                    else:
                        row["sp_mark"] = "not run"
                else:
                    cells += [st, "–", "–"]
            if gn:
                m, lo, hi = stats(gn.values())
                note = "" if len(gn) == gen["reps"] else " [%d]" % len(gn)
                rd, rc = stats(paired(gn, sdd)), stats(paired(gn, sd))
                cells += ["%s (%s)%s" % (fmt_t(m), fmt_range(lo, hi, fmt_t), note),
                          "**%s** (%s)" % (fmt_r(rd[0]), fmt_range(rd[1], rd[2])),
                          "%s (%s)" % (fmt_r(rc[0]), fmt_range(rc[1], rc[2]))]
                gn_diff.append((rd[0], r["name"]))
                gn_cmd.append((rc[0], r["name"]))
                row["gn"] = m
            else:
                st = r["status"].get("gn", "–")
                if st.startswith("> ") or st.startswith("not run"):
                    cells += [st, "**> %s**" % fmt_r(limit / sdd_m) if sdd_m else "–",
                              "**> %s**" % fmt_r(limit / sd_m)]
                    if st.startswith("> "):
                        row["gn"], row["gn_mark"] = limit, "> limit"
                    else:
                        row["gn_mark"] = "not run"
                else:
                    cells += [st, "–", "–"]
            gen_rows.append(row)
            b("| " + " | ".join(cells) + " |")
        b("")
        b("Ratios above 1 mean symdiff is faster. Where SymPy or GiNaC hit the limit "
          "or were not run, the ratio shown is a lower bound (limit / symdiff's time).")
        parts = {"parse": 0.0, "diff": 0.0, "cse": 0.0, "ccode": 0.0}
        for r in gen["cases"]:
            for p in r["sp_parts"].values():
                for k in parts:
                    parts[k] += p[k]
        total = sum(parts.values())
        if total > 0:
            b("")
            b("Where SymPy's time goes, over all its completed runs: %s (\"parse\" "
              "builds the SymPy expression from the program; \"ccode\" includes writing "
              "the file)." % ", ".join("%s %.0f%%" % (k, 100 * v / total)
                                       for k, v in parts.items()))
        b("")
        b("![generation time](gen_time.svg)")
        b("")
        chart = svg.hbars(
            "Generation time per corpus program (median CPU time)",
            [(r["name"], [r["sd"], r["sdp"], r["sp"], r["gn"]],
              ["", "", r["sp_mark"], r["gn_mark"]]) for r in gen_rows],
            ["symdiff command", "symdiff in process", "SymPy diff+cse+ccode",
             "GiNaC diff alone"], "s",
            note="a bar at the time limit is a run stopped there")
        if chart:
            with open(os.path.join(HERE, "gen_time.svg"), "w") as f:
                f.write(chart)

        def below(pairs, bound):
            return [n for v, n in pairs if v < bound]

        def listing(names):
            return (": " + ", ".join(names[:10]) + (" …" if len(names) > 10 else "")) \
                if names else ""
        if sp_cmd:
            lc, lp = below(sp_cmd, 100), below(sp_proc, 100)
            start = median(gen.get("sympy_start") or [])
            sp_script = [((row["sp"] + start) / row["sd"], row["name"]) for row in gen_rows
                         if start and row["sp"] and not row["sp_mark"]]
            ls = below(sp_script, 100)
            script_text = (
                "Both as commands (SymPy's time plus starting Python and importing SymPy, "
                "%s, against the symdiff command): min %s (%s), median %s; below 100 on "
                "%d%s. " % (fmt_t(start), fmt_r(min(sp_script)[0]), min(sp_script)[1],
                            fmt_r(median([v for v, _ in sp_script])), len(ls), listing(ls))
                if sp_script else "")
            goals.append((
                "Generation at least 100x faster than SymPy end to end, on every expression",
                "%sIn process, both warm (SymPy / symdiff in process) over the %d "
                "expressions SymPy finished: min %s (%s), median %s; below 100 on %d%s. "
                "SymPy in process against the symdiff command (which pays a process start "
                "SymPy's time does not): min %s (%s), median %s; below 100 on %d%s. %d "
                "more expressions stopped SymPy at the limit (ratio above %s)."
                % (script_text, len(sp_proc), fmt_r(min(sp_proc)[0]), min(sp_proc)[1],
                   fmt_r(median([v for v, _ in sp_proc])), len(lp), listing(lp),
                   fmt_r(min(sp_cmd)[0]), min(sp_cmd)[1],
                   fmt_r(median([v for v, _ in sp_cmd])), len(lc), listing(lc),
                   len(sp_bounds), fmt_r(min(sp_bounds)) if sp_bounds else "–"),
                "met" if not lp and not ls and sp_script else "missed"))
        if gn_diff:
            ld, lc = below(gn_diff, 1), below(gn_cmd, 1)
            goals.append((
                "Faster than GiNaC's `diff` alone",
                "GiNaC diff / symdiff diff: min %s (%s), median %s; below 1 on %d of %d%s. "
                "GiNaC diff / symdiff command: min %s, median %s; below 1 on %d"
                % (fmt_r(min(gn_diff)[0]), min(gn_diff)[1],
                   fmt_r(median([v for v, _ in gn_diff])), len(ld), len(gn_diff), listing(ld),
                   fmt_r(min(gn_cmd)[0]), fmt_r(median([v for v, _ in gn_cmd])), len(lc)),
                "met" if not ld and not lc else ("met for differentiation alone; missed for "
                                                 "the command" if not ld else "missed")))
        elif not gen.get("ginac"):
            goals.append(("Faster than GiNaC's `diff` alone", "GiNaC not installed",
                          "not measured"))

    # --- kernels ---
    if ker:
        b("")
        b("## 2. Generated-code cost")
        b("")
        nl = ker.get("layouts", 1)
        spread = [(max(r["layout_medians"]) - min(r["layout_medians"]), r["name"])
                  for r in ker["rows"] if len(r.get("layout_medians", [])) > 1]
        b("time(gradient)/time(f) for symdiff's `f_grad` and SymPy's kernel of the value "
          "and the gradient (`sp_f_grad`: one cse over the value and the gradient, the same "
          "work as `f_grad`), each divided by the same plain C "
          "`f` (symdiff's value kernel), all compiled with `%s`, called through loops over "
          "256 points drawn from each case's range (0.1 .. 0.9 unless the corpus file "
          "says otherwise), and again over 65,536 points (\"65,536 points\": a set the "
          "branch predictor cannot learn, so a branch on the data costs what it does on a "
          "real data set; 256 points stay in the level-1 cache and their branches are "
          "learnt), measured interleaved in one process "
          "(bench/kernel_peers.c): %d rounds, the kernel order rotating, each timing the "
          "best of %d runs of about %g ms of CPU time. Code placement is controlled: the "
          "harness is linked in %d layouts (its objects in other orders, some behind "
          "bench/pad.c, code of another size that moves every function after it), the "
          "rounds of all layouts are pooled, and the tables give the median and range of the "
          "%d per-round ratios. (How much placement alone moves a comparison: the medians "
          "of symdiff / SymPy in the separate layouts differ by %s.) \"symdiff / SymPy\" divides "
          "the two gradient kernels' times within each round (below 1: symdiff's is "
          "faster). Operations are counted in the C text of the gradient functions by the "
          "same counter for both (bench/bench.py count_ops): binary +/- · * · / · calls "
          "(SymPy's `pow(x, 2)` counts as a call) · `?:`."
          % (ker["flags"], ker["rounds"], ker.get("best", 1), ker["ms"], nl, nl * ker["rounds"],
             "a median of %.3f and at most %.3f (%s)" % (
                 median([v for v, _ in spread]), max(spread)[0], max(spread)[1])
             if spread else "nothing measured"))
        b("")
        b("| case | f, ns | symdiff grad / f | SymPy grad / f | symdiff / SymPy | "
          "symdiff / SymPy, 65,536 points | "
          "ops symdiff f | ops symdiff f_grad | ops SymPy grad | agree |")
        b("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |")
        sd_ratios, sp_cmp, over3, worse = [], [], [], []
        big_cmp, big_worse = [], []
        group = None

        def ops(o):
            return "%d · %d · %d · %d · %d" % (o["add"], o["mul"], o["div"], o["call"],
                                               o["select"]) if o else "–"
        for r in ker["rows"]:
            if r["group"] != group:
                group = r["group"]
                b("| *%s* | | | | | | | | | |" % GROUP_TITLES.get(group, group))
            if "skip" in r or "f_ns" not in r:
                b("| %s | %s | | | | | %s | %s | %s | |" % (
                    r["name"], r.get("skip", "–"), ops(r.get("ops_sd_f")), ops(r.get("ops_sd")),
                    ops(r.get("ops_sp"))))
                continue
            sdr = r["f_grad_over_f"]
            sd_ratios.append((sdr[0], r["name"]))
            if sdr[0] > 3:
                over3.append(r["name"])
            cells = [r["name"], "%.3g" % r["f_ns"][0],
                     "**%.2f** (%.2f – %.2f)" % tuple(sdr)]
            if "sp_f_grad_over_f" in r:
                spr, cmpr = r["sp_f_grad_over_f"], r["f_grad_over_sp_f_grad"]
                cells.append("%.2f (%.2f – %.2f)" % tuple(spr))
                cells.append("**%.2f** (%.2f – %.2f)" % tuple(cmpr))
                sp_cmp.append((cmpr[0], r["name"]))
                if cmpr[0] > 1:
                    worse.append((cmpr[0], r["name"], cmpr[1], cmpr[2]))
                big = r.get("big_f_grad_over_sp_f_grad")
                cells.append("**%.2f** (%.2f – %.2f)" % tuple(big) if big else "–")
                if big:
                    big_cmp.append((big[0], r["name"]))
                    if big[0] > 1:
                        big_worse.append((big[0], r["name"], big[1], big[2]))
            else:
                cells += ["no SymPy kernel", "–", "–"]
            chk = r["check"]
            agree = chk["f_grad_value"] < 1e-9 and ("sp_f_grad_over_f" not in r or
                                                    (chk["sp_value"] < 1e-6 and chk["sp_grad"] < 1e-6))
            cells += [ops(r.get("ops_sd_f")), ops(r.get("ops_sd")), ops(r.get("ops_sp")),
                      "yes" if agree else "**no** (value %.2g, SymPy value %.2g, gradient %.2g)"
                      % (chk["f_grad_value"], chk["sp_value"], chk["sp_grad"])]
            b("| " + " | ".join(cells) + " |")
        b("")
        b("\"agree\": f_grad's value equals f's, and SymPy's value and gradient equal "
          "symdiff's, to 1e-6 relative, at every point (kinks excepted by luck of the "
          "draw: symdiff takes step(0) = 0, SymPy Heaviside(0) = 1/2).")
        if os.path.exists(os.path.join(OUT, "table.md")):
            b("")
            b("Against hand-written derivatives (bench/kernel_ratio.c: l_10 "
              "by a hand-written value loop, forward-mode (v, dv) loop and taped "
              "reverse sweep; the generated rows are the same kernels as above under "
              "different names):")
            b("")
            with open(os.path.join(OUT, "table.md")) as f:
                b(f.read().rstrip())
        if sd_ratios:
            vals = [v for v, _ in sd_ratios]
            worst = max(sd_ratios)
            goals.append(("Generated gradient at most 3x the function on every corpus "
                          "expression, median at most 2x",
                          "time(f_grad)/time(f) over %d timed kernels: median %.2f, max %.2f "
                          "(%s)%s" % (len(vals), median(vals), worst[0], worst[1],
                                      "; above 3: " + ", ".join(over3) if over3 else ""),
                          "met" if not over3 and median(vals) <= 2 else "missed"))
        if sp_cmp:
            # one goal row for both point sets: it is met where it is met on both
            sets = [("256 points", sp_cmp, worse)] + (
                [("65,536 points", big_cmp, big_worse)] if big_cmp else [])
            texts, met = [], True
            for title, cmp_, wr in sets:
                wr.sort(reverse=True)
                over = [w for w in wr if w[0] > 1.05]
                met = met and not over
                texts.append("%s: time(symdiff f_grad)/time(SymPy value + gradient) over %d "
                             "kernels: above 1.05 on %d%s; above 1 on %d" % (
                                 title, len(cmp_), len(over),
                                 ": " + ", ".join("%s %.2f (%.2f – %.2f)" % (n, v, lo, hi)
                                                  for v, n, lo, hi in over) if over else "",
                                 len(wr)))
            goals.append(("On every expression, symdiff's f_grad at most 5% slower than SymPy's "
                          "value + gradient kernel (median over interleaved rounds and layouts)",
                          ". ".join(texts), "met" if met else "missed"))
            meds = [(title, median([v for v, _ in cmp_]), len(cmp_)) for title, cmp_, _ in sets]
            goals.append(("Median of symdiff / SymPy over the kernel corpus at most 0.9",
                          "; ".join("%s: median %.2f over %d kernels" % m for m in meds),
                          "met" if all(m[1] <= 0.9 for m in meds) else "missed"))

    # --- transcendental calls ---
    if cal:
        b("")
        b("Transcendental calls of a gradient, as a microcontroller user counts them "
          "(bench/bench.py stage `calls`): the libm functions `k_grad` (or `k_grad_ws`) "
          "calls in its C text, those inside the `sd_` helpers it calls included "
          "(\"in the C\", per call written), and per gradient call when it runs "
          "(\"per call\": callgrind's count of the calls the kernel and its helpers make, "
          "over 1000 calls), with x86-64 instructions per gradient call "
          "(callgrind, %s; the kernel compiled with `%s`). \"distinct\": the distinct "
          "arguments of exp the function has (at most one exp per distinct argument is the goal)."
          % (cal.get("valgrind") or "valgrind not installed", " ".join(KFLAGS)))
        b("")
        b("| kernel | type | distinct | exp · log1p · log in the C | per call | instructions |")
        b("| --- | --- | ---: | ---: | ---: | ---: |")
        one_exp = []
        for r in cal["rows"]:
            if "skip" in r:
                b("| %s | %s | | %s | | |" % (r["title"], "float" if r["float"] else "double", r["skip"]))
                continue
            st, dy = r["static"], r.get("dynamic")
            b("| %s | %s | %d | %d · %d · %d%s | %s | %s |" % (
                r["title"], "float" if r["float"] else "double", r["distinct"], st["exp"], st["log1p"],
                st["log"], " (in loops)" if r.get("loops") else "",
                "%.0f · %.0f · %.0f" % (dy["exp"], dy["log1p"], dy["log"]) if dy else "–",
                "%.0f" % r["instructions"] if "instructions" in r else "–"))
            exps = dy["exp"] if dy else (None if r.get("loops") else st["exp"])
            one_exp.append((r["title"], r["float"], exps, r["distinct"]))
        if one_exp:
            # at most one exp per distinct argument: softmax and log-sum-exp need
            # none for their largest entry (its term is exactly 1)
            bad = [t for t in one_exp if t[2] is None or round(t[2]) > t[3]]
            goals.append(("Logistic-regression and 3-class softmax gradients: at most one exp per "
                          "distinct argument (x86-64 count under callgrind)",
                          "; ".join("%s (%s): %s exp for %d" % (t[0].split(" (")[0], "float" if t[1] else "double",
                                                                "?" if t[2] is None else "%.0f" % t[2], t[3])
                                    for t in one_exp),
                          "met" if not bad else "missed"))

    # --- scaling ---
    if sca:
        b("")
        b("## 3. Scaling")
        b("")
        b("symdiff's command line (`symdiff --name f -o f.c -f PROG.sd`, C written to "
          "disk) on random programs (bench/gen_random.py: N operations on %d "
          "parameters, seed %d, the files are kept in bench/out/scale/) and on the "
          "logistic map `repeat N { l = 4*l*(1 - l) }`, sizes N = 10^6 / 2^k. Time is "
          "the process's CPU time (user + system; wall-clock beside it), peak memory "
          "its maximum resident set, both from bench/runstat; and on programs that "
          "declare N/10 parameters and use each once (p0 + 2*p1 + ... + N/10*p{N/10-1}). %d "
          "repetitions, sizes interleaved; median and range. DAG node counts and the "
          "split by stage come from one in-process run of bench/sd_phases per size "
          "(\"graph\" counts every node built, including the intermediate forms the "
          "simplifier discards). Growth per doubling: (t(2N)/t(N)), normalised to an "
          "exact doubling." % (sca["vars"], sca["seed"], sca["reps"]))
        lines_t, lines_m = [], []
        for fam, title, _ in SCALE_FAMILIES:
            if fam not in sca["results"]:
                continue
            cells = sca["results"][fam]
            fsizes = sca.get("family_sizes", {}).get(fam, sca["sizes"])
            b("")
            b("**%s**" % title)
            b("")
            b("| N | function nodes | gradient nodes | graph | time | wall | peak memory | "
              "time growth | memory growth | parse · lower · differentiate · C (s) |")
            b("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
            pts_t, pts_m = [], []
            for n in fsizes:
                c = cells[str(n)]
                m, lo, hi = stats(c["times"])
                mm = median(c["rss_kb"])
                if m is not None:
                    pts_t.append((n, m))
                    pts_m.append((n, mm * 1024))
            gt = {a: g for a, _, g in growth(pts_t)}
            gm = {a: g for a, _, g in growth(pts_m)}
            prev = None
            for n in fsizes:
                c = cells[str(n)]
                ph = c.get("phases") or {}
                m, lo, hi = stats(c["times"])
                mm = median(c["rss_kb"])
                b("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    n, ph.get("fnodes", "–"), ph.get("gnodes", "–"), ph.get("graph", "–"),
                    "%s (%s)" % (fmt_t(m), fmt_range(lo, hi, fmt_t)) if m is not None
                    else c["status"] or "–", fmt_t(median(c.get("wall", []))),
                    "%.1f MB" % (mm / 1024) if mm else "–",
                    "%.2f" % gt[prev] if prev in gt else "",
                    "%.2f" % gm[prev] if prev in gm else "",
                    "%.3g · %.3g · %.3g · %.3g" % (ph["parse"], ph["lower"], ph["deriv"],
                                                   ph["codegen"]) if ph else "–"))
                prev = n
            lines_t.append((title, pts_t))
            lines_m.append((title, pts_m))
            top = fsizes[-1]
            ct = cells[str(top)]
            tm, mm = median(ct["times"]), median(ct["rss_kb"])
            big = [g for _, _, g in growth(pts_t)]
            bigm = [g for _, _, g in growth(pts_m)]
            Title = title[0].upper() + title[1:]
            if fam == "params":
                # 10^5 declared parameters: under 0.2 s
                goals.append(("%s, N = %d: differentiated and emitted in under 0.2 s"
                              % (Title, top),
                              "%s, %.0f MB" % (fmt_t(tm), mm / 1024) if tm is not None
                              else ct["status"] or "not measured",
                              "met" if tm is not None and tm < 0.2 else "missed"))
            elif tm is not None:
                ok = tm < 2 and mm / 1024 < 1024
                goals.append(("%s, N = %d: differentiated and emitted in under 2 s and "
                              "1 GB" % (Title, top),
                              "%s, %.0f MB" % (fmt_t(tm), mm / 1024),
                              "met" if ok else "missed"))
            else:
                goals.append(("%s, N = %d: under 2 s and 1 GB" % (Title, top),
                              ct["status"] or "not measured", "missed"))
            if big and fam != "params":
                goals.append(("%s: growth per doubling at most 2.1x in time and memory, "
                              "N = %d to %d" % (Title, fsizes[0], top),
                              "time: max %.2f, median %.2f; memory: max %.2f, median %.2f"
                              % (max(big), median(big), max(bigm), median(bigm)),
                              "met" if max(big) <= 2.1 and max(bigm) <= 2.1 else "missed"))
        b("")
        b("![scaling](scaling.svg)")
        chart = svg.panels([
            svg.loglog("Time (median)", lines_t, "N", "seconds", hlines=[(2, "goal: 2 s")]),
            svg.loglog("Peak memory (median)", lines_m, "N", "bytes",
                       hlines=[(2 ** 30, "goal: 1 GB")])])
        if chart:
            with open(os.path.join(HERE, "scaling.svg"), "w") as f:
                f.write(chart)
        if sca.get("profiles"):
            b("")
            b("Where the time goes (`perf record` of bench/sd_phases, self time of the "
              "hottest functions):")
            for fam, p in sca["profiles"].items():
                b("")
                b("- %s, N = %d: %s" % ({"random": "random program", "lmap": "logistic map",
                                          "params": "declared parameters"}.get(fam, fam),
                                         p["size"],
                                         ", ".join("`%s` %.1f%%" % (s, v) for v, s in p["top"])))

    # --- training ---
    if tra:
        b("")
        b("## 4. Training throughput")
        b("")
        b("bench/train.c (the scalar models of bench/corpus/) and bench/train_tensor.c (the "
          "tensor network of examples/spiral_network.sd), both through bench/training.c: "
          "per-sample losses trained with minibatch Adam (batch 32) from the same start and "
          "the same shuffles, once with symdiff's generated gradient and once with a "
          "hand-written one, alternating in blocks of epochs (about 20 ms of CPU time each; "
          "%d blocks); and the gradient alone, value + gradient per sample over the data "
          "set (%d rounds, alternating). Ratios per block or round; median and range. The "
          "two forms of the 2-16-3 network train on the same three spirals from the same "
          "start against the same hand-written backpropagation (bench/training.c); they "
          "differ only in the weight decay (1e-4 in the scalar corpus program, 1e-5 in "
          "the example)." % (tra["rounds"], tra["rounds"]))
        b("")
        b("| model | params | gradient: generated | hand-written | generated / hand | "
          "training: generated, samples/s | hand-written, samples/s | generated / hand | "
          "final loss (gen, hand) |")
        b("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        names = {"logreg": "logistic regression, BCE + L2, 4 features",
                 "mlp": "2-16-3 network (tanh, softmax CE, L2), scalar form",
                 "mlp_tensor": "2-16-3 network (tanh, softmax CE, L2), tensor form",
                 "mlp_torch": "2-16-3 network, tensor form against PyTorch eager (in the "
                              "hand-written columns)"}
        by_model = {}
        for r in tra["rows"]:
            by_model[r["model"]] = r
            b("| %s | %d | %.3g ns | %.3g ns | **%.2f** (%.2f – %.2f) | %.3g | %.3g | "
              "**%.2f** (%.2f – %.2f) | %.4g, %.4g |" % (
                  names.get(r["model"], r["model"]), r["params"], r["gen_grad_ns"][0],
                  r["hand_grad_ns"][0], *r["grad_ratio"], r["gen_samples_per_s"][0],
                  r["hand_samples_per_s"][0], *r["throughput_ratio"], r["loss_gen"],
                  r["loss_hand"]))
        if tra.get("note"):
            b("")
            b("Problem with the scalar rows: " + tra["note"])
        tensor_rows = "mlp_tensor" in by_model
        if tensor_rows:
            b("")
            b("The tensor form's kernel is symdiff's C for examples/spiral_network.sd "
              "(loops over the matrix products), generated into bench/out/train/ and "
              "compiled with the kernel flags, like the others.")
        if "mlp_torch" in by_model:
            b("")
            b("PyTorch %s eager, float64, one thread: the gradient is autograd's for the "
              "mean loss of a minibatch of 32, per sample; training is torch.optim.Adam with "
              "the same settings for %d epochs, on the same data from the same start but "
              "with its own shuffles. Measured in another process after the C run, so not "
              "interleaved: the ratios divide medians and the ranges divide extremes."
              % (tra.get("torch") or "?", by_model["mlp_torch"].get("epochs", 0)))
        if tra.get("tensor_note"):
            b("")
            b(("Tensor rows: %s." if tensor_rows else "Problem with the tensor rows: %s.")
              % tra["tensor_note"].rstrip("."))

        def net_goal(r):
            return ("gradient %.2f x hand-written (range %.2f – %.2f); training throughput "
                    "%.2f x" % (r["grad_ratio"][0], r["grad_ratio"][1], r["grad_ratio"][2],
                                r["throughput_ratio"][0]))
        tensor, scalar = by_model.get("mlp_tensor"), by_model.get("mlp")
        if tensor or scalar:
            parts = []
            if tensor:
                parts.append("Tensor form (examples/spiral_network.sd): " + net_goal(tensor))
            else:
                parts.append("Tensor form not measured (%s)"
                             % (tra.get("tensor_note") or "no row").rstrip("."))
            if scalar:
                parts.append("Scalar form (bench/corpus/ml_mlp_2_16_3.sd): "
                             + net_goal(scalar))
            judged = tensor or scalar
            goals.append(("Generated 2-16-3 network gradient within 1.5x of hand-written "
                          "backprop", ". ".join(parts),
                          ("met" if judged["grad_ratio"][0] <= 1.5 else "missed")
                          + ("" if tensor else " (scalar form only)")))
        else:
            goals.append(("Generated 2-16-3 network gradient within 1.5x of hand-written "
                          "backprop", "no row: %s" % (tra.get("tensor_note") or "?"),
                          "not measured"))

    if mb:
        minibatch_report(mb, b, goals)

    b("")
    b("## How the noise is handled")
    b("")
    b("The machine is shared; every comparison is interleaved (repetitions alternate "
      "the order of cases and tools), every ratio is formed inside one repetition or "
      "round, and tables give medians with the range over repetitions, so a burst of "
      "load shows as a wide range rather than a shifted median. Kernels are calibrated "
      "to a fixed time per timing and run in their own translation units.")
    if ker:
        b("")
        b("Code placement (where the linker puts a kernel and its timing loop, which can "
          "move a kernel's time by several per cent on its own) is controlled in the "
          "kernel-cost comparison: each timing is the best of %d runs, and the harness is "
          "linked in %d layouts (%s), the rounds of all layouts pooled before the median "
          "is taken; section 2 says how far the layouts' own medians differ."
          % (ker.get("best", 1), ker.get("layouts", 1),
             "; ".join("%s%s" % (" · ".join(order), ", pad %d" % pad if "pad" in order else "")
                       for order, pad in KERNEL_LAYOUTS)))

    w("## Goals")
    w("")
    w("| goal | measured | status |")
    w("| --- | --- | --- |")
    for g, m, v in goals:
        w("| %s | %s | **%s** |" % (g, m, v))
    w("")
    L += body
    with open(os.path.join(HERE, "RESULTS.md"), "w") as f:
        f.write("\n".join(L) + "\n")
    log("wrote bench/RESULTS.md")


STAGES = {"gen": stage_gen, "kernels": stage_kernels, "calls": stage_calls, "scaling": stage_scaling,
          "train": stage_train, "minibatch": stage_minibatch, "report": stage_report}


def main():
    cfg = Config()
    os.makedirs(OUT, exist_ok=True)
    stages = sys.argv[1:] or list(STAGES)
    for s in stages:
        if s not in STAGES:
            print("bench.py: unknown stage %r (stages: %s)" % (s, ", ".join(STAGES)),
                  file=sys.stderr)
            return 2
    for s in stages:
        t0 = time.perf_counter()
        STAGES[s](cfg)
        log("stage %s: %.0f s" % (s, time.perf_counter() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
