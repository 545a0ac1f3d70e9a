"""Configuration is checked strictly at start-up."""

import pytest

from backend.config import ConfigError, load_config

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
    assert config["GEOCODING_ENABLED"] is False


def test_a_postgres_url_is_given_the_psycopg_driver(tmp_path):
    config = load_config(str(tmp_path), {"SECRET_KEY": GOOD_SECRET, "ID_HASH_KEY": GOOD_ID_KEY,
                                          "DATABASE_URL": "postgres://u@h/db"})
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize("name, value, message", [
    ("POSTROUND_ENV", "staging", "POSTROUND_ENV must be one of"),
    ("SECRET_KEY", "short", "at least 32"),
    ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
    ("ACCESS_TOKEN_TTL", "ten", "whole number"),
    ("ACCESS_TOKEN_TTL", "5", "at least 30"),
    ("FAILED_ATTEMPT_LIMIT", "0", "at least 1"),
    ("POSTROUND_TIMEZONE", "Mars/Olympus", "time zone"),
    ("GEOCODING_ENABLED", "maybe", "true or false"),
    ("POST_OFFICE_LAT", "95", "valid position"),
])
def test_a_bad_value_stops_start_up_naming_the_variable(tmp_path, name, value, message):
    env = {"SECRET_KEY": GOOD_SECRET, "ID_HASH_KEY": GOOD_ID_KEY, name: value}
    with pytest.raises(ConfigError, match=message):
        load_config(str(tmp_path), env)
