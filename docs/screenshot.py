"""Take docs/screenshot.png: the chat answering an example question, first source opened.

Usage: HF_HUB_OFFLINE=1 .venv/bin/python docs/screenshot.py
Uses the same headless Debian chromium as the browser tests, on a temporary copy of corpus/.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from chatbot.app import launch  # noqa: E402
from chatbot.pipeline import Chatbot  # noqa: E402
from chatbot.settings import load_settings  # noqa: E402
from tests.conftest import free_port  # noqa: E402
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, click_example  # noqa: E402


def main() -> None:
    root = Path(tempfile.mkdtemp())
    shutil.copytree(REPO / "corpus", root / "corpus")
    bot = Chatbot(load_settings(corpus=root / "corpus", index=root / "index", port=free_port()))
    bot.build(progress=False)
    bot.ask(bot.settings.example_questions[0])
    demo = launch(bot, block=False)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 1000})
        page.set_default_timeout(120_000)
        page.goto(f"http://127.0.0.1:{bot.settings.port}/")
        expect(page.locator("#chat")).to_be_visible()
        click_example(page, bot.settings.example_questions[0])
        page.locator("#ask").click()
        expect(page.locator("#chat .index-version")).to_have_count(1)
        page.locator("#chat details.source summary").first.click()
        page.wait_for_timeout(500)
        page.screenshot(path=str(REPO / "docs" / "screenshot.png"), full_page=True)
        browser.close()
    demo.close()


if __name__ == "__main__":
    main()
