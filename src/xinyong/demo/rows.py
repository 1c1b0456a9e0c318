"""Synthetic rows in a provider's own format (the catalog's Chinese column names), for demos,
tests and benchmarks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from xinyong.common.identifiers import region_codes
from xinyong.demo.generate import WORDS, synthetic_citizen_id, synthetic_uscc

PENALTY_ITEM = "HLJ-CF-001"
PENALTY_AUTHORITY = "哈尔滨市市场监督管理局（演示）"
PENALTY_AUTHORITY_USCC = synthetic_uscc(9_000_001, "230100", "1")


def penalty_row(n: int, today: dt.date, *, person: bool = False) -> dict[str, Any]:
    """A valid 行政处罚 row; `n` makes its keys unique."""
    decided = today - dt.timedelta(days=1 + n % 700)
    row: dict[str, Any] = {
        "行政相对人名称": f"哈尔滨{WORDS[n % len(WORDS)]}商贸有限公司（演示{n}）",
        "行政相对人类别": "法人及非法人组织",
        "统一社会信用代码": synthetic_uscc(5_000_000 + n, "230103"),
        "法定代表人": "王演示",
        "证件类型": "",
        "证件号码": "",
        "处罚决定书文号": f"哈市监罚〔{decided.year}〕{n}号",
        "违法行为类型": "销售不符合食品安全标准的食品",
        "违法事实": "经查，当事人于演示期间销售标签不符合规定的预包装食品，货值金额较小。" * 2,
        "处罚依据": "《中华人民共和国食品安全法》第一百二十五条第一款",
        "处罚类别": "罚款；没收违法所得",
        "处罚内容": "罚款人民币五千元，没收违法所得八百元。",
        "罚款金额（万元）": "0.5",
        "没收违法所得、没收非法财物的金额（万元）": "0.08",
        "暂扣或吊销证照名称及编号": "",
        "处罚决定日期": decided.isoformat(),
        "处罚有效期": (decided + dt.timedelta(days=365)).isoformat(),
        "公示截止期": (decided + dt.timedelta(days=365)).isoformat(),
        "处罚机关": PENALTY_AUTHORITY,
        "处罚机关统一社会信用代码": PENALTY_AUTHORITY_USCC,
        "数据来源单位": PENALTY_AUTHORITY,
        "数据来源单位统一社会信用代码": PENALTY_AUTHORITY_USCC,
        "适用程序": "普通程序",
        "备注": "",
    }
    if person:
        row.update(
            {
                "行政相对人名称": "李演示",
                "行政相对人类别": "自然人",
                "统一社会信用代码": "",
                "法定代表人": "",
                "证件类型": "身份证",
                "证件号码": synthetic_citizen_id(n, region_codes("2301")),
            }
        )
    return row


PENALTY_COLUMNS = list(penalty_row(0, dt.date(2026, 1, 1)).keys())
