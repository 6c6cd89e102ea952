"""Test support shipped with the core: the bad-input corpus every domain CLI must pass
(:mod:`panspectra_core.testing.bad_inputs`, ``docs/bad_inputs.md``) and hostile checkpoint
generators (:mod:`panspectra_core.testing.hostile_checkpoints`). Imports pytest lazily, so the
package is importable without it."""
