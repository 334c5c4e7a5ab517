"""The voice face (Twilio Voice): a phone menu that books, moves and cancels visits, leaves
prescription requests and callbacks for the desk, and queues callers for a person.

`routes.setup(app, config)` mounts the signed `/twilio/voice*` webhooks and the demo phone;
the root builds the flow (`ivr.flow.Ivr`) over the services it hands down.
"""
