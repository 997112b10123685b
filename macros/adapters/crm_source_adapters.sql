{#
    Source adapters: where the raw contract's tables come from.

    var source_system:
      - contract (default): the raw contract's tables, from the demo seeds, var raw_schema or the
        files of var raw_dir, as before;
      - fivetran_salesforce / fivetran_hubspot: the connector's tables in schema var
        source_schema, presented as contract tables by the models of models/adapters/<system>/.
        Contract tables a connector does not have (subscriptions, targets, ...) are read from var
        raw_schema when it is set, and are absent (empty) otherwise.

    crm_raw_relation(table_name) is the one place that chooses; staging (crm_raw_table) and the
    reconciliation test read the raw tables through it.
#}

{%- macro crm_source_systems() -%}
    {{ return({
        'contract': [],
        'fivetran_salesforce': [
            'users', 'accounts', 'stages', 'opportunities', 'opportunity_history',
            'opportunity_line_items', 'products', 'leads', 'activities'
        ],
        'fivetran_hubspot': [
            'users', 'accounts', 'stages', 'opportunities', 'opportunity_history', 'activities'
        ],
    }) }}
{%- endmacro -%}


{#- var source_system, checked: one of crm_source_systems(). -#}
{%- macro crm_source_system() -%}
    {%- set system = var('source_system', 'contract') or 'contract' -%}
    {%- if system not in crm_metrics.crm_source_systems() -%}
        {{ exceptions.raise_compiler_error(
            "var source_system must be one of " ~ (crm_metrics.crm_source_systems().keys() | list | join(', '))
            ~ ", got " ~ (system | string | tojson) ~ "."
        ) }}
    {%- endif -%}
    {{ return(system) }}
{%- endmacro -%}


{#-
    The relation holding raw table `table_name` as the contract describes it, or none when an
    optional table has no source (an adapter without it and no raw_schema).
-#}
{%- macro crm_raw_relation(table_name) -%}
    {%- set system = crm_metrics.crm_source_system() -%}
    {%- if system == 'contract' -%}
        {%- if crm_metrics.crm_uses_demo_seeds() -%}
            {{ return(ref(table_name)) }}
        {%- endif -%}
        {{ return(source('crm', table_name)) }}
    {%- endif -%}
    {%- if table_name in crm_metrics.crm_source_systems()[system] -%}
        {{ return(ref(system ~ '__' ~ table_name)) }}
    {%- endif -%}
    {%- if var('raw_schema', none) is not none -%}
        {{ return(source('crm', table_name)) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro -%}


{#-
    The one column lookup of the adapters. `relation`: a connector table; `required` and
    `optional`: column names as the connector writes them (matched case-insensitively).
    Returns a dict name -> {'sql': the quoted column, or `null` when an optional column is
    missing (the way Fivetran's packages fill columns a schema lacks), 'type': its data type in
    lower case, or none}. A missing required column fails the build naming table and column.
    With `table_optional`, a missing table returns none (the caller presents no rows).
    At parse time every column is taken as present.
-#}
{%- macro crm_adapter_columns(relation, required=[], optional=[], table_optional=false) -%}
    {%- set columns = {} -%}
    {%- if not execute -%}
        {%- for name in required + optional -%}
            {%- do columns.update({name: {'sql': adapter.quote(name), 'type': none}}) -%}
        {%- endfor -%}
        {{ return(columns) }}
    {%- endif -%}
    {%- set found = adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier
    ) -%}
    {%- if found is none -%}
        {%- if table_optional -%}{{ return(none) }}{%- endif -%}
        {{ exceptions.raise_compiler_error(
            "Source adapter " ~ crm_metrics.crm_source_system() ~ ": connector table '"
            ~ relation.identifier ~ "' was not found in schema '" ~ relation.schema
            ~ "' (looked for " ~ relation ~ "). Check var source_schema (and source_history_schema)."
        ) }}
    {%- endif -%}
    {%- set actual = {} -%}
    {%- for column in adapter.get_columns_in_relation(found) -%}
        {%- do actual.update({column.name | lower: column}) -%}
    {%- endfor -%}
    {%- set missing = [] -%}
    {%- for name in required + optional -%}
        {%- set column = actual.get(name | lower) -%}
        {%- if column is none -%}
            {%- if name in required -%}{%- do missing.append(name) -%}{%- endif -%}
            {%- do columns.update({name: {'sql': 'null', 'type': none}}) -%}
        {%- else -%}
            {%- do columns.update({name: {'sql': adapter.quote(column.name), 'type': column.data_type | lower}}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error(
            "Source adapter " ~ crm_metrics.crm_source_system() ~ ": connector table '"
            ~ relation.identifier ~ "' (" ~ found ~ ") lacks required column(s) "
            ~ (missing | join(', ')) ~ " (columns found: "
            ~ (actual.keys() | list | sort | join(', ')) ~ ")."
        ) }}
    {%- endif -%}
    {{ return(columns) }}
{%- endmacro -%}


{#- A connector value as contract text: numbers and text cast to the engine's string type. -#}
{%- macro crm_adapter_text(expr) -%}
    cast({{ expr }} as {{ dbt.type_string() }})
{%- endmacro -%}


{#-
    A connector timestamp (or date) as contract text 'YYYY-MM-DD HH:MM:SS' in UTC, which every
    engine's staging parses. `column` is an entry of crm_adapter_columns (its type tells a
    timestamp with time zone, converted to UTC, from a plain one, taken as UTC); a text column
    is passed through for staging to parse. `expr` overrides the column's SQL.
-#}
{%- macro crm_adapter_timestamp(column, expr=none) -%}
    {%- set sql = expr if expr is not none else column['sql'] -%}
    {%- set data_type = column['type'] or '' -%}
    {%- if sql == 'null' -%}
        cast(null as {{ dbt.type_string() }})
    {%- elif data_type.startswith('varchar') or data_type.startswith('text')
        or data_type.startswith('string') or data_type.startswith('character') -%}
        cast({{ sql }} as {{ dbt.type_string() }})
    {%- else -%}
        {{ return(adapter.dispatch('crm_adapter_timestamp', 'crm_metrics')(
            sql, 'time zone' in data_type or data_type.startswith('timestamptz')
        )) }}
    {%- endif -%}
{%- endmacro -%}

{%- macro default__crm_adapter_timestamp(sql, with_time_zone) -%}
    {%- if with_time_zone -%}
        strftime(cast(timezone('UTC', {{ sql }}) as timestamp), '%Y-%m-%d %H:%M:%S')
    {%- else -%}
        strftime(cast({{ sql }} as timestamp), '%Y-%m-%d %H:%M:%S')
    {%- endif -%}
{%- endmacro -%}

{%- macro postgres__crm_adapter_timestamp(sql, with_time_zone) -%}
    {%- if with_time_zone -%}
        to_char({{ sql }} at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS')
    {%- else -%}
        to_char(cast({{ sql }} as timestamp), 'YYYY-MM-DD HH24:MI:SS')
    {%- endif -%}
{%- endmacro -%}

{%- macro spark__crm_adapter_timestamp(sql, with_time_zone) -%}
    date_format(to_utc_timestamp(cast({{ sql }} as timestamp), 'UTC'), 'yyyy-MM-dd HH:mm:ss')
{%- endmacro -%}


{#- True when a connector flag column (is_deleted, _fivetran_deleted, ...) is true; null = false. -#}
{%- macro crm_adapter_flag(column) -%}
    {%- if column['sql'] == 'null' -%}
        false
    {%- else -%}
        coalesce(cast({{ column['sql'] }} as boolean), false)
    {%- endif -%}
{%- endmacro -%}


{#-
    The adapter's reject reason column: 'deleted_in_source' when any of the given flag columns
    (is_deleted, _fivetran_deleted) is true, plus optional extra (condition, reason) pairs.
    Staging puts it before every other check, so a deleted row is rejected (and counted) with
    this reason and its dependants with parent_rejected.
-#}
{%- macro crm_adapter_deleted_reason(flags, extra=[]) -%}
    case
        {%- for flag in flags %}
        when {{ crm_metrics.crm_adapter_flag(flag) }} then 'deleted_in_source'
        {%- endfor %}
        {%- for condition, reason in extra %}
        when {{ condition }} then '{{ reason }}'
        {%- endfor %}
    end
{%- endmacro -%}


{#-
    The contract role of a user, from var crm_role_mapping: a list of rules tried in order, the
    first match wins; each rule has `role` (AE, SDR, SE, MANAGER, OTHER) and either `user_ids`
    (a list of user ids as the connector writes them) or `name_like` (a case-insensitive SQL LIKE
    pattern matched against `name_expr`: the Salesforce role or profile name). No match: var
    crm_default_role (AE). Default rules: crm_default_role_mapping().
-#}
{%- macro crm_adapter_role(user_id_expr, name_exprs=[]) -%}
    {%- set rules = var('crm_role_mapping', none) -%}
    {%- if rules is none -%}{%- set rules = crm_metrics.crm_default_role_mapping() -%}{%- endif -%}
    {%- set roles = ['AE', 'SDR', 'SE', 'MANAGER', 'OTHER'] -%}
    {%- set default_role = var('crm_default_role', 'AE') -%}
    {%- if default_role not in roles -%}
        {{ exceptions.raise_compiler_error(
            "var crm_default_role must be one of " ~ (roles | join(', ')) ~ ", got " ~ (default_role | tojson) ~ "."
        ) }}
    {%- endif -%}
    {%- set applicable = [] -%}
    {%- for rule in rules -%}
        {%- if rule is not mapping or rule.get('role') not in roles
            or not (rule.get('user_ids') or rule.get('name_like')) -%}
            {{ exceptions.raise_compiler_error(
                "var crm_role_mapping: rule " ~ loop.index ~ " needs role (one of "
                ~ (roles | join(', ')) ~ ") and user_ids or name_like, got " ~ (rule | tojson) ~ "."
            ) }}
        {%- endif -%}
        {#- name_like rules apply only where there are names (Salesforce roles / profiles) #}
        {%- if rule.get('user_ids') or name_exprs -%}
            {%- do applicable.append(rule) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not applicable -%}
        {{ return("'" ~ default_role ~ "'") }}
    {%- endif %}
    case
    {%- for rule in applicable %}
        {%- if rule.get('user_ids') %}
        when {{ user_id_expr }} in (
            {%- for user_id in rule['user_ids'] -%}
                {{ crm_metrics.crm_sql_string(user_id) }}{{ ", " if not loop.last }}
            {%- endfor -%}
        ) then '{{ rule['role'] }}'
        {%- else %}
            {%- for name_expr in name_exprs %}
        when lower({{ name_expr }}) like {{ crm_metrics.crm_sql_string(rule['name_like'] | lower) }} then '{{ rule['role'] }}'
            {%- endfor %}
        {%- endif %}
    {%- endfor %}
        else '{{ default_role }}'
    end
{%- endmacro -%}


{#-
    Default role rules for Salesforce role and profile names (HubSpot has none: everyone is
    crm_default_role). First match wins, so presales and development titles come before the
    generic manager words.
-#}
{%- macro crm_default_role_mapping() -%}
    {{ return([
        {'name_like': '%sales engineer%', 'role': 'SE'},
        {'name_like': '%solution%', 'role': 'SE'},
        {'name_like': '%presales%', 'role': 'SE'},
        {'name_like': '%pre-sales%', 'role': 'SE'},
        {'name_like': '%sdr%', 'role': 'SDR'},
        {'name_like': '%bdr%', 'role': 'SDR'},
        {'name_like': '%development rep%', 'role': 'SDR'},
        {'name_like': '%account exec%', 'role': 'AE'},
        {'name_like': '%manager%', 'role': 'MANAGER'},
        {'name_like': '%director%', 'role': 'MANAGER'},
        {'name_like': '%head of%', 'role': 'MANAGER'},
        {'name_like': '%vp%', 'role': 'MANAGER'},
        {'name_like': '%vice president%', 'role': 'MANAGER'},
    ]) }}
{%- endmacro -%}

{#-
    HubSpot: the select of the stage labels of the pipeline var hubspot_pipeline_id (stage_id,
    stage_name: the label), which the deal and the stage-history adapters name stages by.
-#}
{%- macro crm_hubspot_stage_labels() -%}
    {%- set stage = crm_adapter_columns(
        source('fivetran_hubspot', 'deal_pipeline_stage'),
        required=['stage_id', 'pipeline_id', 'label'],
    ) -%}
    select
        {{ crm_adapter_text(stage.stage_id.sql) }} as stage_id,
        {{ crm_adapter_text(stage.label.sql) }} as stage_name
    from {{ source('fivetran_hubspot', 'deal_pipeline_stage') }}
    where
        {{ crm_adapter_text(stage.pipeline_id.sql) }}
        = {{ crm_sql_string(var('hubspot_pipeline_id', 'default')) }}
{%- endmacro -%}
