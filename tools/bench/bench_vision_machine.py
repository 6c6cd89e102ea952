"""What this CPU can compute for the vision default, and what CIFAR-10 speed-run work costs here.

Three measurements, each as CPU time of this process (so a busy machine slows the wall clock
but not the rates; ``load`` is recorded beside them) and as wall-clock rate:

1. kernels: a 1024² matmul and the 3×3 convolutions of the default model
   (``fastconv_small_32``) and of the airbench94-width ``fastconv_32``, forward + backward
   (input and weight gradients), batch 256, channels-last, in float32 and under bf16 autocast,
   at 1 and 2 threads: sustained GFLOP/s;
2. training steps: batch augmentation from a uint8 cache + forward + backward + SGD step of
   the whole model at batch 512 (eager; and ``torch.compile`` at 1 thread), images/s, FLOPs
   per image counted by ``torch.utils.flop_counter`` on forward + backward;
3. projection: airbench94's published 0.36 PFLOP for 94 % (Jordan 2024, arXiv:2404.00498) and
   the default's own recipe (10 epochs of 45,000 images) divided by the measured rates.

    python tools/bench/bench_vision_machine.py            # writes results/vision_machine.{md,csv}
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path

import torch
from bench_vision_tables import write_csv
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import panspectra_vision.models  # noqa: F401 (registration)
from panspectra_core.registry import create_model
from panspectra_core.runtime import cpu_description
from panspectra_vision.data.loader import AugmentConfig, BatchLoader, Normalizer

RESULTS = Path(__file__).resolve().parent / "results"
AIRBENCH94_FLOP = 0.36e15  # whole training run to 94.01 % (forward + backward)
BATCH = 512  # training-step batch (the recipe's 1024 runs at the same rate per image)
RECIPE_IMAGES = 10 * 45_000  # fastconv recipe: 10 epochs of the 45,000 training images
COLUMNS = ("part", "what", "threads", "precision", "gflops_cpu", "gflops_wall", "images_per_cpu_s",
           "images_per_s", "flop_per_image", "load")  # fmt: skip


def timed(fn: Callable[[], object], seconds: float) -> tuple[int, float, float]:
    """(calls, CPU seconds, wall seconds) of calling ``fn`` for about ``seconds`` of CPU time,
    after one warm-up call."""
    fn()
    calls, cpu0, wall0 = 0, time.process_time(), time.perf_counter()
    while calls < 2 or time.process_time() - cpu0 < seconds:
        fn()
        calls += 1
    return calls, time.process_time() - cpu0, time.perf_counter() - wall0


def autocast(precision: str) -> torch.autocast:
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16")


def row(part: str, what: str, threads: int, precision: str, flop: float, timing: tuple,
        images: int = 0) -> dict:  # fmt: skip
    calls, cpu, wall = timing
    return {
        "part": part, "what": what, "threads": threads, "precision": precision,
        "gflops_cpu": round(calls * flop / cpu / 1e9, 1),
        "gflops_wall": round(calls * flop / wall / 1e9, 1),
        "images_per_cpu_s": round(calls * images / cpu, 1) if images else "",
        "images_per_s": round(calls * images / wall, 1) if images else "",
        "flop_per_image": round(flop / images) if images else "",
        "load": round(os.getloadavg()[0], 1),
    }  # fmt: skip


def conv_shapes(model: nn.Module, size: int = 32) -> list[tuple[nn.Conv2d, tuple[int, ...]]]:
    """The model's trainable convolutions with the input shape each sees (batch 1)."""
    shapes = []
    hooks = [
        m.register_forward_hook(lambda m, x, y: shapes.append((m, tuple(x[0].shape))))
        for m in model.modules()
        if isinstance(m, nn.Conv2d) and m.weight.requires_grad
    ]
    with torch.no_grad():
        model(torch.randn(1, 3, size, size))
    for hook in hooks:
        hook.remove()
    return shapes


def bench_kernels(threads: int, precision: str, seconds: float) -> list[dict]:
    """1024² matmul and the conv stacks of the two fastconv widths, forward + backward."""
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)

    def matmul() -> None:
        with autocast(precision):
            a @ b

    rows = [row("kernel", "matmul 1024²", threads, precision, 2 * 1024**3, timed(matmul, seconds))]
    for name in ("fastconv_small_32", "fastconv_32"):
        layers = []
        for conv, shape in conv_shapes(create_model(name, num_classes=10)):
            x = torch.randn(256, *shape[1:]).contiguous(memory_format=torch.channels_last)
            layer = conv.to(memory_format=torch.channels_last)
            macs = layer(x[:1]).numel() * layer.in_channels * layer.kernel_size[0] ** 2
            layers.append((layer, x.requires_grad_(), 3 * 2 * macs * 256))

        def stack(layers: list = layers) -> None:
            for layer, x, _ in layers:
                with autocast(precision):
                    y = layer(x)
                y.backward(torch.ones_like(y))

        flop = sum(f for *_, f in layers)
        rows.append(row("kernel", f"{name} 3×3 convs", threads, precision, flop,
                        timed(stack, seconds)))  # fmt: skip
    return rows


def flop_per_image(model: nn.Module, precision: str) -> float:
    """Forward + backward FLOPs of one training image (FlopCounterMode on a batch of 8)."""
    x = torch.randn(8, 3, 32, 32)
    with FlopCounterMode(display=False) as counter, autocast(precision):
        model(x).logsumexp(1).sum().backward()
    model.zero_grad(set_to_none=True)
    return counter.get_total_flops() / 8


def bench_step(name: str, threads: int, precision: str, seconds: float, compile_: bool) -> dict:
    """One SGD training step at batch :data:`BATCH` from uint8 pixels (crop + flip on the batch)."""
    torch.manual_seed(0)
    model = create_model(name, num_classes=10).to(memory_format=torch.channels_last)
    flop = flop_per_image(model, precision)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=0.01, momentum=0.85, nesterov=True)
    pixels = torch.randint(0, 256, (4096, 3, 32, 32), dtype=torch.uint8)
    loader = BatchLoader(
        pixels,
        torch.randint(0, 10, (4096,)),
        Normalizer([0.5] * 3, [0.25] * 3, 255.0),
        BATCH,
        shuffle=True,
        drop_last=True,
        augment_config=AugmentConfig(crop_padding=2),
        channels_last=True,
    )
    forward = torch.compile(model) if compile_ else model
    batches = iter(())

    def step() -> None:
        nonlocal batches
        batch = next(batches, None)
        if batch is None:
            batches = iter(loader)
            batch = next(batches)
        with autocast(precision):
            loss = nn.functional.cross_entropy(forward(batch["x"]), batch["y"], label_smoothing=0.2)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    compile_cpu = time.process_time()
    step()  # compiles when asked
    compile_cpu = time.process_time() - compile_cpu
    what = f"{name} train step" + (
        f" compiled ({compile_cpu:.0f} CPU-s first step)" if compile_ else ""
    )
    return row("train", what, threads, precision, flop * BATCH, timed(step, seconds), BATCH)


def projection(rows: list[dict]) -> list[str]:
    """Sentences: airbench94's work and the default's recipe at the best measured rates."""
    out = []
    for name, work, label in (
        ("fastconv_32", AIRBENCH94_FLOP, "airbench94's 0.36 PFLOP (fastconv_32 steps)"),
        ("fastconv_small_32", None, "the default's recipe, 10 × 45,000 images"),
    ):
        steps = [r for r in rows if r["what"] == f"{name} train step"]
        if not steps:
            continue
        best = max(steps, key=lambda r: r["gflops_cpu"])
        flop = work if work is not None else RECIPE_IMAGES * best["flop_per_image"]
        minutes = flop / (best["gflops_cpu"] * 1e9) / 60
        out.append(
            f"- {label}: {flop / 1e15:.3f} PFLOP at {best['gflops_cpu']} GFLOP/s per CPU-second "
            f"({best['precision']}, {best['threads']} thread(s)) = {minutes:.0f} CPU-minutes; "
            f"{minutes / 2:.0f} wall-minutes on 2 cores if both threads kept that rate"
        )
    return out


def write(rows: list[dict], command: str) -> None:
    write_csv(RESULTS / "vision_machine.csv", COLUMNS, rows)
    lines = [
        "# What the CPU computes for the vision default (`tools/bench/bench_vision_machine.py`)",
        "",
        "GFLOP/s per CPU-second of this process and per wall-second (they differ when other",
        "processes share the cores; `load`: 1-minute load average). Kernels: forward + backward",
        "of each 3×3 convolution at batch 256, channels-last. Train step: crop/flip of a uint8",
        f"batch of {BATCH} + forward + backward + SGD, FLOPs counted by torch's FlopCounterMode.",
        "",
        "| part | what | threads | precision | GFLOP/s (CPU) | GFLOP/s (wall) | img/CPU-s "
        "| img/s | FLOP/img | load |",
        "|" + "---|" * 10,
    ]
    for r in rows:
        flop = f"{r['flop_per_image'] / 1e9:.3f} G" if r["flop_per_image"] else ""
        cells = [*(r[c] for c in COLUMNS[:-2]), flop, r["load"]]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    lines += ["", "Projection:", "", *projection(rows), "", f"CPU: {cpu_description()}", "",
              "Command:", "", f"    {command}", ""]  # fmt: skip
    (RESULTS / "vision_machine.md").write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2", help="thread counts, comma-separated")
    parser.add_argument("--seconds", type=float, default=3.0, help="CPU seconds per measurement")
    parser.add_argument("--no-compile", action="store_true", help="skip the torch.compile row")
    args = parser.parse_args()
    rows: list[dict] = []
    for threads in [int(t) for t in args.threads.split(",")]:
        torch.set_num_threads(threads)
        for precision in ("fp32", "bf16"):
            rows += bench_kernels(threads, precision, args.seconds)
            for name in ("fastconv_small_32", "fastconv_32"):
                rows.append(bench_step(name, threads, precision, args.seconds, False))
                print(rows[-1], flush=True)
    if not args.no_compile:
        torch.set_num_threads(1)
        rows.append(bench_step("fastconv_small_32", 1, "bf16", args.seconds, True))
    flags = [f"--threads {args.threads}", f"--seconds {args.seconds:g}"]
    flags += ["--no-compile"] if args.no_compile else []
    write(rows, " ".join(["python tools/bench/bench_vision_machine.py", *flags]))


if __name__ == "__main__":
    main()
