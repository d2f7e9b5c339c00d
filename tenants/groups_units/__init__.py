"""A manager sets up their building at ButterflyMX from the portal: units, and who is in which access group.

``services`` holds the rules and the ButterflyMX calls; ``views``, ``forms`` and ``urls`` are the pages
(under the building's pages, manager only).
"""
