"""Hashed token n-grams (`ModelConfig.ngrams`): ids, padding, and the option's bounds."""
import pytest
import torch

from rnnkit.config.run import NGRAM_BUCKETS, ModelConfig
from rnnkit.config.spec import TaskSpec
from rnnkit.model.heads import NgramEmbedding, build_model

SPEC = TaskSpec(job="classify", input_kind="tokens", input_size=30, output_size=3, max_steps=50,
                selection_metric="accuracy", class_names=("a", "b", "c"))


def test_ngram_ids_depend_on_the_tokens_before_and_not_on_padding():
    ngrams = NgramEmbedding(3, 4)
    short = torch.tensor([[5, 6, 7, 5, 6, 0, 0]])  # "abcab" padded
    bigrams, trigrams = ngrams.ids(short)
    assert bigrams[0, 5:].tolist() == [0, 0] and trigrams[0, 5:].tolist() == [0, 0]  # padding: no n-gram
    assert bigrams[0, 1] == bigrams[0, 4]  # "ab" twice: one bucket
    assert bigrams[0, 0] != bigrams[0, 3]  # "^a" (the start) is not "ca"
    assert trigrams[0, 1] != trigrams[0, 4]  # "^ab" is not "cab"
    assert len({*bigrams[0, :5].tolist(), *trigrams[0, :5].tolist()}) >= 7  # bigrams and trigrams differ
    longer = torch.nn.functional.pad(short, (0, 20))
    assert [ids[:, :7].tolist() for ids in ngrams.ids(longer)] == [bigrams.tolist(), trigrams.tolist()]
    assert all(0 <= int(ids.min()) and int(ids.max()) < NGRAM_BUCKETS for ids in (bigrams, trigrams))


@pytest.mark.parametrize("arch,bidirectional", [("lstm", True), ("gru", False)])
def test_an_ngram_model_gives_the_same_prediction_however_it_is_padded(arch, bidirectional):
    torch.manual_seed(0)
    model = build_model(ModelConfig(arch=arch, ngrams=3, bidirectional=bidirectional, hidden_size=8,
                                    embedding_size=6, pooling="mean"), SPEC).eval()
    assert model.input_layer is model.ngrams
    predictions = []
    for padded in (6, 40):
        inputs = torch.zeros(2, padded, dtype=torch.long)
        inputs[0, :5] = torch.tensor([3, 9, 4, 9, 2])
        inputs[1, :2] = torch.tensor([7, 7])
        with torch.no_grad():
            predictions.append(model(inputs, torch.tensor([5, 2])))
    assert torch.allclose(predictions[0], predictions[1], atol=1e-6)


def test_ngrams_change_the_embedding_and_train():
    torch.manual_seed(0)
    plain = build_model(ModelConfig(embedding_size=6, hidden_size=8), SPEC)
    assert plain.ngrams is None and plain.input_layer is plain.encoder
    model = build_model(ModelConfig(embedding_size=6, hidden_size=8, ngrams=2), SPEC)
    inputs = torch.tensor([[3, 4, 5]])
    assert not torch.equal(model.embed(inputs), model.encoder(inputs))
    model(inputs, torch.tensor([3])).sum().backward()
    assert model.ngrams.table.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("bad", [0, 4, "3"])
def test_ngrams_outside_one_to_three_are_refused(bad):
    with pytest.raises(ValueError, match="ngrams"):
        ModelConfig(ngrams=bad)
