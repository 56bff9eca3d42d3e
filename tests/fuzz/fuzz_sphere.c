/* fuzz_sphere.c - libFuzzer target: corpus/sphere.c's audio reader
 * (SPHERE headers parsed here, then libsndfile for the samples) on any
 * bytes. Every sample returned is read, so a short buffer is seen. */
#include "config.h"
#include "corpus/sphere.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_setup("wav");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fuzz_write(data, size) != 0) return 0;
    sp_diag d;
    sp_diag_init(&d, 0);
    int16_t *s = NULL;
    long n = 0;
    if (sp_audio_read_pcm16(fuzz_path, &s, &n, &d) == 0) {
        volatile long sum = 0;
        for (long i = 0; i < n; i++) sum += s[i];
    }
    free(s);
    sp_diag_free(&d);
    return 0;
}
