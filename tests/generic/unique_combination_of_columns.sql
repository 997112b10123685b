{#
    The grain test: no two rows share the combination of `combination_of_columns`.
    (dbt_utils has one; the project cannot fetch packages, so it carries its own.)
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(', ') }},
    count(*) as row_count
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1

{% endtest %}
