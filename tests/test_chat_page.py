"""The chat page in a real browser against a real server: most users meet the product here.

Debian's chromium is driven by Playwright; every request other than to the local
server is refused (see tests/browser.py).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from rag.engine import Engine
from rag.settings import Settings
from tests.browser import chromium_path, launch, local_context
from tests.conftest import DATA, Server, start_server

pytestmark = pytest.mark.skipif(chromium_path() is None, reason="needs chromium on PATH")

STATIC = Path(__file__).resolve().parent.parent / "api" / "static"
CHAT_DATA = DATA / "chat"
LIGHTHOUSE = CHAT_DATA / "harbor-lighthouse-sync.txt"
ORCHARD = CHAT_DATA / "orchard-cooperative-call.txt"
BUBBLE_QUESTION = "What did they say about an AI bubble?"
BUBBLE_PASSAGE = "no indication of an AI bubble"
HOSTILE_MARKUP = "<script>alert(1)</script><img src=x onerror=alert(1)>"
HOSTILE_NAME = "vault<img src=x onerror=alert(2)>.txt"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02" + bytes(
    range(256)
)
SLOW = 120_000  # ms: asking, uploading and rebuilding embed text on the CPU


def hostile_transcript() -> str:
    return (
        "Vault caretaker handover\n"
        "会议摘要\n"
        "The caretaker handed over the keys to the old bank vault on the harbour front today.\n"
        "会议速览\n"
        "Vault keys and the combination\n"
        f"The caretaker read out the vault combination note, which said {HOSTILE_MARKUP} "
        "and then locked the vault again.\n"
        "要点回答\n"
        "Q:What did the vault combination note say?\n"
        f"A:The vault combination note said {HOSTILE_MARKUP} according to the caretaker.\n"
    )


def doomed_transcript() -> str:
    """Shaped like the lighthouse file but about other things, so it never answers for it."""
    text = LIGHTHOUSE.read_text(encoding="utf-8")
    for old, new in (("Harbor", "Cliffside"), ("Fresnel lens", "bell"), ("glassworks", "foundry")):
        text = text.replace(old, new)
    return text


@dataclass
class Session:
    page: Page
    dialogs: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[..., Session]]:
    """Opens the chat page of a server in a fresh context; notes dialogs and stray requests."""
    contexts = []

    def open_(server: Server, **options: Any) -> Session:
        session = Session(page=None)  # type: ignore[arg-type]
        context = local_context(browser, server.url, session.blocked, **options)
        contexts.append(context)
        page = context.new_page()
        session.page = page

        def on_dialog(dialog: Any) -> None:
            session.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on(
            "console",
            lambda m: session.console_errors.append(m.text) if m.type == "error" else None,
        )
        page.goto("/", timeout=30_000)
        return session

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def writable_server(
    seed_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A copy of the seed index plus a hostile and a disposable transcript, for tests that write."""
    data_dir = tmp_path_factory.mktemp("chat-page") / "data"
    shutil.copytree(seed_data_dir, data_dir)
    engine = Engine(Settings(data_dir=data_dir))
    engine.add_text(HOSTILE_NAME, hostile_transcript())
    engine.add_text("cliffside-doomed.txt", doomed_transcript())
    server = start_server(data_dir)
    yield server
    server.stop()


def ask(page: Page, question: str) -> None:
    box = page.locator("#question")
    box.fill(question)
    box.press("Enter")


def api_answers(server: Server, question: str) -> dict[str, Any]:
    response = httpx.post(server.url + "/ask", json={"question": question}, timeout=60)
    response.raise_for_status()
    return response.json()


def is_upload(response: Any) -> bool:
    return response.request.method == "POST" and response.url.endswith("/transcripts")


def in_scrolled_view(page: Page, selector: str, container: str) -> bool:
    """True when the element is inside both the window and its scrolling container."""
    return page.evaluate(
        """([sel, box]) => {
            const r = document.querySelector(sel).getBoundingClientRect();
            const c = document.querySelector(box).getBoundingClientRect();
            const visible = (a, b) => a.bottom > b.top && a.top < b.bottom;
            return r.height > 0 && visible(r, c) && r.top < window.innerHeight && r.bottom > 0;
        }""",
        [selector, container],
    )


# ---------- static checks: what the Content-Security-Policy demands ----------


def test_static_files_have_no_inline_code_or_html_sinks() -> None:
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    script = (STATIC / "app.js").read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler"
    assert not re.search(r"\sstyle\s*=", html), "style attribute"
    assert not re.search(r"https?://", html + script), "fetches from the network"
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink


def test_page_is_served_with_a_strict_policy(seed_server: Server) -> None:
    page = httpx.get(seed_server.url + "/", timeout=10)
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for asset in ("/static/app.js", "/static/style.css"):
        assert httpx.get(seed_server.url + asset, timeout=10).status_code == 200


# ---------- asking ----------


def test_ask_shows_a_cited_passage(seed_server: Server, open_page: Callable[..., Session]) -> None:
    session = open_page(seed_server)
    page = session.page
    expect(page.locator("#transcript-list .transcript")).to_have_count(1)
    with page.expect_response("**/ask", timeout=SLOW) as answered:
        ask(page, BUBBLE_QUESTION)
    expect(page.locator(".message.question").last).to_have_text(BUBBLE_QUESTION)
    card = page.locator(".answer", has_text=BUBBLE_PASSAGE).first
    expect(card).to_be_visible()
    result = answered.value.json()
    answer = next(a for a in result["answers"] if BUBBLE_PASSAGE in a["text"])
    citation = answer["citation"]
    expect(card.locator(".source")).to_have_text(citation["transcript"])
    expect(card.locator(".passage")).to_have_text(answer["text"])
    expect(card.locator(".span")).to_have_text(f"[{citation['start']}, {citation['end']})")
    if citation.get("question"):
        expect(card.locator(".qa-question")).to_contain_text(citation["question"])
    if answer.get("highlight"):
        h = answer["highlight"]
        marked = answer["text"][h["start"] - citation["start"] : h["end"] - citation["start"]]
        expect(card.locator(".passage mark")).to_have_text(marked)
        assert "bubble" in marked.lower()
    else:
        expect(card.locator(".passage mark")).to_have_count(0)
    if "confidence" in answer:
        expect(card.locator(".score")).to_contain_text("confidence")
    else:
        expect(card.locator(".score")).to_have_text(f"score {answer['score']:.2f}")
    assert session.dialogs == []
    assert session.blocked == []
    assert session.console_errors == [], "a CSP violation or script error"


def test_citation_opens_the_transcript_at_the_span(
    seed_server: Server, open_page: Callable[..., Session]
) -> None:
    session = open_page(
        seed_server,
        permissions=["clipboard-read", "clipboard-write"],
        viewport={"width": 1280, "height": 760},
    )
    page = session.page
    with page.expect_response("**/ask", timeout=SLOW) as answered:
        ask(page, BUBBLE_QUESTION)
    answer = next(a for a in answered.value.json()["answers"] if BUBBLE_PASSAGE in a["text"])
    citation = answer["citation"]
    card = page.locator(".answer", has_text=BUBBLE_PASSAGE).first
    card.locator(".source").click()

    expect(page.locator("#viewer")).to_be_visible()
    expect(page.locator("#library")).to_be_hidden()
    expect(page.locator("#viewer-title")).to_have_text(citation["transcript"])
    cited = page.locator("#viewer-text mark.cite")
    expect(cited).to_have_text(answer["text"])
    expect(cited).to_be_in_viewport()
    assert in_scrolled_view(page, "#viewer-text mark.cite", "#viewer-text")
    full = page.locator("#viewer-text").text_content() or ""
    assert full[citation["start"] : citation["end"]] == answer["text"]
    if answer.get("highlight"):
        h = answer["highlight"]
        expect(cited.locator("mark.hl")).to_have_text(full[h["start"] : h["end"]])

    page.locator("#viewer-copy").click()
    expect(page.locator("#viewer-copy")).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"{citation['transcript']} [{citation['start']}, {citation['end']})"

    page.locator("#viewer-close").click()
    expect(page.locator("#library")).to_be_visible()


def test_highlight_times_confidence_and_copy_from_a_card(
    seed_server: Server, open_page: Callable[..., Session]
) -> None:
    """Fields the seed has none of (subtitle times, speakers' roles), fed in."""
    real = api_answers(seed_server, BUBBLE_QUESTION)
    answer = next(a for a in real["answers"] if BUBBLE_PASSAGE in a["text"])
    c = answer["citation"]
    offset = answer["text"].index(BUBBLE_PASSAGE)
    answer["highlight"] = {
        "start": c["start"] + offset,
        "end": c["start"] + offset + len(BUBBLE_PASSAGE),
    }
    answer["confidence"] = 0.83
    c.update(start_time=62.4, end_time=69.0, speaker="Eddie Wu", roles=["Chief Executive Officer"])
    body = {"question": BUBBLE_QUESTION, "answerable": True, "answers": [answer], "took_ms": 12}

    session = open_page(seed_server, permissions=["clipboard-read", "clipboard-write"])
    page = session.page
    page.route("**/ask", lambda route: route.fulfill(json=body))
    ask(page, BUBBLE_QUESTION)
    card = page.locator(".answer").first
    expect(card.locator(".passage mark.hl")).to_have_text(BUBBLE_PASSAGE)
    expect(card.locator(".time")).to_have_text("01:02–01:09")
    expect(card.locator(".where")).to_have_text("Eddie Wu · Chief Executive Officer")
    expect(card.locator(".score")).to_have_text("83% confidence")
    card.locator(".copy").click()
    expect(card.locator(".copy")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == (
        f"{c['transcript']} [{c['start']}, {c['end']}) 00:01:02–00:01:09"
    )

    card.locator(".cite").click()
    strong = page.locator("#viewer-text mark.cite mark.hl")
    expect(strong).to_have_text(BUBBLE_PASSAGE)
    expect(strong).to_be_in_viewport()


def test_unanswerable_question_says_so_and_dims_the_closest(
    seed_server: Server, open_page: Callable[..., Session]
) -> None:
    real = api_answers(seed_server, "What is the weather on Mars?")
    body = {**real, "answerable": False}
    session = open_page(seed_server)
    page = session.page
    page.route("**/ask", lambda route: route.fulfill(json=body))
    ask(page, "What is the weather on Mars?")
    expect(page.locator(".not-found")).to_contain_text("Not in the transcripts")
    expect(page.locator(".closest .answer")).to_have_count(len(real["answers"]))


@pytest.mark.parametrize(
    ("status", "detail", "shown"),
    [
        (
            422,
            [{"loc": ["body", "question"], "msg": "String should have at least 1 character"}],
            "String should have at least 1 character",
        ),
        (503, "no index in data: build one with `rag index build`", "no index in data"),
    ],
)
def test_errors_are_shown_in_words(
    seed_server: Server,
    open_page: Callable[..., Session],
    status: int,
    detail: object,
    shown: str,
) -> None:
    page = open_page(seed_server).page
    page.route("**/ask", lambda route: route.fulfill(status=status, json={"detail": detail}))
    ask(page, "Anything?")
    expect(page.locator(".message.error")).to_contain_text(shown)
    expect(page.locator("#send")).to_be_enabled()


def test_shift_enter_adds_a_line_and_enter_sends(
    seed_server: Server, open_page: Callable[..., Session]
) -> None:
    page = open_page(seed_server).page
    box = page.locator("#question")
    box.click()
    box.press_sequentially("What about the")
    box.press("Shift+Enter")
    box.press_sequentially("AI bubble?")
    expect(box).to_have_value("What about the\nAI bubble?")
    expect(page.locator(".message.question")).to_have_count(0)
    box.press("Enter")
    expect(page.locator(".message.question")).to_have_text("What about the\nAI bubble?")
    expect(box).to_have_value("")
    expect(page.locator(".answer").first).to_be_visible(timeout=SLOW)


def test_chinese_question_gets_cited_answers(
    seed_server: Server, open_page: Callable[..., Session]
) -> None:
    page = open_page(seed_server).page
    ask(page, "关于AI泡沫，他们怎么说？")
    expect(page.locator(".message.question")).to_have_text("关于AI泡沫，他们怎么说？")
    expect(page.locator(".answer").first).to_be_visible(timeout=SLOW)


def test_api_key_is_asked_once_kept_and_sent(
    seed_server: Server, open_page: Callable[..., Session]
) -> None:
    """A 401 opens the key form; the key then rides on every request from this tab."""
    session = open_page(seed_server)
    page = session.page
    seen: list[str | None] = []

    def gate(route: Route) -> None:
        auth = route.request.headers.get("authorization")
        seen.append(auth)
        if auth == "Bearer sesame":
            route.fallback()
        else:
            route.fulfill(status=401, json={"detail": "missing or invalid API key"})

    page.route(re.compile(r".*/(ask|transcripts|health|index).*"), gate)
    page.reload()
    dialog = page.locator("#key-dialog")
    expect(dialog).to_be_visible()
    page.locator("#key-input").fill("wrong")
    page.locator("#key-input").press("Enter")
    expect(page.locator("#key-message")).to_contain_text("not accepted")
    page.locator("#key-input").fill("sesame")
    page.locator("#key-dialog button[type=submit]").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#transcript-list .transcript")).to_have_count(1)
    assert page.evaluate("sessionStorage.getItem('transcript-qa.api-key')") == "sesame"

    seen.clear()
    ask(page, BUBBLE_QUESTION)
    expect(page.locator(".answer").first).to_be_visible(timeout=SLOW)
    expect(dialog).to_be_hidden()
    assert seen and all(a == "Bearer sesame" for a in seen)
    assert session.dialogs == []


# ---------- hostile content ----------


def test_transcript_markup_renders_as_inert_text(
    writable_server: Server, open_page: Callable[..., Session]
) -> None:
    session = open_page(writable_server)
    page = session.page
    row = page.locator("#transcript-list .transcript", has_text=HOSTILE_NAME)
    expect(row.locator(".name")).to_have_text(HOSTILE_NAME)
    ask(page, "What did the vault combination note say?")
    card = page.locator(".answer", has_text=HOSTILE_MARKUP).first
    expect(card).to_be_visible(timeout=SLOW)
    expect(card.locator(".source")).to_have_text(HOSTILE_NAME)
    card.locator(".source").click()
    expect(page.locator("#viewer-text mark.cite")).to_contain_text(HOSTILE_MARKUP)
    expect(page.locator("#viewer-title")).to_have_text(HOSTILE_NAME)
    page.wait_for_timeout(500)
    assert page.locator("main img, main script").count() == 0
    assert session.dialogs == []


# ---------- transcripts: upload, filter, delete, rebuild ----------


def test_upload_by_button_then_ask_what_only_it_knows(
    writable_server: Server, open_page: Callable[..., Session]
) -> None:
    page = open_page(writable_server).page
    expect(page.locator("#transcript-list .transcript").first).to_be_visible()
    page.locator("#file-input").set_input_files(str(LIGHTHOUSE))
    status = page.locator("#upload-status li", has_text=LIGHTHOUSE.name)
    expect(status).to_have_class("ok", timeout=SLOW)
    row = page.locator("#transcript-list .transcript", has_text=LIGHTHOUSE.name)
    expect(row).to_be_visible()

    ask(page, "How will the Fresnel lens reach the glassworks?")
    card = page.locator(".answer").first
    expect(card).to_be_visible(timeout=SLOW)
    expect(card.locator(".source")).to_have_text(LIGHTHOUSE.name)
    expect(card.locator(".passage")).to_contain_text("coastal ferry")

    page.locator("#select-all").uncheck()
    row.locator("input[type=checkbox]").check()
    expect(page.locator("#scope")).to_contain_text("Searching 1 of")
    with page.expect_request("**/ask") as sent:
        ask(page, BUBBLE_QUESTION)
    assert sent.value.post_data_json["transcript_ids"] == [int(row.get_attribute("data-id"))]
    expect(page.locator(".message.reply").last).not_to_have_class(
        re.compile("loading"), timeout=SLOW
    )
    page.locator("#select-all").check()
    with page.expect_request("**/ask") as sent:
        ask(page, BUBBLE_QUESTION)
    assert "transcript_ids" not in sent.value.post_data_json


def test_a_rejected_file_shows_the_api_message(
    writable_server: Server, open_page: Callable[..., Session]
) -> None:
    page = open_page(writable_server).page
    with page.expect_response(is_upload, timeout=SLOW) as answered:
        page.locator("#file-input").set_input_files(
            {"name": "logo.png", "mimeType": "image/png", "buffer": PNG_BYTES}
        )
    response = answered.value
    assert response.status >= 400
    detail = response.json()["errors"][0]["detail"]
    status = page.locator("#upload-status li", has_text="logo.png")
    expect(status).to_have_class("failed")
    expect(status.locator(".file-state")).to_have_text(detail)


def test_dropping_several_files_uploads_them_in_one_request(
    writable_server: Server, open_page: Callable[..., Session]
) -> None:
    page = open_page(writable_server).page
    posts: list[str] = []
    page.on(
        "request",
        lambda r: posts.append(r.url) if r.method == "POST" and "/transcripts" in r.url else None,
    )
    with page.expect_response(is_upload, timeout=SLOW) as answered:
        page.evaluate(
            """([name, text, bytes]) => {
                const dt = new DataTransfer();
                dt.items.add(new File([text], name, {type: "text/plain"}));
                dt.items.add(new File([new Uint8Array(bytes)], "photo.png", {type: "image/png"}));
                const zone = document.getElementById("dropzone");
                zone.dispatchEvent(new DragEvent("dragenter", {dataTransfer: dt, bubbles: true}));
                zone.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true}));
            }""",
            [ORCHARD.name, ORCHARD.read_text(encoding="utf-8"), list(PNG_BYTES)],
        )
    body = answered.value.json()
    assert len(posts) == 1
    [error] = body["errors"]
    expect(page.locator("#upload-status li", has_text=ORCHARD.name)).to_have_class("ok")
    rejected = page.locator("#upload-status li", has_text="photo.png")
    expect(rejected).to_have_class("failed")
    expect(rejected.locator(".file-state")).to_have_text(error["detail"])
    expect(page.locator("#transcript-list .transcript", has_text=ORCHARD.name)).to_be_visible()


def test_delete_asks_for_confirmation(
    writable_server: Server, open_page: Callable[..., Session]
) -> None:
    page = open_page(writable_server).page
    row = page.locator("#transcript-list .transcript", has_text="cliffside-doomed.txt")
    row.get_by_role("button", name="Delete cliffside-doomed.txt").click()
    expect(row.locator(".confirm-text")).to_be_visible()
    row.get_by_role("button", name="Cancel").click()
    expect(row.locator(".confirm-text")).to_have_count(0)

    row.get_by_role("button", name="Delete cliffside-doomed.txt").click()
    with page.expect_response(lambda r: r.request.method == "DELETE") as deleted:
        row.locator(".confirm-yes").click()
    assert deleted.value.status == 204
    expect(row).to_have_count(0)
    names = [t["name"] for t in httpx.get(writable_server.url + "/transcripts").json()]
    assert "cliffside-doomed.txt" not in names


def test_rebuild_progress_reaches_done_while_asking_still_works(
    writable_server: Server, open_page: Callable[..., Session]
) -> None:
    page = open_page(writable_server).page
    polls: list[dict[str, Any]] = []

    def note(response: Any) -> None:
        if "/index/jobs/" in response.url:
            polls.append(json.loads(response.text()))

    page.on("response", note)
    with page.expect_response("**/index/rebuild") as started:
        page.locator("#rebuild").click()
    assert started.value.status == 202
    expect(page.locator("#rebuild")).to_be_disabled()
    ask(page, BUBBLE_QUESTION)

    status = page.locator("#rebuild-status")
    expect(status).to_have_attribute("data-state", "done", timeout=SLOW)
    expect(page.locator("#rebuild-text")).to_have_text("Index rebuilt")
    assert page.evaluate("document.getElementById('rebuild-fill').style.width") == "100%"
    expect(page.locator("#rebuild")).to_be_enabled()
    assert polls and polls[-1]["state"] == "done"
    expect(page.locator(".answer").first).to_be_visible(timeout=SLOW)


# ---------- small screens ----------


def test_phone_sized_window_shows_the_question_box(
    seed_server: Server, open_page: Callable[..., Session]
) -> None:
    page = open_page(seed_server, viewport={"width": 390, "height": 844}).page
    expect(page.locator("#question")).to_be_in_viewport()
    expect(page.locator("#send")).to_be_in_viewport()
    chat = page.locator(".chat").bounding_box()
    side = page.locator(".side").bounding_box()
    assert chat and side and side["y"] >= chat["y"] + chat["height"], "panel stacks below"
    ask(page, BUBBLE_QUESTION)
    expect(page.locator(".answer").first).to_be_visible(timeout=SLOW)
    expect(page.locator("#question")).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
