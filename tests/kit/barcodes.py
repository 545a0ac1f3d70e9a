"""Read barcodes back from a picture with an independent decoder (zxing-cpp, tests/kit/read_qr.mjs)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import barcode
import pytest
import qrcode
from PIL import Image

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


def qr_picture(text: str) -> Image.Image:
    return qrcode.make(text, border=4, box_size=8).convert("L")


def code128_picture(text: str, module_px: int = 3, height: int = 120) -> Image.Image:
    """A Code 128 of `text` (an S10 item code as labels print it): python-barcode's modules, each
    drawn `module_px` pixels wide (exact bars), with a quiet zone of 10 modules."""
    modules = "0" * 10 + barcode.Code128(text).build()[0] + "0" * 10
    row = bytes(0 if bit == "1" else 255 for bit in modules for _ in range(module_px))
    return Image.frombytes("L", (len(row), height), row * height)


def camera_video(path: Path, picture: Image.Image) -> Path:
    """A 640×480 .y4m video (4:2:0) of `picture` centred on white, for --use-file-for-fake-video-capture."""
    width, height = picture.size
    scale = min(1, 440 / width) if width == height else 1  # a QR code at most 440 px wide
    size = (round(width * scale), round(height * scale))
    frame = Image.new("L", (640, 480), 255)
    frame.paste(picture.resize(size, Image.NEAREST), ((640 - size[0]) // 2, (480 - size[1]) // 2))
    y = frame.tobytes()
    chroma = bytes([128]) * (320 * 240)
    with path.open("wb") as video:
        video.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(10):
            video.write(b"FRAME\n" + y + chroma + chroma)
    return path
