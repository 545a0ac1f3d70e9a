"""Configuration is checked strictly at start-up."""

import pytest

from backend.config import ConfigError, engine_options, load_config

GOOD_SECRET = "x" * 40
GOOD_ID_KEY = "y" * 40


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY is required"):
        load_config(str(tmp_path), {"POSTROUND_ENV": "production"})


def test_development_gets_a_default_sqlite_database_under_instance(tmp_path):
    config = load_config(str(tmp_path), {"POSTROUND_ENV": "development"})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/postround.db"
    assert config["TIMEZONE"] == "Asia/Ho_Chi_Minh"
    assert config["FAILED_ATTEMPT_LIMIT"] == 3


def test_a_postgres_url_is_given_the_psycopg_driver(tmp_path):
    config = load_config(
        str(tmp_path),
        {"SECRET_KEY": GOOD_SECRET, "ID_HASH_KEY": GOOD_ID_KEY, "DATABASE_URL": "postgres://u@h/db"},
    )
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("POSTROUND_ENV", "staging", "POSTROUND_ENV must be one of"),
        ("SECRET_KEY", "short", "at least 32"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
        ("ACCESS_TOKEN_TTL", "ten", "whole number"),
        ("ACCESS_TOKEN_TTL", "5", "at least 30"),
        ("FAILED_ATTEMPT_LIMIT", "0", "at least 1"),
        ("POSTROUND_TIMEZONE", "Mars/Olympus", "time zone"),
        ("POST_OFFICE_LAT", "95", "valid position"),
        ("LOGIN_ACCOUNT_RATE_LIMIT", "lots", "must be a rate"),
        ("TRACKING_WRONG_DIGITS_LIMIT", "5 per fortnight", "must be a rate"),
        ("TRUSTED_PROXY_COUNT", "-1", "at least 0"),
        ("TRUSTED_PROXY_COUNT", "9", "at most 5"),
        ("DB_CONNECT_TIMEOUT", "0", "at least 1"),
        ("DB_STATEMENT_TIMEOUT_MS", "10", "at least 100"),
        ("BEHIND_TLS", "perhaps", "true or false"),
        ("TASK_QUEUE_URL", "amqp://rabbit", "TASK_QUEUE_URL"),
        ("JOB_STALE_SECONDS", "1", "at least 2"),
        ("IMPORT_QUEUE_ROWS", "0", "at least 1"),
        ("ATTACHMENT_STORE", "ftp", "ATTACHMENT_STORE must be directory or s3"),
        ("ATTACHMENT_STORE", "s3", "S3_BUCKET is required"),
        ("S3_ENDPOINT_URL", "minio:9000", "S3_ENDPOINT_URL must be an http"),
        ("NOTIFY_PROVIDER", "whatsapp", "NOTIFY_PROVIDER must be empty"),
        ("NOTIFY_PROVIDER", "sms", "NOTIFY_PROVIDER=sms needs SMS_GATEWAY_URL"),
        ("NOTIFY_PROVIDER", "zns", "NOTIFY_PROVIDER=zns needs ZNS_ACCESS_TOKEN"),
        ("SMS_GATEWAY_URL", "gateway:8080", "SMS_GATEWAY_URL must be an http"),
        ("ZNS_REFRESH_TOKEN", "a-refresh-token", "ZNS_REFRESH_TOKEN needs ZNS_APP_ID and ZNS_SECRET_KEY"),
        ("ZNS_OAUTH_URL", "oauth.zaloapp.com", "ZNS_OAUTH_URL must be an http"),
        ("PUBLIC_BASE_URL", "buudien.vn", "PUBLIC_BASE_URL must be an http"),
        ("NOTIFY_QUIET_START", "25:00", "NOTIFY_QUIET_START must be a time of day"),
        ("NOTIFY_STOPS_AHEAD", "0", "at least 1"),
        ("NOTIFY_TIMEOUT_SECONDS", "0", "NOTIFY_TIMEOUT_SECONDS must be above 0"),
        ("API_KEY_RATE_LIMIT", "plenty", "must be a rate"),
        ("DEADLINE_WORKING_DAYS", "local=1/2,province=2/4", "DEADLINE_WORKING_DAYS must read like"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(tmp_path, name, value, message):
    env = {"SECRET_KEY": GOOD_SECRET, "ID_HASH_KEY": GOOD_ID_KEY, name: value}
    with pytest.raises(ConfigError, match=message):
        load_config(str(tmp_path), env)


def test_the_database_timeouts_reach_the_driver(tmp_path):
    env = {
        "SECRET_KEY": GOOD_SECRET,
        "ID_HASH_KEY": GOOD_ID_KEY,
        "DB_CONNECT_TIMEOUT": "3",
        "DB_STATEMENT_TIMEOUT_MS": "2500",
        "DB_BUSY_TIMEOUT": "7",
    }
    postgres = load_config(str(tmp_path), {**env, "DATABASE_URL": "postgresql://u@h/db"})
    sqlite = load_config(str(tmp_path), env)

    assert engine_options(postgres)["connect_args"] == {
        "connect_timeout": 3,
        "options": "-c statement_timeout=2500 -c lock_timeout=2500",
    }
    assert engine_options(postgres)["pool_timeout"] == 3
    assert engine_options(sqlite)["connect_args"] == {"timeout": 7}


def test_safe_defaults_for_throttles_proxies_and_tls(tmp_path):
    config = load_config(str(tmp_path), {"SECRET_KEY": GOOD_SECRET, "ID_HASH_KEY": GOOD_ID_KEY})
    assert config["TRUSTED_PROXY_COUNT"] == 0  # X-Forwarded-For is believed from nobody
    assert config["BEHIND_TLS"] is False
    assert config["LOGIN_ACCOUNT_RATE_LIMIT"] == "10 per 15 minutes"
    assert config["TRACKING_WRONG_DIGITS_LIMIT"] == "5 per hour"


def test_the_task_queue_is_a_sqlite_file_under_instance_unless_told(tmp_path):
    config = load_config(str(tmp_path), {"POSTROUND_ENV": "development"})
    assert config["TASK_QUEUE_URL"] == f"sqlite:///{tmp_path / 'tasks.db'}"
    assert config["MAINTENANCE_EVERY_MINUTES"] == 60
    production = load_config(
        str(tmp_path),
        {"SECRET_KEY": GOOD_SECRET, "ID_HASH_KEY": GOOD_ID_KEY, "TASK_QUEUE_URL": "redis://queue:6379/0"},
    )
    assert production["TASK_QUEUE_URL"] == "redis://queue:6379/0"


def test_attachments_stay_in_a_directory_unless_a_bucket_is_chosen(tmp_path):
    from sync.s3_storage import S3Store
    from sync.storage import DirectoryStore, make_store

    env = {"SECRET_KEY": GOOD_SECRET, "ID_HASH_KEY": GOOD_ID_KEY}
    config = load_config(str(tmp_path), env)
    assert config["ATTACHMENT_STORE"] == "directory" and isinstance(make_store(config), DirectoryStore)
    config = load_config(
        str(tmp_path),
        env
        | {
            "ATTACHMENT_STORE": "s3",
            "S3_BUCKET": "bccl-an-giang",
            "S3_ENDPOINT_URL": "https://s3.example.vn",
            "S3_REGION": "hn",
        },
    )
    store = make_store(config)
    assert isinstance(store, S3Store)
    assert (store.bucket, store.endpoint_url, store.region) == (
        "bccl-an-giang",
        "https://s3.example.vn",
        "hn",
    )


def test_deployments_sharing_one_redis_keep_their_rate_limit_counters_apart(tmp_path):
    env = {"SECRET_KEY": GOOD_SECRET, "ID_HASH_KEY": GOOD_ID_KEY, "RATELIMIT_STORAGE_URI": "redis://r:6379"}
    assert load_config(str(tmp_path), env)["RATELIMIT_KEY_PREFIX"] == ""
    config = load_config(str(tmp_path), {**env, "RATELIMIT_KEY_PREFIX": "an-giang"})
    assert config["RATELIMIT_KEY_PREFIX"] == "an-giang"
