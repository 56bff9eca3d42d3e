#!/usr/bin/python3
"""Cross-check of sincprobe's layers (src/layers.h) against the PyTorch
reference model of ../shared/bench/torch_sincnet.py (SincConv, RefLayerNorm)
and torch.nn (Conv1d, BatchNorm1d(momentum=0.05), Linear, max_pool1d,
log_softmax + nll_loss, activations): forward values, every gradient, batch
norm running statistics, the sinc mel initialisation (bit-identical) and
the clamp decision at the top filter. Not part of make check (needs torch:
apt-get install python3-torch python3-numpy). Build the layers as a shared
library from a configured build dir, then run:

    gcc -std=c11 -D_GNU_SOURCE -O2 -fPIC -shared -Isrc -I$BUILD \
        src/layer_*.c src/rng.c $(pkg-config --cflags --libs openblas) -lm \
        -o /tmp/liblayers.so
    /usr/bin/python3 bench/torch_layers_check.py /tmp/liblayers.so [path/to/torch_sincnet.py dir]

Prints the max-normalised relative difference of each quantity and exits 1
if any exceeds TOL (float32 against float32: both sides round differently;
the sinc taps differ most, by torch's float32 sines of arguments up to
~400 rad)."""
import ctypes, sys, numpy as np, torch, torch.nn.functional as F
sys.path.insert(0, sys.argv[2] if len(sys.argv) > 2 else "../shared/bench")
from torch_sincnet import SincConv, RefLayerNorm
TOL = 2e-5
bad = []
torch.manual_seed(0)
lib = ctypes.CDLL(sys.argv[1] if len(sys.argv) > 1 else "./liblayers.so")
fp = ctypes.POINTER(ctypes.c_float); ip = ctypes.POINTER(ctypes.c_int)
def P(a):
    if a is None: return None
    assert a.dtype == np.float32 and a.flags.c_contiguous
    return a.ctypes.data_as(fp)
class Spec(ctypes.Structure):
    _fields_ = [("F", ctypes.c_int), ("K", ctypes.c_int), ("fs", ctypes.c_float),
                ("min_low_hz", ctypes.c_float), ("min_band_hz", ctypes.c_float),
                ("param_scale", ctypes.c_float)]  # 1: Hz-valued, as SincConv
lib.sp_sinc_workspace.restype = ctypes.c_size_t
lib.sp_conv1d_workspace.restype = ctypes.c_size_t
lib.sp_logsoftmax_nll_forward.restype = ctypes.c_double
def z(*s): return np.zeros(s, np.float32)
SECTION = ""


def rel(a, b, what=None):
    a = np.asarray(a, np.float64); b = np.asarray(b, np.float64)
    e = np.abs(a - b).max() / max(np.abs(b).max(), 1e-30)
    if e > TOL:
        bad.append((what or SECTION, e))
    return e
def t(a): return torch.tensor(a, requires_grad=True)

# ---- sinc: init exactly as the reference, taps, forward, gradients
for (Fn, K, T, B, tweak) in [(80, 251, 3200, 2, False), (8, 65, 400, 3, True)]:
    SECTION = "sinc F=%d K=%d" % (Fn, K)
    m = SincConv(Fn, K, 16000)
    spec = Spec(Fn, K, 16000.0, 50.0, 50.0, 1.0)
    low, band = z(Fn), z(Fn)
    lib.sp_sinc_init(P(low), P(band), ctypes.byref(spec))
    same = (np.array_equal(low, m.low_hz.detach().numpy().ravel())
            and np.array_equal(band, m.band_hz.detach().numpy().ravel()))
    print(f"sinc F={Fn} K={K}: init low/band identical to torch:", same)
    if not same:
        bad.append((SECTION + " init", 1.0))
    if tweak:
        low[1] = -low[1]; band[2] = -band[2] - 20; low[-1] = 6000; band[-1] = -2500
        with torch.no_grad():
            m.low_hz.copy_(torch.tensor(low).view(-1, 1)); m.band_hz.copy_(torch.tensor(band).view(-1, 1))
    # where is the top filter relative to the clamp?
    f1 = m.min_low_hz + m.low_hz.abs(); raw = f1 + m.min_band_hz + m.band_hz.abs()
    print("   top filter f2raw (torch float32) = %.6f, fs/2 = 8000" % raw[-1].item())
    x = np.random.RandomState(1).randn(B, T).astype(np.float32)
    R = np.random.RandomState(2).randn(B, Fn, T - K + 1).astype(np.float32)
    taps = z(Fn, K); out = z(B, Fn, T - K + 1)
    ws = z(lib.sp_sinc_workspace(ctypes.byref(spec), B, T))
    lib.sp_sinc_forward(P(out), P(taps), P(ws), P(x), P(low), P(band), ctypes.byref(spec), B, T)
    xt = t(x)
    ot = m(xt.unsqueeze(1))
    (ot * torch.tensor(R)).sum().backward()
    # a float64 torch copy for the "truth"
    m64 = SincConv(Fn, K, 16000).double()
    with torch.no_grad():
        m64.low_hz.copy_(m.low_hz.double()); m64.band_hz.copy_(m.band_hz.double())
    x64 = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    o64 = m64(x64.unsqueeze(1)); (o64 * torch.tensor(R, dtype=torch.float64)).sum().backward()
    print("   taps rel err  C vs torch32 %.2e  C vs torch64 %.2e  torch32 vs torch64 %.2e" % (
        rel(taps, m.filters().detach().numpy()[:, 0]), rel(taps, m64.filters().detach().numpy()[:, 0]),
        rel(m.filters().detach().numpy()[:, 0], m64.filters().detach().numpy()[:, 0])))
    print("   out  rel err  C vs torch32 %.2e  C vs torch64 %.2e" % (rel(out, ot.detach().numpy()), rel(out, o64.detach().numpy())))
    dlow, dband, dx = z(Fn), z(Fn), z(B, T)
    lib.sp_sinc_backward(P(dx), P(dlow), P(dband), P(ws), P(R), P(x), P(taps), P(low), P(band), ctypes.byref(spec), B, T)
    for name, c, g32, g64 in [("dlow", dlow, m.low_hz.grad, m64.low_hz.grad), ("dband", dband, m.band_hz.grad, m64.band_hz.grad),
                              ("dinp", dx, xt.grad, x64.grad)]:
        g32 = g32.numpy().ravel(); g64 = g64.numpy().ravel()
        print("   %-5s rel err C vs torch32 %.2e  C vs torch64 %.2e  torch32 vs torch64 %.2e" % (name, rel(c.ravel(), g32), rel(c.ravel(), g64), rel(g32, g64)))
    if not tweak:
        print("   top filter (on the clamp): C dband %.4g torch32 %.4g torch64 %.4g | dlow C %.4g torch32 %.4g" % (dband[-1], m.band_hz.grad[-1].item(), m64.band_hz.grad[-1].item(), dlow[-1], m.low_hz.grad[-1].item()))
        rel(dband[-1:], m.band_hz.grad[-1].numpy(), SECTION + " top filter dband")

# ---- RefLayerNorm
SECTION = "layernorm"
B, G, N = 3, 4, 50
x = np.random.RandomState(3).randn(B, G, N).astype(np.float32)
ln = RefLayerNorm((G, N))
with torch.no_grad():
    ln.gamma.copy_(torch.rand(G, N) + 0.5); ln.beta.copy_(torch.rand(G, N) - 0.5)
g = ln.gamma.detach().numpy().copy(); b = ln.beta.detach().numpy().copy()
out, mean, sd = z(B, G, N), z(B, G), z(B, G)
lib.sp_layernorm_forward(P(out), P(mean), P(sd), P(x), P(g), P(b), B, G, N, ctypes.c_float(1e-6))
xt = t(x); ot = ln(xt); R = np.random.RandomState(4).randn(B, G, N).astype(np.float32)
(ot * torch.tensor(R)).sum().backward()
dx, dg, db = z(B, G, N), z(G, N), z(G, N)
lib.sp_layernorm_backward(P(dx), P(dg), P(db), P(R), P(x), P(mean), P(sd), P(g), B, G, N, ctypes.c_float(1e-6))
print("layernorm: out %.2e dx %.2e dgamma %.2e dbeta %.2e" % (rel(out, ot.detach().numpy()), rel(dx, xt.grad.numpy()), rel(dg, ln.gamma.grad.numpy()), rel(db, ln.beta.grad.numpy())))

# ---- BatchNorm1d(momentum=0.05), train then eval
SECTION = "batchnorm"
B, D = 16, 10
bn = torch.nn.BatchNorm1d(D, momentum=0.05)
with torch.no_grad():
    bn.weight.copy_(torch.rand(D) + 0.5); bn.bias.copy_(torch.rand(D) - 0.5)
g = bn.weight.detach().numpy().copy(); b = bn.bias.detach().numpy().copy()
rm, rv = np.zeros(D, np.float32), np.ones(D, np.float32)
for it in range(3):
    x = (np.random.RandomState(10 + it).randn(B, D) * 2 + 1).astype(np.float32)
    R = np.random.RandomState(20 + it).randn(B, D).astype(np.float32)
    out, mean, rstd = z(B, D), z(D), z(D)
    lib.sp_batchnorm_forward(P(out), P(mean), P(rstd), P(rm), P(rv), P(x), P(g), P(b), B, D, ctypes.c_float(0.05), ctypes.c_float(1e-5), 1)
    bn.train(); bn.zero_grad(); xt = t(x); ot = bn(xt); (ot * torch.tensor(R)).sum().backward()
    dx, dg, db = z(B, D), z(D), z(D)
    lib.sp_batchnorm_backward(P(dx), P(dg), P(db), P(R), P(x), P(mean), P(rstd), P(g), B, D, 1)
    print("batchnorm train step %d: out %.2e dx %.2e dgamma %.2e dbeta %.2e running mean %.2e var %.2e" % (it,
          rel(out, ot.detach().numpy()), rel(dx, xt.grad.numpy()), rel(dg, bn.weight.grad.numpy()), rel(db, bn.bias.grad.numpy()),
          rel(rm, bn.running_mean.numpy()), rel(rv, bn.running_var.numpy())))
bn.eval(); bn.zero_grad(); xt = t(x); ot = bn(xt); (ot * torch.tensor(R)).sum().backward()
out, dx, dg, db = z(B, D), z(B, D), z(D), z(D)
lib.sp_batchnorm_forward(P(out), P(mean), P(rstd), P(rm), P(rv), P(x), P(g), P(b), B, D, ctypes.c_float(0.05), ctypes.c_float(1e-5), 0)
lib.sp_batchnorm_backward(P(dx), P(dg), P(db), P(R), P(x), P(mean), P(rstd), P(g), B, D, 0)
print("batchnorm eval: out %.2e dx %.2e dgamma %.2e" % (rel(out, ot.detach().numpy()), rel(dx, xt.grad.numpy()), rel(dg, bn.weight.grad.numpy())))

# ---- conv1d, maxpool, dense, log-softmax NLL
SECTION = "conv1d"
B, Cin, Cout, T, K = 3, 6, 5, 40, 5
conv = torch.nn.Conv1d(Cin, Cout, K)
x = np.random.RandomState(5).randn(B, Cin, T).astype(np.float32); R = np.random.RandomState(6).randn(B, Cout, T - K + 1).astype(np.float32)
w = conv.weight.detach().numpy().copy(); bb = conv.bias.detach().numpy().copy()
out = z(B, Cout, T - K + 1); ws = z(lib.sp_conv1d_workspace(B, Cin, Cout, T, K))
lib.sp_conv1d_forward(P(out), P(ws), P(x), P(w), P(bb), B, Cin, Cout, T, K)
xt = t(x); ot = conv(xt); (ot * torch.tensor(R)).sum().backward()
dx, dw, db = z(B, Cin, T), z(Cout, Cin, K), z(Cout)
lib.sp_conv1d_backward(P(dx), P(dw), P(db), P(ws), P(R), P(x), P(w), B, Cin, Cout, T, K)
print("conv1d: out %.2e dx %.2e dw %.2e db %.2e" % (rel(out, ot.detach().numpy()), rel(dx, xt.grad.numpy()), rel(dw, conv.weight.grad.numpy()), rel(db, conv.bias.grad.numpy())))

x = np.random.RandomState(7).randn(4, 3, 17).astype(np.float32); Pw = 3
out = z(4, 3, 17 // Pw); am = np.zeros((4, 3, 17 // Pw), np.int32)
lib.sp_maxpool_forward(P(out), am.ctypes.data_as(ip), P(x), 12, 17, Pw)
same = np.array_equal(out, F.max_pool1d(torch.tensor(x), Pw).numpy())
print("maxpool: out identical", same)
if not same:
    bad.append(("maxpool", 1.0))
SECTION = "dense+logsoftmax+nll"

lin = torch.nn.Linear(7, 4); x = np.random.RandomState(8).randn(5, 7).astype(np.float32)
w = lin.weight.detach().numpy().copy(); bb = lin.bias.detach().numpy().copy()
out = z(5, 4); lib.sp_dense_forward(P(out), P(x), P(w), P(bb), 5, 7, 4)
y = np.array([0, 3, 1, 1, 2], np.int32)
logp = z(5, 4); loss = lib.sp_logsoftmax_nll_forward(P(logp), P(out), y.ctypes.data_as(ip), 5, 4)
xt = t(x); lt = F.nll_loss(F.log_softmax(lin(xt), 1), torch.tensor(y, dtype=torch.long)); lt.backward()
dz, dx, dw, db = z(5, 4), z(5, 7), z(4, 7), z(4)
lib.sp_logsoftmax_nll_backward(P(dz), P(logp), y.ctypes.data_as(ip), 5, 4, ctypes.c_float(1.0))
lib.sp_dense_backward(P(dx), P(dw), P(db), P(dz), P(x), P(w), 5, 7, 4)
print("dense+logsoftmax+nll: loss %.2e dx %.2e dw %.2e db %.2e" % (abs(loss - lt.item()) / lt.item(), rel(dx, xt.grad.numpy()), rel(dw, lin.weight.grad.numpy()), rel(db, lin.bias.grad.numpy())))

SECTION = "activations"
x = np.random.RandomState(9).randn(100).astype(np.float32)
for kind, fn in [(2, lambda v: F.leaky_relu(v, 0.2)), (1, F.relu), (3, torch.tanh), (4, torch.sigmoid)]:
    out = z(100); lib.sp_act_forward(P(out), P(x), ctypes.c_size_t(100), kind)
    print("act %d: out %.2e" % (kind, rel(out, fn(torch.tensor(x)).numpy())), end="; ")
print()
if bad:
    print("FAILED (relative difference > %g):" % TOL)
    for what, e in bad:
        print("  %s: %.3g" % (what, e))
    sys.exit(1)
print("all within %g" % TOL)
