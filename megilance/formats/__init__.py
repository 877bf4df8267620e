"""Date and time formats per language (settings.FORMAT_MODULE_PATH). Templates use the names
(`|date:"DATE_FORMAT"`); English keeps the product's own day-month-year order."""
