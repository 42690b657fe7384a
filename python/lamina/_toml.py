"""Writes the TOML of lamina model files from Python values.

Python-built networks are handed to the model-file reader as text, so this covers exactly the
value types model files use: booleans, integers, floats (with inf and nan), strings, arrays and
inline tables. Python reads TOML itself (tomllib) but cannot write it.
"""

import json
import math
import re

import numpy as np

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def key(k):
    k = str(k)
    return k if _BARE_KEY.match(k) else json.dumps(k)


def value(v):
    """One TOML value. Floats keep every bit (repr is the shortest round-trip form)."""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        x = float(v)
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return repr(x)
    if isinstance(v, str):
        # JSON string escapes are valid TOML basic-string escapes.
        return json.dumps(v)
    if isinstance(v, dict):
        if not v:
            return "{}"
        return "{ " + ", ".join(f"{key(k)} = {value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, np.ndarray):
        if v.ndim != 1:
            raise ValueError(f"expected a one-dimensional array, got shape {v.shape}")
        # Large index and weight arrays (explicit projections) are written without a call per entry.
        if np.issubdtype(v.dtype, np.integer):
            return "[" + ", ".join(map(str, v.tolist())) + "]"
        if np.issubdtype(v.dtype, np.floating) and np.isfinite(v).all():
            return "[" + ", ".join(map(repr, v.astype(np.float64).tolist())) + "]"
        return "[" + ", ".join(value(x) for x in v.tolist()) + "]"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(value(x) for x in v) + "]"
    raise TypeError(f"cannot write a {type(v).__name__} into a model file")


def table(header, entries, array=False):
    """A [header] (or [[header]] with array=True) table of key = value lines; None values are left out."""
    lines = [f"[[{header}]]" if array else f"[{header}]"]
    lines += [f"{key(k)} = {value(v)}" for k, v in entries.items() if v is not None]
    return "\n".join(lines) + "\n"
