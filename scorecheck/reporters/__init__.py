"""Consumers of runner events: each turns the same event stream into one kind of output."""
