/* SPDX-License-Identifier: MIT */
/*
 * check_dag.c — the intern table: one node per structure, found again.
 *
 * dag_intern must return the node it made before for equal content (kind,
 * payload, arguments in order, shape) and a new one for content that
 * differs in any one of them, at every size of the table: empty, around
 * each growth, and with hundreds of thousands of nodes, where slots are
 * shared by many probes and some nodes have equal 32-bit hashes.  The
 * nodes here are built raw (dag_intern, no simplification) from a table
 * of specifications that vary one field at a time; each test sweeps the
 * number of nodes and, after building, interns and looks up every
 * specification again: same pointers, no new node, and the table's
 * bookkeeping (a power of two, at most 3/4 full, one slot per node; the
 * young generation in its own table).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dag.h"
#include "testutil.h"

/* One node's content, made from a number k: the kinds with payloads
 * (constants exact and inexact, variables, calls, element indices), sums
 * and powers of earlier nodes in both orders, and the same content at
 * other shapes. */
typedef struct Spec {
    NodeKind kind;
    Num num;      /* EX_CONST                                         */
    int payload;  /* EX_VAR, EX_CALL, EX_INDEX                        */
    int nargs;
    Node *args[3];
    Shape shape;
} Spec;

enum { SPEC_FORMS = 10 };

/* The content of specification k over the nodes made so far (made[0..k)). */
static Spec spec_of(size_t k, Node *const *made) {
    Spec s;
    memset(&s, 0, sizeof s);
    s.shape = shape_scalar;
    size_t r = k / SPEC_FORMS;
    /* two earlier scalars (forms 0 to 6): a from the block before this
     * one (so no two blocks build the same content), b from an older
     * block, another form */
    Node *a = NULL, *b = NULL;
    if (r >= 2) {
        a = made[SPEC_FORMS * (r - 1) + r % 7];
        b = made[SPEC_FORMS * ((r * 104729u + 3) % (r - 1)) + (r + 3) % 7];
    }
    switch (k % SPEC_FORMS) {
    case 0: /* exact constants */
        s.kind = EX_CONST;
        s.num = num_rat((int64_t)r - 5000, (int64_t)(r % 7) + 1);
        break;
    case 1: /* inexact constants: differ in the last bits only */
        s.kind = EX_CONST;
        s.num = num_double(0.1 + (double)r * 0x1p-40);
        break;
    case 2: /* variables: payload only (the forms below that need two
             * older nodes are variables k + 10^6 in the first blocks) */
        s.kind = EX_VAR;
        s.payload = (int)r;
        break;
    case 3: /* a call: the function and the argument vary */
        s.kind = a ? EX_CALL : EX_VAR;
        s.payload = a ? (r % 2 ? BI_SIN : BI_COS) : (int)(k + 1000000);
        s.nargs = a ? 1 : 0;
        s.args[0] = a;
        break;
    case 4: /* a sum of two, as given */
    case 5: /* the same two the other way round: another node (raw) */
        s.kind = a ? EX_ADD : EX_VAR;
        s.payload = (int)(k + 1000000);
        s.nargs = a ? 2 : 0;
        s.args[0] = k % SPEC_FORMS == 4 ? a : b;
        s.args[1] = k % SPEC_FORMS == 4 ? b : a;
        break;
    case 6: /* a product of three: the arity varies against case 4 */
        s.kind = a ? EX_MUL : EX_VAR;
        s.payload = (int)(k + 1000000);
        s.nargs = a ? 3 : 0;
        s.args[0] = a;
        s.args[1] = b;
        s.args[2] = a;
        break;
    case 7: /* a vector variable: the same payload as case 2, another shape */
    case 8: /* and a run-time dimension of the same size */
        s.kind = EX_VAR;
        s.payload = (int)r;
        s.shape = shape_vec((Axis){(int)(r % 50) + 2, k % SPEC_FORMS == 8 ? 1 : 0});
        break;
    default: /* an element of that vector: the index varies */
        s.kind = EX_INDEX;
        s.payload = (int)(r % 2);
        s.nargs = 1;
        s.args[0] = made[k - 2];
        break;
    }
    return s;
}

static Node *intern_spec(Graph *g, const Spec *s) {
    const void *payload = s->kind == EX_CONST ? (const void *)&s->num : (const void *)&s->payload;
    return dag_intern(g, s->kind, payload, s->args, s->nargs, s->shape);
}

static Node *lookup_spec(const Graph *g, const Spec *s) {
    const void *payload = s->kind == EX_CONST ? (const void *)&s->num : (const void *)&s->payload;
    return dag_lookup(g, s->kind, payload, s->args, s->nargs, s->shape);
}

/* The slots of the three tables that hold nodes, in a new array (*m of
 * them). */
static InternSlot *filled_slots(const Graph *g, size_t *m) {
    InternSlot *slots = malloc((g->nnodes ? g->nnodes : 1) * sizeof *slots);
    ck_assert_ptr_nonnull(slots);
    *m = 0;
    for (size_t i = 0; i < g->table_cap; i++)
        if (g->table[i].id1) {
            ck_assert_uint_lt(*m, g->nnodes);
            slots[(*m)++] = g->table[i];
        }
    for (size_t i = 0; g->young && i < DAG_YOUNG_SLOTS; i++)
        if (g->young[i].id1) {
            ck_assert_uint_lt(*m, g->nnodes);
            slots[(*m)++] = g->young[i];
        }
    for (size_t i = 0; i < g->leaves_cap; i++)
        if (g->leaves[i].id1) {
            ck_assert_uint_lt(*m, g->nnodes);
            slots[(*m)++] = g->leaves[i];
        }
    return slots;
}

/* The tables' bookkeeping: the intern table a power of two, at most 3/4
 * full, with the nodes with arguments older than young_from; the young
 * table (from DAG_YOUNG_SLOTS nodes on) at most 3/4 full with the newer
 * ones; the leaves' table a power of two, at most 3/4 full, with the
 * nodes without arguments; one slot per node but for the variables' own
 * nodes, which are in no table. */
static void check_table(const Graph *g) {
    ck_assert_msg(g->table_cap >= 2 && (g->table_cap & (g->table_cap - 1)) == 0, "capacity %zu",
                  g->table_cap);
    ck_assert_msg(DAG_TABLE_MAX_LOAD_DEN * g->table_used <= DAG_TABLE_MAX_LOAD_NUM * g->table_cap,
                  "%zu nodes in %zu slots", g->table_used, g->table_cap);
    ck_assert_msg(DAG_TABLE_MAX_LOAD_DEN * g->young_used <= DAG_TABLE_MAX_LOAD_NUM * DAG_YOUNG_SLOTS,
                  "%zu young nodes", g->young_used);
    size_t own = 0; /* variables' nodes */
    for (int v = 0; v < g->nvars; v++)
        own += g->vars[v].node != NULL;
    ck_assert_uint_eq(g->table_used + g->young_used + g->leaves_used + own, g->nnodes);
    ck_assert_msg(g->leaves_cap >= DAG_LEAF_SLOTS_MIN && (g->leaves_cap & (g->leaves_cap - 1)) == 0 &&
                      DAG_TABLE_MAX_LOAD_DEN * g->leaves_used <= DAG_TABLE_MAX_LOAD_NUM * g->leaves_cap,
                  "%zu leaves in %zu slots", g->leaves_used, g->leaves_cap);
    size_t leaves = 0;
    for (size_t i = 0; i < g->leaves_cap; i++)
        if (g->leaves[i].id1) {
            leaves++;
            ck_assert_uint_le(g->leaves[i].id1, g->nnodes);
            ck_assert_int_eq(g->nodes[g->leaves[i].id1 - 1]->nargs, 0);
        }
    ck_assert_uint_eq(leaves, g->leaves_used);
    ck_assert_msg((g->young != NULL) == (g->nnodes >= DAG_YOUNG_SLOTS), "%zu nodes, young table %p",
                  g->nnodes, (void *)g->young);
    size_t filled = 0, young = 0;
    for (size_t i = 0; i < g->table_cap; i++)
        if (g->table[i].id1) {
            filled++;
            ck_assert_uint_le(g->table[i].id1, g->nnodes);
            ck_assert(!g->young || g->table[i].id1 - 1 < g->young_from);
            ck_assert_int_gt(g->nodes[g->table[i].id1 - 1]->nargs, 0);
        }
    for (size_t i = 0; g->young && i < DAG_YOUNG_SLOTS; i++)
        if (g->young[i].id1) {
            young++;
            ck_assert_uint_le(g->young[i].id1, g->nnodes);
            ck_assert_uint_ge(g->young[i].id1 - 1, g->young_from);
            ck_assert_int_gt(g->nodes[g->young[i].id1 - 1]->nargs, 0);
        }
    ck_assert_uint_eq(filled, g->table_used);
    ck_assert_uint_eq(young, g->young_used);
}

/* Every one of the first n specifications is found again: by lookup and
 * by interning (no new node), stored as given. */
static void find_made(Graph *g, Node *const *made, size_t n) {
    size_t before = g->nnodes;
    for (size_t k = 0; k < n; k++) {
        Spec s = spec_of(k, made);
        ck_assert_msg(lookup_spec(g, &s) == made[k], "%zu nodes: specification %zu not found", before, k);
        ck_assert_msg(intern_spec(g, &s) == made[k], "%zu nodes: specification %zu made twice", before, k);
        /* stored as given */
        ck_assert_int_eq(made[k]->kind, s.kind);
        ck_assert_int_eq(made[k]->nargs, s.nargs);
        ck_assert(shape_equal(made[k]->shape, s.shape));
        for (int i = 0; i < s.nargs; i++)
            ck_assert_ptr_eq(made[k]->args[i], s.args[i]);
        if (s.kind == EX_CONST)
            ck_assert(num_equal(made[k]->num[0], s.num));
    }
    ck_assert_uint_eq(g->nnodes, before);
}

/* Builds n specifications, then finds every one again; also at each of
 * the node counts stops[0..nstops) on the way (ascending, below n). */
static void intern_and_find_at(size_t n, const size_t *stops, int nstops) {
    Graph *g = graph_new();
    ck_assert_ptr_nonnull(g);
    Node **made = malloc((n ? n : 1) * sizeof *made);
    ck_assert_ptr_nonnull(made);
    for (size_t k = 0; k < n; k++) {
        if (nstops > 0 && k == *stops) {
            check_table(g);
            find_made(g, made, k);
            stops++;
            nstops--;
        }
        Spec s = spec_of(k, made);
        Node *old = lookup_spec(g, &s); /* every specification is new */
        ck_assert_msg(old == NULL, "n = %zu: specification %zu is node %u", n, k, old ? old->id : 0);
        made[k] = intern_spec(g, &s);
        ck_assert_msg(made[k] != NULL, "n = %zu: specification %zu not made", n, k);
        ck_assert_uint_eq(made[k]->id, k);
        /* made again at once: the same node */
        ck_assert_ptr_eq(intern_spec(g, &s), made[k]);
        ck_assert_uint_eq(g->nnodes, k + 1);
    }
    check_table(g);
    find_made(g, made, n);
    ck_assert_uint_eq(g->nnodes, n);
    free(made);
    graph_free(g);
}

static void intern_and_find(size_t n) { intern_and_find_at(n, NULL, 0); }

/* What a graph takes from the system follows what it holds: a graph of a
 * few nodes, as most expressions are, reserves a few KB (it reserved a
 * 4 MB block, and zeroing its 2 MB huge page cost more than all its
 * work); at any size the blocks hold at least half of what they reserve,
 * or all but the last 4 MB block. */
START_TEST(test_arena_follows_size) {
    static const size_t sizes[] = {1, 10, 30, 100, 1000, 10000, 100000, 300000};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        size_t n = sizes[i];
        Graph *g = graph_new();
        ck_assert_ptr_nonnull(g);
        Node **made = malloc(n * sizeof *made);
        ck_assert_ptr_nonnull(made);
        for (size_t k = 0; k < n; k++) {
            Spec s = spec_of(k, made);
            made[k] = intern_spec(g, &s);
            ck_assert_ptr_nonnull(made[k]);
        }
        size_t used, reserved;
        graph_arena_usage(g, &used, &reserved);
        ck_assert_msg(used > 0 && used <= reserved, "n = %zu: %zu of %zu bytes", n, used, reserved);
        if (n <= 30)
            ck_assert_msg(reserved <= (32u << 10), "n = %zu nodes: %zu bytes reserved", n, reserved);
        size_t bound = 2 * used > used + (4u << 20) ? 2 * used : used + (4u << 20);
        ck_assert_msg(reserved <= bound + (16u << 10), "n = %zu: %zu bytes reserved for %zu used", n,
                      reserved, used);
        free(made);
        graph_free(g);
    }
}
END_TEST

/* Sizes around the table's first growths and far past them. */
START_TEST(test_intern_sizes) {
    static const size_t sizes[] = {0, 1, 2, 19, 20, 21, 511, 512, 513, 1023, 1024, 1025, 4097, 30001};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        intern_and_find(sizes[i]);
    /* either side of the first four growths (graph_new's table has 1024
     * slots), of the young table's start and of its first two settlings:
     * one graph, checked and searched at each of those counts */
    size_t edges[7], stops[14], young = DAG_YOUNG_SLOTS * DAG_TABLE_MAX_LOAD_NUM / DAG_TABLE_MAX_LOAD_DEN;
    for (int i = 0; i < 4; i++)
        edges[i] = ((size_t)1024 << i) * DAG_TABLE_MAX_LOAD_NUM / DAG_TABLE_MAX_LOAD_DEN;
    edges[4] = DAG_YOUNG_SLOTS;
    edges[5] = DAG_YOUNG_SLOTS + young;
    edges[6] = DAG_YOUNG_SLOTS + 2 * young;
    for (int i = 0; i < 7; i++) {
        stops[2 * i] = edges[i] - 1;
        stops[2 * i + 1] = edges[i] + 1;
    }
    intern_and_find_at(edges[6] + 2, stops, 14);
}
END_TEST

/* Many nodes: long probe sequences, and nodes whose 32-bit hashes are
 * equal (the table compares the content then): both found, each its own. */
START_TEST(test_intern_many_and_equal_hashes) {
    size_t n = 300000;
    Graph *g = graph_new();
    ck_assert_ptr_nonnull(g);
    Node **made = malloc(n * sizeof *made);
    ck_assert_ptr_nonnull(made);
    for (size_t k = 0; k < n; k++) {
        Spec s = spec_of(k, made);
        made[k] = intern_spec(g, &s);
        ck_assert_ptr_nonnull(made[k]);
    }
    check_table(g);
    /* the pairs of nodes with equal hashes: sort the slots by hash */
    size_t m;
    InternSlot *slots = filled_slots(g, &m);
    /* counting sort would do; a plain insertion into buckets by the top
     * bits keeps this short */
    size_t nb = 1 << 16, pairs = 0;
    size_t *start = calloc(nb + 1, sizeof *start);
    InternSlot *sorted = malloc(m * sizeof *sorted);
    ck_assert_ptr_nonnull(start);
    ck_assert_ptr_nonnull(sorted);
    for (size_t i = 0; i < m; i++)
        start[(slots[i].hash >> 16) + 1]++;
    for (size_t b = 0; b < nb; b++)
        start[b + 1] += start[b];
    for (size_t i = 0; i < m; i++)
        sorted[start[slots[i].hash >> 16]++] = slots[i];
    for (size_t i = 0; i < m; i++)
        for (size_t j = i + 1; j < m && sorted[j].hash >> 16 == sorted[i].hash >> 16; j++) {
            if (sorted[j].hash != sorted[i].hash)
                continue;
            pairs++;
            size_t a = sorted[i].id1 - 1, b = sorted[j].id1 - 1;
            ck_assert_uint_ne(a, b);
            Spec sa = spec_of(a, made), sb = spec_of(b, made);
            ck_assert_ptr_eq(lookup_spec(g, &sa), made[a]);
            ck_assert_ptr_eq(lookup_spec(g, &sb), made[b]);
        }
    /* 300000 nodes in 2^32 hashes: about ten pairs; the hash is a
     * function of the content, so the count is the same every run */
    ck_assert_msg(pairs >= 1, "no two nodes share a hash: the class is not tested");
    for (size_t k = 0; k < n; k++) {
        Spec s = spec_of(k, made);
        ck_assert_ptr_eq(intern_spec(g, &s), made[k]);
    }
    ck_assert_uint_eq(g->nnodes, n);
    free(start);
    free(sorted);
    free(slots);
    free(made);
    graph_free(g);
}
END_TEST

/* Content that differs in one field only is another node: the payload,
 * the kind, an argument, their order, their number, the shape. */
START_TEST(test_intern_one_field_apart) {
    Graph *g = graph_new();
    ck_assert_ptr_nonnull(g);
    int v0 = 0, v1 = 1;
    Node *x = dag_intern(g, EX_VAR, &v0, NULL, 0, shape_scalar);
    Node *y = dag_intern(g, EX_VAR, &v1, NULL, 0, shape_scalar);
    Num half = num_rat(1, 2), halfd = num_double(0.5000000000000001);
    Node *c = dag_intern(g, EX_CONST, &half, NULL, 0, shape_scalar);
    Node *cd = dag_intern(g, EX_CONST, &halfd, NULL, 0, shape_scalar);
    int sin_fn = BI_SIN, cos_fn = BI_COS, at0 = 0, at1 = 1;
    Node *xy[2] = {x, y}, *yx[2] = {y, x}, *xyx[3] = {x, y, x};
    Node *nodes[] = {
        x, y, c, cd,
        dag_intern(g, EX_CALL, &sin_fn, &x, 1, shape_scalar),
        dag_intern(g, EX_CALL, &cos_fn, &x, 1, shape_scalar),
        dag_intern(g, EX_CALL, &sin_fn, &y, 1, shape_scalar),
        dag_intern(g, EX_ADD, NULL, xy, 2, shape_scalar),
        dag_intern(g, EX_ADD, NULL, yx, 2, shape_scalar),
        dag_intern(g, EX_MUL, NULL, xy, 2, shape_scalar),
        dag_intern(g, EX_MUL, NULL, xyx, 3, shape_scalar),
        dag_intern(g, EX_VAR, &v0, NULL, 0, shape_vec(axis_fixed(3))),
        dag_intern(g, EX_VAR, &v0, NULL, 0, shape_vec(axis_fixed(4))),
        dag_intern(g, EX_VAR, &v0, NULL, 0, shape_vec((Axis){4, 1})),
        dag_intern(g, EX_VAR, &v0, NULL, 0, shape_mat(axis_fixed(3), axis_fixed(4))),
        dag_intern(g, EX_VAR, &v0, NULL, 0, shape_mat(axis_fixed(4), axis_fixed(3))),
    };
    size_t n = sizeof nodes / sizeof *nodes;
    Node *vec = nodes[11];
    Node *e0 = dag_intern(g, EX_INDEX, &at0, &vec, 1, shape_scalar);
    Node *e1 = dag_intern(g, EX_INDEX, &at1, &vec, 1, shape_scalar);
    ck_assert_ptr_ne(e0, e1);
    ck_assert_ptr_eq(dag_intern(g, EX_INDEX, &at1, &vec, 1, shape_scalar), e1);
    for (size_t i = 0; i < n; i++) {
        ck_assert_ptr_nonnull(nodes[i]);
        for (size_t j = i + 1; j < n; j++)
            ck_assert_msg(nodes[i] != nodes[j], "nodes %zu and %zu are one", i, j);
    }
    ck_assert_uint_eq(g->nnodes, n + 2);
    check_table(g);
    graph_free(g);
}
END_TEST

/* Constants are answered from a small cache (DAG_CONST_CACHE slots by the
 * value's hash) before the table: values that share a slot, values equal
 * as numbers but not as constants (1/2 and 0.5, 0 and -0.0), and the same
 * values between other nodes and at another shape, asked for in several
 * orders and at several graph sizes: always the node made first, never a
 * second one, and the same node as dag_lookup finds. */
START_TEST(test_intern_constants_cached) {
    enum { NV = 3 * DAG_CONST_CACHE + 7 };
    static const size_t fillers[] = {0, 1000, DAG_YOUNG_SLOTS + 5};
    for (size_t fi = 0; fi < sizeof fillers / sizeof *fillers; fi++) {
        Graph *g = graph_new();
        ck_assert_ptr_nonnull(g);
        Num v[NV];
        Node *made[NV];
        int nv = 0;
        for (int k = -DAG_CONST_CACHE / 2; k < DAG_CONST_CACHE / 2; k++)
            v[nv++] = num_int(k);                         /* small integers */
        for (int k = 1; k <= DAG_CONST_CACHE; k++)
            v[nv++] = num_rat(k, 2 * k + 1);              /* fractions */
        for (int k = 0; nv < NV - 4; k++)
            v[nv++] = num_double(0.1 + (double)k * 0x1p-50); /* last bits apart */
        v[nv++] = num_double(0.5);
        v[nv++] = num_rat(1, 2);
        v[nv++] = num_double(-0.0);
        v[nv++] = num_int(0);
        ck_assert_int_eq(nv, NV);
        /* the first values made among other nodes, so that the graph has
         * a young table when fillers[fi] is large */
        for (size_t i = 0; i < fillers[fi]; i++) {
            int var = (int)i;
            ck_assert_ptr_nonnull(dag_intern(g, EX_VAR, &var, NULL, 0, shape_scalar));
        }
        for (int i = 0; i < NV; i++) {
            made[i] = dag_intern(g, EX_CONST, &v[i], NULL, 0, shape_scalar);
            ck_assert_ptr_nonnull(made[i]);
            ck_assert(num_equal(made[i]->num[0], v[i]));
        }
        /* one node per value (num_double gives 0.5 as the exact 1/2) */
        size_t nnodes = g->nnodes, distinct = 0;
        for (int i = 0; i < NV; i++) {
            int first = 1;
            for (int j = 0; j < i; j++) {
                ck_assert_int_eq(made[i] == made[j], num_equal(v[i], v[j]));
                first &= !num_equal(v[i], v[j]);
            }
            distinct += first;
        }
        ck_assert_uint_eq(nnodes, fillers[fi] + distinct);
        ck_assert_uint_ge(distinct, NV - 3);
        /* again: forwards, backwards, and by strides that put values of
         * one cache slot next to each other */
        static const int strides[] = {1, -1, DAG_CONST_CACHE, 7, 101};
        for (size_t si = 0; si < sizeof strides / sizeof *strides; si++)
            for (int j = 0; j < NV; j++) {
                int i = strides[si] == -1 ? NV - 1 - j : (int)(((long)j * strides[si]) % NV);
                ck_assert_ptr_eq(dag_intern(g, EX_CONST, &v[i], NULL, 0, shape_scalar), made[i]);
                ck_assert_ptr_eq(dag_lookup(g, EX_CONST, &v[i], NULL, 0, shape_scalar), made[i]);
            }
        ck_assert_uint_eq(g->nnodes, nnodes);
        /* a constant vector of the same value is another node, and does
         * not take the scalar's place */
        Node *vec = dag_intern(g, EX_CONST, &v[0], NULL, 0, shape_vec(axis_fixed(3)));
        ck_assert_ptr_nonnull(vec);
        ck_assert_ptr_ne(vec, made[0]);
        ck_assert_ptr_eq(dag_intern(g, EX_CONST, &v[0], NULL, 0, shape_vec(axis_fixed(3))), vec);
        ck_assert_ptr_eq(dag_intern(g, EX_CONST, &v[0], NULL, 0, shape_scalar), made[0]);
        check_table(g);
        graph_free(g);
    }
}
END_TEST

/* Content of the sweep below: k even, a sum of two old variables (it may
 * be in either table); k odd, the product of the node made for k - 1 and
 * a variable (an argument as young as the node, when made). */
static Node *intern_generation_node(Graph *g, Node *const *vars, Node *const *made, size_t k) {
    Node *ab[2] = {k % 2 ? made[k - 1] : vars[k], vars[k + 7]};
    return dag_intern(g, k % 2 ? EX_MUL : EX_ADD, NULL, ab, 2, shape_scalar);
}

/* Content made while its generation is young is found again (by
 * dag_intern and dag_lookup, same node, no new one) while it is young,
 * after it has settled into the intern table, and after later
 * generations have: swept over where the young table stands. */
START_TEST(test_intern_generations) {
    enum { NVARS = DAG_YOUNG_SLOTS + 64, NMADE = 2000 };
    Graph *g = graph_new();
    ck_assert_ptr_nonnull(g);
    Node **vars = malloc(NVARS * sizeof *vars), **made = malloc(NMADE * sizeof *made);
    ck_assert_ptr_nonnull(vars);
    ck_assert_ptr_nonnull(made);
    for (int i = 0; i < NVARS; i++)
        ck_assert_ptr_nonnull(vars[i] = dag_intern(g, EX_VAR, &i, NULL, 0, shape_scalar));
    check_table(g);
    for (size_t k = 0; k < NMADE; k++)
        ck_assert_ptr_nonnull(made[k] = intern_generation_node(g, vars, made, k));
    int payload = NVARS;
    for (int round = 0; round < 6; round++) {
        size_t n = g->nnodes;
        for (size_t k = 0; k < NMADE; k++) {
            ck_assert_ptr_eq(intern_generation_node(g, vars, made, k), made[k]);
            Node *ab[2] = {k % 2 ? made[k - 1] : vars[k], vars[k + 7]};
            ck_assert_ptr_eq(dag_lookup(g, k % 2 ? EX_MUL : EX_ADD, NULL, ab, 2, shape_scalar), made[k]);
        }
        ck_assert_uint_eq(g->nnodes, n);
        check_table(g);
        /* on to another point of the young table's life: a part of a
         * generation, up to more than two */
        size_t more = (size_t)DAG_YOUNG_SLOTS * (size_t)(round + 1) / 4;
        for (size_t i = 0; i < more; i++, payload++)
            ck_assert_ptr_nonnull(dag_intern(g, EX_VAR, &payload, NULL, 0, shape_scalar));
    }
    free(vars);
    free(made);
    graph_free(g);
}
END_TEST

/* --- the variables' name index ------------------------------------------------ */

/* graph_add_var and graph_find_var over a sweep of sizes around each
 * growth of the index, with names of several forms and pairs of names of
 * equal hash: every name is found at its index, a name added again keeps
 * it (no new variable), names never added are not found. */
START_TEST(test_var_index_sizes_and_equal_hashes) {
    static const int sizes[] = {0, 1, 31, 32, 33, 63, 64, 65, 127, 128, 129, 1000, 40000};
    char pairs[64][16];
    int npairs = tu_equal_hash_names(pairs, 32);
    ck_assert_msg(npairs >= 2, "only %d pairs of names of equal hash", npairs);
    for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
        int n = sizes[z];
        Graph *g = graph_new();
        ck_assert_ptr_nonnull(g);
        char name[48];
        /* the equal-hash pairs first, then n names of three forms */
        for (int i = 0; i < 2 * npairs; i++)
            ck_assert_int_eq(graph_add_var(g, pairs[i], VAR_PARAM, shape_scalar), i);
        for (int i = 0; i < n; i++) {
            snprintf(name, sizeof name, i % 3 == 0 ? "p%d" : i % 3 == 1 ? "weight_%d_of_layer" : "%dx", i);
            if (i % 3 == 2)
                name[0] = (char)('A' + i % 26); /* a name starts with a letter */
            ck_assert_int_eq(graph_add_var(g, name, VAR_PARAM, shape_scalar), 2 * npairs + i);
        }
        ck_assert_int_eq(g->nvars, 2 * npairs + n);
        for (int i = 0; i < 2 * npairs; i++) {
            ck_assert_int_eq(graph_find_var(g, pairs[i]), i);
            ck_assert_int_eq(graph_add_var(g, pairs[i], VAR_INPUT, shape_scalar), i);
        }
        for (int i = 0; i < n; i++) {
            snprintf(name, sizeof name, i % 3 == 0 ? "p%d" : i % 3 == 1 ? "weight_%d_of_layer" : "%dx", i);
            if (i % 3 == 2)
                name[0] = (char)('A' + i % 26);
            ck_assert_int_eq(graph_find_var(g, name), 2 * npairs + i);
            ck_assert_int_eq(graph_add_var(g, name, VAR_PARAM, shape_scalar), 2 * npairs + i);
            ck_assert_str_eq(g->vars[2 * npairs + i].name, name);
            snprintf(name, sizeof name, "q%d", i); /* never added */
            ck_assert_int_eq(graph_find_var(g, name), -1);
        }
        ck_assert_int_eq(g->nvars, 2 * npairs + n);
        /* the index: a power of two, at most half full, one slot per name */
        size_t used = 0;
        for (size_t j = 0; j < g->var_index_cap; j++)
            used += g->var_index[j].id1 != 0;
        ck_assert_uint_eq(used, (size_t)g->nvars);
        ck_assert(2 * used <= g->var_index_cap && (g->var_index_cap & (g->var_index_cap - 1)) == 0);
        graph_free(g);
    }
}
END_TEST

/* The variables' own nodes, for counts of variables around the growths
 * of the index and of the young table, with shapes scalar, vector and
 * matrix, among constants and sums: graph_put_var makes one node per new
 * name (*added 1) and none for a name it has (*added 0, the variable
 * unchanged), the node is the variable's (its index, its shape), and
 * dag_intern and dag_lookup of that content answer it without a new node,
 * while the same variable at another shape is a node of its own, found
 * again as well. */
START_TEST(test_var_nodes_own) {
    static const int sizes[] = {1, 63, 64, 65, DAG_YOUNG_SLOTS / 3 - 1, DAG_YOUNG_SLOTS / 3 + 1, 40000};
    char pairs[16][16];
    int npairs = tu_equal_hash_names(pairs, 8);
    ck_assert_int_ge(npairs, 2);
    for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
        int n = sizes[z] + 2 * npairs;
        Graph *g = graph_new();
        ck_assert_ptr_nonnull(g);
        Node *prev = NULL;
        char name[32];
        for (int i = 0; i < n; i++) {
            Shape sh = i % 3 == 0 ? shape_scalar
                       : i % 3 == 1 ? shape_vec((Axis){i % 5 + 2, 0})
                                    : shape_mat((Axis){2, 0}, (Axis){i % 4 + 1, 0});
            if (i < 2 * npairs)
                snprintf(name, sizeof name, "%s", pairs[i]);
            else
                snprintf(name, sizeof name, "v%d", i);
            size_t before = g->nnodes;
            int added = -1;
            ck_assert_int_eq(graph_put_var(g, name, VAR_PARAM, sh, &added), i);
            ck_assert_int_eq(added, 1);
            ck_assert_uint_eq(g->nnodes, before + 1);
            Node *v = graph_var_node(g, i);
            ck_assert_ptr_nonnull(v);
            ck_assert(v->kind == EX_VAR && v->u.var == i && shape_equal(v->shape, sh) && v->nargs == 0);
            /* a constant and a sum between variables: the graph grows a
             * young table on the way */
            Num c = num_int(i);
            Node *k = dag_intern(g, EX_CONST, &c, NULL, 0, shape_scalar);
            ck_assert_ptr_nonnull(k);
            if (i % 3 == 0) {
                Node *ab[2] = {prev ? prev : k, v};
                ck_assert_ptr_nonnull(prev = dag_intern(g, EX_ADD, NULL, ab, 2, shape_scalar));
            }
        }
        check_table(g);
        size_t nnodes = g->nnodes;
        for (int i = 0; i < n; i++) {
            Var *var = &g->vars[i];
            int added = -1;
            ck_assert_int_eq(graph_put_var(g, var->name, VAR_INPUT, shape_scalar, &added), i);
            ck_assert_int_eq(added, 0);
            ck_assert_int_eq(var->role, VAR_PARAM);
            ck_assert_ptr_eq(dag_intern(g, EX_VAR, &i, NULL, 0, var->shape), var->node);
            ck_assert_ptr_eq(dag_lookup(g, EX_VAR, &i, NULL, 0, var->shape), var->node);
        }
        ck_assert_uint_eq(g->nnodes, nnodes);
        /* another shape: a node of its own, once */
        Shape other = shape_vec((Axis){7, 0});
        for (int i = 0; i < n; i += 1 + n / 50) {
            ck_assert_ptr_null(dag_lookup(g, EX_VAR, &i, NULL, 0, other));
            Node *o = dag_intern(g, EX_VAR, &i, NULL, 0, other);
            ck_assert_ptr_nonnull(o);
            ck_assert_ptr_ne(o, g->vars[i].node);
            ck_assert_ptr_eq(dag_intern(g, EX_VAR, &i, NULL, 0, other), o);
            ck_assert_ptr_eq(dag_lookup(g, EX_VAR, &i, NULL, 0, other), o);
        }
        check_table(g);
        graph_free(g);
    }
}
END_TEST

Suite *dag_suite(void); /* called by tests/runner.c */

Suite *dag_suite(void) {
    Suite *s = suite_create("dag");
    TCase *tc = tcase_create("intern");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_arena_follows_size);
    tcase_add_test(tc, test_intern_sizes);
    tcase_add_test(tc, test_intern_many_and_equal_hashes);
    tcase_add_test(tc, test_intern_one_field_apart);
    tcase_add_test(tc, test_intern_constants_cached);
    tcase_add_test(tc, test_intern_generations);
    suite_add_tcase(s, tc);
    tc = tcase_create("names");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_var_index_sizes_and_equal_hashes);
    tcase_add_test(tc, test_var_nodes_own);
    suite_add_tcase(s, tc);
    return s;
}
