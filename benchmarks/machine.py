"""One line naming the processor and its caches, printed with every benchmark table.

Timings depend on the cache sizes as much as on the clock (a permutation that fits in L2 is
several times faster per row than one that does not), so a table without them cannot be
compared with one from another machine. Linux only: the model comes from /proc/cpuinfo, the
caches from /sys/devices/system/cpu/cpu0/cache (as ``lscpu -C`` reads them).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cpu_line"]

_CACHE = Path("/sys/devices/system/cpu/cpu0/cache")
_NAMES = {("1", "Data"): "L1d", ("2", "Unified"): "L2", ("3", "Unified"): "L3"}


def _model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine() or "unknown processor"


def _cpus(shared: str) -> int:
    """Number of CPUs in a list like ``0-1`` or ``0,2,4-5``."""
    count = 0
    for part in shared.split(","):
        lo, _, hi = part.partition("-")
        count += int(hi or lo) - int(lo) + 1
    return count


def _caches() -> list[str]:
    out = []
    for index in sorted(_CACHE.glob("index*")):
        try:
            level, kind, size, shared = ((index / f).read_text().strip()
                                         for f in ("level", "type", "size", "shared_cpu_list"))
        except OSError:
            continue
        if (level, kind) in _NAMES:
            n = _cpus(shared)
            out.append(f"{_NAMES[level, kind]} {size}" + (f" shared by {n} CPUs" if n > 1 else " per core"))
    return out


def cpu_line() -> str:
    """``CPU: <model>, <n> CPUs; L1d 32K per core, L2 1024K per core, L3 32768K shared by 2 CPUs``."""
    caches = _caches()
    return (f"CPU: {_model()}, {os.cpu_count()} CPUs; "
            + (", ".join(caches) if caches else "cache sizes not available"))


if __name__ == "__main__":
    print(cpu_line())
