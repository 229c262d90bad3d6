import pytest
from django.core.exceptions import ValidationError

from minhu.orgs.models import Unit, UnitKind
from minhu.routing import location
from minhu.routing.location import (
    locate,
    match_text,
    point_in_polygon,
    strip_suffix,
    validate_polygon,
)
from minhu.routing.models import GridArea, Place, PlaceKind


@pytest.fixture(autouse=True)
def fresh_gazetteer():
    location.clear_cache()
    yield
    location.clear_cache()


def test_strip_suffix():
    assert strip_suffix("东街道") == "东街道"  # "东" alone would be too short
    assert strip_suffix("和平街道") == "和平"
    assert strip_suffix("幸福里社区") == "幸福里"
    assert strip_suffix("王家村") == "王家"
    assert strip_suffix("柳河镇") == "柳河"


def test_unit_names_with_and_without_suffix(org):
    m = match_text("西一社区门口的垃圾没人清运")
    assert (m.community_id, m.street_id, m.grid_id) == (org.community2.pk, org.street2.pk, None)
    Unit.objects.create(name="和平街道", code="hp", kind=UnitKind.STREET, parent=org.district)
    location.clear_cache()
    m = match_text("和平辖区内路面塌陷")
    assert m.street_id == Unit.objects.get(code="hp").pk and m.matched == ["和平"]


def test_place_with_alias_resolves_to_its_grid_and_ancestors(org):
    Place.objects.create(
        name="阳光花园小区", kind=PlaceKind.ESTATE, grid=org.grid1, aliases="阳光花园，老纺织厂宿舍"
    )
    for text in ("阳光花园小区3号楼下水道堵塞", "老纺织厂宿舍停电", "阳光花园北门"):
        m = match_text(text)
        assert (m.grid_id, m.community_id, m.street_id) == (
            org.grid1.pk,
            org.community1.pk,
            org.street1.pk,
        ), text
    assert match_text("阳光花园小区3号楼").matched == ["阳光花园小区"]  # longest match


def test_longest_match_wins(org):
    Place.objects.create(name="人民路", kind=PlaceKind.ROAD, area=org.street2)
    Place.objects.create(name="人民路小学", kind=PlaceKind.POI, grid=org.grid1)
    m = match_text("人民路小学门口占道经营")
    assert m.grid_id == org.grid1.pk and m.matched[0] == "人民路小学"
    m = match_text("人民路中段井盖缺失")
    assert m.street_id == org.street2.pk and m.grid_id is None


def test_ambiguous_name_confirmed_by_another_hit(org):
    Place.objects.create(name="中心花园", kind=PlaceKind.POI, grid=org.grid1)
    Place.objects.create(name="中心花园", kind=PlaceKind.POI, grid=org.grid2)
    # Alone it is ambiguous between two streets: nothing certain.
    assert not match_text("中心花园噪音扰民").found
    # The street name tells which one.
    m = match_text("西街道中心花园噪音扰民")
    assert m.grid_id == org.grid2.pk and m.street_id == org.street2.pk


def test_contradicting_hits_are_ignored(org):
    Place.objects.create(name="幸福小区", kind=PlaceKind.ESTATE, grid=org.grid1)
    m = match_text("西一社区的居民反映幸福小区门口积水")
    # Two unambiguous hits in different streets: the more specific one wins; the other is not
    # mixed in.
    assert m.grid_id == org.grid1.pk and m.street_id == org.street1.pk
    assert "西一社区" not in m.matched


def test_inactive_places_are_not_matched(org):
    Place.objects.create(name="旧货市场", kind=PlaceKind.POI, grid=org.grid1, active=False)
    assert not match_text("旧货市场门口拥堵").found


def test_gazetteer_rebuilds_after_a_place_is_added(org):
    assert not match_text("金色家园漏水").found
    Place.objects.create(name="金色家园", kind=PlaceKind.ESTATE, grid=org.grid2)
    assert match_text("金色家园漏水").grid_id == org.grid2.pk


SQUARE = [[118.0, 32.0], [118.01, 32.0], [118.01, 32.01], [118.0, 32.01]]


def test_point_in_polygon():
    assert point_in_polygon(118.005, 32.005, SQUARE)
    assert not point_in_polygon(118.02, 32.005, SQUARE)
    assert point_in_polygon(118.0, 32.005, SQUARE)  # on an edge
    concave = [[0, 0], [4, 0], [4, 4], [2, 1], [0, 4]]
    assert point_in_polygon(1, 1, concave)
    assert not point_in_polygon(2, 3, concave)  # in the notch


def test_validate_polygon():
    assert validate_polygon(SQUARE + [SQUARE[0]]) == SQUARE  # closing point dropped
    for bad in ([], [[1, 2], [3, 4]], [[1, 2], [3], [5, 6]], [[200, 0], [1, 1], [2, 2]], "x"):
        with pytest.raises(ValueError):
            validate_polygon(bad)
    area = GridArea(polygon=[[1, 1]])
    with pytest.raises(ValidationError):
        area.clean()


def test_coordinates_to_grid_with_polygons(org):
    GridArea.objects.create(grid=org.grid1, polygon=SQUARE)
    # A bigger grid overlapping it: the smallest polygon containing the point wins.
    GridArea.objects.create(
        grid=org.grid2, polygon=[[117.9, 31.9], [118.1, 31.9], [118.1, 32.1], [117.9, 32.1]]
    )
    area = GridArea.objects.get(grid=org.grid1)
    assert (area.min_lng, area.max_lat) == (118.0, 32.01)
    assert location.grid_at(118.005, 32.005) == org.grid1.pk
    assert location.grid_at(118.05, 32.05) == org.grid2.pk
    assert location.grid_at(119.0, 33.0) is None
    # Coordinates take precedence over the text.
    m = locate(address="西一社区", latitude=32.005, longitude=118.005)
    assert (m.grid_id, m.community_id, m.street_id, m.source) == (
        org.grid1.pk,
        org.community1.pk,
        org.street1.pk,
        "polygon",
    )
    # Outside every polygon: the text decides.
    m = locate(address="西一社区", latitude=40.0, longitude=116.0)
    assert m.community_id == org.community2.pk and m.source == "text"


def test_distance():
    assert location.distance_m(32.0, 118.0, 32.0, 118.0) == 0
    assert location.distance_m(32.0, 118.0, 32.001, 118.0) == pytest.approx(111.2, abs=0.5)
