"""The one way a face renders HTML: a jinja2 environment over a package's templates,
every interpolated value escaped, an undefined name an error rather than an empty string."""

from __future__ import annotations

import jinja2

from edge.i18n import Texts, translations


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


def localized(package: str, folder: str, language: str) -> jinja2.Environment:
    """`environment` with `{{ _("...") }}` translated into `language` (babel's catalogs)
    and `fmt`, that language's `Texts` (dates, prices)."""
    env = environment(package, folder, extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(  # type: ignore[attr-defined]
        translations(language), newstyle=True
    )
    env.globals["fmt"] = Texts(language)
    return env
