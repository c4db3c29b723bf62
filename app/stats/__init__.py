"""Statistics: summary tables kept by Celery tasks, the bureau's cockpit, broker performance, targets, indicators."""
