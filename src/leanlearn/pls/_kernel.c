/* The bootstrap's per-resample steps, one data set at a time, in C.
 *
 * leanlearn.pls.kernel loads this file's shared object with ctypes and calls its functions:
 * ll_iterate runs the steps of leanlearn.pls.iteration._iterate_rows (see its docstring for
 * the algebra) on each data set of a batch of item correlation matrices (b, p, p), C order,
 * in turn: a data set's correlation matrix (p * p doubles, 7.7 kB at p = 31) stays in the
 * CPU's first-level cache for all its iterations, instead of one pass over the whole batch
 * per step. ll_correlations, ll_htmt, ll_inverse, ll_paths, ll_counts, ll_products and ll_draw_counts are the other
 * steps whose NumPy forms were overhead rather than arithmetic (each names its NumPy form).
 *
 * Every data set is computed by the same sequence of floating-point operations whatever the
 * batch it comes in, so results do not depend on how the resamples are split between blocks
 * or worker processes. No Python API is used; the module init function only lets the file be
 * an importable extension module. ll_abi() names the version of these functions.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { SCHEME_PATH = 0, SCHEME_FACTORIAL = 1, SCHEME_CENTROID = 2 };

/* Solve L x = y in place for a small symmetric positive definite L (k x k,
 * row-major in a), y in x: Gauss-Jordan elimination without pivoting, the
 * same steps as leanlearn.pls.iteration._small_spd_solve. Only the columns
 * right of the pivot are updated (those left of it are already those of the
 * identity), which leaves x as the full elimination gives it. A singular L
 * gives non-finite values, which fail the data set at the stop rule. */
static void spd_solve(double *a, double *x, int64_t k)
{
    for (int64_t i = 0; i < k; i++) {
        double d = a[i * k + i];
        for (int64_t c = i + 1; c < k; c++)
            a[i * k + c] /= d;
        x[i] /= d;
        for (int64_t r = 0; r < k; r++) {
            if (r == i)
                continue;
            double f = a[r * k + i];
            for (int64_t c = i + 1; c < k; c++)
                a[r * k + c] -= f * a[i * k + c];
            x[r] -= f * x[i];
        }
    }
}

static double sign_of(double v)
{
    if (isnan(v))
        return v;
    return (double)((v > 0.0) - (v < 0.0));
}

/* The inner model's structure, worked out once per call of ll_iterate: the construct pairs
 * joined by a path (either direction; the only entries of the inner weights that can be
 * nonzero), the pairs whose composite covariance the iterations read (joined by a path or
 * predecessors of the same construct) and every construct's predecessors. */
typedef struct {
    int64_t nnz, nneed;
    int64_t *nz_l, *nz_k;     /* joined pairs (l, k), ordered by l, then k */
    int64_t *need_l, *need_k; /* needed pairs l < k */
    int64_t *pstart, *plist;  /* predecessors of construct j: plist[pstart[j] .. pstart[j + 1] - 1] */
    int64_t *space;
} Structure;

static int structure_init(Structure *st, const double *adj, int64_t K)
{
    st->space = malloc(sizeof(int64_t) * (6 * K * K + K + 1));
    if (st->space == NULL)
        return -1;
    st->nz_l = st->space;
    st->nz_k = st->nz_l + K * K;
    st->need_l = st->nz_k + K * K;
    st->need_k = st->need_l + K * K;
    st->plist = st->need_k + K * K;
    st->pstart = st->plist + K * K;
    int64_t *mark = st->pstart + K + 1; /* K * K: 1 where a pair l < k is needed */
    memset(mark, 0, sizeof(int64_t) * K * K);
    st->nnz = 0;
    for (int64_t l = 0; l < K; l++)
        for (int64_t k = 0; k < K; k++)
            if (adj[l * K + k] != 0.0 || adj[k * K + l] != 0.0) {
                st->nz_l[st->nnz] = l;
                st->nz_k[st->nnz++] = k;
                if (l < k)
                    mark[l * K + k] = 1;
            }
    int64_t at = 0;
    for (int64_t j = 0; j < K; j++) {
        st->pstart[j] = at;
        for (int64_t i = 0; i < K; i++)
            if (adj[i * K + j] != 0.0)
                st->plist[at++] = i;
        for (int64_t r = st->pstart[j]; r < at; r++)
            for (int64_t c = r + 1; c < at; c++)
                mark[st->plist[r] * K + st->plist[c]] = 1; /* predecessors are listed in increasing order */
    }
    st->pstart[K] = at;
    st->nneed = 0;
    for (int64_t l = 0; l < K; l++)
        for (int64_t k = l + 1; k < K; k++)
            if (mark[l * K + k]) {
                st->need_l[st->nneed] = l;
                st->need_k[st->nneed++] = k;
            }
    return 0;
}

/* Inner weights Et (K x K, row-major; entries off the joined pairs stay 0) from the construct
 * correlations C. adj[i * K + j] = 1 when construct i points to construct j. Path scheme:
 * Et[l, k] = C[l, k] when k points to l (l a successor of k), and for every endogenous j the
 * OLS coefficients of j on its predecessors P in Et[P, j]; factorial: C on both directions;
 * centroid: sign(C) on both. */
static void inner_weights(const double *C, const double *adj, int64_t K, int scheme, const Structure *st, double *Et,
                          double *work)
{
    for (int64_t t = 0; t < st->nnz; t++) {
        int64_t l = st->nz_l[t], k = st->nz_k[t];
        double both = adj[l * K + k] + adj[k * K + l];
        if (scheme == SCHEME_FACTORIAL)
            Et[l * K + k] = C[l * K + k] * both;
        else if (scheme == SCHEME_CENTROID)
            Et[l * K + k] = sign_of(C[l * K + k]) * both;
        else
            Et[l * K + k] = C[l * K + k] * adj[k * K + l];
    }
    if (scheme != SCHEME_PATH)
        return;
    for (int64_t j = 0; j < K; j++) {
        const int64_t *preds = st->plist + st->pstart[j];
        int64_t np = st->pstart[j + 1] - st->pstart[j];
        if (np == 0)
            continue;
        double *L = work, *x = work + np * np;
        for (int64_t r = 0; r < np; r++) {
            for (int64_t c = 0; c < np; c++)
                L[r * np + c] = C[preds[r] * K + preds[c]];
            x[r] = C[preds[r] * K + j];
        }
        spd_solve(L, x, np);
        for (int64_t r = 0; r < np; r++)
            Et[preds[r] * K + j] = x[r];
    }
}

/* sum over i in [a, e) of u[i] v[i] */
static double segment_dot(const double *u, const double *v, int64_t a, int64_t e)
{
    double acc = 0.0;
    for (int64_t i = a; i < e; i++)
        acc += u[i] * v[i];
    return acc;
}

/* The item-composite correlations rw (p, K) = R (w ⊙ O) and composite correlations
 * c (K, K) = (w ⊙ O)' R (w ⊙ O) of one data set with final weights w, from scratch
 * (the iterated data sets take them from their last pass instead). */
static void composite_correlations(const double *rw, const double *w, int64_t K, const int64_t *start, double *c)
{
    /* c[l, k] = sum over i in block l of w[i] rw[i, k]: (w ⊙ O)' RW */
    for (int64_t l = 0; l < K; l++)
        for (int64_t k = 0; k < K; k++) {
            double acc = 0.0;
            for (int64_t i = start[l]; i < start[l + 1]; i++)
                acc += w[i] * rw[i * K + k];
            c[l * K + k] = acc;
        }
}

static void final_moments(const double *Rs, const double *w, int64_t p, int64_t K, const int64_t *start, double *rw,
                          double *c)
{
    for (int64_t i = 0; i < p; i++)
        for (int64_t l = 0; l < K; l++) {
            double acc = 0.0;
            for (int64_t j = start[l]; j < start[l + 1]; j++)
                acc += Rs[i * p + j] * w[j];
            rw[i * K + l] = acc;
        }
    composite_correlations(rw, w, K, start, c);
}

/* The PLS iterations on b correlation matrices R (b, p, p).
 *
 * start (K + 1): construct k's indicators are columns start[k] .. start[k + 1] - 1.
 * inv_offset (K): for a Mode B construct, the offset of its block's inverse
 *   correlation matrix within a data set's row of inv (b, inv_width); -1 for Mode A.
 * adj (K, K), scheme, tolerance, max_iterations: the inner model and settings.
 * active (b): 1 for a data set to iterate (0: failed before; weights left at 1).
 * Outputs: w (b, p) the weights scaled to unit-variance composites; iterations
 *   (b) the 0-based iteration at which the data set stopped; active (b) is set to
 *   0 when the data set stopped (converged or failed) and left 1 when it reached
 *   the iteration limit; bad (b) is set to 1 when the weights became non-finite;
 *   unless NULL, rw (b, p, K) and c (b, K, K) the item-composite and composite
 *   correlations at the weights w (R (w ⊙ O) and its cross product with w ⊙ O).
 * Returns 0, or -1 when the work space could not be allocated.
 */
int ll_iterate(int64_t b, int64_t p, int64_t K, const double *R, const int64_t *start, const int64_t *inv_offset,
               const double *inv, int64_t inv_width, const double *adj, int scheme, double tolerance,
               int64_t max_iterations, double *w, int64_t *iterations, uint8_t *active, uint8_t *bad, double *rw_out,
               double *c_out)
{
    Structure st;
    int64_t *block = malloc(sizeof(int64_t) * p);
    double *space = malloc(sizeof(double) * (4 * p + K * p + 4 * K * K + K + K * K + K));
    if (block == NULL || space == NULL || structure_init(&st, adj, K) != 0) {
        free(block);
        free(space);
        return -1;
    }
    double *T = space, *prev = T + p, *next = prev + p, *tmp = next + p;
    double *RW = tmp + p, *Cu = RW + K * p, *C = Cu + K * K, *Et = C + K * K, *E = Et + K * K;
    double *scale = E + K * K, *work = scale + K;
    for (int64_t k = 0; k < K; k++)
        for (int64_t i = start[k]; i < start[k + 1]; i++)
            block[i] = k;
    memset(Et, 0, sizeof(double) * K * K);

    for (int64_t s = 0; s < b; s++) {
        double *ws = w + s * p;
        for (int64_t i = 0; i < p; i++)
            ws[i] = 1.0;
        iterations[s] = 0;
        const double *Rs = R + s * p * p;
        if (!active[s]) {
            if (rw_out)
                final_moments(Rs, ws, p, K, start, rw_out + s * p * K, c_out + s * K * K);
            continue;
        }
        const double *invs = inv + s * inv_width;
        for (int64_t i = 0; i < p; i++)
            T[i] = prev[i] = 1.0;
        for (int64_t it = -1; it <= max_iterations; it++) {
            /* RW[k, i] = sum over j in block k of R[i, j] T[j] (R symmetric: row j) */
            for (int64_t k = 0; k < K; k++) {
                double *restrict rw = RW + k * p;
                for (int64_t i = 0; i < p; i++)
                    rw[i] = 0.0;
                int64_t j = start[k];
                for (; j + 1 < start[k + 1]; j += 2) { /* two rows per pass over rw */
                    const double *restrict r0 = Rs + j * p, *restrict r1 = r0 + p;
                    double t0 = T[j], t1 = T[j + 1];
                    for (int64_t i = 0; i < p; i++)
                        rw[i] += t0 * r0[i] + t1 * r1[i];
                }
                if (j < start[k + 1]) {
                    const double *restrict r0 = Rs + j * p;
                    double t0 = T[j];
                    for (int64_t i = 0; i < p; i++)
                        rw[i] += t0 * r0[i];
                }
            }
            /* Cu[l, k] = sum over i in block k of T[i] RW[l, i], for the diagonal and the
             * pairs the inner weights read (l < k, mirrored) */
            for (int64_t k = 0; k < K; k++)
                Cu[k * K + k] = segment_dot(RW + k * p, T, start[k], start[k + 1]);
            for (int64_t t = 0; t < st.nneed; t++) {
                int64_t l = st.need_l[t], k = st.need_k[t];
                Cu[l * K + k] = Cu[k * K + l] = segment_dot(RW + l * p, T, start[k], start[k + 1]);
            }
            for (int64_t k = 0; k < K; k++)
                scale[k] = 1.0 / sqrt(Cu[k * K + k]);
            int finite = 1;
            double diff = 0.0;
            for (int64_t i = 0; i < p; i++) {
                next[i] = T[i] * scale[block[i]];
                if (!isfinite(next[i]))
                    finite = 0;
                diff += fabs(next[i] - prev[i]);
            }
            if (it >= 0) {
                memcpy(ws, next, sizeof(double) * p);
                iterations[s] = it;
                if (!finite) {
                    bad[s] = 1;
                    active[s] = 0;
                    break;
                }
                if (diff < tolerance) {
                    active[s] = 0;
                    break;
                }
                if (it == max_iterations)
                    break;
            }
            memcpy(prev, next, sizeof(double) * p);
            for (int64_t k = 0; k < K; k++)
                C[k * K + k] = Cu[k * K + k] * (scale[k] * scale[k]);
            for (int64_t t = 0; t < st.nneed; t++) {
                int64_t l = st.need_l[t], k = st.need_k[t];
                C[l * K + k] = C[k * K + l] = Cu[l * K + k] * (scale[l] * scale[k]);
            }
            inner_weights(C, adj, K, scheme, &st, Et, work);
            /* T[i] = sum over l of RW[l, i] E[l, block(i)], E[l, k] = Et[l, k] scale[l]: the
             * joined pairs only (E is 0 elsewhere), added in increasing l for every item */
            for (int64_t i = 0; i < p; i++)
                T[i] = 0.0;
            for (int64_t t = 0; t < st.nnz; t++) {
                int64_t l = st.nz_l[t], k = st.nz_k[t];
                double e = Et[l * K + k] * scale[l];
                const double *rw = RW + l * p;
                for (int64_t i = start[k]; i < start[k + 1]; i++)
                    T[i] += rw[i] * e;
            }
            for (int64_t k = 0; k < K; k++) {
                if (inv_offset[k] < 0)
                    continue;
                int64_t a = start[k], n = start[k + 1] - start[k];
                const double *Ik = invs + inv_offset[k];
                for (int64_t r = 0; r < n; r++) {
                    double acc = 0.0;
                    for (int64_t c = 0; c < n; c++)
                        acc += Ik[r * n + c] * T[a + c];
                    tmp[r] = acc;
                }
                memcpy(T + a, tmp, sizeof(double) * n);
            }
        }
        if (rw_out) { /* the last pass's RW and Cu were formed from T; ws = T scaled */
            double *rws = rw_out + s * p * K, *cs = c_out + s * K * K;
            for (int64_t l = 0; l < K; l++) {
                const double *rw = RW + l * p;
                for (int64_t i = 0; i < p; i++)
                    rws[i * K + l] = rw[i] * scale[l];
            }
            composite_correlations(rws, ws, K, start, cs);
        }
    }
    free(st.space);
    free(block);
    free(space);
    return 0;
}

/* Item correlation matrices of b data sets from their count-weighted feature sums.
 *
 * A row of sums (width m) holds, as leanlearn.pls.case_moments.CaseFeatures builds
 * them: the case total N, the sums of the centred items x0 (p), the upper triangle of
 * x0 x0' (row-major), and for the q items with missing cells (miss, 0-based): u, x0 (x) u
 * (p x q) and the triangle of u u'. The steps and their order are those of
 * leanlearn.pls.case_moments.item_moments (mean replacement repeated inside the data
 * set, covariances with N - 1) and of resample_correlations (a data set is bad when an
 * item's variance is not above 1e-12 of the sample's, ref_var; an SD of a non-positive
 * variance is taken as 1). Outputs: R (b, p, p), the means (b, p), the SDs (b, p), N (b)
 * and bad (b).
 */
void ll_correlations(int64_t b, int64_t p, int64_t q, const double *sums, int64_t width, const int64_t *miss,
                     const double *ref_var, double *R, double *mean, double *sd, double *total, uint8_t *bad)
{
    int64_t ntri = p * (p + 1) / 2;
    for (int64_t s = 0; s < b; s++) {
        const double *row = sums + s * width;
        double *S = R + s * p * p, *m = mean + s * p, *d = sd + s * p;
        double N = row[0];
        const double *sx = row + 1, *tri = row + 1 + p;
        total[s] = N;
        int64_t at = 0;
        for (int64_t j = 0; j < p; j++)
            for (int64_t k = j; k < p; k++, at++)
                S[j * p + k] = S[k * p + j] = tri[at];
        for (int64_t j = 0; j < p; j++)
            m[j] = sx[j] / N;
        if (q > 0) {
            const double *nu = tri + ntri, *Bm = nu + q, *D = Bm + p * q;
            for (int64_t k = 0; k < q; k++)
                m[miss[k]] = sx[miss[k]] / (N - nu[k]);
            for (int64_t j = 0; j < p; j++)
                for (int64_t k = 0; k < q; k++)
                    S[j * p + miss[k]] += Bm[j * q + k] * m[miss[k]];
            for (int64_t j = 0; j < p; j++)
                for (int64_t k = 0; k < q; k++)
                    S[miss[k] * p + j] += Bm[j * q + k] * m[miss[k]];
            at = 0;
            for (int64_t k1 = 0; k1 < q; k1++)
                for (int64_t k2 = k1; k2 < q; k2++, at++) {
                    S[miss[k1] * p + miss[k2]] += D[at] * m[miss[k1]] * m[miss[k2]];
                    if (k2 != k1)
                        S[miss[k2] * p + miss[k1]] += D[at] * m[miss[k2]] * m[miss[k1]];
                }
        }
        int ok = 1;
        for (int64_t j = 0; j < p; j++) {
            double Nm = N * m[j];
            for (int64_t k = 0; k < p; k++) {
                S[j * p + k] -= Nm * m[k];
                S[j * p + k] /= N - 1.0;
            }
        }
        for (int64_t j = 0; j < p; j++) {
            double v = S[j * p + j];
            if (!(v > 1e-12 * ref_var[j]))
                ok = 0;
            d[j] = sqrt(v > 0.0 ? v : 1.0);
        }
        bad[s] = !ok;
        for (int64_t j = 0; j < p; j++)
            for (int64_t k = 0; k < p; k++)
                S[j * p + k] /= d[j] * d[k];
    }
}

/* HTMT (Henseler, Ringle & Sarstedt 2015) of b correlation matrices R (b, p, p):
 * the mean absolute correlation between the items of constructs k and l over the
 * square root of the product of the mean absolute correlations among each one's
 * distinct item pairs (1 for a single-item construct); NaN on the diagonal.
 * block (p): the construct of every column. work: K * K + 2 K doubles. The
 * formula of leanlearn.pls.metrics.htmt; out (b, K, K).
 */
void ll_htmt(int64_t b, int64_t p, int64_t K, const double *R, const int64_t *block, double *out, double *work)
{
    double *size = work;
    double *sums = work + K;
    double *mono = sums + K * K;
    for (int64_t k = 0; k < K; k++)
        size[k] = 0.0;
    for (int64_t i = 0; i < p; i++)
        size[block[i]] += 1.0;
    for (int64_t s = 0; s < b; s++) {
        const double *Rs = R + s * p * p;
        double *o = out + s * K * K;
        for (int64_t k = 0; k < K * K; k++)
            sums[k] = 0.0;
        for (int64_t i = 0; i < p; i++) {
            double *row = sums + block[i] * K;
            for (int64_t j = 0; j < p; j++)
                row[block[j]] += fabs(Rs[i * p + j]);
        }
        for (int64_t k = 0; k < K; k++) {
            double pairs = size[k] * (size[k] - 1.0);
            mono[k] = size[k] > 1.0 ? (sums[k * K + k] - size[k]) / pairs : 1.0;
        }
        for (int64_t k = 0; k < K; k++)
            for (int64_t l = 0; l < K; l++)
                o[k * K + l] = k == l ? NAN : (sums[k * K + l] / (size[k] * size[l])) / sqrt(mono[k] * mono[l]);
    }
}

/* Inverses of b square matrices A (b, k, k) by Gauss-Jordan elimination with partial
 * pivoting, and the bound ||A||_F ||inv(A)||_F >= cond_2(A) of each (NaN or infinite for
 * a singular matrix, whose inverse is then not finite either). work: k * k doubles.
 * Used by leanlearn.pls.iteration._inverse and _ill_conditioned, which take the exact
 * condition number of the few matrices whose bound is not clearly below the limit.
 */
/* The inverse X of one k x k matrix A (Gauss-Jordan elimination with partial pivoting; M:
 * k * k doubles of work space) and its bound ||A||_F ||X||_F, as ll_inverse. */
static double invert(const double *A, int64_t k, double *X, double *M)
{
    double fa = 0.0;
    for (int64_t i = 0; i < k * k; i++) {
        M[i] = A[i];
        fa += A[i] * A[i];
        X[i] = 0.0;
    }
    for (int64_t i = 0; i < k; i++)
        X[i * k + i] = 1.0;
    for (int64_t c = 0; c < k; c++) {
        int64_t piv = c;
        for (int64_t r = c + 1; r < k; r++)
            if (fabs(M[r * k + c]) > fabs(M[piv * k + c]))
                piv = r;
        if (piv != c)
            for (int64_t j = 0; j < k; j++) {
                double t = M[c * k + j];
                M[c * k + j] = M[piv * k + j];
                M[piv * k + j] = t;
                t = X[c * k + j];
                X[c * k + j] = X[piv * k + j];
                X[piv * k + j] = t;
            }
        double d = M[c * k + c];
        for (int64_t j = 0; j < k; j++) {
            M[c * k + j] /= d;
            X[c * k + j] /= d;
        }
        for (int64_t r = 0; r < k; r++) {
            if (r == c)
                continue;
            double f = M[r * k + c];
            if (f == 0.0)
                continue;
            for (int64_t j = 0; j < k; j++) {
                M[r * k + j] -= f * M[c * k + j];
                X[r * k + j] -= f * X[c * k + j];
            }
        }
    }
    double fi = 0.0;
    for (int64_t i = 0; i < k * k; i++)
        fi += X[i] * X[i];
    return sqrt(fa * fi);
}

void ll_inverse(int64_t b, int64_t k, const double *A, double *inv, double *bound, double *work)
{
    for (int64_t s = 0; s < b; s++)
        bound[s] = invert(A + s * k * k, k, inv + s * k * k, work);
}

/* The path coefficients of every endogenous construct on its predecessors, from the
 * construct correlations C (b, K, K) of b data sets: for construct j with predecessors P
 * (adj[i * K + j] = 1 when construct i points to j; see structure_init), beta = inv(C[P, P]) C[P, j] with the inverse of
 * ll_inverse, written to paths[s, P, j] (paths (b, K, K); the other entries are 0), and
 * r2[s, j] = beta' C[P, j] (NaN for exogenous constructs). bound[s, j] is the inverse's
 * bound ||C[P, P]||_F ||inv||_F (NaN for exogenous j) and nonfinite[s, j] is 1 when C[P, P]
 * or C[P, j] holds a value that is not finite (beta and r2 are then NaN). The steps of
 * leanlearn.pls.batch.fit_correlations' solves (iteration._solve with the kernel), for all
 * endogenous constructs in one call. Returns 0, or -1 when the work space could not be
 * allocated. */
int ll_paths(int64_t b, int64_t K, const double *C, const double *adj, double *paths, double *r2, double *bound,
             uint8_t *nonfinite)
{
    Structure st;
    double *space = malloc(sizeof(double) * (3 * K * K + K + 1));
    if (space == NULL || structure_init(&st, adj, K) != 0) {
        free(space);
        return -1;
    }
    const int64_t *pstart = st.pstart, *plist = st.plist;
    double *A = space, *X = A + K * K, *M = X + K * K, *y = M + K * K;
    for (int64_t s = 0; s < b; s++) {
        const double *Cs = C + s * K * K;
        double *ps = paths + s * K * K;
        for (int64_t i = 0; i < K * K; i++)
            ps[i] = 0.0;
        for (int64_t j = 0; j < K; j++) {
            const int64_t *P = plist + pstart[j];
            int64_t np = pstart[j + 1] - pstart[j];
            r2[s * K + j] = NAN;
            bound[s * K + j] = NAN;
            nonfinite[s * K + j] = 0;
            if (np == 0)
                continue;
            int finite = 1;
            for (int64_t r = 0; r < np; r++) {
                for (int64_t c = 0; c < np; c++) {
                    A[r * np + c] = Cs[P[r] * K + P[c]];
                    finite &= isfinite(A[r * np + c]) != 0;
                }
                y[r] = Cs[P[r] * K + j];
                finite &= isfinite(y[r]) != 0;
            }
            if (!finite) {
                nonfinite[s * K + j] = 1;
                for (int64_t r = 0; r < np; r++)
                    ps[P[r] * K + j] = NAN;
                continue;
            }
            bound[s * K + j] = invert(A, np, X, M);
            double fit = 0.0;
            for (int64_t r = 0; r < np; r++) {
                double acc = 0.0;
                for (int64_t c = 0; c < np; c++)
                    acc += X[r * np + c] * y[c];
                ps[P[r] * K + j] = acc;
                fit += acc * y[r];
            }
            r2[s * K + j] = fit;
        }
    }
    free(st.space);
    free(space);
    return 0;
}

/* Case counts of b resamples from their row indices idx (b, n): out (b, n) holds how
 * often each case was drawn (numpy.bincount row by row). Returns 0, or -1 (out then
 * incomplete) at the first index outside 0 .. n - 1. */
int ll_counts(int64_t b, int64_t n, const int64_t *idx, double *out)
{
    for (int64_t s = 0; s < b; s++) {
        double *o = out + s * n;
        const int64_t *r = idx + s * n;
        for (int64_t i = 0; i < n; i++)
            o[i] = 0.0;
        for (int64_t i = 0; i < n; i++) {
            uint64_t j = (uint64_t)r[i];
            if (j >= (uint64_t)n)
                return -1;
            o[j] += 1.0;
        }
    }
    return 0;
}

/* The two-stage interaction's product columns of b resamples (n cases each), in one pass:
 * for every product u of the stage-1 scores sa[u] and sb[u] (each (b, n), C order),
 * cg[u] = c * sa[u] * sb[u] (c: the case counts, (b, n)) and
 * gg[s, u, v] = sum over cases of cg[u] * sa[v] * sb[v] for v >= u (gg: (b, q, q); the
 * entries below the diagonal are left as they are). The NumPy form is in
 * leanlearn.pls.case_moments._two_stage_moments.
 */
void ll_products(int64_t b, int64_t n, int64_t q, const double *const *sa, const double *const *sb, const double *c,
                 double *const *cg, double *gg)
{
    for (int64_t s = 0; s < b; s++) {
        const double *cs = c + s * n;
        for (int64_t u = 0; u < q; u++) {
            const double *au = sa[u] + s * n, *bu = sb[u] + s * n;
            double *gu = cg[u] + s * n;
            double *row = gg + (s * q + u) * q;
            for (int64_t i = 0; i < n; i++)
                gu[i] = cs[i] * (au[i] * bu[i]);
            for (int64_t v = u; v < q; v++) {
                const double *av = sa[v] + s * n, *bv = sb[v] + s * n;
                double acc = 0.0;
                for (int64_t i = 0; i < n; i++)
                    acc += gu[i] * (av[i] * bv[i]);
                row[v] = acc;
            }
        }
    }
}

/* The case counts of b bootstrap resamples of n cases, drawn as NumPy draws them:
 * numpy.random.Generator(PCG64).integers(0, n, size=(b, n)) fills its (b, n) array, in C
 * order, with 32-bit draws bounded by Lemire's multiply-and-reject method, each 64-bit output
 * of PCG64 (the 128-bit LCG with the XSL-RR output function) serving two draws, low half
 * first (numpy/random/src/distributions/distributions.c, random_bounded_uint64_fill, and
 * numpy/random/src/pcg64/pcg64.h). The draws are tallied into out (b, n) without forming
 * the index array. state and inc are the generator's 128-bit state and increment as 64-bit
 * halves, has32 and uinteger its buffered half-output (its bit_generator.state).
 * leanlearn.pls.kernel.draw_counts checks these draws against NumPy's before using them.
 * Returns 0; -1 for n outside 2 .. 2^31 - 1; -2 where the compiler has no 128-bit integers. */
int ll_draw_counts(uint64_t state_hi, uint64_t state_lo, uint64_t inc_hi, uint64_t inc_lo, int has32, uint32_t uinteger,
                   int64_t b, int64_t n, double *out)
{
#ifdef __SIZEOF_INT128__
    if (n < 2 || n > INT32_MAX)
        return -1;
    typedef unsigned __int128 u128;
    const u128 mult = ((u128)0x2360ED051FC65DA4ULL << 64) | 0x4385DF649FCCF645ULL;
    u128 state = ((u128)state_hi << 64) | state_lo, inc = ((u128)inc_hi << 64) | inc_lo;
    const uint32_t rng = (uint32_t)(n - 1), excl = (uint32_t)n;
    const uint32_t threshold = (UINT32_MAX - rng) % excl;
    for (int64_t i = 0; i < b * n; i++)
        out[i] = 0.0;
    for (int64_t s = 0; s < b; s++) {
        double *o = out + s * n;
        for (int64_t d = 0; d < n; d++) {
            uint64_t m;
            uint32_t leftover;
            do {
                uint32_t next;
                if (has32) {
                    has32 = 0;
                    next = uinteger;
                } else {
                    state = state * mult + inc;
                    uint64_t hi = (uint64_t)(state >> 64), lo = (uint64_t)state;
                    unsigned rot = (unsigned)(state >> 122);
                    uint64_t x = hi ^ lo;
                    uint64_t word = (x >> rot) | (x << ((-rot) & 63));
                    has32 = 1;
                    uinteger = (uint32_t)(word >> 32);
                    next = (uint32_t)(word & 0xffffffffULL);
                }
                m = (uint64_t)next * excl;
                leftover = (uint32_t)m;
            } while (leftover < threshold); /* NumPy's test, leftover < excl first, is implied: threshold < excl */
            o[m >> 32] += 1.0;
        }
    }
    return 0;
#else
    (void)state_hi; (void)state_lo; (void)inc_hi; (void)inc_lo; (void)has32; (void)uinteger; (void)b; (void)n; (void)out;
    return -2;
#endif
}

/* The version of the functions above (their names, arguments and meaning). leanlearn.pls.kernel
 * uses the compiled file only when this equals its KERNEL_ABI, so a file built from older
 * sources (an editable install not rebuilt after an update) is never called. */
int ll_abi(void)
{
    return 6;
}

static struct PyModuleDef kernel_module = {
    PyModuleDef_HEAD_INIT, "_kernel",
    "The PLS iterations in C (called through ctypes by leanlearn.pls.kernel).", -1, NULL,
};

PyMODINIT_FUNC PyInit__kernel(void)
{
    return PyModule_Create(&kernel_module);
}
