"""Flow definitions are data: YAML files validated here, so a bad flow is refused with its file, step and field."""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from proativo.messaging.kinds import CHANNELS, ChannelName
from proativo.sequences.items import JOURNEY_HISTORY

Purpose = Literal["marketing", "transactional"]


class FlowError(ValueError):
    """A flow file that cannot be used, with where and why."""


class Coupon(BaseModel):
    """A coupon given with a step, unique to its recipient and valid for `valid_for` from the send: generated
    (`prefix` + a code only this message gets; the store's platform must accept the prefix's codes) or drawn from a
    pool of codes the store uploaded (`pool`: `proativo coupons add`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    percent_off: int | None = Field(default=None, ge=1, le=100)
    amount_off: Decimal | None = Field(default=None, gt=0)
    valid_for: timedelta = Field(gt=timedelta(0))
    prefix: str = Field(default="VOLTA", pattern=r"^[A-Z0-9]{2,12}$")
    pool: str | None = Field(default=None, pattern=r"^[a-z0-9_-]{1,40}$")

    @model_validator(mode="after")
    def _one_discount(self) -> "Coupon":
        if (self.percent_off is None) == (self.amount_off is None):
            raise ValueError("give a coupon exactly one of percent_off or amount_off")
        return self


class Step(BaseModel):
    """One message of a flow: sent `delay` after the previous step (the first: after the trigger), or at a signed
    offset from the flow's deadline (`at_deadline: -PT2H` is two hours before a boleto expires)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    delay: timedelta | None = Field(default=None, ge=timedelta(0))
    at_deadline: timedelta | None = None
    channel: ChannelName
    template: str = Field(pattern=r"^[a-z0-9_]+$")
    coupon: Coupon | None = None
    survey: bool = Field(default=False, description="the message carries the 0-10 satisfaction links")

    @model_validator(mode="after")
    def _one_timing(self) -> "Step":
        if (self.delay is None) == (self.at_deadline is None):
            raise ValueError("give a step exactly one of delay or at_deadline")
        return self


class Flow(BaseModel):
    """A journey: which event starts it, what ends it, and its steps."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    version: int = Field(ge=1)
    purpose: Purpose
    trigger: tuple[str, ...] = Field(min_length=1)
    key: Literal["cart_id", "order_id", "tracking_code", "product_id", "step_key", "customer"]
    when: dict[str, tuple[str, ...]] = Field(
        default_factory=dict, description="enter only when each named field of the trigger has one of these values"
    )
    deadline: str | None = Field(default=None, description="the trigger's field that at_deadline steps count from")
    stale_after: timedelta | None = Field(
        default=None, gt=timedelta(0), description="do not enter when the trigger is older than this (old news)"
    )
    group: str | None = Field(
        default=None, description="of the flows of one group a trigger matches, only the highest priority enrols"
    )
    abandoner: Literal["first", "repeat"] | None = Field(
        default=None, description="enter only first-time abandoners, or only those who left another cart lately"
    )
    repeat_window: timedelta = Field(
        default=timedelta(days=30),
        gt=timedelta(0),
        le=JOURNEY_HISTORY,
        description="how recent a journey of the group makes a repeat (ended journeys are kept 400 days)",
    )
    min_total: Decimal | None = Field(default=None, ge=0, description="enter only when the trigger's total is this")
    requires: tuple[str, ...] = Field(
        default=(), description="enter only when each of these context fields has a value (e.g. recommendations)"
    )
    no_repeat_within: timedelta | None = Field(
        default=None,
        gt=timedelta(0),
        le=JOURNEY_HISTORY,
        description="skip a step whose template the customer got this recently (at most 400 days)",
    )
    restart_on_trigger: bool = False
    skip_if_ordered_since_trigger: bool = False
    exit_on: tuple[str, ...] = Field(
        default=(),
        description="what ends the journey: an event type, or type:field=value (SurveyAnswered:rating=detractor)",
    )
    attribution_window: timedelta = timedelta(days=5)
    priority: int = 0
    steps: tuple[Step, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_steps(self) -> "Flow":
        ids = [s.id for s in self.steps]
        if len(set(ids)) != len(ids):
            raise ValueError(f"step ids must be unique, got {ids}")
        if self.deadline is None and any(s.at_deadline is not None for s in self.steps):
            raise ValueError("at_deadline steps need the flow's deadline field")
        if self.abandoner is not None and self.group is None:
            raise ValueError("abandoner needs a group: a repeat is a journey of the same group")
        return self


class FlowFile(BaseModel):
    """The top of a flows YAML file."""

    model_config = ConfigDict(extra="forbid")

    flows: tuple[Flow, ...]


def parse_flows(text: str, source: str) -> tuple[Flow, ...]:
    """Validate the flows in a YAML document; errors name the source, the flow and step, and the field."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FlowError(f"{source}: not valid YAML: {exc}") from None
    try:
        return FlowFile.model_validate(data).flows
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = list(err["loc"])
            where = []
            if len(loc) >= 2 and loc[0] == "flows":
                flow_data = (data or {}).get("flows", [])[loc[1]] if isinstance(loc[1], int) else {}
                where.append(f"flow {flow_data.get('id', loc[1]) if isinstance(flow_data, dict) else loc[1]}")
                loc = loc[2:]
                if len(loc) >= 2 and loc[0] == "steps":
                    where.append(f"step {loc[1]}")
                    loc = loc[2:]
            field = ".".join(str(p) for p in loc) or "(whole)"
            problems.append(f"{', '.join(where) or 'file'}: field {field}: {err['msg']}")
        raise FlowError(f"{source}: " + "; ".join(problems)) from None


@cache
def default_flows() -> tuple[Flow, ...]:
    """The built-in flows shipped with the package."""
    text = resources.files("proativo.sequences").joinpath("defaults.yaml").read_text(encoding="utf-8")
    return parse_flows(text, "proativo/sequences/defaults.yaml")


def load_flows_file(path: Path) -> tuple[Flow, ...]:
    """Validate a store's flows file."""
    return parse_flows(path.read_text(encoding="utf-8"), str(path))


def merge(defaults: tuple[Flow, ...], overrides: tuple[Flow, ...]) -> tuple[Flow, ...]:
    """The flows in force: a store's own definition replaces the built-in one with the same id; new ids add flows."""
    by_id = {f.id: f for f in defaults}
    by_id.update({f.id: f for f in overrides})
    return tuple(by_id.values())


def missing_templates(flows: tuple[Flow, ...], exists: Callable[[str], bool], locales: tuple[str, ...]) -> list[str]:
    """Every template file a flow's steps need that `exists` does not know, as 'flow/step: file'."""
    missing = []
    for flow in flows:
        for step in flow.steps:
            parts = CHANNELS[step.channel].parts
            for locale in locales:
                for part in parts:
                    name = f"{locale}/{step.template}.{part}.j2"
                    if not exists(name):
                        missing.append(f"flow {flow.id}, step {step.id}: no template {name}")
    return missing
