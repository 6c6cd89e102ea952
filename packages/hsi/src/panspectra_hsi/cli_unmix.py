"""``hsi-unmix``: linear spectral unmixing of a named dataset or your own cube.

    hsi-unmix --dataset samson --output runs/samson          # N-FINDR, the default
    hsi-unmix --cube scene.tif --endmembers 5 --method autoencoder --output runs/mine
    hsi-unmix --cube jasper.mat --shape 100,100 --reference end4.mat --output runs/jasper

A 2-D ``bands × pixels`` matrix (``.mat``/``.npz``/``.npy``) is reshaped with ``--shape H,W``
(or the file's ``nRow``/``nCol``) in ``--order`` (default F, MATLAB's column-major). Data are
scaled by ``--max-value`` or the file's ``maxValue``; data above 1.5 without a declared maximum
are normalised by their maximum (recorded in ``metrics.json`` ``input_scaling``).
``--reference FILE`` (``M`` endmembers, optional ``A`` abundances) scores any scene.
VCA / N-FINDR run ``--restarts`` times and keep the lowest reconstruction error.

Writes into ``--output DIR``: ``metrics.json`` (method, seed, timings, reconstruction RMSE and,
when a reference exists, SAD per endmember and mean, abundance RMSE per endmember and mean),
``abundances.npy`` (H, W, K float32, NaN on nodata pixels), ``abundances.tif`` (georeferenced
inputs only), ``endmembers.csv`` (one row per band) and ``abundance_maps.png``.
Estimated endmembers are matched to the reference (Hungarian on SAD) and reordered/renamed.
Declared on the core domain kit as a single-command program: ``--config``, ``--print-config``,
``config.yaml`` and ``--seeds`` (``DIR/seed_<s>/``) as in every PanSpectra command.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np

from panspectra_core.errors import UserError
from panspectra_core.kit import COMMON_OPTIONS, DomainCLI, Option, RunConfig, positive
from panspectra_core.runtime import resolve_device

log = logging.getLogger("panspectra.hsi.unmix")

#: the unmixing methods (``panspectra_hsi.unmixing.METHODS``, spelled out so that ``--help``
#: does not import torch-heavy modules; a test keeps the two equal)
METHODS = ("vca", "nfindr", "autoencoder")


def int_values(value: Any) -> list[int] | None:
    """``"103,104"`` (or a list) → ``[103, 104]``."""
    if value is None:
        return None
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    try:
        return [int(v) for v in items if str(v).strip()]
    except ValueError:
        raise ValueError("expected comma-separated integers") from None


def _at_least_two(value: int | None) -> str | None:
    return None if value is None or value >= 2 else "need at least 2"


def _height_width(value: list[int] | None) -> str | None:
    return None if value is None or len(value) == 2 else "expected H,W"


INPUT = "input (a named --dataset or your own --cube)"
UNMIX_OPTIONS: tuple[Option, ...] = (
    Option(
        "dataset",
        str,
        None,
        "named dataset (samson has reference endmembers; others need -k)",
        INPUT,
    ),
    Option("cube", Path, None, "cube: ENVI .hdr, GeoTIFF/GDAL, .mat, .npy, .npz", INPUT),
    Option("cube_key", str, None, "variable of the cube in a .mat/.npz file", INPUT),
    Option("drop_bands", int_values, None, "0-based bands to drop, e.g. 103,104", INPUT),
    Option(
        "shape",
        int_values,
        None,
        "H,W of a 2-D bands x pixels matrix (default: nRow/nCol)",
        INPUT,
        validate=_height_width,
    ),
    Option(
        "order",
        str,
        "F",
        "pixel order of a 2-D matrix: F = MATLAB column-major, C = row-major",
        INPUT,
        choices=("F", "C"),
    ),
    Option(
        "max_value",
        float,
        None,
        "declared data maximum: pixels are divided by it",
        INPUT,
        validate=positive,
    ),
    Option(
        "reference",
        Path,
        None,
        ".mat/.npz with reference endmembers M (bands x R) and abundances A (R x pixels)",
        INPUT,
    ),
    Option(
        "method",
        str,
        "nfindr",
        "nfindr (lowest endmember SAD on Samson, deterministic; docs/hsi.md), vca or autoencoder",
        "unmixing",
        choices=METHODS,
    ),
    Option(
        "endmembers",
        int,
        None,
        "number of endmembers (default: the reference's)",
        "unmixing",
        aliases=("-k",),
        validate=_at_least_two,
    ),
    Option(
        "restarts",
        int,
        5,
        "VCA / N-FINDR restarts, best reconstruction kept",
        "unmixing",
        validate=positive,
    ),
    Option("ae_epochs", int, 30, "autoencoder training epochs", "autoencoder", validate=positive),
    Option("ae_loss", str, "sad", "autoencoder loss", "autoencoder", choices=("sad", "mse")),
    *COMMON_OPTIONS,
)

app = DomainCLI(
    "hsi-unmix",
    "Linear spectral unmixing: N-FINDR / VCA + FCLS, or an autoencoder.",
    domain="hsi",
    standalone=True,
)


def _load_input(args) -> tuple:
    """-> (scene, reference endmembers (R, B) or None, reference abundances (H, W, R) or None,
    endmember names or None, notes on how the input was read)."""
    from panspectra_hsi.data import load_named_scene, load_samson
    from panspectra_hsi.data.scene import scene_from_source
    from panspectra_hsi.data.sources import open_cube
    from panspectra_hsi.unmixing.reference import load_reference

    if (args.dataset is None) == (args.cube is None):
        raise UserError("give exactly one of --dataset NAME or --cube PATH")
    if args.dataset is not None and (args.drop_bands or args.shape or args.reference):
        raise UserError("--drop-bands, --shape and --reference are only supported with --cube")
    if args.shape is not None and len(args.shape) != 2:
        raise UserError(f"--shape {args.shape}: expected H,W")
    if args.dataset == "samson":
        scene, reference, abundances, names = load_samson()
        return scene, np.asarray(reference).T, abundances, names, []
    if args.dataset is not None:  # a named scene without unmixing reference: needs -k
        return load_named_scene(args.dataset), None, None, None, []
    shape = tuple(args.shape) if args.shape else None
    source = open_cube(args.cube, args.cube_key, shape=shape, order=args.order)
    scene = scene_from_source(source, drop_bands=args.drop_bands)
    if args.reference is None:
        return scene, None, None, None, list(source.notes)
    reference, abundances, names = load_reference(
        args.reference, bands=scene.shape[2], shape=scene.shape[:2], order=args.order
    )
    return scene, reference, abundances, names, list(source.notes)


def _scale(pixels: np.ndarray, args) -> tuple[np.ndarray, dict]:
    """Divide by ``--max-value`` or the file's ``maxValue``; normalise data above 1.5 without
    a declared maximum by their maximum. Returns (pixels, ``input_scaling`` record)."""
    from panspectra_hsi.data.matrix import declared_max_value

    declared = declared_max_value(args.cube) if args.cube is not None else None
    if args.max_value is not None:
        if not np.isfinite(args.max_value) or args.max_value <= 0:
            raise UserError(f"--max-value {args.max_value}: expected a positive number")
        value, how = args.max_value, "--max-value"
    elif declared is not None and declared[0] > 0:
        value, how = declared[0], f"the file's {declared[1]}"
    elif pixels.max() > 1.5:
        value, how = float(pixels.max()), "the data maximum (no --max-value or maxValue)"
        log.warning("input above 1.5 without a declared maximum: normalised by %.4g", value)
    else:
        return pixels, {"divided_by": None, "source": "none (data within [.., 1.5])"}
    return pixels / value, {"divided_by": float(value), "source": how}


def _score(metrics: dict, estimate: tuple, reference: tuple, names: list[str], valid) -> tuple:
    """Match the estimate to the reference (Hungarian on SAD), add SAD (and abundance RMSE when
    reference abundances exist) to ``metrics``; returns the reordered (endmembers, abundances,
    names)."""
    from panspectra_hsi.unmixing import score_unmixing

    (endmembers, abundances), (ref_endmembers, ref_abundances) = estimate, reference
    k, flat_ref = len(endmembers), None
    if ref_abundances is not None:
        flat_ref = ref_abundances.reshape(-1, len(ref_endmembers))
        flat_ref = flat_ref[valid] if valid is not None else flat_ref
    scores = score_unmixing(endmembers, ref_endmembers, abundances, flat_ref)
    order = [*scores.order, *(i for i in range(k) if i not in scores.order)]
    names = [*names, *(f"extra_{i}" for i in range(len(names), k))]
    metrics.update(scores.to_dict(names[: len(ref_endmembers)]))
    metrics["sad_unit"] = "radians"
    return endmembers[order], abundances[:, order], names


@app.verb("unmix", options=UNMIX_OPTIONS, output="dir", help="unmix a scene")
def unmix_scene(cfg: RunConfig, out: Path) -> dict:
    """Unmix the scene of ``cfg`` into ``out``; returns the run's metrics."""
    from panspectra_hsi.unmixing import unmix

    scene, reference, reference_abundances, names, notes = _load_input(cfg)
    k = _endmember_count(cfg, reference)
    valid = ~scene.nodata_mask.ravel() if scene.nodata_mask is not None else None
    pixels = np.asarray(scene.cube, dtype=np.float64).reshape(-1, scene.shape[2])
    pixels = pixels[valid] if valid is not None else pixels
    if k > min(pixels.shape):
        raise UserError(f"--endmembers {k}: more than pixels/bands ({pixels.shape})")
    pixels, scaling = _scale(pixels, cfg)
    log.info("unmixing %d pixels x %d bands into %d endmembers (%s)", *pixels.shape, k, cfg.method)
    result = unmix(
        pixels, k, cfg.method, seed=cfg.seed, device=resolve_device(cfg.device),
        ae_epochs=cfg.ae_epochs, ae_loss=cfg.ae_loss, restarts=cfg.restarts,
    )  # fmt: skip
    endmembers, abundances = result.endmembers, result.abundances
    metrics = {
        "method": cfg.method,
        "seed": cfg.seed,
        "num_endmembers": k,
        "num_pixels": int(pixels.shape[0]),
        "seconds": result.seconds,
        "reconstruction_rmse": result.reconstruction_rmse,
        "input": scene.source or str(cfg.cube),
        "input_notes": notes,
        "input_scaling": scaling,
        "restarts": cfg.restarts if cfg.method != "autoencoder" else None,
        "restart_rmse": result.restart_rmse,
        "warnings": result.warnings,
    }
    if reference is not None:
        endmembers, abundances, names = _score(
            metrics, (endmembers, abundances), (reference, reference_abundances), names, valid
        )
    else:
        names = [f"endmember_{i + 1}" for i in range(k)]
    _write_outputs(out, scene, endmembers, abundances, names, reference_abundances, valid)
    if not cfg.quiet:
        summary = {
            key: metrics[key] for key in ("method", "mean_sad", "mean_rmse") if key in metrics
        }
        text = " ".join(
            f"{key}={v:.4f}" if isinstance(v, float) else f"{key}={v}" for key, v in summary.items()
        )
        print(f"{text} -> {cfg.output}")
    return metrics


def _endmember_count(cfg: RunConfig, reference: np.ndarray | None) -> int:
    k = cfg.endmembers or (len(reference) if reference is not None else None)
    if k is None:
        raise UserError("--endmembers K is required for inputs without reference endmembers")
    if reference is not None and k < len(reference):
        raise UserError(f"--endmembers {k}: the reference has {len(reference)} endmembers")
    return k


def _write_outputs(out, scene, endmembers, abundances, names, reference_abundances, valid):
    """``abundances.npy`` (NaN on nodata), ``abundances.tif`` (georeferenced input),
    ``endmembers.csv`` and ``abundance_maps.png``."""
    from panspectra_hsi.unmixing.outputs import (
        save_abundance_maps,
        write_abundance_geotiff,
        write_endmembers_csv,
    )

    height, width, _ = scene.shape
    k = abundances.shape[1]
    full = np.full((height * width, k), np.nan, dtype=np.float32)
    full[valid if valid is not None else slice(None)] = abundances
    full = full.reshape(height, width, k)
    np.save(out / "abundances.npy", full)
    if scene.is_georeferenced:
        write_abundance_geotiff(out / "abundances.tif", full, names, scene.crs, scene.transform)
    write_endmembers_csv(out / "endmembers.csv", endmembers, names, scene.wavelengths)
    save_abundance_maps(
        out / "abundance_maps.png", np.nan_to_num(full), names, reference_abundances
    )


def unmix_main(argv=None) -> int:
    """Console entry point (``hsi-unmix``)."""
    return app.main(argv)


if __name__ == "__main__":
    sys.exit(unmix_main())
