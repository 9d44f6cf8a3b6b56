#!/usr/bin/env python3
"""Write the reference fixtures of the quantization tests (tests/data/quant/).

Needs numpy and gguf (llama.cpp's own Python package, `pip install gguf numpy`);
the tests read the files and never run Python.

For each case NAME (an n x k matrix) it writes, all little-endian, row-major:
  NAME.w.f32      float32 [n, k]   a random master weight matrix
  NAME.q.i8       int8    [n, k]   its BitNet b1.58 ternary codes (absmean per tensor,
                                   computed below in numpy exactly as documented in
                                   docs/quantization.md: mean |W| summed in float64,
                                   rounded to float32; s = 1/m; rint(W * s) clamped)
  NAME.scale.f32  float32 [1]      the scale 1/s
  NAME.tq1_0      bytes            gguf.quants.quantize(q * scale, TQ1_0)  (ggml's layout)
  NAME.tq2_0      bytes            gguf.quants.quantize(q * scale, TQ2_0)
  NAME.i2_s       bytes            I2_S as bitnet.cpp's quantize_i2_s writes it on x86
                                   (reimplemented here from its description)
  NAME.hf         bytes            uint8 [ceil(n/4), k], transformers' pack_weights
                                   (reimplemented here in numpy)
and for ggml's own absmax quantization with a different scale per block:
  NAME.ggml.tq1_0, NAME.ggml.tq2_0   gguf.quants.quantize(V, type) of a matrix V
  NAME.ggml.deq.f32                  gguf.quants.dequantize of the TQ2_0 bytes (the same
                                     values as the TQ1_0 ones)
HF-only cases (n not a multiple of 4) get NAME.q.i8 and NAME.hf.

With --torch (needs torch; run where it is installed) it writes instead what torch
computes for transformers' ActQuant on two rows where torch's scale, which it
evaluates as `reciprocal(absmax) * 127`, differs from the correctly rounded 127 / absmax:
  torch_actI.f32 (float32 [k]), torch_actI.q.i8 (int8 [k]), torch_actI.s.f32 (float32 [1])
and torch_weights.txt, the number of ternary codes where WeightQuant and our rule differ
on three random bf16 matrices (expected 0; informational).

usage: make_quant_fixtures.py [--out tests/data/quant] [--torch]
"""
import argparse
import os

import numpy as np


def absmean_ternary(w):
    m = np.float32(np.abs(w.astype(np.float64)).sum() / w.size)
    m = max(m, np.float32(1e-5))
    s = np.float32(1.0) / m
    q = np.clip(np.rint(w * s), -1, 1).astype(np.int8)
    return q, np.float32(np.float32(1.0) / s)


def pack_i2_s(q, scale):
    """bitnet.cpp I2_S, x86: blocks of 128 values in 32 bytes; byte j holds values
    j, j+32, j+64, j+96 in bits 7-6, 5-4, 3-2, 1-0; code = w + 1; then the f32 scale,
    padded with zeros to 32 bytes."""
    c = (q.reshape(-1, 4, 32).astype(np.uint8) + 1)
    b = (c[:, 0] << 6) | (c[:, 1] << 4) | (c[:, 2] << 2) | c[:, 3]
    tail = np.zeros(32, dtype=np.uint8)
    tail[:4] = np.frombuffer(np.float32(scale).tobytes(), dtype=np.uint8)
    return np.concatenate([b.reshape(-1).astype(np.uint8), tail])


def pack_hf(q):
    """transformers.integrations.bitnet.pack_weights: row i*R + r of the [n, k] codes
    goes to bits 2i+1..2i of packed row r, R = ceil(n / 4), code = w + 1."""
    n, k = q.shape
    R = (n + 3) // 4
    out = np.zeros((R, k), dtype=np.uint8)
    u = (q.astype(np.int16) + 1).astype(np.uint8)
    for i in range(4):
        rows = u[i * R:min((i + 1) * R, n)]
        out[:rows.shape[0]] |= rows << (2 * i)
    return out


def write(out, name, arr):
    with open(os.path.join(out, name), "wb") as f:
        f.write(np.ascontiguousarray(arr).tobytes())


def torch_fixtures(out):
    import torch
    g = torch.Generator().manual_seed(7)
    picks = {(0, 4): 0, (2, 5): 1}  # (case, row) -> fixture index: rows whose scales differ
    lines = []
    for i, (n, k, std) in enumerate([(640, 2560, 0.02), (256, 6912, 0.013), (1024, 2048, 1.0)]):
        x = (torch.randn(n, k, generator=g) * std).to(torch.bfloat16).float().contiguous()
        s = 1.0 / x.abs().mean().clamp_(min=1e-5)  # WeightQuant
        q = (x * s).round().clamp(-1, 1).to(torch.int8).numpy()
        ours, _ = absmean_ternary(x.numpy())
        lines.append(f"{n}x{k} std {std}: {int((ours != q).sum())} codes differ\n")
        a = torch.randn(8, k, generator=g) * 3
        sa = 127 / a.abs().max(dim=-1, keepdim=True).values.clamp_(min=1e-5)  # ActQuant
        qa = (a * sa).round().clamp(-128, 127).to(torch.int8)
        for r in range(8):
            if (i, r) in picks:
                j = picks[(i, r)]
                mx = np.float32(a[r].abs().max().item())
                assert np.float32(127) / mx != np.float32(sa[r, 0].item())
                write(out, f"torch_act{j}.f32", a[r].numpy())
                write(out, f"torch_act{j}.q.i8", qa[r].numpy())
                write(out, f"torch_act{j}.s.f32", sa[r].float().numpy())
    with open(os.path.join(out, "torch_weights.txt"), "w") as f:
        f.write(f"torch {torch.__version__}\n" + "".join(lines))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "data", "quant"))
    ap.add_argument("--torch", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    if a.torch:
        torch_fixtures(a.out)
        print("torch fixtures written to", os.path.normpath(a.out))
        return
    from gguf import GGMLQuantizationType
    from gguf.quants import dequantize, quantize
    rng = np.random.default_rng(20240605)

    for name, n, k, zero_block in (("m2x256", 2, 256, False), ("m3x512", 3, 512, True)):
        w = (rng.standard_normal((n, k)) * 0.02).astype(np.float32)
        if zero_block:  # one 256-block of tiny values: all codes 0, so ggml writes d = 0
            w[1, 256:] = (rng.standard_normal(256) * 1e-4).astype(np.float32)
        q, scale = absmean_ternary(w)
        deq = q.astype(np.float32) * scale
        write(a.out, name + ".w.f32", w)
        write(a.out, name + ".q.i8", q)
        write(a.out, name + ".scale.f32", np.array([scale], dtype=np.float32))
        write(a.out, name + ".tq1_0", quantize(deq, GGMLQuantizationType.TQ1_0))
        write(a.out, name + ".tq2_0", quantize(deq, GGMLQuantizationType.TQ2_0))
        write(a.out, name + ".i2_s", pack_i2_s(q, scale))
        write(a.out, name + ".hf", pack_hf(q))

        # ggml's own absmax quantization, one scale per block
        v = rng.uniform(-1.0, 1.0, (n, k)).astype(np.float32)
        v *= np.repeat(rng.uniform(0.01, 2.0, (n, k // 256)), 256, axis=1).astype(np.float32)
        t1 = quantize(v, GGMLQuantizationType.TQ1_0)
        t2 = quantize(v, GGMLQuantizationType.TQ2_0)
        d1 = dequantize(t1, GGMLQuantizationType.TQ1_0)
        d2 = dequantize(t2, GGMLQuantizationType.TQ2_0)
        assert np.array_equal(d1, d2)
        write(a.out, name + ".ggml.tq1_0", t1)
        write(a.out, name + ".ggml.tq2_0", t2)
        write(a.out, name + ".ggml.deq.f32", d2.astype(np.float32))

    for name, n, k in (("hf5x7", 5, 7), ("hf6x3", 6, 3)):
        q = rng.integers(-1, 2, (n, k)).astype(np.int8)
        write(a.out, name + ".q.i8", q)
        write(a.out, name + ".hf", pack_hf(q))
    print("fixtures written to", os.path.normpath(a.out))


if __name__ == "__main__":
    main()
