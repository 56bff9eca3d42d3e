"""torch_reference.py - tests/torch-reference.sh's PyTorch side: sincprobe's
model against the PyTorch reference of the benchmarks, SincNetClassifier of
torch_sincnet.py (../shared/bench beside the clone, or the file named by
$SINCPROBE_TORCH_REFERENCE, in $REF). The reference is imported from its
own folder, never copied here.

    torch_reference.py chunks OUT.npy              the test chunks
    torch_reference.py export MODEL.npz CHUNKS LOGP TOL
        a `sincprobe export` loaded into the reference (names and shapes
        mapped), its log-posteriors on CHUNKS against sincprobe's (LOGP)
    torch_reference.py make OUT.npz
        a seeded random reference model saved under sincprobe's names
        (and its state_dict as OUT.npz.pt) for `sincprobe import`
    torch_reference.py import OUT.npz CHUNKS LOGP TOL
        that model's log-posteriors in the reference against sincprobe's

Where the reference differs from sincprobe (README, "Using sincprobe
models from Python and PyTorch"), checked here rather than assumed:
- shapes: its low_hz and band_hz are [F, 1] (sincprobe's [F]), its input
  and flat layer norms' gain and bias [T] and [D] (sincprobe's [1, T],
  [1, D]); the other tensors have the same shapes;
- it holds buffers sincprobe computes instead (the sinc layer's time axis
  and window) and batch norm's num_batches_tracked (unused in eval mode);
- its sinc taps come from float32 sines (sincprobe: float64, rounded
  once); the difference is measured and printed;
- it has no cap f1 <= fs/2 - min_band_hz: the test checks the cap does
  not bind for the compared weights.
Its layer norm (statistics over the last axis, unbiased sd, eps 1e-6 on
the sd, full-shape gain and bias) and batch norm (eps 1e-5, momentum 0.05,
unbiased running variance) are sincprobe's, so the rest is compared
exactly: every tensor, the same chunks, one tolerance on log p.
"""
import math, sys, os
import numpy as np, torch
sys.path.insert(0, os.path.dirname(os.path.abspath(os.environ["REF"])))
import torch_sincnet as ref          # the reference, not ours: never copied
import sincprobe_io as sp
torch.set_num_threads(1)

# the reference's cfg for the test's [model] (tiny "small"-like dims)
CFG = dict(fs=16000, wlen=800, sinc_n=8, sinc_k=65, conv=[(8, 3), (8, 3)],
           pool=3, fc=[24, 16], n_classes=48, batch=16)

def name_map(cfg):
    """sincprobe tensor name -> the reference's state_dict name."""
    m = {"in_ln.gamma": "ln_in.gamma", "in_ln.beta": "ln_in.beta",
         "sinc.low_hz": "sinc.low_hz", "sinc.band_hz": "sinc.band_hz",
         "flat_ln.gamma": "ln_fc_in.gamma", "flat_ln.beta": "ln_fc_in.beta",
         "out.w": "out.weight", "out.b": "out.bias"}
    for b in range(len(cfg["conv"]) + 1):
        m["ln%d.gamma" % (b + 1)] = "ln.%d.gamma" % b
        m["ln%d.beta" % (b + 1)] = "ln.%d.beta" % b
        if b:
            m["conv%d.w" % (b + 1)] = "convs.%d.weight" % (b - 1)
            m["conv%d.b" % (b + 1)] = "convs.%d.bias" % (b - 1)
    for i in range(len(cfg["fc"])):
        m["dense%d.w" % (i + 1)] = "fcs.%d.weight" % i
        m["dense%d.b" % (i + 1)] = "fcs.%d.bias" % i
        for a, r in (("gamma", "weight"), ("beta", "bias"), ("running_mean",) * 2, ("running_var",) * 2):
            m["bn%d.%s" % (i + 1, a)] = "bns.%d.%s" % (i, r)
    return m

# what the reference holds that sincprobe's model does not store: its sinc
# layer's time axis and window (buffers made from K and fs) and batch
# norm's step counter (unused in eval mode with momentum set)
REF_ONLY = ("sinc.two_pi_t", "sinc.pi_t", "sinc.win_left", ".num_batches_tracked")

def check_names(net, names):
    """Every sincprobe tensor maps onto one reference tensor of as many
    elements, and every reference tensor is mapped or reference-only."""
    sd, m = net.state_dict(), name_map(net.cfg)
    assert sorted(m) == sorted(names), (sorted(set(m) ^ set(names)))
    mapped = set(m.values())
    rest = [k for k in sd if k not in mapped and not any(k.endswith(s) for s in REF_ONLY)]
    assert not rest, rest
    return sd, m

def cap_free(net):
    """The reference has no cap f1 <= fs/2 - min_band_hz: check it does not bind."""
    s = net.sinc
    f1 = s.min_low_hz + s.low_hz.detach().abs()
    assert (f1 < s.fs / 2 - s.min_band_hz).all(), f1.flatten()

def taps64(s):
    """The reference's taps recomputed in float64 from its own cut-offs."""
    lo, bd = s.low_hz.detach().double(), s.band_hz.detach().double()
    f1 = s.min_low_hz + lo.abs()
    f2 = torch.clamp(f1 + s.min_band_hz + bd.abs(), s.min_low_hz, s.fs / 2)
    half = (s.kernel_size - 1) // 2
    t = (torch.arange(-half, 0, dtype=torch.float64) / s.fs).view(1, -1)
    k = torch.arange(half, dtype=torch.float64)
    w = (0.54 - 0.46 * torch.cos(2 * math.pi * k / (s.kernel_size - 1))).view(1, -1)
    left = w * (torch.sin(2 * math.pi * f2 * t) - torch.sin(2 * math.pi * f1 * t)) / (math.pi * t) / (2 * (f2 - f1))
    return torch.cat([left, torch.ones_like(f1), torch.flip(left, dims=[1])], 1)

def logp(net, chunks):
    with torch.no_grad():
        return net(torch.from_numpy(np.load(chunks))).numpy()

def load(npz):
    """sincprobe export -> the reference's SincNetClassifier, eval mode."""
    t = sp.read_npz(npz)["tensors"]
    net = ref.SincNetClassifier(CFG).eval()
    sd, m = check_names(net, t)
    for k, v in t.items():
        r = sd[m[k]]
        assert r.numel() == v.size, (k, v.shape, tuple(r.shape))
        r.copy_(torch.from_numpy(np.ascontiguousarray(v, np.float32)).reshape(r.shape))
    return net

def make(npz):
    """A seeded random SincNetClassifier, away from its initialisation,
    saved under sincprobe's names for `sincprobe import`."""
    torch.manual_seed(3)
    net = ref.SincNetClassifier(CFG)
    sd, m = check_names(net, name_map(CFG))
    with torch.no_grad():
        for k, r in sd.items():
            if k.endswith("running_var"):
                r.copy_(torch.rand(r.shape) + 0.5)
            elif k.endswith("running_mean"):
                r.copy_(0.3 * torch.randn(r.shape))
            elif k in ("sinc.low_hz", "sinc.band_hz"):
                r.mul_(1 + 0.2 * torch.rand(r.shape))
            elif r.is_floating_point() and not any(k.endswith(s) for s in REF_ONLY):
                r.add_(0.1 * torch.randn(r.shape))
    shapes = {}                        # sincprobe's shapes: [F], [1, T], [1, D]
    for k, v in m.items():
        a = sd[v].numpy()
        if k.startswith("sinc.") or k in ("in_ln.gamma", "in_ln.beta", "flat_ln.gamma", "flat_ln.beta"):
            a = a.reshape((-1,) if k.startswith("sinc.") else (1, -1))
        shapes[k] = a
    sp.save_npz(npz, shapes)
    torch.save(net.state_dict(), npz + ".pt")

def compare(net, chunks, theirs, tol):
    cap_free(net)
    t, c = logp(net, chunks), np.load(theirs)
    assert t.shape == c.shape == (len(t), 48), (t.shape, c.shape)
    d = float(np.abs(t - c).max())
    taps = float((net.sinc.filters().detach().double().view(CFG["sinc_n"], -1) - taps64(net.sinc)).abs().max())
    print("max |log p| difference %.3g (tolerance %g); sinc taps float32 vs float64 %.3g" % (d, tol, taps))
    assert d <= tol, d
    assert (t.argmax(1) == c.argmax(1)).all()

if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "chunks":
        rng = np.random.default_rng(5)
        x = (0.1 * rng.standard_normal((6, CFG["wlen"]))).astype(np.float32)
        x[5] = 0
        x[5, CFG["wlen"] // 2] = 0.5
        np.save(sys.argv[2], x)
    elif cmd == "export":       # export.npz chunks.npy sincprobe-logp.npy tol
        compare(load(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5]))
    elif cmd == "make":         # out.npz
        make(sys.argv[2])
    elif cmd == "import":       # made.npz chunks.npy sincprobe-logp.npy tol
        net = ref.SincNetClassifier(CFG).eval()
        net.load_state_dict(torch.load(sys.argv[2] + ".pt"))
        compare(net, sys.argv[3], sys.argv[4], float(sys.argv[5]))
