"""`make bench`: run every benchmark and print its table. Not a test; nothing here asserts."""

from __future__ import annotations

import importlib
import sys


def main() -> None:
    """Run the benchmarks named on the command line (default: all)."""
    available = {"jobs": "bench.job_overhead", "api": "bench.api_throughput"}
    names = sys.argv[1:] or list(available)
    for name in names:
        importlib.import_module(available[name]).main()


if __name__ == "__main__":
    main()
