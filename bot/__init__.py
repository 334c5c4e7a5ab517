"""The messenger face: patient journeys written once (`bot.dialog`, `bot.flows`) and
rendered for Telegram (`bot.telegram`) and WhatsApp (`bot.whatsapp`)."""
