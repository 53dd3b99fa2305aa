"""Shared helpers of the benchmark scripts: the machine, medians of repeated timings, JSON output.

Benchmarks are run by hand (``make bench`` or ``python benchmarks/bench_X.py --json``), never in CI. This
machine is small and noisy: report medians of several repeats and compare implementations side by side in
one run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as fh:
            info["mem_gib"] = round(int(fh.readline().split()[1]) / 2**20, 1)
    except OSError:
        pass
    return info


def timed(fn: Callable[[], Any], *, repeat: int = 5, warmup: int = 1) -> tuple[float, list[float], Any]:
    """Median wall time (s) of ``repeat`` calls after ``warmup`` calls; returns (median, all, last result)."""
    result = None
    for _ in range(warmup):
        result = fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, result


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--repeat", type=int, default=5)
    return p


def report(payload: dict[str, Any], as_json: bool) -> None:
    """Print the figures (JSON on stdout with --json, else an indented dump) with the machine."""
    payload = {"machine": machine(), **payload}
    if as_json:
        sys.stdout.write(json.dumps(payload) + "\n")
    else:
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
