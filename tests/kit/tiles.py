"""A map tile server on another origin (MAP_TILE_URL in browser tests): every path answers a plain PNG."""

from __future__ import annotations

import io

from PIL import Image

from tests.kit.http import Quiet, Serving


def _tile() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (200, 220, 200)).save(buffer, "PNG")
    return buffer.getvalue()


class TileServer(Serving):
    """Serves a plain PNG tile for every path; `served` lists the paths asked for."""

    def __init__(self):
        tile, served = _tile(), []

        class Handler(Quiet):
            def do_GET(self):
                served.append(self.path)
                self.answer(200, tile, "image/png")

        self.served = served
        super().__init__(Handler)
