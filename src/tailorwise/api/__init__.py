"""The HTTP API (``tailorwise serve``): FastAPI over the service layer. Nothing below this
package knows of HTTP."""

from tailorwise.api.app import create_app
from tailorwise.api.settings import ServeSettings

__all__ = ["ServeSettings", "create_app"]
