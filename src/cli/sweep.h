/* sweep.h - `sincprobe sweep`'s grid (internal to src/cli): a config, the
 * keys it varies (--vary SECTION.KEY=V1,V2,...) and the seeds, expanded
 * into runs, each with its own config; see sincprobe-sweep(1). A key is
 * one of the config schema (SECTION.KEY) or an option of one of the
 * config's [probe ID] sections ('probe ID.KEY' or probe.ID.KEY, both
 * spelled probe.ID.KEY in names, sweep.tsv and the report).
 *
 * The runs come in a fixed order: the cartesian product of the --vary
 * values in command-line order, the first --vary varying slowest, each
 * key's values in the order given, then the seeds innermost. Seed k of K
 * is the config's [train] seed + k. A run is named by its values,
 *     SECTION.KEY=VALUE,SECTION.KEY=VALUE,...,seed=SEED
 * each VALUE sanitised (characters other than [A-Za-z0-9._+-] become
 * '_'), and lives in OUT/NAME with its config in OUT/configs/NAME.conf. */
#ifndef SP_CLI_SWEEP_H
#define SP_CLI_SWEEP_H

#include "base/error.h"

typedef struct {
    char *key;            /* "train.batch", "probe.noise.snr_db" */
    char *section, *name; /* "train", "batch"; "probe noise", "snr_db" */
    int nv;
    char **v;             /* the values, in the order given */
} sp_sweep_axis;

typedef enum { SP_RUN_NEW, SP_RUN_PARTIAL, SP_RUN_FINISHED } sp_run_state;

typedef struct {
    char *name;  /* as above */
    char *dir;   /* OUT/NAME (absolute) */
    char *conf;  /* OUT/configs/NAME.conf (absolute) */
    long seed;
    int *vi;     /* [nax]: the index of its value of each axis */
    char *text;  /* the config written to conf */
} sp_sweep_run;

typedef struct {
    char *config;      /* CONFIG as given */
    char *out;         /* OUT, absolute */
    int nax;
    sp_sweep_axis *ax;
    int seeds;
    long seed0;        /* the config's [train] seed */
    int threads;       /* the config's [train] threads */
    int n;
    sp_sweep_run *run;
} sp_sweep;

/* Parse each --vary argument SECTION.KEY=V1,V2,... or 'probe ID.KEY=...'
 * / probe.ID.KEY=... (';' instead of ',' when the argument holds one, for
 * values with commas: model.dense=256,256;512,512) and check a schema key
 * against the config schema: an unknown key, train.seed, a key given
 * twice, an empty or repeated value is an error. A probe key is checked
 * by sp_sweep_expand, which reads the config. -1 with err. */
int sp_sweep_axes(sp_sweep *s, const char *const *vary, int nvary, sp_error *err);

/* Expand the grid (sp_sweep_axes first): check each probe key (the
 * config has its [probe ID] section, whose probe declares the option, or
 * it is use, probe_frames or probe_timeout), resolve every run's config
 * (each value checked as sincprobe.conf(5) checks it, a probe option's
 * value as train checks it: the chain's type and range checks, the
 * probe's create; every combination as train would read it and create
 * its probes), name the runs, and refuse names that collide
 * or a run whose directory holds a run of another config than the one
 * it would get now. Writes nothing. out NULL: the config's [run] dir.
 * 0; -1 with err when the config or a file is at fault; -2 with err
 * when the command line is (a bad value, values that do not go together,
 * names that collide). */
int sp_sweep_expand(sp_sweep *s, const char *config, const char *out, int seeds, sp_error *err);

/* Write OUT/configs/NAME.conf (those that changed), OUT/sweep.tsv (a row
 * per run: run, name, the varied keys' values, seed) and OUT/runs.list
 * (the names, one a line, in order), each atomically. */
int sp_sweep_write(const sp_sweep *s, sp_error *err);

/* A run's state now: finished (RUN/finished.tsv), partial (a checkpoint:
 * to resume), new. */
sp_run_state sp_sweep_state(const sp_sweep_run *r);

void sp_sweep_free(sp_sweep *s);

#endif
