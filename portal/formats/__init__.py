"""The portal's date and time formats per language (``FORMAT_MODULE_PATH``), on top of Django's own.

Templates and code name a format (``|date:"SHORT_DATETIME_FORMAT"``, ``formats.date_format(value,
"TIME_FORMAT")``), never spell one: the words (weekdays, months) and their order then follow the
language. Each value is shown in the building's zone (``timezone.localtime(value, building.zone)``)
before it is formatted. What a format is for:

- ``SHORT_DATETIME_FORMAT``: a moment this week or month (log rows, pass validity): "Sun 29 Nov, 14:21";
- ``DATETIME_FORMAT``: a moment with its year: "Sun 29 Nov 2026, 14:21";
- ``DATE_FORMAT``/``SHORT_DATE_FORMAT``: a day, with/without the weekday; ``TIME_FORMAT``: a time of day;
- ``MONTH_DAY_FORMAT``: "29 Nov". Anything a language does not set comes from Django's locale.
"""
