"""The economic report drawn as PNG charts, server-side with matplotlib.

Figures are built on the Agg canvas directly, never through pyplot, so rendering keeps no
global state and is safe in a threaded web server. Nothing here reads the database: every
number comes from an EconomicReport (scoring/selectors_reports.py).
"""

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from scoring.selectors_reports import EconomicReport

ACTION_COLOURS = {"approve": "#4aa56a", "reject": "#d9584f", "review": "#e0a030"}
SIZE = (9, 3.6)
DPI = 100
MAX_TICKS = 12
CHARTS = {
    "cumulative": "Cumulative cost against approve-all",
    "mix": "Decision mix",
    "costs": "Cost breakdown",
    "breaches": "Budget breaches and holds",
    "scores": "Fraud probability and OOD score by decision",
    "queue": "Review queue size and age",
}


def _figure() -> Figure:
    figure = Figure(figsize=SIZE, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _period_axis(ax, report: EconomicReport, periods: list[str]) -> None:
    step = max(1, -(-len(periods) // MAX_TICKS))
    ticks = list(range(0, len(periods), step))
    ax.set_xticks(ticks)
    ax.set_xticklabels([periods[i] for i in ticks], rotation=30, ha="right", fontsize=8)
    ax.set_xlabel(report.period_unit)


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
    handles = ax.get_legend_handles_labels()
    more = age.get_legend_handles_labels()
    ax.legend(handles[0] + more[0], handles[1] + more[1], loc="upper left", fontsize=8)
    ax.set_title(CHARTS["queue"], fontsize=11)
    _period_axis(ax, report, [r["period"] for r in rows])
    return _png(figure)


def report_charts(report: EconomicReport) -> dict[str, bytes]:
    """Every chart of the report as PNG bytes, by the name of its CSV table."""
    return {
        "cumulative": chart_cumulative(report),
        "mix": chart_mix(report),
        "costs": chart_costs(report),
        "breaches": chart_breaches(report),
        "scores": chart_scores(report),
        "queue": chart_queue(report),
    }
