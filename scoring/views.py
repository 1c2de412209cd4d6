"""The economic report page for leads and admins: key figures and its charts."""

import base64

from django.shortcuts import render
from django.views.decorators.http import require_GET

from casework.views.access import lead_required
from scoring.charts import CHARTS, report_charts
from scoring.forms import ReportFilterForm
from scoring.selectors_reports import economic_report_for


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
        request, "scoring/reports.html", {"form": form, "report": report, "charts": charts}
    )
