{#
    Helpers of the incremental models (int_opportunity_states, fct_activities,
    int_open_pipeline_changes, mart_pipeline_trend).
#}

{#-
    A non-negative integer hash of a text expression, below 2^31, so that a sum over a deal's
    rows (a fingerprint of the set of rows, independent of their order) never overflows a bigint.
    Not cryptographic: it only has to change when a row changes.
-#}
{% macro crm_hash_int(expr) -%}
    {{ return(adapter.dispatch('crm_hash_int', 'crm_metrics')(expr)) }}
{%- endmacro %}

{% macro default__crm_hash_int(expr) -%}
    cast(abs(cast(hashtext({{ expr }}) as bigint)) as bigint)
{%- endmacro %}

{% macro duckdb__crm_hash_int(expr) -%}
    cast(hash({{ expr }}) % 2147483647 as bigint)
{%- endmacro %}

{% macro spark__crm_hash_int(expr) -%}
    cast(pmod(hash({{ expr }}), 2147483647) as bigint)
{%- endmacro %}


{#- Text of a value for a fingerprint: '~' for null, so null and '' differ. -#}
{% macro crm_fingerprint_text(exprs) -%}
    {%- for expr in exprs -%}
        coalesce(cast({{ expr }} as {{ dbt.type_string() }}), '~'){{ " || '|' || " if not loop.last }}
    {%- endfor -%}
{%- endmacro %}


{#-
    Post-hook of an incremental model keyed by `key_column`: delete the tombstone rows (rows
    whose `marker_column` is null) that the incremental run inserted for keys that no longer
    exist. delete+insert first removed every stored row of those keys (the tombstone carries
    the key), so after this hook the keys are gone. On a full build there is no tombstone.
-#}
{% macro crm_delete_tombstones(marker_column) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ marker_column }} is null
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
