"""C source of the symmetry reduction's canonical form, for the compiled explorer.

:func:`c_canonical` writes the C functions that map a packed state to its class representative:
exactly the representative of :class:`~leasecheck.checker.symmetry.Symmetry` (the state decoded
from the smallest sequence of client keys, over every renaming of the enumerated ids, the fixed
clients' keys first and the others' sorted), so that the compiled and the vector explorers
number the same classes in the same order.

Trying every renaming of the enumerated ids (DHCP: 5! = 120 address permutations at 5x5, 720 at
6x6) is what made canonical forms the bulk of a reduced search. The generated code finds the
same minimum by refining an *ordered partition* of the enumerated ids instead: the renamings
still in the running are exactly those that send the ids of the partition's first cell to the
first positions, those of the second to the next ones, and so on. The minimum is taken position
by position of the key sequence (the first key decides first):

* one client's smallest key over the renamings of a partition is reached by sending, within
  every cell, the ids in the client's most significant set first (then the next set, ...), and
  then, for each of its renamed fields from the most significant, the id the value names first
  in its cell; those renamings are again a partition (the cells split), so the smallest key and
  every renaming that reaches it are known without enumerating them;
* for a free position the smallest key is the smallest over the clients not placed yet; when
  several clients (or several partitions) reach it, each stays as a branch of its own, and
  duplicate branches are merged. Clients whose own variables are the same and whose sets are
  empty give the same branch, so only the first of them is tried.

This needs every renamed value to name at most one enumerated id, its renamed index a strictly
increasing function of that id's new position (true of the DHCP model's domains, which list
addresses in order): :class:`NotCompilable` otherwise, and the engine reduces with the vector
explorer. When the branches exceed :data:`MAX_BRANCHES` the state falls back to trying every
renaming (``lc_canon_full``, also exported for the tests), so the result is the same either way.

May import: leasecheck.errors, leasecheck.checker.symmetry, leasecheck.checker.explicit.pack.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from leasecheck.checker.explicit.pack import Layout
from leasecheck.checker.symmetry import Symmetry
from leasecheck.errors import UserError

#: the branches (partitions with the clients placed so far) kept at one position at most
MAX_BRANCHES = 256

#: the most enumerated ids the generated code takes (partitions are bit sets of a 32-bit word)
MAX_ENUMERATED = 16


class NotCompilable(UserError):
    """The declared symmetry is of a shape the generated canonical form does not cover (the
    compiled explorer turns it into its own unavailability: the vector explorer reduces)."""


def _array(ctype: str, name: str, values: Sequence[int] | Sequence[Sequence[int]] | np.ndarray, dims: Sequence[int]) -> str:
    flat = [int(v) for v in np.asarray(values, dtype=object).ravel()] or [0]
    shape = "".join(f"[{max(1, d)}]" for d in dims)
    text = [f"{v:#x}ULL" for v in flat] if ctype == "uint64_t" else [str(v) for v in flat]
    return f"static const {ctype} {name}{shape} = {{{', '.join(text)}}};"


def _renamed_values(sym: Symmetry, group: str, size: int) -> tuple[list[int], list[list[int]]]:
    """Per value index of a renamed field: the enumerated id it names (-1: none) and its new
    index per new position of that id."""
    table = sym.tables[group]  # [permutation][value] -> new value index
    perms = np.asarray(sym.perms, dtype=np.int64).reshape(len(sym.perms), sym.addresses)
    A = max(1, sym.addresses)
    named, new = [], []
    for v in range(size):
        col = table[:, v]
        if (col == col[0]).all():
            named.append(-1)
            new.append([int(col[0])] * A)
            continue
        depends = False  # on the new position of one id alone
        for a in range(sym.addresses):
            by_pos = [set(col[perms[:, a] == pos].tolist()) for pos in range(sym.addresses)]
            if all(len(s) == 1 for s in by_pos):
                depends = True
                row = [next(iter(s)) for s in by_pos]
                if all(x < y for x, y in zip(row, row[1:], strict=False)):
                    named.append(a)
                    new.append(row)
                    break
        else:
            raise NotCompilable(f"a value of {group} " + (
                f"does not grow with the position of the {sym.enumerated.name} it names" if depends
                else f"names more than one {sym.enumerated.name}"))
    return named, new


def c_canonical(sym: Symmetry, lay: Layout) -> str:
    """The C functions ``lc_canon`` (pruned) and ``lc_canon_full`` (every renaming) of ``sym``
    over packed states of layout ``lay``."""
    C, A, T = sym.clients, sym.addresses, len(sym.slots)
    if A > MAX_ENUMERATED:
        raise NotCompilable(f"more than {MAX_ENUMERATED} {sym.enumerated.plural}")
    if C > 32:
        raise NotCompilable(f"more than 32 {sym.keyed.plural}")
    system = sym.system
    base = [f for f in sym.fields if not f.renames]
    renamed = sorted((f for f in sym.fields if f.renames), key=lambda f: -f.shift)
    dmax = max([len(system.variables[f.variables[0]].domain) for f in renamed] or [1])
    named = np.full((len(renamed), dmax), -1, dtype=np.int64)
    new = np.zeros((len(renamed), dmax, max(1, A)), dtype=np.int64)
    for i, f in enumerate(renamed):
        size = len(system.variables[f.variables[0]].domain)
        n, m = _renamed_values(sym, f.group, size)
        named[i, :size] = n
        new[i, :size] = m
    positions = list(sym.fixed) + list(sym.free)
    lines = [
        "/* the symmetry reduction's canonical form (ccanon.py) */",
        f"#define SC {C}", f"#define SA {A}", f"#define ST {T}", f"#define SFIX {len(sym.fixed)}",
        f"#define SNR {len(renamed)}", f"#define SSETS {sym.set_shift}",
        f"#define SMAXB {MAX_BRANCHES}",
        _array("int16_t", "s_pos", positions, [C]),
        _array("uint8_t", "s_ren_shift", [f.shift for f in renamed], [len(renamed)]),
        _array("int16_t", "s_ren_named", named, [len(renamed), dmax]),
        _array("uint16_t", "s_ren_new", new, [len(renamed), dmax, max(1, A)]),
        _array("uint8_t", "s_slot_word", [[lay.word[v] for v in s.variables] for s in sym.slots], [T, A]),
        _array("uint8_t", "s_slot_shift", [[lay.shift[v] for v in s.variables] for s in sym.slots], [T, A]),
        _array("uint64_t", "s_slot_mask", [[lay.field_mask(v) for v in s.variables] for s in sym.slots], [T, A]),
        _TYPES,
        *_read(sym, lay, base, renamed),
        *_decode(sym, lay),
        _CANON,
    ]
    return "\n".join(lines)


def _get(lay: Layout, v: int) -> str:
    """C: variable ``v``'s value index in the packed key ``k``."""
    return f"((k[{lay.word[v]}] >> {lay.shift[v]}) & {(1 << lay.width[v]) - 1}u)"


def _read(sym: Symmetry, lay: Layout, base: list, renamed: list) -> list[str]:
    """``lc_sym_read``: a packed state's per-client parts, written out variable by variable."""
    out = ["static void lc_sym_read(const uint64_t *k, lc_sym_in *s) {", "    memset(s, 0, sizeof *s);"]
    for c in range(sym.clients):
        parts = [f"((uint64_t){_get(lay, f.variables[c])} << {f.shift})" for f in base] or ["0"]
        out.append(f"    s->base[{c}] = {' | '.join(parts)};")
        for i, f in enumerate(renamed):
            out.append(f"    s->ren[{c}][{i}] = (uint16_t){_get(lay, f.variables[c])};")
            out.append(f"    s->named[{c}][{i}] = (int8_t)s_ren_named[{i}][s->ren[{c}][{i}]];")
    for t, slot in enumerate(sym.slots):
        size = len(sym.system.variables[slot.variables[0]].domain)
        owner = [-1] * size
        for c, index in enumerate(slot.index):
            owner[index] = c
        out.append(f"    {{ static const int8_t owner[{size}] = {{{', '.join(map(str, owner))}}};")
        for a, v in enumerate(slot.variables):
            out.append(f"      {{ int c = owner[{_get(lay, v)}]; if (c >= 0) s->set[c][{t}] |= {1 << a}u; }}")
        out.append("    }")
    out.append("    for (int c = 0; c < SC; c++) {")
    out.append("        uint32_t any = 0;")
    out.append("        for (int t = 0; t < ST; t++) any |= s->set[c][t];")
    out.append("        if (!any) s->plain |= 1u << c;")
    out.append("    }")
    out.append("}")
    return out


def _decode(sym: Symmetry, lay: Layout) -> list[str]:
    """``lc_sym_decode``: the representative whose key sequence is ``seq`` (positions fixed...,
    free...), packed, its scalars those of ``in``; written out field by field."""
    keep = [0] * lay.words  # the scalars' bits
    empty = [0] * lay.words  # every slot variable at its one value naming no client
    for v in sym.scalars:
        keep[lay.word[v]] |= lay.field_mask(v)
    for slot in sym.slots:
        for v in slot.variables:
            empty[lay.word[v]] = (empty[lay.word[v]] & ~lay.field_mask(v)) | (slot.empty << lay.shift[v])
    out = ["static void lc_sym_decode(const uint64_t *seq, const uint64_t *in, uint64_t *out) {"]
    for w in range(lay.words):
        out.append(f"    out[{w}] = (in[{w}] & {keep[w]:#x}ULL) | {empty[w]:#x}ULL;")
    positions = list(sym.fixed) + list(sym.free)
    for j, c in enumerate(positions):
        out.append(f"    {{ const uint64_t k = seq[{j}];")
        for f in sym.fields:
            v = f.variables[c]
            out.append(f"      out[{lay.word[v]}] |= ((k >> {f.shift}) & {(1 << f.width) - 1}ULL) << {lay.shift[v]};")
        for t, slot in enumerate(sym.slots):
            out.append(f"      for (uint32_t m = (uint32_t)(k >> {sym.set_shift + sym.addresses * t}) & "
                       f"{(1 << sym.addresses) - 1}u; m; m &= m - 1) {{")
            out.append("        int a = __builtin_ctz(m);")
            out.append(f"        out[s_slot_word[{t}][a]] = (out[s_slot_word[{t}][a]] & ~s_slot_mask[{t}][a]) | "
                       f"((uint64_t){slot.index[c]} << s_slot_shift[{t}][a]);")
            out.append("      }")
        out.append("    }")
    out.append("}")
    return out


_TYPES = r"""
typedef struct {
    uint64_t base[SC];          /* the fields no renaming changes, in place */
    uint16_t ren[SC][SNR + 1];  /* the renamed fields' value indexes, most significant first */
    int8_t named[SC][SNR + 1];  /* the enumerated id each names (-1: none) */
    uint32_t set[SC][ST + 1];   /* per slot, the enumerated ids whose variable names the client */
    uint32_t plain;             /* clients with no set: their keys differ by their own fields only */
} lc_sym_in;

"""

_CANON = r"""
/* client c's key when enumerated id a goes to position pi[a] */
static uint64_t lc_sym_key(const lc_sym_in *s, int c, const uint8_t *pi) {
    uint64_t k = s->base[c];
    for (int f = 0; f < SNR; f++) {
        unsigned v = s->ren[c][f];
        int a = s_ren_named[f][v];
        k |= (uint64_t)s_ren_new[f][v][a < 0 ? 0 : pi[a]] << s_ren_shift[f];
    }
    for (int t = 0; t < ST; t++) {
        uint32_t m = s->set[c][t], bits = 0;
        while (m) {
            int a = __builtin_ctz(m);
            m &= m - 1;
            bits |= 1u << pi[a];
        }
        k |= (uint64_t)bits << (SSETS + SA * t);
    }
    return k;
}

/* every renaming tried: the definition itself (the pruned search's fallback, and its check) */
static void lc_canon_full_one(const uint64_t *in, uint64_t *out) {
    lc_sym_in s;
    lc_sym_read(in, &s);
    uint8_t perm[SA + 1], pi[SA + 1];
    int stack[SA + 1];
    for (int a = 0; a < SA; a++) { perm[a] = (uint8_t)a; stack[a] = 0; }
    uint64_t best[SC], keys[SC];
    int have = 0, i = 0;
    for (;;) {
        for (int a = 0; a < SA; a++) pi[a] = perm[a];
        for (int j = 0; j < SC; j++) keys[j] = lc_sym_key(&s, s_pos[j], pi);
        for (int j = SFIX + 1; j < SC; j++) {  /* the free clients' keys sorted */
            uint64_t x = keys[j];
            int m = j - 1;
            while (m >= SFIX && keys[m] > x) { keys[m + 1] = keys[m]; m--; }
            keys[m + 1] = x;
        }
        int less = !have;
        for (int j = 0; j < SC && have; j++) {
            if (keys[j] != best[j]) { less = keys[j] < best[j]; break; }
        }
        if (less) { memcpy(best, keys, sizeof best); have = 1; }
        /* the next permutation (Heap's algorithm) */
        while (i < SA && stack[i] >= i) { stack[i] = 0; i++; }
        if (i >= SA) break;
        int j2 = (i % 2 == 0) ? 0 : stack[i];
        uint8_t tmp = perm[j2]; perm[j2] = perm[i]; perm[i] = tmp;
        stack[i]++;
        i = 0;
    }
    lc_sym_decode(best, in, out);
}

/* an ordered partition of the enumerated ids, with the clients placed so far. A cell is a set of
   ids sent to consecutive positions; the partition is held as each id's cell start (4 bits an
   id, id a at bits 4a..4a+3: SA <= 16), the ids of one cell sharing their start. The order of
   the ids within a cell is not kept: a client's key once refined (lc_refine) depends on the
   cells alone (its sets are unions of whole cells, each id it names a cell of its own), so two
   branches with the same cells and the same clients placed have the same continuations and
   are one branch. */
typedef struct {
    uint64_t r;
    uint32_t used;
} lc_branch;

#define LC_NIB(x, i) ((unsigned)(((x) >> (4 * (i))) & 15u))
#define LC_ALL ((uint32_t)((1ULL << SA) - 1u))

/* the nibbles of ids 0..SA-1, and their low bits */
static const uint64_t lc_nibs = (SA >= 16) ? ~0ULL : ((1ULL << (4 * SA)) - 1u);
#define LC_ONES (0x1111111111111111ULL & lc_nibs)

/* within every cell the ids in m go first (the cell splits in two when both parts have ids):
   an id outside m moves on by the count of m's ids in its cell. *bits: the positions of m's ids
   (the first positions of every cell m meets, as many as it has there). A count reaches 16
   only when m is every id of a 16-id cell, that is m is every id: then nothing moves. */
static inline uint64_t lc_split(uint64_t r, uint32_t m, uint32_t *bits) {
    if (m == LC_ALL) { *bits = LC_ALL; return r; }
    uint64_t cnt = 0;  /* per cell start, how many of m's ids the cell holds */
    for (uint32_t x = m; x; x &= x - 1) cnt += 1ULL << (4 * LC_NIB(r, __builtin_ctz(x)));
    uint32_t occ = 0;
    for (uint32_t x = m; x; x &= x - 1) {
        unsigned p = LC_NIB(r, __builtin_ctz(x));
        occ |= ((1u << LC_NIB(cnt, p)) - 1u) << p;
    }
    for (uint32_t x = LC_ALL & ~m; x; x &= x - 1) {
        int a = __builtin_ctz(x);
        r += (uint64_t)LC_NIB(cnt, LC_NIB(r, a)) << (4 * a);
    }
    *bits = occ;
    return r;
}

/* id a first in its cell, alone: the other ids of its cell move on by one (their nibbles found
   equal to a's start all at once: a nibble of r ^ start*ONES is zero exactly there) */
static inline uint64_t lc_single(uint64_t r, int a) {
    uint64_t t = r ^ (LC_ONES * LC_NIB(r, a));
    const uint64_t low3 = 0x7777777777777777ULL;
    uint64_t zero = ~(((t & low3) + low3) | t) & 0x8888888888888888ULL;  /* high bit of each zero nibble */
    return r + ((zero >> 3) & LC_ONES & ~(0xFULL << (4 * a)));
}

/* the smallest key of client c over b's renamings; b narrowed to those that reach it: its sets
   first (most significant first), each splitting the cells, then each id its renamed fields
   name (most significant first) alone in its cell, at the first position of the cell */
static uint64_t lc_refine(const lc_sym_in *s, lc_branch *b, int c) {
    uint64_t k = s->base[c], r = b->r;
    for (int t = ST - 1; t >= 0; t--) {
        uint32_t m = s->set[c][t], bits = 0;
        if (m) r = lc_split(r, m, &bits);
        k |= (uint64_t)bits << (SSETS + SA * t);
    }
    for (int f = 0; f < SNR; f++) {
        int a = s->named[c][f];
        unsigned p = 0;
        if (a >= 0) { r = lc_single(r, a); p = LC_NIB(r, a); }
        k |= (uint64_t)s_ren_new[f][s->ren[c][f]][p] << s_ren_shift[f];
    }
    b->r = r;
    return k;
}

/* the number of bits set in m (in line: without a CPU option, the compiler's own is a call) */
static inline int lc_bits(uint32_t m) {
    m = m - ((m >> 1) & 0x55555555u);
    m = (m & 0x33333333u) + ((m >> 2) & 0x33333333u);
    return (int)((((m + (m >> 4)) & 0x0F0F0F0Fu) * 0x01010101u) >> 24);
}

/* a lower bound of client c's key under any renaming: its most significant set at the first
   positions, its next set at the first positions left, every renamed field at its smallest value */
static uint64_t lc_bound(const lc_sym_in *s, int c) {
    uint64_t k = s->base[c];
    for (int f = 0; f < SNR; f++) k |= (uint64_t)s_ren_new[f][s->ren[c][f]][0] << s_ren_shift[f];
#if ST >= 1
    uint32_t top = s->set[c][ST - 1];
    int n = lc_bits(top);
    k |= (uint64_t)((1u << n) - 1u) << (SSETS + SA * (ST - 1));
#if ST >= 2
    uint32_t next = s->set[c][ST - 2];
    int both = lc_bits(next & top), rest = lc_bits(next & ~top);
    k |= (uint64_t)(((1u << both) - 1u) | (((1u << rest) - 1u) << n)) << (SSETS + SA * (ST - 2));
#endif
#endif
    return k;
}

static int lc_same_branch(const lc_branch *x, const lc_branch *y) {
    return x->r == y->r && x->used == y->used;
}

/* the representative of one packed state: 0, or 1 when the branches overflowed and every
   renaming was tried instead */
static int lc_canon_one(const uint64_t *in, uint64_t *out) {
    lc_sym_in s;
    lc_sym_read(in, &s);
    static lc_branch bufs[2][SMAXB];  /* the search is single-threaded */
    lc_branch *cur = bufs[0], *nxt = bufs[1];
    cur[0].r = 0;  /* one cell: every id at position 0 */
    cur[0].used = 0;
    /* the free clients in the order of a lower bound of their keys (lc_bound), so that a
       position stops at the first whose bound exceeds the best key found */
    uint64_t lb[SC];
    int order[SC];
    uint32_t twins[SC];
    int nfree = 0;
    for (int q = SFIX; q < SC; q++) {
        int c = s_pos[q];
        lb[c] = lc_bound(&s, c);
        int m = nfree++;
        while (m > 0 && lb[order[m - 1]] > lb[c]) { order[m] = order[m - 1]; m--; }
        order[m] = c;
        /* an earlier unplaced client just like it (own variables, no set) gives the same branch */
        twins[c] = 0;
        if ((s.plain >> c) & 1u)
            for (int r = SFIX; r < q; r++) {
                int d = s_pos[r];
                if (((s.plain >> d) & 1u) && s.base[d] == s.base[c] && memcmp(s.ren[d], s.ren[c], sizeof s.ren[c]) == 0)
                    twins[c] |= 1u << d;
            }
    }
    int nb = 1;
    uint64_t seq[SC];
    for (int j = 0; j < SC; j++) {
        uint64_t best = UINT64_MAX;
        int nn = 0;
        for (int bi = 0; bi < nb; bi++) {
            const lc_branch *b = cur + bi;
            for (int q = 0; q < (j < SFIX ? 1 : nfree); q++) {
                int c = j < SFIX ? s_pos[j] : order[q];
                if (j >= SFIX) {
                    if ((b->used >> c) & 1u) continue;
                    if (lb[c] > best) break;
                    if (twins[c] & ~b->used) continue;
                }
                lc_branch x = *b;
                uint64_t k = lc_refine(&s, &x, c);
                if (k > best) continue;
                if (k < best) { best = k; nn = 0; }
                x.used |= 1u << c;
                int dup = 0;
                for (int m = 0; m < nn && !dup; m++) dup = lc_same_branch(nxt + m, &x);
                if (dup) continue;
                if (nn == SMAXB) { lc_canon_full_one(in, out); return 1; }
                nxt[nn++] = x;
            }
        }
        seq[j] = best;
        lc_branch *t = cur; cur = nxt; nxt = t;
        nb = nn;
    }
    lc_sym_decode(seq, in, out);
    return 0;
}

/* the representatives of n packed states (full: every renaming tried); the count of states
   that fell back to trying every renaming */
int64_t lc_canonical(const uint64_t *in, uint64_t *out, int64_t n, int full) {
    int64_t fell = 0;
    for (int64_t i = 0; i < n; i++) {
        if (full) lc_canon_full_one(in + i * W, out + i * W);
        else fell += lc_canon_one(in + i * W, out + i * W);
    }
    return fell;
}
"""
