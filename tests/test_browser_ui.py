"""The web page in real headless Chromium: type, Generate, a playable result, no external requests.

Needs Debian's ``chromium`` + ``chromium-driver`` and the ``selenium`` package; skipped
with the reason when any is missing (``.ci/run`` installs them).
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
_missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(p)]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(bool(_missing), reason=f"headless browser not installed ({', '.join(_missing)}): "
                                               "apt-get install chromium chromium-driver"),
]
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed (requirements-dev.txt)")
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
SCREENSHOT = Path(__file__).resolve().parent.parent / "outputs" / "ui_screenshot.png"


@pytest.fixture(scope="module")
def browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                 "--disable-dev-shm-usage", "--window-size=1280,1000", "--autoplay-policy=no-user-gesture-required"):
        opts.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="index-tts-chromium-")
    opts.add_argument(f"--user-data-dir={profile}")
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    drv = webdriver.Chrome(service=webdriver.ChromeService(CHROMEDRIVER), options=opts)
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()
    shutil.rmtree(profile, ignore_errors=True)


def request_urls(drv) -> list[str]:
    urls = []
    for entry in drv.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] in ("Network.requestWillBeSent", "Network.webSocketCreated"):
            urls.append(msg["params"].get("request", {}).get("url") or msg["params"].get("url", ""))
    return urls


def test_generate_in_browser_plays_audio_offline(browser, live_server):
    wait = WebDriverWait(browser, 90)
    browser.get(live_server.url + "/")
    box = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#tts-text textarea"))

    # empty text: a readable warning, not a crash
    browser.find_element(By.CSS_SELECTOR, "#generate-btn").click()
    wait.until(lambda d: "Please type some text" in d.find_element(By.TAG_NAME, "body").text)

    box.send_keys("你好，欢迎使用离线语音合成。今天天气很好。")
    browser.find_element(By.CSS_SELECTOR, "#generate-btn").click()
    link = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#result-audio a[download][href$='.wav']") or None)
    href = link[0].get_attribute("href")
    assert urlparse(href).hostname == "127.0.0.1"

    # the browser itself can fetch and decode the result: it is playable audio
    decoded = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(r => r.arrayBuffer())"
        ".then(b => new OfflineAudioContext(1, 1, 24000).decodeAudioData(b))"
        ".then(a => done([a.duration, a.sampleRate, a.getChannelData(0).reduce((m, x) => Math.max(m, Math.abs(x)), 0)]))"
        ".catch(e => done(String(e)));", href)
    assert isinstance(decoded, list), decoded
    duration, rate, peak = decoded
    assert rate == 24000 and 1.5 < duration < 15 and peak > 0.05, decoded
    assert browser.find_elements(By.CSS_SELECTOR, "#result-audio button[aria-label='Play']")
    status = browser.find_element(By.CSS_SELECTOR, "#status").text
    assert "RTF" in status and ".wav" in status
    saved = sorted(Path(live_server.output_dir).glob("*.wav"))
    assert saved and any(p.name in status for p in saved)

    for close in browser.find_elements(By.CSS_SELECTOR, ".toast-close"):  # tidy picture
        try:
            close.click()
        except Exception:  # noqa: BLE001 - the toast may have gone by itself
            pass
    SCREENSHOT.parent.mkdir(exist_ok=True)
    browser.save_screenshot(str(SCREENSHOT))

    urls = request_urls(browser)
    assert any(urlparse(u).hostname == "127.0.0.1" for u in urls)
    external = sorted({u for u in urls
                       if urlparse(u).scheme in ("http", "https", "ws", "wss")
                       and urlparse(u).hostname not in LOCAL_HOSTS})
    assert not external, f"the page contacted external hosts: {external}"
