"""A scripted phone for tests: an outbox, a local view of the round, and the sync calls a real
client makes. It speaks only the documented protocol over HTTP: the Flask test client, or a real
server at a base URL through `Server` (the same calls over `requests`). Its `client` may change
between calls, as a phone's requests reach whichever node a load balancer picks."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

import requests

from tests.factories import Factory
from tests.kit.images import jpeg_bytes, png_signature


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Answer:
    """A real server's answer, read the way tests read the Flask test client's."""

    def __init__(self, response: requests.Response):
        self.status_code, self.headers, self.data = response.status_code, response.headers, response.content
        self._response = response

    def get_json(self):
        return self._response.json()


class Server:
    """A real server at `base_url`, with the Flask test client's calling conventions (the subset the
    phone uses: `json`, `query_string`, `data`, `content_type`, `headers`)."""

    def __init__(self, base_url: str, timeout: float = 30):
        self.base_url, self.timeout = base_url.rstrip("/"), timeout
        self.http = requests.Session()

    def open(self, method: str, path: str, query_string=None, content_type=None, headers=None, **kwargs):
        headers = dict(headers or {})
        if content_type:
            headers["Content-Type"] = content_type
        response = self.http.request(
            method, self.base_url + path, params=query_string, headers=headers, timeout=self.timeout, **kwargs
        )
        return Answer(response)

    def get(self, path: str, **kwargs) -> Answer:
        return self.open("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> Answer:
        return self.open("POST", path, **kwargs)

    def put(self, path: str, **kwargs) -> Answer:
        return self.open("PUT", path, **kwargs)

    def close(self) -> None:
        self.http.close()


class Phone:
    def __init__(self, client, username: str, device_id: str | None = None, password: str = Factory.PASSWORD):
        self.client = client
        self.username, self.password = username, password
        self.device_id = device_id or f"phone-{uuid.uuid4().hex[:12]}"
        self.seq = 0
        self.outbox: list[dict] = []
        self.files: dict[str, bytes] = {}
        self.items: dict[int, dict] = {}
        self.cursor: str | None = None
        self.outcomes: dict[str, dict] = {}
        self.headers: dict = {}
        self.refresh_token: str | None = None
        # Removals that arrived while the item still had queued work: applied once it is pushed.
        self.removal_deferred: set[int] = set()
        # The `v` its mutations carry: 1 as the first app versions wrote them (2 needs a receipt for cash).
        self.mutation_version = 1

    @classmethod
    def on_a_round(cls, client, make, items=None) -> tuple[Phone, list]:
        """A new postman with `items` (one new item if none) on today's round, signed in on a new
        phone that has downloaded the round."""
        postman = make.user("postman")
        items = list(items) if items else [make.item()]
        make.round(postman, items=items)
        return cls.with_its_round(client, postman.username), items

    @classmethod
    def with_its_round(cls, client, username: str) -> Phone:
        """A new phone, signed in as `username`, that has downloaded its round."""
        phone = cls(client, username).login()
        phone.pull()
        return phone

    # --- auth
    def login(self):
        response = self.client.post(
            "/api/auth/login",
            json={"username": self.username, "password": self.password, "device_id": self.device_id},
        )
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        self.headers = {"Authorization": f"Bearer {body['access_token']}"}
        self.refresh_token = body["refresh_token"]
        return self

    # --- capture (offline)
    def capture(self, kind: str, item_id: int | None, data: dict, files: dict[str, bytes] = ()) -> dict:
        self.seq += 1
        refs = []
        for file_kind, content in dict(files).items():
            digest = sha(content)
            self.files[digest] = content
            refs.append({"sha256": digest, "kind": file_kind})
        mutation = {
            "id": uuid.uuid4().hex,
            "seq": self.seq,
            "type": kind,
            "v": self.mutation_version,
            "at": datetime.now(UTC).isoformat(),
            "data": data,
            "attachments": refs,
        }
        if item_id is not None:
            mutation["item_id"] = item_id
        self.outbox.append(mutation)
        return mutation

    def deliver(self, item_id: int, seed: int = 0, photo: bytes | None = None, **data) -> dict:
        body = {
            "receiver_name": "Trần Thị Bích",
            "receiver_relation": "self",
            "id_number": "089123456789",
            "lat": 10.01,
            "lon": 105.16,
            "accuracy_m": 8.5,
            "fee_collected": 26_000,
            "receipt_number": f"BL-{seed}",
        } | data
        return self.capture(
            "deliver", item_id, body, {"signature": png_signature(seed), "photo": photo or jpeg_bytes(seed)}
        )

    def collect(self, item_id: int, seed: int = 1, **data) -> dict:
        """Pick a dossier up: the citizen's and the postman's signatures (png_signature(seed), seed + 1)."""
        body = {"checklist": [], **data}
        return self.capture(
            "collect",
            item_id,
            body,
            {"signature": png_signature(seed), "postman_signature": png_signature(seed + 1)},
        )

    def fail(self, item_id: int, reason: str = "not_home", **data) -> dict:
        return self.capture("fail", item_id, {"reason_code": reason, "note": "Gọi không nghe máy", **data})

    def hand_over(
        self,
        agency_id: int,
        item_ids: list[int],
        officer_name: str = "Trần Văn Bảy",
        direction: str = "post_to_agency",
    ) -> dict:
        """A handover record made on the phone: these items given to the agency's officer (or, with
        direction="agency_to_post", taken from them)."""
        return self.capture(
            "handover",
            None,
            {
                "direction": direction,
                "agency_id": agency_id,
                "officer_name": officer_name,
                "lines": [{"item_id": item_id} for item_id in item_ids],
            },
        )

    def hand_over_cash(self, day, service_fee_cash: int = 0, government_fee_cash: int = 0, **data) -> dict:
        """The end of the day: the cash collected handed to the post office (`day`: its local date)."""
        body = {"day": day.isoformat(), "service_fee_cash": service_fee_cash} | data
        if government_fee_cash:
            body["government_fee_cash"] = government_fee_cash
        return self.capture("cash_handover", None, body)

    # --- sync (online)
    def upload_files(self):
        for digest, content in self.files.items():
            response = self.client.put(
                f"/api/sync/attachments/{digest}",
                data=content,
                headers=self.headers,
                content_type="application/octet-stream",
            )
            assert response.status_code == 200, response.get_json()

    def upload_in_chunks(self, digest: str, chunk: int, clients=()) -> list[dict]:
        """Send one file in `chunk`-byte Content-Range pieces, the n-th through `clients[n]` (taken in
        turn; the phone's own client if none), each from the offset the previous answer gave."""
        content, clients, answers = self.files[digest], list(clients) or [self.client], []
        offset = 0
        while offset < len(content) or not answers:
            end = min(offset + chunk, len(content))
            response = clients[len(answers) % len(clients)].put(
                f"/api/sync/attachments/{digest}",
                data=content[offset:end],
                headers=self.headers | {"Content-Range": f"bytes {offset}-{end - 1}/{len(content)}"},
                content_type="application/octet-stream",
            )
            assert response.status_code == 200, response.get_json()
            answers.append(response.get_json())
            offset = answers[-1]["received"]
            if answers[-1]["verified"]:
                break
        return answers

    def push(self, lose_response: bool = False) -> dict | None:
        if not self.outbox:
            return None
        response = self.client.post(
            "/api/sync/push", json={"protocol": 1, "mutations": self.outbox}, headers=self.headers
        )
        assert response.status_code == 200, response.get_json()
        if lose_response:
            return None
        body = response.get_json()
        done = {
            r["id"]
            for r in body["results"]
            if r["outcome"] in ("applied", "duplicate")
            or (r["outcome"] == "rejected" and not r.get("retryable"))
        }
        for result in body["results"]:
            self.outcomes[result["id"]] = result
        self.outbox = [m for m in self.outbox if m.get("id") not in done]
        if any(r.get("reason") == "sequence-reused" for r in body["results"]):
            self.renumber(body["device_seq"])
        self._apply_deferred_removals()
        return body

    def renumber(self, device_seq: int):
        """The documented way out for a phone whose counter went backwards (restored from a backup):
        the unsent mutations, in their order, take the numbers after the server's `device_seq`."""
        for n, mutation in enumerate(sorted(self.outbox, key=lambda m: m["seq"]), start=device_seq + 1):
            mutation["seq"] = n
        self.seq = max(self.seq, device_seq + len(self.outbox))

    def _pending_items(self) -> set:
        return {m.get("item_id") for m in self.outbox}

    def _apply_deferred_removals(self):
        for item_id in self.removal_deferred - self._pending_items():
            self.items.pop(item_id, None)
        self.removal_deferred &= self._pending_items()

    def pull(self) -> dict:
        while True:
            query = {"cursor": self.cursor} if self.cursor else {}
            response = self.client.get("/api/sync/pull", query_string=query, headers=self.headers)
            assert response.status_code == 200, response.get_json()
            page = response.get_json()
            pending = self._pending_items()
            if page["reset"]:
                self.removal_deferred |= set(self.items) & pending
                self.items = {k: v for k, v in self.items.items() if k in pending}
            for item_id in page["removed"]:
                if item_id in pending:
                    self.removal_deferred.add(item_id)
                else:
                    self.items.pop(item_id, None)
            for item in page["items"]:
                self.items[item["id"]] = item
                self.removal_deferred.discard(item["id"])
            self.cursor = page["cursor"]
            if not page["more"]:
                return page

    def sync(self):
        self.upload_files()
        self.push()
        return self.pull()
