"""The current administrative units (34 provinces, 3,321 communes and wards since 1 July 2025), from
the official list the `vietnam-provinces` package ships. Plain Python: imports check a row's commune
and province against it (backend/services/item_import.py; docs/import-format.md)."""

from __future__ import annotations

import re
from functools import lru_cache

from vietnam_provinces import Province, Ward

from backend.domain.text import fold

_PROVINCE_PREFIXES = ("tinh ", "thanh pho ", "tp. ", "tp.", "tp ")
_COMMUNE_PREFIXES = ("xa ", "phuong ", "dac khu ", "p. ", "x. ")


def _key(name: str, prefixes: tuple[str, ...]) -> str:
    folded = fold(name).strip()
    for prefix in prefixes:
        if folded.startswith(prefix):
            folded = folded[len(prefix) :]
            break
    return re.sub(r"[^a-z0-9]", "", folded)


@lru_cache(maxsize=1)
def _units() -> tuple[dict[str, str], dict[str, dict[str, list[str]]]]:
    """(province key -> official name, province key -> {commune key -> official names})."""
    provinces = {_key(p.name, _PROVINCE_PREFIXES): p.name for p in Province.iter_all()}
    by_code = {p.code: _key(p.name, _PROVINCE_PREFIXES) for p in Province.iter_all()}
    communes: dict[str, dict[str, list[str]]] = {}
    for ward in Ward.iter_all():
        names = communes.setdefault(by_code[ward.province_code], {})
        names.setdefault(_key(ward.name, _COMMUNE_PREFIXES), []).append(ward.name)
    return provinces, communes


def current_province(name: str) -> str | None:
    """The official name of a current province written `name` (with or without 'Tỉnh'), or None."""
    return _units()[0].get(_key(name, _PROVINCE_PREFIXES))


def commune_problem(commune: str, province: str) -> tuple[str, str] | None:
    """Why `commune` is not a current commune or ward of the current province `province`, in English
    and Vietnamese, or None. A name without 'Xã'/'Phường' is fine when only one unit bears it."""
    official = current_province(province)
    if official is None:
        return None  # the province's own check speaks
    names = _units()[1][_key(official, _PROVINCE_PREFIXES)].get(_key(commune, _COMMUNE_PREFIXES), [])
    if any(fold(name) == fold(commune) for name in names) or len(names) == 1:
        return None
    if names:
        return (
            f"'{commune}' is ambiguous in {official}: write one of {', '.join(names)}",
            f"'{commune}' chưa rõ ở {official}: hãy ghi một trong {', '.join(names)}",
        )
    return (
        f"'{commune}' is not a current commune or ward of {official} (the official list of units since "
        "1 July 2025): give the current one and put the old address in Địa chỉ cũ (old_address)",
        f"'{commune}' không phải xã, phường hiện nay của {official} (danh mục đơn vị hành chính từ "
        "1/7/2025): hãy ghi xã, phường hiện nay và ghi địa chỉ cũ vào cột Địa chỉ cũ (old_address)",
    )


def province_problem(province: str) -> tuple[str, str] | None:
    if current_province(province) is not None:
        return None
    return (
        f"'{province}' is not one of the 34 current provinces and cities",
        f"'{province}' không phải một trong 34 tỉnh, thành phố hiện nay",
    )


def official_commune(commune: str, province: str) -> str | None:
    """The official name of the current commune or ward `commune` of the current province `province`
    (as `commune_problem` accepts it), or None."""
    official = current_province(province)
    if official is None:
        return None
    names = _units()[1][_key(official, _PROVINCE_PREFIXES)].get(_key(commune, _COMMUNE_PREFIXES), [])
    exact = [name for name in names if fold(name) == fold(commune)]
    if exact:
        return exact[0]
    return names[0] if len(names) == 1 else None
