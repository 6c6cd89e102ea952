"""Inputs of the hsi command lines: integer lists and the scene named by the scene flags."""

from __future__ import annotations

import argparse

from panspectra_core.cli import UserError


def int_list(text: str) -> list[int]:
    """argparse type of "1,2,3" → [1, 2, 3]."""
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from None


def load_input_scene(args: argparse.Namespace, *, labels_required: bool = True):
    """The scene named by ``--dataset`` or ``--cube``/``--labels``."""
    from panspectra_hsi.data import load_named_scene, load_scene

    if args.dataset and args.cube:
        raise UserError("pass either --dataset or --cube, not both")
    if args.dataset:
        return load_named_scene(args.dataset)
    if not args.cube:
        raise UserError("no input: pass --dataset NAME or --cube PATH (see --help)")
    labels = getattr(args, "labels", None) or getattr(args, "train_labels", None)
    if labels_required and labels is None:
        raise UserError("--cube needs --labels PATH (or --train-labels/--test-labels)")
    names = args.class_names.split(",") if getattr(args, "class_names", None) else None
    return load_scene(
        args.cube,
        labels,
        cube_key=args.cube_key,
        labels_key=getattr(args, "labels_key", None),
        ignore_label=getattr(args, "ignore_label", 0),
        class_names=names,
        drop_bands=args.drop_bands,
    )


def fixed_maps(args: argparse.Namespace, scene):
    """Encode --train-labels / --test-labels with one shared class table."""
    import numpy as np

    from panspectra_hsi.data import encode_labels, read_array

    raw_train = np.asarray(read_array(args.train_labels, args.labels_key, ndim=2, what="labels"))
    raw_test = np.asarray(read_array(args.test_labels, args.labels_key, ndim=2, what="labels"))
    if raw_test.shape != raw_train.shape:
        raise UserError(
            f"{args.test_labels}: shape {raw_test.shape} differs from "
            f"{args.train_labels} {raw_train.shape}"
        )
    codes = sorted(
        {int(v) for v in np.unique(np.concatenate([raw_train.ravel(), raw_test.ravel()]))}
        - {args.ignore_label}
    )
    train, values = encode_labels(raw_train, args.ignore_label, args.train_labels, codes)
    test, _ = encode_labels(raw_test, args.ignore_label, args.test_labels, codes)
    names = args.class_names.split(",") if args.class_names else [f"class {v}" for v in values]
    mask = scene.nodata_mask
    train[mask], test[mask] = 0, 0
    return scene.__class__(
        **{**scene.__dict__, "labels": train, "label_values": values, "class_names": names}
    ), test
