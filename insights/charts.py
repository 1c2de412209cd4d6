"""The economic report drawn as PNG charts, server-side with matplotlib.

Figures are built on the Agg canvas directly, never through pyplot, so rendering keeps no
global state and is safe in a threaded web server. Nothing here reads the database: every
number comes from an EconomicReport (insights/reports.py).
"""

import io
from datetime import datetime, timedelta

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, PercentFormatter
from matplotlib.transforms import blended_transform_factory

from insights.reports import EconomicReport
from scoring.policy import CAPACITY_KNEE

ACTION_COLOURS = {"approve": "#4aa56a", "reject": "#d9584f", "review": "#e0a030"}
SIZE = (9, 3.6)
TALL = (9, 5.4)
DPI = 100
MAX_TICKS = 12
CHARTS = {
    "cumulative": "Cumulative cost against approve-all",
    "mix": "Decision mix",
    "costs": "Cost breakdown",
    "breaches": "Budget breaches and holds",
    "scores": "Fraud probability and OOD score by decision",
    "queue": "Review queue size and age",
    "reviews_per_day": "Reviews opened per day against capacity",
    "prices": "Constraint prices over time",
}
# Up to this many days, each bar of reviews per day is labelled with its count and capacity.
LABELLED_DAYS = 14
# Fewer bars than this are drawn at the width they would have among this many.
MIN_BAR_SLOTS = 7
# Spacings of the ticks on a time axis: the shortest that keeps to MAX_TICKS ticks is used.
TICK_SPACINGS = [
    *(timedelta(minutes=m) for m in (1, 2, 5, 10, 15, 30)),
    *(timedelta(hours=h) for h in (1, 2, 3, 6, 12)),
    *(timedelta(days=d) for d in (1, 2, 7, 14, 28, 56, 91, 182)),
]


def _figure(size: tuple[float, float] = SIZE) -> Figure:
    figure = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _period_axis(ax, report: EconomicReport, periods: list[str], xlabel: str = "") -> None:
    try:
        ticks, labels = _time_ticks([datetime.fromisoformat(p) for p in periods])
    except ValueError:  # not times: a replay's blocks of returns
        ticks = list(range(0, len(periods), max(1, -(-len(periods) // MAX_TICKS))))
        labels = [periods[i] for i in ticks]
    ax.set_xticks(ticks)
    ax.set_xticklabels(labels, rotation=30, ha="right", fontsize=8)
    ax.set_xlabel(
        xlabel or f"periods of {report.period_unit}{' (UTC)' if report.source == 'live' else ''}"
    )


def _time_ticks(times: list[datetime]) -> tuple[list[int], list[str]]:
    """Ticks on round times (on the hour, at midnight), each labelled with its time of day and,
    where the day changes, its date."""
    if len(times) < 2:
        return list(range(len(times))), [t.strftime("%d %b") for t in times]
    step = times[1] - times[0]
    span = times[-1] - times[0] + step
    spacing = next(
        (
            t
            for t in TICK_SPACINGS
            if t >= step and t % step == timedelta(0) and span / t <= MAX_TICKS
        ),
        TICK_SPACINGS[-1],
    )
    first_midnight = times[0].replace(hour=0, minute=0, second=0, microsecond=0)
    ticks = [i for i, t in enumerate(times) if (t - first_midnight) % spacing == timedelta(0)]
    labels, previous = [], None
    for i in ticks:
        if spacing >= timedelta(days=1):
            labels.append(times[i].strftime("%d %b"))
        elif previous is None or times[i].date() != previous.date():
            labels.append(times[i].strftime("%d %b %H:%M"))
        else:
            labels.append(times[i].strftime("%H:%M"))
        previous = times[i]
    return ticks, labels


def _counts_axis(ax, label: str) -> None:
    ax.set_ylabel(label)
    ax.set_ylim(bottom=0, top=max(ax.get_ylim()[1], 1))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _empty(ax, text: str) -> None:
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True, color="#5f6368")


def _footnote(figure: Figure, text: str) -> None:
    # supxlabel, unlike free text, gets room from the constrained layout; "$" would start
    # mathtext.
    figure.supxlabel(text.replace("$", r"\$"), fontsize=7.5, color="#5f6368")


def chart_cumulative(report: EconomicReport) -> bytes:
    figure = _figure()
    ax = figure.subplots()
    rows = report.cumulative
    if not report.returns:
        _empty(ax, "No decisions in this period.")
        return _png(figure)
    x = range(len(rows))
    ax.plot(x, [r["cumulative_cost"] for r in rows], label="this policy", color="#1a56b0", lw=2)
    ax.plot(
        x,
        [r["cumulative_approve_all_cost"] for r in rows],
        label="approve all",
        color="#d9584f",
        lw=1.5,
        ls="--",
    )
    ax.set_ylabel("cumulative cost ($)")
    ax.set_title(CHARTS["cumulative"], fontsize=11)
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    _period_axis(ax, report, [r["period"] for r in rows])
    _footnote(figure, report.basis)
    return _png(figure)


def chart_mix(report: EconomicReport) -> bytes:
    figure = _figure()
    ax = figure.subplots()
    rows = report.mix
    if not report.returns:
        _empty(ax, "No decisions in this period.")
        return _png(figure)
    x = range(len(rows))
    bottom = [0] * len(rows)
    for action, colour in ACTION_COLOURS.items():
        counts = [r[action] for r in rows]
        ax.bar(x, counts, bottom=bottom, color=colour, label=action, width=0.85)
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    _counts_axis(ax, "returns")
    ax.set_title(CHARTS["mix"], fontsize=11)
    ax.legend(loc="upper left", fontsize=8)
    _period_axis(ax, report, [r["period"] for r in rows])
    return _png(figure)


def chart_costs(report: EconomicReport) -> bytes:
    figure = _figure()
    ax = figure.subplots()
    if not report.returns:
        _empty(ax, "No decisions in this period.")
        return _png(figure)
    rows = list(reversed(report.costs))
    y = range(len(rows))
    known = [r["known"] for r in rows]
    estimated = [r["estimated"] for r in rows]
    ax.barh(y, known, color="#1a56b0", label="known (label, or a review)")
    ax.barh(
        y,
        estimated,
        left=known,
        color="#9db8e0",
        hatch="//",
        edgecolor="#1a56b0",
        label="estimated (expected loss, no label)",
    )
    for i, row in enumerate(rows):
        ax.text(row["total"], i, f"  \\${row['total']:,.0f} ({row['returns']:,})", va="center")
    ax.set_yticks(list(y))
    ax.set_yticklabels([r["label"] for r in rows], fontsize=9)
    ax.set_xlabel("cost ($)")
    ax.margins(x=0.25)
    ax.set_title(CHARTS["costs"], fontsize=11)
    ax.legend(loc="lower right", fontsize=8)
    _footnote(figure, report.basis)
    return _png(figure)


def chart_breaches(report: EconomicReport) -> bytes:
    figure = _figure()
    ax = figure.subplots()
    rows = report.breaches
    x = range(len(rows))
    series = {
        "budget_exceeded": ("customer budget breaches", "#e0a030"),
        "portfolio_budget_exceeded": ("portfolio budget breaches", "#8a4b00"),
        "stopped_by_hold": ("returns stopped by a hold", "#9c1f18"),
        "holds_placed": ("holds placed", "#5b2a99"),
    }
    for key, (label, colour) in series.items():
        if rows and key in rows[0]:
            ax.plot(x, [r[key] for r in rows], label=label, color=colour, marker=".", lw=1.5)
    if rows and "holds_active" in rows[0]:
        ax.plot(x, [r["holds_active"] for r in rows], label="holds active", color="#202124", ls=":")
    _counts_axis(ax, "count per period")
    ax.set_title(CHARTS["breaches"], fontsize=11)
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    _period_axis(ax, report, [r["period"] for r in rows])
    return _png(figure)


def chart_scores(report: EconomicReport) -> bytes:
    figure = _figure()
    left, right = figure.subplots(1, 2)
    actions = [a for a, s in report.score_samples.items() if len(s["probability"])]
    if not actions:
        _empty(left, "No decisions in this period.")
        right.set_axis_off()
        return _png(figure)
    for ax, key, title in (
        (left, "probability", "model's fraud probability"),
        (right, "ood_score", "OOD score"),
    ):
        box = ax.boxplot(
            [report.score_samples[a][key] for a in actions],
            tick_labels=actions,
            patch_artist=True,
            showfliers=False,
        )
        for patch, action in zip(box["boxes"], actions, strict=True):
            patch.set_facecolor(ACTION_COLOURS[action])
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3, axis="y")
    if report.ood_threshold is not None:
        right.axhline(report.ood_threshold, color="#5b2a99", ls="--", lw=1, label="OOD threshold")
        right.legend(fontsize=8)
    figure.suptitle(CHARTS["scores"], fontsize=11)
    return _png(figure)


def chart_queue(report: EconomicReport) -> bytes:
    figure = _figure()
    ax = figure.subplots()
    rows = report.queue
    if not rows:
        _empty(ax, report.queue_note or "No review queue to show.")
        return _png(figure)
    x = range(len(rows))
    ax.bar(x, [r["open_cases"] for r in rows], color="#9db8e0", label="open cases", width=0.85)
    _counts_axis(ax, "open cases at period end")
    age = ax.twinx()
    age.plot(x, [r["oldest_age_hours"] for r in rows], color="#d9584f", label="oldest (hours)")
    age.plot(x, [r["median_age_hours"] for r in rows], color="#1a56b0", label="median (hours)")
    if report.sla_hours:
        age.axhline(report.sla_hours, color="#d9584f", ls=":", lw=1, label="SLA")
    age.set_ylabel("age of open cases (hours)")
    age.set_ylim(bottom=0)
    _legend(ax, age)
    ax.set_title(CHARTS["queue"], fontsize=11)
    _period_axis(ax, report, [r["period"] for r in rows])
    return _png(figure)


def chart_reviews_per_day(report: EconomicReport) -> bytes:
    figure = _figure()
    ax = figure.subplots()
    rows = report.reviews_per_day
    if not rows or not report.returns:
        _empty(ax, report.reviews_per_day_note or "No decisions in this period.")
        return _png(figure)
    x = np.arange(len(rows))
    opened = [r["cases_opened"] for r in rows]
    capacity = [r["capacity"] for r in rows]
    full = [o >= c for o, c in zip(opened, capacity, strict=True)]
    ax.bar(x, opened, color=["#d9584f" if f else "#e0a030" for f in full], width=0.7)
    ax.hlines(capacity, x - 0.45, x + 0.45, color="#202124", lw=2)
    pad = max(0, MIN_BAR_SLOTS - len(rows)) / 2
    ax.set_xlim(-0.5 - pad, len(rows) - 0.5 + pad)
    if len(rows) <= LABELLED_DAYS:
        for i, (o, c) in enumerate(zip(opened, capacity, strict=True)):
            ax.annotate(
                f"{o:,} of {c:,}",
                (i, max(o, c)),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                fontsize=8,
            )
    _counts_axis(ax, "review cases opened")
    ax.set_ylim(top=max([*opened, *capacity, 1]) * 1.35)  # room for the legend above the bars
    handles = [
        Patch(color="#e0a030", label="cases opened"),
        *([Patch(color="#d9584f", label="cases opened, day full")] if any(full) else []),
        ax.plot([], [], color="#202124", lw=2, label="the day's capacity")[0],
    ]
    ax.legend(handles=handles, loc="upper left", fontsize=8, ncols=len(handles))
    ax.set_title(CHARTS["reviews_per_day"], fontsize=11)
    _period_axis(
        ax,
        report,
        [r["day"] for r in rows],
        xlabel="day (UTC)" if report.source == "live" else "day of the replay",
    )
    _footnote(
        figure,
        "A return that joins its customer's open case opens no case and is not counted.",
    )
    return _png(figure)


def chart_prices(report: EconomicReport) -> bytes:
    rows = report.prices
    if not any(r["decisions_priced"] for r in rows):
        figure = _figure()
        _empty(
            figure.subplots(),
            report.prices_note if report.returns else "No decisions in this period.",
        )
        return _png(figure)
    figure = _figure(TALL)
    portfolio, review = figure.subplots(2, 1, sharex=True)
    x = np.arange(len(rows))

    def series(key: str) -> np.ndarray:
        return np.array([np.nan if r[key] is None else r[key] for r in rows], dtype=float)

    portfolio.bar(
        x, series("portfolio_priced_share"), color="#e6d3b8", width=0.85, label="share priced"
    )
    portfolio.yaxis.set_major_formatter(PercentFormatter(1.0))
    portfolio.set_ylim(0, 1)
    portfolio.set_ylabel("decisions priced\nby the portfolio")
    lam = portfolio.twinx()
    lam.plot(x, series("lambda_max"), color="#8a4b00", marker=".", lw=1.5, label="λ max")
    lam.plot(x, series("lambda_mean"), color="#e0a030", marker=".", lw=1.5, label="λ mean")
    lam.set_ylim(bottom=0, top=max(lam.get_ylim()[1], 0.5))
    lam.set_ylabel("λ (approve × (1 + λ))")
    if not any(r["portfolio_priced"] for r in rows):
        portfolio.text(
            0.5,
            0.5,
            "No decision was priced by a portfolio budget.",
            transform=portfolio.transAxes,
            ha="center",
            va="center",
            color="#5f6368",
        )
    _legend(portfolio, lam)
    portfolio.set_title("Portfolio budget: λ of the decisions it priced", fontsize=10)

    capacity = series("capacity")
    used = series("capacity_used") / np.where(capacity > 0, capacity, np.nan)
    review.bar(x, used, color="#9db8e0", width=0.85, label="capacity used")
    review.axhline(float(CAPACITY_KNEE), color="#1a56b0", ls=":", lw=1, label="price rises past")
    review.yaxis.set_major_formatter(PercentFormatter(1.0))
    review.set_ylim(0, 1.05)
    review.set_ylabel("day's review capacity\nused (highest)")
    price = review.twinx()
    full = [r["review_price"] == "full" for r in rows]
    price.plot(
        x,
        [
            np.nan if f or r["review_price"] is None else r["review_price"]
            for r, f in zip(rows, full, strict=True)
        ],
        color="#d9584f",
        marker=".",
        lw=1.5,
        label="review price (highest)",
    )
    if any(full):
        price.plot(
            x[full],
            [0.97] * sum(full),
            transform=blended_transform_factory(price.transData, price.transAxes),
            color="#9c1f18",
            marker="v",
            ls="none",
            label="full: no review opens",
        )
    price.set_ylim(bottom=0, top=max(price.get_ylim()[1], report.review_cost * 2))
    price.set_ylabel("review price ($)")
    _legend(review, price)
    review.set_title("Review capacity: the price of a review", fontsize=10)
    _period_axis(review, report, [r["period"] for r in rows])
    figure.suptitle(CHARTS["prices"], fontsize=11)
    if report.prices_note:
        _footnote(figure, report.prices_note)
    return _png(figure)


def _legend(ax, twin) -> None:
    handles, labels = ax.get_legend_handles_labels()
    more, more_labels = twin.get_legend_handles_labels()
    ax.legend(handles + more, labels + more_labels, loc="upper left", fontsize=8)


def report_charts(report: EconomicReport) -> dict[str, bytes]:
    """Every chart of the report as PNG bytes, by the name of its CSV table."""
    return {
        "cumulative": chart_cumulative(report),
        "mix": chart_mix(report),
        "costs": chart_costs(report),
        "breaches": chart_breaches(report),
        "scores": chart_scores(report),
        "queue": chart_queue(report),
        "reviews_per_day": chart_reviews_per_day(report),
        "prices": chart_prices(report),
    }
