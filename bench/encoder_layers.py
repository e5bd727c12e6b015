"""Block-by-block reading of a T5 encoder from its saved weights, independent of the engine.

For 64 random token ids it prints, after each attention and feed-forward sublayer, the size of
the sublayer's output and the mean cosine between its outputs at different positions (near 1:
the same vector at every position, that is a constant), then the same for the residual stream.
A healthy encoder keeps the residual cosine low; one that hands the decoder a constant shows a
late sublayer with cosine near 1 and a large output.

    python3 bench/encoder_layers.py resources/default-model [more T5 folders]

Needs only numpy; a diagnostic for docs/pretraining.md, not part of the product.
"""
import json
import math
import random
import struct
import sys

import numpy as np


def load_weights(folder):
    raw = open(f"{folder}/model.safetensors", "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    weights = {}
    for name, v in header.items():
        if name == "__metadata__":
            continue
        assert v["dtype"] == "F32", f"{name}: {v['dtype']} (float32 only)"
        s, e = v["data_offsets"]
        weights[name] = np.frombuffer(raw[8 + n + s:8 + n + e], dtype=np.float32).reshape(v["shape"])
    return weights


def bucket(rel, num_buckets, max_distance):
    """transformers' bidirectional _relative_position_bucket."""
    num_buckets //= 2
    out = (rel > 0).astype(int) * num_buckets
    n = np.abs(rel)
    max_exact = num_buckets // 2
    large = max_exact + (np.log(np.maximum(n, 1) / max_exact) / math.log(max_distance / max_exact) * (num_buckets - max_exact)).astype(int)
    return out + np.where(n < max_exact, n, np.minimum(large, num_buckets - 1))


def rms_norm(x, w, eps):
    return x / np.sqrt((x ** 2).mean(-1, keepdims=True) + eps) * w


def gelu_new(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def position_cosine(h):
    unit = h / np.linalg.norm(h, axis=-1, keepdims=True)
    return (unit @ unit.T).mean()


def describe(label, h):
    print(f"  {label:24s} norm {np.linalg.norm(h, axis=-1).mean():7.2f}   position cos {position_cosine(h):.3f}")


def read_encoder(folder, ids):
    cfg = json.load(open(f"{folder}/config.json"))
    w = load_weights(folder)
    heads, eps = cfg["num_heads"], cfg["layer_norm_epsilon"]
    gated = cfg.get("feed_forward_proj", "relu").startswith("gated")
    x = w["shared.weight"][ids]
    S = len(ids)
    pos = np.arange(S)
    table = w["encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"]
    bias = table[bucket(pos[None, :] - pos[:, None], cfg["relative_attention_num_buckets"], cfg["relative_attention_max_distance"])].transpose(2, 0, 1)
    print(folder)
    describe("embedding", x)
    for i in range(cfg["num_layers"]):
        p = f"encoder.block.{i}.layer.0."
        h = rms_norm(x, w[p + "layer_norm.weight"], eps)
        q, k, v = (h @ w[p + f"SelfAttention.{n}.weight"].T for n in "qkv")
        split = lambda t: t.reshape(S, heads, -1).transpose(1, 0, 2)
        q, k, v = split(q), split(k), split(v)
        scores = q @ k.transpose(0, 2, 1) + bias
        a = np.exp(scores - scores.max(-1, keepdims=True))
        a /= a.sum(-1, keepdims=True)
        out = (a @ v).transpose(1, 0, 2).reshape(S, -1) @ w[p + "SelfAttention.o.weight"].T
        describe(f"block {i} attention", out)
        x = x + out
        p = f"encoder.block.{i}.layer.1."
        h = rms_norm(x, w[p + "layer_norm.weight"], eps)
        if gated:
            inner = gelu_new(h @ w[p + "DenseReluDense.wi_0.weight"].T) * (h @ w[p + "DenseReluDense.wi_1.weight"].T)
        else:
            inner = np.maximum(h @ w[p + "DenseReluDense.wi.weight"].T, 0)
        out = inner @ w[p + "DenseReluDense.wo.weight"].T
        describe(f"block {i} feed-forward", out)
        x = x + out
        describe(f"block {i} residual", x)
    describe("after the final norm", rms_norm(x, w["encoder.final_layer_norm.weight"], eps))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    rng = random.Random(0)
    for folder in sys.argv[1:]:
        vocab = json.load(open(f"{folder}/config.json"))["vocab_size"]
        read_encoder(folder, np.array([rng.randrange(5, vocab - 200) for _ in range(64)]))
