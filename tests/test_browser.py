"""The chat page in a real headless Chromium (Debian's package), driven by Playwright."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from chatbot.app import launch
from chatbot.pipeline import Chatbot
from tests.conftest import free_port

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
# Chromium flags for a container: no sandbox (we run as root), no GPU, nothing phoning home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).parent / "artifacts"
# Milliseconds to wait for an answer: generous, the two CPU cores are shared with other work.
ANSWER_MS = 60_000
EXAMPLE = "What was the GDP of Liangjiang New Area in 2020?"
# Clicks on an example before the page's scripts are ready do nothing: retry, waiting this long.
EXAMPLE_CLICKS = 3
EXAMPLE_WAIT_MS = 10_000
HOSTILE_DOC = (
    "Zebra Robotics Fund\n\n"
    "The Zebra Robotics Fund in Liangjiang invests 42 billion yuan in industrial robots. "
    "<script>alert('xss-script')</script> <img src=x onerror=\"alert('xss-img')\"> "
    "[click](javascript:alert('xss-link')) The fund was set up in 2024.\n"
)

if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed: run `make browser`.", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def server(copy_of_bundled, encoder) -> Iterator[str]:
    """The chat over the bundled corpus plus a document full of markup, on a free local port."""
    settings = copy_of_bundled("browser", port=free_port())
    (settings.corpus / "zebra fund 斑马.txt").write_text(HOSTILE_DOC, encoding="utf-8")
    bot = Chatbot(settings, encoder)
    bot.build(progress=False)
    bot.ask(EXAMPLE)  # warm up: the first question loads the index and its lexical aids
    demo = launch(bot, block=False)
    yield f"http://127.0.0.1:{settings.port}/"
    demo.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser: Browser, server: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh page on the chat; a screenshot lands in tests/artifacts/ if the test fails."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs  # type: ignore[attr-defined]
    page.set_default_timeout(ANSWER_MS)
    page.goto(server)
    expect(page.locator("#chat")).to_be_visible()
    with _screenshot_on_failure(page, request.node.name):
        yield page
    context.close()


@contextmanager
def _screenshot_on_failure(page: Page, name: str) -> Iterator[None]:
    try:
        yield
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        safe = re.sub(r"[^\w.-]", "_", name)
        page.screenshot(path=str(ARTIFACTS / f"{safe}.png"), full_page=True)
        raise


def _ask(page: Page, question: str) -> None:
    """Type a question, send it and wait until its answer (with its index note) is complete."""
    before = page.locator("#chat .index-version").count()
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()
    expect(page.locator("#chat .index-version")).to_have_count(before + 1)


def _last_answer(page: Page) -> str:
    return page.locator("#chat [data-testid='bot']").last.inner_text()


def click_example(page: Page, text: str) -> None:
    """Click an example question until it fills the box (a click before hydration is lost)."""
    for _ in range(EXAMPLE_CLICKS - 1):
        page.get_by_text(text).click()
        try:
            expect(page.locator("#question textarea")).to_have_value(text, timeout=EXAMPLE_WAIT_MS)
            return
        except AssertionError:
            continue
    page.get_by_text(text).click()
    expect(page.locator("#question textarea")).to_have_value(text)


def test_example_question_streams_a_cited_answer_and_follow_ups_work(page):
    click_example(page, EXAMPLE)
    page.locator("#ask").click()
    # The question shows at once with a placeholder, then the answer replaces it.
    expect(page.locator("#chat [data-testid='user']").first).to_contain_text(EXAMPLE)
    expect(page.locator("#chat .index-version")).to_have_count(1)
    answer = page.locator("#chat [data-testid='bot']").first.inner_text()
    assert "367.5 billion" in answer and "[1]" in answer
    expect(page.locator("#chat")).to_contain_text("Answered from index version")

    source = page.locator("#chat details.source").first
    expect(source.locator("mark.support")).not_to_be_visible()
    source.locator("summary").click()
    expect(source.locator("mark.support")).to_be_visible()
    expect(source.locator("mark.support")).to_contain_text("367.5 billion")
    expect(source.locator("summary")).to_contain_text("[1]")
    expect(page.get_by_role("button", name="Copy message").first).to_be_visible()

    _ask(page, "How many Fortune 500 enterprises has it attracted?")
    # The follow-up names no subject: the earlier question supplies it, and the passage says "160".
    assert "160" in (page.locator("#chat .sources").last.text_content() or "")

    _ask(page, "What is the minimum wage in Chongqing?")
    expect(page.locator("#chat [data-testid='bot']").nth(-2)).to_contain_text("The documents don't say")
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_markup_from_a_document_shows_as_text_and_never_runs(page):
    _ask(page, "How much does the Zebra Robotics Fund invest in industrial robots?")
    sources = page.locator("#chat .sources").last
    sources.locator("details.source summary").first.click()
    passage = sources.locator("blockquote.passage").first
    expect(passage).to_contain_text("<script>alert('xss-script')</script>")
    expect(passage).to_contain_text("<img src=x onerror=")
    expect(passage).to_contain_text("[click](javascript:")
    expect(sources).to_contain_text("zebra fund 斑马.txt")
    counts = page.evaluate(
        "() => ({scripts: document.querySelectorAll('#chat script').length,"
        " imgs: document.querySelectorAll('#chat img[src=\"x\"]').length,"
        " links: document.querySelectorAll('#chat a[href^=\"javascript\"]').length})"
    )
    assert counts == {"scripts": 0, "imgs": 0, "links": 0}
    page.wait_for_timeout(300)  # give an injected handler the chance to fire before we look
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_empty_and_over_long_questions_get_a_clear_message(page):
    page.locator("#ask").click()
    expect(page.get_by_text("Please type a question.")).to_be_visible()
    page.locator("#question textarea").fill("why " * 400)
    page.locator("#ask").click()
    expect(page.get_by_text(re.compile(r"please keep it under"))).to_be_visible()
    expect(page.locator("#question textarea")).to_have_value(re.compile("^why why"))  # nothing lost
    expect(page.locator("#chat [data-testid='user']")).to_have_count(0)


def test_rebuild_button_reports_the_result(page):
    page.get_by_text("Index", exact=True).click()
    page.get_by_role("button", name="Rebuild index").click()
    expect(page.locator("#rebuild-status")).to_contain_text(re.compile(r"up to date|Rebuilt"))
    expect(page.locator("#rebuild-status")).to_contain_text("0 removed")
    expect(page.locator("#index-note")).to_contain_text("Live index version")


def test_phone_width_window_is_usable(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(ANSWER_MS)
    page.goto(server)
    with _screenshot_on_failure(page, "phone"):
        expect(page.locator("#ask")).to_be_visible()
        _ask(page, EXAMPLE)
        expect(page.locator("#chat .sources").first).to_be_visible()
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390  # no sideways scrolling
        box = page.locator("#question textarea").bounding_box()
        assert box is not None and box["width"] > 200
    context.close()
