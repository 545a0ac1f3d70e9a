"""The VietQR payment payload, defined once in backend/domain/vietqr.py: the tracking page builds it on
the server, the phone offline (mobile_pwa/src/vietqr.js, from the generated SPEC, as the postman may
correct the amount at the door). Both builders are decoded by a parser written here from the NAPAS VietQR / EMVCo merchant-presented QR specification: a walk of
ID (2 digits) + length (2 digits) + value objects, and tag 63 checked as the CRC-16/CCITT-FALSE
(polynomial 0x1021, initial 0xFFFF, no reflection, no final xor) of everything before its value."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from backend.domain import vietqr

MODULE = Path(__file__).resolve().parents[1] / "mobile_pwa" / "src" / "vietqr.js"

NEEDS_NODE = pytest.mark.skipif(shutil.which("node") is None, reason="needs Node to run the phone's module")


def tlv_walk(text: str) -> dict[str, str]:
    objects: dict[str, str] = {}
    at = 0
    while at < len(text):
        tag, length = text[at : at + 2], text[at + 2 : at + 4]
        assert tag.isdigit() and length.isdigit(), f"not an ID/length pair at {at}: {text[at : at + 4]!r}"
        value = text[at + 4 : at + 4 + int(length)]
        assert len(value) == int(length), f"object {tag} runs past the end"
        assert tag not in objects, f"object {tag} twice"
        objects[tag] = value
        at += 4 + int(length)
    return objects


def crc16_ccitt_false(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def decode(payload: str) -> dict:
    """The payload as a bank app reads it, or an AssertionError naming what is wrong."""
    assert payload[-8:-4] == "6304", "the CRC object must close the payload"
    assert int(payload[-4:], 16) == crc16_ccitt_false(payload[:-4].encode()), "CRC mismatch"
    root = tlv_walk(payload)
    account = tlv_walk(root["38"])
    beneficiary = tlv_walk(account["01"])
    return {
        "format": root["00"],
        "initiation": root["01"],
        "guid": account["00"],
        "bin": beneficiary["00"],
        "account": beneficiary["01"],
        "service": account["02"],
        "currency": root["53"],
        "amount": int(root["54"]),
        "country": root["58"],
        "purpose": tlv_walk(root["62"]).get("08"),
    }


def a_transfer(bin_: str, account: str, amount: int, purpose: str) -> dict:
    """What a dynamic VietQR for an inter-bank transfer to an account decodes to."""
    return {
        "format": "01",
        "initiation": "12",
        "guid": "A000000727",
        "bin": bin_,
        "account": account,
        "service": "QRIBFTTA",
        "currency": "704",
        "amount": amount,
        "country": "VN",
        "purpose": purpose,
    }


def build_on_the_phone(bank: dict | None, amount, reference: str) -> str:
    script = (
        f"import({json.dumps(MODULE.as_uri())}).then(m => process.stdout.write("
        f"m.vietqrPayload({json.dumps({'bank': bank, 'amount': amount, 'reference': reference})})))"
    )
    done = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=30)
    if done.returncode:
        raise ValueError(done.stderr.strip().splitlines()[0] if done.stderr else "node failed")
    return done.stdout


def build_on_the_server(bank: dict | None, amount, reference: str) -> str:
    return vietqr.payload(bank, amount, reference)


BUILDERS = [
    pytest.param(build_on_the_phone, marks=NEEDS_NODE, id="phone"),
    pytest.param(build_on_the_server, id="server"),
]


def test_the_decoder_reads_a_published_vietqr_correctly():
    # A transfer of 120 000 VND to VietinBank (BIN 970415) as published with a public VietQR library.
    published = (
        "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA5303704540612000058"
        "02VN62170813ung ho lu lut6304C15C"
    )
    assert decode(published)["amount"] == 120000
    assert crc16_ccitt_false(b"123456789") == 0x29B1  # the check value of CRC-16/CCITT-FALSE
    with pytest.raises(AssertionError, match="CRC"):
        decode(published[:-1] + "D")


@pytest.mark.parametrize("build", BUILDERS)
def test_the_service_fee_qr_pays_the_post_office_the_amount_for_this_item(build):
    payload = build({"bin": "970405", "account": "1500201234567"}, 26000, "EA123456785VN")
    assert decode(payload) == a_transfer("970405", "1500201234567", 26000, "EA123456785VN")


@pytest.mark.parametrize("build", BUILDERS)
def test_the_reference_is_kept_plain_and_short_enough_for_bank_apps(build):
    payload = build(
        {"bin": "970405", "account": "1500201234567"}, 50000, "Lệ phí EA123456785VN đợt 2 — hộ tịch"
    )
    purpose = decode(payload)["purpose"]
    assert purpose == "Le phi EA123456785VN dot"
    assert purpose.isascii() and len(purpose) <= 25


@pytest.mark.parametrize(
    "bank, amount",
    [
        (None, 26000),
        ({"bin": "", "account": "123"}, 26000),
        ({"bin": "97040", "account": "123"}, 26000),
        ({"bin": "970405", "account": None}, 26000),
        ({"bin": "970405", "account": "123"}, 0),
        ({"bin": "970405", "account": "123"}, 26000.5),
    ],
)
@pytest.mark.parametrize("build", BUILDERS)
def test_no_qr_without_an_account_or_an_amount(build, bank, amount):
    with pytest.raises(ValueError):
        build(bank, amount, "EA123456785VN")


@NEEDS_NODE
@pytest.mark.parametrize(
    "bank, amount, reference",
    [
        ({"bin": "970415", "account": "113366668888"}, 1, "RR000000001VN"),
        ({"bin": "970436", "account": "0011AB"}, 999999999999, "Phí trả kết quả — Đợt 1/2026"),
        ({"bin": "970405", "account": "1" * 19}, 45000, ""),
    ],
)
def test_the_phone_and_the_tracking_page_build_the_same_payload(bank, amount, reference):
    assert build_on_the_phone(bank, amount, reference) == build_on_the_server(bank, amount, reference)


def test_the_phones_fields_are_generated_from_the_server_definition_and_up_to_date():
    assert vietqr.GENERATED.read_text(encoding="utf-8") == vietqr.render_module(), (
        "run `python -m backend.domain.vietqr` (scripts/setup.sh does)"
    )
