"""Benchmark: ordering 50, 150 and 300 random stops around the post office.

Prints, per size, the time to build the distance matrix (the vectorised ellipsoidal
formula used in production, and geopy's exact geodesic over the upper triangle for
comparison, with how many pairs differ once rounded to whole metres), the OR-Tools and heuristic
solve times and walk lengths (closed tour), and the gap: positive when the
heuristic's walk is longer than OR-Tools'. The last line is one JSON object with
every number.

    .venv/bin/python bench/route_bench.py [--seed N] [--sizes 50,150,300]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geopy.distance import geodesic

from backend.config import load_config
from backend.domain.route_planner import (
    distance_matrix,
    plan_route,
    solve_heuristic,
    solve_ortools,
    time_limit_for,
    walk_length,
)


def scatter(rng: random.Random, origin: tuple[float, float], count: int, spread: float = 0.08):
    """Points within ~9 km of the office, like one commune's addresses."""
    return [
        (origin[0] + rng.uniform(-spread, spread), origin[1] + rng.uniform(-spread, spread))
        for _ in range(count)
    ]


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def exact_upper_triangle(points):
    n = len(points)
    return {(i, j): geodesic(points[i], points[j]).meters for i in range(n) for j in range(i + 1, n)}


def run(size: int, seed: int, origin: tuple[float, float]) -> dict:
    points = [origin, *scatter(random.Random(seed + size), origin, size)]
    matrix, matrix_s = timed(distance_matrix, points)
    exact, exact_s = timed(exact_upper_triangle, points)
    differing = sum(matrix[i][j] != round(metres) for (i, j), metres in exact.items())
    ortools, ortools_s = timed(solve_ortools, matrix)
    heuristic, heuristic_s = timed(solve_heuristic, matrix)
    ortools_m, heuristic_m = walk_length(matrix, ortools), walk_length(matrix, heuristic)
    route, production_s = timed(plan_route, origin, list(enumerate(points[1:])))
    return {
        "production_s": round(production_s, 3),
        "production_m": route.total_m,
        "production_vs_ortools_pct": round(100 * (route.total_m - ortools_m) / ortools_m, 2),
        "stops": size,
        "pairs": len(exact),
        "matrix_s": round(matrix_s, 4),
        "geopy_matrix_s": round(exact_s, 3),
        "pairs_differing_from_geopy_m": differing,
        "ortools_limit_s": time_limit_for(size),
        "ortools_s": round(ortools_s, 3),
        "ortools_m": ortools_m,
        "heuristic_s": round(heuristic_s, 3),
        "heuristic_m": heuristic_m,
        "gap_pct": round(100 * (heuristic_m - ortools_m) / ortools_m, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--sizes", default="50,150,300")
    args = parser.parse_args()
    config = load_config("instance", {**os.environ, "POSTROUND_ENV": "development"})
    origin = (config["POST_OFFICE_LAT"], config["POST_OFFICE_LON"])
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        r = run(size, args.seed, origin)
        results.append(r)
        print(
            f"{size:>4} stops ({r['pairs']} pairs): matrix {r['matrix_s'] * 1000:.1f} ms "
            f"(geopy exact {r['geopy_matrix_s']:.2f} s, {r['pairs_differing_from_geopy_m']} pairs differ "
            f"in whole metres); OR-Tools {r['ortools_s']:.2f} s -> {r['ortools_m']} m; "
            f"heuristic {r['heuristic_s']:.2f} s -> {r['heuristic_m']} m; gap {r['gap_pct']:+.2f}%; "
            f"production (heuristic-seeded OR-Tools) {r['production_s']:.2f} s -> {r['production_m']} m "
            f"({r['production_vs_ortools_pct']:+.2f}% vs OR-Tools alone)"
        )
    print(json.dumps({"benchmark": "route", "seed": args.seed, "origin": origin, "results": results}))


if __name__ == "__main__":
    main()
