"""Sending results to destinations: data templates, file formats, atomic multi-part file exports."""

from amperity_pipelines.destinations.errors import DestinationError, ExportError, TemplateError
from amperity_pipelines.destinations.export import ExportResult, write_export
from amperity_pipelines.destinations.templates import apply_template

__all__ = ["DestinationError", "ExportError", "ExportResult", "TemplateError", "apply_template", "write_export"]
