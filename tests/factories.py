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


def executives_call() -> str:
    """A call whose chief executive and chief financial officer both speak of one plant, each
    in a turn of their own, named by role only in the speaker lines and participants list."""
    return """Company Participants

Alex Stone - Chief Executive Officer
Maria Lopez - Chief Financial Officer

Prepared Remarks

Alex Stone -- Chief Executive Officer

Thank you all for joining. The Brno plant is the heart of our plan for Europe. When it opens next spring it will double our European output, bring our robots closer to the grocers and pharmacies we serve, and cut delivery times from six weeks to two. We hired the first two hundred technicians in the region this quarter, and the local college will train the next cohort. Our customers in Germany and Poland have asked for exactly this, and several have already signed orders that the new plant will fill. We also expect the site to become our training centre for service engineers across the continent, which matters as the installed base grows and customers ask for faster repairs and upgrades in their own languages.

Maria Lopez -- Chief Financial Officer

Thanks, Alex. On the numbers, the Brno plant will cost about one hundred and eighty million dollars, spread over two years, and we have spent sixty million of that so far. We fund it from cash on hand, with no new debt. Depreciation will start once production begins, and we expect the plant to lift gross margin by about one point from the second year, as freight and import duties fall away. Operating expenses stay within the range we gave in February, and free cash flow remains positive throughout. We will report the plant's spending as its own line from next quarter, so that investors can follow the construction costs against the budget we set out today, and we will update the full-year outlook in May.
"""


def meeting_transcript() -> str:
    """A design meeting of short turns (one per line, as meetings are), in which the
    harvester's battery is raised and then discussed for longer than one ~110-word window."""
    speakers = ("Project Manager", "Industrial Designer", "Marketing", "User Interface")
    talk = [
        *(f"we should book the room for the workshop on day {d} and order lunch" for d in range(8)),
        "next item is the battery of the kelp harvester, it drains before the shift ends",
        *(
            f"the battery pack could hold {h} more hours if the pump ran slower at the reef"
            for h in range(2, 12)
        ),
        *(
            f"for the launch party we want banners in colour {c} and a small band"
            for c in range(10)
        ),
    ]
    return "".join(f"{speakers[i % 4]}: {line}.\n" for i, line in enumerate(talk))
