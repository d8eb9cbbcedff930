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


def unnamed_call(growth: int) -> str:
    """A short call that never says whose it is (as most passages of a call do not): two
    of these differ only in their numbers, so only their file names tell them apart."""
    return (
        f"Chief Financial Officer: Our revenue grew {growth} percent this quarter, and we now "
        f"expect full-year revenue growth of about {growth - 2} percent.\n"
        f"Analyst: What drove the gross margin to {growth + 20} percent?\n"
        f"Chief Financial Officer: A richer product mix and lower freight costs lifted the "
        f"gross margin by {growth % 7 + 1} points.\n"
        f"Analyst: How much cash do you hold?\n"
        f"Chief Financial Officer: We ended the quarter with {growth * 10} million dollars.\n"
    )
