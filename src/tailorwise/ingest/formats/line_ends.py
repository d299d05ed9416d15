"""Line ends that DuckDB's CSV reader cannot take as they are.

DuckDB 2.0.1 reads lines that end in '\\n' or in '\\r\\n', not a file that mixes
them (joined from two systems, or edited on both): its sniffer fails on the
first 20,480 lines, its parser on later ones, and ``read_csv``'s ``new_line``
option does not help (with ``strict_mode`` it reads no row at all). A file
that mixes them among the lines the sniffer reads is read from a copy whose
lines all end in '\\n'. One that mixes them only further on still fails, with
DuckDB's message: finding those would mean reading every file to its end
first, which costs more than a clean load can spare (0.07 s for 45 MB of
'\\r\\n' text; gzipped, 0.2 s more to decompress it).
"""

from __future__ import annotations

import gzip
import os
import tempfile
import zlib
from pathlib import Path
from typing import BinaryIO, cast

from tailorwise.errors import IngestError

# Lines DuckDB's CSV sniffer reads to settle the dialect, line ends included
# (read_csv's sample_size); a file that mixes line ends there fails to sniff,
# and one that mixes them later fails to parse.
_SNIFFED_LINES = 20_480
_HEAD_LIMIT = 16 << 20


def open_bytes(path: Path) -> BinaryIO:
    """The file's bytes, gunzipped when its name ends in '.gz'."""
    if path.name.lower().endswith(".gz"):
        return cast(BinaryIO, gzip.open(path, "rb"))
    return open(path, "rb")


def mixed_line_ends(path: Path, quoted: bool) -> bool:
    """Whether the first lines end some in '\\r\\n' and some in '\\n' alone.

    Newlines inside quotes end no line. A look at the bytes settles the usual
    file (one kind of line end); only a head that may mix them is split by line.
    A file that cannot be read says no: the reader reports it in its own words.
    """
    head, lines = b"", 0
    try:
        with open_bytes(path) as fh:
            while (
                lines <= _SNIFFED_LINES and len(head) < _HEAD_LIMIT and (block := fh.read(1 << 20))
            ):
                head, lines = head + block, lines + block.count(b"\n")
    except (OSError, EOFError, zlib.error):
        return False
    crlf = head.count(b"\r\n")
    if crlf in (0, lines):
        return False
    ends, inside = set(), False
    for line in head.split(b"\n")[:-1]:
        inside ^= quoted and line.count(b'"') % 2 == 1
        if not inside:
            ends.add(line.endswith(b"\r"))
    return len(ends) == 2


def one_line_end_copy(path: Path, quoted: bool) -> Path:
    """A temp copy of a text file (gunzipped, if it was) whose lines all end in '\\n'.

    Only line ends change: a '\\r\\n' inside quotes is part of a value and kept.
    """
    fd, name = tempfile.mkstemp(prefix="tailorwise-", suffix=".csv")
    inside = False
    try:
        with open_bytes(path) as src, os.fdopen(fd, "wb") as dst:
            for line in src:
                inside ^= quoted and line.count(b'"') % 2 == 1
                dst.write(line[:-2] + b"\n" if not inside and line.endswith(b"\r\n") else line)
    except (OSError, EOFError, zlib.error) as exc:
        Path(name).unlink(missing_ok=True)
        raise IngestError(f"{path}: cannot read the file: {exc}") from exc
    return Path(name)
