"""The settings checked at start (frontdesk/settings.py): the phone menu's language per
dialled number."""

from __future__ import annotations

import pytest

from frontdesk.settings import ConfigError, load_settings


def test_the_menu_language_per_dialled_number_is_checked_at_start() -> None:
    settings = load_settings(ivr_languages={"+48 22 299 77 01": "en"})
    assert settings.ivr_languages == {"+48222997701": "en"}
    with pytest.raises(ConfigError, match="IVR_LANGUAGES"):
        load_settings(ivr_languages={"+48222997701": "de"})
    with pytest.raises(ConfigError, match="IVR_LANGUAGES"):
        load_settings(ivr_languages={"reception": "pl"})
