#!/usr/bin/env python3
"""The work SleepStepBenchmark times, in plain PyTorch: the yardstick for the engine on the same machine.

Reads the workload the engine's benchmark wrote (shape, token ids, MEMIT and LoRA settings), builds the same
Llama network with random weights, and times a batch forward pass, per-token greedy decode with a KV cache, one
MEMIT edit with the engine's pass structure (v* per fact with a fixed number of Adam steps, then the bottom-up
spread: critical residuals, keys, an N×N Cholesky solve and a temporary down_proj update per band layer, then one
recall pass per fact) and LoRA training steps (rank r on every projection of every layer, dropout, AdamW, gradient
clipping). Attention is PyTorch's scaled_dot_product_attention, as a PyTorch user would write it.

  torch_reference.py --workload W.json --device cuda --dtype bfloat16 --results R.json

Writes the same JSON layout as SleepStepBenchmark --results, so scripts/gpu/compare.py can put them side by side.
"""
import argparse
import json
import math
import resource
import sys
import time

import torch
import torch.nn.functional as F


class Llama(torch.nn.Module):
    """Llama decoder (RMSNorm, RoPE, grouped-query attention, SwiGLU, tied embeddings), Hugging Face weight layout."""

    PROJECTIONS = {"q_proj": "attn", "k_proj": "attn", "v_proj": "attn", "o_proj": "attn",
                   "gate_proj": "mlp", "up_proj": "mlp", "down_proj": "mlp"}

    def __init__(self, shape, dtype, device):
        super().__init__()
        d, f, heads, kv = shape["hidden"], shape["ffn"], shape["heads"], shape["kv_heads"]
        self.layers, self.d, self.heads, self.kv, self.head_dim = shape["layers"], d, heads, kv, d // heads
        self.eps = shape.get("rms_eps", 1e-5)
        g = torch.Generator(device="cpu").manual_seed(1)

        def rand(*size):
            return (torch.randn(*size, generator=g) * 0.02).to(device=device, dtype=dtype)

        self.w = {"embed": rand(shape["vocab"], d), "norm": torch.ones(d, device=device, dtype=dtype)}
        for i in range(self.layers):
            p = f"{i}."
            self.w[p + "attn_norm"] = torch.ones(d, device=device, dtype=dtype)
            self.w[p + "mlp_norm"] = torch.ones(d, device=device, dtype=dtype)
            self.w[p + "q_proj"] = rand(heads * self.head_dim, d)
            self.w[p + "k_proj"] = rand(kv * self.head_dim, d)
            self.w[p + "v_proj"] = rand(kv * self.head_dim, d)
            self.w[p + "o_proj"] = rand(d, heads * self.head_dim)
            self.w[p + "gate_proj"] = rand(f, d)
            self.w[p + "up_proj"] = rand(f, d)
            self.w[p + "down_proj"] = rand(d, f)
        inv = 1.0 / (shape.get("rope_theta", 10000.0) ** (torch.arange(0, self.head_dim, 2, dtype=torch.float32) / self.head_dim))
        ang = torch.outer(torch.arange(4096, dtype=torch.float32), inv)
        self.cos = torch.cat([ang.cos(), ang.cos()], -1).to(device=device, dtype=dtype)
        self.sin = torch.cat([ang.sin(), ang.sin()], -1).to(device=device, dtype=dtype)

    def rms(self, x, w):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)).to(x.dtype) * w

    def linear(self, x, name, adapters, dropout):
        y = x @ self.w[name].t()
        a = adapters.get(name) if adapters else None
        if a is not None:
            down, up, scale = a
            xa = F.dropout(x, dropout, training=True) if dropout > 0 else x
            y = y + (xa @ down.t().to(x.dtype)) @ up.t().to(x.dtype) * scale
        return y

    def rope(self, x, pos0):
        t = x.shape[2]
        cos, sin = self.cos[pos0:pos0 + t], self.sin[pos0:pos0 + t]
        half = x.shape[-1] // 2
        rotated = torch.cat([-x[..., half:], x[..., :half]], -1)
        return x * cos + rotated * sin

    def run(self, ids=None, h=None, start=0, stop=None, capture_resid=(), capture_keys=(), adapters=None, dropout=0.0,
            cache=None):
        """Runs layers start..stop (inclusive) from token ids or a residual stream; returns (logits or None, captures)."""
        if h is None:
            h = self.w["embed"][ids]
        b, t, _ = h.shape
        pos0 = cache["len"] if cache is not None else 0
        resid, keys = {}, {}
        last = self.layers - 1 if stop is None else stop
        for i in range(start, last + 1):
            p = f"{i}."
            x = self.rms(h, self.w[p + "attn_norm"])
            q = self.linear(x, p + "q_proj", adapters, dropout).view(b, t, self.heads, self.head_dim).transpose(1, 2)
            k = self.linear(x, p + "k_proj", adapters, dropout).view(b, t, self.kv, self.head_dim).transpose(1, 2)
            v = self.linear(x, p + "v_proj", adapters, dropout).view(b, t, self.kv, self.head_dim).transpose(1, 2)
            q, k = self.rope(q, pos0), self.rope(k, pos0)
            if cache is not None:
                ck, cv = cache[i]
                ck[:, :, pos0:pos0 + t], cv[:, :, pos0:pos0 + t] = k, v
                k, v = ck[:, :, :pos0 + t], cv[:, :, :pos0 + t]
            att = F.scaled_dot_product_attention(q, k, v, is_causal=(t > 1 and pos0 == 0), enable_gqa=self.kv != self.heads)
            h = h + self.linear(att.transpose(1, 2).reshape(b, t, -1), p + "o_proj", adapters, dropout)
            x = self.rms(h, self.w[p + "mlp_norm"])
            key = F.silu(self.linear(x, p + "gate_proj", adapters, dropout)) * self.linear(x, p + "up_proj", adapters, dropout)
            if i in capture_keys:
                keys[i] = key
            h = h + self.linear(key, p + "down_proj", adapters, dropout)
            if i in capture_resid:
                resid[i] = h
        if cache is not None:
            cache["len"] = pos0 + t
        if stop is not None and stop < self.layers - 1:
            return None, resid, keys
        return self.rms(h, self.w["norm"]) @ self.w["embed"].t(), resid, keys

    def new_cache(self, batch, length):
        c = {"len": 0}
        for i in range(self.layers):
            size = (batch, self.kv, length, self.head_dim)
            c[i] = (torch.empty(size, device=self.w["embed"].device, dtype=self.w["embed"].dtype),
                    torch.empty(size, device=self.w["embed"].device, dtype=self.w["embed"].dtype))
        return c


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(device, reps, fn):
    fn()  # warm-up: kernel selection and allocation, as on the engine side
    sync(device)
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        sync(device)
        out.append(time.perf_counter() - t)
    return out


@torch.no_grad()
def bench_forward(model, batch, device, reps):
    ids = torch.tensor(batch, device=device)
    return timed(device, reps, lambda: model.run(ids)[0].max().item())


@torch.no_grad()
def bench_decode(model, prompt, steps, device, reps):
    per_token = []

    def one():
        cache = model.new_cache(1, len(prompt) + steps + 1)
        logits = model.run(torch.tensor([prompt], device=device), cache=cache)[0]
        nxt = int(logits[0, -1].argmax().item())
        sync(device)
        t = time.perf_counter()
        for _ in range(steps):
            logits = model.run(torch.tensor([[nxt]], device=device), cache=cache)[0]
            nxt = int(logits[0, -1].argmax().item())
        per_token.append((time.perf_counter() - t) / steps)

    timed(device, reps, one)
    return per_token[1:]


def key_variance(model, band, device, vocab):
    """Per-dimension key variance at the band layers from a few random sequences (the engine reads reference text)."""
    g = torch.Generator(device="cpu").manual_seed(5)
    ids = torch.randint(0, vocab, (8, 64), generator=g).to(device)
    with torch.no_grad():
        _, _, keys = model.run(ids, stop=max(band), capture_keys=set(band))
    return {l: keys[l].float().reshape(-1, keys[l].shape[-1]).var(0).clamp_min(1e-6).double() for l in band}


def memit_edit(model, m, facts, variance, device):
    """One MEMIT edit with the engine's passes: v* per fact, bottom-up spread, recall check; weights restored after."""
    band, t_star, d = m["layers"], m["layers"][-1], model.d
    seqs, tails, wanted = [], [], []
    for f in facts:
        prompt, target = f["prompt"], f["target"]
        seq = prompt + target[:-1]
        q, rows = len(prompt) - 1, len(target)
        ids = torch.tensor([seq], device=device)
        with torch.no_grad():
            logits, resid, _ = model.run(ids, capture_resid={t_star})
            h = resid[t_star]
            base_logp = logits[0, q].float().log_softmax(-1)
            base_p = base_logp.exp()
            h_norms = h[0, q:q + rows].float().norm(dim=-1)
        placement = torch.zeros(len(seq), rows, device=device, dtype=h.dtype)
        placement[torch.arange(q, q + rows), torch.arange(rows)] = 1
        idx = torch.tensor(target, device=device).view(rows, 1)
        delta = torch.zeros(rows, d, device=device, dtype=torch.float32)
        mom, vel = torch.zeros_like(delta), torch.zeros_like(delta)
        lr = (m["v_lr"] * h_norms / math.sqrt(d)).view(rows, 1)
        for step in range(1, m["v_steps"] + 1):
            delta.requires_grad_(True)
            logits, _, _ = model.run(h=h + (placement @ delta.to(h.dtype)).unsqueeze(0), start=t_star + 1)
            logp = logits[0].float().log_softmax(-1)
            picked = logp[q:].gather(-1, idx)
            kl = (base_p * (base_logp - logp[q])).sum()
            loss = -picked.mean() + m["kl_weight"] * kl
            (grad,) = torch.autograd.grad(loss, delta)
            with torch.no_grad():  # Adam with a per-row learning rate relative to the residual's norm, then the clamp
                delta = delta.detach()
                mom.mul_(0.9).add_(grad, alpha=0.1)
                vel.mul_(0.999).addcmul_(grad, grad, value=0.001)
                delta -= lr * (mom / (1 - 0.9 ** step)) / ((vel / (1 - 0.999 ** step)).sqrt() + 1e-8)
                limit = (m["norm_clamp"] * h_norms).view(rows, 1)
                delta *= (limit / delta.norm(dim=-1, keepdim=True).clamp_min(1e-12)).clamp(max=1)
        seqs.append(seq)
        tails.append(rows)
        wanted.append(delta.detach().double())
    wanted = torch.cat(wanted)  # [N, d], N = object tokens of all facts

    def critical():
        rows = []
        with torch.no_grad():
            for seq, tail in zip(seqs, tails):
                _, resid, _ = model.run(torch.tensor([seq], device=device), stop=t_star, capture_resid={t_star})
                rows.append(resid[t_star][0, -tail:].double())
        return torch.cat(rows)

    saved = {l: model.w[f"{l}.down_proj"].clone() for l in band}
    try:
        before = critical()
        for i, layer in enumerate(band):
            now = before if i == 0 else critical()
            with torch.no_grad():
                ks = []
                for seq, tail in zip(seqs, tails):
                    _, _, keys = model.run(torch.tensor([seq], device=device), stop=t_star, capture_keys=set(band))
                    ks.append(keys[layer][0, -tail:].double())
                k = torch.cat(ks)  # [N, m]
                y = (wanted - (now - before)) / (len(band) - i)  # [N, d]
                ka = k / (m["lambda"] * variance[layer] + 1e-8)  # (λC)⁻¹ k for the diagonal C
                s = torch.eye(k.shape[0], device=device, dtype=torch.float64) + k @ ka.t()
                u = torch.cholesky_solve(y, torch.linalg.cholesky(s))  # S⁻¹ Y  [N, d]
                model.w[f"{layer}.down_proj"] += (u.t() @ ka).to(model.w[f"{layer}.down_proj"].dtype)
        with torch.no_grad():  # the recall check: one pass per fact
            for seq in seqs:
                model.run(torch.tensor([seq], device=device))[0].max().item()
    finally:
        for l, w in saved.items():
            model.w[f"{l}.down_proj"] = w


def lora_steps(model, lo, device):
    """LoRA training steps; returns seconds per step after the first."""
    scale = lo["alpha"] / lo["rank"]
    g = torch.Generator(device="cpu").manual_seed(3)
    adapters, params = {}, []
    for i in range(model.layers):
        for p in lo["projections"]:
            w = model.w[f"{i}.{p}"]
            down = (torch.randn(lo["rank"], w.shape[1], generator=g) / math.sqrt(w.shape[1])).to(device).requires_grad_(True)
            up = torch.zeros(w.shape[0], lo["rank"], device=device, requires_grad=True)
            adapters[f"{i}.{p}"] = (down, up, scale)
            params += [down, up]
    opt = torch.optim.AdamW(params, lr=lo["lr"], weight_decay=lo["weight_decay"])
    tokens = torch.tensor(lo["tokens"], device=device)
    answer = tokens.shape[1] // 2
    stamps = []
    for _ in range(lo["steps"]):
        logits = model.run(tokens[:, :-1], adapters=adapters, dropout=lo["dropout"])[0]
        loss = F.cross_entropy(logits[:, answer - 1:].float().reshape(-1, logits.shape[-1]), tokens[:, answer:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, lo["clip_norm"])
        opt.step()
        loss.item()  # the engine reads every step's loss back too
        sync(device)
        stamps.append(time.perf_counter())
    return [b - a for a, b in zip(stamps, stamps[1:])]


def stats(seconds, what):
    s = sorted(seconds)
    return {"median_ms": s[len(s) // 2] * 1e3, "min_ms": s[0] * 1e3, "max_ms": s[-1] * 1e3, "what": what}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workload", required=True)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"])
    ap.add_argument("--results")
    args = ap.parse_args()
    with open(args.workload, encoding="utf-8") as f:
        w = json.load(f)
    device, dtype = torch.device(args.device), getattr(torch, args.dtype)
    torch.manual_seed(0)
    shape = w["shape"]
    print(f"torch {torch.__version__} (CUDA {torch.version.cuda}) on {device}"
          + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else f", {torch.get_num_threads()} threads")
          + f", {args.dtype}, TF32 matmul {'on' if torch.backends.cuda.matmul.allow_tf32 else 'off'}")
    t0 = time.perf_counter()
    model = Llama(shape, dtype, device)
    print(f"random weights in {time.perf_counter() - t0:.1f} s")
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    timings = {}

    def report(name, seconds, what):
        timings[name] = stats(seconds, what)
        t = timings[name]
        print(f"  {name:<20} median {t['median_ms']:9.2f} ms   min {t['min_ms']:9.2f}   max {t['max_ms']:9.2f}   {what}")

    batch = w["batch"]
    report("forward", bench_forward(model, batch, device, w["reps"]), f"forward {len(batch)}×{len(batch[0])} tokens")
    report("decode", bench_decode(model, batch[0], w["decode"], device, w["reps"]),
           f"decode, per token (greedy, KV cache, after a {len(batch[0])}-token prompt)")
    m = w["memit"]
    variance = key_variance(model, m["layers"], device, shape["vocab"])
    report("memit_edit", timed(device, m["reps"], lambda: memit_edit(model, m, m["facts"], variance, device)),
           f"MEMIT edit of {len(m['facts'])} facts ({m['v_steps']} v* steps, band {m['layers']})")
    lo = w["lora"]
    report("lora_step", lora_steps(model, lo, device),
           f"LoRA step (rank {lo['rank']}, {len(lo['projections'])} projections × {shape['layers']} layers, "
           f"batch {len(lo['tokens'])}×{len(lo['tokens'][0])}, AdamW)")
    out = {"side": "torch", "device": str(device), "torch": torch.__version__, "dtype": args.dtype, "timings": timings,
           "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if device.type == "cuda":
        out["peak_allocated_mib"] = torch.cuda.max_memory_allocated(device) / 2**20
        out["peak_reserved_mib"] = torch.cuda.max_memory_reserved(device) / 2**20
        print(f"peak GPU memory: {out['peak_allocated_mib']:.0f} MiB allocated, {out['peak_reserved_mib']:.0f} MiB reserved")
    if args.results:
        with open(args.results, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
