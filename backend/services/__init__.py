"""Domain operations that touch the database; the API, sync and CLI all call these."""
