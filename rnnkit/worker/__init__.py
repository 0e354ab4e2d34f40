"""The worker: one run folder executed in its own process, and the callbacks that connect the training
engine to that folder."""
