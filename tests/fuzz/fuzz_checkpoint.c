/* fuzz_checkpoint.c - libFuzzer target: nn/checkpoint.c's loader. The
 * last 4 bytes of a checkpoint are the CRC-32 of the others; the harness
 * writes the right one over them, so that a mutated file gets past the
 * checksum to the parser (the config text, the model it makes, the
 * arrays and the position). */
#include "config.h"
#include "nn/checkpoint.h"
#include "fuzz.h"

#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_setup("ckpt");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *buf = malloc(size ? size : 1);
    if (size) memcpy(buf, data, size);
    if (size >= 4) { /* little-endian, as the loader reads it on this machine */
        uint32_t crc = sp_crc32(0, buf, size - 4);
        memcpy(buf + size - 4, &crc, 4);
    }
    int ok = fuzz_write(buf, size);
    free(buf);
    if (ok != 0) return 0;
    sp_model m;
    sp_optim o;
    sp_train_pos pos;
    sp_error err;
    if (sp_checkpoint_load(fuzz_path, &m, 1, &o, &pos, &err) == 0) {
        sp_optim_free(&o);
        sp_model_free(&m);
    }
    return 0;
}
