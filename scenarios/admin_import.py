"""Importing a scenario file from the admin: the `import_scenarios` command's reader, checks and
import (`loader.parse_documents`, `services.scenarios_import_plan` / `scenarios_import`), with a
dry run in between.

Why the file waits in the session between the dry run and the confirmation: the confirmation
must import exactly what the author previewed, and nothing the browser sends back can be
trusted to be that. Echoing the file in a hidden field would put the author's browser (or
anything that can post as them) in charge of the content; asking for the file again would
let a different file slip in after the preview of the first. So the upload is kept
server-side, in the author's own session (database-backed, tied to their login, capped at
`MAX_UPLOAD_BYTES`), under a random token that the confirmation form echoes: a confirmation
from an older preview tab, after a newer upload replaced the pending file, is refused. At
confirmation the kept text is parsed and validated again against the scenarios as they are
now, and the plan is compared with the one the author read (its fingerprint): if a stored
scenario changed in between, the author sees the new plan instead of an import they did not
review. The import itself is the command's, all or nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import PurePath

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse

from scenarios.exceptions import ScenarioImportError
from scenarios.loader import ScenarioFileError, line_of, parse_documents, path_parts
from scenarios.services import ImportPlan, scenarios_import, scenarios_import_plan

# The whole bundled library (15 scenarios) is about 45 KB: a megabyte is a few hundred
# scenarios, and small enough to keep in a session row until the author confirms.
MAX_UPLOAD_BYTES = 1024 * 1024
ALLOWED_SUFFIXES = (".yaml", ".yml", ".json")
# What browsers send for those files (an unknown type comes as octet-stream or nothing); a type
# that says the file is something else (an image, a PDF, an archive) is refused unread.
ALLOWED_CONTENT_TYPES = frozenset(
    {
        "",
        "application/octet-stream",
        "application/json",
        "application/x-json",
        "application/yaml",
        "application/x-yaml",
        "text/yaml",
        "text/x-yaml",
        "text/json",
        "text/plain",
    }
)
SESSION_KEY = "scenarios.pending_import"


class ScenarioUploadForm(forms.Form):
    file = forms.FileField(
        label="Scenario file",
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ALLOWED_SUFFIXES)}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            "A .yaml, .yml or .json file of one scenario or a list of them, up to "
            f"{filesizeformat(MAX_UPLOAD_BYTES)}."
        )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = PurePath(upload.name or "").name
        if not name.lower().endswith(ALLOWED_SUFFIXES):
            raise ValidationError(
                "“%(name)s” is not a scenario file: choose a .yaml, .yml or .json file.",
                code="suffix",
                params={"name": name},
            )
        content_type = (upload.content_type or "").split(";")[0].strip().lower()
        if content_type not in ALLOWED_CONTENT_TYPES:
            raise ValidationError(
                "“%(name)s” was sent as %(type)s, not as YAML or JSON text.",
                code="content_type",
                params={"name": name, "type": content_type},
            )
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                "“%(name)s” is %(size)s; the limit is %(limit)s. Split it into several files.",
                code="too_big",
                params={
                    "name": name,
                    "size": filesizeformat(upload.size),
                    "limit": filesizeformat(MAX_UPLOAD_BYTES),
                },
            )
        raw = upload.read(MAX_UPLOAD_BYTES + 1)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = None
        if text is None or "\x00" in text:
            raise ValidationError(
                "“%(name)s” is not text in UTF-8, so it cannot be YAML or JSON.",
                code="not_text",
                params={"name": name},
            )
        return UploadedText(name, text)


@dataclass(frozen=True)
class UploadedText:
    name: str
    text: str


@dataclass(frozen=True)
class ProblemRow:
    """One problem as the author looks for it: which document, which field, which line."""

    position: int | None  # 1-based place in the file's list; None for a one-scenario file
    scenario: str
    path: str
    line: int | None
    message: str


def problem_rows(error: ScenarioImportError, text: str) -> list[ProblemRow]:
    rows = []
    for problem in error.problems:
        prefix = [] if problem.index is None else [problem.index]
        rows.append(
            ProblemRow(
                position=None if problem.index is None else problem.index + 1,
                scenario=problem.scenario,
                path=problem.path,
                line=line_of(text, prefix + path_parts(problem.path)),
                message=problem.message,
            )
        )
    return rows


def file_problem_rows(error: ScenarioFileError) -> list[ProblemRow]:
    return [ProblemRow(None, "the whole file", "", error.line, error.message)]


def _check_permission(model_admin, request) -> None:
    """Importing creates and changes scenarios: both permissions, not just staff status."""
    if not (model_admin.has_add_permission(request) and model_admin.has_change_permission(request)):
        raise PermissionDenied


def _context(model_admin, request, **extra) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "max_upload": filesizeformat(MAX_UPLOAD_BYTES),
        **extra,
    }


def _plan(text: str, name: str) -> tuple[ImportPlan | None, list[ProblemRow], list]:
    """The dry run of a file's text: (plan, [], documents) or (None, problems, [])."""
    try:
        documents = parse_documents(text, source=name)
        return scenarios_import_plan(documents=documents), [], documents
    except ScenarioFileError as error:
        return None, file_problem_rows(error), []
    except ScenarioImportError as error:
        return None, problem_rows(error, text), []


def upload_view(model_admin, request):
    """GET: the upload form. POST: read and check the file; a valid one waits in the session
    for the author's confirmation, an invalid one is refused whole, every problem listed."""
    _check_permission(model_admin, request)
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    problems: list[ProblemRow] = []
    file_name = None
    if request.method == "POST":
        form = ScenarioUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            file_name = upload.name
            plan, problems, _documents = _plan(upload.text, upload.name)
            if plan is not None:
                request.session[SESSION_KEY] = {
                    "token": secrets.token_urlsafe(16),
                    "name": upload.name,
                    "text": upload.text,
                }
                return redirect("admin:scenarios_scenario_import_preview")
    else:
        form = ScenarioUploadForm()
    return TemplateResponse(
        request,
        "scenarios/admin/import.html",
        _context(
            model_admin,
            request,
            title="Import scenarios",
            form=form,
            problems=problems,
            file_name=file_name,
        ),
        status=400 if request.method == "POST" else 200,
    )


def preview_view(model_admin, request):
    """GET: the dry run of the pending file against the scenarios as they are now.
    POST: the author's confirmation, which imports the pending file if the plan they read is
    still the plan (see the module's docstring)."""
    _check_permission(model_admin, request)
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    pending = request.session.get(SESSION_KEY)
    if not isinstance(pending, dict) or not {"token", "name", "text"} <= set(pending):
        messages.info(request, "Choose a scenario file to import first.")
        return redirect("admin:scenarios_scenario_import")

    plan, problems, documents = _plan(pending["text"], pending["name"])
    if request.method == "POST" and plan is not None:
        if request.POST.get("token") != pending["token"]:
            messages.warning(
                request,
                "That preview was replaced by a newer upload. Check this one before importing.",
            )
            return redirect("admin:scenarios_scenario_import_preview")
        if request.POST.get("plan") != plan.fingerprint:
            messages.warning(
                request,
                "The stored scenarios changed since you read the preview. "
                "Here is what the import would do now.",
            )
            return redirect("admin:scenarios_scenario_import_preview")
        try:
            result = scenarios_import(documents=documents)
        except ScenarioImportError as error:  # changed in the instant between the two checks
            plan, problems = None, problem_rows(error, pending["text"])
        else:
            del request.session[SESSION_KEY]
            unchanged = len(plan.unchanged)
            messages.success(
                request,
                f"Imported {pending['name']}: {len(result.created)} created, "
                f"{len(result.updated) - unchanged} updated, {unchanged} unchanged.",
            )
            for warning in result.warnings:
                messages.warning(request, warning)
            return redirect("admin:scenarios_scenario_changelist")

    return TemplateResponse(
        request,
        "scenarios/admin/import_preview.html",
        _context(
            model_admin,
            request,
            title=f"Import {pending['name']}: what would change",
            file_name=pending["name"],
            plan=plan,
            problems=problems,
            token=pending["token"],
        ),
        status=200 if plan is not None else 409,
    )
