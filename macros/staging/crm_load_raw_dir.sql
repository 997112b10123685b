{#
    on-run-start: when var `raw_dir` is set, load the folder's `<table>.parquet` or `<table>.csv`
    files into schema `raw_files` with DuckDB's native readers (every column as text for CSV), one
    table per contract table. CSV is read as RFC 4180 (comma, double quotes, header row): a ragged
    row, an unterminated quote or a binary file fails the run instead of being sniffed into one
    wide text column. A table without a file is dropped from `raw_files` (so a previous
    load never lingers) and staged as an empty stand-in when optional; a required table without a
    file, or with an empty file, fails the run with a message naming it.
#}
{% macro crm_load_raw_dir() %}
    {%- do crm_check_raw_schema() -%}
    {%- set raw_dir = var('raw_dir', none) -%}
    {%- if raw_dir is none or not execute -%}
        {{ return('') }}
    {%- endif -%}
    {{ return(adapter.dispatch('crm_load_raw_dir', 'crm_metrics')(raw_dir)) }}
{% endmacro %}

{% macro default__crm_load_raw_dir(raw_dir) %}
    {{ exceptions.raise_compiler_error(
        "var raw_dir (loading raw files) is supported on DuckDB only; on "
        ~ target.type ~ " load the raw tables into a schema and set var raw_schema."
    ) }}
{% endmacro %}

{% macro duckdb__crm_load_raw_dir(raw_dir) %}
    {%- set schema = 'raw_files' -%}
    {%- set base = (raw_dir | string).rstrip('/') -%}
    {%- do run_query('create schema if not exists ' ~ schema) -%}
    {#- in name order, so the first missing required table named is the same whatever the contract's order -#}
    {%- for table_name, spec in crm_raw_contract()['tables'] | dictsort -%}
        {%- set found = namespace(path=none, reader=none, size=none) -%}
        {%- for ext, reader in [('parquet', 'read_parquet'), ('csv', 'read_csv')] -%}
            {%- if found.path is none -%}
                {%- set candidate = base ~ '/' ~ table_name ~ '.' ~ ext -%}
                {%- set hits = run_query(
                    'select size from read_blob(' ~ crm_sql_string(candidate) ~ ')'
                ) if crm_file_exists(candidate) else none -%}
                {%- if hits is not none and hits.rows | length > 0 -%}
                    {%- set found.path = candidate -%}
                    {%- set found.reader = reader -%}
                    {%- set found.size = hits.rows[0][0] -%}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set target_table = schema ~ '.' ~ adapter.quote(table_name) -%}
        {%- if found.path is none or found.size == 0 -%}
            {%- if spec['required'] -%}
                {{ exceptions.raise_compiler_error(
                    "Raw table '" ~ table_name ~ "' is required: "
                    ~ (("file " ~ found.path ~ " is empty") if found.path else
                       ("no " ~ table_name ~ ".csv or " ~ table_name ~ ".parquet in " ~ base))
                    ~ ". See contract/raw_schema.yml for its columns."
                ) }}
            {%- endif -%}
            {%- do run_query('drop table if exists ' ~ target_table) -%}
        {%- else -%}
            {%- if found.reader == 'read_csv' -%}
                {%- set read = "read_csv(" ~ crm_sql_string(found.path)
                    ~ ", header = true, skip = 0, all_varchar = true, delim = ',', quote = '\"', escape = '\"')" -%}
            {%- else -%}
                {%- set read = "read_parquet(" ~ crm_sql_string(found.path) ~ ")" -%}
            {%- endif -%}
            {%- do run_query('create or replace table ' ~ target_table ~ ' as select * from ' ~ read) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return('') }}
{% endmacro %}

{%- macro crm_file_exists(path) -%}
    {%- set hits = run_query('select count(*) from glob(' ~ crm_sql_string(path) ~ ')') -%}
    {{ return(hits.rows[0][0] > 0) }}
{%- endmacro -%}

{#- A SQL string literal for any text value: single quotes doubled, so a path cannot inject SQL. -#}
{%- macro crm_sql_string(value) -%}
    '{{ (value | string).replace("'", "''") }}'
{%- endmacro -%}


{#-
    var raw_schema reaches SQL as a quoted identifier that dbt does not escape: accept only a
    plain identifier, so a value holding a quote or a semicolon cannot run SQL.
-#}
{%- macro crm_check_raw_schema() -%}
    {%- set raw_schema = var('raw_schema', none) -%}
    {%- if raw_schema is not none and not modules.re.match('^[A-Za-z_][A-Za-z0-9_]*$', raw_schema | string) -%}
        {{ exceptions.raise_compiler_error(
            "var raw_schema must be a plain schema name (letters, digits, underscores), got "
            ~ (raw_schema | string | tojson) ~ "."
        ) }}
    {%- endif -%}
{%- endmacro -%}


{#-
    Spark: the folder's files are listed with the binaryFile source (path and length only, the
    contents are never read), then each contract table becomes an external table of schema
    `raw_files` over its file (Parquet, or CSV with a header row, every column as text). The
    tables live in the session's metastore, so every model of the run sees them.
-#}
{% macro spark__crm_load_raw_dir(raw_dir) %}
    {%- set schema = 'raw_files' -%}
    {%- set base = (raw_dir | string).rstrip('/') -%}
    {%- do run_query('create schema if not exists ' ~ schema) -%}
    {%- set listing = run_query(
        'select path, length from binaryFile.`' ~ base.replace('`', '``') ~ '`'
    ) -%}
    {%- set sizes = {} -%}
    {%- for row in listing.rows -%}
        {%- do sizes.update({(row[0] | string).split('/')[-1]: row[1]}) -%}
    {%- endfor -%}
    {%- for table_name, spec in crm_raw_contract()['tables'].items() -%}
        {%- set found = namespace(file=none, format=none) -%}
        {%- for ext in ['parquet', 'csv'] -%}
            {%- if found.file is none and sizes.get(table_name ~ '.' ~ ext, 0) > 0 -%}
                {%- set found.file = table_name ~ '.' ~ ext -%}
                {%- set found.format = ext -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set target_table = schema ~ '.' ~ table_name -%}
        {%- do run_query('drop table if exists ' ~ target_table) -%}
        {%- if found.file is none -%}
            {%- if spec['required'] -%}
                {{ exceptions.raise_compiler_error(
                    "Raw table '" ~ table_name ~ "' is required: no non-empty " ~ table_name
                    ~ ".csv or " ~ table_name ~ ".parquet in " ~ base
                    ~ ". See contract/raw_schema.yml for its columns."
                ) }}
            {%- endif -%}
        {%- else -%}
            {%- set options = " options (header 'true', quote '\"', escape '\"')" if found.format == 'csv' else '' -%}
            {%- do run_query(
                'create table ' ~ target_table ~ ' using ' ~ found.format ~ options
                ~ ' location ' ~ crm_sql_string(base ~ '/' ~ found.file)
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return('') }}
{% endmacro %}
