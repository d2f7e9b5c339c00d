# English as the portal has always shown it: day before month, 24-hour clock (see portal/formats).
DATE_FORMAT = "D j M Y"
DATETIME_FORMAT = "D j M Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "D j M, H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j M"
