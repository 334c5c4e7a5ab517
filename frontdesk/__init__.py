"""The composition root: the one place where the engine and the faces are wired together
(settings, services, the app, the worker, the command line), and the web faces the
root serves itself (`public/`, `staff/`, `fhir/`).

Importing this package (or any module in it) has no side effects: settings,
engines and services are built only by `frontdesk.app.create_app` and the CLI.
No face imports this package; it hands each one its configuration and services.
"""
