{#
    on-run-start: when var `raw_dir` is set, make the folder's raw tables readable in schema
    `raw_files`, one relation per contract table, with DuckDB's native readers. A table is a file
    `<table>.parquet` or `<table>.csv`, or a folder `<table>/` of part files, one per load
    (crm_load_raw_parts):
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
    table without a file or part is dropped from `raw_files` (so a previous load never lingers)
    and staged as an empty stand-in when optional; a required table without a file or part, or
    with an empty file, fails the run with a message naming it, and so does a table that is both
    a file and a folder.
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
    {%- set recorded = crm_recorded_parts(schema) -%}
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
        {%- set parts = crm_raw_parts(base, table_name) -%}
        {%- set target_table = schema ~ '.' ~ adapter.quote(table_name) -%}
        {%- set kind, comment = existing.get(table_name, (none, none)) -%}
        {%- if parts and found.path is not none -%}
            {{ exceptions.raise_compiler_error(
                "Raw table '" ~ table_name ~ "' is both a file and a folder of parts: "
                ~ found.path ~ " and " ~ base ~ '/' ~ table_name ~ "/. Keep one: the folder "
                ~ "(one part per load) or the file."
            ) }}
        {%- endif -%}
        {%- if parts -%}
            {%- do crm_load_raw_parts(schema, base, table_name, parts, kind, comment,
                recorded.get(table_name, [])) -%}
        {%- else -%}
            {%- if table_name in recorded -%}
                {%- do crm_report_changed_parts(base, table_name, recorded[table_name], []) -%}
                {%- do crm_record_parts(schema, table_name, []) -%}
            {%- endif -%}
            {%- if found.path is none or found.size == 0 -%}
                {%- if spec['required'] -%}
                    {{ exceptions.raise_compiler_error(
                        "Raw table '" ~ table_name ~ "' is required: "
                        ~ (("file " ~ found.path ~ " is empty") if found.path else
                           ("no " ~ table_name ~ ".csv or " ~ table_name ~ ".parquet in " ~ base
                            ~ ", and no part file (*.csv, *.parquet) in folder " ~ base ~ '/'
                            ~ table_name ~ "/"))
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
                {%- set read = crm_read_csv(found.path) -%}
                {%- set signature = 'crm_load_raw_dir: ' ~ read ~ ' size ' ~ found.size
                    ~ ' modified ' ~ found.modified -%}
                {%- if kind != 'table' or comment != signature -%}
                    {%- do crm_drop_raw_relation(target_table, kind if kind == 'view' else none) -%}
                    {%- do run_query('create or replace table ' ~ target_table ~ ' as select * from ' ~ read) -%}
                    {#- after the table, so a run that dies between the two converts it again -#}
                    {%- do run_query('comment on table ' ~ target_table ~ ' is ' ~ crm_sql_string(signature)) -%}
                {%- endif -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return('') }}
{% endmacro %}

{#- DuckDB's CSV reader as the loader reads every raw CSV: RFC 4180, header row, all text. -#}
{%- macro crm_read_csv(path) -%}
    {{ return("read_csv(" ~ crm_sql_string(path)
        ~ ", header = true, skip = 0, all_varchar = true, delim = ',', quote = '\"', escape = '\"')") }}
{%- endmacro -%}

{#-
    The part files of folder `<base>/<table_name>/`, in name order: a list of dicts (name, path,
    format 'csv' or 'parquet', size, modified); empty when there is no such folder or it holds
    no part. Names starting with '.' or '_' are skipped (checksums, _SUCCESS markers of Spark and
    Hadoop writers); any other file that is not *.csv or *.parquet, an empty part, or a folder
    mixing CSV and Parquet parts fails the run naming the files.
-#}
{%- macro crm_raw_parts(base, table_name) -%}
    {%- set folder = base ~ '/' ~ table_name -%}
    {%- set listing = run_query(
        'select file from glob(' ~ crm_sql_string(folder ~ '/*') ~ ') order by file'
    ) -%}
    {%- set paths = [] -%}
    {%- set strays = [] -%}
    {%- for row in listing.rows -%}
        {%- set name = (row[0] | string).replace('\\', '/').split('/')[-1] -%}
        {%- set lowered = name | lower -%}
        {%- if lowered.endswith('.csv') or lowered.endswith('.parquet') -%}
            {%- do paths.append(row[0] | string) -%}
        {%- elif not (name.startswith('.') or name.startswith('_')) -%}
            {%- do strays.append(name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if strays -%}
        {{ exceptions.raise_compiler_error(
            "Raw folder " ~ folder ~ "/ holds files that are not parts (*.csv or *.parquet): "
            ~ strays[:5] | join(', ') ~ (' and ' ~ (strays | length - 5) ~ ' more' if strays | length > 5 else '')
            ~ ". Move them out of the folder."
        ) }}
    {%- endif -%}
    {%- if not paths -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set blobs = run_query(
        'select filename, size, cast(last_modified as varchar) from read_blob(['
        ~ crm_sql_list(paths) ~ ']) order by filename'
    ) -%}
    {%- set parts = [] -%}
    {%- for row in blobs.rows -%}
        {%- set name = (row[0] | string).replace('\\', '/').split('/')[-1] -%}
        {%- do parts.append({
            'name': name,
            'path': folder ~ '/' ~ name,
            'format': 'csv' if (name | lower).endswith('.csv') else 'parquet',
            'size': row[1],
            'modified': row[2] | string,
        }) -%}
    {%- endfor -%}
    {%- set empty = parts | selectattr('size', 'equalto', 0) | map(attribute='name') | list -%}
    {%- if empty -%}
        {{ exceptions.raise_compiler_error(
            "Raw folder " ~ folder ~ "/: part file(s) " ~ empty[:5] | join(', ')
            ~ " are empty (a CSV part holds at least its header row). Remove them."
        ) }}
    {%- endif -%}
    {%- set formats = parts | map(attribute='format') | unique | list -%}
    {%- if formats | length > 1 -%}
        {{ exceptions.raise_compiler_error(
            "Raw folder " ~ folder ~ "/ mixes CSV and Parquet parts ("
            ~ (parts | selectattr('format', 'equalto', 'csv') | first)['name'] ~ ", "
            ~ (parts | selectattr('format', 'equalto', 'parquet') | first)['name']
            ~ "): write every part of a table in one format."
        ) }}
    {%- endif -%}
    {{ return(parts) }}
{%- endmacro -%}

{#-
    The parts of `parts` (one table's folder, one format) as relation `raw_files.<table_name>`:
      - Parquet: a view over read_parquet of the part list, union by column name (re-created
        every run; it reads only the parts' footers);
      - CSV: one table (every column as text) that each part is converted into once (read once
        into the scratch table raw_files.crm_load_part, its header checked, then appended by
        column name; a part's new column is added to the table, null for the earlier parts). The parts converted so far are the table's record in
        raw_files.crm_load_parts and its comment holds its row count; while every recorded part
        is unchanged and the count matches, only the new parts are read. Otherwise (a part
        changed or removed, or a run that died half-way) every part is converted again.
    Every part must carry the loaded-at column (var crm_loaded_at_column): a part without it
    fails the run naming it. A part changed or removed since the last run prints one line
    (crm_report_changed_parts).
-#}
{%- macro crm_load_raw_parts(schema, base, table_name, parts, kind, comment, previous) -%}
    {%- set target_table = schema ~ '.' ~ adapter.quote(table_name) -%}
    {%- set folder = base ~ '/' ~ table_name -%}
    {%- set loaded_at = var('crm_loaded_at_column', '_loaded_at') | lower -%}
    {%- set changed = crm_report_changed_parts(base, table_name, previous, parts) -%}
    {%- if parts[0]['format'] == 'parquet' -%}
        {%- set lacking = run_query(
            'select file_name from parquet_schema([' ~ crm_sql_list(parts | map(attribute='path') | list)
            ~ ']) group by file_name having count(case when lower(name) = '
            ~ crm_sql_string(loaded_at) ~ ' then 1 end) = 0 order by file_name'
        ) -%}
        {%- do crm_fail_lacking_loaded_at(folder, lacking.rows | map('first') | list, loaded_at) -%}
        {%- do crm_drop_raw_relation(target_table, kind if kind == 'table' else none) -%}
        {%- do run_query(
            'create or replace view ' ~ target_table ~ ' as select * from read_parquet(['
            ~ crm_sql_list(parts | map(attribute='path') | list) ~ '], union_by_name = true)'
        ) -%}
    {%- else -%}
        {%- set signature = 'crm_load_raw_dir: parts of ' ~ folder ~ ' read with '
            ~ crm_read_csv('<part>') ~ ', rows ' -%}
        {%- set stored = namespace(rows=none) -%}
        {%- if kind == 'table' and previous and not changed
            and comment is not none and comment.startswith(signature) -%}
            {%- set counted = run_query('select count(*) from ' ~ target_table).rows[0][0] -%}
            {%- if (comment[signature | length:]) == (counted | string) -%}
                {%- set stored.rows = counted -%}
            {%- endif -%}
        {%- endif -%}
        {%- set known = previous | map(attribute='name') | list if stored.rows is not none else [] -%}
        {%- set pending = parts | rejectattr('name', 'in', known) | list -%}
        {%- if stored.rows is none -%}
            {%- do crm_drop_raw_relation(target_table, kind) -%}
        {%- endif -%}
        {%- set columns = namespace(names=none) -%}
        {%- if stored.rows is not none -%}
            {%- set columns.names = run_query(
                'select lower(column_name) from duckdb_columns() where database_name = current_database()'
                ~ ' and schema_name = ' ~ crm_sql_string(schema) ~ ' and table_name = ' ~ crm_sql_string(table_name)
            ).rows | map('first') | list -%}
        {%- endif -%}
        {#- each part read once, into a scratch table, checked from the catalog, then appended -#}
        {%- set scratch = schema ~ '.crm_load_part' -%}
        {%- for part in pending -%}
            {%- do run_query('create or replace table ' ~ scratch ~ ' as select * from '
                ~ crm_read_csv(part['path'])) -%}
            {%- set header = run_query(
                'select column_name from duckdb_columns() where database_name = current_database()'
                ~ ' and schema_name = ' ~ crm_sql_string(schema) ~ " and table_name = 'crm_load_part'"
                ~ ' order by column_index'
            ).rows | map('first') | list -%}
            {%- if loaded_at not in (header | map('lower') | list) -%}
                {%- do run_query('drop table ' ~ scratch) -%}
                {%- do crm_fail_lacking_loaded_at(folder, [part['path']], loaded_at) -%}
            {%- endif -%}
            {%- if columns.names is none -%}
                {%- do run_query('alter table ' ~ scratch ~ ' rename to ' ~ adapter.quote(table_name)) -%}
                {%- set columns.names = header | map('lower') | list -%}
            {%- else -%}
                {%- for column in header if (column | lower) not in columns.names -%}
                    {%- do run_query('alter table ' ~ target_table ~ ' add column '
                        ~ adapter.quote(column) ~ ' varchar') -%}
                    {%- do columns.names.append(column | lower) -%}
                {%- endfor -%}
                {%- do run_query('insert into ' ~ target_table ~ ' by name select * from ' ~ scratch) -%}
                {%- do run_query('drop table ' ~ scratch) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {#- the record, then (CSV) the row count: a run dying in between converts every part again -#}
    {%- do crm_record_parts(schema, table_name, parts) -%}
    {%- if parts[0]['format'] == 'csv' -%}
        {%- set counted = run_query('select count(*) from ' ~ target_table).rows[0][0] -%}
        {%- do run_query('comment on table ' ~ target_table ~ ' is '
            ~ crm_sql_string(signature ~ counted)) -%}
    {%- endif -%}
{%- endmacro -%}

{%- macro crm_fail_lacking_loaded_at(folder, paths, loaded_at) -%}
    {%- if paths -%}
        {{ exceptions.raise_compiler_error(
            "Raw folder " ~ folder ~ "/: part file(s) without a " ~ loaded_at ~ " column: "
            ~ paths[:5] | map('replace', folder ~ '/', '') | join(', ')
            ~ (' and ' ~ (paths | length - 5) ~ ' more' if paths | length > 5 else '')
            ~ ". Every part is one load and carries the instant it was loaded (var"
            ~ " crm_loaded_at_column names the column)."
        ) }}
    {%- endif -%}
{%- endmacro -%}

{#-
    Compare a table's recorded parts (the last run's) with its parts now; print one line when a
    recorded part was changed (other size or modification time) or removed, and return whether
    one was. New parts are what a load adds and say nothing.
-#}
{%- macro crm_report_changed_parts(base, table_name, previous, parts) -%}
    {%- set now = {} -%}
    {%- for part in parts -%}
        {%- do now.update({part['name']: (part['size'] | string, part['modified'] | string)}) -%}
    {%- endfor -%}
    {%- set changed = [] -%}
    {%- set removed = [] -%}
    {%- for part in previous -%}
        {%- if part['name'] not in now -%}
            {%- do removed.append(part['name']) -%}
        {%- elif now[part['name']] != (part['size'] | string, part['modified'] | string) -%}
            {%- do changed.append(part['name']) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if changed or removed -%}
        {%- set message = "crm_load_raw_dir: raw table " ~ table_name ~ ": "
            ~ ((changed | length) ~ " part(s) changed (" ~ changed[:3] | join(', ')
               ~ (', ...' if changed | length > 3 else '') ~ ")" if changed else '')
            ~ (", " if changed and removed else '')
            ~ ((removed | length) ~ " part(s) removed (" ~ removed[:3] | join(', ')
               ~ (', ...' if removed | length > 3 else '') ~ ")" if removed else '')
            ~ " in " ~ base ~ "/" ~ table_name ~ "/ since the last build: every part is read again"
            ~ " (parts are never to be rewritten; a new load is a new part)." -%}
        {%- do print(message) -%}
        {%- do log(message, info=false) -%}
    {%- endif -%}
    {{ return(changed or removed) }}
{%- endmacro -%}

{#- raw_files.crm_load_parts: each table's parts as the last run read them (name, size, modified). -#}
{%- macro crm_recorded_parts(schema) -%}
    {%- do run_query(
        'create table if not exists ' ~ schema ~ '.crm_load_parts (table_name varchar,'
        ~ ' part_name varchar, size bigint, modified varchar)'
    ) -%}
    {%- set rows = run_query(
        'select table_name, part_name, size, modified from ' ~ schema ~ '.crm_load_parts'
        ~ ' order by table_name, part_name'
    ) -%}
    {%- set recorded = {} -%}
    {%- for row in rows.rows -%}
        {%- do recorded.setdefault(row[0], []).append(
            {'name': row[1], 'size': row[2], 'modified': row[3]}) -%}
    {%- endfor -%}
    {{ return(recorded) }}
{%- endmacro -%}

{%- macro crm_record_parts(schema, table_name, parts) -%}
    {%- do run_query('delete from ' ~ schema ~ '.crm_load_parts where table_name = '
        ~ crm_sql_string(table_name)) -%}
    {%- if parts -%}
        {%- set values = [] -%}
        {%- for part in parts -%}
            {%- do values.append('(' ~ crm_sql_string(table_name) ~ ', ' ~ crm_sql_string(part['name'])
                ~ ', ' ~ part['size'] ~ ', ' ~ crm_sql_string(part['modified']) ~ ')') -%}
        {%- endfor -%}
        {%- do run_query('insert into ' ~ schema ~ '.crm_load_parts values ' ~ values | join(', ')) -%}
    {%- endif -%}
{%- endmacro -%}

{#- SQL string literals of `values`, comma-separated (the inside of a list literal). -#}
{%- macro crm_sql_list(values) -%}
    {%- set literals = [] -%}
    {%- for value in values -%}
        {%- do literals.append(crm_sql_string(value) | trim) -%}
    {%- endfor -%}
    {{ return(literals | join(', ')) }}
{%- endmacro -%}

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
    Spark: the folder's files are listed with the binaryFile source, recursively (path, length
    and modification time only, the contents are never read; names starting with '_' or '.' are
    skipped, as every Hadoop reader does), then each contract table becomes an external table of
    schema `raw_files` over its file (Parquet, or CSV with a header row, every column as text) or
    over its folder of parts, which Spark reads natively:
      - Parquet parts with option mergeSchema: the table's columns are the union of the parts'
        columns by name (a part without a column reads it as null); a column whose type differs
        between parts fails the read;
      - CSV parts with enforceSchema false: Spark takes the columns from one part's header and
        checks every other part's header against them, failing on a part whose columns differ in
        name or order (Spark cannot union CSV files by column name: write every CSV part of a
        table with the same header, or use Parquet).
    The same checks as on DuckDB (a part without the loaded-at column, a file and a folder, a
    folder mixing formats or holding other files, empty parts) and the same record of the parts
    (raw_files.crm_load_parts, a Parquet table) with its line for a part changed or removed. The
    tables live in the session's metastore, so every model of the run sees them.
-#}
{% macro spark__crm_load_raw_dir(raw_dir) %}
    {%- set schema = 'raw_files' -%}
    {%- set base = (raw_dir | string).rstrip('/') -%}
    {%- do run_query('create schema if not exists ' ~ schema) -%}
    {%- do run_query(
        'create or replace temporary view crm_raw_listing using binaryFile options (path '
        ~ crm_sql_string(base) ~ ", recursiveFileLookup 'true')"
    ) -%}
    {%- set listing = run_query(
        'select path, length, cast(modificationTime as string) from crm_raw_listing order by path'
    ) -%}
    {%- set sizes = {} -%}
    {%- set folders = {} -%}
    {%- for row in listing.rows -%}
        {%- set path = row[0] | string -%}
        {%- set relative = path[path.rfind(base ~ '/') + (base | length) + 1:] if (base ~ '/') in path else path.split('/')[-1] -%}
        {%- set pieces = relative.split('/') -%}
        {%- if pieces | length == 1 -%}
            {%- do sizes.update({pieces[0]: row[1]}) -%}
        {%- elif pieces | length == 2 -%}
            {%- do folders.setdefault(pieces[0], []).append({
                'name': pieces[1], 'path': base ~ '/' ~ relative, 'size': row[1],
                'modified': row[2] | string,
                'format': 'csv' if (pieces[1] | lower).endswith('.csv') else
                    ('parquet' if (pieces[1] | lower).endswith('.parquet') else none),
            }) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do run_query(
        'create table if not exists ' ~ schema ~ '.crm_load_parts (table_name string,'
        ~ ' part_name string, size bigint, modified string) using parquet'
    ) -%}
    {%- set recorded = {} -%}
    {%- for row in run_query('select table_name, part_name, size, modified from ' ~ schema
        ~ '.crm_load_parts order by table_name, part_name').rows -%}
        {%- do recorded.setdefault(row[0], []).append(
            {'name': row[1], 'size': row[2], 'modified': row[3]}) -%}
    {%- endfor -%}
    {%- set record = [] -%}
    {%- for table_name, spec in crm_raw_contract()['tables'] | dictsort -%}
        {%- set found = namespace(file=none, format=none) -%}
        {%- for ext in ['parquet', 'csv'] -%}
            {%- if found.file is none and sizes.get(table_name ~ '.' ~ ext, 0) > 0 -%}
                {%- set found.file = table_name ~ '.' ~ ext -%}
                {%- set found.format = ext -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set folder = base ~ '/' ~ table_name -%}
        {%- set parts = folders.get(table_name, []) | sort(attribute='name', case_sensitive=true) -%}
        {%- set strays = parts | selectattr('format', 'none') | map(attribute='name') | list -%}
        {%- if strays -%}
            {{ exceptions.raise_compiler_error(
                "Raw folder " ~ folder ~ "/ holds files that are not parts (*.csv or *.parquet): "
                ~ strays[:5] | join(', ') ~ ". Move them out of the folder."
            ) }}
        {%- endif -%}
        {%- if parts and (found.file is not none or sizes.get(table_name ~ '.csv') is not none
            or sizes.get(table_name ~ '.parquet') is not none) -%}
            {{ exceptions.raise_compiler_error(
                "Raw table '" ~ table_name ~ "' is both a file and a folder of parts: "
                ~ base ~ '/' ~ (found.file or (table_name ~ '.csv')) ~ " and " ~ folder
                ~ "/. Keep one: the folder (one part per load) or the file."
            ) }}
        {%- endif -%}
        {%- set empty = parts | selectattr('size', 'equalto', 0) | map(attribute='name') | list -%}
        {%- if empty -%}
            {{ exceptions.raise_compiler_error(
                "Raw folder " ~ folder ~ "/: part file(s) " ~ empty[:5] | join(', ')
                ~ " are empty (a CSV part holds at least its header row). Remove them."
            ) }}
        {%- endif -%}
        {%- set formats = parts | map(attribute='format') | unique | list -%}
        {%- if formats | length > 1 -%}
            {{ exceptions.raise_compiler_error(
                "Raw folder " ~ folder ~ "/ mixes CSV and Parquet parts ("
                ~ (parts | selectattr('format', 'equalto', 'csv') | first)['name'] ~ ", "
                ~ (parts | selectattr('format', 'equalto', 'parquet') | first)['name']
                ~ "): write every part of a table in one format."
            ) }}
        {%- endif -%}
        {%- do crm_report_changed_parts(base, table_name, recorded.get(table_name, []), parts) -%}
        {%- for part in parts -%}
            {%- do record.append('(' ~ crm_sql_string(table_name) ~ ', ' ~ crm_sql_string(part['name'])
                ~ ', ' ~ part['size'] ~ ', ' ~ crm_sql_string(part['modified']) ~ ')') -%}
        {%- endfor -%}
        {%- set target_table = schema ~ '.' ~ table_name -%}
        {%- do run_query('drop table if exists ' ~ target_table) -%}
        {%- if parts -%}
            {%- set loaded_at = var('crm_loaded_at_column', '_loaded_at') | lower -%}
            {%- if formats[0] == 'csv' -%}
                {%- set options = " options (header 'true', quote '\"', escape '\"', enforceSchema 'false')" -%}
            {%- else -%}
                {%- set options = " options (mergeSchema 'true')" -%}
            {%- endif -%}
            {%- do run_query('create table ' ~ target_table ~ ' using ' ~ formats[0] ~ options
                ~ ' location ' ~ crm_sql_string(folder)) -%}
            {#- Parquet: each part's own columns (its footer); CSV: every header equals the table's -#}
            {%- set lacking = [] -%}
            {%- for part in (parts if formats[0] == 'parquet' else []) -%}
                {%- set columns = run_query('select * from parquet.`' ~ part['path'].replace('`', '``')
                    ~ '` limit 0').column_names | map('lower') | list -%}
                {%- if loaded_at not in columns -%}
                    {%- do lacking.append(part['path']) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- if formats[0] == 'csv' -%}
                {%- set columns = run_query('select * from ' ~ target_table ~ ' limit 0').column_names
                    | map('lower') | list -%}
                {%- if loaded_at not in columns -%}
                    {%- do lacking.extend(parts | map(attribute='path') | list) -%}
                {%- endif -%}
            {%- endif -%}
            {%- if lacking -%}
                {%- do run_query('drop table if exists ' ~ target_table) -%}
                {%- do crm_fail_lacking_loaded_at(folder, lacking, loaded_at) -%}
            {%- endif -%}
        {%- elif found.file is none -%}
            {%- if spec['required'] -%}
                {{ exceptions.raise_compiler_error(
                    "Raw table '" ~ table_name ~ "' is required: no non-empty " ~ table_name
                    ~ ".csv or " ~ table_name ~ ".parquet in " ~ base
                    ~ ", and no part file (*.csv, *.parquet) in folder " ~ folder ~ "/"
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
    {%- do run_query('truncate table ' ~ schema ~ '.crm_load_parts') -%}
    {%- if record -%}
        {%- do run_query('insert into ' ~ schema ~ '.crm_load_parts values ' ~ record | join(', ')) -%}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}
