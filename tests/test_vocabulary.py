"""One word per code, in every app and every export, in Vietnamese and in English.

The codes are the domain's (backend/domain/status.py); their words live once, in
backend/domain/vocabulary.py, and reach the web apps through the generated
web/common/vocabulary.js, which both apps read through the shared i18n (web/common/i18n.js).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from backend.domain import handover_rules, round_status, status, vocabulary
from backend.domain.status import FailureReason, Outcome
from backend.domain.vocabulary import FAMILIES, LABELS, LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
APPS = {"pwa": ROOT / "mobile_pwa", "dashboard": ROOT / "dashboard"}
APP_I18N = {
    "pwa": APPS["pwa"] / "src" / "i18n.js",
    "dashboard": APPS["dashboard"] / "src" / "lib" / "i18n.js",
}
NODE = shutil.which("node")


def _app_sources():
    for app, folder in APPS.items():
        for path in sorted((folder / "src").rglob("*.js")):
            yield app, path


def _codes_people_see():
    """Every code the domain's own tables name: the item's state machine (its directions, events and
    statuses), the round's and the cash handover's statuses, a postman's failure reasons and the
    outcomes of a visit."""
    for direction, machine in status.TRANSITIONS.items():
        yield direction
        for event, (sources, target) in machine.items():
            yield event
            yield target
            yield from sources
    for sources, target in round_status.TRANSITIONS.values():
        yield target
        yield from sources
    for (source, _), target in handover_rules.CASH_TRANSITIONS.items():
        yield source
        yield target
    yield from handover_rules.CASH_START.values()
    yield from FailureReason
    yield from Outcome


def test_the_vocabulary_covers_the_state_machines_the_failure_reasons_and_the_outcomes():
    family_of = {enum: family for family, enum in FAMILIES.items()}
    assert len(family_of) == len(FAMILIES), "two families give words to one enum"
    codes = set(_codes_people_see())
    without_family = sorted(
        f"{type(code).__name__}.{code.name}" for code in codes if type(code) not in family_of
    )
    assert not without_family, f"codes with no family of words: {without_family}"
    assert {family_of[type(code)] for code in codes} == set(FAMILIES), "a family of words no table names"


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_code_has_a_word_in_each_language_and_no_word_names_a_code_that_does_not_exist(family):
    codes = set(FAMILIES[family])
    assert set(LABELS[family]) == codes, f"{family}: words for {set(LABELS[family]) ^ codes}"
    for code in codes:
        words = LABELS[family][code]
        assert len(words) == len(LANGUAGES)
        for lang, word in zip(LANGUAGES, words, strict=True):
            assert word.strip() and word == word.strip(), f"{family}.{code} has no {lang} word"


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_two_codes_of_a_family_never_share_a_word(family, lang):
    words = [vocabulary.label(family, code, lang) for code in FAMILIES[family]]
    assert len(set(words)) == len(words), f"{family} ({lang}): {words}"


def test_the_web_apps_module_is_generated_from_the_backend_and_up_to_date():
    generated = vocabulary.GENERATED.read_text(encoding="utf-8")
    assert generated == vocabulary.render_module(), (
        "run `python -m backend.domain.vocabulary` (scripts/setup.sh does)"
    )
    table = json.loads(generated.split("export const VOCABULARY = ", 1)[1])
    for family, codes in FAMILIES.items():
        assert set(table[family]) == set(LANGUAGES)
        for n, lang in enumerate(LANGUAGES):
            assert table[family][lang] == {c.value: LABELS[family][c][n] for c in codes}


def test_the_generator_writes_the_module_where_it_is_told(tmp_path):
    target = tmp_path / "vocabulary.js"
    assert vocabulary.main(["vocabulary", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == vocabulary.render_module()


def test_setup_generates_the_vocabulary_before_the_front_ends_are_built():
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    assert setup.index("backend.domain.vocabulary") < setup.index("npm run build")


def test_no_app_defines_its_own_words_for_a_code():
    """Neither a key of the vocabulary in an app's strings ('status.assigned': '…') nor a table of
    its own ({assigned: 'Cần làm'}): an app gets a code's word only from the shared vocabulary."""
    keys = "|".join(
        re.escape(f"{family}.{code.value}") for family, codes in FAMILIES.items() for code in codes
    )
    keyed = re.compile(rf"""['"]({keys})['"]\s*:""")
    codes = "|".join(sorted({re.escape(code.value) for codes in FAMILIES.values() for code in codes}))
    # {assigned: 'Cần làm'} or {'assigned': …}: a bare code as a key, mapped to a word with Vietnamese letters
    own_table = re.compile(rf"""(?:^|[\s{{,(])['"]?({codes})['"]?\s*:\s*['"][^'"]*[^\x00-\x7f]""")
    found = []
    for app, path in _app_sources():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if keyed.search(line) or own_table.search(line):
                found.append(f"{app}: {path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


def test_both_apps_read_their_words_through_the_shared_i18n_and_the_alias():
    for app, folder in APPS.items():
        config = (folder / "vite.config.js").read_text()
        assert "'@common'" in config and "../web/common" in config, f"{app}: no @common alias"
        assert "from '@common/i18n.js'" in APP_I18N[app].read_text(), f"{app}: its i18n is not the shared one"
    twins = [path.name for _, path in _app_sources() if path.name in {"dom.js", "format.js", "text.js"}]
    assert not twins, f"the apps keep their own copies of the shared base: {twins}"


# What the apps render: each app's own i18n module, run in Node with @common resolved as Vite does.
RENDER_JS = r"""
import { register } from 'node:module'
const [common, entry, expectedPath] = process.argv.slice(2)
register('data:text/javascript,' + encodeURIComponent(`
  export async function resolve(specifier, context, next) {
    if (specifier.startsWith('@common/')) return next(new URL(specifier.slice(8), ${JSON.stringify(common)}).href, context)
    return next(specifier, context)
  }`))
globalThis.localStorage = { getItem: () => null, setItem: () => {} }
const fs = await import('node:fs')
const expected = JSON.parse(fs.readFileSync(expectedPath, 'utf8'))
const app = await import(entry)
const shared = await import(new URL('i18n.js', common).href)
const wrong = []
for (const [lang, words] of Object.entries(expected)) {
  shared.setLang(lang)
  for (const [key, word] of Object.entries(words)) {
    const [family, code] = key.split('.')
    if (app.t(key) !== word) wrong.push(`${lang} t(${key}) = ${app.t(key)}, not ${word}`)
    if (shared.label(family, code) !== word) wrong.push(`${lang} label(${family}, ${code}) = ${shared.label(family, code)}`)
  }
}
let refused = false
try { shared.addStrings({ vi: { 'status.assigned': 'Cần làm' }, en: {} }) } catch { refused = true }
if (!refused) wrong.push('an app could define its own word for status.assigned')
console.log(JSON.stringify(wrong))
"""


@pytest.mark.skipif(NODE is None, reason="Node.js is not installed")
@pytest.mark.parametrize("app", sorted(APPS))
def test_each_app_renders_every_code_with_the_backends_word(app, tmp_path):
    expected = {
        lang: {
            f"{family}.{code.value}": vocabulary.label(family, code, lang)
            for family, codes in FAMILIES.items()
            for code in codes
        }
        for lang in LANGUAGES
    }
    (tmp_path / "expected.json").write_text(json.dumps(expected, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "render.mjs").write_text(RENDER_JS, encoding="utf-8")
    common = (ROOT / "web" / "common").as_uri() + "/"
    run = subprocess.run(
        [NODE, str(tmp_path / "render.mjs"), common, APP_I18N[app].as_uri(), str(tmp_path / "expected.json")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1]) == []


def test_the_reports_name_failure_reasons_with_the_vocabularys_words():
    from backend.services.reports import _columns

    report = {"group_by": "agency", "reasons": [r.value for r in FailureReason]}
    headers = [name for name, _ in _columns(report)]
    for reason in FailureReason:
        assert f"KTC: {vocabulary.label('reason', reason)} / Failed: {reason.value}" in headers
