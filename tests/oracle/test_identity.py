"""Identity dropout: a person the model never trained on is shown as one anonymous
token, which training teaches by hiding known people now and then."""

import numpy as np
import pytest

from augur.events.persona import KnowledgeWorkerPersona
from augur.events.vocab import ACTIONS
from augur.oracle.config import TrainConfig
from augur.oracle.data import ACTOR_COLUMN, chunks, collate, stream_arrays
from augur.oracle.features import ACTOR_BUCKETS, ANON_ACTOR, Featurizer, Vocab, _bucket, is_self


@pytest.fixture(scope="module")
def stranger():
    """Two days of persona 9, whose own events carry actor == stream == persona-9."""
    return KnowledgeWorkerPersona(9).generate(2)


def _actors(feat, events):
    return feat.events(events)[:, ACTOR_COLUMN]


def test_a_stranger_gets_the_anonymous_token_and_everyone_else_a_bucket(stranger):
    own = np.array([is_self(e) for e in stranger])
    assert own.any() and (~own).any()  # the person's events and the world's
    known = _actors(Featurizer(Vocab(ACTIONS, selves=("persona-9",))), stranger)
    unknown = _actors(Featurizer(Vocab(ACTIONS, selves=("persona-6",))), stranger)
    assert (unknown[own] == ANON_ACTOR).all()
    assert (known[own] == _bucket("persona-9", ACTOR_BUCKETS)).all()
    assert (unknown[~own] == known[~own]).all()  # colleagues, bots: their own buckets
    assert (known != ANON_ACTOR).all()


def test_without_selves_every_actor_keeps_its_bucket_and_the_table_its_size(stranger):
    plain = Vocab(ACTIONS)
    assert (_actors(Featurizer(plain), stranger) != ANON_ACTOR).all()
    assert plain.sizes()["actor"] == ACTOR_BUCKETS
    assert Vocab(ACTIONS, selves=()).sizes()["actor"] == ACTOR_BUCKETS + 1


def test_selves_survive_the_checkpoint_json_and_old_json_means_none():
    v = Vocab(ACTIONS, selves=("persona-42", "persona-43"))
    assert Vocab.from_json(v.to_json()) == v
    old = Vocab(ACTIONS).to_json()
    assert "selves" not in old and Vocab.from_json(old).selves is None


def test_collate_hides_only_the_chosen_chunks_own_events(stranger):
    feat = Featurizer(Vocab(ACTIONS, selves=("persona-9",)))
    arrays = [stream_arrays(stranger, feat, 128)]
    pieces = chunks(arrays, 32, None)[:2]
    plain, _ = collate(arrays, pieces)
    hidden, _ = collate(arrays, pieces, anon=np.array([True, False]))
    p, h = plain["events"].numpy(), hidden["events"].numpy()
    s, lo, hi = pieces[0]
    own = arrays[0].own[lo:hi]
    assert own.any()
    assert (h[0, :hi - lo, ACTOR_COLUMN][own] == ANON_ACTOR).all()
    assert (h[0, :hi - lo, ACTOR_COLUMN][~own] == p[0, :hi - lo, ACTOR_COLUMN][~own]).all()
    assert (h[1] == p[1]).all()  # not chosen: untouched
    other = [c for c in range(p.shape[-1]) if c != ACTOR_COLUMN]
    assert (h[..., other] == p[..., other]).all()


def test_the_share_must_lie_in_zero_to_one():
    with pytest.raises(ValueError, match=r"identity_dropout: expected a share in \[0, 1\), "
                                         r"got 1.0"):
        TrainConfig(identity_dropout=1.0)


def test_a_model_trained_with_it_knows_its_people_and_hides_strangers(
        tmp_path, tiny, tiny_data, stranger):
    from augur.oracle.checkpoint import load_checkpoint
    from augur.oracle.config import OracleConfig
    from augur.oracle.predictor import Oracle
    from augur.oracle.train import train

    out = tmp_path / "anon"
    train(tiny_data, out, tiny[1](identity_dropout=0.5), OracleConfig(**tiny[0]), progress=False)
    model, vocab, meta = load_checkpoint(out)
    assert vocab.selves == ("persona-6",)  # the person of tiny_data
    assert meta["train_config"]["identity_dropout"] == 0.5
    assert model.cfg.sizes["actor"] == ACTOR_BUCKETS + 1
    oracle = Oracle.load(out)
    window = stranger[-40:]
    assert (_actors(oracle.featurizer, window)[[is_self(e) for e in window]] == ANON_ACTOR).all()
    # The same window as the known person's: their trained bucket, another prediction.
    as_known = [e.model_copy(update={"stream": "persona-6",
                                     **({"actor": "persona-6"} if is_self(e) else {})})
                for e in window]
    assert (_actors(oracle.featurizer, as_known) != ANON_ACTOR).all()
    anon, known = oracle.predict(window), oracle.predict(as_known)
    assert anon.next_actions != known.next_actions
