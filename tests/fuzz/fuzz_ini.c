/* fuzz_ini.c - libFuzzer target: the config reader, base/ini.c's parser
 * and base/conf.c's resolution of every key (sp_conf_load), on any
 * bytes. */
#include "config.h"
#include "base/conf.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_setup("conf");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fuzz_write(data, size) != 0) return 0;
    sp_diag d;
    sp_diag_init(&d, 0);
    sp_conf c;
    sp_conf_load(&c, fuzz_path, &d);
    sp_diag_free(&d);
    return 0;
}
