#!/usr/bin/python3
"""tsne_sklearn.py - scikit-learn's Barnes-Hut TSNE on the data bench_tsne
saved (--save X.npy), with the settings of sincprobe's tsne probe:
perplexity 30, 1000 iterations, theta (angle) 0.5, early exaggeration 12
for 250 iterations, PCA initialisation, learning rate max(200, N / 12).
Prints the seconds and KL divergence (sklearn's kl_divergence_, also a
Barnes-Hut estimate), and with --quality trustworthiness (k = 5).

    /usr/bin/python3 bench/tsne_sklearn.py X.npy [--iterations 1000]
        [--perplexity 30] [--quality] [--out Y.npy]

OMP_NUM_THREADS sets sklearn's threads (its BH gradient uses OpenMP)."""
import argparse
import inspect
import os
import time

import numpy as np
from sklearn.manifold import TSNE, trustworthiness


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--iterations", type=int, default=1000)
    ap.add_argument("--perplexity", type=float, default=30.0)
    ap.add_argument("--quality", action="store_true")
    ap.add_argument("--out")
    a = ap.parse_args()
    X = np.load(a.data).astype(np.float32)
    n = X.shape[0]
    kw = dict(n_components=2, perplexity=a.perplexity, early_exaggeration=12.0,
              learning_rate=max(200.0, n / 12.0), init="pca", method="barnes_hut",
              angle=0.5, random_state=0)
    # the iteration count's name changed (n_iter -> max_iter, sklearn 1.5)
    params = inspect.signature(TSNE).parameters
    kw["max_iter" if "max_iter" in params else "n_iter"] = a.iterations
    t0 = time.perf_counter()
    tsne = TSNE(**kw)
    Y = tsne.fit_transform(X)
    secs = time.perf_counter() - t0
    line = "sklearn n %d d %d threads %s seconds %.2f kl %.4f iterations %d" % (
        n, X.shape[1], os.environ.get("OMP_NUM_THREADS", "all"), secs, tsne.kl_divergence_, tsne.n_iter_)
    if a.quality:
        line += " trust %.4f" % trustworthiness(X, Y, n_neighbors=5)
    print(line)
    if a.out:
        np.save(a.out, Y.astype(np.float32))


if __name__ == "__main__":
    main()
