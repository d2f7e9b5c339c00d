from tests.dashboard.conftest import crimson  # noqa: F401  (Crimson Tower connected to the sandbox)
