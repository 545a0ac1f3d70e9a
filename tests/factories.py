"""Factories that write real rows and hand back detached, fully loaded objects."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from functools import lru_cache

from argon2 import PasswordHasher

from backend.domain.s10 import make_s10
from backend.domain.status import Status
from backend.extensions import db
from backend.models import Agency, DeliveryAttempt, Item, PostOffice, Procedure, Round, User
from backend.timeutil import local_today

_serial = itertools.count(10_000_001)

# Who an item is for, unless a test says otherwise.
RECIPIENT = {
    "recipient_name": "Trần Thị Bích",
    "recipient_phone": "0912345678",
    "address_line": "Ấp Phước Lợi",
    "commune": "Xã Mong Thọ",
    "province": "An Giang",
}


def item_body(procedure_id: int, agency_id: int, serial: int, **overrides) -> dict:
    """What a client sends to POST /api/items: a result to return to the usual recipient."""
    body = {
        "code": make_s10("RR", serial),
        "direction": "return",
        "procedure_id": procedure_id,
        "agency_id": agency_id,
        **RECIPIENT,
        "service_fee": 26_000,
    }
    return body | overrides


# The test users' hashes are real Argon2id, verified by the app's own code, at the lowest cost: the
# cost is read from the hash, and the production cost (64 MiB, 3 passes, 4 lanes) made every sign-in
# in the suite take ~0.3 s on two loaded cores. Users made through the API and CLI keep the real cost.
_CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@lru_cache(maxsize=8)
def _hashed(password: str) -> str:
    return _CHEAP_HASHER.hash(password)


class Factory:
    PASSWORD = "correct-horse-battery"

    DEFAULT_OFFICE = "BC-TEST"

    def __init__(self, app):
        self.app = app
        self._office_id: int | None = None

    def office(self, **overrides) -> PostOffice:
        """A post office; without arguments, the test's one office (made once), which the other
        factories put every agency, supervisor, postman, item and round in unless told otherwise."""
        n = next(_serial)
        fields = {
            "code": f"BC{n}",
            "name": f"Bưu cục {n}",
            "kind": "commune",
            "lat": 10.0035,
            "lon": 105.1694,
        }
        return self._save(PostOffice(**(fields | overrides)))

    def default_office_id(self) -> int:
        if self._office_id is None:
            with self.app.app_context():
                found = db.session.execute(
                    db.select(PostOffice.id).where(PostOffice.code == self.DEFAULT_OFFICE)
                ).scalar()
            self._office_id = found or self.office(code=self.DEFAULT_OFFICE, name="Bưu cục Minh Lương").id
        return self._office_id

    def join(self, user_or_agency, *office_ids: int) -> None:
        """Put a user in offices, or make offices serve an agency."""
        with self.app.app_context():
            row = db.session.get(type(user_or_agency), user_or_agency.id)
            offices = [db.session.get_one(PostOffice, i) for i in office_ids]
            if isinstance(row, Agency):
                for office in offices:
                    office.agencies.append(row)
            else:
                row.offices.extend(offices)
            db.session.commit()

    def _save(self, obj):
        with self.app.app_context():
            db.session.add(obj)
            db.session.commit()
            db.session.refresh(obj)
            db.session.expunge(obj)
        return obj

    def agency(self, offices: tuple[int, ...] | None = None, **overrides) -> Agency:
        n = next(_serial)
        fields = {
            "code": f"AG{n}",
            "name": f"Trung tâm PVHCC xã {n}",
            "kind": "commune_centre",
            "province": "An Giang",
            "commune": "Xã Châu Thành",
            "lat": 10.0,
            "lon": 105.17,
        }
        agency = self._save(Agency(**(fields | overrides)))
        self.join(agency, *(offices if offices is not None else (self.default_office_id(),)))
        return agency

    def procedure(self, **overrides) -> Procedure:
        n = next(_serial)
        fields = {
            "code": f"TTHC-{n}",
            "name": "Cấp giấy khai sinh",
            "allowed_by_post": True,
            "government_fee": 0,
            "checklist": [
                {"name": "Tờ khai đăng ký khai sinh", "form": "original", "required": True},
                {"name": "Giấy chứng sinh", "form": "copy", "required": True},
            ],
        }
        return self._save(Procedure(**(fields | overrides)))

    def user(self, role: str = "postman", offices: tuple[int, ...] | None = None, **overrides) -> User:
        """A user; supervisors and postmen belong to the test's office unless `offices` says otherwise."""
        n = next(_serial)
        fields = {
            "username": f"{role}{n}",
            "password_hash": _hashed(self.PASSWORD),
            "full_name": f"Nguyễn Văn {n}",
            "role": role,
        }
        if role == "agency" and "agency_id" not in overrides:
            fields["agency_id"] = self.agency().id
        user = self._save(User(**(fields | overrides)))
        if offices is None:
            offices = (self.default_office_id(),) if role in ("supervisor", "postman") else ()
        if offices:
            self.join(user, *offices)
        return user

    def one_per_role(self, agency: Agency) -> dict[str, User]:
        """An admin, a supervisor, a postman and an officer of `agency`, by role."""
        return {
            "admin": self.user("admin"),
            "supervisor": self.user("supervisor"),
            "postman": self.user("postman"),
            "agency": self.user("agency", agency_id=agency.id),
        }

    def item(self, **overrides) -> Item:
        n = next(_serial)
        if "agency_id" not in overrides:
            overrides["agency_id"] = self.agency().id
        if "procedure_id" not in overrides:
            overrides["procedure_id"] = self.procedure().id
        if "office_id" not in overrides:
            overrides["office_id"] = self.default_office_id()
        fields = {
            "code": make_s10("RR", n),
            "direction": "return",
            "dossier_code": f"000.00.{n}",
            **RECIPIENT,
            "lat": 10.01,
            "lon": 105.16,
            "service_fee": 26_000,
            "government_fee": 0,
            "due_date": date.today() + timedelta(days=3),
            "status": Status.AT_POST_OFFICE.value,
        }
        item = Item(**(fields | overrides))
        item.refresh_search_text()
        return self._save(item)

    def waiting_items(
        self, count: int, commune: str = "Xã Mỹ Hòa Hưng", **overrides
    ) -> tuple[list[int], int, int]:
        """`count` results waiting at the post office in one commune, of one new agency and procedure,
        due over the next five days, written in one transaction: their ids, the agency's, the procedure's."""
        agency, procedure = self.agency(), self.procedure()
        with self.app.app_context():
            today = local_today()
            rows = []
            for n in range(count):
                fields = {
                    **RECIPIENT,
                    "code": make_s10("RR", next(_serial)),
                    "direction": "return",
                    "agency_id": agency.id,
                    "procedure_id": procedure.id,
                    "office_id": self.default_office_id(),
                    "commune": commune,
                    "lat": 10.0 + n / 10000,
                    "lon": 105.1,
                    "due_date": today + timedelta(days=n % 5),
                    "status": Status.AT_POST_OFFICE.value,
                }
                item = Item(**(fields | overrides))
                item.refresh_search_text()
                rows.append(item)
            db.session.add_all(rows)
            db.session.commit()
            return [row.id for row in rows], agency.id, procedure.id

    def round(
        self, postman: User, round_date: date | None = None, items: list[Item] = (), **overrides
    ) -> Round:
        if round_date is None:
            with self.app.app_context():
                round_date = local_today()  # the post office's date, not the machine's
        fields = {"postman_id": postman.id, "round_date": round_date, "office_id": self.default_office_id()}
        rnd = self._save(Round(**(fields | overrides)))
        if items:
            with self.app.app_context():
                for order, item in enumerate(items, start=1):
                    row = db.session.get(Item, item.id)
                    row.round_id, row.stop_order, row.status = rnd.id, order, Status.ASSIGNED.value
                db.session.commit()
        return rnd


def proofs_of(app, item_id: int) -> list[DeliveryAttempt]:
    """The item's proofs (its delivery attempts), oldest first, detached from the session."""
    with app.app_context():
        rows = (
            db.session.execute(
                db.select(DeliveryAttempt)
                .where(DeliveryAttempt.item_id == item_id)
                .order_by(DeliveryAttempt.id)
            )
            .scalars()
            .all()
        )
        for row in rows:
            db.session.expunge(row)
        return rows
