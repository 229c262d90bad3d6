"""The OpenAPI schema says what the responses are: one test per mismatch the schema fuzzing
found (test_schema_fuzz.py checks real responses against the whole schema)."""

import json

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer


@pytest.fixture(scope="module")
def schema():
    raw = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(raw))


def _prop(schema, component, name):
    return schema["components"]["schemas"][component]["properties"][name]


@pytest.mark.parametrize(
    ("component", "field"),
    [
        ("AppealList", "lead_unit"),
        ("AppealList", "category"),
        ("AppealList", "grid"),
        ("AppealDetail", "parent"),
        ("AppealDetail", "registered_by"),
        ("AppealDetail", "collection_point"),
        ("Assignment", "claimed_by"),
        ("Event", "unit"),
        ("FollowUp", "actor"),
        ("Summons", "reported_by"),
        ("RoutingConfig", "updated_at"),
    ],
)
def test_nullable_fields_and_references_are_declared_nullable(schema, component, field):
    assert _prop(schema, component, field).get("nullable") is True


@pytest.mark.parametrize(
    ("component", "field"),
    [
        ("AppealDetail", "satisfaction"),
        ("AppealDetail", "outcome_kind"),
        ("FollowUp", "satisfaction"),
    ],
)
def test_blank_choices_include_the_empty_value(schema, component, field):
    refs = [s.get("$ref", "") for s in _prop(schema, component, field)["oneOf"]]
    assert "#/components/schemas/BlankEnum" in refs


def test_blank_email_is_not_held_to_the_email_format(schema):
    email = _prop(schema, "Me", "email")
    assert {"type": "string", "maxLength": 0} in email["oneOf"]


def _ok(schema, path, method, status):
    return schema["paths"][path][method]["responses"][status]["content"]


@pytest.mark.parametrize(
    ("path", "method", "status"),
    [
        ("/api/v1/evaluation/snapshots/", "get", "200"),
        ("/api/v1/evaluation/nominations/", "get", "200"),
        ("/api/v1/evaluation/nominations/propose/", "post", "201"),
    ],
)
def test_evaluation_lists_are_arrays(schema, path, method, status):
    assert _ok(schema, path, method, status)["application/json"]["schema"]["type"] == "array"


@pytest.mark.parametrize(
    ("path", "method", "status"),
    [
        ("/api/v1/evaluation/rankings/publish/", "post", "201"),
        ("/api/v1/evaluation/nominations/", "post", "201"),
        ("/api/v1/evaluation/supervisions/", "post", "201"),
        ("/api/v1/evaluation/reviews/", "post", "201"),
        ("/api/v1/evaluation/imports/", "post", "201"),
    ],
)
def test_evaluation_creations_answer_201_objects(schema, path, method, status):
    assert _ok(schema, path, method, status)["application/json"]["schema"]["type"] == "object"


@pytest.mark.parametrize(
    ("path", "component"),
    [
        ("/api/v1/routing/hotspots/", "PaginatedHotspotList"),
        ("/api/v1/routing/models/", "PaginatedClassifierModelList"),
        ("/api/v1/routing/dispatch-rules/", "PaginatedDispatchRuleList"),
    ],
)
def test_routing_lists_are_pages(schema, path, component):
    ref = _ok(schema, path, "get", "200")["application/json"]["schema"]["$ref"]
    assert ref == f"#/components/schemas/{component}"
    names = [p["name"] for p in schema["paths"][path]["get"]["parameters"]]
    assert "page" in names and "page_size" in names


def test_ledger_is_an_xlsx_file(schema):
    content = _ok(schema, "/api/v1/evaluation/ledgers/{kind}/", "get", "200")
    assert list(content) == ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]


def test_every_operation_documents_its_errors_with_the_error_body(schema):
    for path, item in schema["paths"].items():
        for method, op in item.items():
            for status in ("400", "401", "403", "404"):
                body = op["responses"][status]["content"]["application/json"]["schema"]
                assert body == {"$ref": "#/components/schemas/Error"}, (method, path, status)
            if method in ("post", "put", "patch", "delete"):
                assert "409" in op["responses"], (method, path)


def test_ids_in_paths_are_64_bit_integers(schema):
    param = next(
        p
        for p in schema["paths"]["/api/v1/appeals/{id}/"]["get"]["parameters"]
        if p["in"] == "path"
    )
    assert param["schema"] == {
        "type": "integer",
        "format": "int64",
        "minimum": 1,
        "maximum": 2**63 - 1,
    }
