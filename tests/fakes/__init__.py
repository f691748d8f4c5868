"""Test doubles that speak real protocols (HTTP), so real clients are exercised."""
