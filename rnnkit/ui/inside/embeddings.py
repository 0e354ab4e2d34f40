"""Inside view *Embeddings*: nearest neighbours and a PCA map of the learned vectors, before and after
training."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from rnnkit.analysis.embeddings import MAP_TOKENS, NEIGHBOUR_TOKENS, Embedding, embedding_start, is_special
from rnnkit.ui import charts, safe
from rnnkit.ui.i18n import _
from rnnkit.ui.inside.common import Chosen, explain

NEEDS_MODEL = True


def title() -> str:
    return _("Embeddings")


def show(chosen: Chosen, key: str) -> None:
    path, predictor = chosen.path, chosen.predictor
    if predictor.spec.input_kind != "tokens":
        st.info(_("This task reads numbers, not tokens: it has no embedding."))
        return
    explain(_("each word or character is a vector; the map shows them on their two main directions (PCA), "
              "the table the closest ones by cosine similarity, before and after training."),
            _("after training, words that play the same role (e.g. 'great' and 'excellent') move together; "
              "before training the neighbours are random."))
    tokens = list(predictor.artifacts["vocabulary"])
    after = Embedding.of_model(predictor.model, tokens)
    # the vectors it started from (stored beside best.pt, else rebuilt from the run's seed, config and sizes)
    start = embedding_start(Path(path).parent, {"config": predictor.config.to_dict(), "spec": predictor.spec.to_dict()})
    before = Embedding(tokens, start) if start is not None else None
    left, right = st.columns([2, 1])
    first = after.most_moved(before) if before is not None else _first_word(after)
    query = left.text_input(_("Look up a word or character (first: the one training moved most)"), value=first,
                            max_chars=50, key=f"{key}_query_{Path(path).parent.name}")
    most = min(1000, len(tokens))
    count = most
    if most > 20:  # a slider needs a range: tiny vocabularies are drawn whole
        count = right.slider(_("tokens on the map"), 20, most, min(MAP_TOKENS, most), key=f"{key}_count")
    try:
        found = after.neighbours(query, 10, among=NEIGHBOUR_TOKENS)
    except ValueError as error:
        safe.error(error)
        found = []
    words = sum(not is_special(token) for token in tokens)
    notes = [_("Labelled on the maps: the word looked up, its neighbours (red) and the tokens furthest out; "
               "hover over a grey point for its token.")]
    if words > NEIGHBOUR_TOKENS:
        notes.insert(0, _("Neighbours among the {count:,} most frequent tokens: rarer ones were seen too seldom in "
                          "training to move far from their random start.").format(count=NEIGHBOUR_TOKENS))
    st.caption(" ".join(notes))
    columns = st.columns(2)
    for column, (title, embedding) in zip(columns, ((_("before training"), before), (_("after training"), after))):
        with column:
            st.markdown(f"**{title}**")
            if embedding is None:
                st.caption(_("This run started from word2vec vectors that were not stored with it."))
                continue
            if found:
                rows = embedding.neighbours(query, 10, among=NEIGHBOUR_TOKENS)
                st.dataframe({_("neighbour"): [token for token, _score in rows],
                              _("cosine"): [round(score, 3) for _token, score in rows]}, hide_index=True,
                             key=f"{key}_table_{title}")
            word = after.tokens[after.index_of(query)] if found else ""  # as the vocabulary spells it
            highlight = [word, *(token for token, _score in found)] if found else []  # labelled in this order
            shown, points = embedding.map(count, include=tuple(highlight))  # the neighbours drawn too
            st.plotly_chart(charts.embedding_map_figure(shown, points, title, highlight), key=f"{key}_map_{title}")


def _first_word(embedding: Embedding) -> str:
    """A first word to look up where the start is unknown: past the specials and the most frequent tokens."""
    return next((token for token in embedding.tokens[20:] if not is_special(token)), "")
