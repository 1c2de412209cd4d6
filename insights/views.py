"""The economic report page for leads and admins: key figures and its charts."""

import base64

from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.access import lead_required
from insights.charts import CHARTS, report_charts
from insights.forms import ReportFilterForm
from insights.reports import economic_report_for


@lead_required
@require_GET
def reports_page(request):
    form = ReportFilterForm(request.GET or None)
    report = economic_report_for(days=form.days_or_default())
    charts = [
        {
            "name": name,
            "title": CHARTS[name],
            "src": "data:image/png;base64," + base64.b64encode(png).decode(),
        }
        for name, png in report_charts(report).items()
    ]
    return render(
        request, "insights/reports.html", {"form": form, "report": report, "charts": charts}
    )
