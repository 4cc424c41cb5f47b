"""Stratification tables of the pool (资产池分布), as printed in a 计划说明书, and their Excel workbook.

Every table has its key column(s) then ``count, principal, share, wa_rate, wa_remaining_term_months``; each is one
groupby over the pool frame (``principal_fen`` summed exactly; the weighted averages in float). Private obligors
are shown masked (债务人A / Obligor A) in the obligor tables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from pydantic import BaseModel, ConfigDict, Field

from dataabs.pool.constraints import PoolMeasures
from dataabs.pool.rules import truthy

MEASURES = ["count", "principal", "share", "wa_rate", "wa_remaining_term_months"]
NONE_LABEL = "无 / none"
NO_PLEDGE = "无数据质押 / no data pledge"
GBT4754: dict[str, tuple[str, str]] = {
    "A": ("农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery"),
    "B": ("采矿业", "Mining"),
    "C": ("制造业", "Manufacturing"),
    "D": ("电力、热力、燃气及水生产和供应业", "Electricity, heat, gas and water production and supply"),
    "E": ("建筑业", "Construction"),
    "F": ("批发和零售业", "Wholesale and retail trade"),
    "G": ("交通运输、仓储和邮政业", "Transport, storage and postal services"),
    "H": ("住宿和餐饮业", "Accommodation and catering"),
    "I": ("信息传输、软件和信息技术服务业", "Information transmission, software and IT services"),
    "J": ("金融业", "Finance"),
    "K": ("房地产业", "Real estate"),
    "L": ("租赁和商务服务业", "Leasing and business services"),
    "M": ("科学研究和技术服务业", "Scientific research and technical services"),
    "N": ("水利、环境和公共设施管理业", "Water, environment and public facilities management"),
    "O": ("居民服务、修理和其他服务业", "Resident services, repair and other services"),
    "P": ("教育", "Education"),
    "Q": ("卫生和社会工作", "Health and social work"),
    "R": ("文化、体育和娱乐业", "Culture, sports and entertainment"),
    "S": ("公共管理、社会保障和社会组织", "Public administration, social security and social organisations"),
    "T": ("国际组织", "International organisations"),
}
HEADERS: dict[str, str] = {
    "count": "笔数 Count",
    "principal": "本金余额（元） Principal (CNY)",
    "share": "占比 Share",
    "wa_rate": "加权平均利率 WA rate",
    "wa_remaining_term_months": "加权平均剩余期限（月） WA remaining term (months)",
    "rank": "排名 Rank",
    "obligor": "债务人 Obligor",
    "obligor_count": "债务人数 Obligors",
    "industry": "行业门类 Industry section",
    "industry_zh": "行业 Industry (中文)",
    "industry_en": "Industry",
    "province": "省份 Province",
    "city": "城市 City",
    "band": "区间 Band",
    "data_type": "数据类型 Data type",
    "registry": "登记机构 Registry",
    "valuation_method": "评估方法 Valuation method",
    "guarantor": "增信机构 Guarantor",
    "item_zh": "项目",
    "item_en": "Item",
    "value": "数值 Value",
    "kind": "类型 Kind",
}
FORMATS = {
    "count": "#,##0",
    "obligor_count": "#,##0",
    "principal": "#,##0.00",
    "share": "0.00%",
    "wa_rate": "0.00%",
    "wa_remaining_term_months": "0.00",
    "rank": "0",
}
KIND_FORMATS = {
    "count": "#,##0",
    "money": "#,##0.00",
    "share": "0.00%",
    "rate": "0.00%",
    "months": "0.00",
    "number": "0.0000",
}


class StratBands(BaseModel):
    """Band edges of the banded tables (lower bound inclusive); house presentation defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    principal_yuan: list[float] = Field(default_factory=lambda: [0.0, 1e6, 5e6, 1e7, 1.5e7, 2e7, 3e7, 5e7])
    remaining_term_months: list[float] = Field(
        default_factory=lambda: [0.0, 6.0, 12.0, 18.0, 24.0, 36.0, 60.0]
    )
    rate: list[float] = Field(default_factory=lambda: [0.0, 0.02, 0.03, 0.035, 0.04, 0.05, 0.06, 0.08])
    ltv: list[float] = Field(default_factory=lambda: [0.0, 0.3, 0.4, 0.45, 0.5, 0.6, 0.7])


def stratify(
    pool: pd.DataFrame, bands: StratBands | None = None, guarantor_names: Mapping[str, str] | None = None
) -> dict[str, pd.DataFrame]:
    """Every strat table of a pool frame, keyed by table name (the file stem of ``pool/strats/<table>.csv``)."""
    bands = bands or StratBands()
    w = _Weights.of(pool)
    pledged = pool["data_pledged"].to_numpy(dtype=bool)
    province = pd.factorize(pool["province"], use_na_sentinel=False)
    obligors = _obligor_table(pool, w)
    guarantor = _text(pool, "guarantor_id", np.ones(len(pool), bool), NONE_LABEL)
    return {
        "summary": summary_table(pool),
        "obligor_top10": obligors.head(10).reset_index(drop=True),
        "obligor": obligors,
        "industry": _industry_table(pool, w),
        "province": _strat(w, {"province": province}),
        "city": _strat(w, {"province": province, "city": pd.factorize(pool["city"], use_na_sentinel=False)}),
        "principal_band": _banded(w, pool["principal_fen"] / 100.0, bands.principal_yuan, _yuan_label),
        "remaining_term_band": _banded(
            w, pool["remaining_term_months"], bands.remaining_term_months, _month_label
        ),
        "rate_band": _banded(w, pool["rate_float"], bands.rate, _pct_label),
        "data_type": _strat(w, {"data_type": _text(pool, "data_type", pledged, NO_PLEDGE)}),
        "registry": _strat(w, {"registry": _text(pool, "registry", pledged, NO_PLEDGE)}),
        "valuation_method": _strat(
            w, {"valuation_method": _text(pool, "valuation_method", pledged, NO_PLEDGE)}
        ),
        "ltv_band": _banded(
            w,
            pd.to_numeric(pool["ltv"], errors="coerce").where(pledged),
            bands.ltv,
            _pct_label,
            missing=NO_PLEDGE,
        ),
        "guarantor": _strat(
            w,
            {
                "guarantor": (
                    guarantor[0],
                    np.array([(guarantor_names or {}).get(g, g) for g in guarantor[1]], dtype=object),
                )
            },
        ),
    }


Codes = tuple[np.ndarray, np.ndarray]  # (integer code per asset, value per code), as from pd.factorize


@dataclass(frozen=True)
class _Weights:
    """The per-asset arrays every table sums: principal in fen, principal × rate, principal × term."""

    fen: np.ndarray
    pr: np.ndarray
    pt: np.ndarray
    total: int

    @classmethod
    def of(cls, pool: pd.DataFrame) -> _Weights:
        fen = pool["principal_fen"].to_numpy(dtype=np.int64)
        return cls(
            fen,
            fen * pool["rate_float"].to_numpy(dtype=float),
            fen * pool["remaining_term_months"].to_numpy(dtype=float),
            int(fen.sum()),
        )

    def sums(self, codes: np.ndarray, size: int) -> pd.DataFrame:
        """count, exact fen, Σ principal × rate and Σ principal × term per code (bincount: one pass each)."""
        fen = np.zeros(size, dtype=np.int64)
        np.add.at(fen, codes, self.fen)
        return pd.DataFrame(
            {
                "count": np.bincount(codes, minlength=size).astype(np.int64),
                "fen": fen,
                "pr": np.bincount(codes, self.pr, size),
                "pt": np.bincount(codes, self.pt, size),
            }
        )


def _strat(w: _Weights, keys: Mapping[str, Codes], sort: bool = True) -> pd.DataFrame:
    """One grouping (by integer codes): count, exact principal, share, weighted rate and term per key."""
    names = list(keys)
    combined = keys[names[0]][0].astype(np.int64)
    for name in names[1:]:
        combined = combined * len(keys[name][1]) + keys[name][0]
    codes, uniques = pd.factorize(combined)
    g = w.sums(codes, len(uniques))
    for depth, name in enumerate(names):
        inner = int(np.prod([len(keys[n][1]) for n in names[depth + 1 :]], dtype=np.int64))
        g.insert(
            depth, name, np.asarray(keys[name][1], dtype=object)[(uniques // inner) % len(keys[name][1])]
        )
    if sort:
        g = g.sort_values(["fen", *names], ascending=[False, *([True] * len(names))], kind="stable")
    return _measures(g, w.total).reset_index(drop=True)


def _measures(g: pd.DataFrame, total: int) -> pd.DataFrame:
    """Turn summed columns into the five measures."""
    fen = g["fen"].to_numpy(dtype=np.int64)
    safe = np.where(fen > 0, fen, 1)
    out = g.drop(columns=["fen", "pr", "pt"])
    out["count"] = g["count"].astype("int64")
    out["principal"] = [Decimal(int(v)).scaleb(-2) for v in fen]
    out["share"] = fen / total if total else 0.0
    out["wa_rate"] = g["pr"].to_numpy() / safe
    out["wa_remaining_term_months"] = g["pt"].to_numpy() / safe
    return out


def _obligor_table(pool: pd.DataFrame, w: _Weights) -> pd.DataFrame:
    """All obligors by principal, private ones masked as 债务人A / Obligor A in rank order."""
    codes, ids = pd.factorize(pool["obligor_id"], use_na_sentinel=False)
    g = w.sums(codes, len(ids))
    first = np.unique(codes, return_index=True)[1]
    for column in ("obligor_name", "private", "industry", "province"):
        g[column] = pool[column].iloc[first].to_numpy(dtype=object) if column in pool else None
    g["obligor_id"] = np.asarray(ids, dtype=object)
    g = g.sort_values(["fen", "obligor_id"], ascending=[False, True], kind="stable")
    private = g["private"].map(truthy).to_numpy(dtype=bool)
    names = g["obligor_name"].fillna(g["obligor_id"]).to_numpy(dtype=object)
    names[private] = [f"债务人{x} / Obligor {x}" for x in map(_letters, range(int(private.sum())))]
    g.insert(0, "rank", np.arange(1, len(g) + 1))
    g.insert(1, "obligor", names)
    table = g.drop(columns=["obligor_id", "obligor_name", "private"])
    table = table[["rank", "obligor", "industry", "province", "count", "fen", "pr", "pt"]]
    return _measures(table, w.total).reset_index(drop=True)


def _letters(i: int) -> str:
    """A, B, …, Z, AA, AB, … for the i-th masked obligor."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _industry_table(pool: pd.DataFrame, w: _Weights) -> pd.DataFrame:
    """By GB/T 4754 section, with the section names in Chinese and English."""
    t = _strat(w, {"industry": pd.factorize(pool["industry"], use_na_sentinel=False)})
    t.insert(1, "industry_zh", t["industry"].map(lambda s: GBT4754.get(s, ("", ""))[0]))
    t.insert(2, "industry_en", t["industry"].map(lambda s: GBT4754.get(s, ("", ""))[1]))
    return t


def _text(pool: pd.DataFrame, column: str, applies: np.ndarray, missing: str) -> Codes:
    """Codes of a text key, ``missing`` where it does not apply or is blank."""
    if column not in pool.columns:
        return np.zeros(len(pool), dtype=np.int64), np.array([missing], dtype=object)
    codes, uniques = pd.factorize(pool[column], use_na_sentinel=False)
    labels = np.array(
        [missing if v is None or v != v or not str(v).strip() else v for v in uniques] + [missing],
        dtype=object,
    )
    codes = np.where(applies, codes, len(uniques))
    return pd.factorize(labels[codes])


def _banded(
    w: _Weights,
    values: pd.Series,
    edges: list[float],
    label: Callable[[float, float], str],
    missing: str = "缺失 / missing",
) -> pd.DataFrame:
    """A banded table in band order (lower bound inclusive, last band open)."""
    bounds = np.array([*edges, np.inf])
    labels = np.array([label(lo, hi) for lo, hi in pairwise(bounds.tolist())] + [missing], dtype=object)
    x = values.to_numpy(dtype=float)
    codes = np.searchsorted(bounds, x, side="right") - 1
    codes = np.where(np.isnan(x) | (codes < 0) | (codes >= len(labels) - 1), len(labels) - 1, codes)
    table = _strat(w, {"band": (codes, labels)}, sort=False)
    order = {lab: i for i, lab in enumerate(labels)}
    return table.sort_values("band", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)


def _yuan_label(lo: float, hi: float) -> str:
    return f"≥ {lo / 1e4:,.0f} 万元" if np.isinf(hi) else f"[{lo / 1e4:,.0f}, {hi / 1e4:,.0f}) 万元"


def _month_label(lo: float, hi: float) -> str:
    return f"≥ {lo:g} 月 months" if np.isinf(hi) else f"[{lo:g}, {hi:g}) 月 months"


def _pct_label(lo: float, hi: float) -> str:
    return f"≥ {lo:.2%}" if np.isinf(hi) else f"[{lo:.2%}, {hi:.2%})"


def summary_table(pool: pd.DataFrame) -> pd.DataFrame:
    """The pool summary (资产池概况) as rows of item, value and kind."""
    m = PoolMeasures.of(pool)
    fen = pool["principal_fen"].to_numpy(dtype=np.int64)
    pledged = pool["data_pledged"].to_numpy(dtype=bool)
    ltv = (
        pd.to_numeric(pool["ltv"], errors="coerce").to_numpy(dtype=float)
        if "ltv" in pool
        else np.full(len(fen), np.nan)
    )
    weight = np.where(pledged & ~np.isnan(ltv), fen, 0)
    hhi = m.hhi()
    rows = [
        ("资产笔数", "Number of assets", len(pool), "count"),
        ("债务人户数", "Number of obligors", len(m.by_obligor), "count"),
        ("本金余额合计（元）", "Total principal (CNY)", Decimal(m.total_fen).scaleb(-2), "money"),
        (
            "单笔平均本金（元）",
            "Average principal (CNY)",
            Decimal(m.total_fen // max(len(pool), 1)).scaleb(-2),
            "money",
        ),
        (
            "单笔最大本金（元）",
            "Largest principal (CNY)",
            Decimal(int(fen.max()) if len(fen) else 0).scaleb(-2),
            "money",
        ),
        ("加权平均利率", "WA rate", m.wa_rate, "rate"),
        ("加权平均剩余期限（月）", "WA remaining term (months)", m.wa_term, "months"),
        ("数据资产质押资产占比", "Data-pledged share", m.share(m.pledged_fen), "share"),
        ("最大单一债务人占比", "Largest obligor share", m.top_share(1), "share"),
        ("前五大债务人占比", "Top-5 obligors share", m.top_share(5), "share"),
        ("赫芬达尔指数", "HHI", hhi, "number"),
        ("有效债务人数", "Effective number of obligors", 1.0 / hhi if hhi else 0.0, "number"),
        ("省份数", "Provinces", int((m.by_province > 0).sum()), "count"),
        ("城市数", "Cities", int(pool[["province", "city"]].drop_duplicates().shape[0]), "count"),
        (
            "质押资产加权平均质押率",
            "WA LTV of pledged assets",
            float((weight * np.nan_to_num(ltv)).sum() / weight.sum()) if weight.sum() else 0.0,
            "rate",
        ),
    ]
    return pd.DataFrame(rows, columns=["item_zh", "item_en", "value", "kind"])


def write_csvs(tables: Mapping[str, pd.DataFrame], folder: Path) -> list[Path]:
    """Write ``<folder>/<table>.csv`` for every table (UTF-8, decimals as plain numbers)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, table in tables.items():
        path = folder / f"{name}.csv"
        table.to_csv(path, index=False, lineterminator="\n")
        paths.append(path)
    return paths


def write_workbook(tables: Mapping[str, pd.DataFrame], path: Path) -> Path:
    """One XLSX with a sheet per table: bilingual headers, thousands separators and percentages."""
    book = Workbook()
    book.remove(book.active)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for name, table in tables.items():
        sheet = book.create_sheet(name[:31])
        columns = list(table.columns)
        sheet.append([HEADERS.get(c, c) for c in columns])
        for cell in sheet[1]:
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        for row in table.itertuples(index=False):
            sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
        _format_columns(sheet, table, columns)
        sheet.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _format_columns(sheet: object, table: pd.DataFrame, columns: list[str]) -> None:
    """Number formats and widths by column (by row kind on the summary sheet)."""
    for j, column in enumerate(columns, start=1):
        letter = get_column_letter(j)
        sheet.column_dimensions[letter].width = max(12, min(40, len(HEADERS.get(column, column)) + 2))  # type: ignore[attr-defined]
        if column == "value" and "kind" in table:
            for i, kind in enumerate(table["kind"].tolist(), start=2):
                sheet.cell(row=i, column=j).number_format = KIND_FORMATS.get(kind, "General")  # type: ignore[attr-defined]
        elif column in FORMATS:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=j, max_col=j):  # type: ignore[attr-defined]
                cell.number_format = FORMATS[column]
