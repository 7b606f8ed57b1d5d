"""The package version: the installed distribution's metadata (``importlib.metadata``), or, in a
source checkout that is not installed, the ``version`` line of ``setup.cfg``."""
from __future__ import annotations

import configparser
import functools
import os

__all__ = ["package_version"]

DISTRIBUTION = "icl-theory"


@functools.lru_cache(maxsize=1)
def package_version() -> str:
    """``"0.1.0"``-style version string (``"unknown"`` if neither source gives one)."""
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version(DISTRIBUTION)
    except PackageNotFoundError:
        pass
    cfg = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "setup.cfg")
    parser = configparser.ConfigParser()
    try:
        parser.read(cfg)
        return parser.get("metadata", "version")
    except (configparser.Error, OSError):
        return "unknown"
