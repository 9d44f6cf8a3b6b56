#!/usr/bin/env python3
"""Fit the polynomial coefficients of src/cpu/kernels/vmath_coef.h.

Usage: python3 tools/fit_vmath.py > coef.txt (needs numpy and mpmath).
"""
import numpy as np, mpmath as mp
import numpy as np, mpmath as mp
mp.mp.dps=40
def lawson(target, weight, basis, a, b, n=3000, iters=80):
    k=np.arange(n); x=(a+b)/2+(b-a)/2*np.cos(np.pi*(k+0.5)/n)
    y=np.array([float(target(mp.mpf(float(xi)))) for xi in x]); s=np.array([float(weight(mp.mpf(float(xi)))) for xi in x])
    B=np.stack([bf(x) for bf in basis],1)
    w=np.ones(n)/n
    for it in range(iters):
        W=np.sqrt(w)*s
        c,*_=np.linalg.lstsq(B*W[:,None], y*W, rcond=None)
        e=np.abs(B@c-y)*s
        w=w*e; w/=w.sum()
    c32=np.float32(c).astype(np.float64)
    e32=np.max(np.abs(B@c32-y)*s)
    return [float(np.float32(v)) for v in c], np.max(e), e32
def pw(j,f=lambda x:x): return lambda x: f(x)**j
L=float(mp.log(2)/2)
out=[]
def emit(name, c, note):
    out.append("/* %s */" % note)
    out.append("#define %s_N %d" % (name, len(c)))
    for i,v in enumerate(c): out.append("#define %s_%d %.9ef" % (name, i, v))
c,e,e32=lawson(lambda r: (mp.exp(r)-1-r)/r**2 if r!=0 else mp.mpf(0.5), lambda r: r**2/mp.exp(r), [pw(j) for j in range(5)], -L, L)
emit("BNV_EXP_P", c, "e^r = 1 + r + r^2 P(r), |r| <= ln2/2; rel. error %.2e (f32 coefficients)" % e32)
c,e,e32=lawson(lambda x: (mp.tanh(x)-x)/x**3, lambda x: x**3/mp.tanh(x), [pw(j,lambda x:x*x) for j in range(6)], 1e-4, 0.625)
emit("BNV_TANH_P", c, "tanh(x) = x + x^3 P(x^2), |x| < 0.625; rel. error %.2e" % e32)
c,e,e32=lawson(lambda x: mp.erf(x)/x, lambda x: x/mp.erf(x), [pw(j,lambda x:x*x) for j in range(7)], 1e-4, 0.75)
emit("BNV_ERF_P", c, "erf(x) = x P(x^2), |x| < 0.75; rel. error %.2e" % e32)
f=lambda t: (1/t)*mp.erfc(1/t)*mp.exp(1/t**2)
for nm,(a,b) in (("BNV_ERFC_A",(1/10.5,0.5)),("BNV_ERFC_B",(0.5,1/0.75))):
    c,e,e32=lawson(f, lambda t: 1/f(t), [pw(j,lambda t:(2*t-(a+b))/(b-a)) for j in range(10)], a, b)
    emit(nm, c, "u erfc(u) e^(u^2) = P(z), t = 1/u in [%.6g, %.6g], z = (2t - %.9g) / %.9g; rel. error %.2e" % (a,b,a+b,b-a,e32))
    out.append("#define %s_SUM %.9ef" % (nm, a+b)); out.append("#define %s_INVW %.9ef" % (nm, 1/(b-a)))
c,e,e32=lawson(lambda s: (2*mp.atanh(s)-2*s)/(2*s**3), lambda s: 2*s**3/(2*mp.atanh(s)), [pw(j,lambda x:x*x) for j in range(5)], 1e-4, 1/3)
emit("BNV_LOG1P_P", c, "log1p(y) = 2s + 2s^3 P(s^2), s = y / (2 + y) in [0, 1/3]; rel. error %.2e" % e32)
print("\n".join(out))
