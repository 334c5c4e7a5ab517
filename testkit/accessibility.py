"""axe-core run in a Playwright page: the serious and critical violations it finds.

axe-core is JavaScript; the PyPI package axe-playwright-python ships it (axe.min.js), so
`make test` needs nothing from npm. It is evaluated through the devtools protocol, which
the pages' Content-Security-Policy allows (an injected script tag it would refuse).
"""

from __future__ import annotations

from importlib.resources import files

from playwright.async_api import Page

AXE_SOURCE = (files("axe_playwright_python") / "axe.min.js").read_text()
BLOCKING = ("serious", "critical")
# WCAG 2.1 A and AA, and axe's best practices.
RUN = """() => axe.run(document, {runOnly: {type: 'tag', values:
    ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"""


async def serious_violations(page: Page) -> list[str]:
    """Each serious or critical violation as "rule: where" (its first five places)."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE_SOURCE)
    result = await page.evaluate(RUN)
    return [
        f"{v['id']}: " + ", ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]
