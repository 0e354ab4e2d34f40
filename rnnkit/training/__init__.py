"""Training: the engine (no file I/O, no UI), the evaluator, checkpoints and post-hoc fitting.
Knows no run folder: the worker connects it to one through callbacks."""
