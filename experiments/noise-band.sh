#!/usr/bin/env bash
# The seed's experiment: does a SincNet trained with noise in one sub-band
# learn to turn its first layer away from that band?
#
# Trains experiments/noise-band-clean.conf (run directory
# runs/noise-band-clean) and experiments/noise-band.conf (runs/noise-band:
# the same training with band noise in 2000-4000 Hz at 0 dB SNR on the
# train and dev chunks), one after the other, then prints for each epoch
# the band ratio of both runs side by side, and the dev FER of both.
#
# Band ratio, per epoch e, from each run's probes/afr/afr.npy (epochs x
# bins float32, the afr probe's AFR with normalise = peak, linear
# magnitudes, db = no) and probes/afr/freqs.tsv (bin frequencies in Hz):
#
#   R(e) = mean of AFR_e(k) over the bins k with 2000 <= f_k <= 4000 Hz
#          ----------------------------------------------------------
#          mean of AFR_e(k) over all the other bins (0..8000 Hz)
#
# With nfft = 1024 at 16 kHz that is bins 128..256 (129 bins) against the
# other 384. R > 1: the first layer covers 2-4 kHz more than the rest of
# the spectrum, on average; R < 1: less. The column noisy/clean is
# R(noisy run) / R(clean run): below 1 the noisy run's filters cover the
# noisy band less than the clean run's at the same epoch.
#
# Run it from the top of the source tree after ./quickstart (it needs the
# corpus synth-timit there). sincprobe is $SINCPROBE if set, else
# sincprobe from PATH, else build/src/sincprobe. A run that has finished
# is not trained again (remove its directory to train it anew); an
# interrupted one is resumed. With --report the script only prints the
# table from existing runs. afr.npy is read with python3 (struct) when
# there is one, else with od.
set -euo pipefail
cd "$(dirname "$0")/.."

report_only=0
[ "${1:-}" = --report ] && report_only=1

sp=${SINCPROBE:-}
if [ -z "$sp" ]; then
  if command -v sincprobe >/dev/null 2>&1; then sp=sincprobe
  elif [ -x build/src/sincprobe ]; then sp=build/src/sincprobe
  else echo "noise-band.sh: no sincprobe (set SINCPROBE, put it on PATH or run ./quickstart)" >&2; exit 1
  fi
fi

band_lo=2000 band_hi=4000
clean=runs/noise-band-clean noisy=runs/noise-band

train() {   # CONF RUNDIR
  if [ -f "$2/checkpoints/last.ckpt" ]; then
    echo "== $1: resuming or keeping $2"
    "$sp" train --resume "$2"
  else
    echo "== train $1 (run directory $2)"
    "$sp" train "$1"
  fi
}

if [ "$report_only" = 0 ]; then
  train experiments/noise-band-clean.conf "$clean"
  train experiments/noise-band.conf "$noisy"
fi

# Print the float32 values of a format 1.0 little-endian C-order .npy
# file, one a line, after a line "ROWS COLS".
npy_dump() {
  if command -v python3 >/dev/null 2>&1; then
    python3 - "$1" <<'PY'
import re, struct, sys
b = open(sys.argv[1], 'rb').read()
if b[:6] != b'\x93NUMPY':
    sys.exit(f"{sys.argv[1]}: not a .npy file")
hl = struct.unpack('<H', b[8:10])[0]
h = b[10:10 + hl].decode('latin1')
if "'<f4'" not in h or "'fortran_order': False" not in h:
    sys.exit(f"{sys.argv[1]}: not little-endian C-order float32: {h.strip()}")
shape = [int(s) for s in re.search(r"'shape': \(([^)]*)\)", h).group(1).split(',') if s.strip()]
rows, cols = shape if len(shape) == 2 else (1, shape[0])
print(rows, cols)
for v in struct.unpack('<%df' % (rows * cols), b[10 + hl:10 + hl + 4 * rows * cols]):
    print(repr(v))
PY
  else
    local hl h shape
    hl=$(od -A n -t u1 -j 8 -N 2 "$1" | awk '{print $1 + 256 * $2}')
    h=$(head -c $((10 + hl)) "$1" | tail -c "$hl")
    case $h in *"'<f4'"*"'fortran_order': False"*) ;; *) echo "$1: not little-endian C-order float32" >&2; return 1;; esac
    shape=$(printf '%s' "$h" | sed -n "s/.*'shape': (\([0-9]*\), *\([0-9]*\)).*/\1 \2/p")
    [ -n "$shape" ] || { echo "$1: not a 2-d array" >&2; return 1; }
    echo "$shape"
    od -A n -v --endian=little -t f4 -j $((10 + hl)) "$1" | tr -s ' \t' '\n\n' | sed '/^$/d'
  fi
}

# Per epoch band ratio of one run: lines "EPOCH RATIO".
ratios() {   # RUNDIR
  local d=$1/probes/afr
  [ -f "$d/afr.npy" ] && [ -f "$d/freqs.tsv" ] || { echo "noise-band.sh: no AFR in $d" >&2; return 1; }
  npy_dump "$d/afr.npy" | awk -v lo=$band_lo -v hi=$band_hi -v freqs="$d/freqs.tsv" '
    BEGIN { nf = 0
            while ((getline l < freqs) > 0) if (l ~ /^[0-9.eE+-]+$/) f[nf++] = l + 0 }
    NR == 1 { rows = $1; cols = $2
              if (cols != nf) { print "noise-band.sh: " cols " bins but " nf " frequencies" > "/dev/stderr"; exit 1 }
              next }
    { i = NR - 2; r = int(i / cols); k = i % cols
      if (f[k] >= lo && f[k] <= hi) { ain[r] += $1; nin[r]++ } else { aout[r] += $1; nout[r]++ } }
    END { for (r = 0; r < rows; r++) printf "%d %.5f\n", r + 1, (ain[r] / nin[r]) / (aout[r] / nout[r]) }'
}

# Dev FER per epoch from log.tsv: lines "EPOCH FER".
devfer() {
  awk -F '\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next } { print $c["epoch"], $c["dev_fer"] }' "$1/log.tsv"
}

join_ep() { awk 'NR == FNR { a[$1] = $2; next } { print $0, ($1 in a ? a[$1] : "-") }' "$1" "$2"; }

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ratios "$clean" > "$tmp/rc"; ratios "$noisy" > "$tmp/rn"
devfer "$clean" > "$tmp/fc"; devfer "$noisy" > "$tmp/fn"
echo
echo "AFR band ratio R = mean AFR in [$band_lo, $band_hi] Hz / mean AFR elsewhere (normalise = peak)"
echo "and dev FER (the noisy run's dev chunks carry the band noise too)"
printf '%-6s %10s %10s %12s %14s %14s\n' epoch R_clean R_noisy noisy/clean dev_FER_clean dev_FER_noisy
join_ep "$tmp/rn" "$tmp/rc" | join_ep "$tmp/fc" - | join_ep "$tmp/fn" - |
  awk '{ q = ($3 != "-" && $2 != "-" && $2 > 0) ? sprintf("%.5f", $3 / $2) : "-"
         printf "%-6s %10s %10s %12s %14s %14s\n", $1, $2, $3, q, $4, $5 }'
echo
echo "Figures: $clean/probes/afr/afr_curves.png, $noisy/probes/afr/afr_curves.png"
