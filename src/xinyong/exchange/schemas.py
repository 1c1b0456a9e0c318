"""The exchange's request and response bodies: its state per peer (/api/exchange/status) and
the registry of peers (/api/admin/peers)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class RefusedItemOut(BaseModel):
    id: int
    kind: str
    ref: str = Field(description="所涉信息（记录的提供单位|目录项|记录键）")
    version: int
    aggregated_on: dt.date = Field(description="归集之日")
    reasons: list[str] = Field(description="对方平台的拒收理由")
    attempts: int


class PeerStatusOut(BaseModel):
    code: str
    name: str
    relation: str = Field(description="上级平台或下级平台")
    active: bool
    pending: int = Field(description="待推送条数")
    oldest_pending: dt.date | None = Field(description="最早待推送信息的归集之日")
    overdue: int = Field(description="逾期未推送条数（超过法定时限）")
    overdue_article: str = Field(description="逾期的法律后果及条款")
    clock: str = Field(description="法定推送时限及条款；法规未规定时限的注明")
    refused: int = Field(description="被对方平台拒收条数")
    refused_items: list[RefusedItemOut]
    last_success_at: dt.datetime | None = Field(description="最近一次成功推送的时间")
    lag_seconds: int | None = Field(description="积压时长（秒）：当前时刻减最早待推送信息入队时刻")
    lag: str = Field(description="积压时长（中文）")


class ExchangeStatusOut(BaseModel):
    platform: str
    on: dt.date
    peers: list[PeerStatusOut]


class PeerIn(BaseModel):
    code: str = Field(max_length=6, description="平台代码（6位行政区划代码）")
    name: str = Field(max_length=200)
    relation: str = Field(max_length=8, description="upper（上级平台）或 lower（下级平台）")
    url: str = Field(max_length=500, description="对方交换接口地址")
    public_key: str = Field(max_length=200, description="对方交换公钥（Ed25519，64位十六进制）")


class PeerOut(BaseModel):
    code: str
    name: str
    relation: str
    relation_label: str
    url: str
    public_key: str
    active: bool
    last_success_at: dt.datetime | None


class PeersOut(BaseModel):
    platform: str = Field(description="本平台代码")
    platform_name: str
    public_key: str = Field(description="本平台交换公钥，交对方平台登记")
    peers: list[PeerOut]
