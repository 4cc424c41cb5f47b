"""The eight data-sample scenarios of the demo deal's pledged data assets, with their planted defects.

Each sample covers the four weeks before its end date, a day or two before the cut-off 2025-06-30, so it is
fresh as of the cut-off. Defect rates are shares of rows; the governance gate (Q ≥ 80, every dimension ≥ 0.70)
still passes with them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from dataabs.demo.sampling import Columns, Defect, Field, Rand, Scenario, codes, dates, serials, timestamps

WINDOW = timedelta(days=28)
FRESHNESS_DAYS = 45
TRAFFIC_HOURS = (1, 0.6, 0.4, 0.4, 0.6, 1.5, 4, 8, 9, 6, 5, 5, 5.5, 5, 5, 5.5, 6.5, 8.5, 8, 5, 4, 3, 2, 1.5)
DAY_HOURS = (
    0.2,
    0.1,
    0.1,
    0.1,
    0.2,
    0.5,
    1,
    2,
    3,
    3.5,
    3.5,
    3,
    2.5,
    3,
    3.5,
    3.5,
    3,
    2.5,
    2,
    1.5,
    1,
    0.8,
    0.5,
    0.3,
)


def _timeliness(column: str) -> dict[str, object]:
    """Timeliness block: freshness judged on ``column``, rows expected in its order."""
    return {"timestamp_column": column, "freshness_days": FRESHNESS_DAYS, "ordered_by": column}


def _window(end: datetime) -> tuple[datetime, datetime]:
    """The sample's time window: the four weeks up to ``end``."""
    return end - WINDOW, end


def _fourth(values: np.ndarray) -> np.ndarray:
    """``values`` to the 4th power by multiplication (portable, unlike ``pow``)."""
    square = values * values
    return square * square


def _standard_defects(
    null: str, rng_col: str, rng_value: object, code: str, bad_code: str, ts: str, null_rate: float = 0.015
) -> tuple[Defect, ...]:
    """The defects every sample carries: nulls, out-of-range values, bad codes, duplicate keys, disorder."""
    return (
        Defect("null", null, null_rate, note="optional column left empty"),
        Defect("out_of_range", rng_col, 0.005, rng_value, note="value outside the declared range"),
        Defect("bad_code", code, 0.01, bad_code, note="code not in the code list"),
        Defect("duplicate_key", "record_id", 0.003, note="record_id repeats the previous row's"),
        Defect("out_of_order", ts, 0.001, note="adjacent rows swapped, one inversion each"),
    )


# --- 车路协同 vehicle-road telemetry (Wuxi) -------------------------------------------------------------------
V2X_TYPES = ("car", "bus", "truck", "van", "motorcycle")
V2X_EVENTS = ("normal", "hard_brake", "lane_change", "red_light_violation", "congestion")
V2X_SPEED = {"car": 52.0, "bus": 36.0, "truck": 44.0, "van": 47.0, "motorcycle": 38.0}


def _v2x(rand: Rand, rows: int) -> Columns:
    ts = rand.times(rows, *_window(datetime(2025, 6, 29)), hour_weights=TRAFFIC_HOURS)
    vehicle = rand.choice(rows, V2X_TYPES, (0.72, 0.05, 0.12, 0.08, 0.03))
    mean = np.array([V2X_SPEED[v] for v in vehicle])
    return {
        "record_id": serials("R", 250600001, rows, 9),
        "rsu_id": rand.choice(rows, codes("RSU-WX-", 48, 4)),
        "ts": timestamps(ts),
        "received_at": timestamps(ts + rand.integers(rows, 0, 3)),
        "vehicle_ref": rand.letters(rows, 10),
        "vehicle_type": vehicle,
        "lane": rand.integers(rows, 1, 4),
        "speed_kmh": np.clip(rand.bell(rows, 0.0, 1.0) * 12.0 + mean, 0.0, 130.0),
        "heading_deg": rand.uniform(rows, 0.0, 360.0),
        "lon": rand.uniform(rows, 120.30, 120.45),
        "lat": rand.uniform(rows, 31.45, 31.60),
        "event_type": rand.choice(rows, V2X_EVENTS, (0.9, 0.03, 0.05, 0.005, 0.015)),
        "signal_phase": rand.choice(rows, ("red", "green", "yellow"), (0.45, 0.5, 0.05)),
    }


V2X = Scenario(
    kind="v2x",
    title="车路协同路侧感知 vehicle-road telemetry",
    standard="T/CSAE 158-2020 基于车路协同的高等级自动驾驶数据交互内容",
    fields=(
        Field("record_id", "string", required=True, unique=True, pattern=r"^R\d{9}$"),
        Field("rsu_id", "string", required=True, pattern=r"^RSU-WX-\d{4}$"),
        Field("ts", "datetime", required=True),
        Field("received_at", "datetime", required=True),
        Field("vehicle_ref", "string", required=True, pattern=r"^[A-Z]{10}$"),
        Field("vehicle_type", "string", required=True, codes=V2X_TYPES),
        Field("lane", "integer", required=True, min=1, max=6),
        Field("speed_kmh", "number", required=True, min=0, max=200, decimals=1),
        Field("heading_deg", "number", min=0, max=360, decimals=1),
        Field("lon", "number", required=True, min=73.5, max=135.1, decimals=6),
        Field("lat", "number", required=True, min=3.8, max=53.6, decimals=6),
        Field("event_type", "string", codes=V2X_EVENTS),
        Field("signal_phase", "string", codes=("red", "green", "yellow")),
    ),
    build=_v2x,
    defects=_standard_defects("signal_phase", "speed_kmh", 255.0, "vehicle_type", "tractor", "ts"),
    rules=(
        {
            "id": "received_after_observed",
            "kind": "column_pair_ge",
            "a": "received_at",
            "b": "ts",
            "dimension": "consistency",
        },
    ),
    timeliness=_timeliness("ts"),
)


# --- 稻田农情 paddy-field agronomy (Nanchang) ---------------------------------------------------------------
PADDY_STAGES = ("seedling", "tillering", "jointing", "booting", "heading", "filling", "maturity")
PADDY_COUNTIES = ("南昌县", "新建区", "进贤县", "安义县")
PEST_LEVELS = ("clear", "light", "moderate", "severe")


def _paddy(rand: Rand, rows: int) -> Columns:
    ts = rand.times(rows, *_window(datetime(2025, 6, 29)), hour_weights=DAY_HOURS)
    return {
        "record_id": serials("P", 250600001, rows, 9),
        "field_id": rand.choice(rows, codes("NC-PF-", 180, 4)),
        "county": rand.choice(rows, PADDY_COUNTIES, (0.4, 0.25, 0.2, 0.15)),
        "obs_time": timestamps(ts),
        "uploaded_at": timestamps(ts + 60 * rand.integers(rows, 1, 30)),
        "growth_stage": rand.choice(rows, PADDY_STAGES, (0.05, 0.15, 0.2, 0.25, 0.2, 0.12, 0.03)),
        "water_level_cm": np.clip(rand.bell(rows, 6.0, 2.5), 0.0, 30.0),
        "soil_moisture_pct": np.clip(rand.bell(rows, 78.0, 8.0), 0.0, 100.0),
        "air_temp_c": rand.bell(rows, 28.5, 3.0),
        "leaf_area_index": np.clip(rand.bell(rows, 4.2, 1.1), 0.0, 10.0),
        "ndvi": np.clip(rand.bell(rows, 0.68, 0.08), -1.0, 1.0),
        "rainfall_mm": np.clip(rand.bell(rows, 2.0, 4.0), 0.0, None),
        "pest_level": rand.choice(rows, PEST_LEVELS, (0.7, 0.2, 0.08, 0.02)),
    }


PADDY = Scenario(
    kind="paddy",
    title="稻田农情监测 paddy-field agronomy",
    standard="Q/HSNQ 001-2024 稻田农情监测数据规范（企业标准）",
    fields=(
        Field("record_id", "string", required=True, unique=True, pattern=r"^P\d{9}$"),
        Field("field_id", "string", required=True, pattern=r"^NC-PF-\d{4}$"),
        Field("county", "string", required=True, codes=PADDY_COUNTIES),
        Field("obs_time", "datetime", required=True),
        Field("uploaded_at", "datetime", required=True),
        Field("growth_stage", "string", required=True, codes=PADDY_STAGES),
        Field("water_level_cm", "number", required=True, min=0, max=30, decimals=1),
        Field("soil_moisture_pct", "number", min=0, max=100, decimals=1),
        Field("air_temp_c", "number", min=-10, max=50, decimals=1),
        Field("leaf_area_index", "number", min=0, max=10, decimals=2),
        Field("ndvi", "number", min=-1, max=1, decimals=3),
        Field("rainfall_mm", "number", min=0, max=500, decimals=1),
        Field("pest_level", "string", codes=PEST_LEVELS),
    ),
    build=_paddy,
    defects=_standard_defects(
        "rainfall_mm", "water_level_cm", 85.0, "pest_level", "unknown", "obs_time", null_rate=0.02
    ),
    rules=(
        {
            "id": "uploaded_after_observed",
            "kind": "column_pair_ge",
            "a": "uploaded_at",
            "b": "obs_time",
            "dimension": "consistency",
        },
    ),
    timeliness=_timeliness("obs_time"),
)


# --- 酒店经营 hotel operations (Hangzhou) -------------------------------------------------------------------
AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
AGE_WEIGHTS = (0.12, 0.34, 0.26, 0.15, 0.09, 0.04)
GUEST_REGIONS = ("浙江", "上海", "江苏", "安徽", "广东", "北京", "其他")
REGION_WEIGHTS = (0.38, 0.18, 0.14, 0.07, 0.06, 0.05, 0.12)
ROOM_TYPES = ("standard", "twin", "deluxe", "suite", "family")
ROOM_RATES = {"standard": 420.0, "twin": 460.0, "deluxe": 680.0, "suite": 1280.0, "family": 760.0}
CHANNELS = ("direct", "ota", "corporate", "travel_agency", "walk_in")
REMARKS = ("含双早", "延迟退房", "发票已开", "会员升级", "无烟楼层", "加床一张")


def _hotel(rand: Rand, rows: int) -> Columns:
    start, end = _window(datetime(2025, 6, 29))
    checkout_day = rand.times(rows, start, end) // 86400 * 86400
    created = checkout_day + 8 * 3600 + rand.integers(rows, 0, 5 * 3600)
    order = np.argsort(created, kind="stable")
    checkout_day, created = checkout_day[order], created[order]
    nights = np.minimum(1 + rand.pick(rows, (0.48, 0.27, 0.12, 0.06, 0.04, 0.02, 0.01)), 30)
    room = rand.choice(rows, ROOM_TYPES, (0.45, 0.2, 0.2, 0.05, 0.1))
    rate = np.round(np.array([ROOM_RATES[r] for r in room]) * (0.8 + 0.5 * rand.unit(rows)), 0)
    room_revenue = rate * nights
    other_revenue = np.round(np.clip(rand.bell(rows, 120.0, 80.0), 0.0, None), 2)
    qi = rand.classes(rows, [a * r for a in AGE_WEIGHTS for r in REGION_WEIGHTS])
    remark = rand.choice(rows, REMARKS)
    remark[rand.unit(rows) < 0.9] = None
    return {
        "record_id": serials("H", 250600001, rows, 9),
        "hotel_id": rand.choice(rows, codes("HZ-H", 14, 2)),
        "checkin_date": dates(checkout_day - nights * 86400),
        "checkout_date": dates(checkout_day),
        "nights": nights,
        "room_type": room,
        "channel": rand.choice(rows, CHANNELS, (0.22, 0.46, 0.14, 0.08, 0.1)),
        "guest_ref": np.array(["G-" + g for g in rand.letters(rows, 8)], dtype=object),
        "age_band": np.asarray(AGE_BANDS, dtype=object)[qi // len(GUEST_REGIONS)],
        "guest_region": np.asarray(GUEST_REGIONS, dtype=object)[qi % len(GUEST_REGIONS)],
        "room_rate": rate,
        "room_revenue": room_revenue,
        "other_revenue": other_revenue,
        "total_revenue": np.round(room_revenue + other_revenue, 2),
        "created_at": timestamps(created),
        "remark": remark,
    }


HOTEL = Scenario(
    kind="hotel",
    title="酒店经营 hotel operations (stays)",
    standard="Q/QHJD 002-2024 酒店经营数据规范（企业标准）",
    fields=(
        Field("record_id", "string", required=True, unique=True, pattern=r"^H\d{9}$"),
        Field("hotel_id", "string", required=True, pattern=r"^HZ-H\d{2}$"),
        Field("checkin_date", "date", required=True),
        Field("checkout_date", "date", required=True),
        Field("nights", "integer", required=True, min=1, max=30),
        Field("room_type", "string", codes=ROOM_TYPES),
        Field("channel", "string", required=True, codes=CHANNELS),
        Field("guest_ref", "string", required=True, pattern=r"^G-[A-Z]{8}$"),
        Field("age_band", "string", required=True, codes=AGE_BANDS),
        Field("guest_region", "string", required=True, codes=GUEST_REGIONS),
        Field("room_rate", "number", required=True, min=100, max=5000, decimals=2),
        Field("room_revenue", "number", required=True, min=0, decimals=2),
        Field("other_revenue", "number", required=True, min=0, decimals=2),
        Field("total_revenue", "number", required=True, min=0, decimals=2),
        Field("created_at", "datetime", required=True),
        Field("remark", "string"),
    ),
    build=_hotel,
    defects=(
        *_standard_defects(
            "room_type", "room_rate", 28000.0, "channel", "unknown_channel", "created_at", null_rate=0.012
        ),
        Defect("rule_break", "total_revenue", 0.002, 10.0, note="total_revenue ≠ room + other by ¥10"),
        Defect(
            "pii_decoy",
            "remark",
            0.0015,
            "证件复核:{}",
            note="18-char ID-like string with a WRONG GB 11643 check digit (must not be flagged)",
        ),
    ),
    rules=(
        {
            "id": "checkout_after_checkin",
            "kind": "column_pair_ge",
            "a": "checkout_date",
            "b": "checkin_date",
            "dimension": "consistency",
        },
        {
            "id": "total_eq_room_plus_other",
            "kind": "sum_equals",
            "columns": ["room_revenue", "other_revenue"],
            "total": "total_revenue",
            "dimension": "consistency",
        },
    ),
    timeliness=_timeliness("created_at"),
    quasi_identifiers=("age_band", "guest_region"),
)


# --- 停车 parking sessions (Xi'an) ------------------------------------------------------------------------
PARKING_DISTRICTS = ("雁塔区", "碑林区", "新城区", "莲湖区", "未央区", "曲江新区")
PARKING_LOTS = 60
VEHICLE_CLASSES = ("small", "large", "new_energy_small", "new_energy_large")
PAY_METHODS = ("wechat", "alipay", "etc", "unionpay", "cash")


def parking_lots() -> dict[str, pd.DataFrame]:
    """The parking-lot lookup the sessions reference (cross-table consistency)."""
    ids = codes("XA-PL-", PARKING_LOTS, 3)
    district = [PARKING_DISTRICTS[i % len(PARKING_DISTRICTS)] for i in range(PARKING_LOTS)]
    frame = pd.DataFrame(
        {
            "lot_id": ids,
            "lot_name": [f"{d}第{i + 1}停车场" for i, d in enumerate(district)],
            "district": district,
            "lot_type": ["road_side" if i % 3 == 0 else "off_street" for i in range(PARKING_LOTS)],
            "capacity": [str(40 + (i * 37) % 460) for i in range(PARKING_LOTS)],
        },
        dtype=object,
    )
    return {"parking_lots.csv": frame}


def _parking(rand: Rand, rows: int) -> Columns:
    exit_ts = rand.times(rows, *_window(datetime(2025, 6, 29)), hour_weights=TRAFFIC_HOURS)
    minutes = np.clip(
        np.round(rand.bell(rows, 0.0, 1.0) * 60.0 + 95.0 + 200.0 * _fourth(rand.unit(rows))), 3, 4320
    )
    minutes = minutes.astype(np.int64)
    vehicle = rand.choice(rows, VEHICLE_CLASSES, (0.7, 0.06, 0.22, 0.02))
    fee_due = np.minimum(np.maximum(np.ceil((minutes - 15) / 30.0), 0) * 2.5, 60.0)
    discount = np.where(rand.unit(rows) < 0.15, np.round(fee_due * 0.5, 2), 0.0)
    return {
        "record_id": serials("K", 250600001, rows, 9),
        "lot_id": rand.choice(rows, codes("XA-PL-", PARKING_LOTS, 3)),
        "vehicle_ref": rand.letters(rows, 10),
        "vehicle_class": vehicle,
        "entry_time": timestamps(exit_ts - minutes * 60),
        "exit_time": timestamps(exit_ts),
        "duration_min": minutes,
        "fee_due": fee_due,
        "discount": discount,
        "fee_paid": np.round(fee_due - discount, 2),
        "pay_method": rand.choice(rows, PAY_METHODS, (0.48, 0.3, 0.12, 0.07, 0.03)),
    }


PARKING = Scenario(
    kind="parking",
    title="城市停车 parking sessions",
    standard="Q/CBTC 001-2024 城市停车运营数据规范（企业标准）",
    fields=(
        Field("record_id", "string", required=True, unique=True, pattern=r"^K\d{9}$"),
        Field("lot_id", "string", required=True, pattern=r"^XA-PL-\d{3}$"),
        Field("vehicle_ref", "string", required=True, pattern=r"^[A-Z]{10}$"),
        Field("vehicle_class", "string", required=True, codes=VEHICLE_CLASSES),
        Field("entry_time", "datetime", required=True),
        Field("exit_time", "datetime", required=True),
        Field("duration_min", "integer", required=True, min=0, max=4320),
        Field("fee_due", "number", required=True, min=0, max=500, decimals=2),
        Field("discount", "number", required=True, min=0, max=500, decimals=2),
        Field("fee_paid", "number", required=True, min=0, max=500, decimals=2),
        Field("pay_method", "string", codes=PAY_METHODS),
    ),
    build=_parking,
    defects=(
        *_standard_defects(
            "pay_method", "duration_min", 9999, "vehicle_class", "motorbike", "exit_time", null_rate=0.012
        ),
        Defect(
            "unknown_reference", "lot_id", 0.002, "XA-PL-999", note="lot_id not in samples/parking_lots.csv"
        ),
    ),
    rules=(
        {
            "id": "exit_after_entry",
            "kind": "column_pair_ge",
            "a": "exit_time",
            "b": "entry_time",
            "dimension": "consistency",
        },
        {
            "id": "paid_plus_discount_eq_due",
            "kind": "sum_equals",
            "columns": ["fee_paid", "discount"],
            "total": "fee_due",
            "dimension": "consistency",
        },
    ),
    references=(
        {"id": "lot_known", "column": "lot_id", "file": "samples/parking_lots.csv", "key": "lot_id"},
    ),
    timeliness=_timeliness("exit_time"),
    lookups=parking_lots,
)


# --- 产线工艺 production-line process data (Ningbo) ---------------------------------------------------------
LINES = tuple(codes("NB-L", 6, 2))
STATIONS = ("injection", "cooling", "trimming", "inspection", "packing")
SHIFTS = ("A", "B", "C")


def _process(rand: Rand, rows: int) -> Columns:
    end_ts = rand.times(rows, *_window(datetime(2025, 6, 28)))
    cycle = np.clip(rand.bell(rows, 42.0, 6.0), 5.0, 600.0)
    output = rand.integers(rows, 8, 32)
    defects = np.minimum(rand.pick(rows, (0.82, 0.12, 0.04, 0.02)), output)
    hour = (end_ts % 86400) // 3600
    return {
        "record_id": serials("M", 250600001, rows, 9),
        "line_id": rand.choice(rows, LINES),
        "station": rand.choice(rows, STATIONS, (0.4, 0.15, 0.15, 0.2, 0.1)),
        "batch_no": np.array([f"B2506{b:05d}" for b in rand.integers(rows, 1, 3200)], dtype=object),
        "start_time": timestamps(end_ts - np.ceil(cycle * output).astype(np.int64)),
        "end_time": timestamps(end_ts),
        "cycle_time_s": cycle,
        "mould_temp_c": np.clip(rand.bell(rows, 62.0, 4.0), 20.0, 120.0),
        "melt_temp_c": np.clip(rand.bell(rows, 235.0, 6.0), 180.0, 320.0),
        "injection_pressure_mpa": np.clip(rand.bell(rows, 96.0, 9.0), 0.0, 250.0),
        "output_qty": output,
        "good_qty": output - defects,
        "defect_qty": defects,
        "shift": np.asarray(SHIFTS, dtype=object)[np.minimum(hour // 8, 2)],
    }


PROCESS = Scenario(
    kind="process",
    title="注塑产线工艺 production-line process data",
    standard="GB/T 37393-2019 数字化车间 通用技术要求",
    fields=(
        Field("record_id", "string", required=True, unique=True, pattern=r"^M\d{9}$"),
        Field("line_id", "string", required=True, codes=LINES),
        Field("station", "string", required=True, codes=STATIONS),
        Field("batch_no", "string", required=True, pattern=r"^B2506\d{5}$"),
        Field("start_time", "datetime", required=True),
        Field("end_time", "datetime", required=True),
        Field("cycle_time_s", "number", required=True, min=1, max=600, decimals=1),
        Field("mould_temp_c", "number", required=True, min=20, max=120, decimals=1),
        Field("melt_temp_c", "number", min=180, max=320, decimals=1),
        Field("injection_pressure_mpa", "number", min=0, max=250, decimals=1),
        Field("output_qty", "integer", required=True, min=0),
        Field("good_qty", "integer", required=True, min=0),
        Field("defect_qty", "integer", required=True, min=0),
        Field("shift", "string", codes=SHIFTS),
    ),
    build=_process,
    defects=_standard_defects("injection_pressure_mpa", "mould_temp_c", 185.0, "shift", "D", "end_time"),
    rules=(
        {
            "id": "end_after_start",
            "kind": "column_pair_ge",
            "a": "end_time",
            "b": "start_time",
            "dimension": "consistency",
        },
        {
            "id": "output_eq_good_plus_defect",
            "kind": "sum_equals",
            "columns": ["good_qty", "defect_qty"],
            "total": "output_qty",
            "dimension": "consistency",
        },
    ),
    timeliness=_timeliness("end_time"),
)


# --- 招投标公告 tender notices (Ganzhou) ---------------------------------------------------------------------
GZ_COUNTIES = ("章贡区", "南康区", "赣县区", "信丰县", "于都县", "兴国县", "宁都县", "瑞金市", "龙南市")
PURCHASERS = (
    "教育局",
    "卫生健康委员会",
    "交通运输局",
    "住房和城乡建设局",
    "水利局",
    "人民医院",
    "城市管理局",
)
SUBJECTS = (
    "校舍维修改造工程",
    "办公设备采购",
    "道路养护服务",
    "医疗设备采购",
    "物业管理服务",
    "信息化系统建设",
    "绿化养护服务",
    "污水管网改造工程",
)
NOTICE_TYPES = ("tender", "change", "candidate_publicity", "result")
CATEGORIES = ("works", "goods", "services")
METHODS = (
    "open",
    "invited",
    "competitive_negotiation",
    "competitive_consultation",
    "single_source",
    "inquiry",
)


def _tender(rand: Rand, rows: int) -> Columns:
    ts = rand.times(rows, *_window(datetime(2025, 6, 28)), hour_weights=DAY_HOURS)
    county = rand.choice(rows, GZ_COUNTIES)
    purchaser = rand.choice(rows, PURCHASERS)
    subject = rand.choice(rows, SUBJECTS)
    budget = np.round((50_000.0 + 30_000_000.0 * _fourth(rand.unit(rows))) / 100.0, 0) * 100.0
    return {
        "record_id": serials("T", 250600001, rows, 9),
        "notice_no": serials("GZZB-2025-", 30001, rows, 6),
        "publish_time": timestamps(ts),
        "bid_open_time": timestamps(
            ts // 86400 * 86400
            + (20 + rand.integers(rows, 0, 15)) * 86400
            + 9 * 3600
            + 1800 * rand.integers(rows, 0, 4)
        ),
        "notice_type": rand.choice(rows, NOTICE_TYPES, (0.55, 0.12, 0.15, 0.18)),
        "category": rand.choice(rows, CATEGORIES, (0.35, 0.35, 0.3)),
        "method": rand.choice(rows, METHODS, (0.62, 0.03, 0.12, 0.1, 0.03, 0.1)),
        "county": county,
        "purchaser": np.array([f"{c}{p}" for c, p in zip(county, purchaser, strict=True)], dtype=object),
        "title": np.array(
            [f"{c}{p}{s}公告" for c, p, s in zip(county, purchaser, subject, strict=True)], dtype=object
        ),
        "budget_cny": budget,
    }


TENDER = Scenario(
    kind="tender",
    title="招标投标公告 tender notices",
    standard="《招标公告和公示信息发布管理办法》（国家发展改革委令第10号）",
    fields=(
        Field("record_id", "string", required=True, unique=True, pattern=r"^T\d{9}$"),
        Field("notice_no", "string", required=True, pattern=r"^GZZB-2025-\d{6}$"),
        Field("publish_time", "datetime", required=True),
        Field("bid_open_time", "datetime", required=True),
        Field("notice_type", "string", required=True, codes=NOTICE_TYPES),
        Field("category", "string", required=True, codes=CATEGORIES),
        Field("method", "string", required=True, codes=METHODS),
        Field("county", "string", required=True, codes=GZ_COUNTIES),
        Field("purchaser", "string", required=True),
        Field("title", "string", required=True),
        Field("budget_cny", "number", min=0, max=500000000, decimals=2),
    ),
    build=_tender,
    defects=(
        Defect("null", "budget_cny", 0.018, note="budget not disclosed"),
        Defect("out_of_range", "budget_cny", 0.005, -1.0, note="negative budget (placeholder -1)"),
        Defect("bad_code", "method", 0.01, "other_method", note="code not in the code list"),
        Defect("duplicate_key", "record_id", 0.003, note="record_id repeats the previous row's"),
        Defect("out_of_order", "publish_time", 0.001, note="adjacent rows swapped, one inversion each"),
    ),
    rules=(
        {
            "id": "open_after_publish",
            "kind": "column_pair_ge",
            "a": "bid_open_time",
            "b": "publish_time",
            "dimension": "consistency",
        },
    ),
    timeliness=_timeliness("publish_time"),
)


# --- 冷链温控 cold-chain temperature logs (Nanjing) -----------------------------------------------------------
PRODUCTS = ("frozen_meat", "seafood", "dairy", "fruit_vegetable", "pharma", "ice_cream")
SETPOINTS = {
    "frozen_meat": -18.0,
    "seafood": -18.0,
    "dairy": 4.0,
    "fruit_vegetable": 6.0,
    "pharma": 5.0,
    "ice_cream": -22.0,
}


def _coldchain(rand: Rand, rows: int) -> Columns:
    ts = rand.times(rows, *_window(datetime(2025, 6, 29)))
    product = rand.choice(rows, PRODUCTS, (0.28, 0.2, 0.18, 0.16, 0.08, 0.1))
    setpoint = np.array([SETPOINTS[p] for p in product])
    temp = setpoint + rand.bell(rows, 0.0, 0.9)
    low = temp - 0.1 - 0.6 * rand.unit(rows)
    high = temp + 0.1 + 0.6 * rand.unit(rows)
    return {
        "record_id": serials("C", 250600001, rows, 9),
        "device_id": rand.choice(rows, codes("NJ-TL-", 120, 4)),
        "waybill_no": np.array([f"WB2506{w:05d}" for w in rand.integers(rows, 1, 9000)], dtype=object),
        "ts": timestamps(ts),
        "product_category": product,
        "setpoint_c": setpoint,
        "temp_c": temp,
        "temp_min_c": np.round(low, 1),
        "temp_max_c": np.round(high, 1),
        "humidity_pct": np.clip(rand.bell(rows, 82.0, 6.0), 0.0, 100.0),
        "door_open": rand.unit(rows) < 0.02,
        "lon": rand.uniform(rows, 118.60, 119.05),
        "lat": rand.uniform(rows, 31.85, 32.20),
    }


COLDCHAIN = Scenario(
    kind="coldchain",
    title="冷链运输温控 cold-chain temperature logs",
    standard="GB 31605-2020 食品安全国家标准 食品冷链物流卫生规范",
    fields=(
        Field("record_id", "string", required=True, unique=True, pattern=r"^C\d{9}$"),
        Field("device_id", "string", required=True, pattern=r"^NJ-TL-\d{4}$"),
        Field("waybill_no", "string", required=True, pattern=r"^WB2506\d{5}$"),
        Field("ts", "datetime", required=True),
        Field("product_category", "string", required=True, codes=PRODUCTS),
        Field("setpoint_c", "number", required=True, min=-30, max=10, decimals=1),
        Field("temp_c", "number", required=True, min=-40, max=30, decimals=1),
        Field("temp_min_c", "number", required=True, min=-40, max=30, decimals=1),
        Field("temp_max_c", "number", required=True, min=-40, max=30, decimals=1),
        Field("humidity_pct", "number", min=0, max=100, decimals=1),
        Field("door_open", "boolean", required=True),
        Field("lon", "number", required=True, min=73.5, max=135.1, decimals=6),
        Field("lat", "number", required=True, min=3.8, max=53.6, decimals=6),
    ),
    build=_coldchain,
    defects=_standard_defects("humidity_pct", "temp_c", 85.0, "product_category", "misc", "ts"),
    rules=(
        {
            "id": "max_ge_min",
            "kind": "column_pair_ge",
            "a": "temp_max_c",
            "b": "temp_min_c",
            "dimension": "consistency",
        },
    ),
    timeliness=_timeliness("ts"),
)


# --- 智能电表 smart-meter energy readings (Xi'an) -------------------------------------------------------------
METER_DISTRICTS = ("雁塔区", "碑林区", "新城区", "莲湖区", "未央区", "灞桥区", "长安区", "高陵区")
CUSTOMER_TYPES = ("residential", "commercial", "industrial")
READ_STATUS = ("ok", "estimated", "retried")
FREEZE_HOURS = (3.0, 1.0) + (0.0,) * 22  # daily frozen readings (日冻结) are collected 00:00-02:00


def _meter(rand: Rand, rows: int) -> Columns:
    ts = rand.times(rows, *_window(datetime(2025, 6, 29)), hour_weights=FREEZE_HOURS)
    qi = rand.classes(
        rows, [d * c for d in (0.2, 0.12, 0.12, 0.14, 0.16, 0.09, 0.11, 0.06) for c in (0.8, 0.15, 0.05)]
    )
    customer = np.asarray(CUSTOMER_TYPES, dtype=object)[qi % len(CUSTOMER_TYPES)]
    scale = np.array([{"residential": 1.0, "commercial": 12.0, "industrial": 60.0}[c] for c in customer])
    total = np.round(np.clip(rand.bell(rows, 9.0, 3.0), 0.2, None) * scale, 2)
    peak = np.round(total * (0.25 + 0.15 * rand.unit(rows)), 2)
    valley = np.round(total * (0.2 + 0.15 * rand.unit(rows)), 2)
    return {
        "record_id": serials("E", 250600001, rows, 9),
        "meter_no": np.array([f"MTR{m:08d}" for m in rand.integers(rows, 61010001, 61019999)], dtype=object),
        "district": np.asarray(METER_DISTRICTS, dtype=object)[qi // len(CUSTOMER_TYPES)],
        "customer_type": customer,
        "ts": timestamps(ts),
        "total_kwh": total,
        "peak_kwh": peak,
        "flat_kwh": np.round(total - peak - valley, 2),
        "valley_kwh": valley,
        "voltage_v": rand.bell(rows, 228.0, 3.5),
        "power_factor": np.clip(rand.bell(rows, 0.93, 0.03), 0.5, 1.0),
        "read_status": rand.choice(rows, READ_STATUS, (0.96, 0.03, 0.01)),
    }


METER = Scenario(
    kind="meter",
    title="智能电表日冻结用能 smart-meter daily energy readings",
    standard="DL/T 698.45-2017 电能信息采集与管理系统 第4-5部分：通信协议—面向对象的数据交换协议",
    fields=(
        Field("record_id", "string", required=True, unique=True, pattern=r"^E\d{9}$"),
        Field("meter_no", "string", required=True, pattern=r"^MTR\d{8}$"),
        Field("district", "string", required=True, codes=METER_DISTRICTS),
        Field("customer_type", "string", required=True, codes=CUSTOMER_TYPES),
        Field("ts", "datetime", required=True),
        Field("total_kwh", "number", required=True, min=0, max=5000, decimals=2),
        Field("peak_kwh", "number", required=True, min=0, max=5000, decimals=2),
        Field("flat_kwh", "number", required=True, min=0, max=5000, decimals=2),
        Field("valley_kwh", "number", required=True, min=0, max=5000, decimals=2),
        Field("voltage_v", "number", required=True, min=180, max=260, decimals=1),
        Field("power_factor", "number", min=0, max=1, decimals=3),
        Field("read_status", "string", required=True, codes=READ_STATUS),
    ),
    build=_meter,
    defects=_standard_defects("power_factor", "voltage_v", 0.0, "read_status", "err", "ts"),
    rules=(
        {
            "id": "total_eq_tou_sum",
            "kind": "sum_equals",
            "columns": ["peak_kwh", "flat_kwh", "valley_kwh"],
            "total": "total_kwh",
            "dimension": "consistency",
        },
    ),
    timeliness=_timeliness("ts"),
    quasi_identifiers=("district", "customer_type"),
)

SCENARIOS: dict[str, Scenario] = {
    s.kind: s for s in (V2X, PADDY, HOTEL, PARKING, PROCESS, TENDER, COLDCHAIN, METER)
}
