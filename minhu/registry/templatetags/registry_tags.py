from django import template

from minhu.registry import personal

register = template.Library()


@register.filter
def masked_phone(value: str) -> str:
    return personal.mask_phone(value or "")
