"""The WSGI module leaves what it loaded out of the garbage collector's full passes."""

from __future__ import annotations

import gc
import importlib


def test_importing_the_wsgi_application_freezes_what_is_loaded():
    import portal.wsgi

    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    importlib.reload(portal.wsgi)  # what gunicorn's worker does when it imports the module
    try:
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
