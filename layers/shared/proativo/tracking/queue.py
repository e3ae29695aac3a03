"""The tracking queue's messages: parcels to poll (from the tracking schedule), a carrier's pushed scans (from its
webhook, through the relay), or a store's claims with something to do (from the schedule). Light: the tracker
function reads a message before it builds the tracker."""

import json

from proativo.tracking.model import ClaimsDue, ParcelBatch
from proativo.tracking.push import CarrierPushMessage

type TrackingMessage = ParcelBatch | CarrierPushMessage | ClaimsDue


def read_message(body: str) -> TrackingMessage:
    """A tracking queue message, by the one key each shape has: claims due, a carrier's push, or parcels to poll (a
    lone parcel, the earliest shape, is a batch of one)."""
    data = json.loads(body)
    if isinstance(data, dict) and "claims" in data:
        return ClaimsDue.model_validate(data["claims"])
    if isinstance(data, dict) and "push" in data:
        return CarrierPushMessage.model_validate(data)
    return ParcelBatch.from_message(body)
