/* fuzz_labels.c - libFuzzer target: corpus/labels.c's .PHN/.WRD reader
 * (sp_segs_read) and .TXT reader (sp_txt_read) on the same bytes. */
#include "config.h"
#include "corpus/labels.h"
#include "fuzz.h"

#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_setup("PHN");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fuzz_write(data, size) != 0) return 0;
    sp_diag d;
    sp_diag_init(&d, 0);
    sp_segs segs = { 0 };
    if (sp_segs_read(fuzz_path, &segs, &d) == 0) {
        volatile size_t sum = 0;
        for (size_t i = 0; i < segs.n; i++) sum += strlen(segs.v[i].label);
    }
    sp_segs_free(&segs);
    long begin, end;
    char *text = NULL;
    if (sp_txt_read(fuzz_path, &begin, &end, &text, &d) == 0) {
        volatile size_t len = strlen(text);
        (void)len;
    }
    free(text);
    sp_diag_free(&d);
    return 0;
}
