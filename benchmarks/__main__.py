"""Runs every `bench_<area>` module in this package (or the areas named on the command line)."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import benchmarks


def main(argv: list[str]) -> int:
    areas = sorted(
        name.removeprefix("bench_")
        for _, name, _ in pkgutil.iter_modules(benchmarks.__path__)
        if name.startswith("bench_")
    )
    chosen = argv or areas
    unknown = [a for a in chosen if a not in areas]
    if unknown:
        print(f"unknown benchmark area(s): {', '.join(unknown)}; known: {', '.join(areas)}")
        return 2
    for area in chosen:
        print(f"== {area} ==", flush=True)
        importlib.import_module(f"benchmarks.bench_{area}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
