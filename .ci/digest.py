"""One line per variable of a results.nc: its name, dtype, shape and the SHA-256 of its values.

Two runs whose lines are equal hold the same numbers, bit for bit, whatever netCDF library wrote
the files (the files' own bytes carry library versions). Used by .ci/run to compare Pythons.
"""

import hashlib
import sys

import numpy as np
import xarray as xr

with xr.open_dataset(sys.argv[1]) as ds:
    for name in sorted(ds.variables):
        a = np.ascontiguousarray(ds[name].values)
        data = a.tobytes() if a.dtype.kind in "biufcmM" else repr(a.tolist()).encode()
        print(name, a.dtype, a.shape, hashlib.sha256(data).hexdigest())
