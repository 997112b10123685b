{#
    A cross-column rule: every row (matching the optional `where` config) satisfies
    `expression`. Use for identities such as `ending_mrr = starting_mrr + movements`.
#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not ({{ expression }})

{% endtest %}
