"""The round on a map: a postman opens the map from the round and sees the stops numbered in route
order, the route line from the post office and back, and where they are; online the background
comes from the tile server (MAP_TILE_URL, carried by the pull), offline the stops are drawn all the
same, with no tiles, and tapping a stop opens it. Leaflet is not in the app's first bundle."""

from __future__ import annotations

import pytest

from backend.extensions import db
from backend.models import Item
from tests.browser.conftest import AT_THE_DOOR, Pwa


@pytest.fixture
def live_server_config(tiles):
    return {"MAP_TILE_URL": tiles.url + "/{z}/{x}/{y}.png", "MAP_TILE_ATTRIBUTION": "© bản đồ thử"}


def pins(page) -> list[list[str]]:
    return page.eval_on_selector_all(
        ".round-map .stop-pin", "(pins) => pins.map((p) => [p.dataset.order, p.dataset.itemId])"
    )


def without_coordinates(server, item) -> None:
    with server.app.app_context():
        row = db.session.get(Item, item.id)
        row.lat = row.lon = None
        db.session.commit()


def test_online_the_round_is_drawn_on_the_tile_servers_map_with_my_position(
    phone, live_server, postman_day, tiles
):
    without_coordinates(live_server, postman_day.to_collect)  # an address not placed on the map
    page = phone.new_page()
    refused: list[str] = []  # the app's Content-Security-Policy lets the tile server's images in
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    Pwa(page, live_server).on_the_round(postman_day.postman.username)
    assert not any("roundmap" in url for url in scripts)  # Leaflet only comes with the map
    page.click('[data-action="map"]')
    page.wait_for_selector('.round-map[data-tiles="on"] .leaflet-tile-loaded')
    assert tiles.served and all(path.endswith(".png") for path in tiles.served)
    assert "© bản đồ thử" in page.inner_text(".leaflet-control-attribution")
    in_order = [[str(n), str(item.id)] for n, item in enumerate(postman_day.items[:4], start=1)]
    assert pins(page) == in_order
    assert page.locator(".round-map [data-office]").count() == 1
    assert page.locator(".round-map path.route-line").count() == 1
    page.wait_for_selector(".round-map[data-position] path.you-marker")
    assert page.get_attribute(".round-map", "data-position") == (
        f"{AT_THE_DOOR['latitude']},{AT_THE_DOOR['longitude']}"
    )
    # The dossier has no coordinates: the map says so rather than hiding it silently.
    assert "1 điểm dừng chưa có tọa độ" in page.inner_text("[data-unplaced]")
    assert refused == []


def test_offline_the_stops_are_still_drawn_in_route_order_without_tiles(
    phone, live_server, postman_day, tiles
):
    page = phone.new_page()
    Pwa(page, live_server).ready_offline(postman_day.postman.username)
    asked = len(tiles.served)
    page.reload()
    page.wait_for_selector("main[data-screen=round]")
    page.click('[data-action="map"]')
    page.wait_for_selector('.round-map[data-tiles="off"] .stop-pin')
    assert len(tiles.served) == asked  # no tile was asked for
    assert "các điểm dừng vẫn được vẽ theo thứ tự" in page.inner_text("[data-map-status]")
    assert [order for order, _ in pins(page)] == ["1", "2", "3", "4", "5"]
    assert page.locator(".round-map path.route-line").count() == 1
    page.wait_for_selector(".round-map path.you-marker")
    second = postman_day.items[1]
    page.click(f'.stop-pin[data-item-id="{second.id}"]')
    page.wait_for_selector(f'.item[data-item-id="{second.id}"]')
