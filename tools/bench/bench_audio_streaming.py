"""Streaming speed of the causal enhancer on one CPU thread: real-time factor (processing
time / audio duration) chunk by chunk, and the algorithmic latency.

The model is applied with :class:`panspectra_audio.models.tasnet.StreamingEnhancer` (the gain
or mask net once per chunk — a GRU call, or the core ``MambaBlock.step_chunk`` — state carried
between chunks) to 10 s of audio cut in chunks of ``--chunk-ms``; the same stream with the
per-frame reference (the net frame by frame: the GRU one step at a time, ``MambaBlock.step``)
and the offline forward on the same signal are timed for comparison. Weights do not
change the speed: a checkpoint is used when given, else the registered model's initial weights.
The RTF is reported from the process CPU time (the compute of the one thread) and from the
wall clock (which on a shared machine also counts waiting for a core).
Writes ``tools/bench/results/audio_streaming.md`` / ``.json``.

    python tools/bench/bench_audio_streaming.py --model gru_stft_enhance --chunk-ms 8 16 24 80 \
        --repeats 7 --threads 1
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch
from bench_audio_runs import write_results


def _time(fn, repeats: int) -> tuple[float, float]:
    """(median CPU seconds of this process, median wall seconds) after one warm-up call.

    On a shared machine the wall time includes waiting for a core; the CPU time of the one
    thread is the compute the stream needs."""
    fn()
    cpu, wall = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start)
    return statistics.median(cpu), statistics.median(wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="gru_stft_enhance")
    parser.add_argument("--checkpoint", type=Path)
    parser.add_argument("--chunk-ms", type=float, nargs="+", default=[8.0, 16.0, 24.0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from panspectra_audio.models.tasnet import StreamingEnhancer
    from panspectra_core.checkpoint import load_checkpoint
    from panspectra_core.registry import create_model

    model = (
        load_checkpoint(args.checkpoint).model if args.checkpoint else create_model(args.model)
    ).eval()
    rate = 8000
    signal = torch.randn(1, int(args.seconds * rate)) * 0.1
    with torch.no_grad():
        offline, _ = _time(lambda: model(signal), args.repeats)
    lines = [
        f"Model `{args.model}`: window {model.window} samples ({1000 * model.window / rate:g} ms), "
        f"stride {model.stride} ({1000 * model.stride / rate:g} ms); "
        f"{sum(p.numel() for p in model.parameters())} parameters; {args.seconds:g} s of audio; "
        f"torch threads: {args.threads}. Offline forward RTF (CPU time): "
        f"{offline / args.seconds:.4f}.",
        "",
        "| chunk ms | RTF (CPU time) | RTF (wall, shared machine) | CPU ms per chunk | "
        "RTF per-frame steps (CPU time) | algorithmic latency ms | max abs diff vs offline |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = []
    for chunk_ms in args.chunk_ms:
        chunk = max(model.stride, round(chunk_ms * rate / 1000) // model.stride * model.stride)
        seconds, wall = _time(lambda c=chunk: StreamingEnhancer(model).run(signal, c), args.repeats)
        per_frame, _ = _time(
            lambda c=chunk: StreamingEnhancer(model, per_frame=True).run(signal, c), args.repeats
        )
        with torch.no_grad():
            diff = float((StreamingEnhancer(model).run(signal, chunk) - model(signal)).abs().max())
        n_chunks = -(-signal.shape[-1] // chunk)
        latency = 1000 * (chunk + model.window - model.stride) / rate
        rows.append(
            {
                "chunk_ms": 1000 * chunk / rate,
                "rtf_cpu": seconds / args.seconds,
                "rtf_wall": wall / args.seconds,
                "per_chunk_ms": 1000 * seconds / n_chunks,
                "rtf_cpu_per_frame_steps": per_frame / args.seconds,
                "latency_ms": latency,
                "max_abs_diff": diff,
            }
        )
        lines.append(
            f"| {1000 * chunk / rate:g} | {seconds / args.seconds:.3f} | "
            f"{wall / args.seconds:.3f} | "
            f"{1000 * seconds / n_chunks:.2f} | {per_frame / args.seconds:.3f} | "
            f"{latency:g} | {diff:.1e} |"
        )
    lines += [
        "",
        "Algorithmic latency = chunk + window − stride (the first output sample of a "
        "chunk needs the whole encoder window). Command: `python "
        "tools/bench/bench_audio_streaming.py "
        + " ".join(
            [
                "--model",
                args.model,
                "--chunk-ms",
                *(f"{c:g}" for c in args.chunk_ms),
                "--repeats",
                str(args.repeats),
                "--threads",
                str(args.threads),
            ]
        )
        + "`.",
    ]
    write_results(
        "audio_streaming",
        "Causal enhancer streaming on one thread",
        lines,
        {"model": args.model, "offline_rtf": offline / args.seconds, "rows": rows},
    )


if __name__ == "__main__":
    main()
