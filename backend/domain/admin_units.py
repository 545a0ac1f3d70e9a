"""A commune or ward as people write it, looked up as a current unit (since 1 July 2025), else mapped
from the pre-2025 unit it was (backend/domain/data/old_communes.json, see its README line). Plain Python:
the import (backend/services/item_import.py) and the booking page (backend/services/citizen.py)
use it.

`resolve("Phường 1, Quận 3", "Hồ Chí Minh")` answers one of
- current: the name is a current commune or ward of the province;
- mapped: an old unit that became exactly one current unit (`name`), `old` says what was written;
- ambiguous: an old unit split between several current ones, or an old name several units bore
  (`choices`, the current units it may be);
- unknown: neither.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from backend.domain import units
from backend.domain.text import fold

_DATA = Path(__file__).parent / "data" / "old_communes.json"

# (folded prefix, the unit's kind): "P.", "Q.", "TP." and the rest as people abbreviate them
_COMMUNE_TYPES = (
    ("thi tran ", "thitran"),
    ("tt. ", "thitran"),
    ("tt.", "thitran"),
    ("tt ", "thitran"),
    ("phuong ", "phuong"),
    ("p. ", "phuong"),
    ("p.", "phuong"),
    ("xa ", "xa"),
    ("x. ", "xa"),
    ("x.", "xa"),
    ("dac khu ", "dackhu"),
)
_DISTRICT_PREFIXES = (
    "quan ",
    "q. ",
    "q.",
    "huyen ",
    "h. ",
    "h.",
    "thi xa ",
    "tx. ",
    "tx.",
    "tx ",
    "thanh pho ",
    "tp. ",
    "tp.",
    "tp ",
)


def _split_kind(name: str) -> tuple[str | None, str]:
    """('phuong', '1') for 'P. 1'; (None, 'bancơ') for a bare name. The key has no spaces or marks;
    a number keeps no leading zero ('Phường 01' is 'Phường 1')."""
    folded = fold(name).strip()
    kind = None
    for prefix, what in _COMMUNE_TYPES:
        if folded.startswith(prefix):
            folded, kind = folded[len(prefix) :], what
            break
    key = re.sub(r"[^a-z0-9]", "", folded)
    return kind, key.lstrip("0") if key.isdigit() else key


def _district_key(name: str) -> str:
    folded = fold(name).strip()
    for prefix in _DISTRICT_PREFIXES:
        if folded.startswith(prefix):
            folded = folded[len(prefix) :]
            break
    key = re.sub(r"[^a-z0-9]", "", folded)
    return key.lstrip("0") if key.isdigit() else key


@dataclass(frozen=True)
class _OldUnit:
    province: str  # as written before 2025, e.g. "Tỉnh Kiên Giang"
    district: str
    name: str
    kind: str | None
    district_key: str
    successors: tuple[tuple[str, str], ...]  # (current province, current commune)

    @property
    def label(self) -> str:
        return f"{self.name}, {self.district}, {self.province}"


@dataclass
class Resolution:
    status: str  # "current" | "mapped" | "ambiguous" | "unknown"
    written: str
    name: str | None = None  # the current commune (current, mapped)
    province: str | None = None  # the current province's official name
    old: str | None = None  # the old unit(s) it was taken as (mapped, ambiguous)
    choices: list[str] = field(default_factory=list)  # the current communes it may be (ambiguous)

    def to_dict(self) -> dict:
        return {
            "status": self.status,
            "written": self.written,
            "name": self.name,
            "province": self.province,
            "old": self.old,
            "choices": self.choices,
        }


@lru_cache(maxsize=1)
def _old_units() -> dict[str, dict[str, list[_OldUnit]]]:
    """current province -> commune key -> the old units of that name whose successors lie there."""
    document = json.loads(_DATA.read_text(encoding="utf-8"))
    current = [tuple(entry.split("|", 1)) for entry in document["current"]]
    # the dataset's province names, as the official list spells them
    provinces = {p: units.current_province(p) or p for p, _ in current}
    index: dict[str, dict[str, list[_OldUnit]]] = {}
    for province, districts in document["old_units"].items():
        for district, wards in districts.items():
            for ward, successors in wards.items():
                kind, key = _split_kind(ward)
                unit = _OldUnit(
                    province,
                    district,
                    ward,
                    kind,
                    _district_key(district),
                    tuple((provinces[current[i][0]], str(current[i][1])) for i in successors),
                )
                for new_province in {p for p, _ in unit.successors}:
                    index.setdefault(new_province, {}).setdefault(key, []).append(unit)
    return index


def resolve(written: str, province: str) -> Resolution:
    """`written` (a commune, maybe followed by its old district and province: "Phường 1, Quận 3") in
    the current province `province`."""
    official = units.current_province(province)
    if official is None:
        return Resolution("unknown", written)
    parts = [part.strip() for part in written.split(",") if part.strip()]
    if not parts:
        return Resolution("unknown", written, province=official)
    commune = parts[0]
    district = _district_key(parts[1]) if len(parts) > 1 else None
    kind, key = _split_kind(commune)
    if district is None and units.commune_problem(commune, official) is None:
        return Resolution("current", written, units.official_commune(commune, official), official)
    candidates = [
        unit
        for unit in _old_units().get(official, {}).get(key, [])
        if (kind is None or unit.kind == kind) and (district is None or unit.district_key == district)
    ]
    if not candidates:
        if district is not None and units.commune_problem(commune, official) is None:
            return Resolution("current", written, units.official_commune(commune, official), official)
        return Resolution("unknown", written, province=official)
    choices = sorted({name for unit in candidates for p, name in unit.successors if p == official})
    old = "; ".join(unit.label for unit in candidates)
    if len(choices) == 1:
        return Resolution("mapped", written, choices[0], official, old)
    return Resolution("ambiguous", written, province=official, old=old, choices=choices)


def old_units_of(province: str) -> list[dict]:
    """Every old unit whose successors lie in the current province, with the current commune(s)."""
    official = units.current_province(province)
    if official is None:
        return []
    olds = {unit for by_key in _old_units().get(official, {}).values() for unit in by_key}
    return [
        {
            "old": f"{unit.name}, {unit.district}",
            "old_province": unit.province,
            "current": sorted({n for p, n in unit.successors if p == official}),
        }
        for unit in sorted(olds, key=lambda u: (u.province, u.district, u.name))
    ]
