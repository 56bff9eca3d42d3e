/* report_manifest.h - the report manifests of the built-in probes. make
 * compiles plugins/NAME.manifest into the probe's module as the C string
 * sp_manifest_NAME (tools/manifest2c.sh, plugins/plugins.am); on_start
 * writes it into the probe's folder as report.manifest, which tells
 * `sincprobe report` what to draw of the folder (sincprobe-probe(3),
 * Report manifests), as a probe built out of tree does with its own. A
 * header of static code: a probe links against nothing of sincprobe's. */
#ifndef SP_PLUGIN_REPORT_MANIFEST_H
#define SP_PLUGIN_REPORT_MANIFEST_H

#include <sincprobe/probe.h>

#include <string.h>

/* Each defined only in its own probe's module. */
extern const char sp_manifest_afr[], sp_manifest_mi[], sp_manifest_gradsnr[], sp_manifest_tsne[],
    sp_manifest_pca[], sp_manifest_linsep[];

/* Write manifest as report.manifest into the probe's folder, in train
 * mode only (the report draws a run's RUN/probes/ID folders; eval's and
 * analyse's folders are left as they were). */
static inline int sp_write_manifest(const sp_probe_context *ctx, const sp_probe_run *run, const char *manifest,
                                    sp_probe_error *err)
{
    if (run->mode != SP_PROBE_MODE_TRAIN || ctx->mode != SP_PROBE_MODE_TRAIN) return 0;
    return ctx->host->write_text(ctx, "report.manifest", manifest, strlen(manifest), err);
}

#endif
