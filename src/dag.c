/* SPDX-License-Identifier: MIT */
/*
 * dag.c — the graph: arena, intern table, variables, size counts.
 *
 * Consumes kinds, payloads and argument pointers; produces unique nodes.
 * Central convention: a node is created only if no structurally equal node
 * exists, so callers compare nodes by pointer.  Memory is owned by the
 * graph's arena and released at once by graph_free.
 */
/* madvise's MADV_HUGEPAGE (Linux; elsewhere the advice is left out) */
#define _DEFAULT_SOURCE 1
#include "dag.h"

#include <math.h>

#include "range.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

const char *const node_kind_name[EX_COUNT] = {
#define EX(id, name, arity, comm) name,
#include "ops.def"
#undef EX
};

/* --- large tables ---------------------------------------------------------
 * The intern table and the arena's blocks are read at random, a cache miss
 * per access at 10^6 nodes and more; with 4 KB pages each is a TLB miss as
 * well (a page walk, itself missing the cache).  Allocations of a few MB
 * are aligned to 2 MB and advised to be backed by huge pages, where the
 * system offers them. */
#define HUGE_PAGE ((size_t)2 << 20)

static void *big_alloc(size_t bytes) {
    void *p = NULL;
    if (bytes < 2 * HUGE_PAGE)
        return malloc(bytes);
    bytes = (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    if (posix_memalign(&p, HUGE_PAGE, bytes) != 0)
        return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, bytes, MADV_HUGEPAGE); /* advice: failure is harmless */
#endif
    return p;
}

static void *big_calloc(size_t n, size_t size) {
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = big_alloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

/* --- arena: large blocks, bump allocation, freed together ----------------- */

typedef struct Block {
    struct Block *next;
    size_t used, cap;
    union {
        long double ld;
        void *p;
        int64_t i;
    } data[]; /* aligned for anything a node holds */
} Block;

struct Arena {
    Block *head;
};

/* The first block is small and each next one twice the last, up to 4 MB
 * (huge pages: see big_alloc): a graph of a few dozen nodes, as most
 * expressions are, must not pay for zeroing a 2 MB page it never fills. */
enum { ARENA_FIRST = 16u << 10, ARENA_LARGEST = 4u << 20 };

static void *arena_alloc(Arena *a, size_t size) {
    size = (size + 7) & ~(size_t)7; /* nodes need pointer alignment only */
    Block *b = a->head;
    if (!b || b->used + size > b->cap) {
        size_t whole = b ? 2 * (sizeof(Block) + b->cap) : ARENA_FIRST;
        if (whole > ARENA_LARGEST)
            whole = ARENA_LARGEST;
        size_t cap = size > whole - sizeof(Block) ? size : whole - sizeof(Block);
        b = big_alloc(sizeof(Block) + cap);
        if (!b)
            return NULL;
        b->next = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += size;
    return p;
}

Graph *graph_new(void) {
    Graph *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->arena = calloc(1, sizeof *g->arena);
    g->table_cap = 1024;
    g->table = calloc(g->table_cap, sizeof *g->table);
    g->leaves_cap = DAG_LEAF_SLOTS_MIN;
    g->leaves = calloc(g->leaves_cap, sizeof *g->leaves);
    if (!g->arena || !g->table || !g->leaves) {
        graph_free(g);
        return NULL;
    }
    g->max_nodes = 0;
    g->max_work = GRAPH_MAX_WORK;
    return g;
}

const char *graph_failure_message(const Graph *g, char *buf, size_t size) {
    switch ((GraphFailure)g->failed) {
    case GRAPH_OK:
        return NULL;
    case GRAPH_TOO_LARGE:
        snprintf(buf, size, "expression too large: more than %zu nodes (see --max-nodes)", g->max_nodes);
        return buf;
    case GRAPH_TOO_MUCH_WORK:
        snprintf(buf, size, "too much work: building the result takes more than %llu steps",
                 (unsigned long long)g->max_work);
        return buf;
    case GRAPH_OUT_OF_MEMORY:
        break;
    }
    snprintf(buf, size, "out of memory");
    return buf;
}

int dag_spend(Graph *g, uint64_t n) {
    g->work += n;
    if (g->max_work && g->work > g->max_work && !g->failed)
        g->failed = GRAPH_TOO_MUCH_WORK;
    return !g->failed;
}

void graph_arena_usage(const Graph *g, size_t *used, size_t *reserved) {
    *used = *reserved = 0;
    for (const Block *b = g->arena ? g->arena->head : NULL; b; b = b->next) {
        *used += b->used;
        *reserved += sizeof(Block) + b->cap;
    }
}

void graph_free(Graph *g) {
    if (!g)
        return;
    if (g->arena) {
        Block *b = g->arena->head;
        while (b) {
            Block *next = b->next;
            free(b);
            b = next;
        }
        free(g->arena);
    }
    for (int i = 0; i < g->ndims; i++)
        free(g->dims[i].name);
    free(g->vars);
    free(g->var_index);
    free(g->table);
    free(g->leaves);
    free(g->young);
    free(g->nodes);
    free(g);
}

/* --- interning ------------------------------------------------------------ */

static uint32_t mix(uint32_t h, uint32_t v) {
    h ^= v + 0x9E3779B9u + (h << 6) + (h >> 2);
    return h;
}

static uint32_t payload_hash(NodeKind kind, const void *payload) {
    switch (kind) {
    case EX_CONST:
        return num_hash(*(const Num *)payload);
    case EX_VAR:
    case EX_CALL:
    case EX_INDEX:
    case EX_SCATTER:
    case EX_DIM:
        return (uint32_t)*(const int *)payload * 2654435761u;
    default:
        return 0;
    }
}

static int payload_equal(const Node *n, const void *payload) {
    switch ((NodeKind)n->kind) {
    case EX_CONST:
        return num_equal(n->num[0], *(const Num *)payload);
    case EX_VAR:
        return n->u.var == *(const int *)payload;
    case EX_CALL:
        return n->u.fn == *(const int *)payload;
    case EX_INDEX:
    case EX_SCATTER:
        return n->u.index == *(const int *)payload;
    case EX_DIM:
        return n->u.dim == *(const int *)payload;
    default:
        return 1;
    }
}

/* Doubles the table *t of *cap slots (the intern table or the leaves').
 * A slot's home is hash & (cap - 1), so an entry
 * whose home was i goes home to i or i + cap: taking the old slots in
 * order, from the start of a run of filled slots (just after an empty
 * one), writes the new table in two nearly ascending streams: a cache
 * miss per line of slots rather than one per entry. */
static int grow_slots(InternSlot **table, size_t *table_cap) {
    size_t old = *table_cap, cap = old * 2, start = 0;
    InternSlot *t = big_calloc(cap, sizeof *t);
    if (!t)
        return 0;
    while (start < old && (*table)[start].id1)
        start++;
    for (size_t k = 0; k < old; k++) {
        const InternSlot *s = &(*table)[(start + k) & (old - 1)];
        if (!s->id1)
            continue;
        size_t j = s->hash & (cap - 1);
        while (t[j].id1)
            j = (j + 1) & (cap - 1);
        t[j] = *s;
    }
    free(*table);
    *table = t;
    *table_cap = cap;
    return 1;
}

static int grow_table(Graph *g) { return grow_slots(&g->table, &g->table_cap); }

/* The hash of a node's content; *newest receives 1 + the highest id of
 * its arguments (0 without arguments). */
static uint32_t content_hash(NodeKind kind, const void *payload, Node *const *args, int nargs, Shape shape,
                             uint32_t *newest) {
    uint32_t h = mix((uint32_t)kind * 0x85EBCA6Bu, payload_hash(kind, payload)), top = 0;
    for (int i = 0; i < nargs; i++) {
        uint32_t id = args[i]->id;
        h = mix(h, id);
        if (id + 1 > top)
            top = id + 1;
    }
    *newest = top;
    h = mix(h, (uint32_t)(shape.rank * 31 + shape.dim[0] * 7 + shape.dim[1]) ^
                   ((uint32_t)shape.dyn[0] << 16 | (uint32_t)shape.dyn[1] << 24));
    /* avalanche, so that the low bits used as the slot are well mixed */
    h ^= h >> 16;
    h *= 0x85EBCA6Bu;
    h ^= h >> 13;
    h *= 0xC2B2AE35u;
    h ^= h >> 16;
    return h;
}

static int same_shape(Shape a, Shape b) {
    return a.rank == b.rank && a.dim[0] == b.dim[0] && a.dim[1] == b.dim[1] && a.dyn[0] == b.dyn[0] &&
           a.dyn[1] == b.dyn[1];
}

/* Does node n have this content? */
static int content_equal(const Node *n, NodeKind kind, const void *payload, Node *const *args, int nargs,
                         Shape shape) {
    return n->kind == kind && n->nargs == nargs && payload_equal(n, payload) && same_shape(n->shape, shape) &&
           (!nargs || memcmp(n->args, args, (size_t)nargs * sizeof *args) == 0);
}

/* The slot of table t (cap slots) holding the node with content of hash h,
 * or the empty slot where it would go. */
static InternSlot *probe(const Graph *g, InternSlot *t, size_t cap, NodeKind kind, const void *payload,
                         Node *const *args, int nargs, Shape shape, uint32_t h) {
    size_t mask = cap - 1, j = h & mask;
    for (; t[j].id1; j = (j + 1) & mask)
        if (t[j].hash == h && content_equal(g->nodes[t[j].id1 - 1], kind, payload, args, nargs, shape))
            break;
    return &t[j];
}

/* The node with this content, or NULL; *where receives the empty slot a
 * new node goes to: the leaves' table's for content without arguments
 * (see DAG_LEAF_SLOTS_MIN), else the young table's when there is one.
 * Content with an argument newer than young_from is newer itself: only
 * the young table can hold it. */
static Node *find_node(const Graph *g, NodeKind kind, const void *payload, Node *const *args, int nargs,
                       Shape shape, uint32_t *hash, InternSlot **where) {
    if (kind == EX_VAR) {
        /* a variable's own node, which no table holds */
        int v = *(const int *)payload;
        if (v >= 0 && v < g->nvars && g->vars[v].node && same_shape(g->vars[v].node->shape, shape))
            return g->vars[v].node;
    }
    uint32_t newest;
    uint32_t h = content_hash(kind, payload, args, nargs, shape, &newest);
    *hash = h;
    if (!nargs) {
        InternSlot *s = probe(g, g->leaves, g->leaves_cap, kind, payload, args, nargs, shape, h);
        *where = s;
        return s->id1 ? g->nodes[s->id1 - 1] : NULL;
    }
    if (g->young) {
        InternSlot *s = probe(g, g->young, DAG_YOUNG_SLOTS, kind, payload, args, nargs, shape, h);
        if (s->id1)
            return g->nodes[s->id1 - 1];
        *where = s;
        if (newest > g->young_from)
            return NULL;
        s = probe(g, g->table, g->table_cap, kind, payload, args, nargs, shape, h);
        return s->id1 ? g->nodes[s->id1 - 1] : NULL;
    }
    InternSlot *s = probe(g, g->table, g->table_cap, kind, payload, args, nargs, shape, h);
    *where = s;
    return s->id1 ? g->nodes[s->id1 - 1] : NULL;
}

Node *dag_lookup(const Graph *g, NodeKind kind, const void *payload, Node *const *args, int nargs,
                 Shape shape) {
    for (int i = 0; i < nargs; i++)
        if (!args[i])
            return NULL;
    uint32_t h;
    InternSlot *where;
    return find_node(g, kind, payload, args, nargs, shape, &h, &where);
}

/* Moves the young generation into the intern table (grown first so that
 * it stays at most 3/4 full) and starts the next one at the next id.  The
 * young slots are taken in order; their homes in the large table do not
 * depend on one another, so the misses overlap. */
static int settle_young(Graph *g) {
    while ((g->table_used + g->young_used) * DAG_TABLE_MAX_LOAD_DEN > g->table_cap * DAG_TABLE_MAX_LOAD_NUM)
        if (!grow_table(g))
            return 0;
    size_t mask = g->table_cap - 1;
    for (size_t i = 0; i < DAG_YOUNG_SLOTS; i++) {
        if (!g->young[i].id1)
            continue;
        size_t j = g->young[i].hash & mask;
        while (g->table[j].id1)
            j = (j + 1) & mask;
        g->table[j] = g->young[i];
    }
    g->table_used += g->young_used;
    memset(g->young, 0, DAG_YOUNG_SLOTS * sizeof *g->young);
    g->young_used = 0;
    g->young_from = (uint32_t)g->nnodes;
    return 1;
}

static Node *intern_content(Graph *g, NodeKind kind, const void *payload, Node *const *args, int nargs,
                            Shape shape);
static Node *make_node(Graph *g, NodeKind kind, const void *payload, Node *const *args, int nargs, Shape shape,
                       uint32_t h, InternSlot *where);

Node *dag_intern(Graph *g, NodeKind kind, const void *payload, Node *const *args, int nargs,
                 Shape shape) {
    if (!dag_spend(g, 1))
        return NULL;
    if (kind == EX_CONST && shape.rank == 0) {
        /* constants: the cache first, the table only when it misses */
        Node **c = &g->consts[num_hash(*(const Num *)payload) & (DAG_CONST_CACHE - 1)];
        if (!*c || !num_equal((*c)->num[0], *(const Num *)payload))
            *c = intern_content(g, kind, payload, args, nargs, shape);
        return *c;
    }
    return intern_content(g, kind, payload, args, nargs, shape);
}

/* dag_intern without the constants' cache. */
static Node *intern_content(Graph *g, NodeKind kind, const void *payload, Node *const *args, int nargs,
                            Shape shape) {
    for (int i = 0; i < nargs; i++)
        if (!args[i])
            return NULL;
    uint32_t h;
    InternSlot *where;
    Node *found = find_node(g, kind, payload, args, nargs, shape, &h, &where);
    if (found)
        return found;
    return make_node(g, kind, payload, args, nargs, shape, h, where);
}

/* A new node of this content (of hash h), entered at slot `where` of the
 * table find_node chose, or in no table when `where` is NULL (a
 * variable's node). */
static Node *make_node(Graph *g, NodeKind kind, const void *payload, Node *const *args, int nargs, Shape shape,
                       uint32_t h, InternSlot *where) {
    if (g->max_nodes && g->nnodes >= g->max_nodes) {
        g->failed = GRAPH_TOO_LARGE;
        return NULL;
    }
    if (g->nnodes == g->nodes_cap) {
        /* every pass reads nodes[id] for ids all over the graph: on huge
         * pages once large, like the table */
        size_t cap = g->nodes_cap ? g->nodes_cap * 2 : 1024;
        Node **nodes = big_alloc(cap * sizeof *nodes);
        if (!nodes) {
            g->failed = 1;
            return NULL;
        }
        if (g->nnodes)
            memcpy(nodes, g->nodes, g->nnodes * sizeof *nodes);
        free(g->nodes);
        g->nodes = nodes;
        g->nodes_cap = cap;
    }
    /* a constant's value follows its (absent) arguments: other nodes do not
     * carry the 32 bytes of a Num */
    size_t size = sizeof(Node) + (size_t)nargs * sizeof(Node *);
    Node *n = arena_alloc(g->arena, size + (kind == EX_CONST ? sizeof(Num) : 0));
    if (!n) {
        g->failed = 1;
        return NULL;
    }
    static const Num not_a_constant = {0, 0, 0, 0.0};
    memset(n, 0, sizeof *n);
    n->num = &not_a_constant;
    n->id = (uint32_t)g->nnodes;
    n->kind = (uint16_t)kind;
    n->nargs = (int32_t)nargs;
    n->shape = shape;
    switch (kind) {
    case EX_CONST:
        *(Num *)((char *)n + size) = *(const Num *)payload;
        n->num = (const Num *)((char *)n + size);
        break;
    case EX_VAR:
        n->u.var = *(const int *)payload;
        break;
    case EX_CALL:
        n->u.fn = *(const int *)payload;
        break;
    case EX_INDEX:
    case EX_SCATTER:
        n->u.index = *(const int *)payload;
        break;
    case EX_DIM:
        n->u.dim = *(const int *)payload;
        break;
    default:
        break;
    }
    if (nargs)
        memcpy(n->args, args, (size_t)nargs * sizeof *args);
    n->range = range_of_node(n); /* its arguments have theirs */
    g->nodes[g->nnodes++] = n;
    if (where) {
        where->hash = h;
        where->id1 = n->id + 1;
        int room = 1; /* the table keeps its load */
        if (!nargs) {
            if (++g->leaves_used * DAG_TABLE_MAX_LOAD_DEN > g->leaves_cap * DAG_TABLE_MAX_LOAD_NUM)
                room = grow_slots(&g->leaves, &g->leaves_cap);
        } else if (g->young) {
            if (++g->young_used * DAG_TABLE_MAX_LOAD_DEN > DAG_YOUNG_SLOTS * DAG_TABLE_MAX_LOAD_NUM)
                room = settle_young(g);
        } else if (++g->table_used * DAG_TABLE_MAX_LOAD_DEN > g->table_cap * DAG_TABLE_MAX_LOAD_NUM) {
            room = grow_table(g);
        }
        if (!room) {
            g->failed = 1;
            return NULL;
        }
    }
    if (!g->young && g->nnodes >= DAG_YOUNG_SLOTS) {
        /* large now: the next nodes are young (without the memory the
         * graph stays with the one table) */
        g->young = big_calloc(DAG_YOUNG_SLOTS, sizeof *g->young);
        g->young_from = (uint32_t)g->nnodes;
    }
    return n;
}

void dag_pin(Graph *g, Node *n) {
    (void)g;
    if (n && n->pins < UINT32_MAX)
        n->pins++;
}

/* --- variables ------------------------------------------------------------ */

size_t graph_name_hash(const char *name) {
    size_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

/* The slot of the index holding `name` (whose hash is h), or the empty
 * slot where it goes; *probes counts the slots looked at.  A slot keeps
 * its name's hash: only a slot of equal hash reads the name itself, so
 * a lookup touches one name (two cache misses) instead of one per
 * probe. */
static size_t var_slot(const Graph *g, const char *name, uint32_t h, size_t *probes) {
    size_t mask = g->var_index_cap - 1, j = h & mask;
    for (*probes = 1; g->var_index[j].id1; ++*probes, j = (j + 1) & mask)
        if (g->var_index[j].hash == h && strcmp(g->vars[g->var_index[j].id1 - 1].name, name) == 0)
            break;
    return j;
}

int graph_find_var(const Graph *g, const char *name) {
    size_t probes;
    if (!g->var_index_cap)
        return -1;
    return (int)g->var_index[var_slot(g, name, (uint32_t)graph_name_hash(name), &probes)].id1 - 1;
}

/* Keeps the index at most half full for one more variable; the slots
 * move by their kept hashes, without reading a name. */
static int grow_var_index(Graph *g) {
    if (2 * ((size_t)g->nvars + 1) <= g->var_index_cap)
        return 1;
    size_t cap = g->var_index_cap ? 2 * g->var_index_cap : 64, mask = cap - 1;
    InternSlot *t = calloc(cap, sizeof *t);
    if (!t)
        return 0;
    for (size_t k = 0; k < g->var_index_cap; k++)
        if (g->var_index[k].id1) {
            size_t j = g->var_index[k].hash & mask;
            while (t[j].id1)
                j = (j + 1) & mask;
            t[j] = g->var_index[k];
        }
    free(g->var_index);
    g->var_index = t;
    g->var_index_cap = cap;
    return 1;
}

int graph_add_var(Graph *g, const char *name, VarRole role, Shape shape) {
    int added;
    return graph_put_var(g, name, role, shape, &added);
}

int graph_put_var(Graph *g, const char *name, VarRole role, Shape shape, int *added) {
    uint32_t h = (uint32_t)graph_name_hash(name);
    size_t probes = 0, j = 0;
    *added = 0;
    if (g->var_index_cap) {
        j = var_slot(g, name, h, &probes);
        dag_spend(g, probes); /* the work a lookup does (and a test can see) */
        if (g->var_index[j].id1)
            return (int)g->var_index[j].id1 - 1;
    }
    size_t cap_before = g->var_index_cap;
    if (!grow_var_index(g)) {
        g->failed = 1;
        return -1;
    }
    if (g->var_index_cap != cap_before) /* moved: the empty slot too */
        j = var_slot(g, name, h, &probes);
    if (g->nvars == g->vars_cap) {
        int cap = g->vars_cap ? g->vars_cap * 2 : 8;
        Var *v = realloc(g->vars, (size_t)cap * sizeof *v);
        if (!v) {
            g->failed = 1;
            return -1;
        }
        g->vars = v;
        g->vars_cap = cap;
    }
    Var *v = &g->vars[g->nvars];
    size_t len = strlen(name) + 1;
    /* in the arena, beside the variable's node made next: a lookup that
     * compares the name finds the node in the same cache lines, and 10^5
     * names are not 10^5 allocations */
    v->name = arena_alloc(g->arena, len);
    if (!v->name) {
        g->failed = 1;
        return -1;
    }
    memcpy(v->name, name, len);
    v->role = role;
    v->shape = shape;
    v->node = NULL;
    int index = g->nvars++;
    g->var_index[j].hash = h;
    g->var_index[j].id1 = (uint32_t)index + 1;
    /* a new name's node is new as well: made without a lookup, and in no
     * table (find_node answers it from here) */
    v->node = dag_spend(g, 1) ? make_node(g, EX_VAR, &index, NULL, 0, shape, 0, NULL) : NULL;
    *added = v->node != NULL;
    return v->node ? index : -1;
}

Node *graph_var_node(Graph *g, int var) {
    return var >= 0 && var < g->nvars ? g->vars[var].node : NULL;
}

/* --- run-time dimensions --------------------------------------------------- */

int graph_add_dim(Graph *g, const char *name, int max) {
    int d = graph_find_dim(g, name);
    if (d >= 0)
        return d;
    if (g->ndims >= GRAPH_MAX_DIMS)
        return -1;
    char *copy = malloc(strlen(name) + 1);
    if (!copy) {
        g->failed = 1;
        return -1;
    }
    strcpy(copy, name);
    g->dims[g->ndims].name = copy;
    g->dims[g->ndims].max = max;
    return g->ndims++;
}

int graph_find_dim(const Graph *g, const char *name) {
    for (int d = 0; d < g->ndims; d++)
        if (strcmp(g->dims[d].name, name) == 0)
            return d;
    return -1;
}

Node *dag_dim(Graph *g, int dim) {
    if (dim < 0 || dim >= g->ndims)
        return NULL;
    Shape scalar = {.rank = 0};
    return dag_intern(g, EX_DIM, &dim, NULL, 0, scalar);
}

Node *dag_axis(Graph *g, Shape s, int k) {
    if (k >= s.rank)
        return dag_int(g, 1);
    return s.dyn[k] ? dag_dim(g, s.dyn[k] - 1) : dag_int(g, s.dim[k]);
}

Node *dag_numel(Graph *g, Shape s) {
    int64_t fixed = 1;
    Node *dims[2];
    int nd = 0;
    for (int k = 0; k < s.rank; k++)
        if (s.dyn[k])
            dims[nd++] = dag_dim(g, s.dyn[k] - 1);
        else
            fixed *= s.dim[k];
    Node *n = dag_int(g, fixed);
    for (int k = 0; k < nd; k++)
        n = dag_mul(g, n, dims[k]);
    return n;
}

/* --- sizes ---------------------------------------------------------------- */

void dag_mark_reachable(const Graph *g, Node *const *roots, int nroots, unsigned char *mark) {
    dag_mark_cone(g, roots, nroots, mark, g->nnodes);
}

void dag_mark_cone(const Graph *g, Node *const *roots, int nroots, unsigned char *mark, size_t size) {
    memset(mark, 0, size);
    uint32_t top = 0;
    for (int i = 0; i < nroots; i++)
        if (roots[i]) {
            mark[roots[i]->id] = 1;
            if (roots[i]->id + 1 > top)
                top = roots[i]->id + 1;
        }
    /* arguments have smaller ids: one backward sweep finds everything */
    for (uint32_t id = top; id-- > 0;) {
        if (!mark[id])
            continue;
        const Node *n = g->nodes[id];
        for (int k = 0; k < n->nargs; k++)
            mark[n->args[k]->id] = 1;
    }
}

size_t dag_count(const Graph *g, Node *const *roots, int nroots) {
    unsigned char *mark = malloc(g->nnodes ? g->nnodes : 1);
    if (!mark)
        return SIZE_MAX;
    dag_mark_reachable(g, roots, nroots, mark);
    size_t count = 0;
    for (size_t i = 0; i < g->nnodes; i++)
        count += mark[i];
    free(mark);
    return count;
}

/* size(n) = 1 + sum of the sizes of its arguments, in double so that the
 * exponential sizes of swollen trees are still representable. */
double dag_tree_size(const Graph *g, Node *const *roots, int nroots) {
    unsigned char *mark = malloc(g->nnodes ? g->nnodes : 1);
    double *size = malloc((g->nnodes ? g->nnodes : 1) * sizeof *size);
    double total = 0;
    if (mark && size) {
        dag_mark_reachable(g, roots, nroots, mark);
        for (size_t id = 0; id < g->nnodes; id++) {
            if (!mark[id])
                continue;
            const Node *n = g->nodes[id];
            double s = 1;
            for (int k = 0; k < n->nargs; k++)
                s += size[n->args[k]->id];
            size[id] = s;
        }
        for (int i = 0; i < nroots; i++)
            if (roots[i])
                total += size[roots[i]->id];
    } else {
        total = NAN; /* out of memory: callers that guard a tree walk refuse it */
    }
    free(mark);
    free(size);
    return total;
}

double dag_tree_size_at_most(const Graph *g, Node *const *roots, int nroots, double limit) {
    (void)g;
    /* a walk of the written-out tree itself, stopped once it passes the
     * limit: it visits at most limit + 1 occurrences */
    Node *small[64], **stack = small;
    size_t cap = 64, top = 0;
    double count = 0;
    for (int i = 0; i < nroots && count <= limit; i++) {
        if (!roots[i])
            continue;
        stack[top++] = roots[i];
        while (top > 0 && count <= limit) {
            Node *n = stack[--top];
            count++;
            if (top + (size_t)n->nargs > cap) {
                size_t ncap = 2 * (top + (size_t)n->nargs);
                Node **bigger = malloc(ncap * sizeof *bigger);
                if (!bigger) {
                    if (stack != small)
                        free(stack);
                    return NAN;
                }
                memcpy(bigger, stack, top * sizeof *stack);
                if (stack != small)
                    free(stack);
                stack = bigger;
                cap = ncap;
            }
            for (int k = 0; k < n->nargs; k++)
                stack[top++] = n->args[k];
        }
    }
    if (stack != small)
        free(stack);
    return count;
}

int dag_is_num(const Node *n, int64_t v) {
    return n && n->kind == EX_CONST && n->num[0].is_rat && n->num[0].p == v && n->num[0].q == 1;
}
