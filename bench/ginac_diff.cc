/* SPDX-License-Identifier: MIT */
// ginac_diff.cc -- GiNaC's side of the generation-time benchmark: the time
// of GiNaC's diff alone, for every parameter of one corpus program.
//
//   ginac_diff PROGRAM.slp
//
// PROGRAM.slp is the straight-line form bench/sdlang.py writes: a line
// `params a b ...`, a line `inputs x y ...`, then `name = expr` lines in
// GiNaC's parser syntax, the last one `result = ...`.  Each line is parsed
// with the names bound so far, so a name used twice is one shared GiNaC
// expression (as symdiff's DAG shares it); building is not timed.
//
// Prints `built SECONDS` as soon as the expression exists (so that a time
// limit hit while building is told apart from one hit in diff), then
// `diff SECONDS`: the CPU seconds of one gradient (diff by every
// parameter), then `nodes N`: the tree size of the result (counted up to
// 10^8), a check that the derivative was really formed.  Variables are
// realsymbols, as for SymPy.
#include <ginac/ginac.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

using namespace GiNaC;

// CPU time of this process, as for symdiff and SymPy: the machine is
// shared, and time spent waiting for a core is not GiNaC's.
static double cpu_seconds() {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

// Tree size of e, counted without expanding anything; stops past `limit`.
static double tree_size(const ex &e, double limit) {
    double n = 1;
    for (size_t i = 0; i < e.nops() && n <= limit; i++)
        n += tree_size(e.op(i), limit - n);
    return n;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        std::cerr << "usage: ginac_diff PROGRAM.slp\n";
        return 2;
    }
    std::ifstream in(argv[1]);
    if (!in) {
        std::cerr << "ginac_diff: cannot read " << argv[1] << "\n";
        return 2;
    }
    double t0 = cpu_seconds();
    symtab table;
    std::vector<realsymbol> params;
    std::string line;
    ex result;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string head;
        words >> head;
        if (head == "params" || head == "inputs") {
            std::string name;
            while (words >> name) {
                realsymbol s(name);
                table[name] = s;
                if (head == "params")
                    params.push_back(s);
            }
            continue;
        }
        size_t eq = line.find(" = ");
        if (eq == std::string::npos)
            continue;
        parser reader(table, true);
        ex value = reader(line.substr(eq + 3));
        table[line.substr(0, eq)] = value;
        result = value;
    }
    std::printf("built %.9f\n", cpu_seconds() - t0);
    std::fflush(stdout);

    double t1 = cpu_seconds();
    std::vector<ex> grad;
    for (const realsymbol &p : params)
        grad.push_back(result.diff(p));
    double t = cpu_seconds() - t1;
    std::printf("diff %.9f\n", t);
    std::fflush(stdout);
    const double limit = 1e8;
    double nodes = 0;
    for (const ex &g : grad)
        nodes += tree_size(g, limit - nodes);
    std::printf(nodes > limit ? "nodes >%.0f\n" : "nodes %.0f\n", nodes > limit ? limit : nodes);
    return 0;
}
