"""Live updates: what happened, for the open pages of the people it concerns.

Anything that changes what a page shows (a call ringing, a door released, new log entries) is published
here as a :class:`~portal.live.models.LiveEvent` addressed to audiences (:mod:`portal.live.bus`); each web
process reads the new events and pushes them to the open pages whose person belongs to an audience.
This package knows nothing of buildings or people: callers name the audiences, and the stream's view
works out which audiences a person belongs to from their grants (the one scope rule).
"""
