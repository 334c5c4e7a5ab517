"""The FHIR R4 scheduling API under `/fhir`: slots searched, appointments found, held,
booked and cancelled (IHE ITI Scheduling), for a partner's system, through the same core
operations as the chat's (core/partners/direct.py). Only the translation lives here:
FHIR in (`read.py`), FHIR out (`render.py`, `capability.py`), errors as OperationOutcome
(`outcome.py`), the partner's token (`auth.py`), the handlers (`routes.py`)."""
