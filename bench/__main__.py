"""`make bench`: run every benchmark and print its table. Not a test; nothing here asserts.

`python -m bench [name ...] [--quick]`: options (`--...`) are left for the benchmarks to read.
"""

from __future__ import annotations

import importlib
import sys


def main() -> None:
    """Run the benchmarks named on the command line (default: all)."""
    available = {
        "jobs": "bench.job_overhead",
        "api": "bench.api_throughput",
        "documents": "bench.documents",
        "search_load": "bench.search_load",
        "courses": "bench.courses",
        "quality": "bench.quality",
        "quizzes": "bench.quizzes",
        "quiz_submit": "bench.quiz_submit",
        "chat": "bench.chat",
        "repo_courses": "bench.repo_courses",
        "speech": "bench.speech",
        "projects": "bench.projects",
    }
    names = [a for a in sys.argv[1:] if a in available] or list(available)
    for name in names:
        importlib.import_module(available[name]).main()


if __name__ == "__main__":
    main()
