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

/* terms: (n_codes, 6) row-major per `2 * class + correct`: gain, slope, base, learn,
 * 1 - slip - guess, guess. The step is x -> learn + x * gain / (x * slope + base); the
 * prediction is guess + x * (1 - slip - guess).
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
            den = den + t[2];
            double num = x * t[0];
            num = num / den;
            state[i - lo] = num + t[3];
        }
    }
}
