"""Captures the README's screenshots from a running `make run` with its demo stream.

Usage: .venv/bin/python docs/screenshots/capture_demo.py [BASE_URL]
Logs in as the demo reviewer (var/demo-logins.txt) and writes demo-queue.png and demo-case.png.
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
LOGINS = HERE.parent.parent / "var" / "demo-logins.txt"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def main(base="http://127.0.0.1:8000"):
    logins = dict(line.split() for line in LOGINS.read_text().splitlines())
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{base}/accounts/login/")
        page.fill("input[name=username]", "reviewer")
        page.fill("input[name=password]", logins["reviewer"])
        page.click("button[type=submit], input[type=submit]")
        page.wait_for_url(f"{base}/")
        page.screenshot(path=HERE / "demo-queue.png")
        page.keyboard.press("n")
        page.wait_for_url("**/cases/**")
        page.screenshot(path=HERE / "demo-case.png")
        page.keyboard.press("c")
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
