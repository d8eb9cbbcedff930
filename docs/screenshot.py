"""Render docs/chat.png: the chat page with an answer and its transcript open.

Builds a throwaway index of seeds/, serves it on 127.0.0.1 and drives Debian's chromium.
Run from the repository root:  HF_HUB_OFFLINE=1 .venv/bin/python docs/screenshot.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from rag.engine import Engine  # noqa: E402
from rag.settings import Settings  # noqa: E402
from tests.browser import launch, local_context  # noqa: E402
from tests.conftest import SEEDS, start_server  # noqa: E402

OUT = ROOT / "docs" / "chat.png"
QUESTION = "What did they say about an AI bubble?"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        Engine(Settings(data_dir=data_dir)).build([SEEDS])
        server = start_server(data_dir)
        try:
            with sync_playwright() as playwright:
                browser = launch(playwright)
                context = local_context(
                    browser, server.url, viewport={"width": 1360, "height": 820}
                )
                page = context.new_page()
                page.goto("/")
                page.locator("#question").fill(QUESTION)
                page.locator("#question").press("Enter")
                page.locator(".answer").first.wait_for()
                page.locator(".answer .source").first.click()
                page.locator("#cited-span").wait_for()
                page.wait_for_timeout(300)
                page.screenshot(path=str(OUT))
                browser.close()
        finally:
            server.stop()
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
