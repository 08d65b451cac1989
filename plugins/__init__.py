"""Plugin interface (pluggy hook specifications) and built-in plugins."""
