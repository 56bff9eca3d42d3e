#!/usr/bin/env bash
# The seed's study: batch size vs the gradient SNR transition.
#
# Trains experiments/snr-batch32.conf and experiments/snr-batch256.conf
# (runs/snr-batch32, runs/snr-batch256: the same training but for the
# batch size, 3072 chunks per epoch each), then prints from each run's
# probes/gradsnr/gradsnr.tsv the per-epoch SNR = ||mean_b g_b|| /
# ||std_b g_b|| of the weights of every dense layer and the sinc cut-offs,
# side by side, and both transition.tsv tables (the epoch e minimising
# SNR(e) - SNR(e-1)) with the dev FER.
#
# What to expect from the theory: the std of a mini-batch gradient falls
# like 1/sqrt(batch), so at batch 256 the SNR is ~sqrt(8) = 2.8 times that
# at batch 32 for the same mean gradient; the question is whether the
# transition (the SNR's largest drop) moves.
#
# Run from the top of the source tree after ./quickstart. sincprobe:
# $SINCPROBE, else on PATH, else build/src/sincprobe. Finished runs are
# kept; --report only prints. Measured 11 minutes for both on 2 cores
# shared with other jobs.
#
# Measured (seed 1234): in epochs 1-7 the SNR of every weight tensor is
# 2.4-3.4 times higher at batch 256 than at 32 (out.w ~4.2), close to
# sqrt(8) = 2.83 (epoch 8: 1.9-3.0, the batch-32 run having halved its
# learning rate there, which raised its SNR);
# it falls over the 8 epochs in both (dense2.w: 0.105 -> 0.086 at 32,
# 0.327 -> 0.196 at 256), and the transition (the largest drop) is at
# epoch 2 for dense1.w, dense2.w and out.w at both batch sizes, epoch 2 vs
# 3 for conv2.w and conv3.w: in 8 short epochs batch size moved the SNR's
# level, not (clearly) its transition.
set -euo pipefail
cd "$(dirname "$0")/.."
report_only=0
[ "${1:-}" = --report ] && report_only=1
sp=${SINCPROBE:-}
if [ -z "$sp" ]; then
  if command -v sincprobe >/dev/null 2>&1; then sp=sincprobe
  elif [ -x build/src/sincprobe ]; then sp=build/src/sincprobe
  else echo "snr-batch.sh: no sincprobe (set SINCPROBE, put it on PATH or run ./quickstart)" >&2; exit 1
  fi
fi
train() {   # CONF RUNDIR
  if [ -f "$2/checkpoints/last.ckpt" ]; then "$sp" train --resume "$2"
  else "$sp" train "$1"; fi
}
if [ "$report_only" = 0 ]; then
  for b in 32 256; do
    echo "== train experiments/snr-batch$b.conf (runs/snr-batch$b)"
    train experiments/snr-batch$b.conf runs/snr-batch$b
  done
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for b in 32 256; do
  awk -F '\t' 'NR > 1 && ($3 == "w" || $3 == "low_hz") { printf "%s.%s %d %.4f %.4f\n", $2, $3, $1, $7, $10 }' \
    runs/snr-batch$b/probes/gradsnr/gradsnr.tsv | sort -k1,1 -k2,2n >"$tmp/s$b"
  awk -F '\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next } { printf "%d %.4f\n", $c["epoch"], $c["dev_fer"] }' \
    runs/snr-batch$b/log.tsv >"$tmp/f$b"
done
echo
echo "SNR = ||mean g|| / ||std g|| per epoch (norm_snr = mean ||g|| / std ||g|| beside it)"
printf '%-14s %5s %10s %10s %14s %14s %7s\n' tensor epoch snr_b32 snr_b256 norm_snr_b32 norm_snr_b256 ratio
paste -d ' ' "$tmp/s32" "$tmp/s256" |
  awk '{ r = ($3 > 0) ? sprintf("%.2f", $7 / $3) : "-"; printf "%-14s %5s %10s %10s %14s %14s %7s\n", $1, $2, $3, $7, $4, $8, r }'
echo
echo "transition epoch (argmin over epochs of SNR(e) - SNR(e-1)) and that difference"
printf '%-10s %-8s %8s %10s %8s %10s\n' layer param e_b32 dsnr_b32 e_b256 dsnr_b256
paste runs/snr-batch32/probes/gradsnr/transition.tsv runs/snr-batch256/probes/gradsnr/transition.tsv |
  awk -F '\t' 'NR > 1 { printf "%-10s %-8s %8s %10.4g %8s %10.4g\n", $1, $2, $3, $4, $7, $8 }'
echo
echo "dev FER per epoch"
join "$tmp/f32" "$tmp/f256" | awk 'BEGIN { printf "%-6s %8s %8s\n", "epoch", "b32", "b256" } { printf "%-6s %8s %8s\n", $1, $2, $3 }'
