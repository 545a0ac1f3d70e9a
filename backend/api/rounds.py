"""Rounds: placeholder, filled in below."""

from flask_smorest import Blueprint

blp = Blueprint("rounds", __name__, url_prefix="/api/rounds", description="Rounds")
