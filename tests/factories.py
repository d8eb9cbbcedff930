"""Small transcripts made up for tests, each with facts no other transcript holds."""

# ruff: noqa: E501  (a transcript's lines are as long as they are)

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data"


def minutes_transcript(n: int) -> str:
    """A "minutes" page about a fictional company numbered ``n``."""
    return f"""LOGIN | Register
会议摘要
Zorblax Holdings {n} reported that its submarine greenhouse unit {n} harvested {n * 7} tonnes of kelp, a record for the firm.
会议速览
Kelp harvest results of unit {n}
The submarine greenhouse unit {n} harvested {n * 7} tonnes of kelp this quarter, driven by new lamps and warmer currents near the reef station {n}.
要点回答
Q:How much kelp did greenhouse unit {n} harvest?
A:Greenhouse unit {n} harvested {n * 7} tonnes of kelp, helped by the reef station {n} lamps.
follow
"""


def call_transcript(n: int, turns: int = 120) -> str:
    """A plain-text call of company ``n``: ~20 KB of speaker turns, long enough to need disk."""
    speakers = ("Chief Financial Officer", "Analyst")
    return "".join(
        f"{speakers[t % 2]}: Zorblax Holdings {n}, turn {t}: the kelp unit {t} of reef station {n} "
        f"ran at {t * 3} percent of plan this quarter, helped by warmer currents and new lamps.\n"
        for t in range(turns)
    )


def chinese_call_transcript() -> str:
    """A Chinese quarterly call (~600 characters, three chunks), one fact per turn
    (``tests/data/chinese_call.txt``, which bench.quality also asks about)."""
    return (DATA / "chinese_call.txt").read_text(encoding="utf-8")
