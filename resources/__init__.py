"""Bundled resources: icons, stylesheets and example workflows (read with importlib.resources)."""
