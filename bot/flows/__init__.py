"""One module per patient journey; `bot.dialog` routes each action to its flow.

A flow module offers `start(turn)` to begin, `prompt(turn)` to show its current
step again, and `handle(turn, action, text) -> bool` (False: not understood).
"""
