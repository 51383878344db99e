"""OpenMerit benchmarks: each module `bench_<area>.py` measures OpenMerit against a named peer in
the same run and prints the ratios. Run them all with `make bench` (``python -m benchmarks``), or one
with ``python -m benchmarks <area>``."""
