"""Audio data: named datasets and their protocols, a user's files, clips and mixtures."""
