"""Say what is wrong with a file DuckDB cannot read, and on which line.

DuckDB's own messages for these cases are a 23-line sniffer dump (damaged bytes), a missing
column (a UTF-16 file) or "line 1" for an over-long line wherever it is. We read the
file's lines ourselves, only once reading has failed, to name the line and the cause.
"""

from __future__ import annotations

import codecs
import gzip
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, cast

import duckdb

SNIFF_LINES = 20_480  # the lines DuckDB's sniffer samples
_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TOO_LONG = re.compile(r"Maximum line size of (\d+) bytes exceeded")


def _open(path: Path) -> IO[bytes]:
    if path.name.lower().endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def _lines(path: Path) -> Iterator[bytes]:
    with _open(path) as fh:
        yield from fh


def encoding_problem(path: Path) -> str | None:
    """Why the file is not UTF-8 text when it plainly is not (UTF-16 or UTF-32), else None."""
    try:
        with _open(path) as fh:
            head = fh.read(4096)
    except (OSError, EOFError):
        return None
    if head.startswith(_WIDE_BOMS):
        return (
            "the file is UTF-16 or UTF-32 encoded (it starts with that byte-order mark); "
            "save it as UTF-8"
        )
    if len(head) >= 8 and head.count(b"\x00") * 4 > len(head):
        return (
            "the file looks UTF-16 or UTF-32 encoded (a quarter of its first bytes are NUL "
            "bytes); save it as UTF-8"
        )
    return None


def explain_unreadable(path: Path, exc: duckdb.Error) -> str:
    """A one-line reason, naming the line where one can be found."""
    message = str(exc)
    too_long = _TOO_LONG.search(message)
    if too_long:
        return _long_line(path, int(too_long.group(1))) or _first_line(message)
    if "sniffing" in message:
        where = _suspect_line(path)
        reason = "the delimiter and quoting could not be detected"
        return f"{reason}: {where}" if where else f"{reason}; is it delimited text?"
    return _first_line(message)


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "unreadable"


def _long_line(path: Path, limit: int) -> str | None:
    try:
        for n, line in enumerate(_lines(path), start=1):
            if len(line) > limit:
                return (
                    f"line {n} is {len(line):,} bytes long, over the {limit:,} a line may have "
                    "(a quote that is never closed, or a field that should not be there?)"
                )
    except (OSError, EOFError):
        return None
    return None


def _suspect_line(path: Path) -> str | None:
    """The first of the sampled lines with bytes that are not UTF-8 text."""
    try:
        for n, line in enumerate(_lines(path), start=1):
            if n > SNIFF_LINES:
                break
            body = line.rstrip(b"\r\n")
            control = _CONTROL.search(body)
            if control:
                return f"line {n} holds the control byte 0x{control.group()[0]:02x}"
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as err:
                return f"line {n} holds bytes that are not valid UTF-8 (at byte {err.start + 1})"
            if b"\r" in body:
                return f"line {n} holds a carriage return inside the line"
    except (OSError, EOFError):
        return None
    return None
