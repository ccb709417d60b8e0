"""Shorthand words in notes, spelled out before any model reads them.

Notes jotted in a hurry say 'calib', 'embs' and 'FPs'; a small model reads them poorly (it wrote 'contrastive
adversarial evasion' for 'contrastive embs') and a fallback statement must not copy them. Only whole words
made of letters are spelled out, never one that touches a digit, a slash or an underscore, so figures and
their units ('3h/wk', 'fp16', 'product_id') stay exactly as written. Units and number words are left to the
figure rules (``winrewrite/figures.py``), and words with two common readings ('std', 'ex', 'conv'; 'sim' is
similarity or simulation, 'seg' segment or segmentation) or that are also names ('Val') are left as they are.

>>> expand_shorthand("NER calib + fallback routing... FPs -34%, extraction errs ~halved")
'NER calibration + fallback routing... false positives -34%, extraction errors ~halved'
>>> expand_shorthand("fp16 embs for product_id, 3h/wk")
'fp16 embeddings for product_id, 3h/wk'
>>> expand_shorthand("est. +$1.1M GMV/quarter, done by 9am EST")
'estimated +$1.1M GMV/quarter, done by 9am EST'
"""

from __future__ import annotations

import re

SHORTHAND_WORDS: dict[str, str] = {
    "acc": "accuracy",
    "approx": "approximately",
    "arch": "architecture",
    "aug": "augmentation",
    "avg": "average",
    "calib": "calibration",
    "cfg": "configuration",
    "clf": "classifier",
    "clfs": "classifiers",
    "config": "configuration",
    "dedup": "deduplication",
    "deps": "dependencies",
    "emb": "embedding",
    "embs": "embeddings",
    "env": "environment",
    "envs": "environments",
    "err": "error",
    "errs": "errors",
    "est": "estimated",
    "eval": "evaluation",
    "evals": "evaluations",
    "exp": "experiment",
    "exps": "experiments",
    "expt": "experiment",
    "expts": "experiments",
    "feats": "features",
    "fns": "false negatives",
    "fp": "false positive",
    "fps": "false positives",
    "hyperparam": "hyperparameter",
    "hyperparams": "hyperparameters",
    "img": "image",
    "imgs": "images",
    "impl": "implementation",
    "infra": "infrastructure",
    "init": "initialization",
    "lang": "language",
    "langs": "languages",
    "mgmt": "management",
    "msg": "message",
    "msgs": "messages",
    "param": "parameter",
    "params": "parameters",
    "perf": "performance",
    "pred": "prediction",
    "preds": "predictions",
    "prev": "previous",
    "prod": "production",
    "reco": "recommendation",
    "recos": "recommendations",
    "recs": "recommendations",
    "reqs": "requests",
    "svc": "service",
    "thresh": "threshold",
    "xfmr": "transformer",
}
# a whole word of letters, with no digit, slash, underscore, hyphen or dot joined to it ('fp16', 'h/wk', 'std.dev')
_ACRONYMS = frozenset({"EST"})  # a time zone, not 'est' ('est. $1.1M')
# and the dot of 'est.' or 'approx.' when the sentence goes on ('est. $1.1M', 'approx. 3x'; not 'est. The ...'):
# after other words a dot ends a sentence of notes ('recs. recall@20 0.31->0.37')
_WORD = re.compile(r"(?<![\w/.\-])([A-Za-z]+)(?![\w/\-]|\.\w|\()((?<=est|rox)\.(?=[ \t]+[^A-Z\s]))?")


def expand_shorthand(text: str) -> str:
    """``text`` with each shorthand word of :data:`SHORTHAND_WORDS` spelled out (any case: 'FPs', 'Calib')."""

    def spelled(m: re.Match[str]) -> str:
        word = m.group(1)
        full = SHORTHAND_WORDS.get(word.lower())
        if full is None or word in _ACRONYMS:
            return m.group(0)
        return full[0].upper() + full[1:] if word[0].isupper() and word[1:].islower() else full

    return _MAP.sub("mAP", _WORD.sub(spelled, text))


# 'map' told with a change or a figure is the detection metric, not a map ('map up 7 pts', 'map@50 0.41 -> 0.48')
_MAP = re.compile(
    r"(?<![\w/.\-])map(?=@|\s*[:=]?\s*(?:up\b|down\b|from\s+~?\d|went|rose|fell|improved|[+\-−~]?\d|\.\d))", re.IGNORECASE
)
