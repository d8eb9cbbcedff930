"""The format registry: each parser names its extensions and how to recognise its content."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath

from rag.models import ParsedTranscript


class ParseError(ValueError):
    """The text is not valid in the format it was parsed as; the message says why."""


class UnknownFormatError(ParseError):
    """No registered parser accepts the file."""


@dataclass(frozen=True)
class Parser:
    name: str
    extensions: tuple[str, ...]
    parse: Callable[[str], ParsedTranscript]
    sniff: Callable[[str], bool]
    """True when the content is clearly in this format, whatever the file is called."""
    priority: int = 0
    """Higher sniffs first; specific formats outrank catch-alls such as plain text."""
    fallback: bool = False
    """Parses any text whose format neither its content nor its name tells."""


_PARSERS: dict[str, Parser] = {}


def register(parser: Parser) -> Parser:
    _PARSERS[parser.name] = parser
    return parser


def known_formats() -> list[str]:
    return sorted(_PARSERS)


def get_parser(name: str) -> Parser:
    try:
        return _PARSERS[name]
    except KeyError:
        raise UnknownFormatError(
            f"unknown format {name!r}; known formats: {', '.join(known_formats())}"
        ) from None


def detect_format(text: str, filename: str | None = None) -> str:
    """Content that is clearly one format wins; otherwise the extension, then the fallback.

    Among parsers sharing an extension the most general one takes the file: the
    specific ones have already declined its content.
    """
    by_priority = sorted(_PARSERS.values(), key=lambda p: -p.priority)
    for parser in by_priority:
        if parser.sniff(text):
            return parser.name
    suffix = PurePath(filename).suffix.lower() if filename else ""
    for parser in reversed(by_priority):
        if suffix and suffix in parser.extensions:
            return parser.name
    for parser in by_priority:
        if parser.fallback:
            return parser.name
    raise UnknownFormatError(
        f"cannot tell the format of {filename or 'the text'}; "
        f"name one of: {', '.join(known_formats())}"
    )


def parse(text: str, format: str | None = None, filename: str | None = None) -> ParsedTranscript:
    name = format or detect_format(text, filename)
    parsed = get_parser(name).parse(text)
    if not parsed.segments:
        raise ParseError(f"no transcript content found in {filename or 'the text'}")
    return parsed
