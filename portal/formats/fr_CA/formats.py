# French (Canada): "dim 29 nov, 14 h 21" (the Quebec style; "\\h" is a literal h, not the 12-hour hour).
DATE_FORMAT = "D j b Y"
DATETIME_FORMAT = "D j b Y, H\xa0\\h\xa0i"
SHORT_DATE_FORMAT = "j b Y"
SHORT_DATETIME_FORMAT = "D j b, H\xa0\\h\xa0i"
TIME_FORMAT = "H\xa0\\h\xa0i"
MONTH_DAY_FORMAT = "j b"
