"""Arrivals and manager alerts: new access-log entries, door releases, webhook health and links turned
into notices (``portal.notifications.notify``) for the people who asked for them."""
