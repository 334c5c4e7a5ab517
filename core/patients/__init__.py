"""Patients: cards and contacts, who a person is (PESEL, names, birth dates), matching
a partner's patient to a card, and linking a messenger chat to a card with a code.

The lowest subdomain: it imports only the shared ground of `core/`."""
