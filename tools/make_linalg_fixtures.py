#!/usr/bin/env python3
"""Write the NumPy reference results the linear-algebra tests compare with
(tests/data/linalg/cases.txt). Needs numpy; the tests read the file and never
run Python.

  python3 tools/make_linalg_fixtures.py [OUT]   (default tests/data/linalg/cases.txt)

Format, one item per line, numbers printed with 17 significant digits:
  case NAME M N
  KEY COUNT v1 v2 ...        (row-major where it is a matrix)
  end
Keys: a (the input, float64), svdvals, det, slogdet (sign, logabsdet), rank,
cond, pinv [n, m], and for square inputs inv, solve_b and solve_x (x = solve(a,
b)), eigvals (re, im pairs sorted by (re, im)); for symmetric positive definite
inputs eigh (ascending) and cholesky (lower factor); lstsq_b and lstsq_x
(lstsq(a, b, rcond=None)); qr_absr (|R| of the reduced QR: R is unique up to
the signs of its rows).
"""
import sys
import zlib

import numpy as np


def fmt(key, values):
    values = np.asarray(values, dtype=np.float64).ravel()
    return "%s %d %s\n" % (key, values.size, " ".join("%.17g" % v for v in values))


def case(name, a, out):
    a = np.asarray(a, dtype=np.float64)
    m, n = a.shape
    out.write("case %s %d %d\n" % (name, m, n))
    out.write(fmt("a", a))
    out.write(fmt("svdvals", np.linalg.svd(a, compute_uv=False)))
    out.write(fmt("rank", [np.linalg.matrix_rank(a)]))
    out.write(fmt("cond", [np.linalg.cond(a)]))
    out.write(fmt("pinv", np.linalg.pinv(a, rcond=max(m, n) * np.finfo(np.float64).eps)))
    out.write(fmt("qr_absr", np.abs(np.linalg.qr(a, mode="reduced")[1])))
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    b = rng.standard_normal(m)
    out.write(fmt("lstsq_b", b))
    out.write(fmt("lstsq_x", np.linalg.lstsq(a, b, rcond=None)[0]))
    if m == n:
        out.write(fmt("det", [np.linalg.det(a)]))
        sign, logabs = np.linalg.slogdet(a)
        out.write(fmt("slogdet", [sign, logabs]))
        out.write(fmt("inv", np.linalg.inv(a)))
        out.write(fmt("solve_b", b))
        out.write(fmt("solve_x", np.linalg.solve(a, b)))
        w = np.linalg.eigvals(a)
        w = sorted(w, key=lambda z: (z.real, z.imag))
        out.write(fmt("eigvals", [[z.real, z.imag] for z in w]))
        if np.allclose(a, a.T) and np.all(np.linalg.eigvalsh(a) > 0):
            out.write(fmt("eigh", np.linalg.eigvalsh(a)))
            out.write(fmt("cholesky", np.linalg.cholesky(a)))
    out.write("end\n")


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "tests/data/linalg/cases.txt"
    rng = np.random.default_rng(20240601)
    with open(path, "w") as out:
        out.write("# numpy %s; written by tools/make_linalg_fixtures.py\n" % np.__version__)
        case("random5x5", rng.standard_normal((5, 5)), out)
        case("random6x4", rng.standard_normal((6, 4)), out)
        case("random4x7", rng.standard_normal((4, 7)), out)
        r = rng.standard_normal((6, 6))
        case("spd6", r @ r.T + 6 * np.eye(6), out)
        case("hilbert6", [[1.0 / (i + j + 1) for j in range(6)] for i in range(6)], out)
        # complex eigenvalues: a rotation-scaling block and real ones
        case("complex4", [[1, -2, 0, 0.5], [2, 1, 0, 0], [0, 0, 3, 1], [0.25, 0, 0, -2]], out)
        # rank 2 (rank-deficient lstsq and pinv)
        u = rng.standard_normal((5, 2))
        v = rng.standard_normal((2, 4))
        case("rank2_5x4", u @ v, out)


if __name__ == "__main__":
    main()
