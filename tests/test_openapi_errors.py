"""The OpenAPI document tells the truth about errors: every operation, every error status, one shape.

A client generated from /api/openapi.json must expect application/problem+json (RFC 9457) for
every error, with the statuses the server really sends. These checks read the document the
server serves; tests/test_contract_fuzz.py then holds the live server to it.
"""

from __future__ import annotations

import jsonschema_rs
import pytest

from backend.errors import PROBLEM_MEDIA_TYPE


@pytest.fixture
def spec(client):
    return client.get("/api/openapi.json").get_json()


def operations(spec):
    for path, items in spec["paths"].items():
        for method, operation in items.items():
            if method != "parameters":
                yield method.upper(), path, operation


def _problem_validator(spec, status: int):
    response = next(
        op["responses"][str(status)] for _, _, op in operations(spec) if str(status) in op["responses"]
    )
    schema = response["content"][PROBLEM_MEDIA_TYPE]["schema"]
    return jsonschema_rs.validator_for({**schema, "components": spec["components"]})


def test_every_error_response_of_every_operation_is_problem_json(spec):
    for method, path, operation in operations(spec):
        responses = operation["responses"]
        assert "default" in responses, (method, path)
        for code, response in responses.items():
            if code == "414":  # answered by gunicorn before the app; documented without a body
                assert "content" not in response, (method, path)
                continue
            if code == "default" or int(code) >= 400:
                assert list(response["content"]) == [PROBLEM_MEDIA_TYPE], (method, path, code)
                assert "Problem" in str(response["content"][PROBLEM_MEDIA_TYPE]["schema"]), (
                    method,
                    path,
                    code,
                )
    assert "Error" not in spec["components"]["schemas"]  # flask-smorest's own shape is gone


def test_the_statuses_follow_from_each_operation(spec):
    for method, path, operation in operations(spec):
        codes = set(operation["responses"])
        if operation.get("security") != []:
            assert {"401", "403"} <= codes, (method, path)
        if "{" in path:
            assert "404" in codes, (method, path)
        if "requestBody" in operation:
            assert {"400", "413", "422"} <= codes, (method, path)
        if any(p["in"] == "query" for p in operation.get("parameters", [])):
            assert "422" in codes, (method, path)
    paths = spec["paths"]
    assert "429" in paths["/api/auth/login"]["post"]["responses"]
    assert "429" in paths["/api/track/{code}"]["get"]["responses"]
    assert "Retry-After" in paths["/api/auth/login"]["post"]["responses"]["429"]["headers"]
    assert {"409", "412"} <= set(paths["/api/items/{item_id}"]["patch"]["responses"])
    assert "410" in paths["/api/attachments/{sha256}"]["get"]["responses"]


def test_public_operations_are_exactly_the_ones_without_a_token(spec):
    public = {(m, p) for m, p, op in operations(spec) if op.get("security") == []}
    assert public == {
        ("GET", "/api/health"),
        ("POST", "/api/auth/login"),
        ("POST", "/api/auth/refresh"),
        ("POST", "/api/auth/logout"),
        ("GET", "/api/track/{code}"),
        ("POST", "/api/notifications/stop"),
        ("POST", "/api/bookings"),  # a citizen's booking, like the /book/ page
    }


def test_binary_answers_carry_their_real_content_types(spec):
    paths = spec["paths"]
    assert set(paths["/api/reports/export"]["get"]["responses"]["200"]["content"]) == {
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    assert set(paths["/api/attachments/{sha256}"]["get"]["responses"]["200"]["content"]) == {
        "image/jpeg",
        "image/png",
        "image/webp",
    }
    assert set(paths["/api/handovers/{handover_id}/pdf"]["get"]["responses"]["200"]["content"]) == {
        "application/pdf"
    }


def test_real_problems_match_the_documented_schema(client, make, auth, spec):
    headers = auth(make.user("admin"))
    answers = {
        401: client.get("/api/items"),
        403: client.post("/api/agencies", json={}, headers=auth(make.user("postman"))),
        404: client.get("/api/items/12345", headers=headers),
        422: client.post("/api/agencies", json={"code": 5, "name": ["x"]}, headers=headers),
        400: client.post(
            "/api/agencies", data='{"code": "X",', content_type="application/json", headers=headers
        ),
    }
    for status, response in answers.items():
        assert response.status_code == status and response.content_type == PROBLEM_MEDIA_TYPE
        body = response.get_json()
        errors = list(_problem_validator(spec, status).iter_errors(body))
        assert not errors, (status, body, [str(e) for e in errors])
    assert set(answers[422].get_json()["errors"]) >= {"code", "name"}
