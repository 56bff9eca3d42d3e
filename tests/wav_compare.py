"""wav_compare.py - numerical checks on WAV files for the LADSPA tests.

    wav_compare.py same A.wav B.wav TOL [SHIFT]
        |A[t] - B[t + SHIFT]| <= TOL for every t both have (SHIFT >= 0:
        B is A delayed by SHIFT samples, as a host that does not compensate
        latency writes it); prints the max difference; exit 1 beyond TOL.
        When B is 16-bit PCM, A is first clipped to B's range [-1, 1 - 2^-15]
        (applyplugin's writer clips).
    wav_compare.py mix OUT.wav DRY.wav WET.wav MIX TOL
        OUT = (1 - MIX) DRY + MIX WET within TOL.
    wav_compare.py subnormal A.wav
        exit 1 when A holds a subnormal float (0 < |x| < 2^-126).
    wav_compare.py stats A.wav
        prints samples, rms, peak.

Reads RIFF WAVE, PCM 16-bit or IEEE float 32-bit, first channel, with
numpy only (the tests use Debian's python3-numpy)."""
import struct
import sys

import numpy as np


def read_wav(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        sys.exit(f"{path}: not a RIFF WAVE file")
    pos, fmt, samples = 12, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = data[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            fmt = struct.unpack("<HHIIHH", body[:16])
        elif cid == b"data":
            samples = body
        pos += 8 + size + (size & 1)
    if fmt is None or samples is None:
        sys.exit(f"{path}: no fmt or data chunk")
    tag, channels, _rate, _, _, bits = fmt
    if tag == 0xFFFE:  # WAVE_FORMAT_EXTENSIBLE: the sub-format decides
        tag = 3 if bits == 32 else 1
    if tag == 1 and bits == 16:
        x = np.frombuffer(samples, "<i2").astype(np.float64) / 32768.0
    elif tag == 3 and bits == 32:
        x = np.frombuffer(samples, "<f4").astype(np.float64)
    else:
        sys.exit(f"{path}: format tag {tag}, {bits} bits: not PCM16 or float32")
    return x.reshape(-1, channels)[:, 0]


def pcm16(path):
    with open(path, "rb") as f:
        head = f.read(64)
    i = head.find(b"fmt ")
    return i >= 0 and struct.unpack("<H", head[i + 8:i + 10])[0] == 1 and struct.unpack("<H", head[i + 22:i + 24])[0] == 16


def main(argv):
    cmd = argv[1]
    if cmd == "same":
        a, b, tol = read_wav(argv[2]), read_wav(argv[3]), float(argv[4])
        if pcm16(argv[3]):
            a = np.clip(a, -1.0, 32767 / 32768)
        shift = int(argv[5]) if len(argv) > 5 else 0
        n = min(len(a), len(b) - shift)
        if n <= 0:
            sys.exit("nothing to compare")
        d = np.abs(a[:n] - b[shift:shift + n])
        print(f"max |diff| {d.max():.3g} over {n} samples (shift {shift}); rms a {np.sqrt(np.mean(a**2)):.4g}")
        return 0 if d.max() <= tol else 1
    if cmd == "mix":
        out, dry, wet = read_wav(argv[2]), read_wav(argv[3]), read_wav(argv[4])
        m, tol = float(argv[5]), float(argv[6])
        n = min(len(out), len(dry), len(wet))
        d = np.abs(out[:n] - ((1 - m) * dry[:n] + m * wet[:n]))
        print(f"max |diff| {d.max():.3g}")
        return 0 if d.max() <= tol else 1
    if cmd == "subnormal":
        a = read_wav(argv[2]).astype(np.float32)
        k = int(np.sum((a != 0) & (np.abs(a) < np.finfo(np.float32).tiny)))
        print(f"{k} subnormal samples")
        return 0 if k == 0 else 1
    if cmd == "stats":
        a = read_wav(argv[2])
        print(f"{len(a)} {np.sqrt(np.mean(a**2)):.6g} {np.abs(a).max():.6g}")
        return 0
    sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
