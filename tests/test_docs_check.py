"""Self-test of ``docs/check_pages.py``: a page with a missing image and a console error is
reported (exit 1, both problems named) while a clean page passes. Needs headless Chromium (the
``chromium`` Debian package) and ``websocket-client`` (the ``docs-check`` extra): skipped without
them, since installing a browser is not part of the suite."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs the chromium package")
def test_page_checker_catches_a_broken_image_and_a_console_error(tmp_path):
    pytest.importorskip("websocket")
    site = tmp_path / "site"
    site.mkdir()
    (site / "good.html").write_text("<!doctype html><link rel='icon' href='data:,'><p>fine</p>")
    (site / "bad.html").write_text(
        "<!doctype html><link rel='icon' href='data:,'><img src='missing.png'>"
        "<script>console.error('deliberate failure')</script>"
    )
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "docs" / "check_pages.py"),
            str(site),
            "--shots",
            str(tmp_path / "shots"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "good.html: ok" in result.stdout
    assert "image did not load" in result.stdout and "missing.png" in result.stdout
    assert "deliberate failure" in result.stdout
    assert (tmp_path / "shots" / "site-good.html.png").is_file()
