"""Turns retrieved passages into answers: the exact cited text and where it comes from."""

from __future__ import annotations

from rag.models import ROLES_SEPARATOR, Answer, Citation, Highlight
from rag.retrieval import Hit


def to_answers(hits: list[Hit]) -> list[Answer]:
    return [
        Answer(
            rank=rank,
            score=round(hit.score, 4),
            confidence=hit.confidence,
            text=hit.chunk.text,
            highlight=Highlight(*hit.highlight),
            citation=Citation(
                transcript_id=hit.chunk.transcript_id,
                transcript=hit.chunk.transcript,
                start=hit.chunk.start,
                end=hit.chunk.end,
                section=hit.chunk.section,
                speaker=hit.chunk.speaker,
                question=hit.chunk.question,
                start_time=hit.chunk.start_time,
                end_time=hit.chunk.end_time,
                roles=tuple(hit.chunk.roles.split(ROLES_SEPARATOR)) if hit.chunk.roles else (),
            ),
        )
        for rank, hit in enumerate(hits, start=1)
    ]
