"""The only code that speaks to ButterflyMX: OAuth (requests-oauthlib), the v4 API client, its errors.

Nothing here touches the database: services pass tokens in and store what comes back.
"""

from .client import BmxClient
from .errors import BmxError

__all__ = ["BmxClient", "BmxError"]
