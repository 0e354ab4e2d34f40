"""The Inside page's views, one file each; only the chosen one computes, and each opens with a two-line
explanation for students.

    gradients     ||dL/dh_t|| per step for several runs on the same input, and the logged probe per epoch
    gates         every gate and state per step x unit, the cell's equations, the mean memory gate, the
                  PCA path of h_t
    attention     the Transformer's attention weights: which earlier tokens each position reads
    attributions  integrated gradients: which tokens (or input days and features) moved the output
    embeddings    nearest neighbours and a PCA map of the learned vectors, before and after training
    horizon       the memory-horizon experiment: one click, then accuracy against T

A view is a module with `title()`, `NEEDS_MODEL` and `show(chosen, key)`; adding one is a file and a
line in `VIEWS`. Models come from `rnnkit.ui.models`' picker (your runs, the demos); a student sees only
their own runs. Everything a user typed is shown as text or escaped chart labels, never as markdown.
"""
from __future__ import annotations

from rnnkit.runs.store import RunStore
from rnnkit.ui.inside import attention, attributions, embeddings, gates, gradients, horizon
from rnnkit.ui.inside.common import Chosen
from rnnkit.ui.models import predictor_of

VIEWS = {"gradients": gradients, "gates": gates, "attention": attention, "attributions": attributions,
         "embeddings": embeddings, "horizon": horizon}  # in the order the page offers them


def view_title(view: str) -> str:
    return VIEWS[view].title()


def needs_model(view: str) -> bool:
    return VIEWS[view].NEEDS_MODEL


def show(view: str, path: str | None, stores: list[tuple[str, RunStore]], store: RunStore,
         key: str = "inside") -> None:
    """Draw one view: of the model at `path` where the view needs one (nothing more after a shown load
    error), widgets keyed `<key>_<view>_...`."""
    module = VIEWS[view]
    predictor = predictor_of(path) if module.NEEDS_MODEL else None
    if module.NEEDS_MODEL and predictor is None:
        return
    module.show(Chosen(path, predictor, stores, store), f"{key}_{view}")
