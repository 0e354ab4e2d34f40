"""Data: the task registry (one module per task, with its presets), where data comes from, vocabularies,
datasets and the input a model reads. Knows no model."""
