#!/usr/bin/python3
"""Fit the first-order thermal model of sim/physics/thermal.hpp to our H200 samples.

Model: C dT/dt = P - (T - T_in)/R, tau = R*C, solved exactly between the 50 ms samples with the
power held constant over each interval. For a given tau the model is linear in R and T_in, so
the fit is a grid over tau with linear least squares for (R, T_in) at each tau.

NVML's power reading on the H100/H200 is an average over 1 s, so it lags the die temperature;
the fit is done with the reading advanced by `lag_s` (default 0.5 s, half the window).

Usage: thermal_fit.py [samples.csv] [--lag-s 0.5]  -> prints R_K_per_W tau_s T_in_C rms_K
"""
import argparse
import csv
import math
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def load(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    t = np.array([float(r["t_s"]) for r in rows])
    p = np.array([float(r["power_W"]) for r in rows])
    temp = np.array([float(r["temp_C"]) for r in rows])
    return t, p, temp


def responses(t, p, t0, tau):
    """Unit responses: T = R*a + T_in*b + c (c: the initial temperature decaying)."""
    n = len(t)
    a = np.zeros(n)
    b = np.zeros(n)
    c = np.zeros(n)
    c[0] = t0
    for i in range(1, n):
        k = math.exp(-(t[i] - t[i - 1]) / tau)
        a[i] = p[i - 1] * (1 - k) + a[i - 1] * k
        b[i] = (1 - k) + b[i - 1] * k
        c[i] = c[i - 1] * k
    return a, b, c


def fit(t, p, temp, lag_s):
    dt = float(np.median(np.diff(t)))
    shift = int(round(lag_s / dt))
    ps = np.concatenate([p[shift:], np.full(shift, p[-1])]) if shift > 0 else p
    best = None
    for tau in np.exp(np.linspace(math.log(0.01), math.log(100.0), 400)):
        a, b, c = responses(t, ps, temp[0], tau)
        A = np.vstack([a, b]).T
        x, *_ = np.linalg.lstsq(A, temp - c, rcond=None)
        rms = float(np.sqrt(np.mean((A @ x + c - temp) ** 2)))
        if best is None or rms < best[3]:
            best = (float(x[0]), float(tau), float(x[1]), rms)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("samples", nargs="?", default=os.path.join(HERE, "data", "samples.csv"))
    ap.add_argument("--lag-s", type=float, default=0.5)
    args = ap.parse_args()
    r, tau, t_in, rms = fit(*load(args.samples), args.lag_s)
    print(f"R_K_per_W {r:.4f} tau_s {tau:.2f} T_in_C {t_in:.1f} rms_K {rms:.2f}")


if __name__ == "__main__":
    main()
