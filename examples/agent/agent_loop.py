#!/usr/bin/env python3
"""An agent loop around the lamina substrate (docs/substrate.md): a conversation feeds the substrate,
the substrate idles between turns, and whenever an idle trigger fires the agent's "LLM" is prompted
with the associated labels. The LLM is a replaceable callback; this example uses a template
responder so it runs without any model. Replace `template_llm` by a function that calls your model.

    PYTHONPATH=build/python /usr/bin/python3 examples/agent/agent_loop.py [--model examples/agent/small.toml]
        [--words PATH] [--max-words N] [--idle-ms MS] [--state FILE.h5]

Text is embedded by the mean of GloVe word vectors (the wink package installed by
scripts/fetch_data.sh); with --no-words items are random vectors seeded by the message.
"""
import argparse
import hashlib
import pathlib

import numpy as np

import lamina

HERE = pathlib.Path(__file__).resolve().parent

CONVERSATION = [
    ("Ada practised the cello for three hours today", ["ada", "cello"]),
    ("Ben won his chess match at the club", ["ben", "chess"]),
    ("Ada says the cello concerto is coming along", ["ada", "cello"]),
    ("Cleo went hiking in the mountains", ["cleo", "hiking"]),
    ("Ben is studying a new chess opening", ["ben", "chess"]),
    ("Ada has a cello recital next week", ["ada", "cello"]),
    ("Cleo bought new hiking boots", ["cleo", "hiking"]),
    ("Ben played chess online all evening", ["ben", "chess"]),
    ("Ada tuned her cello before rehearsal", ["ada", "cello"]),
    ("Cleo planned a long hiking trip", ["cleo", "hiking"]),
]


def template_llm(prompt: str, labels: list) -> str:
    """Stands in for a language model: turns a trigger into a message."""
    if len(labels) >= 2:
        return f"I was just thinking about {labels[0]} and {labels[1]} - any news there?"
    return f"Something reminded me of {labels[0]}."


def random_item(text, dims=100):
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
    v = np.random.default_rng(seed).standard_normal(dims)
    return v / np.linalg.norm(v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(HERE / "small.toml"))
    ap.add_argument("--state", default="", help="continue a saved substrate instead")
    ap.add_argument("--words", default="", help="word vectors (default: the wink GloVe vectors)")
    ap.add_argument("--max-words", type=int, default=50000)
    ap.add_argument("--no-words", action="store_true", help="random items instead of GloVe text embeddings")
    ap.add_argument("--idle-ms", type=float, default=60000.0, help="idle time between exchanges")
    ap.add_argument("--save", default="", help="save the substrate here at the end")
    a = ap.parse_args()

    s = lamina.Substrate.from_state(a.state) if a.state else lamina.Substrate(a.model)
    if not a.no_words:
        s.load_words(a.words, a.max_words)
    llm = template_llm  # the replaceable callback

    def on_trigger(event):
        prompt = (f"The memory associated {', '.join(event['labels'])} "
                  f"(strength {event['strength']:.2f}) at t = {event['time_ms'] / 1000:.1f} s. Say something.")
        print(f"  [trigger] {event['labels']} -> agent: {llm(prompt, event['labels'])}")

    s.set_trigger_callback(on_trigger)
    for turn, (text, labels) in enumerate(CONVERSATION, 1):
        print(f"exchange {turn}: user: {text}")
        item = random_item(text) if a.no_words else text
        s.observe(item, labels, 100.0)
        reply = llm(f"Reply to: {text}", labels)
        s.observe(random_item(reply) if a.no_words else reply, labels, 100.0)
        s.idle(a.idle_ms)
    print("associations of 'ada':", s.associations("ada", 3))
    st = s.stats()
    print(f"{st['triggers']} triggers in {st['time_ms'] / 1000:.0f} s of model time, {st['labels']} labels")
    if a.save:
        s.save(a.save)


if __name__ == "__main__":
    main()
