"""Logging that masks secrets and personal data in everything a handler writes.

Masked: Kefu's tokens (`kefu_ct_…` conversation tokens, `kefu_os_…` operator sessions), `Bearer …` values,
`token=…` / `"token": "…"` and the like (also in URLs, so uvicorn's access lines are covered), passwords in
connection URLs, secrets registered with `register_secret` (the identity secret, API keys), phone numbers,
emails and street addresses (zh and en).

The mask is applied to the *formatted* text (`MaskingFormatter`), so the message, its arguments, the
traceback and the stack all pass through it; `MaskingFilter` also masks the record itself, so that other
handlers on the same logger (pytest's capture) see a masked message and traceback too. `log_handler` builds
the one handler shape that production (`setup_logging`) and the test run's log files both use.

Masking is a net, not the plan: log ids and sizes, not what customers wrote.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_SECRET_KEYS = r"(?:access_token|token|session_token|customer_sig|sig|signature|api_key|apikey|key|password|secret)"
_CJK = r"\u4e00-\u9fff"
_STREET_EN = r"(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Boulevard|Blvd|Drive|Dr|Way|Court|Ct|Place|Pl|Highway|Hwy)"

_ZH_STREET = ("路", "街", "道", "巷", "弄", "号")


@dataclass(frozen=True, slots=True)
class _Mask:
    pattern: re.Pattern[str]
    repl: str
    needles: tuple[str, ...] = ()  # the lower-cased text holds one of these, or the pattern is not tried (speed)


_MASKS: tuple[_Mask, ...] = (
    # Secrets first, so that a token is not half-eaten by the phone or email masks.
    _Mask(re.compile(r"(?i)\b(bearer)\s+(?!<)[A-Za-z0-9._~+/=-]+"), r"\1 <token>", ("bearer",)),
    # key=value in URLs and reprs (`?token=…`, `customer_sig='…'`), key: value when the value is long
    _Mask(re.compile(rf"(?i)(\b{_SECRET_KEYS}=)([\"']?)[^&\s\"'<>]+\2"), r"\1\2<token>\2", ("=",)),
    _Mask(re.compile(rf"(?i)(\b{_SECRET_KEYS}:\s*)(?!<)[A-Za-z0-9._~+/=-]{{16,}}"), r"\1<token>", (":",)),
    _Mask(re.compile(rf"(?i)([\"']{_SECRET_KEYS}[\"']\s*:\s*)([\"'])(?:\\.|(?!\2).)*\2"), r"\1\2<token>\2",
          ("token", "sig", "key", "password", "secret")),
    _Mask(re.compile(r"\bkefu_(ct|os|[a-z]{2})_[A-Za-z0-9_-]{8,}"), r"kefu_\1_<token>", ("kefu_",)),
    _Mask(re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@"), r"\1<password>@", ("://",)),
    _Mask(re.compile(r"[A-Za-z0-9._%+*-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z][A-Za-z0-9-]*"), "<email>",
          ("@",)),
    # Mainland mobiles, also as stored masked (138****1234) and with +86 / spaces / dashes.
    _Mask(re.compile(r"(?<![A-Za-z0-9])(?:\+?86[\s-]*)?1[3-9]\d(?:[\s-]*[\d*]){8}(?!\d)"), "<phone>"),
    # Other numbers: with a leading + or 0, or in groups split by spaces/dashes/brackets. A bare run of digits
    # is left alone (epoch milliseconds, counts), and so are dotted IPs and versions.
    _Mask(re.compile(r"(?<![\w.:/*+-])(?:\+\d(?:[\s()-]?\d){7,14}|0\d{9,11}|\(?\d{2,4}\)?[\s-]\d{3,4}[\s-]\d{3,4})"
                     r"(?![\w.:*])"), "<phone>"),
    # Chinese addresses: province/city/district then a street or number, or a street with a number.
    _Mask(re.compile(rf"[{_CJK}]{{2,}}(?:省|市|区|县)[{_CJK}\d]*(?:路|街|道|巷|弄|号)[{_CJK}\d*#-]*"), "<address>",
          _ZH_STREET),
    _Mask(re.compile(rf"[{_CJK}]{{1,10}}(?:路|街|大道|巷|弄)\s*\d{{1,5}}\s*(?:号|弄)(?:[\d*#-]+(?:栋|幢|单元|楼|层|室|号))*"),
          "<address>", _ZH_STREET),
    _Mask(re.compile(rf"\b\d{{1,5}}\s+(?:[A-Z][A-Za-z'-]*\s+){{1,3}}{_STREET_EN}\b\.?"), "<address>"),
    _Mask(re.compile(r"(?i)\b\d{1,5}\s+(?:[a-z'-]+\s+){1,3}(?:street|avenue|road|lane|boulevard|drive)\b"), "<address>",
          ("street", "avenue", "road", "lane", "boulevard", "drive")),
)

_secrets_lock = threading.Lock()
_secrets: set[str] = set()
_secrets_re: re.Pattern[str] | None = None


def register_secret(value: str | bytes | None) -> None:
    """Mask this literal from now on (the identity secret, API keys). Values under 8 characters are ignored:
    they would mask ordinary words."""
    global _secrets_re
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not value or len(value) < 8:
        return
    with _secrets_lock:
        if value in _secrets:
            return
        _secrets.add(value)
        alternatives = sorted(_secrets, key=len, reverse=True)
        _secrets_re = re.compile("|".join(re.escape(s) for s in alternatives))


def mask(text: str) -> str:
    """`text` with tokens, registered secrets, phone numbers, emails and addresses replaced by placeholders."""
    if _secrets_re is not None:
        text = _secrets_re.sub("<secret>", text)
    lowered = text.lower()  # masks only remove text, so what the gates see of it stays a superset
    for m in _MASKS:
        if not m.needles or any(n in lowered for n in m.needles):
            text = m.pattern.sub(m.repl, text)
    return text


class MaskingFormatter(logging.Formatter):
    """Masks the whole formatted record: message, arguments, traceback and stack."""

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


class MaskingFilter(logging.Filter):
    """Masks the record in place (message, cached traceback text, stack) for every handler that sees it next."""

    _tracebacks = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._tracebacks.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True


def log_handler(target: TextIO | Path | None = None) -> logging.Handler:
    """The handler every Kefu log line goes through: a stream (stderr by default) or a file (appended, UTF-8),
    Kefu's format, masked."""
    if isinstance(target, Path):
        target.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(target, encoding="utf-8")
    else:
        handler = logging.StreamHandler(target)
    handler.setFormatter(MaskingFormatter(FORMAT))
    handler.addFilter(MaskingFilter())
    return handler


def _log_uncaught(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, tb)
        return
    logging.getLogger("kefu").critical("uncaught exception", exc_info=(kind, exc, tb))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        logging.getLogger("kefu").critical("uncaught exception in thread %s", getattr(args.thread, "name", "?"),
                                           exc_info=(args.exc_type, args.exc_value, args.exc_traceback))


def setup_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    """Route every log line of the process (uvicorn's included, warnings and uncaught exceptions too) through
    one masked handler on stderr."""
    for secret in secrets:
        register_secret(secret)
    root = logging.getLogger()
    root.handlers[:] = [log_handler()]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
        lg.setLevel(logging.NOTSET)  # the root's level decides
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread


def ensure_logging(level: str = "WARNING") -> bool:
    """`setup_logging` for a command-line run, unless the process has already routed its logs (a test run, an
    embedding program): then only the masking filter is added to the handlers already there. True when it
    installed the handler."""
    root = logging.getLogger()
    if not root.handlers:
        setup_logging(level)
        return True
    for handler in root.handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())
    return False

