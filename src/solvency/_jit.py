"""Compiled hot loops with a pure-Python fallback and a switch (the ``arch`` pattern).

Kernels are written once, as plain Python on numpy arrays, and decorated with :func:`jit`. When numba is
installed and not disabled they are compiled; otherwise the decorator returns the function unchanged and
the same code runs interpreted (correct, much slower). Disable numba with the environment variable
``SOLVENCY_NUMBA=0`` (read at import) — useful to debug a kernel or where numba cannot be installed.

Every compiled kernel keeps its Python original as ``kernel.py_func`` (numba's attribute; the fallback
sets it too), so tests can run both on the same inputs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_OFF = {"0", "false", "no", "off"}

try:  # pragma: no cover - depends on the environment
    import numba as _numba

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    _numba = None
    HAVE_NUMBA = False

ENABLED: bool = HAVE_NUMBA and os.environ.get("SOLVENCY_NUMBA", "1").strip().lower() not in _OFF
"""Whether kernels are compiled (numba present and ``SOLVENCY_NUMBA`` not set to 0)."""

prange = _numba.prange if HAVE_NUMBA else range


def jit(fn: F | None = None, **options: Any) -> Any:
    """``numba.njit(cache=True, **options)`` when enabled, else the function itself (with ``py_func``).

    Use as ``@jit`` or ``@jit(parallel=True)``.
    """

    def wrap(f: F) -> F:
        if ENABLED:
            return _numba.njit(cache=True, **options)(f)
        f.py_func = f  # type: ignore[attr-defined]
        return f

    return wrap(fn) if fn is not None else wrap


def compile_function(fn: Callable[..., Any], signature: Callable[[], Any], *, cache: bool = False) -> Any:
    """Compile a scalar function to a numba ``cfunc`` of a fixed signature, passable to compiled kernels.

    A kernel that takes a ``cfunc`` argument is compiled once for the function *type* and cached, whatever
    function is passed later (a plain ``njit`` dispatcher argument would force a fresh, uncacheable compile
    of the whole kernel per function). ``signature`` is a callable returning the numba signature (so numba is
    imported only when needed). With numba disabled the Python original is returned.
    """
    if not ENABLED:
        return python_function(fn)
    return _numba.cfunc(signature(), cache=cache)(python_function(fn))


def python_function(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The interpreted original of a (possibly compiled) function."""
    return getattr(fn, "py_func", fn)


def threads() -> int:
    """Threads numba's parallel loops use (1 without numba)."""
    if ENABLED:
        return int(_numba.get_num_threads())
    return 1
