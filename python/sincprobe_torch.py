"""sincprobe_torch - sincprobe's network as a PyTorch module.

    import sincprobe_io, sincprobe_torch
    net = sincprobe_torch.SincprobeNet.from_npz("small.npz").eval()
    logp = net(chunks)            # chunks: float32 [B, T] -> log-posteriors [B, 48]
    sincprobe_io.save_npz("mine.npz", net.tensors(), net.config_text)

Built from a `sincprobe export` archive (or a config and its tensors), it
computes what sincprobe's model computes (src/nn/model.h, layers.h), layer
by layer, for every [model] setting:

    chunk [B, T] -> layer norm (input_norm = layer)
    -> sinc filters (sinc_param hz | normalised; cut-offs
       f1 = min(min_low_hz + |c low|, fs/2 - min_band_hz),
       f2 = clamp(f1 + min_band_hz + |c band|, min_low_hz, fs/2), c = 1 or fs;
       taps = Hamming-windowed (sin 2 pi f2 t - sin 2 pi f1 t) / (pi t) / (2 (f2 - f1)),
       centre tap 1, computed in float64 and rounded once)
       then |.|, or conv1 (first_layer = conv)
    -> max-pool P -> layer norm (conv_norm) -> activation        (first block)
    -> [conv -> max-pool P -> layer norm -> activation] per [model] conv entry
    -> flatten -> layer norm (input_norm)
    -> [dense -> batch norm (running statistics) | layer norm | none
        -> activation -> dropout] per [model] dense entry
    -> dense (48) -> log-softmax

Layer norms are SincNet's: statistics per row over the last axis,
UNBIASED standard deviation, eps = 1e-6 added to it (not to the
variance), gain and bias of the full per-example shape. Batch norm: eps
1e-5, momentum 0.05 (PyTorch's convention: new = (1 - m) old + m batch).
leaky_relu's slope is 0.2. Tensor names are sincprobe's LAYER.TENSOR
("sinc.low_hz", "conv2.w", "bn1.running_var"): tensors() and
load_tensors() use them. numpy and torch only.
"""

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import sincprobe_io

FS = 16000.0
NCLASSES = 48
LAYERNORM_EPS = 1e-6
BATCHNORM_EPS = 1e-5
BATCHNORM_MOMENTUM = 0.05
LEAKY_SLOPE = 0.2


def _ints(v):
    """A config list value ("256,256", 32, "") as a list of int."""
    if isinstance(v, int):
        return [v]
    return [int(x) for x in str(v).split(",") if x.strip()]


def _convs(v):
    """[model] conv ("60x5,60x5" or "") as [(channels, kernel)]."""
    out = []
    for item in str(v).split(","):
        if item.strip():
            c, k = item.lower().split("x")
            out.append((int(c), int(k)))
    return out


def _act(name):
    return {
        "leaky_relu": lambda x: F.leaky_relu(x, LEAKY_SLOPE),
        "relu": F.relu,
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "linear": lambda x: x,
    }[name]


def layer_norm(x, gamma, beta):
    """SincNet's layer norm over the last axis (unbiased sd, eps on sd)."""
    mean = x.mean(-1, keepdim=True)
    sd = x.std(-1, keepdim=True, unbiased=True)
    return gamma * (x - mean) / (sd + LAYERNORM_EPS) + beta


def sinc_taps(low, band, K, min_low_hz, min_band_hz, scale):
    """The sinc filters' taps [F, K] (float32) from the learnable low and
    band [F] (in units of scale Hz), computed in float64 as sincprobe does."""
    low, band = low.double(), band.double()
    nyq = FS / 2.0
    f1 = torch.clamp(min_low_hz + (scale * low).abs(), max=nyq - min_band_hz)
    f2 = torch.clamp(f1 + min_band_hz + (scale * band).abs(), min_low_hz, nyq)
    half = (K - 1) // 2
    k = torch.arange(half, dtype=torch.float64)
    t = ((k - half) / FS).view(1, -1)
    w = (0.54 - 0.46 * torch.cos(2.0 * math.pi * k / (K - 1))).view(1, -1)
    f1, f2 = f1.view(-1, 1), f2.view(-1, 1)
    left = w * (torch.sin(2.0 * math.pi * f2 * t) - torch.sin(2.0 * math.pi * f1 * t)) / (math.pi * t)
    left = left / (2.0 * (f2 - f1))
    centre = torch.ones_like(f1)
    return torch.cat([left, centre, torch.flip(left, dims=[1])], dim=1).float()


class SincprobeNet(nn.Module):
    """sincprobe's network for a resolved config (text or parsed dict):
    one that gives every [model] key, as a run's config.conf and an
    export's config do (presets are sincprobe's, not repeated here)."""

    def __init__(self, config):
        super().__init__()
        if isinstance(config, str):
            self.config_text, config = config, sincprobe_io.parse_config(config)
        else:
            self.config_text = None
        m = config["model"]
        need = ("input_ms", "filters", "taps", "pool", "input_norm", "conv_norm", "dense_norm", "activation", "dense")
        lacking = [k for k in need if k not in m]
        if lacking:
            raise ValueError("the config lacks [model] %s: give a resolved config (a run's config.conf, an "
                             "export's config) or every [model] key" % ", ".join(lacking))
        self.T = int(math.floor(float(m["input_ms"]) * FS / 1000.0 + 0.5))
        self.first = m.get("first_layer", "sinc")
        self.K = int(m["taps"])
        self.nfilt = int(m["filters"])
        self.pool = int(m["pool"])
        self.min_low_hz = float(m.get("min_low_hz", 50.0))
        self.min_band_hz = float(m.get("min_band_hz", 50.0))
        self.scale = FS if m.get("sinc_param", "hz") == "normalised" else 1.0
        self.input_norm = m["input_norm"] == "layer"
        self.conv_norm = m["conv_norm"] == "layer"
        self.dense_norm = m["dense_norm"]
        self.act = _act(m["activation"])
        self.dropout = float(m.get("dropout", 0.0))
        self.convs = _convs(m.get("conv", ""))
        self.dense = _ints(m["dense"])
        self.shapes = self._plan()
        self.params = nn.ParameterDict()
        self.stats = {}
        for name, (shape, state) in self.shapes.items():
            key = name.replace(".", "__")
            if state:
                self.register_buffer(key, torch.zeros(shape) if "mean" in name else torch.ones(shape))
                self.stats[name] = key
            else:
                self.params[key] = nn.Parameter(torch.empty(shape))
        self.reset_parameters()

    # -- the tensors by name, in sincprobe's order: {name: (shape, is_state)}
    def _plan(self):
        s, T = {}, self.T
        if self.input_norm:
            s["in_ln.gamma"] = s["in_ln.beta"] = ((1, T), False)
        blocks = [(self.nfilt, self.K)] + self.convs
        C = 1
        for b, (Cout, K) in enumerate(blocks):
            if b == 0 and self.first == "sinc":
                s["sinc.low_hz"] = s["sinc.band_hz"] = ((Cout,), False)
            else:
                s["conv%d.w" % (b + 1)] = ((Cout, C, K), False)
                s["conv%d.b" % (b + 1)] = ((Cout,), False)
            T = (T - K + 1) // self.pool
            C = Cout
            if self.conv_norm:
                s["ln%d.gamma" % (b + 1)] = s["ln%d.beta" % (b + 1)] = ((C, T), False)
        self.nblocks = len(blocks)
        D = C * T
        if self.input_norm:
            s["flat_ln.gamma"] = s["flat_ln.beta"] = ((1, D), False)
        state = {}
        for i, Dout in enumerate(self.dense):
            s["dense%d.w" % (i + 1)] = ((Dout, D), False)
            s["dense%d.b" % (i + 1)] = ((Dout,), False)
            if self.dense_norm == "batch":
                s["bn%d.gamma" % (i + 1)] = s["bn%d.beta" % (i + 1)] = ((Dout,), False)
                state["bn%d.running_mean" % (i + 1)] = state["bn%d.running_var" % (i + 1)] = ((Dout,), True)
            elif self.dense_norm == "layer":
                s["dln%d.gamma" % (i + 1)] = s["dln%d.beta" % (i + 1)] = ((1, Dout), False)
            D = Dout
        s["out.w"] = ((NCLASSES, D), False)
        s["out.b"] = ((NCLASSES,), False)
        s.update(state)
        return s

    def reset_parameters(self):
        """PyTorch's initialisation (uniform +-1/sqrt(fan_in) for weights
        and biases), norms at gain 1 and bias 0, the sinc filters on the
        mel scale as sincprobe starts them."""
        with torch.no_grad():
            for name in self.shapes:
                if name in self.stats:
                    continue
                p = self.t(name)
                layer, what = name.split(".")
                if what == "gamma":
                    p.fill_(1.0)
                elif what == "beta":
                    p.zero_()
                elif layer == "sinc":
                    lo, hi = 30.0, FS / 2 - (self.min_low_hz + self.min_band_hz)
                    mel = lambda f: 2595.0 * math.log10(1.0 + f / 700.0)
                    hz = lambda m: 700.0 * (10.0 ** (m / 2595.0) - 1.0)
                    e = np.float32([hz(mel(lo) + (mel(hi) - mel(lo)) * i / self.nfilt) for i in range(self.nfilt + 1)])
                    v = e[:-1] if what == "low_hz" else e[1:] - e[:-1]
                    p.copy_(torch.from_numpy(v / np.float32(self.scale)))
                else:
                    w = self.t(layer + ".w")
                    fan_in = int(np.prod(w.shape[1:]))
                    bound = 1.0 / math.sqrt(fan_in)
                    p.uniform_(-bound, bound)

    def t(self, name):
        """The tensor called name (sincprobe's LAYER.TENSOR)."""
        if name in self.stats:
            return getattr(self, self.stats[name])
        return self.params[name.replace(".", "__")]

    def tensors(self):
        """{name: float32 numpy array}, every tensor, for sincprobe_io.save_npz."""
        return {name: self.t(name).detach().cpu().numpy().astype(np.float32) for name in self.shapes}

    def load_tensors(self, tensors):
        """Set every tensor from {name: array}; a missing, extra or
        mis-shaped one is a ValueError naming it."""
        missing = [n for n in self.shapes if n not in tensors]
        extra = [n for n in tensors if n not in self.shapes]
        bad = ["%s %s (expected %s)" % (n, tuple(np.shape(tensors[n])), self.shapes[n][0])
               for n in self.shapes if n in tensors and tuple(np.shape(tensors[n])) != tuple(self.shapes[n][0])]
        if missing or extra or bad:
            raise ValueError("tensors do not fit: missing %s, extra %s, mis-shaped %s" % (missing, extra, bad))
        with torch.no_grad():
            for n in self.shapes:
                self.t(n).copy_(torch.as_tensor(np.asarray(tensors[n], dtype=np.float32)))
        return self

    @classmethod
    def from_npz(cls, path, config=None):
        """A network from a `sincprobe export` archive (its config unless
        one is given)."""
        ex = sincprobe_io.read_npz(path)
        net = cls(config if config is not None else ex["config_text"])
        net.phones = ex["phones"]
        return net.load_tensors(ex["tensors"])

    def sinc_taps(self):
        return sinc_taps(self.t("sinc.low_hz"), self.t("sinc.band_hz"), self.K, self.min_low_hz,
                         self.min_band_hz, self.scale)

    def forward(self, x):
        """Log-posteriors [B, 48] of chunks x [B, T]."""
        if self.input_norm:
            x = layer_norm(x, self.t("in_ln.gamma"), self.t("in_ln.beta"))
        x = x.unsqueeze(1)
        for b in range(self.nblocks):
            if b == 0 and self.first == "sinc":
                x = F.conv1d(x, self.sinc_taps().unsqueeze(1)).abs()
            else:
                x = F.conv1d(x, self.t("conv%d.w" % (b + 1)), self.t("conv%d.b" % (b + 1)))
            x = F.max_pool1d(x, self.pool)
            if self.conv_norm:
                x = layer_norm(x, self.t("ln%d.gamma" % (b + 1)), self.t("ln%d.beta" % (b + 1)))
            x = self.act(x)
        x = x.flatten(1)
        if self.input_norm:
            x = layer_norm(x, self.t("flat_ln.gamma"), self.t("flat_ln.beta"))
        for i in range(len(self.dense)):
            n = i + 1
            x = F.linear(x, self.t("dense%d.w" % n), self.t("dense%d.b" % n))
            if self.dense_norm == "batch":
                x = F.batch_norm(x, self.t("bn%d.running_mean" % n), self.t("bn%d.running_var" % n),
                                 self.t("bn%d.gamma" % n), self.t("bn%d.beta" % n), self.training,
                                 BATCHNORM_MOMENTUM, BATCHNORM_EPS)
            elif self.dense_norm == "layer":
                x = layer_norm(x, self.t("dln%d.gamma" % n), self.t("dln%d.beta" % n))
            x = self.act(x)
            x = F.dropout(x, self.dropout, self.training)
        return F.log_softmax(F.linear(x, self.t("out.w"), self.t("out.b")), dim=1)
