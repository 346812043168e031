"""Utilities shared by the package and its tools."""
