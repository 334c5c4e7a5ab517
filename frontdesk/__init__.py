"""The web face and the command line: the one place where the engine is wired together.

Importing this package (or any module in it) has no side effects: settings,
engines and services are built only by `frontdesk.app.create_app` and the CLI.
"""
