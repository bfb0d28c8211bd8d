"""`/api/operator/marketing/ask` and `/confirm`: a marketer's requests by chat (`server.operators.marketer_chat`).

`ask` answers with text, cards (copy drafts, a readout, campaigns to choose from, experiments) and, for a
request that would change a campaign, a proposal with a confirmation token; nothing changes until `confirm`
is posted with that token by the same signed-in marketer (409 `confirmation_invalid` otherwise). Marketers and
supervisors only (router-level dependency).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from server.api.deps import RuntimeDep
from server.api.operator.deps import MARKETING_ROLES, require_role, session_token
from server.db.operators import OperatorRow
from server.operators.marketer_chat import AskAnswer, AskBody, ConfirmAnswer, ConfirmBody, MarketerChat

_marketer = require_role(*MARKETING_ROLES)
router = APIRouter(prefix="/api/operator/marketing", tags=["marketing"], dependencies=[Depends(_marketer)])
Marketer = Annotated[OperatorRow, Depends(_marketer)]


def _token(request: Request) -> str:
    token, _ = session_token(request)
    assert token is not None  # the role check signed the request in with it
    return token


@router.post("/ask", response_model=AskAnswer)
async def ask(body: AskBody, request: Request, runtime: RuntimeDep, operator: Marketer) -> AskAnswer:
    """Read the request (rules, then the LLM for unclear words) and answer it; changes are only proposed."""
    return await MarketerChat(runtime).ask(body, operator, _token(request))


@router.post("/confirm", response_model=ConfirmAnswer)
async def confirm(body: ConfirmBody, request: Request, runtime: RuntimeDep, operator: Marketer) -> ConfirmAnswer:
    """Run a proposed change (pause, resume, end) with its audit entry: who, and why (`note`, else the request)."""
    return await MarketerChat(runtime).confirm(body, operator, _token(request))
