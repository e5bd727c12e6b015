"""The PyTorch side of `npm run bench:torch` (not part of the product).

Trains the same T5 as bench/train_methods.ts -- same config.json, same synthetic batch shape,
effective batch = 2 microbatches, AdamW -- with the independent T5 of the parity-fixture
generator (test/fixtures/gen_t5_fixture.py) run in float32, and prints one JSON line:

    /usr/bin/python3 bench/torch_t5_train.py CONFIG_JSON METHOD STEPS MICRO_BATCH SEQ_LEN [THREADS]

Methods: full (every weight), lora_qv (r 8, alpha 16 on q and v of every attention, as
B @ A added to the frozen weight), ln_tuning (the RMS norm scales). Dropout is off on both
sides of the benchmark (the fixture model has none), so the two do the same arithmetic.
"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures'))
import gen_t5_fixture as ref  # noqa: E402

ref.DTYPE = torch.float32


def lora_weights(c, W, gen, r=8, alpha=16):
    """Replaces each q/v weight by a function of trainable A, B; returns (W view builder, trainable)."""
    names = [n for n in W if n.endswith(('.q.weight', '.v.weight'))]
    adapters = {}
    for n in names:
        out_f, in_f = W[n].shape
        a = (torch.rand(r, in_f, generator=gen) * 2 - 1) * (1 / in_f) ** 0.5
        adapters[n] = (a.requires_grad_(True), torch.zeros(out_f, r, requires_grad=True))

    def view():
        V = dict(W)
        for n, (a, b) in adapters.items():
            V[n] = W[n] + (b @ a) * (alpha / r)
        return V
    return view, [t for pair in adapters.values() for t in pair]


def main():
    config_file, method, steps, micro, seq_len = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    if len(sys.argv) > 6:
        torch.set_num_threads(int(sys.argv[6]))
    with open(config_file) as f:
        c = json.load(f)
    torch.manual_seed(0)
    W = ref.init_weights(c, 0)
    gen = torch.Generator().manual_seed(1)
    if method == 'full':
        trainable = [w.requires_grad_(True) for w in W.values()]
        view = lambda: W  # noqa: E731
    elif method == 'ln_tuning':
        trainable = [w.requires_grad_(True) for n, w in W.items() if n.endswith('layer_norm.weight')]
        view = lambda: W  # noqa: E731
    elif method == 'lora_qv':
        view, trainable = lora_weights(c, W, gen)
    else:
        raise SystemExit(f'unknown method {method}: full, lora_qv or ln_tuning')
    opt = torch.optim.AdamW(trainable, lr=1e-4, weight_decay=0.0)
    V = c['vocab_size']

    def batch():
        ids = torch.randint(2, V, (micro, seq_len), generator=gen)
        ids[:, -1] = c['eos_token_id']
        labels = torch.randint(2, V, (micro, 4), generator=gen)
        labels[:, -1] = c['eos_token_id']
        return ids, torch.ones_like(ids), labels

    def update():
        opt.zero_grad(set_to_none=True)
        for _ in range(2):
            ids, mask, labels = batch()
            Wv = view()
            logits = ref.decode(c, Wv, ref.shift_right(c, labels), ref.encode(c, Wv, ids, mask), mask)
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), labels.reshape(-1), ignore_index=-100) / 2
            loss.backward()
        opt.step()

    warmup = 2
    for _ in range(warmup):
        update()
    start = time.perf_counter()
    for _ in range(steps):
        update()
    seconds = time.perf_counter() - start
    tokens = steps * 2 * micro * seq_len
    print(json.dumps({'method': method, 'trainTokensPerSec': tokens / seconds, 'threads': torch.get_num_threads(),
                      'trainable': sum(t.numel() for t in trainable), 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
