"""The service layer: what the CLI and the HTTP API both call. Plain Python, no CLI and
no HTTP: train, evaluate, recommend for a user, explain, and the batch export."""

from tailorwise.service.evaluation import DefaultComparison, compare_with_baseline, evaluate_model
from tailorwise.service.recommending import (
    ExportReport,
    explain,
    export_recommendations,
    recommend_for_user,
)
from tailorwise.service.training import TrainedModel, load_trained, train

__all__ = [
    "DefaultComparison",
    "ExportReport",
    "TrainedModel",
    "compare_with_baseline",
    "evaluate_model",
    "explain",
    "export_recommendations",
    "load_trained",
    "recommend_for_user",
    "train",
]
