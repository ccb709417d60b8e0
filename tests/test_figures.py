"""The figure extractor: what counts as a figure, spans, changes, and no exception on any string."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from winrewrite.figures import extract_changes, extract_figures, fixed_scale, invented_figures, missing_figures, same_figure


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("precision 74->91 at same recall", [("74", 74.0), ("91", 91.0)]),
        ("cut cost by $4,800/month", [("$4,800", 4800.0)]),
        ("saved ~$4.8k/mo", [("$4.8k", 4800.0)]),
        ("$1.2M in safety stock", [("$1.2M", 1.2e6)]),
        ("p99 340ms -> 62ms", [("340ms", 340.0), ("62ms", 62.0)]),
        ("5x traffic spike", [("5x", 5.0)]),
        ("MAPE 23% to 11%", [("23%", 23.0), ("11%", 11.0)]),
        ("2K to 18K examples", [("2K", 2000.0), ("18K", 18000.0)]),
        ("helpfulness 3.2 -> 4.1/5.0", [("3.2", 3.2), ("4.1", 4.1), ("5.0", 5.0)]),
        ("8 A100 GPUs, NDCG@10, F1, Q3, INT8, k8s", [("8", 8.0)]),  # digits glued to names are not figures
        ("INFRA-412: spot for batch, closes ML-2198; GPT-4 distilled, top-5 up 3%", [("5", 5.0), ("3%", 3.0)]),
        ("see https://wiki.example.com/postmortems/2024-q2-lag, fixed the 45 min lag", [("45 min", 45.0)]),  # a link's numbers
        ("sub-200ms latency", [("200ms", 200.0)]),
        ("gross margin +4.2pp", [("4.2pp", 4.2)]),
        # a list's numbering is no figure; a count in brackets or a figure closing a clause still is
        ("two things: (1) ran the loop for 2 roles. (2) switched it", [("2", 2.0)]),
        ("1. shipped it\n2) fixed 3 bugs", [("3", 3.0)]),
        ("regressions (2) last week; 3x (2) faster; accuracy 54. Built it", [("2", 2), ("3x", 3), ("2", 2), ("54", 54)]),
    ],
)
def test_extracts_figures_with_values(text: str, expected: list[tuple[str, float]]) -> None:
    figures = extract_figures(text)
    assert [(f.text, f.value) for f in figures] == expected
    assert all(text[f.start : f.end] == f.text for f in figures)


def test_formats_of_the_same_figure_match() -> None:
    a, b = extract_figures("4.8k")[0], extract_figures("$4,800")[0]
    assert same_figure(a, b)
    assert same_figure(extract_figures("55m")[0], extract_figures("55 minutes")[0])
    assert not same_figure(extract_figures("45")[0], extract_figures("46")[0])
    # a magnitude is part of the figure: '$3k' is not '$3', '18K' not '18' (only a bare 'm' may be minutes)
    for scaled, bare in [("$3k", "$3"), ("18K", "18"), ("$3.2M", "3.2"), ("1.1 million", "1.1")]:
        assert not same_figure(extract_figures(scaled)[0], extract_figures(bare)[0])
    assert same_figure(extract_figures("1.1 million")[0], extract_figures("1.1M")[0])
    # the magnitude itself is exact whatever the number ('1.1M' is 1.1 * 1e6 in floating point)
    scales = [fixed_scale(extract_figures(t)[0]) for t in ("$1.1M", "2.7K", "18.4k", "1.3B", "55m", "45")]
    assert scales == [1e6, 1e3, 1e3, 1e9, None, None]


def test_changes() -> None:
    text = "training 18 hours -> 2.5 hours; MAPE from 23% to 11%"
    assert [(c.before.text, c.after.text) for c in extract_changes(text)] == [("18 hours", "2.5 hours"), ("23%", "11%")]
    rate = "false accepts went from like 2.1 per hour to 0.4 per hour"
    assert [(c.before.text, c.after.text) for c in extract_changes(rate)] == [("2.1", "0.4")]
    assert extract_changes("2 apples to 3 pears") == []
    now = "fixed the 45 min lag in the streaming pipeline, now under 2 min; had 12 incidents, now 3 teams use it"
    assert [(c.before.text, c.after.text) for c in extract_changes(now)] == [("45 min", "2 min")]  # same unit only
    approx = "manual reviews went from ~4,000 to ~1,500 cases a week, cost ~$58k -> ~$21k"
    assert [(c.before.text, c.after.text) for c in extract_changes(approx)] == [("4,000", "1,500"), ("$58k", "$21k")]



def test_changes_written_new_value_first() -> None:
    """'300 stores (was 40)' and '18K, up from 2K' are changes from the second figure to the first."""
    pairs = lambda t: [(c.before.text, c.after.text) for c in extract_changes(t)]  # noqa: E731
    assert pairs("covers 300 stores (was 40)") == [("40", "300")]
    assert pairs("labels 18K, up from 2K; p99 62ms (was ~340ms); churn 3.1%, down from 3.4%") == [
        ("2K", "18K"), ("340ms", "62ms"), ("3.4%", "3.1%")
    ]
    assert pairs("helpfulness 4.1/5.0 (was 3.2)") == []  # '/5.0' is the scale, not the new value
    assert pairs("trained 5 models from 40 teams") == []


def test_a_change_written_new_value_first_is_kept_whole() -> None:
    from winrewrite.guard import check

    notes = "the forecasting model now covers 300 stores (was 40), error about the same"
    wrong = "Designed the forecasting model for the store staffing system, covering 300 stores with a fixed error rate of 40%."
    assert any("splits the change from 40 to 300" in p for p in check(notes, wrong))
    assert check("new claim form model: 5 days (was 6 weeks)", "Shipped claim-form templates, letting analysts stand up new "
                 "models in 5 days instead of 6 weeks.") == []


def test_invented_and_missing() -> None:
    notes = "p99 340ms->62ms w/ int8"
    assert invented_figures(notes, "Cut p99 latency from 340ms to 62ms with INT8 on 8 GPUs.") == ["8 GPUs"]
    assert invented_figures(notes, "Cut p95 latency to 62ms.") == ["95"]
    assert [f.text for f in missing_figures(extract_figures(notes), "Cut latency to 62ms.")] == ["340ms"]


@settings(max_examples=1000, deadline=None)
@given(st.text())
def test_never_raises_on_any_string(text: str) -> None:
    figures = extract_figures(text)
    assert all(text[f.start : f.end] == f.text for f in figures)
    extract_changes(text)
    assert invented_figures(text, text) == []
    assert missing_figures(figures, text) == []


def test_a_number_without_its_leading_zero_is_read_whole() -> None:
    assert [(f.text, f.value) for f in extract_figures("ner f1 .81->.87")] == [(".81", 0.81), (".87", 0.87)]
    assert invented_figures("ner f1 .81->.87", "Raised NER F1 from 0.81 to 0.87.") == []
    assert [f.text for f in extract_figures("gaps...5 things, 1.5 days")] == ["5", "1.5 days"]  # an ellipsis is no point


def test_a_bare_m_after_a_change_from_a_time_is_minutes() -> None:
    notes = "runtime 3h→25m, ARR $3m -> $25m"
    assert [(f.text, f.value, f.unit) for f in extract_figures(notes)] == [
        ("3h", 3.0, "h"),
        ("25m", 25.0, "min"),
        ("$3m", 3e6, "$"),
        ("$25m", 25e6, "$"),
    ]
    assert [f.value for f in extract_figures("grew to 25m users")] == [25e6]  # alone, 'm' stays millions
    assert invented_figures("runtime 3h→25m", "Cut runtime from 3 hours to 25 million.") == ["25 million"]


def test_a_duration_in_hours_and_minutes_keeps_its_minutes() -> None:
    assert [(f.text, f.value, f.unit) for f in extract_figures("nightly ETL 6h -> 1h40m")] == [
        ("6h", 6.0, "h"),
        ("1h", 1.0, "h"),
        ("40m", 40.0, "min"),
    ]
    assert [(f.text, f.value, f.unit) for f in extract_figures("outage (2h 40m)")][1] == ("40m", 40.0, "min")  # not 40 million


def test_inline_numbering_is_no_figure() -> None:
    notes = "1. rebuilt the candidate generator 2. recall@100 0.38 -> 0.52 3. serving cost flat"
    assert [f.text for f in extract_figures(notes)] == ["0.38", "0.52"]
    assert [f.text for f in extract_figures("cut cost 2. then 3 pods")] == ["2", "3"]  # no list opens with 1.
