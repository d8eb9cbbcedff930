"""Bytes to text: the stored text is what every citation's offsets refer to."""

from __future__ import annotations

import codecs


class DecodeError(ValueError):
    """The bytes are not text in any encoding we accept."""


class EmptyInputError(DecodeError):
    """The file is empty or holds only whitespace."""


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _looks_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM shows as NUL bytes at every other position of ASCII text."""
    sample = data[:4000]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0) / len(sample[0::2])
    odd_nuls = sample[1::2].count(0) / len(sample[1::2])
    if odd_nuls > 0.3 and even_nuls < 0.05:
        return "utf-16-le"
    if even_nuls > 0.3 and odd_nuls < 0.05:
        return "utf-16-be"
    return None


def decode(data: bytes) -> str:
    """UTF-8 (BOM optional), UTF-16/32 with a BOM or plain ASCII-heavy UTF-16, else GB18030."""
    if not data:
        raise EmptyInputError("the file is empty")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _check(data.decode(encoding, errors="strict"))
    if encoding := _looks_utf16(data):
        try:
            return _check(data.decode(encoding))
        except UnicodeDecodeError as exc:
            raise DecodeError(f"invalid UTF-16 text: {exc.reason}") from None
    if b"\x00" in data:
        raise DecodeError("the file is binary, not text")
    try:
        return _check(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    try:
        return _check(data.decode("gb18030"))
    except UnicodeDecodeError:
        raise DecodeError("the text is neither UTF-8, UTF-16 nor GB18030") from None


def _check(text: str) -> str:
    controls = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if "\x00" in text or controls > max(8, len(text[:20000]) // 100):
        raise DecodeError("the file is binary, not text")
    if not text.strip():
        raise EmptyInputError("the file holds no text")
    return text
