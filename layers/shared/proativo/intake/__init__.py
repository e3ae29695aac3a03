"""How events come in and are applied: webhook deliveries verified and normalised, recorded once, relayed, folded into
the customer's state (and SES feedback turned into events).
"""
