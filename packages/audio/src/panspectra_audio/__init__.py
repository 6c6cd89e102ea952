"""PanSpectra audio: classification (``audio-classify``), speech enhancement
(``audio-enhance``) and two-talker separation (``audio-separate``) on real recordings.

- :mod:`panspectra_audio.audio_io` — soundfile I/O with one-line input checks;
- :mod:`panspectra_audio.data` — named datasets (FSDD, NOIZEUS) and their protocols, a user's
  files, seeded mixtures;
- :mod:`panspectra_audio.models` — registered models (domain ``"audio"``);
- :mod:`panspectra_audio.pipeline` — train / evaluate / apply as functions.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("panspectra-audio")
except PackageNotFoundError:  # source tree without installation
    __version__ = "0.0.0+unknown"
