"""What `kb build` precomputes for the engine's start is exactly what the engine would compute itself."""
from knowledge import startup
from knowledge.engine import Engine


def test_the_stored_startup_data_equals_what_a_start_would_compute(engine, kb_settings):
    stored = startup.load(kb_settings.kb_path)
    assert stored is not None
    fresh = Engine(engine.kb, engine.segmenter, engine.ranker.synonyms, engine.danger,
                   (engine.in_scope, engine.offtopic, engine.policy_intent), engine.messages, engine.reader,
                   engine.intents)  # no precomputed data: computed at start as before
    assert engine.ranker._compact == fresh.ranker._compact and engine.ranker._mass == fresh.ranker._mass
    for name in ("entry_sense", "entry_harms", "entry_topic_harms", "entry_wording"):
        assert getattr(engine.selector, name) == getattr(fresh.selector, name), name


def test_data_built_for_other_content_is_not_used(engine):
    data = startup.compute(engine.ranker, engine.selector)
    assert startup.ranker_part(data, len(engine.kb.docs) + 1) is None
    assert startup.selector_part(data, [*engine.kb.faq, "new-entry"]) is None
    assert startup.selector_part(None, engine.kb.faq) is None


def test_data_from_other_code_is_not_used(kb_settings, monkeypatch):
    monkeypatch.setattr(startup, "code_version", lambda: "another")
    assert startup.load(kb_settings.kb_path) is None
