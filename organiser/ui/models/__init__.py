"""Qt models with named roles over the services, updated incrementally from bus events."""
