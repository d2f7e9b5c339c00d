# Spanish: "dom 29 nov, 14:21" (Django's catalog gives the weekday and month names, lower case as in Spanish).
DATE_FORMAT = "D j b Y"
DATETIME_FORMAT = "D j b Y, H:i"
SHORT_DATE_FORMAT = "j b Y"
SHORT_DATETIME_FORMAT = "D j b, H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j b"
