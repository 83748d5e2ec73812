"""Knowledge tracing: the models (`bkt`, `logistic`, `deep`) behind one interface
(`base.KnowledgeTracer`) and the per-student state they keep (`base.TracingState`)."""

from adaptive.tracing.base import KnowledgeTracer, TracingState

__all__ = ["KnowledgeTracer", "TracingState"]
