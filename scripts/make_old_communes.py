"""Build backend/domain/data/old_communes.json: every pre-July-2025 commune, ward and town (10,040),
with the current unit(s) it became, from the open dataset of the `vietnamadminunits`
package (MIT, github.com/tranngocminhhieu/vietnamadminunits, compiled from the 2025 resolutions of the
Standing Committee of the National Assembly on the arrangement of commune-level units).

The package needs shapely and geopy, so it is not a dependency: download its wheel once
(`pip download --no-deps vietnamadminunits==1.0.4`), unzip it and run
`python scripts/make_old_communes.py <unzipped>/vietnamadminunits/data`.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "backend" / "domain" / "data" / "old_communes.json"


def main(data: Path) -> None:
    db = sqlite3.connect(data / "dataset.db")
    converter = json.loads((data / "converter_2025.json").read_text(encoding="utf-8"))
    current: list[str] = []  # "province|ward", as the dataset writes them; the file refers to them by index
    new_code = {}
    for p, w, province, ward in db.execute(
        "select provinceKey, wardKey, province, ward from admin_units order by provinceCode, wardCode"
    ):
        new_code[(p, w)] = len(current)
        current.append(f"{province}|{ward}")
    old_names = {
        f"{p}_{d}_{w}": (province, district, ward)
        for p, d, w, province, district, ward in db.execute(
            "select provinceKey, districtKey, wardKey, province, district, ward from admin_units_legacy"
        )
    }
    codes: dict[str, set[int]] = {}
    for province, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward, olds in wards.items():
            for old in olds:
                codes.setdefault(old, set()).add(new_code[(province, ward)])
    for province, olds in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, parts in olds.items():
            for part in parts:
                codes.setdefault(old, set()).add(new_code[(province, part["newWardKey"])])
    tree: dict[str, dict[str, dict[str, list[int]]]] = {}
    for old, (province, district, ward) in sorted(old_names.items()):
        if old in codes:
            tree.setdefault(province, {}).setdefault(district, {})[ward] = sorted(codes[old])
    missing = sorted(set(old_names) - set(codes))
    document = {
        "source": "vietnamadminunits 1.0.4 (MIT), from the 2025 resolutions of the Standing Committee "
        "of the National Assembly on the arrangement of commune-level units",
        "current": current,
        "old_units": tree,
    }
    OUT.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{len(codes)} old units mapped, {len(missing)} without a successor: {missing[:5]}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
