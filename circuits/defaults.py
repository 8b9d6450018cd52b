"""The credential query circuit's default shape: issuer tree depth, queries per proof (Q) and
values per query (M). A module of its own so that the settings and the command line can name the
defaults without loading the circuit (and with it numba)."""

DEFAULT_DEPTH = 20
DEFAULT_Q = 4
DEFAULT_M = 8
