"""The desktop app's Qt layer: main window, views, dialogs, models over the services."""
