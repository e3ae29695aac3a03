"""Cases the store's team works: one model opened by every source (a low survey score, the order page's "still need
help?", a parcel's trouble that outlived its wait, a claim that needs a person, a public complaint, the store's own
systems), each with a protocol the customer can follow, an owner, a status, a history and a deadline per kind, and
a second instance (the store's ouvidoria) past it.

Every change is an event the engine applies in the customer's transaction (`fold_cases`): the case lives in the
customer's partition (the engine reads it with the rest, the order page shows it), a summary of it in the store's
cases partition (the team's inbox), both written together; what the customer is told comes out as a `CaseUpdated`
event the flows send."""
