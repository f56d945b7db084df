/* The explicit engine's graph analyses in C: fair components and backward reachability over the
 * explored graph in CSR form (offsets int64, destinations and commands int32), as
 * checker/explicit/graphalgo.py describes. Built and loaded by that module with cffi; every
 * function returns a negative number when an allocation fails, and allocates nothing that
 * outlives it except the reverse graph it is asked to build. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
 * fairness of each settled as it is completed.
 *
 * The search is Pearce's space-saving form of Tarjan's: ``rindex`` holds a visit number while a
 * state is open and its component's number (counted down from n - 1) once the component is
 * complete, so that one int32 per state serves as index, low link and label. When a component is
 * complete its members lie on top of the stack; one more pass over their edges finds the bits of
 * the instances enabled in all of them (``everywhere``) and taken on an edge inside it
 * (``taken``), and whether it has an inner edge at all. The component is kept (``kept[c] = 1``)
 * when it has an inner edge and everywhere & ~taken == 0.
 *
 * On return ``label[v]`` is the component of v, numbered 0, 1, ... in the order the components
 * are completed, or -1 for a state not allowed. Returns the number of components, or -1 when
 * memory runs out. */
int64_t ga_fair(int64_t n, const int64_t *off, const int32_t *dst, const int32_t *cmd,
                const int64_t *cmd_bits, const uint8_t *allowed, int32_t *label, uint8_t *kept)
{
    int32_t *rindex = label;
    int32_t *stack = malloc((size_t)(n > 0 ? n : 1) * sizeof(int32_t));
    int32_t *fv = malloc((size_t)(n > 0 ? n : 1) * sizeof(int32_t));
    int64_t *fe = malloc((size_t)(n > 0 ? n : 1) * sizeof(int64_t));
    uint8_t *root = malloc((size_t)(n > 0 ? n : 1));
    if (!stack || !fv || !fe || !root) {
        free(stack); free(fv); free(fe); free(root);
        return -1;
    }
    memset(rindex, 0, (size_t)n * sizeof(int32_t));
    int64_t sp = 0, top = 0;
    int32_t index = 1, c = (int32_t)(n - 1);
    for (int64_t r = 0; r < n; r++) {
        if (!allowed[r] || rindex[r] != 0)
            continue;
        rindex[r] = index++;
        root[r] = 1;
        fv[0] = (int32_t)r;
        fe[0] = off[r];
        top = 1;
        while (top > 0) {
            int32_t v = fv[top - 1];
            int64_t e = fe[top - 1];
            if (e < off[v + 1]) {
                int32_t w = dst[e];
                fe[top - 1] = e + 1;
                if (!allowed[w])
                    continue;
                if (rindex[w] == 0) {
                    rindex[w] = index++;
                    root[w] = 1;
                    fv[top] = w;
                    fe[top] = off[w];
                    top++;
                    continue;
                }
                if (rindex[w] < rindex[v]) {
                    rindex[v] = rindex[w];
                    root[v] = 0;
                }
                continue;
            }
            top--;
            if (root[v]) {
                /* v's component: v and the stack's states above the first with a smaller index */
                int64_t first = sp;
                while (first > 0 && rindex[v] <= rindex[stack[first - 1]])
                    first--;
                index -= (int32_t)(sp - first) + 1;
                for (int64_t i = first; i < sp; i++)
                    rindex[stack[i]] = c;
                rindex[v] = c;
                int64_t everywhere = -1, taken = 0;
                int inner = 0;
                for (int64_t i = first; i <= sp; i++) {
                    int32_t u = i < sp ? stack[i] : v;
                    int64_t en = 0;
                    for (int64_t f = off[u]; f < off[u + 1]; f++) {
                        int64_t b = cmd_bits[cmd[f]];
                        int32_t x = dst[f];
                        en |= b;
                        if (allowed[x] && rindex[x] == c) {
                            taken |= b;
                            inner = 1;
                        }
                    }
                    everywhere &= en;
                }
                kept[(n - 1) - c] = (uint8_t)(inner && (everywhere & ~taken) == 0);
                sp = first;
                c--;
            } else {
                stack[sp++] = v;
            }
            if (top > 0) {
                int32_t u = fv[top - 1];
                if (rindex[v] < rindex[u]) {
                    rindex[u] = rindex[v];
                    root[u] = 0;
                }
            }
        }
    }
    free(stack); free(fv); free(fe); free(root);
    for (int64_t v = 0; v < n; v++)
        label[v] = allowed[v] ? (int32_t)((n - 1) - rindex[v]) : -1;
    return (n - 1) - c;
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
