#!/usr/bin/python3
"""KL-search golden cases for tests/unit/calib/test_calib.c, from the written definition in
docs/calibration.md ("kl"), implemented here independently with numpy.

Writes kl_cases.txt: per case one line "name expected_cut" then one line of 2048 bin counts.
Run: /usr/bin/python3 tests/data/calib/make_kl_cases.py   (numpy; version recorded in the file)
"""
import os

import numpy as np

BINS, LEVELS, Q_FLOOR = 2048, 128, 1e-9


def kl_cut(h):
    h = h.astype(np.float64)
    best, best_kl = None, np.inf
    for i in range(LEVELS, BINS):
        p = h[:i].copy()
        p[i - 1] += h[i:].sum()
        q = np.zeros(i)
        edges = (np.arange(LEVELS + 1) * i) // LEVELS
        for j in range(LEVELS):
            lo, hi = edges[j], edges[j + 1]
            nz = np.count_nonzero(p[lo:hi])
            if nz:
                q[lo:hi] = np.where(p[lo:hi] != 0, h[lo:hi].sum() / nz, 0.0)
        pn = p / p.sum()
        qn = q / q.sum() if q.sum() > 0 else q
        m = pn > 0
        qm = np.where(qn[m] > 0, qn[m], Q_FLOOR)
        kl = float(np.sum(pn[m] * np.log(pn[m] / qm)))
        if kl < best_kl:
            best, best_kl = i, kl
    return best


def main():
    rng = np.random.default_rng(20261126)
    k = np.arange(BINS)
    cases = {}
    # Laplacian-like |x| (conv outputs): exponential decay with Poisson noise
    cases["laplace"] = rng.poisson(2000.0 * np.exp(-k / 90.0))
    # half-Gaussian body with a few far outliers (the case KL exists for)
    g = np.histogram(np.abs(rng.normal(0, 1, 200000)), bins=BINS, range=(0, 40.0))[0]
    g[1500] += 3
    g[2047] += 1
    cases["gauss_outliers"] = g
    # ReLU6-like: mass piled at the top bin
    r = rng.poisson(300.0 * np.exp(-k / 600.0))
    r[2047] += 50000
    cases["relu6_pile"] = r
    # sparse: a few populated bins only
    s = np.zeros(BINS, dtype=np.int64)
    s[[3, 70, 400, 401, 1999]] = [100, 5, 7, 1, 2]
    cases["sparse"] = s
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "kl_cases.txt"), "w") as f:
        f.write(f"# made by make_kl_cases.py with numpy {np.__version__}\n")
        for name, h in cases.items():
            f.write(f"{name} {kl_cut(h)}\n")
            f.write(" ".join(str(int(v)) for v in h) + "\n")


if __name__ == "__main__":
    main()
