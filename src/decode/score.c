/* score.c - phone error rate (fold to 39, merge repeats, Levenshtein
 * alignment with unit costs, S/D/I/N like sclite), the confusion matrix
 * and its TSV writer, and frame error rate; see decode.h. */
#include "config.h"
#include "decode/decode.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Append x to out[*k] unless it is negative (deleted) or repeats the last
 * phone kept. */
static void keep(int *out, size_t *k, int x)
{
    if (x < 0) return;
    if (*k > 0 && out[*k - 1] == x) return;
    out[(*k)++] = x;
}

size_t sp_score_fold48(const sp_phoneset *ps, const int *p48, size_t n, int *out39)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int p = p48[i];
        keep(out39, &k, p >= 0 && p < ps->n48 ? ps->fold48[p] : -1);
    }
    return k;
}

size_t sp_score_fold61(const sp_phoneset *ps, const int *p61, size_t n, int *out39)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int p = p61[i];
        keep(out39, &k, p >= 0 && p < ps->n61 ? ps->to39[p] : -1);
    }
    return k;
}

size_t sp_score_fold_segs(const sp_phoneset *ps, const sp_phone_seg *seg, size_t n, int *out39)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int p = seg[i].phone;
        keep(out39, &k, p >= 0 && p < ps->n48 ? ps->fold48[p] : -1);
    }
    return k;
}

int sp_score_init(sp_score *s, int n, sp_error *err)
{
    memset(s, 0, sizeof *s);
    if (n < 1 || n > SP_MAX_PHONES)
        return sp_fail(err, "score: phone count %d is not in 1..%d", n, SP_MAX_PHONES);
    s->n = n;
    s->confusion = sp_xcalloc((size_t)(n + 1) * (size_t)(n + 1), sizeof *s->confusion);
    return 0;
}

void sp_score_free(sp_score *s)
{
    free(s->confusion);
    free(s->pair);
    free(s->dp);
    memset(s, 0, sizeof *s);
}

static int check_indices(const int *x, size_t len, int n, const char *what, sp_error *err)
{
    for (size_t i = 0; i < len; i++)
        if (x[i] < 0 || x[i] >= n)
            return sp_fail(err, "score: %s phone %zu has index %d, not in 0..%d", what, i, x[i], n - 1);
    return 0;
}

int sp_score_add(sp_score *s, const int *ref, size_t nref, const int *hyp, size_t nhyp,
                 sp_edit_counts *utt, sp_error *err)
{
    if (!s->confusion) return sp_fail(err, "score: not initialised");
    if (check_indices(ref, nref, s->n, "reference", err) != 0) return -1;
    if (check_indices(hyp, nhyp, s->n, "hypothesis", err) != 0) return -1;

    /* cost[i][j]: distance between ref[0..i) and hyp[0..j). */
    size_t W = nhyp + 1, cells = (nref + 1) * W;
    if (cells > s->dp_cap) {
        s->dp = sp_xrealloc(s->dp, cells * sizeof *s->dp);
        s->dp_cap = cells;
    }
    int *c = s->dp;
    for (size_t j = 0; j <= nhyp; j++) c[j] = (int)j;
    for (size_t i = 1; i <= nref; i++) {
        int *row = c + i * W, *up = row - W;
        row[0] = (int)i;
        for (size_t j = 1; j <= nhyp; j++) {
            int best = up[j - 1] + (ref[i - 1] != hyp[j - 1]);
            if (up[j] + 1 < best) best = up[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
        }
    }

    /* Back-trace from the end: diagonal, then deletion, then insertion. */
    if (nref + nhyp > s->pair_cap) {
        s->pair_cap = nref + nhyp;
        s->pair = sp_xrealloc(s->pair, s->pair_cap * sizeof *s->pair);
    }
    sp_edit_counts e = { (long)nref, (long)nhyp, 0, 0, 0 };
    size_t i = nref, j = nhyp, k = 0;
    while (i > 0 || j > 0) {
        int here = c[i * W + j];
        sp_align_pair pr;
        if (i > 0 && j > 0 && here == c[(i - 1) * W + j - 1] + (ref[i - 1] != hyp[j - 1])) {
            pr.ref = ref[--i];
            pr.hyp = hyp[--j];
            if (pr.ref != pr.hyp) e.sub++;
        } else if (i > 0 && here == c[(i - 1) * W + j] + 1) {
            pr.ref = ref[--i];
            pr.hyp = -1;
            e.del++;
        } else {
            pr.ref = -1;
            pr.hyp = hyp[--j];
            e.ins++;
        }
        s->pair[k++] = pr;
    }
    for (size_t a = 0, b = k ? k - 1 : 0; a < b; a++, b--) {
        sp_align_pair tmp = s->pair[a];
        s->pair[a] = s->pair[b];
        s->pair[b] = tmp;
    }
    s->npair = k;

    int n = s->n;
    for (size_t a = 0; a < k; a++) {
        int r = s->pair[a].ref < 0 ? n : s->pair[a].ref;
        int h = s->pair[a].hyp < 0 ? n : s->pair[a].hyp;
        s->confusion[(size_t)r * (size_t)(n + 1) + (size_t)h]++;
    }
    s->total.ref += e.ref;
    s->total.hyp += e.hyp;
    s->total.sub += e.sub;
    s->total.del += e.del;
    s->total.ins += e.ins;
    s->utterances++;
    if (utt) *utt = e;
    return 0;
}

double sp_edit_rate(const sp_edit_counts *c)
{
    if (c->ref <= 0) return NAN;
    return (double)(c->sub + c->del + c->ins) / (double)c->ref;
}

double sp_score_per(const sp_score *s)
{
    return sp_edit_rate(&s->total);
}

int sp_score_write_confusion(const sp_score *s, const sp_phoneset *ps, const char *path,
                             sp_error *err)
{
    if (!s->confusion) return sp_fail(err, "score: not initialised");
    if (ps->n39 != s->n)
        return sp_fail(err, "score: the phone set has %d scoring phones, the confusion matrix %d",
                       ps->n39, s->n);
    sp_atomic_file af;
    if (sp_atomic_open(&af, path, err) != 0) return -1;
    int n = s->n;
    FILE *f = af.f;
    fputs("ref", f);
    for (int h = 0; h < n; h++) fprintf(f, "\t%s", ps->name39[h]);
    fputs("\t<del>\n", f);
    for (int r = 0; r <= n; r++) {
        fputs(r < n ? ps->name39[r] : "<ins>", f);
        for (int h = 0; h <= n; h++)
            fprintf(f, "\t%ld", s->confusion[(size_t)r * (size_t)(n + 1) + (size_t)h]);
        fputc('\n', f);
    }
    return sp_atomic_commit(&af, err);
}

void sp_fer_init(sp_fer *f)
{
    f->frames = f->errors = 0;
}

int sp_fer_add(sp_fer *f, const float *scores, size_t T, int n, const int *ref,
               const int *fold, sp_error *err)
{
    if (n < 1) return sp_fail(err, "fer: class count %d is not positive", n);
    for (size_t t = 0; t < T; t++)
        if (ref[t] >= n)
            return sp_fail(err, "fer: label %d at frame %zu is not below %d", ref[t], t, n);
    for (size_t t = 0; t < T; t++) {
        if (ref[t] < 0) continue;
        const float *x = scores + t * (size_t)n;
        int best = 0;
        for (int c = 1; c < n; c++)
            if (x[c] > x[best]) best = c;
        int r = ref[t];
        if (fold) {
            best = fold[best];
            r = fold[r];
        }
        f->frames++;
        if (best != r) f->errors++;
    }
    return 0;
}

double sp_fer_rate(const sp_fer *f)
{
    return f->frames > 0 ? (double)f->errors / (double)f->frames : NAN;
}
