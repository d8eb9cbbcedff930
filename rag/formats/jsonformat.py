"""JSON transcript exports: a list of segments, Whisper ``segments``, AssemblyAI ``utterances``.

JSON is not what a person reads, so the parser builds ``Speaker: words``
paragraphs from the items and its segments index that text, with each turn's
times in seconds (millisecond exports are converted).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from rag.formats.plaintext import Utterance, render_turns
from rag.formats.registry import ParseError, Parser, register
from rag.models import ParsedTranscript

_OPENING = re.compile(r"\ufeff?\s*(?:\{\s*(?:\"|\})|\[\s*(?:\{|\]))")
_LIST_KEYS = ("segments", "utterances")
_SPEAKER_KEYS = ("speaker", "speaker_name", "name")
_TIME_KEYS = (("start", "end"), ("start_time", "end_time"), ("start_ms", "end_ms"))
_MS_THRESHOLD = 10_000


def _items(data: Any) -> tuple[list[Any], str, bool]:
    """The list of items, what to call it in messages, and whether whole-number times are ms
    (AssemblyAI's ``utterances`` count milliseconds)."""
    if isinstance(data, list):
        return data, "the list", False
    if isinstance(data, dict):
        for key in _LIST_KEYS:
            if key in data:
                if not isinstance(data[key], list):
                    raise ParseError(f"wrong JSON shape: {key!r} must be a list")
                return data[key], repr(key), key == "utterances"
        keys = ", ".join(repr(k) for k in list(data)[:5]) or "none"
        raise ParseError(
            f"wrong JSON shape: expected a list of segments or an object with "
            f"'segments' or 'utterances', found keys {keys}"
        )
    raise ParseError(f"wrong JSON shape: expected a list or an object, found {type(data).__name__}")


def _time(item: dict[str, Any], key: str, where: str) -> float | None:
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParseError(f"wrong JSON shape: {where} has a non-numeric {key!r}")
    if not math.isfinite(value) or value < 0:
        raise ParseError(f"wrong JSON shape: {where} has an invalid {key!r}: {value}")
    return float(value)


def _times(item: dict[str, Any], where: str) -> tuple[float | None, float | None, bool]:
    for start_key, end_key in _TIME_KEYS:
        if start_key in item or end_key in item:
            start, end = _time(item, start_key, where), _time(item, end_key, where)
            if start is not None and end is not None and end < start:
                raise ParseError(f"wrong JSON shape: {where} ends before it starts")
            return start, end, start_key.endswith("_ms")
    return None, None, False


def _speaker(item: dict[str, Any], where: str) -> str | None:
    for key in _SPEAKER_KEYS:
        value = item.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ParseError(f"wrong JSON shape: {where} has a {key!r} that is not text")
        return str(value)
    return None


def parse(text: str) -> ParsedTranscript:
    try:
        data = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise ParseError("malformed JSON: nested too deeply") from None
    items, name, integers_are_ms = _items(data)
    if not items:
        raise ParseError(f"wrong JSON shape: {name} holds no segments")
    raw: list[tuple[str, str | None, float | None, float | None]] = []
    whole_numbers = True
    ms_keys = False
    for number, item in enumerate(items, 1):
        where = f"item {number} of {name}"
        if not isinstance(item, dict):
            raise ParseError(f"wrong JSON shape: {where} is not an object")
        words = item.get("text")
        if not isinstance(words, str):
            raise ParseError(f"wrong JSON shape: {where} has no 'text' string")
        start, end, in_ms = _times(item, where)
        ms_keys = ms_keys or in_ms
        whole_numbers = whole_numbers and all(t is None or t.is_integer() for t in (start, end))
        raw.append((words, _speaker(item, where), start, end))
    largest = max((t for _, _, s, e in raw for t in (s, e) if t is not None), default=0.0)
    looks_ms = whole_numbers and (integers_are_ms or largest > _MS_THRESHOLD)
    scale = 1000.0 if ms_keys or looks_ms else 1.0
    utterances = [
        Utterance(
            words,
            speaker,
            None if start is None else start / scale,
            None if end is None else end / scale,
        )
        for words, speaker, start, end in raw
    ]
    return render_turns(utterances, "json")


def sniff(text: str) -> bool:
    """An object or array that opens like a transcript export, even if it is cut short."""
    return bool(_OPENING.match(text))


PARSER = register(Parser("json", (".json",), parse, sniff, priority=20))
