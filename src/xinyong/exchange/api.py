"""/api/exchange/messages: where peers deliver their signed messages (no user account: the
sender's registered key is its authority)."""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import Header, Request
from fastapi.responses import Response

from xinyong.common.errors import DomainError
from xinyong.exchange import service
from xinyong.exchange.signing import SENDER_HEADER, SIGNATURE_HEADER
from xinyong.web.deps import ContextDep, Router
from xinyong.web.errors import error_responses

router = Router(tags=["平台交换"])


@router.post(
    "/api/exchange/messages",
    summary="接收其他平台推送的交换报文",
    description=(
        "已登记的上级或下级平台以其交换私钥签名报文（请求头 X-Xinyong-Sender、"
        "X-Xinyong-Signature），本平台逐条校验并应用，答复逐条回执（已应用、无变化、拒收及理由），"
        "回执以本平台交换私钥签名（响应头 X-Xinyong-Signature）。格式见 docs/exchange.md。"
        + service.FORMAT_NOTE
    ),
    responses={
        200: {"description": "签名回执", "content": {"application/json": {}}},
        **error_responses(401, 403, 409, 413, 422),
    },
    response_class=Response,
)
async def receive_message(
    request: Request,
    ctx: ContextDep,
    sender: Annotated[str, Header(alias=SENDER_HEADER, max_length=12)] = "",
    signature: Annotated[str, Header(alias=SIGNATURE_HEADER, max_length=256)] = "",
) -> Response:
    body = await request.body()

    def apply() -> tuple[bytes, str]:
        with ctx.sessions() as session, session.begin():
            return service.receive(session, ctx, sender, body, signature)

    try:
        receipt, receipt_signature = await anyio.to_thread.run_sync(apply)
    except DomainError as refused:
        await anyio.to_thread.run_sync(service.log_refusal, ctx, sender, refused, len(body))
        raise
    return Response(
        receipt, media_type="application/json", headers={SIGNATURE_HEADER: receipt_signature}
    )
