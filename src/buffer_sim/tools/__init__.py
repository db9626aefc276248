"""Utilities that drive the library and the CLI: golden values, teachers' answer keys."""
