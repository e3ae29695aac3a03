"""The customer: their profile and purchase facts, consent by its own time, export and erasure."""
