"""The figure constraint: whatever the logits, no number outside the notes can be written."""

from __future__ import annotations

import re
import string

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import build_tiny_tokenizer
from winrewrite.constraint import FigureConstraint, token_table
from winrewrite.figures import digit_strings

TOKENIZER = build_tiny_tokenizer()
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def _decode(ids: list[int]) -> str:
    table = token_table(TOKENIZER)
    return "".join(table.strings[i] for i in ids)


def _generate(notes: str, seed: int, steps: int, digit_bias: float) -> str:
    """Greedy decoding of random logits (digits favoured) under the constraint."""
    gen = torch.Generator().manual_seed(seed)
    table = token_table(TOKENIZER)
    constraint = FigureConstraint(TOKENIZER, notes, prompt_length=3)
    ids = torch.tensor([[0, 1, 2]])
    for _ in range(steps):
        scores = torch.randn((1, len(TOKENIZER)), generator=gen)
        scores[0, list(table.digit_ids.values())] += digit_bias
        scores[0, list(table.separator_ids.values())] += digit_bias / 2
        token = int(constraint(ids, scores)[0].argmax())
        ids = torch.cat([ids, torch.tensor([[token]])], dim=1)
    return _decode(ids[0, 3:].tolist())


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    notes=st.text(alphabet="0123456789.,$%kx ->abc", min_size=0, max_size=40),
    seed=st.integers(0, 2**31 - 1),
    digit_bias=st.floats(0, 6),
)
def test_no_number_outside_the_notes_can_be_emitted(notes: str, seed: int, digit_bias: float) -> None:
    text = _generate(notes, seed, steps=25, digit_bias=digit_bias)
    allowed = digit_strings(notes)
    runs = [m for m in NUMBER.finditer(text)]
    for m in runs:
        number = m.group(0)
        if text[m.end() :] in ("", ".", ","):  # stopped mid-number: it must still be on its way to a figure
            assert number in allowed or any(a.startswith(number + text[m.end() :]) for a in allowed), (notes, text)
        else:
            assert number in allowed, (notes, text)


def test_multi_character_digit_tokens_are_never_chosen() -> None:
    table = token_table(TOKENIZER)
    banned = {TOKENIZER.convert_tokens_to_ids(t) for t in ("12", "a1")}
    assert banned <= set(table.banned_ids.tolist())
    constraint = FigureConstraint(TOKENIZER, "went from 12 to 15", prompt_length=0)
    scores = torch.zeros((1, len(TOKENIZER)))
    out = constraint(torch.zeros((1, 0), dtype=torch.long), scores)
    assert all(out[0, i] == -float("inf") for i in banned)


@pytest.mark.parametrize(
    ("generated", "chars", "free"),
    [
        ("Reduced ", {"3", "6", "4"}, True),  # a number may only start a figure of the notes
        ("Reduced p", {"3", "6", "4", "9"}, True),  # '99' of 'p99' only right after its name's head
        ("Reduced 3", {"4"}, False),  # '3' alone is not a figure: it must continue
        ("Reduced 340", set(), True),  # complete: anything but a digit may follow
        ("saved $4", {",", "."}, False),  # '4,800' and '4.8' both continue '4'
        ("saved $4,", {"8"}, False),
        ("p9", {"9"}, False),  # digits glued to names come from the notes too
    ],
)
def test_allowed_next(generated: str, chars: set[str], free: bool) -> None:
    constraint = FigureConstraint(TOKENIZER, "p99 340ms->62ms $4,800/mo 4.8k", prompt_length=0)
    assert constraint.allowed_next(generated) == (chars, free)


def test_require_all_keeps_the_statement_open_until_every_figure_is_written() -> None:
    eos = TOKENIZER.eos_token_id
    constraint = FigureConstraint(TOKENIZER, "p99 went 340ms -> 62ms", prompt_length=0, stop_ids=[eos], require_all=True)
    assert constraint.required == {"340", "62"}  # '99' of 'p99' is a name, not a figure to keep

    def ids(text: str) -> torch.Tensor:
        return torch.tensor([TOKENIZER(text, add_special_tokens=False)["input_ids"]])

    scores = torch.zeros((1, len(TOKENIZER)))
    assert constraint(ids("cut from 340ms to"), scores)[0, eos] == -float("inf")
    assert constraint(ids("cut from 340ms to 62ms."), scores)[0, eos] == 0


def test_require_all_keeps_the_statement_open_until_a_quantity_in_words_is_written() -> None:
    """'errors cut in half' is a figure the user gave: the statement may not end before 'half' or 'halved'."""
    eos = TOKENIZER.eos_token_id
    constraint = FigureConstraint(TOKENIZER, "errors cut in half", prompt_length=0, stop_ids=[eos], require_all=True)
    scores = torch.zeros((1, len(TOKENIZER)))
    assert constraint(_ids("Fixed the parser."), scores)[0, eos] == -float("inf")
    assert constraint(_ids("Halved the parser errors."), scores)[0, eos] == 0
    nothing = FigureConstraint(TOKENIZER, "shipped it next quarter", prompt_length=0, stop_ids=[eos], require_all=True)
    assert nothing(_ids("Shipped it."), scores)[0, eos] == 0  # 'next quarter' is a date


def _ids(text: str) -> torch.Tensor:
    return torch.tensor([TOKENIZER(text, add_special_tokens=False)["input_ids"]])


def test_a_number_is_written_no_more_often_than_the_notes_write_it() -> None:
    constraint = FigureConstraint(TOKENIZER, "relevance +28% on the eval, 12 runs, 12 teams", prompt_length=0)
    assert constraint.allowed_next("raised relevance by ") == ({"2", "1"}, True)
    assert constraint.allowed_next("raised relevance by 28% from ") == ({"1"}, True)  # 28 is used up
    assert constraint.allowed_next("across 12 runs and 12 teams, ") == ({"2"}, True)  # 12 twice, as in the notes


def test_require_all_forbids_ending_the_sentence_but_not_a_decimal_point() -> None:
    eos = TOKENIZER.eos_token_id
    table = token_table(TOKENIZER)
    point = table.separator_ids["."]
    constraint = FigureConstraint(TOKENIZER, "auc 0.81 -> 0.84, 14 features", prompt_length=0, stop_ids=[eos], require_all=True)
    scores = torch.zeros((1, len(TOKENIZER)))
    out = constraint(_ids("Built 14 features"), scores)[0]
    assert out[point] == -float("inf") and out[eos] == -float("inf")  # 0.81 and 0.84 are still missing
    assert constraint(_ids("Built 14 features, raising AUC from 0"), scores)[0, point] == 0  # 0.81 goes on
    done = constraint(_ids("Built 14 features, raising AUC from 0.81 to 0.84"), scores)[0]
    assert done[point] == 0 and done[eos] == -float("inf")  # every figure is there, but the sentence is open
    assert constraint(_ids("Built 14 features, raising AUC from 0.81 to 0.84."), scores)[0, eos] == 0


def test_a_statement_ends_only_after_a_full_stop_and_never_on_a_dangling_word() -> None:
    eos = TOKENIZER.eos_token_id
    point = token_table(TOKENIZER).separator_ids["."]
    constraint = FigureConstraint(TOKENIZER, "fraud model saved ~$4M chargebacks", 0, stop_ids=[eos], require_all=True)
    scores = torch.zeros((1, len(TOKENIZER)))
    dangling = constraint(_ids("Saved $4M in chargebacks, cutting losses by"), scores)[0]
    assert dangling[eos] == -float("inf") and dangling[point] == -float("inf")
    open_sentence = constraint(_ids("Saved $4M in chargebacks"), scores)[0]
    assert open_sentence[eos] == -float("inf") and open_sentence[point] == 0
    assert constraint(_ids("Saved $4M in chargebacks."), scores)[0, eos] == 0


def test_tokens_that_are_not_prose_are_never_written_but_stops_are() -> None:
    eos = TOKENIZER.eos_token_id
    junk = [TOKENIZER.convert_tokens_to_ids(t) for t in ("^", "|", "`", "<", "[", "~")]
    assert set(junk) <= set(token_table(TOKENIZER).banned_ids.tolist())
    constraint = FigureConstraint(TOKENIZER, "cut p99 340ms -> 62ms", 0, stop_ids=[eos], require_all=True)
    scores = torch.zeros((1, len(TOKENIZER)))
    out = constraint(_ids("Cut p99 latency from 340 ms to 62 ms"), scores)[0]
    assert all(out[i] == -float("inf") for i in junk)
    assert constraint(_ids("Cut p99 latency from 340 ms to 62 ms."), scores)[0, eos] == 0  # '<eos>' is no markup


def test_a_run_of_three_word_tokens_is_never_written_twice() -> None:
    constraint = FigureConstraint(TOKENIZER, "no figures", prompt_length=0)
    ids = TOKENIZER.convert_tokens_to_ids(list("abc ab"))
    step = constraint.step("abc ab", ids)
    assert step.repeats == {TOKENIZER.convert_tokens_to_ids("c")}
    assert not constraint.permits(step, TOKENIZER.convert_tokens_to_ids("c")) and constraint.permits(step, ids[0])


def test_after_from_x_to_only_a_fitting_end_point_may_follow() -> None:
    constraint = FigureConstraint(TOKENIZER, "cold start -70%, handled a 5x spike, precision 74->91, retrain in 4 hours", 0)
    assert constraint.allowed_next("cut cold start from 70% to ") == (set(), True)  # 5x and 4 hours are other kinds
    assert constraint.allowed_next("raised precision from 74% to ") == ({"9"}, True)  # the notes pair 74 with 91
    assert constraint.allowed_next("cut cold start from 70% to under ") == (set(), True)
    assert "5" in constraint.allowed_next("cut cold start by 70% and handled ")[0]  # no change opened: any kind


def test_a_change_may_only_open_on_a_number_that_can_close_it() -> None:
    constraint = FigureConstraint(TOKENIZER, "precision 74->91 at same recall, 45 analyst hrs/wk saved", 0)
    assert constraint.allowed_next("raised precision from ") == ({"7"}, True)  # 45 has no end point in the notes
    assert constraint.allowed_next("saving ") == ({"4", "7", "9"}, True)


def test_a_verb_of_rise_or_fall_is_followed_only_by_a_change_that_goes_its_way() -> None:
    constraint = FigureConstraint(TOKENIZER, "throughput 900->2.6k imgs/day, QA reject 11%->4%", 0)
    assert constraint.allowed_next("cutting the QA reject rate from ") == ({"1"}, True)  # 900 -> 2.6k goes up
    assert constraint.allowed_next("raising throughput from ") == ({"9"}, True)
    assert constraint.allowed_next("moving throughput from ") == ({"1", "9"}, True)  # no verb of change: either


def test_a_verb_of_change_and_by_are_never_followed_by_a_level_or_the_other_way() -> None:
    notes = "paying the vendor 0.8 cents a page on 12 million pages a year; in-house model saves roughly 90k a year; WER +0.2"
    constraint = FigureConstraint(TOKENIZER, notes, 0)
    assert constraint.allowed_next("cutting the contract cost by ") == ({"9"}, True)  # 0.8 and 12M are levels; WER rose
    assert constraint.allowed_next("raising word error rate by ") == ({"0", "9"}, True)
    assert constraint.allowed_next("paying ") == ({"0", "1", "9"}, True)


def test_a_number_of_a_name_is_written_only_inside_that_name() -> None:
    constraint = FigureConstraint(TOKENIZER, "DATA-918 dedupe, DAU -3.4%; NDCG@10 +4.2% for ranking v7", 0)
    assert constraint.allowed_next("Removed ") == ({"3", "4"}, True)  # 918, 10 and 7 are no figures
    assert constraint.allowed_next("Deduped the data-") == ({"3", "4"}, True)  # 'data-918' would be a figure
    assert "9" in constraint.allowed_next("Deduped events (DATA-")[0]
    assert "1" in constraint.allowed_next("raising NDCG@")[0] and "1" not in constraint.allowed_next("raising NDCG from ")[0]
    assert "7" in constraint.allowed_next("for ranking v")[0]


def _word_tokenizer(words: list[str]) -> tuple[object, dict[str, int]]:
    """A tokenizer of single characters and ``words`` ('▁' for a space)."""
    from tokenizers import Tokenizer, decoders, models
    from transformers import PreTrainedTokenizerFast

    vocab = {t: i for i, t in enumerate(["<pad>", "<eos>", "<bos>", "<unk>", *string.ascii_letters, "▁", "-", *words])}
    core = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    core.decoder = decoders.Fuse()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, pad_token="<pad>", eos_token="<eos>", bos_token="<bos>", unk_token="<unk>"
    )
    return tokenizer, vocab


def test_a_word_is_never_followed_by_its_own_plural() -> None:
    tokenizer, vocab = _word_tokenizer(["▁feature", "▁features", "▁featured", "▁stores"])
    constraint = FigureConstraint(tokenizer, "moved online features to feast", prompt_length=0)
    step = constraint.step("Migrated online feature")
    assert not constraint.permits(step, vocab["▁features"]) and not constraint.permits(step, vocab["▁feature"])
    assert constraint.permits(step, vocab["▁stores"]) and constraint.permits(step, vocab["▁featured"])


def test_a_run_of_three_words_is_never_written_twice_however_it_is_tokenized() -> None:
    tokenizer, vocab = _word_tokenizer(["▁in", "house", "-house", "▁option", "▁tool", "option"])
    constraint = FigureConstraint(tokenizer, "compared feast and an in-house option", prompt_length=0)
    for text in ("Compared Feast and an in-house option, and chose the in-house", "Compared an in house option and an in-"):
        step = constraint.step(text)
        word = "house" if text.endswith("-") else "option"
        assert not constraint.permits(step, vocab[f"▁{word}" if f"▁{word}" in vocab else word]), text
        assert constraint.permits(step, vocab["▁tool"])
    step = constraint.step("Compared an in-house option and an in-house")
    assert not constraint.permits(step, vocab["▁option"]) and constraint.permits(step, vocab["option"])  # 'houseoption' is new


def test_number_words_the_notes_give_no_ground_for_are_never_written() -> None:
    tokenizer, vocab = _word_tokenizer(["▁twice", "▁tripled", "▁halved", "▁three"])
    constraint = FigureConstraint(tokenizer, "errors -40% across three teams", prompt_length=0)
    step = constraint.step("Cut errors ")
    assert not any(constraint.permits(step, vocab[w]) for w in ("▁twice", "▁tripled", "▁halved"))
    assert constraint.permits(step, vocab["▁three"])
    halved = FigureConstraint(tokenizer, "errors halved across teams", prompt_length=0)
    assert halved.permits(halved.step("Cut errors "), vocab["▁halved"])


def test_the_top_of_a_scale_is_written_only_as_the_top_of_a_scale() -> None:
    constraint = FigureConstraint(TOKENIZER, "6am SLA met 29/30 days, CSAT 4.4 (out of 5)", 0)
    assert "3" not in constraint.allowed_next("meeting the SLA on 29-")[0]
    assert "5" not in constraint.allowed_next("raising CSAT to 4.4 across ")[0]
    for text in ("meeting the SLA on 29/", "meeting the SLA on 29 of ", "meeting the SLA on 29 out of "):
        assert "3" in constraint.allowed_next(text)[0], text
    assert "5" in constraint.allowed_next("raising CSAT to 4.4 out of ")[0]


def test_a_number_that_counts_something_cannot_become_a_percentage() -> None:
    table = token_table(TOKENIZER)
    percent = TOKENIZER.convert_tokens_to_ids("%")
    assert percent in set(table.ratio_ids.tolist())
    constraint = FigureConstraint(TOKENIZER, "precision 74->91, ~45 analyst hrs/wk saved", 0)
    scores = torch.zeros((1, len(TOKENIZER)))
    assert constraint(_ids("cut analyst time by 45"), scores)[0, percent] == -float("inf")
    assert constraint(_ids("raised precision from 74"), scores)[0, percent] == 0


def test_a_currency_sign_the_notes_never_use_is_never_written() -> None:
    dollar = TOKENIZER.convert_tokens_to_ids("$")
    scores = torch.zeros((1, len(TOKENIZER)))
    no_money = FigureConstraint(TOKENIZER, "ROAS 2.3x vs control", 0)
    assert no_money(_ids("raised ROAS by 2.3x and saved "), scores)[0, dollar] == -float("inf")
    assert FigureConstraint(TOKENIZER, "saved $4.8k/mo", 0)(_ids("saved "), scores)[0, dollar] == 0


def test_a_currency_sign_must_be_followed_by_a_number_and_blanks_are_never_written() -> None:
    constraint = FigureConstraint(TOKENIZER, "fraud model saved ~$4M chargebacks FY", 0)
    assert constraint.allowed_next("cut chargebacks by $") == ({"4"}, False)
    dollar = TOKENIZER.convert_tokens_to_ids("$")
    scores = torch.zeros((1, len(TOKENIZER)))
    assert constraint(_ids("saved $4M and then"), scores)[0, dollar] == -float("inf")  # no number left for a '$'


def test_an_amount_of_money_is_written_after_its_sign() -> None:
    constraint = FigureConstraint(TOKENIZER, "ranking change drove +$3.2M annualized GMV, A/B ran 6 weeks", 0)
    assert constraint.allowed_next("drove a ")[0] == {"6"}  # not '3.2M-a-year' with the dollar lost
    assert constraint.allowed_next("drove a $")[0] == {"3", "6"}
    dollar = TOKENIZER.convert_tokens_to_ids("$")
    assert constraint(_ids("drove a "), torch.zeros((1, len(TOKENIZER))))[0, dollar] == 0


def _partials(notes: str, seed: int) -> list[str]:
    """Texts a constrained decoder passes through, digits and all (from :func:`_generate`)."""
    text = _generate(notes, seed, steps=20, digit_bias=3.0)
    return [text[:i] for i in range(len(text) + 1)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    notes=st.text(alphabet="0123456789.,$%kx ->abc", min_size=1, max_size=30),
    seed=st.integers(0, 2**31 - 1),
)
def test_choosing_among_the_best_tokens_agrees_with_the_full_mask(notes: str, seed: int) -> None:
    constraint = FigureConstraint(TOKENIZER, notes, prompt_length=0, stop_ids=[0, 1], require_all=True)
    gen = torch.Generator().manual_seed(seed)
    for text in _partials(notes, seed):
        scores = torch.randn(len(TOKENIZER), generator=gen)
        masked = constraint.mask(constraint.step(text), scores)
        allowed = {i for i in range(len(TOKENIZER)) if masked[i] > -float("inf")}
        assert allowed == {i for i in range(len(TOKENIZER)) if constraint.permits(constraint.step(text), i)}, text
        scores = scores.to(torch.bfloat16).float()  # ties, as in bf16 logits: the lowest id wins, as with argmax
        masked = constraint.mask(constraint.step(text), scores)
        top = scores.topk(8)
        if allowed:
            assert constraint.best_allowed(text, top.indices.tolist(), top.values.tolist(), scores) == int(masked.argmax()), text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    notes=st.text(alphabet="0123456789.,$%kxTSab ->", min_size=1, max_size=30),
    text=st.text(alphabet="0123456789.,$%kxTSabc ->.'", max_size=30),
)
def test_the_quick_test_passes_only_tokens_the_rules_permit(notes: str, text: str) -> None:
    constraint = FigureConstraint(TOKENIZER, notes, prompt_length=0, stop_ids=[0, 1], require_all=True)
    generated = TOKENIZER.convert_tokens_to_ids(list(text))
    step = constraint.step(text, generated)
    quick = [i for i in range(len(TOKENIZER)) if constraint._plainly_permitted(text, generated, i)]
    assert all(constraint.permits(step, i) for i in quick), text
    if text == "" or text.endswith(" "):  # a new lower-case word is plainly fine there (unless it doubles the last)
        letter = "c" if text.rstrip(" ").endswith("b") else "b"
        assert TOKENIZER.convert_tokens_to_ids(letter) in quick, text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    notes=st.text(alphabet="0123456789.,$%kx ->abc", min_size=1, max_size=30),
    seed=st.integers(0, 2**31 - 1),
    top=st.sampled_from([4, 16, 128]),
)
def test_beam_search_keeps_what_it_would_keep_under_the_full_mask(notes: str, seed: int, top: int) -> None:
    from winrewrite import beams

    first = FigureConstraint(TOKENIZER, notes, prompt_length=0, stop_ids=[0, 1], require_all=True)
    second = FigureConstraint(TOKENIZER, "12 to 15", prompt_length=0, stop_ids=[0, 1], require_all=True)
    texts = _partials(notes, seed)[::4][:4]
    rows = [[TOKENIZER.convert_tokens_to_ids(c) for c in t] for t in texts] * 2  # two notes, len(texts) beams each
    gen = torch.Generator().manual_seed(seed)
    log_probs = torch.randn((len(rows), len(TOKENIZER)), generator=gen).to(torch.bfloat16).float()  # ties, as in bf16
    scores = torch.randn((2, len(texts)), generator=gen).to(torch.bfloat16).float()
    old_top, beams._TOP = beams._TOP, top  # few continuations per row: the row-by-row way must decide too
    try:
        fast = beams.constrain([first, second], rows, log_probs, scores, keep=4)
    finally:
        beams._TOP = old_top
    exact = torch.stack(
        [
            (first, second)[r // len(texts)].mask((first, second)[r // len(texts)].step(_decode(row), row), log_probs[r])
            for r, row in enumerate(rows)
        ]
    )
    finite = fast > -float("inf")
    assert torch.equal(fast[finite], exact[finite])  # nothing forbidden is let through
    for note in range(2):  # and each note's best continuations over all its beams are all there
        own = slice(note * len(texts), (note + 1) * len(texts))
        best = [(m[own] + scores[note][:, None]).flatten().topk(4).values for m in (fast, exact)]
        assert torch.equal(best[0], best[1]), texts


def test_a_capitalized_word_may_only_grow_into_a_name_the_notes_mention() -> None:
    constraint = FigureConstraint(TOKENIZER, "flask -> torchserve cutover, cold start -70%", prompt_length=0)
    token = TOKENIZER.convert_tokens_to_ids

    def allowed(text: str, piece: str) -> bool:
        return constraint.permits(constraint.step(text), token(piece))

    assert allowed("Moved serving to Torch", "S")  # 'TorchServe' is in the notes, in lower case
    assert not allowed("Moved serving to P", "y")  # 'Py...' is not
    assert allowed("", "B") and allowed("B", "u")  # the first word is capitalized, not a name
    assert allowed("Cut cold start by 70% on Flask, using GP", "U")  # may still become 'GPUs' (a generic name)
    assert not allowed("Cut cold start by 70% with ", "Q")


def test_a_file_tokenizer_keeps_its_scan_beside_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from winrewrite import constraint
    from winrewrite.tokenizer import Tokenizer

    source = Path(tmp_path) / "tokenizer.json"
    TOKENIZER.backend_tokenizer.save(str(source))
    specials = {"pad_token": "<pad>", "eos_token": "<eos>", "bos_token": "<bos>", "unk_token": "<unk>"}
    scanned = constraint._scan(TOKENIZER)
    first = token_table(Tokenizer.from_file(source, specials))  # scanned, then written
    stored = list(Path(tmp_path).glob("token-table-*.json"))
    assert len(stored) == 1
    read = token_table(Tokenizer.from_file(source, specials))  # another tokenizer object: read back
    for table in (first, read):
        for name in scanned.__dataclass_fields__:
            ours, theirs = getattr(table, name), getattr(scanned, name)
            if isinstance(theirs, torch.Tensor):
                assert torch.equal(ours, theirs), name
            elif name == "currency_ids":
                assert all(torch.equal(ours[c], theirs[c]) for c in theirs), name
            else:
                assert ours == theirs, name
    stored[0].write_text("{damaged")  # a damaged file is scanned again and rewritten
    assert token_table(Tokenizer.from_file(source, specials)).strings == scanned.strings
    assert stored[0].read_text().startswith('{"strings"')
    source.write_text(source.read_text() + "\n")  # another tokenizer file: another name, the old one removed
    token_table(Tokenizer.from_file(source, specials))
    assert [p.name for p in Path(tmp_path).glob("token-table-*.json")] != [stored[0].name]
    assert len(list(Path(tmp_path).glob("token-table-*.json"))) == 1


def test_no_word_fragment_or_loose_sign_follows_a_space() -> None:
    from tokenizers import Tokenizer, decoders, models
    from transformers import PreTrainedTokenizerFast

    chars = list(string.ascii_lowercase + " .")
    extra = ["▁", "▁u", "▁f", "uckoo", "ckoo", "rom", "+%", "%", "▁."]
    vocab = {t: i for i, t in enumerate(["<pad>", "<eos>", "<bos>", "<unk>", *chars, *extra])}
    core = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    core.decoder = decoders.Fuse()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>")
    table = token_table(tokenizer)
    fragment, spaced = vocab["uckoo"], vocab["▁u"]
    assert fragment in table.unspaced_set and vocab["ckoo"] not in table.unspaced_set  # no '▁c' to start a word with
    constraint = FigureConstraint(tokenizer, "no figures", prompt_length=0)
    after_space, glued = constraint.step("raised recall from "), constraint.step("raised recall f")
    assert not constraint.permits(after_space, fragment) and constraint.permits(after_space, spaced)
    assert constraint.permits(glued, vocab["rom"]) and constraint.permits(after_space, vocab["ckoo"])
    masked = constraint.mask(after_space, torch.zeros(len(tokenizer)))
    assert masked[fragment] == -float("inf") and masked[spaced] == 0
    assert not constraint._plainly_permitted("raised recall from ", [], fragment)
    assert not constraint.permits(after_space, vocab["+%"]) and not constraint.permits(after_space, vocab["%"])
    # punctuation never follows a space ('cutting conversion by .'), and a token that spells it so is never written
    assert not constraint.permits(after_space, vocab["."]) and constraint.permits(glued, vocab["."])
    assert vocab["▁."] in table.banned_ids.tolist()


def test_a_number_the_notes_write_with_a_magnitude_keeps_it() -> None:
    constraint = FigureConstraint(TOKENIZER, "cut scoring cost by $3k/month, train set 2K->18K, 55m saved", 0)
    strings = token_table(TOKENIZER).strings
    step = constraint.step("cut the cost by $3")
    assert step.only is not None and step.only  # '$3' is never the end of '$3k'
    assert {strings[i] for i in step.only} <= {"k", "K", " thousand"}
    scores = constraint(_ids("cut the cost by $3"), torch.zeros((1, len(TOKENIZER))))[0]
    assert scores[TOKENIZER.convert_tokens_to_ids(",")] == -float("inf")
    assert constraint.step("cut the cost by $3k").only is None
    assert constraint.step("saved 55").only is None  # '55m' may be minutes: no magnitude is forced


def test_a_number_whose_unit_must_stay_is_written_with_it() -> None:
    """'70%' and '5x spike' never lose their unit ('by 70 points', 'the next 5 spikes'); a multiple that
    counts ('8x A100') and a number of a change ('23% -> 11%': 'from 23 to 11%') are left free."""
    notes = "cold start -70%. autoscaling handled 5x black friday spike on 8x A100, MAPE 23% -> 11%"
    constraint = FigureConstraint(TOKENIZER, notes, 0)
    strings = token_table(TOKENIZER).strings
    for text, units in [("cut cold start by 70", {"%"}), ("absorbed a 5", {"x", "×"})]:
        step = constraint.step(text)
        assert step.only, text
        assert {strings[i] for i in step.only} <= units | {str(d) for d in range(10)} | {".", ","}, text
        assert {strings[i] for i in step.only} & units, text
    assert constraint.step("cut cold start by 70%").only is None
    assert constraint.step("on 8").only is None
    assert constraint.step("cut MAPE from 23").only is None


def _search(seed: int, accept=None):  # type: ignore[no-untyped-def]
    """Beam search (4 beams, 2 notes) over a random 'model' whose logits depend on the whole sequence so
    far; returns the candidates and how many rows the model ran."""
    from winrewrite.beams import beam_search

    k, stops, full_stop = 4, [TOKENIZER.eos_token_id], TOKENIZER.convert_tokens_to_ids(".")
    constraints = [FigureConstraint(TOKENIZER, notes, prompt_length=0, stop_ids=stops) for notes in ("a b", "c 12")]

    def logits_after(sequence: tuple[int, ...]) -> torch.Tensor:
        gen = torch.Generator().manual_seed(hash((seed, sequence)) % 2**31)
        logits = 3 * torch.randn(len(TOKENIZER), generator=gen)
        logits[full_stop] += 4  # candidates end at different steps
        logits[stops[0]] += 8
        return logits

    histories: list[tuple[int, ...]] = [(note,) for note in range(2) for _ in range(k)]
    ran = [0]

    def advance(tokens: list[int], parents: list[int]) -> torch.Tensor:
        nonlocal histories
        histories = [histories[p] + (t,) for t, p in zip(tokens, parents, strict=True)]
        ran[0] += len(tokens)
        return torch.stack([logits_after(h) for h in histories])

    first = torch.stack([logits_after(h) for h in histories])
    return beam_search(first, advance, constraints, k, max_new_tokens=10, stop_ids=stops, accept=accept), ran[0]


@pytest.mark.parametrize("seed", range(6))
def test_beam_search_ends_a_note_once_an_accepted_candidate_cannot_be_beaten(seed: int) -> None:
    full, full_rows = _search(seed)
    assert _search(seed, accept=lambda note, ids, score: False) == (full, full_rows)  # nothing taken: the whole search
    asked: list[tuple[int, tuple[int, ...]]] = []

    def everything(note: int, ids: list[int], score: float) -> bool:
        asked.append((note, tuple(ids)))
        return True

    early, early_rows = _search(seed, accept=everything)
    assert len(asked) == len(set(asked)) and early_rows < full_rows  # each candidate asked once; less work
    for note in range(2):
        ids, score = early[note][0]
        assert ids and score == max(s for _, s in early[note])
        # taking only the full search's third candidate: the search stops on that very candidate
        target = full[note][2]
        picky, picky_rows = _search(seed, accept=lambda n, i, s, note=note, target=target: n != note or i == target[0])
        assert next(c for c in picky[note] if c[0] == target[0]) == target
        assert early_rows <= picky_rows <= full_rows


def test_beam_search_returns_the_best_candidate_it_took_even_once_better_ones_push_it_out() -> None:
    """Taking only short candidates: longer ones that end later with a better mean fill the k best, and
    the short one taken must still come back (it is what the guard passed)."""
    pushed_out = 0
    for seed in range(12):
        taken: list[tuple[int, tuple[int, ...], float]] = []

        def short(note: int, ids: list[int], score: float, taken: list[tuple[int, tuple[int, ...], float]] = taken) -> bool:
            if len(ids) <= 3:
                taken.append((note, tuple(ids), score))
                return True
            return False

        found, _ = _search(seed, accept=short)
        for note in range(2):
            mine = [(ids, score) for n, ids, score in taken if n == note]
            if mine:
                best = max(mine, key=lambda c: c[1])
                assert (list(best[0]), best[1]) in found[note]
                pushed_out += len(found[note]) > 4  # it came back after the k best
    assert pushed_out  # the case this is about did happen


def test_beam_search_drops_candidates_that_end_only_because_nothing_else_is_allowed() -> None:
    """After '12' of '12 -> 15' the text must reach '15' within the guard's gap; a beam that cannot may
    only stop there (a dead end). Such a candidate never counts as finished: it would take a place among
    the k best and could end the search before a live beam finishes."""
    from winrewrite.beams import _NONE, beam_search

    k, stops = 3, [TOKENIZER.eos_token_id]
    one, two = TOKENIZER.convert_tokens_to_ids("1"), TOKENIZER.convert_tokens_to_ids("2")
    dead_ends = 0
    for seed in range(8):
        constraint = FigureConstraint(TOKENIZER, "c 12 -> 15", prompt_length=0, stop_ids=stops)
        histories: list[tuple[int, ...]] = [() for _ in range(k)]

        def logits_after(sequence: tuple[int, ...], seed: int = seed) -> torch.Tensor:
            gen = torch.Generator().manual_seed(hash((seed, sequence)) % 2**31)
            logits = 3 * torch.randn(len(TOKENIZER), generator=gen)
            logits[(one, two)[min(len(sequence), 1)]] += 30 * (len(sequence) < 2)  # '12' first
            logits[stops[0]] += 4
            return logits

        def advance(tokens: list[int], parents: list[int]) -> torch.Tensor:
            nonlocal histories
            histories = [histories[p] + (t,) for t, p in zip(tokens, parents, strict=True)]
            return torch.stack([logits_after(h) for h in histories])

        seen: list[bool] = []
        dead_end = constraint.dead_end
        constraint.dead_end = lambda ids, dead_end=dead_end, seen=seen: seen.append(dead_end(ids)) or seen[-1]  # type: ignore[method-assign]
        first = torch.stack([logits_after(h) for h in histories])
        found = beam_search(first, advance, [constraint], k, max_new_tokens=80, stop_ids=stops)[0]
        constraint.dead_end = dead_end  # type: ignore[method-assign]
        dead_ends += sum(seen)
        for ids, score in found:
            if score > _NONE / 2:  # a real candidate
                assert not (ids[-1] in stops and constraint.dead_end(ids[:-1])), _decode(ids)
    assert dead_ends  # beams did run into dead ends


def test_a_change_of_the_notes_is_written_as_one_change() -> None:
    """After '2K' of '2K -> 18K' no number may come until a word joins the end point ('2K to 18K'), then
    only the end point, and no clause break (' and', ';', a dash) may split them; the same from the end
    point back ('18K, up from 2K'); neither is written after 'by'; a number the notes also write on its own
    leaves the text free."""
    from winrewrite.constraint import clause_break_tokens

    notes = "- 2K -> 18K training examples\n- rare intent accuracy 54% -> 79%, 54% of tickets"
    constraint = FigureConstraint(TOKENIZER, notes, 0)
    assert constraint.allowed_next("grew the set 2K training examples ")[0] == set()
    assert constraint.allowed_next("grew the set 2K training examples up to ")[0] == {"1"}
    breaks = clause_break_tokens(token_table(TOKENIZER))
    assert breaks and breaks <= constraint.step("grew the set 2K training examples").blocked
    assert not breaks & constraint.step("grew the set 2K to 18K training examples").blocked
    assert {"1", "5", "7"} <= constraint.allowed_next("raised accuracy on 54% ")[0]  # 54 is also written on its own
    assert constraint.allowed_next("grew the set to 18K examples ")[0] == set()  # the end point first: the start must follow
    assert constraint.allowed_next("grew the set to 18K examples compared with ")[0] == {"2"}
    assert {"5", "7"} <= constraint.allowed_next("grew it to 18K, up from 2K, ")[0]  # both written: free
    assert constraint.allowed_next("grew the set by ")[0] == {"5"}  # a level of a change is no difference: only 54
    # once the change cannot be written whole any more (the guard allows 60 characters between), the text ends
    ending = FigureConstraint(TOKENIZER, notes, 0, stop_ids=[TOKENIZER.eos_token_id], require_all=True)
    long_gap = "grew the set 2K training examples in the course of the long running programme that we ran over the "
    assert ending.step(long_gap).only == {TOKENIZER.eos_token_id}
    assert ending.step("grew the set 2K training examples in the course of the ").only is None


def test_notes_that_go_one_way_get_no_verb_of_the_other() -> None:
    from tokenizers import Tokenizer, decoders, models
    from transformers import PreTrainedTokenizerFast

    from winrewrite.constraint import direction_tokens

    words = ["▁Cut", "▁cutting", "▁raising", "Raised", "▁dropout", "▁growth", "▁cutoff"]
    vocab = {t: i for i, t in enumerate(["<pad>", "<eos>", "<bos>", "<unk>", *string.ascii_letters, "▁", *words])}
    core = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    core.decoder = decoders.Fuse()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, pad_token="<pad>", eos_token="<eos>", bos_token="<bos>", unk_token="<unk>"
    )
    table = token_table(tokenizer)
    named = {i: table.strings[i].strip() for i in range(len(table.strings))}
    assert {named[i] for i in direction_tokens(table, rise=False)} == {"Cut", "cutting"}  # not 'dropout', 'cutoff'
    assert {named[i] for i in direction_tokens(table, rise=True)} == {"raising", "Raised"}
    up = FigureConstraint(tokenizer, "nDCG@10 from 0.412 to 0.468 on the eval set", prompt_length=3)
    assert vocab["▁Cut"] in up._banned and vocab["▁raising"] not in up._banned
    mixed = FigureConstraint(tokenizer, "nDCG@10 from 0.412 to 0.468, p99 latency down 20%", prompt_length=3)
    assert vocab["▁Cut"] not in mixed._banned
