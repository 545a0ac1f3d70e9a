"""The round on a 360×640 phone: route order, counters, diacritic-free search, the stop's details
with tap-to-call and maps, Vietnamese first and English on demand; an installable, offline shell."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Pwa


@pytest.fixture
def signed_in(phone, live_server, postman_day):
    page = phone.new_page()
    pwa = Pwa(page, live_server).on_the_round(postman_day.postman.username)
    return pwa


def visible_names(page) -> list[str]:
    return page.eval_on_selector_all(
        ".stops .stop:not([hidden]) .name", "nodes => nodes.map(n => n.textContent)"
    )


def test_the_round_lists_stops_in_route_order_with_distance_status_and_counters(signed_in, postman_day):
    page = signed_in.page
    assert page.inner_text("h1").startswith("Hôm nay")
    assert visible_names(page) == [i.recipient_name for i in postman_day.items]
    first = page.locator(".stop").first
    assert first.locator(".order").inner_text() == "1"
    assert (
        "cách 400 m" in first.inner_text() and "Đang phát" in first.inner_text()
    )  # the status: one word in every app
    assert "Tổng quãng đường 5,4 km · 5 điểm dừng" in page.inner_text("main")
    assert page.inner_text('[data-count="todo"]').split() == ["5", "Cần", "làm"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("nguyen thi hong", ["Nguyễn Thị Hồng"]),
        ("Nguyễn Thị Hồng", ["Nguyễn Thị Hồng"]),
        ("DUC", ["Trần Văn Đức"]),
        ("vinh hoa hiep", ["Võ Minh Đạt"]),
        ("thu  binh an", ["Đặng Thị Thu"]),
    ],
)
def test_search_matches_with_and_without_diacritics(signed_in, query, expected):
    page = signed_in.page
    page.fill("#search", query)
    assert visible_names(page) == expected


def test_a_search_with_no_match_says_so(signed_in):
    signed_in.page.fill("#search", "không có ai")
    assert visible_names(signed_in.page) == []
    assert signed_in.page.is_visible("text=Không tìm thấy bưu gửi nào khớp.")


def test_a_stop_shows_the_recipient_with_tap_to_call_and_a_hand_off_to_maps(signed_in, postman_day):
    page = signed_in.page
    item = postman_day.deliveries[0]
    signed_in.open_item(item.id)
    assert page.get_attribute('[data-action="call"]', "href") == "tel:0912345678"
    geo = page.get_attribute('[data-action="navigate"]', "href")
    assert geo == "geo:10.01,105.16?q=10.01,105.16(Nguy%E1%BB%85n%20Th%E1%BB%8B%20H%E1%BB%93ng)"
    assert (
        page.get_attribute('[data-action="google-maps"]', "href")
        == "https://www.google.com/maps/dir/?api=1&destination=10.01,105.16"
    )
    text = page.inner_text("main")
    for expected in (
        "Cấp giấy khai sinh",
        "Tờ khai đăng ký khai sinh — Bản chính",
        "Giấy chứng sinh — Bản sao",
        "26.000 ₫",
        item.code,
        "Phát thành công",
        "Phát không thành công",
    ):
        assert expected in text
    signed_in.page.go_back()
    signed_in.open_item(postman_day.to_collect.id)
    assert page.is_visible('[data-action="collect"]') and "Không thu gom được" in page.inner_text("main")


def test_english_can_be_switched_on_and_is_remembered(signed_in):
    page = signed_in.page
    page.click("button.lang")
    expect(page.locator("h1")).to_have_text(re.compile(r"^Today"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator('[data-count="todo"]')).to_contain_text("To do")
    page.reload()
    signed_in.wait_for_stops(5)
    expect(page.locator("h1")).to_have_text(re.compile(r"^Today"))
    page.click("button.lang")
    expect(page.locator("h1")).to_have_text(re.compile(r"^Hôm nay"))
    expect(page.locator("html")).to_have_attribute("lang", "vi")


def test_every_control_of_the_capture_forms_has_a_label(signed_in, postman_day):
    page = signed_in.page
    unlabelled = """() => [...document.querySelectorAll('main input, main select, main textarea, main button, main a')]
      .filter(el => !(el.labels?.length || el.getAttribute('aria-label') || el.textContent.trim()))
      .map(el => el.outerHTML)"""
    for item, action in (
        (postman_day.deliveries[0], "deliver"),
        (postman_day.to_collect, "collect"),
        (postman_day.to_fail, "fail"),
    ):
        page.evaluate(f"location.hash = '#/item/{item.id}/{action}'")
        page.wait_for_selector(f"form.capture-{action}")
        assert page.evaluate(unlabelled) == []
        small = page.evaluate("""() => [...document.querySelectorAll('main button, main a.btn, main input[type=radio]')]
          .filter(el => el.offsetParent && el.getBoundingClientRect().height < 24).map(el => el.outerHTML)""")
        assert small == []


def test_the_app_is_installable_and_its_service_worker_never_caches_the_api(signed_in, live_server):
    page = signed_in.page
    signed_in.wait_for_service_worker()
    manifest = json.loads(page.evaluate("fetch('/app/manifest.webmanifest').then(r => r.text())"))
    assert (manifest["start_url"], manifest["scope"], manifest["display"], manifest["lang"]) == (
        "/app/",
        "/app/",
        "standalone",
        "vi",
    )
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])

    caches = page.evaluate("""async () => {
      const out = {}
      for (const name of await caches.keys()) out[name] = (await (await caches.open(name)).keys()).map(r => r.url)
      return out
    }""")
    [(name, urls)] = caches.items()  # one versioned shell cache
    assert name.startswith("postround-shell-")
    assert any(url.endswith("/app/index.html") or "/app/index.html?" in url for url in urls)
    assert not [url for url in urls if "/api/" in url]

    signed_in.page.context.set_offline(True)
    assert page.evaluate("fetch('/api/health').then(() => 'answered', () => 'failed')") == "failed"
    page.evaluate("location.href = '/app/some/deep/link'")  # any /app/ navigation gets the shell
    signed_in.wait_for_stops(5)
