"""Check the fast paths on a CUDA device against their CPU float64 references.

For each op: run the fast path on CUDA (float32) and the readable reference on CPU (float64)
on the same inputs; compare outputs and input gradients. Then build, run forward+backward and
one optimizer step of every registered model on CUDA. Writes ``tools/bench/results/gpu_check.json``
(or ``--output``). CPU-only machines: nothing to check, exits 0 with a message.

    python tools/gpu_check.py [--output FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

from panspectra_core import attention, spectral, ssm

RESULTS = Path(__file__).resolve().parent / "bench" / "results" / "gpu_check.json"


def compare(
    name: str, fast: Callable, ref: Callable, inputs: dict[str, torch.Tensor], tol: float
) -> dict:
    """Max relative error of outputs and gradients: fast on CUDA fp32 vs ref on CPU fp64."""
    cpu = {k: v.double().requires_grad_(v.is_floating_point()) for k, v in inputs.items()}
    gpu = {k: v.float().cuda().requires_grad_(v.is_floating_point()) for k, v in inputs.items()}
    out_ref = ref(**cpu)
    torch.cuda.synchronize()
    start = time.perf_counter()
    out_fast = fast(**gpu)
    torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    weight = torch.randn_like(out_ref)
    (out_ref * weight).sum().backward()
    (out_fast * weight.float().cuda()).sum().backward()

    def rel(a: torch.Tensor, b: torch.Tensor) -> float:
        return float((a.double().cpu() - b).abs().max() / b.abs().max().clamp_min(1e-12))

    errors = {"output": rel(out_fast, out_ref)}
    for key in cpu:
        if cpu[key].grad is not None:
            errors[f"grad_{key}"] = rel(gpu[key].grad, cpu[key].grad)
    worst = max(errors.values())
    return {
        "op": name,
        "max_rel_error": worst,
        "ok": worst < tol,
        "errors": errors,
        "fast_seconds": seconds,
    }


def op_checks() -> list[dict]:
    g = torch.Generator().manual_seed(0)
    b, d, n, length = 2, 32, 8, 300
    scan_inputs = {
        "u": torch.randn(b, d, length, generator=g),
        "delta": torch.randn(b, d, length, generator=g) * 0.5,
        "A": -torch.rand(d, n, generator=g) * 2 - 0.1,
        "B": torch.randn(b, n, length, generator=g),
        "C": torch.randn(b, n, length, generator=g),
        "D": torch.randn(d, generator=g),
        "z": torch.randn(b, d, length, generator=g),
        "delta_bias": torch.randn(d, generator=g) * 0.1,
    }
    qkv = {
        "q": torch.randn(2, 4, 200, 16, generator=g) / 4,
        "k": torch.nn.functional.normalize(torch.randn(2, 4, 200, 16, generator=g), dim=-1),
        "v": torch.randn(2, 4, 200, 16, generator=g),
    }
    beta = {"beta": torch.rand(2, 4, 200, generator=g)}
    conv = {
        "x": torch.randn(2, 8, 500, generator=g),
        "kernel": torch.randn(8, 500, generator=g) / 20,
    }
    return [
        compare(
            "selective_scan (chunked on CUDA) vs selective_scan_ref",
            lambda **kw: ssm.selective_scan(**kw, delta_softplus=True),
            lambda **kw: ssm.selective_scan_ref(**kw, delta_softplus=True),
            scan_inputs,
            1e-4,
        ),
        compare(
            "causal_linear_attention vs recurrent",
            attention.causal_linear_attention,
            attention.causal_linear_attention_recurrent,
            qkv,
            1e-4,
        ),
        compare(
            "delta_rule vs recurrent",
            attention.delta_rule,
            attention.delta_rule_recurrent,
            {**qkv, **beta},
            1e-4,
        ),
        compare("fft_conv vs direct conv", spectral.fft_conv, spectral.fft_conv_ref, conv, 1e-4),
        compare(
            "haar_dwt vs matrix",
            lambda x: torch.cat(spectral.haar_dwt(x, 3), -1),
            lambda x: torch.cat(spectral.haar_dwt_ref(x, 3), -1),
            {"x": torch.randn(4, 256, generator=g)},
            1e-5,
        ),
        compare(
            "dct vs matrix",
            spectral.dct,
            spectral.dct_ref,
            {"x": torch.randn(4, 128, generator=g)},
            1e-5,
        ),
    ]


def _model_case(name: str) -> tuple[dict, tuple[int, ...]] | None:
    """Constructor kwargs and an input shape for one registered model, or None (not a
    torch model of a domain this check knows: the molecule graphs need RDKit to build)."""
    from panspectra_core.registry import model_entry

    entry = model_entry(name)
    if "mixed" in entry.tags:  # built from member specs by the hsi pipeline; members are checked
        return None
    if entry.domain == "hsi":
        return dict(num_bands=30, num_classes=16, patch_size=9), (4, 30, 9, 9)
    if entry.domain == "ts":
        return dict(lookback=96, horizon=24, num_channels=7), (4, 96, 7)
    if entry.domain == "vision":
        return dict(num_classes=10, in_channels=3, image_size=32), (4, 3, 32, 32)
    if entry.domain == "audio" and ({"enhance", "separate"} & set(entry.tags)):
        return dict(sample_rate=8000), (2, 4000)
    if entry.domain == "audio":
        return dict(num_classes=10, num_samples=8000, sample_rate=8000), (4, 8000)
    return None


def model_checks(device: str = "cuda", pattern: str = "*") -> list[dict]:
    """Build every registered torch model of hsi, ts, vision and audio on ``device``, run a
    forward, a backward and one AdamW step; a row per model (``ok``: finite output)."""
    from panspectra_core.registry import create_model, list_models, model_entry
    from panspectra_core.training.batch import forward_batch

    for module in ("hsi", "ts", "vision", "audio"):  # registers each installed domain
        try:
            __import__(f"panspectra_{module}.models")
        except ImportError:
            pass
    rows = []
    for name in list_models(pattern):
        case = _model_case(name)
        if case is None:
            continue
        kwargs, shape = case
        domain = model_entry(name).domain
        try:
            torch.manual_seed(0)
            model = create_model(name, **kwargs)
            if not isinstance(model, torch.nn.Module):  # scikit-learn baselines
                continue
            model = model.to(device).train()
            x = torch.randn(*shape, device=device)
            if hasattr(model, "data_init"):  # fastconv's patch whitening
                model.data_init(x)
            params = [p for p in model.parameters() if p.requires_grad]
            opt = torch.optim.AdamW(params, lr=1e-3) if params else None  # naive baselines
            batch = {"x": x, "time_index": torch.arange(shape[0], device=device)}
            out = forward_batch(model, batch)  # passes time_index only to models that take it
            out = out[0] if isinstance(out, tuple) else out
            if opt is not None:
                out.float().pow(2).mean().backward()
                opt.step()
            ok = bool(torch.isfinite(out).all())
            rows.append(
                {"model": name, "domain": domain, "output_shape": list(out.shape), "ok": ok}
            )
        except Exception as exc:  # report, keep checking the others
            rows.append({"model": name, "domain": domain, "ok": False, "error": repr(exc)[:300]})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("gpu_check: no CUDA device; nothing to check")
        return 0
    result = {
        "device": torch.cuda.get_device_name(),
        "torch": torch.__version__,
        "ops": op_checks(),
        "models": model_checks(),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    failed = [r for r in result["ops"] + result["models"] if not r["ok"]]
    for row in result["ops"]:
        print(
            f"{'ok  ' if row['ok'] else 'FAIL'} {row['op']}: max rel err {row['max_rel_error']:.2e}"
        )
    for row in result["models"]:
        print(f"{'ok  ' if row['ok'] else 'FAIL'} model {row['model']} {row.get('error', '')}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
