"""The images a phone captures, made on the spot: photos, signatures, camera files.

- `jpeg_bytes`: a small plain-colour photo (cheap, a different one per seed);
- `noisy_jpeg`: random noise that JPEG cannot shrink (takes several chunks, no two alike);
- `camera_photo` / `calibrate_photo`: a 640x480 photo of about a chosen size (the benchmarks);
- `photo_file`: a camera-sized JPEG file the phone app must compress (the browser tests);
- `png_signature`: a thin line with some ink; `pad_signature`: given strokes on the phone's pad;
  `drawn_signature`: a hand-drawn-looking one;
- `blank_image`: one colour, no ink.
"""

from __future__ import annotations

import io
import os
import random

from PIL import Image, ImageDraw


def _encoded(image: Image.Image, kind: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind, **options)
    return buffer.getvalue()


def jpeg_bytes(seed: int = 0, size: tuple[int, int] = (64, 48)) -> bytes:
    return _encoded(Image.new("RGB", size, (seed * 37 % 256, seed * 91 % 256, 120)), "JPEG", quality=80)


def noisy_jpeg(
    rng: random.Random | None = None, size: tuple[int, int] = (160, 120), quality: int = 85
) -> bytes:
    """A photo of random noise (from `rng`, else the system's randomness): it does not compress."""
    noise = rng.randbytes(size[0] * size[1] * 3) if rng is not None else os.urandom(size[0] * size[1] * 3)
    return _encoded(Image.frombytes("RGB", size, noise), "JPEG", quality=quality)


PHOTO_SIZE, PHOTO_QUALITY = (640, 480), 80


def camera_photo(noise_share: float) -> bytes:
    """A 640x480 'photo': a gradient under random noise (JPEG cannot shrink noise)."""
    base = Image.linear_gradient("L").resize(PHOTO_SIZE).convert("RGB")
    noise = Image.frombytes("RGB", PHOTO_SIZE, os.urandom(PHOTO_SIZE[0] * PHOTO_SIZE[1] * 3))
    return _encoded(Image.blend(base, noise, noise_share), "JPEG", quality=PHOTO_QUALITY)


def calibrate_photo(target_bytes: int = 120_000) -> float:
    """The noise share that gives camera_photo JPEGs of about `target_bytes`."""
    low, high = 0.05, 1.0
    for _ in range(8):
        middle = (low + high) / 2
        size = sum(len(camera_photo(middle)) for _ in range(2)) / 2
        low, high = (middle, high) if size < target_bytes else (low, middle)
    return (low + high) / 2


def photo_file(directory, seed: int = 0, size=(2400, 1800), grain: int = 0) -> str:
    """A camera-sized JPEG file (bigger than the app keeps: it must be compressed on the phone).
    With `grain` (a noise sigma), sensor grain: even kept at 1600 px it is several upload chunks."""
    image = Image.new("RGB", size, (40 + seed * 30 % 200, 90, 160))
    if grain:
        image = Image.blend(image, Image.effect_noise(size, grain).convert("RGB"), 0.5)
    draw = ImageDraw.Draw(image)
    for n in range(0, size[0], 97):
        draw.line([(n, 0), (size[0] - n, size[1])], fill=(255, (n * 7 + seed * 50) % 256, 0), width=9)
    path = directory / f"photo-{seed}.jpg"
    image.save(path, "JPEG", quality=90)
    return str(path)


def png_signature(seed: int = 0) -> bytes:
    image = Image.new("L", (120, 40), 255)
    for x in range(10, 110):
        image.putpixel((x, 20 + (x * (seed + 1)) % 7), 0)
    return _encoded(image, "PNG")


def pad_signature(strokes) -> bytes:
    """A phone's signature pad at 2x (680x320, white), with dark strokes of 3 px: (x0, x1, y) each."""
    image = Image.new("RGB", (680, 320), (255, 255, 255))
    for x0, x1, y in strokes:
        for x in range(x0, x1):
            for dy in range(3):
                image.putpixel((x, y + dy), (11, 31, 77))
    return _encoded(image, "PNG")


def drawn_signature(seed: int, strokes: int = 8, size: tuple[int, int] = (400, 140)) -> bytes:
    """A hand-drawn-looking signature, drawn at 2x and scaled down (anti-aliased like a canvas)."""
    rng = random.Random(seed)
    w, h = size
    image = Image.new("L", (w * 2, h * 2), 255)
    draw = ImageDraw.Draw(image)
    for _ in range(strokes):
        x, y = rng.uniform(40, w * 2 - 40), rng.uniform(60, h * 2 - 60)
        points = [(x, y)]
        for _ in range(40):
            x = min(max(x + rng.uniform(-22, 22), 10), w * 2 - 10)
            y = min(max(y + rng.uniform(-16, 16), 10), h * 2 - 10)
            points.append((x, y))
        draw.line(points, fill=20, width=6, joint="curve")
    return _encoded(image.resize(size, Image.BILINEAR), "PNG")


def blank_image(mode: str = "L", colour=255, kind: str = "PNG", size: tuple[int, int] = (300, 100)) -> bytes:
    return _encoded(Image.new(mode, size, colour), kind)
