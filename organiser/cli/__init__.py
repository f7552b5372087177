"""The `organiser` command line: the same services as the app, headless."""
