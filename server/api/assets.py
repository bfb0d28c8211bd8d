"""The scripts Kefu serves to browsers, each joined from small parts in `server/static/` (no build step).

A served script is a `Bundle`: its URL and its parts, in order. A part is an ordinary file kept small enough to
read; the bundle's `_begin.js` opens the script's one IIFE and `shared/_end.js` closes it, so the parts in
between share one scope exactly as when they were one file. `shared/` holds parts that several scripts include
(DOM helpers, the JSON API call). The widget stays one classic script: a store page embeds it with one
`<script src=".../widget.js">` tag and `document.currentScript` still names that tag.

`router` reads and joins every bundle once, when the app is created, and serves them from memory with a hash
of the content as ETag (a matching If-None-Match gets 304) and `Cache-Control: no-cache` (revalidate every
time: the URLs carry no version). Serving must not transform the code: what goes out is the parts joined.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Request, Response

log = logging.getLogger(__name__)

JAVASCRIPT = "text/javascript; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Bundle:
    url: str
    parts: tuple[str, ...]  # paths under server/static, joined in this order
    media_type: str = JAVASCRIPT


BUNDLES = (
    Bundle("/widget.js", (
        "widget/_begin.js", "widget/strings.js", "shared/dom.js", "shared/http.js", "widget/helpers.js",
        "widget/styles.js", "widget/ui.js", "widget/ui-messages.js", "widget/ui-cards.js", "widget/session.js",
        "widget/session-frames.js", "widget/facade.js", "shared/_end.js",
    )),
    Bundle("/static/console.js", (
        "console/_begin.js", "shared/dom.js", "shared/http.js", "console/strings.js", "console/strings-campaigns.js",
        "console/core.js", "console/connection.js", "console/lists.js", "console/conversation.js", "console/side.js",
        "console/linked.js",
        "console/stats.js", "console/figures.js", "console/marketing.js", "console/insight.js", "console/campaigns.js",
        "console/readout.js", "console/forecast.js", "console/campaign-form.js", "console/assistant.js",
        "console/boot.js", "shared/_end.js",
    )),
    Bundle("/static/demo.js", (
        "demo/_begin.js", "shared/dom.js", "demo/strings.js", "demo/page.js", "demo/call.js", "shared/_end.js",
    )),
)


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    etag: str
    media_type: str


def assemble(bundle: Bundle, static_dir: Path) -> str:
    """The bundle's parts joined in order (each part ends with a newline)."""
    return "".join((static_dir / part).read_text(encoding="utf-8") for part in bundle.parts)


def load(bundle: Bundle, static_dir: Path) -> Asset:
    body = assemble(bundle, static_dir).encode()
    return Asset(body, f'"{hashlib.sha256(body).hexdigest()[:32]}"', bundle.media_type)


def _not_modified(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in tags or "*" in tags


def _endpoint(asset: Asset) -> Callable[[Request], Awaitable[Response]]:
    headers = {"ETag": asset.etag, "Cache-Control": "no-cache"}

    async def serve(request: Request) -> Response:
        if _not_modified(request.headers.get("if-none-match"), asset.etag):
            return Response(status_code=304, headers=headers)
        return Response(asset.body, media_type=asset.media_type, headers=headers)

    return serve


def router(static_dir: Path, bundles: tuple[Bundle, ...] = BUNDLES) -> APIRouter:
    """Routes serving each bundle from memory; the files are read here, once."""
    routes = APIRouter()
    for bundle in bundles:
        asset = load(bundle, static_dir)
        routes.add_api_route(bundle.url, _endpoint(asset), methods=["GET", "HEAD"], include_in_schema=False)
        log.debug("assembled %s: %d parts, %d bytes", bundle.url, len(bundle.parts), len(asset.body))
    return routes
