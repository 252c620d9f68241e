"""Schedules (courier groups, cron orchestrations) and sensors (new files in a courier's landing folder)."""

from amperity_pipelines.schedules.courier_sensors import courier_sensor
from amperity_pipelines.schedules.cron import courier_group_schedule, orchestration_schedule, tenant_schedules

__all__ = ["courier_group_schedule", "courier_sensor", "orchestration_schedule", "tenant_schedules"]
