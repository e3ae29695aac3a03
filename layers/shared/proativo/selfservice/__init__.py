"""The customer's own page: where the order is, what we did about it, the answers for its state, help."""
