"""sincprobe_io - read sincprobe's files from Python with numpy alone.

    import sincprobe_io as sp
    ck = sp.read_checkpoint("runs/small/checkpoints/best.ckpt")
    ck["tensors"]["sinc.low_hz"], ck["config"]["model"]["filters"]
    m = sp.read_npz("small.npz")             # `sincprobe export` archives
    run = sp.read_run("runs/small")          # log.tsv, config, probe outputs
    sp.save_npz("mine.npz", tensors, config_text)   # for `sincprobe import`

Formats: sincprobe-checkpoint(5), sincprobe-export(1), sincprobe-import(1).
Tensor names are LAYER.TENSOR ("sinc.low_hz", "conv2.w", "bn1.running_var").
Installed in $(pkgdatadir)/python (usually /usr/local/share/sincprobe/python);
add that directory to PYTHONPATH or sys.path.
"""

import os
import struct
import zlib

import numpy as np

MAGIC = b"SPCKPT\r\n"
OPTIMIZERS = ("rmsprop", "adam", "sgd")


class FormatError(ValueError):
    """A file that is not what its reader expects, with the reason."""


# ---------------------------------------------------------------------------
# config text (the resolved config: sincprobe.conf(5))

def _value(text):
    """A config value as int, float, bool or str."""
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    if text in ("yes", "no"):
        return text == "yes"
    return text


def parse_config(text):
    """The INI text of a config as {section: {key: value}} (values typed:
    int, float, yes/no as bool, else str; "conv = 8x3" stays a str)."""
    conf, section = {}, None
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = conf.setdefault(line[1:-1].strip(), {})
            continue
        if "=" in line and section is not None:
            key, val = line.split("=", 1)
            section[key.strip()] = _value(val.strip())
    return conf


# ---------------------------------------------------------------------------
# checkpoints

class _Reader:
    def __init__(self, data, path):
        self.b, self.at, self.path = data, 0, path

    def take(self, fmt):
        try:
            vals = struct.unpack_from("<" + fmt, self.b, self.at)
        except struct.error:
            raise FormatError("%s: truncated" % self.path) from None
        self.at += struct.calcsize("<" + fmt)
        return vals if len(vals) > 1 else vals[0]

    def floats(self, n):
        if self.at + 4 * n > len(self.b):
            raise FormatError("%s: truncated" % self.path)
        x = np.frombuffer(self.b, "<f4", n, self.at).astype(np.float32)
        self.at += 4 * n
        return x


def read_checkpoint(path, flat=False):
    """A sincprobe checkpoint as a dict:
        version, config_text, config (parse_config), tensors {name: array
        in its shape} (parameters and batch-norm statistics), directory
        [(name, block, offset, shape)], optimizer {kind, step, m, v} (flat,
        laid out as the parameters), position {epoch, step, global_step,
        lr, best_dev_fer, best_epoch, loss_sum, correct, count, elapsed,
        sampler, dropout}, params and state (the flat blocks).
    The checksum is verified. A version 1 file has no tensor directory:
    it is refused with the way out, unless flat=True (then tensors and
    directory are None and params/state hold the blocks)."""
    data = open(path, "rb").read()
    if data[:8] != MAGIC:
        raise FormatError("%s is not a sincprobe checkpoint (bad magic)" % path)
    if len(data) < 16:
        raise FormatError("%s: truncated" % path)
    crc = struct.unpack_from("<I", data, len(data) - 4)[0]
    if zlib.crc32(data[:-4]) & 0xFFFFFFFF != crc:
        raise FormatError("%s is corrupt: checksum mismatch" % path)
    r = _Reader(data[:-4], path)
    r.at = 8
    version = r.take("I")
    if version not in (1, 2):
        raise FormatError("%s has version %d; this reader knows 1 and 2" % (path, version))
    if version == 1 and not flat:
        raise FormatError(
            "%s is a version 1 checkpoint, without the tensor directory: "
            "`sincprobe export %s --out FILE.npz` writes its tensors by name "
            "(or pass flat=True for the flat blocks)" % (path, path))
    clen = r.take("I")
    text = r.b[r.at:r.at + clen].decode("utf-8", "replace")
    r.at += clen
    out = {"version": version, "config_text": text, "config": parse_config(text)}
    directory = None
    if version >= 2:
        directory = []
        for _ in range(r.take("I")):
            ln = r.take("I")
            name = r.b[r.at:r.at + ln].decode()
            r.at += ln
            block, rank, off = r.take("I"), r.take("I"), r.take("Q")
            shape = tuple(r.take("Q") for _ in range(rank))
            directory.append((name, block, off, shape))
    blocks = [r.floats(r.take("Q")) for _ in range(2)]
    kind, step, n = r.take("I"), r.take("q"), r.take("Q")
    m, v = r.floats(n), r.floats(n)
    pos = {}
    pos["epoch"], pos["step"], pos["global_step"] = r.take("i"), r.take("i"), r.take("q")
    pos["lr"], pos["best_dev_fer"], pos["best_epoch"] = r.take("d"), r.take("d"), r.take("i")
    pos["loss_sum"], pos["correct"], pos["count"] = r.take("d"), r.take("q"), r.take("q")
    pos["elapsed"] = r.take("d")
    pos["sampler"], pos["dropout"] = r.take("4Q"), r.take("4Q")
    if r.at != len(r.b):
        raise FormatError("%s has trailing data" % path)
    tensors = None
    if directory is not None:
        tensors = {}
        for name, block, off, shape in directory:
            size = int(np.prod(shape))
            tensors[name] = blocks[block][off:off + size].reshape(shape)
    out.update(tensors=tensors, directory=directory, params=blocks[0], state=blocks[1],
               optimizer={"kind": OPTIMIZERS[kind] if kind < 3 else kind, "step": step, "m": m, "v": v},
               position=pos)
    return out


# ---------------------------------------------------------------------------
# .npz exports

def read_npz(path):
    """An export (or any .npz of named tensors) as a dict: tensors
    {name: float32 array}, config_text (or None), config (parsed, or
    None), phones (list of str, or None)."""
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    text = str(arrays.pop("config")) if "config" in arrays else None
    phones = [str(p) for p in arrays.pop("phones")] if "phones" in arrays else None
    return {"tensors": arrays, "config_text": text,
            "config": parse_config(text) if text is not None else None, "phones": phones}


def save_npz(path, tensors, config_text=None, phones=None):
    """Write tensors {name: array} (as float32) and optionally the config
    text and the phone list as `sincprobe import` reads them (numpy.savez:
    stored, not compressed), atomically."""
    arrays = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}
    if config_text is not None:
        arrays["config"] = np.array(config_text)
    if phones is not None:
        arrays["phones"] = np.array(list(phones))
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        np.savez(f, **arrays)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------
# run directories

def read_tsv(path):
    """A TSV table of sincprobe (a header row, then rows) as {column:
    array}: float64 where every value is a number, else str."""
    with open(path, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    if not rows:
        return {}
    header, body = rows[0], rows[1:]
    cols = {}
    for j, name in enumerate(header):
        vals = [r[j] if j < len(r) else "" for r in body]
        try:
            cols[name] = np.array([float(v) for v in vals], dtype=np.float64)
        except ValueError:
            cols[name] = np.array(vals, dtype=str)
    return cols


def read_run(rundir):
    """A run directory as a dict: config (parsed config.conf), config_text,
    log (read_tsv of log.tsv: epoch, lr, train_loss, train_fer, dev_loss,
    dev_fer, ...), checkpoints {"last": path, "best": path} (those that
    exist), probes {probe id: {relative file name: array or table}} for
    every .npy (numpy.load) and .tsv (read_tsv) under probes/, and eval
    {file name: table} for the eval-*.tsv files of sincprobe eval."""
    out = {"dir": rundir}
    conf = os.path.join(rundir, "config.conf")
    out["config_text"] = open(conf, encoding="utf-8").read() if os.path.exists(conf) else None
    out["config"] = parse_config(out["config_text"]) if out["config_text"] is not None else None
    log = os.path.join(rundir, "log.tsv")
    out["log"] = read_tsv(log) if os.path.exists(log) else None
    out["checkpoints"] = {}
    for which in ("last", "best"):
        p = os.path.join(rundir, "checkpoints", which + ".ckpt")
        if os.path.exists(p):
            out["checkpoints"][which] = p
    out["probes"] = {}
    pdir = os.path.join(rundir, "probes")
    if os.path.isdir(pdir):
        for probe in sorted(os.listdir(pdir)):
            base = os.path.join(pdir, probe)
            if not os.path.isdir(base):
                continue
            files = {}
            for root, _, names in os.walk(base):
                for name in sorted(names):
                    full = os.path.join(root, name)
                    rel = os.path.relpath(full, base)
                    if name.endswith(".npy"):
                        files[rel] = np.load(full)
                    elif name.endswith(".tsv"):
                        files[rel] = read_tsv(full)
            out["probes"][probe] = files
    out["eval"] = {n: read_tsv(os.path.join(rundir, n)) for n in sorted(os.listdir(rundir))
                   if n.startswith("eval") and n.endswith(".tsv")}
    return out
