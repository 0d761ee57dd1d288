"""Static catalogues: instance types and the public image catalogue."""
