{#
    Post-hook of int_stages_validated: the pipeline definition must be usable, or nothing
    downstream means anything, so a broken `stages` table fails the build with a message naming
    the table, the column and an example stage. A superseded row (an older load of a stage,
    raw contract "Loads") is not the stage: its latest version is checked.
#}
{% macro crm_assert_valid_stages(relation) %}
    {%- if not execute -%}{{ return('select 1') }}{%- endif -%}
    {%- set checks = [
        ("reject_reason is not null and reject_reason <> 'superseded'",
         "reject_reason", "row rejected (see dq_stages_rejects)"),
        ("reject_reason is null and is_won and not is_closed",
         "is_won", "a won stage must be closed"),
        ("reject_reason is null and stage_order in (select stage_order from " ~ relation
            ~ " where reject_reason is null group by 1 having count(*) > 1)",
         "stage_order", "stage_order must be unique"),
    ] -%}
    {%- for condition, column, problem in checks -%}
        {%- set found = run_query(
            "select coalesce(dq_row_key, raw_stage_name, '(empty)'), coalesce(reject_reason, '') from "
            ~ relation ~ " where " ~ condition ~ " order by 1 limit 1"
        ) -%}
        {%- if found.rows | length > 0 -%}
            {{ exceptions.raise_compiler_error(
                "Invalid stages table: column " ~ column ~ ", stage '" ~ found.rows[0][0] ~ "': "
                ~ problem ~ (" (" ~ found.rows[0][1] ~ ")" if found.rows[0][1] else "") ~ "."
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {%- set counts = run_query(
        "select count(*), count(case when not is_closed then 1 end),"
        ~ " count(case when is_won then 1 end), count(case when is_closed and not is_won then 1 end)"
        ~ " from " ~ relation ~ " where reject_reason is null"
    ).rows[0] -%}
    {%- if counts[0] == 0 -%}
        {{ exceptions.raise_compiler_error(
            "Invalid stages table: it is empty; it must define the pipeline (column stage_name)."
        ) }}
    {%- elif counts[1] == 0 -%}
        {{ exceptions.raise_compiler_error(
            "Invalid stages table: column is_closed: no open stage is defined."
        ) }}
    {%- elif counts[2] != 1 -%}
        {{ exceptions.raise_compiler_error(
            "Invalid stages table: column is_won: exactly one won stage is required, found "
            ~ counts[2] ~ "."
        ) }}
    {%- elif counts[3] == 0 -%}
        {{ exceptions.raise_compiler_error(
            "Invalid stages table: column is_won: at least one lost closed stage"
            ~ " (is_closed true, is_won false) is required."
        ) }}
    {%- endif -%}
    {{ return('select 1') }}
{% endmacro %}
