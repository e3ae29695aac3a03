"""Parcel tracking: every shipped parcel gets a next-check time on the due index; the tracking schedule fans due
parcels out to the tracking queue and the worker asks the parcel's carrier, assesses what changed and announces it as
canonical events on the events queue; claims follow trouble a carrier can be asked about.

    model       the words: Carrier, ClaimChannel, CarrierPlugin, ParcelRef (a leaf)
    status      the one status model every carrier maps to; limits: how hard a carrier may be pressed
    carriers    the carrier registry (one line per plugin) and a store's adapters; correios: the first plugin
    registry    parcels under watch (DynamoDB)
    detection   what a parcel's scans and the clock mean (pure); calendar, policy: its business days and thresholds
    tracker     check, assess, announce, save
    claims      claims against carriers (rules in claims.yaml); scorecard: per-carrier counters and alerts
    push        carriers that push their scans to us
"""
