"""Fail loudly if the installed llama.cpp build would crash on these machines.

A native build (what a plain `pip install llama-cpp-python` does) uses AVX-512/AMX and dies on
its first decode with a general-protection fault. The Makefile builds it with portable AVX2
flags; this check proves it did: AVX2 on, no AVX-512 and no AMX.
"""

from __future__ import annotations

import re
import sys


def main() -> int:
    try:
        import llama_cpp
    except ImportError as exc:
        print(f"check-llama: llama_cpp does not import: {exc}", file=sys.stderr)
        return 1
    info = llama_cpp.llama_print_system_info().decode(errors="replace")
    flags = dict(re.findall(r"([A-Z0-9_]+) = (\d)", info))
    bad = sorted(f for f, on in flags.items() if on == "1" and f.startswith(("AVX512", "AMX")))
    if flags.get("AVX2") != "1" or bad:
        print(f"check-llama: unsafe llama.cpp build ({info.strip()}); "
              f"wanted AVX2 = 1 and none of {bad or 'AVX512*/AMX*'}", file=sys.stderr)
        return 1
    print(f"check-llama: llama-cpp-python {llama_cpp.__version__} portable build: {info.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
