"""The demo page's call button in headless Chromium: a demo customer phones the store from the browser (the
microphone is a WAV file of the caller asking where their order is, Chromium's fake capture device), and the page
shows the call's words as they go: the caller's question with the order id, and the bot's answer with that order's
status. Then the caller hangs up."""

from __future__ import annotations

import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.browser import CHROMIUM_ARGS, TIMEOUT_MS, Page, chromium_executable
from tests.voice.speech import voices
from voice.resample import resample, to_int16
from voice.text import speakable

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
TAKEN = {f"C0000{i}" for i in range(1, 7)}  # the other e2e modules' customers


def caller_wav(path: Path, text: str) -> Path:
    """`text` said by the bundled English voice, as a 16 kHz mono WAV with a little silence around it."""
    speech = voices()["en"].synthesize(speakable(text, "en"), "en")
    pcm = to_int16(resample(speech.pcm, speech.sample_rate, 16000))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(bytes(2 * 16000) + pcm.tobytes() + bytes(2 * 16000 * 3))
    return path


@pytest.fixture
def caller(live_server: str, tmp_path: Path) -> Iterator[tuple[Page, str]]:
    """The demo page in a Chromium whose microphone says "Where is my order …?" once, for an English demo
    customer's order (one no other e2e module talks as)."""
    import httpx
    from playwright.sync_api import sync_playwright

    customers = httpx.get(f"{live_server}/api/demo/customers?limit=12", timeout=10).json()
    customer = next(c for c in customers if c["language"] == "en" and c["customer_id"] not in TAKEN and c["orders"])
    order_id = customer["orders"][0]["order_id"]
    wav = caller_wav(tmp_path / "caller.wav", f"Hi, where is my order {order_id}?")
    args = [*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}%noloop", "--autoplay-policy=no-user-gesture-required"]
    executable = chromium_executable()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=args)
        page = Page(browser, live_server)
        try:
            page.context.grant_permissions(["microphone"], origin=live_server)
            page.page.goto(f"{live_server}/?lang=en")
            page.page.click(f'.cust[data-customer-id="{customer["customer_id"]}"]')
            yield page, order_id
        finally:
            page.close()
            browser.close()


def test_a_customer_calls_from_the_demo_page_and_sees_the_call_transcribed_and_answered(
        caller: tuple[Page, str]) -> None:
    shop, order_id = caller
    page = shop.page
    button = page.locator('[data-testid="call-button"]')
    assert button.inner_text() == "Call"
    button.click()
    page.wait_for_selector('[data-testid="call-status"]:has-text("On the line")', timeout=TIMEOUT_MS)
    assert button.inner_text() == "Hang up"
    said = page.locator('[data-testid="call-log"] li[data-who="caller"]')
    said.filter(has_text=order_id).first.wait_for(timeout=120_000)  # the question, transcribed with its id
    answer = page.locator('[data-testid="call-log"] li[data-who="bot"]').filter(has_text=order_id).first
    answer.wait_for(timeout=120_000)
    assert any(w in answer.inner_text().lower() for w in ("shipped", "delivered", "transit", "paid", "status"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "demo-call.png"))
    button.click()  # hang up
    page.wait_for_selector('[data-testid="call-status"]:has-text("Call ended")', timeout=TIMEOUT_MS)
    assert button.inner_text() == "Call"
    assert not shop.errors, shop.errors
