"""SQLite storage through sqlite-utils: migrations, materialised records, change log, search."""
