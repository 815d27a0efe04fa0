"""Open every page of the built documentation site and an HTML report in headless Chromium and
check that every image loaded and that the console logged no error; save a screenshot of each.

Usage: ``python docs/check_pages.py SITE_DIR [REPORT.html ...] --shots DIR``. Pages are served
from a local HTTP server on 127.0.0.1 and driven through the Chrome DevTools protocol
(``websocket-client``). Exits 1 listing every page with a missing image or a console error.
Needs the ``chromium`` Debian package (``make docs-check`` is not part of CI for that reason).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import functools
import http.server
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import websocket

IMAGES_BROKEN = (
    "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(root: Path) -> Iterator[str]:
    """An HTTP server for ``root`` on 127.0.0.1 (stopped on exit)."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@contextlib.contextmanager
def browser() -> Iterator[websocket.WebSocket]:
    """Headless Chromium with a DevTools websocket to one page target (killed on exit)."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        sys.exit("chromium not found: apt-get install chromium")
    port, profile = free_port(), tempfile.mkdtemp(prefix="rltheory-chromium-")
    process = subprocess.Popen(
        [
            binary,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={profile}",
            f"--remote-debugging-port={port}",
            "--window-size=1280,1600",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as reply:
                    targets = [t for t in json.load(reply) if t["type"] == "page"]
                if targets:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                sys.exit("chromium did not start its DevTools endpoint within 30 s")
            time.sleep(0.2)
        socket_ = websocket.create_connection(targets[0]["webSocketDebuggerUrl"], timeout=30)
        yield socket_
        socket_.close()
    finally:
        process.kill()
        process.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)


class Page:
    """Minimal DevTools client: commands with ids, events collected while waiting."""

    def __init__(self, ws: websocket.WebSocket):
        self.ws, self.next_id, self.events = ws, 0, []

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, event: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(e.get("method") == event for e in self.events):
                return
            self.events.append(json.loads(self.ws.recv()))
        raise TimeoutError(f"no {event} within {timeout} s")


def errors_of(events: list[dict]) -> list[str]:
    out = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            out.append(params["exceptionDetails"].get("text", "exception"))
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            out.append(" ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            out.append(f"{params['entry'].get('source')}: {params['entry'].get('text')}")
    return out


def check(url: str, page: Page, shot: Path) -> list[str]:
    page.events.clear()
    page.call("Page.navigate", url=url)
    page.wait_for("Page.loadEventFired")
    time.sleep(0.5)  # late console messages
    broken = page.call("Runtime.evaluate", expression=IMAGES_BROKEN, returnByValue=True)
    problems = [f"image did not load: {src}" for src in broken["result"]["value"]]
    problems += [f"console error: {text}" for text in errors_of(page.events)]
    image = page.call("Page.captureScreenshot", format="png")["data"]
    shot.parent.mkdir(parents=True, exist_ok=True)
    shot.write_bytes(base64.b64decode(image))
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("site", type=Path, help="built site directory (mkdocs build)")
    parser.add_argument("reports", nargs="*", type=Path, help="HTML reports to check too")
    parser.add_argument("--shots", type=Path, default=Path("site-check"), help="screenshots")
    args = parser.parse_args()
    pages = [
        (args.site, p.relative_to(args.site))
        for p in sorted(args.site.rglob("*.html"))
        if p.name != "404.html"
    ]
    pages += [(r.parent, Path(r.name)) for r in args.reports]
    failures = {}
    with browser() as ws:
        page = Page(ws)
        for method in ("Page.enable", "Runtime.enable", "Log.enable"):
            page.call(method)
        for root, relative in pages:
            with serve(root) as base:
                name = (root.name + "-" + str(relative)).replace("/", "_")
                problems = check(f"{base}/{relative}", page, args.shots / f"{name}.png")
            status = "ok" if not problems else f"{len(problems)} problem(s)"
            print(f"{root / relative}: {status}")
            if problems:
                failures[str(root / relative)] = problems
    for where, problems in failures.items():
        print(f"\n{where}:\n  " + "\n  ".join(problems))
    print(
        f"\n{len(pages)} page(s) checked, {len(failures)} with problems; screenshots in "
        f"{args.shots}"
    )
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
