"""Small helpers every layer may use: atomic files, JSON lines, metrics, translations, settings.

Nothing here imports torch, streamlit or another rnnkit layer."""
