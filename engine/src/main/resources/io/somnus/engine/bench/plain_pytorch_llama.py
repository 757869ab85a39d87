"""The Llama forward written in plain PyTorch (Hugging Face's eager layout), timed on the same
checkpoint and inputs as Somnus' engine. Run only by `somnus bench --pytorch`; prints JSON lines.

Reads model.safetensors (or its sharded index) and config.json with no library but torch, so that
Debian's python3-torch is all it needs.
"""
import argparse
import json
import math
import os
import resource
import struct
import sys
import time

import torch
import torch.nn.functional as F

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def blas_libraries():
    """The BLAS shared objects this process mapped (Debian's torch calls whichever libblas.so.3 is selected)."""
    with open("/proc/self/maps") as f:
        return sorted({line.split()[-1] for line in f if "blas" in line.split()[-1].lower()})


def emit(**record):
    print(json.dumps(record), flush=True)


def load(folder, device):
    """Weights as float32 tensors by Hugging Face name, read one tensor at a time."""
    index = os.path.join(folder, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    weights = {}
    for name in files:
        with open(os.path.join(folder, name), "rb") as f:
            header_len = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(header_len))
            start = 8 + header_len
            for key, entry in header.items():
                if key == "__metadata__":
                    continue
                begin, end = entry["data_offsets"]
                f.seek(start + begin)
                raw = bytearray(f.read(end - begin))
                t = torch.frombuffer(raw, dtype=DTYPES[entry["dtype"]]).reshape(entry["shape"])
                weights[key] = t.to(device=device, dtype=torch.float32).clone()
                del raw
    return weights


class Llama:
    def __init__(self, config, weights):
        self.c = config
        self.w = weights
        self.heads = config["num_attention_heads"]
        self.kv_heads = config.get("num_key_value_heads") or self.heads
        self.head_dim = config.get("head_dim") or config["hidden_size"] // self.heads
        self.eps = config.get("rms_norm_eps", 1e-6)
        self.layers = config["num_hidden_layers"]
        self.head = weights["model.embed_tokens.weight"] if config.get("tie_word_embeddings") else weights["lm_head.weight"]
        inv = 1.0 / (config.get("rope_theta", 10000.0) ** (torch.arange(0, self.head_dim, 2, dtype=torch.float64) / self.head_dim))
        scaling = config.get("rope_scaling") or {}
        if scaling.get("rope_type", scaling.get("type")) == "llama3":
            factor, low, high = scaling["factor"], scaling["low_freq_factor"], scaling["high_freq_factor"]
            original = scaling["original_max_position_embeddings"]
            wavelen = 2 * math.pi / inv
            smooth = (original / wavelen - low) / (high - low)
            scaled = torch.where(wavelen > original / low, inv / factor, inv)
            middle = (wavelen <= original / low) & (wavelen >= original / high)
            inv = torch.where(middle, (1 - smooth) * inv / factor + smooth * inv, scaled)
        self.inv_freq = inv.float().to(self.head.device)

    def rms(self, x, weight):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * weight

    @staticmethod
    def rotate_half(x):
        x1, x2 = x.chunk(2, dim=-1)
        return torch.cat((-x2, x1), dim=-1)

    def forward(self, ids, cache=None, last_only=False):
        b, t = ids.shape
        past = 0 if cache is None or not cache else cache[0][0].shape[2]
        h = F.embedding(ids, self.w["model.embed_tokens.weight"])
        pos = torch.arange(past, past + t, device=ids.device, dtype=torch.float32)
        freqs = torch.outer(pos, self.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        mask = None
        if t > 1:
            mask = torch.full((t, past + t), float("-inf"), device=ids.device).triu(past + 1)
        groups = self.heads // self.kv_heads
        for l in range(self.layers):
            p = f"model.layers.{l}."
            x = self.rms(h, self.w[p + "input_layernorm.weight"])
            q = F.linear(x, self.w[p + "self_attn.q_proj.weight"], self.w.get(p + "self_attn.q_proj.bias"))
            k = F.linear(x, self.w[p + "self_attn.k_proj.weight"], self.w.get(p + "self_attn.k_proj.bias"))
            v = F.linear(x, self.w[p + "self_attn.v_proj.weight"], self.w.get(p + "self_attn.v_proj.bias"))
            q = q.view(b, t, self.heads, self.head_dim).transpose(1, 2)
            k = k.view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
            v = v.view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
            q = q * cos + self.rotate_half(q) * sin
            k = k * cos + self.rotate_half(k) * sin
            if cache is not None:
                if len(cache) > l:
                    k = torch.cat((cache[l][0], k), dim=2)
                    v = torch.cat((cache[l][1], v), dim=2)
                    cache[l] = (k, v)
                else:
                    cache.append((k, v))
            if groups > 1:  # Hugging Face's repeat_kv
                k = k[:, :, None].expand(b, self.kv_heads, groups, k.shape[2], self.head_dim).reshape(b, self.heads, -1, self.head_dim)
                v = v[:, :, None].expand(b, self.kv_heads, groups, v.shape[2], self.head_dim).reshape(b, self.heads, -1, self.head_dim)
            scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim)
            if mask is not None:
                scores = scores + mask
            ctx = torch.matmul(scores.softmax(-1), v).transpose(1, 2).reshape(b, t, -1)
            h = h + F.linear(ctx, self.w[p + "self_attn.o_proj.weight"], self.w.get(p + "self_attn.o_proj.bias"))
            x = self.rms(h, self.w[p + "post_attention_layernorm.weight"])
            gate = F.linear(x, self.w[p + "mlp.gate_proj.weight"], self.w.get(p + "mlp.gate_proj.bias"))
            up = F.linear(x, self.w[p + "mlp.up_proj.weight"], self.w.get(p + "mlp.up_proj.bias"))
            h = h + F.linear(F.silu(gate) * up, self.w[p + "mlp.down_proj.weight"], self.w.get(p + "mlp.down_proj.bias"))
        if last_only:
            h = h[:, -1:]
        return F.linear(self.rms(h, self.w["model.norm.weight"]), self.head)


def tokens(batch, length, vocab):
    """The same ids the engine's benchmark uses."""
    return torch.tensor([[(b * 7919 + t * 104729 + 13) % vocab for t in range(length)] for b in range(batch)])


def clocks():
    return time.perf_counter(), time.thread_time(), time.process_time()


def since(start, device, per=1):
    if device.type == "cuda":
        torch.cuda.synchronize()
    return [(now - then) / per for now, then in zip(clocks(), start)]


def timed(reps, body, device):
    """Seconds per repetition (wall, this thread's CPU, the process's CPU); a body returning a list timed itself."""
    body()  # warm-up: first calls pay for allocation and kernel selection
    out = {"wall_s": [], "thread_cpu_s": [], "process_cpu_s": []}
    for _ in range(reps):
        start = clocks()
        own = body()
        wall, cpu, process = own if isinstance(own, list) else since(start, device)
        out["wall_s"].append(wall)
        out["thread_cpu_s"].append(cpu)
        out["process_cpu_s"].append(process)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--shape", required=True)
    ap.add_argument("--threads", default="1")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--prompt", type=int, required=True)
    ap.add_argument("--decode", type=int, required=True)
    ap.add_argument("--metrics", default="forward,prefill,decode,step")
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    device = torch.device("cuda" if a.device == "gpu" else a.device)
    torch.set_num_interop_threads(1)
    with open(os.path.join(a.checkpoint, "config.json")) as f:
        config = json.load(f)
    started = time.perf_counter()
    model = Llama(config, load(a.checkpoint, device))
    load_s = time.perf_counter() - started
    torch.ones(64, 64) @ torch.ones(64, 64)  # maps the BLAS library
    emit(impl="pytorch", shape=a.shape, event="load", load_s=load_s, torch=torch.__version__, blas=blas_libraries(),
         python=sys.version.split()[0])
    vocab = config["vocab_size"]
    batch = tokens(a.batch, a.prompt, vocab).to(device)
    one = batch[:1]
    metrics = a.metrics.split(",")
    with torch.inference_mode():
        check = model.forward(one)[0, -1, :8].tolist()
    emit(impl="pytorch", shape=a.shape, event="check", logits=check)
    for threads in [int(x) for x in a.threads.split(",")]:
        torch.set_num_threads(threads)

        def record(metric, result):
            emit(impl="pytorch", shape=a.shape, threads=torch.get_num_threads(), metric=metric, **result)

        with torch.inference_mode():
            if "forward" in metrics:
                record("forward", timed(a.reps, lambda: model.forward(batch), device))
            if "prefill" in metrics:
                record("prefill", timed(a.reps, lambda: model.forward(one, cache=[], last_only=True), device))
            if "decode" in metrics:
                def decode():  # per token after the prompt, each token read back as generation does
                    cache = []
                    logits = model.forward(one, cache=cache, last_only=True)
                    start = since((0, 0, 0), device)  # clocks after the prompt's work has finished
                    for _ in range(a.decode):
                        token = int(logits[0, -1].argmax())
                        logits = model.forward(torch.tensor([[token]], device=device), cache=cache, last_only=True)
                    return since(start, device, a.decode)
                record("decode", timed(a.reps, decode, device))
        if "step" in metrics:
            targets = tokens(a.batch, a.prompt + 1, vocab)[:, 1:].to(device)
            params = list(model.w.values())
            for p in params:
                p.requires_grad_(True)

            def step():
                logits = model.forward(batch)
                loss = F.cross_entropy(logits.reshape(-1, vocab), targets.reshape(-1))
                loss.backward()
                for p in params:
                    p.grad = None
            record("step", timed(a.reps, step, device))
            for p in params:
                p.requires_grad_(False)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    emit(impl="pytorch", shape=a.shape, event="peak", peak_rss_mib=rss)


if __name__ == "__main__":
    main()
