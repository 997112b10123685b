{#
    Money identity with a tolerance for rounding: abs(left - right) <= tolerance on every row.
    Null on either side fails unless both are null.
#}
{% test equal_within(model, left, right, tolerance=0.01) %}

select *
from {{ model }}
where
    not (({{ left }}) is null and ({{ right }}) is null)
    and (
        ({{ left }}) is null
        or ({{ right }}) is null
        or abs(({{ left }}) - ({{ right }})) > {{ tolerance }}
    )

{% endtest %}
