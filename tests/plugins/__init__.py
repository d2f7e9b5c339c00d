"""Pytest plugins shared by the suite (enabled from tests/conftest.py)."""
