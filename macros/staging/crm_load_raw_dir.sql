{#
    on-run-start: when var `raw_dir` is set, make the folder's `<table>.parquet` or `<table>.csv`
    files readable in schema `raw_files`, one relation per contract table, with DuckDB's native
    readers:
      - Parquet is read where it lies: a view over read_parquet of the file (re-created every run,
        which reads only the file's footer). The working database then needs the folder at query
        time for these views and the staging views over them; the tables built from them, and
        the serving database, do not.
      - CSV is converted once into a table (every column as text) and reused while the file is
        unchanged. "Unchanged" is the file's path, size and last-modified time (what make and
        rsync compare), taken before the read and kept as the table's comment, with the reader's
        options; any difference converts it again. It cannot see a rewrite that keeps both the
        size and the modification time (DuckDB reads the time to the second: a same-size rewrite
        within the same second, or a tool that restores the old time).
    CSV is read as RFC 4180 (comma, double quotes, header row): a ragged row, an unterminated
    quote or a binary file fails the run instead of being sniffed into one wide text column. A
    table without a file is dropped from `raw_files` (so a previous load never lingers) and
    staged as an empty stand-in when optional; a required table without a file, or with an
    empty file, fails the run with a message naming it.
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
    {%- set existing = crm_raw_files_relations(schema) -%}
    {#- in name order, so the first missing required table named is the same whatever the contract's order -#}
    {%- for table_name, spec in crm_raw_contract()['tables'] | dictsort -%}
        {%- set found = namespace(path=none, reader=none, size=none, modified=none) -%}
        {%- for ext, reader in [('parquet', 'read_parquet'), ('csv', 'read_csv')] -%}
            {%- if found.path is none -%}
                {%- set candidate = base ~ '/' ~ table_name ~ '.' ~ ext -%}
                {%- set hits = run_query(
                    'select size, cast(last_modified as varchar) from read_blob('
                    ~ crm_sql_string(candidate) ~ ')'
                ) if crm_file_exists(candidate) else none -%}
                {%- if hits is not none and hits.rows | length > 0 -%}
                    {%- set found.path = candidate -%}
                    {%- set found.reader = reader -%}
                    {%- set found.size = hits.rows[0][0] -%}
                    {%- set found.modified = hits.rows[0][1] -%}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set target_table = schema ~ '.' ~ adapter.quote(table_name) -%}
        {%- set kind, comment = existing.get(table_name, (none, none)) -%}
        {%- if found.path is none or found.size == 0 -%}
            {%- if spec['required'] -%}
                {{ exceptions.raise_compiler_error(
                    "Raw table '" ~ table_name ~ "' is required: "
                    ~ (("file " ~ found.path ~ " is empty") if found.path else
                       ("no " ~ table_name ~ ".csv or " ~ table_name ~ ".parquet in " ~ base))
                    ~ ". See contract/raw_schema.yml for its columns."
                ) }}
            {%- endif -%}
            {%- do crm_drop_raw_relation(target_table, kind) -%}
        {%- elif found.reader == 'read_parquet' -%}
            {%- do crm_drop_raw_relation(target_table, kind if kind == 'table' else none) -%}
            {%- do run_query(
                'create or replace view ' ~ target_table
                ~ ' as select * from read_parquet(' ~ crm_sql_string(found.path) ~ ')'
            ) -%}
        {%- else -%}
            {%- set read = "read_csv(" ~ crm_sql_string(found.path)
                ~ ", header = true, skip = 0, all_varchar = true, delim = ',', quote = '\"', escape = '\"')" -%}
            {%- set signature = 'crm_load_raw_dir: ' ~ read ~ ' size ' ~ found.size
                ~ ' modified ' ~ found.modified -%}
            {%- if kind != 'table' or comment != signature -%}
                {%- do crm_drop_raw_relation(target_table, kind if kind == 'view' else none) -%}
                {%- do run_query('create or replace table ' ~ target_table ~ ' as select * from ' ~ read) -%}
                {#- after the table, so a run that dies between the two converts it again -#}
                {%- do run_query('comment on table ' ~ target_table ~ ' is ' ~ crm_sql_string(signature)) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return('') }}
{% endmacro %}

{#- The relations of `schema` in the working database: lowercase name → (kind 'table' or 'view', comment). -#}
{%- macro crm_raw_files_relations(schema) -%}
    {%- set rows = run_query(
        "select lower(table_name), 'table', comment from duckdb_tables()"
        ~ " where database_name = current_database() and schema_name = " ~ crm_sql_string(schema)
        ~ " union all select lower(view_name), 'view', comment from duckdb_views()"
        ~ " where database_name = current_database() and schema_name = " ~ crm_sql_string(schema)
        ~ " and not internal"
    ) -%}
    {%- set relations = {} -%}
    {%- for row in rows.rows -%}
        {%- do relations.update({row[0]: (row[1], row[2])}) -%}
    {%- endfor -%}
    {{ return(relations) }}
{%- endmacro -%}

{#- Drop `relation` when it exists as `kind` ('table' or 'view'; none: nothing to drop). -#}
{%- macro crm_drop_raw_relation(relation, kind) -%}
    {%- if kind in ('table', 'view') -%}
        {%- do run_query('drop ' ~ kind ~ ' if exists ' ~ relation) -%}
    {%- endif -%}
{%- endmacro -%}

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
