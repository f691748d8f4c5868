"""Versioned prompt templates: loading, rendering and the version hash."""
