"""Small transcripts made up for tests, each with facts no other transcript holds."""

# ruff: noqa: E501  (a transcript's lines are as long as they are)

from __future__ import annotations


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
    """A Chinese quarterly call (~1,500 characters, several chunks), one fact per turn."""
    facts = [
        "本季度营业收入为八亿六千万元，同比增长百分之十四。",
        "新产品洗碗机贡献了一亿二千万元收入，是增长最快的品类。",
        "华东地区的门店数量达到了二百一十家，比上季度多了十八家。",
        "空气净化器受到北方雾霾天气的带动，销量翻了一番。",
        "西北地区的物流中心已经建成，配送时间缩短到两天。",
        "净水器的毛利率提高到百分之三十六，主要因为滤芯成本下降。",
        "扫地机器人在电商渠道的退货率降到了百分之三。",
        "我们计划明年在东南亚开设第一家海外工厂。",
        "研发投入占收入的百分之六，重点是智能家居平台。",
        "董事会批准了一项五亿元的股票回购计划。",
    ]
    speakers = ("王丽华", "陈志远", "主持人")
    lines = ["季度经营会议纪要", ""]
    for turn, fact in enumerate(facts):
        lines.append(f"{speakers[turn % 3]}：{fact}" * 2)
        lines.append("")
    return "\n".join(lines)
