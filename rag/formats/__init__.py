"""Transcript parsers, one module per format, found through a registry.

A parser takes the stored text and returns a ``ParsedTranscript`` whose segment
offsets point into that same text. New formats register themselves here.
"""

from __future__ import annotations

from rag.formats import minutes as _minutes  # noqa: E402,F401  (registers itself)
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
