"""End-to-end tests against a real hass process, and the demo home they use."""
