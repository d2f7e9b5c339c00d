"""ButterflyMX's published API contract, carried by the project, and the sandbox's enforcement of it.

- ``butterflymx-openapi.json``: the document, byte-identical to the published one (``README.md``);
- ``exceptions.py``: the one list of places where the document contradicts its own examples;
- ``validation.py``: every ``/v4`` request checked against the document (``check``);
- ``stats.py`` and ``middleware.py``: per-process counts of conformant and refused requests, for the test
  suite's ``spec_conformant_requests`` figure (``GET /_sandbox/contract/stats``).
"""
