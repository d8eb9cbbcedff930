"""Chromium for the browser tests and the README screenshot.

Playwright's own browser download is unavailable here, so Debian's chromium is driven
instead, and every request that is not for the local server is refused.
"""

from __future__ import annotations

import shutil

from playwright.sync_api import Browser, BrowserContext, Playwright, Route

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def launch(playwright: Playwright) -> Browser:
    path = chromium_path()
    if path is None:
        raise RuntimeError("no chromium on PATH")
    return playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, timeout=60_000)


def local_context(
    browser: Browser, base_url: str, blocked: list[str] | None = None, **options: object
) -> BrowserContext:
    """A context that talks to ``base_url`` only; anything else is aborted and noted."""
    context = browser.new_context(base_url=base_url, **options)
    context.set_default_timeout(15_000)

    def guard(route: Route) -> None:
        url = route.request.url
        if url.startswith(base_url + "/") or url.startswith("data:"):
            route.fallback()
        else:
            if blocked is not None:
                blocked.append(url)
            route.abort()

    context.route("**/*", guard)
    return context
