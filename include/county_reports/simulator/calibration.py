"""How the simulated figures move: seasons, the county's flows by kind of unit, stock levels,
and the figures that follow from another one. Read by :mod:`.data`; changing a number here
changes every generated submission (and the demo's documents).
"""
from __future__ import annotations

from dataclasses import dataclass

BASE_YEAR = 2024            # month index 0 = January of this year; stock levels are set for it

# Monthly weights. Building stops around Spring Festival (Jan–Feb) and peaks at the year-end push;
# passengers peak with 春运 and the October holiday; water damage with the flood season.
SEASONS = {
    "build":     (0.35, 0.25, 0.75, 0.95, 1.05, 1.10, 0.95, 0.95, 1.10, 1.25, 1.40, 1.60),
    "flat":      (0.95, 0.85, 1.00, 1.00, 1.00, 1.00, 1.00, 1.00, 1.00, 1.05, 1.05, 1.10),
    "passenger": (1.30, 1.50, 0.90, 0.95, 1.05, 0.90, 1.00, 1.05, 0.95, 1.25, 0.85, 0.90),
    "freight":   (0.85, 0.55, 1.00, 1.05, 1.05, 1.00, 0.95, 0.95, 1.05, 1.15, 1.15, 1.20),
    "flood":     (0.25, 0.25, 0.45, 0.70, 1.20, 2.00, 2.60, 2.20, 1.10, 0.60, 0.40, 0.25),
    "safety":    (1.15, 1.05, 0.90, 0.90, 0.95, 1.30, 1.00, 1.00, 1.05, 1.05, 0.95, 1.20),
    "summer":    (0.70, 0.50, 0.90, 1.00, 1.05, 1.10, 1.50, 1.60, 1.00, 1.05, 0.85, 0.75),
}

_TS, _RC, _SC = "township_station", "road_centre", "service_centre"
_EB, _WC, _QS = "enforcement_brigade", "water_centre", "quality_station"


@dataclass(frozen=True)
class Flow:
    total: float                 # county total of BASE_YEAR when targets.yaml has none
    shares: dict[str, float]     # which kinds of unit carry which part of it
    season: str
    sigma: float                 # month-to-month noise (log-normal, mean 1)


FLOWS = {
    "INV_HIGHWAY": Flow(41000, {_RC: .6, _TS: .4}, "build", .3),
    "INV_WATERWAY": Flow(6000, {_WC: 1}, "build", .3),
    "INV_HUB": Flow(5000, {_SC: 1}, "build", .3),
    "PROJ_STARTED": Flow(12, {_RC: .75, _WC: .25}, "build", .3),
    "PROJ_COMPLETED": Flow(10, {_RC: .8, _WC: .2}, "build", .3),
    "RURAL_ROAD_KM": Flow(150, {_TS: .65, _RC: .35}, "build", .25),
    "RURAL_UPGRADE_KM": Flow(60, {_TS: 1}, "build", .25),
    "BRIDGE_REBUILT": Flow(24, {_RC: .6, _TS: .4}, "build", .2),
    "SAFETY_GUARD_KM": Flow(90, {_RC: 1}, "build", .25),
    "VILLAGE_ROAD_KM": Flow(80, {_TS: 1}, "build", .25),
    "MAINT_MAJOR_KM": Flow(45, {_RC: 1}, "build", .25),
    "MAINT_FUNDS": Flow(3600, {_RC: 1}, "build", .2),
    "WATER_DAMAGE_FIXED": Flow(260, {_RC: .5, _TS: .5}, "flood", .3),
    "PASSENGER_VOLUME": Flow(420, {_SC: 1}, "passenger", .06),
    "FREIGHT_VOLUME": Flow(1150, {_SC: 1}, "freight", .08),
    "VEH_INSPECTED": Flow(9000, {_SC: 1}, "flat", .12),
    "LICENCES_ISSUED": Flow(4800, {_SC: 1}, "flat", .12),
    "DRIVERS_TRAINED": Flow(6000, {_SC: 1}, "summer", .12),
    "SERVICE_ITEMS": Flow(26000, {_SC: .7, _TS: .3}, "flat", .12),
    "OVERLOAD_CHECKED": Flow(180000, {_EB: 1}, "freight", .1),
    "ENF_PATROLS": Flow(3600, {_EB: .55, _TS: .45}, "flat", .15),
    "ENF_CASES": Flow(900, {_EB: 1}, "flat", .15),
    "ENF_FINES": Flow(220, {_EB: 1}, "flat", .25),
    "ILLEGAL_OPERATION": Flow(260, {_EB: 1}, "passenger", .25),
    "SAFETY_INSPECTIONS": Flow(2400, {_TS: .45, _RC: .12, _SC: .12, _EB: .14, _WC: .09, _QS: .08},
                               "safety", .15),
    "ACCIDENTS": Flow(5, {_TS: .5, _RC: .15, _SC: .25, _WC: .1}, "flat", 0),
    "DRILLS": Flow(40, {_RC: .3, _SC: .3, _WC: .2, _EB: .2}, "safety", .2),
    "SAFETY_TRAINEES": Flow(5200, {_SC: .5, _RC: .3, _WC: .2}, "safety", .2),
    "WATER_PASSENGERS": Flow(38, {_WC: 1}, "summer", .1),
    "SHIPS_INSPECTED": Flow(1300, {_WC: 1}, "summer", .12),
    "QA_SAMPLES": Flow(1100, {_QS: 1}, "build", .15),
}


@dataclass(frozen=True)
class Stock:
    base: float      # level of a size-1.0 unit in January of BASE_YEAR
    spread: float    # units differ from each other by up to ± this fraction
    trend: float     # relative drift per month
    noise: float     # relative month-to-month wobble
    scaled: bool = True  # False for indexes (MQI) that do not grow with the unit


STOCKS = {
    "PROJ_ONGOING": {_RC: Stock(22, .1, .004, .04), _WC: Stock(5, .2, 0, .08)},
    "MAINT_ROUTINE_KM": {_RC: Stock(1250, .1, .0012, .001), _TS: Stock(190, .2, .0015, .001)},
    "ROAD_MQI": {_RC: Stock(86.0, .02, .0004, .002, scaled=False)},
    "BUS_LINES": {_SC: Stock(46, .1, .004, 0)},
    "BUS_VEHICLES": {_SC: Stock(280, .1, .003, .003)},
    "VILLAGES_TOTAL": {_TS: Stock(16, .15, 0, 0)},
    "LOGISTICS_POINTS": {_TS: Stock(7, .2, .012, 0)},
    "FERRY_POINTS": {_WC: Stock(21, .1, -.005, 0)},
    "QA_PROJECTS": {_QS: Stock(36, .1, .003, .03)},
}

# Figures that follow from another one of the same unit and month: child → (parent, low, high).
RATIOS = {
    "HAZARD_FOUND": ("SAFETY_INSPECTIONS", .45, .85),
    "HAZARD_FIXED": ("HAZARD_FOUND", .955, 1.0),          # county fix rate ≈ 98 % (targets.yaml)
    "ENF_CASES_CLOSED": ("ENF_CASES", .90, 1.0),          # closure rate ≈ 95 %
    "OVERLOAD_FOUND": ("OVERLOAD_CHECKED", .006, .011),
    "OVERLOAD_UNLOADED": ("OVERLOAD_FOUND", 6, 14),       # tonnes per vehicle
    "OVERLOAD_FINES": ("OVERLOAD_FOUND", .06, .12),       # 万元 per vehicle
    "QA_SAMPLES_PASSED": ("QA_SAMPLES", .965, 1.0),
    "FREIGHT_TURNOVER": ("FREIGHT_VOLUME", 62, 88),       # average haul in km
    "PEAK_DAILY_PASSENGERS": ("PASSENGER_VOLUME", 1.3 / 30, 1.8 / 30),
}
SPECIAL = {"ACCIDENT_DEATHS": "ACCIDENTS", "VILLAGES_WITH_BUS": "VILLAGES_TOTAL"}
