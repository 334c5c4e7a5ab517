"""The one way a face renders HTML: a jinja2 environment over a package's templates,
every interpolated value escaped, an undefined name an error rather than an empty string."""

from __future__ import annotations

import jinja2


def environment(package: str, folder: str = "templates", **options: object) -> jinja2.Environment:
    """Templates in `folder` inside `package`; `options` add to jinja2's (extensions...)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader(package, folder),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        **options,  # type: ignore[arg-type]
    )
