"""Patients' documents (seed 003): the files and their store, checking what is uploaded,
the consent register, signed links opened after a second check, and the access log."""
