"""C source of a traced system's breadth-first search: successors, the visited set, the graph.

:func:`c_source` writes one self-contained C99 file from the guarded commands of a
:class:`~leasecheck.model.lang.System` and the packed layout of its states
(:mod:`leasecheck.checker.explicit.pack`: the same fields, so a key the C code stores is the key
the vector explorer would store, and :class:`~leasecheck.checker.explicit.vexplore.PackedStates`
decodes it). :mod:`leasecheck.checker.explicit.compiled` builds and loads it.

What the file holds:

* ``successors``: every enabled command of one packed state, **in command order** (the
  commands are tested one after the other in their ``index`` order), each guard a C condition
  over the state's fields and each update a rewrite of the field it assigns, every expression
  read on the pre-state. (Testing a conjunct that neighbouring commands share once around them,
  which keeps the order, made no difference measurable on a loaded machine and compiled 20 to 30 %
  slower; a decision tree that reorders the tests would need the successors sorted back.) The seven node kinds of :mod:`leasecheck.model.lang` become C
  directly: ``Const`` a number, ``Read`` a field, ``Map`` a lookup in a constant table, ``Eq``
  ``==``, ``Not`` ``!``, ``And`` ``&&``, ``Or`` ``||``, ``Ite`` ``?:``.
* the visited set: open addressing with linear probing, at most half full, each slot one word:
  a state number and the high half of its key's hash (8 bytes a slot, where a slot holding the
  key itself took 8 bytes a word of the key more: at 5x5, 134 MB instead of 403); a key is
  compared in full with the numbered state's own (never on a hash alone) when the hash halves
  agree. The look-ups are asked for ahead (prefetched): the successors of the next two states
  are made before a state is expanded, their first slots asked for two states ahead and the
  stored keys those slots point to one state ahead, so that a state's look-ups find both in the
  cache; the table asks the kernel for huge pages (its look-ups are all cache and TLB misses).
  The prefetches are macros written into the search: GCC finds a function that only prefetches
  pure and drops its calls, prefetches and all;
* the search (``lc_expand``): states expanded in number order, a new successor numbered next,
  its parent the state and command that reached it first: the model's order of exploration
  (docs/model.md section 10), so the graph is numbered as the other explorers number it. A
  state's expansion is all or nothing: room for its successors is made before any is stored,
  so a failed allocation leaves every array whole and ``expanded`` exact; at the state limit
  the states numbered so far are kept and the state being expanded keeps no edges, as in the
  scalar explorer.

With a :class:`~leasecheck.checker.symmetry.Symmetry`, the file also holds its canonical form
(:mod:`leasecheck.checker.explicit.ccanon`) and the search stores class representatives: a
successor found in the visited set as it is is one; every other is replaced by its
representative (all of a state's, before the set is probed again), so the graph is the vector
explorer's quotient graph.

The search runs in slices of a given number of states, so that the caller checks its deadline,
signals and memory budget between them.
"""

from __future__ import annotations

from leasecheck.checker.explicit.ccanon import c_canonical
from leasecheck.checker.explicit.pack import Layout, layout
from leasecheck.checker.symmetry import Symmetry
from leasecheck.model.compile import ExprPrinter
from leasecheck.model.lang import (
    GuardedCommand,
    System,
    conjuncts,
)

#: the graph the generated search fills: one struct, declared to cffi and defined in the C file
_GRAPH = """
typedef struct {
    uint64_t *keys;
    int32_t *parent;
    int32_t *parent_cmd;
    int64_t *offsets;
    int32_t *dst;
    uint16_t *cmd;
    int64_t states;
    int64_t expanded;
    int64_t edges;
    int64_t max_states;
    int64_t cap_states;
    int64_t cap_edges;
    uint64_t *slots;
    uint64_t slot_mask;
    uint64_t *scratch;
    int32_t *scratch_cmd;
    uint64_t *scratch_hash;
} lc_graph;
"""

#: the most commands a generated search takes: an edge's command is kept in 16 bits (at 6x6, 470
#: million edges: 0.9 GB less than in 32), widened when the graph is copied out
MAX_COMMANDS = 1 << 16

#: the interface the generated library exports (cffi's ``cdef``); the C file defines it
CDEF = _GRAPH + """
int lc_words(void);
int lc_commands(void);
int lc_symmetric(void);
int64_t lc_canonical(const uint64_t *in, uint64_t *out, int64_t n, int full);
lc_graph *lc_new(const uint64_t *initial, int64_t max_states);
int lc_expand(lc_graph *g, int64_t count);
void lc_drop(void *p);
void lc_free(lc_graph *g);
"""

#: the states whose successors the search holds at once: the one expanded and those after it whose
#: look-ups are asked for ahead
AHEAD = 3

#: what ``lc_expand`` returns
MORE, DONE, STATE_LIMIT, NO_MEMORY, TOO_MANY = 0, 1, 2, -1, 3

#: state numbers are ``int32``, as in the other explorers' graphs
MAX_STATES = 2**31 - 1

_RUNTIME = _GRAPH + r"""
int lc_words(void) { return W; }
int lc_commands(void) { return NCMD; }
int lc_symmetric(void) { return SYM; }
#if !SYM
int64_t lc_canonical(const uint64_t *in, uint64_t *out, int64_t n, int full) {
    (void)in; (void)out; (void)n; (void)full;
    return -1;
}
#endif

static uint64_t lc_hash(const uint64_t *k) {
    uint64_t h = 0;
    for (int w = 0; w < W; w++) {
        h ^= k[w];
        h *= 0x9E3779B97F4A7C15ULL;
        h ^= h >> 29;
    }
    return h;
}

static int lc_same(const uint64_t *a, const uint64_t *b) {
    for (int w = 0; w < W; w++)
        if (a[w] != b[w]) return 0;
    return 1;
}

/* the capacity after `cap` that holds `need` */
static int64_t lc_grown(int64_t cap, int64_t need) {
    int64_t grown = cap + cap / 2;
    if (grown < need) grown = need;
    return grown < 4096 ? 4096 : grown;
}

/* *p resized to `n` elements of `size` bytes: 0, or -1 when out of memory (*p unchanged) */
static int lc_resize(void **p, int64_t n, size_t size) {
    void *q = realloc(*p, (size_t)n * size);
    if (q == NULL) return -1;
    *p = q;
    return 0;
}

/* the visited set: one word per slot, the state number + 1 in its low half (0: an empty slot) and
   the high half of the key's hash in its high half; the key itself is the state's, in keys[], and
   is compared in full only when the hash halves agree. A slot is found at the low bits of the
   hash (tables of up to 2^32 slots), so the high half is a filter the position does not repeat. */
#define LC_TAG 0xFFFFFFFF00000000ULL
static void lc_place(uint64_t *slots, uint64_t mask, uint64_t h, int64_t id) {
    uint64_t p = h & mask;
    while (slots[p] != 0) p = (p + 1) & mask;
    slots[p] = (h & LC_TAG) | ((uint64_t)id + 1);
}

/* the slot that holds the state whose key is `key` (hash h), or the empty slot where it goes */
static uint64_t lc_find(const lc_graph *g, const uint64_t *key, uint64_t h) {
    uint64_t p = h & g->slot_mask, tag = h & LC_TAG;
    for (;;) {
        uint64_t s = g->slots[p];
        if (s == 0) return p;
        if ((s & LC_TAG) == tag && lc_same(g->keys + (int64_t)((uint32_t)s - 1) * W, key)) return p;
        p = (p + 1) & g->slot_mask;
    }
}

/* the look-ups of a state's successors are asked for ahead of the state's expansion, in two steps:
   the first slot of each (LC_ASK_SLOT, two states ahead), then the stored key that slot points
   to when the hash halves agree (LC_ASK_KEY, one state ahead, once the slot has come). Macros, not
   functions: a function that only prefetches has no effect the compiler must keep (GCC finds it
   pure and drops its calls, prefetches and all) */
#if defined(__GNUC__)
#define LC_ASK_SLOT(g, h) __builtin_prefetch((g)->slots + ((h) & (g)->slot_mask))
#define LC_ASK_KEY(g, h) do { \
    uint64_t s_ = (g)->slots[(h) & (g)->slot_mask]; \
    if (s_ != 0 && (s_ & LC_TAG) == ((h) & LC_TAG)) __builtin_prefetch((g)->keys + (int64_t)((uint32_t)s_ - 1) * W); \
} while (0)
#else
#define LC_ASK_SLOT(g, h) ((void)(g), (void)(h))
#define LC_ASK_KEY(g, h) ((void)(g), (void)(h))
#endif

/* the visited set's look-ups go everywhere in it: ask for huge pages (fewer TLB misses) */
static void lc_huge(void *p, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    uintptr_t lo = ((uintptr_t)p + (1u << 21) - 1) & ~(uintptr_t)((1u << 21) - 1);
    uintptr_t hi = ((uintptr_t)p + bytes) & ~(uintptr_t)((1u << 21) - 1);
    if (hi > lo) madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
    (void)p; (void)bytes;
#endif
}

static int lc_rehash(lc_graph *g, uint64_t slots) {
    uint64_t *s = (uint64_t *)calloc(slots, sizeof(uint64_t));
    if (s == NULL) return -1;
    lc_huge(s, slots * sizeof(uint64_t));
    uint64_t mask = slots - 1;
    for (int64_t i = 0; i < g->states; i++) lc_place(s, mask, lc_hash(g->keys + i * W), i);
    free(g->slots);
    g->slots = s;
    g->slot_mask = mask;
    return 0;
}

/* room for `more` new states (every per-state array, the visited set at most half full) and
   `edges` more edges: 0, or -1 when out of memory (the graph unchanged, whatever grew) */
static int lc_room(lc_graph *g, int64_t more, int64_t edges) {
    int64_t need = g->states + more;
    if (need > g->cap_states) {
        int64_t c = lc_grown(g->cap_states, need);
        if (lc_resize((void **)&g->keys, c, W * sizeof(uint64_t))
            || lc_resize((void **)&g->parent, c, sizeof(int32_t))
            || lc_resize((void **)&g->parent_cmd, c, sizeof(int32_t))
            || lc_resize((void **)&g->offsets, c + 1, sizeof(int64_t))) return -1;
        g->cap_states = c;
    }
    if (g->edges + edges > g->cap_edges) {
        int64_t c = lc_grown(g->cap_edges, g->edges + edges);
        if (lc_resize((void **)&g->dst, c, sizeof(int32_t))
            || lc_resize((void **)&g->cmd, c, sizeof(uint16_t))) return -1;
        g->cap_edges = c;
    }
    if ((uint64_t)need * 2 > g->slot_mask + 1) {
        uint64_t slots = g->slot_mask + 1;
        while ((uint64_t)need * 2 > slots) slots *= 2;
        if (lc_rehash(g, slots)) return -1;
    }
    return 0;
}

/* one array of the graph let go of (the caller has copied it and sets its pointer to NULL) */
void lc_drop(void *p) { free(p); }

void lc_free(lc_graph *g) {
    if (g == NULL) return;
    free(g->keys); free(g->parent); free(g->parent_cmd); free(g->offsets);
    free(g->dst); free(g->cmd); free(g->slots); free(g->scratch); free(g->scratch_cmd); free(g->scratch_hash);
    free(g);
}

lc_graph *lc_new(const uint64_t *initial, int64_t max_states) {
    lc_graph *g = (lc_graph *)calloc(1, sizeof(lc_graph));
    if (g == NULL) return NULL;
    g->max_states = max_states;
    g->slot_mask = 0;
    g->scratch = (uint64_t *)malloc(LC_AHEAD * (NCMD + 1) * W * sizeof(uint64_t));
    g->scratch_cmd = (int32_t *)malloc(LC_AHEAD * (NCMD + 1) * sizeof(int32_t));
    g->scratch_hash = (uint64_t *)malloc(LC_AHEAD * (NCMD + 1) * sizeof(uint64_t));
    g->slots = (uint64_t *)calloc(1, sizeof(uint64_t));
    if (g->scratch == NULL || g->scratch_cmd == NULL || g->scratch_hash == NULL || g->slots == NULL) { lc_free(g); return NULL; }
    if (lc_room(g, 1, 0)) { lc_free(g); return NULL; }
    memcpy(g->keys, initial, W * sizeof(uint64_t));
    g->parent[0] = -1;
    g->parent_cmd[0] = -1;
    g->offsets[0] = 0;
    g->states = 1;
    lc_place(g->slots, g->slot_mask, lc_hash(g->keys), 0);
    return g;
}

/* expand up to `count` more states: MORE, DONE, STATE_LIMIT, NO_MEMORY or TOO_MANY (see codegen.py).
   The states are expanded one by one in number order; what is done ahead of a state's turn
   (its successors made, their slots and stored keys asked for) only warms the caches: every
   look-up is made in the state's turn, on the table as it is then. */
int lc_expand(lc_graph *g, int64_t count) {
    int64_t stop = g->expanded + count;
    int many[LC_AHEAD];            /* per buffer, the successors of the state it holds */
    int64_t made = g->expanded;    /* the states before it have their successors in the buffers */
    int64_t asked = g->expanded;   /* the states before it have had their stored keys asked for */
    while (g->expanded < g->states) {
        if (g->expanded >= stop) return 0;
        int64_t i = g->expanded;
        /* successors made up to LC_AHEAD - 1 states ahead (as far as states are numbered), their
           first slots asked for; the stored keys asked for one state ahead */
        for (; made < i + LC_AHEAD && made < g->states; made++) {
            int b = (int)(made % LC_AHEAD);
            uint64_t *out = g->scratch + (int64_t)b * (NCMD + 1) * W, *h = g->scratch_hash + (int64_t)b * (NCMD + 1);
            int n = lc_successors(g->keys + made * W, out, g->scratch_cmd + (int64_t)b * (NCMD + 1));
            many[b] = n;
            for (int k = 0; k < n; k++) {
                h[k] = lc_hash(out + (int64_t)k * W);
                LC_ASK_SLOT(g, h[k]);
            }
        }
        for (; asked < i + 2 && asked < made; asked++) {
            const uint64_t *h = g->scratch_hash + (int64_t)(asked % LC_AHEAD) * (NCMD + 1);
            for (int k = 0; k < many[asked % LC_AHEAD]; k++) LC_ASK_KEY(g, h[k]);
        }
        int b = (int)(i % LC_AHEAD), n = many[b];
        uint64_t *succ = g->scratch + (int64_t)b * (NCMD + 1) * W, *h = g->scratch_hash + (int64_t)b * (NCMD + 1);
        const int32_t *succ_cmd = g->scratch_cmd + (int64_t)b * (NCMD + 1);
        if (lc_room(g, n, n)) return -1;
        int64_t edges = g->edges;
#if SYM
        uint64_t found[NCMD + 1];  /* per successor, the slot that held it as it is (UINT64_MAX: none) */
        /* a successor stored as it is is a representative (the table holds only those); every
           other one is replaced by its representative before any is looked up again, and those
           look-ups asked for at once (the successors are then taken in order, as without
           symmetry, so that two with one representative get one state) */
        int redo = 0;
        for (int k = 0; k < n; k++) {
            uint64_t *key = succ + (int64_t)k * W;
            uint64_t p = lc_find(g, key, h[k]);
            found[k] = p;  /* a stored state's slot stays where it is while this state is expanded */
            if (g->slots[p] == 0) {
                found[k] = UINT64_MAX;
                uint64_t rep[W];
                lc_canon_one(key, rep);
                memcpy(key, rep, sizeof rep);
                h[k] = lc_hash(key);
                LC_ASK_SLOT(g, h[k]);
                redo = 1;
            }
        }
        if (redo)
            for (int k = 0; k < n; k++)
                if (found[k] == UINT64_MAX) LC_ASK_KEY(g, h[k]);
#endif
        for (int k = 0; k < n; k++) {
            const uint64_t *key = succ + (int64_t)k * W;
#if SYM
            uint64_t *slot = g->slots + (found[k] != UINT64_MAX ? found[k] : lc_find(g, key, h[k]));
#else
            uint64_t *slot = g->slots + lc_find(g, key, h[k]);
#endif
            int32_t j;
            if (*slot == 0) {
                if (g->max_states >= 0 && g->states >= g->max_states) {
                    /* the state limit: the states numbered so far are kept, state i's edges dropped */
                    g->edges = g->offsets[i];
                    return 2;
                }
                if (g->states >= 2147483647) {  /* state numbers are int32: stop as at a state limit */
                    g->edges = g->offsets[i];
                    return 3;
                }
                j = (int32_t)g->states;
                memcpy(g->keys + (int64_t)j * W, key, W * sizeof(uint64_t));
                g->parent[j] = (int32_t)i;
                g->parent_cmd[j] = succ_cmd[k];
                *slot = (h[k] & LC_TAG) | ((uint64_t)j + 1);
                g->states++;
            } else {
                j = (int32_t)((uint32_t)*slot - 1);
            }
            g->dst[edges] = j;
            g->cmd[edges] = (uint16_t)succ_cmd[k];
            edges++;
        }
        g->edges = edges;
        g->expanded = i + 1;
        g->offsets[i + 1] = edges;
    }
    return 1;
}
"""


class _Writer(ExprPrinter):
    """C expressions over the fields ``v0``, ``v1``, ... and the constant tables they use."""

    NOT, AND, OR = "!", " && ", " || "

    def ite(self, cond: str, then: str, orelse: str) -> str:
        return f"({cond} ? {then} : {orelse})"

    def declarations(self) -> list[str]:
        out = []
        for t, name in self.tables.items():
            ctype = "uint8_t" if max(t) < 256 else "uint16_t" if max(t) < 65536 else "uint32_t"
            out.append(f"static const {ctype} {name}[{len(t)}] = {{{', '.join(map(str, t))}}};")
        return out


def _update(c: GuardedCommand, lay: Layout, w: _Writer, pad: str) -> list[str]:
    """The lines that append ``c``'s successor (its guard already known to hold)."""
    lines = [f"{pad}{{  /* {_comment(f'{c.index}: {c.action}{c.params} {c.label}')} */",
             f"{pad}    uint64_t *o = out + (int64_t)n * W;"]
    new = {word: f"k{word}" for word in range(lay.words)}
    for var, e in c.updates:
        word = lay.word[var]
        new[word] = f"(({new[word]}) & ~{lay.field_mask(var):#x}ULL) | ((uint64_t)({w.expr(e)}) << {lay.shift[var]})"
    lines += [f"{pad}    o[{word}] = {new[word]};" for word in range(lay.words)]
    lines += [f"{pad}    out_cmd[n++] = {c.index};", f"{pad}}}"]
    return lines


def _successors(system: System, lay: Layout, w: _Writer) -> list[str]:
    lines = ["static int lc_successors(const uint64_t *key, uint64_t *out, int32_t *out_cmd) {"]
    for word in range(lay.words):
        lines.append(f"    const uint64_t k{word} = key[{word}];")
    for v in range(len(system.variables)):
        mask = (1 << lay.width[v]) - 1
        lines.append(f"    const unsigned v{v} = (unsigned)((k{lay.word[v]} >> {lay.shift[v]}) & {mask}u);")
    lines.append("    int n = 0;")
    for c in system.commands:  # command order: the model's order of a state's successors
        guard = conjuncts(c.guard)
        if guard:
            lines.append(f"    if ({' && '.join(w.expr(g) for g in guard)})")
        lines += _update(c, lay, w, "    ")
    lines.append("    return n;")
    lines.append("}")
    return lines


def c_source(system: System, symmetry: Symmetry | None = None) -> str:
    """The C file of ``system``'s search (its text decides the build's cache key); with
    ``symmetry``, the search of the quotient: every successor stored as its class representative
    (:mod:`leasecheck.checker.explicit.ccanon`), as the vector explorer stores it."""
    lay = layout(system)
    w = _Writer()
    body = _successors(system, lay, w)
    if symmetry is not None:
        body += [c_canonical(symmetry, lay)]
    head = [
        f"/* leasecheck: the breadth-first search of {_comment(system.name)}, generated from its guarded commands */",
        "#define _DEFAULT_SOURCE",
        "#include <stdint.h>",
        "#include <stdlib.h>",
        "#include <string.h>",
        "#if defined(__linux__)",
        "#include <sys/mman.h>",
        "#endif",
        f"#define W {lay.words}",
        f"#define NCMD {len(system.commands)}",
        f"#define SYM {int(symmetry is not None)}",
        f"#define LC_AHEAD {AHEAD}",
        *w.declarations(),
    ]
    return "\n".join([*head, *body, _RUNTIME])


def _comment(text: str) -> str:
    return text.replace("*/", "* /")


def initial_key(system: System) -> list[int]:
    """The packed words of ``system``'s initial state."""
    lay = layout(system)
    words = [0] * lay.words
    for v, value in enumerate(system.initial):
        words[lay.word[v]] |= value << lay.shift[v]
    return words
