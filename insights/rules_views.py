"""The rule editor for leads and admins: write a rule, test-run it over recent decisions, and
publish it live, in shadow, or off; and the allow and block lists rules name."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core.access import lead_required
from insights.forms import (
    ListEntryForm,
    ListUploadForm,
    RuleForm,
    RuleListForm,
    add_service_errors,
)
from insights.services.rule_test_run import rules_test_run
from intake.selectors import attribute_types_declared
from scoring.choices import RuleMode
from scoring.models import ListEntry, Rule, RuleList
from scoring.rules import RuleInvalid, rule_definition_clean
from scoring.selectors import list_fields, rules_all
from scoring.services.lists import (
    list_create,
    list_entries_csv,
    list_entries_upload,
    list_entry_put,
    list_entry_remove,
    list_field_choices,
)
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
        definition=rule_definition_clean(
            form.cleaned_data["definition"],
            lists=list_fields(),
            attribute_types=attribute_types_declared(),
        ),
    )
    return rules_test_run(drafts=[draft], days=form.cleaned_data["days"])


@lead_required
@require_http_methods(["GET", "POST"])
def lists_page(request):
    form = RuleListForm(request.POST or None, field_choices=list_field_choices())
    if request.method == "POST" and form.is_valid():
        try:
            rule_list = list_create(actor=request.user, **form.cleaned_data)
        except RuleInvalid as exc:
            add_service_errors(form, exc.errors, default="name")
        else:
            return redirect("rules:list", list_id=rule_list.pk)
    lists = RuleList.objects.order_by("name")
    return render(request, "insights/lists.html", {"form": form, "lists": lists})


def _list_or_404(list_id) -> RuleList:
    rule_list = RuleList.objects.filter(pk=list_id).first()
    if rule_list is None:
        raise Http404("No such list.")
    return rule_list


@lead_required
@require_http_methods(["GET", "POST"])
def list_page(request, list_id):
    rule_list = _list_or_404(list_id)
    uploading = "_upload" in request.POST
    entry_form = ListEntryForm(None if uploading else request.POST or None)
    upload_form = ListUploadForm(request.POST, request.FILES) if uploading else ListUploadForm()
    form = upload_form if uploading else entry_form
    if request.method == "POST" and form.is_valid():
        try:
            if uploading:
                count = list_entries_upload(
                    actor=request.user, rule_list=rule_list, data=form.cleaned_data["file"].read()
                )
                messages.success(request, f"{count} entries put on {rule_list.name}.")
            else:
                entry = list_entry_put(actor=request.user, rule_list=rule_list, **form.cleaned_data)
                messages.success(request, f"{entry.value} is on {rule_list.name}.")
            return redirect("rules:list", list_id=rule_list.pk)
        except RuleInvalid as exc:
            add_service_errors(form, exc.errors, default="file" if uploading else "value")
    return render(
        request,
        "insights/list.html",
        {
            "rule_list": rule_list,
            "entries": rule_list.entries.select_related("author"),
            "entry_form": entry_form,
            "upload_form": upload_form,
        },
    )


@lead_required
@require_GET
def list_download(request, list_id):
    rule_list = _list_or_404(list_id)
    response = HttpResponse(list_entries_csv(rule_list=rule_list), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="list-{rule_list.pk}.csv"'
    return response


@lead_required
@require_http_methods(["POST"])
def list_entry_remove_view(request, list_id, entry_id):
    entry = ListEntry.objects.filter(pk=entry_id, rule_list_id=list_id).first()
    if entry is None:
        raise Http404("No such entry.")
    list_entry_remove(actor=request.user, entry=entry)
    messages.success(request, f"{entry.value} is off the list.")
    return redirect("rules:list", list_id=list_id)
