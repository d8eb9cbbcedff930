"""The README documents every setting, so the docs cannot drift from the code."""

from rag.settings import Settings
from tests.conftest import ROOT


def test_readme_lists_every_setting() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [n for n in Settings.model_fields if f"`RAG_{n.upper()}`" not in readme]
    assert missing == []
