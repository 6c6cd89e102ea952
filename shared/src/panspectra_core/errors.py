"""Exceptions that the CLIs turn into one-line messages and exit code 2."""


class UserError(Exception):
    """A mistake in the user's input (path, flag, file contents): reported in one line, exit 2.

    The message should name the file or field and what was expected, e.g.
    ``"labels.tif: shape (100, 90) does not match cube (100, 100); expected the same rows/cols"``.
    """
