"""_lib.py - finds and loads librise.so (rise's C API, api/rise_api.h) with ctypes and
declares the signature of every function the package calls.

Where the library is looked for, in order:
  1. the RISE_LIBRARY environment variable (a path to librise.so);
  2. next to this file (a `pip install ./python` copies it there);
  3. the source tree's build folder (running from a checkout: python/../build/librise.so).
"""
import ctypes
import os

ABI_VERSION = 1  # RISE_API_ABI_VERSION this package was written against

_HERE = os.path.dirname(os.path.abspath(__file__))


def _candidates():
    env = os.environ.get("RISE_LIBRARY")
    if env:
        return [env]
    return [
        os.path.join(_HERE, "librise.so"),
        os.path.normpath(os.path.join(_HERE, "..", "..", "build", "librise.so")),
    ]


def _declare(lib):
    c = ctypes
    P, S = c.c_void_p, c.c_char_p
    FP = c.POINTER(c.c_float)
    sigs = {
        "rise_api_abi_version": (c.c_int, []),
        "rise_api_last_error": (S, []),
        "rise_api_policy_load": (c.c_int, [S, S, S, c.c_uint64, c.POINTER(P)]),
        "rise_api_policy_free": (None, [P]),
        "rise_api_policy_int": (c.c_int64, [P, S]),
        "rise_api_policy_str": (S, [P, S]),
        "rise_api_policy_set_extraction": (c.c_int, [P, c.c_int, S]),
        "rise_api_policy_act": (
            c.c_int,
            [P, c.c_int, FP, c.POINTER(c.c_uint64), c.POINTER(c.c_int32), FP, FP],
        ),
        "rise_api_policy_act_frames": (
            c.c_int,
            [P, c.c_int, FP, c.POINTER(c.POINTER(c.c_uint8)), c.POINTER(c.c_uint64),
             c.POINTER(c.c_int32), FP, FP],
        ),
        "rise_api_policy_q": (c.c_int, [P, c.c_int, FP, FP, FP]),
        "rise_api_policy_v": (c.c_int, [P, c.c_int, FP, FP]),
        "rise_api_policy_export": (c.c_int, [P, S]),
        "rise_api_dataset_load": (c.c_int, [S, S, S, S, c.POINTER(P)]),
        "rise_api_dataset_free": (None, [P]),
        "rise_api_dataset_int": (c.c_int64, [P, S]),
        "rise_api_dataset_str": (S, [P, S]),
        "rise_api_dataset_array": (P, [P, S]),
        "rise_api_dataset_key": (S, [P, c.c_int, c.POINTER(c.c_int64), c.POINTER(c.c_int64)]),
        "rise_api_dataset_demo_name": (S, [P, c.c_int64]),
    }
    for name, (res, args) in sigs.items():
        fn = getattr(lib, name)
        fn.restype = res
        fn.argtypes = args


def _load():
    # The CPU backend's OpenMP threads should sleep, not spin, between short parallel
    # regions (as the rise command sets); libgomp reads this when it loads.
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    tried = []
    for path in _candidates():
        if not os.path.exists(path):
            tried.append(path + " (missing)")
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
            continue
        _declare(lib)
        version = lib.rise_api_abi_version()
        if version != ABI_VERSION:
            raise ImportError(
                "%s has C API version %d; this rise package expects %d: rebuild the library "
                "and reinstall the package from the same checkout" % (path, version, ABI_VERSION)
            )
        return lib, path
    raise ImportError(
        "rise: cannot find librise.so (rise's C library). Tried:\n  "
        + "\n  ".join(tried)
        + "\nBuild it with `cmake -S . -B build && cmake --build build --target rise_shared` "
        "from the repository root, then `pip install ./python` (or set RISE_LIBRARY to its path)."
    )


lib, path = _load()


def last_error():
    msg = lib.rise_api_last_error()
    return msg.decode("utf-8", "replace") if msg else ""
