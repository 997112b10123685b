{#
    Post-hook of a model that converts money: every amount in another currency needs a rate on
    or before its date. A missing one fails the build naming the currency, the date, the table,
    the column and an example key: a silent zero or null would falsify every money metric.
#}
{% macro crm_assert_rates(relation, table_name, key_column, currency_column, date_column, amount_column, rate_column) %}
    {%- if not execute -%}{{ return('select 1') }}{%- endif -%}
    {%- set found = run_query(
        "select " ~ currency_column ~ ", cast(min(cast(" ~ date_column ~ " as date)) as "
        ~ dbt.type_string() ~ "), min(" ~ key_column ~ "), count(*) from " ~ relation
        ~ " where " ~ amount_column ~ " is not null and " ~ rate_column ~ " is null"
        ~ " group by 1 order by 1 limit 1"
    ) -%}
    {%- if found.rows | length > 0 -%}
        {%- set row = found.rows[0] -%}
        {{ exceptions.raise_compiler_error(
            "No exchange rate for currency " ~ row[0] ~ " on or before " ~ row[1]
            ~ " (table " ~ table_name ~ ", column " ~ currency_column ~ ", example key "
            ~ row[2] ~ "; " ~ row[3] ~ " row(s) affected). Add a row to exchange_rates with"
            ~ " currency_code " ~ row[0] ~ " and a rate_date on or before " ~ row[1] ~ "."
        ) }}
    {%- endif -%}
    {{ return('select 1') }}
{% endmacro %}
