"""What a first visit costs a phone: bytes transferred and Largest Contentful Paint.

gunicorn serves the demo site as `make run` does (static files collected, hashed and
compressed); Chromium (Debian's), at a phone's viewport with an empty cache, opens the home
page, a lesson and an interview under "Slow 4G" as Chromium's DevTools define it (562.5 ms round
trip, 1.44 Mbit/s down, 675 kbit/s up, CPU not slowed). Printed per page: bytes transferred by
kind (fonts left out, as the target says), the scripts loaded, and LCP.

Targets (issue #17): the home page transfers at most 150 KB, and a page loads only the
JavaScript it uses (the 3D viewer only where a model is shown).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from _setup import BASE_DIR, serve, served_env, setup_django, stop

PORT = int(os.environ.get("BENCH_PORT", "8933"))
CHROMIUM = "/usr/bin/chromium"
SLOW_4G = {
    "offline": False,
    "latency": 562.5,
    "downloadThroughput": 1.44 * 1000 * 1000 / 8,
    "uploadThroughput": 675 * 1000 / 8,
}
HOME_LIMIT = 150 * 1024
LCP_JS = """
() => new Promise((resolve) => {
  let last = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) last = entry.startTime;
  }).observe({ type: "largest-contentful-paint", buffered: true });
  setTimeout(() => resolve(last), 1500);
})
"""


def pages() -> dict[str, str]:
    from courses.models import LessonPage
    from oral_history.models import Interview

    lesson = LessonPage.objects.live().order_by("path").first()
    interview = Interview.objects.filter(published=True, access_level="open").order_by("pk").first()
    return {"home": "/", "lesson": lesson.url, "interview": f"/memories/i/{interview.pk}/"}


def start_server() -> subprocess.Popen:
    env = served_env(
        name="bench-weight",
        redis="redis://127.0.0.1:6379/13",
        DJANGO_STATIC_HASHED="true",
        SITE_URL=f"http://127.0.0.1:{PORT}",
        USERCONTENT_URL=f"http://localhost:{PORT}",
    )
    python = str(Path(sys.executable))
    subprocess.run([python, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=BASE_DIR,
                   env=env, check=True)  # fmt: skip
    return serve(port=PORT, env=env)


def visit(browser, url: str) -> dict:
    context = browser.new_context(
        viewport={"width": 375, "height": 812}, device_scale_factor=2, is_mobile=True
    )
    tab = context.new_page()
    cdp = context.new_cdp_session(tab)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", SLOW_4G)
    kinds: dict[str, str] = {}
    urls: dict[str, str] = {}
    sizes: dict[str, int] = {}
    cdp.on("Network.responseReceived", lambda e: kinds.__setitem__(e["requestId"], e["type"]))
    cdp.on(
        "Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"])
    )
    cdp.on(
        "Network.loadingFinished",
        lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])),
    )
    tab.goto(url, wait_until="load", timeout=120_000)
    lcp = tab.evaluate(LCP_JS)
    tab.wait_for_timeout(500)
    by_kind: dict[str, int] = {}
    scripts = []
    for request_id, size in sizes.items():
        kind = kinds.get(request_id, "Other")
        by_kind[kind] = by_kind.get(kind, 0) + size
        if kind == "Script":
            scripts.append(urls.get(request_id, "").rsplit("/", 1)[-1])
    context.close()
    total = sum(size for kind, size in by_kind.items() if kind != "Font")
    return {"total": total, "by_kind": by_kind, "scripts": scripts, "lcp": lcp}


def main() -> None:
    setup_django()
    from django.core.management import call_command
    from playwright.sync_api import sync_playwright

    call_command("seed_demo", stdout=io.StringIO())
    targets = pages()
    server = start_server()
    failures = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
            )
            # Each page once for the server to make and keep its copy, then measured.
            for path in targets.values():
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}{path}").read()
            print("first visit, phone (375x812), Slow 4G, empty cache")
            print(f"{'page':10} {'KB':>7} {'LCP ms':>8}  by kind (KB)            scripts")
            for name, path in targets.items():
                found = visit(browser, f"http://127.0.0.1:{PORT}{path}")
                kinds = ", ".join(
                    f"{kind} {size / 1024:.0f}" for kind, size in sorted(found["by_kind"].items())
                )
                print(f"{name:10} {found['total'] / 1024:7.1f} {found['lcp']:8.0f}  {kinds:24} "
                      f"{' '.join(found['scripts'])}")  # fmt: skip
                if name == "home" and found["total"] > HOME_LIMIT:
                    failures.append(f"home page {found['total'] / 1024:.0f} KB > 150 KB")
                if any("model-viewer" in script for script in found["scripts"]):
                    failures.append(f"{name} loads the 3D viewer")
            browser.close()
    finally:
        stop(server)
    print("\n" + ("\n".join(failures) if failures else "all within target"))
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
