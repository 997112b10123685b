{#
    Helpers of the project's incremental model, int_opportunity_states, written for any model
    that keeps its rows by a key (delete+insert, or a rewrite on Spark).
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
    Post-hook of an incremental model (crm_incremental_cleanup, per engine): delete the tombstone rows (rows
    whose `marker_column` is null) that the incremental run inserted for keys that no longer
    exist. delete+insert first removed every stored row of those keys (the tombstone carries
    the key), so after this hook the keys are gone. On a full build there is no tombstone.
-#}
{% macro crm_incremental_cleanup(marker_column) -%}
    {{ return(adapter.dispatch('crm_incremental_cleanup', 'crm_metrics')(marker_column)) }}
{%- endmacro %}

{% macro default__crm_incremental_cleanup(marker_column) -%}
    {{ return(crm_delete_tombstones(marker_column)) }}
{%- endmacro %}

{#- Spark writes no tombstone (crm_incremental_rows): drop the copy of the previous rows. -#}
{% macro spark__crm_incremental_cleanup(marker_column) -%}
    {%- if is_incremental() -%}
        drop table if exists {{ crm_incremental_stored() }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{% macro crm_delete_tombstones(marker_column) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ marker_column }} is null
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}


{#-
    Incremental strategy of an incremental model, one per engine. DuckDB and PostgreSQL:
    delete+insert by the unique key, with tombstones deleted by crm_delete_tombstones. Spark
    (plain Parquet tables: no delete, no merge without Delta or Iceberg): insert_overwrite of
    the whole table from a copy of its previous rows (crm_incremental_stored), see
    crm_incremental_rows.
-#}
{% macro crm_incremental_strategy() -%}
    {{ return(adapter.dispatch('crm_incremental_strategy', 'crm_metrics')()) }}
{%- endmacro %}

{% macro default__crm_incremental_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro spark__crm_incremental_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}


{#-
    The stored rows an incremental run compares with. Spark refuses to overwrite a table that
    the same statement reads, so there the pre-hook crm_incremental_copy_stored copies the
    table first and the run reads the copy.
-#}
{% macro crm_incremental_stored() -%}
    {{ return(adapter.dispatch('crm_incremental_stored', 'crm_metrics')()) }}
{%- endmacro %}

{% macro default__crm_incremental_stored() -%}
    {{ return(this) }}
{%- endmacro %}

{% macro spark__crm_incremental_stored() -%}
    {{ return(this.incorporate(path={'identifier': this.identifier ~ '__crm_previous'})) }}
{%- endmacro %}


{#- Pre-hook: on Spark, before an incremental run, the copy that crm_incremental_stored names. -#}
{% macro crm_incremental_copy_stored() -%}
    {%- set stored = crm_incremental_stored() -%}
    {%- if not execute or not is_incremental() or stored == this -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- do run_query('drop table if exists ' ~ stored) -%}
    {{ return('create table ' ~ stored ~ ' using parquet as select * from ' ~ this) }}
{%- endmacro %}


{#-
    The rows an incremental run writes, given `new_rows` (the recomputed rows of the changed
    keys) and `tombstones` (one row per stored key that disappeared, every other column null),
    both relations with the model's columns in its order, keyed by `key_column`.
    delete+insert engines: both; the tombstone's key removes the stored rows, then the post-hook
    crm_delete_tombstones deletes the tombstone. Spark (insert_overwrite of the whole table):
    the new rows plus every stored row whose key is neither recomputed nor removed; no tombstone
    is written, and the post-hook drops the copy of the stored rows.
-#}
{% macro crm_incremental_rows(new_rows, tombstones, key_column) -%}
    {{ return(adapter.dispatch('crm_incremental_rows', 'crm_metrics')(new_rows, tombstones, key_column)) }}
{%- endmacro %}

{% macro default__crm_incremental_rows(new_rows, tombstones, key_column) -%}
    select * from {{ new_rows }}
    union all
    select * from {{ tombstones }}
{%- endmacro %}

{% macro spark__crm_incremental_rows(new_rows, tombstones, key_column) -%}
    select * from {{ new_rows }}
    union all
    select kept.*
    from {{ crm_incremental_stored() }} as kept
    left join (
        select {{ key_column }} from {{ new_rows }}
        union
        select {{ key_column }} from {{ tombstones }}
    ) as replaced
        on kept.{{ key_column }} = replaced.{{ key_column }}
    where replaced.{{ key_column }} is null
{%- endmacro %}
