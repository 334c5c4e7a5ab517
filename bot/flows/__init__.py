"""One module per patient journey; `bot.dialog` routes each action to its flow.

A flow module offers `start(turn)` to begin, `prompt(turn)` to show its current
step again, and `handle(turn, action, text) -> bool` (False: not understood). A flow
with steps declares them at its end as a table, `STEPS`: step name -> `bot.turn.Step`
(its question and how its answer is read), as the phone menu's journeys do; `prompt`
and `handle` look the chat's step up there. Step names are saved in the chat's state,
so a chat mid-journey goes on after an upgrade: keep them.
"""
