"""A /metrics scrape read with prometheus_client's own text parser (what a Prometheus server reads)."""

from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape, by name and labels; the parser refuses a malformed exposition."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels: str) -> float | None:
    """One sample's value (None when the scrape has no such sample)."""
    return samples(text).get((name, frozenset(labels.items())))


def total(text: str, name: str) -> float:
    """The sum of a metric's samples, whatever their labels (PromQL's ``sum(name)``)."""
    return sum(found for (sample, _), found in samples(text).items() if sample == name)
