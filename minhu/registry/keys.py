"""Stable natural keys of registry rows: the same spreadsheet row always yields the same key, so
an import upserts. Keys are built from the grid's unit code and the names/rooms users type."""

from __future__ import annotations


def _clean(part: str) -> str:
    return " ".join(str(part or "").split()).replace("/", "／")


def estate_key(grid_code: str, name: str) -> str:
    return f"{grid_code}/{_clean(name)}"


def building_key(grid_code: str, estate_name: str, name: str) -> str:
    return f"{estate_key(grid_code, estate_name)}/{_clean(name)}"


def household_key(
    grid_code: str,
    *,
    estate_name: str = "",
    building_name: str = "",
    unit_no: str = "",
    room: str = "",
    address: str = "",
) -> str:
    if building_name and room:
        return f"{building_key(grid_code, estate_name, building_name)}/{_clean(unit_no)}/{_clean(room)}"
    return f"{grid_code}/@{_clean(address)}"


def resident_key(household_key: str, *, id_hash: str = "", name: str = "") -> str:
    return f"{household_key}#{id_hash[:24] if id_hash else _clean(name)}"


def shop_key(grid_code: str, *, licence_no: str = "", name: str = "") -> str:
    return f"{grid_code}$" + (_clean(licence_no) if licence_no else "@" + _clean(name))
