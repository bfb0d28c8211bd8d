"""Logging setup that masks phone numbers, emails, street addresses and tokens in URLs in every record."""

from __future__ import annotations

import logging
import re

_PATTERNS = [
    # A secret in a URL's query (an old client's `/ws/chat/{id}?token=…` in uvicorn's request lines).
    (re.compile(r"([?&](?:token|access_token|key)=)[^&\s\"']+"), r"\1<token>"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "<email>"),
    (re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"), "<phone>"),
    # International numbers: 9+ digits with spaces, dashes or brackets (not dotted IPs or versions).
    (re.compile(r"(?<![\w.:/])\+?\d(?:[\s()-]?\d){8,14}(?![\w.:])"), "<phone>"),
    (re.compile(r"[\u4e00-\u9fff]{2,}(?:省|市|区|县)[\u4e00-\u9fff\d]*(?:路|街|道|巷|号)[\u4e00-\u9fff\d-]*"),
     "<address>"),
    (re.compile(r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Blvd|Drive|Dr)\b\.?"),
     "<address>"),
]


def mask(text: str) -> str:
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


class MaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
