"""The one error type for bad user input in the hyperspectral data layer.

Everything a user can fix (wrong key, mismatched shapes, NaN bands, too few labelled pixels)
raises :class:`HSIDataError`, a :class:`panspectra_core.cli.UserError`, so the CLI prints one
line ``hsi-classify: error: <file>: <problem>; <fix>`` and exits with status 2.
"""

from __future__ import annotations

from pathlib import Path

from panspectra_core.cli import UserError


class HSIDataError(UserError):
    """Invalid hyperspectral input; the message names the file and the fix."""


def data_error(source: str | Path | None, problem: str, fix: str | None = None) -> HSIDataError:
    """Build a one-line :class:`HSIDataError` ``"<source>: <problem>; <fix>"``."""
    message = f"{source}: {problem}" if source else problem
    if fix:
        message += f"; {fix}"
    return HSIDataError(message)
