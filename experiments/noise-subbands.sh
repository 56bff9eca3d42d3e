#!/usr/bin/env bash
# The seed's experiment ("Gradient vanishing seriousness", Loweimi et al.):
# train a raw-waveform phone recogniser with noise added in two narrow
# sub-bands and watch whether its first layer turns away from them, for
# both first layers and three activations, beside clean runs.
#
#   experiments/noise-subbands.sh [--report] [--only LIST] [--corpus DIR]
#
# The runs (12): first layer {sinc, conv} x activation {relu, sigmoid,
# tanh} x {noisy, clean}. Each is the small preset on the synthetic corpus
# (./quickstart makes synth-timit), 20 epochs x $STEPS steps of 64 chunks
# (default 60: 1,200 steps a run), seed 1234, with
#   - sinc: [model] sinc_param = normalised (cut-offs stored / fs, as the
#     2018 SincNet and pytorch-kaldi: in Hz, RMSprop's steps of ~lr move a
#     cut-off by ~1e-3 Hz and the filters stay where they started);
#   - noisy: the noise probe, white noise in 1200-1600 and 1800-2100 Hz
#     (energy split over the two bands by width), 0 dB SNR over the whole
#     chunk, on the train and dev chunks;
#   - the afr probe (nfft 1024, normalise = none: the raw |H| average, so
#     that the network's own gain choices show), which also writes the
#     first layer's movement and gradient norm per epoch (movement.tsv),
#     with mark = the noisy bands (noisy and clean runs alike): hatched on
#     its AFR heatmap and curves and on the report's AFR and filter figures.
# Budget: about 4-5 minutes a run on 2 cores (measured runs: see the
# README), one hour for all twelve. Runs are resumable: a finished run is
# kept, an interrupted one resumed (remove runs/noise-subbands/NAME to
# train it anew). --only takes a comma list of run names
# (sinc-relu-noisy, conv-tanh-clean, ...).
#
# What it prints, per run pair and epoch e: for each noisy band b,
#
#   R_b(e) = mean AFR_e over the bins of b / mean AFR_e over its
#            neighbourhood (the 400 Hz on either side of b, minus any
#            noisy band)
#
# where AFR is, for conv runs, the afr probe's raw average |H| and, for
# sinc runs, the filters' coverage: (1/C) sum_c [f1_c <= f <= f2_c] from
# bands.tsv (centre -+ half band), the peak-normalised AFR of ideal
# band-passes (a sinc filter's raw |H| scales with 1/bandwidth, so its raw
# average mostly tells which filter narrowed); and the column
# noisy/clean = R_b(noisy run, e) / R_b(clean run, e):
# below 1 the noisy run's first layer passes that band less than the
# clean run's at the same epoch, relative to the band's surroundings. A
# control band, 2400-2800 Hz (no noise), is printed the same way. Beside
# it: the dev FER of both runs, the first layer's mean gradient norm
# (movement.tsv grad_norm_mean) and how far its filters' centres moved
# since initialisation (d0_centre_mean, Hz).
#
# sincprobe is $SINCPROBE, else sincprobe on PATH, else build/src/sincprobe.
# Reading the .npy files needs python3 with numpy ($PYTHON, default /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/.."

report_only=0 only="" corpus=synth-timit
STEPS=${STEPS:-60}
EPOCHS=${EPOCHS:-20}
while [ $# -gt 0 ]; do
  case $1 in
    --report) report_only=1 ;;
    --only) only=$2; shift ;;
    --corpus) corpus=$2; shift ;;
    -h|--help) sed -n '2,45p' "$0"; exit 0 ;;
    *) echo "noise-subbands.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done

. experiments/lib.sh
find_sincprobe noise-subbands.sh "$corpus"
corpus=$(abs_path "$corpus")

top=$PWD/runs/noise-subbands
bands="1200-1600,1800-2100"
mkdir -p "$top/configs"

# config NAME FIRST ACT NOISY -> path of the run's config
config() {
  local name=$1 first=$2 act=$3 noisy=$4 f="$top/configs/$1.conf"
  {
    echo "# experiments/noise-subbands.sh: $name"
    echo "[data]"
    echo "corpus = $corpus"
    echo "[model]"
    echo "preset = small"
    echo "first_layer = $first"
    echo "activation = $act"
    [ "$first" = sinc ] && echo "sinc_param = normalised"
    echo "[train]"
    echo "epochs = $EPOCHS"
    echo "steps_per_epoch = $STEPS"
    echo "batch = 64"
    echo "threads = 2"
    echo "seed = 1234"
    echo "[run]"
    echo "dir = $top/$name"
    if [ "$noisy" = noisy ]; then
      echo "[probe noise]"
      echo "use = noise"
      echo "type = band"
      echo "band = $bands"
      echo "snr_db = 0"
      echo "apply_to = train,dev"
    fi
    echo "[probe afr]"
    echo "use = afr"
    echo "nfft = 1024"
    echo "normalise = none"
    echo "mark = $bands"
    if [ "$first" = sinc ]; then
      echo "[probe afrpeak]"
      echo "use = afr"
      echo "nfft = 1024"
      echo "normalise = peak"
      echo "mark = $bands"
    fi
  } >"$f"
  echo "$f"
}

runs=()
for first in sinc conv; do
  for act in relu sigmoid tanh; do
    for noisy in noisy clean; do runs+=("$first-$act-$noisy"); done
  done
done

wanted() { [ -z "$only" ] || [[ ",$only," == *",$1,"* ]]; }

if [ "$report_only" = 0 ]; then
  for name in "${runs[@]}"; do
    wanted "$name" || continue
    IFS=- read -r first act noisy <<<"$name"
    conf=$(config "$name" "$first" "$act" "$noisy")
    dir="$top/$name"
    if [ -f "$dir/log.tsv" ] && [ "$(awk 'NR > 1' "$dir/log.tsv" | wc -l)" -ge "$EPOCHS" ]; then
      echo "== $name: done, kept"
    elif [ -f "$dir/checkpoints/last.ckpt" ]; then
      echo "== $name: resuming"
      "$sp" train --resume "$dir" --quiet
    else
      echo "== $name: training ($conf)"
      start=$(date +%s)
      "$sp" train "$conf" --quiet
      echo "== $name: $(( $(date +%s) - start )) s"
    fi
  done
fi

"${PYTHON:-/usr/bin/python3}" - "$top" "$bands" "${runs[@]}" <<'EOF'
import sys, os, csv
import numpy as np
top, bands = sys.argv[1], sys.argv[2]
runs = sys.argv[3:]
noisy_bands = [tuple(float(x) for x in b.split('-')) for b in bands.split(',')]
control = (2400.0, 2800.0)

def table(path):
    with open(path) as f:
        rows = list(csv.reader(f, delimiter='\t'))
    return rows[0], rows[1:]

def ratio(afr, freqs, band):
    lo, hi = band
    inside = (freqs >= lo) & (freqs <= hi)
    near = ((freqs >= lo - 400) & (freqs < lo)) | ((freqs > hi) & (freqs <= hi + 400))
    for nlo, nhi in noisy_bands:
        near &= ~((freqs >= nlo) & (freqs <= nhi))
    return afr[:, inside].mean(axis=1) / afr[:, near].mean(axis=1)

def coverage(path, freqs):
    """(1/C) sum_c [f1_c <= f <= f2_c] per epoch >= 1, from bands.tsv."""
    h, rows = table(path)
    E = max(int(r[0]) for r in rows)
    C = max(int(r[1]) for r in rows) + 1
    cov = np.zeros((E, len(freqs)))
    for r in rows:
        e = int(r[0])
        if e == 0:
            continue
        c, b = float(r[2]), float(r[3])
        cov[e - 1] += (freqs >= c - b / 2) & (freqs <= c + b / 2)
    return cov / C

def load(name):
    d = os.path.join(top, name)
    p = os.path.join(d, 'probes', 'afr')
    if not os.path.exists(os.path.join(p, 'afr.npy')):
        return None
    afr = np.load(os.path.join(p, 'afr.npy'))
    freqs = np.load(os.path.join(p, 'freqs.npy')) if os.path.exists(os.path.join(p, 'freqs.npy')) else \
        np.array([float(r[-1]) for r in table(os.path.join(p, 'freqs.tsv'))[1]])
    peak = None
    if name.startswith('sinc-'):
        afr = coverage(os.path.join(p, 'bands.tsv'), freqs)
        pp = os.path.join(d, 'probes', 'afrpeak', 'afr.npy')
        if os.path.exists(pp):
            peak = np.load(pp)
    h, rows = table(os.path.join(d, 'log.tsv'))
    fer = [float(r[h.index('dev_fer')]) for r in rows]
    mv = {}
    mp = os.path.join(p, 'movement.tsv')
    if os.path.exists(mp):
        mh, mrows = table(mp)
        for col in ('grad_norm_mean', 'd0_centre_mean', 'd0_band_mean'):
            if col in mh:
                mv[col] = [float(r[mh.index(col)]) for r in mrows]
    return dict(afr=afr, freqs=freqs, fer=fer, mv=mv, peak=peak)

summary = []
for first in ('sinc', 'conv'):
    for act in ('relu', 'sigmoid', 'tanh'):
        n, c = load(f'{first}-{act}-noisy'), load(f'{first}-{act}-clean')
        if n is None or c is None:
            continue
        E = min(len(n['afr']), len(c['afr']))
        bands_all = noisy_bands + [control]
        rn = [ratio(n['afr'][:E], n['freqs'], b) for b in bands_all]
        rc = [ratio(c['afr'][:E], c['freqs'], b) for b in bands_all]
        print(f'\n== {first}, {act}: AFR in band / its 400 Hz neighbourhood, noisy run / clean run')
        head = ['epoch'] + [f'{int(b[0])}-{int(b[1])}{"" if b != control else " (control)"}' for b in bands_all] + \
            ['dev FER noisy', 'dev FER clean', '|g| noisy', '|g| clean', 'moved noisy Hz', 'moved clean Hz']
        print('\t'.join(head))
        for e in range(E):
            cells = [str(e + 1)] + [f'{rn[i][e] / rc[i][e]:.3f}' for i in range(len(bands_all))]
            cells += [f"{n['fer'][e]:.3f}" if e < len(n['fer']) else '-', f"{c['fer'][e]:.3f}" if e < len(c['fer']) else '-']
            for run in (n, c):
                g = run['mv'].get('grad_norm_mean')
                cells.append(f'{g[e]:.3g}' if g and e < len(g) else '-')
            for run in (n, c):
                m = run['mv'].get('d0_centre_mean')
                cells.append(f'{m[e]:.1f}' if m and e < len(m) else '-')
            print('\t'.join(cells))
        summary.append((first, act, [rn[i][E - 1] / rc[i][E - 1] for i in range(len(bands_all))], E))
        if n['peak'] is not None and c['peak'] is not None:
            # the same ratio from the afrpeak probe: each filter's |H| over
            # its own peak, averaged (a smooth coverage, no 1/bandwidth gain)
            print(f'-- {first}, {act}: the same from the peak-normalised AFR (afrpeak probe), epochs 1, 5, 10, 15, 20')
            pn = [ratio(n['peak'][:E], n['freqs'], b) for b in bands_all]
            pc = [ratio(c['peak'][:E], c['freqs'], b) for b in bands_all]
            for e in (0, 4, 9, 14, 19):
                if e < E:
                    print(str(e + 1) + '\t' + '\t'.join(f'{pn[i][e] / pc[i][e]:.3f}' for i in range(len(bands_all))))
if summary:
    print('\n== last epoch: noisy/clean ratio of R_b (below 1: the noisy band is passed less)')
    print('first\tactivation\tepochs\t' + '\t'.join(f'{int(b[0])}-{int(b[1])}' for b in noisy_bands + [control]))
    for first, act, r, E in summary:
        print(f'{first}\t{act}\t{E}\t' + '\t'.join(f'{x:.3f}' for x in r))
# One layer later: how much each first-layer channel feeds the next conv
# (checkpoint layout: nn/checkpoint.h; parameters in layer order: in_ln
# gamma, beta [T]; the first layer; ln1 gamma, beta [F][T']; conv2 w
# [C2][F][K2], ...). gain_c = mean |gamma1_c| * ||W2[:, c, :]||_2 (layer norm
# 1's scale of channel c times conv2's weights on it): a network that turns
# away from a band without moving its filters lowers the gain of the
# channels whose filters lie in it.
import struct
def channel_gain(run, first):
    b = open(os.path.join(top, run, 'checkpoints', 'last.ckpt'), 'rb').read()
    L = struct.unpack('<I', b[12:16])[0]
    conf = dict(l.split(' = ', 1) for l in b[16:16 + L].decode().splitlines() if ' = ' in l)
    o = 16 + L
    n = struct.unpack('<Q', b[o:o + 8])[0]
    p = np.frombuffer(b[o + 8:o + 8 + 4 * n], dtype='<f4')
    T = int(float(conf['input_ms']) * 16)
    F, K, P = int(conf['filters']), int(conf['taps']), int(conf['pool'])
    C2, K2 = (int(v) for v in conf['conv'].split(',')[0].split('x'))
    Tp = (T - K + 1) // P
    at = 2 * T + (2 * F if first == 'sinc' else F * K + F)
    g = p[at:at + F * Tp].reshape(F, Tp)
    at += 2 * F * Tp
    W = p[at:at + C2 * F * K2].reshape(C2, F, K2)
    return np.abs(g).mean(axis=1) * np.sqrt((W ** 2).sum(axis=(0, 2)))

def in_noise(run):
    """Each filter's share of its band (centre -+ half band, last epoch) in the noisy bands."""
    h, rows = table(os.path.join(top, run, 'probes', 'afr', 'bands.tsv'))
    E = max(int(r[0]) for r in rows)
    cb = {int(r[1]): (float(r[2]), float(r[3])) for r in rows if int(r[0]) == E}
    c = np.array([cb[i][0] for i in range(len(cb))])
    w = np.array([cb[i][1] for i in range(len(cb))])
    lo, hi = c - w / 2, c + w / 2
    return sum(np.clip(np.minimum(hi, bh) - np.maximum(lo, bl), 0, None) for bl, bh in noisy_bands) / w

print('\n== one layer later: gain into the next conv of the channels whose filters lie')
print('   mostly (> 50%) in the noisy bands / of those wholly outside them (last epoch)')
print('run\tnoisy run: filters\tgain ratio\tclean run: filters\tgain ratio\tnoisy / clean')
for first in ('sinc', 'conv'):
    for act in ('relu', 'sigmoid', 'tanh'):
        nr, cr = f'{first}-{act}-noisy', f'{first}-{act}-clean'
        if not all(os.path.exists(os.path.join(top, r, 'checkpoints', 'last.ckpt')) for r in (nr, cr)):
            continue
        cells = []
        for r in (nr, cr):
            gain, share = channel_gain(r, first), in_noise(r)
            k = share > 0.5
            cells.append((int(k.sum()), gain[k].mean() / gain[share == 0].mean() if k.any() else float('nan')))
        print(f'{first}-{act}\t{cells[0][0]}\t{cells[0][1]:.3f}\t{cells[1][0]}\t{cells[1][1]:.3f}\t{cells[0][1] / cells[1][1]:.3f}')
EOF
