"""Business metrics by store, flow, channel and carrier, as CloudWatch embedded-metric (EMF) records.

The few-valued breakdowns (channel, flow, carrier, status, kind) are CloudWatch dimensions: the dashboard and the
alarms read them. The store is different: a dimension per store makes one custom metric per store and name, which a
deployment with thousands of stores pays for every month. So every record carries the store as a property (CloudWatch
Logs Insights filters and sums by it at no metric cost), and the store becomes a dimension too only when the
deployment asks (`MetricsPerStore=true`, env `METRICS_PER_STORE`): each figure is then written twice, once across
stores, once for the store. The exact per-store figures a store owner reads live in the daily counters (reports).
"""

import os

from aws_lambda_powertools import single_metric
from aws_lambda_powertools.metrics import MetricUnit

NAMESPACE = "Proativo"


def per_store() -> bool:
    return os.environ.get("METRICS_PER_STORE", "false").lower() == "true"


def record(name: str, store_id: str, value: float = 1, unit: MetricUnit = MetricUnit.Count, **dimensions: str) -> None:
    """Write one EMF record of `name` broken down by `dimensions`, the store kept as a property (and as a dimension
    when the deployment asks)."""
    sets = [dimensions, {**dimensions, "store": store_id}] if per_store() else [dimensions]
    for dims in sets:
        with single_metric(name=name, unit=unit, value=value, namespace=NAMESPACE) as metric:
            for key, dim in dims.items():
                metric.add_dimension(name=key, value=dim or "none")
            metric.add_metadata(key="store_id", value=store_id)
