"""The vendors' documented example payloads in tests/payloads (sources in payloads/SOURCES.md).

Datadog documents its webhook bodies as templates of `$VARIABLES`; `datadog()` fills one the way
Datadog does at delivery time, with the example values its Webhooks integration page gives for
each variable (`DATADOG_EXAMPLES`), overridden per test where a scenario needs other values.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads"

# From the variables table of Datadog's Webhooks integration page, where it shows an example.
# $ID, $LAST_UPDATED, $ORG_ID, $ORG_NAME, $HOSTNAME and $TAGS have no example there; the values
# below are only illustrative ($LAST_UPDATED is epoch milliseconds like $DATE).
DATADOG_EXAMPLES = {
    "AGGREG_KEY": "9bd4ac313a4d1e8fae2482df7b77628",
    "ALERT_ID": "1234",
    "ALERT_METRIC": "system.load.1",
    "ALERT_PRIORITY": "P1",
    "ALERT_SCOPE": "availability-zone:us-east-1a, role:computing-node",
    "ALERT_STATUS": "system.load.1 over host:my-host was > 0 at least once during the last 1m",
    "ALERT_TITLE": "[Triggered on {host:ip-012345}] Host is Down",
    "ALERT_TRANSITION": "Triggered",
    "ALERT_TYPE": "error",
    "DATE": "1406662672000",
    "EVENT_MSG": "@webhook-url Sending to the webhook",
    "EVENT_TITLE": "[Triggered] [Memory Alert]",
    "EVENT_TYPE": "metric_alert_monitor",
    "PRIORITY": "normal",
    "ID": "1234567",
    "LAST_UPDATED": "1406662672000",
    "ORG_ID": "11023",
    "ORG_NAME": "Example Org",
    "HOSTNAME": "ip-012345",
    "TAGS": "monitor, role:computing-node",
}
_VARIABLE = re.compile(r"\$([A-Z_]+)")


def load(name: str) -> Any:
    """One payload file, decoded."""
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


def datadog(template: str, **values: str) -> dict[str, Any]:
    """Fill a Datadog payload template as Datadog does, from the examples and `values`."""
    variables = DATADOG_EXAMPLES | values

    def fill(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: fill(value) for key, value in node.items()}
        if isinstance(node, str):
            return _VARIABLE.sub(lambda m: variables[m.group(1)], node)
        return node

    filled: dict[str, Any] = fill(load(template))
    return filled
