"""Plane geometry of grid boundaries (pure functions, no models): validating a polygon and
testing whether a point lies in it. routing.models validates with it, routing.location
locates with it."""

from __future__ import annotations

from django.utils.translation import gettext as _


def validate_polygon(polygon) -> list[list[float]]:
    """[[lng, lat], ...] with at least three points inside the valid ranges; raises ValueError."""
    if not isinstance(polygon, list | tuple) or len(polygon) < 3:
        raise ValueError(_("边界至少需要三个点，格式为 [[经度, 纬度], ...]"))
    points = []
    for p in polygon:
        if not isinstance(p, list | tuple) or len(p) != 2:
            raise ValueError(_("每个点应为 [经度, 纬度]"))
        try:
            lng, lat = float(p[0]), float(p[1])
        except (TypeError, ValueError):
            raise ValueError(_("经纬度应为数字"))
        if not (-180 <= lng <= 180 and -90 <= lat <= 90):
            raise ValueError(_("经纬度超出范围"))
        points.append([lng, lat])
    if points[0] == points[-1]:
        points = points[:-1]
    if len(points) < 3:
        raise ValueError(_("边界至少需要三个点，格式为 [[经度, 纬度], ...]"))
    return points


def point_in_polygon(lng: float, lat: float, polygon: list[list[float]]) -> bool:
    """Ray casting; points on an edge count as inside."""
    inside = False
    n = len(polygon)
    j = n - 1
    for i in range(n):
        xi, yi = polygon[i]
        xj, yj = polygon[j]
        # On the edge?
        cross = (lng - xi) * (yj - yi) - (lat - yi) * (xj - xi)
        if (
            abs(cross) < 1e-12
            and min(xi, xj) - 1e-12 <= lng <= max(xi, xj) + 1e-12
            and min(yi, yj) - 1e-12 <= lat <= max(yi, yj) + 1e-12
        ):
            return True
        if (yi > lat) != (yj > lat):
            x_at = (xj - xi) * (lat - yi) / (yj - yi) + xi
            if lng < x_at:
                inside = not inside
        j = i
    return inside
