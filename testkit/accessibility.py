"""axe-core run in a Playwright page: the serious and critical violations it finds.

axe-core is JavaScript from npm (`make axe` installs it into node_modules/); AXE_CORE_JS
names another copy. Without it the check is skipped, except in CI where it fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.async_api import Page

ROOT = Path(__file__).resolve().parents[1]
AXE_JS = Path(os.environ.get("AXE_CORE_JS", ROOT / "node_modules" / "axe-core" / "axe.min.js"))
AXE_FOUND = AXE_JS.is_file()
SERIOUS = """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
  .filter(v => v.impact === "serious" || v.impact === "critical")
  .map(v => v.id + ": " + v.nodes.map(n => n.target.join(" ")).join(", "))"""


async def serious_violations(page: Page) -> list[str]:
    """Each serious or critical violation as "rule: where"; the page's context must
    bypass its Content-Security-Policy (axe is injected inline)."""
    if not AXE_FOUND:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run axe-core: no {AXE_JS} (`make axe`)")
        pytest.skip(f"no {AXE_JS}: `make axe` installs axe-core")
    await page.add_script_tag(path=str(AXE_JS))
    found: list[str] = await page.evaluate(SERIOUS)
    return found
