"""The browser scripts are their parts joined, served whole from memory; every static source stays small."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from server.api import assets
from server.app import STATIC

MAX_LINES = 400
SINKS = (".innerHTML", ".outerHTML", "insertAdjacentHTML", "document.write", "eval(")
# a declaration at the IIFE's top level (two spaces in), where two parts of one bundle must not collide
TOP_LEVEL = re.compile(r"^ {2}(?:function\s+([\w$]+)|var\s+([\w$]+))", re.MULTILINE)


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    app.include_router(assets.router(STATIC))
    return TestClient(app)


@pytest.mark.unit
@pytest.mark.parametrize("bundle", assets.BUNDLES, ids=lambda b: b.url)
def test_a_bundle_is_its_parts_joined_and_served_whole(bundle: assets.Bundle, client: TestClient) -> None:
    parts = [(STATIC / part).read_text(encoding="utf-8") for part in bundle.parts]
    assert all(text.endswith("\n") for text in parts)
    assert bundle.parts[0].endswith("/_begin.js") and bundle.parts[-1] == "shared/_end.js"
    joined = "".join(parts)
    assert assets.assemble(bundle, STATIC) == joined
    r = client.get(bundle.url)
    assert r.status_code == 200 and r.text == joined
    assert r.headers["content-type"] == "text/javascript; charset=utf-8"
    assert r.headers["cache-control"] == "no-cache" and r.headers["etag"].startswith('"')
    for sink in SINKS:
        assert sink not in joined, sink
    names = [a or b for a, b in TOP_LEVEL.findall(joined)]
    assert sorted({n for n in names if names.count(n) > 1}) == []


@pytest.mark.unit
def test_a_matching_etag_gets_304_and_head_answers(client: TestClient) -> None:
    etag = client.get("/widget.js").headers["etag"]
    again = client.get("/widget.js", headers={"If-None-Match": f'"other", W/{etag}'})
    assert again.status_code == 304 and again.headers["etag"] == etag and again.content == b""
    assert client.get("/widget.js", headers={"If-None-Match": '"other"'}).status_code == 200
    head = client.head("/widget.js")
    assert head.status_code == 200 and head.headers["etag"] == etag


@pytest.mark.unit
def test_every_script_part_is_in_a_bundle_and_every_source_is_short() -> None:
    used = {part for bundle in assets.BUNDLES for part in bundle.parts}
    scripts = {p.relative_to(STATIC).as_posix() for p in STATIC.rglob("*.js")}
    assert scripts == used
    long = {p.relative_to(STATIC).as_posix(): n for p in STATIC.rglob("*") if p.is_file()
            and (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


@pytest.mark.unit
def test_the_demo_page_has_no_inline_script_or_style() -> None:
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    assert "<style" not in page and re.findall(r"<script[^>]*>", page) == [
        '<script src="/widget.js" data-kefu-server="">', '<script src="/static/demo.js">']


@pytest.mark.integration
@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to check the syntax")
@pytest.mark.parametrize("bundle", assets.BUNDLES, ids=lambda b: b.url)
def test_a_bundle_is_valid_javascript(bundle: assets.Bundle, tmp_path: Path) -> None:
    script = tmp_path / "bundle.js"
    script.write_text(assets.assemble(bundle, STATIC), encoding="utf-8")
    check = subprocess.run(["node", "--check", str(script)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr
