/* cmd_ladspa.c - `sincprobe ladspa list|show|apply`: the LADSPA plugins
 * this machine has, one plugin's ports with their ranges and defaults,
 * and one file through a plugin exactly as the `ladspa` probe runs it
 * (sincprobe-ladspa(1); hosting is ladspa/host.h). */
#include "config.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "ladspa/host.h"

#include <dirent.h>
#include <math.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const usage[] = {
    "sincprobe ladspa list [DIR ...]",
    "   or: sincprobe ladspa show PLUGIN [--label L | --id N] [--rate R]",
    "   or: sincprobe ladspa apply PLUGIN IN OUT [--label L | --id N] [--controls C] [--in-port P] [--out-port P] [--mix X] [--seed S]",
    "",
    "  DIR           directories of LADSPA libraries (default: LADSPA_PATH, or /usr/local/lib/ladspa:/usr/lib/ladspa)",
    "  PLUGIN        a library (file name on the path, .so optional, or a path), or a plugin's label or id",
    "  --label L     which plugin of the library, by label",
    "  --id N        which plugin of the library, by UniqueID",
    "  --rate R      sample rate the ranges are shown at (default 16000)",
    "  --controls C  control values by port name: name=value separated by , or ;",
    "  --in-port P   the audio input fed (default: every audio input)",
    "  --out-port P  the audio output taken (default: the first)",
    "  --mix X       dry/wet: (1 - X) input + X output (default 1)",
    "  --seed S      seed of C's rand() before activation (default 1)",
    NULL,
};

/* The .so files of dir, sorted, as a NULL-terminated malloc'd list. */
static char **libraries_in(const char *dir)
{
    struct dirent **ent;
    int n = scandir(dir, &ent, NULL, alphasort);
    char **v = sp_xcalloc((size_t)(n > 0 ? n : 0) + 1, sizeof *v);
    int k = 0;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(ent[i]->d_name);
        if (len > 3 && strcmp(ent[i]->d_name + len - 3, ".so") == 0)
            v[k++] = sp_xasprintf("%s/%s", dir, ent[i]->d_name);
        free(ent[i]);
    }
    if (n > 0) free(ent);
    return v;
}

static void free_list(char **v)
{
    for (size_t i = 0; v && v[i]; i++) free(v[i]);
    free(v);
}

/* Calls each(lib, ctx) for every library of the colon list dirs that
 * loads; libraries that do not are reported as warnings. Stops when each
 * returns nonzero, and returns that. */
static int each_library(const char *dirs, int (*each)(sp_ladspa_lib *, void *), void *ctx)
{
    char *copy = sp_xstrdup(dirs);
    int rc = 0;
    for (char *save = NULL, *d = strtok_r(copy, ":", &save); d && !rc; d = strtok_r(NULL, ":", &save)) {
        char **libs = libraries_in(d);
        for (size_t i = 0; libs[i] && !rc; i++) {
            sp_error err;
            sp_ladspa_lib *lib = sp_ladspa_open(libs[i], &err);
            if (!lib) {
                sp_log_warn("%s", err.msg);
                continue;
            }
            rc = each(lib, ctx);
            sp_ladspa_close(lib);
        }
        free_list(libs);
    }
    free(copy);
    return rc;
}

static void port_counts(const LADSPA_Descriptor *d, int c[4])
{
    c[0] = c[1] = c[2] = c[3] = 0;
    for (unsigned long p = 0; p < d->PortCount; p++) {
        LADSPA_PortDescriptor k = d->PortDescriptors[p];
        c[(LADSPA_IS_PORT_CONTROL(k) ? 2 : 0) + (LADSPA_IS_PORT_OUTPUT(k) ? 1 : 0)]++;
    }
}

static int list_one(sp_ladspa_lib *lib, void *ctx)
{
    (void)ctx;
    for (unsigned long i = 0; i < sp_ladspa_count(lib); i++) {
        const LADSPA_Descriptor *d = sp_ladspa_get(lib, i);
        int c[4];
        port_counts(d, c);
        printf("%s\t%lu\t%s\t%s\t%d\t%d\t%d\t%d\n", sp_ladspa_lib_path(lib), d->UniqueID, d->Label, d->Name, c[0],
               c[1], c[2], c[3]);
    }
    return 0;
}

static int ladspa_list(int argc, char **argv)
{
    int status, n = sp_opt_parse(usage, (sp_opt[]){ SP_OPT_END }, -1, argc, argv, &status);
    if (n < 0) return status;
    int def;
    const char *path = sp_ladspa_path(&def);
    if (n == 0 && def) sp_log_note("LADSPA_PATH is unset: listing %s", path);
    printf("library\tid\tlabel\tname\taudio_in\taudio_out\tcontrol_in\tcontrol_out\n");
    if (n == 0) return each_library(path, list_one, NULL) ? SP_EXIT_FAIL : SP_EXIT_OK;
    for (int i = 1; i <= n; i++) each_library(argv[i], list_one, NULL);
    return SP_EXIT_OK;
}

/* ---- finding PLUGIN: a library, else a label or id on the path */

typedef struct {
    const char *label;
    unsigned long id;
    char *path;     /* the library that has it (first on the path) */
} plugin_search;

static int has_plugin(sp_ladspa_lib *lib, void *ctx)
{
    plugin_search *s = ctx;
    for (unsigned long i = 0; i < sp_ladspa_count(lib); i++) {
        const LADSPA_Descriptor *d = sp_ladspa_get(lib, i);
        if ((s->label && strcmp(d->Label, s->label) == 0) || (s->id && d->UniqueID == s->id)) {
            s->path = sp_xstrdup(sp_ladspa_lib_path(lib));
            return 1;
        }
    }
    return 0;
}

/* Open PLUGIN's library and pick its plugin (label, id from the options,
 * or PLUGIN itself when it names a plugin rather than a library). NULL
 * with the error printed. */
static sp_ladspa_lib *open_plugin(const char *plugin, const char *label, long id, const LADSPA_Descriptor **d)
{
    char path[4096];
    sp_error err;
    if (label && *label && id) {
        sp_errorf("give --label or --id, not both");
        return NULL;
    }
    if (sp_ladspa_find(plugin, path, sizeof path, &err) != 0) {
        long as_id = 0;
        plugin_search s = { .label = plugin };
        if (sp_parse_long(plugin, 1, 16777215, &as_id) == 0) s.label = NULL, s.id = (unsigned long)as_id;
        if (strchr(plugin, '/') || !each_library(sp_ladspa_path(NULL), has_plugin, &s)) {
            sp_errorf("%s; nor is it the label or id of a plugin on the path", err.msg);
            return NULL;
        }
        snprintf(path, sizeof path, "%s", s.path);
        free(s.path);
        label = s.label, id = (long)s.id;
    }
    sp_ladspa_lib *lib = sp_ladspa_open(path, &err);
    if (lib && !(*d = sp_ladspa_pick(lib, label, (unsigned long)id, &err))) {
        sp_ladspa_close(lib);
        lib = NULL;
    }
    if (!lib) sp_errorf("%s", err.msg);
    return lib;
}

static void show_port(const LADSPA_Descriptor *d, unsigned long p, double rate)
{
    LADSPA_PortDescriptor k = d->PortDescriptors[p];
    char range[200] = "";
    if (LADSPA_IS_PORT_CONTROL(k) && LADSPA_IS_PORT_INPUT(k)) {
        sp_ladspa_range r = sp_ladspa_port_range(d, p, rate);
        sp_ladspa_range_text(&r, range, sizeof range);
    }
    printf("%lu\t%s\t%s\t%s\t%s\n", p, d->PortNames[p], LADSPA_IS_PORT_INPUT(k) ? "input" : "output",
           LADSPA_IS_PORT_AUDIO(k) ? "audio" : "control", range);
}

static int ladspa_show(int argc, char **argv)
{
    const char *label = NULL;
    long id = 0;
    double rate = 16000;
    sp_opt opts[] = { SP_OPT_STRING("--label", &label), SP_OPT_LONG("--id", &id, 1, 16777215),
                      SP_OPT_NUMBER("--rate", &rate), SP_OPT_END };
    int status, n = sp_opt_parse(usage, opts, 1, argc, argv, &status);
    if (n < 0) return status;
    if (n < 1) return sp_usage_error(usage, "ladspa show: a PLUGIN is required");
    if (!(rate > 0 && rate <= 1e6)) return sp_usage_error(usage, "--rate: expected a rate in Hz from 1 to 1000000");
    const LADSPA_Descriptor *d;
    sp_ladspa_lib *lib = open_plugin(argv[1], label, id, &d);
    if (!lib) return SP_EXIT_FAIL;
    LADSPA_Properties pr = d->Properties;
    printf("library\t%s\nlabel\t%s\nid\t%lu\nname\t%s\nmaker\t%s\ncopyright\t%s\n", sp_ladspa_lib_path(lib), d->Label,
           d->UniqueID, d->Name, d->Maker ? d->Maker : "", d->Copyright ? d->Copyright : "");
    printf("properties\t%s%s%s\n", LADSPA_IS_REALTIME(pr) ? "realtime " : "",
           LADSPA_IS_INPLACE_BROKEN(pr) ? "inplace-broken " : "", LADSPA_IS_HARD_RT_CAPABLE(pr) ? "hard-rt" : "");
    printf("rate\t%g\n\nport\tname\tdirection\tkind\trange\n", rate);
    for (unsigned long p = 0; p < d->PortCount; p++) show_port(d, p, rate);
    sp_ladspa_close(lib);
    return SP_EXIT_OK;
}

/* ---- apply */

/* IN as mono float (channels averaged) at its own rate. */
static float *read_mono(const char *path, long *n, int *rate)
{
    SF_INFO info = { 0 };
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f) {
        sp_errorf("cannot read '%s': %s", path, sf_strerror(NULL));
        return NULL;
    }
    float *frames = sp_xmalloc((size_t)(info.frames > 0 ? info.frames : 1) * (size_t)info.channels * sizeof *frames);
    sf_count_t got = sf_readf_float(f, frames, info.frames);
    sf_close(f);
    float *mono = sp_xmalloc((size_t)(got > 0 ? got : 1) * sizeof *mono);
    for (sf_count_t i = 0; i < got; i++) {
        double s = 0;
        for (int c = 0; c < info.channels; c++) s += frames[i * info.channels + c];
        mono[i] = (float)(s / info.channels);
    }
    free(frames);
    if (info.channels > 1) sp_log_note("'%s': %d channels averaged to mono", path, info.channels);
    *n = (long)got;
    *rate = info.samplerate;
    return mono;
}

/* y[n] as a 32-bit float WAV at rate, written to OUT.tmp.PID and renamed. */
static int write_wav(const char *path, const float *y, long n, int rate)
{
    char *tmp = sp_xasprintf("%s.tmp.%ld", path, (long)getpid());
    SF_INFO info = { .samplerate = rate, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
    SNDFILE *f = sf_open(tmp, SFM_WRITE, &info);
    int ok = f && sf_writef_float(f, y, n) == n;
    if (f) ok = sf_close(f) == 0 && ok;
    ok = ok && rename(tmp, path) == 0;
    if (!ok) {
        sp_errorf("cannot write '%s'%s%s", path, f ? "" : ": ", f ? "" : sf_strerror(NULL));
        unlink(tmp);
    }
    free(tmp);
    return ok ? 0 : -1;
}

static int ladspa_apply(int argc, char **argv)
{
    const char *label = NULL, *controls = NULL, *in_port = NULL, *out_port = NULL;
    long id = 0, seed = 1;
    double mix = 1;
    sp_opt opts[] = { SP_OPT_STRING("--label", &label),     SP_OPT_LONG("--id", &id, 1, 16777215),
                      SP_OPT_STRING("--controls", &controls), SP_OPT_STRING("--in-port", &in_port),
                      SP_OPT_STRING("--out-port", &out_port), SP_OPT_NUMBER("--mix", &mix),
                      SP_OPT_LONG("--seed", &seed, 0, 2147483647), SP_OPT_END };
    int status, n = sp_opt_parse(usage, opts, 3, argc, argv, &status);
    if (n < 0) return status;
    if (n < 3) return sp_usage_error(usage, "ladspa apply: PLUGIN, IN and OUT are required");
    if (!(mix >= 0 && mix <= 1)) return sp_usage_error(usage, "--mix: expected a number from 0 to 1");
    long len;
    int rate;
    float *x = read_mono(argv[2], &len, &rate);
    if (!x) return SP_EXIT_FAIL;
    const LADSPA_Descriptor *d;
    sp_ladspa_lib *lib = open_plugin(argv[1], label, id, &d);
    sp_ladspa_fx *fx = NULL;
    sp_error err;
    int rc = SP_EXIT_FAIL;
    if (lib) {
        sp_ladspa_setup s = { .controls = controls, .in_port = in_port, .out_port = out_port, .rate = rate };
        if (!(fx = sp_ladspa_fx_new(lib, d, &s, &err))) sp_errorf("%s", err.msg);
    }
    float *y = fx ? sp_xmalloc((size_t)(len > 0 ? len : 1) * sizeof *y) : NULL;
    long latency = fx ? sp_ladspa_fx_process(fx, x, y, len, mix, (unsigned)seed, &err) : -1;
    if (fx && latency < 0) sp_errorf("%s", err.msg);
    if (latency >= 0 && write_wav(argv[3], y, len, rate) == 0) {
        sp_log_info("%s: '%s' (%s) at %d Hz, %ld samples, latency %ld compensated -> %s", argv[2], d->Label, d->Name,
                    rate, len, latency, argv[3]);
        rc = SP_EXIT_OK;
    }
    free(y);
    sp_ladspa_fx_free(fx);
    sp_ladspa_close(lib);
    free(x);
    return rc;
}

int cmd_ladspa(int argc, char **argv)
{
    if (argc < 2) return sp_usage_error(usage, "ladspa: a subcommand is required (list, show or apply)");
    if (sp_is_help(argv[1])) {
        sp_usage_print(stdout, usage);
        return SP_EXIT_OK;
    }
    if (strcmp(argv[1], "list") == 0) return ladspa_list(argc - 1, argv + 1);
    if (strcmp(argv[1], "show") == 0) return ladspa_show(argc - 1, argv + 1);
    if (strcmp(argv[1], "apply") == 0) return ladspa_apply(argc - 1, argv + 1);
    static const char *const subcommands[] = { "list", "show", "apply", NULL };
    char near[128];
    return sp_usage_error(usage, "ladspa: unknown subcommand '%s'%s", argv[1],
                          sp_did_you_mean(near, sizeof near, argv[1], subcommands));
}
