"""English senses for Chinese question words, from CC-CEDICT."""

from __future__ import annotations

from rag.lexical import tokenize
from rag.translation import (
    chinese_senses,
    chinese_words,
    company_names,
    dictionary,
    english_terms,
    gloss,
    keyword_query,
    names,
    passage_gloss,
    with_names,
    word_senses,
)


def test_words_are_the_longest_dictionary_matches() -> None:
    words = chinese_words("阿里巴巴的资本开支计划是多少？")
    assert words[0] == "阿里巴巴"
    assert {"资本", "开支", "计划"} <= set(words)


def test_words_the_dictionary_writes_only_with_cross_references_are_known() -> None:
    known = dictionary()
    assert known["世界"] == (("world",),)  # "world (CL:個|个[ge4])"
    assert known["湖北"] == (("Hubei Province in central China",),)
    assert known["中共"] == (("Chinese Communist Party",),)  # "abbr. for 中國共產黨|...[...], ..."
    assert chinese_words("欧洲和亚洲") == ["欧洲", "和", "亚洲"]


def test_a_word_that_respells_another_reads_as_that_word() -> None:
    known = dictionary()
    assert known["纪录"] == known["记录"]  # "variant of 記錄|记录[ji4 lu4]"
    assert known["B格"] == known["逼格"]  # the whole word, not its last character 格
    assert chinese_words("销售纪录") == ["销售", "纪录"]


def test_content_words_bring_their_english_senses_and_stop_words_none() -> None:
    terms = set(tokenize(english_terms("阿里巴巴的资本开支计划是多少？")))
    assert {"alibaba", "capit", "expenditur", "plan"} <= terms
    assert not {"correct", "true", "much"} & terms  # 是 and 多少 are stop words


def test_questions_without_chinese_are_left_alone() -> None:
    assert english_terms("What is the capex plan?") == ""
    assert keyword_query("What is the capex plan?") == "What is the capex plan?"
    mixed = keyword_query("千问 users?")
    assert mixed.startswith("千问 users?") and "thousand" in mixed


def test_a_lone_character_brings_the_first_sense_of_each_of_its_entries() -> None:
    assert {"say", "cloud"} <= set(tokenize(english_terms("云")))
    assert "[" not in english_terms("通义千问")  # cross-references to other words are no senses


def test_a_compound_the_dictionary_lacks_reads_as_its_characters_do_inside_words() -> None:
    # 闪购 is no headword; alone 闪 is "to dodge", but 闪光, 闪存 and 闪电 make it "flash".
    senses = dict(word_senses("闪购业务是如何改善的？"))
    assert "flash" in tokenize(senses["闪购"][0]) and "闪" not in senses
    # 元 ends too many kinds of word (状元, 美元, 公元) to read one way: 亿元 stays two.
    assert {"亿", "元"} <= dict(word_senses("总收入2478亿元")).keys()


def test_companies_are_known_by_the_names_the_dictionary_gives_them() -> None:
    found = dict(company_names(word_senses("英伟达和阿里巴巴，还有阿里")))
    assert found["英伟达"] == ["NVIDIA"]
    assert "Alibaba" in found["阿里巴巴"]
    assert "阿里" not in found  # "Ali", a name, but no company's


def test_english_phrases_bring_the_chinese_words_they_translate() -> None:
    found = dict(chinese_senses("How many stores are there in East China?"))
    assert "华东" in found["east china"]  # the phrase, not "east" and "china" apart
    assert "门店" in found["stores"]  # looked up as "store" too
    assert "east" not in found and "china" not in found
    assert not {"are", "there", "in"} & set(found)  # stop words alone bring nothing
    # A verb is looked up without the dictionary's "to" ("to contribute": 贡献).
    assert "贡献" in dict(chinese_senses("What did the dishwasher contribute?"))["contribute"]
    # A phrase does not start with one: "the first" (其一) would hide "first" (第一).
    first = dict(chinese_senses("Where will the first overseas factory open?"))
    assert "第一" in first["first"] and "the first" not in first


def test_words_no_entry_translates_bring_nothing() -> None:
    assert chinese_senses("Zorblax of the") == []
    assert chinese_senses("资本开支") == []


def test_names_are_found_by_the_spelling_the_transcripts_hold() -> None:
    held = {"taobao", "gaode", "cainiao", "wu yongming"}
    found = dict(names("高德、淘宝等内部应用是怎么变现的？", lambda tried: held & set(tried)))
    assert found == {"高德": ["gaode"], "淘宝": ["taobao"]}  # 内部, 应用: no spelling held
    # A dictionary word may be a name too: 菜鸟 is "rookie", and the company "Cainiao".
    assert dict(names("菜鸟", lambda tried: held & set(tried))) == {"菜鸟": ["cainiao"]}
    # The longest name first: "wu yongming", not 吴泳 and 铭 apart.
    assert names("吴泳铭说了什么？", lambda tried: held & set(tried)) == [
        ("吴泳铭", ["wu yongming"])
    ]


def test_nothing_is_a_name_the_transcripts_do_not_spell() -> None:
    assert names("淘宝怎么样？", lambda tried: set()) == []
    assert names("What about Taobao?", lambda tried: set(tried)) == []
    # Pinyin that spells an English word matches English text by accident: 那么 is no "name".
    assert names("那么", lambda tried: set(tried)) == []


def test_a_name_replaces_the_senses_of_its_characters() -> None:
    question = "淘宝的流量"
    words = with_names(word_senses(question), [("淘宝", ["taobao"])])
    assert dict(words) == {"流量": dict(word_senses(question))["流量"], "淘宝": ["taobao"]}


def test_words_are_cut_by_the_longest_match_from_either_end() -> None:
    # Forward alone reads 在建设 as 在建 ("under construction") + 设, 在内部 as 在内 + 部.
    assert "建设" in chinese_words("他们在建设什么？") and "在建" not in chinese_words(
        "他们在建设什么？"
    )
    assert "内部" in chinese_words("在内部是如何使用的？")
    # Between cuts as long, the commoner words: backward alone reads 提到了 as 提 + 到了
    # ("finally"), 增长多快 as 增 + 长多 ("good prospects in the long term") + 快.
    assert "提到" in chinese_words("管理层提到了回购吗？")
    assert "到了" not in chinese_words("管理层提到了回购吗？")
    assert "增长" in chinese_words("阿里云增长多快？")
    assert "长多" not in chinese_words("阿里云增长多快？")
    assert {"阿里巴巴", "资本", "开支", "计划"} <= set(
        chinese_words("阿里巴巴的资本开支计划是多少？")
    )


def test_a_gloss_reads_each_chinese_word_in_its_first_english_sense() -> None:
    question = "淘宝的资本开支 in 2025？"
    words = with_names(word_senses(question), [("淘宝", ["taobao"])])
    glossed = gloss(question, words)
    assert glossed.startswith("taobao capital") and "in 2025" in glossed
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in glossed)
    assert gloss("What about revenue?", []) == "What about revenue?"


def test_a_mostly_chinese_passage_is_read_in_english_and_others_as_they_are() -> None:
    glossed = passage_gloss("华东地区的门店数量达到了二百一十家。")
    assert "East China" in glossed and "store" in glossed
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in glossed)
    mixed = "The company plans to increase consumer粘性 (stickiness)."
    assert passage_gloss(mixed) == mixed
    assert passage_gloss("Cloud revenue grew 34%.") == "Cloud revenue grew 34%."
