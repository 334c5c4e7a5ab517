"""The messenger face: patient journeys written once (`bot.dialog`, `bot.flows`) and
rendered for Telegram (`bot.telegram`), WhatsApp (`bot.whatsapp`) and the demo chat
(`bot.webchat`). Imports `core/` and `edge/` only; the root hands it its configuration."""
