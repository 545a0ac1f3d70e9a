"""Read barcodes back from a picture with an independent decoder (zxing-cpp, tests/kit/read_qr.mjs)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

READ_QR = Path(__file__).resolve().parent / "read_qr.mjs"

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="the barcode reader runs on Node")


def read_codes(png: Path, formats: tuple[str, ...] = ("QRCode",)) -> list[dict]:
    """Every code zxing finds in the PNG, as {"format": …, "text": …}."""
    done = subprocess.run(
        ["node", str(READ_QR), str(png), ",".join(formats)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def read_qr(png: Path) -> list[str]:
    return [code["text"] for code in read_codes(png)]
