"""The active evaluation configuration (or the model's defaults when none is active)."""

from __future__ import annotations

from .models import EvaluationConfig


def active_config() -> EvaluationConfig:
    config = EvaluationConfig.objects.filter(active=True).first()
    return config if config is not None else EvaluationConfig(name="默认考核规则")
