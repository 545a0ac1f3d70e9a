"""Configuration read from the environment and checked strictly at start-up.

A bad value stops the app with a message naming the variable, so a misconfigured
production server never starts half-working.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ENVIRONMENTS = ("production", "development", "testing")
# Circular 17/2017/TT-BTTTT Art. 14: electronic records of the public postal service are kept at
# least five years. Five calendar years, leap days included.
LEGAL_MINIMUM_DAYS = 5 * 365 + 2
# Which data is kept how long (docs/security.md, "Retention"): setting -> (default days, legal minimum).
RETENTION_SETTINGS = {
    "PHOTO_RETENTION_DAYS": (LEGAL_MINIMUM_DAYS, LEGAL_MINIMUM_DAYS),  # door photos of a proof
    "ID_PHOTO_RETENTION_DAYS": (LEGAL_MINIMUM_DAYS, LEGAL_MINIMUM_DAYS),  # ID card and authorisation letters
    "SIGNATURE_RETENTION_DAYS": (10 * 365 + 3, LEGAL_MINIMUM_DAYS),  # the receiver's and postman's signatures
    "LEDGER_PAYLOAD_RETENTION_DAYS": (LEGAL_MINIMUM_DAYS, LEGAL_MINIMUM_DAYS),  # raw (redacted) mutations
    "AUDIT_RETENTION_DAYS": (
        LEGAL_MINIMUM_DAYS,
        LEGAL_MINIMUM_DAYS,
    ),  # the audit log (never deleted by the app)
}


class ConfigError(RuntimeError):
    """A configuration value is missing or malformed."""


@dataclass(frozen=True)
class _Reader:
    env: dict[str, str]

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.env.get(name)
        return default if value is None or value.strip() == "" else value.strip()

    def integer(self, name: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            upper = f" and at most {maximum}" if maximum is not None else ""
            raise ConfigError(f"{name} must be at least {minimum}{upper}, got {value}")
        return value

    def number(self, name: str, default: float) -> float:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number, got {raw!r}") from None

    def flag(self, name: str, default: bool) -> bool:
        raw = self.text(name)
        if raw is None:
            return default
        lowered = raw.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name} must be true or false, got {raw!r}")


RATE_LIMITS = {
    "LOGIN_RATE_LIMIT": "10 per minute",  # login attempts per client address
    "LOGIN_ACCOUNT_RATE_LIMIT": "10 per 15 minutes",  # failed logins per account name, from anywhere
    "TRACKING_RATE_LIMIT": "30 per minute",  # public tracking look-ups per client address
    "TRACKING_CODE_RATE_LIMIT": "60 per hour",  # look-ups of one item code, from anywhere
    "API_KEY_RATE_LIMIT": "600 per minute",  # requests per agency system key (backend/auth/api_keys.py)
    "TRACKING_WRONG_DIGITS_LIMIT": "5 per hour",  # wrong phone digits for one code before it locks
    # The citizen's pages (docs/citizen.md): collection bookings and complaints per client address.
    "BOOKING_RATE_LIMIT": "5 per hour",
    "COMPLAINT_RATE_LIMIT": "5 per hour",
}


def _rate(read: _Reader, name: str, default: str) -> str:
    from limits import parse_many

    value = read.text(name, default)
    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(f"{name} must be a rate such as '10 per minute', got {value!r}") from None
    return value


def _deadlines(read: _Reader) -> str:
    from backend.domain.onestop import DEFAULT_DEADLINES, parse_deadlines

    value = read.text("DEADLINE_WORKING_DAYS", DEFAULT_DEADLINES)
    try:
        parse_deadlines(value)
    except ValueError as error:
        raise ConfigError(f"DEADLINE_WORKING_DAYS must read like {DEFAULT_DEADLINES!r}: {error}") from None
    return value


def _clock(read: _Reader, name: str, default: str) -> str:
    """A local time of day "HH:MM"."""
    value = read.text(name, default)
    hours, _, minutes = value.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
        raise ConfigError(f"{name} must be a time of day HH:MM, got {value!r}")
    return f"{int(hours):02d}:{int(minutes):02d}"


NOTIFY_PROVIDERS = ("", "sms", "zns")
NOTIFY_EVENTS = ("morning", "near", "delivered", "failed", "pickup")


def _url(read: _Reader, name: str, default: str | None) -> str | None:
    value = read.text(name, default)
    if value is not None and not value.startswith(("http://", "https://")):
        raise ConfigError(f"{name} must be an http:// or https:// URL, got {value!r}")
    return value


def _notification_settings(read: _Reader) -> dict:
    """Messages to citizens by SMS or Zalo ZNS (backend/services/notifications.py)."""
    provider = (read.text("NOTIFY_PROVIDER", "") or "").lower()
    if provider not in NOTIFY_PROVIDERS:
        raise ConfigError(f"NOTIFY_PROVIDER must be empty (off), sms or zns, got {provider!r}")
    settings = {
        "NOTIFY_PROVIDER": provider,
        # A generic HTTP SMS gateway: POST JSON to the URL with the key as a bearer token.
        "SMS_GATEWAY_URL": _url(read, "SMS_GATEWAY_URL", None),
        "SMS_GATEWAY_KEY": read.text("SMS_GATEWAY_KEY"),
        "SMS_SENDER": read.text("SMS_SENDER", "BUUDIEN"),
        # Zalo ZNS: the send-template endpoint and the Official Account's access token.
        "ZNS_API_URL": _url(read, "ZNS_API_URL", "https://business.openapi.zalo.me/message/template"),
        "ZNS_ACCESS_TOKEN": read.text("ZNS_ACCESS_TOKEN"),
        # Its refresh (the access token expires, ~25 h): Zalo's OAuth endpoint, the app and its key,
        # and the first refresh token (single-use: the ones after it live in the database).
        "ZNS_OAUTH_URL": _url(read, "ZNS_OAUTH_URL", "https://oauth.zaloapp.com/v4/oa/access_token"),
        "ZNS_APP_ID": read.text("ZNS_APP_ID"),
        "ZNS_SECRET_KEY": read.text("ZNS_SECRET_KEY"),
        "ZNS_REFRESH_TOKEN": read.text("ZNS_REFRESH_TOKEN"),
        **{
            f"ZNS_TEMPLATE_{event.upper()}": read.text(f"ZNS_TEMPLATE_{event.upper()}")
            for event in NOTIFY_EVENTS
        },
        # Nothing is sent between these local times; what falls due then waits for the morning.
        "NOTIFY_QUIET_START": _clock(read, "NOTIFY_QUIET_START", "21:00"),
        "NOTIFY_QUIET_END": _clock(read, "NOTIFY_QUIET_END", "07:00"),
        # "The postman is N stops away" goes to the next N stops after each result.
        "NOTIFY_STOPS_AHEAD": read.integer("NOTIFY_STOPS_AHEAD", 3, minimum=1, maximum=20),
        # The morning message's window ("between 9:00 and 11:00") is this wide around the ETA.
        "NOTIFY_WINDOW_MINUTES": read.integer("NOTIFY_WINDOW_MINUTES", 120, minimum=30, maximum=480),
        # A message the provider refused or did not answer is tried again after 1, 2, 4, ... times this.
        "NOTIFY_RETRY_SECONDS": read.integer("NOTIFY_RETRY_SECONDS", 60, minimum=0, maximum=3600),
        "NOTIFY_MAX_ATTEMPTS": read.integer("NOTIFY_MAX_ATTEMPTS", 8, minimum=1, maximum=50),
        "NOTIFY_TIMEOUT_SECONDS": read.number("NOTIFY_TIMEOUT_SECONDS", 10.0),
    }
    if not 0 < settings["NOTIFY_TIMEOUT_SECONDS"] <= 120:
        raise ConfigError(
            f"NOTIFY_TIMEOUT_SECONDS must be above 0 and at most 120, got {settings['NOTIFY_TIMEOUT_SECONDS']}"
        )
    if provider == "sms" and not (settings["SMS_GATEWAY_URL"] and settings["SMS_GATEWAY_KEY"]):
        raise ConfigError("NOTIFY_PROVIDER=sms needs SMS_GATEWAY_URL and SMS_GATEWAY_KEY")
    if settings["ZNS_REFRESH_TOKEN"] and not (settings["ZNS_APP_ID"] and settings["ZNS_SECRET_KEY"]):
        raise ConfigError("ZNS_REFRESH_TOKEN needs ZNS_APP_ID and ZNS_SECRET_KEY")
    if provider == "zns":
        missing = [
            f"ZNS_TEMPLATE_{e.upper()}" for e in NOTIFY_EVENTS if not settings[f"ZNS_TEMPLATE_{e.upper()}"]
        ]
        if not settings["ZNS_ACCESS_TOKEN"] or missing:
            raise ConfigError(
                "NOTIFY_PROVIDER=zns needs ZNS_ACCESS_TOKEN and " + ", ".join(missing or ["templates"])
            )
    return settings


def engine_options(config: dict) -> dict:
    """Timeouts so a database that is down or hangs gives a quick 503, never a frozen worker.

    Computed from the final config (tests and the app factory may change the database URL)."""
    connect = config["DB_CONNECT_TIMEOUT"]
    statement_ms = config["DB_STATEMENT_TIMEOUT_MS"]
    options: dict = {"pool_pre_ping": True, "pool_timeout": connect}
    if config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options["connect_args"] = {
            "connect_timeout": connect,
            "options": f"-c statement_timeout={statement_ms} -c lock_timeout={statement_ms}",
        }
    else:
        options["connect_args"] = {"timeout": config["DB_BUSY_TIMEOUT"]}
    return options


def load_config(instance_path: str, env: dict[str, str] | None = None) -> dict:
    """Build the Flask config mapping from environment variables."""
    read = _Reader(dict(os.environ if env is None else env))
    mode = read.text("POSTROUND_ENV", "production")
    if mode not in ENVIRONMENTS:
        raise ConfigError(f"POSTROUND_ENV must be one of {', '.join(ENVIRONMENTS)}, got {mode!r}")

    secret = read.text("SECRET_KEY")
    if secret is None:
        if mode == "production":
            raise ConfigError(
                "SECRET_KEY is required in production (set POSTROUND_ENV=development to try it)"
            )
        secret = "dev-only-secret-key-never-use-in-production-0123456789"
    elif len(secret) < 32:
        raise ConfigError("SECRET_KEY must be at least 32 characters long")

    id_hash_key = read.text("ID_HASH_KEY")
    if id_hash_key is None:
        if mode == "production":
            raise ConfigError(
                "ID_HASH_KEY is required in production: the key of the ID-number hashes, "
                "not the token-signing SECRET_KEY"
            )
        id_hash_key = "dev-only-id-hash-key-never-use-in-production-9876543210"
    elif len(id_hash_key) < 32:
        raise ConfigError("ID_HASH_KEY must be at least 32 characters long")
    if id_hash_key == secret:
        raise ConfigError("ID_HASH_KEY must differ from SECRET_KEY (a key of its own)")
    webhook_secret_key = read.text("WEBHOOK_SECRET_KEY") or secret
    if len(webhook_secret_key) < 32:
        raise ConfigError("WEBHOOK_SECRET_KEY must be at least 32 characters long")
    webhook_old_keys = tuple(
        k.strip() for k in (read.text("WEBHOOK_SECRET_OLD_KEYS") or "").split(",") if k.strip()
    )
    id_hash_key_id = read.text("ID_HASH_KEY_ID", "k1")
    if len(id_hash_key_id) > 16 or not id_hash_key_id.replace("-", "").isalnum():
        raise ConfigError("ID_HASH_KEY_ID must be at most 16 letters, digits or '-'")

    retention = {}
    for name, (default, minimum) in RETENTION_SETTINGS.items():
        try:
            retention[name] = read.integer(name, default, minimum=minimum)
        except ConfigError:
            raise ConfigError(
                f"{name} must be at least {minimum} days (Circular 17/2017/TT-BTTTT Art. 14: "
                f"electronic records are kept at least five years), got {read.text(name)!r}"
            ) from None

    default_db = "sqlite:///" + str(Path(instance_path) / "postround.db")
    database_url = read.text("DATABASE_URL", default_db)
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    if not database_url.startswith(("sqlite:", "postgresql+psycopg:")):
        raise ConfigError("DATABASE_URL must be an sqlite:// or postgresql:// URL")

    tz_name = read.text("POSTROUND_TIMEZONE", "Asia/Ho_Chi_Minh")
    try:
        ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"POSTROUND_TIMEZONE is not a known time zone: {tz_name!r}") from None

    lat = read.number("POST_OFFICE_LAT", 10.0035)
    lon = read.number("POST_OFFICE_LON", 105.1694)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ConfigError("POST_OFFICE_LAT/POST_OFFICE_LON are not a valid position")

    trusted_proxies = read.integer("TRUSTED_PROXY_COUNT", 0, minimum=0, maximum=5)
    public_base_url = (read.text("PUBLIC_BASE_URL", "http://localhost:5000") or "").rstrip("/")
    if not public_base_url.startswith(("http://", "https://")):
        raise ConfigError(f"PUBLIC_BASE_URL must be an http:// or https:// URL, got {public_base_url!r}")
    throttles = {name: _rate(read, name, default) for name, default in RATE_LIMITS.items()}
    min_ink = read.number("SIGNATURE_MIN_INK", 0.001)
    if not 0 <= min_ink < 0.5:
        raise ConfigError(f"SIGNATURE_MIN_INK must be a share between 0 and 0.5, got {min_ink}")

    queue_url = read.text("TASK_QUEUE_URL", "sqlite:///" + str(Path(instance_path) / "tasks.db"))
    if not (queue_url.startswith(("sqlite:///", "redis://", "rediss://")) or queue_url == "immediate"):
        raise ConfigError("TASK_QUEUE_URL must be a sqlite:///file, a redis:// URL, or 'immediate' (tests)")
    store = read.text("ATTACHMENT_STORE", "directory")
    if store not in ("directory", "s3"):
        raise ConfigError(f"ATTACHMENT_STORE must be directory or s3, got {store!r}")
    bucket = read.text("S3_BUCKET")
    if store == "s3" and bucket is None:
        raise ConfigError("S3_BUCKET is required when ATTACHMENT_STORE=s3")
    endpoint = read.text("S3_ENDPOINT_URL")
    if endpoint is not None and not endpoint.startswith(("http://", "https://")):
        raise ConfigError(f"S3_ENDPOINT_URL must be an http:// or https:// URL, got {endpoint!r}")

    notify = _notification_settings(read)

    return {
        "POSTROUND_ENV": mode,
        "TESTING": mode == "testing",
        "DEBUG": False,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        # SQLALCHEMY_ENGINE_OPTIONS: engine_options(), set by the app factory from these.
        "DB_CONNECT_TIMEOUT": read.integer("DB_CONNECT_TIMEOUT", 5, minimum=1, maximum=120),
        "DB_STATEMENT_TIMEOUT_MS": read.integer(
            "DB_STATEMENT_TIMEOUT_MS", 15_000, minimum=100, maximum=3_600_000
        ),
        "DB_BUSY_TIMEOUT": read.integer("DB_BUSY_TIMEOUT", 10, minimum=0, maximum=600),
        # A database that is down or hangs: a 503 with Retry-After (docs/security.md, "Outages").
        "DB_RETRY_AFTER": read.integer("DB_RETRY_AFTER", 30, minimum=1, maximum=3600),
        "ACCESS_TOKEN_TTL": read.integer("ACCESS_TOKEN_TTL", 15 * 60, minimum=30, maximum=24 * 3600),
        "REFRESH_TOKEN_TTL": read.integer("REFRESH_TOKEN_TTL", 30 * 24 * 3600, minimum=300),
        # JSON bodies; attachment chunks have their own limit (sync issue).
        "MAX_CONTENT_LENGTH": read.integer("MAX_BODY_BYTES", 2 * 1024 * 1024, minimum=1024),
        "MAX_UPLOAD_BYTES": read.integer("MAX_UPLOAD_BYTES", 8 * 1024 * 1024, minimum=1024),
        "MAX_BULK_ITEMS": read.integer("MAX_BULK_ITEMS", 1000, minimum=1),
        "FAILED_ATTEMPT_LIMIT": read.integer("FAILED_ATTEMPT_LIMIT", 3, minimum=1, maximum=20),
        # Working days between two invitations that count for the regulation (Decision 45: two).
        "REATTEMPT_SPACING_WORKING_DAYS": read.integer(
            "REATTEMPT_SPACING_WORKING_DAYS", 2, minimum=1, maximum=10
        ),
        # Circular 17 Art. 7-8 deadlines in working days after receipt, per route, without / with an
        # appointment slip (backend/domain/onestop.py; docs/agency-api.md, "Deadline").
        "DEADLINE_WORKING_DAYS": _deadlines(read),
        "TIMEZONE": tz_name,
        "POST_OFFICE_LAT": lat,
        "POST_OFFICE_LON": lon,
        # Throttles (docs/security.md, "Limits and throttles"); "N per <period>" as flask-limiter reads it.
        **throttles,
        "TRUSTED_PROXY_COUNT": trusted_proxies,
        # The citizen's pages (docs/citizen.md): where links in messages point, and how far ahead a
        # citizen may move a delivery (working days from today).
        "PUBLIC_BASE_URL": public_base_url,
        "CITIZEN_RESCHEDULE_WORKING_DAYS": read.integer(
            "CITIZEN_RESCHEDULE_WORKING_DAYS", 10, minimum=1, maximum=30
        ),
        # Headers (docs/security.md, "Headers"): HSTS only when every visitor arrives over HTTPS.
        "BEHIND_TLS": read.flag("BEHIND_TLS", False),
        "HSTS_MAX_AGE": read.integer("HSTS_MAX_AGE", 365 * 24 * 3600, minimum=0),
        "RATELIMIT_STORAGE_URI": read.text("RATELIMIT_STORAGE_URI", "memory://"),
        # Prepended to every counter's key, so deployments (provinces) sharing one Redis count apart.
        "RATELIMIT_KEY_PREFIX": read.text("RATELIMIT_KEY_PREFIX", ""),
        "RATELIMIT_ENABLED": read.flag("RATELIMIT_ENABLED", True),
        # Redis down: limits go on counting in each worker's memory (weaker, never off) and
        # Redis is tried again; sign-in and tracking keep working (docs/security.md, "Outages").
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # No X-RateLimit-*/Retry-After on answers that were not refused: Retry-After means "refused,
        # come back then" (a 429 or 503 only; backend/errors.py sets it).
        "RATELIMIT_HEADERS_ENABLED": False,
        # Attachments (sync/storage.py): a directory on this server, or an S3-compatible bucket
        # shared by every node (credentials: the standard AWS_* variables, read by boto3).
        "ATTACHMENT_STORE": store,
        "STORAGE_DIR": read.text("STORAGE_DIR", str(Path(instance_path) / "storage")),
        "S3_BUCKET": bucket,
        "S3_ENDPOINT_URL": endpoint,
        "S3_REGION": read.text("S3_REGION"),
        "ID_HASH_KEY": id_hash_key,
        "ID_HASH_KEY_ID": id_hash_key_id,
        **retention,
        # Uploads (docs/security.md, "Files").
        "UPLOAD_EXPIRY_HOURS": read.integer("UPLOAD_EXPIRY_HOURS", 72, minimum=1, maximum=90 * 24),
        "UPLOAD_QUOTA_BYTES": read.integer("UPLOAD_QUOTA_BYTES", 256 * 1024 * 1024, minimum=1024 * 1024),
        # Files up to this size may travel together, one multipart request per batch (issue 16).
        "SMALL_UPLOAD_BYTES": read.integer(
            "SMALL_UPLOAD_BYTES", 256 * 1024, minimum=1024, maximum=8 * 1024 * 1024
        ),
        "SIGNATURE_MIN_INK": min_ink,
        # Background work (backend/tasks): where the queue lives, and its schedules.
        "TASK_QUEUE_URL": queue_url,
        "TASK_QUEUE_NAME": read.text("TASK_QUEUE_NAME", "postround"),
        "TASK_WORKERS": read.integer("TASK_WORKERS", 2, minimum=1, maximum=32),
        "MAINTENANCE_EVERY_MINUTES": read.integer(
            "MAINTENANCE_EVERY_MINUTES", 60, minimum=1, maximum=24 * 60
        ),
        "JOB_STALE_SECONDS": read.integer("JOB_STALE_SECONDS", 120, minimum=2, maximum=24 * 3600),
        "JOB_MAX_ATTEMPTS": read.integer("JOB_MAX_ATTEMPTS", 3, minimum=1, maximum=20),
        # Webhooks to agencies' systems (backend/services/webhooks.py, docs/agency-api.md): each
        # attempt's time limit (connect and read), the backoff after a failure (doubling from the
        # first delay up to the cap), and the attempts before a delivery is given up (replayable).
        "WEBHOOK_TIMEOUT_SECONDS": read.number("WEBHOOK_TIMEOUT_SECONDS", 5.0),
        "WEBHOOK_FIRST_RETRY_SECONDS": read.integer("WEBHOOK_FIRST_RETRY_SECONDS", 5, minimum=1),
        "WEBHOOK_MAX_RETRY_SECONDS": read.integer("WEBHOOK_MAX_RETRY_SECONDS", 10 * 3600, minimum=1),
        "WEBHOOK_MAX_ATTEMPTS": read.integer("WEBHOOK_MAX_ATTEMPTS", 15, minimum=1, maximum=50),
        # SSRF: an endpoint whose host resolves to a private, loopback or link-local address is
        # refused at each attempt, unless this is on (a closed network; the tests' local receiver).
        "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": read.flag("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False),
        # The endpoints' signing secrets are sealed at rest under this key (backend/secretbox.py;
        # SECRET_KEY when unset); old keys still open them while `flask webhooks rekey` re-seals.
        "WEBHOOK_SECRET_KEY": webhook_secret_key,
        "WEBHOOK_SECRET_OLD_KEYS": webhook_old_keys,
        # Operational logs kept this long, then pruned by maintenance (docs/security.md, "Retention"):
        # webhook attempts and delivered deliveries; the change feed's events (older cursors get
        # `cursor-expired`); notification attempts (phone, text) and the messages' parameters.
        "WEBHOOK_LOG_RETENTION_DAYS": read.integer("WEBHOOK_LOG_RETENTION_DAYS", 30, minimum=1),
        "AGENCY_EVENT_RETENTION_DAYS": read.integer("AGENCY_EVENT_RETENTION_DAYS", 90, minimum=1),
        "NOTIFICATION_RETENTION_DAYS": read.integer("NOTIFICATION_RETENTION_DAYS", 180, minimum=1),
        # Imports with more rows than this run as a job (202 and a job to follow), not in the request.
        "IMPORT_QUEUE_ROWS": read.integer("IMPORT_QUEUE_ROWS", 1000, minimum=1),
        # A finished export's file is kept this long for its supervisor to download, then dropped.
        "EXPORT_KEEP_HOURS": read.integer("EXPORT_KEEP_HOURS", 24, minimum=1, maximum=30 * 24),
        # Supervisors' dashboard (docs/dashboard.md). No tile server by default: the map still
        # draws stops and proofs on a blank background, so a closed network works.
        "MAP_TILE_URL": read.text("MAP_TILE_URL", ""),
        "MAP_TILE_ATTRIBUTION": read.text("MAP_TILE_ATTRIBUTION", ""),
        "LOCATION_MISMATCH_METRES": read.integer(
            "LOCATION_MISMATCH_METRES", 300, minimum=10, maximum=100_000
        ),
        "UNSYNCED_DEVICE_MINUTES": read.integer(
            "UNSYNCED_DEVICE_MINUTES", 60, minimum=5, maximum=7 * 24 * 60
        ),
        # Who is behind (docs/dashboard.md): the postmen's working day, when stops are expected
        # to be done evenly between start and end; the pace assumed before a round has two results;
        # the speed between stops (a motorbike in a commune) for the ETA of each remaining stop.
        "ROUND_DAY_START": _clock(read, "ROUND_DAY_START", "07:30"),
        "ROUND_DAY_END": _clock(read, "ROUND_DAY_END", "16:30"),
        "ROUND_MINUTES_PER_STOP": read.integer("ROUND_MINUTES_PER_STOP", 10, minimum=1, maximum=240),
        "ROUND_SPEED_KMH": read.integer("ROUND_SPEED_KMH", 20, minimum=1, maximum=120),
        "DASHBOARD_POLL_SECONDS": read.integer("DASHBOARD_POLL_SECONDS", 10, minimum=2, maximum=15),
        "REPORT_MAX_DAYS": read.integer("REPORT_MAX_DAYS", 400, minimum=1, maximum=5000),
        "PDF_FONT_PATH": read.text("PDF_FONT_PATH", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
        "PDF_FONT_BOLD_PATH": read.text(
            "PDF_FONT_BOLD_PATH", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
        ),
        # Messages to citizens (docs/notifications.md): the provider, its settings, the rules.
        **notify,
        # flask-smorest / OpenAPI
        "API_TITLE": "PostRound API",
        "API_VERSION": "1.0",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        # /api/docs is our own self-contained page; Swagger UI (needs a CDN URL) lives beside it.
        "OPENAPI_SWAGGER_UI_PATH": "/swagger",
        "OPENAPI_SWAGGER_UI_URL": read.text("SWAGGER_UI_URL", None),
        "OPENAPI_REDOC_PATH": "/redoc",
        "OPENAPI_REDOC_URL": read.text("REDOC_URL", None),
        "JSON_SORT_KEYS": False,
    }
