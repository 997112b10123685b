{#
    Validation of one staged table against the tables it references (intermediate layer).

    One row per raw row, nothing dropped: the staged columns, with
      - reject_reason extended by the cross-table checks of the contract's `references`:
        a required reference (on_orphan: reject) to a value absent from the parent gives
        `orphan:<column>` (`unknown_stage` for stage names), to a parent row that was itself
        rejected gives `parent_rejected`; the staging reason wins when both apply;
      - an optional reference (on_orphan: null) that does not resolve is nulled and noted in
        dq_orphan_<column> (`orphan` or `parent_rejected`) for dq_findings.
    Parents are the validated models of the referenced tables, so rejects cascade (a rejected
    account rejects its deals, which reject their history and line items). A self-reference
    (users.manager_id) is checked against the table's own staged rows.
#}
{% macro crm_validate(table_name) %}
{%- set spec = crm_raw_contract()['tables'][table_name] -%}
{%- set refs = [] -%}
{%- for col in spec['columns'] if col['references'] -%}
    {%- set parent_table, parent_column = col['references'].split('.') -%}
    {%- do refs.append({
        'column': col['name'],
        'parent_table': parent_table,
        'parent_column': parent_column,
        'outcome': col['orphan_outcome'],
        'alias': 'parent_' ~ loop.index,
        'orphan_reason': 'unknown_stage' if parent_table == 'stages' else 'orphan:' ~ col['name'],
    }) -%}
{%- endfor -%}
with

staged as (
    select * from {{ ref('stg_crm__' ~ table_name) }}
),
{%- for r in refs %}

{{ r['alias'] }} as (
    {#- one row per parent key; is_accepted when any row with that key was accepted #}
    select
        {{ r['parent_column'] }} as parent_key,
        max(case when reject_reason is null then 1 else 0 end) as is_accepted
    {%- if r['parent_table'] == table_name %}
    from {{ ref('stg_crm__' ~ table_name) }}
    {%- else %}
    from {{ ref('int_' ~ r['parent_table'] ~ '_validated') }}
    {%- endif %}
    where {{ r['parent_column'] }} is not null
    group by 1
),
{%- endfor %}

checked as (
    select
        staged.*,
    {%- for r in refs %}
        case
            when staged.{{ r['column'] }} is null then null
            when {{ r['alias'] }}.parent_key is null then 'orphan'
            when {{ r['alias'] }}.is_accepted = 0 then 'parent_rejected'
        end as ref_status_{{ r['column'] }},
    {%- endfor %}
        1 as checked_marker
    from staged
{%- for r in refs %}
    left join {{ r['alias'] }}
        on staged.{{ r['column'] }} = {{ r['alias'] }}.parent_key
{%- endfor %}
),

final as (
    select
    {%- for col in spec['columns'] %}
        {%- set r = (refs | selectattr('column', 'equalto', col['name']) | list | first) if refs else none %}
        {%- if r and r['outcome'] == 'null' %}
        case
            when ref_status_{{ col['name'] }} is null then {{ col['name'] }}
        end as {{ col['name'] }},
        {%- else %}
        {{ col['name'] }},
        {%- endif %}
    {%- endfor %}
        dq_row_key,
        coalesce(
            reject_reason,
        {%- for r in refs if r['outcome'] == 'reject' %}
            case ref_status_{{ r['column'] }}
                when 'orphan' then '{{ r['orphan_reason'] }}'
                when 'parent_rejected' then 'parent_rejected'
            end,
        {%- endfor %}
            cast(null as {{ dbt.type_string() }})
        ) as reject_reason,
    {%- for r in refs if r['outcome'] == 'null' %}
        ref_status_{{ r['column'] }} as dq_orphan_{{ r['column'] }},
    {%- endfor %}
    {%- for col in spec['columns'] %}
        raw_{{ col['name'] }}{{ "," if not loop.last }}
    {%- endfor %}
    from checked
)

select * from final
{% endmacro %}
