"""Shared code for the event-driven systems course notebooks."""
