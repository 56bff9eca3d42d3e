/* host.h - hosting LADSPA plugins: find and load a library, pick one of
 * its plugins, read its ports' hints, set control values checked against
 * them, and run it over mono audio (sincprobe-ladspa(1)).
 *
 * Used by the `ladspa` probe (plugins/ladspa.c: every chunk or utterance
 * of a split through an effect) and by `sincprobe ladspa list|show|apply`.
 * Compiled into libsincprobe and into the probe module: includes only
 * ladspa/ headers, base/error.h and the system's <ladspa.h>.
 *
 * Finding a library (sp_ladspa_find): a name with a '/' is a path; any
 * other name is looked up in each directory of LADSPA_PATH (colon list),
 * or when LADSPA_PATH is unset in SP_LADSPA_DEFAULT_PATH, as given and
 * with ".so" appended ("gsm_1215" finds gsm_1215.so).
 *
 * Port mapping for mono audio. Audio inputs: by default every audio input
 * port gets the signal (a stereo plugin hears it in both channels, a
 * side-chain input the signal itself); with in_port named, that port gets
 * it and the other audio inputs silence. Audio output: out_port, by
 * default the first audio output; the other outputs are computed and
 * discarded. A plugin without an audio input or without an audio output
 * is refused. Every other port is connected too (LADSPA requires it):
 * control inputs to their values, control outputs to scratch.
 *
 * Running (sp_ladspa_fx_process): each signal gets an instance of its
 * own (the first is made, and the controls checked, by sp_ladspa_fx_new):
 * instantiate, connect, seed C's rand() (some plugins draw from it),
 * activate, run in blocks, deactivate, cleanup. LADSPA's activate should
 * reset a plugin's state, but not every plugin's does (swh's gsm keeps
 * state across activations with 2 or more passes): a fresh instance
 * makes each signal's output what it would be alone, whatever was
 * processed before, as applyplugin or sox give it for one file. Input and output buffers are always separate
 * (so plugins marked INPLACE_BROKEN are safe). Denormals are flushed to
 * zero while the plugin runs (x86 MXCSR FTZ and DAZ), and the caller's
 * floating-point state is restored after. Latency: when the plugin has a
 * control output named "latency" (any case), its value after the first
 * block is the delay L in samples; the signal is followed by L zeros and
 * the first L output samples dropped, so the output stays aligned with
 * the input (and with the labels). */
#ifndef SP_LADSPA_HOST_H
#define SP_LADSPA_HOST_H

#include <ladspa.h>
#include <stddef.h>
#include "base/error.h"

#define SP_LADSPA_DEFAULT_PATH "/usr/local/lib/ladspa:/usr/lib/ladspa"

/* ---- libraries */

typedef struct sp_ladspa_lib sp_ladspa_lib;

/* The search path in use: LADSPA_PATH, or SP_LADSPA_DEFAULT_PATH when it
 * is unset or empty (*is_default then 1; is_default may be NULL). */
const char *sp_ladspa_path(int *is_default);

/* The file of library name (see above) into path[n]. 0, or -1 with err
 * naming the name and the directories searched. */
int sp_ladspa_find(const char *name, char *path, size_t n, sp_error *err);

/* dlopen path and read its descriptors. Refused with err: a file that
 * cannot be loaded (dlerror's words), a shared object without
 * ladspa_descriptor ("not a LADSPA plugin library"), one whose
 * descriptors are malformed (a NULL label or port name, a port neither
 * input nor output, audio nor control). */
sp_ladspa_lib *sp_ladspa_open(const char *path, sp_error *err);
void sp_ladspa_close(sp_ladspa_lib *lib);
const char *sp_ladspa_lib_path(const sp_ladspa_lib *lib);
unsigned long sp_ladspa_count(const sp_ladspa_lib *lib);
const LADSPA_Descriptor *sp_ladspa_get(const sp_ladspa_lib *lib, unsigned long i);

/* The plugin of lib whose label is `label` (exact) or, when label is NULL
 * or empty, whose UniqueID is id; both NULL/0: the library's only plugin
 * (an error when it has several: err lists their labels). */
const LADSPA_Descriptor *sp_ladspa_pick(const sp_ladspa_lib *lib, const char *label, unsigned long id,
                                        sp_error *err);

/* ---- ports */

typedef struct {
    int has_lo, has_hi;      /* bounds given (already times rate when SAMPLE_RATE) */
    float lo, hi;
    int has_default;         /* a DEFAULT_* hint */
    float def;               /* that default (or the value used without one) */
    int integer, toggled, logarithmic, sample_rate;
} sp_ladspa_range;

/* The range and default of port p at rate Hz, from its hints: bounds
 * times rate when SAMPLE_RATE; DEFAULT_LOW/MIDDLE/HIGH at 1/4, 1/2, 3/4
 * between the bounds, geometrically when LOGARITHMIC (both bounds
 * positive); without a default hint the lower bound, else 0, else the
 * upper bound, clamped into the range. */
sp_ladspa_range sp_ladspa_port_range(const LADSPA_Descriptor *d, unsigned long p, double rate);

/* "0 to 1, default 1, integer" style summary into out[n] (as `ladspa
 * show` prints it). */
void sp_ladspa_range_text(const sp_ladspa_range *r, char *out, size_t n);

/* The port of d named name: the exact name, else the same ignoring case,
 * else the name without a trailing unit in brackets ("Decay time (s)"
 * matches "decay time"), of the wanted kind (LADSPA_PORT_* bits, all of
 * them set in the port's descriptor). -1 when none (or several match
 * ignoring case). */
long sp_ladspa_port_named(const LADSPA_Descriptor *d, const char *name, int kind);

/* ---- an effect: one instance, its ports mapped */

typedef struct sp_ladspa_fx sp_ladspa_fx;

typedef struct {
    const char *controls;    /* "name=value,name=value" (',' or ';'), may be NULL */
    const char *in_port;     /* audio input to feed alone, or NULL: all */
    const char *out_port;    /* audio output taken, or NULL: the first */
    double rate;             /* Hz */
    unsigned long block;     /* samples per run() call; 0: 1024 */
} sp_ladspa_setup;

/* Instantiate d from lib (which must outlive it) at setup->rate, its
 * ports mapped and every control input set: from setup->controls, else
 * its default. Refused with err: no audio input or output (naming the
 * plugin and what is missing), an unknown port name (listing the control
 * inputs), a value that is not a number, outside the port's range, not
 * an integer for an INTEGER port or not 0/1 for a TOGGLED one, a control
 * given twice, instantiate() returning NULL. */
sp_ladspa_fx *sp_ladspa_fx_new(const sp_ladspa_lib *lib, const LADSPA_Descriptor *d, const sp_ladspa_setup *setup,
                               sp_error *err);
void sp_ladspa_fx_free(sp_ladspa_fx *fx);
const LADSPA_Descriptor *sp_ladspa_fx_descriptor(const sp_ladspa_fx *fx);

/* The value a control input got (for logs), by port index; NaN for other ports. */
float sp_ladspa_fx_control(const sp_ladspa_fx *fx, unsigned long port);

/* Process in[n] into out[n] (distinct arrays): a fresh instance (after
 * the first call), srand(seed), activate, run over in and L zeros, deactivate, out = the output from sample L on,
 * then out = (1 - mix) in + mix out. Returns the latency L (0 without a
 * latency port), or -1 with err when the latency is not a finite
 * non-negative number below 10 s. */
long sp_ladspa_fx_process(sp_ladspa_fx *fx, const float *in, float *out, long n, double mix, unsigned seed,
                          sp_error *err);

#endif
