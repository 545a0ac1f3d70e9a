"""docs/sync-protocol.md tells the truth: its status table and its mutation-field table are generated
from the code (backend/domain/status.py, sync/schemas.py), every rejection reason and problem type
the sync code can produce is documented, and so is every limit.

When the state machine or a mutation schema changes, regenerate the tables with
    .venv/bin/python -m tests.test_sync_docs --write
and describe the change in the prose around them.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import marshmallow as ma
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "sync-protocol.md"
# Everything a sync endpoint (and the token refresh a phone needs) runs through.
SOURCES = [
    *sorted((ROOT / "sync").glob("*.py")),
    *sorted((ROOT / "backend" / "auth").glob("*.py")),
    *sorted((ROOT / "backend" / "domain").glob("*.py")),
    ROOT / "backend" / "api" / "sync.py",
    ROOT / "backend" / "api" / "auth.py",
    ROOT / "backend" / "services" / "item_events.py",
    ROOT / "backend" / "services" / "handovers.py",
    ROOT / "backend" / "services" / "cash.py",
    ROOT / "backend" / "errors.py",
]
# Calls whose argument at this position is a problem type or rejection reason.
KIND_ARGUMENT = {
    "DomainError": 0,
    "AuthError": 0,
    "Rejection": 0,
    "__init__": 0,
    "_rejected": 2,
    "problem": 1,
}
SLUG = re.compile(r"^[a-z]+(-[a-z]+)+$")
# Problem types werkzeug's own errors get (backend/errors.py names them after the HTTP status).
HTTP_KINDS = {"not-found", "method-not-allowed", "request-entity-too-large", "too-many-requests"}


def _call_name(node: ast.Call) -> str | None:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def kinds_in_code() -> dict[str, str]:
    """Every problem type / rejection reason literal in the sync code path -> where it is."""
    found = {}
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            values = []
            if isinstance(node, ast.Call) and _call_name(node) in KIND_ARGUMENT:
                position = KIND_ARGUMENT[_call_name(node)]
                if len(node.args) > position:
                    values.append(node.args[position])
                values += [k.value for k in node.keywords if k.arg in ("reason", "kind")]
            elif isinstance(node, ast.Assign):
                targets = node.targets[0].elts if isinstance(node.targets[0], ast.Tuple) else node.targets
                sources = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
                values += [
                    v
                    for t, v in zip(targets, sources, strict=False)
                    if isinstance(t, ast.Name) and t.id in ("reason", "kind")
                ]
            for value in values:
                if (
                    isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                    and SLUG.match(value.value)
                ):
                    found.setdefault(value.value, f"{path.relative_to(ROOT)}:{value.lineno}")
    return found


# --- generated tables -------------------------------------------------------------------------


def _status_order():
    from backend.domain.status import Status

    return list(Status)


def status_tables() -> str:
    from backend.domain.status import FINAL, TRANSITIONS

    order = _status_order()
    used = {
        direction: {s for sources, target in rules.values() for s in (*sources, target)}
        for direction, rules in TRANSITIONS.items()
    }
    lines = ["| status | final | return items | collect items |", "| --- | --- | --- | --- |"]
    for status in order:
        marks = ["yes" if status in used[d] else "—" for d in TRANSITIONS]
        lines.append(f"| `{status.value}` | {'yes' if status in FINAL else 'no'} | {' | '.join(marks)} |")
    for direction, rules in TRANSITIONS.items():
        lines += [
            "",
            f"{direction.value.capitalize()} items:",
            "",
            "| event | from | to |",
            "| --- | --- | --- |",
        ]
        for event, (sources, target) in rules.items():
            froms = ", ".join(f"`{s.value}`" for s in order if s in sources)
            lines.append(f"| `{event.value}` | {froms} | `{target.value}` |")
    return "\n".join(lines)


def _field_list(schema: ma.Schema, required: bool) -> str:
    names = [f"`{name}`" for name, field in schema.fields.items() if field.required == required]
    return ", ".join(names) or "—"


def _nested(schema: ma.Schema, prefix: str = ""):
    for name, field in schema.fields.items():
        inner = field.inner if isinstance(field, ma.fields.List) else field
        if isinstance(inner, ma.fields.Nested):
            yield f"{prefix}{name}[]" if inner is not field else f"{prefix}{name}", inner.schema


def mutation_tables() -> str:
    from sync.schemas import DATA_SCHEMAS, NO_ITEM_TYPES, REQUIRED_ATTACHMENTS, MutationSchema

    envelope = MutationSchema()
    lines = [
        "| part | required | optional |",
        "| --- | --- | --- |",
        f"| mutation | {_field_list(envelope, True)}, `item_id` "
        f"(except {', '.join(f'`{kind}`' for kind in NO_ITEM_TYPES)}) | "
        f"{', '.join(f'`{n}`' for n, f in envelope.fields.items() if not f.required and n != 'item_id')} |",
    ]
    for where, schema in _nested(envelope):
        lines.append(f"| each of `{where}` | {_field_list(schema, True)} | {_field_list(schema, False)} |")
    lines += [
        "",
        "| type | required in `data` | optional in `data` | required attachments |",
        "| --- | --- | --- | --- |",
    ]
    for kind, schema_class in DATA_SCHEMAS.items():
        schema = schema_class()
        needed = ", ".join(f"`{k}`" for k in sorted(REQUIRED_ATTACHMENTS.get(kind, ()))) or "—"
        if "receiver_relation" in schema.fields:
            needed += "; `authorisation_letter` when `receiver_relation` is `authorised`"
        lines.append(f"| `{kind}` | {_field_list(schema, True)} | {_field_list(schema, False)} | {needed} |")
        for where, nested in _nested(schema):
            lines.append(
                f"| `{kind}`: each of `{where}` | {_field_list(nested, True)} | "
                f"{_field_list(nested, False)} | |"
            )
    return "\n".join(lines)


GENERATED = {"status-table": status_tables, "mutation-fields": mutation_tables}


def _block(name: str) -> re.Pattern:
    return re.compile(rf"(<!-- {name}:start[^>]*-->)\n(.*?)\n?(<!-- {name}:end -->)", re.S)


def regenerate(text: str) -> str:
    for name, make in GENERATED.items():
        text, count = _block(name).subn(lambda m, make=make: f"{m.group(1)}\n{make()}\n{m.group(3)}", text)
        assert count == 1, f"docs/sync-protocol.md needs exactly one {name} block"
    return text


# --- the tests --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", GENERATED)
def test_the_generated_tables_match_the_code(doc, name):
    match = _block(name).search(doc)
    assert match, f"docs/sync-protocol.md has no {name} block"
    assert match.group(2) == GENERATED[name](), (
        f"docs/sync-protocol.md's {name} table is out of date: run "
        f"`.venv/bin/python -m tests.test_sync_docs --write` and check the prose around it"
    )


def test_every_status_and_event_of_the_state_machine_is_described(doc):
    from backend.domain.status import TRANSITIONS

    prose = re.sub(r"<!-- status-table:start.*?status-table:end -->", "", doc, flags=re.S)
    for status in _status_order():
        assert f"`{status.value}`" in prose, f"describe the status {status.value} in words"
    for rules in TRANSITIONS.values():
        for event in rules:
            assert f"`{event.value}`" in prose, f"describe the event {event.value} in words"


def _table_rows(doc: str, heading: str) -> dict[str, str]:
    """First-column slugs of the tables under a heading -> the row."""
    section = doc.split(heading, 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    return {m.group(1): m.group(0) for m in re.finditer(r"^\| `([a-z0-9-]+)`[^\n]*", section, re.M)}


def test_every_rejection_reason_and_problem_type_the_code_can_produce_is_documented_with_a_recovery(doc):
    documented = _table_rows(doc, "### Every rejection reason") | _table_rows(doc, "### Every problem type")
    missing = {kind: where for kind, where in kinds_in_code().items() if kind not in documented}
    missing |= {kind: "backend/errors.py (HTTP)" for kind in HTTP_KINDS if kind not in documented}
    assert not missing, f"document these in docs/sync-protocol.md, with what the phone does: {missing}"
    for kind, row in documented.items():
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) >= 3 and all(cells), f"{kind}: every row says when it happens and what to do"


def test_the_code_scan_finds_the_reasons_it_must(doc):
    found = kinds_in_code()
    assert {
        "sequence-reused",
        "id-reused",
        "invalid-envelope",
        "not-your-item",
        "offset-mismatch",
        "device-revoked",
        "session-revoked",
        "illegal-transition",
        "internal-error",
        "invalid-value",
    } <= set(found)


def test_every_limit_is_documented(doc):
    from backend.api.sync import MAX_CHECK_DIGESTS, MAX_INFLATED_PUSH, MAX_PARTS, PullQuerySchema
    from backend.config import load_config
    from sync.protocol import SUPPORTED_MUTATION_VERSIONS
    from sync.schemas import MAX_APP_VERSION, MAX_BATCH, MAX_SEQ, MutationSchema

    limits = doc.split("## Limits", 1)[1].split("\n## ", 1)[0]
    config = load_config(str(ROOT / "instance"), {"POSTROUND_ENV": "testing"})
    attachments = next(v for v in MutationSchema().fields["attachments"].validators)
    numbers = {
        "batch": MAX_BATCH,
        "app version": MAX_APP_VERSION,
        "seq": MAX_SEQ,
        "inflated push": MAX_INFLATED_PUSH // (1024 * 1024),
        "body": config["MAX_CONTENT_LENGTH"] // (1024 * 1024),
        "upload": config["MAX_UPLOAD_BYTES"] // (1024 * 1024),
        "attachments": attachments.max,
        "page": PullQuerySchema().fields["limit"].validators[0].max,
        "batch check": MAX_CHECK_DIGESTS,
        "batch upload parts": MAX_PARTS,
        "small file (KiB)": config["SMALL_UPLOAD_BYTES"] // 1024,
    }
    for name, number in numbers.items():
        text = f"{number:,}".replace(",", " ") if number > 99_999 else str(number)
        assert text in limits or str(number) in limits, (
            f"the {name} limit ({number}) is not in the Limits section"
        )
    assert "2^53" in limits and str(sorted(SUPPORTED_MUTATION_VERSIONS)) in doc


if __name__ == "__main__" and "--write" in sys.argv:
    sys.path.insert(0, str(ROOT))
    DOC.write_text(regenerate(DOC.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"regenerated the tables in {DOC.relative_to(ROOT)}")
