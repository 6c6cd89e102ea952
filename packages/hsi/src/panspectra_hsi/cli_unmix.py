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
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from panspectra_core.cli import (
    OutputDir,
    UserError,
    add_common_args,
    apply_common_args,
    package_versions,
    resolve_device,
    run_main,
    seed_everything,
    write_metrics,
)
from panspectra_hsi.cli_inputs import int_list

log = logging.getLogger("panspectra.hsi.unmix")


def build_unmix_parser() -> argparse.ArgumentParser:
    from panspectra_hsi.unmixing import METHODS

    parser = argparse.ArgumentParser(
        prog="hsi-unmix",
        description="Linear spectral unmixing: VCA / N-FINDR + FCLS, or an autoencoder.",
    )
    versions = " ".join(f"{k}={v}" for k, v in package_versions().items())
    parser.add_argument("--version", action="version", version=f"hsi-unmix ({versions})")
    source = parser.add_argument_group("input (a named --dataset or your own --cube)")
    source.add_argument(
        "--dataset", help="named dataset (samson has reference endmembers; others need -k)"
    )
    source.add_argument("--cube", type=Path, help="cube: ENVI .hdr, GeoTIFF/GDAL, .mat, .npy, .npz")
    source.add_argument("--cube-key", help="variable of the cube in a .mat/.npz file")
    source.add_argument("--drop-bands", type=int_list, help="0-based bands to drop, e.g. 103,104")
    source.add_argument(
        "--shape", type=int_list, help="H,W of a 2-D bands x pixels matrix (default: nRow/nCol)"
    )
    source.add_argument(
        "--order",
        choices=("F", "C"),
        default="F",
        help="pixel order of a 2-D matrix: F = MATLAB column-major (default), C = row-major",
    )
    source.add_argument(
        "--max-value", type=float, help="declared data maximum: pixels are divided by it"
    )
    source.add_argument(
        "--reference",
        type=Path,
        help=".mat/.npz with reference endmembers M (bands x R) and abundances A (R x pixels)",
    )
    parser.add_argument(
        "--restarts",
        type=int,
        default=5,
        help="VCA / N-FINDR restarts, best reconstruction kept (default 5)",
    )
    parser.add_argument(
        "--endmembers", "-k", type=int, help="number of endmembers (default: the reference's)"
    )
    parser.add_argument(
        "--method",
        choices=METHODS,
        default="nfindr",
        help="default: nfindr (lowest endmember SAD on Samson, deterministic; docs/hsi.md)",
    )
    ae = parser.add_argument_group("autoencoder")
    ae.add_argument("--ae-epochs", type=int, default=30, help="training epochs (default 30)")
    ae.add_argument("--ae-loss", choices=("sad", "mse"), default="sad", help="default: sad")
    add_common_args(parser)
    return parser


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


def unmix_main(argv: Sequence[str] | None = None) -> int:
    """Console entry point (``hsi-unmix``)."""
    return run_main(_unmix, argv)


def _unmix(argv: Sequence[str] | None) -> int:
    from panspectra_hsi.unmixing import unmix
    from panspectra_hsi.unmixing.outputs import (
        save_abundance_maps,
        write_abundance_geotiff,
        write_endmembers_csv,
    )

    args = build_unmix_parser().parse_args(argv)
    apply_common_args(args)
    if args.endmembers is not None and args.endmembers < 2:
        raise UserError(f"--endmembers {args.endmembers}: need at least 2")
    if args.ae_epochs < 1:
        raise UserError("--ae-epochs must be >= 1")
    if args.restarts < 1:
        raise UserError(f"--restarts {args.restarts}: expected >= 1")
    device = resolve_device(args.device)
    with OutputDir(args.output, overwrite=args.overwrite) as out:
        scene, reference, reference_abundances, names, notes = _load_input(args)
        k = args.endmembers or (len(reference) if reference is not None else None)
        if k is None:
            raise UserError("--endmembers K is required for inputs without reference endmembers")
        if reference is not None and k < len(reference):
            raise UserError(f"--endmembers {k}: the reference has {len(reference)} endmembers")
        height, width, bands = scene.shape
        valid = ~scene.nodata_mask.ravel() if scene.nodata_mask is not None else None
        pixels = np.asarray(scene.cube, dtype=np.float64).reshape(-1, bands)
        if valid is not None:
            pixels = pixels[valid]
        if k > min(pixels.shape):
            raise UserError(f"--endmembers {k}: more than pixels/bands ({pixels.shape})")
        pixels, scaling = _scale(pixels, args)
        seed_everything(args.seed)
        log.info(
            "unmixing %d pixels x %d bands into %d endmembers (%s)", *pixels.shape, k, args.method
        )
        result = unmix(
            pixels,
            k,
            args.method,
            seed=args.seed,
            device=device,
            ae_epochs=args.ae_epochs,
            ae_loss=args.ae_loss,
            restarts=args.restarts,
        )
        endmembers, abundances = result.endmembers, result.abundances
        metrics = {
            "method": args.method,
            "seed": args.seed,
            "num_endmembers": k,
            "num_pixels": int(pixels.shape[0]),
            "seconds": result.seconds,
            "reconstruction_rmse": result.reconstruction_rmse,
            "input": scene.source or str(args.cube),
            "input_notes": notes,
            "input_scaling": scaling,
            "restarts": args.restarts if args.method != "autoencoder" else None,
            "restart_rmse": result.restart_rmse,
            "warnings": result.warnings,
        }
        if reference is not None:
            endmembers, abundances, names = _score(
                metrics, (endmembers, abundances), (reference, reference_abundances), names, valid
            )
        else:
            names = [f"endmember_{i + 1}" for i in range(k)]
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
        write_metrics(out, metrics, command=["hsi-unmix", *(argv or sys.argv[1:])], seed=args.seed)
    if not args.quiet:
        summary = {k: metrics[k] for k in ("method", "mean_sad", "mean_rmse") if k in metrics}
        print(
            " ".join(
                f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in summary.items()
            )
            + f" -> {args.output}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(unmix_main())
