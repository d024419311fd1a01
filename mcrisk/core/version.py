"""mcrisk's version and the versions of the libraries a result depends on (a leaf module)."""

from __future__ import annotations

import functools
import platform
from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__", "library_versions"]

try:
    __version__ = version("mcrisk")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

#: The distributions that compute a number stored in results.nc, or write it: the random streams
#: and designs (numpy, SALib), inverse CDFs (scipy), the Dataset and its reductions (xarray), unit
#: conversions (pint), the file (netCDF4).
_LIBRARIES = ("numpy", "scipy", "SALib", "xarray", "pint", "netCDF4")
#: Added when the chunks ran on a dask cluster.
_DASK = ("dask", "distributed")


@functools.cache  # a process runs one set of libraries; reading their metadata took ~9 ms a call
def library_versions(*, dask: bool = False) -> str:
    """What produced a result, for its attrs.

    Parameters
    ----------
    dask
        The samples were evaluated on a dask cluster: dask's and distributed's versions too.

    Returns
    -------
    str
        ``"mcrisk 0.1.0, python 3.11.7, numpy 2.4.6, scipy 1.17.1, SALib 1.6.0, xarray 2026.9.0,
        pint 0.25.3, netCDF4 1.7.5"``; a library not installed is ``absent``.
    """
    parts = [f"mcrisk {__version__}", f"python {platform.python_version()}"]
    for name in _LIBRARIES + (_DASK if dask else ()):
        try:
            parts.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            parts.append(f"{name} absent")
    return ", ".join(parts)
