"""Ordering stops (backend.domain.route_planner): plain functions, no database."""

from __future__ import annotations

import gc
import itertools
import random
import time

import pytest
from geopy.distance import geodesic

from backend.domain.route_planner import (
    EXACT_UP_TO,
    distance_matrix,
    measure_route,
    plan_route,
    solve_exact,
    solve_heuristic,
    solve_ortools,
    time_limit_for,
    walk_length,
)

OFFICE = (10.0035, 105.1694)  # Minh Lương, the default POST_OFFICE_LAT/LON


def scatter(seed: int, count: int, spread: float = 0.08) -> list[tuple[float, float]]:
    """Random points within ~9 km of the office, like a commune's addresses."""
    rng = random.Random(seed)
    return [
        (OFFICE[0] + rng.uniform(-spread, spread), OFFICE[1] + rng.uniform(-spread, spread))
        for _ in range(count)
    ]


def metres(a, b) -> int:
    return round(geodesic(a, b).meters)


# Distances -----------------------------------------------------------------------------------------


def test_the_matrix_agrees_with_geopy_to_the_metre_across_vietnam():
    rng = random.Random(7)
    points = [(rng.uniform(8.5, 23.3), rng.uniform(102.2, 109.4)) for _ in range(40)] + [OFFICE, OFFICE]
    matrix = distance_matrix(points)
    for i in range(len(points)):
        for j in range(len(points)):
            assert abs(matrix[i][j] - geodesic(points[i], points[j]).meters) <= 0.5 + 1e-6
    assert matrix[-1][-2] == 0


def test_nearly_antipodal_points_still_get_a_distance():
    matrix = distance_matrix([(0.0, 0.0), (0.5, 179.7)])
    assert matrix[0][1] == metres((0.0, 0.0), (0.5, 179.7))


# Ordering ------------------------------------------------------------------------------------------


def test_stops_on_a_line_are_visited_from_the_office_outwards():
    east = [(OFFICE[0], OFFICE[1] + 0.01 * k) for k in (3, 1, 4, 2)]
    route = plan_route(OFFICE, list(zip("cadb", east, strict=True)), closed=False)
    assert route.order == ["a", "b", "c", "d"]
    assert route.legs_m[0] == metres(OFFICE, east[1])
    assert route.return_m == 0


def test_legs_and_the_way_back_add_up_to_the_total():
    stops = list(enumerate(scatter(1, 25)))
    route = plan_route(OFFICE, stops, time_limit_s=0.5)
    assert sorted(route.order) == list(range(25))
    assert route.return_m > 0
    assert sum(route.legs_m) + route.return_m == route.total_m
    by_key = dict(stops)
    walk = [OFFICE, *(by_key[k] for k in route.order), OFFICE]
    assert abs(route.total_m - sum(geodesic(a, b).meters for a, b in zip(walk, walk[1:], strict=False))) <= 26


def test_an_open_path_is_never_longer_than_the_closed_tour_without_its_way_back():
    stops = list(enumerate(scatter(2, 20)))
    closed = plan_route(OFFICE, stops, solver="heuristic")
    open_path = plan_route(OFFICE, stops, solver="heuristic", closed=False)
    assert open_path.return_m == 0
    assert sum(open_path.legs_m) == open_path.total_m
    assert open_path.total_m <= closed.total_m - closed.return_m


def test_stops_without_coordinates_go_last_in_their_given_order():
    located = scatter(3, 5)
    stops = [
        ("x", None),
        (0, located[0]),
        ("y", (None, 105.2)),
        (1, located[1]),
        (2, located[2]),
        ("z", None),
        (3, located[3]),
        (4, located[4]),
    ]
    route = plan_route(OFFICE, stops, time_limit_s=0.2)
    assert route.order[-3:] == ["x", "y", "z"]
    assert sorted(route.order[:5]) == [0, 1, 2, 3, 4]
    assert route.legs_m[-3:] == [None, None, None]
    assert sum(route.legs_m[:5]) + route.return_m == route.total_m


def test_a_round_with_no_located_stop_has_no_distance():
    route = plan_route(OFFICE, [("a", None), ("b", None)])
    assert (route.order, route.legs_m, route.return_m, route.total_m) == (["a", "b"], [None, None], 0, 0)
    assert plan_route(OFFICE, []).order == []


def test_a_single_stop_is_there_and_back():
    stop = (10.05, 105.2)
    route = plan_route(OFFICE, [("only", stop)])
    assert route.legs_m == [metres(OFFICE, stop)]
    assert route.total_m == route.legs_m[0] + route.return_m


def test_a_manual_order_is_measured_as_given_skipping_stops_without_coordinates():
    a, b = (10.01, 105.17), (10.02, 105.18)
    route = measure_route(OFFICE, [("b", b), ("n", None), ("a", a)])
    assert route.order == ["b", "n", "a"]
    assert route.legs_m == [metres(OFFICE, b), None, metres(b, a)]
    assert route.return_m == metres(a, OFFICE)
    assert route.total_m == route.legs_m[0] + route.legs_m[2] + route.return_m


@pytest.mark.parametrize("seed", [11, 12, 13, 14])
def test_the_heuristic_stays_within_five_percent_of_or_tools(seed):
    points = scatter(seed, random.Random(seed).randint(30, 60))
    matrix = distance_matrix([OFFICE, *points])
    heuristic = walk_length(matrix, solve_heuristic(matrix, time_limit_s=0.5))
    ortools = walk_length(matrix, solve_ortools(matrix, time_limit_s=1.0))
    assert heuristic <= 1.05 * ortools
    # GLS is time-bound, so a loaded machine can leave it behind the heuristic; it must not be far behind.
    assert ortools <= 1.10 * heuristic


@pytest.mark.parametrize("closed", [True, False])
@pytest.mark.parametrize("count", [3, 5, 7])
def test_a_small_round_gets_the_shortest_order_there_is(count, closed):
    """Held–Karp against every permutation."""
    matrix = distance_matrix([OFFICE, *scatter(count * 7 + closed, count)])
    shortest = min(
        walk_length(matrix, order, closed) for order in itertools.permutations(range(1, count + 1))
    )
    order = solve_exact(matrix, closed)
    assert sorted(order) == list(range(1, count + 1))
    assert walk_length(matrix, order, closed) == shortest


def test_a_round_of_up_to_nine_stops_is_solved_exactly_at_once_and_never_longer_than_or_tools():
    stops = list(enumerate(scatter(5, EXACT_UP_TO)))
    gc.disable()  # the solver's time, not the test process's collector's (as timeit does)
    try:
        started = time.perf_counter()
        route = plan_route(OFFICE, stops)
        elapsed = time.perf_counter() - started
    finally:
        gc.enable()
    assert route.solver == "exact" and sorted(route.order) == list(range(EXACT_UP_TO))
    assert elapsed < 0.5  # guided local search would have spent a second
    matrix = distance_matrix([OFFICE, *(point for _, point in stops)])
    assert route.total_m <= walk_length(matrix, solve_ortools(matrix, time_limit_s=1.0))
    assert plan_route(OFFICE, list(enumerate(scatter(5, EXACT_UP_TO + 1)))).solver == "ortools"


@pytest.mark.slow
def test_three_hundred_stops_are_ordered_within_the_time_limit():
    stops = list(enumerate(scatter(99, 300)))
    # CPU seconds, not wall seconds: on a loaded machine the solver gets less of the core before its
    # (wall-clock) limit, while a solver that ignored its limit would still spend more than it.
    started = time.process_time()
    route = plan_route(OFFICE, stops)
    spent = time.process_time() - started
    assert sorted(route.order) == list(range(300))
    assert spent < time_limit_for(300) + 3.0
