"""export_ladspa.py - numpy's side of tests/export-ladspa.sh: read an
exported filterbank file (sincprobe-export-ladspa(1), src/ladspa/fbfile.h)
with numpy alone, filter a test signal through a real LADSPA host, and
compare the host's output with numpy's convolution of the input with the
exported taps.

    export_ladspa.py info FILE
        check the header, size and CRC-32 as documented, recompute every
        peak gain (max |rfft(h, N)|) and print "C K kind rate ids"
    export_ladspa.py filter FILE LABEL HOST PATH [FILTER]
        HOST sox-l: sox ... ladspa -l sincprobe LABEL (latency compensated),
             float32 raw in and out
        HOST sox: the same without -l: the output lags by the plugin's delay
        HOST applyplugin: applyplugin IN.wav OUT.wav sincprobe.so LABEL,
             16-bit WAV in and out, no compensation
        PATH direct|fft|auto: the convolution path the plugin takes
             (SINCPROBE_LADSPA_CONV is set by the caller), for the expected
             latency: (K-1)/2, plus the FFT block L = N - K + 1 with N the
             smallest power of two >= max(256, 4 K)
The environment (LADSPA_PATH, SINCPROBE_LADSPA_PATH, SP_HOST_PRELOAD for
sanitizer builds) reaches the hosts; SP_WORK is a scratch directory. Exits
1 naming the mismatch.

Tolerances. sox: float32 in and out (sox's int32 samples in between lose
2^-31), so the only differences are the plugin's float32 arithmetic
against numpy's double: ~1e-7 at these levels, checked against 2e-6.
applyplugin: numpy filters the 16-bit input as applyplugin scales it
(s / 32767.5) and compares in LSBs with the output, which applyplugin
truncates toward zero after scaling by 32767.5: at most 1 LSB off, so
1.05 LSB. Either way the comparison shifted by one sample must fail,
so the latency is checked to the sample.
"""
import os
import subprocess
import sys
import wave
import zlib

import numpy as np


def fail(msg):
    print("export_ladspa.py: " + msg, file=sys.stderr)
    sys.exit(1)


def read_fb(path):
    b = open(path, "rb").read()
    keys = ["sincprobe-filterbank", "name", "kind", "sample_rate", "filters", "taps", "ids", "source",
            "data_bytes", "crc32"]
    hdr, pos = {}, 0
    for want in keys + ["end"]:
        end = b.index(b"\n", pos)
        line = b[pos:end].decode()
        pos = end + 1
        key, _, value = line.partition(" ")
        if key != want:
            fail(f"{path}: header key {key!r}, expected {want!r}")
        hdr[key] = value
    if hdr["sincprobe-filterbank"] != "1":
        fail(f"{path}: version {hdr['sincprobe-filterbank']}")
    C, K = int(hdr["filters"]), int(hdr["taps"])
    data = b[pos:]
    if len(data) != int(hdr["data_bytes"]) or len(data) != 4 * (C * K + 3 * C):
        fail(f"{path}: {len(data)} bytes of data, header says {hdr['data_bytes']}")
    if zlib.crc32(data) != int(hdr["crc32"], 16):
        fail(f"{path}: CRC-32 mismatch")
    d = np.frombuffer(data, dtype="<f4").astype(np.float64)
    taps = d[:C * K].reshape(C, K)
    f1, f2, peak = d[C * K:C * K + C], d[C * K + C:C * K + 2 * C], d[C * K + 2 * C:]
    return hdr, taps, f1, f2, peak


def grid(K):
    n = 1
    while n < max(4096, 8 * K):
        n *= 2
    return n


def latency(K, path):
    if path == "auto":
        path = "direct" if K < 64 else "fft"
    block = 0
    if path == "fft":
        n = 256
        while n < 4 * K:
            n *= 2
        block = n - K + 1
    return (K - 1) // 2 + block, block


def info(path):
    hdr, taps, f1, f2, peak = read_fb(path)
    C, K = taps.shape
    pk = np.abs(np.fft.rfft(taps, grid(K), axis=1)).max(axis=1)
    err = np.max(np.abs(pk - peak) / pk)
    if err > 1e-5:
        fail(f"{path}: peak gains differ from numpy's by {err:g} (relative)")
    if not (np.all(f1 >= 0) and np.all(f1 < f2) and np.all(f2 <= int(hdr["sample_rate"]) / 2)):
        fail(f"{path}: bands out of range")
    print(C, K, hdr["kind"], hdr["sample_rate"], hdr["ids"])


def sinc(path, cutoffs_tsv):
    """The file's sinc taps are the model's: its cut-offs are those
    `sincprobe afr --format npy` writes (cutoffs.tsv), and its taps the
    formula of nn/layers.h evaluated from them in numpy."""
    hdr, taps, f1, f2, peak = read_fb(path)
    C, K = taps.shape
    rows = [line.split("\t") for line in open(cutoffs_tsv).read().splitlines()[1:]]
    lo = np.array([float(r[1]) for r in rows])
    hi = np.array([float(r[2]) for r in rows])
    if len(rows) != C or np.abs(lo - f1).max() > 1e-3 or np.abs(hi - f2).max() > 1e-3:
        fail(f"{path}: cut-offs differ from {cutoffs_tsv}")
    fs = float(hdr["sample_rate"])
    half = (K - 1) // 2
    k = np.arange(K)
    t = (k - half) / fs
    t[half] = 1.0  # the centre tap is set apart
    w = 0.54 - 0.46 * np.cos(2 * np.pi * k / (K - 1))
    h = w * (np.sin(2 * np.pi * f2[:, None] * t) - np.sin(2 * np.pi * f1[:, None] * t)) / (np.pi * t)
    h /= 2 * (f2 - f1)[:, None]
    h[:, half] = 1.0
    err = np.abs(h - taps).max()
    if err > 1e-5:
        fail(f"{path}: the taps differ from the sinc formula by {err:g}")
    print(f"sinc taps match the formula within {err:.2g}")


def responses(path, responses_npy):
    """The file's filters have the magnitude responses `sincprobe afr
    --format npy` computes from the checkpoint (responses.npy, nfft 1024)."""
    hdr, taps, f1, f2, peak = read_fb(path)
    r = np.load(responses_npy)
    mine = np.abs(np.fft.rfft(taps, 1024, axis=1))
    if r.shape != mine.shape:
        fail(f"{path}: responses {mine.shape}, afr's {r.shape}")
    err = np.abs(mine - r).max() / r.max()
    if err > 1e-5:
        fail(f"{path}: responses differ from afr's by {err:g} of the peak")
    print(f"responses match sincprobe afr within {err:.2g}")


def run(cmd):
    env = dict(os.environ)
    if env.get("SP_HOST_PRELOAD"):
        env["LD_PRELOAD"] = env["SP_HOST_PRELOAD"]
        env["ASAN_OPTIONS"] = "detect_leaks=0"  # the hosts' own leaks are not ours
    r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        fail(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr.decode()[:400]}")


def host_output(host, label, controls, x, rate, work):
    """The host's output for input x (float64 in [-1, 1)), as floats, and
    the input the host actually saw (16-bit WAV: quantised)."""
    raw_in, raw_out = os.path.join(work, "in.raw"), os.path.join(work, "out.raw")
    if host in ("sox", "sox-l"):
        x.astype("<f4").tofile(raw_in)
        fmt = ["-t", "f32", "-r", str(rate), "-c", "1"]
        eff = ["ladspa"] + (["-l"] if host == "sox-l" else []) + ["sincprobe", label] + controls
        run(["sox"] + fmt + [raw_in] + ["-t", "f32", raw_out] + eff)
        return np.fromfile(raw_out, "<f4").astype(np.float64), x.astype("<f4").astype(np.float64)
    wav_in, wav_out = os.path.join(work, "in.wav"), os.path.join(work, "out.wav")
    q = np.round(x * 32767).astype("<i2")
    with wave.open(wav_in, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(q.tobytes())
    run(["applyplugin", wav_in, wav_out, "sincprobe.so", label] + controls)
    with wave.open(wav_out) as w:
        y = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float64)
    # applyplugin reads s / 32767.5 and writes (short)(y * 32767.5), truncated
    return y, q.astype(np.float64) / 32767.5


def filter_check(path, label, host, conv_path, which=None):
    hdr, taps, f1, f2, peak = read_fb(path)
    C, K = taps.shape
    rate = int(hdr["sample_rate"])
    if label.endswith("_bank"):
        h = (taps / peak[:, None]).sum(axis=0) / C
        controls = []
    else:
        h = taps[which] / peak[which]
        controls = [str(which)]
    n = 3 * rate // 2
    x = np.random.default_rng(5).uniform(-0.25, 0.25, n)
    work = os.environ["SP_WORK"]  # a scratch directory of the calling test
    y, xin = host_output(host, label, controls, x, rate, work)
    lat, block = latency(K, conv_path)
    half = (K - 1) // 2
    # the model's correlation centred on n: ref[n] = sum_k h[k] x[n - half + k]
    full = np.convolve(xin, h[::-1])  # full[m] = sum_k h[k] x[m - (K-1) + k]
    ref = full[half:half + n]
    if np.abs(ref).max() < 0.01 or np.abs(ref).max() > 0.9:
        fail(f"{label}: the reference peaks at {np.abs(ref).max():g}: a useless or clipping test signal")
    if host == "sox-l":
        want, tol = ref, 2e-6
    else:
        # uncompensated: the causal filter (full), from the stream's start,
        # one FFT block late; i.e. ref delayed by the latency, with the
        # filter's start-up transient in front
        want, tol = np.concatenate([np.zeros(block), full])[:n], 2e-6
    if host == "applyplugin":
        want = want * 32767.5
        tol = 1.05  # the truncation to 16 bits: up to 1 LSB, plus float rounding
    if len(y) != n:
        fail(f"{label} via {host}: {len(y)} samples out, {n} in")
    err = np.abs(y - want)
    worst = int(np.argmax(err))
    if err[worst] > tol:
        fail(f"{label} via {host} ({conv_path}, latency {lat}): sample {worst} is {y[worst]:.8g}, "
             f"numpy says {want[worst]:.8g} (error {err[worst]:.3g} > {tol:g})")
    # the same comparison one sample off must fail: the alignment is tested
    off = np.abs(y[1:] - want[:-1]).max()
    if off <= tol:
        fail(f"{label} via {host}: a one-sample shift also matches (error {off:g})")
    print(f"{label} via {host} ({conv_path}, latency {lat}, block {block}): max error {err[worst]:.3g}, "
          f"peak {np.abs(want).max():.4g}")


def main(argv):
    if len(argv) >= 2 and argv[0] == "info":
        info(argv[1])
    elif len(argv) >= 3 and argv[0] == "responses":
        responses(argv[1], argv[2])
    elif len(argv) >= 3 and argv[0] == "sinc":
        sinc(argv[1], argv[2])
    elif len(argv) >= 5 and argv[0] == "filter":
        which = int(argv[5]) if len(argv) > 5 else None
        filter_check(argv[1], argv[2], argv[3], argv[4], which)
    else:
        fail("usage: export_ladspa.py info FILE | filter FILE LABEL HOST PATH [FILTER]")


if __name__ == "__main__":
    main(sys.argv[1:])
