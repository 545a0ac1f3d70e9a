"""seed-demo: a realistic post office to try the apps with, and logins that work."""

from __future__ import annotations

import math
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func

from backend.auth.passwords import MIN_PASSWORD_LENGTH
from backend.cli.seed import ITEM_COUNT
from backend.demo.world import MAIN_OFFICE, OFFICE_USERS, OFFICES, PASSWORDS, PROVINCE_OFFICE, USERS
from backend.domain.s10 import s10_problem
from backend.domain.status import Status
from backend.extensions import db
from backend.models import (
    Agency,
    DeliveryAttempt,
    FeeEntry,
    Handover,
    Item,
    PostOffice,
    Procedure,
    Round,
    User,
)


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.execute(db.select(func.count()).select_from(model).where(*where)).scalar_one()


def snapshot(app) -> list[tuple]:
    with app.app_context():
        return db.session.execute(
            db.select(Item.code, Item.recipient_name, Item.lat, Item.status, Item.stop_order).order_by(
                Item.code
            )
        ).all()


def km_between(lat1, lon1, lat2, lon2) -> float:
    north = (lat2 - lat1) * 110.574
    east = (lon2 - lon1) * 111.320 * math.cos(math.radians(lat1))
    return math.hypot(north, east)


def test_demo_passwords_are_long_enough():
    assert all(len(password) >= MIN_PASSWORD_LENGTH for password in PASSWORDS.values())


def test_seed_demo_creates_the_advertised_data_and_logins_that_work(app, runner, client):
    result = runner.invoke(args=["seed-demo"])

    assert result.exit_code == 0, result.output
    assert f"{ITEM_COUNT} items" in result.output
    for username, role, _, _ in USERS:
        assert username in result.output and PASSWORDS[role] in result.output
    assert "Demo logins" in result.output and "Tài khoản demo" in result.output

    assert count(app, Agency) == 8  # six served by Châu Thành, one each by Rạch Giá and Long Xuyên
    assert count(app, Procedure) >= 10 and count(app, Procedure, Procedure.allowed_by_post.is_(False)) >= 1
    assert count(app, Item) == ITEM_COUNT
    assert count(app, Item, Item.direction == "return") > count(app, Item, Item.direction == "collect")
    with app.app_context():
        roles = sorted(db.session.execute(db.select(User.role)).scalars())
        assert roles == ["admin", "agency"] + ["postman"] * 5 + ["supervisor"] * 4
        config = app.config
        today = datetime.now(ZoneInfo(config["TIMEZONE"])).date()
        for item in db.session.execute(db.select(Item)).scalars():
            assert s10_problem(item.code) is None
            assert Status(item.status) and item.service_fee == 26_000
            assert unicodedata.is_normalized("NFC", item.recipient_name) and item.search_text
            assert item.commune and item.province == "An Giang"
            assert km_between(MAIN_OFFICE.lat, MAIN_OFFICE.lon, item.lat, item.lon) < 8.1
            assert item.office.code == MAIN_OFFICE.code
            assert item.procedure.allowed_by_post
        todays = db.session.execute(db.select(Round).where(Round.round_date == today)).scalars().all()
        assert len(todays) == 3 and {rnd.office.code for rnd in todays} == {MAIN_OFFICE.code}
        for rnd in todays:
            assert 20 <= len(rnd.items) <= 30
            assert [item.stop_order for item in rnd.items] == list(range(1, len(rnd.items) + 1))
            assert {item.status for item in rnd.items} == {"assigned"}
            assert rnd.total_distance_m > sum(item.leg_distance_m for item in rnd.items) > 0
        assert db.session.execute(db.select(func.count()).select_from(DeliveryAttempt)).scalar_one() > 0
        assert db.session.execute(db.select(func.count()).select_from(Handover)).scalar_one() > 0
        assert db.session.execute(db.select(func.count()).select_from(FeeEntry)).scalar_one() > 0

    for username, role, *_ in USERS + OFFICE_USERS:
        response = client.post("/api/auth/login", json={"username": username, "password": PASSWORDS[role]})
        assert response.status_code == 200, (username, response.get_json())
        assert response.get_json()["user"]["role"] == role


def test_seed_demo_makes_a_province_of_three_commune_offices_and_says_who_is_where(app, runner, client):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        offices = {o.code: o for o in db.session.execute(db.select(PostOffice)).scalars()}
        assert set(offices) == {PROVINCE_OFFICE.code} | {o.code for o in OFFICES}
        communes = [o for o in offices.values() if o.kind == "commune"]
        assert len(communes) == 3 and {o.parent.code for o in communes} == {PROVINCE_OFFICE.code}
        for office in communes:
            members = db.session.execute(db.select(User).where(User.offices.contains(office))).scalars().all()
            assert {"supervisor", "postman"} <= {u.role for u in members}, office.code
            assert office.agencies and office.position and office.bank_account and office.opens_at
    for username, _, _, _, office in OFFICE_USERS:
        line = next(line for line in result.output.splitlines() if f" {username} " in line)
        name = next(o.name for o in [PROVINCE_OFFICE, *OFFICES] if o.code == office)
        assert name in line, line

    def visible_rounds(username):
        login = client.post(
            "/api/auth/login", json={"username": username, "password": PASSWORDS["supervisor"]}
        )
        headers = {"Authorization": f"Bearer {login.get_json()['access_token']}"}
        return len(client.get("/api/dashboard/today", headers=headers).get_json()["rounds"])

    assert visible_rounds("demo.dieuphoi") == 3 and visible_rounds("demo.tinh") == 3
    assert visible_rounds("demo.dieuphoi.rachgia") == 0


def test_seed_demo_if_empty_leaves_a_seeded_database_alone(app, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    before = snapshot(app)

    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 1 and "--reset" in again.output  # never twice by accident

    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "Users exist already" in result.output and "demo.quantri" in result.output
    assert snapshot(app) == before


def test_seed_demo_if_empty_adds_nothing_to_a_database_with_real_users(app, runner, make):
    make.user("admin")
    result = runner.invoke(args=["seed-demo", "--if-empty"])

    assert result.exit_code == 0, result.output
    assert "This database has no demo logins" in result.output
    assert count(app, Item) == 0 and count(app, User) == 1


def test_seed_demo_reset_recreates_the_same_data_after_use(app, runner, client, make):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    before = snapshot(app)
    # Using the demo leaves traces the reset must cope with: a registered phone, audit entries,
    # and a real item put on a demo postman's round.
    login = client.post("/api/auth/login", json={"username": "demo.buuta1", "password": PASSWORDS["postman"]})
    assert login.status_code == 200
    with app.app_context():
        demo_round = (
            db.session.execute(
                db.select(Round)
                .join(User, Round.postman_id == User.id)
                .where(User.username == "demo.buuta1")
                .order_by(Round.round_date.desc())
            )
            .scalars()
            .first()
        )
        demo_round_id = demo_round.id
    real = make.item(round_id=demo_round_id, stop_order=99, status="assigned")

    result = runner.invoke(args=["seed-demo", "--reset"])

    assert result.exit_code == 0, result.output
    assert f"Removed {ITEM_COUNT} demo item(s)" in result.output
    assert [row for row in snapshot(app) if row.code != real.code] == before  # a fixed random seed
    assert count(app, User) == len(USERS) + len(OFFICE_USERS) and count(app, Agency) == 9
    with app.app_context():
        back = db.session.get(Item, real.id)
        assert (back.status, back.round_id, back.stop_order) == ("at_post_office", None, None)
    assert count(app, Round) == 12  # the demo rounds, recreated
    login = client.post("/api/auth/login", json={"username": "demo.buuta1", "password": PASSWORDS["postman"]})
    assert login.status_code == 200


def test_seed_demo_refuses_a_production_database_unless_forced(app, runner):
    app.config["POSTROUND_ENV"] = "production"
    result = runner.invoke(args=["seed-demo"])

    assert result.exit_code == 1
    assert "production" in result.output
    assert count(app, User) == 0


def test_create_user_makes_a_user_who_can_sign_in(runner, client):
    result = runner.invoke(
        args=[
            "create-user",
            "--role",
            "supervisor",
            "--username",
            "Dieu.Phoi",
            "--password",
            "mat-khau-du-dai",
        ]
    )
    assert result.exit_code == 0, result.output
    response = client.post("/api/auth/login", json={"username": "dieu.phoi", "password": "mat-khau-du-dai"})
    assert response.status_code == 200
    assert response.get_json()["user"]["role"] == "supervisor"


def test_create_user_refuses_a_short_password_and_a_taken_name(runner):
    short = runner.invoke(
        args=["create-user", "--role", "admin", "--username", "quantri", "--password", "123"]
    )
    assert short.exit_code != 0 and "at least 8" in short.output
    ok = runner.invoke(
        args=["create-user", "--role", "admin", "--username", "quantri", "--password", "12345678"]
    )
    assert ok.exit_code == 0
    taken = runner.invoke(
        args=["create-user", "--role", "admin", "--username", "quantri", "--password", "12345678"]
    )
    assert taken.exit_code != 0 and "taken" in taken.output
