"""Beam search under the figure constraint: the model's candidate statements for a batch of notes.

The algorithm is transformers' beam search with its defaults (length penalty 1, ``early_stopping=False``):
each step keeps, per note, the ``keep`` best continuations over all its beams; those that end (a stop
token, or the last step) and rank among the first ``k`` join the note's finished candidates, scored by
log-probability per token; the best ``k`` that do not end run on. A note is done once its best running
beam can no longer beat its worst finished candidate. Unlike ``generate``, a done note leaves the batch
at once: its rows are neither run nor constrained again, so one long candidate does not keep every
other note's beams running.

>>> candidates = beam_search(logits, advance, constraints, k=6, max_new_tokens=96, stop_ids={1, 106})  # doctest: +SKIP
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Collection, Sequence

import torch

from winrewrite.constraint import FigureConstraint, PlainRow, Step

_NONE = -1.0e9  # the score of a candidate that may not be chosen (transformers' value)
_TOP = 128  # continuations per row moved off the device at each step

Advance = Callable[[list[int], list[int]], torch.Tensor]
Accept = Callable[[int, list[int], float], bool]


def beam_search(
    logits: torch.Tensor,
    advance: Advance,
    constraints: Sequence[FigureConstraint],
    k: int,
    max_new_tokens: int,
    stop_ids: Collection[int],
    accept: Accept | None = None,
    columns: torch.Tensor | None = None,
) -> list[list[tuple[list[int], float]]]:
    """The ``k`` best finished candidates of each note (fewer if fewer finish), best first, as generated token
    ids with their score (mean log-probability per token). A beam that its constraint lets only stop, unfinished
    (:meth:`~winrewrite.constraint.FigureConstraint.dead_end`), ends there without a candidate.

    With ``accept``, a note is done as soon as its best finished candidate that ``accept(note, ids, score)``
    takes cannot be beaten by any running beam, by the test the search ends on anyway (the best running
    beam's mean so far), made against that candidate instead of the worst finished one. Its candidates so
    far are returned, and last, if candidates that ``accept`` did not take (all better scored) pushed it
    out of the ``k`` best before the note was done, the best one it took. The test is transformers'
    estimate, not a bound: a beam that runs on may yet end with a higher mean, so now and then a full
    search ranks another candidate first (4 of 48 benchmark statements differed, to about the same
    quality). ``accept`` is asked once per candidate, in rank order.

    Args:
        logits: next-token logits after each note's prompt, ``k`` identical rows per note [notes * k, vocab].
        advance: ``advance(tokens, parents)`` feeds ``tokens[j]`` to a new row ``j`` that continues the
            current row ``parents[j]`` (the cache is gathered accordingly) and returns the new rows' logits
            (with ``columns``, they may hold those columns only).
        constraints: one per note.
        k: beams per note, and candidates returned per note.
        stop_ids: the tokens that end a candidate.
        columns: the only vocabulary ids whose logits can be finite (the CPU fast path's head, which holds
            the stop tokens too), or None for all; the search then reads only those columns of each row.
    """
    narrow = _Columns(columns, logits.shape[-1]) if columns is not None else None
    notes, vocab = len(constraints), logits.shape[-1] if narrow is None else len(narrow.ids)
    keep = max(2, 1 + len(stop_ids)) * k  # transformers' beams_to_keep: enough for k to run on even if many end
    device = logits.device
    stops = torch.tensor(sorted(stop_ids), dtype=torch.long, device=device)
    first_k = torch.arange(keep, device=device) < k
    running: list[list[list[int]]] = [[[] for _ in range(k)] for _ in range(notes)]
    running_scores = torch.full((notes, k), _NONE, device=device)
    running_scores[:, 0] = 0.0  # the k rows start alike: only the first may spread
    finished: list[list[list[int]]] = [[[] for _ in range(k)] for _ in range(notes)]
    finished_scores = torch.full((notes, k), _NONE, device=device)
    finished_any = torch.zeros((notes, k), dtype=torch.bool, device=device)
    active = list(range(notes))
    verdicts: dict[tuple[int, tuple[int, ...]], bool] = {}
    taken: dict[int, tuple[list[int], float]] = {}  # each note's best candidate that accept took
    log_probs = torch.log_softmax(logits if narrow is None else narrow(logits), dim=-1)
    for t in range(max_new_tokens):
        index = torch.tensor(active, device=device)
        rows = [running[i][b] for i in active for b in range(k)]
        top_scores, top = _best([constraints[i] for i in active], rows, log_probs, running_scores[index], keep, narrow)
        beams, tokens = top // vocab, top % vocab if narrow is None else narrow.ids[top % vocab]
        stopped = torch.isin(tokens, stops)
        ends = stopped | (t + 1 == max_new_tokens)
        dead = _dead_ends([constraints[i] for i in active], running, active, beams, stopped & first_k)
        # the k best that do not end run on
        run_scores = top_scores + ends.float() * _NONE
        run_pick = run_scores.topk(k, dim=-1).indices
        # those among the first k that end compete with the finished candidates
        done_scores = top_scores / (t + 1) + (~(ends & first_k) | dead).float() * _NONE
        merged = torch.cat([finished_scores[index], done_scores], dim=1)
        merged_scores, merged_pick = merged.topk(k, dim=-1)
        merged_any = torch.cat([finished_any[index], ends & first_k & ~dead], dim=1).gather(1, merged_pick)
        beams_l, tokens_l, run_pick_l, merged_pick_l = beams.tolist(), tokens.tolist(), run_pick.tolist(), merged_pick.tolist()
        for a, i in enumerate(active):
            candidates = [running[i][b] + [token] for b, token in zip(beams_l[a], tokens_l[a], strict=True)]
            finished[i] = [finished[i][j] if j < k else candidates[j - k] for j in merged_pick_l[a]]
            running[i] = [candidates[j] for j in run_pick_l[a]]
        finished_scores[index], finished_any[index] = merged_scores, merged_any
        running_scores[index] = run_scores.gather(1, run_pick)
        # a note is done when its best running beam cannot beat its worst finished candidate (or nothing runs on)
        worst = torch.where(merged_any, merged_scores.min(dim=1, keepdim=True).values, torch.full_like(merged_scores, _NONE))
        best = running_scores[index][:, :1] / (t + 1)
        on = (best > worst).any(dim=1) & ~ends.all(dim=1) & (running_scores[index][:, 0] > _NONE / 2)  # a beam still runs
        if accept is not None:
            on &= best[:, 0] > _accepted(accept, verdicts, taken, active, finished, merged_scores, merged_any)
        going = on.tolist()
        parents = [a * k + b for a, row in enumerate(beams.gather(1, run_pick).tolist()) if going[a] for b in row]
        fed = [token for a, i in enumerate(active) if going[a] for token in (r[-1] for r in running[i])]
        active = [i for a, i in enumerate(active) if going[a]]
        if not active or t + 1 == max_new_tokens:
            break
        logits = advance(fed, parents)
        log_probs = torch.log_softmax(logits if narrow is None else narrow(logits), dim=-1)
    scores_l, real_l = finished_scores.tolist(), finished_any.tolist()
    out = [[(ids, s) for ids, s, real in zip(finished[i], scores_l[i], real_l[i], strict=True) if real] for i in range(notes)]
    for i, (ids, score) in taken.items():
        if ids not in finished[i]:
            out[i].append((ids, score))
    return out


def _dead_ends(
    constraints: Sequence[FigureConstraint],
    running: list[list[list[int]]],
    active: list[int],
    beams: torch.Tensor,
    stopped: torch.Tensor,
) -> torch.Tensor:
    """Which stopping continuations [active notes, keep] stop only because their constraint allows nothing
    else (:meth:`~winrewrite.constraint.FigureConstraint.dead_end`): the guard would reject them, so they never
    join the finished candidates, where they would take a place and could end the note's search early."""
    dead = torch.zeros_like(stopped)
    for a, j in stopped.nonzero().tolist():
        dead[a, j] = constraints[a].dead_end(running[active[a]][int(beams[a, j])])
    return dead


def _accepted(
    accept: Accept,
    verdicts: dict[tuple[int, tuple[int, ...]], bool],
    taken: dict[int, tuple[list[int], float]],
    active: list[int],
    finished: list[list[list[int]]],
    scores: torch.Tensor,
    real: torch.Tensor,
) -> torch.Tensor:
    """For each active note, the score of its best finished candidate that ``accept`` takes, else ``_NONE``;
    ``verdicts`` remembers what ``accept`` said of each candidate, ``taken`` the best candidate it took of each
    note so far (a better candidate it does not take may push that out of the finished ones)."""
    out = torch.full((len(active),), _NONE, device=scores.device)
    for a, (i, row, row_real) in enumerate(zip(active, scores.tolist(), real.tolist(), strict=True)):
        for ids, score, is_real in zip(finished[i], row, row_real, strict=True):
            if not is_real:  # a place no candidate has filled yet
                continue
            key = (i, tuple(ids))
            if key not in verdicts:
                verdicts[key] = accept(i, ids, score)
            if verdicts[key]:
                out[a] = score
                if i not in taken or score > taken[i][1]:
                    taken[i] = (ids, score)
                break
    return out


class _Columns:
    """Some columns of the vocabulary: ``ids`` [n], and a row's values at them (``__call__``)."""

    def __init__(self, ids: torch.Tensor, vocab: int) -> None:
        self.ids, self.vocab = ids, vocab
        self.position = torch.full((vocab,), -1, dtype=torch.long, device=ids.device)  # vocabulary id -> column
        self.position[ids] = torch.arange(len(ids), device=ids.device)

    def __call__(self, rows: torch.Tensor) -> torch.Tensor:
        """``rows`` [n, vocab] at these columns; rows that hold only these columns already come back as they are."""
        return rows if rows.shape[-1] == len(self.ids) else rows.index_select(-1, self.ids)

    def widen(self, row: torch.Tensor) -> torch.Tensor:
        """A row over these columns as a row over the whole vocabulary (-inf elsewhere)."""
        out = row.new_full((self.vocab,), -float("inf"))
        out[self.ids] = row
        return out


def _best(
    constraints: Sequence[FigureConstraint],
    rows: list[list[int]],
    log_probs: torch.Tensor,
    scores: torch.Tensor,
    keep: int,
    columns: _Columns | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each note's ``keep`` best allowed continuations over all its beams: their scores and their indices
    into [beams * vocab] (or [beams * columns]), best first (transformers' ``_get_top_k_continuations``)."""
    notes, k = scores.shape
    allowed = constrain(constraints, rows, log_probs, scores, keep, columns)
    return (allowed.view(notes, k, -1) + scores[:, :, None]).view(notes, -1).topk(keep, dim=-1)  # type: ignore[no-any-return]


def constrain(
    constraints: Sequence[FigureConstraint],
    rows: list[list[int]],
    log_probs: torch.Tensor,
    scores: torch.Tensor,
    keep: int,
    columns: _Columns | None = None,
) -> torch.Tensor:
    """``log_probs`` [notes * k, vocab] of the beams' next tokens with -inf wherever the constraint forbids
    the token, or where it cannot matter: each note keeps its ``keep`` best continuations over all its beams
    (by ``log_probs`` plus the beams' ``scores`` [notes, k]), so only those, and any tied with the last,
    are left. The same ones are chosen from this as from the fully masked rows.

    Each note's beams are read best continuation first, merged over the beams, and only those rows are
    checked whose continuations are reached: each continuation by the quick test first
    (:meth:`FigureConstraint.plainly_permits`, which most words pass), and by the row's full rule
    (:meth:`FigureConstraint.step`) only where it fails. A note whose beams' top ``_TOP`` cannot decide is
    constrained row by row instead (:meth:`FigureConstraint.best`).

    With ``columns``, ``log_probs`` and the result hold only those columns of the vocabulary.
    """
    k = scores.shape[1]
    values, ids = log_probs.topk(min(_TOP, log_probs.shape[-1]), dim=-1)
    values_l = (values + scores.reshape(-1, 1)).tolist()  # ranked with the beams' scores
    ids_l = (ids if columns is None else columns.ids[ids]).tolist()
    whole = values.shape[-1] == log_probs.shape[-1]
    out = torch.full_like(log_probs, -float("inf"))
    picked_rows: list[int] = []
    picked_ids: list[int] = []
    for note, constraint in enumerate(constraints):
        steps: dict[int, Step] = {}  # each row is checked only once one of its continuations is reached
        plain: dict[int, PlainRow | None] = {}  # first by the quick test, which most continuations pass
        texts: dict[int, str] = {}
        heap = [(-values_l[r][0], r, 0) for r in range(note * k, note * k + k) if values_l[r][0] > -float("inf")]
        heapq.heapify(heap)
        picked: list[tuple[int, int]] = []
        last = float("inf")
        decided = True
        while heap:
            negative, r, j = heapq.heappop(heap)
            if len(picked) >= keep and -negative < last:
                break
            token = ids_l[r][j]
            if r not in plain:
                texts[r] = constraint.text_of(rows[r])
                plain[r] = constraint.plain_row(texts[r], rows[r])
            quick = plain[r]
            allowed = quick is not None and constraint.plainly_permits(quick, token)
            if not allowed:
                if r not in steps:
                    steps[r] = constraint.step(texts[r], rows[r])
                allowed = constraint.permits(steps[r], token)
            if allowed:
                picked.append((r, token))
                last = -negative
            if j + 1 < len(ids_l[r]):
                if values_l[r][j + 1] > -float("inf"):  # else so is all the rest of the row
                    heapq.heappush(heap, (-values_l[r][j + 1], r, j + 1))
            elif not whole:  # the row's next continuations are unknown here
                decided = False
                break
        if not decided:
            picked = []
            for r in range(note * k, note * k + k):
                step = steps.get(r) or constraint.step_after(rows[r])
                row = log_probs[r] if columns is None else columns.widen(log_probs[r])
                if step.only is not None:
                    best: list[int] | None = sorted(step.only)
                else:
                    best = constraint.best(step, row, keep, ids_l[r], values[r].tolist())
                if best is None:
                    masked = constraint.mask(step, row)
                    out[r] = masked if columns is None else columns(masked)
                picked += [(r, token) for token in best or ()]
        picked_rows += [r for r, _ in picked]
        picked_ids += [token for _, token in picked]
    if picked_rows:
        index = (torch.tensor(picked_rows, device=out.device), torch.tensor(picked_ids, device=out.device))
        if columns is not None:  # a token outside the columns has no finite logit: it stays -inf
            at = columns.position[index[1]]
            index = (index[0][at >= 0], at[at >= 0])
        out[index] = log_probs[index]
    return out
