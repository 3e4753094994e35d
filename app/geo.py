"""Geographic filters shared by the lists: `near=lat,lon,km` and `bbox=minlon,minlat,maxlon,maxlat`.

An ``Area`` is a bounding box (always: for `near` it is the box around the circle, used as an index
prefilter on lat/lon) and optionally a circle, tested exactly with the haversine formula — in Python for
small tables (``contains``) or in SQL (``condition``: the box on the indexed columns, then haversine with
sin/cos/asin/sqrt, which PostgreSQL and SQLite ≥ 3.35 both have).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query
from sqlalchemy import and_, func, or_

from .errors import BadRequest

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180
MAX_RADIUS_KM = 20_000.0


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Area:
    min_lon: float
    min_lat: float
    max_lon: float  # < min_lon: the box crosses the antimeridian
    max_lat: float
    center: tuple[float, float] | None = None  # (lat, lon) of a `near` circle
    radius_km: float | None = None

    def as_filter(self) -> list[float]:
        """What goes into a cursor's fingerprint."""
        if self.center is not None and self.radius_km is not None:
            return [self.center[0], self.center[1], self.radius_km]
        return [self.min_lon, self.min_lat, self.max_lon, self.max_lat]

    def in_box(self, lat: float, lon: float) -> bool:
        if not self.min_lat <= lat <= self.max_lat:
            return False
        if self.min_lon <= self.max_lon:
            return self.min_lon <= lon <= self.max_lon
        return lon >= self.min_lon or lon <= self.max_lon

    def contains(self, lat: float, lon: float) -> bool:
        if not self.in_box(lat, lon):
            return False
        if self.center is None or self.radius_km is None:
            return True
        return haversine_km(self.center[0], self.center[1], lat, lon) <= self.radius_km

    def condition_box(self, lat: Any, lon: Any) -> Any:
        """SQL: the bounding box on the (indexed) columns."""
        lon_cond = (
            lon.between(self.min_lon, self.max_lon)
            if self.min_lon <= self.max_lon
            else or_(lon >= self.min_lon, lon <= self.max_lon)
        )
        return and_(lat.between(self.min_lat, self.max_lat), lon_cond)

    def condition(self, lat: Any, lon: Any) -> Any:
        """SQL: the box on the (indexed) columns, then the exact distance for a circle."""
        conds = [self.condition_box(lat, lon)]
        if self.center is not None and self.radius_km is not None:
            conds.append(within_km_sql(lat, lon, *self.center, self.radius_km))
        return and_(*conds)


def _haversine_term_sql(lat: Any, lon: Any, lat0: float, lon0: float) -> Any:
    """The haversine term a = sin²(Δφ/2) + cos φ0 cos φ sin²(Δλ/2) in SQL; distance = 2R·asin(√a)."""
    rad = math.pi / 180
    half_dlat = func.sin((lat - lat0) * (rad / 2))
    half_dlon = func.sin((lon - lon0) * (rad / 2))
    return half_dlat * half_dlat + math.cos(lat0 * rad) * func.cos(lat * rad) * half_dlon * half_dlon


def within_km_sql(lat: Any, lon: Any, lat0: float, lon0: float, km: float) -> Any:
    """SQL: great-circle distance <= km, compared on the haversine term (no asin: the term can exceed 1 by
    a rounding error, which PostgreSQL's asin would refuse)."""
    limit = math.sin(min(km / EARTH_RADIUS_KM, math.pi) / 2) ** 2
    return _haversine_term_sql(lat, lon, lat0, lon0) <= limit


def _numbers(raw: str, count: int, name: str) -> list[float]:
    parts = raw.split(",")
    if len(parts) != count:
        raise BadRequest(
            f"{name} takes {count} comma-separated numbers.",
            errors=[{"loc": ["query", name], "msg": "format"}],
        )
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise BadRequest(
            f"{name} takes {count} comma-separated numbers.",
            errors=[{"loc": ["query", name], "msg": "number"}],
        ) from None
    if not all(math.isfinite(v) for v in values):
        raise BadRequest(
            f"{name}: numbers must be finite.", errors=[{"loc": ["query", name], "msg": "finite"}]
        )
    return values


def _check_lat_lon(lat: float, lon: float, name: str) -> None:
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise BadRequest(
            f"{name}: latitude must be in [-90, 90] and longitude in [-180, 180].",
            errors=[{"loc": ["query", name], "msg": "range"}],
        )


def parse_near(raw: str) -> Area:
    lat, lon, km = _numbers(raw, 3, "near")
    _check_lat_lon(lat, lon, "near")
    if not 0 < km <= MAX_RADIUS_KM:
        raise BadRequest(
            f"near: the radius must be in (0, {MAX_RADIUS_KM:g}] km.",
            errors=[{"loc": ["query", "near"], "msg": "range"}],
        )
    dlat = km / KM_PER_DEGREE
    min_lat, max_lat = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    cos_lat = math.cos(math.radians(max(abs(min_lat), abs(max_lat))))
    if max_lat >= 90 or min_lat <= -90 or cos_lat < 1e-9 or km / (KM_PER_DEGREE * cos_lat) >= 180:
        min_lon, max_lon = -180.0, 180.0  # the circle reaches a pole or spans every longitude
    else:
        dlon = km / (KM_PER_DEGREE * cos_lat)
        min_lon, max_lon = lon - dlon, lon + dlon
        if min_lon < -180:
            min_lon += 360
        if max_lon > 180:
            max_lon -= 360
    return Area(min_lon, min_lat, max_lon, max_lat, (lat, lon), km)


def parse_bbox(raw: str) -> Area:
    min_lon, min_lat, max_lon, max_lat = _numbers(raw, 4, "bbox")
    _check_lat_lon(min_lat, min_lon, "bbox")
    _check_lat_lon(max_lat, max_lon, "bbox")
    if min_lat > max_lat:
        raise BadRequest(
            "bbox: minlat must not exceed maxlat (minlon > maxlon crosses the antimeridian).",
            errors=[{"loc": ["query", "bbox"], "msg": "order"}],
        )
    return Area(min_lon, min_lat, max_lon, max_lat)


async def geo_area(
    near: Annotated[
        str | None,
        Query(
            max_length=100,
            description="`lat,lon,km`: within km (great-circle) of a point.",
            examples=["50.85,4.35,100"],
        ),
    ] = None,
    bbox: Annotated[
        str | None,
        Query(
            max_length=200,
            description="`minlon,minlat,maxlon,maxlat` (GeoJSON order; minlon > maxlon crosses the antimeridian).",
            examples=["2,49,7,52"],
        ),
    ] = None,
) -> Area | None:
    if near is not None and bbox is not None:
        raise BadRequest(
            "near and bbox cannot be combined.", errors=[{"loc": ["query", "bbox"], "msg": "exclusive"}]
        )
    if near is not None:
        return parse_near(near)
    if bbox is not None:
        return parse_bbox(bbox)
    return None


GeoArea = Annotated[Area | None, Depends(geo_area)]
