"""Custom components package (lets tests import the integration before the plugin's copy)."""
