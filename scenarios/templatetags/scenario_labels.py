"""`{{ scenario.category|category_label }}`: a ticket category as a trainee reads it."""

from django import template

from scenarios.selectors import category_label as _category_label

register = template.Library()


@register.filter
def category_label(value) -> str:
    return _category_label(value)
