"""Every registered admin is tenant-safe: a staff user of A never sees or changes B's rows."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin.filters import RelatedFieldListFilter
from django.forms import ModelChoiceField
from django.test import RequestFactory
from django.urls import reverse

from accounts.admin_base import SuperuserOnlyMixin, TenantAdmin
from accounts.models import Membership, Organization, Role
from accounts.selectors import organization_id_of
from tests.factories import organization_make, user_make
from tests.tenant_rows import TENANT_ROW_BUILDERS

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
TENANT_ADMINS = [(m, a) for m, a in REGISTERED if isinstance(a, TenantAdmin)]


def _ids(items):
    return [model._meta.label for model, _ in items]


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def world():
    """Two organisations with a row of every tenant model each, and a manager of A."""
    a, b = organization_make("Alpha"), organization_make("Beta")
    rows = {
        model: {"a": builder(a), "b": builder(b)} for model, builder in TENANT_ROW_BUILDERS.items()
    }
    return {"a": a, "b": b, "rows": rows, "manager_a": user_make(a, role=Role.MANAGER)}


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED, ids=_ids(REGISTERED))
def test_every_registered_admin_is_tenant_scoped_or_superuser_only(model, model_admin):
    assert isinstance(model_admin, TenantAdmin | SuperuserOnlyMixin), (
        f"{model._meta.label} is registered with {type(model_admin).__name__}: derive it from "
        "accounts.admin_base.TenantAdmin (tenant rows) or SuperuserOnlyMixin (cross-tenant)."
    )
    if isinstance(model_admin, TenantAdmin):
        assert model in TENANT_ROW_BUILDERS, f"add a builder for {model._meta.label}"


@pytest.mark.parametrize(("model", "model_admin"), TENANT_ADMINS, ids=_ids(TENANT_ADMINS))
def test_changelist_shows_only_own_rows(client, world, model, model_admin):
    client.force_login(world["manager_a"])
    response = client.get(_url(model, "changelist"))
    assert response.status_code == 200
    shown = {obj.pk for obj in response.context["cl"].result_list}
    assert world["rows"][model]["a"].pk in shown
    assert world["rows"][model]["b"].pk not in shown
    for spec in response.context["cl"].filter_specs:
        if isinstance(spec, RelatedFieldListFilter):
            offered = {pk for pk, _ in spec.lookup_choices}
            foreign = {
                obj.pk
                for obj in spec.field.related_model._default_manager.all()
                if organization_id_of(obj) == world["b"].pk
            }
            assert not offered & foreign, f"list filter {spec.field_path} leaks {offered & foreign}"


@pytest.mark.parametrize(("model", "model_admin"), TENANT_ADMINS, ids=_ids(TENANT_ADMINS))
@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_other_tenants_object_urls_are_404(client, world, model, model_admin, view):
    client.force_login(world["manager_a"])
    other = world["rows"][model]["b"]
    assert client.get(_url(model, view, other.pk)).status_code == 404
    assert client.post(_url(model, view, other.pk), {"post": "yes"}).status_code == 404
    assert model._default_manager.filter(pk=other.pk).exists()
    own = world["rows"][model]["a"]
    allowed = view != "delete" or model_admin.has_delete_permission(
        _request(world["manager_a"]), own
    )
    assert client.get(_url(model, view, own.pk)).status_code == (200 if allowed else 403)


@pytest.mark.parametrize(("model", "model_admin"), TENANT_ADMINS, ids=_ids(TENANT_ADMINS))
def test_form_dropdowns_offer_only_own_rows(client, world, model, model_admin):
    client.force_login(world["manager_a"])
    response = client.get(_url(model, "change", world["rows"][model]["a"].pk))
    forms = [response.context["adminform"].form] + [
        form for formset in response.context["inline_admin_formsets"] for form in formset.formset
    ]
    for form in forms:
        for name, field in form.fields.items():
            # An inline's hidden pk field resolves only within the parent, so it cannot leak.
            if isinstance(field, ModelChoiceField) and name != form._meta.model._meta.pk.name:
                leaked = [obj for obj in field.queryset if _belongs_to(obj, world["b"])]
                assert not leaked, f"{form.__class__.__name__}.{name} offers {leaked}"


@pytest.mark.parametrize(("model", "model_admin"), TENANT_ADMINS, ids=_ids(TENANT_ADMINS))
def test_search_used_by_autocomplete_is_scoped(world, model, model_admin):
    request = RequestFactory().get("/")
    request.user = world["manager_a"]
    queryset, _ = model_admin.get_search_results(request, model_admin.get_queryset(request), "")
    assert world["rows"][model]["b"].pk not in set(queryset.values_list("pk", flat=True))


@pytest.mark.parametrize(("model", "model_admin"), TENANT_ADMINS, ids=_ids(TENANT_ADMINS))
def test_delete_action_cannot_reach_other_tenant(client, world, model, model_admin):
    if "delete_selected" not in model_admin.get_actions(_request(world["manager_a"])):
        pytest.skip(f"{model._meta.label} offers no delete action")
    client.force_login(world["manager_a"])
    other = world["rows"][model]["b"]
    client.post(
        _url(model, "changelist"),
        {"action": "delete_selected", "_selected_action": [other.pk], "post": "yes"},
    )
    assert model._default_manager.filter(pk=other.pk).exists()


def test_member_views_but_cannot_change(client, world):
    member = user_make(world["a"], role=Role.MEMBER)
    client.force_login(member)
    membership = world["rows"][Membership]["a"]
    assert client.get(_url(Membership, "changelist")).status_code == 200
    assert client.get(_url(Membership, "change", membership.pk)).status_code == 200
    response = client.post(
        _url(Membership, "change", membership.pk),
        {"user": membership.user_id, "organization": world["a"].pk, "role": Role.OWNER},
    )
    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.role == Role.MEMBER


def test_manager_cannot_grant_owner(client, world):
    client.force_login(world["manager_a"])
    membership = world["rows"][Membership]["a"]
    response = client.post(
        _url(Membership, "change", membership.pk),
        {"user": membership.user_id, "organization": world["a"].pk, "role": Role.OWNER},
    )
    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.role == Role.MEMBER


def test_manager_cannot_move_row_into_other_tenant(client, world):
    client.force_login(world["manager_a"])
    membership = world["rows"][Membership]["a"]
    response = client.post(
        _url(Membership, "change", membership.pk),
        {"user": membership.user_id, "organization": world["b"].pk, "role": Role.MEMBER},
    )
    assert response.status_code == 200  # the form comes back with an error
    assert "organization" in response.context["adminform"].form.errors
    membership.refresh_from_db()
    assert membership.organization_id == world["a"].pk


def test_staff_without_organisation_sees_nothing(client, world):
    loner = user_make(None)
    client.force_login(loner)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert response.context["app_list"] == []
    assert client.get(_url(Organization, "changelist")).status_code == 403


@pytest.mark.parametrize(
    "label", ["django_q.schedule", "django_q.success", "django_q.failure", "django_q.ormq"]
)
def test_task_queue_screens_are_superuser_only(client, world, label):
    app_label, model_name = label.split(".")
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    client.force_login(world["manager_a"])
    assert client.get(url).status_code == 403
    client.force_login(user_make(None, superuser=True))
    assert client.get(url).status_code == 200


def test_schedule_cannot_run_arbitrary_function(client, world):
    client.force_login(user_make(None, superuser=True))
    response = client.post(
        reverse("admin:django_q_schedule_add"),
        {
            "name": "evil",
            "func": "os.system",
            "args": "'rm -rf /'",
            "schedule_type": "O",
            "repeats": "-1",
            "next_run_0": "2030-01-01",
            "next_run_1": "00:00:00",
        },
    )
    assert response.status_code == 200
    assert "func" in response.context["adminform"].form.errors
    from django_q.models import Schedule

    assert not Schedule.objects.filter(name="evil").exists()


def _belongs_to(obj, organization) -> bool:
    from django.contrib.auth import get_user_model

    if isinstance(obj, get_user_model()):
        return not obj.memberships.exclude(organization=organization).exists()
    return organization_id_of(obj) == organization.pk


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request
