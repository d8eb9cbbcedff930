import pytest

from rag.decoding import DecodeError, decode

TEXT = "Jane Doe: 收入增长了 15%.\r\nJohn: Thanks."


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        b"\xef\xbb\xbf" + TEXT.encode("utf-8"),
        TEXT.encode("utf-16"),
        TEXT.encode("utf-16-le"),
        TEXT.encode("gb18030"),
    ],
    ids=["utf8", "utf8-bom", "utf16-bom", "utf16le-no-bom", "gb18030"],
)
def test_accepted_encodings_give_the_same_text(data: bytes) -> None:
    assert decode(data) == TEXT


@pytest.mark.parametrize(
    "data,reason",
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20, "binary"),
        (b"   \n ", "no text"),
    ],
)
def test_rejected_input_says_why(data: bytes, reason: str) -> None:
    with pytest.raises(DecodeError, match=reason):
        decode(data)
