#!/usr/bin/env python3
"""Makes the two small tokenizers the tokenizer tests use for out-of-memory
walks and option checks, cut from the Llama 3 and SP-BPE-32k tokenizers of
tests/data, and their expected ids (cases.jsonl) from Hugging Face tokenizers.

  python3 tests/data/tiny-tokenizers/make_tiny.py   (needs `tokenizers`)

byte-level/: the 256 byte tokens + the first Llama 3 merges whose parts are
  already in (about 300 tokens), Llama 3's pre-tokenizer and decoder, added
  tokens (special <|bos|> <|eos|>, a non-special lstrip/rstrip one, a
  single_word one), TemplateProcessing adding <|bos|>.
sp/: <unk> <s> </s>, the 256 byte-fallback tokens, the characters and first
  merges of SP-BPE-32k (about 400 tokens); its normalizer and decoder;
  tokenizer_config.json with add_bos_token and add_eos_token.
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.dirname(HERE)


def cut(spec, base, limit):
    vocab = dict(base)
    merges = []
    for m in spec["model"]["merges"]:
        a, b = m.split(" ") if isinstance(m, str) else m
        if a in vocab and b in vocab and a + b not in vocab:
            merges.append([a, b])
            vocab[a + b] = len(vocab)
            if len(vocab) >= limit:
                break
    return vocab, merges


def byte_level():
    spec = json.load(open(os.path.join(DATA, "llama3", "tokenizer.json"), encoding="utf-8"))
    inv = {i: t for t, i in spec["model"]["vocab"].items()}
    base = {inv[i]: i for i in range(256)}  # Llama 3's first 256 ids are the byte tokens
    vocab, merges = cut(spec, base, 300)
    n = len(vocab)
    added = [
        {"id": n, "content": "<|bos|>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True},
        {"id": n + 1, "content": "<|eos|>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True},
        {"id": n + 2, "content": "[SEP]", "single_word": False, "lstrip": True, "rstrip": True, "normalized": False, "special": False},
        {"id": n + 3, "content": "word", "single_word": True, "lstrip": False, "rstrip": False, "normalized": True, "special": False},
    ]
    out = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": None,
        "pre_tokenizer": spec["pre_tokenizer"],
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "<|bos|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": "<|bos|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                    {"Sequence": {"id": "B", "type_id": 1}}],
                           "special_tokens": {"<|bos|>": {"id": "<|bos|>", "ids": [n], "tokens": ["<|bos|>"]}}},
        "decoder": spec["decoder"],
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": True,
                  "vocab": vocab, "merges": merges},
    }
    return out, {"bos_token": "<|bos|>", "eos_token": "<|eos|>"}


def sp():
    spec = json.load(open(os.path.join(DATA, "sp-bpe-32k", "tokenizer.json"), encoding="utf-8"))
    v = spec["model"]["vocab"]
    base = {t: i for t, i in sorted(v.items(), key=lambda x: x[1]) if i < 259}  # <unk> <s> </s> <0x00>..<0xFF>
    for ch in "▁etaoinshrdlcumwfgypbvk.,'TAI\n":
        if ch in v and ch not in base:
            base[ch] = len(base)
    vocab, merges = cut(spec, base, 400)
    merges = [f"{a} {b}" for a, b in merges]  # the "a b" form
    out = dict(spec)
    out["added_tokens"] = spec["added_tokens"]
    out["model"] = dict(spec["model"], vocab=vocab, merges=merges)
    cfg = {"add_bos_token": True, "add_eos_token": True, "bos_token": "<s>", "eos_token": "</s>",
           "pad_token": {"content": "<unk>"}, "model_max_length": 1000000000000000019884624838656}
    return out, cfg


TEXTS = ["", " ", "hello world", "the cat sat on the mat.\n", "  leading\n\ntrailing  ", "naïve café 日本語 🙂",
         "<|bos|>x<|eos|>", "a [SEP] b", "a[SEP]b", "word words sword word", "<s>in</s>", "\t\r\n", "don't",
         "xyzzy QWERTY 12345", "\u00a0\u3000", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]


def main():
    from tokenizers import Tokenizer
    for name, make in (("byte-level", byte_level), ("sp", sp)):
        spec, cfg = make()
        d = os.path.join(HERE, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "tokenizer.json"), "w", encoding="utf-8") as f:
            json.dump(spec, f, ensure_ascii=False, indent=1)
        with open(os.path.join(d, "tokenizer_config.json"), "w", encoding="utf-8") as f:
            json.dump(cfg, f, ensure_ascii=False, indent=1)
        tok = Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
        with open(os.path.join(d, "cases.jsonl"), "w", encoding="utf-8") as f:
            for t in TEXTS:
                plain = tok.encode(t, add_special_tokens=False).ids
                tmpl = tok.encode(t, add_special_tokens=True).ids
                tok.encode_special_tokens = True
                as_text = tok.encode(t, add_special_tokens=False).ids
                tok.encode_special_tokens = False
                f.write(json.dumps({"text": t, "ids": plain, "ids_template": tmpl, "ids_special_as_text": as_text,
                                    "decoded": tok.decode(plain, skip_special_tokens=False),
                                    "decoded_skip": tok.decode(plain, skip_special_tokens=True)}, ensure_ascii=False) + "\n")
        print(name, tok.get_vocab_size(), "tokens")


if __name__ == "__main__":
    main()
