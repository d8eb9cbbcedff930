"""Transcript parsers, one module per format, found through a registry.

A parser takes the stored text and returns a ``ParsedTranscript`` whose segment
offsets point into that same text (or into the readable text it builds, for
formats such as subtitles and JSON). New formats register themselves here.
"""

from __future__ import annotations

from rag.formats import jsonformat as _jsonformat  # noqa: F401  (registers itself)
from rag.formats import markdown as _markdown  # noqa: F401
from rag.formats import minutes as _minutes  # noqa: F401
from rag.formats import plaintext as _plaintext  # noqa: F401
from rag.formats import subtitles as _subtitles  # noqa: F401
from rag.formats.registry import (
    ParseError,
    Parser,
    UnknownFormatError,
    detect_format,
    get_parser,
    known_formats,
    parse,
    register,
)

__all__ = [
    "ParseError",
    "Parser",
    "UnknownFormatError",
    "detect_format",
    "get_parser",
    "known_formats",
    "parse",
    "register",
]
