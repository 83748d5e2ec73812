/* BKT forward filtering over a time-major layout: the online path's inner loop in C.
 *
 * The numpy path (`adaptive.tracing.bkt_engine._filter_steps`) runs a handful of array
 * operations per step of the longest sequence; with a few thousand responses per call most of
 * its time is the cost of those calls, not arithmetic. This loop does the same arithmetic, in
 * the same order (built with -ffp-contract=off: no fused multiply-add), so both paths give the
 * same bits; `bkt_engine` uses it when the build has it and falls back to numpy otherwise.
 *
 * Loaded with ctypes (no Python API): it is a shared library, not an importable module.
 */
#include <stdint.h>
#include <stdlib.h>

/* terms: (n_codes, 6) row-major per `2 * class + correct`: gain, like_known, like_unknown,
 * learn, 1 - slip - guess, guess. The step is
 * x -> min(1, learn + x * gain / (x * like_known + (1 - x) * like_unknown)); the prediction
 * is guess + x * (1 - slip - guess). The denominator is written as the two likelihoods'
 * mix, never as x * (known - unknown) + unknown: at x = 1 with a near-impossible answer (a
 * wrong one with P(slip) 1e-10) that form cancels to a few ulp of noise, and P(known) left
 * [0, 1] (P(correct) 1.43 and -1.8 were measured on ASSIST2009's item-level ML fits).
 *
 * offsets (n_steps + 1): block k of the time-major layout is offsets[k] .. offsets[k + 1];
 * its i-th entry belongs to the sequence of rank i. code (N): time-major code of each entry.
 * order (N): input index of each time-major position. state (n_seq): P(known) before each
 * sequence on entry, after its last entry (and transition) on return. p_out (N): P(correct)
 * of each entry, in input order. */
void bkt_filter(int64_t n_steps, const int64_t *offsets, const int64_t *code,
                const int64_t *order, const double *terms, double *state, double *p_out)
{
    for (int64_t k = 0; k < n_steps; k++) {
        const int64_t lo = offsets[k], hi = offsets[k + 1];
        for (int64_t i = lo; i < hi; i++) {
            const double *t = terms + 6 * code[i];
            const double x = state[i - lo];
            double pred = x * t[4];
            pred = pred + t[5];
            p_out[order[i]] = pred;
            double den = x * t[1];
            double rest = 1.0 - x;
            rest = rest * t[2];
            den = den + rest;
            double num = x * t[0];
            num = num / den;
            num = num + t[3];
            state[i - lo] = num > 1.0 ? 1.0 : num;
        }
    }
}

/* The time-major layout of `build_layout(seq_key, group)` (the online path's grouping by a
 * small code, e.g. each entry's skill in a student-sorted log), the same arrays bit for bit.
 *
 * group (N): codes 0 .. n_groups - 1; among the entries of one code each sequence's entries
 * are contiguous. Outputs: order (N), offsets (N + 1, the first n_steps + 1 used), seq_length
 * (N, the first n_seq used). Returns n_seq and writes n_steps; -1 when out of memory. */
int64_t bkt_layout(int64_t n, const int64_t *seq_key, const int64_t *group, int64_t n_groups,
                   int64_t *order, int64_t *offsets, int64_t *seq_length, int64_t *n_steps)
{
    int64_t *by_key = malloc(sizeof(int64_t) * n);
    int64_t *sorted_key = malloc(sizeof(int64_t) * n);
    int64_t *start = malloc(sizeof(int64_t) * n);
    int64_t *length = malloc(sizeof(int64_t) * n);
    int64_t *count = calloc(n_groups + 1, sizeof(int64_t));
    int64_t n_seq = 0, longest = 0;
    if (!by_key || !sorted_key || !start || !length || !count) {
        n_seq = -1;
        goto done;
    }
    /* a stable counting sort of the entries by group */
    for (int64_t i = 0; i < n; i++) count[group[i] + 1]++;
    for (int64_t g = 0; g < n_groups; g++) count[g + 1] += count[g];
    for (int64_t i = 0; i < n; i++) {
        const int64_t to = count[group[i]]++;
        by_key[to] = i;
        sorted_key[to] = seq_key[i]; /* written here: read in order below, not gathered */
    }
    /* sequences: runs of one key in that order */
    for (int64_t i = 0; i < n; i++) {
        if (i == 0 || sorted_key[i] != sorted_key[i - 1]) {
            start[n_seq] = i;
            length[n_seq] = 0;
            n_seq++;
        }
        if (++length[n_seq - 1] > longest) longest = length[n_seq - 1];
    }
    /* ranks: longest first, ties in sequence order; `above[l]` = sequences longer than l */
    int64_t *above = calloc(longest + 2, sizeof(int64_t));
    if (!above) {
        n_seq = -1;
        goto done;
    }
    for (int64_t s = 0; s < n_seq; s++) above[length[s] - 1]++;
    for (int64_t l = longest - 1; l > 0; l--) above[l - 1] += above[l];
    /* above[k] now counts sequences of length > k: the size of block k */
    offsets[0] = 0;
    for (int64_t k = 0; k < longest; k++) offsets[k + 1] = offsets[k] + above[k];
    /* next free rank per length: sequences longer than l come first */
    for (int64_t l = 1; l <= longest; l++) above[l - 1] = (l < longest) ? above[l] : 0;
    for (int64_t s = 0; s < n_seq; s++) {
        const int64_t rank = above[length[s] - 1]++;
        seq_length[rank] = length[s];
        for (int64_t j = 0; j < length[s]; j++) order[offsets[j] + rank] = by_key[start[s] + j];
    }
    free(above);
    *n_steps = longest;
done:
    free(by_key);
    free(sorted_key);
    free(start);
    free(length);
    free(count);
    return n_seq;
}
