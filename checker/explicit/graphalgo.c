/* The explicit engine's graph analyses in C: fair components and backward reachability over the
 * explored graph in CSR form (offsets int64, destinations and commands int32), as
 * checker/explicit/graphalgo.py describes. Built and loaded by that module with cffi; every
 * function returns a negative number when an allocation fails, and allocates nothing that
 * outlives it except the reverse graph it is asked to build. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A state's search asks at its visit for what the scan of its edges reads next (their
 * destinations' marks, each destination's offsets, the edges' commands): the search's loads
 * are cache misses, and a depth-first search otherwise waits for them one by one. */
#if defined(__GNUC__)
#define GA_ASK(p) __builtin_prefetch(p)
#else
#define GA_ASK(p) ((void)(p))
#endif
#define GA_VISIT(v) do { \
    for (int64_t e_ = off[v], end_ = off[(v) + 1]; e_ < end_; e_++) { \
        int32_t w_ = dst[e_]; \
        GA_ASK(mark + w_); \
        GA_ASK(off + w_); \
    } \
    GA_ASK(cmd + off[v]); \
} while (0)

/* Per expanded state, the OR of cmd_bits over its out-edges (the fair instances enabled there). */
void ga_enabled(int64_t expanded, const int64_t *off, const int32_t *cmd, const int64_t *cmd_bits, int64_t *out)
{
    for (int64_t v = 0; v < expanded; v++) {
        int64_t m = 0;
        for (int64_t e = off[v]; e < off[v + 1]; e++)
            m |= cmd_bits[cmd[e]];
        out[v] = m;
    }
}

/* Strong components of the subgraph on the states ``allowed`` marks (each one expanded), with the
 * fairness of each settled in the same pass over the edges.
 *
 * An iterative Tarjan search with one int32 per state, ``mark``: 0 for a state not visited yet,
 * its visit number (from 1) lowered to its low link while its component is open, and -(c + 1)
 * once it belongs to the completed component c (components are numbered 0, 1, ... in the order
 * they complete); a state not allowed holds INT32_MIN from the start, so each edge costs one look
 * at ``mark`` of its destination.
 *
 * An edge v -> w lies inside a component exactly when, as it is scanned, w is open (every open
 * state reaches the state being searched), or when it is the tree edge to a child w whose
 * component is still open when w is finished. So each open state carries, beside its frame, the
 * bits of the instances enabled in it (``cmd_bits`` of all its out-edges, ORed) and of those
 * taken on its inner edges; a completed component ANDs the first and ORs the second over its
 * members and is fair when it has an inner edge and none of the instances enabled in all its
 * states is missing from the taken ones.
 *
 * On return ``label[v]`` is the component of v or -1 for a state not allowed, and ``flags[v]`` is
 * 1 for a state of a fair component, 2 for a deadlock (an allowed state without out-edges) and 0
 * otherwise. Returns the number of components, or -1 when memory runs out. */
int64_t ga_fair(int64_t n, const int64_t *off, const int32_t *dst, const int32_t *cmd,
                const int64_t *cmd_bits, const uint8_t *allowed, int32_t *label, uint8_t *flags)
{
    size_t room = (size_t)(n > 0 ? n : 1);
    int32_t *mark = label;
    int32_t *fv = malloc(room * sizeof(int32_t));     /* the search's frames: state, */
    int64_t *fe = malloc(room * sizeof(int64_t));     /* next edge, */
    int64_t *fen = malloc(room * sizeof(int64_t));    /* instances enabled, */
    int64_t *ftk = malloc(room * sizeof(int64_t));    /* instances taken inside, */
    uint8_t *fst = malloc(room);                      /* 1: a root so far, 2: a self-loop */
    int32_t *sv = malloc(room * sizeof(int32_t));     /* finished open states, with */
    int64_t *sen = malloc(room * sizeof(int64_t));    /* their enabled and */
    int64_t *stk = malloc(room * sizeof(int64_t));    /* taken instances */
    if (!fv || !fe || !fen || !ftk || !fst || !sv || !sen || !stk) {
        free(fv); free(fe); free(fen); free(ftk); free(fst); free(sv); free(sen); free(stk);
        return -1;
    }
    for (int64_t v = 0; v < n; v++) {
        mark[v] = allowed[v] ? 0 : INT32_MIN;
        flags[v] = 0;
    }
    int64_t sp = 0, top = 0;
    int32_t index = 1, ncomp = 0;
    for (int64_t r = 0; r < n; r++) {
        if (mark[r] != 0)
            continue;
        mark[r] = index++;
        GA_VISIT(r);
        fv[0] = (int32_t)r; fe[0] = off[r]; fen[0] = 0; ftk[0] = 0; fst[0] = 1;
        top = 1;
        while (top > 0) {
            int64_t t = top - 1;
            int32_t v = fv[t];
            int64_t e = fe[t], end = off[v + 1];
            int descended = 0;
            while (e < end) {
                int32_t w = dst[e];
                int64_t b = cmd_bits[cmd[e]];
                int32_t m = mark[w];
                fen[t] |= b;
                e++;
                if (m == 0) {
                    fe[t] = e;
                    mark[w] = index++;
                    GA_VISIT(w);
                    fv[top] = w; fe[top] = off[w]; fen[top] = 0; ftk[top] = 0; fst[top] = 1;
                    top++;
                    descended = 1;
                    break;
                }
                if (m > 0) {  /* open: the edge is inside v's component */
                    ftk[t] |= b;
                    if (w == v)
                        fst[t] |= 2;
                    if (m < mark[v]) {
                        mark[v] = m;
                        fst[t] &= (uint8_t)~1;
                    }
                }
            }
            if (descended)
                continue;
            /* v is finished */
            top--;
            int64_t en = fen[t], tk = ftk[t];
            int still_open;
            if (fst[t] & 1) {
                /* v's component: v and the finished open states above the first with a smaller mark */
                int64_t first = sp;
                while (first > 0 && mark[v] <= mark[sv[first - 1]])
                    first--;
                int64_t everywhere = en, taken = tk;
                for (int64_t i = first; i < sp; i++) {
                    everywhere &= sen[i];
                    taken |= stk[i];
                }
                int fair = (sp > first || (fst[t] & 2)) && (everywhere & ~taken) == 0;
                int32_t done = -(ncomp + 1);
                for (int64_t i = first; i < sp; i++) {
                    mark[sv[i]] = done;
                    if (fair)
                        flags[sv[i]] = 1;
                }
                mark[v] = done;
                if (fair)
                    flags[v] = 1;
                else if (off[v] == end)
                    flags[v] = 2;
                ncomp++;
                sp = first;
                still_open = 0;
            } else {
                sv[sp] = v; sen[sp] = en; stk[sp] = tk;
                sp++;
                still_open = 1;
            }
            if (top > 0) {
                int64_t p = top - 1;
                int32_t u = fv[p];
                if (still_open) {  /* the tree edge u -> v is inside u's component */
                    ftk[p] |= cmd_bits[cmd[fe[p] - 1]];
                    if (mark[v] < mark[u]) {
                        mark[u] = mark[v];
                        fst[p] &= (uint8_t)~1;
                    }
                }
            }
        }
    }
    free(fv); free(fe); free(fen); free(ftk); free(fst); free(sv); free(sen); free(stk);
    for (int64_t v = 0; v < n; v++)
        label[v] = mark[v] == INT32_MIN ? -1 : -(mark[v] + 1);
    return ncomp;
}

/* The in-edges in CSR form: roff[n + 1] (filled here), and the source and command of each edge in
 * rsrc and rcmd (edges ordered by destination, then by source and position: a stable counting sort). */
void ga_reverse(int64_t n, int64_t expanded, const int64_t *off, const int32_t *dst, const int32_t *cmd,
                int64_t *roff, int32_t *rsrc, int32_t *rcmd)
{
    int64_t edges = off[expanded];
    memset(roff, 0, (size_t)(n + 1) * sizeof(int64_t));
    for (int64_t e = 0; e < edges; e++)
        roff[dst[e] + 1]++;
    for (int64_t v = 0; v < n; v++)
        roff[v + 1] += roff[v];
    for (int64_t u = 0; u < expanded; u++) {
        for (int64_t e = off[u]; e < off[u + 1]; e++) {
            int64_t p = roff[dst[e]]++;
            rsrc[p] = (int32_t)u;
            rcmd[p] = cmd[e];
        }
    }
    /* each roff[v] now holds the end of v's in-edges: shift back to starts */
    for (int64_t v = n; v > 0; v--)
        roff[v] = roff[v - 1];
    roff[0] = 0;
}

/* Breadth-first search backwards from the states ``seen`` marks on entry, through the in-edges;
 * a source is entered only when ``allowed`` (may be NULL) marks it and the edge's command is not
 * marked in ``skip`` (may be NULL). On return ``seen`` marks every state that reaches a target.
 * Returns the number of states marked, or -1 when memory runs out. */
int64_t ga_backward(int64_t n, const int64_t *roff, const int32_t *rsrc, const int32_t *rcmd,
                    const uint8_t *allowed, const uint8_t *skip, uint8_t *seen)
{
    int32_t *queue = malloc((size_t)(n > 0 ? n : 1) * sizeof(int32_t));
    if (!queue)
        return -1;
    int64_t head = 0, tail = 0;
    for (int64_t v = 0; v < n; v++)
        if (seen[v])
            queue[tail++] = (int32_t)v;
    while (head < tail) {
        int32_t v = queue[head++];
        for (int64_t p = roff[v]; p < roff[v + 1]; p++) {
            int32_t u = rsrc[p];
            if (seen[u] || (allowed && !allowed[u]) || (skip && skip[rcmd[p]]))
                continue;
            seen[u] = 1;
            queue[tail++] = u;
        }
    }
    free(queue);
    return tail;
}
