#!/usr/bin/env python3
"""Reference encode throughput for bench_tokenizer: Hugging Face tokenizers and
tiktoken on the same text file, same machine, same figures (MB/s of input).

  python3 bench/tokenizer_reference.py -t tests/data/llama3/tokenizer.json \
      -f TEXT [--reps 5] [--threads 2] [--json]

tiktoken gets an Encoding built from the same byte-level vocabulary
(mergeable ranks = token bytes -> id, the Split regex of tokenizer.json as
pat_str); the script checks it gives Hugging Face's ids on the file before
timing it. For tokenizers without a byte-level vocabulary (SentencePiece
style), only Hugging Face is measured.

Thread counts: Hugging Face's batch runs on RAYON_NUM_THREADS threads, which
is read once per process, so every thread count runs in a child process.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def timed(fn, reps):
    fn()  # warm-up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def tiktoken_encoding(tok_json):
    import tiktoken
    spec = json.load(open(tok_json, encoding="utf-8"))
    pre = spec.get("pre_tokenizer") or {}
    steps = pre.get("pretokenizers", [pre]) if pre.get("type") == "Sequence" else [pre]
    pattern = None
    for s in steps:
        if s.get("type") == "Split" and "Regex" in s.get("pattern", {}):
            pattern = s["pattern"]["Regex"]
    if pattern is None or steps[-1].get("type") != "ByteLevel":
        return None
    dec = bytes_to_unicode()
    ranks = {}
    for token, i in spec["model"]["vocab"].items():
        try:
            ranks[bytes(dec[c] for c in token)] = i
        except KeyError:
            pass
    special = {a["content"]: a["id"] for a in spec.get("added_tokens", [])}
    return tiktoken.Encoding("llama3-from-json", pat_str=pattern, mergeable_ranks=ranks, special_tokens=special)


def child(args):
    """Measure one thread count in this process (RAYON_NUM_THREADS is set)."""
    from tokenizers import Tokenizer
    text = open(args.f, encoding="utf-8").read()
    nbytes = len(text.encode("utf-8"))
    lines = text.splitlines(keepends=True)
    hf = Tokenizer.from_file(args.t)
    out = []
    t = args.child_threads

    def rec(lib, what, sec):
        out.append({"name": f"{lib}/{what}", "threads": str(t), "median_ns": sec * 1e9, "mb_s": nbytes / sec / 1e6})

    if t == 1:
        rec("hf", "encode_whole", timed(lambda: hf.encode(text, add_special_tokens=False), args.reps))
    rec("hf", "encode_batch", timed(lambda: hf.encode_batch(lines, add_special_tokens=False), args.reps))
    enc = tiktoken_encoding(args.t)
    if enc is not None:
        if t == 1:
            want = hf.encode(text, add_special_tokens=False).ids
            got = enc.encode_ordinary(text)
            if got != want:
                print("tiktoken ids differ from Hugging Face's; not timing tiktoken", file=sys.stderr)
                enc = None
        if enc is not None:
            if t == 1:
                rec("tiktoken", "encode_whole", timed(lambda: enc.encode_ordinary(text), args.reps))
            rec("tiktoken", "encode_batch", timed(lambda: enc.encode_ordinary_batch(lines, num_threads=t), args.reps))
    for r in out:
        print(json.dumps(r))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-t", required=True, help="tokenizer.json")
    ap.add_argument("-f", required=True, help="text file")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    ap.add_argument("--child-threads", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_threads:
        child(args)
        return
    rows = []
    for t in sorted({1, args.threads}):
        env = dict(os.environ, RAYON_NUM_THREADS=str(t), TOKENIZERS_PARALLELISM="true" if t > 1 else "false")
        cmd = [sys.executable, __file__, "-t", args.t, "-f", args.f, "--reps", str(args.reps), "--child-threads", str(t)]
        res = subprocess.run(cmd, env=env, capture_output=True, text=True)
        sys.stderr.write(res.stderr)
        if res.returncode != 0:
            sys.exit(f"measuring {t} thread(s) failed")
        rows += [json.loads(l) for l in res.stdout.splitlines() if l.strip()]
    for r in rows:
        if args.json:
            print(json.dumps(r))
        else:
            print(f"{r['name']:<24} threads={r['threads']}  median {r['median_ns'] / 1e6:8.2f} ms  mb_s={r['mb_s']:.2f}")


if __name__ == "__main__":
    main()
