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
