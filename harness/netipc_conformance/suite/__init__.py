"""The conformance suite: case registry, outcomes, evidence, the pytest plugin."""
