"""The ButterflyMX public API v4, split by resource; shared helpers in errors/pagination/filters/auth."""
