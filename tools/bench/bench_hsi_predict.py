"""Benchmark whole-scene prediction: throughput (pixels/s) and peak RSS vs scene size.

A GeoTIFF is tiled from the Indian Pines cube (uint16, 200 bands, tiled + deflate) at each size,
and ``hsi-classify predict`` runs in a fresh process per size. Its peak resident memory is the
child's own high-water mark (``VmHWM`` of /proc/self/status, reset by exec), not ``ru_maxrss``:
on Linux a child's ``ru_maxrss`` starts from the parent's peak (the (v)forked address space is
accounted to it at exec), and this parent's peak grows with the scene it writes. Flat memory
across sizes shows the tiled reader/writer works.

    python tools/bench/bench_hsi_predict.py --sizes 256,512,1024 --model ssftt
    python tools/bench/bench_hsi_predict.py --sizes 256,1024,2048,4096 --model spectral_mlp
    python tools/bench/bench_hsi_predict.py --sizes 256,1024,2048 --model svm \
        --smooth-method random_walker --smooth-radius 10 --tile-size 512

Writes tools/bench/results/hsi_predict.csv and .md (rows of other models and sizes are kept;
each row names its machine and command).
The model weights are untrained (speed and memory do not depend on them); its recipe's patch
size, PCA width and inference settings (TTA views, smoothing) are used. The sklearn baselines
cannot predict untrained: they are fitted on a 10 % stratified sample of Indian Pines (seed 0;
an SVM's cost grows with its support vectors, i.e. with the training set). ``--smooth-method`` /
``--smooth-radius`` replace the recipe's smoothing (the random walker's edge scale is taken from
the labelled pixels' edges; the row is named after the smoothing). ``--threads`` torch threads.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"

#: Child-side code defining ``peak_rss_kib() -> (own high-water mark, ru_maxrss)`` in KiB.
PEAK_RSS = """
import resource
def peak_rss_kib():
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # includes the parent's peak
    try:
        with open("/proc/self/status") as status:
            hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except OSError:  # no procfs: ru_maxrss is the best there is
        hwm = maxrss
    return hwm, maxrss
"""

_CHILD = (
    PEAK_RSS
    + """
import sys, time
import torch
torch.set_num_threads(int(sys.argv.pop(1)))
from panspectra_hsi.cli import classify_main
start = time.perf_counter()
code = classify_main(sys.argv[1:])
seconds = time.perf_counter() - start
print("RESULT", code, seconds, *peak_rss_kib())
"""
)


def write_scene(path: Path, size: int) -> None:
    """A ``size × size × 200`` GeoTIFF tiled from Indian Pines, written block row by block row."""
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    from panspectra_hsi.data import load_named_scene

    base = np.moveaxis(np.asarray(load_named_scene("indian_pines").cube, np.uint16), -1, 0)
    bands, h, w = base.shape
    profile = {
        "driver": "GTiff",
        "height": size,
        "width": size,
        "count": bands,
        "dtype": "uint16",
        "crs": "EPSG:32616",
        "transform": from_origin(500000, 4500000, 20, 20),
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
        "interleave": "pixel",
        "BIGTIFF": "YES",
    }
    reps = -(-size // w)
    with rasterio.open(path, "w", **profile) as dst:
        for r0 in range(0, size, 256):
            rows = np.arange(r0, min(r0 + 256, size)) % h
            block = np.tile(base[:, rows, :], (1, 1, reps))[:, :, :size]
            dst.write(block, window=Window(0, r0, size, len(rows)))


def make_checkpoint(
    path: Path, model: str, smooth_method: str | None = None, smooth_radius: int | None = None
) -> None:
    from panspectra_core.registry import create_model
    from panspectra_hsi.cli import train_config
    from panspectra_hsi.components import smoother
    from panspectra_hsi.data import SpectralPreprocessor, load_named_scene
    from panspectra_hsi.pipeline import PixelClassifier
    from panspectra_hsi.pipeline.smoothing import edge_scale

    scene = load_named_scene("indian_pines")
    labelled = scene.labels > 0
    recipe = train_config(model=model)  # the model's recipe over the option defaults
    prep = SpectralPreprocessor.fit(
        scene.cube[labelled], recipe.pca_components, recipe.standardize_bands
    )
    kwargs = {
        "num_bands": prep.num_features,
        "num_classes": 16,
        "patch_size": recipe.patch_size,
        **(recipe.model_kwargs or {}),
    }
    network = create_model(model, **kwargs).eval()
    features = prep.transform(np.asarray(scene.cube, dtype=np.float32))
    if getattr(network, "is_sklearn", False):
        from panspectra_hsi.data.protocols import random_split

        train = random_split(scene.labels, val_fraction=0.0, seed=0).train
        network.fit(features[train], scene.labels[train] - 1)
    method = smooth_method or recipe.smooth_method
    classifier = PixelClassifier(
        network,
        prep,
        recipe.patch_size,
        scene.class_names,
        scene.label_values,
        model,
        kwargs,
        tta=1 if getattr(network, "is_sklearn", False) else recipe.tta,
        smooth_radius=recipe.smooth_radius if smooth_radius is None else smooth_radius,
        smooth_method=method,
        smooth_edge_scale=edge_scale(features, labelled) if smoother(method).graph else 0.0,
    )
    classifier.save(path, config={}, metrics={}, protocol={})


COLUMNS = (
    "model", "threads", "tile_size", "size", "pixels", "seconds", "pixels_per_second",
    "peak_rss_mib", "peak_rss_source", "ru_maxrss_mib", "input_gib", "machine", "command",
)  # fmt: skip


def measure(args, tmp: Path, size: int, name: str, options: str) -> dict:
    """Write a ``size²`` scene, classify it in a fresh process and return the table row."""
    from panspectra_core.runtime import cpu_description

    scene = tmp / f"scene_{size}.tif"
    write_scene(scene, size)
    argv = ["predict", "--checkpoint", str(tmp / "model.safetensors"), "--cube", str(scene)]
    argv += ["--output", str(tmp / f"map_{size}.tif"), "--quiet"]
    argv += ["--tile-size", str(args.tile_size)]
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(args.threads), *argv],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    code, seconds, hwm_kb, maxrss_kb = out.split("RESULT")[1].split()[:4]
    if int(code) != 0:
        raise SystemExit(f"predict exited with {code} on the {size}² scene")
    row = {
        "model": name,
        "threads": args.threads,
        "tile_size": args.tile_size,
        "size": size,
        "pixels": size * size,
        "seconds": f"{float(seconds):.1f}",
        "pixels_per_second": f"{size * size / float(seconds):.0f}",
        "peak_rss_mib": f"{int(hwm_kb) / 1024:.0f}",
        "peak_rss_source": "VmHWM",
        "ru_maxrss_mib": f"{int(maxrss_kb) / 1024:.0f}",
        "input_gib": f"{scene.stat().st_size / 2**30:.2f}",
        "machine": f"{cpu_description()}, {args.threads} threads",
        "command": f"python tools/bench/bench_hsi_predict.py --model {args.model} "
        f"--threads {args.threads} --tile-size {args.tile_size} --sizes {size}" + options,
    }
    scene.unlink()
    return row


def write_tables(results: Path, rows: list[dict]) -> str:
    """``hsi_predict.csv`` (every row) and ``hsi_predict.md``; returns the Markdown."""
    results.mkdir(parents=True, exist_ok=True)
    with (results / "hsi_predict.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    lines = [
        "# hsi-classify predict, 200-band uint16 GeoTIFF (deflate) (bench_hsi_predict.py)",
        "",
        "| model | scene | tile | pixels | seconds | pixels/s | peak RSS (MiB) | file (GiB) "
        "| machine | command |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        upper = "" if r["peak_rss_source"] == "VmHWM" else " *"
        lines.append(
            f"| {r['model']} | {r['size']}×{r['size']} | {r['tile_size']} | "
            f"{int(r['pixels']):,} | {r['seconds']} | {int(r['pixels_per_second']):,} | "
            f"{r['peak_rss_mib']}{upper} | {r['input_gib']} | {r['machine']} | `{r['command']}` |"
        )
    lines += ["", "Peak RSS = VmHWM of the predict process (its own high-water mark)."]
    if any(r["peak_rss_source"] != "VmHWM" for r in rows):
        lines += [
            "\\* measured as the child's ru_maxrss, which on Linux includes the bench parent's"
            " peak (it grows with the scene the parent writes): an upper bound."
        ]
    text = "\n".join(lines) + "\n"
    (results / "hsi_predict.md").write_text(text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="512,1024,2048,4096")
    parser.add_argument("--model", default="ssftt")
    parser.add_argument("--tile-size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=1, help="torch threads of predict")
    parser.add_argument("--smooth-method", help="replace the recipe's smoothing method")
    parser.add_argument("--smooth-radius", type=int, help="replace the recipe's smoothing radius")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    name, options = args.model, ""
    if args.smooth_method or args.smooth_radius is not None:
        name += f" + {args.smooth_method or 'recipe smoothing'} r {args.smooth_radius}"
        options = f" --smooth-method {args.smooth_method} --smooth-radius {args.smooth_radius}"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = Path(tmp) / "model.safetensors"
        make_checkpoint(checkpoint, args.model, args.smooth_method, args.smooth_radius)
        for size in (int(s) for s in args.sizes.split(",")):
            rows.append(measure(args, Path(tmp), size, name, options))
            print(rows[-1], flush=True)
    table = args.results / "hsi_predict.csv"
    kept = list(csv.DictReader(table.open())) if table.exists() else []
    measured = {(r["model"], str(r["size"])) for r in rows}  # re-measured sizes replace theirs
    rows = [r for r in kept if (r["model"], r["size"]) not in measured] + rows
    rows.sort(key=lambda r: (r["model"] != name, r["model"], int(r["size"])))
    print(write_tables(args.results, rows))


if __name__ == "__main__":
    main()
