"""Safe output files: validated before any computation, written atomically.

A long computation must not end in a traceback because its output path is wrong, and an
interrupted run must not leave a half-written file or a report whose ``index.md`` describes
figures it does not hold.  :func:`check_file` / :func:`check_dir` validate a target up front
(``ValueError`` naming the flag); :func:`write_file` writes through a temporary file in the same
directory and ``os.replace`` (atomic on POSIX); :func:`staged_dir` builds a directory in a
temporary sibling and moves its files into place only when the block finishes (index last).
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile

__all__ = ["check_file", "check_dir", "write_file", "staged_dir"]


def _parent(path):
    return os.path.dirname(os.path.abspath(path)) or "."


def _probe(name, path, parent):
    """Write and remove a scratch file in ``parent`` (``os.access`` says yes to root and to
    /proc): the real answer, before any computation.  Also the file name's length."""
    try:
        limit = os.pathconf(parent, "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    if len(os.path.basename(os.path.abspath(path))) > limit:
        raise ValueError(f"{name}={path!r} is invalid: the file name is longer than {limit} "
                         "characters")
    try:
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=".icl-probe-")
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise ValueError(f"{name}={path!r} is invalid: cannot write in {parent!r} "
                         f"({exc.strerror or exc})") from None


def check_file(name, path, *, force=False):
    """Validate an output file path: a non-empty path whose directory exists and is writable,
    not a directory, and (unless ``force``) not an existing file.  Returns the path."""
    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        raise ValueError(f"{name}={path!r} is invalid: give a file path")
    path = os.fspath(path)
    if os.path.isdir(path):
        raise ValueError(f"{name}={path!r} is invalid: it is a directory; give a file path")
    parent = _parent(path)
    if not os.path.isdir(parent):
        raise ValueError(f"{name}={path!r} is invalid: directory {parent!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise ValueError(f"{name}={path!r} is invalid: directory {parent!r} is not writable")
    if os.path.exists(path) and not force:
        raise ValueError(f"{name}={path!r} is invalid: the file exists; pass --force "
                         "(force=True) to overwrite it")
    _probe(name, path, parent)
    return path


def check_dir(name, path):
    """Validate an output directory: non-empty, not an existing file, its parent exists and is
    writable (the directory itself is created or replaced by :func:`staged_dir`)."""
    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        raise ValueError(f"{name}={path!r} is invalid: give a directory path")
    path = os.fspath(path)
    if os.path.exists(path) and not os.path.isdir(path):
        raise ValueError(f"{name}={path!r} is invalid: it is an existing file, not a directory")
    parent = _parent(path)
    if not os.path.isdir(parent):
        raise ValueError(f"{name}={path!r} is invalid: directory {parent!r} does not exist")
    if not os.access(parent, os.W_OK) or (os.path.isdir(path) and not os.access(path, os.W_OK)):
        raise ValueError(f"{name}={path!r} is invalid: not writable")
    _probe(name, path, parent)   # the report is staged in a sibling of the directory
    return path


def write_file(path, text):
    """Write ``text`` (str, or bytes for binary files such as PNG) to ``path`` atomically
    (temporary file in the same directory, then ``os.replace``): readers see the old file or the
    new one, never a partial one."""
    fd, tmp = tempfile.mkstemp(dir=_parent(path), prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "wb" if isinstance(text, (bytes, bytearray)) else "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def staged_dir(path, last=("index.md",)):
    """Yield a fresh temporary directory beside ``path`` to write into; when the block finishes,
    its files are moved into ``path`` (created if needed; same-named files replaced, others left
    alone), the names in ``last`` after all the others — so an index never describes files that
    are not there.  On any exception or interrupt the staging directory is deleted and ``path``
    is untouched."""
    parent = _parent(path)
    tmp = tempfile.mkdtemp(dir=parent, prefix=f".{os.path.basename(os.path.abspath(path))}-")
    try:
        yield tmp
        os.makedirs(path, exist_ok=True)
        names = sorted(os.listdir(tmp), key=lambda n: (n in last, n))
        for name in names:
            os.replace(os.path.join(tmp, name), os.path.join(path, name))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
