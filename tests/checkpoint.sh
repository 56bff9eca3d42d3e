# checkpoint.sh - the checkpoint format (sincprobe-checkpoint(5)) and
# `sincprobe export` (sincprobe-export(1)): a version 1 file of an earlier
# sincprobe still loads; a version 2 file carries the named-tensor
# directory, checked against the model its config makes; the export is a
# .npz that numpy.load reads, with the tensors, the config and the phones.
. "$top_srcdir/tests/lib.sh"
command -v "$PY" >/dev/null && "$PY" -c 'import numpy' 2>/dev/null || { echo "checkpoint.sh: needs $PY with numpy" >&2; exit 77; }

# ---- version 1 (tests/fixtures/ckpt-v1.ckpt, written by sincprobe before
# version 2: 2 sinc filters of 9 taps, conv 2x3, dense 4)
v1=$top_srcdir/tests/fixtures/ckpt-v1.ckpt
expect_status 0 "$SINCPROBE" export "$v1" --out "$work/v1.npz"
expect_status 0 "$PY" - "$work/v1.npz" <<'PY'
import sys, numpy as np
z = np.load(sys.argv[1])
shapes = {k: z[k].shape for k in z.files}
assert shapes["sinc.low_hz"] == (2,), shapes
assert shapes["conv2.w"] == (2, 2, 3), shapes
assert "filters = 2" in str(z["config"]), str(z["config"])[:200]
PY

# ---- version 2: a tiny training's checkpoints
tiny_corpus
conf "$work/run" >"$work/tiny.conf"
expect_status 0 "$SINCPROBE" train "$work/tiny.conf" --quiet || finish
ck=$work/run/checkpoints/last.ckpt
# the version and the directory, read as sincprobe-checkpoint(5) describes them
expect_status 0 "$PY" - "$ck" <<'PY'
import sys, struct
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"SPCKPT\r\n"
version, clen = struct.unpack_from("<II", b, 8)
assert version == 2, version
at = 16 + clen
(n,) = struct.unpack_from("<I", b, at); at += 4
names = {}
for i in range(n):
    (ln,) = struct.unpack_from("<I", b, at); at += 4
    name = b[at:at + ln].decode(); at += ln
    block, rank, off = struct.unpack_from("<IIQ", b, at); at += 16
    shape = struct.unpack_from("<%dQ" % rank, b, at); at += 8 * rank
    names[name] = (block, shape)
assert names["in_ln.gamma"] == (0, (1, 800)), names
assert names["sinc.band_hz"] == (0, (8,)), names
assert names["conv2.w"] == (0, (8, 8, 3)), names
assert names["dense1.w"] == (0, (32, 648)), names
assert names["bn1.running_var"] == (1, (32,)), names
assert names["out.b"] == (0, (48,)), names
PY
# a directory that disagrees with the config (a renamed tensor, the CRC
# made right again) is refused, naming both
"$PY" - "$ck" "$work/renamed.ckpt" <<'PY'
import sys, zlib
b = bytearray(open(sys.argv[1], "rb").read())
i = b.index(b"conv2.w")
b[i:i + 7] = b"conv2.x"
b[-4:] = (zlib.crc32(bytes(b[:-4])) & 0xffffffff).to_bytes(4, "little")
open(sys.argv[2], "wb").write(b)
PY
expect_status 1 "$SINCPROBE" export "$work/renamed.ckpt" --out "$work/renamed.npz"
expect_match "$err" "tensor 6 is 'conv2.x' where its config makes 'conv2.w' \[8, 8, 3\]" "renamed tensor"
# a version from the future
"$PY" - "$ck" "$work/v9.ckpt" <<'PY'
import sys, zlib
b = bytearray(open(sys.argv[1], "rb").read())
b[8:12] = (9).to_bytes(4, "little")
b[-4:] = (zlib.crc32(bytes(b[:-4])) & 0xffffffff).to_bytes(4, "little")
open(sys.argv[2], "wb").write(b)
PY
expect_status 1 "$SINCPROBE" export "$work/v9.ckpt" --out "$work/v9.npz"
expect_match "$err" "has version 9; this sincprobe reads versions 1 to 2" "future version"

# ---- export: numpy.load alone; every tensor, the config, the phones
expect_status 0 "$SINCPROBE" export "$work/run" --out "$work/m.npz"
expect_status 0 "$PY" - "$work/m.npz" "$ck" <<'PY'
import sys, zipfile, struct, numpy as np
zf = zipfile.ZipFile(sys.argv[1])
assert zf.testzip() is None                     # every member's CRC-32
assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
z = np.load(sys.argv[1])                        # no allow_pickle
assert z["phones"].shape == (48,) and z["phones"][0] == "aa", z["phones"][:3]
cfg = str(z["config"])
assert "[model]" in cfg and "filters = 8" in cfg and "dense = 32" in cfg, cfg
# the arrays are the checkpoint's floats, tensor by tensor
b = open(sys.argv[2], "rb").read()
(clen,) = struct.unpack_from("<I", b, 12)
at = 16 + clen
(n,) = struct.unpack_from("<I", b, at); at += 4
ents = []
for i in range(n):
    (ln,) = struct.unpack_from("<I", b, at); at += 4
    name = b[at:at + ln].decode(); at += ln
    block, rank, off = struct.unpack_from("<IIQ", b, at); at += 16
    shape = struct.unpack_from("<%dQ" % rank, b, at); at += 8 * rank
    ents.append((name, block, off, shape))
blocks = []
for _ in range(2):
    (k,) = struct.unpack_from("<Q", b, at); at += 8
    blocks.append(np.frombuffer(b, "<f4", k, at)); at += 4 * k
for name, block, off, shape in ents:
    want = blocks[block][off:off + int(np.prod(shape))].reshape(shape)
    assert z[name].dtype == np.float32 and np.array_equal(z[name], want), name
assert sorted(z.files) == sorted([e[0] for e in ents] + ["config", "phones"]), z.files
PY
# atomic: a failed write leaves nothing behind
expect_status 1 "$SINCPROBE" export "$work/run" --out "$work/nodir/m.npz"
ok
[ -z "$(ls "$work" | grep -F nodir)" ] || fail "a failed export left $(ls "$work/nodir")"
expect_status 2 "$SINCPROBE" export "$work/run"
expect_match "$err" "give the archive to write with --out" "export without --out"
finish
