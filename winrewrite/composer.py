"""The last resort: a deterministic statement assembled from the notes when no model candidate passes
the guard. It keeps every figure exactly as written, invents nothing, and is marked ``source="fallback"``.

Notes that open with a past-tense verb ("moved ...", "I built ...") keep it as the statement's first word, and
a later clause that gives a metric's change with no verb gets one of its direction ("raising", "cutting");
other notes are introduced by their category:

>>> compose("- moved fraud model to focal loss\\n- precision 74->91, ~45 analyst hrs/wk saved", Category.MODEL_PERFORMANCE)
'Moved fraud model to focal loss, raising precision from 74 to 91, about 45 analyst hours per week saved.'
>>> compose("fraud model: precision 74->91", Category.MODEL_PERFORMANCE)
'Delivered model performance work: fraud model, precision from 74 to 91.'
>>> compose("docs: add onboarding guide for ML platform; new hire ramp 6 wks -> 3 wks", Category.LEADERSHIP)
'Added onboarding guide for ML platform, cutting new hire ramp from 6 weeks to 3 weeks.'

Long notes become a statement of at most ``LONGEST`` words where they can: the background of notes that
open with it ('context: ...'), up to the first past-tense verb, and the last clauses that hold no quantity
are left out (:func:`left_out` lists them, and the Statement's suggestions name them); every figure stays.
"""

from __future__ import annotations

import re

from winrewrite.categories import Category
from winrewrite.figures import URL, extract_figures, missing_figures
from winrewrite.guard import comparable_values, counts_something, holds_quantity, starts_with_action_verb
from winrewrite.prompt import clean_notes
from winrewrite.topics import UNRELATED

# 'so I, uh, built': no commas left around it; 'scripts, um, I moved': a new clause keeps one
_ASIDE = re.compile(r",\s*(?:um+|uh+|erm)\s*,(?P<clause>(?=\s*(?:i|we|they)\s))?", re.IGNORECASE)
_FILLERS = re.compile(
    r"\b(?:um+|uh+|erm|(?:yeah|okay|ok|right) so|so yeah|yeah|so basically|basically|you know|i mean|kind of|sort of|like,"
    r"|what else|oh yeah|lol|tl;?dr:?|(?:so )?on one side|(?:so\s+)?the thing is|to be honest|honestly"
    r"|like(?=\s+(?:about\s+)?(?:[$€£~\d]|(?:a|two|three|four|five|six|seven|eight|nine|ten|twenty|a\s+dozen)\s))"
    r"|for\s+(?:the|my|this)\s+(?:(?:perf(?:ormance)?|self|mid-?year|year-?end|annual|promo(?:tion)?)[\s-]+)?(?:review|packet)\b(?!\s+of\b))"
    r"\s*[,:]?\s*",
    # 'like $240k' is '$240k', 'for like six months' is 'for six months'; 'features like dwell time' stays
    re.IGNORECASE,
)
# notes that open with the why: 'context:', 'some background:', 'context for this one:', 'a bit of history:'
_CONTEXT = re.compile(
    r"^(?:(?:some|for|a\s+bit\s+of)\s+)?(?:context|background|history)(?:\s+for\s+this(?:\s+one)?)?\s*[:-]", re.IGNORECASE
)
# 'and we shipped', 'so I did', 'also: I cut'
_JOINER = re.compile(r"^(?:and|so|then|but|plus|also)(?:\s*[:,]\s*|\s+)", re.IGNORECASE)
# 'I built' -> 'built'; 'this half I pushed' -> 'pushed'
_SUBJECT = re.compile(
    r"^(?:(?:this|last)\s+(?:half|quarter|year|month|sprint|week)\s*,?\s+)?(?:i|we)(?:'ve| have)?\s+(?=\S)", re.IGNORECASE
)
# a chat message's greeting ('hey all, just fyi') and a commit message's type ('feat(serving): ') say nothing
_OPENER = re.compile(
    r"^(?:slack\s*(?:#[\w-]+)?\s*[,:-]\s*)?(?:@(?:channel|here|team)\s*[,:-]?\s*)?(?:(?:hey|hi|hello)(?:\s+(?:all|team|folks|everyone))?\s*[,!:-]?\s*)?"
    r"(?:heads\s+up\s*[,:!-]?\s*)?(?:quick\s+win(?:\s+to\s+share)?\s*[,:!-]?\s*)?"
    r"(?:(?:two|three|a\s+few|a\s+couple\s+of)\s+things\s*[,:-]\s*)?"
    r"(?:thanks\s+(?:all|everyone|team|folks)(?:\s+for\s+[^,.:;]{1,40})?\s*[,.:;!-]\s*)?(?:(?:just\s+)?fyi\s*[,:-]?\s*)?"
    # 'so quick update for my self review -'
    r"(?:(?:so\s+)?(?:a\s+)?(?:quick\s+)?(?:update|recap|summary)(?:\s+of\s+what\s+(?:i|we)\s+\w+(?:\s+on)?)?"
    r"(?:\s+for\s+(?:my|the)\s+(?:self[\s-]?|perf(?:ormance)?\s+|annual\s+)?review)?\s*[:,-]\s*)?"
    r"(?:(?:weekly|daily|monthly|sprint|status)\s+(?:report|update|summary|recap)\s*(?:[:,-]|\n)[\s-]*)?"  # '> weekly report'
    r"(?:(?:retro|release|standup|stand-up|brag)(?:\s+(?:notes?|doc))?\s*:\s*)?"  # 'retro note: ...', 'standup: ...'
    r"(?:ok(?:ay)?\s+)?(?:anyway\s*[:,-]?\s*)?(?:(?:actual|real)\s+(?:stuff|notes?)\s*[:,-]\s*)?"  # left after an instruction
    # a request for the write-up itself: 'can you help me write this up -', 'my manager asked me to summarize:'
    r"(?:(?:can|could)\s+you\s+help\s+me\s+(?:write|word|phrase)\s+(?:this|it)(?:\s+up)?\s*[—–,:.?!-]*\s*)?"
    r"(?:my\s+(?:manager|boss|lead)\s+asked\s+me\s+to\s+(?:summari[sz]e|write\s+(?:this|it)\s+up)\s*[:,.—–-]?\s*)?",
    re.IGNORECASE,
)
# a link, with what points to it ('see https://wiki/... for details'): an address, not the work
_LINK = re.compile(
    rf"(?:\b(?:see|(?:docs?|details|more)\s+(?:at|in|here))\s+)?{URL.pattern}(?:\s+for\s+(?:details|more|context))?",
    re.IGNORECASE,
)
# 'INFRA-412: Move batch inference ...', 'DATA-918 Dedupe ...' (a colon or a command follows; 'GPT-4 shipped' is no ticket)
_TICKET = re.compile(r"^(?P<key>[A-Z][A-Z0-9]{1,9}-\d{2,}|(?:PR|MR|CL|issue|ticket)\s?#\d{2,})\s*:?\s+(?=[A-Za-z])")
# 'and we shut down 6 pods' -> 'and shut down 6 pods' where the statement opens with the writer's verb ('so we
# sold seats cheaply' tells the background: the subject stays there)
_JOINED_SUBJECT = re.compile(r"\b(?P<joiner>and|then|so)\s+(?P<who>i|we)\s+(?=(?P<word>[a-z]+)\b)", re.IGNORECASE)
_LONE_I = re.compile(r"(?<![\w.'])i(?=\s|'(?:m|ve|d|ll)\b)")  # 'then i set up' -> 'then I set up'
# a word that opens an inner sentence ('... 11.6%. Backtested over 52 wks'): lower case in the middle of one sentence
# when it is an ordinary word (see _ordinary), never a name
_SENTENCE_START = re.compile(r"((?<!\d)[.!?]+\s+)([A-Z][a-z]+(?:-[a-z]+)*)\b")
_ORDINARY = frozenset(
    "this that these those it its we our ours they their the a an there then also now all both no not so but and "
    "after before since which one some most every each here per monthly weekly daily yearly offline online overall "
    "finally".split()
)
_COMMIT_TYPE = re.compile(
    r"^(?:(?:feat|fix|perf|docs|chore|refactor|test|build|ci|style)(?:\([^)]*\))?!?|commit\s+(?:msg|message))\s*:\s*",
    re.IGNORECASE,
)
_IMPERATIVES = frozenset(
    "add fix remove update build make cut move use swap train ship drop migrate replace autoscale dedupe improve "
    "reduce enable rewrite split merge port wire tune switch introduce implement support cache batch quantize prune "
    "distill log track document stream refactor clean rename expose deploy roll launch create set run write speed".split()
)
_IRREGULAR = {
    "build": "built",
    "make": "made",
    "rewrite": "rewrote",
    "run": "ran",
    "write": "wrote",
    "speed": "sped",
    "cut": "cut",
    "set": "set",
}
_DOUBLED = frozenset("ship drop swap log wrap trim".split())  # 'ship' -> 'shipped'
_UNITS = [  # unit shorthand after a number; the figure is the same ('6 wks' and '6 weeks')
    (re.compile(r"(?<=\d)\s?wks?\b", re.IGNORECASE), " weeks"),
    (re.compile(r"(?<=\d)\s?qtrs?\b", re.IGNORECASE), " quarters"),
    (re.compile(r"(?<=\d)\s?(?:hrs?|h)\b", re.IGNORECASE), " hours"),
    (re.compile(r"(?<=\d)\s?mins?\b", re.IGNORECASE), " minutes"),
    # a bare 'm' after a change from hours is minutes ('3h -> 25m'; figures.py reads it so too)
    (re.compile(r"(\d\s?(?:hrs?|h|hours?)\s*(?:->|→|=>|to)\s*~?\s*\d[\d.]*)\s?m\b", re.IGNORECASE), r"\1 minutes"),
    (re.compile(r"(?<=\d)\s?yrs?\b", re.IGNORECASE), " years"),
    (re.compile(r"(?<=[\dA-Za-z])/(?:mo|month)\b", re.IGNORECASE), " a month"),  # '18k/mo', '2 releases/mo'
    (re.compile(r"(?<=[\dA-Za-z])/(?:yr|year)\b", re.IGNORECASE), " a year"),
    (re.compile(r"(?<=[\dA-Za-z])/(?:wk|week)\b", re.IGNORECASE), " a week"),
    (re.compile(r"(?<=[\dA-Za-z])/(?:qtr|quarter)\b", re.IGNORECASE), " a quarter"),
    (re.compile(r"(?<=[\dA-Za-z])/(?:hr|hour)\b", re.IGNORECASE), " an hour"),  # '650 labels/hr'
    (re.compile(r"(?<=[\dA-Za-z])/(?:day)\b", re.IGNORECASE), " a day"),
    (re.compile(r"(?<![\d.,])1 (week|quarter|hour|minute|year)s\b"), r"1 \1"),  # '1hr' -> '1 hour', not '1 hours'
]
# metric and model acronyms notes write in lower case; not inside a path or a name ("/api/orders", "user_ml")
_ACRONYMS = re.compile(
    r"(?<![_.])(?<!\s/)(?<!^/)\b(ctr|cvr|auc|ndcg|wape|mape|rmse|wer|csat|nps|mttr|lstm|tcn|cnn|rnn|gbm|llm|ann|ocr|asr|sql|api|gpu|cpu|ml|ab)\b(?![/_.]\w)"
)
_AMOUNT = r"[$€£]?\d+(?:[.,]\d+)*\s?[A-Za-z%]*(?:\s?/\s?[A-Za-z]+|\s(?:a|per)\s[A-Za-z]+)?"  # '$61k/month', '1.2 s'
_LEVEL_ON = r"[$€£]?\d[\d.,]*\s?%?\s+to\s+[+\-−][$€£]?\d"  # a signed level that a change goes on from: '+22% to +6%'
_REPLACEMENTS = [
    (re.compile(r"\s*(?:->|→|=>|-->)\s*"), " to "),
    (re.compile(r"~\s*"), "about "),
    (re.compile(r"\bw/o\b", re.IGNORECASE), "without"),  # before 'w/': 'w/o an agent' is not 'with o an agent'
    (re.compile(r"\bw/\s*", re.IGNORECASE), "with "),
    (re.compile(r"\bb4\b", re.IGNORECASE), "before"),
    (re.compile(r"\bb/c\b", re.IGNORECASE), "because"),
    (re.compile(r"(?<![\w.])(\d+)\s?(?:h|hrs?)\s?(\d{1,2})\s?(?:m|mins?)(?![A-Za-z])"), r"\1 hours \2 minutes"),  # '1h40m'
    (re.compile(r"(?<=\d)\s?(?:hrs?|h)/wk\b", re.IGNORECASE), " hours per week"),  # '3h/wk'
    (re.compile(r"\bhrs?/wk\b", re.IGNORECASE), "hours per week"),
    (re.compile(r"\.\.\.+|…"), ", "),
    (re.compile(r"\s*<=\s*(?=[$€£]?[\d.])"), " at most "),  # after '->' and '=>' are read: 'p<0.01', 'latency <200ms'
    (re.compile(r"\s*>=\s*(?=[$€£]?[\d.])"), " at least "),
    (re.compile(r"\s*<\s*(?=[$€£]?[\d.])"), " under "),
    (re.compile(r"\s*>\s*(?=[$€£]?[\d.])"), " over "),
    (re.compile(r"\bTODO\b:?", re.IGNORECASE), ""),
    (re.compile(r"\bby\s+\+(?=\d)"), "up by "),  # 'corrected by -3.4%': 'corrected down by 3.4%'
    (re.compile(r"\bby\s+[-−](?=\d[\d.,]*\s?(?:%|pp\b|pts?\b|points\b))"), "down by "),
    # 'CSAT +9 pts', 'logloss -1.8%': a sign standing apart is not prose; a change's signed level stays ('from +22%')
    (re.compile(rf"(?<!\S)(?<!from )(?<!to )\+(?=[$€£]?\d)(?!{_LEVEL_ON})"), "up "),
    (re.compile(rf"(?<!\S)(?<!from )(?<!to )[-−](?=\d[\d.,]*\s?(?:%|pp\b|pts?\b|points\b))(?!{_LEVEL_ON})"), "down "),
    (re.compile(r"\s\+\s"), " and "),  # 'ctr + cvr'
    # 'bill. Before: $61k/month. After: $38k/month': one change, 'bill from $61k/month to $38k/month'
    (
        re.compile(rf"[.,;:]?\s*\bbefore\s*[:=-]\s*({_AMOUNT})\s*[.,;]?\s*\bafter\s*[:=-]\s*({_AMOUNT})", re.IGNORECASE),
        r" from \1 to \2",
    ),
    (re.compile(r"(?:(?<=[.,;])|^)\s*how\s*:\s*", re.IGNORECASE), " by "),  # '..., How: clustering keys'
]
# a change written bare after its metric or a comma ('WAPE 18.4% to 14.9%', ', 14MB to 3MB'): 'from' goes before it
_BARE_CHANGE = re.compile(
    r"(?:(?P<word>[\w@)\]%]+)\s+|(?P<mark>(?<!\d),|[:(])\s*)"
    r"(?=(?:about\s+)?[$€£]?\d[\d.,]*(?:\s?[A-Za-z%]+)?(?:\s+(?:a|per)\s+[A-Za-z]+)?"
    r"\s+to\s+(?:(?:about|under|over)\s+)?[$€£]?\d|[+\-−]" + _LEVEL_ON + ")"
)
_FROM_NAMED = re.compile(r"\bfrom\s+(?:[\w.-]+\s+){0,2}\Z", re.IGNORECASE)  # 'from torch ', 'from python '
# words after which such a pair needs no 'from': a preposition or a qualifier already leads it ('of 5 to 10 people'),
# or a label ('week 2 to 4')
_NO_FROM = frozenset(
    "from to by of on in at for with between and or up down about around roughly nearly approximately under over than "
    "is was were are went dropped rose fell day week month quarter year sprint phase stage step round version v".split()
)
_NOUNS = {
    Category.MODEL_DEVELOPMENT: "model development work",
    Category.ML_SYSTEMS: "ML systems work",
    Category.DATA_FEATURES: "data and feature engineering work",
    Category.MODEL_PERFORMANCE: "model performance work",
    Category.BUSINESS_IMPACT: "business impact work",
    Category.LEADERSHIP: "technical leadership work",
}


LONGEST = 40  # words; the training statements run 15 to 41


def compose(notes: str, category: Category) -> str:
    """One sentence that starts with a past-tense verb and carries the notes' content and figures."""
    return _compose(notes, category)[0]


def left_out(notes: str, category: Category) -> list[str]:
    """The clauses of the notes that :func:`compose` leaves out to keep a long statement short (none holds
    a figure or a quantity in words), as they read in it.

    >>> left_out("context: releases were a manual diff, built a shadow harness, caught 2 regressions", Category.ML_SYSTEMS)
    []
    """
    return _compose(notes, category)[1]


def _compose(notes: str, category: Category) -> tuple[str, list[str]]:
    prose = _prose(notes) or "the work described in the notes"
    text, dropped = _shorten(prose)
    if missing_figures(extract_figures(notes), text):  # the clauses split a figure: keep them all
        text, dropped = prose, []
    verb_first = _SUBJECT.sub("", _JOINER.sub("", text))  # 'so I added ...' -> 'added ...'
    if starts_with_action_verb(verb_first):
        own = _told_changes(_JOINED_SUBJECT.sub(_without_subject, verb_first))
        return f"{own[0].upper()}{own[1:]}.", dropped
    if told := _as_change(text) or _as_active(text):
        return f"{_told_changes(told)}.", dropped
    first = text.split(" ", 1)[0]
    if first[1:].islower() or first == "A":  # 'Moved the model' -> 'moved the model'; 'LTV', 'TorchServe' stay
        text = text[0].lower() + text[1:]
    text = re.sub(r"(?<!\d\d):\s+", ", ", text)  # one colon per sentence: 'distillation: 60% fewer labels', 'v7: ...'
    return f"Delivered {_NOUNS[category]}: {text}.", dropped


# what precedes the first figure: a name may hold digits ('recall@20', 'p99'), a figure may not
_MOVED = re.compile(r"(?P<subject>[A-Za-z][^,;:()—–]{1,60}?)\s+(?P<way>up|down)\s+(?:by\s+)?")  # 'recall up '
_OPENING_CHANGE = re.compile(r"(Raised|Cut) [^,]* (?:from|by) ")  # a statement that opens with a change (_as_change)
_POINTS = re.compile(r"\s?(?:pts?|pp|points?|percent)\b", re.IGNORECASE)  # a change's unit spelled after it
_QUALIFIED = r"(?:(?:about|around|under|over|nearly)\s+)?"
# 'CER ', 'p99 from about '
_FROM = re.compile(rf"(?P<subject>[A-Za-z][^,;:()—–]{{1,60}}?)\s+(?:from\s+)?(?P<qualifier>{_QUALIFIED})")
_MOTION = re.compile(
    r"\s+(?:went|goes|dropped|drops|fell|falls|rose|rises|grew|grows|jumped|jumps|climbed|climbs|shrank|shrinks)"
    r"(?:\s+(?:up|down))?\Z",
    re.IGNORECASE,
)
_PAIRED = re.compile(rf"(?:\s+(?:a|per)\s+[A-Za-z]+)?\s+to\s+{_QUALIFIED}")  # '12 a week to 3', '5 hours to under 1'
# a word that may be a verb of its own ('queue wait dropped ...', 'orders went up 3%')
_ACTION = re.compile(r"[a-z]+ed|went|grew|rose|fell|came|saw|did|does|do", re.IGNORECASE)
# notes that open with what was done to a thing, and how: 'image search cold start fixed by warming caches',
# 'card fraud gbm retrained with focal loss' ('labels found by analysts' names who, not how: no match)
_PASSIVE = re.compile(
    r"(?P<thing>[A-Za-z][\w@/-]*(?:\s+[\w@/-]+){0,4}?)\s+(?P<verb>[a-z]+(?:-[a-z]+)?)\s+"
    r"(?P<how>(?:by|after)\s+(?=[a-z]+ing\b)|(?:with|via|using|through)\s+)"
)
# words that make the opening something other than a thing ('so I partnered with', 'every file uploaded by')
_NOT_A_THING = frozenset(
    "i we they he she it this that so and then but was were is are be been got get kept had has have now every all "
    "each some any most team everyone someone nobody people".split()
)
_PASSIVE_IRREGULAR = frozenset("built rebuilt made remade sped".split())  # not 'set' or 'cut': 'eval set with'


def _without_subject(m: re.Match[str]) -> str:
    """'and we shut down' -> 'and shut down', in a statement that opens with the writer's own verb."""
    mine = m["who"].lower() == "i" or m["joiner"].lower() == "and"
    return f"{m['joiner']} " if mine and starts_with_action_verb(m["word"]) else m[0]


def _as_change(text: str) -> str | None:
    """Notes that open with a metric and its change, told with a verb: 'cold start recall up 12% with content
    tower' -> 'Raised cold start recall by 12% with content tower'; 'CER 9.1% to 4.7% on receipts' -> 'Cut CER
    from 9.1% to 4.7% on receipts'. None for notes that open otherwise."""
    told = _change(text)
    if told is None or " - " in told[1]:  # 'ensemble for risk model - AUC 0.79 -> 0.88': the dash ends the work
        return None
    return f"{'Raised' if told[0] else 'Cut'} {told[1]} {told[2]}"


def _change(text: str, moved: bool = False) -> tuple[bool, str, str] | None:
    """For a text that opens with a metric and its change ('recall up 12% ...', 'CER 9.1% to 4.7% ...', and
    with ``moved`` 'p99 went from 180 ms to 35 ms ...'): whether it went up, the metric, and the rest as a verb
    of change goes on ('by 12% ...', 'from 9.1% to 4.7% ...'). None for a text that opens otherwise."""
    figures = extract_figures(text)
    if not figures:
        return None
    first, head = figures[0], text[: figures[0].start]
    if (m := _MOVED.fullmatch(head)) and (first.unit or _POINTS.match(text, first.end)):  # not 'shut down 6 of 10 pods'
        return m["way"] == "up", m["subject"], f"by {text[first.start :]}"
    m = _FROM.fullmatch(head)
    subject = m["subject"] if m else ""
    if moved:  # 'p99 went from 180 ms ...': the metric is 'p99'
        subject = _MOTION.sub("", subject)
    if subject.split(" ", 1)[0].lower() in _ORDINARY:  # 'The eval suite went from ...': 'Cut the eval suite ...'
        subject = subject[0].lower() + subject[1:]
    if (
        m
        and subject.split()[-1].lower() not in _NO_FROM  # 'team of 5 to 10', 'went from 5 to 10': no metric
        and len(figures) > 1
        and _PAIRED.fullmatch(text[first.end : figures[1].start])
    ):
        values = comparable_values(first, figures[1])  # '6 hours to 40 minutes' goes down
        if values is None or values[0] == values[1] or counts_something(text, figures[1]):
            return None  # 'annotators 200 to 650 labels an hour': what changed comes after, not before
        return values[1] > values[0], subject, f"from {m['qualifier']}{text[first.start :]}"
    return None


def _told_changes(text: str) -> str:
    """The clauses after the first that give a metric and its change with no verb get one, for a text that
    opens with its verb: 'Set up the scheduler, utilization from 38% to 71%' -> 'Set up the scheduler, raising
    utilization from 38% to 71%'; so does a change told with 'went' or 'dropped', the result of the writer's
    verb ('inference went from 90ms to 22ms' -> 'cutting inference from 90ms to 22ms'), unless 'and' joins it;
    right after a change the same way, 'and' does ('Raised precision from 0.62 to 0.71, and recall from 0.48
    to 0.55')."""
    clauses = text.split(", ")
    room = LONGEST - len(text.split())  # a long text that was cut to fit gets no more words
    opening = _OPENING_CHANGE.match(text)
    last = None if opening is None else opening.group(1).lower() == "raised"  # the way the clause before went
    for i, clause in enumerate(clauses[1:], start=1):
        joiner = "and " if clause.startswith("and ") else ""
        told = _change(clause[len(joiner) :], moved=not joiner)  # 'and NDCG went up from ...' keeps its verb
        words = told[1].split() if told else []
        if told is None or not words or starts_with_action_verb(words[0]) or any(_not_a_metric(w) for w in words):
            last = None
            continue
        if room < 1:
            break
        verb = "and " if told[0] == last else f"{joiner}{'raising' if told[0] else 'cutting'} "
        clauses[i] = f"{verb}{told[1]} {told[2]}"
        room -= 1 if verb != joiner else 0
        last = told[0]
    return ", ".join(clauses)


def _not_a_metric(word: str) -> bool:
    """A word that makes a clause's opening more than a metric's name: a pronoun, a verb ('dropped', 'went'), a dash."""
    return word.lower() in _NOT_A_THING or bool(_ACTION.fullmatch(word)) or word == "-"


def _as_active(text: str) -> str | None:
    """Notes that open with a thing, a past-tense verb done to it and how: 'image search cold start fixed by
    warming caches' -> 'Fixed image search cold start by warming caches'. None for notes that open otherwise."""
    m = _PASSIVE.match(text)
    if not m or any(w.lower() in _NOT_A_THING for w in m["thing"].split()) or extract_figures(m["thing"]):
        return None
    verb = m["verb"]
    if not (verb.endswith("ed") or verb in _PASSIVE_IRREGULAR) or not starts_with_action_verb(verb):
        return None
    return f"{verb[0].upper()}{verb[1:]} {m['thing']} {text[m.start('how') :]}"


def _shorten(text: str) -> tuple[str, list[str]]:
    """Over ``LONGEST`` words: the background of notes that open with it ('context: ...', up to the first clause
    that opens with a past-tense verb), then the last clauses, as long as they hold no quantity, until it
    fits. The text kept, and the clauses left out."""
    clauses = text.split(", ")
    if len(text.split()) <= LONGEST or len(clauses) < 2:
        return text, []
    start = 0
    if _CONTEXT.match(clauses[0]):  # up to the first clause that opens with a past-tense verb, not joined on
        verbs = (i for i, c in enumerate(clauses) if not _JOINER.match(c) and starts_with_action_verb(_SUBJECT.sub("", c)))
        lead = next(verbs, 0)
        while start < lead and not holds_quantity(clauses[start]):
            start += 1
    dropped, kept = clauses[:start], clauses[start:]
    kept[0] = _JOINER.sub("", kept[0])
    end = len(kept)
    while end > 1 and sum(len(c.split()) for c in kept[:end]) > LONGEST and not holds_quantity(kept[end - 1]):
        end -= 1
    return ", ".join(kept[:end]), dropped + kept[end:]


def _prose(notes: str) -> str:
    """The notes as one run of prose: fillers, openers and shorthand gone, figures as written."""
    text = re.sub(r"\(\s*\)", "", _LINK.sub("", clean_notes(notes)))  # a link in brackets leaves none
    text = re.sub(r":?; ", ", ", text)  # 'results:' on a line of its own, then the results
    letters = [c for c in text if c.isalpha()]
    if len(letters) > 12 and sum(c.isupper() for c in letters) > 0.8 * len(letters):
        text = text.lower()  # shouted notes; the acronym pass below writes 'CTR' and 'GPU' in capitals again
    text = _FILLERS.sub("", _ASIDE.sub(_aside, text))
    text = re.sub(r"\s+(?=[,;:!?]|\.(?!\d))", "", text)  # 'button lol. one click': no space left before the stop
    text = _OPENER.sub("", text)
    key = ""  # a ticket's key ('INFRA-412') leads the notes: the work comes first, the key last, in brackets
    ticket = _TICKET.match(text)
    if ticket and (":" in ticket[0] or text[ticket.end() :].split(" ", 1)[0].lower() in _IMPERATIVES):
        key, text = ticket["key"], _past_tense(text[ticket.end() :])
    elif commit := _COMMIT_TYPE.match(text):
        text = _past_tense(text[commit.end() :])
    text = UNRELATED.sub(lambda m: "and " if m["joined"] else " ", text)
    for pattern, replacement in _REPLACEMENTS + _UNITS:
        text = pattern.sub(replacement, text)
    text = _ACRONYMS.sub(lambda m: m.group(1).upper(), _LONE_I.sub("I", text))
    text = _BARE_CHANGE.sub(_from_before, text)
    # One sentence: inner full stops (not decimal points) become commas.
    text = _SENTENCE_START.sub(lambda m: m[1] + (m[2].lower() if _ordinary(m[2], text) else m[2]), text)
    text = re.sub(r"(?<!\d)[.!?]+\s+|[.!?]+(?=\s|$)", ", ", text)
    text = re.sub(r"\s*,(?:\s*,)+\s*", ", ", text)  # ", ," between two numbers must not glue them: "0, 1"
    text = re.sub(r"\s+", " ", text).strip(" ,;:")
    text = re.sub(r"([(\[]) | (?=[)\]])", r"\1", text)  # '(<1 minute' read as '( under 1 minute'
    return f"{text} ({key})" if key and text else text or key


def _aside(m: re.Match[str]) -> str:
    """What ', um,' leaves: a comma before a new clause ('scripts, um, I moved'), unless a joining word already
    opens it ('so, um, I shipped', 'and, um, I mentored'); else nothing ('so I, uh, built')."""
    joined = re.search(r"\b(?:and|so|but|then|or)\Z", m.string[: m.start()], re.IGNORECASE)
    return "," if m["clause"] is not None and not joined else ""


def _from_before(m: re.Match[str]) -> str:
    """'from' before a change its metric or a comma leads: 'WAPE from 18.4% to 14.9%', ', from 14MB to 3MB'."""
    if m["mark"]:
        return f"{m['mark']}from " if m["mark"] == "(" else f"{m['mark']} from "
    if m["word"].lower() in _NO_FROM - {"went"}:  # 'went 9.4% to 7.1%' is 'went from 9.4% to 7.1%'
        return m[0]
    if _FROM_NAMED.search(m.string, 0, m.start()):  # 'from torch 1.13 to 2.1' has its 'from'
        return m[0]
    return f"{m['word']} from "


def _ordinary(word: str, text: str) -> bool:
    """Whether ``word``, capitalized at the start of an inner sentence, is an ordinary word rather than a name:
    a past tense or '-ing' form, a word such as 'This' or 'Our', or one the notes also write in lower case."""
    lower = word.lower()
    first = lower.split("-", 1)[0]  # 'Region-level': 'region'
    return (
        lower.endswith(("ed", "ing"))
        or first in _ORDINARY
        or any(re.search(rf"\b{re.escape(w)}\b", text) is not None for w in {lower, first})
    )


def _past_tense(text: str) -> str:
    """'add onboarding guide' -> 'added onboarding guide': a commit message's imperative, told as done."""
    word, _, rest = text.partition(" ")
    verb = word.lower()
    if verb not in _IMPERATIVES:
        return text
    if verb in _IRREGULAR:
        past = _IRREGULAR[verb]
    elif verb in _DOUBLED:
        past = verb + verb[-1] + "ed"
    else:
        past = verb + ("d" if verb.endswith("e") else "ed")
    return f"{past} {rest}".strip()
