"""The rule editor for leads and admins: write a rule, test-run it over recent decisions, and
publish it live, in shadow, or off."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core.access import lead_required
from insights.forms import RuleForm
from insights.services.rule_test_run import rules_test_run
from scoring.choices import RuleMode
from scoring.models import Rule
from scoring.rules import RuleInvalid, rule_definition_clean
from scoring.selectors import rules_all
from scoring.services.rules import rule_name_clean, rule_publish, rule_save

PUBLISH_BUTTONS = {"_live": RuleMode.LIVE, "_shadow": RuleMode.SHADOW, "_off": RuleMode.OFF}


@lead_required
@require_GET
def rules_page(request):
    return render(request, "insights/rules.html", {"rules": rules_all()})


@lead_required
@require_http_methods(["GET", "POST"])
def rule_page(request, rule_id=None):
    rule = None
    if rule_id is not None:
        rule = Rule.objects.filter(pk=rule_id).first()
        if rule is None:
            raise Http404("No such rule.")
    form = RuleForm(request.POST or None, rule=rule)
    test_run = hits = None
    if request.method == "POST" and form.is_valid():
        try:
            if "_test_run" in request.POST:
                test_run = _test_run(form, rule)
                hits = test_run.rule_hits.get(form.cleaned_data["name"].strip(), 0)
            else:
                rule = rule_save(
                    actor=request.user,
                    rule=rule,
                    name=form.cleaned_data["name"],
                    definition=form.cleaned_data["definition"],
                )
                mode = next((m for b, m in PUBLISH_BUTTONS.items() if b in request.POST), None)
                if mode is None:
                    messages.success(request, f"Draft of “{rule.name}” saved; nothing changed.")
                else:
                    version = rule_publish(actor=request.user, rule=rule, mode=mode)
                    rule.refresh_from_db()
                    messages.success(
                        request, f"“{rule.name}” v{rule.version} is {mode} in {version}."
                    )
                return redirect("rules:edit", rule_id=rule.pk)
        except RuleInvalid as exc:
            form.add_rule_errors(exc.errors)
    return render(
        request,
        "insights/rule.html",
        {"form": form, "rule": rule, "test_run": test_run, "hits": hits},
    )


def _test_run(form, rule):
    """The form's rule as a draft over recent decisions; nothing is saved."""
    draft = Rule(
        pk=rule.pk if rule else None,
        version=rule.version if rule else 0,
        name=rule_name_clean(form.cleaned_data["name"]),
        definition=rule_definition_clean(form.cleaned_data["definition"]),
    )
    return rules_test_run(drafts=[draft], days=form.cleaned_data["days"])
