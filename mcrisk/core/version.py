"""mcrisk's version and the versions of the libraries a result depends on (a leaf module)."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__", "library_versions"]

try:
    __version__ = version("mcrisk")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

#: The distributions whose versions can change a result's numbers (random streams, inverse
#: CDFs, estimators) or its files.
_LIBRARIES = ("numpy", "scipy", "SALib", "xarray", "pandas", "netCDF4", "matplotlib")


def library_versions() -> str:
    """What produced a result, for its attrs.

    Returns
    -------
    str
        ``"mcrisk 0.1.0, python 3.11.7, numpy 2.4.6, ..."``; a library not installed is ``absent``.
    """
    parts = [f"mcrisk {__version__}", f"python {platform.python_version()}"]
    for name in _LIBRARIES:
        try:
            parts.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            parts.append(f"{name} absent")
    return ", ".join(parts)
