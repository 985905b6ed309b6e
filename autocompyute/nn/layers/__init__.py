"""Neural-network layers (modules); import them from `autocompyute.nn`."""
