"""Sequences (flows): declarative journeys a customer enters on an event and leaves on another."""
