"""The six competencies, their subcategories, and where their numbers usually live."""

from __future__ import annotations

from enum import Enum


class Category(str, Enum):
    """A competency id. The values are fixed: review tools and users depend on them."""

    MODEL_DEVELOPMENT = "model_development"
    ML_SYSTEMS = "ml_systems"
    DATA_FEATURES = "data_features"
    MODEL_PERFORMANCE = "model_performance"
    BUSINESS_IMPACT = "business_impact"
    LEADERSHIP = "leadership"

    @property
    def title(self) -> str:  # type: ignore[override]
        return TITLES[self]

    @property
    def subcategories(self) -> tuple[str, str]:
        return SUBCATEGORIES[self]


TITLES: dict[Category, str] = {
    Category.MODEL_DEVELOPMENT: "Model Development & Research",
    Category.ML_SYSTEMS: "ML Systems & MLOps",
    Category.DATA_FEATURES: "Data & Feature Engineering",
    Category.MODEL_PERFORMANCE: "Model Performance & Optimization",
    Category.BUSINESS_IMPACT: "Business & Product Impact",
    Category.LEADERSHIP: "Technical Leadership & Collaboration",
}

SUBCATEGORIES: dict[Category, tuple[str, str]] = {
    Category.MODEL_DEVELOPMENT: ("Model Architecture & Training", "Experimentation & Research"),
    Category.ML_SYSTEMS: ("Production Deployment & Serving", "Monitoring & Reliability"),
    Category.DATA_FEATURES: ("Feature Engineering", "Data Quality & Pipelines"),
    Category.MODEL_PERFORMANCE: ("Accuracy & Quality Improvements", "Latency & Cost Optimization"),
    Category.BUSINESS_IMPACT: ("Product Integration", "Revenue & User Metrics"),
    Category.LEADERSHIP: ("Cross-team ML Enablement", "Mentorship & Standards"),
}

# Where the missing number for this kind of work usually lives (used when the notes have none).
WHERE_TO_FIND_FIGURES: dict[Category, str] = {
    Category.MODEL_DEVELOPMENT: (
        "check your experiment tracker (MLflow, W&B) for the metric before and after, "
        "and the training logs for data size and GPU hours"
    ),
    Category.ML_SYSTEMS: (
        "check the monitoring dashboards for latency, error rate and uptime before and after, "
        "and the deploy history for release counts and lead time"
    ),
    Category.DATA_FEATURES: (
        "check the pipeline run history for runtimes and row counts, the data-quality reports "
        "for issues caught, and the experiment tracker for the accuracy the features added"
    ),
    Category.MODEL_PERFORMANCE: (
        "check the experiment tracker for the metric before and after, the serving dashboards "
        "for p50/p99 latency and throughput, and cloud billing for the cost change"
    ),
    Category.BUSINESS_IMPACT: (
        "ask the product team for the A/B test results (lift, conversion, revenue) and check "
        "the analytics dashboards for usage before and after launch"
    ),
    Category.LEADERSHIP: (
        "count the teams, models or people who adopted the work, the time it saved per week, "
        "and the incidents or review cycles before and after"
    ),
}
