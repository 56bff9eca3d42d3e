/* test_alignment.c - the alignment sanity measure (corpus/alignment.h) on
 * an utterance whose answer is known: near silence, a loud tone, a
 * medium noise and near silence again (the median frame energy falls in
 * the noise). Labelled right (h#, a vowel, s, a closure, h#) it scores 1
 * and 1; with the vowel and pause labels on the wrong stretches, 0 and 0;
 * a label that is neither silence nor vowel counts for neither; frames
 * are labelled by their centre sample. */
#include "config.h"
#include "corpus/alignment.h"
#include "testlib.h"

#include <math.h>

#define N 16000

static int16_t audio[N];

/* Near silence (+-3 LSB), a 200 Hz tone in [2400, 8800) (40 frames), a
 * +-1000 LSB noise in [8800, 13600) (30 frames), near silence again. */
static void make_audio(void)
{
    for (long i = 0; i < N; i++) {
        audio[i] = (int16_t)((i * 7919) % 7 - 3);
        if (i >= 2400 && i < 8800) audio[i] = (int16_t)(10000.0 * sin(2.0 * M_PI * 200.0 * (double)i / 16000.0));
        if (i >= 8800 && i < 13600) audio[i] = (int16_t)((i * 7919) % 2001 - 1000);
    }
}

/* An utterance of the audio with labels "b0 e0 l0 b1 e1 l1 ...". */
static void make_utt(sp_utt *u, const long *bounds, const char *const *labels, size_t n)
{
    memset(u, 0, sizeof *u);
    u->audio = audio;
    u->n = N;
    u->phn.v = calloc(n, sizeof *u->phn.v);
    u->phn.n = n;
    for (size_t i = 0; i < n; i++) {
        u->phn.v[i].begin = bounds[i];
        u->phn.v[i].end = bounds[i + 1];
        snprintf(u->phn.v[i].label, sizeof u->phn.v[i].label, "%s", labels[i]);
    }
}

int main(void)
{
    make_audio();
    sp_utt u;
    const long right[] = { 0, 2400, 8800, 13600, 15200, N };
    const char *const labels[] = { "h#", "aa", "s", "tcl", "h#" };
    sp_align_stats s;
    memset(&s, 0, sizeof s);
    make_utt(&u, right, labels, 5);
    sp_align_add(&s, &u);
    /* 100 frames: 15 h#, 40 aa, 30 s, 10 tcl, 5 h#. */
    CHECK_MSG(s.utterances == 1 && s.silence_frames == 30 && s.vowel_frames == 40, "%ld %ld %ld", s.utterances,
              s.silence_frames, s.vowel_frames);
    CHECK_MSG(s.silence_quiet == 30 && s.vowel_loud == 40, "%ld %ld", s.silence_quiet, s.vowel_loud);
    CHECK(sp_align_silence_share(&s) == 1.0 && sp_align_vowel_share(&s) == 1.0);
    free(u.phn.v);

    /* Vowel labels on the silences, a pause on the tone. */
    memset(&s, 0, sizeof s);
    const long wrong[] = { 0, 2400, 8800, 13600, N };
    const char *const swapped[] = { "aa", "pau", "s", "ax" };
    make_utt(&u, wrong, swapped, 4);
    sp_align_add(&s, &u);
    CHECK(s.silence_frames == 40 && s.vowel_frames == 30);
    CHECK_MSG(sp_align_silence_share(&s) == 0.0 && sp_align_vowel_share(&s) == 0.0, "%g %g",
              sp_align_silence_share(&s), sp_align_vowel_share(&s));
    free(u.phn.v);

    /* Neither silence nor vowel: not counted. A boundary off the frame
     * grid: the frame goes to the label of its centre sample (frame 14
     * spans 2240-2400, centre 2320 < 2330: h#). */
    memset(&s, 0, sizeof s);
    const long mixed[] = { 0, 2330, N };
    const char *const other[] = { "h#", "s" };
    make_utt(&u, mixed, other, 2);
    sp_align_add(&s, &u);
    CHECK_MSG(s.silence_frames == 15 && s.silence_quiet == 15 && s.vowel_frames == 0, "%ld", s.silence_frames);
    CHECK(sp_align_vowel_share(&s) == 0.0);
    free(u.phn.v);
    return sp_test_result("test_alignment");
}
