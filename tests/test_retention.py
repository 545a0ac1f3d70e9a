"""Photos are deleted after the retention period; signatures and records stay."""

from datetime import timedelta

from backend.extensions import db
from backend.models import Attachment, DeliveryAttempt, Item
from backend.models.base import now_utc
from tests.kit.phone import Phone
from tests.stores import both_stores


@both_stores
def test_old_photos_are_purged_and_signatures_kept(client, app, make, runner, auth):
    phone, (item,) = Phone.on_a_round(client, make)
    phone.deliver(item.id)
    phone.sync()
    with app.app_context():
        proof = db.session.execute(db.select(DeliveryAttempt)).scalar_one()
        proof.server_time = now_utc() - timedelta(days=app.config["PHOTO_RETENTION_DAYS"] + 1)
        db.session.commit()
        kinds = {link.kind: link.sha256 for link in proof.attachments}
    result = runner.invoke(args=["purge-photos"])
    assert result.exit_code == 0 and "deleted 1 photo" in result.output
    store = app.extensions["postround.store"]
    assert not store.exists(kinds["photo"]) and store.exists(kinds["signature"])
    headers = auth(make.user("supervisor"))
    assert client.get(f"/api/attachments/{kinds['photo']}", headers=headers).status_code == 410
    assert client.get(f"/api/attachments/{kinds['signature']}", headers=headers).status_code == 200
    proof_view = client.get(f"/api/proofs/{proof.id}", headers=headers).get_json()
    assert {a["kind"]: a["available"] for a in proof_view["attachments"]} == {
        "photo": False,
        "signature": True,
    }
    with app.app_context():
        assert db.session.get(Attachment, kinds["photo"]).purged_at is not None
        assert db.session.get(Item, item.id).status == "delivered"


def test_recent_photos_are_kept(client, app, make, runner):
    phone, (item,) = Phone.on_a_round(client, make)
    phone.deliver(item.id)
    phone.sync()
    result = runner.invoke(args=["purge-photos", "--dry-run"])
    assert "would delete 0 photo" in result.output


def test_old_notification_attempts_lose_the_phone_and_text_and_recent_ones_stay(app, make):
    """Past NOTIFICATION_RETENTION_DAYS the attempts (the citizen's phone number, the text as they
    read it) are deleted and a finished notification keeps what was told when, not the names in
    it; a recent one, and one still waiting to be sent, keep everything."""
    from backend import maintenance
    from backend.models import Notification, NotificationAttempt

    item = make.item()
    with app.app_context():
        long_ago = now_utc() - timedelta(days=app.config["NOTIFICATION_RETENTION_DAYS"] + 1)
        params = {"name": "Lê Thị Ánh", "code": item.code}

        def told(event, key, channel="sms", status="sent", **when):
            return Notification(
                item_id=item.id, event=event, key=key, channel=channel, params=params, status=status, **when
            )

        rows = {
            "old": told("delivered", "delivered", created_at=long_ago, sent_at=long_ago),
            "waiting": told("failed", "failed:1", status="pending", created_at=long_ago),
            "recent": told("morning", "morning", channel="zns"),
        }
        db.session.add_all(rows.values())
        db.session.flush()
        for name, when in (("old", long_ago), ("recent", now_utc())):
            db.session.add(
                NotificationAttempt(
                    notification_id=rows[name].id,
                    at=when,
                    channel="sms",
                    phone="84912345678",
                    message="Bưu gửi của Lê Thị Ánh",
                    outcome="sent",
                )
            )
        db.session.commit()
        ids = {name: row.id for name, row in rows.items()}

        counts = maintenance.run()

        assert (counts["notification_attempts"], counts["notification_params"]) == (1, 1)
        kept = db.session.execute(db.select(NotificationAttempt)).scalars().all()
        assert [a.notification_id for a in kept] == [ids["recent"]]
        old = db.session.get_one(Notification, ids["old"])
        assert old.params == {} and (old.event, old.status, old.sent_at is not None) == (
            "delivered",
            "sent",
            True,
        )
        assert db.session.get_one(Notification, ids["waiting"]).params == params
        assert db.session.get_one(Notification, ids["recent"]).params == params
