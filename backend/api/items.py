"""Items: placeholder, filled in below."""

from flask_smorest import Blueprint

blp = Blueprint("items", __name__, url_prefix="/api/items", description="Items")
